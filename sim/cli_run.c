/* sim/cli_run.c — `durasim run`, `durasim list` and `durasim bugs`. */
#include "sim/cli.h"
#include "sim/cli_options.h"
#include "sim/runner.h"

#include "reports/history/export.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Whether a file of a directory is of a protocol this build left out: then it is skipped, with a
 * line that says so (a library holds every protocol's scenarios; a build may lack one). */
static gboolean skip_unbuilt(const char *path)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Scenario) s = scenario_load_file(path, &err);
    if (s || !g_error_matches(err, SCENARIO_ERROR, SCENARIO_ERROR_NOT_BUILT))
        return FALSE;
    printf("SKIP  %s\n", err->message);
    return TRUE;
}

/* Expands FILE|DIR arguments into scenario files (a directory's files of a protocol this build
 * left out are skipped, each with a SKIP line); prints an error and returns NULL on failure. */
GPtrArray *cli_expand_paths(const char *command, int argc, char **argv)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            g_autoptr(GError) err = NULL;
            char **list = scenario_list_dir(argv[i], &err);
            if (!list) {
                cli_error("%s: %s", command, err->message);
                g_ptr_array_unref(files);
                return NULL;
            }
            if (!list[0]) {
                cli_error("%s: %s: no scenario files (*.ini)", command, argv[i]);
                g_strfreev(list);
                g_ptr_array_unref(files);
                return NULL;
            }
            for (int k = 0; list[k]; k++) {
                if (skip_unbuilt(list[k]))
                    g_free(list[k]);
                else
                    g_ptr_array_add(files, list[k]);
            }
            g_free(list);
        } else if (g_file_test(argv[i], G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(files, g_strdup(argv[i]));
        } else {
            cli_error("%s: %s: no such file or directory", command, argv[i]);
            g_ptr_array_unref(files);
            return NULL;
        }
    }
    return files;
}

/* ---- --report ---- */

double cli_wall_now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

