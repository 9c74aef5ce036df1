/* reports/check.h — the checker: it watches a run and judges it from ground truth it computes
 * itself (the simulated disks and the client history), never from what a node claims. It feeds
 * the events of a run to the oracles, each with one concern, and gathers their verdict:
 *
 *   write ledger         reports/ledger.h: every write's durable copies on every node over time,
 *                        at its ack, at the end: lost-ack, early-ack
 *   persist-before-send  reports/persist.h: a message that claims something is on disk must be
 *                        backed by the sender's durable image when it leaves (unpersisted-send)
 *   history              reports/history_check.h: false failures, orphans, liveness
 *   linearizability      reports/lin_check.h, per key, with a budget (reports/lin.h)
 *   the protocol's own   an OracleModule (reports/oracle.h): the protocol's durable-state
 *                        follower and judgements (reports/raft/, reports/quorum/)
 *
 * The events are those the world emits (WorldObserver); checker_new attaches to a world, and
 * checker_new_view takes the same events from any caller through checker_sent .. checker_submitted
 * (what the oracles read comes from the view, not from the world).
 */
#pragma once

#include "model/world/world.h"
#include "reports/oracle.h"

typedef struct Checker Checker;

/* Attaches to the world as its observer, judging with the protocol's module `oracle`. Caller
 * owns the result. */
Checker *checker_new(World *w, const OracleModule *oracle);
/* A checker over `view` (copied; what it points at must outlive the checker), fed by the caller
 * through the event functions below. Caller owns the result. */
Checker *checker_new_view(const OracleView *view, const OracleModule *oracle);
void checker_free(Checker *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Checker, checker_free)

/* ---- the events (as WorldObserver delivers them) ---- */

void checker_sent(Checker *c, const Msg *m);
/* A block of node's file became durable (neu), stopped being durable (old), or changed. */
void checker_durable(Checker *c, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                     const DiskBlock *neu, DiskChange cause);
void checker_note(Checker *c, EndpointId node, const ProtoAction *note);
/* A node booted and read `image`. */
void checker_booted(Checker *c, EndpointId node, const ProtoDiskImage *image);
/* A node submitted a write of `block` at (file, index), or a truncation to `index` (NULL). */
void checker_submitted(Checker *c, EndpointId node, guint file, uint32_t index,
                       const DiskBlock *block);
void checker_submitted_path(Checker *c, EndpointId node, const char *path, uint32_t index,
                            const DiskBlock *block);

/* After settle: the replicas (quorum) or the servers (raft) must agree now, and every
 * acknowledged write must hold its copies again (reports/redundancy.h) (called when settle ends,
 * before the final phase writes anything); `healed` says whether every fault has ended. */
void checker_check_convergence(Checker *c, gboolean healed);

/* Keeps what the reports draw of a run: each acknowledged write's copies over time. */
void checker_keep_history(Checker *c);

/* Streaming (reports/stream.h, reports/README.md): what is final is judged and folded as the run
 * goes, so that memory follows what is in flight; `lin_budget` as CheckEnd's; `eager` folds a
 * write as soon as its module says it is settled, without waiting for it to be quiet a while
 * (for testing the folds: DURASIM_STREAM_EAGER=1). Call before the world starts; without it the
 * whole history is kept and judged at the end. */
void checker_stream(Checker *c, uint64_t lin_budget, gboolean eager);
/* Between two slices of the run: hands the completed operations over, and folds what is final
 * when `quiet` (the fault plan is spent: no fault can reach anything any more). */
void checker_sweep(Checker *c, gboolean quiet);
/* Whether a folded operation touched `key` (the held ones are in the history). */
gboolean checker_key_touched(const Checker *c, KeyId key);
/* What the oracles kept, for the reports. */
const Redundancy *checker_redundancy(const Checker *c);
const LedgerBook *checker_ledger(const Checker *c);

/* The end-of-run checks; fills `out` (initialised by the caller) with everything found. */
void checker_finish(Checker *c, const CheckEnd *end, Verdict *out);

/* A readable name of a history operation: its scripted name, or "op17". Returns buf. */
const char *checker_op_label(const World *w, uint32_t op, char *buf, gsize size);
