/* sim/runner.h — one run: a scenario becomes a world, the world runs with its faults armed and
 * its oracles watching, and the result is judged against the scenario's expectations.
 *
 * Phases: the workload and the fault plan run until every operation completed and every timed
 * fault fired and ended; then `settle` passes (repair, catch-up, anti-entropy); then the final
 * phase writes a liveness probe and reads every key the run touched, and the oracles judge.
 * Nothing goes past `duration`.
 */
#pragma once

#include "reports/check.h"
#include "reports/stream.h"
#include "reports/report.h"
#include "scenarios/scenario.h"

typedef struct {
    gboolean has_seed;
    uint64_t seed;       /* overrides the scenario's seed */
    BugSet extra_bugs;   /* added to the scenario's bugs */
    FILE *trace_to;      /* print the readable trace here (NULL: no) */
    gboolean keep_trace; /* keep trace records for reports (and the whole history) */
    /* Keep the whole history and every checker fact to the end (the reports need them), instead
     * of folding what is final as the run goes (reports/stream.h): --keep-history. */
    gboolean keep_history;
    uint64_t lin_budget;
} RunOptions;

typedef struct RunResult {
    uint64_t seed;
    uint64_t trace_hash;
    uint64_t trace_records;
    uint64_t events;
    SimTime sim_end;
    Verdict verdict;
    ModelJudgement judgement;
    gboolean passed;     /* expectations (or: no violation) */
    GPtrArray *failures; /* of char*: each unmet expectation, with expected vs actual */
    WorldStats stats;
    ReportLatency latency;  /* of the client operations */
    GArray *fired;          /* of FiredFault */
    GPtrArray *fired_names; /* of char*: fault names, parallel to fired */
    gboolean streamed;      /* the checker folded what was final as the run went */
    StreamStats stream;     /* what it folded, and held at the end */
    /* kept for reports when RunOptions.keep_trace */
    World *world;
    Checker *checker;
    WorldConfig config;
} RunResult;

/* Runs `s`; fills `out` (caller clears it with run_result_clear). Returns FALSE only on an
 * internal error (which it describes in *error). */
gboolean runner_run(const Scenario *s, const RunOptions *opt, RunResult *out, GError **error);
void run_result_clear(RunResult *r);
/* Every run of this process from now on checks every invariant (world_set_invariants), not
 * only the cheap ones; set before the first run (--check-invariants). */
void runner_set_check_invariants(gboolean on);
/* Every run of this process from now on keeps its whole history (RunOptions.keep_history):
 * --keep-history, or DURASIM_KEEP_HISTORY=1 in the environment. */
void runner_set_keep_history(gboolean on);
/* Streaming runs fold each write as soon as its module says it is settled, without waiting for
 * it to be quiet a while (DURASIM_STREAM_EAGER=1: for tests of the folds). */
void runner_set_stream_eager(gboolean on);
/* For crash reports: the run in progress on this thread ("seed=.. time=.. event=.."), or
 * FALSE if none. Called from the SIGABRT handler. */
gboolean runner_describe_current(char *buf, gsize size);

/* Prints the one-line verdict of a run (and its violations; all details when verbose). */
void cli_print_result(const char *name, const RunResult *r, gboolean verbose);
/* Prints the client history of a run kept with RunOptions.keep_trace. */
void cli_print_history(const RunResult *r);
/* Writes the client history of a run kept with RunOptions.keep_trace to `path` in jepsen-edn;
 * FALSE (after one line naming `command`) when it cannot. */
gboolean cli_write_history(const RunResult *r, const char *command, const char *path);
/* "seed=<n> trace=<16 hex digits>" */
char *run_result_fingerprint(const RunResult *r);
