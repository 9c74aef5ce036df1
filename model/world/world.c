/* model/world/world.c — building and tearing down a world, its key table, accessors and trace
 * rendering. The network lives in net.c, node runtimes in node.c, clients in client.c.
 *
 * Invariants: endpoints 0..nodes-1 are storage nodes (quorum) or servers (raft), then quorum
 * coordinators, then clients; only storage nodes and raft servers have disks; the key table is
 * fixed once the world starts.
 */
#include "model/world/world_internal.h"
#include "model/protocol.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- keys and idempotency names ---- */

KeyId world_key_intern(World *w, const char *name)
{
    gpointer found = g_hash_table_lookup(w->key_index, name);
    if (found)
        return (KeyId)(GPOINTER_TO_UINT(found) - 1);
    g_assert(!w->started);
    char *copy = g_strdup(name);
    g_ptr_array_add(w->key_names, copy);
    KeyId id = w->key_names->len - 1;
    g_hash_table_insert(w->key_index, copy, GUINT_TO_POINTER(id + 1));
    uint64_t h = sim_hash_string(name);
    g_array_append_val(w->key_hashes, h);
    return id;
}

static IdemKey intern_idem(World *w, const char *name)
{
    gpointer found = g_hash_table_lookup(w->idem_index, name);
    if (found)
        return ((IdemKey)1 << 63) | (IdemKey)(GPOINTER_TO_UINT(found) - 1);
    char *copy = g_strdup(name);
    g_ptr_array_add(w->idem_names, copy);
    guint id = w->idem_names->len - 1;
    g_hash_table_insert(w->idem_index, copy, GUINT_TO_POINTER(id + 1));
    return ((IdemKey)1 << 63) | id;
}

const char *world_idem_name(const World *w, IdemKey idem, char *buf, gsize size)
{
    if (idem == IDEM_NONE)
        g_snprintf(buf, size, "-");
    else if (idem >> 63)
        g_snprintf(buf, size, "%s",
                   (const char *)g_ptr_array_index(w->idem_names, (guint)(idem & 0xffffffffu)));
    else
        g_snprintf(buf, size, "c%u#%u", (unsigned)(idem >> 32), (unsigned)(idem & 0xffffffffu));
    return buf;
}

/* ---- construction ---- */

static const ProtoOps *ops_for(const WorldConfig *c, EndpointId id)
{
    const Protocol *p = c->protocol;
    guint kind = protocol_kind_of(p, c, id);
    return kind < p->n_kinds ? p->kinds[kind].ops : NULL;
}

const MsgOps *world_msg_ops(const World *w)
{
    return w->config->protocol->msg;
}

static void on_durable(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                       const DiskBlock *neu, DiskChange cause);

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

    /* Keys: the random key space first, then scripted keys in file order. */
    for (guint k = 0; k < config->keys; k++) {
        char name[32];
        g_snprintf(name, sizeof name, "k%u", k);
        world_key_intern(w, name);
    }
    for (guint i = 0; i < config->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(config->scripted, i);
        if (op->key)
            world_key_intern(w, op->key);
        if (op->idempotency)
            intern_idem(w, op->idempotency);
    }
    world_key_intern(w, "_probe");

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
        n->timers = g_array_new(FALSE, TRUE, sizeof(TimerSlot));
        sim_rng_stream(&n->rng, config->seed, "node", id);
        sim_rng_stream(&n->disk_rng, config->seed, "disk", id + 1u);
        action_list_init(&n->stashed);
        n->disk_ring = NULL;
        g_queue_init(&n->deferred);
        if (n->has_disk) {
            n->disk = disk_new_shared(config->fs, n->ops->nfiles, w->blocks);
            disk_set_kernel(n->disk, config->kernel);
            disk_set_atomic_write(n->disk, config->disk_atomic_write);
            disk_set_observer(n->disk, on_durable, n);
        }
    }
    w->nclients = config->clients;
    w->clients = g_new0(Client *, w->nclients);
    guint first_client = world_config_server_count(config);
    for (guint i = 0; i < w->nclients; i++) {
        Endpoint *n = &w->ep[first_client + i];
        n->client = client_new(w, i, n->id);
        n->up = TRUE; /* clients never crash */
        n->incarnation = 1;
        w->clients[i] = n->client;
    }
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
        node_free(n);
        if (n->disk)
            disk_free(n->disk);
        if (n->client)
            client_free(n->client);
        g_array_free(n->timers, TRUE);
        action_list_clear(&n->stashed);
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

