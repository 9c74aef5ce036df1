/* model/libraft/libraft_store.c — the hosted library's state in named files on durasim's file
 * system, in raft's records, so the raft oracles read a hosted server's disk as they read one of
 * durasim's raft servers:
 *   meta        term and vote: raft's RaftMeta in two alternating blocks, overwritten in place
 *               and fsynced, the newest valid one wins (as the library's own backend alternates
 *               metadata1 and metadata2, canonical raft src/uv_metadata.c);
 *   log/<n>     the log, raft's entry records in raft's segments (model/seglog.h,
 *               RAFT_SEGMENT_ENTRIES each: entry i is block (i - 1) % 64 of log/<(i - 1) / 64>);
 *               a new segment is created, written, fsynced and its directory fsynced before
 *               anything in it counts; a truncation cuts a segment and unlinks those after it;
 *   snapshot    two slots of LR_SNAP_SLOT blocks, written alternately and fsynced; block 0 of a
 *               slot is the header (seq, index, term, configuration, trailing, data length and
 *               checksum), then the data 40 bytes a block. A slot counts only if its header and
 *               every data block are valid and the checksum matches.
 * meta and snapshot are created at boot when missing, and the boot's first sync fsyncs the root
 * (their names) before the library starts. Entries map as:
 *   RAFT_COMMAND  -> the command's kind, client, key, value, idem (the FSM's encoding)
 *   RAFT_BARRIER  -> OP_NOOP, key LR_KEY_BARRIER
 *   RAFT_CHANGE   -> OP_NOOP, key LR_KEY_CHANGE, value = the configuration packed (2 bits per
 *                    server id 1..32: 0 absent, else role + 1)
 * Invariants: decoding never trusts a record past the first invalid one (the log ends at a torn or
 * empty block, or a missing segment; a corrupt block or a read error in the middle marks the log
 * damaged).
 */
#include "model/libraft/libraft_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RBLK_SNAP_HEAD 3
#define RBLK_SNAP_DATA 4
#define SNAP_HEAD_LEN  48
#define SNAP_DATA_MAX  40

void lr_command_encode(const LRCommand *c, uint8_t out[LR_COMMAND_LEN])
{
    memcpy(out, &c->term, 8);
    out[8] = c->kind;
    memcpy(out + 9, &c->client, 2);
    memcpy(out + 11, &c->key, 4);
    memcpy(out + 15, &c->value, 8);
    memcpy(out + 23, &c->idem, 8);
}

gboolean lr_command_decode(const void *buf, gsize len, LRCommand *out)
{
    const uint8_t *p = buf;
    if (len != LR_COMMAND_LEN)
        return FALSE;
    memcpy(&out->term, p, 8);
    out->kind = p[8];
    memcpy(&out->client, p + 9, 2);
    memcpy(&out->key, p + 11, 4);
    memcpy(&out->value, p + 15, 8);
    memcpy(&out->idem, p + 23, 8);
    return out->kind == OP_PUT || out->kind == OP_ADD || out->kind == OP_DELETE;
}

uint64_t lr_conf_pack(const struct raft_configuration *c)
{
    uint64_t packed = 0;
    for (unsigned i = 0; i < c->n; i++) {
        raft_id id = c->servers[i].id;
        g_assert(id >= 1 && id <= 32 && c->servers[i].role <= RAFT_SPARE);
        packed |= (uint64_t)(c->servers[i].role + 1) << (2 * (id - 1));
    }
    return packed;
}

void lr_conf_unpack(uint64_t packed, struct raft_configuration *c)
{
    for (raft_id id = 1; id <= 32; id++) {
        int code = (int)((packed >> (2 * (id - 1))) & 3);
        if (code == 0)
            continue;
        char addr[8];
        snprintf(addr, sizeof addr, "%u", (unsigned)id);
        int rv = raft_configuration_add(c, id, addr, code - 1);
        g_assert(rv == 0);
    }
}

/* The library's configuration encoding (0.15): u8 version 1, u64 n, then (u64 id, address with
 * its NUL, u8 role) per server. Packs it; FALSE if it is not one the format can hold. */
