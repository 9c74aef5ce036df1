/* reports/report.c — the report model: sets, suites and runs, their totals and coverage, and
 * their JSON form (report.json), which report_set_load reads back for `durasim merge`.
 *
 * report.json is written by hand around json-glib: the frame is indented, each run is one
 * compact line, so a 2,000-seed campaign stays a file that grep and diff handle line by line.
 */
#include "reports/report.h"

#include "reports/marks.h"
#include "model/protocol.h"

#include <errno.h>
#include <string.h>

/* ---- the model ---- */

ReportSet *report_set_new(void)
{
    ReportSet *set = g_new0(ReportSet, 1);
    set->suites = g_ptr_array_new();
    return set;
}

void report_suite_free(ReportSuite *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_free(s->command);
    g_ptr_array_unref(s->shards);
    g_ptr_array_unref(s->runs);
    if (s->coverage)
        json_object_unref(s->coverage);
    report_campaign_free(s->campaign);
    g_ptr_array_unref(s->missing);
    g_free(s);
}

ReportCampaign *report_campaign_new(const char *protocol, const char *faults, const char *bugs,
                                    uint64_t first, uint64_t last, const char *time,
                                    guint shard_count, const char *version)
{
    ReportCampaign *c = g_new0(ReportCampaign, 1);
    c->protocol = g_strdup(protocol ? protocol : "");
    c->faults = g_strdup(faults ? faults : "");
    c->bugs = g_strdup(bugs ? bugs : "");
    c->first = first;
    c->last = last;
    c->time = g_strdup(time);
    c->shard_count = shard_count ? shard_count : 1;
    c->version = g_strdup(version ? version : "");
    return c;
}

ReportCampaign *report_campaign_copy(const ReportCampaign *c)
{
    return report_campaign_new(c->protocol, c->faults, c->bugs, c->first, c->last, c->time,
                               c->shard_count, c->version);
}

void report_campaign_free(ReportCampaign *c)
{
    if (!c)
        return;
    g_free(c->protocol);
    g_free(c->faults);
    g_free(c->bugs);
    g_free(c->time);
    g_free(c->version);
    g_free(c);
}

void report_set_free(ReportSet *set)
{
    if (!set)
        return;
    for (guint i = 0; i < set->suites->len; i++)
        report_suite_free(g_ptr_array_index(set->suites, i));
    g_ptr_array_unref(set->suites);
    g_free(set);
}

ReportSuite *report_set_add_suite(ReportSet *set, const char *name, const char *command)
{
    ReportSuite *s = g_new0(ReportSuite, 1);
    s->name = g_strdup(name);
    s->command = g_strdup(command);
    s->shards = g_ptr_array_new_with_free_func(g_free);
    s->runs = g_ptr_array_new_with_free_func((GDestroyNotify)report_run_free);
    s->coverage = json_object_new();
    s->missing = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(set->suites, s);
    return s;
}

ReportRun *report_run_new(void)
{
    ReportRun *r = g_new0(ReportRun, 1);
    r->shape.fs = -1;
    return r;
}

void report_run_free(ReportRun *run)
{
    if (!run)
        return;
    g_free(run->name);
    g_free(run->file);
    g_free(run->protocol);
    g_free(run->first);
    g_free(run->replay);
    if (run->detail)
        json_object_unref(run->detail);
    g_free(run);
}

void report_suite_add_run(ReportSuite *suite, ReportRun *run)
{
    g_ptr_array_add(suite->runs, run);
}

void report_suite_totals(const ReportSuite *suite, ReportTotals *out)
{
    memset(out, 0, sizeof *out);
    for (guint i = 0; i < suite->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(suite->runs, i);
        out->runs++;
        out->passed += r->passed;
        out->failed += !r->passed;
        out->detailed += r->detail != NULL;
        out->one_line_failures += !r->passed && !r->detail;
        out->events += r->events;
    }
    out->wall_seconds = suite->wall_seconds;
}

