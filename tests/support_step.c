/* tests/support_step.c — the step harness (see support_step.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/support_step.h"
#include "model/world/disk_image.h"

#include <limits.h>
#include <string.h>

/* ---- set-up ---- */

Steps *steps_new(const WorldConfig *cfg, SimTime now)
{
    Steps *s = g_new0(Steps, 1);
    world_config_copy(&s->cfg, cfg);
    s->n = world_config_endpoint_count(cfg);
    s->node = g_new0(StepsNode, s->n);
    s->keys = cfg->keys;
    s->now = now;
    action_list_init(&s->out);
    s->net = g_ptr_array_new_with_free_func((GDestroyNotify)msg_free);
    s->seen = g_array_new(FALSE, FALSE, sizeof(StepsSeen));
    return s;
}

void steps_free(Steps *s)
{
    for (EndpointId id = 0; id < s->n; id++) {
        StepsNode *n = &s->node[id];
        if (n->p)
            n->ops->destroy(n->p);
        if (n->disk)
            disk_free(n->disk);
        if (n->disk_q)
            g_array_free(n->disk_q, TRUE);
        if (n->timers)
            g_array_free(n->timers, TRUE);
    }
    for (guint k = 0; k < s->seen->len; k++)
        msg_free(steps_seen(s, k)->act.msg);
    g_array_free(s->seen, TRUE);
    g_ptr_array_unref(s->net);
    action_list_clear(&s->out);
    world_config_clear(&s->cfg);
    g_free(s->node);
    g_free(s);
}

void steps_set_keys(Steps *s, const uint64_t *hashes, guint n)
{
    s->key_hashes = hashes;
    s->keys = n;
}

void steps_add(Steps *s, EndpointId id, const ProtoOps *ops, uint64_t seed, FsProfile fs)
{
    g_assert(id < s->n && s->node[id].state == STEPS_EXTERNAL);
    StepsNode *n = &s->node[id];
    n->state = STEPS_DOWN;
    n->ops = ops;
    sim_rng_seed(&n->rng, seed);
    if (id < s->cfg.nodes) {
        n->disk = disk_new(fs, ops->nfiles);
        disk_set_kernel(n->disk, s->cfg.kernel);
        disk_set_atomic_write(n->disk, s->cfg.disk_atomic_write);
    }
    n->disk_q = g_array_new(FALSE, FALSE, sizeof(ProtoAction));
    n->timers = g_array_new(FALSE, FALSE, sizeof(StepsTimer));
}

/* ---- timers ---- */

static gint timer_find(const StepsNode *n, uint32_t slot)
{
    for (guint i = 0; i < n->timers->len; i++)
        if (g_array_index(n->timers, StepsTimer, i).slot == slot)
            return (gint)i;
    return -1;
}

void steps_timer_disarm(Steps *s, EndpointId id, uint32_t slot)
{
    gint i = timer_find(&s->node[id], slot);
    if (i >= 0)
        g_array_remove_index(s->node[id].timers, (guint)i);
}

static void timer_arm(Steps *s, EndpointId id, uint32_t slot, SimTime delay, uint64_t token)
{
    assert_true(delay >= 0);
    steps_timer_disarm(s, id, slot);
    StepsTimer t = {slot, token, s->now + delay, delay, s->timer_seq++};
    g_array_append_val(s->node[id].timers, t);
}

SimTime steps_timer_due(const Steps *s, EndpointId id, uint32_t slot)
{
    gint i = timer_find(&s->node[id], slot);
    return i < 0 ? -1 : g_array_index(s->node[id].timers, StepsTimer, i).due;
}

uint64_t steps_timer_token(const Steps *s, EndpointId id, uint32_t slot)
{
    gint i = timer_find(&s->node[id], slot);
    assert_true(i >= 0);
    return g_array_index(s->node[id].timers, StepsTimer, i).token;
}

static void fire_index(Steps *s, EndpointId id, guint i)
{
    StepsTimer t = g_array_index(s->node[id].timers, StepsTimer, i);
    g_array_remove_index(s->node[id].timers, i);
    s->now = MAX(s->now, t.due);
    ProtoEvent ev = {.kind = PEV_TIMER, .timer = t.slot, .token = t.token};
    steps_step(s, id, &ev);
}

