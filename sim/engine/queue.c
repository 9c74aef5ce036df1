/* sim/engine/queue.c — hierarchical timing wheel with an exact-order heap for the current slot.
 *
 * Layout. Level 0 has 2^14 slots of 2^10 ns (16.8 ms in all), so that most protocol timers land
 * directly in their final slot; each higher level has 256 slots, each as wide as the whole level
 * below. `cur` is the start of the level-0 slot being drained: every pending event with time <
 * heap_end (= cur + 2^10) sits in a binary heap ordered by (time, seq); every later one sits in
 * the wheel, in the lowest level whose slot index differs from cur's, so that slots are only ever
 * ahead of cur and no wrap-around can confuse them. When the heap empties, the next non-empty
 * slot is found by bitmap scans (level 0 keeps a summary bitmap of its 256 words); a level-0
 * slot is poured into the heap, a higher slot is poured down (cascade).
 *
 * Cancellation is O(1) in the wheel and O(log k) in the heap: a cancelled wheel event is marked
 * and left in its singly-linked slot list until that slot drains, when its record is recycled.
 * (Touching a neighbour to unlink would cost a cache miss on every insertion, the hot path.)
 * Its handle is dead at once. The records held this way are bounded by the events cancelled
 * within the span of their own delays.
 *
 * Invariants (sim_queue_check_invariants):
 *  - now <= every pending event's time;
 *  - an event is in the heap iff its time < heap_end;
 *  - an event in level k, slot s agrees with cur on every bit above level k, and
 *    s == (time >> shift(k)) & mask(k) > (cur >> shift(k)) & mask(k);
 *  - a slot's bitmap bit is set iff its list is non-empty (live or cancelled records); a
 *    level-0 summary bit is set iff its bitmap word is non-zero;
 *  - pending == live events in the heap and the wheel.
 */
#include "sim/engine/queue.h"

#include <string.h>

#ifndef SHIFT0
#define SHIFT0 10 /* level-0 slot: 1024 ns */
#endif
#ifndef L0_BITS
#define L0_BITS 14 /* level 0: 16384 slots, 16.8 ms */
#endif
#define SLOT_BITS   8 /* levels 1..: 256 slots each */
#define UP_LEVELS   ((64 - SHIFT0 - L0_BITS + SLOT_BITS - 1) / SLOT_BITS)
#define LEVELS      (1 + UP_LEVELS)
#define L0_SLOTS    (1u << L0_BITS)
#define SLOTS       (1u << SLOT_BITS)
#define L0_WORDS    (L0_SLOTS / 64)
#define TOTAL_SLOTS (L0_SLOTS + UP_LEVELS * SLOTS)
#define NIL         UINT32_MAX
#define WHERE_FREE  UINT32_MAX
#define CANCELLED   (1u << 31) /* flag in `where` of a wheel event cancelled in place */
#define POOL_LIMIT  (1u << 30)

/* One cache line. `where` is WHERE_FREE, the flat slot index (>= 0) in the wheel, that index
 * with CANCELLED set once cancelled in place, or HEAP_WHERE(pos) (<= -2) at heap position pos. */
typedef struct {
    uint64_t time;
    uint64_t seq;
    SimEventFn fn;
    void *ctx;
    uint64_t a;
    uint64_t b;
    uint32_t next; /* slot-list link, or free-list link */
    uint32_t gen;
    uint32_t where;
    uint32_t spare;
} Event;

G_STATIC_ASSERT(sizeof(Event) == 64);

#define HEAP_FLAG       (1u << 30)
#define HEAP_WHERE(pos) (HEAP_FLAG | (uint32_t)(pos))
#define HEAP_POS(where) ((where) & ~HEAP_FLAG)

typedef struct {
    uint64_t time;
    uint64_t seq;
    uint32_t idx;
} HeapItem;

struct SimQueue {
    Event *pool;
    uint32_t pool_len;
    uint32_t pool_cap;
    uint32_t free_head;

    HeapItem *heap;
    uint32_t heap_len;
    uint32_t heap_cap;

    uint32_t heads[TOTAL_SLOTS];
    uint64_t bits[TOTAL_SLOTS / 64];
    uint64_t summary[L0_WORDS / 64];

