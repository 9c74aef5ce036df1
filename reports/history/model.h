/* reports/history/model.h — the sequential specifications a history is checked against.
 *
 * A model is a deterministic state machine over one object (one key): `step` applies one
 * operation to a state and says whether the operation's recorded output is what that state
 * gives. A state is two 64-bit words whose meaning is the model's own (a value's id, a sum, a
 * string's id); equal words must mean equal states, which is what lets the search remember
 * (linearized set, state) pairs. Models that build states on the fly (kv's strings) keep them
 * in their context and say how many bytes that holds, so the memory budget covers them.
 *
 * Every model reads the operations of its :f names in `fs`; `prepare` checks an operation's
 * values once, before the search, and encodes them into the op (code, a, b, r, has_out, pure),
 * so that `step` never looks at a value again. An operation that constrains nothing (a read
 * that ended :info) is dropped; one that never changes the state is `pure`, so that the search
 * can leave it out wherever it might not have happened. `prune` then drops the :info writes
 * whose effect nothing ever observed (an :info write is where the search spends its time: it
 * may be placed anywhere after its invocation).
 *
 * Models (hc_models): register, cas-register, counter, kv, durasim-kv; see reports/README.md.
 */
#pragma once

#include "reports/history/ops.h"

typedef struct {
    uint64_t a, b;
} HcState;

typedef struct HcModelCtx HcModelCtx;

/* The code of a prepare error about the completion's value (the message then names its line);
 * 0 for one about the invocation. */
#define HC_AT_COMPLETION 1

typedef struct {
    const char *name;
    const char *summary;
    const char *const *fs; /* the :f names it knows, NULL-terminated */
    HcModelCtx *(*ctx_new)(void);
    void (*ctx_free)(HcModelCtx *ctx);
    /* Encodes `op` (whose :f is f); FALSE with *error (no file or line) when its values do not
     * fit the model; *drop when it constrains nothing. */
    gboolean (*prepare)(HcModelCtx *ctx, HcOp *op, const char *f, gboolean *drop, GError **error);
    HcState (*init)(HcModelCtx *ctx);
    /* Applies op to s: FALSE if its output cannot follow from s. */
    gboolean (*step)(HcModelCtx *ctx, HcState s, const HcOp *op, HcState *out);
    /* Appends the state for a person, about `max` bytes at most. */
    void (*describe)(HcModelCtx *ctx, HcState s, gsize max, GString *out);
    /* Drops the states built by searches (NULL: builds none). */
    void (*reset)(HcModelCtx *ctx);
    /* Bytes the context holds for states built by searches (NULL: none). */
    gsize (*bytes)(HcModelCtx *ctx);
    /* After prepare, over all n ops of the history: sets drop[i] for operations that did not
     * complete :ok and whose leaving out loses no linearization (NULL: none). It must be
     * sound: if the history has a linearization, it has one without the dropped ops. */
    void (*prune)(HcModelCtx *ctx, const HcOp *ops, guint n, gboolean *drop);
} HcModel;

/* Every model, NULL-terminated. */
const HcModel *const *hc_models(void);
const HcModel *hc_model_find(const char *name);
/* "register, cas-register, ..." (static). */
const char *hc_model_names(void);
/* The model whose operations the history uses (by its :f names); NULL with *why (caller frees)
 * when they fit none or are ambiguous. */
const HcModel *hc_model_infer(const HcHistory *h, char **why);
/* Runs the model's prepare over every operation, dropping those that constrain nothing; errors
 * name `file` and the line, and an unknown :f for the model is one. */
gboolean hc_model_prepare(const HcModel *m, HcModelCtx *ctx, HcHistory *h, const char *file,
                          GError **error);

/* A table of values by canonical text (the registers' and kv's values): id 0 is nil. */
typedef struct {
    GHashTable *index; /* text -> id */
    GPtrArray *texts;  /* by id; [0] is "nil" */
} HcValueTable;

void hc_value_table_init(HcValueTable *t);
void hc_value_table_clear(HcValueTable *t);
/* The id of `v` (NULL is nil, id 0). */
uint32_t hc_value_table_id(HcValueTable *t, const HcValue *v);
const char *hc_value_table_text(const HcValueTable *t, uint32_t id);

extern const HcModel hc_model_register;
extern const HcModel hc_model_cas_register;
extern const HcModel hc_model_counter;
extern const HcModel hc_model_kv;
extern const HcModel hc_model_durasim_kv;
