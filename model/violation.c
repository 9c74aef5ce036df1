/* model/violation.c — names of violation kinds. */
#include "model/violation.h"

#include <string.h>

static const char *names[V_KIND_COUNT] = {
    "lost-ack",
    "early-ack",
    "false-failure",
    "duplicate",
    "unpersisted-send",
    "election-safety",
    "log-matching",
    "leader-completeness",
    "state-machine-safety",
    "not-linearizable",
    "divergent",
    "stuck",
    "lost-update",
    "resurrection",
    "siblings",
    "under-replicated",
    "fs-broken-promise",
    "disruption",
    "unsafe-configuration",
    "snapshot-safety",
};

const char *violation_kind_name(ViolationKind kind)
{
    g_assert((unsigned)kind < V_KIND_COUNT);
    return names[kind];
}

gboolean violation_kind_parse(const char *name, ViolationKind *out)
{
    for (int i = 0; i < V_KIND_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (ViolationKind)i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean violation_set_parse(const char *text, ViolationSet *out, char **bad)
{
    ViolationSet set = 0;
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    gboolean none = FALSE, any = FALSE;
    for (int i = 0; parts[i]; i++) {
        char *name = g_strstrip(parts[i]);
        if (*name == '\0') {
            if (bad)
                *bad = g_strdup("(empty entry)");
            return FALSE;
        }
        if (strcmp(name, "none") == 0) {
            none = TRUE;
            continue;
        }
        ViolationKind k;
        if (!violation_kind_parse(name, &k)) {
            if (bad)
                *bad = g_strdup(name);
            return FALSE;
        }
        any = TRUE;
        set |= 1u << k;
    }
    if (none && any) {
        if (bad)
            *bad = g_strdup("none (together with other kinds)");
        return FALSE;
    }
    *out = set;
    return TRUE;
}

char *violation_set_format(ViolationSet set)
{
    if (set == 0)
        return g_strdup("none");
    GString *s = g_string_new(NULL);
    for (int i = 0; i < V_KIND_COUNT; i++) {
        if (set & (1u << i)) {
            if (s->len)
                g_string_append(s, ", ");
            g_string_append(s, names[i]);
        }
    }
    return g_string_free(s, FALSE);
}
