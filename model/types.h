/* model/types.h — the vocabulary shared by the world, the protocols and the oracles. */
#pragma once

#include "sim/engine/time.h"

#include <glib.h>
#include <stdint.h>

/* An endpoint is a node (storage node, coordinator, raft server) or a client. Endpoint ids are
 * 16 bits; what a run may have is a setting of its protocol (Protocol.max_nodes) and of the
 * workload, never a bit width: the limits below bound every protocol and every run, and each is
 * checked with an error that names its scenario key (world_config_validate). */
typedef uint16_t EndpointId;
#define ENDPOINT_NONE       ((EndpointId)UINT16_MAX)
#define WORLD_MAX_NODES     1024        /* nodes of one kind, of any protocol ([cluster] nodes) */
#define WORLD_MAX_CLIENTS   16384       /* [workload] clients */
#define WORLD_MAX_ENDPOINTS 32768       /* every endpoint of a run */
#define WORLD_MAX_OPS       1000000000u /* [workload] ops */

/* A set of endpoints, one bit per endpoint id, sized to what it holds (a mask of a five-endpoint
 * run is one word): adding an id grows it, an id past its words is not in it. A mask owns its
 * words: a zeroed mask is empty and owns nothing; copy one with endpoint_mask_copy (assignment
 * moves it), release it with endpoint_mask_clear. */
typedef struct {
    uint64_t *bits;
    guint words;
} EndpointMask;

void endpoint_mask_clear(EndpointMask *m);
void endpoint_mask_copy(EndpointMask *out, const EndpointMask *in);
/* Makes room for ids below n (adding them never reallocates then). */
void endpoint_mask_reserve(EndpointMask *m, guint n);
void endpoint_mask_remove(EndpointMask *m, EndpointId id);
/* The endpoint mask of one id, and of ids 0..n-1 (the caller owns them). */
EndpointMask endpoint_mask_one(EndpointId id);
EndpointMask endpoint_mask_first(guint n);
guint endpoint_mask_count(const EndpointMask *m);
/* The next id in the mask at or after `from`, or ENDPOINT_NONE. */
EndpointId endpoint_mask_next(const EndpointMask *m, guint from);

static inline void endpoint_mask_add(EndpointMask *m, EndpointId id)
{
    if (G_UNLIKELY(id / 64u >= m->words))
        endpoint_mask_reserve(m, (guint)id + 1);
    m->bits[id / 64] |= (uint64_t)1 << (id % 64);
}

static inline gboolean endpoint_mask_has(const EndpointMask *m, EndpointId id)
{
    return id / 64u < m->words && ((m->bits[id / 64] >> (id % 64)) & 1);
}

static inline gboolean endpoint_mask_is_empty(const EndpointMask *m)
{
    for (guint i = 0; i < m->words; i++)
        if (m->bits[i])
            return FALSE;
    return TRUE;
}

static inline gboolean endpoint_mask_intersects(const EndpointMask *a, const EndpointMask *b)
{
    for (guint i = 0; i < MIN(a->words, b->words); i++)
        if (a->bits[i] & b->bits[i])
            return TRUE;
    return FALSE;
}

/* a |= b */
void endpoint_mask_union(EndpointMask *a, const EndpointMask *b);

/* Whether every endpoint of `part` is in `whole`. */
static inline gboolean endpoint_mask_covers(const EndpointMask *whole, const EndpointMask *part)
{
    for (guint i = 0; i < part->words; i++) {
        uint64_t w = i < whole->words ? whole->bits[i] : 0;
        if ((w & part->bits[i]) != part->bits[i])
            return FALSE;
    }
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
