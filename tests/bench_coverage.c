/* tests/bench_coverage.c — how soon campaigns find bugs, and how fast they reach marks.
 *
 *   first-failure-BUG-default  the first seed of 1..LIMIT (faults within the model, bug variant
 *                              BUG on) whose violations include the kind the variant names
 *                              (`durasim bugs`), as `durasim fuzz --bug BUG` runs them
 *   first-failure-BUG-guided   the same for `durasim fuzz --guided --bug BUG`: the run index
 *   marks-PROTOCOL-default-N   owed marks (the protocol's and the world's) that seeds 1..N of a
 *                              default campaign reached, for N = 1,000, 2,000, 5,000 and 10,000,
 *                              of how many are owed (a default campaign of 10,000 seeds owes all)
 *   marks-PROTOCOL-guided-N    the same for runs 1..N of a guided campaign (N = 1,000 and 2,000)
 *
 * Every figure is a count of seeds or marks, the same on any machine: campaigns are deterministic
 * whatever --jobs is. "none" means no seed of 1..LIMIT showed the kind. Usage:
 * bench_coverage [LIMIT [PROTOCOL]] (default 2000, every protocol of the build).
 */
#include "reports/marks.h"
#include "sim/campaign.h"
#include "sim/guided.h"
#include "sim/protocols.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define JOBS 2

static const guint default_points[] = {1000, 2000, 5000, 10000};
static const guint guided_points[] = {1000, 2000};

typedef struct {
    ViolationKind kind;
    uint64_t found; /* seed or run index; 0: none yet */
    /* marks: the campaign's totals at each point */
    const Protocol *protocol;
    const guint *points;
    guint npoints, next;
    const char *label;
} Watch;

static guint owed_reached(const WorldStats *s, const Protocol *p, guint *owed)
{
    GArray *tally = mark_tally_new(s, p);
    guint reached = 0;
    *owed = 0;
    for (guint i = 0; i < tally->len; i++) {
        const MarkTally *m = &g_array_index(tally, MarkTally, i);
        if (m->unowed)
            continue;
        (*owed)++;
        reached += m->count > 0;
    }
    mark_tally_free(tally);
    return reached;
}

static gboolean stop_at_kind(const SeedResult *r, ViolationKind kind, uint64_t index, Watch *w)
{
    if (((r->kinds >> kind) & 1u) == 0)
        return TRUE;
    w->found = index;
    return FALSE;
}

static gboolean on_seed_kind(const SeedResult *r, const CampaignTotals *t, void *ctx)
{
    Watch *w = ctx;
    return stop_at_kind(r, w->kind, t->done, w);
}

static gboolean on_run_kind(const GuidedResult *g, const CampaignTotals *t, void *ctx)
{
    Watch *w = ctx;
    return stop_at_kind(&g->r, w->kind, g->index, w);
}

static void print_marks(Watch *w, const CampaignTotals *t)
{
    if (w->next >= w->npoints || t->done != w->points[w->next])
        return;
    guint owed;
    guint reached = owed_reached(&t->cover, w->protocol, &owed);
    printf("bench: marks-%s-%s-%u %u marks (of %u owed)\n", protocol_name(w->protocol), w->label,
           w->points[w->next], reached, owed);
    fflush(stdout);
    w->next++;
}

static gboolean on_seed_marks(const SeedResult *r, const CampaignTotals *t, void *ctx)
{
    print_marks(ctx, t);
    return TRUE;
}

static gboolean on_run_marks(const GuidedResult *g, const CampaignTotals *t, void *ctx)
{
    print_marks(ctx, t);
    return TRUE;
}

static void remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_dir_close(d);
    }
    (void)g_remove(path);
}

/* A guided campaign whose failing scenarios go to a scratch directory, removed after. */
static void run_guided(const CampaignSpec *spec, uint64_t count, GuidedRunFn fn, void *ctx)
{
    g_autofree char *dir = g_dir_make_tmp("bench-coverage-XXXXXX", NULL);
    g_assert(dir);
    g_autofree char *failures = g_build_filename(dir, "failures", NULL);
    GuidedSpec g = {spec, 1, count, JOBS, NULL, failures, fn, ctx, NULL};
    CampaignTotals totals = {0};
    GuidedSummary summary = {0};
    g_autoptr(GError) err = NULL;
    if (!guided_run(&g, &totals, &summary, &err))
        g_error("guided campaign: %s", err->message);
    remove_tree(dir);
}

static void print_first(const char *bug, const char *how, uint64_t found, const char *unit,
                        uint64_t limit)
{
    if (found)
        printf("bench: first-failure-%s-%s %" G_GUINT64_FORMAT " %s\n", bug, how, found, unit);
    else
        printf("bench: first-failure-%s-%s none (not within %" G_GUINT64_FORMAT " %s)\n", bug, how,
               limit, unit);
}

static void first_failures(const Protocol *p, uint64_t limit)
{
    for (guint b = 0; b < p->n_bugs; b++) {
        const BugVariant *v = &p->bugs[b];
        Watch w = {0};
        if (!violation_kind_parse(v->oracle, &w.kind))
            g_error("bug %s names no violation kind (%s)", v->name, v->oracle);
        CampaignSpec spec = {p, FAULTS_WITHIN, (BugSet)1 << b};
        CampaignSeeds seeds = {1, limit, 1, 1};
        CampaignRun run = {JOBS, NULL, on_seed_kind, &w, NULL};
        CampaignTotals totals = {0};
        campaign_run(&spec, &seeds, &run, &totals);
        uint64_t def = w.found;
        w.found = 0;
        run_guided(&spec, limit, on_run_kind, &w);
        print_first(v->name, "default", def, "seeds", limit);
        print_first(v->name, "guided", w.found, "runs", limit);
        fflush(stdout);
    }
}

static void marks_curves(const Protocol *p)
{
    CampaignSpec spec = {p, FAULTS_WITHIN, 0};
    Watch w = {.protocol = p,
               .points = default_points,
               .npoints = G_N_ELEMENTS(default_points),
               .label = "default"};
    CampaignSeeds seeds = {1, default_points[G_N_ELEMENTS(default_points) - 1], 1, 1};
    CampaignRun run = {JOBS, NULL, on_seed_marks, &w, NULL};
    CampaignTotals totals = {0};
    campaign_run(&spec, &seeds, &run, &totals);
    Watch gw = {.protocol = p,
                .points = guided_points,
                .npoints = G_N_ELEMENTS(guided_points),
                .label = "guided"};
    run_guided(&spec, guided_points[G_N_ELEMENTS(guided_points) - 1], on_run_marks, &gw);
}

int main(int argc, char **argv)
{
    protocols_install();
    uint64_t limit = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 2000;
    const char *only = argc > 2 ? argv[2] : NULL;
    for (guint i = 0; i < protocol_count(); i++) {
        const Protocol *p = protocol_at(i);
        if (only && strcmp(only, protocol_name(p)) != 0)
            continue;
        marks_curves(p);
        first_failures(p, limit);
    }
    return 0;
}
