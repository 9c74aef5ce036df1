/* model/libraft/libraft.h — canonical raft (libraft 0.15, unmodified) hosted as a durasim
 * protocol: raft servers n1..nK whose consensus is the library's, behind an adapter that
 * implements the library's raft_io on the simulated disk, network, clock and PRNG.
 *
 * The adapter keeps raft's on-disk records in raft's named files (model/raft/raft.h: "meta" the
 * term and vote, "log/<n>" the log's segments), so the raft oracles read a hosted server's disk
 * unchanged; "snapshot" holds the library's snapshots (libraft_store.c). See libraft_internal.h
 * for the parts of the adapter.
 *
 * Built only when the library is present (DURASIM_HAVE_LIBRAFT, from pkg-config raft).
 */
#pragma once

#include "model/msg.h"
#include "model/proto.h"
#include "model/raft/raft.h"
/* The one include of the world by a protocol: libraft_durable_snapshot, for the oracles, reads a
 * disk with the adapter's snapshot reader (libraft_store.c), which boot shares (see
 * .ci/layer-lint.sh). */
#include "model/world/disk.h"

/* The adapter's one message type: a raft_message, its encoding (bytes) in the message's extra.
 * A code of its own, clear of raft's range (model/raft/raft_msg.h): the codes reach the trace
 * hash, so raft's growing list must not move it. */
enum {
    MSG_LIBRAFT = 64,
    MSG_LIBRAFT_END,
};

/* The hosted protocol's settings (its scenario keys, in [cluster]; model/libraft/
 * libraft_protocol.c). */
typedef struct {
    SimTime election_timeout; /* raft_set_election_timeout: the library draws from [T, 2T] */
    SimTime heartbeat;        /* raft_set_heartbeat_timeout, also the tick period */
    guint voters;             /* n1..nV bootstrap as voters, the others as spares (0: all but
                                 `spares`; read through libraft_voters) */
    guint spares;             /* the last `spares` servers bootstrap as spares (as raft's key) */
    guint snapshot_threshold; /* raft_set_snapshot_threshold */
    guint snapshot_trailing;  /* raft_set_snapshot_trailing */
    SimTime install_timeout;  /* raft_set_install_snapshot_timeout: an unanswered InstallSnapshot
                                 is sent again after it (the library's default is 30s) */
    gboolean pre_vote;        /* raft_set_pre_vote */
} LibraftConfig;

static inline const LibraftConfig *libraft_config(const WorldConfig *c)
{
    return (const LibraftConfig *)(const void *)c->proto;
}

static inline LibraftConfig *libraft_config_mut(WorldConfig *c)
{
    return (LibraftConfig *)(void *)c->proto;
}

/* The descriptor (model/libraft/libraft_protocol.c). */
extern const Protocol libraft_protocol;
/* Servers n1..nV that bootstrap as voters. */
guint libraft_voters(const WorldConfig *c);
/* The fewest voters any configuration of the run can have: each remove-server of its script
 * may succeed, no add-server may (at least 1). */
guint libraft_min_voters(const WorldConfig *c);
/* Every server that may vote at some time of the run: the bootstrap voters and the servers its
 * script adds (bit n: server n + 1). */
uint32_t libraft_possible_voters(const WorldConfig *c);

/* Its failpoints, by code, in a range of their own; named as raft's (raft.elected...), which
 * they mean here too: the adapter marks each where the library's calls show the same moment. */
typedef enum {
    LIBRAFT_FP_ELECTED = 64, /* the library became leader (after the step that made it) */
    LIBRAFT_FP_VOTED,        /* a granted vote was sent (after set_vote made it durable) */
    LIBRAFT_FP_APPENDED,     /* a leader's append was written, its fsync issued, nothing sent */
    LIBRAFT_FP_BROADCAST,    /* a leader sent AppendEntries carrying entries */
    LIBRAFT_FP_FOLLOWER_APPENDED, /* a follower's append was written, not yet acknowledged */
    LIBRAFT_FP_COMMITTED,         /* a leader's commit index rose, nothing of it applied yet */
    LIBRAFT_FP_REPLIED,           /* a client was answered ok */
    LIBRAFT_FP_CONFIG_APPENDED,   /* a leader's append carrying a configuration was written */
    LIBRAFT_FP_CONFIG_COMMITTED,  /* a leader saw its latest configuration commit */
    LIBRAFT_FP_END,
} LibraftFailpoint;
#define LIBRAFT_FP_FIRST LIBRAFT_FP_ELECTED

