/* tests/test_example_protocol.c — the shortest complete protocol, and its step tests: the
 * example model/README.md walks through. Copy this file to start a protocol of your own.
 *
 * "mirror" is primary-backup replication of a key-value store over two servers: the primary (n1)
 * takes a client's put, writes the record to its log and fsyncs it, sends a copy to the backup
 * (n2), which writes and fsyncs it before it acknowledges; the primary answers the client once
 * both copies are durable, and serves gets from what it answered. A failed write or fsync is
 * never trusted: everything not yet known durable is written again and fsynced again. A copy the
 * backup has not acknowledged is sent again on a timer. Each server keeps one log, its fixed
 * file 0: record i at block i.
 *
 * In a real tree the first half of this file is model/mirror/ (mirror.c: the step function;
 * mirror_protocol.c: the descriptor) and the second half tests/test_mirror.c. The step tests
 * drive both servers through tests/support_step.h, with no simulator: they deliver each message,
 * complete or fail each disk operation, and fire each timer by hand, and read what every step
 * did.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/protocol.h"
#include "tests/support_step.h"

#include <errno.h>
#include <string.h>

/* ======================================================== the protocol: model/mirror/ ==== */

/* Message codes: a range of the protocol's own, after the clients' (they reach the trace hash:
 * never renumber them). */
enum {
    MSG_MIRROR_COPY = MSG_PROTO_FIRST, /* primary -> backup: store this record */
    MSG_MIRROR_ACK,                    /* backup -> primary: record `index` is durable */
    MSG_MIRROR_END,
};

/* A log record: on disk (the body of a block of type MIRROR_BLOCK) and in a message's body. */
typedef struct {
    uint32_t index;
    KeyId key;
    Value value;
} MirrorRecord;
G_STATIC_ASSERT(sizeof(MirrorRecord) <= sizeof(((Msg *)0)->u.body));

#define MIRROR_BLOCK 0x4d52 /* the block type of a record: the oracles' codec reads it */

static MirrorRecord *mirror_body(Msg *m)
{
    return (MirrorRecord *)(void *)m->u.body;
}

static const MirrorRecord *mirror_read(const Msg *m)
{
    return (const MirrorRecord *)(const void *)m->u.body;
}

/* The block codec: what the server writes, and what it (and an oracle module) reads back. */
static void mirror_encode(DiskBlock *b, const MirrorRecord *r)
{
    disk_block_seal(b, MIRROR_BLOCK, r, sizeof *r);
}

static gboolean mirror_decode(const DiskBlock *b, MirrorRecord *out)
{
    if (b->type != MIRROR_BLOCK || disk_block_check(b, sizeof *out) != BLOCK_OK)
        return FALSE;
    memcpy(out, b->body, sizeof *out);
    return TRUE;
}

/* Settings: the protocol's own struct in WorldConfig.proto, each field a scenario key. */
typedef struct {
    SimTime resend; /* [cluster] resend: how long the primary waits for an ack before resending */
} MirrorConfig;
G_STATIC_ASSERT(sizeof(MirrorConfig) <= PROTO_CONFIG_BYTES);

static const MirrorConfig *mirror_config(const WorldConfig *c)
{
    return (const MirrorConfig *)(const void *)c->proto;
}

static MirrorConfig *mirror_config_mut(WorldConfig *c)
{
    return (MirrorConfig *)(void *)c->proto;
}

/* Bug variants, by their place in mirror_bugs (a BugSet bit). */
enum { MIRROR_BUG_ACK_ON_ONE_COPY, MIRROR_BUG_COUNT };

/* Failpoints: codes in a range of the protocol's own (they reach the trace hash). */
enum {
    MIRROR_FP_WRITTEN = 200, /* the primary handed a record to its disk; nothing synced or sent */
    MIRROR_FP_ANSWERED,      /* the primary answered a put */
    MIRROR_FP_END,
};

/* Reachability marks, by their place in mirror_marks. */
enum {
    MIRROR_MARK_PUT_ANSWERED,
    MIRROR_MARK_BOOT_TORN_TAIL,
    MIRROR_MARK_SYNC_RETRIED,
    MIRROR_MARK_COPY_RESENT,
    MIRROR_MARK_COUNT,
};

/* Disk tokens: what a completion is about. */
#define TOK_WRITE ((uint64_t)1 << 40) /* | the record's index */
#define TOK_SYNC  ((uint64_t)2 << 40) /* | how many of `order` the fsync covers */
#define TOK_TRUNC ((uint64_t)3 << 40)
#define TOK_ARG   (((uint64_t)1 << 40) - 1)

