/* reports/history/reader.c — what the EDN and JSON readers share: errors, strings, numbers. */
#include "reports/history/reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void hc_reader_init(HcReader *r, HcArena *arena, const char *text, gsize len)
{
    *r = (HcReader){.start = text, .p = text, .end = text + len, .arena = arena};
}

void hc_reader_clear(HcReader *r)
{
    g_free(r->error);
    r->error = NULL;
}

HcValue *hc_reader_fail(HcReader *r, const char *fmt, ...)
{
    if (r->error)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    r->error = g_strdup_printf("column %u: %s", (guint)(r->p - r->start) + 1, msg);
    return NULL;
}

HcValue *hc_reader_collection(HcReader *r, HcValueKind kind, GPtrArray *items)
{
    HcValue *v = hc_value_new(r->arena, kind);
    v->n = items->len;
    v->items = hc_arena_alloc(r->arena, sizeof(HcValue *) * MAX(items->len, 1));
    if (items->len > 0) /* an empty array's pdata may be NULL */
        memcpy(v->items, items->pdata, sizeof(HcValue *) * items->len);
    g_ptr_array_free(items, TRUE);
    return v;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u"; -1 on error. */
static int read_hex4(HcReader *r)
{
    if (r->end - r->p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(r->p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    r->p += 4;
    return v;
}

/* The code point of a \u escape (the cursor after the 'u'), with JSON's surrogate pairs. */
static gunichar read_unicode_escape(HcReader *r, gboolean *ok)
{
    int hi = read_hex4(r);
    *ok = FALSE;
    if (hi < 0)
        return 0;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
            return 0;
        r->p += 2;
        int lo = read_hex4(r);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *ok = TRUE;
        return 0x10000 + (((gunichar)hi - 0xD800) << 10) + ((gunichar)lo - 0xDC00);
    }
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0;
    *ok = TRUE;
    return (gunichar)hi;
}

/* One escape sequence (the cursor after the backslash) appended to `s`; FALSE if unknown. */
static gboolean read_escape(HcReader *r, gboolean json, GString *s)
{
    char c = *r->p++;
    switch (c) {
    case '"':
    case '\\':
        g_string_append_c(s, c);
        return TRUE;
    case '/':
        if (!json)
            return FALSE;
        g_string_append_c(s, c);
        return TRUE;
    case 'n':
        g_string_append_c(s, '\n');
        return TRUE;
    case 't':
        g_string_append_c(s, '\t');
        return TRUE;
    case 'r':
        g_string_append_c(s, '\r');
        return TRUE;
    case 'b':
        g_string_append_c(s, '\b');
        return TRUE;
    case 'f':
        g_string_append_c(s, '\f');
        return TRUE;
    case 'u': {
        gboolean ok;
        gunichar u = read_unicode_escape(r, &ok);
        if (!ok)
            return FALSE;
        g_string_append_unichar(s, u);
        return TRUE;
    }
    default:
        return FALSE;
    }
}

HcValue *hc_reader_string(HcReader *r, gboolean json)
{
    const char *open = r->p++;
    GString *s = g_string_new(NULL);
    while (r->p < r->end && *r->p != '"') {
        char c = *r->p;
        if (c == '\\') {
            const char *at = r->p++;
            if (r->p >= r->end || !read_escape(r, json, s)) {
                r->p = at;
                g_string_free(s, TRUE);
                return hc_reader_fail(r, "bad escape sequence in a string");
            }
            continue;
        }
        if (json && (unsigned char)c < 0x20) {
            g_string_free(s, TRUE);
            return hc_reader_fail(r, "control character in a string (escape it)");
        }
        g_string_append_c(s, c);
        r->p++;
    }
    if (r->p >= r->end) {
        r->p = open;
        g_string_free(s, TRUE);
        return hc_reader_fail(r, "string not closed before the end of the line");
    }
    r->p++;
    if (memchr(s->str, '\0', s->len)) {
        r->p = open;
        g_string_free(s, TRUE);
        return hc_reader_fail(r, "a string holds a NUL character (not supported)");
    }
    if (!g_utf8_validate(s->str, (gssize)s->len, NULL)) {
        r->p = open;
        g_string_free(s, TRUE);
        return hc_reader_fail(r, "string is not valid UTF-8");
    }
    HcValue *v = hc_value_new(r->arena, HC_STRING);
    v->u.s.text = hc_arena_strndup(r->arena, s->str, s->len);
    v->u.s.len = s->len;
    g_string_free(s, TRUE);
    return v;
}

static gboolean is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Scans digits; returns how many. */
static gsize digits(HcReader *r)
{
    const char *from = r->p;
    while (r->p < r->end && is_digit(*r->p))
        r->p++;
    return (gsize)(r->p - from);
}

/* An integer's text (sign and digits) in 64 bits; FALSE if out of range. */
static gboolean parse_int64(const char *text, gsize len, int64_t *out)
{
    char buf[32];
    if (len >= sizeof buf)
        return FALSE;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    char *stop;
    long long v = strtoll(buf, &stop, 10);
    if (errno != 0 || *stop != '\0')
        return FALSE;
    *out = (int64_t)v;
    return TRUE;
}

HcValue *hc_reader_number(HcReader *r, gboolean json)
{
    const char *from = r->p;
    if (*r->p == '-' || (!json && *r->p == '+'))
        r->p++;
    const char *int_start = r->p;
    if (digits(r) == 0)
        return hc_reader_fail(r, "a number needs digits");
    if (json && *int_start == '0' && r->p - int_start > 1) {
        r->p = from;
        return hc_reader_fail(r, "a JSON number has no leading zeros");
    }
    gsize int_len = (gsize)(r->p - from);
    gboolean integer = TRUE;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        integer = FALSE;
        if (digits(r) == 0 && json)
            return hc_reader_fail(r, "a number needs digits after '.'");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        integer = FALSE;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (digits(r) == 0)
            return hc_reader_fail(r, "a number needs digits in its exponent");
    }
    gboolean big = FALSE;
    if (!json && r->p < r->end && (*r->p == 'N' || *r->p == 'M')) {
        big = *r->p == 'M' || !integer;
        r->p++;
    }
    int64_t i;
    if (integer && !big &&
        parse_int64(*from == '+' ? from + 1 : from, int_len - (*from == '+'), &i)) {
        HcValue *v = hc_value_new(r->arena, HC_INT);
        v->u.i = i;
        return v;
    }
    if (integer && !big && !(!json && r->p[-1] == 'N')) {
        r->p = from;
        return hc_reader_fail(r, "integer out of the 64-bit range");
    }
    HcValue *v = hc_value_new(r->arena, HC_NUMBER);
    v->u.s.len = (gsize)(r->p - from);
    v->u.s.text = hc_arena_strndup(r->arena, from, v->u.s.len);
    return v;
}
