/* model/idem_table.c — idempotency-key maps (see idem_table.h).
 *
 * Invariants: a key is in at most one place, its client's dense array or the hash table; every
 * key in the hash table sits in the bucket its hash names or after it, with no empty bucket
 * between (linear probing; removal shifts later entries back to keep that); hashed <= cap / 2; a
 * pool slot is either named by exactly one key or on the free list.
 */
#include "model/idem_table.h"

#include <string.h>

#define MIN_CAP     16
#define DENSE_AFTER 32    /* keys of one client before it gets an array */
#define DENSE_GAP   65536 /* a sequence number this far past the array is hashed */

static inline guint bucket_of(IdemKey k, guint cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (guint)(k & (cap - 1));
}

void idem_table_init(IdemTable *t, guint value_size)
{
    g_assert(value_size > 0);
    memset(t, 0, sizeof *t);
    t->value_size = value_size;
    chunks_init(&t->pool, (MAX(value_size, 4u) + 7) & ~7u);
}

void idem_table_clear(IdemTable *t)
{
    chunks_clear(&t->pool);
    g_free(t->b);
    for (guint c = 0; t->dense && c < t->nclients; c++) {
        if (t->dense[c]) {
            chunks_clear(t->dense[c]);
            g_free(t->dense[c]);
        }
    }
    g_free(t->dense);
    g_free(t->seen);
    guint value_size = t->value_size;
    memset(t, 0, sizeof *t);
    t->value_size = value_size;
}

gsize idem_table_bytes(const IdemTable *t)
{
    gsize n = chunks_bytes(&t->pool) + (gsize)t->cap * sizeof(IdemBucket) +
              (gsize)t->nclients * (sizeof(uint16_t) + (t->dense ? sizeof(Chunks *) : 0));
    for (guint c = 0; t->dense && c < t->nclients; c++)
        if (t->dense[c])
            n += chunks_bytes(t->dense[c]);
    return n;
}

/* ---- the dense arrays ---- */

/* The client index of a generated key, or -1. */
static inline int client_of(IdemKey k)
{
    uint64_t c = k >> 32;
    return c >= 1 && c <= WORLD_MAX_CLIENTS ? (int)(c - 1) : -1;
}

/* The dense element of `idem` (pool slot + 1, or 0), or NULL when its client has no array or
 * the array does not reach it. */
static uint32_t *dense_at(const IdemTable *t, IdemKey idem)
{
    int c = client_of(idem);
    if (c < 0 || (guint)c >= t->nclients || !t->dense || !t->dense[c])
        return NULL;
    const Chunks *a = t->dense[c];
    uint32_t seq = (uint32_t)idem;
    return seq < a->len ? chunks_at(a, seq) : NULL;
}

/* Counts a new key of its client, and gives the client an array once it has enough. Returns the
 * element the key goes to, or NULL for the hash table. */
static uint32_t *dense_take(IdemTable *t, IdemKey idem)
{
    int c = client_of(idem);
    if (c < 0)
        return NULL;
    if ((guint)c >= t->nclients) {
        guint n = MAX((guint)c + 1, t->nclients * 2);
        t->seen = g_renew(uint16_t, t->seen, n);
        memset(t->seen + t->nclients, 0, sizeof(uint16_t) * (n - t->nclients));
        if (t->dense) {
            t->dense = g_renew(Chunks *, t->dense, n);
            memset(t->dense + t->nclients, 0, sizeof(Chunks *) * (n - t->nclients));
        }
        t->nclients = n;
    }
    if (t->seen[c] < UINT16_MAX)
        t->seen[c]++;
    if (t->seen[c] < DENSE_AFTER && !(t->dense && t->dense[c]))
        return NULL;
    if (!t->dense)
        t->dense = g_new0(Chunks *, t->nclients);
    if (!t->dense[c]) {
        t->dense[c] = g_new(Chunks, 1);
        chunks_init(t->dense[c], sizeof(uint32_t));
    }
    Chunks *a = t->dense[c];
    uint32_t seq = (uint32_t)idem;
    if (seq >= a->len) {
        if (seq >= a->len + DENSE_GAP)
            return NULL;
        chunks_set_size(a, seq + 1);
    }
    return chunks_at(a, seq);
}

