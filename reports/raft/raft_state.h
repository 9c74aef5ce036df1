/* reports/raft/raft_state.h — what Raft's oracle module keeps during a run, shared by its two
 * files: raft_oracle.c follows the servers' durable images and computes commitment (the
 * durable-state follower); raft_safety.c judges the Raft safety properties against it.
 *
 * Commitment, as the oracle computes it: entry (i, T) is committed once a majority of servers
 * hold it durably, each having been at term T (per its durable metadata) when the entry became
 * durable there — which is what the leader of T may count (Raft §5.4.2); every entry below i in
 * such a log is committed too (log matching).
 *
 * Invariants: committed[0..len) is a prefix of indexes, each with the term and command every
 * supporter holds; support[k] lists, per term, the servers supporting index committed.len + 1 + k;
 * mirror[n] is server n's log as the server itself holds it (read at boot, then as written).
 */
#pragma once

#include "model/raft/raft.h"
#include "reports/ledger.h"
#include "reports/raft/raft_oracle.h"

/* An election started against a leader that a majority was following (raft_liveness.c), and,
 * once that leader learned of the election's term, when (deposed_at; 0: not yet). */
typedef struct {
    uint64_t term;   /* the election's */
    SimTime started; /* when its candidate stood */
    EndpointId candidate;
    EndpointId leader; /* the leader it was against */
    uint64_t leader_term;
    uint64_t followers; /* the servers following that leader then (it included) */
    SimTime deposed_at;
} RaftDisruption;

/* What a server did last, for the liveness judgement. */
typedef struct {
    NodeRole role;         /* from its role notes; ROLE_NONE after a boot until its first */
    uint64_t term;         /* of that role */
    SimTime acked_at;      /* its last successful append answer */
    SimTime streak_from;   /* since when its answers to that leader came less than a lease apart */
    EndpointId acked_to;   /* to whom */
    uint64_t acked_term;   /* in which term */
    uint64_t handed_off;   /* the last term in which it sent TimeoutNow (leadership transfer) */
    uint64_t prevote_term; /* the last term it was granted pre-votes for */
    uint64_t prevote_mask; /* by whom */
} RaftServerSeen;

/* A configuration entry of a server's log (as the server holds it). */
typedef struct {
    uint64_t index;
    RaftMembers m;
} RaftConfigAt;

/* A committed log position. */
typedef struct {
    uint64_t term;        /* 0: known only as held by a snapshot (its entry compacted away) */
    uint64_t commit_term; /* the term whose leader could count the majority that committed it */
    IdemKey idem;
    uint8_t kind;
    uint8_t set;
} RaftSlot;

/* The first command applied at an index. */
typedef struct {
    uint64_t term;
    IdemKey idem;
    EndpointId node; /* the server that applied it first */
    uint8_t set;
} RaftApplied;

/* The nodes that durably hold entry (index, term) and durably record its term. */
typedef struct RaftSupport {
    uint64_t term;
    uint64_t mask;
    struct RaftSupport *next; /* another term at the same index */
} RaftSupport;

/* A server's durable snapshot (raft_snapshots.c). */
typedef struct {
    uint64_t index; /* the last entry it holds (0: none) */
    uint64_t term;
    RaftMembers members;    /* the configuration in force at index */
    uint64_t members_index; /* and its entry */
    uint64_t reported;      /* index + 1 when compaction beyond it was reported */
} RaftSnapSeen;

/* Who counts, for a protocol whose voters are not simply its servers (the hosted raft's spares,
 * membership changes and snapshots); `is_quorum` NULL: every server votes, always, and logs are
 * never compacted. */
typedef struct {
    void *ctx;
    /* Whether `mask`, the servers durably holding entry (index, term) in that term, is a
     * majority its term's leader may count. */
    gboolean (*is_quorum)(void *ctx, uint64_t mask, uint64_t index, uint64_t term);
    /* The voters of the configuration committed last: the servers that must catch up. */
    uint64_t (*voters)(void *ctx);
    /* The last index node's durable snapshot holds (its log may have nothing below). */
    uint64_t (*covered)(void *ctx, EndpointId node);
} RaftMembership;

