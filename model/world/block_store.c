/* model/world/block_store.c — where the disks of one world keep block contents: each distinct
 * content once, counted by reference, found by a hash of the block (see disk.h).
 *
 * Invariants: every id on a hash chain has refs > 0 and is on the chain of its content's bucket;
 * every freed id is on the free list; `live` counts the ids with refs > 0.
 */
#include "model/world/disk_internal.h"

#include <string.h>

BlockStore *block_store_new(void)
{
    BlockStore *st = g_new0(BlockStore, 1);
    chunks_init(&st->blocks, sizeof(Stored));
    chunks_reserve(&st->blocks, CHUNKS_PER);
    chunks_push(&st->blocks); /* id 0 */
    st->mask = 63;
    st->buckets = g_new0(uint32_t, st->mask + 1);
    return st;
}

void block_store_free(BlockStore *st)
{
    if (st == NULL)
        return;
    chunks_clear(&st->blocks);
    g_free(st->buckets);
    g_free(st);
}

guint block_store_live(const BlockStore *st)
{
    return st->live;
}

const DiskBlock *block_store_get(const BlockStore *st, uint32_t id)
{
    g_assert(id != 0 && stored(st, id)->refs > 0);
    return &stored(st, id)->b;
}

static uint32_t bucket_of(const BlockStore *st, const DiskBlock *b)
{
    uint32_t h = (b->sum ^ ((uint32_t)b->type << 16 | b->len)) * 0x9e3779b1u;
    uint32_t w;
    memcpy(&w, b->body, sizeof w);
    return ((h ^ (h >> 15)) + w * 0x85ebca6bu) & st->mask;
}

static void store_grow(BlockStore *st)
{
    uint32_t size = (st->mask + 1) * 2;
    g_free(st->buckets);
    st->buckets = g_new0(uint32_t, size);
    st->mask = size - 1;
    for (uint32_t id = 1; id < st->blocks.len; id++) {
        Stored *e = stored(st, id);
        if (e->refs == 0)
            continue;
        uint32_t *head = &st->buckets[bucket_of(st, &e->b)];
        e->next = *head;
        *head = id;
    }
}

/* The id of content `b`, with one more reference. */
uint32_t block_store_put(BlockStore *st, const DiskBlock *b)
{
    uint32_t *head = &st->buckets[bucket_of(st, b)];
    for (uint32_t id = *head; id != 0; id = stored(st, id)->next) {
        Stored *e = stored(st, id);
        if (memcmp(&e->b, b, sizeof *b) == 0) {
            e->refs++;
            return id;
        }
    }
    uint32_t id;
    if (st->free != 0) {
        id = st->free;
        st->free = stored(st, id)->next;
    } else {
        id = st->blocks.len;
        chunks_push(&st->blocks);
    }
    Stored *e = stored(st, id);
    e->b = *b;
    e->refs = 1;
    e->next = *head;
    *head = id;
    if (++st->live > st->mask + 1)
        store_grow(st);
    return id;
}

uint32_t block_store_ref(BlockStore *st, uint32_t id)
{
    if (id != 0)
        stored(st, id)->refs++;
    return id;
}

void block_store_unref(BlockStore *st, uint32_t id)
{
    if (id == 0)
        return;
    Stored *e = stored(st, id);
    g_assert(e->refs > 0);
    if (--e->refs > 0)
        return;
    uint32_t *link = &st->buckets[bucket_of(st, &e->b)];
    while (*link != id)
        link = &stored(st, *link)->next;
    *link = e->next;
    e->next = st->free;
    st->free = id;
    st->live--;
}
