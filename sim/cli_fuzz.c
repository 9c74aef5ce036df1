/* sim/cli_fuzz.c — `durasim fuzz` and `durasim replay`: the command-line side of campaigns
 * (flags, progress, the printed summary, the report files). Running the seeds is the campaign
 * module's (sim/campaign.h): several at once on the ordered pool, results taken in seed order,
 * so the output of --jobs N is the output of --jobs 1. */
#include "sim/campaign.h"
#include "sim/cli.h"
#include "sim/cli_options.h"
#include "sim/guided.h"
#include "sim/ordered_pool.h"
#include "reports/marks.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double wall_now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* What the progress line and the stop rules need while seeds come in. */
typedef struct {
    const CampaignSpec *spec;
    uint64_t total; /* 0: unknown (--time) */
    double start, last_print, budget;
    gboolean tty, stop_on_first;
} Progress;

static void progress(Progress *pr, const CampaignTotals *t, gboolean final)
{
    double now = wall_now(), elapsed = now - pr->start;
    if (!final && now - pr->last_print < (pr->tty ? 0.2 : 5.0))
        return;
    pr->last_print = now;
    double rate = elapsed > 0 ? (double)t->done / elapsed : 0;
    char eta[64] = "";
    if (pr->total > 0 && rate > 0 && t->done < pr->total)
        g_snprintf(eta, sizeof eta, "  ETA %.0fs", (double)(pr->total - t->done) / rate);
    char total[32] = "";
    if (pr->total > 0)
        g_snprintf(total, sizeof total, "/%" G_GUINT64_FORMAT, pr->total);
    if (!final)
        fprintf(stderr,
                "%s[fuzz] %" G_GUINT64_FORMAT "%s seeds  %.0f seeds/s  %" G_GUINT64_FORMAT
                " violating%s%s",
                pr->tty ? "\r\033[K" : "", t->done, total, rate, t->failed, eta,
                pr->tty ? "" : "\n");
    else if (pr->tty)
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

static void print_failure(const CampaignSpec *spec, const SeedResult *r)
{
    g_autofree char *replay = campaign_replay_command(spec, r->seed);
    g_autofree char *kinds = violation_set_format(r->kinds);
    printf("FAIL  seed=%" G_GUINT64_FORMAT " trace=%016" G_GINT64_MODIFIER "x  %s\n", r->seed,
           r->trace_hash, kinds);
    if (r->first)
        printf("      %s\n", r->first);
    printf("      replay: %s\n", replay);
    fflush(stdout);
}

/* Runs one seed again keeping its trace (runs are deterministic); NULL when the rerun's trace
 * hash differs from the campaign's, which would be a determinism bug. */
static ReportRun *seed_report_detail(const CampaignSpec *spec, const ReportRun *line)
{
    g_autoptr(Scenario) s = scenario_generate(spec->protocol, line->seed, spec->mode);
    protocol_bugs_add(spec->protocol, &s->config, spec->bugs);
    RunOptions opt = {.keep_trace = TRUE};
    RunResult r;
    runner_run(s, &opt, &r, NULL);
    ReportRun *full = NULL;
    if (r.trace_hash == line->trace_hash)
        full = cli_report_run_new(line->name, NULL, &r, line->replay, line->wall_seconds);
    run_result_clear(&r);
    return full;
}

typedef struct {
    const CampaignSpec *spec;
    ReportRun *lines[REPORT_DETAIL_CAP]; /* the failing seeds' report lines (the suite's) */
} DetailJobs;

static void detail_work(uint64_t item, void *result, void *ctx)
{
    const DetailJobs *d = ctx;
    *(ReportRun **)result = seed_report_detail(d->spec, d->lines[item]);
}

static gboolean detail_take(uint64_t item, void *result, void *ctx)
{
    DetailJobs *d = ctx;
    ReportRun *full = *(ReportRun **)result, *line = d->lines[item];
    if (!full) {
        cli_error("fuzz: seed %" G_GUINT64_FORMAT " replayed with another trace hash; its report "
                  "stays one line",
                  line->seed);
        return TRUE;
    }
    line->detail = g_steal_pointer(&full->detail);
    report_run_free(full);
    return TRUE;
}

/* Gives the first REPORT_DETAIL_CAP failing seeds their detail, rerunning them `jobs` at once. */
static void detail_failing_seeds(const CampaignSpec *spec, ReportSuite *suite, guint jobs)
{
    DetailJobs d = {.spec = spec};
    guint n = 0;
    for (guint i = 0; i < suite->runs->len && n < REPORT_DETAIL_CAP; i++) {
        ReportRun *line = g_ptr_array_index(suite->runs, i);
        if (!line->passed)
            d.lines[n++] = line;
    }
    OrderedPoolSpec pool = {.jobs = jobs,
                            .result_size = sizeof(ReportRun *),
                            .work = detail_work,
                            .take = detail_take,
                            .ctx = &d};
    ordered_pool_run(&pool, n);
}

/* Every mark with how often it was reached, then the owed ones never reached, then the ones a
 * campaign within the model cannot reach (with why) that it did not. */
static void print_marks(const WorldStats *s, const Protocol *p)
{
    GArray *tally = mark_tally_new(s, p);
    guint owed = 0, reached = 0;
    printf("coverage: marks (times reached):\n");
    for (guint i = 0; i < tally->len; i++) {
        const MarkTally *t = &g_array_index(tally, MarkTally, i);
        printf("  %-52s %12" G_GUINT64_FORMAT "%s\n", t->name, t->count,
               t->unowed ? "  (not owed)" : "");
        owed += !t->unowed;
        reached += !t->unowed && t->count > 0;
    }
    printf("coverage: marks reached: %u of %u owed within the model\n", reached, owed);
    for (guint i = 0; i < tally->len; i++) {
        const MarkTally *t = &g_array_index(tally, MarkTally, i);
        if (!t->unowed && t->count == 0)
            printf("coverage: never reached: %s (%s)\n", t->name, t->summary);
    }
    for (guint i = 0; i < tally->len; i++) {
        const MarkTally *t = &g_array_index(tally, MarkTally, i);
        if (t->unowed && t->count == 0)
            printf("coverage: not reached, not owed: %s (%s)\n", t->name, t->unowed);
    }
    mark_tally_free(tally);
}

static void print_coverage(const CampaignTotals *t, const Protocol *p)
{
    const WorldStats *s = &t->cover;
    printf("coverage: faults fired:");
    for (int k = 0; k < FAULT_KIND_COUNT; k++)
        printf(" %s=%" G_GUINT64_FORMAT, fault_kind_name((FaultKind)k), s->faults[k]);
    printf("\ncoverage: failpoints hit:");
    for (guint f = 0; f < p->n_failpoints; f++)
        printf(" %s=%" G_GUINT64_FORMAT, p->failpoints[f], s->failpoints_hit[f]);
    printf("\ncoverage: error paths: fsync-errors=%" G_GUINT64_FORMAT
           " write-errors=%" G_GUINT64_FORMAT " crashes=%" G_GUINT64_FORMAT
           " restarts=%" G_GUINT64_FORMAT " pauses=%" G_GUINT64_FORMAT
           " msgs-dropped=%" G_GUINT64_FORMAT " msgs-duplicated=%" G_GUINT64_FORMAT
           " client-retries=%" G_GUINT64_FORMAT " redirects=%" G_GUINT64_FORMAT
           " reconciles=%" G_GUINT64_FORMAT "\n",
           s->fsync_errors, s->write_errors, s->crashes, s->restarts, s->pauses, s->msgs_dropped,
           s->msgs_duplicated, s->client_retries, s->client_redirects, s->client_reconciles);
    printf("coverage: client failures:");
    for (int r = 1; r < FAIL_REASON_COUNT; r++)
        printf(" %s=%" G_GUINT64_FORMAT, fail_reason_name((FailReason)r), s->fail_reasons[r]);
    printf("\ncoverage: messages (count/bytes):");
    for (int m = 0; m < MSG_TYPE_SLOTS; m++)
        if (s->msgs_by_type[m])
            printf(" %s=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, msg_type_name(p->msg, m),
                   s->msgs_by_type[m], s->bytes_by_type[m]);
    printf("\n");
    g_autofree char *costs = world_stats_costs_line(s, p);
    if (costs)
        printf("coverage: %s\n", costs);
    print_marks(s, p);
}

/* The flags of `durasim fuzz`, as given. */
typedef struct {
    CliSeedOptions o;
    char *time_text, *shard, *report, *corpus;
    gboolean stop_on_first, coverage, guided;
} FuzzArgs;

/* A campaign as the flags ask for it. */
typedef struct {
    CampaignSpec spec;
    CampaignSeeds seeds;
    double budget; /* wall seconds with --time, else 0 */
} FuzzPlan;

/* A wall-clock budget: 30s, 10m, 2h. */
static gboolean parse_budget(const char *text, double *out)
{
    guint64 n = 0;
    char unit = 0, extra = 0;
    int got = sscanf(text, "%" G_GUINT64_FORMAT "%c%c", &n, &unit, &extra);
    double scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
    if (got != 2 || scale == 0 || n == 0 || n > 10000000 || !g_ascii_isdigit(text[0]))
        return FALSE;
    *out = (double)n * scale;
    return TRUE;
}

static gboolean fuzz_plan(FuzzArgs *a, FuzzPlan *p)
{
    *p = (FuzzPlan){.seeds = {1, 1000, 1, 1}};
    if (!cli_options_spec("fuzz", &a->o, &p->spec))
        return FALSE;
    const char *seeds = a->o.seeds;
    if (seeds && a->time_text) {
        cli_error("fuzz: give --seeds or --time, not both");
        return FALSE;
    }
    if (seeds && !campaign_parse_range(seeds, &p->seeds.first, &p->seeds.last)) {
        cli_error("fuzz: --seeds '%s' is not a range A..B of seeds with A <= B", seeds);
        return FALSE;
    }
    if (a->time_text) {
        if (!parse_budget(a->time_text, &p->budget)) {
            cli_error("fuzz: --time '%s' is not a duration such as 30s, 10m or 2h", a->time_text);
            return FALSE;
        }
        p->seeds.last = UINT64_MAX - 1;
    }
    if (a->corpus && !a->guided) {
        cli_error("fuzz: --corpus goes with --guided");
        return FALSE;
    }
    if (a->guided && a->shard) {
        cli_error("fuzz: --guided runs one campaign whose inputs depend on every earlier run; it "
                  "cannot be sharded (--shard)");
        return FALSE;
    }
    if (a->shard && !campaign_parse_shard(a->shard, &p->seeds.shard_k, &p->seeds.shard_n)) {
        cli_error("fuzz: --shard '%s' is not K/N with 1 <= K <= N", a->shard);
        return FALSE;
    }
    return cli_resolve_jobs("fuzz", &a->o.jobs, 1) &&
           (!a->report || cli_report_open("fuzz", a->report));
}

/* Each seed in order: the progress line, a failing seed's lines, and the stop rules. */
static gboolean on_seed(const SeedResult *r, const CampaignTotals *t, void *ctx)
{
    Progress *pr = ctx;
    if (!r->passed) {
        progress(pr, t, TRUE);
        print_failure(pr->spec, r);
        if (pr->stop_on_first)
            return FALSE;
    }
    progress(pr, t, FALSE);
    return pr->budget == 0 || wall_now() - pr->start < pr->budget;
}

static void print_summary(const CampaignSpec *spec, const CampaignTotals *t, double elapsed,
                          gint jobs)
{
    printf("fuzz: protocol=%s faults=%s seeds=%" G_GUINT64_FORMAT " passed=%" G_GUINT64_FORMAT
           " failed=%" G_GUINT64_FORMAT " beyond-model=%u events=%" G_GUINT64_FORMAT
           " wall=%.2fs rate=%.0f seeds/s jobs=%d\n",
           protocol_name(spec->protocol), fault_mode_name(spec->mode), t->done, t->done - t->failed,
           t->failed, t->beyond, t->events, elapsed, elapsed > 0 ? (double)t->done / elapsed : 0,
           jobs);
    if (t->failed) {
        printf("fuzz: violations by kind (seeds):");
        for (int k = 0; k < V_KIND_COUNT; k++)
            if (t->kind_seeds[k])
                printf(" %s=%u", violation_kind_name((ViolationKind)k), t->kind_seeds[k]);
        printf("\n");
    }
}

/* The report of a campaign: one line per seed (already in `suite`), detail for the first
 * failing ones, coverage. */
static gboolean write_fuzz_report(const FuzzArgs *a, const FuzzPlan *p, ReportSet *set,
                                  ReportSuite *suite, const CampaignTotals *t, double elapsed)
{
    double started = wall_now();
    suite->wall_seconds = elapsed;
    g_autoptr(JsonObject) cov = report_coverage_new(&t->cover, p->spec.protocol);
    report_coverage_add(suite->coverage, cov);
    detail_failing_seeds(&p->spec, suite, (guint)a->o.jobs);
    return cli_report_write("fuzz", set, a->report, started);
}

static int fuzz_guided(FuzzArgs *a, const FuzzPlan *p);

static int fuzz(FuzzArgs *a, const FuzzPlan *p)
{
    if (a->guided)
        return fuzz_guided(a, p);
    g_autoptr(ReportSet) set = NULL;
    ReportSuite *suite = NULL;
    if (a->report) {
        set = report_set_new();
        g_autofree char *name = campaign_suite_name(&p->spec, a->o.seeds, a->time_text);
        suite = report_set_add_suite(set, name, "fuzz");
        if (p->seeds.shard_n > 1)
            g_ptr_array_add(suite->shards,
                            g_strdup_printf("%u/%u", p->seeds.shard_k, p->seeds.shard_n));
        g_autofree char *bugs = protocol_bug_set_format(p->spec.protocol, p->spec.bugs);
        suite->campaign = report_campaign_new(
            protocol_name(p->spec.protocol), fault_mode_name(p->spec.mode), bugs, p->seeds.first,
            p->seeds.last, a->time_text, p->seeds.shard_n, DURASIM_VERSION);
    }
    Progress pr = {.spec = &p->spec,
                   .total = a->time_text ? 0 : campaign_seed_count(&p->seeds),
                   .start = wall_now(),
                   .budget = p->budget,
                   .tty = isatty(STDERR_FILENO),
                   .stop_on_first = a->stop_on_first};
    pr.last_print = pr.start;
    CampaignTotals t;
    CampaignRun run = {.jobs = (guint)a->o.jobs,
                       .suite = suite,
                       .on_seed = on_seed,
                       .ctx = &pr,
                       .wall_now = wall_now};
    campaign_run(&p->spec, &p->seeds, &run, &t);
    progress(&pr, &t, TRUE);
    double elapsed = wall_now() - pr.start;
    print_summary(&p->spec, &t, elapsed, a->o.jobs);
    if (a->coverage)
        print_coverage(&t, p->spec.protocol);
    int status = t.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
    if (suite && !write_fuzz_report(a, p, set, suite, &t, elapsed))
        status = CLI_EXIT_USAGE;
    return status;
}

int cli_fuzz(int argc, char **argv)
{
    FuzzArgs a = {.o = CLI_SEED_OPTIONS_INIT};
    const GOptionEntry own[] = {
        {"time", 0, 0, G_OPTION_ARG_STRING, &a.time_text,
         "Run seeds from A (default 1) upwards for this long instead of --seeds (default "
         "1..1000), e.g. 10m, 30s",
         "DURATION"},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &a.shard,
         "Run only share K of N of the seeds (K in 1..N), for spreading a campaign", "K/N"},
        {"stop-on-first", 0, 0, G_OPTION_ARG_NONE, &a.stop_on_first,
         "Stop at the first failing seed", NULL},
        {"guided", 0, 0, G_OPTION_ARG_NONE, &a.guided,
         "Guide the campaign by reachability marks: keep the scenarios of runs that reached new "
         "marks or new mark counts and mutate them (see README)",
         NULL},
        {"corpus", 0, 0, G_OPTION_ARG_FILENAME, &a.corpus,
         "With --guided: load the corpus from DIR first and keep every scenario it adds there "
         "(failing scenarios in DIR/failures)",
         "DIR"},
        {"coverage", 0, 0, G_OPTION_ARG_NONE, &a.coverage,
         "Print how often each fault kind, failpoint, error path and reachability mark fired, "
         "and the marks never reached",
         NULL},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &a.report,
         "Write report.json, junit.xml, summary.md and index.html into DIR", "DIR"},
        {NULL},
    };
    g_autofree GOptionEntry *entries =
        cli_options_entries(&a.o,
                            CLI_OPT_PROTOCOL | CLI_OPT_SEEDS | CLI_OPT_JOBS | CLI_OPT_FAULTS |
                                CLI_OPT_BUG | CLI_OPT_CHECK,
                            own);
    int status = CLI_EXIT_USAGE;
    FuzzPlan p;
    if (!cli_parse("fuzz", NULL,
                   "Run a campaign: every seed becomes a random cluster, workload and fault\n"
                   "schedule (swarm style), runs, and is judged by the oracles. Every failing\n"
                   "seed prints its violation and the exact command that replays it.\n"
                   "Exit status: 0 if no seed failed, 1 if any did, 2 on bad usage.",
                   entries, &argc, &argv))
        goto out;
    if (argc > 1)
        cli_error("fuzz: unexpected argument '%s'", argv[1]);
    else if (fuzz_plan(&a, &p))
        status = fuzz(&a, &p);
