/* tests/test_seglog.c — the segment-file log (model/seglog.h): the actions it emits for writes,
 * syncs, truncations, compactions and boots, and, played on a real disk (model/world/disk.h),
 * what survives a power cut: a segment is durable only with its directory's fsync. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/seglog.h"
#include "model/world/disk.h"

#include <string.h>

#define TOKEN_INTERNAL 7
#define TOKEN_WRITE    1
#define TOKEN_SYNC     2
#define TOKEN_PART     3
#define TOKEN_TRUNC    4

static SegLogConfig config(guint nfds, gboolean skip_dir_fsync)
{
    return (SegLogConfig){.dir = "log",
                          .seg_blocks = 4,
                          .fd_root = 3,
                          .fd_dir = 4,
                          .fd_scratch = 6,
                          .fd_first = 8,
                          .nfds = nfds,
                          .internal = TOKEN_INTERNAL,
                          .skip_dir_fsync = skip_dir_fsync};
}

static DiskBlock block_of(uint32_t v)
{
    DiskBlock b;
    disk_block_seal(&b, 1, (const uint8_t *)&v, sizeof v);
    return b;
}

/* The number of actions of `kind` (on descriptor `fd`; -1: any) in l. */
static guint count(const ActionList *l, ActionKind kind, int fd)
{
    guint n = 0;
    for (guint i = 0; i < l->len; i++)
        n += l->items[i].kind == kind && (fd < 0 || l->items[i].file == (guint)fd);
    return n;
}

static const ProtoAction *last_of(const ActionList *l, ActionKind kind)
{
    for (guint i = l->len; i-- > 0;)
        if (l->items[i].kind == kind)
            return &l->items[i];
    return NULL;
}

/* Plays the actions on a disk, in order, as the runtime does; every result must be 0. */
static void play(Disk *d, const ActionList *l)
{
    for (guint i = 0; i < l->len; i++) {
        const ProtoAction *a = &l->items[i];
        int r = 0;
        switch (a->kind) {
        case ACT_WRITE:
            r = disk_pwrite(d, a->file, a->index, &a->block);
            break;
        case ACT_TRUNCATE:
            r = disk_ftruncate(d, a->file, a->index);
            break;
        case ACT_FSYNC:
            r = disk_fdsync(d, a->file, FALSE);
            break;
        case ACT_OPEN:
            r = disk_open(d, a->file, a->path, a->count);
            break;
        case ACT_CLOSE:
            r = disk_close(d, a->file);
            break;
        case ACT_MKDIR:
            r = disk_mkdir(d, a->path);
            break;
        case ACT_UNLINK:
            r = disk_unlink(d, a->path);
            break;
        default:
            break;
        }
        assert_int_equal(r, 0);
    }
    disk_check_invariants(d);
}

/* The image a boot reads: every entry the page cache shows, files read whole. */
typedef struct {
    ProtoDiskImage img;
    ProtoFileImage *ents;
} Image;

static void image_read(const Disk *d, Image *im)
{
    g_autoptr(GArray) list = disk_list(d);
    im->ents = g_new0(ProtoFileImage, list->len + 1);
    for (guint i = 0; i < list->len; i++) {
        const DiskEntryInfo *info = &g_array_index(list, DiskEntryInfo, i);
        ProtoFileImage *e = &im->ents[i];
        memcpy(e->path, info->path, sizeof e->path);
        e->is_dir = info->is_dir;
        e->len = info->is_dir ? 0 : disk_length(d, (guint)info->file);
        DiskBlock *blocks = g_new0(DiskBlock, e->len + 1);
        int *errors = g_new0(int, e->len + 1);
        for (uint32_t k = 0; k < e->len; k++)
            errors[k] = disk_read(d, (guint)info->file, k, &blocks[k]);
        e->blocks = blocks;
        e->errors = errors;
    }
    im->img = (ProtoDiskImage){.nentries = list->len, .entries = im->ents};
}

static void image_free(Image *im)
{
    for (guint i = 0; i < im->img.nentries; i++) {
        g_free((gpointer)im->ents[i].blocks);
        g_free((gpointer)im->ents[i].errors);
    }
    g_free(im->ents);
}

/* Boots a log on `d` (whatever it holds) and plays the boot's actions. */
static uint32_t boot_on(SegLog *s, Disk *d, DiskBlock **blocks, int **errors)
{
    Image im;
    image_read(d, &im);
    ActionList out;
    action_list_init(&out);
    uint32_t len = seglog_boot(s, &im.img, blocks, errors, &out);
    play(d, &out);
    action_list_clear(&out);
    image_free(&im);
    return len;
}

