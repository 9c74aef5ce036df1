/* tests/test_disk.c — the disk model on its own (no world): page cache and durable image, the
 * four file-system profiles' failed-fsync behaviour, power loss, media faults, and the
 * ground-truth predicates the oracles rely on. Every step is followed by disk_check_invariants. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/world/disk.h"

#include <errno.h>
#include <string.h>

#define REC_TYPE 7
#define REC_LEN  40
#define FILE_A   0
#define FILE_B   1

/* A sealed record whose every body byte is `tag` (tags are never 0). */
static DiskBlock rec(uint8_t tag)
{
    uint8_t body[REC_LEN];
    memset(body, tag, sizeof body);
    DiskBlock b;
    disk_block_seal(&b, REC_TYPE, body, REC_LEN);
    return b;
}

static Disk *new_disk(FsProfile fs)
{
    Disk *d = disk_new(fs, 2);
    disk_check_invariants(d);
    return d;
}

static void put(Disk *d, guint file, uint32_t idx, uint8_t tag)
{
    DiskBlock b = rec(tag);
    assert_int_equal(disk_write(d, file, idx, &b), 0);
    disk_check_invariants(d);
}

static int sync_file(Disk *d, guint file)
{
    int r = disk_fsync(d, file);
    disk_check_invariants(d);
    return r;
}

static void power_loss(Disk *d, uint64_t seed)
{
    SimRng rng;
    sim_rng_seed(&rng, seed);
    disk_power_loss(d, &rng);
    disk_check_invariants(d);
}

/* What the page cache shows at idx: the record's tag, 0 for an empty block; fails on anything
 * else (an unreadable, torn or corrupt block). */
static uint8_t tag_at(const Disk *d, guint file, uint32_t idx)
{
    DiskBlock b;
    assert_true(idx < disk_length(d, file));
    assert_int_equal(disk_read(d, file, idx, &b), 0);
    BlockCheck c = disk_block_check(&b, REC_LEN);
    if (c == BLOCK_EMPTY)
        return 0;
    assert_int_equal(c, BLOCK_OK);
    return b.body[0];
}

/* The durable image's tag at idx, 0 for none or an empty block. */
static uint8_t durable_tag(const Disk *d, guint file, uint32_t idx)
{
    DiskBlock b;
    if (!disk_durable_block(d, file, idx, &b))
        return 0;
    BlockCheck c = disk_block_check(&b, REC_LEN);
    if (c == BLOCK_EMPTY)
        return 0;
    assert_int_equal(c, BLOCK_OK);
    return b.body[0];
}

/* Writes tags[0..n) at blocks 0..n-1 and makes them durable. */
static void put_synced(Disk *d, guint file, const uint8_t *tags, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        put(d, file, i, tags[i]);
    assert_int_equal(sync_file(d, file), 0);
}

/* ---- the durable-image observer ---- */

typedef struct {
    guint file;
    uint32_t idx;
    int old_tag; /* -1: no old content; otherwise body[0] */
    int new_tag;
    DiskChange cause;
} Change;

static int tag_of(const DiskBlock *b)
{
    return b ? b->body[0] : -1;
}

static void record_change(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                          const DiskBlock *neu, DiskChange cause)
{
    Change c = {file, idx, tag_of(old), tag_of(neu), cause};
    g_array_append_val((GArray *)ctx, c);
}

static void assert_change(const GArray *log, guint i, uint32_t idx, int old_tag, int new_tag,
                          DiskChange cause)
{
    assert_true(i < log->len);
    const Change *c = &g_array_index(log, Change, i);
    assert_int_equal(c->file, FILE_A);
    assert_int_equal(c->idx, idx);
    assert_int_equal(c->old_tag, old_tag);
    assert_int_equal(c->new_tag, new_tag);
    assert_int_equal(c->cause, cause);
}

/* ---- tests ---- */

/* A write shows in the page cache at once but reaches the durable image only with an fsync. */
static void test_disk_write_is_cached_until_fsync_makes_it_durable(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    put(d, FILE_A, 1, 2);
    assert_int_equal(disk_length(d, FILE_A), 2);
    assert_int_equal(tag_at(d, FILE_A, 1), 2);
    assert_int_equal(disk_durable_length(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 0), 0);
    assert_false(disk_is_durable(d, FILE_A, 0));
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(disk_durable_length(d, FILE_A), 2);
    assert_int_equal(durable_tag(d, FILE_A, 0), 1);
    assert_int_equal(durable_tag(d, FILE_A, 1), 2);
    assert_true(disk_is_durable(d, FILE_A, 1));
    assert_int_equal(disk_stats(d)->writes, 2);
    assert_int_equal(disk_stats(d)->fsyncs, 1);
}

/* ext4-ordered and xfs: the failed fsync returns EIO, reads still show the new bytes, the next
 * fsync returns 0 without writing them, and a power crash then shows the old content (and a
 * hole where the appended block was: the length is metadata and did reach the disk). */
