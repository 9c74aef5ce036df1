/* tests/test_report.c — the report writers: report.json against its JSON schema and junit.xml
 * against its XSD (xmllint) for a passing run and a run with violations, the causal slice and
 * the disk states of a violating run, reading reports back, merging shards, and the caps.
 *
 * The JSON schema is checked by a small validator of the subset reports/schema/report.schema.json
 * uses ($ref to $defs, type, const, enum, minimum, pattern, required, properties,
 * additionalProperties, items); a test shows it rejects what it must.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reports/report.h"
#include "sim/protocols.h"
#include "sim/cli.h"

#include <glib/gstdio.h>
#include <string.h>

#define SCHEMA   "reports/schema/report.schema.json"
#define XSD      "reports/schema/junit.xsd"
#define SCENARIO "scenarios/fsync-eio-failover.ini"

/* ---- a validator for the JSON-schema subset the report schema uses ---- */

typedef struct {
    JsonObject *root;
    GPtrArray *errors; /* of char* */
} Validator;

static void fail_at(Validator *v, const char *path, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail_at(Validator *v, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(v->errors, g_strdup_printf("%s: %s", path, msg));
}

static gboolean is_type(JsonNode *n, const char *type)
{
    if (strcmp(type, "object") == 0)
        return JSON_NODE_HOLDS_OBJECT(n);
    if (strcmp(type, "array") == 0)
        return JSON_NODE_HOLDS_ARRAY(n);
    if (strcmp(type, "null") == 0)
        return JSON_NODE_HOLDS_NULL(n);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return FALSE;
    GType t = json_node_get_value_type(n);
    if (strcmp(type, "string") == 0)
        return t == G_TYPE_STRING;
    if (strcmp(type, "integer") == 0)
        return t == G_TYPE_INT64;
    if (strcmp(type, "number") == 0)
        return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
    if (strcmp(type, "boolean") == 0)
        return t == G_TYPE_BOOLEAN;
    return FALSE;
}

static gboolean same_value(JsonNode *a, JsonNode *b)
{
    return json_node_equal(a, b);
}

static void validate(Validator *v, JsonNode *schema, JsonNode *inst, const char *path);

static void check_type(Validator *v, JsonObject *s, JsonNode *inst, const char *path)
{
    JsonNode *t = json_object_get_member(s, "type");
    if (JSON_NODE_HOLDS_ARRAY(t)) {
        JsonArray *a = json_node_get_array(t);
        for (guint i = 0; i < json_array_get_length(a); i++)
            if (is_type(inst, json_array_get_string_element(a, i)))
                return;
        fail_at(v, path, "none of the allowed types");
    } else if (!is_type(inst, json_node_get_string(t))) {
        fail_at(v, path, "not of type %s", json_node_get_string(t));
    }
}

static void check_scalar(Validator *v, JsonObject *s, JsonNode *inst, const char *path)
{
    if (json_object_has_member(s, "const") && !same_value(json_object_get_member(s, "const"), inst))
        fail_at(v, path, "not the constant the schema fixes");
    if (json_object_has_member(s, "enum")) {
        JsonArray *a = json_object_get_array_member(s, "enum");
        gboolean found = FALSE;
        for (guint i = 0; i < json_array_get_length(a) && !found; i++)
            found = same_value(json_array_get_element(a, i), inst);
        if (!found)
            fail_at(v, path, "not one of the enumerated values");
    }
    if (json_object_has_member(s, "minimum") && is_type(inst, "number")) {
        double min = json_object_get_double_member(s, "minimum");
        double x =
            is_type(inst, "integer") ? (double)json_node_get_int(inst) : json_node_get_double(inst);
        if (x < min)
            fail_at(v, path, "below the minimum %g", min);
    }
    if (json_object_has_member(s, "pattern") && is_type(inst, "string") &&
        !g_regex_match_simple(json_object_get_string_member(s, "pattern"),
                              json_node_get_string(inst), 0, 0))
        fail_at(v, path, "'%s' does not match %s", json_node_get_string(inst),
                json_object_get_string_member(s, "pattern"));
}

static void check_object(Validator *v, JsonObject *s, JsonObject *o, const char *path)
{
    JsonArray *req =
        json_object_has_member(s, "required") ? json_object_get_array_member(s, "required") : NULL;
    for (guint i = 0; req && i < json_array_get_length(req); i++)
        if (!json_object_has_member(o, json_array_get_string_element(req, i)))
            fail_at(v, path, "lacks required member '%s'", json_array_get_string_element(req, i));
    JsonObject *props = json_object_has_member(s, "properties")
                            ? json_object_get_object_member(s, "properties")
                            : NULL;
    JsonNode *extra = json_object_has_member(s, "additionalProperties")
                          ? json_object_get_member(s, "additionalProperties")
                          : NULL;
    g_autoptr(GList) names = json_object_get_members(o);
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        g_autofree char *sub = g_strdup_printf("%s.%s", path, name);
        JsonNode *member = json_object_get_member(o, name);
        if (props && json_object_has_member(props, name))
            validate(v, json_object_get_member(props, name), member, sub);
        else if (extra && JSON_NODE_HOLDS_VALUE(extra) && !json_node_get_boolean(extra))
            fail_at(v, sub, "member not allowed by the schema");
        else if (extra && JSON_NODE_HOLDS_OBJECT(extra))
            validate(v, extra, member, sub);
    }
}

