/* model/quorum/quorum_protocol.c — the quorum store's descriptor (model/protocol.h): its node
 * kinds, its settings and scenario keys, how its clients choose a coordinator, what failure its
 * model survives, how the swarm draws its clusters, and its liveness predicate. */
#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"

#include <stddef.h>

#include "model/quorum/ring.h"

G_STATIC_ASSERT(sizeof(QuorumConfig) <= PROTO_CONFIG_BYTES);

/* No dedicated coordinators when the nodes coordinate (coordinator = node). */
static guint coordinator_count(const WorldConfig *c)
{
    return quorum_config(c)->coordinator == QCOORD_NODE ? 0 : quorum_config(c)->coordinators;
}

/* Clients talk to the coordinators, or to any node when the nodes coordinate. */
static guint quorum_door(const WorldConfig *c)
{
    return quorum_config(c)->coordinator == QCOORD_NODE ? 0 : 1;
}

#define QKEY(name, type, field, lo, hi, shrink)                                                    \
    {                                                                                              \
        "cluster", name, type, offsetof(QuorumConfig, field), lo, hi, shrink, NULL, NULL           \
    }

#define QENUM(name, field, names)                                                                  \
    {                                                                                              \
        "cluster", name, PROTO_KEY_ENUM, offsetof(QuorumConfig, field), 0, 0, FALSE, NULL, names   \
    }

static const char *const resolution_names[] = {"lww", "vclock", NULL};
static const char *const purge_names[] = {"never", "replicated", "grace", NULL};
static const char *const anti_entropy_names[] = {"digests", "merkle", NULL};
static const char *const coordinator_names[] = {"dedicated", "node", NULL};

/* In the order the writer writes them. */
static const ProtoKey quorum_keys[] = {
    QKEY("coordinators", PROTO_KEY_UINT, coordinators, 1, 8, TRUE),
    QKEY("replicas", PROTO_KEY_UINT, replicas, 1, QUORUM_MAX_REPLICAS, FALSE),
    QKEY("write_quorum", PROTO_KEY_UINT, write_quorum, 1, QUORUM_MAX_REPLICAS, FALSE),
    QKEY("read_quorum", PROTO_KEY_UINT, read_quorum, 1, QUORUM_MAX_REPLICAS, FALSE),
    QKEY("sloppy", PROTO_KEY_BOOL, sloppy, 0, 0, FALSE),
    QKEY("retry.attempts", PROTO_KEY_UINT, retry_attempts, 0, 100, FALSE),
    QKEY("retry.backoff", PROTO_KEY_RANGE, retry_backoff, 0, 0, FALSE),
    QENUM("resolution", resolution, resolution_names),
    QENUM("tombstone.purge", purge, purge_names),
    QKEY("tombstone.grace", PROTO_KEY_TIME, tombstone_grace, 0, 0, FALSE),
    QENUM("anti_entropy", anti_entropy, anti_entropy_names),
    QENUM("coordinator", coordinator, coordinator_names),
    {NULL},
};
enum { QKEY_REPLICAS = 1 };

static void quorum_defaults(WorldConfig *c)
{
    *quorum_config_mut(c) = (QuorumConfig){
        .coordinators = 1,
        .replicas = 3,
        .write_quorum = 0, /* 0: a majority of N, filled by resolve */
        .read_quorum = 0,
        .retry_attempts = 3,
        .retry_backoff = sim_range(10 * SIM_MS, 200 * SIM_MS),
        .tombstone_grace = 10 * SIM_SEC,
    };
}

static void quorum_resolve(WorldConfig *c, uint64_t given)
{
    QuorumConfig *q = quorum_config_mut(c);
    if (!(given & (1u << QKEY_REPLICAS)) && q->replicas > c->nodes)
        q->replicas = c->nodes;
    if (q->write_quorum == 0)
        q->write_quorum = q->replicas / 2 + 1;
    if (q->read_quorum == 0)
        q->read_quorum = q->replicas / 2 + 1;
}

