/* model/world/client.c — closed-loop clients: one operation in flight each, retries with the same
 * idempotency key, timeouts that leave an operation indeterminate, and leader hints.
 *
 * A client runs its scripted operations at their times (or as soon as it is free), random
 * operations from its own workload stream in between, and system operations (the liveness probe
 * and final reads) when the runner asks. Every invocation and outcome goes into the history.
 *
 * Outcome rules: any attempt answered ok makes the operation ok. An attempt that timed out or
 * got an indeterminate error may have taken effect, so if no attempt succeeds the operation is
 * indeterminate unless every attempt failed definitely.
 *
 * Quorum writes carry a version stamped from the client's clock at the first attempt; a later
 * operation with the same idempotency key reuses it, so one logical write has one version.
 *
 * Causal contexts. A client keeps, per key, the causal context of its latest ok get or ok put or
 * delete of the key (opaque bytes the answer carried; none from a store that has none) and
 * hands it back with its next put or delete of the key, as a Riak client does with the object it
 * fetched; the history records which operation that context came from (HistOp.ctx_op). An add
 * is a blind deposit: it carries no context and leaves the client's unchanged.
 *
 * Siblings. A get of a multi-value store may return concurrent values. When it returns two or
 * more puts or deletes, the client reconciles them and writes the result back at once, before
 * anything else (a HOP_RECONCILE put): the largest value of the puts, or a delete when every
 * sibling is one, with the get's base context, which covers those puts and deletes only. Adds
 * are deposits: the store keeps them beside the value, so they merge by union, and a
 * reconciliation that folded them into its value could lose one to a concurrent
 * reconciliation that saw others.
 */
#include "model/world/client.h"
#include "model/protocol.h"
#include "model/world/net.h"

#include <string.h>

struct Client {
    World *w;
    guint index;
    EndpointId ep;
    GArray *script; /* of guint: indices into config->scripted, by time (stable) */
    guint next_script;
    guint random_left;
    GQueue system; /* of op ids (GUINT_TO_POINTER(id + 1)) */
    gboolean busy;
    uint32_t op;
    uint16_t attempt;
    uint16_t redirects;
    EndpointId target;
    EndpointId leader; /* raft: the leader it knows; quorum: the coordinator that answered last */
    SimHandle timeout;
    SimHandle wake;
    Version version;
    uint32_t seq;
    SimRng rng;
    GHashTable *versions; /* IdemKey -> Version*, lookups only */
    GHashTable *contexts; /* KeyId -> KeyContext*, the keys it had an ok answer of (lookups
                           * only: a client costs what it touched, whatever the key count) */
    GQueue reconcile;     /* of op ids (GUINT_TO_POINTER(id + 1)): write-backs to run first */
};

/* The causal context a client holds for a key. */
typedef struct {
    uint32_t op;         /* the operation it came from, or UINT32_MAX */
    uint16_t bytes;      /* of `data` */
    uint16_t base_bytes; /* of the base context, after `data` */
    uint8_t *data;       /* owned; NULL when bytes is 0 */
} KeyContext;

static void context_free(gpointer p)
{
    KeyContext *k = p;
    g_free(k->data);
    g_free(k);
}

static void kick(World *w, Client *c);

static gint by_time(gconstpointer a, gconstpointer b, gpointer data)
{
    const WorldConfig *cfg = data;
    const ScriptedOp *x = g_ptr_array_index(cfg->scripted, *(const guint *)a);
    const ScriptedOp *y = g_ptr_array_index(cfg->scripted, *(const guint *)b);
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return *(const guint *)a < *(const guint *)b ? -1 : 1;
}

Client *client_new(World *w, guint index, EndpointId ep)
{
    const WorldConfig *cfg = w->config;
    Client *c = g_new0(Client, 1);
    c->w = w;
    c->index = index;
    c->ep = ep;
    c->script = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < cfg->scripted->len; i++) {
        const ScriptedOp *op = g_ptr_array_index(cfg->scripted, i);
        if (op->client == index)
            g_array_append_val(c->script, i);
    }
    g_array_sort_with_data(c->script, by_time, (gpointer)cfg);
    c->random_left = cfg->ops / cfg->clients + (index < cfg->ops % cfg->clients ? 1 : 0);
    w->ops_outstanding += c->script->len + c->random_left;
    g_queue_init(&c->system);
    c->leader = ENDPOINT_NONE;
    sim_rng_stream(&c->rng, cfg->seed, "workload", index);
    c->versions = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    c->contexts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, context_free);
    g_queue_init(&c->reconcile);
    return c;
}

