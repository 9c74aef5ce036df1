/* model/violation.h — the kinds of violation a run can be judged guilty of. The scenario format
 * names them in [expect] and the oracles of reports/ raise them; this is their shared vocabulary.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    V_LOST_ACK,
    V_EARLY_ACK,
    V_FALSE_FAILURE,
    V_DUPLICATE,
    V_UNPERSISTED_SEND,
    V_ELECTION_SAFETY,
    V_LOG_MATCHING,
    V_LEADER_COMPLETENESS,
    V_STATE_MACHINE_SAFETY,
    V_NOT_LINEARIZABLE,
    V_DIVERGENT,
    V_STUCK,
    V_LOST_UPDATE,  /* an acked write no read can return, no later write causally covering it */
    V_RESURRECTION, /* a write an acknowledged delete covered came back */
    V_SIBLINGS,     /* a get's siblings are not the maximal writes it must see */
    V_UNDER_REPLICATED,
    V_FS_BROKEN_PROMISE, /* the file system lost what an fsync's 0 promised (beyond the model) */
    V_DISRUPTION,
    V_UNSAFE_CONFIG,
    V_SNAPSHOT_SAFETY, /* a snapshot held an uncommitted entry, or compaction or an install lost
                          committed state */
    V_KIND_COUNT,
} ViolationKind;

typedef uint32_t ViolationSet;

const char *violation_kind_name(ViolationKind kind);
gboolean violation_kind_parse(const char *name, ViolationKind *out);
/* Parses "none" or a comma list; on failure *bad names the entry (caller frees). */
gboolean violation_set_parse(const char *text, ViolationSet *out, char **bad);
/* "a,b" or "none"; caller frees. */
char *violation_set_format(ViolationSet set);
