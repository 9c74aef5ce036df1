/* tests/test_quorum.c — quorum replication (model/quorum_*.c): the coordinator's and the
 * replica's step functions on their own, then whole worlds.
 *
 * Step tests drive one protocol instance (created through its ProtoOps, as the node runtime
 * does) with the step harness of tests/support_step.h: it feeds one event at a time, calls
 * check() after every step, keeps a copy of every message sent, arms and fires timers on a clock
 * of its own, and queues disk operations until the test completes them on a real disk or fails
 * them with an errno. The tests then assert on the actions of the last step. Nothing of the
 * simulator runs.
 *
 * World tests run scenarios (scenario_load_data + runner_run, trace kept) or hand-driven worlds,
 * and read what happened from the trace, the history, the verdict and the durable disk images. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/msg.h"
#include "sim/protocols.h"
#include "model/quorum/quorum.h"
#include "model/quorum/ring.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"

#define TEST_ENDPOINTS 128 /* room in the tests' per-endpoint tables */
#include "sim/runner.h"
#include "tests/support_step.h"

#include <errno.h>
#include <string.h>

#define ANY   STEPS_ANY
#define KEYS  2
#define KEY_A 0

/* ================================================================ step harness ==== */

/* One instance driven through tests/support_step.h, at endpoint `self`. */
typedef struct {
    WorldConfig cfg; /* set up by the test before the instance opens; the harness runs a copy */
    uint64_t key_hashes[KEYS];
    EndpointId self;
    Steps *s;
    guint pumped; /* records answered by pump() */
} Harness;

static void make_quorum_config(WorldConfig *c, guint nodes, guint n, guint w, guint r)
{
    world_config_init(c, &quorum_protocol);
    c->nodes = nodes;
    quorum_config_mut(c)->replicas = n;
    quorum_config_mut(c)->write_quorum = w;
    quorum_config_mut(c)->read_quorum = r;
}

static EndpointId coord_ep(const Harness *h)
{
    return (EndpointId)h->cfg.nodes;
}

static EndpointId client_ep(const Harness *h)
{
    return (EndpointId)(h->cfg.nodes + quorum_config(&h->cfg)->coordinators);
}

/* The instance's armed timers (of StepsTimer). */
static GArray *timers(const Harness *h)
{
    return h->s->node[h->self].timers;
}

/* Delivers `m` (the harness owns and frees it). */
static void deliver(Harness *h, Msg *m)
{
    steps_deliver(h->s, m);
}

static void fire(Harness *h, uint32_t slot)
{
    steps_fire(h->s, h->self, slot);
}

static gboolean fire_next(Harness *h, SimTime until)
{
    return steps_fire_next(h->s, until);
}

static void advance(Harness *h, SimTime dt)
{
    steps_advance(h->s, dt);
}

/* Completes the oldest queued disk operation: done on the disk (0), or failed with `result`. */
static void disk_complete(Harness *h, int result)
{
    if (result == 0)
        steps_disk_one(h->s, h->self);
    else
        steps_disk_fail(h->s, h->self, result);
}

/* Completes the disk operations queued now, in order: fsyncs with `result`, the others with 0. */
static void disk_complete_fsyncs(Harness *h, int result)
{
    for (guint n = steps_disk_queued(h->s, h->self); n > 0; n--)
        disk_complete(h, steps_disk_at(h->s, h->self, 0)->kind == ACT_FSYNC ? result : 0);
}

/* Completes every queued disk operation (and those they lead to) successfully. */
static void disk_drain(Harness *h)
{
    steps_disk_all(h->s, h->self);
}

/* Makes the instance at `self` (down until booted). */
static void harness_open(Harness *h, const ProtoOps *ops, EndpointId self)
{
    h->key_hashes[0] = sim_hash_string("acct:7");
    h->key_hashes[1] = sim_hash_string("user:123");
    GError *error = NULL;
    assert_true(world_config_validate(&h->cfg, &error));
    h->self = self;
    h->s = steps_new(&h->cfg, 0);
    steps_set_keys(h->s, h->key_hashes, KEYS);
    steps_add(h->s, self, ops, 42, FS_EXT4_ORDERED);
}

static void coord_open(Harness *h)
{
    harness_open(h, &quorum_coordinator_ops, coord_ep(h));
    steps_boot(h->s, h->self, TRUE);
}

/* Lays `image` durably onto the replica's disk: its directories, then its files' blocks. */
static void disk_preset(Disk *d, const ProtoDiskImage *image)
{
    const guint fd = 255;
    for (guint i = 0; i < image->nentries; i++) {
        const ProtoFileImage *e = &image->entries[i];
        if (e->is_dir) {
            assert_int_equal(disk_mkdir(d, e->path), 0);
            continue;
        }
        assert_int_equal(disk_open(d, fd, e->path, FS_O_CREATE), 0);
        for (uint32_t k = 0; k < e->len; k++)
            assert_int_equal(disk_pwrite(d, fd, k, &e->blocks[k]), 0);
        assert_int_equal(disk_fdsync(d, fd, FALSE), 0);
        assert_int_equal(disk_close(d, fd), 0);
    }
    for (guint i = image->nentries + 1; i-- > 0;) {
        const char *dir = i == image->nentries ? "." : image->entries[i].path;
        if (i < image->nentries && !image->entries[i].is_dir)
            continue;
        assert_int_equal(disk_open(d, fd, dir, FS_O_DIR), 0);
        assert_int_equal(disk_fdsync(d, fd, FALSE), 0);
        assert_int_equal(disk_close(d, fd), 0);
    }
}

/* Boots replica `self` on `image` (NULL: a new, empty disk) without completing any disk op: the
 * image is laid onto its disk first, as a restart finds it. */
static void replica_boot(Harness *h, EndpointId self, const ProtoDiskImage *image)
{
    harness_open(h, &quorum_replica_ops, self);
    if (image)
        disk_preset(h->s->node[self].disk, image);
    steps_boot(h->s, self, image == NULL);
}

/* A replica on a new disk, booted and ready. */
static void replica_open(Harness *h, EndpointId self)
{
    replica_boot(h, self, NULL);
    disk_drain(h);
}

static void harness_close(Harness *h)
{
    steps_free(h->s);
    world_config_clear(&h->cfg);
}

/* ---- what the steps did ---- */

static gboolean send_matches(const Msg *m, MsgType type, EndpointId to)
{
    return m->type == type && (to == ANY || m->to == to);
}

/* Messages of `type` to `to` sent by the last step. */
static guint sends(const Harness *h, MsgType type, EndpointId to)
{
    return steps_out_sends(h->s, type, to);
}

/* The only message of `type` to `to` sent by the last step. */
static const Msg *sent_one(const Harness *h, MsgType type, EndpointId to)
{
    return steps_out_sent_one(h->s, type, to);
}

static guint actions(const Harness *h, ActionKind kind)
{
    return steps_out_count(h->s, kind);
}

/* Position of the first action of `kind` (with sub == `sub` when sub >= 0) in the last step. */
static gint action_pos(const Harness *h, ActionKind kind, gint sub)
{
    return steps_out_pos(h->s, kind, sub);
}

/* The slot of the only timer the last step armed. */
static uint32_t armed_slot(const Harness *h)
{
    assert_int_equal(actions(h, ACT_TIMER), 1);
    return h->s->out.items[action_pos(h, ACT_TIMER, -1)].timer;
}

/* The last message ever sent of `type` to `to`, or NULL. */
static const Msg *last_sent(const Harness *h, MsgType type, EndpointId to)
{
    return steps_sent_last(h->s, ANY, type, to);
}

/* Messages of `type` to `to` sent since record `from` (steps_mark). */
static guint sent_since(const Harness *h, guint from, MsgType type, EndpointId to)
{
    return steps_sent_count(h->s, from, ANY, type, to);
}

/* The data-log blocks the last step wrote, decoded; returns how many have `type`. */
static guint written_blocks(const Harness *h, uint16_t type, QBlock *first)
{
    guint n = 0;
    for (guint i = 0; i < h->s->out.len; i++) {
        if (h->s->out.items[i].kind != ACT_WRITE)
            continue;
        QBlock qb;
        assert_int_equal(quorum_decode(&h->s->out.items[i].block, &qb), BLOCK_OK);
        if (qb.type == type && n++ == 0 && first)
            *first = qb;
    }
    return n;
}

/* ---- messages ---- */

static QRecord record(OpKind op, Value value, int64_t ts, IdemKey idem)
{
    return (QRecord){.key = KEY_A,
                     .op = (uint8_t)op,
                     .hint_for = ENDPOINT_NONE,
                     .version = {.ts = ts, .client = 0, .seq = (uint32_t)idem},
                     .value = value,
                     .idem = idem};
}

static Msg *client_req(const Harness *h, uint32_t op, OpKind kind, Value value, IdemKey idem)
{
    Msg *m = msg_new(MSG_CLIENT_REQ, client_ep(h), coord_ep(h));
    m->u.creq = (ClientReq){.op = op,
                            .attempt = 0,
                            .kind = (uint8_t)kind,
                            .key = KEY_A,
                            .value = value,
                            .idem = idem,
                            .version = {.ts = (int64_t)op * 1000, .client = 0, .seq = op}};
    return m;
}

