/* reports/report_svg.h — inline SVG drawn by durasim itself for index.html (no script library,
 * no network): horizontal bars, a heat map of named counters, a latency CDF, and the axes and
 * scales the plots of a run share (reports/report_plot.c). Every writer appends markup to a
 * GString; text is escaped here.
 *
 * Invariants: the output depends only on the numbers given (no clock, no hash order), so the
 * same report gives the same page; coordinates are written with one decimal.
 */
#pragma once

#include "reports/report.h"

/* One labelled value (a bar, a heat-map cell). */
typedef struct {
    const char *label;
    uint64_t value;
} SvgItem;

/* Appends text with &, <, > and quotes escaped. */
void svg_escape(GString *out, const char *text);
/* Horizontal bars, one row per item, scaled to the largest value; each bar titled with its
 * label, count and share of `total` (0: the sum of the values). */
void svg_bars(GString *out, const SvgItem *items, guint n, uint64_t total, const char *cls);
/* A heat map: one cell per item, coloured by log(1 + value) against the largest; a cell of value
 * 0 is drawn hatched and outlined in red (never fired). Cells carry class "cell" and
 * data-count. */
void svg_heat(GString *out, const SvgItem *items, guint n, const char *cls);
/* The cumulative distribution of each outcome's latency (log time axis), with the 50th, 90th and
 * 99th percentiles of ok operations marked. Nothing is drawn when no operation completed. */
void svg_latency_cdf(GString *out, const ReportLatency *lat);

/* The plots of one detailed run over simulated time, drawn from its detail (its "points" and
 * "faults"): operation latency and throughput, fault windows shaded (reports/report_plot.c).
 * Nothing is drawn for a detail without points. */
void svg_run_plots(GString *out, JsonObject *detail);

/* ---- shared by the plots ---- */

/* "12.5ms"-style short time for axis ticks; returns buf. */
const char *svg_time_label(double ns, char *buf, gsize size);
/* The colour of an outcome (ok, failed, indeterminate). */
const char *svg_outcome_colour(ReportLatOutcome o);
