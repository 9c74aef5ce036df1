/* scenarios/mutate.c — mutating scenarios for guided campaigns (see mutate.h). Each mutation
 * changes one thing; one that leaves the scenario invalid (for the loader's checks) or beyond
 * the failure budget of a within-model campaign is undone and another is drawn. New faults come
 * from the swarm itself (a fresh schedule for the same cluster, one fault of it), so they have
 * the shapes and parameters the swarm gives them. */
#include "scenarios/mutate.h"

#include <string.h>

#define TRIES 16 /* attempts at one valid mutation */

typedef enum {
    MUT_ADD,
    MUT_DROP,
    MUT_TIME,
    MUT_TRIGGER,
    MUT_NTH,
    MUT_KIND,
    MUT_TARGET,
    MUT_LENGTH,
    MUT_CLUSTER,
    MUT_WORKLOAD,
    MUT_SEED,
    MUT_SPLICE,
    MUT_COUNT,
} MutKind;

/* How often each is drawn (out of the sum): faults first, as AFL favours the input's body. */
static const guint weight[MUT_COUNT] = {
    [MUT_ADD] = 6,     [MUT_DROP] = 3,     [MUT_TIME] = 6,   [MUT_TRIGGER] = 3,
    [MUT_NTH] = 4,     [MUT_KIND] = 3,     [MUT_TARGET] = 3, [MUT_LENGTH] = 3,
    [MUT_CLUSTER] = 3, [MUT_WORKLOAD] = 2, [MUT_SEED] = 2,   [MUT_SPLICE] = 2,
};

typedef struct {
    Scenario *s;
    const Scenario *donor;
    FaultMode mode;
    SimRng *rng;
    GString *what;
} Mut;

static uint64_t draw(SimRng *rng, uint64_t lo, uint64_t hi)
{
    return sim_rng_uniform(rng, lo, hi);
}

static gboolean coin(SimRng *rng)
{
    return sim_rng_chance(rng, 1, 2);
}

SimTime scenario_horizon(const WorldConfig *c)
{
    return (SimTime)(c->ops / MAX(c->clients, 1) + 1) * 20 * SIM_MS + 200 * SIM_MS;
}

static FaultSpec *fault_at(const Mut *m, guint i)
{
    return g_ptr_array_index(m->s->faults.faults, i);
}

/* A random fault of the scenario, or NULL when it has none. */
static FaultSpec *some_fault(Mut *m, guint *index)
{
    guint n = m->s->faults.faults->len;
    if (n == 0)
        return NULL;
    *index = (guint)draw(m->rng, 0, n - 1);
    return fault_at(m, *index);
}

/* A fresh fault for this cluster, as the swarm draws them (NULL if it drew none). */
static FaultSpec *fresh_fault(Mut *m)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        FaultPlan plan;
        fault_plan_init(&plan);
        swarm_generate(&m->s->config, scenario_horizon(&m->s->config), m->mode, m->rng, &plan);
        FaultSpec *f = NULL;
        if (plan.faults->len > 0)
            f = fault_spec_copy(
                g_ptr_array_index(plan.faults, draw(m->rng, 0, plan.faults->len - 1)));
        fault_plan_clear(&plan);
        if (f)
            return f;
    }
    return NULL;
}

static gboolean mut_add(Mut *m)
{
    FaultSpec *f = fresh_fault(m);
    if (!f)
        return FALSE;
    g_string_append_printf(m->what, "add %s", fault_kind_name(f->kind));
    g_ptr_array_add(m->s->faults.faults, f);
    return TRUE;
}

static gboolean mut_drop(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    if (!f)
        return FALSE;
    g_string_append_printf(m->what, "drop %s", f->name);
    g_ptr_array_remove_index(m->s->faults.faults, i);
    return TRUE;
}

/* A new time near the old one, or anywhere in the busy window. */
static SimTime nearby(Mut *m, SimTime t)
{
    switch (draw(m->rng, 0, 3)) {
    case 0:
        return t + (SimTime)draw(m->rng, 1, 200) * SIM_MS;
    case 1:
        return MAX(0, t - (SimTime)draw(m->rng, 1, 200) * SIM_MS);
    case 2:
        return coin(m->rng) ? t * 2 : t / 2;
    default:
        return sim_rng_duration(m->rng, sim_range(0, scenario_horizon(&m->s->config)));
    }
}

static gboolean mut_time(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    if (!f || f->trigger != TRIG_AT)
        return FALSE;
    SimTime was = f->at;
    f->at = nearby(m, f->at);
    char a[32], b[32];
    g_string_append_printf(m->what, "move %s %s -> %s", f->name,
                           sim_time_format_human(was, a, sizeof a),
                           sim_time_format_human(f->at, b, sizeof b));
    return f->at != was;
}