/* The ack a replica would send for write `w`. */
static Msg *ack_for(const Msg *w, QAckStatus status)
{
    Msg *m = msg_new(MSG_Q_WRITE_ACK, w->to, w->from);
    quorum_body(m)->qack = (QWriteAck){
        .req = quorum_body(w)->qw.req,
        .attempt = quorum_body(w)->qw.attempt,
        .status = (uint8_t)status,
        .kind = quorum_body(w)->qw.kind,
        .idem = w->extra_count ? quorum_msg_records(w)[0].idem : IDEM_NONE,
        .hint_for = quorum_body(w)->qw.hinted ? quorum_body(w)->qw.hint_for : ENDPOINT_NONE,
    };
    return m;
}

static Msg *read_resp(const Msg *q, const QRecord *recs, guint n)
{
    Msg *m = msg_new(MSG_Q_READ_RESP, q->to, q->from);
    quorum_body(m)->qrr = (QReadResp){.req = quorum_body(q)->qr.req,
                                      .attempt = quorum_body(q)->qr.attempt,
                                      .key = quorum_body(q)->qr.key,
                                      .ready = 1};
    msg_take_extra(m, n ? g_memdup2(recs, n * sizeof *recs) : NULL, n, sizeof(QRecord));
    return m;
}

static Msg *write_msg(EndpointId from, EndpointId to, uint32_t req, uint16_t attempt,
                      QWriteKind kind, EndpointId hint_for, const QRecord *rec)
{
    Msg *m = msg_new(MSG_Q_WRITE, from, to);
    quorum_body(m)->qw = (QWrite){.req = req,
                                  .attempt = attempt,
                                  .kind = (uint8_t)kind,
                                  .hinted = hint_for != ENDPOINT_NONE,
                                  .hint_for = hint_for};
    msg_take_extra(m, g_memdup2(rec, sizeof *rec), 1, sizeof(QRecord));
    return m;
}

/* The preference list (then the standbys) of key `key`, as the coordinator's ring walks it. */
static void walk_of(const Harness *h, KeyId key, EndpointId *walk)
{
    g_autoptr(Ring) ring = ring_new(h->cfg.nodes, QUORUM_VNODES);
    ring_walk(ring, h->key_hashes[key], walk);
}

/* ---- the coordinator's network, simplified ---- */

typedef enum {
    P_SILENT, /* down or cut off: never answers */
    P_DURABLE,
    P_SYNC_FAILED,
    P_WRITE_FAILED,
    P_TIMEOUT_THEN_WRITE_FAILED, /* the first try goes unanswered, later ones fail to write */
} Policy;

static const QAckStatus policy_status[] = {0, QACK_DURABLE, QACK_SYNC_FAILED, QACK_WRITE_FAILED,
                                           QACK_WRITE_FAILED};

/* Answers every write the coordinator sent since the last pump at once, as its target's policy
 * says, and fires timers in time order, until the client hears back (returns that response,
 * owned by the harness) or nothing is left to do by `until` (returns NULL). */
static const Msg *pump(Harness *h, const Policy *policy, SimTime until)
{
    for (;;) {
        while (h->pumped < steps_mark(h->s)) {
            const StepsSeen *x = steps_seen(h->s, h->pumped++);
            if (x->act.kind != ACT_SEND)
                continue;
            const Msg *m = x->act.msg;
            if (m->type == MSG_CLIENT_RESP)
                return m;
            if (m->type != MSG_Q_WRITE || policy[m->to] == P_SILENT ||
                (policy[m->to] == P_TIMEOUT_THEN_WRITE_FAILED && quorum_body(m)->qw.attempt == 0))
                continue;
            deliver(h, ack_for(m, policy_status[policy[m->to]]));
        }
        if (!fire_next(h, until))
            return NULL;
    }
}

static void assert_client_resp(const Msg *m, uint32_t op, gboolean ok)
{
    assert_non_null(m);
    assert_int_equal(m->type, MSG_CLIENT_RESP);
    assert_int_equal(m->u.cresp.op, op);
    assert_int_equal(m->u.cresp.ok, ok);
}

/* ================================================================ coordinator ==== */

/* A client write goes, in the step that receives it, to each of the key's N preference-list
 * replicas with the client's record, under one request timer and one RPC timer per replica. */
static void test_quorum_coord_sends_write_to_all_n_replicas_at_once(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 5, 3, 2, 2);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    deliver(&h, client_req(&h, 7, OP_PUT, 42, 0x77));

    assert_int_equal(sends(&h, MSG_Q_WRITE, ANY), 3);
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    for (guint i = 0; i < 3; i++) {
        const Msg *m = sent_one(&h, MSG_Q_WRITE, walk[i]);
        assert_int_equal(quorum_body(m)->qw.kind, QW_CLIENT);
        assert_int_equal(quorum_body(m)->qw.hinted, 0);
        assert_int_equal(quorum_body(m)->qw.attempt, 0);
        assert_int_equal(m->extra_count, 1);
        const QRecord *r = &quorum_msg_records(m)[0];
        assert_int_equal(r->key, KEY_A);
        assert_int_equal(r->op, OP_PUT);
        assert_int_equal(r->value, 42);
        assert_int_equal(r->idem, 0x77);
        assert_int_equal(r->version.ts, 7000);
        assert_int_equal(r->version.seq, 7);
        assert_int_equal(r->hinted, 0);
    }
    SimTime rpc = h.cfg.request_timeout / (quorum_config(&h.cfg)->retry_attempts + 1);
    guint request_timers = 0, rpc_timers = 0;
    for (guint i = 0; i < timers(&h)->len; i++) {
        SimTime d = g_array_index(timers(&h), StepsTimer, i).delay;
        request_timers += d == h.cfg.request_timeout;
        rpc_timers += d == rpc;
    }
    assert_int_equal(request_timers, 1);
    assert_int_equal(rpc_timers, 3);
    harness_close(&h);
}

/* With N = 3, the client is answered in the very step that delivers the W-th durable ack, for
 * W = 1, 2 and 3, and never before. */
static void test_quorum_coord_client_answered_at_wth_durable_ack(void **state)
{
    for (guint w = 1; w <= 3; w++) {
        Harness h = {0};
        make_quorum_config(&h.cfg, 3, 3, w, 1);
        coord_open(&h);
        EndpointId walk[QUORUM_MAX_NODES];
        walk_of(&h, KEY_A, walk);
        deliver(&h, client_req(&h, 3, OP_PUT, 1, 0x33));
        guint replies = 0;
        for (guint k = 1; k <= 3; k++) {
            deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[k - 1]), QACK_DURABLE));
            guint now = sends(&h, MSG_CLIENT_RESP, ANY);
            assert_int_equal(now, k == w ? 1 : 0);
            if (now) {
                const Msg *m = sent_one(&h, MSG_CLIENT_RESP, client_ep(&h));
                assert_client_resp(m, 3, TRUE);
                assert_int_equal(m->u.cresp.attempt, 0);
                gint quorum = action_pos(&h, ACT_FAILPOINT, QUORUM_FP_COORD_QUORUM);
                assert_true(quorum >= 0);
                assert_true(quorum < action_pos(&h, ACT_FAILPOINT, QUORUM_FP_COORD_REPLIED));
            }
            replies += now;
        }
        assert_int_equal(replies, 1);
        harness_close(&h);
    }
}

/* Acks that arrive after the client was answered are matched and finish the request: its timers
 * are cancelled and its slot freed (more requests than the coordinator has slots all succeed),
 * and an ack for a finished request does nothing. */
static void test_quorum_coord_later_acks_are_handled_without_leak(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    for (uint32_t op = 1; op <= 1100; op++) {
        deliver(&h, client_req(&h, op, OP_PUT, op, 0x1000 + op));
        assert_int_equal(sends(&h, MSG_Q_WRITE, ANY), 3);
        deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[0]), QACK_DURABLE));
        deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[1]), QACK_DURABLE));
        assert_client_resp(sent_one(&h, MSG_CLIENT_RESP, client_ep(&h)), op, TRUE);
        assert_true(timers(&h)->len > 0); /* the third replica's RPC is still out */
        const Msg *late = last_sent(&h, MSG_Q_WRITE, walk[2]);
        deliver(&h, ack_for(late, QACK_DURABLE));
        assert_int_equal(actions(&h, ACT_SEND), 0);
        assert_int_equal(timers(&h)->len, 0);
        deliver(&h, ack_for(late, QACK_DURABLE)); /* a duplicate of it, after the end */
        assert_int_equal(h.s->out.len, 0);
        h.s->now += SIM_MS;
    }
    harness_close(&h);
}

/* Neither a "fsync failed" nor a "write failed" reply counts toward W: with one durable ack,
 * one of each failure and W = 2 the client waits, and is answered when the failed replica's
 * retry (after a backoff of at most retry.backoff's base) comes back durable. */
static void test_quorum_coord_failed_fsync_and_failed_write_never_count(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    deliver(&h, client_req(&h, 1, OP_ADD, 200, 0xd1));
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[0]), QACK_SYNC_FAILED));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    uint32_t backoff = armed_slot(&h);
    assert_true(h.s->out.items[action_pos(&h, ACT_TIMER, -1)].delay <=
                quorum_config(&h.cfg)->retry_backoff.lo);
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[1]), QACK_WRITE_FAILED));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[2]), QACK_DURABLE));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0); /* one durable copy of two */

    fire(&h, backoff);
    const Msg *retry = sent_one(&h, MSG_Q_WRITE, walk[0]);
    assert_int_equal(quorum_body(retry)->qw.attempt, 1);
    assert_int_equal(quorum_msg_records(retry)[0].idem, 0xd1);
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[0]), QACK_DURABLE));
    assert_client_resp(sent_one(&h, MSG_CLIENT_RESP, client_ep(&h)), 1, TRUE);
    harness_close(&h);
}

