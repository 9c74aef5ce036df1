/* model/world/disk.c — page cache, durable image and the file-system profiles' failure behaviour.
 *
 * Each block slot keeps the page-cache content inline and, only while the durable image differs
 * from it, a separate copy of the durable content. Slot flags:
 *   SAME       the durable image holds exactly the cached content;
 *   DIRTY      cached content not yet flushed; the next successful fsync makes it durable;
 *   LOSTCLEAN  cached content that a failed fsync marked clean: no fsync will ever flush it;
 *   BAD        a latent sector error: reads fail with EIO until the block is rewritten.
 * A slot that is neither SAME nor has `dur` has no durable content.
 * State transitions: disk_write (-> DIRTY), disk_fsync (DIRTY -> SAME, or the profile's failure),
 * disk_power_loss (everything -> SAME or no durable content), disk_add_sector_errors (-> BAD),
 * disk_corrupt (SAME, content altered).
 *
 * This file keeps the data of each file; disk_ns.c its names, its descriptors and whether a
 * durable entry reaches it. The observer hears of the durable changes of reachable files only
 * (notify), and of all the durable blocks of a file whose reachability changes
 * (disk_file_announce).
 */
#include "model/world/disk_internal.h"

#include <errno.h>
#include <string.h>

const DiskBlock disk_empty_block;

/* ---- construction ---- */

Disk *disk_new(FsProfile fs, guint nfiles)
{
    Disk *d = disk_new_shared(fs, nfiles, block_store_new());
    d->owns_store = TRUE;
    return d;
}

File *disk_file_new(Disk *d)
{
    File *f = g_new0(File, 1);
    f->store = d->store;
    f->num = d->files->len;
    chunks_init(&f->slots, sizeof(Slot));
    f->dirty = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    f->lost = g_array_new(FALSE, FALSE, sizeof(LostBlock));
    g_ptr_array_add(d->files, f);
    return f;
}

Disk *disk_new_shared(FsProfile fs, guint nfiles, BlockStore *store)
{
    g_assert(nfiles <= 8);
    Disk *d = g_new0(Disk, 1);
    d->fs = fs;
    d->nfixed = nfiles;
    d->store = store;
    d->kernel = FS_KERNEL_4_16;
    d->atomic_write = 512;
    d->capacity = G_MAXUINT64;
    d->files = g_ptr_array_new();
    disk_ns_init(d);
    return d;
}

/* Drops a slot's contents: it reads as a never-written block. */
void disk_slot_reset(File *f, Slot *s)
{
    block_store_unref(f->store, s->cache);
    block_store_unref(f->store, s->dur);
    *s = (Slot){0};
}

/* Forgets the lost writes of blocks from idx (to idx_end): written again, or truncated away. */
void disk_lost_forget(File *f, uint32_t idx, uint32_t idx_end)
{
    guint keep = 0;
    for (guint i = 0; i < f->lost->len; i++) {
        LostBlock l = g_array_index(f->lost, LostBlock, i);
        if (l.idx >= idx && l.idx < idx_end)
            block_store_unref(f->store, l.id);
        else
            g_array_index(f->lost, LostBlock, keep++) = l;
    }
    g_array_set_size(f->lost, keep);
}

static void file_clear_slots(Disk *d, File *f)
{
    for (guint i = 0; i < f->slots.len; i++)
        disk_slot_reset(f, chunks_at(&f->slots, i));
    chunks_set_size(&f->slots, 0);
    g_array_set_size(f->dirty, 0);
    disk_lost_forget(f, 0, UINT32_MAX);
    disk_file_set_len(d, f, 0);
    f->dlen = 0;
    f->size_dirty = FALSE;
    f->synced_low = 0;
}

void disk_file_free(Disk *d, File *f)
{
    g_assert(g_ptr_array_index(d->files, f->num) == f);
    g_ptr_array_index(d->files, f->num) = NULL;
    if (d->touched == f)
        d->touched = NULL;
    file_clear_slots(d, f);
    chunks_clear(&f->slots);
    g_array_free(f->dirty, TRUE);
    g_array_free(f->lost, TRUE);
    g_free(f);
}

