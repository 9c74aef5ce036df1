/* reports/history/parse_json.c — one line of a json history: a JSON object
 * ({"process": 0, "type": "invoke", "f": "cas", "key": "x", "value": [1, 4]}); other members
 * ("time", "index", "error" ...) are read and ignored. */
#include "reports/history/parse.h"
#include "reports/history/reader.h"

gboolean hc_parse_json_line(const char *line, gsize len, HcArena *arena, HcEvent *ev,
                            gboolean *is_event, char **message)
{
    HcReader r;
    hc_reader_init(&r, arena, line, len);
    *is_event = FALSE;
    if (!hc_json_skip(&r))
        return TRUE;
    HcValue *object = hc_json_read(&r);
    if (object && hc_json_skip(&r))
        hc_reader_fail(&r, "unexpected text after the event's object");
    if (r.error) {
        *message = g_steal_pointer(&r.error);
        return FALSE;
    }
    hc_reader_clear(&r);
    *is_event = TRUE;
    return hc_event_from_map(object, HC_STRING, ev, message);
}
