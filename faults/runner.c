/* faults/runner.c — arms a fault plan on a world and fires its faults: at their times through
 * the engine's queue, or synchronously from the failpoint hook between two actions of a node.
 * Every choice (which follower, which node for `any`) comes from the run's "faults" stream. */
#include "faults/fault.h"

#include "model/protocol.h"

#include <string.h>

struct FaultRunner {
    World *w;
    const FaultPlan *plan;
    SimRng rng;
    guint *hits; /* per fault: failpoint hits that matched its filter */
    guint timed_left;
    gboolean disarmed;
    GArray *fired;   /* of FiredFault */
    GArray *net_ids; /* per fired fault: world net rule id, or 0 */
};

/* Whether the fault may act on endpoint id now. */
static gboolean candidate(World *w, const FaultSpec *f, EndpointId id)
{
    if (!world_is_server(w, id))
        return FALSE;
    if (fault_kind_needs_disk(f->kind) && !world_is_node(w, id))
        return FALSE;
    if (f->target == TARGET_ROLE && world_role(w, id) != f->role)
        return FALSE;
    /* restart `any`: a node that is down */
    return !(f->target == TARGET_ANY && f->kind == FAULT_RESTART && world_is_up(w, id));
}

/* A node with `role` (or any server) now, chosen by the faults stream; ENDPOINT_NONE if none. */
static EndpointId pick(FaultRunner *r, const FaultSpec *f)
{
    World *w = r->w;
    guint n = 0;
    for (EndpointId id = 0; id < world_endpoint_count(w); id++)
        n += candidate(w, f, id);
    if (n == 0)
        return ENDPOINT_NONE;
    guint k = (guint)sim_rng_uniform(&r->rng, 0, n - 1);
    for (EndpointId id = 0;; id++)
        if (candidate(w, f, id) && k-- == 0)
            return id;
}

static void on_restart(void *ctx, uint64_t node, uint64_t b)
{
    FaultRunner *r = ctx;
    if (!world_is_up(r->w, (EndpointId)node))
        world_restart(r->w, (EndpointId)node);
}

static void on_net_end(void *ctx, uint64_t rule_id, uint64_t b)
{
    FaultRunner *r = ctx;
    world_net_remove(r->w, (guint)rule_id);
}

/* A slow disk's window closed: its effect lasts until the backlog it built has drained. */
static void on_slow_end(void *ctx, uint64_t fired, uint64_t b)
{
    FaultRunner *r = ctx;
    FiredFault *ff = &g_array_index(r->fired, FiredFault, fired);
    ff->ends = world_disk_idle_at(r->w, ff->node);
}

static void on_full_end(void *ctx, uint64_t node, uint64_t b)
{
    FaultRunner *r = ctx;
    world_disk_full(r->w, (EndpointId)node, FALSE);
}

static void record(FaultRunner *r, guint index, EndpointId node, SimTime ends, guint hit)
{
    FiredFault ff = {index, world_now(r->w), node, ends, hit};
    g_array_append_val(r->fired, ff);
}

/* The rule of a network fault; the caller clears it (net_rule_clear). */
static NetRule net_rule_of(const FaultSpec *f, EndpointId node, guint nendpoints)
{
    NetRule rule = {0};
    switch (f->kind) {
    case FAULT_PARTITION:
        rule.kind = NET_PARTITION;
        endpoint_groups_copy(&rule.groups, &f->groups);
        break;
    case FAULT_ISOLATE:
        rule.kind = NET_PARTITION;
        endpoint_groups_set(&rule.groups, node, 1);
        break;
    case FAULT_ONEWAY:
        rule.kind = NET_ONEWAY;
        break;
    case FAULT_DROP:
        rule.kind = NET_DROP;
        break;
    case FAULT_DUPLICATE:
        rule.kind = NET_DUPLICATE;
        break;
    default:
        rule.kind = NET_DELAY;
        break;
    }
    endpoint_mask_copy(&rule.from_mask, &f->from_mask);
    endpoint_mask_copy(&rule.to_mask, &f->to_mask);
    rule.num = f->num;
    rule.den = f->den ? f->den : 1;
    rule.latency = f->latency;
    (void)nendpoints;
    return rule;
}

