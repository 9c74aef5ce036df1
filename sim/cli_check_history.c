/* sim/cli_check_history.c — `durasim check-history`: are histories recorded by other tools
 * (Jepsen, Maelstrom, any harness) or by durasim itself linearizable? One line per file; with
 * --report DIR, a page that draws each history and its (partial) linearization. */
#include "sim/cli.h"

#include "reports/history/check.h"
#include "reports/history/view.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A --budget value: a count of states (1000000, 20M, 5k, 1G), or bytes of memory (512MB,
 * 2GiB, 64KB). */
static gboolean parse_budget(const char *text, HcBudget *b)
{
    char *end;
    errno = 0;
    guint64 n = g_ascii_strtoull(text, &end, 10);
    if (end == text || n == 0 || errno == ERANGE || !g_ascii_isdigit(text[0]))
        return FALSE;
    static const struct {
        const char *suffix;
        guint64 mul;
        gboolean bytes;
    } units[] = {
        {"", 1, FALSE},
        {"k", 1000, FALSE},
        {"M", 1000000, FALSE},
        {"G", 1000000000, FALSE},
        {"KB", 1000, TRUE},
        {"MB", 1000000, TRUE},
        {"GB", 1000000000, TRUE},
        {"KiB", (guint64)1 << 10, TRUE},
        {"MiB", (guint64)1 << 20, TRUE},
        {"GiB", (guint64)1 << 30, TRUE},
    };
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (n > G_MAXUINT64 / units[i].mul)
            return FALSE;
        if (units[i].bytes)
            b->memory_bytes = (gsize)(n * units[i].mul);
        else
            b->states = n * units[i].mul;
        return TRUE;
    }
    return FALSE;
}

typedef struct {
    HcFormat format;
    const HcModel *model;
    HcCheckOptions opt;
    gboolean verbose;
} Settings;

static void print_parts(const HcFile *f)
{
    const HcCheck *c = &f->check;
    printf("  model %s, format %s; %u ops checked (%u :fail left out, %u never completed, %u "
           ":info writes nothing observed left out), %u keys, %" G_GUINT64_FORMAT
           " states, %.1f MB at the most\n",
           f->model->name, hc_format_name(f->format), f->history.ops->len, f->history.failed,
           f->history.open, f->history.pruned, c->parts->len, c->states,
           (double)c->peak_bytes / 1e6);
    for (guint i = 0; i < c->parts->len; i++) {
        const HcPart *p = &g_array_index(c->parts, HcPart, i);
        const char *key = g_ptr_array_index(f->history.keys, p->key);
        printf("  key %-12s %-16s %6u ops %10" G_GUINT64_FORMAT " states\n", *key ? key : "-",
               hc_verdict_name(p->verdict), p->nops, p->states);
    }
}

/* The files kept for --report: each checked file, its name and its verdict line. */
typedef struct {
    GPtrArray *files; /* of HcFile*, owned */
    GPtrArray *names; /* of char*, borrowed from argv */
    GPtrArray *lines; /* of char*, owned */
} Kept;

/* Checks one file and prints its line; returns the exit status it calls for. With `kept`, the
 * checked file goes there. */
static int check_one(const char *path, const Settings *st, Kept *kept)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        cli_error("check-history: %s", err->message);
        return CLI_EXIT_USAGE;
    }
    double t0 = cli_wall_now();
    HcFile *f = g_new0(HcFile, 1);
    int status = CLI_EXIT_USAGE;
    if (!hc_file_check(f, text, len, path, st->format, st->model, &st->opt, &err)) {
        cli_error("check-history: %s", err->message);
    } else {
        double seconds = cli_wall_now() - t0;
        char *summary = hc_file_summary(f, seconds);
        printf("history: %s %s\n", path, summary);
        if (st->verbose)
            print_parts(f);
        status = f->check.verdict == HC_LINEARIZABLE ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
        if (kept) {
            g_ptr_array_add(kept->files, f);
            g_ptr_array_add(kept->names, (gpointer)path);
            g_ptr_array_add(kept->lines, summary);
            return status;
        }
        g_free(summary);
    }
    hc_file_clear(f);
    g_free(f);
    return status;
}

