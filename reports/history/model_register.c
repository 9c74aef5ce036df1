/* reports/history/model_register.c — registers and a counter.
 *
 *   register      :read (returns the value), :write v
 *   cas-register  the same and :cas [old new] (ok: the value was old and is now new)
 *   counter       :add n (an integer), :read (returns the sum)
 * A register starts nil; any EDN or JSON value can be written (values compare as Clojure's =).
 * A counter starts at 0 and wraps at 64 bits. An :info :cas or :add may have taken effect; an
 * :info :read says nothing and is dropped.
 *
 * Pruning (registers): an :info write of v, or :info cas to v, is left out when no :ok read of
 * its key returns v and no cas (:ok or :info) compares with v. In a linearization with it,
 * while v is the value nothing looks at it: only writes (which end the stretch) and :info cases
 * that failed there; without it, those :info cases are taken as not happened, and every result
 * observed is the same.
 */
#include "reports/history/model.h"

#include <string.h>

enum { R_READ, R_WRITE, R_CAS, C_ADD, C_READ };

struct HcModelCtx {
    HcValueTable values;
};

static HcModelCtx *ctx_new(void)
{
    HcModelCtx *c = g_new0(HcModelCtx, 1);
    hc_value_table_init(&c->values);
    return c;
}

static void ctx_free(HcModelCtx *c)
{
    hc_value_table_clear(&c->values);
    g_free(c);
}

static HcState init(HcModelCtx *c)
{
    return (HcState){0, 0};
}

static gboolean register_prepare(HcModelCtx *c, HcOp *op, const char *f, gboolean *drop,
                                 GError **error)
{
    if (strcmp(f, "read") == 0) {
        op->code = R_READ;
        op->pure = TRUE;
        *drop = op->type != HC_OK;
        op->r = hc_value_table_id(&c->values, op->out);
        op->has_out = TRUE;
    } else if (strcmp(f, "write") == 0) {
        op->code = R_WRITE;
        op->a = hc_value_table_id(&c->values, hc_op_input(op));
    } else {
        op->code = R_CAS;
        const HcValue *v = hc_op_input(op);
        if (!v || (v->kind != HC_VECTOR && v->kind != HC_LIST) || v->n != 2) {
            g_set_error(error, HC_ERROR, 0, ":cas needs a value [old new], not %s",
                        v ? hc_value_kind_name(v->kind) : "nil");
            return FALSE;
        }
        op->a = hc_value_table_id(&c->values, v->items[0]);
        op->b = hc_value_table_id(&c->values, v->items[1]);
        op->has_out = op->type == HC_OK; /* ok: the compare succeeded */
    }
    return TRUE;
}

static gboolean register_step(HcModelCtx *c, HcState s, const HcOp *op, HcState *out)
{
    *out = s;
    switch (op->code) {
    case R_READ:
        return s.a == (uint64_t)op->r;
    case R_WRITE:
        out->a = (uint64_t)op->a;
        return TRUE;
    default:
        if (s.a == (uint64_t)op->a) {
            out->a = (uint64_t)op->b;
            return TRUE;
        }
        return !op->has_out; /* a cas that may not have happened can have failed */
    }
}

static void register_describe(HcModelCtx *c, HcState s, gsize max, GString *out)
{
    const char *text = hc_value_table_text(&c->values, (uint32_t)s.a);
    gsize len = strlen(text);
    g_string_append_len(out, text, (gssize)MIN(len, max));
    if (len > max)
        g_string_append(out, "...");
}

/* A (key, value id) pair as one word. */
static int64_t key_value(const HcOp *op, int64_t id)
{
    return (int64_t)((uint64_t)op->key << 32 | (uint32_t)id);
}

static void register_prune(HcModelCtx *c, const HcOp *ops, guint n, gboolean *drop)
{
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    int64_t *pairs = g_new(int64_t, n);
    guint npairs = 0;
    for (guint i = 0; i < n; i++) {
        const HcOp *op = &ops[i];
        if (op->code == R_READ && op->type == HC_OK)
            pairs[npairs++] = key_value(op, op->r);
        else if (op->code == R_CAS)
            pairs[npairs++] = key_value(op, op->a); /* :ok or :info, a cas compares */
    }
    for (guint i = 0; i < npairs; i++)
        g_hash_table_add(seen, &pairs[i]);
    for (guint i = 0; i < n; i++) {
        const HcOp *op = &ops[i];
        if (op->type == HC_OK || (op->code != R_WRITE && op->code != R_CAS))
            continue;
        int64_t k = key_value(op, op->code == R_WRITE ? op->a : op->b);
        drop[i] = !g_hash_table_contains(seen, &k);
    }
    g_hash_table_destroy(seen);
    g_free(pairs);
}

static const char *const register_fs[] = {"read", "write", NULL};
static const char *const cas_fs[] = {"read", "write", "cas", NULL};

const HcModel hc_model_register = {
    .name = "register",
    .summary = "one value: :read, :write v (starts nil)",
    .fs = register_fs,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .prepare = register_prepare,
    .init = init,
    .step = register_step,
    .describe = register_describe,
    .prune = register_prune,
};

const HcModel hc_model_cas_register = {
    .name = "cas-register",
    .summary = "one value: :read, :write v, :cas [old new] (starts nil)",
    .fs = cas_fs,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .prepare = register_prepare,
    .init = init,
    .step = register_step,
    .describe = register_describe,
    .prune = register_prune,
};

static gboolean counter_prepare(HcModelCtx *c, HcOp *op, const char *f, gboolean *drop,
                                GError **error)
{
    if (strcmp(f, "read") == 0) {
        op->code = C_READ;
        op->pure = TRUE;
        *drop = op->type != HC_OK;
        if (!*drop && (!op->out || op->out->kind != HC_INT)) {
            g_set_error(error, HC_ERROR, HC_AT_COMPLETION,
                        "a counter's :read returns an integer, not %s",
                        op->out ? hc_value_kind_name(op->out->kind) : "nil");
            return FALSE;
        }
        op->r = op->out ? op->out->u.i : 0;
        op->has_out = TRUE;
        return TRUE;
    }
    const HcValue *v = hc_op_input(op);
    if (!v || v->kind != HC_INT) {
        g_set_error(error, HC_ERROR, 0, ":add needs an integer, not %s",
                    v ? hc_value_kind_name(v->kind) : "nil");
        return FALSE;
    }
    op->code = C_ADD;
    op->a = v->u.i;
    return TRUE;
}

static gboolean counter_step(HcModelCtx *c, HcState s, const HcOp *op, HcState *out)
{
    *out = s;
    if (op->code == C_READ)
        return s.a == (uint64_t)op->r;
    out->a = s.a + (uint64_t)op->a;
    return TRUE;
}

static void counter_describe(HcModelCtx *c, HcState s, gsize max, GString *out)
{
    g_string_append_printf(out, "%" G_GINT64_FORMAT, (int64_t)s.a);
}

static const char *const counter_fs[] = {"add", "read", NULL};

const HcModel hc_model_counter = {
    .name = "counter",
    .summary = "a sum: :add n, :read (starts 0)",
    .fs = counter_fs,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .prepare = counter_prepare,
    .init = init,
    .step = counter_step,
    .describe = counter_describe,
};
