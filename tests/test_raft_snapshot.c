/* tests/test_raft_snapshot.c — Raft's snapshots and log compaction (model/raft/raft.c, Raft §7)
 * in the world: scenarios run with their trace and world kept, and the tests read the ground
 * truth — the order of each server's disk operations, its durable snapshot file and its durable
 * log — and the protocol's reachability marks.
 *
 *   - a snapshot is durable (temp file written and fsynced, renamed, directory fsynced) before
 *     any segment of the log below it is unlinked; the durable log keeps the segments that hold
 *     the trailing entries below the snapshot and everything after it;
 *   - a follower whose next entry the leader compacted gets the snapshot in chunks, installs it
 *     only once durable, and catches up with the entries after it;
 *   - a server restarted (power cut) rebuilds its state machine and sessions from its snapshot
 *     and the log after it;
 *   - without snapshot.threshold nothing of this happens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/history.h"
#include "model/raft/raft.h"
#include "reports/raft/raft_durable.h"
#include "model/raft/raft_marks.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

typedef struct {
    RunResult r;
    World *w;
} Run;

static void run_text(Run *out, const char *text)
{
    GError *error = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "test_raft_snapshot", &error);
    if (s == NULL)
        fail_msg("scenario: %s", error->message);
    RunOptions opt = {.keep_trace = TRUE};
    memset(out, 0, sizeof *out);
    assert_true(runner_run(s, &opt, &out->r, &error));
    scenario_free(s);
    out->w = out->r.world;
    assert_non_null(out->w);
    if (!out->r.passed) {
        for (guint i = 0; i < out->r.verdict.violations->len; i++) {
            const Violation *x = g_ptr_array_index(out->r.verdict.violations, i);
            print_message("%s: %s\n", violation_kind_name(x->kind), x->text);
        }
        fail_msg("the run did not pass");
    }
}

static void run_clear(Run *run)
{
    run_result_clear(&run->r);
}

static MarkCount mark(const Run *run, RaftMark m)
{
    return run->r.stats.marks[m];
}

static uint64_t fp_hits(const Run *run, RaftFailpoint fp)
{
    return run->r.stats.failpoints_hit[protocol_failpoint_index(&raft_protocol, fp)];
}

/* Node's durable snapshot header; FALSE if it has none. */
static gboolean durable_snapshot(World *w, EndpointId node, RaftSnapHead *h)
{
    Disk *d = world_disk(w, node);
    gint file = disk_lookup(d, RAFT_SNAP_PATH, TRUE);
    DiskBlock b;
    return file >= 0 && disk_durable_block(d, (guint)file, 0, &b) &&
           raft_decode_snap_head(&b, h) == BLOCK_OK;
}

/* Whether node's durable log holds an entry at `index` (and which). */
static gboolean durable_entry(World *w, EndpointId node, uint64_t index, RaftEntry *e)
{
    return raft_durable_entry(world_disk(w, node), index, e) && e->index == index;
}

#define SNAPSHOTS_TEXT                                                                             \
    "[scenario]\nname = snapshots\nsummary = one client, snapshots every 8 entries\n"              \
    "protocol = raft\nseed = 3\n"                                                                  \
    "[cluster]\nnodes = 3\nsnapshot.threshold = 8\nsnapshot.trailing = 2\n"                        \
    "[workload]\nclients = 1\nops = 200\nkeys = 4\nmix = put:3 add:1\nclient.retries = 10\n"

/* Every server unlinks a log segment only after its first snapshot is durable (the failpoint
 * raft.snapshot.written marks it: after the rename and the root's fsync); at the end its durable
 * log holds the segments with the two trailing entries below its snapshot and every entry after
 * it, and none of the segments wholly below. */
