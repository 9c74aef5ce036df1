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

typedef struct {
    const char *name;    /* "ack-before-fsync": unique within its protocol */
    const char *summary; /* one line: what the variant does wrong */
    const char *oracle;  /* the violation kind that catches it */
} BugVariant;