void client_free(Client *c)
{
    if (c == NULL)
        return;
    g_array_free(c->script, TRUE);
    g_queue_clear(&c->system);
    g_hash_table_unref(c->versions);
    g_hash_table_unref(c->contexts);
    g_queue_clear(&c->reconcile);
    g_free(c);
}

/* ---- choosing servers ---- */

static guint client_door(const WorldConfig *cfg)
{
    const Protocol *p = cfg->protocol;
    return p->clients.door_of ? p->clients.door_of(cfg) : p->clients.door;
}

static EndpointId first_server(World *w, Client *c)
{
    const WorldConfig *cfg = w->config;
    if (c->leader != ENDPOINT_NONE)
        return c->leader; /* the leader, or the coordinator that answered last */
    const Protocol *p = cfg->protocol;
    guint door = client_door(cfg);
    return (EndpointId)(protocol_kind_first(p, cfg, door) +
                        c->index % protocol_kind_count(p, cfg, door));
}

/* The next node of the kind clients talk to, round the ring of them. */
static EndpointId next_server(World *w, EndpointId current)
{
    const WorldConfig *cfg = w->config;
    const Protocol *p = cfg->protocol;
    guint door = client_door(cfg);
    EndpointId first = protocol_kind_first(p, cfg, door);
    return (EndpointId)(first + (current - first + 1u) % protocol_kind_count(p, cfg, door));
}

/* ---- causal contexts ---- */

/* The client's context for `key`; NULL when it has none. */
static KeyContext *context_of(Client *c, KeyId key)
{
    return g_hash_table_lookup(c->contexts, GUINT_TO_POINTER(key));
}

/* After ok operation `op` (a get, put or delete) of its key: the answer's context is the
 * client's now. */
static void context_take(Client *c, const HistOp *op, const Msg *m)
{
    KeyContext *k = context_of(c, op->key);
    if (!k) {
        k = g_new0(KeyContext, 1);
        g_hash_table_insert(c->contexts, GUINT_TO_POINTER(op->key), k);
    }
    guint bytes = 0, base = 0;
    const void *data = m ? msg_client_context(m, &bytes) : NULL;
    const void *base_data = m ? msg_client_base_context(m, &base) : NULL;
    g_free(k->data);
    *k = (KeyContext){.op = op->id, .bytes = (uint16_t)bytes, .base_bytes = (uint16_t)base};
    k->data = g_malloc(MAX(bytes + base, 1));
    if (bytes > 0)
        memcpy(k->data, data, bytes);
    if (base > 0)
        memcpy(k->data + bytes, base_data, base);
}

/* ---- attempts ---- */

static void on_timeout(void *ctx, uint64_t a, uint64_t b);

static void send_attempt(World *w, Client *c)
{
    HistOp *op = history_op(&w->history, c->op);
    Msg *m = msg_new(MSG_CLIENT_REQ, c->ep, c->target);
    m->u.creq = (ClientReq){
        .op = op->id,
        .attempt = c->attempt,
        .kind = op->kind,
        .key = op->key,
        .value = op->value,
        .idem = op->idem,
        .version = c->version,
    };
    const KeyContext *k =
        op->kind == OP_PUT || op->kind == OP_DELETE ? context_of(c, op->key) : NULL;
    if (k && (op->flags & HOP_RECONCILE))
        msg_client_req_attach(m, k->data + k->bytes, k->base_bytes); /* the bases only */
    else if (k && k->bytes > 0)
        msg_client_req_attach(m, k->data, k->bytes);
    net_send(w, m);
    if (c->timeout != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, c->timeout);
    c->timeout =
        sim_queue_after(w->queue, w->config->client_timeout, on_timeout, c, c->op, c->attempt);
}

static void on_retry(void *ctx, uint64_t op, uint64_t b)
{
    Client *c = ctx;
    c->wake = SIM_HANDLE_NONE;
    if (!c->busy || c->op != op)
        return;
    send_attempt(c->w, c);
}

static void reconcile_siblings(World *w, Client *c, const HistOp *get);

/* What an ok answer tells the history and the client's context (`m` is the answer). */
static void take_answer(World *w, Client *c, HistOp *op, const Msg *m)
{
    const ClientResp *resp = &m->u.cresp;
    if (resp->siblings > 0) {
        g_autofree ClientSibling *sibs = g_new(ClientSibling, resp->siblings);
        msg_client_siblings(m, sibs);
        history_set_siblings(&w->history, op, sibs, resp->siblings);
    }
    if (op->kind == OP_ADD || op_kind_is_admin((OpKind)op->kind))
        return; /* a blind deposit, or no key: the context stays what it was */
    context_take(c, op, m);
    if (op->kind == OP_GET && !(op->flags & (HOP_PROBE | HOP_FINAL)))
        reconcile_siblings(w, c, op);
}

