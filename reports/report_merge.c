/* reports/report_merge.c — combining the reports of campaign shards (`durasim merge`).
 *
 * Suites are matched by name: the name of a fuzz suite is its command without --shard, so the
 * shards of one campaign merge into one suite whose runs are in seed order. A seed reported by
 * two shards (overlapping ranges) is kept once, from the first report given. After merging, the
 * detail cap is applied again: the first REPORT_DETAIL_CAP failing runs keep their detail.
 */
#include "reports/report.h"

#include <string.h>

static ReportSuite *find_suite(ReportSet *set, const char *name)
{
    for (guint i = 0; i < set->suites->len; i++) {
        ReportSuite *s = g_ptr_array_index(set->suites, i);
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

static gint by_seed(gconstpointer a, gconstpointer b)
{
    const ReportRun *x = *(ReportRun *const *)a, *y = *(ReportRun *const *)b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

/* Moves every run of `from` to the end of `into`. */
static void move_runs(GPtrArray *into, GPtrArray *from)
{
    gsize n = 0;
    gpointer *runs = g_ptr_array_steal(from, &n);
    for (gsize i = 0; i < n; i++)
        g_ptr_array_add(into, runs[i]);
    g_free(runs);
}

/* Seed order (stable), one run per seed. */
static void order_campaign(ReportSuite *s)
{
    g_ptr_array_sort(s->runs, by_seed);
    GPtrArray *kept = g_ptr_array_new_with_free_func((GDestroyNotify)report_run_free);
    gsize n = 0;
    gpointer *runs = g_ptr_array_steal(s->runs, &n);
    for (gsize i = 0; i < n; i++) {
        ReportRun *r = runs[i];
        if (kept->len > 0 && ((ReportRun *)g_ptr_array_index(kept, kept->len - 1))->seed == r->seed)
            report_run_free(r);
        else
            g_ptr_array_add(kept, r);
    }
    g_free(runs);
    g_ptr_array_unref(s->runs);
    s->runs = kept;
}

static void apply_detail_cap(ReportSuite *s)
{
    guint detailed = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        ReportRun *r = g_ptr_array_index(s->runs, i);
        if (r->passed || !r->detail)
            continue;
        if (++detailed > REPORT_DETAIL_CAP) {
            json_object_unref(r->detail);
            r->detail = NULL;
        }
    }
}

static void merge_suite(ReportSuite *into, ReportSuite *from)
{
    move_runs(into->runs, from->runs);
    for (guint i = 0; i < from->shards->len; i++)
        g_ptr_array_add(into->shards, g_strdup(g_ptr_array_index(from->shards, i)));
    report_coverage_add(into->coverage, from->coverage);
    report_latency_add(&into->latency, &from->latency);
    into->wall_seconds += from->wall_seconds;
    if (strcmp(into->command, "fuzz") == 0)
        order_campaign(into);
    apply_detail_cap(into);
}

void report_set_merge(ReportSet *into, ReportSet *from)
{
    for (guint i = 0; i < from->suites->len; i++) {
        ReportSuite *s = g_ptr_array_index(from->suites, i);
        ReportSuite *same = find_suite(into, s->name);
        if (!same) {
            g_ptr_array_add(into->suites, s);
            g_ptr_array_index(from->suites, i) = NULL;
            continue;
        }
        merge_suite(same, s);
    }
    /* moved suites are owned by `into` now (their slots are NULL); merged ones are empty */
    for (guint i = 0; i < from->suites->len; i++)
        report_suite_free(g_ptr_array_index(from->suites, i));
    g_ptr_array_set_size(from->suites, 0);
}
