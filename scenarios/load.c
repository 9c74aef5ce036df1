/* scenarios/load.c — reads a scenario file strictly: every group, key and value is checked, and
 * anything unknown, missing or malformed is an error naming the file, the line, the group and the
 * key. Nothing is silently ignored.
 *
 * Groups are processed in file order, except that [scenario], [cluster] and [workload] are read
 * first, since node names and defaults depend on them.
 */
#include "scenarios/scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <string.h>

G_DEFINE_QUARK(durasim - scenario - error, scenario_error)

typedef struct {
    const char *origin;
    GKeyFile *kf;
    GHashTable *lines; /* "group" or "group\x1fkey" -> line number; lookups only */
    GPtrArray *groups; /* group names in file order */
    Scenario *s;
    GError **error;
} Loader;

static guint line_of(const Loader *L, const char *group, const char *key)
{
    g_autofree char *k = key ? g_strdup_printf("%s\x1f%s", group, key) : g_strdup(group);
    guint line = GPOINTER_TO_UINT(g_hash_table_lookup(L->lines, k));
    /* A missing key (a required one, or a default that broke a rule): point at its group. */
    if (line == 0 && key)
        line = GPOINTER_TO_UINT(g_hash_table_lookup(L->lines, group));
    return line;
}

/* Sets the error "ORIGIN[:LINE]: [GROUP] KEY: message"; always returns FALSE. A value quoted
 * in the message may hold control characters (GKeyFile decodes \n and \t escapes); they are
 * shown as '?' so that the error stays on one line. */
static gboolean fail_at(Loader *L, guint line, const char *group, const char *key, const char *msg)
{
    GString *s = g_string_new(L->origin);
    if (line)
        g_string_append_printf(s, ":%u", line);
    g_string_append(s, ": ");
    if (group)
        g_string_append_printf(s, "[%s] ", group);
    if (key)
        g_string_append_printf(s, "%s: ", key);
    g_string_append(s, msg);
    for (gsize i = 0; i < s->len; i++)
        if (g_ascii_iscntrl(s->str[i]))
            s->str[i] = '?';
    g_set_error_literal(L->error, SCENARIO_ERROR, 0, s->str);
    g_string_free(s, TRUE);
    return FALSE;
}

