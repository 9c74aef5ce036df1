/* model/protocol.c — the registry of installed protocols and the questions every layer asks a
 * descriptor (see protocol.h). */
#include "model/protocol.h"

#include <string.h>

static const Protocol *const *registry;
static guint registry_len;
static const char *const *missing_names, *const *missing_why;
static guint missing_len;

void protocol_registry_install(const Protocol *const *list, guint n)
{
    for (guint i = 0; i < n; i++) {
        g_assert(list[i]->config_size <= PROTO_CONFIG_BYTES);
        g_assert(list[i]->n_kinds >= 1 && list[i]->n_kinds <= PROTO_MAX_KINDS);
        g_assert(list[i]->n_bugs <= BUG_MAX);
        g_assert(list[i]->n_failpoints <= PROTO_MAX_FAILPOINTS);
        for (guint b = 0; b < list[i]->n_bugs; b++)
            for (guint c = 0; c < b; c++)
                g_assert(strcmp(list[i]->bugs[b].name, list[i]->bugs[c].name) != 0);
        g_assert(list[i]->n_marks <= MARK_MAX);
        for (guint m = 0; m < list[i]->n_marks; m++)
            for (guint c = 0; c < m; c++)
                g_assert(strcmp(list[i]->marks[m].name, list[i]->marks[c].name) != 0);
        for (guint j = 0; j < i; j++)
            g_assert(strcmp(list[i]->name, list[j]->name) != 0);
    }
    registry = list;
    registry_len = n;
}

void protocol_registry_missing(const char *const *names, const char *const *why, guint n)
{
    missing_names = names;
    missing_why = why;
    missing_len = n;
}

const char *protocol_missing(const char *name)
{
    for (guint i = 0; i < missing_len; i++)
        if (strcmp(missing_names[i], name) == 0)
            return missing_why[i];
    return NULL;
}

guint protocol_count(void)
{
    return registry_len;
}

const Protocol *protocol_at(guint i)
{
    g_assert(i < registry_len);
    return registry[i];
}

guint protocol_index(const Protocol *p)
{
    for (guint i = 0; i < registry_len; i++)
        if (registry[i] == p)
            return i;
    g_assert_not_reached();
}

