/* reports/stream.h — streaming oracles: what a long run keeps of its history is bounded by what
 * is still in flight, not by what it did (reports/README.md, "Streaming").
 *
 * The checker hands every completed operation, in history order, to the oracles that judge the
 * history as a whole (the linearizability windows, reports/lin_check.h; the causal follower,
 * reports/causal_check.h), then folds what is final: an operation whose outcome is final and
 * whose write's durability can no longer change (the protocol module says its copies are
 * settled, OracleModule.settled; nothing happened to it for a while; no fault can still reach
 * it: the fault plan is spent) is judged now — its part of the history's figures, its false
 * failure, its duplicates — and dropped from the history, the ledger and the oracles. Whatever is
 * not final stays and is judged at the end as before, so the verdict is the one the whole history
 * gives (RunOptions.keep_history keeps everything, as reports need).
 *
 * Invariants: operations below `cursor` were handed over, in order; an operation is folded at
 * most once, and only once handed over; what a fold judged is in `folded`.
 */
#pragma once

#include "reports/causal_check.h"
#include "reports/check.h"
#include "reports/lin_check.h"
#include "reports/redundancy.h"
#include "reports/report.h"

typedef struct Stream Stream;

/* Caller owns the result. */
Stream *stream_new(const OracleView *view, LedgerBook *ledger, Redundancy *redundancy,
                   const OracleModule *mod, void *st, uint64_t lin_budget, gboolean eager);
void stream_free(Stream *s);
/* Hands over what completed, closes the linearizability windows that can close, and, when
 * `quiet` (no fault can reach anything any more), folds what is final. */
void stream_sweep(Stream *s, gboolean quiet);
/* The end: the rest of the history is handed over; `all` gets the history's figures (held and
 * folded), its false failures, the folded writes' duplicates, and the linearizability and causal
 * judgements. */
void stream_check_history(Stream *s, Verdict *all);
void stream_check_order(Stream *s, const CheckEnd *end, Verdict *all);
void stream_check_causal(Stream *s, const CheckEnd *end, Verdict *all);
/* The latencies of the folded operations. */
const ReportLatency *stream_latency(const Stream *s);
/* Whether some operation touched `key` (the final reads read those). */
gboolean stream_touched(const Stream *s, KeyId key);

typedef struct {
    uint64_t folded_ops, folded_writes;
    guint held_ops;    /* handed over, not folded */
    guint lin_held;    /* operations in open linearizability windows */
    guint causal_held; /* writes the causal follower follows */
    guint ledger_live; /* ledger entries */
} StreamStats;
void stream_stats(const Stream *s, StreamStats *out);

/* A checker's stream (checker_stream): the latencies of the operations it folded are added to
 * `out` (the history holds the others); its figures, zeros when it has none. */
void checker_add_latency(const Checker *c, ReportLatency *out);
void checker_stream_stats(const Checker *c, StreamStats *out);
