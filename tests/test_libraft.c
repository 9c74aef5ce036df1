/* tests/test_libraft.c — the hosted canonical raft (model/libraft/) through its sans-IO step
 * function, without the simulator.
 *
 * A small deterministic harness (Net) plays the node runtime for 3-4 instances created through
 * libraft_create: a time-ordered event list delivers messages after 1 ms (unless the link is
 * cut), fires timers, and completes disk operations one at a time per node, 1 ms each, on a real
 * model/world/disk.c Disk, so the tests can inject fsync and write errors, crash a process (the
 * page cache survives) or cut the power (it does not) and restart from what the disk returns.
 * Clients are endpoints n..; their replies are collected. After every step libraft_ops.check
 * runs. The unit tests of the codec and the storage format come first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/libraft/libraft_internal.h"
#include "sim/protocols.h"
#include "model/world/disk.h"
#include "reports/raft/raft_durable.h"

#include <errno.h>
#include <string.h>

#define MAXN 4
#define MS   SIM_MS

typedef enum { EV_MSG, EV_TIMER, EV_DISK } EvKind;

typedef struct {
    SimTime at;
    uint64_t seq;
    EvKind kind;
    guint node;
    uint32_t life; /* the incarnation it belongs to */
    uint32_t slot, gen;
    uint64_t token;
    Msg *msg;
    ProtoAction op; /* EV_DISK: the operation */
} Ev;

typedef struct {
    WorldConfig cfg;
    LibraftParams params;
    guint n;
    void *p[MAXN];
    ProtoInit init[MAXN];
    SimRng rng[MAXN];
    Disk *disk[MAXN];
    uint32_t life[MAXN];
    uint32_t gen[MAXN][4];
    SimTime disk_busy[MAXN];
    gboolean cut[MAXN][MAXN];
    GArray *evs; /* of Ev, sorted by (at, seq) */
    uint64_t seq;
    SimTime now;
    GArray *replies; /* of ClientResp (from, in u.cresp.hint's place: see reply_from) */
    GArray *reply_from;
    guint applies[MAXN];
    guint elected;
    guint unpersisted; /* acks of appended entries that left before the entries were synced */
    SimRng power;
} Net;

/* Whether an AppendEntriesResult leaving node i claims an entry its disk has not synced (the
 * last one it claims: below it may be a hole an installed snapshot left). */
static gboolean claims_unsynced(const Net *t, guint i, const Msg *m)
{
    const uint8_t *b = m->extra;
    uint64_t rejected, last;
    if (m->type != MSG_LIBRAFT || m->extra_count != 33 || b[0] != RAFT_IO_APPEND_ENTRIES_RESULT)
        return FALSE;
    memcpy(&rejected, b + 17, 8);
    memcpy(&last, b + 25, 8);
    const LRNode *n = t->p[i];
    if (rejected != 0 || last == 0 || n->snap.index >= last) /* a durable snapshot covers it */
        return FALSE;
    guint file;
    uint32_t block;
    return !raft_log_locate(t->disk[i], last, TRUE, &file, &block) ||
           !disk_is_durable(t->disk[i], file, block);
}

static void push(Net *t, Ev e)
{
    e.seq = t->seq++;
    guint i = t->evs->len;
    while (i > 0) {
        Ev *o = &g_array_index(t->evs, Ev, i - 1);
        if (o->at < e.at || (o->at == e.at && o->seq < e.seq))
            break;
        i--;
    }
    g_array_insert_val(t->evs, i, e);
}

