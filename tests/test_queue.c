/* tests/test_queue.c — the engine's event queue: ordering, cancellation, run limits, pooling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/engine/queue.h"
#include "sim/engine/rng.h"

typedef struct {
    SimQueue *q;
    GArray *seen; /* of uint64_t: the `a` of each event run, in order */
    GArray *times;
} Log;

static void record(void *ctx, uint64_t a, uint64_t b)
{
    Log *log = ctx;
    g_array_append_val(log->seen, a);
    SimTime now = sim_queue_now(log->q);
    g_array_append_val(log->times, now);
}

static Log *log_new(void)
{
    Log *log = g_new0(Log, 1);
    log->q = sim_queue_new();
    log->seen = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    log->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    return log;
}

static void log_free(Log *log)
{
    sim_queue_free(log->q);
    g_array_free(log->seen, TRUE);
    g_array_free(log->times, TRUE);
    g_free(log);
}

#define SEEN(log, i) g_array_index((log)->seen, uint64_t, (i))

/* Events at the same nanosecond run in the order they were scheduled, whatever the time. */
static void test_queue_ties_run_in_scheduling_order(void **state)
{
    Log *log = log_new();
    SimTime times[] = {5 * SIM_MS, 3 * SIM_SEC, 7, 5 * SIM_MS, 7, 3 * SIM_SEC, 5 * SIM_MS};
    for (uint64_t i = 0; i < G_N_ELEMENTS(times); i++)
        sim_queue_at(log->q, times[i], record, log, i, 0);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    uint64_t expect[] = {2, 4, 0, 3, 6, 1, 5};
    assert_int_equal(log->seen->len, G_N_ELEMENTS(expect));
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++)
        assert_int_equal(SEEN(log, i), expect[i]);
    log_free(log);
}

typedef struct {
    Log *log;
    SimRng rng;
    int left;
} Chain;

static void chain_step(void *ctx, uint64_t a, uint64_t b)
{
    Chain *c = ctx;
    record(c->log, a, b);
    if (--c->left > 0) {
        /* Schedule at the current time too, which must run after everything already due now. */
        SimTime delay = (SimTime)sim_rng_uniform(&c->rng, 0, 3) *
                        (SimTime)sim_rng_uniform(&c->rng, 0, 3 * SIM_SEC);
        sim_queue_after(c->log->q, delay, chain_step, c, a + 1000, 0);
    }
}

/* Against a sort by (time, seq), random schedules across every wheel level come out in order. */
static void test_queue_matches_sorted_order_across_levels(void **state)
{
    Log *log = log_new();
    SimRng rng;
    sim_rng_seed(&rng, 42);
    const int n = 20000;
    SimTime *at = g_new(SimTime, n);
    for (int i = 0; i < n; i++) {
        int scale = (int)sim_rng_uniform(&rng, 0, 5);
        SimTime spans[] = {1, 1000, SIM_MS, 100 * SIM_MS, 10 * SIM_SEC, 100000 * SIM_SEC};
        at[i] = (SimTime)sim_rng_uniform(&rng, 0, (uint64_t)spans[scale]);
        sim_queue_at(log->q, at[i], record, log, (uint64_t)i, 0);
        if (i % 1000 == 0)
            sim_queue_check_invariants(log->q);
    }
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, n);
    for (int k = 0; k < n; k++)
        assert_int_equal(g_array_index(log->times, SimTime, k), at[SEEN(log, k)]);
    for (int k = 1; k < n; k++) {
        uint64_t i = SEEN(log, k - 1), j = SEEN(log, k);
        assert_true(at[i] < at[j] || (at[i] == at[j] && i < j));
    }
    g_free(at);
    log_free(log);
}

