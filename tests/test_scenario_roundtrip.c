/* tests/test_scenario_roundtrip.c — the round-trip property of the scenario format: a scenario,
 * written, loads again as an equal scenario (scenario_difference finds nothing), writes again to
 * the same bytes, and runs to the same trace hash and verdict. Checked on every file of the
 * library, on files that use every construct of the format, on generated scenarios (what
 * `durasim replay --export` writes for a campaign's seed, with and without bug variants, faults
 * within and beyond the model), and on the regression inputs the fuzz target found. Also the
 * conventions of the library: each file's name is its scenario's name, and names are unique.
 *
 * `test_scenario_roundtrip [SEEDS]`: how many seeds per protocol and fault setting the
 * generated-scenario tests check (default GENERATED_SEEDS); every one is also run twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scenarios/generate.h"
#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

#define GENERATED_SEEDS 50

static uint64_t generated_seeds = GENERATED_SEEDS;

/* The library folder: found from the working directory (tests/run-all.sh runs from the
 * repository root) or, failing that, from this binary's own path (build/X/tests/NAME). The
 * loader's source beside the .ini files marks the right folder. Caller frees. */
static char *library_dir(void)
{
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    const char *starts[] = {cwd, exe};
    for (gsize i = 0; i < G_N_ELEMENTS(starts); i++) {
        if (!starts[i])
            continue;
        char *dir = g_strdup(starts[i]);
        for (int up = 0; up < 6; up++) {
            g_autofree char *marker = g_build_filename(dir, "scenarios", "load.c", NULL);
            if (g_file_test(marker, G_FILE_TEST_IS_REGULAR)) {
                char *found = g_build_filename(dir, "scenarios", NULL);
                g_free(dir);
                return found;
            }
            char *parent = g_path_get_dirname(dir);
            g_free(dir);
            dir = parent;
        }
        g_free(dir);
    }
    return NULL;
}

/* The library's files, sorted; fails the test if the folder or its files cannot be found. */
static char **library_files(void)
{
    g_autofree char *dir = library_dir();
    if (!dir)
        fail_msg("cannot find the scenarios/ folder from the working directory or the binary");
    g_autoptr(GError) error = NULL;
    char **files = scenario_list_dir(dir, &error);
    assert_non_null(files);
    assert_non_null(files[0]);
    return files;
}

static Scenario *load_text(const char *text, const char *origin)
{
    g_autoptr(GError) error = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), origin, &error);
    if (!s)
        fail_msg("%s does not load: %s\n--- text ---\n%s", origin, error->message, text);
    return s;
}

static void run(const Scenario *s, RunResult *r)
{
    RunOptions opt = {0};
    g_autoptr(GError) error = NULL;
    assert_true(runner_run(s, &opt, r, &error));
}

/* Two runs agree: the same trace, the same violations and counts, the same judgement. */
static void assert_same_run(const RunResult *a, const RunResult *b, const char *what)
{
    if (a->trace_hash != b->trace_hash)
        fail_msg("%s: trace hash %016" G_GINT64_MODIFIER
                 "x, after the round trip %016" G_GINT64_MODIFIER "x",
                 what, a->trace_hash, b->trace_hash);
    assert_int_equal(a->trace_records, b->trace_records);
    assert_int_equal(a->passed, b->passed);
    assert_int_equal(a->verdict.kinds, b->verdict.kinds);
    assert_memory_equal(a->verdict.counts, b->verdict.counts, sizeof a->verdict.counts);
    assert_int_equal(a->verdict.acked, b->verdict.acked);
    assert_int_equal(a->verdict.failed, b->verdict.failed);
    assert_int_equal(a->verdict.indeterminate, b->verdict.indeterminate);
    assert_int_equal(a->verdict.orphans, b->verdict.orphans);
    assert_int_equal(a->judgement.within, b->judgement.within);
    assert_int_equal(a->failures->len, b->failures->len);
    for (guint i = 0; i < a->failures->len; i++)
        assert_string_equal(g_ptr_array_index(a->failures, i), g_ptr_array_index(b->failures, i));
}

/* The round-trip property on `s` (equal scenario, same text), and the reloaded scenario runs
 * to the same trace hash and verdict. */
static void assert_round_trip(const Scenario *s, const char *what)
{
    g_autoptr(GError) error = NULL;
    if (!scenario_check_round_trip(s, &error))
        fail_msg("%s: %s", what, error->message);
    g_autofree char *text = scenario_to_data(s);
    g_autofree char *origin = g_strdup_printf("%s (written)", what);
    g_autoptr(Scenario) again = load_text(text, origin);
    RunResult before, after;
    run(s, &before);
    run(again, &after);
    assert_same_run(&before, &after, what);
    run_result_clear(&before);
    run_result_clear(&after);
}

