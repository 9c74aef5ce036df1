/* model/bugs.h — the built-in bug variants: each a single deliberate deviation, placed at the very
 * line of protocol code it corrupts, off unless a scenario or --bug switches it on, so that users
 * can watch each oracle catch its bug. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    /* quorum */
    BUG_ACK_BEFORE_FSYNC,
    BUG_COUNT_FAILED_FSYNC,
    BUG_RETRY_FSYNC,
    BUG_REPLY_ON_FIRST_ACK,
    BUG_NO_DEDUP,
    /* raft */
    BUG_COMMIT_OLD_TERM,
    BUG_VOTE_BEFORE_PERSIST,
    BUG_FOLLOWER_ACK_BEFORE_FSYNC,
    BUG_NO_SESSION,
    BUG_TRUNCATE_ON_STALE_APPEND,
    BUG_STALE_READ,
    BUG_KIND_COUNT,
} BugKind;

typedef uint32_t BugSet;

#define BUG_ON(set, kind) G_UNLIKELY(((set) >> (kind)) & 1u)

typedef struct {
    BugKind kind;
    const char *name;
    const char *protocol; /* "quorum" or "raft" */
    const char *summary;
    const char *oracle; /* the violation kind that catches it */
} BugInfo;

const BugInfo *bug_info(BugKind kind);
/* Appends " --bug NAME" for every bug of the set, in catalogue order (for replay commands). */
void bug_append_flags(GString *s, BugSet set);
gboolean bug_parse(const char *name, BugKind *out);
/* Parses a comma list ("a, b"); on failure names the unknown entry in *bad (caller frees). */
gboolean bug_parse_list(const char *text, BugSet *out, char **bad);
/* "a,b" or "none"; caller frees. */
char *bug_set_format(BugSet set);
