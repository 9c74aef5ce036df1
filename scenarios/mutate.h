/* scenarios/mutate.h — mutating scenarios, as a coverage-guided fuzzer mutates its inputs (AFL's
 * havoc stage, on a scenario's structure instead of its bytes): add, drop or move a fault, change
 * a failpoint's nth or the failpoint itself, swap a fault's kind or its target, lengthen or
 * shorten a fault, change a cluster or workload setting, reseed the world, or take a fault from
 * another scenario (splicing). The result is always a scenario the loader would accept (checked
 * with the same validation); its text form (scenario_to_data) replays it exactly.
 *
 * Every draw comes from the caller's stream, so a campaign that mutates in a fixed order is
 * reproducible from its own seed.
 */
#pragma once

#include "faults/swarm.h"
#include "scenarios/scenario.h"

/* How long a scenario's workload is expected to keep the cluster busy: the window faults are
 * timed in (the generator's horizon). */
SimTime scenario_horizon(const WorldConfig *c);

/* Applies 1..`stack` random mutations to `s` in place, drawing from `rng`; `donor` (may be NULL,
 * or a scenario of another shape) lends faults for splicing. With FAULTS_WITHIN, a mutation that
 * plans more damaged nodes than the protocol tolerates is not made. Returns a description of
 * what changed ("drop f2; nth of f3 2 -> 4"; caller frees). The scenario stays valid. */
char *scenario_mutate(Scenario *s, const Scenario *donor, FaultMode mode, guint stack, SimRng *rng);
