/* model/bugs.c — the catalogue of bug variants. */
#include "model/bugs.h"

#include <string.h>

static const BugInfo bugs[BUG_KIND_COUNT] = {
    {BUG_ACK_BEFORE_FSYNC, "ack-before-fsync", "quorum",
     "a replica acks a write as soon as write() returns, before its fsync", "unpersisted-send"},
    {BUG_COUNT_FAILED_FSYNC, "count-failed-fsync", "quorum",
     "the coordinator counts a replica's failed-fsync reply as a durable ack", "early-ack"},
    {BUG_RETRY_FSYNC, "retry-fsync", "quorum",
     "after EIO a replica calls fsync again and trusts its 0 instead of rewriting",
     "unpersisted-send"},
    {BUG_REPLY_ON_FIRST_ACK, "reply-on-first-ack", "quorum",
     "the coordinator answers the client at the first durable ack instead of the W-th",
     "early-ack"},
    {BUG_NO_DEDUP, "no-dedup", "quorum",
     "replicas apply a retried write again instead of deduplicating its idempotency key",
     "duplicate"},
    {BUG_COMMIT_OLD_TERM, "commit-old-term", "raft",
     "the leader commits entries of earlier terms by counting replicas, without the election "
     "no-op (Raft Figure 8)",
     "early-ack"},
    {BUG_VOTE_BEFORE_PERSIST, "vote-before-persist", "raft",
     "a server grants its vote before the vote is fsynced", "unpersisted-send"},
    {BUG_FOLLOWER_ACK_BEFORE_FSYNC, "follower-ack-before-fsync", "raft",
     "a follower acks appended entries before they are fsynced", "unpersisted-send"},
    {BUG_NO_SESSION, "no-session", "raft",
     "the state machine applies a retried command again instead of deduplicating it", "duplicate"},
    {BUG_TRUNCATE_ON_STALE_APPEND, "truncate-on-stale-append", "raft",
     "a follower truncates its log on any append, even a stale one that does not conflict",
     "lost-ack"},
    {BUG_STALE_READ, "stale-read", "raft",
     "the leader answers reads from its own state without confirming leadership",
     "not-linearizable"},
};

const BugInfo *bug_info(BugKind kind)
{
    g_assert((unsigned)kind < BUG_KIND_COUNT);
    return &bugs[kind];
}

void bug_append_flags(GString *s, BugSet set)
{
    for (int k = 0; k < BUG_KIND_COUNT; k++)
        if (set & (1u << k))
            g_string_append_printf(s, " --bug %s", bug_info((BugKind)k)->name);
}

gboolean bug_parse(const char *name, BugKind *out)
{
    for (int i = 0; i < BUG_KIND_COUNT; i++) {
        if (strcmp(name, bugs[i].name) == 0) {
            *out = bugs[i].kind;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean bug_parse_list(const char *text, BugSet *out, char **bad)
{
    BugSet set = 0;
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    for (int i = 0; parts[i]; i++) {
        char *name = g_strstrip(parts[i]);
        if (*name == '\0' || strcmp(name, "none") == 0)
            continue;
        BugKind kind;
        if (!bug_parse(name, &kind)) {
            if (bad)
                *bad = g_strdup(name);
            return FALSE;
        }
        set |= 1u << kind;
    }
    *out = set;
    return TRUE;
}

char *bug_set_format(BugSet set)
{
    if (set == 0)
        return g_strdup("none");
    GString *s = g_string_new(NULL);
    for (int i = 0; i < BUG_KIND_COUNT; i++) {
        if (set & (1u << i)) {
            if (s->len)
                g_string_append_c(s, ',');
            g_string_append(s, bugs[i].name);
        }
    }
    return g_string_free(s, FALSE);
}
