/* reports/report_merge.c — combining the reports of campaign shards (`durasim merge`).
 *
 * Suites are matched by name: the name of a fuzz suite is its command without --shard, so the
 * shards of one campaign merge into one suite whose runs are in seed order. A seed reported by
 * two shards (overlapping ranges) is kept once, from the first report given. After merging, the
 * detail cap is applied again: the first REPORT_DETAIL_CAP failing runs keep their detail.
 *
 * report_merge checks first that the campaign suites form whole campaigns (a lost shard must
 * not look like a clean campaign): the shards of a suite name agree on their campaign record,
 * each shard 1..N is given exactly once, shards of different campaigns are not mixed, and no
 * seed of one protocol, fault setting and bug set is reported twice. With --partial it merges
 * what is there instead and marks each incomplete campaign partial, naming the missing shards.
 */
#include "reports/report.h"

#include <stdarg.h>
#include <stdio.h>
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
    for (guint i = 0; i < from->shards->len; i++) {
        const char *k = g_ptr_array_index(from->shards, i);
        if (!g_ptr_array_find_with_equal_func(into->shards, k, g_str_equal, NULL))
            g_ptr_array_add(into->shards, g_strdup(k));
    }
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

/* ---- checking the campaigns ---- */

/* One campaign suite of one input report. */
typedef struct {
    const char *origin;
    const ReportSuite *suite;
} Part;

/* The parts of one suite name (one campaign), and which of its shards they bring. */
typedef struct {
    const char *name;
    GPtrArray *parts;    /* of Part*, in input order */
    const Part **shards; /* [shard_count + 1]: the part that brings shard K, or NULL */
    guint shard_count;
} Campaign;

static void campaign_free(Campaign *c)
{
    g_ptr_array_unref(c->parts);
    g_free(c->shards);
    g_free(c);
}

static gboolean merge_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean merge_error(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, msg);
    return FALSE;
}

/* The first field on which two campaign records differ, as "what (a vs b)"; NULL if none.
 * Caller frees. */
static char *campaign_difference(const ReportCampaign *a, const ReportCampaign *b)
{
    if (strcmp(a->protocol, b->protocol) != 0)
        return g_strdup_printf("the protocol (%s vs %s)", a->protocol, b->protocol);
    if (strcmp(a->faults, b->faults) != 0)
        return g_strdup_printf("the fault setting (%s vs %s)", a->faults, b->faults);
    if (strcmp(a->bugs, b->bugs) != 0)
        return g_strdup_printf("the bug variants ('%s' vs '%s')", a->bugs, b->bugs);
    if (a->first != b->first || a->last != b->last)
        return g_strdup_printf("the seed range (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                               " vs %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")",
                               a->first, a->last, b->first, b->last);
    if (g_strcmp0(a->time, b->time) != 0)
        return g_strdup_printf("the time budget (%s vs %s)", a->time ? a->time : "none",
                               b->time ? b->time : "none");
    if (a->shard_count != b->shard_count)
        return g_strdup_printf("the shard count (%u vs %u)", a->shard_count, b->shard_count);
    if (strcmp(a->version, b->version) != 0)
        return g_strdup_printf("the durasim version (%s vs %s)", a->version, b->version);
    return NULL;
}

/* Shard K of a "K/N" text, or 0. */
static guint shard_index(const char *text, guint n)
{
    guint k = 0, nn = 0;
    char extra;
    if (sscanf(text, "%u/%u%c", &k, &nn, &extra) != 2 || nn != n || k < 1 || k > n)
        return 0;
    return k;
}

/* Records which shards a part brings: its "K/N" list, or every shard when it has none (an
 * unsharded campaign, N = 1). */
static gboolean add_part_shards(Campaign *c, const Part *p, gboolean partial, GError **error)
{
    const GPtrArray *list = p->suite->shards;
    for (guint i = 0; i < MAX(list->len, 1u); i++) {
        const char *text = list->len ? g_ptr_array_index(list, i) : "1/1";
        guint k = shard_index(text, c->shard_count);
        if (k == 0 && !partial)
            return merge_error(error, "%s: shard '%s' of campaign '%s' is not K/%u", p->origin,
                               text, c->name, c->shard_count);
        if (k == 0)
            continue;
        if (c->shards[k] && !partial && c->shard_count == 1)
            return merge_error(error, "campaign '%s' is given twice (%s and %s); give it once",
                               c->name, c->shards[k]->origin, p->origin);
        if (c->shards[k] && !partial)
            return merge_error(error,
                               "shard %u/%u of campaign '%s' is given twice (%s and %s); give "
                               "each shard once",
                               k, c->shard_count, c->name, c->shards[k]->origin, p->origin);
        if (!c->shards[k])
            c->shards[k] = p;
    }
    return TRUE;
}

