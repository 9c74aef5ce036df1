/* faults/swarm.c — the swarm fault generator (see swarm.h). */
#include "faults/swarm.h"

#include "model/protocol.h"

#include <errno.h>
#include <string.h>

const char *fault_mode_name(FaultMode m)
{
    return m == FAULTS_WITHIN ? "within" : "beyond";
}

gboolean fault_mode_parse(const char *text, FaultMode *out)
{
    if (strcmp(text, "within") == 0)
        *out = FAULTS_WITHIN;
    else if (strcmp(text, "beyond") == 0)
        *out = FAULTS_BEYOND;
    else
        return FALSE;
    return TRUE;
}

static uint64_t draw(SimRng *rng, uint64_t lo, uint64_t hi)
{
    return sim_rng_uniform(rng, lo, hi);
}

static SimTime draw_time(SimRng *rng, SimTime lo, SimTime hi)
{
    return sim_rng_duration(rng, sim_range(lo, hi));
}

static gboolean coin(SimRng *rng, uint64_t num, uint64_t den)
{
    return sim_rng_chance(rng, num, den);
}

static EndpointMask all_mask(const WorldConfig *c)
{
    return endpoint_mask_first(world_config_endpoint_count(c));
}

/* A failpoint of the protocol, for a fault that fires on one (in failpoint order). */
static FailpointId random_failpoint(const WorldConfig *c, SimRng *rng)
{
    const Protocol *p = c->protocol;
    FailpointId fps[PROTO_MAX_FAILPOINTS];
    guint n = 0;
    for (guint i = 0; i < p->n_failpoints; i++)
        if (protocol_has_failpoint(p, (FailpointId)(p->fp_first + i)))
            fps[n++] = (FailpointId)(p->fp_first + i);
    g_assert(n > 0);
    return fps[draw(rng, 0, n - 1)];
}

typedef struct {
    const WorldConfig *c;
    SimTime horizon;
    FaultMode mode;
    SimRng *rng;
    FaultPlan *plan;
    gboolean enabled[FAULT_KIND_COUNT];
    uint64_t intensity[FAULT_KIND_COUNT]; /* 1..3 */
    EndpointMask damaged;                 /* nodes planned to lose durable data */
    guint tolerated;
    gboolean down_counts; /* a server down for good spends the failure budget */
} Gen;

static EndpointId pick_server(Gen *g)
{
    return (EndpointId)draw(g->rng, 0, world_config_server_count(g->c) - 1);
}

static EndpointId pick_node(Gen *g)
{
    return (EndpointId)draw(g->rng, 0, g->c->nodes - 1);
}

/* A node allowed to lose durable data, or ENDPOINT_NONE if the budget is spent. */
static EndpointId pick_damage_node(Gen *g)
{
    if (g->mode == FAULTS_BEYOND)
        return pick_node(g);
    guint have = endpoint_mask_count(&g->damaged);
    if (have < g->tolerated) {
        EndpointId n = pick_node(g);
        endpoint_mask_add(&g->damaged, n);
        return n;
    }
    if (have == 0)
        return ENDPOINT_NONE;
    /* Damage again a node already counted (the k-th, in node order). */
    guint k = (guint)draw(g->rng, 0, have - 1);
    EndpointId n = endpoint_mask_next(&g->damaged, 0);
    while (k-- > 0)
        n = endpoint_mask_next(&g->damaged, n + 1u);
    return n;
}

static void name_fault(FaultSpec *f, guint index)
{
    f->name = g_strdup_printf("f%u-%s", index + 1, fault_kind_name(f->kind));
}

static void set_node(Gen *g, FaultSpec *f, EndpointId node)
{
    f->target = TARGET_NODE;
    f->node = node;
    f->node_text = world_config_endpoint_name(g->c, node);
}

/* ---- one fault's parameters, kind by kind (every draw from g->rng, in this order) ---- */