static void validate(Validator *v, JsonNode *schema, JsonNode *inst, const char *path)
{
    JsonObject *s = json_node_get_object(schema);
    if (json_object_has_member(s, "$ref")) {
        const char *ref = json_object_get_string_member(s, "$ref");
        g_assert_true(g_str_has_prefix(ref, "#/$defs/"));
        JsonObject *defs = json_object_get_object_member(v->root, "$defs");
        validate(v, json_object_get_member(defs, ref + strlen("#/$defs/")), inst, path);
        return;
    }
    if (json_object_has_member(s, "type"))
        check_type(v, s, inst, path);
    check_scalar(v, s, inst, path);
    if (JSON_NODE_HOLDS_OBJECT(inst))
        check_object(v, s, json_node_get_object(inst), path);
    if (JSON_NODE_HOLDS_ARRAY(inst) && json_object_has_member(s, "items")) {
        JsonArray *a = json_node_get_array(inst);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *sub = g_strdup_printf("%s[%u]", path, i);
            validate(v, json_object_get_member(s, "items"), json_array_get_element(a, i), sub);
        }
    }
}

/* The schema violations of a JSON document (empty when it conforms). Caller frees. */
static GPtrArray *schema_errors(JsonNode *doc)
{
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_file(p, SCHEMA, NULL));
    Validator v = {json_node_get_object(json_parser_get_root(p)),
                   g_ptr_array_new_with_free_func(g_free)};
    validate(&v, json_parser_get_root(p), doc, "$");
    for (guint i = 0; i < v.errors->len && i < 5; i++)
        print_message("schema: %s\n", (const char *)g_ptr_array_index(v.errors, i));
    return v.errors;
}

static JsonParser *parse_file(const char *path)
{
    JsonParser *p = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_file(p, path, &err))
        fail_msg("%s: %s", path, err->message);
    return p;
}

/* ---- running the command line into a fresh directory ---- */

static char *fresh_dir(void)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("durasim-report-XXXXXX", &err);
    assert_non_null(dir);
    return dir;
}

