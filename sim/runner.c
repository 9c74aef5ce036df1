/* sim/runner.c — scenario -> world -> run -> verdict (see runner.h). */
#include "sim/runner.h"

#include "model/protocol.h"
#include "sim/protocols.h"
#include "reports/stream.h"

#include <string.h>

#define SLICE (20 * SIM_MS) /* how often the phase conditions are looked at */

/* Every invariant in every run of this process (runner_set_check_invariants). */
static gboolean check_all;

void runner_set_check_invariants(gboolean on)
{
    check_all = on;
}

/* The whole history in every run of this process (runner_set_keep_history); or, for tests of
 * the folds, fold each write as soon as it is settled (DURASIM_STREAM_EAGER). */
static gboolean keep_all, stream_eager;

void runner_set_stream_eager(gboolean on)
{
    stream_eager = on;
}

void runner_set_keep_history(gboolean on)
{
    keep_all = on;
}

/* The run on this thread, for the crash report of a failed assertion. */
static __thread World *current_world;
static __thread const char *current_name;

gboolean runner_describe_current(char *buf, gsize size)
{
    World *w = current_world;
    if (!w)
        return FALSE;
    char when[32];
    const WorldConfig *c = world_config(w);
    g_snprintf(buf, size,
               "scenario=%s protocol=%s seed=%" G_GUINT64_FORMAT
               " time=%s event=%" G_GUINT64_FORMAT,
               current_name ? current_name : "?", protocol_name(c->protocol), c->seed,
               sim_time_format_human(world_now(w), when, sizeof when),
               sim_queue_events_run(world_queue(w)));
    return TRUE;
}

static void expectation_failed(RunResult *r, char *text)
{
    g_ptr_array_add(r->failures, text);
}

static const HistOp *final_read(World *w, const char *key)
{
    KeyId k;
    if (!world_key_lookup(w, key, &k))
        return NULL;
    History *h = world_history(w);
    const HistOp *found = NULL;
    for (guint i = 0; i < history_len(h); i++) {
        if (history_is_folded(h, i))
            continue;
        const HistOp *op = history_op(h, i);
        if ((op->flags & HOP_FINAL) && op->key == k)
            found = op;
    }
    return found;
}

static void check_count(RunResult *r, const char *what, gint64 expected, guint actual)
{
    if (expected >= 0 && (guint64)expected != actual)
        expectation_failed(r, g_strdup_printf("%s: expected %" G_GINT64_FORMAT ", got %u", what,
                                              expected, actual));
}

static void judge_expectations(const Scenario *s, World *w, RunResult *r)
{
    const Expect *e = &s->expect;
    const Verdict *v = &r->verdict;
    g_autofree char *actual = violation_set_format(v->kinds);
    if (e->has_violations && v->kinds != e->violations) {
        g_autofree char *want = violation_set_format(e->violations);
        expectation_failed(r, g_strdup_printf("violations: expected %s, got %s", want, actual));
    }
    if (e->has_include && (v->kinds & e->include) != e->include) {
        g_autofree char *want = violation_set_format(e->include);
        expectation_failed(
            r, g_strdup_printf("violations.include: expected %s, got %s", want, actual));
    }
    if (!e->has_violations && !e->has_include && v->kinds != 0)
        expectation_failed(r, g_strdup_printf("violations: expected none, got %s", actual));
    History *h = world_history(w);
    for (guint i = 0; i < e->ops->len; i++) {
        const ExpectOp *x = g_ptr_array_index(e->ops, i);
        const HistOp *op = history_find(h, x->op);
        if (!op) {
            expectation_failed(r, g_strdup_printf("op.%s: never invoked", x->op));
            continue;
        }
        if (x->has_siblings && op->nsib != x->siblings)
            expectation_failed(r, g_strdup_printf("op.%s.siblings: expected %u, got %u%s", x->op,
                                                  x->siblings, op->nsib,
                                                  op->kind == OP_GET ? "" : " (not a get)"));
        if (x->has_outcome && op->outcome != x->outcome)
            expectation_failed(
                r,
                g_strdup_printf("op.%s: expected %s, got %s%s%s", x->op, outcome_name(x->outcome),
                                outcome_name(op->outcome), op->outcome == OUTCOME_OK ? "" : " ",
                                op->outcome == OUTCOME_OK ? "" : fail_reason_name(op->reason)));
        if (x->has_latency) {
            char lo[32], hi[32], got[32];
            sim_time_format_human(x->latency.lo, lo, sizeof lo);
            sim_time_format_human(x->latency.hi, hi, sizeof hi);
            if (op->outcome == OUTCOME_PENDING) {
                expectation_failed(r, g_strdup_printf("op.%s.latency: expected %s..%s, it never "
                                                      "completed",
                                                      x->op, lo, hi));
                continue;
            }
            SimTime lat = op->complete - op->invoke;
            if (lat < x->latency.lo || lat > x->latency.hi)
                expectation_failed(r, g_strdup_printf("op.%s.latency: expected %s..%s, got %s",
                                                      x->op, lo, hi,
                                                      sim_time_format_human(lat, got, sizeof got)));
        }
    }
    check_count(r, "acked", e->acked, v->acked);
    check_count(r, "failed", e->failed, v->failed);
    check_count(r, "indeterminate", e->indeterminate, v->indeterminate);
    check_count(r, "orphans", e->orphans, v->orphans);
    check_count(r, "duplicates", e->duplicates, v->duplicates);
    check_count(r, "lost_updates", e->lost_updates, v->lost_updates);
    for (guint i = 0; i < e->finals->len; i++) {
        const ExpectFinal *f = g_ptr_array_index(e->finals, i);
        const HistOp *op = final_read(w, f->key);
        g_autofree char *want =
            f->present ? g_strdup_printf("%" G_GINT64_FORMAT, f->value) : g_strdup("absent");
        if (!op || op->outcome != OUTCOME_OK) {
            expectation_failed(r, g_strdup_printf("final.%s: expected %s, but the final read %s",
                                                  f->key, want,
                                                  op ? outcome_name(op->outcome) : "never ran"));
            continue;
        }
        if (op->present != f->present || (f->present && op->result != f->value)) {
            g_autofree char *got =
                op->present ? g_strdup_printf("%" G_GINT64_FORMAT, op->result) : g_strdup("absent");
            expectation_failed(r,
                               g_strdup_printf("final.%s: expected %s, got %s", f->key, want, got));
        }
    }
    r->passed = r->failures->len == 0;
}