static void fill_crash(Gen *g, FaultSpec *f, uint64_t level)
{
    SimRng *rng = g->rng;
    EndpointId n = pick_server(g);
    set_node(g, f, n);
    f->power = coin(rng, 2, 3);
    f->restart_after = draw_time(rng, 10 * SIM_MS, (SimTime)level * 400 * SIM_MS);
    if (!coin(rng, 1, 10))
        return;
    /* Down for good: for raft that spends the failure budget, as lost data does. */
    gboolean raft_server = g->down_counts && n < g->c->nodes;
    gboolean budget =
        endpoint_mask_has(&g->damaged, n) || endpoint_mask_count(&g->damaged) < g->tolerated;
    if (!raft_server || g->mode == FAULTS_BEYOND || budget) {
        if (raft_server)
            endpoint_mask_add(&g->damaged, n);
        f->restart_after = SIM_TIME_NEVER;
    }
}

/* Every endpoint on one side or the other, both sides non-empty. */
static void fill_partition(Gen *g, FaultSpec *f)
{
    guint n = world_config_endpoint_count(g->c);
    gboolean split = FALSE;
    for (guint id = 0; id < n; id++) {
        endpoint_groups_set(&f->groups, (EndpointId)id, (guint)draw(g->rng, 0, 1));
        split |= f->groups.group[id] != f->groups.group[0];
    }
    if (!split) {
        EndpointId id = (EndpointId)draw(g->rng, 0, n - 1);
        endpoint_groups_set(&f->groups, id, f->groups.group[id] ^ 1u);
    }
}

static void fill_oneway(Gen *g, FaultSpec *f)
{
    EndpointId a = pick_server(g), b = pick_server(g);
    if (a == b)
        b = (EndpointId)((b + 1) % world_config_server_count(g->c));
    f->from_mask = endpoint_mask_one(a);
    f->to_mask = endpoint_mask_one(b);
}

/* A drop, duplicate or delay rule between everyone or one server, either way. */
static void fill_net_rule(Gen *g, FaultSpec *f, uint64_t level)
{
    SimRng *rng = g->rng;
    f->from_mask = coin(rng, 1, 2) ? all_mask(g->c) : endpoint_mask_one(pick_server(g));
    f->to_mask = coin(rng, 1, 2) ? all_mask(g->c) : endpoint_mask_one(pick_server(g));
    f->num = draw(rng, 1, 10 * level);
    f->den = 100;
    f->latency = sim_range(draw_time(rng, 5 * SIM_MS, 20 * SIM_MS),
                           draw_time(rng, 20 * SIM_MS, (SimTime)level * 100 * SIM_MS));
}

/* A read-only file system until a power cut; FALSE when the failure budget is spent. */
static gboolean fill_metadata_error(Gen *g, FaultSpec *f)
{
    /* A read-only file system serves nothing until a power cut: for raft a server that
     * stays so spends the failure budget, as one down for good does. */
    EndpointId n = g->down_counts ? pick_damage_node(g) : pick_node(g);
    if (n == ENDPOINT_NONE)
        return FALSE;
    set_node(g, f, n);
    /* At a time, so that the power cycle that mounts it again can follow (reboot_after). */
    f->trigger = TRIG_AT;
    f->at = draw_time(g->rng, 0, g->horizon);
    return TRUE;
}

/* Sector errors, corruption or a lost disk; FALSE when the failure budget is spent. */
static gboolean fill_damage(Gen *g, FaultSpec *f, uint64_t level)
{
    EndpointId n = pick_damage_node(g);
    if (n == ENDPOINT_NONE)
        return FALSE;
    set_node(g, f, n);
    f->count = (guint)draw(g->rng, 1, level);
    return TRUE;
}

static void fill_slow_disk(Gen *g, FaultSpec *f, uint64_t level)
{
    set_node(g, f, pick_node(g));
    f->latency = sim_range(draw_time(g->rng, 5 * SIM_MS, 20 * SIM_MS),
                           draw_time(g->rng, 20 * SIM_MS, (SimTime)level * 150 * SIM_MS));
}

