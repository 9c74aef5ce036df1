/* tests/bench_ledger.c — peak memory of a long run that keeps its whole history and ledger.
 *
 *   ledger-1m-peak-mb  a run of 1,000,000 operations (quorum, then raft; 4 clients, 8 keys, puts,
 *                      no faults, oracles on) stays under 500 MB peak RSS
 *   raft-1m-snapshots-peak-mb  the raft run with a snapshot every 1,024 entries on each server;
 *                      with -bytes-per-op, what it grows per operation from 250,000 to 1,000,000
 *                      operations, beside the same figure without snapshots (the history and
 *                      the ledger grow in both; the log, its blocks and the oracles' per-entry
 *                      state only without)
 *
 * Each protocol runs in a child process of its own, so that each peak (VmHWM) is its own. The
 * parent watches the child's VmRSS every 100 ms, prints how it grows, and stops the child if it
 * passes the wall-time limit or the memory cap; then the peak is a lower bound and says so, and
 * the exit status is 1 (as for a run whose oracles fail). Being over 500 MB is reported, not
 * failed.
 *
 * Usage: bench_ledger [OPS [LIMIT_SECONDS [quorum|raft|raft-snapshots]]] (defaults 1000000,
 * 120, all).
 */
#include "sim/runner.h"
#include "sim/protocols.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MEMORY_CAP_KB (12ull * 1024 * 1024) /* half of this machine's memory */
#define POLL_US       100000
#define REPORT_EVERY  10 /* polls between growth reports */

#define QUORUM_TEXT                                                                                \
    "[scenario]\nname = bench-ledger-quorum\nsummary = a long put workload, N=3 W=2\n"             \
    "protocol = quorum\nseed = 1\nduration = 1000000s\n"                                           \
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"                      \
    "[workload]\nclients = 4\nkeys = 8\nmix = put:100\n"

#define RAFT_TEXT                                                                                  \
    "[scenario]\nname = bench-ledger-raft\nsummary = a long put workload on 3 servers\n"           \
    "protocol = raft\nseed = 1\nduration = 1000000s\n"                                             \
    "[cluster]\nnodes = 3\n"                                                                       \
    "[workload]\nclients = 4\nkeys = 8\nmix = put:100\nclient.retries = 10\n"

/* The same raft run, each server snapshotting every 1,024 applied entries and compacting its
 * log (128 trailing entries kept): the log, its disk blocks and the oracles' per-entry state are
 * released as it goes. */
#define RAFT_SNAP_TEXT                                                                             \
    "[scenario]\nname = bench-ledger-raft-snapshots\nsummary = the raft run, with snapshots\n"     \
    "protocol = raft\nseed = 1\nduration = 1000000s\n"                                             \
    "[cluster]\nnodes = 3\nsnapshot.threshold = 1024\n"                                            \
    "[workload]\nclients = 4\nkeys = 8\nmix = put:100\nclient.retries = 10\n"

/* What the child reports through the pipe. */
typedef struct {
    double wall;
    uint64_t hwm_kb;
    uint64_t events;
    guint acked, writes;
    gboolean passed;
} ChildReport;

typedef struct {
    gboolean finished;
    ChildReport child;
    uint64_t peak_kb; /* the child's own VmHWM when it finished, else the largest seen */
    double wall;
} Watched;

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* A "Name:   123 kB" field of /proc/<pid>/status ("self" for this process); 0 if unreadable. */
static uint64_t status_kb(const char *pid, const char *field)
{
    g_autofree char *path = g_strdup_printf("/proc/%s/status", pid);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    const char *line = strstr(text, field);
    if (!line)
        return 0;
    return g_ascii_strtoull(line + strlen(field) + 1, NULL, 10);
}

static void child_main(const char *base, guint ops, int fd)
{
    g_autofree char *text = g_strdup_printf("%sops = %u\n", base, ops);
    g_autoptr(GError) error = NULL;
    g_autoptr(Scenario) s = scenario_load_data(text, strlen(text), "bench", &error);
    if (!s) {
        fprintf(stderr, "bench_ledger: %s\n", error->message);
        _exit(2);
    }
    RunOptions opt = {0};
    RunResult r;
    double t0 = now_seconds();
    runner_run(s, &opt, &r, NULL);
    ChildReport rep = {.wall = now_seconds() - t0,
                       .hwm_kb = status_kb("self", "VmHWM:"),
                       .events = r.events,
                       .acked = r.verdict.acked,
                       .writes = r.verdict.writes,
                       .passed = r.passed};
    if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(3);
    _exit(0);
}

/* Watches the child until it ends, the limit passes or it outgrows the cap. */
static Watched watch(pid_t pid, int fd, const char *name, double limit)
{
    Watched o = {0};
    g_autofree char *spid = g_strdup_printf("%d", (int)pid);
    double t0 = now_seconds();
    for (guint polls = 1;; polls++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            o.finished = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                         read(fd, &o.child, sizeof o.child) == (ssize_t)sizeof o.child;
            break;
        }
        uint64_t rss = status_kb(spid, "VmRSS:"), hwm = status_kb(spid, "VmHWM:");
        o.peak_kb = MAX(o.peak_kb, MAX(rss, hwm));
        double t = now_seconds() - t0;
        if (polls % REPORT_EVERY == 0)
            printf("%s: at %.0f s, RSS %.0f MB (peak %.0f MB)\n", name, t, rss / 1024.0,
                   hwm / 1024.0);
        if (t > limit || rss > MEMORY_CAP_KB) {
            printf("%s: stopped at %.0f s with RSS %.0f MB (limit %.0f s, cap %.0f MB)\n", name, t,
                   rss / 1024.0, limit, MEMORY_CAP_KB / 1024.0);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        fflush(stdout);
        g_usleep(POLL_US);
    }
    o.wall = now_seconds() - t0;
    if (o.finished)
        o.peak_kb = o.child.hwm_kb;
    return o;
}

