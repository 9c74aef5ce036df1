/* reports/lin_check.c — the history key by key into the linearizability checker (see
 * lin_check.h). */
#include "reports/lin_check.h"

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

/* The violation of key k: no order explains operation `op` (id: its history id; op: what the
 * checker saw of it, or NULL if not known). */
static void lin_violation(const OracleView *view, KeyId k, guint nops, uint32_t id, const LinOp *op,
                          Verdict *v)
{
    char label[64];
    uint32_t ops[1] = {id};
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "key %s: no order of its %u operations explains %s",
                           oview_key(view, k), nops, oview_op_label(view, id, label, sizeof label));
    if (op && op->kind == OP_GET) {
        if (op->present)
            g_string_append_printf(s, " (a read that returned %" G_GINT64_FORMAT ")", op->result);
        else
            g_string_append(s, " (a read that found no value)");
    } else if (op) {
        g_string_append_printf(s, " (%s)", op_kind_name(op->kind));
    }
    char when[32];
    if (op && op->complete != SIM_TIME_NEVER)
        g_string_append_printf(s, ", completed at %s",
                               sim_time_format_human(op->complete, when, sizeof when));
    verdict_add(v, V_NOT_LINEARIZABLE, op && op->complete != SIM_TIME_NEVER ? op->complete : 0, ops,
                1, NULL, 0, g_string_free(s, FALSE));
}

/* The LinOp of history op `id` among `ops`, or NULL. */
static const LinOp *find_lin_op(const GArray *ops, uint32_t id)
{
    for (guint i = 0; ops && i < ops->len; i++)
        if (g_array_index(ops, LinOp, i).id == id)
            return &g_array_index(ops, LinOp, i);
    return NULL;
}

/* Judges one key's operations. */
static void lin_check_one(const OracleView *view, const CheckEnd *end, gboolean merging_adds,
                          KeyId k, const GArray *key_ops, Verdict *v)
{
    v->lin_keys++;
    v->stale_reads += count_stale_reads(key_ops);
    /* Adds that merge by the writers' versions: an older put that lands late re-bases adds a
     * read already saw, so a key with adds is not promised linearizable reads (its deposits are
     * still never lost nor doubled). */
    gboolean promised = end->linearizable;
    if (merging_adds)
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
        if (promised)
            lin_violation(view, k, key_ops->len, rep.failed_op, find_lin_op(key_ops, rep.failed_op),
                          v);
    }
}

/* Checks each key's operations in turn; only one key's operations are copied at a time, so a
 * long history costs 4 bytes per operation here, not another copy of itself. */
void lin_check_history(const OracleView *view, const CheckEnd *end, gboolean merging_adds,
                       Verdict *v)
{
    History *h = view->history;
    guint keys = view->key_count(view->ctx);
    KeyId probe = oview_probe_key(view);
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
        lin_check_one(view, end, merging_adds, k, key_ops, v);
    }
    g_array_free(key_ops, TRUE);
    g_free(order);
    g_free(start);
}

/* ---- streaming ---- */

#define WINDOW_BUDGET 100000 /* states a window closed before the end may search */

/* One key's judgement so far, and its open window. */
typedef struct {
    GArray *ops;       /* of LinOp: the open window */
    GArray *starts;    /* of LinState: where the window may start (NULL: the empty key) */
    SimTime last;      /* the latest completion in the window */
    guint total;       /* operations judged in all, windows closed or open */
    guint stale;       /* stale reads counted in closed windows */
    gboolean closable; /* nothing in the window may take effect later, nor shares a key */
    gboolean adds;     /* the key had an add */
    gboolean checked;  /* some window was checked */
    LinResult result;  /* of the windows closed so far (LIN_OK until one fails) */
    LinReport report;  /* of the one that did not pass */
    LinOp failed;      /* the operation it could not explain */
    gboolean has_failed;
    /* what the stale-read count needs of the closed windows: the put with the latest
     * completion, and the two writes with the latest completions (in invocation order) */
    LinOp last_put, top, second;
    gboolean has_last_put, has_top, has_second;
} LinKey;

struct LinStream {
    const OracleView *view;
    uint64_t budget;
    KeyId probe;
    guint keys;
    LinKey *k; /* [keys] */
    guint held;
};

LinStream *lin_stream_new(const OracleView *view, uint64_t budget)
{
    LinStream *ls = g_new0(LinStream, 1);
    ls->view = view;
    ls->budget = budget;
    ls->probe = oview_probe_key(view);
    ls->keys = view->key_count(view->ctx);
    ls->k = g_new0(LinKey, MAX(ls->keys, 1));
    for (guint i = 0; i < ls->keys; i++)
        ls->k[i].closable = TRUE;
    return ls;
}

void lin_stream_free(LinStream *ls)
{
    if (!ls)
        return;
    for (guint i = 0; i < ls->keys; i++) {
        if (ls->k[i].ops)
            g_array_free(ls->k[i].ops, TRUE);
        if (ls->k[i].starts)
            g_array_free(ls->k[i].starts, TRUE);
    }
    g_free(ls->k);
    g_free(ls);
}

guint lin_stream_held(const LinStream *ls)
{
    return ls->held;
}

void lin_stream_add(LinStream *ls, const HistOp *op)
{
    LinOp lo;
    if (op->key >= ls->keys || !lin_op_of(op, ls->probe, ls->keys, &lo))
        return;
    LinKey *k = &ls->k[op->key];
    if (!k->ops)
        k->ops = g_array_new(FALSE, FALSE, sizeof(LinOp));
    g_array_append_val(k->ops, lo);
    ls->held++;
    k->total++;
    k->adds |= lo.kind == OP_ADD;
    if (lo.complete == SIM_TIME_NEVER || (op->flags & HOP_SCRIPTED))
        k->closable = FALSE; /* it may take effect later; or it may share a key */
    else
        k->last = MAX(k->last, lo.complete);
}

