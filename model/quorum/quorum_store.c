/* model/quorum/quorum_store.c — a quorum replica's log in segment files (see quorum_store.h). */
#include "model/quorum/quorum_store.h"

#include "model/quorum/quorum.h"

#include <stdio.h>
#include <string.h>

void quorum_segment_path(uint32_t seg, char *buf, gsize size)
{
    g_snprintf(buf, size, "data/%08u", seg);
}

gboolean quorum_segment_parse(const char *path, uint32_t *seg)
{
    if (strncmp(path, "data/", 5) != 0 || strlen(path) != 13)
        return FALSE;
    uint32_t v = 0;
    for (const char *p = path + 5; *p; p++) {
        if (*p < '0' || *p > '9')
            return FALSE;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    *seg = v;
    return TRUE;
}

void qstore_init(QStore *s, uint64_t internal_token, gboolean skip_dir_fsync)
{
    *s = (QStore){.internal = internal_token, .skip_dir_fsync = skip_dir_fsync};
    s->open = g_array_new(FALSE, FALSE, sizeof(QOpenSeg));
    s->closed_dirty = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

void qstore_clear(QStore *s)
{
    g_array_free(s->open, TRUE);
    g_array_free(s->closed_dirty, TRUE);
}

/* ---- boot ---- */

/* The blocks of segment `seg` as the image holds them, into the flat log. */
static void take_segment(const ProtoFileImage *e, uint32_t seg, DiskBlock *blocks, int *errors)
{
    uint32_t n = MIN(e->len, QSTORE_SEG_BLOCKS);
    memcpy(&blocks[(gsize)seg * QSTORE_SEG_BLOCKS], e->blocks, n * sizeof(DiskBlock));
    memcpy(&errors[(gsize)seg * QSTORE_SEG_BLOCKS], e->errors, n * sizeof(int));
}

uint32_t qstore_boot(QStore *s, const ProtoDiskImage *img, DiskBlock **blocks, int **errors,
                     ActionList *out)
{
    gboolean have_data = FALSE;
    uint32_t len = 0;
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        uint32_t seg;
        have_data |= e->is_dir && strcmp(e->path, "data") == 0;
        if (!e->is_dir && quorum_segment_parse(e->path, &seg)) {
            s->nsegs = MAX(s->nsegs, seg + 1);
            if (e->len > 0)
                len = MAX(len, seg * QSTORE_SEG_BLOCKS + MIN(e->len, QSTORE_SEG_BLOCKS));
        }
    }
    *blocks = g_new0(DiskBlock, len ? len : 1);
    *errors = g_new0(int, len ? len : 1);
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        uint32_t seg;
        if (!e->is_dir && quorum_segment_parse(e->path, &seg) && seg * QSTORE_SEG_BLOCKS < len)
            take_segment(e, seg, *blocks, *errors);
    }
    s->len = len;
    if (!have_data)
        act_mkdir(out, "data", s->internal);
    act_open(out, QSTORE_FD_ROOT, ".", FS_O_DIR, s->internal);
    act_open(out, QSTORE_FD_DATA, "data", FS_O_DIR, s->internal);
    /* What the page cache showed may not be durable, names included: the first sync fsyncs it
     * all. */
    s->sync_all = TRUE;
    s->data_dirty = s->root_dirty = TRUE;
    return len;
}

/* ---- segments ---- */

static QOpenSeg *find_open(QStore *s, uint32_t seg)
{
    for (guint i = 0; i < s->open->len; i++) {
        QOpenSeg *o = &g_array_index(s->open, QOpenSeg, i);
        if (o->seg == seg)
            return o;
    }
    return NULL;
}

/* A descriptor for one more segment; when all are taken, the lowest segment open gives its up
 * (remembered for the next sync if it has unsynced writes). */
static uint8_t free_fd(QStore *s, ActionList *out)
{
    for (uint8_t fd = QSTORE_FD_FIRST; fd < QSTORE_FD_FIRST + QSTORE_FDS; fd++) {
        gboolean used = FALSE;
        for (guint i = 0; i < s->open->len && !used; i++)
            used = g_array_index(s->open, QOpenSeg, i).fd == fd;
        if (!used)
            return fd;
    }
    guint low = 0;
    for (guint i = 1; i < s->open->len; i++)
        if (g_array_index(s->open, QOpenSeg, i).seg < g_array_index(s->open, QOpenSeg, low).seg)
            low = i;
    QOpenSeg o = g_array_index(s->open, QOpenSeg, low);
    act_close(out, o.fd, s->internal);
    if (o.dirty)
        g_array_append_val(s->closed_dirty, o.seg);
    g_array_remove_index(s->open, low);
    return o.fd;
}

