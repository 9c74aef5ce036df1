/* tests/test_lin.c — the per-key linearizability search (reports/lin.h) on hand-built histories.
 *
 * Each history is one key's operations with invocation and completion times in nanoseconds; an
 * operation whose completion is SIM_TIME_NEVER is indeterminate (it may or may not have taken
 * effect). Every test that expects a violation also checks which operation the report names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "reports/lin.h"

#include <string.h>

#define NEVER SIM_TIME_NEVER

static LinOp put(uint32_t id, SimTime invoke, SimTime complete, Value value)
{
    return (LinOp){.id = id,
                   .kind = OP_PUT,
                   .invoke = invoke,
                   .complete = complete,
                   .value = value,
                   .idem = 1000 + id};
}

static LinOp add(uint32_t id, SimTime invoke, SimTime complete, Value value, IdemKey idem)
{
    return (LinOp){.id = id,
                   .kind = OP_ADD,
                   .invoke = invoke,
                   .complete = complete,
                   .value = value,
                   .idem = idem};
}

static LinOp del(uint32_t id, SimTime invoke, SimTime complete)
{
    return (LinOp){
        .id = id, .kind = OP_DELETE, .invoke = invoke, .complete = complete, .idem = 1000 + id};
}

/* A read that found `result`. */
static LinOp get(uint32_t id, SimTime invoke, SimTime complete, Value result)
{
    return (LinOp){.id = id,
                   .kind = OP_GET,
                   .present = 1,
                   .invoke = invoke,
                   .complete = complete,
                   .result = result};
}

/* A read that found no value. */
static LinOp get_absent(uint32_t id, SimTime invoke, SimTime complete)
{
    return (LinOp){.id = id, .kind = OP_GET, .invoke = invoke, .complete = complete};
}

static LinResult check(const LinOp *ops, guint n, LinReport *rep)
{
    return lin_check_key(ops, n, 0, rep);
}

/* Asserts a violation whose report names operation `id`. */
static void assert_violation_names(const LinOp *ops, guint n, uint32_t id)
{
    LinReport rep;
    assert_int_equal(check(ops, n, &rep), LIN_VIOLATION);
    assert_int_equal(rep.failed_op, id);
}

static void assert_ok(const LinOp *ops, guint n)
{
    LinReport rep;
    assert_int_equal(check(ops, n, &rep), LIN_OK);
    assert_int_equal(rep.failed_op, UINT32_MAX);
}

/* An empty history, and a read of a key never written that finds nothing, are linearizable. */
static void test_lin_empty_history_and_absent_first_read_pass(void **state)
{
    (void)state;
    LinReport rep;
    assert_int_equal(lin_check_key(NULL, 0, 0, &rep), LIN_OK);
    LinOp ops[] = {get_absent(1, 0, 10)};
    assert_ok(ops, 1);
    LinOp seen[] = {get(1, 0, 10, 0)}; /* a present 0 is not absence */
    assert_violation_names(seen, 1, 1);
}

/* Sequential puts and reads pass when each read returns the latest put, in any input order. */
static void test_lin_sequential_history_passes_in_any_input_order(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 5), get(2, 20, 30, 5), put(3, 40, 50, 7), get(4, 60, 70, 7)};
    assert_ok(ops, 4);
    LinOp shuffled[] = {ops[3], ops[1], ops[2], ops[0]};
    assert_ok(shuffled, 4);
}

/* A sequential read that returns an overwritten value fails, and the report names that read. */
static void test_lin_sequential_read_of_overwritten_value_fails(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 5), get(2, 20, 30, 5), put(3, 40, 50, 7), get(4, 60, 70, 5)};
    assert_violation_names(ops, 4, 4);
    LinOp shuffled[] = {ops[2], ops[3], ops[0], ops[1]};
    assert_violation_names(shuffled, 4, 4);
}

/* Two overlapping puts may take effect in either order, so a later read may see either value. */
static void test_lin_overlapping_puts_allow_either_order(void **state)
{
    (void)state;
    LinOp first[] = {put(1, 0, 10, 1), put(2, 5, 15, 2), get(3, 20, 30, 1)};
    assert_ok(first, 3);
    LinOp second[] = {put(1, 0, 10, 1), put(2, 5, 15, 2), get(3, 20, 30, 2)};
    assert_ok(second, 3);
    LinOp neither[] = {put(1, 0, 10, 1), put(2, 5, 15, 2), get(3, 20, 30, 3)};
    assert_violation_names(neither, 3, 3);
}

