/* reports/history/json.c — a strict JSON reader (RFC 8259) into history values: objects become
 * maps with string keys, arrays vectors, null nil. Duplicate keys in an object are an error.
 */
#include "reports/history/reader.h"

#include <string.h>

gboolean hc_json_skip(HcReader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n'))
        r->p++;
    return r->p < r->end;
}

static HcValue *fail_items(HcReader *r, GPtrArray *items, const char *what)
{
    g_ptr_array_free(items, TRUE);
    return what ? hc_reader_fail(r, "%s", what) : NULL;
}

static gboolean has_key(GPtrArray *items, const HcValue *key)
{
    for (guint i = 0; i < items->len; i += 2) {
        const HcValue *k = g_ptr_array_index(items, i);
        if (k->u.s.len == key->u.s.len && memcmp(k->u.s.text, key->u.s.text, k->u.s.len) == 0)
            return TRUE;
    }
    return FALSE;
}

/* An object or array; the cursor on its opening bracket. */
static HcValue *container(HcReader *r, gboolean object)
{
    const char *open = r->p++;
    char close = object ? '}' : ']';
    if (++r->depth > HC_READER_DEPTH)
        return hc_reader_fail(r, "nested deeper than %d", HC_READER_DEPTH);
    GPtrArray *items = g_ptr_array_new();
    if (hc_json_skip(r) && *r->p == close) {
        r->p++;
        r->depth--;
        return hc_reader_collection(r, object ? HC_MAP : HC_VECTOR, items);
    }
    for (;;) {
        if (!hc_json_skip(r)) {
            r->p = open;
            return fail_items(r, items,
                              object ? "'{' not closed before the end of the line"
                                     : "'[' not closed before the end of the line");
        }
        if (object) {
            if (*r->p != '"')
                return fail_items(r, items, "an object's key must be a string");
            const char *at = r->p;
            HcValue *key = hc_reader_string(r, TRUE);
            if (!key)
                return fail_items(r, items, NULL);
            if (has_key(items, key)) {
                r->p = at;
                return fail_items(r, items, "a key appears twice in one object");
            }
            g_ptr_array_add(items, key);
            if (!hc_json_skip(r) || *r->p != ':')
                return fail_items(r, items, "':' expected after an object's key");
            r->p++;
        }
        HcValue *item = hc_json_read(r);
        if (!item)
            return fail_items(r, items, NULL);
        g_ptr_array_add(items, item);
        if (!hc_json_skip(r)) {
            r->p = open;
            return fail_items(r, items,
                              object ? "'{' not closed before the end of the line"
                                     : "'[' not closed before the end of the line");
        }
        if (*r->p == close) {
            r->p++;
            break;
        }
        if (*r->p != ',')
            return fail_items(r, items,
                              object ? "',' or '}' expected in an object"
                                     : "',' or ']' expected in an array");
        r->p++;
    }
    r->depth--;
    return hc_reader_collection(r, object ? HC_MAP : HC_VECTOR, items);
}

/* true, false, null. */
static HcValue *literal(HcReader *r)
{
    static const char *const words[] = {"true", "false", "null"};
    for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
        gsize len = strlen(words[i]);
        if ((gsize)(r->end - r->p) >= len && memcmp(r->p, words[i], len) == 0) {
            r->p += len;
            if (i == 2)
                return hc_value_new(r->arena, HC_NIL);
            HcValue *v = hc_value_new(r->arena, HC_BOOL);
            v->u.b = i == 0;
            return v;
        }
    }
    if ((unsigned char)*r->p >= 0x20 && (unsigned char)*r->p < 0x7f)
        return hc_reader_fail(r, "unexpected character '%c'", *r->p);
    return hc_reader_fail(r, "unexpected byte 0x%02x", (unsigned char)*r->p);
}

HcValue *hc_json_read(HcReader *r)
{
    if (!hc_json_skip(r))
        return hc_reader_fail(r, "a value was expected before the end of the line");
    char c = *r->p;
    if (c == '{' || c == '[')
        return container(r, c == '{');
    if (c == '"')
        return hc_reader_string(r, TRUE);
    if (c == '-' || (c >= '0' && c <= '9'))
        return hc_reader_number(r, TRUE);
    return literal(r);
}
