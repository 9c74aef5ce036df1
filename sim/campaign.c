/* sim/campaign.c — one seed of a campaign, and the arithmetic of ranges and shards. */
#include "sim/campaign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void campaign_run_seed(const CampaignSpec *spec, uint64_t seed, SeedResult *out)
{
    memset(out, 0, sizeof *out);
    out->seed = seed;
    g_autoptr(Scenario) s = scenario_generate(spec->protocol, seed, spec->mode);
    RunOptions opt = {.extra_bugs = spec->bugs};
    RunResult r;
    runner_run(s, &opt, &r, NULL);
    out->passed = r.passed;
    out->trace_hash = r.trace_hash;
    out->events = r.events;
    out->sim_end = r.sim_end;
    out->kinds = r.verdict.kinds;
    memcpy(out->counts, r.verdict.counts, sizeof out->counts);
    if (r.verdict.violations->len > 0) {
        const Violation *x = g_ptr_array_index(r.verdict.violations, 0);
        out->first = g_strdup_printf("%s: %s", violation_kind_name(x->kind), x->text);
    }
    out->beyond_model = r.verdict.beyond_model;
    out->acked = r.verdict.acked;
    out->failed = r.verdict.failed;
    out->indeterminate = r.verdict.indeterminate;
    out->orphans = r.verdict.orphans;
    out->stats = r.stats;
    out->faults_fired = r.fired->len;
    run_result_clear(&r);
}

void seed_result_clear(SeedResult *r)
{
    g_free(r->first);
    r->first = NULL;
}

char *campaign_replay_command(const CampaignSpec *spec, uint64_t seed)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "durasim replay --protocol %s --seed %" G_GUINT64_FORMAT,
                           protocol_name(spec->protocol), seed);
    if (spec->mode == FAULTS_BEYOND)
        g_string_append(s, " --faults beyond");
    bug_append_flags(s, spec->bugs);
    return g_string_free(s, FALSE);
}

static gboolean parse_u64(const char *text, uint64_t *out)
{
    if (!g_ascii_isdigit(*text))
        return FALSE;
    char *end;
    errno = 0;
    uint64_t v = g_ascii_strtoull(text, &end, 10);
    if (errno || *end)
        return FALSE;
    *out = v;
    return TRUE;
}

gboolean campaign_parse_range(const char *text, uint64_t *first, uint64_t *last)
{
    const char *dots = strstr(text, "..");
    if (!dots) {
        if (!parse_u64(text, first))
            return FALSE;
        *last = *first;
        return TRUE;
    }
    g_autofree char *a = g_strndup(text, (gsize)(dots - text));
    return parse_u64(a, first) && parse_u64(dots + 2, last) && *first <= *last;
}

gboolean campaign_parse_shard(const char *text, guint *k, guint *n)
{
    const char *slash = strchr(text, '/');
    if (!slash)
        return FALSE;
    g_autofree char *a = g_strndup(text, (gsize)(slash - text));
    uint64_t kk, nn;
    if (!parse_u64(a, &kk) || !parse_u64(slash + 1, &nn))
        return FALSE;
    if (nn < 1 || nn > 1000000 || kk < 1 || kk > nn)
        return FALSE;
    *k = (guint)kk;
    *n = (guint)nn;
    return TRUE;
}

void campaign_add_stats(WorldStats *t, const WorldStats *s)
{
    t->msgs_sent += s->msgs_sent;
    t->msgs_dropped += s->msgs_dropped;
    t->msgs_duplicated += s->msgs_duplicated;
    t->msgs_delivered += s->msgs_delivered;
    t->crashes += s->crashes;
    t->restarts += s->restarts;
    t->pauses += s->pauses;
    for (int i = 0; i < FP_COUNT; i++)
        t->failpoints_hit[i] += s->failpoints_hit[i];
    t->disk_writes += s->disk_writes;
    t->disk_fsyncs += s->disk_fsyncs;
    t->fsync_errors += s->fsync_errors;
    t->write_errors += s->write_errors;
    t->read_errors += s->read_errors;
    for (int i = 0; i < FAULT_KIND_COUNT; i++)
        t->faults[i] += s->faults[i];
    for (int i = 0; i < FAIL_REASON_COUNT; i++)
        t->fail_reasons[i] += s->fail_reasons[i];
    t->client_retries += s->client_retries;
    t->client_redirects += s->client_redirects;
}
