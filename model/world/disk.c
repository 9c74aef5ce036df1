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

static const DiskBlock empty_block;

/* A crash mid-write leaves a prefix of the block: the length says how much arrived. */
static DiskBlock torn_copy(const DiskBlock *b, SimRng *rng)
{
    DiskBlock t = *b;
    uint16_t keep = (uint16_t)sim_rng_uniform(rng, 0, b->len > 0 ? b->len - 1u : 0);
    t.len = keep;
    memset(t.body + keep, 0, DISK_BODY_BYTES - keep);
    return t;
}

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
    f->lost = g_array_new(FALSE, FALSE, sizeof(uint32_t));
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
    d->files = g_ptr_array_new();
    disk_ns_init(d);
    return d;
}

/* Drops a slot's contents: it reads as a never-written block. */
static void slot_reset(File *f, Slot *s)
{
    block_store_unref(f->store, s->cache);
    block_store_unref(f->store, s->dur);
    *s = (Slot){0};
}

static void file_clear_slots(File *f)
{
    for (guint i = 0; i < f->slots.len; i++)
        slot_reset(f, chunks_at(&f->slots, i));
    chunks_set_size(&f->slots, 0);
    g_array_set_size(f->dirty, 0);
    g_array_set_size(f->lost, 0);
    f->len = f->dlen = 0;
    f->size_dirty = FALSE;
    f->synced_low = 0;
}

void disk_file_free(Disk *d, File *f)
{
    g_assert(g_ptr_array_index(d->files, f->num) == f);
    g_ptr_array_index(d->files, f->num) = NULL;
    if (d->touched == f)
        d->touched = NULL;
    file_clear_slots(f);
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
static void check_on_return(Disk *const *dp)
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

#define CHECK_ON_RETURN(d) Disk *const check_me __attribute__((cleanup(check_on_return))) = (d)

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
static File *file_of(const Disk *d, guint file)
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

static inline Slot *slot_at(const File *f, uint32_t idx)
{
    return &chunks_index(&f->slots, Slot, idx);
}

/* The content of block id `id` (0: the empty block). Valid until that content's last
 * reference goes. */
static inline const DiskBlock *content(const File *f, uint32_t id)
{
    return id == 0 ? &empty_block : &stored(f->store, id)->b;
}

static inline const DiskBlock *cache_of(const File *f, const Slot *s)
{
    return content(f, s->cache);
}

/* Replaces the slot's page-cache content with `b`. */
static void set_cache(File *f, Slot *s, const DiskBlock *b)
{
    uint32_t id = block_store_put(f->store, b);
    block_store_unref(f->store, s->cache);
    s->cache = id;
}

/* The durable content of a slot, or NULL. */
static const DiskBlock *durable_of(const File *f, const Slot *s)
{
    if (s->flags & F_BAD)
        return NULL;
    if (s->flags & F_SAME)
        return cache_of(f, s);
    return s->dur ? content(f, s->dur) : NULL;
}

/* Tells the observer of a change of a reachable file's durable image. */
static void notify(Disk *d, const File *f, uint32_t idx, const DiskBlock *old, const DiskBlock *neu,
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

/* Puts `b` into the page cache at idx (a slot that exists): dirty until an fsync flushes it. */
static void cache_put(File *f, uint32_t idx, const DiskBlock *b)
{
    Slot *s = slot_at(f, idx);
    if (s->flags & F_BAD) {
        /* Rewriting a bad sector remaps it; its old content was unreadable, i.e. gone. */
        s->flags &= (uint8_t)~F_BAD;
    } else if ((s->flags & F_SAME) && idx < f->dlen) {
        g_assert(s->dur == 0);
        s->dur = s->cache ? block_store_ref(f->store, s->cache)
                          : block_store_put(f->store, &empty_block);
    }
    /* New content has not reached the disk, whatever the old content did. */
    s->flags &= (uint8_t) ~(F_SAME | F_LOSTCLEAN | F_SYNCED);
    f->synced_low = MIN(f->synced_low, idx);
    set_cache(f, s, b);
    if (!(s->flags & F_DIRTY)) {
        s->flags |= F_DIRTY;
        g_array_append_val(f->dirty, idx);
    }
}

/* Grows the file to len with a hole, as pwrite(2) past the end or ftruncate(2) upwards do: the
 * new blocks read as zeros (an empty block) and have no durable content until the size is
 * synced. A block truncated away but still durable is replaced by zeros, as a write of them
 * would. */
static void extend_with_hole(File *f, uint32_t len)
{
    if (len <= f->len)
        return;
    if (len > f->slots.len)
        chunks_set_size(&f->slots, len);
    for (uint32_t i = f->len; i < len; i++) {
        Slot *h = slot_at(f, i);
        if (i < f->dlen) {
            cache_put(f, i, &empty_block);
        } else {
            slot_reset(f, h);
        }
    }
    f->len = len;
    f->size_dirty = TRUE;
}

int disk_write(Disk *d, guint file, uint32_t idx, const DiskBlock *b)
{
    CHECK_ON_RETURN(d);
    File *f = file_of(d, file);
    if (d->write_fail_left > 0) {
        d->write_fail_left--;
        d->stats.write_errors++;
        return d->write_err;
    }
    d->stats.writes++;
    extend_with_hole(f, idx);
    if (idx >= f->slots.len)
        chunks_set_size(&f->slots, idx + 1);
    cache_put(f, idx, b);
    if (idx == f->len) {
        f->len++;
        f->size_dirty = TRUE;
    }
    return 0;
}

int disk_truncate(Disk *d, guint file, uint32_t len)
{
    CHECK_ON_RETURN(d);
    File *f = file_of(d, file);
    f->synced_low = MIN(f->synced_low, len);
    if (d->write_fail_left > 0) {
        d->write_fail_left--;
        d->stats.write_errors++;
        return d->write_err;
    }
    if (len >= f->len) {
        extend_with_hole(f, len); /* ftruncate(2) may grow a file too */
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
    for (uint32_t i = keep; i < f->slots.len; i++)
        slot_reset(f, slot_at(f, i));
    chunks_set_size(&f->slots, keep);
    f->len = len;
    f->size_dirty = TRUE;
    return 0;
}

static void flush_dirty(Disk *d, File *f)
{
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        if (idx >= f->len)
            continue; /* written, then truncated away: nothing of it reaches the disk */
        Slot *s = slot_at(f, idx);
        g_assert(s->flags & F_DIRTY);
        s->flags &= (uint8_t)~F_DIRTY;
        const DiskBlock *old = durable_of(f, s);
        DiskBlock old_copy;
        if (old) {
            old_copy = *old;
            old = &old_copy;
        }
        block_store_unref(f->store, s->dur);
        s->dur = 0;
        s->flags |= F_SAME | F_SYNCED;
        notify(d, f, idx, old, cache_of(f, s), DISK_CHANGE_SYNC);
    }
    g_array_set_size(f->dirty, 0);
}

static void flush_size(Disk *d, File *f)
{
    if (!f->size_dirty)
        return;
    for (uint32_t i = f->len; i < f->dlen; i++) {
        Slot *s = slot_at(f, i);
        const DiskBlock *old = durable_of(f, s);
        if (old) {
            DiskBlock copy = *old;
            slot_reset(f, s);
            notify(d, f, i, &copy, NULL, DISK_CHANGE_SIZE);
        } else {
            slot_reset(f, s);
        }
    }
    f->dlen = f->len;
    chunks_set_size(&f->slots, f->len);
    f->size_dirty = FALSE;
}

/* ext4/xfs after a failed writeback: the pages are clean, the data never arrived. The size is
 * metadata, journaled on its own: it does reach the disk, so a crash leaves the file long with
 * a hole where the data should be. */
static void mark_clean_unsynced(Disk *d, File *f)
{
    flush_size(d, f);
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        if (idx >= f->len)
            continue; /* truncated away: its slot is gone with the size */
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t)~F_DIRTY;
        s->flags |= F_LOSTCLEAN;
        g_array_append_val(f->lost, idx);
    }
    g_array_set_size(f->dirty, 0);
}

