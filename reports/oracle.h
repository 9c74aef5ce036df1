/* reports/oracle.h — the oracles' observer interface: what an oracle reads (a read-only view of
 * the world's ground truth), the events it is fed (the ones the world emits), and what a
 * protocol's oracle module gives the generic oracles.
 *
 * The generic oracles (reports/ledger.c, persist.c, history_check.c, lin_check.c) never ask which
 * protocol runs: what differs between protocols is a field or hook of the OracleModule the
 * checker was made with. A protocol's module lives in its own folder (reports/raft/,
 * reports/quorum/) and is the only code that reads that protocol's blocks and messages.
 *
 * Invariants: a view only reads (the block store's references an oracle takes are its own to
 * drop); events arrive in the order the world emits them; every hook sees the module state its
 * `create` returned.
 */
#pragma once

#include "model/config.h"
#include "model/history.h"
#include "model/msg.h"
#include "model/proto.h"
#include "model/world/disk.h"
#include "reports/verdict.h"

#include <string.h>

/* ---- sets of nodes ---- */

/* A set of a run's nodes (storage nodes, raft servers) for the oracles' judgements: a value of
 * fixed room made on the stack, whose operations touch only the words the run's nodes need (one
 * for up to 64 nodes). Never kept per write: the ledger keeps a write's copies node by node. */
#define NODESET_WORDS (WORLD_MAX_NODES / 64)
typedef struct {
    guint words;
    uint64_t w[NODESET_WORDS];
} NodeSet;

/* The empty set over `nodes` nodes. */
static inline void nodeset_init(NodeSet *s, guint nodes)
{
    s->words = MAX((nodes + 63) / 64, 1u);
    g_assert(s->words <= NODESET_WORDS);
    memset(s->w, 0, sizeof(uint64_t) * s->words);
}
static inline void nodeset_add(NodeSet *s, EndpointId n)
{
    g_assert(n / 64u < s->words);
    s->w[n / 64] |= (uint64_t)1 << (n % 64);
}
static inline gboolean nodeset_has(const NodeSet *s, EndpointId n)
{
    return n / 64u < s->words && ((s->w[n / 64] >> (n % 64)) & 1);
}
static inline guint nodeset_count(const NodeSet *s)
{
    guint c = 0;
    for (guint i = 0; i < s->words; i++)
        c += (guint)__builtin_popcountll(s->w[i]);
    return c;
}
static inline gboolean nodeset_is_empty(const NodeSet *s)
{
    for (guint i = 0; i < s->words; i++)
        if (s->w[i])
            return FALSE;
    return TRUE;
}
/* a |= b, a &= b, a &= ~b (sets of one run). */
static inline void nodeset_union(NodeSet *a, const NodeSet *b)
{
    for (guint i = 0; i < a->words; i++)
        a->w[i] |= b->w[i];
}
static inline void nodeset_intersect(NodeSet *a, const NodeSet *b)
{
    for (guint i = 0; i < a->words; i++)
        a->w[i] &= b->w[i];
}
static inline void nodeset_minus(NodeSet *a, const NodeSet *b)
{
    for (guint i = 0; i < a->words; i++)
        a->w[i] &= ~b->w[i];
}
/* For a protocol whose runs have at most 64 nodes (raft): the set as a mask, and back. */
static inline uint64_t nodeset_low64(const NodeSet *s)
{
    for (guint i = 1; i < s->words; i++)
        g_assert(s->w[i] == 0);
    return s->w[0];
}
static inline void nodeset_from64(NodeSet *s, guint nodes, uint64_t mask)
{
    nodeset_init(s, nodes);
    s->w[0] = mask;
}

/* ---- what an oracle may read ---- */

typedef struct {
    const WorldConfig *cfg;
    History *history;
    BlockStore *store; /* where the disks keep their blocks (oracles may hold references) */
    void *ctx;
    const Disk *(*disk)(void *ctx, EndpointId node); /* NULL for coordinators and clients */
    SimTime (*now)(void *ctx);
    gboolean (*is_up)(void *ctx, EndpointId node);
    const char *(*endpoint_name)(void *ctx, EndpointId id);
    guint (*key_count)(void *ctx);
    const char *(*key_name)(void *ctx, KeyId key);
    gboolean (*key_lookup)(void *ctx, const char *name, KeyId *out);
    uint64_t (*key_hash)(void *ctx, KeyId key);
    const char *(*idem_name)(void *ctx, IdemKey idem, char *buf, gsize size);
} OracleView;

