/* reports/lin.c — Wing & Gong / Lowe linearizability search for one key.
 *
 * The history becomes a list of call and return entries in time order (at equal times calls
 * first, which is the lenient choice: two operations touching at one nanosecond may overlap).
 * The search walks the list: at a call it tries to linearize that operation now (the model must
 * accept it and the pair (linearized set, state) must be new); at a return it backtracks, since
 * that operation should have been linearized before it returned. Reaching a return at infinity
 * means every operation that returned has been linearized: success.
 */
#include "reports/lin.h"

#include <stdlib.h>

#define DEFAULT_BUDGET 2000000

typedef struct Entry {
    struct Entry *prev, *next;
    struct Entry *match; /* call -> return, return -> call */
    guint op;            /* index into ops */
    gboolean is_call;
    SimTime time;
} Entry;

typedef struct {
    uint8_t present;
    Value value;
    uint64_t applied; /* shared idempotency keys applied (bit per shared key) */
} State;

/* A memo entry: the linearized set by its Zobrist hash (128 bits: the XOR of two random words
 * per operation in the set, kept incrementally), and the model state. Two different sets share
 * a hash with probability about states^2 / 2^128, so the search is exact in practice, and each
 * state costs O(1) time and memory instead of a copy of the whole set. */
typedef struct {
    uint64_t set_lo, set_hi;
    State state;
} CacheKey;

static inline uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t zobrist_lo(guint op)
{
    return mix64((uint64_t)op * 2);
}

static inline uint64_t zobrist_hi(guint op)
{
    return mix64((uint64_t)op * 2 + 1);
}

static guint key_hash(const CacheKey *k)
{
    uint64_t h = k->set_lo ^ mix64(k->set_hi) ^ mix64((uint64_t)k->state.value) ^ k->state.present ^
                 k->state.applied * 0xff51afd7ed558ccdULL;
    return (guint)(h ^ (h >> 32));
}

static gboolean key_equal(const CacheKey *x, const CacheKey *y)
{
    return x->set_lo == y->set_lo && x->set_hi == y->set_hi &&
           x->state.present == y->state.present && x->state.value == y->state.value &&
           x->state.applied == y->state.applied;
}

/* The memo: an open-addressing set of keys, stored inline (one search can visit millions). */
typedef struct {
    CacheKey *slots;
    uint8_t *used;
    gsize mask;
    gsize count;
} Seen;

static void seen_init(Seen *s, gsize size)
{
    gsize cap = 64;
    while (cap < size)
        cap *= 2;
    s->slots = g_new(CacheKey, cap);
    s->used = g_new0(uint8_t, cap);
    s->mask = cap - 1;
    s->count = 0;
}

static void seen_clear(Seen *s)
{
    g_free(s->slots);
    g_free(s->used);
}

static gboolean seen_insert(Seen *s, const CacheKey *k)
{
    gsize i = key_hash(k) & s->mask;
    while (s->used[i]) {
        if (key_equal(&s->slots[i], k))
            return FALSE;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = *k;
    s->used[i] = 1;
    s->count++;
    return TRUE;
}

/* Adds k; FALSE if it was there already. */
static gboolean seen_add(Seen *s, const CacheKey *k)
{
    if ((s->count + 1) * 4 > (s->mask + 1) * 3) {
        Seen bigger;
        seen_init(&bigger, 2 * (s->mask + 1));
        for (gsize i = 0; i <= s->mask; i++)
            if (s->used[i])
                seen_insert(&bigger, &s->slots[i]);
        seen_clear(s);
        *s = bigger;
    }
    return seen_insert(s, k);
}

typedef struct {
    const LinOp *ops;
    guint n;
    int *shared; /* per op: bit index of its shared idempotency key, or -1 */
} Model;

/* Applies op to state; FALSE if the model rejects it (a read that cannot see this state). */
static gboolean step(const Model *m, guint i, const State *in, State *out)
{
    const LinOp *op = &m->ops[i];
    *out = *in;
    if (op->kind == OP_GET) {
        if (op->present != in->present)
            return FALSE;
        return !in->present || op->result == in->value;
    }
    int bit = m->shared[i];
    if (bit >= 0) {
        if ((in->applied >> bit) & 1)
            return TRUE; /* deduplicated: a retry of an effect already applied */
        out->applied |= (uint64_t)1 << bit;
    }
    switch (op->kind) {
    case OP_PUT:
        out->present = 1;
        out->value = op->value;
        break;
    case OP_ADD:
        out->value = (in->present ? in->value : 0) + op->value;
        out->present = 1;
        break;
    case OP_DELETE:
        out->present = 0;
        out->value = 0;
        break;
    default:
        break;
    }
    return TRUE;
}

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->is_call != y->is_call)
        return x->is_call ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
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

/* Assigns a bit to each idempotency key that two or more writes share; *overflow when there are
 * more such keys than State.applied has bits. */
