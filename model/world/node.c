/* model/world/node.c — the node runtime: hosts one sans-IO protocol instance, feeds it events and
 * executes its actions in the order given, on the simulated network and disk.
 *
 * The disk device serves one operation at a time, in submission order; each takes the configured
 * write or fsync latency (plus the slow-disk latency while that fault lasts) and takes effect
 * when it completes. A crash discards the instance, its timers and its queued disk operations,
 * and drops the messages waiting at it; a power crash also loses the page cache. A paused node
 * runs nothing: its messages, timers and disk completions wait in arrival order and are handled,
 * late, when it resumes. A failpoint hook may crash or pause the node between two of its
 * actions: a crash drops the rest, a pause keeps them for the resume.
 *
 * Invariants: an up node has an instance; a down node has no timers, no disk operations and
 * nothing deferred; timer slot generations only grow, so a stale firing is recognised.
 */
#include "model/world/node.h"
#include "model/protocol.h"
#include "model/world/net.h"
#include "model/world/disk_image.h"

#include <errno.h>
#include <string.h>

#define MAX_TIMER_SLOTS (1u << 20)

static void execute(World *w, Endpoint *n, ActionList *l);

static ActionList *scratch_push(World *w)
{
    g_assert(w->depth < G_N_ELEMENTS(w->scratch));
    ActionList *l = &w->scratch[w->depth++];
    action_list_reset(l);
    return l;
}

static void scratch_pop(World *w)
{
    g_assert(w->depth > 0);
    action_list_reset(&w->scratch[--w->depth]);
}

/* Tells the mark watcher how often the step reached each watched mark, once its actions ran. */
static void tell_marks(World *w, EndpointId node, const MarkCount *times)
{
    for (guint i = 0; i < w->nwatched; i++)
        if (times[i] > 0)
            w->mark_fn(w->mark_ctx, w, node, w->watched[i], times[i]);
}

static void run_step(World *w, Endpoint *n, ProtoEvent *ev)
{
    g_assert(n->up && n->proto && !n->paused);
    ev->now = sim_queue_now(w->queue) + n->clock_offset;
    ActionList *out = scratch_push(w);
    MarkCount reached[WORLD_MAX_WATCHED_MARKS];
    for (guint i = 0; i < w->nwatched; i++)
        reached[i] = w->stats.marks[w->watched[i]];
    n->ops->step(n->proto, ev, out);
    /* The step's own: steps nested in its actions (a restart at a failpoint) tell theirs. */
    for (guint i = 0; i < w->nwatched; i++)
        reached[i] = w->stats.marks[w->watched[i]] - reached[i];
    if (n->ops->check)
        n->ops->check(n->proto, w->thorough);
    execute(w, n, out);
    scratch_pop(w);
    if (G_UNLIKELY(w->nwatched > 0))
        tell_marks(w, n->id, reached);
}

/* ---- timers ---- */

static TimerSlot *timer_slot(Endpoint *n, uint32_t slot)
{
    g_assert(slot < MAX_TIMER_SLOTS);
    if (slot >= n->timers->len)
        g_array_set_size(n->timers, slot + 1);
    return &g_array_index(n->timers, TimerSlot, slot);
}

static void on_timer(void *ctx, uint64_t a, uint64_t token)
{
    Endpoint *n = ctx;
    World *w = n->world;
    uint32_t slot = (uint32_t)(a >> 32), gen = (uint32_t)a;
    TimerSlot *t = timer_slot(n, slot);
    g_assert(t->gen == gen && n->up);
    t->handle = SIM_HANDLE_NONE;
    if (n->paused) {
        MARK(w->stats.world_marks, WMARK_NODE_TIMER_HELD);
        Deferred *d = g_new0(Deferred, 1);
        *d = (Deferred){.kind = DEFER_TIMER, .timer = slot, .timer_gen = gen, .token = token};
        g_queue_push_tail(&n->deferred, d);
        return;
    }
    world_emit(w, SIM_TR_TIMER, 0, n->id, ENDPOINT_NONE, slot, token);
    ProtoEvent ev = {.kind = PEV_TIMER, .timer = slot, .token = token};
    run_step(w, n, &ev);
}

static void timer_set(World *w, Endpoint *n, uint32_t slot, SimTime delay, uint64_t token)
{
    g_assert(delay >= 0);
    TimerSlot *t = timer_slot(n, slot);
    if (t->handle != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, t->handle);
    t->gen++;
    t->handle = sim_queue_after(w->queue, delay, on_timer, n, (uint64_t)slot << 32 | t->gen, token);
}

