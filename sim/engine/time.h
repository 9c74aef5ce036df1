/* sim/engine/time.h — simulated time: a signed 64-bit count of nanoseconds.
 *
 * Nothing in the simulation reads a wall clock; every duration in the program is a SimTime.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef int64_t SimTime;

#define SIM_NS  ((SimTime)1)
#define SIM_US  ((SimTime)1000)
#define SIM_MS  ((SimTime)1000000)
#define SIM_SEC ((SimTime)1000000000)

#define SIM_TIME_NEVER INT64_MAX

/* A closed range [lo, hi] of durations; lo == hi is a fixed value. */
typedef struct {
    SimTime lo;
    SimTime hi;
} SimRange;

static inline SimRange sim_range(SimTime lo, SimTime hi)
{
    return (SimRange){lo, hi};
}

/* Parses "250us", "5ms", "2s", "0" into nanoseconds. Accepts a leading '-' when allow_negative.
 * Returns FALSE on anything else (no unit, unknown unit, overflow, trailing text). */
gboolean sim_time_parse(const char *text, gboolean allow_negative, SimTime *out);

/* Parses "a..b" or a single duration. FALSE when malformed or when lo > hi. */
gboolean sim_range_parse(const char *text, SimRange *out);

/* Writes the shortest exact form ("5ms", "1500us", "0ns") into buf; returns buf. */
const char *sim_time_format_exact(SimTime t, char *buf, gsize size);

/* Writes a human form with a fractional millisecond part ("41.200ms", "2.000s") for traces. */
const char *sim_time_format_human(SimTime t, char *buf, gsize size);
