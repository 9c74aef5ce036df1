/* model/block.h — the unit of storage that protocols, disks and oracles share: a fixed-size
 * block sealed with its length and checksum, how a block read back is judged (ok, empty, torn,
 * corrupt), and the file-system profiles whose fsync behaviour the world's disks follow.
 *
 * A protocol seals the records it writes and checks those it reads back; the world's disks
 * (model/world/disk.h) store blocks without looking inside them; the oracles decode them.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#define DISK_BODY_BYTES 48

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

typedef enum {
    FS_EXT4_ORDERED,
    FS_EXT4_JOURNAL,
    FS_XFS,
    FS_BTRFS,
    FS_PROFILE_COUNT,
} FsProfile;

const char *fs_profile_name(FsProfile fs);
gboolean fs_profile_parse(const char *text, FsProfile *out);
