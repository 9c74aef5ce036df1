/* model/raft/raft_protocol.c — Raft's descriptor (model/protocol.h): its servers, its settings
 * and scenario keys, how clients follow the leader, what failure its model survives (a
 * minority), how the swarm draws its clusters, and its liveness predicate (a majority up). */
#include "model/raft/raft.h"
#include "model/raft/raft_marks.h"

#include <stddef.h>

G_STATIC_ASSERT(sizeof(RaftConfig) <= PROTO_CONFIG_BYTES);

static SimTime net_spread(const WorldConfig *c)
{
    return c->net_latency.hi - c->net_latency.lo;
}

static gboolean spread_is_default(const WorldConfig *c)
{
    return raft_config(c)->delay_spread == net_spread(c);
}

#define RKEY(name, type, field, lo, hi, dflt)                                                      \
    {                                                                                              \
        "cluster", name, type, offsetof(RaftConfig, field), lo, hi, FALSE, dflt, NULL              \
    }

static const ProtoKey raft_keys[] = {
    RKEY("election_timeout", PROTO_KEY_RANGE, election_timeout, 0, 0, NULL),
    RKEY("heartbeat", PROTO_KEY_TIME, heartbeat, 0, 0, NULL),
    RKEY("batch.entries", PROTO_KEY_UINT, batch_entries, 1, 4096, NULL),
    RKEY("batch.delay", PROTO_KEY_TIME, batch_delay, 0, 0, NULL),
    RKEY("delay_spread", PROTO_KEY_TIME, delay_spread, 0, 0, spread_is_default),
    {NULL},
};
enum { RKEY_DELAY_SPREAD = 4 };

static void raft_defaults(WorldConfig *c)
{
    *raft_config_mut(c) = (RaftConfig){
        .election_timeout = sim_range(150 * SIM_MS, 300 * SIM_MS),
        .heartbeat = 50 * SIM_MS,
        .batch_entries = 1,
        .batch_delay = 0,
        .delay_spread = net_spread(c),
    };
}

static void raft_resolve(WorldConfig *c, uint64_t given)
{
    if (!(given & (1u << RKEY_DELAY_SPREAD)))
        raft_config_mut(c)->delay_spread = net_spread(c);
}

static gboolean raft_validate(const WorldConfig *c, GError **error)
{
    const RaftConfig *r = raft_config(c);
    if (r->heartbeat <= 0)
        return world_config_fail(error, "cluster", "heartbeat", "must be positive");
    if (r->election_timeout.lo <= r->heartbeat)
        return world_config_fail(error, "cluster", "election_timeout",
                                 "must be longer than the heartbeat (%" G_GINT64_FORMAT "ns)",
                                 r->heartbeat);
    if (r->batch_entries < 1 || r->batch_entries > 4096)
        return world_config_fail(error, "cluster", "batch.entries", "must be 1..4096, not %u",
                                 r->batch_entries);
    if (r->delay_spread < 0)
        return world_config_fail(error, "cluster", "delay_spread", "must not be negative");
    return TRUE;
}

/* End-of-run operations retry through ten elections or request timeouts. */
static SimTime raft_final_patience(const WorldConfig *c)
{
    return 10 * MAX(c->request_timeout, raft_config(c)->election_timeout.hi);
}

static SimRange raft_client_backoff(const WorldConfig *c)
{
    return sim_range(10 * SIM_MS, 200 * SIM_MS);
}

/* Raft survives f failures in all, of 2f + 1: a server down for good counts like one that lost
 * data, and one power-crashed before anything it wrote was durable wakes to an empty disk, as
 * after a disk loss (it may have voted). */
static void raft_tolerance(const WorldConfig *c, ProtoTolerance *out)
{
    *out = (ProtoTolerance){
        .tolerated = (c->nodes - 1) / 2,
        .down_counts = TRUE,
        .empty_reboot = TRUE,
        .survivor = "raft (a minority)",
    };
}

static gboolean raft_owes_linearizable(const WorldConfig *c, guint damaged)
{
    return TRUE;
}

