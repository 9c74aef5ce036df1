/* model/seglog.c — a log in segment files (see seglog.h). */
#include "model/seglog.h"

#include <string.h>

void seglog_path(const char *dir, uint32_t seg, char *buf, gsize size)
{
    g_snprintf(buf, size, "%s/%08u", dir, seg);
}

gboolean seglog_parse(const char *dir, const char *path, uint32_t *seg)
{
    gsize n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || path[n] != '/' || strlen(path) != n + 9)
        return FALSE;
    uint32_t v = 0;
    for (const char *p = path + n + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return FALSE;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    *seg = v;
    return TRUE;
}

void seglog_init(SegLog *s, const SegLogConfig *cfg)
{
    g_assert(cfg->nfds > 0 && cfg->fd_first + cfg->nfds <= 256 && cfg->seg_blocks > 0);
    *s = (SegLog){.cfg = *cfg};
    s->open = g_array_new(FALSE, FALSE, sizeof(SegLogOpen));
    s->closed_dirty = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

void seglog_clear(SegLog *s)
{
    g_array_free(s->open, TRUE);
    g_array_free(s->closed_dirty, TRUE);
}

/* ---- boot ---- */

/* The blocks of segment `seg` as the image holds them, into the flat log. */
static void take_segment(const SegLog *s, const ProtoFileImage *e, uint32_t seg, DiskBlock *blocks,
                         int *errors)
{
    uint32_t b = s->cfg.seg_blocks, n = MIN(e->len, b);
    memcpy(&blocks[(gsize)seg * b], e->blocks, n * sizeof(DiskBlock));
    memcpy(&errors[(gsize)seg * b], e->errors, n * sizeof(int));
}

uint32_t seglog_boot(SegLog *s, const ProtoDiskImage *img, DiskBlock **blocks, int **errors,
                     ActionList *out)
{
    const char *dir = s->cfg.dir;
    uint32_t sb = s->cfg.seg_blocks;
    gboolean have_dir = FALSE;
    uint32_t len = 0, first = UINT32_MAX;
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        uint32_t seg;
        have_dir |= e->is_dir && strcmp(e->path, dir) == 0;
        if (!e->is_dir && seglog_parse(dir, e->path, &seg)) {
            s->nsegs = MAX(s->nsegs, seg + 1);
            first = MIN(first, seg);
            if (e->len > 0)
                len = MAX(len, seg * sb + MIN(e->len, sb));
        }
    }
    *blocks = g_new0(DiskBlock, len ? len : 1);
    *errors = g_new0(int, len ? len : 1);
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        uint32_t seg;
        if (!e->is_dir && seglog_parse(dir, e->path, &seg) && seg * sb < len)
            take_segment(s, e, seg, *blocks, *errors);
    }
    s->len = len;
    s->first = first == UINT32_MAX ? 0 : first;
    if (!have_dir)
        act_mkdir(out, dir, s->cfg.internal);
    act_open(out, s->cfg.fd_root, ".", FS_O_DIR, s->cfg.internal);
    act_open(out, s->cfg.fd_dir, dir, FS_O_DIR, s->cfg.internal);
    /* What the page cache showed may not be durable, names included: the first sync fsyncs it
     * all. */
    s->sync_all = TRUE;
    s->dir_dirty = s->root_dirty = TRUE;
    return len;
}

/* ---- segments ---- */

static SegLogOpen *find_open(SegLog *s, uint32_t seg)
{
    for (guint i = 0; i < s->open->len; i++) {
        SegLogOpen *o = &g_array_index(s->open, SegLogOpen, i);
        if (o->seg == seg)
            return o;
    }
    return NULL;
}

/* A descriptor for one more segment; when all are taken, the lowest segment open gives its up
 * (remembered for the next sync if it has unsynced writes). */
