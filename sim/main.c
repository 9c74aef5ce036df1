/* sim/main.c — the durasim command: dispatch to subcommands. */
#include "sim/cli.h"

#include "sim/protocols.h"
#include "sim/runner.h"

#include <locale.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

static const CliCommand commands[] = {
    {"run", "run scenario files and judge them against their expectations", cli_run},
    {"list", "list the scenarios of a library folder", cli_list},
    {"fuzz", "run a campaign of random seeds and report every violation", cli_fuzz},
    {"replay", "rerun one fuzz seed exactly, optionally exporting it as a scenario", cli_replay},
    {"shrink", "reduce a failing seed or scenario to a minimal scenario file", cli_shrink},
    {"check-determinism", "run seeds or files twice and compare trace hashes",
     cli_check_determinism},
    {"merge", "combine the reports of campaign shards into one set", cli_merge},
    {"check-history", "check histories recorded by other tools (Jepsen...) for linearizability",
     cli_check_history},
    {"bugs", "list the built-in bug variants that the oracles catch", cli_bugs},
    {"protocols", "list the protocols of this build and what each offers", cli_protocols},
    {"version", "print the version", cli_version},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: durasim COMMAND [OPTION...]\n\n"
            "durasim runs replicated-storage protocols (Dynamo-style quorums and Raft) on a\n"
            "simulated network and simulated disks, injects faults, and reports lost acks,\n"
            "orphaned writes and the protocol bugs behind them. One seed fixes a whole run.\n\n"
            "Commands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'durasim COMMAND --help' for the options of a command.\n"
                 "Exit status: 0 pass, 1 violation or failed expectation, 2 bad usage or input,\n"
                 "3 internal error.\n");
}

/* An assertion failed: say which run, at which simulated time and event, so the crash is a
 * reproducer; then die as abort() would. */
static void on_abort(int sig)
{
    char buf[512];
    if (runner_describe_current(buf, sizeof buf)) {
        char line[640];
        int n = snprintf(line, sizeof line, "durasim: internal error in %s\n", buf);
        if (n > 0)
            (void)!write(STDERR_FILENO, line, (size_t)MIN(n, (int)sizeof line - 1));
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    signal(SIGABRT, on_abort);
    protocols_install();
    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        setlocale(LC_ALL, "C");
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_PASS;
    }
    if (strcmp(name, "--version") == 0)
        return cli_version(argc - 1, argv + 1);
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    cli_error("unknown command '%s' (try 'durasim --help')", name);
    return CLI_EXIT_USAGE;
}
