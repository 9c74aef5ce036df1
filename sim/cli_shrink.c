/* sim/cli_shrink.c — `durasim shrink`: reduce a failing seed or scenario file to a minimal
 * scenario that still shows the same kind of violation.
 *
 * Every candidate is a whole scenario: it is written out, loaded back (so that the loader checks
 * it exactly as it checks a user's file) and run; it is kept if its run still shows the target
 * violation kind. The passes, repeated until none of them removes anything more:
 *   faults          delta debugging (ddmin) over the fault list, then pairs and triples
 *   scripted ops    delta debugging over the [op] list
 *   random ops      halving, then one by one
 *   clients, nodes, coordinators, keys   one fewer at a time
 *   times           halving settle, each fault's `for` and `restart_after`
 * The seed stays: the result replays the same way with `durasim run`.
 */
#include "sim/campaign.h"
#include "sim/cli.h"
#include "sim/cli_options.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    ViolationKind target;
    guint runs;
    guint max_runs;
} Shrinker;

/* A deep copy, by writing and loading back; NULL if the loader rejects the scenario. */
static Scenario *reload(const Scenario *s)
{
    g_autofree char *data = scenario_to_data(s);
    return scenario_load_data(data, strlen(data), s->name, NULL);
}

/* Runs a scenario; returns its violation kinds through *kinds. FALSE on an internal error. */
static gboolean run_kinds(const Scenario *s, ViolationSet *kinds)
{
    RunOptions opt = {0};
    RunResult r;
    g_autoptr(GError) err = NULL;
    gboolean ok = runner_run(s, &opt, &r, &err);
    *kinds = ok ? r.verdict.kinds : 0;
    run_result_clear(&r);
    return ok;
}

/* Runs a candidate (takes it). If it is a valid scenario that still shows the target kind it
 * becomes *best (as the loader read it back) and TRUE is returned; else it is dropped. */
static gboolean adopt(Shrinker *sh, Scenario **best, Scenario *cand)
{
    g_autoptr(Scenario) owned = cand;
    if (sh->runs >= sh->max_runs)
        return FALSE;
    Scenario *s = reload(cand);
    if (!s)
        return FALSE; /* not a valid scenario (a fault names a node that is gone, ...) */
    sh->runs++;
    ViolationSet kinds;
    if (!run_kinds(s, &kinds) || !(kinds & (1u << sh->target))) {
        scenario_free(s);
        return FALSE;
    }
    scenario_free(*best);
    *best = s;
    return TRUE;
}

/* ---- delta debugging over a list (faults, scripted ops) ---- */

typedef enum { LIST_FAULTS, LIST_OPS } ListKind;

static GPtrArray *list_of(Scenario *s, ListKind which)
{
    return which == LIST_FAULTS ? s->faults.faults : s->config.scripted;
}

static const char *item_name(Scenario *s, ListKind which, guint i)
{
    if (which == LIST_FAULTS)
        return ((FaultSpec *)g_ptr_array_index(s->faults.faults, i))->name;
    return ((ScriptedOp *)g_ptr_array_index(s->config.scripted, i))->name;
}

/* The names of items idx[0..k) (ascending), as "a, b and c". Caller frees. */
static char *names_of(Scenario *s, ListKind which, const guint *idx, guint k)
{
    GString *names = g_string_new(NULL);
    for (guint m = 0; m < k; m++)
        g_string_append_printf(names, "%s%s", m ? (m + 1 == k ? " and " : ", ") : "",
                               item_name(s, which, idx[m]));
    return g_string_free(names, FALSE);
}

/* A copy of `s` without the items idx[0..k) (ascending) of the list. */
static Scenario *without(const Scenario *s, ListKind which, const guint *idx, guint k)
{
    Scenario *c = reload(s);
    for (guint m = k; m-- > 0;)
        g_ptr_array_remove_index(list_of(c, which), idx[m]); /* from the end */
    return c;
}

/* ddmin: tries removing chunks of the list, finer and finer; keeps every removal that still
 * fails. Returns TRUE if anything was removed. */
