/* tests/test_marks.c — reachability marks: every protocol's table and the world's are named,
 * summarised and unique; a run counts the marks of the branches its story takes (and not those it
 * does not); an instance made without the runtime's counters counts into the sink; and a
 * campaign's totals add the seeds' marks up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/raft/raft_marks.h"
#include "reports/marks.h"
#include "sim/campaign.h"
#include "sim/protocols.h"

#include <string.h>

static int setup(void **state)
{
    protocols_install();
    return 0;
}

static void check_table(const Mark *marks, guint n)
{
    for (guint i = 0; i < n; i++) {
        assert_non_null(marks[i].name);
        assert_non_null(marks[i].summary);
        assert_true(strlen(marks[i].summary) > 10);
        assert_null(strchr(marks[i].name, ' '));
        assert_null(strchr(marks[i].name, ':'));
        for (guint j = 0; j < i; j++)
            assert_string_not_equal(marks[i].name, marks[j].name);
    }
}

/* Every mark has a name without blanks or colons (reports qualify it as PROTOCOL:NAME), a summary,
 * and a name unique in its table. */
static void test_marks_tables_are_named_summarised_and_unique(void **state)
{
    for (guint i = 0; i < protocol_count(); i++) {
        const Protocol *p = protocol_at(i);
        assert_true(p->n_marks > 0 && p->n_marks <= MARK_MAX);
        check_table(p->marks, p->n_marks);
    }
    check_table(world_marks, WORLD_MARK_COUNT);
}

static void run_file(const char *path, RunResult *r)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Scenario) s = scenario_load_file(path, &err);
    assert_non_null(s);
    RunOptions opt = {0};
    assert_true(runner_run(s, &opt, r, NULL));
    assert_true(r->passed);
}

/* The sloppy-quorum story: the dead replica's RPC times out, a standby is recruited (at once, for
 * the second write), the standby keeps a hint. No read repair happens, no disk fails. */
static void test_marks_sloppy_failover_story_reaches_its_branches(void **state)
{
    RunResult r;
    run_file("scenarios/quorum-sloppy-dead-replica.ini", &r);
    const MarkCount *m = r.stats.marks;
    assert_true(m[QMARK_COORD_RPC_TIMEOUT] > 0);
    assert_true(m[QMARK_COORD_STANDBY] > 0);
    assert_true(m[QMARK_COORD_SUSPECT_AT_START] > 0);
    assert_true(m[QMARK_REPLICA_STORE_HINT] > 0);
    assert_int_equal(m[QMARK_COORD_QUORUM_MET], 3); /* the two writes and the liveness probe */
    assert_int_equal(m[QMARK_REPLICA_FSYNC_FAILED_FORGET], 0);
    assert_int_equal(m[QMARK_REPLICA_BOOT_LOST_DISK], 0);
    assert_true(r.stats.world_marks[WMARK_NODE_CRASH_POWER] +
                    r.stats.world_marks[WMARK_NODE_CRASH_PROCESS] ==
                1);
    assert_true(r.stats.world_marks[WMARK_NET_DROP_CRASHED] > 0);
    run_result_clear(&r);
}

/* The catch-up story: the restarted follower refuses appends beyond its log, the leader backs up
 * and the follower appends what it missed; nobody lost data, so no repair. */
static void test_marks_catch_up_story_reaches_its_branches(void **state)
{
    RunResult r;
    run_file("scenarios/raft-follower-catch-up.ini", &r);
    const MarkCount *m = r.stats.marks;
    assert_true(m[RMARK_ELECTION_WON] > 0);
    assert_true(m[RMARK_BOOT_RESTART] > 0);
    assert_true(m[RMARK_APPEND_GAP] > 0);
    assert_true(m[RMARK_APPEND_RESP_BACKTRACK] > 0);
    assert_true(m[RMARK_APPEND_ENTRIES] > 0);
    assert_int_equal(m[RMARK_REPAIR_PROBE_SENT], 0);
    assert_int_equal(m[RMARK_BOOT_LOG_DAMAGED], 0);
    assert_true(r.stats.world_marks[WMARK_NODE_BOOT_RESTART] == 1);
    run_result_clear(&r);
}

/* A fault struck on a mark fires right after the step that reached it: the fsync errors given
 * when r2 began its repair fail the repair's first batches, which are asked for again. */
