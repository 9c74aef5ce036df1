/* model/quorum/quorum.h — Dynamo-style quorum replication: the records replicas store, key state,
 * and the two node kinds (replicas r1.., coordinators co1..).
 *
 * Versions. A write's version is (client clock at the operation's first invocation, client,
 * client operation number): a total order, and every attempt of one operation carries the same
 * version, so that one logical write never sits at two places in the order (with versions
 * stamped per attempt, a retried add could be ordered both before and after a put). Replicas also
 * deduplicate by idempotency key, for writes that reuse a key under another version. Clock skew
 * of clients can therefore reorder writes: that is beyond the model of this protocol.
 *
 * Key state. A key's state is the newest put or delete plus every add newer than it; a put or
 * delete supersedes everything older. Merging two states is the union of their records (by
 * idempotency key, keeping the larger multiplicity), then pruning what is superseded. The value
 * folds the base and the adds. This makes concurrent adds commute, so deposits are never lost to
 * a read-modify-write race, and merges are order-independent.
 *
 * Reads return the newest state among R replicas and, before answering, make sure that state is
 * durable on W replicas (read repair, written back and acked), as ABD does; with W + R > N and
 * no sloppy failover this makes reads linearizable.
 */
#pragma once

#include "model/block.h"
#include "model/quorum/quorum_msg.h"
#include "model/protocol.h"

/* When a replica drops a tombstone (the `tombstone.purge` key). */
typedef enum {
    QPURGE_NEVER,      /* a delete stays forever */
    QPURGE_REPLICATED, /* once every other replica of the key holds it (or purged it) */
    QPURGE_GRACE,      /* once it has been durable here for tombstone.grace (Cassandra's
                          gc_grace_seconds): a replica that missed it longer brings data back */
} QuorumPurge;

/* How a replica resolves concurrent writes (the `resolution` key). */
typedef enum {
    QRES_LWW,    /* last-writer-wins on the clients' clocks */
    QRES_VCLOCK, /* dotted version vectors: concurrent writes are kept as siblings */
} QuorumResolution;

/* How replicas compare their data in the background (the `anti_entropy` key). */
typedef enum {
    QAE_DIGESTS, /* each round a digest (count, hash) of every key shared with one peer */
    QAE_MERKLE,  /* each round the roots of the Merkle trees of the shared key ranges, then level
                    by level down the nodes that differ (quorum_merkle.h) */
} QuorumAntiEntropy;

/* Who coordinates a client request (the `coordinator` key). */
typedef enum {
    QCOORD_DEDICATED, /* the coordinators co1..coM, which store nothing */
    QCOORD_NODE,      /* the first reachable node of the key's preference list (Dynamo §4.5):
                         a node that gets a request for another key forwards it there */
} QuorumCoordinator;

/* The quorum protocol's own settings (its scenario keys, in [cluster]). */
typedef struct {
    guint coordinators;     /* coordinators co1..coM */
    guint replicas;         /* N: copies of each key */
    guint write_quorum;     /* W */
    guint read_quorum;      /* R */
    gboolean sloppy;        /* fail over past the preference list, with hinted handoff */
    guint retry_attempts;   /* per-replica RPC retries */
    SimRange retry_backoff; /* exponential backoff with full jitter, base..cap (clients too) */
    guint resolution;       /* QuorumResolution */
    guint purge;            /* QuorumPurge */
    SimTime tombstone_grace;
    guint anti_entropy; /* QuorumAntiEntropy */
    guint coordinator;  /* QuorumCoordinator */
} QuorumConfig;

static inline gboolean quorum_vclock(const WorldConfig *c);

static inline const QuorumConfig *quorum_config(const WorldConfig *c)
{
    return (const QuorumConfig *)(const void *)c->proto;
}

static inline QuorumConfig *quorum_config_mut(WorldConfig *c)
{
    return (QuorumConfig *)(void *)c->proto;
}

static inline gboolean quorum_vclock(const WorldConfig *c)
{
    return quorum_config(c)->resolution == QRES_VCLOCK;
}

/* Quorum's failpoints (SCENARIOS.md), by code: quorum_protocol.failpoints names them. The codes
 * reach the trace hash. */
typedef enum {
    QUORUM_FP_COORD_RECEIVED,
    QUORUM_FP_COORD_SENT,
    QUORUM_FP_COORD_QUORUM,
    QUORUM_FP_COORD_REPLIED,
    QUORUM_FP_REPLICA_WRITTEN,
    QUORUM_FP_REPLICA_SYNCED,
    QUORUM_FP_REPLICA_ACKED,
    QUORUM_FP_END,
} QuorumFailpoint;