void disk_free(Disk *d)
{
    if (d == NULL)
        return;
    for (guint i = 0; i < d->files->len; i++)
        if (file_at(d, i))
            disk_file_free(d, file_at(d, i));
    g_ptr_array_unref(d->files);
    disk_ns_clear(d);
    if (d->owns_store)
        block_store_free(d->store);
    g_free(d);
}

/* Runs when a state-changing function returns: the cheap invariants (of the file it changed)
 * always, all of them when checking is on. */
void disk_checked(Disk *const *dp)
{
    const Disk *d = *dp;
    if (d->checking) {
        disk_check_invariants(d);
        return;
    }
    const File *f = d->touched;
    if (f) {
        g_assert(f->slots.len >= f->len && f->slots.len >= f->dlen);
        g_assert(f->dirty->len <= f->slots.len);
    }
}

void disk_set_checking(Disk *d, gboolean on)
{
    d->checking = on;
}

void disk_set_observer(Disk *d, DiskDurableFn fn, void *ctx)
{
    d->observe = fn;
    d->observe_ctx = ctx;
}

FsProfile disk_fs(const Disk *d)
{
    return d->fs;
}

guint disk_nfiles(const Disk *d)
{
    return d->files->len;
}

guint disk_nfixed(const Disk *d)
{
    return d->nfixed;
}

/* A file that exists, made the one the current operation changes. */
File *disk_file_of(const Disk *d, guint file)
{
    File *f = file_at(d, file);
    g_assert(f != NULL);
    ((Disk *)d)->touched = f;
    return f;
}

/* A file that exists, for a read. */
static const File *file_get(const Disk *d, guint file)
{
    const File *f = file_at(d, file);
    g_assert(f != NULL);
    return f;
}

/* A file for a ground-truth question: NULL when it is gone or no durable entry reaches it. */
static const File *reachable(const Disk *d, guint file)
{
    const File *f = file_at(d, file);
    return f && f->reach ? f : NULL;
}

/* Replaces the slot's page-cache content with `b`. */
void disk_set_cache(File *f, Slot *s, const DiskBlock *b)
{
    uint32_t id = block_store_put(f->store, b);
    block_store_unref(f->store, s->cache);
    s->cache = id;
}

/* Tells the observer of a change of a reachable file's durable image. */
void disk_notify(Disk *d, const File *f, uint32_t idx, const DiskBlock *old, const DiskBlock *neu,
                 DiskChange cause)
{
    if (d->observe && f->reach && (old || neu))
        d->observe(d->observe_ctx, f->num, idx, old, neu, cause);
}

void disk_file_announce(Disk *d, File *f, gboolean appear, DiskChange cause)
{
    if (!d->observe)
        return;
    for (uint32_t idx = 0; idx < f->dlen && idx < f->slots.len; idx++) {
        const DiskBlock *b = durable_of(f, slot_at(f, idx));
        if (b) {
            DiskBlock copy = *b;
            d->observe(d->observe_ctx, f->num, idx, appear ? NULL : &copy, appear ? &copy : NULL,
                       cause);
        }
    }
}

/* ---- operations ---- */

void disk_file_set_len(Disk *d, File *f, uint32_t len)
{
    d->used = d->used - f->len + len;
    f->len = len;
}

/* Puts `b` into the page cache at idx (a slot that exists): dirty until an fsync flushes it. */
static void cache_put(Disk *d, File *f, uint32_t idx, const DiskBlock *b)
{
    Slot *s = slot_at(f, idx);
    if (s->flags & F_BAD) {
        /* Rewriting a bad sector remaps it; its old content was unreadable, i.e. gone. */
        s->flags &= (uint8_t)~F_BAD;
    } else if ((s->flags & F_SAME) && idx < f->dlen) {
        g_assert(s->dur == 0);
        s->dur = s->cache ? block_store_ref(f->store, s->cache)
                          : block_store_put(f->store, &disk_empty_block);
    }
    if (G_UNLIKELY(f->lost->len > 0))
        disk_lost_forget(f, idx, idx + 1);
    /* New content has not reached the disk, whatever the old content did. */
    s->flags &= (uint8_t) ~(F_SAME | F_LOSTCLEAN | F_SYNCED);
    s->seq = (uint32_t)++d->seq;
    f->synced_low = MIN(f->synced_low, idx);
    disk_set_cache(f, s, b);
    if (!(s->flags & F_DIRTY)) {
        s->flags |= F_DIRTY;
        g_array_append_val(f->dirty, idx);
    }
}

