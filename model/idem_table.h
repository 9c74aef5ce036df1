/* model/idem_table.h — a map from idempotency key to a small fixed-size value.
 *
 * Replicas and the checker remember something about every write of a run, by idempotency key:
 * a million writes make a million entries. Generated keys are (client + 1) << 32 | sequence,
 * dense per client, so they live in per-client chunked arrays indexed by sequence number (a
 * value and a presence byte each, no hashing, no allocation per entry); any other key (a
 * scenario's named keys, or a sequence number far past the last one) lives in a hash table.
 *
 * A value pointer stays valid until that key is removed or the table cleared: inserting other
 * keys never moves it.
 */
#pragma once

#include "model/types.h"
#include "sim/engine/chunks.h"

#define IDEM_TABLE_CLIENTS 64

typedef struct {
    guint value_size;
    guint elem; /* value, then the presence byte, rounded up */
    Chunks dense[IDEM_TABLE_CLIENTS];
    GHashTable *other; /* IdemKey* -> value (g_malloc'd), for keys not dense */
    guint count;
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