/* Every library file, written and reloaded, runs to the same trace hash and verdict, and the
 * canonical text is a fixed point of load-then-write. */
static void test_scenario_library_files_round_trip_to_the_same_run(void **state)
{
    g_auto(GStrv) files = library_files();
    for (int i = 0; files[i]; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(Scenario) s = scenario_load_file(files[i], &error);
        if (!s)
            fail_msg("%s", error->message);
        assert_round_trip(s, files[i]);
    }
}

/* A quorum file that uses every quorum construct: all cluster and workload keys, bugs, every
 * fault kind that acts on the network or a disk, roles, failpoints with nth, and every kind of
 * expectation. */
static const char every_quorum_construct[] =
    "[scenario]\nname = every-quorum-construct\nsummary = uses every key of the format\n"
    "protocol = quorum\nseed = 99\nduration = 20s\nsettle = 1500ms\nbugs = no-dedup\n"
    "[cluster]\nnodes = 5\ncoordinators = 2\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"
    "sloppy = yes\nfs = xfs\nnet.latency = 500us..3ms\ndisk.write_latency = 20us\n"
    "disk.fsync_latency = 1ms..2ms\nrequest_timeout = 800ms\nretry.attempts = 2\n"
    "retry.backoff = 5ms..50ms\n"
    "[workload]\nclients = 3\nops = 30\nkeys = 4\nmix = put:5, get:3 add:1 delete:1\n"
    "client.timeout = 1500ms\nclient.retries = 1\n"
    "[op first]\nat = 0ms\nclient = c2\nkind = add\nkey = acct:1\nvalue = -200\n"
    "idempotency = dep-1\n"
    "[op read]\nat = 3s\nkind = get\nkey = acct:1\n"
    "[op gone]\nat = 100ms\nclient = c3\nkind = delete\nkey = other\n"
    "[fault crash]\nat = 50ms\nkind = crash\nnode = r1\nmode = process\nrestart_after = 300ms\n"
    "[fault restart]\nat = 200ms\nkind = restart\nnode = r1\n"
    "[fault pause]\non = replica.synced\nnth = 3\nkind = pause\nnode = replica\nfor = 100ms\n"
    "[fault split]\nat = 400ms\nkind = partition\ngroups = r1 r2 | r3 co2 c3 | r4\nfor = 200ms\n"
    "[fault iso]\non = coord.quorum\nkind = isolate\nnode = coordinator\nfor = 50ms\n"
    "[fault one]\nat = 500ms\nkind = oneway\nfrom = co1 co2\nto = r5, r4\nfor = 100ms\n"
    "[fault drop]\nat = 600ms\nkind = drop\nlink = *->r2\nprobability = 0.250\nfor = 100ms\n"
    "[fault dup]\nat = 600ms\nkind = duplicate\nlink = co1->*\nprobability = 1\n"
    "[fault slow]\nat = 700ms\nkind = delay\nlink = r3->co1\nlatency = 10ms..30ms\nfor = 80ms\n"
    "[fault heal]\nat = 1s\nkind = heal\n"
    "[fault eio]\non = replica.written\nnode = r2\nkind = fsync-error\nerrno = ENOSPC\ncount = 2\n"
    "[fault werr]\nat = 10ms\nkind = write-error\nnode = r3\ncount = 1\n"
    "[fault rot]\nat = 1200ms\nkind = sector-error\nnode = r4\ncount = 3\n"
    "[fault flip]\nat = 1300ms\nkind = corrupt\nnode = any\ncount = 2\n"
    "[fault lag]\nat = 1400ms\nkind = slow-disk\nnode = r5\nlatency = 2ms\nfor = 300ms\n"
    "[fault wipe]\nat = 1500ms\nkind = disk-loss\nnode = r5\n"
    "[fault skew]\nat = 0ms\nkind = clock-skew\nnode = c1\noffset = -50ms\n"
    "[expect]\nviolations.include = duplicate\nop.first = ok\nop.first.latency = 0ms..1s\n"
    "op.read.latency = 3ms\nop.gone = ok\nacked = 20\nfailed = 0\nindeterminate = 0\n"
    "orphans = 0\nduplicates = 1\nfinal.acct:1 = -200\nfinal.other = absent\n";