gboolean cli_report_open(const char *command, const char *dir)
{
    if (!*dir) {
        cli_error("%s: --report needs a directory", command);
        return FALSE;
    }
    if (g_mkdir_with_parents(dir, 0755) != 0 || access(dir, W_OK) != 0) {
        cli_error("%s: --report %s: cannot create or write that directory: %s", command, dir,
                  g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* The first thing wrong with a failing run, one line: an unmet expectation or a violation. */
static char *first_problem(const RunResult *r)
{
    if (r->passed)
        return NULL;
    if (r->failures->len > 0)
        return g_strdup_printf("expected %s", (const char *)g_ptr_array_index(r->failures, 0));
    if (r->verdict.violations->len > 0) {
        const Violation *x = g_ptr_array_index(r->verdict.violations, 0);
        return g_strdup_printf("%s: %s", violation_kind_name(x->kind), x->text);
    }
    return g_strdup("failed");
}

static JsonObject *run_detail(const RunResult *r)
{
    guint n = r->fired->len;
    ReportFault *faults = g_new0(ReportFault, n + 1);
    for (guint i = 0; i < n; i++) {
        const FiredFault *f = &g_array_index(r->fired, FiredFault, i);
        faults[i] = (ReportFault){.name = g_ptr_array_index(r->fired_names, i),
                                  .time = f->time,
                                  .node = f->node,
                                  .ends = f->ends};
    }
    ReportDetailInput in = {.failures = r->failures,
                            .faults = faults,
                            .nfaults = n,
                            .stats = &r->stats,
                            .checker = r->checker};
    JsonObject *detail = report_detail_new(r->world, &r->verdict, &in);
    g_free(faults);
    return detail;
}

ReportRun *cli_report_run_new(const char *name, const char *file, const RunResult *r,
                              const char *replay, double wall_seconds)
{
    ReportRun *x = report_run_new();
    x->name = g_strdup(name);
    x->file = g_strdup(file);
    x->protocol = g_strdup(protocol_name(r->config.protocol));
    x->seed = r->seed;
    x->trace_hash = r->trace_hash;
    x->passed = r->passed;
    x->beyond_model = r->verdict.beyond_model;
    x->events = r->events;
    x->sim_end = r->sim_end;
    x->wall_seconds = wall_seconds;
    x->acked = r->verdict.acked;
    x->failed = r->verdict.failed;
    x->indeterminate = r->verdict.indeterminate;
    x->orphans = r->verdict.orphans;
    x->kinds = r->verdict.kinds;
    x->first = first_problem(r);
    x->replay = g_strdup(replay);
    report_shape_from_config(&x->shape, &r->config);
    if (r->world)
        x->detail = run_detail(r);
    return x;
}

gboolean cli_report_write(const char *command, const ReportSet *set, const char *dir,
                          double started)
{
    g_autoptr(GError) err = NULL;
    if (!report_write_all(set, dir, &err)) {
        cli_error("%s: --report: %s", command, err->message);
        return FALSE;
    }
    const char *files[] = {"report.json", "junit.xml", "summary.md", "index.html"};
    guint64 bytes = 0;
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(dir, files[i], NULL);
        GStatBuf st;
        if (g_stat(path, &st) == 0)
            bytes += (guint64)st.st_size;
    }
    g_autofree char *html = g_build_filename(dir, "index.html", NULL);
    printf("report: %s (report.json, junit.xml, summary.md, %s) %" G_GUINT64_FORMAT
           " KB written in %.2fs\n",
           dir, html, (bytes + 1023) / 1024, cli_wall_now() - started);
    return TRUE;
}

/* The command that replays one scenario run as this invocation ran it. Caller frees. */
static char *scenario_replay(const char *file, gint64 seed, const Protocol *p, BugSet bugs)
{
    GString *s = g_string_new("durasim run");
    if (seed >= 0)
        g_string_append_printf(s, " --seed %" G_GINT64_FORMAT, seed);
    protocol_bug_append_flags(p, s, bugs);
    g_string_append_printf(s, " %s", file);
    return g_string_free(s, FALSE);
}

/* The suite name of `durasim run`: the command as given, without the flags that only change
 * what is printed or where. Caller frees. */
static char *run_suite_name(int argc, char **argv, gint64 seed, char **bugs)
{
    GString *s = g_string_new("durasim run");
    if (seed >= 0)
        g_string_append_printf(s, " --seed %" G_GINT64_FORMAT, seed);
    for (guint i = 0; bugs && bugs[i]; i++)
        g_string_append_printf(s, " --bug %s", bugs[i]);
    for (int i = 1; i < argc; i++)
        g_string_append_printf(s, " %s", argv[i]);
    return g_string_free(s, FALSE);
}

/* Whether every --bug names a variant of some scenario's protocol: one that no scenario given
 * can run would silently change nothing. */
static gboolean bugs_apply(const char *command, char **bugs, const GPtrArray *scenarios)
{
    for (guint i = 0; bugs && bugs[i]; i++) {
        g_auto(GStrv) parts = g_strsplit(bugs[i], ",", -1);
        for (guint j = 0; parts[j]; j++) {
            const char *name = g_strstrip(parts[j]);
            char *one[] = {(char *)name, NULL};
            gboolean used = *name == '\0' || strcmp(name, "none") == 0;
            for (guint k = 0; k < scenarios->len && !used; k++) {
                const Scenario *s = g_ptr_array_index(scenarios, k);
                used = cli_bugs_of(s->config.protocol, one) != 0;
            }
            if (!used) {
                g_autofree char *owners = protocol_bug_owners(name);
                cli_error("%s: --bug %s is a %s bug, but no scenario given is protocol = %s",
                          command, name, owners, owners);
                return FALSE;
            }
        }
    }
    return TRUE;
}

void cli_print_history(const RunResult *r)
{
    World *w = r->world;
    History *h = world_history(w);
    for (guint i = 0; i < history_len(h); i++) {
        const HistOp *op = history_op(h, i);
        char inv[32], done[32], label[64], idem[64];
        sim_time_format_human(op->invoke, inv, sizeof inv);
        if (op->complete == SIM_TIME_NEVER)
            g_strlcpy(done, "-", sizeof done);
        else
            sim_time_format_human(op->complete, done, sizeof done);
        printf("  %-10s %-4s %-6s %-10s", checker_op_label(w, op->id, label, sizeof label),
               world_endpoint_name(w, op->client), op_kind_name(op->kind), world_op_about(w, op));
        if (op->kind == OP_PUT || op->kind == OP_ADD)
            printf(" %-6" G_GINT64_FORMAT, op->value);
        else
            printf(" %-6s", "");
        printf(" %12s .. %-12s %-13s", inv, done, outcome_name(op->outcome));
        if (op->kind == OP_GET && op->outcome == OUTCOME_OK) {
            if (op->present)
                printf(" -> %" G_GINT64_FORMAT, op->result);
            else
                printf(" -> absent");
        } else if (op->outcome != OUTCOME_OK && op->outcome != OUTCOME_PENDING) {
            printf(" (%s)", fail_reason_name(op->reason));
        }
        printf("  idem=%s tries=%u", world_idem_name(w, op->idem, idem, sizeof idem), op->attempts);
        if (op->kind != OP_GET && op->ctx_op != UINT32_MAX)
            printf(" after=%s", checker_op_label(w, op->ctx_op, label, sizeof label));
        if (op->nsib > 1 || (op->nsib == 1 && history_sibling(h, op, 0)->idem != op->idem)) {
            printf(" siblings=");
            for (guint s = 0; s < op->nsib; s++)
                printf("%s%s", s ? "," : "",
                       world_idem_name(w, history_sibling(h, op, s)->idem, idem, sizeof idem));
        }
        printf("\n");
    }
}

gboolean cli_write_history(const RunResult *r, const char *command, const char *path)
{
    g_autoptr(GError) err = NULL;
    if (!hc_export_edn_file(r->world, path, &err)) {
        cli_error("%s: --history-out: %s", command, err->message);
        return FALSE;
    }
    printf("history: %s (durasim check-history --model durasim-kv %s)\n", path, path);
    return TRUE;
}

void cli_print_result(const char *name, const RunResult *r, gboolean verbose)
{
    g_autofree char *fp = run_result_fingerprint(r);
    printf("%s  %-32s %s\n", r->passed ? "PASS" : "FAIL", name, fp);
    for (guint i = 0; i < r->failures->len; i++)
        printf("      expected: %s\n", (const char *)g_ptr_array_index(r->failures, i));
    if (!r->passed || verbose) {
        for (guint i = 0; i < r->verdict.violations->len; i++) {
            const Violation *x = g_ptr_array_index(r->verdict.violations, i);
            printf("      %s: %s\n", violation_kind_name(x->kind), x->text);
        }
        for (int k = 0; k < V_KIND_COUNT; k++)
            if (r->verdict.counts[k] > VERDICT_EXAMPLES)
                printf("      %s: %u more\n", violation_kind_name((ViolationKind)k),
                       r->verdict.counts[k] - VERDICT_EXAMPLES);
    }
    if (verbose) {
        const Verdict *v = &r->verdict;
        printf("      writes: %u acked, %u failed, %u indeterminate; orphans: %u (%u surfaced, "
               "%u latent); reads: %u, stale: %u; linearizability: %s%s\n",
               v->acked, v->failed, v->indeterminate, v->orphans, v->orphans_surfaced,
               v->orphans_latent, v->reads, v->stale_reads,
               v->lin_skipped ? "not-applicable" : lin_result_name(v->lin),
               v->lin_promised || v->lin_skipped ? "" : " (not promised by this configuration)");
        const WorldStats *st = &r->stats;
        printf("      work: %" G_GUINT64_FORMAT " events; %" G_GUINT64_FORMAT
               " messages (%" G_GUINT64_FORMAT " dropped); %" G_GUINT64_FORMAT
               " disk writes, %" G_GUINT64_FORMAT " fsyncs (%" G_GUINT64_FORMAT " failed)\n",
               r->events, st->msgs_sent, st->msgs_dropped, st->disk_writes, st->disk_fsyncs,
               st->fsync_errors);
        g_autofree char *costs = world_stats_costs_line(st, r->config.protocol);
        if (costs)
            printf("      %s\n", costs);
        if (v->model_note)
            printf("      %s\n", v->model_note);
        if (v->liveness_note)
            printf("      liveness %s\n", v->liveness_note);
        if (v->convergence_note)
            printf("      convergence %s\n", v->convergence_note);
        if (v->lin_note)
            printf("      linearizability %s\n", v->lin_note);
        if (v->siblings_max > 1 || v->siblings_note || v->siblings_reissued)
            printf("      siblings: up to %u per get; %u gets returned a write issued twice "
                   "beside one that had seen it, %u a write beside one whose truncated clock "
                   "dropped it (neither judged)%s%s\n",
                   v->siblings_max, v->siblings_reissued, v->siblings_truncated,
                   v->siblings_note ? "; " : "", v->siblings_note ? v->siblings_note : "");
        if (v->lost_update_note)
            printf("      lost updates (not promised under last-writer-wins): %u, the first: %s\n",
                   v->lost_updates, v->lost_update_note);
        if (r->streamed)
            printf("      judged as the run went: %" G_GUINT64_FORMAT
                   " operations (%" G_GUINT64_FORMAT " writes) folded; %u held to the end\n",
                   r->stream.folded_ops, r->stream.folded_writes, r->stream.held_ops);
    }
}

/* What `durasim run` was asked. */
typedef struct {
    gint64 seed; /* -1: each scenario's own */
    gboolean trace, verbose, history;
    char **bugs;
    char *report, *history_out;
} RunArgs;

static void run_args_clear(RunArgs *a)
{
    g_strfreev(a->bugs);
    g_free(a->report);
    g_free(a->history_out);
}

static gboolean parse_run_args(int *argc, char ***argv, RunArgs *a)
{
    *a = (RunArgs){.seed = -1};
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_INT64, &a->seed, "Override each scenario's seed", "N"},
        {"trace", 0, 0, G_OPTION_ARG_NONE, &a->trace, "Print every trace record as it happens",
         NULL},
        {"bug", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->bugs,
         "Switch on a bug variant (repeatable; see durasim bugs)", "NAME"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &a->report,
         "Write report.json, junit.xml, summary.md and index.html into DIR", "DIR"},
        {"history", 0, 0, G_OPTION_ARG_NONE, &a->history,
         "Print every client operation: invocation, completion, outcome and result", NULL},
        {"history-out", 0, 0, G_OPTION_ARG_FILENAME, &a->history_out,
         "Write the client history to FILE in jepsen-edn (one scenario)", "FILE"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose,
         "Also print counts, notes and violations of passing runs", NULL},
        CLI_CHECK_INVARIANTS_ENTRY,
        CLI_KEEP_HISTORY_ENTRY,
        {NULL},
    };
    return cli_parse("run", "FILE|DIR...",
                     "Run scenario files (or every *.ini of a directory), judge each against its\n"
                     "[expect] group, and print one line per scenario: verdict, name, seed and\n"
                     "trace hash, with every unmet expectation (expected vs actual) and "
                     "violation.\n"
                     "Exit status: 0 if every scenario passed, 1 if any failed, 2 on bad input.",
                     entries, argc, argv);
}

