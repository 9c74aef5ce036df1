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

/* Reads the report of each argument; NULL (with the error printed) if one cannot be read. */
static GPtrArray *load_reports(int argc, char **argv)
{
    GPtrArray *sets = g_ptr_array_new_with_free_func((GDestroyNotify)report_set_free);
    for (int i = 1; i < argc; i++) {
        g_autofree char *path = report_path(argv[i]);
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            cli_error("merge: %s: no report.json there (write one with --report)", argv[i]);
            g_ptr_array_unref(sets);
            return NULL;
        }
        g_autoptr(GError) err = NULL;
        ReportSet *one = report_set_load(path, &err);
        if (!one) {
            cli_error("merge: %s", err->message);
            g_ptr_array_unref(sets);
            return NULL;
        }
        g_ptr_array_add(sets, one);
    }
    return sets;
}

/* One line per campaign merged with shards missing. */
static void print_partial(const ReportSet *merged)
{
    for (guint i = 0; i < merged->suites->len; i++) {
        const ReportSuite *s = g_ptr_array_index(merged->suites, i);
        if (!s->partial)
            continue;
        printf("merge: PARTIAL campaign '%s': missing shard", s->name);
        for (guint k = 0; k < s->missing->len; k++)
            printf("%s%s", k ? ", " : " ", (const char *)g_ptr_array_index(s->missing, k));
        printf("\n");
    }
}

int cli_merge(int argc, char **argv)
{
    char *report = NULL;
    gboolean partial = FALSE;
    GOptionEntry entries[] = {
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Write the merged report.json, junit.xml, summary.md and index.html into DIR (required)",
         "DIR"},
        {"partial", 0, 0, G_OPTION_ARG_NONE, &partial,
         "Merge an incomplete campaign (missing, repeated or disagreeing shards): the report is "
         "marked partial and names the missing shards",
         NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    ReportSet *merged = NULL;
    GPtrArray *sets = NULL;
    GError *err = NULL;
    if (!cli_parse("merge", "DIR...",
                   "Combine the reports of campaign shards (each DIR holds a report.json written\n"
                   "with --report) into one set: the shards of one campaign become one suite in\n"
                   "seed order. Every shard 1..N of a campaign must be given exactly once, and\n"
                   "shards must agree on their campaign (protocol, seeds, faults, bugs, shard\n"
                   "count, durasim version); otherwise merge refuses, unless --partial.\n"
                   "Exit status: 0 if every merged run passed, 1 if any failed, 2 on bad input.",
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
    if (!(sets = load_reports(argc, argv)))
        goto out;
    merged = report_merge((ReportSet **)sets->pdata, (const char *const *)(argv + 1), sets->len,
                          partial, &err);
    if (!merged) {
        cli_error("merge: %s", err->message);
        goto out;
    }
    if (!cli_report_open("merge", report))
        goto out;
    ReportTotals t;
    report_set_totals(merged, &t);
    printf("merge: %d reports, %u suites, %u runs: %u passed, %u failed\n", argc - 1,
           merged->suites->len, t.runs, t.passed, t.failed);
    print_partial(merged);
    if (!cli_report_write("merge", merged, report, started))
        goto out;
    status = t.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
out:
    g_clear_error(&err);
    if (sets)
        g_ptr_array_unref(sets);
    report_set_free(merged);
    g_free(report);
    return status;
}
