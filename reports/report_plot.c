/* reports/report_plot.c — the plots of one detailed run over simulated time, as inline SVG drawn
 * from its detail (so a merged report draws them too): the latency of every operation as a point
 * at its invocation time (log scale, coloured by outcome; an operation that never completed is a
 * hollow mark at the top), the throughput of completions per outcome, and the redundancy of
 * each acknowledged write (its durable copies on distinct nodes from its ack on, a step line,
 * red when under-replicated, against a dashed line at the copies it is owed); on each, every
 * fault that fired is a shaded, labelled window (a line when it acts at one instant). Points
 * carry data-step, the step of the trace slice that shows them, for the player.
 */
#include "reports/report_svg.h"

#include <math.h>

#define PW      900 /* the plot's width in user units; it scales to its box */
#define PL      56  /* left margin */
#define PR      12
#define LAT_H   230
#define RATE_H  170
#define RED_H   170
#define PTOP    38 /* room for fault labels */
#define PBOTTOM 24
#define BUCKETS 60 /* throughput buckets over the run */

typedef struct {
    double end;       /* ns, the x axis runs 0..end */
    double lo, hi;    /* log10 ns of the latency axis */
    int height;       /* of the plot being drawn */
    JsonArray *ops;   /* points */
    JsonArray *fault; /* the detail's faults */
} Plot;

static double px(const Plot *p, double t)
{
    return PL + (PW - PL - PR) * CLAMP(t / MAX(p->end, 1), 0, 1);
}

static double py_lat(const Plot *p, double ns)
{
    double v = (log10(MAX(ns, 1)) - p->lo) / MAX(p->hi - p->lo, 1e-9);
    return PTOP + (p->height - PTOP - PBOTTOM) * (1 - CLAMP(v, 0, 1));
}

static gint64 pt_int(JsonArray *pt, guint i)
{
    return json_array_get_int_element(pt, i);
}

/* A tick step of 1, 2 or 5 times a power of ten that gives at most 10 ticks over `span`. */
static double nice_step(double span)
{
    static const double m[] = {1, 2, 5};
    double base = pow(10, floor(log10(MAX(span, 1) / 10)));
    for (guint i = 0; i < G_N_ELEMENTS(m); i++)
        if (span / (m[i] * base) <= 10)
            return m[i] * base;
    return 10 * base;
}

static void time_axis(GString *out, const Plot *p)
{
    double step = nice_step(p->end);
    double y0 = p->height - PBOTTOM;
    g_string_append_printf(out,
                           "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", PL,
                           y0, PW - PR, y0);
    for (double t = 0; t <= p->end + 1; t += step) {
        char label[32];
        g_string_append_printf(
            out,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
            px(p, t), PTOP, px(p, t), y0, px(p, t), y0 + 15,
            svg_time_label(t, label, sizeof label));
    }
}

/* Every fired fault as a shaded window (or a line), labelled at the top in three rows. */
static void fault_windows(GString *out, const Plot *p)
{
    for (guint i = 0; p->fault && i < json_array_get_length(p->fault); i++) {
        JsonObject *f = json_array_get_object_element(p->fault, i);
        double from = (double)report_json_int(f, "time_ns", 0);
        gint64 ends = report_json_int(f, "ends_ns", -1);
        double to = ends < 0 ? p->end : (double)ends;
        double x1 = px(p, from), x2 = px(p, to);
        const char *node = report_json_str(f, "node");
        g_string_append(out, "<g class=\"fault\"><title>");
        svg_escape(out, report_json_str(f, "name"));
        char a[32], b[32];
        g_string_append_printf(out, "%s%s: %s .. %s</title>", node ? " on " : "", node ? node : "",
                               svg_time_label(from, a, sizeof a),
                               ends < 0 ? "end" : svg_time_label(to, b, sizeof b));
        if (x2 - x1 >= 1)
            g_string_append_printf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"/>",
                                   x1, PTOP, x2 - x1, p->height - PTOP - PBOTTOM);
        else
            g_string_append_printf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", x1,
                                   PTOP, x1, p->height - PBOTTOM);
        g_string_append_printf(out, "<text x=\"%.1f\" y=\"%u\">", x1 + 2, 11 + (i % 3) * 11);
        svg_escape(out, report_json_str(f, "name"));
        if (node) {
            g_string_append_c(out, ' ');
            svg_escape(out, node);
        }
        g_string_append(out, "</text></g>");
    }
}

static void latency_axis(GString *out, const Plot *p)
{
    for (double d = p->lo; d <= p->hi + 1e-9; d += 1) {
        char label[32];
        double y = py_lat(p, pow(10, d));
        g_string_append_printf(out,
                               "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
                               "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                               PL, y, PW - PR, y, PL - 4, y + 4,
                               svg_time_label(pow(10, d), label, sizeof label));
    }
}

