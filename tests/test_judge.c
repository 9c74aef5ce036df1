/* tests/test_judge.c — the within-model judgement of what fired (faults/runner.c fault_judge),
 * on whole runs: a crash that leaves a node an empty disk is data loss whichever kind of crash it
 * was, and one after the node wrote is not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

static int setup(void **state)
{
    protocols_install();
    return 0;
}

/* A raft cluster of three whose n1 and n2 crash (process or power) at `at`, back 100ms later. */
static Scenario *two_crashes(const char *mode, const char *at)
{
    g_autofree char *text =
        g_strdup_printf("[scenario]\nname=t\nsummary=s\nprotocol=raft\nseed=3\n"
                        "[workload]\nclients=1\nops=10\n"
                        "[fault a]\nat=%s\nkind=crash\nnode=n1\nmode=%s\nrestart_after=100ms\n"
                        "[fault b]\nat=%s\nkind=crash\nnode=n2\nmode=%s\nrestart_after=100ms\n",
                        at, mode, at, mode);
    g_autoptr(GError) err = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "test", &err);
    assert_non_null(s);
    return s;
}

static void judge(const char *mode, const char *at, gboolean within)
{
    g_autoptr(Scenario) s = two_crashes(mode, at);
    RunOptions opt = {0};
    RunResult r;
    assert_true(runner_run(s, &opt, &r, NULL));
    if (r.judgement.within != within)
        fail_msg("crashes (%s) at %s: judged %s (%s)", mode, at,
                 r.judgement.within ? "within" : "beyond",
                 r.judgement.reason ? r.judgement.reason : "");
    if (!within)
        assert_non_null(strstr(r.judgement.reason, "2 nodes lost durable data"));
    run_result_clear(&r);
}

/* Two servers of three that crash before anything reached their disks wake to empty disks, as
 * after a lost disk: beyond what raft survives, whether the crash cut the power or only the
 * process (which keeps a page cache that holds nothing yet). */
static void test_judge_crash_before_any_write_is_data_loss_in_either_mode(void **state)
{
    judge("power", "0ms", FALSE);
    judge("process", "0ms", FALSE);
}

/* Crashed after they wrote and synced, the same two keep their data: within the model. */
static void test_judge_crash_after_writes_keeps_the_data(void **state)
{
    judge("power", "400ms", TRUE);
    judge("process", "400ms", TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_crash_before_any_write_is_data_loss_in_either_mode),
        cmocka_unit_test(test_judge_crash_after_writes_keeps_the_data),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