#define T_RESEND 0 /* the primary's timer slot */

/* A put the primary has not answered yet. */
typedef struct {
    uint32_t index, op;
    uint16_t attempt;
    EndpointId client;
    gboolean synced, mirrored;
} Pending;

/* A server. Invariants: synced <= order->len <= log->len; every index in `order` is below
 * log->len; pending indexes increase. */
typedef struct {
    ProtoInit init;
    MarkCount *marks;
    gboolean primary;
    GArray *log;       /* of MirrorRecord, record i at index i (a hole: index UINT32_MAX) */
    GArray *order;     /* of uint32_t: the indexes written, in the order written */
    guint synced;      /* order[0..synced) are durable */
    gboolean syncing;  /* an fsync is in flight */
    gboolean failed;   /* a write since the last fsync failed */
    GArray *pending;   /* of Pending: the primary's puts not answered yet */
    Value *kv;         /* the primary's answered values, by key */
    gboolean *present; /* ... and whether a key has one */
} Mirror;

static void *mirror_create(const ProtoInit *init)
{
    Mirror *m = g_new0(Mirror, 1);
    m->init = *init;
    m->marks = init->marks ? init->marks : mark_sink();
    m->primary = init->self == 0;
    m->log = g_array_new(FALSE, TRUE, sizeof(MirrorRecord));
    m->order = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    m->pending = g_array_new(FALSE, FALSE, sizeof(Pending));
    m->kv = g_new0(Value, MAX(init->keys, 1u));
    m->present = g_new0(gboolean, MAX(init->keys, 1u));
    return m;
}

static void mirror_destroy(void *p)
{
    Mirror *m = p;
    g_array_free(m->log, TRUE);
    g_array_free(m->order, TRUE);
    g_array_free(m->pending, TRUE);
    g_free(m->kv);
    g_free(m->present);
    g_free(m);
}

static NodeRole mirror_role(const void *p)
{
    return ((const Mirror *)p)->primary ? ROLE_LEADER : ROLE_FOLLOWER;
}

static void mirror_check(const void *p, gboolean thorough)
{
    const Mirror *m = p;
    g_assert(m->synced <= m->order->len && m->order->len <= m->log->len);
    if (!thorough)
        return;
    for (guint i = 0; i < m->order->len; i++)
        g_assert(g_array_index(m->order, uint32_t, i) < m->log->len);
    for (guint i = 1; i < m->pending->len; i++)
        g_assert(g_array_index(m->pending, Pending, i - 1).index <
                 g_array_index(m->pending, Pending, i).index);
}

static void reply(Mirror *m, EndpointId client, const ClientReq *q, gboolean ok, FailReason why,
                  ActionList *out)
{
    Msg *r = msg_new(MSG_CLIENT_RESP, m->init.self, client);
    r->u.cresp = (ClientResp){.op = q->op,
                              .attempt = q->attempt,
                              .ok = (uint8_t)ok,
                              .definite = !ok,
                              .reason = (uint8_t)why,
                              .hint = 0};
    if (ok && q->kind == OP_GET && q->key < m->init.keys) {
        r->u.cresp.present = (uint8_t)m->present[q->key];
        r->u.cresp.value = m->kv[q->key];
    }
    act_send(out, r);
}

/* Writes record `r` to block r.index of the log and fsyncs, unless an fsync is in flight (its
 * completion fsyncs again for what came after it). */
static void store(Mirror *m, const MirrorRecord *r, ActionList *out)
{
    if (r->index >= m->log->len)
        g_array_set_size(m->log, r->index + 1);
    g_array_index(m->log, MirrorRecord, r->index) = *r;
    g_array_append_val(m->order, r->index);
    DiskBlock b;
    mirror_encode(&b, r);
    act_write(out, 0, r->index, &b, TOK_WRITE | r->index);
}

static void sync_if_idle(Mirror *m, ActionList *out)
{
    if (m->syncing || m->synced == m->order->len)
        return;
    m->syncing = TRUE;
    act_fsync(out, 0, TOK_SYNC | m->order->len);
}

static void send_copy(Mirror *m, uint32_t index, ActionList *out)
{
    Msg *c = msg_new(MSG_MIRROR_COPY, m->init.self, 1);
    *mirror_body(c) = g_array_index(m->log, MirrorRecord, index);
    act_send(out, c);
}