static void test_disk_fsync_after_eio_returns_zero_and_loses_data(void **state)
{
    const FsProfile profiles[] = {FS_EXT4_ORDERED, FS_XFS};
    for (gsize p = 0; p < G_N_ELEMENTS(profiles); p++) {
        g_autoptr(Disk) d = new_disk(profiles[p]);
        put(d, FILE_A, 0, 1);
        assert_int_equal(sync_file(d, FILE_A), 0);
        put(d, FILE_A, 0, 2); /* overwrite */
        put(d, FILE_A, 1, 3); /* append */
        disk_fail_fsyncs(d, EIO, 1);
        assert_int_equal(sync_file(d, FILE_A), EIO);
        assert_int_equal(tag_at(d, FILE_A, 0), 2);
        assert_int_equal(tag_at(d, FILE_A, 1), 3);
        assert_int_equal(sync_file(d, FILE_A), 0);
        assert_int_equal(tag_at(d, FILE_A, 0), 2);
        assert_int_equal(durable_tag(d, FILE_A, 0), 1);
        assert_int_equal(durable_tag(d, FILE_A, 1), 0);
        assert_int_equal(disk_durable_length(d, FILE_A), 2);
        assert_false(disk_is_durable(d, FILE_A, 0));
        assert_false(disk_prefix_was_synced(d, FILE_A, 1));
        assert_int_equal(disk_stats(d)->fsync_errors, 1);
        power_loss(d, 1);
        assert_int_equal(disk_length(d, FILE_A), 2);
        assert_int_equal(tag_at(d, FILE_A, 0), 1);
        assert_int_equal(tag_at(d, FILE_A, 1), 0);
        assert_int_equal(disk_stats(d)->unsynced_lost_after_eio, 2);
        assert_int_equal(disk_stats(d)->power_kept + disk_stats(d)->power_torn, 0);
    }
}

/* The count of blocks lost after a failed fsync names each lost block once: not twice for two
 * failed fsyncs of one block, and not at all for a block rewritten and synced since. */
static void test_disk_stats_count_each_block_lost_after_eio_once(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    put(d, FILE_A, 1, 2);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    put(d, FILE_A, 0, 3);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    put(d, FILE_A, 1, 4);
    assert_int_equal(sync_file(d, FILE_A), 0);
    power_loss(d, 1);
    assert_int_equal(disk_stats(d)->unsynced_lost_after_eio, 1);
    assert_int_equal(tag_at(d, FILE_A, 0), 0);
    assert_int_equal(tag_at(d, FILE_A, 1), 4);
}

/* ext4-journal (data=journal): a successful fsync means the data is in the journal, durable,
 * even when the later write-back (the checkpoint) fails; that failure is reported by the next
 * fsync of the file, which writes nothing (its dirty block stays dirty); the one after writes it.
 * A power crash keeps what the journal holds. */
static void test_disk_ext4_journal_fsync_is_durable_and_reports_the_checkpoint_late(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_JOURNAL);
    put(d, FILE_A, 0, 1);
    assert_int_equal(sync_file(d, FILE_A), 0);
    put(d, FILE_A, 0, 2);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(disk_stats(d)->fsync_errors, 1);
    assert_true(disk_is_durable(d, FILE_A, 0));
    assert_int_equal(durable_tag(d, FILE_A, 0), 2);
    put(d, FILE_A, 1, 3);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_false(disk_is_durable(d, FILE_A, 1));
    assert_int_equal(tag_at(d, FILE_A, 1), 3);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 1), 3);
    power_loss(d, 1);
    assert_int_equal(tag_at(d, FILE_A, 0), 2);
    assert_int_equal(tag_at(d, FILE_A, 1), 3);
    assert_int_equal(disk_stats(d)->broken_promises, 0);
}

/* btrfs: the failed fsync returns EIO and the file reverts to its durable content and length;
 * later writes and fsyncs work as usual. */
static void test_disk_btrfs_failed_fsync_reverts_page_cache(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_BTRFS);
    put(d, FILE_A, 0, 1);
    assert_int_equal(sync_file(d, FILE_A), 0);
    put(d, FILE_A, 0, 2);
    put(d, FILE_A, 1, 3);
    put(d, FILE_A, 2, 4);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(disk_length(d, FILE_A), 1);
    assert_int_equal(tag_at(d, FILE_A, 0), 1);
    assert_true(disk_is_durable(d, FILE_A, 0));
    assert_true(disk_prefix_is_durable(d, FILE_A, 1));
    put(d, FILE_A, 1, 5);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 1), 5);
    assert_true(disk_prefix_is_durable(d, FILE_A, 2));

    /* A truncation not yet durable is undone too. */
    assert_int_equal(disk_truncate(d, FILE_A, 1), 0);
    disk_check_invariants(d);
    assert_int_equal(disk_length(d, FILE_A), 1);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(disk_length(d, FILE_A), 2);
    assert_int_equal(tag_at(d, FILE_A, 1), 5);
}

