/* sim/cli_options.h — the options that fuzz, replay, shrink and check-determinism share: which
 * protocol, which seed or seeds, which faults, which bug variants, how many jobs. Defined once
 * here (flag, help text, checks and error messages); each command says which it takes and adds
 * its own.
 */
#pragma once

#include "sim/campaign.h"

#include <glib.h>

typedef enum {
    CLI_OPT_PROTOCOL = 1 << 0, /* --protocol P */
    CLI_OPT_SEED = 1 << 1,     /* --seed N */
    CLI_OPT_SEEDS = 1 << 2,    /* --seeds A..B */
    CLI_OPT_FAULTS = 1 << 3,   /* --faults within|beyond */
    CLI_OPT_BUG = 1 << 4,      /* --bug NAME (repeatable) */
    CLI_OPT_JOBS = 1 << 5,     /* --jobs N, -j N */
    CLI_OPT_CHECK = 1 << 6,    /* --check-invariants */
} CliOptionSet;

/* --check-invariants: every run of the command checks every invariant, not only the cheap ones
 * (runner_set_check_invariants). Commands that do not take the shared options use the entry
 * as it is. */
gboolean cli_on_check_invariants(const gchar *name, const gchar *value, gpointer data,
                                 GError **error);
#define CLI_CHECK_INVARIANTS_ENTRY                                                                 \
    {                                                                                              \
        "check-invariants", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,                        \
            (gpointer)cli_on_check_invariants,                                                     \
            "Check every invariant after every step (slower); a broken one is an internal error "  \
            "(exit 3)",                                                                            \
            NULL                                                                                   \
    }

/* --keep-history: every run of the command keeps its whole history and every checker fact to
 * the end instead of folding what is final as it goes (runner_set_keep_history); the verdicts are
 * the same. Given with --check-invariants wherever that is. */
gboolean cli_on_keep_history(const gchar *name, const gchar *value, gpointer data, GError **error);
#define CLI_KEEP_HISTORY_ENTRY                                                                     \
    {                                                                                              \
        "keep-history", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,                            \
            (gpointer)cli_on_keep_history,                                                         \
            "Keep the whole history to the end instead of folding what is final as the run goes "  \
            "(same verdicts, more memory)",                                                        \
            NULL                                                                                   \
    }

/* What the shared options were given as. Owned strings; clear with cli_options_clear. */
typedef struct {
    char *protocol;
    char *faults;
    char **bugs;
    char *seeds;
    gint64 seed; /* -1: not given */
    gint jobs;   /* 0: not given (every core) */
} CliSeedOptions;

#define CLI_SEED_OPTIONS_INIT                                                                      \
    {                                                                                              \
        .seed = -1                                                                                 \
    }

/* The shared entries `which`, then the command's own (`own`, ending with {NULL}); ends with
 * {NULL}. Caller frees the array (g_free), not the strings. */
GOptionEntry *cli_options_entries(CliSeedOptions *o, CliOptionSet which, const GOptionEntry *own);
/* Checks --protocol (required), --faults and --bug (each a bug of that protocol) and fills
 * *spec; prints a one-line error naming the flag. */
gboolean cli_options_spec(const char *command, const CliSeedOptions *o, CampaignSpec *spec);
/* Whether any of --protocol, --faults, --bug was given (for commands where they go with --seed
 * or --seeds only). */
gboolean cli_options_any_spec(const CliSeedOptions *o);
void cli_options_clear(CliSeedOptions *o);

/* Parses --bug values (each may be a comma list) into a set of `p`'s variants; prints an error
 * naming the first that is not one of them. */
gboolean cli_parse_bugs(const char *command, char **names, const Protocol *p, BugSet *out);
/* Whether every --bug value names a variant of some installed protocol; else prints an error. */
gboolean cli_check_bug_names(const char *command, char **names);
/* The variants among the --bug values that `p` has; the others are left out. */
BugSet cli_bugs_of(const Protocol *p, char **names);
/* --jobs: 0 means every core (at least `at_least`); prints an error outside 1..256. */
gboolean cli_resolve_jobs(const char *command, gint *jobs, guint at_least);
