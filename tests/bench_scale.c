/* tests/bench_scale.c — long runs and a large ring, oracles on (streaming: what is final is
 * judged and folded as the run goes), each in a process of its own so that its peak memory is
 * its own:
 *
 *   quorum-1m, quorum-10m   1 and 10 million sequential puts from one client, N=3 W=2 (the
 *                           workload of bench_protocols' quorum-100k)
 *   raft-1m, raft-10m       1 and 10 million commands on a 3-server raft cluster
 *   quorum-ring-512         a ring of 512 nodes, each coordinating the requests it gets
 *                           (coordinator = node; N=3 W=2 R=2), with 4,096 clients over 4,096 keys,
 *                           puts and gets, 1 million operations
 *
 * Prints, per case, `bench: NAME-wall S s` (wall time of the run), `bench: NAME-peak-mb N MB`
 * (the process's peak resident memory) and `bench: NAME-cpu S s` (its processor time, which a
 * busy neighbour on a shared machine does not stretch as it does the wall time), and for each
 * protocol the ratio of its 10-million run's time to its 1-million run's
 * (`bench: NAME-10m-over-1m R ratio` of wall times, `-cpu` of processor times; the goal is at
 * most 12).
 * Each run must pass its oracles; a failed verdict makes the benchmark exit non-zero.
 *
 * Usage: bench_scale [CASE [OPS]] — one case (with another operation count) in this process.
 */
#include "sim/protocols.h"
#include "sim/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define QUORUM_TEXT                                                                                \
    "[scenario]\nname = bench-scale\nsummary = sequential puts, N=3 W=2, no faults\n"              \
    "protocol = quorum\nseed = 1\nduration = 10000000s\n"                                          \
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"                      \
    "net.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"                                     \
    "[workload]\nclients = 1\nmix = put:100\n"

#define RAFT_TEXT                                                                                  \
    "[scenario]\nname = bench-scale\nsummary = one client's commands on 3 servers, no faults\n"    \
    "protocol = raft\nseed = 1\nduration = 10000000s\n"                                            \
    "[cluster]\nnodes = 3\nnet.latency = 1ms..10ms\ndisk.fsync_latency = 1ms..5ms\n"               \
    "[workload]\nclients = 1\nmix = put:100\nclient.retries = 10\n"

#define RING_TEXT                                                                                  \
    "[scenario]\nname = bench-scale\nsummary = 512 nodes, 4096 clients, no faults\n"               \
    "protocol = quorum\nseed = 1\nduration = 10000000s\n"                                          \
    "[cluster]\nnodes = 512\ncoordinator = node\nreplicas = 3\nwrite_quorum = 2\n"                 \
    "read_quorum = 2\n"                                                                            \
    "[workload]\nclients = 4096\nkeys = 4096\nmix = put:60 get:40\n"

typedef struct {
    const char *name;
    const char *text;
    guint ops;
} Case;

static const Case cases[] = {
    {"quorum-1m", QUORUM_TEXT, 1000000},     {"quorum-10m", QUORUM_TEXT, 10000000},
    {"raft-1m", RAFT_TEXT, 1000000},         {"raft-10m", RAFT_TEXT, 10000000},
    {"quorum-ring-512", RING_TEXT, 1000000},
};

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* Runs one case in this process; prints what it did and its wall time. Returns the exit status. */
static int run_case(const Case *c, guint ops)
{
    g_autofree char *text = g_strdup_printf("%sops = %u\n", c->text, ops);
    g_autoptr(GError) error = NULL;
    g_autoptr(Scenario) s = scenario_load_data(text, strlen(text), c->name, &error);
    if (!s) {
        fprintf(stderr, "bench_scale: %s\n", error->message);
        return 2;
    }
    RunOptions opt = {0};
    RunResult r;
    double t0 = now_seconds();
    if (!runner_run(s, &opt, &r, NULL))
        return 3;
    double wall = now_seconds() - t0;
    g_autofree char *kinds = violation_set_format(r.verdict.kinds);
    printf("%s: %u ops (%u acked, %u failed, %u indeterminate), %" G_GUINT64_FORMAT
           " events, verdict %s (%s); %" G_GUINT64_FORMAT " operations folded as the run went, "
           "%u held to the end\n",
           c->name, r.verdict.ops, r.verdict.acked, r.verdict.failed, r.verdict.indeterminate,
           r.events, r.passed ? "pass" : "FAIL", kinds, r.stream.folded_ops, r.stream.held_ops);
    printf("bench: %s-wall %.2f s\n", c->name, wall);
    fflush(stdout);
    int status = r.passed ? 0 : 1;
    run_result_clear(&r);
    return status;
}

/* Runs one case in a child process; *wall gets its wall time, *cpu its processor time, *peak_mb
 * its peak resident memory. Returns the child's exit status. */
static int fork_case(const Case *c, double *wall, double *cpu, double *peak_mb)
{
    fflush(stdout);
    double t0 = now_seconds();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_scale: fork");
        return 3;
    }
    if (pid == 0)
        _exit(run_case(c, c->ops));
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return 3;
    *wall = now_seconds() - t0;
    *peak_mb = (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
    *cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("bench: %s-peak-mb %.0f MB\n", c->name, *peak_mb);
    printf("bench: %s-cpu %.2f s\n", c->name, *cpu);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

int main(int argc, char **argv)
{
    protocols_install();
    if (argc > 1) {
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
            if (strcmp(cases[i].name, argv[1]) == 0)
                return run_case(&cases[i], argc > 2 ? (guint)g_ascii_strtoull(argv[2], NULL, 10)
                                                    : cases[i].ops);
        fprintf(stderr, "bench_scale: no case %s\n", argv[1]);
        return 2;
    }
    int worst = 0;
    double wall[G_N_ELEMENTS(cases)], cpu[G_N_ELEMENTS(cases)], peak[G_N_ELEMENTS(cases)];
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        int status = fork_case(&cases[i], &wall[i], &cpu[i], &peak[i]);
        worst = MAX(worst, status);
    }
    /* The 10-million runs against the 1-million runs: cases 0/1 (quorum) and 2/3 (raft). */
    printf("bench: quorum-10m-over-1m %.2f ratio\n", wall[1] / wall[0]);
    printf("bench: raft-10m-over-1m %.2f ratio\n", wall[3] / wall[2]);
    printf("bench: quorum-10m-over-1m-cpu %.2f ratio\n", cpu[1] / cpu[0]);
    printf("bench: raft-10m-over-1m-cpu %.2f ratio\n", cpu[3] / cpu[2]);
    return worst;
}
