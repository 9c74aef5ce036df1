/* reports/report_dash.c — the dashboard of a suite, for summary.md and index.html (see
 * reports/report_dash.h).
 *
 * Invariants: every list is in a fixed order (coverage groups and counters in the order the
 * coverage holds them, which report_coverage_new fixes; distributions by their natural order or
 * by count, ties by label), never in hash-table order.
 */
#include "reports/report_dash.h"

#include "model/protocol.h"
#include "reports/report_svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIST_CAP 16 /* bars of one distribution; the rest are counted as "other" */

typedef struct {
    char *label;
    uint64_t n;
    gint64 order; /* sorts before the count (e.g. the number of nodes) */
} DistRow;

typedef struct {
    ReportTotals t;
    guint beyond;
    uint64_t acked, failed, indeterminate, orphans;
    double run_wall; /* summed wall time of the runs */
    guint kind_runs[V_KIND_COUNT], kind_expected[V_KIND_COUNT];
    GArray *nodes, *quorum, *sloppy, *fs; /* of DistRow */
    guint protocols;                      /* bit per protocol that ran (registry index) */
} Dash;

static void dist_add(GArray *rows, const char *label, gint64 order)
{
    for (guint i = 0; i < rows->len; i++) {
        DistRow *r = &g_array_index(rows, DistRow, i);
        if (strcmp(r->label, label) == 0) {
            r->n++;
            return;
        }
    }
    DistRow r = {g_strdup(label), 1, order};
    g_array_append_val(rows, r);
}

static int dist_cmp(const void *a, const void *b)
{
    const DistRow *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->label, y->label);
}

static void dist_row_clear(void *p)
{
    g_free(((DistRow *)p)->label);
}

static GArray *dist_new(void)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(DistRow));
    g_array_set_clear_func(a, dist_row_clear);
    return a;
}

static void dash_shape(Dash *d, const ReportRun *r)
{
    const ReportShape *s = &r->shape;
    if (s->nodes) {
        g_autofree char *n = g_strdup_printf("%u nodes", s->nodes);
        dist_add(d->nodes, n, s->nodes);
    }
    if (s->replicas) {
        g_autofree char *q =
            g_strdup_printf("N=%u W=%u R=%u%s", s->replicas, s->write_quorum, s->read_quorum,
                            s->write_quorum + s->read_quorum > s->replicas ? "" : " (not strict)");
        dist_add(d->quorum, q, 0);
        dist_add(d->sloppy, s->sloppy ? "sloppy" : "strict membership", s->sloppy ? 1 : 0);
    } else if (s->nodes && r->protocol && strcmp(r->protocol, "quorum") != 0) {
        g_autofree char *q = g_strdup_printf("majority of %u", s->nodes);
        dist_add(d->quorum, q, 0);
    }
    if (s->fs >= 0 && s->fs < FS_PROFILE_COUNT)
        dist_add(d->fs, fs_profile_name((FsProfile)s->fs), s->fs);
}

static void dash_compute(Dash *d, const ReportSuite *s)
{
    memset(d, 0, sizeof *d);
    report_suite_totals(s, &d->t);
    d->nodes = dist_new();
    d->quorum = dist_new();
    d->fs = dist_new();
    d->sloppy = dist_new();
    /* every profile, so that one no run used shows as 0 */
    for (int f = 0; f < FS_PROFILE_COUNT; f++) {
        DistRow row = {g_strdup(fs_profile_name((FsProfile)f)), 0, f};
        g_array_append_val(d->fs, row);
    }
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        d->beyond += r->beyond_model;
        d->acked += r->acked;
        d->failed += r->failed;
        d->indeterminate += r->indeterminate;
        d->orphans += r->orphans;
        d->run_wall += r->wall_seconds;
        for (int k = 0; k < V_KIND_COUNT; k++) {
            d->kind_runs[k] += (r->kinds >> k) & 1u;
            d->kind_expected[k] += (r->kinds & r->expected) >> k & 1u;
        }
        dash_shape(d, r);
        const Protocol *p = r->protocol ? protocol_find(r->protocol) : NULL;
        if (p)
            d->protocols |= 1u << protocol_index(p);
    }
    g_array_sort(d->nodes, dist_cmp);
    g_array_sort(d->quorum, dist_cmp);
    g_array_sort(d->fs, dist_cmp);
    uint64_t known = 0;
    for (guint i = 0; i < d->fs->len; i++)
        known += g_array_index(d->fs, DistRow, i).n;
    if (!known)
        g_array_set_size(d->fs, 0); /* a report from before runs recorded their profile */
}