static Campaign *find_campaign(GPtrArray *campaigns, const char *name)
{
    for (guint i = 0; i < campaigns->len; i++) {
        Campaign *c = g_ptr_array_index(campaigns, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

/* Adds a part to its campaign (made on first sight); checks that its record agrees. */
static gboolean add_part(GPtrArray *campaigns, Part *p, gboolean partial, GError **error)
{
    const ReportCampaign *rec = p->suite->campaign;
    Campaign *c = find_campaign(campaigns, p->suite->name);
    if (!c) {
        c = g_new0(Campaign, 1);
        c->name = p->suite->name;
        c->parts = g_ptr_array_new_with_free_func(g_free);
        c->shard_count = MAX(rec->shard_count, 1u);
        c->shards = g_new0(const Part *, c->shard_count + 1);
        g_ptr_array_add(campaigns, c);
    }
    const Part *first = c->parts->len ? g_ptr_array_index(c->parts, 0) : NULL;
    g_ptr_array_add(c->parts, p);
    g_autofree char *diff = first ? campaign_difference(first->suite->campaign, rec) : NULL;
    if (diff && !partial)
        return merge_error(error,
                           "%s and %s are both of campaign '%s' but disagree on %s; merge the "
                           "shards of one campaign",
                           first->origin, p->origin, c->name, diff);
    return add_part_shards(c, p, partial, error);
}

/* The missing shards of a campaign as "K/N, ..."; "" if none. Caller frees. */
static char *missing_text(const Campaign *c)
{
    GString *s = g_string_new(NULL);
    for (guint k = 1; k <= c->shard_count; k++)
        if (!c->shards[k])
            g_string_append_printf(s, "%s%u/%u", s->len ? ", " : "", k, c->shard_count);
    return g_string_free(s, FALSE);
}

/* Every shard of every campaign is there, and shards of incomplete campaigns are not mixed. */
static gboolean check_complete(GPtrArray *campaigns, GError **error)
{
    const Campaign *incomplete[2] = {NULL, NULL};
    guint n = 0;
    for (guint i = 0; i < campaigns->len; i++) {
        const Campaign *c = g_ptr_array_index(campaigns, i);
        g_autofree char *missing = missing_text(c);
        if (*missing && n < 2)
            incomplete[n] = c;
        n += *missing != '\0';
    }
    if (n >= 2) {
        const Part *a = g_ptr_array_index(incomplete[0]->parts, 0);
        const Part *b = g_ptr_array_index(incomplete[1]->parts, 0);
        return merge_error(error,
                           "shards of different campaigns: %s is of '%s', %s is of '%s', and "
                           "neither campaign is whole; merge the shards of one campaign (or "
                           "give --partial)",
                           a->origin, incomplete[0]->name, b->origin, incomplete[1]->name);
    }
    if (n == 1) {
        g_autofree char *missing = missing_text(incomplete[0]);
        return merge_error(error,
                           "campaign '%s' lacks shard %s of %u; give every shard, or --partial "
                           "to merge what is there",
                           incomplete[0]->name, missing, incomplete[0]->shard_count);
    }
    return TRUE;
}

/* No seed of one protocol, fault setting and bug set is reported by two parts (overlapping
 * campaigns): the same seed is the same run, counted twice. */
static gboolean check_overlap(GPtrArray *parts, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = g_ptr_array_index(parts, i);
        const ReportCampaign *c = p->suite->campaign;
        for (guint r = 0; r < p->suite->runs->len; r++) {
            const ReportRun *run = g_ptr_array_index(p->suite->runs, r);
            char *key = g_strdup_printf("%s\x1f%s\x1f%s\x1f%" G_GUINT64_FORMAT, c->protocol,
                                        c->faults, c->bugs, run->seed);
            const Part *other = g_hash_table_lookup(seen, key);
            if (other) {
                g_free(key);
                return merge_error(error,
                                   "%s and %s both ran seed %" G_GUINT64_FORMAT
                                   " (%s, faults %s): the campaigns overlap",
                                   other->origin, p->origin, run->seed, c->protocol, c->faults);
            }
            g_hash_table_insert(seen, key, (gpointer)p);
        }
    }
    return TRUE;
}

/* Collects the campaign suites of the sets and checks them; fills `campaigns`. */
static gboolean check_campaigns(ReportSet **sets, const char *const *origins, guint n,
                                gboolean partial, GPtrArray *campaigns, GError **error)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    for (guint i = 0; i < n; i++) {
        for (guint j = 0; j < sets[i]->suites->len; j++) {
            const ReportSuite *s = g_ptr_array_index(sets[i]->suites, j);
            if (strcmp(s->command, "fuzz") != 0)
                continue;
            if (!s->campaign) {
                if (s->shards->len && !partial)
                    return merge_error(error,
                                       "%s: suite '%s' is a shard but records no campaign "
                                       "(written by an older durasim?); run it again",
                                       origins[i], s->name);
                continue;
            }
            Part *p = g_new0(Part, 1);
            *p = (Part){origins[i], s};
            g_ptr_array_add(parts, p);
            if (!add_part(campaigns, p, partial, error))
                return FALSE;
        }
    }
    return partial || (check_complete(campaigns, error) && check_overlap(parts, error));
}

/* After a --partial merge: each incomplete campaign's suite is marked, its gaps named. */
static void mark_partial(ReportSet *merged, GPtrArray *campaigns)
{
    for (guint i = 0; i < campaigns->len; i++) {
        const Campaign *c = g_ptr_array_index(campaigns, i);
        ReportSuite *s = find_suite(merged, c->name);
        g_ptr_array_set_size(s->missing, 0);
        for (guint k = 1; k <= c->shard_count; k++)
            if (!c->shards[k])
                g_ptr_array_add(s->missing, g_strdup_printf("%u/%u", k, c->shard_count));
        s->partial = s->missing->len > 0;
    }
}

ReportSet *report_merge(ReportSet **sets, const char *const *origins, guint n, gboolean partial,
                        GError **error)
{
    g_autoptr(GPtrArray) campaigns = g_ptr_array_new_with_free_func((GDestroyNotify)campaign_free);
    if (!check_campaigns(sets, origins, n, partial, campaigns, error))
        return NULL;
    /* The parts point into the sets; the missing shards are known before the suites move. */
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < campaigns->len; i++) {
        Campaign *c = g_ptr_array_index(campaigns, i);
        g_ptr_array_add(names, g_strdup(c->name));
        c->name = g_ptr_array_index(names, names->len - 1);
    }
    ReportSet *merged = report_set_new();
    for (guint i = 0; i < n; i++)
        report_set_merge(merged, sets[i]);
    mark_partial(merged, campaigns);
    g_ptr_array_unref(names);
    return merged;
}
