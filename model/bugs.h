/* model/bugs.h — built-in bug variants: each a single deliberate deviation, placed at the very line
 * of protocol code it corrupts, off unless a scenario or --bug switches it on, so that users can
 * watch each oracle catch its bug.
 *
 * A protocol lists its own variants in its descriptor (Protocol.bugs, model/protocol.h), and its
 * code tests them by their place in that list: a BugSet means something only together with its
 * protocol. The questions about names (parse, format, which protocol has a variant) are answered
 * by model/protocol.h.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Bit i: the protocol's bug variant i (Protocol.bugs[i]). */
typedef uint64_t BugSet;
#define BUG_MAX 64

#define BUG_ON(set, bit) G_UNLIKELY((((set) >> (bit)) & 1u) != 0)

struct WorldConfig;

typedef struct {
    const char *name;    /* "ack-before-fsync": unique within its protocol */
    const char *summary; /* one line: what the variant does wrong */
    const char *oracle;  /* the violation kind that catches it */
    /* The settings it lives in, for a variant of code only they run (a tombstone purge, a Merkle
     * tree): --bug turns them on as it turns the variant on, so that every seed of a campaign
     * runs the code (protocol_bugs_add). NULL: none. A scenario file's `bugs =` leaves its own
     * settings as they are. */
    void (*settings)(struct WorldConfig *c);
} BugVariant;
