/* tests/test_disk_sync.c — what reaching the disk means, per file system and kernel, on its own
 * (no world): how a write-back error is reported to each descriptor (Linux 4.16's errseq, 4.13's,
 * and the single flag before 4.13), background write-back errors before any fsync, when an fsync's
 * 0 breaks its promise, a disk that stays full, a file system that goes read-only after a failed
 * metadata write, what a scripted power cut keeps, and ext4-journal's ordered crashes. Every
 * disk checks all its invariants after every change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/world/disk.h"

#include <errno.h>
#include <string.h>

#define REC_TYPE 7
#define REC_LEN  40
#define FD_A     1
#define FD_B     2
#define FD_DIR   7

static DiskBlock rec(uint8_t tag)
{
    uint8_t body[REC_LEN];
    memset(body, tag, sizeof body);
    DiskBlock b;
    disk_block_seal(&b, REC_TYPE, body, REC_LEN);
    return b;
}

static Disk *new_disk(FsProfile fs, FsKernel kernel)
{
    Disk *d = disk_new(fs, 0);
    disk_set_kernel(d, kernel);
    disk_set_checking(d, TRUE);
    return d;
}

static void write_at(Disk *d, guint fd, uint32_t idx, uint8_t tag)
{
    DiskBlock b = rec(tag);
    assert_int_equal(disk_pwrite(d, fd, idx, &b), 0);
}

/* A durable file "f" with block 0 = 1, open on FD_A. */
static void make_file(Disk *d)
{
    assert_int_equal(disk_open(d, FD_A, "f", FS_O_CREATE), 0);
    write_at(d, FD_A, 0, 1);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(disk_open(d, FD_DIR, ".", FS_O_DIR), 0);
    assert_int_equal(disk_fdsync(d, FD_DIR, FALSE), 0);
    assert_int_equal(disk_close(d, FD_DIR), 0);
}

static int durable_tag(const Disk *d, uint32_t idx)
{
    gint f = disk_lookup(d, "f", TRUE);
    DiskBlock b;
    if (f < 0 || !disk_durable_block(d, (guint)f, idx, &b))
        return 0;
    return disk_block_check(&b, REC_LEN) == BLOCK_OK ? b.body[0] : 0;
}

/* Since 4.13 (errseq) a write-back error reaches every descriptor that was open when it happened,
 * once each; nobody hears it twice. */
static void test_disk_sync_errseq_reports_once_to_every_open_descriptor(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED, FS_KERNEL_4_16);
    make_file(d);
    assert_int_equal(disk_open(d, FD_B, "f", 0), 0);
    write_at(d, FD_A, 1, 2);
    assert_int_equal(disk_writeback_error(d, EIO, NULL), 1);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), EIO);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(disk_fdsync(d, FD_B, TRUE), EIO);
    assert_int_equal(disk_fdsync(d, FD_B, TRUE), 0);
    assert_int_equal(disk_stats(d)->broken_promises, 0);
}

/* Since 4.16 an error nobody heard is reported to the first descriptor opened afterwards; once
 * heard, a descriptor opened later hears nothing (and its 0 promises nothing about the loss: the
 * fsyncgate checkpointer that closes and reopens is on its own). */
static void test_disk_sync_errseq_4_16_tells_a_later_descriptor_only_if_nobody_heard(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_XFS, FS_KERNEL_4_16);
    make_file(d);
    write_at(d, FD_A, 1, 2);
    assert_int_equal(disk_close(d, FD_A), 0);
    assert_int_equal(disk_writeback_error(d, EIO, "f"), 1);
    assert_int_equal(disk_open(d, FD_A, "f", 0), 0);
    assert_int_equal(disk_open(d, FD_B, "f", 0), 0);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), EIO);
    assert_int_equal(disk_fdsync(d, FD_B, FALSE), EIO); /* open when nobody had heard it */
    assert_int_equal(disk_close(d, FD_A), 0);
    assert_int_equal(disk_open(d, FD_A, "f", 0), 0);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0); /* heard before it opened */
    assert_int_equal(durable_tag(d, 1), 0);           /* and the write is gone */
    assert_int_equal(disk_stats(d)->broken_promises, 0);
    assert_int_equal(disk_broken_promises(d, NULL, NULL), 0);
}

typedef struct {
    guint n;
    int tag;
} Seen;

static void seen_block(void *ctx, guint file, uint32_t idx, const DiskBlock *b)
{
    Seen *s = ctx;
    s->n++;
    s->tag = b->body[0];
}

/* 4.13 to 4.15: a descriptor opened after an error never hears it, even if nobody did: its fsync
 * returns 0 for a write the file system lost — a broken promise, listed with the lost content. */
