/* model/idem_table.h — a map from idempotency key to a small fixed-size value.
 *
 * Replicas and the checker remember something about writes by idempotency key: a long run makes
 * millions of entries, a large cluster thousands of tables (a replica's holds the writes of every
 * client that reached it, a few of each). Generated keys are (client + 1) << 32 | sequence. A
 * client whose keys are dense in a table (a small cluster's replica sees every write of every
 * client) gets an array indexed by sequence number, once it has DENSE_AFTER keys there: lookups
 * follow its sequence numbers through memory, as a run's writes do. Every other key (a client
 * with few keys here, a scenario's named keys, a sequence number far past the array) lives in an
 * open-addressing hash table (linear probing, at most half full, removal by backward shift: no
 * tombstones). A table so costs what it holds, whatever the number of clients. The values live
 * apart, in a pool of fixed slots reused once freed, so that a value never moves.
 *
 * A value pointer stays valid until that key is removed or the table cleared: inserting other
 * keys never moves it. IDEM_NONE is a key like any other.
 */
#pragma once

#include "model/types.h"
#include "sim/engine/chunks.h"

typedef struct {
    IdemKey key;
    uint32_t slot; /* its value's pool slot + 1; 0: the bucket is empty */
} IdemBucket;

typedef struct {
    guint value_size;
    Chunks pool;        /* of values (each at least 4 bytes: a free one links to the next) */
    uint32_t free_slot; /* the first free pool slot + 1; 0: none */
    IdemBucket *b;      /* [cap]: the hashed keys */
    guint cap;          /* a power of two, or 0 before the first hashed key */
    guint hashed;       /* keys in `b` */
    guint count;        /* keys in all */
    guint nclients;     /* room in the per-client arrays below */
    uint16_t *seen;     /* per client: its keys ever inserted (saturating) */
    Chunks **dense;     /* per client: NULL, or its array of uint32_t pool slot + 1 by sequence */
} IdemTable;

void idem_table_init(IdemTable *t, guint value_size);
void idem_table_clear(IdemTable *t);
/* The value stored for `idem`, or NULL. */
void *idem_table_lookup(const IdemTable *t, IdemKey idem);
/* The value for `idem`, zeroed if it was absent. */
void *idem_table_insert(IdemTable *t, IdemKey idem);
/* Forgets `idem` (if present). */
void idem_table_remove(IdemTable *t, IdemKey idem);
static inline guint idem_table_size(const IdemTable *t)
{
    return t->count;
}
/* Bytes held (for memory reports). */
gsize idem_table_bytes(const IdemTable *t);
