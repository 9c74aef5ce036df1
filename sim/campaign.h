/* sim/campaign.h — running many seeds: one seed's summary, a whole campaign (the seeds of one
 * shard of a range, run on the ordered pool, totals kept in seed order), the report line of a
 * seed, and the seed-range and shard arithmetic shared by fuzz, check-determinism and the
 * reports. Printing is the caller's: it sees every seed, in order, through a callback. */
#pragma once

#include "reports/report.h"
#include "scenarios/generate.h"
#include "sim/runner.h"

typedef struct {
    uint64_t seed;
    gboolean passed;
    uint64_t trace_hash;
    uint64_t events;
    SimTime sim_end;
    double wall_seconds;
    ViolationSet kinds;
    guint counts[V_KIND_COUNT];
    char *first; /* "kind: explanation" of the first violation, or NULL */
    gboolean beyond_model;
    guint acked, failed, indeterminate, orphans;
    WorldStats stats;
    guint faults_fired;
    ReportShape shape;
    ReportLatency latency;
} SeedResult;

typedef struct {
    const Protocol *protocol;
    FaultMode mode;
    BugSet bugs;
} CampaignSpec;

/* Generates and runs one seed; fills `out` (clear with seed_result_clear). */
void campaign_run_seed(const CampaignSpec *spec, uint64_t seed, SeedResult *out);
/* Runs one scenario of the campaign (the spec's bug variants added); fills `out`, whose seed is
 * the scenario's. */
void campaign_run_scenario(const CampaignSpec *spec, const Scenario *s, SeedResult *out);
void seed_result_clear(SeedResult *r);
/* The command that replays a seed, for messages and reports. Caller frees. */
char *campaign_replay_command(const CampaignSpec *spec, uint64_t seed);
/* Parses "A..B" or "N" (inclusive). */
gboolean campaign_parse_range(const char *text, uint64_t *first, uint64_t *last);
/* Parses "K/N" with 1 <= K <= N. */
gboolean campaign_parse_shard(const char *text, guint *k, guint *n);
/* Adds one seed's coverage counters to a total. */
void campaign_add_stats(WorldStats *total, const WorldStats *s);

/* The seeds a campaign runs: those of first..last whose offset from `first` is k-1 modulo n
 * (share k of n; 1/1 is every seed). */
typedef struct {
    uint64_t first, last;
    guint shard_k, shard_n;
} CampaignSeeds;

/* Seeds of the range in this shard. */
uint64_t campaign_seed_count(const CampaignSeeds *s);

/* What a campaign has seen so far, over the seeds taken in order. */
typedef struct {
    uint64_t done, failed, events;
    guint beyond;                   /* seeds judged beyond the model */
    guint kind_seeds[V_KIND_COUNT]; /* seeds with at least one violation of each kind */
    WorldStats cover;               /* coverage counters added up */
} CampaignTotals;

/* Adds one seed's result to the totals. */
void campaign_totals_add(CampaignTotals *t, const SeedResult *r);

/* Sees seed results in seed order, with the totals including this one; FALSE stops the
 * campaign (seeds not yet started are skipped). */
typedef gboolean (*CampaignSeedFn)(const SeedResult *r, const CampaignTotals *t, void *ctx);

/* How a campaign runs and who sees its seeds. */
typedef struct {
    guint jobs;               /* seeds at once, at least 1 */
    ReportSuite *suite;       /* gets each seed's report line; may be NULL */
    CampaignSeedFn on_seed;   /* may be NULL */
    void *ctx;                /* for on_seed */
    double (*wall_now)(void); /* the program's clock, to time each seed; NULL: not timed */
} CampaignRun;

/* Runs the shard's seeds on the ordered pool, taking them in seed order. Fills *totals. */
void campaign_run(const CampaignSpec *spec, const CampaignSeeds *seeds, const CampaignRun *run,
                  CampaignTotals *totals);

/* A seed as one report line (no detail). Caller owns the result. */
ReportRun *campaign_report_line(const CampaignSpec *spec, const SeedResult *r);
/* The suite name of a campaign: the command without --shard, --jobs and --report, so the
 * shards of one campaign share it. `seeds` or `time_text` as given (both may be NULL). */
char *campaign_suite_name(const CampaignSpec *spec, const char *seeds, const char *time_text);