void report_set_totals(const ReportSet *set, ReportTotals *out)
{
    memset(out, 0, sizeof *out);
    for (guint i = 0; i < set->suites->len; i++) {
        ReportTotals t;
        report_suite_totals(g_ptr_array_index(set->suites, i), &t);
        out->runs += t.runs;
        out->passed += t.passed;
        out->failed += t.failed;
        out->detailed += t.detailed;
        out->one_line_failures += t.one_line_failures;
        out->events += t.events;
        out->wall_seconds += t.wall_seconds;
    }
}

/* ---- coverage ---- */

JsonObject *report_coverage_new(const WorldStats *s, const Protocol *p)
{
    JsonObject *o = json_object_new();
    JsonObject *faults = json_object_new();
    for (int k = 0; k < FAULT_KIND_COUNT; k++)
        json_object_set_int_member(faults, fault_kind_name((FaultKind)k), (gint64)s->faults[k]);
    json_object_set_object_member(o, "faults", faults);
    JsonObject *fps = json_object_new();
    for (guint f = 0; f < p->n_failpoints; f++)
        json_object_set_int_member(fps, p->failpoints[f], (gint64)s->failpoints_hit[f]);
    json_object_set_object_member(o, "failpoints", fps);
    JsonObject *reasons = json_object_new();
    for (int r = 1; r < FAIL_REASON_COUNT; r++)
        json_object_set_int_member(reasons, fail_reason_name((FailReason)r),
                                   (gint64)s->fail_reasons[r]);
    json_object_set_object_member(o, "client_failures", reasons);
    JsonObject *owed = json_object_new(), *unowed = json_object_new();
    GArray *tally = mark_tally_new(s, p);
    for (guint i = 0; i < tally->len; i++) {
        const MarkTally *t = &g_array_index(tally, MarkTally, i);
        json_object_set_int_member(t->unowed ? unowed : owed, t->name, (gint64)t->count);
    }
    mark_tally_free(tally);
    json_object_set_object_member(o, "marks", owed);
    json_object_set_object_member(o, "marks_not_owed", unowed);
    const struct {
        const char *name;
        uint64_t value;
    } plain[] = {
        {"msgs_sent", s->msgs_sent},
        {"msgs_dropped", s->msgs_dropped},
        {"msgs_duplicated", s->msgs_duplicated},
        {"msgs_delivered", s->msgs_delivered},
        {"crashes", s->crashes},
        {"restarts", s->restarts},
        {"pauses", s->pauses},
        {"disk_writes", s->disk_writes},
        {"disk_fsyncs", s->disk_fsyncs},
        {"fsync_errors", s->fsync_errors},
        {"write_errors", s->write_errors},
        {"read_errors", s->read_errors},
        {"client_retries", s->client_retries},
        {"client_redirects", s->client_redirects},
        {"client_reconciles", s->client_reconciles},
    };
    for (guint i = 0; i < G_N_ELEMENTS(plain); i++)
        json_object_set_int_member(o, plain[i].name, (gint64)plain[i].value);
    JsonObject *msgs = json_object_new(), *bytes = json_object_new();
    for (int m = 0; m < MSG_TYPE_SLOTS; m++) {
        if (!s->msgs_by_type[m])
            continue;
        json_object_set_int_member(msgs, msg_type_name(p->msg, m), (gint64)s->msgs_by_type[m]);
        json_object_set_int_member(bytes, msg_type_name(p->msg, m), (gint64)s->bytes_by_type[m]);
    }
    json_object_set_object_member(o, "msgs_by_type", msgs);
    json_object_set_object_member(o, "bytes_by_type", bytes);
    ProtoCost costs[PROTO_MAX_COSTS];
    guint n = world_stats_costs(s, p, costs);
    if (n > 0) {
        JsonObject *c = json_object_new();
        for (guint i = 0; i < n; i++)
            json_object_set_int_member(c, costs[i].name, (gint64)costs[i].value);
        json_object_set_object_member(o, "costs", c);
    }
    return o;
}