/* A client's clock only where the protocol does not read clients' clocks (or beyond). */
static void fill_clock_skew(Gen *g, FaultSpec *f, uint64_t level)
{
    SimRng *rng = g->rng;
    gboolean client_ok = g->mode == FAULTS_BEYOND || !g->c->protocol->client_clocks;
    EndpointId n = client_ok ? (EndpointId)draw(rng, 0, world_config_endpoint_count(g->c) - 1)
                             : pick_server(g);
    set_node(g, f, n);
    f->offset = (SimTime)draw(rng, 0, (uint64_t)level * 200) * SIM_MS;
    if (coin(rng, 1, 2))
        f->offset = -f->offset;
}

/* Fills f's parameters for its kind; FALSE when the kind cannot be had here. A lasting fault
 * lasts `lasting`, drawn first for every kind. */
static gboolean fill(Gen *g, FaultSpec *f)
{
    SimRng *rng = g->rng;
    uint64_t level = g->intensity[f->kind];
    SimTime lasting = draw_time(rng, 20 * SIM_MS, (SimTime)level * 300 * SIM_MS);
    switch (f->kind) {
    case FAULT_CRASH:
        fill_crash(g, f, level);
        return TRUE;
    case FAULT_RESTART:
        set_node(g, f, pick_server(g));
        return TRUE;
    case FAULT_PAUSE:
    case FAULT_ISOLATE:
        set_node(g, f, pick_server(g));
        break;
    case FAULT_PARTITION:
        fill_partition(g, f);
        break;
    case FAULT_ONEWAY:
        fill_oneway(g, f);
        break;
    case FAULT_DROP:
    case FAULT_DUPLICATE:
    case FAULT_DELAY:
        fill_net_rule(g, f, level);
        break;
    case FAULT_HEAL:
        return TRUE;
    case FAULT_FSYNC_ERROR:
    case FAULT_WRITE_ERROR:
        set_node(g, f, pick_node(g));
        f->err = coin(rng, 3, 4) ? EIO : ENOSPC;
        f->count = (guint)draw(rng, 1, level * 2);
        return TRUE;
    case FAULT_WRITEBACK_ERROR:
        set_node(g, f, pick_node(g));
        f->err = coin(rng, 3, 4) ? EIO : ENOSPC;
        return TRUE;
    case FAULT_DISK_FULL:
        set_node(g, f, pick_node(g));
        break;
    case FAULT_METADATA_ERROR:
        return fill_metadata_error(g, f);
    case FAULT_SECTOR_ERROR:
    case FAULT_CORRUPT:
    case FAULT_DISK_LOSS:
        return fill_damage(g, f, level);
    case FAULT_SLOW_DISK:
        fill_slow_disk(g, f, level);
        break;
    case FAULT_CLOCK_SKEW:
        fill_clock_skew(g, f, level);
        return TRUE;
    default:
        return FALSE;
    }
    f->duration = lasting;
    return TRUE;
}

/* Raft's hardest cases need several leaders in a row, each cut down just after it appended
 * entries that reached only some servers (Figure 8 among them), or stopped for a while and
 * resumed believing it still leads (Jepsen's pause nemesis). A burst of such crashes, each
 * restarting soon so that an old leader with the longest log can win again, and pauses. */
static void leader_churn(Gen *g)
{
    guint n = (guint)draw(g->rng, 2, 5);
    for (guint i = 0; i < n; i++) {
        FaultSpec *f = fault_spec_new();
        f->kind = coin(g->rng, 1, 2) ? FAULT_CRASH : FAULT_PAUSE;
        f->trigger = TRIG_FAILPOINT;
        const ProtoSwarm *ps = &g->c->protocol->swarm;
        f->fp = coin(g->rng, 1, 2) ? ps->churn_fp[0] : ps->churn_fp[1];
        f->nth = (guint)draw(g->rng, 1, 6);
        f->target = TARGET_ROLE;
        f->role = ROLE_LEADER;
        f->node_text = g_strdup(node_role_name(f->role));
        if (f->kind == FAULT_CRASH) {
            f->power = coin(g->rng, 1, 2);
            f->restart_after = draw_time(g->rng, 10 * SIM_MS, 250 * SIM_MS);
        } else {
            /* Long enough for the others to elect a new leader, short enough that the paused one
             * may resume before its own check-quorum deadline: two leaders for a while. */
            SimRange t = ps->takeover(g->c);
            f->duration = draw_time(g->rng, t.lo, t.hi);
        }
        name_fault(f, g->plan->faults->len);
        g_ptr_array_add(g->plan->faults, f);
    }
}

