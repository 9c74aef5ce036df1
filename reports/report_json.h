/* reports/report_json.h — what the report's model (report.c) and its writers share: members of
 * json-glib objects read with defaults, human times, and writing one file of a report. */
#pragma once

#include "sim/engine/time.h"

#include <json-glib/json-glib.h>

/* "1234.567ms"-style human time; returns buf. */
const char *report_time(SimTime t, char *buf, gsize size);
/* The JSON member `name` of `o` as a string/integer/boolean/array/object, or a default. */
const char *report_json_str(JsonObject *o, const char *name);
gint64 report_json_int(JsonObject *o, const char *name, gint64 dflt);
gboolean report_json_bool(JsonObject *o, const char *name);
JsonArray *report_json_array(JsonObject *o, const char *name);
JsonObject *report_json_object(JsonObject *o, const char *name);
/* Writes `text` to dir/name; GError names the file. */
gboolean report_save(const char *dir, const char *name, const char *text, gsize len,
                     GError **error);
