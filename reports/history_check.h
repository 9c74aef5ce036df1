/* reports/history_check.h — the client history against the ledger: the figures of the judged
 * history (ops, writes, acked, failed, orphans), false failures (a definite failure that took
 * effect), and liveness (the probe written after every fault healed must complete).
 * The liveness probe's key is never part of the judged history.
 */
#pragma once

#include "reports/ledger.h"

/* The operations the history holds (streaming: the folded ones were judged as they folded). */
void history_check(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v);
/* One operation (`probe`: the probe key, left out): its part of the figures, and its false
 * failure if it is one. */
void history_check_op(LedgerBook *b, const OracleModule *mod, void *st, uint32_t id, KeyId probe,
                      Verdict *v);
void history_check_liveness(const OracleView *view, const CheckEnd *end, Verdict *v);
