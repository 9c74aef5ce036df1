/* model/world/world.h — the simulated world: endpoints, the network, disks, node runtimes and
 * clients.
 *
 * The world hosts one sans-IO protocol instance per node and executes its actions on the
 * simulated network and disks, in the order given. Faults reach the world through the primitives
 * below (the fault plans of faults/ call them); the oracles of reports/ watch it through a
 * WorldObserver and read the ground truth (disks, history) directly.
 *
 * Everything random comes from named streams of the run seed: "network", "disk", "workload",
 * "faults", and "node" with the endpoint index.
 */
#pragma once

#include "model/config.h"
#include "model/history.h"
#include "model/proto.h"
#include "model/protocol.h"
#include "model/world/disk.h"
#include "model/world/fault_kind.h"
#include "model/world/world_marks.h"
#include "sim/engine/queue.h"
#include "sim/engine/trace.h"

typedef struct World World;

/* ---- trace vocabulary of the world ---- */

typedef enum {
    DROP_PARTITION = 1,
    DROP_RULE,      /* a drop fault's probability fired */
    DROP_CRASHED,   /* the destination is down */
    DROP_RESTARTED, /* sent to an earlier incarnation of the destination */
    DROP_SENDER_DOWN,
} DropReason;

typedef enum {
    DISKOP_WRITE = 1,
    DISKOP_TRUNCATE,
    DISKOP_FSYNC,
    DISKOP_READ,
    DISKOP_OPEN, /* the trace's b: a hash of the path (the path is the record's detail) */
    DISKOP_CLOSE,
    DISKOP_MKDIR,
    DISKOP_UNLINK,
    DISKOP_RENAME,
    DISKOP_FDATASYNC,
} DiskOpKind;

/* ---- network rules ---- */

typedef enum {
    NET_PARTITION, /* groups; messages between groups are dropped */
    NET_ONEWAY,    /* from_mask -> to_mask dropped */
    NET_DROP,      /* from_mask -> to_mask dropped with probability num/den */
    NET_DUPLICATE, /* from_mask -> to_mask delivered twice with probability num/den */
    NET_DELAY,     /* from_mask -> to_mask latency overridden */
} NetRuleKind;

/* The groups of a partition: group[id] for the endpoints below n, group 0 for the others (sized
 * to the endpoints it names). It owns its array: endpoint_groups_copy, endpoint_groups_clear. */
typedef struct {
    uint8_t *group;
    guint n;
} EndpointGroups;

static inline guint endpoint_groups_of(const EndpointGroups *g, EndpointId id)
{
    return id < g->n ? g->group[id] : 0;
}
void endpoint_groups_set(EndpointGroups *g, EndpointId id, guint group);
void endpoint_groups_copy(EndpointGroups *out, const EndpointGroups *in);
void endpoint_groups_clear(EndpointGroups *g);

/* A network rule. world_net_add copies what its arrays hold; the caller keeps its own. */
typedef struct {
    NetRuleKind kind;
    EndpointGroups groups;
    EndpointMask from_mask;
    EndpointMask to_mask;
    uint64_t num, den;
    SimRange latency;
} NetRule;

/* Releases what a rule's arrays hold. */
void net_rule_clear(NetRule *r);

/* ---- observation ---- */

typedef struct {
    /* A node or client hands a message to the network (before drops and partitions). */
    void (*sent)(void *ctx, World *w, const Msg *m);
    /* The durable image of a node's block changed (see disk.h). */
    void (*durable)(void *ctx, World *w, EndpointId node, guint file, uint32_t idx,
                    const DiskBlock *old, const DiskBlock *neu, DiskChange cause);
    void (*note)(void *ctx, World *w, EndpointId node, const ProtoAction *note);
    void (*crashed)(void *ctx, World *w, EndpointId node, gboolean power);
    /* A node booted, having read its disk (it knows only what that read returned). */
    void (*booted)(void *ctx, World *w, EndpointId node, const ProtoDiskImage *image);
    /* A node handed a write (block != NULL) or a truncation to its disk device. */
    void (*submitted)(void *ctx, World *w, EndpointId node, guint file, uint32_t index,
                      const DiskBlock *block);
    void (*completed)(void *ctx, World *w, const HistOp *op);
    /* The same through a descriptor the node opened on `path` (as named when it opened it);
     * an unlink of `path` comes as a truncation to 0. */
    void (*submitted_path)(void *ctx, World *w, EndpointId node, const char *path, uint32_t index,
                           const DiskBlock *block);
} WorldObserver;