static void run_actions(Net *t, guint i, ActionList *out)
{
    for (guint k = 0; k < out->len; k++) {
        ProtoAction *a = &out->items[k];
        switch (a->kind) {
        case ACT_SEND: {
            Msg *m = a->msg;
            a->msg = NULL;
            if (claims_unsynced(t, i, m))
                t->unpersisted++;
            if (m->to >= t->n) {
                g_array_append_val(t->replies, m->u.cresp);
                g_array_append_val(t->reply_from, m->from);
                msg_free(m);
            } else if (t->cut[i][m->to]) {
                msg_free(m);
            } else {
                push(t, (Ev){.at = t->now + 1 * MS, .kind = EV_MSG, .node = m->to, .msg = m});
            }
            break;
        }
        case ACT_WRITE:
        case ACT_TRUNCATE:
        case ACT_FSYNC:
        case ACT_READ:
        case ACT_OPEN:
        case ACT_CLOSE:
        case ACT_MKDIR:
        case ACT_UNLINK:
        case ACT_RENAME:
        case ACT_FDATASYNC:
            t->disk_busy[i] = MAX(t->disk_busy[i], t->now) + 1 * MS;
            push(t, (Ev){.at = t->disk_busy[i],
                         .kind = EV_DISK,
                         .node = i,
                         .life = t->life[i],
                         .token = a->token,
                         .op = *a});
            break;
        case ACT_TIMER:
            push(t, (Ev){.at = t->now + a->delay,
                         .kind = EV_TIMER,
                         .node = i,
                         .life = t->life[i],
                         .slot = a->timer,
                         .gen = ++t->gen[i][a->timer],
                         .token = a->token});
            break;
        case ACT_CANCEL:
            t->gen[i][a->timer]++;
            break;
        case ACT_NOTE:
            if (a->sub == NOTE_APPLY)
                t->applies[i]++;
            break;
        case ACT_FAILPOINT:
            if (a->sub == LIBRAFT_FP_ELECTED)
                t->elected++;
            break;
        default:
            break;
        }
    }
}

static void step(Net *t, guint i, const ProtoEvent *ev)
{
    ActionList out;
    action_list_init(&out);
    libraft_ops.step(t->p[i], ev, &out);
    libraft_ops.check(t->p[i], TRUE);
    run_actions(t, i, &out);
    action_list_clear(&out);
}

static void boot(Net *t, guint i)
{
    t->life[i]++;
    t->init[i] = (ProtoInit){.config = &t->cfg,
                             .self = (EndpointId)i,
                             .nodes = t->n,
                             .keys = t->cfg.keys,
                             .clients = t->cfg.clients,
                             .rng = &t->rng[i],
                             .bugs = t->cfg.bugs,
                             .incarnation = t->life[i]};
    t->p[i] = libraft_create(&t->init[i], &t->params);
    /* The namespace as the page cache shows it, every file read whole (as the runtime reads it). */
    const Disk *d = t->disk[i];
    g_autoptr(GArray) list = disk_list(d);
    ProtoFileImage *ents = g_new0(ProtoFileImage, list->len ? list->len : 1);
    for (guint k = 0; k < list->len; k++) {
        const DiskEntryInfo *info = &g_array_index(list, DiskEntryInfo, k);
        ProtoFileImage *e = &ents[k];
        memcpy(e->path, info->path, sizeof e->path);
        e->is_dir = info->is_dir;
        uint32_t len = info->is_dir ? 0 : disk_length(d, (guint)info->file);
        DiskBlock *blocks = g_new0(DiskBlock, len ? len : 1);
        int *errors = g_new0(int, len ? len : 1);
        for (uint32_t b = 0; b < len; b++)
            errors[b] = disk_read(d, (guint)info->file, b, &blocks[b]);
        e->len = len;
        e->blocks = blocks;
        e->errors = errors;
    }
    ProtoDiskImage img = {.nentries = list->len, .entries = ents};
    ProtoEvent ev = {.kind = PEV_BOOT, .now = t->now, .image = &img, .first_boot = t->life[i] == 1};
    step(t, i, &ev);
    for (guint k = 0; k < list->len; k++) {
        g_free((gpointer)ents[k].blocks);
        g_free((gpointer)ents[k].errors);
    }
    g_free(ents);
}

/* The process dies; with `power`, the page cache too. */
static void crash(Net *t, guint i, gboolean power)
{
    libraft_ops.destroy(t->p[i]);
    t->p[i] = NULL;
    t->life[i]++;
    t->disk_busy[i] = 0;
    disk_close_all(t->disk[i]); /* the process's descriptors go with it */
    if (power)
        disk_power_loss(t->disk[i], &t->power);
}

