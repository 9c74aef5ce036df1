/* tests/test_causal.c — the causal judgements (reports/causal_check.c) on hand-made histories:
 * lost updates (counted under last-writer-wins, violations for a multi-value store), the
 * siblings a get returns, and resurrections, each with a close variant that must pass.
 *
 * The fixture is a client history written by hand, a write ledger with the versions and durable
 * copies the protocol's oracle module would have recorded, and a stand-in oracle module whose
 * answers the test sets: which writes are still readable at the end (`accounted`), and whether
 * the store is multi-value. Nothing of the simulator runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "reports/causal_check.h"
#include "reports/ledger.h"

#include <string.h>

#define MS SIM_MS

typedef struct {
    WorldConfig cfg;
    History history;
    OracleView view;
    LedgerBook ledger;
    gboolean multi;
    GHashTable *live; /* IdemKey set: readable at the end */
    CheckEnd end;
    Verdict v;
} Fix;

static guint v_key_count(void *ctx)
{
    return 2;
}
static const char *v_key_name(void *ctx, KeyId k)
{
    return k == 0 ? "k0" : "_probe";
}
static gboolean v_key_lookup(void *ctx, const char *name, KeyId *out)
{
    if (strcmp(name, "_probe") != 0)
        return FALSE;
    *out = 1;
    return TRUE;
}
static SimTime v_now(void *ctx)
{
    return 10 * SIM_SEC;
}

static gboolean m_lost(void *st, const Ledger *l, const NodeSet *holders)
{
    return FALSE;
}
static gboolean m_multi(void *st)
{
    return ((Fix *)st)->multi;
}
static gboolean m_accounted(void *st, const Ledger *l)
{
    return g_hash_table_contains(((Fix *)st)->live, &l->idem);
}

static const OracleModule module = {
    .name = "test",
    .lost = m_lost,
    .causal = TRUE,
    .multi_value = m_multi,
    .accounted = m_accounted,
};

static int fix_setup(void **state)
{
    Fix *f = g_new0(Fix, 1);
    world_config_init(&f->cfg, &quorum_protocol);
    history_init(&f->history);
    f->view = (OracleView){.cfg = &f->cfg,
                           .history = &f->history,
                           .ctx = f,
                           .now = v_now,
                           .key_count = v_key_count,
                           .key_name = v_key_name,
                           .key_lookup = v_key_lookup};
    ledger_init(&f->ledger, &f->view, 3);
    f->live = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    f->end = (CheckEnd){.linearizable = TRUE, .within_model = TRUE, .healed = TRUE};
    verdict_init(&f->v);
    *state = f;
    return 0;
}

static int fix_teardown(void **state)
{
    Fix *f = *state;
    verdict_clear(&f->v);
    g_hash_table_unref(f->live);
    ledger_clear(&f->ledger);
    history_clear(&f->history);
    world_config_clear(&f->cfg);
    g_free(f);
    return 0;
}

/* A write by client `client` from `t0` to `t1` (ms), acked or not, carrying the context of
 * operation `after` (UINT32_MAX: none); its ledger entry has version ts = t0 and a durable copy.
 * Returns its id. */
static uint32_t write_op(Fix *f, OpKind kind, guint client, Value value, SimTime t0, SimTime t1,
                         gboolean acked, uint32_t after)
{
    HistOp *op = history_add(&f->history);
    uint32_t id = op->id;
    op->kind = (uint8_t)kind;
    op->client = (EndpointId)(10 + client);
    op->key = 0;
    op->value = value;
    op->idem = ((IdemKey)(client + 1) << 32) | (id + 1);
    op->invoke = t0 * MS;
    op->complete = t1 * MS;
    op->outcome = acked ? OUTCOME_OK : OUTCOME_INDETERMINATE;
    op->ctx_op = after;
    Ledger *l = ledger_get(&f->ledger, op->idem);
    l->key = 0;
    l->kind = (uint8_t)kind;
    l->version = (Version){.ts = t0 * MS, .client = (uint16_t)client, .seq = id};
    l->first_op = id;
    ledger_copy_changed(&f->ledger, l, 0, +1, DISK_CHANGE_SYNC);
    if (acked) {
        l->acked = 1;
        l->acked_op = id;
        l->acked_at = t1 * MS;
    }
    return id;
}