static void timer_cancel(World *w, Endpoint *n, uint32_t slot)
{
    if (slot >= n->timers->len)
        return;
    TimerSlot *t = timer_slot(n, slot);
    if (t->handle != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, t->handle);
    t->handle = SIM_HANDLE_NONE;
    t->gen++;
}

/* ---- disk device ---- */

/* The device queue: operations complete in submission order. */
static DiskOp *disk_queue_at(Endpoint *n, guint i)
{
    return &n->disk_ring[(n->disk_head + i) % n->disk_cap];
}

static DiskOp *disk_queue_push(Endpoint *n)
{
    if (n->disk_count == n->disk_cap) {
        guint cap = n->disk_cap ? n->disk_cap * 2 : 16;
        DiskOp *ring = g_new(DiskOp, cap);
        for (guint i = 0; i < n->disk_count; i++)
            ring[i] = *disk_queue_at(n, i);
        g_free(n->disk_ring);
        n->disk_ring = ring;
        n->disk_cap = cap;
        n->disk_head = 0;
    }
    return disk_queue_at(n, n->disk_count++);
}

static gboolean disk_queue_pop(Endpoint *n, DiskOp *out)
{
    if (n->disk_count == 0)
        return FALSE;
    *out = *disk_queue_at(n, 0);
    n->disk_head = (n->disk_head + 1) % n->disk_cap;
    n->disk_count--;
    return TRUE;
}

/* Reads op->count blocks into the world's read buffers; returns the first error (EIO for a
 * latent sector error), or 0. Past the end reads as nothing. */
static int device_read(World *w, Endpoint *n, const DiskOp *op)
{
    if (op->count > w->read_cap) {
        w->read_cap = MAX(op->count, 2 * w->read_cap);
        w->read_blocks = g_renew(DiskBlock, w->read_blocks, w->read_cap);
        w->read_results = g_renew(int, w->read_results, w->read_cap);
    }
    uint32_t len = disk_fd_length(n->disk, op->file);
    int first = 0;
    for (uint32_t i = 0; i < op->count; i++) {
        uint32_t idx = op->index + i;
        int *res = &w->read_results[i];
        *res = 0;
        if (idx < len) {
            *res = disk_pread(n->disk, op->file, idx, &w->read_blocks[i]);
            if (*res) {
                w->stats.read_errors++;
                MARK(w->stats.world_marks, WMARK_DISK_READ_EIO);
                first = first ? first : *res;
            }
        } else {
            memset(&w->read_blocks[i], 0, sizeof w->read_blocks[i]);
        }
    }
    return first;
}

/* Applies a completed operation to the disk; returns its result. */
static int apply_op(World *w, Endpoint *n, const DiskOp *op)
{
    Disk *d = n->disk;
    int result;
    switch (op->kind) {
    case DISKOP_WRITE:
        result = disk_pwrite(d, op->file, op->index, &op->block);
        w->stats.disk_writes++;
        if (result) {
            w->stats.write_errors++;
            MARK(w->stats.world_marks, WMARK_DISK_WRITE_ERROR);
        }
        return result;
    case DISKOP_TRUNCATE:
        result = disk_ftruncate(d, op->file, op->index);
        if (result) {
            w->stats.write_errors++;
            MARK(w->stats.world_marks, WMARK_DISK_WRITE_ERROR);
        }
        return result;
    case DISKOP_READ:
        return device_read(w, n, op);
    case DISKOP_FSYNC:
    case DISKOP_FDATASYNC:
        result = disk_fdsync(d, op->file, op->kind == DISKOP_FDATASYNC);
        w->stats.disk_fsyncs++;
        if (result) {
            w->stats.fsync_errors++;
            MARK(w->stats.world_marks, w->config->fs == FS_BTRFS ? WMARK_DISK_FSYNC_EIO_REVERT
                                       : w->config->fs == FS_EXT4_JOURNAL
                                           ? WMARK_DISK_FSYNC_EIO_JOURNAL
                                           : WMARK_DISK_FSYNC_EIO_CLEAN);
        }
        return result;
    case DISKOP_OPEN:
        return disk_open(d, op->file, op->path, op->count);
    case DISKOP_CLOSE:
        return disk_close(d, op->file);
    case DISKOP_MKDIR:
        return disk_mkdir(d, op->path);
    case DISKOP_UNLINK:
        return disk_unlink(d, op->path);
    case DISKOP_RENAME:
        return disk_rename(d, op->path, op->path2);
    default:
        g_assert_not_reached();
    }
}

