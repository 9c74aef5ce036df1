/* tests/bench_lin.c — the linearizability checker on a realistic client history.
 *
 *   linearizability-10k            10,000 operations over 10 keys from 5 overlapping clients
 *                                  (puts, gets, adds, deletes; 2% of the writes indeterminate,
 *                                  half of those took effect) check in under 1 s; every key LIN_OK
 *   linearizability-10k-violation  the same history with one stale read planted in one key: the
 *                                  search must answer LIN_VIOLATION (not LIN_UNKNOWN) in budget
 *
 * The history is made linearizable by construction: every operation gets a linearization point
 * inside its interval, the operations of a key are applied in point order, and each get returns
 * what that order gives.
 *
 * Also printed, as information and not a target: linearizability-10k-1key, the same operations
 * on a single key (every operation overlaps another, and the indeterminate writes all land in one
 * search). Usage: bench_lin [OPS [KEYS [CLIENTS]]] runs only the one case asked for.
 */
#include "reports/lin.h"
#include "sim/engine/rng.h"

#include <stdio.h>
#include <stdlib.h>

#define TIMEOUT (20 * SIM_MS) /* how long a client waits before giving up on an operation */

typedef struct {
    LinOp op;
    guint key;
    SimTime point;         /* when it takes effect, if it does */
    gboolean takes_effect; /* FALSE only for some indeterminate writes */
} GenOp;