static gboolean conf_bytes_pack(const struct raft_buffer *buf, uint64_t *packed)
{
    const uint8_t *p = buf->base, *end = p + buf->len;
    uint64_t n;
    if (buf->len < 9 || p[0] != 1)
        return FALSE;
    memcpy(&n, p + 1, 8);
    p += 9;
    *packed = 0;
    for (uint64_t i = 0; i < n; i++) {
        raft_id id;
        if (end - p < 8)
            return FALSE;
        memcpy(&id, p, 8);
        p += 8;
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        if (nul == NULL || nul + 1 >= end || id < 1 || id > 32 || nul[1] > RAFT_SPARE)
            return FALSE;
        *packed |= (uint64_t)(nul[1] + 1) << (2 * (id - 1));
        p = nul + 2;
    }
    return TRUE;
}

gboolean lr_entry_to_record(const struct raft_entry *e, uint64_t index, RaftEntry *out)
{
    memset(out, 0, sizeof *out);
    out->term = e->term;
    out->index = index;
    out->client = ENDPOINT_NONE;
    switch (e->type) {
    case RAFT_COMMAND: {
        LRCommand c;
        if (!lr_command_decode(e->buf.base, e->buf.len, &c))
            return FALSE;
        out->kind = c.kind;
        out->client = c.client;
        out->key = c.key;
        out->value = c.value;
        out->idem = c.idem;
        return TRUE;
    }
    case RAFT_BARRIER:
        out->kind = OP_NOOP;
        out->key = LR_KEY_BARRIER;
        return TRUE;
    case RAFT_CHANGE: {
        uint64_t packed;
        if (!conf_bytes_pack(&e->buf, &packed))
            return FALSE;
        out->kind = OP_NOOP;
        out->key = LR_KEY_CHANGE;
        out->value = (Value)packed;
        return TRUE;
    }
    default:
        return FALSE;
    }
}

gboolean lr_record_to_entry(const RaftEntry *r, struct raft_entry *e)
{
    memset(e, 0, sizeof *e);
    e->term = r->term;
    if (r->kind == OP_PUT || r->kind == OP_ADD || r->kind == OP_DELETE) {
        LRCommand c = {r->term, r->kind, r->client, r->key, r->value, r->idem};
        e->type = RAFT_COMMAND;
        e->buf.base = raft_malloc(LR_COMMAND_LEN);
        e->buf.len = LR_COMMAND_LEN;
        lr_command_encode(&c, e->buf.base);
        return TRUE;
    }
    if (r->kind != OP_NOOP)
        return FALSE;
    if (r->key == LR_KEY_BARRIER) {
        e->type = RAFT_BARRIER;
        e->buf.base = raft_calloc(1, 8);
        e->buf.len = 8;
        return TRUE;
    }
    if (r->key != LR_KEY_CHANGE)
        return FALSE;
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    lr_conf_unpack((uint64_t)r->value, &conf);
    e->type = RAFT_CHANGE;
    int rv = raft_configuration_encode(&conf, &e->buf);
    raft_configuration_close(&conf);
    return rv == 0;
}

/* ---- the boot image ---- */

/* The file `path` of a boot image (NULL: none). */
static const ProtoFileImage *image_file(const ProtoDiskImage *img, const char *path)
{
    for (guint i = 0; i < img->nentries; i++)
        if (!img->entries[i].is_dir && strcmp(img->entries[i].path, path) == 0)
            return &img->entries[i];
    return NULL;
}

static void decode_meta(const ProtoDiskImage *img, LRImage *out)
{
    const ProtoFileImage *f = image_file(img, RAFT_META_PATH);
    for (uint32_t slot = 0; f != NULL && slot < 2 && slot < f->len; slot++) {
        RaftMeta m;
        BlockCheck c =
            f->errors[slot] != 0 ? BLOCK_CORRUPT : raft_decode_meta(&f->blocks[slot], &m);
        if (c == BLOCK_CORRUPT)
            out->meta_damaged = TRUE; /* it may have been the newest copy */
        if (c != BLOCK_OK)
            continue;
        if (!out->meta_found || m.seq > out->meta.seq) {
            out->meta = m;
            out->meta_slot = slot;
            out->meta_found = TRUE;
        }
    }
}