static void on_disk_done(void *ctx, uint64_t a, uint64_t b)
{
    Endpoint *n = ctx;
    World *w = n->world;
    DiskOp popped;
    gboolean have = disk_queue_pop(n, &popped);
    g_assert(have && n->up);
    DiskOp *op = &popped; /* a copy: the step below may queue more and move the queue */
    int result = apply_op(w, n, op);
    world_emit(w, SIM_TR_DISK_DONE, op->kind, n->id, ENDPOINT_NONE,
               (uint64_t)op->file << 32 | op->index, (uint64_t)result);
    uint64_t token = op->token;
    gboolean read = op->kind == DISKOP_READ;
    if (op->kind != DISKOP_WRITE)
        memset(&op->block, 0, sizeof op->block); /* no block to show but a write's */
    if (n->paused) {
        MARK(w->stats.world_marks, WMARK_NODE_DISK_HELD);
        Deferred *d = g_new0(Deferred, 1);
        *d = (Deferred){.kind = DEFER_DISK, .token = token, .result = result};
        d->count = read ? op->count : 1;
        d->blocks = g_memdup2(read ? w->read_blocks : &op->block, d->count * sizeof(DiskBlock));
        d->results = g_memdup2(read ? w->read_results : &result, d->count * sizeof(int));
        g_queue_push_tail(&n->deferred, d);
        return;
    }
    ProtoEvent ev = {.kind = PEV_DISK,
                     .token = token,
                     .result = result,
                     .block = read ? w->read_blocks : &op->block,
                     .count = read ? op->count : 1,
                     .blocks = read ? w->read_blocks : &op->block,
                     .results = read ? w->read_results : &result};
    run_step(w, n, &ev);
}

static DiskOpKind op_kind(ActionKind kind)
{
    switch (kind) {
    case ACT_WRITE:
        return DISKOP_WRITE;
    case ACT_TRUNCATE:
        return DISKOP_TRUNCATE;
    case ACT_READ:
        return DISKOP_READ;
    case ACT_FSYNC:
        return DISKOP_FSYNC;
    case ACT_FDATASYNC:
        return DISKOP_FDATASYNC;
    case ACT_OPEN:
        return DISKOP_OPEN;
    case ACT_CLOSE:
        return DISKOP_CLOSE;
    case ACT_MKDIR:
        return DISKOP_MKDIR;
    case ACT_UNLINK:
        return DISKOP_UNLINK;
    case ACT_RENAME:
        return DISKOP_RENAME;
    default:
        g_assert_not_reached();
    }
}

/* A 64-bit FNV-1a hash of an operation's path(s), for the trace (whose hash so covers them). */
static uint64_t path_hash(const DiskOp *op)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = op->path; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    if (op->kind == DISKOP_RENAME) {
        h = (h ^ '>') * 0x100000001b3ULL;
        for (const char *p = op->path2; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    }
    return h;
}

/* What the trace says of an operation's second word: a block, a length, a read's span, or the
 * path's hash (with the path as the record's detail, when details are kept). */
static uint64_t op_trace_word(World *w, const DiskOp *op)
{
    switch (op->kind) {
    case DISKOP_WRITE:
    case DISKOP_TRUNCATE:
    case DISKOP_FSYNC:
    case DISKOP_FDATASYNC:
    case DISKOP_CLOSE:
        return op->index;
    case DISKOP_READ:
        return op->count > 1 ? (uint64_t)(op->count - 1) << 32 | op->index : op->index;
    default:
        if (G_UNLIKELY(world_wants_detail(w)))
            world_set_detail(w, op->kind == DISKOP_RENAME
                                    ? g_strdup_printf("%s -> %s", op->path, op->path2)
                                    : g_strdup(op->path));
        return path_hash(op);
    }
}