    uint64_t now;
    uint64_t cur;
    uint64_t heap_end;
    uint64_t next_seq;
    uint64_t events_run;
    guint pending;
    gboolean stop;
    gboolean checking;   /* sim_queue_check_invariants every CHECK_EVERY events (see there) */
    uint64_t checked_at; /* events_run at the last whole check */
};

static inline unsigned shift_of(unsigned level)
{
    return level == 0 ? SHIFT0 : SHIFT0 + L0_BITS + SLOT_BITS * (level - 1);
}

static inline unsigned bits_of(unsigned level)
{
    return level == 0 ? L0_BITS : SLOT_BITS;
}

/* Index of a level's first slot in the flat heads/bits arrays. */
static inline unsigned base_of(unsigned level)
{
    return level == 0 ? 0 : L0_SLOTS + SLOTS * (level - 1);
}

static inline unsigned level_of_flat(unsigned flat)
{
    return flat < L0_SLOTS ? 0 : 1 + (flat - L0_SLOTS) / SLOTS;
}

/* The time bits above a level, i.e. the part of `t` its slots do not index. */
static inline uint64_t above(uint64_t t, unsigned level)
{
    unsigned top = shift_of(level) + bits_of(level);
    return top >= 64 ? 0 : t >> top;
}

static inline void bit_set(SimQueue *q, unsigned flat)
{
    q->bits[flat / 64] |= (uint64_t)1 << (flat % 64);
    if (flat < L0_SLOTS)
        q->summary[flat / 4096] |= (uint64_t)1 << ((flat / 64) % 64);
}

static inline void bit_clear(SimQueue *q, unsigned flat)
{
    q->bits[flat / 64] &= ~((uint64_t)1 << (flat % 64));
    if (flat < L0_SLOTS && q->bits[flat / 64] == 0)
        q->summary[flat / 4096] &= ~((uint64_t)1 << ((flat / 64) % 64));
}

SimQueue *sim_queue_new(void)
{
    SimQueue *q = g_new0(SimQueue, 1);
    for (unsigned i = 0; i < TOTAL_SLOTS; i++)
        q->heads[i] = NIL;
    q->free_head = NIL;
    q->heap_end = (uint64_t)1 << SHIFT0;
    return q;
}

void sim_queue_free(SimQueue *q)
{
    if (q == NULL)
        return;
    g_free(q->pool);
    g_free(q->heap);
    g_free(q);
}

SimTime sim_queue_now(const SimQueue *q)
{
    return (SimTime)q->now;
}

uint64_t sim_queue_events_run(const SimQueue *q)
{
    return q->events_run;
}

guint sim_queue_pending(const SimQueue *q)
{
    return q->pending;
}

gsize sim_queue_memory_bytes(const SimQueue *q)
{
    return sizeof *q + (gsize)q->pool_cap * sizeof(Event) + (gsize)q->heap_cap * sizeof(HeapItem);
}

static uint32_t event_alloc(SimQueue *q)
{
    if (q->free_head != NIL) {
        uint32_t idx = q->free_head;
        q->free_head = q->pool[idx].next;
        return idx;
    }
    if (q->pool_len == q->pool_cap) {
        g_assert(q->pool_cap < POOL_LIMIT);
        uint32_t cap = q->pool_cap ? q->pool_cap * 2 : 1024;
        q->pool = g_renew(Event, q->pool, cap);
        q->pool_cap = cap;
    }
    uint32_t idx = q->pool_len++;
    q->pool[idx].gen = 1;
    return idx;
}

static void event_release(SimQueue *q, uint32_t idx)
{
    Event *e = &q->pool[idx];
    e->where = WHERE_FREE;
    e->gen++;
    if (e->gen == 0)
        e->gen = 1;
    e->next = q->free_head;
    q->free_head = idx;
}

/* ---- heap of the current level-0 slot, keyed by (time, seq) ---- */

