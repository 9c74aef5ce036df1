/* model/quorum/quorum_clock.c — dotted version vectors (Preguiça, Baquero, Almeida, Fonte,
 * Gonçalves, "Dotted Version Vectors: Logical Clocks for Optimistic Replication", 2010; what
 * Riak 2.0 moved to): the clocks of resolution = vclock.
 *
 * A record carries its dot, the one event that wrote it, issued by a replica of the key from its
 * own counter for the key (its actor is the node and an epoch that changes whenever the node lost
 * data, so that no dot is ever issued twice), and its causal past: the context its client had
 * read. A record is covered by another when one of its dots is in the other's past; a key's
 * value is every record no other covers (its siblings). Two concurrent writes through one
 * replica get two dots of the same actor, and since neither past holds the other's dot both stay:
 * with a plain version vector per replica the second would look newer and the first be lost.
 *
 * A past is a set of runs of each actor's events: a version vector where the run starts at the
 * first event (QSPAN_ALL), shorter runs where a client saw some events of an actor but not those
 * before them (it read (a,5) and (a,6) without (a,4)): contexts are exact, and a client must not
 * cover what it did not see. Runs that touch merge, so a run folds into the vector as soon as the
 * vector reaches the event before it.
 *
 * Invariants (qclock_set_past): past entries are runs sorted by actor and first event, none
 * touching another of its actor; dots + past <= QCLOCK_MAX, the excess dropped with `truncated`
 * set (shortest runs, smallest counters first: Dynamo's clock truncation, which can only make
 * the clock cover less, never more).
 */
#include "model/quorum/quorum.h"

#include "sim/engine/rng.h"

#include <stdlib.h>
#include <string.h>

/* ---- coverage ---- */

static inline const QDot *past_of(const QClock *c)
{
    return c->e + c->ndots;
}

/* The first counter a past entry covers. */
static inline uint32_t entry_lo(const QDot *e)
{
    return e->span == QSPAN_ALL ? 1 : e->counter - MIN(e->span, e->counter - 1);
}

gboolean qclock_covers_dot(const QClock *c, QDot d)
{
    const QDot *p = past_of(c);
    for (guint i = 0; i < c->npast; i++)
        if (p[i].actor == d.actor && d.counter <= p[i].counter && d.counter >= entry_lo(&p[i]))
            return TRUE;
    return FALSE;
}

gboolean qclock_covers(const QClock *holder, const QClock *rec)
{
    for (guint i = 0; i < rec->ndots; i++)
        if (qclock_covers_dot(holder, rec->e[i]))
            return TRUE;
    return FALSE;
}

gboolean qclock_has_dot(const QClock *c, QDot d)
{
    for (guint i = 0; i < c->ndots; i++)
        if (c->e[i].actor == d.actor && c->e[i].counter == d.counter)
            return TRUE;
    return FALSE;
}

guint32 qclock_max_counter(const QClock *c, uint16_t actor)
{
    guint32 best = 0;
    for (guint i = 0; i < (guint)c->ndots + c->npast; i++)
        if (c->e[i].actor == actor)
            best = MAX(best, c->e[i].counter);
    return best;
}

/* ---- building ---- */

/* A run of one actor's events, lo..hi. */
typedef struct {
    uint16_t actor;
    uint32_t lo, hi;
} Run;