void raft_swarm_cluster(WorldConfig *c, SimRng *rng)
{
    RaftConfig *r = raft_config_mut(c);
    c->nodes = sim_rng_chance(rng, 7, 10) ? 3 : 5;
    SimTime lo = (SimTime)sim_rng_uniform(rng, 100, 200) * SIM_MS;
    r->election_timeout = sim_range(lo, lo + (SimTime)sim_rng_uniform(rng, 50, 150) * SIM_MS);
    r->heartbeat = (SimTime)sim_rng_uniform(rng, 20, 50) * SIM_MS;
    if (sim_rng_chance(rng, 1, 4)) {
        r->batch_entries = (guint)sim_rng_uniform(rng, 2, 64);
        r->batch_delay = (SimTime)sim_rng_uniform(rng, 0, 3) * SIM_MS;
    }
}

/* From the shortest election timeout to the longest plus a heartbeat. */
static SimRange raft_takeover(const WorldConfig *c)
{
    const RaftConfig *r = raft_config(c);
    return sim_range(r->election_timeout.lo, r->election_timeout.hi + r->heartbeat);
}

gboolean raft_enough_up(const WorldConfig *c, const ProtoUpView *v)
{
    guint up = 0;
    for (EndpointId n = 0; n < c->nodes; n++)
        up += v->is_up(v->ctx, n);
    return up >= c->nodes / 2 + 1;
}

const char *const raft_failpoint_names[RAFT_FP_END - RAFT_FP_FIRST] = {
    "raft.elected",           "raft.voted",     "raft.appended", "raft.broadcast",
    "raft.follower.appended", "raft.committed", "raft.replied",
};

static const BugVariant raft_bugs[RAFT_BUG_COUNT] = {
    [RAFT_BUG_COMMIT_OLD_TERM] = {"commit-old-term",
                                  "the leader commits entries of earlier terms by counting "
                                  "replicas, without the election no-op (Raft Figure 8)",
                                  "early-ack"},
    [RAFT_BUG_VOTE_BEFORE_PERSIST] = {"vote-before-persist",
                                      "a server grants its vote before the vote is fsynced",
                                      "unpersisted-send"},
    [RAFT_BUG_FOLLOWER_ACK_BEFORE_FSYNC] = {"follower-ack-before-fsync",
                                            "a follower acks appended entries before they are "
                                            "fsynced",
                                            "unpersisted-send"},
    [RAFT_BUG_NO_SESSION] = {"no-session",
                             "the state machine applies a retried command again instead of "
                             "deduplicating it",
                             "duplicate"},
    [RAFT_BUG_TRUNCATE_ON_STALE_APPEND] = {"truncate-on-stale-append",
                                           "a follower truncates its log on any append, even a "
                                           "stale one that does not conflict",
                                           "lost-ack"},
    [RAFT_BUG_STALE_READ] = {"stale-read",
                             "the leader answers reads from its own state without confirming "
                             "leadership",
                             "not-linearizable"},
};

static const NodeRole raft_roles[] = {ROLE_LEADER, ROLE_FOLLOWER, ROLE_CANDIDATE, ROLE_NONE};

const Protocol raft_protocol = {
    .name = "raft",
    .summary = "Raft: leader election, log replication, the commit rule, client sessions, "
               "batching and read index",
    .kinds = {{"n", "server", ROLE_NONE, &raft_ops, NULL, RAFT_FP_ELECTED, RAFT_FP_REPLIED}},
    .n_kinds = 1,
    .msg = &raft_msg_ops,
    .config_size = sizeof(RaftConfig),
    .config_defaults = raft_defaults,
    .keys = raft_keys,
    .config_resolve = raft_resolve,
    .config_validate = raft_validate,
    .final_patience = raft_final_patience,
    .clients = {.door = 0, .stay_on_answer = FALSE, .retry_to_leader = TRUE},
    .client_backoff = raft_client_backoff,
    .fp_first = RAFT_FP_FIRST,
    .failpoints = raft_failpoint_names,
    .n_failpoints = RAFT_FP_END - RAFT_FP_FIRST,
    .bugs = raft_bugs,
    .n_bugs = RAFT_BUG_COUNT,
    .marks = raft_marks,
    .n_marks = RAFT_MARK_COUNT,
    .roles = raft_roles,
    .client_clocks = FALSE,
    .tolerance = raft_tolerance,
    .owes_linearizable = raft_owes_linearizable,
    .swarm =
        {
            .cluster = raft_swarm_cluster,
            .keys_max = 3,
            .failpoint_chance = {1, 2},
            .by_role = TRUE,
            .takeover = raft_takeover,
            .churn_fp = {RAFT_FP_APPENDED, RAFT_FP_BROADCAST},
        },
    .enough_up = raft_enough_up,
};
