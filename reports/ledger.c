/* reports/ledger.c — the ledger of client writes (see ledger.h). */
#include "reports/ledger.h"

#include "reports/redundancy.h"

static gsize entry_size(guint inline_copies)
{
    return (sizeof(Ledger) + inline_copies * sizeof(LedgerCopy) + 7) & ~(gsize)7;
}

void ledger_init(LedgerBook *b, const OracleView *view, guint nodes)
{
    memset(b, 0, sizeof *b);
    b->inline_copies = MIN(MAX(nodes, 1u), LEDGER_INLINE_MAX);
    /* The first chunk is allocated whole, so that no entry ever moves: callers hold several. */
    chunks_init(&b->entries, (guint)entry_size(b->inline_copies));
    chunks_reserve(&b->entries, CHUNKS_PER);
    idem_table_init(&b->index, sizeof(uint32_t));
    b->nodes = nodes;
    b->view = view;
}

static void chunks_free(gpointer p)
{
    if (!p)
        return;
    chunks_clear(p);
    g_free(p);
}

void ledger_clear(LedgerBook *b)
{
    if (b->folded_bits)
        g_ptr_array_unref(b->folded_bits);
    if (b->folded_named)
        g_hash_table_unref(b->folded_named);
    b->folded_bits = NULL;
    b->folded_named = NULL;
    for (guint i = 0; i < b->entries.len; i++)
        g_free(ledger_at(b, i)->more);
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

gboolean ledger_was_folded(const LedgerBook *b, IdemKey idem)
{
    uint64_t client = idem >> 32;
    uint32_t seq = (uint32_t)idem;
    if (client >= 1 && b->folded_bits && client - 1 < b->folded_bits->len) {
        const Chunks *a = g_ptr_array_index(b->folded_bits, client - 1);
        return a && seq / 64 < a->len && ((*(uint64_t *)chunks_at(a, seq / 64) >> (seq % 64)) & 1);
    }
    return b->folded_named && g_hash_table_contains(b->folded_named, &idem);
}

static void mark_folded(LedgerBook *b, IdemKey idem)
{
    uint64_t client = idem >> 32;
    uint32_t seq = (uint32_t)idem;
    if (client >= 1 && client <= WORLD_MAX_CLIENTS) {
        if (!b->folded_bits)
            b->folded_bits = g_ptr_array_new_with_free_func(chunks_free);
        if (client - 1 >= b->folded_bits->len)
            g_ptr_array_set_size(b->folded_bits, (guint)client);
        Chunks *a = g_ptr_array_index(b->folded_bits, client - 1);
        if (!a) {
            a = g_new(Chunks, 1);
            chunks_init(a, sizeof(uint64_t));
            g_ptr_array_index(b->folded_bits, client - 1) = a;
        }
        if (seq / 64 >= a->len)
            chunks_set_size(a, seq / 64 + 1);
        *(uint64_t *)chunks_at(a, seq / 64) |= (uint64_t)1 << (seq % 64);
        return;
    }
    if (!b->folded_named)
        b->folded_named = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_hash_table_add(b->folded_named, g_memdup2(&idem, sizeof idem));
}

Ledger *ledger_get(LedgerBook *b, IdemKey idem)
{
    Ledger *l = ledger_find(b, idem);
    if (l) {
        l->touched = oview_now(b->view);
        return l;
    }
    if ((b->folded_bits || b->folded_named) && ledger_was_folded(b, idem)) {
        b->late++;
        return NULL;
    }
    uint32_t id;
    if (b->free != 0) {
        id = b->free - 1;
        l = ledger_at(b, id);
        b->free = l->first_op;
        memset(l, 0, b->entries.elem);
        b->reused = TRUE;
    } else {
        id = b->entries.len;
        l = chunks_push(&b->entries);
    }
    l->idem = idem;
    l->key = KEY_NONE;
    l->first_op = UINT32_MAX;
    l->lost_node = ENDPOINT_NONE;
    l->seq = b->next_seq++;
    l->used = 1;
    l->touched = oview_now(b->view);
    b->live++;
    *(uint32_t *)idem_table_insert(&b->index, idem) = id;
    return l;
}

uint32_t ledger_index(const LedgerBook *b, const Ledger *l)
{
    const uint32_t *id = idem_table_lookup(&b->index, l->idem);
    g_assert(id != NULL && ledger_at(b, *id) == l);
    return *id;
}

void ledger_forget(LedgerBook *b, Ledger *l)
{
    uint32_t id = ledger_index(b, l);
    mark_folded(b, l->idem);
    idem_table_remove(&b->index, l->idem);
    g_free(l->more);
    l->more = NULL;
    l->used = 0;
    l->first_op = b->free;
    b->free = id + 1;
    b->live--;
}

static int cmp_seq(gconstpointer a, gconstpointer b, gpointer book)
{
    uint32_t x = ledger_at(book, *(const uint32_t *)a)->seq;
    uint32_t y = ledger_at(book, *(const uint32_t *)b)->seq;
    return x < y ? -1 : x > y;
}

uint32_t *ledger_order(const LedgerBook *b, guint *n)
{
    uint32_t *order = g_new(uint32_t, MAX(b->live, 1));
    guint k = 0;
    for (uint32_t i = 0; i < b->entries.len; i++)
        if (ledger_at(b, i)->used)
            order[k++] = i;
    if (b->reused)
        g_qsort_with_data(order, (gint)k, sizeof(uint32_t), cmp_seq, (gpointer)b);
    *n = k;
    return order;
}

/* ---- copies ---- */

static LedgerCopy *find_copy(const LedgerBook *b, const Ledger *l, EndpointId node)
{
    for (guint i = 0; i < l->ncopies; i++) {
        LedgerCopy *c = ledger_copy_at(l, b->inline_copies, i);
        if (c->node == node)
            return c;
    }
    return NULL;
}

/* Node's copies of l, made when it had none. */
static LedgerCopy *copy_of(LedgerBook *b, Ledger *l, EndpointId node)
{
    LedgerCopy *c = find_copy(b, l, node);
    if (c)
        return c;
    g_assert(l->ncopies < UINT8_MAX);
    guint i = l->ncopies++;
    if (i >= b->inline_copies)
        l->more = g_renew(LedgerCopy, l->more, i + 1 - b->inline_copies);
    c = ledger_copy_at(l, b->inline_copies, i);
    *c = (LedgerCopy){.node = node};
    return c;
}

const LedgerCopy *ledger_copy(const LedgerBook *b, const Ledger *l, EndpointId node)
{
    return find_copy(b, l, node);
}

guint ledger_count(const LedgerBook *b, const Ledger *l, EndpointId node)
{
    const LedgerCopy *c = find_copy(b, l, node);
    return c ? c->count : 0;
}

guint ledger_own(const LedgerBook *b, const Ledger *l, EndpointId node)
{
    const LedgerCopy *c = find_copy(b, l, node);
    return c ? c->own : 0;
}

void ledger_own_add(LedgerBook *b, Ledger *l, EndpointId node, int delta)
{
    LedgerCopy *c = copy_of(b, l, node);
    g_assert(delta > 0 || c->own > 0);
    c->own = (uint8_t)(c->own + delta);
}

void ledger_holders(const LedgerBook *b, const Ledger *l, NodeSet *out)
{
    nodeset_init(out, b->nodes);
    for (guint i = 0; i < l->ncopies; i++) {
        const LedgerCopy *c = ledger_copy_at(l, b->inline_copies, i);
        if (c->count > 0)
            nodeset_add(out, c->node);
    }
}

void ledger_flagged(const LedgerBook *b, const Ledger *l, guint flags, NodeSet *out)
{
    nodeset_init(out, b->nodes);
    for (guint i = 0; i < l->ncopies; i++) {
        const LedgerCopy *c = ledger_copy_at(l, b->inline_copies, i);
        if ((c->flags & flags) == flags)
            nodeset_add(out, c->node);
    }
}

gboolean ledger_backed(const LedgerBook *b, const Ledger *l, EndpointId node)
{
    const LedgerCopy *c = find_copy(b, l, node);
    return c && (c->count > 0 || (c->flags & LCOPY_DAMAGED));
}

void ledger_copy_changed(LedgerBook *b, Ledger *l, EndpointId node, int delta, DiskChange cause)
{
    LedgerCopy *c = copy_of(b, l, node);
    g_assert(delta > 0 || c->count > 0);
    l->touched = oview_now(b->view);
    if (c->count == 0)
        l->nholders++;
    c->count = (uint8_t)(c->count + delta);
    if (c->count == 0)
        l->nholders--;
    if (delta > 0)
        c->flags |= LCOPY_EVER;
    else if (cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE)
        c->flags |= LCOPY_DAMAGED;
    if (l->acked && b->redundancy)
        redundancy_copy_changed(b->redundancy, l, node, delta, cause);
    if (delta > 0) {
        l->lost_at = 0;
        return;
    }
    if (l->nholders == 0)
        l->vanished_at = oview_now(b->view);
    if (l->acked && l->nholders == 0 && l->lost_at == 0) {
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

/* ---- acks ---- */

/* The early-ack text: too few durable copies, or enough but not committed. */
static char *early_ack_text(const LedgerBook *b, const Ledger *l, EndpointId from,
                            const NodeSet *have, guint need)
{
    const OracleView *v = b->view;
    GString *s = g_string_new(NULL);
    ledger_describe_write(b, l, s);
    char when[32];
    guint n = nodeset_count(have);
    if (n >= need)
        g_string_append_printf(s,
                               " acked by %s at %s before it was committed: its %u durable "
                               "copies (",
                               oview_name(v, from),
                               sim_time_format_human(oview_now(v), when, sizeof when), n);
    else
        g_string_append_printf(s, " acked by %s at %s with %u/%u durable copies (",
                               oview_name(v, from),
                               sim_time_format_human(oview_now(v), when, sizeof when), n, need);
    oview_format_nodeset(v, have, s);
    g_string_append(s, n >= need ? ") do not include a majority made in its own term" : ")");
    return g_string_free(s, FALSE);
}

/* The nodes that hold l or held it until a media fault took it, and those whose snapshot holds
 * it. */
static void backing(const LedgerBook *b, const OracleModule *mod, void *st, const Ledger *l,
                    NodeSet *out)
{
    NodeSet damaged;
    ledger_holders(b, l, out);
    ledger_flagged(b, l, LCOPY_DAMAGED, &damaged);
    nodeset_union(out, &damaged);
    if (mod->snapshot_holders)
        mod->snapshot_holders(st, l, out);
}

/* The write was first acked with these nodes holding it. */
static void first_ack(LedgerBook *b, Ledger *l, const HistOp *op, const NodeSet *have)
{
    l->acked = 1;
    for (EndpointId n = 0; n < b->nodes; n++)
        if (nodeset_has(have, n))
            copy_of(b, l, n)->flags |= LCOPY_AT_ACK;
    l->acked_at = oview_now(b->view);
    l->acked_op = op->id;
    if (b->redundancy)
        redundancy_acked(b->redundancy, l);
}

static void check_ack(LedgerBook *b, const OracleModule *mod, void *st, const Msg *m,
                      Verdict *found)
{
    History *h = b->view->history;
    if (m->u.cresp.op >= history_len(h) || history_is_folded(h, m->u.cresp.op))
        return; /* a late answer to an operation folded as final */
    const HistOp *op = history_op(h, m->u.cresp.op);
    if (!op_kind_is_write(op->kind) || op->idem == IDEM_NONE)
        return;
    Ledger *l = ledger_get(b, op->idem);
    if (!l)
        return;
    /* Copies a media fault took after they were durable still count: the protocol did its part. */
    NodeSet have;
    backing(b, mod, st, l, &have);
    if (!l->acked)
        first_ack(b, l, op, &have);
    guint need = mod->ack_copies(st);
    /* With a log, an ack is safe only once the entry is committed (Raft §5.4.2): a majority
     * holding a copy is not enough if those copies were not made in the entry's own term. */
    gboolean committed = !mod->acks_need_commitment || l->committed;
    if ((nodeset_count(&have) >= need && committed) || l->early_reported)
        return;
    l->early_reported = 1;
    uint32_t ops[1] = {op->id};
    EndpointId nodes[1] = {m->from};
    verdict_add(found, V_EARLY_ACK, oview_now(b->view), ops, 1, nodes, 1,
                early_ack_text(b, l, m->from, &have, need));
}

void ledger_sent(LedgerBook *b, const OracleModule *mod, void *st, const Msg *m, Verdict *found)
{
    if (m->type == MSG_CLIENT_REQ) {
        Ledger *l = op_kind_is_write(m->u.creq.kind) && m->u.creq.idem != IDEM_NONE
                        ? ledger_get(b, m->u.creq.idem)
                        : NULL;
        if (l) {
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

/* ---- the end ---- */

static void explain_loss(const LedgerBook *b, const Ledger *l, GString *s)
{
    const OracleView *v = b->view;
    char when[32];
    NodeSet at_ack;
    ledger_flagged(b, l, LCOPY_AT_ACK, &at_ack);
    guint n = nodeset_count(&at_ack);
    g_string_append_printf(s, " acked at %s with %u durable cop%s (",
                           sim_time_format_human(l->acked_at, when, sizeof when), n,
                           n == 1 ? "y" : "ies");
    oview_format_nodeset(v, &at_ack, s);
    g_string_append(s, ")");
    if (l->lost_at > 0 && l->lost_node != ENDPOINT_NONE) {
        g_string_append_printf(
            s, "; its last copy was %s on %s at %s", ledger_change_text((DiskChange)l->lost_cause),
            oview_name(v, l->lost_node), sim_time_format_human(l->lost_at, when, sizeof when));
    } else if (!ledger_ever_held(b, l)) {
        g_string_append(s, "; no disk ever held it durably");
    } else {
        g_string_append(s, "; no durable copy is left");
    }
}

void ledger_check_one(LedgerBook *b, const OracleModule *mod, void *st, Ledger *l, Verdict *v)
{
    if (l->key == KEY_NONE)
        return;
    NodeSet have;
    ledger_holders(b, l, &have);
    if (mod->snapshot_holders)
        mod->snapshot_holders(st, l, &have);
    if (mod->ledger_end)
        mod->ledger_end(st, l, v);
    if (!l->acked || !mod->lost(st, l, &have))
        return;
    GString *s = g_string_new(NULL);
    ledger_describe_write(b, l, s);
    explain_loss(b, l, s);
    if (mod->loss_names_survivors && !nodeset_is_empty(&have)) {
        g_string_append(s, "; now only on ");
        oview_format_nodeset(b->view, &have, s);
    }
    uint32_t ops[1] = {l->acked_op};
    EndpointId nodes[1] = {l->lost_node};
    verdict_add(v, V_LOST_ACK, l->acked_at, ops, 1, nodes, l->lost_node == ENDPOINT_NONE ? 0 : 1,
                g_string_free(s, FALSE));
}

void ledger_check_end(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v)
{
    guint n;
    g_autofree uint32_t *order = ledger_order(b, &n);
    for (guint i = 0; i < n; i++)
        ledger_check_one(b, mod, st, ledger_at(b, order[i]), v);
}
