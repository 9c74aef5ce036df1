/* faults/swarm.h — random fault schedules, swarm style (as FoundationDB's and TigerBeetle's
 * simulators draw them): each seed switches on a random subset of fault kinds, each at a random
 * intensity, so that different seeds stress different corners instead of every seed being a
 * uniform blur of everything.
 *
 * Within the model (the default), the schedule stays inside what the protocol promises to
 * survive: at most a minority of raft servers (W - 1 quorum replicas) lose durable data, no
 * fsync or write errors on ext4-journal (which reports a failure one fsync late, a lie no
 * protocol can see in time), and no clock skew on quorum clients (whose clocks order versions).
 * Beyond the model lifts those limits.
 */
#pragma once

#include "faults/fault.h"

typedef enum {
    FAULTS_WITHIN,
    FAULTS_BEYOND,
} FaultMode;

const char *fault_mode_name(FaultMode m);
gboolean fault_mode_parse(const char *text, FaultMode *out);

/* Appends a random fault schedule for a world with config `c`, whose activity lasts about
 * `horizon`, to `plan`, drawing from `rng`. */
void swarm_generate(const WorldConfig *c, SimTime horizon, FaultMode mode, SimRng *rng,
                    FaultPlan *plan);
