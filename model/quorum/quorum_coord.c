/* model/quorum/quorum_coord.c — a quorum coordinator (co1..): the write and read path of
 * Dynamo-style N/W/R replication, as sans-IO code.
 *
 * Writes go to all N replicas of the key at once; the client is answered as soon as W replicas
 * have reported the write durable (written and fsynced), so its latency is the W-th fastest
 * durable ack; later acks are still matched and recorded. A failed or timed-out replica RPC is
 * retried with capped exponential backoff and full jitter, within a per-replica and a per-request
 * budget (no retry storms); a replica that stays unavailable is replaced by the next node on the
 * ring when `sloppy` is on, which keeps a hint and hands the write back later. With `sloppy`, a
 * replica whose RPC timed out is suspected until it is heard from again: the timeout, and any
 * later write that includes a suspect, recruits a standby for it at once while the replica is
 * still tried, so a dead node costs one RPC timeout, not every retry. If W durable acks
 * do not arrive within request_timeout the client hears an error, indeterminate unless the
 * coordinator knows no replica stored anything (every reply said the write itself failed).
 *
 * Reads ask the N replicas, merge the first R answers, and before answering make the merged state
 * durable on W replicas, repairing stale ones (read repair, as ABD's write-back); with `sloppy`,
 * a replica that does not answer is replaced by a standby for the write-back, as for a write.
 *
 * Version vectors (resolution = vclock): a write first goes to one replica of the key, its
 * issuer, the first of the preference list not suspected down (Riak's coordinating vnode): it
 * gives the write its dot, stores it durably and answers with the dotted record, which then goes
 * to the other replicas as above (the issuer's ack counts toward W). If the issuer fails, the
 * next replica of the list issues; a standby never does, so that a key's clocks name at most its
 * N replicas. Reads merge the answers by clock: every record no other covers is a sibling, and
 * the answer carries them all with their causal context, which the client hands back with its
 * next write of the key (that write then covers exactly what the context covers).
 *
 * RPC timeout: request_timeout / (retry.attempts + 1), so that every try fits in the request.
 *
 * Invariants (check): a request slot is in use iff it has a client; acks never exceed targets.
 */
#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/quorum/ring.h"

#include <string.h>

#define MAX_REQUESTS   1024 /* in flight per coordinator; beyond it, Busy */
#define TIMERS_PER_REQ 64   /* timer slot = request slot * 64 + (0: request, 1 + t: target t) */
#define MAX_TARGETS    (TIMERS_PER_REQ - 1) /* the preference list and the standbys recruited */

typedef enum {
    T_SENT,    /* an RPC is out */
    T_WAITING, /* version vectors: waiting for the issuer's dot before it is sent */
    T_BACKOFF, /* waiting to retry */
    T_ACKED,   /* durable (writes) or answered (reads) */
    T_FAILED,  /* gave up */
} TargetState;

typedef struct {
    EndpointId node;
    EndpointId hint_for; /* ENDPOINT_NONE for a preference-list replica */
    uint8_t state;
    uint8_t tries;
    uint8_t holds;    /* reads: this replica's state contains the merged state */
    uint8_t covered;  /* a standby was recruited for it (sloppy writes) */
    uint8_t no_issue; /* version vectors: it failed to issue this write's dot */
    GArray *recs;     /* reads: what it returned */
} Target;

typedef struct {
    gboolean used;
    uint16_t gen;
    EndpointId client;
    uint32_t op;
    uint16_t attempt;
    uint8_t kind; /* OpKind */
    uint8_t replied;
    uint8_t maybe_stored; /* some replica may hold the write */
    uint8_t merged_ready; /* reads: merged state computed */
    uint8_t issuing;      /* version vectors: the write waits for its dot from t[issuer] */
    uint8_t issuer;
    QRecord rec;
    QClock known; /* version vectors, reads: what the answering replicas' markers cover */
    KeyId key;
    guint ntargets;
    Target *t; /* [tcap]: kept when the slot is released, for its next request */
    guint tcap;
    const EndpointId *walk; /* the key's walk of the ring: the placement's, or `walks` */
    guint walk_len;
    guint next_standby;
    guint acks;
    guint answered;
    guint retries;
    GArray *merged; /* reads */
} Request;

typedef struct {
    ProtoInit init;
    const QuorumPlacement *place; /* the world's (ProtoInit.shared), or `own` */
    QuorumPlacement *own;
    EndpointId **walks; /* per key: its whole walk of the ring, once a request needed more */
    Request *req;
    uint16_t *free_slots; /* a stack of unused request slots */
    guint nfree;
    guint in_flight;
    SimTime rpc_timeout;
    uint8_t *suspect; /* per node: an RPC timed out and nothing was heard since */
} Coord;

static inline uint32_t req_id(const Coord *c, const Request *r)
{
    return (uint32_t)(r - c->req) | (uint32_t)r->gen << 16;
}

