/* reports/report_latency.h — the latency histogram of a run's client operations and the shape
 * of its cluster, as the reports count and group them (see report_latency.c). */
#pragma once

#include "model/config.h"
#include "model/history.h"
#include "reports/report_json.h"

/* The shape of a run's cluster, for the campaign dashboard's distributions. */
typedef struct {
    guint nodes;                               /* 0: not known (an older report) */
    guint replicas, write_quorum, read_quorum; /* quorum only (0 for raft) */
    gboolean sloppy;
    int fs; /* FsProfile, or -1: not known */
} ReportShape;

void report_shape_from_config(ReportShape *out, const WorldConfig *config);

/* Client operation latencies (invocation to final outcome, retries included; not the liveness
 * probe or the final reads) as a histogram of log-spaced buckets: bucket 0 holds latencies
 * under 1 µs, buckets 1..80 ten to a decade up to 100 s, the last one everything above. */
#define REPORT_LAT_BUCKETS 82
typedef enum {
    REPORT_LAT_OK,
    REPORT_LAT_FAILED,
    REPORT_LAT_INDETERMINATE,
    REPORT_LAT_OUTCOMES
} ReportLatOutcome;

typedef struct {
    uint64_t counts[REPORT_LAT_OUTCOMES][REPORT_LAT_BUCKETS];
    SimTime max[REPORT_LAT_OUTCOMES]; /* the largest latency seen */
    uint64_t pending;                 /* operations that never completed */
} ReportLatency;

/* The lower edge of bucket i in nanoseconds (0 for bucket 0); i may be REPORT_LAT_BUCKETS,
 * whose edge is the upper end of the last decade bucket. */
SimTime report_latency_edge(guint i);
/* Adds the client operations of a history. */
/* (a streaming run's folded operations were added as they folded: report_latency_add_op) */
void report_latency_add_history(ReportLatency *lat, const History *h);
void report_latency_add_op(ReportLatency *lat, const HistOp *op);
void report_latency_add(ReportLatency *total, const ReportLatency *add);
uint64_t report_latency_count(const ReportLatency *lat, ReportLatOutcome o);
/* The latency under which a fraction q (0..1] of outcome o's operations completed: the upper
 * edge of the bucket that holds it, or the largest latency seen if smaller; -1 if none. */
SimTime report_latency_quantile(const ReportLatency *lat, ReportLatOutcome o, double q);
const char *report_lat_outcome_name(ReportLatOutcome o);
/* As JSON (report.json's suite member "latency") and back; FALSE if malformed. */
JsonObject *report_latency_to_json(const ReportLatency *lat);
gboolean report_latency_from_json(JsonObject *o, ReportLatency *out);
