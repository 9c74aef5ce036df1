/* model/quorum/quorum_node.c — a quorum storage node (r1..) as the runtime sees it: the replica
 * (quorum_replica.c), and under coordinator = node a coordinator beside it (quorum_coord.c), as in
 * Dynamo, where any node takes client requests and the first reachable node of a key's
 * preference list coordinates its reads and writes (§4.5).
 *
 * Clients send to any node. A node that gets a request walks the key's preference list and takes
 * the first node it does not suspect down: itself, and its coordinator handles the request (and
 * issues the dot under version vectors, being the first replica), or another, to which it
 * forwards the request; that node coordinates it and answers the client itself, after telling
 * the forwarder it took it (forward-ack). A forward not taken within the coordinator's RPC
 * timeout makes the forwarder suspect that node (until it hears from it again) and route the
 * request anew, to the next node or to itself. A forwarded request is always coordinated where
 * it lands, so a request is forwarded at most once per node it passes. With dedicated
 * coordinators this is the replica alone.
 *
 * Timers: the replica's slots stay as they are (0..2); forwards use FWD_BASE + i; the
 * coordinator's slot s is COORD_BASE + s. Messages: client requests, forwards, read answers and
 * write acks of client writes, read repairs and issues go to the coordinator; write acks of
 * handed-off hints and everything else to the replica.
 *
 * Invariants (check): both halves' own; a forward in flight has a request copy and a target. */
#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/quorum/ring.h"

#include <string.h>

#define FWD_BASE   3
#define FWD_MAX    29
#define COORD_BASE (FWD_BASE + FWD_MAX)

typedef struct {
    Msg *req; /* the client's request (MSG_CLIENT_REQ, from the client), NULL: slot free */
    EndpointId target;
    uint32_t seq; /* the forward's timer token */
} Forward;

typedef struct {
    ProtoInit init;
    void *replica;
    void *coord; /* coordinator = node; NULL with dedicated coordinators */
    Ring *ring;
    SimTime timeout;
    uint8_t suspect[QUORUM_MAX_NODES]; /* a forward was not taken; nothing heard since */
    Forward fwd[FWD_MAX];
    uint32_t next_seq;
    SimTime now; /* the step's */
} Node;

/* Runs the coordinator on `ev` and moves the timers it sets into its own slots. */
static void coord_run(Node *n, const ProtoEvent *ev, ActionList *out)
{
    guint from = out->len;
    quorum_coordinator_ops.step(n->coord, ev, out);
    for (guint i = from; i < out->len; i++)
        if (out->items[i].kind == ACT_TIMER || out->items[i].kind == ACT_CANCEL)
            out->items[i].timer += COORD_BASE;
}

static void coord_take(Node *n, const Msg *req, ActionList *out)
{
    ProtoEvent ev = {.kind = PEV_MSG, .now = n->now, .msg = req};
    coord_run(n, &ev, out);
}

/* The node that should coordinate a request for `key`: the first of its preference list not
 * suspected down (this node when every one is). */
static EndpointId route(Node *n, KeyId key)
{
    EndpointId walk[QUORUM_MAX_REPLICAS];
    guint replicas = quorum_config(n->init.config)->replicas;
    ring_walk_first(n->ring, n->init.key_hashes[key], walk, replicas);
    for (guint i = 0; i < replicas; i++)
        if (walk[i] == n->init.self || !n->suspect[walk[i]])
            return walk[i];
    return n->init.self;
}

/* Sends request `req` (owned by the slot from now on) to `target`, or coordinates it here. */
static void forward_or_take(Node *n, Msg *req, ActionList *out)
{
    EndpointId target = req->u.creq.key < n->init.keys ? route(n, req->u.creq.key) : n->init.self;
    guint slot = FWD_MAX;
    for (guint i = 0; i < FWD_MAX && slot == FWD_MAX; i++)
        if (!n->fwd[i].req)
            slot = i;
    if (target == n->init.self || slot == FWD_MAX) {
        if (target != n->init.self)
            QMARK(n->init, NODE_FORWARD_FULL);
        else
            QMARK(n->init, NODE_COORDINATES);
        coord_take(n, req, out);
        msg_free(req);
        return;
    }
    QMARK(n->init, NODE_FORWARD);
    Msg *f = msg_new(MSG_Q_FORWARD, n->init.self, target);
    f->u.creq = req->u.creq;
    guint bytes = 0;
    const uint8_t *ctx = msg_client_context(req, &bytes);
    uint8_t *extra = g_malloc(bytes + 2);
    if (bytes > 0)
        memcpy(extra, ctx, bytes);
    uint16_t client = (uint16_t)req->from;
    memcpy(extra + bytes, &client, 2);
    msg_take_extra(f, extra, bytes + 2, 1);
    act_send(out, f);
    Forward *w = &n->fwd[slot];
    *w = (Forward){.req = req, .target = target, .seq = ++n->next_seq};
    act_timer(out, FWD_BASE + slot, n->timeout, w->seq);
}

