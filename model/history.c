/* model/history.c — the run's client history. */
#include "model/history.h"

#include <string.h>

void history_init(History *h)
{
    h->ops = g_array_sized_new(FALSE, TRUE, sizeof(HistOp), 256);
    h->names = g_ptr_array_new_with_free_func(g_free);
}

void history_clear(History *h)
{
    if (h->ops)
        g_array_free(h->ops, TRUE);
    if (h->names)
        g_ptr_array_unref(h->names);
    h->ops = NULL;
    h->names = NULL;
}

HistOp *history_add(History *h)
{
    HistOp op = {0};
    op.id = h->ops->len;
    op.name = UINT32_MAX;
    op.key = KEY_NONE;
    op.complete = SIM_TIME_NEVER;
    g_array_append_val(h->ops, op);
    return history_op(h, op.id);
}

uint32_t history_name(History *h, const char *name)
{
    g_ptr_array_add(h->names, g_strdup(name));
    return h->names->len - 1;
}

const char *history_op_name(const History *h, const HistOp *op)
{
    return op->name == UINT32_MAX ? NULL : g_ptr_array_index(h->names, op->name);
}

const HistOp *history_find(const History *h, const char *name)
{
    for (guint i = 0; i < h->ops->len; i++) {
        const HistOp *op = history_op(h, i);
        const char *n = history_op_name(h, op);
        if (n && strcmp(n, name) == 0)
            return op;
    }
    return NULL;
}

gsize history_memory_bytes(const History *h)
{
    return h->ops->len * sizeof(HistOp);
}
