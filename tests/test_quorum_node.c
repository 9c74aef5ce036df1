/* tests/test_quorum_node.c — coordinator = node (model/quorum/quorum_node.c): the nodes
 * coordinate, forwarding a request to the first reachable node of its key's preference list;
 * a node cut off is routed past; under version vectors the coordinating node issues the dots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"
#include "sim/protocols.h"
#include "sim/runner.h"

#include <string.h>

static Scenario *load(const char *path)
{
    GError *error = NULL;
    Scenario *s = scenario_load_file(path, &error);
    if (error)
        fail_msg("%s", error->message);
    return s;
}

/* The scenario: no coordinator endpoints, requests forwarded and taken, forwards to the node cut
 * off time out and go elsewhere, and the oracles find nothing. */
static void test_node_coordinates_and_routes_past_a_node_cut_off(void **state)
{
    g_autoptr(Scenario) s = load("scenarios/coordinator-on-node.ini");
    RunOptions opt = {.keep_trace = TRUE};
    RunResult r;
    assert_true(runner_run(s, &opt, &r, NULL));
    assert_true(r.passed);
    assert_int_equal(r.verdict.kinds, 0);
    /* nodes, then the clients: no co1 */
    assert_int_equal(world_endpoint_count(r.world), s->config.nodes + s->config.clients);
    assert_true(r.stats.marks[QMARK_NODE_COORDINATES] > 0);
    assert_true(r.stats.marks[QMARK_NODE_FORWARD] > 0);
    assert_true(r.stats.marks[QMARK_NODE_FORWARDED_HERE] > 0);
    assert_true(r.stats.marks[QMARK_NODE_FORWARD_TIMEOUT] > 0);
    assert_true(r.stats.msgs_by_type[MSG_Q_FORWARD_ACK] > 0);
    run_result_clear(&r);
}

static const char vclock_scenario[] =
    "[scenario]\nname = node-vclock\nsummary = test\nprotocol = quorum\nseed = 4\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 3\nread_quorum = 1\n"
    "coordinator = node\nresolution = vclock\n"
    "[workload]\nclients = 2\n"
    "[op a]\nat = 0ms\nclient = c1\nkind = put\nkey = k\nvalue = 10\n"
    "[op b]\nat = 0ms\nclient = c2\nkind = put\nkey = k\nvalue = 30\n"
    "[op read]\nat = 300ms\nclient = c1\nkind = get\nkey = k\n"
    "[expect]\nviolations = none\nop.read.siblings = 2\n";

/* Version vectors: the two concurrent puts are coordinated by the key's first node, which
 * asks itself to issue their dots, and both are kept as siblings. */
static void test_node_vclock_coordinator_issues_its_own_dots(void **state)
{
    GError *error = NULL;
    g_autoptr(Scenario) s =
        scenario_load_data(vclock_scenario, strlen(vclock_scenario), "node.ini", &error);
    assert_non_null(s);
    RunOptions opt = {.keep_trace = TRUE};
    RunResult r;
    assert_true(runner_run(s, &opt, &r, &error));
    assert_true(r.passed);
    assert_true(r.stats.marks[QMARK_COORD_VV_ISSUE] >= 2);
    assert_true(r.stats.marks[QMARK_REPLICA_VV_ISSUE] >= 2);
    assert_int_equal(r.stats.client_reconciles, 1);
    run_result_clear(&r);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_coordinates_and_routes_past_a_node_cut_off),
        cmocka_unit_test(test_node_vclock_coordinator_issues_its_own_dots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
