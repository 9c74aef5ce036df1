/* model/world/fault_kind.h — the fault kinds and the one table that describes them.
 *
 * Every reader of a fault kind asks this table: the scenario loader and writer (which keys a
 * kind takes, which are required, whether it lasts `for` a while), the plan checker and the
 * fault runner (whether it acts on a node, a node's disk or the network; whether `heal` ends
 * it), the swarm (which kinds need a disk). The world executes the faults and names them in the
 * trace; what each parameter means is in scenarios/README.md.
 *
 * Invariants: the table has one entry per kind below FAULT_KIND_COUNT, in enum order; a kind's
 * parameters are listed in the order the scenario writer emits them; a kind that needs the
 * network takes no node.
 */
#pragma once

#include <glib.h>

/* Fault kinds as the trace and the scenario format name them. */
typedef enum {
    FAULT_CRASH,
    FAULT_RESTART,
    FAULT_PAUSE,
    FAULT_PARTITION,
    FAULT_ISOLATE,
    FAULT_ONEWAY,
    FAULT_DROP,
    FAULT_DUPLICATE,
    FAULT_DELAY,
    FAULT_HEAL,
    FAULT_FSYNC_ERROR,
    FAULT_WRITE_ERROR,
    FAULT_SECTOR_ERROR,
    FAULT_CORRUPT,
    FAULT_SLOW_DISK,
    FAULT_DISK_LOSS,
    FAULT_CLOCK_SKEW,
    FAULT_WRITEBACK_ERROR,
    FAULT_DISK_FULL,
    FAULT_METADATA_ERROR,
    FAULT_KIND_COUNT,
    /* trace-only: the end of a lasting fault */
    FAULT_END = 100,
    FAULT_RESUME,
} FaultKind;

/* What a fault acts on. */
typedef enum {
    FAULT_NEEDS_NODE, /* a node (or, where on_clients says so, a client) */
    FAULT_NEEDS_DISK, /* a node with a disk: a storage node or a raft server */
    FAULT_NEEDS_NET,  /* the network: no node */
} FaultNeeds;

/* The parameters a fault kind can take, beside the keys every fault has (kind, at, on, node,
 * nth) and `for` (lasting kinds). */
typedef enum {
    FAULT_PARAM_NONE, /* ends a kind's list */
    FAULT_PARAM_MODE,
    FAULT_PARAM_RESTART_AFTER,
    FAULT_PARAM_GROUPS,
    FAULT_PARAM_FROM,
    FAULT_PARAM_TO,
    FAULT_PARAM_LINK,
    FAULT_PARAM_PROBABILITY,
    FAULT_PARAM_LATENCY,
    FAULT_PARAM_ERRNO,
    FAULT_PARAM_COUNT,
    FAULT_PARAM_OFFSET,
    FAULT_PARAM_FILE, /* a glob of paths in the node's file system */
    FAULT_PARAM_KEEP, /* what a power crash keeps (DiskKeep) */
} FaultParam;

#define FAULT_MAX_PARAMS 3

typedef struct {
    FaultParam param;
    const char *required; /* NULL if optional; else what the loader says when it is missing */
} FaultParamUse;

typedef struct {
    const char *name;
    FaultNeeds needs;
    gboolean lasting;      /* takes `for` (0 or absent: until heal, for network kinds) */
    gboolean for_required; /* `for` must be given and positive */
    gboolean on_clients;   /* may act on a client as well as a node */
    gboolean net_rule;     /* installs a network rule, which `heal` ends */
    FaultParamUse params[FAULT_MAX_PARAMS + 1]; /* ends with FAULT_PARAM_NONE */
} FaultKindInfo;

/* The table entry of a kind below FAULT_KIND_COUNT. */
const FaultKindInfo *fault_kind_info(FaultKind kind);
/* The scenario key of a parameter. */
const char *fault_param_key(FaultParam p);
gboolean fault_kind_has_param(FaultKind kind, FaultParam p);
/* Whether the kind acts on a node (and so needs a target), i.e. not on the network. */
gboolean fault_kind_needs_node(FaultKind kind);
gboolean fault_kind_needs_disk(FaultKind kind);

/* The name of a kind, including the trace-only ones ("end", "resume"). */
const char *fault_kind_name(FaultKind kind);
gboolean fault_kind_parse(const char *name, FaultKind *out);