static void remove_dir(const char *dir)
{
    const char *files[] = {"report.json", "junit.xml", "summary.md", "index.html"};
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(dir, files[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

/* Runs `durasim ARGS... --report DIR` in-process; returns its exit status. */
static int cli_with_report(CliCommandFn fn, const char *dir, ...)
{
    GPtrArray *args = g_ptr_array_new();
    va_list ap;
    va_start(ap, dir);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
        g_ptr_array_add(args, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(args, g_strdup("--report"));
    g_ptr_array_add(args, g_strdup(dir));
    g_ptr_array_add(args, NULL);
    int argc = (int)args->len - 1;
    char **argv = (char **)g_ptr_array_free(args, FALSE);
    char **copy = g_memdup2(argv, sizeof(char *) * ((gsize)argc + 1));
    fflush(stdout);
    int status = fn(argc, copy);
    g_free(copy);
    g_strfreev(argv);
    return status;
}

static int xmllint_schema(const char *dir)
{
    g_autofree char *junit = g_build_filename(dir, "junit.xml", NULL);
    const char *argv[] = {"xmllint", "--noout", "--schema", XSD, junit, NULL};
    int status = -1;
    g_autoptr(GError) err = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, &err))
        fail_msg("cannot run xmllint (apt-get install libxml2-utils): %s", err->message);
    return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

static JsonObject *first_run(JsonParser *p)
{
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    JsonObject *suite = json_array_get_object_element(report_json_array(root, "suites"), 0);
    return json_array_get_object_element(report_json_array(suite, "runs"), 0);
}

/* ---- tests ---- */

static char *read_text(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* A passing run writes a report.json that conforms to the schema, and a junit.xml the XSD
 * accepts, with the run as one passing testcase. */
static void test_report_of_passing_run_validates_against_schema_and_xsd(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", SCENARIO, NULL), CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    assert_string_equal(report_json_str(first_run(p), "verdict"), "pass");
    assert_int_equal(xmllint_schema(dir), 0);
    g_autofree char *junit_path = g_build_filename(dir, "junit.xml", NULL);
    g_autofree char *junit = NULL;
    assert_true(g_file_get_contents(junit_path, &junit, NULL, NULL));
    assert_non_null(strstr(junit, "tests=\"1\" failures=\"0\""));
    remove_dir(dir);
}

/* A run with violations conforms too; its violations carry kind, time, operations, nodes and
 * explanation, and junit.xml reports the failure with the replay command in its body. */
static void test_report_of_violating_run_validates_and_carries_violations(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", "--bug", "retry-fsync", SCENARIO, NULL),
                     CLI_EXIT_FAIL);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    JsonObject *run = first_run(p);
    assert_string_equal(report_json_str(run, "verdict"), "fail");
    JsonArray *violations = report_json_array(report_json_object(run, "detail"), "violations");
    assert_true(json_array_get_length(violations) > 0);
    gboolean early_ack_with_op = FALSE;
    for (guint i = 0; i < json_array_get_length(violations); i++) {
        JsonObject *v = json_array_get_object_element(violations, i);
        if (g_strcmp0(report_json_str(v, "kind"), "early-ack") == 0)
            early_ack_with_op = json_array_get_length(report_json_array(v, "ops")) == 1;
    }
    assert_true(early_ack_with_op);
    JsonObject *points = report_json_object(report_json_object(run, "detail"), "points");
    assert_true(report_json_int(points, "of", 0) >= 2);
    assert_int_equal(xmllint_schema(dir), 0);
    /* the run's page has its latency and throughput plots, with the fault window drawn and
     * points that lead to their steps */
    g_autofree char *html = read_text(dir, "index.html");
    assert_non_null(strstr(html, "\\u003csvg class=\\\"plot latency\\\""));
    assert_non_null(strstr(html, "\\u003csvg class=\\\"plot rate\\\""));
    assert_non_null(strstr(html, "\\u003cg class=\\\"fault\\\">\\u003ctitle>r2-bad-disk on r2"));
    assert_non_null(strstr(html, "\\u003ccircle class=\\\"pt o-ok\\\""));
    assert_non_null(strstr(html, " data-step=\\\""));
    g_autofree char *junit_path = g_build_filename(dir, "junit.xml", NULL);
    g_autofree char *junit = NULL;
    assert_true(g_file_get_contents(junit_path, &junit, NULL, NULL));
    assert_non_null(strstr(junit, "<failure message=\""));
    assert_non_null(strstr(junit, "replay: durasim run --bug retry-fsync " SCENARIO));
    remove_dir(dir);
}

/* A scenario that expects its violations passes; report.json names them as expected, and
 * summary.md marks them "(expected)" rather than in bold, and does not send the reader to step
 * through failing runs when none failed. */
static void test_expected_violations_are_reported_as_expected(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(
        cli_with_report(cli_run, dir, "run", "scenarios/bug-count-failed-fsync.ini", NULL),
        CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    JsonArray *expected = report_json_array(first_run(p), "expected_violations");
    assert_non_null(expected);
    assert_string_equal(json_array_get_string_element(expected, 0), "early-ack");
    g_autofree char *md = read_text(dir, "summary.md");
    assert_non_null(strstr(md, "early-ack (expected)"));
    assert_null(strstr(md, "**early-ack**"));
    assert_null(strstr(md, "failing run"));
    remove_dir(dir);
}

/* The validator is not vacuous: a missing required member, a malformed trace hash, an unknown
 * member and a wrong version are each reported. */
static void test_schema_validator_rejects_broken_reports(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", SCENARIO, NULL), CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    for (int mutation = 0; mutation < 4; mutation++) {
        g_autoptr(JsonParser) p = parse_file(json);
        JsonObject *root = json_node_get_object(json_parser_get_root(p));
        JsonObject *run = first_run(p);
        if (mutation == 0)
            json_object_remove_member(run, "trace_hash");
        else if (mutation == 1)
            json_object_set_string_member(run, "trace_hash", "not-hex");
        else if (mutation == 2)
            json_object_set_int_member(run, "surprise", 1);
        else
            json_object_set_int_member(root, "version", 2);
        g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
        assert_int_equal(errors->len, 1);
    }
    remove_dir(dir);
}

/* A report.json read back and written again is the same text: merge loses nothing. */
static void test_report_json_round_trips_through_load(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", "--bug", "retry-fsync", SCENARIO, NULL),
                     CLI_EXIT_FAIL);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(json, &text, NULL, NULL));
    g_autoptr(GError) err = NULL;
    g_autoptr(ReportSet) set = report_set_load(json, &err);
    assert_non_null(set);
    g_autofree char *again = report_set_to_json(set, NULL);
    assert_string_equal(again, text);
    remove_dir(dir);
}

/* The slice of a violating run holds the violating operation's invocation and completion,
 * marked hot, within the cap; and r2's disk shows the block an EIO fsync left clean but never
 * durable ('L'), which the retried fsync did not make durable. */
static void test_slice_holds_violating_op_and_disk_state_shows_lost_block(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", "--bug", "retry-fsync", SCENARIO, NULL),
                     CLI_EXIT_FAIL);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    JsonObject *trace = report_json_object(report_json_object(first_run(p), "detail"), "trace");
    JsonArray *events = report_json_array(trace, "events");
    assert_true(json_array_get_length(events) <= REPORT_SLICE_CAP);
    gboolean invoke = FALSE, complete = FALSE, lost = FALSE;
    for (guint i = 0; i < json_array_get_length(events); i++) {
        JsonObject *e = json_array_get_object_element(events, i);
        const char *label = report_json_str(e, "label");
        if (report_json_bool(e, "hot") && g_str_has_prefix(label, "invoke deposit "))
            invoke = TRUE;
        if (report_json_bool(e, "hot") && strcmp(label, "deposit ok") == 0)
            complete = TRUE;
        JsonObject *r2 = report_json_object(report_json_object(e, "state"), "r2");
        JsonArray *files = report_json_array(r2, "files");
        if (files && json_array_get_length(files) > 0 &&
            strchr(report_json_str(json_array_get_object_element(files, 0), "blocks"), 'L'))
            lost = TRUE;
    }
    assert_true(invoke);
    assert_true(complete);
    assert_true(lost);
    remove_dir(dir);
}

