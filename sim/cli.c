/* sim/cli.c — shared helpers of the subcommands, and the small ones (version, stubs). */
#include "sim/cli.h"

#include <stdarg.h>
#include <stdio.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One line, always: a newline inside a message would split it for scripts. */
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    fprintf(stderr, "durasim: %s\n", msg);
}

gboolean cli_parse(const char *command, const char *usage, const char *description,
                   const GOptionEntry *entries, int *argc, char ***argv)
{
    g_autofree char *prgname = g_strdup_printf("durasim %s", command);
    g_set_prgname(prgname);
    g_autoptr(GOptionContext) ctx = g_option_context_new(usage ? usage : "");
    g_option_context_set_summary(ctx, description);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    /* argv[0] is the command name; GOptionContext treats it as the program name. */
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        cli_error("%s: %s (try 'durasim %s --help')", command, err->message, command);
        return FALSE;
    }
    return TRUE;
}

int cli_version(int argc, char **argv)
{
    if (!cli_parse("version", NULL, "Print the version of durasim.", NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc > 1) {
        cli_error("version: unexpected argument '%s'", argv[1]);
        return CLI_EXIT_USAGE;
    }
    printf("durasim %s\n", DURASIM_VERSION);
    return CLI_EXIT_PASS;
}
