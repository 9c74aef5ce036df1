/* reports/history/search.c — the just-in-time linearization search over one object.
 *
 * Invariants while it runs: `stack` holds the linearized operations in order, each with the
 * state before it; `state` is the state after the last; (lo, hi) is the Zobrist hash of the set
 * on the stack; a linearized operation's call and return entries are lifted out of the list.
 * The memo starts at the first backtrack, seeded with every pair on the stack: until then the
 * search has only descended, and no pair can repeat (each step adds an operation to the set),
 * so a history without concurrency never pays for one.
 */
#include "reports/history/search.h"

#include <string.h>

#define MEMORY_CHECK_EVERY 4096 /* steps between looks at the model's memory */

typedef struct Entry {
    struct Entry *prev, *next;
    struct Entry *match; /* call -> return, return -> call */
    guint op;
    uint32_t pos; /* the line; HC_NEVER for a return that may never come */
    gboolean is_call;
} Entry;

/* Where a configuration is in trying its candidates (see next_candidate). */
typedef struct {
    Entry *first_ret; /* the first return entry: its operation must be placed before it */
    Entry *pos;       /* the last entry scanned */
    uint8_t phase;
} Cursor;

typedef struct {
    Entry *call;    /* the operation linearized from this configuration */
    HcState before; /* the state of this configuration */
    Cursor cursor;  /* how far this configuration got in trying its candidates */
} Frame;

typedef struct {
    const HcModel *m;
    HcModelCtx *ctx;
    HcOp *const *ops;
    const HcBudget *budget;
    Entry head;
    Entry *entries;
    Frame *stack;
    guint depth;
    guint saved_low; /* the stack is as saved in out->order below this depth */
    HcMemo memo;
    gboolean memo_on;
    uint64_t lo, hi;
    HcState state;
    Cursor cursor; /* of the current configuration */
    HcSearchResult *out;
} Search;

static uint64_t z_lo(guint op)
{
    return hc_zobrist(2 * (uint64_t)op);
}

static uint64_t z_hi(guint op)
{
    return hc_zobrist(2 * (uint64_t)op + 1);
}