/* A get from t0 to t1 (ms) that returned the given writes (n of them). */
static uint32_t get_op(Fix *f, guint client, SimTime t0, SimTime t1, HistOpFlags flags,
                       const uint32_t *writes, guint n)
{
    HistOp *op = history_add(&f->history);
    uint32_t id = op->id;
    op->kind = OP_GET;
    op->client = (EndpointId)(10 + client);
    op->key = 0;
    op->idem = ((IdemKey)(client + 1) << 32) | (id + 1);
    op->invoke = t0 * MS;
    op->complete = t1 * MS;
    op->outcome = OUTCOME_OK;
    op->flags = (uint8_t)flags;
    ClientSibling sibs[8];
    for (guint i = 0; i < n; i++) {
        const HistOp *w = history_op(&f->history, writes[i]);
        sibs[i] = (ClientSibling){.idem = w->idem, .value = w->value, .op = w->kind};
    }
    history_set_siblings(&f->history, history_op(&f->history, id), sibs, n);
    return id;
}

static void live(Fix *f, uint32_t op)
{
    IdemKey *k = g_new(IdemKey, 1);
    *k = history_op(&f->history, op)->idem;
    g_hash_table_add(f->live, k);
}

static void judge(Fix *f)
{
    causal_check_history(&f->ledger, &module, f, &f->end, NULL, &f->v);
}

static gboolean found(const Fix *f, ViolationKind kind, const char *text)
{
    for (guint i = 0; i < f->v.violations->len; i++) {
        const Violation *x = g_ptr_array_index(f->v.violations, i);
        if (x->kind == kind && (!text || strstr(x->text, text)))
            return TRUE;
    }
    return FALSE;
}

/* Two clients put concurrently, both acked; last-writer-wins keeps the newer: the older is a
 * lost update, counted (not a violation) and named with the write that overwrote it. */
static void test_causal_lww_concurrent_put_is_counted_lost_update_naming_overwriter(void **state)
{
    Fix *f = *state;
    write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 1, 11, TRUE, UINT32_MAX);
    live(f, y);
    judge(f);
    assert_int_equal(f->v.lost_updates, 1);
    assert_int_equal(f->v.kinds, 0);
    assert_non_null(strstr(f->v.lost_update_note, "op0 (put k0 1)"));
    assert_non_null(strstr(f->v.lost_update_note, "overwritten by op1 (put k0 2)"));
}

/* The same, but the second writer read the first write before writing: no lost update. */
static void test_causal_overwrite_after_reading_is_no_lost_update(void **state)
{
    Fix *f = *state;
    uint32_t x = write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t g = get_op(f, 1, 20, 25, 0, &x, 1);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 30, 40, TRUE, g);
    live(f, y);
    judge(f);
    assert_int_equal(f->v.lost_updates, 0);
    assert_null(f->v.lost_update_note);
}

/* A client's own earlier write is in its session's context; an indeterminate write that took
 * effect covers what it had seen too. */
static void test_causal_own_earlier_write_and_effective_indeterminate_cover(void **state)
{
    Fix *f = *state;
    uint32_t x = write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t y = write_op(f, OP_PUT, 0, 2, 20, 30, TRUE, x);
    uint32_t z = write_op(f, OP_PUT, 0, 3, 40, 50, FALSE, y); /* indeterminate, held durably */
    live(f, z);
    judge(f);
    assert_int_equal(f->v.lost_updates, 0);
}

/* A multi-value store that drops one of two concurrent acked writes has lost an update. */
static void test_causal_vclock_dropped_concurrent_write_is_lost_update(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 1, 11, TRUE, UINT32_MAX);
    live(f, y);
    judge(f);
    assert_true(found(f, V_LOST_UPDATE, "op0 (put k0 1), acked at 10.000ms"));
    assert_int_equal(f->v.counts[V_LOST_UPDATE], 1);
}

/* Both concurrent writes returned as siblings is right; with both still live, nothing is lost. */
static void test_causal_vclock_concurrent_siblings_pass(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    uint32_t w[2];
    w[0] = write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    w[1] = write_op(f, OP_PUT, 1, 2, 1, 11, TRUE, UINT32_MAX);
    get_op(f, 0, 20, 25, 0, w, 2);
    live(f, w[0]);
    live(f, w[1]);
    judge(f);
    assert_int_equal(f->v.kinds, 0);
    assert_int_equal(f->v.siblings_max, 2);
}

/* A get returning a write beside another whose writer had seen it is wrong. */
static void test_causal_vclock_sibling_beside_its_successor_is_a_violation(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    uint32_t x = write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t g = get_op(f, 1, 20, 25, 0, &x, 1);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 30, 40, TRUE, g);
    uint32_t both[2] = {x, y};
    get_op(f, 0, 50, 55, 0, both, 2);
    live(f, y);
    judge(f);
    assert_true(found(f, V_SIBLINGS, "returned op0 (put k0 1) beside op2 (put k0 2)"));
}

/* A get that misses an acked write completed before it began, without anything it returned
 * covering it: a violation where the configuration owes it, a stale read where it does not. */