/* The id a request goes by on the wire: its slot and generation, under this incarnation. */
static inline uint64_t wire_id(const Coord *c, const Request *r)
{
    return (uint64_t)c->init.incarnation << 32 | req_id(c, r);
}

static Request *req_of(Coord *c, uint64_t wire)
{
    if (wire >> 32 != c->init.incarnation) {
        QMARK(c->init, COORD_STALE_INCARNATION);
        return NULL; /* an answer to a request of an earlier life of this coordinator */
    }
    uint32_t id = (uint32_t)wire;
    uint32_t slot = id & 0xffff;
    if (slot >= MAX_REQUESTS)
        return NULL;
    Request *r = &c->req[slot];
    if (r->used && r->gen == (uint16_t)(id >> 16))
        return r;
    QMARK(c->init, COORD_FINISHED_REQUEST);
    return NULL;
}

static uint32_t timer_of(const Coord *c, const Request *r, int target)
{
    return (uint32_t)(r - c->req) * TIMERS_PER_REQ + (uint32_t)(target + 1);
}

/* The records a read returns as the client's siblings: under last-writer-wins those its value
 * folds (its base and the adds on top); under version vectors every concurrent one, with their
 * causal context. */
static void attach_siblings(Coord *c, const Request *r, const GArray *merged, Msg *m)
{
    guint all = MIN(merged->len, (guint)UINT16_MAX), n = 0;
    g_autofree ClientSibling *sibs = g_new0(ClientSibling, MAX(all, 1));
    for (guint i = 0; i < all; i++) {
        const QRecord *rec = &g_array_index(merged, QRecord, i);
        if (rec->op != OP_NOOP) /* the issuer's marker: a context, not a value */
            sibs[n++] = (ClientSibling){.idem = rec->idem, .value = rec->value, .op = rec->op};
    }
    if (!quorum_vclock(c->init.config)) {
        msg_client_resp_attach(m, sibs, n, NULL, 0, NULL, 0);
        return;
    }
    if (n > 1)
        QMARK(c->init, COORD_VV_SIBLINGS);
    /* The context, and the base context: the puts and deletes only, with no replica's marker
     * (a marker covers every dot of its actor, deposits included). */
    QClock ctx = {0}, base = {0};
    g_autofree const QClock **clocks = g_new(const QClock *, all + 1);
    guint nbase = 0;
    for (guint i = 0; i < all; i++) {
        const QRecord *rec = &g_array_index(merged, QRecord, i);
        if (rec->op == OP_PUT || rec->op == OP_DELETE)
            clocks[nbase++] = &rec->clock;
    }
    qclock_join_all(&base, clocks, nbase);
    for (guint i = 0; i < all; i++)
        clocks[i] = &g_array_index(merged, QRecord, i).clock;
    clocks[all] = &r->known;
    qclock_join_all(&ctx, clocks, all + 1);
    uint8_t bytes[QCONTEXT_BYTES], base_bytes[QCONTEXT_BYTES];
    msg_client_resp_attach(m, sibs, n, bytes, qclock_context_bytes(&ctx, bytes), base_bytes,
                           qclock_context_bytes(&base, base_bytes));
}

static void reply(Coord *c, Request *r, gboolean ok, FailReason reason, gboolean definite,
                  ActionList *out)
{
    Msg *m = msg_new(MSG_CLIENT_RESP, c->init.self, r->client);
    m->u.cresp = (ClientResp){
        .op = r->op,
        .attempt = r->attempt,
        .ok = (uint8_t)ok,
        .definite = (uint8_t)definite,
        .reason = (uint8_t)reason,
        .hint = ENDPOINT_NONE,
    };
    if (ok && r->kind == OP_GET) {
        Value v = 0;
        m->u.cresp.present =
            (uint8_t)(quorum_vclock(c->init.config)
                          ? qvset_fold((const QRecord *)(const void *)r->merged->data,
                                       r->merged->len, &v)
                          : qset_fold(r->merged, &v));
        m->u.cresp.value = v;
        m->u.cresp.observed = (uint16_t)MIN(r->merged->len, 65535u);
        attach_siblings(c, r, r->merged, m);
    } else if (ok && r->merged && r->kind != OP_ADD) {
        /* Version vectors: what the issuer held once the write was durable there, and a context
         * covering it: the client's next write of the key covers what it was shown. */
        attach_siblings(c, r, r->merged, m);
    }
    act_send(out, m);
    r->replied = 1;
}

static void release(Coord *c, Request *r, ActionList *out)
{
    act_cancel(out, timer_of(c, r, -1));
    for (guint i = 0; i < r->ntargets; i++) {
        act_cancel(out, timer_of(c, r, (int)i));
        if (r->t[i].recs)
            g_array_free(r->t[i].recs, TRUE);
    }
    if (r->merged)
        g_array_free(r->merged, TRUE);
    uint16_t gen = r->gen;
    Target *t = r->t;
    guint tcap = r->tcap;
    memset(r, 0, sizeof *r);
    r->gen = (uint16_t)(gen + 1);
    r->t = t;
    r->tcap = tcap;
    c->in_flight--;
    c->free_slots[c->nfree++] = (uint16_t)(r - c->req);
}

