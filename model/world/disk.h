/* model/world/disk.h — one node's disk: a file system of directories and files of fixed-size
 * blocks, with descriptors, a page cache and a durable image.
 *
 * Names. Files and directories live in a tree under the root; paths are relative to it
 * ("meta", "log/00000001"), each component at most DISK_NAME_MAX - 1 bytes. Creating, renaming
 * and unlinking change the directory in the page cache at once; the change becomes durable only
 * when that directory is fsynced (fsync(2): "an explicit fsync() on a file descriptor for the
 * directory is also needed"). A rename is atomic: a crash leaves the old name or the new one. A
 * file's durable blocks are the disk's ground truth only while a durable entry of a durably
 * reachable directory names it: a file whose name never reached the disk is gone after a power
 * crash, however often it was fsynced.
 *
 * Descriptors. A protocol's process opens numbered descriptors (0 .. DISK_MAX_FDS - 1, numbers
 * chosen by the caller, as a protocol chooses its timer slots) on files and directories; a
 * process crash closes them all. Writes, truncations, reads and fsyncs go through a descriptor;
 * an fsync of a directory's descriptor makes its entries durable.
 *
 * Data. A write changes the page cache and returns; the durable image changes only when an fsync
 * succeeds (or, at a power crash, when the seed decides that writeback got there first). Reads
 * return what the page cache shows, which after a process crash is still the cache, and after a
 * power crash is the durable image. What happens after a failed write-back (in an fsync, or in
 * the background) follows the file-system profile, as Linux really behaves (fsyncgate; Rebello
 * et al., ATC '20):
 *   ext4-ordered, xfs  the dirty blocks are marked clean although they never reached the disk,
 *                      reads still return them, and a later fsync returns 0 without writing them;
 *   ext4-journal       (data=journal) the data reached the journal: the fsync returns 0 and the
 *                      data is durable; the failure of the later write-back (the checkpoint) is
 *                      reported by the next fsync of the file, which writes nothing;
 *   btrfs              the file reverts to its durable state.
 * The error is reported per descriptor, as the kernel setting says (FsKernel, model/block.h):
 * since 4.13 (errseq) once to every descriptor open when it happened, since 4.16 also to the
 * first one opened afterwards if nobody heard it; before 4.13 only to the first fsync.
 *
 * Other failures: a full disk refuses every write that needs a new block (ENOSPC) until blocks
 * are freed; a failed metadata write makes the file system read-only (EROFS) until the next
 * power cycle, as ext4 (errors=remount-ro), xfs (shutdown) and btrfs do; the dirty data never
 * reaches the disk.
 *
 * Power crashes: each unsynced write is lost or kept, or torn when the device writes less than a
 * block atomically (disk.atomic_write, FS_RECORD_BYTES per block): a device unit of several
 * blocks survives or goes as a whole. On ext4-journal the data goes through the journal with the
 * names: a prefix of all the unsynced changes survives, in order, none torn.
 *
 * Blocks carry a length and a checksum (sealed by their writer), so a reader can tell a torn
 * write (an incomplete block, as a crash mid-write leaves one) from silent corruption (a
 * complete block whose checksum fails); the disk never hides either.
 *
 * This module is pure storage: the world's disk device decides when operations complete.
 * Invariants (disk_check_invariants): a dirty block is unsynced; a block without a durable copy
 * reads as an empty block after a power crash; the dirty list holds each dirty block once; a
 * file is reachable exactly when a durable entry of a reachable directory names it; every
 * descriptor is open on a file or directory that exists.
 */
#pragma once

#include "model/block.h"
#include "sim/engine/rng.h"

#include <glib.h>
#include <stdint.h>

typedef struct Disk Disk;

#define DISK_NAME_MAX FS_PATH_MAX /* bytes of a path (so of each of its names), NUL included */
#define DISK_MAX_FDS  256         /* descriptors 0 .. DISK_MAX_FDS - 1 */

/* Where disks keep block contents: each distinct content once, shared by the disks of one world
 * (the replicas of a write hold identical blocks). Not thread-safe: one world's disks only. */
typedef struct BlockStore BlockStore;
BlockStore *block_store_new(void);
void block_store_free(BlockStore *st);
/* Distinct contents held. */
guint block_store_live(const BlockStore *st);
/* The id of content `b` (never 0), with one more reference, released by block_store_unref (which
 * ignores 0). block_store_get gives the content, valid while a reference is held. */
