/* sim/chunks.c — chunked arrays (see chunks.h). */
#include "sim/chunks.h"

#define FIRST_CAP 16 /* elements of chunk 0 when it is first allocated */

void chunks_init(Chunks *a, guint elem_size)
{
    g_assert(elem_size > 0);
    *a = (Chunks){.elem = elem_size};
}

void chunks_clear(Chunks *a)
{
    for (guint i = 0; i < a->nchunks; i++)
        g_free(a->chunks[i]);
    g_free(a->chunks);
    *a = (Chunks){.elem = a->elem};
}

void chunks_reserve(Chunks *a, guint len)
{
    if (len == 0)
        return;
    if (a->nchunks == 0) {
        a->chunks_cap = 4;
        a->chunks = g_new0(uint8_t *, a->chunks_cap);
        a->first_cap = MIN(MAX(FIRST_CAP, len), CHUNKS_PER);
        while (a->first_cap < MIN(len, CHUNKS_PER))
            a->first_cap *= 2;
        a->chunks[0] = g_malloc((gsize)a->first_cap * a->elem);
        a->nchunks = 1;
    }
    if (a->first_cap < CHUNKS_PER && len > a->first_cap) {
        guint cap = a->first_cap;
        while (cap < MIN(len, CHUNKS_PER))
            cap *= 2;
        a->chunks[0] = g_realloc(a->chunks[0], (gsize)cap * a->elem);
        a->first_cap = cap;
    }
    guint need = (guint)(((uint64_t)len + CHUNKS_MASK) >> CHUNKS_SHIFT);
    if (need > a->chunks_cap) {
        guint cap = a->chunks_cap;
        while (cap < need)
            cap *= 2;
        a->chunks = g_renew(uint8_t *, a->chunks, cap);
        a->chunks_cap = cap;
    }
    while (a->nchunks < need)
        a->chunks[a->nchunks++] = g_malloc((gsize)CHUNKS_PER * a->elem);
}

/* Zeros elements [from, to). */
static void zero_range(Chunks *a, guint from, guint to)
{
    while (from < to) {
        guint end = MIN(to, (from | CHUNKS_MASK) + 1);
        memset(chunks_at(a, from), 0, (gsize)(end - from) * a->elem);
        from = end;
    }
}

void chunks_set_size(Chunks *a, guint len)
{
    if (len > a->len) {
        chunks_reserve(a, len);
        zero_range(a, a->len, len);
    }
    a->len = len;
}

void *chunks_push(Chunks *a)
{
    chunks_set_size(a, a->len + 1);
    return chunks_at(a, a->len - 1);
}

gsize chunks_bytes(const Chunks *a)
{
    if (a->nchunks == 0)
        return 0;
    return (gsize)a->first_cap * a->elem + (gsize)(a->nchunks - 1) * CHUNKS_PER * a->elem +
           a->chunks_cap * sizeof(uint8_t *);
}