/* ---- sending ---- */

static void send_write(Coord *c, Request *r, guint ti, ActionList *out)
{
    Target *t = &r->t[ti];
    Msg *m = msg_new(MSG_Q_WRITE, c->init.self, t->node);
    quorum_body(m)->qw = (QWrite){
        .req = wire_id(c, r),
        .attempt = t->tries,
        .kind = r->issuing ? QW_ISSUE : QW_CLIENT,
        .hinted = t->hint_for != ENDPOINT_NONE,
        .hint_for = t->hint_for,
    };
    QRecord *rec = g_new(QRecord, 1);
    *rec = r->rec;
    msg_take_extra(m, rec, 1, sizeof(QRecord));
    act_send(out, m);
}

static void send_read(Coord *c, Request *r, guint ti, ActionList *out)
{
    Target *t = &r->t[ti];
    Msg *m = msg_new(MSG_Q_READ, c->init.self, t->node);
    quorum_body(m)->qr = (QRead){.req = wire_id(c, r), .attempt = t->tries, .key = r->key};
    act_send(out, m);
}

static void send_repair(Coord *c, Request *r, guint ti, ActionList *out)
{
    Target *t = &r->t[ti];
    Msg *m = msg_new(MSG_Q_WRITE, c->init.self, t->node);
    quorum_body(m)->qw = (QWrite){.req = wire_id(c, r),
                                  .attempt = t->tries,
                                  .kind = QW_REPAIR,
                                  .hinted = t->hint_for != ENDPOINT_NONE,
                                  .hint_for = t->hint_for};
    guint n = r->merged->len;
    msg_take_extra(m, g_memdup2(r->merged->data, n * sizeof(QRecord)), n, sizeof(QRecord));
    act_send(out, m);
}

static void try_target(Coord *c, Request *r, guint ti, ActionList *out)
{
    Target *t = &r->t[ti];
    t->state = T_SENT;
    if (r->kind != OP_GET)
        send_write(c, r, ti, out);
    else if (r->merged_ready)
        send_repair(c, r, ti, out);
    else
        send_read(c, r, ti, out);
    act_timer(out, timer_of(c, r, (int)ti), c->rpc_timeout, ((uint64_t)req_id(c, r) << 8) | ti);
    t->tries++;
}

/* ---- outcomes ---- */

static gboolean any_open(const Request *r)
{
    for (guint i = 0; i < r->ntargets; i++)
        if (r->t[i].state == T_SENT || r->t[i].state == T_BACKOFF)
            return TRUE;
    return FALSE;
}

static void recruit_standby(Coord *c, Request *r, guint ti, ActionList *out);

/* Version vectors: the issuer failed for good; the next replica of the preference list still
 * waiting issues (one not suspected down first), or, when none is left, the write fails. A
 * replica that could not issue (repairing, or not answering) still gets the write once another
 * issued it, as any replica of the key does. */
static void next_issuer(Coord *c, Request *r, ActionList *out)
{
    guint replicas = quorum_config(c->init.config)->replicas;
    gint pick = -1;
    for (guint pass = 0; pass < 2 && pick < 0; pass++)
        for (guint i = 0; i < replicas && pick < 0; i++)
            if (r->t[i].state == T_WAITING && !r->t[i].no_issue &&
                (pass == 1 || !c->suspect[r->t[i].node]))
                pick = (gint)i;
    if (pick < 0) {
        QMARK(c->init, COORD_VV_NO_ISSUER);
        r->issuing = 0;
        for (guint i = 0; i < r->ntargets; i++)
            if (r->t[i].state == T_WAITING)
                r->t[i].state = T_FAILED;
        return;
    }
    QMARK(c->init, COORD_VV_NEXT_ISSUER);
    r->issuer = (uint8_t)pick;
    try_target(c, r, (guint)pick, out);
}

/* Version vectors: the issuer's dotted record is durable there: it goes to every other replica
 * (standbys for those suspected down, when sloppy). */
static void fan_out_issued(Coord *c, Request *r, const Msg *ack, ActionList *out)
{
    g_assert(ack->extra_count >= 1 && ack->extra_size == sizeof(QRecord));
    r->rec = *quorum_msg_records(ack);
    r->merged = g_array_sized_new(FALSE, FALSE, sizeof(QRecord), ack->extra_count);
    g_array_append_vals(r->merged, ack->extra, ack->extra_count);
    r->rec.hinted = 0;
    r->rec.hint_for = ENDPOINT_NONE;
    r->rec.copy = 0;
    r->issuing = 0;
    QMARK(c->init, COORD_VV_ISSUED);
    guint preferred = r->ntargets;
    for (guint i = 0; i < preferred; i++)
        if (r->t[i].state == T_WAITING)
            try_target(c, r, i, out);
    for (guint i = 0; i < preferred; i++)
        if (r->t[i].state == T_SENT && c->suspect[r->t[i].node] &&
            quorum_config(c->init.config)->sloppy)
            recruit_standby(c, r, i, out);
}

