/* model/world/world.c — what every part of the world shares (world_internal.h): its key and
 * idempotency tables, the trace (emission, details and rendering), the observer and failpoint
 * hooks, and the accessors. It calls none of the parts: the network lives in net.c, node
 * runtimes in node.c, clients in client.c, and assemble.c builds, starts and frees a world.
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

IdemKey world_intern_idem(World *w, const char *name)
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

/* ---- protocol and hooks ---- */

const MsgOps *world_msg_ops(const World *w)
{
    return w->config->protocol->msg;
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

void world_watch_marks(World *w, const MarkId *marks, guint n, WorldMarkFn fn, void *ctx)
{
    g_assert(n <= WORLD_MAX_WATCHED_MARKS);
    for (guint i = 0; i < n; i++)
        g_assert(marks[i] < MARK_MAX);
    memcpy(w->watched, marks, n * sizeof *marks);
    w->nwatched = n;
    w->mark_fn = fn;
    w->mark_ctx = ctx;
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

/* ---- run ---- */

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