static inline gboolean item_less(const HeapItem *x, const HeapItem *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static inline void heap_place(SimQueue *q, uint32_t pos, HeapItem item)
{
    q->heap[pos] = item;
    q->pool[item.idx].where = HEAP_WHERE(pos);
}

static void heap_sift_up(SimQueue *q, uint32_t pos)
{
    HeapItem item = q->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!item_less(&item, &q->heap[parent]))
            break;
        heap_place(q, pos, q->heap[parent]);
        pos = parent;
    }
    heap_place(q, pos, item);
}

static void heap_sift_down(SimQueue *q, uint32_t pos)
{
    HeapItem item = q->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= q->heap_len)
            break;
        if (child + 1 < q->heap_len && item_less(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!item_less(&q->heap[child], &item))
            break;
        heap_place(q, pos, q->heap[child]);
        pos = child;
    }
    heap_place(q, pos, item);
}

static void heap_push(SimQueue *q, uint32_t idx)
{
    if (q->heap_len == q->heap_cap) {
        q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 256;
        q->heap = g_renew(HeapItem, q->heap, q->heap_cap);
    }
    Event *e = &q->pool[idx];
    uint32_t pos = q->heap_len++;
    q->heap[pos] = (HeapItem){e->time, e->seq, idx};
    e->where = HEAP_WHERE(pos);
    heap_sift_up(q, pos);
}

static void heap_remove_at(SimQueue *q, uint32_t pos)
{
    g_assert(pos < q->heap_len);
    uint32_t last = --q->heap_len;
    if (pos == last)
        return;
    heap_place(q, pos, q->heap[last]);
    if (pos > 0 && item_less(&q->heap[pos], &q->heap[(pos - 1) / 2]))
        heap_sift_up(q, pos);
    else
        heap_sift_down(q, pos);
}

/* ---- wheel ---- */

static void wheel_link(SimQueue *q, uint32_t idx)
{
    Event *e = &q->pool[idx];
    uint64_t diff = e->time ^ q->cur;
    g_assert(diff >> SHIFT0 != 0);
    unsigned msb = 63u - (unsigned)__builtin_clzll(diff);
    unsigned level = msb < SHIFT0 + L0_BITS ? 0 : 1 + (msb - SHIFT0 - L0_BITS) / SLOT_BITS;
    unsigned slot = (unsigned)(e->time >> shift_of(level)) & ((1u << bits_of(level)) - 1);
    unsigned flat = base_of(level) + slot;
    e->where = flat;
    e->next = q->heads[flat];
    q->heads[flat] = idx;
    bit_set(q, flat);
}

static inline void place(SimQueue *q, uint32_t idx)
{
    if (q->pool[idx].time < q->heap_end)
        heap_push(q, idx);
    else
        wheel_link(q, idx);
}

/* First set bit at or after `start` in words[0..nwords), or -1. */
static int scan(const uint64_t *words, unsigned nwords, unsigned start)
{
    if (start >= nwords * 64)
        return -1;
    unsigned w = start / 64;
    uint64_t word = words[w] & (~(uint64_t)0 << (start % 64));
    for (;;) {
        if (word != 0)
            return (int)(w * 64 + (unsigned)__builtin_ctzll(word));
        if (++w == nwords)
            return -1;
        word = words[w];
    }
}

/* First non-empty slot of a level strictly after slot `after`, or -1. */
static int next_slot(const SimQueue *q, unsigned level, unsigned after)
{
    unsigned start = after + 1;
    if (level > 0)
        return scan(q->bits + base_of(level) / 64, SLOTS / 64, start);
    if (start >= L0_SLOTS)
        return -1;
    /* Level 0: the rest of the current word, then the summary finds the next non-empty word. */
    unsigned w = start / 64;
    uint64_t word = q->bits[w] & (~(uint64_t)0 << (start % 64));
    if (word != 0)
        return (int)(w * 64 + (unsigned)__builtin_ctzll(word));
    int next_word = scan(q->summary, L0_WORDS / 64, w + 1);
    if (next_word < 0)
        return -1;
    return next_word * 64 + __builtin_ctzll(q->bits[next_word]);
}

/* Moves the next non-empty slot towards the heap. Returns FALSE when the wheel is empty or its
 * next slot starts after `limit` (then nothing moves, so cur never passes the clock's limit). */