/* Nothing more can happen for this request: answer if not yet, and free it. */
static void maybe_finish(Coord *c, Request *r, ActionList *out)
{
    if (any_open(r))
        return;
    if (!r->replied) {
        if (r->kind == OP_GET) {
            QMARK(c->init, COORD_READ_FAILED);
            reply(c, r, FALSE, FAIL_READ_QUORUM, FALSE, out);
        } else if (r->maybe_stored) {
            QMARK(c->init, COORD_FAIL_INDETERMINATE);
            reply(c, r, FALSE, FAIL_QUORUM, FALSE, out);
        } else {
            QMARK(c->init, COORD_FAIL_DEFINITE);
            reply(c, r, FALSE, FAIL_WRITE, TRUE, out); /* every replica said: not stored */
        }
    }
    release(c, r, out);
}

static void write_quorum_met(Coord *c, Request *r, ActionList *out)
{
    QMARK(c->init, COORD_QUORUM_MET);
    act_failpoint(out, QUORUM_FP_COORD_QUORUM);
    reply(c, r, TRUE, FAIL_NONE, FALSE, out);
    act_failpoint(out, QUORUM_FP_COORD_REPLIED);
    /* Stop retrying; the acks still out are matched when they arrive. */
    for (guint i = 0; i < r->ntargets; i++) {
        if (r->t[i].state == T_BACKOFF) {
            QMARK(c->init, COORD_QUORUM_CANCELS_RETRY);
            r->t[i].state = T_FAILED;
            act_cancel(out, timer_of(c, r, (int)i));
        }
    }
}

/* A new target of the request (its array grows as standbys are recruited); returns its index. */
static guint add_target(Request *r)
{
    if (r->ntargets == r->tcap) {
        r->tcap = r->tcap ? r->tcap * 2 : 8;
        r->t = g_renew(Target, r->t, r->tcap);
    }
    return r->ntargets++;
}

/* Node i of the request's key's walk: the placement holds the first few, a request that fails
 * over further takes the whole walk, computed once per key. */
static EndpointId walk_at(Coord *c, Request *r, guint i)
{
    if (i >= r->walk_len) {
        if (!c->walks[r->key]) {
            c->walks[r->key] = g_new(EndpointId, c->init.nodes);
            ring_walk(c->place->ring, c->init.key_hashes[r->key], c->walks[r->key]);
        }
        r->walk = c->walks[r->key];
        r->walk_len = c->init.nodes;
    }
    return r->walk[i];
}

/* Recruits the next standby on the ring for target ti, once, when sloppy quorums are on: for a
 * write, or for a read's write-back once its answers are merged (the standby keeps what it is
 * sent as a hint, exactly as for a write). */
static void recruit_standby(Coord *c, Request *r, guint ti, ActionList *out)
{
    const WorldConfig *cfg = c->init.config;
    if (!quorum_config(cfg)->sloppy || r->replied || r->t[ti].covered || r->issuing)
        return;
    if (r->kind == OP_GET && !r->merged_ready)
        return;
    r->t[ti].covered = 1;
    EndpointId hint_for = r->t[ti].hint_for != ENDPOINT_NONE ? r->t[ti].hint_for : r->t[ti].node;
    if (r->t[ti].hint_for != ENDPOINT_NONE)
        QMARK(c->init, COORD_STANDBY_FOR_STANDBY);
    while (r->next_standby < c->init.nodes && r->ntargets < MAX_TARGETS) {
        EndpointId standby = walk_at(c, r, r->next_standby++);
        gboolean used = FALSE;
        for (guint i = 0; i < r->ntargets; i++)
            used |= r->t[i].node == standby;
        if (used)
            continue;
        guint nt = add_target(r);
        r->t[nt] = (Target){.node = standby, .hint_for = hint_for};
        if (r->kind == OP_GET)
            QMARK(c->init, COORD_READ_REPAIR_STANDBY);
        else
            QMARK(c->init, COORD_STANDBY);
        try_target(c, r, nt, out);
        return;
    }
    QMARK(c->init, COORD_STANDBY_NONE_LEFT);
}

/* Gives up on target ti, failing over to a standby when sloppy quorums are on. */
static void give_up(Coord *c, Request *r, guint ti, ActionList *out)
{
    r->t[ti].state = T_FAILED;
    if (r->issuing && ti == r->issuer) {
        r->t[ti] = (Target){
            .node = r->t[ti].node, .hint_for = ENDPOINT_NONE, .no_issue = 1, .state = T_WAITING};
        next_issuer(c, r, out);
    } else {
        recruit_standby(c, r, ti, out);
    }
}

