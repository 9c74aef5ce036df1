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

/* The violation of key k: no order explains rep's failed operation. */
static void lin_violation(const OracleView *view, KeyId k, guint nops, const LinReport *rep,
                          Verdict *v)
{
    History *h = view->history;
    char label[64];
    uint32_t ops[1] = {rep->failed_op};
    const HistOp *op = rep->failed_op < history_len(h) ? history_op(h, rep->failed_op) : NULL;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "key %s: no order of its %u operations explains %s",
                           oview_key(view, k), nops,
                           oview_op_label(view, rep->failed_op, label, sizeof label));
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
    verdict_add(v, V_NOT_LINEARIZABLE, op ? op->complete : 0, ops, 1, NULL, 0,
                g_string_free(s, FALSE));
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
            lin_violation(view, k, key_ops->len, &rep, v);
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