/* Quorum's bug variants: bit i of a quorum run's BugSet (quorum_protocol.bugs[i]). */
typedef enum {
    QUORUM_BUG_ACK_BEFORE_FSYNC,
    QUORUM_BUG_COUNT_FAILED_FSYNC,
    QUORUM_BUG_RETRY_FSYNC,
    QUORUM_BUG_REPLY_ON_FIRST_ACK,
    QUORUM_BUG_NO_DEDUP,
    QUORUM_BUG_VCLOCK_CONCURRENT,
    QUORUM_BUG_TOMBSTONE_PURGED_EARLY,
    QUORUM_BUG_MISSING_DIR_FSYNC,
    QUORUM_BUG_REOPEN_MISSES_ERROR,
    QUORUM_BUG_MERKLE_STALE_LEAF,
    QUORUM_BUG_BOOT_TRUSTS_FSYNC,
    QUORUM_BUG_COUNT,
} QuorumBug;

/* A quorum storage node without the coordinator that coordinator = node puts beside it
 * (quorum_node.c makes quorum_replica_ops of the two). */
extern const ProtoOps quorum_replica_core_ops;

/* The protocol's descriptor (model/quorum/quorum_protocol.c), and its node kinds: storage
 * nodes (replicas) and coordinators. */
extern const Protocol quorum_protocol;
extern const ProtoOps quorum_replica_ops;
extern const ProtoOps quorum_coordinator_ops;

#define QUORUM_VNODES 16
/* The most storage nodes a run may have (Protocol.max_nodes), and the most replicas of a key. */
#define QUORUM_MAX_NODES    1024
#define QUORUM_MAX_REPLICAS 64

/* A replica keeps its log (records, hints, VOID markers, its identity block) in segment files:
 * block b in data/<b / QUORUM_SEGMENT_BLOCKS> at b % QUORUM_SEGMENT_BLOCKS (model/seglog.h). */
#define QUORUM_SEGMENT_BLOCKS 64
/* "data/00000003". */
void quorum_segment_path(uint32_t seg, char *buf, gsize size);
/* The segment a path names, if it names one. */
gboolean quorum_segment_parse(const char *path, uint32_t *seg);

/* Block types of the data log. */
enum {
    QBLK_DATA = 1,  /* a record the replica owns */
    QBLK_HINT,      /* a record held for another replica (sloppy quorum) */
    QBLK_HINT_DONE, /* the hint with this idempotency key was handed back */
    QBLK_VOID,      /* the record at this block never became durable (fsync failed): ignore it */
    QBLK_IDENT,     /* block 0: written at the node's first boot; its absence means a lost disk */
    QBLK_VDATA,     /* resolution = vclock: a record with its clock */
    QBLK_VHINT,     /* resolution = vclock: a hint with its clock */
    QBLK_EPOCH,     /* resolution = vclock: the node's actor epoch from here on */
    QBLK_PURGE,     /* a key's tombstone was purged: everything its floor covers is gone */
};

/* Whether a block type holds a record (a hint or not, with a clock or not). */
static inline gboolean qblk_is_record(guint type)
{
    return type == QBLK_DATA || type == QBLK_HINT || type == QBLK_VDATA || type == QBLK_VHINT;
}
static inline gboolean qblk_is_hint(guint type)
{
    return type == QBLK_HINT || type == QBLK_VHINT;
}

typedef struct {
    uint16_t type;
    QRecord rec;       /* DATA, HINT, VDATA, VHINT; PURGE: the floor (the purged tombstone) */
    IdemKey idem;      /* HINT_DONE */
    EndpointId target; /* HINT_DONE */
    uint32_t block;    /* VOID; EPOCH: the epoch */
} QBlock;

/* A record with dots is written with its clock (QBLK_VDATA, QBLK_VHINT), one without as it always
 * was (QBLK_DATA, QBLK_HINT). */
void quorum_encode_record(DiskBlock *b, const QRecord *r);
void quorum_encode_epoch(DiskBlock *b, guint epoch);
/* The purge of a key's tombstone `floor`: its version, or with version vectors its clock
 * (dots and past together, as the past of the floor record read back). */
void quorum_encode_purge(DiskBlock *b, const QRecord *floor);
/* Whether a key's purge floor covers rec (a purged tombstone's past, or an older version). */
gboolean qfloor_covers(const QRecord *floor, const QRecord *rec);
void quorum_encode_hint_done(DiskBlock *b, IdemKey idem, EndpointId target);
void quorum_encode_void(DiskBlock *b, uint32_t block);
void quorum_encode_ident(DiskBlock *b, EndpointId node);
/* Decodes a block read back; anything but BLOCK_OK leaves *out unset. */
BlockCheck quorum_decode(const DiskBlock *b, QBlock *out);
/* Reads a block the caller itself sealed (no checks: quorum_decode is for blocks read back). */
void quorum_parse_sealed(const DiskBlock *b, QBlock *out);

