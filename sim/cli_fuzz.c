/* sim/cli_fuzz.c — `durasim fuzz` and `durasim replay`: campaigns of random seeds. Each seed runs
 * single-threaded; several run at once on a thread pool; results are printed in seed order, so
 * the output of --jobs N is the output of --jobs 1. */
#include "sim/campaign.h"
#include "sim/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    CampaignSpec spec;
    GMutex lock;
    GCond cond;
    uint64_t base; /* seed of slot 0 of the window */
    SeedResult *slots;
    gboolean *ready;
    guint window;
    volatile gint cancel;
} Pool;

static double wall_now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static void worker(gpointer data, gpointer user)
{
    Pool *p = user;
    guint slot = GPOINTER_TO_UINT(data) - 1;
    SeedResult r = {0};
    uint64_t seed;
    g_mutex_lock(&p->lock);
    seed = p->base + slot;
    g_mutex_unlock(&p->lock);
    if (!g_atomic_int_get(&p->cancel)) {
        double t0 = wall_now();
        campaign_run_seed(&p->spec, seed, &r);
        r.wall_seconds = wall_now() - t0;
    } else {
        r.seed = seed;
        r.passed = TRUE;
    }
    g_mutex_lock(&p->lock);
    p->slots[slot] = r;
    p->ready[slot] = TRUE;
    g_cond_broadcast(&p->cond);
    g_mutex_unlock(&p->lock);
}

typedef struct {
    guint64 done, total, failed, events;
    double start, last_print;
    gboolean tty;
    WorldStats cover;
    ViolationSet kinds;
    guint kind_seeds[V_KIND_COUNT];
    guint beyond;
} Progress;

static void progress(Progress *pr, gboolean final)
{
    double now = wall_now(), elapsed = now - pr->start;
    if (!final && now - pr->last_print < (pr->tty ? 0.2 : 5.0))
        return;
    pr->last_print = now;
    double rate = elapsed > 0 ? (double)pr->done / elapsed : 0;
    char eta[64] = "";
    if (pr->total > 0 && rate > 0 && pr->done < pr->total)
        g_snprintf(eta, sizeof eta, "  ETA %.0fs", (double)(pr->total - pr->done) / rate);
    char total[32] = "";
    if (pr->total > 0)
        g_snprintf(total, sizeof total, "/%" G_GUINT64_FORMAT, pr->total);
    if (pr->tty && !final)
        fprintf(stderr,
                "\r\033[K[fuzz] %" G_GUINT64_FORMAT "%s seeds  %.0f seeds/s  %" G_GUINT64_FORMAT
                " violating%s",
                pr->done, total, rate, pr->failed, eta);
    else if (!pr->tty && !final)
        fprintf(stderr,
                "[fuzz] %" G_GUINT64_FORMAT "%s seeds  %.0f seeds/s  %" G_GUINT64_FORMAT
                " violating%s\n",
                pr->done, total, rate, pr->failed, eta);
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

/* A campaign seed as one report line. Caller owns the result. */
static ReportRun *seed_report_run(const CampaignSpec *spec, const SeedResult *r)
{
    ReportRun *x = report_run_new();
    x->name = g_strdup_printf("seed-%" G_GUINT64_FORMAT, r->seed);
    x->protocol = g_strdup(protocol_name(spec->protocol));
    x->seed = r->seed;
    x->trace_hash = r->trace_hash;
    x->passed = r->passed;
    x->beyond_model = r->beyond_model;
    x->events = r->events;
    x->sim_end = r->sim_end;
    x->wall_seconds = r->wall_seconds;
    x->acked = r->acked;
    x->failed = r->failed;
    x->indeterminate = r->indeterminate;
    x->orphans = r->orphans;
    x->kinds = r->kinds;
    x->first = g_strdup(r->first);
    x->replay = campaign_replay_command(spec, r->seed);
    return x;
}

/* Runs one seed again keeping its trace (runs are deterministic) and returns the run, or NULL
 * when the rerun's trace hash differs from the campaign's, which would be a determinism bug. */
static ReportRun *seed_report_detail(const CampaignSpec *spec, const ReportRun *line)
{
    g_autoptr(Scenario) s = scenario_generate(spec->protocol, line->seed, spec->mode);
    s->config.bugs |= spec->bugs;
    RunOptions opt = {.keep_trace = TRUE};
    RunResult r;
    runner_run(s, &opt, &r, NULL);
    ReportRun *full = NULL;
    if (r.trace_hash == line->trace_hash)
        full = cli_report_run_new(line->name, NULL, &r, line->replay, line->wall_seconds);
    else
        cli_error("fuzz: seed %" G_GUINT64_FORMAT " replayed with another trace hash; its report "
                  "stays one line",
                  line->seed);
    run_result_clear(&r);
    return full;
}

typedef struct {
    const CampaignSpec *spec;
    const ReportRun *line;
    ReportRun *full;
} DetailJob;

static void detail_worker(gpointer data, gpointer user)
{
    DetailJob *job = data;
    job->full = seed_report_detail(job->spec, job->line);
}

/* Gives the first REPORT_DETAIL_CAP failing seeds their detail, rerunning them `jobs` at once. */
static void detail_failing_seeds(const CampaignSpec *spec, ReportSuite *suite, gint jobs)
{
    DetailJob list[REPORT_DETAIL_CAP];
    guint n = 0;
    for (guint i = 0; i < suite->runs->len && n < REPORT_DETAIL_CAP; i++) {
        const ReportRun *line = g_ptr_array_index(suite->runs, i);
        if (!line->passed)
            list[n++] = (DetailJob){.spec = spec, .line = line};
    }
    GThreadPool *tp = g_thread_pool_new(detail_worker, NULL, jobs, TRUE, NULL);
    for (guint k = 0; k < n; k++)
        g_thread_pool_push(tp, &list[k], NULL);
    g_thread_pool_free(tp, FALSE, TRUE);
    for (guint k = 0; k < n; k++) {
        if (!list[k].full)
            continue;
        ((ReportRun *)list[k].line)->detail = list[k].full->detail;
        list[k].full->detail = NULL;
        report_run_free(list[k].full);
    }
}

/* The suite name of a campaign: the command without --shard, --jobs and --report, so the shards
 * of one campaign share it (durasim merge). Caller frees. */
static char *fuzz_suite_name(const CampaignSpec *spec, const char *seeds, const char *time_text)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "durasim fuzz --protocol %s", protocol_name(spec->protocol));
    if (time_text)
        g_string_append_printf(s, " --time %s", time_text);
    else
        g_string_append_printf(s, " --seeds %s", seeds ? seeds : "1..1000");
    if (spec->mode == FAULTS_BEYOND)
        g_string_append(s, " --faults beyond");
    bug_append_flags(s, spec->bugs);
    return g_string_free(s, FALSE);
}