/* A replica that never answers is retried after each RPC timeout with capped exponential
 * backoff and full jitter (gap k within min(hi, lo * 2^k), growing past the base), at most
 * retry.attempts times, and the request ends at request_timeout; over 30 requests. */
static void test_quorum_coord_rpc_timeout_retries_with_capped_backoff_within_budget(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 3, 1);
    quorum_config_mut(&h.cfg)->retry_attempts = 3;
    quorum_config_mut(&h.cfg)->retry_backoff = sim_range(10 * SIM_MS, 25 * SIM_MS);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    Policy policy[TEST_ENDPOINTS] = {0};
    policy[walk[0]] = policy[walk[1]] = P_DURABLE;
    SimTime rpc = h.cfg.request_timeout / (quorum_config(&h.cfg)->retry_attempts + 1);
    SimTime widest_second_gap = 0;
    for (uint32_t op = 1; op <= 30; op++) {
        guint first = steps_mark(h.s);
        SimTime start = h.s->now;
        deliver(&h, client_req(&h, op, OP_PUT, 5, 0x500 + op));
        const Msg *resp = pump(&h, policy, start + 10 * SIM_SEC);
        assert_client_resp(resp, op, FALSE);
        assert_int_equal(resp->u.cresp.reason, FAIL_QUORUM);
        assert_int_equal(resp->u.cresp.definite, 0);
        assert_true(h.s->now == start + h.cfg.request_timeout);
        /* The tries of the silent replica. */
        guint tries = 0;
        SimTime prev = 0;
        for (guint i = first; i < steps_mark(h.s); i++) {
            const StepsSeen *x = steps_seen(h.s, i);
            if (x->act.kind != ACT_SEND || !send_matches(x->act.msg, MSG_Q_WRITE, walk[2]))
                continue;
            const Msg *m = x->act.msg;
            SimTime at = x->at;
            assert_int_equal(quorum_body(m)->qw.attempt, tries);
            if (tries > 0) {
                SimTime gap = at - (prev + rpc);
                SimTime cap = MIN(quorum_config(&h.cfg)->retry_backoff.hi,
                                  quorum_config(&h.cfg)->retry_backoff.lo << (tries - 1));
                assert_true(gap >= 0 && gap <= cap);
                if (tries == 2)
                    widest_second_gap = MAX(widest_second_gap, gap);
            }
            prev = at;
            tries++;
        }
        assert_int_equal(tries, quorum_config(&h.cfg)->retry_attempts + 1);
        assert_int_equal(sent_since(&h, first, MSG_Q_WRITE, ANY),
                         3 + quorum_config(&h.cfg)->retry_attempts);
        assert_int_equal(timers(&h)->len, 0);
        h.s->now += 5 * SIM_SEC;
    }
    assert_true(widest_second_gap > quorum_config(&h.cfg)->retry_backoff.lo); /* the cap doubled */
    harness_close(&h);
}

/* With sloppy on, the first RPC timeout of a silent replica sends the write to the next node on
 * the ring with a hint for it, and the standby's durable ack completes W; the next write
 * recruits the standby at once while the replica is suspect, and once the replica is heard from
 * again writes go to the preference list only. */
static void test_quorum_coord_sloppy_fails_over_to_standby_with_hint(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 4, 3, 3, 1);
    quorum_config_mut(&h.cfg)->sloppy = TRUE;
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    EndpointId dead = walk[1], standby = walk[3];
    Policy policy[TEST_ENDPOINTS] = {0};
    policy[walk[0]] = policy[walk[2]] = policy[standby] = P_DURABLE;
    SimTime rpc = h.cfg.request_timeout / (quorum_config(&h.cfg)->retry_attempts + 1);

    deliver(&h, client_req(&h, 1, OP_PUT, 9, 0x91));
    assert_int_equal(sends(&h, MSG_Q_WRITE, standby), 0);
    const Msg *resp = pump(&h, policy, 10 * SIM_SEC);
    assert_client_resp(resp, 1, TRUE);
    assert_true(h.s->now == rpc); /* one RPC timeout, not every retry */
    const Msg *hinted = last_sent(&h, MSG_Q_WRITE, standby);
    assert_non_null(hinted);
    assert_int_equal(quorum_body(hinted)->qw.hinted, 1);
    assert_int_equal(quorum_body(hinted)->qw.hint_for, dead);
    assert_int_equal(quorum_msg_records(hinted)[0].idem, 0x91);

    h.s->now += SIM_SEC;
    deliver(&h, client_req(&h, 2, OP_PUT, 10, 0x92));
    assert_int_equal(sends(&h, MSG_Q_WRITE, standby), 1);
    assert_int_equal(quorum_body(sent_one(&h, MSG_Q_WRITE, standby))->qw.hint_for, dead);
    SimTime start = h.s->now;
    assert_client_resp(pump(&h, policy, h.s->now + 10 * SIM_SEC), 2, TRUE);
    assert_true(h.s->now == start);

    /* The dead replica answers (late): no longer suspect. */
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, dead), QACK_DURABLE));
    h.s->now += SIM_SEC;
    deliver(&h, client_req(&h, 3, OP_PUT, 11, 0x93));
    assert_int_equal(sends(&h, MSG_Q_WRITE, ANY), 3);
    assert_int_equal(sends(&h, MSG_Q_WRITE, standby), 0);
    harness_close(&h);
}

/* With sloppy off, a silent replica is never replaced: no write leaves for a node outside the
 * preference list, and W = N is not met. */
static void test_quorum_coord_strict_quorum_never_fails_over(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 4, 3, 3, 1);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    Policy policy[TEST_ENDPOINTS] = {0};
    policy[walk[0]] = policy[walk[2]] = policy[walk[3]] = P_DURABLE;
    deliver(&h, client_req(&h, 1, OP_PUT, 9, 0x91));
    const Msg *resp = pump(&h, policy, 10 * SIM_SEC);
    assert_client_resp(resp, 1, FALSE);
    assert_int_equal(resp->u.cresp.definite, 0);
    assert_int_equal(sent_since(&h, 0, MSG_Q_WRITE, walk[3]), 0);
    harness_close(&h);
}

/* W not met by request_timeout is an indeterminate error whenever some replica may hold the
 * write: one stored it, an fsync failed (the page cache may keep it), a try went unanswered
 * (even if a later try failed to write, or the deadline came while every try was still out). */
static void
test_quorum_coord_quorum_not_met_is_indeterminate_when_a_replica_may_hold_it(void **state)
{
    static const struct {
        Policy p[3];
        guint attempts;
    } cases[] = {
        {{P_DURABLE, P_SILENT, P_SILENT}, 3},
        {{P_SYNC_FAILED, P_SYNC_FAILED, P_SYNC_FAILED}, 3},
        {{P_SILENT, P_SILENT, P_SILENT}, 3},
        {{P_SILENT, P_SILENT, P_SILENT}, 0}, /* the deadline finds every RPC out */
        {{P_WRITE_FAILED, P_WRITE_FAILED, P_SILENT}, 3},
        {{P_WRITE_FAILED, P_SYNC_FAILED, P_WRITE_FAILED}, 3},
        {{P_WRITE_FAILED, P_TIMEOUT_THEN_WRITE_FAILED, P_WRITE_FAILED}, 3},
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        Harness h = {0};
        make_quorum_config(&h.cfg, 3, 3, 2, 2);
        quorum_config_mut(&h.cfg)->retry_attempts = cases[c].attempts;
        coord_open(&h);
        EndpointId walk[QUORUM_MAX_NODES];
        walk_of(&h, KEY_A, walk);
        Policy policy[TEST_ENDPOINTS] = {0};
        for (guint i = 0; i < 3; i++)
            policy[walk[i]] = cases[c].p[i];
        deliver(&h, client_req(&h, 1, OP_PUT, 1, 0x11));
        const Msg *resp = pump(&h, policy, 10 * SIM_SEC);
        assert_client_resp(resp, 1, FALSE);
        assert_int_equal(resp->u.cresp.definite, 0);
        assert_int_equal(resp->u.cresp.reason, FAIL_QUORUM);
        assert_true(h.s->now <= h.cfg.request_timeout);
        harness_close(&h);
    }
}

/* A write fails definitely only when every replica said the write itself failed on every try;
 * each replica is tried retry.attempts + 1 times and no more (no retry storm), and the client
 * hears it as soon as the last try failed, before request_timeout. */
static void test_quorum_coord_definite_failure_only_when_every_write_failed(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    Policy policy[TEST_ENDPOINTS] = {0};
    for (guint i = 0; i < 3; i++)
        policy[walk[i]] = P_WRITE_FAILED;
    deliver(&h, client_req(&h, 1, OP_PUT, 1, 0x11));
    const Msg *resp = pump(&h, policy, 10 * SIM_SEC);
    assert_client_resp(resp, 1, FALSE);
    assert_int_equal(resp->u.cresp.definite, 1);
    assert_int_equal(resp->u.cresp.reason, FAIL_WRITE);
    assert_true(h.s->now < h.cfg.request_timeout);
    for (guint i = 0; i < 3; i++)
        assert_int_equal(sent_since(&h, 0, MSG_Q_WRITE, walk[i]),
                         quorum_config(&h.cfg)->retry_attempts + 1);
    assert_int_equal(timers(&h)->len, 0);
    harness_close(&h);
}