/* ---- record sets: arrays whose elements start with a QRecord ---- */

/* Sorts by version (then idempotency key). */
void qset_sort(GArray *set);
/* The order qset_sort sorts by. */
int qrecord_cmp(const QRecord *x, const QRecord *y);
/* Sorts by version and drops what the newest put or delete supersedes. */
void qset_normalize(GArray *set);
/* Whether `r` is superseded by a put or delete already in the (normalized) set. */
gboolean qset_supersedes(const GArray *set, const QRecord *r);
/* Adds the records of `add` (n of them) to `set` (of QRecord): per idempotency key, the larger
 * multiplicity of the two; then normalizes. */
void qset_merge(GArray *set, const QRecord *add, guint n);
/* Whether every record of `need` (by idempotency key and multiplicity) is in `have`. */
gboolean qset_contains(const QRecord *have, guint nhave, const QRecord *need, guint nneed);
/* The value the set folds to; FALSE when the key has no value (never written, or deleted). */
gboolean qset_fold(const GArray *set, Value *value);
/* An order-independent digest (count and hash) for anti-entropy: the sum of each record's. */
void qset_digest(const GArray *set, uint32_t *count, uint64_t *hash);
uint64_t qrecord_digest(const QRecord *r);

/* ---- record sets under version vectors (resolution = vclock) ---- */

/* Adds the records of `add` (n) to `set` (of QRecord): one record per idempotency key (dots
 * united and pasts joined when both hold it), then drops every record another one covers. */
void qvset_merge(GArray *set, const QRecord *add, guint n);
/* Whether every record of `need` is in `have` with the same clock. */
gboolean qvset_contains(const QRecord *have, guint nhave, const QRecord *need, guint nneed);
/* The value a client reads from siblings: the largest put, plus every add (deposits merge by
 * union); FALSE when there is neither a put nor an add. */
gboolean qvset_fold(const QRecord *recs, guint n, Value *value);
/* The causal context of siblings: the join of their clocks. */
void qvset_context(const QRecord *recs, guint n, QClock *ctx);

/* ---- dotted version vectors (quorum_clock.c) ---- */

#define QCLOCK_NODE_BITS 5
#define QCLOCK_EPOCH_MAX 2047 /* epochs of one node: 11 bits */
#define QDOT_BYTES       7    /* a dot on disk or in a context */
#define QCONTEXT_BYTES   (1 + QDOT_BYTES * QCLOCK_MAX)

static inline uint16_t qactor(EndpointId node, guint epoch)
{
    return (uint16_t)(node | MIN(epoch, QCLOCK_EPOCH_MAX) << QCLOCK_NODE_BITS);
}
static inline EndpointId qactor_node(uint16_t actor)
{
    return (EndpointId)(actor & ((1u << QCLOCK_NODE_BITS) - 1));
}
static inline guint qactor_epoch(uint16_t actor)
{
    return actor >> QCLOCK_NODE_BITS;
}

/* Whether dot d is in c's causal past. */
gboolean qclock_covers_dot(const QClock *c, QDot d);
/* Whether one of rec's dots is in holder's causal past. */
gboolean qclock_covers(const QClock *holder, const QClock *rec);
/* Whether d is one of c's own dots. */
gboolean qclock_has_dot(const QClock *c, QDot d);
/* The largest counter of `actor` in c's dots and past (0: none). */
guint32 qclock_max_counter(const QClock *c, uint16_t actor);
/* Sets c's past to `entries` (n), normalized and truncated to fit beside its dots. */
void qclock_set_past(QClock *c, const QDot *entries, guint n);
/* Joins rec (its past and its dots) into the causal context ctx. */
void qclock_join(QClock *ctx, const QClock *rec);
/* Joins n records at once (merged before truncating, so that runs known only together fold). */
void qclock_join_all(QClock *ctx, const QClock *const *recs, guint n);
/* Another record of the same write: unites its dots into dst's and joins its past. Returns
 * whether dst changed. */
gboolean qclock_absorb(QClock *dst, const QClock *src);
/* Adds one event (dot d alone) to c's past. */
void qclock_add_exact(QClock *c, QDot d);
gboolean qclock_equal(const QClock *a, const QClock *b);
uint64_t qclock_digest(const QClock *c);
void qdot_put(uint8_t *p, QDot d);
QDot qdot_get(const uint8_t *p);
/* A causal context (a clock's past) as the opaque bytes clients keep: out has room for
 * QCONTEXT_BYTES; returns the length. */
guint qclock_context_bytes(const QClock *c, uint8_t *out);
/* Reads a context a client handed back; FALSE when the bytes are not one. */
gboolean qclock_from_context(const void *bytes, guint len, QClock *out);