static double now_seconds(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static OpKind pick_kind(SimRng *rng)
{
    uint64_t r = sim_rng_uniform(rng, 0, 99);
    return r < 50 ? OP_PUT : r < 90 ? OP_GET : r < 98 ? OP_ADD : OP_DELETE;
}

/* One operation of a client that is free at `*free_at`; moves `*free_at` past it. */
static GenOp gen_op(SimRng *rng, uint32_t id, guint keys, SimTime *free_at)
{
    GenOp g = {.key = (guint)sim_rng_uniform(rng, 0, keys - 1), .takes_effect = TRUE};
    LinOp *op = &g.op;
    op->id = id;
    op->kind = (uint8_t)pick_kind(rng);
    op->idem = id + 1;
    op->invoke = *free_at + sim_rng_duration(rng, sim_range(0, 2 * SIM_MS));
    op->value = op->kind == OP_PUT ? (Value)(id + 1) * 1000000 : (Value)sim_rng_uniform(rng, 1, 9);
    gboolean lost = op->kind != OP_GET && sim_rng_chance(rng, 2, 100);
    SimTime end = op->invoke + sim_rng_duration(rng, sim_range(SIM_MS, 10 * SIM_MS));
    if (lost) {
        end = op->invoke + TIMEOUT;
        op->complete = SIM_TIME_NEVER;
        g.takes_effect = sim_rng_chance(rng, 1, 2);
    } else {
        op->complete = end;
    }
    g.point = op->invoke + sim_rng_duration(rng, sim_range(0, end - op->invoke));
    *free_at = end;
    return g;
}

/* Clients take turns by time: the one free earliest issues the next operation. */
static GenOp *gen_history(guint n, guint keys, guint clients, uint64_t seed)
{
    SimRng rng;
    sim_rng_seed(&rng, seed);
    GenOp *ops = g_new0(GenOp, n);
    SimTime *free_at = g_new0(SimTime, clients);
    for (uint32_t i = 0; i < n; i++) {
        guint c = 0;
        for (guint j = 1; j < clients; j++)
            if (free_at[j] < free_at[c])
                c = j;
        ops[i] = gen_op(&rng, i, keys, &free_at[c]);
    }
    g_free(free_at);
    return ops;
}

static int cmp_point(const void *a, const void *b)
{
    const GenOp *x = *(GenOp *const *)a, *y = *(GenOp *const *)b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return x->op.id < y->op.id ? -1 : x->op.id > y->op.id;
}

/* Applies each key's effective operations in point order and fills in what the gets saw. */
static void fill_results(GenOp *ops, guint n, guint keys)
{
    GenOp **order = g_new(GenOp *, n);
    for (guint i = 0; i < n; i++)
        order[i] = &ops[i];
    qsort(order, n, sizeof *order, cmp_point);
    gboolean *present = g_new0(gboolean, keys);
    Value *value = g_new0(Value, keys);
    for (guint i = 0; i < n; i++) {
        GenOp *g = order[i];
        if (!g->takes_effect)
            continue;
        LinOp *op = &g->op;
        if (op->kind == OP_GET) {
            op->present = (uint8_t)present[g->key];
            op->result = present[g->key] ? value[g->key] : 0;
        } else if (op->kind == OP_PUT) {
            present[g->key] = TRUE;
            value[g->key] = op->value;
        } else if (op->kind == OP_ADD) {
            value[g->key] = (present[g->key] ? value[g->key] : 0) + op->value;
            present[g->key] = TRUE;
        } else {
            present[g->key] = FALSE;
            value[g->key] = 0;
        }
    }
    g_free(present);
    g_free(value);
    g_free(order);
}

/* The operations of one key, in history order. Caller frees. */
static LinOp *key_ops(const GenOp *ops, guint n, guint key, guint *len, guint *indeterminate)
{
    LinOp *out = g_new(LinOp, n);
    *len = 0;
    *indeterminate = 0;
    for (guint i = 0; i < n; i++) {
        if (ops[i].key != key)
            continue;
        out[(*len)++] = ops[i].op;
        *indeterminate += ops[i].op.complete == SIM_TIME_NEVER;
    }
    return out;
}

static gboolean is_done_put(const LinOp *op)
{
    return op->kind == OP_PUT && op->complete != SIM_TIME_NEVER;
}

/* Plants a stale read: a get from the second half that returns a put's value although a later
 * put had completed before it, and that one after the first completed. Returns the get's index. */
static guint plant_stale_read(LinOp *ops, guint n)
{
    for (guint g = n / 2; g < n; g++) {
        if (ops[g].kind != OP_GET)
            continue;
        for (guint p2 = 0; p2 < n; p2++) {
            if (!is_done_put(&ops[p2]) || ops[p2].complete >= ops[g].invoke)
                continue;
            for (guint p1 = 0; p1 < n; p1++) {
                if (is_done_put(&ops[p1]) && ops[p1].complete < ops[p2].invoke) {
                    ops[g].present = 1;
                    ops[g].result = ops[p1].value;
                    return g;
                }
            }
        }
    }
    return UINT32_MAX;
}

/* What to print after a key's result when it is not the one it must be. */
static const char *mismatch(LinResult got, LinResult want)
{
    if (got == want)
        return "";
    return got == LIN_UNKNOWN ? "  <-- budget spent, expected " : "  <-- WRONG, expected ";
}

/* Checks every key; returns the wall time and whether each key got `want` (only `bad_key` for a
 * violation; the others must still be LIN_OK). */
static double check_all(const GenOp *ops, guint n, guint keys, guint bad_key, gboolean *ok)
{
    double total = 0;
    *ok = TRUE;
    for (guint k = 0; k < keys; k++) {
        guint len, indeterminate;
        g_autofree LinOp *lops = key_ops(ops, n, k, &len, &indeterminate);
        guint planted = k == bad_key ? plant_stale_read(lops, len) : UINT32_MAX;
        LinReport rep;
        double t0 = now_seconds();
        LinResult r = lin_check_key(lops, len, 0, &rep);
        double dt = now_seconds() - t0;
        total += dt;
        LinResult want = k == bad_key ? LIN_VIOLATION : LIN_OK;
        *ok &= r == want && (k != bad_key || planted != UINT32_MAX);
        printf("  key %u: %u ops (%u indeterminate), %s, %" G_GUINT64_FORMAT
               " states, longest %u, %.2f ms%s%s\n",
               k, len, indeterminate, lin_result_name(r), rep.states, rep.max_linearized, dt * 1000,
               mismatch(r, want), r == want ? "" : lin_result_name(want));
    }
    return total;
}

/* Generates one history, checks it as it is and with a stale read planted; prints both times.
 * Returns whether every key got the answer it must. */
static gboolean run_case(const char *name, guint n, guint keys, guint clients)
{
    g_autofree GenOp *ops = gen_history(n, keys, clients, 42);
    fill_results(ops, n, keys);
    gboolean ok_lin, ok_bad;
    printf("%s: linearizable history of %u ops, %u keys, %u clients\n", name, n, keys, clients);
    double lin = check_all(ops, n, keys, UINT32_MAX, &ok_lin);
    printf("%s: the same with a stale read planted in key 0\n", name);
    double bad = check_all(ops, n, keys, 0, &ok_bad);
    printf("bench: %s %.3f s\n", name, lin);
    printf("bench: %s-violation %.3f s\n", name, bad);
    if (!ok_lin || !ok_bad)
        printf("%s: a key did not get the answer it must (marked above)\n", name);
    return ok_lin && ok_bad;
}

int main(int argc, char **argv)
{
    guint n = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 10000;
    guint keys = argc > 2 ? (guint)g_ascii_strtoull(argv[2], NULL, 10) : 10;
    guint clients = argc > 3 ? (guint)g_ascii_strtoull(argv[3], NULL, 10) : 5;
    g_autofree char *name = g_strdup_printf("linearizability-%uk", n / 1000);
    gboolean ok = run_case(name, n, keys, clients);
    if (argc > 1)
        return ok ? 0 : 1;
    /* Informative, not a target: the same 10,000 operations on one key, so that 5 clients
     * overlap on every operation and indeterminate writes pile up in one search. */
    run_case("linearizability-10k-1key", n, 1, clients);
    return ok ? 0 : 1;
}
