/* model/quorum/quorum_store.h — where a quorum replica keeps its log: in segment files, as
 * storage engines do (a log-structured store's segments, Cassandra's commit log).
 *
 * The replica sees one log of blocks numbered from 0 (records, hints, VOID markers, the identity
 * block) and appends to its end; this module keeps block b in segment file data/<b / 64>, at
 * block b % 64, and turns the replica's appends, fsyncs and reads into file-system actions:
 *
 *   - a new segment is created in data/, and is durable only once data/ is fsynced: the sync
 *     that makes a block durable fsyncs every segment written since the last sync, and data/
 *     (and the root, which holds data/) when an entry changed in it; nothing in a segment counts
 *     as synced before its entry is (fsync(2): "an explicit fsync() on a file descriptor for the
 *     directory is also needed");
 *   - the first sync after boot fsyncs every segment and both directories: after a process crash
 *     the page cache may hold writes, and entries, that never reached the disk;
 *   - segments are open on descriptors of their own while they may still be written or synced,
 *     and closed once full and synced (or, when too many are open, the oldest is closed and the
 *     next sync opens it again to fsync it).
 *
 * Invariants: `len` is one past the highest block written; every open segment is below
 * nsegs; a segment is marked dirty from its first write after a sync until the next sync.
 */
#pragma once

#include "model/quorum/quorum.h"

#define QSTORE_SEG_BLOCKS QUORUM_SEGMENT_BLOCKS
#define QSTORE_FD_ROOT    0 /* the root directory */
#define QSTORE_FD_DATA    1 /* data/ */
#define QSTORE_FD_SCRATCH 2 /* a segment opened for one operation (boot sync, scrub read) */
#define QSTORE_FD_FIRST   8 /* segments open for writing: fds 8 .. 8 + QSTORE_FDS - 1 */
#define QSTORE_FDS        64

typedef struct {
    uint32_t seg;
    uint8_t fd;
    uint8_t dirty; /* written since its last sync */
} QOpenSeg;

typedef struct {
    uint32_t len;         /* blocks of the log (one past the highest written) */
    uint32_t nsegs;       /* segments data/0 .. nsegs-1 may exist */
    GArray *open;         /* of QOpenSeg */
    GArray *closed_dirty; /* of uint32_t: segments closed with writes not yet synced (when more
                             than QSTORE_FDS were open), which the next sync fsyncs */
    gboolean data_dirty, root_dirty;
    gboolean sync_all;       /* the first sync after boot: every segment */
    gboolean skip_dir_fsync; /* the missing-dir-fsync bug: never fsync data/ */
    uint64_t internal;       /* the token of the module's own actions (opens, closes...) */
} QStore;

void qstore_init(QStore *s, uint64_t internal_token, gboolean skip_dir_fsync);
void qstore_clear(QStore *s);

/* Boot: the log as the disk shows it, a block per position (blocks of missing segments read as
 * empty), into *blocks and *errors (caller frees both); returns its length. Emits what opens the
 * directories (creating data/ when it is not there). */
uint32_t qstore_boot(QStore *s, const ProtoDiskImage *img, DiskBlock **blocks, int **errors,
                     ActionList *out);
/* Writes block `block` (an append at the end, or a rewrite below it). */
void qstore_write(QStore *s, ActionList *out, uint32_t block, const DiskBlock *b, uint64_t token);
/* Makes every write so far durable: fsyncs as needed, each carrying `part` except the last,
 * which carries `token` (there is always one). */
void qstore_sync(QStore *s, ActionList *out, uint64_t token, uint64_t part);
/* A sync succeeded: segments full and clean are closed. */
void qstore_synced(QStore *s, ActionList *out);
/* Reads up to `count` blocks from `block`, within one segment; returns how many it asked for. */
uint32_t qstore_read(QStore *s, ActionList *out, uint32_t block, uint32_t count, uint64_t token);
/* Closes every open segment and opens it again (the reopen-misses-error bug). */
void qstore_reopen(QStore *s, ActionList *out);
