/* model/idem_table.c — idempotency-key maps (see idem_table.h). */
#include "model/idem_table.h"

#include <string.h>

#define DENSE_GAP 65536 /* a sequence number this far past a client's last one is hashed */

void idem_table_init(IdemTable *t, guint value_size)
{
    g_assert(value_size > 0);
    memset(t, 0, sizeof *t);
    t->value_size = value_size;
    t->elem = (value_size + 1 + 7) & ~7u;
    for (guint i = 0; i < IDEM_TABLE_CLIENTS; i++)
        chunks_init(&t->dense[i], t->elem);
    t->other = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
}

void idem_table_clear(IdemTable *t)
{
    for (guint i = 0; i < IDEM_TABLE_CLIENTS; i++)
        chunks_clear(&t->dense[i]);
    if (t->other)
        g_hash_table_unref(t->other);
    t->other = NULL;
    t->count = 0;
}

/* The dense element of `idem`, or NULL when `idem` is not a dense key (with `grow`, the array
 * grows to hold it). */
static uint8_t *dense_at(const IdemTable *t, IdemKey idem, gboolean grow)
{
    uint64_t client = idem >> 32;
    uint32_t seq = (uint32_t)idem;
    if (client == 0 || client > IDEM_TABLE_CLIENTS)
        return NULL;
    Chunks *a = (Chunks *)&t->dense[client - 1];
    if (seq >= a->len) {
        if (!grow || seq >= a->len + DENSE_GAP)
            return NULL;
        if (a->len == 0)
            chunks_reserve(a, CHUNKS_PER); /* so that chunk 0 never moves */
        chunks_set_size(a, seq + 1);
    }
    return chunks_at(a, seq);
}

void *idem_table_lookup(const IdemTable *t, IdemKey idem)
{
    uint8_t *e = dense_at(t, idem, FALSE);
    if (e && e[t->value_size])
        return e;
    if (g_hash_table_size(t->other) == 0)
        return NULL;
    return g_hash_table_lookup(t->other, &idem);
}

void *idem_table_insert(IdemTable *t, IdemKey idem)
{
    void *v = idem_table_lookup(t, idem);
    if (v)
        return v;
    t->count++;
    uint8_t *e = dense_at(t, idem, TRUE);
    if (e) {
        memset(e, 0, t->elem);
        e[t->value_size] = 1;
        return e;
    }
    IdemKey *k = g_new(IdemKey, 1);
    *k = idem;
    v = g_malloc0(t->value_size);
    g_hash_table_insert(t->other, k, v);
    return v;
}

void idem_table_remove(IdemTable *t, IdemKey idem)
{
    uint8_t *e = dense_at(t, idem, FALSE);
    if (e && e[t->value_size]) {
        memset(e, 0, t->elem);
        t->count--;
    } else if (g_hash_table_size(t->other) > 0 && g_hash_table_remove(t->other, &idem)) {
        t->count--;
    }
}
