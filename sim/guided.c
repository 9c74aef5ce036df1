/* sim/guided.c — coverage-guided campaigns (see guided.h).
 *
 * Invariants: the virgin map only gains bits; a corpus entry never changes once added (mutations
 * work on copies made from its exported text); inputs of a batch depend only on the corpus as
 * the batch began and on the run index.
 */
#include "sim/guided.h"

#include "reports/marks.h"
#include "scenarios/mutate.h"
#include "sim/ordered_pool.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define FRESH_ONE_IN 2 /* runs that start from a fresh seed rather than a corpus scenario */
#define STACK        4 /* mutations stacked on one input, at most */

typedef struct {
    Scenario *s;
    char *text;     /* exported form */
    guint new_bits; /* count buckets it was the first to reach */
} Entry;

typedef struct {
    Scenario *s;    /* what runs */
    char *origin;   /* how it was made */
    gboolean fresh; /* from a fresh seed (else a corpus scenario mutated) */
    uint64_t seed;  /* a fresh run's seed */
    gboolean from_file;
} Input;

typedef struct {
    SeedResult r;
} Output;

typedef struct {
    const GuidedSpec *g;
    const Protocol *p;
    guint slots;       /* the protocol's marks, then the world's */
    uint16_t *virgin;  /* per slot: the count buckets some run reached */
    GPtrArray *corpus; /* of Entry*, in the order they joined; fixed during a batch */
    GPtrArray *joined; /* of Entry*: kept by the batch in flight, joining at its end */
    GPtrArray *queue;  /* of Scenario*: corpus files still to run first */
    guint loaded;
    uint64_t next;      /* the next run's index (from 1) */
    uint64_t next_seed; /* the seed the next fresh run takes: fresh runs go through the seeds in
                           order, as a default campaign does */
    CampaignTotals *t;
    Input *in; /* the batch in flight */
    gboolean stop;
    GError **error;
} Guide;

/* ---- coverage ---- */

/* AFL's count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
static uint16_t bucket_bit(MarkCount n)
{
    if (n == 0)
        return 0;
    if (n <= 3)
        return (uint16_t)(1u << (n - 1));
    guint b = n < 8 ? 3 : n < 16 ? 4 : n < 32 ? 5 : n < 128 ? 6 : 7;
    return (uint16_t)(1u << b);
}

static MarkCount slot_count(const Guide *gd, const WorldStats *s, guint slot)
{
    return slot < gd->p->n_marks ? s->marks[slot] : s->world_marks[slot - gd->p->n_marks];
}

/* Adds the run's buckets to the virgin map; returns how many were new. */
static guint take_coverage(Guide *gd, const WorldStats *s)
{
    guint fresh = 0;
    for (guint i = 0; i < gd->slots; i++) {
        uint16_t b = bucket_bit(slot_count(gd, s, i));
        if (b & ~gd->virgin[i]) {
            gd->virgin[i] |= b;
            fresh++;
        }
    }
    return fresh;
}

/* ---- the corpus ---- */

static void entry_free(gpointer p)
{
    Entry *e = p;
    scenario_free(e->s);
    g_free(e->text);
    g_free(e);
}

/* A copy of a scenario through its exported text, so that it is exactly what a file holds. */
static Scenario *copy_of(const char *text)
{
    g_autoptr(GError) err = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "corpus", &err);
    if (!s)
        g_error("a corpus scenario does not load back: %s\n%s", err->message, text);
    return s;
}

static char *file_name(const char *dir, const char *prefix, const char *text)
{
    g_autofree char *base =
        g_strdup_printf("%s%016" G_GINT64_MODIFIER "x.ini", prefix, sim_hash_string(text));
    return g_build_filename(dir, base, NULL);
}

/* Writes `text` into dir (made if needed); returns the path (caller frees) or NULL. */
static char *write_scenario(Guide *gd, const char *dir, const char *prefix, const char *text)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        if (!*gd->error)
            g_set_error(gd->error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot make directory %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    char *path = file_name(dir, prefix, text);
    if (!g_file_set_contents(path, text, -1, gd->error)) {
        g_free(path);
        return NULL;
    }
    return path;
}

/* Keeps a scenario; it joins the corpus when the batch ends (inputs of a batch are all drawn
 * from the corpus as the batch began). */