static void print_coverage(const Progress *pr)
{
    const WorldStats *s = &pr->cover;
    printf("coverage: faults fired:");
    for (int k = 0; k < FAULT_KIND_COUNT; k++)
        printf(" %s=%" G_GUINT64_FORMAT, fault_kind_name((FaultKind)k), s->faults[k]);
    printf("\ncoverage: failpoints hit:");
    for (int f = 0; f < FP_COUNT; f++)
        printf(" %s=%" G_GUINT64_FORMAT, failpoint_name((FailpointId)f), s->failpoints_hit[f]);
    printf("\ncoverage: error paths: fsync-errors=%" G_GUINT64_FORMAT
           " write-errors=%" G_GUINT64_FORMAT " crashes=%" G_GUINT64_FORMAT
           " restarts=%" G_GUINT64_FORMAT " pauses=%" G_GUINT64_FORMAT
           " msgs-dropped=%" G_GUINT64_FORMAT " msgs-duplicated=%" G_GUINT64_FORMAT
           " client-retries=%" G_GUINT64_FORMAT " redirects=%" G_GUINT64_FORMAT "\n",
           s->fsync_errors, s->write_errors, s->crashes, s->restarts, s->pauses, s->msgs_dropped,
           s->msgs_duplicated, s->client_retries, s->client_redirects);
    printf("coverage: client failures:");
    for (int r = 1; r < FAIL_REASON_COUNT; r++)
        printf(" %s=%" G_GUINT64_FORMAT, fail_reason_name((FailReason)r), s->fail_reasons[r]);
    printf("\n");
}