typedef struct {
    const OracleView *view;
    LedgerBook *ledger;
    RaftMembership members;
    Verdict *found;
    guint nodes;
    guint majority;
    RaftOracleProfile profile;
    /* configurations (raft_members.c), when the profile follows raft's own */
    RaftMembers base;              /* in force before any configuration entry */
    GArray **configs;              /* per node, of RaftConfigAt: its log's, as it holds it */
    RaftMembers committed_members; /* the latest configuration in the committed prefix */
    GHashTable *granted; /* term << 8 | candidate -> mask of servers that sent it a vote */
    uint64_t *meta_term; /* per node, the term of its durable metadata */
    GPtrArray *support;  /* RaftSupport lists by index, from committed.len + 1 on */
    Chunks *mirror;      /* per node, of uint32_t block-store ids (0: none) */
    Chunks committed;    /* of RaftSlot, by index - 1 */
    /* a commitment whose prefix was not yet durable on any supporter when its majority formed
     * (an fsync made later blocks durable before earlier ones); retried as blocks land */
    uint64_t pending_index, pending_term, pending_mask;
    Chunks applied;      /* of RaftApplied, by index - 1 */
    GHashTable *leaders; /* term -> node + 1, lookups only */
    GHashTable *votes;   /* term << 8 | voter -> candidate + 1: durable votes */
    /* snapshots (raft_snapshots.c), when the profile follows raft's own */
    RaftSnapSeen *snaps; /* per node */
    uint64_t snap_high;  /* the highest index a durable snapshot ever held */
    /* liveness (raft_liveness.c) */
    RaftServerSeen *seen; /* per node */
    GArray *disruptions;  /* of RaftDisruption, by start */
    SimTime lease;        /* the shortest election timeout */
    /* the log's layout: raft's segment files (model/raft/raft.h), or the hosted raft's fixed
     * log file (`fixed`) */
    gboolean fixed;
    GArray **segfile;     /* per node, by segment: the durably named file + 1 (0: none) */
    GArray **fileseg;     /* per node, by file: 0 unknown, 1 not a segment, else segment + 2 */
    GArray **compacted;   /* per node, of uint32_t: segments whose unlink (submitted) compacts */
    uint32_t *verified;   /* per node: leading segments known synced whole under durable names */
    uint32_t seg_entries; /* entries per log segment (raft's segment.entries) */
    /* the last log block decoded from the block store, and what it decoded to */
    DiskBlock dec_block;
    RaftEntry dec_entry;
    gboolean dec_ok;
} RaftOracle;

/* Node n's durable log entry at `index`: FALSE if it has none or it does not decode. `id` (may
 * be NULL) gets its block-store id. */
gboolean raft_oracle_durable_entry(RaftOracle *o, EndpointId n, uint64_t index, RaftEntry *out,
                                   uint32_t *id);

/* Whether an unlink of log segment `seg` of node is compaction rather than a truncation. */
gboolean raft_compacting(const RaftOracle *o, EndpointId node, uint32_t seg);

/* The block-store id of node n's durable entry at `index` (0: none, or a hole). */
uint32_t raft_oracle_log_id(const RaftOracle *o, EndpointId n, uint64_t index);
/* The number of entries node n's durable log may hold (one past its highest index with a block,
 * holes and gaps included). */
uint64_t raft_oracle_log_end(const RaftOracle *o, EndpointId n);
/* The log segment file `file` of node's disk is (learned from its name the first time it is
 * seen named): FALSE when it is none (the metadata, its replacement, another file). */
gboolean raft_oracle_segment_of(RaftOracle *o, EndpointId node, guint file, uint32_t *seg);
/* Whether node n's first `len` entries reached the durable image after they were last written,
 * in files durably named: what it may claim once its fsyncs returned. */
gboolean raft_oracle_prefix_synced(RaftOracle *o, EndpointId n, uint64_t len);

