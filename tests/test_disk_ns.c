/* tests/test_disk_ns.c — the disk's names and descriptors on their own (no world): creating,
 * renaming and unlinking files and directories, what an fsync of a directory makes durable,
 * what a power crash keeps of the changes not yet synced (a prefix on the file systems that
 * journal directory operations in order, any subset on btrfs), and the observer's view: a
 * file's blocks are ground truth only while a durable entry reaches it. Every disk checks all
 * its invariants after every change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/world/disk.h"

#include <errno.h>
#include <string.h>

#define REC_TYPE 7
#define REC_LEN  40
#define FD_A     3
#define FD_B     4
#define FD_DIR   9

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
    Disk *d = disk_new(fs, 0);
    disk_set_checking(d, TRUE);
    disk_check_invariants(d);
    return d;
}

/* Creates `path` with one record `tag` written through descriptor fd (left open). */
static void create_with(Disk *d, guint fd, const char *path, uint8_t tag)
{
    assert_int_equal(disk_open(d, fd, path, FS_O_CREATE | FS_O_EXCL), 0);
    DiskBlock b = rec(tag);
    assert_int_equal(disk_pwrite(d, fd, 0, &b), 0);
}

static int fsync_dir(Disk *d, const char *path)
{
    assert_int_equal(disk_open(d, FD_DIR, path, FS_O_DIR), 0);
    int r = disk_fdsync(d, FD_DIR, FALSE);
    assert_int_equal(disk_close(d, FD_DIR), 0);
    return r;
}

static void power_loss(Disk *d, uint64_t seed)
{
    SimRng rng;
    sim_rng_seed(&rng, seed);
    disk_power_loss(d, &rng);
}

/* The tag of block 0 of the durable file `path`: 0 when the path names nothing durable, or a
 * file without a durable block 0. */
static int durable_tag(const Disk *d, const char *path)
{
    gint f = disk_lookup(d, path, TRUE);
    DiskBlock b;
    if (f < 0)
        return -1;
    if (!disk_durable_block(d, (guint)f, 0, &b))
        return 0;
    return b.body[0];
}

/* ---- the observer ---- */

typedef struct {
    guint file;
    int old_tag, new_tag;
    DiskChange cause;
} Change;

static int tag_of(const DiskBlock *b)
{
    return b ? b->body[0] : -1;
}

static void record_change(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                          const DiskBlock *neu, DiskChange cause)
{
    Change c = {file, tag_of(old), tag_of(neu), cause};
    g_array_append_val((GArray *)ctx, c);
}

/* ---- tests ---- */

/* A new file that was written and fsynced is not durable until its directory is fsynced: the
 * observer hears nothing of its blocks, the durable lookup finds nothing; the directory fsync
 * brings its blocks into the ground truth at once (DISK_CHANGE_LINK). */
static void test_disk_ns_new_file_is_durable_only_after_its_directory_fsync(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(Change));
    disk_set_observer(d, record_change, log);
    create_with(d, FD_A, "seg1", 5);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(log->len, 0);
    assert_int_equal(disk_lookup(d, "seg1", TRUE), -1);
    assert_true(disk_lookup(d, "seg1", FALSE) >= 0);
    gint f = disk_lookup(d, "seg1", FALSE);
    assert_false(disk_file_is_reachable(d, (guint)f));
    assert_false(disk_prefix_was_synced(d, (guint)f, 1));
    assert_int_equal(disk_ns_pending(d), 1);
    assert_int_equal(fsync_dir(d, "."), 0);
    assert_int_equal(disk_ns_pending(d), 0);
    assert_int_equal(log->len, 1);
    const Change *c = &g_array_index(log, Change, 0);
    assert_int_equal(c->old_tag, -1);
    assert_int_equal(c->new_tag, 5);
    assert_int_equal(c->cause, DISK_CHANGE_LINK);
    assert_int_equal(durable_tag(d, "seg1"), 5);
    assert_true(disk_prefix_was_synced(d, (guint)f, 1));
}

/* A power crash before the directory fsync loses the entry of a file that was fsynced (on a
 * file system that keeps a prefix of the unsynced changes, the one change can go either way;
 * over seeds both happen), and the descriptors are closed. */
