/* reports/persist.c — persist-before-send (see persist.h). */
#include "reports/persist.h"

void persist_unpersisted(const OracleView *v, const Msg *m, const char *what, Verdict *found)
{
    char when[32];
    EndpointId nodes[2] = {m->from, m->to};
    verdict_add(found, V_UNPERSISTED_SEND, oview_now(v), NULL, 0, nodes, 2,
                g_strdup_printf("%s sent %s to %s at %s, but its durable disk does not back it",
                                oview_name(v, m->from), what, oview_name(v, m->to),
                                sim_time_format_human(oview_now(v), when, sizeof when)));
}

void persist_check_durable_ack(LedgerBook *b, const Msg *m, IdemKey idem, Verdict *found)
{
    if (idem == IDEM_NONE || m->from >= b->nodes || ledger_backed(ledger_get(b, idem), m->from))
        return;
    char label[64];
    g_autofree char *what = g_strdup_printf(
        "a durable ack of write %s", b->view->idem_name(b->view->ctx, idem, label, sizeof label));
    persist_unpersisted(b->view, m, what, found);
}
