/* reports/check.c — the oracles (see check.h).
 *
 * Ground truth. The checker follows every change of every node's durable image (the world's
 * `durable` observation) and decodes the blocks itself: for quorum, data and hint records,
 * VOID markers and handed-off hints, so it knows which records a node could really recover; for
 * raft, log entries and the durable metadata. From that it keeps, per logical write (idempotency
 * key), how many live durable copies each node holds. It never asks a node what it believes.
 *
 * Raft commitment, as the checker computes it: entry (i, T) is committed once a majority of
 * servers hold it durably, each having been at term T (per its durable metadata) when the entry
 * became durable there — which is what the leader of T may count (Raft §5.4.2); every entry
 * below i in such a log is committed too (log matching).
 */
#include "reports/check.h"

#include "model/idem_table.h"
#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "model/quorum/ring.h"
#include "sim/engine/chunks.h"

#include <string.h>

/* ---- verdicts ---- */

void verdict_init(Verdict *v)
{
    memset(v, 0, sizeof *v);
    v->violations = g_ptr_array_new();
    v->lin = LIN_OK;
}

static void violation_free(Violation *x)
{
    g_free(x->text);
    g_free(x);
}

void verdict_clear(Verdict *v)
{
    if (v->violations) {
        for (guint i = 0; i < v->violations->len; i++)
            violation_free(g_ptr_array_index(v->violations, i));
        g_ptr_array_unref(v->violations);
    }
    g_free(v->model_note);
    g_free(v->liveness_note);
    g_free(v->convergence_note);
    memset(v, 0, sizeof *v);
}

gboolean verdict_passed(const Verdict *v)
{
    return v->kinds == 0;
}

void verdict_add(Verdict *v, ViolationKind kind, SimTime time, const uint32_t *ops, guint nops,
                 const EndpointId *nodes, guint nnodes, char *text)
{
    v->kinds |= 1u << kind;
    if (v->counts[kind]++ >= VERDICT_EXAMPLES) {
        g_free(text);
        return;
    }
    Violation *x = g_new0(Violation, 1);
    x->kind = kind;
    x->time = time;
    x->nops = MIN(nops, G_N_ELEMENTS(x->ops));
    for (guint i = 0; i < x->nops; i++)
        x->ops[i] = ops[i];
    x->nnodes = MIN(nnodes, G_N_ELEMENTS(x->nodes));
    for (guint i = 0; i < x->nnodes; i++)
        x->nodes[i] = nodes[i];
    x->text = text;
    g_ptr_array_add(v->violations, x);
}

/* ---- the ledger ---- */

/* One client write. Ordered by size, so that a million of them stay small. */
typedef struct {
    IdemKey idem;
    Version version;
    SimTime acked_at;
    SimTime lost_at;       /* when its last live durable copy went, after the ack */
    uint64_t effect_index; /* raft: first log index applied with effect */
    uint32_t ever;         /* nodes that ever held it durably (storage nodes are fewer than 33) */
    uint32_t damaged;      /* nodes whose durable copy a media fault or disk loss took */
    uint32_t at_ack;       /* nodes that held it durably when it was first acked */
    KeyId key;
    uint32_t acked_op;
    uint32_t first_op;
    EndpointId lost_node;
    uint8_t lost_cause; /* DiskChange of that loss */
    uint8_t kind;
    uint8_t acked;
    uint8_t early_reported;
    uint8_t lost_reported;
    uint8_t dup_reported;
    uint8_t committed; /* raft: committed by the checker's rule */
    uint8_t counts[];  /* [nodes] live durable copies, then [nodes] quorum DATA copies */
} Ledger;

typedef struct {
    Chunks entries;  /* of Ledger plus counts, in creation order */
    IdemTable index; /* IdemKey -> uint32_t entry */
} LedgerBook;

typedef struct {
    IdemKey idem;
    uint32_t target; /* VOID: the block it voids */
    uint8_t type;
    uint8_t durable : 1;
    uint8_t voided : 1;
    uint8_t done : 1;
    uint8_t copy : 1; /* a rewritten copy: another durable copy, not another application */
} QBlockInfo;

typedef struct {
    uint64_t term;
    uint64_t commit_term; /* the term whose leader could count the majority that committed it */
    IdemKey idem;
    uint8_t kind;
    uint8_t set;
} Slot;

/* Raft: the first command applied at an index. */
typedef struct {
    uint64_t term;
    IdemKey idem;
    EndpointId node; /* the server that applied it first */
    uint8_t set;
} Applied;

G_STATIC_ASSERT(WORLD_MAX_NODES <= 32); /* Ledger node masks */

/* Raft: the nodes that durably hold entry (index, term) and durably record its term. */
typedef struct Support {
    uint64_t term;
    uint64_t mask;
    struct Support *next; /* another term at the same index */
} Support;

/* Raft: a server's log as the server itself holds it. */
typedef struct {
    uint64_t term;
    IdemKey idem;
} MirrorEntry;

typedef struct QState QState;

struct Checker {
    World *w;
    const WorldConfig *cfg;
    guint nodes;
    guint majority;
    Verdict found; /* everything raised during the run; filtered at the end */
    LedgerBook ledger;
    Chunks *qblocks;     /* quorum: per node, of QBlockInfo */
    uint64_t *meta_term; /* raft: per node, the term of its durable metadata */
    GPtrArray *support;  /* raft: Support lists by index, from committed.len + 1 on (or NULL) */
    Chunks *mirror;      /* raft: per node, of uint32_t block-store ids (0: none): its log as read
                            at boot, then as written */
    BlockStore *store;
    Chunks committed; /* raft: of Slot, by index - 1 */
    /* raft: a commitment whose prefix was not yet durable on any supporter when its majority
     * formed (an fsync made later blocks durable before earlier ones); retried as blocks land */
    uint64_t pending_index, pending_term, pending_mask;
    Chunks applied;      /* raft: of Applied, by index - 1 */
    GHashTable *leaders; /* raft: term -> node + 1, lookups only */
    gboolean convergence_checked;
    /* quorum: the per-key state the convergence check built, kept for the end of the run as
     * long as nothing but new original data blocks became durable since (those are added) */
    QState *qcache;
    /* raft: the last log block decoded from the block store, and what it decoded to */
    DiskBlock dec_block;
    RaftEntry dec_entry;
    gboolean dec_ok;
    uint32_t *qcache_len;    /* per node: blocks the cached state has seen */
    gboolean *qcache_copies; /* per node: it had rewritten copies (then any change rebuilds) */
    GHashTable *votes;       /* raft: term << 8 | voter -> candidate + 1: durable votes */
    SimTime *crash_time;
    gboolean *crash_power;
};

static guint popcount(uint64_t x)
{
    return (guint)__builtin_popcountll(x);
}

static Ledger *ledger_at(const LedgerBook *b, uint32_t i)
{
    return chunks_at(&b->entries, i);
}

static Ledger *ledger_find(Checker *c, IdemKey idem)
{
    const uint32_t *id = idem_table_lookup(&c->ledger.index, idem);
    return id ? ledger_at(&c->ledger, *id) : NULL;
}

/* The write's entry, created on first use. Entries never move once made (see ledger_init). */
static Ledger *ledger_get(Checker *c, IdemKey idem)
{
    Ledger *l = ledger_find(c, idem);
    if (l)
        return l;
    LedgerBook *b = &c->ledger;
    guint id = b->entries.len;
    l = chunks_push(&b->entries);
    l->idem = idem;
    l->key = KEY_NONE;
    l->first_op = UINT32_MAX;
    l->lost_node = ENDPOINT_NONE;
    *(uint32_t *)idem_table_insert(&b->index, idem) = id;
    return l;
}

static void ledger_init(LedgerBook *b, guint nodes)
{
    /* The first chunk is allocated whole, so that no entry ever moves: callers hold several. */
    chunks_init(&b->entries, (guint)((sizeof(Ledger) + 2 * nodes + 7) & ~(gsize)7));
    chunks_reserve(&b->entries, CHUNKS_PER);
    idem_table_init(&b->index, sizeof(uint32_t));
}

static void ledger_clear(LedgerBook *b)
{
    chunks_clear(&b->entries);
    idem_table_clear(&b->index);
}