static gboolean fail(Loader *L, const char *group, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean fail(Loader *L, const char *group, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return fail_at(L, group ? line_of(L, group, key) : 0, group, key, msg);
}

static gboolean fail_line(Loader *L, guint line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail_line(Loader *L, guint line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return fail_at(L, line, NULL, NULL, msg);
}

/* An error of world_config_validate or fault_plan_validate, which start their messages with
 * "[group] key: "; the line of that key (or group) is added in front. */
static gboolean fail_checked(Loader *L, const GError *e)
{
    const char *msg = e->message;
    guint line = 0;
    const char *close = msg[0] == '[' ? strstr(msg, "] ") : NULL;
    const char *colon = close ? strstr(close + 2, ": ") : NULL;
    if (colon) {
        g_autofree char *group = g_strndup(msg + 1, (gsize)(close - msg - 1));
        g_autofree char *key = g_strndup(close + 2, (gsize)(colon - close - 2));
        line = line_of(L, group, key);
    }
    return fail_at(L, line, NULL, NULL, msg);
}

/* ---- the raw text: line numbers, duplicate groups and keys ---- */

static gboolean has_control(const char *text)
{
    for (const char *p = text; *p; p++)
        if (g_ascii_iscntrl(*p))
            return TRUE;
    return FALSE;
}

/* A line quoted in an error: at most 60 characters. Caller frees. */
static char *excerpt(const char *line)
{
    if (g_utf8_strlen(line, -1) <= 60)
        return g_strdup(line);
    g_autofree char *head = g_utf8_substring(line, 0, 60);
    return g_strconcat(head, "...", NULL);
}

/* A "[group]" line, stripped: records the group and its line. GKeyFile ends a group name at the
 * first ']' and would merge a repeated group into the first, so both are refused here. */
static gboolean scan_group(Loader *L, const char *line, guint no, char **group)
{
    const char *end = strchr(line, ']');
    gsize n = end ? (gsize)(end - line - 1) : 0;
    g_autofree char *name = end ? g_strndup(line + 1, n) : NULL;
    if (!end || end[1] != '\0' || n == 0 || strchr(name, '[') || has_control(name)) {
        g_autofree char *shown = excerpt(line);
        return fail_line(L, no, "malformed group header '%s' (expected [NAME])", shown);
    }
    g_free(*group);
    *group = g_steal_pointer(&name);
    if (g_hash_table_contains(L->lines, *group))
        return fail_line(L, no, "group [%s] appears twice (first at line %u)", *group,
                         line_of(L, *group, NULL));
    g_hash_table_insert(L->lines, g_strdup(*group), GUINT_TO_POINTER(no));
    g_ptr_array_add(L->groups, g_strdup(*group));
    return TRUE;
}

/* A "key = value" line, stripped, in `group` (NULL before the first header): records the key's
 * line. GKeyFile would keep the last of two settings, and drop KEY[locale] translations for
 * other locales without a word, so both are refused here. */
static gboolean scan_key(Loader *L, const char *line, guint no, const char *group)
{
    const char *eq = strchr(line, '=');
    g_autofree char *shown = excerpt(line);
    if (!eq)
        return fail_line(L, no, "'%s' is not KEY = VALUE, a [group] header or a # comment", shown);
    if (!group)
        return fail_line(L, no, "'%s' comes before the first [group] header", shown);
    g_autofree char *key = g_strstrip(g_strndup(line, (gsize)(eq - line)));
    if (*key == '\0')
        return fail_line(L, no, "'%s' has no key before '='", shown);
    if (strchr(key, '[') || strchr(key, ']'))
        return fail_line(L, no, "[%s] %s: a key may not contain '[' or ']' (no KEY[locale])", group,
                         key);
    g_autofree char *k = g_strdup_printf("%s\x1f%s", group, key);
    if (g_hash_table_contains(L->lines, k))
        return fail_line(L, no, "[%s] %s is set twice (first at line %u)", group, key,
                         GPOINTER_TO_UINT(g_hash_table_lookup(L->lines, k)));
    g_hash_table_insert(L->lines, g_steal_pointer(&k), GUINT_TO_POINTER(no));
    return TRUE;
}

/* Reads the raw text for what GKeyFile hides: line numbers, repeated groups and keys. */
static gboolean scan_lines(Loader *L, const char *data, gsize len)
{
    g_autofree char *text = g_strndup(data, len);
    char **lines = g_strsplit(text, "\n", -1);
    g_autofree char *group = NULL;
    gboolean ok = TRUE;
    for (guint i = 0; lines[i] && ok; i++) {
        char *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#')
            continue;
        ok = *line == '[' ? scan_group(L, line, i + 1, &group) : scan_key(L, line, i + 1, group);
    }
    g_strfreev(lines);
    return ok;
}

/* ---- values ---- */

static char *get(Loader *L, const char *group, const char *key)
{
    return g_key_file_get_string(L->kf, group, key, NULL);
}

static gboolean has(Loader *L, const char *group, const char *key)
{
    return g_key_file_has_key(L->kf, group, key, NULL);
}

static gboolean get_uint(Loader *L, const char *group, const char *key, guint64 min, guint64 max,
                         guint64 *out)
{
    g_autofree char *v = get(L, group, key);
    if (!v)
        return TRUE;
    g_strstrip(v);
    char *end = NULL;
    errno = 0;
    if (!g_ascii_isdigit(*v))
        return fail(L, group, key, "'%s' is not a whole number", v);
    guint64 n = g_ascii_strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return fail(L, group, key, "'%s' is not a whole number", v);
    if (n < min || n > max)
        return fail(L, group, key,
                    "%" G_GUINT64_FORMAT " is out of range %" G_GUINT64_FORMAT
                    "..%" G_GUINT64_FORMAT,
                    n, min, max);
    *out = n;
    return TRUE;
}

static gboolean get_guint(Loader *L, const char *group, const char *key, guint min, guint max,
                          guint *out)
{
    guint64 v = *out;
    if (!get_uint(L, group, key, min, max, &v))
        return FALSE;
    *out = (guint)v;
    return TRUE;
}

static gboolean get_int(Loader *L, const char *group, const char *key, Value *out)
{
    g_autofree char *v = get(L, group, key);
    if (!v)
        return TRUE;
    g_strstrip(v);
    char *end = NULL;
    errno = 0;
    gint64 n = g_ascii_strtoll(v, &end, 10);
    if (*v == '\0' || errno != 0 || *end != '\0')
        return fail(L, group, key, "'%s' is not an integer (values are 64-bit integers)", v);
    *out = n;
    return TRUE;
}

static gboolean get_bool(Loader *L, const char *group, const char *key, gboolean *out)
{
    g_autofree char *v = get(L, group, key);
    if (!v)
        return TRUE;
    g_strstrip(v);
    if (!g_ascii_strcasecmp(v, "on") || !g_ascii_strcasecmp(v, "true") ||
        !g_ascii_strcasecmp(v, "yes"))
        *out = TRUE;
    else if (!g_ascii_strcasecmp(v, "off") || !g_ascii_strcasecmp(v, "false") ||
             !g_ascii_strcasecmp(v, "no"))
        *out = FALSE;
    else
        return fail(L, group, key, "'%s' is not on or off", v);
    return TRUE;
}

/* One of an enum key's choices, by name (exact, lower case). */
static gboolean get_enum(Loader *L, const ProtoKey *k, guint *out)
{
    g_autofree char *v = get(L, k->group, k->name);
    if (!v)
        return TRUE;
    g_strstrip(v);
    for (guint i = 0; k->choices[i]; i++) {
        if (strcmp(v, k->choices[i]) == 0) {
            *out = i;
            return TRUE;
        }
    }
    g_autofree char *names = proto_key_choices(k);
    return fail(L, k->group, k->name, "'%s' is not %s", v, names);
}

static gboolean get_time(Loader *L, const char *group, const char *key, gboolean negative,
                         SimTime *out)
{
    g_autofree char *v = get(L, group, key);
    if (!v)
        return TRUE;
    if (!sim_time_parse(v, negative, out))
        return fail(L, group, key,
                    "'%s' is not a duration (an integer and a unit: ns, us, ms, s; e.g. 250us)",
                    g_strstrip(v));
    return TRUE;
}

static gboolean get_range(Loader *L, const char *group, const char *key, SimRange *out)
{
    g_autofree char *v = get(L, group, key);
    if (!v)
        return TRUE;
    if (!sim_range_parse(v, out))
        return fail(L, group, key,
                    "'%s' is not a duration or a range lo..hi with lo <= hi (e.g. 1ms..5ms)",
                    g_strstrip(v));
    return TRUE;
}

/* "0.25", "1", "0": an exact decimal fraction num/10^k. */
static gboolean parse_probability(const char *text, uint64_t *num, uint64_t *den)
{
    const char *p = text;
    uint64_t n = 0, d = 1;
    if (!g_ascii_isdigit(*p))
        return FALSE;
    while (g_ascii_isdigit(*p)) {
        n = n * 10 + (uint64_t)(*p - '0');
        if (n > 1)
            return FALSE;
        p++;
    }
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p))
            return FALSE;
        int digits = 0;
        while (g_ascii_isdigit(*p)) {
            if (++digits > 9)
                return FALSE;
            n = n * 10 + (uint64_t)(*p - '0');
            d *= 10;
            p++;
        }
    }
    if (*p != '\0' || n > d)
        return FALSE;
    if (n == 0) /* "0.0" is 0 and "1.00" is 1: the same draws, and written so */
        d = 1;
    else if (n == d)
        n = d = 1;
    *num = n;
    *den = d;
    return TRUE;
}

/* A data key (of an [op] or a final.KEY): text without spaces or control characters, so that a
 * trace line and a final.KEY expectation can name it, and not reserved (the runner's own keys
 * start with '_', like the liveness probe's _probe). */
static gboolean check_data_key(Loader *L, const char *g, const char *k, const char *key)
{
    for (const char *p = key; *p; p++)
        if (g_ascii_iscntrl(*p) || *p == ' ')
            return fail(L, g, k, "'%s': a key may not contain spaces or control characters", key);
    if (key[0] == '_')
        return fail(L, g, k, "'%s': keys starting with '_' are reserved", key);
    return TRUE;
}

/* A timed event must happen inside the run, or it would silently never happen. */
static gboolean check_before_end(Loader *L, const char *g, SimTime at)
{
    if (at < L->s->config.duration)
        return TRUE;
    char when[48], end[48];
    return fail(L, g, "at", "%s is not before the end of the run ([scenario] duration = %s)",
                sim_time_format_exact(at, when, sizeof when),
                sim_time_format_exact(L->s->config.duration, end, sizeof end));
}

static gboolean name_ok(const char *name)
{
    if (!*name)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return FALSE;
    return TRUE;
}