static void test_disk_ns_power_cut_can_take_a_never_synced_entry(void **state)
{
    guint gone = 0, kept = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        g_autoptr(Disk) d = new_disk(FS_XFS);
        create_with(d, FD_A, "seg1", 5);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
        power_loss(d, seed);
        assert_false(disk_fd_is_open(d, FD_A));
        if (disk_lookup(d, "seg1", FALSE) < 0) {
            gone++;
            assert_int_equal(disk_lookup(d, "seg1", TRUE), -1);
        } else {
            kept++;
            assert_int_equal(durable_tag(d, "seg1"), 5); /* its data was synced */
        }
        assert_int_equal(disk_ns_pending(d), 0);
    }
    assert_true(gone > 0 && kept > 0);
}

/* Replacing a file by rename is atomic: before the directory fsync the durable name still
 * reaches the old file; a power crash leaves the old content or the new one, never neither; the
 * directory fsync makes the new one the ground truth, the old file's blocks leaving first. */
static void test_disk_ns_rename_replaces_atomically(void **state)
{
    guint old = 0, neu = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        g_autoptr(Disk) d = new_disk(seed % 2 ? FS_BTRFS : FS_EXT4_ORDERED);
        create_with(d, FD_A, "meta", 1);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
        assert_int_equal(fsync_dir(d, "."), 0);
        assert_int_equal(disk_close(d, FD_A), 0);
        create_with(d, FD_B, "meta.tmp", 2);
        assert_int_equal(disk_fdsync(d, FD_B, FALSE), 0);
        assert_int_equal(disk_rename(d, "meta.tmp", "meta"), 0);
        assert_int_equal(durable_tag(d, "meta"), 1);
        assert_int_equal(disk_lookup(d, "meta.tmp", FALSE), -1);
        power_loss(d, seed);
        int t = durable_tag(d, "meta");
        assert_true(t == 1 || t == 2);
        old += t == 1;
        neu += t == 2;
        /* A crash that lost the rename may keep the temporary file's creation (never both
         * names for one file: the rename moved it). */
        if (t == 2)
            assert_int_equal(disk_lookup(d, "meta.tmp", TRUE), -1);
    }
    assert_true(old > 0 && neu > 0);

    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(Change));
    create_with(d, FD_A, "meta", 1);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(fsync_dir(d, "."), 0);
    create_with(d, FD_B, "meta.tmp", 2);
    assert_int_equal(disk_fdsync(d, FD_B, FALSE), 0);
    assert_int_equal(disk_rename(d, "meta.tmp", "meta"), 0);
    disk_set_observer(d, record_change, log);
    assert_int_equal(fsync_dir(d, "."), 0);
    assert_int_equal(log->len, 2);
    assert_int_equal(g_array_index(log, Change, 0).old_tag, 1);
    assert_int_equal(g_array_index(log, Change, 0).cause, DISK_CHANGE_UNLINK);
    assert_int_equal(g_array_index(log, Change, 1).new_tag, 2);
    assert_int_equal(g_array_index(log, Change, 1).cause, DISK_CHANGE_LINK);
    assert_int_equal(durable_tag(d, "meta"), 2);
}

/* ext4 and xfs journal directory operations in order: a power crash keeps a prefix of them, so
 * a later entry never survives without an earlier one. btrfs may reorder them: over seeds, the
 * later one survives alone too. */
static void test_disk_ns_power_cut_keeps_a_prefix_or_on_btrfs_any_subset(void **state)
{
    const FsProfile profiles[] = {FS_EXT4_ORDERED, FS_EXT4_JOURNAL, FS_XFS, FS_BTRFS};
    for (guint p = 0; p < G_N_ELEMENTS(profiles); p++) {
        guint later_alone = 0, both = 0, none = 0;
        for (uint64_t seed = 1; seed <= 60; seed++) {
            g_autoptr(Disk) d = new_disk(profiles[p]);
            create_with(d, FD_A, "a", 1);
            create_with(d, FD_B, "b", 2);
            power_loss(d, seed);
            gboolean a = disk_lookup(d, "a", TRUE) >= 0, b = disk_lookup(d, "b", TRUE) >= 0;
            later_alone += b && !a;
            both += a && b;
            none += !a && !b;
        }
        assert_true(both > 0 && none > 0);
        if (profiles[p] == FS_BTRFS)
            assert_true(later_alone > 0);
        else
            assert_int_equal(later_alone, 0);
    }
}

/* An unlink is a namespace change like any other: until the directory is fsynced the durable
 * image still names the file, and a power crash that loses the unlink brings it back with its
 * durable data. Once the unlink is durable, the file's blocks leave the ground truth. */