/* btrfs after a failed fsync: the file goes back to its durable state. */
static void revert_to_durable(File *f)
{
    f->synced_low = 0; /* rare: scan again */
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t)~F_DIRTY;
        if (s->dur) {
            block_store_unref(f->store, s->cache);
            s->cache = s->dur; /* the reference moves */
            s->dur = 0;
            s->flags |= F_SAME | F_SYNCED;
        } else if (!(s->flags & F_SAME)) {
            block_store_unref(f->store, s->cache);
            s->cache = 0;
        }
    }
    g_array_set_size(f->dirty, 0);
    for (uint32_t i = f->dlen; i < f->slots.len; i++)
        slot_reset(f, slot_at(f, i));
    chunks_set_size(&f->slots, f->dlen);
    f->len = f->dlen;
    f->size_dirty = FALSE;
}

int disk_fsync(Disk *d, guint file)
{
    CHECK_ON_RETURN(d);
    File *f = file_of(d, file);
    d->stats.fsyncs++;
    if (d->fsync_fail_left > 0) {
        d->fsync_fail_left--;
        d->stats.fsync_errors++;
        int err = d->fsync_err;
        switch (d->fs) {
        case FS_EXT4_ORDERED:
        case FS_XFS:
            mark_clean_unsynced(d, f);
            return err;
        case FS_EXT4_JOURNAL: {
            mark_clean_unsynced(d, f);
            int report = d->pending_err;
            d->pending_err = err;
            return report;
        }
        case FS_BTRFS:
            revert_to_durable(f);
            return err;
        default:
            g_assert_not_reached();
        }
    }
    /* The size first, so that an observer told of a newly durable block past the old durable
     * end can already read it back. */
    flush_size(d, f);
    flush_dirty(d, f);
    int report = d->pending_err;
    d->pending_err = 0;
    return report;
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

void disk_file_power_loss(Disk *d, File *f, SimRng *rng)
{
    f->synced_low = 0; /* rare: scan again */
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t)~F_DIRTY;
        if (idx >= f->len)
            continue;
        /* Writeback may or may not have reached this block, or only part of it. */
        uint64_t fate = sim_rng_uniform(rng, 0, 2);
        const DiskBlock *old = durable_of(f, s);
        DiskBlock old_copy = old ? *old : empty_block;
        if (fate == 0) {
            d->stats.power_lost++;
            continue;
        }
        DiskBlock neu = fate == 1 ? *cache_of(f, s) : torn_copy(cache_of(f, s), rng);
        if (fate == 1)
            d->stats.power_kept++;
        else
            d->stats.power_torn++;
        uint32_t id = block_store_put(f->store, &neu);
        block_store_unref(f->store, s->dur);
        s->dur = id;
        s->flags &= (uint8_t) ~(F_SAME | F_BAD);
        if (idx >= f->dlen)
            f->dlen = idx + 1;
        notify(d, f, idx, old ? &old_copy : NULL, &neu, DISK_CHANGE_POWER);
    }
    g_array_set_size(f->dirty, 0);
    /* The list may name a block twice, or one rewritten since: count each lost block once. */
    for (guint i = 0; i < f->lost->len; i++) {
        uint32_t idx = g_array_index(f->lost, uint32_t, i);
        Slot *s = idx < f->slots.len ? slot_at(f, idx) : NULL;
        if (s && (s->flags & F_LOSTCLEAN)) {
            s->flags &= (uint8_t)~F_LOSTCLEAN;
            d->stats.unsynced_lost_after_eio++;
        }
    }
    g_array_set_size(f->lost, 0);
    if (f->size_dirty && f->len < f->dlen && sim_rng_chance(rng, 1, 2)) {
        f->size_dirty = TRUE;
        flush_size(d, f); /* the truncation reached the disk */
    }
    f->size_dirty = FALSE;
    /* The cache is gone: what remains readable is the durable image. */
    if (f->slots.len < f->dlen)
        chunks_set_size(&f->slots, f->dlen);
    for (uint32_t idx = 0; idx < f->slots.len; idx++) {
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t) ~(F_DIRTY | F_LOSTCLEAN);
        s->flags |= F_SYNCED; /* what it shows now is what the disk holds */
        if (idx >= f->dlen) {
            slot_reset(f, s);
            continue;
        }
        if (s->flags & F_SAME)
            continue;
        block_store_unref(f->store, s->cache);
        s->cache = s->dur; /* the reference moves; none: the empty block */
        if (s->dur) {
            s->dur = 0;
            s->flags |= F_SAME;
        }
    }
    chunks_set_size(&f->slots, f->dlen);
    f->len = f->dlen;
}