out:
    cli_options_clear(&a.o);
    g_free(a.time_text);
    g_free(a.shard);
    g_free(a.report);
    g_free(a.corpus);
    return status;
}
/* ---- guided campaigns ---- */

/* What the guided campaign's callbacks share. */
typedef struct {
    Progress pr;
    ReportSuite *suite;
    const char *command;
} GuidedCli;

static void print_guided_failure(const GuidedResult *g)
{
    g_autofree char *kinds = violation_set_format(g->r.kinds);
    printf("FAIL  run=%" G_GUINT64_FORMAT " seed=%" G_GUINT64_FORMAT " trace=%016" G_GINT64_MODIFIER
           "x  %s\n",
           g->index, g->r.seed, g->r.trace_hash, kinds);
    if (g->r.first)
        printf("      %s\n", g->r.first);
    printf("      from: %s\n", g->origin);
    if (g->file)
        printf("      replay: durasim run %s\n", g->file);
    fflush(stdout);
}

static gboolean on_guided_run(const GuidedResult *g, const CampaignTotals *t, void *ctx)
{
    GuidedCli *gc = ctx;
    if (gc->suite) {
        ReportRun *line = campaign_report_line(gc->pr.spec, &g->r);
        g_free(line->name);
        line->name = g_strdup_printf("run-%" G_GUINT64_FORMAT, g->index);
        g_free(line->replay);
        line->replay =
            g->file ? g_strdup_printf("durasim run %s", g->file)
                    : g_strdup_printf("%s (run %" G_GUINT64_FORMAT ")", gc->command, g->index);
        line->file = g_strdup(g->file);
        report_suite_add_run(gc->suite, line);
        report_latency_add(&gc->suite->latency, &g->r.latency);
    }
    if (!g->r.passed) {
        progress(&gc->pr, t, TRUE);
        print_guided_failure(g);
        if (gc->pr.stop_on_first)
            return FALSE;
    }
    progress(&gc->pr, t, FALSE);
    return gc->pr.budget == 0 || wall_now() - gc->pr.start < gc->pr.budget;
}

