/* reports/history/model.c — the list of models, choosing one from a history's operations, and
 * the value table the models share. */
#include "reports/history/model.h"

#include <string.h>

/* In order of preference: inference takes the first whose operations cover the history's. */
static const HcModel *const models[] = {
    &hc_model_register, &hc_model_cas_register, &hc_model_counter,
    &hc_model_kv,       &hc_model_durasim_kv,   NULL,
};

const HcModel *const *hc_models(void)
{
    return models;
}

const HcModel *hc_model_find(const char *name)
{
    for (guint i = 0; models[i]; i++)
        if (strcmp(models[i]->name, name) == 0)
            return models[i];
    return NULL;
}

const char *hc_model_names(void)
{
    return "register, cas-register, counter, kv, durasim-kv";
}

static gboolean knows(const HcModel *m, const char *f)
{
    for (guint i = 0; m->fs[i]; i++)
        if (strcmp(m->fs[i], f) == 0)
            return TRUE;
    return FALSE;
}

static char *f_list(const char *const *fs, guint n)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < n && fs[i]; i++)
        g_string_append_printf(s, "%s:%s", i ? ", " : "", fs[i]);
    return g_string_free(s, FALSE);
}

const HcModel *hc_model_infer(const HcHistory *h, char **why)
{
    for (guint i = 0; models[i]; i++) {
        gboolean all = TRUE;
        for (guint k = 0; all && k < h->fs->len; k++)
            all = knows(models[i], g_ptr_array_index(h->fs, k));
        if (all)
            return models[i];
    }
    g_autofree char *used = f_list((const char *const *)h->fs->pdata, h->fs->len);
    *why = g_strdup_printf("no model knows all of its operations (%s); give --model (%s)", used,
                           hc_model_names());
    return NULL;
}

gboolean hc_model_prepare(const HcModel *m, HcModelCtx *ctx, HcHistory *h, const char *file,
                          GError **error)
{
    guint kept = 0;
    for (guint i = 0; i < h->ops->len; i++) {
        HcOp op = *hc_history_op(h, i);
        const char *f = hc_history_f(h, &op);
        if (!knows(m, f)) {
            g_autofree char *known = f_list(m->fs, G_MAXUINT);
            g_set_error(error, HC_ERROR, 0, "%s:%u: :%s is not an operation of the %s model (%s)",
                        file, op.call, f, m->name, known);
            return FALSE;
        }
        gboolean drop = FALSE;
        GError *e = NULL;
        if (!m->prepare(ctx, &op, f, &drop, &e)) {
            g_set_error(error, HC_ERROR, 0, "%s:%u: %s", file,
                        e->code == HC_AT_COMPLETION ? op.ret_line : op.call, e->message);
            g_error_free(e);
            return FALSE;
        }
        if (!drop)
            *hc_history_op(h, kept++) = op;
    }
    g_array_set_size(h->ops, kept);
    if (m->prune && kept > 0) {
        gboolean *dropped = g_new0(gboolean, kept);
        m->prune(ctx, (const HcOp *)h->ops->data, kept, dropped);
        guint k = 0;
        for (guint i = 0; i < kept; i++) {
            g_assert(!dropped[i] || hc_history_op(h, i)->type != HC_OK);
            if (!dropped[i])
                *hc_history_op(h, k++) = *hc_history_op(h, i);
        }
        h->pruned = kept - k;
        g_array_set_size(h->ops, k);
        g_free(dropped);
    }
    return TRUE;
}

void hc_value_table_init(HcValueTable *t)
{
    t->index = g_hash_table_new(g_str_hash, g_str_equal);
    t->texts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(t->texts, g_strdup("nil"));
}

void hc_value_table_clear(HcValueTable *t)
{
    g_hash_table_destroy(t->index);
    g_ptr_array_unref(t->texts);
}

uint32_t hc_value_table_id(HcValueTable *t, const HcValue *v)
{
    if (!v || v->kind == HC_NIL)
        return 0;
    g_autofree char *text = hc_value_text(v);
    gpointer id;
    if (g_hash_table_lookup_extended(t->index, text, NULL, &id))
        return GPOINTER_TO_UINT(id);
    char *own = g_steal_pointer(&text);
    g_ptr_array_add(t->texts, own);
    g_hash_table_insert(t->index, own, GUINT_TO_POINTER(t->texts->len - 1));
    return t->texts->len - 1;
}

const char *hc_value_table_text(const HcValueTable *t, uint32_t id)
{
    return g_ptr_array_index(t->texts, id);
}
