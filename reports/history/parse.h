/* reports/history/parse.h — reading a history file: its format, and its lines as events.
 *
 * A history is a text of lines, one event each, in the order they happened (the order of the
 * lines is the real-time order the check relies on):
 *   jepsen-edn  one EDN map per line: {:process 0, :type :invoke, :f :write, :value 3}
 *   jepsen-log  Jepsen's log lines: INFO  jepsen.util - 3	:invoke	:cas	[1 4]
 *   json        one JSON object per line: {"process": 0, "type": "invoke", "f": "write",
 *               "value": 3} (documented in reports/README.md)
 * Every parser works on a memory buffer (no NUL needed) and reports the first problem as
 * "FILE:LINE: column C: what". An event's values live until the next line is read: a consumer
 * copies what it keeps.
 */
#pragma once

#include "reports/history/value.h"

typedef enum {
    HC_FORMAT_AUTO,
    HC_FORMAT_JEPSEN_EDN,
    HC_FORMAT_JEPSEN_LOG,
    HC_FORMAT_JSON,
} HcFormat;

typedef enum {
    HC_INVOKE,
    HC_OK,
    HC_FAIL,
    HC_INFO,
} HcType;

typedef struct {
    guint line;
    gboolean client; /* the process is an integer; other processes (:nemesis) are not clients */
    int64_t process;
    HcType type;
    const char *f;        /* the operation's name, without ':' */
    const HcValue *key;   /* NULL: none */
    const HcValue *value; /* NULL: none (read as nil) */
} HcEvent;

/* Takes one event; FALSE with *error set stops the reading (the message names no file or
 * line: the reader adds them). */
typedef gboolean (*HcEventFn)(const HcEvent *ev, gpointer data, GError **error);

#define HC_ERROR (hc_error_quark())
GQuark hc_error_quark(void);

gboolean hc_format_parse(const char *name, HcFormat *out);
const char *hc_format_name(HcFormat f);
/* The format the first non-blank line of `text` says (FALSE if it says none). */
gboolean hc_format_detect(const char *text, gsize len, HcFormat *out);
/* Leaves *format as it is unless it is HC_FORMAT_AUTO, which it replaces by the detected one;
 * FALSE with *error ("FILE:1: ...") when the first line says none. */
gboolean hc_format_resolve(const char *text, gsize len, const char *file, HcFormat *format,
                           GError **error);
/* Reads every line of `text`, handing each event to `fn`; `format` may be HC_FORMAT_AUTO.
 * Messages name `file`. Lines that are not events are skipped where the format has them (a
 * log's other lines); anything malformed is an error. */
gboolean hc_parse_buffer(const char *text, gsize len, HcFormat format, const char *file,
                         HcEventFn fn, gpointer data, GError **error);

/* The parsers of one line each (parse_edn.c, parse_log.c, parse_json.c); the line has no
 * newline. *is_event FALSE: a line that holds no event (blank, or another log line). On error
 * *message (caller frees) says what, with the column. Values go into `arena`. */
gboolean hc_parse_edn_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                           gboolean *is_event, char **message);
gboolean hc_parse_log_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                           gboolean *is_event, char **message);
gboolean hc_parse_json_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                            gboolean *is_event, char **message);
/* The event of a map read by the EDN (keyword keys) or JSON (string keys) reader. */
gboolean hc_event_from_map(const HcValue *map, HcValueKind key_kind, HcEvent *ev, char **message);
/* Parses a :type name ("invoke", "ok", "fail", "info"). */
gboolean hc_type_parse(const char *name, HcType *out);
const char *hc_type_name(HcType t);