void world_set_observer(World *w, const WorldObserver *obs, void *ctx)
{
    w->obs = *obs;
    w->obs_ctx = ctx;
}

void world_set_failpoint_hook(World *w, WorldFailpointFn fn, void *ctx)
{
    w->fp_hook = fn;
    w->fp_ctx = ctx;
}

/* ---- trace ---- */

gboolean world_wants_detail(const World *w)
{
    return w->want_details;
}

void world_set_detail(World *w, char *detail)
{
    g_free(w->pending_detail);
    w->pending_detail = detail;
}

void world_emit_detailed(World *w, SimTraceKind kind, uint16_t sub, EndpointId node,
                         EndpointId peer, uint64_t a, uint64_t b)
{
    if (G_UNLIKELY(w->details != NULL)) {
        g_ptr_array_add(w->details, w->pending_detail);
        w->pending_detail = NULL;
    }
    sim_trace_emit(&w->trace, sim_queue_now(w->queue), kind, sub, node, peer, a, b);
    if (G_UNLIKELY(w->pending_detail != NULL)) {
        g_free(w->pending_detail);
        w->pending_detail = NULL;
    }
}

static const char *drop_reason_name(uint64_t reason)
{
    switch (reason) {
    case DROP_PARTITION:
        return "partition";
    case DROP_RULE:
        return "drop fault";
    case DROP_CRASHED:
        return "destination down";
    case DROP_RESTARTED:
        return "destination restarted";
    case DROP_SENDER_DOWN:
        return "sender down";
    default:
        return "?";
    }
}

/* The result of a disk operation as the trace shows it. */
static const char *errno_name(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case EIO:
        return "EIO";
    case ENOSPC:
        return "ENOSPC";
    case EROFS:
        return "EROFS";
    case ENOENT:
        return "ENOENT";
    case EEXIST:
        return "EEXIST";
    case EBADF:
        return "EBADF";
    case EISDIR:
        return "EISDIR";
    case ENOTDIR:
        return "ENOTDIR";
    case ENOTEMPTY:
        return "ENOTEMPTY";
    case EXDEV:
        return "EXDEV";
    case EINVAL:
        return "EINVAL";
    default:
        return "error";
    }
}

static const char *diskop_name(uint16_t op)
{
    static const char *names[] = {"?",     "write", "truncate", "fsync",  "read",     "open",
                                  "close", "mkdir", "unlink",   "rename", "fdatasync"};
    return op < G_N_ELEMENTS(names) ? names[op] : "?";
}

static const char *names_key(const void *ctx, KeyId key)
{
    return world_key_name(ctx, key);
}

static const char *names_endpoint(const void *ctx, EndpointId id)
{
    return world_endpoint_name(ctx, id);
}

static const char *names_idem(const void *ctx, IdemKey idem, char *buf, gsize size)
{
    return world_idem_name(ctx, idem, buf, size);
}

char *world_describe_msg(const World *w, const Msg *m)
{
    MsgNames names = {w, names_key, names_endpoint, names_idem};
    return msg_describe(world_msg_ops(w), m, &names);
}

