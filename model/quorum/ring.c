/* model/quorum/ring.c — the consistent-hash ring. Positions come from a stable hash of
 * "node#vnode", never from pointers or table order, so placement is the same on every run and
 * machine. */
#include "model/quorum/ring.h"

#include "model/quorum/quorum.h"

#include "sim/engine/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t pos;
    EndpointId node;
} Point;

struct Ring {
    guint nodes;
    guint npoints;
    Point *points; /* sorted by position */
};

static int by_pos(const void *a, const void *b)
{
    const Point *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

Ring *ring_new(guint nodes, guint vnodes)
{
    g_assert(nodes > 0 && nodes <= WORLD_MAX_NODES && vnodes > 0);
    Ring *r = g_new0(Ring, 1);
    r->nodes = nodes;
    r->npoints = nodes * vnodes;
    r->points = g_new(Point, r->npoints);
    for (guint n = 0; n < nodes; n++) {
        for (guint v = 0; v < vnodes; v++) {
            char name[32];
            g_snprintf(name, sizeof name, "node%u#%u", n + 1, v);
            uint64_t state = sim_hash_string(name);
            r->points[n * vnodes + v] = (Point){sim_splitmix64(&state), (EndpointId)n};
        }
    }
    qsort(r->points, r->npoints, sizeof(Point), by_pos);
    return r;
}

void ring_free(Ring *r)
{
    if (r == NULL)
        return;
    g_free(r->points);
    g_free(r);
}

guint ring_nodes(const Ring *r)
{
    return r->nodes;
}

guint ring_points(const Ring *r)
{
    return r->npoints;
}

guint ring_point(const Ring *r, uint64_t key_hash)
{
    uint64_t state = key_hash;
    uint64_t pos = sim_splitmix64(&state);
    /* First point at or after pos (binary search), wrapping past the last. */
    guint lo = 0, hi = r->npoints;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (r->points[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo % r->npoints;
}

guint ring_walk(const Ring *r, uint64_t key_hash, EndpointId *out)
{
    return ring_walk_first(r, key_hash, out, r->nodes);
}

guint ring_walk_first(const Ring *r, uint64_t key_hash, EndpointId *out, guint max)
{
    /* The key's point, then walk clockwise. */
    guint lo = ring_point(r, key_hash);
    max = MIN(max, r->nodes);
    /* Nodes met already: a scan of the few found so far, or a bitmap for a long walk. */
    uint64_t seen[WORLD_MAX_NODES / 64];
    gboolean scan = max <= 16;
    if (!scan)
        memset(seen, 0, sizeof(uint64_t) * ((r->nodes + 63) / 64));
    guint count = 0;
    for (guint i = 0; i < r->npoints && count < max; i++) {
        EndpointId n = r->points[(lo + i) % r->npoints].node;
        gboolean met = FALSE;
        if (scan) {
            for (guint j = 0; j < count && !met; j++)
                met = out[j] == n;
        } else {
            met = (seen[n / 64] >> (n % 64)) & 1;
            seen[n / 64] |= (uint64_t)1 << (n % 64);
        }
        if (!met)
            out[count++] = n;
    }
    g_assert(count == max);
    return count;
}

/* ---- a world's placement ---- */

QuorumPlacement *quorum_placement_new(const WorldConfig *c, guint keys, const uint64_t *hashes)
{
    QuorumPlacement *p = g_new0(QuorumPlacement, 1);
    p->ring = ring_new(c->nodes, QUORUM_VNODES);
    p->keys = keys;
    p->stride = MIN(c->nodes, quorum_config(c)->replicas + QUORUM_PLACEMENT_SPARE);
    p->walks = g_new(EndpointId, MAX((gsize)keys * p->stride, 1));
    for (KeyId k = 0; k < keys; k++)
        ring_walk_first(p->ring, hashes[k], &p->walks[(gsize)k * p->stride], p->stride);
    return p;
}

void quorum_placement_free(QuorumPlacement *p)
{
    if (!p)
        return;
    ring_free(p->ring);
    g_free(p->walks);
    g_free(p);
}
