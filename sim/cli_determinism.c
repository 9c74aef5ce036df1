/* sim/cli_determinism.c — `durasim check-determinism`: the same seed must give the same run, event
 * for event, wherever and however it runs.
 *
 * Every item (a fuzz seed, or a scenario file) is run
 *   1. twice in this process, one run after the other;
 *   2. again on a thread pool of --jobs N threads, several items at once;
 *   3. once more in a second process (this binary, started again).
 * and the trace hashes of all four runs must be equal. For an item whose hashes differ, the two
 * runs' readable traces are compared and the first differing trace record is printed.
 */
#include "sim/campaign.h"
#include "sim/cli.h"
#include "sim/cli_options.h"
#include "sim/ordered_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gboolean seeds; /* items are seeds first..last, else files */
    CampaignSpec spec;
    uint64_t first, last;
    GPtrArray *files;
    gint64 plant; /* self-test: this item's second run uses another seed (-1: none) */
} Items;

static guint64 item_count(const Items *it)
{
    return it->seeds ? it->last - it->first + 1 : it->files->len;
}

static Scenario *item_scenario(const Items *it, guint64 i)
{
    if (it->seeds) {
        Scenario *s = scenario_generate(it->spec.protocol, it->first + i, it->spec.mode);
        protocol_bugs_add(it->spec.protocol, &s->config, it->spec.bugs);
        return s;
    }
    return scenario_load_file(g_ptr_array_index(it->files, i), NULL);
}

static char *item_name(const Items *it, guint64 i)
{
    if (it->seeds)
        return g_strdup_printf("seed=%" G_GUINT64_FORMAT, it->first + i);
    return g_strdup(g_ptr_array_index(it->files, i));
}

/* Runs an item; returns its trace hash; with `trace`, its readable trace too. `planted`: the
 * self-test's deliberate difference (another run seed). */
static uint64_t run_item_as(const Items *it, guint64 i, char **trace, gboolean planted)
{
    g_autoptr(Scenario) s = item_scenario(it, i);
    if (!s)
        return 0;
    if (planted)
        s->config.seed ^= 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = trace ? open_memstream(&buf, &len) : NULL;
    RunOptions opt = {.trace_to = mem};
    RunResult r;
    runner_run(s, &opt, &r, NULL);
    uint64_t hash = r.trace_hash;
    run_result_clear(&r);
    if (mem) {
        fclose(mem);
        *trace = buf;
    }
    return hash;
}

static uint64_t run_item(const Items *it, guint64 i, char **trace)
{
    return run_item_as(it, i, trace, FALSE);
}

/* ---- the thread pool ---- */

typedef struct {
    const Items *it;
    uint64_t *hash;
} PoolCtx;

static void pool_work(uint64_t item, void *result, void *ctx)
{
    *(uint64_t *)result = run_item(((const PoolCtx *)ctx)->it, item, NULL);
}

static gboolean pool_take(uint64_t item, void *result, void *ctx)
{
    ((PoolCtx *)ctx)->hash[item] = *(uint64_t *)result;
    return TRUE;
}

static void run_pool(const Items *it, gint jobs, uint64_t *hash)
{
    PoolCtx ctx = {it, hash};
    OrderedPoolSpec pool = {.jobs = (guint)jobs,
                            .result_size = sizeof(uint64_t),
                            .work = pool_work,
                            .take = pool_take,
                            .ctx = &ctx};
    ordered_pool_run(&pool, item_count(it));
}

/* ---- the second process ---- */

/* The arguments that select the items, for a child process. */
static GPtrArray *selection_args(const Items *it)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    if (it->seeds) {
        g_ptr_array_add(a, g_strdup("--protocol"));
        g_ptr_array_add(a, g_strdup(protocol_name(it->spec.protocol)));
        g_ptr_array_add(a, g_strdup("--faults"));
        g_ptr_array_add(a, g_strdup(fault_mode_name(it->spec.mode)));
        const Protocol *p = it->spec.protocol;
        for (guint k = 0; k < p->n_bugs; k++) {
            if (BUG_ON(it->spec.bugs, k)) {
                g_ptr_array_add(a, g_strdup("--bug"));
                g_ptr_array_add(a, g_strdup(p->bugs[k].name));
            }
        }
    }
    return a;
}

static char *self_exe(void)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    return exe ? exe : g_strdup("durasim");
}

/* Runs argv and returns its standard output, or NULL (with a message) if it could not. */
static char *spawn_capture(GPtrArray *argv)
{
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *err = NULL;
    gint status = 0;
    g_autoptr(GError) e = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &e);
    g_free(err);
    if (!ok) {
        cli_error("check-determinism: cannot start a second process: %s", e->message);
        g_free(out);
        return NULL;
    }
    return out;
}