/* Retries are bounded per replica and per request (no retry storm): a replica that keeps
 * failing its write is tried retry.attempts + 1 times, then given up; and with sloppy on and every
 * node failing, both standbys are tried, yet the request sends no more than its N + 2 first tries
 * plus the budget of N x retry.attempts retries. */
static void test_quorum_coord_retries_are_bounded_per_replica_and_per_request(void **state)
{
    Harness one = {0};
    make_quorum_config(&one.cfg, 3, 3, 3, 1);
    coord_open(&one);
    EndpointId order[QUORUM_MAX_NODES];
    walk_of(&one, KEY_A, order);
    Policy failing[TEST_ENDPOINTS] = {0};
    failing[order[0]] = failing[order[1]] = P_DURABLE;
    failing[order[2]] = P_WRITE_FAILED;
    deliver(&one, client_req(&one, 1, OP_PUT, 1, 0x11));
    const Msg *first = pump(&one, failing, 10 * SIM_SEC);
    assert_client_resp(first, 1, FALSE);
    assert_int_equal(first->u.cresp.definite, 0); /* two replicas hold it */
    assert_true(one.s->now < one.cfg.request_timeout);
    assert_int_equal(sent_since(&one, 0, MSG_Q_WRITE, order[2]),
                     quorum_config(&one.cfg)->retry_attempts + 1);
    harness_close(&one);

    Harness h = {0};
    make_quorum_config(&h.cfg, 5, 3, 2, 2);
    quorum_config_mut(&h.cfg)->sloppy = TRUE;
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    Policy policy[TEST_ENDPOINTS] = {0};
    for (guint i = 0; i < 5; i++)
        policy[walk[i]] = P_WRITE_FAILED;
    deliver(&h, client_req(&h, 1, OP_PUT, 1, 0x11));
    const Msg *resp = pump(&h, policy, 10 * SIM_SEC);
    assert_client_resp(resp, 1, FALSE);
    assert_int_equal(resp->u.cresp.definite, 1);
    for (guint i = 3; i < 5; i++) {
        const Msg *m = last_sent(&h, MSG_Q_WRITE, walk[i]);
        assert_non_null(m);
        assert_int_equal(quorum_body(m)->qw.hinted, 1);
        EndpointId owner = quorum_body(m)->qw.hint_for;
        assert_true(owner == walk[0] || owner == walk[1] || owner == walk[2]);
    }
    assert_int_equal(sent_since(&h, 0, MSG_Q_WRITE, ANY),
                     5 + quorum_config(&h.cfg)->replicas * quorum_config(&h.cfg)->retry_attempts);
    assert_int_equal(timers(&h)->len, 0);
    harness_close(&h);
}

/* A read merges the first R answers to the newest state and, before answering, writes it back
 * to the stale replica and waits for its durable ack (W copies); a later stale answer is
 * repaired too, and the client is answered once. */
static void test_quorum_coord_read_returns_newest_and_repairs_stale_before_answering(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    coord_open(&h);
    EndpointId walk[QUORUM_MAX_NODES];
    walk_of(&h, KEY_A, walk);
    deliver(&h, client_req(&h, 4, OP_GET, 0, 0x44));
    assert_int_equal(sends(&h, MSG_Q_READ, ANY), 3);
    QRecord old = record(OP_PUT, 5, 10, 0xa), neu = record(OP_PUT, 7, 20, 0xb);

    deliver(&h, read_resp(last_sent(&h, MSG_Q_READ, walk[0]), &neu, 1));
    assert_int_equal(actions(&h, ACT_SEND), 0);
    deliver(&h, read_resp(last_sent(&h, MSG_Q_READ, walk[1]), &old, 1));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    assert_int_equal(sends(&h, MSG_Q_WRITE, walk[0]), 0);
    const Msg *repair = sent_one(&h, MSG_Q_WRITE, walk[1]);
    assert_int_equal(quorum_body(repair)->qw.kind, QW_REPAIR);
    assert_int_equal(repair->extra_count, 1);
    assert_int_equal(quorum_msg_records(repair)[0].idem, 0xb);
    assert_int_equal(quorum_msg_records(repair)[0].value, 7);

    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[1]), QACK_DURABLE));
    const Msg *resp = sent_one(&h, MSG_CLIENT_RESP, client_ep(&h));
    assert_client_resp(resp, 4, TRUE);
    assert_int_equal(resp->u.cresp.present, 1);
    assert_int_equal(resp->u.cresp.value, 7);

    deliver(&h, read_resp(last_sent(&h, MSG_Q_READ, walk[2]), NULL, 0));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    assert_int_equal(quorum_body(sent_one(&h, MSG_Q_WRITE, walk[2]))->qw.kind, QW_REPAIR);
    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, walk[2]), QACK_DURABLE));
    assert_int_equal(sends(&h, MSG_CLIENT_RESP, ANY), 0);
    assert_int_equal(timers(&h)->len, 0);
    harness_close(&h);
}

/* ================================================================ replica ==== */

static Msg *read_req(const Harness *h, uint32_t req)
{
    Msg *m = msg_new(MSG_Q_READ, (EndpointId)h->cfg.nodes, h->self);
    quorum_body(m)->qr = (QRead){.req = req, .key = KEY_A};
    return m;
}

/* Reads key A at the replica: how many records it returns; their fold in *value. */
static guint replica_read(Harness *h, gboolean *ready, Value *value)
{
    deliver(h, read_req(h, 99));
    const Msg *r = sent_one(h, MSG_Q_READ_RESP, coord_ep(h));
    *ready = quorum_body(r)->qrr.ready;
    g_autoptr(GArray) set = g_array_new(FALSE, FALSE, sizeof(QRecord));
    g_array_append_vals(set, r->extra, r->extra_count);
    *value = 0;
    if (set->len)
        qset_fold(set, value);
    return r->extra_count;
}

static const Msg *sent_ack(const Harness *h, QAckStatus status, uint32_t req)
{
    const Msg *a = sent_one(h, MSG_Q_WRITE_ACK, coord_ep(h));
    assert_int_equal(quorum_body(a)->qack.status, status);
    assert_int_equal(quorum_body(a)->qack.req, req);
    return a;
}

/* A replica writes the record, fsyncs once the write completed, and acks durable (echoing the
 * request, try and key) only after that fsync returned 0; reads see it only then. */
static void test_quorum_replica_acks_only_after_fsync_succeeded(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    replica_open(&h, 0);
    QRecord rec = record(OP_PUT, 42, 5, 0xa1);
    deliver(&h, write_msg(coord_ep(&h), 0, 17, 2, QW_CLIENT, ENDPOINT_NONE, &rec));
    QBlock qb;
    assert_int_equal(written_blocks(&h, QBLK_DATA, &qb), 1);
    assert_int_equal(qb.rec.idem, 0xa1);
    assert_int_equal(qb.rec.value, 42);
    assert_int_equal(actions(&h, ACT_SEND), 0);

    disk_complete(&h, 0); /* the write */
    assert_true(action_pos(&h, ACT_FAILPOINT, QUORUM_FP_REPLICA_WRITTEN) >= 0);
    assert_int_equal(actions(&h, ACT_FSYNC), 1);
    assert_int_equal(actions(&h, ACT_SEND), 0);
    gboolean ready;
    Value v;
    assert_int_equal(replica_read(&h, &ready, &v), 0); /* not durable yet */
    assert_true(ready);

    disk_complete(&h, 0); /* the fsync */
    const Msg *ack = sent_ack(&h, QACK_DURABLE, 17);
    assert_int_equal(quorum_body(ack)->qack.attempt, 2);
    assert_int_equal(quorum_body(ack)->qack.kind, QW_CLIENT);
    assert_int_equal(quorum_body(ack)->qack.idem, 0xa1);
    assert_int_equal(quorum_body(ack)->qack.hint_for, ENDPOINT_NONE);
    gint send = action_pos(&h, ACT_SEND, -1);
    assert_true(action_pos(&h, ACT_FAILPOINT, QUORUM_FP_REPLICA_SYNCED) < send);
    assert_true(action_pos(&h, ACT_FAILPOINT, QUORUM_FP_REPLICA_ACKED) > send);
    assert_int_equal(replica_read(&h, &ready, &v), 1);
    assert_int_equal(v, 42);
    harness_close(&h);
}

/* After its fsync returned EIO a replica reports the failure at once without fsyncing again
 * (the next fsync would return 0 and prove nothing), voids the record, and a retry of the write
 * rewrites the record before it can be acked durable. */
static void test_quorum_replica_after_eio_fsync_reports_failure_and_rewrites(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    replica_open(&h, 0);
    QRecord rec = record(OP_ADD, 200, 5, 0xd1);
    deliver(&h, write_msg(coord_ep(&h), 0, 8, 0, QW_CLIENT, ENDPOINT_NONE, &rec));
    uint32_t block = h.s->out.items[action_pos(&h, ACT_WRITE, -1)].index;
    disk_complete(&h, 0);
    disk_complete(&h, EIO);
    sent_ack(&h, QACK_SYNC_FAILED, 8);
    assert_int_equal(actions(&h, ACT_FSYNC), 0);
    QBlock qb;
    assert_int_equal(written_blocks(&h, QBLK_VOID, &qb), 1);
    assert_int_equal(qb.block, block);
    gboolean ready;
    Value v;
    assert_int_equal(replica_read(&h, &ready, &v), 0);

    deliver(&h, write_msg(coord_ep(&h), 0, 8, 1, QW_CLIENT, ENDPOINT_NONE, &rec));
    assert_int_equal(written_blocks(&h, QBLK_DATA, &qb), 1);
    assert_int_equal(qb.rec.idem, 0xd1);
    assert_int_equal(actions(&h, ACT_SEND), 0);
    disk_drain(&h);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.status, QACK_DURABLE);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.attempt, 1);
    assert_int_equal(replica_read(&h, &ready, &v), 1);
    assert_int_equal(v, 200);
    harness_close(&h);
}