static void dash_clear(Dash *d)
{
    g_array_unref(d->nodes);
    g_array_unref(d->quorum);
    g_array_unref(d->fs);
    g_array_unref(d->sloppy);
}

/* The distribution as items, at most DIST_CAP (the rest summed as "other"); caller frees. */
static SvgItem *dist_items(GArray *rows, guint *n, char **other)
{
    guint shown = MIN(rows->len, DIST_CAP);
    SvgItem *items = g_new0(SvgItem, shown + 1);
    uint64_t rest = 0;
    for (guint i = 0; i < rows->len; i++) {
        DistRow *r = &g_array_index(rows, DistRow, i);
        if (i < shown)
            items[i] = (SvgItem){r->label, r->n};
        else
            rest += r->n;
    }
    *n = shown;
    *other = NULL;
    if (rest) {
        *other = g_strdup_printf("%u others", rows->len - shown);
        items[shown] = (SvgItem){*other, rest};
        (*n)++;
    }
    return items;
}

/* ---- coverage groups ---- */

/* A readable title for a coverage group. */
static const char *group_title(const char *name)
{
    static const struct {
        const char *name, *title;
    } titles[] = {
        {"faults", "fault kinds (faults fired)"},
        {"failpoints", "failpoints (times hit)"},
        {"client_failures", "client failures (by reason)"},
        {"marks", "reachability marks (times reached)"},
        {"marks_not_owed", "marks a campaign within the model cannot reach (times reached)"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(titles); i++)
        if (strcmp(titles[i].name, name) == 0)
            return titles[i].title;
    return name;
}

/* Whether a failpoint belongs to a protocol that ran (another protocol's can never fire). */
static gboolean failpoint_ran(const char *name, guint protocols)
{
    gboolean known = FALSE;
    for (guint i = 0; i < protocol_count(); i++) {
        FailpointId fp;
        if (!protocol_failpoint_parse(protocol_at(i), name, &fp))
            continue;
        if (!protocols || (protocols >> i & 1u))
            return TRUE;
        known = TRUE;
    }
    return !known;
}

/* The members of a coverage group as items (in the coverage's order), leaving out failpoints of
 * protocols that did not run; caller frees. */
static SvgItem *group_items(const char *group_name, JsonObject *group, guint protocols, guint *n)
{
    g_autoptr(GList) names = json_object_get_members(group);
    SvgItem *items = g_new0(SvgItem, g_list_length(names) + 1);
    gboolean fps = strcmp(group_name, "failpoints") == 0;
    *n = 0;
    for (GList *l = names; l; l = l->next)
        if (!fps || failpoint_ran(l->data, protocols))
            items[(*n)++] =
                (SvgItem){l->data, (uint64_t)MAX(report_json_int(group, l->data, 0), 0)};
    return items;
}

static guint never_count(const SvgItem *items, guint n)
{
    guint never = 0;
    for (guint i = 0; i < n; i++)
        never += items[i].value == 0;
    return never;
}

/* What a suite's rate counts: seeds for a campaign, runs otherwise. */
static const char *rate_unit(const ReportSuite *s)
{
    return strcmp(s->command, "fuzz") == 0 ? "seeds" : "runs";
}

/* ---- summary.md ---- */

static void md_outcomes(GString *out, const Dash *d, const ReportSuite *s)
{
    g_string_append_printf(out,
                           "| runs | passed | failed | beyond model | acked / failed / "
                           "indeterminate / orphans | %s per second |\n|---|---|---|---|---|---|\n",
                           rate_unit(s));
    g_string_append_printf(out,
                           "| %u | %u | %u | %u | %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
                           " / %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT " | ",
                           d->t.runs, d->t.passed, d->t.failed, d->beyond, d->acked, d->failed,
                           d->indeterminate, d->orphans);
    if (s->wall_seconds > 0)
        g_string_append_printf(out, "%.0f (%u in %.2fs wall)", d->t.runs / s->wall_seconds,
                               d->t.runs, s->wall_seconds);
    g_string_append(out, " |\n\n");
    gboolean any = FALSE;
    for (int k = 0; k < V_KIND_COUNT; k++)
        any |= d->kind_runs[k] > 0;
    if (!any) {
        g_string_append(out, "No violation in any run.\n\n");
        return;
    }
    g_string_append(out, "| violation | runs | of them expected |\n|---|---|---|\n");
    for (int k = 0; k < V_KIND_COUNT; k++)
        if (d->kind_runs[k])
            g_string_append_printf(out, "| %s | %u | %u |\n", violation_kind_name((ViolationKind)k),
                                   d->kind_runs[k], d->kind_expected[k]);
    g_string_append_c(out, '\n');
}

/* A bar of up to 10 blocks, by log(1 + n) against the largest count of its group. */
static void md_bar(GString *out, uint64_t n, uint64_t max)
{
    int blocks = n ? (int)ceil(10.0 * log1p((double)n) / log1p((double)MAX(max, 1))) : 0;
    for (int i = 0; i < blocks; i++)
        g_string_append(out, "█");
}

static void md_group_rows(GString *out, const char *title, const SvgItem *items, guint n)
{
    uint64_t max = 0;
    for (guint i = 0; i < n; i++)
        max = MAX(max, items[i].value);
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(out, "| %s | `%s` | ", i ? "" : title, items[i].label);
        if (items[i].value) {
            g_string_append_printf(out, "%" G_GUINT64_FORMAT " | ", items[i].value);
            md_bar(out, items[i].value, max);
        } else {
            g_string_append(out, "**never** | ");
        }
        g_string_append(out, " |\n");
    }
}