/* The hashes a second process computes: it runs this command with --emit-hashes. */
static gboolean run_child(const Items *it, uint64_t *hash)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, self_exe());
    g_ptr_array_add(argv, g_strdup("check-determinism"));
    g_ptr_array_add(argv, g_strdup("--emit-hashes"));
    g_autoptr(GPtrArray) sel = selection_args(it);
    for (guint i = 0; i < sel->len; i++)
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(sel, i)));
    if (it->seeds) {
        g_ptr_array_add(argv, g_strdup("--seeds"));
        g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                                              it->first, it->last));
    } else {
        for (guint i = 0; i < it->files->len; i++)
            g_ptr_array_add(argv, g_strdup(g_ptr_array_index(it->files, i)));
    }
    g_autofree char *out = spawn_capture(argv);
    if (!out)
        return FALSE;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    guint64 n = 0;
    for (guint i = 0; lines[i] && n < item_count(it); i++) {
        if (!*lines[i])
            continue;
        hash[n++] = g_ascii_strtoull(lines[i], NULL, 16);
    }
    if (n != item_count(it)) {
        cli_error("check-determinism: the second process gave %" G_GUINT64_FORMAT
                  " hashes for %" G_GUINT64_FORMAT " items",
                  n, item_count(it));
        return FALSE;
    }
    return TRUE;
}

/* The readable trace of item i as a second process prints it. */
static char *child_trace(const Items *it, guint64 i)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, self_exe());
    if (it->seeds) {
        g_ptr_array_add(argv, g_strdup("replay"));
        g_autoptr(GPtrArray) sel = selection_args(it);
        for (guint k = 0; k < sel->len; k++)
            g_ptr_array_add(argv, g_strdup(g_ptr_array_index(sel, k)));
        g_ptr_array_add(argv, g_strdup("--seed"));
        g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT, it->first + i));
    } else {
        g_ptr_array_add(argv, g_strdup("run"));
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(it->files, i)));
    }
    g_ptr_array_add(argv, g_strdup("--trace"));
    return spawn_capture(argv);
}

/* ---- reporting a difference ---- */

/* Prints the first line where two traces differ (a record missing on one side counts). */
static void print_first_difference(const char *a, const char *b, const char *la, const char *lb)
{
    if (!a || !b) {
        printf("      (the traces could not be produced again)\n");
        return;
    }
    g_auto(GStrv) x = g_strsplit(a, "\n", -1);
    g_auto(GStrv) y = g_strsplit(b, "\n", -1);
    for (guint i = 0;; i++) {
        if (!x[i] || !y[i]) {
            if (!x[i] && !y[i])
                printf("      the two traces are the same when run again: the difference "
                       "does not reproduce\n");
            else
                printf("      first difference at trace record %u: one trace ends there\n"
                       "        %-8s %s\n        %-8s %s\n",
                       i + 1, la, x[i] ? x[i] : "(end)", lb, y[i] ? y[i] : "(end)");
            return;
        }
        if (strcmp(x[i], y[i]) != 0) {
            printf("      first difference at trace record %u:\n        %-8s %s\n"
                   "        %-8s %s\n",
                   i + 1, la, x[i], lb, y[i]);
            return;
        }
    }
}

/* Trace lines only (a child's run ends with its verdict lines, which the in-process capture
 * does not have): keeps the lines that start with a time. */
static char *trace_lines_only(char *text)
{
    if (!text)
        return NULL;
    GString *s = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];
        while (*l == ' ')
            l++;
        if (g_ascii_isdigit(*l))
            g_string_append_printf(s, "%s\n", lines[i]);
    }
    g_free(text);
    return g_string_free(s, FALSE);
}

typedef enum { CMP_TWICE, CMP_JOBS, CMP_PROCESS } Comparison;

static void report_difference(const Items *it, guint64 i, Comparison how, uint64_t ha, uint64_t hb,
                              gint jobs)
{
    g_autofree char *name = item_name(it, i);
    static const char *what[] = {"in-process, twice", "--jobs 1 vs --jobs N", "two processes"};
    printf("DIFF  %s  %s: trace %016" G_GINT64_MODIFIER "x vs %016" G_GINT64_MODIFIER "x\n", name,
           what[how], ha, hb);
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    run_item(it, i, &a);
    a = trace_lines_only(g_steal_pointer(&a));
    if (how == CMP_PROCESS) {
        b = trace_lines_only(child_trace(it, i));
        print_first_difference(a, b, "here:", "child:");
    } else {
        run_item_as(it, i, &b, how == CMP_TWICE && it->plant == (gint64)i);
        b = trace_lines_only(g_steal_pointer(&b));
        print_first_difference(a, b, "first:", "second:");
    }
    if (it->seeds) {
        g_autofree char *cmd = campaign_replay_command(&it->spec, it->first + i);
        printf("      replay: %s --trace\n", cmd);
    } else {
        printf("      replay: durasim run %s --trace\n", name);
    }
}

