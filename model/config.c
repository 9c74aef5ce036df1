/* model/config.c — defaults, validation and endpoint naming of a world's configuration. */
#include "model/config.h"

#include "model/protocol.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(durasim - config - error, config_error)

void world_config_init(WorldConfig *c, const Protocol *protocol)
{
    g_assert(protocol != NULL && protocol->config_size <= PROTO_CONFIG_BYTES);
    *c = (WorldConfig){0};
    c->protocol = protocol;
    c->seed = 1;
    c->duration = 60 * SIM_SEC;
    c->settle = 5 * SIM_SEC;
    c->nodes = 3;
    c->fs = FS_EXT4_ORDERED;
    c->kernel = FS_KERNEL_4_16;
    c->disk_atomic_write = 512;
    c->net_latency = sim_range(1 * SIM_MS, 5 * SIM_MS);
    c->disk_write_latency = sim_range(10 * SIM_US, 50 * SIM_US);
    c->disk_fsync_latency = sim_range(1 * SIM_MS, 5 * SIM_MS);
    c->request_timeout = 1 * SIM_SEC;
    c->clients = 1;
    c->ops = 0;
    c->keys = 8;
    c->mix[OP_PUT] = 100;
    c->client_timeout = 2 * SIM_SEC;
    c->client_retries = 2;
    c->scripted = g_ptr_array_new_with_free_func((GDestroyNotify)scripted_op_free);
    protocol->config_defaults(c);
}

const char *world_config_protocol_name(const WorldConfig *c)
{
    return c->protocol->name;
}

void world_config_clear(WorldConfig *c)
{
    if (c->scripted)
        g_ptr_array_unref(c->scripted);
    c->scripted = NULL;
}

ScriptedOp *scripted_op_new(void)
{
    return g_new0(ScriptedOp, 1);
}

void scripted_op_free(ScriptedOp *op)
{
    if (op == NULL)
        return;
    g_free(op->name);
    g_free(op->key);
    g_free(op->idempotency);
    g_free(op);
}

void world_config_copy(WorldConfig *out, const WorldConfig *in)
{
    *out = *in;
    out->scripted = g_ptr_array_new_with_free_func((GDestroyNotify)scripted_op_free);
    for (guint i = 0; in->scripted && i < in->scripted->len; i++) {
        const ScriptedOp *src = g_ptr_array_index(in->scripted, i);
        ScriptedOp *op = scripted_op_new();
        *op = *src;
        op->name = g_strdup(src->name);
        op->key = g_strdup(src->key);
        op->idempotency = g_strdup(src->idempotency);
        g_ptr_array_add(out->scripted, op);
    }
}

gboolean world_config_fail(GError **error, const char *group, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CONFIG_ERROR, 0, "[%s] %s: %s", group, key, msg);
    return FALSE;
}

SimTime world_config_final_patience(const WorldConfig *c)
{
    return c->protocol->final_patience(c);
}

SimTime world_config_final_deadline(const WorldConfig *c, SimTime invoke)
{
    return invoke + world_config_final_patience(c) +
           (SimTime)(c->client_retries + 1) *
               (c->client_timeout + c->protocol->client_backoff(c).hi);
}

gboolean world_config_validate(const WorldConfig *c, GError **error)
{
    guint max_nodes = MIN(c->protocol->max_nodes, WORLD_MAX_NODES);
    if (c->nodes < 1 || c->nodes > max_nodes)
        return world_config_fail(error, "cluster", "nodes", "must be 1..%u for %s, not %u",
                                 max_nodes, protocol_name(c->protocol), c->nodes);
    if (!c->protocol->config_validate(c, error))
        return FALSE;
    if (c->clients < 1 || c->clients > WORLD_MAX_CLIENTS)
        return world_config_fail(error, "workload", "clients", "must be 1..%u, not %u",
                                 WORLD_MAX_CLIENTS, c->clients);
    if (c->ops > WORLD_MAX_OPS)
        return world_config_fail(error, "workload", "ops", "must be 0..%u, not %u", WORLD_MAX_OPS,
                                 c->ops);
    if (world_config_endpoint_count(c) > WORLD_MAX_ENDPOINTS)
        return world_config_fail(error, "workload", "clients",
                                 "too many endpoints in all (%u > %d)",
                                 world_config_endpoint_count(c), WORLD_MAX_ENDPOINTS);
    if (c->keys < 1 || c->keys > 1000000)
        return world_config_fail(error, "workload", "keys", "must be 1..1000000, not %u", c->keys);
    guint weight = 0;
    for (int k = 0; k < OP_KIND_COUNT; k++)
        weight += c->mix[k];
    if (c->ops > 0 && weight == 0)
        return world_config_fail(error, "workload", "mix",
                                 "needs at least one operation with a weight");
    if (c->duration <= 0)
        return world_config_fail(error, "scenario", "duration", "must be positive");
    if (c->request_timeout <= 0)
        return world_config_fail(error, "cluster", "request_timeout", "must be positive");
    if (c->client_timeout <= 0)
        return world_config_fail(error, "workload", "client.timeout", "must be positive");
    if (c->net_latency.hi == 0)
        return world_config_fail(error, "cluster", "net.latency", "must be positive");
    if (c->client_retries > 100)
        return world_config_fail(error, "workload", "client.retries", "must be 0..100, not %u",
                                 c->client_retries);
    for (guint i = 0; c->scripted && i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        if (op->client >= c->clients) {
            g_autofree char *group = g_strdup_printf("op %s", op->name);
            return world_config_fail(error, group, "client", "c%u does not exist (clients = %u)",
                                     op->client + 1, c->clients);
        }
    }
    return TRUE;
}

guint world_config_node_count(const WorldConfig *c)
{
    return c->nodes;
}

guint world_config_server_count(const WorldConfig *c)
{
    const Protocol *p = c->protocol;
    return protocol_kind_first(p, c, p->n_kinds);
}

guint world_config_endpoint_count(const WorldConfig *c)
{
    return world_config_server_count(c) + c->clients;
}

char *world_config_endpoint_name(const WorldConfig *c, EndpointId id)
{
    const Protocol *p = c->protocol;
    guint kind = protocol_kind_of(p, c, id);
    guint base = protocol_kind_first(p, c, kind);
    if (kind < p->n_kinds)
        return g_strdup_printf("%s%u", p->kinds[kind].prefix, id - base + 1u);
    if (id < base + c->clients)
        return g_strdup_printf("c%u", id - base + 1u);
    return g_strdup_printf("?%u", id);
}

/* Parses the 1-based number after a prefix: 1..count. */
static gboolean parse_numbered(const char *name, const char *prefix, guint count, guint *out)
{
    gsize plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0)
        return FALSE;
    const char *digits = name + plen;
    if (!g_ascii_isdigit(*digits) || *digits == '0')
        return FALSE;
    char *end;
    unsigned long n = strtoul(digits, &end, 10);
    if (*end != '\0' || n < 1 || n > count)
        return FALSE;
    *out = (guint)n - 1u;
    return TRUE;
}

gboolean world_config_endpoint_parse(const WorldConfig *c, const char *name, EndpointId *out)
{
    const Protocol *p = c->protocol;
    guint n;
    for (guint k = 0; k < p->n_kinds; k++) {
        if (parse_numbered(name, p->kinds[k].prefix, protocol_kind_count(p, c, k), &n)) {
            *out = (EndpointId)(protocol_kind_first(p, c, k) + n);
            return TRUE;
        }
    }
    if (parse_numbered(name, "c", c->clients, &n)) {
        *out = (EndpointId)(world_config_server_count(c) + n);
        return TRUE;
    }
    return FALSE;
}