/* A raft file with every raft construct: timeouts, batching, roles and raft failpoints. */
static const char every_raft_construct[] =
    "[scenario]\nname = every-raft-construct\nsummary = uses every raft key of the format\n"
    "protocol = raft\nseed = 5\nbugs = commit-old-term, no-session\n"
    "[cluster]\nnodes = 5\nfs = btrfs\nelection_timeout = 120ms..240ms\nheartbeat = 30ms\n"
    "batch.entries = 4\nbatch.delay = 2ms\nrequest_timeout = 700ms\n"
    "[workload]\nclients = 2\nops = 20\nkeys = 2\nmix = put:1 get:1\n"
    "[op w]\nat = 500ms\nkind = put\nkey = x\nvalue = 7\n"
    "[fault leader]\non = raft.elected\nnode = leader\nkind = isolate\nfor = 400ms\n"
    "[fault voter]\non = raft.voted\nnth = 2\nkind = crash\nnode = follower\nmode = power\n"
    "restart_after = 100ms\n"
    "[fault late]\non = raft.committed\nkind = crash\n"
    "[fault back]\nat = 2s\nkind = restart\nnode = any\n"
    "[fault fsync]\non = raft.follower.appended\nkind = fsync-error\nnode = n2\n"
    "[fault cand]\nat = 1s\nkind = pause\nnode = candidate\nfor = 20ms\n"
    "[expect]\nviolations = none\nop.w = ok\nfinal.x = 7\n";

/* Every construct of the format survives the writer: same run, same bytes when written again. */
static void test_scenario_every_construct_round_trips(void **state)
{
    g_autoptr(Scenario) q = load_text(every_quorum_construct, "every-quorum-construct.ini");
    assert_int_equal(q->faults.faults->len, 17);
    assert_round_trip(q, "every-quorum-construct");
    g_autoptr(Scenario) r = load_text(every_raft_construct, "every-raft-construct.ini");
    assert_round_trip(r, "every-raft-construct");
}

/* The equality the property uses can fail: a change to any setting a run reads is a difference,
 * named by its key; a change to what a run never reads (a raft setting of a quorum scenario, a
 * parameter the fault's kind does not take) is not. */
static void test_scenario_difference_names_each_changed_setting(void **state)
{
    g_autoptr(Scenario) a = load_text(every_quorum_construct, "every-quorum-construct.ini");
    g_autoptr(Scenario) b = load_text(every_quorum_construct, "every-quorum-construct.ini");
    assert_null(scenario_difference(a, b));
    FaultSpec *drop = g_ptr_array_index(b->faults.faults, 6);
    FaultSpec *crash = g_ptr_array_index(b->faults.faults, 0);
    ScriptedOp *op = g_ptr_array_index(b->config.scripted, 0);
    ExpectFinal *final = g_ptr_array_index(b->expect.finals, 0);
    struct {
        const char *expect;
        void *field;
        gsize size;
    } changes[] = {
        {"seed", &b->config.seed, sizeof b->config.seed},
        {"write_quorum", &quorum_config_mut(&b->config)->write_quorum,
         sizeof quorum_config(&b->config)->write_quorum},
        {"net.latency", &b->config.net_latency.hi, sizeof b->config.net_latency.hi},
        {"mix weight of get", &b->config.mix[OP_GET], sizeof b->config.mix[OP_GET]},
        {"[op first] value", &op->value, sizeof op->value},
        {"[fault drop] probability", &drop->num, sizeof drop->num},
        {"[fault drop] for", &drop->duration, sizeof drop->duration},
        {"[fault crash] restart_after", &crash->restart_after, sizeof crash->restart_after},
        {"[fault crash] at", &crash->at, sizeof crash->at},
        {"[expect] acked", &b->expect.acked, sizeof b->expect.acked},
        {"[expect] final.acct:1", &final->value, sizeof final->value},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(changes); i++) {
        guint8 saved[16];
        memcpy(saved, changes[i].field, changes[i].size);
        ((guint8 *)changes[i].field)[0] ^= 1;
        g_autofree char *diff = scenario_difference(a, b);
        if (!diff || !g_str_has_prefix(diff, changes[i].expect))
            fail_msg("changing %s: difference '%s'", changes[i].expect, diff ? diff : "(none)");
        memcpy(changes[i].field, saved, changes[i].size);
    }
    assert_null(scenario_difference(a, b));
    drop->offset = 7;          /* a clock-skew parameter: a drop never reads it */
    crash->latency.hi += 1000; /* a latency: a crash never reads it */
    assert_null(scenario_difference(a, b));
}

/* The writer states every setting: the written text of a minimal file names each default, so
 * that a later change of a default cannot change what an exported file means. */