/* Stale reads of the window, with what the closed windows leave behind (their ops all completed
 * before the window's first invocation, so only their latest put and two latest writes can
 * matter); then what the next window needs of this one. */
static guint window_stale(LinKey *k)
{
    GArray *all = g_array_sized_new(FALSE, FALSE, sizeof(LinOp), k->ops->len + 3);
    if (k->has_second)
        g_array_append_val(all, k->second);
    if (k->has_top)
        g_array_append_val(all, k->top);
    if (k->has_last_put && !(k->has_top && k->top.id == k->last_put.id) &&
        !(k->has_second && k->second.id == k->last_put.id))
        g_array_append_val(all, k->last_put);
    guint carried = all->len;
    g_array_append_vals(all, k->ops->data, k->ops->len);
    guint stale = count_stale_reads(all); /* a carried op is no read: it adds nothing */
    /* What the next window needs: the put with the latest completion (ties by id, as
     * count_stale_reads orders puts), and the two latest completions among the writes taken in
     * invocation order. */
    const LinOp **w = g_new(const LinOp *, all->len ? all->len : 1);
    guint nw = 0;
    for (guint i = carried; i < all->len; i++) {
        const LinOp *o = &g_array_index(all, LinOp, i);
        if (o->kind == OP_PUT) {
            const LinOp *best = &k->last_put;
            if (!k->has_last_put || cmp_complete(&o, &best) > 0) {
                k->last_put = *o;
                k->has_last_put = TRUE;
            }
        }
        if (o->kind != OP_GET)
            w[nw++] = o;
    }
    lin_sort(w, nw, sizeof *w, cmp_invoke);
    for (guint i = 0; i < nw; i++) {
        if (!k->has_top || w[i]->complete > k->top.complete) {
            if (k->has_top) {
                k->second = k->top;
                k->has_second = TRUE;
            }
            k->top = *w[i];
            k->has_top = TRUE;
        } else if (!k->has_second || w[i]->complete > k->second.complete) {
            k->second = *w[i];
            k->has_second = TRUE;
        }
    }
    g_free(w);
    g_array_free(all, TRUE);
    return stale;
}

/* Checks the window and closes it: the next starts from where it can end (unless it is the last).
 */
static void close_window(LinStream *ls, LinKey *k, gboolean last)
{
    if (k->result == LIN_OK) {
        GArray *ends = last ? NULL : g_array_new(FALSE, FALSE, sizeof(LinState));
        LinReport rep;
        /* A window closed early must find every state it can end in, which can cost far more
         * than the first order that explains it: past WINDOW_BUDGET states it stays open to
         * the end instead, and is judged there as the whole key would be. */
        uint64_t budget = last ? ls->budget : WINDOW_BUDGET;
        LinResult r =
            lin_check_window((const LinOp *)(const void *)k->ops->data, k->ops->len,
                             k->starts ? (const LinState *)(const void *)k->starts->data : NULL,
                             k->starts ? k->starts->len : 0, budget, &rep, ends);
        if (r == LIN_UNKNOWN && !last) {
            g_array_free(ends, TRUE);
            k->closable = FALSE;
            return;
        }
        k->checked = TRUE;
        if (r != LIN_OK) {
            k->result = r;
            k->report = rep;
            const LinOp *f = find_lin_op(k->ops, rep.failed_op);
            k->has_failed = f != NULL;
            if (f)
                k->failed = *f;
            if (ends)
                g_array_free(ends, TRUE);
        } else {
            if (k->starts)
                g_array_free(k->starts, TRUE);
            k->starts = ends;
        }
    }
    k->stale += window_stale(k);
    ls->held -= k->ops->len;
    g_array_set_size(k->ops, 0);
    k->last = 0;
}

void lin_stream_cut(LinStream *ls, KeyId key, SimTime cut)
{
    if (key >= ls->keys)
        return;
    LinKey *k = &ls->k[key];
    if (!k->ops || k->ops->len == 0 || !k->closable || k->last >= cut)
        return;
    close_window(ls, k, FALSE);
}

void lin_stream_finish(LinStream *ls, const CheckEnd *end, gboolean merging_adds, Verdict *v)
{
    v->lin_promised = end->linearizable;
    for (KeyId key = 0; key < ls->keys; key++) {
        LinKey *k = &ls->k[key];
        if (k->total == 0)
            continue;
        if (k->ops && k->ops->len > 0)
            close_window(ls, k, TRUE);
        v->lin_keys++;
        v->stale_reads += k->stale;
        /* As lin_check_one: adds that merge by version make a key unpromised. */
        gboolean promised = end->linearizable && !(merging_adds && k->adds);
        if (!promised)
            v->lin_keys_unpromised++;
        if (k->result == LIN_UNKNOWN) {
            v->lin_unknown_keys++;
            if (v->lin == LIN_OK)
                v->lin = LIN_UNKNOWN;
        } else if (k->result == LIN_VIOLATION) {
            v->lin = LIN_VIOLATION;
            if (promised)
                lin_violation(ls->view, key, k->total, k->report.failed_op,
                              k->has_failed ? &k->failed : NULL, v);
        }
    }
}

gboolean lin_stream_open(const LinStream *ls, KeyId key)
{
    const LinKey *k = key < ls->keys ? &ls->k[key] : NULL;
    return k && k->ops && k->ops->len > 0 && k->closable;
}
