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