/* The log's blocks as its segments show them (a missing segment reads as empty blocks). */
static void decode_log(const DiskBlock *blocks, const int *errors, uint32_t len, LRImage *out)
{
    uint64_t last_term = 0;
    for (uint32_t i = 0; i < len; i++) {
        RaftEntry e;
        BlockCheck c = errors[i] != 0 ? BLOCK_CORRUPT : raft_decode_entry(&blocks[i], &e);
        gboolean below_snap = out->snap_found && i < out->snap.index;
        if (below_snap && (c != BLOCK_OK || e.index != (uint64_t)i + 1 || e.term < last_term)) {
            /* Entries the snapshot covers are not needed: whatever is wrong there (a hole, a
             * damaged block) only starts the kept log later. */
            g_array_set_size(out->records, 0);
            last_term = 0;
            continue;
        }
        if (c == BLOCK_TORN || c == BLOCK_EMPTY)
            return; /* the end of the log (a crash cut an unsynced write) */
        if (c != BLOCK_OK || e.index != (uint64_t)i + 1 || e.term < last_term) {
            out->log_damaged = TRUE;
            return;
        }
        if (out->records->len > 0 &&
            g_array_index(out->records, RaftEntry, out->records->len - 1).index + 1 != e.index)
            g_array_set_size(out->records, 0);
        g_array_append_val(out->records, e);
        last_term = e.term;
    }
}

G_STATIC_ASSERT(sizeof(LRSnapHeader) == SNAP_HEAD_LEN);

static gboolean decode_snap_header(const DiskBlock *b, LRSnapHeader *h)
{
    if (b->type != RBLK_SNAP_HEAD || disk_block_check(b, SNAP_HEAD_LEN) != BLOCK_OK)
        return FALSE;
    memcpy(h, b->body, SNAP_HEAD_LEN);
    return TRUE;
}