static ReportRun *synthetic_run(uint64_t seed, gboolean passed, gboolean detail)
{
    ReportRun *r = report_run_new();
    r->name = g_strdup_printf("seed-%" G_GUINT64_FORMAT, seed);
    r->protocol = g_strdup("quorum");
    r->seed = seed;
    r->trace_hash = seed * 0x9e3779b97f4a7c15ULL;
    r->passed = passed;
    r->replay = g_strdup("durasim replay");
    if (detail)
        r->detail = json_object_new();
    return r;
}

/* Merging two shards gives one suite in seed order, drops a seed reported twice, sums the
 * coverage, and keeps detail for only the first REPORT_DETAIL_CAP failing runs. */
static void test_merge_orders_seeds_dedups_and_reapplies_detail_cap(void **state)
{
    g_autoptr(ReportSet) a = report_set_new(), b = report_set_new();
    ReportSuite *sa = report_set_add_suite(a, "durasim fuzz x", "fuzz");
    ReportSuite *sb = report_set_add_suite(b, "durasim fuzz x", "fuzz");
    for (uint64_t seed = 1; seed <= 2 * REPORT_DETAIL_CAP + 2; seed++)
        report_suite_add_run(seed % 2 ? sa : sb, synthetic_run(seed, FALSE, TRUE));
    report_suite_add_run(sb, synthetic_run(1, FALSE, TRUE)); /* overlap */
    json_object_set_int_member(sa->coverage, "crashes", 2);
    json_object_set_int_member(sb->coverage, "crashes", 3);
    report_set_merge(a, b);
    assert_int_equal(a->suites->len, 1);
    assert_int_equal(b->suites->len, 0);
    ReportSuite *s = g_ptr_array_index(a->suites, 0);
    assert_int_equal(s->runs->len, 2 * REPORT_DETAIL_CAP + 2);
    guint detailed = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        assert_int_equal(r->seed, i + 1);
        detailed += r->detail != NULL;
        if (i >= REPORT_DETAIL_CAP)
            assert_null(r->detail);
    }
    assert_int_equal(detailed, REPORT_DETAIL_CAP);
    assert_int_equal(report_json_int(s->coverage, "crashes", 0), 5);
}

