/* tests/test_quorum_vclock.c — the quorum store's version vectors (resolution = vclock): the
 * clock operations on their own (model/quorum/quorum_clock.c), record sets and their encoding
 * (quorum_state.c), then whole worlds: concurrent writes kept as siblings and reconciled, a
 * replica that lost its disk issuing under a new epoch, and the bug variant that takes a
 * concurrent write for a newer one. */
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

/* A record's dot, or in a past that one event. */
static QDot dot(EndpointId node, guint epoch, uint32_t counter)
{
    return (QDot){.actor = qactor(node, epoch), .counter = counter};
}

static QDot exact(EndpointId node, uint32_t counter)
{
    return dot(node, 0, counter);
}

/* In a past: every event of the actor up to counter. */
static QDot upto(EndpointId node, guint epoch, uint32_t counter)
{
    return (QDot){.actor = qactor(node, epoch), .span = QSPAN_ALL, .counter = counter};
}

/* A record with one dot and a past. */
static QRecord rec(IdemKey idem, OpKind op, Value value, QDot d, const QDot *past, guint n)
{
    QRecord r = {
        .key = 0, .op = (uint8_t)op, .hint_for = ENDPOINT_NONE, .value = value, .idem = idem};
    r.clock.ndots = 1;
    r.clock.e[0] = d;
    qclock_set_past(&r.clock, past, n);
    return r;
}

/* ---- clocks ---- */

/* Two writes issued one after the other by the same replica, neither having seen the other, are
 * concurrent: neither covers the other (a plain version vector would say the second does). */
static void test_vclock_same_issuer_writes_are_concurrent(void **state)
{
    QRecord a = rec(1, OP_PUT, 1, dot(0, 0, 1), NULL, 0);
    QRecord b = rec(2, OP_PUT, 2, dot(0, 0, 2), NULL, 0);
    assert_false(qclock_covers(&b.clock, &a.clock));
    assert_false(qclock_covers(&a.clock, &b.clock));
    QRecord c = rec(3, OP_PUT, 3, dot(0, 0, 3), (QDot[]){exact(0, 1)}, 1);
    assert_true(qclock_covers(&c.clock, &a.clock));
    assert_false(qclock_covers(&c.clock, &b.clock));
}

/* Events fold into runs: into the vector once it reaches the one before them, and vanish under
 * it; a hole keeps the events after it a run of their own. */
static void test_vclock_past_folds_exact_dots_into_the_vector(void **state)
{
    QClock c = {0};
    qclock_set_past(&c, (QDot[]){exact(1, 3), exact(1, 1), exact(1, 2), exact(2, 5), upto(2, 0, 6)},
                    5);
    assert_int_equal(c.npast, 2);
    assert_int_equal(qclock_max_counter(&c, qactor(1, 0)), 3);
    assert_int_equal(c.e[0].span, QSPAN_ALL);
    assert_true(qclock_covers_dot(&c, dot(1, 0, 2)));
    assert_true(qclock_covers_dot(&c, dot(2, 0, 4)));
    assert_false(qclock_covers_dot(&c, dot(1, 0, 4)));
    /* A hole keeps the dot after it exact: (1,5) without (1,4). */
    qclock_add_exact(&c, dot(1, 0, 5));
    assert_true(qclock_covers_dot(&c, dot(1, 0, 5)));
    assert_false(qclock_covers_dot(&c, dot(1, 0, 4)));
    /* Another epoch is another actor. */
    qclock_add_exact(&c, dot(1, 0, 6));
    assert_false(qclock_covers_dot(&c, dot(1, 1, 1)));
    /* The same event joined many times is one entry; a run after a hole is one entry. */
    QClock d = {0};
    qclock_set_past(&d, (QDot[]){exact(3, 7), exact(3, 7), exact(3, 6), upto(3, 0, 2), exact(3, 8)},
                    5);
    assert_int_equal(d.npast, 2);
    assert_true(qclock_covers_dot(&d, dot(3, 0, 6)));
    assert_false(qclock_covers_dot(&d, dot(3, 0, 5)));
    assert_false(qclock_covers_dot(&d, dot(3, 0, 9)));
}

/* A clock that cannot fit drops its smallest entries (runs not from the first event first) and
 * says so. */
static void test_vclock_truncation_drops_smallest_and_marks(void **state)
{
    QDot past[12];
    for (guint i = 0; i < 12; i++)
        past[i] = exact((EndpointId)(i % 6), 2 + 2 * i);
    QClock c = {.ndots = 1};
    c.e[0] = dot(0, 0, 99);
    qclock_set_past(&c, past, 12);
    assert_int_equal(c.ndots + c.npast, QCLOCK_MAX);
    assert_true(c.truncated);
    assert_true(qclock_covers_dot(&c, dot(5, 0, 24)));
    assert_false(qclock_covers_dot(&c, dot(0, 0, 2)));
}