/* Every key of the group must be in `allowed` (NULL-terminated). */
static gboolean only_keys(Loader *L, const char *group, const char *const *allowed,
                          const char *context)
{
    g_auto(GStrv) keys = g_key_file_get_keys(L->kf, group, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        gboolean ok = FALSE;
        for (int k = 0; allowed[k] && !ok; k++)
            ok = strcmp(keys[i], allowed[k]) == 0;
        if (!ok)
            return fail(L, group, keys[i], "unknown key%s%s", context ? " " : "",
                        context ? context : "");
    }
    return TRUE;
}

/* ---- [scenario], [cluster], [workload] ---- */

/* `bugs`: each must exist and belong to the scenario's protocol, or it would silently do
 * nothing. */
static gboolean load_bugs(Loader *L, const char *g, WorldConfig *c)
{
    g_autofree char *bugs = get(L, g, "bugs");
    if (!bugs)
        return TRUE;
    g_autofree char *bad = NULL;
    if (protocol_bug_parse_list(c->protocol, bugs, &c->bugs, &bad))
        return TRUE;
    g_autofree char *owners = protocol_bug_owners(bad);
    if (owners)
        return fail(L, g, "bugs", "'%s' is a %s bug; this scenario is protocol = %s", bad, owners,
                    c->protocol->name);
    return fail(L, g, "bugs", "unknown bug variant '%s' (durasim bugs lists them)", bad);
}

static gboolean load_scenario_group(Loader *L, Scenario **out)
{
    const char *g = "scenario";
    if (!g_key_file_has_group(L->kf, g))
        return fail(L, NULL, NULL, "no [scenario] group (every scenario file needs one)");
    static const char *const keys[] = {"name",     "summary", "protocol", "seed",
                                       "duration", "settle",  "bugs",     NULL};
    if (!only_keys(L, g, keys, NULL))
        return FALSE;
    g_autofree char *protocol = get(L, g, "protocol");
    g_autofree char *names = protocol_names(" or ");
    if (!protocol)
        return fail(L, g, "protocol", "required (%s)", names);
    const Protocol *p = protocol_find(g_strstrip(protocol));
    if (!p && protocol_missing(protocol)) {
        fail(L, g, "protocol", "'%s' is not in this build: %s", protocol,
             protocol_missing(protocol));
        if (L->error && *L->error)
            (*L->error)->code = SCENARIO_ERROR_NOT_BUILT;
        return FALSE;
    }
    if (!p)
        return fail(L, g, "protocol", "'%s' is not %s", protocol, names);
    Scenario *s = scenario_new(p);
    *out = s;
    L->s = s;
    s->name = get(L, g, "name");
    if (!s->name)
        return fail(L, g, "name", "required");
    g_strstrip(s->name);
    for (const char *c = s->name; *c; c++)
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '-')
            return fail(L, g, "name", "'%s' must match [a-z0-9-]+", s->name);
    if (!*s->name)
        return fail(L, g, "name", "must not be empty");
    s->summary = get(L, g, "summary");
    if (!s->summary || !*g_strstrip(s->summary))
        return fail(L, g, "summary", "required (one line)");
    if (has_control(s->summary))
        return fail(L, g, "summary", "must be one line of text, without control characters");
    return load_bugs(L, g, &s->config) && get_uint(L, g, "seed", 0, UINT64_MAX, &s->config.seed) &&
           get_time(L, g, "duration", FALSE, &s->config.duration) &&
           get_time(L, g, "settle", FALSE, &s->config.settle);
}

/* One of the protocol's own keys, into its configuration struct. */
static gboolean load_proto_key(Loader *L, const ProtoKey *k)
{
    void *field = L->s->config.proto + k->offset;
    switch (k->type) {
    case PROTO_KEY_UINT:
        return get_guint(L, k->group, k->name, k->min, k->max, field);
    case PROTO_KEY_BOOL:
        return get_bool(L, k->group, k->name, field);
    case PROTO_KEY_TIME:
        return get_time(L, k->group, k->name, FALSE, field);
    case PROTO_KEY_RANGE:
        return get_range(L, k->group, k->name, field);
    case PROTO_KEY_ENUM:
        return get_enum(L, k, field);
    }
    g_assert_not_reached();
}

/* Every key of the group is a general one, or the protocol's; another protocol's key is named
 * as such. */
static gboolean check_group_keys(Loader *L, const char *g, const char *const *general)
{
    const Protocol *p = L->s->config.protocol;
    g_auto(GStrv) keys = g_key_file_get_keys(L->kf, g, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        gboolean ok = g_strv_contains(general, keys[i]);
        for (const ProtoKey *k = p->keys; !ok && k->name; k++)
            ok = strcmp(k->group, g) == 0 && strcmp(k->name, keys[i]) == 0;
        if (ok)
            continue;
        const Protocol *other = protocol_of_key(g, keys[i]);
        if (other)
            return fail(L, g, keys[i], "only applies to protocol = %s", other->name);
        return fail(L, g, keys[i], "unknown key");
    }
    return TRUE;
}

static gboolean load_cluster(Loader *L)
{
    const char *g = "cluster";
    WorldConfig *c = &L->s->config;
    const Protocol *p = c->protocol;
    static const char *const keys[] = {"nodes",
                                       "fs",
                                       "kernel",
                                       "disk.atomic_write",
                                       "net.latency",
                                       "disk.write_latency",
                                       "disk.fsync_latency",
                                       "request_timeout",
                                       NULL};
    uint64_t given = 0;
    if (g_key_file_has_group(L->kf, g)) {
        if (!check_group_keys(L, g, keys))
            return FALSE;
        g_autofree char *fs = get(L, g, "fs");
        if (fs && !fs_profile_parse(g_strstrip(fs), &c->fs))
            return fail(L, g, "fs", "'%s' is not ext4-ordered, ext4-journal, xfs or btrfs", fs);
        g_autofree char *kernel = get(L, g, "kernel");
        if (kernel && !fs_kernel_parse(g_strstrip(kernel), &c->kernel))
            return fail(L, g, "kernel", "'%s' is not 4.16, 4.13 or pre-4.13", kernel);
        if (!get_guint(L, g, "disk.atomic_write", 1, 65536, &c->disk_atomic_write))
            return FALSE;
        if (c->disk_atomic_write & (c->disk_atomic_write - 1))
            return fail(L, g, "disk.atomic_write", "%u is not a power of two (bytes, 1 .. 65536)",
                        c->disk_atomic_write);
        if (!get_guint(L, g, "nodes", 1, WORLD_MAX_NODES, &c->nodes) ||
            !get_range(L, g, "net.latency", &c->net_latency) ||
            !get_range(L, g, "disk.write_latency", &c->disk_write_latency) ||
            !get_range(L, g, "disk.fsync_latency", &c->disk_fsync_latency) ||
            !get_time(L, g, "request_timeout", FALSE, &c->request_timeout))
            return FALSE;
    }
    for (guint i = 0; p->keys[i].name; i++) {
        const ProtoKey *k = &p->keys[i];
        g_assert(i < 64);
        if (!g_key_file_has_group(L->kf, k->group) || !has(L, k->group, k->name))
            continue;
        if (!load_proto_key(L, k))
            return FALSE;
        given |= (uint64_t)1 << i;
    }
    p->config_resolve(c, given);
    return TRUE;
}