/* A request forwarded here: this node coordinates it (and says so to the forwarder). */
static void handle_forward(Node *n, const Msg *m, ActionList *out)
{
    guint bytes = m->u.creq.context_bytes;
    if (m->extra_size != 1 || m->extra_count != bytes + 2u)
        return;
    uint16_t client;
    memcpy(&client, (const uint8_t *)m->extra + bytes, 2);
    Msg *ack = msg_new(MSG_Q_FORWARD_ACK, n->init.self, m->from);
    quorum_body(ack)->qfa = (QForwardAck){m->u.creq.op, m->u.creq.attempt, client};
    act_send(out, ack);
    QMARK(n->init, NODE_FORWARDED_HERE);
    Msg *req = msg_new(MSG_CLIENT_REQ, client, n->init.self);
    req->u.creq = m->u.creq;
    req->u.creq.context_bytes = 0;
    msg_client_req_attach(req, m->extra, bytes);
    coord_take(n, req, out);
    msg_free(req);
}

static void handle_forward_ack(Node *n, const Msg *m)
{
    const QForwardAck *a = &quorum_body(m)->qfa;
    for (guint i = 0; i < FWD_MAX; i++) {
        Forward *w = &n->fwd[i];
        if (w->req && w->target == m->from && w->req->u.creq.op == a->op &&
            w->req->u.creq.attempt == a->attempt && w->req->from == a->client) {
            msg_free(w->req);
            w->req = NULL; /* its timer finds the slot free */
            return;
        }
    }
}

/* A forward not taken in time: suspect its target and route the request anew. */
static void forward_timeout(Node *n, guint slot, uint64_t token, ActionList *out)
{
    Forward *w = &n->fwd[slot];
    if (!w->req || w->seq != (uint32_t)token)
        return;
    QMARK(n->init, NODE_FORWARD_TIMEOUT);
    n->suspect[w->target] = 1;
    Msg *req = w->req;
    w->req = NULL;
    forward_or_take(n, req, out);
}

static void node_step(void *proto, const ProtoEvent *ev, ActionList *out)
{
    Node *n = proto;
    n->now = ev->now;
    if (!n->coord) {
        quorum_replica_core_ops.step(n->replica, ev, out);
        return;
    }
    switch (ev->kind) {
    case PEV_BOOT:
    case PEV_STOP:
        quorum_replica_core_ops.step(n->replica, ev, out);
        coord_run(n, ev, out);
        return;
    case PEV_DISK:
        quorum_replica_core_ops.step(n->replica, ev, out);
        return;
    case PEV_TIMER:
        if (ev->timer >= COORD_BASE) {
            ProtoEvent e = *ev;
            e.timer -= COORD_BASE;
            coord_run(n, &e, out);
        } else if (ev->timer >= FWD_BASE) {
            forward_timeout(n, ev->timer - FWD_BASE, ev->token, out);
        } else {
            quorum_replica_core_ops.step(n->replica, ev, out);
        }
        return;
    case PEV_MSG:
        break;
    }
    const Msg *m = ev->msg;
    if (m->from < n->init.nodes && n->suspect[m->from]) {
        QMARK(n->init, NODE_SUSPECT_CLEARED);
        n->suspect[m->from] = 0; /* heard from: alive */
    }
    switch (m->type) {
    case MSG_CLIENT_REQ:
        forward_or_take(n, msg_copy(m), out);
        return;
    case MSG_Q_FORWARD:
        handle_forward(n, m, out);
        return;
    case MSG_Q_FORWARD_ACK:
        handle_forward_ack(n, m);
        return;
    case MSG_Q_READ_RESP:
        coord_run(n, ev, out);
        return;
    case MSG_Q_WRITE_ACK:
        if (quorum_body(m)->qack.kind != QW_HANDOFF) {
            coord_run(n, ev, out);
            return;
        }
        break;
    default:
        break;
    }
    quorum_replica_core_ops.step(n->replica, ev, out);
}

static void *node_create(const ProtoInit *init)
{
    Node *n = g_new0(Node, 1);
    n->init = *init;
    if (!n->init.marks)
        n->init.marks = mark_sink();
    n->replica = quorum_replica_core_ops.create(init);
    if (quorum_config(init->config)->coordinator == QCOORD_NODE) {
        n->coord = quorum_coordinator_ops.create(init);
        n->ring = ring_new(init->nodes, QUORUM_VNODES);
        n->timeout = MAX(
            init->config->request_timeout / (quorum_config(init->config)->retry_attempts + 1), 1);
    }
    return n;
}

static void node_destroy(void *proto)
{
    Node *n = proto;
    quorum_replica_core_ops.destroy(n->replica);
    if (n->coord) {
        quorum_coordinator_ops.destroy(n->coord);
        ring_free(n->ring);
    }
    for (guint i = 0; i < FWD_MAX; i++)
        msg_free(n->fwd[i].req);
    g_free(n);
}

static NodeRole node_role(const void *proto)
{
    return quorum_replica_core_ops.role(((const Node *)proto)->replica);
}

static void node_check(const void *proto, gboolean thorough)
{
    const Node *n = proto;
    quorum_replica_core_ops.check(n->replica, thorough);
    if (!n->coord)
        return;
    quorum_coordinator_ops.check(n->coord, thorough);
    for (guint i = 0; i < FWD_MAX; i++)
        g_assert(!n->fwd[i].req || n->fwd[i].target < n->init.nodes);
}

const ProtoOps quorum_replica_ops = {
    .name = "quorum-replica",
    .nfiles = 0, /* its log is in segment files it names itself (quorum_store.h) */
    .create = node_create,
    .destroy = node_destroy,
    .step = node_step,
    .role = node_role,
    .check = node_check,
};