/* Segment `seg` open for writing (created, and its directory marked for a sync, if new). */
static QOpenSeg *open_seg(QStore *s, ActionList *out, uint32_t seg, gboolean create)
{
    QOpenSeg *o = find_open(s, seg);
    if (o)
        return o;
    char path[FS_PATH_MAX];
    quorum_segment_path(seg, path, sizeof path);
    QOpenSeg fresh = {seg, free_fd(s, out), 0};
    act_open(out, fresh.fd, path, create ? FS_O_CREATE : 0, s->internal);
    if (create && seg >= s->nsegs) {
        s->nsegs = seg + 1;
        s->data_dirty = TRUE;
    }
    g_array_append_val(s->open, fresh);
    return &g_array_index(s->open, QOpenSeg, s->open->len - 1);
}

void qstore_write(QStore *s, ActionList *out, uint32_t block, const DiskBlock *b, uint64_t token)
{
    uint32_t seg = block / QSTORE_SEG_BLOCKS;
    gboolean append = block >= s->len;
    QOpenSeg *o = open_seg(s, out, seg, append);
    o->dirty = 1;
    act_write(out, o->fd, block % QSTORE_SEG_BLOCKS, b, token);
    s->len = MAX(s->len, block + 1);
}

/* ---- syncs ---- */

/* Appends an fsync of fd to the group. */
static void group_add(ActionList *out, gboolean *any, guint fd, uint64_t part)
{
    act_fsync(out, fd, part);
    *any = TRUE;
}

void qstore_sync(QStore *s, ActionList *out, uint64_t token, uint64_t part)
{
    guint first = out->len;
    gboolean any = FALSE;
    gboolean scan = s->sync_all || s->closed_dirty->len > 0; /* rare: boot, too many open */
    for (uint32_t seg = 0; scan && seg < s->nsegs; seg++) {
        gboolean closed_dirty = FALSE;
        for (guint i = 0; i < s->closed_dirty->len && !closed_dirty; i++)
            closed_dirty = g_array_index(s->closed_dirty, uint32_t, i) == seg;
        if ((!s->sync_all && !closed_dirty) || find_open(s, seg))
            continue;
        char path[FS_PATH_MAX];
        quorum_segment_path(seg, path, sizeof path);
        act_open(out, QSTORE_FD_SCRATCH, path, 0, s->internal);
        group_add(out, &any, QSTORE_FD_SCRATCH, part);
        act_close(out, QSTORE_FD_SCRATCH, s->internal);
    }
    g_array_set_size(s->closed_dirty, 0);
    for (guint i = 0; i < s->open->len; i++) {
        QOpenSeg *o = &g_array_index(s->open, QOpenSeg, i);
        if (o->dirty || s->sync_all)
            group_add(out, &any, o->fd, part);
        o->dirty = 0;
    }
    if (s->data_dirty && !s->skip_dir_fsync)
        group_add(out, &any, QSTORE_FD_DATA, part);
    if (s->root_dirty)
        group_add(out, &any, QSTORE_FD_ROOT, part);
    s->data_dirty = s->root_dirty = s->sync_all = FALSE;
    if (!any)
        group_add(out, &any, QSTORE_FD_DATA, part); /* nothing new: a cheap fsync answers */
    /* The group's last fsync carries the token. */
    for (guint i = out->len; i-- > first;) {
        ProtoAction *a = &out->items[i];
        if (a->kind == ACT_FSYNC) {
            a->token = token;
            break;
        }
    }
}

void qstore_synced(QStore *s, ActionList *out)
{
    uint32_t tail = s->len / QSTORE_SEG_BLOCKS;
    guint keep = 0;
    for (guint i = 0; i < s->open->len; i++) {
        QOpenSeg o = g_array_index(s->open, QOpenSeg, i);
        if (o.seg < tail && !o.dirty)
            act_close(out, o.fd, s->internal);
        else
            g_array_index(s->open, QOpenSeg, keep++) = o;
    }
    g_array_set_size(s->open, keep);
}

uint32_t qstore_read(QStore *s, ActionList *out, uint32_t block, uint32_t count, uint64_t token)
{
    uint32_t seg = block / QSTORE_SEG_BLOCKS, at = block % QSTORE_SEG_BLOCKS;
    count = MIN(count, QSTORE_SEG_BLOCKS - at);
    QOpenSeg *o = find_open(s, seg);
    if (o) {
        act_read(out, o->fd, at, count, token);
        return count;
    }
    char path[FS_PATH_MAX];
    quorum_segment_path(seg, path, sizeof path);
    act_open(out, QSTORE_FD_SCRATCH, path, 0, s->internal);
    act_read(out, QSTORE_FD_SCRATCH, at, count, token);
    act_close(out, QSTORE_FD_SCRATCH, s->internal);
    return count;
}

void qstore_reopen(QStore *s, ActionList *out)
{
    for (guint i = 0; i < s->open->len; i++) {
        const QOpenSeg *o = &g_array_index(s->open, QOpenSeg, i);
        char path[FS_PATH_MAX];
        quorum_segment_path(o->seg, path, sizeof path);
        act_close(out, o->fd, s->internal);
        act_open(out, o->fd, path, 0, s->internal);
        g_array_index(s->open, QOpenSeg, i).dirty = 1; /* and fsync it again, trusting the 0 */
    }
}
