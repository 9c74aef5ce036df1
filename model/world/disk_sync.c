/* model/world/disk_sync.c — what reaching the disk means on each file system: fsync, what a
 * failed write-back does to the page cache, how the kernel reports the error to each descriptor,
 * the promise an fsync's 0 makes (and, on old kernels, breaks), and what a power crash keeps.
 * The per-file-system table with its sources is in scenarios/README.md; in short:
 *
 *   failed write-back  ext4-ordered, xfs: the dirty blocks are marked clean unwritten (reads
 *                      still show them; a later fsync returns 0 without writing them). btrfs: the
 *                      file reverts to its durable state. ext4-journal (data=journal): the data
 *                      reached the journal, so it is durable; the failed write-back (the journal
 *                      checkpoint) is reported by the next fsync of the file, which writes
 *                      nothing (Rebello et al., ATC '20, and their CuttleFS model).
 *   reporting          Linux 4.16 and later (errseq): once to every descriptor open when the
 *                      error happened, and to the first one opened afterwards if nobody heard it;
 *                      4.13 to 4.15: not to a descriptor opened afterwards; before 4.13: to the
 *                      first fsync only, through whatever descriptor (the fsyncgate kernels).
 *   power crash        each unsynced write lost or kept (torn below the device's atomic write
 *                      unit: a unit of several blocks goes or stays whole); on ext4-journal a
 *                      prefix of all unsynced changes, data and names together, none torn.
 *
 * Promises. An fsync that returns 0 promises every write of the file it did not report lost to
 * that descriptor — as the 4.16 kernels report (a descriptor's `contract` sample). When an older
 * kernel returns 0 where 4.16 would have reported the error, the lost writes are marked broken:
 * the file system, not the protocol, lost them (disk_broken_promises, for the oracles).
 */
#include "model/world/disk_internal.h"

#include <errno.h>
#include <string.h>

/* ---- flushing ---- */

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
        disk_notify(d, f, idx, old, cache_of(f, s), DISK_CHANGE_SYNC);
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
            disk_slot_reset(f, s);
            disk_notify(d, f, i, &copy, NULL, DISK_CHANGE_SIZE);
        } else {
            disk_slot_reset(f, s);
        }
    }
    f->dlen = f->len;
    chunks_set_size(&f->slots, f->len);
    f->size_dirty = FALSE;
}

static void flush(Disk *d, File *f)
{
    /* The size first, so that an observer told of a newly durable block past the old durable
     * end can already read it back. */
    flush_size(d, f);
    flush_dirty(d, f);
}

/* ---- failed write-backs ---- */

/* A write-back error of f: errseq's count goes up, the flag of the old kernels is set. */
static uint32_t wb_error(File *f, int err)
{
    f->wb_seq++;
    f->wb_err = err;
    f->wb_seen = FALSE;
    f->as_err = err;
    return f->wb_seq;
}

static void lose(File *f, uint32_t idx, uint32_t id, uint32_t event)
{
    LostBlock l = {idx, block_store_ref(f->store, id), event, 0};
    g_array_append_val(f->lost, l);
}

/* ext4/xfs after a failed write-back: the pages are clean, the data never arrived. The size is
 * metadata, journaled on its own: it does reach the disk, so a crash leaves the file long with
 * a hole where the data should be. */
static void mark_clean_unsynced(Disk *d, File *f, uint32_t event)
{
    flush_size(d, f);
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        if (idx >= f->len)
            continue; /* truncated away: its slot is gone with the size */
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t)~F_DIRTY;
        s->flags |= F_LOSTCLEAN;
        lose(f, idx, s->cache, event);
    }
    g_array_set_size(f->dirty, 0);
}

/* btrfs after a failed write-back: the file goes back to its durable state. */
static void revert_to_durable(Disk *d, File *f, uint32_t event)
{
    f->synced_low = 0; /* rare: scan again */
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t)~F_DIRTY;
        if (idx < f->len)
            lose(f, idx, s->cache, event);
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
        disk_slot_reset(f, slot_at(f, i));
    chunks_set_size(&f->slots, f->dlen);
    disk_file_set_len(d, f, f->dlen);
    f->size_dirty = FALSE;
}

/* The write-back of f's dirty data failed with err, as the profile has it. */
static void writeback_failed(Disk *d, File *f, int err)
{
    uint32_t event = wb_error(f, err);
    switch (d->fs) {
    case FS_EXT4_ORDERED:
    case FS_XFS:
        mark_clean_unsynced(d, f, event);
        break;
    case FS_BTRFS:
        revert_to_durable(d, f, event);
        break;
    case FS_EXT4_JOURNAL:
        flush(d, f); /* committed to the journal; its checkpoint is what failed */
        break;
    default:
        g_assert_not_reached();
    }
}