static gboolean advance(SimQueue *q, uint64_t limit)
{
    for (unsigned level = 0; level < LEVELS; level++) {
        unsigned sh = shift_of(level);
        unsigned mask = (1u << bits_of(level)) - 1;
        int slot = next_slot(q, level, (unsigned)(q->cur >> sh) & mask);
        if (slot < 0)
            continue;
        unsigned top = sh + bits_of(level);
        uint64_t upper = top >= 64 ? 0 : (q->cur >> top) << top;
        uint64_t start = upper | ((uint64_t)slot << sh);
        if (start > limit)
            return FALSE;
        unsigned flat = base_of(level) + (unsigned)slot;
        uint32_t idx = q->heads[flat];
        q->heads[flat] = NIL;
        bit_clear(q, flat);
        q->cur = start;
        q->heap_end = start + ((uint64_t)1 << SHIFT0);
        while (idx != NIL) {
            uint32_t next = q->pool[idx].next;
            if (next != NIL)
                __builtin_prefetch(&q->pool[next]);
            if (q->pool[idx].where & CANCELLED)
                event_release(q, idx);
            else
                place(q, idx);
            idx = next;
        }
        return TRUE;
    }
    return FALSE;
}

/* ---- public ---- */

SimHandle sim_queue_at(SimQueue *q, SimTime at, SimEventFn fn, void *ctx, uint64_t a, uint64_t b)
{
    g_assert(fn != NULL);
    g_assert(at >= 0 && (uint64_t)at >= q->now);
    uint32_t idx = event_alloc(q);
    Event *e = &q->pool[idx];
    e->time = (uint64_t)at;
    e->seq = q->next_seq++;
    e->fn = fn;
    e->ctx = ctx;
    e->a = a;
    e->b = b;
    place(q, idx);
    q->pending++;
    return ((SimHandle)e->gen << 32) | (SimHandle)(idx + 1);
}

SimHandle sim_queue_after(SimQueue *q, SimTime delay, SimEventFn fn, void *ctx, uint64_t a,
                          uint64_t b)
{
    g_assert(delay >= 0);
    g_assert((uint64_t)delay <= (uint64_t)INT64_MAX - q->now);
    return sim_queue_at(q, (SimTime)(q->now + (uint64_t)delay), fn, ctx, a, b);
}

static Event *lookup(const SimQueue *q, SimHandle h)
{
    if (h == SIM_HANDLE_NONE)
        return NULL;
    uint32_t idx = (uint32_t)(h & 0xffffffffu);
    if (idx == 0 || idx > q->pool_len)
        return NULL;
    Event *e = &q->pool[idx - 1];
    if (e->gen != (uint32_t)(h >> 32) || e->where == WHERE_FREE || (e->where & CANCELLED))
        return NULL;
    return e;
}

gboolean sim_queue_is_pending(const SimQueue *q, SimHandle h)
{
    return lookup(q, h) != NULL;
}

gboolean sim_queue_cancel(SimQueue *q, SimHandle h)
{
    Event *e = lookup(q, h);
    if (e == NULL)
        return FALSE;
    uint32_t idx = (uint32_t)(e - q->pool);
    if (e->where & HEAP_FLAG) {
        heap_remove_at(q, HEAP_POS(e->where));
        event_release(q, idx);
    } else {
        e->where |= CANCELLED; /* recycled when its slot drains */
        e->gen++;
        if (e->gen == 0)
            e->gen = 1;
    }
    q->pending--;
    return TRUE;
}

void sim_queue_stop(SimQueue *q)
{
    q->stop = TRUE;
}

/* When checking: a whole check (it walks every slot of the wheel, about 18,000) every CHECK_EVERY
 * events, and when a run returns at least CHECK_TAIL events after the last one, so that its cost
 * stays below a hundred slot visits per event however often runs are asked for. */
#define CHECK_EVERY 1024
#define CHECK_TAIL  256

static void check_now(SimQueue *q)
{
    sim_queue_check_invariants(q);
    q->checked_at = q->events_run;
}

