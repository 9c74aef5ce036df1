/* reports/history/check.h — checking a whole recorded history: read it, pick its model, split
 * it by key (P-compositionality: a history is linearizable exactly when each key's is), search
 * each key, and combine the verdicts.
 *
 * The combined verdict is not-linearizable as soon as one key is; else unknown if a key ran out
 * of budget; else linearizable. The first operation that breaks the history is the earliest
 * (by line) of the keys' breaking operations, and the longest linearizable prefix is every line
 * before it.
 *
 * The state budget is shared by all keys of a file, in rounds: each undecided key gets a slice
 * (growing eightfold each round), so that one hard key cannot spend the budget that would have
 * found another key's violation. Once a key breaks at line L, the others are searched only up
 * to L (a break after it changes nothing), which is far cheaper than proving a whole key
 * non-linearizable. The memory budget holds for each search in turn (a search's memo is freed
 * before the next).
 */
#pragma once

#include "reports/history/search.h"

typedef struct {
    HcBudget budget;
    gboolean keep_orders; /* keep each key's (partial) linearization, for the view */
} HcCheckOptions;

typedef struct {
    guint key;  /* index into HcHistory.keys */
    guint nops; /* its operations */
    HcVerdict verdict;
    HcLimit limit;
    uint64_t states;
    gsize peak_bytes;
    guint fail_op;    /* not linearizable: index into the history's ops */
    uint32_t reached; /* the furthest return line the search reached */
    uint32_t upto;    /* the verdict holds for the lines up to this one (HC_NEVER: all) */
    GArray *order;    /* of guint, history op indices (keep_orders), else NULL */
} HcPart;

typedef struct {
    HcVerdict verdict;
    HcLimit limit;
    uint64_t states;
    gsize peak_bytes;
    GArray *parts;         /* of HcPart, in key order */
    int first_fail;        /* the part whose breaking operation comes first, or -1 */
    int first_limit;       /* the first part that ran out of budget, or -1 */
    gboolean first_unsure; /* a part that ran out of budget might break before first_fail */
} HcCheck;

/* Default budgets. */
#define HC_DEFAULT_STATES       20000000ULL
#define HC_DEFAULT_MEMORY_BYTES ((gsize)1 << 30)

void hc_check(const HcModel *m, HcModelCtx *ctx, const HcHistory *h, const HcCheckOptions *opt,
              HcCheck *out);
void hc_check_clear(HcCheck *c);

/* One file, from its text to its verdict. */
typedef struct {
    HcFormat format; /* as given or detected */
    const HcModel *model;
    HcModelCtx *ctx;
    HcHistory history;
    HcCheck check;
} HcFile;

/* Reads, prepares and checks `text` (the contents of `file`, which only names it in messages).
 * `format` may be HC_FORMAT_AUTO and `model` NULL (inferred from the operations). FALSE with
 * *error ("FILE:LINE: what") on bad input. Clear `f` with hc_file_clear in either case. */
gboolean hc_file_check(HcFile *f, const char *text, gsize len, const char *file, HcFormat format,
                       const HcModel *model, const HcCheckOptions *opt, GError **error);
void hc_file_clear(HcFile *f);
/* What follows "history: FILE " on the verdict line, without the time: "not-linearizable 405
 * ops" and, for a failure, "; longest linearizable prefix: ...". `seconds` goes after the
 * count. Caller frees. */
char *hc_file_summary(const HcFile *f, double seconds);