static Net *net_new(guint n, guint clients, BugSet bugs)
{
    Net *t = g_new0(Net, 1);
    world_config_init(&t->cfg, &libraft_protocol);
    t->cfg.nodes = n;
    t->cfg.clients = clients;
    t->cfg.keys = 3;
    libraft_params_default(&t->params, &t->cfg);
    t->cfg.bugs = bugs;
    t->params.election_ms = 100;
    t->params.heartbeat_ms = 20;
    t->n = n;
    t->evs = g_array_new(FALSE, FALSE, sizeof(Ev));
    t->replies = g_array_new(FALSE, FALSE, sizeof(ClientResp));
    t->reply_from = g_array_new(FALSE, FALSE, sizeof(EndpointId));
    t->now = 1 * SIM_SEC;
    sim_rng_seed(&t->power, 7);
    for (guint i = 0; i < n; i++) {
        t->disk[i] = disk_new(FS_EXT4_ORDERED, 0);
        sim_rng_seed(&t->rng[i], 100 + i);
    }
    return t;
}

static void net_start(Net *t)
{
    for (guint i = 0; i < t->n; i++)
        boot(t, i);
}

static void net_free(Net *t)
{
    if (t->cfg.bugs == 0)
        assert_int_equal(t->unpersisted, 0);
    for (guint i = 0; i < t->n; i++) {
        if (t->p[i])
            libraft_ops.destroy(t->p[i]);
        disk_free(t->disk[i]);
    }
    for (guint k = 0; k < t->evs->len; k++)
        msg_free(g_array_index(t->evs, Ev, k).msg);
    g_array_free(t->evs, TRUE);
    g_array_free(t->replies, TRUE);
    g_array_free(t->reply_from, TRUE);
    world_config_clear(&t->cfg);
    g_free(t);
}

static int disk_op(Net *t, guint i, const ProtoAction *a)
{
    Disk *d = t->disk[i];
    switch (a->kind) {
    case ACT_WRITE:
        return disk_pwrite(d, a->file, a->index, &a->block);
    case ACT_TRUNCATE:
        return disk_ftruncate(d, a->file, a->index);
    case ACT_OPEN:
        return disk_open(d, a->file, a->path, a->count);
    case ACT_CLOSE:
        return disk_close(d, a->file);
    case ACT_MKDIR:
        return disk_mkdir(d, a->path);
    case ACT_UNLINK:
        return disk_unlink(d, a->path);
    case ACT_RENAME:
        return disk_rename(d, a->path, a->path2);
    default:
        return disk_fdsync(d, a->file, a->kind == ACT_FDATASYNC);
    }
}

/* A read of `count` blocks, as one completion (blocks past the end read as empty). */
static void read_done(Net *t, guint i, const Ev *e)
{
    uint32_t count = e->op.count;
    DiskBlock *blocks = g_new0(DiskBlock, count);
    int *results = g_new0(int, count);
    int first = 0;
    for (uint32_t k = 0; k < count; k++) {
        if (!disk_fd_is_open(t->disk[i], e->op.file))
            results[k] = EBADF;
        else if (e->op.index + k < disk_fd_length(t->disk[i], e->op.file))
            results[k] = disk_pread(t->disk[i], e->op.file, e->op.index + k, &blocks[k]);
        if (first == 0)
            first = results[k];
    }
    ProtoEvent ev = {.kind = PEV_DISK,
                     .now = t->now,
                     .token = e->token,
                     .result = first,
                     .block = blocks,
                     .count = count,
                     .blocks = blocks,
                     .results = results};
    step(t, i, &ev);
    g_free(blocks);
    g_free(results);
}

static void fire(Net *t, Ev *e)
{
    guint i = e->node;
    t->now = MAX(t->now, e->at);
    if (e->kind == EV_MSG) {
        if (t->p[i] != NULL) {
            ProtoEvent ev = {.kind = PEV_MSG, .now = t->now, .msg = e->msg};
            step(t, i, &ev);
        }
        msg_free(e->msg);
        return;
    }
    if (t->p[i] == NULL || e->life != t->life[i])
        return;
    if (e->kind == EV_TIMER) {
        if (e->gen != t->gen[i][e->slot])
            return;
        ProtoEvent ev = {.kind = PEV_TIMER, .now = t->now, .timer = e->slot, .token = e->token};
        step(t, i, &ev);
        return;
    }
    if (e->op.kind == ACT_READ) {
        read_done(t, i, e);
        return;
    }
    int r = disk_op(t, i, &e->op);
    ProtoEvent ev = {.kind = PEV_DISK, .now = t->now, .token = e->token, .result = r};
    step(t, i, &ev);
}