/* A restarted replica does not trust an fsync of what it read back (after a failed fsync of an
 * earlier life the pages may be clean and never written: the fsync would return 0 and prove
 * nothing): it writes every block it kept again, in place, and syncs that (its log segment, and
 * the directories that name it). When that sync fails too, it writes a copy of every record,
 * syncs that, and answers reads only then. */
static void test_quorum_replica_boot_fsync_eio_rewrites_from_its_copy(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    DiskBlock blocks[2];
    int errors[2] = {0, 0};
    quorum_encode_ident(&blocks[0], 0);
    QRecord rec = record(OP_PUT, 7, 5, 0xb1);
    quorum_encode_record(&blocks[1], &rec);
    char seg[FS_PATH_MAX];
    quorum_segment_path(0, seg, sizeof seg);
    ProtoFileImage ents[2] = {{.path = "data", .is_dir = TRUE},
                              {.len = 2, .blocks = blocks, .errors = errors}};
    g_strlcpy(ents[1].path, seg, sizeof ents[1].path);
    ProtoDiskImage img = {.nentries = 2, .entries = ents};
    replica_boot(&h, 0, &img);
    assert_int_equal(actions(&h, ACT_WRITE), 2); /* both blocks, where they were */
    assert_int_equal(actions(&h, ACT_FSYNC), 0);
    for (guint i = 0; i < h.s->out.len; i++)
        if (h.s->out.items[i].kind == ACT_WRITE)
            assert_memory_equal(&h.s->out.items[i].block, &blocks[h.s->out.items[i].index],
                                sizeof(DiskBlock));
    gboolean ready;
    Value v;
    replica_read(&h, &ready, &v);
    assert_false(ready);
    disk_complete_fsyncs(&h, 0); /* the opens and the writes */
    assert_int_equal(actions(&h, ACT_FSYNC),
                     3); /* once both are written: the segment, data/, root */

    disk_complete_fsyncs(&h, EIO);
    QBlock qb;
    assert_int_equal(written_blocks(&h, QBLK_DATA, &qb), 1);
    assert_int_equal(qb.rec.idem, 0xb1);
    assert_int_equal(qb.rec.copy, 1);
    assert_int_equal(actions(&h, ACT_FSYNC), 0);
    replica_read(&h, &ready, &v);
    assert_false(ready);

    disk_drain(&h); /* the copy, and its sync */
    assert_int_equal(replica_read(&h, &ready, &v), 1);
    assert_true(ready);
    assert_int_equal(v, 7);
    harness_close(&h);
}

/* Whether the disk operations queued now include an fsync of descriptor `fd`. */
static gboolean queued_fsync_of(const Harness *h, guint fd)
{
    for (guint i = 0; i < steps_disk_queued(h->s, h->self); i++) {
        const ProtoAction *d = steps_disk_at(h->s, h->self, i);
        if (d->kind == ACT_FSYNC && d->file == fd)
            return TRUE;
    }
    return FALSE;
}

/* A replica's log fills segment data/00000000 (64 blocks, the identity block first) and goes on
 * in data/00000001: the sync that acks the first write there fsyncs data/, which names the new
 * segment, before the ack (and not the syncs in between). With missing-dir-fsync it never does,
 * and acks all the same. */
static void test_quorum_replica_new_segment_is_named_durably_before_its_ack(void **state)
{
    for (int bug = 0; bug <= 1; bug++) {
        Harness h = {0};
        make_quorum_config(&h.cfg, 3, 3, 2, 2);
        h.cfg.bugs = bug ? (BugSet)1 << QUORUM_BUG_MISSING_DIR_FSYNC : 0;
        replica_open(&h, 0);
        for (uint32_t i = 1; i <= QUORUM_SEGMENT_BLOCKS; i++) {
            QRecord rec = record(OP_ADD, 1, (int64_t)i, 0x1000 + i);
            deliver(&h, write_msg(coord_ep(&h), 0, i, 0, QW_CLIENT, ENDPOINT_NONE, &rec));
            assert_int_equal(actions(&h, ACT_OPEN), i == QUORUM_SEGMENT_BLOCKS);
            while (steps_disk_at(h.s, h.self, 0)->kind != ACT_FSYNC)
                disk_complete(&h, 0); /* the open and the write: then the sync is queued */
            assert_int_equal(queued_fsync_of(&h, 1), !bug && i == QUORUM_SEGMENT_BLOCKS);
            disk_drain(&h);
            assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.status,
                             QACK_DURABLE);
        }
        harness_close(&h);
    }
}

/* A write retried with the same idempotency key (a coordinator retry, a client retry as a new
 * request, anti-entropy) is stored once: no second data block, acked durable, read once. */
static void test_quorum_replica_applies_retried_write_with_same_key_once(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    replica_open(&h, 0);
    QRecord dep = record(OP_ADD, 200, 5, 0xde);
    deliver(&h, write_msg(coord_ep(&h), 0, 1, 0, QW_CLIENT, ENDPOINT_NONE, &dep));
    assert_int_equal(written_blocks(&h, QBLK_DATA, NULL), 1);
    disk_drain(&h);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.status, QACK_DURABLE);

    deliver(&h, write_msg(coord_ep(&h), 0, 1, 1, QW_CLIENT, ENDPOINT_NONE, &dep));
    assert_int_equal(written_blocks(&h, QBLK_DATA, NULL), 0);
    disk_drain(&h);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.status, QACK_DURABLE);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.attempt, 1);

    deliver(&h, write_msg(coord_ep(&h), 0, 2, 0, QW_CLIENT, ENDPOINT_NONE, &dep));
    assert_int_equal(written_blocks(&h, QBLK_DATA, NULL), 0);
    disk_drain(&h);
    assert_int_equal(quorum_body(last_sent(&h, MSG_Q_WRITE_ACK, ANY))->qack.req, 2);

    Msg *sync = msg_new(MSG_Q_SYNC_RECORDS, 1, 0);
    msg_take_extra(sync, g_memdup2(&dep, sizeof dep), 1, sizeof dep);
    deliver(&h, sync);
    assert_int_equal(written_blocks(&h, QBLK_DATA, NULL), 0);

    gboolean ready;
    Value v;
    assert_int_equal(replica_read(&h, &ready, &v), 1);
    assert_int_equal(v, 200);
    harness_close(&h);
}

/* A duplicate that arrives while the first copy is still being written is acked durable only by
 * an fsync that covers that copy: if that fsync fails, both requests hear "fsync failed", even
 * though the first request's own fsync then returns 0. */
static void test_quorum_replica_duplicate_in_flight_is_not_acked_after_failed_fsync(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 3, 3, 2, 2);
    replica_open(&h, 0);
    QRecord dep = record(OP_ADD, 200, 5, 0xde);
    deliver(&h, write_msg(coord_ep(&h), 0, 1, 0, QW_CLIENT, ENDPOINT_NONE, &dep));
    deliver(&h, write_msg(coord_ep(&h), 0, 2, 0, QW_CLIENT, ENDPOINT_NONE, &dep));
    assert_int_equal(written_blocks(&h, QBLK_DATA, NULL), 0);
    assert_int_equal(actions(&h, ACT_FSYNC), 1);
    /* Disk order: the first request's write, the second's fsync, then the first's fsync. */
    disk_complete(&h, 0);
    assert_int_equal(actions(&h, ACT_FSYNC), 1);
    disk_complete(&h, EIO);
    sent_ack(&h, QACK_SYNC_FAILED, 2);
    disk_complete(&h, 0);
    sent_ack(&h, QACK_SYNC_FAILED, 1);
    gboolean ready;
    Value v;
    assert_int_equal(replica_read(&h, &ready, &v), 0);
    harness_close(&h);
}

/* A standby keeps a sloppy write as a durable hint and acks it for its owner; it hands the hint
 * to the intended replica only once durable, every round until that replica acks it durable,
 * then marks the hint done and stops. */