static gboolean ddmin(Shrinker *sh, Scenario **best, ListKind which)
{
    gboolean changed = FALSE;
    guint n = 2;
    while (list_of(*best, which)->len > 0) {
        guint len = list_of(*best, which)->len;
        n = MIN(n, len);
        guint chunk = (len + n - 1) / n;
        gboolean removed = FALSE;
        for (guint from = 0; from < len && !removed; from += chunk) {
            guint k = MIN(from + chunk, len) - from;
            g_autofree guint *idx = g_new(guint, k);
            for (guint m = 0; m < k; m++)
                idx[m] = from + m;
            g_autofree char *names = names_of(*best, which, idx, k);
            if (adopt(sh, best, without(*best, which, idx, k))) {
                printf("shrink: removed %s %s\n", which == LIST_FAULTS ? "faults" : "ops", names);
                removed = changed = TRUE;
            }
        }
        if (removed) {
            n = MAX(n - 1, 2);
            continue;
        }
        if (n >= len)
            break;
        n = MIN(n * 2, len);
    }
    return changed;
}

/* Removing one fault may change the timing that another one needs; removing two or three
 * together may not. Tries every pair, and every triple of a short list, after ddmin. */
static gboolean remove_sets(Shrinker *sh, Scenario **best, guint k)
{
    guint n = (*best)->faults.faults->len;
    if (n < k + 1)
        return FALSE;
    guint idx[3];
    for (guint m = 0; m < k; m++)
        idx[m] = m;
    for (;;) {
        g_autofree char *names = names_of(*best, LIST_FAULTS, idx, k);
        if (adopt(sh, best, without(*best, LIST_FAULTS, idx, k))) {
            printf("shrink: removed faults %s together\n", names);
            return TRUE;
        }
        /* The next k-subset in lexicographic order. */
        int m = (int)k - 1;
        while (m >= 0 && idx[m] == n - k + (guint)m)
            m--;
        if (m < 0)
            return FALSE;
        idx[m]++;
        for (guint r = (guint)m + 1; r < k; r++)
            idx[r] = idx[r - 1] + 1;
    }
}

/* Simpler faults: an earlier hit of the failpoint (smaller nth), a process crash instead of a
 * power one. They do not count as smaller by themselves, but often let another fault go. */
static gboolean simplify_faults(Shrinker *sh, Scenario **best)
{
    gboolean changed = FALSE;
    for (guint i = 0; i < (*best)->faults.faults->len; i++) {
        for (int what = 0; what < 2; what++) {
            const FaultSpec *f = g_ptr_array_index((*best)->faults.faults, i);
            gboolean can = what == 0 ? f->trigger != TRIG_AT && f->nth > 1
                                     : f->kind == FAULT_CRASH && f->power;
            if (!can)
                continue;
            g_autofree char *name = g_strdup(f->name);
            guint nth = f->nth;
            Scenario *c = reload(*best);
            FaultSpec *g = g_ptr_array_index(c->faults.faults, i);
            if (what == 0)
                g->nth = 1;
            else
                g->power = FALSE;
            if (!adopt(sh, best, c))
                continue;
            if (what == 0)
                printf("shrink: fault %s nth %u -> 1\n", name, nth);
            else
                printf("shrink: fault %s mode power -> process\n", name);
            changed = TRUE;
        }
    }
    return changed;
}

/* ---- one number at a time ---- */

/* A count to lower: a world setting, or one of the protocol's keys marked shrink. */
typedef struct {
    const char *name;
    gsize offset; /* into WorldConfig, or into its protocol struct */
    gboolean proto;
    guint floor;
} Number;

static guint *num_field(Scenario *s, const Number *n)
{
    unsigned char *base = n->proto ? s->config.proto : (unsigned char *)&s->config;
    return (guint *)(void *)(base + n->offset);
}

static gboolean try_number(Shrinker *sh, Scenario **best, const Number *n, guint value)
{
    guint old = *num_field(*best, n);
    Scenario *c = reload(*best);
    *num_field(c, n) = value;
    if (!adopt(sh, best, c))
        return FALSE;
    printf("shrink: %s %u -> %u\n", n->name, old, value);
    return TRUE;
}