static SimRunResult run_events(SimQueue *q, SimTime until, uint64_t max_events)
{
    g_assert(until >= 0);
    uint64_t limit = (uint64_t)until;
    uint64_t ran = 0;
    q->stop = FALSE;
    for (;;) {
        if (max_events != 0 && ran == max_events)
            return SIM_RUN_EVENT_BUDGET;
        while (q->heap_len == 0) {
            if (!advance(q, limit)) {
                if (q->pending == 0)
                    return SIM_RUN_EMPTY;
                if (limit > q->now)
                    q->now = limit;
                return SIM_RUN_TIME_LIMIT;
            }
        }
        HeapItem top = q->heap[0];
        if (top.time > limit) {
            if (limit > q->now)
                q->now = limit;
            return SIM_RUN_TIME_LIMIT;
        }
        g_assert(top.time >= q->now); /* time never runs backwards */
        heap_remove_at(q, 0);
        Event *e = &q->pool[top.idx];
        SimEventFn fn = e->fn;
        void *ctx = e->ctx;
        uint64_t a = e->a, b = e->b;
        event_release(q, top.idx);
        q->pending--;
        q->now = top.time;
        q->events_run++;
        ran++;
        if (q->checking && q->events_run - q->checked_at >= CHECK_EVERY)
            check_now(q);
        fn(ctx, a, b);
        if (q->stop) {
            q->stop = FALSE;
            return SIM_RUN_STOPPED;
        }
    }
}

SimRunResult sim_queue_run(SimQueue *q, SimTime until, uint64_t max_events)
{
    SimRunResult r = run_events(q, until, max_events);
    if (q->checking && q->events_run - q->checked_at >= CHECK_TAIL)
        check_now(q);
    return r;
}

void sim_queue_set_checking(SimQueue *q, gboolean on)
{
    q->checking = on;
    if (on)
        check_now(q);
}

void sim_queue_visit_pending(const SimQueue *q, SimPendingVisitor visit, void *visit_ctx)
{
    for (uint32_t i = 0; i < q->pool_len; i++) {
        const Event *e = &q->pool[i];
        if (e->where == WHERE_FREE || (e->where & CANCELLED))
            continue;
        visit(visit_ctx, e->fn, e->ctx, e->a, e->b);
    }
}

void sim_queue_check_invariants(const SimQueue *q)
{
    guint counted = 0;
    g_assert(q->heap_end == q->cur + ((uint64_t)1 << SHIFT0));
    for (uint32_t pos = 0; pos < q->heap_len; pos++) {
        const HeapItem *it = &q->heap[pos];
        const Event *e = &q->pool[it->idx];
        g_assert(e->where == HEAP_WHERE(pos));
        g_assert(e->time == it->time && e->seq == it->seq);
        g_assert(e->time >= q->now && e->time < q->heap_end);
        if (pos > 0)
            g_assert(!item_less(it, &q->heap[(pos - 1) / 2]));
        counted++;
    }
    for (unsigned level = 0; level < LEVELS; level++) {
        unsigned sh = shift_of(level);
        unsigned mask = (1u << bits_of(level)) - 1;
        for (unsigned slot = 0; slot <= mask; slot++) {
            unsigned flat = base_of(level) + slot;
            gboolean bit = (q->bits[flat / 64] >> (flat % 64)) & 1;
            g_assert(bit == (q->heads[flat] != NIL));
            if (level == 0 && slot % 64 == 0) {
                gboolean sum = (q->summary[flat / 4096] >> ((flat / 64) % 64)) & 1;
                g_assert(sum == (q->bits[flat / 64] != 0));
            }
            for (uint32_t idx = q->heads[flat]; idx != NIL; idx = q->pool[idx].next) {
                const Event *e = &q->pool[idx];
                g_assert((e->where & ~CANCELLED) == flat && level_of_flat(flat) == level);
                g_assert(e->time >= q->heap_end && e->time >= q->now);
                g_assert(((e->time >> sh) & mask) == slot);
                g_assert(slot > ((q->cur >> sh) & mask));
                g_assert(above(e->time, level) == above(q->cur, level));
                if (!(e->where & CANCELLED))
                    counted++;
            }
        }
    }
    g_assert(counted == q->pending);
}