/* The scenario files the arguments name, checked against the flags; NULL (after one line of
 * error) when something is wrong. */
static GPtrArray *run_files(const RunArgs *a, int argc, char **argv)
{
    if (argc < 2) {
        cli_error("run: give at least one scenario file or directory (try 'durasim run --help')");
        return NULL;
    }
    if (a->seed < -1) {
        cli_error("run: --seed must be a non-negative integer");
        return NULL;
    }
    if (!cli_check_bug_names("run", a->bugs) || (a->report && !cli_report_open("run", a->report)))
        return NULL;
    GPtrArray *files = cli_expand_paths("run", argc, argv);
    if (files && a->history_out && files->len != 1) {
        cli_error("run: --history-out writes one history: give one scenario file, not %u",
                  files->len);
        g_clear_pointer(&files, g_ptr_array_unref);
    }
    return files;
}

/* Loads every file; NULL (after one line of error) when one does not load or a --bug fits no
 * scenario's protocol. */
static GPtrArray *load_scenarios(const GPtrArray *files, char **bugs)
{
    GPtrArray *scenarios = g_ptr_array_new_with_free_func((GDestroyNotify)scenario_free);
    for (guint i = 0; i < files->len; i++) {
        g_autoptr(GError) err = NULL;
        Scenario *s = scenario_load_file(g_ptr_array_index(files, i), &err);
        if (!s) {
            cli_error("%s", err->message);
            g_ptr_array_unref(scenarios);
            return NULL;
        }
        g_ptr_array_add(scenarios, s);
    }
    if (!bugs_apply("run", bugs, scenarios)) {
        g_ptr_array_unref(scenarios);
        return NULL;
    }
    return scenarios;
}