static const char *const outcome_names[] = {"ok", "failed", "indeterminate", "pending"};

static void latency_point(GString *out, const Plot *p, JsonArray *pt)
{
    double t = (double)pt_int(pt, 0), lat = (double)pt_int(pt, 1);
    int code = (int)CLAMP(pt_int(pt, 2), 0, 3);
    gint64 step = pt_int(pt, 3);
    double x = px(p, t), y = code == 3 ? PTOP : py_lat(p, lat);
    g_string_append_printf(out, "<circle class=\"pt o-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"",
                           outcome_names[code], x, y, code == 3 ? "4" : "3");
    if (step >= 0)
        g_string_append_printf(out, " data-step=\"%" G_GINT64_FORMAT "\"", step);
    g_string_append(out, "><title>");
    svg_escape(out, json_array_get_string_element(pt, 4));
    char a[32], b[32];
    g_string_append_printf(out, " %s at %s", outcome_names[code], svg_time_label(t, a, sizeof a));
    if (code != 3)
        g_string_append_printf(out, ", latency %s", svg_time_label(lat, b, sizeof b));
    g_string_append_printf(out, "%s</title></circle>",
                           step >= 0 ? " (click: its step)" : " (not in the trace slice)");
}

static void latency_plot(GString *out, Plot *p)
{
    p->height = LAT_H;
    double lo = 1e18, hi = 0;
    for (guint i = 0; i < json_array_get_length(p->ops); i++) {
        gint64 lat = pt_int(json_array_get_array_element(p->ops, i), 1);
        if (lat >= 0) {
            lo = MIN(lo, log10(MAX((double)lat, 1)));
            hi = MAX(hi, log10(MAX((double)lat, 1)));
        }
    }
    p->lo = lo > hi ? 6 : floor(lo);
    p->hi = lo > hi ? 9 : MAX(ceil(hi), p->lo + 1);
    g_string_append_printf(out,
                           "<svg class=\"plot latency\" viewBox=\"0 0 %d %d\" role=\"img\">"
                           "<title>latency of each operation over simulated time</title>",
                           PW, LAT_H);
    fault_windows(out, p);
    time_axis(out, p);
    latency_axis(out, p);
    for (guint i = 0; i < json_array_get_length(p->ops); i++)
        latency_point(out, p, json_array_get_array_element(p->ops, i));
    g_string_append(out, "</svg>");
}

/* Completions per second of each outcome, in BUCKETS buckets over the run. */
static void rate_plot(GString *out, Plot *p, gint64 stride)
{
    p->height = RATE_H;
    double counts[3][BUCKETS] = {{0}}, max = 0, width = MAX(p->end, 1) / BUCKETS;
    for (guint i = 0; i < json_array_get_length(p->ops); i++) {
        JsonArray *pt = json_array_get_array_element(p->ops, i);
        int code = (int)pt_int(pt, 2);
        if (code < 0 || code > 2)
            continue;
        double done = (double)(pt_int(pt, 0) + pt_int(pt, 1));
        int b = (int)CLAMP(done / width, 0, BUCKETS - 1);
        counts[code][b] += (double)stride / (width / 1e9);
        max = MAX(max, counts[code][b]);
    }
    max = MAX(max, 1);
    double y0 = RATE_H - PBOTTOM, h = RATE_H - PTOP - PBOTTOM;
    g_string_append_printf(out,
                           "<svg class=\"plot rate\" viewBox=\"0 0 %d %d\" role=\"img\">"
                           "<title>completed operations per second of simulated time</title>",
                           PW, RATE_H);
    fault_windows(out, p);
    time_axis(out, p);
    g_string_append_printf(out,
                           "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f/s</text>"
                           "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">0</text>",
                           PL - 4, PTOP + 4, max, PL - 4, y0);
    for (int o = 0; o < 3; o++) {
        g_string_append_printf(out, "<polyline class=\"rate o-%s\" fill=\"none\" points=\"",
                               outcome_names[o]);
        for (int b = 0; b < BUCKETS; b++)
            g_string_append_printf(out, "%.1f,%.1f ", px(p, (b + 0.5) * width),
                                   y0 - h * counts[o][b] / max);
        g_string_append(out, "\"/>");
    }
    g_string_append(out, "</svg>");
}