/* Halves while that keeps failing, then steps down by one. */
static gboolean shrink_number(Shrinker *sh, Scenario **best, const Number *n)
{
    gboolean changed = FALSE;
    guint floor = n->floor;
    while (*num_field(*best, n) > 2 && *num_field(*best, n) / 2 >= floor &&
           try_number(sh, best, n, *num_field(*best, n) / 2))
        changed = TRUE;
    while (*num_field(*best, n) > floor && try_number(sh, best, n, *num_field(*best, n) - 1))
        changed = TRUE;
    return changed;
}

/* The random operations, clients and nodes, the protocol's own counts, then the keys. */
static gboolean shrink_numbers(Shrinker *sh, Scenario **best)
{
    static const Number world[] = {
        {"random ops", offsetof(WorldConfig, ops), FALSE, 0},
        {"clients", offsetof(WorldConfig, clients), FALSE, 1},
        {"nodes", offsetof(WorldConfig, nodes), FALSE, 1},
    };
    static const Number keys = {"keys", offsetof(WorldConfig, keys), FALSE, 1};
    gboolean changed = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(world); i++)
        changed |= shrink_number(sh, best, &world[i]);
    for (const ProtoKey *k = (*best)->config.protocol->keys; k->name; k++) {
        if (!k->shrink || k->type != PROTO_KEY_UINT)
            continue;
        Number n = {k->name, k->offset, TRUE, MAX(k->min, 1u)};
        changed |= shrink_number(sh, best, &n);
    }
    return shrink_number(sh, best, &keys) || changed;
}

/* ---- times ---- */

/* Half a duration, in whole milliseconds. */
static SimTime half(SimTime t)
{
    return t / 2 / SIM_MS * SIM_MS;
}

/* The duration of a fault: 0 its `for`, 1 its `restart_after`. */
static SimTime *fault_time(Scenario *s, guint i, int field)
{
    FaultSpec *f = g_ptr_array_index(s->faults.faults, i);
    return field == 0 ? &f->duration : &f->restart_after;
}

static gboolean shrink_times(Shrinker *sh, Scenario **best)
{
    gboolean changed = FALSE;
    char a[32], b[32];
    /* Convergence and liveness are judged after settle: a shorter settle shows them for another
     * reason (no time to catch up), so it stays. */
    gboolean keep_settle = sh->target == V_DIVERGENT || sh->target == V_STUCK;
    while (!keep_settle && (*best)->config.settle >= 200 * SIM_MS) {
        SimTime old = (*best)->config.settle;
        Scenario *c = reload(*best);
        c->config.settle = half(old);
        if (!adopt(sh, best, c))
            break;
        printf("shrink: settle %s -> %s\n", sim_time_format_human(old, a, sizeof a),
               sim_time_format_human(half(old), b, sizeof b));
        changed = TRUE;
    }
    for (guint i = 0; i < (*best)->faults.faults->len; i++) {
        for (int field = 0; field < 2; field++) {
            for (;;) {
                SimTime old = *fault_time(*best, i, field);
                if (old == SIM_TIME_NEVER || old < 2 * SIM_MS)
                    break;
                g_autofree char *name =
                    g_strdup(((FaultSpec *)g_ptr_array_index((*best)->faults.faults, i))->name);
                Scenario *c = reload(*best);
                *fault_time(c, i, field) = half(old);
                if (!adopt(sh, best, c))
                    break;
                printf("shrink: fault %s %s %s -> %s\n", name, field == 0 ? "for" : "restart_after",
                       sim_time_format_human(old, a, sizeof a),
                       sim_time_format_human(half(old), b, sizeof b));
                changed = TRUE;
            }
        }
    }
    return changed;
}

/* ---- the command ---- */

static guint scripted_count(const Scenario *s)
{
    return s->config.scripted ? s->config.scripted->len : 0;
}

static void print_shape(const char *label, const Scenario *s)
{
    printf("%s: %u faults, %u scripted ops, %u random ops, %u clients, %u nodes\n", label,
           s->faults.faults->len, scripted_count(s), s->config.ops, s->config.clients,
           s->config.nodes);
}

/* The violation kind to keep: `kind` when given (it must show), else the first it shows. Sets
 * *target; returns CLI_EXIT_PASS, or the exit status after one line of error. */