/* After a failed metadata write the operator power-cycles the node: a power cut a little later
 * mounts its file system again. */
static void reboot_after(Gen *g, const FaultSpec *ro)
{
    FaultSpec *f = fault_spec_new();
    f->kind = FAULT_CRASH;
    f->trigger = TRIG_AT;
    f->at = ro->at + draw_time(g->rng, 50 * SIM_MS, 500 * SIM_MS);
    set_node(g, f, ro->node);
    f->power = TRUE;
    f->restart_after = draw_time(g->rng, 10 * SIM_MS, 200 * SIM_MS);
    name_fault(f, g->plan->faults->len);
    g_ptr_array_add(g->plan->faults, f);
}

/* The server the run's script first removes (ENDPOINT_NONE: none), and whether the script
 * changes the membership at all. */
static gboolean changes_membership(const WorldConfig *c, EndpointId *removed)
{
    gboolean any = FALSE;
    *removed = ENDPOINT_NONE;
    for (guint i = 0; c->scripted && i < c->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(c->scripted, i);
        if (op->kind == OP_REMOVE_SERVER && *removed == ENDPOINT_NONE && op->value >= 0)
            *removed = (EndpointId)op->value;
        any |= op->kind == OP_ADD_SERVER || op->kind == OP_REMOVE_SERVER;
    }
    return any;
}

static FaultSpec *churn_fault(Gen *g, FaultKind kind, FailpointId fp, guint nth_max)
{
    FaultSpec *f = fault_spec_new();
    f->kind = kind;
    f->trigger = TRIG_FAILPOINT;
    f->fp = fp;
    f->nth = (guint)draw(g->rng, 1, nth_max);
    return f;
}

/* Reconfiguration churn (ProtoSwarm.change_fp): the leader that appends a configuration is cut
 * off before it can replicate it; another leader takes over, and a voter crashes just after
 * voting for it (the server the script removes, when it removes one: operators remove the
 * servers that fail); the leader that commits a configuration is cut off in its turn. These are
 * the schedules under which one leader's configuration must meet another's (the single-server
 * change bug of 2015 needs all three). The cut-offs last long enough to elect a new leader. */
static void reconfig_churn(Gen *g, EndpointId removed)
{
    const ProtoSwarm *ps = &g->c->protocol->swarm;
    SimRange t = ps->takeover(g->c);
    for (guint k = 0; k < 3; k++) {
        if (!coin(g->rng, 5, 6))
            continue;
        gboolean vote = k == 2;
        /* The first configuration appended; the first or second committed; most often the
         * second vote the server grants (the first elected the leader that fell). */
        FaultSpec *f = churn_fault(g, vote ? FAULT_CRASH : FAULT_ISOLATE, ps->change_fp[k],
                                   k == 0   ? 1
                                   : k == 1 ? 2
                                            : 3);
        if (vote && coin(g->rng, 2, 3))
            f->nth = 2;
        if (vote && removed != ENDPOINT_NONE) {
            set_node(g, f, removed);
        } else {
            f->target = TARGET_ROLE;
            f->role = vote ? ROLE_FOLLOWER : ROLE_LEADER;
            f->node_text = g_strdup(node_role_name(f->role));
        }
        if (vote)
            f->restart_after = draw_time(g->rng, t.lo, 2 * t.hi);
        else
            f->duration = draw_time(g->rng, t.hi, 8 * t.hi);
        name_fault(f, g->plan->faults->len);
        g_ptr_array_add(g->plan->faults, f);
    }
}