/* Whether the node will wake to an empty disk, which it cannot tell from a lost one: after a
 * power crash, when nothing it wrote is durable yet (it crashed before its first fsync); after a
 * process crash, when not even the page cache holds anything (it crashed before its first write
 * completed). */
static gboolean disk_blank_after(World *w, EndpointId node, gboolean power)
{
    Disk *d = world_disk(w, node);
    if (d == NULL)
        return FALSE;
    for (guint f = 0; f < disk_nfiles(d); f++)
        if (disk_file_exists(d, f) &&
            (disk_durable_length(d, f) > 0 || (!power && disk_length(d, f) > 0)))
            return FALSE;
    return TRUE;
}

static void fire_crash(FaultRunner *r, guint index, EndpointId node)
{
    const FaultSpec *f = g_ptr_array_index(r->plan->faults, index);
    World *w = r->w;
    guint blank = disk_blank_after(w, node, f->power);
    world_crash_keep(w, node, f->power, f->keep);
    if (f->restart_after != SIM_TIME_NEVER)
        sim_queue_after(world_queue(w), f->restart_after, on_restart, r, node, 0);
    SimTime now = world_now(w);
    record(r, index, node,
           f->restart_after == SIM_TIME_NEVER ? SIM_TIME_NEVER : now + f->restart_after, blank);
}

/* A partition, isolation, one-way cut, drop, duplicate or delay rule, for its duration. */
static void fire_net_rule(FaultRunner *r, guint index, EndpointId node)
{
    const FaultSpec *f = g_ptr_array_index(r->plan->faults, index);
    World *w = r->w;
    NetRule rule = net_rule_of(f, node, world_endpoint_count(w));
    guint id = world_net_add(w, &rule, f->kind, node);
    net_rule_clear(&rule);
    if (f->duration > 0)
        sim_queue_after(world_queue(w), f->duration, on_net_end, r, id, 0);
    SimTime now = world_now(w);
    record(r, index, node, f->duration > 0 ? now + f->duration : SIM_TIME_NEVER, 0);
}

/* Every network fault ends here. */
static void fire_heal(FaultRunner *r, guint index)
{
    World *w = r->w;
    SimTime now = world_now(w);
    world_net_heal(w);
    for (guint i = 0; i < r->fired->len; i++) {
        FiredFault *ff = &g_array_index(r->fired, FiredFault, i);
        const FaultSpec *g = g_ptr_array_index(r->plan->faults, ff->fault);
        if (fault_kind_info(g->kind)->net_rule && ff->ends > now)
            ff->ends = now;
    }
    record(r, index, ENDPOINT_NONE, now, 0);
}

