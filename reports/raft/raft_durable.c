/* reports/raft/raft_durable.c — reading raft's durable state off a world's disk (see
 * raft_durable.h). */
#include "reports/raft/raft_durable.h"

gboolean raft_log_locate(const Disk *d, uint64_t index, gboolean durable, guint *file,
                         uint32_t *block)
{
    if (index < 1)
        return FALSE;
    if (raft_disk_fixed(d)) {
        *file = RAFT_FILE_LOG;
        *block = (uint32_t)(index - 1);
        return TRUE;
    }
    char path[FS_PATH_MAX];
    raft_segment_path((uint32_t)((index - 1) / RAFT_SEGMENT_ENTRIES), path, sizeof path);
    gint f = disk_lookup(d, path, durable);
    if (f < 0)
        return FALSE;
    *file = (guint)f;
    *block = (uint32_t)((index - 1) % RAFT_SEGMENT_ENTRIES);
    return TRUE;
}

gboolean raft_durable_entry(const Disk *d, uint64_t index, RaftEntry *out)
{
    guint file;
    uint32_t block;
    DiskBlock b;
    return raft_log_locate(d, index, TRUE, &file, &block) &&
           disk_durable_block(d, file, block, &b) && raft_decode_entry(&b, out) == BLOCK_OK;
}

gboolean raft_durable_meta(const Disk *d, RaftMeta *out)
{
    /* Raft's meta is one block; the hosted raft's (fixed file, or named meta) two alternating
     * ones: the newest valid block wins. */
    guint file = RAFT_FILE_META;
    if (!raft_disk_fixed(d)) {
        gint f = disk_lookup(d, RAFT_META_PATH, TRUE);
        if (f < 0)
            return FALSE;
        file = (guint)f;
    }
    gboolean found = FALSE;
    for (uint32_t slot = 0; slot < 2; slot++) {
        DiskBlock b;
        RaftMeta m;
        if (!disk_durable_block(d, file, slot, &b))
            continue;
        if (raft_decode_meta(&b, &m) != BLOCK_OK)
            continue;
        if (!found || m.seq > out->seq) {
            *out = m;
            found = TRUE;
        }
    }
    return found;
}