/* A failpoint a fault on `f`'s target can hit: its node's kind's, or any of the protocol's. */
static FailpointId some_failpoint(Mut *m, const FaultSpec *f)
{
    const Protocol *p = m->s->config.protocol;
    if (f->target == TARGET_NODE && f->node < world_config_server_count(&m->s->config)) {
        const ProtoNodeKind *k = &p->kinds[protocol_kind_of(p, &m->s->config, f->node)];
        if (k->fp_first != FP_NONE)
            return (FailpointId)draw(m->rng, k->fp_first, k->fp_last);
    }
    return (FailpointId)(p->fp_first + draw(m->rng, 0, p->n_failpoints - 1));
}

/* Another moment for a fault: a time, a failpoint, or a reachability mark of the protocol. */
static gboolean mut_trigger(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    const Protocol *p = m->s->config.protocol;
    if (!f || f->kind == FAULT_HEAL || f->kind == FAULT_RESTART)
        return FALSE;
    switch (draw(m->rng, 0, 2)) {
    case 0:
        if (f->trigger == TRIG_AT)
            return FALSE;
        f->trigger = TRIG_AT;
        f->at = sim_rng_duration(m->rng, sim_range(0, scenario_horizon(&m->s->config)));
        g_string_append_printf(m->what, "time %s", f->name);
        return TRUE;
    case 1:
        if (p->n_failpoints == 0)
            return FALSE;
        f->trigger = TRIG_FAILPOINT;
        f->fp = some_failpoint(m, f);
        f->nth = (guint)draw(m->rng, 1, 6);
        g_string_append_printf(m->what, "strike %s on %s", f->name,
                               protocol_failpoint_name(p, f->fp));
        return TRUE;
    default:
        if (p->n_marks == 0)
            return FALSE;
        f->trigger = TRIG_MARK;
        f->mark = (MarkId)draw(m->rng, 0, p->n_marks - 1);
        f->nth = (guint)draw(m->rng, 1, 4);
        g_string_append_printf(m->what, "strike %s on mark:%s", f->name, p->marks[f->mark].name);
        return TRUE;
    }
}

static gboolean mut_nth(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    if (!f || f->trigger == TRIG_AT)
        return FALSE;
    guint was = f->nth;
    f->nth =
        coin(m->rng) ? MAX(1u, f->nth + (guint)draw(m->rng, 0, 2) - 1u) : (guint)draw(m->rng, 1, 8);
    if (f->nth == was)
        f->nth = was + 1;
    g_string_append_printf(m->what, "nth of %s %u -> %u", f->name, was, f->nth);
    return TRUE;
}

/* Another kind at the same moment: a fresh fault of another kind takes the old one's trigger. */
static gboolean mut_kind(Mut *m)
{
    guint i;
    FaultSpec *old = some_fault(m, &i);
    if (!old)
        return FALSE;
    FaultSpec *f = fresh_fault(m);
    if (!f || f->kind == old->kind) {
        fault_spec_free(f);
        return FALSE;
    }
    if (f->kind != FAULT_HEAL && f->kind != FAULT_RESTART) {
        f->trigger = old->trigger;
        f->at = old->at;
        f->fp = old->fp;
        f->nth = old->nth;
    }
    g_string_append_printf(m->what, "%s becomes %s", old->name, fault_kind_name(f->kind));
    g_ptr_array_index(m->s->faults.faults, i) = f;
    fault_spec_free(old);
    return TRUE;
}

static gboolean mut_target(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    if (!f || f->target == TARGET_NONE)
        return FALSE;
    const WorldConfig *c = &m->s->config;
    const Protocol *p = c->protocol;
    gboolean disk = fault_kind_needs_disk(f->kind);
    guint span = disk ? c->nodes : world_config_server_count(c);
    if (!disk && f->trigger == TRIG_FAILPOINT && coin(m->rng)) {
        f->target = TARGET_ANY;
        if (p->roles[0] != ROLE_NONE && coin(m->rng)) {
            guint nroles = 0;
            while (p->roles[nroles] != ROLE_NONE)
                nroles++;
            f->target = TARGET_ROLE;
            f->role = p->roles[draw(m->rng, 0, nroles - 1)];
        }
    } else {
        f->target = TARGET_NODE;
        f->node = (EndpointId)draw(m->rng, 0, span - 1);
    }
    g_clear_pointer(&f->node_text, g_free);
    g_string_append_printf(m->what, "retarget %s", f->name);
    return TRUE;
}

