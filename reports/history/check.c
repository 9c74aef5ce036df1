/* reports/history/check.c — a history's verdict from its keys' verdicts. */
#include "reports/history/check.h"

#include <string.h>

/* The ops of each key, in invocation order: key k's are ops[start[k] .. start[k + 1]). */
static HcOp **split_by_key(const HcHistory *h, guint **start_out)
{
    guint keys = h->keys->len, n = h->ops->len;
    guint *start = g_new0(guint, keys + 1);
    for (guint i = 0; i < n; i++)
        start[hc_history_op(h, i)->key + 1]++;
    for (guint k = 0; k < keys; k++)
        start[k + 1] += start[k];
    guint *fill = g_memdup2(start, sizeof(guint) * keys);
    HcOp **ops = g_new(HcOp *, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        HcOp *op = hc_history_op(h, i);
        ops[fill[op->key]++] = op;
    }
    g_free(fill);
    *start_out = start;
    return ops;
}

#define FIRST_SLICE 100000 /* states for each key in the first round */

/* Searches one key's ops up to line `upto` with `states`; part keeps the result. */
static void search_part(const HcModel *m, HcModelCtx *ctx, const HcHistory *h, HcOp **ops,
                        const HcCheckOptions *opt, uint32_t upto, uint64_t states, HcPart *part)
{
    HcBudget b = {states, opt->budget.memory_bytes};
    HcSearchResult r;
    hc_search(m, ctx, ops, part->nops, upto, &b, &r);
    part->verdict = r.verdict;
    part->limit = r.limit;
    part->states += r.states;
    part->peak_bytes = MAX(part->peak_bytes, r.peak_bytes);
    part->reached = r.reached;
    part->upto = upto;
    const HcOp *first = hc_history_op(h, 0);
    if (r.verdict == HC_NOT_LINEARIZABLE)
        part->fail_op = (guint)(ops[r.fail] - first);
    if (opt->keep_orders) {
        if (part->order)
            g_array_free(part->order, TRUE);
        part->order = g_array_sized_new(FALSE, FALSE, sizeof(guint), r.order->len);
        for (guint i = 0; i < r.order->len; i++) {
            guint global = (guint)(ops[g_array_index(r.order, guint, i)] - first);
            g_array_append_val(part->order, global);
        }
    }
    hc_search_result_clear(&r);
    if (m->reset)
        m->reset(ctx);
}

/* The round loop: every undecided part gets `slice` states (the last ones what is left). */
static void run_rounds(const HcModel *m, HcModelCtx *ctx, const HcHistory *h, HcOp **ops,
                       const guint *first, const HcCheckOptions *opt, HcCheck *out)
{
    GArray *parts = out->parts;
    uint64_t total = opt->budget.states;
    uint64_t slice = parts->len == 1 ? total : MAX(FIRST_SLICE, total / 4096);
    uint32_t cut = HC_NEVER; /* the earliest line a part breaks at so far */
    gboolean *decided = g_new0(gboolean, parts->len);
    for (gboolean again = TRUE; again; slice = slice > total / 8 ? total : slice * 8) {
        again = FALSE;
        for (guint i = 0; i < parts->len && out->states < total; i++) {
            HcPart *p = &g_array_index(parts, HcPart, i);
            if (decided[i])
                continue;
            uint64_t left = total - out->states, give = MIN(slice, left);
            uint64_t before = p->states;
            search_part(m, ctx, h, ops + first[i], opt, cut, give, p);
            out->states += p->states - before;
            decided[i] = !(p->verdict == HC_UNKNOWN && p->limit == HC_LIMIT_STATES && give < left);
            again |= !decided[i];
            if (p->verdict == HC_NOT_LINEARIZABLE && p->reached < cut)
                cut = p->reached;
        }
    }
    g_free(decided);
}

