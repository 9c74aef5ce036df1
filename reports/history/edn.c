/* reports/history/edn.c — a strict reader of the EDN that Jepsen histories are written in.
 *
 * Accepted: nil, true, false, integers (64-bit, optional N), other numbers (kept as text),
 * strings (escapes \" \\ \n \t \r \b \f \uXXXX), keywords, symbols, vectors, lists, maps, sets,
 * tagged values (#inst "..."), and ; comments; commas are white space.
 * Refused, with the column: characters (\c), metadata (^), the discard (#_), namespaced maps
 * (#:ns{}), reader conditionals, ::auto-resolved keywords, a map with an odd number of forms,
 * unbalanced or mismatched brackets, nesting deeper than HC_READER_DEPTH.
 */
#include "reports/history/reader.h"

#include <string.h>

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '\f';
}

static gboolean is_delim(char c)
{
    return is_space(c) || strchr("()[]{}\";", c) != NULL;
}

static gboolean is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static gboolean is_symbol_char(char c)
{
    return g_ascii_isalnum(c) || strchr(".*+!-_?$%&=<>/'#:", c) != NULL || (unsigned char)c >= 0x80;
}

gboolean hc_edn_skip(HcReader *r)
{
    while (r->p < r->end) {
        if (is_space(*r->p)) {
            r->p++;
        } else if (*r->p == ';') {
            while (r->p < r->end && *r->p != '\n')
                r->p++;
        } else {
            return TRUE;
        }
    }
    return FALSE;
}

/* The text of a symbol or keyword name at the cursor; *len 0 if there is none. */
static const char *token(HcReader *r, gsize *len)
{
    const char *from = r->p;
    while (r->p < r->end && !is_delim(*r->p))
        r->p++;
    *len = (gsize)(r->p - from);
    for (gsize i = 0; i < *len; i++) {
        if (!is_symbol_char(from[i])) {
            r->p = from + i;
            *len = 0;
            return NULL;
        }
    }
    return from;
}

static HcValue *named(HcReader *r, HcValueKind kind, const char *text, gsize len)
{
    if (!g_utf8_validate(text, (gssize)len, NULL))
        return hc_reader_fail(r, "a name is not valid UTF-8");
    HcValue *v = hc_value_new(r->arena, kind);
    v->u.s.text = hc_arena_strndup(r->arena, text, len);
    v->u.s.len = len;
    return v;
}

static HcValue *keyword(HcReader *r)
{
    const char *at = r->p++;
    if (r->p < r->end && *r->p == ':') {
        r->p = at;
        return hc_reader_fail(r, "auto-resolved keywords (::name) are not supported");
    }
    gsize len;
    const char *text = token(r, &len);
    if (!text || len == 0) {
        if (!text && r->p < r->end)
            return hc_reader_fail(r, "unexpected character '%c' in a keyword", *r->p);
        r->p = at;
        return hc_reader_fail(r, "a keyword needs a name after ':'");
    }
    return named(r, HC_KEYWORD, text, len);
}

static HcValue *symbol(HcReader *r)
{
    gsize len;
    const char *at = r->p;
    const char *text = token(r, &len);
    if (!text || len == 0) {
        if (r->p < r->end && (unsigned char)*r->p >= 0x20 && (unsigned char)*r->p < 0x7f)
            return hc_reader_fail(r, "unexpected character '%c'", *r->p);
        return hc_reader_fail(r, "unexpected byte 0x%02x", (unsigned char)*r->p);
    }
    if (len == 3 && memcmp(text, "nil", 3) == 0)
        return hc_value_new(r->arena, HC_NIL);
    if ((len == 4 && memcmp(text, "true", 4) == 0) || (len == 5 && memcmp(text, "false", 5) == 0)) {
        HcValue *v = hc_value_new(r->arena, HC_BOOL);
        v->u.b = len == 4;
        return v;
    }
    if (text[0] == ':' || text[0] == '#' || text[0] == '\'') {
        r->p = at;
        return hc_reader_fail(r, "unexpected character '%c'", text[0]);
    }
    return named(r, HC_SYMBOL, text, len);
}

