/* sim/engine/queue.h — the engine's virtual clock and event queue.
 *
 * Events run in (time, sequence) order, the sequence number being given when the event is
 * scheduled, so that two events at the same nanosecond always run in the order they were
 * scheduled. A scheduled event can be cancelled by its handle in O(1) (O(log k) while it sits in
 * the small heap of the current 1 us slot). Event records come from a pool that only grows with
 * the number of events pending at once: the steady state allocates nothing.
 *
 * The queue knows nothing of what an event means: it calls fn(ctx, a, b).
 */
#pragma once

#include "sim/engine/time.h"

#include <glib.h>
#include <stdint.h>

typedef struct SimQueue SimQueue;

/* A handle names one scheduled event. 0 is never a valid handle. A handle stays safe to cancel
 * after its event ran or was cancelled (the cancel is then a no-op returning FALSE). */
typedef uint64_t SimHandle;
#define SIM_HANDLE_NONE ((SimHandle)0)

typedef void (*SimEventFn)(void *ctx, uint64_t a, uint64_t b);

typedef enum {
    SIM_RUN_EMPTY,        /* no event left */
    SIM_RUN_TIME_LIMIT,   /* the next event lies after the time limit; the clock is at the limit */
    SIM_RUN_EVENT_BUDGET, /* the event budget is spent */
    SIM_RUN_STOPPED,      /* an event called sim_queue_stop() */
} SimRunResult;

/* Caller owns the result; free with sim_queue_free(). */
SimQueue *sim_queue_new(void);
void sim_queue_free(SimQueue *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimQueue, sim_queue_free)

SimTime sim_queue_now(const SimQueue *q);
/* Events run so far. */
uint64_t sim_queue_events_run(const SimQueue *q);
/* Events scheduled and neither run nor cancelled. */
guint sim_queue_pending(const SimQueue *q);
/* Bytes held by the event pool and its indexes (for memory benchmarks). */
gsize sim_queue_memory_bytes(const SimQueue *q);

/* Schedules fn(ctx, a, b) at absolute time `at`, which must not be in the past. */
SimHandle sim_queue_at(SimQueue *q, SimTime at, SimEventFn fn, void *ctx, uint64_t a, uint64_t b);
/* Schedules fn(ctx, a, b) `delay` (>= 0) from now. */
SimHandle sim_queue_after(SimQueue *q, SimTime delay, SimEventFn fn, void *ctx, uint64_t a,
                          uint64_t b);
/* Cancels a pending event. Returns TRUE if it was pending, FALSE if it already ran, was already
 * cancelled, or the handle is SIM_HANDLE_NONE. */
gboolean sim_queue_cancel(SimQueue *q, SimHandle h);
gboolean sim_queue_is_pending(const SimQueue *q, SimHandle h);

/* Runs events in order until the queue is empty, the next event would lie after `until`
 * (the clock then stands at `until`), `max_events` have run (0: no budget), or an event calls
 * sim_queue_stop(). */
SimRunResult sim_queue_run(SimQueue *q, SimTime until, uint64_t max_events);
/* Asks a running sim_queue_run() to return after the current event. */
void sim_queue_stop(SimQueue *q);

/* Calls visit(visit_ctx, fn, ctx, a, b) for every pending event, in pool order (not time
 * order), so that an owner can release what pending events hold (e.g. messages in flight)
 * before freeing the queue. */
typedef void (*SimPendingVisitor)(void *visit_ctx, SimEventFn fn, void *ctx, uint64_t a,
                                  uint64_t b);
void sim_queue_visit_pending(const SimQueue *q, SimPendingVisitor visit, void *visit_ctx);

/* Asserts the queue's internal invariants (tests call it between steps). */
void sim_queue_check_invariants(const SimQueue *q);
/* With `on`, every invariant is checked now, every 1024 events, and when a run returns 256 or
 * more events after the last check (the whole check walks every slot of the wheel); without,
 * only that time never runs backwards. */
void sim_queue_set_checking(SimQueue *q, gboolean on);