/* Adds a scenario's run to the report suite. */
static void report_scenario(ReportSuite *suite, const RunArgs *a, const Scenario *s,
                            const char *file, const RunResult *r, BugSet bugs, double wall)
{
    g_autofree char *replay = scenario_replay(file, a->seed, s->config.protocol, bugs);
    ReportRun *line = cli_report_run_new(s->name, file, r, replay, wall);
    line->expected = s->expect.violations | s->expect.include;
    report_suite_add_run(suite, line);
    g_autoptr(JsonObject) cov = report_coverage_new(&r->stats, s->config.protocol);
    report_coverage_add(suite->coverage, cov);
    report_latency_add(&suite->latency, &r->latency);
}

/* Runs the scenarios in order, printing each, into `suite` when reporting. Returns the exit
 * status; *report_seconds gets the time spent on the report. */
static int run_scenarios(const RunArgs *a, const GPtrArray *files, const GPtrArray *scenarios,
                         ReportSuite *suite, double *report_seconds)
{
    RunOptions opt = {.has_seed = a->seed >= 0,
                      .seed = (uint64_t)MAX(a->seed, 0),
                      .trace_to = a->trace ? stdout : NULL,
                      .keep_trace = a->history || a->report || a->history_out};
    guint passed = 0;
    for (guint i = 0; i < scenarios->len; i++) {
        const Scenario *s = g_ptr_array_index(scenarios, i);
        RunResult r;
        g_autoptr(GError) err = NULL;
        double t0 = cli_wall_now();
        opt.extra_bugs = cli_bugs_of(s->config.protocol, a->bugs);
        if (!runner_run(s, &opt, &r, &err)) {
            cli_error("run: %s: internal error: %s", s->name, err ? err->message : "?");
            return CLI_EXIT_INTERNAL;
        }
        cli_print_result(s->name, &r, a->verbose);
        if (a->history)
            cli_print_history(&r);
        if (a->history_out && !cli_write_history(&r, "run", a->history_out)) {
            run_result_clear(&r);
            return CLI_EXIT_USAGE;
        }
        passed += r.passed;
        if (suite) {
            double t1 = cli_wall_now();
            report_scenario(suite, a, s, g_ptr_array_index(files, i), &r, opt.extra_bugs, t1 - t0);
            *report_seconds += cli_wall_now() - t1;
        }
        run_result_clear(&r);
    }
    printf("scenarios: %u run, %u passed, %u failed\n", scenarios->len, passed,
           scenarios->len - passed);
    return passed == scenarios->len ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}