/* A shard report records its campaign; a partial merge of it (shard 2/2 missing) conforms to the
 * schema and the XSD, names the missing shard, and reads back to the same text. */
static void test_partial_merge_of_a_shard_validates_and_round_trips(void **state)
{
    g_autofree char *shard = fresh_dir();
    assert_int_equal(cli_with_report(cli_fuzz, shard, "fuzz", "--protocol", "raft", "--seeds",
                                     "1..6", "--shard", "1/2", NULL),
                     CLI_EXIT_PASS);
    g_autofree char *shard_json = g_build_filename(shard, "report.json", NULL);
    g_autoptr(JsonParser) sp = parse_file(shard_json);
    g_autoptr(GPtrArray) shard_errors = schema_errors(json_parser_get_root(sp));
    assert_int_equal(shard_errors->len, 0);
    JsonObject *suite = json_array_get_object_element(
        report_json_array(json_node_get_object(json_parser_get_root(sp)), "suites"), 0);
    JsonObject *camp = report_json_object(suite, "campaign");
    assert_string_equal(report_json_str(camp, "protocol"), "raft");
    assert_string_equal(report_json_str(camp, "seeds"), "1..6");
    assert_int_equal(report_json_int(camp, "shard_count", 0), 2);
    g_autofree char *merged = fresh_dir();
    assert_int_equal(cli_with_report(cli_merge, merged, "merge", shard, NULL), CLI_EXIT_USAGE);
    assert_int_equal(cli_with_report(cli_merge, merged, "merge", "--partial", shard, NULL),
                     CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(merged, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    assert_int_equal(xmllint_schema(merged), 0);
    g_autoptr(GError) err = NULL;
    g_autoptr(ReportSet) set = report_set_load(json, &err);
    assert_non_null(set);
    assert_true(report_set_partial(set));
    ReportSuite *s = g_ptr_array_index(set->suites, 0);
    assert_int_equal(s->missing->len, 1);
    assert_string_equal(g_ptr_array_index(s->missing, 0), "2/2");
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(json, &text, NULL, NULL));
    g_autofree char *again = report_set_to_json(set, NULL);
    assert_string_equal(again, text);
    remove_dir(shard);
    remove_dir(merged);
}

/* A run name carrying markup cannot break out of index.html's data block, and junit.xml stays
 * valid against the XSD. */
static void test_markup_in_names_is_escaped_in_html_and_junit(void **state)
{
    g_autofree char *dir = fresh_dir();
    g_autoptr(ReportSet) set = report_set_new();
    ReportSuite *s = report_set_add_suite(set, "suite <&\"> </script>", "run");
    ReportRun *r = synthetic_run(3, FALSE, FALSE);
    g_free(r->name);
    r->name = g_strdup("</script><script>alert(1)</script> & \"x\"");
    r->first = g_strdup("lost-ack: <b>&</b>");
    report_suite_add_run(s, r);
    g_autoptr(GError) err = NULL;
    assert_true(report_write_all(set, dir, &err));
    g_autofree char *html_path = g_build_filename(dir, "index.html", NULL);
    g_autofree char *html = NULL;
    assert_true(g_file_get_contents(html_path, &html, NULL, NULL));
    const char *data = strstr(html, "id=\"durasim-data\">");
    assert_non_null(data);
    const char *end = strstr(data, "</script>");
    assert_null(g_strstr_len(data, end - data, "<script"));
    assert_non_null(g_strstr_len(data, end - data, "\\u003c/script>\\u003cscript>"));
    assert_int_equal(xmllint_schema(dir), 0);
    remove_dir(dir);
}

/* A fuzz campaign's report lists every seed as one line, details only failing seeds, and the
 * detailed rerun of a seed has the campaign's trace hash (runs are deterministic). */
static void test_fuzz_report_details_failing_seeds_only(void **state)
{
    g_autofree char *dir = fresh_dir();
    int status = cli_with_report(cli_fuzz, dir, "fuzz", "--protocol", "quorum", "--seeds", "1..40",
                                 "--bug", "no-dedup", "--jobs", "2", NULL);
    assert_int_equal(status, CLI_EXIT_FAIL);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(ReportSet) set = report_set_load(json, &err);
    assert_non_null(set);
    ReportSuite *s = g_ptr_array_index(set->suites, 0);
    assert_int_equal(s->runs->len, 40);
    guint failing = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = g_ptr_array_index(s->runs, i);
        assert_int_equal(r->seed, i + 1);
        assert_true(r->passed ? r->detail == NULL : r->detail != NULL);
        failing += !r->passed;
    }
    assert_true(failing > 0);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    remove_dir(dir);
}

