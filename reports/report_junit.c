/* reports/report_junit.c — junit.xml in the Ant/Jenkins JUnit format that Jenkins, GitLab and
 * GitHub test reporters read (reports/schema/junit.xsd is the subset we promise).
 *
 * One <testsuite> per command; one <testcase> per scenario (run, replay) or per failing seed
 * (fuzz), plus one passing testcase that counts a campaign's passing seeds. A failure's message
 * is its first violation or unmet expectation; its body lists all of them and the command that
 * replays the run.
 */
#include "reports/report.h"

#include <string.h>

/* Escapes text for XML 1.0: markup characters, and control characters dropped (XML 1.0 cannot
 * carry them even as references). */
static void xml_text(GString *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default:
            if (c >= 0x20 || c == '\n' || c == '\t')
                g_string_append_c(out, (char)c);
        }
    }
}

/* The violation kinds of a run ("lost-ack,early-ack"), or "expectation" when only an
 * expectation failed. Caller frees. */
static char *failure_type(const ReportRun *r)
{
    return r->kinds ? violation_set_format(r->kinds) : g_strdup("expectation");
}

static void failure_body(GString *out, const ReportRun *r)
{
    GString *b = g_string_new(NULL);
    JsonArray *failures = report_json_array(r->detail, "expectations_failed");
    JsonArray *violations = report_json_array(r->detail, "violations");
    for (guint i = 0; failures && i < json_array_get_length(failures); i++)
        g_string_append_printf(b, "expected: %s\n", json_array_get_string_element(failures, i));
    for (guint i = 0; violations && i < json_array_get_length(violations); i++) {
        JsonObject *v = json_array_get_object_element(violations, i);
        g_string_append_printf(b, "%s at %s: %s\n", report_json_str(v, "kind"),
                               report_json_str(v, "time"), report_json_str(v, "text"));
    }
    if (!r->detail && r->first)
        g_string_append_printf(b, "%s\n", r->first);
    g_string_append_printf(
        b, "seed: %" G_GUINT64_FORMAT "  trace hash: %016" G_GINT64_MODIFIER "x\nreplay: %s\n",
        r->seed, r->trace_hash, r->replay ? r->replay : "");
    xml_text(out, b->str);
    g_string_free(b, TRUE);
}

static void testcase(GString *out, const ReportSuite *s, const ReportRun *r)
{
    g_string_append(out, "    <testcase name=\"");
    xml_text(out, r->name);
    g_string_append_printf(out, "\" classname=\"durasim.%s.%s\" time=\"%.6f\"", s->command,
                           r->protocol ? r->protocol : "unknown", r->wall_seconds);
    if (r->passed) {
        g_string_append(out, "/>\n");
        return;
    }
    g_autofree char *type = failure_type(r);
    g_string_append(out, ">\n      <failure message=\"");
    xml_text(out, r->first ? r->first : "failed");
    g_string_append(out, "\" type=\"");
    xml_text(out, type);
    g_string_append(out, "\">");
    failure_body(out, r);
    g_string_append(out, "</failure>\n    </testcase>\n");
}

/* Whether a suite lists each run (scenarios) or only its failing seeds (campaigns). */
static gboolean lists_every_run(const ReportSuite *s)
{
    return strcmp(s->command, "fuzz") != 0;
}

/* A partial campaign: each missing shard as a skipped test case, so CI shows the gap. */
static void missing_shards(GString *out, const ReportSuite *s)
{
    for (guint i = 0; s->partial && i < s->missing->len; i++) {
        const char *k = g_ptr_array_index(s->missing, i);
        g_string_append_printf(out,
                               "    <testcase name=\"shard %s\" classname=\"durasim.%s\" "
                               "time=\"0\"><skipped message=\"missing: the report of shard %s "
                               "was not merged (merge --partial)\"/></testcase>\n",
                               k, s->command, k);
    }
}

static void write_suite(GString *out, const ReportSuite *s, guint index)
{
    ReportTotals t;
    report_suite_totals(s, &t);
    gboolean every = lists_every_run(s);
    guint skipped = s->partial ? s->missing->len : 0;
    guint cases = (every ? t.runs : t.failed + (t.passed > 0)) + skipped;
    g_string_append_printf(out, "  <testsuite name=\"");
    xml_text(out, s->name);
    g_string_append_printf(out,
                           "\" id=\"%u\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
                           "time=\"%.3f\">\n",
                           index, cases, t.failed, skipped, s->wall_seconds);
    g_string_append(out, "    <properties>\n");
    g_string_append_printf(out, "      <property name=\"command\" value=\"%s\"/>\n", s->command);
    g_string_append_printf(out, "      <property name=\"runs\" value=\"%u\"/>\n", t.runs);
    g_string_append_printf(
        out, "      <property name=\"events\" value=\"%" G_GUINT64_FORMAT "\"/>\n", t.events);
    for (guint i = 0; i < s->shards->len; i++)
        g_string_append_printf(out, "      <property name=\"shard\" value=\"%s\"/>\n",
                               (const char *)g_ptr_array_index(s->shards, i));
    if (s->partial) {
        g_string_append(out, "      <property name=\"partial\" value=\"true\"/>\n");
        for (guint i = 0; i < s->missing->len; i++)
            g_string_append_printf(out, "      <property name=\"missing_shard\" value=\"%s\"/>\n",
                                   (const char *)g_ptr_array_index(s->missing, i));
    }
    g_string_append(out, "    </properties>\n");
    missing_shards(out, s);
    double passed_wall = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        if (every || !r->passed)
            testcase(out, s, r);
        else
            passed_wall += r->wall_seconds;
    }
    if (!every && t.passed > 0)
        g_string_append_printf(out,
                               "    <testcase name=\"%u passing seeds\" classname=\"durasim.%s\" "
                               "time=\"%.6f\"/>\n",
                               t.passed, s->command, passed_wall);
    g_string_append_printf(out, "    <system-out>%u runs, %u passed, %u failed</system-out>\n",
                           t.runs, t.passed, t.failed);
    g_string_append(out, "  </testsuite>\n");
}

gboolean report_write_junit(const ReportSet *set, const char *dir, GError **error)
{
    GString *out = g_string_sized_new(4096);
    guint tests = 0, failures = 0, skipped = 0;
    for (guint i = 0; i < set->suites->len; i++) {
        const ReportSuite *s = g_ptr_array_index(set->suites, i);
        ReportTotals t;
        report_suite_totals(s, &t);
        guint missing = s->partial ? s->missing->len : 0;
        tests += (lists_every_run(s) ? t.runs : t.failed + (t.passed > 0)) + missing;
        failures += t.failed;
        skipped += missing;
    }
    ReportTotals all;
    report_set_totals(set, &all);
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append_printf(out,
                           "<testsuites name=\"durasim\" tests=\"%u\" failures=\"%u\" "
                           "errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
                           tests, failures, skipped, all.wall_seconds);
    for (guint i = 0; i < set->suites->len; i++)
        write_suite(out, g_ptr_array_index(set->suites, i), i);
    g_string_append(out, "</testsuites>\n");
    gboolean ok = report_save(dir, "junit.xml", out->str, out->len, error);
    g_string_free(out, TRUE);
    return ok;
}
