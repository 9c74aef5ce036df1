/* tests/test_quorum_merkle.c — anti_entropy = merkle: the trees on their own
 * (model/quorum/quorum_merkle.c), the ring's ranges, the wire sizes that the cost counters add
 * up, then whole worlds: a replica that missed puts repaired through the trees, and the bug
 * variant whose stale leaf hides a failed write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/quorum/quorum_merkle.h"
#include "model/quorum/ring.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

/* ---- the trees ---- */

/* Keys spread over three ranges (one empty): every update keeps node n == 2n ^ 2n+1 and a leaf
 * the digest of its key; setting a key back restores every hash. */
static void test_merkle_updates_keep_the_tree_consistent(void **state)
{
    enum { KEYS = 37 };
    uint32_t range[KEYS];
    for (KeyId k = 0; k < KEYS; k++)
        range[k] = k % 3 == 0 ? 0 : 2;
    QMerkle *m = qmerkle_new(KEYS, range, 3);
    assert_int_equal(qmerkle_ranges(m), 3);
    assert_int_equal(qmerkle_leaves(m, 0), 16); /* 13 keys, one a leaf */
    assert_int_equal(qmerkle_leaves(m, 1), 0);
    assert_int_equal(qmerkle_leaves(m, 2), 32); /* 24 keys */
    assert_int_equal(qmerkle_range_key(m, 1), KEY_NONE);
    assert_true(qmerkle_valid(m));
    uint64_t empty = qmerkle_node(m, 2, 1);
    assert_int_equal(empty, 0);
    for (KeyId k = 0; k < KEYS; k++)
        qmerkle_set(m, k, qmerkle_key_digest(k, 1, 1000 + k));
    assert_true(qmerkle_valid(m));
    uint64_t full = qmerkle_node(m, 2, 1);
    assert_int_not_equal(full, 0);
    qmerkle_set(m, 5, qmerkle_key_digest(5, 2, 77));
    assert_true(qmerkle_valid(m));
    assert_int_not_equal(qmerkle_node(m, 2, 1), full);
    assert_int_not_equal(qmerkle_node(m, 0, 1), 0);
    qmerkle_set(m, 5, qmerkle_key_digest(5, 1, 1005));
    assert_int_equal(qmerkle_node(m, 2, 1), full);
    /* A leaf holds its key (QMERKLE_LEAF_KEYS of them); past the last key, none. */
    guint n;
    const KeyId *keys = qmerkle_leaf_keys(m, 0, 16, &n);
    assert_int_equal(n, 1);
    assert_int_equal(keys[0], 0);
    qmerkle_leaf_keys(m, 0, 31, &n);
    assert_int_equal(n, 0);
    /* A key without records hashes to 0; one with records never does. */
    assert_int_equal(qmerkle_key_digest(3, 0, 99), 0);
    assert_int_not_equal(qmerkle_key_digest(3, 1, 0), 0);
    qmerkle_free(m);
}

/* A key's range is its ring point: keys of one range share their preference list. */
static void test_merkle_ranges_share_a_preference_list(void **state)
{
    g_autoptr(Ring) ring = ring_new(5, QUORUM_VNODES);
    assert_int_equal(ring_points(ring), 5 * QUORUM_VNODES);
    EndpointId walks[5 * QUORUM_VNODES][WORLD_MAX_NODES];
    gboolean seen[5 * QUORUM_VNODES] = {0};
    for (guint k = 0; k < 2000; k++) {
        char name[16];
        g_snprintf(name, sizeof name, "k%u", k);
        uint64_t h = sim_hash_string(name);
        guint p = ring_point(ring, h);
        assert_true(p < ring_points(ring));
        EndpointId walk[WORLD_MAX_NODES];
        ring_walk(ring, h, walk);
        if (!seen[p]) {
            seen[p] = TRUE;
            memcpy(walks[p], walk, sizeof walk);
        } else {
            assert_memory_equal(walks[p], walk, 5 * sizeof(EndpointId));
        }
    }
}

