/* model/quorum/ring.h — consistent hashing with virtual nodes. A key's preference list is the first
 * N distinct nodes met walking clockwise from the key's position; the nodes after them, in the same
 * walk, are its standbys for sloppy-quorum failover. */
#pragma once

#include "model/config.h"

typedef struct Ring Ring;

/* Caller owns the result. Nodes are endpoints 0..nodes-1. */
Ring *ring_new(guint nodes, guint vnodes);
void ring_free(Ring *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ring, ring_free)

/* Writes every node in walk order from the key's position into out[0..nodes-1] and returns the
 * count (== nodes). The first N are the preference list. */
guint ring_walk(const Ring *r, uint64_t key_hash, EndpointId *out);
/* The first `max` nodes of that walk (all of them when there are fewer) into out; returns how
 * many. It visits only the ring points up to the max-th distinct node, not the whole ring. */
guint ring_walk_first(const Ring *r, uint64_t key_hash, EndpointId *out, guint max);
guint ring_nodes(const Ring *r);
/* The point (0 .. nodes * vnodes - 1) that owns the key's position: the first at or after it.
 * The keys of one point's arc (its range) share a preference list. */
guint ring_point(const Ring *r, uint64_t key_hash);
guint ring_points(const Ring *r);

/* A world's placement of its keys, made once (Protocol.shared_new) and shared by its replicas
 * and coordinators: the ring, and each key's first `stride` nodes in walk order (its preference
 * list, then a few standbys; a coordinator failing over further walks on itself). */
typedef struct {
    Ring *ring;
    guint keys;
    guint stride;      /* min(nodes, replicas + QUORUM_PLACEMENT_SPARE) */
    EndpointId *walks; /* [key * stride + i] */
} QuorumPlacement;

#define QUORUM_PLACEMENT_SPARE 8

/* Caller owns the result (quorum_placement_free). */
QuorumPlacement *quorum_placement_new(const WorldConfig *c, guint keys, const uint64_t *hashes);
void quorum_placement_free(QuorumPlacement *p);
static inline const EndpointId *quorum_placement_walk(const QuorumPlacement *p, KeyId key)
{
    g_assert(key < p->keys);
    return &p->walks[(gsize)key * p->stride];
}
