/* model/libraft/libraft_protocol.c — the hosted canonical raft's descriptor (model/protocol.h):
 * its servers, its settings and scenario keys (the library's own knobs: election timeout,
 * heartbeat, voters and spares, snapshot threshold and trailing, pre-vote), how clients follow
 * its leader, what failure its model survives, how the swarm draws its clusters, its failpoints
 * (named as raft's), the adapter's bug variants, and its liveness predicate.
 *
 * With spares and membership changes the voters are not the servers: the model survives
 * floor((V - 1) / 2) failures where V is the fewest voters any configuration of the run has
 * (libraft_min_voters), and a run can serve when no more servers than that are down.
 */
#include "model/libraft/libraft.h"
#include "model/libraft/libraft_marks.h"

#include <stddef.h>

G_STATIC_ASSERT(sizeof(LibraftConfig) <= PROTO_CONFIG_BYTES);

#define LKEY(name, type, field, lo, hi, dflt)                                                      \
    {                                                                                              \
        "cluster", name, type, offsetof(LibraftConfig, field), lo, hi, FALSE, dflt, NULL           \
    }

static gboolean voters_is_default(const WorldConfig *c)
{
    return libraft_config(c)->voters == 0;
}

guint libraft_voters(const WorldConfig *c)
{
    guint v = libraft_config(c)->voters;
    return v == 0 ? c->nodes : v;
}

guint libraft_min_voters(const WorldConfig *c)
{
    return libraft_voters(c);
}

/* In the order the writer writes them. */
static const ProtoKey libraft_keys[] = {
    LKEY("election_timeout", PROTO_KEY_TIME, election_timeout, 0, 0, NULL),
    LKEY("heartbeat", PROTO_KEY_TIME, heartbeat, 0, 0, NULL),
    LKEY("voters", PROTO_KEY_UINT, voters, 1, RAFT_MAX_NODES, voters_is_default),
    LKEY("snapshot.threshold", PROTO_KEY_UINT, snapshot_threshold, 1, 1000000, NULL),
    LKEY("snapshot.trailing", PROTO_KEY_UINT, snapshot_trailing, 0, 1000000, NULL),
    LKEY("snapshot.install_timeout", PROTO_KEY_TIME, install_timeout, 0, 0, NULL),
    LKEY("pre_vote", PROTO_KEY_BOOL, pre_vote, 0, 0, NULL),
    {NULL},
};
static void libraft_defaults(WorldConfig *c)
{
    *libraft_config_mut(c) = (LibraftConfig){
        .election_timeout = 150 * SIM_MS,
        .heartbeat = 50 * SIM_MS,
        .voters = 0, /* every server */
        .snapshot_threshold = 1024,
        .snapshot_trailing = 128,
        .install_timeout = 1 * SIM_SEC,
        .pre_vote = FALSE,
    };
}

static void libraft_resolve(WorldConfig *c, uint64_t given) {}

static gboolean libraft_validate(const WorldConfig *c, GError **error)
{
    const LibraftConfig *l = libraft_config(c);
    if (l->heartbeat < SIM_MS || l->heartbeat % SIM_MS != 0)
        return world_config_fail(error, "cluster", "heartbeat",
                                 "must be a whole number of milliseconds, at least 1ms");
    if (l->election_timeout % SIM_MS != 0 || l->election_timeout <= l->heartbeat)
        return world_config_fail(error, "cluster", "election_timeout",
                                 "must be whole milliseconds, longer than the heartbeat "
                                 "(%" G_GINT64_FORMAT "ms)",
                                 l->heartbeat / SIM_MS);
    if (c->nodes > 32)
        return world_config_fail(error, "cluster", "nodes", "libraft: at most 32 servers");
    if (l->voters > c->nodes)
        return world_config_fail(error, "cluster", "voters", "must be 1..nodes (%u), not %u",
                                 c->nodes, l->voters);
    if (l->install_timeout < SIM_MS || l->install_timeout % SIM_MS != 0)
        return world_config_fail(error, "cluster", "snapshot.install_timeout",
                                 "must be a whole number of milliseconds, at least 1ms");
    if (l->snapshot_threshold < 1)
        return world_config_fail(error, "cluster", "snapshot.threshold", "must be at least 1");
    return TRUE;
}

/* End-of-run operations retry through ten elections (the library's timeout is T..2T) or request
 * timeouts. */
static SimTime libraft_final_patience(const WorldConfig *c)
{
    return 10 * MAX(c->request_timeout, 2 * libraft_config(c)->election_timeout);
}

static SimRange libraft_client_backoff(const WorldConfig *c)
{
    return sim_range(10 * SIM_MS, 200 * SIM_MS);
}

/* Raft survives f failures of 2f + 1 voters: the fewest voters of any configuration of the run
 * decide f; a server down for good counts like one that lost data, as for raft. */
static void libraft_tolerance(const WorldConfig *c, ProtoTolerance *out)
{
    *out = (ProtoTolerance){
        .tolerated = (libraft_min_voters(c) - 1) / 2,
        .down_counts = TRUE,
        .empty_reboot = TRUE,
        .survivor = "libraft (a minority of the voters)",
    };
}