static void run_until(Net *t, SimTime until)
{
    while (t->evs->len > 0 && g_array_index(t->evs, Ev, 0).at <= until) {
        Ev e = g_array_index(t->evs, Ev, 0);
        g_array_remove_index(t->evs, 0);
        fire(t, &e);
    }
    t->now = MAX(t->now, until);
}

static int leader(const Net *t)
{
    int found = -1;
    for (guint i = 0; i < t->n; i++)
        if (t->p[i] != NULL && libraft_state(t->p[i]) == RAFT_LEADER) {
            if (found < 0 || libraft_term(t->p[i]) > libraft_term(t->p[found]))
                found = (int)i;
        }
    return found;
}

/* Client 0's request to node i; returns the reply (or fails the test after 2 s). */
static ClientResp request(Net *t, guint i, OpKind kind, KeyId key, Value v, uint32_t op)
{
    Msg *m = msg_new(MSG_CLIENT_REQ, (EndpointId)t->n, (EndpointId)i);
    m->u.creq = (ClientReq){
        .op = op, .kind = kind, .key = key, .value = v, .idem = ((IdemKey)1 << 32) | op};
    guint before = t->replies->len;
    push(t, (Ev){.at = t->now + 1 * MS, .kind = EV_MSG, .node = i, .msg = m});
    SimTime deadline = t->now + 2 * SIM_SEC;
    while (t->replies->len == before && t->now < deadline)
        run_until(t, t->now + 1 * MS);
    assert_true(t->replies->len > before);
    return g_array_index(t->replies, ClientResp, before);
}

/* Writes through whoever leads, following hints; returns the attempts it took. */
static guint write_through(Net *t, OpKind kind, KeyId key, Value v, uint32_t op)
{
    for (guint attempt = 1; attempt <= 50; attempt++) {
        int l = leader(t);
        if (l < 0) {
            run_until(t, t->now + 50 * MS);
            continue;
        }
        ClientResp r = request(t, (guint)l, kind, key, v, op);
        if (r.ok)
            return attempt;
        run_until(t, t->now + 20 * MS);
    }
    fail_msg("write %u never succeeded", op);
    return 0;
}

static void assert_no_leaks(void)
{
    guint leaked, double_frees;
    libraft_heap_findings(&leaked, &double_frees);
    assert_int_equal(leaked, 0);
    assert_int_equal(double_frees, 0);
}

/* ---- codec and formats ---- */

static void test_codec_round_trip(void **state)
{
    LRHeap *h = lr_heap_new();
    lr_heap_use(h);
    uint8_t cmd[LR_COMMAND_LEN];
    LRCommand c = {7, OP_ADD, 4, 2, -5, ((IdemKey)2 << 32) | 9}, d;
    lr_command_encode(&c, cmd);
    struct raft_entry ents[2] = {{.term = 7, .type = RAFT_COMMAND, .buf = {cmd, sizeof cmd}},
                                 {.term = 7, .type = RAFT_BARRIER, .buf = {cmd, 8}}};
    struct raft_message m = {.type = RAFT_IO_APPEND_ENTRIES};
    m.append_entries = (struct raft_append_entries){7, 10, 6, 9, ents, 2};
    uint32_t len;
    uint8_t *bytes = lr_msg_encode(&m, 3, &len);
    struct raft_message out;
    char addr[24];
    assert_true(lr_msg_decode(bytes, len, &out, addr, sizeof addr));
    assert_int_equal(out.server_id, 3);
    assert_string_equal(out.server_address, "3");
    assert_int_equal(out.append_entries.prev_log_index, 10);
    assert_int_equal(out.append_entries.n_entries, 2);
    assert_true(lr_command_decode(out.append_entries.entries[0].buf.base,
                                  out.append_entries.entries[0].buf.len, &d));
    assert_int_equal(d.idem, c.idem);
    assert_int_equal(d.value, -5);
    assert_int_equal(out.append_entries.entries[1].type, RAFT_BARRIER);
    lr_msg_release(&out);
    /* Every truncation of the encoding is malformed, never a crash. */
    for (uint32_t cut = 0; cut < len; cut++)
        if (lr_msg_decode(bytes, cut, &out, addr, sizeof addr))
            fail_msg("a cut at %u of %u decoded", cut, len);
    g_free(bytes);
    lr_heap_use(NULL);
    guint leaked, doubles;
    lr_heap_free(h, &leaked, &doubles);
    assert_int_equal(leaked, 0);
}

