/* faults/swarm.h — random fault schedules, swarm style (as FoundationDB's and TigerBeetle's
 * simulators draw them): each seed switches on a random subset of fault kinds, each at a random
 * intensity, so that different seeds stress different corners instead of every seed being a
 * uniform blur of everything.
 *
 * Within the model (the default), the schedule stays inside what the protocol promises to
 * survive: at most a minority of raft servers (W - 1 quorum replicas) lose durable data (a raft
 * server whose file system went read-only spends that budget too), no clock skew on quorum
 * clients (whose clocks order versions), and a kernel that reports every write-back error
 * (Linux 4.16 and later). Beyond the model lifts those limits, and may run an older kernel
 * (scenarios/generate.c) whose fsync can return 0 for writes it lost.
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
/* For half the seeds, appends one timing profile (faults/swarm_profiles.c): faults struck on
 * reachability marks, a disk error and a restart of one node moments apart, several nodes down
 * at once, duplicated and late messages, a long absence, a repair racing restarts. Within the
 * model it stays inside the failure budget the plan has left. */
void swarm_profile(const WorldConfig *c, SimTime horizon, FaultMode mode, SimRng *rng,
                   FaultPlan *plan);
