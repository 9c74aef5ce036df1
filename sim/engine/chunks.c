/* sim/engine/chunks.c — chunked arrays (see chunks.h).
 *
 * Chunks past the first come from 2 MiB regions that the kernel is asked to back with huge pages
 * (madvise MADV_HUGEPAGE, for transparent huge pages in "madvise" mode). A long run fills
 * hundreds of megabytes of chunks; one page fault per 2 MiB instead of one per 4 KiB saves a
 * fifth of the run's time on a virtual machine, where faults are dear. A freed chunk is kept,
 * by size, for the next array that needs one (the runs of a campaign reuse each other's), and
 * never returned to the system. Under AddressSanitizer chunks come from malloc, so that it sees
 * every access; so they do when built with -DDURASIM_CHUNKS_MALLOC, for heap profilers (valgrind
 * --tool=massif) that follow malloc but not anonymous mappings.
 */
#include "sim/engine/chunks.h"

#include <sys/mman.h>

#define FIRST_CAP 16 /* elements of chunk 0 when it is first allocated */

#if defined(__SANITIZE_ADDRESS__) || defined(DURASIM_CHUNKS_MALLOC)
#define CHUNKS_FROM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHUNKS_FROM_MALLOC 1
#endif
#endif

#ifndef CHUNKS_FROM_MALLOC
#define REGION_BYTES ((gsize)2 << 20)
#define FREE_SIZES   32

typedef struct FreeChunk {
    struct FreeChunk *next;
} FreeChunk;

static GMutex arena_lock;
static GHashTable *regions;  /* region start -> itself: which chunks are the arena's */
static uint8_t *region_next; /* the unused rest of the current region */
static gsize region_left;
static struct {
    gsize size;
    FreeChunk *head;
} free_lists[FREE_SIZES];

/* A fresh region aligned to its size (so that it can be one huge page), or NULL. */
static uint8_t *new_region(void)
{
    gsize span = 2 * REGION_BYTES;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *start = (uint8_t *)(((guintptr)p + REGION_BYTES - 1) & ~(guintptr)(REGION_BYTES - 1));
    if (start > p)
        munmap(p, (gsize)(start - p));
    gsize tail = (gsize)(p + span - (start + REGION_BYTES));
    if (tail > 0)
        munmap(start + REGION_BYTES, tail);
    madvise(start, REGION_BYTES, MADV_HUGEPAGE); /* advice: failing it only costs speed */
    if (!regions)
        regions = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(regions, start);
    return start;
}

static void *chunk_alloc(gsize size)
{
    if (size > REGION_BYTES / 4)
        return g_malloc(size);
    g_mutex_lock(&arena_lock);
    void *out = NULL;
    for (guint i = 0; i < FREE_SIZES && free_lists[i].size != 0; i++) {
        if (free_lists[i].size == size && free_lists[i].head) {
            out = free_lists[i].head;
            free_lists[i].head = free_lists[i].head->next;
            break;
        }
    }
    if (!out) {
        if (region_left < size) {
            uint8_t *r = new_region();
            if (r) {
                region_next = r;
                region_left = REGION_BYTES;
            }
        }
        if (region_left >= size) {
            out = region_next;
            region_next += size;
            region_left -= size;
        }
    }
    g_mutex_unlock(&arena_lock);
    return out ? out : g_malloc(size);
}

static void chunk_free(void *p, gsize size)
{
    g_mutex_lock(&arena_lock);
    gpointer base = (gpointer)((guintptr)p & ~(guintptr)(REGION_BYTES - 1));
    guint i = 0;
    while (i < FREE_SIZES && free_lists[i].size != 0 && free_lists[i].size != size)
        i++;
    gboolean mine = regions && g_hash_table_contains(regions, base);
    if (mine && i < FREE_SIZES) {
        free_lists[i].size = size;
        FreeChunk *f = p;
        f->next = free_lists[i].head;
        free_lists[i].head = f;
    } /* else: more distinct sizes than lists, and the chunk stays unused */
    g_mutex_unlock(&arena_lock);
    if (!mine)
        g_free(p);
}
#else
static void *chunk_alloc(gsize size)
{
    return g_malloc(size);
}

static void chunk_free(void *p, gsize size)
{
    g_free(p);
}
#endif

void chunks_init(Chunks *a, guint elem_size)
{
    g_assert(elem_size > 0);
    *a = (Chunks){.elem = elem_size};
}

void chunks_clear(Chunks *a)
{
    if (a->nchunks > 0)
        g_free(a->chunks[0]);
    for (guint i = 1; i < a->nchunks; i++)
        if (a->chunks[i])
            chunk_free(a->chunks[i], (gsize)CHUNKS_PER * a->elem);
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
        a->first_cap = FIRST_CAP; /* a power of two, so doubling reaches CHUNKS_PER exactly */
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
        a->chunks[a->nchunks++] = chunk_alloc((gsize)CHUNKS_PER * a->elem);
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

/* Elements there is room for. */
static inline guint capacity(const Chunks *a)
{
    if (a->nchunks == 0)
        return 0;
    return a->first_cap < CHUNKS_PER ? a->first_cap : a->nchunks * CHUNKS_PER;
}

void chunks_set_size(Chunks *a, guint len)
{
    if (G_UNLIKELY(a->released_below > 0))
        g_assert(len >= a->released_below << CHUNKS_SHIFT);
    if (len > a->len) {
        if (len > capacity(a))
            chunks_reserve(a, len);
        zero_range(a, a->len, len);
    }
    a->len = len;
}

void *chunks_push(Chunks *a)
{
    if (a->len >= capacity(a))
        chunks_reserve(a, a->len + 1);
    void *e = chunks_at(a, a->len++);
    memset(e, 0, a->elem);
    return e;
}

void chunks_release(Chunks *a, guint chunk)
{
    g_assert(chunk < a->nchunks && a->first_cap == CHUNKS_PER);
    g_assert(((uint64_t)chunk + 1) * CHUNKS_PER <= a->len); /* a whole chunk */
    if (!a->chunks[chunk])
        return;
    if (chunk == 0)
        g_free(a->chunks[0]);
    else
        chunk_free(a->chunks[chunk], (gsize)CHUNKS_PER * a->elem);
    a->chunks[chunk] = NULL;
    a->released++;
}

void chunks_release_below(Chunks *a, guint index)
{
    guint below = MIN(index, a->len) >> CHUNKS_SHIFT;
    if (a->first_cap < CHUNKS_PER)
        return; /* chunk 0 is still growing: nothing whole to give back */
    for (guint c = a->released_below; c < below; c++)
        chunks_release(a, c);
    a->released_below = MAX(a->released_below, below);
}

gsize chunks_bytes(const Chunks *a)
{
    if (a->nchunks == 0)
        return 0;
    gsize held = a->chunks_cap * sizeof(uint8_t *);
    if (a->chunks[0])
        held += (gsize)a->first_cap * a->elem;
    for (guint i = 1; a->released > 0 && i < a->nchunks; i++)
        held += a->chunks[i] ? (gsize)CHUNKS_PER * a->elem : 0;
    if (a->released == 0)
        held += (gsize)(a->nchunks - 1) * CHUNKS_PER * a->elem;
    return held;
}