static gboolean parse_mix(Loader *L, const char *g, WorldConfig *c)
{
    g_autofree char *v = get(L, g, "mix");
    if (!v)
        return TRUE;
    memset(c->mix, 0, sizeof c->mix);
    g_auto(GStrv) parts = g_strsplit_set(g_strstrip(v), " \t,", -1);
    gboolean any = FALSE;
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        char *colon = strchr(parts[i], ':');
        if (!colon)
            return fail(L, g, "mix", "'%s' is not kind:weight (e.g. put:60 get:30 add:10)",
                        parts[i]);
        *colon = '\0';
        int kind = -1;
        for (int k = 0; k < OP_NOOP; k++)
            if (strcmp(parts[i], op_kind_name((OpKind)k)) == 0)
                kind = k;
        if (kind < 0)
            return fail(L, g, "mix", "unknown operation '%s' (put, get, add, delete)", parts[i]);
        char *end;
        errno = 0;
        unsigned long w = strtoul(colon + 1, &end, 10);
        if (!g_ascii_isdigit(colon[1]) || *end || errno || w > 1000000)
            return fail(L, g, "mix", "weight '%s' of %s is not a whole number up to 1000000",
                        colon + 1, parts[i]);
        if (c->mix[kind] != 0)
            return fail(L, g, "mix", "%s appears twice", parts[i]);
        c->mix[kind] = (guint)w;
        any = any || w > 0;
    }
    if (!any)
        return fail(L, g, "mix", "needs at least one operation with a weight above 0");
    return TRUE;
}

static gboolean load_workload(Loader *L)
{
    const char *g = "workload";
    if (!g_key_file_has_group(L->kf, g))
        return TRUE;
    static const char *const keys[] = {"clients",        "ops", "keys", "mix", "client.timeout",
                                       "client.retries", NULL};
    WorldConfig *c = &L->s->config;
    return only_keys(L, g, keys, NULL) &&
           get_guint(L, g, "clients", 1, WORLD_MAX_CLIENTS, &c->clients) &&
           get_guint(L, g, "ops", 0, WORLD_MAX_OPS, &c->ops) &&
           get_guint(L, g, "keys", 1, 1000000, &c->keys) && parse_mix(L, g, c) &&
           get_time(L, g, "client.timeout", FALSE, &c->client_timeout) &&
           get_guint(L, g, "client.retries", 0, 100, &c->client_retries);
}

/* ---- [op NAME] ---- */

/* An operation on the cluster (add-server, remove-server, transfer-leader): `server` names the
 * server (a transfer may leave it out: the leader picks one); no key, value or idempotency. */
static gboolean load_admin_op(Loader *L, const char *g, ScriptedOp *op, const char *kind)
{
    const WorldConfig *c = &L->s->config;
    static const char *const keys[] = {"at", "client", "kind", "server", NULL};
    g_autofree char *context = g_strdup_printf("for kind = %s", kind);
    if (!only_keys(L, g, keys, context))
        return FALSE;
    op->value = -1;
    g_autofree char *server = get(L, g, "server");
    if (!server) {
        if (op->kind == OP_TRANSFER)
            return TRUE;
        return fail(L, g, "server", "required for %s (a server, n1..n%u)", kind,
                    world_config_node_count(c));
    }
    g_strstrip(server);
    EndpointId id;
    if (!world_config_endpoint_parse(c, server, &id) || id >= world_config_node_count(c))
        return fail(L, g, "server", "'%s' is not a server of this cluster (n1..n%u)", server,
                    world_config_node_count(c));
    op->value = id;
    return TRUE;
}

/* The kind of an [op]: a data operation, or an operation on the cluster the protocol has. */
static gboolean parse_op_kind(Loader *L, const char *g, const char *kind, OpKind *out)
{
    const Protocol *p = L->s->config.protocol;
    for (int i = 0; i < OP_KIND_COUNT; i++) {
        if (i == OP_NOOP || strcmp(kind, op_kind_name((OpKind)i)) != 0)
            continue;
        if (op_kind_is_admin((OpKind)i) && !((p->admin_ops >> i) & 1))
            return fail(L, g, "kind", "'%s' is not an operation of protocol %s", kind, p->name);
        *out = (OpKind)i;
        return TRUE;
    }
    return fail(L, g, "kind", "'%s' is not put, get, add or delete%s", kind,
                p->admin_ops ? " (or add-server, remove-server, transfer-leader)" : "");
}

static gboolean load_op(Loader *L, const char *g, const char *name)
{
    const WorldConfig *c = &L->s->config;
    static const char *const keys[] = {"at", "client", "kind", "key", "value", "idempotency", NULL};
    g_autofree char *kind = get(L, g, "kind");
    if (!kind)
        return fail(L, g, "kind", "required (put, get, add or delete)");
    g_strstrip(kind);
    OpKind k = OP_PUT;
    if (!parse_op_kind(L, g, kind, &k))
        return FALSE;
    if (!op_kind_is_admin(k) && !only_keys(L, g, keys, NULL))
        return FALSE;
    ScriptedOp *op = scripted_op_new();
    g_ptr_array_add(L->s->config.scripted, op);
    op->name = g_strdup(name);
    if (!has(L, g, "at"))
        return fail(L, g, "at", "required (when the client invokes it, e.g. 0ms)");
    if (!get_time(L, g, "at", FALSE, &op->at) || !check_before_end(L, g, op->at))
        return FALSE;
    g_autofree char *client = get(L, g, "client");
    if (client) {
        EndpointId id;
        g_strstrip(client);
        if (!world_config_endpoint_parse(c, client, &id) || id < world_config_server_count(c))
            return fail(L, g, "client", "'%s' is not a client (c1..c%u)", client, c->clients);
        op->client = id - world_config_server_count(c);
    }
    op->kind = k;
    if (op_kind_is_admin(k))
        return load_admin_op(L, g, op, kind);
    op->key = get(L, g, "key");
    if (!op->key || !*g_strstrip(op->key))
        return fail(L, g, "key", "required");
    if (!check_data_key(L, g, "key", op->key))
        return FALSE;
    gboolean takes_value = op->kind == OP_PUT || op->kind == OP_ADD;
    if (takes_value && !has(L, g, "value"))
        return fail(L, g, "value", "required for %s", kind);
    if (!takes_value && has(L, g, "value"))
        return fail(L, g, "value", "a %s takes no value", kind);
    if (!get_int(L, g, "value", &op->value))
        return FALSE;
    op->idempotency = get(L, g, "idempotency");
    if (op->idempotency && !name_ok(g_strstrip(op->idempotency)))
        return fail(L, g, "idempotency", "'%s' must be letters, digits, '-' or '_'",
                    op->idempotency);
    return TRUE;
}

