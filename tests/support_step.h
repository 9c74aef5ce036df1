/* tests/support_step.h — drives protocol instances through their sans-IO step functions
 * (model/proto.h) without the simulator, playing the node runtime's part by hand.
 *
 * A Steps harness holds the instances of one test, at endpoint ids of a WorldConfig (any
 * endpoint without an instance is external: messages to it stay in flight for the test to read).
 * An instance is created through its ProtoOps from the config, as the node runtime does, and
 * booted from what its disk shows (or from an image the test gives). Every step is followed by
 * the instance's check (thorough), and its actions are played as the runtime would:
 *
 *   sends      a copy goes in flight (`net`, in send order): the test delivers, drops or reads
 *              it, or steps_pump delivers everything deliverable;
 *   disk       operations (blocks and the namespace: open, mkdir, rename...) queue per node
 *              and complete, one at a time in submission order, on a real model/world/disk.c
 *              Disk (steps_disk_one), or fail with an errno the test chooses without touching
 *              the disk (steps_disk_fail); a storage node (endpoint below cfg->nodes) has one,
 *              with the config's file system, and finds its fixed files open at every boot;
 *   timers     are armed per node and fire only when the test fires them (steps_fire, or
 *              steps_advance, which moves the clock and fires what falls due in time order).
 *
 * Every action of every step is recorded (`seen`, with a copy of each message sent and the time),
 * so a test can ask what one step, or a stretch of steps, did; the last step's actions are also
 * kept as the protocol returned them (`out`).
 *
 * Invariants: an instance exists exactly while its endpoint is up; a down endpoint has no timers
 * and no queued disk operations; every message sent carries its sender's id (stamped, as the
 * runtime stamps it).
 */
#pragma once

#include "model/config.h"
#include "model/msg.h"
#include "model/proto.h"
#include "model/world/disk.h"

/* Matches any endpoint in the queries below. */
#define STEPS_ANY ((EndpointId)0xfffe)

typedef enum {
    STEPS_EXTERNAL, /* no instance: messages to it stay in flight */
    STEPS_UP,
    STEPS_DOWN, /* crashed: messages to it are dropped */
} StepsState;

typedef struct {
    uint32_t slot;
    uint64_t token;
    SimTime due;
    SimTime delay;
    uint64_t seq; /* arming order, to break ties */
} StepsTimer;

typedef struct {
    StepsState state;
    const ProtoOps *ops;
    void *p; /* the instance, while up */
    ProtoInit init;
    SimRng rng;
    Disk *disk;     /* storage nodes only (endpoints 0..nodes-1), as in the world */
    GArray *disk_q; /* of ProtoAction (disk actions, no message), in submission order */
    GArray *timers; /* of StepsTimer: armed */
    uint32_t incarnation;
} StepsNode;

/* One action of one step, as recorded. */
typedef struct {
    EndpointId node;
    SimTime at;
    ProtoAction act; /* act.msg: for ACT_SEND, a copy of the message, owned by the harness */
} StepsSeen;

typedef struct {
    WorldConfig cfg; /* owned */
    guint n;         /* endpoints */
    StepsNode *node; /* by endpoint id */
    const uint64_t *key_hashes;
    guint keys;
    SimTime now;
    uint64_t timer_seq;
    ActionList out; /* the last step's actions (their messages still owned by the list) */
    GPtrArray *net; /* of Msg*, in flight, in send order */
    GArray *seen;   /* of StepsSeen: every action of every step */
    guint mark;     /* seen->len before the last step */
    gboolean cut[WORLD_MAX_ENDPOINTS][WORLD_MAX_ENDPOINTS]; /* a -> b dropped by steps_pump */
} Steps;

/* ---- set-up ---- */

/* A harness over `cfg` (copied; the caller keeps its own), every endpoint external, the clock at
 * `now`. Free with steps_free. */
Steps *steps_new(const WorldConfig *cfg, SimTime now);
void steps_free(Steps *s);
/* The key table the instances are given (borrowed; default: cfg->keys keys without hashes). */
void steps_set_keys(Steps *s, const uint64_t *hashes, guint n);
/* Makes endpoint `id` an instance of `ops` (down until booted) with its own PRNG seed; a storage
 * node gets a disk of the given file-system profile (the config's kernel and atomic write). */
void steps_add(Steps *s, EndpointId id, const ProtoOps *ops, uint64_t seed, FsProfile fs);

/* ---- life cycle ---- */

/* Creates the instance and boots it from what its disk shows (every entry, and the fixed files
 * by number), as the node runtime does. */
void steps_boot(Steps *s, EndpointId id, gboolean first_boot);
/* Creates the instance and boots it from `image`, whatever the disk shows. */
void steps_boot_image(Steps *s, EndpointId id, const ProtoDiskImage *image, gboolean first_boot);
/* A process crash: the instance, its timers, its queued disk operations, its descriptors and
 * every message in flight to or from it go; the page cache stays. */
void steps_crash(Steps *s, EndpointId id);
static inline NodeRole steps_role(const Steps *s, EndpointId id)
{
    g_assert(s->node[id].state == STEPS_UP);
    return s->node[id].ops->role(s->node[id].p);
}

/* ---- events ---- */