/* Follows which path each descriptor was opened on, for the observer's submitted_path. */
static void track_path(World *w, Endpoint *n, const DiskOp *op)
{
    G_STATIC_ASSERT(DISK_MAX_FDS == 256); /* op->file is a uint8_t */
    if (op->kind == DISKOP_OPEN) {
        if (n->fd_path == NULL)
            n->fd_path = g_malloc0(sizeof(*n->fd_path) * DISK_MAX_FDS);
        memcpy(n->fd_path[op->file], op->path, sizeof n->fd_path[op->file]);
        return;
    }
    if (op->kind == DISKOP_CLOSE) {
        n->fd_path[op->file][0] = '\0';
        return;
    }
    if (!w->obs.submitted_path)
        return;
    if (op->kind == DISKOP_UNLINK)
        w->obs.submitted_path(w->obs_ctx, w, n->id, op->path, 0, NULL);
    else if ((op->kind == DISKOP_WRITE || op->kind == DISKOP_TRUNCATE) && n->fd_path[op->file][0])
        w->obs.submitted_path(w->obs_ctx, w, n->id, n->fd_path[op->file], op->index,
                              op->kind == DISKOP_WRITE ? &op->block : NULL);
}

static void disk_submit(World *w, Endpoint *n, const ProtoAction *a)
{
    g_assert(n->disk != NULL);
    DiskOp *op = disk_queue_push(n);
    op->kind = (uint8_t)op_kind(a->kind);
    op->file = a->file;
    op->index = a->index;
    op->count = a->kind == ACT_READ || a->kind == ACT_OPEN ? a->count : 0;
    op->token = a->token;
    if (a->kind == ACT_WRITE)
        op->block = a->block;
    else if (a->kind == ACT_OPEN || a->kind == ACT_MKDIR || a->kind == ACT_UNLINK ||
             a->kind == ACT_RENAME) {
        memcpy(op->path, a->path, sizeof op->path);
        memcpy(op->path2, a->path2, sizeof op->path2);
    }
    const WorldConfig *c = w->config;
    /* Reads cost what writes cost: both are mostly the page cache's business; so do the
     * namespace changes, which touch only the page cache until a directory is fsynced. */
    gboolean sync = op->kind == DISKOP_FSYNC || op->kind == DISKOP_FDATASYNC;
    SimRange range = sync ? c->disk_fsync_latency : c->disk_write_latency;
    SimTime now = sim_queue_now(w->queue);
    SimTime latency = sim_rng_duration(&n->disk_rng, range);
    if (now < n->slow_until)
        latency += sim_rng_duration(&n->disk_rng, n->slow_latency);
    SimTime start = MAX(now, n->disk_busy_until);
    n->disk_busy_until = start + latency;
    op->handle = sim_queue_at(w->queue, n->disk_busy_until, on_disk_done, n, 0, 0);
    world_emit(w, SIM_TR_DISK_OP, op->kind, n->id, ENDPOINT_NONE, op->file, op_trace_word(w, op));
    if (w->obs.submitted && (op->kind == DISKOP_WRITE || op->kind == DISKOP_TRUNCATE))
        w->obs.submitted(w->obs_ctx, w, n->id, op->file, op->index,
                         op->kind == DISKOP_WRITE ? &op->block : NULL);
    if (G_UNLIKELY(n->fd_path != NULL || op->kind == DISKOP_OPEN))
        track_path(w, n, op);
}

/* ---- actions ---- */

/* Keeps the actions after `from` for the resume of a node paused at a failpoint. */
static void stash_rest(Endpoint *n, ActionList *l, guint from)
{
    for (guint i = from; i < l->len; i++) {
        ProtoAction *dst = action_list_push(&n->stashed, (ActionKind)l->items[i].kind);
        *dst = l->items[i];
        l->items[i].msg = NULL; /* ownership moves with the action */
    }
}

static void execute(World *w, Endpoint *n, ActionList *l)
{
    uint32_t incarnation = n->incarnation;
    for (guint i = 0; i < l->len; i++) {
        ProtoAction *a = &l->items[i];
        switch (a->kind) {
        case ACT_SEND: {
            Msg *m = a->msg;
            a->msg = NULL;
            m->from = n->id;
            net_send(w, m);
            break;
        }
        case ACT_WRITE:
        case ACT_TRUNCATE:
        case ACT_FSYNC:
        case ACT_READ:
        case ACT_OPEN:
        case ACT_CLOSE:
        case ACT_MKDIR:
        case ACT_UNLINK:
        case ACT_RENAME:
        case ACT_FDATASYNC:
            disk_submit(w, n, a);
            break;
        case ACT_TIMER:
            timer_set(w, n, a->timer, a->delay, a->token);
            break;
        case ACT_CANCEL:
            timer_cancel(w, n, a->timer);
            break;
        case ACT_NOTE:
            world_emit(w, SIM_TR_NOTE, a->sub, n->id, ENDPOINT_NONE, a->a, a->b);
            if (w->obs.note)
                w->obs.note(w->obs_ctx, w, n->id, a);
            break;
        case ACT_FAILPOINT:
            w->stats.failpoints_hit[protocol_failpoint_index(w->config->protocol, a->sub)]++;
            world_emit(w, SIM_TR_FAILPOINT, a->sub, n->id, ENDPOINT_NONE, 0, 0);
            if (w->fp_hook)
                w->fp_hook(w->fp_ctx, w, n->id, (FailpointId)a->sub);
            if (!n->up || n->incarnation != incarnation) {
                MARK(w->stats.world_marks, WMARK_NODE_FAILPOINT_CRASH);
                return; /* crashed right here: nothing after the failpoint happens */
            }
            if (n->paused) {
                MARK(w->stats.world_marks, WMARK_NODE_FAILPOINT_PAUSE);
                stash_rest(n, l, i + 1);
                return;
            }
            break;
        default:
            g_assert_not_reached();
        }
    }
}

