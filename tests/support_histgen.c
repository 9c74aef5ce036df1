/* tests/support_histgen.c — see support_histgen.h. */
#include "tests/support_histgen.h"

#include "sim/engine/rng.h"

#include <stdlib.h>
#include <string.h>

#define MS      1000000LL
#define TIMEOUT (20 * MS)

enum { K_READ, K_WRITE, K_APPEND, K_CAS };

typedef struct {
    guint client, key, kind, process;
    int64_t invoke, complete, point;
    gboolean info, effect, ok; /* ok: a cas's compare held (else :fail) */
    int a, b;                  /* cas [a b], write a */
    char *value;               /* kv: put/append argument; read result */
    int read;                  /* register read result (-1: nil) */
} GenOp;

typedef struct {
    int64_t time;
    guint op;
    gboolean call;
} GenEvent;

static void gen_op(const GenSpec *sp, SimRng *rng, guint i, guint c, int64_t free_at, GenOp *o)
{
    o->client = c;
    o->key = sp->kind == GEN_KV ? (guint)sim_rng_uniform(rng, 0, sp->keys - 1) : 0;
    uint64_t r = sim_rng_uniform(rng, 0, 99);
    if (sp->kind == GEN_KV)
        o->kind = r < 50 ? K_READ : r < 90 ? K_APPEND : K_WRITE;
    else
        o->kind = r < 34 ? K_READ : r < 67 ? K_WRITE : K_CAS;
    o->a = (int)sim_rng_uniform(rng, 0, 4);
    o->b = (int)sim_rng_uniform(rng, 0, 4);
    if (sp->kind == GEN_KV && o->kind != K_READ)
        o->value = g_strdup_printf("x %u %u y", c, i);
    o->invoke = free_at + (int64_t)sim_rng_uniform(rng, 0, 2 * MS);
    int64_t dur = (int64_t)sim_rng_uniform(rng, MS, 10 * MS);
    o->info = o->kind != K_READ && sim_rng_chance(rng, sp->info_pct, 100);
    if (o->info) {
        o->complete = o->invoke + TIMEOUT;
        o->effect = sim_rng_chance(rng, 1, 2);
        o->point = o->invoke + (int64_t)sim_rng_uniform(rng, 0, 2 * TIMEOUT);
    } else {
        o->complete = o->invoke + dur;
        o->effect = TRUE;
        o->point = o->invoke + (int64_t)sim_rng_uniform(rng, 0, (uint64_t)dur);
    }
}