int cli_run(int argc, char **argv)
{
    RunArgs a;
    if (!parse_run_args(&argc, &argv, &a)) {
        run_args_clear(&a);
        return CLI_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) files = run_files(&a, argc, argv);
    g_autoptr(GPtrArray) scenarios = files ? load_scenarios(files, a.bugs) : NULL;
    if (!scenarios) {
        run_args_clear(&a);
        return CLI_EXIT_USAGE;
    }
    g_autoptr(ReportSet) set = NULL;
    ReportSuite *suite = NULL;
    if (a.report) {
        set = report_set_new();
        g_autofree char *name = run_suite_name(argc, argv, a.seed, a.bugs);
        suite = report_set_add_suite(set, name, "run");
    }
    double started = cli_wall_now(), report_seconds = 0;
    int status = run_scenarios(&a, files, scenarios, suite, &report_seconds);
    if (suite && (status == CLI_EXIT_PASS || status == CLI_EXIT_FAIL)) {
        suite->wall_seconds = cli_wall_now() - started;
        if (!cli_report_write("run", set, a.report, cli_wall_now() - report_seconds))
            status = CLI_EXIT_USAGE;
    }
    run_args_clear(&a);
    return status;
}

/* A file of a protocol this build left out, as `list` shows it: its name and protocol, and that
 * it cannot run here. */
