/* reports/causal_check.c — lost updates, resurrections and siblings (see causal_check.h).
 *
 * The history's writes become a graph: one node per logical write (idempotency key), an edge
 * from a write to every write its context had seen (the client's own earlier write, or the
 * siblings of the get the context came from). A write's causal past is what it reaches. Edges
 * point back in time, but nothing here relies on an order: coverage is a search from the writes
 * that took effect, and a past is a search from one write, kept as a bit set over its key's
 * writes once asked for (only for the writes a get returned and for deletes); so is a future
 * (the writes whose past holds a write a get returned: one search forward instead of one back
 * from every acked write).
 *
 * Invariant: a write's `local` index is its place in its key's list; bit sets are over that list.
 */
#include "reports/causal_check.h"

#include <string.h>

/* A key with more writes than this is not judged for siblings (its pasts would cost
 * writes^2 / 8 bytes); the verdict says so. Lost updates and resurrections are judged always. */
#define SIBLING_KEY_LIMIT 4096

typedef struct {
    IdemKey idem;
    uint32_t op;       /* its first operation */
    uint32_t acked_op; /* its first ok operation, or UINT32_MAX */
    SimTime seen_at;   /* a delete: when a get first returned it, or SIM_TIME_NEVER */
    uint32_t edge0;    /* its edges: edges[edge0 .. next write's edge0) */
    uint8_t kind;
    uint8_t effective; /* acked, or held durably by some node */
    uint8_t covered;   /* in the causal past of a write that took effect */
    uint8_t lost;      /* a lost ack (the ledger's business) */
} CWrite;

/* One key's writes at a time, so that a long history costs a few bytes per operation. */
typedef struct {
    LedgerBook *b;
    const OracleModule *mod;
    void *st;
    const OracleView *view;
    const CheckEnd *end;
    gboolean multi; /* gets return siblings */
    KeyId key;
    const uint32_t *ops; /* the key's operations, in history order */
    guint nops;
    GArray *writes;             /* of CWrite, by first operation */
    IdemTable index;            /* IdemKey -> uint32_t write */
    GArray *edges;              /* of uint32_t: each write's context had seen these */
    GHashTable *pasts;          /* write + 1 -> uint64_t* bit set over the key's writes */
    GHashTable *futures;        /* write + 1 -> bit set of the writes whose past holds it */
    guint *redge0;              /* the edges by target, once asked for: a write's sources are */
    uint32_t *redges;           /* redges[redge0[w] .. redge0[w + 1]) */
    guint words;                /* of a bit set */
    const CausalStream *stream; /* what folded operations left behind, or NULL */
} Causal;

static CWrite *cw(const Causal *c, uint32_t i)
{
    return &g_array_index(c->writes, CWrite, i);
}

static const HistOp *hop(const Causal *c, uint32_t id)
{
    return history_op(c->view->history, id);
}

/* The write of `idem`, or UINT32_MAX. */
static uint32_t write_of(const Causal *c, IdemKey idem)
{
    const uint32_t *w = idem_table_lookup(&c->index, idem);
    return w ? *w : UINT32_MAX;
}

static guint edge_end(const Causal *c, uint32_t w)
{
    return w + 1 < c->writes->len ? cw(c, w + 1)->edge0 : c->edges->len;
}

/* One node per write of the key. */
static void add_writes(Causal *c)
{
    for (guint i = 0; i < c->nops; i++) {
        const HistOp *op = hop(c, c->ops[i]);
        if (!op_kind_is_write(op->kind) || op->idem == IDEM_NONE)
            continue;
        uint32_t w = write_of(c, op->idem);
        if (w == UINT32_MAX) {
            w = c->writes->len;
            CWrite n = {.idem = op->idem,
                        .op = op->id,
                        .acked_op = UINT32_MAX,
                        .seen_at = SIM_TIME_NEVER,
                        .kind = op->kind};
            g_array_append_val(c->writes, n);
            *(uint32_t *)idem_table_insert(&c->index, op->idem) = w;
        }
        CWrite *n = cw(c, w);
        if (op->outcome == OUTCOME_OK &&
            (n->acked_op == UINT32_MAX || op->complete < hop(c, n->acked_op)->complete))
            n->acked_op = op->id;
    }
    c->words = (c->writes->len + 63) / 64;
}

static void stream_context_writes(const Causal *c, const HistOp *op, GArray *out);

/* The writes the context of write op `op` had seen, appended to `out`. */
static void context_writes(const Causal *c, const HistOp *op, GArray *out)
{
    if (op->ctx_op == UINT32_MAX)
        return;
    if (history_is_folded(c->view->history, op->ctx_op)) {
        stream_context_writes(c, op, out); /* the stream took them while it was held */
        return;
    }
    const HistOp *ctx = hop(c, op->ctx_op);
    uint32_t self = write_of(c, op->idem);
    if (ctx->kind != OP_GET) {
        uint32_t t = write_of(c, ctx->idem);
        if (t != UINT32_MAX && t != self)
            g_array_append_val(out, t);
    }
    /* A get's siblings; a write's, when its answer carried them. A write-back that reconciles a
     * get's siblings carries the context of its puts and deletes only. */
    for (guint s = 0; s < ctx->nsib; s++) {
        if ((op->flags & HOP_RECONCILE) && history_sibling(c->view->history, ctx, s)->op == OP_ADD)
            continue;
        uint32_t t = write_of(c, history_sibling(c->view->history, ctx, s)->idem);
        if (t != UINT32_MAX && t != self)
            g_array_append_val(out, t);
    }
}

