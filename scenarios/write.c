/* scenarios/write.c — writes a scenario in canonical form: every setting explicit, groups in the
 * order [scenario], [cluster], [workload], ops, faults, [expect], so that loading the result
 * gives back the same scenario (and the same run, event for event). The fuzzer and the shrinker
 * export through it. */
#include "scenarios/scenario.h"

#include <errno.h>
#include <string.h>

static void set_time(GKeyFile *kf, const char *g, const char *k, SimTime t)
{
    char buf[48];
    g_key_file_set_string(kf, g, k, sim_time_format_exact(t, buf, sizeof buf));
}

static void set_range(GKeyFile *kf, const char *g, const char *k, SimRange r)
{
    char lo[48], hi[48];
    sim_time_format_exact(r.lo, lo, sizeof lo);
    if (r.lo == r.hi) {
        g_key_file_set_string(kf, g, k, lo);
        return;
    }
    g_autofree char *v = g_strdup_printf("%s..%s", lo, sim_time_format_exact(r.hi, hi, sizeof hi));
    g_key_file_set_string(kf, g, k, v);
}

static void set_uint(GKeyFile *kf, const char *g, const char *k, guint64 v)
{
    g_autofree char *s = g_strdup_printf("%" G_GUINT64_FORMAT, v);
    g_key_file_set_string(kf, g, k, s);
}

static void set_int(GKeyFile *kf, const char *g, const char *k, gint64 v)
{
    g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, v);
    g_key_file_set_string(kf, g, k, s);
}

static char *names_of(const WorldConfig *c, const EndpointMask *mask, gboolean star_for_all)
{
    guint n = world_config_endpoint_count(c);
    EndpointMask all = endpoint_mask_first(n);
    gboolean every = endpoint_mask_covers(mask, &all);
    endpoint_mask_clear(&all);
    if (star_for_all && every)
        return g_strdup("*");
    GString *s = g_string_new(NULL);
    for (EndpointId id = 0; id < n; id++) {
        if (!endpoint_mask_has(mask, id))
            continue;
        g_autofree char *name = world_config_endpoint_name(c, id);
        g_string_append_printf(s, "%s%s", s->len ? " " : "", name);
    }
    return g_string_free(s, FALSE);
}

/* Exactly num out of den, which a run draws against (so "0.0" stays 0 out of 10, "1.00" 100 out
 * of 100: the loader reads each digit as written). */
static char *probability_text(uint64_t num, uint64_t den)
{
    if (den == 1)
        return g_strdup_printf("%" G_GUINT64_FORMAT, num);
    /* den is a power of ten (the loader and the generator only make those). */
    int digits = 0;
    for (uint64_t d = den; d > 1; d /= 10)
        digits++;
    return g_strdup_printf("%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT, num / den, digits,
                           num % den);
}

/* The protocol's own keys, in its table's order (a key at its derived default is left out). */
static void write_proto_keys(GKeyFile *kf, const WorldConfig *c)
{
    for (const ProtoKey *k = c->protocol->keys; k->name; k++) {
        const void *field = c->proto + k->offset;
        if (k->is_default && k->is_default(c))
            continue;
        switch (k->type) {
        case PROTO_KEY_UINT:
            set_uint(kf, k->group, k->name, *(const guint *)field);
            break;
        case PROTO_KEY_BOOL:
            g_key_file_set_string(kf, k->group, k->name, *(const gboolean *)field ? "on" : "off");
            break;
        case PROTO_KEY_TIME:
            set_time(kf, k->group, k->name, *(const SimTime *)field);
            break;
        case PROTO_KEY_RANGE:
            set_range(kf, k->group, k->name, *(const SimRange *)field);
            break;
        case PROTO_KEY_ENUM:
            g_key_file_set_string(kf, k->group, k->name, k->choices[*(const guint *)field]);
            break;
        }
    }
}

static const char *role_text(NodeRole r)
{
    return node_role_name(r);
}

static char *groups_text(const WorldConfig *c, const FaultSpec *f)
{
    GString *s = g_string_new(NULL);
    guint ngroups = 0;
    for (guint id = 0; id < world_config_endpoint_count(c); id++)
        ngroups = MAX(ngroups, endpoint_groups_of(&f->groups, (EndpointId)id) + 1u);
    ngroups = MAX(ngroups, 2u);
    for (guint gi = 0; gi < ngroups; gi++) {
        EndpointMask mask = {0};
        for (guint id = 0; id < world_config_endpoint_count(c); id++)
            if (endpoint_groups_of(&f->groups, (EndpointId)id) == gi)
                endpoint_mask_add(&mask, (EndpointId)id);
        g_autofree char *names = names_of(c, &mask, FALSE);
        endpoint_mask_clear(&mask);
        g_string_append_printf(s, "%s%s", gi ? " | " : "", names);
    }
    return g_string_free(s, FALSE);
}

