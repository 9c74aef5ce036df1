/* tests/test_oracles.c — the oracles on hand-chosen input, fed to them directly, without a world:
 * for every violation kind a case that must raise it and a close variant that must not, and the
 * violation's text naming the operation, the node(s) and the simulated time.
 *
 * How the cases are built. The fixture is everything an oracle reads (reports/oracle.h's
 * OracleView) made by hand: a configuration, a block store and three real Disks, a client
 * history, a key table, a clock and which nodes are up. A Checker is made over that view with the
 * protocol's oracle module (checker_new_view), and the test feeds it the events the world would:
 *   - ground truth: real blocks, encoded with the protocols' own encoders, written to the node's
 *     Disk and fsynced, truncated, wiped or power-lost; each Disk's durable-change observer hands
 *     the change to checker_durable, exactly as the world does;
 *   - the client history: operations added by hand, with their outcomes;
 *   - messages, protocol notes and submitted disk writes: checker_sent, checker_note,
 *     checker_submitted, as the node runtime would;
 *   - time: the fixture's clock, moved by at().
 * Liveness and linearizability read only the history and the end of the run: those cases call
 * their oracles (history_check_liveness, lin_check_history) directly as well as through the
 * checker. One case runs a real cluster with the checker attached to its world (checker_new). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "sim/protocols.h"
#include "model/raft/raft.h"
#include "reports/check.h"
#include "reports/history_check.h"
#include "reports/ledger.h"
#include "reports/lin_check.h"
#include "reports/redundancy.h"
#include "reports/quorum/quorum_oracle.h"
#include "reports/raft/raft_oracle.h"
#include "sim/engine/rng.h"

#include <string.h>

#define MS SIM_MS

/* Endpoints of both configurations (3 storage nodes, then quorum's coordinator, then c1). */
enum { N1 = 0, N2 = 1, N3 = 2 };
enum { R1 = 0, R2 = 1, R3 = 2, CO1 = 3, QC1 = 4 };
enum { RC1 = 3 };
enum { NODES = 3, ENDPOINTS = 5 };

typedef struct Fix Fix;

/* What a disk's durable-change observer needs: whose disk it is. */
typedef struct {
    Fix *f;
    EndpointId node;
} DiskTap;

struct Fix {
    WorldConfig cfg;
    BlockStore *store;
    Disk *disks[NODES];
    DiskTap taps[NODES];
    History history;
    SimTime now;
    gboolean up[ENDPOINTS];
    char *names[ENDPOINTS];
    const char *keys[2]; /* k0, _probe */
    OracleView view;
    Checker *c;
    KeyId k0;
    uint32_t next_block[NODES]; /* quorum: the next free block of each replica's data file */
    uint64_t meta_seq[NODES];   /* raft: the metadata sequence of each server */
};

/* ---- the view: what the oracles read ---- */

static const Disk *v_disk(void *ctx, EndpointId n)
{
    Fix *f = ctx;
    return n < NODES ? f->disks[n] : NULL;
}
static SimTime v_now(void *ctx)
{
    return ((Fix *)ctx)->now;
}
static gboolean v_is_up(void *ctx, EndpointId n)
{
    return ((Fix *)ctx)->up[n];
}
static const char *v_endpoint_name(void *ctx, EndpointId n)
{
    Fix *f = ctx;
    return n < ENDPOINTS && f->names[n] ? f->names[n] : "?";
}
static guint v_key_count(void *ctx)
{
    return 2;
}
static const char *v_key_name(void *ctx, KeyId k)
{
    return k < 2 ? ((Fix *)ctx)->keys[k] : "?";
}
static gboolean v_key_lookup(void *ctx, const char *name, KeyId *out)
{
    Fix *f = ctx;
    for (KeyId k = 0; k < 2; k++)
        if (strcmp(f->keys[k], name) == 0) {
            *out = k;
            return TRUE;
        }
    return FALSE;
}
static uint64_t v_key_hash(void *ctx, KeyId k)
{
    return sim_hash_string(v_key_name(ctx, k));
}
static const char *v_idem_name(void *ctx, IdemKey idem, char *buf, gsize size)
{
    g_snprintf(buf, size, "c%u#%u", (unsigned)(idem >> 32), (unsigned)(idem & 0xffffffffu));
    return buf;
}

/* A disk's block became durable, or stopped being: the checker hears it as from the world. */
static void on_disk_durable(void *ctx, guint file, uint32_t idx, const DiskBlock *old,
                            const DiskBlock *neu, DiskChange cause)
{
    DiskTap *t = ctx;
    checker_durable(t->f->c, t->node, file, idx, old, neu, cause);
}

/* ---- the fixture ---- */

static const OracleModule *module_of(const Protocol *protocol)
{
    return protocol == &raft_protocol ? &raft_oracle : &quorum_oracle;
}

/* A replica's log is in segment files (quorum.h); these tests use the first, data/00000000,
 * made durable with its directory before anything (and again after a lost disk): block b at
 * b of file QFILE(f, node). */
#define QFILE(f, n) ((guint)disk_lookup((f)->disks[n], "data/00000000", FALSE))

static void make_segment(Disk *d)
{
    char path[FS_PATH_MAX];
    quorum_segment_path(0, path, sizeof path);
    assert_int_equal(disk_mkdir(d, "data"), 0);
    assert_int_equal(disk_open(d, 0, path, FS_O_CREATE), 0);
    assert_int_equal(disk_open(d, 1, "data", FS_O_DIR), 0);
    assert_int_equal(disk_open(d, 2, ".", FS_O_DIR), 0);
    assert_int_equal(disk_fdsync(d, 1, FALSE), 0);
    assert_int_equal(disk_fdsync(d, 2, FALSE), 0);
    disk_close_all(d);
}

/* A lost disk: for a replica, its segment is made again (empty, durably named). */
static void q_wipe(Fix *f, EndpointId n);

static void fix_open(Fix *f, const Protocol *protocol)
{
    memset(f, 0, sizeof *f);
    world_config_init(&f->cfg, protocol);
    f->cfg.seed = 7;
    f->cfg.keys = 1;
    if (protocol == &quorum_protocol) {
        quorum_config_mut(&f->cfg)->write_quorum = 2;
        quorum_config_mut(&f->cfg)->read_quorum = 2;
    }
    GError *error = NULL;
    assert_true(world_config_validate(&f->cfg, &error));
    assert_int_equal(f->cfg.nodes, NODES);
    assert_true(world_config_endpoint_count(&f->cfg) <= ENDPOINTS);
    for (EndpointId id = 0; id < world_config_endpoint_count(&f->cfg); id++)
        f->names[id] = world_config_endpoint_name(&f->cfg, id);
    f->keys[0] = "k0";
    f->keys[1] = "_probe";
    f->k0 = 0;
    history_init(&f->history);
    f->store = block_store_new();
    guint nfiles = protocol == &raft_protocol ? 2 : 0;
    for (EndpointId n = 0; n < NODES; n++) {
        f->disks[n] = disk_new_shared(f->cfg.fs, nfiles, f->store);
        f->taps[n] = (DiskTap){f, n};
        disk_set_observer(f->disks[n], on_disk_durable, &f->taps[n]);
        if (protocol == &quorum_protocol)
            make_segment(f->disks[n]);
    }
    f->view = (OracleView){.cfg = &f->cfg,
                           .history = &f->history,
                           .store = f->store,
                           .ctx = f,
                           .disk = v_disk,
                           .now = v_now,
                           .is_up = v_is_up,
                           .endpoint_name = v_endpoint_name,
                           .key_count = v_key_count,
                           .key_name = v_key_name,
                           .key_lookup = v_key_lookup,
                           .key_hash = v_key_hash,
                           .idem_name = v_idem_name};
    f->c = checker_new_view(&f->view, module_of(protocol));
    if (protocol == &quorum_protocol) {
        /* The identity block a replica writes at its first boot. */
        for (EndpointId n = 0; n < NODES; n++) {
            DiskBlock b;
            quorum_encode_ident(&b, n);
            assert_int_equal(disk_write(f->disks[n], QFILE(f, n), 0, &b), 0);
            assert_int_equal(disk_fsync(f->disks[n], QFILE(f, n)), 0);
            f->next_block[n] = 1;
        }
    }
}

static void q_wipe(Fix *f, EndpointId n)
{
    disk_wipe(f->disks[n]);
    if (f->cfg.protocol == &quorum_protocol)
        make_segment(f->disks[n]);
}

static void fix_close(Fix *f)
{
    checker_free(f->c);
    for (EndpointId n = 0; n < NODES; n++)
        disk_free(f->disks[n]);
    block_store_free(f->store);
    history_clear(&f->history);
    for (guint i = 0; i < ENDPOINTS; i++)
        g_free(f->names[i]);
    world_config_clear(&f->cfg);
}

/* Moves the clock to t. */
static void at(Fix *f, SimTime t)
{
    assert_true(t >= f->now);
    f->now = t;
}

/* Every node is up (convergence judges the nodes that are). */
static void all_up(Fix *f)
{
    for (EndpointId n = 0; n < ENDPOINTS; n++)
        f->up[n] = TRUE;
}

/* A power failure of the node's disk: what was never made durable is lost. */
static void power_loss(Fix *f, EndpointId node)
{
    SimRng rng;
    sim_rng_stream(&rng, f->cfg.seed, "disk", node + 1u);
    disk_power_loss(f->disks[node], &rng);
}

/* ---- the client history ---- */

static EndpointId client_ep(const Fix *f)
{
    return f->cfg.protocol == &quorum_protocol ? QC1 : RC1;
}

/* Adds a completed operation of c1 named `name`; its idempotency key is c1's (c1#id+1). */
static uint32_t hist_op(Fix *f, const char *name, OpKind kind, Value value, SimTime invoke,
                        SimTime complete, Outcome outcome)
{
    History *h = &f->history;
    uint32_t label = history_name(h, name);
    HistOp *op = history_add(h);
    op->name = label;
    op->client = client_ep(f);
    op->kind = (uint8_t)kind;
    op->key = f->k0;
    op->value = value;
    op->idem = kind == OP_GET ? IDEM_NONE : ((IdemKey)1 << 32) | (op->id + 1);
    op->invoke = invoke;
    op->complete = complete;
    op->outcome = (uint8_t)outcome;
    op->reason = outcome == OUTCOME_OK     ? FAIL_NONE
                 : outcome == OUTCOME_FAIL ? FAIL_WRITE
                                           : FAIL_TIMEOUT;
    op->attempts = 1;
    op->flags = HOP_SCRIPTED;
    return op->id;
}

static HistOp *hop(Fix *f, uint32_t id)
{
    return history_op(&f->history, id);
}