/* Each profile reports the injected errno (ENOSPC as well as EIO) at the call it reports it. */
static void test_disk_failed_fsync_reports_the_injected_errno(void **state)
{
    for (FsProfile fs = 0; fs < FS_PROFILE_COUNT; fs++) {
        g_autoptr(Disk) d = new_disk(fs);
        put(d, FILE_A, 0, 1);
        disk_fail_fsyncs(d, ENOSPC, 1);
        int first = sync_file(d, FILE_A);
        int second = sync_file(d, FILE_A);
        if (fs == FS_EXT4_JOURNAL) {
            assert_int_equal(first, 0); /* the data is in the journal: durable */
            assert_true(disk_is_durable(d, FILE_A, 0));
            assert_int_equal(second, ENOSPC);
        } else {
            assert_int_equal(first, ENOSPC);
            assert_int_equal(second, 0);
        }
        assert_int_equal(disk_failures_pending(d), 0);
    }
}

/* The durable-image observer sees every change and only changes, each with its cause: fsync,
 * a durable truncation, a sector error, corruption and wipe; a failed fsync changes nothing. */
static void test_disk_observer_sees_each_durable_change_with_its_cause(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(Change));
    disk_set_observer(d, record_change, log);
    SimRng rng;
    sim_rng_seed(&rng, 3);

    put(d, FILE_A, 0, 1);
    put(d, FILE_A, 1, 2);
    assert_int_equal(log->len, 0);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(log->len, 2);
    assert_change(log, 0, 0, -1, 1, DISK_CHANGE_SYNC);
    assert_change(log, 1, 1, -1, 2, DISK_CHANGE_SYNC);
    assert_int_equal(sync_file(d, FILE_A), 0); /* nothing dirty: no change */
    assert_int_equal(log->len, 2);

    put(d, FILE_A, 0, 3);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(log->len, 2); /* the lost write never reached the durable image */

    put(d, FILE_A, 0, 4);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_change(log, 2, 0, 1, 4, DISK_CHANGE_SYNC);

    assert_int_equal(disk_truncate(d, FILE_A, 1), 0);
    assert_int_equal(log->len, 3);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_change(log, 3, 1, 2, -1, DISK_CHANGE_SIZE);

    assert_int_equal(disk_add_sector_errors(d, &rng, 1), 1);
    disk_check_invariants(d);
    assert_change(log, 4, 0, 4, -1, DISK_CHANGE_MEDIA);

    put(d, FILE_A, 0, 5);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_change(log, 5, 0, -1, 5, DISK_CHANGE_SYNC);

    assert_int_equal(disk_corrupt(d, &rng, 1), 1);
    disk_check_invariants(d);
    assert_int_equal(log->len, 7);
    assert_int_equal(g_array_index(log, Change, 6).cause, DISK_CHANGE_MEDIA);
    assert_int_equal(g_array_index(log, Change, 6).old_tag, 5);

    put(d, FILE_B, 0, 6); /* never durable: wipe reports no change for it */
    disk_wipe(d);
    disk_check_invariants(d);
    assert_int_equal(log->len, 8);
    assert_int_equal(g_array_index(log, Change, 7).idx, 0);
    assert_int_equal(g_array_index(log, Change, 7).new_tag, -1);
    assert_int_equal(g_array_index(log, Change, 7).cause, DISK_CHANGE_WIPE);
}

typedef struct {
    guint lost, kept, torn, hole;
} Fates;

/* One power loss of four unsynced writes (two overwrites, two appends) on top of four durable
 * blocks, on a device writing `atomic` bytes atomically; checks each block's fate against the
 * stats and the observer, and counts the fates. */
static void power_loss_round(uint64_t seed, guint atomic, Fates *fates)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    disk_set_atomic_write(d, atomic);
    g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(Change));
    const uint8_t old[] = {1, 2, 3, 4};
    put_synced(d, FILE_A, old, 4);
    disk_set_observer(d, record_change, log);
    const uint32_t idx[] = {1, 3, 4, 5};
    const uint8_t neu[] = {11, 13, 15, 16};
    for (gsize i = 0; i < G_N_ELEMENTS(idx); i++)
        put(d, FILE_A, idx[i], neu[i]);
    power_loss(d, seed);

    const DiskStats *st = disk_stats(d);
    assert_int_equal(st->power_lost + st->power_kept + st->power_torn, 4);
    assert_int_equal(log->len, st->power_kept + st->power_torn);
    for (guint i = 0; i < log->len; i++)
        assert_int_equal(g_array_index(log, Change, i).cause, DISK_CHANGE_POWER);
    assert_int_equal(tag_at(d, FILE_A, 0), 1);
    assert_int_equal(tag_at(d, FILE_A, 2), 3);
    assert_true(disk_prefix_is_durable(d, FILE_A, disk_length(d, FILE_A)));
    guint lost = 0, kept = 0, torn = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(idx); i++) {
        uint32_t at = idx[i];
        int before = at < 4 ? old[at] : -1;
        gboolean changed = FALSE;
        for (guint k = 0; k < log->len; k++)
            changed = changed || g_array_index(log, Change, k).idx == at;
        if (at >= disk_length(d, FILE_A)) {
            assert_int_equal(before, -1); /* only appends can vanish */
            assert_false(changed);
            lost++;
            continue;
        }
        DiskBlock b;
        assert_int_equal(disk_read(d, FILE_A, at, &b), 0);
        BlockCheck c = disk_block_check(&b, REC_LEN);
        if (c == BLOCK_TORN) {
            assert_true(b.len < REC_LEN);
            assert_true(atomic < FS_RECORD_BYTES && b.len % atomic == 0);
            for (uint16_t j = 0; j < b.len; j++)
                assert_int_equal(b.body[j], neu[i]);
            assert_true(changed);
            torn++;
        } else if (c == BLOCK_EMPTY) {
            assert_int_equal(before, -1); /* a lost append below a kept one: a hole */
            assert_false(changed);
            lost++;
            fates->hole++;
        } else {
            assert_int_equal(c, BLOCK_OK);
            assert_true(b.body[0] == neu[i] || b.body[0] == before);
            assert_int_equal(changed, b.body[0] == neu[i]);
            if (b.body[0] == neu[i])
                kept++;
            else
                lost++;
        }
    }
    assert_int_equal(lost, st->power_lost);
    assert_int_equal(kept, st->power_kept);
    assert_int_equal(torn, st->power_torn);
    fates->lost += lost;
    fates->kept += kept;
    fates->torn += torn;
}

