/* model/raft/raft.h — Raft: on-disk records and helpers the oracles share with the protocol.
 *
 * Files (a server names them itself; ProtoOps.nfiles is 0):
 *   meta      the current term, the vote and the vote floor, one block, replaced whole: written
 *             to meta.tmp, fsynced, renamed over meta, and the root fsynced (so a crash leaves
 *             the old copy or the new one, never a torn one, and the rename is durable);
 *   log/<n>   the log, in segments of S entries (`segment.entries`, RAFT_SEGMENT_ENTRIES by
 *             default; model/seglog.h): entry i is block (i-1) % S of log/<(i-1) / S>; a new
 *             segment is created, written, fsynced and named durably (log/ fsynced) before
 *             anything in it is acknowledged;
 *   snapshot  the newest durable snapshot (RAFT_SNAP_PATH: a header block, then the state
 *             machine's records), written as RAFT_SNAP_TMP, fsynced, renamed over snapshot and
 *             the root fsynced; only then are the log segments wholly below it (but for
 *             `snapshot.trailing` entries) unlinked.
 * The hosted raft (model/libraft/) names the same log and meta files, but overwrites its meta in
 * place, in two alternating blocks (the newest valid wins), and keeps its snapshots its own way.
 * The oracles also read a layout of fixed files (RAFT_FILE_META, the metadata in two alternating
 * blocks; RAFT_FILE_LOG, block i-1 for entry i), which a disk with fixed files has.
 */
#pragma once

#include "model/raft/raft_msg.h"
#include "model/protocol.h"

/* Raft's own settings (its scenario keys, in [cluster]). */
typedef struct {
    SimRange election_timeout;
    SimTime heartbeat;
    guint batch_entries; /* flush a batch at this many entries */
    SimTime batch_delay; /* or after this delay */
    /* How far message delays may spread: the heartbeat round skips followers sent to recently
     * only while heartbeat + that skip + this spread stays clear of the election timeout.
     * Default: the spread of the cluster's net.latency. */
    SimTime delay_spread;
    guint spares;            /* the last `spares` servers start outside the configuration */
    guint snapshot_every;    /* a snapshot every this many applied entries (0: none) */
    guint snapshot_trailing; /* entries kept in the log below a snapshot */
    guint snapshot_chunk;    /* blocks of a snapshot per InstallSnapshot message */
    guint segment_entries;   /* entries per log segment file */
} RaftConfig;

static inline const RaftConfig *raft_config(const WorldConfig *c)
{
    return (const RaftConfig *)(const void *)c->proto;
}

static inline RaftConfig *raft_config_mut(WorldConfig *c)
{
    return (RaftConfig *)(void *)c->proto;
}

/* Raft's failpoints (SCENARIOS.md), by code: raft_protocol.failpoints names them. The codes
 * start at 7, where they stood when every protocol's failpoints were numbered in one list; they
 * reach the trace hash. The hosted Raft (model/libraft/) marks the same ones. */
typedef enum {
    RAFT_FP_ELECTED = 7,
    RAFT_FP_VOTED,
    RAFT_FP_APPENDED,
    RAFT_FP_BROADCAST,
    RAFT_FP_FOLLOWER_APPENDED,
    RAFT_FP_COMMITTED,
    RAFT_FP_REPLIED,
    RAFT_FP_CONFIG_APPENDED,    /* the leader appended a configuration entry, nothing sent yet */
    RAFT_FP_CONFIG_COMMITTED,   /* the leader committed a configuration entry */
    RAFT_FP_SNAPSHOT_WRITTEN,   /* a snapshot durable (renamed into place), the log not cut yet */
    RAFT_FP_SNAPSHOT_INSTALLED, /* a follower installed a leader's snapshot, not answered yet */
    RAFT_FP_END,
} RaftFailpoint;
#define RAFT_FP_FIRST RAFT_FP_ELECTED
extern const char *const raft_failpoint_names[RAFT_FP_END - RAFT_FP_FIRST];

/* Raft's bug variants: bit i of a raft run's BugSet (raft_protocol.bugs[i]). */
typedef enum {
    RAFT_BUG_COMMIT_OLD_TERM,
    RAFT_BUG_VOTE_BEFORE_PERSIST,
    RAFT_BUG_FOLLOWER_ACK_BEFORE_FSYNC,
    RAFT_BUG_NO_SESSION,
    RAFT_BUG_TRUNCATE_ON_STALE_APPEND,
    RAFT_BUG_STALE_READ,
    RAFT_BUG_NO_PREVOTE,
    RAFT_BUG_CONFIG_BEFORE_TERM_COMMIT,
    RAFT_BUG_MISSING_DIR_FSYNC,
    RAFT_BUG_RENAME_BEFORE_FSYNC,
    RAFT_BUG_REOPEN_MISSES_ERROR,
    RAFT_BUG_COMPACT_BEFORE_SNAPSHOT_DURABLE,
    RAFT_BUG_SNAPSHOT_INCLUDES_UNCOMMITTED,
    RAFT_BUG_COUNT,
} RaftBug;

/* The protocol's descriptor (model/raft/raft_protocol.c), and its one node kind, the server. */
extern const Protocol raft_protocol;
extern const ProtoOps raft_ops;
/* Raft's settings, drawn by the swarm, and its liveness predicate: the hosted Raft shares them. */
void raft_swarm_cluster(WorldConfig *c, SimRng *rng);
gboolean raft_enough_up(const WorldConfig *c, const ProtoUpView *view);