/* ---- [fault NAME] ---- */

/* Parses a node name or a role for `node`. */
static gboolean parse_target(Loader *L, const char *g, FaultSpec *f, gboolean allow_client)
{
    g_autofree char *v = get(L, g, "node");
    if (!v)
        return TRUE;
    g_strstrip(v);
    f->node_text = g_strdup(v);
    static const struct {
        const char *name;
        NodeRole role;
    } roles[] = {{"leader", ROLE_LEADER},
                 {"follower", ROLE_FOLLOWER},
                 {"candidate", ROLE_CANDIDATE},
                 {"coordinator", ROLE_COORDINATOR},
                 {"replica", ROLE_REPLICA}};
    if (strcmp(v, "any") == 0) {
        f->target = TARGET_ANY;
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(roles); i++) {
        if (strcmp(v, roles[i].name) == 0) {
            if (!protocol_has_role(L->s->config.protocol, roles[i].role))
                return fail(L, g, "node", "role '%s' does not exist in a %s cluster", v,
                            L->s->config.protocol->name);
            f->target = TARGET_ROLE;
            f->role = roles[i].role;
            return TRUE;
        }
    }
    EndpointId id;
    if (!world_config_endpoint_parse(&L->s->config, v, &id)) {
        g_autofree char *roles_text = protocol_role_names(L->s->config.protocol);
        return fail(L, g, "node", "'%s' is not a node of this cluster, nor a role (%s, any)", v,
                    roles_text);
    }
    if (!allow_client && id >= world_config_server_count(&L->s->config))
        return fail(L, g, "node", "'%s' is a client; this fault needs a server", v);
    f->target = TARGET_NODE;
    f->node = id;
    return TRUE;
}

/* A space-separated list of endpoint names as a bitmask. */
static gboolean parse_names(Loader *L, const char *g, const char *key, const char *text,
                            EndpointMask *mask)
{
    endpoint_mask_clear(mask);
    g_auto(GStrv) parts = g_strsplit_set(text, " \t,", -1);
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        EndpointId id;
        if (!world_config_endpoint_parse(&L->s->config, parts[i], &id))
            return fail(L, g, key, "'%s' is not a node or client of this cluster", parts[i]);
        if (endpoint_mask_has(mask, id))
            return fail(L, g, key, "'%s' is listed twice", parts[i]);
        endpoint_mask_add(mask, id);
    }
    if (endpoint_mask_is_empty(mask))
        return fail(L, g, key, "names no node");
    return TRUE;
}

static gboolean parse_groups(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *v = get(L, g, "groups");
    g_assert(v != NULL); /* required: fault_params checked */
    f->groups_text = g_strdup(g_strstrip(v));
    g_auto(GStrv) parts = g_strsplit(v, "|", -1);
    guint ngroups = g_strv_length(parts);
    if (ngroups < 2)
        return fail(L, g, "groups", "needs at least two groups separated by '|'");
    EndpointMask seen = {0}, mask = {0};
    gboolean ok = TRUE;
    endpoint_groups_clear(&f->groups);
    for (guint i = 0; ok && i < ngroups; i++) {
        ok = parse_names(L, g, "groups", parts[i], &mask);
        if (ok && endpoint_mask_intersects(&mask, &seen))
            ok = fail(L, g, "groups", "a node is in two groups");
        if (!ok)
            break;
        endpoint_mask_union(&seen, &mask);
        /* unlisted endpoints stay in group 0, the first */
        for (EndpointId id = endpoint_mask_next(&mask, 0); id != ENDPOINT_NONE;
             id = endpoint_mask_next(&mask, id + 1u))
            endpoint_groups_set(&f->groups, id, i);
    }
    endpoint_mask_clear(&seen);
    endpoint_mask_clear(&mask);
    return ok;
}

/* "a->b" with '*' on either side. */
static gboolean parse_link(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *v = get(L, g, "link");
    g_assert(v != NULL); /* required: fault_params checked */
    g_strstrip(v);
    f->link_text = g_strdup(v);
    char *arrow = strstr(v, "->");
    if (!arrow)
        return fail(L, g, "link", "'%s' is not a link a->b", v);
    *arrow = '\0';
    char *from = g_strstrip(v), *to = g_strstrip(arrow + 2);
    guint n = world_config_endpoint_count(&L->s->config);
    endpoint_mask_clear(&f->from_mask);
    endpoint_mask_clear(&f->to_mask);
    if (strcmp(from, "*") == 0)
        f->from_mask = endpoint_mask_first(n);
    else if (!parse_names(L, g, "link", from, &f->from_mask))
        return FALSE;
    if (strcmp(to, "*") == 0)
        f->to_mask = endpoint_mask_first(n);
    else if (!parse_names(L, g, "link", to, &f->to_mask))
        return FALSE;
    return TRUE;
}

static gboolean parse_errno(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *v = get(L, g, "errno");
    if (!v)
        return TRUE;
    g_strstrip(v);
    if (strcmp(v, "EIO") == 0)
        f->err = EIO;
    else if (strcmp(v, "ENOSPC") == 0)
        f->err = ENOSPC;
    else
        return fail(L, g, "errno", "'%s' is not EIO or ENOSPC", v);
    return TRUE;
}

static gboolean parse_keep(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *v = get(L, g, "keep");
    if (!v)
        return TRUE;
    g_strstrip(v);
    if (!disk_keep_parse(v, &f->keep))
        return fail(L, g, "keep", "'%s' is not random, none, all, data or names", v);
    return TRUE;
}

