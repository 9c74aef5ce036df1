/* model/raft/raft_protocol.c — Raft's descriptor (model/protocol.h): its servers, its settings
 * and scenario keys, how clients follow the leader, what failure its model survives (a
 * minority of the fewest voters a run can have), how the swarm draws its clusters and its
 * membership changes and leadership transfers, and its liveness predicate (a majority of the
 * voters up). */
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

/* Snapshot keys are left out of exported scenarios at their defaults (runs without snapshots
 * export as before). */
static gboolean snap_every_default(const WorldConfig *c)
{
    return raft_config(c)->snapshot_every == 0;
}

static gboolean snap_trailing_default(const WorldConfig *c)
{
    return raft_config(c)->snapshot_trailing == RAFT_SNAP_TRAILING;
}

static gboolean snap_chunk_default(const WorldConfig *c)
{
    return raft_config(c)->snapshot_chunk == RAFT_SNAP_CHUNK;
}

static gboolean segment_default(const WorldConfig *c)
{
    return raft_config(c)->segment_entries == RAFT_SEGMENT_ENTRIES;
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
    RKEY("spares", PROTO_KEY_UINT, spares, 0, RAFT_MAX_NODES - 1, NULL),
    RKEY("snapshot.threshold", PROTO_KEY_UINT, snapshot_every, 0, 1u << 30, snap_every_default),
    RKEY("snapshot.trailing", PROTO_KEY_UINT, snapshot_trailing, 0, 1u << 30,
         snap_trailing_default),
    RKEY("snapshot.chunk", PROTO_KEY_UINT, snapshot_chunk, 1, 4096, snap_chunk_default),
    RKEY("segment.entries", PROTO_KEY_UINT, segment_entries, 1, 1u << 20, segment_default),
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
        .snapshot_every = 0,
        .snapshot_trailing = RAFT_SNAP_TRAILING,
        .snapshot_chunk = RAFT_SNAP_CHUNK,
        .segment_entries = RAFT_SEGMENT_ENTRIES,
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
    if (r->spares >= c->nodes)
        return world_config_fail(error, "cluster", "spares",
                                 "%u spares leave no voter among %u servers", r->spares, c->nodes);
    if (r->snapshot_chunk < 1 || r->snapshot_chunk > 4096)
        return world_config_fail(error, "cluster", "snapshot.chunk", "must be 1..4096, not %u",
                                 r->snapshot_chunk);
    if (r->segment_entries < 1 || r->segment_entries > 1u << 20)
        return world_config_fail(error, "cluster", "segment.entries", "must be 1..1048576, not %u",
                                 r->segment_entries);
    return TRUE;
}

/* The fewest voters a run can come down to (each remove-server of its script may succeed, no
 * add-server may), and every server that may vote in it at some time. */
