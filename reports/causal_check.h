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

void causal_check_history(LedgerBook *b, const OracleModule *mod, void *st, const CheckEnd *end,
                          Verdict *v);
