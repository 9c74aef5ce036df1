/* model/quorum/quorum_merkle.c — the Merkle trees of anti_entropy = merkle (quorum_merkle.h). */
#include "model/quorum/quorum_merkle.h"

#include "sim/engine/rng.h"

typedef struct {
    uint32_t first; /* its keys are keys[first .. first + nkeys) */
    uint32_t nkeys;
    uint32_t leaves; /* a power of two, 0 when nkeys is 0 */
    uint64_t *node;  /* 2 * leaves; node[0] unused */
} Range;

struct QMerkle {
    guint nkeys, nranges;
    Range *ranges;
    KeyId *keys;      /* by range, in key order within a range */
    uint32_t *slot;   /* per key: its place in keys[] */
    uint32_t *range;  /* per key */
    uint64_t *digest; /* per key */
};

QMerkle *qmerkle_new(guint keys, const uint32_t *key_range, guint nranges)
{
    QMerkle *m = g_new0(QMerkle, 1);
    m->nkeys = keys;
    m->nranges = nranges;
    m->ranges = g_new0(Range, MAX(nranges, 1));
    m->keys = g_new(KeyId, MAX(keys, 1));
    m->slot = g_new(uint32_t, MAX(keys, 1));
    m->range = g_new(uint32_t, MAX(keys, 1));
    m->digest = g_new0(uint64_t, MAX(keys, 1));
    for (KeyId k = 0; k < keys; k++) {
        g_assert(key_range[k] < nranges);
        m->range[k] = key_range[k];
        m->ranges[key_range[k]].nkeys++;
    }
    uint32_t at = 0;
    for (guint r = 0; r < nranges; r++) {
        Range *g = &m->ranges[r];
        g->first = at;
        at += g->nkeys;
        if (g->nkeys == 0)
            continue;
        uint32_t need = (g->nkeys + QMERKLE_LEAF_KEYS - 1) / QMERKLE_LEAF_KEYS;
        g->leaves = 1;
        while (g->leaves < need)
            g->leaves <<= 1;
        g->node = g_new0(uint64_t, 2 * (gsize)g->leaves);
        g->nkeys = 0; /* counted again as the keys are placed */
    }
    for (KeyId k = 0; k < keys; k++) {
        Range *g = &m->ranges[m->range[k]];
        m->slot[k] = g->first + g->nkeys++;
        m->keys[m->slot[k]] = k;
    }
    return m;
}

void qmerkle_free(QMerkle *m)
{
    if (!m)
        return;
    for (guint r = 0; r < m->nranges; r++)
        g_free(m->ranges[r].node);
    g_free(m->ranges);
    g_free(m->keys);
    g_free(m->slot);
    g_free(m->range);
    g_free(m->digest);
    g_free(m);
}

uint64_t qmerkle_key_digest(KeyId key, uint32_t count, uint64_t hash)
{
    if (count == 0)
        return 0;
    uint64_t state = hash ^ ((uint64_t)key << 32 | count);
    uint64_t d = sim_splitmix64(&state);
    return d ? d : 1; /* 0 is "no records" */
}

void qmerkle_set(QMerkle *m, KeyId k, uint64_t digest)
{
    g_assert(k < m->nkeys);
    uint64_t delta = m->digest[k] ^ digest;
    if (delta == 0)
        return;
    m->digest[k] = digest;
    const Range *g = &m->ranges[m->range[k]];
    for (uint32_t n = g->leaves + (m->slot[k] - g->first) / QMERKLE_LEAF_KEYS; n >= 1; n >>= 1)
        g->node[n] ^= delta;
}

uint64_t qmerkle_get(const QMerkle *m, KeyId k)
{
    g_assert(k < m->nkeys);
    return m->digest[k];
}

guint qmerkle_ranges(const QMerkle *m)
{
    return m->nranges;
}

uint32_t qmerkle_leaves(const QMerkle *m, uint32_t range)
{
    return range < m->nranges ? m->ranges[range].leaves : 0;
}

uint64_t qmerkle_node(const QMerkle *m, uint32_t range, uint32_t node)
{
    const Range *g = &m->ranges[range];
    g_assert(node >= 1 && node < 2 * g->leaves);
    return g->node[node];
}

const KeyId *qmerkle_leaf_keys(const QMerkle *m, uint32_t range, uint32_t node, guint *n)
{
    const Range *g = &m->ranges[range];
    g_assert(node >= g->leaves && node < 2 * g->leaves);
    uint32_t from = (node - g->leaves) * QMERKLE_LEAF_KEYS;
    *n = from >= g->nkeys ? 0 : MIN(QMERKLE_LEAF_KEYS, g->nkeys - from);
    return m->keys + g->first + MIN(from, g->nkeys);
}

KeyId qmerkle_range_key(const QMerkle *m, uint32_t range)
{
    const Range *g = &m->ranges[range];
    return g->nkeys ? m->keys[g->first] : KEY_NONE;
}

gboolean qmerkle_valid(const QMerkle *m)
{
    for (guint r = 0; r < m->nranges; r++) {
        const Range *g = &m->ranges[r];
        for (uint32_t leaf = g->leaves; leaf < 2 * g->leaves; leaf++) {
            guint n;
            const KeyId *keys = qmerkle_leaf_keys(m, r, leaf, &n);
            uint64_t x = 0;
            for (guint i = 0; i < n; i++)
                x ^= m->digest[keys[i]];
            if (g->node[leaf] != x)
                return FALSE;
        }
        for (uint32_t n = 1; n < g->leaves; n++)
            if (g->node[n] != (g->node[2 * n] ^ g->node[2 * n + 1]))
                return FALSE;
    }
    return TRUE;
}