/* A fresh boot makes the directory; the first sync fsyncs it and the root. */
static void test_boot_makes_the_directory_and_syncs_it(void **st)
{
    SegLogConfig c = config(4, FALSE);
    SegLog s;
    seglog_init(&s, &c);
    ProtoDiskImage empty = {0};
    ActionList out;
    action_list_init(&out);
    DiskBlock *blocks;
    int *errors;
    assert_int_equal(seglog_boot(&s, &empty, &blocks, &errors, &out), 0);
    g_free(blocks);
    g_free(errors);
    assert_int_equal(count(&out, ACT_MKDIR, -1), 1);
    assert_int_equal(count(&out, ACT_OPEN, 3), 1);
    assert_int_equal(count(&out, ACT_OPEN, 4), 1);
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(count(&out, ACT_FSYNC, 4), 1);
    assert_int_equal(count(&out, ACT_FSYNC, 3), 1);
    assert_int_equal(last_of(&out, ACT_FSYNC)->token, TOKEN_SYNC);
    action_list_clear(&out);
    seglog_clear(&s);
}

/* A write that begins a segment creates it; its sync fsyncs the segment and then the directory
 * (the group's last fsync carries the token, the others the part token); a later write to the
 * same segment needs the segment's fsync only. */
static void test_new_segment_syncs_its_directory_once(void **st)
{
    SegLogConfig c = config(4, FALSE);
    SegLog s;
    seglog_init(&s, &c);
    ActionList out;
    action_list_init(&out);
    DiskBlock b = block_of(1);
    seglog_write(&s, &out, 0, &b, TOKEN_WRITE);
    assert_int_equal(out.items[0].kind, ACT_OPEN);
    assert_true(out.items[0].count & FS_O_CREATE);
    assert_string_equal(out.items[0].path, "log/00000000");
    assert_int_equal(out.items[1].kind, ACT_WRITE);
    assert_int_equal(out.items[1].file, 8);
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(out.len, 2);
    assert_int_equal(out.items[0].file, 8);
    assert_int_equal(out.items[0].token, TOKEN_PART);
    assert_int_equal(out.items[1].file, 4);
    assert_int_equal(out.items[1].token, TOKEN_SYNC);
    action_list_reset(&out);
    seglog_write(&s, &out, 1, &b, TOKEN_WRITE);
    assert_int_equal(count(&out, ACT_OPEN, -1), 0);
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.items[0].file, 8);
    assert_int_equal(out.items[0].token, TOKEN_SYNC);
    /* nothing new: one cheap fsync still answers */
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.items[0].token, TOKEN_SYNC);
    action_list_clear(&out);
    seglog_clear(&s);
}

/* A truncation cuts the segment holding the new end and unlinks the later ones; at a segment
 * boundary it cuts nothing; the next sync fsyncs the directory. */
static void test_truncate_cuts_one_segment_and_unlinks_the_rest(void **st)
{
    SegLogConfig c = config(4, FALSE);
    SegLog s;
    seglog_init(&s, &c);
    ActionList out;
    action_list_init(&out);
    DiskBlock b = block_of(1);
    for (uint32_t i = 0; i < 10; i++) /* segments 0, 1, 2 */
        seglog_write(&s, &out, i, &b, TOKEN_WRITE);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    seglog_synced(&s, &out);
    action_list_reset(&out);
    seglog_truncate(&s, &out, 5, TOKEN_TRUNC);
    assert_int_equal(count(&out, ACT_TRUNCATE, -1), 1);
    const ProtoAction *t = last_of(&out, ACT_TRUNCATE);
    assert_int_equal(t->index, 1);
    assert_int_equal(count(&out, ACT_UNLINK, -1), 1);
    assert_string_equal(last_of(&out, ACT_UNLINK)->path, "log/00000002");
    assert_int_equal(s.len, 5);
    assert_int_equal(s.nsegs, 2);
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(count(&out, ACT_FSYNC, 4), 1);
    action_list_reset(&out);
    seglog_truncate(&s, &out, 4, TOKEN_TRUNC);
    assert_int_equal(count(&out, ACT_TRUNCATE, -1), 0);
    assert_int_equal(count(&out, ACT_UNLINK, -1), 1);
    assert_string_equal(last_of(&out, ACT_UNLINK)->path, "log/00000001");
    action_list_reset(&out);
    seglog_truncate(&s, &out, 4, TOKEN_TRUNC); /* not longer: nothing */
    assert_int_equal(out.len, 0);
    action_list_clear(&out);
    seglog_clear(&s);
}

/* With fewer descriptors than segments written, the lowest is closed and the next sync opens
 * it again to fsync it. */
static void test_evicted_segment_is_fsynced_by_the_next_sync(void **st)
{
    SegLogConfig c = config(2, FALSE);
    SegLog s;
    seglog_init(&s, &c);
    ActionList out;
    action_list_init(&out);
    DiskBlock b = block_of(1);
    seglog_write(&s, &out, 0, &b, TOKEN_WRITE);
    seglog_write(&s, &out, 4, &b, TOKEN_WRITE);
    seglog_write(&s, &out, 8, &b, TOKEN_WRITE); /* closes segment 0 */
    assert_int_equal(count(&out, ACT_CLOSE, -1), 1);
    action_list_reset(&out);
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    assert_int_equal(count(&out, ACT_OPEN, 6), 1);
    assert_string_equal(out.items[0].path, "log/00000000");
    assert_int_equal(count(&out, ACT_FSYNC, 6), 1);
    assert_int_equal(count(&out, ACT_FSYNC, -1), 4); /* segments 0, 1, 2 and log/ */
    action_list_clear(&out);
    seglog_clear(&s);
}