static uint64_t holders(const Checker *c, const Ledger *l)
{
    uint64_t mask = 0;
    for (guint n = 0; n < c->nodes; n++)
        if (l->counts[n] > 0)
            mask |= (uint64_t)1 << n;
    return mask;
}

static void format_nodes(const Checker *c, uint64_t mask, GString *out)
{
    gboolean first = TRUE;
    for (guint n = 0; n < c->nodes; n++) {
        if (!((mask >> n) & 1))
            continue;
        g_string_append_printf(out, "%s%s", first ? "" : ", ", world_endpoint_name(c->w, n));
        first = FALSE;
    }
    if (first)
        g_string_append(out, "none");
}

const char *checker_op_label(const World *w, uint32_t op, char *buf, gsize size)
{
    History *h = world_history((World *)w);
    if (op == UINT32_MAX || op >= history_len(h)) {
        g_snprintf(buf, size, "?");
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

static void describe_write(const Checker *c, const Ledger *l, GString *s)
{
    char label[64], when[32];
    checker_op_label(c->w, l->acked_op != 0 || l->acked ? l->acked_op : l->first_op, label,
                     sizeof label);
    g_string_append_printf(s, "write %s (%s %s)", label, op_kind_name(l->kind),
                           l->key == KEY_NONE ? "?" : world_key_name(c->w, l->key));
    (void)when;
}

static void copy_changed(Checker *c, Ledger *l, EndpointId node, int delta, DiskChange cause)
{
    g_assert(delta > 0 || l->counts[node] > 0);
    l->counts[node] = (uint8_t)(l->counts[node] + delta);
    if (delta > 0) {
        l->ever |= (uint64_t)1 << node;
        l->lost_at = 0;
        return;
    }
    if (cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE)
        l->damaged |= (uint64_t)1 << node;
    if (l->acked && holders(c, l) == 0 && l->lost_at == 0) {
        l->lost_at = world_now(c->w);
        l->lost_node = node;
        l->lost_cause = (uint8_t)cause;
    }
}

/* ---- quorum blocks ---- */

static QBlockInfo *qblock(Checker *c, EndpointId node, uint32_t idx)
{
    Chunks *a = &c->qblocks[node];
    if (idx >= a->len)
        chunks_set_size(a, idx + 1);
    return chunks_at(a, idx);
}

static gboolean qalive(const QBlockInfo *b)
{
    return b->durable && !b->voided && !b->done && (b->type == QBLK_DATA || b->type == QBLK_HINT);
}

static void qcopy(Checker *c, EndpointId node, const QBlockInfo *b, int delta, DiskChange cause)
{
    Ledger *l = ledger_get(c, b->idem);
    if (b->type == QBLK_DATA && !b->copy) {
        g_assert(delta > 0 || l->counts[c->nodes + node] > 0);
        l->counts[c->nodes + node] = (uint8_t)(l->counts[c->nodes + node] + delta);
    }
    copy_changed(c, l, node, delta, cause);
}

static void qcache_drop(Checker *c);

static void quorum_durable(Checker *c, EndpointId node, uint32_t idx, const DiskBlock *old,
                           const DiskBlock *neu, DiskChange cause)
{
    if (c->qcache && (old || !neu || idx < c->qcache_len[node] || c->qcache_copies[node]))
        qcache_drop(c);
    QBlockInfo *b = qblock(c, node, idx);
    if (old && b->durable) {
        if (qalive(b))
            qcopy(c, node, b, -1, cause);
        b->durable = 0;
    }
    if (!neu)
        return;
    QBlock qb;
    b->durable = 1;
    b->voided = 0;
    b->done = 0;
    if (quorum_decode(neu, &qb) != BLOCK_OK) {
        b->type = 0;
        return;
    }
    if (c->qcache && (qb.type != QBLK_DATA || qb.rec.copy))
        qcache_drop(c);
    b->type = (uint8_t)qb.type;
    if (qb.type == QBLK_DATA || qb.type == QBLK_HINT) {
        b->idem = qb.rec.idem;
        b->copy = qb.rec.copy;
        Ledger *l = ledger_get(c, qb.rec.idem);
        l->key = qb.rec.key;
        l->kind = qb.rec.op;
        l->version = qb.rec.version;
        qcopy(c, node, b, +1, cause);
    } else if (qb.type == QBLK_VOID) {
        b->target = qb.block;
        QBlockInfo *t = qblock(c, node, qb.block);
        b = NULL; /* qblock may have moved the array */
        if (qalive(t))
            qcopy(c, node, t, -1, cause);
        t->voided = 1;
    } else if (qb.type == QBLK_HINT_DONE) {
        Chunks *a = &c->qblocks[node];
        for (guint i = 0; i < a->len; i++) {
            QBlockInfo *h = chunks_at(a, i);
            if (h->type == QBLK_HINT && h->idem == qb.idem && qalive(h)) {
                qcopy(c, node, h, -1, cause);
                h->done = 1;
            }
        }
    }
}

/* ---- raft entries ---- */

static void support_free(gpointer p)
{
    for (Support *x = p, *next; x; x = next) {
        next = x->next;
        g_free(x);
    }
}

static Slot *slot_at(Chunks *a, uint64_t index)
{
    if (index > a->len)
        chunks_set_size(a, (guint)index);
    return chunks_at(a, (guint)(index - 1));
}

/* Entry (index, term) of node's durable log is committed: so is its durable prefix. */
/* Entry (index, term) is committed: so is every entry below it, as the supporters' logs hold
 * them (log matching). Reads each from a supporter that holds it durably. */
/* Node n's durable log entry at `index`: FALSE if it has none or it does not decode. `id` (may
 * be NULL) gets its block-store id. The servers of a run mostly hold the same blocks, so the
 * last block decoded is remembered. */
static gboolean durable_entry(Checker *c, EndpointId n, uint64_t index, RaftEntry *out,
                              uint32_t *id)
{
    uint32_t bid = disk_durable_id(world_disk(c->w, n), RAFT_FILE_LOG, (uint32_t)(index - 1));
    if (id)
        *id = bid;
    if (bid == 0)
        return FALSE; /* none, or a hole: nothing decodes */
    const DiskBlock *b = block_store_get(c->store, bid);
    if (memcmp(b, &c->dec_block, sizeof *b) != 0) {
        c->dec_block = *b;
        c->dec_ok = raft_decode_entry(b, &c->dec_entry) == BLOCK_OK;
    }
    *out = c->dec_entry;
    return c->dec_ok;
}

static void commit_through(Checker *c, uint64_t supporters, uint64_t index, uint64_t term)
{
    uint64_t from = c->committed.len + 1;
    for (uint64_t i = from; i <= index; i++) {
        RaftEntry e;
        gboolean found = FALSE;
        for (EndpointId n = 0; n < c->nodes && !found; n++)
            found = ((supporters >> n) & 1) && durable_entry(c, n, i, &e, NULL);
        if (!found) {
            if (index > c->pending_index) {
                c->pending_index = index;
                c->pending_term = term;
                c->pending_mask = supporters;
            }
            break;
        }
        Slot *s = slot_at(&c->committed, i);
        *s = (Slot){.term = e.term, .commit_term = term, .idem = e.idem, .kind = e.kind, .set = 1};
        Ledger *l = e.idem != IDEM_NONE ? ledger_find(c, e.idem) : NULL;
        if (l)
            l->committed = 1;
    }
    /* Support below the committed prefix is never counted again. */
    guint gone = (guint)MIN(c->committed.len + 1 - from, (uint64_t)c->support->len);
    if (gone > 0)
        g_ptr_array_remove_range(c->support, 0, gone);
}

/* Entry e, just made durable at block `idx` of node's log, against the other servers' entries
 * at e's index. */
static void check_log_matching(Checker *c, EndpointId node, uint32_t idx, const RaftEntry *e)
{
    uint32_t mine = disk_durable_id(world_disk(c->w, node), RAFT_FILE_LOG, idx);
    for (EndpointId other = 0; other < c->nodes; other++) {
        if (other == node)
            continue;
        uint32_t theirs =
            disk_durable_id(world_disk(c->w, other), RAFT_FILE_LOG, (uint32_t)(e->index - 1));
        RaftEntry o;
        if (theirs == 0 || theirs == mine || !durable_entry(c, other, e->index, &o, NULL))
            continue; /* nothing there, the very same bytes, or nothing readable */
        if (o.term == e->term && (o.idem != e->idem || o.kind != e->kind)) {
            char when[32];
            EndpointId nodes[2] = {node, other};
            verdict_add(
                &c->found, V_LOG_MATCHING, world_now(c->w), NULL, 0, nodes, 2,
                g_strdup_printf("%s and %s hold different entries at index %" G_GUINT64_FORMAT
                                " with the same term %" G_GUINT64_FORMAT " (at %s)",
                                world_endpoint_name(c->w, node), world_endpoint_name(c->w, other),
                                e->index, e->term,
                                sim_time_format_human(world_now(c->w), when, sizeof when)));
            return;
        }
    }
}

/* Entry e is durable on node, which durably records e's term: what the leader of that term may
 * count toward committing it (Raft §5.4.2). */
static void add_support(Checker *c, EndpointId node, const RaftEntry *e)
{
    if (c->meta_term[node] != e->term || e->index <= c->committed.len)
        return;
    guint pos = (guint)(e->index - c->committed.len - 1);
    if (pos >= c->support->len)
        g_ptr_array_set_size(c->support, pos + 1);
    Support **head = (Support **)&g_ptr_array_index(c->support, pos), *x = *head;
    while (x && x->term != e->term)
        x = x->next;
    if (!x) {
        x = g_new0(Support, 1);
        x->term = e->term;
        x->next = *head;
        *head = x;
    }
    x->mask |= (uint64_t)1 << node;
    uint64_t mask = x->mask;
    if (popcount(mask) >= c->majority)
        commit_through(c, mask, e->index, e->term); /* may free x */
}

static void support_held_entries(Checker *c, EndpointId node, uint64_t term);

static void raft_durable(Checker *c, EndpointId node, guint file, uint32_t idx,
                         const DiskBlock *old, const DiskBlock *neu, DiskChange cause)
{
    if (file == RAFT_FILE_META) {
        RaftMeta m;
        /* The term the node's disk records. Damage to its metadata does not unmake what the
         * node did in a term it had recorded; a lost disk does (the node starts over). */
        uint64_t t = raft_durable_meta(world_disk(c->w, node), &m) ? m.term : 0;
        if (cause == DISK_CHANGE_MEDIA)
            t = MAX(t, c->meta_term[node]);
        gboolean rose = t > c->meta_term[node];
        c->meta_term[node] = t;
        if (rose)
            support_held_entries(c, node, t);
        if (neu && raft_decode_meta(neu, &m) == BLOCK_OK && m.voted_for != ENDPOINT_NONE) {
            /* A vote that reached the disk: later damage does not unmake the node's care. */
            uint64_t *k = g_new(uint64_t, 1);
            *k = m.term << 8 | node;
            g_hash_table_insert(c->votes, k, GUINT_TO_POINTER(m.voted_for + 1u));
        }
        return;
    }
    RaftEntry e;
    if (old && raft_decode_entry(old, &e) == BLOCK_OK && e.idem != IDEM_NONE) {
        Ledger *l = ledger_get(c, e.idem);
        if (l->counts[node] > 0)
            copy_changed(c, l, node, -1, cause);
    }
    if (c->pending_index > c->committed.len && ((c->pending_mask >> node) & 1))
        commit_through(c, c->pending_mask, c->pending_index, c->pending_term);
    if (!neu || raft_decode_entry(neu, &e) != BLOCK_OK)
        return;
    if (e.idem != IDEM_NONE) {
        Ledger *l = ledger_get(c, e.idem);
        l->key = e.key;
        l->kind = e.kind;
        copy_changed(c, l, node, +1, cause);
    }
    check_log_matching(c, node, idx, &e);
    add_support(c, node, &e);
}

/* The node's durable term rose to `term`: entries of that term it already held durably (its log
 * fsync finished before its metadata's) support their commitment from now on. */
static void support_held_entries(Checker *c, EndpointId node, uint64_t term)
{
    Disk *d = world_disk(c->w, node);
    uint32_t len = disk_durable_length(d, RAFT_FILE_LOG);
    for (uint32_t i = (uint32_t)c->committed.len; i < len; i++) {
        DiskBlock b;
        RaftEntry e;
        if (disk_durable_block(d, RAFT_FILE_LOG, i, &b) && raft_decode_entry(&b, &e) == BLOCK_OK &&
            e.term == term)
            add_support(c, node, &e);
    }
}

/* ---- observation ---- */

static void on_durable(void *ctx, World *w, EndpointId node, guint file, uint32_t idx,
                       const DiskBlock *old, const DiskBlock *neu, DiskChange cause)
{
    Checker *c = ctx;
    if (c->cfg->protocol == PROTO_QUORUM)
        quorum_durable(c, node, idx, old, neu, cause);
    else
        raft_durable(c, node, file, idx, old, neu, cause);
}

static void unpersisted(Checker *c, const Msg *m, const char *what)
{
    char when[32];
    EndpointId nodes[2] = {m->from, m->to};
    verdict_add(&c->found, V_UNPERSISTED_SEND, world_now(c->w), NULL, 0, nodes, 2,
                g_strdup_printf("%s sent %s to %s at %s, but its durable disk does not back it",
                                world_endpoint_name(c->w, m->from), what,
                                world_endpoint_name(c->w, m->to),
                                sim_time_format_human(world_now(c->w), when, sizeof when)));
}

static void check_ack(Checker *c, const Msg *m)
{
    History *h = world_history(c->w);
    if (m->u.cresp.op >= history_len(h))
        return;
    const HistOp *op = history_op(h, m->u.cresp.op);
    if (!op_kind_is_write(op->kind) || op->idem == IDEM_NONE)
        return;
    Ledger *l = ledger_get(c, op->idem);
    /* Copies a media fault took after they were durable still count: the protocol did its part. */
    uint64_t have = holders(c, l) | l->damaged;
    if (!l->acked) {
        l->acked = 1;
        l->at_ack = have;
        l->acked_at = world_now(c->w);
        l->acked_op = op->id;
    }
    guint need = c->cfg->protocol == PROTO_QUORUM ? c->cfg->write_quorum : c->majority;
    /* Raft: an ack is safe only once the entry is committed (Raft §5.4.2): a majority holding a
     * copy is not enough if those copies were not made in the entry's own term. */
    gboolean committed = c->cfg->protocol != PROTO_RAFT || l->committed;
    if ((popcount(have) >= need && committed) || l->early_reported)
        return;
    l->early_reported = 1;
    GString *s = g_string_new(NULL);
    describe_write(c, l, s);
    char when[32];
    if (popcount(have) >= need)
        g_string_append_printf(s,
                               " acked by %s at %s before it was committed: its %u durable "
                               "copies (",
                               world_endpoint_name(c->w, m->from),
                               sim_time_format_human(world_now(c->w), when, sizeof when),
                               popcount(have));
    else
        g_string_append_printf(
            s, " acked by %s at %s with %u/%u durable copies (", world_endpoint_name(c->w, m->from),
            sim_time_format_human(world_now(c->w), when, sizeof when), popcount(have), need);
    format_nodes(c, have, s);
    g_string_append(s, popcount(have) >= need ? ") do not include a majority made in its own term"
                                              : ")");
    uint32_t ops[1] = {op->id};
    EndpointId nodes[1] = {m->from};
    verdict_add(&c->found, V_EARLY_ACK, world_now(c->w), ops, 1, nodes, 1, g_string_free(s, FALSE));
}

/* Whether node holds a live durable copy, or held one until a media fault took it. */
static gboolean backed(const Checker *c, const Ledger *l, EndpointId node)
{
    return l->counts[node] > 0 || ((l->damaged >> node) & 1);
}

static void on_sent(void *ctx, World *w, const Msg *m)
{
    Checker *c = ctx;
    switch (m->type) {
    case MSG_CLIENT_REQ:
        if (op_kind_is_write(m->u.creq.kind) && m->u.creq.idem != IDEM_NONE) {
            Ledger *l = ledger_get(c, m->u.creq.idem);
            l->key = m->u.creq.key;
            l->kind = m->u.creq.kind;
            l->version = m->u.creq.version;
            if (l->first_op == UINT32_MAX)
                l->first_op = m->u.creq.op;
        }
        break;
    case MSG_CLIENT_RESP:
        if (m->u.cresp.ok)
            check_ack(c, m);
        break;
    case MSG_Q_WRITE_ACK:
        if (quorum_body(m)->qack.status == QACK_DURABLE && quorum_body(m)->qack.idem != IDEM_NONE &&
            m->from < c->nodes && !backed(c, ledger_get(c, quorum_body(m)->qack.idem), m->from)) {
            char label[64];
            g_autofree char *what =
                g_strdup_printf("a durable ack of write %s",
                                world_idem_name(w, quorum_body(m)->qack.idem, label, sizeof label));
            unpersisted(c, m, what);
        }
        break;
    case MSG_R_VOTE_RESP:
        if (raft_body(m)->rvr.granted && !raft_body(m)->rvr.prevote) {
            uint64_t key = raft_body(m)->rvr.term << 8 | m->from;
            gpointer vote = g_hash_table_lookup(c->votes, &key);
            if (!vote || GPOINTER_TO_UINT(vote) - 1 != m->to) {
                g_autofree char *what =
                    g_strdup_printf("its vote in term %" G_GUINT64_FORMAT, raft_body(m)->rvr.term);
                unpersisted(c, m, what);
            }
        }
        break;
    case MSG_R_APPEND_RESP:
        if (raft_body(m)->rar.success &&
            !disk_prefix_was_synced(world_disk(w, m->from), RAFT_FILE_LOG,
                                    (uint32_t)raft_body(m)->rar.match)) {
            g_autofree char *what = g_strdup_printf(
                "an append success with match index %" G_GUINT64_FORMAT, raft_body(m)->rar.match);
            unpersisted(c, m, what);
        }
        break;
    default:
        break;
    }
}

/* What the node's log holds at `index` (term 0 and no key for nothing, or an unreadable entry). */
static MirrorEntry mirror_get(const Checker *c, const Chunks *log, uint32_t index)
{
    MirrorEntry m = {0, IDEM_NONE};
    uint32_t id = index < log->len ? chunks_index(log, uint32_t, index) : 0;
    RaftEntry e;
    if (id != 0 && raft_decode_entry(block_store_get(c->store, id), &e) == BLOCK_OK)
        m = (MirrorEntry){e.term, e.idem};
    return m;
}

static void check_leader_completeness(Checker *c, EndpointId node, uint64_t term)
{
    const Chunks *log = &c->mirror[node];
    for (uint64_t i = 1; i <= c->committed.len; i++) {
        const Slot *s = chunks_at(&c->committed, (guint)(i - 1));
        /* Leader Completeness: committed in an earlier term, so in every later leader's log. */
        if (!s->set || s->commit_term >= term)
            continue;
        MirrorEntry m = mirror_get(c, log, (uint32_t)(i - 1));
        gboolean has = m.term == s->term && m.idem == s->idem;
        if (has)
            continue;
        char when[32];
        EndpointId nodes[1] = {node};
        verdict_add(&c->found, V_LEADER_COMPLETENESS, world_now(c->w), NULL, 0, nodes, 1,
                    g_strdup_printf("%s became leader of term %" G_GUINT64_FORMAT
                                    " at %s without committed entry %" G_GUINT64_FORMAT
                                    " (term %" G_GUINT64_FORMAT ")",
                                    world_endpoint_name(c->w, node), term,
                                    sim_time_format_human(world_now(c->w), when, sizeof when), i,
                                    s->term));
        return;
    }
}

static void on_note(void *ctx, World *w, EndpointId node, const ProtoAction *note)
{
    Checker *c = ctx;
    char when[32];
    if (note->sub == NOTE_ROLE && note->a == ROLE_LEADER) {
        uint64_t term = note->b;
        gpointer prev = g_hash_table_lookup(c->leaders, &term);
        if (prev && GPOINTER_TO_UINT(prev) - 1 != node) {
            EndpointId nodes[2] = {(EndpointId)(GPOINTER_TO_UINT(prev) - 1), node};
            verdict_add(&c->found, V_ELECTION_SAFETY, world_now(w), NULL, 0, nodes, 2,
                        g_strdup_printf("%s and %s were both leader of term %" G_GUINT64_FORMAT
                                        " (the second at %s)",
                                        world_endpoint_name(w, nodes[0]),
                                        world_endpoint_name(w, node), term,
                                        sim_time_format_human(world_now(w), when, sizeof when)));
        } else if (!prev) {
            uint64_t *k = g_new(uint64_t, 1);
            *k = term;
            g_hash_table_insert(c->leaders, k, GUINT_TO_POINTER(node + 1u));
        }
        check_leader_completeness(c, node, term);
    } else if (note->sub == NOTE_APPLY) {
        uint64_t index = note->a, term = note->b;
        IdemKey idem = note->c;
        if (index > c->applied.len)
            chunks_set_size(&c->applied, (guint)index);
        Applied *s = chunks_at(&c->applied, (guint)(index - 1));
        if (!s->set) {
            *s = (Applied){.term = term, .idem = idem, .set = 1, .node = node};
        } else if (s->term != term || s->idem != idem) {
            EndpointId nodes[2] = {node, s->node};
            verdict_add(&c->found, V_STATE_MACHINE_SAFETY, world_now(w), NULL, 0, nodes, 2,
                        g_strdup_printf("%s applied a different command at index %" G_GUINT64_FORMAT
                                        " (term %" G_GUINT64_FORMAT ") than %s did "
                                        "(term %" G_GUINT64_FORMAT ") at %s",
                                        world_endpoint_name(w, node), index, term,
                                        world_endpoint_name(w, s->node), s->term,
                                        sim_time_format_human(world_now(w), when, sizeof when)));
        }
        if (note->d && idem != IDEM_NONE) {
            Ledger *l = ledger_get(c, idem);
            if (l->effect_index == 0) {
                l->effect_index = index;
            } else if (l->effect_index != index && !l->dup_reported) {
                l->dup_reported = 1;
                char label[64];
                EndpointId nodes[1] = {node};
                uint32_t ops[1] = {l->first_op};
                verdict_add(
                    &c->found, V_DUPLICATE, world_now(w), ops, 1, nodes, 1,
                    g_strdup_printf("%s applied write %s again at index %" G_GUINT64_FORMAT
                                    " (first at index %" G_GUINT64_FORMAT "), at %s",
                                    world_endpoint_name(w, node),
                                    world_idem_name(w, idem, label, sizeof label), index,
                                    l->effect_index,
                                    sim_time_format_human(world_now(w), when, sizeof when)));
            }
        }
    }
}

/* Drops the node's log entries from `len` on. */
static void mirror_truncate(Checker *c, Chunks *log, uint32_t len)
{
    for (uint32_t i = len; i < log->len; i++)
        block_store_unref(c->store, chunks_index(log, uint32_t, i));
    chunks_set_size(log, MIN(len, log->len));
}

static void mirror_set(Checker *c, Chunks *log, uint32_t index, const DiskBlock *b)
{
    uint32_t id = block_store_put(c->store, b);
    if (index >= log->len)
        chunks_set_size(log, index + 1);
    uint32_t *slot = chunks_at(log, index);
    block_store_unref(c->store, *slot);
    *slot = id;
}

static void on_booted(void *ctx, World *w, EndpointId node, const ProtoDiskImage *img)
{
    Checker *c = ctx;
    if (c->cfg->protocol != PROTO_RAFT)
        return;
    Chunks *log = &c->mirror[node];
    mirror_truncate(c, log, 0);
    for (uint32_t i = 0; i < img->len[RAFT_FILE_LOG]; i++) {
        if (img->errors[RAFT_FILE_LOG][i] != 0)
            break; /* the server's log ends where its disk stops answering */
        mirror_set(c, log, i, &img->blocks[RAFT_FILE_LOG][i]);
    }
}

static void on_submitted(void *ctx, World *w, EndpointId node, guint file, uint32_t index,
                         const DiskBlock *block)
{
    Checker *c = ctx;
    if (c->cfg->protocol != PROTO_RAFT || file != RAFT_FILE_LOG)
        return;
    Chunks *log = &c->mirror[node];
    if (block)
        mirror_set(c, log, index, block);
    else
        mirror_truncate(c, log, index);
}

static void on_crashed(void *ctx, World *w, EndpointId node, gboolean power)
{
    Checker *c = ctx;
    c->crash_time[node] = world_now(w);
    c->crash_power[node] = power;
}

Checker *checker_new(World *w)
{
    Checker *c = g_new0(Checker, 1);
    c->w = w;
    c->cfg = world_config(w);
    c->nodes = c->cfg->nodes;
    c->majority = c->nodes / 2 + 1;
    verdict_init(&c->found);
    ledger_init(&c->ledger, c->nodes);
    c->qcache_len = g_new0(uint32_t, c->nodes);
    c->qcache_copies = g_new0(gboolean, c->nodes);
    c->qblocks = g_new0(Chunks, c->nodes);
    for (guint n = 0; n < c->nodes; n++)
        chunks_init(&c->qblocks[n], sizeof(QBlockInfo));
    c->meta_term = g_new0(uint64_t, c->nodes);
    c->support = g_ptr_array_new_with_free_func(support_free);
    chunks_init(&c->committed, sizeof(Slot));
    chunks_init(&c->applied, sizeof(Applied));
    c->leaders = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    c->votes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    c->crash_time = g_new0(SimTime, world_endpoint_count(w));
    c->crash_power = g_new0(gboolean, world_endpoint_count(w));
    c->mirror = g_new0(Chunks, c->nodes);
    for (guint n = 0; n < c->nodes; n++)
        chunks_init(&c->mirror[n], sizeof(uint32_t));
    c->store = world_block_store(w);
    WorldObserver obs = {.sent = on_sent,
                         .durable = on_durable,
                         .note = on_note,
                         .crashed = on_crashed,
                         .booted = on_booted,
                         .submitted = on_submitted};
    world_set_observer(w, &obs, c);
    return c;
}

void checker_free(Checker *c)
{
    if (c == NULL)
        return;
    verdict_clear(&c->found);
    ledger_clear(&c->ledger);
    qcache_drop(c);
    g_free(c->qcache_len);
    g_free(c->qcache_copies);
    for (guint n = 0; n < c->nodes; n++)
        chunks_clear(&c->qblocks[n]);
    g_free(c->qblocks);
    g_free(c->meta_term);
    for (guint n = 0; n < c->nodes; n++) {
        mirror_truncate(c, &c->mirror[n], 0);
        chunks_clear(&c->mirror[n]);
    }
    g_free(c->mirror);
    g_ptr_array_unref(c->support);
    chunks_clear(&c->committed);
    chunks_clear(&c->applied);
    g_hash_table_unref(c->leaders);
    g_hash_table_unref(c->votes);
    g_free(c->crash_time);
    g_free(c->crash_power);
    g_free(c);
}

/* ---- end of run ---- */

/* Quorum: the live durable records of every node, per key (decoded from the durable images). */
struct QState {
    GArray **sets;     /* [node * keys + key] of QRecord, or NULL; what a newer put or delete of the
                          same set supersedes is left out as it arrives (the checks that read a set
                          normalize it, so dropping those early changes nothing) */
    QRecord *set_base; /* [node * keys + key]: the set's newest put or delete */
    gboolean *has_set_base;
    guint keys;
    Version *base; /* per key: the newest live durable put or delete */
    gboolean *has_base;
};

static void qstate_add_block(Checker *c, QState *q, EndpointId n, Disk *d, uint32_t i);

/* `copies` (may be NULL) gets, per node, whether it holds rewritten copies. */
static void qstate_build(Checker *c, QState *q, gboolean *copies)
{
    q->keys = world_key_count(c->w);
    q->sets = g_new0(GArray *, c->nodes * q->keys);
    q->set_base = g_new0(QRecord, c->nodes * q->keys);
    q->has_set_base = g_new0(gboolean, c->nodes * q->keys);
    q->base = g_new0(Version, q->keys);
    q->has_base = g_new0(gboolean, q->keys);
    for (EndpointId n = 0; n < c->nodes; n++) {
        const Chunks *blocks = &c->qblocks[n];
        Disk *d = world_disk(c->w, n);
        /* A rewritten copy is the same write again: one record per write, unless the node
         * really applied a write twice (two originals), which stays visible. Only the writes
         * that have copies need remembering (few), not every write. */
        g_autoptr(GHashTable) copied = g_hash_table_new(g_int64_hash, g_int64_equal);
        g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
        for (guint i = 0; i < blocks->len; i++) {
            const QBlockInfo *b = chunks_at(blocks, i);
            if (qalive(b) && b->type == QBLK_DATA && b->copy)
                g_hash_table_add(copied, (gpointer)&b->idem);
        }
        if (copies)
            copies[n] = g_hash_table_size(copied) > 0;
        for (guint pass = 0; pass < 2; pass++) {
            for (guint i = 0; i < blocks->len; i++) {
                const QBlockInfo *b = chunks_at(blocks, i);
                if (!qalive(b) || b->type != QBLK_DATA || b->copy != pass)
                    continue;
                if (pass == 1 && g_hash_table_contains(seen, &b->idem))
                    continue;
                if (g_hash_table_contains(copied, &b->idem))
                    g_hash_table_add(seen, (gpointer)&b->idem);
                qstate_add_block(c, q, n, d, i);
            }
        }
    }
}

/* Adds node n's durable block i (a live data record) to the per-node sets. A live block decoded
 * when it last became durable (quorum_durable sees every change), so it is parsed unchecked. */
static void qstate_add_block(Checker *c, QState *q, EndpointId n, Disk *d, uint32_t i)
{
    QBlock qb;
    uint32_t id = disk_durable_id(d, QUORUM_FILE_DATA, i);
    if (id == 0)
        return;
    quorum_parse_sealed(block_store_get(c->store, id), &qb);
    if (qb.type != QBLK_DATA || qb.rec.key >= q->keys)
        return;
    guint si = n * q->keys + qb.rec.key;
    GArray **set = &q->sets[si];
    if (!*set)
        *set = g_array_new(FALSE, FALSE, sizeof(QRecord));
    qb.rec.copy = 0;
    /* Superseded by the set's newest put or delete (or that record again): normalizing would
     * drop it. */
    if (q->has_set_base[si] && qrecord_cmp(&qb.rec, &q->set_base[si]) <= 0)
        return;
    if (qb.rec.op == OP_PUT || qb.rec.op == OP_DELETE) {
        q->set_base[si] = qb.rec;
        q->has_set_base[si] = TRUE;
        guint keep = 0;
        for (guint j = 0; j < (*set)->len; j++) {
            const QRecord *e = &g_array_index(*set, QRecord, j);
            if (qrecord_cmp(e, &qb.rec) > 0)
                g_array_index(*set, QRecord, keep++) = *e;
        }
        g_array_set_size(*set, keep);
    }
    g_array_append_val(*set, qb.rec);
    if ((qb.rec.op == OP_PUT || qb.rec.op == OP_DELETE) &&
        (!q->has_base[qb.rec.key] || version_cmp(qb.rec.version, q->base[qb.rec.key]) > 0)) {
        q->base[qb.rec.key] = qb.rec.version;
        q->has_base[qb.rec.key] = TRUE;
    }
}

static void qstate_clear(Checker *c, QState *q)
{
    for (guint i = 0; i < c->nodes * q->keys; i++)
        if (q->sets[i])
            g_array_free(q->sets[i], TRUE);
    g_free(q->sets);
    g_free(q->set_base);
    g_free(q->has_set_base);
    g_free(q->base);
    g_free(q->has_base);
}

static void qcache_drop(Checker *c)
{
    if (!c->qcache)
        return;
    qstate_clear(c, c->qcache);
    g_free(c->qcache);
    c->qcache = NULL;
}

/* Adds to the cached state the blocks that became durable since it was built: only new original
 * data blocks did (quorum_durable drops the cache on anything else). */
static void qcache_catch_up(Checker *c)
{
    for (EndpointId n = 0; n < c->nodes; n++) {
        const Chunks *blocks = &c->qblocks[n];
        Disk *d = world_disk(c->w, n);
        for (uint32_t i = c->qcache_len[n]; i < blocks->len; i++) {
            const QBlockInfo *b = chunks_at(blocks, i);
            if (qalive(b) && b->type == QBLK_DATA && !b->copy)
                qstate_add_block(c, c->qcache, n, d, i);
        }
        c->qcache_len[n] = blocks->len;
    }
}

static gboolean superseded(const QState *q, const Ledger *l)
{
    return l->key < q->keys && q->has_base[l->key] && version_cmp(q->base[l->key], l->version) > 0;
}

static void explain_loss(Checker *c, const Ledger *l, GString *s)
{
    char when[32];
    g_string_append_printf(s, " acked at %s with %u durable cop%s (",
                           sim_time_format_human(l->acked_at, when, sizeof when),
                           popcount(l->at_ack), popcount(l->at_ack) == 1 ? "y" : "ies");
    format_nodes(c, l->at_ack, s);
    g_string_append(s, ")");
    if (l->lost_at > 0 && l->lost_node != ENDPOINT_NONE) {
        static const char *how[] = {"overwritten", "truncated away", "lost in a power failure",
                                    "destroyed by a media fault", "lost with the disk"};
        EndpointId n = l->lost_node;
        g_string_append_printf(s, "; its last copy was %s on %s at %s",
                               l->lost_cause < G_N_ELEMENTS(how) ? how[l->lost_cause] : "lost",
                               world_endpoint_name(c->w, n),
                               sim_time_format_human(l->lost_at, when, sizeof when));
    } else if (l->ever == 0) {
        g_string_append(s, "; no disk ever held it durably");
    } else {
        g_string_append(s, "; no durable copy is left");
    }
}

static void check_ledger(Checker *c, const QState *q, Verdict *v)
{
    for (guint i = 0; i < c->ledger.entries.len; i++) {
        Ledger *l = ledger_at(&c->ledger, i);
        if (l->key == KEY_NONE)
            continue;
        uint64_t have = holders(c, l);
        /* duplicates on disk (quorum): one replica holding two live copies of one write */
        if (c->cfg->protocol == PROTO_QUORUM && !l->dup_reported) {
            for (EndpointId n = 0; n < c->nodes; n++) {
                if (l->counts[c->nodes + n] < 2 || l->kind == OP_PUT)
                    continue;
                l->dup_reported = 1;
                char label[64];
                uint32_t ops[1] = {l->first_op};
                EndpointId nodes[1] = {n};
                verdict_add(v, V_DUPLICATE, world_now(c->w), ops, 1, nodes, 1,
                            g_strdup_printf("%s holds write %s (%s %s) %u times: applied more "
                                            "than once",
                                            world_endpoint_name(c->w, n),
                                            world_idem_name(c->w, l->idem, label, sizeof label),
                                            op_kind_name(l->kind), world_key_name(c->w, l->key),
                                            l->counts[c->nodes + n]));
                break;
            }
        }
        if (!l->acked)
            continue;
        gboolean lost = c->cfg->protocol == PROTO_QUORUM ? have == 0 && !superseded(q, l)
                                                         : popcount(have) < c->majority;
        if (!lost)
            continue;
        GString *s = g_string_new(NULL);
        describe_write(c, l, s);
        explain_loss(c, l, s);
        if (c->cfg->protocol == PROTO_RAFT && have != 0) {
            g_string_append(s, "; now only on ");
            format_nodes(c, have, s);
        }
        uint32_t ops[1] = {l->acked_op};
        EndpointId nodes[1] = {l->lost_node};
        verdict_add(v, V_LOST_ACK, l->acked_at, ops, 1, nodes,
                    l->lost_node == ENDPOINT_NONE ? 0 : 1, g_string_free(s, FALSE));
    }
}

static gboolean visible(const Checker *c, const QState *q, const Ledger *l)
{
    if (c->cfg->protocol == PROTO_RAFT)
        return l->effect_index != 0;
    return holders(c, l) != 0 || superseded(q, l);
}

static void check_history(Checker *c, const QState *q, Verdict *v)
{
    History *h = world_history(c->w);
    KeyId probe = KEY_NONE;
    world_key_lookup(c->w, "_probe", &probe);
    for (guint i = 0; i < history_len(h); i++) {
        const HistOp *op = history_op(h, i);
        if (op->key == probe)
            continue;
        v->ops++;
        if (op->kind == OP_GET) {
            v->reads++;
            continue;
        }
        v->writes++;
        Outcome o = op->outcome;
        if (o == OUTCOME_OK) {
            v->acked++;
            continue;
        }
        if (o == OUTCOME_FAIL)
            v->failed++;
        else
            v->indeterminate++;
        Ledger *l = ledger_find(c, op->idem);
        if (l == NULL || l->ever == 0)
            continue; /* never stored anywhere: an honest failure */
        gboolean seen = visible(c, q, l);
        v->orphans++;
        if (seen)
            v->orphans_surfaced++;
        else
            v->orphans_latent++;
        if (o != OUTCOME_FAIL || !seen || l->acked)
            continue;
        /* A definite failure that happened anyway, with no other attempt to explain it. */
        gboolean explained = FALSE;
        for (guint k = 0; k < history_len(h) && !explained; k++) {
            const HistOp *other = history_op(h, k);
            explained = k != i && other->idem == op->idem && other->outcome != OUTCOME_FAIL;
        }
        if (explained)
            continue;
        char label[64], when[32];
        uint32_t ops[1] = {op->id};
        EndpointId nodes[WORLD_MAX_NODES];
        guint nnodes = 0;
        for (EndpointId n = 0; n < c->nodes; n++)
            if ((l->ever >> n) & 1)
                nodes[nnodes++] = n;
        GString *s = g_string_new(NULL);
        g_string_append_printf(s,
                               "%s (%s %s) was told it definitely failed (%s) at %s, but it took "
                               "effect (stored durably on ",
                               checker_op_label(c->w, op->id, label, sizeof label),
                               op_kind_name(op->kind), world_key_name(c->w, op->key),
                               fail_reason_name(op->reason),
                               sim_time_format_human(op->complete, when, sizeof when));
        format_nodes(c, l->ever, s);
        g_string_append(s, ")");
        verdict_add(v, V_FALSE_FAILURE, op->complete, ops, 1, nodes, nnodes,
                    g_string_free(s, FALSE));
    }
    v->duplicates = v->counts[V_DUPLICATE];
}

/* A read that missed the newest acked put although no other write could explain it. */
static int cmp_complete(const void *a, const void *b)
{
    const LinOp *x = *(const LinOp *const *)a, *y = *(const LinOp *const *)b;
    if (x->complete != y->complete)
        return x->complete < y->complete ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id; /* history order: a total order */
}

static int cmp_invoke(const void *a, const void *b)
{
    const LinOp *x = *(const LinOp *const *)a, *y = *(const LinOp *const *)b;
    if (x->invoke != y->invoke)
        return x->invoke < y->invoke ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Reads that missed the last put completed before they began, when no other write could
 * explain what they saw (reported as stale; judged only where linearizability is promised).
 * O(n log n): puts sorted by completion find each read's last put; writes sorted by invocation,
 * with the two latest completions of every prefix, say whether another write overlapped. */
static guint count_stale_reads(const GArray *ops)
{
    guint n = ops->len, nputs = 0, nwrites = 0;
    const LinOp **puts = g_new(const LinOp *, n ? n : 1);
    const LinOp **writes = g_new(const LinOp *, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        const LinOp *o = &g_array_index(ops, LinOp, i);
        if (o->kind == OP_PUT)
            puts[nputs++] = o;
        if (o->kind != OP_GET)
            writes[nwrites++] = o;
    }
    lin_sort(puts, nputs, sizeof *puts, cmp_complete);
    lin_sort(writes, nwrites, sizeof *writes, cmp_invoke);
    /* top[i], second[i]: the writes with the two latest completions among writes[0..i]. */
    const LinOp **top = g_new(const LinOp *, nwrites ? nwrites : 1);
    const LinOp **second = g_new(const LinOp *, nwrites ? nwrites : 1);
    for (guint i = 0; i < nwrites; i++) {
        const LinOp *w = writes[i], *t = i ? top[i - 1] : NULL, *u = i ? second[i - 1] : NULL;
        if (!t || w->complete > t->complete) {
            top[i] = w;
            second[i] = t;
        } else {
            top[i] = t;
            second[i] = (!u || w->complete > u->complete) ? w : u;
        }
    }
    guint stale = 0;
    for (guint i = 0; i < n; i++) {
        const LinOp *r = &g_array_index(ops, LinOp, i);
        if (r->kind != OP_GET)
            continue;
        /* The last put completed before r began. */
        guint lo = 0, hi = nputs;
        while (lo < hi) {
            guint mid = (lo + hi) / 2;
            if (puts[mid]->complete < r->invoke)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0)
            continue;
        const LinOp *last = puts[lo - 1];
        /* Another write started before r ended and not known to be over before `last`
         * completed could explain r. */
        lo = 0, hi = nwrites;
        while (lo < hi) {
            guint mid = (lo + hi) / 2;
            if (writes[mid]->invoke < r->complete)
                lo = mid + 1;
            else
                hi = mid;
        }
        const LinOp *other = NULL;
        if (lo > 0)
            other = top[lo - 1] != last ? top[lo - 1] : second[lo - 1];
        gboolean ambiguous = other && other->complete > last->invoke;
        if (!ambiguous && (!r->present || r->result != last->value))
            stale++;
    }
    g_free(puts);
    g_free(writes);
    g_free(top);
    g_free(second);
    return stale;
}

/* The operation as the linearizability checker sees it; FALSE for one that constrains nothing
 * (a failed read, a write that definitely did not happen, one never invoked, the probe key). */
static gboolean lin_op_of(const HistOp *op, KeyId probe, guint keys, LinOp *lo)
{
    if (op->key == probe || op->key >= keys)
        return FALSE;
    *lo = (LinOp){
        .id = op->id, .kind = op->kind, .invoke = op->invoke, .value = op->value, .idem = op->idem};
    if (op->kind == OP_GET) {
        if (op->outcome != OUTCOME_OK)
            return FALSE; /* a read that returned nothing constrains nothing */
        lo->complete = op->complete;
        lo->present = op->present;
        lo->result = op->result;
    } else if (op->outcome == OUTCOME_OK) {
        lo->complete = op->complete;
    } else if (op->outcome == OUTCOME_FAIL) {
        return FALSE; /* definitely did not happen (false-failure judges the other case) */
    } else {
        lo->complete = SIM_TIME_NEVER; /* may or may not have happened */
    }
    if (op->invoke == SIM_TIME_NEVER || (op->kind != OP_GET && op->invoke == 0 &&
                                         op->attempts == 0 && op->outcome == OUTCOME_PENDING))
        return FALSE; /* never invoked */
    return TRUE;
}

/* Checks each key's operations in turn; only one key's operations are copied at a time, so a
 * long history costs 4 bytes per operation here, not another copy of itself. */
static void check_linearizability(Checker *c, const CheckEnd *end, Verdict *v)
{
    History *h = world_history(c->w);
    guint keys = world_key_count(c->w);
    KeyId probe = KEY_NONE;
    world_key_lookup(c->w, "_probe", &probe);
    guint *start = g_new0(guint, keys + 1); /* key k's ops are order[start[k] .. start[k+1]) */
    LinOp lo;
    for (guint i = 0; i < history_len(h); i++)
        if (lin_op_of(history_op(h, i), probe, keys, &lo))
            start[history_op(h, i)->key + 1]++;
    for (guint k = 0; k < keys; k++)
        start[k + 1] += start[k];
    uint32_t *order = g_new(uint32_t, MAX(start[keys], 1));
    guint *fill = g_memdup2(start, sizeof(guint) * keys);
    for (guint i = 0; i < history_len(h); i++)
        if (lin_op_of(history_op(h, i), probe, keys, &lo))
            order[fill[history_op(h, i)->key]++] = i;
    g_free(fill);
    GArray *key_ops = g_array_new(FALSE, FALSE, sizeof(LinOp));
    v->lin_promised = end->linearizable;
    for (KeyId k = 0; k < keys; k++) {
        if (start[k] == start[k + 1])
            continue;
        g_array_set_size(key_ops, 0);
        for (guint j = start[k]; j < start[k + 1]; j++) {
            lin_op_of(history_op(h, order[j]), probe, keys, &lo);
            g_array_append_val(key_ops, lo);
        }
        v->lin_keys++;
        v->stale_reads += count_stale_reads(key_ops);
        /* Quorum adds are commutative merges ordered by the writers' versions: an older put that
         * lands late re-bases adds a read already saw, so a key with adds is not promised
         * linearizable reads (its deposits are still never lost nor doubled). */
        gboolean promised = end->linearizable;
        if (c->cfg->protocol == PROTO_QUORUM)
            for (guint i = 0; promised && i < key_ops->len; i++)
                promised = g_array_index(key_ops, LinOp, i).kind != OP_ADD;
        if (!promised)
            v->lin_keys_unpromised++;
        LinReport rep;
        LinResult r = lin_check_key((const LinOp *)(const void *)key_ops->data, key_ops->len,
                                    end->lin_budget, &rep);
        if (r == LIN_UNKNOWN) {
            v->lin_unknown_keys++;
            if (v->lin == LIN_OK)
                v->lin = LIN_UNKNOWN;
        } else if (r == LIN_VIOLATION) {
            v->lin = LIN_VIOLATION;
            if (promised) {
                char label[64];
                uint32_t ops[1] = {rep.failed_op};
                const HistOp *op =
                    rep.failed_op < history_len(h) ? history_op(h, rep.failed_op) : NULL;
                GString *s = g_string_new(NULL);
                g_string_append_printf(s, "key %s: no order of its %u operations explains %s",
                                       world_key_name(c->w, k), key_ops->len,
                                       checker_op_label(c->w, rep.failed_op, label, sizeof label));
                if (op && op->kind == OP_GET) {
                    if (op->present)
                        g_string_append_printf(s, " (a read that returned %" G_GINT64_FORMAT ")",
                                               op->result);
                    else
                        g_string_append(s, " (a read that found no value)");
                } else if (op) {
                    g_string_append_printf(s, " (%s)", op_kind_name(op->kind));
                }
                char when[32];
                if (op && op->complete != SIM_TIME_NEVER)
                    g_string_append_printf(s, ", completed at %s",
                                           sim_time_format_human(op->complete, when, sizeof when));
                verdict_add(v, V_NOT_LINEARIZABLE, op ? op->complete : 0, ops, 1, NULL, 0,
                            g_string_free(s, FALSE));
            }
        }
    }
    g_array_free(key_ops, TRUE);
    g_free(order);
    g_free(start);
}

static void check_convergence(Checker *c, gboolean healed, const QState *q, Verdict *v)
{
    if (c->cfg->protocol != PROTO_QUORUM)
        return;
    c->convergence_checked = TRUE;
    if (!healed) {
        v->convergence_note = g_strdup("not checked: a fault was still in force when settle ended");
        return;
    }
    g_autoptr(Ring) ring = ring_new(c->nodes, QUORUM_VNODES);
    KeyId probe = KEY_NONE;
    world_key_lookup(c->w, "_probe", &probe);
    for (KeyId k = 0; k < q->keys; k++) {
        if (k == probe)
            continue; /* written after settle, by design not yet everywhere */
        EndpointId walk[WORLD_MAX_NODES];
        /* The key's replicas, placed as the protocol places them. */
        ring_walk(ring, world_key_hash(c->w, k), walk);
        guint n = c->cfg->replicas;
        GArray *ref = NULL;
        EndpointId ref_node = ENDPOINT_NONE;
        for (guint i = 0; i < n; i++) {
            EndpointId node = walk[i];
            if (!world_is_up(c->w, node))
                continue;
            GArray *set = g_array_new(FALSE, FALSE, sizeof(QRecord));
            GArray *src = q->sets[node * q->keys + k];
            if (src)
                qset_merge(set, (const QRecord *)(const void *)src->data, src->len);
            if (!ref) {
                ref = set;
                ref_node = node;
                continue;
            }
            uint32_t c1, c2;
            uint64_t h1, h2;
            qset_digest(ref, &c1, &h1);
            qset_digest(set, &c2, &h2);
            if (c1 != c2 || h1 != h2) {
                Value v1 = 0, v2 = 0;
                gboolean p1 = qset_fold(ref, &v1), p2 = qset_fold(set, &v2);
                EndpointId nodes[2] = {ref_node, node};
                char when[32];
                verdict_add(
                    v, V_DIVERGENT, world_now(c->w), NULL, 0, nodes, 2,
                    g_strdup_printf("after settle (%s), %s and %s disagree on key %s "
                                    "(%s%" G_GINT64_FORMAT " vs %s%" G_GINT64_FORMAT ")",
                                    sim_time_format_human(world_now(c->w), when, sizeof when),
                                    world_endpoint_name(c->w, ref_node),
                                    world_endpoint_name(c->w, node), world_key_name(c->w, k),
                                    p1 ? "" : "absent ", v1, p2 ? "" : "absent ", v2));
                g_array_free(set, TRUE);
                break;
            }
            g_array_free(set, TRUE);
        }
        if (ref)
            g_array_free(ref, TRUE);
    }
}

static void check_liveness(Checker *c, const CheckEnd *end, Verdict *v)
{
    if (end->probe_op == UINT32_MAX) {
        v->liveness_note = g_strdup("not checked: the run ended before settle");
        return;
    }
    const HistOp *op = history_op(world_history(c->w), end->probe_op);
    if (op->outcome == OUTCOME_OK)
        return;
    if (!end->healed) {
        v->liveness_note = g_strdup("not checked: a fault was still in force at the end");
        return;
    }
    /* Still waiting when the run's time ran out, before the probe could have given up. */
    if (op->outcome == OUTCOME_PENDING &&
        world_now(c->w) < world_config_final_deadline(c->cfg, op->invoke)) {
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

/* Raft: at the end, every pair of durable logs agrees on the prefix up to their last common
 * (index, term). */
static void check_log_matching_all(Checker *c, Verdict *v)
{
    if (c->cfg->protocol != PROTO_RAFT)
        return;
    for (EndpointId a = 0; a < c->nodes; a++) {
        for (EndpointId b = a + 1; b < c->nodes; b++) {
            Disk *da = world_disk(c->w, a), *db = world_disk(c->w, b);
            uint32_t len =
                MIN(disk_durable_length(da, RAFT_FILE_LOG), disk_durable_length(db, RAFT_FILE_LOG));
            gboolean matched_above = FALSE;
            for (uint32_t i = len; i-- > 0;) {
                RaftEntry ex, ey;
                uint32_t ia, ib = disk_durable_id(db, RAFT_FILE_LOG, i);
                if (!durable_entry(c, a, i + 1, &ex, &ia) ||
                    (ib != ia && !durable_entry(c, b, i + 1, &ey, NULL)) || ib == 0) {
                    matched_above = FALSE;
                    continue;
                }
                if (ib == ia)
                    ey = ex; /* the very same bytes */
                if (ex.term == ey.term)
                    matched_above = TRUE;
                if (matched_above && (ex.term != ey.term || ex.idem != ey.idem)) {
                    EndpointId nodes[2] = {a, b};
                    char when[32];
                    verdict_add(
                        v, V_LOG_MATCHING, world_now(c->w), NULL, 0, nodes, 2,
                        g_strdup_printf("%s and %s agree on a later entry but differ at "
                                        "index %u (at the end, %s)",
                                        world_endpoint_name(c->w, a), world_endpoint_name(c->w, b),
                                        i + 1,
                                        sim_time_format_human(world_now(c->w), when, sizeof when)));
                    break;
                }
            }
        }
    }
}

/* Raft: after settle every server that is up holds every committed entry, durably. */
static void check_raft_caught_up(Checker *c, gboolean healed)
{
    c->convergence_checked = TRUE;
    if (!healed) {
        c->found.convergence_note =
            g_strdup("not checked: a fault was still in force when settle ended");
        return;
    }
    /* Index by index, so that the servers' identical blocks are decoded once (durable_entry
     * remembers the last); each server's first missing entry is reported, server by server. */
    uint64_t missing[WORLD_MAX_NODES];
    for (EndpointId n = 0; n < c->nodes; n++)
        missing[n] = world_is_up(c->w, n) ? 0 : UINT64_MAX;
    for (uint64_t i = 1; i <= c->committed.len; i++) {
        const Slot *s = chunks_at(&c->committed, (guint)(i - 1));
        for (EndpointId n = 0; n < c->nodes; n++) {
            RaftEntry e;
            if (missing[n] == 0 &&
                !(durable_entry(c, n, i, &e, NULL) && e.term == s->term && e.idem == s->idem))
                missing[n] = i;
        }
    }
    for (EndpointId n = 0; n < c->nodes; n++) {
        if (missing[n] == 0 || missing[n] == UINT64_MAX)
            continue;
        char when[32];
        EndpointId nodes[1] = {n};
        verdict_add(
            &c->found, V_DIVERGENT, world_now(c->w), NULL, 0, nodes, 1,
            g_strdup_printf("after settle (%s), %s does not hold committed entry %" G_GUINT64_FORMAT
                            " of %u durably",
                            sim_time_format_human(world_now(c->w), when, sizeof when),
                            world_endpoint_name(c->w, n), missing[n], c->committed.len));
    }
}

void checker_check_convergence(Checker *c, gboolean healed)
{
    if (c->cfg->protocol == PROTO_RAFT) {
        check_raft_caught_up(c, healed);
        return;
    }
    qcache_drop(c);
    QState *q = g_new0(QState, 1);
    qstate_build(c, q, c->qcache_copies);
    check_convergence(c, healed, q, &c->found);
    c->qcache = q;
    for (EndpointId n = 0; n < c->nodes; n++)
        c->qcache_len[n] = c->qblocks[n].len;
}

void checker_finish(Checker *c, const CheckEnd *end, Verdict *out)
{
    Verdict all;
    verdict_init(&all);
    /* What the run raised as it went. */
    for (guint i = 0; i < c->found.violations->len; i++) {
        const Violation *x = g_ptr_array_index(c->found.violations, i);
        verdict_add(&all, x->kind, x->time, x->ops, x->nops, x->nodes, x->nnodes,
                    g_strdup(x->text));
    }
    for (int k = 0; k < V_KIND_COUNT; k++)
        all.counts[k] = c->found.counts[k];
    QState fresh = {0};
    const QState *q = &fresh;
    if (c->cfg->protocol == PROTO_QUORUM && c->qcache) {
        qcache_catch_up(c);
        q = c->qcache;
    } else if (c->cfg->protocol == PROTO_QUORUM) {
        qstate_build(c, &fresh, NULL);
    }
    check_ledger(c, q, &all);
    check_history(c, q, &all);
    check_log_matching_all(c, &all);
    check_linearizability(c, end, &all);
    if (!c->convergence_checked)
        all.convergence_note = g_strdup("not checked: the run ended before settle did");
    check_liveness(c, end, &all);
    if (q == &fresh && c->cfg->protocol == PROTO_QUORUM)
        qstate_clear(c, &fresh);

    /* Beyond model, only what still holds is judged. */
    ViolationSet judged = ~0u;
    if (!end->within_model) {
        judged = (1u << V_UNPERSISTED_SEND) | (1u << V_FALSE_FAILURE);
        out->beyond_model = TRUE;
        out->model_note = g_strdup_printf("beyond model: %s; judged only unpersisted-send and "
                                          "false-failure",
                                          end->model_reason ? end->model_reason : "?");
    }
    for (guint i = 0; i < all.violations->len; i++) {
        const Violation *x = g_ptr_array_index(all.violations, i);
        if ((judged >> x->kind) & 1)
            verdict_add(out, x->kind, x->time, x->ops, x->nops, x->nodes, x->nnodes,
                        g_strdup(x->text));
    }
    for (int k = 0; k < V_KIND_COUNT; k++)
        if ((judged >> k) & 1)
            out->counts[k] = all.counts[k];
    out->ops = all.ops;
    out->writes = all.writes;
    out->acked = all.acked;
    out->failed = all.failed;
    out->indeterminate = all.indeterminate;
    out->reads = all.reads;
    out->orphans = all.orphans;
    out->orphans_surfaced = all.orphans_surfaced;
    out->orphans_latent = all.orphans_latent;
    out->duplicates = all.counts[V_DUPLICATE];
    out->lin_promised = all.lin_promised;
    out->lin = all.lin;
    out->lin_keys = all.lin_keys;
    out->lin_unknown_keys = all.lin_unknown_keys;
    out->lin_keys_unpromised = all.lin_keys_unpromised;
    out->stale_reads = all.stale_reads;
    out->liveness_note = all.liveness_note;
    out->convergence_note =
        all.convergence_note ? all.convergence_note : g_steal_pointer(&c->found.convergence_note);
    all.liveness_note = all.convergence_note = NULL;
    verdict_clear(&all);
}
