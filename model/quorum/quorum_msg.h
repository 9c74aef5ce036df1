/* model/quorum/quorum_msg.h — the messages of the quorum store (replicas and coordinators).
 *
 * Codes 2..7, as they always were (they reach the trace hash). A payload sits in the message's
 * body (quorum_body()); records (QRecord) or digests (QDigest) hang off its extra array.
 */
#pragma once

#include "model/msg.h"

enum {
    MSG_Q_WRITE = MSG_PROTO_FIRST, /* coordinator -> replica (client write, read repair),
                                      standby -> target */
    MSG_Q_WRITE_ACK,               /* replica -> sender: durable (written and fsynced) or failed */
    MSG_Q_READ,                    /* coordinator -> replica */
    MSG_Q_READ_RESP,               /* replica -> coordinator: the key's durable records */
    MSG_Q_SYNC,                    /* anti-entropy: per-key digests */
    MSG_Q_SYNC_RECORDS,            /* anti-entropy: the records of the keys whose digests differ */
    MSG_Q_PURGE_ASK,               /* tombstone.purge = replicated: do you hold this tombstone? */
    MSG_Q_PURGE_ACK,               /* ... yes (as the key's whole state, durably) or no */
    MSG_Q_TREE_ASK,                /* anti_entropy = merkle: which tree nodes the asker wants */
    MSG_Q_TREE,                    /* ... and the peer's hashes of them, in the same order */
    MSG_Q_FORWARD,     /* coordinator = node: a client request, to the key's first reachable node */
    MSG_Q_FORWARD_ACK, /* ... taken: that node coordinates it and answers the client itself */
    MSG_Q_END,
};

/* A dot: one write event, named by the replica that issued it (its actor: node and epoch) and
 * that actor's counter for the key. In a causal past an entry covers a run of its actor's
 * events: the one at `counter` and the `span` before it, or (QSPAN_ALL) every one up to
 * `counter`. See model/quorum/quorum_clock.c. */
typedef struct {
    uint16_t actor; /* node (QCLOCK_NODE_BITS) and epoch above it */
    uint8_t span;   /* in a past: the events before `counter` it covers too (0: none) */
    uint8_t pad;
    uint32_t counter;
} QDot;

#define QSPAN_ALL  255
#define QCLOCK_MAX 7 /* dots and past entries of one clock; more are truncated (Dynamo §4.4) */

/* A record's dotted version vector (resolution = vclock; all zero under last-writer-wins): its
 * own dots (one, or more when a retried write was issued twice), then its causal past (the
 * context its client had read). A causal context is a clock without dots. */
typedef struct {
    uint8_t ndots;
    uint8_t npast;
    uint8_t truncated; /* entries of its past were dropped to fit */
    QDot e[QCLOCK_MAX];
} QClock;

/* One quorum write as replicas store it: under last-writer-wins a key's state is the newest put or
 * delete plus the adds newer than it; under version vectors, every record no other record's
 * causal past covers (see model/quorum/quorum.h). */
typedef struct {
    KeyId key;
    uint8_t op;     /* OP_PUT, OP_ADD, OP_DELETE */
    uint8_t hinted; /* stored by a standby for `hint_for` (sloppy quorum) */
    uint8_t copy;   /* a rewritten copy of a record already in the log, not a new write */
    EndpointId hint_for;
    Version version;
    Value value;
    IdemKey idem;
    QClock clock; /* resolution = vclock */
} QRecord;

typedef enum {
    QW_CLIENT,  /* a client write, coordinator fan-out */
    QW_REPAIR,  /* read repair */
    QW_HANDOFF, /* a standby hands a hinted write back */
    QW_ISSUE,   /* resolution = vclock: the coordinator asks a replica to issue the write's dot and
                   store it; the durable ack returns the dotted record */
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

/* A node of the Merkle tree of one key range (anti_entropy = merkle; quorum_merkle.h). Node 1
 * is the root, node n's children are 2n and 2n+1. In a MSG_Q_TREE_ASK, the nodes wanted (hash
 * unused); in a MSG_Q_TREE, the answering replica's hash of each, in the order asked (range and
 * node repeated in memory only: on the wire an answer is its hashes). */
typedef struct {
    uint32_t range;
    uint32_t node;
    uint64_t hash;
} QTreeNode;

typedef struct {
    uint32_t xid; /* the asker's exchange: an answer to an earlier one is ignored */
} QTree;

/* A forwarded client request (MSG_Q_FORWARD) is the client's request (u.creq) with its causal
 * context in extra as the client sent it, then the client's endpoint (2 bytes). */
typedef struct {
    uint32_t op; /* the client operation and attempt taken */
    uint16_t attempt;
    EndpointId client;
} QForwardAck;

typedef struct {
    KeyId key;
    IdemKey idem;  /* the tombstone (its record in the ask's extra) */
    uint8_t holds; /* PURGE_ACK: the peer holds it as the key's whole state, or purged it */
} QPurge;

/* The payload of a quorum message, by type. */
typedef union {
    QWrite qw;
    QWriteAck qack;
    QRead qr;
    QReadResp qrr;
    QSync qs;
    QPurge qp;
    QTree qt;
    QForwardAck qfa;
} QuorumMsgBody;

G_STATIC_ASSERT(sizeof(QuorumMsgBody) <= sizeof(((Msg *)0)->u.body));

/* The quorum payload of `m` (const if `m` is). */
#define quorum_body(m)                                                                             \
    _Generic((m),                                                                                  \
        const Msg *: (const QuorumMsgBody *)(const void *)(m)->u.body,                            \
        Msg *: (QuorumMsgBody *)(void *)(m)->u.body)

static inline const QRecord *quorum_msg_records(const Msg *m)
{
    return (const QRecord *)m->extra;
}
static inline const QDigest *quorum_msg_digests(const Msg *m)
{
    return (const QDigest *)m->extra;
}
static inline const QTreeNode *quorum_msg_tree(const Msg *m)
{
    return (const QTreeNode *)m->extra;
}

/* Wire sizes (MsgOps.wire_bytes): every message has a header (type, endpoints, id); a record
 * goes as it is stored (quorum_record_bytes); a digest is key 4, count 4, hash 8; a tree node
 * asked for is its range (as the difference from the previous node's) and its number, each a
 * varint (7 bits a byte, zigzag for the difference); a tree node's hash 8. */
#define QWIRE_HEADER 16
#define QWIRE_DIGEST 16
#define QWIRE_TREE   8
/* The bytes record r takes on the wire and on disk (a marker: its key and op). */
uint32_t quorum_record_bytes(const QRecord *r);

/* Names, trace lines and report ranking of the quorum messages. */
extern const MsgOps quorum_msg_ops;