/* Events scheduled while running, including at `now`, keep the global order. */
static void test_queue_reschedule_during_run_keeps_order(void **state)
{
    Log *log = log_new();
    Chain chains[8];
    for (int i = 0; i < 8; i++) {
        chains[i] = (Chain){log, {{0}}, 500};
        sim_rng_seed(&chains[i].rng, (uint64_t)i + 1);
        sim_queue_at(log->q, i, chain_step, &chains[i], (uint64_t)i, 0);
    }
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 8 * 500);
    for (guint i = 1; i < log->times->len; i++)
        assert_true(g_array_index(log->times, SimTime, i - 1) <=
                    g_array_index(log->times, SimTime, i));
    sim_queue_check_invariants(log->q);
    log_free(log);
}

/* Cancelling removes exactly that event, wherever it is: the head, the heap, or a wheel slot. */
static void test_queue_cancel_head_middle_and_far(void **state)
{
    Log *log = log_new();
    SimHandle head = sim_queue_at(log->q, 10, record, log, 1, 0);
    SimHandle same_slot = sim_queue_at(log->q, 11, record, log, 2, 0);
    SimHandle mid = sim_queue_at(log->q, 5 * SIM_MS, record, log, 3, 0);
    SimHandle far = sim_queue_at(log->q, 900 * SIM_SEC, record, log, 4, 0);
    sim_queue_at(log->q, 6 * SIM_MS, record, log, 5, 0);
    assert_true(sim_queue_cancel(log->q, head));
    assert_true(sim_queue_cancel(log->q, mid));
    assert_true(sim_queue_cancel(log->q, far));
    assert_false(sim_queue_cancel(log->q, far));
    assert_true(sim_queue_is_pending(log->q, same_slot));
    sim_queue_check_invariants(log->q);
    assert_int_equal(sim_queue_pending(log->q), 2);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 2);
    assert_int_equal(SEEN(log, 0), 2);
    assert_int_equal(SEEN(log, 1), 5);
    log_free(log);
}

typedef struct {
    Log *log;
    SimHandle victim;
} Canceller;

static void cancel_victim(void *ctx, uint64_t a, uint64_t b)
{
    Canceller *c = ctx;
    record(c->log, a, b);
    assert_true(sim_queue_cancel(c->log->q, c->victim));
}

/* The event at the head of the heap can be cancelled by an event running at the same time. */
static void test_queue_cancel_event_at_head_from_running_event(void **state)
{
    Log *log = log_new();
    Canceller c = {log, 0};
    sim_queue_at(log->q, 100, cancel_victim, &c, 1, 0);
    c.victim = sim_queue_at(log->q, 100, record, log, 2, 0);
    sim_queue_at(log->q, 100, record, log, 3, 0);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 2);
    assert_int_equal(SEEN(log, 0), 1);
    assert_int_equal(SEEN(log, 1), 3);
    log_free(log);
}

/* A handle whose event already ran cancels nothing, even after its record is reused. */
static void test_queue_cancel_fired_handle_is_noop(void **state)
{
    Log *log = log_new();
    SimHandle h = sim_queue_at(log->q, 1, record, log, 1, 0);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    SimHandle reuse = sim_queue_at(log->q, 2, record, log, 2, 0);
    assert_false(sim_queue_cancel(log->q, h));
    assert_false(sim_queue_is_pending(log->q, h));
    assert_true(sim_queue_is_pending(log->q, reuse));
    assert_false(sim_queue_cancel(log->q, SIM_HANDLE_NONE));
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 2);
    log_free(log);
}

/* run() stops before events after the time limit and leaves the clock at the limit. */
static void test_queue_run_stops_at_time_limit(void **state)
{
    Log *log = log_new();
    sim_queue_at(log->q, 10 * SIM_MS, record, log, 1, 0);
    sim_queue_at(log->q, 20 * SIM_MS, record, log, 2, 0);
    sim_queue_at(log->q, 20 * SIM_MS + 1, record, log, 3, 0);
    assert_int_equal(sim_queue_run(log->q, 20 * SIM_MS, 0), SIM_RUN_TIME_LIMIT);
    assert_int_equal(log->seen->len, 2);
    assert_int_equal(sim_queue_now(log->q), 20 * SIM_MS);
    /* Scheduling at the limit after a limited run is allowed and runs before the later event. */
    sim_queue_at(log->q, 20 * SIM_MS, record, log, 4, 0);
    sim_queue_check_invariants(log->q);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(SEEN(log, 2), 4);
    assert_int_equal(SEEN(log, 3), 3);
    log_free(log);
}

