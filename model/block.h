/* model/block.h — the unit of storage that protocols, disks and oracles share: a fixed-size
 * block sealed with its length and checksum, how a block read back is judged (ok, empty, torn,
 * corrupt), the file-system profiles whose fsync behaviour the world's disks follow, and the
 * names and open flags of their files.
 *
 * A protocol seals the records it writes and checks those it reads back; the world's disks
 * (model/world/disk.h) store blocks without looking inside them; the oracles decode them.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* A block's body. Records of up to 48 bytes checksum exactly as they did when that was the size
 * (block_sum reads 48 bytes, or the body's length rounded up to 8), so their blocks, and every
 * trace hash, are unchanged by the larger records (quorum's version-vector records). */
#define DISK_BODY_BYTES 72

typedef struct {
    uint16_t len;  /* bytes of body written; 0 for a block never written */
    uint16_t type; /* the writer's record type */
    uint32_t sum;  /* checksum over type, len and body */
    uint8_t body[DISK_BODY_BYTES];
} DiskBlock;

typedef enum {
    BLOCK_OK,
    BLOCK_EMPTY,   /* never written (a hole or past the end) */
    BLOCK_TORN,    /* incomplete: the write was cut short by a crash */
    BLOCK_CORRUPT, /* complete, but the checksum does not match */
} BlockCheck;

/* Fills a block with a record of `len` bytes and seals it with its checksum. */
void disk_block_seal(DiskBlock *b, uint16_t type, const void *body, uint16_t len);
/* Checks a block read back against the length its type must have. */
BlockCheck disk_block_check(const DiskBlock *b, uint16_t expected_len);
const char *block_check_name(BlockCheck c);

/* A path in a node's file system ("meta", "log/00000001"), its NUL included: the longest a
 * protocol may name (model/proto.h) and the disk may hold (model/world/disk.h). */
#define FS_PATH_MAX 28

/* How a file is opened (the open(2) flags the file systems here give meaning to). */
enum {
    FS_O_CREATE = 1 << 0, /* create the file if it does not exist (O_CREAT) */
    FS_O_EXCL = 1 << 1,   /* with FS_O_CREATE: fail with EEXIST if it exists (O_EXCL) */
    FS_O_TRUNC = 1 << 2,  /* truncate it to 0 blocks (O_TRUNC) */
    FS_O_DIR = 1 << 3,    /* open a directory, to fsync it (O_DIRECTORY) */
};

typedef enum {
    FS_EXT4_ORDERED,
    FS_EXT4_JOURNAL,
    FS_XFS,
    FS_BTRFS,
    FS_PROFILE_COUNT,
} FsProfile;

const char *fs_profile_name(FsProfile fs);
gboolean fs_profile_parse(const char *text, FsProfile *out);

/* How the kernel reports a write-back error to the descriptors of a file (Linux): */
typedef enum {
    FS_KERNEL_4_16,     /* errseq (since 4.13), and since 4.16 an error nobody has seen yet is
                           also reported to a descriptor opened after it: every descriptor open
                           when it happened hears it once, and so does the first one opened later
                           if nobody heard it */
    FS_KERNEL_4_13,     /* errseq without that: a descriptor opened after an error never hears it */
    FS_KERNEL_PRE_4_13, /* one error flag per file: the first fsync, through any descriptor, hears
                           it and clears it; the others hear nothing (fsyncgate) */
    FS_KERNEL_COUNT,
} FsKernel;

const char *fs_kernel_name(FsKernel k);
gboolean fs_kernel_parse(const char *text, FsKernel *out);

/* Bytes a block stands for on the device, for torn writes at the device's granularity: a record
 * is never torn on a device that writes at least this much atomically. */
#define FS_RECORD_BYTES 64
