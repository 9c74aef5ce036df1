/* sim/cli_merge.c — `durasim merge`: combines the reports of campaign shards (or of any
 * commands) into one set of report.json, junit.xml, summary.md and index.html. */
#include "sim/cli.h"

#include <stdio.h>

/* The report.json of a DIR argument (or the argument itself when it names a file). Caller
 * frees. */
static char *report_path(const char *arg)
{
    if (g_file_test(arg, G_FILE_TEST_IS_DIR))
        return g_build_filename(arg, "report.json", NULL);
    return g_strdup(arg);
}

int cli_merge(int argc, char **argv)
{
    char *report = NULL;
    GOptionEntry entries[] = {
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Write the merged report.json, junit.xml, summary.md and index.html into DIR (required)",
         "DIR"},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    ReportSet *merged = NULL;
    if (!cli_parse("merge", "DIR...",
                   "Combine the reports of campaign shards (each DIR holds a report.json written\n"
                   "with --report) into one set: the shards of one campaign become one suite in\n"
                   "seed order. Exit status: 0 if every merged run passed, 1 if any failed, 2 on\n"
                   "bad input.",
                   entries, &argc, &argv))
        goto out;
    if (!report) {
        cli_error("merge: --report DIR is required (where the merged report goes)");
        goto out;
    }
    if (argc < 2) {
        cli_error("merge: give at least one report directory (try 'durasim merge --help')");
        goto out;
    }
    double started = cli_wall_now();
    merged = report_set_new();
    for (int i = 1; i < argc; i++) {
        g_autofree char *path = report_path(argv[i]);
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            cli_error("merge: %s: no report.json there (write one with --report)", argv[i]);
            goto out;
        }
        g_autoptr(GError) err = NULL;
        g_autoptr(ReportSet) one = report_set_load(path, &err);
        if (!one) {
            cli_error("merge: %s", err->message);
            goto out;
        }
        report_set_merge(merged, one);
    }
    if (!cli_report_open("merge", report))
        goto out;
    ReportTotals t;
    report_set_totals(merged, &t);
    printf("merge: %d reports, %u suites, %u runs: %u passed, %u failed\n", argc - 1,
           merged->suites->len, t.runs, t.passed, t.failed);
    if (!cli_report_write("merge", merged, report, started))
        goto out;
    status = t.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
out:
    report_set_free(merged);
    g_free(report);
    return status;
}