/* A context survives its bytes; bytes that are no context are refused. */
static void test_vclock_context_bytes_round_trip(void **state)
{
    QClock c = {0};
    qclock_set_past(&c, (QDot[]){upto(3, 7, 12), exact(4, 9)}, 2);
    uint8_t bytes[QCONTEXT_BYTES];
    guint n = qclock_context_bytes(&c, bytes);
    QClock back;
    assert_true(qclock_from_context(bytes, n, &back));
    assert_true(qclock_equal(&c, &back));
    assert_false(qclock_from_context(bytes, n - 1, &back));
    bytes[0] = QCLOCK_MAX + 1;
    assert_false(qclock_from_context(bytes, n, &back));
}

/* ---- record sets ---- */

/* Merging keeps what no record covers, unites the dots of one write and folds siblings as a
 * client reads them: the largest put plus every add. */
static void test_vclock_set_merge_keeps_siblings_and_unites_one_write(void **state)
{
    g_autoptr(GArray) set = g_array_new(FALSE, FALSE, sizeof(QRecord));
    QRecord x = rec(1, OP_PUT, 5, dot(0, 0, 1), NULL, 0);
    QRecord y = rec(2, OP_PUT, 9, dot(1, 0, 1), NULL, 0);
    QRecord add = rec(3, OP_ADD, 2, dot(0, 0, 2), NULL, 0);
    QRecord again = rec(1, OP_PUT, 5, dot(2, 0, 4), NULL, 0); /* x issued twice */
    qvset_merge(set, (QRecord[]){x, y, add, again}, 4);
    assert_int_equal(set->len, 3);
    const QRecord *first = &g_array_index(set, QRecord, 0);
    assert_int_equal(first->idem, 1);
    assert_int_equal(first->clock.ndots, 2);
    Value v;
    assert_true(qvset_fold((const QRecord *)(const void *)set->data, set->len, &v));
    assert_int_equal(v, 11);
    /* A write that had seen x (under its second dot) and y replaces both; the add stays. */
    QRecord z = rec(4, OP_PUT, 1, dot(1, 0, 2), (QDot[]){exact(2, 4), upto(1, 0, 1)}, 2);
    qvset_merge(set, &z, 1);
    assert_int_equal(set->len, 2);
    QClock ctx;
    qvset_context((const QRecord *)(const void *)set->data, set->len, &ctx);
    assert_true(qclock_covers_dot(&ctx, dot(0, 0, 2)));
    assert_true(qclock_covers_dot(&ctx, dot(1, 0, 2)));
}

/* A record with a clock is written with it and read back the same; cut short, it is torn. */
static void test_vclock_record_encodes_with_its_clock(void **state)
{
    QRecord r = rec(77, OP_DELETE, 0, dot(2, 3, 40), (QDot[]){upto(1, 0, 9), exact(0, 5)}, 2);
    r.hinted = 1;
    r.hint_for = 4;
    DiskBlock b;
    quorum_encode_record(&b, &r);
    assert_int_equal(b.type, QBLK_VHINT);
    QBlock qb;
    assert_int_equal(quorum_decode(&b, &qb), BLOCK_OK);
    assert_int_equal(qb.rec.idem, 77);
    assert_int_equal(qb.rec.hint_for, 4);
    assert_true(qclock_equal(&qb.rec.clock, &r.clock));
    b.len -= 3;
    assert_int_equal(quorum_decode(&b, &qb), BLOCK_TORN);
    /* A record without dots keeps the layout it always had. */
    QRecord plain = {.key = 1, .op = OP_PUT, .hint_for = ENDPOINT_NONE, .value = 3, .idem = 9};
    quorum_encode_record(&b, &plain);
    assert_int_equal(b.type, QBLK_DATA);
    assert_int_equal(b.len, 39);
}

/* ---- worlds ---- */

static void run_text(const char *text, RunResult *out)
{
    GError *error = NULL;
    g_autoptr(Scenario) s =
        scenario_load_data(text, strlen(text), "test_quorum_vclock.ini", &error);
    if (error)
        fail_msg("%s", error->message);
    RunOptions opt = {.keep_trace = TRUE};
    assert_true(runner_run(s, &opt, out, &error));
}

static const char concurrent_scenario[] =
    "[scenario]\nname = concurrent\nsummary = test\nprotocol = quorum\nseed = 5\n"
    "[cluster]\nresolution = vclock\nwrite_quorum = 3\nread_quorum = 1\n"
    "[workload]\nclients = 3\n"
    "[op a]\nat = 0ms\nclient = c1\nkind = put\nkey = k\nvalue = 10\n"
    "[op b]\nat = 0ms\nclient = c2\nkind = put\nkey = k\nvalue = 30\n"
    "[op c]\nat = 0ms\nclient = c3\nkind = add\nkey = k\nvalue = 5\n"
    "[op read]\nat = 300ms\nclient = c1\nkind = get\nkey = k\n"
    "[op again]\nat = 600ms\nclient = c2\nkind = get\nkey = k\n"
    "[expect]\nviolations = none\n";

/* Three concurrent writes (two puts and an add) are all kept; the get that returns them makes
 * its client write back the largest put, which covers both puts; the deposit stays beside it. */
