/* reports/history/ops.h — a recorded history as operations: each client invocation paired with
 * its completion, with Jepsen's meaning of each outcome.
 *
 *   :ok    it happened, between its invocation and its completion;
 *   :fail  it did not happen: the operation is left out (counted in `failed`);
 *   :info  it may or may not have happened, at any time after its invocation (its completion is
 *          HC_NEVER); a process that never completes is the same.
 *
 * Invariants (hc_history_add_event enforces them on the input, as errors with the line): a
 * process has at most one operation open; a completion names the operation its process invoked
 * (same :f, and the same :key when it gives one); a process may invoke again after :info
 * (Jepsen gives it a new number, other tools may not). `ops` is in invocation order; an op's
 * call and ret are line numbers, so the order of lines is the order of events.
 *
 * Operations are grouped by :key (their canonical text): operations on different keys are
 * independent objects, checked apart (P-compositionality). Operations without a key form one
 * group of their own.
 */
#pragma once

#include "reports/history/parse.h"

#define HC_NEVER UINT32_MAX

typedef struct {
    uint32_t call;     /* the line of the invocation */
    uint32_t ret;      /* the line of the :ok completion, or HC_NEVER */
    uint32_t ret_line; /* the line of the completion (:ok or :info), 0 if none */
    uint32_t f;        /* index into HcHistory.fs */
    uint32_t key;      /* index into HcHistory.keys */
    uint8_t type;      /* HcType of the completion: HC_OK, HC_INFO, or HC_INVOKE (none) */
    uint8_t code;      /* the model's operation code (set by the model's prepare) */
    uint8_t has_out;   /* the model's: an output to check */
    uint8_t pure;      /* the model's: it never changes the state (a read) */
    int64_t process;
    const HcValue *in;  /* the invocation's :value (NULL: none) */
    const HcValue *out; /* the :ok completion's :value (NULL: none, or not :ok) */
    int64_t a, b, r;    /* the model's encoding of inputs and output */
} HcOp;

typedef struct {
    HcArena arena;     /* the values of the ops */
    GArray *ops;       /* of HcOp, in invocation order */
    GPtrArray *fs;     /* of char*: operation names, in order of first appearance */
    GPtrArray *keys;   /* of char*: the canonical text of each key ("" for no key), in order */
    guint invocations; /* client invocations, :fail ones included */
    guint failed;      /* completed :fail (left out) */
    guint open;        /* never completed (taken as :info) */
    guint pruned;      /* :info writes left out as unobserved (the model's prune) */
    guint lines;       /* lines read */
    /* private */
    GHashTable *f_index;   /* name -> index + 1 */
    GHashTable *key_index; /* text -> index + 1 */
    GHashTable *pending;   /* process (gint64* in the arena) -> open op index + 1 */
} HcHistory;

void hc_history_init(HcHistory *h);
void hc_history_clear(HcHistory *h);
/* Takes one event (an HcEventFn: data is the HcHistory). */
gboolean hc_history_add_event(const HcEvent *ev, gpointer data, GError **error);
/* After the last event: takes out :fail operations, closes open ones as :info. FALSE (with
 * the error naming `file`) if the history has no client operation at all. */
gboolean hc_history_finish(HcHistory *h, const char *file, GError **error);
/* Reads a whole history from memory (hc_parse_buffer into hc_history_add_event, then
 * hc_history_finish). */
gboolean hc_history_read(HcHistory *h, const char *text, gsize len, HcFormat format,
                         const char *file, GError **error);

static inline HcOp *hc_history_op(const HcHistory *h, guint i)
{
    return &g_array_index(h->ops, HcOp, i);
}
static inline const char *hc_history_f(const HcHistory *h, const HcOp *op)
{
    return g_ptr_array_index(h->fs, op->f);
}
/* The input of an operation: the invocation's value, or when that is nil the :ok completion's
 * (Knossos completes invocations the same way). NULL for nil. */
const HcValue *hc_op_input(const HcOp *op);
/* "line 12, process 3, :cas [1 4]" with what it returned (for messages). Caller frees. */
char *hc_op_describe(const HcHistory *h, const HcOp *op);
