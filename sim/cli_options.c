/* sim/cli_options.c — the shared options of the seed commands (see cli_options.h). */
#include "sim/cli_options.h"
#include "sim/cli.h"
#include "sim/runner.h"

#include <string.h>

/* "quorum or raft", for the help and the errors (kept for the program's life). */
static const char *protocols_text(void)
{
    static char *text;
    if (!text)
        text = protocol_names(" or ");
    return text;
}

gboolean cli_on_check_invariants(const gchar *name, const gchar *value, gpointer data,
                                 GError **error)
{
    runner_set_check_invariants(TRUE);
    return TRUE;
}

gboolean cli_on_keep_history(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    runner_set_keep_history(TRUE);
    return TRUE;
}

GOptionEntry *cli_options_entries(CliSeedOptions *o, CliOptionSet which, const GOptionEntry *own)
{
    static char *help;
    if (!help)
        help = g_strdup_printf("The protocol: %s", protocols_text());
    const GOptionEntry shared[] = {
        {"protocol", 0, 0, G_OPTION_ARG_STRING, &o->protocol, help, "P"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "One fuzz seed", "N"},
        {"seeds", 0, 0, G_OPTION_ARG_STRING, &o->seeds,
         "Fuzz seeds A..B (inclusive), or one seed N", "A..B"},
        {"faults", 0, 0, G_OPTION_ARG_STRING, &o->faults,
         "within (default): only faults the protocol promises to survive; beyond: any", "MODE"},
        {"bug", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->bugs,
         "Switch on a bug variant (repeatable; durasim bugs lists them)", "NAME"},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
         "Seeds run at once, each single-threaded (default: all cores)", "N"},
        CLI_CHECK_INVARIANTS_ENTRY,
        CLI_KEEP_HISTORY_ENTRY,
    };
    const CliOptionSet bits[] = {CLI_OPT_PROTOCOL, CLI_OPT_SEED, CLI_OPT_SEEDS, CLI_OPT_FAULTS,
                                 CLI_OPT_BUG,      CLI_OPT_JOBS, CLI_OPT_CHECK, CLI_OPT_CHECK};
    G_STATIC_ASSERT(G_N_ELEMENTS(shared) == G_N_ELEMENTS(bits));
    guint n_own = 0;
    while (own && own[n_own].long_name)
        n_own++;
    GOptionEntry *all = g_new0(GOptionEntry, G_N_ELEMENTS(shared) + n_own + 1);
    guint n = 0;
    for (guint i = 0; i < G_N_ELEMENTS(shared); i++)
        if (which & bits[i])
            all[n++] = shared[i];
    for (guint i = 0; i < n_own; i++)
        all[n++] = own[i];
    return all;
}

gboolean cli_options_spec(const char *command, const CliSeedOptions *o, CampaignSpec *spec)
{
    *spec = (CampaignSpec){0};
    if (!o->protocol) {
        cli_error("%s: --protocol P is required here (%s)", command, protocols_text());
        return FALSE;
    }
    spec->protocol = protocol_find(o->protocol);
    if (!spec->protocol && protocol_missing(o->protocol)) {
        cli_error("%s: --protocol %s is not in this build: %s", command, o->protocol,
                  protocol_missing(o->protocol));
        return FALSE;
    }
    if (!spec->protocol) {
        cli_error("%s: --protocol must be %s, not '%s'", command, protocols_text(), o->protocol);
        return FALSE;
    }
    if (o->faults && !fault_mode_parse(o->faults, &spec->mode)) {
        cli_error("%s: --faults must be within or beyond, not '%s'", command, o->faults);
        return FALSE;
    }
    return cli_parse_bugs(command, o->bugs, spec->protocol, &spec->bugs);
}

gboolean cli_options_any_spec(const CliSeedOptions *o)
{
    return o->protocol || o->faults || o->bugs;
}

void cli_options_clear(CliSeedOptions *o)
{
    g_clear_pointer(&o->protocol, g_free);
    g_clear_pointer(&o->faults, g_free);
    g_clear_pointer(&o->bugs, g_strfreev);
    g_clear_pointer(&o->seeds, g_free);
}

/* Calls fn(name, data) for every entry of the --bug values (comma lists); stops at FALSE. */
static gboolean each_bug_name(char **names, gboolean (*fn)(const char *name, void *data),
                              void *data)
{
    for (guint i = 0; names && names[i]; i++) {
        g_auto(GStrv) parts = g_strsplit(names[i], ",", -1);
        for (guint j = 0; parts[j]; j++) {
            const char *name = g_strstrip(parts[j]);
            if (*name != '\0' && strcmp(name, "none") != 0 && !fn(name, data))
                return FALSE;
        }
    }
    return TRUE;
}

typedef struct {
    const char *command;
    const Protocol *protocol; /* NULL: any installed one */
    BugSet set;
} BugParse;

static gboolean parse_one_bug(const char *name, void *data)
{
    BugParse *bp = data;
    guint bit;
    if (bp->protocol && protocol_bug_parse(bp->protocol, name, &bit)) {
        bp->set |= (BugSet)1 << bit;
        return TRUE;
    }
    g_autofree char *owners = protocol_bug_owners(name);
    if (owners && bp->protocol == NULL)
        return TRUE;
    if (owners)
        cli_error("%s: --bug %s is a %s bug, not a %s one", bp->command, name, owners,
                  protocol_name(bp->protocol));
    else
        cli_error("%s: unknown bug variant '%s' (durasim bugs lists them)", bp->command, name);
    return FALSE;
}

gboolean cli_parse_bugs(const char *command, char **names, const Protocol *p, BugSet *out)
{
    BugParse bp = {.command = command, .protocol = p};
    gboolean ok = each_bug_name(names, parse_one_bug, &bp);
    *out = ok ? bp.set : 0;
    return ok;
}

gboolean cli_check_bug_names(const char *command, char **names)
{
    BugParse bp = {.command = command};
    return each_bug_name(names, parse_one_bug, &bp);
}

static gboolean add_if_own(const char *name, void *data)
{
    BugParse *bp = data;
    guint bit;
    if (protocol_bug_parse(bp->protocol, name, &bit))
        bp->set |= (BugSet)1 << bit;
    return TRUE;
}

BugSet cli_bugs_of(const Protocol *p, char **names)
{
    BugParse bp = {.protocol = p};
    each_bug_name(names, add_if_own, &bp);
    return bp.set;
}

gboolean cli_resolve_jobs(const char *command, gint *jobs, guint at_least)
{
    if (*jobs < 0 || *jobs > 256) {
        cli_error("%s: --jobs must be 1..256", command);
        return FALSE;
    }
    if (*jobs == 0)
        *jobs = (gint)MAX(at_least, g_get_num_processors());
    return TRUE;
}
