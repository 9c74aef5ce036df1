/* reports/oracle.c — the helpers of the oracles' view (see oracle.h). */
#include "reports/oracle.h"

const char *oview_op_label(const OracleView *v, uint32_t op, char *buf, gsize size)
{
    History *h = v->history;
    if (op == UINT32_MAX || op >= history_len(h)) {
        g_snprintf(buf, size, "?");
        return buf;
    }
    if (history_is_folded(h, op)) {
        g_snprintf(buf, size, "op%u", op); /* folded ops are never scripted: no name */
        return buf;
    }
    const HistOp *o = history_op(h, op);
    const char *name = history_op_name(h, o);
    if (name)
        g_snprintf(buf, size, "%s", name);
    else
        g_snprintf(buf, size, "op%u", op);
    return buf;
}

void oview_format_nodes(const OracleView *v, uint64_t mask, GString *out)
{
    gboolean first = TRUE;
    for (guint n = 0; n < v->cfg->nodes; n++) {
        if (!((mask >> n) & 1))
            continue;
        g_string_append_printf(out, "%s%s", first ? "" : ", ", oview_name(v, n));
        first = FALSE;
    }
    if (first)
        g_string_append(out, "none");
}

void oview_format_nodeset(const OracleView *v, const NodeSet *s, GString *out)
{
    gboolean first = TRUE;
    for (guint n = 0; n < v->cfg->nodes; n++) {
        if (!nodeset_has(s, (EndpointId)n))
            continue;
        g_string_append_printf(out, "%s%s", first ? "" : ", ", oview_name(v, n));
        first = FALSE;
    }
    if (first)
        g_string_append(out, "none");
}
