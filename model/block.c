/* model/block.c — sealing and checking blocks, and the names of file-system profiles. */
#include "model/block.h"

#include <string.h>

static uint32_t block_sum(const DiskBlock *b)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)b->type << 16 | b->len);
    gsize n = MIN((gsize)DISK_BODY_BYTES, MAX((gsize)48, ((gsize)b->len + 7) & ~(gsize)7));
    for (gsize i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, b->body + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return (uint32_t)(h ^ (h >> 32));
}

void disk_block_seal(DiskBlock *b, uint16_t type, const void *body, uint16_t len)
{
    g_assert(len > 0 && len <= DISK_BODY_BYTES);
    memset(b, 0, sizeof *b);
    b->type = type;
    b->len = len;
    memcpy(b->body, body, len);
    b->sum = block_sum(b);
}

BlockCheck disk_block_check(const DiskBlock *b, uint16_t expected_len)
{
    if (b->len == 0 && b->type == 0 && b->sum == 0)
        return BLOCK_EMPTY;
    if (b->len != expected_len)
        return b->len < expected_len ? BLOCK_TORN : BLOCK_CORRUPT;
    return block_sum(b) == b->sum ? BLOCK_OK : BLOCK_CORRUPT;
}

const char *block_check_name(BlockCheck c)
{
    static const char *names[] = {"ok", "empty", "torn", "corrupt"};
    return names[c];
}

const char *fs_profile_name(FsProfile fs)
{
    static const char *names[] = {"ext4-ordered", "ext4-journal", "xfs", "btrfs"};
    g_assert((unsigned)fs < G_N_ELEMENTS(names));
    return names[fs];
}

gboolean fs_profile_parse(const char *text, FsProfile *out)
{
    for (FsProfile fs = 0; fs < FS_PROFILE_COUNT; fs++) {
        if (strcmp(text, fs_profile_name(fs)) == 0) {
            *out = fs;
            return TRUE;
        }
    }
    return FALSE;
}

const char *fs_kernel_name(FsKernel k)
{
    static const char *names[] = {"4.16", "4.13", "pre-4.13"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == FS_KERNEL_COUNT);
    g_assert((unsigned)k < G_N_ELEMENTS(names));
    return names[k];
}

gboolean fs_kernel_parse(const char *text, FsKernel *out)
{
    for (FsKernel k = 0; k < FS_KERNEL_COUNT; k++) {
        if (strcmp(text, fs_kernel_name(k)) == 0) {
            *out = k;
            return TRUE;
        }
    }
    return FALSE;
}
