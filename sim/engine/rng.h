/* sim/engine/rng.h — the engine's seeded pseudo-random generator: xoshiro256** seeded through
 * splitmix64 (Blackman & Vigna), with an integer-only API.
 *
 * Every random decision in a run comes from a named stream derived from the run seed
 * ("network", "disk", "workload", "faults", or "node" with an index), so that an extra draw in
 * one stream never shifts the draws of another.
 */
#pragma once

#include "sim/engine/time.h"

#include <glib.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} SimRng;

/* Seeds a generator directly from a 64-bit value (through splitmix64). */
void sim_rng_seed(SimRng *rng, uint64_t seed);
/* Seeds the stream `name`/`index` of the run seeded with `run_seed`. */
void sim_rng_stream(SimRng *rng, uint64_t run_seed, const char *name, uint64_t index);

/* The next raw 64-bit output. */
static inline uint64_t sim_rng_next(SimRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [lo, hi] (inclusive), without modulo bias (Lemire's method). lo <= hi. */
uint64_t sim_rng_uniform(SimRng *rng, uint64_t lo, uint64_t hi);
/* TRUE with probability num/den (0 <= num <= den, den > 0). */
gboolean sim_rng_chance(SimRng *rng, uint64_t num, uint64_t den);
/* A duration drawn uniformly from the range; a fixed range draws nothing. */
SimTime sim_rng_duration(SimRng *rng, SimRange range);
/* A range of whole milliseconds: lo uniform in lo_min..lo_max ms, hi = lo + 0..span_max ms
 * (two draws, in that order). */
SimRange sim_rng_ms_range(SimRng *rng, uint64_t lo_min, uint64_t lo_max, uint64_t span_max);

/* splitmix64 step, exposed for hashing and seed derivation. */
uint64_t sim_splitmix64(uint64_t *state);
/* A stable 64-bit hash of a string (FNV-1a); never depends on pointers or the run. */
uint64_t sim_hash_string(const char *text);
