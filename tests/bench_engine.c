/* tests/bench_engine.c — engine throughput (events per second) against a plain binary heap.
 *
 *   engine-timers  10,000 pending timers, each firing and rescheduling itself 1 ns..10 ms ahead
 *   engine-cancel  the same, and every firing also arms a timeout that the next firing cancels,
 *                  so half of all scheduled events are cancelled before they fire (counted: each
 *                  event fired or cancelled)
 *   engine-mix     delays like a replication protocol's: 70% 1..10 ms, 25% 50..300 ms, 5% 1..2 s
 *   heap-reference the engine-timers work on a textbook binary heap of (time, seq)
 * and the pool size before and after 100 million events, to show memory stays flat.
 */
#include "sim/engine/queue.h"
#include "sim/engine/rng.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef POPULATION
#define POPULATION 10000
#endif

typedef enum { WORK_TIMERS, WORK_CANCEL, WORK_MIX } Work;

typedef struct {
    SimQueue *q;
    SimRng rng;
    Work work;
    SimHandle *timeouts;
    uint64_t cancelled;
} Bench;

static SimTime mix_delay(SimRng *rng)
{
    uint64_t pick = sim_rng_uniform(rng, 0, 99);
    if (pick < 70)
        return sim_rng_duration(rng, sim_range(SIM_MS, 10 * SIM_MS));
    if (pick < 95)
        return sim_rng_duration(rng, sim_range(50 * SIM_MS, 300 * SIM_MS));
    return sim_rng_duration(rng, sim_range(SIM_SEC, 2 * SIM_SEC));
}

static void on_timeout(void *ctx, uint64_t a, uint64_t b)
{
    abort(); /* every timeout is cancelled before it fires */
}

static void on_timer(void *ctx, uint64_t a, uint64_t b)
{
    Bench *bench = ctx;
    SimTime delay;
    if (bench->work == WORK_MIX)
        delay = mix_delay(&bench->rng);
    else
        delay = sim_rng_duration(&bench->rng, sim_range(1, 10 * SIM_MS));
    sim_queue_after(bench->q, delay, on_timer, bench, a, b);
    if (bench->work == WORK_CANCEL) {
        if (sim_queue_cancel(bench->q, bench->timeouts[a]))
            bench->cancelled++;
        bench->timeouts[a] = sim_queue_after(bench->q, 20 * SIM_MS, on_timeout, bench, a, 0);
    }
}

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static double run_engine(Work work, uint64_t events, gsize *mem_before, gsize *mem_after)
{
    Bench bench = {sim_queue_new(), {{0}}, work, g_new0(SimHandle, POPULATION), 0};
    sim_rng_seed(&bench.rng, 1);
    for (uint64_t i = 0; i < POPULATION; i++)
        sim_queue_after(bench.q, (SimTime)i, on_timer, &bench, i, 0);
    sim_queue_run(bench.q, SIM_TIME_NEVER, POPULATION * 4); /* warm up */
    if (mem_before)
        *mem_before = sim_queue_memory_bytes(bench.q);
    uint64_t cancelled0 = bench.cancelled;
    double t0 = now_seconds();
    sim_queue_run(bench.q, SIM_TIME_NEVER, events);
    double elapsed = now_seconds() - t0;
    if (mem_after)
        *mem_after = sim_queue_memory_bytes(bench.q);
    double handled = (double)events + (double)(bench.cancelled - cancelled0);
    sim_queue_free(bench.q);
    g_free(bench.timeouts);
    return handled / elapsed;
}

/* ---- the reference: a plain binary heap ordered by (time, seq) ---- */

typedef struct {
    uint64_t time;
    uint64_t seq;
    uint64_t id;
} Item;

typedef struct {
    Item *items;
    size_t len;
    size_t cap;
    uint64_t seq;
} Heap;

static int less(const Item *a, const Item *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_push(Heap *h, uint64_t time, uint64_t id)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->items = g_renew(Item, h->items, h->cap);
    }
    Item item = {time, h->seq++, id};
    size_t pos = h->len++;
    while (pos > 0 && less(&item, &h->items[(pos - 1) / 2])) {
        h->items[pos] = h->items[(pos - 1) / 2];
        pos = (pos - 1) / 2;
    }
    h->items[pos] = item;
}

static Item heap_pop(Heap *h)
{
    Item top = h->items[0];
    Item last = h->items[--h->len];
    size_t pos = 0;
    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && less(&h->items[child + 1], &h->items[child]))
            child++;
        if (!less(&h->items[child], &last))
            break;
        h->items[pos] = h->items[child];
        pos = child;
    }
    h->items[pos] = last;
    return top;
}

static double run_heap(Work work, uint64_t events)
{
    Heap h = {0};
    SimRng rng;
    sim_rng_seed(&rng, 1);
    for (uint64_t i = 0; i < POPULATION; i++)
        heap_push(&h, i, i);
    volatile uint64_t sink = 0;
    double t0 = now_seconds();
    for (uint64_t n = 0; n < events; n++) {
        Item it = heap_pop(&h);
        sink += it.id;
        SimTime delay =
            work == WORK_MIX ? mix_delay(&rng) : sim_rng_duration(&rng, sim_range(1, 10 * SIM_MS));
        heap_push(&h, it.time + (uint64_t)delay, it.id);
    }
    double elapsed = now_seconds() - t0;
    g_free(h.items);
    return (double)events / elapsed;
}

int main(int argc, char **argv)
{
    uint64_t events = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 20000000;
    gboolean memory = argc > 2 ? atoi(argv[2]) != 0 : TRUE;
    double timers = run_engine(WORK_TIMERS, events, NULL, NULL);
    double cancel = run_engine(WORK_CANCEL, events, NULL, NULL);
    double mix = run_engine(WORK_MIX, events, NULL, NULL);
    double heap = run_heap(WORK_TIMERS, events);
    double heap_mix = run_heap(WORK_MIX, events);
    printf("bench: engine-timers %.0f events/s\n", timers);
    printf("bench: engine-cancel %.0f events/s\n", cancel);
    printf("bench: engine-mix %.0f events/s\n", mix);
    printf("bench: heap-reference %.0f events/s\n", heap);
    printf("bench: heap-reference-mix %.0f events/s\n", heap_mix);
    if (memory) {
        gsize before = 0, after = 0;
        run_engine(WORK_MIX, 100000000, &before, &after);
        printf("bench: engine-pool-bytes-before-100m %zu bytes\n", before);
        printf("bench: engine-pool-bytes-after-100m %zu bytes\n", after);
    }
    return 0;
}
