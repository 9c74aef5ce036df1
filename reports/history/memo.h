/* reports/history/memo.h — the search's memory of the configurations it has been in: pairs of
 * (set of linearized operations, model state).
 *
 * A set is kept as its Zobrist hash (128 bits: the XOR of two random words per operation in
 * it, updated incrementally as the search adds and removes operations), so that a pair costs
 * 32 bytes whatever the length of the history. Two different sets share a hash with a
 * probability of about (pairs)^2 / 2^129: below 10^-23 for a billion pairs, so the search is
 * exact in practice. A key whose set hash is zero (only the empty set, which is never stored)
 * marks an empty slot.
 *
 * The table grows by doubling; a growth that would take it past its byte limit fails instead,
 * which the search turns into an "unknown" verdict: the memo never takes more than its limit.
 */
#pragma once

#include "reports/history/model.h"

typedef struct {
    uint64_t lo, hi; /* the set's Zobrist hash */
    HcState s;
} HcMemoKey;

typedef struct {
    HcMemoKey *slots;
    gsize mask, count;
    gsize limit_bytes;
} HcMemo;

typedef enum {
    HC_MEMO_NEW,
    HC_MEMO_SEEN,
    HC_MEMO_FULL, /* growing would pass the limit: nothing added */
} HcMemoResult;

/* An empty memo with room for about `expect` keys; FALSE if even that passes the limit. */
gboolean hc_memo_init(HcMemo *m, gsize expect, gsize limit_bytes);
void hc_memo_clear(HcMemo *m);
HcMemoResult hc_memo_add(HcMemo *m, const HcMemoKey *k);
gsize hc_memo_bytes(const HcMemo *m);

/* The two Zobrist words of operation i. */
static inline uint64_t hc_zobrist(uint64_t i)
{
    uint64_t x = i + 0x9e3779b97f4a7c15ULL * (i + 1);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
