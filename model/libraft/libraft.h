/* model/libraft/libraft.h — canonical raft (libraft 0.15, unmodified) hosted as a durasim
 * protocol: raft servers n1..nK whose consensus is the library's, behind an adapter that
 * implements the library's raft_io on the simulated disk, network, clock and PRNG.
 *
 * The adapter keeps raft's on-disk records (model/raft/raft.h: file 0 the term and vote, file 1
 * the log, block i - 1 for entry i), so the raft oracles read a hosted server's disk unchanged;
 * file 2 holds the library's snapshots. See libraft_internal.h for the parts of the adapter.
 *
 * Built only when the library is present (DURASIM_HAVE_LIBRAFT, from pkg-config raft).
 */
#pragma once

#include "model/msg.h"
#include "model/proto.h"
#include "model/raft/raft.h"

/* The adapter's one message type: a raft_message, its encoding (bytes) in the message's extra.
 * Numbered after raft's own codes (model/raft/raft_msg.h). */
enum {
    MSG_LIBRAFT = MSG_R_END,
    MSG_LIBRAFT_END,
};

/* Names and trace lines of the adapter's messages. */
extern const MsgOps libraft_msg_ops;

typedef struct {
    unsigned election_ms;  /* raft_set_election_timeout */
    unsigned heartbeat_ms; /* raft_set_heartbeat_timeout (also the tick period) */
    unsigned snapshot_threshold;
    unsigned snapshot_trailing;
    gboolean pre_vote;
    guint voters;       /* servers 1..voters bootstrap as voters; the rest start as spares */
    guint max_inflight; /* client proposals in flight on a leader; beyond it, Busy */
    guint bugs;         /* adapter bug variants (LIBRAFT_BUG_*), for the oracles to find */
} LibraftParams;

/* Adapter bug variants. libraft-ack-before-fsync: an append is reported done when its writes
 * return, before the fsync. libraft-trust-failed-fsync: after a failed fsync the adapter calls
 * fsync again and trusts its 0. */
#define LIBRAFT_BUG_ACK_BEFORE_FSYNC   (1u << 0)
#define LIBRAFT_BUG_TRUST_FAILED_FSYNC (1u << 1)

/* The defaults for a world: timeouts from the config's election timeout and heartbeat. */
void libraft_params_default(LibraftParams *p, const WorldConfig *c);

typedef struct {
    uint64_t appends, append_errors;        /* io->append, and those that completed with an error */
    uint64_t durable_calls, durable_errors; /* set_term, set_vote, bootstrap */
    uint64_t sends, received, malformed;
    uint64_t snapshots_put, snapshots_got, installs;
    uint64_t suspends; /* times a durable call suspended the fiber */
    uint64_t applied, deduplicated;
    uint64_t restarts;               /* the host restarted the library after an I/O error */
    uint64_t scrub_repairs, repairs; /* blocks the scrub wrote again; repairs from peers */
} LibraftStats;

/* The hosted protocol. create() reads LibraftParams from libraft_params_default; tests that
 * want others call libraft_create. */
extern const ProtoOps libraft_ops;
void *libraft_create(const ProtoInit *init, const LibraftParams *params);
const LibraftStats *libraft_stats(const void *p);
/* The library's view, for tests: raft_state(), current term, commit index, last applied. */
int libraft_state(const void *p);
uint64_t libraft_term(const void *p);
uint64_t libraft_commit(const void *p);
uint64_t libraft_last_applied(const void *p);
/* The state machine's value of a key (FALSE: absent). */
gboolean libraft_value(const void *p, KeyId key, Value *out);
/* Blocks the library left allocated at destroy (its leaks), counted over the process; and frees
 * it made twice (the 0.15 append-failure bug). */
void libraft_heap_findings(guint *leaked, guint *double_frees);
