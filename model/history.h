/* model/history.h — every client operation: what was asked, when, and what the client heard.
 *
 * One entry is one logical operation from its first invocation to its final outcome after
 * retries; every attempt carries the same idempotency key. The oracles judge the run from this
 * history and from the disks, never from what a node claims.
 *
 * Streaming (reports/README.md): an operation whose facts the oracles have taken for good is
 * folded (history_fold); once every operation of a chunk of the array is, the chunk is given
 * back (so are the siblings of folded gets). A folded operation's id stays taken and may no
 * longer be read: history_is_folded says which.
 */
#pragma once

#include "model/msg.h"
#include "model/types.h"
#include "sim/engine/chunks.h"

typedef enum {
    HOP_SCRIPTED = 1 << 0,  /* an [op NAME] of the scenario */
    HOP_PROBE = 1 << 1,     /* the liveness probe write after settle */
    HOP_FINAL = 1 << 2,     /* a final read after settle */
    HOP_RECONCILE = 1 << 3, /* a client's write-back of the siblings a get returned */
} HistOpFlags;

typedef struct {
    uint32_t id;
    EndpointId client;
    uint8_t kind;    /* OpKind */
    uint8_t outcome; /* Outcome */
    uint8_t reason;  /* FailReason of the last failed attempt */
    uint8_t present; /* get: the key had a value */
    uint8_t attempts;
    uint8_t flags;             /* HistOpFlags */
    uint8_t any_indeterminate; /* some attempt ended without knowing */
    uint16_t observed;         /* get: writes that make up the value (quorum staleness reports) */
    KeyId key;
    uint32_t name; /* index into the history's names, or UINT32_MAX */
    Value value;   /* put/add argument */
    Value result;  /* get result */
    IdemKey idem;
    SimTime invoke;
    SimTime complete; /* SIM_TIME_NEVER while pending */
    /* Causality, as the client saw it: a write carries the causal context of the client's
     * latest ok get or ok write (put, delete) of the same key, `ctx_op` (UINT32_MAX: none; adds
     * carry none); a get records the writes it returned, and so does a put or delete of a
     * multi-value store (the values its issuer held once it was written: history_siblings). */
    uint32_t ctx_op;
    uint32_t sib;  /* the first of its siblings in History.siblings */
    uint16_t nsib; /* how many */
} HistOp;

typedef struct {
    Chunks ops;       /* of HistOp, by id */
    GPtrArray *names; /* scripted op names */
    Chunks siblings;  /* of ClientSibling: the gets' siblings, each get's consecutive */
    /* streaming */
    Chunks folded;     /* of uint64_t: a bit per op, set once it is folded */
    Chunks chunk_live; /* of uint32_t: per chunk of `ops`, its ops not folded */
    Chunks sib_live;   /* of uint32_t: per chunk of `siblings`, its siblings of unfolded gets */
    guint nfolded;
} History;

void history_init(History *h);
void history_clear(History *h);
/* Appends an operation and returns it (valid until the next append). */
HistOp *history_add(History *h);
static inline gboolean history_is_folded(const History *h, uint32_t id)
{
    return id < h->folded.len * 64u &&
           ((*(const uint64_t *)chunks_at(&h->folded, id / 64) >> (id % 64)) & 1);
}
static inline HistOp *history_op(const History *h, uint32_t id)
{
    return chunks_at(&h->ops, id);
}
/* Folds op `id` (streaming): it may no longer be read; its storage goes with its chunk's. */
void history_fold(History *h, uint32_t id);
/* Bytes the history holds (for memory reports). */
gsize history_bytes(const History *h);
static inline guint history_len(const History *h)
{
    return h->ops.len;
}
uint32_t history_name(History *h, const char *name);
/* Records what get `op` returned (copied). */
void history_set_siblings(History *h, HistOp *op, const ClientSibling *sibs, guint n);
/* Sibling i (< op->nsib) of a get. */
static inline const ClientSibling *history_sibling(const History *h, const HistOp *op, guint i)
{
    g_assert(i < op->nsib);
    return chunks_at(&h->siblings, op->sib + i);
}
const char *history_op_name(const History *h, const HistOp *op);
/* Finds a scripted op by name; NULL if none. */
const HistOp *history_find(const History *h, const char *name);
