/* model/types.h — the vocabulary shared by the world, the protocols and the oracles. */
#pragma once

#include "sim/engine/time.h"

#include <glib.h>
#include <stdint.h>

/* An endpoint is a node (storage node, coordinator, raft server) or a client. */
typedef uint16_t EndpointId;
#define ENDPOINT_NONE       ((EndpointId)UINT16_MAX)
#define WORLD_MAX_NODES     32 /* nodes of one kind: node sets are 64-bit masks */
#define WORLD_MAX_ENDPOINTS 128

/* A set of endpoints, one bit per endpoint id. */
typedef struct {
    uint64_t bits[WORLD_MAX_ENDPOINTS / 64];
} EndpointMask;

static inline void endpoint_mask_add(EndpointMask *m, EndpointId id)
{
    m->bits[id / 64] |= (uint64_t)1 << (id % 64);
}

static inline gboolean endpoint_mask_has(const EndpointMask *m, EndpointId id)
{
    return id < WORLD_MAX_ENDPOINTS && ((m->bits[id / 64] >> (id % 64)) & 1);
}

static inline EndpointMask endpoint_mask_one(EndpointId id)
{
    EndpointMask m = {{0}};
    endpoint_mask_add(&m, id);
    return m;
}

/* Endpoints 0..n-1. */
static inline EndpointMask endpoint_mask_first(guint n)
{
    EndpointMask m = {{0}};
    for (guint id = 0; id < n && id < WORLD_MAX_ENDPOINTS; id++)
        endpoint_mask_add(&m, (EndpointId)id);
    return m;
}

static inline gboolean endpoint_mask_is_empty(const EndpointMask *m)
{
    for (guint i = 0; i < G_N_ELEMENTS(m->bits); i++)
        if (m->bits[i])
            return FALSE;
    return TRUE;
}

static inline gboolean endpoint_mask_intersects(const EndpointMask *a, const EndpointMask *b)
{
    for (guint i = 0; i < G_N_ELEMENTS(a->bits); i++)
        if (a->bits[i] & b->bits[i])
            return TRUE;
    return FALSE;
}

static inline void endpoint_mask_union(EndpointMask *a, const EndpointMask *b)
{
    for (guint i = 0; i < G_N_ELEMENTS(a->bits); i++)
        a->bits[i] |= b->bits[i];
}

/* Whether every endpoint of `part` is in `whole`. */
static inline gboolean endpoint_mask_covers(const EndpointMask *whole, const EndpointMask *part)
{
    for (guint i = 0; i < G_N_ELEMENTS(whole->bits); i++)
        if ((whole->bits[i] & part->bits[i]) != part->bits[i])
            return FALSE;
    return TRUE;
}

typedef uint32_t KeyId;
#define KEY_NONE ((KeyId)UINT32_MAX)

typedef int64_t Value;

/* An idempotency key: every attempt of one logical write carries the same one. 0 is none. */
typedef uint64_t IdemKey;
#define IDEM_NONE ((IdemKey)0)

typedef enum {
    OP_PUT,
    OP_GET,
    OP_ADD,
    OP_DELETE,
    OP_NOOP, /* raft's election no-op; never issued by clients */
    /* Operations on the cluster itself, for protocols that have them (Protocol.admin_ops): the
     * server they name is the operation's value, an endpoint id (-1: any). They touch no key. */
    OP_ADD_SERVER,    /* the server joins as a voter */
    OP_REMOVE_SERVER, /* the server leaves */
    OP_TRANSFER,      /* the leader hands its office to the server */
    OP_KIND_COUNT,
} OpKind;

const char *op_kind_name(OpKind kind);
gboolean op_kind_is_write(OpKind kind);
/* An operation on the cluster (add-server, remove-server, transfer-leader). */
gboolean op_kind_is_admin(OpKind kind);

/* The final outcome of a client operation, after its retries. */
typedef enum {
    OUTCOME_PENDING,
    OUTCOME_OK,
    OUTCOME_FAIL,          /* definite: it did not and will not happen */
    OUTCOME_INDETERMINATE, /* timeout, lost reply, or an error that cannot know */
} Outcome;

const char *outcome_name(Outcome outcome);
gboolean outcome_parse(const char *text, Outcome *out);

/* Why a request failed, as the server says it (or the client decided). */
typedef enum {
    FAIL_NONE,
    FAIL_NOT_LEADER,      /* definite; carries a hint when known */
    FAIL_NO_LEADER,       /* definite */
    FAIL_BUSY,            /* definite */
    FAIL_SHUTDOWN,        /* definite */
    FAIL_NOT_READY,       /* definite: a replica repairing itself */
    FAIL_WRITE,           /* definite: every replica reported the write itself failed */
    FAIL_QUORUM,          /* indeterminate: W durable acks did not arrive in time */
    FAIL_LOST_LEADERSHIP, /* indeterminate: the leader lost its term mid-flight */
    FAIL_READ_QUORUM,     /* reads: R replicas did not answer in time */
    FAIL_TIMEOUT,         /* indeterminate: the client stopped waiting */
    FAIL_REASON_COUNT,
} FailReason;

const char *fail_reason_name(FailReason reason);
/* Whether the reason says, by itself, that the request had no effect. */
gboolean fail_reason_is_definite(FailReason reason);

/* Roles, for failpoint and fault filters. */
typedef enum {
    ROLE_NONE,
    ROLE_LEADER,
    ROLE_FOLLOWER,
    ROLE_CANDIDATE,
    ROLE_COORDINATOR,
    ROLE_REPLICA,
    ROLE_CLIENT,
} NodeRole;

const char *node_role_name(NodeRole role);

/* A quorum write's version: the client's clock at the first invocation of the operation, then
 * the client and its operation number. Versions are totally ordered, and every attempt of one
 * operation carries the same version (see model/quorum/quorum.h for why). */
typedef struct {
    int64_t ts;
    uint16_t client;
    uint32_t seq;
} Version;

static inline int version_cmp(Version a, Version b)
{
    if (a.ts != b.ts)
        return a.ts < b.ts ? -1 : 1;
    if (a.client != b.client)
        return a.client < b.client ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}
