/* sim/cli_protocols.c — `durasim protocols`: what each protocol of this build is, as its
 * descriptor says (node kinds, scenario keys, failpoints, roles, bug variants), and which
 * protocols the build left out. */
#include "sim/cli.h"
#include "sim/protocols.h"

#include <stdio.h>
#include <string.h>

static const char *key_type(ProtoKeyType t)
{
    switch (t) {
    case PROTO_KEY_UINT:
        return "count";
    case PROTO_KEY_BOOL:
        return "on/off";
    case PROTO_KEY_TIME:
        return "duration";
    case PROTO_KEY_RANGE:
        return "range";
    case PROTO_KEY_ENUM:
        return "choice";
    }
    return "?";
}

static void print_protocol(const Protocol *p)
{
    printf("%s: %s\n", p->name, p->summary);
    printf("  nodes:");
    for (guint k = 0; k < p->n_kinds; k++)
        printf("%s %s (%s1..)", k ? "," : "", p->kinds[k].what, p->kinds[k].prefix);
    printf("\n  keys:");
    for (const ProtoKey *k = p->keys; k->name; k++)
        printf("%s [%s] %s (%s)", k == p->keys ? "" : ",", k->group, k->name, key_type(k->type));
    printf("\n  failpoints:");
    gboolean first = TRUE;
    for (guint fp = 0; fp < p->n_failpoints; fp++) {
        printf("%s %s", first ? "" : ",", p->failpoints[fp]);
        first = FALSE;
    }
    g_autofree char *roles = protocol_role_names(p);
    printf("\n  roles: %s\n  bugs:", roles);
    first = TRUE;
    for (guint b = 0; b < p->n_bugs; b++) {
        printf("%s %s", first ? "" : ",", p->bugs[b].name);
        first = FALSE;
    }
    printf("%s\n", first ? " none" : "");
    guint owed = 0;
    for (guint m = 0; m < p->n_marks; m++)
        owed += p->marks[m].unowed == NULL;
    printf("  marks: %u (%u owed by a campaign within the model; fuzz --coverage lists them)\n",
           p->n_marks, owed);
}

int cli_protocols(int argc, char **argv)
{
    if (!cli_parse("protocols", NULL,
                   "List the protocols of this build: their nodes, scenario keys, failpoints,\n"
                   "roles and bug variants, and the protocols the build left out.",
                   NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc > 1) {
        cli_error("protocols: unexpected argument '%s'", argv[1]);
        return CLI_EXIT_USAGE;
    }
    for (guint i = 0; i < protocol_count(); i++)
        print_protocol(protocol_at(i));
    static const char *const maybe[] = {"libraft"};
    for (gsize i = 0; i < G_N_ELEMENTS(maybe); i++)
        if (protocol_missing(maybe[i]))
            printf("%s: not built (%s)\n", maybe[i], protocol_missing(maybe[i]));
    return CLI_EXIT_PASS;
}
