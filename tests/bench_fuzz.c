/* tests/bench_fuzz.c — campaign throughput on one thread, and whether memory stays flat.
 *
 *   fuzz-PROTOCOL                 seeds 1..N (faults within the model) through
 *                                 campaign_run_seed, one after another: seeds per second
 *                                 (target: at least 500 per core)
 *   fuzz-raft-rss-growth-kb       VmRSS after all N raft seeds minus VmRSS after the first 500:
 *                                 a campaign must not grow with the number of seeds
 *
 * Also printed: how many seeds passed, events per seed, and the slowest seed, since a campaign's
 * rate is set by its tail. Usage: bench_fuzz [N [PROTOCOL]] (default 2000, every protocol of
 * the build).
 */
#include "sim/campaign.h"
#include "sim/protocols.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSS_MARK 500 /* seeds after which the baseline RSS is taken */

typedef struct {
    double wall;
    guint passed, failed;
    uint64_t events;
    uint64_t slowest_seed;
    double slowest_wall;
    uint64_t rss_mark_kb, rss_end_kb;
} Campaign;

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* A "Name:   123 kB" field of /proc/self/status; 0 if unreadable. */
static uint64_t status_kb(const char *field)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return 0;
    const char *line = strstr(text, field);
    return line ? g_ascii_strtoull(line + strlen(field) + 1, NULL, 10) : 0;
}

/* A failed assertion names the seed and the moment, so that the crash is a reproducer. */
static void on_abort(int sig)
{
    char buf[512];
    if (runner_describe_current(buf, sizeof buf)) {
        char line[640];
        int n = snprintf(line, sizeof line, "bench_fuzz: crashed in %s\n", buf);
        if (n > 0)
            (void)!write(STDERR_FILENO, line, (size_t)MIN(n, (int)sizeof line - 1));
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static Campaign run_campaign(const Protocol *protocol, uint64_t n)
{
    CampaignSpec spec = {protocol, FAULTS_WITHIN, 0};
    Campaign c = {0};
    double t0 = now_seconds();
    for (uint64_t seed = 1; seed <= n; seed++) {
        SeedResult r;
        double s0 = now_seconds();
        campaign_run_seed(&spec, seed, &r);
        double dt = now_seconds() - s0;
        if (dt > c.slowest_wall) {
            c.slowest_wall = dt;
            c.slowest_seed = seed;
        }
        c.passed += r.passed;
        if (!r.passed && ++c.failed <= 5)
            printf("fuzz-%s: seed %" G_GUINT64_FORMAT " failed: %s\n", protocol_name(protocol),
                   seed, r.first ? r.first : "an expectation");
        c.events += r.events;
        seed_result_clear(&r);
        if (seed == RSS_MARK)
            c.rss_mark_kb = status_kb("VmRSS:");
    }
    c.wall = now_seconds() - t0;
    c.rss_end_kb = status_kb("VmRSS:");
    return c;
}

static void report(const char *proto, uint64_t n, const Campaign *c)
{
    printf("fuzz-%s: %" G_GUINT64_FORMAT " seeds in %.2f s, %u passed, %.0f events/seed, "
           "slowest seed %" G_GUINT64_FORMAT " (%.1f ms), RSS %" G_GUINT64_FORMAT
           " kB after %d seeds, %" G_GUINT64_FORMAT " kB after %" G_GUINT64_FORMAT "\n",
           proto, n, c->wall, c->passed, (double)c->events / (double)n, c->slowest_seed,
           c->slowest_wall * 1000, c->rss_mark_kb, RSS_MARK, c->rss_end_kb, n);
    printf("bench: fuzz-%s %.0f seeds/s\n", proto, (double)n / c->wall);
    printf("bench: fuzz-%s-events-rate %.0f events/s\n", proto, (double)c->events / c->wall);
    if (n > RSS_MARK)
        printf("bench: fuzz-%s-rss-growth-kb %" G_GINT64_FORMAT " kB\n", proto,
               (gint64)c->rss_end_kb - (gint64)c->rss_mark_kb);
}

int main(int argc, char **argv)
{
    protocols_install();
    uint64_t n = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 2000;
    const char *only = argc > 2 ? argv[2] : NULL;
    signal(SIGABRT, on_abort);
    for (guint i = 0; i < protocol_count(); i++) {
        const Protocol *p = protocol_at(i);
        if (only && strcmp(only, protocol_name(p)) != 0)
            continue;
        Campaign c = run_campaign(p, n);
        report(protocol_name(p), n, &c);
    }
    return 0;
}