static void on_put(Mirror *m, EndpointId client, const ClientReq *q, ActionList *out)
{
    MirrorRecord r = {.index = m->log->len, .key = q->key, .value = q->value};
    store(m, &r, out);
    act_failpoint(out, MIRROR_FP_WRITTEN);
    sync_if_idle(m, out);
    Pending p = {.index = r.index, .op = q->op, .attempt = q->attempt, .client = client};
    g_array_append_val(m->pending, p);
    send_copy(m, r.index, out);
    if (m->pending->len == 1) /* else armed already */
        act_timer(out, T_RESEND, mirror_config(m->init.config)->resend, 0);
}

static void on_client(Mirror *m, const Msg *msg, ActionList *out)
{
    const ClientReq *q = &msg->u.creq;
    if (!m->primary)
        reply(m, msg->from, q, FALSE, FAIL_NOT_LEADER, out);
    else if (q->kind == OP_PUT)
        on_put(m, msg->from, q, out);
    else if (q->kind == OP_GET)
        reply(m, msg->from, q, TRUE, FAIL_NONE, out);
    else
        reply(m, msg->from, q, FALSE, FAIL_BUSY, out);
}

/* Answers the puts at the head of the queue whose copies are durable, in order. */
static void answer_ready(Mirror *m, ActionList *out)
{
    gboolean one_copy = BUG_ON(m->init.bugs, MIRROR_BUG_ACK_ON_ONE_COPY);
    while (m->pending->len > 0) {
        Pending *p = &g_array_index(m->pending, Pending, 0);
        if (!p->synced || !(p->mirrored || one_copy))
            break;
        const MirrorRecord *r = &g_array_index(m->log, MirrorRecord, p->index);
        m->kv[r->key] = r->value;
        m->present[r->key] = TRUE;
        ClientReq q = {.op = p->op, .attempt = p->attempt, .kind = OP_PUT};
        reply(m, p->client, &q, TRUE, FAIL_NONE, out);
        act_failpoint(out, MIRROR_FP_ANSWERED);
        MARK(m->marks, MIRROR_MARK_PUT_ANSWERED);
        g_array_remove_index(m->pending, 0);
    }
    if (m->pending->len == 0)
        act_cancel(out, T_RESEND); /* nothing left to resend */
}

static Pending *pending_of(Mirror *m, uint32_t index)
{
    for (guint i = 0; i < m->pending->len; i++)
        if (g_array_index(m->pending, Pending, i).index == index)
            return &g_array_index(m->pending, Pending, i);
    return NULL;
}

/* Records order[from..upto) became durable: the primary's count toward their puts, the
 * backup's are acknowledged. */
static void now_durable(Mirror *m, guint from, guint upto, ActionList *out)
{
    for (guint i = from; i < upto; i++) {
        uint32_t index = g_array_index(m->order, uint32_t, i);
        Pending *p = m->primary ? pending_of(m, index) : NULL;
        if (p)
            p->synced = TRUE;
        if (!m->primary) {
            Msg *a = msg_new(MSG_MIRROR_ACK, m->init.self, 0);
            mirror_body(a)->index = index;
            act_send(out, a);
        }
    }
}

static void on_copy(Mirror *m, const Msg *msg, ActionList *out)
{
    MirrorRecord r = *mirror_read(msg);
    for (guint i = 0; i < m->order->len; i++) {
        if (g_array_index(m->order, uint32_t, i) != r.index)
            continue;
        if (i < m->synced) /* durable already: the ack was lost */
            now_durable(m, i, i + 1, out);
        return; /* written: its fsync acknowledges it */
    }
    store(m, &r, out);
    sync_if_idle(m, out);
}

static void on_ack(Mirror *m, const Msg *msg, ActionList *out)
{
    Pending *p = pending_of(m, mirror_read(msg)->index);
    if (p)
        p->mirrored = TRUE;
    answer_ready(m, out);
}

/* An fsync completed. A failure (of it, or of a write it covers) leaves nothing it covers
 * trusted: the page cache may have dropped the pages, and a later fsync would report nothing.
 * Everything not known durable is written again and fsynced again. */