/* What the checker's stream is told between slices (reports/stream.h). */
typedef struct {
    Checker *checker;
    FaultRunner *faults;
} Sweep;

/* Whether no fault can reach anything any more: the plan is spent, the network whole, every
 * server up and running. */
static gboolean quiet(World *w, FaultRunner *faults)
{
    if (!fault_runner_spent(faults) || !world_net_is_healed(w))
        return FALSE;
    /* The servers come first, the clients after them. */
    guint servers = world_config_server_count(world_config(w));
    for (EndpointId id = 0; id < servers; id++)
        if (!world_is_up(w, id) || world_is_paused(w, id))
            return FALSE;
    return TRUE;
}

/* Runs until `done` holds or `until` (or the duration) is reached; the stream sweeps between
 * slices (nothing it does changes the run). */
static void run_while(World *w, SimTime until, gboolean (*done)(World *, void *), void *ctx,
                      const Sweep *sweep)
{
    SimTime limit = MIN(until, world_config(w)->duration);
    while (world_now(w) < limit && !done(w, ctx)) {
        SimTime next = MIN(world_now(w) + SLICE, limit);
        SimRunResult r = world_run_until(w, next);
        checker_sweep(sweep->checker, quiet(w, sweep->faults));
        if (r == SIM_RUN_EMPTY)
            break; /* nothing left to happen (every server stopped, every client done) */
    }
}

static gboolean activity_over(World *w, void *ctx)
{
    SimTime last;
    return world_workload_done(w) && fault_runner_quiet((FaultRunner *)ctx, &last);
}

typedef struct {
    GArray *ops;
} FinalOps;

static gboolean finals_done(World *w, void *ctx)
{
    FinalOps *f = ctx;
    for (guint i = 0; i < f->ops->len; i++)
        if (!world_op_done(w, g_array_index(f->ops, uint32_t, i)))
            return FALSE;
    return TRUE;
}

static gboolean never(World *w, void *ctx)
{
    return FALSE;
}

/* Keys any operation touched, plus the keys of final.* expectations, in key order. */
static GArray *keys_to_read(World *w, const Checker *checker, const Scenario *s)
{
    guint n = world_key_count(w);
    gboolean *want = g_new0(gboolean, n);
    History *h = world_history(w);
    for (guint i = 0; i < history_len(h); i++)
        if (!history_is_folded(h, i) && history_op(h, i)->key < n)
            want[history_op(h, i)->key] = TRUE;
    for (KeyId k = 0; k < n; k++)
        want[k] |= checker_key_touched(checker, k); /* folded operations' keys */
    for (guint i = 0; i < s->expect.finals->len; i++) {
        KeyId k;
        if (world_key_lookup(w, ((ExpectFinal *)g_ptr_array_index(s->expect.finals, i))->key, &k))
            want[k] = TRUE;
    }
    KeyId probe;
    if (world_key_lookup(w, "_probe", &probe))
        want[probe] = FALSE;
    GArray *keys = g_array_new(FALSE, FALSE, sizeof(KeyId));
    for (KeyId k = 0; k < n; k++)
        if (want[k])
            g_array_append_val(keys, k);
    g_free(want);
    return keys;
}