/* The coverage table: every counter group (heat as a bar of blocks, never-fired ones in bold)
 * and the plain counters, then the never-fired ones of each group in one line each. */
static void md_coverage(GString *out, JsonObject *cov, guint protocols)
{
    g_autoptr(GList) names = json_object_get_members(cov);
    GArray *plain = g_array_new(FALSE, FALSE, sizeof(SvgItem));
    GString *never = g_string_new(NULL);
    g_string_append(out, "| exercised | name | times | heat |\n|---|---|---|---|\n");
    for (GList *l = names; l; l = l->next) {
        JsonNode *node = json_object_get_member(cov, l->data);
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            SvgItem it = {l->data, (uint64_t)MAX(report_json_int(cov, l->data, 0), 0)};
            g_array_append_val(plain, it);
            continue;
        }
        guint n;
        g_autofree SvgItem *items = group_items(l->data, json_node_get_object(node), protocols, &n);
        md_group_rows(out, group_title(l->data), items, n);
        guint none = never_count(items, n);
        if (!none)
            continue;
        g_string_append_printf(never, "- **never fired** (%u of %u %s): ", none, n,
                               (const char *)l->data);
        for (guint i = 0, k = 0; i < n; i++)
            if (!items[i].value)
                g_string_append_printf(never, "%s`%s`", k++ ? ", " : "", items[i].label);
        g_string_append_c(never, '\n');
    }
    md_group_rows(out, "counters", (SvgItem *)plain->data, plain->len);
    g_string_append_c(out, '\n');
    if (never->len)
        g_string_append_printf(out, "%s\n", never->str);
    g_string_free(never, TRUE);
    g_array_free(plain, TRUE);
}

static void md_dist(GString *out, const char *title, GArray *rows, guint runs)
{
    if (!rows->len)
        return;
    guint n;
    char *other;
    g_autofree SvgItem *items = dist_items(rows, &n, &other);
    g_string_append_printf(out, "**%s**: ", title);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(out, "%s%s %" G_GUINT64_FORMAT " (%.0f%%)", i ? ", " : "",
                               items[i].label, items[i].value,
                               100.0 * items[i].value / MAX(runs, 1));
    g_string_append(out, ".\n\n");
    g_free(other);
}

static gboolean latency_any(const ReportLatency *lat)
{
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++)
        if (report_latency_count(lat, (ReportLatOutcome)o) > 0)
            return TRUE;
    return FALSE;
}