static void on_synced(Mirror *m, guint covers, int result, ActionList *out)
{
    m->syncing = FALSE;
    if (result != 0 || m->failed) {
        m->failed = FALSE;
        MARK(m->marks, MIRROR_MARK_SYNC_RETRIED);
        g_autoptr(GArray) again = g_array_copy(m->order);
        g_array_set_size(m->order, m->synced);
        for (guint i = m->synced; i < again->len; i++)
            store(m, &g_array_index(m->log, MirrorRecord, g_array_index(again, uint32_t, i)), out);
    } else {
        now_durable(m, m->synced, covers, out);
        m->synced = covers;
    }
    sync_if_idle(m, out);
    if (m->primary)
        answer_ready(m, out);
}

static void on_disk(Mirror *m, const ProtoEvent *ev, ActionList *out)
{
    uint64_t kind = ev->token & ~TOK_ARG;
    if (kind == TOK_WRITE && ev->result != 0)
        m->failed = TRUE;
    else if (kind == TOK_SYNC)
        on_synced(m, (guint)(ev->token & TOK_ARG), ev->result, out);
}

static void on_resend(Mirror *m, ActionList *out)
{
    gboolean any = FALSE;
    for (guint i = 0; i < m->pending->len; i++) {
        const Pending *p = &g_array_index(m->pending, Pending, i);
        if (!p->mirrored) {
            send_copy(m, p->index, out);
            MARK(m->marks, MIRROR_MARK_COPY_RESENT);
            any = TRUE;
        }
    }
    if (any)
        act_timer(out, T_RESEND, mirror_config(m->init.config)->resend, 0);
}

/* Boot: the log is what the disk shows up to its first unreadable block (a torn tail is cut).
 * What a process crash left in the page cache may not be durable: it is fsynced before anything
 * relies on it. The primary serves what it recovered. */
static void on_boot(Mirror *m, const ProtoEvent *ev, ActionList *out)
{
    const ProtoDiskImage *img = ev->image;
    uint32_t len = 0;
    MirrorRecord r;
    while (len < img->len[0] && img->errors[0][len] == 0 &&
           mirror_decode(&img->blocks[0][len], &r) && r.index == len) {
        g_array_append_val(m->log, r);
        g_array_append_val(m->order, len);
        if (r.key < m->init.keys) {
            m->kv[r.key] = r.value;
            m->present[r.key] = TRUE;
        }
        len++;
    }
    if (len < img->len[0]) {
        MARK(m->marks, MIRROR_MARK_BOOT_TORN_TAIL);
        act_truncate(out, 0, len, TOK_TRUNC);
    }
    act_note(out, NOTE_ROLE, mirror_role(m), 0, 0, 0);
    sync_if_idle(m, out);
}

static void mirror_step(void *p, const ProtoEvent *ev, ActionList *out)
{
    Mirror *m = p;
    switch (ev->kind) {
    case PEV_BOOT:
        on_boot(m, ev, out);
        break;
    case PEV_MSG:
        if (ev->msg->type == MSG_CLIENT_REQ)
            on_client(m, ev->msg, out);
        else if (ev->msg->type == MSG_MIRROR_COPY && !m->primary)
            on_copy(m, ev->msg, out);
        else if (ev->msg->type == MSG_MIRROR_ACK && m->primary)
            on_ack(m, ev->msg, out);
        break;
    case PEV_DISK:
        on_disk(m, ev, out);
        break;
    case PEV_TIMER:
        if (ev->timer == T_RESEND)
            on_resend(m, out);
        break;
    case PEV_STOP:
        break;
    }
}

/* ---- the descriptor: model/mirror/mirror_protocol.c ---- */

static const ProtoOps mirror_ops = {
    .name = "mirror",
    .nfiles = 1, /* file 0, the log: descriptor 0 is open on it at every boot */
    .create = mirror_create,
    .destroy = mirror_destroy,
    .step = mirror_step,
    .role = mirror_role,
    .check = mirror_check,
};

static const char *const mirror_msg_names[] = {"copy", "ack"};

static void mirror_describe(const Msg *m, const MsgNames *names, GString *out)
{
    const MirrorRecord *r = mirror_read(m);
    g_string_append_printf(out, " index=%u", r->index);
}

static const MsgOps mirror_msg_ops = {
    .first = MSG_MIRROR_COPY,
    .count = MSG_MIRROR_END - MSG_MIRROR_COPY,
    .names = mirror_msg_names,
    .describe = mirror_describe,
};

static const ProtoKey mirror_keys[] = {
    {"cluster", "resend", PROTO_KEY_TIME, offsetof(MirrorConfig, resend), 0, 0, FALSE, NULL, NULL},
    {NULL},
};

