/* tests/test_history.c — the recorded-history checker (reports/history/): its parsers, models and
 * search, on small hand-made histories whose verdict is known, both linearizable and not, and on
 * generated ones (tests/support_histgen.h) that are linearizable by construction.
 *
 * Every history is text in one of the three formats, checked as `durasim check-history` checks
 * a file (hc_file_check); a test that expects not-linearizable also checks which operation the
 * checker names as the first that cannot be placed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reports/history/check.h"
#include "tests/support_histgen.h"

#include <string.h>

static const HcCheckOptions default_opt = {.budget = {HC_DEFAULT_STATES, HC_DEFAULT_MEMORY_BYTES}};

/* Checks `text` with the model named `model` (NULL: inferred) and returns the verdict; *fail_line
 * (when given) takes the invocation line of the operation named as breaking the history. Bad
 * input fails the test with its message. */
static HcVerdict check_with(const char *text, const char *model, const HcCheckOptions *opt,
                            guint *fail_line)
{
    HcFile f;
    GError *err = NULL;
    const HcModel *m = model ? hc_model_find(model) : NULL;
    assert_true(model == NULL || m != NULL);
    gboolean ok = hc_file_check(&f, text, strlen(text), "t", HC_FORMAT_AUTO, m, opt, &err);
    if (!ok)
        fail_msg("unexpected bad input: %s", err->message);
    HcVerdict v = f.check.verdict;
    if (fail_line && v == HC_NOT_LINEARIZABLE) {
        const HcPart *p = &g_array_index(f.check.parts, HcPart, f.check.first_fail);
        *fail_line = hc_history_op(&f.history, p->fail_op)->call;
    }
    hc_file_clear(&f);
    return v;
}

static HcVerdict check(const char *text, const char *model, guint *fail_line)
{
    return check_with(text, model, &default_opt, fail_line);
}

