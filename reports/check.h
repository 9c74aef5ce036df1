/* reports/check.h — the oracles: they watch a run and judge it from ground truth they compute
 * themselves (the simulated disks and the client history), never from what a node claims.
 *
 *   write ledger     every write's durable copies on every node over time, at its ack, at the
 *                    end: lost-ack, early-ack, false-failure, duplicate, orphans
 *   persist-before-send  a durable ack, a vote or an append success must be backed by the
 *                    sender's durable image at the moment it leaves (unpersisted-send)
 *   raft safety      election safety, log matching, leader completeness (against commitment the
 *                    checker computes), state-machine safety
 *   linearizability  per key, with a budget (reports/lin.h)
 *   convergence, liveness  after the last fault healed and `settle` passed
 */
#pragma once

#include "model/violation.h"
#include "model/world/world.h"
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
    guint lin_keys_unpromised; /* keys checked but not judged (quorum keys with adds) */
    guint stale_reads;         /* reads that missed an acked write (reported, not judged, when the
                                  configuration promises no linearizability) */
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

typedef struct Checker Checker;

/* Attaches to the world as its observer. Caller owns the result. */
Checker *checker_new(World *w);
void checker_free(Checker *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Checker, checker_free)

typedef struct {
    uint32_t probe_op; /* the liveness probe's op id, or UINT32_MAX if none ran */
    gboolean healed;   /* no fault effect in force at the end, and enough nodes up to serve */
    gboolean within_model;
    gboolean linearizable;    /* the configuration promises linearizable reads */
    const char *model_reason; /* why the run is beyond model */
    uint64_t lin_budget;      /* 0: default */
} CheckEnd;

/* Quorum: the replicas of every key must agree now (called when settle ends, before the final
 * phase writes anything); `healed` says whether every fault has ended. */
void checker_check_convergence(Checker *c, gboolean healed);

/* The end-of-run checks; fills `out` (initialised by the caller) with everything found. */
void checker_finish(Checker *c, const CheckEnd *end, Verdict *out);

/* A readable name of a history operation: its scripted name, or "op17". Returns buf. */
const char *checker_op_label(const World *w, uint32_t op, char *buf, gsize size);