static gboolean world_up(const void *ctx, EndpointId id)
{
    return world_is_up((World *)ctx, id);
}

/* Whether the servers that are up can still serve the probe write at all (the protocol says:
 * a majority of raft servers; W of the probe key's replicas and a coordinator). A run that
 * crashed more nodes for good than that cannot be held to liveness. */
static gboolean enough_up(World *w, const WorldConfig *cfg)
{
    KeyId probe;
    ProtoUpView view = {.ctx = w, .is_up = world_up};
    view.has_probe = world_key_lookup(w, "_probe", &probe);
    if (view.has_probe)
        view.probe_hash = world_key_hash(w, probe);
    return cfg->protocol->enough_up(cfg, &view);
}

/* The world of a run, with its checker and fault runner attached. */
typedef struct {
    World *w;
    Checker *checker;
    FaultRunner *faults;
    SimTime quiet_since; /* when the last fault fired (run_activity) */
    Sweep sweep;
    gboolean streamed; /* the checker folds what is final as the run goes */
} Run;

/* Sets up `out` and the run of `s` under the options' seed and bug variants. */
static void run_begin(const Scenario *s, const RunOptions *opt, RunResult *out, Run *run)
{
    memset(out, 0, sizeof *out);
    out->failures = g_ptr_array_new_with_free_func(g_free);
    world_config_copy(&out->config, &s->config);
    WorldConfig *cfg = &out->config;
    if (opt->has_seed)
        cfg->seed = opt->seed;
    protocol_bugs_add(cfg->protocol, cfg, opt->extra_bugs);
    out->seed = cfg->seed;
    World *w = world_new(cfg);
    /* Final reads of keys named only in expectations need them in the key table. */
    for (guint i = 0; i < s->expect.finals->len; i++)
        world_key_intern(w, ((ExpectFinal *)g_ptr_array_index(s->expect.finals, i))->key);
    run->w = w;
    run->checker = checker_new(w, protocols_oracle(cfg->protocol));
    world_set_invariants(w, check_all);
    if (opt->keep_trace) {
        world_keep_trace(w, TRUE);
        checker_keep_history(run->checker);
    }
    run->streamed = !opt->keep_trace && !opt->keep_history && !keep_all;
    if (run->streamed)
        checker_stream(run->checker, opt->lin_budget, stream_eager);
    if (opt->trace_to)
        world_print_trace(w, opt->trace_to);
    run->faults = fault_runner_new(w, &s->faults);
    run->sweep = (Sweep){run->checker, run->faults};
}

/* The workload with its faults, then the settle time after the last operation and fault.
 * Returns whether every fault had ended by then. */
static gboolean run_activity(Run *run, const WorldConfig *cfg)
{
    World *w = run->w;
    world_start(w);
    run_while(w, cfg->duration, activity_over, run->faults, &run->sweep);
    SimTime last_fault = 0;
    fault_runner_quiet(run->faults, &last_fault);
    run->quiet_since = last_fault;
    fault_runner_disarm(run->faults); /* what has not fired by now never will */
    SimTime settle_end = MAX(world_last_completion(w), last_fault) + cfg->settle;
    settle_end = MAX(settle_end, world_now(w));
    run_while(w, settle_end, never, NULL, &run->sweep);
    /* Whether every fault has ended is judged here, before the final phase can use up what a
     * fault left behind (an injected disk error, say). */
    gboolean healed = !fault_runner_lasting(run->faults, world_now(w)) && world_net_is_healed(w);
    if (world_now(w) >= settle_end)
        checker_check_convergence(run->checker, healed);
    return healed;
}

/* The liveness probe and the final reads, while time is left. Returns the probe's op id, or
 * UINT32_MAX when none ran. */