/* A try of target ti failed (or timed out): retry with backoff, or give up. */
static void target_failed(Coord *c, Request *r, guint ti, ActionList *out)
{
    const WorldConfig *cfg = c->init.config;
    Target *t = &r->t[ti];
    act_cancel(out, timer_of(c, r, (int)ti));
    guint budget = quorum_config(cfg)->replicas * quorum_config(cfg)->retry_attempts;
    if (r->replied && r->kind != OP_GET) {
        QMARK(c->init, COORD_DONE_AFTER_REPLY);
        t->state = T_FAILED;
    } else if (t->tries <= quorum_config(cfg)->retry_attempts && r->retries < budget) {
        QMARK(c->init, COORD_RETRY);
        /* Capped exponential backoff with full jitter: uniform(0, min(cap, base * 2^n)). */
        SimTime cap = quorum_config(cfg)->retry_backoff.lo;
        for (guint i = 1; i < t->tries && cap < quorum_config(cfg)->retry_backoff.hi; i++)
            cap *= 2;
        cap = MIN(cap, quorum_config(cfg)->retry_backoff.hi);
        t->state = T_BACKOFF;
        r->retries++;
        act_timer(out, timer_of(c, r, (int)ti), sim_rng_duration(c->init.rng, sim_range(0, cap)),
                  ((uint64_t)req_id(c, r) << 8) | ti | 0x80);
    } else {
        QMARK(c->init, COORD_GIVE_UP);
        give_up(c, r, ti, out);
    }
    maybe_finish(c, r, out);
}

/* The replica a target stands for: itself, or the one a standby holds a hint for. A replica and
 * its standby both acking count once: the standby drops its copy when it hands the hint back. */
static EndpointId slot_of(const Target *t)
{
    return t->hint_for != ENDPOINT_NONE ? t->hint_for : t->node;
}

static gboolean slot_counted(const Request *r, guint ti)
{
    for (guint i = 0; i < r->ntargets; i++)
        if (i != ti && r->t[i].state == T_ACKED && slot_of(&r->t[i]) == slot_of(&r->t[ti]))
            return TRUE;
    return FALSE;
}

static int target_index(const Request *r, EndpointId node, EndpointId hint_for)
{
    for (guint i = 0; i < r->ntargets; i++)
        if (r->t[i].node == node && (hint_for == ENDPOINT_NONE || r->t[i].hint_for == hint_for))
            return (int)i;
    return -1;
}

static void handle_write_ack(Coord *c, const Msg *m, ActionList *out)
{
    Request *r = req_of(c, quorum_body(m)->qack.req);
    if (r == NULL)
        return; /* a late ack of a finished request: nothing left to decide */
    int ti = target_index(r, m->from, quorum_body(m)->qack.hint_for);
    if (ti < 0) {
        QMARK(c->init, COORD_UNKNOWN_TARGET);
        return;
    }
    Target *t = &r->t[ti];
    if (r->kind == OP_GET) {
        /* A read repair's ack. */
        if (quorum_body(m)->qack.status == QACK_DURABLE && t->state == T_SENT) {
            QMARK(c->init, COORD_READ_REPAIR_ACK);
            gboolean counted = slot_counted(r, (guint)ti);
            t->state = T_ACKED;
            t->holds = 1;
            act_cancel(out, timer_of(c, r, ti));
            r->acks += !counted;
            if (!r->replied && r->acks >= quorum_config(c->init.config)->write_quorum)
                reply(c, r, TRUE, FAIL_NONE, FALSE, out);
            maybe_finish(c, r, out);
        } else if (t->state == T_SENT) {
            QMARK(c->init, COORD_READ_REPAIR_FAILED);
            target_failed(c, r, (guint)ti, out);
        }
        return;
    }
    if (t->state != T_SENT && t->state != T_BACKOFF) {
        QMARK(c->init, COORD_ACK_IGNORED);
        return;
    }
    QAckStatus status = quorum_body(m)->qack.status;
    if (status == QACK_SYNC_FAILED && BUG_ON(c->init.bugs, QUORUM_BUG_COUNT_FAILED_FSYNC))
        status = QACK_DURABLE; /* the bug: a failed fsync counted as durable */
    if (status == QACK_DURABLE && r->issuing && (guint)ti == r->issuer && m->extra_count == 0)
        status = QACK_SYNC_FAILED; /* an issuer's answer without its record issued nothing */
    if (status == QACK_DURABLE) {
        QMARK(c->init, COORD_ACK_DURABLE);
        r->maybe_stored = 1; /* stored for sure: a failure now can only be indeterminate */
        gboolean counted = slot_counted(r, (guint)ti);
        if (counted)
            QMARK(c->init, COORD_ACK_COUNTED_ONCE);
        if (r->replied)
            QMARK(c->init, COORD_ACK_AFTER_REPLY);
        t->state = T_ACKED;
        act_cancel(out, timer_of(c, r, ti));
        r->acks += !counted;
        if (r->issuing && (guint)ti == r->issuer)
            fan_out_issued(c, r, m, out);
        guint need = BUG_ON(c->init.bugs, QUORUM_BUG_REPLY_ON_FIRST_ACK)
                         ? 1
                         : quorum_config(c->init.config)->write_quorum;
        if (!r->replied && r->acks >= need)
            write_quorum_met(c, r, out);
        maybe_finish(c, r, out);
        return;
    }
    /* A failed fsync may have left the record in the page cache: maybe stored. An issuer that
     * is not ready stored nothing. */
    if (status != QACK_WRITE_FAILED && status != QACK_NOT_READY) {
        QMARK(c->init, COORD_ACK_SYNC_FAILED);
        r->maybe_stored = 1;
    } else {
        QMARK(c->init, COORD_ACK_WRITE_FAILED);
    }
    target_failed(c, r, (guint)ti, out);
}

