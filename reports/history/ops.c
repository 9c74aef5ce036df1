/* reports/history/ops.c — pairing invocations with completions, per process. */
#include "reports/history/ops.h"

#include <string.h>

void hc_history_init(HcHistory *h)
{
    memset(h, 0, sizeof *h);
    hc_arena_init(&h->arena);
    h->ops = g_array_new(FALSE, FALSE, sizeof(HcOp));
    h->fs = g_ptr_array_new_with_free_func(g_free);
    h->keys = g_ptr_array_new_with_free_func(g_free);
    h->f_index = g_hash_table_new(g_str_hash, g_str_equal);
    h->key_index = g_hash_table_new(g_str_hash, g_str_equal);
    h->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
}

void hc_history_clear(HcHistory *h)
{
    if (!h->ops)
        return;
    g_array_free(h->ops, TRUE);
    g_hash_table_destroy(h->f_index);
    g_hash_table_destroy(h->key_index);
    g_hash_table_destroy(h->pending);
    g_ptr_array_unref(h->fs);
    g_ptr_array_unref(h->keys);
    hc_arena_clear(&h->arena);
    memset(h, 0, sizeof *h);
}

/* The index of `name` in `names`, added if new. */
static uint32_t intern(GPtrArray *names, GHashTable *index, const char *name)
{
    guint i = GPOINTER_TO_UINT(g_hash_table_lookup(index, name));
    if (i)
        return i - 1;
    char *copy = g_strdup(name);
    g_ptr_array_add(names, copy);
    g_hash_table_insert(index, copy, GUINT_TO_POINTER(names->len));
    return names->len - 1;
}

static gboolean invoke(HcHistory *h, const HcEvent *ev, GError **error)
{
    guint open = GPOINTER_TO_UINT(g_hash_table_lookup(h->pending, &ev->process));
    if (open) {
        const HcOp *o = hc_history_op(h, open - 1);
        g_set_error(error, HC_ERROR, 0,
                    "process %" G_GINT64_FORMAT " invokes :%s while its :%s of line %u is "
                    "still open (one operation at a time per process)",
                    ev->process, ev->f, hc_history_f(h, o), o->call);
        return FALSE;
    }
    if (h->ops->len >= G_MAXINT32) {
        g_set_error(error, HC_ERROR, 0, "too many operations");
        return FALSE;
    }
    HcOp op = {.call = ev->line, .ret = HC_NEVER, .type = HC_INVOKE, .process = ev->process};
    op.f = intern(h->fs, h->f_index, ev->f);
    g_autofree char *key = ev->key ? hc_value_text(ev->key) : g_strdup("");
    op.key = intern(h->keys, h->key_index, key);
    if (ev->value && ev->value->kind != HC_NIL)
        op.in = hc_value_copy(&h->arena, ev->value);
    g_array_append_val(h->ops, op);
    int64_t *proc = hc_arena_alloc(&h->arena, sizeof *proc);
    *proc = ev->process;
    g_hash_table_insert(h->pending, proc, GUINT_TO_POINTER(h->ops->len));
    h->invocations++;
    return TRUE;
}

static gboolean complete(HcHistory *h, const HcEvent *ev, GError **error)
{
    guint open = GPOINTER_TO_UINT(g_hash_table_lookup(h->pending, &ev->process));
    if (!open) {
        g_set_error(error, HC_ERROR, 0,
                    "process %" G_GINT64_FORMAT " completes :%s (:%s) without an open invocation",
                    ev->process, ev->f, hc_type_name(ev->type));
        return FALSE;
    }
    HcOp *op = hc_history_op(h, open - 1);
    if (strcmp(hc_history_f(h, op), ev->f) != 0) {
        g_set_error(error, HC_ERROR, 0,
                    "process %" G_GINT64_FORMAT " completes :%s but invoked :%s on line %u",
                    ev->process, ev->f, hc_history_f(h, op), op->call);
        return FALSE;
    }
    if (ev->key) {
        g_autofree char *key = hc_value_text(ev->key);
        if (strcmp(key, g_ptr_array_index(h->keys, op->key)) != 0) {
            g_set_error(error, HC_ERROR, 0,
                        "process %" G_GINT64_FORMAT " completes key %s but invoked key %s on "
                        "line %u",
                        ev->process, key, (const char *)g_ptr_array_index(h->keys, op->key),
                        op->call);
            return FALSE;
        }
    }
    g_hash_table_remove(h->pending, &ev->process);
    op->type = (uint8_t)ev->type;
    op->ret_line = ev->line;
    if (ev->type == HC_OK) {
        op->ret = ev->line;
        if (ev->value && ev->value->kind != HC_NIL)
            op->out = hc_value_copy(&h->arena, ev->value);
    }
    if (ev->type == HC_FAIL)
        h->failed++;
    return TRUE;
}

gboolean hc_history_add_event(const HcEvent *ev, gpointer data, GError **error)
{
    HcHistory *h = data;
    h->lines = ev->line;
    if (!ev->client)
        return TRUE;
    return ev->type == HC_INVOKE ? invoke(h, ev, error) : complete(h, ev, error);
}

gboolean hc_history_finish(HcHistory *h, const char *file, GError **error)
{
    if (h->invocations == 0) {
        g_set_error(error, HC_ERROR, 0,
                    "%s:%u: not a history: no client operation (an invocation with an integer "
                    "process) in %u lines",
                    file, h->lines, h->lines);
        return FALSE;
    }
    guint kept = 0;
    for (guint i = 0; i < h->ops->len; i++) {
        HcOp *op = hc_history_op(h, i);
        if (op->type == HC_FAIL)
            continue;
        if (op->type == HC_INVOKE)
            h->open++;
        *hc_history_op(h, kept++) = *op;
    }
    g_array_set_size(h->ops, kept);
    g_hash_table_remove_all(h->pending);
    return TRUE;
}

gboolean hc_history_read(HcHistory *h, const char *text, gsize len, HcFormat format,
                         const char *file, GError **error)
{
    return hc_parse_buffer(text, len, format, file, hc_history_add_event, h, error) &&
           hc_history_finish(h, file, error);
}

const HcValue *hc_op_input(const HcOp *op)
{
    return op->in ? op->in : op->out;
}

char *hc_op_describe(const HcHistory *h, const HcOp *op)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "line %u, process %" G_GINT64_FORMAT ", :%s", op->call, op->process,
                           hc_history_f(h, op));
    const char *key = g_ptr_array_index(h->keys, op->key);
    if (*key)
        g_string_append_printf(s, " key %s", key);
    if (op->in) {
        g_string_append_c(s, ' ');
        hc_value_describe(op->in, 60, s);
    }
    if (op->type == HC_OK) {
        g_string_append(s, " -> ");
        if (op->out)
            hc_value_describe(op->out, 60, s);
        else
            g_string_append(s, "nil");
        g_string_append_printf(s, " (ok, line %u)", op->ret_line);
    } else if (op->type == HC_INFO) {
        g_string_append_printf(s, " (info, line %u)", op->ret_line);
    } else {
        g_string_append(s, " (never completed)");
    }
    return g_string_free(s, FALSE);
}
