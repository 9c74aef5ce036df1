/* tests/test_idem_table.c — idempotency-key maps: keys of many clients and named keys, removal
 * (which must keep every other key findable), keys far apart, and values that never move. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/idem_table.h"

typedef struct {
    uint32_t a;
    uint16_t b;
} Val;

static IdemKey gen(guint client, uint32_t seq)
{
    return ((IdemKey)(client + 1) << 32) | seq;
}

/* Generated keys of several clients and named keys (top bit set) map to their own values. */
static void test_idem_table_insert_lookup_remove(void **state)
{
    IdemTable t;
    idem_table_init(&t, sizeof(Val));
    for (guint c = 0; c < 3; c++)
        for (uint32_t s = 1; s <= 3000; s++)
            ((Val *)idem_table_insert(&t, gen(c, s)))->a = c * 100000 + s;
    IdemKey named = ((IdemKey)1 << 63) | 7;
    ((Val *)idem_table_insert(&t, named))->a = 42;
    assert_int_equal(idem_table_size(&t), 3 * 3000 + 1);
    for (guint c = 0; c < 3; c++)
        for (uint32_t s = 1; s <= 3000; s++)
            assert_int_equal(((Val *)idem_table_lookup(&t, gen(c, s)))->a, c * 100000 + s);
    assert_int_equal(((Val *)idem_table_lookup(&t, named))->a, 42);
    assert_null(idem_table_lookup(&t, gen(0, 0)));
    assert_null(idem_table_lookup(&t, gen(0, 3001)));
    assert_null(idem_table_lookup(&t, gen(5, 1)));
    assert_null(idem_table_lookup(&t, IDEM_NONE));
    ((Val *)idem_table_insert(&t, IDEM_NONE))->a = 9; /* a key like any other */
    assert_int_equal(((Val *)idem_table_lookup(&t, IDEM_NONE))->a, 9);
    idem_table_remove(&t, IDEM_NONE);
    /* Inserting a present key returns its value unchanged. */
    assert_int_equal(((Val *)idem_table_insert(&t, gen(1, 5)))->a, 100005);
    idem_table_remove(&t, gen(1, 5));
    idem_table_remove(&t, named);
    idem_table_remove(&t, gen(1, 5)); /* absent: nothing happens */
    assert_null(idem_table_lookup(&t, gen(1, 5)));
    assert_null(idem_table_lookup(&t, named));
    assert_int_equal(idem_table_size(&t), 3 * 3000 - 1);
    /* A removed key comes back zeroed. */
    assert_int_equal(((Val *)idem_table_insert(&t, gen(1, 5)))->a, 0);
    idem_table_clear(&t);
}

/* Keys far apart are found; a value's address survives any number of later inserts. */
static void test_idem_table_far_keys_and_stable_values(void **state)
{
    IdemTable t;
    idem_table_init(&t, sizeof(Val));
    Val *first = idem_table_insert(&t, gen(0, 1));
    first->a = 1;
    Val *far = idem_table_insert(&t, gen(0, 200000));
    far->a = 2;
    for (uint32_t s = 2; s < 200100; s++)
        if (s != 200000)
            ((Val *)idem_table_insert(&t, gen(0, s)))->a = s;
    assert_ptr_equal(idem_table_lookup(&t, gen(0, 1)), first);
    assert_int_equal(first->a, 1);
    assert_ptr_equal(idem_table_lookup(&t, gen(0, 200000)), far);
    assert_int_equal(far->a, 2);
    assert_int_equal(idem_table_size(&t), 200099);
    idem_table_remove(&t, gen(0, 200000));
    assert_null(idem_table_lookup(&t, gen(0, 200000)));
    idem_table_clear(&t);
}

/* Many clients' sparse keys, removed in an order that runs through the probe chains: every key
 * still present is found with its value, every removed one is gone, and the pool reuses the
 * removed values' slots (a table's memory follows its size, not the keys it ever held). */
static void test_idem_table_many_clients_removal_keeps_chains(void **state)
{
    IdemTable t;
    idem_table_init(&t, sizeof(Val));
    for (guint c = 0; c < 5000; c++)
        for (uint32_t s = 1; s <= 4; s++)
            ((Val *)idem_table_insert(&t, gen(c, s * 97)))->a = c * 10 + s;
    assert_int_equal(idem_table_size(&t), 20000);
    for (guint c = 0; c < 5000; c += 2)
        for (uint32_t s = 1; s <= 4; s++)
            idem_table_remove(&t, gen(c, s * 97));
    for (guint c = 0; c < 5000; c++)
        for (uint32_t s = 1; s <= 4; s++) {
            const Val *v = idem_table_lookup(&t, gen(c, s * 97));
            if (c % 2 == 0)
                assert_null(v);
            else
                assert_int_equal(v->a, c * 10 + s);
        }
    guint pool = t.pool.len;
    for (guint c = 0; c < 5000; c += 2)
        ((Val *)idem_table_insert(&t, gen(c, 1)))->a = 7;
    assert_int_equal(t.pool.len, pool); /* the freed slots again */
    assert_int_equal(idem_table_size(&t), 12500);
    idem_table_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idem_table_insert_lookup_remove),
        cmocka_unit_test(test_idem_table_far_keys_and_stable_values),
        cmocka_unit_test(test_idem_table_many_clients_removal_keeps_chains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
