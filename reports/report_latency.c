/* reports/report_latency.c — the latency histogram of client operations (ReportLatency, see
 * reports/report.h) and the shape of a run's cluster: filled after a run from its history and
 * configuration, summed over a campaign, written to and read from report.json, and asked for
 * quantiles by the dashboards.
 *
 * Invariants: bucket edges are integers computed once from a fixed formula, so the same
 * latencies always land in the same buckets; the histogram only counts, it never keeps an
 * operation, so its size does not grow with the campaign.
 */
#include "reports/report_latency.h"

#include "model/protocol.h"

#include <math.h>
#include <string.h>

void report_shape_from_config(ReportShape *out, const WorldConfig *c)
{
    memset(out, 0, sizeof *out);
    out->nodes = c->nodes;
    out->fs = (int)c->fs;
    if (c->protocol->replication) {
        ProtoReplication r;
        c->protocol->replication(c, &r);
        out->replicas = r.replicas;
        out->write_quorum = r.write_quorum;
        out->read_quorum = r.read_quorum;
        out->sloppy = r.sloppy;
    }
}

static SimTime edges[REPORT_LAT_BUCKETS + 1];

static gpointer init_edges(gpointer unused)
{
    edges[0] = 0;
    for (guint i = 1; i <= REPORT_LAT_BUCKETS; i++)
        edges[i] = (SimTime)llround(1000.0 * pow(10.0, (double)(i - 1) / 10.0));
    return NULL;
}

SimTime report_latency_edge(guint i)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, init_edges, NULL);
    g_assert(i <= REPORT_LAT_BUCKETS);
    return edges[i];
}

static guint bucket_of(SimTime latency)
{
    guint lo = 0, hi = REPORT_LAT_BUCKETS - 1; /* the bucket whose lower edge is <= latency */
    while (lo < hi) {
        guint mid = (lo + hi + 1) / 2;
        if (report_latency_edge(mid) <= latency)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void add_one(ReportLatency *lat, ReportLatOutcome o, SimTime latency)
{
    lat->counts[o][bucket_of(latency)]++;
    lat->max[o] = MAX(lat->max[o], latency);
}

void report_latency_add_op(ReportLatency *lat, const HistOp *op)
{
    if (op->flags & (HOP_PROBE | HOP_FINAL))
        return;
    if (op->outcome == OUTCOME_PENDING || op->complete == SIM_TIME_NEVER) {
        lat->pending++;
        return;
    }
    ReportLatOutcome o = op->outcome == OUTCOME_OK     ? REPORT_LAT_OK
                         : op->outcome == OUTCOME_FAIL ? REPORT_LAT_FAILED
                                                       : REPORT_LAT_INDETERMINATE;
    add_one(lat, o, op->complete - op->invoke);
}

void report_latency_add_history(ReportLatency *lat, const History *h)
{
    for (guint i = 0; i < history_len(h); i++)
        if (!history_is_folded(h, i))
            report_latency_add_op(lat, history_op(h, i));
}

void report_latency_add(ReportLatency *total, const ReportLatency *add)
{
    for (int o = 0; o < REPORT_LAT_OUTCOMES; o++) {
        for (guint b = 0; b < REPORT_LAT_BUCKETS; b++)
            total->counts[o][b] += add->counts[o][b];
        total->max[o] = MAX(total->max[o], add->max[o]);
    }
    total->pending += add->pending;
}

uint64_t report_latency_count(const ReportLatency *lat, ReportLatOutcome o)
{
    uint64_t n = 0;
    for (guint b = 0; b < REPORT_LAT_BUCKETS; b++)
        n += lat->counts[o][b];
    return n;
}

SimTime report_latency_quantile(const ReportLatency *lat, ReportLatOutcome o, double q)
{
    uint64_t n = report_latency_count(lat, o);
    if (n == 0)
        return -1;
    /* the rank of the operation at fraction q, counted from 1 */
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    rank = CLAMP(rank, 1, n);
    uint64_t seen = 0;
    for (guint b = 0; b < REPORT_LAT_BUCKETS; b++) {
        seen += lat->counts[o][b];
        if (seen >= rank)
            return MIN(report_latency_edge(b + 1), lat->max[o]);
    }
    return lat->max[o];
}

const char *report_lat_outcome_name(ReportLatOutcome o)
{
    static const char *const names[] = {"ok", "failed", "indeterminate"};
    g_assert(o < REPORT_LAT_OUTCOMES);
    return names[o];
}

JsonObject *report_latency_to_json(const ReportLatency *lat)
{
    JsonObject *o = json_object_new();
    JsonArray *e = json_array_new();
    for (guint b = 0; b <= REPORT_LAT_BUCKETS; b++)
        json_array_add_int_element(e, report_latency_edge(b));
    json_object_set_array_member(o, "edges_ns", e);
    for (int k = 0; k < REPORT_LAT_OUTCOMES; k++) {
        JsonArray *counts = json_array_new();
        for (guint b = 0; b < REPORT_LAT_BUCKETS; b++)
            json_array_add_int_element(counts, (gint64)lat->counts[k][b]);
        json_object_set_array_member(o, report_lat_outcome_name((ReportLatOutcome)k), counts);
    }
    JsonObject *max = json_object_new();
    for (int k = 0; k < REPORT_LAT_OUTCOMES; k++)
        json_object_set_int_member(max, report_lat_outcome_name((ReportLatOutcome)k), lat->max[k]);
    json_object_set_object_member(o, "max_ns", max);
    json_object_set_int_member(o, "pending", (gint64)lat->pending);
    return o;
}

gboolean report_latency_from_json(JsonObject *o, ReportLatency *out)
{
    memset(out, 0, sizeof *out);
    JsonArray *e = report_json_array(o, "edges_ns");
    if (!e || json_array_get_length(e) != REPORT_LAT_BUCKETS + 1)
        return FALSE;
    for (guint b = 0; b <= REPORT_LAT_BUCKETS; b++)
        if (json_array_get_int_element(e, b) != report_latency_edge(b))
            return FALSE; /* other buckets: not this version's histogram */
    JsonObject *max = report_json_object(o, "max_ns");
    for (int k = 0; k < REPORT_LAT_OUTCOMES; k++) {
        const char *name = report_lat_outcome_name((ReportLatOutcome)k);
        JsonArray *counts = report_json_array(o, name);
        if (!counts || json_array_get_length(counts) != REPORT_LAT_BUCKETS)
            return FALSE;
        for (guint b = 0; b < REPORT_LAT_BUCKETS; b++)
            out->counts[k][b] = (uint64_t)MAX(json_array_get_int_element(counts, b), 0);
        out->max[k] = report_json_int(max, name, 0);
    }
    out->pending = (uint64_t)MAX(report_json_int(o, "pending", 0), 0);
    return TRUE;
}
