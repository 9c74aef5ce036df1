/* model/msg.h — the messages endpoints exchange, and the records protocols put on disk.
 *
 * A message has exactly one owner at a time: the protocol that builds it hands it to the
 * runtime in a SEND action, the network owns it in flight, and the receiver borrows it for the
 * length of one step. Variable-length parts (raft entries, quorum records) hang off `extra`,
 * owned by the message.
 */
#pragma once

#include "model/types.h"

typedef enum {
    MSG_CLIENT_REQ,
    MSG_CLIENT_RESP,
    /* quorum */
    MSG_Q_WRITE,        /* coordinator -> replica (client write, read repair), standby -> target */
    MSG_Q_WRITE_ACK,    /* replica -> sender: durable (written and fsynced) or failed */
    MSG_Q_READ,         /* coordinator -> replica */
    MSG_Q_READ_RESP,    /* replica -> coordinator: the key's durable records */
    MSG_Q_SYNC,         /* anti-entropy: per-key digests */
    MSG_Q_SYNC_RECORDS, /* anti-entropy: the records of the keys whose digests differ */
    /* raft */
    MSG_R_VOTE,
    MSG_R_VOTE_RESP,
    MSG_R_APPEND,
    MSG_R_APPEND_RESP,
    MSG_R_PROBE, /* a server repairing a damaged disk asks peers for their terms and logs */
    MSG_R_PROBE_RESP,
    /* hosted libraries */
    MSG_LIBRAFT, /* a canonical-raft raft_message; extra: its encoding (bytes) */
    MSG_TYPE_COUNT,
} MsgType;

const char *msg_type_name(MsgType type);

/* ---- records ---- */

/* One quorum write as replicas store it: a key's state is the newest put or delete plus the adds
 * newer than it (see model/quorum/quorum.h). */
typedef struct {
    KeyId key;
    uint8_t op;     /* OP_PUT, OP_ADD, OP_DELETE */
    uint8_t hinted; /* stored by a standby for `hint_for` (sloppy quorum) */
    uint8_t copy;   /* a rewritten copy of a record already in the log, not a new write */
    EndpointId hint_for;
    Version version;
    Value value;
    IdemKey idem;
} QRecord;

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

/* ---- payloads ---- */

typedef struct {
    uint32_t op;      /* the client's operation id (history index) */
    uint16_t attempt; /* attempts of the same operation carry the same idempotency key */
    uint8_t kind;     /* OpKind */
    KeyId key;
    Value value;
    IdemKey idem;
    Version version; /* quorum: stamped by the client at the first attempt */
} ClientReq;

typedef struct {
    uint32_t op;
    uint16_t attempt;
    uint8_t ok;
    uint8_t definite; /* on failure: the request had no effect and never will */
    uint8_t reason;   /* FailReason */
    uint8_t present;  /* get: the key has a value */
    EndpointId hint;  /* NotLeader: the leader, when known */
    Value value;
    uint16_t observed; /* get: how many writes make up the value (for staleness reports) */
} ClientResp;

typedef enum {
    QW_CLIENT,  /* a client write, coordinator fan-out */
    QW_REPAIR,  /* read repair */
    QW_HANDOFF, /* a standby hands a hinted write back */
} QWriteKind;

typedef struct {
    uint64_t req; /* the sender's incarnation << 32 | its own request number */
    uint16_t attempt;
    uint8_t kind;   /* QWriteKind */
    uint8_t hinted; /* store as a hint for hint_for */
    EndpointId hint_for;
} QWrite; /* records in extra */

typedef enum {
    QACK_DURABLE,      /* every record written and fsynced */
    QACK_WRITE_FAILED, /* write() failed: nothing stored */
    QACK_SYNC_FAILED,  /* fsync failed: stored in the page cache, maybe, not durable */
    QACK_NOT_READY,    /* repairing after data loss */
} QAckStatus;

typedef struct {
    uint64_t req; /* the sender's incarnation << 32 | its own request number */
    uint16_t attempt;
    uint8_t status; /* QAckStatus */
    uint8_t kind;   /* echo of QWriteKind */
    IdemKey idem;   /* the first record's idempotency key */
    EndpointId hint_for;
} QWriteAck;

typedef struct {
    uint64_t req; /* the sender's incarnation << 32 | its own request number */
    uint16_t attempt;
    KeyId key;
} QRead;

typedef struct {
    uint64_t req; /* the sender's incarnation << 32 | its own request number */
    uint16_t attempt;
    KeyId key;
    uint8_t ready; /* FALSE: repairing after data loss, no answer */
} QReadResp;       /* records in extra */

typedef struct {
    uint8_t reply;  /* the receiver should answer with its own records of these keys */
    uint8_t answer; /* MSG_Q_SYNC from a repairing replica: answer even if nothing differs, and
                       compare every durable record, however recent */
} QSync;            /* QDigest in extra (MSG_Q_SYNC) or records in extra (MSG_Q_SYNC_RECORDS) */

typedef struct {
    KeyId key;
    uint32_t count;
    uint64_t hash;
} QDigest;

typedef struct {
    uint64_t term;
    uint64_t last_index;
    uint64_t last_term;
    uint8_t prevote;
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
    uint8_t damaged; /* the responder is repairing too; its log cannot vouch for anything */
} RProbeResp;

typedef struct Msg {
    uint64_t id; /* assigned by the network at send; 0 before */
    uint16_t type;
    EndpointId from;
    EndpointId to;
    union {
        ClientReq creq;
        ClientResp cresp;
        QWrite qw;
        QWriteAck qack;
        QRead qr;
        QReadResp qrr;
        QSync qs;
        RVote rv;
        RVoteResp rvr;
        RAppend ra;
        RAppendResp rar;
        RProbe rp;
        RProbeResp rpr;
    } u;
    void *extra; /* owned array: QRecord, QDigest, RaftEntry or bytes */
    uint32_t extra_count;
} Msg;

/* Caller owns the result; free with msg_free(). */
Msg *msg_new(MsgType type, EndpointId from, EndpointId to);
/* Sets the extra array (takes ownership of `items`, allocated with g_malloc). */
void msg_take_extra(Msg *m, void *items, uint32_t count);
/* A deep copy (the network's duplicate fault). Caller owns the result. */
Msg *msg_copy(const Msg *m);
void msg_free(Msg *m);
gsize msg_extra_size(MsgType type);

static inline const QRecord *msg_records(const Msg *m)
{
    return (const QRecord *)m->extra;
}
static inline const RaftEntry *msg_entries(const Msg *m)
{
    return (const RaftEntry *)m->extra;
}
static inline const QDigest *msg_digests(const Msg *m)
{
    return (const QDigest *)m->extra;
}
