/* model/quorum/quorum_msg.c — how the trace names and describes the quorum store's messages. */
#include "model/quorum/quorum_msg.h"

#include <string.h>

static const char *const quorum_msg_names[] = {
    "write",     "write-ack", "read",     "read-resp", "sync",    "sync-records",
    "purge-ask", "purge-ack", "tree-ask", "tree",      "forward", "forward-ack",
};
G_STATIC_ASSERT(G_N_ELEMENTS(quorum_msg_names) == MSG_Q_END - MSG_Q_WRITE);

/* " r1.3 past=r1:2,r2.5" (version vectors): a dot is node.counter (with @epoch when not 0), a
 * past entry actor:counter for all up to it, actor.counter for that event only. */
static void describe_clock(const QClock *c, const MsgNames *n, GString *s)
{
    for (guint i = 0; i < (guint)c->ndots + c->npast; i++) {
        const QDot *d = &c->e[i];
        if (i == c->ndots)
            g_string_append(s, " past=");
        else if (i > 0)
            g_string_append_c(s, i < c->ndots ? '+' : ',');
        else
            g_string_append_c(s, ' ');
        EndpointId node = (EndpointId)(d->actor & 31);
        g_string_append(s, n->endpoint(n->ctx, node));
        if (d->actor >> 5)
            g_string_append_printf(s, "@%u", d->actor >> 5);
        if (i < c->ndots || d->span == 0)
            g_string_append_printf(s, ".%u", d->counter);
        else if (d->span == QSPAN_ALL)
            g_string_append_printf(s, ":%u", d->counter);
        else
            g_string_append_printf(s, ".%u-%u", d->counter - d->span, d->counter);
    }
    if (c->truncated)
        g_string_append(s, " (truncated)");
}

static void quorum_msg_describe(const Msg *m, const MsgNames *n, GString *s)
{
    char idem[64];
    switch (m->type) {
    case MSG_Q_WRITE:
        g_string_append_printf(s, " req=%u.%u try=%u", (guint)(quorum_body(m)->qw.req >> 32),
                               (guint)quorum_body(m)->qw.req, quorum_body(m)->qw.attempt + 1u);
        if (quorum_body(m)->qw.hinted)
            g_string_append_printf(s, " hint-for=%s",
                                   n->endpoint(n->ctx, quorum_body(m)->qw.hint_for));
        for (uint32_t i = 0; i < m->extra_count && i < 4; i++) {
            const QRecord *r = &quorum_msg_records(m)[i];
            g_string_append_printf(s, " %s %s", op_kind_name(r->op), n->key(n->ctx, r->key));
            if (r->op != OP_DELETE)
                g_string_append_printf(s, " %" G_GINT64_FORMAT, r->value);
            g_string_append_printf(s, " idem=%s", n->idem(n->ctx, r->idem, idem, sizeof idem));
            describe_clock(&r->clock, n, s);
        }
        if (m->extra_count > 4)
            g_string_append_printf(s, " (+%u)", m->extra_count - 4);
        break;
    case MSG_Q_WRITE_ACK: {
        static const char *st[] = {"durable", "write-failed", "fsync-failed", "not-ready"};
        g_string_append_printf(s, " req=%u.%u %s idem=%s", (guint)(quorum_body(m)->qack.req >> 32),
                               (guint)quorum_body(m)->qack.req, st[quorum_body(m)->qack.status],
                               n->idem(n->ctx, quorum_body(m)->qack.idem, idem, sizeof idem));
        break;
    }
    case MSG_Q_READ:
        g_string_append_printf(s, " req=%u.%u %s", (guint)(quorum_body(m)->qr.req >> 32),
                               (guint)quorum_body(m)->qr.req,
                               n->key(n->ctx, quorum_body(m)->qr.key));
        break;
    case MSG_Q_READ_RESP:
        g_string_append_printf(
            s, " req=%u.%u %s records=%u%s", (guint)(quorum_body(m)->qrr.req >> 32),
            (guint)quorum_body(m)->qrr.req, n->key(n->ctx, quorum_body(m)->qrr.key), m->extra_count,
            quorum_body(m)->qrr.ready ? "" : " not-ready");
        break;
    case MSG_Q_SYNC:
    case MSG_Q_SYNC_RECORDS:
        g_string_append_printf(s, " items=%u", m->extra_count);
        break;
    case MSG_Q_FORWARD:
        g_string_append_printf(s, " %s %s op=%u try=%u idem=%s", op_kind_name(m->u.creq.kind),
                               n->key(n->ctx, m->u.creq.key), m->u.creq.op, m->u.creq.attempt + 1u,
                               n->idem(n->ctx, m->u.creq.idem, idem, sizeof idem));
        break;
    case MSG_Q_FORWARD_ACK:
        g_string_append_printf(s, " op=%u try=%u", quorum_body(m)->qfa.op,
                               quorum_body(m)->qfa.attempt + 1u);
        break;
    case MSG_Q_TREE_ASK:
    case MSG_Q_TREE:
        g_string_append_printf(s, " xid=%u nodes=%u", quorum_body(m)->qt.xid, m->extra_count);
        if (m->extra_count > 0)
            g_string_append_printf(s, " range=%u node=%u", quorum_msg_tree(m)[0].range,
                                   quorum_msg_tree(m)[0].node);
        break;
    case MSG_Q_PURGE_ASK:
    case MSG_Q_PURGE_ACK:
        g_string_append_printf(s, " %s idem=%s%s", n->key(n->ctx, quorum_body(m)->qp.key),
                               n->idem(n->ctx, quorum_body(m)->qp.idem, idem, sizeof idem),
                               m->type == MSG_Q_PURGE_ASK ? ""
                               : quorum_body(m)->qp.holds ? " holds"
                                                          : " lacks");
        break;
    default:
        break;
    }
}