/* On a device that writes less than a block atomically (here 1 and 8 bytes), a power crash
 * loses, keeps or tears each unsynced write as the seed decides: over many seeds all three fates
 * occur, a torn block checks as BLOCK_TORN (cut at a multiple of the unit), a lost append below
 * a kept one as BLOCK_EMPTY, and durable blocks are untouched. */
static void test_disk_power_loss_loses_keeps_or_tears_each_unsynced_write(void **state)
{
    const guint units[] = {1, 8};
    for (guint u = 0; u < G_N_ELEMENTS(units); u++) {
        Fates fates = {0};
        for (uint64_t seed = 1; seed <= 200; seed++)
            power_loss_round(seed, units[u], &fates);
        assert_true(fates.lost > 0);
        assert_true(fates.kept > 0);
        assert_true(fates.torn > 0);
        assert_true(fates.hole > 0);
    }
}

/* Sector and page granularity: a device that writes 64 bytes (a block) or more atomically never
 * tears a block; with 512-byte sectors (8 blocks) the unsynced writes of one sector survive or
 * go together, over seeds both ways. */
static void test_disk_power_loss_never_tears_below_the_atomic_unit(void **state)
{
    const guint units[] = {64, 512, 4096};
    for (guint u = 0; u < G_N_ELEMENTS(units); u++) {
        Fates fates = {0};
        for (uint64_t seed = 1; seed <= 100; seed++) {
            Fates one = {0};
            power_loss_round(seed, units[u], &one);
            assert_int_equal(one.torn, 0);
            if (units[u] >= 512) /* blocks 1, 3, 4, 5: one sector */
                assert_true(one.kept == 0 || one.kept == 4);
            fates.lost += one.lost;
            fates.kept += one.kept;
        }
        assert_true(fates.lost > 0 && fates.kept > 0);
    }
}

/* The same seed decides the same fates: power loss is deterministic. */
static void test_disk_power_loss_is_decided_by_the_seed(void **state)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        Fates a = {0}, b = {0};
        power_loss_round(seed, 1, &a);
        power_loss_round(seed, 1, &b);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

/* A process crash makes no disk call: the page cache survives, the next incarnation reads the
 * unsynced writes back, and its fsync makes them durable. */
static void test_disk_process_crash_keeps_page_cache_and_a_later_fsync_flushes_it(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    assert_int_equal(sync_file(d, FILE_A), 0);
    put(d, FILE_A, 0, 2);
    put(d, FILE_A, 1, 3);
    /* The process dies here; the disk is what the restarted process finds. */
    assert_int_equal(disk_length(d, FILE_A), 2);
    assert_int_equal(tag_at(d, FILE_A, 0), 2);
    assert_int_equal(tag_at(d, FILE_A, 1), 3);
    assert_int_equal(durable_tag(d, FILE_A, 0), 1);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 0), 2);
    assert_int_equal(durable_tag(d, FILE_A, 1), 3);
    power_loss(d, 7);
    assert_int_equal(tag_at(d, FILE_A, 0), 2);
    assert_int_equal(tag_at(d, FILE_A, 1), 3);
}

/* A truncation shortens what reads show at once, but the durable length only after an fsync;
 * a power crash before it leaves either length, never a block of unknown content. */
