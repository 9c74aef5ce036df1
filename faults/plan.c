/* faults/plan.c — fault plans: construction, validation and copying. */
#include "faults/fault.h"

#include <errno.h>
#include <string.h>

void fault_plan_init(FaultPlan *p)
{
    p->faults = g_ptr_array_new_with_free_func((GDestroyNotify)fault_spec_free);
}

void fault_plan_clear(FaultPlan *p)
{
    if (p->faults)
        g_ptr_array_unref(p->faults);
    p->faults = NULL;
}

FaultSpec *fault_spec_new(void)
{
    FaultSpec *f = g_new0(FaultSpec, 1);
    f->nth = 1;
    f->power = TRUE;
    f->restart_after = SIM_TIME_NEVER;
    f->target = TARGET_NONE;
    f->node = ENDPOINT_NONE;
    f->err = EIO;
    f->count = 1;
    f->den = 1;
    return f;
}

FaultSpec *fault_spec_copy(const FaultSpec *f)
{
    FaultSpec *c = g_new(FaultSpec, 1);
    *c = *f;
    c->name = g_strdup(f->name);
    c->groups_text = g_strdup(f->groups_text);
    c->from_text = g_strdup(f->from_text);
    c->to_text = g_strdup(f->to_text);
    c->link_text = g_strdup(f->link_text);
    c->node_text = g_strdup(f->node_text);
    return c;
}

void fault_spec_free(FaultSpec *f)
{
    if (f == NULL)
        return;
    g_free(f->name);
    g_free(f->groups_text);
    g_free(f->from_text);
    g_free(f->to_text);
    g_free(f->link_text);
    g_free(f->node_text);
    g_free(f);
}

void fault_plan_copy(FaultPlan *out, const FaultPlan *in)
{
    fault_plan_init(out);
    for (guint i = 0; i < in->faults->len; i++)
        g_ptr_array_add(out->faults, fault_spec_copy(g_ptr_array_index(in->faults, i)));
}

static gboolean needs_disk(FaultKind k)
{
    switch (k) {
    case FAULT_FSYNC_ERROR:
    case FAULT_WRITE_ERROR:
    case FAULT_SECTOR_ERROR:
    case FAULT_CORRUPT:
    case FAULT_SLOW_DISK:
    case FAULT_DISK_LOSS:
        return TRUE;
    default:
        return FALSE;
    }
}

gboolean fault_plan_validate(const FaultPlan *p, const WorldConfig *c, GError **error)
{
    for (guint i = 0; i < p->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(p->faults, i);
        if (f->trigger == TRIG_FAILPOINT && failpoint_protocol(f->fp) != c->protocol) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] on: failpoint '%s' belongs to the %s protocol, not %s", f->name,
                        failpoint_name(f->fp), protocol_name(failpoint_protocol(f->fp)),
                        protocol_name(c->protocol));
            return FALSE;
        }
        if (f->target == TARGET_NODE && needs_disk(f->kind) && f->node >= c->nodes) {
            g_set_error(error, CONFIG_ERROR, 0, "[fault %s] node: %s has no disk", f->name,
                        f->node_text ? f->node_text : "?");
            return FALSE;
        }
        if (f->target == TARGET_NODE && f->kind != FAULT_CLOCK_SKEW &&
            f->node >= world_config_server_count(c)) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] node: %s is a client; this fault needs a server", f->name,
                        f->node_text ? f->node_text : "?");
            return FALSE;
        }
    }
    return TRUE;
}