/* Reads during overlapping puts fix their order: having seen 2 then 1, a later read must see 1. */
static void test_lin_reads_during_overlap_fix_the_order_for_later_reads(void **state)
{
    (void)state;
    /* put 2 lands first (seen by the read at [6, 8]), then put 1 (seen at [9, 12]). */
    LinOp ok[] = {put(1, 0, 10, 1), put(2, 5, 15, 2), get(3, 6, 8, 2), get(4, 9, 12, 1),
                  get(5, 20, 30, 1)};
    assert_ok(ok, 5);
    LinOp bad[] = {put(1, 0, 10, 1), put(2, 5, 15, 2), get(3, 6, 8, 2), get(4, 9, 12, 1),
                   get(5, 20, 30, 2)};
    assert_violation_names(bad, 5, 5);
}

/* Two overlapping reads may see the old and the new value of a put they overlap, in that order
 * of linearization, but not a new value followed (in real time) by the old one. */
static void test_lin_read_cannot_go_back_after_a_read_saw_the_new_value(void **state)
{
    (void)state;
    LinOp ok[] = {put(1, 0, 10, 1), put(2, 20, 60, 2), get(3, 25, 35, 1), get(4, 30, 50, 2)};
    assert_ok(ok, 4);
    LinOp back[] = {put(1, 0, 10, 1), put(2, 20, 60, 2), get(3, 25, 35, 2), get(4, 40, 50, 1)};
    assert_violation_names(back, 4, 4);
}

/* A read that starts after a write completed and returns the value before it is stale: fail. */
static void test_lin_stale_read_after_completed_write_fails(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 1), put(2, 20, 30, 2), get(3, 40, 50, 1)};
    assert_violation_names(ops, 3, 3);
    /* The same read overlapping the second put is fine. */
    LinOp overlap[] = {put(1, 0, 10, 1), put(2, 20, 30, 2), get(3, 25, 50, 1)};
    assert_ok(overlap, 3);
}

/* A read that returns a value no write ever wrote fails, naming the read. */
static void test_lin_read_of_value_never_written_fails(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 1), put(2, 5, 30, 2), get(3, 15, 20, 99)};
    assert_violation_names(ops, 3, 3);
}

/* Operations that touch at one nanosecond count as overlapping (the lenient choice). */
static void test_lin_operations_touching_at_one_instant_may_overlap(void **state)
{
    (void)state;
    LinOp before[] = {put(1, 0, 10, 1), get_absent(2, 10, 20)};
    assert_ok(before, 2);
    LinOp after[] = {put(1, 0, 10, 1), get_absent(2, 11, 20)};
    assert_violation_names(after, 2, 2);
}

/* An indeterminate write may have taken effect or not: a later read may see either value. */
static void test_lin_indeterminate_write_may_or_may_not_take_effect(void **state)
{
    (void)state;
    LinOp took[] = {put(1, 0, 10, 1), put(2, 20, NEVER, 2), get(3, 30, 40, 2)};
    assert_ok(took, 3);
    LinOp did_not[] = {put(1, 0, 10, 1), put(2, 20, NEVER, 2), get(3, 30, 40, 1)};
    assert_ok(did_not, 3);
    /* It may even take effect long after the client gave up. */
    LinOp late[] = {put(1, 0, 10, 1), put(2, 20, NEVER, 2), get(3, 30, 40, 1), get(4, 90, 95, 2)};
    assert_ok(late, 4);
}

/* Once an indeterminate write was seen, it has happened: a later read cannot miss it. */
static void test_lin_indeterminate_write_seen_once_stays_applied(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 1), put(2, 20, NEVER, 2), get(3, 30, 40, 2), get(4, 50, 60, 1)};
    assert_violation_names(ops, 4, 4);
}

