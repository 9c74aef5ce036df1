/* tests/test_stream.c — streaming oracles (reports/stream.h) judge as the whole history does:
 * every scenario of the library, and fuzz seeds of every protocol within and beyond the model,
 * give the same trace hash and the same verdict (every count, note and violation, in order) with
 * the history kept whole (--keep-history), streamed, and streamed eagerly (a write folded as soon
 * as its module says it is settled); and a long run without faults folds what it did.
 *
 * DURASIM_STREAM_SEEDS=A..B runs those seeds of each protocol and mode instead of the few that
 * make check runs (the README's 10,000-seed comparison: DURASIM_STREAM_SEEDS=1..10000); the
 * number of seeds compared is printed. DURASIM_STREAM_TESTS=PATTERN runs only the tests whose
 * names match (cmocka's test filter, e.g. '*libraft*').
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/campaign.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <stdio.h>
#include <string.h>

#define CHECK_SEEDS "1..25" /* per protocol and fault mode, in make check */

static int setup(void **state)
{
    protocols_install();
    return 0;
}

/* Everything a verdict says, and the run's hash and expectation failures, as one text. */
static char *fingerprint(const RunResult *r)
{
    const Verdict *v = &r->verdict;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "passed=%d trace=%016" G_GINT64_MODIFIER "x kinds=%x\n", r->passed,
                           r->trace_hash, v->kinds);
    for (int k = 0; k < V_KIND_COUNT; k++)
        g_string_append_printf(s, "%u ", v->counts[k]);
    g_string_append_printf(
        s,
        "\nops=%u writes=%u acked=%u failed=%u indet=%u reads=%u orphans=%u/%u/%u "
        "dups=%u\n",
        v->ops, v->writes, v->acked, v->failed, v->indeterminate, v->reads, v->orphans,
        v->orphans_surfaced, v->orphans_latent, v->duplicates);
    g_string_append_printf(s, "lin=%d/%d keys=%u unknown=%u unpromised=%u stale=%u skipped=%d\n",
                           v->lin_promised, v->lin, v->lin_keys, v->lin_unknown_keys,
                           v->lin_keys_unpromised, v->stale_reads, v->lin_skipped);
    g_string_append_printf(s, "lost=%u sibmax=%u reissued=%u truncated=%u beyond=%d\n",
                           v->lost_updates, v->siblings_max, v->siblings_reissued,
                           v->siblings_truncated, v->beyond_model);
    const char *notes[] = {v->lin_note,   v->lost_update_note, v->siblings_note,
                           v->model_note, v->liveness_note,    v->convergence_note};
    for (guint i = 0; i < G_N_ELEMENTS(notes); i++)
        g_string_append_printf(s, "note: %s\n", notes[i] ? notes[i] : "-");
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        g_string_append_printf(s, "%s @%" G_GINT64_FORMAT ": %s\n", violation_kind_name(x->kind),
                               (gint64)x->time, x->text);
    }
    for (guint i = 0; i < r->failures->len; i++)
        g_string_append_printf(s, "failure: %s\n", (const char *)g_ptr_array_index(r->failures, i));
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++)
        g_string_append_printf(s, "lat%d=%" G_GUINT64_FORMAT " ", o,
                               report_latency_count(&r->latency, (ReportLatOutcome)o));
    g_string_append_printf(s, "pending=%" G_GUINT64_FORMAT "\n", r->latency.pending);
    return g_string_free(s, FALSE);
}

typedef enum { KEEP, STREAM, EAGER } Mode;

static char *run_mode(const Scenario *s, BugSet bugs, Mode m, uint64_t *folded)
{
    RunOptions opt = {.extra_bugs = bugs, .keep_history = m == KEEP};
    runner_set_stream_eager(m == EAGER);
    RunResult r;
    assert_true(runner_run(s, &opt, &r, NULL));
    runner_set_stream_eager(FALSE);
    assert_int_equal(r.streamed, m != KEEP);
    if (folded)
        *folded += r.stream.folded_ops;
    char *f = fingerprint(&r);
    run_result_clear(&r);
    return f;
}