static void fire(FaultRunner *r, guint index, EndpointId node)
{
    const FaultSpec *f = g_ptr_array_index(r->plan->faults, index);
    World *w = r->w;
    SimTime now = world_now(w);
    switch (f->kind) {
    case FAULT_CRASH:
        fire_crash(r, index, node);
        break;
    case FAULT_RESTART: {
        /* A restart stops the process as a process crash does (the page cache stays). */
        guint blank = disk_blank_after(w, node, FALSE);
        world_restart(w, node);
        record(r, index, node, now, blank);
        break;
    }
    case FAULT_PAUSE:
        world_pause(w, node, f->duration);
        record(r, index, node, now + f->duration, 0);
        break;
    case FAULT_PARTITION:
    case FAULT_ISOLATE:
    case FAULT_ONEWAY:
    case FAULT_DROP:
    case FAULT_DUPLICATE:
    case FAULT_DELAY:
        fire_net_rule(r, index, node);
        break;
    case FAULT_HEAL:
        fire_heal(r, index);
        break;
    case FAULT_FSYNC_ERROR:
        world_fsync_errors_matching(w, node, f->err, f->count, f->file_text);
        record(r, index, node, now, 0);
        break;
    case FAULT_WRITEBACK_ERROR:
        record(r, index, node, now, world_writeback_error(w, node, f->err, f->file_text));
        break;
    case FAULT_DISK_FULL:
        world_disk_full(w, node, TRUE);
        record(r, index, node, f->duration > 0 ? now + f->duration : SIM_TIME_NEVER, 0);
        if (f->duration > 0)
            sim_queue_after(world_queue(w), f->duration, on_full_end, r, node, 0);
        break;
    case FAULT_METADATA_ERROR:
        world_metadata_error(w, node);
        record(r, index, node, now, 0);
        break;
    case FAULT_WRITE_ERROR:
        world_write_errors(w, node, f->err, f->count);
        record(r, index, node, now, 0);
        break;
    case FAULT_SECTOR_ERROR:
        record(r, index, node, now, world_sector_errors(w, node, f->count));
        break;
    case FAULT_CORRUPT:
        record(r, index, node, now, world_corrupt(w, node, f->count));
        break;
    case FAULT_SLOW_DISK:
        world_slow_disk(w, node, f->latency, f->duration);
        record(r, index, node, now + f->duration, 0);
        sim_queue_after(world_queue(w), f->duration, on_slow_end, r, r->fired->len - 1, 0);
        break;
    case FAULT_DISK_LOSS:
        world_disk_loss(w, node);
        record(r, index, node, now, 1);
        break;
    case FAULT_CLOCK_SKEW:
        world_set_clock_skew(w, node, f->offset);
        record(r, index, node, now, 0);
        break;
    default:
        g_assert_not_reached();
    }
}

static void on_timed(void *ctx, uint64_t index, uint64_t b)
{
    FaultRunner *r = ctx;
    const FaultSpec *f = g_ptr_array_index(r->plan->faults, index);
    g_assert(r->timed_left > 0);
    r->timed_left--;
    EndpointId node = ENDPOINT_NONE;
    if (f->target == TARGET_NODE)
        node = f->node;
    else if (f->target == TARGET_ROLE || f->target == TARGET_ANY)
        node = pick(r, f);
    if (fault_kind_needs_node(f->kind) && node == ENDPOINT_NONE)
        return; /* no node has that role now: the fault has nothing to act on */
    fire(r, (guint)index, node);
}

/* A step of `node` reached a watched mark `times` times: the mark faults it completes fire. */
static void on_mark(void *ctx, World *w, EndpointId node, MarkId mark, MarkCount times)
{
    FaultRunner *r = ctx;
    if (r->disarmed)
        return;
    for (guint i = 0; i < r->plan->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(r->plan->faults, i);
        if (f->trigger != TRIG_MARK || f->mark != mark)
            continue;
        if (f->target == TARGET_NODE && f->node != node)
            continue;
        if (f->target == TARGET_ROLE && world_role(w, node) != f->role)
            continue;
        guint was = r->hits[i];
        r->hits[i] = (guint)MIN((MarkCount)G_MAXUINT, was + times);
        if (was >= f->nth || r->hits[i] < f->nth)
            continue;
        if (fault_kind_needs_disk(f->kind) && !world_is_node(w, node))
            continue;
        fire(r, i, node);
    }
}

static void on_failpoint(void *ctx, World *w, EndpointId node, FailpointId fp)
{
    FaultRunner *r = ctx;
    if (r->disarmed)
        return;
    for (guint i = 0; i < r->plan->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(r->plan->faults, i);
        if (f->trigger != TRIG_FAILPOINT || f->fp != fp)
            continue;
        if (f->target == TARGET_NODE && f->node != node)
            continue;
        if (f->target == TARGET_ROLE && world_role(w, node) != f->role)
            continue;
        if (++r->hits[i] != f->nth)
            continue;
        if (fault_kind_needs_disk(f->kind) && !world_is_node(w, node))
            continue;
        fire(r, i, node);
        if (!world_is_up(w, node))
            return; /* it crashed right here; nothing else of its step happens */
    }
}