/* The faults of a swarm whose kinds are drawn. */
static void generate_faults(Gen *g, const ProtoTolerance *tol)
{
    const WorldConfig *c = g->c;
    const Protocol *p = c->protocol;
    SimRng *rng = g->rng;
    FaultPlan *plan = g->plan;
    FaultMode mode = g->mode;
    SimTime horizon = g->horizon;
    FaultKind kinds[FAULT_KIND_COUNT];
    guint nkinds = 0;
    for (int k = 0; k < FAULT_KIND_COUNT; k++)
        if (g->enabled[k])
            kinds[nkinds++] = (FaultKind)k;
    guint nfaults = (guint)draw(rng, 1, 8);
    for (guint i = 0; i < nfaults; i++) {
        FaultSpec *f = fault_spec_new();
        f->kind = kinds[draw(rng, 0, nkinds - 1)];
        gboolean on_failpoint =
            coin(rng, p->swarm.failpoint_chance[0], p->swarm.failpoint_chance[1]);
        if (on_failpoint && f->kind != FAULT_HEAL && f->kind != FAULT_RESTART) {
            f->trigger = TRIG_FAILPOINT;
            f->fp = random_failpoint(c, rng);
            f->nth = (guint)draw(rng, 1, 8);
        } else {
            f->trigger = TRIG_AT;
            f->at = draw_time(rng, 0, horizon);
        }
        if (!fill(g, f)) {
            fault_spec_free(f);
            continue;
        }
        if (f->trigger == TRIG_FAILPOINT && f->target == TARGET_NODE && p->n_kinds > 1) {
            /* A node hits only its own kind's failpoints (a replica never a coordinator's). */
            const ProtoNodeKind *k = &p->kinds[protocol_kind_of(p, c, f->node)];
            f->fp = (FailpointId)draw(rng, k->fp_first, k->fp_last);
        }
        const FaultKindInfo *info = fault_kind_info(f->kind);
        gboolean retarget = f->trigger == TRIG_FAILPOINT && f->target == TARGET_NODE &&
                            info->needs != FAULT_NEEDS_DISK && !info->on_clients && coin(rng, 2, 3);
        if (retarget) {
            /* On a failpoint, act on whichever node hits it: for raft most often the leader,
             * mid-replication, which is where its hardest cases live. */
            g_clear_pointer(&f->node_text, g_free);
            f->target = TARGET_ANY;
            if (p->swarm.by_role && coin(rng, 3, 4)) {
                f->target = TARGET_ROLE;
                f->role = coin(rng, 3, 4) ? ROLE_LEADER : ROLE_FOLLOWER;
                f->node_text = g_strdup(node_role_name(f->role));
            }
            if (f->kind == FAULT_CRASH && f->restart_after == SIM_TIME_NEVER &&
                mode == FAULTS_WITHIN && tol->down_counts)
                f->restart_after = 200 * SIM_MS; /* whoever it hits: keep it within budget */
        }
        name_fault(f, plan->faults->len);
        g_ptr_array_add(plan->faults, f);
        if (f->kind == FAULT_METADATA_ERROR && (mode == FAULTS_WITHIN || coin(rng, 1, 2)))
            reboot_after(g, f);
    }
    if (p->swarm.takeover && coin(rng, 1, 2))
        leader_churn(g);
    EndpointId removed;
    if (p->swarm.takeover && p->swarm.admin && changes_membership(c, &removed) && coin(rng, 3, 4))
        reconfig_churn(g, removed);
}

void swarm_generate(const WorldConfig *c, SimTime horizon, FaultMode mode, SimRng *rng,
                    FaultPlan *plan)
{
    Gen g = {.c = c, .horizon = horizon, .mode = mode, .rng = rng, .plan = plan};
    const Protocol *p = c->protocol;
    ProtoTolerance tol;
    p->tolerance(c, &tol);
    g.tolerated = tol.tolerated;
    g.down_counts = tol.down_counts;
    /* Swarm: a random subset of fault kinds, each at its own intensity. */
    gboolean any = FALSE;
    for (int k = 0; k < FAULT_KIND_COUNT; k++) {
        g.enabled[k] = coin(rng, 1, 3);
        g.intensity[k] = draw(rng, 1, 3);
        any |= g.enabled[k];
    }
    if (!any || coin(rng, 1, 10))
        return; /* some seeds run fault-free: the baseline must hold too */
    generate_faults(&g, &tol);
    endpoint_mask_clear(&g.damaged);
}