static void test_marks_fault_on_a_mark_strikes_after_that_step(void **state)
{
    RunResult r;
    run_file("scenarios/quorum-repair-disk-errors.ini", &r);
    const MarkCount *m = r.stats.marks;
    assert_true(m[QMARK_REPLICA_REPAIR_START] >= 2); /* the first, and the one after the loss */
    assert_true(m[QMARK_REPLICA_REPAIR_BATCH_LOST] > 0);
    assert_true(m[QMARK_REPLICA_REPAIR_DONE] > 0);
    assert_int_equal(r.fired->len, 2);
    const FiredFault *loss = &g_array_index(r.fired, FiredFault, 0);
    const FiredFault *errors = &g_array_index(r.fired, FiredFault, 1);
    assert_true(errors->time > loss->time && errors->time < loss->time + 20 * SIM_MS);
    assert_int_equal(r.stats.fsync_errors, 2);
    run_result_clear(&r);
}

/* A unit test's instance (no runtime counters) counts into the thread's sink. */
static void test_marks_instance_without_counters_counts_into_the_sink(void **state)
{
    const Protocol *q = protocol_find("quorum");
    WorldConfig cfg;
    world_config_init(&cfg, q);
    cfg.nodes = 3;
    q->config_resolve(&cfg, 0);
    uint64_t hash = 1;
    SimRng rng;
    sim_rng_stream(&rng, 1, "node", 0);
    ProtoInit init = {.config = &cfg,
                      .self = 0,
                      .nodes = 3,
                      .clients = 1,
                      .keys = 1,
                      .key_hashes = &hash,
                      .rng = &rng,
                      .incarnation = 1};
    MarkCount before = mark_sink()[QMARK_REPLICA_BOOT_FIRST];
    void *p = quorum_replica_ops.create(&init);
    ProtoDiskImage img = {.nfiles = 1};
    DiskBlock none[1];
    int errors[1] = {0};
    img.blocks[0] = none;
    img.errors[0] = errors;
    ProtoEvent ev = {.kind = PEV_BOOT, .image = &img, .first_boot = TRUE};
    ActionList out;
    action_list_init(&out);
    quorum_replica_ops.step(p, &ev, &out);
    assert_int_equal(mark_sink()[QMARK_REPLICA_BOOT_FIRST], before + 1);
    action_list_clear(&out);
    quorum_replica_ops.destroy(p);
    world_config_clear(&cfg);
}

/* A campaign's totals are the sum of its seeds' marks; the tally names them PROTOCOL:NAME and
 * world:NAME and says which are owed. */
static void test_marks_campaign_totals_add_up_the_seeds(void **state)
{
    const Protocol *p = protocol_find("raft");
    CampaignSpec spec = {p, FAULTS_WITHIN, 0};
    WorldStats sum = {0};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        SeedResult r;
        campaign_run_seed(&spec, seed, &r);
        campaign_add_stats(&sum, &r.stats);
        seed_result_clear(&r);
    }
    CampaignSeeds seeds = {1, 20, 1, 1};
    CampaignRun run = {.jobs = 2};
    CampaignTotals t;
    campaign_run(&spec, &seeds, &run, &t);
    assert_memory_equal(t.cover.marks, sum.marks, sizeof sum.marks);
    assert_memory_equal(t.cover.world_marks, sum.world_marks, sizeof sum.world_marks);
    assert_true(t.cover.marks[RMARK_ELECTION_WON] >= 20);
    GArray *tally = mark_tally_new(&t.cover, p);
    assert_int_equal(tally->len, p->n_marks + WORLD_MARK_COUNT);
    const MarkTally *first = &g_array_index(tally, MarkTally, 0);
    g_autofree char *name = g_strdup_printf("raft:%s", p->marks[0].name);
    assert_string_equal(first->name, name);
    const MarkTally *busy = &g_array_index(tally, MarkTally, RMARK_CLIENT_BUSY);
    assert_non_null(busy->unowed);
    const MarkTally *w0 = &g_array_index(tally, MarkTally, p->n_marks);
    assert_string_equal(w0->name, "world:net.drop.partition");
    mark_tally_free(tally);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_tables_are_named_summarised_and_unique),
        cmocka_unit_test(test_marks_sloppy_failover_story_reaches_its_branches),
        cmocka_unit_test(test_marks_catch_up_story_reaches_its_branches),
        cmocka_unit_test(test_marks_fault_on_a_mark_strikes_after_that_step),
        cmocka_unit_test(test_marks_instance_without_counters_counts_into_the_sink),
        cmocka_unit_test(test_marks_campaign_totals_add_up_the_seeds),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
