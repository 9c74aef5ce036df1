/* model/world/disk_internal.h — the disk's private structures, shared by the block store
 * (block_store.c), the file data (disk.c) and the namespace with its descriptors (disk_ns.c).
 * Nothing outside these three files includes it.
 *
 * A disk holds files (inodes, numbered from 0 in creation order, never reused) and directories
 * (numbered from 0, the root). A directory's entries each carry two targets: the one the page
 * cache shows (`cached`) and the one the durable image holds (`durable`); a namespace change
 * sets the first, an fsync of the directory copies it into the second, a power crash applies
 * some of the changes not yet synced (as the profile allows, nsops keeps them in order).
 * A file is `reach`able when a durable entry of a reachable directory names it: only then do its
 * durable blocks count as the disk's ground truth (the observer hears of them, the durable
 * queries answer for them).
 */
#pragma once

#include "model/world/disk.h"

#include "sim/engine/chunks.h"

enum {
    F_SAME = 1 << 0,
    F_DIRTY = 1 << 1,
    F_LOSTCLEAN = 1 << 2,
    F_BAD = 1 << 3,
    F_SYNCED = 1 << 4, /* the content shown reached the durable image since it was written */
};

/* Block contents live in a store shared by the disks of one world, each distinct content once
 * (the replicas of a write hold identical blocks), counted by reference; a slot names them by
 * id. Cache id 0 is the empty block; dur id 0 is none. */
typedef struct {
    uint32_t cache; /* page-cache content */
    uint32_t dur;   /* durable content when it differs from the cache; 0 otherwise */
    uint32_t seq;   /* when it was last written (Disk.seq), for ext4-journal's ordered crashes */
    uint8_t flags;
} Slot;

/* A write a failed write-back lost: marked clean without reaching the disk (ext4, xfs), or
 * reverted (btrfs). `event` is the file's error count of that write-back; `broken` is set when
 * an fsync later returned 0 to a descriptor the error should have been reported to. */
typedef struct {
    uint32_t idx;
    uint32_t id; /* the content lost (a reference held) */
    uint32_t event;
    uint8_t broken;
} LostBlock;

typedef struct {
    DiskBlock b;
    uint32_t refs;
    uint32_t next; /* the hash chain, or the free list */
} Stored;

struct BlockStore {
    Chunks blocks;     /* of Stored; id 0 unused; the first chunk reserved whole, so never moved */
    uint32_t *buckets; /* heads of the hash chains */
    uint32_t mask;
    uint32_t live;
    uint32_t free; /* head of the free list */
};

static inline Stored *stored(const BlockStore *st, uint32_t id)
{
    return chunks_at(&st->blocks, id);
}

/* A reference to what a directory entry names. */
typedef uint32_t NodeRef;
#define REF_NONE    ((NodeRef)UINT32_MAX)
#define REF_DIR_BIT ((NodeRef)1u << 31)
static inline gboolean ref_is_dir(NodeRef r)
{
    return r != REF_NONE && (r & REF_DIR_BIT);
}
static inline uint32_t ref_num(NodeRef r)
{
    return r & ~REF_DIR_BIT;
}

typedef struct {
    BlockStore *store;
    uint32_t num;  /* its file number */
    Chunks slots;  /* of Slot; length max(len, durable_len) */
    uint32_t len;  /* length the page cache shows */
    uint32_t dlen; /* durable length */
    gboolean size_dirty;
    GArray *dirty; /* of uint32_t: slots with F_DIRTY, each once */
    GArray *lost;  /* of LostBlock, until the block is written again or a power crash */
    /* Every slot below this index had F_SYNCED when it was last looked at, and none has lost it
     * since (anything that clears the flag below it lowers it): disk_prefix_was_synced resumes
     * its scan here instead of at 0. */
    uint32_t synced_low;
    char path[DISK_NAME_MAX]; /* the name the page cache shows ("" once unlinked) */
    uint64_t size_seq;        /* when its size last changed (Disk.seq) */
    /* Write-back errors (see FsKernel): errseq's counter of errors, the last one's errno, and
     * whether a descriptor heard it; before 4.13, one flag a first fsync clears. */
    uint32_t wb_seq;
    int wb_err;
    gboolean wb_seen;
    int as_err;
    uint32_t self_since, self_contract; /* the samples of fsyncs by number (disk_fsync) */
    uint32_t links;                     /* entries that name it in the page cache */
    uint32_t dlinks;                    /* durable entries of reachable directories that name it */
    uint32_t opens;                     /* descriptors open on it */
    gboolean reach;                     /* dlinks > 0: its durable image is the disk's */
} File;

typedef struct {
    char name[DISK_NAME_MAX];
    NodeRef cached;  /* what the page cache shows (REF_NONE: no such entry) */
    NodeRef durable; /* what the durable image holds */
} Entry;

typedef struct {
    uint32_t num;
    char path[DISK_NAME_MAX]; /* as the page cache names it ("" for the root) */
    GArray *entries;          /* of Entry; an entry that neither view holds is gone */
    GHashTable *index;        /* name -> its place in entries + 1; lookups only, never iterated */
    uint32_t links;           /* entries that name it in the page cache (the root: 1) */
    uint32_t dlinks; /* durable entries of reachable directories that name it (the root: 1) */
    uint32_t opens;
    gboolean reach;
    gboolean removed; /* rmdir'ed: no new entries */
} Dir;

/* A namespace change not yet made durable by an fsync of its directory: one or two entries
 * (a rename sets the new name and drops the old one at once). */