FaultRunner *fault_runner_new(World *w, const FaultPlan *plan)
{
    FaultRunner *r = g_new0(FaultRunner, 1);
    r->w = w;
    r->plan = plan;
    sim_rng_stream(&r->rng, world_config(w)->seed, "faults", 0);
    r->hits = g_new0(guint, plan->faults->len ? plan->faults->len : 1);
    r->fired = g_array_new(FALSE, FALSE, sizeof(FiredFault));
    for (guint i = 0; i < plan->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(plan->faults, i);
        if (f->trigger == TRIG_AT) {
            sim_queue_at(world_queue(w), f->at, on_timed, r, i, 0);
            r->timed_left++;
        }
    }
    world_set_failpoint_hook(w, on_failpoint, r);
    MarkId marks[WORLD_MAX_WATCHED_MARKS];
    guint nmarks = fault_plan_marks(plan, marks);
    if (nmarks > 0)
        world_watch_marks(w, marks, nmarks, on_mark, r);
    return r;
}

void fault_runner_disarm(FaultRunner *r)
{
    r->disarmed = TRUE;
}

void fault_runner_free(FaultRunner *r)
{
    if (r == NULL)
        return;
    g_free(r->hits);
    g_array_free(r->fired, TRUE);
    g_free(r);
}

/* Whether the injected errors of a fired fsync- or write-error fault are not all used yet. */
static gboolean errors_pending(const FaultRunner *r, const FiredFault *ff)
{
    const FaultSpec *f = g_ptr_array_index(r->plan->faults, ff->fault);
    return (f->kind == FAULT_FSYNC_ERROR || f->kind == FAULT_WRITE_ERROR) &&
           disk_failures_pending(world_disk(r->w, ff->node)) > 0;
}

gboolean fault_runner_quiet(FaultRunner *r, SimTime *last_end)
{
    SimTime last = 0;
    gboolean quiet = r->timed_left == 0;
    SimTime now = world_now(r->w);
    for (guint i = 0; i < r->fired->len; i++) {
        FiredFault *ff = &g_array_index(r->fired, FiredFault, i);
        if (errors_pending(r, ff) && world_is_up(r->w, ff->node)) {
            ff->ends = now; /* not over while the disk still has errors to give */
            quiet = FALSE;
        }
        SimTime end = ff->ends == SIM_TIME_NEVER ? ff->time : ff->ends;
        last = MAX(last, end);
        if (ff->ends != SIM_TIME_NEVER && ff->ends > now)
            quiet = FALSE;
    }
    *last_end = last;
    return quiet;
}

gboolean fault_runner_lasting(const FaultRunner *r, SimTime now)
{
    for (guint i = 0; i < r->fired->len; i++) {
        const FiredFault *ff = &g_array_index(r->fired, FiredFault, i);
        const FaultSpec *f = g_ptr_array_index(r->plan->faults, ff->fault);
        /* A node that crashed for good stays down: the end-state checks skip nodes that are
         * down, so it does not keep the rest of the cluster from being judged. */
        if (f->kind == FAULT_CRASH && ff->ends == SIM_TIME_NEVER)
            continue;
        if (ff->ends > now)
            return TRUE;
        /* Injected disk errors last until the disk has used them up; a read-only file system
         * until a power cut mounts it again. */
        if ((f->kind == FAULT_FSYNC_ERROR || f->kind == FAULT_WRITE_ERROR) &&
            disk_failures_pending(world_disk(r->w, ff->node)) > 0)
            return TRUE;
        if ((f->kind == FAULT_METADATA_ERROR || f->kind == FAULT_FSYNC_ERROR) &&
            disk_is_read_only(world_disk(r->w, ff->node)))
            return TRUE;
    }
    return FALSE;
}

