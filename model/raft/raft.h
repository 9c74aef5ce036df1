/* model/raft/raft.h — Raft: on-disk records and helpers the oracles share with the protocol.
 *
 * Files: 0 holds the metadata (current term, vote, vote floor) in two alternating blocks, so a
 * torn write never loses the last durable copy; 1 holds the log, block i-1 for entry i.
 */
#pragma once

#include "model/world/disk.h"
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
    RAFT_BUG_COUNT,
} RaftBug;

/* The protocol's descriptor (model/raft/raft_protocol.c). */
extern const Protocol raft_protocol;
/* Raft's settings, drawn by the swarm, and its liveness predicate: the hosted Raft shares them. */
void raft_swarm_cluster(WorldConfig *c, SimRng *rng);
gboolean raft_enough_up(const WorldConfig *c, const ProtoUpView *view);

#define RAFT_FILE_META    0
#define RAFT_FILE_LOG     1
#define RAFT_MAX_INFLIGHT 256 /* proposals in flight on a leader; beyond it, Busy */

enum {
    RBLK_META = 1,
    RBLK_ENTRY = 2,
};

typedef struct {
    uint64_t seq; /* the newest valid copy wins */
    uint64_t term;
    uint64_t vote_floor; /* never vote in a term <= this (after data loss) */
    EndpointId voted_for;
    uint8_t damaged; /* still repairing after data loss */
} RaftMeta;

void raft_encode_meta(DiskBlock *b, const RaftMeta *m);
BlockCheck raft_decode_meta(const DiskBlock *b, RaftMeta *out);
void raft_encode_entry(DiskBlock *b, const RaftEntry *e);
BlockCheck raft_decode_entry(const DiskBlock *b, RaftEntry *out);
/* The newest valid durable metadata of a disk; FALSE if none. */
gboolean raft_durable_meta(const Disk *d, RaftMeta *out);