void steps_fire(Steps *s, EndpointId id, uint32_t slot)
{
    gint i = timer_find(&s->node[id], slot);
    if (i < 0)
        fail_msg("timer slot %u of endpoint %u is not armed", slot, id);
    fire_index(s, id, (guint)i);
}

gboolean steps_fire_next(Steps *s, SimTime until)
{
    const StepsTimer *best = NULL;
    EndpointId best_id = 0;
    guint best_i = 0;
    for (EndpointId id = 0; id < s->n; id++) {
        const GArray *timers = s->node[id].timers;
        for (guint i = 0; timers && i < timers->len; i++) {
            const StepsTimer *t = &g_array_index(timers, StepsTimer, i);
            if (t->due <= until &&
                (!best || t->due < best->due || (t->due == best->due && t->seq < best->seq))) {
                best = t;
                best_id = id;
                best_i = i;
            }
        }
    }
    if (!best)
        return FALSE;
    fire_index(s, best_id, best_i);
    return TRUE;
}

void steps_advance(Steps *s, SimTime dt)
{
    SimTime until = s->now + dt;
    while (steps_fire_next(s, until)) {
    }
    s->now = until;
}

/* ---- steps ---- */

/* Plays one action for the runtime: a send goes in flight, a disk operation queues, a timer is
 * armed or cancelled. */
static void play(Steps *s, EndpointId id, const ProtoAction *a)
{
    switch (a->kind) {
    case ACT_SEND:
        a->msg->from = id; /* the runtime stamps the sender */
        g_ptr_array_add(s->net, msg_copy(a->msg));
        break;
    case ACT_WRITE:
    case ACT_TRUNCATE:
    case ACT_FSYNC:
    case ACT_READ:
    case ACT_OPEN:
    case ACT_CLOSE:
    case ACT_MKDIR:
    case ACT_UNLINK:
    case ACT_RENAME:
    case ACT_FDATASYNC: {
        g_assert(s->node[id].disk != NULL);
        ProtoAction r = *a;
        r.msg = NULL;
        g_array_append_val(s->node[id].disk_q, r);
        break;
    }
    case ACT_TIMER:
        timer_arm(s, id, a->timer, a->delay, a->token);
        break;
    case ACT_CANCEL:
        steps_timer_disarm(s, id, a->timer);
        break;
    default:
        break;
    }
}

void steps_step(Steps *s, EndpointId id, ProtoEvent *ev)
{
    StepsNode *n = &s->node[id];
    g_assert(id < s->n && n->state == STEPS_UP);
    ev->now = s->now;
    action_list_reset(&s->out);
    n->ops->step(n->p, ev, &s->out);
    n->ops->check(n->p, TRUE);
    s->mark = s->seen->len;
    for (guint k = 0; k < s->out.len; k++) {
        const ProtoAction *a = &s->out.items[k];
        play(s, id, a);
        StepsSeen seen = {.node = id, .at = s->now, .act = *a};
        if (a->kind == ACT_SEND)
            seen.act.msg = msg_copy(a->msg);
        g_array_append_val(s->seen, seen);
    }
}

void steps_deliver(Steps *s, Msg *m)
{
    g_assert(m->to < s->n && s->node[m->to].state != STEPS_EXTERNAL);
    if (s->node[m->to].state == STEPS_UP) {
        ProtoEvent ev = {.kind = PEV_MSG, .msg = m};
        steps_step(s, m->to, &ev);
    }
    msg_free(m);
}

/* ---- life cycle ---- */

void steps_boot_image(Steps *s, EndpointId id, const ProtoDiskImage *image, gboolean first_boot)
{
    StepsNode *n = &s->node[id];
    g_assert(id < s->n && n->state == STEPS_DOWN);
    n->incarnation++;
    n->init = (ProtoInit){.config = &s->cfg,
                          .self = id,
                          .nodes = s->cfg.nodes,
                          .clients = s->cfg.clients,
                          .keys = s->keys,
                          .key_hashes = s->key_hashes,
                          .rng = &n->rng,
                          .bugs = s->cfg.bugs,
                          .incarnation = n->incarnation};
    n->p = n->ops->create(&n->init);
    n->state = STEPS_UP;
    for (guint f = 0; n->disk && f < n->ops->nfiles; f++) {
        char name[FS_PATH_MAX];
        int r = disk_open(n->disk, f, disk_fixed_name(f, name, sizeof name), 0);
        g_assert(r == 0); /* a fixed file is open on its descriptor at every boot */
    }
    ProtoEvent ev = {.kind = PEV_BOOT, .image = image, .first_boot = first_boot};
    steps_step(s, id, &ev);
}