/* ---- the hash table ---- */

/* The bucket holding idem, or the empty bucket where it would go. */
static guint find(const IdemTable *t, IdemKey idem)
{
    guint mask = t->cap - 1, b = bucket_of(idem, t->cap);
    while (t->b[b].slot != 0 && t->b[b].key != idem)
        b = (b + 1) & mask;
    return b;
}

static void grow(IdemTable *t)
{
    guint old_cap = t->cap;
    IdemBucket *old = t->b;
    t->cap = old_cap ? old_cap * 2 : MIN_CAP;
    t->b = g_new0(IdemBucket, t->cap);
    for (guint i = 0; i < old_cap; i++)
        if (old[i].slot != 0)
            t->b[find(t, old[i].key)] = old[i];
    g_free(old);
}

static void hash_remove(IdemTable *t, guint b)
{
    guint mask = t->cap - 1, hole = b;
    t->hashed--;
    /* Backward shift: move later entries of the run into the hole when their home allows it. */
    for (guint i = (b + 1) & mask; t->b[i].slot != 0; i = (i + 1) & mask) {
        guint home = bucket_of(t->b[i].key, t->cap);
        /* The entry at i stays when its home is in (hole, i], cyclically. */
        gboolean stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays)
            continue;
        t->b[hole] = t->b[i];
        hole = i;
    }
    t->b[hole].slot = 0;
}

/* ---- the pool ---- */

/* A pool slot for a new value (zeroed), as slot + 1. */
static uint32_t take_slot(IdemTable *t)
{
    uint32_t s = t->free_slot;
    if (s != 0) {
        uint32_t *v = chunks_at(&t->pool, s - 1);
        t->free_slot = *v;
        memset(v, 0, t->pool.elem);
        return s;
    }
    if (t->pool.len == 0)
        chunks_reserve(&t->pool, CHUNKS_PER); /* so that chunk 0 never moves */
    chunks_push(&t->pool);
    return t->pool.len;
}

static void give_slot(IdemTable *t, uint32_t s)
{
    uint32_t *v = chunks_at(&t->pool, s - 1);
    *v = t->free_slot;
    t->free_slot = s;
}

/* ---- the map ---- */

void *idem_table_lookup(const IdemTable *t, IdemKey idem)
{
    if (t->count == 0)
        return NULL;
    const uint32_t *d = dense_at(t, idem);
    if (d && *d)
        return chunks_at(&t->pool, *d - 1);
    if (t->hashed == 0)
        return NULL;
    guint b = find(t, idem);
    return t->b[b].slot ? chunks_at(&t->pool, t->b[b].slot - 1) : NULL;
}

void *idem_table_insert(IdemTable *t, IdemKey idem)
{
    void *v = idem_table_lookup(t, idem);
    if (v)
        return v;
    uint32_t slot = take_slot(t);
    t->count++;
    uint32_t *d = dense_take(t, idem);
    if (d) {
        *d = slot;
    } else {
        if ((t->hashed + 1) * 2 > t->cap)
            grow(t);
        t->b[find(t, idem)] = (IdemBucket){.key = idem, .slot = slot};
        t->hashed++;
    }
    return chunks_at(&t->pool, slot - 1);
}

void idem_table_remove(IdemTable *t, IdemKey idem)
{
    if (t->count == 0)
        return;
    uint32_t *d = dense_at(t, idem);
    if (d && *d) {
        give_slot(t, *d);
        *d = 0;
        t->count--;
        return;
    }
    if (t->hashed == 0)
        return;
    guint b = find(t, idem);
    if (t->b[b].slot == 0)
        return;
    give_slot(t, t->b[b].slot);
    t->count--;
    hash_remove(t, b);
}
