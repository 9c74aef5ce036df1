/* reports/history/export.c — a durasim run's client history as a jepsen-edn file, for
 * `durasim run/replay --history-out FILE` (see export.h). */
#include "reports/history/export.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    SimTime time;
    uint32_t op;
    gboolean call;
} Event;

/* Time order; at one instant invocations come first (operations that touch at an instant may
 * overlap, the weaker claim), then by operation id: a total order, so the file is the same
 * for the same run. */
static int cmp_event(const void *x, const void *y)
{
    const Event *a = x, *b = y;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->call != b->call)
        return a->call ? -1 : 1;
    return a->op < b->op ? -1 : a->op > b->op;
}

/* Processes: an operation takes the lowest process of its client whose last operation
 * completed before the invocation; an :info or never-completed operation keeps its process
 * for ever (as Jepsen gives a crashed process a new number). `busy` holds, per process, the
 * client and until when it is taken. */
typedef struct {
    EndpointId client;
    SimTime until;
} Process;

static guint take_process(GArray *procs, EndpointId client, SimTime invoke, SimTime until)
{
    for (guint p = 0; p < procs->len; p++) {
        Process *x = &g_array_index(procs, Process, p);
        if (x->client == client && x->until < invoke) {
            x->until = until;
            return p;
        }
    }
    Process x = {client, until};
    g_array_append_val(procs, x);
    return procs->len - 1;
}

static const char *type_of(const HistOp *op)
{
    switch (op->outcome) {
    case OUTCOME_OK:
        return "ok";
    case OUTCOME_FAIL:
        return "fail";
    default:
        return "info";
    }
}

static void append_event(GString *s, const World *w, const HistOp *op, guint process, gboolean call)
{
    g_autofree char *key = g_strescape(world_key_name(w, op->key), NULL);
    g_autofree char *client = g_strescape(world_endpoint_name(w, op->client), NULL);
    g_string_append_printf(s, "{:process %u, :type :%s, :f :%s, :key \"%s\", :value ", process,
                           call ? "invoke" : type_of(op), op_kind_name(op->kind), key);
    if (op->kind == OP_PUT || op->kind == OP_ADD)
        g_string_append_printf(s, "%" G_GINT64_FORMAT, op->value);
    else if (op->kind == OP_GET && !call && op->outcome == OUTCOME_OK && op->present)
        g_string_append_printf(s, "%" G_GINT64_FORMAT, op->result);
    else
        g_string_append(s, "nil");
    g_string_append_printf(s, ", :time %" G_GINT64_FORMAT ", :client \"%s\"}\n",
                           call ? op->invoke : op->complete, client);
}

/* Folds `op` (a retry sharing an idempotency key) into the logical operation `into`. */
static void fold(HistOp *into, const HistOp *op)
{
    if (op->outcome == OUTCOME_FAIL)
        return; /* that attempt did not happen: it widens nothing */
    if (into->outcome == OUTCOME_FAIL) {
        *into = *op;
        return;
    }
    into->invoke = MIN(into->invoke, op->invoke);
    if (op->outcome == OUTCOME_OK &&
        (into->outcome != OUTCOME_OK || op->complete < into->complete)) {
        into->outcome = OUTCOME_OK;
        into->complete = op->complete;
    } else if (into->outcome == OUTCOME_PENDING && op->outcome == OUTCOME_INDETERMINATE) {
        into->outcome = OUTCOME_INDETERMINATE;
        into->complete = op->complete;
    }
}

/* The logical operations: writes that share an idempotency key (a client's retries of one
 * deposit, say) take effect at most once, so they become one operation, from the earliest
 * invocation that did not fail to the earliest :ok completion (or :info, or :fail when every
 * attempt failed). Returns the operations in id order of their first attempt. */
static GArray *logical_ops(const History *h)
{
    guint n = history_len(h);
    GArray *ops = g_array_sized_new(FALSE, FALSE, sizeof(HistOp), n);
    GHashTable *by_idem = g_hash_table_new(g_int64_hash, g_int64_equal); /* -> index + 1 */
    for (uint32_t i = 0; i < n; i++) {
        const HistOp *op = history_op(h, i);
        if (op_kind_is_admin((OpKind)op->kind))
            continue; /* an operation on the cluster, not on the data */
        gboolean write = op->kind == OP_PUT || op->kind == OP_ADD || op->kind == OP_DELETE;
        guint at = write && op->idem != IDEM_NONE
                       ? GPOINTER_TO_UINT(g_hash_table_lookup(by_idem, &op->idem))
                       : 0;
        HistOp *first = at ? &g_array_index(ops, HistOp, at - 1) : NULL;
        if (first && first->kind == op->kind && first->value == op->value &&
            first->key == op->key) {
            fold(first, op);
            continue;
        }
        g_array_append_val(ops, *op);
        if (write && op->idem != IDEM_NONE && !at)
            g_hash_table_insert(by_idem, (gpointer)&history_op(h, i)->idem,
                                GUINT_TO_POINTER(ops->len));
    }
    g_hash_table_destroy(by_idem);
    return ops;
}

char *hc_export_edn(World *w)
{
    GArray *ops = logical_ops(world_history(w));
    guint n = ops->len;
    Event *ev = g_new(Event, 2 * (gsize)MAX(n, 1));
    guint nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        const HistOp *op = &g_array_index(ops, HistOp, i);
        ev[nev++] = (Event){op->invoke, i, TRUE};
        if (op->complete != SIM_TIME_NEVER && op->outcome != OUTCOME_PENDING)
            ev[nev++] = (Event){op->complete, i, FALSE};
    }
    qsort(ev, nev, sizeof *ev, cmp_event);
    guint *process = g_new(guint, MAX(n, 1));
    GArray *procs = g_array_new(FALSE, FALSE, sizeof(Process));
    GString *s = g_string_sized_new((gsize)nev * 96);
    for (guint i = 0; i < nev; i++) {
        const HistOp *op = &g_array_index(ops, HistOp, ev[i].op);
        if (ev[i].call) {
            gboolean frees = op->outcome == OUTCOME_OK || op->outcome == OUTCOME_FAIL;
            SimTime until = frees && op->complete != SIM_TIME_NEVER ? op->complete : G_MAXINT64;
            process[ev[i].op] = take_process(procs, op->client, op->invoke, until);
        }
        append_event(s, w, op, process[ev[i].op], ev[i].call);
    }
    g_array_free(procs, TRUE);
    g_array_free(ops, TRUE);
    g_free(process);
    g_free(ev);
    return g_string_free(s, FALSE);
}

gboolean hc_export_edn_file(World *w, const char *path, GError **error)
{
    g_autofree char *text = hc_export_edn(w);
    return g_file_set_contents(path, text, (gssize)strlen(text), error);
}
