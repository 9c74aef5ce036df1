/* reports/raft/raft_oracle.h — the oracle module of Raft (see raft_oracle.c, raft_safety.c). */
#pragma once

#include "model/raft/raft.h"
#include "reports/oracle.h"

extern const OracleModule raft_oracle;

/* What the raft oracles need to know of a raft-like protocol whose servers keep raft's on-disk
 * records (model/raft/raft.h). raft_oracle.create picks raft's own profile for a raft run, and
 * the neutral one (all false) for another protocol (the hosted raft, which installs its own
 * RaftMembership, reports/raft/raft_state.h). */
typedef struct {
    /* Configurations are raft's configuration entries (RAFT_KEY_CONFIG, raft_members_pack) in
     * the logs, with `bootstrap` in force before any: commitment, catch-up and lost acks follow
     * them, and a configuration that commits while another branch holds one whose majorities
     * need not meet it is an unsafe-configuration. */
    gboolean configurations;
    RaftMembers (*bootstrap)(const WorldConfig *c);
    /* The servers send raft's own messages (model/raft/raft_msg.h): a leader must have the
     * granted votes of a majority of its configuration (election safety), and the liveness
     * judgement follows the append answers, pre-votes and TimeoutNow (disruption), with
     * `lease`, the shortest election timeout. */
    gboolean raft_messages;
    SimTime (*lease)(const WorldConfig *c);
    /* The servers keep raft's own snapshot files (RAFT_SNAP_PATH) and compact their logs by
     * punching holes below them: a durable snapshot holds the log below its index
     * (RaftMembership.covered, snapshot_holders), its configuration stands for the entries it
     * holds, snapshot-safety is judged (raft_snapshots.c), and the per-entry state below every
     * voter's snapshot is released (a module that reads RaftOracle.committed itself must leave
     * this FALSE). */
    gboolean snapshots;
} RaftOracleProfile;

/* Raft's oracle state for a run, with the given profile; every other hook is raft_oracle's (see
 * RAFT_ORACLE_HOOKS). */
void *raft_oracle_create_for(const OracleEnv *env, const RaftOracleProfile *profile);

/* The hooks of raft_oracle other than name and create, for a module that reuses them:
 *   const OracleModule mine = {.name = "mine", .create = my_create, RAFT_ORACLE_HOOKS};
 */
void raft_oracle_destroy(void *st);
void raft_oracle_durable(void *st, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                         const DiskBlock *neu, DiskChange cause);
void raft_oracle_booted(void *st, EndpointId node, const ProtoDiskImage *img);
void raft_oracle_submitted(void *st, EndpointId node, guint file, uint32_t index,
                           const DiskBlock *block);
void raft_oracle_submitted_path(void *st, EndpointId node, const char *path, uint32_t index,
                                const DiskBlock *block);
guint raft_oracle_ack_copies(void *st);
gboolean raft_oracle_lost(void *st, const Ledger *l, const NodeSet *holders);
gboolean raft_oracle_visible(void *st, const Ledger *l);
gboolean raft_oracle_settled(void *st, const Ledger *l);
void raft_safety_sent(void *st, const Msg *m);
void raft_safety_note(void *st, EndpointId node, const ProtoAction *note);
void raft_safety_caught_up(void *st, gboolean healed);
void raft_safety_end_checks(void *st, Verdict *v);
void raft_liveness_judge(void *st, const CheckEnd *end, Verdict *v);
void raft_oracle_snapshot_holders(void *st, const Ledger *l, NodeSet *out);
void raft_oracle_settled_copies(void *st, const Ledger *l, const NodeSet *up, RedundancyView *out);
#define RAFT_ORACLE_HOOKS                                                                          \
    .destroy = raft_oracle_destroy, .durable = raft_oracle_durable, .sent = raft_safety_sent,      \
    .note = raft_safety_note, .booted = raft_oracle_booted, .submitted = raft_oracle_submitted,    \
    .ack_copies = raft_oracle_ack_copies, .acks_need_commitment = TRUE, .lost = raft_oracle_lost,  \
    .loss_names_survivors = TRUE, .visible = raft_oracle_visible, .merging_adds = FALSE,           \
    .convergence = raft_safety_caught_up, .end_checks = raft_safety_end_checks,                    \
    .liveness = raft_liveness_judge, .submitted_path = raft_oracle_submitted_path,                 \
    .settled = raft_oracle_settled, .snapshot_holders = raft_oracle_snapshot_holders,              \
    .settled_copies = raft_oracle_settled_copies