static uint32_t data_sum(const uint8_t *data, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

/* A block of the expected length whose checksum fails: media corruption (a torn write is
 * shorter; a block left by an older snapshot has another length or sequence number). */
static gboolean block_corrupt(const DiskBlock *b, uint16_t len)
{
    return b->len == len && disk_block_check(b, len) == BLOCK_CORRUPT;
}

/* Where snapshot blocks are read from: a boot image's file, or a durable disk (the oracles). */
typedef struct {
    const ProtoFileImage *img;
    const Disk *disk;
    gint file; /* on the disk: the file durably named snapshot (-1: none) */
} SnapSource;

static uint32_t snap_len(const SnapSource *src)
{
    if (src->disk == NULL)
        return src->img ? src->img->len : 0;
    return src->file < 0 ? 0 : disk_durable_length(src->disk, (guint)src->file);
}

/* Block idx (< snap_len): its content, and 0 or EIO. */
static int snap_block(const SnapSource *src, uint32_t idx, DiskBlock *out)
{
    if (src->disk == NULL) {
        *out = src->img->blocks[idx];
        return src->img->errors[idx];
    }
    if (disk_durable_block(src->disk, (guint)src->file, idx, out))
        return 0;
    memset(out, 0, sizeof *out);
    return EIO;
}

/* The data of the snapshot in `slot`, or NULL if any part of it is not valid; *damaged: a part
 * is unreadable or corrupt (not merely torn or missing, as a crash leaves an unfinished put). */
static uint8_t *decode_snap_data(const SnapSource *src, guint slot, const LRSnapHeader *h,
                                 gboolean *damaged)
{
    uint32_t first = slot * LR_SNAP_SLOT + 1;
    uint32_t blocks = (h->data_len + SNAP_DATA_MAX - 1) / SNAP_DATA_MAX;
    if (blocks + 1 > LR_SNAP_SLOT || first + blocks > snap_len(src))
        return NULL;
    uint8_t *data = g_malloc(h->data_len ? h->data_len : 1);
    for (uint32_t i = 0; i < blocks; i++) {
        DiskBlock b;
        int err = snap_block(src, first + i, &b);
        uint32_t want = MIN(SNAP_DATA_MAX, h->data_len - i * SNAP_DATA_MAX);
        if (err != 0 || block_corrupt(&b, (uint16_t)(want + 8)))
            *damaged = TRUE;
        if (err != 0 || b.type != RBLK_SNAP_DATA ||
            disk_block_check(&b, (uint16_t)(want + 8)) != BLOCK_OK ||
            memcmp(b.body, &h->seq, 8) != 0) {
            g_free(data);
            return NULL;
        }
        memcpy(data + i * SNAP_DATA_MAX, b.body + 8, want);
    }
    if (data_sum(data, h->data_len) != h->data_sum) {
        g_free(data);
        return NULL;
    }
    return data;
}

static void decode_snap(const SnapSource *src, LRImage *out)
{
    for (guint slot = 0; slot < 2; slot++) {
        uint32_t at = slot * LR_SNAP_SLOT;
        LRSnapHeader h;
        if (at >= snap_len(src))
            continue;
        DiskBlock hb;
        int err = snap_block(src, at, &hb);
        if (err != 0 || block_corrupt(&hb, SNAP_HEAD_LEN)) {
            out->snap_damaged = TRUE; /* a header we cannot read may be the newest snapshot's */
            continue;
        }
        if (!decode_snap_header(&hb, &h))
            continue;
        if (out->snap_found && h.seq <= out->snap.seq)
            continue;
        gboolean damaged = FALSE;
        uint8_t *data = decode_snap_data(src, slot, &h, &damaged);
        out->snap_damaged |= damaged;
        if (data == NULL)
            continue;
        g_free(out->snap_data);
        out->snap = h;
        out->snap_data = data;
        out->snap_slot = slot;
        out->snap_found = TRUE;
    }
}

void lr_image_decode(LRNode *n, const ProtoDiskImage *img, LRImage *out)
{
    static const ProtoDiskImage none = {0};
    memset(out, 0, sizeof *out);
    out->records = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    if (img == NULL)
        img = &none;
    decode_meta(img, out);
    SnapSource src = {.img = image_file(img, LIBRAFT_SNAP_PATH)};
    decode_snap(&src, out);
    DiskBlock *blocks;
    int *errors;
    uint32_t len = seglog_boot(&n->store, img, &blocks, &errors, n->out);
    decode_log(blocks, errors, len, out);
    g_free(blocks);
    g_free(errors);
    /* The files overwritten in place, open for the process's life (created if missing: their
     * names are durable with the boot's first sync, which fsyncs the root). */
    act_open(n->out, LR_FILE_META, RAFT_META_PATH, FS_O_CREATE, LR_TOKEN(LR_TOK_STORE, 0));
    act_open(n->out, LR_FILE_SNAP, LIBRAFT_SNAP_PATH, FS_O_CREATE, LR_TOKEN(LR_TOK_STORE, 0));
    if (out->snap_found && out->records->len > 0) {
        /* The log must reach the snapshot or continue it: the entries after it, from at most
         * the snapshot's index + 1. */
        const RaftEntry *first = &g_array_index(out->records, RaftEntry, 0);
        const RaftEntry *last = &g_array_index(out->records, RaftEntry, out->records->len - 1);
        if (first->index > out->snap.index + 1 || last->index < out->snap.index)
            g_array_set_size(out->records, 0);
    }
}

void lr_image_clear(LRImage *im)
{
    if (im->records != NULL)
        g_array_free(im->records, TRUE);
    g_free(im->snap_data);
    memset(im, 0, sizeof *im);
}

DiskBlock *lr_snap_encode(const LRSnapHeader *h, const uint8_t *data, guint *nblocks)
{
    uint32_t blocks = (h->data_len + SNAP_DATA_MAX - 1) / SNAP_DATA_MAX;
    g_assert(blocks + 1 <= LR_SNAP_SLOT); /* snapshots of this FSM are small */
    DiskBlock *out = g_new0(DiskBlock, blocks + 1);
    LRSnapHeader sealed = *h;
    sealed.data_sum = data_sum(data, h->data_len);
    disk_block_seal(&out[0], RBLK_SNAP_HEAD, &sealed, SNAP_HEAD_LEN);
    for (uint32_t i = 0; i < blocks; i++) {
        uint8_t body[8 + SNAP_DATA_MAX];
        uint32_t n = MIN(SNAP_DATA_MAX, h->data_len - i * SNAP_DATA_MAX);
        memcpy(body, &h->seq, 8);
        memcpy(body + 8, data + i * SNAP_DATA_MAX, n);
        disk_block_seal(&out[i + 1], RBLK_SNAP_DATA, body, (uint16_t)(n + 8));
    }
    *nblocks = blocks + 1;
    return out;
}

/* ---- what the oracles read ---- */

static uint64_t conf_voters(uint64_t packed)
{
    uint64_t voters = 0;
    for (guint id = 1; id <= 32; id++)
        if (((packed >> (2 * (id - 1))) & 3) == RAFT_VOTER + 1)
            voters |= (uint64_t)1 << (id - 1);
    return voters;
}

gboolean libraft_record_conf(const RaftEntry *e, uint64_t *voters)
{
    if (e->kind != OP_NOOP || e->key != LR_KEY_CHANGE)
        return FALSE;
    *voters = conf_voters((uint64_t)e->value);
    return TRUE;
}

gboolean libraft_durable_snapshot(const Disk *d, uint64_t *index, uint64_t *term,
                                  uint64_t *conf_index, uint64_t *voters)
{
    LRImage im;
    memset(&im, 0, sizeof im);
    SnapSource src = {.disk = d, .file = disk_lookup(d, LIBRAFT_SNAP_PATH, TRUE)};
    decode_snap(&src, &im);
    gboolean found = im.snap_found;
    if (found) {
        *index = im.snap.index;
        *term = im.snap.term;
        *conf_index = im.snap.conf_index;
        *voters = conf_voters(im.snap.conf);
    }
    g_free(im.snap_data);
    return found;
}

/* ---- the log's files ---- */

void lr_store_init(LRNode *n)
{
    SegLogConfig cfg = {.dir = RAFT_LOG_DIR,
                        .seg_blocks = RAFT_SEGMENT_ENTRIES,
                        .fd_root = LR_FD_ROOT,
                        .fd_dir = LR_FD_LOG,
                        .fd_scratch = LR_FD_SCRATCH,
                        .fd_first = LR_FD_SEG_FIRST,
                        .nfds = LR_FD_SEGS,
                        .internal = LR_TOKEN(LR_TOK_STORE, 0)};
    seglog_init(&n->store, &cfg);
}

void lr_store_clear(LRNode *n)
{
    seglog_clear(&n->store);
}

void lr_store_write(LRNode *n, const RaftEntry *e, uint64_t token)
{
    DiskBlock b;
    raft_encode_entry(&b, e);
    seglog_write(&n->store, n->out, (uint32_t)(e->index - 1), &b, token);
}

void lr_store_truncate(LRNode *n, uint64_t index, uint64_t token)
{
    g_assert(index >= 1);
    seglog_truncate(&n->store, n->out, (uint32_t)(index - 1), token);
}

void lr_store_restart(LRNode *n, uint64_t next, uint64_t token)
{
    g_assert(next >= 1);
    seglog_restart_at(&n->store, n->out, (uint32_t)(next - 1), token);
}

void lr_store_sync(LRNode *n, uint64_t token, uint64_t part)
{
    seglog_sync(&n->store, n->out, token, part);
}

void lr_store_synced(LRNode *n, gboolean ok)
{
    if (ok)
        seglog_synced(&n->store, n->out);
    else
        seglog_sync_failed(&n->store);
}

uint32_t lr_store_read(LRNode *n, uint64_t index, uint32_t count, uint64_t token)
{
    return seglog_read(&n->store, n->out, (uint32_t)(index - 1), count, token);
}

void lr_store_dirty_all(LRNode *n)
{
    for (guint i = 0; i < n->store.open->len; i++)
        g_array_index(n->store.open, SegLogOpen, i).dirty = 1;
}
