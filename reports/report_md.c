/* reports/report_md.c — summary.md: a results table per command and, for each failing run
 * reported in full, its violations, the command that replays it, and a Mermaid sequenceDiagram of
 * its causal trace slice (messages, disk writes and fsyncs, faults and client replies), which
 * GitHub and GitLab render as a picture. Suited to a CI step summary.
 */
#include "reports/report.h"
#include "reports/report_dash.h"

#include <string.h>

/* Text for a Markdown table cell: one line, pipes escaped. */
static void md_cell(GString *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '|')
            g_string_append(out, "\\|");
        else if (*p == '\n' || *p == '\r')
            g_string_append_c(out, ' ');
        else if (*p == '<')
            g_string_append(out, "&lt;");
        else
            g_string_append_c(out, *p);
    }
}

/* Text inside a Mermaid message or note: the characters Mermaid gives meaning to become its
 * entity codes; long labels are cut. */
static void mermaid_text(GString *out, const char *text, gsize max)
{
    gsize n = 0;
    for (const char *p = text ? text : ""; *p && n < max; p++, n++) {
        switch (*p) {
        case ';':
            g_string_append(out, "#59;");
            break;
        case '#':
            g_string_append(out, "#35;");
            break;
        case '<':
            g_string_append(out, "#lt;");
            break;
        case '>':
            g_string_append(out, "#gt;");
            break;
        case '\n':
        case '\r':
            g_string_append_c(out, ' ');
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
    if (text && strlen(text) > max)
        g_string_append(out, "...");
}

/* A Mermaid participant id for a lane name ("r1 disk" -> "r1_disk"). */
static void mermaid_id(GString *out, const char *name)
{
    for (const char *p = name; *p; p++)
        g_string_append_c(out, g_ascii_isalnum(*p) ? *p : '_');
}

static gboolean drawable(JsonObject *e)
{
    const char *k = report_json_str(e, "k");
    if (!k || strcmp(k, "deliver") == 0 || strcmp(k, "failpoint") == 0 || strcmp(k, "timer") == 0 ||
        strcmp(k, "drop") == 0)
        return FALSE;
    const char *label = report_json_str(e, "label");
    return !(label && g_str_has_prefix(label, "read "));
}

/* The drawable events, cut to the REPORT_MERMAID_CAP window that holds the most hot ones. */
static GPtrArray *pick_events(JsonArray *events, guint *skipped)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint i = 0; i < json_array_get_length(events); i++) {
        JsonObject *e = json_array_get_object_element(events, i);
        if (drawable(e))
            g_ptr_array_add(all, e);
    }
    guint cap = REPORT_MERMAID_CAP - 10; /* room for participants and notes */
    *skipped = all->len > cap ? all->len - cap : 0;
    if (all->len <= cap)
        return all;
    guint best = 0, best_hot = 0, hot = 0;
    for (guint i = 0; i < all->len; i++) {
        hot += report_json_bool(g_ptr_array_index(all, i), "hot");
        if (i >= cap)
            hot -= report_json_bool(g_ptr_array_index(all, i - cap), "hot");
        if (i + 1 >= cap && hot > best_hot) {
            best_hot = hot;
            best = i + 1 - cap;
        }
    }
    GPtrArray *cut = g_ptr_array_new();
    for (guint i = best; i < best + cap; i++)
        g_ptr_array_add(cut, g_ptr_array_index(all, i));
    g_ptr_array_unref(all);
    return cut;
}

static void arrow(GString *out, const char *from, const char *arrow_text, const char *to)
{
    g_string_append(out, "    ");
    mermaid_id(out, from);
    g_string_append(out, arrow_text);
    mermaid_id(out, to);
    g_string_append(out, ": ");
}

/* One event as one Mermaid line. */
static void mermaid_event(GString *out, JsonObject *e, JsonObject *drop, const char *first_lane,
                          const char *last_lane)
{
    const char *k = report_json_str(e, "k");
    const char *lane = report_json_str(e, "lane");
    const char *peer = report_json_str(e, "peer");
    char when[32];
    report_time(report_json_int(e, "t", 0), when, sizeof when);
    g_autofree char *label =
        g_strdup_printf("%s %s%s", g_strstrip(when), report_json_bool(e, "hot") ? "! " : "",
                        report_json_str(e, "label"));
    g_autofree char *disk = g_strdup_printf("%s disk", lane ? lane : "");
    if (strcmp(k, "send") == 0 && lane && peer) {
        arrow(out, lane, drop ? "-x" : "->>", peer);
        mermaid_text(out, label, 90);
        if (drop)
            mermaid_text(out, strstr(report_json_str(drop, "label"), " dropped"), 40);
    } else if (strcmp(k, "disk") == 0 && lane) {
        arrow(out, lane, "->>", disk);
        mermaid_text(out, label, 90);
    } else if (strcmp(k, "disk-done") == 0 && lane) {
        gboolean ok = g_strcmp0(report_json_str(e, "result"), "ok") == 0;
        arrow(out, disk, ok ? "-->>" : "--x", lane);
        mermaid_text(out, label, 90);
    } else {
        g_string_append(out, "    Note over ");
        if (lane) {
            mermaid_id(out, lane);
        } else {
            mermaid_id(out, first_lane);
            g_string_append_c(out, ',');
            mermaid_id(out, last_lane);
        }
        g_string_append(out, ": ");
        mermaid_text(out, label, 90);
    }
    g_string_append_c(out, '\n');
}