/* A glob of paths in the node's file system ("meta", or a pattern with * and ?). */
static gboolean parse_file(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *v = get(L, g, "file");
    if (!v)
        return TRUE;
    g_strstrip(v);
    if (!*v || strlen(v) >= FS_PATH_MAX)
        return fail(L, g, "file", "must be a path or a glob (* and ?) of 1 to %d bytes",
                    FS_PATH_MAX - 1);
    f->file_text = g_strdup(v);
    return TRUE;
}

static gboolean parse_mode(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *mode = get(L, g, "mode");
    if (!mode)
        return TRUE;
    g_strstrip(mode);
    if (strcmp(mode, "power") == 0)
        f->power = TRUE;
    else if (strcmp(mode, "process") == 0)
        f->power = FALSE;
    else
        return fail(L, g, "mode", "'%s' is not power or process", mode);
    return TRUE;
}

/* `from` or `to` of a oneway fault. */
static gboolean parse_side(Loader *L, const char *g, const char *key, char **text,
                           EndpointMask *mask)
{
    g_autofree char *v = get(L, g, key);
    *text = g_strdup(g_strstrip(v));
    return parse_names(L, g, key, v, mask);
}

static gboolean parse_probability_key(Loader *L, const char *g, FaultSpec *f)
{
    g_autofree char *p = get(L, g, "probability");
    if (!parse_probability(g_strstrip(p), &f->num, &f->den))
        return fail(L, g, "probability",
                    "'%s' is not a probability from 0 to 1 (at most 9 decimals)", p);
    return TRUE;
}

/* One parameter of a fault (fault_kind.h lists which a kind takes); a required one has been
 * checked to be present, an optional one may be absent. */
static gboolean parse_param(Loader *L, const char *g, FaultSpec *f, FaultParam p)
{
    const char *key = fault_param_key(p);
    switch (p) {
    case FAULT_PARAM_MODE:
        return parse_mode(L, g, f);
    case FAULT_PARAM_RESTART_AFTER:
        return get_time(L, g, key, FALSE, &f->restart_after);
    case FAULT_PARAM_GROUPS:
        return parse_groups(L, g, f);
    case FAULT_PARAM_FROM:
        return parse_side(L, g, key, &f->from_text, &f->from_mask);
    case FAULT_PARAM_TO:
        return parse_side(L, g, key, &f->to_text, &f->to_mask);
    case FAULT_PARAM_LINK:
        return parse_link(L, g, f);
    case FAULT_PARAM_PROBABILITY:
        return parse_probability_key(L, g, f);
    case FAULT_PARAM_LATENCY:
        return get_range(L, g, key, &f->latency);
    case FAULT_PARAM_ERRNO:
        return parse_errno(L, g, f);
    case FAULT_PARAM_COUNT:
        return get_guint(L, g, key, 1, 1000000, &f->count);
    case FAULT_PARAM_OFFSET:
        return get_time(L, g, key, TRUE, &f->offset);
    case FAULT_PARAM_FILE:
        return parse_file(L, g, f);
    case FAULT_PARAM_KEEP:
        return parse_keep(L, g, f);
    default:
        g_assert_not_reached();
    }
}

static gboolean fault_params(Loader *L, const char *g, FaultSpec *f)
{
    const FaultKindInfo *info = fault_kind_info(f->kind);
    const char *common[] = {"at", "on", "node", "nth", "kind", NULL};
    g_auto(GStrv) keys = g_key_file_get_keys(L->kf, g, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        gboolean ok = info->lasting && strcmp(keys[i], "for") == 0;
        for (int k = 0; common[k] && !ok; k++)
            ok = strcmp(keys[i], common[k]) == 0;
        for (const FaultParamUse *u = info->params; u->param && !ok; u++)
            ok = strcmp(keys[i], fault_param_key(u->param)) == 0;
        if (!ok)
            return fail(L, g, keys[i], "unknown key for kind = %s", info->name);
    }
    if (info->lasting && !get_time(L, g, "for", FALSE, &f->duration))
        return FALSE;
    if (info->for_required && f->duration <= 0)
        return fail(L, g, "for", "required and positive for kind = %s", info->name);
    for (const FaultParamUse *u = info->params; u->param; u++) {
        const char *key = fault_param_key(u->param);
        if (u->required && !has(L, g, key))
            return fail(L, g, key, "%s", u->required);
        if (!parse_param(L, g, f, u->param))
            return FALSE;
    }
    return TRUE;
}

static gboolean load_fault(Loader *L, const char *g, const char *name)
{
    FaultSpec *f = fault_spec_new();
    g_ptr_array_add(L->s->faults.faults, f);
    f->name = g_strdup(name);
    g_autofree char *kind = get(L, g, "kind");
    if (!kind)
        return fail(L, g, "kind", "required");
    if (!fault_kind_parse(g_strstrip(kind), &f->kind))
        return fail(L, g, "kind", "unknown fault kind '%s'", kind);
    gboolean at = has(L, g, "at"), on = has(L, g, "on");
    if (at == on)
        return fail(L, g, at ? "on" : "at",
                    "give exactly one of at = <time> or on = <failpoint> (or mark:<name>)");
    if (at) {
        f->trigger = TRIG_AT;
        if (!get_time(L, g, "at", FALSE, &f->at) || !check_before_end(L, g, f->at))
            return FALSE;
        if (has(L, g, "nth"))
            return fail(L, g, "nth", "only with on = <failpoint> or on = mark:<name>");
    } else {
        f->trigger = TRIG_FAILPOINT;
        g_autofree char *fp = get(L, g, "on");
        const Protocol *p = L->s->config.protocol;
        g_strstrip(fp);
        if (g_str_has_prefix(fp, "mark:")) {
            f->trigger = TRIG_MARK;
            if (!protocol_mark_parse(p, fp + 5, &f->mark))
                return fail(L, g, "on",
                            "'%s' is not a mark of the %s protocol (fuzz --coverage "
                            "lists them)",
                            fp + 5, p->name);
        } else if (!protocol_failpoint_parse(p, fp, &f->fp)) {
            g_autofree char *owners = protocol_failpoint_owners(fp);
            if (owners)
                return fail(L, g, "on", "failpoint '%s' is not in the %s protocol (it is %s's)", fp,
                            p->name, owners);
            return fail(L, g, "on", "unknown failpoint '%s'", fp);
        }
        if (!get_guint(L, g, "nth", 1, 1000000, &f->nth))
            return FALSE;
    }
    if (!fault_params(L, g, f))
        return FALSE;
    if (!parse_target(L, g, f, fault_kind_info(f->kind)->on_clients))
        return FALSE;
    if (fault_kind_needs_node(f->kind) && f->target == TARGET_NONE) {
        if (f->trigger == TRIG_AT)
            return fail(L, g, "node", "required for kind = %s (a node name, a role, or any)",
                        fault_kind_name(f->kind));
        f->target = TARGET_ANY; /* on a failpoint: whoever hits it */
    }
    if (!fault_kind_needs_node(f->kind) && f->target != TARGET_NONE && f->trigger == TRIG_AT)
        return fail(L, g, "node", "kind = %s takes no node (only a failpoint filter can)",
                    fault_kind_name(f->kind));
    if (f->kind == FAULT_RESTART && f->target == TARGET_ROLE)
        return fail(L, g, "node", "restart needs a node name (a down node has no role)");
    if (f->target == TARGET_NODE && fault_kind_needs_disk(f->kind) &&
        f->node >= world_config_node_count(&L->s->config))
        return fail(L, g, "node", "'%s' has no disk", f->node_text);
    return TRUE;
}

