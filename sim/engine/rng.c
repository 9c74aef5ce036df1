/* sim/engine/rng.c — xoshiro256** with splitmix64 seeding, bounded draws and stream derivation. */
#include "sim/engine/rng.h"

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sim_hash_string(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void sim_rng_seed(SimRng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = sim_splitmix64(&state);
    /* xoshiro's all-zero state is a fixed point; splitmix64 cannot produce four zeros in a row,
     * but keep the guard explicit. */
    g_assert(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]);
}

void sim_rng_stream(SimRng *rng, uint64_t run_seed, const char *name, uint64_t index)
{
    uint64_t state = run_seed;
    uint64_t mixed = sim_splitmix64(&state);
    state = mixed ^ sim_hash_string(name);
    mixed = sim_splitmix64(&state);
    state = mixed ^ (index * 0xd1b54a32d192ed03ULL);
    sim_rng_seed(rng, sim_splitmix64(&state));
}

uint64_t sim_rng_uniform(SimRng *rng, uint64_t lo, uint64_t hi)
{
    g_assert(lo <= hi);
    uint64_t range = hi - lo + 1;
    if (range == 0) /* the whole 64-bit range */
        return sim_rng_next(rng);
    uint64_t x = sim_rng_next(rng);
    unsigned __int128 m = (unsigned __int128)x * range;
    uint64_t low = (uint64_t)m;
    if (low < range) {
        uint64_t threshold = (0 - range) % range;
        while (low < threshold) {
            x = sim_rng_next(rng);
            m = (unsigned __int128)x * range;
            low = (uint64_t)m;
        }
    }
    return lo + (uint64_t)(m >> 64);
}

gboolean sim_rng_chance(SimRng *rng, uint64_t num, uint64_t den)
{
    g_assert(den > 0 && num <= den);
    if (num == 0)
        return FALSE;
    if (num == den)
        return TRUE;
    return sim_rng_uniform(rng, 0, den - 1) < num;
}

SimTime sim_rng_duration(SimRng *rng, SimRange range)
{
    g_assert(range.lo >= 0 && range.lo <= range.hi);
    if (range.lo == range.hi)
        return range.lo;
    return (SimTime)sim_rng_uniform(rng, (uint64_t)range.lo, (uint64_t)range.hi);
}

SimRange sim_rng_ms_range(SimRng *rng, uint64_t lo_min, uint64_t lo_max, uint64_t span_max)
{
    SimTime lo = (SimTime)sim_rng_uniform(rng, lo_min, lo_max) * SIM_MS;
    SimTime hi = lo + (SimTime)sim_rng_uniform(rng, 0, span_max) * SIM_MS;
    return sim_range(lo, hi);
}
