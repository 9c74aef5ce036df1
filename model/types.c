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
