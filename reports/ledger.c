/* reports/ledger.c — the ledger of client writes (see ledger.h). */
#include "reports/ledger.h"

#include "reports/redundancy.h"

static guint popcount(uint64_t x)
{
    return (guint)__builtin_popcountll(x);
}

void ledger_init(LedgerBook *b, const OracleView *view, guint nodes)
{
    g_assert(nodes <= 32); /* Ledger node masks */
    /* The first chunk is allocated whole, so that no entry ever moves: callers hold several. */
    chunks_init(&b->entries, (guint)((sizeof(Ledger) + 2 * nodes + 7) & ~(gsize)7));
    chunks_reserve(&b->entries, CHUNKS_PER);
    idem_table_init(&b->index, sizeof(uint32_t));
    b->nodes = nodes;
    b->view = view;
    b->redundancy = NULL;
}

void ledger_clear(LedgerBook *b)
{
    chunks_clear(&b->entries);
    idem_table_clear(&b->index);
}

guint ledger_len(const LedgerBook *b)
{
    return b->entries.len;
}

Ledger *ledger_at(const LedgerBook *b, uint32_t i)
{
    return chunks_at(&b->entries, i);
}

Ledger *ledger_find(const LedgerBook *b, IdemKey idem)
{
    const uint32_t *id = idem_table_lookup(&b->index, idem);
    return id ? ledger_at(b, *id) : NULL;
}

Ledger *ledger_get(LedgerBook *b, IdemKey idem)
{
    Ledger *l = ledger_find(b, idem);
    if (l)
        return l;
    guint id = b->entries.len;
    l = chunks_push(&b->entries);
    l->idem = idem;
    l->key = KEY_NONE;
    l->first_op = UINT32_MAX;
    l->lost_node = ENDPOINT_NONE;
    *(uint32_t *)idem_table_insert(&b->index, idem) = id;
    return l;
}

uint32_t ledger_index(const LedgerBook *b, const Ledger *l)
{
    const uint32_t *id = idem_table_lookup(&b->index, l->idem);
    g_assert(id != NULL && ledger_at(b, *id) == l);
    return *id;
}

uint64_t ledger_holders(const LedgerBook *b, const Ledger *l)
{
    uint64_t mask = 0;
    for (guint n = 0; n < b->nodes; n++)
        if (l->counts[n] > 0)
            mask |= (uint64_t)1 << n;
    return mask;
}

gboolean ledger_backed(const Ledger *l, EndpointId node)
{
    return l->counts[node] > 0 || ((l->damaged >> node) & 1);
}

void ledger_copy_changed(LedgerBook *b, Ledger *l, EndpointId node, int delta, DiskChange cause)
{
    g_assert(delta > 0 || l->counts[node] > 0);
    l->counts[node] = (uint8_t)(l->counts[node] + delta);
    if (l->acked && b->redundancy)
        redundancy_copy_changed(b->redundancy, l, node, delta, cause);
    if (delta > 0) {
        l->ever |= (uint64_t)1 << node;
        l->lost_at = 0;
        return;
    }
    if (cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE)
        l->damaged |= (uint64_t)1 << node;
    if (ledger_holders(b, l) == 0)
        l->vanished_at = oview_now(b->view);
    if (l->acked && ledger_holders(b, l) == 0 && l->lost_at == 0) {
        l->lost_at = oview_now(b->view);
        l->lost_node = node;
        l->lost_cause = (uint8_t)cause;
    }
}

void ledger_describe_write(const LedgerBook *b, const Ledger *l, GString *s)
{
    char label[64];
    oview_op_label(b->view, l->acked_op != 0 || l->acked ? l->acked_op : l->first_op, label,
                   sizeof label);
    g_string_append_printf(s, "write %s (%s %s)", label, op_kind_name(l->kind),
                           l->key == KEY_NONE ? "?" : oview_key(b->view, l->key));
}

/* The early-ack text: too few durable copies, or enough but not committed. */
static char *early_ack_text(const LedgerBook *b, const Ledger *l, EndpointId from, uint64_t have,
                            guint need)
{
    const OracleView *v = b->view;
    GString *s = g_string_new(NULL);
    ledger_describe_write(b, l, s);
    char when[32];
    if (popcount(have) >= need)
        g_string_append_printf(s,
                               " acked by %s at %s before it was committed: its %u durable "
                               "copies (",
                               oview_name(v, from),
                               sim_time_format_human(oview_now(v), when, sizeof when),
                               popcount(have));
    else
        g_string_append_printf(
            s, " acked by %s at %s with %u/%u durable copies (", oview_name(v, from),
            sim_time_format_human(oview_now(v), when, sizeof when), popcount(have), need);
    oview_format_nodes(v, have, s);
    g_string_append(s, popcount(have) >= need ? ") do not include a majority made in its own term"
                                              : ")");
    return g_string_free(s, FALSE);
}