static void test_scenario_written_text_states_every_setting(void **state)
{
    g_autoptr(Scenario) s = load_text("[scenario]\nname = m\nsummary = s\nprotocol = quorum\n"
                                      "[op a]\nat = 0ms\nkind = get\nkey = k\n",
                                      "minimal.ini");
    g_autofree char *text = scenario_to_data(s);
    static const char *const keys[] = {
        "seed=1\n",
        "duration=60s\n",
        "settle=5s\n",
        "nodes=3\n",
        "coordinators=1\n",
        "replicas=3\n",
        "write_quorum=2\n",
        "read_quorum=2\n",
        "sloppy=off\n",
        "fs=ext4-ordered\n",
        "net.latency=1ms..5ms\n",
        "disk.write_latency=10us..50us\n",
        "disk.fsync_latency=1ms..5ms\n",
        "request_timeout=1s\n",
        "retry.attempts=3\n",
        "retry.backoff=10ms..200ms\n",
        "clients=1\n",
        "ops=0\n",
        "keys=8\n",
        "mix=put:100\n",
        "client.timeout=2s\n",
        "client.retries=2\n",
        "client=c1\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        if (!strstr(text, keys[i]))
            fail_msg("written text lacks '%s':\n%s", keys[i], text);
}

/* The bug variants a campaign of the protocol can add (--bug), one per seed in turn, and none
 * for every other seed: exported seeds of campaigns with and without bugs. */
static BugSet campaign_bugs(const Protocol *protocol, uint64_t seed)
{
    if (seed % 2)
        return 0;
    g_assert(protocol->n_bugs > 0);
    return (BugSet)1 << ((seed / 2) % protocol->n_bugs);
}

static void round_trip_generated(const Protocol *protocol, FaultMode mode)
{
    for (uint64_t seed = 1; seed <= generated_seeds; seed++) {
        g_autoptr(Scenario) s = scenario_generate(protocol, seed, mode);
        s->config.bugs |= campaign_bugs(protocol, seed);
        g_autofree char *what =
            g_strdup_printf("%s seed %" G_GUINT64_FORMAT " (%s)", protocol_name(protocol), seed,
                            mode == FAULTS_WITHIN ? "within" : "beyond");
        assert_round_trip(s, what);
    }
}

/* Generated quorum scenarios, exported and reloaded, replay to the same trace hash. */
static void test_scenario_generated_quorum_scenarios_export_faithfully(void **state)
{
    round_trip_generated(&quorum_protocol, FAULTS_WITHIN);
    round_trip_generated(&quorum_protocol, FAULTS_BEYOND);
}

/* Generated raft scenarios, exported and reloaded, replay to the same trace hash. */
static void test_scenario_generated_raft_scenarios_export_faithfully(void **state)
{
    round_trip_generated(&raft_protocol, FAULTS_WITHIN);
    round_trip_generated(&raft_protocol, FAULTS_BEYOND);
}

/* Every library file loads, is named after its scenario (name = file name without .ini), and no
 * two files share a name. */
static void test_scenario_library_names_match_files_and_are_unique(void **state)
{
    g_auto(GStrv) files = library_files();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (int i = 0; files[i]; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(Scenario) s = scenario_load_file(files[i], &error);
        if (!s)
            fail_msg("%s", error->message);
        g_autofree char *base = g_path_get_basename(files[i]);
        base[strlen(base) - strlen(".ini")] = '\0';
        if (strcmp(s->name, base) != 0)
            fail_msg("%s: name = %s, but the file is named %s.ini", files[i], s->name, base);
        const char *other = g_hash_table_lookup(seen, s->name);
        if (other)
            fail_msg("%s and %s both have name = %s", other, files[i], s->name);
        g_hash_table_insert(seen, g_strdup(s->name), g_strdup(files[i]));
    }
}

int main(int argc, char **argv)
{
    protocols_install();
    if (argc > 1 &&
        (!g_ascii_string_to_unsigned(argv[1], 10, 1, G_MAXUINT32, &generated_seeds, NULL))) {
        fprintf(stderr, "usage: %s [SEEDS]  (SEEDS: a whole number from 1)\n", argv[0]);
        return 2;
    }
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_library_files_round_trip_to_the_same_run),
        cmocka_unit_test(test_scenario_every_construct_round_trips),
        cmocka_unit_test(test_scenario_difference_names_each_changed_setting),
        cmocka_unit_test(test_scenario_written_text_states_every_setting),
        cmocka_unit_test(test_scenario_generated_quorum_scenarios_export_faithfully),
        cmocka_unit_test(test_scenario_generated_raft_scenarios_export_faithfully),
        cmocka_unit_test(test_scenario_library_names_match_files_and_are_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
