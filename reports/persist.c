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

void persist_unbacked(const OracleView *v, const Msg *m, const char *what, gboolean fs_broke,
                      Verdict *found)
{
    if (!fs_broke) {
        persist_unpersisted(v, m, what, found);
        return;
    }
    char when[32];
    EndpointId nodes[2] = {m->from, m->to};
    verdict_add(found, V_FS_BROKEN_PROMISE, oview_now(v), NULL, 0, nodes, 2,
                g_strdup_printf("%s sent %s to %s at %s after an fsync returned 0, but its file "
                                "system had lost the write without reporting it to that "
                                "descriptor",
                                oview_name(v, m->from), what, oview_name(v, m->to),
                                sim_time_format_human(oview_now(v), when, sizeof when)));
}

typedef struct {
    gboolean (*holds)(const DiskBlock *b, const void *ctx);
    const void *ctx;
    gboolean found;
} BrokeScan;

static void scan_broken(void *ctx, guint file, uint32_t idx, const DiskBlock *b)
{
    BrokeScan *s = ctx;
    s->found |= s->holds(b, s->ctx);
}

gboolean persist_fs_broke(const OracleView *v, EndpointId node,
                          gboolean (*holds)(const DiskBlock *b, const void *ctx), const void *ctx)
{
    const Disk *d = oview_disk(v, node);
    if (d == NULL || holds == NULL || disk_stats(d)->broken_promises == 0)
        return FALSE;
    BrokeScan s = {holds, ctx, FALSE};
    disk_broken_promises(d, scan_broken, &s);
    return s.found;
}

void persist_check_durable_ack(LedgerBook *b, const Msg *m, IdemKey idem,
                               gboolean (*holds)(const DiskBlock *b, const void *ctx),
                               Verdict *found)
{
    const Ledger *l = idem != IDEM_NONE && m->from < b->nodes ? ledger_get(b, idem) : NULL;
    if (!l || ledger_backed(b, l, m->from))
        return; /* not a storage node's ack, or of a write folded as final */
    char label[64];
    g_autofree char *what = g_strdup_printf(
        "a durable ack of write %s", b->view->idem_name(b->view->ctx, idem, label, sizeof label));
    persist_unbacked(b->view, m, what, persist_fs_broke(b->view, m->from, holds, &idem), found);
}
