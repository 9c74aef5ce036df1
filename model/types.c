/* model/types.c — names of the shared enumerations. */
#include "model/types.h"

#include <string.h>

const char *op_kind_name(OpKind kind)
{
    static const char *names[] = {"put",  "get",        "add",           "delete",
                                  "noop", "add-server", "remove-server", "transfer-leader"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == OP_KIND_COUNT);
    g_assert((unsigned)kind < G_N_ELEMENTS(names));
    return names[kind];
}

gboolean op_kind_is_write(OpKind kind)
{
    return kind == OP_PUT || kind == OP_ADD || kind == OP_DELETE;
}

gboolean op_kind_is_admin(OpKind kind)
{
    return kind == OP_ADD_SERVER || kind == OP_REMOVE_SERVER || kind == OP_TRANSFER;
}

const char *outcome_name(Outcome outcome)
{
    static const char *names[] = {"pending", "ok", "fail", "indeterminate"};
    g_assert((unsigned)outcome < G_N_ELEMENTS(names));
    return names[outcome];
}

gboolean outcome_parse(const char *text, Outcome *out)
{
    for (Outcome o = OUTCOME_OK; o <= OUTCOME_INDETERMINATE; o++) {
        if (strcmp(text, outcome_name(o)) == 0) {
            *out = o;
            return TRUE;
        }
    }
    return FALSE;
}

const char *fail_reason_name(FailReason reason)
{
    static const char *names[] = {
        "none",
        "not-leader",
        "no-leader",
        "busy",
        "shutdown",
        "not-ready",
        "write-failed",
        "quorum-not-met",
        "lost-leadership",
        "read-quorum-not-met",
        "timeout",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == FAIL_REASON_COUNT);
    g_assert((unsigned)reason < G_N_ELEMENTS(names));
    return names[reason];
}

gboolean fail_reason_is_definite(FailReason reason)
{
    switch (reason) {
    case FAIL_NOT_LEADER:
    case FAIL_NO_LEADER:
    case FAIL_BUSY:
    case FAIL_SHUTDOWN:
    case FAIL_NOT_READY:
    case FAIL_WRITE:
        return TRUE;
    default:
        return FALSE;
    }
}

const char *node_role_name(NodeRole role)
{
    static const char *names[] = {"none",        "leader",  "follower", "candidate",
                                  "coordinator", "replica", "client"};
    g_assert((unsigned)role < G_N_ELEMENTS(names));
    return names[role];
}

/* ---- endpoint masks ---- */

void endpoint_mask_clear(EndpointMask *m)
{
    g_free(m->bits);
    m->bits = NULL;
    m->words = 0;
}

void endpoint_mask_copy(EndpointMask *out, const EndpointMask *in)
{
    out->words = in->words;
    out->bits = in->words ? g_memdup2(in->bits, sizeof(uint64_t) * in->words) : NULL;
}

void endpoint_mask_reserve(EndpointMask *m, guint n)
{
    guint words = (n + 63) / 64;
    if (words <= m->words)
        return;
    m->bits = g_renew(uint64_t, m->bits, words);
    memset(m->bits + m->words, 0, sizeof(uint64_t) * (words - m->words));
    m->words = words;
}

void endpoint_mask_remove(EndpointMask *m, EndpointId id)
{
    if (id / 64u < m->words)
        m->bits[id / 64] &= ~((uint64_t)1 << (id % 64));
}

EndpointMask endpoint_mask_one(EndpointId id)
{
    EndpointMask m = {0};
    endpoint_mask_add(&m, id);
    return m;
}

EndpointMask endpoint_mask_first(guint n)
{
    EndpointMask m = {0};
    endpoint_mask_reserve(&m, n);
    for (guint i = 0; i < n / 64; i++)
        m.bits[i] = UINT64_MAX;
    if (n % 64)
        m.bits[n / 64] = ((uint64_t)1 << (n % 64)) - 1;
    return m;
}

guint endpoint_mask_count(const EndpointMask *m)
{
    guint n = 0;
    for (guint i = 0; i < m->words; i++)
        n += (guint)__builtin_popcountll(m->bits[i]);
    return n;
}

EndpointId endpoint_mask_next(const EndpointMask *m, guint from)
{
    for (guint i = from / 64; i < m->words; i++) {
        uint64_t w = m->bits[i];
        if (i == from / 64)
            w &= UINT64_MAX << (from % 64);
        if (w)
            return (EndpointId)(i * 64 + (guint)__builtin_ctzll(w));
    }
    return ENDPOINT_NONE;
}

void endpoint_mask_union(EndpointMask *a, const EndpointMask *b)
{
    guint used = b->words;
    while (used > 0 && b->bits[used - 1] == 0)
        used--;
    endpoint_mask_reserve(a, used * 64);
    for (guint i = 0; i < used; i++)
        a->bits[i] |= b->bits[i];
}
