/* model/msg.c — message allocation, copying, names and the clients' messages in the trace. */
#include "model/msg.h"

#include <string.h>

const char *msg_type_name(const MsgOps *proto, MsgType type)
{
    if (type == MSG_CLIENT_REQ)
        return "request";
    if (type == MSG_CLIENT_RESP)
        return "response";
    if (proto != NULL && type >= proto->first && type - proto->first < proto->count)
        return proto->names[type - proto->first];
    return "?";
}

static void describe_request(const ClientReq *q, const MsgNames *n, GString *s)
{
    char idem[64];
    if (op_kind_is_admin(q->kind)) {
        g_string_append_printf(s, " %s %s op=%u try=%u", op_kind_name(q->kind),
                               q->value >= 0 ? n->endpoint(n->ctx, (EndpointId)q->value) : "any",
                               q->op, q->attempt + 1u);
        return;
    }
    g_string_append_printf(s, " %s %s", op_kind_name(q->kind), n->key(n->ctx, q->key));
    if (q->kind == OP_PUT || q->kind == OP_ADD)
        g_string_append_printf(s, " %" G_GINT64_FORMAT, q->value);
    g_string_append_printf(s, " op=%u try=%u idem=%s", q->op, q->attempt + 1u,
                           n->idem(n->ctx, q->idem, idem, sizeof idem));
}

static void describe_response(const ClientResp *r, const MsgNames *n, GString *s)
{
    if (r->ok)
        g_string_append_printf(s, " ok op=%u", r->op);
    else
        g_string_append_printf(s, " %s %s op=%u", r->definite ? "fail" : "indeterminate",
                               fail_reason_name(r->reason), r->op);
    if (r->ok && r->present)
        g_string_append_printf(s, " value=%" G_GINT64_FORMAT, r->value);
    if (r->hint != ENDPOINT_NONE && !r->ok)
        g_string_append_printf(s, " hint=%s", n->endpoint(n->ctx, r->hint));
}

char *msg_describe(const MsgOps *proto, const Msg *m, const MsgNames *names)
{
    GString *s = g_string_new(msg_type_name(proto, m->type));
    if (m->type == MSG_CLIENT_REQ)
        describe_request(&m->u.creq, names, s);
    else if (m->type == MSG_CLIENT_RESP)
        describe_response(&m->u.cresp, names, s);
    else if (proto != NULL && m->type >= proto->first && m->type - proto->first < proto->count)
        proto->describe(m, names, s);
    return g_string_free(s, FALSE);
}

/* Freed messages are kept per thread for reuse (a run sends millions; each seed of a campaign
 * runs on one thread), up to a bound; the thread's pool is freed when the thread ends. */
#define MSG_POOL_MAX 1024

typedef struct {
    Msg *items[MSG_POOL_MAX];
    guint len;
} MsgPool;

static void msg_pool_free(gpointer data)
{
    MsgPool *pool = data;
    for (guint i = 0; i < pool->len; i++)
        g_free(pool->items[i]);
    g_free(pool);
}

static GPrivate msg_pool_key = G_PRIVATE_INIT(msg_pool_free);

static MsgPool *msg_pool(void)
{
    MsgPool *pool = g_private_get(&msg_pool_key);
    if (pool == NULL) {
        pool = g_new0(MsgPool, 1);
        g_private_set(&msg_pool_key, pool);
    }
    return pool;
}

static Msg *msg_alloc(void)
{
    MsgPool *pool = msg_pool();
    return pool->len > 0 ? pool->items[--pool->len] : g_new(Msg, 1);
}

Msg *msg_new(MsgType type, EndpointId from, EndpointId to)
{
    Msg *m = msg_alloc();
    memset(m, 0, sizeof *m);
    m->type = (uint16_t)type;
    m->from = from;
    m->to = to;
    return m;
}

void msg_client_resp_attach(Msg *m, const ClientSibling *siblings, guint n, const void *context,
                            guint context_bytes, const void *base, guint base_bytes)
{
    g_assert(m->type == MSG_CLIENT_RESP && n <= UINT16_MAX && context_bytes <= UINT16_MAX &&
             base_bytes <= UINT16_MAX);
    gsize total = n * sizeof(ClientSibling) + context_bytes + base_bytes;
    m->u.cresp.siblings = (uint16_t)n;
    m->u.cresp.context_bytes = (uint16_t)context_bytes;
    m->u.cresp.base_context_bytes = (uint16_t)base_bytes;
    if (total == 0)
        return;
    uint8_t *buf = g_malloc(total);
    if (n > 0)
        memcpy(buf, siblings, n * sizeof(ClientSibling));
    if (context_bytes > 0)
        memcpy(buf + n * sizeof(ClientSibling), context, context_bytes);
    if (base_bytes > 0)
        memcpy(buf + n * sizeof(ClientSibling) + context_bytes, base, base_bytes);
    msg_take_extra(m, buf, (uint32_t)total, 1);
}

const void *msg_client_base_context(const Msg *m, guint *bytes)
{
    g_assert(m->type == MSG_CLIENT_RESP);
    gsize skip = m->u.cresp.siblings * sizeof(ClientSibling) + m->u.cresp.context_bytes;
    *bytes = m->u.cresp.base_context_bytes;
    if (*bytes == 0)
        return NULL;
    g_assert(m->extra_count >= skip + *bytes);
    return (const uint8_t *)m->extra + skip;
}

void msg_client_req_attach(Msg *m, const void *context, guint context_bytes)
{
    g_assert(m->type == MSG_CLIENT_REQ && context_bytes <= UINT16_MAX);
    m->u.creq.context_bytes = (uint16_t)context_bytes;
    if (context_bytes > 0)
        msg_take_extra(m, g_memdup2(context, context_bytes), context_bytes, 1);
}

void msg_client_siblings(const Msg *m, ClientSibling *out)
{
    g_assert(m->type == MSG_CLIENT_RESP);
    gsize n = m->u.cresp.siblings * sizeof(ClientSibling);
    g_assert(m->extra_count >= n);
    if (n > 0)
        memcpy(out, m->extra, n);
}

const void *msg_client_context(const Msg *m, guint *bytes)
{
    gsize skip = 0;
    guint len;
    if (m->type == MSG_CLIENT_RESP) {
        skip = m->u.cresp.siblings * sizeof(ClientSibling);
        len = m->u.cresp.context_bytes;
    } else {
        g_assert(m->type == MSG_CLIENT_REQ);
        len = m->u.creq.context_bytes;
    }
    *bytes = len;
    if (len == 0)
        return NULL;
    g_assert(m->extra_count >= skip + len);
    return (const uint8_t *)m->extra + skip;
}

void msg_take_extra(Msg *m, void *items, uint32_t count, gsize size)
{
    g_assert(m->extra == NULL);
    if (count == 0) {
        g_free(items);
        return;
    }
    g_assert(size > 0 && size <= G_MAXUINT32);
    m->extra = items;
    m->extra_count = count;
    m->extra_size = (uint32_t)size;
}

Msg *msg_copy(const Msg *m)
{
    Msg *c = msg_alloc();
    *c = *m;
    if (m->extra_count > 0)
        c->extra = g_memdup2(m->extra, (gsize)m->extra_count * m->extra_size);
    return c;
}

void msg_free(Msg *m)
{
    if (m == NULL)
        return;
    g_free(m->extra);
    MsgPool *pool = msg_pool();
    if (pool->len < MSG_POOL_MAX)
        pool->items[pool->len++] = m;
    else
        g_free(m);
}