static void complete(World *w, Client *c, Outcome outcome, FailReason reason, const Msg *answer)
{
    const ClientResp *resp = answer ? &answer->u.cresp : NULL;
    HistOp *op = history_op(&w->history, c->op);
    op->outcome = (uint8_t)outcome;
    op->reason = (uint8_t)reason;
    op->complete = sim_queue_now(w->queue);
    op->attempts = (uint8_t)MIN(255, c->attempt + 1);
    if (resp && op->kind == OP_GET) {
        op->present = resp->present;
        op->result = resp->present ? resp->value : 0;
        op->observed = resp->observed;
    }
    if (answer && outcome == OUTCOME_OK) {
        take_answer(w, c, op, answer);
        op = history_op(&w->history, c->op); /* a reconciling write-back may have moved it */
    }
    if (c->timeout != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, c->timeout);
    c->timeout = SIM_HANDLE_NONE;
    if (c->wake != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, c->wake);
    c->wake = SIM_HANDLE_NONE;
    c->busy = FALSE;
    world_emit(w, SIM_TR_COMPLETE, (uint16_t)outcome, c->ep, ENDPOINT_NONE, op->id,
               resp && resp->present ? (uint64_t)resp->value : reason);
    if (!(op->flags & (HOP_PROBE | HOP_FINAL))) {
        g_assert(w->ops_outstanding > 0);
        w->ops_outstanding--;
        w->last_completion = op->complete;
    }
    w->stats.fail_reasons[reason]++;
    if (w->obs.completed)
        w->obs.completed(w->obs_ctx, w, op);
    kick(w, c);
}

/* A failed attempt: retry with the same idempotency key while retries remain. */
static void attempt_failed(World *w, Client *c, FailReason reason, gboolean definite)
{
    HistOp *op = history_op(&w->history, c->op);
    if (!definite)
        op->any_indeterminate = 1;
    op->reason = (uint8_t)reason;
    /* The end-of-run operations ask whether the cluster serves at all: they keep trying (same
     * idempotency key) through an election or a repair in progress, for a bounded while. */
    gboolean persist =
        (op->flags & (HOP_PROBE | HOP_FINAL)) &&
        sim_queue_now(w->queue) - op->invoke < world_config_final_patience(w->config) &&
        c->attempt < 1000;
    if (c->attempt >= w->config->client_retries && !persist) {
        MARK(w->stats.world_marks, WMARK_CLIENT_GAVE_UP);
        complete(w, c, op->any_indeterminate ? OUTCOME_INDETERMINATE : OUTCOME_FAIL, reason, NULL);
        return;
    }
    c->attempt++;
    c->redirects = 0;
    w->stats.client_retries++;
    MARK(w->stats.world_marks, WMARK_CLIENT_RETRY);
    c->target = next_server(w, c->target);
    if (w->config->protocol->clients.retry_to_leader && c->leader != ENDPOINT_NONE &&
        reason != FAIL_TIMEOUT && reason != FAIL_NO_LEADER)
        c->target = c->leader;
    /* Exponential backoff with full jitter, from the protocol's backoff base to its cap. */
    SimRange b = w->config->protocol->client_backoff(w->config);
    SimTime cap = b.lo;
    for (guint i = 1; i < c->attempt && cap < b.hi; i++)
        cap *= 2;
    cap = MIN(MAX(cap, 1), MAX(b.hi, 1));
    SimTime delay = sim_rng_duration(&c->rng, sim_range(0, cap));
    if (c->timeout != SIM_HANDLE_NONE)
        sim_queue_cancel(w->queue, c->timeout);
    c->timeout = SIM_HANDLE_NONE;
    c->wake = sim_queue_after(w->queue, delay, on_retry, c, c->op, 0);
}

static void on_timeout(void *ctx, uint64_t op, uint64_t attempt)
{
    Client *c = ctx;
    c->timeout = SIM_HANDLE_NONE;
    if (!c->busy || c->op != op || c->attempt != attempt)
        return;
    c->leader = ENDPOINT_NONE;
    MARK(c->w->stats.world_marks, WMARK_CLIENT_TIMEOUT);
    attempt_failed(c->w, c, FAIL_TIMEOUT, FALSE);
}

