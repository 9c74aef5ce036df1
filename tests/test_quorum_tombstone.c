/* tests/test_quorum_tombstone.c — the quorum store's tombstones (tombstone.purge): the purge
 * block's encoding and what its floor covers (model/quorum/quorum_state.c), then whole worlds:
 * the safe purge that waits for every replica of the key, Cassandra's grace period and the
 * zombie it lets in, and the bug variant that purges once one other replica holds the
 * tombstone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/world/disk.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

/* ---- the purge block ---- */

/* Last-writer-wins: the floor is the tombstone's version; it covers what is not newer. */
static void test_purge_block_lww_floor_round_trips(void **state)
{
    QRecord floor = {.key = 12, .op = OP_DELETE, .hint_for = ENDPOINT_NONE};
    floor.version = (Version){.ts = 5000, .client = 2, .seq = 7};
    DiskBlock b;
    quorum_encode_purge(&b, &floor);
    QBlock qb;
    assert_int_equal(quorum_decode(&b, &qb), BLOCK_OK);
    assert_int_equal(qb.type, QBLK_PURGE);
    assert_int_equal(qb.rec.key, 12);
    QRecord older = {.key = 12, .op = OP_PUT, .version = {.ts = 4000, .client = 1, .seq = 1}};
    QRecord newer = {.key = 12, .op = OP_PUT, .version = {.ts = 6000, .client = 1, .seq = 2}};
    assert_true(qfloor_covers(&qb.rec, &older));
    assert_true(qfloor_covers(&qb.rec, &floor));
    assert_false(qfloor_covers(&qb.rec, &newer));
    b.len -= 1;
    assert_int_not_equal(quorum_decode(&b, &qb), BLOCK_OK);
}

/* Version vectors: the floor is the tombstone's dot joined with its past; it covers the
 * tombstone, what the tombstone covered, and nothing concurrent with it. */
static void test_purge_block_vclock_floor_round_trips(void **state)
{
    QRecord tomb = {.key = 3, .op = OP_DELETE, .hint_for = ENDPOINT_NONE, .idem = 44};
    tomb.clock.ndots = 1;
    tomb.clock.e[0] = (QDot){.actor = qactor(1, 0), .counter = 6};
    QDot past[] = {{.actor = qactor(1, 0), .span = QSPAN_ALL, .counter = 4},
                   {.actor = qactor(2, 1), .counter = 9}};
    qclock_set_past(&tomb.clock, past, 2);
    /* purge_key joins the dots into the past before encoding; encoding does as well. */
    DiskBlock b;
    quorum_encode_purge(&b, &tomb);
    QBlock qb;
    assert_int_equal(quorum_decode(&b, &qb), BLOCK_OK);
    assert_int_equal(qb.type, QBLK_PURGE);
    assert_int_equal(qb.rec.clock.ndots, 0);
    assert_true(qb.rec.clock.npast > 0);
    QClock joined = {0};
    qclock_join(&joined, &tomb.clock);
    quorum_encode_purge(&b, &(QRecord){.key = 3, .op = OP_DELETE, .clock = joined});
    QBlock again;
    assert_int_equal(quorum_decode(&b, &again), BLOCK_OK);
    assert_true(qclock_equal(&again.rec.clock, &qb.rec.clock));

    QRecord one = {.key = 3, .op = OP_PUT};
    one.clock.ndots = 1;
    one.clock.e[0] = tomb.clock.e[0]; /* the tombstone itself */
    assert_true(qfloor_covers(&qb.rec, &one));
    one.clock.e[0] = (QDot){.actor = qactor(1, 0), .counter = 3}; /* in its past */
    assert_true(qfloor_covers(&qb.rec, &one));
    one.clock.e[0] = (QDot){.actor = qactor(2, 1), .counter = 9};
    assert_true(qfloor_covers(&qb.rec, &one));
    one.clock.e[0] = (QDot){.actor = qactor(1, 0), .counter = 5}; /* concurrent with it */
    assert_false(qfloor_covers(&qb.rec, &one));
    one.clock.e[0] = (QDot){.actor = qactor(2, 1), .counter = 8};
    assert_false(qfloor_covers(&qb.rec, &one));
}

/* ---- worlds ---- */

static void run_file(const char *path, guint32 bugs, gboolean clear_bugs, RunResult *out)
{
    GError *error = NULL;
    g_autoptr(Scenario) s = scenario_load_file(path, &error);
    if (error)
        fail_msg("%s", error->message);
    if (clear_bugs)
        s->config.bugs = bugs;
    RunOptions opt = {.keep_trace = TRUE}; /* and the world, for its disks */
    assert_true(runner_run(s, &opt, out, &error));
}

/* Whether node n's durable log holds a purge block for some key, and a live record. */
static void scan(World *w, EndpointId n, gboolean *purge, gboolean *records)
{
    Disk *d = world_disk(w, n);
    guint len = disk_nfiles(d) * QUORUM_SEGMENT_BLOCKS; /* an upper bound */
    *purge = *records = FALSE;
    for (uint32_t i = 0; i < len; i++) {
        DiskBlock b;
        QBlock qb;
        char path[FS_PATH_MAX];
        quorum_segment_path(i / QUORUM_SEGMENT_BLOCKS, path, sizeof path);
        gint f = disk_lookup(d, path, TRUE); /* the log's segments, named durably */
        if (f < 0 || !disk_durable_block(d, (guint)f, i % QUORUM_SEGMENT_BLOCKS, &b) ||
            quorum_decode(&b, &qb) != BLOCK_OK)
            continue;
        *purge |= qb.type == QBLK_PURGE;
        *records |= qb.type == QBLK_DATA || qb.type == QBLK_VDATA;
    }
}

/* replicated: the replicas purge only once the one that was away holds the delete too; then
 * every one of them has a purge block and the key stays absent. */
static void test_purge_replicated_waits_for_every_replica(void **state)
{
    RunResult r;
    run_file("scenarios/tombstone-purge.ini", 0, FALSE, &r);
    assert_true(r.passed);
    assert_int_equal(r.verdict.kinds, 0);
    for (EndpointId n = 0; n < 3; n++) {
        gboolean purge, records;
        scan(r.world, n, &purge, &records);
        assert_true(purge);
        assert_true(records); /* the old blocks stay, below the floor */
    }
    run_result_clear(&r);
}

/* grace: the zombie. The deleted value comes back and is named a resurrection. */
static void test_purge_grace_lets_the_deleted_value_back(void **state)
{
    RunResult r;
    run_file("scenarios/tombstone-resurrection.ini", 0, FALSE, &r);
    assert_true(r.passed);
    assert_true(r.verdict.kinds & (1u << V_RESURRECTION));
    run_result_clear(&r);
}

/* The bug variant resurrects the value; the same run without it does not. */
static void test_purge_bug_purged_early_resurrects(void **state)
{
    RunResult r;
    run_file("scenarios/bug-tombstone-purged-early.ini", 0, FALSE, &r);
    assert_true(r.passed);
    assert_true(r.verdict.kinds & (1u << V_RESURRECTION));
    run_result_clear(&r);
    run_file("scenarios/bug-tombstone-purged-early.ini", 0, TRUE, &r);
    assert_int_equal(r.verdict.kinds, 0);
    run_result_clear(&r);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_block_lww_floor_round_trips),
        cmocka_unit_test(test_purge_block_vclock_floor_round_trips),
        cmocka_unit_test(test_purge_replicated_waits_for_every_replica),
        cmocka_unit_test(test_purge_grace_lets_the_deleted_value_back),
        cmocka_unit_test(test_purge_bug_purged_early_resurrects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