/* Gives the first REPORT_DETAIL_CAP failing runs their detail, replaying their scenario files. */
static void detail_guided_runs(ReportSuite *suite)
{
    guint n = 0;
    for (guint i = 0; i < suite->runs->len && n < REPORT_DETAIL_CAP; i++) {
        ReportRun *line = g_ptr_array_index(suite->runs, i);
        if (line->passed || !line->file)
            continue;
        n++;
        g_autoptr(GError) err = NULL;
        g_autoptr(Scenario) s = scenario_load_file(line->file, &err);
        if (!s)
            continue;
        RunOptions opt = {.keep_trace = TRUE};
        RunResult r;
        runner_run(s, &opt, &r, NULL);
        if (r.trace_hash == line->trace_hash) {
            ReportRun *full = cli_report_run_new(line->name, line->file, &r, line->replay, 0);
            line->detail = g_steal_pointer(&full->detail);
            report_run_free(full);
        } else {
            cli_error("fuzz: %s replayed with another trace hash; its report stays one line",
                      line->file);
        }
        run_result_clear(&r);
    }
}

static int fuzz_guided(FuzzArgs *a, const FuzzPlan *p)
{
    g_autofree char *seeds =
        g_strdup_printf("%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, p->seeds.first, p->seeds.last);
    g_autofree char *base = campaign_suite_name(&p->spec, a->o.seeds, a->time_text);
    g_autofree char *command = g_strdup_printf("%s --guided", base);
    g_autoptr(ReportSet) set = a->report ? report_set_new() : NULL;
    GuidedCli gc = {.pr = {.spec = &p->spec,
                           .total = a->time_text ? 0 : p->seeds.last - p->seeds.first + 1,
                           .start = wall_now(),
                           .budget = p->budget,
                           .tty = isatty(STDERR_FILENO),
                           .stop_on_first = a->stop_on_first},
                    .suite = set ? report_set_add_suite(set, command, "fuzz") : NULL,
                    .command = command};
    gc.pr.last_print = gc.pr.start;
    g_autofree char *failures =
        a->corpus ? g_build_filename(a->corpus, "failures", NULL) : g_strdup("guided-failures");
    GuidedSpec g = {.spec = &p->spec,
                    .first = p->seeds.first,
                    .count = a->time_text ? G_MAXUINT64 - p->seeds.first
                                          : p->seeds.last - p->seeds.first + 1,
                    .jobs = (guint)a->o.jobs,
                    .corpus_dir = a->corpus,
                    .failures_dir = failures,
                    .on_run = on_guided_run,
                    .ctx = &gc,
                    .wall_now = wall_now};
    CampaignTotals t;
    GuidedSummary sum;
    g_autoptr(GError) err = NULL;
    gboolean ok = guided_run(&g, &t, &sum, &err);
    progress(&gc.pr, &t, TRUE);
    if (!ok) {
        cli_error("fuzz: --guided: %s", err->message);
        return CLI_EXIT_USAGE;
    }
    double elapsed = wall_now() - gc.pr.start;
    print_summary(&p->spec, &t, elapsed, a->o.jobs);
    printf("guided: corpus %u scenarios (%u loaded); marks reached %u (%u of %u owed)\n",
           sum.corpus, sum.loaded, sum.marks_reached, sum.owed_reached, sum.marks_owed);
    if (a->coverage)
        print_coverage(&t, p->spec.protocol);
    int status = t.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
    if (gc.suite) {
        double started = wall_now();
        gc.suite->wall_seconds = elapsed;
        g_autoptr(JsonObject) cov = report_coverage_new(&t.cover, p->spec.protocol);
        report_coverage_add(gc.suite->coverage, cov);
        detail_guided_runs(gc.suite);
        if (!cli_report_write("fuzz", set, a->report, started))
            status = CLI_EXIT_USAGE;
    }
    return status;
}

/* The flags of `durasim replay`, as given. */
typedef struct {
    CliSeedOptions o;
    char *export, *report, *history_out;
    gboolean trace, verbose, history;
} ReplayArgs;

static gboolean write_replay_report(const ReplayArgs *a, const CampaignSpec *spec,
                                    const Scenario *s, const RunResult *r, double wall)
{
    double started = wall_now();
    g_autoptr(ReportSet) set = report_set_new();
    g_autofree char *replay = campaign_replay_command(spec, (uint64_t)a->o.seed);
    ReportSuite *suite = report_set_add_suite(set, replay, "replay");
    suite->wall_seconds = wall;
    g_autoptr(JsonObject) cov = report_coverage_new(&r->stats, spec->protocol);
    report_coverage_add(suite->coverage, cov);
    report_latency_add(&suite->latency, &r->latency);
    report_suite_add_run(suite, cli_report_run_new(s->name, a->export, r, replay, wall));
    return cli_report_write("replay", set, a->report, started);
}

static int replay(const ReplayArgs *a, const CampaignSpec *spec)
{
    g_autoptr(Scenario) s = scenario_generate(spec->protocol, (uint64_t)a->o.seed, spec->mode);
    protocol_bugs_add(spec->protocol, &s->config, spec->bugs);
    if (a->export) {
        g_autoptr(GError) err = NULL;
        if (!scenario_save(s, a->export, &err)) {
            cli_error("replay: --export: %s", err->message);
            return CLI_EXIT_USAGE;
        }
    }
    if (a->report && !cli_report_open("replay", a->report))
        return CLI_EXIT_USAGE;
    RunOptions opt = {.trace_to = a->trace ? stdout : NULL,
                      .keep_trace = a->history || a->report || a->history_out};
    RunResult r;
    double t0 = wall_now();
    runner_run(s, &opt, &r, NULL);
    double wall = wall_now() - t0;
    cli_print_result(s->name, &r, a->verbose);
    if (a->history)
        cli_print_history(&r);
    int status = r.passed ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
    if (a->history_out && !cli_write_history(&r, "replay", a->history_out))
        status = CLI_EXIT_USAGE;
    else if (a->report && !write_replay_report(a, spec, s, &r, wall))
        status = CLI_EXIT_USAGE;
    else if (a->export)
        printf("exported: %s (durasim run %s)\n", a->export, a->export);
    run_result_clear(&r);
    return status;
}

int cli_replay(int argc, char **argv)
{
    ReplayArgs a = {.o = CLI_SEED_OPTIONS_INIT};
    const GOptionEntry own[] = {
        {"trace", 0, 0, G_OPTION_ARG_NONE, &a.trace, "Print every trace record", NULL},
        {"history", 0, 0, G_OPTION_ARG_NONE, &a.history, "Print every client operation", NULL},
        {"history-out", 0, 0, G_OPTION_ARG_FILENAME, &a.history_out,
         "Write the client history to FILE in jepsen-edn", "FILE"},
        {"export", 0, 0, G_OPTION_ARG_FILENAME, &a.export,
         "Write the seed as a scenario file that durasim run replays with the same trace hash",
         "FILE"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &a.report,
         "Write report.json, junit.xml, summary.md and index.html into DIR", "DIR"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &a.verbose, "Print counts and notes too", NULL},
        {NULL},
    };
    g_autofree GOptionEntry *entries = cli_options_entries(
        &a.o, CLI_OPT_PROTOCOL | CLI_OPT_SEED | CLI_OPT_FAULTS | CLI_OPT_BUG | CLI_OPT_CHECK, own);
    int status = CLI_EXIT_USAGE;
    CampaignSpec spec;
    if (!cli_parse("replay", NULL,
                   "Rerun one fuzz seed exactly (same trace hash), optionally printing its trace\n"
                   "or exporting it as a scenario file whose fault decisions are written down.",
                   entries, &argc, &argv))
        goto out;
    if (argc > 1)
        cli_error("replay: unexpected argument '%s'", argv[1]);
    else if (a.o.seed < 0)
        cli_error("replay: --seed N is required (a non-negative integer)");
    else if (cli_options_spec("replay", &a.o, &spec))
        status = replay(&a, &spec);
out:
    cli_options_clear(&a.o);
    g_free(a.export);
    g_free(a.report);
    g_free(a.history_out);
    return status;
}