static void check_ack(LedgerBook *b, const OracleModule *mod, void *st, const Msg *m,
                      Verdict *found)
{
    History *h = b->view->history;
    if (m->u.cresp.op >= history_len(h))
        return;
    const HistOp *op = history_op(h, m->u.cresp.op);
    if (!op_kind_is_write(op->kind) || op->idem == IDEM_NONE)
        return;
    Ledger *l = ledger_get(b, op->idem);
    /* Copies a media fault took after they were durable still count: the protocol did its part. */
    uint64_t have = ledger_holders(b, l) | l->damaged;
    if (mod->snapshot_holders)
        have |= mod->snapshot_holders(st, l);
    if (!l->acked) {
        l->acked = 1;
        l->at_ack = have;
        l->acked_at = oview_now(b->view);
        l->acked_op = op->id;
        if (b->redundancy)
            redundancy_acked(b->redundancy, l);
    }
    guint need = mod->ack_copies(st);
    /* With a log, an ack is safe only once the entry is committed (Raft §5.4.2): a majority
     * holding a copy is not enough if those copies were not made in the entry's own term. */
    gboolean committed = !mod->acks_need_commitment || l->committed;
    if ((popcount(have) >= need && committed) || l->early_reported)
        return;
    l->early_reported = 1;
    uint32_t ops[1] = {op->id};
    EndpointId nodes[1] = {m->from};
    verdict_add(found, V_EARLY_ACK, oview_now(b->view), ops, 1, nodes, 1,
                early_ack_text(b, l, m->from, have, need));
}

void ledger_sent(LedgerBook *b, const OracleModule *mod, void *st, const Msg *m, Verdict *found)
{
    if (m->type == MSG_CLIENT_REQ) {
        if (op_kind_is_write(m->u.creq.kind) && m->u.creq.idem != IDEM_NONE) {
            Ledger *l = ledger_get(b, m->u.creq.idem);
            l->key = m->u.creq.key;
            l->kind = m->u.creq.kind;
            l->version = m->u.creq.version;
            if (l->first_op == UINT32_MAX)
                l->first_op = m->u.creq.op;
        }
    } else if (m->type == MSG_CLIENT_RESP && m->u.cresp.ok) {
        check_ack(b, mod, st, m, found);
    }
}

const char *ledger_change_text(DiskChange cause)
{
    static const char *how[] = {"overwritten",
                                "truncated away",
                                "lost in a power failure",
                                "destroyed by a media fault",
                                "lost with the disk",
                                "named again",
                                "unlinked (its file's removal made durable)"};
    return (guint)cause < G_N_ELEMENTS(how) ? how[cause] : "lost";
}

static void explain_loss(const LedgerBook *b, const Ledger *l, GString *s)
{
    const OracleView *v = b->view;
    char when[32];
    g_string_append_printf(s, " acked at %s with %u durable cop%s (",
                           sim_time_format_human(l->acked_at, when, sizeof when),
                           popcount(l->at_ack), popcount(l->at_ack) == 1 ? "y" : "ies");
    oview_format_nodes(v, l->at_ack, s);
    g_string_append(s, ")");
    if (l->lost_at > 0 && l->lost_node != ENDPOINT_NONE) {
        g_string_append_printf(
            s, "; its last copy was %s on %s at %s", ledger_change_text((DiskChange)l->lost_cause),
            oview_name(v, l->lost_node), sim_time_format_human(l->lost_at, when, sizeof when));
    } else if (l->ever == 0) {
        g_string_append(s, "; no disk ever held it durably");
    } else {
        g_string_append(s, "; no durable copy is left");
    }
}

void ledger_check_end(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v)
{
    for (guint i = 0; i < b->entries.len; i++) {
        Ledger *l = ledger_at(b, i);
        if (l->key == KEY_NONE)
            continue;
        uint64_t have = ledger_holders(b, l);
        if (mod->snapshot_holders)
            have |= mod->snapshot_holders(st, l);
        if (mod->ledger_end)
            mod->ledger_end(st, l, v);
        if (!l->acked || !mod->lost(st, l, have))
            continue;
        GString *s = g_string_new(NULL);
        ledger_describe_write(b, l, s);
        explain_loss(b, l, s);
        if (mod->loss_names_survivors && have != 0) {
            g_string_append(s, "; now only on ");
            oview_format_nodes(b->view, have, s);
        }
        uint32_t ops[1] = {l->acked_op};
        EndpointId nodes[1] = {l->lost_node};
        verdict_add(v, V_LOST_ACK, l->acked_at, ops, 1, nodes,
                    l->lost_node == ENDPOINT_NONE ? 0 : 1, g_string_free(s, FALSE));
    }
}