static void md_latency(GString *out, const ReportLatency *lat)
{
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    if (!latency_any(lat))
        return;
    g_string_append(out, "| operations | count | p50 | p90 | p99 | p99.9 | max |\n"
                         "|---|---|---|---|---|---|---|\n");
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++) {
        uint64_t n = report_latency_count(lat, (ReportLatOutcome)o);
        if (!n)
            continue;
        g_string_append_printf(out, "| %s | %" G_GUINT64_FORMAT " |",
                               report_lat_outcome_name((ReportLatOutcome)o), n);
        for (guint i = 0; i < G_N_ELEMENTS(qs); i++) {
            char buf[32];
            SimTime t = report_latency_quantile(lat, (ReportLatOutcome)o, qs[i]);
            g_string_append_printf(out, " ≤%s |", svg_time_label((double)t, buf, sizeof buf));
        }
        char buf[32];
        g_string_append_printf(out, " %s |\n",
                               svg_time_label((double)lat->max[o], buf, sizeof buf));
    }
    if (lat->pending)
        g_string_append_printf(out, "\n%" G_GUINT64_FORMAT " operations never completed.\n",
                               lat->pending);
    g_string_append(out,
                    "\n_Latencies of client operations in simulated time, invocation to "
                    "final outcome; percentiles are bucket bounds (10 buckets a decade)._\n\n");
}

void report_dash_markdown(GString *out, const ReportSuite *s)
{
    Dash d;
    dash_compute(&d, s);
    g_string_append(out, "### Dashboard\n\n");
    md_outcomes(out, &d, s);
    g_string_append(out, "#### What the runs exercised\n\n");
    md_coverage(out, s->coverage, d.protocols);
    md_dist(out, "cluster sizes", d.nodes, d.t.runs);
    md_dist(out, "quorum settings", d.quorum, d.t.runs);
    md_dist(out, "quorum membership", d.sloppy, d.t.runs);
    md_dist(out, "file-system profiles", d.fs, d.t.runs);
    md_latency(out, &s->latency);
    dash_clear(&d);
}

/* ---- index.html ---- */

static void html_outcomes(GString *out, const Dash *d, const ReportSuite *s)
{
    g_string_append(out, "<div class=\"tiles\">");
    const struct {
        const char *label, *cls;
        uint64_t n;
    } tiles[] = {
        {"runs", "", d->t.runs},
        {"passed", "pass", d->t.passed},
        {"failed", d->t.failed ? "fail" : "", d->t.failed},
        {"beyond model", "", d->beyond},
        {"writes acked", "", d->acked},
        {"failed", "", d->failed},
        {"indeterminate", "", d->indeterminate},
        {"orphans", "", d->orphans},
    };
    for (guint i = 0; i < G_N_ELEMENTS(tiles); i++)
        g_string_append_printf(out, "<div class=\"tile %s\"><b>%" G_GUINT64_FORMAT "</b>%s</div>",
                               tiles[i].cls, tiles[i].n, tiles[i].label);
    if (s->wall_seconds > 0)
        g_string_append_printf(out,
                               "<div class=\"tile\" title=\"%u runs in %.2fs of wall time\">"
                               "<b>%.0f</b>%s per second</div>",
                               d->t.runs, s->wall_seconds, d->t.runs / s->wall_seconds,
                               rate_unit(s));
    g_string_append(out, "</div>");
}

static void html_kinds(GString *out, const Dash *d)
{
    SvgItem items[V_KIND_COUNT];
    char *labels[V_KIND_COUNT];
    guint n = 0;
    for (int k = 0; k < V_KIND_COUNT; k++) {
        if (!d->kind_runs[k])
            continue;
        labels[n] = d->kind_expected[k]
                        ? g_strdup_printf("%s (%u expected)", violation_kind_name((ViolationKind)k),
                                          d->kind_expected[k])
                        : g_strdup(violation_kind_name((ViolationKind)k));
        items[n] = (SvgItem){labels[n], d->kind_runs[k]};
        n++;
    }
    g_string_append(out, "<h4>Violations by kind (runs)</h4>");
    if (!n)
        g_string_append(out, "<p class=\"muted\">No violation in any run.</p>");
    else
        svg_bars(out, items, n, d->t.runs, "bars kinds");
    for (guint i = 0; i < n; i++)
        g_free(labels[i]);
}

static void html_group(GString *out, const char *name, JsonObject *group, guint protocols,
                       guint suite, guint gi)
{
    guint n;
    g_autofree SvgItem *items = group_items(name, group, protocols, &n);
    if (!n)
        return;
    g_autofree char *cls = g_strdup_printf("s%ug%u", suite, gi);
    g_string_append(out, "<div class=\"group\" data-group=\"");
    svg_escape(out, name);
    g_string_append(out, "\"><h4>");
    svg_escape(out, group_title(name));
    g_string_append(out, "</h4>");
    svg_heat(out, items, n, cls);
    guint never = never_count(items, n);
    if (never) {
        g_string_append_printf(out, "<p class=\"never\"><b>Never fired (%u of %u):</b> ", never, n);
        gboolean first = TRUE;
        for (guint i = 0; i < n; i++) {
            if (items[i].value)
                continue;
            g_string_append(out, first ? "" : ", ");
            svg_escape(out, items[i].label);
            first = FALSE;
        }
        g_string_append(out, "</p>");
    }
    g_string_append(out, "</div>");
}