static void test_entry_records(void **state)
{
    LRHeap *h = lr_heap_new();
    lr_heap_use(h);
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    raft_configuration_add(&conf, 1, "1", RAFT_VOTER);
    raft_configuration_add(&conf, 2, "2", RAFT_VOTER);
    raft_configuration_add(&conf, 4, "4", RAFT_SPARE);
    struct raft_entry e = {.term = 3, .type = RAFT_CHANGE};
    assert_int_equal(raft_configuration_encode(&conf, &e.buf), 0);
    RaftEntry rec;
    assert_true(lr_entry_to_record(&e, 12, &rec));
    assert_int_equal(rec.kind, OP_NOOP);
    assert_int_equal(rec.key, LR_KEY_CHANGE);
    DiskBlock b;
    raft_encode_entry(&b, &rec);
    RaftEntry back;
    assert_int_equal(raft_decode_entry(&b, &back), BLOCK_OK);
    struct raft_entry e2;
    assert_true(lr_record_to_entry(&back, &e2));
    assert_int_equal(e2.type, RAFT_CHANGE);
    assert_int_equal(e2.buf.len, e.buf.len);
    assert_memory_equal(e2.buf.base, e.buf.base, e.buf.len);
    raft_free(e.buf.base);
    raft_free(e2.buf.base);
    raft_configuration_close(&conf);
    lr_heap_use(NULL);
    guint leaked, doubles;
    lr_heap_free(h, &leaked, &doubles);
    assert_int_equal(leaked, 0);
}

/* ---- clusters ---- */

static void test_elects_and_commits(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    int l = leader(t);
    assert_true(l >= 0);
    assert_true(t->elected >= 1);
    for (uint32_t op = 1; op <= 30; op++)
        write_through(t, op % 3 == 0 ? OP_PUT : OP_ADD, op % 3, op, op);
    run_until(t, t->now + 500 * MS);
    /* Every server applied the same commands and holds the same values. */
    for (KeyId k = 0; k < 3; k++) {
        Value v0, v;
        assert_true(libraft_value(t->p[0], k, &v0));
        for (guint i = 1; i < 3; i++) {
            assert_true(libraft_value(t->p[i], k, &v));
            assert_int_equal(v, v0);
        }
    }
    /* The log is on each disk in raft's format, durable. */
    for (guint i = 0; i < 3; i++) {
        guint commands = 0;
        RaftEntry e;
        for (uint64_t index = 1; raft_durable_entry(t->disk[i], index, &e); index++)
            commands += e.kind != OP_NOOP;
        assert_int_equal(commands, 30);
        /* In named files whose names are durable: raft's meta and segments, the snapshot. */
        assert_true(disk_lookup(t->disk[i], RAFT_META_PATH, TRUE) >= 0);
        assert_true(disk_lookup(t->disk[i], "log/00000000", TRUE) >= 0);
        assert_true(disk_lookup(t->disk[i], LIBRAFT_SNAP_PATH, TRUE) >= 0);
        RaftMeta meta;
        assert_true(raft_durable_meta(t->disk[i], &meta));
        assert_int_equal(meta.term, libraft_term(t->p[i]));
        assert_int_equal(libraft_stats(t->p[i])->applied, 30);
    }
    net_free(t);
    assert_no_leaks();
}

static void test_read_is_a_barrier_and_follower_refuses(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    write_through(t, OP_PUT, 1, 42, 1);
    int l = leader(t);
    guint appends = (guint)libraft_stats(t->p[l])->appends;
    ClientResp r = request(t, (guint)l, OP_GET, 1, 0, 2);
    assert_true(r.ok);
    assert_true(r.present);
    assert_int_equal(r.value, 42);
    assert_true(libraft_stats(t->p[l])->appends > appends); /* the barrier entry */
    guint f = ((guint)l + 1) % 3;
    r = request(t, f, OP_GET, 1, 0, 3);
    assert_false(r.ok);
    assert_int_equal(r.reason, FAIL_NOT_LEADER);
    assert_int_equal(r.hint, l);
    assert_true(r.definite);
    net_free(t);
    assert_no_leaks();
}

