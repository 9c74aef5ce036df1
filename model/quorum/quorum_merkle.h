/* model/quorum/quorum_merkle.h — anti_entropy = merkle: one Merkle tree per key range (the arc of
 * the ring before each virtual node's point, whose keys share one preference list), as Dynamo
 * (§4.7), Cassandra and Riak compare replicas. A range's keys, in key order, fill its leaves
 * QMERKLE_LEAF_KEYS at a time; a key's digest covers its durable records (count and hash, as the
 * digest rounds compare them); a leaf is the XOR of its keys' digests and an inner node the XOR
 * of its two children (Cassandra's MerkleTree combines ranges so), so a key's change rehashes its
 * path in one pass, and two replicas holding the same records have equal trees. Nodes are numbered
 * as in a binary heap: 1 is the root, n's children are 2n and 2n+1, the leaves leaves..2*leaves-1.
 *
 * Invariants: node n == node 2n ^ node 2n+1 for every inner node; a leaf == the XOR of its keys'
 * digests; a key without records has digest 0. */
#pragma once

#include "model/types.h"

#define QMERKLE_LEAF_KEYS 1

typedef struct QMerkle QMerkle;

/* `keys` keys, key k in range key_range[k] < nranges. Every digest starts at 0. */
QMerkle *qmerkle_new(guint keys, const uint32_t *key_range, guint nranges);
void qmerkle_free(QMerkle *m);

/* The digest of a key's records (0 when it has none): both replicas of a key compute the same. */
uint64_t qmerkle_key_digest(KeyId key, uint32_t count, uint64_t hash);

/* Sets key k's digest and rehashes the path from its leaf to the root. */
void qmerkle_set(QMerkle *m, KeyId k, uint64_t digest);
uint64_t qmerkle_get(const QMerkle *m, KeyId k);

guint qmerkle_ranges(const QMerkle *m);
/* The range's leaf count (a power of two), 0 when it holds no key. */
uint32_t qmerkle_leaves(const QMerkle *m, uint32_t range);
/* Node `node` (1 .. 2*leaves-1) of the range's tree. */
uint64_t qmerkle_node(const QMerkle *m, uint32_t range, uint32_t node);
/* The keys under leaf `node` (leaves .. 2*leaves-1): *n of them (0 .. QMERKLE_LEAF_KEYS). */
const KeyId *qmerkle_leaf_keys(const QMerkle *m, uint32_t range, uint32_t node, guint *n);
/* One key of the range (the first), or KEY_NONE when it holds none. */
KeyId qmerkle_range_key(const QMerkle *m, uint32_t range);
/* Checks the invariants (for tests and replica_check). */
gboolean qmerkle_valid(const QMerkle *m);