static void mermaid_participants(GString *out, JsonArray *lanes)
{
    for (guint i = 0; i < json_array_get_length(lanes); i++) {
        const char *name = report_json_str(json_array_get_object_element(lanes, i), "name");
        g_string_append(out, "    participant ");
        mermaid_id(out, name);
        g_string_append(out, " as ");
        mermaid_text(out, name, 40);
        g_string_append_c(out, '\n');
    }
}

static void mermaid_diagram(GString *out, JsonObject *detail)
{
    JsonObject *trace = report_json_object(detail, "trace");
    JsonArray *lanes = report_json_array(trace, "lanes");
    JsonArray *events = report_json_array(trace, "events");
    if (!lanes || !events || json_array_get_length(lanes) == 0)
        return;
    const char *first = report_json_str(json_array_get_object_element(lanes, 0), "name");
    const char *last = report_json_str(
        json_array_get_object_element(lanes, json_array_get_length(lanes) - 1), "name");
    guint skipped;
    g_autoptr(GPtrArray) picked = pick_events(events, &skipped);
    g_string_append(out, "```mermaid\nsequenceDiagram\n");
    mermaid_participants(out, lanes);
    gboolean in_rect = FALSE;
    for (guint i = 0; i < picked->len; i++) {
        JsonObject *e = g_ptr_array_index(picked, i);
        gboolean hot = report_json_bool(e, "hot");
        if (hot != in_rect)
            g_string_append(out, hot ? "    rect rgb(255, 228, 228)\n" : "    end\n");
        in_rect = hot;
        JsonObject *drop = NULL;
        if (json_object_has_member(e, "msg")) {
            gint64 id = report_json_int(e, "msg", -1);
            for (guint k = 0; k < json_array_get_length(events) && !drop; k++) {
                JsonObject *d = json_array_get_object_element(events, k);
                if (g_strcmp0(report_json_str(d, "k"), "drop") == 0 &&
                    report_json_int(d, "msg", -2) == id)
                    drop = d;
            }
        }
        mermaid_event(out, e, drop, first, last);
    }
    if (in_rect)
        g_string_append(out, "    end\n");
    JsonArray *violations = report_json_array(detail, "violations");
    for (guint i = 0; violations && i < json_array_get_length(violations) && i < 4; i++) {
        JsonObject *v = json_array_get_object_element(violations, i);
        g_autofree char *text =
            g_strdup_printf("%s: %s", report_json_str(v, "kind"), report_json_str(v, "text"));
        g_string_append(out, "    Note over ");
        mermaid_id(out, first);
        g_string_append_c(out, ',');
        mermaid_id(out, last);
        g_string_append(out, ": ");
        mermaid_text(out, text, 160);
        g_string_append_c(out, '\n');
    }
    g_string_append(out, "```\n\n");
    g_string_append_printf(
        out,
        "_%u of %" G_GINT64_FORMAT " trace records in the slice, %u drawn%s; "
        "lines marked `!` touch the violating operations; index.html steps through them._\n\n",
        json_array_get_length(events), report_json_int(trace, "records", 0), picked->len,
        skipped ? " (the window with the most of them)" : "");
}

/* The violation kinds of a run: those its scenario expects marked "(expected)", the others
 * in bold. */
static void violation_cell(GString *out, const ReportRun *r)
{
    gboolean first = TRUE;
    for (int k = 0; k < V_KIND_COUNT; k++) {
        if (!(r->kinds & (1u << k)))
            continue;
        const char *name = violation_kind_name((ViolationKind)k);
        if (r->expected & (1u << k))
            g_string_append_printf(out, "%s%s (expected)", first ? "" : ", ", name);
        else
            g_string_append_printf(out, "%s**%s**", first ? "" : ", ", name);
        first = FALSE;
    }
}

static void table_row(GString *out, const ReportRun *r)
{
    g_string_append_printf(out, "| %s | ", r->passed ? "pass" : "**FAIL**");
    md_cell(out, r->name);
    g_string_append_printf(
        out, " | %s | %" G_GUINT64_FORMAT " | `%016" G_GINT64_MODIFIER "x` | %u / %u / %u / %u | ",
        r->protocol ? r->protocol : "?", r->seed, r->trace_hash, r->acked, r->failed,
        r->indeterminate, r->orphans);
    violation_cell(out, r);
    g_string_append(out, " |\n");
}