static void mirror_defaults(WorldConfig *c)
{
    c->nodes = 2;
    *mirror_config_mut(c) = (MirrorConfig){.resend = 100 * SIM_MS};
}

static gboolean mirror_validate(const WorldConfig *c, GError **error)
{
    if (c->nodes != 2)
        return world_config_fail(error, "cluster", "nodes", "must be 2 for mirror, not %u",
                                 c->nodes);
    if (mirror_config(c)->resend <= 0)
        return world_config_fail(error, "cluster", "resend", "must be positive");
    return TRUE;
}

static const BugVariant mirror_bugs[MIRROR_BUG_COUNT] = {
    [MIRROR_BUG_ACK_ON_ONE_COPY] = {"ack-on-one-copy",
                                    "the primary answers a put once its own copy is durable",
                                    "lost-ack", NULL},
};

static const char *const mirror_failpoints[MIRROR_FP_END - MIRROR_FP_WRITTEN] = {
    "mirror.written",
    "mirror.answered",
};

static const Mark mirror_marks[MIRROR_MARK_COUNT] = {
    [MIRROR_MARK_PUT_ANSWERED] = {"put.answered", "a put answered with both copies durable", NULL},
    [MIRROR_MARK_BOOT_TORN_TAIL] = {"boot.torn-tail", "boot cut a torn record off the log",
                                    "needs a torn write"},
    [MIRROR_MARK_SYNC_RETRIED] = {"sync.retried", "a failed write or fsync wrote again",
                                  "needs a disk fault"},
    [MIRROR_MARK_COPY_RESENT] = {"copy.resent", "a copy not acknowledged in time was sent again",
                                 NULL},
};

static const NodeRole mirror_roles[] = {ROLE_LEADER, ROLE_FOLLOWER, ROLE_NONE};

/* Both copies are needed: a server that loses its data loses acknowledged writes. */
static void mirror_tolerance(const WorldConfig *c, ProtoTolerance *out)
{
    *out = (ProtoTolerance){.tolerated = 0, .down_counts = TRUE, .survivor = "mirror (both)"};
}

static gboolean mirror_enough_up(const WorldConfig *c, const ProtoUpView *view)
{
    return view->is_up(view->ctx, 0) && view->is_up(view->ctx, 1);
}

static SimTime mirror_patience(const WorldConfig *c)
{
    return 10 * mirror_config(c)->resend;
}

static SimRange mirror_backoff(const WorldConfig *c)
{
    return sim_range(10 * SIM_MS, 100 * SIM_MS);
}

static void mirror_swarm_cluster(WorldConfig *c, SimRng *rng)
{
    c->nodes = 2;
    mirror_config_mut(c)->resend = (SimTime)sim_rng_uniform(rng, 20, 200) * SIM_MS;
}

static const Protocol mirror_protocol = {
    .name = "mirror",
    .summary = "primary-backup: a put is answered once both servers fsynced it",
    .kinds = {{"n", "server", ROLE_NONE, &mirror_ops, NULL, MIRROR_FP_WRITTEN, MIRROR_FP_END - 1}},
    .n_kinds = 1,
    .msg = &mirror_msg_ops,
    .config_size = sizeof(MirrorConfig),
    .config_defaults = mirror_defaults,
    .keys = mirror_keys,
    .config_validate = mirror_validate,
    .final_patience = mirror_patience,
    .clients = {.door = 0},
    .client_backoff = mirror_backoff,
    .fp_first = MIRROR_FP_WRITTEN,
    .failpoints = mirror_failpoints,
    .n_failpoints = MIRROR_FP_END - MIRROR_FP_WRITTEN,
    .bugs = mirror_bugs,
    .n_bugs = MIRROR_BUG_COUNT,
    .marks = mirror_marks,
    .n_marks = MIRROR_MARK_COUNT,
    .roles = mirror_roles,
    .tolerance = mirror_tolerance,
    .swarm = {.cluster = mirror_swarm_cluster, .keys_max = 3, .failpoint_chance = {1, 2}},
    .enough_up = mirror_enough_up,
    .max_nodes = 2,
};

/* ============================================================== the step tests ==== */

#define PRIMARY 0
#define BACKUP  1
#define CLIENT  2