static void test_snapshot_is_durable_before_its_log_is_compacted(void **st)
{
    Run run;
    run_text(&run, SNAPSHOTS_TEXT);
    assert_true(mark(&run, RMARK_SNAPSHOT_TAKE) >= 60);
    assert_true(fp_hits(&run, RAFT_FP_SNAPSHOT_WRITTEN) >= 60);
    const GArray *recs = world_trace_records(run.w);
    for (EndpointId n = 0; n < 3; n++) {
        gboolean written = FALSE, unlinked = FALSE;
        for (guint k = 0; k < recs->len && !unlinked; k++) {
            const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
            if (x->node != n)
                continue;
            if (x->kind == SIM_TR_FAILPOINT && x->sub == RAFT_FP_SNAPSHOT_WRITTEN)
                written = TRUE;
            if (x->kind == SIM_TR_DISK_OP && x->sub == DISKOP_UNLINK) {
                unlinked = TRUE;
                assert_true(written);
            }
        }
        assert_true(unlinked);
        RaftSnapHead h;
        assert_true(durable_snapshot(run.w, n, &h));
        assert_true(h.index >= 160);
        uint64_t kept = (h.index - 2) / RAFT_SEGMENT_ENTRIES * RAFT_SEGMENT_ENTRIES;
        RaftEntry e;
        assert_false(durable_entry(run.w, n, 1, &e));
        assert_false(durable_entry(run.w, n, kept, &e));
        for (uint64_t i = kept + 1; i <= h.index + 1; i++)
            assert_true(durable_entry(run.w, n, i, &e));
    }
    run_clear(&run);
}

#define INSTALL_TEXT                                                                               \
    "[scenario]\nname = install\nsummary = a follower back after the leader compacted\n"           \
    "protocol = raft\nseed = 2\n"                                                                  \
    "[cluster]\nnodes = 3\nsnapshot.threshold = 16\nsnapshot.trailing = 4\nsnapshot.chunk = 1\n"   \
    "[workload]\nclients = 2\nops = 120\nkeys = 24\nmix = put:3 add:1 get:1\n"                     \
    "client.retries = 10\n"                                                                        \
    "[fault follower-down]\nat = 400ms\nkind = crash\nnode = follower\nmode = power\n"             \
    "restart_after = 2s\n"

/* The follower that was down installs the leader's snapshot (sent one block per message,
 * header first) and ends with the same snapshot-or-later state as the others: a durable
 * snapshot, no log below it, every entry after it. */
static void test_snapshot_install_catches_up_a_follower_past_the_compacted_log(void **st)
{
    Run run;
    run_text(&run, INSTALL_TEXT);
    assert_int_equal(mark(&run, RMARK_SNAPSHOT_INSTALL_START), 1);
    assert_int_equal(mark(&run, RMARK_SNAPSHOT_INSTALL_DISCARD), 1);
    assert_int_equal(fp_hits(&run, RAFT_FP_SNAPSHOT_INSTALLED), 1);
    assert_true(mark(&run, RMARK_SNAPSHOT_SEND) >= 3); /* header and data, one per message */
    const SimTraceRecord *crash = NULL;
    const GArray *recs = world_trace_records(run.w);
    for (guint k = 0; k < recs->len && !crash; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        if (x->kind == SIM_TR_FAULT && x->sub == FAULT_CRASH)
            crash = x;
    }
    assert_non_null(crash);
    EndpointId back = crash->node;
    RaftSnapHead mine, theirs;
    assert_true(durable_snapshot(run.w, back, &mine));
    uint64_t last = 0;
    for (EndpointId n = 0; n < 3; n++) {
        RaftSnapHead h;
        assert_true(durable_snapshot(run.w, n, &h));
        uint64_t i = h.index + 1;
        RaftEntry e;
        while (durable_entry(run.w, n, i, &e))
            i++;
        last = MAX(last, i - 1);
        if (n != back)
            theirs = h;
    }
    assert_true(mine.index >= 16);
    assert_true(theirs.index >= mine.index);
    RaftEntry e;
    if (mine.index >= RAFT_SEGMENT_ENTRIES)
        assert_false(durable_entry(run.w, back, 1, &e)); /* its old log is gone */
    for (uint64_t i = mine.index + 1; i <= last; i++)
        assert_true(durable_entry(run.w, back, i, &e));
    run_clear(&run);
}