/* What the cost counters add: a tree answer is its hashes, an ask its nodes as varints. */
static void test_merkle_wire_sizes(void **state)
{
    Msg *ask = msg_new(MSG_Q_TREE_ASK, 0, 1);
    QTreeNode nodes[3] = {{0, 1, 0}, {0, 200, 0}, {5, 2, 0}};
    msg_take_extra(ask, g_memdup2(nodes, sizeof nodes), 3, sizeof(QTreeNode));
    /* header, xid, then (0, 1) (0, 200) (+5, 2): 2 + 3 + 2 bytes */
    assert_int_equal(quorum_msg_ops.wire_bytes(ask), QWIRE_HEADER + 4 + 7);
    msg_free(ask);
    Msg *t = msg_new(MSG_Q_TREE, 1, 0);
    msg_take_extra(t, g_memdup2(nodes, sizeof nodes), 3, sizeof(QTreeNode));
    assert_int_equal(quorum_msg_ops.wire_bytes(t), QWIRE_HEADER + 4 + 3 * QWIRE_TREE);
    msg_free(t);
    Msg *s = msg_new(MSG_Q_SYNC, 1, 0);
    msg_take_extra(s, g_new0(QDigest, 10), 10, sizeof(QDigest));
    assert_int_equal(quorum_msg_ops.wire_bytes(s), QWIRE_HEADER + 1 + 10 * QWIRE_DIGEST);
    msg_free(s);
}

/* ---- worlds ---- */

static void run_file(const char *path, gboolean clear_bugs, RunResult *out)
{
    GError *error = NULL;
    g_autoptr(Scenario) s = scenario_load_file(path, &error);
    if (error)
        fail_msg("%s", error->message);
    if (clear_bugs)
        s->config.bugs = 0;
    RunOptions opt = {0};
    assert_true(runner_run(s, &opt, out, &error));
}

/* merkle-repair: the trees find what r3 missed, the replicas converge, and the counters show
 * rounds that sent tree nodes, not digests. */
static void test_merkle_world_repairs_a_replica_that_missed_puts(void **state)
{
    RunResult r;
    run_file("scenarios/merkle-repair.ini", FALSE, &r);
    assert_true(r.passed);
    assert_int_equal(r.verdict.kinds, 0);
    assert_true(r.stats.marks[QMARK_REPLICA_TREE_ROUND] > 0);
    assert_true(r.stats.marks[QMARK_REPLICA_TREE_LEAF_DIFFER] > 0);
    assert_int_equal(r.stats.marks[QMARK_REPLICA_SYNC_ROUND], 0);
    assert_true(r.stats.msgs_by_type[MSG_Q_TREE] > 0);
    assert_int_equal(r.stats.msgs_by_type[MSG_Q_SYNC], 0);
    ProtoCost costs[PROTO_MAX_COSTS];
    guint n = world_stats_costs(&r.stats, &quorum_protocol, costs);
    assert_true(n >= 4);
    assert_string_equal(costs[2].name, "anti_entropy.bytes");
    assert_true(costs[2].value > 0);
    run_result_clear(&r);
}

/* The bug variant leaves r3 without the add for good; the same run without it repairs r3. */
static void test_merkle_world_bug_stale_leaf_hides_a_failed_write(void **state)
{
    RunResult r;
    run_file("scenarios/bug-merkle-stale-leaf.ini", FALSE, &r);
    assert_true(r.passed);
    assert_true(r.verdict.kinds & (1u << V_DIVERGENT));
    run_result_clear(&r);
    run_file("scenarios/bug-merkle-stale-leaf.ini", TRUE, &r);
    assert_int_equal(r.verdict.kinds, 0);
    run_result_clear(&r);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merkle_updates_keep_the_tree_consistent),
        cmocka_unit_test(test_merkle_ranges_share_a_preference_list),
        cmocka_unit_test(test_merkle_wire_sizes),
        cmocka_unit_test(test_merkle_world_repairs_a_replica_that_missed_puts),
        cmocka_unit_test(test_merkle_world_bug_stale_leaf_hides_a_failed_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