/* Whether target t's answer holds the merged state of read r. */
static gboolean holds_merged(const Coord *c, const Request *r, const Target *t)
{
    const QRecord *have = (const QRecord *)(const void *)t->recs->data;
    const QRecord *need = (const QRecord *)(const void *)r->merged->data;
    if (quorum_vclock(c->init.config))
        return qvset_contains(have, t->recs->len, need, r->merged->len);
    return qset_contains(have, t->recs->len, need, r->merged->len);
}

/* The first R answers are in: merge them, and answer once the merged state is durable on W. */
static void read_merge(Coord *c, Request *r, ActionList *out)
{
    r->merged = g_array_new(FALSE, FALSE, sizeof(QRecord));
    gboolean vclock = quorum_vclock(c->init.config);
    for (guint i = 0; i < r->ntargets; i++) {
        if (r->t[i].state != T_ACKED)
            continue;
        const QRecord *recs = (const QRecord *)(const void *)r->t[i].recs->data;
        for (guint k = 0; vclock && k < r->t[i].recs->len; k++)
            if (recs[k].op == OP_NOOP) /* a replica's marker: what it knows, not a value */
                qclock_join(&r->known, &recs[k].clock);
        if (vclock)
            qvset_merge(r->merged, recs, r->t[i].recs->len);
        else
            qset_merge(r->merged, recs, r->t[i].recs->len);
    }
    r->merged_ready = 1;
    r->acks = 0;
    QMARK(c->init, COORD_READ_MERGED);
    for (guint i = 0; i < r->ntargets; i++) {
        Target *t = &r->t[i];
        if (t->state != T_ACKED)
            continue;
        t->holds = holds_merged(c, r, t);
        if (t->holds)
            r->acks++;
    }
    if (r->acks >= quorum_config(c->init.config)->write_quorum) {
        QMARK(c->init, COORD_READ_QUORUM_AT_MERGE);
        reply(c, r, TRUE, FAIL_NONE, FALSE, out);
    }
    /* Read repair: every answered replica that lacks part of the merged state gets it. */
    guint preferred = r->ntargets;
    for (guint i = 0; i < preferred; i++) {
        Target *t = &r->t[i];
        if (t->state == T_ACKED && !t->holds) {
            QMARK(c->init, COORD_READ_REPAIR);
            t->tries = 0;
            try_target(c, r, i, out);
        } else if (t->state == T_FAILED || (t->state != T_ACKED && c->suspect[t->node])) {
            recruit_standby(c, r, i, out); /* sloppy: the write-back goes to a standby */
        }
    }
}

static void handle_read_resp(Coord *c, const Msg *m, ActionList *out)
{
    Request *r = req_of(c, quorum_body(m)->qrr.req);
    if (r == NULL || r->kind != OP_GET)
        return;
    int ti = target_index(r, m->from, ENDPOINT_NONE);
    if (ti < 0 || r->t[ti].state != T_SENT || r->t[ti].recs != NULL) {
        QMARK(c->init, COORD_READ_DUPLICATE);
        return;
    }
    Target *t = &r->t[ti];
    if (!quorum_body(m)->qrr.ready) {
        QMARK(c->init, COORD_READ_NOT_READY);
        act_cancel(out, timer_of(c, r, ti));
        t->state = T_FAILED; /* repairing itself: it cannot vouch for anything */
        maybe_finish(c, r, out);
        return;
    }
    act_cancel(out, timer_of(c, r, ti));
    t->recs = g_array_new(FALSE, FALSE, sizeof(QRecord));
    g_array_append_vals(t->recs, m->extra, m->extra_count);
    t->state = T_ACKED;
    r->answered++;
    if (!r->merged_ready) {
        if (r->answered >= quorum_config(c->init.config)->read_quorum)
            read_merge(c, r, out);
    } else {
        /* A later answer: repair it if it is stale. */
        t->holds = holds_merged(c, r, t);
        if (t->holds) {
            QMARK(c->init, COORD_READ_LATE_HOLDS);
            r->acks++;
            if (!r->replied && r->acks >= quorum_config(c->init.config)->write_quorum)
                reply(c, r, TRUE, FAIL_NONE, FALSE, out);
        } else {
            QMARK(c->init, COORD_READ_LATE_REPAIR);
            t->tries = 0;
            try_target(c, r, (guint)ti, out);
        }
    }
    maybe_finish(c, r, out);
}

