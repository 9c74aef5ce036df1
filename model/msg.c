/* model/msg.c — message allocation, copying and names. */
#include "model/msg.h"

#include <string.h>

const char *msg_type_name(MsgType type)
{
    static const char *names[] = {
        "request",   "response",    "write",        "write-ack",  "read",
        "read-resp", "sync",        "sync-records", "vote",       "vote-resp",
        "append",    "append-resp", "probe",        "probe-resp",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == MSG_TYPE_COUNT);
    g_assert((unsigned)type < G_N_ELEMENTS(names));
    return names[type];
}

Msg *msg_new(MsgType type, EndpointId from, EndpointId to)
{
    Msg *m = g_new0(Msg, 1);
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
    Msg *c = g_new(Msg, 1);
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
    g_free(m);
}