static void test_disk_ns_unlink_is_durable_only_after_the_directory_fsync(void **state)
{
    guint back = 0, gone = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
        create_with(d, FD_A, "hint", 7);
        assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
        assert_int_equal(fsync_dir(d, "."), 0);
        assert_int_equal(disk_close(d, FD_A), 0);
        assert_int_equal(disk_unlink(d, "hint"), 0);
        assert_int_equal(disk_lookup(d, "hint", FALSE), -1);
        assert_int_equal(durable_tag(d, "hint"), 7);
        power_loss(d, seed);
        if (durable_tag(d, "hint") == 7)
            back++;
        else
            gone++;
    }
    assert_true(back > 0 && gone > 0);

    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    g_autoptr(GArray) log = g_array_new(FALSE, FALSE, sizeof(Change));
    create_with(d, FD_A, "hint", 7);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(fsync_dir(d, "."), 0);
    disk_set_observer(d, record_change, log);
    assert_int_equal(disk_unlink(d, "hint"), 0);
    assert_int_equal(log->len, 0);
    assert_int_equal(fsync_dir(d, "."), 0);
    assert_int_equal(log->len, 1);
    assert_int_equal(g_array_index(log, Change, 0).cause, DISK_CHANGE_UNLINK);
    assert_int_equal(disk_lookup(d, "hint", TRUE), -1);
    /* Still open: readable and writable, though nothing names it. */
    DiskBlock b = rec(8), out;
    assert_int_equal(disk_pwrite(d, FD_A, 1, &b), 0);
    assert_int_equal(disk_pread(d, FD_A, 0, &out), 0);
    assert_int_equal(out.body[0], 7);
    guint n = disk_nfiles(d);
    assert_int_equal(disk_close(d, FD_A), 0);
    assert_false(disk_file_exists(d, n - 1)); /* freed with its last descriptor */
}

/* A file in a new directory needs the directory's entry to be durable too: fsyncing the file and
 * its directory is not enough until the parent (here the root) is fsynced. */
static void test_disk_ns_a_new_directory_needs_its_parent_fsynced(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    assert_int_equal(disk_mkdir(d, "log"), 0);
    create_with(d, FD_A, "log/00000001", 3);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(fsync_dir(d, "log"), 0);
    assert_int_equal(disk_lookup(d, "log/00000001", TRUE), -1);
    gint f = disk_lookup(d, "log/00000001", FALSE);
    assert_false(disk_file_is_reachable(d, (guint)f));
    assert_int_equal(fsync_dir(d, "."), 0);
    assert_true(disk_file_is_reachable(d, (guint)f));
    assert_int_equal(durable_tag(d, "log/00000001"), 3);
    assert_int_equal(disk_unlink(d, "log"), ENOTEMPTY);
    power_loss(d, 1);
    assert_int_equal(durable_tag(d, "log/00000001"), 3);
}

/* Opening checks its flags and paths as open(2) does, and a descriptor number is the caller's
 * to choose, once at a time. */