/* ---- delivery and deferral ---- */

static void deliver_now(World *w, Endpoint *n, Msg *m)
{
    w->stats.msgs_delivered++;
    world_emit(w, SIM_TR_DELIVER, m->type, n->id, m->from, m->id, 0);
    ProtoEvent ev = {.kind = PEV_MSG, .msg = m};
    run_step(w, n, &ev);
    msg_free(m);
}

void node_receive(World *w, Endpoint *n, Msg *m)
{
    if (n->paused) {
        MARK(w->stats.world_marks, WMARK_NET_HELD_BY_PAUSE);
        Deferred *d = g_new0(Deferred, 1);
        d->kind = DEFER_MSG;
        d->msg = m;
        g_queue_push_tail(&n->deferred, d);
        return;
    }
    deliver_now(w, n, m);
}

static void deferred_free(Deferred *d)
{
    g_free(d->blocks);
    g_free(d->results);
    g_free(d);
}

static void process_deferred(World *w, Endpoint *n, Deferred *d)
{
    switch (d->kind) {
    case DEFER_MSG:
        deliver_now(w, n, d->msg);
        break;
    case DEFER_TIMER: {
        TimerSlot *t = timer_slot(n, d->timer);
        if (t->gen != d->timer_gen)
            break; /* reset or cancelled since it fired */
        world_emit(w, SIM_TR_TIMER, 0, n->id, ENDPOINT_NONE, d->timer, d->token);
        ProtoEvent ev = {.kind = PEV_TIMER, .timer = d->timer, .token = d->token};
        run_step(w, n, &ev);
        break;
    }
    case DEFER_DISK: {
        ProtoEvent ev = {.kind = PEV_DISK,
                         .token = d->token,
                         .result = d->result,
                         .block = d->blocks,
                         .count = d->count,
                         .blocks = d->blocks,
                         .results = d->results};
        run_step(w, n, &ev);
        break;
    }
    }
    deferred_free(d);
}

static void free_deferred(Endpoint *n)
{
    Deferred *d;
    while ((d = g_queue_pop_head(&n->deferred)) != NULL) {
        if (d->kind == DEFER_MSG)
            msg_free(d->msg);
        deferred_free(d);
    }
}

/* Messages waiting at a paused node that goes down are lost with it: traced as dropped, as any
 * message to a node that is down, so that every message sent ends in the trace exactly once. */
static void drop_deferred(World *w, Endpoint *n)
{
    Deferred *d;
    while ((d = g_queue_pop_head(&n->deferred)) != NULL) {
        if (d->kind == DEFER_MSG) {
            Msg *m = d->msg;
            w->stats.msgs_dropped++;
            world_emit(w, SIM_TR_DROP, m->type, m->from, m->to, m->id, DROP_CRASHED);
            msg_free(m);
        }
        deferred_free(d);
    }
}

static void on_resume(void *ctx, uint64_t a, uint64_t b)
{
    Endpoint *n = ctx;
    World *w = n->world;
    n->resume = SIM_HANDLE_NONE;
    n->paused = FALSE;
    world_emit(w, SIM_TR_FAULT, FAULT_RESUME, n->id, ENDPOINT_NONE, 0, 0);
    uint32_t incarnation = n->incarnation;
    if (n->stashed.len > 0) {
        ActionList rest = n->stashed;
        action_list_init(&n->stashed);
        execute(w, n, &rest);
        action_list_clear(&rest);
    }
    while (n->up && !n->paused && n->incarnation == incarnation) {
        Deferred *d = g_queue_pop_head(&n->deferred);
        if (d == NULL)
            break;
        process_deferred(w, n, d);
    }
}