static int pick_target(Scenario *start, const char *kind, ViolationKind *target)
{
    ViolationSet kinds;
    if (!run_kinds(start, &kinds)) {
        cli_error("shrink: internal error running %s", start->name);
        return CLI_EXIT_INTERNAL;
    }
    if (kind) {
        if (!violation_kind_parse(kind, target)) {
            cli_error("shrink: unknown violation kind '%s'", kind);
            return CLI_EXIT_USAGE;
        }
        if (!(kinds & (1u << *target))) {
            g_autofree char *got = violation_set_format(kinds);
            cli_error("shrink: %s shows no %s violation (it shows: %s)", start->name, kind, got);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_PASS;
    }
    if (kinds == 0) {
        cli_error("shrink: %s shows no violation: nothing to shrink", start->name);
        return CLI_EXIT_USAGE;
    }
    RunOptions opt = {0};
    RunResult r;
    runner_run(start, &opt, &r, NULL);
    const Violation *first = g_ptr_array_index(r.verdict.violations, 0);
    *target = first->kind;
    run_result_clear(&r);
    return CLI_EXIT_PASS;
}

/* Every pass in turn until none makes the scenario smaller or the runs are spent. */
static void shrink_passes(Shrinker *sh, Scenario **best)
{
    gboolean changed = TRUE;
    while (changed && sh->runs < sh->max_runs) {
        changed = FALSE;
        changed |= ddmin(sh, best, LIST_FAULTS);
        if (!changed && (*best)->faults.faults->len <= 16)
            changed |= remove_sets(sh, best, 2);
        if (!changed && (*best)->faults.faults->len <= 10)
            changed |= remove_sets(sh, best, 3);
        changed |= ddmin(sh, best, LIST_OPS);
        changed |= shrink_numbers(sh, best);
        changed |= shrink_times(sh, best);
        if (!changed && (*best)->faults.faults->len > 0)
            changed |= simplify_faults(sh, best);
    }
    if (sh->runs >= sh->max_runs)
        printf("shrink: stopped after --max-runs %u runs; the result is smaller, maybe not "
               "minimal\n",
               sh->max_runs);
}

/* The minimal scenario: named after the original, with an [expect] that says what it shows.
 * With a bug variant on, it documents what the oracle catches (violations.include); without,
 * it is a regression that fails until the protocol is fixed (violations = none). */
static void describe_minimal(Scenario *best, const Scenario *start, ViolationKind target)
{
    g_free(best->name);
    best->name = g_strdup_printf("%s-min", start->name);
    g_free(best->summary);
    best->summary = g_strdup_printf("Shrunk from %s (seed %" G_GUINT64_FORMAT "): shows %s",
                                    start->name, start->config.seed, violation_kind_name(target));
    best->expect.present = TRUE;
    if (best->config.bugs) {
        best->expect.has_include = TRUE;
        best->expect.include = 1u << target;
    } else {
        best->expect.has_violations = TRUE;
        best->expect.violations = 0;
    }
}

/* Writes `best` to `path` and checks what was written, from the file, as a user will run it.
 * Returns the exit status. */
static int save_minimal(const Scenario *best, const char *path, const Shrinker *sh,
                        gboolean verbose)
{
    g_autoptr(GError) err = NULL;
    if (!scenario_save(best, path, &err)) {
        cli_error("shrink: %s", err->message);
        return CLI_EXIT_USAGE;
    }
    g_autoptr(Scenario) check = scenario_load_file(path, &err);
    RunOptions opt = {0};
    RunResult r;
    if (!check || !runner_run(check, &opt, &r, NULL)) {
        cli_error("shrink: internal error: %s does not load or run", path);
        return CLI_EXIT_INTERNAL;
    }
    gboolean shows = (r.verdict.kinds & (1u << sh->target)) != 0;
    print_shape("minimal", best);
    cli_print_result(check->name, &r, verbose);
    run_result_clear(&r);
    if (!shows) {
        cli_error("shrink: internal error: %s no longer shows %s", path,
                  violation_kind_name(sh->target));
        return CLI_EXIT_INTERNAL;
    }
    printf("shrink: %u runs; wrote %s (durasim run %s shows %s)\n", sh->runs, path, path,
           violation_kind_name(sh->target));
    return CLI_EXIT_PASS;
}

/* Shrinks `start` (expectations off); writes the result. Returns the exit status. */
static int shrink_scenario(Scenario *start, const char *kind, guint max_runs, const char *out_path,
                           gboolean verbose)
{
    Shrinker sh = {.max_runs = max_runs};
    int status = pick_target(start, kind, &sh.target);
    if (status != CLI_EXIT_PASS)
        return status;
    printf("shrink: %s, keeping its %s violation\n", start->name, violation_kind_name(sh.target));
    print_shape("start", start);
    g_autoptr(Scenario) best = reload(start);
    if (!best) {
        cli_error("shrink: %s does not survive writing and loading back", start->name);
        return CLI_EXIT_INTERNAL;
    }
    shrink_passes(&sh, &best);
    describe_minimal(best, start, sh.target);
    g_autofree char *path = out_path ? g_strdup(out_path) : g_strdup_printf("%s.ini", best->name);
    return save_minimal(best, path, &sh, verbose);
}

/* The scenario to shrink: a fuzz seed (--protocol P --seed N) or a scenario FILE. */
static Scenario *shrink_start(const CliSeedOptions *o, int argc, char **argv)
{
    if (o->seed >= 0) {
        CampaignSpec spec;
        if (argc > 1) {
            cli_error("shrink: give either FILE or --seed, not both");
            return NULL;
        }
        if (!cli_options_spec("shrink", o, &spec))
            return NULL;
        Scenario *s = scenario_generate(spec.protocol, (uint64_t)o->seed, spec.mode);
        protocol_bugs_add(spec.protocol, &s->config, spec.bugs);
        return s;
    }
    if (argc != 2) {
        cli_error(argc < 2 ? "shrink: give a scenario FILE, or --protocol P --seed N"
                           : "shrink: one scenario file at a time");
        return NULL;
    }
    if (o->protocol || o->faults) {
        cli_error("shrink: --protocol and --faults go with --seed");
        return NULL;
    }
    g_autoptr(GError) err = NULL;
    Scenario *s = scenario_load_file(argv[1], &err);
    if (!s) {
        cli_error("%s", err->message);
        return NULL;
    }
    BugSet extra = 0;
    if (!cli_parse_bugs("shrink", o->bugs, s->config.protocol, &extra)) {
        scenario_free(s);
        return NULL;
    }
    protocol_bugs_add(s->config.protocol, &s->config, extra);
    return s;
}

int cli_shrink(int argc, char **argv)
{
    CliSeedOptions o = CLI_SEED_OPTIONS_INIT;
    char *out_path = NULL, *kind = NULL;
    gint64 max_runs = 2000;
    gboolean verbose = FALSE;
    const GOptionEntry own[] = {
        {"kind", 0, 0, G_OPTION_ARG_STRING, &kind,
         "The violation kind to keep (default: the kind of the first violation)", "KIND"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
         "Where to write the minimal scenario (default: NAME-min.ini)", "FILE"},
        {"max-runs", 0, 0, G_OPTION_ARG_INT64, &max_runs, "Give up after this many runs (2000)",
         "N"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the final run's details", NULL},
        {NULL},
    };
    g_autofree GOptionEntry *entries = cli_options_entries(
        &o, CLI_OPT_PROTOCOL | CLI_OPT_SEED | CLI_OPT_FAULTS | CLI_OPT_BUG, own);
    int status = CLI_EXIT_USAGE;
    g_autoptr(Scenario) start = NULL;
    if (!cli_parse("shrink", "[FILE]",
                   "Reduce a failing seed or scenario to a minimal scenario file that still shows\n"
                   "the same kind of violation: fewer faults, operations, clients and nodes, and\n"
                   "shorter times. Prints what it removed and writes the minimal scenario.",
                   entries, &argc, &argv))
        goto out;
    if (max_runs < 1) {
        cli_error("shrink: --max-runs must be at least 1");
        goto out;
    }
    start = shrink_start(&o, argc, argv);
    if (!start)
        goto out;
    start->expect.present = FALSE; /* judged by violation kind alone while shrinking */
    status = shrink_scenario(start, kind, (guint)MIN(max_runs, G_MAXUINT), out_path, verbose);
out:
    cli_options_clear(&o);
    g_free(out_path);
    g_free(kind);
    return status;
}
