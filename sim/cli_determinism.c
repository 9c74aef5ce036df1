/* sim/cli_determinism.c — `durasim check-determinism`. */
#include "sim/cli.h"

int cli_check_determinism(int argc, char **argv)
{
    if (!cli_parse("check-determinism", NULL, "Run seeds or files twice and compare trace hashes.", NULL, &argc, &argv))
        return CLI_EXIT_USAGE;
    cli_error("check-determinism: not implemented yet");
    return CLI_EXIT_USAGE;
}