uint32_t block_store_put(BlockStore *st, const DiskBlock *b);
/* One more reference to id (0 allowed: nothing); returns id. */
uint32_t block_store_ref(BlockStore *st, uint32_t id);
void block_store_unref(BlockStore *st, uint32_t id);
const DiskBlock *block_store_get(const BlockStore *st, uint32_t id);

/* Why the durable image of a block changed. */
typedef enum {
    DISK_CHANGE_SYNC,   /* an fsync (or writeback) made the cached content durable */
    DISK_CHANGE_SIZE,   /* a truncation became durable */
    DISK_CHANGE_POWER,  /* a power crash kept or tore an unsynced write */
    DISK_CHANGE_MEDIA,  /* a latent sector error or silent corruption */
    DISK_CHANGE_WIPE,   /* the disk was lost */
    DISK_CHANGE_LINK,   /* a file became durably reachable (a directory fsync, or a power crash
                           that kept its entry): its durable blocks are now the disk's */
    DISK_CHANGE_UNLINK, /* a file stopped being durably reachable (its removal became durable,
                           or a power crash lost the entry that named it) */
} DiskChange;

/* What a power crash keeps of the unsynced changes: as the profile allows and the seed decides,
 * or (for a scripted crash) nothing, everything, only the data or only the namespace changes. */
typedef enum {
    DISK_KEEP_RANDOM,
    DISK_KEEP_NONE,
    DISK_KEEP_ALL,
    DISK_KEEP_DATA,
    DISK_KEEP_NAMES,
    DISK_KEEP_COUNT,
} DiskKeep;

const char *disk_keep_name(DiskKeep k);
gboolean disk_keep_parse(const char *text, DiskKeep *out);

/* Called for every change of the durable image of one block of a durably reachable file (and of
 * every block of a file that becomes or stops being reachable): old is the previous durable
 * content (NULL: none), neu the new one (NULL: none). Both are borrowed for the call. */
typedef void (*DiskDurableFn)(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                              const DiskBlock *neu, DiskChange cause);

/* Caller owns the result. The disk starts with `nfiles` (0 .. 8) empty files, numbered 0 ..
 * nfiles - 1 and named "file0" .. in the root, durably: the fixed files of a protocol that uses no
 * names. disk_new keeps its contents in a store of its own; disk_new_shared in `store`, which
 * must outlive the disk. */
Disk *disk_new(FsProfile fs, guint nfiles);
Disk *disk_new_shared(FsProfile fs, guint nfiles, BlockStore *store);
void disk_free(Disk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Disk, disk_free)

void disk_set_observer(Disk *d, DiskDurableFn fn, void *ctx);
FsProfile disk_fs(const Disk *d);
/* The kernel's error reporting (default FS_KERNEL_4_16), set before the first operation. */
void disk_set_kernel(Disk *d, FsKernel kernel);
/* Bytes the device writes atomically (a power of two; default 512). */
void disk_set_atomic_write(Disk *d, guint bytes);
/* Files made so far: file numbers are 0 .. disk_nfiles() - 1 (a removed file's number is not
 * reused; disk_file_exists says which are still there). */
guint disk_nfiles(const Disk *d);
/* The fixed files disk_new made. */
guint disk_nfixed(const Disk *d);
/* The name of fixed file `file` ("file0"); returns buf. */
const char *disk_fixed_name(guint file, char *buf, gsize size);

/* ---- names and descriptors (each returns 0 or an errno) ---- */

/* Opens descriptor fd (not open: else EBADF) on `path` ("." is the root) with FS_O_* flags
 * (model/block.h). Errors: ENOENT (no such file, or a missing directory on the way), EEXIST,
 * EISDIR (a directory without FS_O_DIR), ENOTDIR, EINVAL (a malformed path: empty, a leading or
 * doubled '/', "." or "..", a name too long). */
