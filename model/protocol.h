/* model/protocol.h — the protocol descriptor: everything the rest of durasim knows about a
 * protocol, in one table entry that the protocol's own folder defines (model/quorum/,
 * model/raft/, model/libraft/). The scenario loader and writer, the generator, the swarm, the
 * fault runner, the node runtime, the clients, the runner and the command line ask this entry;
 * none of them branches on which protocol it is.
 *
 * A protocol's settings live in its own configuration struct (QuorumConfig, RaftConfig), held in
 * WorldConfig.proto (PROTO_CONFIG_BYTES, copied with the config) and read through the
 * protocol's typed accessor. Its scenario keys are a table over that struct, so the loader
 * parses, checks and the writer writes them without knowing them.
 *
 * The registry (which protocols a build has) is installed by the program (sim/protocols.c):
 * protocol_find() and protocol_at() read it. Invariants: names are unique; every endpoint of a
 * config is a node of exactly one kind (kinds in order, then the clients).
 */
#pragma once

#include "model/proto.h"

#define PROTO_MAX_KINDS 4

/* One kind of node of a protocol: its endpoints are consecutive, kinds in table order. */
typedef struct {
    const char *prefix; /* endpoint names are prefix + 1-based number: "r1", "co2", "n3" */
    const char *what;   /* the report's lane role: "replica", "coordinator", "server" */
    NodeRole role;      /* its role from boot (ROLE_NONE: the protocol's notes tell) */
    const ProtoOps *ops;
    /* How many nodes of the kind a config has; NULL: WorldConfig.nodes. */
    guint (*count)(const WorldConfig *c);
    /* The failpoints its code marks: first .. last (FP_NONE: none). */
    FailpointId fp_first, fp_last;
} ProtoNodeKind;

/* A scenario key of the protocol, stored at `offset` in its configuration struct. */
typedef enum {
    PROTO_KEY_UINT,  /* guint, min..max */
    PROTO_KEY_BOOL,  /* gboolean, on/off */
    PROTO_KEY_TIME,  /* SimTime */
    PROTO_KEY_RANGE, /* SimRange, "lo..hi" or one time */
    PROTO_KEY_ENUM,  /* guint: the index of one of `choices` */
} ProtoKeyType;

typedef struct {
    const char *group; /* "cluster" */
    const char *name;  /* "write_quorum" */
    ProtoKeyType type;
    gsize offset;
    guint min, max;  /* PROTO_KEY_UINT */
    gboolean shrink; /* a count the shrinker may lower */
    /* Whether the key holds the value it takes when a file leaves it out (derived from other
     * settings): the writer then leaves it out too. NULL: the writer always writes it. */
    gboolean (*is_default)(const WorldConfig *c);
    const char *const *choices; /* PROTO_KEY_ENUM: the names of the values, NULL-terminated */
} ProtoKey;

/* "a, b or c": the choices of an enum key. Caller frees. */
char *proto_key_choices(const ProtoKey *k);

/* What the liveness predicate sees of the world at the end of a run. */
typedef struct {
    const void *ctx;
    gboolean (*is_up)(const void *ctx, EndpointId id);
    gboolean has_probe;  /* the probe key exists */
    uint64_t probe_hash; /* its placement hash */
} ProtoUpView;

/* How much failure the protocol's model survives (the within-model judgement). */
typedef struct {
    guint tolerated;       /* nodes that may lose durable data */
    gboolean down_counts;  /* a server down for good spends that budget too */
    gboolean empty_reboot; /* a crash that leaves an empty disk (a power crash before anything was
                              durable, a process crash before anything was written) counts as
                              data loss */
    const char *survivor;  /* how the judgement names what survives ("raft (a minority)") */
} ProtoTolerance;

/* How a client of the protocol chooses where to send. */
typedef struct {
    guint door; /* the node kind clients talk to */
    /* ... when it depends on the configuration; NULL: `door` */
    guint (*door_of)(const WorldConfig *c);
    gboolean stay_on_answer;  /* keep the node that answered anything (else: that succeeded) */
    gboolean retry_to_leader; /* a retry after a redirect-worthy failure goes to the leader */
} ProtoClients;