/* ---- observations the node runtime would make ---- */

static void observe_sent(Fix *f, Msg *m)
{
    checker_sent(f->c, m);
    msg_free(m);
}
/* The request of operation `id` from its client to `to`. Caller owns the result. */
static Msg *request_msg(Fix *f, uint32_t id, EndpointId to)
{
    const HistOp *op = hop(f, id);
    Msg *m = msg_new(MSG_CLIENT_REQ, op->client, to);
    m->u.creq = (ClientReq){.op = id,
                            .attempt = 1,
                            .kind = op->kind,
                            .key = op->key,
                            .value = op->value,
                            .idem = op->idem,
                            .version = {op->invoke, 0, id}};
    return m;
}

/* The answer of `from` that operation `id` succeeded. Caller owns the result. */
static Msg *ack_msg(Fix *f, uint32_t id, EndpointId from)
{
    Msg *m = msg_new(MSG_CLIENT_RESP, from, hop(f, id)->client);
    m->u.cresp = (ClientResp){.op = id, .attempt = 1, .ok = 1};
    return m;
}

/* The client sends operation `id` to `to` (at the operation's invocation). */
static void client_request(Fix *f, uint32_t id, EndpointId to)
{
    observe_sent(f, request_msg(f, id, to));
}

/* `from` tells the client that operation `id` succeeded. */
static void server_ack(Fix *f, uint32_t id, EndpointId from)
{
    observe_sent(f, ack_msg(f, id, from));
}

static void observe_note(Fix *f, EndpointId node, NoteKind kind, uint64_t a, uint64_t b, uint64_t c,
                         uint64_t d)
{
    ProtoAction note = {.kind = ACT_NOTE, .sub = (uint16_t)kind, .a = a, .b = b, .c = c, .d = d};
    checker_note(f->c, node, &note);
}

/* ---- quorum disks ---- */

/* The record of operation `id` as a replica stores it. */
static QRecord qrec(Fix *f, uint32_t id)
{
    const HistOp *op = hop(f, id);
    return (QRecord){.key = op->key,
                     .op = op->kind,
                     .hint_for = ENDPOINT_NONE,
                     .version = {op->invoke, 0, id},
                     .value = op->value,
                     .idem = op->idem};
}

static void q_sync(Fix *f, EndpointId node)
{
    assert_int_equal(disk_fsync(f->disks[node], QFILE(f, node)), 0);
}

/* Writes `r` at `block` of the replica's data file (page cache only). */
static void q_write_at(Fix *f, EndpointId node, uint32_t block, const QRecord *r)
{
    DiskBlock b;
    quorum_encode_record(&b, r);
    assert_int_equal(disk_write(f->disks[node], QFILE(f, node), block, &b), 0);
    f->next_block[node] = MAX(f->next_block[node], block + 1);
}

/* Appends operation `id`'s record to the replica's log; returns the block. */
static uint32_t q_store(Fix *f, EndpointId node, uint32_t id, gboolean sync)
{
    QRecord r = qrec(f, id);
    uint32_t block = f->next_block[node];
    q_write_at(f, node, block, &r);
    if (sync)
        q_sync(f, node);
    return block;
}

/* ---- raft disks ---- */

/* Writes the server's metadata (term, vote) into the next of its two slots. */
static void r_meta(Fix *f, EndpointId node, uint64_t term, EndpointId voted_for, gboolean sync)
{
    RaftMeta m = {.seq = ++f->meta_seq[node], .term = term, .voted_for = voted_for};
    DiskBlock b;
    raft_encode_meta(&b, &m);
    Disk *d = f->disks[node];
    assert_int_equal(disk_write(d, RAFT_FILE_META, (uint32_t)(m.seq % 2), &b), 0);
    if (sync)
        assert_int_equal(disk_fsync(d, RAFT_FILE_META), 0);
}

/* The server writes entry (index, term) holding operation `id` (or a no-op if UINT32_MAX) to its
 * log, handing it to its disk as the runtime does, and fsyncs when asked. */
static void r_append(Fix *f, EndpointId node, uint64_t index, uint64_t term, uint32_t id,
                     gboolean sync)
{
    RaftEntry e = {.term = term, .index = index, .kind = OP_NOOP, .key = KEY_NONE};
    if (id != UINT32_MAX) {
        const HistOp *op = hop(f, id);
        e.kind = op->kind;
        e.client = op->client;
        e.key = op->key;
        e.value = op->value;
        e.idem = op->idem;
    }
    DiskBlock b;
    raft_encode_entry(&b, &e);
    checker_submitted(f->c, node, RAFT_FILE_LOG, (uint32_t)(index - 1), &b);
    Disk *d = f->disks[node];
    assert_int_equal(disk_write(d, RAFT_FILE_LOG, (uint32_t)(index - 1), &b), 0);
    if (sync)
        assert_int_equal(disk_fsync(d, RAFT_FILE_LOG), 0);
}

/* The server writes a configuration entry (index, term) whose voters are `voters` (bit n:
 * server n) to its log, as r_append does. */
static void r_config(Fix *f, EndpointId node, uint64_t index, uint64_t term, uint32_t voters,
                     gboolean sync)
{
    RaftEntry e = {.term = term,
                   .index = index,
                   .kind = OP_NOOP,
                   .key = RAFT_KEY_CONFIG,
                   .value = raft_members_pack((RaftMembers){voters, 0})};
    DiskBlock b;
    raft_encode_entry(&b, &e);
    checker_submitted(f->c, node, RAFT_FILE_LOG, (uint32_t)(index - 1), &b);
    Disk *d = f->disks[node];
    assert_int_equal(disk_write(d, RAFT_FILE_LOG, (uint32_t)(index - 1), &b), 0);
    if (sync)
        assert_int_equal(disk_fsync(d, RAFT_FILE_LOG), 0);
}

/* The server writes a snapshot through (index, term) as model/raft/raft.c does: the header to
 * RAFT_SNAP_TMP (handed to the checker as submitted_path), fsynced, renamed over RAFT_SNAP_PATH,
 * the root fsynced. The snapshot holds no data blocks. */
static void r_snapshot(Fix *f, EndpointId node, uint64_t index, uint64_t term)
{
    enum { FD_TMP = 4, FD_DIR = 5 };
    RaftSnapHead h = {.index = index,
                      .term = term,
                      .members = raft_members_pack(raft_members_bootstrap(&f->cfg))};
    DiskBlock b;
    raft_encode_snap_head(&b, &h);
    Disk *d = f->disks[node];
    assert_int_equal(disk_open(d, FD_TMP, RAFT_SNAP_TMP, FS_O_CREATE | FS_O_TRUNC), 0);
    checker_submitted_path(f->c, node, RAFT_SNAP_TMP, 0, &b);
    assert_int_equal(disk_pwrite(d, FD_TMP, 0, &b), 0);
    assert_int_equal(disk_fdsync(d, FD_TMP, FALSE), 0);
    assert_int_equal(disk_close(d, FD_TMP), 0);
    assert_int_equal(disk_rename(d, RAFT_SNAP_TMP, RAFT_SNAP_PATH), 0);
    assert_int_equal(disk_open(d, FD_DIR, ".", FS_O_DIR), 0);
    assert_int_equal(disk_fdsync(d, FD_DIR, FALSE), 0);
    assert_int_equal(disk_close(d, FD_DIR), 0);
}

/* `from` answers `to`'s vote request of `term` with a grant (pre-vote or vote). */
static void vote_granted(Fix *f, EndpointId from, EndpointId to, uint64_t term, gboolean prevote)
{
    if (!prevote)
        r_meta(f, from, term, to, TRUE); /* a vote leaves once it is durable */
    Msg *m = msg_new(MSG_R_VOTE_RESP, from, to);
    raft_body(m)->rvr = (RVoteResp){.term = term, .granted = 1, .prevote = (uint8_t)prevote};
    observe_sent(f, m);
}

/* `node` wins `term` with the votes of every other server, and says so. */
static void elected(Fix *f, EndpointId node, uint64_t term)
{
    for (EndpointId n = N1; n <= N3; n++)
        if (n != node)
            vote_granted(f, n, node, term, FALSE);
    observe_note(f, node, NOTE_ROLE, ROLE_LEADER, term, 0, 0);
}

/* ---- judging ---- */

static CheckEnd default_end(void)
{
    return (CheckEnd){
        .probe_op = UINT32_MAX, .healed = TRUE, .within_model = TRUE, .linearizable = TRUE};
}

static void finish_with(Fix *f, const CheckEnd *end, Verdict *v)
{
    verdict_init(v);
    checker_finish(f->c, end, v);
}

static void finish(Fix *f, Verdict *v)
{
    CheckEnd end = default_end();
    finish_with(f, &end, v);
}

static void assert_clean(const Verdict *v)
{
    if (!verdict_passed(v)) {
        const Violation *x = g_ptr_array_index(v->violations, 0);
        fail_msg("unexpected %s: %s", violation_kind_name(x->kind), x->text);
    }
    assert_int_equal(v->violations->len, 0);
}

/* Asserts that the verdict holds violations of `kind` only; returns the first. */
static const Violation *only(const Verdict *v, ViolationKind kind)
{
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        if (x->kind != kind)
            fail_msg("expected only %s, also got %s: %s", violation_kind_name(kind),
                     violation_kind_name(x->kind), x->text);
    }
    assert_int_equal(v->kinds, 1u << kind);
    assert_true(v->violations->len > 0);
    return g_ptr_array_index(v->violations, 0);
}

/* Asserts that the verdict holds violations of `kind` and of `also` only; returns the first of
 * `kind`. */
static const Violation *only_with(const Verdict *v, ViolationKind kind, ViolationKind also)
{
    const Violation *first = NULL;
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        if (x->kind != kind && x->kind != also)
            fail_msg("expected only %s and %s, also got %s: %s", violation_kind_name(kind),
                     violation_kind_name(also), violation_kind_name(x->kind), x->text);
        if (x->kind == kind && !first)
            first = x;
    }
    assert_int_equal(v->kinds, (1u << kind) | (1u << also));
    assert_non_null(first);
    return first;
}

/* The first violation of `kind` in the verdict (there must be one). */
static const Violation *first_of(const Verdict *v, ViolationKind kind)
{
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        if (x->kind == kind)
            return x;
    }
    fail_msg("no %s", violation_kind_name(kind));
    return NULL;
}