static gboolean quorum_validate(const WorldConfig *c, GError **error)
{
    const QuorumConfig *q = quorum_config(c);
    if (q->coordinators < 1 || q->coordinators > 8)
        return world_config_fail(error, "cluster", "coordinators", "must be 1..8, not %u",
                                 q->coordinators);
    if (q->replicas < 1 || q->replicas > c->nodes)
        return world_config_fail(error, "cluster", "replicas", "N = %u must be 1..nodes (%u)",
                                 q->replicas, c->nodes);
    if (q->write_quorum < 1 || q->write_quorum > q->replicas)
        return world_config_fail(error, "cluster", "write_quorum", "W = %u must be 1..N (%u)",
                                 q->write_quorum, q->replicas);
    if (q->read_quorum < 1 || q->read_quorum > q->replicas)
        return world_config_fail(error, "cluster", "read_quorum", "R = %u must be 1..N (%u)",
                                 q->read_quorum, q->replicas);
    if (q->retry_attempts > 100)
        return world_config_fail(error, "cluster", "retry.attempts", "must be 0..100, not %u",
                                 q->retry_attempts);
    return TRUE;
}

/* End-of-run operations retry for ten request timeouts, and never less than 3 s (a repair or
 * a handoff in progress). */
static SimTime quorum_final_patience(const WorldConfig *c)
{
    return 10 * MAX(c->request_timeout, 300 * SIM_MS);
}

static SimRange quorum_client_backoff(const WorldConfig *c)
{
    return quorum_config(c)->retry_backoff;
}

static void quorum_tolerance(const WorldConfig *c, ProtoTolerance *out)
{
    guint w = quorum_config(c)->write_quorum;
    *out = (ProtoTolerance){
        .tolerated = w > 0 ? w - 1 : 0,
        .survivor = "a write held by W replicas",
    };
}

/* W + R > N makes read and write quorums overlap only while the W copies last: a replica that
 * acked and then lost its data may leave a later read quorum without the write. The write is
 * still durable (that is judged); reads may be stale (counted, not judged). */
static gboolean quorum_owes_linearizable(const WorldConfig *c, guint damaged)
{
    const QuorumConfig *q = quorum_config(c);
    return !q->sloppy && q->write_quorum + q->read_quorum > q->replicas && damaged == 0;
}

static uint64_t draw(SimRng *rng, uint64_t lo, uint64_t hi)
{
    return sim_rng_uniform(rng, lo, hi);
}

static void quorum_swarm_cluster(WorldConfig *c, SimRng *rng)
{
    QuorumConfig *q = quorum_config_mut(c);
    /* Up to seven nodes, N of 2 to every node, and W and R of every legal value: a strict
     * quorum (W + R > N) three times in four, any pair otherwise. */
    c->nodes = (guint)draw(rng, 3, 7);
    q->replicas = (guint)draw(rng, 2, c->nodes);
    q->coordinators = (guint)draw(rng, 1, 2);
    q->write_quorum = (guint)draw(rng, 1, q->replicas);
    if (sim_rng_chance(rng, 3, 4))
        q->read_quorum = (guint)draw(rng, q->replicas - q->write_quorum + 1, q->replicas);
    else
        q->read_quorum = (guint)draw(rng, 1, q->replicas);
    /* Sloppy quorums and failover, half the time. */
    q->sloppy = sim_rng_chance(rng, 1, 2);
    q->retry_attempts = (guint)draw(rng, 1, 3);
    q->retry_backoff = sim_rng_ms_range(rng, 5, 20, 150);
    /* The Dynamo features come from a stream of their own, so that a seed that draws none of
     * them makes the very run it made before they existed. */
    SimRng own;
    sim_rng_stream(&own, c->seed, "quorum-dynamo", 0);
    q->resolution = sim_rng_chance(&own, 1, 2) ? QRES_VCLOCK : QRES_LWW;
    /* Purges that wait for every replica; `grace` breaks its promise by design (a replica away
     * longer than the grace brings data back), so the swarm leaves it to scenarios. */
    q->purge = sim_rng_chance(&own, 1, 2) ? QPURGE_REPLICATED : QPURGE_NEVER;
    q->anti_entropy = sim_rng_chance(&own, 1, 2) ? QAE_MERKLE : QAE_DIGESTS;
    q->coordinator = sim_rng_chance(&own, 1, 2) ? QCOORD_NODE : QCOORD_DEDICATED;
}

