/* reports/history_check.h — the client history against the ledger: the figures of the judged
 * history (ops, writes, acked, failed, orphans), false failures (a definite failure that took
 * effect), and liveness (the probe written after every fault healed must complete).
 * The liveness probe's key is never part of the judged history.
 */
#pragma once

#include "reports/ledger.h"

void history_check(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v);
void history_check_liveness(const OracleView *view, const CheckEnd *end, Verdict *v);