static void test_disk_truncate_is_durable_only_after_fsync(void **state)
{
    const uint8_t tags[] = {1, 2, 3, 4};
    guint shortened = 0, kept_long = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
        put_synced(d, FILE_A, tags, 4);
        assert_int_equal(disk_truncate(d, FILE_A, 2), 0);
        disk_check_invariants(d);
        assert_int_equal(disk_length(d, FILE_A), 2);
        assert_int_equal(disk_durable_length(d, FILE_A), 4);
        assert_int_equal(durable_tag(d, FILE_A, 3), 4);
        power_loss(d, seed);
        uint32_t len = disk_length(d, FILE_A);
        assert_true(len == 2 || len == 4);
        for (uint32_t i = 0; i < len; i++)
            assert_int_equal(tag_at(d, FILE_A, i), tags[i]);
        if (len == 2)
            shortened++;
        else
            kept_long++;
    }
    assert_true(shortened > 0 && kept_long > 0);

    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put_synced(d, FILE_A, tags, 4);
    assert_int_equal(disk_truncate(d, FILE_A, 2), 0);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(disk_durable_length(d, FILE_A), 2);
    assert_int_equal(durable_tag(d, FILE_A, 3), 0);
    power_loss(d, 1);
    assert_int_equal(disk_length(d, FILE_A), 2);
}

/* Injected write errors (EIO and ENOSPC) fail exactly the next writes, change nothing, and are
 * counted; a truncation uses one up too. */
static void test_disk_write_errors_fail_the_next_writes_and_change_nothing(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    disk_fail_writes(d, ENOSPC, 2);
    assert_int_equal(disk_failures_pending(d), 2);
    DiskBlock b = rec(2);
    assert_int_equal(disk_write(d, FILE_A, 0, &b), ENOSPC);
    assert_int_equal(disk_write(d, FILE_A, 1, &b), ENOSPC);
    disk_check_invariants(d);
    assert_int_equal(disk_length(d, FILE_A), 1);
    assert_int_equal(tag_at(d, FILE_A, 0), 1);
    assert_int_equal(disk_failures_pending(d), 0);
    assert_int_equal(disk_write(d, FILE_A, 1, &b), 0);
    assert_int_equal(disk_stats(d)->write_errors, 2);

    disk_fail_writes(d, EIO, 1);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(disk_failures_pending(d), 2);
    assert_int_equal(disk_truncate(d, FILE_A, 1), EIO);
    disk_check_invariants(d);
    assert_int_equal(disk_length(d, FILE_A), 2);
    assert_int_equal(disk_failures_pending(d), 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(disk_failures_pending(d), 0);
    assert_int_equal(disk_stats(d)->write_errors, 3);
}

/* Returns the one block of FILE_A (below n) that does not read back as written, by index. */
static uint32_t find_damaged(const Disk *d, uint32_t n, int *err, BlockCheck *check)
{
    uint32_t found = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        DiskBlock b;
        int r = disk_read(d, FILE_A, i, &b);
        BlockCheck c = r == 0 ? disk_block_check(&b, REC_LEN) : BLOCK_OK;
        if (r != 0 || c != BLOCK_OK) {
            assert_int_equal(found, UINT32_MAX);
            found = i;
            *err = r;
            *check = c;
        }
    }
    assert_int_not_equal(found, UINT32_MAX);
    return found;
}

/* A latent sector error makes one durable block return EIO, even after a power crash, until it
 * is rewritten; the rewrite reads back and an fsync makes it durable again. Only synced blocks
 * are candidates. */
static void test_disk_sector_error_returns_eio_until_rewritten(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    const uint8_t tags[] = {1, 2, 3};
    put_synced(d, FILE_A, tags, 3);
    SimRng rng;
    sim_rng_seed(&rng, 11);
    assert_int_equal(disk_add_sector_errors(d, &rng, 1), 1);
    disk_check_invariants(d);
    int err = 0;
    BlockCheck check;
    uint32_t bad = find_damaged(d, 3, &err, &check);
    assert_int_equal(err, EIO);
    assert_int_equal(durable_tag(d, FILE_A, bad), 0);
    assert_false(disk_is_durable(d, FILE_A, bad));
    assert_true(disk_stats(d)->read_errors >= 1);
    power_loss(d, 5);
    DiskBlock b;
    assert_int_equal(disk_read(d, FILE_A, bad, &b), EIO);
    put(d, FILE_A, bad, 9);
    assert_int_equal(tag_at(d, FILE_A, bad), 9);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, bad), 9);
    assert_true(disk_is_durable(d, FILE_A, bad));

    /* Unsynced blocks are never hit: asking for more hits only the two synced ones. */
    g_autoptr(Disk) fresh = new_disk(FS_EXT4_ORDERED);
    put_synced(fresh, FILE_A, tags, 2);
    put(fresh, FILE_A, 2, 3);
    assert_int_equal(disk_add_sector_errors(fresh, &rng, 10), 2);
    assert_int_equal(tag_at(fresh, FILE_A, 2), 3);
}

/* Silent corruption alters a durable block so that its checksum fails (BLOCK_CORRUPT); the
 * other blocks and unsynced writes are untouched. */