/* A retried write (same idempotency key) is applied once. */
static void test_retry_is_applied_once(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    write_through(t, OP_ADD, 0, 5, 1);
    write_through(t, OP_ADD, 0, 5, 1);
    run_until(t, t->now + 200 * MS);
    Value v;
    assert_true(libraft_value(t->p[leader(t)], 0, &v));
    assert_int_equal(v, 5);
    net_free(t);
    assert_no_leaks();
}

static void assert_same_values(Net *t)
{
    for (KeyId k = 0; k < 3; k++) {
        Value v0 = 0, v = 0;
        gboolean p0 = libraft_value(t->p[0], k, &v0);
        for (guint i = 1; i < t->n; i++) {
            assert_int_equal(libraft_value(t->p[i], k, &v), p0);
            if (p0)
                assert_int_equal(v, v0);
        }
    }
}

static void test_power_cut_and_restart_keeps_acked(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    for (uint32_t op = 1; op <= 20; op++)
        write_through(t, OP_ADD, 0, 1, op);
    int l = leader(t);
    crash(t, (guint)l, TRUE);
    run_until(t, t->now + 300 * MS);
    boot(t, (guint)l);
    for (uint32_t op = 21; op <= 40; op++)
        write_through(t, OP_ADD, 0, 1, op);
    run_until(t, t->now + 1 * SIM_SEC);
    Value v;
    assert_true(libraft_value(t->p[l], 0, &v));
    assert_int_equal(v, 40); /* every acked add, once, on the restarted server too */
    assert_same_values(t);
    net_free(t);
    assert_no_leaks();
}

/* set_term's fsync fails: the library gets RAFT_IOERR (0.15 then makes itself unavailable for
 * good), and the host restarts it from what is durable; the server rejoins by itself. */
static void test_failed_set_term_reaches_library(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    guint f = ((guint)leader(t) + 1) % 3;
    for (guint j = 0; j < 3; j++)
        t->cut[f][j] = t->cut[j][f] = TRUE;
    disk_fail_fsyncs(t->disk[f], EIO, 1);
    run_until(t, t->now + 1 * SIM_SEC); /* it times out and campaigns: set_term */
    assert_int_equal(libraft_stats(t->p[f])->durable_errors, 1);
    assert_int_equal(libraft_stats(t->p[f])->restarts, 1);
    for (guint j = 0; j < 3; j++)
        t->cut[f][j] = t->cut[j][f] = FALSE;
    write_through(t, OP_PUT, 2, 9, 1);
    run_until(t, t->now + 1 * SIM_SEC);
    assert_int_equal(libraft_state(t->p[f]), RAFT_FOLLOWER);
    assert_same_values(t);
    net_free(t);
    assert_no_leaks();
}

/* A follower's append fsync fails: the append completes with RAFT_IOERR; the cluster commits. */
static void test_failed_append_reaches_library(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    guint f = ((guint)leader(t) + 1) % 3;
    disk_fail_fsyncs(t->disk[f], EIO, 1);
    write_through(t, OP_PUT, 1, 3, 1);
    run_until(t, t->now + 500 * MS);
    assert_true(libraft_stats(t->p[f])->append_errors >= 1);
    net_free(t);
    assert_no_leaks();
}

/* Every block of the file `path` that the disk holds reads back (no latent sector error is
 * left). */
static void assert_readable(Net *t, guint i, const char *path, uint32_t upto)
{
    gint f = disk_lookup(t->disk[i], path, FALSE);
    assert_true(f >= 0);
    for (uint32_t b = 0; b < MIN(upto, disk_length(t->disk[i], (guint)f)); b++) {
        DiskBlock blk;
        assert_int_equal(disk_read(t->disk[i], (guint)f, b, &blk), 0);
    }
}

/* Latent sector errors under a running follower: the scrub finds them and writes the blocks
 * again from what it wrote, so a later power cut loses nothing. */
static void test_scrub_rewrites_bad_blocks(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    for (uint32_t op = 1; op <= 10; op++)
        write_through(t, OP_ADD, 0, 1, op);
    guint f = ((guint)leader(t) + 1) % 3;
    run_until(t, t->now + 100 * MS);
    SimRng rng;
    sim_rng_seed(&rng, 3);
    assert_true(disk_add_sector_errors(t->disk[f], &rng, 3) > 0);
    run_until(t, t->now + 3 * SIM_SEC);
    assert_true(libraft_stats(t->p[f])->scrub_repairs >= 1);
    assert_readable(t, f, "log/00000000", 11);
    assert_readable(t, f, RAFT_META_PATH, 2);
    crash(t, f, TRUE);
    boot(t, f);
    run_until(t, t->now + 1 * SIM_SEC);
    assert_int_equal(libraft_stats(t->p[f])->repairs, 0); /* nothing was damaged any more */
    Value v;
    assert_true(libraft_value(t->p[f], 0, &v));
    assert_int_equal(v, 10);
    net_free(t);
    assert_no_leaks();
}