static void html_coverage(GString *out, JsonObject *cov, guint protocols, guint suite)
{
    g_autoptr(GList) names = json_object_get_members(cov);
    guint gi = 0;
    GArray *plain = g_array_new(FALSE, FALSE, sizeof(SvgItem));
    for (GList *l = names; l; l = l->next) {
        JsonNode *n = json_object_get_member(cov, l->data);
        if (JSON_NODE_HOLDS_OBJECT(n)) {
            html_group(out, l->data, json_node_get_object(n), protocols, suite, gi++);
        } else {
            SvgItem it = {l->data, (uint64_t)MAX(report_json_int(cov, l->data, 0), 0)};
            g_array_append_val(plain, it);
        }
    }
    if (plain->len) {
        g_string_append(out, "<div class=\"group\" data-group=\"counters\"><h4>counters</h4>");
        g_autofree char *cls = g_strdup_printf("s%ug%u", suite, gi);
        svg_heat(out, (SvgItem *)plain->data, plain->len, cls);
        g_string_append(out, "</div>");
    }
    g_array_free(plain, TRUE);
}

static void html_dist(GString *out, const char *title, GArray *rows, guint runs, const char *cls)
{
    if (!rows->len)
        return;
    guint n;
    char *other;
    g_autofree SvgItem *items = dist_items(rows, &n, &other);
    g_string_append_printf(out, "<div class=\"dist\"><h4>%s</h4>", title);
    svg_bars(out, items, n, runs, cls);
    g_string_append(out, "</div>");
    g_free(other);
}

static void html_latency(GString *out, const ReportLatency *lat)
{
    if (!latency_any(lat))
        return;
    g_string_append(out, "<div class=\"dist\"><h4>Latency of client operations (CDF)</h4>");
    svg_latency_cdf(out, lat);
    g_string_append(out, "<table class=\"pct\"><tr><th>operations</th><th>count</th><th>p50</th>"
                         "<th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++) {
        uint64_t n = report_latency_count(lat, (ReportLatOutcome)o);
        if (!n)
            continue;
        g_string_append_printf(out,
                               "<tr><td style=\"color:%s\">%s</td><td>%" G_GUINT64_FORMAT "</td>",
                               svg_outcome_colour((ReportLatOutcome)o),
                               report_lat_outcome_name((ReportLatOutcome)o), n);
        char buf[32];
        for (guint i = 0; i < G_N_ELEMENTS(qs); i++)
            g_string_append_printf(
                out, "<td>&le;%s</td>",
                svg_time_label((double)report_latency_quantile(lat, (ReportLatOutcome)o, qs[i]),
                               buf, sizeof buf));
        g_string_append_printf(out, "<td>%s</td></tr>",
                               svg_time_label((double)lat->max[o], buf, sizeof buf));
    }
    g_string_append(out, "</table></div>");
}

void report_dash_html(GString *out, const ReportSuite *s, guint index)
{
    Dash d;
    dash_compute(&d, s);
    g_string_append_printf(out, "<div class=\"dashboard\" data-suite=\"%u\">", index);
    html_outcomes(out, &d, s);
    g_string_append(out, "<div class=\"cols\"><div>");
    html_kinds(out, &d);
    html_dist(out, "Cluster sizes (runs)", d.nodes, d.t.runs, "bars nodes");
    html_dist(out, "Quorum settings (runs)", d.quorum, d.t.runs, "bars quorum");
    html_dist(out, "Quorum membership (runs)", d.sloppy, d.t.runs, "bars sloppy");
    html_dist(out, "File-system profiles (runs)", d.fs, d.t.runs, "bars fs");
    g_string_append(out, "</div><div>");
    html_latency(out, &s->latency);
    g_string_append(out, "</div></div><h3>What the runs exercised</h3>");
    html_coverage(out, s->coverage, d.protocols, index);
    g_string_append(out, "</div>");
    dash_clear(&d);
}