/* Runs one event through the instance at the harness's clock and plays its actions. */
void steps_step(Steps *s, EndpointId id, ProtoEvent *ev);
/* Delivers `m` (the harness takes it) to its destination; dropped if that is down. */
void steps_deliver(Steps *s, Msg *m);

/* ---- timers ---- */

/* When the timer in `slot` of `id` falls due, or -1 when it is not armed. */
SimTime steps_timer_due(const Steps *s, EndpointId id, uint32_t slot);
uint64_t steps_timer_token(const Steps *s, EndpointId id, uint32_t slot);
void steps_timer_disarm(Steps *s, EndpointId id, uint32_t slot);
/* Fires an armed timer (the clock moves to its deadline if that is later); fails the test when
 * it is not armed. */
void steps_fire(Steps *s, EndpointId id, uint32_t slot);
/* Fires the earliest armed timer of any instance due by `until` (ties: the earlier armed); FALSE
 * if there is none. */
gboolean steps_fire_next(Steps *s, SimTime until);
/* Lets `dt` pass, firing every timer that falls due on the way. */
void steps_advance(Steps *s, SimTime dt);

/* ---- disks ---- */

static inline guint steps_disk_queued(const Steps *s, EndpointId id)
{
    return s->node[id].disk_q->len;
}
/* The i-th disk operation queued at `id` (0: the next to complete). */
static inline const ProtoAction *steps_disk_at(const Steps *s, EndpointId id, guint i)
{
    g_assert(i < s->node[id].disk_q->len);
    return &g_array_index(s->node[id].disk_q, ProtoAction, i);
}
/* Completes the oldest queued operation of `id` on its disk, with the disk's own result;
 * returns the operation's kind. */
uint8_t steps_disk_one(Steps *s, EndpointId id);
/* Completes the oldest queued operation of `id` with `err` (non-zero), without doing it. */
void steps_disk_fail(Steps *s, EndpointId id, int err);
/* Completes the namespace operations of `id` (opens, closes, renames...) up to and including its
 * next data operation (a write, truncation, fsync or read); returns that one's kind. */
uint8_t steps_disk_next(Steps *s, EndpointId id);
/* Completes queued operations of `id` (and those they lead to) while it is up. */
void steps_disk_all(Steps *s, EndpointId id);

/* ---- the network ---- */

/* Takes the oldest in-flight message of `type` from -> to (STEPS_ANY matches all); NULL if
 * none. The caller owns it. */
Msg *steps_take(Steps *s, MsgType type, EndpointId from, EndpointId to);
/* The oldest in-flight message of `type` from -> to, left in flight; NULL if none. */
const Msg *steps_peek(const Steps *s, MsgType type, EndpointId from, EndpointId to);
/* Drops every in-flight message from -> to whose destination has an instance. */
void steps_drop(Steps *s, EndpointId from, EndpointId to);
void steps_cut(Steps *s, EndpointId a, EndpointId b);
/* Cuts every link between the instances in `mask` and the others. */
void steps_partition(Steps *s, uint64_t mask);
void steps_heal(Steps *s);
/* Runs until nothing is left to do: disk operations of live instances complete first, then the
 * oldest deliverable message is delivered. Messages over a cut link or to an instance that is
 * down are dropped; messages to external endpoints stay in flight. Timers never fire. */
void steps_pump(Steps *s);

/* ---- what the steps did ---- */

static inline guint steps_mark(const Steps *s)
{
    return s->seen->len;
}
static inline const StepsSeen *steps_seen(const Steps *s, guint k)
{
    return &g_array_index(s->seen, StepsSeen, k);
}
/* The first message of `type` node -> to sent at or after record `from`; NULL if none. */
const Msg *steps_sent_first(const Steps *s, guint from, EndpointId node, MsgType type,
                            EndpointId to);
/* How many messages of `type` node -> to were sent at or after record `from`. */
guint steps_sent_count(const Steps *s, guint from, EndpointId node, MsgType type, EndpointId to);
/* The last message of `type` node -> to ever sent; NULL if none. */
const Msg *steps_sent_last(const Steps *s, EndpointId node, MsgType type, EndpointId to);
/* The first action of `kind` of node at or after record `from` (on `file` for disk actions;
 * -1: any); NULL if none. */
const ProtoAction *steps_acted(const Steps *s, guint from, EndpointId node, ActionKind kind,
                               int file);
/* The same, on any descriptor from fd_lo to fd_hi. */
const ProtoAction *steps_acted_fds(const Steps *s, guint from, EndpointId node, ActionKind kind,
                                   int fd_lo, int fd_hi);
/* The first note of `kind` of node at or after record `from`; NULL if none. */
const ProtoAction *steps_noted(const Steps *s, guint from, EndpointId node, NoteKind kind);

/* ---- what the last step did ---- */

/* Its actions of `kind`. */
guint steps_out_count(const Steps *s, ActionKind kind);
/* The position of its first action of `kind` (with sub == `sub` when sub >= 0), or -1. */
gint steps_out_pos(const Steps *s, ActionKind kind, gint sub);
/* Its messages of `type` to `to` (STEPS_ANY: any). */
guint steps_out_sends(const Steps *s, MsgType type, EndpointId to);
/* Its only message of `type` to `to` (fails the test unless there is exactly one). */
const Msg *steps_out_sent_one(const Steps *s, MsgType type, EndpointId to);