/* A server that finds its log unreadable at boot does not start the library on a shorter log:
 * it rebuilds from its peers, then rejoins; every acknowledged write survives. */
static void test_damaged_boot_repairs_from_peers(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    for (uint32_t op = 1; op <= 10; op++)
        write_through(t, OP_ADD, 0, 1, op);
    guint f = ((guint)leader(t) + 1) % 3;
    run_until(t, t->now + 100 * MS);
    crash(t, f, TRUE);
    SimRng rng;
    sim_rng_seed(&rng, 5);
    assert_true(disk_add_sector_errors(t->disk[f], &rng, 4) > 0);
    boot(t, f);
    run_until(t, t->now + 1 * SIM_SEC);
    assert_int_equal(libraft_stats(t->p[f])->repairs, 1);
    assert_int_equal(libraft_state(t->p[f]), RAFT_FOLLOWER);
    for (uint32_t op = 11; op <= 15; op++)
        write_through(t, OP_ADD, 0, 1, op);
    run_until(t, t->now + 500 * MS);
    Value v;
    assert_true(libraft_value(t->p[f], 0, &v));
    assert_int_equal(v, 15);
    assert_same_values(t);
    net_free(t);
    assert_no_leaks();
}

/* A lost disk (empty after a first boot) is repaired the same way; while too few peers answer
 * the server waits, without starting the library. */
static void test_lost_disk_waits_for_peers(void **state)
{
    Net *t = net_new(3, 1, 0);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    for (uint32_t op = 1; op <= 5; op++)
        write_through(t, OP_ADD, 2, 1, op);
    guint f = ((guint)leader(t) + 1) % 3, g = (f + 1) % 3;
    crash(t, f, TRUE);
    disk_free(t->disk[f]);
    t->disk[f] = disk_new(FS_EXT4_ORDERED, 0);
    for (guint j = 0; j < 3; j++)
        t->cut[g][j] = t->cut[j][g] = TRUE;
    boot(t, f);
    run_until(t, t->now + 1 * SIM_SEC);
    assert_int_equal(libraft_state(t->p[f]), RAFT_UNAVAILABLE); /* one answer of the two */
    for (guint j = 0; j < 3; j++)
        t->cut[g][j] = t->cut[j][g] = FALSE;
    run_until(t, t->now + 2 * SIM_SEC);
    assert_int_equal(libraft_stats(t->p[f])->repairs, 1);
    write_through(t, OP_ADD, 2, 1, 6);
    run_until(t, t->now + 500 * MS);
    Value v;
    assert_true(libraft_value(t->p[f], 2, &v));
    assert_int_equal(v, 6);
    net_free(t);
    assert_no_leaks();
}

/* Snapshots every 8 entries; a follower down meanwhile gets InstallSnapshot when it returns. */
static void test_snapshot_and_install(void **state)
{
    Net *t = net_new(3, 1, 0);
    t->params.snapshot_threshold = 8;
    t->params.snapshot_trailing = 2;
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    guint f = ((guint)leader(t) + 1) % 3;
    crash(t, f, FALSE);
    for (uint32_t op = 1; op <= 40; op++)
        write_through(t, OP_ADD, 1, 2, op);
    run_until(t, t->now + 500 * MS);
    assert_true(libraft_stats(t->p[leader(t)])->snapshots_put >= 1);
    boot(t, f);
    run_until(t, t->now + 2 * SIM_SEC);
    assert_true(libraft_stats(t->p[f])->installs >= 1);
    Value v;
    assert_true(libraft_value(t->p[f], 1, &v));
    assert_int_equal(v, 80);
    /* And it restarts from its snapshot. */
    crash(t, f, TRUE);
    boot(t, f);
    run_until(t, t->now + 1 * SIM_SEC);
    assert_true(libraft_value(t->p[f], 1, &v));
    assert_int_equal(v, 80);
    net_free(t);
    assert_no_leaks();
}

