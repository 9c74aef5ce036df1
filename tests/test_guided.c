/* tests/test_guided.c — mutation and coverage-guided campaigns: a mutated scenario is always one
 * the loader takes and round-trips, mutation is a function of its stream, a within-model mutation
 * never plans more damage than the protocol tolerates; a guided campaign is the same whatever
 * --jobs is, keeps its corpus in a directory that a second campaign loads, and writes every
 * scenario it keeps or that failed so that `durasim run` replays it with the same trace hash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scenarios/mutate.h"
#include "sim/guided.h"
#include "sim/protocols.h"

#include <glib/gstdio.h>
#include <string.h>

static int setup(void **state)
{
    protocols_install();
    return 0;
}

/* Hundreds of stacked mutations of generated scenarios of every protocol: each result loads
 * back as an equal scenario, and mutating a copy with the same stream gives the same text. */
static void test_mutate_results_load_and_are_reproducible(void **state)
{
    for (guint pi = 0; pi < protocol_count(); pi++) {
        const Protocol *p = protocol_at(pi);
        for (uint64_t seed = 1; seed <= 40; seed++) {
            g_autoptr(Scenario) s = scenario_generate(p, seed, FAULTS_WITHIN);
            g_autoptr(Scenario) twin = scenario_generate(p, seed, FAULTS_WITHIN);
            g_autoptr(Scenario) donor = scenario_generate(p, seed + 1000, FAULTS_WITHIN);
            SimRng a, b;
            sim_rng_stream(&a, seed, "test", 0);
            sim_rng_stream(&b, seed, "test", 0);
            for (int round = 0; round < 8; round++) {
                g_autofree char *wa = scenario_mutate(s, donor, FAULTS_WITHIN, 4, &a);
                g_autofree char *wb = scenario_mutate(twin, donor, FAULTS_WITHIN, 4, &b);
                assert_string_equal(wa, wb);
                g_autoptr(GError) err = NULL;
                if (!scenario_check_round_trip(s, &err))
                    fail_msg("%s seed %" G_GUINT64_FORMAT " after %s: %s", p->name, seed, wa,
                             err->message);
                g_autofree char *ta = scenario_to_data(s);
                g_autofree char *tb = scenario_to_data(twin);
                assert_string_equal(ta, tb);
            }
        }
    }
}

/* Within the model, mutation never plans media faults or lost disks (nor, where down counts,
 * crashes for good) on more nodes than the protocol tolerates. */
static void test_mutate_within_keeps_the_failure_budget(void **state)
{
    for (guint pi = 0; pi < protocol_count(); pi++) {
        const Protocol *p = protocol_at(pi);
        for (uint64_t seed = 1; seed <= 60; seed++) {
            g_autoptr(Scenario) s = scenario_generate(p, seed, FAULTS_WITHIN);
            SimRng rng;
            sim_rng_stream(&rng, seed, "budget", 0);
            for (int round = 0; round < 10; round++) {
                g_free(scenario_mutate(s, NULL, FAULTS_WITHIN, 4, &rng));
                ProtoTolerance tol;
                p->tolerance(&s->config, &tol);
                uint64_t damaged = 0;
                for (guint i = 0; i < s->faults.faults->len; i++) {
                    const FaultSpec *f = g_ptr_array_index(s->faults.faults, i);
                    gboolean damage = f->kind == FAULT_SECTOR_ERROR || f->kind == FAULT_CORRUPT ||
                                      f->kind == FAULT_DISK_LOSS;
                    if (damage) {
                        assert_int_equal(f->target, TARGET_NODE);
                        damaged |= (uint64_t)1 << f->node;
                    }
                }
                assert_true((guint)__builtin_popcountll(damaged) <= tol.tolerated);
            }
        }
    }
}

typedef struct {
    GArray *hashes;   /* of uint64_t, per run */
    GPtrArray *files; /* of char*: kept or failing runs' files */
    GArray *file_hashes;
} Seen;

static gboolean collect(const GuidedResult *g, const CampaignTotals *t, void *ctx)
{
    Seen *s = ctx;
    g_array_append_val(s->hashes, g->r.trace_hash);
    if (g->file) {
        g_ptr_array_add(s->files, g_strdup(g->file));
        g_array_append_val(s->file_hashes, g->r.trace_hash);
    }
    return TRUE;
}

static void seen_init(Seen *s)
{
    s->hashes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    s->files = g_ptr_array_new_with_free_func(g_free);
    s->file_hashes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
}

static void seen_clear(Seen *s)
{
    g_array_free(s->hashes, TRUE);
    g_ptr_array_unref(s->files);
    g_array_free(s->file_hashes, TRUE);
}

static GuidedSummary campaign(const CampaignSpec *spec, guint jobs, const char *dir,
                              const char *failures, uint64_t count, Seen *seen, CampaignTotals *t)
{
    GuidedSpec g = {.spec = spec,
                    .first = 1,
                    .count = count,
                    .jobs = jobs,
                    .corpus_dir = dir,
                    .failures_dir = failures,
                    .on_run = collect,
                    .ctx = seen};
    GuidedSummary sum;
    g_autoptr(GError) err = NULL;
    assert_true(guided_run(&g, t, &sum, &err));
    return sum;
}