static void test_causal_vclock_missed_acked_write(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    uint32_t x = write_op(f, OP_PUT, 0, 1, 0, 10, TRUE, UINT32_MAX);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 1, 11, TRUE, UINT32_MAX);
    get_op(f, 0, 20, 25, 0, &y, 1);
    live(f, x);
    live(f, y);
    judge(f);
    assert_true(found(f, V_SIBLINGS, "missed op0 (put k0 1), acked at 10.000ms"));
    verdict_clear(&f->v);
    verdict_init(&f->v);
    f->end.linearizable = FALSE;
    judge(f);
    assert_int_equal(f->v.kinds, 0);
    assert_int_equal(f->v.stale_reads, 1);
}

/* A get that starts before a write is acked need not see it. */
static void test_causal_vclock_concurrent_get_need_not_see_write(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    uint32_t x = write_op(f, OP_PUT, 0, 1, 0, 30, TRUE, UINT32_MAX);
    uint32_t y = write_op(f, OP_PUT, 1, 2, 1, 11, TRUE, UINT32_MAX);
    get_op(f, 0, 20, 25, 0, &y, 1);
    live(f, x);
    live(f, y);
    judge(f);
    assert_int_equal(f->v.kinds, 0);
}

/* Last-writer-wins: a put comes back after an acked newer delete was read back: resurrection;
 * without the read-back mid-run it is only stale (not judged here); a final read always is. */
static void test_causal_lww_resurrection_after_delete_was_read(void **state)
{
    Fix *f = *state;
    uint32_t x = write_op(f, OP_PUT, 0, 5, 0, 10, TRUE, UINT32_MAX);
    uint32_t d = write_op(f, OP_DELETE, 0, 0, 20, 30, TRUE, x);
    get_op(f, 1, 40, 45, 0, &d, 1);
    get_op(f, 1, 50, 55, 0, &x, 1);
    live(f, d);
    judge(f);
    assert_true(found(f, V_RESURRECTION, "get op3 returned op0 (put k0 5), which delete op1"));
    assert_true(found(f, V_RESURRECTION, "read back at 45.000ms"));
}

static void test_causal_lww_stale_read_without_read_back_is_not_resurrection(void **state)
{
    Fix *f = *state;
    uint32_t x = write_op(f, OP_PUT, 0, 5, 0, 10, TRUE, UINT32_MAX);
    uint32_t d = write_op(f, OP_DELETE, 0, 0, 20, 30, TRUE, x);
    get_op(f, 1, 50, 55, 0, &x, 1);
    live(f, d);
    judge(f);
    assert_false(found(f, V_RESURRECTION, NULL));
    get_op(f, 1, 60, 65, HOP_FINAL, &x, 1);
    judge(f);
    assert_true(found(f, V_RESURRECTION, "the final read op3 returned op0"));
}

/* Multi-value: a delete covers only what its writer had seen; a concurrent put coming back is
 * no resurrection, the one it had seen is. */
static void test_causal_vclock_resurrection_is_causal(void **state)
{
    Fix *f = *state;
    f->multi = TRUE;
    uint32_t x = write_op(f, OP_PUT, 0, 5, 0, 10, TRUE, UINT32_MAX);
    uint32_t g = get_op(f, 0, 12, 14, 0, &x, 1);
    uint32_t y = write_op(f, OP_PUT, 1, 7, 13, 16, TRUE, UINT32_MAX);
    uint32_t d = write_op(f, OP_DELETE, 0, 0, 20, 30, TRUE, g);
    uint32_t back[2] = {y, d};
    get_op(f, 1, 60, 65, HOP_FINAL, back, 2);
    live(f, y);
    live(f, d);
    judge(f);
    assert_int_equal(f->v.kinds, 0);
    uint32_t again[3] = {x, y, d};
    get_op(f, 1, 70, 75, HOP_FINAL, again, 3);
    judge(f);
    assert_true(found(f, V_RESURRECTION, "returned op0 (put k0 5), which delete op3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fix_setup, fix_teardown)
        T(test_causal_lww_concurrent_put_is_counted_lost_update_naming_overwriter),
        T(test_causal_overwrite_after_reading_is_no_lost_update),
        T(test_causal_own_earlier_write_and_effective_indeterminate_cover),
        T(test_causal_vclock_dropped_concurrent_write_is_lost_update),
        T(test_causal_vclock_concurrent_siblings_pass),
        T(test_causal_vclock_sibling_beside_its_successor_is_a_violation),
        T(test_causal_vclock_missed_acked_write),
        T(test_causal_vclock_concurrent_get_need_not_see_write),
        T(test_causal_lww_resurrection_after_delete_was_read),
        T(test_causal_lww_stale_read_without_read_back_is_not_resurrection),
        T(test_causal_vclock_resurrection_is_causal),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
