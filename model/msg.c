/* model/msg.c — message allocation, copying and names. */
#include "model/msg.h"

#include <string.h>

const char *msg_type_name(MsgType type)
{
    static const char *names[] = {
        "request",   "response",    "write",        "write-ack",  "read",
        "read-resp", "sync",        "sync-records", "vote",       "vote-resp",
        "append",    "append-resp", "probe",        "probe-resp", "libraft",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == MSG_TYPE_COUNT);
    g_assert((unsigned)type < G_N_ELEMENTS(names));
    return names[type];
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

gsize msg_extra_size(MsgType type)
{
    switch (type) {
    case MSG_Q_WRITE:
    case MSG_Q_READ_RESP:
    case MSG_Q_SYNC_RECORDS:
        return sizeof(QRecord);
    case MSG_Q_SYNC:
        return sizeof(QDigest);
    case MSG_R_APPEND:
        return sizeof(RaftEntry);
    case MSG_LIBRAFT:
        return 1;
    default:
        return 0;
    }
}

void msg_take_extra(Msg *m, void *items, uint32_t count)
{
    g_assert(m->extra == NULL);
    g_assert(count == 0 || msg_extra_size(m->type) > 0);
    if (count == 0) {
        g_free(items);
        return;
    }
    m->extra = items;
    m->extra_count = count;
}

Msg *msg_copy(const Msg *m)
{
    Msg *c = msg_alloc();
    *c = *m;
    if (m->extra_count > 0)
        c->extra = g_memdup2(m->extra, m->extra_count * msg_extra_size(m->type));
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