/* How the swarm and the generator draw a protocol's runs (all draws from the caller's stream). */
typedef struct {
    /* Draws the cluster's shape and the protocol's settings (nodes, quorum sizes, timeouts). */
    void (*cluster)(WorldConfig *c, SimRng *rng);
    guint keys_max;              /* the generator's key count: 1..keys_max */
    uint8_t failpoint_chance[2]; /* a fault fires on a failpoint with chance num/den */
    gboolean by_role;            /* a failpoint fault may act on a role (leader, follower) */
    /* Leader churn (crashes and pauses of the leader mid-replication), when the protocol has a
     * leader: the leader's failpoints to strike at, and how long the others take to elect a
     * new one (a pause within it may end with two leaders for a while). NULL: no churn. */
    SimRange (*takeover)(const WorldConfig *c);
    FailpointId churn_fp[2];
    /* Operations on the cluster the generator adds to a run (membership changes, leadership
     * transfers), as scripted operations before `horizon`; NULL: none. */
    void (*admin)(WorldConfig *c, SimTime horizon, SimRng *rng);
    /* Reconfiguration churn, for a run whose script changes the membership: the failpoints
     * where the leader appends and commits a configuration entry, and where a voter votes (read
     * only when `admin` is set). The leader is cut off at the first two for a while, and a voter
     * crashes for a moment at the third, so that configurations of successive leaders meet. */
    FailpointId change_fp[3];
    /* The swarm's timing profiles (faults struck on the protocol's reachability marks, a disk
     * error and a restart moments apart, nodes down together, late duplicates, long workloads;
     * faults/swarm_profiles.c) for half the seeds. A protocol opts in once its campaign runs
     * clean with them. */
    gboolean profiles;
    /* Adjusts the workload the generator drew (keys, mix) to the settings `cluster` drew, from
     * streams of the protocol's own; NULL: none. */
    void (*workload)(WorldConfig *c);
} ProtoSwarm;

/* One named total of a protocol's work in a run or a campaign (a sum over runs). */
typedef struct {
    const char *name; /* "anti_entropy.bytes" */
    uint64_t value;
} ProtoCost;

#define PROTO_MAX_COSTS 8

/* The replication settings a report groups runs by. */
typedef struct {
    guint replicas, write_quorum, read_quorum;
    gboolean sloppy;
} ProtoReplication;

typedef struct Protocol {
    const char *name; /* the scenario's `protocol =` */
    const char *summary;
    ProtoNodeKind kinds[PROTO_MAX_KINDS];
    guint n_kinds;
    const MsgOps *msg;

    /* ---- configuration ---- */
    gsize config_size; /* <= PROTO_CONFIG_BYTES */
    void (*config_defaults)(WorldConfig *c);
    const ProtoKey *keys; /* terminated by a NULL name */
    /* After loading: fills what depends on other settings (`given`: bit i set when keys[i] was
     * in the file). */
    void (*config_resolve)(WorldConfig *c, uint64_t given);
    /* Cross-field rules; a GError (CONFIG_ERROR) names the group and key. */
    gboolean (*config_validate)(const WorldConfig *c, GError **error);
    /* How long end-of-run operations keep retrying through an election or a repair. */
    SimTime (*final_patience)(const WorldConfig *c);

    /* ---- clients ---- */
    ProtoClients clients;
    /* The clients' retry backoff (base..cap). */
    SimRange (*client_backoff)(const WorldConfig *c);

    /* ---- failpoints: codes fp_first .. fp_first + n_failpoints - 1, named in order ---- */
    FailpointId fp_first;
    const char *const *failpoints;
    guint n_failpoints;

    /* ---- bug variants (model/bugs.h): bit i of a BugSet is bugs[i] ---- */
    const BugVariant *bugs;
    guint n_bugs;

    /* ---- reachability marks (model/marks.h): mark i is counted in ProtoInit.marks[i] ---- */
    const Mark *marks;
    guint n_marks; /* <= MARK_MAX */
    /* Whether its nodes create, rename or unlink files (else the world's marks of namespace
     * changes lost or kept by a power cut cannot be reached by its runs). */
    gboolean names_files;

    /* ---- faults ---- */
    const NodeRole *roles; /* the roles a fault may target, ROLE_NONE-terminated */
    /* Whether the clients' clocks matter (timestamps): skewing one is beyond the model. */
    gboolean client_clocks;
    void (*tolerance)(const WorldConfig *c, ProtoTolerance *out);
    /* Whether a linearizable history is owed, given `damaged` nodes that lost data. */
    gboolean (*owes_linearizable)(const WorldConfig *c, guint damaged);
    ProtoSwarm swarm;

    /* ---- the end of a run ---- */
    /* Whether the nodes that are up can still serve the liveness probe at all. */
    gboolean (*enough_up)(const WorldConfig *c, const ProtoUpView *view);
    /* The replication settings for a report's cluster shapes; NULL: none to show. */
    void (*replication)(const WorldConfig *c, ProtoReplication *out);
    /* What some of its work cost, from a run's (or a campaign's) counters: its marks and the
     * messages sent and their wire bytes by type (MSG_TYPE_SLOTS each). Fills at most
     * PROTO_MAX_COSTS totals and returns how many; NULL: none. */
    guint (*costs)(const MarkCount *marks, const uint64_t *msgs, const uint64_t *bytes,
                   ProtoCost *out);
    /* One line that reads those totals (per round, per item...). NULL: the totals alone. */
    void (*costs_describe)(const ProtoCost *costs, guint n, GString *out);

    /* ---- operations on the cluster ---- */
    /* Bit k: its clients may issue OpKind k besides the data operations (op_kind_is_admin). */
    uint32_t admin_ops;

    /* ---- what the nodes of one world share ---- */
    /* Read-only state every instance of one world may use (a placement table, say), made once
     * when the world starts and handed to each instance as ProtoInit.shared, so that a thousand
     * nodes do not each build their own; NULL: none. An instance made without it (a unit test)
     * builds its own. */
    void *(*shared_new)(const WorldConfig *c, guint keys, const uint64_t *key_hashes);
    void (*shared_free)(void *shared);

    /* ---- limits ---- */
    /* The most nodes of its first kind a run may have ([cluster] nodes; at most
     * WORLD_MAX_NODES). */
    guint max_nodes;
} Protocol;