/* W of the probe key's replicas (W of any nodes when sloppy) and one coordinator. */
static gboolean quorum_enough_up(const WorldConfig *c, const ProtoUpView *v)
{
    const QuorumConfig *q = quorum_config(c);
    gboolean coordinator = FALSE;
    for (guint i = 0; i < coordinator_count(c); i++)
        coordinator |= v->is_up(v->ctx, (EndpointId)(c->nodes + i));
    for (EndpointId n = 0; q->coordinator == QCOORD_NODE && n < c->nodes; n++)
        coordinator |= v->is_up(v->ctx, n); /* any node takes requests */
    if (!coordinator)
        return FALSE;
    guint up = 0;
    if (q->sloppy) {
        for (EndpointId n = 0; n < c->nodes; n++)
            up += v->is_up(v->ctx, n);
        return up >= q->write_quorum;
    }
    if (!v->has_probe)
        return TRUE;
    g_autoptr(Ring) ring = ring_new(c->nodes, QUORUM_VNODES);
    EndpointId walk[QUORUM_MAX_REPLICAS];
    guint n = ring_walk_first(ring, v->probe_hash, walk, q->replicas);
    for (guint i = 0; i < n; i++)
        up += v->is_up(v->ctx, walk[i]);
    return up >= q->write_quorum;
}

/* Merkle trees have inner nodes only where a range of the ring holds several keys: one Merkle
 * run in four spreads its writes over 16 to 64 keys, so that differing ranges are walked down
 * level by level (a stream of its own: other seeds keep their runs). */
static void quorum_swarm_workload(WorldConfig *c)
{
    if (quorum_config(c)->anti_entropy != QAE_MERKLE)
        return;
    SimRng own;
    sim_rng_stream(&own, c->seed, "quorum-dynamo", 1);
    if (sim_rng_chance(&own, 1, 4))
        c->keys = (guint)draw(&own, 16, 64);
}

static void *quorum_shared_new(const WorldConfig *c, guint keys, const uint64_t *key_hashes)
{
    return quorum_placement_new(c, keys, key_hashes);
}

static void quorum_shared_free(void *shared)
{
    quorum_placement_free(shared);
}

static void quorum_replication(const WorldConfig *c, ProtoReplication *out)
{
    const QuorumConfig *q = quorum_config(c);
    *out = (ProtoReplication){q->replicas, q->write_quorum, q->read_quorum, q->sloppy};
}

static const char *const quorum_failpoints[QUORUM_FP_END] = {
    "coord.received",  "coord.sent",     "coord.quorum",  "coord.replied",
    "replica.written", "replica.synced", "replica.acked",
};

/* The settings the variants of code only some settings run live in (BugVariant.settings). */
static void needs_vclock(WorldConfig *c)
{
    quorum_config_mut(c)->resolution = QRES_VCLOCK;
}

static void needs_replicated_purge(WorldConfig *c)
{
    quorum_config_mut(c)->purge = QPURGE_REPLICATED;
}

static void needs_merkle(WorldConfig *c)
{
    quorum_config_mut(c)->anti_entropy = QAE_MERKLE;
}

