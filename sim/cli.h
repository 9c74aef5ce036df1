/* sim/cli.h — the subcommands of the durasim command line.
 *
 * Each subcommand parses its own flags with GOptionContext and returns the process exit status:
 * 0 pass, 1 a violation or failed expectation, 2 bad usage or bad input, 3 internal error.
 */
#pragma once

#include "reports/report.h"

#include <glib.h>
#include <stdint.h>

enum {
    CLI_EXIT_PASS = 0,
    CLI_EXIT_FAIL = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_INTERNAL = 3,
};

/* The version `durasim --version` prints and each campaign report records. */
#define DURASIM_VERSION "0.1.0"

typedef int (*CliCommandFn)(int argc, char **argv);

typedef struct {
    const char *name;
    const char *summary;
    CliCommandFn fn;
} CliCommand;

/* Prints "durasim: <message>" on stderr. */
void cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Parses the options of a subcommand; on failure prints a one-line error and returns FALSE.
 * `usage` is the parameter string after the command name (e.g. "FILE|DIR..."). */
gboolean cli_parse(const char *command, const char *usage, const char *description,
                   const GOptionEntry *entries, int *argc, char ***argv);

/* Shared by the subcommands (sim/cli_run.c); the seed options are in sim/cli_options.h. */
GPtrArray *cli_expand_paths(const char *command, int argc, char **argv);
struct RunResult;

/* --report DIR, shared by run, fuzz and replay (sim/cli_run.c). */
/* Creates DIR (and its parents) and checks that it is writable; prints a one-line error. */
gboolean cli_report_open(const char *command, const char *dir);
/* A report run from a run's result; with its detail when the run kept its world (keep_trace).
 * Caller owns the result. */
ReportRun *cli_report_run_new(const char *name, const char *file, const struct RunResult *r,
                              const char *replay, double wall_seconds);
/* Writes the four files into DIR and prints where they are and how long writing took (from
 * `started`, a monotonic time in seconds, which lets a caller count work done for the report). */
gboolean cli_report_write(const char *command, const ReportSet *set, const char *dir,
                          double started);
/* Monotonic wall time in seconds, for timings the commands print. */
double cli_wall_now(void);

int cli_run(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_fuzz(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_shrink(int argc, char **argv);
int cli_check_determinism(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_check_history(int argc, char **argv);
int cli_bugs(int argc, char **argv);
int cli_protocols(int argc, char **argv);
int cli_version(int argc, char **argv);