static Watched measure(const char *name, const char *base, guint ops, double limit)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("bench_ledger: pipe");
        exit(3);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_ledger: fork");
        exit(3);
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(base, ops, fds[1]);
    }
    close(fds[1]);
    Watched o = watch(pid, fds[0], name, limit);
    close(fds[0]);
    return o;
}

static gboolean report(const char *proto, guint ops, const Watched *o)
{
    g_autofree char *name = ops % 1000000 == 0
                                ? g_strdup_printf("ledger-%um-%s", ops / 1000000, proto)
                                : g_strdup_printf("ledger-%uk-%s", ops / 1000, proto);
    if (o->finished)
        printf("%s: %u ops, %u/%u writes acked, %" G_GUINT64_FORMAT
               " events, verdict %s, run %.1f s\n",
               name, ops, o->child.acked, o->child.writes, o->child.events,
               o->child.passed ? "pass" : "FAIL", o->child.wall);
    else
        printf("%s: DID NOT FINISH; the figures below are lower bounds\n", name);
    printf("bench: %s-peak-mb %.0f MB\n", name, o->peak_kb / 1024.0);
    printf("bench: %s-wall %.1f s\n", name, o->wall);
    return o->finished && o->child.passed;
}

/* Snapshots keep memory flat: the raft run with and without snapshots at OPS / 4 and OPS
 * operations; what each grows per operation between the two is its per-operation memory (the
 * history and the ledger grow in both; the log, its disk blocks and the oracles' per-entry
 * state only without snapshots). */
static gboolean snapshots_case(guint ops, double limit, const Watched *plain_full)
{
    guint quarter = ops / 4;
    Watched plain_q = measure("raft", RAFT_TEXT, quarter, limit);
    Watched snap_q = measure("raft-snapshots", RAFT_SNAP_TEXT, quarter, limit);
    Watched snap = measure("raft-snapshots", RAFT_SNAP_TEXT, ops, limit);
    gboolean ok = report("raft-snapshots", ops, &snap);
    Watched plain = plain_full ? *plain_full : measure("raft", RAFT_TEXT, ops, limit);
    double span = (double)(ops - quarter);
    double grow_plain = ((double)plain.peak_kb - (double)plain_q.peak_kb) * 1024.0 / span;
    double grow_snap = ((double)snap.peak_kb - (double)snap_q.peak_kb) * 1024.0 / span;
    printf("raft-snapshots: peak %.0f MB at %u ops, %.0f MB at %u ops (without snapshots: %.0f "
           "and %.0f MB)\n",
           snap_q.peak_kb / 1024.0, quarter, snap.peak_kb / 1024.0, ops, plain_q.peak_kb / 1024.0,
           plain.peak_kb / 1024.0);
    g_autofree char *name = ops % 1000000 == 0
                                ? g_strdup_printf("raft-%um-snapshots", ops / 1000000)
                                : g_strdup_printf("raft-%uk-snapshots", ops / 1000);
    printf("bench: %s-peak-mb %.0f MB\n", name, snap.peak_kb / 1024.0);
    printf("bench: %s-bytes-per-op %.0f B (without snapshots: %.0f B; the history and the "
           "ledger grow in both)\n",
           name, grow_snap, grow_plain);
    return ok && plain_q.finished && snap_q.finished && plain.finished;
}

int main(int argc, char **argv)
{
    protocols_install();
    guint ops = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 1000000;
    double limit = argc > 2 ? g_ascii_strtod(argv[2], NULL) : 120;
    const char *only = argc > 3 ? argv[3] : NULL;
    gboolean ok = TRUE;
    uint64_t peak = 0;
    gboolean all_finished = TRUE;
    const char *protos[2] = {"quorum", "raft"};
    const char *texts[2] = {QUORUM_TEXT, RAFT_TEXT};
    Watched raft_full = {0};
    gboolean have_raft = FALSE;
    for (int i = 0; i < 2; i++) {
        if (only && strcmp(only, protos[i]) != 0)
            continue;
        Watched o = measure(protos[i], texts[i], ops, limit);
        ok &= report(protos[i], ops, &o);
        peak = MAX(peak, o.peak_kb);
        all_finished &= o.finished;
        if (i == 1) {
            raft_full = o;
            have_raft = TRUE;
        }
    }
    if (ops == 1000000 && (!only || strcmp(only, "raft-snapshots") != 0)) {
        if (!all_finished)
            printf("ledger-1m: a run did not finish; the peak is a lower bound\n");
        printf("bench: ledger-1m-peak-mb %.0f MB\n", peak / 1024.0);
    }
    if (!only || strcmp(only, "raft-snapshots") == 0)
        ok &= snapshots_case(ops, limit, have_raft ? &raft_full : NULL);
    return ok ? 0 : 1;
}
