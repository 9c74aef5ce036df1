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

/* The call and return entries of ops in time order, linked after a head entry (entries[0]).
 * Caller frees the array. */
static Entry *build_entries(const LinOp *ops, guint n)
{
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
    Entry *prev = &entries[0];
    for (guint i = 0; i < 2 * n; i++) {
        prev->next = sorted[i];
        sorted[i]->prev = prev;
        prev = sorted[i];
    }
    prev->next = NULL;
    g_free(sorted);
    return entries;
}

typedef struct {
    Entry *call;
    State state;
} Frame;

/* One search (Wing & Gong with Lowe's memo) from state `start`. With `ends`, every state the
 * history can end in is added to it (a state where every operation that returned is linearized),
 * and the search goes on past each; without, the first such end stops it. */
static LinResult search(const Model *model, Entry *head, State start, uint64_t budget,
                        LinReport *report, GArray *ends)
{
    const LinOp *ops = model->ops;
    guint n = model->n;
    /* The memo starts when the search first backtracks: until then it has only descended, every
     * pair it made is on its stack, and none can repeat (each step adds an operation to the
     * set). A history with no concurrency never backtracks, and never pays for a memo. */
    Seen seen = {0};
    gboolean memo = FALSE;
    uint64_t set_lo = 0, set_hi = 0; /* the linearized set's Zobrist hash */
    Frame *stack = g_new(Frame, n + 1);
    guint depth = 0;
    State state = start;
    LinResult result = LIN_OK;
    gboolean found = FALSE;
    Entry *e = head->next;
    for (;;) {
        gboolean at_end = e == NULL || (!e->is_call && e->time == SIM_TIME_NEVER);
        if (at_end) {
            /* Only operations that may never have happened are left: an end. */
            found = TRUE;
            if (!ends)
                break;
            g_array_append_val(ends, state);
        } else if (e->is_call) {
            State next;
            gboolean fresh = FALSE;
            if (step(model, e->op, &state, &next)) {
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
            continue;
        } else {
            /* Name the return that the longest partial linearization could not reach (the
             * last return hit at depth 0 is only where backtracking ran out). */
            if (report->failed_op == UINT32_MAX || depth >= report->max_linearized)
                report->failed_op = ops[e->op].id;
        }
        /* Backtrack: past a return that should have been linearized before, or an end. */
        if (depth == 0) {
            result = found ? LIN_OK : LIN_VIOLATION;
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
    /* Undo what is still lifted, so that another search can use the entries. */
    while (depth > 0)
        unlift(stack[--depth].call);
    if (memo)
        seen_clear(&seen);
    g_free(stack);
    return result;
}

static int cmp_state(const void *a, const void *b)
{
    const State *x = a, *y = b;
    if (x->present != y->present)
        return x->present < y->present ? -1 : 1;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->applied < y->applied ? -1 : x->applied > y->applied;
}

/* Sorts the states and drops repeats. */
static void unique_states(GArray *states)
{
    g_array_sort(states, cmp_state);
    guint k = 0;
    for (guint i = 0; i < states->len; i++)
        if (k == 0 ||
            cmp_state(&g_array_index(states, State, k - 1), &g_array_index(states, State, i)) != 0)
            g_array_index(states, State, k++) = g_array_index(states, State, i);
    g_array_set_size(states, k);
}

/* Checks ops from each state of `starts` in turn (one: the empty state, when NULL); with `ends`,
 * collects every state the ops can end in, from any start. */
static LinResult check_from(const LinOp *ops, guint n, const LinState *starts, guint nstarts,
                            uint64_t budget, LinReport *report, GArray *ends)
{
    LinReport local = {0};
    if (!report)
        report = &local;
    *report = (LinReport){.failed_op = UINT32_MAX};
    if (budget == 0)
        budget = DEFAULT_BUDGET;
    if (n == 0) {
        for (guint i = 0; ends && i < (starts ? nstarts : 1); i++) {
            State st = {0};
            if (starts)
                st = (State){.present = starts[i].present, .value = starts[i].value};
            g_array_append_val(ends, st);
        }
        return LIN_OK;
    }
    gboolean overflow;
    Model model = {ops, n, shared_bits(ops, n, &overflow)};
    if (overflow) {
        /* Deduplication could not be modelled for every key: say so rather than guess. */
        g_free(model.shared);
        return LIN_UNKNOWN;
    }
    Entry *entries = build_entries(ops, n);
    LinResult result = LIN_VIOLATION;
    for (guint i = 0; i < (starts ? nstarts : 1) && result != LIN_UNKNOWN; i++) {
        State st = {0};
        if (starts)
            st = (State){.present = starts[i].present, .value = starts[i].value};
        LinReport one = {.failed_op = UINT32_MAX, .states = report->states};
        LinResult r = search(&model, &entries[0], st, budget, &one, ends);
        report->states = one.states;
        if (r == LIN_UNKNOWN || r == LIN_OK)
            result = r;
        if (r == LIN_UNKNOWN || (r == LIN_OK && !ends))
            break;
        if (r == LIN_VIOLATION && one.max_linearized >= report->max_linearized) {
            report->max_linearized = one.max_linearized;
            report->failed_op = one.failed_op;
        }
    }
    if (result == LIN_OK)
        report->failed_op = UINT32_MAX;
    if (ends)
        unique_states(ends);
    g_free(entries);
    g_free(model.shared);
    return result;
}

LinResult lin_check_key(const LinOp *ops, guint n, uint64_t budget, LinReport *report)
{
    return check_from(ops, n, NULL, 0, budget, report, NULL);
}

LinResult lin_check_window(const LinOp *ops, guint n, const LinState *starts, guint nstarts,
                           uint64_t budget, LinReport *report, GArray *ends)
{
    GArray *all = ends ? g_array_new(FALSE, FALSE, sizeof(State)) : NULL;
    LinResult r = check_from(ops, n, starts, nstarts, budget, report, all);
    for (guint i = 0; all && i < all->len; i++) {
        const State *st = &g_array_index(all, State, i);
        LinState out = {.present = st->present, .value = st->value};
        /* Equal to the last taken: the windows' ops share no idempotency key. */
        if (ends->len == 0 || g_array_index(ends, LinState, ends->len - 1).present != out.present ||
            g_array_index(ends, LinState, ends->len - 1).value != out.value)
            g_array_append_val(ends, out);
    }
    if (all)
        g_array_free(all, TRUE);
    return r;
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