/* The items of a collection up to `close`; the cursor after the opening bracket. */
static HcValue *collection(HcReader *r, HcValueKind kind, char close, const char *open)
{
    if (++r->depth > HC_READER_DEPTH)
        return hc_reader_fail(r, "nested deeper than %d", HC_READER_DEPTH);
    GPtrArray *items = g_ptr_array_new();
    for (;;) {
        if (!hc_edn_skip(r)) {
            r->p = open;
            g_ptr_array_free(items, TRUE);
            return hc_reader_fail(r, "'%c' not closed before the end of the line", *open);
        }
        if (*r->p == close) {
            r->p++;
            break;
        }
        if (strchr(")]}", *r->p)) {
            g_ptr_array_free(items, TRUE);
            return hc_reader_fail(r, "'%c' closes nothing here (expected '%c')", *r->p, close);
        }
        HcValue *item = hc_edn_read(r);
        if (!item) {
            g_ptr_array_free(items, TRUE);
            return NULL;
        }
        g_ptr_array_add(items, item);
    }
    r->depth--;
    if (kind == HC_MAP && items->len % 2) {
        r->p = open;
        g_ptr_array_free(items, TRUE);
        return hc_reader_fail(r, "a map needs a value for every key");
    }
    return hc_reader_collection(r, kind, items);
}

/* '#' forms: sets and tagged values. */
static HcValue *dispatch(HcReader *r)
{
    const char *at = r->p++;
    if (r->p >= r->end)
        return hc_reader_fail(r, "'#' at the end of the line");
    if (*r->p == '{') {
        r->p++;
        return collection(r, HC_SET, '}', at);
    }
    if (!g_ascii_isalpha(*r->p)) {
        r->p = at;
        return hc_reader_fail(r, "unsupported '#%c' form", r->p[1]);
    }
    gsize len;
    const char *tag = token(r, &len);
    if (!tag || len == 0)
        return hc_reader_fail(r, "bad tag after '#'");
    if (++r->depth > HC_READER_DEPTH)
        return hc_reader_fail(r, "nested deeper than %d", HC_READER_DEPTH);
    if (!hc_edn_skip(r))
        return hc_reader_fail(r, "a tag needs a value");
    HcValue *inner = hc_edn_read(r);
    r->depth--;
    if (!inner)
        return NULL;
    HcValue *v = named(r, HC_TAGGED, tag, len);
    if (!v)
        return NULL;
    v->n = 1;
    v->items = hc_arena_alloc(r->arena, sizeof(HcValue *));
    v->items[0] = inner;
    return v;
}

HcValue *hc_edn_read(HcReader *r)
{
    if (!hc_edn_skip(r))
        return hc_reader_fail(r, "a value was expected before the end of the line");
    const char *at = r->p;
    char c = *r->p;
    switch (c) {
    case '{':
        r->p++;
        return collection(r, HC_MAP, '}', at);
    case '[':
        r->p++;
        return collection(r, HC_VECTOR, ']', at);
    case '(':
        r->p++;
        return collection(r, HC_LIST, ')', at);
    case '#':
        return dispatch(r);
    case '"':
        return hc_reader_string(r, FALSE);
    case ':':
        return keyword(r);
    case '\\':
        return hc_reader_fail(r, "characters (\\c) are not supported");
    case '^':
        return hc_reader_fail(r, "metadata (^) is not supported");
    case ')':
    case ']':
    case '}':
        return hc_reader_fail(r, "'%c' closes nothing", c);
    default:
        break;
    }
    gboolean sign = (c == '-' || c == '+') && r->p + 1 < r->end && is_digit(r->p[1]);
    if (is_digit(c) || sign) {
        HcValue *v = hc_reader_number(r, FALSE);
        if (v && r->p < r->end && !is_delim(*r->p))
            return hc_reader_fail(r, "unexpected '%c' after a number", *r->p);
        return v;
    }
    return symbol(r);
}
