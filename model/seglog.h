/* model/seglog.h — a log kept in segment files, as storage engines keep theirs (a log-structured
 * store's segments, Cassandra's commit log, etcd's WAL, LogCabin's segmented log), for a
 * protocol on the file-system model: the protocol sees one log of blocks numbered from 0, and
 * this module turns its writes, truncations, fsyncs and reads into file-system actions on
 * <dir>/<segment> files of `seg_blocks` blocks each ("log/00000003").
 *
 *   - a new segment is created in <dir>, and is durable only once <dir> is fsynced: a sync
 *     fsyncs every segment written since the last one, then <dir> (and the root, which holds
 *     <dir>) when an entry changed in it, so nothing in a segment counts as synced before its
 *     name does (fsync(2): "an explicit fsync() on a file descriptor for the directory is also
 *     needed");
 *   - a truncation cuts the segment holding the new end and unlinks the segments after it; the
 *     unlinks are durable with the next sync's fsync of <dir> (until then a power cut may bring
 *     them back: a protocol must not trust what lies past a gap or a torn block at boot);
 *   - a compaction unlinks whole segments below a point (a snapshot covers them), durably with
 *     the next sync as well;
 *   - the first sync after boot fsyncs every segment and both directories: after a process
 *     crash the page cache may hold writes and names that never reached the disk;
 *   - segments are open on descriptors of their own while they may still be written or synced,
 *     and closed once full and synced (when more are needed at once, the lowest is closed and
 *     the next sync opens it again to fsync it).
 *
 * The protocol chooses the descriptors (root, <dir>, a scratch one, and a range for segments)
 * and a token for the module's own actions (opens, closes, mkdir), whose completions it ignores
 * but for their errors. Every sync ends with exactly one fsync carrying the caller's token; the
 * fsyncs before it carry `part`: a sync succeeded only if all of them did.
 *
 * Invariants: `len` is one past the highest block written; every open segment is in first ..
 * nsegs - 1; a segment is marked dirty from its first write after a sync until the next sync.
 */
#pragma once

#include "model/proto.h"

typedef struct {
    const char *dir;     /* the segments' directory, in the root ("log") */
    uint32_t seg_blocks; /* blocks per segment */
    guint fd_root, fd_dir, fd_scratch;
    guint fd_first, nfds;    /* segments open for writing: fds fd_first .. fd_first + nfds - 1 */
    uint64_t internal;       /* the token of the module's own actions */
    gboolean skip_dir_fsync; /* a bug variant: never fsync <dir> */
    /* A truncation unlinks the segments after the new end from the last one down (so that each
     * unlink is of the segment then last: an observer tells it from a compaction's). */
    gboolean unlink_from_end;
} SegLogConfig;

typedef struct {
    uint32_t seg;
    uint8_t fd;
    uint8_t dirty; /* written since its last sync */
} SegLogOpen;

typedef struct {
    SegLogConfig cfg;
    uint32_t len;   /* blocks of the log (one past the highest written) */
    uint32_t first; /* segments <dir>/first .. nsegs-1 may exist (below: compacted) */
    uint32_t nsegs;
    GArray *open;         /* of SegLogOpen */
    GArray *closed_dirty; /* of uint32_t: segments closed with writes not yet synced */
    gboolean dir_dirty, root_dirty;
    gboolean sync_all; /* the first sync after boot: every segment */
} SegLog;

void seglog_init(SegLog *s, const SegLogConfig *cfg);
void seglog_clear(SegLog *s);

/* "<dir>/%08u" into buf; whether `path` names a segment of `dir` (and which). */
void seglog_path(const char *dir, uint32_t seg, char *buf, gsize size);
gboolean seglog_parse(const char *dir, const char *path, uint32_t *seg);

/* Boot: the log as the disk shows it, a block per position (blocks of missing segments read as
 * empty), into *blocks and *errors (caller frees both); returns its length. Emits what opens the
 * directories (creating <dir> when it is not there). */
uint32_t seglog_boot(SegLog *s, const ProtoDiskImage *img, DiskBlock **blocks, int **errors,
                     ActionList *out);
/* Writes block `block` (an append at the end, or a rewrite below it). */
void seglog_write(SegLog *s, ActionList *out, uint32_t block, const DiskBlock *b, uint64_t token);
/* Cuts the log to `len` blocks: the segment holding the new end is truncated, those after it
 * unlinked (all carrying `token`). Nothing when the log is not longer. */
void seglog_truncate(SegLog *s, ActionList *out, uint32_t len, uint64_t token);
/* Unlinks every segment below `seg` (a compaction: what they held is kept elsewhere, a snapshot),
 * carrying `token`; the log starts at segment `seg` from then on, whether or not it exists yet. */
void seglog_unlink_below(SegLog *s, ActionList *out, uint32_t seg, uint64_t token);
/* The whole log goes (a snapshot replaced it): every segment is unlinked, carrying `token`, and
 * the log continues at block `block`; segments below its segment are none (not a gap). */
void seglog_restart_at(SegLog *s, ActionList *out, uint32_t block, uint64_t token);
/* Makes every write, truncation and new or removed name so far durable: fsyncs as needed, each
 * carrying `part` except the last, which carries `token` (there is always one). */
void seglog_sync(SegLog *s, ActionList *out, uint64_t token, uint64_t part);
/* A sync succeeded: segments full and clean are closed. */
void seglog_synced(SegLog *s, ActionList *out);
/* A sync failed: the next one fsyncs everything again (the caller writes again what it
 * covered: an fsync after a failed one proves nothing about the pages it lost). */
void seglog_sync_failed(SegLog *s);
/* Reads up to `count` blocks from `block`, within one segment; returns how many it asked for. */
uint32_t seglog_read(SegLog *s, ActionList *out, uint32_t block, uint32_t count, uint64_t token);
/* Closes every open segment and opens it again (the reopen-misses-error bug). */
void seglog_reopen(SegLog *s, ActionList *out);