const Protocol *protocol_find(const char *name)
{
    g_assert(registry != NULL); /* the program installs it first (sim/protocols.h) */
    for (guint i = 0; i < registry_len; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

char *protocol_names(const char *last_sep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < registry_len; i++) {
        if (i > 0)
            g_string_append(s, i + 1 == registry_len ? last_sep : ", ");
        g_string_append(s, registry[i]->name);
    }
    return g_string_free(s, FALSE);
}

guint protocol_kind_count(const Protocol *p, const WorldConfig *c, guint kind)
{
    g_assert(kind < p->n_kinds);
    return p->kinds[kind].count ? p->kinds[kind].count(c) : c->nodes;
}

EndpointId protocol_kind_first(const Protocol *p, const WorldConfig *c, guint kind)
{
    guint first = 0;
    for (guint k = 0; k < kind && k < p->n_kinds; k++)
        first += protocol_kind_count(p, c, k);
    return (EndpointId)first;
}

guint protocol_kind_of(const Protocol *p, const WorldConfig *c, EndpointId id)
{
    guint first = 0;
    for (guint k = 0; k < p->n_kinds; k++) {
        first += protocol_kind_count(p, c, k);
        if (id < first)
            return k;
    }
    return p->n_kinds;
}

gboolean protocol_has_failpoint(const Protocol *p, FailpointId fp)
{
    for (guint k = 0; k < p->n_kinds; k++)
        if (p->kinds[k].fp_first != FP_NONE && fp >= p->kinds[k].fp_first &&
            fp <= p->kinds[k].fp_last)
            return TRUE;
    return FALSE;
}

gboolean protocol_has_role(const Protocol *p, NodeRole role)
{
    for (const NodeRole *r = p->roles; r && *r != ROLE_NONE; r++)
        if (*r == role)
            return TRUE;
    return FALSE;
}

char *protocol_role_names(const Protocol *p)
{
    GString *s = g_string_new(NULL);
    for (const NodeRole *r = p->roles; r && *r != ROLE_NONE; r++)
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", node_role_name(*r));
    return g_string_free(s, FALSE);
}

char *proto_key_choices(const ProtoKey *k)
{
    g_assert(k->type == PROTO_KEY_ENUM && k->choices && k->choices[0]);
    GString *s = g_string_new(k->choices[0]);
    for (guint i = 1; k->choices[i]; i++)
        g_string_append_printf(s, "%s%s", k->choices[i + 1] ? ", " : " or ", k->choices[i]);
    return g_string_free(s, FALSE);
}

const Protocol *protocol_of_key(const char *group, const char *name)
{
    for (guint i = 0; i < registry_len; i++)
        for (const ProtoKey *k = registry[i]->keys; k && k->name; k++)
            if (strcmp(k->group, group) == 0 && strcmp(k->name, name) == 0)
                return registry[i];
    return NULL;
}

const char *protocol_failpoint_name(const Protocol *p, FailpointId fp)
{
    return p->failpoints[protocol_failpoint_index(p, fp)];
}

gboolean protocol_failpoint_parse(const Protocol *p, const char *name, FailpointId *out)
{
    for (guint i = 0; i < p->n_failpoints; i++) {
        if (strcmp(p->failpoints[i], name) == 0) {
            *out = (FailpointId)(p->fp_first + i);
            return TRUE;
        }
    }
    return FALSE;
}

gboolean protocol_mark_parse(const Protocol *p, const char *name, MarkId *out)
{
    for (guint i = 0; i < p->n_marks; i++) {
        if (strcmp(p->marks[i].name, name) == 0) {
            *out = (MarkId)i;
            return TRUE;
        }
    }
    return FALSE;
}

char *protocol_failpoint_owners(const char *name)
{
    GString *s = NULL;
    FailpointId fp;
    for (guint i = 0; i < registry_len; i++) {
        if (!protocol_failpoint_parse(registry[i], name, &fp))
            continue;
        if (s == NULL)
            s = g_string_new(registry[i]->name);
        else
            g_string_append_printf(s, " and %s", registry[i]->name);
    }
    return s ? g_string_free(s, FALSE) : NULL;
}

/* ---- bug variants ---- */

void protocol_bugs_add(const Protocol *p, WorldConfig *c, BugSet bugs)
{
    c->bugs |= bugs;
    for (guint i = 0; i < p->n_bugs; i++)
        if (BUG_ON(bugs, i) && p->bugs[i].settings)
            p->bugs[i].settings(c);
}

gboolean protocol_bug_parse(const Protocol *p, const char *name, guint *bit)
{
    for (guint i = 0; i < p->n_bugs; i++) {
        if (strcmp(p->bugs[i].name, name) == 0) {
            *bit = i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean protocol_bug_parse_list(const Protocol *p, const char *text, BugSet *out, char **bad)
{
    BugSet set = 0;
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    for (guint i = 0; parts[i]; i++) {
        const char *name = g_strstrip(parts[i]);
        guint bit;
        if (*name == '\0' || strcmp(name, "none") == 0)
            continue;
        if (!protocol_bug_parse(p, name, &bit)) {
            if (bad)
                *bad = g_strdup(name);
            return FALSE;
        }
        set |= (BugSet)1 << bit;
    }
    *out = set;
    return TRUE;
}

char *protocol_bug_set_format(const Protocol *p, BugSet set)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < p->n_bugs; i++) {
        if (BUG_ON(set, i)) {
            if (s->len)
                g_string_append_c(s, ',');
            g_string_append(s, p->bugs[i].name);
        }
    }
    if (s->len == 0)
        g_string_append(s, "none");
    return g_string_free(s, FALSE);
}

void protocol_bug_append_flags(const Protocol *p, GString *s, BugSet set)
{
    for (guint i = 0; i < p->n_bugs; i++)
        if (BUG_ON(set, i))
            g_string_append_printf(s, " --bug %s", p->bugs[i].name);
}

char *protocol_bug_owners(const char *name)
{
    GString *s = NULL;
    guint bit;
    for (guint i = 0; i < registry_len; i++) {
        if (!protocol_bug_parse(registry[i], name, &bit))
            continue;
        if (s == NULL)
            s = g_string_new(registry[i]->name);
        else
            g_string_append_printf(s, " and %s", registry[i]->name);
    }
    return s ? g_string_free(s, FALSE) : NULL;
}
