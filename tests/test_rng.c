/* tests/test_rng.c — the PRNG: reference vectors, pinned stream outputs, bounded draws. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/engine/rng.h"

/* Pinned outputs of this generator and stream derivation (see test_rng_pinned_stream_outputs). */
#define PIN_SEED1_0   0xb3f2af6d0fc710c5ULL
#define PIN_SEED1_1   0x853b559647364ceaULL
#define PIN_NET7_0    0x1cec9e1cfc4b9980ULL
#define PIN_NODE7_3   0x560faa2e52ec832dULL
#define PIN_NODE7_3_U 15ULL

/* splitmix64 from state 0 gives the published first outputs. */
static void test_rng_splitmix64_reference_vector(void **state)
{
    uint64_t s = 0;
    assert_int_equal(sim_splitmix64(&s), 0xe220a8397b1dcdafULL);
    assert_int_equal(sim_splitmix64(&s), 0x6e789e6aa1b965f4ULL);
    assert_int_equal(sim_splitmix64(&s), 0x06c45d188009454fULL);
}

/* xoshiro256** from the state {1, 2, 3, 4} gives the reference implementation's outputs. */
static void test_rng_xoshiro_reference_vector(void **state)
{
    SimRng rng = {{1, 2, 3, 4}};
    assert_int_equal(sim_rng_next(&rng), 11520ULL);
    assert_int_equal(sim_rng_next(&rng), 0ULL);
    assert_int_equal(sim_rng_next(&rng), 1509978240ULL);
    assert_int_equal(sim_rng_next(&rng), 1215971899390074240ULL);
}

/* The first outputs of fixed seeds and streams are pinned: changing them changes every run. */
static void test_rng_pinned_stream_outputs(void **state)
{
    SimRng rng;
    sim_rng_seed(&rng, 1);
    assert_int_equal(sim_rng_next(&rng), PIN_SEED1_0);
    assert_int_equal(sim_rng_next(&rng), PIN_SEED1_1);
    sim_rng_stream(&rng, 7, "network", 0);
    assert_int_equal(sim_rng_next(&rng), PIN_NET7_0);
    sim_rng_stream(&rng, 7, "node", 3);
    assert_int_equal(sim_rng_next(&rng), PIN_NODE7_3);
    assert_int_equal(sim_rng_uniform(&rng, 10, 20), PIN_NODE7_3_U);
}

/* Drawing from one stream never moves another stream derived from the same seed. */
static void test_rng_streams_are_independent(void **state)
{
    SimRng net_a, disk_a, net_b, disk_b;
    sim_rng_stream(&net_a, 99, "network", 0);
    sim_rng_stream(&disk_a, 99, "disk", 0);
    sim_rng_stream(&net_b, 99, "network", 0);
    sim_rng_stream(&disk_b, 99, "disk", 0);
    for (int i = 0; i < 1000; i++)
        (void)sim_rng_next(&disk_b); /* extra draws in one stream */
    for (int i = 0; i < 100; i++)
        assert_int_equal(sim_rng_next(&net_a), sim_rng_next(&net_b));
    /* Different names, indexes and seeds give different streams. */
    SimRng n1, n2, other_seed;
    sim_rng_stream(&n1, 99, "node", 1);
    sim_rng_stream(&n2, 99, "node", 2);
    sim_rng_stream(&other_seed, 100, "network", 0);
    assert_int_not_equal(sim_rng_next(&n1), sim_rng_next(&n2));
    assert_int_not_equal(sim_rng_next(&disk_a), sim_rng_next(&other_seed));
}

/* uniform() stays within [lo, hi], hits both ends, and is not visibly biased. */
static void test_rng_uniform_bounds_and_balance(void **state)
{
    SimRng rng;
    sim_rng_seed(&rng, 5);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = sim_rng_uniform(&rng, 3, 9);
        assert_true(v >= 3 && v <= 9);
        counts[v - 3]++;
    }
    for (int k = 0; k < 7; k++)
        assert_true(counts[k] > 9400 && counts[k] < 10600);
    assert_int_equal(sim_rng_uniform(&rng, 4, 4), 4);
    (void)sim_rng_uniform(&rng, 0, UINT64_MAX);
    /* A range just above 2^63 exercises the rejection branch; results must stay in range. */
    for (int i = 0; i < 1000; i++)
        assert_true(sim_rng_uniform(&rng, 0, (UINT64_MAX / 2) + 7) <= (UINT64_MAX / 2) + 7);
}

/* chance(num, den) matches its ratio and never fires at 0 or misses at 1. */
static void test_rng_chance_integer_ratio(void **state)
{
    SimRng rng;
    sim_rng_seed(&rng, 11);
    int hits = 0;
    for (int i = 0; i < 100000; i++)
        hits += sim_rng_chance(&rng, 1, 4);
    assert_true(hits > 24000 && hits < 26000);
    for (int i = 0; i < 100; i++) {
        assert_false(sim_rng_chance(&rng, 0, 10));
        assert_true(sim_rng_chance(&rng, 10, 10));
    }
}

/* duration() draws within the range and returns a fixed value without drawing. */
static void test_rng_duration_from_range(void **state)
{
    SimRng a, b;
    sim_rng_seed(&a, 3);
    sim_rng_seed(&b, 3);
    assert_int_equal(sim_rng_duration(&a, sim_range(5 * SIM_MS, 5 * SIM_MS)), 5 * SIM_MS);
    assert_int_equal(sim_rng_next(&a), sim_rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        SimTime d = sim_rng_duration(&a, sim_range(SIM_MS, 5 * SIM_MS));
        assert_true(d >= SIM_MS && d <= 5 * SIM_MS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_splitmix64_reference_vector),
        cmocka_unit_test(test_rng_xoshiro_reference_vector),
        cmocka_unit_test(test_rng_pinned_stream_outputs),
        cmocka_unit_test(test_rng_streams_are_independent),
        cmocka_unit_test(test_rng_uniform_bounds_and_balance),
        cmocka_unit_test(test_rng_chance_integer_ratio),
        cmocka_unit_test(test_rng_duration_from_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