static void test_disk_ns_open_errors_follow_open2(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    assert_int_equal(disk_open(d, FD_A, "x", 0), ENOENT);
    assert_int_equal(disk_open(d, FD_A, "x", FS_O_CREATE), 0);
    assert_int_equal(disk_open(d, FD_A, "y", FS_O_CREATE), EBADF);
    assert_int_equal(disk_open(d, FD_B, "x", FS_O_CREATE | FS_O_EXCL), EEXIST);
    assert_int_equal(disk_open(d, FD_B, "x", FS_O_CREATE), 0);
    assert_int_equal(disk_close(d, FD_B), 0);
    assert_int_equal(disk_close(d, FD_B), EBADF);
    assert_int_equal(disk_mkdir(d, "dir"), 0);
    assert_int_equal(disk_mkdir(d, "dir"), EEXIST);
    assert_int_equal(disk_open(d, FD_B, "dir", 0), EISDIR);
    assert_int_equal(disk_open(d, FD_B, "x/y", FS_O_CREATE), ENOTDIR);
    assert_int_equal(disk_open(d, FD_B, "nope/y", FS_O_CREATE), ENOENT);
    assert_int_equal(disk_open(d, FD_B, "x", FS_O_DIR), ENOTDIR);
    const char *bad[] = {"", "/x", "x/", "a//b", "./x", "a/../b", "0123456789012345678901234567"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_int_equal(disk_open(d, FD_B, bad[i], FS_O_CREATE), EINVAL);
    assert_int_equal(disk_open(d, DISK_MAX_FDS, "x", 0), EBADF);
    DiskBlock b = rec(1);
    assert_int_equal(disk_pwrite(d, FD_B, 0, &b), EBADF);
    assert_int_equal(disk_open(d, FD_B, "dir", FS_O_DIR), 0);
    assert_int_equal(disk_pwrite(d, FD_B, 0, &b), EISDIR);
    assert_int_equal(disk_rename(d, "x", "dir/x"), EXDEV);
    assert_int_equal(disk_rename(d, "x", "dir"), EISDIR);
    assert_int_equal(disk_rename(d, "nope", "x"), ENOENT);
    /* O_TRUNC empties the file in the page cache. */
    assert_int_equal(disk_pwrite(d, FD_A, 0, &b), 0);
    assert_int_equal(disk_close(d, FD_A), 0);
    assert_int_equal(disk_open(d, FD_A, "x", FS_O_TRUNC), 0);
    assert_int_equal(disk_fd_length(d, FD_A), 0);
}

/* A process crash closes every descriptor and nothing else: the names the page cache shows stay
 * (not yet durable), and an fsync of the directory afterwards still makes them durable. */
static void test_disk_ns_process_crash_closes_descriptors_and_keeps_names(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    create_with(d, FD_A, "a", 1);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    disk_close_all(d);
    assert_false(disk_fd_is_open(d, FD_A));
    assert_true(disk_lookup(d, "a", FALSE) >= 0);
    assert_int_equal(fsync_dir(d, "."), 0);
    assert_int_equal(durable_tag(d, "a"), 1);
}

/* The listing a node reads at boot: every directory and file the page cache shows, in path order
 * whatever the order of creation, directories before their entries. */
static void test_disk_ns_list_is_in_path_order(void **state)
{
    g_autoptr(Disk) d = new_disk(FS_EXT4_ORDERED);
    assert_int_equal(disk_mkdir(d, "log"), 0);
    create_with(d, FD_A, "log/2", 2);
    create_with(d, FD_B, "meta", 3);
    assert_int_equal(disk_close(d, FD_A), 0);
    create_with(d, FD_A, "log/1", 1);
    assert_int_equal(disk_rename(d, "meta", "a-meta"), 0);
    g_autoptr(GArray) list = disk_list(d);
    const char *want[] = {"a-meta", "log", "log/1", "log/2"};
    assert_int_equal(list->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < list->len; i++) {
        const DiskEntryInfo *e = &g_array_index(list, DiskEntryInfo, i);
        assert_string_equal(e->path, want[i]);
        assert_int_equal(e->is_dir, i == 1);
        assert_int_equal(e->file >= 0, i != 1);
    }
}

/* The fixed files of disk_new are there from the start, durably named; a lost disk comes back
 * with them, empty, and without anything else. */
static void test_disk_ns_fixed_files_survive_a_wipe_empty(void **state)
{
    g_autoptr(Disk) d = disk_new(FS_EXT4_ORDERED, 2);
    disk_set_checking(d, TRUE);
    char name[DISK_NAME_MAX];
    assert_int_equal(disk_lookup(d, disk_fixed_name(1, name, sizeof name), TRUE), 1);
    assert_true(disk_file_is_reachable(d, 0));
    DiskBlock b = rec(4);
    assert_int_equal(disk_write(d, 0, 0, &b), 0);
    assert_int_equal(disk_fsync(d, 0), 0);
    create_with(d, FD_A, "extra", 9);
    assert_int_equal(disk_fdsync(d, FD_A, FALSE), 0);
    assert_int_equal(fsync_dir(d, "."), 0);
    disk_wipe(d);
    assert_int_equal(disk_lookup(d, "extra", FALSE), -1);
    assert_int_equal(disk_lookup(d, "file0", TRUE), 0);
    assert_int_equal(disk_durable_length(d, 0), 0);
    g_autoptr(GArray) list = disk_list(d);
    assert_int_equal(list->len, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_ns_new_file_is_durable_only_after_its_directory_fsync),
        cmocka_unit_test(test_disk_ns_power_cut_can_take_a_never_synced_entry),
        cmocka_unit_test(test_disk_ns_rename_replaces_atomically),
        cmocka_unit_test(test_disk_ns_power_cut_keeps_a_prefix_or_on_btrfs_any_subset),
        cmocka_unit_test(test_disk_ns_unlink_is_durable_only_after_the_directory_fsync),
        cmocka_unit_test(test_disk_ns_a_new_directory_needs_its_parent_fsynced),
        cmocka_unit_test(test_disk_ns_open_errors_follow_open2),
        cmocka_unit_test(test_disk_ns_process_crash_closes_descriptors_and_keeps_names),
        cmocka_unit_test(test_disk_ns_list_is_in_path_order),
        cmocka_unit_test(test_disk_ns_fixed_files_survive_a_wipe_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
