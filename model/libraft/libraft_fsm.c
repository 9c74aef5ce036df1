/* model/libraft/libraft_fsm.c — the key-value state machine under the hosted library, and its
 * clients.
 *
 * The FSM applies the workload's commands (put, add, delete) exactly as durasim's raft does:
 * client sessions deduplicate retried commands (each client's highest applied sequence number;
 * named idempotency keys in a set), so the ledger, the histories and the linearizability check
 * apply unchanged. Every apply emits NOTE_APPLY (index, term, idem, applied). A snapshot is the
 * key table, the sessions and the named keys (sorted, so the bytes depend on nothing but the
 * state); restore replaces them.
 *
 * Clients: a leader proposes a write with raft_apply and answers ok from the apply callback; a
 * raft_apply error is definite (NotLeader with the library's leader as hint, Busy); a callback
 * with an error (leadership lost, shutdown) is indeterminate; a refusal is definite only when
 * nothing of the write is in this server's log past what it applied, nor in its state machine,
 * and a later copy of a definitely refused attempt (a duplicated message) is refused again.
 * Reads are the library's
 * linearizable read: raft_barrier, then the FSM in the barrier's callback. A follower answers
 * NotLeader{hint} or NoLeader. Invariants: every request is answered at most once; requests
 * outstanding in the library are listed in n->requests until their callback ran.
 */
#include "model/libraft/libraft_internal.h"
#include "model/libraft/libraft_marks.h"

#include <string.h>

typedef struct {
    union {
        struct raft_apply apply;
        struct raft_barrier barrier;
    } u;
    LRNode *node;
    EndpointId client;
    uint32_t op;
    uint16_t attempt;
    uint8_t kind;
    KeyId key;
    gboolean answered;
} LRRequest;

/* ---- state machine ---- */

static gboolean session_applied(const LRNode *n, IdemKey idem)
{
    if (idem >> 63)
        return g_hash_table_contains(n->named, &idem);
    guint client = (guint)(idem >> 32) - 1;
    return client < n->init.config->clients && (uint32_t)idem <= n->sessions[client];
}

static void session_record(LRNode *n, IdemKey idem)
{
    if (idem >> 63) {
        IdemKey *k = g_new(IdemKey, 1);
        *k = idem;
        g_hash_table_add(n->named, k);
        return;
    }
    guint client = (guint)(idem >> 32) - 1;
    g_assert(client < n->init.config->clients);
    n->sessions[client] = MAX(n->sessions[client], (uint32_t)idem);
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    LRNode *n = fsm->data;
    LRCommand c;
    *result = NULL;
    gboolean ok = lr_command_decode(buf->base, buf->len, &c);
    g_assert(ok); /* only the adapter proposes commands */
    uint64_t index = n->raft.last_applied + 1;
    lr_note_commit(n);
    gboolean effect = !session_applied(n, c.idem);
    if (effect) {
        session_record(n, c.idem);
        if (c.key < n->init.keys) {
            Value old = n->present[c.key] ? n->kv[c.key] : 0;
            n->kv[c.key] = c.kind == OP_PUT ? c.value : c.kind == OP_ADD ? old + c.value : 0;
            n->present[c.key] = c.kind != OP_DELETE;
        }
        n->stats.applied++;
        LMARK(n, FSM_APPLY);
    } else {
        n->stats.deduplicated++;
        LMARK(n, FSM_DEDUP);
    }
    act_note(n->out, NOTE_APPLY, index, c.term, c.idem, effect);
    return 0;
}

static gint idem_cmp(gconstpointer a, gconstpointer b)
{
    IdemKey x = *(const IdemKey *)a, y = *(const IdemKey *)b;
    return x < y ? -1 : x > y;
}

