/* model/raft/raft_disk.c — Raft's on-disk encoding. */
#include "model/raft/raft.h"
#include "model/seglog.h"

#include <string.h>

#define META_LEN  27
#define ENTRY_LEN 39

void raft_encode_meta(DiskBlock *b, const RaftMeta *m)
{
    uint8_t body[META_LEN];
    memcpy(body, &m->seq, 8);
    memcpy(body + 8, &m->term, 8);
    memcpy(body + 16, &m->vote_floor, 8);
    memcpy(body + 24, &m->voted_for, 2);
    body[26] = m->damaged;
    disk_block_seal(b, RBLK_META, body, META_LEN);
}

BlockCheck raft_decode_meta(const DiskBlock *b, RaftMeta *out)
{
    if (b->type != RBLK_META) {
        BlockCheck c = disk_block_check(b, META_LEN);
        return c == BLOCK_OK ? BLOCK_CORRUPT : c;
    }
    BlockCheck c = disk_block_check(b, META_LEN);
    if (c != BLOCK_OK)
        return c;
    memcpy(&out->seq, b->body, 8);
    memcpy(&out->term, b->body + 8, 8);
    memcpy(&out->vote_floor, b->body + 16, 8);
    memcpy(&out->voted_for, b->body + 24, 2);
    out->damaged = b->body[26];
    return BLOCK_OK;
}

void raft_encode_entry(DiskBlock *b, const RaftEntry *e)
{
    uint8_t body[ENTRY_LEN];
    memcpy(body, &e->term, 8);
    memcpy(body + 8, &e->index, 8);
    body[16] = e->kind;
    memcpy(body + 17, &e->client, 2);
    memcpy(body + 19, &e->key, 4);
    memcpy(body + 23, &e->value, 8);
    memcpy(body + 31, &e->idem, 8);
    disk_block_seal(b, RBLK_ENTRY, body, ENTRY_LEN);
}

BlockCheck raft_decode_entry(const DiskBlock *b, RaftEntry *out)
{
    if (b->type != RBLK_ENTRY) {
        BlockCheck c = disk_block_check(b, ENTRY_LEN);
        return c == BLOCK_OK ? BLOCK_CORRUPT : c;
    }
    BlockCheck c = disk_block_check(b, ENTRY_LEN);
    if (c != BLOCK_OK)
        return c;
    memset(out, 0, sizeof *out);
    memcpy(&out->term, b->body, 8);
    memcpy(&out->index, b->body + 8, 8);
    out->kind = b->body[16];
    memcpy(&out->client, b->body + 17, 2);
    memcpy(&out->key, b->body + 19, 4);
    memcpy(&out->value, b->body + 23, 8);
    memcpy(&out->idem, b->body + 31, 8);
    return BLOCK_OK;
}

void raft_segment_path(uint32_t seg, char *buf, gsize size)
{
    seglog_path(RAFT_LOG_DIR, seg, buf, size);
}

gboolean raft_segment_parse(const char *path, uint32_t *seg)
{
    return seglog_parse(RAFT_LOG_DIR, path, seg);
}

/* ---- configurations ---- */

Value raft_members_pack(RaftMembers m)
{
    uint64_t packed = 0;
    for (guint n = 0; n < 32; n++) {
        if ((m.voters >> n) & 1)
            packed |= (uint64_t)2 << (2 * n);
        else if ((m.standbys >> n) & 1)
            packed |= (uint64_t)1 << (2 * n);
    }
    return (Value)packed;
}

RaftMembers raft_members_unpack(Value packed)
{
    RaftMembers m = {0, 0};
    for (guint n = 0; n < 32; n++) {
        uint64_t role = ((uint64_t)packed >> (2 * n)) & 3;
        if (role == 2)
            m.voters |= 1u << n;
        else if (role == 1)
            m.standbys |= 1u << n;
    }
    return m;
}

RaftMembers raft_members_bootstrap(const WorldConfig *c)
{
    guint spares = MIN(raft_config(c)->spares, c->nodes - 1);
    guint voters = c->nodes - spares;
    return (RaftMembers){voters >= 32 ? UINT32_MAX : (1u << voters) - 1, 0};
}

char *raft_members_format(RaftMembers m)
{
    GString *s = g_string_new(NULL);
    for (guint n = 0; n < 32; n++)
        if ((m.voters >> n) & 1)
            g_string_append_printf(s, "%sn%u", s->len ? " " : "", n + 1);
    for (guint n = 0; n < 32; n++)
        if ((m.standbys >> n) & 1)
            g_string_append_printf(s, "%s(+n%u)", s->len ? " " : "", n + 1);
    return g_string_free(s, FALSE);
}

/* ---- snapshots ---- */

#define SNAP_HEAD_LEN 40

enum { SREC_KV = 1, SREC_SESSION = 2, SREC_NAMED = 3 };
#define KV_REC       13 /* key 4, present 1, value 8 */
#define SESSION_REC  6  /* client 2, seq 4 */
#define NAMED_REC    8
#define SREC_ROOM(n) ((DISK_BODY_BYTES - 2) / (n))

void raft_encode_snap_head(DiskBlock *b, const RaftSnapHead *h)
{
    uint8_t body[SNAP_HEAD_LEN];
    memcpy(body, &h->index, 8);
    memcpy(body + 8, &h->term, 8);
    memcpy(body + 16, &h->members, 8);
    memcpy(body + 24, &h->members_index, 8);
    memcpy(body + 32, &h->blocks, 4);
    memcpy(body + 36, &h->sum, 4);
    disk_block_seal(b, RBLK_SNAP_HEAD, body, SNAP_HEAD_LEN);
}