/* A time limit far before the next slot leaves the queue intact and the clock at the limit. */
static void test_queue_time_limit_before_far_event(void **state)
{
    Log *log = log_new();
    sim_queue_at(log->q, 50 * SIM_SEC, record, log, 1, 0);
    assert_int_equal(sim_queue_run(log->q, 3 * SIM_SEC, 0), SIM_RUN_TIME_LIMIT);
    assert_int_equal(sim_queue_now(log->q), 3 * SIM_SEC);
    sim_queue_at(log->q, 3 * SIM_SEC + 5, record, log, 2, 0);
    sim_queue_check_invariants(log->q);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(SEEN(log, 0), 2);
    assert_int_equal(SEEN(log, 1), 1);
    log_free(log);
}

/* run() stops after exactly the event budget. */
static void test_queue_run_stops_at_event_budget(void **state)
{
    Log *log = log_new();
    for (uint64_t i = 0; i < 10; i++)
        sim_queue_at(log->q, (SimTime)i * SIM_MS, record, log, i, 0);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 4), SIM_RUN_EVENT_BUDGET);
    assert_int_equal(log->seen->len, 4);
    assert_int_equal(sim_queue_events_run(log->q), 4);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 10);
    log_free(log);
}

static void stopper(void *ctx, uint64_t a, uint64_t b)
{
    Log *log = ctx;
    record(log, a, b);
    sim_queue_stop(log->q);
}

/* An event can stop the run; the rest stays queued. */
static void test_queue_stop_from_event(void **state)
{
    Log *log = log_new();
    sim_queue_at(log->q, 1, stopper, log, 1, 0);
    sim_queue_at(log->q, 2, record, log, 2, 0);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_STOPPED);
    assert_int_equal(sim_queue_pending(log->q), 1);
    assert_int_equal(sim_queue_run(log->q, SIM_TIME_NEVER, 0), SIM_RUN_EMPTY);
    assert_int_equal(log->seen->len, 2);
    log_free(log);
}

static void self_resched(void *ctx, uint64_t a, uint64_t b)
{
    Chain *c = ctx;
    if (--c->left > 0)
        sim_queue_after(c->log->q, (SimTime)sim_rng_uniform(&c->rng, 1, 10 * SIM_MS), self_resched,
                        c, a, b);
}

/* The pool stops growing once the number of pending events is steady. */
static void test_queue_memory_flat_in_steady_state(void **state)
{
    Log *log = log_new();
    Chain c = {log, {{0}}, 200000};
    sim_rng_seed(&c.rng, 7);
    for (int i = 0; i < 1000; i++)
        sim_queue_after(log->q, i, self_resched, &c, 0, 0);
    sim_queue_run(log->q, SIM_TIME_NEVER, 20000);
    gsize before = sim_queue_memory_bytes(log->q);
    sim_queue_run(log->q, SIM_TIME_NEVER, 150000);
    assert_int_equal(sim_queue_memory_bytes(log->q), before);
    log_free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_ties_run_in_scheduling_order),
        cmocka_unit_test(test_queue_matches_sorted_order_across_levels),
        cmocka_unit_test(test_queue_reschedule_during_run_keeps_order),
        cmocka_unit_test(test_queue_cancel_head_middle_and_far),
        cmocka_unit_test(test_queue_cancel_event_at_head_from_running_event),
        cmocka_unit_test(test_queue_cancel_fired_handle_is_noop),
        cmocka_unit_test(test_queue_run_stops_at_time_limit),
        cmocka_unit_test(test_queue_time_limit_before_far_event),
        cmocka_unit_test(test_queue_run_stops_at_event_budget),
        cmocka_unit_test(test_queue_stop_from_event),
        cmocka_unit_test(test_queue_memory_flat_in_steady_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
