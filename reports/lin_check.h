/* reports/lin_check.h — the client history handed to the linearizability checker (reports/lin.h)
 * key by key, with the stale reads counted on the way. Only one key's operations are copied at a
 * time. A key is judged when the run promises linearizable reads and, for a protocol whose adds
 * merge by version, the key has no adds.
 */
#pragma once

#include "reports/oracle.h"

void lin_check_history(const OracleView *view, const CheckEnd *end, gboolean merging_adds,
                       Verdict *v);

/* ---- streaming (reports/README.md): the same judgement, window by window ---- */

typedef struct LinStream LinStream;

/* Caller owns the result. */
LinStream *lin_stream_new(const OracleView *view, uint64_t budget);
void lin_stream_free(LinStream *ls);
/* An operation completed: its key's window takes it (history order within a window does not
 * matter). */
void lin_stream_add(LinStream *ls, const HistOp *op);
/* No operation of `key` still out was invoked before `cut`, and none will be: the key's window
 * is checked and closed when all of it completed before `cut` (a quiescent point) and nothing
 * in it can still take effect later. */
void lin_stream_cut(LinStream *ls, KeyId key, SimTime cut);
/* Whether the key has a window that a later cut may close. */
gboolean lin_stream_open(const LinStream *ls, KeyId key);
/* The operations the windows hold (for memory reports). */
guint lin_stream_held(const LinStream *ls);
/* The end: the open windows are checked, and the whole judgement goes into v (as
 * lin_check_history would put it). */
void lin_stream_finish(LinStream *ls, const CheckEnd *end, gboolean merging_adds, Verdict *v);
