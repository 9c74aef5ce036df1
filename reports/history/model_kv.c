/* reports/history/model_kv.c — the kv model: string values per key, with :get, :put v and
 * :append v (Porcupine's key-value model; Jepsen's append-to-string workloads).
 *
 * A key starts empty; a :get of a key never written returns nil or "" (both are read as the
 * empty string). Values are strings; :append concatenates.
 *
 * States are strings, built as the search goes: a state is a node of a trie whose edges are the
 * pieces put or appended (node 0 is ""), so an append is one table lookup, not a copy of a
 * string that may be megabytes long. The same string reached through different pieces is two
 * nodes (two states the search may both visit: slower, never wrong). A :get compares its string
 * with a node by length and polynomial hash first and then, only when those agree, byte by byte
 * along the node's pieces; the answer is cached. The nodes live until reset (between keys), and
 * bytes() counts them for the memory budget.
 *
 * Pruning: an :info :put or :append of a non-empty v is left out when no :ok :get of its key
 * that returned after its invocation returned a string containing v. From the moment it takes
 * effect until the next :put, the key's string contains v, so no :ok :get falls in that
 * stretch; leaving it out changes only strings nobody read. (The scan is bounded: past
 * PRUNE_SCAN_BYTES the remaining operations are kept, which is always sound.)
 */
#include "reports/history/model.h"

#include <string.h>

enum { KV_GET, KV_PUT, KV_APPEND };

#define HASH_BASE 0x100000001b3ULL

typedef struct {
    uint32_t parent, piece;
    uint64_t len, hash;
} Node;

/* An open-addressing map from nonzero 64-bit keys to 32-bit values. */
typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    gsize mask, count;
} U64Map;

struct HcModelCtx {
    GHashTable *index; /* piece text -> id */
    GPtrArray *texts;  /* piece id -> text (NUL-terminated) */
    GArray *lens;      /* of uint64_t */
    GArray *hashes;    /* of uint64_t */
    GArray *pows;      /* of uint64_t: HASH_BASE^len */
    GArray *nodes;     /* of Node; [0] is "" */
    U64Map children;   /* (parent << 32 | piece) -> node */
    U64Map equal;      /* (node << 32 | piece) -> 1 + (node's string == piece) */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static void map_init(U64Map *m, gsize cap)
{
    m->keys = g_new0(uint64_t, cap);
    m->vals = g_new(uint32_t, cap);
    m->mask = cap - 1;
    m->count = 0;
}

static void map_clear(U64Map *m)
{
    g_free(m->keys);
    g_free(m->vals);
}

static uint32_t *map_slot(U64Map *m, uint64_t key, gboolean *found)
{
    gsize i = mix(key) & m->mask;
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & m->mask;
    *found = m->keys[i] == key;
    if (!*found) {
        m->keys[i] = key;
        m->count++;
    }
    return &m->vals[i];
}

/* The value slot of `key`, inserted if new (*found FALSE: the caller sets it). */
static uint32_t *map_get(U64Map *m, uint64_t key, gboolean *found)
{
    if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
        U64Map big;
        map_init(&big, 2 * (m->mask + 1));
        for (gsize i = 0; i <= m->mask; i++) {
            if (m->keys[i]) {
                gboolean f;
                *map_slot(&big, m->keys[i], &f) = m->vals[i];
            }
        }
        map_clear(m);
        *m = big;
    }
    return map_slot(m, key, found);
}

static gsize map_bytes(const U64Map *m)
{
    return (m->mask + 1) * (sizeof(uint64_t) + sizeof(uint32_t));
}

static uint32_t piece_id(HcModelCtx *c, const char *text, gsize len)
{
    gpointer id;
    if (g_hash_table_lookup_extended(c->index, text, NULL, &id))
        return GPOINTER_TO_UINT(id);
    uint64_t h = 0, pow = 1;
    for (gsize i = 0; i < len; i++) {
        h = h * HASH_BASE + (unsigned char)text[i];
        pow *= HASH_BASE;
    }
    char *own = g_strndup(text, len);
    g_ptr_array_add(c->texts, own);
    g_array_append_val(c->lens, len);
    g_array_append_val(c->hashes, h);
    g_array_append_val(c->pows, pow);
    g_hash_table_insert(c->index, own, GUINT_TO_POINTER(c->texts->len - 1));
    return c->texts->len - 1;
}

static void reset(HcModelCtx *c)
{
    g_array_set_size(c->nodes, 1);
    map_clear(&c->children);
    map_clear(&c->equal);
    map_init(&c->children, 64);
    map_init(&c->equal, 64);
}

