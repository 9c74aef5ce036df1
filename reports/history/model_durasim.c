/* reports/history/model_durasim.c — durasim-kv: the key-value model of durasim's own clients, as
 * its oracles judge them (reports/lin.c): integer values per key with :put v, :add n (a deposit:
 * an absent key counts as 0), :delete, and :get, which returns the value or nil when the key is
 * absent (absent and 0 are different states). Histories written by `durasim run --history-out`
 * use it.
 */
#include "reports/history/model.h"

#include <string.h>

enum { D_PUT, D_GET, D_ADD, D_DELETE };

struct HcModelCtx {
    int unused;
};

static HcModelCtx *ctx_new(void)
{
    return g_new0(HcModelCtx, 1);
}

static void ctx_free(HcModelCtx *c)
{
    g_free(c);
}

static gboolean prepare(HcModelCtx *c, HcOp *op, const char *f, gboolean *drop, GError **error)
{
    if (strcmp(f, "get") == 0) {
        op->code = D_GET;
        op->pure = TRUE;
        *drop = op->type != HC_OK;
        if (*drop)
            return TRUE;
        if (op->out && op->out->kind != HC_INT) {
            g_set_error(error, HC_ERROR, HC_AT_COMPLETION,
                        "durasim-kv values are integers: :get returned %s",
                        hc_value_kind_name(op->out->kind));
            return FALSE;
        }
        op->has_out = TRUE;
        op->b = op->out != NULL; /* present */
        op->r = op->out ? op->out->u.i : 0;
        return TRUE;
    }
    if (strcmp(f, "delete") == 0) {
        op->code = D_DELETE;
        return TRUE;
    }
    op->code = strcmp(f, "put") == 0 ? D_PUT : D_ADD;
    const HcValue *v = hc_op_input(op);
    if (!v || v->kind != HC_INT) {
        g_set_error(error, HC_ERROR, 0, "durasim-kv values are integers: :%s of %s", f,
                    v ? hc_value_kind_name(v->kind) : "nil");
        return FALSE;
    }
    op->a = v->u.i;
    return TRUE;
}

static HcState init(HcModelCtx *c)
{
    return (HcState){0, 0}; /* a: present, b: value */
}

static gboolean step(HcModelCtx *c, HcState s, const HcOp *op, HcState *out)
{
    *out = s;
    switch (op->code) {
    case D_GET:
        return s.a == (uint64_t)op->b && (!s.a || s.b == (uint64_t)op->r);
    case D_PUT:
        *out = (HcState){1, (uint64_t)op->a};
        return TRUE;
    case D_ADD:
        *out = (HcState){1, (s.a ? s.b : 0) + (uint64_t)op->a};
        return TRUE;
    default:
        *out = (HcState){0, 0};
        return TRUE;
    }
}

static void describe(HcModelCtx *c, HcState s, gsize max, GString *out)
{
    if (s.a)
        g_string_append_printf(out, "%" G_GINT64_FORMAT, (int64_t)s.b);
    else
        g_string_append(out, "absent");
}

static const char *const fs[] = {"put", "get", "add", "delete", NULL};

const HcModel hc_model_durasim_kv = {
    .name = "durasim-kv",
    .summary = "integers per key: :put v, :add n, :delete, :get (nil when absent)",
    .fs = fs,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .prepare = prepare,
    .init = init,
    .step = step,
    .describe = describe,
};
