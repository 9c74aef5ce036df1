/* reports/report_html.c — index.html: one self-contained page (inline CSS, script and data; no
 * network) with the results of every suite and, for each run reported in full, a sequence
 * diagram to step through (reports/report_viewer.c draws it).
 *
 * The page's data is a JSON block: the totals, and per suite its runs as in report.json. A suite
 * larger than REPORT_LIST_CAP lists only its failing runs, at most REPORT_ROWS_CAP of them, so the
 * page of a long campaign stays small.
 */
#include "reports/report.h"
#include "reports/report_dash.h"
#include "reports/report_svg.h"
#include "reports/report_viewer.h"

#include <string.h>

static JsonObject *totals_json(const ReportTotals *t)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "runs", t->runs);
    json_object_set_int_member(o, "passed", t->passed);
    json_object_set_int_member(o, "failed", t->failed);
    json_object_set_int_member(o, "events", (gint64)t->events);
    return o;
}

static JsonObject *suite_json(const ReportSuite *s)
{
    ReportTotals t;
    report_suite_totals(s, &t);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", s->name);
    json_object_set_string_member(o, "command", s->command);
    json_object_set_object_member(o, "totals", totals_json(&t));
    if (s->partial) {
        JsonArray *missing = json_array_new();
        for (guint i = 0; i < s->missing->len; i++)
            json_array_add_string_element(missing, g_ptr_array_index(s->missing, i));
        json_object_set_array_member(o, "missing_shards", missing);
    }
    gboolean every = s->runs->len <= REPORT_LIST_CAP;
    JsonArray *runs = json_array_new();
    guint listed = 0, unlisted_passed = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        if ((!every && r->passed) || listed >= REPORT_ROWS_CAP) {
            unlisted_passed += r->passed;
            continue;
        }
        JsonObject *line = report_run_to_json(r);
        if (r->detail) {
            GString *plots = g_string_new(NULL);
            svg_run_plots(plots, r->detail);
            json_object_set_string_member(line, "plots", plots->str);
            g_string_free(plots, TRUE);
        }
        json_array_add_object_element(runs, line);
        listed++;
    }
    json_object_set_array_member(o, "runs", runs);
    json_object_set_int_member(o, "unlisted", s->runs->len - listed);
    json_object_set_int_member(o, "unlisted_passed", unlisted_passed);
    return o;
}

/* The page's data as JSON text that is safe inside a <script> element: every '<' is written as
 * \u003c, so no "</script>" or "<!--" can appear. Caller frees. */
static char *page_data(const ReportSet *set)
{
    g_autoptr(JsonObject) o = json_object_new();
    ReportTotals t;
    report_set_totals(set, &t);
    json_object_set_object_member(o, "totals", totals_json(&t));
    JsonArray *suites = json_array_new();
    for (guint i = 0; i < set->suites->len; i++)
        json_array_add_object_element(suites, suite_json(g_ptr_array_index(set->suites, i)));
    json_object_set_array_member(o, "suites", suites);
    g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
    g_autofree char *text = json_to_string(n, FALSE);
    GString *safe = g_string_sized_new(strlen(text) + 64);
    for (const char *p = text; *p; p++) {
        if (*p == '<')
            g_string_append(safe, "\\u003c");
        else
            g_string_append_c(safe, *p);
    }
    return g_string_free(safe, FALSE);
}

static const char page_top[] =
    "<header><h1>durasim report</h1><div id=\"head\"></div></header>\n"
    "<main>\n"
    "<noscript>This report needs JavaScript to list its runs and step through them; the "
    "dashboards are drawn without it, and report.json and summary.md hold the same results as "
    "text.</noscript>\n";

/* Each suite's heading, its dashboard (drawn here, in SVG) and the place the script puts its
 * table of runs. */
static void suites_html(GString *out, const ReportSet *set)
{
    g_string_append(out, "<div id=\"suites\">\n");
    for (guint i = 0; i < set->suites->len; i++) {
        const ReportSuite *s = g_ptr_array_index(set->suites, i);
        g_string_append_printf(out, "<section class=\"suite\" id=\"suite-%u\"><h2>", i + 1);
        svg_escape(out, s->name);
        g_string_append(out, "</h2>\n");
        report_dash_html(out, s, i);
        g_string_append_printf(out,
                               "\n<h3>Runs</h3><div class=\"runs\" data-suite=\"%u\"></div>"
                               "</section>\n",
                               i);
    }
    g_string_append(out, "</div>\n");
}

static const char page_body[] =
    "<section id=\"viewer\" hidden>\n"
    "<div id=\"runinfo\"></div>\n"
    "<div class=\"controls\">"
    "<button id=\"first\" title=\"first step\">|&#x25C0;</button>"
    "<button id=\"back\" title=\"step back (left arrow)\">&#x25C0; step</button>"
    "<button id=\"play\" title=\"play or pause (space)\">&#x25B6; play</button>"
    "<button id=\"fwd\" title=\"step forward (right arrow)\">step &#x25B6;</button>"
    "<button id=\"last\" title=\"last step\">&#x25B6;|</button> speed "
    "<select id=\"speed\"><option value=\"900\">slow</option>"
    "<option value=\"350\" selected>normal</option><option value=\"80\">fast</option></select>"
    "<span id=\"pos\" class=\"pos\"></span>"
    "<div id=\"now\" class=\"now\"></div></div>\n"
    "<div id=\"plots\"></div>\n"
    "<div class=\"layout\"><div id=\"diagram\" class=\"diagram\"></div>"
    "<div class=\"side\"><div id=\"state\" class=\"state\"></div><div id=\"ops\"></div></div>"
    "</div>\n"
    "</section>\n"
    "<pre id=\"errors\" hidden></pre>\n"
    "</main>\n";

gboolean report_write_html(const ReportSet *set, const char *dir, GError **error)
{
    g_autofree char *data = page_data(set);
    GString *out = g_string_sized_new(strlen(data) + 32768);
    g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width\">\n"
                         "<title>durasim report</title>\n<style>\n");
    g_string_append(out, report_viewer_css);
    g_string_append(out, "</style>\n</head>\n<body data-errors=\"0\">\n");
    g_string_append(out, page_top);
    suites_html(out, set);
    g_string_append(out, page_body);
    g_string_append(out, "<script type=\"application/json\" id=\"durasim-data\">");
    g_string_append(out, data);
    g_string_append(out, "</script>\n<script>\n");
    g_string_append(out, report_viewer_js);
    g_string_append(out, "</script>\n</body>\n</html>\n");
    gboolean ok = report_save(dir, "index.html", out->str, out->len, error);
    g_string_free(out, TRUE);
    return ok;
}