static HcModelCtx *ctx_new(void)
{
    HcModelCtx *c = g_new0(HcModelCtx, 1);
    c->index = g_hash_table_new(g_str_hash, g_str_equal);
    c->texts = g_ptr_array_new_with_free_func(g_free);
    c->lens = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    c->hashes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    c->pows = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    c->nodes = g_array_new(FALSE, TRUE, sizeof(Node));
    g_array_set_size(c->nodes, 1);
    map_init(&c->children, 64);
    map_init(&c->equal, 64);
    piece_id(c, "", 0);
    return c;
}

static void ctx_free(HcModelCtx *c)
{
    g_hash_table_destroy(c->index);
    g_ptr_array_unref(c->texts);
    g_array_free(c->lens, TRUE);
    g_array_free(c->hashes, TRUE);
    g_array_free(c->pows, TRUE);
    g_array_free(c->nodes, TRUE);
    map_clear(&c->children);
    map_clear(&c->equal);
    g_free(c);
}

static gsize bytes(HcModelCtx *c)
{
    return c->nodes->len * sizeof(Node) + map_bytes(&c->children) + map_bytes(&c->equal);
}

/* A string value (nil allowed when `nil_ok`, as ""); FALSE if the value is another kind. */
static gboolean string_of(const HcValue *v, gboolean nil_ok, const char **text, gsize *len)
{
    if (!v && nil_ok) {
        *text = "";
        *len = 0;
        return TRUE;
    }
    if (!v || v->kind != HC_STRING)
        return FALSE;
    *text = v->u.s.text;
    *len = v->u.s.len;
    return TRUE;
}

static gboolean prepare(HcModelCtx *c, HcOp *op, const char *f, gboolean *drop, GError **error)
{
    const char *text;
    gsize len;
    if (strcmp(f, "get") == 0) {
        op->code = KV_GET;
        op->pure = TRUE;
        *drop = op->type != HC_OK;
        if (*drop)
            return TRUE;
        if (!string_of(op->out, TRUE, &text, &len)) {
            g_set_error(error, HC_ERROR, HC_AT_COMPLETION,
                        "kv values are strings: :get returned %s (--model durasim-kv takes "
                        "integers)",
                        hc_value_kind_name(op->out->kind));
            return FALSE;
        }
        op->r = piece_id(c, text, len);
        op->has_out = TRUE;
        return TRUE;
    }
    op->code = strcmp(f, "put") == 0 ? KV_PUT : KV_APPEND;
    const HcValue *v = hc_op_input(op);
    if (!string_of(v, FALSE, &text, &len)) {
        g_set_error(error, HC_ERROR, 0,
                    "kv values are strings: :%s of %s (--model durasim-kv takes integers)", f,
                    v ? hc_value_kind_name(v->kind) : "nil");
        return FALSE;
    }
    op->a = piece_id(c, text, len);
    return TRUE;
}

static HcState init(HcModelCtx *c)
{
    return (HcState){0, 0};
}

static uint32_t child(HcModelCtx *c, uint32_t parent, uint32_t piece)
{
    gboolean found;
    uint32_t *slot = map_get(&c->children, (uint64_t)parent << 32 | piece, &found);
    if (found)
        return *slot;
    const Node *p = &g_array_index(c->nodes, Node, parent);
    Node n = {.parent = parent,
              .piece = piece,
              .len = p->len + g_array_index(c->lens, uint64_t, piece),
              .hash = p->hash * g_array_index(c->pows, uint64_t, piece) +
                      g_array_index(c->hashes, uint64_t, piece)};
    g_assert(c->nodes->len < G_MAXUINT32);
    g_array_append_val(c->nodes, n);
    *slot = c->nodes->len - 1;
    return *slot;
}

/* The string of `node` equals piece `p`, byte by byte along the node's pieces. */
static gboolean walk_equal(HcModelCtx *c, uint32_t node, uint32_t p)
{
    const char *text = g_ptr_array_index(c->texts, p);
    uint64_t end = g_array_index(c->lens, uint64_t, p);
    while (node) {
        const Node *n = &g_array_index(c->nodes, Node, node);
        uint64_t plen = g_array_index(c->lens, uint64_t, n->piece);
        end -= plen;
        if (memcmp(text + end, g_ptr_array_index(c->texts, n->piece), plen) != 0)
            return FALSE;
        node = n->parent;
    }
    return end == 0;
}

static gboolean node_equals(HcModelCtx *c, uint32_t node, uint32_t p)
{
    const Node *n = &g_array_index(c->nodes, Node, node);
    if (n->len != g_array_index(c->lens, uint64_t, p) ||
        n->hash != g_array_index(c->hashes, uint64_t, p))
        return FALSE;
    if (node == 0 || (n->parent == 0 && n->piece == p))
        return TRUE;
    gboolean found;
    uint32_t *slot = map_get(&c->equal, (uint64_t)node << 32 | p, &found);
    if (!found)
        *slot = 1 + (uint32_t)walk_equal(c, node, p);
    return *slot == 2;
}