static int cmp_run(const void *a, const void *b)
{
    const Run *x = a, *y = b;
    if (x->actor != y->actor)
        return x->actor < y->actor ? -1 : 1;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_dot(const void *a, const void *b)
{
    const QDot *x = a, *y = b;
    if (x->actor != y->actor)
        return x->actor < y->actor ? -1 : 1;
    return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* A past's entries as runs, merged where they touch, back into entries (runs from the first
 * event are QSPAN_ALL; others are cut into spans of at most 255 events), sorted. Returns the
 * number of entries written to out (room for `room`; more are dropped: the caller sizes it). */
static guint normalize_past(const QDot *in, guint n, QDot *out, guint room)
{
    Run *runs = g_newa(Run, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        runs[i] = (Run){in[i].actor, entry_lo(&in[i]), in[i].counter};
    qsort(runs, n, sizeof *runs, cmp_run);
    guint k = 0;
    for (guint i = 0; i < n; i++) {
        if (k > 0 && runs[k - 1].actor == runs[i].actor && runs[i].lo <= runs[k - 1].hi + 1)
            runs[k - 1].hi = MAX(runs[k - 1].hi, runs[i].hi);
        else
            runs[k++] = runs[i];
    }
    guint m = 0;
    for (guint i = 0; i < k && m < room; i++) {
        Run r = runs[i];
        if (r.lo == 1) {
            out[m++] = (QDot){.actor = r.actor, .span = QSPAN_ALL, .counter = r.hi};
            continue;
        }
        while (r.hi - r.lo + 1 > QSPAN_ALL && m < room) {
            out[m++] = (QDot){.actor = r.actor, .span = QSPAN_ALL - 1, .counter = r.lo + 254};
            r.lo += QSPAN_ALL;
        }
        if (m < room)
            out[m++] = (QDot){.actor = r.actor, .span = (uint8_t)(r.hi - r.lo), .counter = r.hi};
    }
    return m;
}

/* The entry to drop to fit: a run not from the first event, else one from it, with the smallest
 * counter (Dynamo drops its oldest pair). */
static guint victim(const QDot *e, guint n)
{
    guint best = 0;
    for (guint i = 1; i < n; i++) {
        gboolean a = e[i].span == QSPAN_ALL, b = e[best].span == QSPAN_ALL;
        if (a != b ? !a : e[i].counter < e[best].counter)
            best = i;
    }
    return best;
}

void qclock_set_past(QClock *c, const QDot *entries, guint n)
{
    QDot tmp[8 * QCLOCK_MAX];
    n = normalize_past(entries, n, tmp, G_N_ELEMENTS(tmp));
    while (c->ndots + n > QCLOCK_MAX) {
        guint v = victim(tmp, n);
        memmove(tmp + v, tmp + v + 1, (n - v - 1) * sizeof *tmp);
        n--;
        c->truncated = 1;
    }
    memcpy(c->e + c->ndots, tmp, n * sizeof *tmp);
    c->npast = (uint8_t)n;
}

void qclock_join(QClock *ctx, const QClock *rec)
{
    QDot tmp[3 * QCLOCK_MAX];
    guint n = 0;
    for (guint i = 0; i < ctx->npast; i++)
        tmp[n++] = past_of(ctx)[i];
    for (guint i = 0; i < rec->npast; i++)
        tmp[n++] = past_of(rec)[i];
    for (guint i = 0; i < rec->ndots; i++)
        tmp[n++] = (QDot){.actor = rec->e[i].actor, .counter = rec->e[i].counter};
    ctx->truncated |= rec->truncated;
    qclock_set_past(ctx, tmp, n);
}

void qclock_join_all(QClock *ctx, const QClock *const *recs, guint n)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(QDot));
    g_array_append_vals(all, past_of(ctx), ctx->npast);
    for (guint r = 0; r < n; r++) {
        g_array_append_vals(all, past_of(recs[r]), recs[r]->npast);
        for (guint i = 0; i < recs[r]->ndots; i++) {
            QDot d = {.actor = recs[r]->e[i].actor, .counter = recs[r]->e[i].counter};
            g_array_append_val(all, d);
        }
        ctx->truncated |= recs[r]->truncated;
    }
    /* Merge everything first, truncate once: runs only known together fold together. */
    QDot *merged = g_new(QDot, MAX(all->len, 1));
    guint m = normalize_past((const QDot *)(const void *)all->data, all->len, merged, all->len);
    qclock_set_past(ctx, merged, m);
    g_free(merged);
    g_array_free(all, TRUE);
}