/* Both servers booted on fresh disks, with the bug variants `bugs`; the client is endpoint 2. */
static Steps *two_servers(BugSet bugs)
{
    WorldConfig cfg;
    world_config_init(&cfg, &mirror_protocol);
    cfg.bugs = bugs;
    Steps *s = steps_new(&cfg, 0);
    world_config_clear(&cfg);
    steps_add(s, PRIMARY, &mirror_ops, 1, FS_EXT4_ORDERED);
    steps_add(s, BACKUP, &mirror_ops, 2, FS_EXT4_ORDERED);
    steps_boot(s, PRIMARY, TRUE);
    steps_boot(s, BACKUP, TRUE);
    return s;
}

static void client_sends(Steps *s, OpKind kind, uint32_t op, KeyId key, Value value)
{
    Msg *m = msg_new(MSG_CLIENT_REQ, CLIENT, PRIMARY);
    m->u.creq = (ClientReq){.op = op, .kind = (uint8_t)kind, .key = key, .value = value};
    steps_deliver(s, m);
}

/* The answer to the client, taken from the network; NULL if none is in flight. */
static Msg *answer(Steps *s)
{
    return steps_take(s, MSG_CLIENT_RESP, PRIMARY, CLIENT);
}

/* The durable record at block `index` of a server's log, or FALSE. */
static gboolean durable_record(Steps *s, EndpointId id, uint32_t index, MirrorRecord *out)
{
    DiskBlock b;
    return disk_durable_block(s->node[id].disk, 0, index, &b) && mirror_decode(&b, out);
}

/* A put is answered only once both copies are durable: the primary's write and fsync, then the
 * copy, written and fsynced by the backup before it acknowledges, in that order. */
static void test_mirror_put_is_answered_once_both_copies_are_durable(void **state)
{
    Steps *s = two_servers(0);
    guint m0 = steps_mark(s);
    client_sends(s, OP_PUT, 1, 0, 42);
    assert_int_equal(steps_out_pos(s, ACT_WRITE, -1), 0);
    assert_true(steps_out_pos(s, ACT_FAILPOINT, MIRROR_FP_WRITTEN) <
                steps_out_pos(s, ACT_FSYNC, -1));
    assert_int_equal(steps_out_sends(s, MSG_MIRROR_COPY, BACKUP), 1);
    steps_disk_all(s, PRIMARY);
    MirrorRecord r;
    assert_true(durable_record(s, PRIMARY, 0, &r));
    assert_null(answer(s)); /* one copy is not enough */

    steps_deliver(s, steps_take(s, MSG_MIRROR_COPY, PRIMARY, BACKUP));
    assert_int_equal(steps_disk_one(s, BACKUP), ACT_WRITE);
    assert_null(steps_peek(s, MSG_MIRROR_ACK, BACKUP, PRIMARY)); /* written, not durable */
    assert_int_equal(steps_disk_one(s, BACKUP), ACT_FSYNC);
    assert_true(durable_record(s, BACKUP, 0, &r));
    assert_int_equal(r.value, 42);

    steps_deliver(s, steps_take(s, MSG_MIRROR_ACK, BACKUP, PRIMARY));
    Msg *a = answer(s);
    assert_non_null(a);
    assert_true(a->u.cresp.ok);
    assert_int_equal(a->u.cresp.op, 1);
    msg_free(a);
    assert_non_null(steps_acted(s, m0, PRIMARY, ACT_CANCEL, -1)); /* nothing left to resend */
    steps_free(s);
}

/* Bug variant ack-on-one-copy: the primary answers as soon as its own fsync completes, while the
 * backup holds nothing (a lost ack if the primary's disk is lost now). */
static void test_mirror_bug_ack_on_one_copy_answers_before_the_backup_holds_it(void **state)
{
    guint bit;
    assert_true(protocol_bug_parse(&mirror_protocol, "ack-on-one-copy", &bit));
    Steps *s = two_servers((BugSet)1 << bit);
    client_sends(s, OP_PUT, 1, 0, 42);
    steps_disk_all(s, PRIMARY);
    Msg *a = answer(s);
    assert_non_null(a);
    assert_true(a->u.cresp.ok);
    msg_free(a);
    MirrorRecord r;
    assert_false(durable_record(s, BACKUP, 0, &r));
    steps_free(s);
}

/* A failed fsync trusts nothing it covered: the record is written again and fsynced again, and
 * the put is answered only after that fsync succeeds. */