/* Called when a node marks a failpoint, before its next action. */
typedef void (*WorldFailpointFn)(void *ctx, World *w, EndpointId node, FailpointId fp);
/* Called after a node's step that reached a watched reachability mark `times` times, once its
 * actions have run. */
typedef void (*WorldMarkFn)(void *ctx, World *w, EndpointId node, MarkId mark, MarkCount times);
#define WORLD_MAX_WATCHED_MARKS 32

/* ---- life cycle ---- */

/* Builds the world for `config` (borrowed; must outlive the world). Caller owns the result. */
World *world_new(const WorldConfig *config);
void world_free(World *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

void world_set_observer(World *w, const WorldObserver *obs, void *ctx);
void world_set_failpoint_hook(World *w, WorldFailpointFn fn, void *ctx);
/* Watches `n` (at most WORLD_MAX_WATCHED_MARKS) of the protocol's marks: fn hears of every step
 * that reaches one. Costs nothing while none is watched. */
void world_watch_marks(World *w, const MarkId *marks, guint n, WorldMarkFn fn, void *ctx);
/* Which invariants are checked as the world runs. Always: the constant-time ones of each
 * protocol instance (after every step), of every disk (after every state change) and of the
 * event queue. With `thorough`, all of them: ProtoOps.check walks the instance's state after
 * every step, every disk checks all its blocks after every state change, and the queue checks
 * all its slots every 1024 events. A broken invariant is an assertion
 * failure. */
void world_set_invariants(World *w, gboolean thorough);
/* Keeps every trace record (and message details) for reports; call before world_start. */
void world_keep_trace(World *w, gboolean keep);
/* Prints every trace record to `out` as it happens. */
void world_print_trace(World *w, FILE *out);

/* Boots every node and starts the clients' workload. */
void world_start(World *w);
/* Runs until `until` or until nothing is left to do. */
SimRunResult world_run_until(World *w, SimTime until);

/* ---- accessors ---- */

SimQueue *world_queue(World *w);
SimTrace *world_trace(World *w);
SimTime world_now(const World *w);
const WorldConfig *world_config(const World *w);
History *world_history(World *w);
guint world_endpoint_count(const World *w);
const char *world_endpoint_name(const World *w, EndpointId id);
/* What an operation is about: its key's name, or for an operation on the cluster the server it
 * names ("any" when none). */
const char *world_op_about(const World *w, const HistOp *op);
gboolean world_is_node(const World *w, EndpointId id);   /* has a disk */
gboolean world_is_server(const World *w, EndpointId id); /* not a client */
gboolean world_is_up(const World *w, EndpointId id);
gboolean world_is_paused(const World *w, EndpointId id);
NodeRole world_role(const World *w, EndpointId id);
Disk *world_disk(World *w, EndpointId id); /* NULL for coordinators and clients */
/* Where every disk of the world keeps its block contents. */
BlockStore *world_block_store(World *w);
/* The file a node's descriptor `file` is open on, as the node sees it: the page cache with its
 * queued disk operations applied. Returns the length; fills `out` with block idx when
 * idx < length. */
uint32_t world_block_view(World *w, EndpointId id, guint file, uint32_t idx, DiskBlock *out);
guint world_key_count(const World *w);
const char *world_key_name(const World *w, KeyId key);
gboolean world_key_lookup(const World *w, const char *name, KeyId *out);
/* A readable form of an idempotency key ("dep-1", "c2#17"); returns buf. */
const char *world_idem_name(const World *w, IdemKey idem, char *buf, gsize size);
/* The names and trace lines of the world's protocol's messages. */
const MsgOps *world_msg_ops(const World *w);
/* The details of trace record `index` when kept, or NULL. */
const char *world_trace_detail(const World *w, guint index);
/* The ordered trace records kept so far (NULL unless world_keep_trace). */
const GArray *world_trace_records(const World *w);
char *world_render_record(const World *w, const SimTraceRecord *rec);
/* Coverage counters. */
typedef struct {
    uint64_t msgs_sent, msgs_dropped, msgs_duplicated, msgs_delivered;
    uint64_t crashes, restarts, pauses,
        failpoints_hit[PROTO_MAX_FAILPOINTS]; /* by the place in the protocol's list */
    uint64_t disk_writes, disk_fsyncs, fsync_errors, write_errors, read_errors;
    uint64_t faults[FAULT_KIND_COUNT];
    uint64_t fail_reasons[FAIL_REASON_COUNT];
    uint64_t client_retries, client_redirects;
    MarkCount marks[MARK_MAX];               /* the protocol's, by its mark ids */
    MarkCount world_marks[WORLD_MARK_COUNT]; /* the world's */
    uint64_t client_reconciles;              /* write-backs of a get's siblings */
    /* messages sent, and their wire bytes (MsgOps.wire_bytes), by message code */
    uint64_t msgs_by_type[MSG_TYPE_SLOTS], bytes_by_type[MSG_TYPE_SLOTS];
} WorldStats;
const WorldStats *world_stats(const World *w);
/* The protocol's cost totals (Protocol.costs) from `s`, a run's or a campaign's; how many. */
guint world_stats_costs(const WorldStats *s, const Protocol *p, ProtoCost *out);
/* ... as one line (Protocol.costs_describe), or NULL when the protocol reports none. */
char *world_stats_costs_line(const WorldStats *s, const Protocol *p);

/* ---- fault primitives (each traced) ---- */

void world_crash(World *w, EndpointId node, gboolean power);
/* A crash whose power cut keeps what `keep` says of the unsynced changes (disk.h). */
void world_crash_keep(World *w, EndpointId node, gboolean power, DiskKeep keep);
/* Starts a crashed node; a running node is stopped gracefully first. */
void world_restart(World *w, EndpointId node);
void world_pause(World *w, EndpointId node, SimTime duration);
void world_set_clock_skew(World *w, EndpointId node, SimTime offset);
void world_disk_loss(World *w, EndpointId node);
void world_fsync_errors(World *w, EndpointId node, int err, guint count);
/* The same for fsyncs of files whose path matches the glob `file` (NULL: any). */
void world_fsync_errors_matching(World *w, EndpointId node, int err, guint count, const char *file);
/* The background write-back of the dirty data of the matching files fails now; returns how many
 * files it hit. */
guint world_writeback_error(World *w, EndpointId node, int err, const char *file);
/* The node's disk is full (or, FALSE, has room again). */
void world_disk_full(World *w, EndpointId node, gboolean full);
/* A metadata write fails: the node's file system is read-only until its next power cut. */
void world_metadata_error(World *w, EndpointId node);
void world_write_errors(World *w, EndpointId node, int err, guint count);
guint world_sector_errors(World *w, EndpointId node, guint count);
guint world_corrupt(World *w, EndpointId node, guint count);
void world_slow_disk(World *w, EndpointId node, SimRange latency, SimTime duration);
/* When the node's disk will have finished everything queued on it so far. */
SimTime world_disk_idle_at(const World *w, EndpointId node);
/* Network rules: add returns an id for world_net_remove. */
guint world_net_add(World *w, const NetRule *rule, FaultKind kind, EndpointId subject);
void world_net_remove(World *w, guint id);
void world_net_heal(World *w);
/* Whether no network rule is active. */
gboolean world_net_is_healed(const World *w);
/* Whether messages from a to b currently pass every partition rule. */
gboolean world_net_connected(const World *w, EndpointId a, EndpointId b);

/* ---- workload ---- */

/* Whether every scripted and random operation has completed. */
gboolean world_workload_done(const World *w);
/* The time the last operation completed (0 if none). */
SimTime world_last_completion(const World *w);
/* Submits a system operation (probe or final read) from client `client`; returns its op id. */
uint32_t world_submit(World *w, guint client, OpKind kind, KeyId key, Value value,
                      HistOpFlags flags);
/* Whether op `id` has completed. */
gboolean world_op_done(const World *w, uint32_t id);
/* The stable hash used for ring placement of a key. */
uint64_t world_key_hash(const World *w, KeyId key);
/* Interns an extra key (before world_start only). */
KeyId world_key_intern(World *w, const char *name);
