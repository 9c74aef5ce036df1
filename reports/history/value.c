/* reports/history/value.c — arena allocation and canonical text of history values. */
#include "reports/history/value.h"

#include <string.h>

#define BLOCK_BYTES (64 * 1024)

struct HcArenaBlock {
    HcArenaBlock *next;
    gsize used, size;
    /* the memory follows, aligned to 16 bytes */
    _Alignas(16) unsigned char mem[];
};

void hc_arena_init(HcArena *a)
{
    a->blocks = NULL;
    a->bytes = 0;
}

void hc_arena_clear(HcArena *a)
{
    HcArenaBlock *b = a->blocks;
    while (b) {
        HcArenaBlock *next = b->next;
        g_free(b);
        b = next;
    }
    a->blocks = NULL;
    a->bytes = 0;
}

void hc_arena_reset(HcArena *a)
{
    if (!a->blocks)
        return;
    /* Keep the oldest block when it is the standard size (a large one was a one-off). */
    HcArenaBlock *last = a->blocks;
    while (last->next)
        last = last->next;
    HcArenaBlock *b = a->blocks;
    while (b != last) {
        HcArenaBlock *next = b->next;
        g_free(b);
        b = next;
    }
    if (last->size != BLOCK_BYTES) {
        g_free(last);
        a->blocks = NULL;
        a->bytes = 0;
        return;
    }
    last->used = 0;
    a->blocks = last;
    a->bytes = sizeof(HcArenaBlock) + last->size;
}

void *hc_arena_alloc(HcArena *a, gsize size)
{
    size = (size + 15) & ~(gsize)15;
    HcArenaBlock *b = a->blocks;
    if (!b || b->size - b->used < size) {
        gsize cap = size > BLOCK_BYTES / 4 ? size : BLOCK_BYTES;
        b = g_malloc(sizeof(HcArenaBlock) + cap);
        b->size = cap;
        b->used = 0;
        a->bytes += sizeof(HcArenaBlock) + cap;
        if (cap != BLOCK_BYTES && a->blocks) {
            /* A large one-off block goes behind the current one, which still has room. */
            b->next = a->blocks->next;
            a->blocks->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    void *p = b->mem + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *hc_arena_strndup(HcArena *a, const char *s, gsize len)
{
    char *p = hc_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

HcValue *hc_value_new(HcArena *a, HcValueKind kind)
{
    HcValue *v = hc_arena_alloc(a, sizeof(HcValue));
    v->kind = kind;
    return v;
}

static gboolean has_text(HcValueKind k)
{
    return k == HC_NUMBER || k == HC_STRING || k == HC_KEYWORD || k == HC_SYMBOL || k == HC_TAGGED;
}

HcValue *hc_value_copy(HcArena *a, const HcValue *v)
{
    HcValue *c = hc_value_new(a, v->kind);
    *c = *v;
    if (has_text(v->kind))
        c->u.s.text = hc_arena_strndup(a, v->u.s.text, v->u.s.len);
    if (v->n) {
        c->items = hc_arena_alloc(a, sizeof(HcValue *) * v->n);
        for (guint i = 0; i < v->n; i++)
            c->items[i] = hc_value_copy(a, v->items[i]);
    }
    return c;
}

const HcValue *hc_map_get(const HcValue *map, HcValueKind key_kind, const char *name)
{
    if (!map || map->kind != HC_MAP)
        return NULL;
    for (guint i = 0; i + 1 < map->n; i += 2) {
        const HcValue *k = map->items[i];
        if (k->kind == key_kind && strcmp(k->u.s.text, name) == 0)
            return map->items[i + 1];
    }
    return NULL;
}

static void append_string(const HcValue *v, GString *out)
{
    g_string_append_c(out, '"');
    for (gsize i = 0; i < v->u.s.len; i++) {
        unsigned char c = (unsigned char)v->u.s.text[i];
        switch (c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            if (c < 0x20)
                g_string_append_printf(out, "\\u%04x", c);
            else
                g_string_append_c(out, (char)c);
        }
    }
    g_string_append_c(out, '"');
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Maps and sets: the texts of their entries, sorted, so that order does not matter. */
static void append_unordered(const HcValue *v, guint per, GString *out)
{
    guint n = v->n / per;
    char **texts = g_new(char *, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        GString *s = g_string_new(NULL);
        hc_value_canonical(v->items[i * per], s);
        if (per == 2) {
            g_string_append_c(s, ' ');
            hc_value_canonical(v->items[i * per + 1], s);
        }
        texts[i] = g_string_free(s, FALSE);
    }
    qsort(texts, n, sizeof *texts, cmp_text);
    g_string_append(out, per == 2 ? "{" : "#{");
    for (guint i = 0; i < n; i++) {
        if (i)
            g_string_append(out, per == 2 ? ", " : " ");
        g_string_append(out, texts[i]);
        g_free(texts[i]);
    }
    g_string_append_c(out, '}');
    g_free(texts);
}

void hc_value_canonical(const HcValue *v, GString *out)
{
    switch (v->kind) {
    case HC_NIL:
        g_string_append(out, "nil");
        break;
    case HC_BOOL:
        g_string_append(out, v->u.b ? "true" : "false");
        break;
    case HC_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, v->u.i);
        break;
    case HC_NUMBER:
    case HC_SYMBOL:
        g_string_append(out, v->u.s.text);
        break;
    case HC_STRING:
        append_string(v, out);
        break;
    case HC_KEYWORD:
        g_string_append_c(out, ':');
        g_string_append(out, v->u.s.text);
        break;
    case HC_VECTOR:
    case HC_LIST: /* Clojure: (= [1 2] '(1 2)) */
        g_string_append_c(out, '[');
        for (guint i = 0; i < v->n; i++) {
            if (i)
                g_string_append_c(out, ' ');
            hc_value_canonical(v->items[i], out);
        }
        g_string_append_c(out, ']');
        break;
    case HC_SET:
        append_unordered(v, 1, out);
        break;
    case HC_MAP:
        append_unordered(v, 2, out);
        break;
    case HC_TAGGED:
        g_string_append_printf(out, "#%s ", v->u.s.text);
        hc_value_canonical(v->items[0], out);
        break;
    }
}

char *hc_value_text(const HcValue *v)
{
    GString *s = g_string_new(NULL);
    hc_value_canonical(v, s);
    return g_string_free(s, FALSE);
}

void hc_value_describe(const HcValue *v, gsize max, GString *out)
{
    gsize start = out->len;
    hc_value_canonical(v, out);
    if (out->len - start > max + 3) {
        /* Cut at a character boundary. */
        const char *cut = g_utf8_find_prev_char(out->str + start, out->str + start + max + 1);
        g_string_truncate(out, cut ? (gsize)(cut - out->str) : start + max);
        g_string_append(out, "...");
    }
}

const char *hc_value_kind_name(HcValueKind kind)
{
    static const char *names[] = {"nil",    "boolean", "integer", "number", "string", "keyword",
                                  "symbol", "vector",  "list",    "set",    "map",    "tagged"};
    return names[kind];
}