static SimTime scaled(Mut *m, SimTime t)
{
    return coin(m->rng) ? t * 2 : MAX(t / 2, SIM_MS);
}

static gboolean mut_length(Mut *m)
{
    guint i;
    FaultSpec *f = some_fault(m, &i);
    if (!f)
        return FALSE;
    if (fault_kind_info(f->kind)->lasting && f->duration > 0)
        f->duration = scaled(m, f->duration);
    else if (f->kind == FAULT_CRASH && f->restart_after != SIM_TIME_NEVER)
        f->restart_after = scaled(m, f->restart_after);
    else if (fault_kind_has_param(f->kind, FAULT_PARAM_COUNT))
        f->count = MAX(1u, coin(m->rng) ? f->count + 1 : f->count - 1);
    else
        return FALSE;
    g_string_append_printf(m->what, "resize %s", f->name);
    return TRUE;
}

/* One of the protocol's numeric or on/off settings, or the cluster's size or file system. */
static gboolean mut_cluster(Mut *m)
{
    WorldConfig *c = &m->s->config;
    const Protocol *p = c->protocol;
    guint nkeys = 0;
    while (p->keys[nkeys].name)
        nkeys++;
    guint pick = (guint)draw(m->rng, 0, nkeys + 1);
    if (pick == nkeys) {
        c->nodes = (guint)draw(m->rng, 1, 7);
        g_string_append_printf(m->what, "nodes = %u", c->nodes);
        return TRUE;
    }
    if (pick == nkeys + 1) {
        c->fs = (FsProfile)draw(m->rng, 0, FS_PROFILE_COUNT - 1);
        g_string_append_printf(m->what, "fs = %s", fs_profile_name(c->fs));
        return TRUE;
    }
    const ProtoKey *k = &p->keys[pick];
    void *field = c->proto + k->offset;
    if (k->type == PROTO_KEY_UINT) {
        *(guint *)field = (guint)draw(m->rng, k->min, MIN(k->max, MAX(k->min, 7u)));
        g_string_append_printf(m->what, "%s = %u", k->name, *(guint *)field);
    } else if (k->type == PROTO_KEY_BOOL) {
        *(gboolean *)field = !*(gboolean *)field;
        g_string_append_printf(m->what, "%s = %s", k->name, *(gboolean *)field ? "on" : "off");
    } else {
        return FALSE;
    }
    return TRUE;
}

static gboolean mut_workload(Mut *m)
{
    WorldConfig *c = &m->s->config;
    switch (draw(m->rng, 0, 3)) {
    case 0:
        /* Within what settle allows for: a scrub pass over a longer log outlasts it. */
        c->ops = (guint)draw(m->rng, 5, 40);
        g_string_append_printf(m->what, "ops = %u", c->ops);
        break;
    case 1:
        c->clients = (guint)draw(m->rng, 1, 6);
        g_string_append_printf(m->what, "clients = %u", c->clients);
        break;
    case 2:
        c->keys = (guint)draw(m->rng, 1, MAX(c->protocol->swarm.keys_max, 1u));
        g_string_append_printf(m->what, "keys = %u", c->keys);
        break;
    default:
        c->mix[draw(m->rng, OP_PUT, OP_DELETE)] = (guint)draw(m->rng, 0, 10);
        c->mix[OP_PUT] = MAX(c->mix[OP_PUT], 1u);
        g_string_append(m->what, "mix");
        break;
    }
    return TRUE;
}

static gboolean mut_seed(Mut *m)
{
    m->s->config.seed = sim_rng_next(m->rng);
    g_string_append(m->what, "reseed");
    return TRUE;
}

static gboolean mut_splice(Mut *m)
{
    const Scenario *d = m->donor;
    if (!d || d->config.protocol != m->s->config.protocol || d->faults.faults->len == 0)
        return FALSE;
    const FaultSpec *f =
        g_ptr_array_index(d->faults.faults, draw(m->rng, 0, d->faults.faults->len - 1));
    g_ptr_array_add(m->s->faults.faults, fault_spec_copy(f));
    g_string_append_printf(m->what, "splice %s", f->name);
    return TRUE;
}

static gboolean (*const apply[MUT_COUNT])(Mut *) = {
    [MUT_ADD] = mut_add,           [MUT_DROP] = mut_drop,     [MUT_TIME] = mut_time,
    [MUT_TRIGGER] = mut_trigger,   [MUT_NTH] = mut_nth,       [MUT_KIND] = mut_kind,
    [MUT_TARGET] = mut_target,     [MUT_LENGTH] = mut_length, [MUT_CLUSTER] = mut_cluster,
    [MUT_WORKLOAD] = mut_workload, [MUT_SEED] = mut_seed,     [MUT_SPLICE] = mut_splice,
};

