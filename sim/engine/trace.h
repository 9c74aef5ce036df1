/* sim/engine/trace.h — the ordered record of what happened in a run, and its 64-bit hash.
 *
 * Every observable step of the world goes through sim_trace_emit(): message send, delivery and
 * drop, disk operations and their results, timers, faults, client invocations and completions,
 * failpoints. Each record folds into the trace hash; two runs with the same hash did the same
 * things at the same simulated times. Rendering records as text happens only when a sink or a
 * record buffer is attached, so a run without --trace pays for the hash and nothing else.
 */
#pragma once

#include "sim/engine/time.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SIM_TR_SEND = 1,  /* node -> peer, sub = message type, a = message id */
    SIM_TR_DELIVER,   /* peer -> node */
    SIM_TR_DROP,      /* sub = message type, b = reason */
    SIM_TR_DISK_OP,   /* sub = operation, a = file, b = block index / length */
    SIM_TR_DISK_DONE, /* sub = operation, a = file, b = result (0 or an errno) */
    SIM_TR_TIMER,     /* node's timer fired, a = timer id */
    SIM_TR_FAULT,     /* sub = fault kind, node = target */
    SIM_TR_INVOKE,    /* client op invoked, a = op id */
    SIM_TR_COMPLETE,  /* client op completed, a = op id, b = outcome */
    SIM_TR_FAILPOINT, /* sub = failpoint id, node = where */
    SIM_TR_NOTE,      /* protocol state change, sub = note kind */
    SIM_TR_KIND_COUNT,
} SimTraceKind;

typedef struct {
    SimTime time;
    uint16_t kind;
    uint16_t sub;
    uint16_t node;
    uint16_t peer;
    uint64_t a;
    uint64_t b;
} SimTraceRecord;

/* Renders one record as one line (without newline) into out. */
typedef void (*SimTraceRenderFn)(void *ctx, const SimTraceRecord *rec, GString *out);

typedef struct {
    uint64_t hash;
    uint64_t count;
    gboolean slow; /* a printer or a buffer is attached */
    FILE *print_to;
    GArray *keep; /* of SimTraceRecord, when recording */
    SimTraceRenderFn render;
    void *render_ctx;
    GString *line;
} SimTrace;

void sim_trace_init(SimTrace *t);
void sim_trace_clear(SimTrace *t);

/* Prints every record as a line to `out` (NULL stops printing). Needs a renderer. */
void sim_trace_print_to(SimTrace *t, FILE *out);
/* Keeps every record in memory (sim_trace_records) from now on. */
void sim_trace_keep(SimTrace *t, gboolean keep);
void sim_trace_set_renderer(SimTrace *t, SimTraceRenderFn render, void *ctx);
/* The kept records, or NULL; owned by the trace. */
const GArray *sim_trace_records(const SimTrace *t);
/* Renders one record with the trace's renderer; caller owns the result. */
char *sim_trace_render(const SimTrace *t, const SimTraceRecord *rec);

void sim_trace_slow_path(SimTrace *t, const SimTraceRecord *rec);

static inline uint64_t sim_trace_fold(uint64_t h, uint64_t word)
{
    h = ((h << 5) | (h >> 59)) ^ word;
    return h * 0x517cc1b727220a95ULL;
}

static inline void sim_trace_emit(SimTrace *t, SimTime time, SimTraceKind kind, uint16_t sub,
                                  uint16_t node, uint16_t peer, uint64_t a, uint64_t b)
{
    uint64_t h = t->hash;
    h = sim_trace_fold(h, (uint64_t)time);
    h = sim_trace_fold(h, (uint64_t)kind | (uint64_t)sub << 16 | (uint64_t)node << 32 |
                              (uint64_t)peer << 48);
    h = sim_trace_fold(h, a);
    h = sim_trace_fold(h, b);
    t->hash = h;
    t->count++;
    if (G_UNLIKELY(t->slow)) {
        SimTraceRecord rec = {time, (uint16_t)kind, sub, node, peer, a, b};
        sim_trace_slow_path(t, &rec);
    }
}

/* The hash as printed: a final mix of the running hash and the record count. */
uint64_t sim_trace_digest(const SimTrace *t);
/* Folds one record as sim_trace_emit() does (for tests and offline checks). */
uint64_t sim_trace_fold_record(uint64_t h, const SimTraceRecord *rec);
