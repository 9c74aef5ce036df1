/* reports/history/memo.c — an open-addressing set of (set hash, state) keys with a byte limit. */
#include "reports/history/memo.h"

static gsize hash_key(const HcMemoKey *k)
{
    uint64_t h = k->lo ^ (k->hi * 0x9e3779b97f4a7c15ULL);
    h ^= (k->s.a + 0x632be59bd9b4e019ULL) * 0xff51afd7ed558ccdULL;
    h ^= (k->s.b + 0x8cb92ba72f3d8dd7ULL) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return (gsize)h;
}

static gboolean key_equal(const HcMemoKey *x, const HcMemoKey *y)
{
    return x->lo == y->lo && x->hi == y->hi && x->s.a == y->s.a && x->s.b == y->s.b;
}

static gboolean is_empty(const HcMemoKey *k)
{
    return k->lo == 0 && k->hi == 0;
}

gboolean hc_memo_init(HcMemo *m, gsize expect, gsize limit_bytes)
{
    gsize cap = 64;
    while (cap * 3 < expect * 4)
        cap *= 2;
    m->limit_bytes = limit_bytes;
    m->count = 0;
    m->mask = cap - 1;
    if (cap * sizeof(HcMemoKey) > limit_bytes) {
        m->slots = NULL;
        return FALSE;
    }
    m->slots = g_new0(HcMemoKey, cap);
    return TRUE;
}

void hc_memo_clear(HcMemo *m)
{
    g_free(m->slots);
    m->slots = NULL;
    m->count = 0;
}

gsize hc_memo_bytes(const HcMemo *m)
{
    return m->slots ? (m->mask + 1) * sizeof(HcMemoKey) : 0;
}

/* Inserts without growing; the key's set hash is not zero. */
static gboolean insert(HcMemo *m, const HcMemoKey *k)
{
    gsize i = hash_key(k) & m->mask;
    while (!is_empty(&m->slots[i])) {
        if (key_equal(&m->slots[i], k))
            return FALSE;
        i = (i + 1) & m->mask;
    }
    m->slots[i] = *k;
    m->count++;
    return TRUE;
}

/* Doubles the table; FALSE if the old and new tables together would pass the limit. */
static gboolean grow(HcMemo *m)
{
    gsize cap = 2 * (m->mask + 1);
    if ((cap + m->mask + 1) * sizeof(HcMemoKey) > m->limit_bytes)
        return FALSE;
    HcMemo bigger = {.slots = g_new0(HcMemoKey, cap), .mask = cap - 1};
    for (gsize i = 0; i <= m->mask; i++)
        if (!is_empty(&m->slots[i]))
            insert(&bigger, &m->slots[i]);
    g_free(m->slots);
    m->slots = bigger.slots;
    m->mask = bigger.mask;
    return TRUE;
}

HcMemoResult hc_memo_add(HcMemo *m, const HcMemoKey *key)
{
    HcMemoKey fixed = *key;
    if (is_empty(&fixed))
        fixed.lo = 1; /* a nonempty set whose hash is 0 (probability 2^-128) */
    const HcMemoKey *k = &fixed;
    if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
        /* Full enough to grow: a key already there is still found. */
        gsize i = hash_key(k) & m->mask;
        for (; !is_empty(&m->slots[i]); i = (i + 1) & m->mask)
            if (key_equal(&m->slots[i], k))
                return HC_MEMO_SEEN;
        if (!grow(m))
            return HC_MEMO_FULL;
    }
    return insert(m, k) ? HC_MEMO_NEW : HC_MEMO_SEEN;
}