static MutKind some_mutation(SimRng *rng)
{
    guint total = 0;
    for (int k = 0; k < MUT_COUNT; k++)
        total += weight[k];
    guint x = (guint)draw(rng, 0, total - 1);
    for (int k = 0; k < MUT_COUNT; k++) {
        if (x < weight[k])
            return (MutKind)k;
        x -= weight[k];
    }
    g_assert_not_reached();
}

/* Nodes the plan damages for good; G_MAXUINT when some cannot be counted ahead. */
static guint planned_damage(const Scenario *s)
{
    gboolean unknown;
    EndpointMask nodes = {0};
    fault_plan_damaged(&s->faults, &s->config, &nodes, &unknown);
    guint n = endpoint_mask_count(&nodes);
    endpoint_mask_clear(&nodes);
    return unknown ? G_MAXUINT : n;
}

/* Whether the loader takes the scenario's text (every check a user's file passes). */
static gboolean loads(const Scenario *s)
{
    g_autoptr(GError) err = NULL;
    if (!world_config_validate(&s->config, &err) ||
        !fault_plan_validate(&s->faults, &s->config, &err))
        return FALSE;
    g_autofree char *text = scenario_to_data(s);
    g_autoptr(Scenario) back = scenario_load_data(text, strlen(text), "mutation", &err);
    return back != NULL;
}

/* Whether every metadata error (which leaves a read-only file system until a power cut mounts it
 * again) is followed by a power cycle of its node, as the swarm makes them within the model. */
static gboolean read_only_ends(const Scenario *s)
{
    for (guint i = 0; i < s->faults.faults->len; i++) {
        const FaultSpec *m = g_ptr_array_index(s->faults.faults, i);
        if (m->kind != FAULT_METADATA_ERROR)
            continue;
        if (m->trigger != TRIG_AT || m->target != TARGET_NODE)
            return FALSE;
        gboolean cycled = FALSE;
        for (guint k = 0; k < s->faults.faults->len && !cycled; k++) {
            const FaultSpec *c = g_ptr_array_index(s->faults.faults, k);
            cycled = c->kind == FAULT_CRASH && c->power && c->trigger == TRIG_AT &&
                     c->target == TARGET_NODE && c->node == m->node && c->at >= m->at &&
                     c->restart_after != SIM_TIME_NEVER;
        }
        if (!cycled)
            return FALSE;
    }
    return TRUE;
}

static gboolean acceptable(const Scenario *s, FaultMode mode)
{
    if (!loads(s))
        return FALSE;
    if (mode != FAULTS_WITHIN)
        return TRUE;
    ProtoTolerance tol;
    s->config.protocol->tolerance(&s->config, &tol);
    return planned_damage(s) <= tol.tolerated && read_only_ends(s);
}

/* Names the faults f1-KIND.. in order, as the swarm does. */
static void rename_faults(Scenario *s)
{
    for (guint i = 0; i < s->faults.faults->len; i++) {
        FaultSpec *f = g_ptr_array_index(s->faults.faults, i);
        g_free(f->name);
        f->name = g_strdup_printf("f%u-%s", i + 1, fault_kind_name(f->kind));
    }
}

/* One mutation that leaves the scenario acceptable, or none after TRIES attempts. */
static void mutate_once(Mut *m)
{
    for (int attempt = 0; attempt < TRIES; attempt++) {
        WorldConfig config;
        world_config_copy(&config, &m->s->config);
        FaultPlan plan;
        fault_plan_copy(&plan, &m->s->faults);
        gsize len = m->what->len;
        MutKind k = some_mutation(m->rng);
        if (apply[k](m) && acceptable(m->s, m->mode)) {
            world_config_clear(&config);
            fault_plan_clear(&plan);
            return;
        }
        g_string_truncate(m->what, len);
        world_config_clear(&m->s->config);
        m->s->config = config;
        fault_plan_clear(&m->s->faults);
        m->s->faults = plan;
    }
}

char *scenario_mutate(Scenario *s, const Scenario *donor, FaultMode mode, guint stack, SimRng *rng)
{
    Mut m = {s, donor, mode, rng, g_string_new(NULL)};
    guint n = (guint)draw(rng, 1, MAX(stack, 1u));
    for (guint i = 0; i < n; i++) {
        if (m.what->len && m.what->str[m.what->len - 1] != ' ')
            g_string_append(m.what, "; ");
        mutate_once(&m);
    }
    rename_faults(s);
    if (m.what->len >= 2 && g_str_has_suffix(m.what->str, "; "))
        g_string_truncate(m.what, m.what->len - 2);
    return g_string_free(m.what, FALSE);
}