static inline const Disk *oview_disk(const OracleView *v, EndpointId n)
{
    return v->disk(v->ctx, n);
}
static inline SimTime oview_now(const OracleView *v)
{
    return v->now(v->ctx);
}
static inline const char *oview_name(const OracleView *v, EndpointId n)
{
    return v->endpoint_name(v->ctx, n);
}
static inline const char *oview_key(const OracleView *v, KeyId k)
{
    return v->key_name(v->ctx, k);
}
/* The probe key's id, or KEY_NONE. */
static inline KeyId oview_probe_key(const OracleView *v)
{
    KeyId probe = KEY_NONE;
    v->key_lookup(v->ctx, "_probe", &probe);
    return probe;
}
/* A readable name of a history operation: its scripted name, or "op17". Returns buf. */
const char *oview_op_label(const OracleView *v, uint32_t op, char *buf, gsize size);
/* "n1, n3" for the storage nodes in mask ("none" if empty). */
void oview_format_nodes(const OracleView *v, uint64_t mask, GString *out);
/* The same for a set of any size. */
void oview_format_nodeset(const OracleView *v, const NodeSet *s, GString *out);

/* ---- what the run says at its end ---- */

typedef struct {
    uint32_t probe_op; /* the liveness probe's op id, or UINT32_MAX if none ran */
    gboolean healed;   /* no fault effect in force at the end, and enough nodes up to serve */
    gboolean within_model;
    gboolean linearizable;    /* the configuration promises linearizable reads */
    const char *model_reason; /* why the run is beyond model */
    uint64_t lin_budget;      /* 0: default */
    SimTime quiet_since;      /* when the last fault's effect ended (0: none fired) */
} CheckEnd;

/* ---- a protocol's oracle module ---- */

typedef struct Ledger Ledger;
typedef struct LedgerBook LedgerBook;
typedef struct Redundancy Redundancy;

/* An acknowledged write's copies after settle, as its protocol counts them (reports/redundancy.h).
 */
typedef struct {
    NodeSet holders; /* nodes whose copy counts toward its redundancy */
    NodeSet sources; /* up nodes repair can copy it from */
    NodeSet room;    /* nodes that could hold a counted copy now (up, or holding one) */
} RedundancyView;

/* What a module's state is made with (all borrowed; they outlive the state). */
typedef struct {
    const OracleView *view;
    LedgerBook *ledger; /* the write ledger the generic oracles share */
    Verdict *found;     /* where violations found during the run go */
} OracleEnv;