void report_coverage_add(JsonObject *total, JsonObject *add)
{
    /* Members in the order of `add` (json-glib keeps insertion order), so totals read alike. */
    g_autoptr(GList) names = json_object_get_members(add);
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonNode *n = json_object_get_member(add, name);
        if (JSON_NODE_HOLDS_OBJECT(n)) {
            if (!json_object_has_member(total, name))
                json_object_set_object_member(total, name, json_object_new());
            JsonNode *t = json_object_get_member(total, name);
            if (JSON_NODE_HOLDS_OBJECT(t))
                report_coverage_add(json_node_get_object(t), json_node_get_object(n));
        } else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
            gint64 have = report_json_int(total, name, 0);
            json_object_set_int_member(total, name, have + json_node_get_int(n));
        }
    }
}

static double json_double(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return 0;
    JsonNode *n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return 0;
    GType t = json_node_get_value_type(n);
    return t == G_TYPE_DOUBLE  ? json_node_get_double(n)
           : t == G_TYPE_INT64 ? (double)json_node_get_int(n)
                               : 0;
}

/* ---- a run as JSON ---- */

static void set_seed(JsonObject *o, const char *name, uint64_t seed)
{
    /* json-glib integers are signed 64-bit: larger seeds are written as decimal strings. */
    if (seed <= (uint64_t)G_MAXINT64) {
        json_object_set_int_member(o, name, (gint64)seed);
    } else {
        g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, seed);
        json_object_set_string_member(o, name, text);
    }
}

static uint64_t get_seed(JsonObject *o, const char *name)
{
    const char *text = report_json_str(o, name);
    if (text)
        return g_ascii_strtoull(text, NULL, 10);
    return (uint64_t)report_json_int(o, name, 0);
}

static JsonObject *shape_to_json(const ReportShape *s)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "nodes", s->nodes);
    if (s->replicas) {
        json_object_set_int_member(o, "replicas", s->replicas);
        json_object_set_int_member(o, "write_quorum", s->write_quorum);
        json_object_set_int_member(o, "read_quorum", s->read_quorum);
        json_object_set_boolean_member(o, "sloppy", s->sloppy);
    }
    return o;
}

static void shape_from_json(JsonObject *run, ReportShape *s)
{
    JsonObject *o = report_json_object(run, "cluster");
    memset(s, 0, sizeof *s);
    s->fs = -1;
    FsProfile fs;
    const char *name = report_json_str(run, "fs");
    if (name && fs_profile_parse(name, &fs))
        s->fs = (int)fs;
    if (!o)
        return;
    s->nodes = (guint)MAX(report_json_int(o, "nodes", 0), 0);
    s->replicas = (guint)MAX(report_json_int(o, "replicas", 0), 0);
    s->write_quorum = (guint)MAX(report_json_int(o, "write_quorum", 0), 0);
    s->read_quorum = (guint)MAX(report_json_int(o, "read_quorum", 0), 0);
    s->sloppy = report_json_bool(o, "sloppy");
}

JsonObject *report_run_to_json(const ReportRun *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", r->name);
    if (r->file)
        json_object_set_string_member(o, "file", r->file);
    json_object_set_string_member(o, "protocol", r->protocol ? r->protocol : "?");
    set_seed(o, "seed", r->seed);
    g_autofree char *hash = g_strdup_printf("%016" G_GINT64_MODIFIER "x", r->trace_hash);
    json_object_set_string_member(o, "trace_hash", hash);
    json_object_set_string_member(o, "verdict", r->passed ? "pass" : "fail");
    if (r->beyond_model)
        json_object_set_boolean_member(o, "beyond_model", TRUE);
    json_object_set_int_member(o, "events", (gint64)r->events);
    json_object_set_int_member(o, "sim_end_ns", r->sim_end);
    json_object_set_int_member(o, "wall_us", (gint64)(r->wall_seconds * 1e6 + 0.5));
    json_object_set_int_member(o, "acked", r->acked);
    json_object_set_int_member(o, "failed", r->failed);
    json_object_set_int_member(o, "indeterminate", r->indeterminate);
    json_object_set_int_member(o, "orphans", r->orphans);
    JsonArray *kinds = json_array_new();
    for (int k = 0; k < V_KIND_COUNT; k++)
        if (r->kinds & (1u << k))
            json_array_add_string_element(kinds, violation_kind_name((ViolationKind)k));
    json_object_set_array_member(o, "violations", kinds);
    if (r->expected) {
        JsonArray *expected = json_array_new();
        for (int k = 0; k < V_KIND_COUNT; k++)
            if (r->expected & (1u << k))
                json_array_add_string_element(expected, violation_kind_name((ViolationKind)k));
        json_object_set_array_member(o, "expected_violations", expected);
    }
    if (r->first)
        json_object_set_string_member(o, "first", r->first);
    json_object_set_string_member(o, "replay", r->replay ? r->replay : "");
    if (r->shape.nodes)
        json_object_set_object_member(o, "cluster", shape_to_json(&r->shape));
    if (r->shape.fs >= 0 && r->shape.fs < FS_PROFILE_COUNT)
        json_object_set_string_member(o, "fs", fs_profile_name((FsProfile)r->shape.fs));
    if (r->detail)
        json_object_set_object_member(o, "detail", json_object_ref(r->detail));
    return o;
}