/* The latency histogram: operations land in the bucket of their latency, the liveness probe
 * and pending operations are left out of it, and quantiles are bucket bounds capped by the
 * largest latency seen. */
static void test_latency_histogram_buckets_and_quantiles(void **state)
{
    History h;
    history_init(&h);
    const struct {
        SimTime latency;
        Outcome outcome;
        uint8_t flags;
    } ops[] = {
        {10 * SIM_MS, OUTCOME_OK, 0},        {10 * SIM_MS, OUTCOME_OK, 0},
        {12 * SIM_MS, OUTCOME_OK, 0},        {900 * SIM_MS, OUTCOME_OK, 0},
        {2 * SIM_SEC, OUTCOME_FAIL, 0},      {3 * SIM_SEC, OUTCOME_INDETERMINATE, 0},
        {5 * SIM_MS, OUTCOME_OK, HOP_PROBE}, {0, OUTCOME_PENDING, 0},
    };
    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        HistOp *op = history_add(&h);
        op->invoke = SIM_SEC;
        op->outcome = ops[i].outcome;
        op->flags = ops[i].flags;
        op->complete =
            ops[i].outcome == OUTCOME_PENDING ? SIM_TIME_NEVER : SIM_SEC + ops[i].latency;
    }
    ReportLatency lat = {0};
    report_latency_add_history(&lat, &h);
    assert_int_equal(report_latency_count(&lat, REPORT_LAT_OK), 4);
    assert_int_equal(report_latency_count(&lat, REPORT_LAT_FAILED), 1);
    assert_int_equal(report_latency_count(&lat, REPORT_LAT_INDETERMINATE), 1);
    assert_int_equal(lat.pending, 1);
    assert_int_equal(lat.max[REPORT_LAT_OK], 900 * SIM_MS);
    /* 10ms is the lower edge of its bucket, which ends at 10^4.1 µs */
    assert_int_equal(report_latency_quantile(&lat, REPORT_LAT_OK, 0.5), report_latency_edge(42));
    assert_int_equal(report_latency_edge(41), 10 * SIM_MS);
    assert_int_equal(report_latency_quantile(&lat, REPORT_LAT_OK, 1.0), 900 * SIM_MS);
    assert_int_equal(report_latency_quantile(&lat, REPORT_LAT_FAILED, 0.99), 2 * SIM_SEC);
    ReportLatency none = {0};
    assert_int_equal(report_latency_quantile(&none, REPORT_LAT_OK, 0.5), -1);
    g_autoptr(JsonObject) o = report_latency_to_json(&lat);
    ReportLatency back;
    assert_true(report_latency_from_json(o, &back));
    assert_memory_equal(&back, &lat, sizeof lat);
    history_clear(&h);
}

/* A passing campaign's report is a dashboard, not an empty table: summary.md has the outcome
 * counts, the coverage table with the never-fired counters called out, the distributions and
 * the latency percentiles; index.html draws the heat maps, bars and the CDF as inline SVG. */