static void size_changed(Disk *d, File *f)
{
    f->size_dirty = TRUE;
    f->size_seq = ++d->seq;
}

/* Grows the file to len with a hole, as pwrite(2) past the end or ftruncate(2) upwards do: the
 * new blocks read as zeros (an empty block) and have no durable content until the size is
 * synced. A block truncated away but still durable is replaced by zeros, as a write of them
 * would. */
static void extend_with_hole(Disk *d, File *f, uint32_t len)
{
    if (len <= f->len)
        return;
    if (len > f->slots.len)
        chunks_set_size(&f->slots, len);
    for (uint32_t i = f->len; i < len; i++) {
        Slot *h = slot_at(f, i);
        if (i < f->dlen) {
            cache_put(d, f, i, &disk_empty_block);
        } else {
            disk_slot_reset(f, h);
        }
    }
    disk_file_set_len(d, f, len);
    size_changed(d, f);
}

/* The error a change fails with before it happens: an injected write error, a read-only file
 * system, or (for `grow` new blocks) a full disk; 0 if none. */
static int refuse_change(Disk *d, uint64_t grow)
{
    if (d->write_fail_left > 0) {
        d->write_fail_left--;
        d->stats.write_errors++;
        return d->write_err;
    }
    if (d->read_only) {
        d->stats.erofs++;
        return EROFS;
    }
    if (grow > 0 && d->used + grow > d->capacity) {
        d->stats.enospc++;
        return ENOSPC;
    }
    return 0;
}

int disk_write(Disk *d, guint file, uint32_t idx, const DiskBlock *b)
{
    CHECK_ON_RETURN(d);
    File *f = disk_file_of(d, file);
    int err = refuse_change(d, idx >= f->len ? (uint64_t)idx + 1 - f->len : 0);
    if (err)
        return err;
    d->stats.writes++;
    extend_with_hole(d, f, idx);
    if (idx >= f->slots.len)
        chunks_set_size(&f->slots, idx + 1);
    cache_put(d, f, idx, b);
    if (idx == f->len) {
        disk_file_set_len(d, f, f->len + 1);
        size_changed(d, f);
    }
    return 0;
}

int disk_truncate(Disk *d, guint file, uint32_t len)
{
    CHECK_ON_RETURN(d);
    File *f = disk_file_of(d, file);
    f->synced_low = MIN(f->synced_low, len);
    int err = refuse_change(d, len > f->len ? len - f->len : 0);
    if (err)
        return err;
    if (len >= f->len) {
        extend_with_hole(d, f, len); /* ftruncate(2) may grow a file too */
        return 0;
    }
    /* A truncated block that was never durable simply disappears; one with durable content
     * keeps it until an fsync makes the new length durable. */
    uint32_t keep = MAX(len, f->dlen);
    guint kept = 0;
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        if (idx < keep)
            g_array_index(f->dirty, uint32_t, kept++) = idx;
    }
    g_array_set_size(f->dirty, kept);
    if (f->lost->len > 0)
        disk_lost_forget(f, len, UINT32_MAX);
    for (uint32_t i = keep; i < f->slots.len; i++)
        disk_slot_reset(f, slot_at(f, i));
    chunks_set_size(&f->slots, keep);
    disk_file_set_len(d, f, len);
    size_changed(d, f);
    return 0;
}

/* ---- reads ---- */

uint32_t disk_length(const Disk *d, guint file)
{
    return file_get(d, file)->len;
}

int disk_read(const Disk *d, guint file, uint32_t idx, DiskBlock *out)
{
    const File *f = file_get(d, file);
    g_assert(idx < f->len);
    const Slot *s = slot_at(f, idx);
    if (s->flags & F_BAD) {
        ((Disk *)d)->stats.read_errors++;
        return EIO;
    }
    *out = *cache_of(f, s);
    return 0;
}

/* ---- crashes ---- */