static void free_file(gpointer f)
{
    hc_file_clear(f);
    g_free(f);
}

/* Checks every file; with `report`, writes the page of those that were read. */
static int check_all(int argc, char **argv, Settings *st, const char *report)
{
    Kept kept = {g_ptr_array_new_with_free_func(free_file), g_ptr_array_new(),
                 g_ptr_array_new_with_free_func(g_free)};
    st->opt.keep_orders = report != NULL;
    int status = CLI_EXIT_PASS;
    for (int i = 1; i < argc; i++) {
        int one = check_one(argv[i], st, report ? &kept : NULL);
        status = MAX(status, one);
    }
    if (report && kept.files->len > 0) {
        g_autoptr(GError) err = NULL;
        if (!hc_view_write(report, (HcFile *const *)kept.files->pdata,
                           (const char *const *)kept.names->pdata,
                           (const char *const *)kept.lines->pdata, kept.files->len, &err)) {
            cli_error("check-history: --report: %s", err->message);
            status = CLI_EXIT_USAGE;
        } else {
            printf("report: %s/index.html\n", report);
        }
    }
    g_ptr_array_unref(kept.files);
    g_ptr_array_unref(kept.names);
    g_ptr_array_unref(kept.lines);
    return status;
}

static gboolean settle(Settings *st, const char *model, const char *format, char **budgets)
{
    st->opt.budget = (HcBudget){HC_DEFAULT_STATES, HC_DEFAULT_MEMORY_BYTES};
    if (model && !(st->model = hc_model_find(model))) {
        cli_error("check-history: unknown model '%s' (%s)", model, hc_model_names());
        return FALSE;
    }
    if (format && !hc_format_parse(format, &st->format)) {
        cli_error("check-history: unknown format '%s' (jepsen-edn, jepsen-log, json)", format);
        return FALSE;
    }
    for (int i = 0; budgets && budgets[i]; i++) {
        if (!parse_budget(budgets[i], &st->opt.budget)) {
            cli_error("check-history: --budget '%s' is neither a number of states (20M) nor of "
                      "bytes (512MB, 2GiB)",
                      budgets[i]);
            return FALSE;
        }
    }
    return TRUE;
}

int cli_check_history(int argc, char **argv)
{
    char *model = NULL, *format = NULL, *report = NULL;
    char **budgets = NULL;
    Settings st = {0};
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_STRING, &model,
         "register, cas-register, counter, kv or durasim-kv (default: from the operations)", "M"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format,
         "jepsen-edn, jepsen-log or json (default: from the first line)", "F"},
        {"budget", 0, 0, G_OPTION_ARG_STRING_ARRAY, &budgets,
         "States (20M) or memory (1GiB) per file before the verdict is unknown (repeatable)", "B"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Write DIR/index.html: each history by process, its linearization, what broke it", "DIR"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &st.verbose, "Also print each key's verdict", NULL},
        {NULL},
    };
    int status = CLI_EXIT_USAGE;
    if (!cli_parse("check-history", "FILE...",
                   "Check that recorded histories are linearizable, with Jepsen's meaning of\n"
                   ":ok, :fail (did not happen) and :info (may have happened, any time after\n"
                   "its invocation). One line per file: 'history: FILE' and linearizable,\n"
                   "not-linearizable (with the longest linearizable prefix and the operation\n"
                   "that breaks it) or unknown (the budget ran out), the operation count and the\n"
                   "time. Exit status: 0 if every file is linearizable, 1 if any is not or is\n"
                   "unknown, 2 on bad input.",
                   entries, &argc, &argv))
        goto out;
    if (argc < 2) {
        cli_error("check-history: give at least one history file (try 'durasim check-history "
                  "--help')");
        goto out;
    }
    if (!settle(&st, model, format, budgets))
        goto out;
    if (report && !cli_report_open("check-history", report))
        goto out;
    status = check_all(argc, argv, &st, report);
out:
    g_free(model);
    g_free(format);
    g_free(report);
    g_strfreev(budgets);
    return status;
}