static void corpus_add(Guide *gd, Scenario *s, const char *text, guint new_bits)
{
    Entry *e = g_new0(Entry, 1);
    e->s = s;
    e->text = g_strdup(text);
    e->new_bits = new_bits;
    g_ptr_array_add(gd->joined, e);
}

/* An entry to mutate: one that first reached more buckets is drawn more often. */
static const Entry *pick_entry(const Guide *gd, SimRng *rng)
{
    guint64 total = 0;
    for (guint i = 0; i < gd->corpus->len; i++)
        total += 1 + 3 * MIN(((Entry *)g_ptr_array_index(gd->corpus, i))->new_bits, 5u);
    guint64 x = sim_rng_uniform(rng, 0, total - 1);
    for (guint i = 0; i < gd->corpus->len; i++) {
        const Entry *e = g_ptr_array_index(gd->corpus, i);
        guint64 w = 1 + 3 * MIN(e->new_bits, 5u);
        if (x < w)
            return e;
        x -= w;
    }
    g_assert_not_reached();
}

/* ---- a batch ---- */

/* Whether run `index` starts from a fresh seed; leaves its stream in *rng for the rest. */
static gboolean draws_fresh(const Guide *gd, uint64_t index, SimRng *rng)
{
    sim_rng_stream(rng, gd->g->first, "guided", index);
    return gd->corpus->len == 0 || index <= GUIDED_BATCH || sim_rng_chance(rng, 1, FRESH_ONE_IN);
}

/* The input of run `index`, made on a worker thread: it reads the corpus only. */
static void make_input(const Guide *gd, uint64_t index, Input *in)
{
    const GuidedSpec *g = gd->g;
    SimRng rng;
    gboolean fresh = draws_fresh(gd, index, &rng);
    g_assert(fresh == in->fresh);
    if (fresh) {
        in->s = scenario_generate(g->spec->protocol, in->seed, g->spec->mode);
        in->origin = g_strdup_printf("seed %" G_GUINT64_FORMAT, in->seed);
        return;
    }
    const Entry *parent = pick_entry(gd, &rng);
    const Entry *donor = pick_entry(gd, &rng);
    in->s = copy_of(parent->text);
    g_autofree char *what = scenario_mutate(in->s, donor->s, g->spec->mode, STACK, &rng);
    g_free(in->s->name);
    in->s->name = g_strdup_printf("guided-%s-%" G_GUINT64_FORMAT, gd->p->name, index);
    g_free(in->s->summary);
    in->s->summary =
        g_strdup_printf("guided run %" G_GUINT64_FORMAT " (%s): %s", index, parent->s->name, what);
    in->origin = g_strdup_printf("%s mutated: %s", parent->s->name, what);
}

static void work_one(uint64_t item, void *result, void *ctx)
{
    Guide *gd = ctx;
    Output *o = result;
    double t0 = gd->g->wall_now ? gd->g->wall_now() : 0;
    if (!gd->in[item].s)
        make_input(gd, gd->next + item, &gd->in[item]);
    campaign_run_scenario(gd->g->spec, gd->in[item].s, &o->r);
    o->r.wall_seconds = gd->g->wall_now ? gd->g->wall_now() - t0 : 0;
}

/* The run's scenario with the campaign's bug variants, as a file replays it. */
static char *exported(const Guide *gd, Scenario *s)
{
    protocol_bugs_add(gd->g->spec->protocol, &s->config, gd->g->spec->bugs);
    return scenario_to_data(s);
}

static gboolean take_one(uint64_t item, void *result, void *ctx)
{
    Guide *gd = ctx;
    Output *o = result;
    Input *in = &gd->in[item];
    GuidedResult res = {.index = gd->next + item, .r = o->r, .origin = in->origin};
    g_autofree char *text = exported(gd, in->s);
    g_autofree char *file = NULL;
    guint fresh = take_coverage(gd, &o->r.stats);
    if (fresh > 0 || in->from_file) {
        res.kept = TRUE;
        if (gd->g->corpus_dir && !in->from_file)
            file = write_scenario(gd, gd->g->corpus_dir, "id-", text);
        corpus_add(gd, g_steal_pointer(&in->s), text, fresh);
    }
    if (!o->r.passed) {
        g_free(file);
        g_autofree char *prefix = g_strdup_printf("run-%06" G_GUINT64_FORMAT "-", res.index);
        file = write_scenario(gd, gd->g->failures_dir, prefix, text);
    }
    res.file = file;
    campaign_totals_add(gd->t, &o->r);
    if (*gd->error || (gd->g->on_run && !gd->g->on_run(&res, gd->t, gd->g->ctx))) {
        gd->stop = TRUE;
        return FALSE;
    }
    return TRUE;
}

