/* reports/report_json.c — what the report's model and its writers share: reading members of
 * json-glib objects with defaults, human times, and writing a file of a report. */
#include "reports/report_json.h"

const char *report_json_str(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return NULL;
    JsonNode *n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

gint64 report_json_int(JsonObject *o, const char *name, gint64 dflt)
{
    if (!o || !json_object_has_member(o, name))
        return dflt;
    JsonNode *n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return dflt;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64)
        return json_node_get_int(n);
    if (t == G_TYPE_DOUBLE)
        return (gint64)json_node_get_double(n);
    return dflt;
}

gboolean report_json_bool(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return FALSE;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
           json_node_get_boolean(n);
}

JsonArray *report_json_array(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return NULL;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

JsonObject *report_json_object(JsonObject *o, const char *name)
{
    if (!o || !json_object_has_member(o, name))
        return NULL;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

const char *report_time(SimTime t, char *buf, gsize size)
{
    return sim_time_format_human(t, buf, size);
}

gboolean report_save(const char *dir, const char *name, const char *text, gsize len, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_file_set_contents(path, text, (gssize)len, &err)) {
        g_set_error(error, G_FILE_ERROR, err->code, "cannot write %s: %s", path, err->message);
        return FALSE;
    }
    return TRUE;
}
