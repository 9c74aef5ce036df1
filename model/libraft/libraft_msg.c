/* model/libraft/libraft_msg.c — raft_message on the simulated wire.
 *
 * A message travels as MSG_LIBRAFT whose extra is its encoding (bytes), so the network's loss,
 * duplication, delay and partitions apply to it as to any message. Encoding (little-endian):
 * u8 type, u64 sender id, then the fields of the type; AppendEntries entries as (u64 term,
 * u16 type, u32 len, bytes); InstallSnapshot's configuration as u32 n, then (u64 id, u8 role)
 * (addresses are the decimal ids), then u32 len and the data.
 * Decoding allocates through raft_malloc what the library takes over in recv (the entries and
 * their batch, the snapshot's configuration and data); lr_msg_release frees them when recv is
 * not called. Any inconsistency (short buffer, bad type) is "malformed": the message is dropped.
 */
#include "model/libraft/libraft_internal.h"

#include <stdio.h>
#include <string.h>

void lr_put(GByteArray *b, const void *v, guint n)
{
    g_byte_array_append(b, v, n);
}

void lr_put64(GByteArray *b, uint64_t v)
{
    lr_put(b, &v, 8);
}

void lr_put32(GByteArray *b, uint32_t v)
{
    lr_put(b, &v, 4);
}

void lr_put8(GByteArray *b, uint8_t v)
{
    lr_put(b, &v, 1);
}