static void clear_one(void *result)
{
    seed_result_clear(&((Output *)result)->r);
}

static void run_batch(Guide *gd, guint n)
{
    gd->in = g_new0(Input, n);
    /* The corpus directory's scenarios run first, as they are. */
    for (guint i = 0; i < n && gd->queue->len > 0; i++) {
        Input *in = &gd->in[i];
        in->s = g_ptr_array_steal_index(gd->queue, 0);
        in->origin = g_strdup_printf("corpus file %s", in->s->path ? in->s->path : in->s->name);
        in->from_file = TRUE;
    }
    /* Which runs start fresh, and from which seeds, in run order. */
    for (guint i = 0; i < n; i++) {
        SimRng rng;
        Input *in = &gd->in[i];
        if (!in->s && (in->fresh = draws_fresh(gd, gd->next + i, &rng)))
            in->seed = gd->next_seed++;
    }
    OrderedPoolSpec pool = {.jobs = gd->g->jobs,
                            .result_size = sizeof(Output),
                            .work = work_one,
                            .take = take_one,
                            .clear = clear_one,
                            .ctx = gd};
    guint taken = (guint)ordered_pool_run(&pool, n);
    gd->next += taken;
    for (guint i = 0; i < gd->joined->len; i++)
        g_ptr_array_add(gd->corpus, g_ptr_array_index(gd->joined, i));
    g_ptr_array_set_size(gd->joined, 0);
    for (guint i = 0; i < n; i++) {
        if (gd->in[i].s)
            scenario_free(gd->in[i].s);
        g_free(gd->in[i].origin);
    }
    g_free(gd->in);
    gd->in = NULL;
}

/* ---- the campaign ---- */

/* The corpus directory's scenarios of this protocol, to run first. */
static gboolean load_corpus(Guide *gd, GError **error)
{
    const char *dir = gd->g->corpus_dir;
    if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR))
        return TRUE;
    g_auto(GStrv) files = scenario_list_dir(dir, error);
    if (!files)
        return FALSE;
    for (guint i = 0; files[i]; i++) {
        Scenario *s = scenario_load_file(files[i], error);
        if (!s)
            return FALSE;
        if (s->config.protocol != gd->p) {
            scenario_free(s);
            continue;
        }
        g_ptr_array_add(gd->queue, s);
        gd->loaded++;
    }
    return TRUE;
}

static void summarise(const Guide *gd, GuidedSummary *out)
{
    *out = (GuidedSummary){.corpus = gd->corpus->len, .loaded = gd->loaded};
    for (guint i = 0; i < gd->slots; i++) {
        gboolean reached = gd->virgin[i] != 0;
        const char *unowed = i < gd->p->n_marks
                                 ? gd->p->marks[i].unowed
                                 : world_mark_unowed((WorldMark)(i - gd->p->n_marks), gd->p);
        out->marks_reached += reached;
        out->marks_owed += unowed == NULL;
        out->owed_reached += unowed == NULL && reached;
    }
}

gboolean guided_run(const GuidedSpec *g, CampaignTotals *totals, GuidedSummary *summary,
                    GError **error)
{
    memset(totals, 0, sizeof *totals);
    Guide gd = {.g = g,
                .p = g->spec->protocol,
                .next = 1,
                .next_seed = g->first,
                .t = totals,
                .error = error};
    gd.slots = gd.p->n_marks + WORLD_MARK_COUNT;
    gd.virgin = g_new0(uint16_t, gd.slots);
    gd.corpus = g_ptr_array_new_with_free_func(entry_free);
    gd.joined = g_ptr_array_new();
    gd.queue = g_ptr_array_new_with_free_func((GDestroyNotify)scenario_free);
    gboolean ok = load_corpus(&gd, error);
    while (ok && !gd.stop && gd.next <= g->count) {
        uint64_t left = g->count - gd.next + 1;
        run_batch(&gd, (guint)MIN(left, (uint64_t)GUIDED_BATCH));
        ok = *error == NULL;
    }
    summarise(&gd, summary);
    g_free(gd.virgin);
    g_ptr_array_unref(gd.corpus);
    g_ptr_array_unref(gd.joined);
    g_ptr_array_unref(gd.queue);
    return ok;
}