typedef struct OracleModule {
    const char *name;
    /* The module's state for one run (the caller owns it and frees it with destroy). */
    void *(*create)(const OracleEnv *env);
    void (*destroy)(void *st);
    /* The events of the world (NULL: not interested). */
    void (*durable)(void *st, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                    const DiskBlock *neu, DiskChange cause);
    void (*sent)(void *st, const Msg *m);
    void (*note)(void *st, EndpointId node, const ProtoAction *note);
    void (*booted)(void *st, EndpointId node, const ProtoDiskImage *image);
    void (*submitted)(void *st, EndpointId node, guint file, uint32_t index,
                      const DiskBlock *block);
    /* What the generic oracles take from the protocol. */
    guint (*ack_copies)(void *st); /* durable copies an acked write needs */
    gboolean acks_need_commitment; /* and the protocol's rule of commitment (Ledger.committed) */
    /* An acked write, at the end, held by `holders`. */
    gboolean (*lost)(void *st, const Ledger *l, const NodeSet *holders);
    gboolean loss_names_survivors; /* a lost ack's text lists the nodes that still hold it */
    gboolean (*visible)(void *st, const Ledger *l); /* a write's effect can be read */
    /* Adds to `out` the nodes whose durable snapshot holds the write's effect (its log copies
     * may be compacted away): they count as holding it. NULL: the protocol keeps no snapshots. */
    void (*snapshot_holders)(void *st, const Ledger *l, NodeSet *out);
    void (*ledger_end)(void *st, Ledger *l, Verdict *v); /* per write at the end, before loss */
    gboolean merging_adds; /* adds merge by version: a key with adds is not promised lin reads */
    /* After settle, with no fault in force when `healed` (raises into checker_found). */
    void (*convergence)(void *st, gboolean healed);
    /* Lost redundancy (reports/redundancy.h). Whether an acknowledged write still owes its
     * copies (NULL: always; quorum: not once a newer put or delete supersedes it); and, after
     * settle (and convergence), its copies as the protocol counts them, given the nodes `up`
     * (NULL: every holder counts, every up holder is a source, every up node is room). */
    gboolean (*owes_copies)(void *st, const Ledger *l);
    void (*settled_copies)(void *st, const Ledger *l, const NodeSet *up, RedundancyView *out);
    /* Around the end-of-run checks: prepare the end state, add the protocol's own end checks
     * (after the history's), release the end state. */
    void (*end_begin)(void *st);
    void (*end_checks)(void *st, Verdict *v);
    void (*end_done)(void *st);
    /* Last of all, after every check: the module may add to the text of the violations found
     * (never add, drop or change one), e.g. naming a known cause. NULL: nothing. */
    void (*annotate)(void *st, Verdict *v);

    /* ---- causality (reports/causal_check.h) ---- */
    gboolean causal; /* a store that keeps versions per key: lost updates, resurrections */
    /* Whether gets return concurrent siblings (a multi-value store): lost updates are then
     * violations, siblings are judged, linearizability does not apply. NULL: never. */
    gboolean (*multi_value)(void *st);
    /* Whether an acked write is accounted for at the end (between end_begin and end_done): some
     * read can still return it, or it is a delete that was purged. */
    gboolean (*accounted)(void *st, const Ledger *l);
    /* Whether the store gave one write two identities (a multi-value store's write issued twice,
     * retried through another replica): a get may then return it under the identity a reader
     * did not see, until the store unites them. NULL: never. */
    gboolean (*reissued)(void *st, IdemKey idem);
    /* When a purged tombstone first covered the write on some node (its delete, or a write the
     * delete covered), or SIM_TIME_NEVER. NULL: never. */
    SimTime (*purged_at)(void *st, const Ledger *l);
    /* Whether the write's causal past was truncated to fit its clock (a multi-value store that
     * bounds its clocks, as Dynamo §4.4 does): it may leave concurrent what it had seen. NULL:
     * never. */
    gboolean (*truncated)(void *st, IdemKey idem);

    /* The protocol's own liveness judgement, after the history's (the probe): what it did once
     * every fault had healed (end->healed, end->quiet_since). NULL: none. */
    void (*liveness)(void *st, const CheckEnd *end, Verdict *v);

    /* ---- streaming (reports/README.md: how an oracle declares its facts final) ---- */
    /* Whether write l's copies are settled: where they are they stay, every judgement the
     * module makes of it at the end is what it would be now (it is neither lost nor owes copies
     * it lacks), and no fault can reach it any more (the checker asks only once the fault plan
     * is spent). The checker folds it then, if the generic oracles agree. NULL: never. */
    gboolean (*settled)(void *st, const Ledger *l);
    /* Write l is folded: the module forgets what it keeps of it. NULL: nothing kept. */
    void (*fold)(void *st, const Ledger *l);
    /* A sweep of the stream: a module that keeps state by log position folds what is final
     * (`quiet`: no fault can reach anything any more). NULL: nothing. */
    void (*sweep)(void *st, gboolean quiet);

    /* ---- named files ----
     * A node handed a write (block != NULL) or a truncation to its disk device through a
     * descriptor it opened on `path` (as it named it when it opened it), or unlinked `path`
     * (index 0, block NULL: what it held is gone for the node). NULL: not followed. */
    void (*submitted_path)(void *st, EndpointId node, const char *path, uint32_t index,
                           const DiskBlock *block);
} OracleModule;
