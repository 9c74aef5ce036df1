/* sim/campaign.c — one seed of a campaign, a whole campaign on the ordered pool, its report
 * lines, and the arithmetic of ranges and shards. */
#include "sim/campaign.h"
#include "sim/ordered_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void campaign_run_seed(const CampaignSpec *spec, uint64_t seed, SeedResult *out)
{
    g_autoptr(Scenario) s = scenario_generate(spec->protocol, seed, spec->mode);
    campaign_run_scenario(spec, s, out);
}

void campaign_run_scenario(const CampaignSpec *spec, const Scenario *s, SeedResult *out)
{
    memset(out, 0, sizeof *out);
    out->seed = s->config.seed;
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
    report_shape_from_config(&out->shape, &r.config);
    out->latency = r.latency;
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
    protocol_bug_append_flags(spec->protocol, s, spec->bugs);
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
    for (int i = 0; i < PROTO_MAX_FAILPOINTS; i++)
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
    for (int i = 0; i < MARK_MAX; i++)
        t->marks[i] += s->marks[i];
    for (int i = 0; i < WORLD_MARK_COUNT; i++)
        t->world_marks[i] += s->world_marks[i];
    t->client_reconciles += s->client_reconciles;
    for (int i = 0; i < MSG_TYPE_SLOTS; i++) {
        t->msgs_by_type[i] += s->msgs_by_type[i];
        t->bytes_by_type[i] += s->bytes_by_type[i];
    }
}

uint64_t campaign_seed_count(const CampaignSeeds *s)
{
    uint64_t count = s->last - s->first + 1;
    return count / s->shard_n + ((count % s->shard_n) >= s->shard_k ? 1 : 0);
}

typedef struct {
    const CampaignSpec *spec;
    const CampaignSeeds *seeds;
    const CampaignRun *run;
    CampaignTotals *totals;
} Campaign;

static void run_one(uint64_t item, void *result, void *ctx)
{
    const Campaign *c = ctx;
    uint64_t seed = c->seeds->first + (c->seeds->shard_k - 1) + item * c->seeds->shard_n;
    SeedResult *r = result;
    double t0 = c->run->wall_now ? c->run->wall_now() : 0;
    campaign_run_seed(c->spec, seed, r);
    r->wall_seconds = c->run->wall_now ? c->run->wall_now() - t0 : 0;
}

void campaign_totals_add(CampaignTotals *t, const SeedResult *r)
{
    t->done++;
    t->events += r->events;
    t->failed += !r->passed;
    t->beyond += r->beyond_model;
    campaign_add_stats(&t->cover, &r->stats);
    for (int k = 0; k < V_KIND_COUNT; k++)
        if (r->kinds & (1u << k))
            t->kind_seeds[k]++;
}

static gboolean take_one(uint64_t item, void *result, void *ctx)
{
    Campaign *c = ctx;
    const SeedResult *r = result;
    CampaignTotals *t = c->totals;
    campaign_totals_add(t, r);
    if (c->run->suite) {
        report_suite_add_run(c->run->suite, campaign_report_line(c->spec, r));
        report_latency_add(&c->run->suite->latency, &r->latency);
    }
    return c->run->on_seed ? c->run->on_seed(r, t, c->run->ctx) : TRUE;
}

static void clear_one(void *result)
{
    seed_result_clear(result);
}

void campaign_run(const CampaignSpec *spec, const CampaignSeeds *seeds, const CampaignRun *run,
                  CampaignTotals *totals)
{
    memset(totals, 0, sizeof *totals);
    Campaign c = {spec, seeds, run, totals};
    OrderedPoolSpec pool = {
        .jobs = run->jobs,
        .result_size = sizeof(SeedResult),
        .work = run_one,
        .take = take_one,
        .clear = clear_one,
        .ctx = &c,
    };
    ordered_pool_run(&pool, campaign_seed_count(seeds));
}

ReportRun *campaign_report_line(const CampaignSpec *spec, const SeedResult *r)
{
    ReportRun *x = report_run_new();
    x->name = g_strdup_printf("seed-%" G_GUINT64_FORMAT, r->seed);
    x->protocol = g_strdup(protocol_name(spec->protocol));
    x->seed = r->seed;
    x->trace_hash = r->trace_hash;
    x->passed = r->passed;
    x->beyond_model = r->beyond_model;
    x->events = r->events;
    x->sim_end = r->sim_end;
    x->wall_seconds = r->wall_seconds;
    x->acked = r->acked;
    x->failed = r->failed;
    x->indeterminate = r->indeterminate;
    x->orphans = r->orphans;
    x->kinds = r->kinds;
    x->first = g_strdup(r->first);
    x->replay = campaign_replay_command(spec, r->seed);
    x->shape = r->shape;
    return x;
}

char *campaign_suite_name(const CampaignSpec *spec, const char *seeds, const char *time_text)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "durasim fuzz --protocol %s", protocol_name(spec->protocol));
    if (time_text)
        g_string_append_printf(s, " --time %s", time_text);
    else
        g_string_append_printf(s, " --seeds %s", seeds ? seeds : "1..1000");
    if (spec->mode == FAULTS_BEYOND)
        g_string_append(s, " --faults beyond");
    protocol_bug_append_flags(spec->protocol, s, spec->bugs);
    return g_string_free(s, FALSE);
}