static uint32_t run_finals(const Run *run, const Scenario *s, const WorldConfig *cfg)
{
    World *w = run->w;
    if (world_now(w) >= cfg->duration)
        return UINT32_MAX;
    FinalOps finals = {g_array_new(FALSE, FALSE, sizeof(uint32_t))};
    KeyId pk;
    world_key_lookup(w, "_probe", &pk);
    uint32_t probe = world_submit(w, 0, OP_PUT, pk, 1, HOP_PROBE);
    g_array_append_val(finals.ops, probe);
    g_autoptr(GArray) keys = keys_to_read(w, run->checker, s);
    for (guint i = 0; i < keys->len; i++) {
        uint32_t id = world_submit(w, 0, OP_GET, g_array_index(keys, KeyId, i), 0, HOP_FINAL);
        g_array_append_val(finals.ops, id);
    }
    run_while(w, cfg->duration, finals_done, &finals, &run->sweep);
    g_array_free(finals.ops, TRUE);
    return probe;
}

/* The within-model judgement, the oracles' verdict and the scenario's expectations. */
static void run_judge(Run *run, const Scenario *s, const RunOptions *opt, RunResult *out,
                      uint32_t probe, gboolean healed)
{
    World *w = run->w;
    const WorldConfig *cfg = &out->config;
    EndpointMask down = {0};
    for (EndpointId id = 0; id < cfg->nodes; id++)
        if (!world_is_up(w, id) || (world_disk(w, id) && disk_is_read_only(world_disk(w, id))))
            endpoint_mask_add(&down, id); /* a read-only file system serves no write */
    guint broken = 0;
    for (EndpointId id = 0; id < cfg->nodes; id++)
        if (world_disk(w, id))
            broken += (guint)disk_stats(world_disk(w, id))->broken_promises;
    fault_judge(cfg, &s->faults, fault_runner_fired(run->faults), &down, broken, &out->judgement);
    endpoint_mask_clear(&down);
    CheckEnd end = {
        .probe_op = probe,
        .healed = healed && enough_up(w, cfg),
        .within_model = out->judgement.within,
        .linearizable = out->judgement.linearizable,
        .model_reason = out->judgement.reason,
        .lin_budget = opt->lin_budget,
        .quiet_since = run->quiet_since,
    };
    verdict_init(&out->verdict);
    checker_finish(run->checker, &end, &out->verdict);
    judge_expectations(s, w, out);
}

/* What the run did: its trace hash, counts, latencies and the faults that fired. */
static void run_record(const Run *run, const Scenario *s, RunResult *out)
{
    World *w = run->w;
    out->trace_hash = sim_trace_digest(world_trace(w));
    out->trace_records = world_trace(w)->count;
    out->events = sim_queue_events_run(world_queue(w));
    out->sim_end = world_now(w);
    out->stats = *world_stats(w);
    report_latency_add_history(&out->latency, world_history(w));
    checker_add_latency(run->checker, &out->latency);
    out->streamed = run->streamed;
    checker_stream_stats(run->checker, &out->stream);
    out->fired = g_array_copy((GArray *)fault_runner_fired(run->faults));
    out->fired_names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < out->fired->len; i++) {
        const FaultSpec *f =
            g_ptr_array_index(s->faults.faults, g_array_index(out->fired, FiredFault, i).fault);
        g_ptr_array_add(out->fired_names, g_strdup(f->name));
    }
}

gboolean runner_run(const Scenario *s, const RunOptions *opt, RunResult *out, GError **error)
{
    Run run = {0};
    run_begin(s, opt, out, &run);
    current_world = run.w;
    current_name = s->name;
    gboolean healed = run_activity(&run, &out->config);
    uint32_t probe = run_finals(&run, s, &out->config);
    run_judge(&run, s, opt, out, probe, healed);
    run_record(&run, s, out);
    fault_runner_free(run.faults);
    current_world = NULL;
    current_name = NULL;
    if (opt->keep_trace) {
        out->world = run.w;
        out->checker = run.checker;
    } else {
        checker_free(run.checker);
        world_free(run.w);
    }
    (void)error;
    return TRUE;
}

void run_result_clear(RunResult *r)
{
    verdict_clear(&r->verdict);
    model_judgement_clear(&r->judgement);
    if (r->failures)
        g_ptr_array_unref(r->failures);
    if (r->fired)
        g_array_free(r->fired, TRUE);
    if (r->fired_names)
        g_ptr_array_unref(r->fired_names);
    checker_free(r->checker);
    world_free(r->world);
    world_config_clear(&r->config);
    memset(r, 0, sizeof *r);
}

char *run_result_fingerprint(const RunResult *r)
{
    return g_strdup_printf("seed=%" G_GUINT64_FORMAT " trace=%016" G_GINT64_MODIFIER "x", r->seed,
                           r->trace_hash);
}
