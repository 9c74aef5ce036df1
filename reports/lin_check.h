/* reports/lin_check.h — the client history handed to the linearizability checker (reports/lin.h)
 * key by key, with the stale reads counted on the way. Only one key's operations are copied at a
 * time. A key is judged when the run promises linearizable reads and, for a protocol whose adds
 * merge by version, the key has no adds.
 */
#pragma once

#include "reports/oracle.h"

void lin_check_history(const OracleView *view, const CheckEnd *end, gboolean merging_adds,
                       Verdict *v);