/* The three ways give the same fingerprint; *folded adds the operations the streams folded. */
static void compare(const Scenario *s, BugSet bugs, uint64_t *folded)
{
    g_autofree char *keep = run_mode(s, bugs, KEEP, NULL);
    g_autofree char *stream = run_mode(s, bugs, STREAM, folded);
    g_autofree char *eager = run_mode(s, bugs, EAGER, folded);
    if (strcmp(keep, stream) != 0 || strcmp(keep, eager) != 0)
        fprintf(stderr,
                "%s (seed %" G_GUINT64_FORMAT "):\n--- kept\n%s--- streamed\n%s"
                "--- eager\n%s",
                s->name, s->config.seed, keep, stream, eager);
    assert_string_equal(keep, stream);
    assert_string_equal(keep, eager);
}

/* Every scenario of the library. */
static void test_stream_library_same_verdicts(void **state)
{
    g_autoptr(GDir) dir = g_dir_open("scenarios", 0, NULL);
    assert_non_null(dir);
    guint runs = 0;
    uint64_t folded = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(name, ".ini"))
            continue;
        g_autofree char *path = g_build_filename("scenarios", name, NULL);
        g_autoptr(GError) err = NULL;
        g_autoptr(Scenario) s = scenario_load_file(path, &err);
        if (!s)
            continue; /* a protocol this build lacks */
        compare(s, 0, &folded);
        runs++;
    }
    printf(
        "stream: library: %u scenarios, same verdicts kept, streamed and eager (%" G_GUINT64_FORMAT
        " operations folded)\n",
        runs, folded);
    assert_true(runs > 50);
    assert_true(folded > 0);
}

static void compare_seeds(const char *protocol, FaultMode mode)
{
    const Protocol *p = protocol_find(protocol);
    if (!p)
        return; /* not in this build */
    const char *range = g_getenv("DURASIM_STREAM_SEEDS");
    uint64_t first, last;
    assert_true(campaign_parse_range(range && *range ? range : CHECK_SEEDS, &first, &last));
    uint64_t folded = 0;
    for (uint64_t seed = first; seed <= last; seed++) {
        g_autoptr(Scenario) s = scenario_generate(p, seed, mode);
        compare(s, 0, &folded);
    }
    printf("stream: %s %s seeds %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
           ": same verdicts kept, streamed and eager (%" G_GUINT64_FORMAT " operations folded)\n",
           protocol, fault_mode_name(mode), first, last, folded);
}

static void test_stream_quorum_seeds_same_verdicts(void **state)
{
    compare_seeds("quorum", FAULTS_WITHIN);
    compare_seeds("quorum", FAULTS_BEYOND);
}

static void test_stream_raft_seeds_same_verdicts(void **state)
{
    compare_seeds("raft", FAULTS_WITHIN);
    compare_seeds("raft", FAULTS_BEYOND);
}

static void test_stream_libraft_seeds_same_verdicts(void **state)
{
    compare_seeds("libraft", FAULTS_WITHIN);
    compare_seeds("libraft", FAULTS_BEYOND);
}

#define LONG_RUN                                                                                   \
    "[scenario]\nname = stream-long\nsummary = puts and gets, no faults\nprotocol = %s\n"          \
    "seed = 3\nduration = 100000s\n[cluster]\nnodes = 3\n[workload]\nclients = 4\n"                \
    "mix = put:60,get:40\nops = 3000\nclient.retries = 10\n"

/* A run without faults folds most of what it did as it goes (under last-writer-wins, an acked
 * put that a concurrent one overwrote unseen stays to the end, a lost update, with the put that
 * overwrote it). */
static void test_stream_long_run_folds(void **state)
{
    const char *protocols[] = {"quorum", "raft"};
    for (guint i = 0; i < G_N_ELEMENTS(protocols); i++) {
        g_autofree char *text = g_strdup_printf(LONG_RUN, protocols[i]);
        g_autoptr(GError) err = NULL;
        g_autoptr(Scenario) s = scenario_load_data(text, strlen(text), "stream-long", &err);
        assert_non_null(s);
        RunOptions opt = {0};
        RunResult r;
        assert_true(runner_run(s, &opt, &r, NULL));
        assert_true(r.passed);
        assert_true(r.streamed);
        assert_true(r.stream.folded_ops > 2000);
        assert_true(r.stream.held_ops < 1000);
        run_result_clear(&r);
        compare(s, 0, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_library_same_verdicts),
        cmocka_unit_test(test_stream_quorum_seeds_same_verdicts),
        cmocka_unit_test(test_stream_raft_seeds_same_verdicts),
        cmocka_unit_test(test_stream_libraft_seeds_same_verdicts),
        cmocka_unit_test(test_stream_long_run_folds),
    };
    const char *only = g_getenv("DURASIM_STREAM_TESTS");
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, setup, NULL);
}