/* The same campaign on one thread and on four runs the same inputs in the same order. */
static void test_guided_is_the_same_whatever_the_jobs(void **state)
{
    CampaignSpec spec = {protocol_find("raft"), FAULTS_WITHIN, 0};
    g_autofree char *tmp = g_dir_make_tmp("guided-XXXXXX", NULL);
    g_autofree char *failures = g_build_filename(tmp, "failures", NULL);
    Seen a, b;
    seen_init(&a);
    seen_init(&b);
    CampaignTotals ta, tb;
    GuidedSummary sa = campaign(&spec, 1, NULL, failures, 200, &a, &ta);
    GuidedSummary sb = campaign(&spec, 4, NULL, failures, 200, &b, &tb);
    assert_int_equal(a.hashes->len, 200);
    assert_memory_equal(a.hashes->data, b.hashes->data, 200 * sizeof(uint64_t));
    assert_int_equal(sa.corpus, sb.corpus);
    assert_true(sa.corpus > 10); /* the first batch alone reaches plenty that is new */
    assert_true(sa.owed_reached > 60);
    assert_memory_equal(ta.cover.marks, tb.cover.marks, sizeof ta.cover.marks);
    g_rmdir(tmp);
    seen_clear(&a);
    seen_clear(&b);
}

/* Each file a campaign writes replays with the trace hash its run had. */
static void assert_files_replay(const Seen *s)
{
    for (guint i = 0; i < s->files->len; i++) {
        const char *path = g_ptr_array_index(s->files, i);
        g_autoptr(GError) err = NULL;
        g_autoptr(Scenario) sc = scenario_load_file(path, &err);
        assert_non_null(sc);
        RunOptions opt = {0};
        RunResult r;
        assert_true(runner_run(sc, &opt, &r, NULL));
        assert_int_equal(r.trace_hash, g_array_index(s->file_hashes, uint64_t, i));
        run_result_clear(&r);
    }
}

/* A corpus directory keeps what a campaign kept, one file each, which replay exactly; a second
 * campaign starts by running them all. */
static void test_guided_corpus_directory_is_kept_and_loaded(void **state)
{
    CampaignSpec spec = {protocol_find("quorum"), FAULTS_WITHIN, 0};
    g_autofree char *dir = g_dir_make_tmp("corpus-XXXXXX", NULL);
    g_autofree char *failures = g_build_filename(dir, "failures", NULL);
    Seen first, second;
    seen_init(&first);
    seen_init(&second);
    CampaignTotals t;
    GuidedSummary s1 = campaign(&spec, 2, dir, failures, 150, &first, &t);
    assert_int_equal(t.failed, 0);
    assert_int_equal(first.files->len, s1.corpus);
    assert_files_replay(&first);
    GuidedSummary s2 = campaign(&spec, 2, dir, failures, 100, &second, &t);
    assert_int_equal(s2.loaded, s1.corpus);
    assert_true(s2.corpus >= s1.corpus);
    for (guint i = 0; i < first.files->len; i++)
        g_unlink(g_ptr_array_index(first.files, i));
    for (guint i = 0; i < second.files->len; i++)
        g_unlink(g_ptr_array_index(second.files, i));
    g_rmdir(dir);
    seen_clear(&first);
    seen_clear(&second);
}

/* With a bug variant on, failing runs are written to the failures directory, and each file
 * replays (the variant is in it) with the same trace hash. */
static void test_guided_failing_runs_are_written_and_replay(void **state)
{
    const Protocol *p = protocol_find("quorum");
    guint bit;
    assert_true(protocol_bug_parse(p, "no-dedup", &bit));
    CampaignSpec spec = {p, FAULTS_WITHIN, (BugSet)1 << bit};
    g_autofree char *tmp = g_dir_make_tmp("failing-XXXXXX", NULL);
    g_autofree char *failures = g_build_filename(tmp, "failures", NULL);
    Seen s;
    seen_init(&s);
    CampaignTotals t;
    campaign(&spec, 2, NULL, failures, 128, &s, &t);
    assert_true(t.failed > 0);
    assert_int_equal(s.files->len, t.failed);
    assert_files_replay(&s);
    for (guint i = 0; i < s.files->len; i++)
        g_unlink(g_ptr_array_index(s.files, i));
    g_rmdir(failures);
    g_rmdir(tmp);
    seen_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutate_results_load_and_are_reproducible),
        cmocka_unit_test(test_mutate_within_keeps_the_failure_budget),
        cmocka_unit_test(test_guided_is_the_same_whatever_the_jobs),
        cmocka_unit_test(test_guided_corpus_directory_is_kept_and_loaded),
        cmocka_unit_test(test_guided_failing_runs_are_written_and_replay),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
