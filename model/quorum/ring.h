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