/* keys, clients, named count, then per key (present u8, value i64), per client u32, named u64. */
static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    LRNode *n = fsm->data;
    GByteArray *b = g_byte_array_new();
    guint32 keys = n->init.keys, clients = n->init.config->clients;
    guint32 named = g_hash_table_size(n->named);
    g_byte_array_append(b, (const guint8 *)&keys, 4);
    g_byte_array_append(b, (const guint8 *)&clients, 4);
    g_byte_array_append(b, (const guint8 *)&named, 4);
    for (guint k = 0; k < keys; k++) {
        g_byte_array_append(b, &n->present[k], 1);
        g_byte_array_append(b, (const guint8 *)&n->kv[k], 8);
    }
    g_byte_array_append(b, (const guint8 *)n->sessions, 4 * clients);
    GList *list = g_list_sort(g_hash_table_get_keys(n->named), idem_cmp);
    for (GList *l = list; l != NULL; l = l->next)
        g_byte_array_append(b, l->data, 8);
    g_list_free(list);
    *bufs = raft_malloc(sizeof **bufs);
    (*bufs)[0].len = b->len;
    (*bufs)[0].base = raft_malloc(b->len);
    memcpy((*bufs)[0].base, b->data, b->len);
    *n_bufs = 1;
    g_byte_array_free(b, TRUE);
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    LRNode *n = fsm->data;
    const uint8_t *p = buf->base;
    guint32 keys, clients, named;
    if (buf->len < 12)
        return RAFT_MALFORMED;
    memcpy(&keys, p, 4);
    memcpy(&clients, p + 4, 4);
    memcpy(&named, p + 8, 4);
    if (keys != n->init.keys || clients != n->init.config->clients ||
        buf->len != 12 + (gsize)keys * 9 + (gsize)clients * 4 + (gsize)named * 8)
        return RAFT_MALFORMED;
    p += 12;
    for (guint k = 0; k < keys; k++, p += 9) {
        n->present[k] = p[0];
        memcpy(&n->kv[k], p + 1, 8);
    }
    memcpy(n->sessions, p, 4 * clients);
    p += 4 * clients;
    g_hash_table_remove_all(n->named);
    for (guint i = 0; i < named; i++, p += 8) {
        IdemKey *k = g_new(IdemKey, 1);
        memcpy(k, p, 8);
        g_hash_table_add(n->named, k);
    }
    raft_free(buf->base); /* restore owns the buffer when it succeeds */
    LMARK(n, SNAP_RESTORE);
    return 0;
}

void lr_fsm_setup(LRNode *n)
{
    n->fsm = (struct raft_fsm){.version = 1,
                               .data = n,
                               .apply = fsm_apply,
                               .snapshot = fsm_snapshot,
                               .restore = fsm_restore};
    n->kv = g_new0(Value, n->init.keys);
    n->present = g_new0(uint8_t, n->init.keys);
    n->sessions = g_new0(uint32_t, n->init.config->clients);
    n->named = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    n->requests = g_ptr_array_new();
}

void lr_fsm_clear(LRNode *n)
{
    g_free(n->kv);
    g_free(n->present);
    g_free(n->sessions);
    g_hash_table_unref(n->named);
    for (guint i = 0; i < n->requests->len; i++)
        g_free(g_ptr_array_index(n->requests, i)); /* the library is closed: no callback */
    g_ptr_array_free(n->requests, TRUE);
}

/* ---- clients ---- */

void lr_reply(LRNode *n, EndpointId client, uint32_t op, uint16_t attempt, gboolean ok,
              FailReason reason, gboolean definite, const ClientResp *read)
{
    Msg *m = msg_new(MSG_CLIENT_RESP, n->init.self, client);
    if (read != NULL)
        m->u.cresp = *read;
    m->u.cresp.op = op;
    m->u.cresp.attempt = attempt;
    m->u.cresp.ok = (uint8_t)ok;
    m->u.cresp.definite = (uint8_t)definite;
    m->u.cresp.reason = (uint8_t)reason;
    m->u.cresp.hint = ENDPOINT_NONE;
    if (reason == FAIL_NOT_LEADER) {
        raft_id id;
        const char *address;
        raft_leader(&n->raft, &id, &address);
        m->u.cresp.hint = id != 0 ? (EndpointId)(id - 1) : ENDPOINT_NONE;
        act_note(n->out, NOTE_REFUSED, NOTE_REFUSED_CLIENT_TO_LEADER, m->u.cresp.hint,
                 (uint64_t)n->heard_leader_at, 0);
    }
    act_send(n->out, m);
}