/* An indeterminate write seen by a read that completed before its invocation fails. */
static void test_lin_indeterminate_write_seen_before_its_invocation_fails(void **state)
{
    (void)state;
    LinOp ops[] = {put(1, 0, 10, 1), get(2, 12, 18, 2), put(3, 20, NEVER, 2)};
    assert_violation_names(ops, 3, 2);
    /* The same read overlapping the invocation is fine. */
    LinOp overlap[] = {put(1, 0, 10, 1), get(2, 12, 25, 2), put(3, 20, NEVER, 2)};
    assert_ok(overlap, 3);
}

/* Two adds sharing an idempotency key (a retry) take effect at most once. */
static void test_lin_add_retried_with_same_key_takes_effect_once(void **state)
{
    (void)state;
    LinOp once[] = {add(1, 0, 10, 5, 77), add(2, 20, 30, 5, 77), get(3, 40, 50, 5)};
    assert_ok(once, 3);
    LinOp twice[] = {add(1, 0, 10, 5, 77), add(2, 20, 30, 5, 77), get(3, 40, 50, 10)};
    assert_violation_names(twice, 3, 3);
    /* Two deposits under different keys are two deposits. */
    LinOp distinct[] = {add(1, 0, 10, 5, 77), add(2, 20, 30, 5, 78), get(3, 40, 50, 10)};
    assert_ok(distinct, 3);
    LinOp lost[] = {add(1, 0, 10, 5, 77), add(2, 20, 30, 5, 78), get(3, 40, 50, 5)};
    assert_violation_names(lost, 3, 3);
}

/* An indeterminate first attempt and its acknowledged retry still make one deposit. */
static void test_lin_indeterminate_attempt_and_acked_retry_are_one_deposit(void **state)
{
    (void)state;
    LinOp ok[] = {put(1, 0, 5, 100), add(2, 10, NEVER, 5, 77), add(3, 30, 40, 5, 77),
                  get(4, 50, 60, 105)};
    assert_ok(ok, 4);
    LinOp doubled[] = {put(1, 0, 5, 100), add(2, 10, NEVER, 5, 77), add(3, 30, 40, 5, 77),
                       get(4, 50, 60, 110)};
    assert_violation_names(doubled, 4, 4);
}

/* With more shared idempotency keys than the search can track, a retried history is never
 * called a violation falsely, nor a double application accepted. */
static void test_lin_many_shared_keys_never_give_a_false_violation(void **state)
{
    (void)state;
    enum { PAIRS = 80 };
    LinOp ops[2 * PAIRS + 1];
    for (guint i = 0; i < PAIRS; i++) {
        SimTime t = (SimTime)i * 100;
        ops[2 * i] = add(2 * i, t, t + 10, 1, 500 + i);
        ops[2 * i + 1] = add(2 * i + 1, t + 20, t + 30, 1, 500 + i);
    }
    ops[2 * PAIRS] = get(2 * PAIRS, PAIRS * 100, PAIRS * 100 + 10, PAIRS);
    LinReport rep;
    LinResult r = check(ops, 2 * PAIRS + 1, &rep);
    /* Either the right answer, or an honest "cannot tell" — never a false violation. */
    assert_int_not_equal(r, LIN_VIOLATION);
    ops[2 * PAIRS].result = 2 * PAIRS; /* every retry applied again */
    assert_int_not_equal(check(ops, 2 * PAIRS + 1, &rep), LIN_OK);
}

/* Deletes make the key absent; an absent read after a completed delete passes, a present one
 * fails, and a read overlapping the delete may see either. */
static void test_lin_delete_and_absent_reads(void **state)
{
    (void)state;
    LinOp gone[] = {put(1, 0, 10, 1), del(2, 20, 30), get_absent(3, 40, 50)};
    assert_ok(gone, 3);
    LinOp still[] = {put(1, 0, 10, 1), del(2, 20, 30), get(3, 40, 50, 1)};
    assert_violation_names(still, 3, 3);
    LinOp during_old[] = {put(1, 0, 10, 1), del(2, 20, 30), get(3, 25, 35, 1)};
    assert_ok(during_old, 3);
    LinOp during_new[] = {put(1, 0, 10, 1), del(2, 20, 30), get_absent(3, 25, 35)};
    assert_ok(during_new, 3);
    /* An absent read before anything was deleted fails. */
    LinOp early[] = {put(1, 0, 10, 1), get_absent(2, 12, 18), del(3, 20, 30)};
    assert_violation_names(early, 3, 2);
    /* An add after a delete starts again from nothing. */
    LinOp again[] = {put(1, 0, 10, 1), del(2, 20, 30), add(3, 40, 50, 4, 9), get(4, 60, 70, 4)};
    assert_ok(again, 4);
}