void lr_get(LRReader *r, void *out, uint32_t n)
{
    if (r->bad || r->left < n) {
        r->bad = TRUE;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
}

uint64_t lr_get64(LRReader *r)
{
    uint64_t v;
    lr_get(r, &v, 8);
    return v;
}

uint32_t lr_get32(LRReader *r)
{
    uint32_t v;
    lr_get(r, &v, 4);
    return v;
}

uint8_t lr_get8(LRReader *r)
{
    uint8_t v;
    lr_get(r, &v, 1);
    return v;
}

static void encode_entries(GByteArray *b, const struct raft_append_entries *ae)
{
    lr_put64(b, ae->term);
    lr_put64(b, ae->prev_log_index);
    lr_put64(b, ae->prev_log_term);
    lr_put64(b, ae->leader_commit);
    lr_put32(b, ae->n_entries);
    for (unsigned i = 0; i < ae->n_entries; i++) {
        const struct raft_entry *e = &ae->entries[i];
        uint16_t type = e->type;
        lr_put64(b, e->term);
        lr_put(b, &type, 2);
        lr_put32(b, (uint32_t)e->buf.len);
        lr_put(b, e->buf.base, (guint)e->buf.len);
    }
}

static void encode_snapshot(GByteArray *b, const struct raft_install_snapshot *is)
{
    lr_put64(b, is->term);
    lr_put64(b, is->last_index);
    lr_put64(b, is->last_term);
    lr_put64(b, is->conf_index);
    lr_put32(b, is->conf.n);
    for (unsigned i = 0; i < is->conf.n; i++) {
        lr_put64(b, is->conf.servers[i].id);
        lr_put8(b, (uint8_t)is->conf.servers[i].role);
    }
    lr_put32(b, (uint32_t)is->data.len);
    lr_put(b, is->data.base, (guint)is->data.len);
}

uint8_t *lr_msg_encode(const struct raft_message *m, raft_id sender, uint32_t *len)
{
    GByteArray *b = g_byte_array_sized_new(64);
    lr_put8(b, (uint8_t)m->type);
    lr_put64(b, sender);
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE: {
        const struct raft_request_vote *v = &m->request_vote;
        lr_put64(b, v->term);
        lr_put64(b, v->candidate_id);
        lr_put64(b, v->last_log_index);
        lr_put64(b, v->last_log_term);
        lr_put8(b, v->disrupt_leader);
        lr_put8(b, v->pre_vote);
        break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT:
        lr_put64(b, m->request_vote_result.term);
        lr_put8(b, m->request_vote_result.vote_granted);
        lr_put8(b, (uint8_t)m->request_vote_result.pre_vote);
        break;
    case RAFT_IO_APPEND_ENTRIES:
        encode_entries(b, &m->append_entries);
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        lr_put64(b, m->append_entries_result.term);
        lr_put64(b, m->append_entries_result.rejected);
        lr_put64(b, m->append_entries_result.last_log_index);
        break;
    case RAFT_IO_INSTALL_SNAPSHOT:
        encode_snapshot(b, &m->install_snapshot);
        break;
    case RAFT_IO_TIMEOUT_NOW:
        lr_put64(b, m->timeout_now.term);
        lr_put64(b, m->timeout_now.last_log_index);
        lr_put64(b, m->timeout_now.last_log_term);
        break;
    default:
        g_assert_not_reached(); /* the library sent a type 0.15 does not have */
    }
    *len = b->len;
    return g_byte_array_free(b, FALSE);
}

static void decode_entries(LRReader *r, struct raft_append_entries *ae)
{
    ae->term = lr_get64(r);
    ae->prev_log_index = lr_get64(r);
    ae->prev_log_term = lr_get64(r);
    ae->leader_commit = lr_get64(r);
    uint32_t n = lr_get32(r);
    ae->entries = NULL;
    ae->n_entries = 0;
    if (n > r->left / 14)
        r->bad = TRUE; /* each entry takes at least 14 bytes */
    if (r->bad || n == 0)
        return;
    /* The bytes of all entries in one batch, as the library's own backends hand them over. */
    LRReader scan = *r;
    gsize total = 0;
    for (uint32_t i = 0; i < n && !scan.bad; i++) {
        lr_get64(&scan);
        uint16_t type;
        lr_get(&scan, &type, 2);
        uint32_t len = lr_get32(&scan);
        if (len > scan.left)
            scan.bad = TRUE;
        else
            scan.p += len, scan.left -= len, total += len;
    }
    if (scan.bad) {
        r->bad = TRUE;
        return;
    }
    struct raft_entry *e = raft_calloc(n, sizeof *e);
    uint8_t *batch = raft_malloc(total ? total : 1);
    gsize off = 0;
    for (uint32_t i = 0; i < n; i++) {
        e[i].term = lr_get64(r);
        lr_get(r, &e[i].type, 2);
        e[i].buf.len = lr_get32(r);
        e[i].buf.base = batch + off;
        e[i].batch = batch;
        lr_get(r, batch + off, (uint32_t)e[i].buf.len);
        off += e[i].buf.len;
    }
    ae->entries = e;
    ae->n_entries = n;
}

static void decode_snapshot(LRReader *r, struct raft_install_snapshot *is)
{
    is->term = lr_get64(r);
    is->last_index = lr_get64(r);
    is->last_term = lr_get64(r);
    is->conf_index = lr_get64(r);
    raft_configuration_init(&is->conf);
    is->data.base = NULL;
    is->data.len = 0;
    uint32_t n = lr_get32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        raft_id id = lr_get64(r);
        int role = lr_get8(r);
        char addr[24];
        snprintf(addr, sizeof addr, "%llu", (unsigned long long)id);
        if (!r->bad && raft_configuration_add(&is->conf, id, addr, role) != 0)
            r->bad = TRUE;
    }
    uint32_t len = lr_get32(r);
    if (r->bad || len > r->left) {
        r->bad = TRUE;
        return;
    }
    is->data.base = raft_malloc(len ? len : 1);
    is->data.len = len;
    lr_get(r, is->data.base, len);
}