static void test_quorum_replica_hands_hint_back_when_intended_replica_returns(void **state)
{
    Harness h = {0};
    make_quorum_config(&h.cfg, 4, 3, 2, 2);
    const EndpointId self = 3, owner = 1;
    replica_open(&h, self);
    QRecord rec = record(OP_PUT, 3, 5, 0xc1);
    deliver(&h, write_msg(coord_ep(&h), self, 6, 0, QW_CLIENT, owner, &rec));
    QBlock qb;
    assert_int_equal(written_blocks(&h, QBLK_HINT, &qb), 1);
    assert_int_equal(qb.rec.hint_for, owner);
    guint mark = steps_mark(h.s);
    advance(&h, 500 * SIM_MS); /* handoff rounds while the hint is not durable yet */
    assert_int_equal(sent_since(&h, mark, MSG_Q_WRITE, owner), 0);

    while (steps_disk_queued(h.s, h.self) > 0 && last_sent(&h, MSG_Q_WRITE_ACK, ANY) == NULL)
        disk_complete(&h, 0);
    const Msg *ack = last_sent(&h, MSG_Q_WRITE_ACK, coord_ep(&h));
    assert_non_null(ack);
    assert_int_equal(quorum_body(ack)->qack.status, QACK_DURABLE);
    assert_int_equal(quorum_body(ack)->qack.hint_for, owner);
    disk_drain(&h);

    mark = steps_mark(h.s);
    advance(&h, 250 * SIM_MS);
    disk_drain(&h);
    assert_true(sent_since(&h, mark, MSG_Q_WRITE, owner) >= 1);
    const Msg *handoff = last_sent(&h, MSG_Q_WRITE, owner);
    assert_int_equal(quorum_body(handoff)->qw.kind, QW_HANDOFF);
    assert_int_equal(handoff->extra_count, 1);
    assert_int_equal(quorum_msg_records(handoff)[0].idem, 0xc1);
    assert_int_equal(quorum_msg_records(handoff)[0].hinted, 0);
    mark = steps_mark(h.s);
    advance(&h, 250 * SIM_MS); /* the owner is still down: sent again */
    disk_drain(&h);
    assert_true(sent_since(&h, mark, MSG_Q_WRITE, owner) >= 1);

    deliver(&h, ack_for(last_sent(&h, MSG_Q_WRITE, owner), QACK_DURABLE));
    assert_int_equal(written_blocks(&h, QBLK_HINT_DONE, &qb), 1);
    assert_int_equal(qb.idem, 0xc1);
    gint note = action_pos(&h, ACT_NOTE, NOTE_HANDOFF);
    assert_true(note >= 0);
    assert_int_equal(h.s->out.items[note].a, 0xc1);
    assert_int_equal(h.s->out.items[note].b, owner);
    disk_drain(&h);
    mark = steps_mark(h.s);
    advance(&h, 600 * SIM_MS);
    disk_drain(&h);
    assert_int_equal(sent_since(&h, mark, MSG_Q_WRITE, owner), 0);
    harness_close(&h);
}

/* ================================================================ world ==== */

static void run_text(const char *text, BugSet extra_bugs, RunResult *out)
{
    GError *error = NULL;
    g_autoptr(Scenario) s = scenario_load_data(text, strlen(text), "test_quorum.ini", &error);
    if (error)
        fail_msg("%s", error->message);
    assert_non_null(s);
    RunOptions opt = {.keep_trace = TRUE, .extra_bugs = extra_bugs};
    assert_true(runner_run(s, &opt, out, &error));
}

static const HistOp *op_named(const RunResult *r, const char *name)
{
    const HistOp *op = history_find(world_history(r->world), name);
    assert_non_null(op);
    return op;
}

static EndpointId ep_named(const WorldConfig *c, const char *name)
{
    EndpointId id;
    assert_true(world_config_endpoint_parse(c, name, &id));
    return id;
}

static void key_walk(World *w, const char *key, EndpointId *walk)
{
    KeyId k;
    assert_true(world_key_lookup(w, key, &k));
    g_autoptr(Ring) ring = ring_new(world_config(w)->nodes, QUORUM_VNODES);
    ring_walk(ring, world_key_hash(w, k), walk);
}

/* What a node's data log holds for one idempotency key (voided records left out): its durable
 * image, or (durable FALSE) the log as the node itself sees it, page cache included. */
typedef struct {
    guint data;   /* records written as new writes */
    guint copies; /* rewritten copies (recovery, scrub) */
    guint hints;
    guint done;
    EndpointId hint_for;
} LogHolds;

/* The file of a node's log segment `seg` (durable, or as the page cache shows it), or -1. */
static gint segment_file(Disk *d, uint32_t seg, gboolean durable)
{
    char path[FS_PATH_MAX];
    quorum_segment_path(seg, path, sizeof path);
    return disk_lookup(d, path, durable);
}

/* Block i of a node's log: durable, or as the page cache shows it. */
static gboolean log_block(World *w, EndpointId node, gboolean durable, uint32_t i, QBlock *qb)
{
    Disk *d = world_disk(w, node);
    gint f = segment_file(d, i / QUORUM_SEGMENT_BLOCKS, durable);
    uint32_t at = i % QUORUM_SEGMENT_BLOCKS;
    DiskBlock b;
    if (f < 0)
        return FALSE;
    if (durable ? !disk_durable_block(d, (guint)f, at, &b)
                : at >= disk_length(d, (guint)f) || disk_read(d, (guint)f, at, &b) != 0)
        return FALSE;
    return quorum_decode(&b, qb) == BLOCK_OK;
}

/* One past the last block of a node's log (durable, or in the page cache). */
static uint32_t log_length(Disk *d, gboolean durable)
{
    uint32_t len = 0;
    for (uint32_t seg = 0; seg < disk_nfiles(d); seg++) {
        gint f = segment_file(d, seg, durable);
        uint32_t n = f < 0     ? 0
                     : durable ? disk_durable_length(d, (guint)f)
                               : disk_length(d, (guint)f);
        if (n > 0)
            len = seg * QUORUM_SEGMENT_BLOCKS + n;
    }
    return len;
}

static LogHolds log_holds(World *w, EndpointId node, IdemKey idem, gboolean durable)
{
    Disk *d = world_disk(w, node);
    assert_non_null(d);
    uint32_t len = log_length(d, durable);
    g_autoptr(GHashTable) voided = g_hash_table_new(g_direct_hash, g_direct_equal);
    QBlock qb;
    for (uint32_t i = 0; i < len; i++)
        if (log_block(w, node, durable, i, &qb) && qb.type == QBLK_VOID)
            g_hash_table_add(voided, GUINT_TO_POINTER(qb.block + 1));
    LogHolds out = {.hint_for = ENDPOINT_NONE};
    for (uint32_t i = 0; i < len; i++) {
        if (!log_block(w, node, durable, i, &qb) ||
            g_hash_table_contains(voided, GUINT_TO_POINTER(i + 1)))
            continue;
        if (qb.type == QBLK_HINT_DONE && qb.idem == idem)
            out.done++;
        if ((qb.type != QBLK_DATA && qb.type != QBLK_HINT) || qb.rec.idem != idem)
            continue;
        if (qb.type == QBLK_HINT) {
            out.hints++;
            out.hint_for = qb.rec.hint_for;
        } else if (qb.rec.copy) {
            out.copies++;
        } else {
            out.data++;
        }
    }
    return out;
}

static LogHolds durable_of(World *w, EndpointId node, IdemKey idem)
{
    return log_holds(w, node, idem, TRUE);
}

/* Trace records of `kind` with message type / sub `sub` at `node` in [t0, t1); their times and
 * record positions go to times/pos (up to `max`). */
static guint trace_find(World *w, SimTraceKind kind, uint16_t sub, EndpointId node, SimTime t0,
                        SimTime t1, SimTime *times, guint *pos, guint max)
{
    const GArray *r = world_trace_records(w);
    assert_non_null(r);
    guint n = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = &g_array_index(r, SimTraceRecord, i);
        if (x->kind != kind || x->sub != sub || x->time < t0 || x->time >= t1 ||
            (node != ANY && x->node != node))
            continue;
        if (n < max) {
            times[n] = x->time;
            pos[n] = i;
        }
        n++;
    }
    return n;
}

static const char wth_ack_scenario[] =
    "[scenario]\nname = wth-ack\nsummary = test_quorum\nprotocol = quorum\nseed = 1\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = %u\nread_quorum = 1\n"
    "net.latency = 1ms\ndisk.write_latency = 10us\ndisk.fsync_latency = 1ms\n"
    "[op save]\nat = 10ms\nkind = put\nkey = user:123\nvalue = 1\n"
    "[fault a]\nat = 0ms\nkind = delay\nlink = co1->r1\nlatency = 10ms\n"
    "[fault b]\nat = 0ms\nkind = delay\nlink = r1->co1\nlatency = 10ms\n"
    "[fault c]\nat = 0ms\nkind = delay\nlink = co1->r2\nlatency = 30ms\n"
    "[fault d]\nat = 0ms\nkind = delay\nlink = r2->co1\nlatency = 30ms\n"
    "[fault e]\nat = 0ms\nkind = delay\nlink = co1->r3\nlatency = 60ms\n"
    "[fault f]\nat = 0ms\nkind = delay\nlink = r3->co1\nlatency = 60ms\n"
    "[fault calm]\nat = 2s\nkind = heal\n";

/* World: with replicas whose round trips differ, the coordinator answers the client in the step
 * that delivers the W-th fastest durable ack (W = 1, 2, 3), and the slower acks still arrive. */
static void test_quorum_world_client_answered_at_wth_fastest_durable_ack(void **state)
{
    for (guint w = 1; w <= 3; w++) {
        g_autofree char *text = g_strdup_printf(wth_ack_scenario, w);
        RunResult r;
        run_text(text, 0, &r);
        assert_true(r.passed);
        EndpointId co1 = ep_named(&r.config, "co1");
        SimTime acks[4], resp[2];
        guint ack_pos[4], resp_pos[2];
        assert_int_equal(
            trace_find(r.world, SIM_TR_DELIVER, MSG_Q_WRITE_ACK, co1, 0, SIM_SEC, acks, ack_pos, 4),
            3);
        assert_int_equal(
            trace_find(r.world, SIM_TR_SEND, MSG_CLIENT_RESP, co1, 0, SIM_SEC, resp, resp_pos, 2),
            1);
        assert_true(acks[0] < acks[1] && acks[1] < acks[2]);
        assert_true(resp[0] == acks[w - 1]);
        assert_true(resp_pos[0] > ack_pos[w - 1]);
        if (w < 3)
            assert_true(resp_pos[0] < ack_pos[w]);
        const HistOp *op = op_named(&r, "save");
        assert_int_equal(op->outcome, OUTCOME_OK);
        assert_true(op->complete > resp[0]);
        run_result_clear(&r);
    }
}

