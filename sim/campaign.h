/* sim/campaign.h — running many seeds: the per-seed summary a campaign keeps, and the seed-range
 * and shard arithmetic shared by fuzz, check-determinism and the reports. */
#pragma once

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
} SeedResult;

typedef struct {
    ProtocolKind protocol;
    FaultMode mode;
    BugSet bugs;
} CampaignSpec;

/* Generates and runs one seed; fills `out` (clear with seed_result_clear). */
void campaign_run_seed(const CampaignSpec *spec, uint64_t seed, SeedResult *out);
void seed_result_clear(SeedResult *r);
/* The command that replays a seed, for messages and reports. Caller frees. */
char *campaign_replay_command(const CampaignSpec *spec, uint64_t seed);
/* Parses "A..B" or "N" (inclusive). */
gboolean campaign_parse_range(const char *text, uint64_t *first, uint64_t *last);
/* Parses "K/N" with 1 <= K <= N. */
gboolean campaign_parse_shard(const char *text, guint *k, guint *n);
/* Adds one seed's coverage counters to a total. */
void campaign_add_stats(WorldStats *total, const WorldStats *s);
