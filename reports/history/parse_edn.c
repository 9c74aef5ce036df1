/* reports/history/parse_edn.c — one line of a jepsen-edn history: an EDN map
 * ({:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}); other entries of the
 * map (:time, :index, :error ...) are read and ignored. */
#include "reports/history/parse.h"
#include "reports/history/reader.h"

gboolean hc_parse_edn_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                           gboolean *is_event, char **message)
{
    HcReader r;
    hc_reader_init(&r, arena, line, len);
    *is_event = FALSE;
    if (!hc_edn_skip(&r))
        return TRUE; /* white space or a comment */
    HcValue *map = hc_edn_read(&r);
    if (map && hc_edn_skip(&r))
        hc_reader_fail(&r, "unexpected text after the event's map");
    if (r.error) {
        *message = g_steal_pointer(&r.error);
        return FALSE;
    }
    hc_reader_clear(&r);
    *is_event = TRUE;
    return hc_event_from_map(map, HC_KEYWORD, ev, message);
}