/* Played on a disk: a segment written, fsynced and named durably survives a power cut that
 * keeps only the data; with the directory's fsync skipped (the missing-dir-fsync bug) the same
 * cut takes the segment, data and all. */
static void test_power_cut_keeps_a_segment_only_with_its_directory_synced(void **st)
{
    for (int skip = 0; skip < 2; skip++) {
        g_autoptr(Disk) d = disk_new(FS_EXT4_ORDERED, 0);
        SegLogConfig c = config(4, skip);
        SegLog s;
        seglog_init(&s, &c);
        DiskBlock *blocks;
        int *errors;
        boot_on(&s, d, &blocks, &errors);
        g_free(blocks);
        g_free(errors);
        ActionList out;
        action_list_init(&out);
        seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART); /* the boot sync: log/ named durably */
        for (uint32_t i = 0; i < 6; i++) {
            DiskBlock b = block_of(100 + i);
            seglog_write(&s, &out, i, &b, TOKEN_WRITE);
        }
        seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
        play(d, &out);
        action_list_clear(&out);
        seglog_clear(&s);
        SimRng rng;
        sim_rng_seed(&rng, 1);
        disk_power_loss_keep(d, &rng, DISK_KEEP_DATA);
        SegLog again;
        seglog_init(&again, &c);
        uint32_t len = boot_on(&again, d, &blocks, &errors);
        if (skip) {
            assert_int_equal(len, 0);
        } else {
            assert_int_equal(len, 6);
            for (uint32_t i = 0; i < 6; i++) {
                DiskBlock want = block_of(100 + i);
                assert_int_equal(errors[i], 0);
                assert_memory_equal(&blocks[i], &want, sizeof want);
            }
        }
        g_free(blocks);
        g_free(errors);
        seglog_clear(&again);
    }
}

/* Boot reads segments as the disk holds them: a missing one reads as empty blocks, and nsegs
 * covers the highest; a compaction unlinks the segments below a point and a later boot starts
 * there. */
static void test_boot_with_a_gap_and_after_a_compaction(void **st)
{
    g_autoptr(Disk) d = disk_new(FS_XFS, 0);
    SegLogConfig c = config(4, FALSE);
    SegLog s;
    seglog_init(&s, &c);
    DiskBlock *blocks;
    int *errors;
    boot_on(&s, d, &blocks, &errors);
    g_free(blocks);
    g_free(errors);
    ActionList out;
    action_list_init(&out);
    for (uint32_t i = 0; i < 12; i++) {
        DiskBlock b = block_of(i);
        seglog_write(&s, &out, i, &b, TOKEN_WRITE);
    }
    seglog_sync(&s, &out, TOKEN_SYNC, TOKEN_PART);
    seglog_synced(&s, &out);
    play(d, &out);
    action_list_reset(&out);
    assert_int_equal(disk_unlink(d, "log/00000001"), 0); /* a gap */
    disk_close_all(d);                                   /* a process crash */
    SegLog b1;
    seglog_init(&b1, &c);
    assert_int_equal(boot_on(&b1, d, &blocks, &errors), 12);
    assert_int_equal(b1.nsegs, 3);
    assert_int_equal(blocks[4].len, 0); /* the missing segment reads as empty */
    g_free(blocks);
    g_free(errors);
    seglog_unlink_below(&b1, &out, 1, TOKEN_TRUNC);
    assert_int_equal(count(&out, ACT_UNLINK, -1), 1);
    assert_string_equal(last_of(&out, ACT_UNLINK)->path, "log/00000000");
    assert_int_equal(b1.first, 1);
    play(d, &out);
    action_list_clear(&out);
    seglog_clear(&b1);
    disk_close_all(d);
    SegLog b2;
    seglog_init(&b2, &c);
    assert_int_equal(boot_on(&b2, d, &blocks, &errors), 12);
    assert_int_equal(b2.first, 2);
    g_free(blocks);
    g_free(errors);
    seglog_clear(&b2);
    seglog_clear(&s);
}

static void test_paths_round_trip(void **st)
{
    char path[FS_PATH_MAX];
    seglog_path("data", 17, path, sizeof path);
    assert_string_equal(path, "data/00000017");
    uint32_t seg;
    assert_true(seglog_parse("data", path, &seg));
    assert_int_equal(seg, 17);
    assert_false(seglog_parse("log", path, &seg));
    assert_false(seglog_parse("data", "data/0000001x", &seg));
    assert_false(seglog_parse("data", "data/1", &seg));
    assert_false(seglog_parse("data", "datax00000017", &seg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_round_trip),
        cmocka_unit_test(test_boot_makes_the_directory_and_syncs_it),
        cmocka_unit_test(test_new_segment_syncs_its_directory_once),
        cmocka_unit_test(test_truncate_cuts_one_segment_and_unlinks_the_rest),
        cmocka_unit_test(test_evicted_segment_is_fsynced_by_the_next_sync),
        cmocka_unit_test(test_power_cut_keeps_a_segment_only_with_its_directory_synced),
        cmocka_unit_test(test_boot_with_a_gap_and_after_a_compaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