static void test_passing_campaign_report_is_a_dashboard(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(
        cli_with_report(cli_fuzz, dir, "fuzz", "--protocol", "quorum", "--seeds", "1..120", NULL),
        CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(JsonParser) p = parse_file(json);
    g_autoptr(GPtrArray) errors = schema_errors(json_parser_get_root(p));
    assert_int_equal(errors->len, 0);
    assert_non_null(report_json_object(first_run(p), "cluster"));
    g_autofree char *md = read_text(dir, "summary.md");
    assert_non_null(strstr(md, "### Dashboard"));
    assert_non_null(strstr(md, "| 120 | 120 | 0 |"));
    assert_non_null(strstr(md, "| exercised | name | times | heat |"));
    assert_non_null(strstr(md, "| fault kinds (faults fired) | `crash` |"));
    assert_non_null(strstr(md, "**never fired**"));
    assert_non_null(strstr(md, "**cluster sizes**"));
    assert_non_null(strstr(md, "**quorum settings**: N="));
    assert_non_null(strstr(md, "**file-system profiles**: ext4-ordered"));
    assert_non_null(strstr(md, "| ok | "));
    assert_null(strstr(md, "raft.elected")); /* another protocol's failpoints are left out */
    g_autofree char *html = read_text(dir, "index.html");
    assert_non_null(strstr(html, "<svg class=\"heat "));
    assert_non_null(strstr(html, "<g class=\"cell never\""));
    assert_non_null(strstr(html, "<svg class=\"plot cdf\""));
    assert_non_null(strstr(html, "<svg class=\"bars fs\""));
    assert_non_null(strstr(html, "seeds per second"));
    remove_dir(dir);
}

/* Any counter group in the coverage is drawn: a report whose coverage carries reachability
 * marks gets their heat map, with the marks never reached called out. */
static void test_dashboard_draws_any_counter_group(void **state)
{
    g_autofree char *dir = fresh_dir();
    assert_int_equal(cli_with_report(cli_run, dir, "run", SCENARIO, NULL), CLI_EXIT_PASS);
    g_autofree char *json = g_build_filename(dir, "report.json", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(ReportSet) set = report_set_load(json, &err);
    assert_non_null(set);
    ReportSuite *s = g_ptr_array_index(set->suites, 0);
    JsonObject *marks = json_object_new();
    json_object_set_int_member(marks, "coord.hint-stored", 7);
    json_object_set_int_member(marks, "replica.boot-torn-tail", 0);
    json_object_set_object_member(s->coverage, "marks", marks);
    assert_true(report_write_all(set, dir, &err));
    g_autofree char *md = read_text(dir, "summary.md");
    assert_non_null(strstr(md, "| reachability marks (times reached) | `coord.hint-stored` | 7 |"));
    assert_non_null(strstr(md, "(1 of 2 marks): `replica.boot-torn-tail`"));
    g_autofree char *html = read_text(dir, "index.html");
    assert_non_null(strstr(html, "data-group=\"marks\""));
    assert_non_null(strstr(html, "replica.boot-torn-tail: never fired"));
    remove_dir(dir);
}

int main(void)
{
    protocols_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_of_passing_run_validates_against_schema_and_xsd),
        cmocka_unit_test(test_report_of_violating_run_validates_and_carries_violations),
        cmocka_unit_test(test_expected_violations_are_reported_as_expected),
        cmocka_unit_test(test_schema_validator_rejects_broken_reports),
        cmocka_unit_test(test_report_json_round_trips_through_load),
        cmocka_unit_test(test_slice_holds_violating_op_and_disk_state_shows_lost_block),
        cmocka_unit_test(test_merge_orders_seeds_dedups_and_reapplies_detail_cap),
        cmocka_unit_test(test_partial_merge_of_a_shard_validates_and_round_trips),
        cmocka_unit_test(test_markup_in_names_is_escaped_in_html_and_junit),
        cmocka_unit_test(test_fuzz_report_details_failing_seeds_only),
        cmocka_unit_test(test_latency_histogram_buckets_and_quantiles),
        cmocka_unit_test(test_passing_campaign_report_is_a_dashboard),
        cmocka_unit_test(test_dashboard_draws_any_counter_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