static void test_vclock_world_concurrent_writes_are_siblings_and_reconciled(void **state)
{
    RunResult r;
    run_text(concurrent_scenario, &r);
    assert_true(r.passed);
    History *h = world_history(r.world);
    const HistOp *read = history_find(h, "read"), *again = history_find(h, "again");
    assert_int_equal(read->nsib, 3);
    assert_int_equal(read->result, 35);
    assert_int_equal(again->nsib, 2);
    assert_int_equal(again->result, 35);
    assert_int_equal(r.stats.client_reconciles, 1);
    assert_int_equal(r.verdict.lost_updates, 0);
    run_result_clear(&r);
}

static const char lost_disk_scenario[] =
    "[scenario]\nname = lost-disk\nsummary = test\nprotocol = quorum\nseed = 9\n"
    "[cluster]\nresolution = vclock\nnodes = 3\nwrite_quorum = 2\nread_quorum = 2\n"
    "[op before]\nat = 0ms\nkind = put\nkey = k\nvalue = 1\n"
    "[fault loss]\nat = 100ms\nkind = disk-loss\nnode = r%u\n"
    "[op after]\nat = 2s\nkind = put\nkey = k\nvalue = 2\n"
    "[expect]\nviolations = none\nop.after = ok\nfinal.k = 2\n";

/* Block i of a replica's durable log (its segment files, quorum.h). */
static gboolean durable_log_block(Disk *d, uint32_t i, DiskBlock *b)
{
    char path[FS_PATH_MAX];
    quorum_segment_path(i / QUORUM_SEGMENT_BLOCKS, path, sizeof path);
    gint f = disk_lookup(d, path, TRUE);
    return f >= 0 && disk_durable_block(d, (guint)f, i % QUORUM_SEGMENT_BLOCKS, b);
}

/* The key's issuer loses its disk: once repaired it issues under a new epoch, written down
 * first, so that its counter, which starts again, never names an earlier dot. */
static void test_vclock_world_issuer_that_lost_its_disk_takes_a_new_epoch(void **state)
{
    /* Which replica issues for k: the first of its preference list; try each as the victim and
     * require that one of them wrote an epoch block and issued under it. */
    gboolean seen = FALSE;
    for (guint victim = 1; victim <= 3; victim++) {
        g_autofree char *text = g_strdup_printf(lost_disk_scenario, victim);
        RunResult r;
        run_text(text, &r);
        assert_true(r.passed);
        EndpointId node = (EndpointId)(victim - 1);
        Disk *d = world_disk(r.world, node);
        guint len = disk_nfiles(d) * QUORUM_SEGMENT_BLOCKS; /* an upper bound */
        guint epoch = 0;
        gboolean issued = FALSE;
        for (uint32_t i = 0; i < len; i++) {
            DiskBlock b;
            QBlock qb;
            if (!durable_log_block(d, i, &b) || quorum_decode(&b, &qb) != BLOCK_OK)
                continue;
            if (qb.type == QBLK_EPOCH)
                epoch = qb.block;
            if (qb.type == QBLK_VDATA && epoch > 0 && qactor_node(qb.rec.clock.e[0].actor) == node)
                issued |= qactor_epoch(qb.rec.clock.e[0].actor) == epoch;
        }
        seen |= issued;
        run_result_clear(&r);
    }
    assert_true(seen);
}

/* The bug variant drops one of two concurrent acked puts: the oracles name it. */
static void test_vclock_world_bug_concurrent_as_descendant_loses_a_sibling(void **state)
{
    GError *error = NULL;
    g_autoptr(Scenario) s =
        scenario_load_file("scenarios/bug-vclock-concurrent-as-descendant.ini", &error);
    assert_non_null(s);
    RunResult r;
    RunOptions opt = {0};
    assert_true(runner_run(s, &opt, &r, &error));
    assert_true(r.passed);
    assert_true(r.verdict.kinds & (1u << V_LOST_UPDATE));
    run_result_clear(&r);
    /* Without the bug the same run keeps both. */
    s->config.bugs = 0;
    assert_true(runner_run(s, &opt, &r, &error));
    assert_int_equal(r.verdict.kinds, 0);
    run_result_clear(&r);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vclock_same_issuer_writes_are_concurrent),
        cmocka_unit_test(test_vclock_past_folds_exact_dots_into_the_vector),
        cmocka_unit_test(test_vclock_truncation_drops_smallest_and_marks),
        cmocka_unit_test(test_vclock_context_bytes_round_trip),
        cmocka_unit_test(test_vclock_set_merge_keeps_siblings_and_unites_one_write),
        cmocka_unit_test(test_vclock_record_encodes_with_its_clock),
        cmocka_unit_test(test_vclock_world_concurrent_writes_are_siblings_and_reconciled),
        cmocka_unit_test(test_vclock_world_issuer_that_lost_its_disk_takes_a_new_epoch),
        cmocka_unit_test(test_vclock_world_bug_concurrent_as_descendant_loses_a_sibling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