/* The edges of every write (from each of its operations' contexts, grouped by write), which
 * deletes a get returned when, and which writes took effect. */
static void add_edges(Causal *c)
{
    History *h = c->view->history;
    GArray *from = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    GArray *to = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (guint i = 0; i < c->nops; i++) {
        const HistOp *op = hop(c, c->ops[i]);
        if (op->kind == OP_GET && op->outcome == OUTCOME_OK) {
            for (guint s = 0; s < op->nsib; s++) {
                uint32_t t = write_of(c, history_sibling(h, op, s)->idem);
                if (t != UINT32_MAX && cw(c, t)->kind == OP_DELETE &&
                    op->complete < cw(c, t)->seen_at)
                    cw(c, t)->seen_at = op->complete;
            }
        } else if (op_kind_is_write(op->kind) && op->idem != IDEM_NONE) {
            guint before = to->len;
            context_writes(c, op, to);
            uint32_t w = write_of(c, op->idem);
            for (guint k = before; k < to->len; k++)
                g_array_append_val(from, w);
        }
    }
    /* Counting sort by source write: edges[edge0(w) .. edge_end(w)). */
    guint n = c->writes->len;
    g_autofree guint *fill = g_new0(guint, n + 1);
    for (guint k = 0; k < from->len; k++)
        fill[g_array_index(from, uint32_t, k) + 1]++;
    for (guint w = 0; w < n; w++) {
        fill[w + 1] += fill[w];
        cw(c, w)->edge0 = fill[w];
    }
    g_array_set_size(c->edges, to->len);
    for (guint k = 0; k < from->len; k++)
        g_array_index(c->edges, uint32_t, fill[g_array_index(from, uint32_t, k)]++) =
            g_array_index(to, uint32_t, k);
    g_array_free(from, TRUE);
    g_array_free(to, TRUE);
    for (guint i = 0; i < n; i++) {
        CWrite *w = cw(c, i);
        const Ledger *l = ledger_find(c->b, w->idem);
        w->effective = w->acked_op != UINT32_MAX || (l && ledger_ever_held(c->b, l));
        NodeSet holders;
        if (l)
            ledger_holders(c->b, l, &holders);
        w->lost = l && l->acked && c->mod->lost(c->st, l, &holders);
    }
}

/* Walks the edges from the writes on `stack` (which it empties), marking every write reached
 * once: in `bits` when given (a bit set over the key's writes), else its `covered` flag. */