static char **unbuilt_line(const char *path)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL);
    char **line = g_new0(char *, 4);
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = '\0';
    char *name = g_key_file_get_string(kf, "scenario", "name", NULL);
    char *protocol = g_key_file_get_string(kf, "scenario", "protocol", NULL);
    char *summary = g_key_file_get_string(kf, "scenario", "summary", NULL);
    line[0] = name ? g_strstrip(name) : g_strdup(base);
    line[1] = protocol ? g_strstrip(protocol) : g_strdup("?");
    line[2] = g_strdup_printf("(not in this build) %s", summary ? g_strstrip(summary) : "");
    g_free(summary);
    return line;
}

int cli_list(int argc, char **argv)
{
    if (!cli_parse("list", "[DIR]",
                   "List the scenarios of a library directory (default: scenarios): name,\n"
                   "protocol and summary, one per line.",
                   NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc > 2) {
        cli_error("list: takes at most one directory");
        return CLI_EXIT_USAGE;
    }
    const char *dir = argc == 2 ? argv[1] : "scenarios";
    g_autoptr(GError) err = NULL;
    char **files = scenario_list_dir(dir, &err);
    if (!files) {
        cli_error("list: %s", err->message);
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_PASS;
    /* name, protocol, summary per file, in file order */
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    int width = 0;
    for (int i = 0; files[i]; i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(Scenario) s = scenario_load_file(files[i], &e);
        char **line = NULL;
        if (s) {
            line = g_new0(char *, 4);
            line[0] = g_strdup(s->name);
            line[1] = g_strdup(protocol_name(s->config.protocol));
            line[2] = g_strdup(s->summary);
        } else if (g_error_matches(e, SCENARIO_ERROR, SCENARIO_ERROR_NOT_BUILT)) {
            line = unbuilt_line(files[i]);
        } else {
            cli_error("%s", e->message);
            status = CLI_EXIT_USAGE;
            continue;
        }
        width = MAX(width, (int)strlen(line[0]));
        g_ptr_array_add(lines, line);
    }
    for (guint i = 0; i < lines->len; i++) {
        char **line = g_ptr_array_index(lines, i);
        printf("%-*s  %-6s  %s\n", width, line[0], line[1], line[2]);
    }
    g_strfreev(files);
    return status;
}

int cli_bugs(int argc, char **argv)
{
    if (!cli_parse("bugs", NULL,
                   "List the built-in bug variants: each is one deliberate deviation in the\n"
                   "protocol code, switched on with --bug NAME or bugs = NAME in a scenario, and\n"
                   "the violation kind that catches it.",
                   NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc > 1) {
        cli_error("bugs: unexpected argument '%s'", argv[1]);
        return CLI_EXIT_USAGE;
    }
    for (guint i = 0; i < protocol_count(); i++) {
        const Protocol *p = protocol_at(i);
        for (guint k = 0; k < p->n_bugs; k++)
            printf("%-26s %-7s %-17s %s\n", p->bugs[k].name, p->name, p->bugs[k].oracle,
                   p->bugs[k].summary);
    }
    return CLI_EXIT_PASS;
}