/* The message of the bad-input error `text` gives (caller frees); fails the test if none. */
static char *bad_input(const char *text, HcFormat format, const char *model)
{
    HcFile f;
    GError *err = NULL;
    const HcModel *m = model ? hc_model_find(model) : NULL;
    gboolean ok = hc_file_check(&f, text, strlen(text), "h.edn", format, m, &default_opt, &err);
    hc_file_clear(&f);
    assert_false(ok);
    assert_non_null(err);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

#define INV(p, f, v)  "{:process " #p ", :type :invoke, :f :" f ", :value " v "}\n"
#define OK(p, f, v)   "{:process " #p ", :type :ok, :f :" f ", :value " v "}\n"
#define FAIL(p, f, v) "{:process " #p ", :type :fail, :f :" f ", :value " v "}\n"
#define KINV(p, f, k, v)                                                                           \
    "{:process " #p ", :type :invoke, :f :" f ", :key \"" k "\", :value " v "}\n"
#define KINFO(p, f, k, v)                                                                          \
    "{:process " #p ", :type :info, :f :" f ", :key \"" k "\", :value " v "}\n"
#define KOK(p, f, k, v) "{:process " #p ", :type :ok, :f :" f ", :key \"" k "\", :value " v "}\n"
#define INFO(p, f, v)   "{:process " #p ", :type :info, :f :" f ", :value " v "}\n"

static void test_register_sequential_reads_see_the_last_write(void **state)
{
    const char *good =
        INV(0, "write", "1") OK(0, "write", "1") INV(1, "read", "nil") OK(1, "read", "1")
            INV(0, "write", "2") OK(0, "write", "2") INV(1, "read", "nil") OK(1, "read", "2");
    assert_int_equal(check(good, "register", NULL), HC_LINEARIZABLE);
    guint line = 0;
    const char *stale = INV(0, "write", "1") OK(0, "write", "1") INV(0, "write", "2")
        OK(0, "write", "2") INV(1, "read", "nil") OK(1, "read", "1");
    assert_int_equal(check(stale, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 5); /* the stale read */
    const char *first = INV(1, "read", "nil") OK(1, "read", "nil");
    assert_int_equal(check(first, "register", NULL), HC_LINEARIZABLE);
}

static void test_register_concurrent_writes_take_either_order_but_one(void **state)
{
    /* Writes 1 and 2 overlap; reads after both may see either, but two later reads cannot see
     * 2 then 1. */
    const char *either = INV(0, "write", "1") INV(1, "write", "2") OK(0, "write", "1")
        OK(1, "write", "2") INV(2, "read", "nil") OK(2, "read", "1");
    assert_int_equal(check(either, "register", NULL), HC_LINEARIZABLE);
    guint line = 0;
    const char *flip =
        INV(0, "write", "1") INV(1, "write", "2") OK(0, "write", "1") OK(1, "write", "2")
            INV(2, "read", "nil") OK(2, "read", "2") INV(2, "read", "nil") OK(2, "read", "1");
    assert_int_equal(check(flip, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 7);
}

static void test_fail_means_it_did_not_happen(void **state)
{
    /* A :fail write never took effect: reading its value is a violation; reading nil is not. */
    guint line = 0;
    const char *seen =
        INV(0, "write", "1") FAIL(0, "write", "1") INV(1, "read", "nil") OK(1, "read", "1");
    assert_int_equal(check(seen, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 3);
    const char *unseen =
        INV(0, "write", "1") FAIL(0, "write", "1") INV(1, "read", "nil") OK(1, "read", "nil");
    assert_int_equal(check(unseen, "register", NULL), HC_LINEARIZABLE);
}

static void test_info_write_may_take_effect_late_or_never(void **state)
{
    /* An :info write may take effect any time after its invocation, even after later
     * operations completed, or never. */
    const char *late = INV(0, "write", "1") INFO(0, "write", "1") INV(1, "read", "nil")
        OK(1, "read", "nil") INV(1, "read", "nil") OK(1, "read", "1");
    assert_int_equal(check(late, "register", NULL), HC_LINEARIZABLE);
    const char *never =
        INV(0, "write", "1") INFO(0, "write", "1") INV(1, "read", "nil") OK(1, "read", "nil");
    assert_int_equal(check(never, "register", NULL), HC_LINEARIZABLE);
    /* Once it took effect it cannot be undone without another write. */
    guint line = 0;
    const char *undone = INV(0, "write", "1") INFO(0, "write", "1") INV(1, "read", "nil")
        OK(1, "read", "1") INV(1, "read", "nil") OK(1, "read", "nil");
    assert_int_equal(check(undone, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 5);
    /* Not before its invocation. */
    const char *early =
        INV(1, "read", "nil") OK(1, "read", "1") INV(0, "write", "1") INFO(0, "write", "1");
    assert_int_equal(check(early, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 1);
}

static void test_a_process_that_never_completes_is_info(void **state)
{
    const char *open = INV(0, "write", "1") INV(1, "read", "nil") OK(1, "read", "nil")
        INV(1, "read", "nil") OK(1, "read", "1");
    assert_int_equal(check(open, "register", NULL), HC_LINEARIZABLE);
    HcFile f;
    GError *err = NULL;
    assert_true(hc_file_check(&f, open, strlen(open), "t", HC_FORMAT_AUTO, &hc_model_register,
                              &default_opt, &err));
    assert_int_equal(f.history.open, 1);
    hc_file_clear(&f);
}

static void test_cas_on_a_missing_value_fails(void **state)
{
    /* A register never written holds nil: a cas from 1 cannot succeed, unless a write of 1 (or
     * an :info one) came first. */
    guint line = 0;
    const char *missing = INV(0, "cas", "[1 2]") OK(0, "cas", "[1 2]");
    assert_int_equal(check(missing, "cas-register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 1);
    const char *after_info = INV(1, "write", "1") INFO(1, "write", "1") INV(0, "cas", "[1 2]")
        OK(0, "cas", "[1 2]") INV(0, "read", "nil") OK(0, "read", "2");
    assert_int_equal(check(after_info, "cas-register", NULL), HC_LINEARIZABLE);
    /* A :fail cas changed nothing. */
    const char *failed = INV(1, "write", "1") OK(1, "write", "1") INV(0, "cas", "[1 2]")
        FAIL(0, "cas", "[1 2]") INV(0, "read", "nil") OK(0, "read", "2");
    assert_int_equal(check(failed, "cas-register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 5);
    /* An :info cas may or may not have swapped. */
    const char *maybe =
        INV(1, "write", "1") OK(1, "write", "1") INV(0, "cas", "[1 2]") INFO(0, "cas", "[1 2]")
            INV(2, "read", "nil") OK(2, "read", "1") INV(2, "read", "nil") OK(2, "read", "2");
    assert_int_equal(check(maybe, "cas-register", NULL), HC_LINEARIZABLE);
}

/* An :info write nothing observes is left out before the search; one that an :info cas compares
 * with is kept (the cas may have swapped only because the write happened). */
static void test_unobserved_info_writes_are_pruned_soundly(void **state)
{
    const char *text =
        INV(0, "write", "5") INFO(0, "write", "5") INV(1, "write", "6") INFO(1, "write", "6")
            INV(2, "cas", "[5 7]") INFO(2, "cas", "[5 7]") INV(3, "read", "nil") OK(3, "read", "7");
    HcFile f;
    GError *err = NULL;
    assert_true(hc_file_check(&f, text, strlen(text), "t", HC_FORMAT_AUTO, &hc_model_cas_register,
                              &default_opt, &err));
    assert_int_equal(f.check.verdict, HC_LINEARIZABLE);
    assert_int_equal(f.history.pruned, 1); /* the write of 6 */
    hc_file_clear(&f);
    const char *kv = KINV(0, "append", "k", "\"a\"") KINFO(0, "append", "k", "\"a\"")
        KINV(1, "append", "k", "\"b\"") KINFO(1, "append", "k", "\"b\"") KINV(2, "get", "k", "nil")
            KOK(2, "get", "k", "\"xb\"") KINV(2, "get", "k", "nil") KOK(2, "get", "k", "\"b\"");
    assert_true(
        hc_file_check(&f, kv, strlen(kv), "t", HC_FORMAT_AUTO, &hc_model_kv, &default_opt, &err));
    assert_int_equal(f.history.pruned, 1);                  /* "a" is in no string read */
    assert_int_equal(f.check.verdict, HC_NOT_LINEARIZABLE); /* "xb": x was never written */
    hc_file_clear(&f);
}

static void test_counter_reads_a_sum_of_some_adds(void **state)
{
    const char *ok = INV(0, "add", "1") INV(1, "add", "2") INV(2, "read", "nil") OK(2, "read", "2")
        OK(0, "add", "1") OK(1, "add", "2") INV(2, "read", "nil") OK(2, "read", "3");
    assert_int_equal(check(ok, "counter", NULL), HC_LINEARIZABLE);
    guint line = 0;
    const char *bad = INV(0, "add", "1") OK(0, "add", "1") INV(1, "add", "2") OK(1, "add", "2")
        INV(2, "read", "nil") OK(2, "read", "1");
    assert_int_equal(check(bad, "counter", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 5);
}

static void test_kv_concurrent_appends_in_either_order_per_key(void **state)
{
    const char *ab = KINV(0, "append", "x", "\"a\"") KINV(1, "append", "x", "\"b\"")
        KOK(0, "append", "x", "\"a\"") KOK(1, "append", "x", "\"b\"") KINV(2, "get", "x", "nil")
            KOK(2, "get", "x", "\"ba\"") KINV(2, "get", "y", "nil") KOK(2, "get", "y", "\"\"");
    assert_int_equal(check(ab, "kv", NULL), HC_LINEARIZABLE);
    guint line = 0;
    const char *twice = KINV(0, "append", "x", "\"a\"") KINV(1, "append", "x", "\"b\"")
        KOK(0, "append", "x", "\"a\"") KOK(1, "append", "x", "\"b\"") KINV(2, "get", "x", "nil")
            KOK(2, "get", "x", "\"aa\"");
    assert_int_equal(check(twice, "kv", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 5);
    /* Keys are separate objects: a put on y is not seen on x. */
    const char *keys = KINV(0, "put", "y", "\"v\"") KOK(0, "put", "y", "\"v\"")
        KINV(1, "get", "x", "nil") KOK(1, "get", "x", "\"v\"");
    assert_int_equal(check(keys, "kv", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 3);
}

static void test_durasim_kv_absent_is_not_zero(void **state)
{
    const char *ok = KINV(0, "get", "k", "nil") KOK(0, "get", "k", "nil") KINV(0, "add", "k", "5")
        KOK(0, "add", "k", "5") KINV(1, "get", "k", "nil") KOK(1, "get", "k", "5")
            KINV(1, "delete", "k", "nil") KOK(1, "delete", "k", "nil") KINV(1, "get", "k", "nil")
                KOK(1, "get", "k", "nil");
    assert_int_equal(check(ok, "durasim-kv", NULL), HC_LINEARIZABLE);
    const char *zero = KINV(0, "get", "k", "nil") KOK(0, "get", "k", "0");
    assert_int_equal(check(zero, "durasim-kv", NULL), HC_NOT_LINEARIZABLE);
}

static void test_jepsen_log_lines_and_nemesis(void **state)
{
    const char *log = "2017-01-01 INFO  jepsen.core - Running test\n"
                      "INFO  jepsen.util - 0\t:invoke\t:write\t3\n"
                      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
                      "INFO  jepsen.util - 0\t:ok\t:write\t3\n"
                      "INFO  jepsen.util - 1\t:invoke\t:cas\t[3 4]\n"
                      "INFO  jepsen.util - 1\t:info\t:cas\t[3 4]\t:timed-out\n"
                      "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
                      "INFO  jepsen.util - 2\t:ok\t:read\t4\n";
    assert_int_equal(check(log, "cas-register", NULL), HC_LINEARIZABLE);
    /* Inferred: read, write and cas are the cas-register's operations. */
    assert_int_equal(check(log, NULL, NULL), HC_LINEARIZABLE);
}

static void test_json_format(void **state)
{
    const char *json = "{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1}\n"
                       "{\"process\": 0, \"type\": \"ok\", \"f\": \"write\", \"value\": 1}\n"
                       "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"value\": null}\n"
                       "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"value\": 2}\n";
    guint line = 0;
    assert_int_equal(check(json, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 3);
}

/* Many concurrent :info writes make the search try many subsets: a small state budget gives
 * unknown, as does a memory budget too small for the memo; the default budget decides. */
static void test_budget_gives_unknown(void **state)
{
    GString *s = g_string_new(NULL);
    for (int p = 0; p < 12; p++)
        g_string_append_printf(s, "{:process %d, :type :invoke, :f :write, :value %d}\n", p, p);
    for (int p = 0; p < 12; p++)
        g_string_append_printf(s, "{:process %d, :type :info, :f :write, :value %d}\n", p, p);
    for (int i = 0; i < 12; i++)
        g_string_append_printf(s,
                               "{:process 100, :type :invoke, :f :read, :value nil}\n"
                               "{:process 100, :type :ok, :f :read, :value %d}\n",
                               i);
    g_string_append(s, "{:process 100, :type :invoke, :f :read, :value nil}\n"
                       "{:process 100, :type :ok, :f :read, :value 99}\n");
    HcCheckOptions few = {.budget = {50, HC_DEFAULT_MEMORY_BYTES}};
    assert_int_equal(check_with(s->str, "register", &few, NULL), HC_UNKNOWN);
    HcCheckOptions tiny = {.budget = {HC_DEFAULT_STATES, 1024}};
    assert_int_equal(check_with(s->str, "register", &tiny, NULL), HC_UNKNOWN);
    guint line = 0;
    assert_int_equal(check(s->str, "register", &line), HC_NOT_LINEARIZABLE);
    assert_int_equal(line, 12 + 12 + 2 * 12 + 1);
    g_string_free(s, TRUE);
}

static void test_bad_input_names_the_line(void **state)
{
    g_autofree char *malformed =
        bad_input(INV(0, "write", "1") "{:process 0, :type :ok\n", HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(malformed, "h.edn:2:"));
    g_autofree char *type = bad_input(INV(0, "write", "1") "{:process 0, :type :done, :f :write}\n",
                                      HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(type, "h.edn:2:"));
    g_autofree char *op = bad_input(INV(0, "write", "1") OK(0, "write", "1") INV(0, "append", "1")
                                        OK(0, "append", "1"),
                                    HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(op, "h.edn:3:"));
    g_autofree char *twice =
        bad_input(INV(0, "write", "1") INV(0, "write", "2"), HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(twice, "h.edn:2:"));
    g_autofree char *orphan = bad_input(OK(0, "write", "1"), HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(orphan, "h.edn:1:"));
    g_autofree char *unknown = bad_input("hello world\n", HC_FORMAT_AUTO, NULL);
    assert_non_null(strstr(unknown, "h.edn:1:"));
    g_autofree char *empty = bad_input("", HC_FORMAT_AUTO, NULL);
    assert_non_null(strstr(empty, "h.edn"));
    g_autofree char *kind =
        bad_input(INV(0, "cas", "5") OK(0, "cas", "5"), HC_FORMAT_AUTO, "cas-register");
    assert_non_null(strstr(kind, "h.edn:1:"));
    g_autofree char *json = bad_input("{\"process\": 0, \"type\": \"invoke\", \"f\": \"read\"\n",
                                      HC_FORMAT_JSON, "register");
    assert_non_null(strstr(json, "h.edn:1:"));
    g_autofree char *noproc = bad_input("{:type :invoke, :f :read}\n", HC_FORMAT_AUTO, "register");
    assert_non_null(strstr(noproc, "h.edn:1:"));
}

/* Histories of both kinds made linearizable by construction, with :info operations that take
 * effect late or never: linearizable; with one read corrupted: not. */
static void test_generated_histories(void **state)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        for (int kind = 0; kind < 2; kind++) {
            GenSpec spec = {.kind = kind ? GEN_CAS : GEN_KV,
                            .ops = kind ? 150 : 600,
                            .clients = kind ? 5 : 10,
                            .keys = 4,
                            .info_pct = kind ? 10 : 1,
                            .corrupt = -1,
                            .seed = seed};
            const char *model = kind ? "cas-register" : "kv";
            gsize len;
            guint reads = 0;
            char *text = gen_history(&spec, &len, &reads);
            assert_int_equal(check(text, model, NULL), HC_LINEARIZABLE);
            g_free(text);
            spec.corrupt = (int)(seed * 7 % MAX(reads, 1));
            text = gen_history(&spec, &len, NULL);
            assert_int_equal(check(text, model, NULL), HC_NOT_LINEARIZABLE);
            g_free(text);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_sequential_reads_see_the_last_write),
        cmocka_unit_test(test_register_concurrent_writes_take_either_order_but_one),
        cmocka_unit_test(test_fail_means_it_did_not_happen),
        cmocka_unit_test(test_info_write_may_take_effect_late_or_never),
        cmocka_unit_test(test_a_process_that_never_completes_is_info),
        cmocka_unit_test(test_cas_on_a_missing_value_fails),
        cmocka_unit_test(test_unobserved_info_writes_are_pruned_soundly),
        cmocka_unit_test(test_counter_reads_a_sum_of_some_adds),
        cmocka_unit_test(test_kv_concurrent_appends_in_either_order_per_key),
        cmocka_unit_test(test_durasim_kv_absent_is_not_zero),
        cmocka_unit_test(test_jepsen_log_lines_and_nemesis),
        cmocka_unit_test(test_json_format),
        cmocka_unit_test(test_budget_gives_unknown),
        cmocka_unit_test(test_bad_input_names_the_line),
        cmocka_unit_test(test_generated_histories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