static LRRequest *request_new(LRNode *n, const Msg *m)
{
    LRRequest *q = g_new0(LRRequest, 1);
    q->node = n;
    q->client = m->from;
    q->op = m->u.creq.op;
    q->attempt = m->u.creq.attempt;
    q->kind = m->u.creq.kind;
    q->key = m->u.creq.key;
    return q;
}

static void request_done(LRRequest *q)
{
    LRNode *n = q->node;
    gboolean found = g_ptr_array_remove(n->requests, q);
    g_assert(found);
    if (q->kind != OP_GET)
        n->inflight--;
    g_free(q);
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    LRRequest *q = (LRRequest *)req;
    LRNode *n = q->node;
    if (!q->answered) {
        if (status == 0) {
            LMARK(n, CLIENT_OK);
            lr_reply(n, q->client, q->op, q->attempt, TRUE, FAIL_NONE, FALSE, NULL);
            act_failpoint(n->out, LIBRAFT_FP_REPLIED);
        } else {
            /* Leadership lost or shutting down: the entry may still commit. */
            LMARK(n, CLIENT_LOST_LEADERSHIP);
            lr_reply(n, q->client, q->op, q->attempt, FALSE, FAIL_LOST_LEADERSHIP, FALSE, NULL);
        }
    }
    request_done(q);
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    LRRequest *q = (LRRequest *)req;
    LRNode *n = q->node;
    if (!q->answered) {
        if (status == 0) {
            ClientResp r = {0};
            if (q->key < n->init.keys) {
                r.present = n->present[q->key];
                r.value = n->kv[q->key];
            }
            LMARK(n, CLIENT_OK);
            lr_reply(n, q->client, q->op, q->attempt, TRUE, FAIL_NONE, FALSE, &r);
        } else {
            LMARK(n, CLIENT_LOST_LEADERSHIP);
            lr_reply(n, q->client, q->op, q->attempt, FALSE, FAIL_LOST_LEADERSHIP, TRUE, NULL);
        }
    }
    request_done(q);
}

static FailReason refusal(LRNode *n)
{
    raft_id id;
    const char *address;
    raft_leader(&n->raft, &id, &address);
    return id != 0 && id != n->raft.id ? FAIL_NOT_LEADER : FAIL_NO_LEADER;
}

/* A write attempt this server refused as definitely not applied: a copy of it arriving later
 * (the network duplicates messages) is refused again, so that the answer stays true. */
#define REFUSED_KEPT 8

static uint64_t attempt_key(const Msg *m)
{
    return (uint64_t)m->from << 48 | (uint64_t)m->u.creq.op << 16 | m->u.creq.attempt;
}

static void remember_refusal(LRNode *n, const Msg *m)
{
    n->refused[n->refused_next++ % REFUSED_KEPT] = attempt_key(m);
}

static gboolean refused_before(const LRNode *n, const Msg *m)
{
    uint64_t key = attempt_key(m);
    for (guint i = 0; i < REFUSED_KEPT; i++)
        if (n->refused[i] == key)
            return TRUE;
    return FALSE;
}

/* A refusal, counted by its reason. */
static void refuse(LRNode *n, const Msg *m, FailReason why, gboolean definite)
{
    const ClientReq *cq = &m->u.creq;
    if (why == FAIL_NOT_LEADER)
        LMARK(n, CLIENT_NOT_LEADER);
    else if (why == FAIL_NO_LEADER)
        LMARK(n, CLIENT_NO_LEADER);
    else
        LMARK(n, CLIENT_BUSY);
    if (!definite)
        LMARK(n, CLIENT_REFUSAL_INDEFINITE);
    else if (cq->kind != OP_GET)
        remember_refusal(n, m);
    lr_reply(n, m->from, cq->op, cq->attempt, FALSE, why, definite, NULL);
}