static void test_mirror_failed_fsync_writes_again_before_answering(void **state)
{
    Steps *s = two_servers(0);
    client_sends(s, OP_PUT, 1, 0, 42);
    assert_int_equal(steps_disk_one(s, PRIMARY), ACT_WRITE);
    guint m0 = steps_mark(s);
    steps_disk_fail(s, PRIMARY, EIO); /* the fsync */
    const ProtoAction *w = steps_acted(s, m0, PRIMARY, ACT_WRITE, 0);
    assert_non_null(w);
    assert_int_equal(w->index, 0);
    assert_non_null(steps_acted(s, m0, PRIMARY, ACT_FSYNC, 0));
    steps_deliver(s, steps_take(s, MSG_MIRROR_COPY, PRIMARY, BACKUP));
    steps_disk_all(s, BACKUP);
    steps_deliver(s, steps_take(s, MSG_MIRROR_ACK, BACKUP, PRIMARY));
    assert_null(answer(s)); /* the backup's copy alone is not enough either */
    steps_disk_all(s, PRIMARY);
    Msg *a = answer(s);
    assert_non_null(a);
    assert_true(a->u.cresp.ok);
    msg_free(a);
    steps_free(s);
}

/* A copy the backup never acknowledged is sent again when the resend timer fires. */
static void test_mirror_lost_copy_is_sent_again(void **state)
{
    Steps *s = two_servers(0);
    client_sends(s, OP_PUT, 1, 0, 42);
    steps_disk_all(s, PRIMARY);
    steps_drop(s, PRIMARY, BACKUP); /* the network loses the copy */
    SimTime due = steps_timer_due(s, PRIMARY, T_RESEND);
    assert_int_equal(due, mirror_config(&s->cfg)->resend);
    guint m0 = steps_mark(s);
    steps_advance(s, due);
    assert_int_equal(steps_sent_count(s, m0, PRIMARY, MSG_MIRROR_COPY, BACKUP), 1);
    steps_pump(s);
    Msg *a = answer(s);
    assert_non_null(a);
    assert_true(a->u.cresp.ok);
    msg_free(a);
    steps_free(s);
}

/* A process crash loses memory, not the page cache: the restarted primary reads its log back,
 * fsyncs it before relying on it, and serves the value it had answered. */
static void test_mirror_restarted_primary_serves_what_it_answered(void **state)
{
    Steps *s = two_servers(0);
    client_sends(s, OP_PUT, 1, 0, 42);
    steps_pump(s);
    msg_free(answer(s));
    steps_crash(s, PRIMARY);
    guint m0 = steps_mark(s);
    steps_boot(s, PRIMARY, FALSE);
    assert_non_null(steps_acted(s, m0, PRIMARY, ACT_FSYNC, 0));
    client_sends(s, OP_GET, 2, 0, 0);
    Msg *a = answer(s);
    assert_non_null(a);
    assert_true(a->u.cresp.ok && a->u.cresp.present);
    assert_int_equal(a->u.cresp.value, 42);
    msg_free(a);
    steps_free(s);
}

/* The descriptor answers for the protocol: its settings are checked, its names parse. */
static void test_mirror_descriptor_checks_settings_and_names(void **state)
{
    WorldConfig cfg;
    world_config_init(&cfg, &mirror_protocol);
    g_autoptr(GError) err = NULL;
    assert_true(mirror_validate(&cfg, &err));
    cfg.nodes = 3;
    assert_false(mirror_validate(&cfg, &err));
    assert_non_null(strstr(err->message, "nodes"));
    world_config_clear(&cfg);
    FailpointId fp;
    assert_true(protocol_failpoint_parse(&mirror_protocol, "mirror.answered", &fp));
    assert_int_equal(fp, MIRROR_FP_ANSWERED);
    assert_false(protocol_failpoint_parse(&mirror_protocol, "raft.elected", &fp));
    guint bit;
    assert_false(protocol_bug_parse(&mirror_protocol, "ack-before-fsync", &bit));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mirror_put_is_answered_once_both_copies_are_durable),
        cmocka_unit_test(test_mirror_bug_ack_on_one_copy_answers_before_the_backup_holds_it),
        cmocka_unit_test(test_mirror_failed_fsync_writes_again_before_answering),
        cmocka_unit_test(test_mirror_lost_copy_is_sent_again),
        cmocka_unit_test(test_mirror_restarted_primary_serves_what_it_answered),
        cmocka_unit_test(test_mirror_descriptor_checks_settings_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
