/* sim/cli_shrink.c — `durasim shrink`. */
#include "sim/cli.h"

int cli_shrink(int argc, char **argv)
{
    if (!cli_parse("shrink", NULL, "Reduce a failing seed or scenario to a minimal scenario file.", NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    cli_error("shrink: not implemented yet");
    return CLI_EXIT_USAGE;
}