/* Whether a refusal of the request can say it had no effect: a write whose idempotency key is
 * in this server's state machine, or in its log beyond what it applied, may have happened or may
 * still happen (an earlier copy of the request, or the library instance before a restart,
 * proposed it). */
static gboolean refusal_is_definite(const LRNode *n, const ClientReq *cq)
{
    if (cq->kind == OP_GET)
        return TRUE;
    if (n->started && session_applied(n, cq->idem))
        return FALSE;
    for (guint i = n->log->len; i-- > 0;) {
        const RaftEntry *e = &g_array_index(n->log, RaftEntry, i);
        if (n->started && e->index <= n->raft.last_applied)
            break;
        if (e->idem == cq->idem)
            return FALSE;
    }
    return TRUE;
}

void lr_client_request(LRNode *n, const Msg *m)
{
    const ClientReq *cq = &m->u.creq;
    if (!n->started || raft_state(&n->raft) != RAFT_LEADER) {
        refuse(n, m, n->started ? refusal(n) : FAIL_NO_LEADER, refusal_is_definite(n, cq));
        return;
    }
    if (cq->kind != OP_GET && refused_before(n, m)) {
        LMARK(n, CLIENT_REFUSED_AGAIN);
        lr_reply(n, m->from, cq->op, cq->attempt, FALSE, FAIL_BUSY, TRUE, NULL);
        return;
    }
    if (op_kind_is_admin((OpKind)cq->kind)) {
        lr_admin_request(n, m);
        return;
    }
    if (cq->kind != OP_GET && session_applied(n, cq->idem)) {
        LMARK(n, CLIENT_SESSION_HIT);
        lr_reply(n, m->from, cq->op, cq->attempt, TRUE, FAIL_NONE, FALSE, NULL);
        return;
    }
    if (cq->kind != OP_GET && n->inflight >= n->params.max_inflight) {
        refuse(n, m, FAIL_BUSY, refusal_is_definite(n, cq));
        return;
    }
    LRRequest *q = request_new(n, m);
    int rv;
    if (cq->kind == OP_GET) {
        rv = raft_barrier(&n->raft, &q->u.barrier, barrier_cb);
    } else {
        LRCommand c = {n->raft.current_term, cq->kind, m->from, cq->key, cq->value, cq->idem};
        struct raft_buffer buf = {raft_malloc(LR_COMMAND_LEN), LR_COMMAND_LEN};
        lr_command_encode(&c, buf.base);
        rv = raft_apply(&n->raft, &q->u.apply, &buf, 1, apply_cb);
        if (rv != 0)
            raft_free(buf.base);
    }
    if (rv != 0) {
        refuse(n, m, rv == RAFT_NOTLEADER ? refusal(n) : FAIL_BUSY, refusal_is_definite(n, cq));
        g_free(q);
        return;
    }
    if (cq->kind != OP_GET) {
        LMARK(n, CLIENT_PROPOSED);
        n->inflight++;
    } else {
        LMARK(n, CLIENT_READ);
    }
    g_ptr_array_add(n->requests, q);
}

void lr_client_shutdown(LRNode *n)
{
    for (guint i = 0; i < n->requests->len; i++) {
        LRRequest *q = g_ptr_array_index(n->requests, i);
        if (q->answered)
            continue;
        q->answered = TRUE;
        LMARK(n, CLIENT_SHUTDOWN);
        gboolean write = q->kind != OP_GET;
        lr_reply(n, q->client, q->op, q->attempt, FALSE, FAIL_SHUTDOWN, !write, NULL);
    }
}