int disk_open(Disk *d, guint fd, const char *path, guint flags);
/* EBADF when fd is not open. */
int disk_close(Disk *d, guint fd);
/* A process crash: every descriptor closes. */
void disk_close_all(Disk *d);
gboolean disk_fd_is_open(const Disk *d, guint fd);
/* The file fd is open on (-1: a directory or nothing). */
gint disk_fd_file(const Disk *d, guint fd);
/* Creates a directory (EEXIST if the name exists). */
int disk_mkdir(Disk *d, const char *path);
/* Removes a file's name, or an empty directory (ENOTEMPTY). A file still open stays readable and
 * writable through its descriptors; it is freed once nothing names it or holds it open. */
int disk_unlink(Disk *d, const char *path);
/* Renames within one directory (EXDEV across directories), atomically replacing a file of the
 * new name. */
int disk_rename(Disk *d, const char *from, const char *to);
/* The data operations, through a descriptor open on a file (EBADF otherwise; EISDIR on a
 * directory): as disk_write, disk_truncate and disk_read below. */
int disk_pwrite(Disk *d, guint fd, uint32_t idx, const DiskBlock *b);
int disk_ftruncate(Disk *d, guint fd, uint32_t len);
int disk_pread(const Disk *d, guint fd, uint32_t idx, DiskBlock *out);
uint32_t disk_fd_length(const Disk *d, guint fd);
/* fsync(2) or fdatasync(2) of a file (as disk_fsync: the model has no timestamps, so both make
 * the data and the size durable, which fdatasync must do for a size change), or fsync(2) of a
 * directory: its entries as the page cache shows them become durable. */
int disk_fdsync(Disk *d, guint fd, gboolean datasync);

/* One file or directory of the namespace (disk_list). */
typedef struct {
    char path[DISK_NAME_MAX];
    gboolean is_dir;
    gint file; /* its file number; -1 for a directory */
} DiskEntryInfo;

/* Every file and directory the page cache shows (the root left out), in path order (a directory
 * before its entries, names in byte order). Caller owns the result (of DiskEntryInfo). */
GArray *disk_list(const Disk *d);
/* The file `path` names: in the page cache, or (durable) in the durable image reachable from
 * the root. -1 when none. */
gint disk_lookup(const Disk *d, const char *path, gboolean durable);
/* The path file `file` shows in the page cache ("" once unlinked; NULL: no such file). */
const char *disk_file_path(const Disk *d, guint file);
/* Whether file `file` exists, and whether a durable entry reaches it. */
gboolean disk_file_exists(const Disk *d, guint file);
gboolean disk_file_is_reachable(const Disk *d, guint file);
/* Namespace changes not yet durable. */
guint disk_ns_pending(const Disk *d);

/* ---- operations on a file by number, applied when the device completes them; each returns 0
 * or an errno (the descriptor operations above come here) ---- */

/* Writes block idx into the page cache: an overwrite, an append, or past the end (leaving a
 * hole that reads as empty blocks, as pwrite(2) does). */
int disk_write(Disk *d, guint file, uint32_t idx, const DiskBlock *b);
/* Sets the file's length in the page cache: shorter drops blocks, longer adds a hole, as
 * ftruncate(2) does. */
int disk_truncate(Disk *d, guint file, uint32_t len);
/* Flushes the file's dirty blocks and length, or fails as the profile says. */
int disk_fsync(Disk *d, guint file);

/* ---- reads (recovery) ---- */

/* The length the page cache shows. */
uint32_t disk_length(const Disk *d, guint file);
/* Reads block idx < length: 0, or EIO for a latent sector error. */
int disk_read(const Disk *d, guint file, uint32_t idx, DiskBlock *out);

/* ---- crashes ---- */

/* A power crash: the page cache and the descriptors are lost; each unsynced write is lost, kept or
 * torn as `rng` decides; blocks marked clean after a failed fsync are lost; the namespace changes
 * not yet synced survive as the profile allows; a file no durable entry names is gone. Reads then
 * show the durable image. */
void disk_power_loss(Disk *d, SimRng *rng);
/* The same, keeping what `keep` says of the unsynced changes. */
void disk_power_loss_keep(Disk *d, SimRng *rng, DiskKeep keep);
/* Disk loss: the durable image and the page cache are wiped. */
void disk_wipe(Disk *d);

/* ---- faults ---- */

/* The write-back of the next `count` fsyncs of files fails with `err` (EIO or ENOSPC), as the
 * profile says; with a pattern (a glob of paths, * and ?; NULL: any), only fsyncs of matching
 * files count (a directory's fsync writes metadata: disk_metadata_error is its failure). Writes
 * fail the same way (and change nothing). */