/* ---- life cycle ---- */

/* Everything in memory goes: the instance, its timers, queued disk operations, deferred events. */
static void halt(World *w, Endpoint *n)
{
    n->up = FALSE;
    n->paused = FALSE;
    if (n->resume != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, n->resume);
    n->resume = SIM_HANDLE_NONE;
    for (guint i = 0; i < n->timers->len; i++) {
        TimerSlot *t = &g_array_index(n->timers, TimerSlot, i);
        if (t->handle != SIM_HANDLE_NONE)
            sim_queue_cancel(w->queue, t->handle);
        t->handle = SIM_HANDLE_NONE;
        t->gen++;
    }
    DiskOp op;
    while (disk_queue_pop(n, &op))
        sim_queue_cancel(w->queue, op.handle);
    n->disk_busy_until = 0;
    if (n->disk)
        disk_close_all(n->disk); /* the process's descriptors go with it */
    if (n->fd_path)
        memset(n->fd_path, 0, sizeof(*n->fd_path) * DISK_MAX_FDS);
    drop_deferred(w, n);
    action_list_reset(&n->stashed);
    if (n->proto)
        n->ops->destroy(n->proto);
    n->proto = NULL;
}

/* Reads a whole file as the page cache shows it: its blocks and each one's result. */
/* A protocol with fixed files finds descriptor f open on file f. */
static void open_fixed(Endpoint *n)
{
    for (guint f = 0; n->disk && f < n->ops->nfiles; f++) {
        char name[FS_PATH_MAX];
        int r = disk_open(n->disk, f, disk_fixed_name(f, name, sizeof name), 0);
        g_assert(r == 0);
    }
}

static void boot(World *w, Endpoint *n)
{
    g_assert(!n->up && !n->is_client);
    n->incarnation++;
    n->up = TRUE;
    n->init = (ProtoInit){
        .config = w->config,
        .self = n->id,
        .nodes = w->config->nodes,
        .clients = w->config->clients,
        .keys = w->key_names->len,
        .key_hashes = (const uint64_t *)(void *)w->key_hashes->data,
        .rng = &n->rng,
        .bugs = w->config->bugs,
        .incarnation = n->incarnation,
        .marks = w->stats.marks,
        .shared = w->proto_shared,
    };
    if (n->incarnation > 1)
        MARK(w->stats.world_marks, WMARK_NODE_BOOT_RESTART);
    n->proto = n->ops->create(&n->init);
    open_fixed(n);
    ProtoDiskImage img;
    disk_image_read(n->disk, n->ops->nfiles, &img);
    if (w->obs.booted)
        w->obs.booted(w->obs_ctx, w, n->id, &img);
    ProtoEvent ev = {.kind = PEV_BOOT, .image = &img, .first_boot = n->incarnation == 1};
    run_step(w, n, &ev);
    disk_image_free(&img);
}

static void on_durable(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                       const DiskBlock *neu, DiskChange cause)
{
    Endpoint *n = ctx;
    World *w = n->world;
    if (w->obs.durable)
        w->obs.durable(w->obs_ctx, w, n->id, file, idx, old, neu, cause);
}

