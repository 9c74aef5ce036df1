/* reports/history_check.c — the client history against the ledger (see history_check.h). */
#include "reports/history_check.h"

/* Whether another attempt with the same idempotency key explains a definite failure that took
 * effect. */
static gboolean failure_explained(History *h, guint i, IdemKey idem)
{
    for (guint k = 0; k < history_len(h); k++) {
        if (history_is_folded(h, k))
            continue;
        const HistOp *other = history_op(h, k);
        if (k != i && other->idem == idem && other->outcome != OUTCOME_FAIL)
            return TRUE;
    }
    return FALSE;
}

static void false_failure(const LedgerBook *b, const HistOp *op, const Ledger *l, Verdict *v)
{
    const OracleView *view = b->view;
    char label[64], when[32];
    uint32_t ops[1] = {op->id};
    NodeSet ever;
    ledger_flagged(b, l, LCOPY_EVER, &ever);
    g_autofree EndpointId *nodes = g_new(EndpointId, MAX(b->nodes, 1));
    guint nnodes = 0;
    for (EndpointId n = 0; n < b->nodes; n++)
        if (nodeset_has(&ever, n))
            nodes[nnodes++] = n;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "%s (%s %s) was told it definitely failed (%s) at %s, but it took "
                           "effect (stored durably on ",
                           oview_op_label(view, op->id, label, sizeof label),
                           op_kind_name(op->kind), oview_key(view, op->key),
                           fail_reason_name(op->reason),
                           sim_time_format_human(op->complete, when, sizeof when));
    oview_format_nodeset(view, &ever, s);
    g_string_append(s, ")");
    verdict_add(v, V_FALSE_FAILURE, op->complete, ops, 1, nodes, nnodes, g_string_free(s, FALSE));
}

void history_check_op(LedgerBook *b, const OracleModule *mod, void *st, uint32_t i, KeyId probe,
                      Verdict *v)
{
    History *h = b->view->history;
    const HistOp *op = history_op(h, i);
    if (op->key == probe || op_kind_is_admin((OpKind)op->kind))
        return; /* the liveness probe; operations on the cluster, not on the data */
    v->ops++;
    if (op->kind == OP_GET) {
        v->reads++;
        return;
    }
    v->writes++;
    Outcome o = op->outcome;
    if (o == OUTCOME_OK) {
        v->acked++;
        return;
    }
    if (o == OUTCOME_FAIL)
        v->failed++;
    else
        v->indeterminate++;
    Ledger *l = ledger_find(b, op->idem);
    if (l == NULL || !ledger_ever_held(b, l))
        return; /* never stored anywhere: an honest failure */
    gboolean seen = mod->visible(st, l);
    v->orphans++;
    if (seen)
        v->orphans_surfaced++;
    else
        v->orphans_latent++;
    if (o != OUTCOME_FAIL || !seen || l->acked)
        return;
    /* A definite failure that happened anyway, with no other attempt to explain it. */
    if (!failure_explained(h, i, op->idem))
        false_failure(b, op, l, v);
}

void history_check(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v)
{
    History *h = b->view->history;
    KeyId probe = oview_probe_key(b->view);
    for (guint i = 0; i < history_len(h); i++)
        if (!history_is_folded(h, i))
            history_check_op(b, mod, st, i, probe, v);
    v->duplicates = v->counts[V_DUPLICATE];
}

void history_check_liveness(const OracleView *view, const CheckEnd *end, Verdict *v)
{
    if (end->probe_op == UINT32_MAX) {
        v->liveness_note = g_strdup("not checked: the run ended before settle");
        return;
    }
    const HistOp *op = history_op(view->history, end->probe_op);
    if (op->outcome == OUTCOME_OK)
        return;
    if (!end->healed) {
        v->liveness_note = g_strdup("not checked: a fault was still in force at the end");
        return;
    }
    /* Still waiting when the run's time ran out, before the probe could have given up. */
    if (op->outcome == OUTCOME_PENDING &&
        oview_now(view) < world_config_final_deadline(view->cfg, op->invoke)) {
        v->liveness_note =
            g_strdup("not checked: the run's duration ended while the probe was out");
        return;
    }
    char when[32];
    uint32_t ops[1] = {op->id};
    verdict_add(v, V_STUCK, op->invoke, ops, 1, NULL, 0,
                g_strdup_printf("after every fault healed, a new write (invoked at %s) did not "
                                "complete: %s (%s)",
                                sim_time_format_human(op->invoke, when, sizeof when),
                                outcome_name(op->outcome), fail_reason_name(op->reason)));
}