/* One parameter of a fault, as the loader reads it back. */
static void write_param(GKeyFile *kf, const WorldConfig *c, const char *g, const FaultSpec *f,
                        FaultParam p)
{
    const char *key = fault_param_key(p);
    g_autofree char *text = NULL;
    switch (p) {
    case FAULT_PARAM_MODE:
        text = g_strdup(f->power ? "power" : "process");
        break;
    case FAULT_PARAM_RESTART_AFTER:
        if (f->restart_after != SIM_TIME_NEVER)
            set_time(kf, g, key, f->restart_after);
        return;
    case FAULT_PARAM_GROUPS:
        text = groups_text(c, f);
        break;
    case FAULT_PARAM_FROM:
        text = names_of(c, &f->from_mask, FALSE);
        break;
    case FAULT_PARAM_TO:
        text = names_of(c, &f->to_mask, FALSE);
        break;
    case FAULT_PARAM_LINK: {
        g_autofree char *from = names_of(c, &f->from_mask, TRUE);
        g_autofree char *to = names_of(c, &f->to_mask, TRUE);
        text = g_strdup_printf("%s->%s", from, to);
        break;
    }
    case FAULT_PARAM_PROBABILITY:
        text = probability_text(f->num, f->den);
        break;
    case FAULT_PARAM_LATENCY:
        set_range(kf, g, key, f->latency);
        return;
    case FAULT_PARAM_ERRNO:
        text = g_strdup(f->err == ENOSPC ? "ENOSPC" : "EIO");
        break;
    case FAULT_PARAM_COUNT:
        set_uint(kf, g, key, f->count);
        return;
    case FAULT_PARAM_OFFSET:
        set_time(kf, g, key, f->offset);
        return;
    case FAULT_PARAM_FILE:
        if (f->file_text)
            g_key_file_set_string(kf, g, key, f->file_text);
        return;
    case FAULT_PARAM_KEEP:
        if (f->keep != DISK_KEEP_RANDOM)
            g_key_file_set_string(kf, g, key, disk_keep_name(f->keep));
        return;
    default:
        g_assert_not_reached();
    }
    g_key_file_set_string(kf, g, key, text);
}

static void write_fault(GKeyFile *kf, const WorldConfig *c, const FaultSpec *f)
{
    g_autofree char *g = g_strdup_printf("fault %s", f->name);
    if (f->trigger == TRIG_AT) {
        set_time(kf, g, "at", f->at);
    } else {
        g_autofree char *on = f->trigger == TRIG_MARK
                                  ? g_strconcat("mark:", c->protocol->marks[f->mark].name, NULL)
                                  : g_strdup(protocol_failpoint_name(c->protocol, f->fp));
        g_key_file_set_string(kf, g, "on", on);
        if (f->nth != 1)
            set_uint(kf, g, "nth", f->nth);
    }
    g_key_file_set_string(kf, g, "kind", fault_kind_name(f->kind));
    if (f->target == TARGET_NODE) {
        g_autofree char *name = world_config_endpoint_name(c, f->node);
        g_key_file_set_string(kf, g, "node", name);
    } else if (f->target == TARGET_ROLE) {
        g_key_file_set_string(kf, g, "node", role_text(f->role));
    } else if (f->target == TARGET_ANY) {
        g_key_file_set_string(kf, g, "node", "any");
    }
    for (const FaultParamUse *u = fault_kind_info(f->kind)->params; u->param; u++)
        write_param(kf, c, g, f, u->param);
    gboolean lasting = fault_kind_info(f->kind)->lasting;
    if (lasting && f->duration > 0)
        set_time(kf, g, "for", f->duration);
}