/* Many concurrent indeterminate adds and a read nobody could have produced: with a small budget
 * the answer is LIN_UNKNOWN (promptly, not a hang and not a pass); with the default budget the
 * search finishes and finds the violation. */
static void test_lin_budget_gives_unknown_not_a_silent_pass(void **state)
{
    (void)state;
    enum { N = 16 };
    LinOp ops[N + 1];
    for (guint i = 0; i < N; i++)
        ops[i] = add(i, 0, NEVER, (Value)1 << i, 100 + i); /* every subset sums differently */
    ops[N] = get(N, 10, 20, -1);                           /* no subset sums to -1 */
    LinReport rep;
    assert_int_equal(lin_check_key(ops, N + 1, 1000, &rep), LIN_UNKNOWN);
    assert_true(rep.states > 1000);
    assert_true(rep.states <= 1001);
    assert_int_equal(lin_check_key(ops, N + 1, 0, &rep), LIN_VIOLATION);
    assert_int_equal(rep.failed_op, N);
    assert_true(rep.states > 1000);
    /* The same shape with a read some subset explains passes within the default budget. */
    ops[N].result = (1 << 3) | (1 << 9);
    assert_int_equal(lin_check_key(ops, N + 1, 0, &rep), LIN_OK);
}

/* On a violation the report names the operation no order can reach, and how far it got. */
static void test_lin_report_names_the_unexplained_operation(void **state)
{
    (void)state;
    /* Ids are not indexes: the report speaks in history ids. */
    LinOp ops[] = {put(40, 0, 10, 1),   get(41, 20, 30, 1), put(42, 40, 50, 2),
                   get(43, 60, 70, 2),  put(44, 80, 90, 3), get(45, 100, 110, 2),
                   get(46, 120, 130, 3)};
    LinReport rep;
    assert_int_equal(check(ops, G_N_ELEMENTS(ops), &rep), LIN_VIOLATION);
    assert_int_equal(rep.failed_op, 45);
    assert_int_equal(rep.max_linearized, 5); /* everything up to the third put */
    assert_true(rep.states >= 5);
    /* A report pointer is optional. */
    assert_int_equal(lin_check_key(ops, G_N_ELEMENTS(ops), 0, NULL), LIN_VIOLATION);
    assert_string_equal(lin_result_name(LIN_VIOLATION), "violation");
    assert_string_equal(lin_result_name(LIN_UNKNOWN), "unknown");
    assert_string_equal(lin_result_name(LIN_OK), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lin_empty_history_and_absent_first_read_pass),
        cmocka_unit_test(test_lin_sequential_history_passes_in_any_input_order),
        cmocka_unit_test(test_lin_sequential_read_of_overwritten_value_fails),
        cmocka_unit_test(test_lin_overlapping_puts_allow_either_order),
        cmocka_unit_test(test_lin_reads_during_overlap_fix_the_order_for_later_reads),
        cmocka_unit_test(test_lin_read_cannot_go_back_after_a_read_saw_the_new_value),
        cmocka_unit_test(test_lin_stale_read_after_completed_write_fails),
        cmocka_unit_test(test_lin_read_of_value_never_written_fails),
        cmocka_unit_test(test_lin_operations_touching_at_one_instant_may_overlap),
        cmocka_unit_test(test_lin_indeterminate_write_may_or_may_not_take_effect),
        cmocka_unit_test(test_lin_indeterminate_write_seen_once_stays_applied),
        cmocka_unit_test(test_lin_indeterminate_write_seen_before_its_invocation_fails),
        cmocka_unit_test(test_lin_add_retried_with_same_key_takes_effect_once),
        cmocka_unit_test(test_lin_indeterminate_attempt_and_acked_retry_are_one_deposit),
        cmocka_unit_test(test_lin_many_shared_keys_never_give_a_false_violation),
        cmocka_unit_test(test_lin_delete_and_absent_reads),
        cmocka_unit_test(test_lin_budget_gives_unknown_not_a_silent_pass),
        cmocka_unit_test(test_lin_report_names_the_unexplained_operation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
