/* faults/fault.h — fault plans: what goes wrong, when, and to whom.
 *
 * A fault fires at a time (`at`), when a node hits a failpoint (`on`, with a node or role
 * filter and an nth hit), or when a node's step reaches one of the protocol's reachability marks
 * (`on = mark:NAME`, with the same filter and nth). A failpoint-triggered fault acts
 * synchronously, between two actions of the node that hit the failpoint; a mark-triggered one
 * right after the step that reached the mark, once its actions ran (a disk fault then strikes
 * the writes it queued, a crash the node that just began a repair or a handoff). Lasting faults end
 * after `for`; a crash may restart after `restart_after`. The runner records every fault that
 * fired, for reports, coverage and the within-model judgement.
 */
#pragma once

#include "model/world/world.h"

typedef enum {
    TRIG_AT,
    TRIG_FAILPOINT,
    TRIG_MARK,
} TriggerKind;

/* Who a fault acts on: one endpoint, or whoever has a role (at firing time), or any node. */
typedef enum {
    TARGET_NONE, /* the kind has no `node` (partition, oneway, drop, duplicate, delay, heal) */
    TARGET_NODE,
    TARGET_ROLE,
    TARGET_ANY,
} TargetKind;

typedef struct {
    char *name;
    FaultKind kind;
    TriggerKind trigger;
    SimTime at;
    FailpointId fp;
    MarkId mark; /* TRIG_MARK: the protocol's mark */
    guint nth;   /* TRIG_FAILPOINT, TRIG_MARK */
    TargetKind target;
    EndpointId node;
    NodeRole role;
    gboolean power;         /* crash: power (default) or process */
    SimTime restart_after;  /* crash: SIM_TIME_NEVER for never */
    SimTime duration;       /* lasting faults: 0 for "until heal" (network) */
    EndpointGroups groups;  /* partition */
    EndpointMask from_mask; /* oneway, drop, duplicate, delay (owned, as are groups) */
    EndpointMask to_mask;
    uint64_t num, den; /* probability */
    SimRange latency;  /* delay, slow-disk */
    int err;           /* fsync-error, write-error, writeback-error */
    guint count;
    DiskKeep keep;   /* crash (power): what of the unsynced changes survives */
    char *file_text; /* fsync-error, writeback-error: a glob of paths; NULL: any file */
    SimTime offset;  /* clock-skew */
    /* the text forms, kept for the scenario writer */
    char *groups_text;
    char *from_text;
    char *to_text;
    char *link_text;
    char *node_text;
} FaultSpec;

typedef struct {
    GPtrArray *faults; /* of FaultSpec*, in file order */
} FaultPlan;

void fault_plan_init(FaultPlan *p);
void fault_plan_clear(FaultPlan *p);
void fault_plan_copy(FaultPlan *out, const FaultPlan *in);
FaultSpec *fault_spec_new(void);
FaultSpec *fault_spec_copy(const FaultSpec *f);
void fault_spec_free(FaultSpec *f);

/* Checks a plan against a config (node names exist, failpoints and marks belong to the
 * protocol, ...). */
gboolean fault_plan_validate(const FaultPlan *p, const WorldConfig *c, GError **error);
/* The nodes the plan damages for good, as the within-model judgement will count them: targets of
 * media faults and disk losses, and, where a server down for good spends the failure budget
 * (ProtoTolerance.down_counts), of crashes without restart and of metadata errors. *unknown is
 * set when such a fault strikes a role or whoever hits its trigger (it cannot be counted ahead).
 * *out (empty or zeroed on entry) gets the nodes; the caller clears it. */
void fault_plan_damaged(const FaultPlan *p, const WorldConfig *c, EndpointMask *out,
                        gboolean *unknown);
/* The distinct marks the plan's faults strike on, into out[WORLD_MAX_WATCHED_MARKS]. */
guint fault_plan_marks(const FaultPlan *p, MarkId *out);

/* A fault that fired. */
typedef struct {
    guint fault; /* index in the plan */
    SimTime time;
    EndpointId node; /* the node it acted on, or ENDPOINT_NONE */
    SimTime ends;    /* when its effect ends (restart, heal, resume); SIM_TIME_NEVER if never */
    guint hit;       /* blocks hit (sector-error, corrupt); a crash: 1 if the node will wake to
                        an empty disk (power: nothing durable yet; process: nothing written) */
} FiredFault;

typedef struct FaultRunner FaultRunner;

/* Arms the plan on the world: timed faults are scheduled, failpoint faults hooked. The plan and
 * world must outlive the runner. Caller owns the result. */
FaultRunner *fault_runner_new(World *w, const FaultPlan *plan);
void fault_runner_free(FaultRunner *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FaultRunner, fault_runner_free)

/* Stops failpoint-triggered faults from firing any more (settle and the final checks run without
 * new faults). */
void fault_runner_disarm(FaultRunner *r);
/* Whether every timed fault has fired and every fired fault's effect has ended (or never will),
 * and the time the last one ended. Injected disk errors last until the disk has used them up:
 * each call while some are left moves their end to now (the runner asks every slice). */
gboolean fault_runner_quiet(FaultRunner *r, SimTime *last_end);
const GArray *fault_runner_fired(const FaultRunner *r); /* of FiredFault */
/* Whether some fault effect is still in force (a node down for a while, a partition, a pause);
 * a node crashed for good does not count: the end-state checks skip nodes that are down. */
gboolean fault_runner_lasting(const FaultRunner *r, SimTime now);
/* Whether no fault of the plan can act any more: every timed one fired, every failpoint one
 * fired or was disarmed, and every one that fired is over (a crash for good never is). Asks
 * without changing anything (fault_runner_quiet moves the end of faults whose injected errors
 * are still to be used). */
gboolean fault_runner_spent(const FaultRunner *r);

/* The within-model judgement: does what fired stay inside what the protocol promises to survive?
 * If not, *reason (caller frees) says why. Also says whether linearizability is promised. */
typedef struct {
    gboolean within;
    gboolean linearizable; /* strict quorum (or raft) with durable acks, no clock games */
    char *reason;
} ModelJudgement;

/* `broken_promises`: the writes the file systems lost after an fsync had returned 0 for them to
 * a descriptor that should have heard of the loss (a kernel before 4.16): beyond the model. */
void fault_judge(const WorldConfig *c, const FaultPlan *plan, const GArray *fired,
                 const EndpointMask *down_at_end, guint broken_promises, ModelJudgement *out);
void model_judgement_clear(ModelJudgement *j);