void disk_fail_fsyncs(Disk *d, int err, guint count);
void disk_fail_fsyncs_matching(Disk *d, int err, guint count, const char *pattern);
void disk_fail_writes(Disk *d, int err, guint count);
/* Injected fsync and write failures not yet consumed. */
guint disk_failures_pending(const Disk *d);
/* Background write-back of the dirty data of every file matching `pattern` (NULL: all) fails
 * with `err` now, as the profile says (the next fsync of each reports it). Returns the files
 * that had dirty data. */
guint disk_writeback_error(Disk *d, int err, const char *pattern);
/* A full disk: from now on a write that needs a new block fails with ENOSPC, until as many
 * blocks are freed (truncation, unlinking); `full` FALSE lifts the limit. */
void disk_set_full(Disk *d, gboolean full);
gboolean disk_is_full(const Disk *d);
/* A metadata write failed (a directory's, a journal commit's): the file system is read-only
 * (EROFS) until the next power crash, as ext4 (errors=remount-ro), xfs (shutdown) and btrfs (a
 * transaction abort) do (Rebello et al.). */
void disk_metadata_error(Disk *d);
gboolean disk_is_read_only(const Disk *d);
/* Makes up to `count` durable, synced blocks, chosen by `rng`, unreadable (EIO) until rewritten.
 * Returns how many it hit. */
guint disk_add_sector_errors(Disk *d, SimRng *rng, guint count);
/* Alters up to `count` durable, synced blocks chosen by `rng`; returns how many it hit. */
guint disk_corrupt(Disk *d, SimRng *rng, guint count);

/* ---- ground truth, for the oracles (a file no durable entry reaches has none) ---- */

uint32_t disk_durable_length(const Disk *d, guint file);
/* The durable content of block idx; FALSE when the durable image has none (or it is
 * unreadable: a sector error). */
gboolean disk_durable_block(const Disk *d, guint file, uint32_t idx, DiskBlock *out);
/* The block-store id of block idx's durable content (see block_store_put); 0 when it has none or
 * may be the empty block (a hole). Two blocks with the same id other than 0 hold the same bytes
 * (in disks sharing a store). */
uint32_t disk_durable_id(const Disk *d, guint file, uint32_t idx);
/* Whether block idx is in the durable image exactly as the page cache shows it. */
gboolean disk_is_durable(const Disk *d, guint file, uint32_t idx);
/* Whether every block below `len` is durable as shown (and the durable length is >= len). */
gboolean disk_prefix_is_durable(const Disk *d, guint file, uint32_t len);
/* Whether every block below `len` reached the durable image after it was last written (media
 * damage since then notwithstanding): what a node may claim once its fsync returned. */
gboolean disk_prefix_was_synced(const Disk *d, guint file, uint32_t len);
/* The same for block idx alone. */
gboolean disk_block_was_synced(const Disk *d, guint file, uint32_t idx);
/* The blocks the file system broke its promise for: an fsync returned 0 to a descriptor that
 * should have heard of the error that lost them (a kernel before 4.16), and they are still not
 * durable. fn gets each lost content; returns how many. */
typedef void (*DiskBlockFn)(void *ctx, guint file, uint32_t idx, const DiskBlock *b);
guint disk_broken_promises(const Disk *d, DiskBlockFn fn, void *ctx);
/* Counters for coverage: fsyncs that failed, writes that failed, blocks lost at power loss... */
typedef struct {
    uint64_t writes, fsyncs, fsync_errors, write_errors, read_errors;
    uint64_t power_lost, power_kept, power_torn, unsynced_lost_after_eio;
    uint64_t ns_kept, ns_lost; /* unsynced namespace changes a power crash kept or lost */
    uint64_t writeback_errors, broken_promises, enospc, erofs, read_only;
} DiskStats;
const DiskStats *disk_stats(const Disk *d);

/* Asserts every invariant (walks every block). */
void disk_check_invariants(const Disk *d);
/* With `on`, every state change (write, truncate, fsync, power loss, wipe, damage) ends with
 * disk_check_invariants; without, with the constant-time ones. */
void disk_set_checking(Disk *d, gboolean on);
