/* model/world/world_internal.h — the world's private structure, shared by its parts. Nothing
 * outside model/world/ includes it.
 *
 * The parts stand in layers, each using only those below it:
 *   assemble.c  builds a world from its config, wires the parts together, starts and frees it
 *   node.c      the node runtime (node.h)        client.c  the clients (client.h)
 *   net.c       the network (net.h): hands each message to its destination's `receive`
 *   world.c     this structure's shared services: the trace, keys, accessors
 * The network knows nothing of nodes or clients: assemble.c installs each endpoint's
 * `receive` (node_receive or client_receive). */
#pragma once

#include "model/world/world.h"

typedef struct {
    uint8_t kind; /* DiskOpKind */
    uint8_t file; /* the descriptor */
    uint32_t index;
    uint32_t count; /* reads: blocks; opens: FS_O_* flags */
    uint64_t token;
    SimHandle handle;
    union {
        DiskBlock block; /* writes */
        struct {
            char path[FS_PATH_MAX];  /* opens, mkdir, unlink, rename */
            char path2[FS_PATH_MAX]; /* rename */
        };
    };
} DiskOp;

typedef enum {
    DEFER_MSG,
    DEFER_TIMER,
    DEFER_DISK,
} DeferKind;

typedef struct {
    uint8_t kind;
    int result;
    uint32_t timer;
    uint32_t timer_gen;
    uint64_t token;
    Msg *msg;
    uint32_t count;    /* a read's blocks, */
    DiskBlock *blocks; /* their contents */
    int *results;      /* and results */
} Deferred;

typedef struct {
    SimHandle handle;
    uint32_t gen;
} TimerSlot;

typedef struct Client Client;
typedef struct Endpoint Endpoint;

/* Hands a delivered message to an endpoint (it takes ownership of the message). */
typedef void (*EndpointReceiveFn)(World *w, Endpoint *to, Msg *m);

struct Endpoint {
    struct World *world;
    EndpointId id;
    char *name;
    gboolean has_disk;
    gboolean is_client;
    const ProtoOps *ops;
    void *proto; /* NULL while down */
    gboolean up;
    gboolean paused;
    SimHandle resume;
    uint32_t incarnation;
    SimTime clock_offset;
    SimRng rng;      /* handed to the protocol */
    SimRng disk_rng; /* the disk device's latencies and crash decisions */
    ProtoInit init;
    Disk *disk;
    GArray *timers;    /* of TimerSlot, by slot */
    DiskOp *disk_ring; /* the queued disk operations, a FIFO in a circular array */
    guint disk_head, disk_count, disk_cap;
    SimTime disk_busy_until;
    SimTime slow_until;
    SimRange slow_latency;
    GQueue deferred;              /* of Deferred*, while paused */
    ActionList stashed;           /* actions left when a failpoint paused the node mid-step */
    char (*fd_path)[FS_PATH_MAX]; /* per descriptor, the path its last submitted open named
                                     (allocated at the first open) */
    guint stashed_from;
    EndpointReceiveFn receive; /* installed by assemble.c */
    Client *client;
};

struct World {
    const WorldConfig *config;
    SimQueue *queue;
    BlockStore *blocks; /* the contents of every disk's blocks */
    SimTrace trace;
    History history;
    guint nendpoints;
    Endpoint *ep;
    /* keys */
    GPtrArray *key_names;
    GHashTable *key_index; /* name -> id+1; lookups only, never iterated */
    GArray *key_hashes;    /* of uint64_t */
    GPtrArray *idem_names;
    GHashTable *idem_index;
    /* randomness */
    SimRng net_rng;
    SimRng disk_rng;
    /* network */
    GPtrArray *rules; /* of NetRuleEntry*, in insertion order */
    guint next_rule_id;
    uint64_t next_msg_id;
    /* observation */
    WorldObserver obs;
    void *obs_ctx;
    WorldFailpointFn fp_hook;
    void *fp_ctx;
    MarkId watched[WORLD_MAX_WATCHED_MARKS]; /* marks whose steps mark_fn hears of */
    guint nwatched;
    WorldMarkFn mark_fn;
    void *mark_ctx;
    GPtrArray *details; /* of char*, parallel to kept trace records */
    gboolean want_details;
    char *pending_detail;
    /* clients */
    guint nclients;
    Client **clients;
    guint ops_outstanding; /* scripted + random ops not yet completed */
    SimTime last_completion;
    /* what a read brought back, for the step it completes (read_cap blocks of room) */
    DiskBlock *read_blocks;
    int *read_results;
    guint read_cap;
    /* scratch action lists, one per nesting level of steps */
    ActionList scratch[8];
    guint depth;
    WorldStats stats;
    void *proto_shared; /* Protocol.shared_new's, from world_start on */
    gboolean started;
    gboolean thorough; /* every invariant checked (world_set_invariants) */
};

typedef struct {
    guint id;
    FaultKind kind;
    EndpointId subject;
    NetRule rule;
} NetRuleEntry;

/* world.c */
void world_emit_detailed(World *w, SimTraceKind kind, uint16_t sub, EndpointId node,
                         EndpointId peer, uint64_t a, uint64_t b);

/* Emits one trace record at the current time (inline: every step emits several). */
static inline void world_emit(World *w, SimTraceKind kind, uint16_t sub, EndpointId node,
                              EndpointId peer, uint64_t a, uint64_t b)
{
    if (G_UNLIKELY(w->details != NULL || w->pending_detail != NULL)) {
        world_emit_detailed(w, kind, sub, node, peer, a, b);
        return;
    }
    sim_trace_emit(&w->trace, sim_queue_now(w->queue), kind, sub, node, peer, a, b);
}
/* Sets the detail text of the next emitted record (only when details are wanted). */
gboolean world_wants_detail(const World *w);
void world_set_detail(World *w, char *detail);
char *world_describe_msg(const World *w, const Msg *m);
/* Interns a named idempotency key (scripted operations name theirs). */
IdemKey world_intern_idem(World *w, const char *name);
