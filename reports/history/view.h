/* reports/history/view.h — the HTML view of checked histories, for `check-history --report DIR`:
 * one self-contained page (inline CSS and SVG; no script, no network). Per file: its verdict
 * line, then per key a picture with one lane per process, each operation a bar from its
 * invocation line to its completion line (an :info or never-completed one runs to the end,
 * dashed), the operations of the (partial) linearization numbered in their order and green, the
 * operation that breaks the history red; then the linearization as a table with the state after
 * each step. For a long history only the keys that are not linearizable are drawn, and at most
 * VIEW_MAX_OPS operations of each, around the failure.
 */
#pragma once

#include "reports/history/check.h"

/* Writes DIR/index.html for files[0..n) (checked with keep_orders), each named names[i], its
 * verdict line lines[i]. FALSE with *error when the file cannot be written. */
gboolean hc_view_write(const char *dir, HcFile *const *files, const char *const *names,
                       const char *const *lines, guint n, GError **error);