/* Adapter bug variants: bit i of a libraft run's BugSet (libraft_protocol.bugs[i]).
 * libraft-ack-before-fsync: an append is reported done when its writes return, before the
 * fsync. libraft-trust-failed-fsync: after a failed fsync the adapter calls fsync again and
 * trusts its 0. */
typedef enum {
    LIBRAFT_BUG_ACK_BEFORE_FSYNC,
    LIBRAFT_BUG_TRUST_FAILED_FSYNC,
    LIBRAFT_BUG_COUNT,
} LibraftBug;

/* Names and trace lines of the adapter's messages. */
extern const MsgOps libraft_msg_ops;

/* ---- what the oracles read of a hosted server (reports/libraft/) ---- */

#define LIBRAFT_SNAP_PATH "snapshot" /* the snapshots ("meta" and "log/<n>" are raft's) */

/* Whether a log record is a configuration entry; *voters gets its voters (bit n: server n + 1). */
gboolean libraft_record_conf(const RaftEntry *e, uint64_t *voters);
/* The snapshot a server would load from its durable image (the newest complete one): FALSE if
 * none. *voters: its configuration's voters. */
gboolean libraft_durable_snapshot(const Disk *d, uint64_t *index, uint64_t *term,
                                  uint64_t *conf_index, uint64_t *voters);

/* What a MSG_LIBRAFT says, for the persist-before-send oracle. */
typedef struct {
    uint8_t type; /* RAFT_IO_* of raft.h (0: the adapter's own repair wire) */
    uint64_t term;
    gboolean granted;                       /* request-vote-result: the vote was granted */
    gboolean pre_vote;                      /* request-vote-result: to a pre-vote */
    uint64_t rejected;                      /* append-entries-result: 0 on success */
    uint64_t last_log_index;                /* append-entries-result: what the sender has stored;
                                               install-snapshot: the snapshot's last index */
    uint64_t prev_log_index, leader_commit; /* append-entries */
    uint32_t n_entries;                     /* append-entries */
} LibraftPeek;
/* FALSE: not a library message, or malformed. */
gboolean libraft_msg_peek(const Msg *m, LibraftPeek *out);
enum {
    LIBRAFT_MSG_APPEND = 1,        /* RAFT_IO_APPEND_ENTRIES */
    LIBRAFT_MSG_APPEND_RESULT = 2, /* RAFT_IO_APPEND_ENTRIES_RESULT */
    LIBRAFT_MSG_VOTE_RESULT = 4,   /* RAFT_IO_REQUEST_VOTE_RESULT */
    LIBRAFT_MSG_INSTALL = 5,       /* RAFT_IO_INSTALL_SNAPSHOT */
    LIBRAFT_MSG_TIMEOUT_NOW = 6,   /* RAFT_IO_TIMEOUT_NOW */
};

typedef struct {
    unsigned election_ms;  /* raft_set_election_timeout */
    unsigned heartbeat_ms; /* raft_set_heartbeat_timeout (also the tick period) */
    unsigned snapshot_threshold;
    unsigned snapshot_trailing;
    unsigned install_timeout_ms;
    gboolean pre_vote;
    guint voters;       /* servers 1..voters bootstrap as voters; the rest start as spares */
    guint min_voters;   /* the fewest voters the run can have (0: voters), for repairs */
    guint max_inflight; /* client proposals in flight on a leader; beyond it, Busy */
} LibraftParams;

/* The parameters of a world's servers, from its LibraftConfig. */
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