static const BugVariant quorum_bugs[QUORUM_BUG_COUNT] = {
    [QUORUM_BUG_ACK_BEFORE_FSYNC] = {"ack-before-fsync",
                                     "a replica acks a write as soon as write() returns, before "
                                     "its fsync",
                                     "unpersisted-send"},
    [QUORUM_BUG_COUNT_FAILED_FSYNC] = {"count-failed-fsync",
                                       "the coordinator counts a replica's failed-fsync reply as "
                                       "a durable ack",
                                       "early-ack"},
    [QUORUM_BUG_RETRY_FSYNC] = {"retry-fsync",
                                "after EIO a replica calls fsync again and trusts its 0 instead "
                                "of rewriting",
                                "unpersisted-send"},
    [QUORUM_BUG_REPLY_ON_FIRST_ACK] = {"reply-on-first-ack",
                                       "the coordinator answers the client at the first durable "
                                       "ack instead of the W-th",
                                       "early-ack"},
    [QUORUM_BUG_BOOT_TRUSTS_FSYNC] = {"boot-trusts-fsync",
                                      "a restarted replica fsyncs what it read back and trusts "
                                      "the 0, instead of writing it back first (pre-fsyncgate)",
                                      "unpersisted-send"},
    [QUORUM_BUG_NO_DEDUP] = {"no-dedup",
                             "replicas apply a retried write again instead of deduplicating its "
                             "idempotency key",
                             "duplicate"},
    [QUORUM_BUG_VCLOCK_CONCURRENT] = {"vclock-concurrent-as-descendant",
                                      "resolution = vclock: a replica compares clocks as plain "
                                      "version vectors, takes a concurrent write of the same "
                                      "issuer for a newer one and drops the other sibling",
                                      "lost-update", needs_vclock},
    [QUORUM_BUG_TOMBSTONE_PURGED_EARLY] = {"tombstone-purged-early",
                                           "tombstone.purge = replicated: a replica purges a "
                                           "delete once one other replica holds it, not every "
                                           "one: a replica that missed it brings the value back",
                                           "resurrection", needs_replicated_purge},
    [QUORUM_BUG_MISSING_DIR_FSYNC] = {"missing-dir-fsync",
                                      "a replica acks writes in a new log segment without "
                                      "fsyncing the directory that holds it",
                                      "unpersisted-send"},
    [QUORUM_BUG_REOPEN_MISSES_ERROR] = {"reopen-misses-error",
                                        "after a failed fsync a replica closes and reopens its "
                                        "segment, fsyncs again and trusts the 0 (the fsyncgate "
                                        "checkpointer)",
                                        "unpersisted-send"},
    [QUORUM_BUG_MERKLE_STALE_LEAF] = {"merkle-stale-leaf",
                                      "anti_entropy = merkle: a replica hashes a record into its "
                                      "tree when it writes it, not once it is durable, and a "
                                      "write that then fails stays in its leaf: the tree claims "
                                      "the record, and anti-entropy never brings it",
                                      "divergent", needs_merkle},
};

/* ---- costs ---- */

enum { COST_ROUNDS, COST_MESSAGES, COST_BYTES, COST_DIVERGENT, COST_RECORD_BYTES, COST_N };

/* Anti-entropy (digest or tree rounds, and the records they move): every round a replica starts
 * with one peer, the messages of those exchanges, their wire bytes, the keys they found to
 * differ (each time a replica answered a key's digest with its records), and of the bytes those
 * records themselves (repair, the same whichever way the difference was found). */
static guint quorum_costs(const MarkCount *marks, const uint64_t *msgs, const uint64_t *bytes,
                          ProtoCost *out)
{
    static const MsgType ae[] = {MSG_Q_SYNC, MSG_Q_SYNC_RECORDS, MSG_Q_TREE_ASK, MSG_Q_TREE};
    uint64_t m = 0, b = 0;
    for (guint i = 0; i < G_N_ELEMENTS(ae); i++) {
        m += msgs[ae[i]];
        b += bytes[ae[i]];
    }
    out[COST_ROUNDS] = (ProtoCost){"anti_entropy.rounds", marks[QMARK_REPLICA_SYNC_ROUND] +
                                                              marks[QMARK_REPLICA_TREE_ROUND]};
    out[COST_MESSAGES] = (ProtoCost){"anti_entropy.messages", m};
    out[COST_BYTES] = (ProtoCost){"anti_entropy.bytes", b};
    out[COST_DIVERGENT] =
        (ProtoCost){"anti_entropy.divergent_keys", marks[QMARK_REPLICA_SYNC_DIFFER]};
    out[COST_RECORD_BYTES] = (ProtoCost){"anti_entropy.record_bytes", bytes[MSG_Q_SYNC_RECORDS]};
    return COST_N;
}

