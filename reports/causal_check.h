/* reports/causal_check.h — the causal judgements of a store that keeps versions per key (its
 * OracleModule says `causal`): lost updates, resurrections and, for a multi-value store, the
 * siblings of every get.
 *
 * Causality is taken from the history, as the clients saw it, never from the store: a write
 * causally covers what the context it carried had seen (HistOp.ctx_op: the writes a get
 * returned, or the client's own earlier write, and transitively what those covered). Adds carry
 * no context and cover nothing.
 *
 *  - lost-update: an acknowledged write that no read can return any more (the module says it
 *    is not accounted for at the end) although no write that took effect covers it. Under
 *    last-writer-wins this is what the store does to concurrent writes: counted, not promised,
 *    the overwriting write named (Verdict.lost_updates); for a multi-value store a violation.
 *  - resurrection: a get returns a write that an acknowledged delete covered (causally, or with
 *    a newer version under last-writer-wins), the delete acked before the get began, when the
 *    get is a final read after settle (with every fault healed, or under a configuration that
 *    owes linearizable reads) or, under such a configuration, when an earlier get had already
 *    returned the delete.
 *  - siblings (multi-value stores): no get returns a write beside one that covers it, nor a
 *    write that an acked write completed before it began covers; and, when the configuration
 *    owes it, every acked write completed before the get began is among its siblings or covered
 *    by one of them (otherwise counted as a stale read).
 *
 * Linearizability does not apply to a multi-value store's gets (check.c skips it and says so):
 * two concurrent writes are both the value, by design. The sibling check is what holds instead.
 */
#pragma once

#include "reports/ledger.h"

typedef struct CausalStream CausalStream;

/* The end-of-run judgement, over the operations the history still holds; `cs` (NULL: the whole
 * history is there) says what the folded ones left behind: which writes some write that took
 * effect covers, and when gets first returned deletes. */
void causal_check_history(LedgerBook *b, const OracleModule *mod, void *st, const CheckEnd *end,
                          const CausalStream *cs, Verdict *v);

/* ---- streaming (reports/README.md): what the causal judgement needs while operations fold ----
 *
 * Coverage is followed as it grows: each write's context, resolved when the write completes,
 * and, once the write takes effect (acked, or durable on some node), everything it reaches is
 * covered. The causal judgement of a write is final once it is covered (it can never be a lost
 * update), or when it was never acknowledged and its durability is final; acknowledged deletes
 * are kept to the end (a later get may return what they covered); a get is final unless an
 * acknowledged delete of its key was acked before it began. A client's latest ok operation on a
 * key (the context its next write will carry) is kept as long as it is that. A multi-value store
 * judges gets against every write: nothing of it is final before the end. */
CausalStream *causal_stream_new(LedgerBook *b, const OracleModule *mod, void *st);
void causal_stream_free(CausalStream *cs);
/* Operation `op` completed (operations come in history order). */
void causal_stream_add(CausalStream *cs, const HistOp *op);
/* Writes that took effect since (a durable copy appeared) cover what they reach. */
void causal_stream_refresh(CausalStream *cs);
/* Whether the causal facts of write op `op` (its ledger entry l, or NULL), or of get `op`, are
 * final, so that it may fold. */
gboolean causal_stream_final(CausalStream *cs, const HistOp *op, const Ledger *l);
/* Whether causal_stream_final answers FALSE for `op` for the rest of the run (the settings it
 * reads are fixed when the stream is made: a multi-value store, a workload that may delete). */
gboolean causal_stream_never_final(CausalStream *cs, const HistOp *op);
/* Write `idem` folded: forgotten. */
void causal_stream_forget(CausalStream *cs, IdemKey idem);
/* Writes the stream follows (for memory reports). */
guint causal_stream_held(const CausalStream *cs);
