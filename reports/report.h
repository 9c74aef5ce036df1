/* reports/report.h — the reports of one command (run, fuzz, replay) or of merged campaign shards:
 * a plain model that the command line fills from its runs, and the writers of report.json,
 * junit.xml, summary.md and index.html (reports/README.md documents them and the JSON schema).
 *
 * A set holds suites (one per command), a suite holds runs (one per scenario or seed). A run is
 * either one line (seed, verdict, trace hash, counts, replay command) or, for failing runs and
 * for the runs of `durasim run` and `durasim replay`, also carries its detail: violations with
 * their operations, nodes and times, unmet expectations, coverage, and a causal slice of the
 * trace with each node's durable and cached disk state (report_detail_new).
 *
 * Invariants: runs keep the order the command ran them in (seed order for campaigns); nothing
 * in a report depends on hash-table order; at most REPORT_DETAIL_CAP failing runs per suite carry
 * their detail, the rest are counted as one-line runs.
 */
#pragma once

#include "reports/check.h"
#include "reports/report_json.h"
#include "reports/report_latency.h"

#define REPORT_SCHEMA_NAME     "durasim-report"
#define REPORT_SCHEMA_VERSION  1
#define REPORT_DETAIL_CAP      50  /* failing runs of one suite reported in full */
#define REPORT_SLICE_CAP       300 /* trace records in the slice of one detailed run */
#define REPORT_MERMAID_CAP     120 /* lines of one sequence diagram in summary.md */
#define REPORT_MD_FAILURES_CAP 10  /* failing runs of one suite drawn in summary.md */
#define REPORT_LIST_CAP        100 /* larger suites list only their failing runs (md, html) */
#define REPORT_ROWS_CAP        200 /* rows of one results table (md, html) */
#define REPORT_POINTS_CAP      800 /* operations in the latency plot of one detailed run */
#define REPORT_REDUNDANCY_CAP  60  /* writes in the redundancy plot of one detailed run */

typedef struct {
    char *name;     /* scenario name, or "seed-N" for a campaign seed */
    char *file;     /* the scenario file, or NULL */
    char *protocol; /* "quorum" or "raft" */
    uint64_t seed;
    uint64_t trace_hash;
    gboolean passed; /* expectations held (or, without [expect], no violation) */
    gboolean beyond_model;
    uint64_t events;
    SimTime sim_end;
    double wall_seconds;
    guint acked, failed, indeterminate, orphans;
    ViolationSet kinds;
    ViolationSet expected; /* kinds the scenario's [expect] names (violations or include) */
    char *first;           /* the first violation or unmet expectation, one line; NULL if none */
    char *replay;          /* the command that replays this run */
    ReportShape shape;
    JsonObject *detail; /* owned; NULL for a one-line run (report_detail_new) */
} ReportRun;

/* The campaign a fuzz suite belongs to: what fixes the runs of its seeds and how they are
 * shared out. Shards of one campaign have equal records; `durasim merge` checks that they do. */
typedef struct {
    char *protocol;       /* "quorum", "raft", ... */
    char *faults;         /* "within" or "beyond" */
    char *bugs;           /* the bug variants, "a,b" or "none" */
    uint64_t first, last; /* the seed range (with a --time budget: from `first` upwards) */
    char *time;           /* the --time budget as given, or NULL */
    guint shard_count;    /* the N of --shard K/N; 1 when unsharded */
    char *version;        /* the durasim version that ran it */
} ReportCampaign;

typedef struct {
    char *name;               /* the command that made it, without --shard, --jobs and --report */
    char *command;            /* "run", "fuzz" or "replay" */
    GPtrArray *shards;        /* of char*, "K/N" of each shard merged in; empty when unsharded */
    GPtrArray *runs;          /* of ReportRun*, owned */
    double wall_seconds;      /* the command's wall time (summed over shards) */
    JsonObject *coverage;     /* owned: counters summed over every run (report_coverage_new) */
    ReportCampaign *campaign; /* owned; NULL when the suite is not a fuzz campaign */
    ReportLatency latency;    /* summed over every run (and every shard merged in) */
    gboolean partial;         /* merged with --partial: some shards are missing */
    GPtrArray *missing;       /* of char*, "K/N" of each missing shard (when partial) */
} ReportSuite;

typedef struct {
    GPtrArray *suites; /* of ReportSuite*, owned */
} ReportSet;

/* ---- the model ---- */

/* Caller owns the results. */
ReportSet *report_set_new(void);
void report_set_free(ReportSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportSet, report_set_free)
/* A new suite, appended to the set (which owns it). */
ReportSuite *report_set_add_suite(ReportSet *set, const char *name, const char *command);
void report_suite_free(ReportSuite *suite);
ReportRun *report_run_new(void);
void report_run_free(ReportRun *run);
/* Appends a run; the suite takes ownership. */
void report_suite_add_run(ReportSuite *suite, ReportRun *run);