/* ---- [expect] ---- */

static gboolean parse_count(Loader *L, const char *g, const char *key, gint64 *out)
{
    if (!has(L, g, key))
        return TRUE;
    guint64 v = 0;
    if (!get_uint(L, g, key, 0, 100000000, &v))
        return FALSE;
    *out = (gint64)v;
    return TRUE;
}

static ExpectOp *expect_op(Expect *e, const char *op)
{
    for (guint i = 0; i < e->ops->len; i++) {
        ExpectOp *x = g_ptr_array_index(e->ops, i);
        if (strcmp(x->op, op) == 0)
            return x;
    }
    ExpectOp *x = g_new0(ExpectOp, 1);
    x->op = g_strdup(op);
    g_ptr_array_add(e->ops, x);
    return x;
}

static gboolean op_declared(const Scenario *s, const char *name)
{
    for (guint i = 0; i < s->config.scripted->len; i++)
        if (strcmp(((ScriptedOp *)g_ptr_array_index(s->config.scripted, i))->name, name) == 0)
            return TRUE;
    return FALSE;
}

static gboolean load_expect(Loader *L)
{
    const char *g = "expect";
    Expect *e = &L->s->expect;
    if (!g_key_file_has_group(L->kf, g))
        return TRUE;
    e->present = TRUE;
    g_auto(GStrv) keys = g_key_file_get_keys(L->kf, g, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++) {
        const char *k = keys[i];
        g_autofree char *v = get(L, g, k);
        if (!v)
            return fail(L, g, k, "the value cannot be read (a bad \\ escape?)");
        g_strstrip(v);
        if (strcmp(k, "violations") == 0 || strcmp(k, "violations.include") == 0) {
            gboolean include = k[10] == '.';
            ViolationSet set = 0;
            g_autofree char *bad = NULL;
            if (!violation_set_parse(v, &set, &bad))
                return fail(L, g, k, "unknown violation kind '%s'", bad);
            if (include) {
                if (set == 0)
                    return fail(L, g, k, "lists no kind (use violations = none instead)");
                e->has_include = TRUE;
                e->include = set;
            } else {
                e->has_violations = TRUE;
                e->violations = set;
            }
        } else if (g_str_has_prefix(k, "op.")) {
            const char *rest = k + 3;
            gboolean latency = g_str_has_suffix(rest, ".latency");
            gboolean siblings = g_str_has_suffix(rest, ".siblings");
            g_autofree char *op = latency    ? g_strndup(rest, strlen(rest) - 8)
                                  : siblings ? g_strndup(rest, strlen(rest) - 9)
                                             : g_strdup(rest);
            if (!op_declared(L->s, op))
                return fail(L, g, k, "there is no [op %s] in this file", op);
            ExpectOp *x = expect_op(e, op);
            if (siblings) {
                gint64 n = -1;
                if (!parse_count(L, g, k, &n))
                    return FALSE;
                x->has_siblings = TRUE;
                x->siblings = (guint)MIN(n, (gint64)UINT16_MAX);
            } else if (latency) {
                x->has_latency = TRUE;
                if (!get_range(L, g, k, &x->latency))
                    return FALSE;
            } else {
                x->has_outcome = TRUE;
                if (!outcome_parse(v, &x->outcome))
                    return fail(L, g, k, "'%s' is not ok, fail or indeterminate", v);
            }
        } else if (g_str_has_prefix(k, "final.")) {
            ExpectFinal *f = g_new0(ExpectFinal, 1);
            f->key = g_strdup(k + 6);
            g_ptr_array_add(e->finals, f);
            if (!*f->key)
                return fail(L, g, k, "names no key");
            if (!check_data_key(L, g, k, f->key))
                return FALSE;
            if (strcmp(v, "absent") == 0 || strcmp(v, "none") == 0) {
                f->present = FALSE;
            } else {
                f->present = TRUE;
                if (!get_int(L, g, k, &f->value))
                    return FALSE;
            }
        } else if (strcmp(k, "acked") == 0 || strcmp(k, "failed") == 0 ||
                   strcmp(k, "indeterminate") == 0 || strcmp(k, "orphans") == 0 ||
                   strcmp(k, "duplicates") == 0 || strcmp(k, "lost_updates") == 0) {
            gint64 *slot = strcmp(k, "acked") == 0           ? &e->acked
                           : strcmp(k, "failed") == 0        ? &e->failed
                           : strcmp(k, "indeterminate") == 0 ? &e->indeterminate
                           : strcmp(k, "orphans") == 0       ? &e->orphans
                           : strcmp(k, "duplicates") == 0    ? &e->duplicates
                                                             : &e->lost_updates;
            if (!parse_count(L, g, k, slot))
                return FALSE;
        } else {
            return fail(L, g, k, "unknown expectation");
        }
    }
    return TRUE;
}

/* ---- the whole file ---- */

Scenario *scenario_new(const Protocol *protocol)
{
    Scenario *s = g_new0(Scenario, 1);
    world_config_init(&s->config, protocol);
    fault_plan_init(&s->faults);
    s->expect.ops = g_ptr_array_new();
    s->expect.finals = g_ptr_array_new();
    s->expect.acked = s->expect.failed = s->expect.indeterminate = -1;
    s->expect.orphans = s->expect.duplicates = s->expect.lost_updates = -1;
    return s;
}