static void assert_says(const Violation *x, const char *needle)
{
    if (strstr(x->text, needle) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", x->text, needle);
}

static void assert_names_node(const Violation *x, EndpointId node)
{
    for (guint i = 0; i < x->nnodes; i++)
        if (x->nodes[i] == node)
            return;
    fail_msg("%s does not list node %u", x->text, node);
}

/* ---- write ledger: lost-ack ---- */

/* The quorum write of the example: acked with 2/2 durable copies, then one replica's copy
 * truncated away (by the protocol: under-replicated from then on) and the other's disk lost. */
static uint32_t quorum_acked_write(Fix *f)
{
    uint32_t w17 = hist_op(f, "w17", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
    at(f, 10 * MS);
    client_request(f, w17, CO1);
    at(f, 20 * MS);
    assert_int_equal(q_store(f, R1, w17, TRUE), 1);
    assert_int_equal(q_store(f, R2, w17, TRUE), 1);
    at(f, 41200 * SIM_US);
    server_ack(f, w17, CO1);
    at(f, 50 * MS);
    assert_int_equal(disk_truncate(f->disks[R1], QFILE(f, R1), 1), 0);
    q_sync(f, R1);
    return w17;
}

/* An acked quorum write whose every durable copy is gone at the end is a lost ack, told with
 * the copies it had at the ack and where and when the last one went. */
static void test_oracle_lost_ack_when_every_durable_copy_is_gone(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w17 = quorum_acked_write(&f);
    at(&f, 60 * MS);
    q_wipe(&f, R2);
    Verdict v;
    finish(&f, &v);
    const Violation *x = only_with(&v, V_LOST_ACK, V_UNDER_REPLICATED);
    assert_int_equal(x->nops, 1);
    assert_int_equal(x->ops[0], w17);
    assert_true(x->time == 41200 * SIM_US);
    assert_names_node(x, R2);
    assert_says(x, "write w17 (put k0) acked at 41.200ms with 2 durable copies (r1, r2)");
    assert_says(x, "lost with the disk on r2 at 60.000ms");
    assert_int_equal(v.acked, 1);
    verdict_clear(&v);
    fix_close(&f);
}

/* An acked write that no disk ever held durably (stored only in page caches that were then
 * lost with their disks) is a lost ack whose text says so. */
static void test_oracle_lost_ack_that_was_never_durable_says_so(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w17 = hist_op(&f, "w17", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
    at(&f, 10 * MS);
    client_request(&f, w17, CO1);
    at(&f, 20 * MS);
    q_store(&f, R1, w17, FALSE);
    q_store(&f, R2, w17, FALSE);
    at(&f, 41200 * SIM_US);
    server_ack(&f, w17, CO1);
    at(&f, 50 * MS);
    q_wipe(&f, R1);
    q_wipe(&f, R2);
    Verdict v;
    finish(&f, &v);
    if (!(v.kinds & (1u << V_LOST_ACK))) {
        g_autofree char *got = violation_set_format(v.kinds);
        fail_msg("no lost-ack; got %s", got);
    }
    const Violation *x = NULL;
    for (guint i = 0; i < v.violations->len; i++) {
        const Violation *y = g_ptr_array_index(v.violations, i);
        if (y->kind == V_LOST_ACK)
            x = y;
    }
    assert_non_null(x);
    assert_int_equal(x->ops[0], w17);
    assert_says(x, "with 0 durable copies (none); no disk ever held it durably");
    verdict_clear(&v);
    fix_close(&f);
}

/* The same write keeps its ack while one durable copy survives (it is under-replicated: the
 * protocol took r1's copy away). */
static void test_oracle_no_lost_ack_while_one_durable_copy_survives(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    quorum_acked_write(&f);
    /* A power crash loses only what was never made durable. */
    power_loss(&f, R2);
    Verdict v;
    finish(&f, &v);
    const Violation *x = only(&v, V_UNDER_REPLICATED);
    assert_says(x, "r1 took its copy away (truncated away) at 50.000ms");
    assert_names_node(x, R1);
    verdict_clear(&v);
    fix_close(&f);
}

/* A quorum copy overwritten by a newer put is superseded, not lost; overwritten by an older
 * write it is lost. */
static void test_oracle_lost_ack_only_when_no_newer_write_supersedes(void **state)
{
    (void)state;
    for (int newer = 0; newer <= 1; newer++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t old = hist_op(&f, "w16", OP_PUT, 4, 5 * MS, SIM_TIME_NEVER, OUTCOME_INDETERMINATE);
        uint32_t w17 = quorum_acked_write(&f);
        uint32_t w18 = hist_op(&f, "w18", OP_PUT, 6, 45 * MS, 55 * MS, OUTCOME_OK);
        uint32_t over = newer ? w18 : old;
        at(&f, 52 * MS);
        QRecord r = qrec(&f, over);
        q_write_at(&f, R2, 1, &r);
        q_sync(&f, R2);
        q_store(&f, R3, over, TRUE);
        if (newer) {
            at(&f, 55 * MS);
            server_ack(&f, w18, CO1);
        }
        Verdict v;
        finish(&f, &v);
        if (newer) {
            only(&v, V_UNDER_REPLICATED); /* r1's truncation, before w18 superseded it */
        } else {
            const Violation *x = only_with(&v, V_LOST_ACK, V_UNDER_REPLICATED);
            assert_int_equal(x->ops[0], w17);
            assert_says(x, "its last copy was overwritten on r2 at 52.000ms");
            assert_int_equal(v.orphans_surfaced, 1); /* w16, indeterminate and visible */
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Raft: an acked entry is lost once fewer than a majority of servers hold it durably — with no
 * copy left, or with one copy of three; two copies of three keep it. */
static void test_oracle_raft_lost_ack_when_a_majority_no_longer_holds_the_entry(void **state)
{
    (void)state;
    enum { NONE_LEFT, ONE_LEFT, TWO_LEFT };
    for (int variant = NONE_LEFT; variant <= TWO_LEFT; variant++) {
        gboolean third_copy = variant == TWO_LEFT;
        Fix f;
        fix_open(&f, &raft_protocol);
        for (EndpointId n = N1; n <= N3; n++)
            r_meta(&f, n, 1, ENDPOINT_NONE, TRUE);
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w1, N1);
        at(&f, 20 * MS);
        r_append(&f, N1, 1, 1, w1, TRUE);
        r_append(&f, N2, 1, 1, w1, TRUE);
        at(&f, 41200 * SIM_US);
        server_ack(&f, w1, N1);
        if (third_copy)
            r_append(&f, N3, 1, 1, w1, TRUE);
        /* A later leader's entry replaces it on n1 (and on n2 when none is to be left). */
        at(&f, 50 * MS);
        r_append(&f, N1, 1, 2, UINT32_MAX, TRUE);
        if (variant == NONE_LEFT)
            r_append(&f, N2, 1, 2, UINT32_MAX, TRUE);
        Verdict v;
        finish(&f, &v);
        if (variant == TWO_LEFT) {
            assert_clean(&v);
        } else {
            const Violation *x = only_with(&v, V_LOST_ACK, V_UNDER_REPLICATED);
            assert_says(first_of(&v, V_UNDER_REPLICATED), "n1 took its copy away (overwritten)");
            assert_int_equal(x->ops[0], w1);
            assert_says(x, "write w1 (put k0) acked at 41.200ms with 2 durable copies (n1, n2)");
            if (variant == NONE_LEFT) {
                assert_names_node(x, N2);
                assert_says(x, "overwritten on n2 at 50.000ms");
            } else {
                assert_says(x, "now only on n2");
            }
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- write ledger: early-ack ---- */

/* A quorum ack given while only one of W=2 replicas holds the write durably is early, whether
 * the other copy is only in the page cache or was durable and truncated away before the ack. */
static void test_oracle_early_ack_when_fewer_than_w_copies_are_durable(void **state)
{
    (void)state;
    enum { CACHED, GONE_BEFORE_ACK, BOTH_DURABLE };
    for (int variant = CACHED; variant <= BOTH_DURABLE; variant++) {
        gboolean synced_first = variant != CACHED;
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w17 = hist_op(&f, "w17", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w17, CO1);
        at(&f, 20 * MS);
        q_store(&f, R1, w17, TRUE);
        q_store(&f, R2, w17, synced_first);
        if (variant == GONE_BEFORE_ACK) {
            at(&f, 30 * MS);
            assert_int_equal(disk_truncate(f.disks[R2], QFILE(&f, R2), 1), 0);
            q_sync(&f, R2);
        }
        at(&f, 41200 * SIM_US);
        server_ack(&f, w17, CO1);
        at(&f, 45 * MS);
        q_sync(&f, R2);
        Verdict v;
        finish(&f, &v);
        if (variant == BOTH_DURABLE) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_EARLY_ACK);
            assert_int_equal(x->ops[0], w17);
            assert_names_node(x, CO1);
            assert_true(x->time == 41200 * SIM_US);
            assert_says(x, "write w17 (put k0) acked by co1 at 41.200ms with 1/2 durable copies "
                           "(r1)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Raft: an ack is early unless the entry is committed by the checker's rule — a majority of
 * durable copies made while each server was in the entry's own term (Raft §5.4.2). */
static void test_oracle_raft_early_ack_counts_only_copies_made_in_the_entrys_term(void **state)
{
    (void)state;
    for (uint64_t meta_term = 2; meta_term <= 3; meta_term++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        r_meta(&f, N1, meta_term, ENDPOINT_NONE, TRUE);
        r_meta(&f, N2, meta_term, ENDPOINT_NONE, TRUE);
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w1, N1);
        r_append(&f, N1, 1, 2, w1, TRUE);
        r_append(&f, N2, 1, 2, w1, TRUE);
        at(&f, 41200 * SIM_US);
        server_ack(&f, w1, N1);
        Verdict v;
        finish(&f, &v);
        if (meta_term == 2) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_EARLY_ACK);
            assert_int_equal(x->ops[0], w1);
            assert_says(x, "write w1 (put k0) acked by n1 at 41.200ms before it was committed");
            assert_says(x, "(n1, n2)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Raft: an ack with one durable copy of three is early (the second copy, made later, keeps
 * it from being lost). */
static void test_oracle_raft_early_ack_with_a_minority_of_copies(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &raft_protocol);
    r_meta(&f, N1, 2, ENDPOINT_NONE, TRUE);
    r_meta(&f, N2, 2, ENDPOINT_NONE, TRUE);
    uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 41200 * SIM_US, OUTCOME_OK);
    at(&f, 10 * MS);
    client_request(&f, w1, N1);
    r_append(&f, N1, 1, 2, w1, TRUE);
    r_append(&f, N2, 1, 2, w1, FALSE);
    at(&f, 41200 * SIM_US);
    server_ack(&f, w1, N1);
    at(&f, 45 * MS);
    assert_int_equal(disk_fsync(f.disks[N2], RAFT_FILE_LOG), 0);
    Verdict v;
    finish(&f, &v);
    const Violation *x = only(&v, V_EARLY_ACK);
    assert_names_node(x, N1);
    assert_says(x, "write w1 (put k0) acked by n1 at 41.200ms with 1/2 durable copies (n1)");
    verdict_clear(&v);
    fix_close(&f);
}

/* ---- write ledger: false-failure and orphans ---- */

/* Stores w17 durably on r1 and ends it with `outcome` at 41.2ms. */
static uint32_t quorum_failed_write(Fix *f, Outcome outcome, gboolean stored)
{
    uint32_t w17 = hist_op(f, "w17", OP_PUT, 5, 10 * MS, 41200 * SIM_US, outcome);
    at(f, 10 * MS);
    client_request(f, w17, CO1);
    if (stored) {
        at(f, 20 * MS);
        q_store(f, R1, w17, TRUE);
    }
    at(f, 41200 * SIM_US);
    return w17;
}

/* A write the client was told definitely failed, stored durably on a replica, is a false
 * failure naming the write, the replica and the time of the answer. */
static void test_oracle_false_failure_when_a_definite_failure_took_effect(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w17 = quorum_failed_write(&f, OUTCOME_FAIL, TRUE);
    Verdict v;
    finish(&f, &v);
    const Violation *x = only(&v, V_FALSE_FAILURE);
    assert_int_equal(x->ops[0], w17);
    assert_true(x->time == 41200 * SIM_US);
    assert_says(x, "w17 (put k0) was told it definitely failed");
    assert_says(x, "at 41.200ms");
    assert_says(x, "r1");
    assert_names_node(x, R1);
    assert_int_equal(v.failed, 1);
    assert_int_equal(v.orphans_surfaced, 1);
    verdict_clear(&v);
    fix_close(&f);
}

/* The same stored write is an allowed, surfaced orphan when the client heard nothing definite;
 * an honest failure when nothing was stored; and explained when a retry under its key succeeded. */
static void test_oracle_no_false_failure_for_orphans_and_honest_failures(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    quorum_failed_write(&f, OUTCOME_INDETERMINATE, TRUE);
    Verdict v;
    finish(&f, &v);
    assert_clean(&v);
    assert_int_equal(v.indeterminate, 1);
    assert_int_equal(v.orphans, 1);
    assert_int_equal(v.orphans_surfaced, 1);
    verdict_clear(&v);
    fix_close(&f);

    fix_open(&f, &quorum_protocol);
    quorum_failed_write(&f, OUTCOME_FAIL, FALSE);
    finish(&f, &v);
    assert_clean(&v);
    assert_int_equal(v.failed, 1);
    assert_int_equal(v.orphans, 0);
    verdict_clear(&v);
    fix_close(&f);

    fix_open(&f, &quorum_protocol);
    uint32_t w17 = quorum_failed_write(&f, OUTCOME_FAIL, TRUE);
    uint32_t again = hist_op(&f, "w17-again", OP_PUT, 5, 50 * MS, 60 * MS, OUTCOME_OK);
    hop(&f, again)->idem = hop(&f, w17)->idem;
    finish(&f, &v);
    assert_clean(&v);
    verdict_clear(&v);
    fix_close(&f);
}

/* A write stored and then voided (its fsync failed) is a latent orphan, never a violation. */
static void test_oracle_voided_record_is_a_latent_orphan(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w17 = quorum_failed_write(&f, OUTCOME_FAIL, TRUE);
    (void)w17;
    DiskBlock b;
    quorum_encode_void(&b, 1);
    assert_int_equal(disk_write(f.disks[R1], QFILE(&f, R1), 2, &b), 0);
    q_sync(&f, R1);
    Verdict v;
    finish(&f, &v);
    assert_clean(&v);
    assert_int_equal(v.orphans, 1);
    assert_int_equal(v.orphans_latent, 1);
    assert_int_equal(v.orphans_surfaced, 0);
    verdict_clear(&v);
    fix_close(&f);
}

/* ---- duplicate ---- */

/* Raft: one write applied with effect at two log indexes is a duplicate; applied at one index
 * by several servers, or deduplicated by the session at the second, it is not. */
static void test_oracle_raft_duplicate_when_one_write_takes_effect_at_two_indexes(void **state)
{
    (void)state;
    for (int dedup = 0; dedup <= 1; dedup++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        uint32_t w1 = hist_op(&f, "w1", OP_ADD, 5, 10 * MS, 30 * MS, OUTCOME_OK);
        IdemKey idem = hop(&f, w1)->idem;
        client_request(&f, w1, N1);
        at(&f, 20 * MS);
        observe_note(&f, N1, NOTE_APPLY, 1, 1, idem, 1);
        observe_note(&f, N2, NOTE_APPLY, 1, 1, idem, 1);
        at(&f, 33 * MS);
        observe_note(&f, N1, NOTE_APPLY, 3, 1, idem, !dedup);
        Verdict v;
        finish(&f, &v);
        if (dedup) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_DUPLICATE);
            assert_int_equal(x->ops[0], w1);
            assert_names_node(x, N1);
            assert_true(x->time == 33 * MS);
            assert_says(x, "n1 applied write c1#1 again at index 3 (first at index 1), at "
                           "33.000ms");
            assert_int_equal(v.duplicates, 1);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Quorum: a replica holding two original records of one add applied it twice; a rewritten
 * copy of the record (copy flag) is the same application. */
static void test_oracle_quorum_duplicate_when_a_replica_holds_one_add_twice(void **state)
{
    (void)state;
    for (int copy = 0; copy <= 1; copy++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w5 = hist_op(&f, "w5", OP_ADD, 5, 10 * MS, 30 * MS, OUTCOME_OK);
        client_request(&f, w5, CO1);
        at(&f, 20 * MS);
        q_store(&f, R1, w5, TRUE);
        q_store(&f, R2, w5, TRUE);
        at(&f, 25 * MS);
        QRecord again = qrec(&f, w5);
        again.copy = (uint8_t)copy;
        q_write_at(&f, R1, 2, &again);
        q_sync(&f, R1);
        at(&f, 30 * MS);
        server_ack(&f, w5, CO1);
        Verdict v;
        finish(&f, &v);
        if (copy) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_DUPLICATE);
            assert_int_equal(x->ops[0], w5);
            assert_names_node(x, R1);
            assert_says(x, "r1 holds write c1#1 (add k0) 2 times");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- unpersisted-send ---- */

/* A replica's durable ack sent while its record sits only in the page cache is an unpersisted
 * send; sent after the fsync, or as a failure status, it is not. */
static void test_oracle_unpersisted_send_when_a_replica_acks_before_its_fsync(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, SIM_TIME_NEVER, OUTCOME_INDETERMINATE);
        client_request(&f, w1, CO1);
        at(&f, 20 * MS);
        q_store(&f, R2, w1, variant == 1);
        at(&f, 30 * MS);
        Msg *m = msg_new(MSG_Q_WRITE_ACK, R2, CO1);
        quorum_body(m)->qack = (QWriteAck){.req = 1,
                                           .attempt = 1,
                                           .status = variant == 2 ? QACK_SYNC_FAILED : QACK_DURABLE,
                                           .idem = hop(&f, w1)->idem,
                                           .hint_for = ENDPOINT_NONE};
        observe_sent(&f, m);
        Verdict v;
        finish(&f, &v);
        if (variant != 0) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_UNPERSISTED_SEND);
            assert_names_node(x, R2);
            assert_names_node(x, CO1);
            assert_true(x->time == 30 * MS);
            assert_says(x, "r2 sent a durable ack of write c1#1 to co1 at 30.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* A granted vote must be backed by the voter's durable metadata naming that candidate in that
 * term: not yet fsynced, or durably for someone else, it is unpersisted; fsynced, or a prevote,
 * it is fine. */
static void test_oracle_unpersisted_send_when_a_vote_is_not_durable(void **state)
{
    (void)state;
    enum { NOT_SYNCED, SYNCED, OTHER_CANDIDATE, PREVOTE };
    for (int variant = NOT_SYNCED; variant <= PREVOTE; variant++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        at(&f, 12 * MS);
        /* A prevote asks for nothing durable: its voter has not even synced. */
        r_meta(&f, N2, 2, variant == OTHER_CANDIDATE ? N3 : N1,
               variant == SYNCED || variant == OTHER_CANDIDATE);
        Msg *m = msg_new(MSG_R_VOTE_RESP, N2, N1);
        raft_body(m)->rvr = (RVoteResp){.term = 2, .granted = 1, .prevote = variant == PREVOTE};
        observe_sent(&f, m);
        Verdict v;
        finish(&f, &v);
        if (variant == SYNCED || variant == PREVOTE) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_UNPERSISTED_SEND);
            assert_names_node(x, N2);
            assert_names_node(x, N1);
            assert_says(x, "n2 sent its vote in term 2 to n1 at 12.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* An append success claiming match index 3 while entry 3 is not yet fsynced is unpersisted;
 * claiming the synced prefix (2) is fine. */
static void test_oracle_unpersisted_send_when_append_success_outruns_the_fsync(void **state)
{
    (void)state;
    for (uint64_t match = 2; match <= 3; match++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        r_meta(&f, N2, 1, N1, TRUE);
        r_append(&f, N2, 1, 1, UINT32_MAX, FALSE);
        r_append(&f, N2, 2, 1, UINT32_MAX, TRUE);
        r_append(&f, N2, 3, 1, UINT32_MAX, FALSE);
        at(&f, 14 * MS);
        Msg *m = msg_new(MSG_R_APPEND_RESP, N2, N1);
        raft_body(m)->rar = (RAppendResp){.term = 1, .success = 1, .match = match};
        observe_sent(&f, m);
        Verdict v;
        finish(&f, &v);
        if (match == 2) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_UNPERSISTED_SEND);
            assert_names_node(x, N2);
            assert_says(x, "n2 sent an append success with match index 3 to n1 at 14.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- raft safety ---- */

/* Two servers announcing leadership of one term break election safety; leaders of different
 * terms, or one server announcing the same term again, do not. */
static void test_oracle_election_safety_when_two_servers_lead_one_term(void **state)
{
    (void)state;
    for (uint64_t second_term = 2; second_term <= 3; second_term++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        at(&f, 10 * MS);
        elected(&f, N1, 2);
        observe_note(&f, N1, NOTE_ROLE, ROLE_LEADER, 2, 0, 0);
        observe_note(&f, N3, NOTE_ROLE, ROLE_FOLLOWER, 2, 0, 0);
        at(&f, 20 * MS);
        elected(&f, N2, second_term);
        Verdict v;
        finish(&f, &v);
        if (second_term == 3) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_ELECTION_SAFETY);
            assert_int_equal(x->nnodes, 2);
            assert_int_equal(x->nodes[0], N1);
            assert_int_equal(x->nodes[1], N2);
            assert_says(x, "n1 and n2 were both leader of term 2 (the second at 20.000ms)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Two durable entries at one index with one term but different commands break log matching as
 * soon as the second becomes durable; different terms at one index do not. */
static void test_oracle_log_matching_when_one_index_and_term_hold_two_commands(void **state)
{
    (void)state;
    for (uint64_t term2 = 1; term2 <= 2; term2++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        uint32_t a = hist_op(&f, "wa", OP_PUT, 1, 5 * MS, SIM_TIME_NEVER, OUTCOME_INDETERMINATE);
        uint32_t b = hist_op(&f, "wb", OP_PUT, 2, 5 * MS, SIM_TIME_NEVER, OUTCOME_INDETERMINATE);
        at(&f, 10 * MS);
        r_append(&f, N1, 1, 1, a, TRUE);
        at(&f, 16 * MS);
        r_append(&f, N2, 1, term2, b, TRUE);
        Verdict v;
        finish(&f, &v);
        if (term2 == 2) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_LOG_MATCHING);
            assert_names_node(x, N1);
            assert_names_node(x, N2);
            assert_true(x->time == 16 * MS);
            assert_says(x, "n2 and n1 hold different entries at index 1 with the same term 1 (at "
                           "16.000ms)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* At the end, two logs that agree on a later (index, term) but differ below it break log
 * matching; logs that differ at every index do not. */
static void test_oracle_log_matching_when_logs_agree_later_but_differ_below(void **state)
{
    (void)state;
    for (uint64_t top_term = 2; top_term <= 3; top_term++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        at(&f, 10 * MS);
        r_append(&f, N1, 1, 1, UINT32_MAX, TRUE);
        r_append(&f, N1, 2, 2, UINT32_MAX, TRUE);
        r_append(&f, N2, 1, 3, UINT32_MAX, TRUE);
        r_append(&f, N2, 2, top_term, UINT32_MAX, TRUE);
        at(&f, 70 * MS);
        Verdict v;
        finish(&f, &v);
        if (top_term == 3) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_LOG_MATCHING);
            assert_int_equal(x->nnodes, 2);
            assert_int_equal(x->nodes[0], N1);
            assert_int_equal(x->nodes[1], N2);
            assert_says(x, "n1 and n2 agree on a later entry but differ at index 1");
            assert_says(x, "70.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Commits w1 at index 1 of term 1 by the checker's rule: durable on n1 and n2 in term 1. */
static uint32_t raft_committed_write(Fix *f)
{
    for (EndpointId n = N1; n <= N3; n++)
        r_meta(f, n, 1, ENDPOINT_NONE, TRUE);
    uint32_t w1 = hist_op(f, "w1", OP_PUT, 5, 10 * MS, 30 * MS, OUTCOME_OK);
    at(f, 10 * MS);
    client_request(f, w1, N1);
    at(f, 20 * MS);
    r_append(f, N1, 1, 1, w1, TRUE);
    r_append(f, N2, 1, 1, w1, TRUE);
    at(f, 30 * MS);
    server_ack(f, w1, N1);
    return w1;
}

/* A leader of a later term whose log lacks an entry committed earlier breaks leader
 * completeness; a leader holding it does not. */
static void test_oracle_leader_completeness_when_a_new_leader_lacks_a_committed_entry(void **state)
{
    (void)state;
    for (EndpointId leader = N1; leader <= N3; leader += 2) {
        Fix f;
        fix_open(&f, &raft_protocol);
        raft_committed_write(&f);
        at(&f, 50 * MS);
        elected(&f, leader, 2);
        Verdict v;
        finish(&f, &v);
        if (leader == N1) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_LEADER_COMPLETENESS);
            assert_names_node(x, N3);
            assert_true(x->time == 50 * MS);
            assert_says(x, "n3 became leader of term 2 at 50.000ms without committed entry 1 "
                           "(term 1)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Commitment is judged against the configuration in force at the entry's index: with {n1, n2}
 * in force, a write held by n1 and by n3 (removed) is not committed, and its ack is early; held
 * by n1 and n2 it is committed. */
static void test_oracle_raft_commitment_counts_only_voters_of_the_configuration(void **state)
{
    (void)state;
    for (EndpointId second = N2; second <= N3; second++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        for (EndpointId n = N1; n <= N3; n++) {
            r_meta(&f, n, 1, ENDPOINT_NONE, TRUE);
            r_config(&f, n, 1, 1, 1u << N1 | 1u << N2, TRUE);
        }
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 30 * MS, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w1, N1);
        at(&f, 20 * MS);
        r_append(&f, N1, 2, 1, w1, TRUE);
        r_append(&f, second, 2, 1, w1, TRUE);
        at(&f, 30 * MS);
        server_ack(&f, w1, N1);
        Verdict v;
        finish(&f, &v);
        if (second == N2) {
            assert_clean(&v);
        } else {
            /* early, and lost: a removed server's copy does not count at the end either */
            assert_int_equal(v.kinds, 1u << V_EARLY_ACK | 1u << V_LOST_ACK);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Election safety against the leader's configuration: with {n1, n2} in its log, n1 needs n2's
 * vote; n3's (a removed server's) never counts. */
static void
test_oracle_election_safety_when_a_leader_lacks_a_majority_of_its_configuration(void **state)
{
    (void)state;
    for (EndpointId voter = N2; voter <= N3; voter++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        r_config(&f, N1, 1, 1, 1u << N1 | 1u << N2, TRUE);
        at(&f, 10 * MS);
        vote_granted(&f, voter, N1, 2, FALSE);
        observe_note(&f, N1, NOTE_ROLE, ROLE_LEADER, 2, 0, 0);
        Verdict v;
        finish(&f, &v);
        if (voter == N2) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_ELECTION_SAFETY);
            assert_names_node(x, N1);
            assert_says(x, "n1 became leader of term 2 at 10.000ms with the votes of n1 only: not "
                           "a majority of the voters of its configuration (n1, n2)");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* n2 and n3 follow n1 (append successes every 50ms, the lease being 150ms). n3 stands for term
 * 5 at 400ms and n1 learns of that term at 410ms, after every fault healed at 300ms: a
 * disruption. Not when n3 was granted pre-votes for term 5 by a majority, nor when the faults
 * healed only after. */
static void
test_oracle_disruption_when_a_server_without_prevotes_deposes_a_followed_leader(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        at(&f, 0);
        elected(&f, N1, 1);
        for (SimTime t = 0; t <= 400 * MS; t += 50 * MS) {
            at(&f, t);
            for (EndpointId n = N2; n <= N3; n++) {
                Msg *m = msg_new(MSG_R_APPEND_RESP, n, N1);
                raft_body(m)->rar = (RAppendResp){.term = 1, .success = 1};
                observe_sent(&f, m);
            }
        }
        if (variant == 1)
            vote_granted(&f, N2, N3, 5, TRUE);
        observe_note(&f, N3, NOTE_ROLE, ROLE_CANDIDATE, 5, 0, 0);
        at(&f, 410 * MS);
        observe_note(&f, N1, NOTE_ROLE, ROLE_FOLLOWER, 5, 0, 0);
        CheckEnd end = default_end();
        end.quiet_since = variant == 2 ? 500 * MS : 300 * MS;
        Verdict v;
        finish_with(&f, &end, &v);
        if (variant != 0) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_DISRUPTION);
            assert_int_equal(x->nnodes, 2);
            assert_int_equal(x->nodes[0], N1);
            assert_int_equal(x->nodes[1], N3);
            assert_says(x, "n3 stood for term 5 at 400.000ms while n1, n2, n3 followed n1, leader "
                           "of term 1; the term deposed n1 at 410.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Two servers applying different commands at one index break state-machine safety, and the
 * violation names both; the same command applied by both does not. */
static void test_oracle_state_machine_safety_when_servers_apply_different_commands(void **state)
{
    (void)state;
    for (int same = 0; same <= 1; same++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        at(&f, 10 * MS);
        observe_note(&f, N1, NOTE_APPLY, 1, 1, 0, 0);
        at(&f, 25 * MS);
        observe_note(&f, N2, NOTE_APPLY, 1, same ? 1 : 2, 0, 0);
        Verdict v;
        finish(&f, &v);
        if (same) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_STATE_MACHINE_SAFETY);
            assert_names_node(x, N2);
            assert_names_node(x, N1);
            assert_true(x->time == 25 * MS);
            assert_says(x, "n2 applied a different command at index 1 (term 2)");
            assert_says(x, "n1");
            assert_says(x, "25.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- linearizability ---- */

/* A read that starts after an acked put completed and finds nothing is not linearizable; the
 * violation names the read, its key and its time. */
static void test_oracle_not_linearizable_when_a_read_misses_a_completed_put(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    hist_op(&f, "w17", OP_PUT, 1, 10 * MS, 20 * MS, OUTCOME_OK);
    uint32_t rd = hist_op(&f, "rd3", OP_GET, 0, 30 * MS, 40 * MS, OUTCOME_OK);
    Verdict v;
    finish(&f, &v);
    const Violation *x = only(&v, V_NOT_LINEARIZABLE);
    assert_int_equal(x->ops[0], rd);
    assert_true(x->time == 40 * MS);
    assert_says(x, "key k0: no order of its 2 operations explains rd3 (a read that found no "
                   "value)");
    assert_says(x, "40.000ms");
    assert_int_equal(v.lin, LIN_VIOLATION);
    assert_int_equal(v.stale_reads, 1);
    verdict_clear(&v);
    fix_close(&f);
}

/* A write the client was told definitely failed did not happen, so it cannot explain a read
 * that returns its value; had the client heard nothing, it could. */
static void test_oracle_not_linearizable_when_a_read_sees_a_definitely_failed_write(void **state)
{
    (void)state;
    for (int definite = 0; definite <= 1; definite++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        hist_op(&f, "w1", OP_PUT, 1, 10 * MS, 20 * MS, OUTCOME_OK);
        hist_op(&f, "w2", OP_PUT, 2, 30 * MS, 40 * MS,
                definite ? OUTCOME_FAIL : OUTCOME_INDETERMINATE);
        uint32_t rd = hist_op(&f, "rd", OP_GET, 0, 50 * MS, 60 * MS, OUTCOME_OK);
        hop(&f, rd)->present = 1;
        hop(&f, rd)->result = 2;
        Verdict v;
        finish(&f, &v);
        if (!definite) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_NOT_LINEARIZABLE);
            assert_int_equal(x->ops[0], rd);
            assert_says(x, "explains rd (a read that returned 2), completed at 60.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* The same history passes when the read sees the put; when the configuration promises no
 * linearizability it is reported as a stale read, not judged. */
static void
test_oracle_no_lin_violation_when_the_read_sees_the_put_or_none_is_promised(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    hist_op(&f, "w17", OP_PUT, 1, 10 * MS, 20 * MS, OUTCOME_OK);
    uint32_t rd = hist_op(&f, "rd3", OP_GET, 0, 30 * MS, 40 * MS, OUTCOME_OK);
    hop(&f, rd)->present = 1;
    hop(&f, rd)->result = 1;
    Verdict v;
    finish(&f, &v);
    assert_clean(&v);
    assert_int_equal(v.lin, LIN_OK);
    assert_int_equal(v.lin_keys, 1);
    assert_int_equal(v.stale_reads, 0);
    verdict_clear(&v);
    fix_close(&f);

    fix_open(&f, &quorum_protocol);
    hist_op(&f, "w17", OP_PUT, 1, 10 * MS, 20 * MS, OUTCOME_OK);
    hist_op(&f, "rd3", OP_GET, 0, 30 * MS, 40 * MS, OUTCOME_OK);
    CheckEnd end = default_end();
    end.linearizable = FALSE;
    finish_with(&f, &end, &v);
    assert_clean(&v);
    assert_false(v.lin_promised);
    assert_int_equal(v.lin, LIN_VIOLATION);
    assert_int_equal(v.lin_keys_unpromised, 1);
    assert_int_equal(v.stale_reads, 1);
    verdict_clear(&v);
    fix_close(&f);
}

/* A history too large for the search budget answers unknown, shown in the verdict and never as
 * a pass of the key; with the default budget the same history is a violation. */
static void test_oracle_lin_budget_reports_unknown(void **state)
{
    (void)state;
    for (int small = 0; small <= 1; small++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        for (guint i = 0; i < 14; i++) {
            char name[16];
            g_snprintf(name, sizeof name, "dep%u", i);
            hist_op(&f, name, OP_ADD, (Value)1 << i, 10 * MS, SIM_TIME_NEVER,
                    OUTCOME_INDETERMINATE);
        }
        uint32_t rd = hist_op(&f, "rd", OP_GET, 0, 20 * MS, 30 * MS, OUTCOME_OK);
        hop(&f, rd)->present = 1;
        hop(&f, rd)->result = -1; /* no set of deposits sums to it */
        CheckEnd end = default_end();
        end.lin_budget = small ? 100 : 0;
        Verdict v;
        finish_with(&f, &end, &v);
        if (small) {
            assert_clean(&v);
            assert_int_equal(v.lin, LIN_UNKNOWN);
            assert_int_equal(v.lin_unknown_keys, 1);
        } else {
            const Violation *x = only(&v, V_NOT_LINEARIZABLE);
            assert_int_equal(x->ops[0], rd);
            assert_int_equal(v.lin, LIN_VIOLATION);
            assert_int_equal(v.lin_unknown_keys, 0);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- convergence ---- */

/* Quorum: after settle, replicas of a key holding different records are divergent, named with
 * the key; replicas holding the same records are not, and an unhealed run is not judged. */
static void test_oracle_divergent_when_quorum_replicas_disagree_after_settle(void **state)
{
    (void)state;
    enum { DIVERGED, AGREED, UNHEALED };
    for (int variant = DIVERGED; variant <= UNHEALED; variant++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 1, 10 * MS, 30 * MS, OUTCOME_OK);
        uint32_t w2 = hist_op(&f, "w2", OP_PUT, 2, 40 * MS, SIM_TIME_NEVER, OUTCOME_INDETERMINATE);
        at(&f, 20 * MS);
        for (EndpointId n = R1; n <= R3; n++)
            q_store(&f, n, w1, TRUE);
        at(&f, 50 * MS);
        q_store(&f, R3, w2, TRUE);
        if (variant == AGREED) {
            q_store(&f, R1, w2, TRUE);
            q_store(&f, R2, w2, TRUE);
        }
        all_up(&f);
        checker_check_convergence(f.c, variant != UNHEALED);
        Verdict v;
        finish(&f, &v);
        if (variant != DIVERGED) {
            assert_clean(&v);
            if (variant == UNHEALED)
                assert_non_null(strstr(v.convergence_note, "not checked"));
        } else {
            const Violation *x = only(&v, V_DIVERGENT);
            assert_int_equal(x->nnodes, 2);
            assert_names_node(x, R3);
            /* The reference replica is the first up on the key's ring walk. */
            assert_says(x, x->nodes[0] == R3 ? "disagree on key k0 (2 vs 1)"
                                             : "disagree on key k0 (1 vs 2)");
            assert_says(x, "r3");
            assert_says(x, "50.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Raft: after settle, a server that is up and lacks a committed entry durably is divergent. */
static void test_oracle_divergent_when_a_raft_server_lacks_a_committed_entry(void **state)
{
    (void)state;
    for (int caught_up = 0; caught_up <= 1; caught_up++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        uint32_t w1 = raft_committed_write(&f);
        if (caught_up)
            r_append(&f, N3, 1, 1, w1, TRUE);
        at(&f, 80 * MS);
        all_up(&f);
        checker_check_convergence(f.c, TRUE);
        Verdict v;
        finish(&f, &v);
        if (caught_up) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_DIVERGENT);
            assert_int_equal(x->nnodes, 1);
            assert_int_equal(x->nodes[0], N3);
            assert_says(x, "after settle (80.000ms), n3 does not hold committed entry 1 of 1");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- raft snapshots ---- */

/* A snapshot header written through an index the committed prefix reaches (with its term) is
 * fine; one through an entry not committed is snapshot-safety. */
static void
test_oracle_raft_snapshot_safety_when_a_snapshot_holds_an_uncommitted_entry(void **state)
{
    (void)state;
    for (uint64_t through = 1; through <= 2; through++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        raft_committed_write(&f);
        at(&f, 40 * MS);
        r_snapshot(&f, N1, through, 1);
        Verdict v;
        finish(&f, &v);
        if (through == 1) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_SNAPSHOT_SAFETY);
            assert_names_node(x, N1);
            assert_true(x->time == 40 * MS);
            assert_says(x, "n1 wrote a snapshot through index 2 (term 1) at 40.000ms, but "
                           "entries were committed only up to 1");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* A durable snapshot that goes back to an earlier index rolls committed state back; a later
 * one, or one after the disk was lost, does not. */
static void test_oracle_raft_snapshot_safety_when_a_durable_snapshot_goes_back(void **state)
{
    (void)state;
    for (int back = 0; back <= 1; back++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        uint32_t w1 = raft_committed_write(&f);
        uint32_t w2 = hist_op(&f, "w2", OP_PUT, 6, 40 * MS, 50 * MS, OUTCOME_OK);
        at(&f, 40 * MS);
        client_request(&f, w2, N1);
        r_append(&f, N1, 2, 1, w2, TRUE);
        r_append(&f, N2, 2, 1, w2, TRUE);
        server_ack(&f, w2, N1);
        (void)w1;
        at(&f, 60 * MS);
        r_snapshot(&f, N2, back ? 2 : 1, 1);
        at(&f, 70 * MS);
        r_snapshot(&f, N2, back ? 1 : 2, 1);
        Verdict v;
        finish(&f, &v);
        if (!back) {
            assert_clean(&v);
        } else {
            const Violation *x = only(&v, V_SNAPSHOT_SAFETY);
            assert_names_node(x, N2);
            assert_says(x, "n2's durable snapshot went back from index 2 to 1 at 70.000ms");
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- liveness ---- */

/* Adds the liveness probe: c1's put of _probe invoked at `invoke`, ended with `outcome`. */
static uint32_t probe_op(Fix *f, SimTime invoke, SimTime complete, Outcome outcome)
{
    uint32_t id = hist_op(f, "probe", OP_PUT, 1, invoke, complete, outcome);
    HistOp *op = hop(f, id);
    assert_true(v_key_lookup(f, "_probe", &op->key));
    op->flags = HOP_PROBE;
    return id;
}

/* A probe write that timed out after every fault healed is stuck; it is not judged when not
 * healed or when the run ends while it is still out (before it could have given up), and a
 * probe still out past that deadline is stuck too. The liveness oracle reads only the history,
 * the clock and the end of the run: it is called directly, and through the checker. */
static void test_oracle_stuck_when_the_probe_never_completes_after_healing(void **state)
{
    (void)state;
    enum { HEALED, UNHEALED, CUT_OFF, OUT_PAST_DEADLINE, ANSWERED };
    for (int variant = HEALED; variant <= ANSWERED; variant++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        gboolean out = variant == CUT_OFF || variant == OUT_PAST_DEADLINE;
        Outcome o = variant == ANSWERED ? OUTCOME_OK
                    : out               ? OUTCOME_PENDING
                                        : OUTCOME_INDETERMINATE;
        uint32_t id = probe_op(&f, 100 * MS, out ? SIM_TIME_NEVER : 900 * MS, o);
        SimTime deadline = world_config_final_deadline(&f.cfg, 100 * MS);
        at(&f, variant == CUT_OFF             ? deadline - 1
               : variant == OUT_PAST_DEADLINE ? deadline
                                              : 30 * SIM_SEC);
        CheckEnd end = default_end();
        end.probe_op = id;
        end.healed = variant != UNHEALED;
        for (int direct = 0; direct <= 1; direct++) {
            Verdict v;
            if (direct) {
                verdict_init(&v);
                history_check_liveness(&f.view, &end, &v);
            } else {
                finish_with(&f, &end, &v);
            }
            if (variant == ANSWERED) {
                assert_clean(&v);
                assert_null(v.liveness_note);
            } else if (variant == UNHEALED || variant == CUT_OFF) {
                assert_clean(&v);
                assert_non_null(strstr(v.liveness_note, "not checked"));
            } else {
                const Violation *x = only(&v, V_STUCK);
                assert_int_equal(x->ops[0], id);
                assert_true(x->time == 100 * MS);
                assert_says(x, variant == HEALED
                                   ? "(invoked at 100.000ms) did not complete: indeterminate"
                                   : "(invoked at 100.000ms) did not complete: pending");
                if (!direct)
                    assert_int_equal(v.ops, 0); /* the probe is not part of the judged history */
            }
            verdict_clear(&v);
        }
        fix_close(&f);
    }
}

/* The same probe in a running cluster completes, and a quiet run raises nothing at all. */
static void test_oracle_not_stuck_when_a_running_cluster_answers_the_probe(void **state)
{
    (void)state;
    const Protocol *const protocols[] = {&quorum_protocol, &raft_protocol};
    for (gsize i = 0; i < G_N_ELEMENTS(protocols); i++) {
        const Protocol *p = protocols[i];
        WorldConfig cfg;
        world_config_init(&cfg, p);
        cfg.keys = 1;
        if (p == &quorum_protocol) {
            quorum_config_mut(&cfg)->write_quorum = 2;
            quorum_config_mut(&cfg)->read_quorum = 2;
        }
        World *w = world_new(&cfg);
        world_set_invariants(w, TRUE);
        Checker *c = checker_new(w, cfg.protocol == &raft_protocol ? &raft_oracle : &quorum_oracle);
        KeyId probe;
        assert_true(world_key_lookup(w, "_probe", &probe));
        world_start(w);
        world_run_until(w, 2 * SIM_SEC);
        checker_check_convergence(c, TRUE);
        uint32_t id = world_submit(w, 0, OP_PUT, probe, 1, HOP_PROBE);
        world_run_until(w, 6 * SIM_SEC);
        assert_int_equal(history_op(world_history(w), id)->outcome, OUTCOME_OK);
        CheckEnd end = default_end();
        end.probe_op = id;
        Verdict v;
        verdict_init(&v);
        checker_finish(c, &end, &v);
        assert_clean(&v);
        assert_null(v.liveness_note);
        verdict_clear(&v);
        checker_free(c);
        world_free(w);
        world_config_clear(&cfg);
    }
}

/* ---- the generic oracles on their own input ---- */

/* A protocol of the test's making: an ack needs two durable copies, and an acked write is lost
 * when no copy is left. */
static guint two_copies(void *st)
{
    return 2;
}
static gboolean none_left(void *st, const Ledger *l, const NodeSet *holders)
{
    return nodeset_is_empty(holders);
}
static gboolean never_visible(void *st, const Ledger *l)
{
    return FALSE;
}
static const OracleModule two_copy_module = {
    .name = "two-copies", .ack_copies = two_copies, .lost = none_left, .visible = never_visible};

/* Feeds the ledger one message (as the checker does for every message sent). */
static void ledger_feed(LedgerBook *b, Msg *m, Verdict *found)
{
    ledger_sent(b, &two_copy_module, NULL, m, found);
    msg_free(m);
}

/* The write ledger fed directly: a write request names the write, the module tells it where its
 * durable copies appear and go, an ack with one copy of two is early, and the write whose last
 * copy is overwritten is lost; a copy a media fault took still backs what the node said. */
static void test_oracle_ledger_on_its_own_input(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    LedgerBook b;
    ledger_init(&b, &f.view, NODES);
    Verdict found;
    verdict_init(&found);
    uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 30 * MS, OUTCOME_OK);
    at(&f, 10 * MS);
    ledger_feed(&b, request_msg(&f, w1, CO1), &found);
    Ledger *l = ledger_find(&b, hop(&f, w1)->idem);
    assert_non_null(l);
    assert_int_equal(l->key, f.k0);
    assert_int_equal(l->first_op, w1);
    at(&f, 20 * MS);
    ledger_copy_changed(&b, l, R1, +1, DISK_CHANGE_SYNC);
    at(&f, 30 * MS);
    ledger_feed(&b, ack_msg(&f, w1, CO1), &found);
    const Violation *x = only(&found, V_EARLY_ACK);
    assert_says(x, "write w1 (put k0) acked by co1 at 30.000ms with 1/2 durable copies (r1)");
    ledger_copy_changed(&b, l, R2, +1, DISK_CHANGE_SYNC);
    NodeSet held;
    ledger_holders(&b, l, &held);
    assert_int_equal(nodeset_low64(&held), 0x3);
    at(&f, 40 * MS);
    ledger_copy_changed(&b, l, R1, -1, DISK_CHANGE_MEDIA);
    assert_true(ledger_backed(&b, l, R1));
    assert_false(ledger_backed(&b, l, R3));
    Verdict v;
    verdict_init(&v);
    ledger_check_end(&b, &two_copy_module, NULL, &v);
    assert_clean(&v);
    at(&f, 50 * MS);
    ledger_copy_changed(&b, l, R2, -1, DISK_CHANGE_SYNC);
    ledger_check_end(&b, &two_copy_module, NULL, &v);
    x = only(&v, V_LOST_ACK);
    assert_int_equal(x->ops[0], w1);
    assert_names_node(x, R2);
    assert_says(x, "acked at 30.000ms with 1 durable copy (r1); its last copy was overwritten on "
                   "r2 at 50.000ms");
    verdict_clear(&v);
    verdict_clear(&found);
    ledger_clear(&b);
    fix_close(&f);
}

/* Linearizability fed directly: a key whose adds merge by version (a protocol's module says so)
 * is checked but not promised, so its violation is counted, not raised; without merging adds
 * the same history is a violation. */
static void test_oracle_lin_check_promises_nothing_for_merging_adds(void **state)
{
    (void)state;
    for (int merging = 0; merging <= 1; merging++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        hist_op(&f, "a1", OP_ADD, 1, 10 * MS, 20 * MS, OUTCOME_OK);
        uint32_t rd = hist_op(&f, "rd", OP_GET, 0, 30 * MS, 40 * MS, OUTCOME_OK);
        hop(&f, rd)->present = 1;
        hop(&f, rd)->result = 2; /* no add of 2 happened */
        CheckEnd end = default_end();
        Verdict v;
        verdict_init(&v);
        lin_check_history(&f.view, &end, merging, &v);
        assert_int_equal(v.lin, LIN_VIOLATION);
        assert_int_equal(v.lin_keys, 1);
        if (merging) {
            assert_clean(&v);
            assert_int_equal(v.lin_keys_unpromised, 1);
        } else {
            const Violation *x = only(&v, V_NOT_LINEARIZABLE);
            assert_int_equal(x->ops[0], rd);
            assert_int_equal(v.lin_keys_unpromised, 0);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* ---- within and beyond model ---- */

/* Beyond model only unpersisted-send and false-failure are judged: a lost ack is dropped, an
 * unpersisted send kept, and the verdict says why. */
static void test_oracle_beyond_model_judges_only_what_still_holds(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w17 = quorum_acked_write(&f);
    q_wipe(&f, R2);
    Msg *m = msg_new(MSG_Q_WRITE_ACK, R3, CO1);
    quorum_body(m)->qack = (QWriteAck){.status = QACK_DURABLE, .idem = hop(&f, w17)->idem};
    observe_sent(&f, m);
    CheckEnd end = default_end();
    end.within_model = FALSE;
    end.model_reason = "2 disks lost";
    Verdict v;
    finish_with(&f, &end, &v);
    only(&v, V_UNPERSISTED_SEND);
    assert_int_equal(v.counts[V_LOST_ACK], 0);
    assert_true(v.beyond_model);
    assert_non_null(strstr(v.model_note, "2 disks lost"));
    verdict_clear(&v);
    /* Within model the same run is judged guilty of all three. */
    end.within_model = TRUE;
    finish_with(&f, &end, &v);
    assert_int_equal(v.kinds,
                     (1u << V_UNPERSISTED_SEND) | (1u << V_LOST_ACK) | (1u << V_UNDER_REPLICATED));
    assert_false(v.beyond_model);
    verdict_clear(&v);
    fix_close(&f);
}

/* ---- lost redundancy ---- */

/* A quorum write acked with W = 2 copies: a record on r1 and a hint for r2 on r3. */
static uint32_t quorum_hinted_write(Fix *f)
{
    uint32_t w = hist_op(f, "w5", OP_PUT, 5, 10 * MS, 40 * MS, OUTCOME_OK);
    at(f, 10 * MS);
    client_request(f, w, CO1);
    at(f, 20 * MS);
    q_store(f, R1, w, TRUE);
    QRecord hint = qrec(f, w);
    hint.hinted = 1;
    hint.hint_for = R2;
    q_write_at(f, R3, f->next_block[R3], &hint);
    q_sync(f, R3);
    at(f, 40 * MS);
    server_ack(f, w, CO1);
    return w;
}

/* r3 marks its hint handed back (HINT_DONE made durable). */
static void quorum_hint_done(Fix *f, uint32_t w)
{
    DiskBlock b;
    quorum_encode_hint_done(&b, hop(f, w)->idem, R2);
    assert_int_equal(disk_write(f->disks[R3], QFILE(f, R3), f->next_block[R3]++, &b), 0);
    q_sync(f, R3);
}

/* A hint dropped before the replica it was held for has the write leaves it with fewer copies
 * than it was acked with, though no fault struck: under-replicated at that moment, naming the
 * node that dropped its copy. Handed back properly (the target's copy first), nothing is owed. */
static void test_oracle_under_replicated_when_a_hint_is_dropped_too_early(void **state)
{
    (void)state;
    for (int proper = 0; proper <= 1; proper++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w = quorum_hinted_write(&f);
        at(&f, 60 * MS);
        if (proper)
            q_store(&f, R2, w, TRUE);
        at(&f, 70 * MS);
        quorum_hint_done(&f, w);
        Verdict v;
        finish(&f, &v);
        if (proper) {
            assert_clean(&v);
        } else {
            const Violation *x = first_of(&v, V_UNDER_REPLICATED);
            assert_int_equal(x->ops[0], w);
            assert_names_node(x, R3);
            assert_true(x->time == 70 * MS);
            assert_says(x, "write w5 (put k0) acked at 40.000ms with 2 durable copies (r1, r3), "
                           "2 owed: r3 took its copy away (overwritten) at 70.000ms");
            assert_says(x, "leaving 1 (r1)");
            assert_int_equal(v.counts[V_UNDER_REPLICATED], 1); /* reported once */
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* A hint whose holder and target are both up after settle should have been handed back: it does
 * not count, and the write is under-replicated although every block is still on disk. With the
 * target down, the hint rightly waits and counts. */
static void test_oracle_under_replicated_when_a_hint_is_never_handed_back(void **state)
{
    (void)state;
    for (int target_up = 0; target_up <= 1; target_up++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        quorum_hinted_write(&f);
        all_up(&f);
        f.up[R2] = target_up;
        at(&f, 3 * SIM_SEC);
        checker_check_convergence(f.c, TRUE);
        Verdict v;
        finish(&f, &v);
        if (!target_up) {
            only(&v, V_DIVERGENT); /* r1 and r3 disagree on k0; the hint counts */
        } else {
            const Violation *x = first_of(&v, V_UNDER_REPLICATED);
            assert_says(x, "after settle (3000.000ms) 1 copy count (r1) although r1, r3 could "
                           "repair it");
            assert_int_equal(x->nnodes, 0);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* A copy a fault takes is owed back by the end of settle: repaired, nothing is raised; not
 * repaired while a node that holds the write is up, under-replicated after settle, naming the
 * copy lost and how; with no holder up to repair from, the redundancy oracle says nothing (the
 * loss oracles judge that). */
static void test_oracle_under_replicated_when_repair_never_restores_a_lost_copy(void **state)
{
    (void)state;
    enum { REPAIRED, NOT_REPAIRED, NO_SOURCE };
    for (int variant = REPAIRED; variant <= NO_SOURCE; variant++) {
        Fix f;
        fix_open(&f, &quorum_protocol);
        uint32_t w = hist_op(&f, "w9", OP_PUT, 9, 10 * MS, 40 * MS, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w, CO1);
        at(&f, 20 * MS);
        q_store(&f, R1, w, TRUE);
        q_store(&f, R2, w, TRUE);
        at(&f, 40 * MS);
        server_ack(&f, w, CO1);
        at(&f, 100 * MS);
        q_wipe(&f, R2); /* within the model: W - 1 = 1 replica may lose its disk */
        f.next_block[R2] = 0;
        if (variant == REPAIRED) {
            at(&f, 500 * MS);
            q_store(&f, R2, w, TRUE);
        }
        all_up(&f);
        if (variant == NO_SOURCE)
            f.up[R1] = FALSE;
        at(&f, 3 * SIM_SEC);
        checker_check_convergence(f.c, TRUE);
        Verdict v;
        finish(&f, &v);
        if (variant == NOT_REPAIRED) {
            const Violation *x = only_with(&v, V_UNDER_REPLICATED, V_DIVERGENT);
            assert_says(x, "acked at 40.000ms with 2 durable copies (r1, r2), 2 owed: after "
                           "settle (3000.000ms) 1 copy count (r1) although r1 could repair it; "
                           "copies lost: r2 at 100.000ms (lost with the disk)");
        } else {
            assert_int_equal(v.counts[V_UNDER_REPLICATED], 0);
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* A write a newer put superseded owes no copies: replicas repair a key's state, not what it no
 * longer holds. */
static void test_oracle_superseded_write_owes_no_copies(void **state)
{
    (void)state;
    Fix f;
    fix_open(&f, &quorum_protocol);
    uint32_t w1 = hist_op(&f, "w1", OP_PUT, 1, 10 * MS, 40 * MS, OUTCOME_OK);
    uint32_t w2 = hist_op(&f, "w2", OP_PUT, 2, 50 * MS, 80 * MS, OUTCOME_OK);
    at(&f, 20 * MS);
    q_store(&f, R1, w1, TRUE);
    q_store(&f, R2, w1, TRUE);
    at(&f, 40 * MS);
    server_ack(&f, w1, CO1);
    at(&f, 100 * MS);
    q_wipe(&f, R2);
    f.next_block[R2] = 0;
    at(&f, 200 * MS);
    for (EndpointId n = R1; n <= R3; n++)
        q_store(&f, n, w2, TRUE);
    at(&f, 210 * MS);
    server_ack(&f, w2, CO1);
    all_up(&f);
    at(&f, 3 * SIM_SEC);
    checker_check_convergence(f.c, TRUE);
    Verdict v;
    finish(&f, &v);
    assert_clean(&v);
    verdict_clear(&v);
    fix_close(&f);
}

/* Raft: after settle an acked entry must be on a majority again; a server that lost its disk and
 * never caught up leaves it under-replicated. Kept history draws each write's copies over time:
 * 2 at the ack, 1 after the loss (3 once caught up). */
static void test_oracle_raft_under_replicated_when_a_server_never_catches_up(void **state)
{
    (void)state;
    for (int caught_up = 0; caught_up <= 1; caught_up++) {
        Fix f;
        fix_open(&f, &raft_protocol);
        checker_keep_history(f.c);
        for (EndpointId n = N1; n <= N3; n++)
            r_meta(&f, n, 1, ENDPOINT_NONE, TRUE);
        uint32_t w1 = hist_op(&f, "w1", OP_PUT, 5, 10 * MS, 40 * MS, OUTCOME_OK);
        at(&f, 10 * MS);
        client_request(&f, w1, N1);
        at(&f, 20 * MS);
        r_append(&f, N1, 1, 1, w1, TRUE);
        r_append(&f, N2, 1, 1, w1, TRUE);
        at(&f, 40 * MS);
        server_ack(&f, w1, N1);
        at(&f, 100 * MS);
        q_wipe(&f, N2);
        if (caught_up) {
            at(&f, 400 * MS);
            r_append(&f, N2, 1, 1, w1, TRUE);
            r_append(&f, N3, 1, 1, w1, TRUE);
        }
        all_up(&f);
        at(&f, 3 * SIM_SEC);
        checker_check_convergence(f.c, TRUE);
        Verdict v;
        finish(&f, &v);
        const Redundancy *red = checker_redundancy(f.c);
        assert_int_equal(redundancy_need(red), 2);
        guint n;
        const RedundancyPoint *p = redundancy_history(red, &n);
        assert_true(n >= 2);
        assert_true(p[0].t == 40 * MS && p[0].copies == 2);
        assert_true(p[1].t == 100 * MS && p[1].copies == 1);
        if (caught_up) {
            assert_int_equal(v.counts[V_UNDER_REPLICATED], 0);
            assert_int_equal(p[n - 1].copies, 3);
        } else {
            const Violation *x = first_of(&v, V_UNDER_REPLICATED);
            assert_says(x, "write w1 (put k0) acked at 40.000ms with 2 durable copies (n1, n2), 2 "
                           "owed: after settle (3000.000ms) 1 copy count (n1)");
            assert_true(redundancy_reported(red, 0));
        }
        verdict_clear(&v);
        fix_close(&f);
    }
}

/* Each kind keeps at most VERDICT_EXAMPLES violations in full and counts the rest. */
static void test_oracle_verdict_keeps_examples_and_counts_the_rest(void **state)
{
    (void)state;
    Verdict v;
    verdict_init(&v);
    EndpointId nodes[1] = {0};
    for (guint i = 0; i < VERDICT_EXAMPLES + 3; i++) {
        uint32_t ops[1] = {i};
        verdict_add(&v, V_STUCK, (SimTime)i, ops, 1, nodes, 1, g_strdup_printf("case %u", i));
    }
    assert_int_equal(v.counts[V_STUCK], VERDICT_EXAMPLES + 3);
    assert_int_equal(v.violations->len, VERDICT_EXAMPLES);
    assert_false(verdict_passed(&v));
    verdict_clear(&v);
}

int main(void)
{
    protocols_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_lost_ack_when_every_durable_copy_is_gone),
        cmocka_unit_test(test_oracle_no_lost_ack_while_one_durable_copy_survives),
        cmocka_unit_test(test_oracle_lost_ack_only_when_no_newer_write_supersedes),
        cmocka_unit_test(test_oracle_raft_lost_ack_when_a_majority_no_longer_holds_the_entry),
        cmocka_unit_test(test_oracle_lost_ack_that_was_never_durable_says_so),
        cmocka_unit_test(test_oracle_early_ack_when_fewer_than_w_copies_are_durable),
        cmocka_unit_test(test_oracle_raft_early_ack_counts_only_copies_made_in_the_entrys_term),
        cmocka_unit_test(test_oracle_raft_early_ack_with_a_minority_of_copies),
        cmocka_unit_test(test_oracle_false_failure_when_a_definite_failure_took_effect),
        cmocka_unit_test(test_oracle_no_false_failure_for_orphans_and_honest_failures),
        cmocka_unit_test(test_oracle_voided_record_is_a_latent_orphan),
        cmocka_unit_test(test_oracle_raft_duplicate_when_one_write_takes_effect_at_two_indexes),
        cmocka_unit_test(test_oracle_quorum_duplicate_when_a_replica_holds_one_add_twice),
        cmocka_unit_test(test_oracle_unpersisted_send_when_a_replica_acks_before_its_fsync),
        cmocka_unit_test(test_oracle_unpersisted_send_when_a_vote_is_not_durable),
        cmocka_unit_test(test_oracle_unpersisted_send_when_append_success_outruns_the_fsync),
        cmocka_unit_test(test_oracle_election_safety_when_two_servers_lead_one_term),
        cmocka_unit_test(test_oracle_log_matching_when_one_index_and_term_hold_two_commands),
        cmocka_unit_test(test_oracle_log_matching_when_logs_agree_later_but_differ_below),
        cmocka_unit_test(test_oracle_leader_completeness_when_a_new_leader_lacks_a_committed_entry),
        cmocka_unit_test(test_oracle_raft_commitment_counts_only_voters_of_the_configuration),
        cmocka_unit_test(
            test_oracle_election_safety_when_a_leader_lacks_a_majority_of_its_configuration),
        cmocka_unit_test(
            test_oracle_disruption_when_a_server_without_prevotes_deposes_a_followed_leader),
        cmocka_unit_test(test_oracle_state_machine_safety_when_servers_apply_different_commands),
        cmocka_unit_test(test_oracle_not_linearizable_when_a_read_misses_a_completed_put),
        cmocka_unit_test(test_oracle_not_linearizable_when_a_read_sees_a_definitely_failed_write),
        cmocka_unit_test(
            test_oracle_no_lin_violation_when_the_read_sees_the_put_or_none_is_promised),
        cmocka_unit_test(test_oracle_lin_budget_reports_unknown),
        cmocka_unit_test(test_oracle_divergent_when_quorum_replicas_disagree_after_settle),
        cmocka_unit_test(test_oracle_divergent_when_a_raft_server_lacks_a_committed_entry),
        cmocka_unit_test(
            test_oracle_raft_snapshot_safety_when_a_snapshot_holds_an_uncommitted_entry),
        cmocka_unit_test(test_oracle_raft_snapshot_safety_when_a_durable_snapshot_goes_back),
        cmocka_unit_test(test_oracle_stuck_when_the_probe_never_completes_after_healing),
        cmocka_unit_test(test_oracle_not_stuck_when_a_running_cluster_answers_the_probe),
        cmocka_unit_test(test_oracle_ledger_on_its_own_input),
        cmocka_unit_test(test_oracle_lin_check_promises_nothing_for_merging_adds),
        cmocka_unit_test(test_oracle_beyond_model_judges_only_what_still_holds),
        cmocka_unit_test(test_oracle_under_replicated_when_a_hint_is_dropped_too_early),
        cmocka_unit_test(test_oracle_under_replicated_when_a_hint_is_never_handed_back),
        cmocka_unit_test(test_oracle_under_replicated_when_repair_never_restores_a_lost_copy),
        cmocka_unit_test(test_oracle_superseded_write_owes_no_copies),
        cmocka_unit_test(test_oracle_raft_under_replicated_when_a_server_never_catches_up),
        cmocka_unit_test(test_oracle_verdict_keeps_examples_and_counts_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