void node_init(World *w, Endpoint *n)
{
    const WorldConfig *config = w->config;
    n->timers = g_array_new(FALSE, TRUE, sizeof(TimerSlot));
    sim_rng_stream(&n->rng, config->seed, "node", n->id);
    sim_rng_stream(&n->disk_rng, config->seed, "disk", n->id + 1u);
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

void node_boot_all(World *w)
{
    for (EndpointId id = 0; id < w->nendpoints; id++)
        if (!w->ep[id].is_client)
            boot(w, &w->ep[id]);
}

void node_free(Endpoint *n)
{
    g_free(n->fd_path);
    n->fd_path = NULL;
    g_free(n->disk_ring);
    n->disk_ring = NULL;
    n->disk_count = n->disk_cap = 0;
    free_deferred(n);
    action_list_clear(&n->stashed);
    if (n->proto)
        n->ops->destroy(n->proto);
    n->proto = NULL;
    if (n->disk)
        disk_free(n->disk);
    n->disk = NULL;
    g_array_free(n->timers, TRUE);
    n->timers = NULL;
}

/* ---- fault primitives ---- */

/* A power cut on the node's disk, marked by what it did to the unsynced writes. */
static void power_loss(World *w, Endpoint *n, DiskKeep keep)
{
    DiskStats before = *disk_stats(n->disk);
    disk_power_loss_keep(n->disk, &n->disk_rng, keep);
    const DiskStats *after = disk_stats(n->disk);
    MarkCount *m = w->stats.world_marks;
    m[WMARK_DISK_POWER_LOST] += after->power_lost - before.power_lost;
    m[WMARK_DISK_POWER_KEPT] += after->power_kept - before.power_kept;
    m[WMARK_DISK_POWER_TORN] += after->power_torn - before.power_torn;
    m[WMARK_DISK_LOST_AFTER_EIO] += after->unsynced_lost_after_eio - before.unsynced_lost_after_eio;
    m[WMARK_DISK_NS_KEPT] += after->ns_kept - before.ns_kept;
    m[WMARK_DISK_NS_LOST] += after->ns_lost - before.ns_lost;
}

static Endpoint *server(World *w, EndpointId id)
{
    g_assert(id < w->nendpoints && !w->ep[id].is_client);
    return &w->ep[id];
}

void world_crash(World *w, EndpointId id, gboolean power)
{
    world_crash_keep(w, id, power, DISK_KEEP_RANDOM);
}

void world_crash_keep(World *w, EndpointId id, gboolean power, DiskKeep keep)
{
    Endpoint *n = server(w, id);
    w->stats.crashes++;
    w->stats.faults[FAULT_CRASH]++;
    world_emit(w, SIM_TR_FAULT, FAULT_CRASH, id, ENDPOINT_NONE, power | (uint64_t)keep << 1, n->up);
    MARK(w->stats.world_marks, !n->up  ? WMARK_NODE_CRASH_DOWN
                               : power ? WMARK_NODE_CRASH_POWER
                                       : WMARK_NODE_CRASH_PROCESS);
    if (n->up)
        halt(w, n);
    if (power && n->disk)
        power_loss(w, n, keep);
    if (w->obs.crashed)
        w->obs.crashed(w->obs_ctx, w, id, power);
}

void world_restart(World *w, EndpointId id)
{
    Endpoint *n = server(w, id);
    w->stats.restarts++;
    w->stats.faults[FAULT_RESTART]++;
    world_emit(w, SIM_TR_FAULT, FAULT_RESTART, id, ENDPOINT_NONE, n->up, 0);
    if (n->up) {
        MARK(w->stats.world_marks, WMARK_NODE_STOP);
        /* A graceful stop: the protocol answers what is in flight, then memory goes. */
        if (!n->paused) {
            ProtoEvent ev = {.kind = PEV_STOP};
            run_step(w, n, &ev);
        }
        if (n->up)
            halt(w, n);
        if (w->obs.crashed)
            w->obs.crashed(w->obs_ctx, w, id, FALSE);
    }
    boot(w, n);
}

void world_pause(World *w, EndpointId id, SimTime duration)
{
    Endpoint *n = server(w, id);
    w->stats.pauses++;
    w->stats.faults[FAULT_PAUSE]++;
    world_emit(w, SIM_TR_FAULT, FAULT_PAUSE, id, ENDPOINT_NONE, (uint64_t)duration, n->up);
    if (!n->up)
        return;
    MARK(w->stats.world_marks, WMARK_NODE_PAUSE);
    SimTime until = sim_queue_now(w->queue) + duration;
    if (n->resume != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, n->resume);
    n->paused = TRUE;
    n->resume = sim_queue_at(w->queue, until, on_resume, n, 0, 0);
}

void world_set_clock_skew(World *w, EndpointId id, SimTime offset)
{
    g_assert(id < w->nendpoints);
    w->stats.faults[FAULT_CLOCK_SKEW]++;
    world_emit(w, SIM_TR_FAULT, FAULT_CLOCK_SKEW, id, ENDPOINT_NONE, (uint64_t)offset, 0);
    MARK(w->stats.world_marks, WMARK_NODE_CLOCK_SKEW);
    w->ep[id].clock_offset = offset;
}

void world_disk_loss(World *w, EndpointId id)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_DISK_LOSS]++;
    world_emit(w, SIM_TR_FAULT, FAULT_DISK_LOSS, id, ENDPOINT_NONE, 0, 0);
    if (n->up) {
        halt(w, n);
        if (w->obs.crashed)
            w->obs.crashed(w->obs_ctx, w, id, TRUE);
    }
    disk_wipe(n->disk);
    MARK(w->stats.world_marks, WMARK_DISK_WIPED);
    boot(w, n);
}

