/* scenarios/generate.c — the random scenario generator (see generate.h). All its draws come from
 * the "generator" stream of the seed, so they never shift the run's own streams. */
#include "scenarios/generate.h"

static uint64_t draw(SimRng *rng, uint64_t lo, uint64_t hi)
{
    return sim_rng_uniform(rng, lo, hi);
}

static void gen_cluster(WorldConfig *c, SimRng *rng)
{
    c->fs = (FsProfile)draw(rng, 0, FS_PROFILE_COUNT - 1);
    c->net_latency = sim_rng_ms_range(rng, 1, 3, 5);
    c->disk_fsync_latency = sim_rng_ms_range(rng, 1, 2, 4);
    c->request_timeout = (SimTime)draw(rng, 300, 1000) * SIM_MS;
    c->protocol->swarm.cluster(c, rng);
    c->protocol->config_resolve(c, 0);
}

/* The device's atomic write unit (from byte-granular tears to 4 KiB pages, 512-byte sectors most
 * often) and, beyond the model only, a kernel that loses write-back errors (4.13 to 4.15 never
 * tell a descriptor opened after the error; before 4.13 only the first fsync hears it). */
static void gen_disk(WorldConfig *c, FaultMode mode, SimRng *rng)
{
    static const guint units[] = {1, 8, 512, 512, 512, 512, 4096, 4096};
    c->disk_atomic_write = units[draw(rng, 0, G_N_ELEMENTS(units) - 1)];
    if (mode == FAULTS_BEYOND && sim_rng_chance(rng, 1, 3))
        c->kernel = sim_rng_chance(rng, 1, 2) ? FS_KERNEL_4_13 : FS_KERNEL_PRE_4_13;
}

static void gen_workload(WorldConfig *c, SimRng *rng)
{
    c->clients = (guint)draw(rng, 1, 4);
    c->ops = (guint)draw(rng, 10, 40);
    if (c->protocol->swarm.profiles && sim_rng_chance(rng, 1, 8)) {
        /* A long workload (a catch-up longer than one append carries), with settle time for a
         * scrub to go round a log that long. */
        c->ops = (guint)draw(rng, 80, 160);
        c->settle = 2 * SIM_SEC + (SimTime)c->ops * 25 * SIM_MS;
    }
    /* Raft's hard cases need reads and writes of one key around a leader change. */
    c->keys = (guint)draw(rng, 1, c->protocol->swarm.keys_max);
    c->mix[OP_PUT] = (guint)draw(rng, 1, 10);
    c->mix[OP_GET] = (guint)draw(rng, 0, 10);
    c->mix[OP_ADD] = (guint)draw(rng, 0, 6);
    c->mix[OP_DELETE] = (guint)draw(rng, 0, 2);
    c->client_timeout = (SimTime)draw(rng, 200, 2000) * SIM_MS;
    c->client_retries = (guint)draw(rng, 1, 4);
    if (c->protocol->swarm.workload)
        c->protocol->swarm.workload(c);
}

Scenario *scenario_generate(const Protocol *protocol, uint64_t seed, FaultMode mode)
{
    SimRng rng;
    sim_rng_stream(&rng, seed, "generator", 0);
    Scenario *s = scenario_new(protocol);
    s->name = g_strdup_printf("fuzz-%s-%" G_GUINT64_FORMAT, protocol->name, seed);
    s->summary = g_strdup_printf("generated from seed %" G_GUINT64_FORMAT " (faults %s the model)",
                                 seed, mode == FAULTS_WITHIN ? "within" : "beyond");
    WorldConfig *c = &s->config;
    c->seed = seed;
    c->duration = 30 * SIM_SEC;
    c->settle = 2 * SIM_SEC;
    gen_cluster(c, &rng);
    gen_disk(c, mode, &rng);
    gen_workload(c, &rng);
    /* About how long the workload runs: a few round trips per operation per client. */
    SimTime horizon = (SimTime)(c->ops / c->clients + 1) * 20 * SIM_MS + 200 * SIM_MS;
    /* Operations on the cluster first: how much failure the swarm may inject depends on them. */
    if (protocol->swarm.admin)
        protocol->swarm.admin(c, horizon, &rng);
    swarm_generate(c, horizon, mode, &rng, &s->faults);
    swarm_profile(c, horizon, mode, &rng, &s->faults);
    /* What the generator makes must pass the checks a user's file passes: a bug here, not input. */
    g_autoptr(GError) err = NULL;
    if (!world_config_validate(c, &err) || !fault_plan_validate(&s->faults, c, &err))
        g_error("the generator made an invalid scenario for seed %" G_GUINT64_FORMAT ": %s", seed,
                err->message);
    return s;
}