/* Totals over a suite. */
typedef struct {
    guint runs, passed, failed, detailed, one_line_failures;
    uint64_t events;
    double wall_seconds;
} ReportTotals;
void report_suite_totals(const ReportSuite *suite, ReportTotals *out);
void report_set_totals(const ReportSet *set, ReportTotals *out);
/* Whether a suite of the set is a partial campaign (merged with --partial, shards missing). */
gboolean report_set_partial(const ReportSet *set);

/* The coverage counters of a run as a JSON object; caller owns the result. */
JsonObject *report_coverage_new(const WorldStats *stats, const Protocol *protocol);
/* Adds every integer counter of `add` to `total`, member by member (objects recursively). */
void report_coverage_add(JsonObject *total, JsonObject *add);

/* ---- the detail of one run ---- */

/* A fired fault, as the command line reports it. */
typedef struct {
    const char *name;
    SimTime time;
    EndpointId node; /* or ENDPOINT_NONE */
    SimTime ends;    /* SIM_TIME_NEVER: lasts */
} ReportFault;

typedef struct {
    const GPtrArray *failures; /* of char*: unmet expectations; may be NULL */
    const ReportFault *faults;
    guint nfaults;
    const WorldStats *stats;
    const Checker *checker; /* what the oracles kept (the redundancy of each write); may be NULL */
} ReportDetailInput;

/* The detail of a run whose world kept its trace (world_keep_trace): violations, operations,
 * notes, coverage and the trace slice with disk states. Caller owns the result. */
JsonObject *report_detail_new(World *w, const Verdict *v, const ReportDetailInput *in);

/* The operations of a run for its plots over simulated time (detail member "points"): every
 * client operation (not the liveness probe or the final reads), at most REPORT_POINTS_CAP of
 * them (every k-th when there are more), each with the step of the trace slice `trace` (the
 * detail's "trace", may be NULL) that shows it. Caller owns the result. */
JsonObject *report_points_new(World *w, JsonObject *trace);

/* The redundancy of the run's acknowledged writes over time (detail member "redundancy"): the
 * copies each had from its ack on, at most REPORT_REDUNDANCY_CAP writes (the under-replicated
 * first), from the history the checker kept (checker_keep_history); NULL when none was kept.
 * Caller owns the result. */
JsonObject *report_redundancy_new(World *w, const Checker *checker);

/* ---- the files ---- */

/* Each writes one file into `dir` (which must exist); GError on I/O errors. */
gboolean report_write_json(const ReportSet *set, const char *dir, GError **error);
gboolean report_write_junit(const ReportSet *set, const char *dir, GError **error);
gboolean report_write_markdown(const ReportSet *set, const char *dir, GError **error);
gboolean report_write_html(const ReportSet *set, const char *dir, GError **error);
/* Creates `dir` if needed and writes all four files. */
gboolean report_write_all(const ReportSet *set, const char *dir, GError **error);

/* A run as its JSON object (one line in report.json); caller owns the result. */
JsonObject *report_run_to_json(const ReportRun *run);
/* The whole set as the JSON document of report.json; caller owns the result. */
char *report_set_to_json(const ReportSet *set, gsize *length);

/* ---- reading and merging ---- */

/* Reads a report.json written by report_write_json; GError names the file and what is wrong.
 * Caller owns the result. */
ReportSet *report_set_load(const char *path, GError **error);
/* A campaign record; caller owns the result (report_campaign_free). */
ReportCampaign *report_campaign_new(const char *protocol, const char *faults, const char *bugs,
                                    uint64_t first, uint64_t last, const char *time,
                                    guint shard_count, const char *version);
ReportCampaign *report_campaign_copy(const ReportCampaign *c);
void report_campaign_free(ReportCampaign *c);
/* Moves every suite of `from` into `into`: suites of the same name (shards of one campaign)
 * become one, their runs in seed order, coverage and wall time summed, and the detail cap
 * applied again. `from` is left empty. No campaign checks (report_merge does them). */
void report_set_merge(ReportSet *into, ReportSet *from);
/* `durasim merge`: merges the sets (origins[i] names sets[i] in messages; the sets are left
 * empty), after checking that the campaign suites among them are whole campaigns: shards of
 * one campaign agree on their record, no shard or seed is given twice, and every shard 1..N
 * is there. On a failed check returns NULL with a one-line error, unless `partial`: then the
 * result marks each incomplete campaign partial and names its missing shards. */
ReportSet *report_merge(ReportSet **sets, const char *const *origins, guint n, gboolean partial,
                        GError **error);
