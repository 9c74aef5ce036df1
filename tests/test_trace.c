/* tests/test_trace.c — the trace hash: fixed for a fixed sequence, sensitive to every field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/engine/trace.h"

/* The digest of emit_fixed_sequence(), pinned. */
#define PIN_TRACE_DIGEST 0x81ce9e640c6a390aULL

static void emit_fixed_sequence(SimTrace *t)
{
    sim_trace_emit(t, 0, SIM_TR_INVOKE, 1, 10, 0, 1, 0);
    sim_trace_emit(t, 1 * SIM_MS, SIM_TR_SEND, 3, 10, 1, 7, 0);
    sim_trace_emit(t, 4 * SIM_MS, SIM_TR_DELIVER, 3, 1, 10, 7, 0);
    sim_trace_emit(t, 4 * SIM_MS, SIM_TR_DISK_OP, 1, 1, 0, 0, 5);
    sim_trace_emit(t, 7 * SIM_MS, SIM_TR_DISK_DONE, 2, 1, 0, 0, 5);
    sim_trace_emit(t, 9 * SIM_MS, SIM_TR_COMPLETE, 1, 10, 0, 1, 1);
}

/* The digest of a fixed record sequence is pinned: a change here changes every run's hash. */
static void test_trace_hash_of_fixed_sequence_is_fixed(void **state)
{
    SimTrace t;
    sim_trace_init(&t);
    emit_fixed_sequence(&t);
    assert_int_equal(t.count, 6);
    assert_int_equal(sim_trace_digest(&t), PIN_TRACE_DIGEST);
    sim_trace_clear(&t);
}

/* Changing any one field of one record, or the order of two records, changes the digest. */
static void test_trace_hash_sees_every_field_and_order(void **state)
{
    SimTrace base;
    sim_trace_init(&base);
    emit_fixed_sequence(&base);
    uint64_t want = sim_trace_digest(&base);
    for (int field = 0; field < 7; field++) {
        SimTrace t;
        sim_trace_init(&t);
        SimTraceRecord r = {2 * SIM_MS, SIM_TR_SEND, 3, 10, 1, 7, 0};
        uint16_t *f16[] = {&r.kind, &r.sub, &r.node, &r.peer};
        if (field == 0)
            r.time++;
        else if (field <= 4)
            (*f16[field - 1])++;
        else if (field == 5)
            r.a++;
        else
            r.b++;
        sim_trace_emit(&t, r.time, (SimTraceKind)r.kind, r.sub, r.node, r.peer, r.a, r.b);
        SimTrace u;
        sim_trace_init(&u);
        sim_trace_emit(&u, 2 * SIM_MS, SIM_TR_SEND, 3, 10, 1, 7, 0);
        assert_int_not_equal(sim_trace_digest(&t), sim_trace_digest(&u));
    }
    SimTrace swapped;
    sim_trace_init(&swapped);
    sim_trace_emit(&swapped, 1 * SIM_MS, SIM_TR_SEND, 3, 10, 1, 7, 0);
    sim_trace_emit(&swapped, 0, SIM_TR_INVOKE, 1, 10, 0, 1, 0);
    SimTrace ordered;
    sim_trace_init(&ordered);
    sim_trace_emit(&ordered, 0, SIM_TR_INVOKE, 1, 10, 0, 1, 0);
    sim_trace_emit(&ordered, 1 * SIM_MS, SIM_TR_SEND, 3, 10, 1, 7, 0);
    assert_int_not_equal(sim_trace_digest(&swapped), sim_trace_digest(&ordered));
    assert_int_not_equal(want, sim_trace_digest(&ordered));
}

/* Keeping records does not change the hash, and the kept records replay to the same hash. */
static void test_trace_kept_records_replay_to_same_hash(void **state)
{
    SimTrace plain, kept;
    sim_trace_init(&plain);
    sim_trace_init(&kept);
    sim_trace_keep(&kept, TRUE);
    emit_fixed_sequence(&plain);
    emit_fixed_sequence(&kept);
    assert_int_equal(sim_trace_digest(&plain), sim_trace_digest(&kept));
    const GArray *recs = sim_trace_records(&kept);
    assert_non_null(recs);
    assert_int_equal(recs->len, 6);
    SimTrace again;
    sim_trace_init(&again);
    for (guint i = 0; i < recs->len; i++) {
        const SimTraceRecord *r = &g_array_index(recs, SimTraceRecord, i);
        again.hash = sim_trace_fold_record(again.hash, r);
        again.count++;
    }
    assert_int_equal(sim_trace_digest(&again), sim_trace_digest(&plain));
    sim_trace_clear(&kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_hash_of_fixed_sequence_is_fixed),
        cmocka_unit_test(test_trace_hash_sees_every_field_and_order),
        cmocka_unit_test(test_trace_kept_records_replay_to_same_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
