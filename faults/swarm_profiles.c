/* faults/swarm_profiles.c — timing profiles: schedules the plain swarm almost never draws, added
 * to it for some seeds (see swarm.h). The swarm draws each fault on its own; the rare paths of a
 * protocol need faults that meet: a disk error and a restart of the same node moments apart, a
 * crash just as a repair, a handoff or an election began, replicas down together so that writes
 * fail over, messages delivered twice and late, a follower cut off while a long workload runs.
 * Faults struck on reachability marks (`on = mark:NAME`) give the timing: right after the step
 * that began the repair, sent the hints, truncated the log.
 *
 * Within the model every profile stays inside the failure budget: crashes restart, and damage
 * (a lost disk, a media fault) goes only to a node the plan may still damage.
 */
#include "faults/swarm.h"

#include "model/protocol.h"

#include <errno.h>
#include <string.h>

typedef struct {
    const WorldConfig *c;
    SimTime horizon;
    FaultMode mode;
    SimRng *rng;
    FaultPlan *plan;
} Prof;

static uint64_t draw(SimRng *rng, uint64_t lo, uint64_t hi)
{
    return sim_rng_uniform(rng, lo, hi);
}

static SimTime ms(Prof *p, uint64_t lo, uint64_t hi)
{
    return (SimTime)draw(p->rng, lo, hi) * SIM_MS;
}

static FaultSpec *add(Prof *p, FaultKind kind)
{
    FaultSpec *f = fault_spec_new();
    f->kind = kind;
    f->name = g_strdup_printf("f%u-%s", p->plan->faults->len + 1, fault_kind_name(kind));
    g_ptr_array_add(p->plan->faults, f);
    return f;
}

static void on_node(Prof *p, FaultSpec *f, EndpointId node)
{
    f->target = TARGET_NODE;
    f->node = node;
}

static void at_time(FaultSpec *f, SimTime at)
{
    f->trigger = TRIG_AT;
    f->at = at;
}

#define ROLES(r) (1u << (r))
#define ANY_ROLE (ROLES(MARK_ROLE_COUNT) - 1)

/* A mark the model owes of one of `roles` (any owed mark if the protocol has none of them),
 * struck on its nth reach. */
static void on_mark_of(Prof *p, FaultSpec *f, guint roles)
{
    const Protocol *pr = p->c->protocol;
    MarkId owed[MARK_MAX], fit[MARK_MAX];
    guint n = 0, nfit = 0;
    for (guint i = 0; i < pr->n_marks; i++) {
        if (pr->marks[i].unowed)
            continue;
        owed[n++] = (MarkId)i;
        if (roles & ROLES(pr->marks[i].role))
            fit[nfit++] = (MarkId)i;
    }
    g_assert(n > 0);
    f->trigger = TRIG_MARK;
    f->mark = nfit ? fit[draw(p->rng, 0, nfit - 1)] : owed[draw(p->rng, 0, n - 1)];
    f->nth = (guint)draw(p->rng, 1, 4);
}

/* A failpoint node `node` hits (of its own kind), struck on its 1st..nth_max hit there; FALSE
 * when its kind marks none. */
static gboolean on_failpoint_of(Prof *p, FaultSpec *f, EndpointId node, guint nth_max)
{
    const Protocol *pr = p->c->protocol;
    const ProtoNodeKind *k = &pr->kinds[protocol_kind_of(pr, p->c, node)];
    if (k->fp_first == FP_NONE)
        return FALSE;
    f->trigger = TRIG_FAILPOINT;
    f->fp = (FailpointId)draw(p->rng, (uint64_t)k->fp_first, (uint64_t)k->fp_last);
    f->nth = (guint)draw(p->rng, 1, nth_max);
    return TRUE;
}

static EndpointId storage_node(Prof *p)
{
    return (EndpointId)draw(p->rng, 0, p->c->nodes - 1);
}

/* A storage node the plan may still damage within the model, or ENDPOINT_NONE. */
static EndpointId damageable(Prof *p)
{
    if (p->mode == FAULTS_BEYOND)
        return storage_node(p);
    ProtoTolerance tol;
    p->c->protocol->tolerance(p->c, &tol);
    gboolean unknown;
    EndpointMask damaged = {0};
    fault_plan_damaged(p->plan, p->c, &damaged, &unknown);
    guint have = endpoint_mask_count(&damaged);
    EndpointId pick = ENDPOINT_NONE;
    if (!unknown && have < tol.tolerated) {
        pick = storage_node(p);
    } else if (!unknown && have > 0) {
        /* one already damaged: damaging it again spends nothing more */
        guint k = (guint)draw(p->rng, 0, have - 1);
        pick = endpoint_mask_next(&damaged, 0);
        while (k-- > 0)
            pick = endpoint_mask_next(&damaged, (guint)pick + 1u);
    }
    endpoint_mask_clear(&damaged);
    return pick;
}

