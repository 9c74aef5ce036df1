/* tests/bench_protocols.c — whole-run throughput of the two protocols, oracles on.
 *
 *   quorum-100k     100,000 sequential puts from one client through one coordinator to N=3, W=2,
 *                   fsync 1..5 ms, network 1..10 ms, no faults (target: under 0.3 s of wall time)
 *   quorum-100k-vclock  the same with resolution = vclock (dotted version vectors: each put is
 *                   issued by the key's first replica, then sent to the others)
 *   raft-100k       a 3-server cluster commits 100,000 commands from one client (target: 0.3 s)
 *   raft-100k-snapshots  the same with a snapshot every 1,024 entries on each server (written
 *                   as a temporary file, fsynced, renamed, the directory fsynced; the log
 *                   compacted and punched)
 *   libraft-100k    the same on the hosted canonical raft (libraft 0.15 behind its adapter; a
 *                   snapshot every 1,024 entries, the library's default), when the build has it
 *   *-sim-only      the same workload on a bare world (no oracles, no settle or final phase), to
 *                   tell the simulation's cost from the oracles' (not a target; it runs second,
 *                   on a heap the full run already faulted in, so it pays fewer page faults)
 *   raft-batch-fsyncs-per-command  batch.entries = 64 (batch.delay 1 ms) and 64 concurrent
 *                   clients: fsyncs on all servers divided by acked commands (target: well
 *                   below 1)
 *
 * The wall times are the best of RUNS (5) runs of the same seed (every run does the same work,
 * event for event), so that what the machine's neighbours do in the meantime does not count; every
 * run's time is printed too.
 *
 * Usage: bench_protocols [OPS [quorum|vclock|raft|raft-snapshots|libraft|batch]] — a smaller OPS or
 * one case is for profiling. Raft clients retry up to 10 times, so that commands sent before the
 * first election still commit. Each run must pass its oracles; a failed verdict makes the benchmark
 * exit non-zero.
 */
#include "sim/runner.h"
#include "sim/protocols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUORUM_TEXT                                                                                \
    "[scenario]\nname = bench-quorum\nsummary = sequential puts, N=3 W=2, no faults\n"             \
    "protocol = quorum\nseed = 1\nduration = 100000s\n"                                            \
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"                      \
    "net.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"                                     \
    "[workload]\nclients = 1\nmix = put:100\n"

/* The same with version vectors: every put is issued by the key's first replica, then goes to
 * the others with its dot and the context its client read (one client: no siblings). */
#define QUORUM_VCLOCK_TEXT                                                                         \
    "[scenario]\nname = bench-quorum-vclock\nsummary = sequential puts, N=3 W=2, vclock\n"         \
    "protocol = quorum\nseed = 1\nduration = 100000s\n"                                            \
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"                      \
    "net.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\nresolution = vclock\n"                \
    "[workload]\nclients = 1\nmix = put:100\n"

#define RAFT_TEXT                                                                                  \
    "[scenario]\nname = bench-raft\nsummary = one client's commands on 3 servers, no faults\n"     \
    "protocol = raft\nseed = 1\nduration = 100000s\n"                                              \
    "[cluster]\nnodes = 3\nnet.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"               \
    "[workload]\nclients = 1\nmix = put:100\nclient.retries = 10\n"

#define LIBRAFT_TEXT                                                                               \
    "[scenario]\nname = bench-libraft\nsummary = one client's commands on 3 hosted servers\n"      \
    "protocol = libraft\nseed = 1\nduration = 100000s\n"                                           \
    "[cluster]\nnodes = 3\nnet.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"               \
    "[workload]\nclients = 1\nmix = put:100\nclient.retries = 10\n"

/* The raft workload with a snapshot every 1,024 applied entries on each server (128 trailing
 * entries kept): snapshot files written, renamed and synced, logs compacted and punched. */
#define RAFT_SNAP_TEXT                                                                             \
    "[scenario]\nname = bench-raft-snapshots\nsummary = raft-100k with snapshots\n"                \
    "protocol = raft\nseed = 1\nduration = 100000s\n"                                              \
    "[cluster]\nnodes = 3\nnet.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"               \
    "snapshot.threshold = 1024\n"                                                                  \
    "[workload]\nclients = 1\nmix = put:100\nclient.retries = 10\n"

#define BATCH_TEXT                                                                                 \
    "[scenario]\nname = bench-raft-batch\nsummary = 64 clients, batches of 64, no faults\n"        \
    "protocol = raft\nseed = 1\nduration = 100000s\n"                                              \
    "[cluster]\nnodes = 3\nnet.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"               \
    "batch.entries = 64\nbatch.delay = 1ms\n"                                                      \
    "[workload]\nclients = 64\nmix = put:100\nclient.retries = 10\n"

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* Loads a scenario from `base` (which ends in its [workload] group) with the operation count
 * added. Caller owns the result. */
static Scenario *load(const char *base, guint ops)
{
    g_autofree char *text = g_strdup_printf("%sops = %u\n", base, ops);
    g_autoptr(GError) error = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "bench", &error);
    if (!s) {
        fprintf(stderr, "bench_protocols: %s\n", error->message);
        exit(2);
    }
    return s;
}

/* Runs `fmt` and returns the wall time; fills `r` (caller clears it). */
static double run_timed(const char *fmt, guint ops, RunResult *r)
{
    g_autoptr(Scenario) s = load(fmt, ops);
    RunOptions opt = {0};
    double t0 = now_seconds();
    if (!runner_run(s, &opt, r, NULL)) {
        fprintf(stderr, "bench_protocols: %s: internal error\n", s->name);
        exit(3);
    }
    return now_seconds() - t0;
}

