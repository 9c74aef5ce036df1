/* reports/history/parse.c — formats, their detection, the line loop, and the fields of an event
 * that the EDN and JSON formats share. */
#include "reports/history/parse.h"

#include <string.h>

G_DEFINE_QUARK(durasim - history - error - quark, hc_error)

static const char *const format_names[] = {"auto", "jepsen-edn", "jepsen-log", "json"};

gboolean hc_format_parse(const char *name, HcFormat *out)
{
    for (guint i = 1; i < G_N_ELEMENTS(format_names); i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (HcFormat)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *hc_format_name(HcFormat f)
{
    return format_names[f];
}

static const char *const type_names[] = {"invoke", "ok", "fail", "info"};

gboolean hc_type_parse(const char *name, HcType *out)
{
    for (guint i = 0; i < G_N_ELEMENTS(type_names); i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (HcType)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *hc_type_name(HcType t)
{
    return type_names[t];
}

static gboolean is_blank(const char *p, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return FALSE;
    return TRUE;
}

static gboolean line_has(const char *p, gsize len, const char *what)
{
    gsize n = strlen(what);
    for (gsize i = 0; i + n <= len; i++)
        if (memcmp(p + i, what, n) == 0)
            return TRUE;
    return FALSE;
}

gboolean hc_format_detect(const char *text, gsize len, HcFormat *out)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        gsize n = nl ? (gsize)(nl - p) : (gsize)(end - p);
        if (!is_blank(p, n)) {
            gsize i = 0;
            while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
            if (i < n && p[i] != '{' && line_has(p, n, "jepsen.")) {
                *out = HC_FORMAT_JEPSEN_LOG; /* a line of a Jepsen logger */
                return TRUE;
            }
            if (i >= n || p[i] != '{')
                return FALSE;
            for (i++; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','); i++)
                ;
            if (i < n && (p[i] == ':' || p[i] == '"')) {
                *out = p[i] == ':' ? HC_FORMAT_JEPSEN_EDN : HC_FORMAT_JSON;
                return TRUE;
            }
            return FALSE;
        }
        p = nl ? nl + 1 : end;
    }
    return FALSE;
}

gboolean hc_format_resolve(const char *text, gsize len, const char *file, HcFormat *format,
                           GError **error)
{
    if (*format != HC_FORMAT_AUTO || hc_format_detect(text, len, format))
        return TRUE;
    g_set_error(error, HC_ERROR, 0,
                "%s:1: cannot tell the format from the first line (give --format jepsen-edn, "
                "jepsen-log or json)",
                file);
    return FALSE;
}

typedef gboolean (*LineFn)(const char *, gsize, HcArena *, HcEvent *, gboolean *, char **);

gboolean hc_parse_buffer(const char *text, gsize len, HcFormat format, const char *file,
                         HcEventFn fn, gpointer data, GError **error)
{
    if (!hc_format_resolve(text, len, file, &format, error))
        return FALSE;
    LineFn parse_line = format == HC_FORMAT_JEPSEN_EDN   ? hc_parse_edn_line
                        : format == HC_FORMAT_JEPSEN_LOG ? hc_parse_log_line
                                                         : hc_parse_json_line;
    HcArena arena;
    hc_arena_init(&arena);
    const char *p = text, *end = text + len;
    guint line = 0;
    gboolean ok = TRUE;
    while (ok && p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        gsize n = nl ? (gsize)(nl - p) : (gsize)(end - p);
        line++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        HcEvent ev = {.line = line};
        gboolean is_event = FALSE;
        char *message = NULL;
        if (!is_blank(p, n)) {
            if (!parse_line(p, n, &arena, &ev, &is_event, &message)) {
                g_set_error(error, HC_ERROR, 0, "%s:%u: %s", file, line, message);
                ok = FALSE;
            } else if (is_event) {
                GError *e = NULL;
                if (!fn(&ev, data, &e)) {
                    g_set_error(error, HC_ERROR, 0, "%s:%u: %s", file, line, e->message);
                    g_error_free(e);
                    ok = FALSE;
                }
            }
        }
        g_free(message);
        hc_arena_reset(&arena);
        p = nl ? nl + 1 : end;
    }
    hc_arena_clear(&arena);
    return ok;
}

/* A name field (:type, :f): a keyword in EDN, a string in JSON. */
static const char *name_of(const HcValue *v, HcValueKind kind)
{
    if (!v || v->kind != kind)
        return NULL;
    return v->u.s.text;
}

gboolean hc_event_from_map(const HcValue *map, HcValueKind key_kind, HcEvent *ev, char **message)
{
    const char *what = key_kind == HC_KEYWORD ? "an EDN map" : "a JSON object";
    const char *pre = key_kind == HC_KEYWORD ? ":" : "";
    HcValueKind name_kind = key_kind == HC_KEYWORD ? HC_KEYWORD : HC_STRING;
    if (map->kind != HC_MAP) {
        *message = g_strdup_printf("a line must hold %s (one event), not a %s", what,
                                   hc_value_kind_name(map->kind));
        return FALSE;
    }
    const HcValue *process = hc_map_get(map, key_kind, "process");
    if (!process) {
        *message = g_strdup_printf("the event has no %sprocess", pre);
        return FALSE;
    }
    ev->client = process->kind == HC_INT;
    ev->process = ev->client ? process->u.i : 0;
    if (!ev->client)
        return TRUE; /* a nemesis or other non-client event: nothing of it is checked */
    const HcValue *type = hc_map_get(map, key_kind, "type");
    const char *tname = name_of(type, name_kind);
    if (!tname || !hc_type_parse(tname, &ev->type)) {
        *message = g_strdup_printf("%stype must be %sinvoke, %sok, %sfail or %sinfo", pre, pre, pre,
                                   pre, pre);
        return FALSE;
    }
    ev->f = name_of(hc_map_get(map, key_kind, "f"), name_kind);
    if (!ev->f) {
        *message = g_strdup_printf("the event has no %sf (%s)", pre,
                                   key_kind == HC_KEYWORD ? "a keyword" : "a string");
        return FALSE;
    }
    ev->key = hc_map_get(map, key_kind, "key");
    ev->value = hc_map_get(map, key_kind, "value");
    return TRUE;
}
