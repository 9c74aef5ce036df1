/* tests/bench_history.c — `durasim check-history` on recorded and generated histories.
 *
 *   check-history-etcd-max        the slowest of the Jepsen etcd logs in tests/histories/etcd
 *                                 (or $DURASIM_ETCD_DIR), best of 3 runs each; goal under 1 s
 *   check-history-kv-100k         100,000 operations of 50 clients on 10 keys (Porcupine's kv
 *                                 workload, 1% of the writes :info), linearizable by
 *                                 construction: the time to a verdict within the default budget
 *                                 (linearizable, or unknown when the budget runs out; printed)
 *   check-history-kv-100k-bad     the same with one read corrupted (not-linearizable or unknown)
 *   check-history-kv-100k-peak-mb the process's peak resident memory after both
 *
 * A wrong verdict (not-linearizable for the linearizable history, linearizable for the corrupted
 * one) or bad input fails the benchmark; unknown is what the budget is for, and is printed.
 */
#include "reports/history/check.h"
#include "tests/support_histgen.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* Checks text once; returns the verdict (or -1 on bad input) and the time taken. */
static int check_text(const char *text, gsize len, const char *name, const char *model,
                      double *seconds)
{
    HcCheckOptions opt = {.budget = {HC_DEFAULT_STATES, HC_DEFAULT_MEMORY_BYTES}};
    HcFile f;
    GError *err = NULL;
    double t0 = now_seconds();
    gboolean ok =
        hc_file_check(&f, text, len, name, HC_FORMAT_AUTO, hc_model_find(model), &opt, &err);
    *seconds = now_seconds() - t0;
    int verdict = ok ? (int)f.check.verdict : -1;
    if (!ok) {
        fprintf(stderr, "bench_history: %s\n", err->message);
        g_error_free(err);
    }
    hc_file_clear(&f);
    return verdict;
}

/* The expected verdicts of the etcd logs, from the VERDICTS file next to them. */
static GHashTable *read_verdicts(const char *dir)
{
    GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *path = g_build_filename(dir, "VERDICTS", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return v;
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char name[256], verdict[64];
        if (sscanf(lines[i], "%255s %63s", name, verdict) == 2)
            g_hash_table_insert(v, g_strdup(name),
                                GINT_TO_POINTER(strcmp(verdict, "linearizable") == 0 ? 1 : 2));
    }
    g_strfreev(lines);
    return v;
}

static gboolean bench_etcd(void)
{
    const char *dir = g_getenv("DURASIM_ETCD_DIR");
    if (!dir)
        dir = "tests/histories/etcd";
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        fprintf(stderr, "bench_history: no folder %s\n", dir);
        return FALSE;
    }
    GHashTable *expect = read_verdicts(dir);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_suffix(n, ".log"))
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    double worst = 0;
    const char *worst_name = "-";
    gboolean ok = names->len > 0;
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, n, NULL);
        g_autofree char *text = NULL;
        gsize len;
        if (!g_file_get_contents(path, &text, &len, NULL))
            return FALSE;
        double best = 1e9;
        int verdict = -1;
        for (int r = 0; r < 3; r++) {
            double s;
            verdict = check_text(text, len, path, "cas-register", &s);
            best = MIN(best, s);
        }
        int want = GPOINTER_TO_INT(g_hash_table_lookup(expect, n));
        if (want && verdict != (want == 1 ? HC_LINEARIZABLE : HC_NOT_LINEARIZABLE)) {
            fprintf(stderr, "bench_history: %s: wrong verdict %d\n", n, verdict);
            ok = FALSE;
        }
        if (best > worst) {
            worst = best;
            worst_name = g_ptr_array_index(names, i);
        }
    }
    printf("etcd logs: %u, slowest %s\n", names->len, worst_name);
    printf("bench: check-history-etcd-max %.4f s\n", worst);
    g_ptr_array_unref(names);
    g_hash_table_unref(expect);
    return ok;
}

static gboolean bench_kv(int corrupt, const char *name)
{
    GenSpec spec = {.kind = GEN_KV,
                    .ops = 100000,
                    .clients = 50,
                    .keys = 10,
                    .info_pct = 1,
                    .corrupt = corrupt,
                    .seed = 18};
    gsize len;
    g_autofree char *text = gen_history(&spec, &len, NULL);
    double s;
    int verdict = check_text(text, len, name, "kv", &s);
    int want = corrupt < 0 ? HC_LINEARIZABLE : HC_NOT_LINEARIZABLE;
    printf("%s: %.1f MB of jepsen-edn, verdict %s\n", name, (double)len / 1e6,
           verdict >= 0 ? hc_verdict_name((HcVerdict)verdict) : "bad input");
    printf("bench: %s %.3f s\n", name, s);
    return verdict == want || verdict == HC_UNKNOWN;
}

int main(void)
{
    gboolean ok = bench_etcd();
    ok &= bench_kv(-1, "check-history-kv-100k");
    ok &= bench_kv(20000, "check-history-kv-100k-bad");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench: check-history-kv-100k-peak-mb %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    return ok ? 0 : 1;
}