static void test_disk_corruption_is_detected_by_checksum(void **state)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        g_autoptr(Disk) d = new_disk(FS_XFS);
        const uint8_t tags[] = {1, 2, 3, 4};
        put_synced(d, FILE_A, tags, 4);
        put(d, FILE_A, 4, 5);
        SimRng rng;
        sim_rng_seed(&rng, seed);
        assert_int_equal(disk_corrupt(d, &rng, 1), 1);
        disk_check_invariants(d);
        int err = -1;
        BlockCheck check = BLOCK_OK;
        uint32_t bad = find_damaged(d, 5, &err, &check);
        assert_int_equal(err, 0);
        assert_int_equal(check, BLOCK_CORRUPT);
        assert_true(bad < 4);
        DiskBlock b;
        assert_true(disk_durable_block(d, FILE_A, bad, &b));
        assert_int_equal(disk_block_check(&b, REC_LEN), BLOCK_CORRUPT);
    }
}

/* disk_block_check tells a good block, a never-written one, a torn one and a corrupt one apart. */
static void test_disk_block_check_classifies_ok_empty_torn_corrupt(void **state)
{
    DiskBlock b = rec(5);
    assert_int_equal(disk_block_check(&b, REC_LEN), BLOCK_OK);
    DiskBlock empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(disk_block_check(&empty, REC_LEN), BLOCK_EMPTY);
    DiskBlock torn = b;
    torn.len = REC_LEN / 2;
    memset(torn.body + torn.len, 0, DISK_BODY_BYTES - torn.len);
    assert_int_equal(disk_block_check(&torn, REC_LEN), BLOCK_TORN);
    DiskBlock flipped = b;
    flipped.body[REC_LEN - 1] ^= 0x10;
    assert_int_equal(disk_block_check(&flipped, REC_LEN), BLOCK_CORRUPT);
    DiskBlock retyped = b;
    retyped.type = REC_TYPE + 1;
    assert_int_equal(disk_block_check(&retyped, REC_LEN), BLOCK_CORRUPT);
    assert_int_equal(disk_block_check(&b, REC_LEN - 1), BLOCK_CORRUPT);
}

/* was_synced: every block below len reached the durable image after it was last written (media
 * damage notwithstanding); is_durable / prefix_is_durable: the durable image holds exactly what
 * reads show. An overwrite, a failed fsync and a sector error each make the difference. */
static void test_disk_durability_predicates_follow_writes_fsyncs_and_damage(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    const uint8_t tags[] = {1, 2, 3};
    for (uint32_t i = 0; i < 3; i++)
        put(d, FILE_A, i, tags[i]);
    assert_true(disk_prefix_was_synced(d, FILE_A, 0));
    assert_true(disk_prefix_is_durable(d, FILE_A, 0));
    assert_false(disk_prefix_was_synced(d, FILE_A, 1));
    assert_false(disk_prefix_is_durable(d, FILE_A, 1));
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_true(disk_prefix_was_synced(d, FILE_A, 3));
    assert_true(disk_prefix_is_durable(d, FILE_A, 3));
    assert_false(disk_prefix_was_synced(d, FILE_A, 4));
    assert_false(disk_prefix_is_durable(d, FILE_A, 4));

    /* An overwrite is not synced until its own fsync. */
    put(d, FILE_A, 1, 12);
    assert_true(disk_prefix_was_synced(d, FILE_A, 1));
    assert_false(disk_prefix_was_synced(d, FILE_A, 2));
    assert_true(disk_prefix_is_durable(d, FILE_A, 1));
    assert_false(disk_prefix_is_durable(d, FILE_A, 2));
    assert_true(disk_is_durable(d, FILE_A, 0));
    assert_false(disk_is_durable(d, FILE_A, 1));
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_true(disk_prefix_was_synced(d, FILE_A, 3));
    assert_true(disk_is_durable(d, FILE_A, 1));

    /* After a failed fsync, the 0 of the next one proves nothing. */
    put(d, FILE_A, 2, 13);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_false(disk_prefix_was_synced(d, FILE_A, 3));
    assert_false(disk_prefix_is_durable(d, FILE_A, 3));
    assert_false(disk_is_durable(d, FILE_A, 2));
    assert_true(disk_prefix_is_durable(d, FILE_A, 2));
    put(d, FILE_A, 2, 14);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_true(disk_prefix_was_synced(d, FILE_A, 3));
    assert_true(disk_prefix_is_durable(d, FILE_A, 3));

    /* A sector error: still synced (the node did its part), no longer durable as shown. */
    SimRng rng;
    sim_rng_seed(&rng, 2);
    assert_int_equal(disk_add_sector_errors(d, &rng, 1), 1);
    int err = 0;
    BlockCheck check;
    uint32_t bad = find_damaged(d, 3, &err, &check);
    assert_true(disk_prefix_was_synced(d, FILE_A, 3));
    assert_false(disk_is_durable(d, FILE_A, bad));
    assert_false(disk_prefix_is_durable(d, FILE_A, bad + 1));
    assert_true(disk_prefix_is_durable(d, FILE_A, bad));
}

