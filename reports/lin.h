/* reports/lin.h — linearizability of a single key's history (Wing & Gong's search with Lowe's
 * just-in-time linearization and memoization, as in Porcupine), for the key-value model with
 * put, add, delete and get, where operations sharing an idempotency key take effect at most once.
 *
 * An operation that may or may not have taken effect (indeterminate) has no return: the search
 * may linearize it anywhere after its invocation, or never. The search has a budget of explored
 * states; past it the answer is LIN_UNKNOWN, never a silent pass or a hang.
 */
#pragma once

#include "model/types.h"

typedef struct {
    uint32_t id;     /* history op id */
    uint8_t kind;    /* OpKind: put, add, delete, get */
    uint8_t present; /* get: the result had a value */
    SimTime invoke;
    SimTime complete; /* SIM_TIME_NEVER: it may never have taken effect */
    Value value;      /* put/add argument */
    Value result;     /* get result */
    IdemKey idem;
} LinOp;

typedef enum {
    LIN_OK,
    LIN_VIOLATION,
    LIN_UNKNOWN,
} LinResult;

typedef struct {
    uint32_t failed_op;   /* the op whose return no order could reach (violation) */
    guint max_linearized; /* the longest partial linearization found */
    uint64_t states;      /* states explored */
} LinReport;

/* Checks one key's operations (any order). `budget` caps explored states (0: default). */
LinResult lin_check_key(const LinOp *ops, guint n, uint64_t budget, LinReport *report);

/* A state of the key-value model: a window of a key's history starts from one and ends in one. */
typedef struct {
    uint8_t present;
    Value value;
} LinState;

/* Checks a window of a key's history: operations all invoked after the previous window's last
 * completion (a quiescent point), none of them sharing an idempotency key. Linearizable when
 * some order explains them from one of `starts` (nstarts of them; NULL: the empty key). With
 * `ends` (of LinState), every state they can end in, from any start, is appended, in order and
 * each once: the next window starts from those. LIN_UNKNOWN when the budget ran out. */
LinResult lin_check_window(const LinOp *ops, guint n, const LinState *starts, guint nstarts,
                           uint64_t budget, LinReport *report, GArray *ends);
const char *lin_result_name(LinResult r);
/* qsort(), but only when the array is not in order already (a history without concurrency
 * usually is). `cmp` must be a total order, so that any sort gives the same result. */
void lin_sort(void *base, gsize n, gsize size, int (*cmp)(const void *, const void *));