static int *shared_bits(const LinOp *ops, guint n, gboolean *overflow)
{
    *overflow = FALSE;
    int *shared = g_new(int, n ? n : 1);
    int next = 0;
    /* idempotency key -> index + 1 of the first write carrying it */
    GHashTable *first = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < n; i++) {
        shared[i] = -1;
        if (ops[i].kind == OP_GET || ops[i].idem == IDEM_NONE)
            continue;
        guint j = GPOINTER_TO_UINT(g_hash_table_lookup(first, &ops[i].idem));
        if (j == 0) {
            g_hash_table_insert(first, (gpointer)&ops[i].idem, GUINT_TO_POINTER(i + 1));
            continue;
        }
        j--;
        if (shared[j] < 0 && next < 64)
            shared[j] = next++;
        else if (shared[j] < 0)
            *overflow = TRUE;
        shared[i] = shared[j];
    }
    g_hash_table_unref(first);
    return shared;
}

LinResult lin_check_key(const LinOp *ops, guint n, uint64_t budget, LinReport *report)
{
    LinReport local = {0};
    if (!report)
        report = &local;
    *report = (LinReport){.failed_op = UINT32_MAX};
    if (n == 0)
        return LIN_OK;
    if (budget == 0)
        budget = DEFAULT_BUDGET;
    gboolean overflow;
    Model model = {ops, n, shared_bits(ops, n, &overflow)};
    if (overflow) {
        /* Deduplication could not be modelled for every key: say so rather than guess. */
        g_free(model.shared);
        return LIN_UNKNOWN;
    }
    Entry *entries = g_new0(Entry, 2 * n + 1);
    Entry **sorted = g_new(Entry *, 2 * n);
    for (guint i = 0; i < n; i++) {
        Entry *c = &entries[1 + 2 * i], *r = &entries[2 + 2 * i];
        *c = (Entry){.op = i, .is_call = TRUE, .time = ops[i].invoke, .match = r};
        *r = (Entry){.op = i, .is_call = FALSE, .time = ops[i].complete, .match = c};
        sorted[2 * i] = c;
        sorted[2 * i + 1] = r;
    }
    lin_sort(sorted, 2 * n, sizeof(Entry *), cmp_entry);
    Entry *head = &entries[0];
    Entry *prev = head;
    for (guint i = 0; i < 2 * n; i++) {
        prev->next = sorted[i];
        sorted[i]->prev = prev;
        prev = sorted[i];
    }
    prev->next = NULL;
    g_free(sorted);

    /* The memo starts when the search first backtracks: until then it has only descended, every
     * pair it made is on its stack, and none can repeat (each step adds an operation to the
     * set). A history with no concurrency never backtracks, and never pays for a memo. */
    Seen seen = {0};
    gboolean memo = FALSE;
    uint64_t set_lo = 0, set_hi = 0; /* the linearized set's Zobrist hash */
    typedef struct {
        Entry *call;
        State state;
    } Frame;
    Frame *stack = g_new(Frame, n);
    guint depth = 0;
    State state = {0};
    LinResult result = LIN_OK;
    Entry *e = head->next;
    while (e != NULL) {
        if (e->is_call) {
            State next;
            gboolean fresh = FALSE;
            if (step(&model, e->op, &state, &next)) {
                CacheKey k = {set_lo ^ zobrist_lo(e->op), set_hi ^ zobrist_hi(e->op), next};
                if (!memo || seen_add(&seen, &k)) {
                    fresh = TRUE;
                    set_lo = k.set_lo;
                    set_hi = k.set_hi;
                }
                if (++report->states > budget) {
                    result = LIN_UNKNOWN;
                    break;
                }
            }
            if (fresh) {
                stack[depth++] = (Frame){e, state};
                if (depth > report->max_linearized)
                    report->max_linearized = depth;
                state = next;
                lift(e);
                e = head->next;
            } else {
                e = e->next;
            }
        } else {
            if (e->time == SIM_TIME_NEVER)
                break; /* only operations that may never have happened are left */
            /* Name the return that the longest partial linearization could not reach (the
             * last return hit at depth 0 is only where backtracking ran out). */
            if (report->failed_op == UINT32_MAX || depth >= report->max_linearized)
                report->failed_op = ops[e->op].id;
            if (depth == 0) {
                result = LIN_VIOLATION;
                break;
            }
            if (!memo) {
                /* Every pair made so far: the stack's prefixes, each with the state after it. */
                memo = TRUE;
                seen_init(&seen, 4 * depth);
                uint64_t lo = 0, hi = 0;
                for (guint d = 0; d < depth; d++) {
                    lo ^= zobrist_lo(stack[d].call->op);
                    hi ^= zobrist_hi(stack[d].call->op);
                    CacheKey k = {lo, hi, d + 1 < depth ? stack[d + 1].state : state};
                    seen_add(&seen, &k);
                }
            }
            Frame f = stack[--depth];
            state = f.state;
            set_lo ^= zobrist_lo(f.call->op);
            set_hi ^= zobrist_hi(f.call->op);
            unlift(f.call);
            e = f.call->next;
        }
    }
    if (result == LIN_OK)
        report->failed_op = UINT32_MAX;
    if (memo)
        seen_clear(&seen);
    g_free(stack);
    g_free(entries);
    g_free(model.shared);
    return result;
}

void lin_sort(void *base, gsize n, gsize size, int (*cmp)(const void *, const void *))
{
    const uint8_t *p = base;
    for (gsize i = 1; i < n; i++) {
        if (cmp(p + (i - 1) * size, p + i * size) > 0) {
            qsort(base, n, size, cmp);
            return;
        }
    }
}

const char *lin_result_name(LinResult r)
{
    static const char *names[] = {"ok", "violation", "unknown"};
    return names[r];
}