/* A crash that comes back soon: process or power, 5..150 ms. */
static void quick_crash(Prof *p, FaultSpec *f)
{
    f->power = sim_rng_chance(p->rng, 1, 2);
    f->restart_after = ms(p, 5, 150);
}

/* 1..3 faults struck on marks: crashes, pauses, disk errors, isolations of whoever reaches it. */
static void strike_on_marks(Prof *p)
{
    static const FaultKind kinds[] = {FAULT_CRASH,       FAULT_CRASH,       FAULT_PAUSE,
                                      FAULT_FSYNC_ERROR, FAULT_WRITE_ERROR, FAULT_ISOLATE};
    guint n = (guint)draw(p->rng, 1, 3);
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = add(p, kinds[draw(p->rng, 0, G_N_ELEMENTS(kinds) - 1)]);
        on_mark_of(p, f, ANY_ROLE);
        f->target = TARGET_ANY;
        if (f->kind == FAULT_CRASH)
            quick_crash(p, f);
        else if (f->kind == FAULT_PAUSE || f->kind == FAULT_ISOLATE)
            f->duration = ms(p, 20, 600);
        else
            f->count = (guint)draw(p->rng, 1, 2);
    }
}

/* A node's disk fails, and the node restarts while it handles the failure: what it trusts at
 * boot after a failed fsync (fsyncgate). Whichever disk-error path the node takes first, a crash
 * waits there (up to three of them, on different marks), mostly of the process alone. */
static void disk_then_restart(Prof *p)
{
    EndpointId node = storage_node(p);
    FaultSpec *err = add(p, sim_rng_chance(p->rng, 2, 3) ? FAULT_FSYNC_ERROR : FAULT_WRITE_ERROR);
    at_time(err, ms(p, 0, (uint64_t)(p->horizon / SIM_MS)));
    on_node(p, err, node);
    err->count = (guint)draw(p->rng, 1, 3);
    guint n = (guint)draw(p->rng, 1, 3);
    for (guint i = 0; i < n; i++) {
        FaultSpec *crash = add(p, FAULT_CRASH);
        on_mark_of(p, crash, ROLES(MARK_DISK));
        crash->nth = 1;
        on_node(p, crash, node);
        quick_crash(p, crash);
        crash->power = sim_rng_chance(p->rng, 1, 5); /* a process crash keeps the page cache */
    }
}

/* Disk errors while a node repairs, hands hints back, boots or scrubs. */
static void disk_during_repair(Prof *p)
{
    guint n = (guint)draw(p->rng, 1, 2);
    for (guint i = 0; i < n; i++) {
        static const FaultKind kinds[] = {FAULT_FSYNC_ERROR, FAULT_FSYNC_ERROR, FAULT_WRITE_ERROR,
                                          FAULT_SLOW_DISK};
        FaultSpec *f = add(p, kinds[draw(p->rng, 0, G_N_ELEMENTS(kinds) - 1)]);
        on_mark_of(p, f, ROLES(MARK_REPAIR) | ROLES(MARK_BOOT) | ROLES(MARK_SCRUB));
        f->target = TARGET_ANY;
        if (f->kind == FAULT_SLOW_DISK) {
            f->latency = sim_range(ms(p, 5, 20), ms(p, 20, 300));
            f->duration = ms(p, 50, 600);
        } else {
            f->count = (guint)draw(p->rng, 1, 3);
        }
    }
}

/* Restarts racing a repair, a failure being handled, a boot or an election: whoever reaches the
 * mark crashes right after, and comes back soon. */
static void restart_racing(Prof *p)
{
    guint n = (guint)draw(p->rng, 1, 3);
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = add(p, FAULT_CRASH);
        on_mark_of(p, f,
                   ROLES(MARK_FAILURE) | ROLES(MARK_DISK) | ROLES(MARK_REPAIR) | ROLES(MARK_BOOT) |
                       ROLES(MARK_ELECTION));
        f->target = TARGET_ANY;
        quick_crash(p, f);
    }
}

/* Several storage nodes down at once while the workload runs (writes fail over, hints pile up,
 * elections run), and one of the others restarting in the middle of it (a standby that holds
 * hints, a follower that just caught up). */
