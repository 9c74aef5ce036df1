/* reports/report_points.c — the operations of a detailed run as points for its plots over
 * simulated time (latency of each operation, throughput), each tied to the step of the trace
 * slice that shows it, so the player can jump from a point to its step.
 *
 * A point is [invoke_ns, latency_ns (-1: never completed), outcome, step (-1: not in the slice),
 * label], outcome 0 ok, 1 failed, 2 indeterminate, 3 pending. Points are in history order; with
 * more than REPORT_POINTS_CAP operations every k-th is kept (k the smallest that fits), so the
 * choice depends on the history alone.
 */
#include "reports/report.h"

#include <string.h>

static int outcome_code(const HistOp *op)
{
    if (op->outcome == OUTCOME_PENDING || op->complete == SIM_TIME_NEVER)
        return 3;
    return op->outcome == OUTCOME_OK ? 0 : op->outcome == OUTCOME_FAIL ? 1 : 2;
}

/* For each operation, the slice step of its completion (else its invocation); -1 if neither is
 * in the slice. Caller frees. */
static gint64 *op_steps(World *w, JsonObject *trace, guint nops)
{
    gint64 *steps = g_new(gint64, nops + 1);
    for (guint i = 0; i <= nops; i++)
        steps[i] = -1;
    JsonArray *events = report_json_array(trace, "events");
    const GArray *recs = world_trace_records(w);
    for (guint k = 0; events && recs && k < json_array_get_length(events); k++) {
        JsonObject *e = json_array_get_object_element(events, k);
        gint64 i = report_json_int(e, "i", -1);
        if (i < 0 || (guint)i >= recs->len)
            continue;
        const SimTraceRecord *r = &g_array_index(recs, SimTraceRecord, i);
        if ((r->kind != SIM_TR_INVOKE && r->kind != SIM_TR_COMPLETE) || r->a >= nops)
            continue;
        if (r->kind == SIM_TR_COMPLETE || steps[r->a] < 0)
            steps[r->a] = k;
    }
    return steps;
}

JsonObject *report_points_new(World *w, JsonObject *trace)
{
    History *h = world_history(w);
    guint nops = history_len(h), clients = 0;
    for (guint i = 0; i < nops; i++)
        clients += !(history_op(h, i)->flags & (HOP_PROBE | HOP_FINAL));
    guint stride =
        clients > REPORT_POINTS_CAP ? (clients + REPORT_POINTS_CAP - 1) / REPORT_POINTS_CAP : 1;
    g_autofree gint64 *steps = op_steps(w, trace, nops);
    JsonArray *points = json_array_new();
    for (guint i = 0, n = 0; i < nops; i++) {
        const HistOp *op = history_op(h, i);
        if (op->flags & (HOP_PROBE | HOP_FINAL))
            continue;
        if (n++ % stride)
            continue;
        JsonArray *p = json_array_new();
        int code = outcome_code(op);
        char label[64];
        json_array_add_int_element(p, op->invoke);
        json_array_add_int_element(p, code == 3 ? -1 : op->complete - op->invoke);
        json_array_add_int_element(p, code);
        json_array_add_int_element(p, steps[i]);
        json_array_add_string_element(p, checker_op_label(w, i, label, sizeof label));
        json_array_add_array_element(points, p);
    }
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "of", clients);
    json_object_set_int_member(o, "stride", stride);
    json_object_set_int_member(o, "end_ns", world_now(w));
    json_object_set_array_member(o, "ops", points);
    return o;
}