void steps_boot(Steps *s, EndpointId id, gboolean first_boot)
{
    ProtoDiskImage img;
    disk_image_read(s->node[id].disk, s->node[id].ops->nfiles, &img);
    steps_boot_image(s, id, &img, first_boot);
    disk_image_free(&img);
}

void steps_crash(Steps *s, EndpointId id)
{
    StepsNode *n = &s->node[id];
    g_assert(n->state == STEPS_UP);
    n->ops->destroy(n->p);
    n->p = NULL;
    n->state = STEPS_DOWN;
    g_array_set_size(n->disk_q, 0);
    g_array_set_size(n->timers, 0);
    if (n->disk)
        disk_close_all(n->disk); /* the process's descriptors go with it */
    for (guint k = s->net->len; k-- > 0;) {
        const Msg *m = g_ptr_array_index(s->net, k);
        if (m->from == id || m->to == id)
            g_ptr_array_remove_index(s->net, k);
    }
}

/* ---- disks ---- */

static ProtoAction disk_pop(Steps *s, EndpointId id)
{
    GArray *q = s->node[id].disk_q;
    assert_true(q->len > 0);
    ProtoAction r = g_array_index(q, ProtoAction, 0);
    g_array_remove_index(q, 0);
    return r;
}

/* Reads r->count blocks (at least one) of descriptor r->file into blocks/results; returns the
 * first error. Past the end reads as nothing, as the node runtime does. */
static int read_blocks(const Disk *d, const ProtoAction *r, DiskBlock *blocks, int *results)
{
    uint32_t len = disk_fd_length(d, r->file);
    int first = 0;
    for (uint32_t i = 0; i < MAX(r->count, 1u); i++) {
        results[i] = 0;
        memset(&blocks[i], 0, sizeof blocks[i]);
        if (r->index + i < len)
            results[i] = disk_pread(d, r->file, r->index + i, &blocks[i]);
        first = first ? first : results[i];
    }
    return first;
}

/* Does the operation on the disk, as the node runtime does; returns its result. */
static int apply(Disk *d, ProtoAction *r, DiskBlock *blocks, int *results)
{
    switch (r->kind) {
    case ACT_WRITE:
        return disk_pwrite(d, r->file, r->index, &r->block);
    case ACT_TRUNCATE:
        return disk_ftruncate(d, r->file, r->index);
    case ACT_FSYNC:
    case ACT_FDATASYNC:
        return disk_fdsync(d, r->file, r->kind == ACT_FDATASYNC);
    case ACT_READ:
        return read_blocks(d, r, blocks, results);
    case ACT_OPEN:
        return disk_open(d, r->file, r->path, r->count);
    case ACT_CLOSE:
        return disk_close(d, r->file);
    case ACT_MKDIR:
        return disk_mkdir(d, r->path);
    case ACT_UNLINK:
        return disk_unlink(d, r->path);
    case ACT_RENAME:
        return disk_rename(d, r->path, r->path2);
    default:
        g_assert_not_reached();
    }
}

/* Completes `r` with `result`: the event carries what a read brought back, or the block written
 * (no block for anything else), as the node runtime hands them over. */
static void complete(Steps *s, EndpointId id, ProtoAction *r, int result, DiskBlock *blocks,
                     int *results)
{
    gboolean read = r->kind == ACT_READ;
    DiskBlock written = {0};
    if (r->kind == ACT_WRITE)
        written = r->block;
    ProtoEvent ev = {.kind = PEV_DISK,
                     .token = r->token,
                     .result = result,
                     .block = read ? blocks : &written,
                     .count = read ? MAX(r->count, 1u) : 1,
                     .blocks = read ? blocks : &written,
                     .results = read ? results : &result};
    steps_step(s, id, &ev);
}