int cli_fuzz(int argc, char **argv)
{
    char *protocol = NULL, *seeds = NULL, *time_text = NULL, *faults = NULL, *shard = NULL;
    char *report = NULL;
    char **bugs = NULL;
    ReportSet *set = NULL;
    gint jobs = 0;
    gboolean stop_on_first = FALSE, coverage = FALSE;
    GOptionEntry entries[] = {
        {"protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, "quorum or raft (required)", "P"},
        {"seeds", 0, 0, G_OPTION_ARG_STRING, &seeds, "Seeds to run, inclusive (default 1..1000)",
         "A..B"},
        {"time", 0, 0, G_OPTION_ARG_STRING, &time_text,
         "Run seeds from A (default 1) upwards for this long instead (e.g. 10m, 30s)", "DURATION"},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
         "Seeds run at once, each single-threaded (default: all cores)", "N"},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &shard,
         "Run only share K of N of the seeds (K in 1..N), for spreading a campaign", "K/N"},
        {"faults", 0, 0, G_OPTION_ARG_STRING, &faults,
         "within (default): only faults the protocol promises to survive; beyond: any", "MODE"},
        {"bug", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bugs, "Switch on a bug variant (repeatable)",
         "NAME"},
        {"stop-on-first", 0, 0, G_OPTION_ARG_NONE, &stop_on_first, "Stop at the first failing seed",
         NULL},
        {"coverage", 0, 0, G_OPTION_ARG_NONE, &coverage,
         "Print how often each fault kind, failpoint and error path fired", NULL},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Write report.json, junit.xml, summary.md and index.html into DIR", "DIR"},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    CampaignSpec spec = {0};
    uint64_t first = 1, last = 1000;
    guint shard_k = 1, shard_n = 1;
    double budget = 0;
    if (!cli_parse("fuzz", NULL,
                   "Run a campaign: every seed becomes a random cluster, workload and fault\n"
                   "schedule (swarm style), runs, and is judged by the oracles. Every failing\n"
                   "seed prints its violation and the exact command that replays it.\n"
                   "Exit status: 0 if no seed failed, 1 if any did, 2 on bad usage.",
                   entries, &argc, &argv))
        goto out;
    if (argc > 1) {
        cli_error("fuzz: unexpected argument '%s'", argv[1]);
        goto out;
    }
    if (!protocol || !protocol_parse(protocol, &spec.protocol)) {
        cli_error("fuzz: --protocol must be quorum or raft%s%s%s", protocol ? ", not '" : "",
                  protocol ? protocol : " (it is required)", protocol ? "'" : "");
        goto out;
    }
    if (faults && !fault_mode_parse(faults, &spec.mode)) {
        cli_error("fuzz: --faults must be within or beyond, not '%s'", faults);
        goto out;
    }
    if (seeds && time_text) {
        cli_error("fuzz: give --seeds or --time, not both");
        goto out;
    }
    if (seeds && !campaign_parse_range(seeds, &first, &last)) {
        cli_error("fuzz: --seeds '%s' is not a range A..B of seeds with A <= B", seeds);
        goto out;
    }
    if (time_text) {
        /* A wall-clock budget: 30s, 10m, 2h. */
        guint64 n = 0;
        char unit = 0, extra = 0;
        int got = sscanf(time_text, "%" G_GUINT64_FORMAT "%c%c", &n, &unit, &extra);
        double scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
        if (got != 2 || scale == 0 || n == 0 || n > 10000000 || !g_ascii_isdigit(time_text[0])) {
            cli_error("fuzz: --time '%s' is not a duration such as 30s, 10m or 2h", time_text);
            goto out;
        }
        budget = (double)n * scale;
        last = UINT64_MAX - 1;
    }
    if (shard && !campaign_parse_shard(shard, &shard_k, &shard_n)) {
        cli_error("fuzz: --shard '%s' is not K/N with 1 <= K <= N", shard);
        goto out;
    }
    if (!cli_resolve_jobs("fuzz", &jobs, 1))
        goto out;
    if (!cli_parse_bugs("fuzz", bugs, &spec.bugs) ||
        !cli_check_bugs_protocol("fuzz", spec.bugs, spec.protocol))
        goto out;
    if (report && !cli_report_open("fuzz", report))
        goto out;
    ReportSuite *suite = NULL;
    if (report) {
        set = report_set_new();
        g_autofree char *name = fuzz_suite_name(&spec, seeds, time_text);
        suite = report_set_add_suite(set, name, "fuzz");
        if (shard_n > 1)
            g_ptr_array_add(suite->shards, g_strdup_printf("%u/%u", shard_k, shard_n));
    }

    Pool pool = {.spec = spec, .window = (guint)jobs * 16};
    g_mutex_init(&pool.lock);
    g_cond_init(&pool.cond);
    pool.slots = g_new0(SeedResult, pool.window);
    pool.ready = g_new0(gboolean, pool.window);
    GThreadPool *tp = g_thread_pool_new(worker, &pool, jobs, TRUE, NULL);
    Progress pr = {.start = wall_now(), .tty = isatty(STDERR_FILENO)};
    pr.last_print = pr.start;
    if (!time_text) {
        uint64_t count = last - first + 1;
        pr.total = count / shard_n + ((count % shard_n) >= shard_k ? 1 : 0);
    }
    gboolean stop = FALSE;
    uint64_t next = first; /* next seed to consider */
    while (!stop && next <= last) {
        /* One window of seeds of this shard. */
        uint64_t base = next;
        guint n = 0;
        guint map[4096];
        g_assert(pool.window <= G_N_ELEMENTS(map));
        g_mutex_lock(&pool.lock);
        pool.base = base;
        memset(pool.ready, 0, pool.window * sizeof(gboolean));
        g_mutex_unlock(&pool.lock);
        while (n < pool.window && next <= last && next - base < pool.window) {
            if ((next - first) % shard_n == shard_k - 1) {
                map[n++] = (guint)(next - base);
                g_thread_pool_push(tp, GUINT_TO_POINTER((guint)(next - base) + 1), NULL);
            }
            next++;
        }
        for (guint i = 0; i < n; i++) {
            guint slot = map[i];
            g_mutex_lock(&pool.lock);
            while (!pool.ready[slot])
                g_cond_wait(&pool.cond, &pool.lock);
            SeedResult r = pool.slots[slot];
            g_mutex_unlock(&pool.lock);
            if (!stop) {
                pr.done++;
                pr.events += r.events;
                campaign_add_stats(&pr.cover, &r.stats);
                pr.beyond += r.beyond_model;
                for (int k = 0; k < V_KIND_COUNT; k++)
                    if (r.kinds & (1u << k))
                        pr.kind_seeds[k]++;
                if (suite)
                    report_suite_add_run(suite, seed_report_run(&spec, &r));
                if (!r.passed) {
                    pr.failed++;
                    progress(&pr, TRUE);
                    print_failure(&spec, &r);
                    if (stop_on_first) {
                        stop = TRUE;
                        g_atomic_int_set(&pool.cancel, 1);
                    }
                }
            }
            seed_result_clear(&r);
            progress(&pr, FALSE);
        }
        if (budget > 0 && wall_now() - pr.start >= budget)
            break;
    }
    g_thread_pool_free(tp, FALSE, TRUE);
    progress(&pr, TRUE);
    double elapsed = wall_now() - pr.start;
    printf("fuzz: protocol=%s faults=%s seeds=%" G_GUINT64_FORMAT " passed=%" G_GUINT64_FORMAT
           " failed=%" G_GUINT64_FORMAT " beyond-model=%u events=%" G_GUINT64_FORMAT
           " wall=%.2fs rate=%.0f seeds/s jobs=%d\n",
           protocol_name(spec.protocol), fault_mode_name(spec.mode), pr.done, pr.done - pr.failed,
           pr.failed, pr.beyond, pr.events, elapsed, elapsed > 0 ? (double)pr.done / elapsed : 0,
           jobs);
    if (pr.failed) {
        printf("fuzz: violations by kind (seeds):");
        for (int k = 0; k < V_KIND_COUNT; k++)
            if (pr.kind_seeds[k])
                printf(" %s=%u", violation_kind_name((ViolationKind)k), pr.kind_seeds[k]);
        printf("\n");
    }
    if (coverage)
        print_coverage(&pr);
    g_free(pool.slots);
    g_free(pool.ready);
    g_mutex_clear(&pool.lock);
    g_cond_clear(&pool.cond);
    status = pr.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
    if (suite) {
        double started = wall_now();
        suite->wall_seconds = elapsed;
        g_autoptr(JsonObject) cov = report_coverage_new(&pr.cover);
        report_coverage_add(suite->coverage, cov);
        detail_failing_seeds(&spec, suite, jobs);
        if (!cli_report_write("fuzz", set, report, started))
            status = CLI_EXIT_USAGE;
    }
out:
    report_set_free(set);
    g_free(protocol);
    g_free(seeds);
    g_free(time_text);
    g_free(faults);
    g_free(shard);
    g_free(report);
    g_strfreev(bugs);
    return status;
}

