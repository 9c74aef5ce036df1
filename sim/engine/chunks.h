/* sim/engine/chunks.h — a growable array of fixed-size elements kept in fixed-size chunks.
 *
 * The long-lived per-index tables of a run (disk blocks, logs, the checker's per-block facts,
 * the history) grow by one element at a time for the whole run. A GArray doubles and copies:
 * up to half its capacity is slack, every doubling copies everything, and the freed old buffers
 * fragment the heap. Chunks grows by whole chunks instead: appending never copies more than the
 * first chunk (which starts small, so that the many short arrays of a fuzz run stay small), the
 * slack is at most one chunk, and an index is a shift and a mask away from its element.
 *
 * Elements past the length read as zeros when the array grows again (as g_array_set_size with
 * clear does). A pointer to an element is valid until the next call that changes the length.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <string.h>

#define CHUNKS_SHIFT 10 /* elements per chunk: 1024 */
#define CHUNKS_PER   (1u << CHUNKS_SHIFT)
#define CHUNKS_MASK  (CHUNKS_PER - 1)

typedef struct {
    uint8_t **chunks; /* chunk 0 has room for `first_cap` elements, the others CHUNKS_PER */
    guint nchunks;    /* chunks allocated */
    guint chunks_cap; /* room in `chunks` */
    guint first_cap;
    guint elem;           /* bytes per element */
    guint len;            /* elements in use */
    guint released;       /* chunks given back (chunks_release): NULL in `chunks` */
    guint released_below; /* chunks 0 .. released_below - 1 given back (chunks_release_below) */
} Chunks;

void chunks_init(Chunks *a, guint elem_size);
/* Frees the storage; the array is empty (and usable) afterwards. */
void chunks_clear(Chunks *a);
/* Sets the length; new elements are zeros. Shrinking keeps the storage. */
void chunks_set_size(Chunks *a, guint len);
/* Makes room for `len` elements without changing the length. Reserving CHUNKS_PER or more at
 * the start means no element ever moves. */
void chunks_reserve(Chunks *a, guint len);
/* Appends one zeroed element and returns it. */
void *chunks_push(Chunks *a);
/* Gives back the storage of a whole chunk (its elements are all below the length, and chunk 0
 * has grown whole): its elements may no longer be read or written; the others keep their
 * indexes. For long arrays whose old elements are done with (a streaming history). */
void chunks_release(Chunks *a, guint chunk);
/* Gives back every whole chunk below element `index` (a log compacted up to it; nothing while
 * chunk 0 is still growing): those elements may no longer be read or written, the others keep
 * their indexes. The length may not shrink below a chunk given back. */
void chunks_release_below(Chunks *a, guint index);
/* Whether element i's chunk was given back. */
static inline gboolean chunks_released(const Chunks *a, guint i)
{
    return a->chunks[i >> CHUNKS_SHIFT] == NULL;
}
/* Bytes of storage held (for memory reports). */
gsize chunks_bytes(const Chunks *a);

static inline void *chunks_at(const Chunks *a, guint i)
{
    return a->chunks[i >> CHUNKS_SHIFT] + (gsize)(i & CHUNKS_MASK) * a->elem;
}

#define chunks_index(a, type, i) (*(type *)chunks_at((a), (i)))
