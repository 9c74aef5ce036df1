/* model/history.c — the run's client history. */
#include "model/history.h"

#include <string.h>

void history_init(History *h)
{
    chunks_init(&h->ops, sizeof(HistOp));
    chunks_init(&h->siblings, sizeof(ClientSibling));
    chunks_init(&h->folded, sizeof(uint64_t));
    chunks_init(&h->chunk_live, sizeof(uint32_t));
    chunks_init(&h->sib_live, sizeof(uint32_t));
    h->names = g_ptr_array_new_with_free_func(g_free);
}

void history_clear(History *h)
{
    chunks_clear(&h->ops);
    chunks_clear(&h->siblings);
    chunks_clear(&h->folded);
    chunks_clear(&h->chunk_live);
    chunks_clear(&h->sib_live);
    h->nfolded = 0;
    if (h->names)
        g_ptr_array_unref(h->names);
    h->names = NULL;
}

HistOp *history_add(History *h)
{
    guint id = h->ops.len;
    HistOp *op = chunks_push(&h->ops);
    if ((id >> CHUNKS_SHIFT) >= h->chunk_live.len)
        chunks_push(&h->chunk_live);
    (*(uint32_t *)chunks_at(&h->chunk_live, id >> CHUNKS_SHIFT))++;
    op->id = id;
    op->name = UINT32_MAX;
    op->key = KEY_NONE;
    op->complete = SIM_TIME_NEVER;
    op->ctx_op = UINT32_MAX;
    return op;
}

void history_set_siblings(History *h, HistOp *op, const ClientSibling *sibs, guint n)
{
    g_assert(n <= UINT16_MAX);
    op->sib = h->siblings.len;
    op->nsib = (uint16_t)n;
    for (guint i = 0; i < n; i++) {
        guint at = h->siblings.len;
        *(ClientSibling *)chunks_push(&h->siblings) = sibs[i];
        if ((at >> CHUNKS_SHIFT) >= h->sib_live.len)
            chunks_push(&h->sib_live);
        (*(uint32_t *)chunks_at(&h->sib_live, at >> CHUNKS_SHIFT))++;
    }
}

uint32_t history_name(History *h, const char *name)
{
    g_ptr_array_add(h->names, g_strdup(name));
    return h->names->len - 1;
}

const char *history_op_name(const History *h, const HistOp *op)
{
    return op->name == UINT32_MAX ? NULL : g_ptr_array_index(h->names, op->name);
}

const HistOp *history_find(const History *h, const char *name)
{
    for (guint i = 0; i < h->ops.len; i++) {
        if (history_is_folded(h, i))
            continue;
        const HistOp *op = history_op(h, i);
        const char *n = history_op_name(h, op);
        if (n && strcmp(n, name) == 0)
            return op;
    }
    return NULL;
}

/* One fewer live element in chunk c of `data` (counted in `live`): a whole chunk none of whose
 * elements lives is given back. */
static void chunk_done(Chunks *data, Chunks *live, guint c)
{
    uint32_t *n = chunks_at(live, c);
    g_assert(*n > 0);
    if (--*n == 0 && data->first_cap == CHUNKS_PER && ((uint64_t)c + 1) * CHUNKS_PER <= data->len)
        chunks_release(data, c);
}

/* A chunk left whole while its last elements were still being appended, given back once it is
 * full and done. */
static void chunk_check_full(Chunks *data, Chunks *live, guint c)
{
    if (c < live->len && *(uint32_t *)chunks_at(live, c) == 0 && data->first_cap == CHUNKS_PER &&
        ((uint64_t)c + 1) * CHUNKS_PER <= data->len && data->chunks[c] != NULL)
        chunks_release(data, c);
}

void history_fold(History *h, uint32_t id)
{
    g_assert(id < h->ops.len && !history_is_folded(h, id));
    const HistOp *op = history_op(h, id);
    for (guint i = 0; i < op->nsib; i++)
        chunk_done(&h->siblings, &h->sib_live, (op->sib + i) >> CHUNKS_SHIFT);
    if (id / 64 >= h->folded.len)
        chunks_set_size(&h->folded, id / 64 + 1);
    *(uint64_t *)chunks_at(&h->folded, id / 64) |= (uint64_t)1 << (id % 64);
    h->nfolded++;
    chunk_done(&h->ops, &h->chunk_live, id >> CHUNKS_SHIFT);
    /* The chunks before the one being appended to may have emptied while it still grew. */
    guint last = h->ops.len >> CHUNKS_SHIFT;
    if (last > 0)
        chunk_check_full(&h->ops, &h->chunk_live, last - 1);
    guint slast = h->siblings.len >> CHUNKS_SHIFT;
    if (slast > 0)
        chunk_check_full(&h->siblings, &h->sib_live, slast - 1);
}

gsize history_bytes(const History *h)
{
    return chunks_bytes(&h->ops) + chunks_bytes(&h->siblings) + chunks_bytes(&h->folded) +
           chunks_bytes(&h->chunk_live) + chunks_bytes(&h->sib_live);
}
