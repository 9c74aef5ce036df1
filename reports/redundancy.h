/* reports/redundancy.h — the lost-redundancy oracle: every acknowledged write keeps, at every
 * moment after its acknowledgement, durable copies on at least as many distinct nodes as it was
 * acknowledged with (the protocol's ack_copies: W for quorum, a majority for raft), except while
 * a fault the model allows has taken some away; and then repair (handoff, read repair,
 * anti-entropy, catch-up) brings them back by the end of the settle time. It catches a write that
 * loses durability without losing data yet (a hint dropped too early or forgotten at boot, one
 * copy counted twice, a repair that never comes), which no other oracle sees until every copy is
 * gone. Both judgements raise `under-replicated`:
 *
 *   as it happens  a copy the protocol itself took away (an overwrite or a truncation made
 *                  durable, on a node no fault has hurt) leaves fewer than ack_copies nodes
 *                  holding the write or keeping it through a fault;
 *   after settle   (every fault over) the copies that count (OracleModule.settled_copies) are
 *                  fewer than ack_copies, although a node that is up holds one to repair from and
 *                  there is room for them.
 *
 * The ledger feeds it every change of an acknowledged write's copies (reports/ledger.h); the
 * checker tells it which nodes a fault hurt, when one durable change is complete, and when settle
 * ends. With history kept, it records each acknowledged write's copies over time for the reports.
 *
 * Invariants: a write is reported once; `hurt` only grows; history points are in time order.
 */
#pragma once

#include "reports/oracle.h"

typedef struct Redundancy Redundancy;

/* One step of a write's redundancy: from `t` on it had `copies` distinct nodes holding it. */
typedef struct {
    SimTime t;
    uint32_t entry; /* the write's ledger entry */
    uint8_t copies;
} RedundancyPoint;

/* The oracle over the ledger `b`, judging with module `mod` (state `st`). Caller owns the result.
 */
Redundancy *redundancy_new(LedgerBook *b, const OracleModule *mod, void *st);
void redundancy_free(Redundancy *r);
/* Records every acknowledged write's copies over time (for reports). */
void redundancy_keep_history(Redundancy *r, gboolean keep);

/* ---- from the ledger ---- */

/* Write l was acknowledged for the first time. */
void redundancy_acked(Redundancy *r, Ledger *l);
/* A copy of acknowledged write l on node changed by delta, for cause. */
void redundancy_copy_changed(Redundancy *r, Ledger *l, EndpointId node, int delta,
                             DiskChange cause);

/* ---- from the checker ---- */

/* A block of node's durable image changed (before the protocol's module decodes it): a fault
 * that took durable content (media, a lost disk, a power cut over a durable block) hurts it. */
void redundancy_durable(Redundancy *r, EndpointId node, const DiskBlock *old, DiskChange cause);
/* The durable change is complete: judges the copies the protocol took away during it. */
void redundancy_change_done(Redundancy *r, Verdict *found);
/* Settle ended with every fault over; `up` is the nodes up now. */
void redundancy_check_settled(Redundancy *r, const NodeSet *up, Verdict *found);
/* Forgets what it kept of ledger entry `entry` (folded away: reports/README.md). */
void redundancy_forget(Redundancy *r, uint32_t entry);

/* ---- for the reports ---- */

/* The history (empty unless kept), in time order. */
const RedundancyPoint *redundancy_history(const Redundancy *r, guint *n);
/* The copies an acknowledged write is owed (ack_copies). */
guint redundancy_need(const Redundancy *r);
/* Whether the write of ledger entry `entry` was reported under-replicated. */
gboolean redundancy_reported(const Redundancy *r, uint32_t entry);