gboolean fault_runner_spent(const FaultRunner *r)
{
    if (r->timed_left > 0)
        return FALSE;
    for (guint i = 0; !r->disarmed && i < r->plan->faults->len; i++) {
        const FaultSpec *f = g_ptr_array_index(r->plan->faults, i);
        if (f->trigger == TRIG_FAILPOINT && r->hits[i] < f->nth)
            return FALSE; /* armed: a failpoint may still fire it */
    }
    SimTime now = world_now(r->w);
    for (guint i = 0; i < r->fired->len; i++) {
        const FiredFault *ff = &g_array_index(r->fired, FiredFault, i);
        if (ff->ends == SIM_TIME_NEVER || ff->ends > now || errors_pending(r, ff))
            return FALSE;
        /* A skewed clock stays skewed: versions drawn from it no longer follow time. */
        if (((const FaultSpec *)g_ptr_array_index(r->plan->faults, ff->fault))->kind ==
            FAULT_CLOCK_SKEW)
            return FALSE;
    }
    return TRUE;
}

const GArray *fault_runner_fired(const FaultRunner *r)
{
    return r->fired;
}

/* ---- the within-model judgement ---- */

void model_judgement_clear(ModelJudgement *j)
{
    g_free(j->reason);
    j->reason = NULL;
}

void fault_judge(const WorldConfig *c, const FaultPlan *plan, const GArray *fired,
                 const EndpointMask *down_at_end, guint broken_promises, ModelJudgement *out)
{
    *out = (ModelJudgement){.within = TRUE, .linearizable = TRUE};
    const Protocol *p = c->protocol;
    ProtoTolerance tol;
    p->tolerance(c, &tol);
    EndpointMask damaged = {0};
    gboolean client_skew = FALSE;
    for (guint i = 0; i < fired->len; i++) {
        const FiredFault *ff = &g_array_index(fired, FiredFault, i);
        const FaultSpec *f = g_ptr_array_index(plan->faults, ff->fault);
        if (ff->node == ENDPOINT_NONE)
            continue;
        if (f->kind == FAULT_DISK_LOSS ||
            ((f->kind == FAULT_CORRUPT || f->kind == FAULT_SECTOR_ERROR) && ff->hit > 0))
            endpoint_mask_add(&damaged, ff->node);
        if ((f->kind == FAULT_CRASH || f->kind == FAULT_RESTART) && ff->hit > 0 && tol.empty_reboot)
            endpoint_mask_add(&damaged, ff->node);
        if (f->kind == FAULT_CLOCK_SKEW && ff->node >= world_config_server_count(c) &&
            f->offset != 0)
            client_skew = TRUE;
    }
    guint ndamaged = endpoint_mask_count(&damaged);
    guint tolerated = tol.tolerated;
    guint down = 0; /* down at the end and not damaged, when that spends the budget */
    for (EndpointId n = endpoint_mask_next(down_at_end, 0); tol.down_counts && n != ENDPOINT_NONE;
         n = endpoint_mask_next(down_at_end, n + 1u))
        down += !endpoint_mask_has(&damaged, n);
    endpoint_mask_clear(&damaged);
    guint nfailed = ndamaged + down;
    if (nfailed > tolerated) {
        out->within = FALSE;
        if (down)
            out->reason = g_strdup_printf("%u server%s lost durable data and %u stayed down; %s "
                                          "survives %u failure%s",
                                          ndamaged, ndamaged == 1 ? "" : "s", down, p->name,
                                          tolerated, tolerated == 1 ? "" : "s");
        else
            out->reason = g_strdup_printf("%u node%s lost durable data; %s survives %u", ndamaged,
                                          ndamaged == 1 ? "" : "s", tol.survivor, tolerated);
    } else if (broken_promises > 0) {
        out->within = FALSE;
        out->reason = g_strdup_printf(
            "the file system broke its promise: an fsync returned 0 after losing %u write%s it "
            "never reported to that descriptor (kernel = %s)",
            broken_promises, broken_promises == 1 ? "" : "s", fs_kernel_name(c->kernel));
    }
    if (!p->owes_linearizable(c, ndamaged) || (p->client_clocks && client_skew))
        out->linearizable = FALSE;
    if (!out->within)
        out->linearizable = FALSE;
}
