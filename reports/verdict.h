/* reports/verdict.h — what the oracles found: violations (a few kept in full per kind, the rest
 * counted) and the figures of the judged history.
 *
 * Invariant: `kinds` has bit k set exactly when counts[k] > 0; `violations` holds at most
 * VERDICT_EXAMPLES entries of each kind, in the order they were raised.
 */
#pragma once

#include "model/types.h"
#include "model/violation.h"
#include "reports/lin.h"

#define VERDICT_EXAMPLES 5 /* violations of one kind kept in full; the rest are counted */

typedef struct {
    ViolationKind kind;
    SimTime time;
    uint32_t ops[2];
    guint nops;
    EndpointId nodes[4];
    guint nnodes;
    char *text; /* one line */
} Violation;

typedef struct {
    GPtrArray *violations; /* of Violation*, the first VERDICT_EXAMPLES of each kind */
    guint counts[V_KIND_COUNT];
    ViolationSet kinds;
    /* the history (client writes, not the liveness probe) */
    guint ops;
    guint writes;
    guint acked;
    guint failed;
    guint indeterminate;
    guint reads;
    guint orphans;          /* surfaced + latent */
    guint orphans_surfaced; /* visible although the client heard failure or nothing */
    guint orphans_latent;   /* stored somewhere, never visible */
    guint duplicates;
    /* linearizability */
    gboolean lin_promised;
    LinResult lin;
    guint lin_keys;
    guint lin_unknown_keys;
    guint lin_keys_unpromised; /* keys checked but not judged (keys whose writes merge) */
    guint stale_reads;         /* reads that missed an acked write (reported, not judged, when the
                                  configuration promises no linearizability) */
    char *lin_note;            /* why linearizability was not checked (NULL: it was) */
    gboolean lin_skipped;      /* it does not apply (a multi-value store): `lin` means nothing */
    /* causality (reports/causal_check.h) */
    guint lost_updates;     /* acked writes overwritten by a write that never saw them: not promised
                               under last-writer-wins, counted here (a violation under vclock) */
    char *lost_update_note; /* the first such write and the one that overwrote it */
    guint siblings_max;     /* the most siblings one get returned */
    guint siblings_reissued;  /* gets that returned a write issued twice beside a write that had
                                 seen it under its other dot: counted, not judged */
    guint siblings_truncated; /* gets that returned a write beside one whose truncated clock
                                 dropped it from what it had seen: counted, not judged */
    char *siblings_note;      /* gets whose siblings were not judged, and why */
    /* what was not judged, and why (NULL: judged) */
    gboolean beyond_model;
    char *model_note;
    char *liveness_note;
    char *convergence_note;
} Verdict;

void verdict_init(Verdict *v);
void verdict_clear(Verdict *v);
gboolean verdict_passed(const Verdict *v);
/* Adds a violation (takes the text). */
void verdict_add(Verdict *v, ViolationKind kind, SimTime time, const uint32_t *ops, guint nops,
                 const EndpointId *nodes, guint nnodes, char *text);
/* Adds a copy of violation x. */
void verdict_add_copy(Verdict *v, const Violation *x);