#define RESTART_TEXT                                                                               \
    "[scenario]\nname = restart\nsummary = every server restarts from its snapshot\n"              \
    "protocol = raft\nseed = 5\n"                                                                  \
    "[cluster]\nnodes = 3\nsnapshot.threshold = 8\nsnapshot.trailing = 0\n"                        \
    "[workload]\nclients = 1\nclient.retries = 10\n"                                               \
    "[op a1]\nat = 400ms\nkind = add\nkey = k0\nvalue = 1\n"                                       \
    "[op a2]\nat = 450ms\nkind = add\nkey = k0\nvalue = 2\n"                                       \
    "[op a3]\nat = 500ms\nkind = add\nkey = k0\nvalue = 3\n"                                       \
    "[op a4]\nat = 550ms\nkind = add\nkey = k0\nvalue = 4\n"                                       \
    "[op a5]\nat = 600ms\nkind = add\nkey = k0\nvalue = 5\n"                                       \
    "[op a6]\nat = 650ms\nkind = add\nkey = k0\nvalue = 6\n"                                       \
    "[op a7]\nat = 700ms\nkind = add\nkey = k0\nvalue = 7\n"                                       \
    "[op a8]\nat = 750ms\nkind = add\nkey = k0\nvalue = 8\n"                                       \
    "[op a9]\nat = 800ms\nkind = add\nkey = k0\nvalue = 9\n"                                       \
    "[op a10]\nat = 850ms\nkind = add\nkey = k0\nvalue = 10\n"                                     \
    "[fault n1-down]\nat = 1s\nkind = crash\nnode = n1\nmode = power\nrestart_after = 500ms\n"     \
    "[fault n2-down]\nat = 1s\nkind = crash\nnode = n2\nmode = power\nrestart_after = 500ms\n"     \
    "[fault n3-down]\nat = 1s\nkind = crash\nnode = n3\nmode = power\nrestart_after = 500ms\n"     \
    "[op after]\nat = 3s\nkind = add\nkey = k0\nvalue = 100\n"                                     \
    "[expect]\nviolations = none\nop.a10 = ok\nop.after = ok\nfinal.k0 = 155\n"

/* Every server loses power after its snapshot and comes back from it and the log after it: the
 * adds before the snapshot are in its state machine, not replayed; the sum is right. */
static void test_snapshot_restart_rebuilds_the_state_machine(void **st)
{
    Run run;
    run_text(&run, RESTART_TEXT);
    assert_int_equal(mark(&run, RMARK_BOOT_SNAPSHOT), 3);
    assert_int_equal(mark(&run, RMARK_BOOT_SNAPSHOT_DAMAGED), 0);
    run_clear(&run);
}

/* Without snapshot.threshold no snapshot is taken, no snapshot file is made and no segment is
 * unlinked. */
static void test_snapshot_none_without_a_threshold(void **st)
{
    Run run;
    run_text(&run, "[scenario]\nname = plain\nsummary = no snapshots\nprotocol = raft\nseed = 3\n"
                   "[cluster]\nnodes = 3\n"
                   "[workload]\nclients = 1\nops = 40\nkeys = 4\nclient.retries = 10\n");
    assert_int_equal(mark(&run, RMARK_SNAPSHOT_TAKE), 0);
    for (EndpointId n = 0; n < 3; n++) {
        assert_true(disk_lookup(world_disk(run.w, n), RAFT_SNAP_PATH, FALSE) < 0);
        assert_true(disk_lookup(world_disk(run.w, n), RAFT_SNAP_TMP, FALSE) < 0);
    }
    const GArray *recs = world_trace_records(run.w);
    for (guint k = 0; k < recs->len; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        assert_false(x->kind == SIM_TR_DISK_OP && x->sub == DISKOP_UNLINK);
    }
    run_clear(&run);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_is_durable_before_its_log_is_compacted),
        cmocka_unit_test(test_snapshot_install_catches_up_a_follower_past_the_compacted_log),
        cmocka_unit_test(test_snapshot_restart_rebuilds_the_state_machine),
        cmocka_unit_test(test_snapshot_none_without_a_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
