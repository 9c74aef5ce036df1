/* scenarios/generate.h — seed -> scenario: a random cluster shape and timings within sane
 * ranges, a random workload, and a swarm fault schedule. The same code, protocol, mode and seed
 * always give the same scenario; export it (scenario_to_data) and the fault decisions are written
 * down, so the reproduction survives later changes to this generator. */
#pragma once

#include "faults/swarm.h"
#include "scenarios/scenario.h"

/* Caller owns the result. */
Scenario *scenario_generate(const Protocol *protocol, uint64_t seed, FaultMode mode);