static void down_together(Prof *p)
{
    guint n = (guint)draw(p->rng, 1, MAX(1u, (p->c->nodes - 1) / 2 + 1));
    SimTime from = ms(p, 0, (uint64_t)(p->horizon / SIM_MS / 2));
    EndpointMask down = {0};
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = add(p, sim_rng_chance(p->rng, 2, 3) ? FAULT_CRASH : FAULT_ISOLATE);
        at_time(f, from + ms(p, 0, 50));
        on_node(p, f, storage_node(p));
        endpoint_mask_add(&down, f->node);
        SimTime gone = p->horizon / 2 + ms(p, 50, 800);
        if (f->kind == FAULT_CRASH) {
            f->power = sim_rng_chance(p->rng, 1, 2);
            f->restart_after = gone;
        } else {
            f->duration = gone;
        }
    }
    EndpointId other = storage_node(p);
    for (guint k = 0; k < p->c->nodes && endpoint_mask_has(&down, other); k++)
        other = (EndpointId)((other + 1) % p->c->nodes);
    endpoint_mask_clear(&down);
    if (sim_rng_chance(p->rng, 1, 2)) {
        FaultSpec *r = add(p, FAULT_CRASH);
        quick_crash(p, r);
        at_time(r, from + ms(p, 100, 600));
        on_node(p, r, other);
        return;
    }
    /* Whoever takes over for them, right as it does (stores a hint, recruits a standby, begins
     * a repair), once or twice: every standby holding a write may restart before handing it
     * back. */
    FaultSpec *first = add(p, FAULT_CRASH);
    quick_crash(p, first);
    on_mark_of(p, first, ROLES(MARK_REPAIR));
    first->target = TARGET_ANY;
    if (sim_rng_chance(p->rng, 1, 2)) {
        FaultSpec *again = add(p, FAULT_CRASH); /* the same mark, reached next (by another) */
        quick_crash(p, again);
        again->trigger = TRIG_MARK;
        again->mark = first->mark;
        again->nth = first->nth + (guint)draw(p->rng, 1, 2);
        again->target = TARGET_ANY;
    }
}

/* Jepsen's bridge: two groups of servers cannot reach each other while the rest reach both, so
 * each group may win the bridges over on its own (elections in the same term, a leader the
 * others do not know); half the time a bridge loses its disk right after it promised something
 * (voted, appended) and comes back knowing nothing of what it told either side. */
static void bridge(Prof *p)
{
    guint servers = p->c->nodes;
    if (servers < 3)
        return;
    EndpointMask side[2] = {{NULL, 0}, {NULL, 0}}, cut = {0};
    for (guint g = 0; g < 2; g++) {
        guint n = (guint)draw(p->rng, 1, MAX(1u, (servers - 1) / 2));
        for (guint k = 0; k < n; k++) {
            EndpointId e = (EndpointId)draw(p->rng, 0, servers - 1);
            for (guint t = 0; t < servers && endpoint_mask_has(&cut, e); t++)
                e = (EndpointId)((e + 1) % servers);
            if (endpoint_mask_has(&cut, e))
                break;
            endpoint_mask_add(&cut, e);
            endpoint_mask_add(&side[g], e);
        }
    }
    gboolean split = !endpoint_mask_is_empty(&side[1]) && endpoint_mask_count(&cut) < servers;
    SimTime from = 0, lasting = 0;
    if (split) {
        from = ms(p, 0, (uint64_t)(p->horizon / SIM_MS / 2));
        lasting = ms(p, 300, 3000);
        for (guint i = 0; i < 2; i++) {
            FaultSpec *f = add(p, FAULT_ONEWAY);
            at_time(f, from);
            endpoint_mask_copy(&f->from_mask, &side[i]);
            endpoint_mask_copy(&f->to_mask, &side[1 - i]);
            f->duration = lasting;
        }
    }
    endpoint_mask_clear(&side[0]);
    endpoint_mask_clear(&side[1]);
    EndpointId c = split ? damageable(p) : ENDPOINT_NONE;
    gboolean bridging = c != ENDPOINT_NONE && !endpoint_mask_has(&cut, c);
    endpoint_mask_clear(&cut);
    if (!bridging || sim_rng_chance(p->rng, 1, 2))
        return;
    FaultSpec *loss = add(p, FAULT_DISK_LOSS);
    on_node(p, loss, c);
    if (!on_failpoint_of(p, loss, c, 3))
        at_time(loss, from + ms(p, 0, (uint64_t)(lasting / SIM_MS)));
}