static gboolean step(HcModelCtx *c, HcState s, const HcOp *op, HcState *out)
{
    *out = s;
    switch (op->code) {
    case KV_GET:
        return node_equals(c, (uint32_t)s.a, (uint32_t)op->r);
    case KV_PUT:
        out->a = op->a == 0 ? 0 : child(c, 0, (uint32_t)op->a);
        return TRUE;
    default:
        if (op->a != 0)
            out->a = child(c, (uint32_t)s.a, (uint32_t)op->a);
        return TRUE;
    }
}

/* The node's string, the end of it when longer than `max` ("..." first). */
static void describe(HcModelCtx *c, HcState s, gsize max, GString *out)
{
    GPtrArray *pieces = g_ptr_array_new();
    uint64_t total = 0;
    for (uint32_t node = (uint32_t)s.a; node && total <= max;) {
        const Node *n = &g_array_index(c->nodes, Node, node);
        g_ptr_array_add(pieces, g_ptr_array_index(c->texts, n->piece));
        total += g_array_index(c->lens, uint64_t, n->piece);
        node = n->parent;
    }
    GString *s2 = g_string_new(NULL);
    for (guint i = pieces->len; i > 0; i--)
        g_string_append(s2, g_ptr_array_index(pieces, i - 1));
    HcValue v = {.kind = HC_STRING, .u.s = {s2->str, s2->len}};
    GString *quoted = g_string_new(NULL);
    hc_value_canonical(&v, quoted);
    const Node *top = &g_array_index(c->nodes, Node, (uint32_t)s.a);
    if (top->len > s2->len || quoted->len > max + 2) {
        gsize keep = MIN(max, quoted->len - 1);
        const char *from = quoted->str + quoted->len - keep;
        while (from > quoted->str + 1 && ((unsigned char)*from & 0xC0) == 0x80)
            from--;
        g_string_append(out, "\"...");
        g_string_append(out, from);
    } else {
        g_string_append(out, quoted->str);
    }
    g_string_free(quoted, TRUE);
    g_string_free(s2, TRUE);
    g_ptr_array_free(pieces, TRUE);
}

#define PRUNE_SCAN_BYTES ((gsize)256 << 20)

static void prune(HcModelCtx *c, const HcOp *ops, guint n, gboolean *drop)
{
    /* The :ok gets of each key, in invocation order. */
    GHashTable *gets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < n; i++) {
        if (ops[i].code != KV_GET || ops[i].type != HC_OK)
            continue;
        gpointer key = GUINT_TO_POINTER(ops[i].key + 1);
        GPtrArray *list = g_hash_table_lookup(gets, key);
        if (!list) {
            list = g_ptr_array_new();
            g_hash_table_insert(gets, key, list);
        }
        g_ptr_array_add(list, (gpointer)&ops[i]);
    }
    gsize scanned = 0;
    for (guint i = 0; i < n && scanned < PRUNE_SCAN_BYTES; i++) {
        const HcOp *op = &ops[i];
        gsize vlen = g_array_index(c->lens, uint64_t, op->a);
        if (op->code == KV_GET || op->type == HC_OK || vlen == 0)
            continue;
        const char *v = g_ptr_array_index(c->texts, op->a);
        GPtrArray *list = g_hash_table_lookup(gets, GUINT_TO_POINTER(op->key + 1));
        gboolean seen = FALSE;
        for (guint g = 0; list && g < list->len && !seen; g++) {
            const HcOp *get = g_ptr_array_index(list, g);
            if (get->ret < op->call)
                continue;
            gsize glen = g_array_index(c->lens, uint64_t, get->r);
            scanned += glen;
            seen = memmem(g_ptr_array_index(c->texts, get->r), glen, v, vlen) != NULL;
        }
        drop[i] = !seen && scanned < PRUNE_SCAN_BYTES;
    }
    g_hash_table_destroy(gets);
}

static const char *const kv_fs[] = {"get", "put", "append", NULL};

const HcModel hc_model_kv = {
    .name = "kv",
    .summary = "strings per key: :get, :put v, :append v (a key starts \"\"; nil reads as \"\")",
    .fs = kv_fs,
    .ctx_new = ctx_new,
    .ctx_free = ctx_free,
    .prepare = prepare,
    .init = init,
    .step = step,
    .describe = describe,
    .reset = reset,
    .bytes = bytes,
    .prune = prune,
};