/* ---- reporting ---- */

void disk_file_sample(const Disk *d, const File *f, uint32_t *since, uint32_t *contract)
{
    /* errseq_sample: an error nobody has heard is still due (4.16 and later). */
    uint32_t due = !f->wb_seen && f->wb_seq > 0 ? f->wb_seq - 1 : f->wb_seq;
    *contract = due;
    *since = d->kernel == FS_KERNEL_4_16 ? due : f->wb_seq;
}

/* Whether the kernel owes this descriptor an error report. */
static gboolean report_due(const Disk *d, const File *f, uint32_t since)
{
    return d->kernel == FS_KERNEL_PRE_4_13 ? f->as_err != 0 : since != f->wb_seq;
}

/* The error the kernel reports to this descriptor's fsync (0: none), as it advances. */
static int report(Disk *d, File *f, uint32_t *since)
{
    if (!report_due(d, f, *since))
        return 0;
    int err = d->kernel == FS_KERNEL_PRE_4_13 ? f->as_err : f->wb_err;
    f->as_err = 0;
    f->wb_seen = TRUE;
    *since = f->wb_seq;
    return err;
}

/* The fsync returned 0: every lost write the 4.16 kernels would have reported to this
 * descriptor was promised, and is not there. */
static void promise(Disk *d, File *f, uint32_t *contract)
{
    for (guint i = 0; i < f->lost->len; i++) {
        LostBlock *l = &g_array_index(f->lost, LostBlock, i);
        if (!l->broken && l->event > *contract) {
            l->broken = 1;
            d->stats.broken_promises++;
        }
    }
    *contract = f->wb_seq;
}

/* An injected fsync failure that applies to f, consumed; 0 if none. */
static int take_injected(Disk *d, const char *path)
{
    if (d->fsync_fail_left == 0)
        return 0;
    if (d->fail_pattern[0] && (path == NULL || !g_pattern_match_simple(d->fail_pattern, path)))
        return 0;
    d->fsync_fail_left--;
    d->stats.fsync_errors++;
    return d->fsync_err;
}

int disk_file_fsync(Disk *d, File *f, uint32_t *since, uint32_t *contract)
{
    d->stats.fsyncs++;
    if (d->read_only) {
        d->stats.erofs++;
        return EROFS;
    }
    int injected = take_injected(d, f->path);
    if (d->fs == FS_EXT4_JOURNAL) {
        /* data=journal: an earlier checkpoint's failure is this fsync's answer, and this fsync
         * writes nothing. Otherwise the data goes into the journal: durable, whatever the
         * checkpoint will do; a failing checkpoint is heard by the next fsync. */
        int late = report(d, f, since);
        if (late) {
            *contract = f->wb_seq;
            return late;
        }
        flush(d, f);
        if (injected)
            wb_error(f, injected);
        promise(d, f, contract);
        return 0;
    }
    if (injected)
        writeback_failed(d, f, injected);
    else
        flush(d, f);
    int err = report(d, f, since);
    if (err)
        *contract = f->wb_seq;
    else
        promise(d, f, contract);
    return err;
}

int disk_fsync(Disk *d, guint file)
{
    CHECK_ON_RETURN(d);
    File *f = disk_file_of(d, file);
    return disk_file_fsync(d, f, &f->self_since, &f->self_contract);
}

/* ---- faults ---- */

void disk_fail_fsyncs(Disk *d, int err, guint count)
{
    disk_fail_fsyncs_matching(d, err, count, NULL);
}