/* Writing past the end leaves a hole that reads as empty blocks, before and after an fsync and
 * across a power crash; filling the hole later works like any write. */
static void test_disk_write_past_end_leaves_a_hole(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    put(d, FILE_A, 3, 4);
    assert_int_equal(disk_length(d, FILE_A), 4);
    DiskBlock b;
    for (uint32_t i = 1; i <= 2; i++) {
        assert_int_equal(disk_read(d, FILE_A, i, &b), 0);
        assert_int_equal(disk_block_check(&b, REC_LEN), BLOCK_EMPTY);
    }
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(disk_durable_length(d, FILE_A), 4);
    assert_int_equal(durable_tag(d, FILE_A, 3), 4);
    power_loss(d, 9);
    assert_int_equal(disk_length(d, FILE_A), 4);
    assert_int_equal(tag_at(d, FILE_A, 0), 1);
    assert_int_equal(tag_at(d, FILE_A, 1), 0);
    assert_int_equal(tag_at(d, FILE_A, 2), 0);
    assert_int_equal(tag_at(d, FILE_A, 3), 4);
    put(d, FILE_A, 2, 3);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 2), 3);
    assert_int_equal(disk_length(d, FILE_A), 4);
}

/* A truncation followed by a write past the new end leaves a hole too: the truncated blocks read
 * as empty, not as their old content, and stay so once synced and across a power crash. */
static void test_disk_write_past_truncated_end_leaves_a_hole(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    const uint8_t tags[] = {1, 2, 3, 4};
    put_synced(d, FILE_A, tags, 4);
    assert_int_equal(disk_truncate(d, FILE_A, 1), 0);
    put(d, FILE_A, 3, 9);
    assert_int_equal(disk_length(d, FILE_A), 4);
    assert_int_equal(tag_at(d, FILE_A, 1), 0);
    assert_int_equal(tag_at(d, FILE_A, 2), 0);
    assert_false(disk_prefix_is_durable(d, FILE_A, 2));
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 1), 0);
    assert_int_equal(durable_tag(d, FILE_A, 2), 0);
    assert_true(disk_prefix_is_durable(d, FILE_A, 4));
    power_loss(d, 3);
    assert_int_equal(tag_at(d, FILE_A, 0), 1);
    assert_int_equal(tag_at(d, FILE_A, 1), 0);
    assert_int_equal(tag_at(d, FILE_A, 2), 0);
    assert_int_equal(tag_at(d, FILE_A, 3), 9);
}

/* ftruncate(2) may also grow a file: the new blocks are a hole, durable only once synced. */
static void test_disk_truncate_upwards_leaves_a_hole(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    const uint8_t tags[] = {1, 2};
    put_synced(d, FILE_A, tags, 2);
    assert_int_equal(disk_truncate(d, FILE_A, 4), 0);
    disk_check_invariants(d);
    assert_int_equal(disk_length(d, FILE_A), 4);
    assert_int_equal(tag_at(d, FILE_A, 1), 2);
    assert_int_equal(tag_at(d, FILE_A, 3), 0);
    assert_int_equal(disk_durable_length(d, FILE_A), 2);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(disk_durable_length(d, FILE_A), 4);
    assert_int_equal(durable_tag(d, FILE_A, 3), 0);
    assert_true(disk_prefix_is_durable(d, FILE_A, 4));
}

typedef struct {
    const Disk *d;
    guint seen;
    guint readable; /* of those, how many the durable image already showed */
} Watch;

static void watch_durable(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                          const DiskBlock *neu, DiskChange cause)
{
    Watch *w = ctx;
    DiskBlock b;
    if (!neu)
        return;
    w->seen++;
    if (disk_durable_block(w->d, file, idx, &b) && memcmp(&b, neu, sizeof b) == 0)
        w->readable++;
}

/* An observer told that a block became durable can read it back from the durable image at once,
 * also for blocks past the old durable end (the new length is durable first). */
static void test_disk_observer_sees_new_blocks_durable(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    Watch w = {d, 0, 0};
    disk_set_observer(d, watch_durable, &w);
    put(d, FILE_A, 0, 1);
    put(d, FILE_A, 1, 2);
    put(d, FILE_A, 2, 3);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(w.seen, 3);
    assert_int_equal(w.readable, 3);
}

/* Disk loss wipes the durable image, the page cache and pending injected failures of every file;
 * the disk then works as a new one. */
static void test_disk_wipe_loses_everything(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    const uint8_t tags[] = {1, 2};
    put_synced(d, FILE_A, tags, 2);
    put(d, FILE_B, 0, 3);
    disk_fail_fsyncs(d, EIO, 3);
    disk_fail_writes(d, EIO, 3);
    disk_wipe(d);
    disk_check_invariants(d);
    for (guint f = 0; f < disk_nfiles(d); f++) {
        assert_int_equal(disk_length(d, f), 0);
        assert_int_equal(disk_durable_length(d, f), 0);
    }
    assert_int_equal(disk_failures_pending(d), 0);
    put(d, FILE_A, 0, 4);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_int_equal(durable_tag(d, FILE_A, 0), 4);
}

