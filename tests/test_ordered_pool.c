/* tests/test_ordered_pool.c — the ordered pool: results come back in item order whatever the
 * thread count and however long each item takes; a stop skips what has not started; every
 * result is cleared once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/ordered_pool.h"

typedef struct {
    uint64_t item;
    uint64_t square;
    gboolean ran;
} Out;

typedef struct {
    uint64_t next;     /* the item take expects next */
    uint64_t stop_at;  /* take returns FALSE at this item (G_MAXUINT64: never) */
    gint ran, cleared; /* counted across threads */
} Ctx;

static void work(uint64_t item, void *result, void *ctx)
{
    Out *o = result;
    /* Uneven work, so that later items often finish first. */
    volatile uint64_t spin = 0;
    for (uint64_t i = 0; i < (item % 7) * 20000; i++)
        spin += i;
    o->item = item;
    o->square = item * item;
    o->ran = TRUE;
    g_atomic_int_inc(&((Ctx *)ctx)->ran);
}

static gboolean take(uint64_t item, void *result, void *ctx)
{
    Ctx *c = ctx;
    const Out *o = result;
    assert_int_equal(item, c->next);
    assert_true(o->ran);
    assert_int_equal(o->item, item);
    assert_int_equal(o->square, item * item);
    c->next++;
    return item != c->stop_at;
}

static Ctx *clear_ctx;

static void clear(void *result)
{
    g_atomic_int_inc(&clear_ctx->cleared);
}

static uint64_t run(Ctx *c, guint jobs, uint64_t count)
{
    clear_ctx = c;
    OrderedPoolSpec spec = {.jobs = jobs,
                            .result_size = sizeof(Out),
                            .work = work,
                            .take = take,
                            .clear = clear,
                            .ctx = c};
    return ordered_pool_run(&spec, count);
}

/* Every item is taken once, in order, with 1, 2 and 8 threads, across several windows. */
static void test_ordered_pool_takes_in_order(void **state)
{
    guint jobs[] = {1, 2, 8};
    for (guint j = 0; j < G_N_ELEMENTS(jobs); j++) {
        Ctx c = {.stop_at = G_MAXUINT64};
        assert_int_equal(run(&c, jobs[j], 1000), 1000);
        assert_int_equal(c.next, 1000);
        assert_int_equal(c.ran, 1000);
        assert_int_equal(c.cleared, 1000);
    }
}

/* A stop at item 10: nothing after it is taken, what was in flight is still cleared, and no
 * more than a window of items ever ran. */
static void test_ordered_pool_stop_skips_the_rest(void **state)
{
    Ctx c = {.stop_at = 10};
    assert_int_equal(run(&c, 2, G_MAXUINT64), 11);
    assert_int_equal(c.next, 11);
    assert_true(c.ran >= 11 && c.ran <= 11 + 2 * 16);
    assert_true(c.cleared >= c.ran);
}

static void test_ordered_pool_no_items(void **state)
{
    Ctx c = {.stop_at = G_MAXUINT64};
    assert_int_equal(run(&c, 4, 0), 0);
    assert_int_equal(c.ran, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordered_pool_takes_in_order),
        cmocka_unit_test(test_ordered_pool_stop_skips_the_rest),
        cmocka_unit_test(test_ordered_pool_no_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
