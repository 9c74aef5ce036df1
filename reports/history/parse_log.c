/* reports/history/parse_log.c — one line of a Jepsen log (jepsen-log).
 *
 * Jepsen logs every operation through jepsen.util as tab-separated fields after the logger's
 * prefix: process, type, f, value (as EDN), and optionally an error:
 *   INFO  jepsen.util - 3	:invoke	:cas	[1 4]
 *   INFO  jepsen.util - 4	:info	:write	:timed-out
 * Lines of other loggers, and jepsen.util lines that are not operations (their second field is
 * not a type), are not events. A line that starts as an operation (a process, then :invoke,
 * :ok, :fail or :info) must be a whole one. White space of any kind separates the fields; the
 * value is read as one EDN form, and whatever follows it (after white space) is the error text.
 */
#include "reports/history/parse.h"
#include "reports/history/reader.h"

#include <string.h>

static const char *find(const char *p, const char *end, const char *what)
{
    gsize n = strlen(what);
    for (; p + n <= end; p++)
        if (memcmp(p, what, n) == 0)
            return p;
    return NULL;
}

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The next white-space-separated field; NULL at the end. */
static const char *field(const char **p, const char *end, gsize *len)
{
    while (*p < end && is_space(**p))
        (*p)++;
    if (*p >= end)
        return NULL;
    const char *from = *p;
    while (*p < end && !is_space(**p))
        (*p)++;
    *len = (gsize)(*p - from);
    return from;
}

/* The process field: an integer (a client), or a keyword such as :nemesis (not a client).
 * FALSE if it is neither: the line is not an operation. */
static gboolean read_process(const char *f, gsize len, HcEvent *ev)
{
    if (len > 1 && f[0] == ':') {
        ev->client = FALSE;
        return TRUE;
    }
    gsize i = f[0] == '-' ? 1 : 0;
    if (i == len || len - i > 18)
        return FALSE;
    for (gsize k = i; k < len; k++)
        if (f[k] < '0' || f[k] > '9')
            return FALSE;
    char buf[24];
    memcpy(buf, f, len);
    buf[len] = '\0';
    ev->client = TRUE;
    ev->process = g_ascii_strtoll(buf, NULL, 10);
    return TRUE;
}

static gboolean fail_at(const char *line, const char *at, char **message, const char *what)
{
    *message = g_strdup_printf("column %u: %s", (guint)(at - line) + 1, what);
    return FALSE;
}

gboolean hc_parse_log_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                           gboolean *is_event, char **message)
{
    const char *end = line + len;
    *is_event = FALSE;
    const char *at = find(line, end, "jepsen.util");
    if (!at)
        return TRUE; /* another logger's line */
    const char *p = at + strlen("jepsen.util");
    while (p < end && (is_space(*p) || *p == '-' || *p == ':'))
        p++;
    gsize n;
    const char *proc = field(&p, end, &n);
    if (!proc || !read_process(proc, n, ev))
        return TRUE; /* a message, not an operation */
    const char *type = field(&p, end, &n);
    if (!type || n < 2 || type[0] != ':')
        return TRUE;
    g_autofree char *tname = g_strndup(type + 1, n - 1);
    if (!hc_type_parse(tname, &ev->type))
        return TRUE;
    *is_event = TRUE;
    const char *f = field(&p, end, &n);
    if (!f || n < 2 || f[0] != ':')
        return fail_at(line, f ? f : end, message, "the operation's name (a keyword) is missing");
    ev->f = hc_arena_strndup(arena, f + 1, n - 1);
    HcReader r;
    hc_reader_init(&r, arena, line, len);
    r.p = p;
    if (!hc_edn_skip(&r))
        return fail_at(line, end, message, "the operation's value is missing");
    HcValue *v = hc_edn_read(&r);
    if (v && r.p < end && !is_space(*r.p))
        hc_reader_fail(&r, "unexpected text after the value");
    if (r.error) {
        *message = g_steal_pointer(&r.error);
        return FALSE;
    }
    ev->value = v;
    ev->key = NULL;
    return TRUE;
}
