/* reports/history/reader.h — the EDN and JSON readers of history values (edn.c, json.c), over a
 * memory buffer, and what they share (reader.c): the cursor, errors with a column, strings with
 * their escapes, numbers.
 *
 * The readers are strict: anything outside the subset they accept is an error naming the column
 * and what was wrong, never a guess. They never read past `end`, need no NUL terminator, nest at
 * most HC_READER_DEPTH deep, and are safe on any bytes (they are fuzzing targets).
 */
#pragma once

#include "reports/history/value.h"

#define HC_READER_DEPTH 64

typedef struct {
    const char *start; /* the first byte of the text (column 1) */
    const char *p;     /* the cursor */
    const char *end;
    HcArena *arena; /* values go here */
    guint depth;
    char *error; /* the first error ("column N: what"); owned */
} HcReader;

void hc_reader_init(HcReader *r, HcArena *arena, const char *text, gsize len);
void hc_reader_clear(HcReader *r);
/* Records an error at the cursor (the first one wins) and returns NULL. */
HcValue *hc_reader_fail(HcReader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A string whose opening quote is at the cursor. `json`: JSON's escapes, else EDN's. */
HcValue *hc_reader_string(HcReader *r, gboolean json);
/* A number at the cursor: an integer (in 64 bits) or, as text, any other number. */
HcValue *hc_reader_number(HcReader *r, gboolean json);

/* A vector, list, set or map (kind) of `items` (which it frees), in the arena. */
HcValue *hc_reader_collection(HcReader *r, HcValueKind kind, GPtrArray *items);

/* One EDN value starting at the cursor (after white space and comments). */
HcValue *hc_edn_read(HcReader *r);
/* One JSON value starting at the cursor (after white space). */
HcValue *hc_json_read(HcReader *r);
/* Skips white space (and, for EDN, commas and ; comments); TRUE if anything is left. */
gboolean hc_edn_skip(HcReader *r);
gboolean hc_json_skip(HcReader *r);
