/* sim/main.c — the durasim command: dispatch to subcommands. */
#include "sim/cli.h"

#include "sim/protocols.h"
#include "sim/runner.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
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

/* An assertion (a broken invariant) failed: say which run, at which simulated time and event,
 * so the crash is a reproducer; then exit as an internal error (3). Only async-signal-safe
 * calls. */
static void on_abort(int sig)
{
    char buf[512];
    char line[640];
    int n;
    if (runner_describe_current(buf, sizeof buf))
        n = snprintf(line, sizeof line, "durasim: internal error in %s\n", buf);
    else
        n = snprintf(line, sizeof line, "durasim: internal error (an assertion failed)\n");
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)MIN(n, (int)sizeof line - 1));
    _exit(CLI_EXIT_INTERNAL);
}

/* DURASIM_CHECK_INVARIANTS=1 in the environment is --check-invariants for every command (the
 * test suites set it, so that every run of make check and make asan checks every invariant). */
static void check_invariants_from_env(void)
{
    const char *v = getenv("DURASIM_CHECK_INVARIANTS");
    if (v && *v && strcmp(v, "0") != 0)
        runner_set_check_invariants(TRUE);
}

int main(int argc, char **argv)
{
    signal(SIGABRT, on_abort);
    protocols_install();
    check_invariants_from_env();
    const char *keep = g_getenv("DURASIM_KEEP_HISTORY");
    if (keep && *keep && strcmp(keep, "0") != 0)
        runner_set_keep_history(TRUE);
    const char *eager = g_getenv("DURASIM_STREAM_EAGER");
    if (eager && *eager && strcmp(eager, "0") != 0)
        runner_set_stream_eager(TRUE);
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