static const char eio_never_counts_scenario[] =
    "[scenario]\nname = eio-never-counts\nsummary = test_quorum\nprotocol = quorum\nseed = 62\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\nnet.latency = 2ms\n"
    "[fault r1-eio]\non = replica.written\nnode = r1\nkind = fsync-error\ncount = 4\n"
    "[fault r3-slow]\nat = 0ms\nkind = delay\nlink = co1->r3\nlatency = 200ms\nfor = 1s\n"
    "[op save]\nat = 10ms\nkind = put\nkey = balance\nvalue = 42\n";

/* World: with r1's fsyncs failing and r3 200 ms away, the client is answered only once r3's
 * durable ack is in and no oracle objects (as a control, the same run with the count-failed-fsync
 * bug answers early and is caught as early-ack). */
static void test_quorum_world_replica_with_eio_fsync_never_counts(void **state)
{
    RunResult r;
    run_text(eio_never_counts_scenario, 0, &r);
    const HistOp *op = op_named(&r, "save");
    assert_int_equal(op->outcome, OUTCOME_OK);
    assert_true(op->complete > 200 * SIM_MS);
    assert_true(r.stats.fsync_errors >= 1);
    assert_int_equal(r.verdict.kinds, 0);
    run_result_clear(&r);

    run_text(eio_never_counts_scenario, (BugSet)1 << QUORUM_BUG_COUNT_FAILED_FSYNC, &r);
    op = op_named(&r, "save");
    assert_int_equal(op->outcome, OUTCOME_OK);
    assert_true(op->complete < 200 * SIM_MS);
    assert_true(r.verdict.kinds & (1u << V_EARLY_ACK));
    run_result_clear(&r);
}

static const char eio_failover_scenario[] =
    "[scenario]\nname = eio-failover\nsummary = test_quorum\nprotocol = quorum\nseed = 7\n"
    "[cluster]\nnodes = 3\nreplicas = 2\nwrite_quorum = 2\nread_quorum = 1\nsloppy = on\n"
    "retry.attempts = 1\n"
    "[op deposit]\nat = 0ms\nkind = add\nkey = acct:7\nvalue = 200\nidempotency = dep-1\n"
    "[op deposit-retry]\nat = 2s\nkind = add\nkey = acct:7\nvalue = 200\nidempotency = dep-1\n"
    "[fault r2-bad-disk]\non = replica.written\nkind = fsync-error\nnode = r2\ncount = 2\n"
    "[expect]\nviolations = none\nop.deposit = ok\nop.deposit-retry = ok\nduplicates = 0\n"
    "final.acct:7 = 200\n";

/* World: a deposit whose replica r2 fails its fsync on the first try and on the retry is failed
 * over to the standby, which stores it durably as a hint for r2; W = 2 is reached, the client
 * hears ok, and the repeated deposit is not applied twice. */
static void test_quorum_world_retry_after_eio_fails_over_and_reaches_w(void **state)
{
    RunResult r;
    run_text(eio_failover_scenario, 0, &r);
    for (guint i = 0; i < r.failures->len; i++)
        print_message("unmet: %s\n", (const char *)g_ptr_array_index(r.failures, i));
    assert_true(r.passed);
    EndpointId walk[QUORUM_MAX_NODES];
    key_walk(r.world, "acct:7", walk);
    EndpointId r2 = ep_named(&r.config, "r2"), co1 = ep_named(&r.config, "co1");
    assert_true(walk[0] == r2 || walk[1] == r2); /* the scenario's premise */
    EndpointId standby = walk[2];
    const HistOp *op = op_named(&r, "deposit");
    assert_int_equal(op->outcome, OUTCOME_OK);
    SimTime t[8];
    guint pos[8];
    assert_true(trace_find(r.world, SIM_TR_SEND, MSG_Q_WRITE, co1, 0, op->complete, t, pos, 8) > 2);
    guint to_standby = 0;
    const GArray *recs = world_trace_records(r.world);
    for (guint i = 0; i < recs->len; i++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, i);
        to_standby += x->kind == SIM_TR_SEND && x->sub == MSG_Q_WRITE && x->node == co1 &&
                      x->peer == standby && x->time < op->complete;
    }
    assert_true(to_standby >= 1);
    LogHolds s = durable_of(r.world, standby, op->idem);
    assert_int_equal(s.hints, 1);
    assert_int_equal(s.hint_for, r2);
    assert_int_equal(r.verdict.duplicates, 0);
    run_result_clear(&r);
}

static const char not_met_scenario[] =
    "[scenario]\nname = not-met\nsummary = test_quorum\nprotocol = quorum\nseed = 3\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"
    "[workload]\nclient.retries = 0\n"
    "[fault r1-down]\nat = 0ms\nkind = crash\nnode = r1\nmode = power\nrestart_after = 3s\n"
    "[fault r2-down]\nat = 0ms\nkind = crash\nnode = r2\nmode = power\nrestart_after = 3s\n"
    "[op save]\nat = 10ms\nkind = put\nkey = user:123\nvalue = 1\nidempotency = save-alice\n";

/* World: with two of three replicas down, W = 2 is not met; the client hears an indeterminate
 * quorum error, r3 holds the write durably, and the verdict reports it as an orphan, not as a
 * violation. */
static void test_quorum_world_quorum_not_met_is_indeterminate_and_orphan_reported(void **state)
{
    RunResult r;
    run_text(not_met_scenario, 0, &r);
    const HistOp *op = op_named(&r, "save");
    assert_int_equal(op->outcome, OUTCOME_INDETERMINATE);
    assert_int_equal(op->reason, FAIL_QUORUM);
    assert_true(op->complete - op->invoke >= r.config.request_timeout);
    LogHolds s = durable_of(r.world, ep_named(&r.config, "r3"), op->idem);
    assert_int_equal(s.data, 1);
    assert_int_equal(r.verdict.orphans, 1);
    assert_int_equal(r.verdict.indeterminate, 1);
    assert_int_equal(r.verdict.kinds, 0);
    run_result_clear(&r);
}

static const char dedup_scenario[] =
    "[scenario]\nname = dedup\nsummary = test_quorum\nprotocol = quorum\nseed = 64\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\n"
    "[fault s1]\nat = 0ms\nkind = slow-disk\nnode = r1\nlatency = 300ms\nfor = 1s\n"
    "[fault s2]\nat = 0ms\nkind = slow-disk\nnode = r2\nlatency = 300ms\nfor = 1s\n"
    "[fault s3]\nat = 0ms\nkind = slow-disk\nnode = r3\nlatency = 300ms\nfor = 1s\n"
    "[workload]\nclient.timeout = 150ms\nclient.retries = 2\n"
    "[op deposit]\nat = 10ms\nkind = add\nkey = acct:7\nvalue = 200\nidempotency = dep-1\n"
    "[expect]\nfinal.acct:7 = 200\n";

/* World: a $200 deposit that the client sends again with the same key (its disks are slow) is
 * stored once by each replica, the balance reads 200 and no duplicate is found (as a control,
 * the same run with the no-dedup bug is caught as a duplicate). */
static void test_quorum_world_retried_deposit_with_same_key_is_applied_once(void **state)
{
    RunResult r;
    run_text(dedup_scenario, 0, &r);
    for (guint i = 0; i < r.failures->len; i++)
        print_message("unmet: %s\n", (const char *)g_ptr_array_index(r.failures, i));
    assert_true(r.passed);
    const HistOp *op = op_named(&r, "deposit");
    assert_true(op->attempts >= 2);
    for (EndpointId n = 0; n < 3; n++)
        assert_int_equal(durable_of(r.world, n, op->idem).data, 1);
    assert_int_equal(r.verdict.duplicates, 0);
    assert_false(r.verdict.kinds & (1u << V_DUPLICATE));
    run_result_clear(&r);

    run_text(dedup_scenario, (BugSet)1 << QUORUM_BUG_NO_DEDUP, &r);
    assert_true(r.verdict.kinds & (1u << V_DUPLICATE));
    run_result_clear(&r);
}

typedef struct {
    WorldConfig cfg;
    World *w;
} Sim;

static void script_op(WorldConfig *c, const char *name, SimTime at, OpKind kind, const char *key,
                      Value value)
{
    ScriptedOp *op = scripted_op_new();
    op->name = g_strdup(name);
    op->at = at;
    op->kind = kind;
    op->key = g_strdup(key);
    op->value = value;
    g_ptr_array_add(c->scripted, op);
}

static void sim_open(Sim *s)
{
    GError *error = NULL;
    assert_true(world_config_validate(&s->cfg, &error));
    s->w = world_new(&s->cfg);
    world_set_invariants(s->w, TRUE);
    world_keep_trace(s->w, TRUE);
    world_start(s->w);
}

static void sim_close(Sim *s)
{
    world_free(s->w);
    world_config_clear(&s->cfg);
}

static const HistOp *sim_op(Sim *s, const char *name)
{
    const HistOp *op = history_find(world_history(s->w), name);
    assert_non_null(op);
    return op;
}

/* World: a replica cut off by a partition misses two writes that still succeed with W = 2; it
 * holds neither while cut off, and after the partition heals anti-entropy gives it the newest,
 * durably, like the other two. */