typedef struct {
    uint64_t seq; /* when it happened (Disk.seq) */
    uint32_t dir;
    uint8_t n;
    char name[2][DISK_NAME_MAX];
    NodeRef ref[2];
} NsOp;

typedef struct {
    uint8_t used;
    uint8_t is_dir;
    uint32_t num;      /* file or directory number */
    uint32_t since;    /* the file's error count as this descriptor last heard it (errseq) */
    uint32_t contract; /* the same as Linux 4.16 would have it: what its fsync owes it */
} Fd;

struct Disk {
    FsProfile fs;
    FsKernel kernel;
    guint atomic_write; /* bytes the device writes atomically */
    uint64_t seq;       /* counts changes (writes, size changes, namespace changes) */
    gboolean read_only; /* a metadata write failed: nothing changes until a power cycle */
    uint64_t used;      /* blocks the files hold (page cache) */
    uint64_t capacity;  /* blocks the disk may hold (G_MAXUINT64: no limit) */
    char fail_pattern[DISK_NAME_MAX]; /* injected fsync failures hit only matching files */
    guint nfixed;                     /* files made at creation (disk_new's nfiles) */
    GPtrArray *files;                 /* of File*, by number; NULL once freed */
    GPtrArray *dirs;                  /* of Dir*, by number; NULL once freed */
    GArray *nsops;                    /* of NsOp, in the order they happened */
    Fd fds[DISK_MAX_FDS];
    struct NsCounts *counts; /* disk_ns.c's own counts */
    int fsync_err;
    guint fsync_fail_left;
    int write_err;
    guint write_fail_left;
    DiskDurableFn observe;
    void *observe_ctx;
    DiskStats stats;
    BlockStore *store;
    gboolean owns_store;
    gboolean checking; /* the whole of disk_check_invariants after every state change */
    File *touched;     /* the file the current operation changed, for the cheap checks */
};

extern const DiskBlock disk_empty_block;

static inline Slot *slot_at(const File *f, uint32_t idx)
{
    return &chunks_index(&f->slots, Slot, idx);
}

/* The content of block id `id` (0: the empty block). Valid until that content's last
 * reference goes. */
static inline const DiskBlock *content(const File *f, uint32_t id)
{
    return id == 0 ? &disk_empty_block : &stored(f->store, id)->b;
}

static inline const DiskBlock *cache_of(const File *f, const Slot *s)
{
    return content(f, s->cache);
}

/* The durable content of a slot, or NULL. */
static inline const DiskBlock *durable_of(const File *f, const Slot *s)
{
    if (s->flags & F_BAD)
        return NULL;
    if (s->flags & F_SAME)
        return cache_of(f, s);
    return s->dur ? content(f, s->dur) : NULL;
}

static inline File *file_at(const Disk *d, guint file)
{
    return file < d->files->len ? g_ptr_array_index(d->files, file) : NULL;
}

static inline Dir *dir_at(const Disk *d, guint dir)
{
    return dir < d->dirs->len ? g_ptr_array_index(d->dirs, dir) : NULL;
}

/* disk.c */
File *disk_file_new(Disk *d);
/* Tells the observer of a change of a reachable file's durable image. */
void disk_notify(Disk *d, const File *f, uint32_t idx, const DiskBlock *old, const DiskBlock *neu,
                 DiskChange cause);
/* Drops a slot's contents: it reads as a never-written block. */
void disk_slot_reset(File *f, Slot *s);
/* Replaces the slot's page-cache content with `b`. */
void disk_set_cache(File *f, Slot *s, const DiskBlock *b);
/* A file that exists, made the one the current operation changes (for the cheap checks). */
File *disk_file_of(const Disk *d, guint file);
/* Forgets the lost writes of blocks idx .. idx_end - 1 (written again, or truncated away). */
void disk_lost_forget(File *f, uint32_t idx, uint32_t idx_end);
/* Runs the checks due when a state-changing function returns. */
void disk_checked(Disk *const *dp);
#define CHECK_ON_RETURN(d) Disk *const check_me __attribute__((cleanup(disk_checked))) = (d)
/* What a descriptor opened now samples of the file's error count (since, contract). */
void disk_file_sample(const Disk *d, const File *f, uint32_t *since, uint32_t *contract);
/* fsync(2) of file f through a descriptor whose samples these are. */
int disk_file_fsync(Disk *d, File *f, uint32_t *since, uint32_t *contract);
/* Sets the file's page-cache length, keeping the disk's count of used blocks. */
void disk_file_set_len(Disk *d, File *f, uint32_t len);
void disk_file_free(Disk *d, File *f);
/* Tells the observer of every durable block of f: appearing (`appear`) or going. */
void disk_file_announce(Disk *d, File *f, gboolean appear, DiskChange cause);
/* What a power crash keeps of the unsynced changes. */
typedef struct {
    DiskKeep keep;
    gboolean ordered; /* ext4-journal: every change up to `cut` (Disk.seq) survives, none after */
    uint64_t cut;
} PowerPlan;
void disk_file_power_loss(Disk *d, File *f, const PowerPlan *plan, SimRng *rng);

void disk_file_check(const Disk *d, const File *f);

/* disk_ns.c */
void disk_ns_init(Disk *d);
void disk_ns_clear(Disk *d);
/* A power crash: the namespace changes not synced survive as the profile allows; files and
 * directories no durable entry reaches any more are freed. */
void disk_ns_power_loss(Disk *d, const PowerPlan *plan, SimRng *rng);
/* The changes a power crash may keep, in order (for ext4-journal's cut). */
void disk_ns_seqs(const Disk *d, GArray *seqs);
void disk_ns_wipe(Disk *d);
void disk_ns_check(const Disk *d);