/* What server node's log holds at `index`, as the server holds it: term 0 and no key for
 * nothing, or an entry that does not decode. */
void raft_oracle_held(const RaftOracle *o, EndpointId node, uint64_t index, uint64_t *term,
                      IdemKey *idem);
/* The last index node's durable snapshot holds (0: none). */
static inline uint64_t raft_covered(const RaftOracle *o, EndpointId node)
{
    return o->members.covered ? o->members.covered(o->members.ctx, node) : 0;
}

/* The membership's majorities changed (a configuration was appended): support counted before
 * is counted again, and the highest entry it now commits is committed. */
void raft_oracle_recount(RaftOracle *o);

/* The term of server node's entry at `index`, as the server holds it (0: none). */
uint64_t raft_oracle_held_term(const RaftOracle *o, EndpointId node, uint64_t index);

/* raft_members.c: the configurations of the servers' logs and of the committed prefix (raft's
 * own, RaftOracleProfile.configurations). */
void raft_members_init(RaftOracle *o);
void raft_members_clear(RaftOracle *o);
/* Node's log got block `index` (0-based) as `b`; or was cut to `len` blocks. */
void raft_members_logged(RaftOracle *o, EndpointId node, uint32_t index, const DiskBlock *b);
void raft_members_cut(RaftOracle *o, EndpointId node, uint32_t len);
/* The configuration in force at entry `index` of node's log: the latest entry at or below it. */
RaftMembers raft_members_at(const RaftOracle *o, EndpointId node, uint64_t index);
/* The latest configuration of node's log (what it uses now). */
RaftMembers raft_members_latest(const RaftOracle *o, EndpointId node);
/* Whether the servers in `mask` are a majority of the voters of `m`. */
gboolean raft_members_is_majority(RaftMembers m, uint64_t mask);
/* A committed entry: a configuration entry becomes the committed configuration, and is checked
 * against the configurations of the other branches that could still elect a leader. */
void raft_members_committed(RaftOracle *o, const RaftEntry *e);
/* A vote was sent; a leader was noted (election safety against its configuration). */
void raft_members_vote_sent(RaftOracle *o, const Msg *m);
void raft_members_check_election(RaftOracle *o, EndpointId node, uint64_t term);
/* The RaftMembership that judges commitment and catch-up by raft's configuration entries. */
RaftMembership raft_members_membership(RaftOracle *o);

/* Drops node's configuration entries at or below `upto`: its snapshot holds them (and its
 * configuration stands for them). */
void raft_members_compacted(RaftOracle *o, EndpointId node, uint64_t upto);

/* raft_snapshots.c: raft's own snapshot files (RaftOracleProfile.snapshots). */
void raft_snapshots_init(RaftOracle *o);
void raft_snapshots_clear(RaftOracle *o);
RaftMembership raft_snapshots_membership(RaftOracle *o, RaftMembership m);
void raft_snapshots_durable(RaftOracle *o, EndpointId node, DiskChange cause);
void raft_snapshots_written(RaftOracle *o, EndpointId node, const DiskBlock *b);
void raft_snapshots_unlinked(RaftOracle *o, EndpointId node, const RaftEntry *old);
void raft_snapshots_booted(RaftOracle *o, EndpointId node);
void raft_snapshots_refresh(RaftOracle *o, EndpointId node);
/* Indexes 1 .. raft_released() of the committed prefix and the applied commands are released
 * (every voter's snapshot holds them). */
uint64_t raft_released(const RaftOracle *o);

/* raft_safety.c */
void raft_safety_new_entry(RaftOracle *o, EndpointId node, uint32_t idx, const RaftEntry *e);

/* raft_liveness.c */
void raft_liveness_init(RaftOracle *o);
void raft_liveness_clear(RaftOracle *o);
void raft_liveness_sent(RaftOracle *o, const Msg *m);
void raft_liveness_role(RaftOracle *o, EndpointId node, NodeRole role, uint64_t term);
void raft_liveness_booted(RaftOracle *o, EndpointId node);
