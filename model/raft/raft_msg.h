/* model/raft/raft_msg.h — the messages of Raft servers, and the log entry they carry.
 *
 * Codes 8.., in the order they came (they reach the trace hash: a code never changes). A payload
 * sits in the message's body (raft_body()); entries (RaftEntry) hang off the extra array of an
 * append.
 */
#pragma once

#include "model/msg.h"

enum {
    MSG_R_VOTE = 8,
    MSG_R_VOTE_RESP,
    MSG_R_APPEND,
    MSG_R_APPEND_RESP,
    MSG_R_PROBE, /* a server repairing a damaged disk asks peers for their terms and logs */
    MSG_R_PROBE_RESP,
    MSG_R_TIMEOUT_NOW,   /* leadership transfer: the leader tells a caught-up follower to run now */
    MSG_R_SNAPSHOT,      /* InstallSnapshot (Raft §7): a chunk of the leader's snapshot */
    MSG_R_SNAPSHOT_RESP, /* how far the follower got, or that it installed it */
    MSG_R_END,
};

/* One raft log entry. */
typedef struct {
    uint64_t term;
    uint64_t index;
    uint8_t kind; /* OpKind; OP_NOOP for the leader's election entry */
    EndpointId client;
    KeyId key;
    Value value;
    IdemKey idem;
} RaftEntry;

typedef struct {
    uint64_t term;
    uint64_t last_index;
    uint64_t last_term;
    uint8_t prevote;
    uint8_t transfer; /* the election a leadership transfer asked for: no lease holds it back */
} RVote;

typedef struct {
    uint64_t term;
    uint8_t granted;
    uint8_t prevote;
} RVoteResp;

typedef struct {
    uint64_t term;
    uint64_t prev_index;
    uint64_t prev_term;
    uint64_t commit;
    uint64_t round; /* heartbeat round, for read-index confirmation */
} RAppend;          /* entries in extra */

typedef struct {
    uint64_t term;
    uint8_t success;
    uint64_t match;          /* on success: the last index known to match and be durable */
    uint64_t conflict_index; /* on failure: where the leader should retry */
    uint64_t round;
} RAppendResp;

typedef struct {
    uint64_t term;
} RProbe;

typedef struct {
    uint64_t term;
    uint64_t last_index;
    uint64_t last_term;
    Value members;          /* the responder's latest configuration, packed (raft_members_pack) */
    uint32_t members_index; /* and the index of its entry (0: the bootstrap configuration) */
    uint8_t damaged;        /* the responder is repairing too; its log cannot vouch for anything */
} RProbeResp;

typedef struct {
    uint64_t term;
} RTimeoutNow;

typedef struct {
    uint64_t term;
    uint64_t index;     /* the snapshot's last entry */
    uint64_t snap_term; /* that entry's term */
    uint32_t offset;    /* the first of its blocks this chunk carries (0: the header) */
    uint32_t total;     /* its blocks in all, header included */
} RSnapshot;            /* the blocks (DiskBlock) in extra */

typedef struct {
    uint64_t term;
    uint64_t index; /* the snapshot it answers for */
    uint32_t next;  /* the next block it wants */
    uint8_t done;   /* it holds the snapshot durably, installed (or had everything it holds) */
} RSnapshotResp;

/* The payload of a raft message, by type. */
typedef union {
    RTimeoutNow rt;
    RSnapshot rs;
    RSnapshotResp rsr;
    RVote rv;
    RVoteResp rvr;
    RAppend ra;
    RAppendResp rar;
    RProbe rp;
    RProbeResp rpr;
} RaftMsgBody;

G_STATIC_ASSERT(sizeof(RaftMsgBody) <= sizeof(((Msg *)0)->u.body));

/* The raft payload of `m` (const if `m` is). */
#define raft_body(m)                                                                               \
    _Generic((m),                                                                                  \
        const Msg *: (const RaftMsgBody *)(const void *)(m)->u.body,                              \
        Msg *: (RaftMsgBody *)(void *)(m)->u.body)

static inline const RaftEntry *raft_msg_entries(const Msg *m)
{
    return (const RaftEntry *)m->extra;
}

/* Names, trace lines and report ranking of the raft messages. */
extern const MsgOps raft_msg_ops;