int cli_replay(int argc, char **argv)
{
    char *protocol = NULL, *faults = NULL, *export = NULL, *report = NULL;
    char **bugs = NULL;
    gint64 seed = -1;
    gboolean trace = FALSE, verbose = FALSE, history = FALSE;
    GOptionEntry entries[] = {
        {"protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, "quorum or raft (required)", "P"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "The seed to replay (required)", "N"},
        {"faults", 0, 0, G_OPTION_ARG_STRING, &faults, "within (default) or beyond", "MODE"},
        {"bug", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bugs, "Switch on a bug variant (repeatable)",
         "NAME"},
        {"trace", 0, 0, G_OPTION_ARG_NONE, &trace, "Print every trace record", NULL},
        {"history", 0, 0, G_OPTION_ARG_NONE, &history, "Print every client operation", NULL},
        {"export", 0, 0, G_OPTION_ARG_FILENAME, &export,
         "Write the seed as a scenario file that durasim run replays with the same trace hash",
         "FILE"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Write report.json, junit.xml, summary.md and index.html into DIR", "DIR"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print counts and notes too", NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    CampaignSpec spec = {0};
    g_autoptr(Scenario) s = NULL;
    if (!cli_parse("replay", NULL,
                   "Rerun one fuzz seed exactly (same trace hash), optionally printing its trace\n"
                   "or exporting it as a scenario file whose fault decisions are written down.",
                   entries, &argc, &argv))
        goto out;
    if (argc > 1) {
        cli_error("replay: unexpected argument '%s'", argv[1]);
        goto out;
    }
    if (!protocol || !protocol_parse(protocol, &spec.protocol)) {
        cli_error("replay: --protocol must be quorum or raft");
        goto out;
    }
    if (seed < 0) {
        cli_error("replay: --seed N is required (a non-negative integer)");
        goto out;
    }
    if (faults && !fault_mode_parse(faults, &spec.mode)) {
        cli_error("replay: --faults must be within or beyond, not '%s'", faults);
        goto out;
    }
    if (!cli_parse_bugs("replay", bugs, &spec.bugs) ||
        !cli_check_bugs_protocol("replay", spec.bugs, spec.protocol))
        goto out;
    s = scenario_generate(spec.protocol, (uint64_t)seed, spec.mode);
    s->config.bugs |= spec.bugs;
    if (export) {
        g_autoptr(GError) err = NULL;
        if (!scenario_save(s, export, &err)) {
            cli_error("replay: --export: %s", err->message);
            goto out;
        }
    }
    if (report && !cli_report_open("replay", report))
        goto out;
    RunOptions opt = {.trace_to = trace ? stdout : NULL, .keep_trace = history || report};
    RunResult r;
    double t0 = wall_now();
    runner_run(s, &opt, &r, NULL);
    double wall = wall_now() - t0;
    cli_print_result(s->name, &r, verbose);
    if (history)
        cli_print_history(&r);
    if (report) {
        double started = wall_now();
        g_autoptr(ReportSet) set = report_set_new();
        g_autofree char *replay = campaign_replay_command(&spec, (uint64_t)seed);
        ReportSuite *suite = report_set_add_suite(set, replay, "replay");
        suite->wall_seconds = wall;
        g_autoptr(JsonObject) cov = report_coverage_new(&r.stats);
        report_coverage_add(suite->coverage, cov);
        report_suite_add_run(suite, cli_report_run_new(s->name, export, &r, replay, wall));
        if (!cli_report_write("replay", set, report, started)) {
            run_result_clear(&r);
            goto out;
        }
    }
    if (export)
        printf("exported: %s (durasim run %s)\n", export, export);
    status = r.passed ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
    run_result_clear(&r);
out:
    g_free(protocol);
    g_free(faults);
    g_free(export);
    g_free(report);
    g_strfreev(bugs);
    return status;
}