uint8_t steps_disk_one(Steps *s, EndpointId id)
{
    ProtoAction r = disk_pop(s, id);
    Disk *d = s->node[id].disk;
    guint n = MAX(r.count, 1u);
    g_autofree DiskBlock *blocks = g_new0(DiskBlock, n);
    g_autofree int *results = g_new0(int, n);
    int result = apply(d, &r, blocks, results);
    disk_check_invariants(d);
    complete(s, id, &r, result, blocks, results);
    return r.kind;
}

void steps_disk_fail(Steps *s, EndpointId id, int err)
{
    assert_true(err != 0);
    ProtoAction r = disk_pop(s, id);
    guint n = MAX(r.count, 1u);
    g_autofree DiskBlock *blocks = g_new0(DiskBlock, n);
    g_autofree int *results = g_new0(int, n);
    for (guint i = 0; i < n; i++)
        results[i] = err;
    complete(s, id, &r, err, blocks, results);
}

static gboolean is_data_op(uint8_t kind)
{
    return kind == ACT_WRITE || kind == ACT_TRUNCATE || kind == ACT_FSYNC ||
           kind == ACT_FDATASYNC || kind == ACT_READ;
}

uint8_t steps_disk_next(Steps *s, EndpointId id)
{
    for (;;) {
        uint8_t kind = steps_disk_one(s, id);
        if (is_data_op(kind))
            return kind;
    }
}

void steps_disk_all(Steps *s, EndpointId id)
{
    for (guint guard = 0; s->node[id].state == STEPS_UP && steps_disk_queued(s, id) > 0; guard++) {
        assert_true(guard < 100000);
        steps_disk_one(s, id);
    }
}

/* ---- the network ---- */

static gboolean ep_is(EndpointId want, EndpointId got)
{
    return want == STEPS_ANY || want == got;
}

static gboolean msg_is(const Msg *m, MsgType type, EndpointId from, EndpointId to)
{
    return m->type == type && ep_is(from, m->from) && ep_is(to, m->to);
}

Msg *steps_take(Steps *s, MsgType type, EndpointId from, EndpointId to)
{
    for (guint k = 0; k < s->net->len; k++)
        if (msg_is(g_ptr_array_index(s->net, k), type, from, to))
            return g_ptr_array_steal_index(s->net, k);
    return NULL;
}

const Msg *steps_peek(const Steps *s, MsgType type, EndpointId from, EndpointId to)
{
    for (guint k = 0; k < s->net->len; k++)
        if (msg_is(g_ptr_array_index(s->net, k), type, from, to))
            return g_ptr_array_index(s->net, k);
    return NULL;
}

void steps_drop(Steps *s, EndpointId from, EndpointId to)
{
    for (guint k = s->net->len; k-- > 0;) {
        const Msg *m = g_ptr_array_index(s->net, k);
        if (ep_is(from, m->from) && ep_is(to, m->to) && s->node[m->to].state != STEPS_EXTERNAL)
            g_ptr_array_remove_index(s->net, k);
    }
}

void steps_cut(Steps *s, EndpointId a, EndpointId b)
{
    s->cut[a][b] = s->cut[b][a] = TRUE;
}

void steps_partition(Steps *s, uint64_t mask)
{
    for (EndpointId a = 0; a < s->n && a < 64; a++)
        for (EndpointId b = 0; b < s->n && b < 64; b++)
            if (s->node[a].state != STEPS_EXTERNAL && s->node[b].state != STEPS_EXTERNAL &&
                ((mask >> a) & 1) != ((mask >> b) & 1))
                s->cut[a][b] = TRUE;
}

void steps_heal(Steps *s)
{
    memset(s->cut, 0, sizeof s->cut);
}

/* Completes one disk operation of the first live instance that has one; FALSE if none has. */
static gboolean pump_disk(Steps *s)
{
    for (EndpointId id = 0; id < s->n; id++) {
        if (s->node[id].state == STEPS_UP && steps_disk_queued(s, id) > 0) {
            steps_disk_one(s, id);
            return TRUE;
        }
    }
    return FALSE;
}

