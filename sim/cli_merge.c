/* sim/cli_merge.c — `durasim merge`. */
#include "sim/cli.h"

int cli_merge(int argc, char **argv)
{
    if (!cli_parse("merge", NULL, "Combine the reports of campaign shards into one set.", NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    cli_error("merge: not implemented yet");
    return CLI_EXIT_USAGE;
}