/* Failover: most storage nodes go down together for a while, so that the writes of the keys they
 * hold fail over (to standbys, as hints; to the few servers left), and every node that stayed up
 * restarts once before they come back: whatever it took over for them must survive its own
 * restart and still reach them (a hint read back at boot and handed off, a log kept). */
static void failover(Prof *p)
{
    guint nodes = p->c->nodes;
    if (nodes < 3)
        return;
    EndpointId order[WORLD_MAX_NODES];
    for (guint i = 0; i < nodes; i++)
        order[i] = (EndpointId)i;
    for (guint i = nodes - 1; i > 0; i--) {
        guint j = (guint)draw(p->rng, 0, i);
        EndpointId t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    guint d = (guint)draw(p->rng, 2, nodes - 1);
    SimTime from = ms(p, 0, (uint64_t)(p->horizon / SIM_MS / 3));
    SimTime away = ms(p, 800, 2500);
    for (guint i = 0; i < nodes; i++) {
        FaultSpec *f = add(p, FAULT_CRASH);
        on_node(p, f, order[i]);
        if (i < d) {
            at_time(f, from + ms(p, 0, 30));
            f->power = sim_rng_chance(p->rng, 1, 2);
            f->restart_after = from + away - f->at;
        } else {
            at_time(f, from + ms(p, 200, (uint64_t)(away / SIM_MS) - 150));
            quick_crash(p, f);
        }
    }
}

/* A dying disk: slow for a while, and failing fsyncs (or writes) in the middle of it, so that a
 * node's writes wait long between write() and fsync while the rest of the cluster goes on (an
 * anti-entropy round, a read, a handoff reaching what is not durable yet). */
static void dying_disk(Prof *p)
{
    EndpointId node = storage_node(p);
    SimTime from = ms(p, 0, (uint64_t)(p->horizon / SIM_MS));
    FaultSpec *slow = add(p, FAULT_SLOW_DISK);
    at_time(slow, from);
    on_node(p, slow, node);
    slow->latency = sim_range(ms(p, 10, 50), ms(p, 50, 400));
    slow->duration = ms(p, 300, 2000);
    guint n = (guint)draw(p->rng, 1, 3);
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = add(p, sim_rng_chance(p->rng, 3, 4) ? FAULT_FSYNC_ERROR : FAULT_WRITE_ERROR);
        at_time(f, from + ms(p, 0, (uint64_t)(slow->duration / SIM_MS)));
        on_node(p, f, node);
        f->err = sim_rng_chance(p->rng, 3, 4) ? EIO : ENOSPC;
        f->count = (guint)draw(p->rng, 1, 2);
    }
}

/* Messages delivered twice and late: stale answers and appends reach nodes that moved on. */
static void stale_delivery(Prof *p)
{
    guint all = world_config_endpoint_count(p->c);
    SimTime from = ms(p, 0, (uint64_t)(p->horizon / SIM_MS / 2));
    FaultSpec *dup = add(p, FAULT_DUPLICATE);
    at_time(dup, from);
    dup->from_mask = endpoint_mask_first(all);
    dup->to_mask = endpoint_mask_first(all);
    dup->num = draw(p->rng, 10, 60);
    dup->den = 100;
    dup->duration = ms(p, 300, 1500);
    FaultSpec *late = add(p, FAULT_DELAY);
    at_time(late, from + ms(p, 0, 100));
    late->from_mask = endpoint_mask_first(all);
    late->to_mask = endpoint_mask_first(all);
    late->latency = sim_range(ms(p, 1, 20), ms(p, 100, 900));
    late->duration = ms(p, 300, 1500);
}

/* A node cut off for a long while, then back: a long catch-up (with a long workload). */
static void long_absence(Prof *p)
{
    FaultSpec *f = add(p, FAULT_ISOLATE);
    at_time(f, ms(p, 0, (uint64_t)(p->horizon / SIM_MS / 3)));
    on_node(p, f, storage_node(p));
    f->duration = ms(p, 500, 4000);
}

/* A server cut off from the other servers but not from the clients, right as it does something
 * (a raft leader mid-replication, a coordinator mid-request): it goes on answering them while
 * the others move on without it (Jepsen's "partition the leader from the majority"). When it
 * hears of them again it steps down and tells its clients what became of their requests. */