BlockCheck raft_decode_snap_head(const DiskBlock *b, RaftSnapHead *out)
{
    BlockCheck c = disk_block_check(b, SNAP_HEAD_LEN);
    if (c == BLOCK_OK && b->type != RBLK_SNAP_HEAD)
        return BLOCK_CORRUPT;
    if (c != BLOCK_OK)
        return c;
    memcpy(&out->index, b->body, 8);
    memcpy(&out->term, b->body + 8, 8);
    memcpy(&out->members, b->body + 16, 8);
    memcpy(&out->members_index, b->body + 24, 8);
    memcpy(&out->blocks, b->body + 32, 4);
    memcpy(&out->sum, b->body + 36, 4);
    return BLOCK_OK;
}

/* Seals one data block of `n` records of kind `kind` (`len` bytes each) and appends it. */
static void put_records(GArray *out, RaftSnapHead *h, uint8_t kind, const uint8_t *recs, guint n,
                        guint len)
{
    uint8_t body[DISK_BODY_BYTES];
    body[0] = kind;
    body[1] = (uint8_t)n;
    memcpy(body + 2, recs, (gsize)n * len);
    DiskBlock b;
    disk_block_seal(&b, RBLK_SNAP_DATA, body, (uint16_t)(2 + n * len));
    g_array_append_val(out, b);
    h->blocks++;
    h->sum = h->sum * 31u + b.sum;
}

void raft_encode_snap_state(const RaftSnapState *st, GArray *out, RaftSnapHead *h)
{
    uint8_t recs[DISK_BODY_BYTES];
    guint n = 0;
    h->blocks = 0;
    h->sum = 0;
    for (KeyId k = 0; k < st->keys; k++) {
        if (!st->present[k] && st->kv[k] == 0)
            continue;
        memcpy(recs + n * KV_REC, &k, 4);
        recs[n * KV_REC + 4] = st->present[k];
        memcpy(recs + n * KV_REC + 5, &st->kv[k], 8);
        if (++n == SREC_ROOM(KV_REC)) {
            put_records(out, h, SREC_KV, recs, n, KV_REC);
            n = 0;
        }
    }
    if (n > 0)
        put_records(out, h, SREC_KV, recs, n, KV_REC);
    n = 0;
    for (uint16_t c = 0; c < st->clients; c++) {
        if (st->sessions[c] == 0)
            continue;
        memcpy(recs + n * SESSION_REC, &c, 2);
        memcpy(recs + n * SESSION_REC + 2, &st->sessions[c], 4);
        if (++n == SREC_ROOM(SESSION_REC)) {
            put_records(out, h, SREC_SESSION, recs, n, SESSION_REC);
            n = 0;
        }
    }
    if (n > 0)
        put_records(out, h, SREC_SESSION, recs, n, SESSION_REC);
    for (guint i = 0; i < st->named_count; i += SREC_ROOM(NAMED_REC)) {
        n = MIN(st->named_count - i, (guint)SREC_ROOM(NAMED_REC));
        put_records(out, h, SREC_NAMED, (const uint8_t *)(st->named + i), n, NAMED_REC);
    }
}

/* One data block's records into the state. */
static gboolean take_records(const DiskBlock *b, guint keys, Value *kv, uint8_t *present,
                             guint clients, uint32_t *sessions, GHashTable *named)
{
    if (b->type != RBLK_SNAP_DATA || b->len < 2 || disk_block_check(b, b->len) != BLOCK_OK)
        return FALSE;
    guint kind = b->body[0], n = b->body[1];
    guint len = kind == SREC_KV ? KV_REC : kind == SREC_SESSION ? SESSION_REC : NAMED_REC;
    if (kind < SREC_KV || kind > SREC_NAMED || b->len != 2 + n * len)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        const uint8_t *r = b->body + 2 + i * len;
        if (kind == SREC_KV) {
            KeyId k;
            memcpy(&k, r, 4);
            if (k < keys) {
                present[k] = r[4];
                memcpy(&kv[k], r + 5, 8);
            }
        } else if (kind == SREC_SESSION) {
            uint16_t c;
            memcpy(&c, r, 2);
            if (c < clients)
                memcpy(&sessions[c], r + 2, 4);
        } else {
            IdemKey *idem = g_new(IdemKey, 1);
            memcpy(idem, r, 8);
            g_hash_table_add(named, idem);
        }
    }
    return TRUE;
}

gboolean raft_decode_snap_state(const DiskBlock *blocks, const RaftSnapHead *h, guint keys,
                                Value *kv, uint8_t *present, guint clients, uint32_t *sessions,
                                GHashTable *named)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < h->blocks; i++)
        sum = sum * 31u + blocks[i].sum;
    if (sum != h->sum)
        return FALSE;
    memset(kv, 0, keys * sizeof *kv);
    memset(present, 0, keys);
    memset(sessions, 0, clients * sizeof *sessions);
    g_hash_table_remove_all(named);
    for (uint32_t i = 0; i < h->blocks; i++)
        if (!take_records(&blocks[i], keys, kv, present, clients, sessions, named))
            return FALSE;
    return TRUE;
}
