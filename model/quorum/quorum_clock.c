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
 * A past is a version vector (an entry covers every event of its actor up to its counter) plus
 * the exact dots of siblings read whose predecessors were not (exact entries). Contexts are kept
 * exact: a client that read (a,2) without (a,1) must not cover (a,1). An exact dot folds into
 * the vector as soon as the vector reaches the one before it.
 *
 * Invariants (qclock_normalize): past entries are one vector entry per actor, then exact dots
 * above their actor's vector entry, sorted; dots + past <= QCLOCK_MAX, the excess dropped with
 * `truncated` set (smallest counters first: Dynamo's clock truncation, which can only make the
 * clock cover less, never more).
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

gboolean qclock_covers_dot(const QClock *c, QDot d)
{
    const QDot *p = past_of(c);
    for (guint i = 0; i < c->npast; i++) {
        if (p[i].actor != d.actor)
            continue;
        if (p[i].exact ? p[i].counter == d.counter : p[i].counter >= d.counter)
            return TRUE;
    }
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

static int cmp_entry(const void *a, const void *b)
{
    const QDot *x = a, *y = b;
    if (x->exact != y->exact)
        return x->exact < y->exact ? -1 : 1;
    if (x->actor != y->actor)
        return x->actor < y->actor ? -1 : 1;
    return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* The vector entry of `actor` among entries[0..n), or 0. */
static guint32 vector_at(const QDot *e, guint n, uint16_t actor)
{
    for (guint i = 0; i < n; i++)
        if (!e[i].exact && e[i].actor == actor)
            return e[i].counter;
    return 0;
}

/* Folds, merges and sorts a past of n entries in place; returns its new length. */
static guint normalize_past(QDot *e, guint n)
{
    qsort(e, n, sizeof *e, cmp_entry);
    /* One vector entry per actor: the largest (the sort puts vector entries first); each exact
     * dot once. */
    guint k = 0;
    for (guint i = 0; i < n; i++) {
        gboolean same = k > 0 && e[k - 1].exact == e[i].exact && e[k - 1].actor == e[i].actor;
        if (same && !e[i].exact)
            e[k - 1].counter = MAX(e[k - 1].counter, e[i].counter);
        else if (!(same && e[k - 1].counter == e[i].counter))
            e[k++] = e[i];
    }
    n = k;
    /* Exact dots fold into their actor's entry when it reaches the one before them (they are
     * sorted by counter, so one pass per actor folds a run), and vanish when it covers them. */
    gboolean changed = TRUE;
    while (changed) {
        changed = FALSE;
        k = 0;
        for (guint i = 0; i < n; i++) {
            if (!e[i].exact) {
                e[k++] = e[i];
                continue;
            }
            guint32 v = vector_at(e, k, e[i].actor);
            if (e[i].counter <= v)
                continue;
            if (e[i].counter == v + 1) {
                gboolean found = FALSE;
                for (guint j = 0; j < k && !found; j++)
                    if (!e[j].exact && e[j].actor == e[i].actor) {
                        e[j].counter++;
                        found = TRUE;
                    }
                if (!found) {
                    e[k++] = (QDot){.actor = e[i].actor, .counter = e[i].counter};
                    changed = TRUE; /* a new vector entry: sort again */
                }
                continue;
            }
            e[k++] = e[i];
        }
        n = k;
        if (changed)
            qsort(e, n, sizeof *e, cmp_entry);
    }
    return n;
}

/* The entry to drop to fit: the exact dot, else the vector entry, with the smallest counter. */
static guint victim(const QDot *e, guint n)
{
    guint best = 0;
    for (guint i = 1; i < n; i++) {
        gboolean better = e[i].exact != e[best].exact ? e[i].exact
                                                      : e[i].counter < e[best].counter;
        if (better)
            best = i;
    }
    return best;
}

void qclock_set_past(QClock *c, const QDot *entries, guint n)
{
    QDot tmp[4 * QCLOCK_MAX];
    g_assert(n <= G_N_ELEMENTS(tmp));
    memcpy(tmp, entries, n * sizeof *tmp);
    n = normalize_past(tmp, n);
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
    QDot tmp[4 * QCLOCK_MAX];
    guint n = 0;
    for (guint i = 0; i < ctx->npast; i++)
        tmp[n++] = past_of(ctx)[i];
    for (guint i = 0; i < rec->npast; i++)
        tmp[n++] = past_of(rec)[i];
    for (guint i = 0; i < rec->ndots; i++)
        tmp[n++] = (QDot){.actor = rec->e[i].actor, .exact = 1, .counter = rec->e[i].counter};
    ctx->truncated |= rec->truncated;
    qclock_set_past(ctx, tmp, n);
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
    for (guint i = 0; i < src->ndots && dst->ndots < QCLOCK_MAX / 2; i++)
        if (!qclock_has_dot(dst, src->e[i]))
            dst->e[dst->ndots++] = src->e[i];
    /* Dots in one order, whatever order they arrived in: the same write, the same clock. */
    qsort(dst->e, dst->ndots, sizeof *dst->e, cmp_entry);
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
    past[n++] = (QDot){.actor = d.actor, .exact = 1, .counter = d.counter};
    qclock_set_past(c, past, n);
}

gboolean qclock_equal(const QClock *a, const QClock *b)
{
    if (a->ndots != b->ndots || a->npast != b->npast || a->truncated != b->truncated)
        return FALSE;
    for (guint i = 0; i < (guint)a->ndots + a->npast; i++)
        if (a->e[i].actor != b->e[i].actor || a->e[i].exact != b->e[i].exact ||
            a->e[i].counter != b->e[i].counter)
            return FALSE;
    return TRUE;
}

uint64_t qclock_digest(const QClock *c)
{
    uint64_t h = (uint64_t)c->ndots << 8 | c->npast;
    for (guint i = 0; i < (guint)c->ndots + c->npast; i++) {
        uint64_t x = (uint64_t)c->e[i].actor << 40 | (uint64_t)c->e[i].exact << 32 | c->e[i].counter;
        h = sim_splitmix64(&x) ^ (h * 0x9e3779b97f4a7c15ULL);
    }
    return h;
}

/* ---- bytes: contexts for clients, entries on disk ---- */

void qdot_put(uint8_t *p, QDot d)
{
    uint32_t counter = d.counter | (d.exact ? 0x80000000u : 0);
    p[0] = (uint8_t)d.actor;
    p[1] = (uint8_t)(d.actor >> 8);
    memcpy(p + 2, &counter, 4);
}

QDot qdot_get(const uint8_t *p)
{
    uint32_t counter;
    memcpy(&counter, p + 2, 4);
    return (QDot){.actor = (uint16_t)(p[0] | p[1] << 8),
                  .exact = (uint8_t)(counter >> 31),
                  .counter = counter & 0x7fffffffu};
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