void world_fsync_errors(World *w, EndpointId id, int err, guint count)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_FSYNC_ERROR]++;
    world_emit(w, SIM_TR_FAULT, FAULT_FSYNC_ERROR, id, ENDPOINT_NONE, (uint64_t)err, count);
    disk_fail_fsyncs(n->disk, err, count);
}

void world_fsync_errors_matching(World *w, EndpointId id, int err, guint count, const char *file)
{
    world_fsync_errors(w, id, err, count);
    disk_fail_fsyncs_matching(server(w, id)->disk, err, count, file);
}

guint world_writeback_error(World *w, EndpointId id, int err, const char *file)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_WRITEBACK_ERROR]++;
    guint hit = disk_writeback_error(n->disk, err, file);
    world_emit(w, SIM_TR_FAULT, FAULT_WRITEBACK_ERROR, id, ENDPOINT_NONE, (uint64_t)err, hit);
    if (hit)
        MARK(w->stats.world_marks, WMARK_DISK_WRITEBACK_ERROR);
    return hit;
}

void world_disk_full(World *w, EndpointId id, gboolean full)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    if (full)
        w->stats.faults[FAULT_DISK_FULL]++;
    world_emit(w, SIM_TR_FAULT, full ? FAULT_DISK_FULL : FAULT_END, id, ENDPOINT_NONE,
               FAULT_DISK_FULL, 0);
    disk_set_full(n->disk, full);
}

void world_metadata_error(World *w, EndpointId id)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_METADATA_ERROR]++;
    world_emit(w, SIM_TR_FAULT, FAULT_METADATA_ERROR, id, ENDPOINT_NONE, 0, 0);
    disk_metadata_error(n->disk);
}

void world_write_errors(World *w, EndpointId id, int err, guint count)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_WRITE_ERROR]++;
    world_emit(w, SIM_TR_FAULT, FAULT_WRITE_ERROR, id, ENDPOINT_NONE, (uint64_t)err, count);
    disk_fail_writes(n->disk, err, count);
}

/* A media fault (sector errors or corruption) on up to `count` of the node's blocks. */
static guint media_fault(World *w, EndpointId id, guint count, FaultKind kind)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    guint hit = kind == FAULT_SECTOR_ERROR ? disk_add_sector_errors(n->disk, &n->disk_rng, count)
                                           : disk_corrupt(n->disk, &n->disk_rng, count);
    w->stats.faults[kind]++;
    world_emit(w, SIM_TR_FAULT, kind, id, ENDPOINT_NONE, count, hit);
    return hit;
}

guint world_sector_errors(World *w, EndpointId id, guint count)
{
    return media_fault(w, id, count, FAULT_SECTOR_ERROR);
}

guint world_corrupt(World *w, EndpointId id, guint count)
{
    return media_fault(w, id, count, FAULT_CORRUPT);
}

void world_slow_disk(World *w, EndpointId id, SimRange latency, SimTime duration)
{
    Endpoint *n = server(w, id);
    g_assert(n->disk);
    w->stats.faults[FAULT_SLOW_DISK]++;
    world_emit(w, SIM_TR_FAULT, FAULT_SLOW_DISK, id, ENDPOINT_NONE, (uint64_t)latency.hi,
               (uint64_t)duration);
    n->slow_until = sim_queue_now(w->queue) + duration;
    n->slow_latency = latency;
}

uint32_t world_block_view(World *w, EndpointId id, guint file, uint32_t idx, DiskBlock *out)
{
    Endpoint *n = &w->ep[id];
    g_assert(n->disk);
    uint32_t len = disk_fd_length(n->disk, file);
    gboolean have = FALSE;
    if (idx < len)
        have = disk_pread(n->disk, file, idx, out) == 0;
    for (guint i = 0; i < n->disk_count; i++) {
        const DiskOp *op = disk_queue_at(n, i);
        if (op->file != file)
            continue;
        if (op->kind == DISKOP_WRITE) {
            if (op->index == len)
                len++;
            if (op->index == idx) {
                *out = op->block;
                have = TRUE;
            }
        } else if (op->kind == DISKOP_TRUNCATE && op->index < len) {
            len = op->index;
        }
    }
    if (idx >= len || !have)
        memset(out, 0, sizeof *out);
    return len;
}

SimTime world_disk_idle_at(const World *w, EndpointId id)
{
    const Endpoint *n = &w->ep[id];
    return MAX(n->disk_busy_until, sim_queue_now(w->queue));
}