gboolean lr_msg_decode(const uint8_t *buf, uint32_t len, struct raft_message *m, char *addr,
                       gsize addr_size)
{
    LRReader r = {buf, len, FALSE};
    memset(m, 0, sizeof *m);
    m->type = lr_get8(&r);
    m->server_id = lr_get64(&r);
    snprintf(addr, addr_size, "%llu", (unsigned long long)m->server_id);
    m->server_address = addr;
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE: {
        struct raft_request_vote *v = &m->request_vote;
        v->term = lr_get64(&r);
        v->candidate_id = lr_get64(&r);
        v->last_log_index = lr_get64(&r);
        v->last_log_term = lr_get64(&r);
        v->disrupt_leader = lr_get8(&r) != 0;
        v->pre_vote = lr_get8(&r) != 0;
        break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT:
        m->request_vote_result.term = lr_get64(&r);
        m->request_vote_result.vote_granted = lr_get8(&r) != 0;
        m->request_vote_result.pre_vote = (raft_tribool)(int8_t)lr_get8(&r);
        break;
    case RAFT_IO_APPEND_ENTRIES:
        decode_entries(&r, &m->append_entries);
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        m->append_entries_result.term = lr_get64(&r);
        m->append_entries_result.rejected = lr_get64(&r);
        m->append_entries_result.last_log_index = lr_get64(&r);
        break;
    case RAFT_IO_INSTALL_SNAPSHOT:
        decode_snapshot(&r, &m->install_snapshot);
        break;
    case RAFT_IO_TIMEOUT_NOW:
        m->timeout_now.term = lr_get64(&r);
        m->timeout_now.last_log_index = lr_get64(&r);
        m->timeout_now.last_log_term = lr_get64(&r);
        break;
    default:
        return FALSE;
    }
    if (r.bad || r.left != 0 || m->server_id == 0) {
        lr_msg_release(m);
        return FALSE;
    }
    return TRUE;
}

void lr_msg_release(struct raft_message *m)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries != NULL) {
        raft_free(m->append_entries.entries[0].batch);
        raft_free(m->append_entries.entries);
        m->append_entries.entries = NULL;
        m->append_entries.n_entries = 0;
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        raft_configuration_close(&m->install_snapshot.conf);
        raft_free(m->install_snapshot.data.base);
        m->install_snapshot.data.base = NULL;
    }
}

uint64_t lr_msg_term(const struct raft_message *m)
{
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE:
        return m->request_vote.term;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        return m->request_vote_result.term;
    case RAFT_IO_APPEND_ENTRIES:
        return m->append_entries.term;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        return m->append_entries_result.term;
    case RAFT_IO_INSTALL_SNAPSHOT:
        return m->install_snapshot.term;
    case RAFT_IO_TIMEOUT_NOW:
        return m->timeout_now.term;
    default:
        return 0;
    }
}

/* ---- the oracles' view of a message ---- */

G_STATIC_ASSERT((int)LIBRAFT_MSG_APPEND_RESULT == (int)RAFT_IO_APPEND_ENTRIES_RESULT);
G_STATIC_ASSERT((int)LIBRAFT_MSG_VOTE_RESULT == (int)RAFT_IO_REQUEST_VOTE_RESULT);
G_STATIC_ASSERT((int)LIBRAFT_MSG_INSTALL == (int)RAFT_IO_INSTALL_SNAPSHOT);

/* Reads the fixed-size head of a message; allocates nothing (the oracles run outside any
 * library instance's heap). */
gboolean libraft_msg_peek(const Msg *m, LibraftPeek *out)
{
    memset(out, 0, sizeof *out);
    if (m->type != MSG_LIBRAFT || m->extra_count < 9)
        return FALSE;
    LRReader r = {m->extra, m->extra_count, FALSE};
    out->type = lr_get8(&r);
    if (out->type == LR_WIRE_REPAIR_ASK || out->type == LR_WIRE_REPAIR_ANSWER) {
        out->type = 0;
        return FALSE;
    }
    lr_get64(&r); /* the sender */
    out->term = lr_get64(&r);
    switch (out->type) {
    case RAFT_IO_REQUEST_VOTE_RESULT:
        out->granted = lr_get8(&r) != 0;
        out->pre_vote = lr_get8(&r) == raft_tribool_true;
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        out->rejected = lr_get64(&r);
        out->last_log_index = lr_get64(&r);
        break;
    case RAFT_IO_INSTALL_SNAPSHOT:
        out->last_log_index = lr_get64(&r);
        break;
    case RAFT_IO_APPEND_ENTRIES:
        out->prev_log_index = lr_get64(&r);
        lr_get64(&r); /* prev_log_term */
        out->leader_commit = lr_get64(&r);
        out->n_entries = lr_get32(&r);
        break;
    default:
        break;
    }
    return !r.bad;
}