static void render(void *ctx, const SimTraceRecord *r, GString *out)
{
    const World *w = ctx;
    char when[32];
    g_string_append_printf(out, "%12s  ", sim_time_format_human(r->time, when, sizeof when));
    const char *node = r->node < w->nendpoints ? w->ep[r->node].name : "-";
    const char *peer = r->peer < w->nendpoints ? w->ep[r->peer].name : "-";
    switch (r->kind) {
    case SIM_TR_SEND:
        g_string_append_printf(out, "%-4s -> %-4s send #%" G_GUINT64_FORMAT " %s", node, peer, r->a,
                               msg_type_name(world_msg_ops(w), r->sub));
        break;
    case SIM_TR_DELIVER:
        g_string_append_printf(out, "%-4s <- %-4s deliver #%" G_GUINT64_FORMAT " %s", node, peer,
                               r->a, msg_type_name(world_msg_ops(w), r->sub));
        break;
    case SIM_TR_DROP:
        g_string_append_printf(out, "%-4s -x %-4s drop #%" G_GUINT64_FORMAT " %s (%s)", node, peer,
                               r->a, msg_type_name(world_msg_ops(w), r->sub),
                               drop_reason_name(r->b));
        break;
    case SIM_TR_DISK_OP:
        g_string_append_printf(out, "%-12s disk %s file=%" G_GUINT64_FORMAT, node,
                               diskop_name(r->sub), r->a);
        if (r->sub == DISKOP_READ && (r->b >> 32) > 0)
            g_string_append_printf(out, " blocks=%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                                   r->b & 0xffffffffu, (r->b & 0xffffffffu) + (r->b >> 32));
        else if (r->sub == DISKOP_WRITE || r->sub == DISKOP_TRUNCATE || r->sub == DISKOP_READ)
            g_string_append_printf(out, " %s=%" G_GUINT64_FORMAT,
                                   r->sub == DISKOP_TRUNCATE ? "length" : "block", r->b);
        break;
    case SIM_TR_DISK_DONE:
        g_string_append_printf(out, "%-12s disk %s done file=%" G_GUINT64_FORMAT " -> %s", node,
                               diskop_name(r->sub), r->a >> 32, errno_name((int)r->b));
        break;
    case SIM_TR_TIMER:
        g_string_append_printf(out, "%-12s timer %" G_GUINT64_FORMAT " fired", node, r->a);
        break;
    case SIM_TR_FAULT:
        g_string_append_printf(out, "%-12s FAULT %s", node, fault_kind_name(r->sub));
        if (r->sub == FAULT_CRASH)
            g_string_append(out, r->a ? " (power)" : " (process)");
        break;
    case SIM_TR_INVOKE:
        g_string_append_printf(out, "%-12s invoke op %" G_GUINT64_FORMAT " %s %s", node, r->a,
                               op_kind_name(r->sub),
                               !op_kind_is_admin(r->sub) ? world_key_name(w, (KeyId)r->b)
                               : r->b < w->nendpoints    ? world_endpoint_name(w, (EndpointId)r->b)
                                                         : "any");
        break;
    case SIM_TR_COMPLETE:
        g_string_append_printf(out, "%-12s complete op %" G_GUINT64_FORMAT " %s", node, r->a,
                               outcome_name(r->sub));
        break;
    case SIM_TR_FAILPOINT:
        g_string_append_printf(out, "%-12s failpoint %s", node,
                               protocol_failpoint_name(w->config->protocol, r->sub));
        break;
    case SIM_TR_NOTE:
        g_string_append_printf(out, "%-12s %s", node, note_kind_name(r->sub));
        if (r->sub == NOTE_ROLE)
            g_string_append_printf(out, " %s term=%" G_GUINT64_FORMAT,
                                   node_role_name((NodeRole)r->a), r->b);
        else
            g_string_append_printf(out, " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, r->a, r->b);
        break;
    default:
        g_string_append_printf(out, "kind=%u", r->kind);
    }
    if (w->details && w->trace.keep) {
        guint idx = w->trace.keep->len - 1;
        if (idx < w->details->len && g_ptr_array_index(w->details, idx))
            g_string_append_printf(out, "  [%s]", (const char *)g_ptr_array_index(w->details, idx));
    }
}

void world_set_invariants(World *w, gboolean thorough)
{
    w->thorough = thorough;
    sim_queue_set_checking(w->queue, thorough);
    for (EndpointId id = 0; id < w->nendpoints; id++)
        if (w->ep[id].disk)
            disk_set_checking(w->ep[id].disk, thorough);
}

void world_keep_trace(World *w, gboolean keep)
{
    sim_trace_keep(&w->trace, keep);
    sim_trace_set_renderer(&w->trace, render, w);
    if (keep && !w->details)
        w->details = g_ptr_array_new_with_free_func(g_free);
    w->want_details = keep || w->trace.print_to != NULL;
}

void world_print_trace(World *w, FILE *out)
{
    sim_trace_set_renderer(&w->trace, render, w);
    sim_trace_print_to(&w->trace, out);
    if (out && !w->details) {
        /* Printing wants details too; keep them aligned with records. */
        w->details = g_ptr_array_new_with_free_func(g_free);
        sim_trace_keep(&w->trace, TRUE);
    }
    w->want_details = TRUE;
}

const char *world_trace_detail(const World *w, guint index)
{
    if (!w->details || index >= w->details->len)
        return NULL;
    return g_ptr_array_index(w->details, index);
}

const GArray *world_trace_records(const World *w)
{
    return sim_trace_records(&w->trace);
}

char *world_render_record(const World *w, const SimTraceRecord *rec)
{
    GString *s = g_string_new(NULL);
    World *mw = (World *)w;
    /* Render without the detail lookup of the latest record. */
    GPtrArray *details = mw->details;
    mw->details = NULL;
    render(mw, rec, s);
    mw->details = details;
    return g_string_free(s, FALSE);
}

/* ---- disk observation ---- */

static void on_durable(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                       const DiskBlock *neu, DiskChange cause)
{
    Endpoint *n = ctx;
    World *w = n->world;
    if (w->obs.durable)
        w->obs.durable(w->obs_ctx, w, n->id, file, idx, old, neu, cause);
}

/* ---- run ---- */

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

SimRunResult world_run_until(World *w, SimTime until)
{
    return sim_queue_run(w->queue, until, 0);
}

/* ---- accessors ---- */

SimQueue *world_queue(World *w)
{
    return w->queue;
}
SimTrace *world_trace(World *w)
{
    return &w->trace;
}
SimTime world_now(const World *w)
{
    return sim_queue_now(w->queue);
}
const WorldConfig *world_config(const World *w)
{
    return w->config;
}
History *world_history(World *w)
{
    return &w->history;
}
guint world_endpoint_count(const World *w)
{
    return w->nendpoints;
}
const char *world_endpoint_name(const World *w, EndpointId id)
{
    return id < w->nendpoints ? w->ep[id].name : "-";
}
gboolean world_is_node(const World *w, EndpointId id)
{
    return id < w->nendpoints && w->ep[id].has_disk;
}
gboolean world_is_server(const World *w, EndpointId id)
{
    return id < w->nendpoints && !w->ep[id].is_client;
}
gboolean world_is_up(const World *w, EndpointId id)
{
    return id < w->nendpoints && w->ep[id].up;
}
gboolean world_is_paused(const World *w, EndpointId id)
{
    return id < w->nendpoints && w->ep[id].paused;
}
NodeRole world_role(const World *w, EndpointId id)
{
    const Endpoint *n = &w->ep[id];
    if (n->is_client)
        return ROLE_CLIENT;
    if (!n->up || !n->proto)
        return ROLE_NONE;
    return n->ops->role(n->proto);
}
BlockStore *world_block_store(World *w)
{
    return w->blocks;
}

Disk *world_disk(World *w, EndpointId id)
{
    return id < w->nendpoints ? w->ep[id].disk : NULL;
}
guint world_key_count(const World *w)
{
    return w->key_names->len;
}
const char *world_op_about(const World *w, const HistOp *op)
{
    if (!op_kind_is_admin((OpKind)op->kind))
        return world_key_name(w, op->key);
    return op->value >= 0 && op->value < (Value)w->nendpoints
               ? world_endpoint_name(w, (EndpointId)op->value)
               : "any";
}

const char *world_key_name(const World *w, KeyId key)
{
    if (key >= w->key_names->len)
        return "?";
    return g_ptr_array_index(w->key_names, key);
}
gboolean world_key_lookup(const World *w, const char *name, KeyId *out)
{
    gpointer found = g_hash_table_lookup(w->key_index, name);
    if (!found)
        return FALSE;
    *out = (KeyId)(GPOINTER_TO_UINT(found) - 1);
    return TRUE;
}
uint64_t world_key_hash(const World *w, KeyId key)
{
    return g_array_index(w->key_hashes, uint64_t, key);
}
const WorldStats *world_stats(const World *w)
{
    return &w->stats;
}

guint world_stats_costs(const WorldStats *s, const Protocol *p, ProtoCost *out)
{
    if (!p->costs)
        return 0;
    guint n = p->costs(s->marks, s->msgs_by_type, s->bytes_by_type, out);
    g_assert(n <= PROTO_MAX_COSTS);
    return n;
}

char *world_stats_costs_line(const WorldStats *s, const Protocol *p)
{
    ProtoCost costs[PROTO_MAX_COSTS];
    guint n = world_stats_costs(s, p, costs);
    if (n == 0)
        return NULL;
    GString *line = g_string_new(NULL);
    if (p->costs_describe) {
        p->costs_describe(costs, n, line);
    } else {
        for (guint i = 0; i < n; i++)
            g_string_append_printf(line, "%s%s=%" G_GUINT64_FORMAT, i ? " " : "", costs[i].name,
                                   costs[i].value);
    }
    return g_string_free(line, FALSE);
}
gboolean world_workload_done(const World *w)
{
    return w->ops_outstanding == 0;
}
SimTime world_last_completion(const World *w)
{
    return w->last_completion;
}
gboolean world_op_done(const World *w, uint32_t id)
{
    return history_op(&w->history, id)->outcome != OUTCOME_PENDING;
}

IdemKey world_intern_idem(World *w, const char *name)
{
    return intern_idem(w, name);
}
