/* model/marks.h — reachability marks: a named counter at each branch of protocol or world code
 * that matters (each outcome of a message handler, each failure path, each retry and fallback,
 * each step of a repair or a handoff, each boot path), in the spirit of Antithesis' "sometimes"
 * assertions and TigerBeetle's coverage marks. A campaign adds them up and names the ones it
 * never reached: a campaign that passes says nothing about a path it never took.
 *
 * A protocol declares its marks in its descriptor (Protocol.marks, model/protocol.h), numbered by
 * an enum of its own, as it does its bug variants and failpoints; its code counts one with
 * MARK(init.marks, ID): one add into the array the runtime lends the instance (ProtoInit.marks),
 * no call, no action, no trace record. Marks never change a trace hash, and cost an add when
 * nobody reads them. The world's own marks are in model/world/world_marks.h.
 *
 * Invariants: a table's names are unique within it; a mark's id is its place in its table.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef uint64_t MarkCount;
typedef uint16_t MarkId;
#define MARK_MAX 256 /* marks of one protocol */

/* What a mark's branch is doing, for the swarm's timing profiles: disk faults strike repairs,
 * handoffs, boots and scrubs, restarts race failure paths (disk errors above all), repairs and
 * elections. */
typedef enum {
    MARK_PATH,     /* an ordinary outcome (the default) */
    MARK_FAILURE,  /* a failure being handled: an I/O error, a timeout, a give-up */
    MARK_REPAIR,   /* repair, handoff, read repair, anti-entropy, catch-up */
    MARK_BOOT,     /* a boot path */
    MARK_SCRUB,    /* reading the disk back for latent damage */
    MARK_ELECTION, /* an election or a change of leader */
    MARK_DISK,     /* a disk error being handled: a failed write or fsync, a read-only fs */
    MARK_ROLE_COUNT,
} MarkRole;

typedef struct {
    const char *name;    /* "coord.write.quorum-met": unique within its table */
    const char *summary; /* what reaching it means, one line */
    /* NULL: a default campaign within the model must reach it. Otherwise why it cannot: it
     * needs a fault beyond the model, a bug variant, or a load the generator never makes. */
    const char *unowed;
    uint8_t role; /* MarkRole; MARK_PATH when left out */
} Mark;

#define MARK(counts, id) ((counts)[(id)]++)

/* Where an instance made without counters (a unit test's) counts its marks: an array of
 * MARK_MAX per thread. */
MarkCount *mark_sink(void);
