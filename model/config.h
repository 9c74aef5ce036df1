/* model/config.h — everything that shapes a world: the cluster, the workload and the run. The
 * scenario loader fills it from a file, the fuzzer from a seed; model/ only reads it. */
#pragma once

#include "model/bugs.h"
#include "model/block.h"
#include "model/types.h"

/* A protocol's descriptor (model/protocol.h). */
typedef struct Protocol Protocol;

/* Room for a protocol's own configuration struct inside WorldConfig (so that the config copies
 * as a value). A protocol's struct must fit (checked where it defines its descriptor). */
#define PROTO_CONFIG_BYTES 128

/* A scripted operation ([op NAME]). Strings are owned by the config. */
typedef struct {
    char *name;
    SimTime at;
    guint client; /* 0-based: c1 is 0 */
    OpKind kind;
    char *key;
    Value value;
    char *idempotency; /* NULL: generated */
} ScriptedOp;

typedef struct WorldConfig {
    const Protocol *protocol; /* borrowed: descriptors are static */
    uint64_t seed;
    SimTime duration;
    SimTime settle;
    BugSet bugs;

    /* cluster */
    guint nodes; /* storage nodes / servers (the protocol's first node kind) */
    FsProfile fs;
    FsKernel kernel;         /* how write-back errors reach descriptors */
    guint disk_atomic_write; /* bytes the disks write atomically (a power of two) */
    SimRange net_latency;
    SimRange disk_write_latency;
    SimRange disk_fsync_latency;
    SimTime request_timeout; /* a coordinator or leader gives up on a request */
    /* The protocol's own settings (QuorumConfig, RaftConfig...): read them through the
     * protocol's accessor (quorum_config(), raft_config()). */
    _Alignas(8) unsigned char proto[PROTO_CONFIG_BYTES];

    /* workload */
    guint clients;
    guint ops;
    guint keys;
    guint mix[OP_KIND_COUNT]; /* weights of put, get, add, delete */
    SimTime client_timeout;
    guint client_retries;
    GPtrArray *scripted; /* of ScriptedOp*, in file order */
} WorldConfig;

/* Fills the defaults of SCENARIOS.md for the protocol. */
void world_config_init(WorldConfig *c, const Protocol *protocol);
/* The protocol's name ("quorum"). */
const char *world_config_protocol_name(const WorldConfig *c);
void world_config_clear(WorldConfig *c);
/* A deep copy into `out` (which must be uninitialised or cleared). */
void world_config_copy(WorldConfig *out, const WorldConfig *in);
ScriptedOp *scripted_op_new(void);
void scripted_op_free(ScriptedOp *op);
/* How long the runner's end-of-run operations (the liveness probe, the final reads) keep
 * retrying, through an election or a repair in progress. */
SimTime world_config_final_patience(const WorldConfig *c);
/* The latest an end-of-run operation invoked at `invoke` can still be out: it retries for the
 * patience above, then may use up its client retries, each a timeout and a backoff. */
SimTime world_config_final_deadline(const WorldConfig *c, SimTime invoke);
/* Checks cross-field rules (W <= N, N <= nodes, ...); a GError names the key. */
gboolean world_config_validate(const WorldConfig *c, GError **error);

/* Names of endpoints for a config: the protocol's node kinds in order (quorum r1..rK then
 * co1..coM, raft n1..nK), then the clients c1..cC. */
guint world_config_node_count(const WorldConfig *c);   /* storage nodes / servers */
guint world_config_server_count(const WorldConfig *c); /* every non-client endpoint */
guint world_config_endpoint_count(const WorldConfig *c);
/* Caller owns the result. */
char *world_config_endpoint_name(const WorldConfig *c, EndpointId id);
/* Parses "r2", "co1", "n3", "c1" for this config. */
gboolean world_config_endpoint_parse(const WorldConfig *c, const char *name, EndpointId *out);

#define CONFIG_ERROR (config_error_quark())
GQuark config_error_quark(void);
/* Sets a CONFIG_ERROR "[group] key: message" and returns FALSE. */
gboolean world_config_fail(GError **error, const char *group, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