/* An fsync covers only its own file: the other file's writes stay unsynced, and a failed fsync
 * of one file does not mark the other's pages clean. */
static void test_disk_fsync_covers_only_its_file(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    put(d, FILE_A, 0, 1);
    put(d, FILE_B, 0, 2);
    assert_int_equal(sync_file(d, FILE_A), 0);
    assert_true(disk_is_durable(d, FILE_A, 0));
    assert_false(disk_is_durable(d, FILE_B, 0));
    put(d, FILE_A, 1, 3);
    disk_fail_fsyncs(d, EIO, 1);
    assert_int_equal(sync_file(d, FILE_A), EIO);
    assert_int_equal(sync_file(d, FILE_B), 0);
    assert_true(disk_is_durable(d, FILE_B, 0));
    assert_false(disk_is_durable(d, FILE_A, 1));
}

/* Disks that share a block store keep each distinct content once, yet each disk's blocks are its
 * own: damage to one copy leaves the other intact, and dropping every block empties the store. */
static void test_disk_shared_store_dedups_contents_but_not_damage(void **state)
{
    BlockStore *st = block_store_new();
    Disk *a = disk_new_shared(FS_EXT4_ORDERED, 2, st);
    Disk *b = disk_new_shared(FS_EXT4_ORDERED, 2, st);
    const uint8_t tags[] = {1, 2, 3};
    put_synced(a, FILE_A, tags, 3);
    put_synced(b, FILE_A, tags, 3);
    assert_int_equal(block_store_live(st), 3);
    put(b, FILE_A, 0, 4); /* b's block 0 changes; a's stays */
    assert_int_equal(block_store_live(st), 4);
    assert_int_equal(durable_tag(a, FILE_A, 0), 1);
    assert_int_equal(sync_file(b, FILE_A), 0);
    assert_int_equal(durable_tag(b, FILE_A, 0), 4);
    SimRng rng;
    sim_rng_seed(&rng, 5);
    assert_int_equal(disk_corrupt(a, &rng, 3), 3); /* every synced block of a */
    disk_check_invariants(a);
    for (uint32_t i = 1; i < 3; i++) {
        DiskBlock out;
        assert_true(disk_durable_block(b, FILE_A, i, &out));
        assert_int_equal(disk_block_check(&out, REC_LEN), BLOCK_OK);
        assert_true(disk_durable_block(a, FILE_A, i, &out));
        assert_int_equal(disk_block_check(&out, REC_LEN), BLOCK_CORRUPT);
    }
    disk_wipe(a);
    disk_check_invariants(b);
    assert_int_equal(durable_tag(b, FILE_A, 1), 2);
    disk_wipe(b);
    assert_int_equal(block_store_live(st), 0);
    disk_free(a);
    disk_free(b);
    block_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_write_is_cached_until_fsync_makes_it_durable),
        cmocka_unit_test(test_disk_fsync_after_eio_returns_zero_and_loses_data),
        cmocka_unit_test(test_disk_stats_count_each_block_lost_after_eio_once),
        cmocka_unit_test(test_disk_ext4_journal_fsync_is_durable_and_reports_the_checkpoint_late),
        cmocka_unit_test(test_disk_btrfs_failed_fsync_reverts_page_cache),
        cmocka_unit_test(test_disk_failed_fsync_reports_the_injected_errno),
        cmocka_unit_test(test_disk_observer_sees_each_durable_change_with_its_cause),
        cmocka_unit_test(test_disk_power_loss_loses_keeps_or_tears_each_unsynced_write),
        cmocka_unit_test(test_disk_power_loss_never_tears_below_the_atomic_unit),
        cmocka_unit_test(test_disk_power_loss_is_decided_by_the_seed),
        cmocka_unit_test(test_disk_process_crash_keeps_page_cache_and_a_later_fsync_flushes_it),
        cmocka_unit_test(test_disk_truncate_is_durable_only_after_fsync),
        cmocka_unit_test(test_disk_truncate_upwards_leaves_a_hole),
        cmocka_unit_test(test_disk_observer_sees_new_blocks_durable),
        cmocka_unit_test(test_disk_write_errors_fail_the_next_writes_and_change_nothing),
        cmocka_unit_test(test_disk_sector_error_returns_eio_until_rewritten),
        cmocka_unit_test(test_disk_corruption_is_detected_by_checksum),
        cmocka_unit_test(test_disk_block_check_classifies_ok_empty_torn_corrupt),
        cmocka_unit_test(test_disk_durability_predicates_follow_writes_fsyncs_and_damage),
        cmocka_unit_test(test_disk_write_past_end_leaves_a_hole),
        cmocka_unit_test(test_disk_write_past_truncated_end_leaves_a_hole),
        cmocka_unit_test(test_disk_wipe_loses_everything),
        cmocka_unit_test(test_disk_fsync_covers_only_its_file),
        cmocka_unit_test(test_disk_shared_store_dedups_contents_but_not_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
