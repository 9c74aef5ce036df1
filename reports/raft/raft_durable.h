/* reports/raft/raft_durable.h — what a world's disk holds durably in raft's on-disk layout
 * (model/raft/raft.h): named files (meta, log/<n>), or fixed files (raft_disk_fixed). The oracles
 * and the tests read disks through these; the protocol never does (it reads its boot image), which
 * is why they live beside the oracle module and not in model/raft/. */
#pragma once

#include "model/raft/raft.h"
#include "model/world/disk.h"

/* The newest valid durable metadata of a disk (either layout); FALSE if none. */
gboolean raft_durable_meta(const Disk *d, RaftMeta *out);
/* Whether a disk keeps raft's fixed files rather than named ones. */
static inline gboolean raft_disk_fixed(const Disk *d)
{
    return disk_nfixed(d) > RAFT_FILE_LOG;
}
/* Where entry `index` lives on a disk: its file (as the page cache names it, or with `durable`
 * as the durable image does) and block. FALSE when no such file. */
gboolean raft_log_locate(const Disk *d, uint64_t index, gboolean durable, guint *file,
                         uint32_t *block);
/* The durable entry `index` of a disk (either layout); FALSE if none or it does not decode. */
gboolean raft_durable_entry(const Disk *d, uint64_t index, RaftEntry *out);
