/* model/world/assemble.c — a world from its parts: builds one from its config (the key table,
 * the endpoints with their node runtimes or clients), wires each endpoint's `receive` for the
 * network (node_receive or client_receive), starts it and frees it.
 *
 * This is the top of the world's files: it uses node.c, client.c, net.c and world.c, and none
 * of them uses it (see world_internal.h for the layers).
 */
#include "model/protocol.h"
#include "model/world/client.h"
#include "model/world/net.h"
#include "model/world/node.h"

static const ProtoOps *ops_for(const WorldConfig *c, EndpointId id)
{
    const Protocol *p = c->protocol;
    guint kind = protocol_kind_of(p, c, id);
    return kind < p->n_kinds ? p->kinds[kind].ops : NULL;
}

/* Keys: the random key space first, then scripted keys in file order, then the probe's. */
static void intern_keys(World *w, const WorldConfig *config)
{
    for (guint k = 0; k < config->keys; k++) {
        char name[32];
        g_snprintf(name, sizeof name, "k%u", k);
        world_key_intern(w, name);
    }
    for (guint i = 0; i < config->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(config->scripted, i);
        if (op->key) /* an operation on the cluster names no key */
            world_key_intern(w, op->key);
        if (op->idempotency)
            world_intern_idem(w, op->idempotency);
    }
    world_key_intern(w, "_probe");
}

/* The endpoints: nodes with their runtimes first, then the clients (which never crash). */
static void add_endpoints(World *w, const WorldConfig *config)
{
    w->nendpoints = world_config_endpoint_count(config);
    w->ep = g_new0(Endpoint, w->nendpoints);
    for (EndpointId id = 0; id < w->nendpoints; id++) {
        Endpoint *n = &w->ep[id];
        n->world = w;
        n->id = id;
        n->name = world_config_endpoint_name(config, id);
        n->ops = ops_for(config, id);
        n->is_client = n->ops == NULL;
        n->has_disk = id < config->nodes;
        if (!n->is_client) {
            node_init(w, n);
            n->receive = node_receive;
        }
    }
    w->nclients = config->clients;
    w->clients = g_new0(Client *, w->nclients);
    guint first_client = world_config_server_count(config);
    for (guint i = 0; i < w->nclients; i++) {
        Endpoint *n = &w->ep[first_client + i];
        g_assert(n->is_client);
        n->client = client_new(w, i, n->id);
        n->receive = client_receive;
        n->up = TRUE;
        n->incarnation = 1;
        w->clients[i] = n->client;
    }
}

World *world_new(const WorldConfig *config)
{
    World *w = g_new0(World, 1);
    w->config = config;
    w->queue = sim_queue_new();
    w->blocks = block_store_new();
    sim_trace_init(&w->trace);
    history_init(&w->history);
    w->key_names = g_ptr_array_new_with_free_func(g_free);
    w->key_index = g_hash_table_new(g_str_hash, g_str_equal);
    w->key_hashes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    w->idem_names = g_ptr_array_new_with_free_func(g_free);
    w->idem_index = g_hash_table_new(g_str_hash, g_str_equal);
    w->rules = g_ptr_array_new_with_free_func(net_rule_entry_free);
    sim_rng_stream(&w->net_rng, config->seed, "network", 0);
    sim_rng_stream(&w->disk_rng, config->seed, "disk", 0);
    intern_keys(w, config);
    add_endpoints(w, config);
    for (guint i = 0; i < G_N_ELEMENTS(w->scratch); i++)
        action_list_init(&w->scratch[i]);
    return w;
}

void world_free(World *w)
{
    if (w == NULL)
        return;
    net_free_in_flight(w);
    for (EndpointId id = 0; id < w->nendpoints; id++) {
        Endpoint *n = &w->ep[id];
        if (n->is_client)
            client_free(n->client);
        else
            node_free(n);
        g_free(n->name);
    }
    if (w->proto_shared)
        w->config->protocol->shared_free(w->proto_shared);
    block_store_free(w->blocks);
    g_free(w->ep);
    g_free(w->read_blocks);
    g_free(w->read_results);
    g_free(w->clients);
    sim_queue_free(w->queue);
    for (guint i = 0; i < G_N_ELEMENTS(w->scratch); i++)
        action_list_clear(&w->scratch[i]);
    g_ptr_array_unref(w->rules);
    g_ptr_array_unref(w->key_names);
    g_hash_table_unref(w->key_index);
    g_array_free(w->key_hashes, TRUE);
    g_ptr_array_unref(w->idem_names);
    g_hash_table_unref(w->idem_index);
    if (w->details)
        g_ptr_array_unref(w->details);
    g_free(w->pending_detail);
    history_clear(&w->history);
    sim_trace_clear(&w->trace);
    g_free(w);
}

void world_start(World *w)
{
    g_assert(!w->started);
    w->started = TRUE;
    const Protocol *p = w->config->protocol;
    if (p->shared_new)
        w->proto_shared = p->shared_new(w->config, w->key_names->len,
                                        (const uint64_t *)(void *)w->key_hashes->data);
    node_boot_all(w);
    for (guint i = 0; i < w->nclients; i++)
        client_start(w, w->clients[i]);
}
