/* model/config.c — defaults, validation and endpoint naming of a world's configuration. */
#include "model/config.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(durasim - config - error, config_error)

const char *protocol_name(ProtocolKind p)
{
    return p == PROTO_QUORUM ? "quorum" : "raft";
}

gboolean protocol_parse(const char *text, ProtocolKind *out)
{
    if (strcmp(text, "quorum") == 0)
        *out = PROTO_QUORUM;
    else if (strcmp(text, "raft") == 0)
        *out = PROTO_RAFT;
    else
        return FALSE;
    return TRUE;
}

void world_config_init(WorldConfig *c, ProtocolKind protocol)
{
    *c = (WorldConfig){0};
    c->protocol = protocol;
    c->seed = 1;
    c->duration = 60 * SIM_SEC;
    c->settle = 5 * SIM_SEC;
    c->nodes = 3;
    c->coordinators = 1;
    c->replicas = 3;
    c->write_quorum = 0; /* 0: majority of N, resolved by validate's callers */
    c->read_quorum = 0;
    c->fs = FS_EXT4_ORDERED;
    c->net_latency = sim_range(1 * SIM_MS, 5 * SIM_MS);
    c->disk_write_latency = sim_range(10 * SIM_US, 50 * SIM_US);
    c->disk_fsync_latency = sim_range(1 * SIM_MS, 5 * SIM_MS);
    c->request_timeout = 1 * SIM_SEC;
    c->retry_attempts = 3;
    c->retry_backoff = sim_range(10 * SIM_MS, 200 * SIM_MS);
    c->election_timeout = sim_range(150 * SIM_MS, 300 * SIM_MS);
    c->heartbeat = 50 * SIM_MS;
    c->batch_entries = 1;
    c->batch_delay = 0;
    c->clients = 1;
    c->ops = 0;
    c->keys = 8;
    c->mix[OP_PUT] = 100;
    c->client_timeout = 2 * SIM_SEC;
    c->client_retries = 2;
    c->scripted = g_ptr_array_new_with_free_func((GDestroyNotify)scripted_op_free);
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

static gboolean fail(GError **error, const char *group, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean fail(GError **error, const char *group, const char *key, const char *fmt, ...)
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
    return 10 * MAX(c->request_timeout, c->election_timeout.hi);
}

SimTime world_config_final_deadline(const WorldConfig *c, SimTime invoke)
{
    return invoke + world_config_final_patience(c) +
           (SimTime)(c->client_retries + 1) * (c->client_timeout + c->retry_backoff.hi);
}

gboolean world_config_validate(const WorldConfig *c, GError **error)
{
    if (c->nodes < 1 || c->nodes > WORLD_MAX_NODES)
        return fail(error, "cluster", "nodes", "must be 1..%d, not %u", WORLD_MAX_NODES, c->nodes);
    if (c->protocol == PROTO_QUORUM) {
        if (c->coordinators < 1 || c->coordinators > 8)
            return fail(error, "cluster", "coordinators", "must be 1..8, not %u", c->coordinators);
        if (c->replicas < 1 || c->replicas > c->nodes)
            return fail(error, "cluster", "replicas", "N = %u must be 1..nodes (%u)", c->replicas,
                        c->nodes);
        if (c->write_quorum < 1 || c->write_quorum > c->replicas)
            return fail(error, "cluster", "write_quorum", "W = %u must be 1..N (%u)",
                        c->write_quorum, c->replicas);
        if (c->read_quorum < 1 || c->read_quorum > c->replicas)
            return fail(error, "cluster", "read_quorum", "R = %u must be 1..N (%u)", c->read_quorum,
                        c->replicas);
    }
    if (c->clients < 1 || c->clients > 64)
        return fail(error, "workload", "clients", "must be 1..64, not %u", c->clients);
    if (world_config_endpoint_count(c) > WORLD_MAX_ENDPOINTS)
        return fail(error, "workload", "clients", "too many endpoints in all (%u > %d)",
                    world_config_endpoint_count(c), WORLD_MAX_ENDPOINTS);
    if (c->keys < 1 || c->keys > 1000000)
        return fail(error, "workload", "keys", "must be 1..1000000, not %u", c->keys);
    guint weight = 0;
    for (int k = 0; k < OP_KIND_COUNT; k++)
        weight += c->mix[k];
    if (c->ops > 0 && weight == 0)
        return fail(error, "workload", "mix", "needs at least one operation with a weight");
    if (c->duration <= 0)
        return fail(error, "scenario", "duration", "must be positive");
    if (c->request_timeout <= 0)
        return fail(error, "cluster", "request_timeout", "must be positive");
    if (c->client_timeout <= 0)
        return fail(error, "workload", "client.timeout", "must be positive");
    if (c->heartbeat <= 0)
        return fail(error, "cluster", "heartbeat", "must be positive");
    if (c->election_timeout.lo <= c->heartbeat)
        return fail(error, "cluster", "election_timeout",
                    "must be longer than the heartbeat (%" G_GINT64_FORMAT "ns)", c->heartbeat);
    if (c->batch_entries < 1 || c->batch_entries > 4096)
        return fail(error, "cluster", "batch.entries", "must be 1..4096, not %u", c->batch_entries);
    if (c->net_latency.hi == 0)
        return fail(error, "cluster", "net.latency", "must be positive");
    if (c->retry_attempts > 100)
        return fail(error, "cluster", "retry.attempts", "must be 0..100, not %u",
                    c->retry_attempts);
    if (c->client_retries > 100)
        return fail(error, "workload", "client.retries", "must be 0..100, not %u",
                    c->client_retries);
    for (guint i = 0; c->scripted && i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        if (op->client >= c->clients) {
            g_autofree char *group = g_strdup_printf("op %s", op->name);
            return fail(error, group, "client", "c%u does not exist (clients = %u)", op->client + 1,
                        c->clients);
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
    return c->nodes + (c->protocol == PROTO_QUORUM ? c->coordinators : 0);
}

guint world_config_endpoint_count(const WorldConfig *c)
{
    return world_config_server_count(c) + c->clients;
}

char *world_config_endpoint_name(const WorldConfig *c, EndpointId id)
{
    guint servers = world_config_server_count(c);
    if (id < c->nodes)
        return g_strdup_printf("%s%u", c->protocol == PROTO_QUORUM ? "r" : "n", id + 1u);
    if (id < servers)
        return g_strdup_printf("co%u", id - c->nodes + 1u);
    if (id < servers + c->clients)
        return g_strdup_printf("c%u", id - servers + 1u);
    return g_strdup_printf("?%u", id);
}

gboolean world_config_endpoint_parse(const WorldConfig *c, const char *name, EndpointId *out)
{
    const char *prefix_node = c->protocol == PROTO_QUORUM ? "r" : "n";
    struct {
        const char *prefix;
        guint base;
        guint count;
    } kinds[] = {
        {prefix_node, 0, c->nodes},
        {"co", c->nodes, c->protocol == PROTO_QUORUM ? c->coordinators : 0},
        {"c", world_config_server_count(c), c->clients},
    };
    for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
        gsize plen = strlen(kinds[k].prefix);
        if (strncmp(name, kinds[k].prefix, plen) != 0)
            continue;
        const char *digits = name + plen;
        if (!g_ascii_isdigit(*digits) || *digits == '0')
            continue;
        char *end;
        unsigned long n = strtoul(digits, &end, 10);
        if (*end != '\0' || n < 1 || n > kinds[k].count)
            continue;
        *out = (EndpointId)(kinds[k].base + (guint)n - 1);
        return TRUE;
    }
    return FALSE;
}