/* ---- the trace's view of a message ---- */

static const char *const libraft_msg_names[] = {"libraft"};

static const char *lr_msg_kind(uint8_t type)
{
    switch (type) {
    case RAFT_IO_APPEND_ENTRIES:
        return "append-entries";
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        return "append-entries-result";
    case RAFT_IO_REQUEST_VOTE:
        return "request-vote";
    case RAFT_IO_REQUEST_VOTE_RESULT:
        return "request-vote-result";
    case RAFT_IO_INSTALL_SNAPSHOT:
        return "install-snapshot";
    case RAFT_IO_TIMEOUT_NOW:
        return "timeout-now";
    default:
        return "unknown";
    }
}

static void libraft_msg_describe(const Msg *m, const MsgNames *names, GString *out)
{
    (void)names;
    const uint8_t *b = m->extra;
    if (m->extra_count == 0 || b == NULL) {
        g_string_append(out, " empty");
        return;
    }
    if (b[0] == LR_WIRE_REPAIR_ASK || b[0] == LR_WIRE_REPAIR_ANSWER) {
        g_string_append_printf(out, " %s bytes=%u",
                               b[0] == LR_WIRE_REPAIR_ASK ? "repair-ask" : "repair-answer",
                               m->extra_count);
        return;
    }
    LibraftPeek p;
    gboolean ok = libraft_msg_peek(m, &p);
    g_string_append_printf(out, " %s term=%" G_GUINT64_FORMAT, lr_msg_kind(b[0]), p.term);
    if (ok && p.type == RAFT_IO_REQUEST_VOTE_RESULT)
        g_string_append_printf(out, " granted=%d%s", p.granted, p.pre_vote ? " pre-vote" : "");
    else if (ok && p.type == RAFT_IO_APPEND_ENTRIES)
        g_string_append_printf(out,
                               " prev=%" G_GUINT64_FORMAT " entries=%u commit=%" G_GUINT64_FORMAT,
                               p.prev_log_index, p.n_entries, p.leader_commit);
    else if (ok && p.type == RAFT_IO_INSTALL_SNAPSHOT)
        g_string_append_printf(out, " last=%" G_GUINT64_FORMAT, p.last_log_index);
    else if (ok && p.type == RAFT_IO_APPEND_ENTRIES_RESULT)
        g_string_append_printf(out, " rejected=%" G_GUINT64_FORMAT " last=%" G_GUINT64_FORMAT,
                               p.rejected, p.last_log_index);
    g_string_append_printf(out, " bytes=%u", m->extra_count);
}

static gboolean libraft_msg_replicates(MsgType type, const char *detail)
{
    return type == MSG_LIBRAFT && detail != NULL &&
           (strstr(detail, "append-entries") != NULL || strstr(detail, "request-vote") != NULL ||
            strstr(detail, "install-snapshot") != NULL);
}

static gboolean libraft_msg_links(MsgType type, const char *detail)
{
    (void)detail;
    return type == MSG_LIBRAFT;
}

const MsgOps libraft_msg_ops = {
    .first = MSG_LIBRAFT,
    .count = MSG_LIBRAFT_END - MSG_LIBRAFT,
    .names = libraft_msg_names,
    .describe = libraft_msg_describe,
    .replicates = libraft_msg_replicates,
    .links = libraft_msg_links,
};