static void write_expect(GKeyFile *kf, const Expect *e)
{
    const char *g = "expect";
    if (e->has_violations) {
        g_autofree char *v = violation_set_format(e->violations);
        g_key_file_set_string(kf, g, "violations", v);
    }
    if (e->has_include) {
        g_autofree char *v = violation_set_format(e->include);
        g_key_file_set_string(kf, g, "violations.include", v);
    }
    for (guint i = 0; i < e->ops->len; i++) {
        const ExpectOp *x = g_ptr_array_index(e->ops, i);
        if (x->has_outcome) {
            g_autofree char *k = g_strdup_printf("op.%s", x->op);
            g_key_file_set_string(kf, g, k, outcome_name(x->outcome));
        }
        if (x->has_latency) {
            g_autofree char *k = g_strdup_printf("op.%s.latency", x->op);
            set_range(kf, g, k, x->latency);
        }
        if (x->has_siblings) {
            g_autofree char *k = g_strdup_printf("op.%s.siblings", x->op);
            set_int(kf, g, k, x->siblings);
        }
    }
    const struct {
        const char *key;
        gint64 v;
    } counts[] = {
        {"acked", e->acked},     {"failed", e->failed},         {"indeterminate", e->indeterminate},
        {"orphans", e->orphans}, {"duplicates", e->duplicates}, {"lost_updates", e->lost_updates}};
    for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
        if (counts[i].v >= 0)
            set_int(kf, g, counts[i].key, counts[i].v);
    for (guint i = 0; i < e->finals->len; i++) {
        const ExpectFinal *f = g_ptr_array_index(e->finals, i);
        g_autofree char *k = g_strdup_printf("final.%s", f->key);
        if (f->present)
            set_int(kf, g, k, f->value);
        else
            g_key_file_set_string(kf, g, k, "absent");
    }
}

char *scenario_to_data(const Scenario *s)
{
    const WorldConfig *c = &s->config;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_string(kf, "scenario", "name", s->name);
    g_key_file_set_string(kf, "scenario", "summary", s->summary);
    g_key_file_set_string(kf, "scenario", "protocol", c->protocol->name);
    set_uint(kf, "scenario", "seed", c->seed);
    set_time(kf, "scenario", "duration", c->duration);
    set_time(kf, "scenario", "settle", c->settle);
    if (c->bugs) {
        g_autofree char *b = protocol_bug_set_format(c->protocol, c->bugs);
        g_key_file_set_string(kf, "scenario", "bugs", b);
    }
    const char *g = "cluster";
    set_uint(kf, g, "nodes", c->nodes);
    g_key_file_set_string(kf, g, "fs", fs_profile_name(c->fs));
    g_key_file_set_string(kf, g, "kernel", fs_kernel_name(c->kernel));
    set_uint(kf, g, "disk.atomic_write", c->disk_atomic_write);
    set_range(kf, g, "net.latency", c->net_latency);
    set_range(kf, g, "disk.write_latency", c->disk_write_latency);
    set_range(kf, g, "disk.fsync_latency", c->disk_fsync_latency);
    set_time(kf, g, "request_timeout", c->request_timeout);
    write_proto_keys(kf, c);
    g = "workload";
    set_uint(kf, g, "clients", c->clients);
    set_uint(kf, g, "ops", c->ops);
    set_uint(kf, g, "keys", c->keys);
    GString *mix = g_string_new(NULL);
    for (int k = 0; k < OP_NOOP; k++)
        if (c->mix[k])
            g_string_append_printf(mix, "%s%s:%u", mix->len ? " " : "", op_kind_name((OpKind)k),
                                   c->mix[k]);
    if (mix->len)
        g_key_file_set_string(kf, g, "mix", mix->str);
    g_string_free(mix, TRUE);
    set_time(kf, g, "client.timeout", c->client_timeout);
    set_uint(kf, g, "client.retries", c->client_retries);
    for (guint i = 0; i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        g_autofree char *og = g_strdup_printf("op %s", op->name);
        set_time(kf, og, "at", op->at);
        g_autofree char *client = g_strdup_printf("c%u", op->client + 1);
        g_key_file_set_string(kf, og, "client", client);
        g_key_file_set_string(kf, og, "kind", op_kind_name(op->kind));
        if (op_kind_is_admin(op->kind)) {
            if (op->value >= 0) {
                g_autofree char *server = world_config_endpoint_name(c, (EndpointId)op->value);
                g_key_file_set_string(kf, og, "server", server);
            }
            continue;
        }
        g_key_file_set_string(kf, og, "key", op->key);
        if (op->kind == OP_PUT || op->kind == OP_ADD)
            set_int(kf, og, "value", op->value);
        if (op->idempotency)
            g_key_file_set_string(kf, og, "idempotency", op->idempotency);
    }
    for (guint i = 0; i < s->faults.faults->len; i++)
        write_fault(kf, c, g_ptr_array_index(s->faults.faults, i));
    if (s->expect.present)
        write_expect(kf, &s->expect);
    return g_key_file_to_data(kf, NULL, NULL);
}

gboolean scenario_save(const Scenario *s, const char *path, GError **error)
{
    g_autofree char *data = scenario_to_data(s);
    return g_file_set_contents(path, data, -1, error);
}