static uint8_t free_fd(SegLog *s, ActionList *out)
{
    for (guint fd = s->cfg.fd_first; fd < s->cfg.fd_first + s->cfg.nfds; fd++) {
        gboolean used = FALSE;
        for (guint i = 0; i < s->open->len && !used; i++)
            used = g_array_index(s->open, SegLogOpen, i).fd == fd;
        if (!used)
            return (uint8_t)fd;
    }
    guint low = 0;
    for (guint i = 1; i < s->open->len; i++)
        if (g_array_index(s->open, SegLogOpen, i).seg < g_array_index(s->open, SegLogOpen, low).seg)
            low = i;
    SegLogOpen o = g_array_index(s->open, SegLogOpen, low);
    act_close(out, o.fd, s->cfg.internal);
    if (o.dirty)
        g_array_append_val(s->closed_dirty, o.seg);
    g_array_remove_index(s->open, low);
    return o.fd;
}

/* Segment `seg` open for writing (created, and its directory marked for a sync, if new). */
static SegLogOpen *open_seg(SegLog *s, ActionList *out, uint32_t seg, gboolean create)
{
    SegLogOpen *o = find_open(s, seg);
    if (o)
        return o;
    char path[FS_PATH_MAX];
    seglog_path(s->cfg.dir, seg, path, sizeof path);
    SegLogOpen fresh = {seg, free_fd(s, out), 0};
    act_open(out, fresh.fd, path, create ? FS_O_CREATE : 0, s->cfg.internal);
    if (create && seg >= s->nsegs) {
        s->nsegs = seg + 1;
        s->dir_dirty = TRUE;
    }
    g_array_append_val(s->open, fresh);
    return &g_array_index(s->open, SegLogOpen, s->open->len - 1);
}

void seglog_write(SegLog *s, ActionList *out, uint32_t block, const DiskBlock *b, uint64_t token)
{
    uint32_t seg = block / s->cfg.seg_blocks;
    gboolean append = block >= s->len;
    SegLogOpen *o = open_seg(s, out, seg, append);
    o->dirty = 1;
    act_write(out, o->fd, block % s->cfg.seg_blocks, b, token);
    s->len = MAX(s->len, block + 1);
}

/* Closes segment `seg` if open, forgets its unsynced writes, and unlinks it. */
static void unlink_seg(SegLog *s, ActionList *out, uint32_t seg, uint64_t token)
{
    for (guint i = 0; i < s->open->len; i++)
        if (g_array_index(s->open, SegLogOpen, i).seg == seg) {
            act_close(out, g_array_index(s->open, SegLogOpen, i).fd, s->cfg.internal);
            g_array_remove_index(s->open, i);
            break;
        }
    for (guint i = s->closed_dirty->len; i-- > 0;)
        if (g_array_index(s->closed_dirty, uint32_t, i) == seg)
            g_array_remove_index(s->closed_dirty, i);
    char path[FS_PATH_MAX];
    seglog_path(s->cfg.dir, seg, path, sizeof path);
    act_unlink(out, path, token);
    s->dir_dirty = TRUE;
}

void seglog_truncate(SegLog *s, ActionList *out, uint32_t len, uint64_t token)
{
    if (len >= s->len)
        return;
    uint32_t sb = s->cfg.seg_blocks;
    uint32_t keep = (len + sb - 1) / sb; /* segments 0 .. keep - 1 stay */
    if (len % sb != 0) {
        SegLogOpen *o = open_seg(s, out, keep - 1, FALSE);
        o->dirty = 1; /* the new size is durable with the segment's next fsync */
        act_truncate(out, o->fd, len % sb, token);
    }
    uint32_t from = MAX(keep, s->first);
    for (uint32_t k = from; k < s->nsegs; k++)
        unlink_seg(s, out, s->cfg.unlink_from_end ? s->nsegs - 1 - (k - from) : k, token);
    s->nsegs = MIN(s->nsegs, keep);
    s->first = MIN(s->first, keep);
    s->len = len;
}

void seglog_unlink_below(SegLog *s, ActionList *out, uint32_t seg, uint64_t token)
{
    for (uint32_t x = s->first; x < MIN(seg, s->nsegs); x++)
        unlink_seg(s, out, x, token);
    s->first = MAX(s->first, seg); /* (a log that holds no segment yet starts there too) */
}

void seglog_restart_at(SegLog *s, ActionList *out, uint32_t block, uint64_t token)
{
    for (uint32_t seg = s->first; seg < s->nsegs; seg++)
        unlink_seg(s, out, seg, token);
    s->first = s->nsegs = block / s->cfg.seg_blocks;
    s->len = block;
}

