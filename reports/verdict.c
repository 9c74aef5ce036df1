/* reports/verdict.c — what the oracles found (see verdict.h). */
#include "reports/verdict.h"

#include <string.h>

void verdict_init(Verdict *v)
{
    memset(v, 0, sizeof *v);
    v->violations = g_ptr_array_new();
    v->lin = LIN_OK;
}

static void violation_free(Violation *x)
{
    g_free(x->text);
    g_free(x);
}

void verdict_clear(Verdict *v)
{
    if (v->violations) {
        for (guint i = 0; i < v->violations->len; i++)
            violation_free(g_ptr_array_index(v->violations, i));
        g_ptr_array_unref(v->violations);
    }
    g_free(v->model_note);
    g_free(v->liveness_note);
    g_free(v->convergence_note);
    g_free(v->lin_note);
    g_free(v->lost_update_note);
    g_free(v->siblings_note);
    memset(v, 0, sizeof *v);
}

gboolean verdict_passed(const Verdict *v)
{
    return v->kinds == 0;
}

void verdict_add(Verdict *v, ViolationKind kind, SimTime time, const uint32_t *ops, guint nops,
                 const EndpointId *nodes, guint nnodes, char *text)
{
    v->kinds |= 1u << kind;
    if (v->counts[kind]++ >= VERDICT_EXAMPLES) {
        g_free(text);
        return;
    }
    Violation *x = g_new0(Violation, 1);
    x->kind = kind;
    x->time = time;
    x->nops = MIN(nops, G_N_ELEMENTS(x->ops));
    for (guint i = 0; i < x->nops; i++)
        x->ops[i] = ops[i];
    x->nnodes = MIN(nnodes, G_N_ELEMENTS(x->nodes));
    for (guint i = 0; i < x->nnodes; i++)
        x->nodes[i] = nodes[i];
    x->text = text;
    g_ptr_array_add(v->violations, x);
}

void verdict_add_copy(Verdict *v, const Violation *x)
{
    verdict_add(v, x->kind, x->time, x->ops, x->nops, x->nodes, x->nnodes, g_strdup(x->text));
}
