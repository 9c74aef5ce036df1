/* reports/stream.c — streaming oracles (see stream.h). */
#include "reports/stream.h"

#include "reports/history_check.h"

#define RETRY_MIN (100 * SIM_MS) /* a held operation not final is looked at again after this */

/* A held operation, and when to look at it (again). */
typedef struct {
    uint32_t id;
    SimTime due;
} Held;

struct Stream {
    const OracleView *view;
    LedgerBook *ledger;
    Redundancy *redundancy;
    const OracleModule *mod;
    void *st;
    KeyId probe;
    guint keys;
    SimTime horizon;      /* how long after the last event about a write it may still change */
    gboolean eager;       /* an acked write folds once settled, without waiting the horizon */
    uint32_t registered;  /* operations below are in `outstanding` or handed over */
    uint32_t cursor;      /* operations below are handed over */
    GArray **outstanding; /* per key: its operations made, not handed over yet (of uint32_t) */
    GArray *open_keys;    /* of KeyId: keys whose linearizability window may close */
    uint8_t *key_open;    /* per key: in open_keys */
    uint8_t *touched;     /* per key: some operation touched it */
    GArray *held;         /* of Held, from held_head on: handed over, not folded, not kept to the
                           * end, in order of `due` */
    guint held_head;
    LinStream *lin;
    CausalStream *causal;
    Verdict folded;
    ReportLatency latency;
    uint64_t folded_ops, folded_writes;
};

/* How long after the last event about a write something may still happen to it without a
 * fault: a coordinator or leader gives up on a request after request_timeout, a message is in
 * flight for at most the latency range, a disk takes a write and an fsync. */
static SimTime horizon_of(const WorldConfig *c)
{
    return c->request_timeout + 2 * c->net_latency.hi + c->disk_write_latency.hi +
           c->disk_fsync_latency.hi + c->client_timeout;
}

Stream *stream_new(const OracleView *view, LedgerBook *ledger, Redundancy *redundancy,
                   const OracleModule *mod, void *st, uint64_t lin_budget, gboolean eager)
{
    Stream *s = g_new0(Stream, 1);
    s->view = view;
    s->ledger = ledger;
    s->redundancy = redundancy;
    s->mod = mod;
    s->st = st;
    s->probe = oview_probe_key(view);
    s->keys = view->key_count(view->ctx);
    s->horizon = horizon_of(view->cfg);
    s->eager = eager;
    s->outstanding = g_new0(GArray *, MAX(s->keys, 1));
    s->open_keys = g_array_new(FALSE, FALSE, sizeof(KeyId));
    s->key_open = g_new0(uint8_t, MAX(s->keys, 1));
    s->touched = g_new0(uint8_t, MAX(s->keys, 1));
    s->held = g_array_new(FALSE, FALSE, sizeof(Held));
    s->lin = lin_stream_new(view, lin_budget);
    s->causal = causal_stream_new(ledger, mod, st);
    verdict_init(&s->folded);
    return s;
}

void stream_free(Stream *s)
{
    if (!s)
        return;
    for (guint k = 0; k < s->keys; k++)
        if (s->outstanding[k])
            g_array_free(s->outstanding[k], TRUE);
    g_free(s->outstanding);
    g_array_free(s->open_keys, TRUE);
    g_free(s->key_open);
    g_free(s->touched);
    g_array_free(s->held, TRUE);
    lin_stream_free(s->lin);
    causal_stream_free(s->causal);
    verdict_clear(&s->folded);
    g_free(s);
}

/* ---- handing operations over ---- */

static gboolean keyed(const Stream *s, const HistOp *op)
{
    return op->key < s->keys && !op_kind_is_admin((OpKind)op->kind);
}

/* The operations made since the last sweep are out (or about to be) on their keys. */
static void register_new(Stream *s)
{
    History *h = s->view->history;
    for (; s->registered < history_len(h); s->registered++) {
        const HistOp *op = history_op(h, s->registered);
        if (!keyed(s, op))
            continue;
        GArray **o = &s->outstanding[op->key];
        if (!*o)
            *o = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        g_array_append_val(*o, s->registered);
    }
}