void disk_wipe(Disk *d)
{
    CHECK_ON_RETURN(d);
    d->touched = NULL;
    disk_close_all(d);
    for (guint file = 0; file < d->files->len; file++) {
        File *f = file_at(d, file);
        if (f == NULL)
            continue;
        for (uint32_t idx = 0; idx < f->slots.len; idx++) {
            const DiskBlock *old = durable_of(f, slot_at(f, idx));
            if (old) {
                DiskBlock copy = *old;
                disk_notify(d, f, idx, &copy, NULL, DISK_CHANGE_WIPE);
            }
        }
        file_clear_slots(d, f);
    }
    disk_ns_wipe(d);
    d->fsync_fail_left = d->write_fail_left = 0;
    d->read_only = FALSE; /* a new disk */
    d->capacity = G_MAXUINT64;
    for (guint i = 0; i < d->nfixed; i++) {
        File *f = file_at(d, i);
        f->wb_seq = f->self_since = f->self_contract = 0;
        f->wb_err = f->as_err = 0;
        f->wb_seen = FALSE;
    }
}

/* ---- faults ---- */

typedef struct {
    guint file;
    uint32_t idx;
} BlockRef;

/* Durable, synced, readable blocks: the candidates for media faults. */
static GArray *synced_blocks(const Disk *d)
{
    GArray *refs = g_array_new(FALSE, FALSE, sizeof(BlockRef));
    for (guint file = 0; file < d->files->len; file++) {
        const File *f = reachable(d, file);
        if (f == NULL)
            continue;
        for (uint32_t idx = 0; idx < f->len && idx < f->dlen; idx++) {
            Slot *s = slot_at(f, idx);
            if ((s->flags & F_SAME) && !(s->flags & F_BAD) && cache_of(f, s)->len > 0) {
                BlockRef r = {file, idx};
                g_array_append_val(refs, r);
            }
        }
    }
    return refs;
}

/* Picks up to `count` distinct candidates with `rng` (partial Fisher-Yates). */
static guint pick_blocks(GArray *refs, SimRng *rng, guint count)
{
    guint n = MIN(count, refs->len);
    for (guint i = 0; i < n; i++) {
        guint j = (guint)sim_rng_uniform(rng, i, refs->len - 1);
        BlockRef tmp = g_array_index(refs, BlockRef, i);
        g_array_index(refs, BlockRef, i) = g_array_index(refs, BlockRef, j);
        g_array_index(refs, BlockRef, j) = tmp;
    }
    return n;
}

/* Media damage to up to `count` durable, synced blocks chosen by `rng`: a latent sector error
 * (unreadable until rewritten), or else a flipped byte that only the checksum can tell. */
static guint damage(Disk *d, SimRng *rng, guint count, gboolean sector_error)
{
    g_autoptr(GArray) refs = synced_blocks(d);
    guint n = pick_blocks(refs, rng, count);
    for (guint i = 0; i < n; i++) {
        BlockRef r = g_array_index(refs, BlockRef, i);
        File *f = disk_file_of(d, r.file);
        Slot *s = slot_at(f, r.idx);
        DiskBlock old = *cache_of(f, s);
        if (sector_error) {
            s->flags = F_BAD | F_SYNCED;
            block_store_unref(f->store, s->cache);
            s->cache = 0;
            disk_notify(d, f, r.idx, &old, NULL, DISK_CHANGE_MEDIA);
            continue;
        }
        DiskBlock neu = old;
        guint byte = (guint)sim_rng_uniform(rng, 0, old.len - 1u);
        uint8_t flip = (uint8_t)sim_rng_uniform(rng, 1, 255);
        neu.body[byte] ^= flip;
        disk_set_cache(f, s, &neu);
        disk_notify(d, f, r.idx, &old, &neu, DISK_CHANGE_MEDIA);
    }
    return n;
}

guint disk_add_sector_errors(Disk *d, SimRng *rng, guint count)
{
    CHECK_ON_RETURN(d);
    return damage(d, rng, count, TRUE);
}

guint disk_corrupt(Disk *d, SimRng *rng, guint count)
{
    CHECK_ON_RETURN(d);
    return damage(d, rng, count, FALSE);
}

