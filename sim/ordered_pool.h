/* sim/ordered_pool.h — runs numbered items on a pool of threads and hands their results back in
 * item order, on the calling thread. Fuzz campaigns, the detail reruns of a campaign's failing
 * seeds and check-determinism all run through it, so --jobs N prints what --jobs 1 prints.
 *
 * Each item runs on one thread from start to end; items share nothing but what `ctx` gives
 * them, which the work function must only read. At most a window of jobs*16 items is in flight
 * (run or waiting to be taken), so memory does not grow with the item count.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Runs item `item` into `result` (result_size zeroed bytes); on a worker thread. */
typedef void (*OrderedWorkFn)(uint64_t item, void *result, void *ctx);
/* Takes item `item`'s result, in item order, on the calling thread; FALSE stops the run: items
 * not yet started are skipped, those in flight finish and are cleared without being taken. */
typedef gboolean (*OrderedTakeFn)(uint64_t item, void *result, void *ctx);
/* Frees what a result owns (after take, or instead of it once stopped); may be NULL. A skipped
 * item's result stays zeroed, which clear must accept. */
typedef void (*OrderedClearFn)(void *result);

typedef struct {
    guint jobs; /* threads, at least 1 */
    gsize result_size;
    OrderedWorkFn work;
    OrderedTakeFn take;   /* may be NULL: every item is taken */
    OrderedClearFn clear; /* may be NULL */
    void *ctx;
} OrderedPoolSpec;

/* Runs items 0..count-1 (count may be G_MAXUINT64 for "until take says stop"). Returns how
 * many items were taken. */
uint64_t ordered_pool_run(const OrderedPoolSpec *spec, uint64_t count);