static void take_out(Stream *s, const HistOp *op)
{
    GArray *o = s->outstanding[op->key];
    for (guint i = 0; o && i < o->len; i++) {
        if (g_array_index(o, uint32_t, i) == op->id) {
            g_array_remove_index_fast(o, i);
            return;
        }
    }
}

static void hand_over(Stream *s, const HistOp *op)
{
    if (keyed(s, op)) {
        take_out(s, op);
        s->touched[op->key] = 1;
        lin_stream_add(s->lin, op);
        causal_stream_add(s->causal, op);
        if (!s->key_open[op->key]) {
            s->key_open[op->key] = 1;
            g_array_append_val(s->open_keys, op->key);
        }
    }
    /* Scripted operations (named, perhaps sharing an idempotency key), the liveness probe and
     * the final reads stay to the end. */
    if (!(op->flags & (HOP_SCRIPTED | HOP_PROBE | HOP_FINAL))) {
        Held x = {op->id, oview_now(s->view) + (s->eager ? 0 : s->horizon)};
        g_array_append_val(s->held, x);
    }
}

/* When the earliest operation of the key still out began (or, not yet invoked, will: not
 * before now). */
static SimTime next_invoke(const Stream *s, KeyId key)
{
    History *h = s->view->history;
    SimTime now = oview_now(s->view), first = now;
    const GArray *o = s->outstanding[key];
    for (guint i = 0; o && i < o->len; i++) {
        const HistOp *op = history_op(h, g_array_index(o, uint32_t, i));
        gboolean invoked = op->attempts > 0 || op->invoke > 0 || op->outcome != OUTCOME_PENDING;
        if (invoked)
            first = MIN(first, op->invoke);
    }
    return first;
}

/* Closes the linearizability windows whose keys are quiescent now. */
static void cut_windows(Stream *s)
{
    guint keep = 0;
    for (guint i = 0; i < s->open_keys->len; i++) {
        KeyId k = g_array_index(s->open_keys, KeyId, i);
        lin_stream_cut(s->lin, k, next_invoke(s, k));
        if (lin_stream_open(s->lin, k))
            g_array_index(s->open_keys, KeyId, keep++) = k;
        else
            s->key_open[k] = 0;
    }
    g_array_set_size(s->open_keys, keep);
}

/* ---- folding ---- */

static gboolean write_final(Stream *s, const HistOp *op, const Ledger *l)
{
    if (!l)
        return TRUE; /* never sent: an honest failure, and nothing can still send it */
    if (!l->acked && ledger_ever_held(s->ledger, l))
        return FALSE; /* an orphan: whether it surfaced is judged on the end state */
    SimTime quiet_for = oview_now(s->view) - l->touched;
    if (!l->acked)
        return quiet_for >= s->horizon; /* never stored, and nothing is still on its way */
    if (!s->eager && quiet_for < s->horizon)
        return FALSE;
    return s->mod->settled && s->mod->settled(s->st, l);
}

static gboolean op_final(Stream *s, const HistOp *op, const Ledger *l)
{
    if (!causal_stream_final(s->causal, op, l))
        return FALSE;
    if (op_kind_is_write(op->kind) && op->idem != IDEM_NONE)
        return write_final(s, op, l);
    return TRUE; /* a get, or an operation on the cluster: its outcome is all there is */
}

/* A write that was stored or acked can only fold once its module calls it settled: under a
 * module that never does (no `settled`), looking at it again would only cost time. */
static gboolean never_final(const Stream *s, const Ledger *l)
{
    return l && !s->mod->settled && (l->acked || ledger_ever_held(s->ledger, l));
}

/* Judges operation `id` now, as the end would, and drops it. */
static void fold(Stream *s, uint32_t id)
{
    History *h = s->view->history;
    const HistOp *op = history_op(h, id);
    Ledger *l = op_kind_is_write(op->kind) && op->idem != IDEM_NONE
                    ? ledger_find(s->ledger, op->idem)
                    : NULL;
    history_check_op(s->ledger, s->mod, s->st, id, s->probe, &s->folded);
    report_latency_add_op(&s->latency, op);
    if (l) {
        if (s->mod->ledger_end)
            s->mod->ledger_end(s->st, l, &s->folded);
        redundancy_forget(s->redundancy, ledger_index(s->ledger, l));
        if (s->mod->fold)
            s->mod->fold(s->st, l);
        causal_stream_forget(s->causal, l->idem);
        ledger_forget(s->ledger, l);
        s->folded_writes++;
    }
    history_fold(h, id);
    s->folded_ops++;
}