static void receive(World *w, Client *c, const Msg *m)
{
    if (m->type != MSG_CLIENT_RESP)
        return;
    const ClientResp *r = &m->u.cresp;
    if (!c->busy || r->op != c->op) {
        MARK(w->stats.world_marks, WMARK_CLIENT_STALE_ANSWER);
        return; /* an answer to an operation already decided */
    }
    gboolean stay = w->config->protocol->clients.stay_on_answer;
    if (stay)
        c->leader = m->from; /* any coordinator answers; stay with one that does */
    if (r->ok) {
        /* Any attempt's success means the operation happened (same idempotency key). */
        if (!stay)
            c->leader = m->from;
        if (r->attempt != c->attempt)
            MARK(w->stats.world_marks, WMARK_CLIENT_EARLIER_ATTEMPT_OK);
        complete(w, c, OUTCOME_OK, FAIL_NONE, m);
        return;
    }
    if (r->attempt != c->attempt || m->from != c->target)
        return; /* a stale failure (of an earlier attempt, or of this one from a server it was
                   redirected away from, its copy duplicated); the current attempt is still out */
    if (r->reason == FAIL_NOT_LEADER && r->hint != ENDPOINT_NONE &&
        c->redirects < 2 * w->config->nodes) {
        /* Following a leader hint is not a retry: the follower did nothing. */
        c->redirects++;
        w->stats.client_redirects++;
        MARK(w->stats.world_marks, WMARK_CLIENT_REDIRECT);
        c->leader = r->hint;
        c->target = r->hint;
        send_attempt(w, c);
        return;
    }
    if (r->reason == FAIL_NOT_LEADER || r->reason == FAIL_NO_LEADER)
        c->leader = ENDPOINT_NONE;
    attempt_failed(w, c, (FailReason)r->reason, r->definite);
}

void client_receive(World *w, Endpoint *to, Msg *m)
{
    w->stats.msgs_delivered++;
    world_emit(w, SIM_TR_DELIVER, m->type, m->to, m->from, m->id, 0);
    receive(w, to->client, m);
    msg_free(m);
}

/* ---- starting operations ---- */

static IdemKey generated_idem(Client *c)
{
    return ((IdemKey)(c->index + 1) << 32) | c->seq;
}

static void start(World *w, Client *c, uint32_t op_id)
{
    HistOp *op = history_op(&w->history, op_id);
    c->seq++;
    if (op->idem == IDEM_NONE)
        op->idem = generated_idem(c);
    if (op->kind == OP_PUT || op->kind == OP_DELETE) {
        const KeyContext *k = context_of(c, op->key);
        op->ctx_op = k ? k->op : UINT32_MAX;
    }
    op->invoke = sim_queue_now(w->queue);
    op->client = c->ep;
    Version *known = g_hash_table_lookup(c->versions, &op->idem);
    if (known) {
        c->version = *known;
    } else {
        c->version = (Version){
            .ts = sim_queue_now(w->queue) + w->ep[c->ep].clock_offset,
            .client = (uint16_t)c->index,
            .seq = c->seq,
        };
        /* Only a named idempotency key can come back in a later operation; a generated one
         * lives and dies with its operation, whose retries keep c->version. */
        if (op_kind_is_write(op->kind) && (op->idem >> 63)) {
            int64_t *key = g_new(int64_t, 1);
            *key = (int64_t)op->idem;
            Version *v = g_new(Version, 1);
            *v = c->version;
            g_hash_table_insert(c->versions, key, v);
        }
    }
    c->busy = TRUE;
    c->op = op_id;
    c->attempt = 0;
    c->redirects = 0;
    c->target = first_server(w, c);
    /* The trace names the key, or the server an operation on the cluster is about. */
    uint64_t about = op_kind_is_admin(op->kind) ? (uint64_t)op->value : op->key;
    world_emit(w, SIM_TR_INVOKE, op->kind, c->ep, ENDPOINT_NONE, op->id, about);
    send_attempt(w, c);
}

static OpKind pick_kind(const WorldConfig *cfg, SimRng *rng)
{
    guint total = 0;
    for (int k = 0; k < OP_KIND_COUNT; k++)
        total += cfg->mix[k];
    guint pick = (guint)sim_rng_uniform(rng, 0, total - 1);
    for (int k = 0; k < OP_KIND_COUNT; k++) {
        if (pick < cfg->mix[k])
            return (OpKind)k;
        pick -= cfg->mix[k];
    }
    g_assert_not_reached();
}

static uint32_t new_random_op(World *w, Client *c)
{
    const WorldConfig *cfg = w->config;
    HistOp *op = history_add(&w->history);
    op->kind = (uint8_t)pick_kind(cfg, &c->rng);
    op->key = (KeyId)sim_rng_uniform(&c->rng, 0, cfg->keys - 1);
    if (op->kind == OP_PUT)
        op->value = (Value)sim_rng_uniform(&c->rng, 1, 1000);
    else if (op->kind == OP_ADD)
        op->value = (Value)sim_rng_uniform(&c->rng, 1, 100);
    return op->id;
}