/* ---- the registry ---- */

/* Installs the protocols of this build (the program does it once, before anything else). */
void protocol_registry_install(const Protocol *const *list, guint n);
/* A protocol this build left out, and why ("libraft-dev missing"), for the errors that name it. */
void protocol_registry_missing(const char *const *names, const char *const *why, guint n);
/* Why the named protocol is not in this build, or NULL (unknown, or installed). */
const char *protocol_missing(const char *name);
guint protocol_count(void);
const Protocol *protocol_at(guint i);
/* Its place in the registry (0..protocol_count() - 1). */
guint protocol_index(const Protocol *p);
/* NULL when no installed protocol has the name. */
const Protocol *protocol_find(const char *name);
/* The installed protocols that have a failpoint of this name, as "raft" or "raft and libraft",
 * or NULL when none has. Caller frees. */
char *protocol_failpoint_owners(const char *name);
static inline const char *protocol_name(const Protocol *p)
{
    return p->name;
}
/* "quorum or raft": the installed names, for messages. Caller frees. */
char *protocol_names(const char *last_sep);

/* ---- asking a descriptor ---- */

/* The kind of node an endpoint is (n_kinds: a client). */
guint protocol_kind_of(const Protocol *p, const WorldConfig *c, EndpointId id);
guint protocol_kind_count(const Protocol *p, const WorldConfig *c, guint kind);
/* The first endpoint of a kind. */
EndpointId protocol_kind_first(const Protocol *p, const WorldConfig *c, guint kind);
/* Whether the protocol's code marks the failpoint. */
gboolean protocol_has_failpoint(const Protocol *p, FailpointId fp);
/* The name of one of its failpoints ("raft.elected"). */
const char *protocol_failpoint_name(const Protocol *p, FailpointId fp);
/* Its failpoint named `name`: sets *out to the code. */
gboolean protocol_failpoint_parse(const Protocol *p, const char *name, FailpointId *out);
/* Its reachability mark named `name` ("replica.handoff.sent"): sets *out to its id. */
gboolean protocol_mark_parse(const Protocol *p, const char *name, MarkId *out);
/* The place of one of its failpoints in its list (0 .. n_failpoints - 1), for per-failpoint
 * counters. */
static inline guint protocol_failpoint_index(const Protocol *p, FailpointId fp)
{
    g_assert(fp >= p->fp_first && fp - p->fp_first < (int)p->n_failpoints);
    return (guint)(fp - p->fp_first);
}
/* Whether a fault may target the role. */
gboolean protocol_has_role(const Protocol *p, NodeRole role);
/* "leader, follower, candidate". Caller frees. */
char *protocol_role_names(const Protocol *p);
/* ---- bug variants ---- */

/* Its bug variant named `name`: sets *bit (its place in p->bugs). */
gboolean protocol_bug_parse(const Protocol *p, const char *name, guint *bit);
/* Parses a comma list ("a, b"; "none" and empty entries add nothing) of p's variants. On failure
 * sets *bad to the entry that is not one (caller frees). */
gboolean protocol_bug_parse_list(const Protocol *p, const char *text, BugSet *out, char **bad);
/* "a,b" in descriptor order, or "none". Caller frees. */
char *protocol_bug_set_format(const Protocol *p, BugSet set);
/* Turns the variants of `bugs` on in c, with the settings each lives in (BugVariant.settings):
 * what --bug does to a scenario (a campaign's, a replay's, a file's). */
void protocol_bugs_add(const Protocol *p, WorldConfig *c, BugSet bugs);
/* Appends " --bug NAME" for every variant of the set, in descriptor order (replay commands). */
void protocol_bug_append_flags(const Protocol *p, GString *s, BugSet set);
/* The installed protocols that have a variant of this name, as "quorum" or "quorum and raft", or
 * NULL when none has. Caller frees. */
char *protocol_bug_owners(const char *name);

/* The protocol that declares a scenario key (group, name), or NULL. */
const Protocol *protocol_of_key(const char *group, const char *name);