void scenario_free(Scenario *s)
{
    if (s == NULL)
        return;
    g_free(s->name);
    g_free(s->summary);
    g_free(s->path);
    world_config_clear(&s->config);
    fault_plan_clear(&s->faults);
    for (guint i = 0; i < s->expect.ops->len; i++) {
        ExpectOp *x = g_ptr_array_index(s->expect.ops, i);
        g_free(x->op);
        g_free(x);
    }
    g_ptr_array_unref(s->expect.ops);
    for (guint i = 0; i < s->expect.finals->len; i++) {
        ExpectFinal *f = g_ptr_array_index(s->expect.finals, i);
        g_free(f->key);
        g_free(f);
    }
    g_ptr_array_unref(s->expect.finals);
    g_free(s);
}

/* A fault that acts on its own: not one that only undoes another (heal, restart), nor one given
 * no strength (a probability of 0, no added latency, a clock offset of 0). */
static gboolean fault_acts(const FaultSpec *f)
{
    switch (f->kind) {
    case FAULT_HEAL:
    case FAULT_RESTART:
        return FALSE;
    case FAULT_DROP:
    case FAULT_DUPLICATE:
        return f->num > 0;
    case FAULT_DELAY:
    case FAULT_SLOW_DISK:
        return f->latency.hi > 0;
    case FAULT_CLOCK_SKEW:
        return f->offset != 0;
    default:
        return TRUE;
    }
}

gboolean scenario_exercises(const Scenario *s)
{
    if (s->config.ops > 0 || s->config.scripted->len > 0)
        return TRUE;
    for (guint i = 0; i < s->faults.faults->len; i++)
        if (fault_acts(g_ptr_array_index(s->faults.faults, i)))
            return TRUE;
    return FALSE;
}

/* No vacuous pass: a scenario that cannot exercise anything is refused, whether its file leaves
 * the workload out, says ops = 0, has an [expect] group or not, or lists only faults that do
 * nothing. The error points at `ops` (or [workload], or [scenario]). */
static gboolean check_exercises(Loader *L)
{
    if (scenario_exercises(L->s))
        return TRUE;
    const char *g = g_key_file_has_group(L->kf, "workload") ? "workload" : "scenario";
    return fail(L, g, has(L, "workload", "ops") ? "ops" : NULL,
                "the scenario exercises nothing: no operation (ops = 0 and no [op NAME]) and no "
                "fault that acts; add a workload, an [op NAME] or a [fault NAME]");
}

static gboolean load_groups(Loader *L)
{
    for (guint i = 0; i < L->groups->len; i++) {
        const char *g = g_ptr_array_index(L->groups, i);
        if (!strcmp(g, "scenario") || !strcmp(g, "cluster") || !strcmp(g, "workload") ||
            !strcmp(g, "expect"))
            continue;
        gboolean op = g_str_has_prefix(g, "op "), fault = g_str_has_prefix(g, "fault ");
        if (!op && !fault)
            return fail(L, g, NULL,
                        "unknown group (scenario, cluster, workload, op NAME, "
                        "fault NAME, expect)");
        const char *name = g + (op ? 3 : 6);
        if (!name_ok(name))
            return fail(L, g, NULL, "'%s' is not a name (letters, digits, '-', '_')", name);
        if (op ? !load_op(L, g, name) : !load_fault(L, g, name))
            return FALSE;
    }
    return TRUE;
}

Scenario *scenario_load_data(const char *data, gsize len, const char *origin, GError **error)
{
    Loader L = {.origin = origin, .error = error};
    if (len > SCENARIO_MAX_BYTES) {
        g_set_error(error, SCENARIO_ERROR, 0,
                    "%s: %zu bytes; a scenario file may have at most %d bytes (1 MiB)", origin, len,
                    SCENARIO_MAX_BYTES);
        return NULL;
    }
    if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, NULL)) {
        g_set_error(error, SCENARIO_ERROR, 0, "%s: not a text file (binary data or invalid UTF-8)",
                    origin);
        return NULL;
    }
    /* Some editors start UTF-8 files with a byte order mark; it is not part of the text. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    L.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    L.groups = g_ptr_array_new_with_free_func(g_free);
    L.kf = g_key_file_new();
    Scenario *s = NULL;
    GError *kf_error = NULL;
    gboolean ok = scan_lines(&L, data, len);
    if (ok && !g_key_file_load_from_data(L.kf, data, len, G_KEY_FILE_NONE, &kf_error)) {
        ok = fail_at(&L, 0, NULL, NULL, kf_error->message);
        g_error_free(kf_error);
    }
    ok = ok && load_scenario_group(&L, &s) && load_cluster(&L) && load_workload(&L);
    if (ok) {
        GError *cfg_error = NULL;
        if (!world_config_validate(&s->config, &cfg_error)) {
            ok = fail_checked(&L, cfg_error);
            g_error_free(cfg_error);
        }
    }
    ok = ok && load_groups(&L) && load_expect(&L);
    if (ok) {
        GError *e = NULL;
        if (!world_config_validate(&s->config, &e) ||
            !fault_plan_validate(&s->faults, &s->config, &e)) {
            ok = fail_checked(&L, e);
            g_error_free(e);
        }
    }
    ok = ok && check_exercises(&L);
    g_key_file_unref(L.kf);
    g_hash_table_unref(L.lines);
    g_ptr_array_unref(L.groups);
    if (!ok) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

Scenario *scenario_load_file(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    GStatBuf st;
    if (g_stat(path, &st) == 0) {
        /* A device or a pipe has no size to check and might never end (durasim run /dev/zero). */
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, SCENARIO_ERROR, 0, "%s: not a regular file", path);
            return NULL;
        }
        if (st.st_size > SCENARIO_MAX_BYTES) {
            g_set_error(error, SCENARIO_ERROR, 0,
                        "%s: %lld bytes; a scenario file may have at most %d bytes (1 MiB)", path,
                        (long long)st.st_size, SCENARIO_MAX_BYTES);
            return NULL;
        }
    }
    GError *io = NULL;
    if (!g_file_get_contents(path, &data, &len, &io)) {
        g_set_error(error, SCENARIO_ERROR, 0, "%s", io->message);
        g_error_free(io);
        return NULL;
    }
    Scenario *s = scenario_load_data(data, len, path, error);
    if (s)
        s->path = g_strdup(path);
    return s;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **scenario_list_dir(const char *dir, GError **error)
{
    GDir *d = g_dir_open(dir, 0, error);
    if (!d)
        return NULL;
    GPtrArray *files = g_ptr_array_new();
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL)
        if (g_str_has_suffix(name, ".ini"))
            g_ptr_array_add(files, g_build_filename(dir, name, NULL));
    g_dir_close(d);
    g_ptr_array_sort(files, cmp_str);
    g_ptr_array_add(files, NULL);
    return (char **)g_ptr_array_free(files, FALSE);
}