static uint32_t new_scripted_op(World *w, Client *c, const ScriptedOp *s)
{
    HistOp *op = history_add(&w->history);
    op->kind = (uint8_t)s->kind;
    op->key = KEY_NONE; /* an operation on the cluster touches no key */
    gboolean found = s->key == NULL || world_key_lookup(w, s->key, &op->key);
    g_assert(found);
    op->value = s->value;
    op->flags = HOP_SCRIPTED;
    if (s->idempotency)
        op->idem = world_intern_idem(w, s->idempotency);
    op->name = history_name(&w->history, s->name);
    return op->id;
}

/* A get returned two or more puts or deletes: the write-back that reconciles them (see the
 * head of the file), queued to run before anything else of the workload. */
static void reconcile_siblings(World *w, Client *c, const HistOp *get)
{
    guint bases = 0, puts = 0;
    Value best = 0;
    for (guint i = 0; i < get->nsib; i++) {
        const ClientSibling *s = history_sibling(&w->history, get, i);
        if (s->op == OP_ADD)
            continue;
        bases++;
        if (s->op == OP_PUT && (puts++ == 0 || s->value > best))
            best = s->value;
    }
    if (bases < 2)
        return;
    KeyId key = get->key;
    HistOp *op = history_add(&w->history);
    op->kind = (uint8_t)(puts > 0 ? OP_PUT : OP_DELETE);
    op->key = key;
    op->value = puts > 0 ? best : 0;
    op->flags = HOP_RECONCILE;
    w->ops_outstanding++;
    w->stats.client_reconciles++;
    g_queue_push_tail(&c->reconcile, GUINT_TO_POINTER(op->id + 1));
}

static void on_wake_start(void *ctx, uint64_t op, uint64_t b)
{
    Client *c = ctx;
    c->wake = SIM_HANDLE_NONE;
    start(c->w, c, (uint32_t)op);
}

static void on_wake(void *ctx, uint64_t a, uint64_t b)
{
    Client *c = ctx;
    c->wake = SIM_HANDLE_NONE;
    kick(c->w, c);
}

static void kick(World *w, Client *c)
{
    if (c->busy || c->wake != SIM_HANDLE_NONE)
        return;
    SimTime now = sim_queue_now(w->queue);
    if (!g_queue_is_empty(&c->system)) {
        uint32_t id = GPOINTER_TO_UINT(g_queue_pop_head(&c->system)) - 1;
        start(w, c, id);
        return;
    }
    if (!g_queue_is_empty(&c->reconcile)) {
        uint32_t id = GPOINTER_TO_UINT(g_queue_pop_head(&c->reconcile)) - 1;
        start(w, c, id);
        return;
    }
    if (c->next_script < c->script->len) {
        guint idx = g_array_index(c->script, guint, c->next_script);
        const ScriptedOp *s = g_ptr_array_index(w->config->scripted, idx);
        if (s->at <= now) {
            c->next_script++;
            start(w, c, new_scripted_op(w, c, s));
            return;
        }
        if (c->random_left == 0) {
            c->wake = sim_queue_at(w->queue, s->at, on_wake, c, 0, 0);
            return;
        }
    }
    if (c->random_left > 0) {
        c->random_left--;
        uint32_t id = new_random_op(w, c);
        /* A short think time between random operations. */
        SimTime think = sim_rng_duration(&c->rng, sim_range(0, SIM_MS));
        if (think == 0) {
            start(w, c, id);
        } else {
            c->wake = sim_queue_after(w->queue, think, on_wake_start, c, id, 0);
        }
    }
}

void client_start(World *w, Client *c)
{
    kick(w, c);
}

static void enqueue_system(World *w, Client *c, uint32_t op)
{
    g_queue_push_tail(&c->system, GUINT_TO_POINTER(op + 1));
    kick(w, c);
}

uint32_t world_submit(World *w, guint client, OpKind kind, KeyId key, Value value,
                      HistOpFlags flags)
{
    g_assert(client < w->nclients);
    /* Only the runner's end-of-run operations come this way; the workload's are counted as
     * outstanding from the start and take the scripted or random path. */
    g_assert(flags & (HOP_PROBE | HOP_FINAL));
    HistOp *op = history_add(&w->history);
    op->kind = (uint8_t)kind;
    op->key = key;
    op->value = value;
    op->flags = (uint8_t)flags;
    uint32_t id = op->id;
    enqueue_system(w, w->clients[client], id);
    return id;
}