static char *object_line(JsonObject *o)
{
    g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
    return json_to_string(n, FALSE);
}

static void append_totals(GString *s, const ReportTotals *t, const char *indent)
{
    g_string_append_printf(
        s,
        "%s\"totals\": {\"runs\": %u, \"passed\": %u, \"failed\": %u, "
        "\"detailed\": %u, \"events\": %" G_GUINT64_FORMAT ", \"wall_seconds\": %.3f},\n",
        indent, t->runs, t->passed, t->failed, t->detailed, t->events, t->wall_seconds);
}

/* "campaign", "partial" and "missing_shards" of a campaign suite; nothing for other suites. */
static void append_campaign(GString *s, const ReportSuite *suite)
{
    const ReportCampaign *c = suite->campaign;
    if (!c)
        return;
    g_autoptr(JsonObject) o = json_object_new();
    json_object_set_string_member(o, "protocol", c->protocol);
    json_object_set_string_member(o, "faults", c->faults);
    json_object_set_string_member(o, "bugs", c->bugs);
    g_autofree char *seeds =
        g_strdup_printf("%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, c->first, c->last);
    json_object_set_string_member(o, "seeds", seeds);
    if (c->time)
        json_object_set_string_member(o, "time", c->time);
    json_object_set_int_member(o, "shard_count", c->shard_count);
    json_object_set_string_member(o, "version", c->version);
    g_autofree char *line = object_line(o);
    g_string_append_printf(s, "      \"campaign\": %s,\n", line);
    g_string_append_printf(s, "      \"partial\": %s,\n", suite->partial ? "true" : "false");
    if (!suite->partial)
        return;
    g_string_append(s, "      \"missing_shards\": [");
    for (guint i = 0; i < suite->missing->len; i++)
        g_string_append_printf(s, "%s\"%s\"", i ? ", " : "",
                               (const char *)g_ptr_array_index(suite->missing, i));
    g_string_append(s, "],\n");
}

static void append_suite(GString *s, const ReportSuite *suite)
{
    g_autoptr(JsonObject) head = json_object_new();
    json_object_set_string_member(head, "name", suite->name);
    json_object_set_string_member(head, "command", suite->command);
    g_autofree char *name = object_line(head);
    /* name and command as json-glib escapes them, without their braces */
    name[strlen(name) - 1] = '\0';
    g_string_append_printf(s, "      %s,\n", name + 1);
    g_string_append(s, "      \"shards\": [");
    for (guint i = 0; i < suite->shards->len; i++)
        g_string_append_printf(s, "%s\"%s\"", i ? ", " : "",
                               (const char *)g_ptr_array_index(suite->shards, i));
    g_string_append(s, "],\n");
    append_campaign(s, suite);
    ReportTotals t;
    report_suite_totals(suite, &t);
    append_totals(s, &t, "      ");
    g_autofree char *cov = object_line(suite->coverage);
    g_autoptr(JsonObject) lat = report_latency_to_json(&suite->latency);
    g_autofree char *latency = object_line(lat);
    g_string_append_printf(s, "      \"coverage\": %s,\n      \"latency\": %s,\n      \"runs\": [",
                           cov, latency);
    for (guint i = 0; i < suite->runs->len; i++) {
        g_autoptr(JsonObject) o = report_run_to_json(g_ptr_array_index(suite->runs, i));
        g_autofree char *line = object_line(o);
        g_string_append_printf(s, "%s\n        %s", i ? "," : "", line);
    }
    g_string_append(s, suite->runs->len ? "\n      ]\n    }" : "]\n    }");
}

gboolean report_set_partial(const ReportSet *set)
{
    for (guint i = 0; i < set->suites->len; i++)
        if (((const ReportSuite *)g_ptr_array_index(set->suites, i))->partial)
            return TRUE;
    return FALSE;
}

char *report_set_to_json(const ReportSet *set, gsize *length)
{
    GString *s = g_string_sized_new(4096);
    ReportTotals t;
    report_set_totals(set, &t);
    g_string_append_printf(s, "{\n  \"schema\": \"%s\",\n  \"version\": %d,\n", REPORT_SCHEMA_NAME,
                           REPORT_SCHEMA_VERSION);
    if (report_set_partial(set))
        g_string_append(s, "  \"partial\": true,\n");
    append_totals(s, &t, "  ");
    g_string_append(s, "  \"suites\": [");
    for (guint i = 0; i < set->suites->len; i++) {
        /* the suite's brace opens here; append_suite writes its members and closes it */
        g_string_append(s, i ? ",\n    {\n" : "\n    {\n");
        append_suite(s, g_ptr_array_index(set->suites, i));
    }
    g_string_append(s, set->suites->len ? "\n  ]\n}\n" : "]\n}\n");
    if (length)
        *length = s->len;
    return g_string_free(s, FALSE);
}

gboolean report_write_json(const ReportSet *set, const char *dir, GError **error)
{
    gsize len;
    g_autofree char *text = report_set_to_json(set, &len);
    return report_save(dir, "report.json", text, len, error);
}

/* ---- reading report.json back ---- */

static ViolationSet kinds_from_json(JsonArray *kinds)
{
    ViolationSet set = 0;
    for (guint i = 0; kinds && i < json_array_get_length(kinds); i++) {
        ViolationKind k;
        const char *name = json_array_get_string_element(kinds, i);
        if (name && violation_kind_parse(name, &k))
            set |= 1u << k;
    }
    return set;
}

static ReportRun *run_from_json(JsonObject *o)
{
    ReportRun *r = report_run_new();
    r->name = g_strdup(report_json_str(o, "name") ? report_json_str(o, "name") : "?");
    r->file = g_strdup(report_json_str(o, "file"));
    r->protocol = g_strdup(report_json_str(o, "protocol"));
    r->seed = get_seed(o, "seed");
    const char *hash = report_json_str(o, "trace_hash");
    r->trace_hash = hash ? g_ascii_strtoull(hash, NULL, 16) : 0;
    r->passed = g_strcmp0(report_json_str(o, "verdict"), "pass") == 0;
    r->beyond_model = report_json_bool(o, "beyond_model");
    r->events = (uint64_t)report_json_int(o, "events", 0);
    r->sim_end = report_json_int(o, "sim_end_ns", 0);
    r->wall_seconds = (double)report_json_int(o, "wall_us", 0) / 1e6;
    r->acked = (guint)report_json_int(o, "acked", 0);
    r->failed = (guint)report_json_int(o, "failed", 0);
    r->indeterminate = (guint)report_json_int(o, "indeterminate", 0);
    r->orphans = (guint)report_json_int(o, "orphans", 0);
    r->kinds = kinds_from_json(report_json_array(o, "violations"));
    r->expected = kinds_from_json(report_json_array(o, "expected_violations"));
    r->first = g_strdup(report_json_str(o, "first"));
    r->replay = g_strdup(report_json_str(o, "replay"));
    shape_from_json(o, &r->shape);
    JsonObject *detail = report_json_object(o, "detail");
    r->detail = detail ? json_object_ref(detail) : NULL;
    return r;
}

/* The "campaign" record of suite `s`; GError if its seed range or shard count is unreadable. */
static gboolean campaign_from_json(ReportSuite *s, JsonObject *o, const char *path, GError **error)
{
    const char *seeds = report_json_str(o, "seeds");
    gint64 count = report_json_int(o, "shard_count", 0);
    const char *dots = seeds ? strstr(seeds, "..") : NULL;
    if (!dots || !g_ascii_isdigit(seeds[0]) || !g_ascii_isdigit(dots[2]) || count < 1 ||
        count > G_MAXUINT) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: suite '%s': its campaign record lacks the seed range or shard count", path,
                    s->name);
        return FALSE;
    }
    s->campaign = report_campaign_new(
        report_json_str(o, "protocol"), report_json_str(o, "faults"), report_json_str(o, "bugs"),
        g_ascii_strtoull(seeds, NULL, 10), g_ascii_strtoull(dots + 2, NULL, 10),
        report_json_str(o, "time"), (guint)count, report_json_str(o, "version"));
    return TRUE;
}

