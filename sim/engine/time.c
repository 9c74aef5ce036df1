/* sim/engine/time.c — parsing and formatting of simulated durations. */
#include "sim/engine/time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static gboolean unit_scale(const char *unit, SimTime *scale)
{
    static const struct {
        const char *name;
        SimTime scale;
    } units[] = {{"ns", SIM_NS}, {"us", SIM_US}, {"ms", SIM_MS}, {"s", SIM_SEC}};
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(unit, units[i].name) == 0) {
            *scale = units[i].scale;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean sim_time_parse(const char *text, gboolean allow_negative, SimTime *out)
{
    if (text == NULL)
        return FALSE;
    while (*text == ' ' || *text == '\t')
        text++;
    gboolean negative = FALSE;
    if (*text == '-') {
        if (!allow_negative)
            return FALSE;
        negative = TRUE;
        text++;
    } else if (*text == '+') {
        text++;
    }
    if (!g_ascii_isdigit(*text))
        return FALSE;
    uint64_t value = 0;
    const char *p = text;
    while (g_ascii_isdigit(*p)) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return FALSE;
        value = value * 10 + digit;
        p++;
    }
    char unit[8];
    gsize n = 0;
    while (g_ascii_isalpha(*p) && n + 1 < sizeof unit)
        unit[n++] = *p++;
    unit[n] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0')
        return FALSE;
    SimTime scale;
    if (n == 0) {
        /* A bare zero needs no unit; any other bare number is ambiguous. */
        if (value != 0)
            return FALSE;
        scale = SIM_NS;
    } else if (!unit_scale(unit, &scale)) {
        return FALSE;
    }
    if (value > (uint64_t)(INT64_MAX / scale))
        return FALSE;
    SimTime t = (SimTime)value * scale;
    *out = negative ? -t : t;
    return TRUE;
}

gboolean sim_range_parse(const char *text, SimRange *out)
{
    if (text == NULL)
        return FALSE;
    const char *dots = strstr(text, "..");
    if (dots == NULL) {
        SimTime t;
        if (!sim_time_parse(text, FALSE, &t))
            return FALSE;
        *out = sim_range(t, t);
        return TRUE;
    }
    g_autofree char *lo_text = g_strndup(text, (gsize)(dots - text));
    SimTime lo, hi;
    if (!sim_time_parse(lo_text, FALSE, &lo) || !sim_time_parse(dots + 2, FALSE, &hi))
        return FALSE;
    if (lo > hi)
        return FALSE;
    *out = sim_range(lo, hi);
    return TRUE;
}

const char *sim_time_format_exact(SimTime t, char *buf, gsize size)
{
    const char *sign = t < 0 ? "-" : "";
    uint64_t v = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
    if (v == 0)
        g_snprintf(buf, size, "0ms");
    else if (v % (uint64_t)SIM_SEC == 0)
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT "s", sign, v / (uint64_t)SIM_SEC);
    else if (v % (uint64_t)SIM_MS == 0)
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT "ms", sign, v / (uint64_t)SIM_MS);
    else if (v % (uint64_t)SIM_US == 0)
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT "us", sign, v / (uint64_t)SIM_US);
    else
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT "ns", sign, v);
    return buf;
}

const char *sim_time_format_human(SimTime t, char *buf, gsize size)
{
    const char *sign = t < 0 ? "-" : "";
    uint64_t v = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
    if (v >= (uint64_t)(10 * SIM_SEC))
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT "s", sign,
                   v / (uint64_t)SIM_SEC, (v % (uint64_t)SIM_SEC) / (uint64_t)SIM_MS);
    else
        g_snprintf(buf, size, "%s%" G_GUINT64_FORMAT ".%03" G_GUINT64_FORMAT "ms", sign,
                   v / (uint64_t)SIM_MS, (v % (uint64_t)SIM_MS) / (uint64_t)SIM_US);
    return buf;
}
