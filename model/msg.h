/* model/msg.h — the envelope of the messages endpoints exchange, and the clients' messages.
 *
 * A message has exactly one owner at a time: the protocol that builds it hands it to the
 * runtime in a SEND action, the network owns it in flight, and the receiver borrows it for the
 * length of one step. A protocol's payloads live in its own folder (model/quorum/quorum_msg.h,
 * model/raft/raft_msg.h) and sit in `u.body`; variable-length parts (raft entries, quorum records,
 * a hosted library's encoded bytes) hang off `extra`, owned by the message, so copying and freeing
 * need no protocol code.
 */
#pragma once

#include "model/types.h"

/* Message type codes. 0 and 1 are the clients' own; every protocol numbers its messages in a
 * range of its own (model/quorum/quorum_msg.h, model/raft/raft_msg.h) and names them through its
 * MsgOps. The codes reach the trace and its hash: a protocol never renumbers its messages. */
typedef uint16_t MsgType;

enum {
    MSG_CLIENT_REQ = 0,
    MSG_CLIENT_RESP = 1,
    MSG_PROTO_FIRST = 2, /* the first code a protocol may use */
};

typedef struct Msg Msg;

/* How the trace names the things a message refers to (the world's names). */
typedef struct {
    const void *ctx;
    const char *(*key)(const void *ctx, KeyId key);
    const char *(*endpoint)(const void *ctx, EndpointId id);
    const char *(*idem)(const void *ctx, IdemKey idem, char *buf, gsize size);
} MsgNames;

/* What a protocol tells the rest of durasim about its messages. */
typedef struct {
    MsgType first; /* the protocol's codes are first .. first+count-1 */
    MsgType count;
    const char *const *names; /* count names, one per code */
    /* Appends to `out` what the message says, after its name (" term=3 ..."). */
    void (*describe)(const Msg *m, const MsgNames *names, GString *out);
    /* Whether a message of this type (with this trace detail) carries replication: a report's
     * focus widens over it and ranks it among the messages that matter. */
    gboolean (*replicates)(MsgType type, const char *detail);
    /* Whether a message of this type links the servers it passes between (a report's focus
     * widens over it), replicating or not. */
    gboolean (*links)(MsgType type, const char *detail);
    /* The bytes the message would take on a wire (a header, its payload, its records as the
     * protocol would encode them): the cost counters of WorldStats. NULL: not measured. */
    uint32_t (*wire_bytes)(const Msg *m);
} MsgOps;

/* Message codes WorldStats counts by type (clients' and the protocol's). */
#define MSG_TYPE_SLOTS 32

/* The name of a message type: a client's, or one of `proto`'s (NULL: clients only). */
const char *msg_type_name(const MsgOps *proto, MsgType type);
/* What the message is, in one line: its name and what `proto` says of it. Caller frees. */
char *msg_describe(const MsgOps *proto, const Msg *m, const MsgNames *names);

/* ---- payloads ---- */

typedef struct {
    uint32_t op;      /* the client's operation id (history index) */
    uint16_t attempt; /* attempts of the same operation carry the same idempotency key */
    uint8_t kind;     /* OpKind */
    KeyId key;
    Value value;
    IdemKey idem;
    Version version;        /* quorum: stamped by the client at the first attempt */
    uint16_t context_bytes; /* a causal context the write carries (in extra), opaque to clients */
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
    /* What the answer carries in extra (bytes): `siblings` ClientSibling records (get: the writes
     * the value is made of, or the concurrent values of a multi-value store), then
     * `context_bytes` of causal context, opaque to the client, that its next write of the key
     * hands back, then `base_context_bytes`: the context of the puts and deletes among the
     * siblings only, which a write-back reconciling them hands back instead (so that it does
     * not cover the deposits, which stay beside the reconciled value). */
    uint16_t siblings;
    uint16_t context_bytes;
    uint16_t base_context_bytes;
} ClientResp;

/* One write a get returned: one of a multi-value store's siblings, or one of the records a
 * single value folds (a put and the adds on top of it). */
typedef struct {
    IdemKey idem;
    Value value;
    uint8_t op; /* OpKind */
} ClientSibling;

/* Room for the largest protocol payload, in 64-bit words (each protocol asserts its own fit). */
#define MSG_BODY_WORDS 5

struct Msg {
    uint64_t id; /* assigned by the network at send; 0 before */
    uint16_t type;
    EndpointId from;
    EndpointId to;
    union {
        ClientReq creq;
        ClientResp cresp;
        uint64_t body[MSG_BODY_WORDS]; /* a protocol's payload: see quorum_body(), raft_body() */
    } u;
    void *extra; /* owned array of extra_count items of extra_size bytes (records, entries...) */
    uint32_t extra_count;
    uint32_t extra_size;
};

/* Caller owns the result; free with msg_free(). */
Msg *msg_new(MsgType type, EndpointId from, EndpointId to);
/* Sets the extra array: `count` items of `size` bytes (takes ownership of `items`, allocated
 * with g_malloc; NULL when count is 0). */
void msg_take_extra(Msg *m, void *items, uint32_t count, gsize size);
/* Attaches to a client answer (MSG_CLIENT_RESP) its siblings and causal contexts (copied). */
void msg_client_resp_attach(Msg *m, const ClientSibling *siblings, guint n, const void *context,
                            guint context_bytes, const void *base, guint base_bytes);
/* Attaches to a client request (MSG_CLIENT_REQ) the causal context it carries (copied). */
void msg_client_req_attach(Msg *m, const void *context, guint context_bytes);
/* The siblings of a client answer (resp->siblings of them; aligned copy into `out`). */
void msg_client_siblings(const Msg *m, ClientSibling *out);
/* The causal context of a client answer or request, or NULL (borrowed from the message). */
const void *msg_client_context(const Msg *m, guint *bytes);
/* The base context of a client answer (see ClientResp), or NULL (borrowed). */
const void *msg_client_base_context(const Msg *m, guint *bytes);

/* A deep copy (the network's duplicate fault). Caller owns the result. */
Msg *msg_copy(const Msg *m);
void msg_free(Msg *m);