/* ---- client requests ---- */

static Request *new_request(Coord *c)
{
    if (c->nfree == 0)
        return NULL;
    Request *r = &c->req[c->free_slots[--c->nfree]];
    g_assert(!r->used);
    r->used = TRUE;
    c->in_flight++;
    return r;
}

/* Version vectors: a client write starts at its issuer, the first replica of the preference list
 * not suspected down; the others wait for its dot. A put or delete covers the context its client
 * handed back; an add is a deposit and covers nothing. */
static void start_issue(Coord *c, Request *r, const Msg *m, ActionList *out)
{
    guint bytes = 0;
    const void *ctx = r->kind == OP_ADD ? NULL : msg_client_context(m, &bytes);
    r->rec.version = (Version){0};
    if (!qclock_from_context(ctx, bytes, &r->rec.clock)) {
        QMARK(c->init, COORD_VV_BAD_CONTEXT);
        memset(&r->rec.clock, 0, sizeof r->rec.clock);
    }
    for (guint i = 0; i < r->ntargets; i++)
        r->t[i].state = T_WAITING;
    r->issuing = 1;
    QMARK(c->init, COORD_VV_ISSUE);
    next_issuer(c, r, out);
    if (!r->issuing)
        maybe_finish(c, r, out);
}

static void handle_client(Coord *c, const Msg *m, ActionList *out)
{
    act_failpoint(out, QUORUM_FP_COORD_RECEIVED);
    const ClientReq *q = &m->u.creq;
    Request *r = new_request(c);
    if (r == NULL || q->key >= c->init.keys) {
        QMARK(c->init, COORD_BUSY);
        Msg *busy = msg_new(MSG_CLIENT_RESP, c->init.self, m->from);
        busy->u.cresp = (ClientResp){.op = q->op,
                                     .attempt = q->attempt,
                                     .definite = 1,
                                     .reason = FAIL_BUSY,
                                     .hint = ENDPOINT_NONE};
        act_send(out, busy);
        return;
    }
    r->client = m->from;
    r->op = q->op;
    r->attempt = q->attempt;
    r->kind = q->kind;
    r->key = q->key;
    r->rec = (QRecord){.key = q->key,
                       .op = q->kind,
                       .hint_for = ENDPOINT_NONE,
                       .version = q->version,
                       .value = q->value,
                       .idem = q->idem};
    r->walk = quorum_placement_walk(c->place, q->key);
    r->walk_len = c->place->stride;
    const WorldConfig *cfg = c->init.config;
    r->next_standby = quorum_config(cfg)->replicas;
    for (guint i = 0; i < quorum_config(cfg)->replicas; i++) {
        guint ti = add_target(r); /* may move r->t */
        r->t[ti] = (Target){.node = r->walk[i], .hint_for = ENDPOINT_NONE};
    }
    act_timer(out, timer_of(c, r, -1), cfg->request_timeout, req_id(c, r));
    if (r->kind == OP_GET)
        QMARK(c->init, COORD_READ_START);
    else
        QMARK(c->init, COORD_WRITE_START);
    if (r->kind != OP_GET && quorum_vclock(cfg)) {
        start_issue(c, r, m, out);
        act_failpoint(out, QUORUM_FP_COORD_SENT);
        return;
    }
    guint preferred = r->ntargets;
    for (guint i = 0; i < preferred; i++)
        try_target(c, r, i, out);
    for (guint i = 0; i < preferred; i++) {
        if (c->suspect[r->t[i].node] && quorum_config(cfg)->sloppy) {
            QMARK(c->init, COORD_SUSPECT_AT_START);
            recruit_standby(c, r, i, out);
        }
    }
    act_failpoint(out, QUORUM_FP_COORD_SENT);
}

static void handle_timer(Coord *c, const ProtoEvent *ev, ActionList *out)
{
    guint slot = ev->timer / TIMERS_PER_REQ;
    guint which = ev->timer % TIMERS_PER_REQ;
    if (slot >= MAX_REQUESTS || !c->req[slot].used)
        return;
    Request *r = &c->req[slot];
    if (which == 0) {
        if ((uint32_t)ev->token != req_id(c, r))
            return;
        /* The request's time is up. */
        if (any_open(r))
            QMARK(c->init, COORD_REQUEST_TIMEOUT);
        for (guint i = 0; i < r->ntargets; i++) {
            if (r->t[i].state == T_SENT && r->kind != OP_GET)
                r->maybe_stored = 1;
            if (r->t[i].state == T_SENT || r->t[i].state == T_BACKOFF || r->t[i].state == T_WAITING)
                r->t[i].state = T_FAILED;
        }
        r->issuing = 0;
        maybe_finish(c, r, out);
        return;
    }
    guint ti = which - 1;
    if ((uint32_t)(ev->token >> 8) != req_id(c, r) || ti >= r->ntargets)
        return;
    Target *t = &r->t[ti];
    if (ev->token & 0x80) {
        if (t->state == T_BACKOFF) {
            QMARK(c->init, COORD_RETRY_FIRED);
            try_target(c, r, ti, out);
        }
        return;
    }
    if (t->state != T_SENT)
        return;
    /* No answer in time: the write may have landed. */
    if (r->kind != OP_GET)
        r->maybe_stored = 1;
    QMARK(c->init, COORD_RPC_TIMEOUT);
    c->suspect[t->node] = 1;
    recruit_standby(c, r, ti, out);
    target_failed(c, r, ti, out);
}