/* The bug variant: the follower's ack leaves before its fsync. */
/* Operations on the cluster through the library's own calls: a spare is assigned a voter and
 * replicates from then on; the leader hands over to a follower; a removed server receives
 * nothing after its removal; a refused change is definite. */
static void test_membership_and_transfer(void **state)
{
    Net *t = net_new(4, 1, 0);
    t->params.voters = 3; /* n4 a spare */
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    write_through(t, OP_PUT, 0, 1, 1);
    Value v;
    assert_false(libraft_value(t->p[3], 0, &v)); /* a spare replicates nothing */
    int l = leader(t);
    ClientResp r = request(t, (guint)l, OP_ADD_SERVER, KEY_NONE, 3, 2);
    assert_true(r.ok);
    write_through(t, OP_PUT, 0, 2, 3);
    run_until(t, t->now + 300 * MS);
    assert_true(libraft_value(t->p[3], 0, &v));
    assert_int_equal(v, 2);
    /* Adding it again: in force and committed, ok. */
    r = request(t, (guint)leader(t), OP_ADD_SERVER, KEY_NONE, 3, 4);
    assert_true(r.ok);
    /* A transfer to another voter. */
    l = leader(t);
    guint to = ((guint)l + 1) % 4;
    r = request(t, (guint)l, OP_TRANSFER, KEY_NONE, to, 5);
    assert_true(r.ok);
    assert_int_equal(leader(t), (int)to);
    /* Removing a follower: nothing reaches it afterwards. */
    l = leader(t);
    guint gone = ((guint)l + 1) % 4;
    r = request(t, (guint)l, OP_REMOVE_SERVER, KEY_NONE, gone, 6);
    assert_true(r.ok);
    write_through(t, OP_PUT, 0, 3, 7);
    run_until(t, t->now + 300 * MS);
    assert_true(libraft_value(t->p[gone], 0, &v));
    assert_int_equal(v, 2);
    /* No such server: refused, definitely. */
    r = request(t, (guint)leader(t), OP_REMOVE_SERVER, KEY_NONE, 9, 8);
    assert_false(r.ok);
    assert_true(r.definite);
    net_free(t);
    assert_no_leaks();
}

static void test_bug_ack_before_fsync_is_visible(void **state)
{
    Net *t = net_new(3, 1, (BugSet)1 << LIBRAFT_BUG_ACK_BEFORE_FSYNC);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    for (uint32_t op = 1; op <= 5; op++)
        write_through(t, OP_ADD, 0, 1, op);
    assert_true(t->unpersisted > 0);
    net_free(t);
}

static void test_bug_trust_failed_fsync_is_visible(void **state)
{
    Net *t = net_new(3, 1, (BugSet)1 << LIBRAFT_BUG_TRUST_FAILED_FSYNC);
    net_start(t);
    run_until(t, t->now + 2 * SIM_SEC);
    guint f = ((guint)leader(t) + 1) % 3;
    disk_fail_fsyncs(t->disk[f], EIO, 1);
    write_through(t, OP_PUT, 1, 3, 1);
    run_until(t, t->now + 200 * MS);
    assert_int_equal(libraft_stats(t->p[f])->append_errors, 0);
    assert_true(t->unpersisted > 0);
    net_free(t);
}

int main(void)
{
    protocols_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_entry_records),
        cmocka_unit_test(test_elects_and_commits),
        cmocka_unit_test(test_read_is_a_barrier_and_follower_refuses),
        cmocka_unit_test(test_retry_is_applied_once),
        cmocka_unit_test(test_power_cut_and_restart_keeps_acked),
        cmocka_unit_test(test_failed_set_term_reaches_library),
        cmocka_unit_test(test_failed_append_reaches_library),
        cmocka_unit_test(test_snapshot_and_install),
        cmocka_unit_test(test_scrub_rewrites_bad_blocks),
        cmocka_unit_test(test_damaged_boot_repairs_from_peers),
        cmocka_unit_test(test_lost_disk_waits_for_peers),
        cmocka_unit_test(test_membership_and_transfer),
        cmocka_unit_test(test_bug_ack_before_fsync_is_visible),
        cmocka_unit_test(test_bug_trust_failed_fsync_is_visible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