void disk_power_loss(Disk *d, SimRng *rng)
{
    CHECK_ON_RETURN(d);
    d->touched = NULL;
    disk_close_all(d);
    for (guint i = 0; i < d->files->len; i++)
        if (file_at(d, i))
            disk_file_power_loss(d, file_at(d, i), rng);
    disk_ns_power_loss(d, rng);
    d->pending_err = 0;
}

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
                notify(d, f, idx, &copy, NULL, DISK_CHANGE_WIPE);
            }
        }
        file_clear_slots(f);
    }
    disk_ns_wipe(d);
    d->pending_err = 0;
    d->fsync_fail_left = d->write_fail_left = 0;
}

/* ---- faults ---- */

void disk_fail_fsyncs(Disk *d, int err, guint count)
{
    g_assert(err == EIO || err == ENOSPC);
    d->fsync_err = err;
    d->fsync_fail_left = count;
}

void disk_fail_writes(Disk *d, int err, guint count)
{
    g_assert(err == EIO || err == ENOSPC);
    d->write_err = err;
    d->write_fail_left = count;
}

guint disk_failures_pending(const Disk *d)
{
    return d->fsync_fail_left + d->write_fail_left;
}

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
        File *f = file_of(d, r.file);
        Slot *s = slot_at(f, r.idx);
        DiskBlock old = *cache_of(f, s);
        if (sector_error) {
            s->flags = F_BAD | F_SYNCED;
            block_store_unref(f->store, s->cache);
            s->cache = 0;
            notify(d, f, r.idx, &old, NULL, DISK_CHANGE_MEDIA);
            continue;
        }
        DiskBlock neu = old;
        guint byte = (guint)sim_rng_uniform(rng, 0, old.len - 1u);
        uint8_t flip = (uint8_t)sim_rng_uniform(rng, 1, 255);
        neu.body[byte] ^= flip;
        set_cache(f, s, &neu);
        notify(d, f, r.idx, &old, &neu, DISK_CHANGE_MEDIA);
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
