/* model/raft/raft_msg.c — how the trace names and describes the Raft servers' messages. */
#include "model/raft/raft_msg.h"

#include <string.h>

static const char *const raft_msg_names[] = {
    "vote",       "vote-resp",   "append",   "append-resp",   "probe",
    "probe-resp", "timeout-now", "snapshot", "snapshot-resp",
};
G_STATIC_ASSERT(G_N_ELEMENTS(raft_msg_names) == MSG_R_END - MSG_R_VOTE);

static void raft_msg_describe(const Msg *m, const MsgNames *n, GString *s)
{
    (void)n;
    switch (m->type) {
    case MSG_R_VOTE:
        g_string_append_printf(
            s, "%s term=%" G_GUINT64_FORMAT " last=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
            raft_body(m)->rv.prevote    ? " (pre)"
            : raft_body(m)->rv.transfer ? " (transfer)"
                                        : "",
            raft_body(m)->rv.term, raft_body(m)->rv.last_index, raft_body(m)->rv.last_term);
        break;
    case MSG_R_VOTE_RESP:
        g_string_append_printf(s, "%s term=%" G_GUINT64_FORMAT " %s",
                               raft_body(m)->rvr.prevote ? " (pre)" : "", raft_body(m)->rvr.term,
                               raft_body(m)->rvr.granted ? "granted" : "denied");
        break;
    case MSG_R_APPEND:
        g_string_append_printf(s,
                               " term=%" G_GUINT64_FORMAT " prev=%" G_GUINT64_FORMAT
                               "/%" G_GUINT64_FORMAT " commit=%" G_GUINT64_FORMAT,
                               raft_body(m)->ra.term, raft_body(m)->ra.prev_index,
                               raft_body(m)->ra.prev_term, raft_body(m)->ra.commit);
        if (m->extra_count > 0)
            g_string_append_printf(s, " entries=%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                                   raft_msg_entries(m)[0].index,
                                   raft_msg_entries(m)[m->extra_count - 1].index);
        break;
    case MSG_R_APPEND_RESP:
        if (raft_body(m)->rar.success)
            g_string_append_printf(s, " term=%" G_GUINT64_FORMAT " ok match=%" G_GUINT64_FORMAT,
                                   raft_body(m)->rar.term, raft_body(m)->rar.match);
        else
            g_string_append_printf(s, " term=%" G_GUINT64_FORMAT " reject retry=%" G_GUINT64_FORMAT,
                                   raft_body(m)->rar.term, raft_body(m)->rar.conflict_index);
        break;
    case MSG_R_PROBE:
        g_string_append_printf(s, " term=%" G_GUINT64_FORMAT, raft_body(m)->rp.term);
        break;
    case MSG_R_TIMEOUT_NOW:
        g_string_append_printf(s, " term=%" G_GUINT64_FORMAT, raft_body(m)->rt.term);
        break;
    case MSG_R_SNAPSHOT:
        g_string_append_printf(s,
                               " term=%" G_GUINT64_FORMAT " last=%" G_GUINT64_FORMAT
                               "/%" G_GUINT64_FORMAT " blocks=%u..%u of %u",
                               raft_body(m)->rs.term, raft_body(m)->rs.index,
                               raft_body(m)->rs.snap_term, raft_body(m)->rs.offset,
                               raft_body(m)->rs.offset + m->extra_count, raft_body(m)->rs.total);
        break;
    case MSG_R_SNAPSHOT_RESP:
        g_string_append_printf(s, " term=%" G_GUINT64_FORMAT " last=%" G_GUINT64_FORMAT,
                               raft_body(m)->rsr.term, raft_body(m)->rsr.index);
        if (raft_body(m)->rsr.done)
            g_string_append(s, " installed");
        else
            g_string_append_printf(s, " next=%u", raft_body(m)->rsr.next);
        break;
    case MSG_R_PROBE_RESP:
        g_string_append_printf(
            s, " term=%" G_GUINT64_FORMAT " last=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "%s",
            raft_body(m)->rpr.term, raft_body(m)->rpr.last_index, raft_body(m)->rpr.last_term,
            raft_body(m)->rpr.damaged ? " damaged" : "");
        break;
    default:
        break;
    }
}

/* Votes and appends that carry entries replicate; an append's answer does when it accepted. */
static gboolean raft_msg_replicates(MsgType type, const char *detail)
{
    switch (type) {
    case MSG_R_VOTE:
    case MSG_R_VOTE_RESP:
        return TRUE;
    case MSG_R_APPEND:
        return detail && strstr(detail, "entries=") != NULL;
    case MSG_R_APPEND_RESP:
        return detail && strstr(detail, " ok ") != NULL;
    case MSG_R_SNAPSHOT:
        return TRUE;
    case MSG_R_SNAPSHOT_RESP:
        return detail && strstr(detail, " installed") != NULL;
    default:
        return FALSE;
    }
}

static gboolean raft_msg_links(MsgType type, const char *detail)
{
    return type == MSG_R_APPEND_RESP || raft_msg_replicates(type, detail);
}

const MsgOps raft_msg_ops = {
    .first = MSG_R_VOTE,
    .count = MSG_R_END - MSG_R_VOTE,
    .names = raft_msg_names,
    .describe = raft_msg_describe,
    .replicates = raft_msg_replicates,
    .links = raft_msg_links,
};
