/* model/history.c — the run's client history. */
#include "model/history.h"

#include <string.h>

void history_init(History *h)
{
    chunks_init(&h->ops, sizeof(HistOp));
    chunks_init(&h->siblings, sizeof(ClientSibling));
    h->names = g_ptr_array_new_with_free_func(g_free);
}

void history_clear(History *h)
{
    chunks_clear(&h->ops);
    chunks_clear(&h->siblings);
    if (h->names)
        g_ptr_array_unref(h->names);
    h->names = NULL;
}

HistOp *history_add(History *h)
{
    guint id = h->ops.len;
    HistOp *op = chunks_push(&h->ops);
    op->id = id;
    op->name = UINT32_MAX;
    op->key = KEY_NONE;
    op->complete = SIM_TIME_NEVER;
    op->ctx_op = UINT32_MAX;
    return op;
}

void history_set_siblings(History *h, HistOp *op, const ClientSibling *sibs, guint n)
{
    g_assert(n <= UINT16_MAX);
    op->sib = h->siblings.len;
    op->nsib = (uint16_t)n;
    for (guint i = 0; i < n; i++)
        *(ClientSibling *)chunks_push(&h->siblings) = sibs[i];
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
    for (guint i = 0; i < h->ops.len; i++) {
        const HistOp *op = history_op(h, i);
        const char *n = history_op_name(h, op);
        if (n && strcmp(n, name) == 0)
            return op;
    }
    return NULL;
}