static void test_disk_sync_errseq_4_13_breaks_the_promise_to_a_later_descriptor(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED, FS_KERNEL_4_13);
    make_file(d);
    write_at(d, FD_A, 1, 2);
    assert_int_equal(disk_close(d, FD_A), 0);
    assert_int_equal(disk_writeback_error(d, EIO, NULL), 1);
    assert_int_equal(disk_open(d, FD_A, "f", 0), 0);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(disk_stats(d)->broken_promises, 1);
    Seen s = {0};
    assert_int_equal(disk_broken_promises(d, seen_block, &s), 1);
    assert_int_equal(s.tag, 2);
    /* Written again and synced: the promise is kept after all, nothing is listed any more. */
    write_at(d, FD_A, 1, 2);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(disk_broken_promises(d, NULL, NULL), 0);
}

/* Before 4.13 one flag per file: the first fsync, through any descriptor, hears the error and
 * clears it; another descriptor open at the time gets 0 — the promise to it is broken. */
static void test_disk_sync_pre_4_13_only_the_first_caller_hears(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED, FS_KERNEL_PRE_4_13);
    make_file(d);
    assert_int_equal(disk_open(d, FD_B, "f", 0), 0);
    write_at(d, FD_B, 1, 2);
    assert_int_equal(disk_writeback_error(d, EIO, NULL), 1);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), EIO);
    assert_int_equal(disk_stats(d)->broken_promises, 0);
    assert_int_equal(disk_fdsync(d, FD_B, FALSE), 0);
    assert_int_equal(disk_stats(d)->broken_promises, 1);
}

/* An fsync that fails marks the write lost on ext4 and xfs: retrying fsync returns 0 and the data
 * is still not durable — the protocol was told (no broken promise), on every kernel. */
static void test_disk_sync_retried_fsync_is_not_a_broken_promise(void **state)
{
    for (FsKernel k = 0; k < FS_KERNEL_COUNT; k++) {
        g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED, k);
        make_file(d);
        write_at(d, FD_A, 1, 2);
        disk_fail_fsyncs(d, EIO, 1);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), EIO);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
        assert_int_equal(durable_tag(d, 1), 0);
        assert_int_equal(disk_stats(d)->broken_promises, 0);
    }
}

/* A background write-back error before any fsync, per profile: ext4 and xfs mark the pages clean
 * (the next fsync reports it, the data is gone), btrfs reverts the file, ext4-journal has the data
 * in its journal (durable) and reports the failed checkpoint at the next fsync. */
static void test_disk_sync_writeback_error_before_any_fsync(void **state)
{
    for (FsProfile fs = 0; fs < FS_PROFILE_COUNT; fs++) {
        g_autoptr(Disk) d = new_disk(fs, FS_KERNEL_4_16);
        make_file(d);
        write_at(d, FD_A, 0, 5);
        assert_int_equal(disk_writeback_error(d, EIO, "nomatch*"), 0);
        assert_int_equal(disk_writeback_error(d, EIO, "f"), 1);
        DiskBlock b;
        assert_int_equal(disk_pread(d, FD_A, 0, &b), 0);
        assert_int_equal(b.body[0], fs == FS_BTRFS ? 1 : 5);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), EIO);
        assert_int_equal(durable_tag(d, 0), fs == FS_EXT4_JOURNAL ? 5 : 1);
        assert_int_equal(disk_writeback_error(d, EIO, NULL), 0); /* nothing dirty now */
    }
}

/* A full disk refuses what needs a new block (ENOSPC) until blocks are freed, and overwrites
 * still work; freeing N blocks lets N be written again; lifting the limit ends it. */
static void test_disk_sync_full_disk_refuses_new_blocks_until_space_is_freed(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED, FS_KERNEL_4_16);
    make_file(d);
    write_at(d, FD_A, 1, 2);
    disk_set_full(d, TRUE);
    assert_true(disk_is_full(d));
    DiskBlock b = rec(3);
    assert_int_equal(disk_pwrite(d, FD_A, 2, &b), ENOSPC);
    assert_int_equal(disk_ftruncate(d, FD_A, 5), ENOSPC);
    write_at(d, FD_A, 0, 4); /* an overwrite */
    assert_int_equal(disk_ftruncate(d, FD_A, 1), 0);
    write_at(d, FD_A, 1, 5);
    assert_int_equal(disk_pwrite(d, FD_A, 2, &b), ENOSPC);
    assert_int_equal(disk_stats(d)->enospc, 3);
    disk_set_full(d, FALSE);
    assert_int_equal(disk_pwrite(d, FD_A, 2, &b), 0);
}

/* A failed metadata write makes the file system read-only: changes (fsyncs of files and
 * directories too) fail with EROFS, reads work, and the dirty data never reaches the disk; a
 * power cut mounts it again. Injected fsync failures hit files, never directories. */
