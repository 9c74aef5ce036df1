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

static gboolean spares_is_default(const WorldConfig *c)
{
    return libraft_config(c)->spares == 0;
}

guint libraft_voters(const WorldConfig *c)
{
    const LibraftConfig *l = libraft_config(c);
    if (l->voters != 0)
        return l->voters;
    return l->spares < c->nodes ? c->nodes - l->spares : 1;
}

guint libraft_min_voters(const WorldConfig *c)
{
    guint voters = libraft_voters(c), removes = 0;
    for (guint i = 0; c->scripted && i < c->scripted->len; i++)
        removes +=
            ((const ScriptedOp *)g_ptr_array_index(c->scripted, i))->kind == OP_REMOVE_SERVER;
    return voters > removes ? voters - removes : 1;
}

uint32_t libraft_possible_voters(const WorldConfig *c)
{
    guint v = libraft_voters(c);
    uint32_t mask = v >= 32 ? UINT32_MAX : (1u << v) - 1;
    for (guint i = 0; c->scripted && i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        if (op->kind == OP_ADD_SERVER && op->value >= 0 && op->value < 32)
            mask |= 1u << op->value;
    }
    return mask;
}

/* In the order the writer writes them. */
static const ProtoKey libraft_keys[] = {
    LKEY("election_timeout", PROTO_KEY_TIME, election_timeout, 0, 0, NULL),
    LKEY("heartbeat", PROTO_KEY_TIME, heartbeat, 0, 0, NULL),
    LKEY("voters", PROTO_KEY_UINT, voters, 1, RAFT_MAX_NODES, voters_is_default),
    LKEY("spares", PROTO_KEY_UINT, spares, 0, RAFT_MAX_NODES - 1, spares_is_default),
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
        .voters = 0, /* every server but the spares */
        .spares = 0,
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
    if (l->spares >= c->nodes)
        return world_config_fail(error, "cluster", "spares",
                                 "%u spares leave no voter among %u servers", l->spares, c->nodes);
    if (l->voters != 0 && l->spares != 0 && l->voters + l->spares != c->nodes)
        return world_config_fail(error, "cluster", "spares",
                                 "voters (%u) and spares (%u) must add up to nodes (%u)", l->voters,
                                 l->spares, c->nodes);
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

/* A scripted operation on the cluster, named after what it does ("m2-add-n4"). */
static void admin_op(WorldConfig *c, guint i, SimTime at, guint client, OpKind kind, Value server)
{
    static const char *const what[] = {
        [OP_ADD_SERVER] = "add", [OP_REMOVE_SERVER] = "remove", [OP_TRANSFER] = "lead"};
    ScriptedOp *op = scripted_op_new();
    op->at = at;
    op->client = client;
    op->kind = kind;
    op->value = server;
    op->name = server < 0 ? g_strdup_printf("m%u-%s", i + 1, what[kind])
                          : g_strdup_printf("m%u-%s-n%u", i + 1, what[kind], (guint)server + 1);
    g_ptr_array_add(c->scripted, op);
}

/* A random member of `mask` (which is not empty). */
static Value pick(uint32_t mask, SimRng *rng)
{
    guint k = (guint)sim_rng_uniform(rng, 0, (uint64_t)__builtin_popcount(mask) - 1);
    while (k-- > 0)
        mask &= mask - 1;
    return __builtin_ctz(mask);
}

/* Membership changes and leadership transfers, one to three, at random times of the workload
 * (in every run with spares, in half of the others), each from a random client and drawn
 * against the configuration the earlier ones would leave: a spare or a removed server joins
 * (raft_assign, or raft_add then raft_assign), a voter leaves (never below two), or the leader
 * hands over (to a voter, or to whom the library picks). They may fail; the cluster then stays
 * as it was, which the within-model budget allows for (libraft_min_voters). */
static void libraft_swarm_admin(WorldConfig *c, SimTime horizon, SimRng *rng)
{
    guint voters = libraft_voters(c);
    if (voters == c->nodes && sim_rng_chance(rng, 1, 2))
        return;
    uint32_t all = (1u << c->nodes) - 1, in = (1u << voters) - 1;
    guint n = (guint)sim_rng_uniform(rng, 1, 3);
    SimTime at[3];
    for (guint i = 0; i < n; i++)
        at[i] = (SimTime)sim_rng_uniform(rng, 0, (uint64_t)horizon);
    for (guint i = 1; i < n; i++) /* in time order, so that each sees the ones before */
        for (guint j = i; j > 0 && at[j] < at[j - 1]; j--) {
            SimTime t = at[j];
            at[j] = at[j - 1];
            at[j - 1] = t;
        }
    for (guint i = 0; i < n; i++) {
        guint client = (guint)sim_rng_uniform(rng, 0, c->clients - 1);
        guint what = (guint)sim_rng_uniform(rng, 0, 2);
        if (what == 0 && (all & ~in) != 0) {
            Value s = pick(all & ~in, rng);
            admin_op(c, i, at[i], client, OP_ADD_SERVER, s);
            in |= 1u << s;
        } else if (what == 1 && __builtin_popcount(in) > 2) {
            Value s = pick(in, rng);
            admin_op(c, i, at[i], client, OP_REMOVE_SERVER, s);
            in &= ~(1u << s);
        } else {
            admin_op(c, i, at[i], client, OP_TRANSFER,
                     sim_rng_chance(rng, 1, 2) ? -1 : pick(in, rng));
        }
    }
}

/* From the shortest election timeout to the longest (2T) plus a heartbeat. */
static SimRange libraft_takeover(const WorldConfig *c)
{
    const LibraftConfig *l = libraft_config(c);
    return sim_range(l->election_timeout, 2 * l->election_timeout + l->heartbeat);
}

/* Whatever configuration the run ends with, a majority of its voters is up: no more of the
 * servers that may vote are down than the fewest voters survive. */
static gboolean libraft_enough_up(const WorldConfig *c, const ProtoUpView *v)
{
    uint32_t possible = libraft_possible_voters(c);
    guint down = 0;
    for (EndpointId n = 0; n < c->nodes && n < 32; n++)
        down += ((possible >> n) & 1) && !v->is_up(v->ctx, n);
    return down <= (libraft_min_voters(c) - 1) / 2;
}

static const char *const libraft_failpoints[LIBRAFT_FP_END - LIBRAFT_FP_FIRST] = {
    "raft.elected",           "raft.voted",     "raft.appended", "raft.broadcast",
    "raft.follower.appended", "raft.committed", "raft.replied",  "raft.config.appended",
    "raft.config.committed",
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
            .admin = libraft_swarm_admin,
            .change_fp = {LIBRAFT_FP_CONFIG_APPENDED, LIBRAFT_FP_CONFIG_COMMITTED,
                          LIBRAFT_FP_VOTED},
        },
    .enough_up = libraft_enough_up,
    .admin_ops = 1u << OP_ADD_SERVER | 1u << OP_REMOVE_SERVER | 1u << OP_TRANSFER,
    .marks = libraft_marks,
    .n_marks = LIBRAFT_MARK_COUNT,
};