static void table(GString *out, const ReportSuite *s, const ReportTotals *t)
{
    gboolean every = s->runs->len <= REPORT_LIST_CAP;
    g_string_append(out, "| verdict | run | protocol | seed | trace hash | acked / failed / "
                         "indeterminate / orphans | violations |\n");
    g_string_append(out, "|---|---|---|---|---|---|---|\n");
    guint rows = 0, hidden = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        if (!every && r->passed)
            continue;
        if (rows >= REPORT_ROWS_CAP) {
            hidden++;
            continue;
        }
        table_row(out, r);
        rows++;
    }
    if (rows == 0)
        g_string_append(out, "| pass | _every run passed_ | | | | | |\n");
    g_string_append_c(out, '\n');
    if (!every)
        g_string_append_printf(out, "%u passing runs are not listed (report.json has them).\n",
                               t->passed);
    if (hidden)
        g_string_append_printf(out, "%u more failing runs are in report.json.\n", hidden);
    if (!every || hidden)
        g_string_append_c(out, '\n');
}

static void failure_section(GString *out, const ReportRun *r)
{
    g_string_append(out, "### FAIL ");
    md_cell(out, r->name);
    g_string_append_printf(out,
                           " (seed %" G_GUINT64_FORMAT ", trace `%016" G_GINT64_MODIFIER "x`)\n\n",
                           r->seed, r->trace_hash);
    JsonArray *failures = report_json_array(r->detail, "expectations_failed");
    for (guint i = 0; failures && i < json_array_get_length(failures); i++) {
        g_string_append(out, "- expected: ");
        md_cell(out, json_array_get_string_element(failures, i));
        g_string_append_c(out, '\n');
    }
    JsonArray *violations = report_json_array(r->detail, "violations");
    for (guint i = 0; violations && i < json_array_get_length(violations); i++) {
        JsonObject *v = json_array_get_object_element(violations, i);
        ViolationKind k;
        const char *kind = report_json_str(v, "kind");
        if (kind && violation_kind_parse(kind, &k) && (r->expected & (1u << k)))
            g_string_append_printf(out, "- %s (expected) at %s: ", kind,
                                   report_json_str(v, "time"));
        else
            g_string_append_printf(out, "- **%s** at %s: ", kind, report_json_str(v, "time"));
        md_cell(out, report_json_str(v, "text"));
        g_string_append_c(out, '\n');
    }
    g_string_append_printf(out, "- replay: `%s`\n\n", r->replay ? r->replay : "");
    mermaid_diagram(out, r->detail);
}

static void suite_section(GString *out, const ReportSuite *s)
{
    guint drawn = 0;
    ReportTotals t;
    report_suite_totals(s, &t);
    g_string_append(out, "## `");
    md_cell(out, s->name);
    g_string_append_printf(
        out, "`\n\n%u runs: %u passed, %u failed; %" G_GUINT64_FORMAT " events; wall %.2fs", t.runs,
        t.passed, t.failed, t.events, s->wall_seconds);
    if (s->shards->len)
        g_string_append_printf(out, "; %u shards merged", s->shards->len);
    g_string_append(out, ".\n\n");
    if (s->partial) {
        g_string_append(out, "**PARTIAL** — this campaign is incomplete: missing shard");
        for (guint i = 0; i < s->missing->len; i++)
            g_string_append_printf(out, "%s%s", i ? ", " : " ",
                                   (const char *)g_ptr_array_index(s->missing, i));
        g_string_append(out, " (merged with `--partial`).\n\n");
    }
    report_dash_markdown(out, s);
    g_string_append(out, "### Runs\n\n");
    table(out, s, &t);
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        if (!r->passed && r->detail && drawn < REPORT_MD_FAILURES_CAP) {
            failure_section(out, r);
            drawn++;
        }
    }
    if (t.failed > drawn)
        g_string_append_printf(out,
                               "%u failing runs are drawn above; index.html shows %u in full "
                               "and report.json lists all %u.\n\n",
                               drawn, t.failed - t.one_line_failures, t.failed);
    if (t.one_line_failures)
        g_string_append_printf(out,
                               "%u failing runs are reported as one line each (report.json); "
                               "replay one to see it in full.\n\n",
                               t.one_line_failures);
}

gboolean report_write_markdown(const ReportSet *set, const char *dir, GError **error)
{
    GString *out = g_string_sized_new(4096);
    ReportTotals t;
    report_set_totals(set, &t);
    g_string_append_printf(out,
                           "# durasim report\n\n**%s**%s — %u runs: %u passed, %u failed "
                           "(%" G_GUINT64_FORMAT " events, wall %.2fs).",
                           t.failed ? "FAILED" : "PASSED",
                           report_set_partial(set) ? " (PARTIAL)" : "", t.runs, t.passed, t.failed,
                           t.events, t.wall_seconds);
    if (t.failed > t.one_line_failures)
        g_string_append(out, " Open index.html to step through each failing run.");
    else if (t.detailed)
        g_string_append(out, " Open index.html to step through each run.");
    g_string_append(out, "\n\n");
    for (guint i = 0; i < set->suites->len; i++)
        suite_section(out, g_ptr_array_index(set->suites, i));
    gboolean ok = report_save(dir, "summary.md", out->str, out->len, error);
    g_string_free(out, TRUE);
    return ok;
}
