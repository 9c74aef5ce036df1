/* reports/report_svg.c — inline SVG for index.html: bars, a heat map of counters and a latency
 * CDF (see reports/report_svg.h). */
#include "reports/report_svg.h"

#include <math.h>
#include <string.h>

#define BAR_W     260 /* pixels of the longest bar */
#define BAR_H     16
#define LABEL_W   190
#define CELL_W    118
#define CELL_H    34
#define HEAT_COLS 6
#define CDF_W     640
#define CDF_H     240
#define CDF_L     52 /* left margin (y labels) */
#define CDF_B     30 /* bottom margin (x labels) */

void svg_escape(GString *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
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
            g_string_append_c(out, *p);
        }
    }
}

const char *svg_time_label(double ns, char *buf, gsize size)
{
    static const struct {
        double unit;
        const char *name;
    } units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}};
    if (ns == 0) {
        g_snprintf(buf, size, "0");
        return buf;
    }
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        if (ns >= units[i].unit || i + 1 == G_N_ELEMENTS(units)) {
            double v = ns / units[i].unit;
            g_snprintf(buf, size, v < 10 && v != floor(v) ? "%.1f%s" : "%.0f%s", v, units[i].name);
            return buf;
        }
    }
    return buf;
}

const char *svg_outcome_colour(ReportLatOutcome o)
{
    static const char *const colours[] = {"#2e7d32", "#c62828", "#ef6c00"};
    g_assert(o < REPORT_LAT_OUTCOMES);
    return colours[o];
}

void svg_bars(GString *out, const SvgItem *items, guint n, uint64_t total, const char *cls)
{
    uint64_t max = 1, sum = 0;
    for (guint i = 0; i < n; i++) {
        max = MAX(max, items[i].value);
        sum += items[i].value;
    }
    if (!total)
        total = MAX(sum, 1);
    g_string_append_printf(out, "<svg class=\"%s\" width=\"%d\" height=\"%u\" role=\"img\">", cls,
                           LABEL_W + BAR_W + 110, n * (BAR_H + 4) + 4);
    for (guint i = 0; i < n; i++) {
        double y = 2 + i * (BAR_H + 4);
        double w = items[i].value ? MAX(1.0, (double)BAR_W * items[i].value / max) : 0;
        double share = 100.0 * items[i].value / total;
        g_string_append(out, "<g class=\"bar\"><title>");
        svg_escape(out, items[i].label);
        g_string_append_printf(out, ": %" G_GUINT64_FORMAT " (%.1f%%)</title>", items[i].value,
                               share);
        g_string_append_printf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LABEL_W - 6,
                               y + BAR_H - 4);
        svg_escape(out, items[i].label);
        g_string_append_printf(
            out,
            "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">%" G_GUINT64_FORMAT " (%.1f%%)</text></g>",
            LABEL_W, y, w, BAR_H, LABEL_W + w + 4, y + BAR_H - 4, items[i].value, share);
    }
    g_string_append(out, "</svg>");
}

/* A colour from pale to deep blue for t in 0..1. */
static void heat_colour(double t, char *buf, gsize size)
{
    static const int lo[3] = {0xe3, 0xf2, 0xfd}, hi[3] = {0x0d, 0x47, 0xa1};
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (int)lround(lo[i] + (hi[i] - lo[i]) * t);
    g_snprintf(buf, size, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static void heat_cell(GString *out, const SvgItem *it, double x, double y, double t,
                      const char *cls)
{
    char fill[16];
    heat_colour(t, fill, sizeof fill);
    gboolean never = it->value == 0;
    g_string_append_printf(out, "<g class=\"cell%s\" data-count=\"%" G_GUINT64_FORMAT "\"><title>",
                           never ? " never" : "", it->value);
    svg_escape(out, it->label);
    if (never)
        g_string_append(out, ": never fired</title>");
    else
        g_string_append_printf(out, ": %" G_GUINT64_FORMAT "</title>", it->value);
    g_string_append_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"3\" ",
                           x, y, CELL_W - 4, CELL_H - 4);
    if (never)
        g_string_append_printf(out,
                               "fill=\"url(#never-%s)\" stroke=\"#c62828\" "
                               "stroke-width=\"1.5\"/>",
                               cls);
    else
        g_string_append_printf(out, "fill=\"%s\"/>", fill);
    const char *ink = t > 0.55 ? "#fff" : "#263238";
    g_autofree char *label = g_strndup(it->label, (CELL_W - 10) / 6);
    g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">", x + 4, y + 13, ink);
    svg_escape(out, label);
    g_string_append_printf(out, "</text><text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" class=\"n\">",
                           x + 4, y + 26, never ? "#c62828" : ink);
    if (never)
        g_string_append(out, "never");
    else
        g_string_append_printf(out, "%" G_GUINT64_FORMAT, it->value);
    g_string_append(out, "</text></g>");
}

void svg_heat(GString *out, const SvgItem *items, guint n, const char *cls)
{
    uint64_t max = 1;
    for (guint i = 0; i < n; i++)
        max = MAX(max, items[i].value);
    guint rows = (n + HEAT_COLS - 1) / HEAT_COLS;
    g_string_append_printf(out,
                           "<svg class=\"heat %s\" width=\"%d\" height=\"%u\" role=\"img\"><defs>"
                           "<pattern id=\"never-%s\" width=\"6\" height=\"6\" "
                           "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                           "<rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
                           "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#f3c1c1\" "
                           "stroke-width=\"3\"/></pattern></defs>",
                           cls, HEAT_COLS * CELL_W, rows * CELL_H, cls);
    for (guint i = 0; i < n; i++) {
        double t = items[i].value ? log1p((double)items[i].value) / log1p((double)max) : 0;
        heat_cell(out, &items[i], (i % HEAT_COLS) * CELL_W + 2.0, (i / HEAT_COLS) * CELL_H + 2.0, t,
                  cls);
    }
    g_string_append(out, "</svg>");
}