static void walk(Causal *c, GArray *stack, uint64_t *bits)
{
    while (stack->len > 0) {
        uint32_t x = g_array_index(stack, uint32_t, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        for (guint k = cw(c, x)->edge0; k < edge_end(c, x); k++) {
            uint32_t t = g_array_index(c->edges, uint32_t, k);
            if (bits ? (bits[t / 64] >> (t % 64)) & 1 : cw(c, t)->covered)
                continue;
            if (bits)
                bits[t / 64] |= (uint64_t)1 << (t % 64);
            else
                cw(c, t)->covered = 1;
            g_array_append_val(stack, t);
        }
    }
}

/* Marks every write in the causal past of a write that took effect. */
static void mark_covered(Causal *c)
{
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (uint32_t i = 0; i < c->writes->len; i++)
        if (cw(c, i)->effective)
            g_array_append_val(stack, i);
    walk(c, stack, NULL);
    g_array_free(stack, TRUE);
}

/* The causal past of write w, as a bit set over the key's writes (computed once). */
static const uint64_t *past_of(Causal *c, uint32_t w)
{
    uint64_t *bits = g_hash_table_lookup(c->pasts, GUINT_TO_POINTER(w + 1));
    if (bits)
        return bits;
    bits = g_new0(uint64_t, MAX(c->words, 1));
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_append_val(stack, w);
    walk(c, stack, bits);
    g_array_free(stack, TRUE);
    g_hash_table_insert(c->pasts, GUINT_TO_POINTER(w + 1), bits);
    return bits;
}

/* Whether write x is in the causal past of write w. */
static gboolean in_past(Causal *c, uint32_t x, uint32_t w)
{
    return (past_of(c, w)[x / 64] >> (x % 64)) & 1;
}

/* The edges turned round (counting sort by target), for searches forward in time. */
static void reverse_edges(Causal *c)
{
    guint n = c->writes->len;
    c->redge0 = g_new0(guint, n + 1);
    c->redges = g_new(uint32_t, MAX(c->edges->len, 1));
    for (guint k = 0; k < c->edges->len; k++)
        c->redge0[g_array_index(c->edges, uint32_t, k) + 1]++;
    for (guint w = 0; w < n; w++)
        c->redge0[w + 1] += c->redge0[w];
    g_autofree guint *fill = g_memdup2(c->redge0, sizeof(guint) * (n + 1));
    for (uint32_t w = 0; w < n; w++)
        for (guint k = cw(c, w)->edge0; k < edge_end(c, w); k++)
            c->redges[fill[g_array_index(c->edges, uint32_t, k)]++] = w;
}

/* The writes whose causal past holds write x (x is in the past of w iff w is in the future of
 * x), as a bit set over the key's writes, computed once: one search from x, where asking every
 * acked write for its past would search from each of them. */
static const uint64_t *future_of(Causal *c, uint32_t x)
{
    uint64_t *bits = g_hash_table_lookup(c->futures, GUINT_TO_POINTER(x + 1));
    if (bits)
        return bits;
    if (!c->redge0)
        reverse_edges(c);
    bits = g_new0(uint64_t, MAX(c->words, 1));
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_append_val(stack, x);
    while (stack->len > 0) {
        uint32_t y = g_array_index(stack, uint32_t, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        for (guint k = c->redge0[y]; k < c->redge0[y + 1]; k++) {
            uint32_t t = c->redges[k];
            if ((bits[t / 64] >> (t % 64)) & 1)
                continue;
            bits[t / 64] |= (uint64_t)1 << (t % 64);
            g_array_append_val(stack, t);
        }
    }
    g_array_free(stack, TRUE);
    g_hash_table_insert(c->futures, GUINT_TO_POINTER(x + 1), bits);
    return bits;
}

/* in_past(c, x, w), searched from x. */
static gboolean in_future(Causal *c, uint32_t w, uint32_t x)
{
    return (future_of(c, x)[w / 64] >> (w % 64)) & 1;
}

static SimTime acked_at(const Causal *c, uint32_t w)
{
    uint32_t op = cw(c, w)->acked_op;
    return op == UINT32_MAX ? SIM_TIME_NEVER : hop(c, op)->complete;
}

/* "op12 (put k0 5)". */
static void describe(const Causal *c, uint32_t w, GString *s)
{
    char label[64];
    const CWrite *n = cw(c, w);
    const HistOp *op = hop(c, n->acked_op != UINT32_MAX ? n->acked_op : n->op);
    oview_op_label(c->view, op->id, label, sizeof label);
    g_string_append_printf(s, "%s (%s %s", label, op_kind_name(n->kind),
                           oview_key(c->view, c->key));
    if (n->kind != OP_DELETE)
        g_string_append_printf(s, " %" G_GINT64_FORMAT, op->value);
    g_string_append(s, ")");
}

static const Ledger *ledger_of(const Causal *c, uint32_t w)
{
    return ledger_find(c->b, cw(c, w)->idem);
}

/* Whether delete d covers write w: in its causal past, or (last-writer-wins) older than it. */
static gboolean delete_covers(Causal *c, uint32_t d, uint32_t w)
{
    if (c->multi)
        return in_past(c, w, d);
    const Ledger *ld = ledger_of(c, d), *lw = ledger_of(c, w);
    return ld && lw && version_cmp(ld->version, lw->version) > 0;
}

/* ---- lost updates ---- */

/* Under last-writer-wins: the write that overwrote w, the effective put or delete of its key
 * with the next newer version (none of them had seen w, or w would be covered). */
static uint32_t overwriter(const Causal *c, uint32_t w)
{
    const Ledger *lw = ledger_of(c, w), *lb = NULL;
    uint32_t best = UINT32_MAX;
    for (uint32_t x = 0; lw && x < c->writes->len; x++) {
        const Ledger *lx = ledger_of(c, x);
        if (x == w || !cw(c, x)->effective || !lx || cw(c, x)->kind == OP_ADD ||
            version_cmp(lx->version, lw->version) <= 0)
            continue;
        if (!lb || version_cmp(lx->version, lb->version) < 0) {
            best = x;
            lb = lx;
        }
    }
    return best;
}

static void lost_update(Causal *c, uint32_t w, Verdict *v)
{
    v->lost_updates++;
    if (!c->multi && v->lost_update_note)
        return; /* counted; the first is described */
    GString *s = g_string_new(NULL);
    char when[32];
    g_string_append(s, "write ");
    describe(c, w, s);
    g_string_append_printf(s, ", acked at %s, can no longer be read",
                           sim_time_format_human(acked_at(c, w), when, sizeof when));
    uint32_t by = c->multi ? UINT32_MAX : overwriter(c, w);
    if (by != UINT32_MAX) {
        g_string_append(s, ": overwritten by ");
        describe(c, by, s);
        g_string_append(s, ", a newer version written without seeing it");
    } else {
        g_string_append(s, ", and no write that took effect had seen it");
    }
    if (!c->multi) {
        v->lost_update_note = g_string_free(s, FALSE);
        return;
    }
    uint32_t ops[1] = {cw(c, w)->acked_op};
    verdict_add(v, V_LOST_UPDATE, acked_at(c, w), ops, 1, NULL, 0, g_string_free(s, FALSE));
}

/* The key's last final read after settle that answered, or NULL. */
static const HistOp *final_read(const Causal *c)
{
    const HistOp *last = NULL;
    for (guint i = 0; i < c->nops; i++) {
        const HistOp *op = hop(c, c->ops[i]);
        if (op->kind == OP_GET && (op->flags & HOP_FINAL) && op->outcome == OUTCOME_OK)
            last = op;
    }
    return last;
}

static gboolean returned_by(const Causal *c, const HistOp *get, uint32_t w)
{
    for (guint s = 0; s < get->nsib; s++)
        if (history_sibling(c->view->history, get, s)->idem == cw(c, w)->idem)
            return TRUE;
    return FALSE;
}

/* An acked write no write that took effect had seen is lost when the end state cannot give it
 * back: the durable state does not hold it (the module says), or, for a multi-value store once
 * every fault healed (replicas converge and any read sees the same), the final read after settle
 * did not return it (a replica that dropped it from memory while its disk still holds it serves
 * no read of it either). */
static void check_lost_updates(Causal *c, Verdict *v)
{
    const HistOp *final = c->multi && c->end->healed ? final_read(c) : NULL;
    for (uint32_t w = 0; w < c->writes->len; w++) {
        const CWrite *n = cw(c, w);
        if (n->acked_op == UINT32_MAX || n->covered || n->lost)
            continue;
        const Ledger *l = ledger_of(c, w);
        /* A delete is read as absence, and may be purged once every replica holds it: the
         * module alone says whether it is accounted for. */
        gboolean read_back = !final || n->kind == OP_DELETE || returned_by(c, final, w);
        if (!l || (c->mod->accounted && c->mod->accounted(c->st, l) && read_back))
            continue;
        lost_update(c, w, v);
    }
}

/* ---- resurrections ---- */

static void resurrected(Causal *c, const HistOp *get, uint32_t w, uint32_t d, Verdict *v)
{
    char label[64], when[32];
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s %s returned ",
                           (get->flags & HOP_FINAL) ? "the final read" : "get",
                           oview_op_label(c->view, get->id, label, sizeof label));
    describe(c, w, s);
    g_string_append(s, ", which delete ");
    describe(c, d, s);
    g_string_append_printf(s, " had removed (acked at %s",
                           sim_time_format_human(acked_at(c, d), when, sizeof when));
    if (cw(c, d)->seen_at != SIM_TIME_NEVER)
        g_string_append_printf(s, ", read back at %s",
                               sim_time_format_human(cw(c, d)->seen_at, when, sizeof when));
    g_string_append(s, ")");
    uint32_t ops[2] = {get->id, cw(c, d)->acked_op};
    verdict_add(v, V_RESURRECTION, get->complete, ops, 2, NULL, 0, g_string_free(s, FALSE));
}

/* Whether get `g` returning write w is a resurrection; reports the first delete that says so. */
static gboolean check_resurrection(Causal *c, const HistOp *g, uint32_t w, Verdict *v)
{
    /* A final read sees the converged state once every fault healed; otherwise only a
     * configuration that owes linearizable reads makes it see the delete. */
    gboolean final = (g->flags & HOP_FINAL) && (c->end->healed || c->end->linearizable);
    for (uint32_t d = 0; d < c->writes->len; d++) {
        const CWrite *n = cw(c, d);
        if (n->kind != OP_DELETE || n->acked_op == UINT32_MAX || acked_at(c, d) >= g->invoke ||
            n->lost)
            continue;
        if (!final && !(c->end->linearizable && n->seen_at < g->invoke))
            continue;
        if (delete_covers(c, d, w)) {
            resurrected(c, g, w, d, v);
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- siblings ---- */

static void sibling_violation(Causal *c, const HistOp *g, uint32_t w, uint32_t by, const char *what,
                              Verdict *v)
{
    char label[64];
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "get %s of %s ", oview_op_label(c->view, g->id, label, sizeof label),
                           oview_key(c->view, c->key));
    if (by == UINT32_MAX) {
        char when[32];
        g_string_append(s, "missed ");
        describe(c, w, s);
        g_string_append_printf(s,
                               ", acked at %s before it began: neither returned nor covered by "
                               "what it returned",
                               sim_time_format_human(acked_at(c, w), when, sizeof when));
    } else {
        g_string_append(s, "returned ");
        describe(c, w, s);
        g_string_append_printf(s, " %s ", what);
        describe(c, by, s);
        g_string_append(s, ", whose writer had seen it");
    }
    uint32_t ops[2] = {g->id, cw(c, w)->op};
    verdict_add(v, V_SIBLINGS, g->complete, ops, 2, NULL, 0, g_string_free(s, FALSE));
}

/* A get's siblings (as writes), in the order returned; unknown ones are left out. */
static guint get_siblings(const Causal *c, const HistOp *g, uint32_t *out)
{
    guint n = 0;
    for (guint s = 0; s < g->nsib; s++) {
        uint32_t w = write_of(c, history_sibling(c->view->history, g, s)->idem);
        if (w != UINT32_MAX)
            out[n++] = w;
    }
    return n;
}

/* Whether write x, returned by get g, is a new application of it: every durable copy of it had
 * gone (data loss) before g began, so a client's retry wrote it again. What readers had seen of
 * it before does not cover this copy, which the store rightly treats as a new write. */
static gboolean reborn(const Causal *c, uint32_t x, const HistOp *g)
{
    const Ledger *l = ledger_of(c, x);
    return l && l->vanished_at != 0 && l->vanished_at < g->invoke;
}

/* Whether the store gave write x two identities (issued twice): a reader that saw it under one
 * does not cover the other, and a get may return it until the replicas unite them. */
static gboolean reissued(const Causal *c, uint32_t x)
{
    return c->mod->reissued && c->mod->reissued(c->st, cw(c, x)->idem);
}

/* Whether write x's clock was truncated: what it had seen may stay beside it. */
static gboolean truncated(const Causal *c, uint32_t x)
{
    return c->mod->truncated && c->mod->truncated(c->st, cw(c, x)->idem);
}

/* Whether w was acked before get g began and is not a lost ack. */
static gboolean acked_before(const Causal *c, uint32_t w, const HistOp *g)
{
    return !cw(c, w)->lost && acked_at(c, w) < g->invoke;
}

/* Siblings that cover one another, or that an acked write before the get had replaced. */
static gboolean check_returned(Causal *c, const HistOp *g, const uint32_t *sib, guint n, Verdict *v)
{
    for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
            if (sib[i] != sib[j] && !reborn(c, sib[i], g) && in_past(c, sib[i], sib[j])) {
                if (reissued(c, sib[i])) {
                    v->siblings_reissued++;
                    return TRUE;
                }
                if (truncated(c, sib[j])) {
                    v->siblings_truncated++;
                    return TRUE;
                }
                sibling_violation(c, g, sib[i], sib[j], "beside", v);
                return TRUE;
            }
    for (uint32_t w = 0; w < c->writes->len; w++) {
        if (!acked_before(c, w, g))
            continue;
        for (guint i = 0; i < n; i++) {
            if (sib[i] == w || reborn(c, sib[i], g) || !in_future(c, w, sib[i]))
                continue;
            if (reissued(c, sib[i])) {
                v->siblings_reissued++;
                return TRUE;
            }
            if (truncated(c, w)) {
                v->siblings_truncated++;
                return TRUE;
            }
            if (!c->end->linearizable) {
                v->stale_reads++;
                return TRUE;
            }
            sibling_violation(c, g, sib[i], w, "although it was replaced by", v);
            return TRUE;
        }
    }
    return FALSE;
}

/* Whether write w went with a purged tombstone before get g completed: it is absence now, and a
 * get that returns nothing for it has seen it. */
static gboolean purged_before(Causal *c, uint32_t w, const HistOp *g)
{
    if (!c->mod->purged_at)
        return FALSE;
    const Ledger *l = ledger_of(c, w);
    return l && c->mod->purged_at(c->st, l) < g->complete;
}

/* Every acked write completed before the get began is a sibling or covered by one. */
static void check_complete(Causal *c, const HistOp *g, const uint32_t *sib, guint n, Verdict *v)
{
    for (uint32_t w = 0; w < c->writes->len; w++) {
        if (!acked_before(c, w, g))
            continue;
        gboolean seen = purged_before(c, w, g);
        for (guint i = 0; i < n && !seen; i++)
            seen = sib[i] == w || in_past(c, w, sib[i]);
        if (seen)
            continue;
        if (c->end->linearizable)
            sibling_violation(c, g, w, UINT32_MAX, "missed", v);
        else
            v->stale_reads++;
        return;
    }
}

static void check_gets(Causal *c, Verdict *v)
{
    gboolean judge = c->multi && c->writes->len <= SIBLING_KEY_LIMIT;
    g_autofree uint32_t *sib = NULL;
    guint unjudged = 0;
    for (guint i = 0; i < c->nops; i++) {
        const HistOp *g = hop(c, c->ops[i]);
        if (g->kind != OP_GET || g->outcome != OUTCOME_OK)
            continue;
        if (c->multi)
            v->siblings_max = MAX(v->siblings_max, g->nsib);
        sib = g_renew(uint32_t, sib, MAX(g->nsib, 1));
        guint n = get_siblings(c, g, sib);
        gboolean bad = FALSE;
        for (guint s = 0; s < n && !bad; s++)
            if (cw(c, sib[s])->kind != OP_DELETE)
                bad = check_resurrection(c, g, sib[s], v);
        if (bad || !c->multi)
            continue;
        if (!judge) {
            unjudged++;
            continue;
        }
        if (!check_returned(c, g, sib, n, v))
            check_complete(c, g, sib, n, v);
    }
    if (unjudged > 0 && !v->siblings_note)
        v->siblings_note =
            g_strdup_printf("the siblings of %u gets of %s were not judged: the key had "
                            "more than %u writes",
                            unjudged, oview_key(c->view, c->key), SIBLING_KEY_LIMIT);
}

/* ---- entry point ---- */

static void stream_marks(Causal *c);

static void check_key(Causal *c, Verdict *v)
{
    c->writes = g_array_new(FALSE, FALSE, sizeof(CWrite));
    idem_table_init(&c->index, sizeof(uint32_t));
    c->edges = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    c->pasts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    c->futures = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    add_writes(c);
    if (c->stream)
        stream_marks(c);
    add_edges(c);
    mark_covered(c);
    check_lost_updates(c, v);
    check_gets(c, v);
    g_hash_table_unref(c->pasts);
    g_hash_table_unref(c->futures);
    g_clear_pointer(&c->redge0, g_free);
    g_clear_pointer(&c->redges, g_free);
    g_array_free(c->edges, TRUE);
    idem_table_clear(&c->index);
    g_array_free(c->writes, TRUE);
}

void causal_check_history(LedgerBook *b, const OracleModule *mod, void *st, const CheckEnd *end,
                          const CausalStream *cs, Verdict *v)
{
    const OracleView *view = b->view;
    History *h = view->history;
    guint keys = view->key_count(view->ctx);
    KeyId probe = oview_probe_key(view);
    /* The operations grouped by key, in history order: key k's are order[start[k] ..
     * start[k+1]). */
    g_autofree guint *start = g_new0(guint, keys + 1);
    for (guint i = 0; i < history_len(h); i++) {
        if (history_is_folded(h, i))
            continue;
        const HistOp *op = history_op(h, i);
        if (op->key < keys && op->key != probe && !(op->flags & HOP_PROBE))
            start[op->key + 1]++;
    }
    for (guint k = 0; k < keys; k++)
        start[k + 1] += start[k];
    g_autofree uint32_t *order = g_new(uint32_t, MAX(start[keys], 1));
    g_autofree guint *fill = g_memdup2(start, sizeof(guint) * keys);
    for (guint i = 0; i < history_len(h); i++) {
        if (history_is_folded(h, i))
            continue;
        const HistOp *op = history_op(h, i);
        if (op->key < keys && op->key != probe && !(op->flags & HOP_PROBE))
            order[fill[op->key]++] = i;
    }
    Causal c = {.b = b, .mod = mod, .st = st, .view = view, .end = end, .stream = cs};
    c.multi = mod->multi_value && mod->multi_value(st);
    for (KeyId k = 0; k < keys; k++) {
        if (start[k] == start[k + 1])
            continue;
        c.key = k;
        c.ops = order + start[k];
        c.nops = start[k + 1] - start[k];
        check_key(&c, v);
    }
}

/* ---- streaming ---- */

#define CNODE_INLINE 2

/* What the stream keeps of a write it follows. */
typedef struct {
    IdemKey inline_targets[CNODE_INLINE]; /* what its context had seen, when that is few */
    SimTime seen_at;                      /* a delete: when a get first returned it */
    KeyId key;
    uint16_t ntargets; /* more than CNODE_INLINE: in CausalStream.more */
    uint8_t kind;
    uint8_t acked;
    uint8_t effective;
    uint8_t covered;
} CNode;

struct CausalStream {
    LedgerBook *b;
    const OracleModule *mod;
    void *st;
    const OracleView *view;
    gboolean multi;
    IdemTable nodes;       /* IdemKey -> CNode */
    gboolean deletes;      /* the workload may delete: a get may resurrect any earlier write */
    GArray **exposed;      /* per key (NULL: none), of IdemKey: acked writes not covered yet */
    GArray **overwriters;  /* per key (NULL: none), of IdemKey: effective puts and deletes */
    GHashTable *more;      /* IdemKey -> IdemKey[] of nodes with more targets than fit */
    GArray *waiting;       /* of IdemKey: followed writes not known to take effect yet */
    IdemTable anchors;     /* anchor_key -> uint32_t op + 1: a client's latest ok op on a key */
    SimTime *delete_acked; /* per key: the earliest ack of a delete (SIM_TIME_NEVER: none) */
    guint keys;
    GArray *stack; /* of IdemKey, for the walks */
};

CausalStream *causal_stream_new(LedgerBook *b, const OracleModule *mod, void *st)
{
    CausalStream *cs = g_new0(CausalStream, 1);
    cs->b = b;
    cs->mod = mod;
    cs->st = st;
    cs->view = b->view;
    cs->multi = mod->multi_value && mod->multi_value(st);
    idem_table_init(&cs->nodes, sizeof(CNode));
    cs->more = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    cs->waiting = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    idem_table_init(&cs->anchors, sizeof(uint32_t));
    cs->keys = cs->view->key_count(cs->view->ctx);
    const WorldConfig *cfg = cs->view->cfg;
    cs->deletes = cfg->mix[OP_DELETE] > 0;
    for (guint i = 0; cfg->scripted && i < cfg->scripted->len; i++)
        cs->deletes |= ((const ScriptedOp *)g_ptr_array_index(cfg->scripted, i))->kind == OP_DELETE;
    cs->exposed = g_new0(GArray *, MAX(cs->keys, 1));
    cs->overwriters = g_new0(GArray *, MAX(cs->keys, 1));
    cs->delete_acked = g_new(SimTime, MAX(cs->keys, 1));
    for (guint k = 0; k < cs->keys; k++)
        cs->delete_acked[k] = SIM_TIME_NEVER;
    cs->stack = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    return cs;
}

void causal_stream_free(CausalStream *cs)
{
    if (!cs)
        return;
    g_hash_table_unref(cs->more);
    idem_table_clear(&cs->anchors);
    idem_table_clear(&cs->nodes);
    g_array_free(cs->waiting, TRUE);
    g_array_free(cs->stack, TRUE);
    for (guint k = 0; k < cs->keys; k++) {
        if (cs->exposed[k])
            g_array_free(cs->exposed[k], TRUE);
        if (cs->overwriters[k])
            g_array_free(cs->overwriters[k], TRUE);
    }
    g_free(cs->exposed);
    g_free(cs->overwriters);
    g_free(cs->delete_acked);
    g_free(cs);
}

guint causal_stream_held(const CausalStream *cs)
{
    return idem_table_size(&cs->nodes);
}

static const IdemKey *targets_of(const CausalStream *cs, IdemKey idem, const CNode *n)
{
    if (n->ntargets <= CNODE_INLINE)
        return n->inline_targets;
    return g_hash_table_lookup(cs->more, &idem);
}

/* Covers what write `idem` reaches (it took effect). */
static void cover_from(CausalStream *cs, IdemKey idem)
{
    g_array_append_val(cs->stack, idem);
    while (cs->stack->len > 0) {
        IdemKey x = g_array_index(cs->stack, IdemKey, cs->stack->len - 1);
        g_array_set_size(cs->stack, cs->stack->len - 1);
        const CNode *n = idem_table_lookup(&cs->nodes, x);
        if (!n)
            continue; /* folded: what it reached is covered already */
        const IdemKey *t = targets_of(cs, x, n);
        for (guint i = 0; i < n->ntargets; i++) {
            CNode *m = idem_table_lookup(&cs->nodes, t[i]);
            if (!m || m->covered)
                continue;
            m->covered = 1;
            g_array_append_val(cs->stack, t[i]);
        }
    }
}

/* Appends idem to key k's list of `lists`. */
static void key_list_add(GArray **lists, KeyId k, IdemKey idem)
{
    if (!lists[k])
        lists[k] = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    g_array_append_val(lists[k], idem);
}

static void take_effect(CausalStream *cs, IdemKey idem, CNode *n)
{
    if (n->effective)
        return;
    n->effective = 1;
    cover_from(cs, idem);
    if (n->kind != OP_ADD && n->key < cs->keys)
        key_list_add(cs->overwriters, n->key, idem);
}

/* The writes the context of write op `op` had seen (its ctx op is still held). */
static void stream_context(const CausalStream *cs, const HistOp *op, GArray *out)
{
    History *h = cs->view->history;
    if (op->ctx_op == UINT32_MAX || history_is_folded(h, op->ctx_op))
        return;
    const HistOp *ctx = history_op(h, op->ctx_op);
    if (ctx->kind != OP_GET && ctx->idem != op->idem)
        g_array_append_val(out, ctx->idem);
    for (guint s = 0; s < ctx->nsib; s++) {
        const ClientSibling *sib = history_sibling(h, ctx, s);
        if ((op->flags & HOP_RECONCILE) && sib->op == OP_ADD)
            continue;
        if (sib->idem != op->idem)
            g_array_append_val(out, sib->idem);
    }
}

static void add_write(CausalStream *cs, const HistOp *op)
{
    CNode *n = idem_table_lookup(&cs->nodes, op->idem);
    if (!n) {
        g_autoptr(GArray) t = g_array_new(FALSE, FALSE, sizeof(IdemKey));
        stream_context(cs, op, t);
        n = idem_table_insert(&cs->nodes, op->idem);
        n->key = op->key;
        n->kind = op->kind;
        n->seen_at = SIM_TIME_NEVER;
        n->ntargets = (uint16_t)MIN(t->len, UINT16_MAX);
        if (n->ntargets <= CNODE_INLINE) {
            if (n->ntargets > 0)
                memcpy(n->inline_targets, t->data, sizeof(IdemKey) * n->ntargets);
        } else {
            IdemKey *k = g_new(IdemKey, 1);
            *k = op->idem;
            g_hash_table_insert(cs->more, k, g_memdup2(t->data, sizeof(IdemKey) * n->ntargets));
        }
        g_array_append_val(cs->waiting, op->idem);
    }
    if (op->outcome == OUTCOME_OK) {
        if (!n->acked && !n->covered && op->key < cs->keys)
            key_list_add(cs->exposed, op->key, op->idem);
        n->acked = 1;
        if (op->kind == OP_DELETE && op->key < cs->keys)
            cs->delete_acked[op->key] = MIN(cs->delete_acked[op->key], op->complete);
        take_effect(cs, op->idem, n);
    }
}

/* The anchors' key of the client and key of op (shaped as a generated idempotency key: the
 * table indexes a client's keys densely). */
static IdemKey anchor_key(const HistOp *op)
{
    return ((IdemKey)op->client + 1) << 32 | op->key;
}

/* The client's latest ok get, put or delete of the key: the context its next write carries. */
static void note_anchor(CausalStream *cs, const HistOp *op)
{
    if (op->outcome != OUTCOME_OK || op->kind == OP_ADD || op_kind_is_admin((OpKind)op->kind))
        return;
    uint32_t *old = idem_table_lookup(&cs->anchors, anchor_key(op));
    History *h = cs->view->history;
    if (old && !history_is_folded(h, *old - 1) && history_op(h, *old - 1)->complete > op->complete)
        return;
    *(uint32_t *)idem_table_insert(&cs->anchors, anchor_key(op)) = op->id + 1;
}

void causal_stream_add(CausalStream *cs, const HistOp *op)
{
    if (cs->multi || op->key >= cs->keys || (op->flags & HOP_PROBE))
        return;
    note_anchor(cs, op);
    if (op_kind_is_write(op->kind) && op->idem != IDEM_NONE) {
        add_write(cs, op);
        return;
    }
    if (op->kind != OP_GET || op->outcome != OUTCOME_OK)
        return;
    /* When a get first returned each delete (a resurrection's "read back"). */
    History *h = cs->view->history;
    for (guint s = 0; s < op->nsib; s++) {
        CNode *n = idem_table_lookup(&cs->nodes, history_sibling(h, op, s)->idem);
        if (n && n->kind == OP_DELETE)
            n->seen_at = MIN(n->seen_at, op->complete);
    }
}

void causal_stream_refresh(CausalStream *cs)
{
    guint keep = 0;
    for (guint i = 0; i < cs->waiting->len; i++) {
        IdemKey idem = g_array_index(cs->waiting, IdemKey, i);
        CNode *n = idem_table_lookup(&cs->nodes, idem);
        if (!n || n->effective)
            continue;
        const Ledger *l = ledger_find(cs->b, idem);
        if (l && ledger_ever_held(cs->b, l))
            take_effect(cs, idem, n);
        else
            g_array_index(cs->waiting, IdemKey, keep++) = idem;
    }
    g_array_set_size(cs->waiting, keep);
}

static gboolean is_anchor(const CausalStream *cs, const HistOp *op)
{
    const uint32_t *a = idem_table_lookup(&cs->anchors, anchor_key(op));
    return a && *a == op->id + 1;
}

/* Drops from a key's list the writes for which `keep` no longer holds. */
static void key_list_prune(CausalStream *cs, GArray *list, gboolean covered_too)
{
    guint keep = 0;
    for (guint i = 0; list && i < list->len; i++) {
        IdemKey x = g_array_index(list, IdemKey, i);
        const CNode *n = idem_table_lookup(&cs->nodes, x);
        if (n && !(covered_too && n->covered))
            g_array_index(list, IdemKey, keep++) = x;
    }
    if (list)
        g_array_set_size(list, keep);
}

/* Whether put or delete y (of version v) is, among the writes followed, the next newer effective
 * put or delete of some acked write not covered yet: the end names it as what overwrote that
 * write if the write turns out a lost update (causal_check's overwriter), so it stays. */
static gboolean names_an_overwrite(CausalStream *cs, KeyId k, IdemKey y, Version v)
{
    GArray *exposed = cs->exposed[k], *over = cs->overwriters[k];
    key_list_prune(cs, exposed, TRUE);
    key_list_prune(cs, over, FALSE);
    /* The newest other effective put or delete older than y: an acked write older than that
     * one has it (or a newer one) between itself and y. */
    Version below = {0};
    gboolean has_below = FALSE;
    for (guint j = 0; over && j < over->len; j++) {
        IdemKey z = g_array_index(over, IdemKey, j);
        const Ledger *lz = z != y ? ledger_find(cs->b, z) : NULL;
        if (lz && version_cmp(lz->version, v) < 0 &&
            (!has_below || version_cmp(lz->version, below) > 0)) {
            below = lz->version;
            has_below = TRUE;
        }
    }
    for (guint i = 0; exposed && i < exposed->len; i++) {
        IdemKey w = g_array_index(exposed, IdemKey, i);
        const Ledger *lw = w != y ? ledger_find(cs->b, w) : NULL;
        if (lw && version_cmp(lw->version, v) < 0 &&
            (!has_below || version_cmp(lw->version, below) >= 0))
            return TRUE;
    }
    return FALSE;
}

gboolean causal_stream_final(CausalStream *cs, const HistOp *op, const Ledger *l)
{
    if (!cs->mod->causal || op->key >= cs->keys)
        return TRUE; /* no causal judgement: nothing to keep */
    if (cs->multi || is_anchor(cs, op))
        return FALSE;
    if (op->kind == OP_GET)
        return op->outcome != OUTCOME_OK || cs->delete_acked[op->key] >= op->invoke;
    const CNode *n = idem_table_lookup(&cs->nodes, op->idem);
    if (!n)
        return TRUE;
    /* A get may return any write after a delete covered it (a resurrection): the end needs the
     * write then. */
    if (cs->deletes && n->kind != OP_DELETE)
        return FALSE;
    if (n->effective && n->kind != OP_ADD && l &&
        names_an_overwrite(cs, n->key, op->idem, l->version))
        return FALSE;
    if (n->acked)
        return n->kind != OP_DELETE && n->covered;
    return TRUE; /* never acknowledged: not a lost update; what it reaches took its effect */
}

gboolean causal_stream_never_final(CausalStream *cs, const HistOp *op)
{
    if (!cs->mod->causal || op->key >= cs->keys)
        return FALSE;
    if (cs->multi)
        return TRUE;
    if (!cs->deletes || op->kind == OP_GET)
        return FALSE;
    const CNode *n = idem_table_lookup(&cs->nodes, op->idem);
    return n && n->kind != OP_DELETE;
}

void causal_stream_forget(CausalStream *cs, IdemKey idem)
{
    const CNode *n = idem_table_lookup(&cs->nodes, idem);
    if (!n)
        return;
    if (n->ntargets > CNODE_INLINE)
        g_hash_table_remove(cs->more, &idem);
    idem_table_remove(&cs->nodes, idem);
}

/* The writes the context of write op `op` had seen, as the stream took them (its context op was
 * folded since), appended to `out`. */
static void stream_context_writes(const Causal *c, const HistOp *op, GArray *out)
{
    const CNode *n = c->stream ? idem_table_lookup(&c->stream->nodes, op->idem) : NULL;
    if (!n)
        return;
    const IdemKey *t = targets_of(c->stream, op->idem, n);
    uint32_t self = write_of(c, op->idem);
    for (guint i = 0; i < n->ntargets; i++) {
        uint32_t x = write_of(c, t[i]);
        if (x != UINT32_MAX && x != self)
            g_array_append_val(out, x);
    }
}

/* The end check over held operations: coverage and reads-back the folded ones left behind. */
static void stream_marks(Causal *c)
{
    for (guint w = 0; w < c->writes->len; w++) {
        CWrite *x = cw(c, w);
        const CNode *n = idem_table_lookup(&c->stream->nodes, x->idem);
        if (!n)
            continue;
        x->covered = n->covered;
        x->seen_at = MIN(x->seen_at, n->seen_at);
    }
}