/* ---- ground truth ---- */

uint32_t disk_durable_length(const Disk *d, guint file)
{
    const File *f = reachable(d, file);
    return f ? f->dlen : 0;
}

gboolean disk_durable_block(const Disk *d, guint file, uint32_t idx, DiskBlock *out)
{
    const File *f = reachable(d, file);
    if (f == NULL || idx >= f->dlen || idx >= f->slots.len)
        return FALSE;
    const DiskBlock *b = durable_of(f, slot_at(f, idx));
    if (b == NULL)
        return FALSE;
    *out = *b;
    return TRUE;
}

uint32_t disk_durable_id(const Disk *d, guint file, uint32_t idx)
{
    const File *f = reachable(d, file);
    if (f == NULL || idx >= f->dlen || idx >= f->slots.len)
        return 0;
    const Slot *s = slot_at(f, idx);
    if (s->flags & F_BAD)
        return 0;
    if (s->flags & F_SAME)
        return s->cache; /* 0 for the empty block */
    return s->dur;
}

gboolean disk_is_durable(const Disk *d, guint file, uint32_t idx)
{
    const File *f = reachable(d, file);
    if (f == NULL || idx >= f->len || idx >= f->dlen)
        return FALSE;
    const Slot *s = slot_at(f, idx);
    return (s->flags & (F_SAME | F_BAD)) == F_SAME;
}

gboolean disk_prefix_was_synced(const Disk *d, guint file, uint32_t len)
{
    File *f = file_at(d, file);
    if (f == NULL || !f->reach)
        return len == 0;
    if (len > f->len)
        return FALSE;
    uint32_t i = MIN(f->synced_low, f->len);
    while (i < len && (slot_at(f, i)->flags & F_SYNCED))
        i++;
    f->synced_low = i;
    return i >= len;
}

gboolean disk_block_was_synced(const Disk *d, guint file, uint32_t idx)
{
    const File *f = reachable(d, file);
    return f != NULL && idx < f->len && (slot_at(f, idx)->flags & F_SYNCED);
}

gboolean disk_prefix_is_durable(const Disk *d, guint file, uint32_t len)
{
    const File *f = reachable(d, file);
    if (f == NULL)
        return len == 0;
    if (len > f->dlen || len > f->len)
        return FALSE;
    /* Not yet flushed, never to be flushed, or unreadable on the medium. */
    for (uint32_t i = 0; i < len; i++)
        if (slot_at(f, i)->flags & (F_DIRTY | F_LOSTCLEAN | F_BAD))
            return FALSE;
    return TRUE;
}

const DiskStats *disk_stats(const Disk *d)
{
    return &d->stats;
}

void disk_file_check(const Disk *d, const File *f)
{
    {
        g_assert(f->num < d->files->len && g_ptr_array_index(d->files, f->num) == f);
        g_assert(f->reach == (f->dlinks > 0));
        g_assert(f->slots.len >= f->len && f->slots.len >= f->dlen);
        guint dirty = 0;
        for (uint32_t idx = 0; idx < f->slots.len; idx++) {
            Slot *s = slot_at(f, idx);
            if (s->flags & F_DIRTY) {
                dirty++;
                g_assert(!(s->flags & F_SAME));
            }
            if (s->flags & F_SAME)
                g_assert(s->dur == 0);
            if (s->flags & F_BAD)
                g_assert(!(s->flags & F_SAME) || cache_of(f, s)->len == 0);
            g_assert(s->cache == 0 || stored(f->store, s->cache)->refs > 0);
            g_assert(s->dur == 0 || stored(f->store, s->dur)->refs > 0);
        }
        g_assert(dirty == f->dirty->len);
        for (guint i = 0; i < f->dirty->len; i++)
            for (guint j = i + 1; j < f->dirty->len; j++)
                g_assert(g_array_index(f->dirty, uint32_t, i) !=
                         g_array_index(f->dirty, uint32_t, j));
    }
}

void disk_check_invariants(const Disk *d)
{
    for (guint file = 0; file < d->files->len; file++)
        if (file_at(d, file))
            disk_file_check(d, file_at(d, file));
    disk_ns_check(d);
}