/* The three comparisons over every item; prints the differences and a summary. */
static int check_items(const Items *it, gint jobs)
{
    guint64 n = item_count(it);
    g_autofree uint64_t *h1 = g_new0(uint64_t, n);
    g_autofree uint64_t *h2 = g_new0(uint64_t, n);
    g_autofree uint64_t *h3 = g_new0(uint64_t, n);
    g_autofree uint64_t *h4 = g_new0(uint64_t, n);
    double t0 = cli_wall_now();
    guint64 diffs = 0;
    for (guint64 i = 0; i < n; i++) {
        h1[i] = run_item(it, i, NULL);
        h2[i] = run_item_as(it, i, NULL, it->plant == (gint64)i);
    }
    run_pool(it, jobs, h3);
    if (!run_child(it, h4))
        return CLI_EXIT_INTERNAL;
    guint64 bad[3] = {0, 0, 0};
    for (guint64 i = 0; i < n; i++) {
        uint64_t other[3] = {h2[i], h3[i], h4[i]};
        for (int c = 0; c < 3; c++) {
            if (other[c] == h1[i])
                continue;
            bad[c]++;
            if (diffs++ < 10)
                report_difference(it, i, (Comparison)c, h1[i], other[c], jobs);
        }
    }
    if (diffs > 10)
        printf("      (%" G_GUINT64_FORMAT " more differences not shown)\n", diffs - 10);
    g_autofree char *what =
        it->seeds
            ? g_strdup_printf("%" G_GUINT64_FORMAT " seeds of %s (faults %s)", n,
                              protocol_name(it->spec.protocol), fault_mode_name(it->spec.mode))
            : g_strdup_printf("%" G_GUINT64_FORMAT " scenario files", n);
    printf("check-determinism: %s\n", what);
    printf("  in-process, twice:      %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " identical\n",
           n - bad[0], n);
    printf("  --jobs 1 vs --jobs %-3d  %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " identical\n",
           jobs, n - bad[1], n);
    printf("  two processes:          %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " identical\n",
           n - bad[2], n);
    printf("check-determinism: %s (%.2fs)\n", diffs ? "FAIL" : "pass", cli_wall_now() - t0);
    return diffs ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
}

/* ---- the command ---- */

/* The items from --seeds and the shared options. */
static gboolean seed_items(const CliSeedOptions *o, int argc, Items *it)
{
    it->seeds = TRUE;
    if (argc > 1) {
        cli_error("check-determinism: give either --seeds or files, not both");
        return FALSE;
    }
    if (!cli_options_spec("check-determinism", o, &it->spec))
        return FALSE;
    if (!campaign_parse_range(o->seeds, &it->first, &it->last)) {
        cli_error("check-determinism: --seeds '%s' is not A..B (A <= B) or N", o->seeds);
        return FALSE;
    }
    return TRUE;
}

/* The items from FILE|DIR arguments, each loaded once to check it. */
static gboolean file_items(const CliSeedOptions *o, int argc, char **argv, Items *it)
{
    if (argc < 2) {
        cli_error("check-determinism: give --protocol P --seeds A..B, or scenario files");
        return FALSE;
    }
    if (cli_options_any_spec(o)) {
        cli_error("check-determinism: --protocol, --faults and --bug go with --seeds");
        return FALSE;
    }
    it->files = cli_expand_paths("check-determinism", argc, argv);
    if (!it->files)
        return FALSE;
    for (guint i = 0; i < it->files->len; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(Scenario) s = scenario_load_file(g_ptr_array_index(it->files, i), &err);
        if (!s) {
            cli_error("%s", err->message);
            return FALSE;
        }
    }
    return TRUE;
}

int cli_check_determinism(int argc, char **argv)
{
    CliSeedOptions o = CLI_SEED_OPTIONS_INIT;
    gboolean emit = FALSE;
    gint64 plant = -1;
    const GOptionEntry own[] = {
        {"emit-hashes", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &emit,
         "Print one trace hash per item (the second process)", NULL},
        {"plant-difference", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &plant,
         "Self-test: run item I (0-based) the second time with another seed", "I"},
        {NULL},
    };
    g_autofree GOptionEntry *entries = cli_options_entries(
        &o, CLI_OPT_PROTOCOL | CLI_OPT_SEEDS | CLI_OPT_FAULTS | CLI_OPT_BUG | CLI_OPT_JOBS, own);
    int status = CLI_EXIT_USAGE;
    Items it = {.plant = -1};
    if (!cli_parse("check-determinism", "[FILE|DIR...]",
                   "Run fuzz seeds or scenario files twice in this process, on a thread pool and\n"
                   "in a second process, and compare their trace hashes. Any difference fails,\n"
                   "naming the seed or file and the first differing trace record.",
                   entries, &argc, &argv))
        goto out;
    if (!cli_resolve_jobs("check-determinism", &o.jobs, 2))
        goto out;
    if (o.seeds ? !seed_items(&o, argc, &it) : !file_items(&o, argc, argv, &it))
        goto out;
    it.plant = plant;
    guint64 n = item_count(&it);
    if (n > 100000000) {
        cli_error("check-determinism: at most 100000000 items at a time");
        goto out;
    }
    if (emit) {
        for (guint64 i = 0; i < n; i++)
            printf("%016" G_GINT64_MODIFIER "x\n", run_item(&it, i, NULL));
        status = CLI_EXIT_PASS;
        goto out;
    }
    status = check_items(&it, o.jobs);
out:
    if (it.files)
        g_ptr_array_unref(it.files);
    cli_options_clear(&o);
    return status;
}