/* Looks at the held operations that are due, and folds the final ones; those that are not go
 * to the back, due again a while later (so `due` stays in order along the queue). */
static void fold_final(Stream *s)
{
    History *h = s->view->history;
    SimTime now = oview_now(s->view);
    SimTime again = now + (s->eager ? RETRY_MIN : MAX(s->horizon, RETRY_MIN));
    guint end = s->held->len;
    while (s->held_head < end) {
        Held x = g_array_index(s->held, Held, s->held_head);
        if (x.due > now)
            break;
        s->held_head++;
        const HistOp *op = history_op(h, x.id);
        const Ledger *l = op_kind_is_write(op->kind) && op->idem != IDEM_NONE
                              ? ledger_find(s->ledger, op->idem)
                              : NULL;
        if (op_final(s, op, l)) {
            fold(s, x.id);
        } else if (never_final(s, l) || causal_stream_never_final(s->causal, op)) {
            continue; /* kept to the end, as under --keep-history */
        } else {
            x.due = again;
            g_array_append_val(s->held, x);
        }
    }
    /* The queue's front is given back once it is most of it. */
    if (s->held_head > 1024 && s->held_head * 2 > s->held->len) {
        g_array_remove_range(s->held, 0, s->held_head);
        s->held_head = 0;
    }
}

void stream_sweep(Stream *s, gboolean quiet)
{
    History *h = s->view->history;
    register_new(s);
    while (s->cursor < history_len(h) && history_op(h, s->cursor)->outcome != OUTCOME_PENDING)
        hand_over(s, history_op(h, s->cursor++));
    cut_windows(s);
    if (s->mod->sweep)
        s->mod->sweep(s->st, quiet);
    if (!quiet)
        return;
    causal_stream_refresh(s->causal);
    fold_final(s);
}

/* ---- the end ---- */

static void hand_over_rest(Stream *s)
{
    History *h = s->view->history;
    register_new(s);
    for (; s->cursor < history_len(h); s->cursor++)
        hand_over(s, history_op(h, s->cursor));
}

void stream_check_history(Stream *s, Verdict *all)
{
    hand_over_rest(s);
    const Verdict *f = &s->folded;
    all->ops += f->ops;
    all->reads += f->reads;
    all->writes += f->writes;
    all->acked += f->acked;
    all->failed += f->failed;
    all->indeterminate += f->indeterminate;
    all->orphans += f->orphans;
    all->orphans_surfaced += f->orphans_surfaced;
    all->orphans_latent += f->orphans_latent;
    guint kept[V_KIND_COUNT] = {0};
    for (guint i = 0; i < f->violations->len; i++) {
        const Violation *x = g_ptr_array_index(f->violations, i);
        verdict_add_copy(all, x);
        kept[x->kind]++;
    }
    /* Past the examples a verdict keeps, the folded ones are counted. */
    for (int k = 0; k < V_KIND_COUNT; k++) {
        all->counts[k] += f->counts[k] - kept[k];
        if (all->counts[k] > 0)
            all->kinds |= 1u << k;
    }
    all->duplicates = all->counts[V_DUPLICATE];
}

void stream_check_order(Stream *s, const CheckEnd *end, Verdict *all)
{
    hand_over_rest(s);
    lin_stream_finish(s->lin, end, s->mod->merging_adds, all);
}

void stream_check_causal(Stream *s, const CheckEnd *end, Verdict *all)
{
    hand_over_rest(s);
    causal_check_history(s->ledger, s->mod, s->st, end, s->causal, all);
}

const ReportLatency *stream_latency(const Stream *s)
{
    return &s->latency;
}

gboolean stream_touched(const Stream *s, KeyId key)
{
    return key < s->keys && s->touched[key];
}

void stream_stats(const Stream *s, StreamStats *out)
{
    *out = (StreamStats){.folded_ops = s->folded_ops,
                         .folded_writes = s->folded_writes,
                         .held_ops = s->held->len - s->held_head,
                         .lin_held = lin_stream_held(s->lin),
                         .causal_held = causal_stream_held(s->causal),
                         .ledger_live = s->ledger->live};
}