void disk_fail_fsyncs_matching(Disk *d, int err, guint count, const char *pattern)
{
    g_assert(err == EIO || err == ENOSPC);
    d->fsync_err = err;
    d->fsync_fail_left = count;
    g_strlcpy(d->fail_pattern, pattern ? pattern : "", sizeof d->fail_pattern);
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

guint disk_writeback_error(Disk *d, int err, const char *pattern)
{
    CHECK_ON_RETURN(d);
    g_assert(err == EIO || err == ENOSPC);
    if (d->read_only)
        return 0;
    guint hit = 0;
    for (guint i = 0; i < d->files->len; i++) {
        File *f = file_at(d, i);
        if (!f || (f->dirty->len == 0 && !f->size_dirty))
            continue;
        if (pattern && !g_pattern_match_simple(pattern, f->path))
            continue;
        writeback_failed(d, f, err);
        d->stats.writeback_errors++;
        hit++;
    }
    return hit;
}

void disk_set_full(Disk *d, gboolean full)
{
    d->capacity = full ? d->used : G_MAXUINT64;
}

gboolean disk_is_full(const Disk *d)
{
    return d->capacity != G_MAXUINT64;
}

void disk_metadata_error(Disk *d)
{
    if (!d->read_only)
        d->stats.read_only++;
    d->read_only = TRUE;
}

gboolean disk_is_read_only(const Disk *d)
{
    return d->read_only;
}

guint disk_broken_promises(const Disk *d, DiskBlockFn fn, void *ctx)
{
    guint n = 0;
    for (guint i = 0; i < d->files->len; i++) {
        const File *f = file_at(d, i);
        for (guint k = 0; f && k < f->lost->len; k++) {
            const LostBlock *l = &g_array_index(f->lost, LostBlock, k);
            const DiskBlock *now = l->idx < f->dlen ? durable_of(f, slot_at(f, l->idx)) : NULL;
            if (!l->broken || (now && memcmp(now, content(f, l->id), sizeof *now) == 0))
                continue; /* kept, or durable all the same (written again since) */
            n++;
            if (fn)
                fn(ctx, f->num, l->idx, content(f, l->id));
        }
    }
    return n;
}

/* ---- power crashes ---- */

/* A crash mid-write of a block larger than what the device writes atomically leaves a prefix
 * of whole units: the length says how much arrived. */
static DiskBlock torn_copy(const DiskBlock *b, guint unit, SimRng *rng)
{
    DiskBlock t = *b;
    guint units = b->len > 0 ? (b->len - 1u) / unit : 0;
    uint16_t keep = (uint16_t)(sim_rng_uniform(rng, 0, units) * unit);
    t.len = keep;
    memset(t.body + keep, 0, DISK_BODY_BYTES - keep);
    return t;
}

/* Whether a change made at `seq` survives a crash planned not to draw its fates. */
static gboolean planned_keep(const PowerPlan *plan, uint64_t seq, gboolean data)
{
    if (plan->ordered)
        return seq <= plan->cut;
    switch (plan->keep) {
    case DISK_KEEP_ALL:
        return TRUE;
    case DISK_KEEP_DATA:
        return data;
    case DISK_KEEP_NAMES:
        return !data;
    default:
        return FALSE;
    }
}

/* Block idx's unsynced write reaches the disk at the crash: whole (neu is the cache content) or
 * torn (a copy). */
static void crash_keep(Disk *d, File *f, uint32_t idx, const DiskBlock *neu)
{
    Slot *s = slot_at(f, idx);
    const DiskBlock *old = durable_of(f, s);
    DiskBlock old_copy = old ? *old : disk_empty_block, copy = *neu;
    uint32_t id = block_store_put(f->store, &copy);
    block_store_unref(f->store, s->dur);
    s->dur = id;
    s->flags &= (uint8_t) ~(F_SAME | F_BAD);
    if (idx >= f->dlen)
        f->dlen = idx + 1;
    disk_notify(d, f, idx, old ? &old_copy : NULL, &copy, DISK_CHANGE_POWER);
}

static int idx_cmp(gconstpointer a, gconstpointer b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int seq_cmp(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The seed decides: below a block, each write is lost, kept or torn; a unit of several blocks
 * survives or goes whole (one draw, in block order). */
static void crash_random(Disk *d, File *f, SimRng *rng)
{
    guint per_unit = d->atomic_write / FS_RECORD_BYTES;
    if (per_unit > 1)
        g_array_sort(f->dirty, idx_cmp);
    gboolean unit_kept = FALSE;
    uint64_t unit = G_MAXUINT64;
    for (guint i = 0; i < f->dirty->len; i++) {
        uint32_t idx = g_array_index(f->dirty, uint32_t, i);
        if (idx >= f->len)
            continue;
        const DiskBlock *cached = cache_of(f, slot_at(f, idx));
        if (per_unit >= 1) {
            if (idx / per_unit != unit) {
                unit = idx / per_unit;
                unit_kept = sim_rng_chance(rng, 1, 2);
            }
            if (unit_kept) {
                d->stats.power_kept++;
                crash_keep(d, f, idx, cached);
            } else {
                d->stats.power_lost++;
            }
            continue;
        }
        uint64_t fate = sim_rng_uniform(rng, 0, 2);
        if (fate == 0) {
            d->stats.power_lost++;
        } else if (fate == 1) {
            d->stats.power_kept++;
            crash_keep(d, f, idx, cached);
        } else {
            d->stats.power_torn++;
            DiskBlock t = torn_copy(cached, d->atomic_write, rng);
            crash_keep(d, f, idx, &t);
        }
    }
}

/* After a crash the file shows what the disk holds. */
static void cache_from_disk(Disk *d, File *f)
{
    if (f->slots.len < f->dlen)
        chunks_set_size(&f->slots, f->dlen);
    for (uint32_t idx = 0; idx < f->slots.len; idx++) {
        Slot *s = slot_at(f, idx);
        s->flags &= (uint8_t) ~(F_DIRTY | F_LOSTCLEAN);
        s->flags |= F_SYNCED; /* what it shows now is what the disk holds */
        if (idx >= f->dlen) {
            disk_slot_reset(f, s);
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
    disk_file_set_len(d, f, f->dlen);
}

void disk_file_power_loss(Disk *d, File *f, const PowerPlan *plan, SimRng *rng)
{
    f->synced_low = 0; /* rare: scan again */
    if (plan->keep == DISK_KEEP_RANDOM && !plan->ordered) {
        crash_random(d, f, rng);
    } else {
        for (guint i = 0; i < f->dirty->len; i++) {
            uint32_t idx = g_array_index(f->dirty, uint32_t, i);
            if (idx >= f->len)
                continue;
            Slot *s = slot_at(f, idx);
            if (planned_keep(plan, s->seq, TRUE)) {
                d->stats.power_kept++;
                crash_keep(d, f, idx, cache_of(f, s));
            } else {
                d->stats.power_lost++;
            }
        }
    }
    for (guint i = 0; i < f->dirty->len; i++)
        slot_at(f, g_array_index(f->dirty, uint32_t, i))->flags &= (uint8_t)~F_DIRTY;
    g_array_set_size(f->dirty, 0);
    /* Count each block a failed write-back marked clean once. */
    for (uint32_t idx = 0; idx < f->slots.len; idx++)
        if (slot_at(f, idx)->flags & F_LOSTCLEAN)
            d->stats.unsynced_lost_after_eio++;
    disk_lost_forget(f, 0, UINT32_MAX);
    if (f->size_dirty && f->len < f->dlen) {
        gboolean kept = plan->keep == DISK_KEEP_RANDOM && !plan->ordered
                            ? sim_rng_chance(rng, 1, 2)
                            : planned_keep(plan, f->size_seq, FALSE);
        if (kept)
            flush_size(d, f); /* the truncation reached the disk */
    }
    f->size_dirty = FALSE;
    cache_from_disk(d, f);
}

/* ext4-journal: the crash keeps every change up to a point, chosen among the unsynced ones. */
static uint64_t choose_cut(const Disk *d, SimRng *rng)
{
    g_autoptr(GArray) seqs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (guint i = 0; i < d->files->len; i++) {
        const File *f = file_at(d, i);
        if (!f)
            continue;
        for (guint k = 0; k < f->dirty->len; k++) {
            uint32_t idx = g_array_index(f->dirty, uint32_t, k);
            if (idx < f->len) {
                uint64_t seq = slot_at(f, idx)->seq;
                g_array_append_val(seqs, seq);
            }
        }
        if (f->size_dirty)
            g_array_append_val(seqs, f->size_seq);
    }
    disk_ns_seqs(d, seqs);
    if (seqs->len == 0)
        return 0;
    g_array_sort(seqs, seq_cmp);
    guint k = (guint)sim_rng_uniform(rng, 0, seqs->len);
    return k == 0 ? 0 : g_array_index(seqs, uint64_t, k - 1);
}

void disk_power_loss(Disk *d, SimRng *rng)
{
    disk_power_loss_keep(d, rng, DISK_KEEP_RANDOM);
}

void disk_power_loss_keep(Disk *d, SimRng *rng, DiskKeep keep)
{
    CHECK_ON_RETURN(d);
    d->touched = NULL;
    disk_close_all(d);
    PowerPlan plan = {.keep = keep};
    if (d->read_only)
        plan.keep = DISK_KEEP_NONE; /* nothing reaches a read-only file system */
    else if (keep == DISK_KEEP_RANDOM && d->fs == FS_EXT4_JOURNAL)
        plan = (PowerPlan){.keep = keep, .ordered = TRUE, .cut = choose_cut(d, rng)};
    for (guint i = 0; i < d->files->len; i++)
        if (file_at(d, i))
            disk_file_power_loss(d, file_at(d, i), &plan, rng);
    disk_ns_power_loss(d, &plan, rng);
    d->read_only = FALSE; /* the power cycle mounts it again */
}

const char *disk_keep_name(DiskKeep k)
{
    static const char *names[] = {"random", "none", "all", "data", "names"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == DISK_KEEP_COUNT);
    g_assert((unsigned)k < DISK_KEEP_COUNT);
    return names[k];
}

gboolean disk_keep_parse(const char *text, DiskKeep *out)
{
    for (DiskKeep k = 0; k < DISK_KEEP_COUNT; k++) {
        if (strcmp(text, disk_keep_name(k)) == 0) {
            *out = k;
            return TRUE;
        }
    }
    return FALSE;
}

void disk_set_kernel(Disk *d, FsKernel kernel)
{
    d->kernel = kernel;
}

void disk_set_atomic_write(Disk *d, guint bytes)
{
    g_assert(bytes > 0 && (bytes & (bytes - 1)) == 0);
    d->atomic_write = bytes;
}