#define RAFT_FILE_META       0
#define RAFT_FILE_LOG        1
#define RAFT_META_PATH       "meta"
#define RAFT_META_TMP        "meta.tmp"
#define RAFT_LOG_DIR         "log"
#define RAFT_SEGMENT_ENTRIES 64 /* default segment.entries */
/* The descriptors a raft server opens (its disk actions name them): a snapshot being written,
 * the root, log/, meta.tmp while the metadata is replaced, the log store's scratch one, the
 * scrub's reads of meta, and log segments from RAFT_FD_SEG_FIRST on. */
enum {
    RAFT_FD_SNAP = 2, /* a snapshot being written (RAFT_SNAP_TMP) */
    RAFT_FD_ROOT = 3,
    RAFT_FD_LOG = 4,
    RAFT_FD_META_TMP = 5,
    RAFT_FD_SCRATCH = 6,
    RAFT_FD_META_READ = 7,
    RAFT_FD_SEG_FIRST = 8,
    RAFT_FD_SEGS = 32,
};
#define RAFT_MAX_INFLIGHT 256 /* proposals in flight on a leader; beyond it, Busy */
/* The most servers a cluster may have, spares included (Protocol.max_nodes): Raft runs in
 * clusters of a few servers; its oracles keep a server set in 64 bits. */
#define RAFT_MAX_NODES 32

enum {
    RBLK_META = 1,
    RBLK_ENTRY = 2,
    RBLK_SNAP_HEAD = 5,
    RBLK_SNAP_DATA = 6,
};

#define RAFT_SNAP_TRAILING 128 /* default snapshot.trailing */
#define RAFT_SNAP_CHUNK    8   /* default snapshot.chunk */
#define RAFT_SNAP_PATH     "snapshot"
#define RAFT_SNAP_TMP      "snapshot.tmp"

/* A snapshot's first block: what it holds. */
typedef struct {
    uint64_t index;         /* the last entry it holds */
    uint64_t term;          /* that entry's term */
    Value members;          /* the configuration in force at index (raft_members_pack) */
    uint64_t members_index; /* and its entry (0: the bootstrap configuration) */
    uint32_t blocks;        /* data blocks after the header */
    uint32_t sum;           /* of their checksums: a snapshot counts only whole */
} RaftSnapHead;

/* The state machine a snapshot holds: every key's value, each client's session (the highest
 * operation applied) and the explicit idempotency keys applied. */
typedef struct {
    guint keys;
    const Value *kv;
    const uint8_t *present;
    guint clients;
    const uint32_t *sessions;
    guint named_count;
    const IdemKey *named; /* sorted */
} RaftSnapState;

void raft_encode_snap_head(DiskBlock *b, const RaftSnapHead *h);
BlockCheck raft_decode_snap_head(const DiskBlock *b, RaftSnapHead *out);
/* Appends the data blocks of `st` to `out` (of DiskBlock) and fills the header's blocks and
 * sum. */
void raft_encode_snap_state(const RaftSnapState *st, GArray *out, RaftSnapHead *h);
/* Reads data blocks back into kv, present (keys each), sessions (clients) and `named` (an
 * IdemKey set: g_int64 keys the caller frees); FALSE when a block is not a valid data block or
 * the sum does not match. */
gboolean raft_decode_snap_state(const DiskBlock *blocks, const RaftSnapHead *h, guint keys,
                                Value *kv, uint8_t *present, guint clients, uint32_t *sessions,
                                GHashTable *named);

typedef struct {
    uint64_t seq; /* the newest valid copy wins */
    uint64_t term;
    uint64_t vote_floor; /* never vote in a term <= this (after data loss) */
    EndpointId voted_for;
    uint8_t damaged; /* still repairing after data loss */
} RaftMeta;

/* ---- configurations (thesis ch. 4) ----
 *
 * A configuration says which servers vote and which only replicate. It lives in the log as an
 * entry of kind OP_NOOP with key RAFT_KEY_CONFIG whose value packs it, 2 bits per server (server
 * n1 in bits 0-1, n2 in bits 2-3, ...): 0 not a member, 1 a standby (it replicates but never
 * counts), 2 a voter, 3 a spare. The hosted raft (model/libraft/) packs canonical raft's
 * configurations the same way, so the oracles read both. A server uses the latest configuration
 * in its log, committed or not (it takes effect when appended); before any, the bootstrap one:
 * the first nodes - spares servers vote. */
#define RAFT_KEY_CONFIG ((KeyId)0xfffffff1u)

typedef struct {
    uint32_t voters;   /* bit n: server n (endpoint n) votes */
    uint32_t standbys; /* bit n: server n replicates without counting */
} RaftMembers;

Value raft_members_pack(RaftMembers m);
RaftMembers raft_members_unpack(Value packed);
RaftMembers raft_members_bootstrap(const WorldConfig *c);
static inline guint raft_members_majority(RaftMembers m)
{
    return (guint)__builtin_popcount(m.voters) / 2 + 1;
}
static inline gboolean raft_entry_is_config(const RaftEntry *e)
{
    return e->kind == OP_NOOP && e->key == RAFT_KEY_CONFIG;
}
/* "n1 n2 n3 (+n4)": voters, then standbys in parentheses. Caller frees. */
char *raft_members_format(RaftMembers m);

void raft_encode_meta(DiskBlock *b, const RaftMeta *m);
BlockCheck raft_decode_meta(const DiskBlock *b, RaftMeta *out);
void raft_encode_entry(DiskBlock *b, const RaftEntry *e);
BlockCheck raft_decode_entry(const DiskBlock *b, RaftEntry *out);
/* "log/00000003"; whether a path names a log segment (and which). */
void raft_segment_path(uint32_t seg, char *buf, gsize size);
gboolean raft_segment_parse(const char *path, uint32_t *seg);
