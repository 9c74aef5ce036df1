/* tests/test_chunks.c — chunked arrays: indexing across chunk boundaries, zeroed growth after a
 * shrink, stable storage, clearing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/engine/chunks.h"

typedef struct {
    uint64_t a;
    uint32_t b;
    uint8_t c;
} Elem;

/* Every element keeps its value across chunk 0's growth and the later chunks. */
static void test_chunks_push_and_index_across_chunks(void **state)
{
    Chunks a;
    chunks_init(&a, sizeof(Elem));
    guint n = 5 * CHUNKS_PER + 17;
    for (guint i = 0; i < n; i++) {
        Elem *e = chunks_push(&a);
        assert_int_equal(e->a, 0);
        assert_int_equal(e->b, 0);
        e->a = (uint64_t)i * 7919;
        e->b = i;
        e->c = (uint8_t)i;
    }
    assert_int_equal(a.len, n);
    for (guint i = 0; i < n; i++) {
        const Elem *e = chunks_at(&a, i);
        assert_int_equal(e->a, (uint64_t)i * 7919);
        assert_int_equal(e->b, i);
        assert_int_equal(e->c, (uint8_t)i);
    }
    /* Consecutive elements inside one chunk are adjacent; chunk 1 starts a new buffer. */
    assert_ptr_equal((Elem *)chunks_at(&a, CHUNKS_PER + 1), (Elem *)chunks_at(&a, CHUNKS_PER) + 1);
    gsize bytes = chunks_bytes(&a);
    assert_true(bytes >= (gsize)n * sizeof(Elem));
    assert_true(bytes <= (gsize)(n + CHUNKS_PER) * sizeof(Elem) + 64 * sizeof(void *));
    chunks_clear(&a);
    assert_int_equal(a.len, 0);
    assert_int_equal(chunks_bytes(&a), 0);
}

/* Shrinking keeps the storage; growing again shows zeros, not the old contents. */
static void test_chunks_regrow_is_zeroed(void **state)
{
    Chunks a;
    chunks_init(&a, sizeof(uint32_t));
    chunks_set_size(&a, 3000);
    for (guint i = 0; i < 3000; i++)
        chunks_index(&a, uint32_t, i) = i + 1;
    gsize bytes = chunks_bytes(&a);
    chunks_set_size(&a, 10);
    assert_int_equal(chunks_bytes(&a), bytes);
    chunks_set_size(&a, 2500);
    for (guint i = 0; i < 10; i++)
        assert_int_equal(chunks_index(&a, uint32_t, i), i + 1);
    for (guint i = 10; i < 2500; i++)
        assert_int_equal(chunks_index(&a, uint32_t, i), 0);
    chunks_clear(&a);
}

/* Chunk 0 grows by doubling up to exactly one chunk, whatever sizes it is asked for. */
static void test_chunks_first_chunk_never_overshoots(void **state)
{
    Chunks a;
    chunks_init(&a, sizeof(uint64_t));
    chunks_set_size(&a, 100);
    for (guint i = 100; i < 3 * CHUNKS_PER; i++)
        chunks_push(&a);
    assert_int_equal(a.first_cap, CHUNKS_PER);
    assert_int_equal(chunks_bytes(&a),
                     3 * CHUNKS_PER * sizeof(uint64_t) + a.chunks_cap * sizeof(void *));
    chunks_clear(&a);
}

/* A first size past one chunk allocates the chunks it needs at once; clearing twice is safe. */
static void test_chunks_large_first_size(void **state)
{
    Chunks a;
    chunks_init(&a, 3);
    chunks_set_size(&a, 3 * CHUNKS_PER);
    assert_int_equal(a.len, 3 * CHUNKS_PER);
    uint8_t *last = chunks_at(&a, 3 * CHUNKS_PER - 1);
    assert_int_equal(last[0] | last[1] | last[2], 0);
    last[2] = 9;
    assert_int_equal(((uint8_t *)chunks_at(&a, 3 * CHUNKS_PER - 1))[2], 9);
    chunks_clear(&a);
    chunks_clear(&a);
    assert_non_null(chunks_push(&a));
    assert_int_equal(a.len, 1);
    chunks_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_push_and_index_across_chunks),
        cmocka_unit_test(test_chunks_regrow_is_zeroed),
        cmocka_unit_test(test_chunks_large_first_size),
        cmocka_unit_test(test_chunks_first_chunk_never_overshoots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