static int cmp_return(gconstpointer a, gconstpointer b, gpointer data)
{
    const Entry *entries = data;
    guint x = *(const guint *)a, y = *(const guint *)b;
    uint32_t rx = entries[2 * x + 1].pos, ry = entries[2 * y + 1].pos;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The entry list: calls (already in line order) merged with returns sorted by line; returns
 * past `limit` are at infinity. Left out of the list, since leaving them unlinearized is always
 * possible and loses nothing: an operation that may never return and is invoked after the last
 * return that must come (nothing after it could need it), and a pure one (a read) that may
 * never return (what it read is past the limit). */
static void build_list(Search *s, guint n, uint32_t limit)
{
    s->entries = g_new0(Entry, 2 * (gsize)n);
    guint *rets = g_new(guint, n);
    uint32_t last = 0; /* the last finite return */
    for (guint i = 0; i < n; i++) {
        Entry *c = &s->entries[2 * i], *r = &s->entries[2 * i + 1];
        uint32_t ret = s->ops[i]->ret;
        *c = (Entry){.match = r, .op = i, .pos = s->ops[i]->call, .is_call = TRUE};
        *r = (Entry){.match = c, .op = i, .pos = ret > limit ? HC_NEVER : ret};
        if (r->pos != HC_NEVER)
            last = MAX(last, r->pos);
        rets[i] = i;
    }
    g_qsort_with_data(rets, (gint)n, sizeof *rets, cmp_return, s->entries);
    Entry *prev = &s->head;
    guint ci = 0, ri = 0;
    while (ci < n || ri < n) {
        Entry *c = ci < n ? &s->entries[2 * ci] : NULL;
        Entry *r = ri < n ? &s->entries[2 * rets[ri] + 1] : NULL;
        Entry *e = c && (!r || c->pos < r->pos) ? c : r;
        if (e == c)
            ci++;
        else
            ri++;
        const Entry *call = e->is_call ? e : e->match;
        if (call->match->pos == HC_NEVER && (call->pos > last || s->ops[call->op]->pure))
            continue;
        prev->next = e;
        e->prev = prev;
        prev = e;
    }
    prev->next = NULL;
    g_free(rets);
}

static void lift(Entry *call)
{
    Entry *ret = call->match;
    call->prev->next = call->next;
    if (call->next)
        call->next->prev = call->prev;
    ret->prev->next = ret->next;
    if (ret->next)
        ret->next->prev = ret->prev;
}

static void unlift(Entry *call)
{
    Entry *ret = call->match;
    ret->prev->next = ret;
    if (ret->next)
        ret->next->prev = ret;
    call->prev->next = call;
    if (call->next)
        call->next->prev = call;
}

/* Copies the stack into out->order (only what changed since the last copy). */
static void save_order(Search *s)
{
    GArray *order = s->out->order;
    g_array_set_size(order, s->depth);
    for (guint d = s->saved_low; d < s->depth; d++)
        g_array_index(order, guint, d) = s->stack[d].call->op;
    s->saved_low = s->depth;
}

static gsize used_bytes(Search *s)
{
    return hc_memo_bytes(&s->memo) + (s->m->bytes ? s->m->bytes(s->ctx) : 0);
}

static gboolean within_memory(Search *s)
{
    gsize used = used_bytes(s);
    s->out->peak_bytes = MAX(s->out->peak_bytes, used);
    if (used <= s->budget->memory_bytes)
        return TRUE;
    s->out->limit = HC_LIMIT_MEMORY;
    return FALSE;
}

/* Tries to linearize the operation of call entry e now: 1 done, 0 not possible or seen before,
 * -1 out of budget. */
static int try_call(Search *s, Entry *e)
{
    HcSearchResult *out = s->out;
    if (++out->states > s->budget->states) {
        out->limit = HC_LIMIT_STATES;
        return -1;
    }
    if (out->states % MEMORY_CHECK_EVERY == 0 && !within_memory(s))
        return -1;
    HcState next;
    if (!s->m->step(s->ctx, s->state, s->ops[e->op], &next))
        return 0;
    HcMemoKey k = {s->lo ^ z_lo(e->op), s->hi ^ z_hi(e->op), next};
    if (s->memo_on) {
        HcMemoResult r = hc_memo_add(&s->memo, &k);
        if (r == HC_MEMO_SEEN)
            return 0;
        if (r == HC_MEMO_FULL) {
            out->limit = HC_LIMIT_MEMORY;
            return -1;
        }
    }
    s->stack[s->depth++] = (Frame){e, s->state, s->cursor};
    s->state = next;
    s->lo = k.lo;
    s->hi = k.hi;
    lift(e);
    return 1;
}

/* The first backtrack: a memo holding every pair on the stack. FALSE if it does not fit. */
static gboolean start_memo(Search *s)
{
    s->memo_on = TRUE;
    if (!hc_memo_init(&s->memo, 4 * (gsize)s->depth, s->budget->memory_bytes)) {
        s->out->limit = HC_LIMIT_MEMORY;
        return FALSE;
    }
    uint64_t lo = 0, hi = 0;
    for (guint d = 0; d < s->depth; d++) {
        lo ^= z_lo(s->stack[d].call->op);
        hi ^= z_hi(s->stack[d].call->op);
        HcMemoKey k = {lo, hi, d + 1 < s->depth ? s->stack[d + 1].before : s->state};
        if (hc_memo_add(&s->memo, &k) == HC_MEMO_FULL) {
            s->out->limit = HC_LIMIT_MEMORY;
            return FALSE;
        }
    }
    return within_memory(s);
}

/* Undoes the last linearization: back to the configuration it was made from. */
static void backtrack(Search *s)
{
    Frame f = s->stack[--s->depth];
    s->state = f.before;
    s->cursor = f.cursor;
    s->lo ^= z_lo(f.call->op);
    s->hi ^= z_hi(f.call->op);
    unlift(f.call);
    if (s->depth < s->saved_low)
        s->saved_low = s->depth;
}

/* A new configuration: its first return entry (NULL or at infinity: every operation that must
 * be placed is), noted when it is the furthest reached. */
static Entry *enter(Search *s)
{
    Entry *e = s->head.next;
    while (e && e->is_call)
        e = e->next;
    s->cursor = (Cursor){.first_ret = e, .pos = &s->head};
    if (e && e->pos != HC_NEVER && (s->out->reached == 0 || e->pos > s->out->reached)) {
        s->out->reached = e->pos;
        s->out->fail = e->op;
        save_order(s);
    }
    return e;
}

/* The next operation the current configuration tries, or NULL when it has tried them all. The
 * candidates are the calls before its first return R; any order finds the same answer, and this
 * one finds a linearization sooner: first R's own operation (it must go before R: the earliest
 * deadline), then the others that must return, in call order, and last those that may never
 * return (an :info operation is placed only when nothing else works). */
static Entry *next_candidate(Search *s)
{
    Cursor *c = &s->cursor;
    Entry *r = c->first_ret;
    if (c->phase == 0) {
        c->phase = 1;
        return r->match;
    }
    for (;;) {
        Entry *e = c->pos->next;
        if (e == r) {
            if (c->phase == 2)
                return NULL;
            c->phase = 2;
            c->pos = &s->head;
            continue;
        }
        c->pos = e;
        gboolean never = e->match->pos == HC_NEVER;
        if (c->phase == 1 ? !never && e != r->match : never)
            return e;
    }
}

static HcVerdict run(Search *s)
{
    Entry *r = enter(s);
    for (;;) {
        if (!r || r->pos == HC_NEVER) {
            save_order(s);
            return HC_LINEARIZABLE;
        }
        Entry *e = next_candidate(s);
        if (e) {
            int t = try_call(s, e);
            if (t < 0)
                return HC_UNKNOWN;
            if (t > 0)
                r = enter(s);
            continue;
        }
        if (s->depth == 0)
            return HC_NOT_LINEARIZABLE;
        if (!s->memo_on && !start_memo(s))
            return HC_UNKNOWN;
        backtrack(s);
        r = s->cursor.first_ret;
    }
}

void hc_search(const HcModel *m, HcModelCtx *ctx, HcOp *const *ops, guint n, uint32_t limit,
               const HcBudget *budget, HcSearchResult *out)
{
    *out = (HcSearchResult){.order = g_array_new(FALSE, FALSE, sizeof(guint))};
    while (n > 0 && ops[n - 1]->call > limit)
        n--;
    if (n == 0)
        return;
    Search s = {.m = m, .ctx = ctx, .ops = ops, .budget = budget, .out = out};
    s.state = m->init(ctx);
    build_list(&s, n, limit);
    s.stack = g_new(Frame, n);
    out->verdict = run(&s);
    if (out->verdict != HC_UNKNOWN)
        out->limit = HC_LIMIT_NONE;
    out->peak_bytes = MAX(out->peak_bytes, used_bytes(&s));
    hc_memo_clear(&s.memo);
    g_free(s.stack);
    g_free(s.entries);
}

void hc_search_result_clear(HcSearchResult *r)
{
    if (r->order)
        g_array_free(r->order, TRUE);
    r->order = NULL;
}

const char *hc_verdict_name(HcVerdict v)
{
    static const char *names[] = {"linearizable", "not-linearizable", "unknown"};
    return names[v];
}
