/* model/quorum/ring.h — consistent hashing with virtual nodes. A key's preference list is the first
 * N distinct nodes met walking clockwise from the key's position; the nodes after them, in the same
 * walk, are its standbys for sloppy-quorum failover. */
#pragma once

#include "model/types.h"

typedef struct Ring Ring;

/* Caller owns the result. Nodes are endpoints 0..nodes-1. */
Ring *ring_new(guint nodes, guint vnodes);
void ring_free(Ring *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ring, ring_free)

/* Writes every node in walk order from the key's position into out[0..nodes-1] and returns the
 * count (== nodes). The first N are the preference list. */
guint ring_walk(const Ring *r, uint64_t key_hash, EndpointId *out);
guint ring_nodes(const Ring *r);
/* The point (0 .. nodes * vnodes - 1) that owns the key's position: the first at or after it.
 * The keys of one point's arc (its range) share a preference list. */
guint ring_point(const Ring *r, uint64_t key_hash);
guint ring_points(const Ring *r);