/* Delivers (or drops, over a cut link) the oldest message to an instance; FALSE if none. */
static gboolean pump_net(Steps *s)
{
    for (guint k = 0; k < s->net->len; k++) {
        Msg *m = g_ptr_array_index(s->net, k);
        if (s->node[m->to].state == STEPS_EXTERNAL)
            continue;
        g_ptr_array_steal_index(s->net, k);
        if (s->cut[m->from][m->to])
            msg_free(m);
        else
            steps_deliver(s, m);
        return TRUE;
    }
    return FALSE;
}

void steps_pump(Steps *s)
{
    for (guint rounds = 0; pump_disk(s) || pump_net(s); rounds++)
        g_assert(rounds < 1000000);
}

/* ---- what the steps did ---- */

static gboolean seen_sent(const StepsSeen *x, EndpointId node, MsgType type, EndpointId to)
{
    return x->act.kind == ACT_SEND && ep_is(node, x->node) &&
           msg_is(x->act.msg, type, STEPS_ANY, to);
}

const Msg *steps_sent_first(const Steps *s, guint from, EndpointId node, MsgType type,
                            EndpointId to)
{
    for (guint k = from; k < s->seen->len; k++)
        if (seen_sent(steps_seen(s, k), node, type, to))
            return steps_seen(s, k)->act.msg;
    return NULL;
}

guint steps_sent_count(const Steps *s, guint from, EndpointId node, MsgType type, EndpointId to)
{
    guint n = 0;
    for (guint k = from; k < s->seen->len; k++)
        n += seen_sent(steps_seen(s, k), node, type, to);
    return n;
}

const Msg *steps_sent_last(const Steps *s, EndpointId node, MsgType type, EndpointId to)
{
    for (guint k = s->seen->len; k-- > 0;)
        if (seen_sent(steps_seen(s, k), node, type, to))
            return steps_seen(s, k)->act.msg;
    return NULL;
}

const ProtoAction *steps_acted_fds(const Steps *s, guint from, EndpointId node, ActionKind kind,
                                   int fd_lo, int fd_hi)
{
    for (guint k = from; k < s->seen->len; k++) {
        const StepsSeen *x = steps_seen(s, k);
        if (x->act.kind == kind && ep_is(node, x->node) && x->act.file >= fd_lo &&
            x->act.file <= fd_hi)
            return &x->act;
    }
    return NULL;
}

const ProtoAction *steps_acted(const Steps *s, guint from, EndpointId node, ActionKind kind,
                               int file)
{
    return file < 0 ? steps_acted_fds(s, from, node, kind, 0, INT_MAX)
                    : steps_acted_fds(s, from, node, kind, file, file);
}

const ProtoAction *steps_noted(const Steps *s, guint from, EndpointId node, NoteKind kind)
{
    for (guint k = from; k < s->seen->len; k++) {
        const StepsSeen *x = steps_seen(s, k);
        if (x->act.kind == ACT_NOTE && x->act.sub == kind && ep_is(node, x->node))
            return &x->act;
    }
    return NULL;
}

/* ---- what the last step did ---- */

guint steps_out_count(const Steps *s, ActionKind kind)
{
    guint n = 0;
    for (guint i = 0; i < s->out.len; i++)
        n += s->out.items[i].kind == kind;
    return n;
}

gint steps_out_pos(const Steps *s, ActionKind kind, gint sub)
{
    for (guint i = 0; i < s->out.len; i++)
        if (s->out.items[i].kind == kind && (sub < 0 || s->out.items[i].sub == sub))
            return (gint)i;
    return -1;
}

guint steps_out_sends(const Steps *s, MsgType type, EndpointId to)
{
    guint n = 0;
    for (guint i = 0; i < s->out.len; i++)
        n += s->out.items[i].kind == ACT_SEND && msg_is(s->out.items[i].msg, type, STEPS_ANY, to);
    return n;
}

const Msg *steps_out_sent_one(const Steps *s, MsgType type, EndpointId to)
{
    assert_int_equal(steps_out_sends(s, type, to), 1);
    for (guint i = 0; i < s->out.len; i++)
        if (s->out.items[i].kind == ACT_SEND && msg_is(s->out.items[i].msg, type, STEPS_ANY, to))
            return s->out.items[i].msg;
    return NULL;
}
