/* faults/plan.c — fault plans: construction, validation and copying. */
#include "faults/fault.h"

#include "model/protocol.h"

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
    c->file_text = g_strdup(f->file_text);
    endpoint_groups_copy(&c->groups, &f->groups);
    endpoint_mask_copy(&c->from_mask, &f->from_mask);
    endpoint_mask_copy(&c->to_mask, &f->to_mask);
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
    g_free(f->file_text);
    endpoint_groups_clear(&f->groups);
    endpoint_mask_clear(&f->from_mask);
    endpoint_mask_clear(&f->to_mask);
    g_free(f);
}

void fault_plan_copy(FaultPlan *out, const FaultPlan *in)
{
    fault_plan_init(out);
    for (guint i = 0; i < in->faults->len; i++)
        g_ptr_array_add(out->faults, fault_spec_copy(g_ptr_array_index(in->faults, i)));
}

static gboolean bad(GError **error, const FaultSpec *f, const char *key, const char *what)
{
    g_set_error(error, CONFIG_ERROR, 0, "[fault %s] %s: %s", f->name, key, what);
    return FALSE;
}

static gboolean mask_in_range(const EndpointMask *m, guint endpoints)
{
    return endpoint_mask_next(m, endpoints) == ENDPOINT_NONE;
}

/* The parameters of one fault, whoever built it (the loader checks the text; the swarm and
 * tests build plans in code). */
static gboolean check_values(const FaultSpec *f, guint endpoints, GError **error)
{
    if (fault_kind_has_param(f->kind, FAULT_PARAM_PROBABILITY) && (f->den == 0 || f->num > f->den))
        return bad(error, f, "probability", "must be between 0 and 1");
    if (fault_kind_has_param(f->kind, FAULT_PARAM_ERRNO) && f->err != EIO && f->err != ENOSPC)
        return bad(error, f, "errno", "must be EIO or ENOSPC");
    if (fault_kind_has_param(f->kind, FAULT_PARAM_COUNT) && f->count == 0)
        return bad(error, f, "count", "must be at least 1");
    if (f->duration < 0)
        return bad(error, f, "for", "must not be negative");
    if (f->restart_after < 0)
        return bad(error, f, "restart_after", "must not be negative");
    if (f->trigger == TRIG_AT && f->at < 0)
        return bad(error, f, "at", "must not be negative");
    if (f->latency.lo < 0 || f->latency.hi < f->latency.lo)
        return bad(error, f, "latency", "must be a duration or a range lo..hi with lo <= hi");
    if ((f->trigger == TRIG_FAILPOINT || f->trigger == TRIG_MARK) && f->nth == 0)
        return bad(error, f, "nth", "must be at least 1");
    if (!mask_in_range(&f->from_mask, endpoints) || !mask_in_range(&f->to_mask, endpoints))
        return bad(error, f, "link", "names an endpoint the cluster does not have");
    if (f->keep >= DISK_KEEP_COUNT || (f->keep != DISK_KEEP_RANDOM && !f->power))
        return bad(error, f, "keep", "only a power crash keeps or loses unsynced changes");
    if (f->file_text && (!*f->file_text || strlen(f->file_text) >= FS_PATH_MAX))
        return bad(error, f, "file", "must be a path or a glob of 1 to 27 bytes");
    return TRUE;
}

void fault_plan_damaged(const FaultPlan *p, const WorldConfig *c, EndpointMask *out,
                        gboolean *unknown)
{
    ProtoTolerance tol;
    c->protocol->tolerance(c, &tol);
    *unknown = FALSE;
    for (guint i = 0; i < p->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(p->faults, i);
        gboolean damage =
            f->kind == FAULT_SECTOR_ERROR || f->kind == FAULT_CORRUPT ||
            f->kind == FAULT_DISK_LOSS || (tol.down_counts && f->kind == FAULT_METADATA_ERROR) ||
            (tol.down_counts && f->kind == FAULT_CRASH && f->restart_after == SIM_TIME_NEVER);
        if (damage && f->target == TARGET_NODE)
            endpoint_mask_add(out, f->node);
        else if (damage)
            *unknown = TRUE;
    }
}

/* The distinct marks the plan's faults are triggered on (at most WORLD_MAX_WATCHED_MARKS). */
guint fault_plan_marks(const FaultPlan *p, MarkId *out)
{
    guint n = 0;
    for (guint i = 0; i < p->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(p->faults, i);
        gboolean seen = f->trigger != TRIG_MARK;
        for (guint k = 0; k < n && !seen; k++)
            seen = out[k] == f->mark;
        if (!seen && n < WORLD_MAX_WATCHED_MARKS)
            out[n++] = f->mark;
    }
    return n;
}

static gboolean check_marks(const FaultPlan *p, const WorldConfig *c, GError **error)
{
    guint distinct = 0;
    for (guint i = 0; i < p->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(p->faults, i);
        if (f->trigger != TRIG_MARK)
            continue;
        if (f->mark >= c->protocol->n_marks) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] on: mark %u is not one of the %s protocol's", f->name,
                        (guint)f->mark, protocol_name(c->protocol));
            return FALSE;
        }
        gboolean seen = FALSE;
        for (guint k = 0; k < i && !seen; k++) {
            const FaultSpec *e = g_ptr_array_index(p->faults, k);
            seen = e->trigger == TRIG_MARK && e->mark == f->mark;
        }
        if (!seen && ++distinct > WORLD_MAX_WATCHED_MARKS) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] on: a plan may strike on at most %d distinct marks", f->name,
                        WORLD_MAX_WATCHED_MARKS);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean fault_plan_validate(const FaultPlan *p, const WorldConfig *c, GError **error)
{
    if (!check_marks(p, c, error))
        return FALSE;
    for (guint i = 0; i < p->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(p->faults, i);
        if (f->trigger == TRIG_FAILPOINT && !protocol_has_failpoint(c->protocol, f->fp)) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] on: failpoint code %u is not one of the %s protocol's", f->name,
                        (guint)f->fp, protocol_name(c->protocol));
            return FALSE;
        }
        guint endpoints = world_config_endpoint_count(c);
        if (f->target == TARGET_NODE && f->node >= endpoints) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] node: endpoint %u does not exist (the cluster has %u)", f->name,
                        f->node, endpoints);
            return FALSE;
        }
        if (!check_values(f, endpoints, error))
            return FALSE;
        if (c->fs == FS_EXT4_JOURNAL && (f->keep == DISK_KEEP_DATA || f->keep == DISK_KEEP_NAMES))
            return bad(error, f, "keep",
                       "ext4-journal keeps unsynced data and names in the order they happened: "
                       "keep = data or names would part them (use random, none or all)");
        g_autofree char *node =
            f->target == TARGET_NODE ? world_config_endpoint_name(c, f->node) : NULL;
        if (f->target == TARGET_NODE && fault_kind_needs_disk(f->kind) && f->node >= c->nodes) {
            g_set_error(error, CONFIG_ERROR, 0, "[fault %s] node: %s has no disk", f->name, node);
            return FALSE;
        }
        if (f->target == TARGET_NODE && !fault_kind_info(f->kind)->on_clients &&
            f->node >= world_config_server_count(c)) {
            g_set_error(error, CONFIG_ERROR, 0,
                        "[fault %s] node: %s is a client; this fault needs a server", f->name,
                        node);
            return FALSE;
        }
    }
    return TRUE;
}
