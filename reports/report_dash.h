/* reports/report_dash.h — the dashboard of one suite (a campaign, a scenario library), written
 * for every suite whether it passed or not: outcome counts, violations by kind, what the runs
 * exercised (every counter group of the coverage — fault kinds, failpoints, client failures and
 * any group a later version adds, such as reachability marks — as a heat map with the
 * never-fired ones called out), the distribution of cluster shapes, quorum settings and
 * file-system profiles, seeds per second, and the latency distribution. summary.md gets it as
 * tables, index.html as HTML with inline SVG (reports/report_svg.h).
 *
 * Everything is computed from the suite model alone (runs in order, coverage, latency), so a
 * merged report's dashboard is that of the whole campaign.
 */
#pragma once

#include "reports/report.h"

/* Appends the dashboard of suite `s` to summary.md. */
void report_dash_markdown(GString *out, const ReportSuite *s);
/* Appends the dashboard of suite number `index` (from 0) to index.html. */
void report_dash_html(GString *out, const ReportSuite *s, guint index);