static void test_quorum_world_replicas_converge_after_partition_heals(void **state)
{
    Sim s = {0};
    make_quorum_config(&s.cfg, 3, 3, 2, 2);
    script_op(&s.cfg, "save", 10 * SIM_MS, OP_PUT, "user:123", 1);
    script_op(&s.cfg, "update", 100 * SIM_MS, OP_PUT, "user:123", 2);
    sim_open(&s);
    EndpointId cut = ep_named(&s.cfg, "r2");
    NetRule rule = {.kind = NET_PARTITION};
    endpoint_groups_set(&rule.groups, cut, 1);
    guint id = world_net_add(s.w, &rule, FAULT_PARTITION, ENDPOINT_NONE);
    net_rule_clear(&rule);
    world_run_until(s.w, 1500 * SIM_MS);
    const HistOp *save = sim_op(&s, "save"), *update = sim_op(&s, "update");
    assert_int_equal(save->outcome, OUTCOME_OK);
    assert_int_equal(update->outcome, OUTCOME_OK);
    IdemKey idem = update->idem, first = save->idem;
    for (EndpointId n = 0; n < 3; n++) {
        LogHolds d = durable_of(s.w, n, idem);
        assert_int_equal(d.data + d.copies > 0, n != cut);
    }
    assert_int_equal(durable_of(s.w, cut, first).data, 0);

    world_net_remove(s.w, id);
    world_run_until(s.w, 4 * SIM_SEC);
    for (EndpointId n = 0; n < 3; n++) {
        LogHolds d = durable_of(s.w, n, idem);
        assert_true(d.data + d.copies > 0);
    }
    sim_close(&s);
}

static const char scrub_scenario[] =
    "[scenario]\nname = scrub\nsummary = test_quorum\nprotocol = quorum\nseed = 3\n"
    "duration = 8s\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"
    "[workload]\nclients = 1\nops = 40\nkeys = 4\nmix = put:1\n"
    "[fault bad-sectors]\nat = 3s\nkind = sector-error\nnode = r1\ncount = 30\n"
    "[expect]\nviolations = none\n";

/* World: the scrub reads a slice of the log as one device read; a latent sector error in it comes
 * back as EIO for that block only, and the replica writes the record there again from memory. */
static void test_quorum_world_scrub_reads_slices_and_rewrites_bad_blocks(void **state)
{
    RunResult r;
    run_text(scrub_scenario, 0, &r);
    assert_true(r.passed);
    EndpointId r1 = ep_named(&r.config, "r1");
    const GArray *t = world_trace_records(r.world);
    guint slices = 0, eio = 0;
    for (guint i = 0; i < t->len; i++) {
        const SimTraceRecord *x = &g_array_index(t, SimTraceRecord, i);
        if (x->node != r1 || x->sub != DISKOP_READ)
            continue;
        if (x->kind == SIM_TR_DISK_OP && (x->b >> 32) > 0)
            slices++;
        if (x->kind == SIM_TR_DISK_DONE && x->b == EIO)
            eio++;
    }
    assert_true(slices > 0);
    assert_true(eio > 0);
    /* Copies written by the scrub now hold what the bad sectors held. */
    Disk *d = world_disk(r.world, r1);
    guint copies = 0;
    QBlock qb;
    for (uint32_t i = 0; i < log_length(d, TRUE); i++)
        if (log_block(r.world, r1, TRUE, i, &qb) && qb.type == QBLK_DATA && qb.rec.copy)
            copies++;
    assert_true(copies > 0);
    run_result_clear(&r);
}

static const char steady_scenario[] =
    "[scenario]\nname = steady\nsummary = test_quorum\nprotocol = quorum\nseed = 5\n"
    "[cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 2\nread_quorum = 2\n"
    "[workload]\nclients = 1\nops = 600\nkeys = 8\nmix = put:1\n"
    "[expect]\nviolations = none\n";

/* World: with no fault, anti-entropy rounds find nothing to repair: writes still on their way to
 * a replica are not taken for divergence, so digests are rarely answered with records. */
static void test_quorum_world_anti_entropy_is_quiet_without_faults(void **state)
{
    RunResult r;
    run_text(steady_scenario, 0, &r);
    assert_true(r.passed);
    guint syncs =
        trace_find(r.world, SIM_TR_SEND, MSG_Q_SYNC, ANY, 0, SIM_TIME_NEVER, NULL, NULL, 0);
    guint answers =
        trace_find(r.world, SIM_TR_SEND, MSG_Q_SYNC_RECORDS, ANY, 0, SIM_TIME_NEVER, NULL, NULL, 0);
    assert_true(syncs > 100);
    assert_true(answers * 20 < syncs);
    run_result_clear(&r);
}

/* World: with sloppy on and a preference-list replica down, a W = N write is stored by the next
 * node on the ring as a durable hint; when the replica restarts, the standby hands the write
 * back, the replica stores it durably and the standby marks the hint done. */
static void test_quorum_world_hinted_handoff_returns_write_to_intended_replica(void **state)
{
    Sim s = {0};
    make_quorum_config(&s.cfg, 4, 3, 3, 1);
    quorum_config_mut(&s.cfg)->sloppy = TRUE;
    s.cfg.request_timeout = 400 * SIM_MS;
    quorum_config_mut(&s.cfg)->retry_attempts = 2;
    script_op(&s.cfg, "save", 100 * SIM_MS, OP_PUT, "cart", 1);
    sim_open(&s);
    EndpointId walk[QUORUM_MAX_NODES];
    key_walk(s.w, "cart", walk);
    EndpointId down = walk[0], standby = walk[3];
    world_crash(s.w, down, FALSE);
    world_run_until(s.w, 1 * SIM_SEC);
    const HistOp *op = sim_op(&s, "save");
    assert_int_equal(op->outcome, OUTCOME_OK);
    IdemKey idem = op->idem;
    LogHolds held = durable_of(s.w, standby, idem);
    assert_int_equal(held.hints, 1);
    assert_int_equal(held.hint_for, down);
    assert_int_equal(durable_of(s.w, down, idem).data, 0);

    world_restart(s.w, down);
    world_run_until(s.w, 3 * SIM_SEC);
    assert_int_equal(durable_of(s.w, down, idem).data, 1);
    /* The done marker rides on the standby's next fsync; losing it only repeats an idempotent
     * handoff, so the log as the standby sees it is what counts. */
    assert_int_equal(log_holds(s.w, standby, idem, FALSE).done, 1);
    guint handoffs = 0;
    const GArray *recs = world_trace_records(s.w);
    for (guint i = 0; i < recs->len; i++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, i);
        handoffs += x->kind == SIM_TR_NOTE && x->sub == NOTE_HANDOFF && x->node == standby &&
                    x->a == idem && x->b == down;
    }
    assert_int_equal(handoffs, 1);
    sim_close(&s);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quorum_coord_sends_write_to_all_n_replicas_at_once),
        cmocka_unit_test(test_quorum_coord_client_answered_at_wth_durable_ack),
        cmocka_unit_test(test_quorum_coord_later_acks_are_handled_without_leak),
        cmocka_unit_test(test_quorum_coord_failed_fsync_and_failed_write_never_count),
        cmocka_unit_test(test_quorum_coord_rpc_timeout_retries_with_capped_backoff_within_budget),
        cmocka_unit_test(test_quorum_coord_sloppy_fails_over_to_standby_with_hint),
        cmocka_unit_test(test_quorum_coord_strict_quorum_never_fails_over),
        cmocka_unit_test(
            test_quorum_coord_quorum_not_met_is_indeterminate_when_a_replica_may_hold_it),
        cmocka_unit_test(test_quorum_coord_definite_failure_only_when_every_write_failed),
        cmocka_unit_test(test_quorum_coord_retries_are_bounded_per_replica_and_per_request),
        cmocka_unit_test(test_quorum_coord_read_returns_newest_and_repairs_stale_before_answering),
        cmocka_unit_test(test_quorum_replica_acks_only_after_fsync_succeeded),
        cmocka_unit_test(test_quorum_replica_after_eio_fsync_reports_failure_and_rewrites),
        cmocka_unit_test(test_quorum_replica_boot_fsync_eio_rewrites_from_its_copy),
        cmocka_unit_test(test_quorum_replica_new_segment_is_named_durably_before_its_ack),
        cmocka_unit_test(test_quorum_replica_applies_retried_write_with_same_key_once),
        cmocka_unit_test(test_quorum_replica_duplicate_in_flight_is_not_acked_after_failed_fsync),
        cmocka_unit_test(test_quorum_replica_hands_hint_back_when_intended_replica_returns),
        cmocka_unit_test(test_quorum_world_client_answered_at_wth_fastest_durable_ack),
        cmocka_unit_test(test_quorum_world_replica_with_eio_fsync_never_counts),
        cmocka_unit_test(test_quorum_world_retry_after_eio_fails_over_and_reaches_w),
        cmocka_unit_test(test_quorum_world_quorum_not_met_is_indeterminate_and_orphan_reported),
        cmocka_unit_test(test_quorum_world_retried_deposit_with_same_key_is_applied_once),
        cmocka_unit_test(test_quorum_world_replicas_converge_after_partition_heals),
        cmocka_unit_test(test_quorum_world_hinted_handoff_returns_write_to_intended_replica),
        cmocka_unit_test(test_quorum_world_anti_entropy_is_quiet_without_faults),
        cmocka_unit_test(test_quorum_world_scrub_reads_slices_and_rewrites_bad_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
