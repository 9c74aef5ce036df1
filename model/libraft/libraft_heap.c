/* model/libraft/libraft_heap.c — a heap per library instance, behind raft_heap_set.
 *
 * raft_heap_set is process-global, so the adapter installs one heap once whose functions route
 * every allocation to the heap of the instance the current thread is running (lr_heap_use, set
 * around each call into the library). Each block carries a header linking it into its heap's
 * list of live blocks, so that:
 *   - destroying an instance frees what the library left and counts it (the leak per crash is
 *     measured, not assumed);
 *   - after an I/O error reached the library, frees are deferred until destroy (quarantine):
 *     libraft 0.15 reads (and may free twice) an entry it already freed after a failed append
 *     (fixed upstream after 0.15), and the deferral keeps that from corrupting the simulator
 *     while the oracles judge what the library did. A second free is counted, not performed,
 *     and so is a free of a pointer into the null page, which is no block at all: 0.15 frees
 *     one after an election started by TimeoutNow failed to make its term or vote durable (it
 *     leaves the candidate's disrupt_leader flag, 1, where the follower's leader address is,
 *     and frees that as the follower steps down). With the real allocator either crashes the
 *     process; the host restarts the instance after the I/O error either way (libraft.c).
 * Invariants: a block is in exactly one heap's list while live or quarantined; the header's
 * magic tells live, quarantined and freed blocks apart.
 */
#include "model/libraft/libraft_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LIVE 0x4c52484c49564531ull
#define MAGIC_DEAD 0x4c524844454144ull
#define ALIGN      16

typedef struct Block {
    struct Block *prev, *next;
    LRHeap *heap;
    uint64_t magic;
    size_t size;
    size_t pad; /* bytes before the header (aligned allocations) */
} Block;

G_STATIC_ASSERT(sizeof(Block) % ALIGN == 0);

struct LRHeap {
    Block head; /* sentinel of the live list */
    guint live;
    guint double_frees;
    gboolean quarantine;
    GPtrArray *held; /* quarantined blocks, freed at destroy */
};

static _Thread_local LRHeap *current;
static guint total_leaked, total_double_frees;
static GMutex findings_lock;

static void list_add(LRHeap *h, Block *b)
{
    b->heap = h;
    b->next = h->head.next;
    b->prev = &h->head;
    h->head.next->prev = b;
    h->head.next = b;
    h->live++;
}

static void list_del(Block *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->heap->live--;
}

static void *heap_alloc(size_t align, size_t size, gboolean zero)
{
    LRHeap *h = current;
    g_assert(h != NULL); /* the library allocated outside lr_enter: an adapter bug */
    size_t pad = align > ALIGN ? align : 0;
    char *raw = malloc(pad + sizeof(Block) + size);
    if (raw == NULL)
        return NULL;
    char *user = raw + pad + sizeof(Block);
    if (pad)
        user = (char *)(((uintptr_t)(raw + sizeof(Block) + align - 1)) & ~(uintptr_t)(align - 1));
    Block *b = (Block *)(user - sizeof(Block));
    b->magic = MAGIC_LIVE;
    b->size = size;
    b->pad = (size_t)((char *)b - raw);
    if (zero)
        memset(user, 0, size);
    list_add(h, b);
    return user;
}

static Block *block_of(void *ptr)
{
    return (Block *)((char *)ptr - sizeof(Block));
}

static void heap_release(void *ptr)
{
    if (ptr == NULL)
        return;
    if ((uintptr_t)ptr < 4096) {
        g_assert(current != NULL);
        current->double_frees++; /* no block at all (see the head of the file) */
        return;
    }
    Block *b = block_of(ptr);
    if (b->magic != MAGIC_LIVE) {
        g_assert(b->magic == MAGIC_DEAD); /* not ours at all: memory corruption */
        b->heap->double_frees++;
        return;
    }
    LRHeap *h = b->heap;
    b->magic = MAGIC_DEAD;
    list_del(b);
    if (h->quarantine) {
        g_ptr_array_add(h->held, b);
        return;
    }
    free((char *)b - b->pad);
}

static void *h_malloc(void *data, size_t size)
{
    return heap_alloc(ALIGN, size, FALSE);
}

static void *h_calloc(void *data, size_t nmemb, size_t size)
{
    return heap_alloc(ALIGN, nmemb * size, TRUE);
}

static void h_free(void *data, void *ptr)
{
    heap_release(ptr);
}

static void *h_realloc(void *data, void *ptr, size_t size)
{
    if (ptr == NULL)
        return heap_alloc(ALIGN, size, FALSE);
    Block *b = block_of(ptr);
    g_assert(b->magic == MAGIC_LIVE);
    if (size <= b->size)
        return ptr;
    LRHeap *saved = current;
    current = b->heap;
    void *q = heap_alloc(ALIGN, size, FALSE);
    current = saved;
    if (q == NULL)
        return NULL;
    memcpy(q, ptr, b->size);
    heap_release(ptr);
    return q;
}

static void *h_aligned_alloc(void *data, size_t alignment, size_t size)
{
    return heap_alloc(alignment, size, FALSE);
}

static void h_aligned_free(void *data, size_t alignment, void *ptr)
{
    heap_release(ptr);
}

static struct raft_heap routed = {
    .malloc = h_malloc,
    .free = h_free,
    .calloc = h_calloc,
    .realloc = h_realloc,
    .aligned_alloc = h_aligned_alloc,
    .aligned_free = h_aligned_free,
};

static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void install(void)
{
    raft_heap_set(&routed);
}

LRHeap *lr_heap_new(void)
{
    pthread_once(&installed, install);
    LRHeap *h = g_new0(LRHeap, 1);
    h->head.next = h->head.prev = &h->head;
    h->held = g_ptr_array_new();
    return h;
}

LRHeap *lr_heap_use(LRHeap *h)
{
    LRHeap *prev = current;
    current = h;
    return prev;
}

void lr_heap_quarantine(LRHeap *h)
{
    h->quarantine = TRUE;
}

guint lr_heap_live(const LRHeap *h)
{
    return h->live;
}

guint lr_heap_double_frees(const LRHeap *h)
{
    return h->double_frees;
}

void lr_heap_free(LRHeap *h, guint *leaked, guint *double_frees)
{
    *leaked = h->live;
    *double_frees = h->double_frees;
    while (h->head.next != &h->head) {
        Block *b = h->head.next;
        list_del(b);
        free((char *)b - b->pad);
    }
    for (guint i = 0; i < h->held->len; i++) {
        Block *b = g_ptr_array_index(h->held, i);
        free((char *)b - b->pad);
    }
    g_ptr_array_free(h->held, TRUE);
    g_free(h);
    g_mutex_lock(&findings_lock);
    total_leaked += *leaked;
    total_double_frees += *double_frees;
    g_mutex_unlock(&findings_lock);
}

void libraft_heap_findings(guint *leaked, guint *double_frees)
{
    g_mutex_lock(&findings_lock);
    *leaked = total_leaked;
    *double_frees = total_double_frees;
    g_mutex_unlock(&findings_lock);
}