void hc_check(const HcModel *m, HcModelCtx *ctx, const HcHistory *h, const HcCheckOptions *opt,
              HcCheck *out)
{
    *out = (HcCheck){.verdict = HC_LINEARIZABLE,
                     .parts = g_array_new(FALSE, TRUE, sizeof(HcPart)),
                     .first_fail = -1,
                     .first_limit = -1};
    guint *start;
    HcOp **ops = split_by_key(h, &start);
    guint *first = g_new(guint, MAX(h->keys->len, 1));
    for (guint k = 0; k < h->keys->len; k++) {
        if (start[k + 1] == start[k])
            continue;
        HcPart part = {.key = k,
                       .nops = start[k + 1] - start[k],
                       .verdict = HC_UNKNOWN,
                       .limit = HC_LIMIT_STATES,
                       .upto = HC_NEVER};
        first[out->parts->len] = start[k];
        g_array_append_val(out->parts, part);
    }
    run_rounds(m, ctx, h, ops, first, opt, out);
    for (guint i = 0; i < out->parts->len; i++) {
        const HcPart *p = &g_array_index(out->parts, HcPart, i);
        out->peak_bytes = MAX(out->peak_bytes, p->peak_bytes);
        if (p->verdict == HC_NOT_LINEARIZABLE) {
            out->verdict = HC_NOT_LINEARIZABLE;
            if (out->first_fail < 0 ||
                p->reached < g_array_index(out->parts, HcPart, out->first_fail).reached)
                out->first_fail = (int)i;
        } else if (p->verdict == HC_UNKNOWN && out->first_limit < 0) {
            out->first_limit = (int)i;
            out->limit = p->limit;
        }
    }
    if (out->verdict == HC_LINEARIZABLE && out->first_limit >= 0)
        out->verdict = HC_UNKNOWN;
    if (out->first_fail >= 0) {
        uint32_t at = g_array_index(out->parts, HcPart, out->first_fail).reached;
        for (guint i = 0; i < out->parts->len; i++) {
            const HcPart *p = &g_array_index(out->parts, HcPart, i);
            out->first_unsure |= p->verdict == HC_UNKNOWN && p->reached < at;
        }
    }
    g_free(first);
    g_free(ops);
    g_free(start);
}

void hc_check_clear(HcCheck *c)
{
    if (!c->parts)
        return;
    for (guint i = 0; i < c->parts->len; i++) {
        HcPart *p = &g_array_index(c->parts, HcPart, i);
        if (p->order)
            g_array_free(p->order, TRUE);
    }
    g_array_free(c->parts, TRUE);
    c->parts = NULL;
}

gboolean hc_file_check(HcFile *f, const char *text, gsize len, const char *file, HcFormat format,
                       const HcModel *model, const HcCheckOptions *opt, GError **error)
{
    memset(f, 0, sizeof *f);
    hc_history_init(&f->history);
    if (!hc_format_resolve(text, len, file, &format, error))
        return FALSE;
    f->format = format;
    if (!hc_history_read(&f->history, text, len, format, file, error))
        return FALSE;
    if (!model) {
        g_autofree char *why = NULL;
        model = hc_model_infer(&f->history, &why);
        if (!model) {
            g_set_error(error, HC_ERROR, 0, "%s: %s", file, why);
            return FALSE;
        }
    }
    f->model = model;
    f->ctx = model->ctx_new();
    if (!hc_model_prepare(model, f->ctx, &f->history, file, error))
        return FALSE;
    hc_check(model, f->ctx, &f->history, opt, &f->check);
    return TRUE;
}

void hc_file_clear(HcFile *f)
{
    hc_check_clear(&f->check);
    if (f->ctx)
        f->model->ctx_free(f->ctx);
    f->ctx = NULL;
    hc_history_clear(&f->history);
}

static const char *limit_name(HcLimit l)
{
    return l == HC_LIMIT_STATES ? "state" : "memory";
}

char *hc_file_summary(const HcFile *f, double seconds)
{
    const HcCheck *c = &f->check;
    const HcHistory *h = &f->history;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s %u ops %.3f s", hc_verdict_name(c->verdict), h->invocations,
                           seconds);
    if (c->verdict == HC_NOT_LINEARIZABLE) {
        const HcPart *p = &g_array_index(c->parts, HcPart, c->first_fail);
        g_autofree char *op = hc_op_describe(h, hc_history_op(h, p->fail_op));
        g_string_append_printf(s,
                               "; longest linearizable prefix: lines 1-%u; first operation that "
                               "breaks it: %s",
                               p->reached - 1, op);
        if (c->first_unsure)
            g_string_append(s, " (a key the budget did not finish might break earlier)");
    } else if (c->verdict == HC_UNKNOWN) {
        const HcPart *p = &g_array_index(c->parts, HcPart, c->first_limit);
        const char *key = g_ptr_array_index(h->keys, p->key);
        g_string_append_printf(s, "; the %s budget ran out", limit_name(c->limit));
        if (*key)
            g_string_append_printf(s, " on key %s", key);
        if (p->reached > 1)
            g_string_append_printf(s, " (lines 1-%u are linearizable)", p->reached - 1);
    }
    return g_string_free(s, FALSE);
}