gboolean qclock_absorb(QClock *dst, const QClock *src)
{
    QClock before = *dst;
    QDot past[2 * QCLOCK_MAX];
    guint np = 0;
    for (guint i = 0; i < dst->npast; i++)
        past[np++] = past_of(dst)[i];
    for (guint i = 0; i < src->npast; i++)
        past[np++] = past_of(src)[i];
    QDot dots[2 * QCLOCK_MAX];
    guint nd = 0;
    for (guint i = 0; i < dst->ndots; i++)
        dots[nd++] = dst->e[i];
    for (guint i = 0; i < src->ndots; i++)
        if (!qclock_has_dot(dst, src->e[i]))
            dots[nd++] = (QDot){.actor = src->e[i].actor, .counter = src->e[i].counter};
    /* Dots in one order, whatever order they arrived in, and the same few kept everywhere: the
     * same write, the same clock. */
    qsort(dots, nd, sizeof *dots, cmp_dot);
    dst->ndots = (uint8_t)MIN(nd, QCLOCK_MAX / 2);
    memcpy(dst->e, dots, dst->ndots * sizeof *dots);
    dst->truncated |= src->truncated;
    qclock_set_past(dst, past, np);
    return !qclock_equal(&before, dst);
}

void qclock_add_exact(QClock *c, QDot d)
{
    QDot past[QCLOCK_MAX + 1];
    guint n = 0;
    for (guint i = 0; i < c->npast; i++)
        past[n++] = past_of(c)[i];
    past[n++] = (QDot){.actor = d.actor, .counter = d.counter};
    qclock_set_past(c, past, n);
}

gboolean qclock_equal(const QClock *a, const QClock *b)
{
    if (a->ndots != b->ndots || a->npast != b->npast || a->truncated != b->truncated)
        return FALSE;
    for (guint i = 0; i < (guint)a->ndots + a->npast; i++)
        if (a->e[i].actor != b->e[i].actor || a->e[i].span != b->e[i].span ||
            a->e[i].counter != b->e[i].counter)
            return FALSE;
    return TRUE;
}

uint64_t qclock_digest(const QClock *c)
{
    uint64_t h = (uint64_t)c->ndots << 8 | c->npast;
    for (guint i = 0; i < (guint)c->ndots + c->npast; i++) {
        uint64_t x = (uint64_t)c->e[i].actor << 40 | (uint64_t)c->e[i].span << 32 | c->e[i].counter;
        h = sim_splitmix64(&x) ^ (h * 0x9e3779b97f4a7c15ULL);
    }
    return h;
}

/* ---- bytes: contexts for clients, entries on disk ---- */

void qdot_put(uint8_t *p, QDot d)
{
    p[0] = (uint8_t)d.actor;
    p[1] = (uint8_t)(d.actor >> 8);
    p[2] = d.span;
    memcpy(p + 3, &d.counter, 4);
}

QDot qdot_get(const uint8_t *p)
{
    QDot d = {.actor = (uint16_t)(p[0] | p[1] << 8), .span = p[2]};
    memcpy(&d.counter, p + 3, 4);
    return d;
}

guint qclock_context_bytes(const QClock *c, uint8_t *out)
{
    out[0] = c->npast;
    for (guint i = 0; i < c->npast; i++)
        qdot_put(out + 1 + QDOT_BYTES * i, past_of(c)[i]);
    return 1 + QDOT_BYTES * c->npast;
}

gboolean qclock_from_context(const void *bytes, guint len, QClock *out)
{
    memset(out, 0, sizeof *out);
    if (bytes == NULL || len == 0)
        return TRUE;
    const uint8_t *p = bytes;
    guint n = p[0];
    if (n > QCLOCK_MAX || len != 1 + QDOT_BYTES * n)
        return FALSE;
    QDot past[QCLOCK_MAX];
    for (guint i = 0; i < n; i++)
        past[i] = qdot_get(p + 1 + QDOT_BYTES * i);
    qclock_set_past(out, past, n);
    return TRUE;
}