/* One write's copies as a step line from its ack to the end of the run. */
static void copies_line(GString *out, const Plot *p, JsonObject *wr, double y0, double per)
{
    JsonArray *steps = report_json_array(wr, "steps");
    if (!steps || json_array_get_length(steps) == 0)
        return;
    gboolean under = json_object_get_boolean_member_with_default(wr, "under_replicated", FALSE);
    const char *op = report_json_str(wr, "label"), *key = report_json_str(wr, "key");
    g_autofree char *label = g_markup_printf_escaped("%s (%s)", op ? op : "?", key ? key : "?");
    g_string_append_printf(out, "<g class=\"copies%s\"><title>%s</title><polyline points=\"",
                           under ? " under" : "", label);
    double y = y0;
    for (guint i = 0; i < json_array_get_length(steps); i++) {
        JsonArray *st = json_array_get_array_element(steps, i);
        double x = px(p, (double)pt_int(st, 0)), ny = y0 - per * (double)pt_int(st, 1);
        if (i > 0)
            g_string_append_printf(out, "%.1f,%.1f ", x, y);
        g_string_append_printf(out, "%.1f,%.1f ", x, ny);
        y = ny;
    }
    g_string_append_printf(out, "%.1f,%.1f\"/></g>", px(p, p->end), y);
}

/* Durable copies of each acknowledged write over time, the copies owed dashed. */
static void redundancy_plot(GString *out, Plot *p, JsonObject *red)
{
    JsonArray *writes = report_json_array(red, "writes");
    if (!writes || json_array_get_length(writes) == 0)
        return;
    p->height = RED_H;
    gint64 need = report_json_int(red, "need", 1), top = need;
    for (guint i = 0; i < json_array_get_length(writes); i++) {
        JsonArray *steps = report_json_array(json_array_get_object_element(writes, i), "steps");
        for (guint k = 0; steps && k < json_array_get_length(steps); k++)
            top = MAX(top, pt_int(json_array_get_array_element(steps, k), 1));
    }
    double y0 = RED_H - PBOTTOM, per = (RED_H - PTOP - PBOTTOM) / (double)MAX(top, 1);
    g_string_append_printf(out,
                           "<svg class=\"plot redundancy\" viewBox=\"0 0 %d %d\" role=\"img\">"
                           "<title>durable copies of each acknowledged write (distinct nodes)"
                           "</title>",
                           PW, RED_H);
    fault_windows(out, p);
    time_axis(out, p);
    for (gint64 c = 0; c <= top; c++)
        g_string_append_printf(
            out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%" G_GINT64_FORMAT "</text>",
            PL - 4, y0 - per * (double)c + 4, c);
    g_string_append_printf(out,
                           "<line class=\"owed\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", PL,
                           y0 - per * (double)need, PW - PR, y0 - per * (double)need);
    for (guint i = 0; i < json_array_get_length(writes); i++)
        copies_line(out, p, json_array_get_object_element(writes, i), y0, per);
    g_string_append(out, "</svg>");
}

void svg_run_plots(GString *out, JsonObject *detail)
{
    JsonObject *points = report_json_object(detail, "points");
    JsonArray *ops = report_json_array(points, "ops");
    if (!ops)
        return;
    Plot p = {.end = (double)report_json_int(points, "end_ns", 0),
              .ops = ops,
              .fault = report_json_array(detail, "faults")};
    gint64 stride = MAX(report_json_int(points, "stride", 1), 1);
    g_string_append(out, "<div class=\"plots\"><div class=\"legend\">"
                         "<span class=\"k o-ok\">&#9679; ok</span>"
                         "<span class=\"k o-failed\">&#9679; failed</span>"
                         "<span class=\"k o-indeterminate\">&#9679; indeterminate</span>"
                         "<span class=\"k o-pending\">&#9675; never completed</span>"
                         "<span class=\"k fault\">&#9632; fault window</span>");
    if (stride > 1)
        g_string_append_printf(out,
                               " <span class=\"muted\">every %" G_GINT64_FORMAT
                               "th of %" G_GINT64_FORMAT " operations drawn</span>",
                               stride, report_json_int(points, "of", 0));
    g_string_append(out, "</div>");
    latency_plot(out, &p);
    rate_plot(out, &p, stride);
    JsonObject *red = report_json_object(detail, "redundancy");
    if (red) {
        g_string_append_printf(out,
                               "<div class=\"legend\"><span class=\"k\">durable copies of "
                               "each acknowledged write</span><span class=\"k owed\">- - "
                               "owed: %" G_GINT64_FORMAT "</span><span class=\"k o-failed\">"
                               "&#9472; under-replicated</span>",
                               report_json_int(red, "need", 0));
        if (report_json_int(red, "of", 0) >
            (gint64)json_array_get_length(report_json_array(red, "writes")))
            g_string_append_printf(
                out, " <span class=\"muted\">%u of %" G_GINT64_FORMAT " writes drawn</span>",
                json_array_get_length(report_json_array(red, "writes")),
                report_json_int(red, "of", 0));
        g_string_append(out, "</div>");
        redundancy_plot(out, &p, red);
    }
    g_string_append(out, "</div>");
}
