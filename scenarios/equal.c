/* scenarios/equal.c — when two scenarios are the same scenario, and the round-trip property.
 *
 * Two scenarios are equal when every setting a run reads is equal: the name and summary, each
 * setting of the cluster and workload that the protocol uses, the bugs of the protocol, every
 * scripted operation, every fault (its trigger, target and the parameters its kind takes, as
 * the fault-kind table lists them) and every expectation. What a run never reads is not
 * compared: the settings of the other protocol, a parameter the fault's kind does not take, the
 * text forms a loaded fault keeps, the path a scenario was read from, whether an [expect] group
 * that asserts nothing was there.
 *
 * The round-trip property: a scenario written by scenario_to_data loads again, the result is
 * equal to it, and writing the result gives the same text. The property test, the fuzz target
 * and the exporters rely on it.
 */
#include "scenarios/scenario.h"

#include <stdarg.h>
#include <string.h>

/* The first difference found, as "what: a vs b"; NULL while none. */
typedef struct {
    char *first;
} Diff;

static gboolean differ(Diff *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean differ(Diff *d, const char *fmt, ...)
{
    if (d->first)
        return FALSE;
    va_list ap;
    va_start(ap, fmt);
    d->first = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return FALSE;
}

static gboolean same_int(Diff *d, const char *what, gint64 a, gint64 b)
{
    return a == b || differ(d, "%s: %" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT, what, a, b);
}

static gboolean same_uint(Diff *d, const char *what, guint64 a, guint64 b)
{
    return a == b || differ(d, "%s: %" G_GUINT64_FORMAT " vs %" G_GUINT64_FORMAT, what, a, b);
}

static gboolean same_str(Diff *d, const char *what, const char *a, const char *b)
{
    return g_strcmp0(a, b) == 0 ||
           differ(d, "%s: '%s' vs '%s'", what, a ? a : "(none)", b ? b : "(none)");
}

static gboolean same_range(Diff *d, const char *what, SimRange a, SimRange b)
{
    return (a.lo == b.lo && a.hi == b.hi) ||
           differ(d,
                  "%s: %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT
                  "..%" G_GINT64_FORMAT " ns",
                  what, a.lo, a.hi, b.lo, b.hi);
}

static gboolean same_mask(Diff *d, const char *what, const EndpointMask *a, const EndpointMask *b,
                          guint endpoints)
{
    for (EndpointId id = 0; id < endpoints; id++)
        if (endpoint_mask_has(a, id) != endpoint_mask_has(b, id))
            return differ(d, "%s: endpoint %u is in one only", what, id);
    return TRUE;
}

/* The protocol's own settings, by its key table (same protocol: checked before). */
static gboolean same_proto_keys(Diff *d, const WorldConfig *a, const WorldConfig *b)
{
    for (const ProtoKey *k = a->protocol->keys; k->name; k++) {
        const void *fa = a->proto + k->offset, *fb = b->proto + k->offset;
        gboolean ok = TRUE;
        switch (k->type) {
        case PROTO_KEY_UINT:
            ok = same_uint(d, k->name, *(const guint *)fa, *(const guint *)fb);
            break;
        case PROTO_KEY_BOOL:
            ok = same_int(d, k->name, !!*(const gboolean *)fa, !!*(const gboolean *)fb);
            break;
        case PROTO_KEY_TIME:
            ok = same_int(d, k->name, *(const SimTime *)fa, *(const SimTime *)fb);
            break;
        case PROTO_KEY_RANGE:
            ok = same_range(d, k->name, *(const SimRange *)fa, *(const SimRange *)fb);
            break;
        case PROTO_KEY_ENUM:
            ok = same_uint(d, k->name, *(const guint *)fa, *(const guint *)fb);
            break;
        }
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gboolean same_cluster(Diff *d, const WorldConfig *a, const WorldConfig *b)
{
    gboolean ok =
        same_str(d, "protocol", protocol_name(a->protocol), protocol_name(b->protocol)) &&
        same_uint(d, "seed", a->seed, b->seed) &&
        same_int(d, "duration", a->duration, b->duration) &&
        same_int(d, "settle", a->settle, b->settle) && same_uint(d, "bugs", a->bugs, b->bugs) &&
        same_uint(d, "nodes", a->nodes, b->nodes) &&
        same_str(d, "fs", fs_profile_name(a->fs), fs_profile_name(b->fs)) &&
        same_str(d, "kernel", fs_kernel_name(a->kernel), fs_kernel_name(b->kernel)) &&
        same_uint(d, "disk.atomic_write", a->disk_atomic_write, b->disk_atomic_write) &&
        same_range(d, "net.latency", a->net_latency, b->net_latency) &&
        same_range(d, "disk.write_latency", a->disk_write_latency, b->disk_write_latency) &&
        same_range(d, "disk.fsync_latency", a->disk_fsync_latency, b->disk_fsync_latency) &&
        same_int(d, "request_timeout", a->request_timeout, b->request_timeout);
    if (!ok)
        return FALSE;
    return same_proto_keys(d, a, b);
}

static gboolean same_op(Diff *d, const ScriptedOp *a, const ScriptedOp *b)
{
    g_autofree char *w = g_strdup_printf("[op %s]", a->name);
    g_autofree char *at = g_strconcat(w, " at", NULL);
    g_autofree char *client = g_strconcat(w, " client", NULL);
    g_autofree char *kind = g_strconcat(w, " kind", NULL);
    g_autofree char *key = g_strconcat(w, " key", NULL);
    g_autofree char *value = g_strconcat(w, " value", NULL);
    g_autofree char *idem = g_strconcat(w, " idempotency", NULL);
    gboolean valued = a->kind == OP_PUT || a->kind == OP_ADD || op_kind_is_admin(a->kind);
    return same_str(d, "[op] name", a->name, b->name) && same_int(d, at, a->at, b->at) &&
           same_uint(d, client, a->client, b->client) &&
           same_str(d, kind, op_kind_name(a->kind), op_kind_name(b->kind)) &&
           same_str(d, key, a->key, b->key) &&
           (!valued || same_int(d, value, a->value, b->value)) &&
           same_str(d, idem, a->idempotency, b->idempotency);
}

static gboolean same_workload(Diff *d, const WorldConfig *a, const WorldConfig *b)
{
    gboolean ok = same_uint(d, "clients", a->clients, b->clients) &&
                  same_uint(d, "ops", a->ops, b->ops) && same_uint(d, "keys", a->keys, b->keys) &&
                  same_int(d, "client.timeout", a->client_timeout, b->client_timeout) &&
                  same_uint(d, "client.retries", a->client_retries, b->client_retries) &&
                  same_uint(d, "number of [op] groups", a->scripted->len, b->scripted->len);
    for (int k = 0; ok && k < OP_NOOP; k++) {
        g_autofree char *w = g_strdup_printf("mix weight of %s", op_kind_name((OpKind)k));
        ok = same_uint(d, w, a->mix[k], b->mix[k]);
    }
    for (guint i = 0; ok && i < a->scripted->len; i++)
        ok = same_op(d, g_ptr_array_index(a->scripted, i), g_ptr_array_index(b->scripted, i));
    return ok;
}

/* One parameter of a fault's kind (the fault-kind table says which it takes). */
static gboolean same_param(Diff *d, const char *w, FaultParam p, const FaultSpec *a,
                           const FaultSpec *b, guint endpoints)
{
    g_autofree char *what = g_strdup_printf("%s %s", w, fault_param_key(p));
    switch (p) {
    case FAULT_PARAM_MODE:
        return same_int(d, what, !!a->power, !!b->power);
    case FAULT_PARAM_RESTART_AFTER:
        return same_int(d, what, a->restart_after, b->restart_after);
    case FAULT_PARAM_GROUPS:
        for (EndpointId id = 0; id < endpoints; id++)
            if (endpoint_groups_of(&a->groups, id) != endpoint_groups_of(&b->groups, id))
                return differ(d, "%s: endpoint %u in group %u vs %u", what, id,
                              endpoint_groups_of(&a->groups, id),
                              endpoint_groups_of(&b->groups, id));
        return TRUE;
    case FAULT_PARAM_FROM:
        return same_mask(d, what, &a->from_mask, &b->from_mask, endpoints);
    case FAULT_PARAM_TO:
        return same_mask(d, what, &a->to_mask, &b->to_mask, endpoints);
    case FAULT_PARAM_LINK:
        return same_mask(d, what, &a->from_mask, &b->from_mask, endpoints) &&
               same_mask(d, what, &a->to_mask, &b->to_mask, endpoints);
    case FAULT_PARAM_PROBABILITY:
        /* Exactly: a draw compares against num out of den, so 1/4 and 250/1000 differ. */
        return same_uint(d, what, a->num, b->num) && same_uint(d, what, a->den, b->den);
    case FAULT_PARAM_LATENCY:
        return same_range(d, what, a->latency, b->latency);
    case FAULT_PARAM_ERRNO:
        return same_int(d, what, a->err, b->err);
    case FAULT_PARAM_COUNT:
        return same_uint(d, what, a->count, b->count);
    case FAULT_PARAM_OFFSET:
        return same_int(d, what, a->offset, b->offset);
    case FAULT_PARAM_FILE:
        return same_str(d, what, a->file_text ? a->file_text : "",
                        b->file_text ? b->file_text : "");
    case FAULT_PARAM_KEEP:
        return same_str(d, what, disk_keep_name(a->keep), disk_keep_name(b->keep));
    default:
        g_assert_not_reached();
    }
}

static gboolean same_fault(Diff *d, const Protocol *p, const FaultSpec *a, const FaultSpec *b,
                           guint endpoints)
{
    g_autofree char *w = g_strdup_printf("[fault %s]", a->name);
    g_autofree char *kind = g_strconcat(w, " kind", NULL);
    g_autofree char *trigger = g_strconcat(w, " trigger (at or on)", NULL);
    g_autofree char *node = g_strconcat(w, " node", NULL);
    if (!same_str(d, "[fault] name", a->name, b->name) ||
        !same_str(d, kind, fault_kind_name(a->kind), fault_kind_name(b->kind)) ||
        !same_int(d, trigger, a->trigger, b->trigger) || !same_int(d, node, a->target, b->target))
        return FALSE;
    g_autofree char *at = g_strconcat(w, a->trigger == TRIG_AT ? " at" : " on", NULL);
    g_autofree char *nth = g_strconcat(w, " nth", NULL);
    gboolean ok;
    if (a->trigger == TRIG_AT)
        ok = same_int(d, at, a->at, b->at);
    else if (a->trigger == TRIG_MARK)
        ok = same_str(d, at, p->marks[a->mark].name, p->marks[b->mark].name) &&
             same_uint(d, nth, a->nth, b->nth);
    else
        ok =
            same_str(d, at, protocol_failpoint_name(p, a->fp), protocol_failpoint_name(p, b->fp)) &&
            same_uint(d, nth, a->nth, b->nth);
    if (ok && a->target == TARGET_NODE)
        ok = same_uint(d, node, a->node, b->node);
    if (ok && a->target == TARGET_ROLE)
        ok = same_str(d, node, node_role_name(a->role), node_role_name(b->role));
    for (const FaultParamUse *u = fault_kind_info(a->kind)->params; ok && u->param; u++)
        ok = same_param(d, w, u->param, a, b, endpoints);
    g_autofree char *dur = g_strconcat(w, " for", NULL);
    if (ok && fault_kind_info(a->kind)->lasting)
        ok = same_int(d, dur, a->duration, b->duration);
    return ok;
}

static gboolean same_expect_op(Diff *d, const ExpectOp *a, const ExpectOp *b)
{
    g_autofree char *w = g_strdup_printf("[expect] op.%s", a->op);
    g_autofree char *lat = g_strconcat(w, ".latency", NULL);
    g_autofree char *sib = g_strconcat(w, ".siblings", NULL);
    gboolean ok = same_str(d, "[expect] op.NAME", a->op, b->op) &&
                  same_int(d, w, a->has_outcome, b->has_outcome) &&
                  same_int(d, lat, a->has_latency, b->has_latency) &&
                  same_int(d, sib, a->has_siblings, b->has_siblings) &&
                  (!a->has_siblings || same_int(d, sib, a->siblings, b->siblings));
    if (ok && a->has_outcome)
        ok = same_str(d, w, outcome_name(a->outcome), outcome_name(b->outcome));
    if (ok && a->has_latency)
        ok = same_range(d, lat, a->latency, b->latency);
    return ok;
}

static gboolean same_expect(Diff *d, const Expect *a, const Expect *b)
{
    /* Whether the file had an [expect] group is not compared: a run reads only what the group
     * asserts, and an empty group asserts what no group does. */
    gboolean ok =
        same_int(d, "[expect] violations given", a->has_violations, b->has_violations) &&
        (!a->has_violations || same_uint(d, "[expect] violations", a->violations, b->violations)) &&
        same_int(d, "[expect] violations.include given", a->has_include, b->has_include) &&
        (!a->has_include || same_uint(d, "[expect] violations.include", a->include, b->include)) &&
        same_int(d, "[expect] acked", a->acked, b->acked) &&
        same_int(d, "[expect] failed", a->failed, b->failed) &&
        same_int(d, "[expect] indeterminate", a->indeterminate, b->indeterminate) &&
        same_int(d, "[expect] orphans", a->orphans, b->orphans) &&
        same_int(d, "[expect] duplicates", a->duplicates, b->duplicates) &&
        same_int(d, "[expect] lost_updates", a->lost_updates, b->lost_updates) &&
        same_uint(d, "[expect] number of op.NAME", a->ops->len, b->ops->len) &&
        same_uint(d, "[expect] number of final.KEY", a->finals->len, b->finals->len);
    for (guint i = 0; ok && i < a->ops->len; i++)
        ok = same_expect_op(d, g_ptr_array_index(a->ops, i), g_ptr_array_index(b->ops, i));
    for (guint i = 0; ok && i < a->finals->len; i++) {
        const ExpectFinal *x = g_ptr_array_index(a->finals, i),
                          *y = g_ptr_array_index(b->finals, i);
        g_autofree char *w = g_strdup_printf("[expect] final.%s", x->key);
        ok = same_str(d, "[expect] final.KEY", x->key, y->key) &&
             same_int(d, w, x->present, y->present) &&
             (!x->present || same_int(d, w, x->value, y->value));
    }
    return ok;
}

char *scenario_difference(const Scenario *a, const Scenario *b)
{
    Diff d = {NULL};
    gboolean ok =
        same_str(&d, "name", a->name, b->name) && same_str(&d, "summary", a->summary, b->summary) &&
        same_cluster(&d, &a->config, &b->config) && same_workload(&d, &a->config, &b->config) &&
        same_uint(&d, "number of [fault] groups", a->faults.faults->len, b->faults.faults->len);
    guint endpoints = world_config_endpoint_count(&a->config);
    for (guint i = 0; ok && i < a->faults.faults->len; i++)
        ok = same_fault(&d, a->config.protocol, g_ptr_array_index(a->faults.faults, i),
                        g_ptr_array_index(b->faults.faults, i), endpoints);
    if (ok)
        same_expect(&d, &a->expect, &b->expect);
    return d.first;
}

gboolean scenario_check_round_trip(const Scenario *s, GError **error)
{
    g_autofree char *text = scenario_to_data(s);
    g_autoptr(GError) err = NULL;
    g_autoptr(Scenario) again = scenario_load_data(text, strlen(text), "(written)", &err);
    if (!again) {
        g_set_error(error, SCENARIO_ERROR, 0, "the written scenario does not load: %s\n%s",
                    err->message, text);
        return FALSE;
    }
    g_autofree char *diff = scenario_difference(s, again);
    if (diff) {
        g_set_error(error, SCENARIO_ERROR, 0,
                    "the written scenario loads as a different one (%s)\n%s", diff, text);
        return FALSE;
    }
    g_autofree char *text2 = scenario_to_data(again);
    if (strcmp(text, text2) != 0) {
        g_set_error(error, SCENARIO_ERROR, 0,
                    "writing the reloaded scenario changes the text:\n%s\n--- became ---\n%s", text,
                    text2);
        return FALSE;
    }
    return TRUE;
}
