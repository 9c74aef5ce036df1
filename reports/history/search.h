/* reports/history/search.h — is one object's history linearizable? Wing & Gong's search with
 * Lowe's just-in-time linearization and a memo of (linearized set, state), as Porcupine and
 * Knossos's wgl checker do.
 *
 * The history is a list of call and return entries in line order. The search walks it: at a
 * call it tries to linearize that operation now (the model must accept it, and the pair
 * (linearized set, state) must be new); at a return whose operation is not linearized yet it
 * backtracks. Operations that ended :info (or never) return at infinity: they may be linearized
 * anywhere after their call, or never. Reaching a return at infinity means every completed
 * operation is placed: linearizable.
 *
 * The furthest return the search ever reaches, F, is where the history stops being
 * linearizable: every configuration that reaches F is a linearization of the lines before it,
 * and none places F's operation (or the search would have gone past it), so the lines up to F
 * are not linearizable (Knossos reports the same pair: the last linearizable prefix and the
 * operation that breaks it). The linearization at F is kept as the partial linearization.
 *
 * Budgets: `states` caps the model steps tried; `memory_bytes` caps the memo and what the model
 * builds. Past either the verdict is HC_UNKNOWN, never an out-of-memory or a wrong answer.
 */
#pragma once

#include "reports/history/memo.h"

typedef enum {
    HC_LINEARIZABLE,
    HC_NOT_LINEARIZABLE,
    HC_UNKNOWN,
} HcVerdict;

typedef enum {
    HC_LIMIT_NONE,
    HC_LIMIT_STATES,
    HC_LIMIT_MEMORY,
} HcLimit;

typedef struct {
    uint64_t states;    /* model steps at the most */
    gsize memory_bytes; /* memo and model tables at the most */
} HcBudget;

typedef struct {
    HcVerdict verdict;
    HcLimit limit;    /* HC_UNKNOWN: which budget ran out */
    uint64_t states;  /* model steps tried */
    gsize peak_bytes; /* memo and model tables, at the most */
    guint fail;       /* not linearizable: the op (index into ops) at the furthest return */
    uint32_t reached; /* the line of the furthest return reached (0: none) */
    GArray *order;    /* of guint (indices into ops): linearizable, a linearization of the ops
                       * that took effect; otherwise the linearization at `reached` */
} HcSearchResult;

/* Checks ops[0..n) (in invocation order, all of one object) as far as line `limit` (HC_NEVER:
 * all of it): operations invoked after it are left out and those completed after it are open
 * (an output they returned later only ever rules out a no-op step, which leaving the operation
 * out gives anyway). out->order is allocated; free it with hc_search_result_clear. */
void hc_search(const HcModel *m, HcModelCtx *ctx, HcOp *const *ops, guint n, uint32_t limit,
               const HcBudget *budget, HcSearchResult *out);
void hc_search_result_clear(HcSearchResult *r);
const char *hc_verdict_name(HcVerdict v);
