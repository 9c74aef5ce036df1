/* sim/guided.h — coverage-guided campaigns (`durasim fuzz --guided`), as AFL guides by edge
 * coverage: the guide is the reachability marks (model/marks.h). A run whose marks reach a new
 * count bucket (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+) of any mark — a mark never reached, or
 * reached more often than ever — keeps its scenario, in exported form, in the corpus; later runs
 * mutate corpus scenarios (scenarios/mutate.h: add, drop or move a fault, change a failpoint's
 * nth, swap a fault's kind, change a cluster setting, splice) or, one in two, start from the
 * next fresh seed, as a default campaign does (fresh runs take seeds first, first + 1, ... in
 * order, so a guided campaign of 2N runs has run the default campaign's first N seeds or so).
 *
 * Determinism: runs go in batches of GUIDED_BATCH; every input of a batch is chosen from the
 * corpus as it stood when the batch began, from the campaign's own stream ("guided", first seed,
 * run index), and results are taken in run order. The same seeds give the same runs, the same
 * corpus and the same output, whatever --jobs is.
 *
 * The corpus can live in a directory (--corpus DIR): its scenario files are loaded (sorted by
 * name) and run first, and every scenario the campaign keeps is written there, so CI can keep
 * it between runs. A failing run's scenario is written too (DIR/failures/, or ./guided-failures
 * without a corpus directory); `durasim run FILE` replays it exactly.
 */
#pragma once

#include "sim/campaign.h"

#define GUIDED_BATCH 64

/* One run of a guided campaign, as it is taken (in run order). */
typedef struct {
    uint64_t index; /* 1-based */
    SeedResult r;   /* r.seed is the world seed of the scenario that ran */
    const char
        *origin;      /* "seed 17", "corpus id-000012 mutated: move f2 ...", "corpus file x.ini" */
    const char *file; /* the scenario file written for it (failing or kept), or NULL */
    gboolean kept;    /* it reached new coverage and joined the corpus */
} GuidedResult;

/* Sees each run in order with the totals including it; FALSE stops the campaign. */
typedef gboolean (*GuidedRunFn)(const GuidedResult *g, const CampaignTotals *t, void *ctx);

typedef struct {
    const CampaignSpec *spec;
    uint64_t first, count; /* runs 1..count; fresh runs take seeds first, first + 1, ... */
    guint jobs;
    const char *corpus_dir;   /* may be NULL: the corpus stays in memory */
    const char *failures_dir; /* where failing scenarios go */
    GuidedRunFn on_run;       /* may be NULL */
    void *ctx;
    double (*wall_now)(void); /* to time each run; NULL: not timed */
} GuidedSpec;

typedef struct {
    guint corpus;        /* scenarios in the corpus at the end */
    guint loaded;        /* of them, loaded from the corpus directory */
    guint marks_reached; /* distinct marks (protocol's and world's) any run reached */
    guint marks_owed;    /* marks owed within the model */
    guint owed_reached;  /* of them, reached */
} GuidedSummary;

/* Runs the campaign; fills *totals and *summary. FALSE (with a message in *error) when the
 * corpus directory cannot be read or written. */
gboolean guided_run(const GuidedSpec *g, CampaignTotals *totals, GuidedSummary *summary,
                    GError **error);