static void test_disk_sync_failed_metadata_write_makes_the_fs_read_only(void **state)
{
    for (FsProfile fs = 0; fs < FS_PROFILE_COUNT; fs++) {
        g_autoptr(Disk) d = new_disk(fs, FS_KERNEL_4_16);
        make_file(d);
        write_at(d, FD_A, 1, 2);
        disk_fail_fsyncs(d, EIO, 1);
        assert_int_equal(disk_open(d, FD_DIR, ".", FS_O_DIR), 0);
        assert_int_equal(disk_fdsync(d, FD_DIR, FALSE), 0);
        assert_int_equal(disk_failures_pending(d), 1);
        disk_metadata_error(d);
        assert_true(disk_is_read_only(d));
        assert_int_equal(disk_fdsync(d, FD_DIR, FALSE), EROFS);
        DiskBlock b = rec(3), out;
        assert_int_equal(disk_pwrite(d, FD_A, 2, &b), EROFS);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), EROFS);
        assert_int_equal(disk_open(d, FD_B, "g", FS_O_CREATE), EROFS);
        assert_int_equal(disk_rename(d, "f", "g"), EROFS);
        assert_int_equal(disk_unlink(d, "f"), EROFS);
        assert_int_equal(disk_mkdir(d, "x"), EROFS);
        assert_int_equal(disk_pread(d, FD_A, 1, &out), 0);
        SimRng rng;
        sim_rng_seed(&rng, 3);
        disk_power_loss_keep(d, &rng, DISK_KEEP_ALL);
        assert_false(disk_is_read_only(d));
        assert_int_equal(durable_tag(d, 1), 0); /* nothing reached a read-only disk */
        assert_int_equal(durable_tag(d, 0), 1);
    }
}

/* A scripted power cut keeps what it is told: none, all, only the data, or only the names. */
static void test_disk_sync_power_cut_keeps_what_it_is_told(void **state)
{
    for (DiskKeep k = DISK_KEEP_NONE; k < DISK_KEEP_COUNT; k++) {
        g_autoptr(Disk) d = new_disk(FS_XFS, FS_KERNEL_4_16);
        make_file(d);
        write_at(d, FD_A, 0, 6);
        assert_int_equal(disk_open(d, FD_B, "new", FS_O_CREATE), 0);
        SimRng rng;
        sim_rng_seed(&rng, 1);
        disk_power_loss_keep(d, &rng, k);
        gboolean data = k == DISK_KEEP_ALL || k == DISK_KEEP_DATA;
        gboolean names = k == DISK_KEEP_ALL || k == DISK_KEEP_NAMES;
        assert_int_equal(durable_tag(d, 0), data ? 6 : 1);
        assert_int_equal(disk_lookup(d, "new", TRUE) >= 0, names);
    }
}

/* ext4-journal journals data and names together, in order: whatever a power cut keeps is a prefix
 * of the unsynced changes, never torn (over seeds: a later change never survives an earlier one
 * lost, and both outcomes occur). */
static void test_disk_sync_ext4_journal_crash_keeps_a_prefix_of_data_and_names(void **state)
{
    guint all = 0, none = 0;
    for (uint64_t seed = 1; seed <= 80; seed++) {
        g_autoptr(Disk) d = new_disk(FS_EXT4_JOURNAL, FS_KERNEL_4_16);
        disk_set_atomic_write(d, 1);
        make_file(d);
        write_at(d, FD_A, 0, 7);                                   /* 1st */
        assert_int_equal(disk_open(d, FD_B, "n", FS_O_CREATE), 0); /* 2nd */
        write_at(d, FD_A, 1, 8);                                   /* 3rd */
        SimRng rng;
        sim_rng_seed(&rng, seed);
        disk_power_loss(d, &rng);
        gboolean first = durable_tag(d, 0) == 7, second = disk_lookup(d, "n", TRUE) >= 0,
                 third = durable_tag(d, 1) == 8;
        assert_true(!second || first);
        assert_true(!third || second);
        assert_int_equal(disk_stats(d)->power_torn, 0);
        all += third;
        none += !first;
    }
    assert_true(all > 0 && none > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_sync_errseq_reports_once_to_every_open_descriptor),
        cmocka_unit_test(test_disk_sync_errseq_4_16_tells_a_later_descriptor_only_if_nobody_heard),
        cmocka_unit_test(test_disk_sync_errseq_4_13_breaks_the_promise_to_a_later_descriptor),
        cmocka_unit_test(test_disk_sync_pre_4_13_only_the_first_caller_hears),
        cmocka_unit_test(test_disk_sync_retried_fsync_is_not_a_broken_promise),
        cmocka_unit_test(test_disk_sync_writeback_error_before_any_fsync),
        cmocka_unit_test(test_disk_sync_full_disk_refuses_new_blocks_until_space_is_freed),
        cmocka_unit_test(test_disk_sync_failed_metadata_write_makes_the_fs_read_only),
        cmocka_unit_test(test_disk_sync_power_cut_keeps_what_it_is_told),
        cmocka_unit_test(test_disk_sync_ext4_journal_crash_keeps_a_prefix_of_data_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
