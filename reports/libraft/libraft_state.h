/* reports/libraft/libraft_state.h — what the libraft oracle module keeps during a run, shared by
 * its two files: libraft_oracle.c (configurations, snapshots, persist-before-send, and raft's
 * module underneath) and libraft_behaviour.c (the library's own breaches of Raft's rules, and
 * which violations they explain).
 *
 * Invariants: confs[n] is sorted by index and holds exactly the configuration entries of server
 * n's durable log; snap[n] is the snapshot its durable image would load (media damage since
 * notwithstanding); taints only grow.
 */
#pragma once

#include "model/idem_table.h"
#include "model/libraft/libraft.h"
#include "reports/raft/raft_state.h"

typedef struct {
    uint64_t index, term, voters;
} LRConf;

typedef struct {
    uint64_t index; /* 0: no snapshot */
    uint64_t conf_index, voters;
} LRSnap;

/* Breaches of Raft's rules by libraft 0.15 itself, seen in its notes and on the wire. */
typedef enum {
    LR_BEHAVIOUR_COMMIT_EARLIER_TERM,
    LR_BEHAVIOUR_ACK_BEYOND_MATCH,
    LR_BEHAVIOUR_INSTALL_ACK_UNSTORED,
    LR_BEHAVIOUR_SELF_ELECT,
    LR_BEHAVIOUR_STALE_LEADER,
    LR_BEHAVIOUR_VOTE_NOT_MEMBER,
    LR_BEHAVIOUR_VOTE_TWICE,
    LR_BEHAVIOUR_CONF_NOT_TAKEN,
    LR_BEHAVIOUR_CONF_DIFFERS,
    LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT,
    LR_BEHAVIOUR_HALTED, /* a consequence: it shut itself down after one of the above */
    LR_BEHAVIOUR_COUNT,
} LRBehaviour;

/* Log positions a breach made count wrongly: entries lo..hi whose term is below `term` (a commit
 * by counting replicas of earlier terms) or equal to it (the leader of `term` counted a claim of
 * them). */
typedef struct {
    LRBehaviour what;
    SimTime at;
    EndpointId node; /* the leader that counted, or the follower that claimed */
    uint64_t lo, hi, term;
    guint cause;   /* a halt: 1 + the index of the first breach before it (0: none) */
    SimTime until; /* configuration-differs-from-log: when it ended (0: not yet) */
} LRTaint;

/* Where a write's entries were written: its last LR_PLACEMENTS distinct (index, term), a ring
 * (a retried write is appended again, in a later term or at another index). */
#define LR_PLACEMENTS 4
typedef struct {
    uint64_t index[LR_PLACEMENTS], term[LR_PLACEMENTS];
    uint32_t next;
} LRPlacement;

typedef struct {
    RaftOracle *raft; /* raft's module state */
    const OracleView *view;
    guint nodes;
    uint64_t boot_voters; /* the bootstrap configuration */
    guint min_voters;     /* the fewest voters any configuration of the run has */
    GArray **confs;       /* per server, of LRConf */
    GArray *appended;     /* of LRConf: every configuration entry written to any log, durable
                             or not (a leader counts with it once appended) */
    uint64_t *conf_used;  /* per server, the voters of the configuration it said it uses */
    uint64_t *conf_at;    /* and the index it takes it from (0: none said yet) */
    LRSnap *snap;         /* per server */
    GArray **damaged;     /* per server, of uint32_t: log blocks a media fault hit since their last
                             sync (the scrub writes them again: not yet synced, but the server did
                             its part) */
    uint64_t *install_sent; /* per server, the last index of the last InstallSnapshot sent to it */
    uint64_t *commit_seen;  /* per server, the commit index its notes said last */
    NodeRole *role_seen;    /* per server, the role its notes said last, and in which term */
    uint64_t *role_term;
    GArray *taints;         /* of LRTaint, in the order seen */
    IdemTable placements;   /* IdemKey -> LRPlacement */
    GHashTable *granted;    /* term << 8 | voter -> candidate + 1: the first vote it sent */
    EndpointId *transferee; /* per server, the last it sent TimeoutNow to (ENDPOINT_NONE) */
    uint64_t *reached;      /* per server, the servers it sent AppendEntries or InstallSnapshot
                               to while leader of reached_term[server] */
    uint64_t *reached_term;
    SimTime *reached_since; /* when it first sent one in that term */
} LROracle;

/* libraft_behaviour.c */
void lr_behaviour_init(LROracle *o);
void lr_behaviour_clear(LROracle *o);
/* A log block was submitted: where a write's entry goes. */
void lr_behaviour_placed(LROracle *o, const RaftEntry *e);
/* A commit note of `node`. */
void lr_behaviour_commit(LROracle *o, EndpointId node, uint64_t index, uint64_t term);
/* A follower's append success to the leader of `term`, claiming `last`. */
void lr_behaviour_claim(LROracle *o, EndpointId follower, EndpointId leader, uint64_t term,
                        uint64_t last);
/* An append success that its sender's disk does not back, after an InstallSnapshot of `last`. */
void lr_behaviour_install_ack(LROracle *o, EndpointId follower, uint64_t last);
/* NOTE_CONFIG of `node`: the configuration it uses has `voters`, taken from index `at`. */
void lr_behaviour_config(LROracle *o, EndpointId node, uint64_t voters, uint64_t at);
/* A configuration entry `e` was written to a log (see libraft_oracle.c's appended). */
void lr_behaviour_conf_appended(LROracle *o, EndpointId node, const RaftEntry *e);
/* `leader` sent TimeoutNow to `target` (a leadership transfer). */
void lr_behaviour_transfer(LROracle *o, EndpointId leader, EndpointId target);
/* `voter` sent a granted vote (not a pre-vote) to `candidate` in `term`. */
void lr_behaviour_vote(LROracle *o, EndpointId voter, EndpointId candidate, uint64_t term);
/* A role note of `node`. */
void lr_behaviour_role(LROracle *o, EndpointId node, NodeRole role, uint64_t term);
/* NOTE_REFUSED of `node`: it refused (NOTE_REFUSED_*), having last heard from a leader at
 * `heard`. */
void lr_behaviour_refused(LROracle *o, EndpointId node, guint why, SimTime heard);
/* The library on `node` shut itself down (NOTE_HALTED). */
void lr_behaviour_halted(LROracle *o, EndpointId node, uint64_t commit);
/* A leader's AppendEntries or InstallSnapshot to `to` in `term`. */
void lr_behaviour_reached(LROracle *o, EndpointId leader, EndpointId to, uint64_t term);
/* At the end: the last leader and the voters of its log it never replicated to. `voters` gives
 * the voters of the latest configuration of a server's log. */
void lr_behaviour_unreached(LROracle *o, EndpointId leader, uint64_t term, uint64_t voters);
/* Marks each violation a breach explains (see libraft_behaviour.c). */
void lr_behaviour_explain(const LROracle *o, Verdict *v);
