/* reports/history/value.h — the values of a recorded history: the data an EDN or JSON reader
 * gives (nil, booleans, integers, other numbers kept as text, strings, keywords, symbols,
 * vectors, lists, sets, maps, tagged values), allocated in an arena.
 *
 * An arena is a bump allocator: values are never freed one by one; the arena frees them all at
 * once (hc_arena_reset keeps the first block for reuse, which is how a reader parses line after
 * line without touching malloc). Strings are NUL-terminated, hold no NUL and are valid UTF-8;
 * `len` is their byte length.
 *
 * Two values are equal in the sense of Clojure's `=` (a vector equals a list with the same
 * items; maps and sets ignore order) exactly when their canonical texts are equal
 * (hc_value_canonical), which is what the models compare.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    HC_NIL,
    HC_BOOL,
    HC_INT,
    HC_NUMBER, /* a float or big number, kept as written */
    HC_STRING,
    HC_KEYWORD, /* text without the leading ':' */
    HC_SYMBOL,
    HC_VECTOR,
    HC_LIST,
    HC_SET,
    HC_MAP,    /* items: key, value, key, value ... (n is the number of items, 2 per entry) */
    HC_TAGGED, /* text: the tag; items[0]: the value */
} HcValueKind;

typedef struct HcValue {
    HcValueKind kind;
    guint n; /* items */
    union {
        gboolean b;
        int64_t i;
        struct {
            char *text; /* NUL-terminated */
            gsize len;
        } s;
    } u;
    struct HcValue **items;
} HcValue;

typedef struct HcArenaBlock HcArenaBlock;
typedef struct {
    HcArenaBlock *blocks; /* newest first */
    gsize bytes;          /* held by all blocks */
} HcArena;

void hc_arena_init(HcArena *a);
/* Frees every block. */
void hc_arena_clear(HcArena *a);
/* Frees everything allocated, keeping one block. */
void hc_arena_reset(HcArena *a);
/* Zeroed memory valid until the arena is reset or cleared. */
void *hc_arena_alloc(HcArena *a, gsize size);
char *hc_arena_strndup(HcArena *a, const char *s, gsize len);

HcValue *hc_value_new(HcArena *a, HcValueKind kind);
/* A deep copy of `v` in arena `a`. */
HcValue *hc_value_copy(HcArena *a, const HcValue *v);
/* The value of a map's entry whose key is a keyword (or, for JSON, a string) named `name`;
 * NULL if there is none. */
const HcValue *hc_map_get(const HcValue *map, HcValueKind key_kind, const char *name);

/* Appends the canonical EDN text of `v`: the text of equal values is equal, and a string's text
 * is quoted and escaped. */
void hc_value_canonical(const HcValue *v, GString *out);
/* The canonical text, as a new string (caller frees). */
char *hc_value_text(const HcValue *v);
/* Appends `v` for a person to read: as hc_value_canonical, cut after about `max` bytes with
 * "...". */
void hc_value_describe(const HcValue *v, gsize max, GString *out);
const char *hc_value_kind_name(HcValueKind kind);