/* ---- syncs ---- */

void seglog_sync(SegLog *s, ActionList *out, uint64_t token, uint64_t part)
{
    guint first = out->len;
    gboolean any = FALSE;
    gboolean scan = s->sync_all || s->closed_dirty->len > 0; /* rare: boot, too many open */
    for (uint32_t seg = s->first; scan && seg < s->nsegs; seg++) {
        gboolean closed_dirty = FALSE;
        for (guint i = 0; i < s->closed_dirty->len && !closed_dirty; i++)
            closed_dirty = g_array_index(s->closed_dirty, uint32_t, i) == seg;
        if ((!s->sync_all && !closed_dirty) || find_open(s, seg))
            continue;
        char path[FS_PATH_MAX];
        seglog_path(s->cfg.dir, seg, path, sizeof path);
        act_open(out, s->cfg.fd_scratch, path, 0, s->cfg.internal);
        act_fsync(out, s->cfg.fd_scratch, part);
        act_close(out, s->cfg.fd_scratch, s->cfg.internal);
        any = TRUE;
    }
    g_array_set_size(s->closed_dirty, 0);
    for (guint i = 0; i < s->open->len; i++) {
        SegLogOpen *o = &g_array_index(s->open, SegLogOpen, i);
        if (o->dirty || s->sync_all) {
            act_fsync(out, o->fd, part);
            any = TRUE;
        }
        o->dirty = 0;
    }
    if (s->dir_dirty && !s->cfg.skip_dir_fsync) {
        act_fsync(out, s->cfg.fd_dir, part);
        any = TRUE;
    }
    if (s->root_dirty) {
        act_fsync(out, s->cfg.fd_root, part);
        any = TRUE;
    }
    s->dir_dirty = s->root_dirty = s->sync_all = FALSE;
    if (!any)
        act_fsync(out, s->cfg.fd_dir, part); /* nothing new: a cheap fsync answers */
    /* The group's last fsync carries the token. */
    for (guint i = out->len; i-- > first;) {
        ProtoAction *a = &out->items[i];
        if (a->kind == ACT_FSYNC) {
            a->token = token;
            break;
        }
    }
}

void seglog_synced(SegLog *s, ActionList *out)
{
    uint32_t tail = s->len / s->cfg.seg_blocks;
    guint keep = 0;
    for (guint i = 0; i < s->open->len; i++) {
        SegLogOpen o = g_array_index(s->open, SegLogOpen, i);
        if (o.seg < tail && !o.dirty)
            act_close(out, o.fd, s->cfg.internal);
        else
            g_array_index(s->open, SegLogOpen, keep++) = o;
    }
    g_array_set_size(s->open, keep);
}

void seglog_sync_failed(SegLog *s)
{
    s->sync_all = TRUE;
    s->dir_dirty = s->root_dirty = TRUE;
}

uint32_t seglog_read(SegLog *s, ActionList *out, uint32_t block, uint32_t count, uint64_t token)
{
    uint32_t sb = s->cfg.seg_blocks;
    uint32_t seg = block / sb, at = block % sb;
    count = MIN(count, sb - at);
    SegLogOpen *o = find_open(s, seg);
    if (o) {
        act_read(out, o->fd, at, count, token);
        return count;
    }
    char path[FS_PATH_MAX];
    seglog_path(s->cfg.dir, seg, path, sizeof path);
    act_open(out, s->cfg.fd_scratch, path, 0, s->cfg.internal);
    act_read(out, s->cfg.fd_scratch, at, count, token);
    act_close(out, s->cfg.fd_scratch, s->cfg.internal);
    return count;
}

void seglog_reopen(SegLog *s, ActionList *out)
{
    for (guint i = 0; i < s->open->len; i++) {
        const SegLogOpen *o = &g_array_index(s->open, SegLogOpen, i);
        char path[FS_PATH_MAX];
        seglog_path(s->cfg.dir, o->seg, path, sizeof path);
        act_close(out, o->fd, s->cfg.internal);
        act_open(out, o->fd, path, 0, s->cfg.internal);
        g_array_index(s->open, SegLogOpen, i).dirty = 1; /* and fsync it again, trusting the 0 */
    }
}