static void quorum_costs_describe(const ProtoCost *c, guint n, GString *out)
{
    g_assert(n == COST_N);
    double rounds = (double)MAX(c[COST_ROUNDS].value, 1);
    double keys = (double)MAX(c[COST_DIVERGENT].value, 1);
    g_string_append_printf(
        out,
        "anti-entropy: %" G_GUINT64_FORMAT " rounds, %" G_GUINT64_FORMAT
        " messages, %" G_GUINT64_FORMAT " bytes (%" G_GUINT64_FORMAT
        " of them records); per round %.1f messages, %.0f bytes; %" G_GUINT64_FORMAT
        " divergent keys, %.0f bytes each",
        c[COST_ROUNDS].value, c[COST_MESSAGES].value, c[COST_BYTES].value,
        c[COST_RECORD_BYTES].value, (double)c[COST_MESSAGES].value / rounds,
        (double)c[COST_BYTES].value / rounds, c[COST_DIVERGENT].value,
        (double)c[COST_BYTES].value / keys);
}

static const NodeRole quorum_roles[] = {ROLE_COORDINATOR, ROLE_REPLICA, ROLE_NONE};

const Protocol quorum_protocol = {
    .name = "quorum",
    .max_nodes = QUORUM_MAX_NODES,
    .shared_new = quorum_shared_new,
    .shared_free = quorum_shared_free,
    .summary = "Dynamo-style quorum replication: N replicas per key, W/R quorums, sloppy "
               "failover with hinted handoff, read repair and anti-entropy",
    .kinds =
        {
            {"r", "replica", ROLE_REPLICA, &quorum_replica_ops, NULL, QUORUM_FP_REPLICA_WRITTEN,
             QUORUM_FP_REPLICA_ACKED},
            {"co", "coordinator", ROLE_COORDINATOR, &quorum_coordinator_ops, coordinator_count,
             QUORUM_FP_COORD_RECEIVED, QUORUM_FP_COORD_REPLIED},
        },
    .n_kinds = 2,
    .msg = &quorum_msg_ops,
    .config_size = sizeof(QuorumConfig),
    .config_defaults = quorum_defaults,
    .keys = quorum_keys,
    .config_resolve = quorum_resolve,
    .config_validate = quorum_validate,
    .final_patience = quorum_final_patience,
    .clients = {.door = 1,
                .door_of = quorum_door,
                .stay_on_answer = TRUE,
                .retry_to_leader = FALSE},
    .client_backoff = quorum_client_backoff,
    .fp_first = QUORUM_FP_COORD_RECEIVED,
    .failpoints = quorum_failpoints,
    .n_failpoints = QUORUM_FP_END,
    .bugs = quorum_bugs,
    .n_bugs = QUORUM_BUG_COUNT,
    .marks = quorum_marks,
    .n_marks = QUORUM_MARK_COUNT,
    .roles = quorum_roles,
    .client_clocks = TRUE,
    .tolerance = quorum_tolerance,
    .owes_linearizable = quorum_owes_linearizable,
    .swarm =
        {
            .cluster = quorum_swarm_cluster,
            .keys_max = 5,
            .failpoint_chance = {1, 4},
            .by_role = FALSE,
            .takeover = NULL,
            .profiles = TRUE,
            .workload = quorum_swarm_workload,
        },
    .enough_up = quorum_enough_up,
    .replication = quorum_replication,
    .costs = quorum_costs,
    .costs_describe = quorum_costs_describe,
};