static void cut_from_peers(Prof *p)
{
    guint servers = world_config_server_count(p->c);
    guint endpoints = world_config_endpoint_count(p->c);
    EndpointId s = (EndpointId)draw(p->rng, 0, servers - 1);
    FaultSpec *f = add(p, FAULT_PARTITION);
    for (guint id = 0; id < endpoints; id++)
        endpoint_groups_set(&f->groups, (EndpointId)id, id == s || id >= servers);
    f->duration = ms(p, 100, 1500);
    if (on_failpoint_of(p, f, s, 6)) {
        f->target = TARGET_NODE;
        f->node = s;
    } else {
        at_time(f, ms(p, 0, (uint64_t)(p->horizon / SIM_MS)));
    }
}

/* A node loses what it just promised: its disk (or a part of it) goes right after it hit a
 * failpoint — voted, appended, acked — and messages on their way to it arrive after it rebooted
 * (a vote request of the same term, an append it already took). Within the model only a node the
 * plan may still damage. */
static void lose_after_promise(Prof *p)
{
    EndpointId node = damageable(p);
    if (node == ENDPOINT_NONE)
        return;
    FaultSpec *f = add(p, sim_rng_chance(p->rng, 2, 3) ? FAULT_DISK_LOSS : FAULT_CORRUPT);
    on_node(p, f, node);
    f->count = (guint)draw(p->rng, 1, 3);
    if (!on_failpoint_of(p, f, node, 4))
        at_time(f, ms(p, 0, (uint64_t)(p->horizon / SIM_MS)));
    if (sim_rng_chance(p->rng, 1, 2))
        return;
    FaultSpec *late = add(p, FAULT_DELAY);
    at_time(late, 0);
    late->from_mask = endpoint_mask_first(world_config_endpoint_count(p->c));
    late->to_mask = endpoint_mask_one(node);
    late->num = draw(p->rng, 20, 100);
    late->den = 100;
    late->latency = sim_range(ms(p, 2, 10), ms(p, 10, 120));
    late->duration = p->horizon;
}

/* A node loses data (at a time, or right after it voted, began a repair or took an append),
 * and restarts (or its peers do) while it repairs. */
static void repair_racing_restarts(Prof *p)
{
    EndpointId node = damageable(p);
    if (node == ENDPOINT_NONE)
        return;
    FaultSpec *loss = add(p, sim_rng_chance(p->rng, 1, 2) ? FAULT_DISK_LOSS : FAULT_CORRUPT);
    if (sim_rng_chance(p->rng, 1, 2))
        at_time(loss, ms(p, 0, (uint64_t)(p->horizon / SIM_MS)));
    else
        on_mark_of(p, loss, ROLES(MARK_ELECTION) | ROLES(MARK_REPAIR));
    on_node(p, loss, node);
    loss->count = (guint)draw(p->rng, 1, 3);
    guint n = (guint)draw(p->rng, 1, 2);
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = add(p, FAULT_CRASH);
        on_mark_of(p, f, ROLES(MARK_REPAIR) | ROLES(MARK_BOOT) | ROLES(MARK_ELECTION));
        if (sim_rng_chance(p->rng, 1, 2))
            on_node(p, f, node);
        else
            f->target = TARGET_ANY;
        quick_crash(p, f);
    }
}

void swarm_profile(const WorldConfig *c, SimTime horizon, FaultMode mode, SimRng *rng,
                   FaultPlan *plan)
{
    Prof p = {c, horizon, mode, rng, plan};
    /* The profiles that meet failure paths, repairs, boots, failover and long absences come up
     * twice as often. */
    static const struct {
        void (*fn)(Prof *);
        guint weight;
    } profiles[] = {
        {strike_on_marks, 1},    {disk_then_restart, 2},
        {disk_during_repair, 2}, {restart_racing, 2},
        {down_together, 1},      {stale_delivery, 1},
        {long_absence, 2},       {repair_racing_restarts, 1},
        {cut_from_peers, 1},     {lose_after_promise, 1},
        {dying_disk, 1},         {bridge, 1},
        {failover, 2},
    };
    if (!c->protocol->swarm.profiles || c->protocol->n_marks == 0 || !sim_rng_chance(rng, 1, 2))
        return;
    guint total = 0;
    for (guint i = 0; i < G_N_ELEMENTS(profiles); i++)
        total += profiles[i].weight;
    guint x = (guint)draw(rng, 0, total - 1);
    for (guint i = 0; i < G_N_ELEMENTS(profiles); i++) {
        if (x < profiles[i].weight) {
            profiles[i].fn(&p);
            return;
        }
        x -= profiles[i].weight;
    }
}