static gboolean quorum_msg_replicates(MsgType type, const char *detail)
{
    (void)detail;
    return type == MSG_Q_WRITE || type == MSG_Q_WRITE_ACK || type == MSG_Q_READ ||
           type == MSG_Q_READ_RESP;
}

static uint32_t varint_bytes(uint64_t v)
{
    uint32_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A message's body on the wire: what its kind carries besides the header and the extras. */
static uint32_t body_bytes(const Msg *m)
{
    switch (m->type) {
    case MSG_Q_WRITE:
        return 8 + 2 + 1 + 1 + 2; /* req, attempt, kind, hinted, hint_for */
    case MSG_Q_WRITE_ACK:
        return 8 + 2 + 1 + 1 + 8 + 2;
    case MSG_Q_READ:
        return 8 + 2 + 4;
    case MSG_Q_READ_RESP:
        return 8 + 2 + 4 + 1;
    case MSG_Q_SYNC:
    case MSG_Q_SYNC_RECORDS:
        return 1;
    case MSG_Q_PURGE_ASK:
    case MSG_Q_PURGE_ACK:
        return 4 + 8 + 1;
    case MSG_Q_TREE_ASK:
    case MSG_Q_TREE:
        return 4;
    case MSG_Q_FORWARD:
        return 4 + 2 + 1 + 4 + 8 + 8 + 14 + 2; /* the client request */
    case MSG_Q_FORWARD_ACK:
        return 4 + 2 + 2;
    default:
        return 0;
    }
}

static uint32_t quorum_msg_wire_bytes(const Msg *m)
{
    uint32_t bytes = QWIRE_HEADER + body_bytes(m);
    switch (m->type) {
    case MSG_Q_SYNC:
        return bytes + m->extra_count * QWIRE_DIGEST;
    case MSG_Q_TREE_ASK: {
        int64_t prev = 0;
        for (uint32_t i = 0; i < m->extra_count; i++) {
            const QTreeNode *t = &quorum_msg_tree(m)[i];
            int64_t d = (int64_t)t->range - prev;
            bytes += varint_bytes((uint64_t)(d < 0 ? -2 * d - 1 : 2 * d)) + varint_bytes(t->node);
            prev = t->range;
        }
        return bytes;
    }
    case MSG_Q_TREE:
        return bytes + m->extra_count * QWIRE_TREE;
    case MSG_Q_WRITE:
    case MSG_Q_READ_RESP:
    case MSG_Q_SYNC_RECORDS:
    case MSG_Q_PURGE_ASK:
        for (uint32_t i = 0; i < m->extra_count; i++)
            bytes += quorum_record_bytes(&quorum_msg_records(m)[i]);
        return bytes;
    default:
        return bytes + m->extra_count * m->extra_size;
    }
}

const MsgOps quorum_msg_ops = {
    .first = MSG_Q_WRITE,
    .count = MSG_Q_END - MSG_Q_WRITE,
    .names = quorum_msg_names,
    .describe = quorum_msg_describe,
    .replicates = quorum_msg_replicates,
    .links = quorum_msg_replicates,
    .wire_bytes = quorum_msg_wire_bytes,
};