static void member_bounds(const WorldConfig *c, guint *fewest, uint32_t *possible)
{
    RaftMembers boot = raft_members_bootstrap(c);
    guint voters = (guint)__builtin_popcount(boot.voters), removes = 0;
    *possible = boot.voters;
    for (guint i = 0; c->scripted && i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        if (op->kind == OP_REMOVE_SERVER)
            removes++;
        else if (op->kind == OP_ADD_SERVER && op->value >= 0 && op->value < 32)
            *possible |= 1u << op->value;
    }
    *fewest = voters > removes ? voters - removes : 1;
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
    guint fewest;
    uint32_t possible;
    member_bounds(c, &fewest, &possible);
    *out = (ProtoTolerance){
        .tolerated = (fewest - 1) / 2,
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
    /* Three or five voters, sometimes four (an even count is where single-server changes are
     * delicate), and sometimes spare servers to add. */
    r->spares = sim_rng_chance(rng, 1, 2) ? (guint)sim_rng_uniform(rng, 1, 2) : 0;
    guint voters = r->spares > 0 && sim_rng_chance(rng, 1, 2) ? 4
                   : sim_rng_chance(rng, 6, 10)               ? 3
                                                              : 5;
    c->nodes = voters + r->spares;
    SimTime lo = (SimTime)sim_rng_uniform(rng, 100, 200) * SIM_MS;
    r->election_timeout = sim_range(lo, lo + (SimTime)sim_rng_uniform(rng, 50, 150) * SIM_MS);
    r->heartbeat = (SimTime)sim_rng_uniform(rng, 20, 50) * SIM_MS;
    if (sim_rng_chance(rng, 1, 4)) {
        r->batch_entries = (guint)sim_rng_uniform(rng, 2, 64);
        r->batch_delay = (SimTime)sim_rng_uniform(rng, 0, 3) * SIM_MS;
    }
    /* Half the runs snapshot often, keep few entries behind, and send snapshots in small
     * chunks, so that compaction, restarts from a snapshot and InstallSnapshot all happen;
     * drawn from a stream of their own, so that the rest of a seed's draws stay as they were. */
    SimRng own;
    sim_rng_stream(&own, c->seed, "raft-snapshots", 0);
    if (sim_rng_chance(&own, 1, 2)) {
        r->snapshot_every = (guint)sim_rng_uniform(&own, 4, 32);
        r->snapshot_trailing = sim_rng_chance(&own, 1, 3) ? 0 : (guint)sim_rng_uniform(&own, 1, 8);
        r->snapshot_chunk = (guint)sim_rng_uniform(&own, 1, 4);
        /* Short segments, so that compaction unlinks whole ones in runs of a few dozen
         * entries. */
        r->segment_entries = (guint)sim_rng_uniform(&own, 2, 16);
    }
}

/* A name for a generated operation on the cluster: "m2-add-n4". Caller frees. */
static char *admin_name(guint i, OpKind kind, Value server)
{
    const char *what = kind == OP_ADD_SERVER ? "add" : kind == OP_REMOVE_SERVER ? "remove" : "lead";
    if (server < 0)
        return g_strdup_printf("m%u-%s", i + 1, what);
    return g_strdup_printf("m%u-%s-n%u", i + 1, what, (guint)server + 1);
}

static ScriptedOp *admin_op(WorldConfig *c, guint i, SimTime at, guint client, OpKind kind,
                            Value server)
{
    ScriptedOp *op = scripted_op_new();
    op->at = at;
    op->client = client;
    op->kind = kind;
    op->value = server;
    op->name = admin_name(i, kind, server);
    g_ptr_array_add(c->scripted, op);
    return op;
}

/* The `skip`-th set bit of mask (the last one if it has fewer). */
static Value nth_bit(uint32_t mask, guint skip)
{
    while (skip-- > 0 && (mask & (mask - 1)))
        mask &= mask - 1;
    return __builtin_ctz(mask);
}

/* One random change against configuration m (updated): a spare or removed server joins, a
 * voter leaves (never the last two), or the leader hands over to a voter or to whom it picks. */
static void admin_random(WorldConfig *c, RaftMembers *m, guint i, SimTime at, SimRng *rng)
{
    guint client = (guint)sim_rng_uniform(rng, 0, c->clients - 1);
    uint32_t out = ((1u << c->nodes) - 1) & ~m->voters;
    guint pick = (guint)sim_rng_uniform(rng, 0, 2);
    if (pick == 0 && out) {
        Value s = nth_bit(out, (guint)sim_rng_uniform(rng, 0, 3));
        admin_op(c, i, at, client, OP_ADD_SERVER, s);
        m->voters |= 1u << s;
    } else if (pick == 1 && __builtin_popcount(m->voters) > 2) {
        Value s = nth_bit(m->voters, (guint)sim_rng_uniform(rng, 0, 4));
        admin_op(c, i, at, client, OP_REMOVE_SERVER, s);
        m->voters &= ~(1u << s);
    } else {
        Value s = sim_rng_chance(rng, 1, 2) ? -1 : nth_bit(m->voters, 0);
        admin_op(c, i, at, client, OP_TRANSFER, s);
    }
}

/* Two operators at once: one adds a spare, another removes a voter a little later (about
 * when a new leader would be elected, were the first one to fall), from another client, so
 * that two leaders in a row may each take one of the changes. */
static void admin_race(WorldConfig *c, SimTime horizon, SimRng *rng)
{
    RaftMembers m = raft_members_bootstrap(c);
    uint32_t out = ((1u << c->nodes) - 1) & ~m.voters;
    c->clients = MAX(c->clients, 2u);
    SimTime at = (SimTime)sim_rng_uniform(rng, 0, (uint64_t)horizon);
    guint a = (guint)sim_rng_uniform(rng, 0, c->clients - 1);
    guint b = (a + (guint)sim_rng_uniform(rng, 1, c->clients - 1)) % c->clients;
    admin_op(c, 0, at, a, OP_ADD_SERVER, nth_bit(out, (guint)sim_rng_uniform(rng, 0, 1)));
    SimTime later = at + (SimTime)sim_rng_uniform(rng, 100, 400) * SIM_MS;
    admin_op(c, 1, later, b, OP_REMOVE_SERVER,
             nth_bit(m.voters, (guint)sim_rng_uniform(rng, 0, 4)));
}

/* Membership changes and leadership transfers at random times of the workload (in half the
 * runs without spares, in every run with), each a scripted operation of a random client,
 * checked against the configuration the earlier ones would leave (they may fail; the cluster
 * then stays as it was); or, with spares and four voters or more, sometimes a race of two
 * changes. */
static void raft_swarm_admin(WorldConfig *c, SimTime horizon, SimRng *rng)
{
    if (raft_config(c)->spares == 0 && sim_rng_chance(rng, 1, 2))
        return; /* spares are there to be added: their runs always change something */
    RaftMembers m = raft_members_bootstrap(c);
    if (raft_config(c)->spares > 0 && __builtin_popcount(m.voters) >= 4 &&
        sim_rng_chance(rng, 1, 2)) {
        admin_race(c, horizon, rng);
        return;
    }
    guint n = (guint)sim_rng_uniform(rng, 1, 4);
    SimTime at[4];
    for (guint i = 0; i < n; i++)
        at[i] = (SimTime)sim_rng_uniform(rng, 0, (uint64_t)horizon);
    for (guint i = 1; i < n; i++) /* in time order, so that each sees the ones before */
        for (guint j = i; j > 0 && at[j] < at[j - 1]; j--) {
            SimTime t = at[j];
            at[j] = at[j - 1];
            at[j - 1] = t;
        }
    for (guint i = 0; i < n; i++)
        admin_random(c, &m, i, at[i], rng);
}

/* From the shortest election timeout to the longest plus a heartbeat. */
static SimRange raft_takeover(const WorldConfig *c)
{
    const RaftConfig *r = raft_config(c);
    return sim_range(r->election_timeout.lo, r->election_timeout.hi + r->heartbeat);
}

/* Whatever configuration the run ends with, a majority of its voters is up: no more of the
 * servers that may vote are down than the fewest voters tolerate. */
gboolean raft_enough_up(const WorldConfig *c, const ProtoUpView *v)
{
    guint fewest, down = 0;
    uint32_t possible;
    member_bounds(c, &fewest, &possible);
    for (EndpointId n = 0; n < c->nodes && n < 32; n++)
        down += ((possible >> n) & 1) && !v->is_up(v->ctx, n);
    return down <= (fewest - 1) / 2;
}

const char *const raft_failpoint_names[RAFT_FP_END - RAFT_FP_FIRST] = {
    "raft.elected",
    "raft.voted",
    "raft.appended",
    "raft.broadcast",
    "raft.follower.appended",
    "raft.committed",
    "raft.replied",
    "raft.config.appended",
    "raft.config.committed",
    "raft.snapshot.written",
    "raft.snapshot.installed",
};

/* The settings the snapshot variants live in (BugVariant.settings): a run that does not
 * snapshot yet snapshots every 8 entries, keeps 2 behind, in segments of 4 entries (so that
 * compaction unlinks some in a short run). */
static void needs_snapshots(WorldConfig *c)
{
    RaftConfig *r = raft_config_mut(c);
    if (r->snapshot_every > 0)
        return;
    r->snapshot_every = 8;
    r->snapshot_trailing = 2;
    r->segment_entries = 4;
}

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
                                           "leader-completeness"},
    [RAFT_BUG_STALE_READ] = {"stale-read",
                             "the leader answers reads from its own state without confirming "
                             "leadership",
                             "not-linearizable"},
    [RAFT_BUG_NO_PREVOTE] = {"no-prevote",
                             "no pre-vote round and no leader lease: a server that comes back "
                             "from a partition forces its raised term on the cluster and deposes "
                             "a leader a majority follows",
                             "disruption"},
    [RAFT_BUG_CONFIG_BEFORE_TERM_COMMIT] = {"config-change-before-term-commit",
                                            "a new leader appends a configuration entry before "
                                            "an entry of its own term has committed (the "
                                            "single-server change bug of 2015)",
                                            "unsafe-configuration"},
    [RAFT_BUG_MISSING_DIR_FSYNC] = {"missing-dir-fsync",
                                    "a server acks entries in a new log segment without "
                                    "fsyncing log/, the directory that names it",
                                    "unpersisted-send"},
    [RAFT_BUG_RENAME_BEFORE_FSYNC] = {"rename-before-fsync",
                                      "a server replaces its metadata by renaming meta.tmp over "
                                      "meta without fsyncing meta.tmp first, and votes once the "
                                      "rename is durable",
                                      "unpersisted-send"},
    [RAFT_BUG_REOPEN_MISSES_ERROR] = {"reopen-misses-error",
                                      "after a failed fsync a server closes and reopens its log "
                                      "segments, fsyncs again and trusts the 0 (the fsyncgate "
                                      "checkpointer)",
                                      "unpersisted-send"},
    [RAFT_BUG_COMPACT_BEFORE_SNAPSHOT_DURABLE] =
        {"compact-before-snapshot-durable",
         "the log segments below a snapshot are unlinked "
         "as soon as the snapshot is written, before its "
         "fsync and rename: a crash loses committed entries",
         "snapshot-safety", needs_snapshots},
    [RAFT_BUG_SNAPSHOT_INCLUDES_UNCOMMITTED] = {"snapshot-includes-uncommitted",
                                                "a snapshot captures the state machine with "
                                                "entries the server holds but has not seen "
                                                "committed applied to it",
                                                "snapshot-safety", needs_snapshots},
};

static const NodeRole raft_roles[] = {ROLE_LEADER, ROLE_FOLLOWER, ROLE_CANDIDATE, ROLE_NONE};

const Protocol raft_protocol = {
    .name = "raft",
    .max_nodes = RAFT_MAX_NODES,
    .summary = "Raft: leader election, log replication, the commit rule, client sessions, "
               "batching and read index",
    .kinds = {{"n", "server", ROLE_NONE, &raft_ops, NULL, RAFT_FP_ELECTED, RAFT_FP_END - 1}},
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
            .admin = raft_swarm_admin,
            .change_fp = {RAFT_FP_CONFIG_APPENDED, RAFT_FP_CONFIG_COMMITTED, RAFT_FP_VOTED},
            .profiles = TRUE,
        },
    .enough_up = raft_enough_up,
    .admin_ops = 1u << OP_ADD_SERVER | 1u << OP_REMOVE_SERVER | 1u << OP_TRANSFER,
};