/* ---- the latency CDF ---- */

typedef struct {
    double lo, hi; /* log10 of the axis ends, in ns */
} LogAxis;

static double cdf_x(const LogAxis *a, double ns)
{
    double v = log10(MAX(ns, 1.0));
    return CDF_L + (CDF_W - CDF_L - 12) * (v - a->lo) / MAX(a->hi - a->lo, 1e-9);
}

static double cdf_y(double frac)
{
    return 8 + (CDF_H - CDF_B - 8) * (1 - frac);
}

static void cdf_axes(GString *out, const LogAxis *a)
{
    g_string_append_printf(out,
                           "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>",
                           CDF_L, cdf_y(0), CDF_W - 12, cdf_y(0));
    for (int q = 0; q <= 4; q++) {
        g_string_append_printf(out,
                               "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
                               "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>",
                               CDF_L, cdf_y(q / 4.0), CDF_W - 12, cdf_y(q / 4.0), CDF_L - 4,
                               cdf_y(q / 4.0) + 4, q * 25);
    }
    for (double d = ceil(a->lo); d <= a->hi + 1e-9; d += 1) {
        char label[32];
        double x = cdf_x(a, pow(10, d));
        g_string_append_printf(
            out,
            "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
            x, cdf_y(0), x, cdf_y(1), x, CDF_H - 12,
            svg_time_label(pow(10, d), label, sizeof label));
    }
}

static void cdf_line(GString *out, const ReportLatency *lat, ReportLatOutcome o, const LogAxis *a)
{
    uint64_t n = report_latency_count(lat, o), seen = 0;
    if (!n)
        return;
    g_string_append_printf(out,
                           "<polyline class=\"cdf cdf-%s\" fill=\"none\" stroke=\"%s\" points=\"",
                           report_lat_outcome_name(o), svg_outcome_colour(o));
    gboolean started = FALSE;
    for (guint b = 0; b < REPORT_LAT_BUCKETS; b++) {
        if (!lat->counts[o][b] && !started)
            continue;
        double from = (double)report_latency_edge(b), to = (double)report_latency_edge(b + 1);
        if (!started)
            g_string_append_printf(out, "%.1f,%.1f ", cdf_x(a, MAX(from, 1)), cdf_y(0));
        started = TRUE;
        seen += lat->counts[o][b];
        g_string_append_printf(out, "%.1f,%.1f ", cdf_x(a, MIN(to, (double)lat->max[o])),
                               cdf_y((double)seen / n));
        if (seen == n)
            break;
    }
    g_string_append(out, "\"/>");
}

static gboolean cdf_axis(const ReportLatency *lat, LogAxis *a)
{
    a->lo = 1e18;
    a->hi = 0;
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++) {
        for (guint b = 0; b < REPORT_LAT_BUCKETS; b++) {
            if (!lat->counts[o][b])
                continue;
            a->lo = MIN(a->lo, log10(MAX((double)report_latency_edge(b), 1.0)));
            a->hi = MAX(a->hi, log10(MAX((double)lat->max[o], 1.0)));
        }
    }
    if (a->lo > a->hi)
        return FALSE;
    a->lo = floor(a->lo);
    a->hi = MAX(ceil(a->hi), a->lo + 1);
    return TRUE;
}

/* The p50, p90 and p99 of ok operations as dashed lines; percentiles that fall in the same
 * bucket share one label. */
static void cdf_marks(GString *out, const ReportLatency *lat, const LogAxis *a)
{
    static const double marks[] = {0.5, 0.9, 0.99};
    SimTime t[G_N_ELEMENTS(marks)];
    for (guint i = 0; i < G_N_ELEMENTS(marks); i++)
        t[i] = report_latency_quantile(lat, REPORT_LAT_OK, marks[i]);
    for (guint i = 0; i < G_N_ELEMENTS(marks); i++) {
        if (t[i] < 0 || (i + 1 < G_N_ELEMENTS(marks) && t[i + 1] == t[i]))
            continue; /* drawn with the next one */
        GString *names = g_string_new(NULL);
        for (guint k = 0; k <= i; k++)
            if (t[k] == t[i])
                g_string_append_printf(names, "%sp%g", names->len ? "/" : "", marks[k] * 100);
        char label[32];
        double x = cdf_x(a, (double)t[i]);
        g_string_append_printf(
            out,
            "<line class=\"pmark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"pmark\" x=\"%.1f\" y=\"%.1f\">%s %s</text>",
            x, cdf_y(0), x, cdf_y(marks[i]), x + 3, cdf_y(marks[i]) + 12 + 10 * i, names->str,
            svg_time_label((double)t[i], label, sizeof label));
        g_string_free(names, TRUE);
    }
}

void svg_latency_cdf(GString *out, const ReportLatency *lat)
{
    LogAxis a;
    if (!cdf_axis(lat, &a))
        return;
    g_string_append_printf(out, "<svg class=\"plot cdf\" width=\"%d\" height=\"%d\" role=\"img\">",
                           CDF_W, CDF_H);
    g_string_append(out, "<title>latency CDF: the share of operations that completed within each "
                         "latency (log scale)</title>");
    cdf_axes(out, &a);
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++)
        cdf_line(out, lat, (ReportLatOutcome)o, &a);
    cdf_marks(out, lat, &a);
    g_string_append(out, "</svg>");
}