static gboolean libraft_owes_linearizable(const WorldConfig *c, guint damaged)
{
    return TRUE;
}

static void libraft_swarm_cluster(WorldConfig *c, SimRng *rng)
{
    LibraftConfig *l = libraft_config_mut(c);
    c->nodes = sim_rng_chance(rng, 7, 10) ? 3 : 5;
    /* Spares: a fifth server outside the voters (so a 3-voter cluster has one to add). */
    l->voters = 0;
    if (c->nodes == 5 && sim_rng_chance(rng, 1, 3))
        l->voters = (guint)sim_rng_uniform(rng, 3, 4);
    else if (sim_rng_chance(rng, 1, 4))
        l->voters = c->nodes++; /* one spare beside the voters */
    l->election_timeout = (SimTime)sim_rng_uniform(rng, 100, 200) * SIM_MS;
    l->heartbeat = (SimTime)sim_rng_uniform(rng, 20, 50) * SIM_MS;
    if (sim_rng_chance(rng, 1, 2)) {
        /* Snapshots within the run: InstallSnapshot for whoever falls behind. */
        l->snapshot_threshold = (guint)sim_rng_uniform(rng, 4, 64);
        l->snapshot_trailing = (guint)sim_rng_uniform(rng, 0, l->snapshot_threshold);
    } else {
        l->snapshot_threshold = 1024;
        l->snapshot_trailing = 128;
    }
    l->install_timeout = (SimTime)sim_rng_uniform(rng, 200, 1000) * SIM_MS;
    l->pre_vote = sim_rng_chance(rng, 1, 2);
}

/* From the shortest election timeout to the longest (2T) plus a heartbeat. */
static SimRange libraft_takeover(const WorldConfig *c)
{
    const LibraftConfig *l = libraft_config(c);
    return sim_range(l->election_timeout, 2 * l->election_timeout + l->heartbeat);
}

/* No more servers down than the fewest voters survive: whatever the configuration, a majority of
 * its voters is up. */
static gboolean libraft_enough_up(const WorldConfig *c, const ProtoUpView *v)
{
    guint down = 0;
    for (EndpointId n = 0; n < c->nodes; n++)
        down += !v->is_up(v->ctx, n);
    return down <= (libraft_min_voters(c) - 1) / 2;
}

static const char *const libraft_failpoints[LIBRAFT_FP_END - LIBRAFT_FP_FIRST] = {
    "raft.elected",           "raft.voted",     "raft.appended", "raft.broadcast",
    "raft.follower.appended", "raft.committed", "raft.replied",
};

static const BugVariant libraft_bugs[LIBRAFT_BUG_COUNT] = {
    [LIBRAFT_BUG_ACK_BEFORE_FSYNC] = {"libraft-ack-before-fsync",
                                      "the adapter reports an append done when its writes "
                                      "return, before its fsync",
                                      "unpersisted-send"},
    [LIBRAFT_BUG_TRUST_FAILED_FSYNC] = {"libraft-trust-failed-fsync",
                                        "after a failed fsync the adapter calls fsync again and "
                                        "trusts its 0",
                                        "unpersisted-send"},
};

static const NodeRole libraft_roles[] = {ROLE_LEADER, ROLE_FOLLOWER, ROLE_CANDIDATE, ROLE_NONE};

const Protocol libraft_protocol = {
    .name = "libraft",
    .max_nodes = RAFT_MAX_NODES,
    .summary = "canonical raft (libraft 0.15, unmodified) hosted behind its raft_io: elections, "
               "replication, snapshots and InstallSnapshot, membership changes, pre-vote",
    .kinds = {{"n", "server", ROLE_NONE, &libraft_ops, NULL, LIBRAFT_FP_FIRST, LIBRAFT_FP_END - 1}},
    .n_kinds = 1,
    .msg = &libraft_msg_ops,
    .config_size = sizeof(LibraftConfig),
    .config_defaults = libraft_defaults,
    .keys = libraft_keys,
    .config_resolve = libraft_resolve,
    .config_validate = libraft_validate,
    .final_patience = libraft_final_patience,
    .clients = {.door = 0, .stay_on_answer = FALSE, .retry_to_leader = TRUE},
    .client_backoff = libraft_client_backoff,
    .fp_first = LIBRAFT_FP_FIRST,
    .failpoints = libraft_failpoints,
    .n_failpoints = LIBRAFT_FP_END - LIBRAFT_FP_FIRST,
    .bugs = libraft_bugs,
    .n_bugs = LIBRAFT_BUG_COUNT,
    .roles = libraft_roles,
    .client_clocks = FALSE,
    .tolerance = libraft_tolerance,
    .owes_linearizable = libraft_owes_linearizable,
    .swarm =
        {
            .cluster = libraft_swarm_cluster,
            .keys_max = 3,
            .failpoint_chance = {1, 2},
            .by_role = TRUE,
            .takeover = libraft_takeover,
            .churn_fp = {LIBRAFT_FP_APPENDED, LIBRAFT_FP_BROADCAST},
        },
    .enough_up = libraft_enough_up,
    .marks = libraft_marks,
    .n_marks = LIBRAFT_MARK_COUNT,
};