static int cmp_point(const void *x, const void *y, void *data)
{
    const GenOp *ops = data;
    guint a = *(const guint *)x, b = *(const guint *)y;
    if (ops[a].point != ops[b].point)
        return ops[a].point < ops[b].point ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Applies the operations in point order; reads get their results. */
static void apply(const GenSpec *sp, GenOp *ops, guint n)
{
    guint *order = g_new(guint, n);
    for (guint i = 0; i < n; i++)
        order[i] = i;
    g_qsort_with_data(order, (gint)n, sizeof *order, cmp_point, ops);
    GString **kv = g_new0(GString *, sp->keys ? sp->keys : 1);
    for (guint k = 0; k < sp->keys; k++)
        kv[k] = g_string_new(NULL);
    int reg = -1;
    for (guint j = 0; j < n; j++) {
        GenOp *o = &ops[order[j]];
        if (!o->effect)
            continue;
        if (sp->kind == GEN_KV) {
            if (o->kind == K_READ)
                o->value = g_strdup(kv[o->key]->str);
            else if (o->kind == K_WRITE)
                g_string_assign(kv[o->key], o->value);
            else
                g_string_append(kv[o->key], o->value);
        } else if (o->kind == K_READ) {
            o->read = reg;
        } else if (o->kind == K_WRITE) {
            reg = o->a;
        } else {
            o->ok = reg == o->a;
            if (o->ok)
                reg = o->b;
        }
    }
    for (guint k = 0; k < sp->keys; k++)
        g_string_free(kv[k], TRUE);
    g_free(kv);
    g_free(order);
}

static int cmp_event(const void *x, const void *y)
{
    const GenEvent *a = x, *b = y;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    return a->call ? -1 : 1;
}

static const char *const kv_f[] = {"get", "put", "append", "cas"};
static const char *const reg_f[] = {"read", "write", "append", "cas"};

static void print_kv(GString *s, const GenOp *o, gboolean call, const char *type)
{
    g_string_append_printf(s, "{:process %u, :type :%s, :f :%s, :key \"%u\", :value ", o->process,
                           type, kv_f[o->kind], o->key);
    if (o->kind == K_READ && call)
        g_string_append(s, "nil");
    else if (o->kind == K_READ && !strcmp(type, "info"))
        g_string_append(s, "nil");
    else
        g_string_append_printf(s, "\"%s\"", o->value);
    g_string_append(s, "}\n");
}

static void print_reg(GString *s, const GenOp *o, gboolean call, const char *type)
{
    g_string_append_printf(s, "INFO  jepsen.util - %u\t:%s\t:%s\t", o->process, type,
                           reg_f[o->kind]);
    if (!strcmp(type, "info"))
        g_string_append(s, ":timed-out");
    else if (o->kind == K_READ && (call || o->read < 0))
        g_string_append(s, "nil");
    else if (o->kind == K_READ)
        g_string_append_printf(s, "%d", o->read);
    else if (o->kind == K_WRITE)
        g_string_append_printf(s, "%d", o->a);
    else
        g_string_append_printf(s, "[%d %d]", o->a, o->b);
    g_string_append_c(s, '\n');
}

static GString *print_events(const GenSpec *sp, const GenOp *ops, guint n)
{
    GenEvent *ev = g_new(GenEvent, 2 * (gsize)n);
    for (guint i = 0; i < n; i++) {
        ev[2 * i] = (GenEvent){ops[i].invoke, i, TRUE};
        ev[2 * i + 1] = (GenEvent){ops[i].complete, i, FALSE};
    }
    qsort(ev, 2 * (gsize)n, sizeof *ev, cmp_event);
    GString *s = g_string_sized_new((gsize)n * 120);
    for (guint i = 0; i < 2 * n; i++) {
        const GenOp *o = &ops[ev[i].op];
        const char *type = ev[i].call                   ? "invoke"
                           : o->info                    ? "info"
                           : o->kind == K_CAS && !o->ok ? "fail"
                                                        : "ok";
        if (sp->kind == GEN_KV)
            print_kv(s, o, ev[i].call, type);
        else
            print_reg(s, o, ev[i].call, type);
    }
    g_free(ev);
    return s;
}

char *gen_history(const GenSpec *sp, gsize *len, guint *reads)
{
    SimRng rng;
    sim_rng_seed(&rng, sp->seed);
    GenOp *ops = g_new0(GenOp, sp->ops);
    int64_t *free_at = g_new0(int64_t, sp->clients);
    guint *process = g_new(guint, sp->clients);
    for (guint c = 0; c < sp->clients; c++)
        process[c] = c;
    for (guint i = 0; i < sp->ops; i++) {
        guint c = 0;
        for (guint j = 1; j < sp->clients; j++)
            if (free_at[j] < free_at[c])
                c = j;
        gen_op(sp, &rng, i, c, free_at[c], &ops[i]);
        ops[i].process = process[c];
        if (ops[i].info)
            process[c] += sp->clients;
        free_at[c] = ops[i].complete;
    }
    apply(sp, ops, sp->ops);
    guint nreads = 0;
    for (guint i = 0; i < sp->ops; i++) {
        GenOp *o = &ops[i];
        if (o->kind != K_READ)
            continue;
        if ((int)nreads == sp->corrupt) {
            if (sp->kind == GEN_KV) {
                char *bad = g_strconcat(o->value, "!", NULL);
                g_free(o->value);
                o->value = bad;
            } else {
                o->read = 9;
            }
        }
        nreads++;
    }
    GString *s = print_events(sp, ops, sp->ops);
    for (guint i = 0; i < sp->ops; i++)
        g_free(ops[i].value);
    g_free(ops);
    g_free(free_at);
    g_free(process);
    if (reads)
        *reads = nreads;
    *len = s->len;
    return g_string_free(s, FALSE);
}