static void handle_stop(Coord *c, ActionList *out)
{
    for (guint i = 0; i < MAX_REQUESTS; i++) {
        Request *r = &c->req[i];
        if (!r->used)
            continue;
        QMARK(c->init, COORD_STOP_IN_FLIGHT);
        if (!r->replied)
            reply(c, r, FALSE, FAIL_SHUTDOWN, FALSE, out); /* already sent: cannot know */
        release(c, r, out);
    }
}

static void coord_step(void *proto, const ProtoEvent *ev, ActionList *out)
{
    Coord *c = proto;
    switch (ev->kind) {
    case PEV_BOOT:
    case PEV_DISK:
        break;
    case PEV_STOP:
        handle_stop(c, out);
        break;
    case PEV_TIMER:
        handle_timer(c, ev, out);
        break;
    case PEV_MSG:
        if (ev->msg->from < c->init.nodes && c->suspect[ev->msg->from]) {
            QMARK(c->init, COORD_SUSPECT_CLEARED);
            c->suspect[ev->msg->from] = 0; /* heard from: alive */
        }
        switch (ev->msg->type) {
        case MSG_CLIENT_REQ:
            handle_client(c, ev->msg, out);
            break;
        case MSG_Q_WRITE_ACK:
            handle_write_ack(c, ev->msg, out);
            break;
        case MSG_Q_READ_RESP:
            handle_read_resp(c, ev->msg, out);
            break;
        default:
            break;
        }
        break;
    }
}

static void *coord_create(const ProtoInit *init)
{
    Coord *c = g_new0(Coord, 1);
    c->init = *init;
    if (!c->init.marks)
        c->init.marks = mark_sink();
    c->place = init->shared;
    if (!c->place)
        c->place = c->own = quorum_placement_new(init->config, init->keys, init->key_hashes);
    c->walks = g_new0(EndpointId *, MAX(init->keys, 1));
    c->suspect = g_new0(uint8_t, init->nodes);
    c->req = g_new0(Request, MAX_REQUESTS);
    c->free_slots = g_new(uint16_t, MAX_REQUESTS);
    for (guint i = 0; i < MAX_REQUESTS; i++)
        c->free_slots[c->nfree++] = (uint16_t)(MAX_REQUESTS - 1 - i);
    c->rpc_timeout =
        MAX(init->config->request_timeout / (quorum_config(init->config)->retry_attempts + 1), 1);
    return c;
}

static void coord_destroy(void *proto)
{
    Coord *c = proto;
    for (guint i = 0; i < MAX_REQUESTS; i++) {
        Request *r = &c->req[i];
        for (guint t = 0; t < r->ntargets; t++)
            if (r->t[t].recs)
                g_array_free(r->t[t].recs, TRUE);
        if (r->merged)
            g_array_free(r->merged, TRUE);
        g_free(r->t);
    }
    g_free(c->req);
    g_free(c->suspect);
    g_free(c->free_slots);
    quorum_placement_free(c->own);
    for (guint k = 0; k < c->init.keys; k++)
        g_free(c->walks[k]);
    g_free(c->walks);
    g_free(c);
}

static NodeRole coord_role(const void *proto)
{
    return ROLE_COORDINATOR;
}

static void coord_check(const void *proto, gboolean thorough)
{
    const Coord *c = proto;
    g_assert(c->nfree + c->in_flight == MAX_REQUESTS);
    if (!thorough)
        return;
    guint used = 0;
    for (guint i = 0; i < MAX_REQUESTS; i++) {
        const Request *r = &c->req[i];
        if (!r->used)
            continue;
        used++;
        g_assert(r->ntargets <= MAX_TARGETS && r->ntargets <= r->tcap);
        g_assert(r->acks <= r->ntargets);
    }
    g_assert(used == c->in_flight);
    g_assert(c->nfree + c->in_flight == MAX_REQUESTS);
}

const ProtoOps quorum_coordinator_ops = {
    .name = "quorum-coordinator",
    .nfiles = 0,
    .create = coord_create,
    .destroy = coord_destroy,
    .step = coord_step,
    .role = coord_role,
    .check = coord_check,
};