/* Prints what a run did, and whether its oracles passed; returns that. */
static gboolean describe(const char *name, const RunResult *r, double seconds)
{
    char end[32];
    g_autofree char *kinds = violation_set_format(r->verdict.kinds);
    printf("%s: %u ops (%u acked, %u failed, %u indeterminate), %" G_GUINT64_FORMAT
           " events, sim %s, wall %.3f s, verdict %s (%s)\n",
           name, r->verdict.ops, r->verdict.acked, r->verdict.failed, r->verdict.indeterminate,
           r->events, sim_time_format_human(r->sim_end, end, sizeof end), seconds,
           r->passed ? "pass" : "FAIL", kinds);
    printf("%s: msgs %" G_GUINT64_FORMAT ", disk writes %" G_GUINT64_FORMAT
           ", fsyncs %" G_GUINT64_FORMAT ", trace records %" G_GUINT64_FORMAT "\n",
           name, r->stats.msgs_sent, r->stats.disk_writes, r->stats.disk_fsyncs, r->trace_records);
    for (int k = FAIL_NONE + 1; k < FAIL_REASON_COUNT; k++)
        if (r->stats.fail_reasons[k])
            printf("%s: %" G_GUINT64_FORMAT " ops ended failed with %s\n", name,
                   r->stats.fail_reasons[k], fail_reason_name((FailReason)k));
    return r->passed;
}

/* The same workload on a bare world, without oracles and without the settle and final phases:
 * what the simulation itself costs. Returns the wall time; `events` gets the events run. */
static double sim_only(const char *fmt, guint ops, uint64_t *events)
{
    g_autoptr(Scenario) s = load(fmt, ops);
    double t0 = now_seconds();
    World *w = world_new(&s->config);
    world_start(w);
    while (!world_workload_done(w) && world_now(w) < s->config.duration)
        world_run_until(w, world_now(w) + 20 * SIM_MS);
    *events = sim_queue_events_run(world_queue(w));
    world_free(w);
    return now_seconds() - t0;
}

#define RUNS 5

static gboolean bench_throughput(const char *name, const char *fmt, guint ops)
{
    RunResult r;
    double seconds = run_timed(fmt, ops, &r);
    gboolean ok = describe(name, &r, seconds);
    uint64_t events = r.events;
    run_result_clear(&r);
    printf("%s: run 1 of %d: %.3f s\n", name, RUNS, seconds);
    for (int i = 2; i <= RUNS; i++) {
        double again = run_timed(fmt, ops, &r);
        ok &= r.passed && r.events == events;
        run_result_clear(&r);
        printf("%s: run %d of %d: %.3f s\n", name, i, RUNS, again);
        seconds = MIN(seconds, again);
    }
    printf("bench: %s %.3f s\n", name, seconds);
    printf("bench: %s-rate %.0f events/s\n", name, (double)events / seconds);
    double bare = sim_only(fmt, ops, &events);
    for (int i = 2; i <= RUNS; i++) {
        uint64_t again_events;
        bare = MIN(bare, sim_only(fmt, ops, &again_events));
    }
    printf("%s: the workload alone, no oracles: %" G_GUINT64_FORMAT " events in %.3f s\n", name,
           events, bare);
    printf("bench: %s-sim-only %.3f s\n", name, bare);
    printf("bench: %s-sim-only-rate %.0f events/s\n", name, (double)events / bare);
    return ok;
}

static gboolean bench_batch(guint ops)
{
    RunResult r;
    double seconds = run_timed(BATCH_TEXT, ops, &r);
    gboolean ok = describe("raft-batch", &r, seconds) && r.verdict.acked > 0;
    double ratio = r.verdict.acked ? (double)r.stats.disk_fsyncs / r.verdict.acked : 0.0;
    printf("raft-batch: %" G_GUINT64_FORMAT " fsyncs (all %u servers) / %u acked commands; "
           "%.4f per command per server\n",
           r.stats.disk_fsyncs, r.config.nodes, r.verdict.acked, ratio / r.config.nodes);
    printf("bench: raft-batch-fsyncs-per-command %.4f ratio\n", ratio);
    printf("bench: raft-batch-wall %.3f s\n", seconds);
    run_result_clear(&r);
    return ok;
}

int main(int argc, char **argv)
{
    protocols_install();
    guint ops = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 100000;
    const char *only = argc > 2 ? argv[2] : NULL;
    g_autofree char *qname = g_strdup_printf("quorum-%uk", ops / 1000);
    g_autofree char *rname = g_strdup_printf("raft-%uk", ops / 1000);
    gboolean ok = TRUE;
    if (!only || strcmp(only, "quorum") == 0)
        ok &= bench_throughput(qname, QUORUM_TEXT, ops);
    if (!only || strcmp(only, "vclock") == 0) {
        g_autofree char *vname = g_strdup_printf("quorum-%uk-vclock", ops / 1000);
        ok &= bench_throughput(vname, QUORUM_VCLOCK_TEXT, ops);
    }
    if (!only || strcmp(only, "raft") == 0)
        ok &= bench_throughput(rname, RAFT_TEXT, ops);
    if (!only || strcmp(only, "raft-snapshots") == 0) {
        g_autofree char *sname = g_strdup_printf("raft-%uk-snapshots", ops / 1000);
        ok &= bench_throughput(sname, RAFT_SNAP_TEXT, ops);
    }
    if (!only || strcmp(only, "libraft") == 0) {
        g_autofree char *lname = g_strdup_printf("libraft-%uk", ops / 1000);
        if (protocol_find("libraft"))
            ok &= bench_throughput(lname, LIBRAFT_TEXT, ops);
        else
            printf("%s: not run: %s\n", lname, protocol_missing("libraft"));
    }
    if (!only || strcmp(only, "batch") == 0)
        ok &= bench_batch(argc > 1 ? ops : 20000);
    return ok ? 0 : 1;
}