static gboolean suite_from_json(ReportSet *set, JsonObject *o, const char *path, GError **error)
{
    const char *name = report_json_str(o, "name");
    const char *command = report_json_str(o, "command");
    JsonArray *runs = report_json_array(o, "runs");
    if (!name || !command || !runs) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: a suite lacks its name, command or runs", path);
        return FALSE;
    }
    ReportSuite *s = report_set_add_suite(set, name, command);
    JsonArray *shards = report_json_array(o, "shards");
    for (guint i = 0; shards && i < json_array_get_length(shards); i++)
        g_ptr_array_add(s->shards, g_strdup(json_array_get_string_element(shards, i)));
    JsonObject *camp = report_json_object(o, "campaign");
    if (camp && !campaign_from_json(s, camp, path, error))
        return FALSE;
    s->partial = report_json_bool(o, "partial");
    JsonArray *missing = report_json_array(o, "missing_shards");
    for (guint i = 0; missing && i < json_array_get_length(missing); i++)
        g_ptr_array_add(s->missing, g_strdup(json_array_get_string_element(missing, i)));
    JsonObject *cov = report_json_object(o, "coverage");
    if (cov)
        report_coverage_add(s->coverage, cov);
    JsonObject *lat = report_json_object(o, "latency");
    if (lat && !report_latency_from_json(lat, &s->latency)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: suite '%s': its latency histogram is malformed", path, name);
        return FALSE;
    }
    s->wall_seconds = json_double(report_json_object(o, "totals"), "wall_seconds");
    for (guint i = 0; i < json_array_get_length(runs); i++) {
        JsonNode *n = json_array_get_element(runs, i);
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: suite '%s': run %u is not an object", path, name, i + 1);
            return FALSE;
        }
        report_suite_add_run(s, run_from_json(json_node_get_object(n)));
    }
    return TRUE;
}

ReportSet *report_set_load(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_file(parser, path, &err)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, err->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    if (!o || g_strcmp0(report_json_str(o, "schema"), REPORT_SCHEMA_NAME) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a durasim report", path);
        return NULL;
    }
    gint64 version = report_json_int(o, "version", -1);
    if (version != REPORT_SCHEMA_VERSION) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: report version %" G_GINT64_FORMAT ", this durasim reads version %d", path,
                    version, REPORT_SCHEMA_VERSION);
        return NULL;
    }
    JsonArray *suites = report_json_array(o, "suites");
    if (!suites) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no suites", path);
        return NULL;
    }
    ReportSet *set = report_set_new();
    for (guint i = 0; i < json_array_get_length(suites); i++) {
        JsonNode *n = json_array_get_element(suites, i);
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: suite %u is not an object",
                        path, i + 1);
            report_set_free(set);
            return NULL;
        }
        if (!suite_from_json(set, json_node_get_object(n), path, error)) {
            report_set_free(set);
            return NULL;
        }
    }
    return set;
}
