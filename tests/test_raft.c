/* tests/test_raft.c — Raft (model/raft/raft.c) through its sans-IO step function, and in the world.
 *
 * Step-level tests drive raft instances created through raft_ops, as the node runtime does,
 * without the simulator, with the step harness of tests/support_step.h (a Cluster): it feeds
 * them boot, timer, message and disk events and plays the runtime for their actions. Sends go
 * into an in-flight list that the test delivers, drops or inspects; disk actions queue per node
 * and complete, one at a time in submission order, on a real model/world/disk.c Disk (so the
 * tests can ask what is durable at the moment a message leaves); timers are armed and fire only
 * when a test fires them. Every step is followed by raft_ops.check and recorded, so a test can
 * ask what a step, or a stretch of steps, did. Endpoints 0..n-1 are servers, n.. are clients.
 *
 * World tests run scenarios (scenario_load_data + runner_run) for the three leader-crash cases
 * of the Raft paper and for a follower catching up, and read the ground truth from the kept
 * world: durable logs, the client history and the trace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/history.h"
#include "sim/protocols.h"
#include "model/proto.h"
#include "model/raft/raft.h"
#include "model/world/world.h"
#include "reports/check.h"
#include "reports/raft/raft_durable.h"
#include "scenarios/scenario.h"
#include "sim/runner.h"
#include "tests/support_step.h"

#include <errno.h>
#include <string.h>

/* Timer slots of model/raft/raft.c (part of the actions the runtime sees). */
#define T_ELECTION  0
#define T_HEARTBEAT 1

/* model/raft/raft.c puts at most this many entries in one AppendEntries. */
#define APPEND_CAP 64

#define MAXN 5

#define ANY  STEPS_ANY
#define NONE ENDPOINT_NONE

/* Descriptor filter of acted_since: any log segment's. */
#define LOG_FD (-2)

/* The servers are the harness's instances 0..n-1 (tests/support_step.h), then the clients. */
typedef Steps Cluster;

/* ---- the harness ---- */

static Cluster *cl_new(guint n, guint clients, BugSet bugs)
{
    g_assert(n <= MAXN);
    WorldConfig cfg;
    world_config_init(&cfg, &raft_protocol);
    cfg.nodes = n;
    cfg.clients = clients;
    cfg.bugs = bugs;
    Cluster *c = steps_new(&cfg, 1 * SIM_SEC);
    world_config_clear(&cfg);
    for (guint i = 0; i < n; i++)
        steps_add(c, (EndpointId)i, &raft_ops, 1000 + i, FS_EXT4_ORDERED);
    return c;
}

static EndpointId client_ep(const Cluster *c, guint client)
{
    return (EndpointId)(c->cfg.nodes + client);
}

/* The generated idempotency key of a client's seq-th operation (as model/world/client.c makes it).
 */
static IdemKey idem_of(guint client, uint32_t seq)
{
    return ((IdemKey)(client + 1) << 32) | seq;
}

static Disk *cl_disk(Cluster *c, guint i)
{
    return c->node[i].disk;
}

static gboolean ep_is(EndpointId want, EndpointId got)
{
    return want == ANY || want == got;
}

/* The first disk action of `kind` of node at or after record `from` on a log segment's descriptor
 * (LOG_FD) or on descriptor `file`. */
static const ProtoAction *acted_since(const Cluster *c, guint from, EndpointId node,
                                      ActionKind kind, int file)
{
    if (file == LOG_FD)
        return steps_acted_fds(c, from, node, kind, RAFT_FD_SEG_FIRST, INT_MAX);
    return steps_acted(c, from, node, kind, file);
}

/* One round of the candidate's vote requests (pre-votes or votes): they reach the servers in
 * `voters` (the others are dropped) and their answers come back, with every disk operation on
 * the way completed. */
static void cl_vote_round(Cluster *c, guint cand, uint32_t voters)
{
    steps_disk_all(c, cand);
    Msg *m;
    while ((m = steps_take(c, MSG_R_VOTE, (EndpointId)cand, ANY)) != NULL) {
        if (((voters >> m->to) & 1) && c->node[m->to].state == STEPS_UP && !c->cut[cand][m->to]) {
            guint to = m->to;
            steps_deliver(c, m);
            steps_disk_all(c, to);
        } else {
            msg_free(m);
        }
    }
    while ((m = steps_take(c, MSG_R_VOTE_RESP, ANY, (EndpointId)cand)) != NULL)
        steps_deliver(c, m);
    steps_disk_all(c, cand);
}

/* Fires the candidate's election timer and plays its pre-vote round with the servers in
 * `prevoters` and then, if that succeeds, its election with the servers in `voters`. Returns
 * whether it won; a new leader's first appends stay in flight. */
static gboolean cl_elect_with(Cluster *c, guint cand, uint32_t prevoters, uint32_t voters)
{
    steps_fire(c, cand, T_ELECTION);
    cl_vote_round(c, cand, prevoters); /* the pre-vote (thesis §9.6) */
    if (steps_role(c, cand) == ROLE_CANDIDATE)
        cl_vote_round(c, cand, voters);
    return steps_role(c, cand) == ROLE_LEADER;
}

static gboolean cl_elect(Cluster *c, guint cand, uint32_t voters)
{
    return cl_elect_with(c, cand, voters, voters);
}

/* Sends a client request to server `to` and steps it. */
static void cl_request(Cluster *c, guint client, guint to, uint32_t op, uint16_t attempt,
                       OpKind kind, KeyId key, Value value, IdemKey idem)
{
    Msg *m = msg_new(MSG_CLIENT_REQ, client_ep(c, client), (EndpointId)to);
    m->u.creq = (ClientReq){.op = op,
                            .attempt = attempt,
                            .kind = (uint8_t)kind,
                            .key = key,
                            .value = value,
                            .idem = idem};
    steps_deliver(c, m);
}

/* The answers in flight to a client's attempt. */
static guint cl_count_replies(const Cluster *c, guint client, uint32_t op, uint16_t attempt)
{
    guint n = 0;
    for (guint k = 0; k < c->net->len; k++) {
        const Msg *m = g_ptr_array_index(c->net, k);
        if (m->type == MSG_CLIENT_RESP && m->to == client_ep(c, client) && m->u.cresp.op == op &&
            m->u.cresp.attempt == attempt)
            n++;
    }
    return n;
}

static const ClientResp *cl_reply(const Cluster *c, guint client, uint32_t op, uint16_t attempt)
{
    for (guint k = 0; k < c->net->len; k++) {
        const Msg *m = g_ptr_array_index(c->net, k);
        if (m->type == MSG_CLIENT_RESP && m->to == client_ep(c, client) && m->u.cresp.op == op &&
            m->u.cresp.attempt == attempt)
            return &m->u.cresp;
    }
    return NULL;
}

/* ---- hand-made peer messages ---- */

static Msg *mk_vote(guint from, guint to, uint64_t term, uint64_t last_index, uint64_t last_term)
{
    Msg *m = msg_new(MSG_R_VOTE, (EndpointId)from, (EndpointId)to);
    raft_body(m)->rv = (RVote){.term = term, .last_index = last_index, .last_term = last_term};
    return m;
}

static Msg *mk_vote_resp(guint from, guint to, uint64_t term, gboolean granted)
{
    Msg *m = msg_new(MSG_R_VOTE_RESP, (EndpointId)from, (EndpointId)to);
    raft_body(m)->rvr = (RVoteResp){.term = term, .granted = (uint8_t)granted};
    return m;
}

static Msg *mk_prevote_resp(guint from, guint to, uint64_t term, gboolean granted)
{
    Msg *m = mk_vote_resp(from, to, term, granted);
    raft_body(m)->rvr.prevote = 1;
    return m;
}

static RaftEntry mk_entry(uint64_t term, uint64_t index)
{
    /* A put under a named idempotency key (top bit set), unique per (term, index). */
    return (RaftEntry){.term = term,
                       .index = index,
                       .kind = OP_PUT,
                       .client = NONE,
                       .key = 0,
                       .value = (Value)(term * 1000 + index),
                       .idem = (IdemKey)1 << 63 | term << 32 | index};
}

/* An AppendEntries carrying entries prev+1.. with the given terms. */
static Msg *mk_append(guint from, guint to, uint64_t term, uint64_t prev_index, uint64_t prev_term,
                      uint64_t commit, const uint64_t *terms, guint n)
{
    Msg *m = msg_new(MSG_R_APPEND, (EndpointId)from, (EndpointId)to);
    raft_body(m)->ra =
        (RAppend){.term = term, .prev_index = prev_index, .prev_term = prev_term, .commit = commit};
    if (n > 0) {
        RaftEntry *e = g_new(RaftEntry, n);
        for (guint k = 0; k < n; k++)
            e[k] = mk_entry(terms[k], prev_index + 1 + k);
        msg_take_extra(m, e, n, sizeof(RaftEntry));
    }
    return m;
}

static Msg *mk_append_resp(guint from, guint to, uint64_t term, gboolean success, uint64_t match,
                           uint64_t round)
{
    Msg *m = msg_new(MSG_R_APPEND_RESP, (EndpointId)from, (EndpointId)to);
    raft_body(m)->rar =
        (RAppendResp){.term = term, .success = (uint8_t)success, .match = match, .round = round};
    return m;
}

/* ---- durable state ---- */

/* Writes a durable term, vote and log (entries 1.. with the given terms) onto node i's disk. */
/* Writes block `b` of file `path` (created) durably, name and all, through descriptor 0. */
static void preset_block(Disk *d, const char *path, uint32_t idx, const DiskBlock *b)
{
    assert_int_equal(disk_open(d, 0, path, FS_O_CREATE), 0);
    assert_int_equal(disk_pwrite(d, 0, idx, b), 0);
    assert_int_equal(disk_fdsync(d, 0, FALSE), 0);
    assert_int_equal(disk_close(d, 0), 0);
}

/* fsyncs directory `path`, making its entries durable. */
static void preset_dir_sync(Disk *d, const char *path)
{
    assert_int_equal(disk_open(d, 0, path, FS_O_DIR), 0);
    assert_int_equal(disk_fdsync(d, 0, FALSE), 0);
    assert_int_equal(disk_close(d, 0), 0);
}

/* Writes a durable term, vote and log (entries 1.. with the given terms) onto node i's disk, in
 * raft's files (model/raft/raft.h). */
static void cl_preset(Cluster *c, guint i, uint64_t term, EndpointId voted, const uint64_t *terms,
                      guint n)
{
    Disk *d = cl_disk(c, i);
    DiskBlock b;
    RaftMeta meta = {.seq = 1, .term = term, .voted_for = voted};
    raft_encode_meta(&b, &meta);
    preset_block(d, RAFT_META_PATH, 0, &b);
    if (disk_lookup(d, RAFT_LOG_DIR, FALSE) < 0)
        assert_int_equal(disk_mkdir(d, RAFT_LOG_DIR), 0);
    for (guint k = 0; k < n; k++) {
        RaftEntry e = mk_entry(terms[k], k + 1);
        raft_encode_entry(&b, &e);
        char path[FS_PATH_MAX];
        raft_segment_path(k / RAFT_SEGMENT_ENTRIES, path, sizeof path);
        preset_block(d, path, k % RAFT_SEGMENT_ENTRIES, &b);
    }
    preset_dir_sync(d, RAFT_LOG_DIR);
    preset_dir_sync(d, ".");
}

static gboolean durable_entry(Disk *d, uint64_t index, RaftEntry *out)
{
    return raft_durable_entry(d, index, out);
}

/* Whether the first `len` entries of the disk's log are durable as the page cache shows them,
 * in files durably named. */
static gboolean log_prefix_durable(Disk *d, uint64_t len)
{
    for (uint64_t start = 0; start < len; start += RAFT_SEGMENT_ENTRIES) {
        guint file;
        uint32_t block;
        if (!raft_log_locate(d, start + 1, TRUE, &file, &block) ||
            !disk_prefix_is_durable(d, file, (uint32_t)MIN(RAFT_SEGMENT_ENTRIES, len - start)))
            return FALSE;
    }
    return TRUE;
}

/* One past the last index of the disk's durable log. */
static uint64_t disk_log_len(Disk *d)
{
    uint64_t len = 0;
    guint file;
    uint32_t block;
    for (uint64_t start = 1; raft_log_locate(d, start, TRUE, &file, &block);
         start += RAFT_SEGMENT_ENTRIES) {
        uint32_t n = disk_durable_length(d, file);
        if (n > 0)
            len = start - 1 + n;
    }
    return len;
}

/* The term of the durable entry at `index` of node i (0: none). */
static uint64_t durable_term(Cluster *c, guint i, uint64_t index)
{
    RaftEntry e;
    return durable_entry(cl_disk(c, i), index, &e) ? e.term : 0;
}

static uint64_t durable_len(Cluster *c, guint i)
{
    return disk_log_len(cl_disk(c, i));
}

/* ---- what the steps did ---- */

/* The first role change of node to `role` since `from`. */
static const ProtoAction *role_noted_since(const Cluster *c, guint from, EndpointId node,
                                           NodeRole role)
{
    for (guint k = from; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->act.kind == ACT_NOTE && s->act.sub == NOTE_ROLE && s->act.a == role &&
            ep_is(node, (EndpointId)s->node))
            return &s->act;
    }
    return NULL;
}

/* The highest commit index node noted since `from` (0: none noted). */
static uint64_t commit_noted_since(const Cluster *c, guint from, EndpointId node)
{
    uint64_t best = 0;
    for (guint k = from; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->act.kind == ACT_NOTE && s->act.sub == NOTE_COMMIT &&
            ep_is(node, (EndpointId)s->node))
            best = MAX(best, s->act.a);
    }
    return best;
}

/* Whether node applied an entry at index in [lo, hi] of `term` since `from`. */
static gboolean applied_since(const Cluster *c, guint from, EndpointId node, uint64_t lo,
                              uint64_t hi, uint64_t term)
{
    for (guint k = from; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->act.kind == ACT_NOTE && s->act.sub == NOTE_APPLY &&
            ep_is(node, (EndpointId)s->node) && s->act.a >= lo && s->act.a <= hi &&
            s->act.b == term)
            return TRUE;
    }
    return FALSE;
}

/* A booted three-server cluster whose node 0 leads term 1 with its no-op committed. */
static Cluster *three_with_leader(BugSet bugs)
{
    Cluster *c = cl_new(3, 2, bugs);
    for (guint i = 0; i < 3; i++)
        steps_boot(c, i, TRUE);
    steps_pump(c);
    assert_true(cl_elect(c, 0, 0x6));
    steps_pump(c);
    return c;
}

/* ---- elections ---- */

/* An election timeout first asks for pre-votes for the next term (thesis §9.6), changing
 * nothing: no term, no vote, nothing written. */
static void test_raft_election_timeout_asks_for_prevotes_first_and_changes_nothing(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_fire(c, 0, T_ELECTION);
    guint m0 = c->mark;
    assert_null(steps_noted(c, m0, 0, NOTE_ROLE));
    assert_null(steps_acted(c, m0, 0, ACT_WRITE, RAFT_FD_META_TMP));
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_VOTE, ANY), 2);
    for (EndpointId to = 1; to <= 2; to++) {
        const Msg *v = steps_sent_first(c, m0, 0, MSG_R_VOTE, to);
        assert_non_null(v);
        assert_int_equal(raft_body(v)->rv.prevote, 1);
        assert_int_equal(raft_body(v)->rv.term, 1);
    }
    assert_int_equal(steps_role(c, 0), ROLE_FOLLOWER);
    /* a denial from a server in a higher term makes it follow that term instead */
    steps_deliver(c, mk_prevote_resp(1, 0, 4, FALSE));
    steps_disk_all(c, 0);
    RaftMeta meta;
    assert_true(raft_durable_meta(cl_disk(c, 0), &meta));
    assert_int_equal(meta.term, 4);
    assert_int_equal(steps_role(c, 0), ROLE_FOLLOWER);
    steps_free(c);
}

/* A pre-vote is granted only for a term above the voter's, to a log at least as up to date, by a
 * server that has not heard from a leader within the shortest election timeout (§4.2.3); it
 * changes nothing on the voter. */
static void test_raft_prevote_refused_while_hearing_from_leader(void **st)
{
    Cluster *c = three_with_leader(0);
    guint m0 = steps_mark(c);
    Msg *pv = msg_new(MSG_R_VOTE, 2, 1);
    raft_body(pv)->rv = (RVote){.term = 2, .last_index = 9, .last_term = 1, .prevote = 1};
    steps_deliver(c, pv);
    const Msg *r = steps_sent_first(c, m0, 1, MSG_R_VOTE_RESP, 2);
    assert_non_null(r);
    assert_false(raft_body(r)->rvr.granted);
    assert_int_equal(raft_body(r)->rvr.term, 1);
    /* a real vote request of a higher term is ignored altogether: no term change, no answer */
    guint m1 = steps_mark(c);
    Msg *v = msg_new(MSG_R_VOTE, 2, 1);
    raft_body(v)->rv = (RVote){.term = 7, .last_index = 9, .last_term = 1};
    steps_deliver(c, v);
    assert_null(steps_sent_first(c, m1, 1, MSG_R_VOTE_RESP, 2));
    assert_null(steps_noted(c, m1, 1, NOTE_ROLE));
    /* the leader itself ignores it too */
    Msg *v0 = msg_new(MSG_R_VOTE, 2, 0);
    raft_body(v0)->rv = (RVote){.term = 7, .last_index = 9, .last_term = 1};
    steps_deliver(c, v0);
    assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    /* once the lease ran out, the same pre-vote is granted, and still changes nothing */
    c->now += raft_config(&c->cfg)->election_timeout.lo;
    guint m2 = steps_mark(c);
    pv = msg_new(MSG_R_VOTE, 2, 1);
    raft_body(pv)->rv = (RVote){.term = 2, .last_index = 9, .last_term = 1, .prevote = 1};
    steps_deliver(c, pv);
    r = steps_sent_first(c, m2, 1, MSG_R_VOTE_RESP, 2);
    assert_non_null(r);
    assert_true(raft_body(r)->rvr.granted);
    assert_int_equal(raft_body(r)->rvr.term, 2);
    assert_null(steps_noted(c, m2, 1, NOTE_ROLE));
    assert_null(steps_acted(c, m2, 1, ACT_WRITE, RAFT_FD_META_TMP));
    /* but not to a log behind its own */
    guint m3 = steps_mark(c);
    pv = msg_new(MSG_R_VOTE, 2, 1);
    raft_body(pv)->rv = (RVote){.term = 2, .last_index = 0, .last_term = 0, .prevote = 1};
    steps_deliver(c, pv);
    assert_false(raft_body(steps_sent_first(c, m3, 1, MSG_R_VOTE_RESP, 2))->rvr.granted);
    steps_free(c);
}

/* With the no-prevote bug the timeout starts a real election at once, and a server that hears
 * from its leader still adopts a higher term from a vote request. */
static void test_raft_no_prevote_bug_raises_term_at_once(void **st)
{
    Cluster *c = three_with_leader((BugSet)1 << RAFT_BUG_NO_PREVOTE);
    guint m0 = steps_mark(c);
    Msg *v = msg_new(MSG_R_VOTE, 2, 1);
    raft_body(v)->rv = (RVote){.term = 7, .last_index = 0, .last_term = 0};
    steps_deliver(c, v);
    const ProtoAction *role = steps_noted(c, m0, 1, NOTE_ROLE);
    assert_non_null(role);
    assert_int_equal(role->b, 7);
    steps_free(c);
}

/* After a granted pre-vote majority, the server becomes a candidate of the next term, making
 * its term and its vote for itself durable (write, then fsync) before a single vote request
 * leaves. */
static void test_raft_election_timeout_persists_term_and_vote_before_requesting_votes(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    assert_true(steps_timer_due(c, 0, T_ELECTION) >= 0);

    steps_fire(c, 0, T_ELECTION);
    steps_drop(c, 0, ANY);
    steps_deliver(c, mk_prevote_resp(1, 0, 1, TRUE));
    guint m0 = c->mark;
    const ProtoAction *role = steps_noted(c, m0, 0, NOTE_ROLE);
    assert_non_null(role);
    assert_int_equal(role->a, ROLE_CANDIDATE);
    assert_int_equal(role->b, 1);
    const ProtoAction *w = steps_acted(c, m0, 0, ACT_WRITE, RAFT_FD_META_TMP);
    assert_non_null(w);
    RaftMeta meta;
    assert_int_equal(raft_decode_meta(&w->block, &meta), BLOCK_OK);
    assert_int_equal(meta.term, 1);
    assert_int_equal(meta.voted_for, 0);
    assert_non_null(steps_acted(c, m0, 0, ACT_FSYNC, RAFT_FD_META_TMP));
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_VOTE, ANY), 0);
    /* a new randomized timeout, drawn from the configured range */
    SimTime left = steps_timer_due(c, 0, T_ELECTION) - c->now;
    assert_true(left >= raft_config(&c->cfg)->election_timeout.lo &&
                left <= raft_config(&c->cfg)->election_timeout.hi);

    assert_int_equal(steps_disk_next(c, 0), ACT_WRITE);
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_VOTE, ANY), 0);
    assert_int_equal(steps_disk_next(c, 0), ACT_FSYNC); /* meta.tmp */
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_VOTE, ANY), 0);
    assert_int_equal(steps_disk_next(c, 0), ACT_FSYNC); /* the root, after the rename */
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_VOTE, ANY), 2);
    assert_true(raft_durable_meta(cl_disk(c, 0), &meta));
    assert_int_equal(meta.term, 1);
    assert_int_equal(meta.voted_for, 0);
    for (EndpointId to = 1; to <= 2; to++) {
        const Msg *v = steps_sent_first(c, m0, 0, MSG_R_VOTE, to);
        assert_non_null(v);
        assert_int_equal(raft_body(v)->rv.term, 1);
        assert_int_equal(raft_body(v)->rv.last_index, 0);
        assert_int_equal(raft_body(v)->rv.last_term, 0);
    }
    steps_free(c);
}

/* A vote is granted only once the voter's new term and vote are durable: the reply leaves in the
 * step that sees the metadata fsync complete, not before. */
static void test_raft_vote_is_sent_only_after_term_and_vote_are_durable(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    Msg *v = mk_vote(1, 0, 1, 0, 0);
    steps_deliver(c, v);
    guint m0 = c->mark;
    const ProtoAction *w = steps_acted(c, m0, 0, ACT_WRITE, RAFT_FD_META_TMP);
    assert_non_null(w);
    RaftMeta meta;
    assert_int_equal(raft_decode_meta(&w->block, &meta), BLOCK_OK);
    assert_int_equal(meta.term, 1); /* the new term first; the vote follows in a second write */
    assert_null(steps_sent_first(c, m0, 0, MSG_R_VOTE_RESP, ANY));

    while (steps_sent_first(c, m0, 0, MSG_R_VOTE_RESP, 1) == NULL) {
        assert_true(steps_disk_queued(c, 0) > 0);
        uint8_t kind = steps_disk_one(c, 0);
        if (steps_sent_first(c, c->mark, 0, MSG_R_VOTE_RESP, 1) != NULL)
            assert_int_equal(kind, ACT_FSYNC);
    }
    const Msg *resp = steps_sent_first(c, m0, 0, MSG_R_VOTE_RESP, 1);
    assert_true(raft_body(resp)->rvr.granted);
    assert_int_equal(raft_body(resp)->rvr.term, 1);
    assert_true(raft_durable_meta(cl_disk(c, 0), &meta));
    assert_int_equal(meta.term, 1);
    assert_int_equal(meta.voted_for, 1);
    steps_free(c);
}

/* A vote request of an earlier term is refused with the voter's current term, and changes
 * nothing on disk. */
static void test_raft_vote_refused_for_stale_term(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 2};
    cl_preset(c, 0, 3, NONE, terms, 2);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_deliver(c, mk_vote(1, 0, 2, 9, 2));
    guint m0 = c->mark;
    assert_null(steps_acted(c, m0, 0, ACT_WRITE, RAFT_FD_META_TMP));
    const Msg *resp = steps_sent_first(c, m0, 0, MSG_R_VOTE_RESP, 1);
    assert_non_null(resp);
    assert_false(raft_body(resp)->rvr.granted);
    assert_int_equal(raft_body(resp)->rvr.term, 3);
    steps_free(c);
}

/* Raft §5.4.1: a vote goes only to a candidate whose log is at least as up to date: a longer log
 * with an older last term loses, and so does a shorter log with the same last term; an equal log
 * wins. */
static void test_raft_vote_refused_to_candidate_with_less_up_to_date_log(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 2};
    cl_preset(c, 0, 2, NONE, terms, 2);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);

    steps_deliver(c, mk_vote(1, 0, 3, 5, 1)); /* longer, older last term */
    steps_disk_all(c, 0);
    const Msg *r1 = steps_sent_first(c, 0, 0, MSG_R_VOTE_RESP, 1);
    assert_non_null(r1);
    assert_false(raft_body(r1)->rvr.granted);
    assert_int_equal(raft_body(r1)->rvr.term, 3);

    guint m1 = steps_mark(c);
    steps_deliver(c, mk_vote(2, 0, 3, 1, 2)); /* same last term, shorter */
    steps_disk_all(c, 0);
    const Msg *r2 = steps_sent_first(c, m1, 0, MSG_R_VOTE_RESP, 2);
    assert_non_null(r2);
    assert_false(raft_body(r2)->rvr.granted);

    guint m2 = steps_mark(c);
    steps_deliver(c, mk_vote(1, 0, 3, 2, 2)); /* as up to date */
    steps_disk_all(c, 0);
    const Msg *r3 = steps_sent_first(c, m2, 0, MSG_R_VOTE_RESP, 1);
    assert_non_null(r3);
    assert_true(raft_body(r3)->rvr.granted);
    RaftMeta meta;
    assert_true(raft_durable_meta(cl_disk(c, 0), &meta));
    assert_int_equal(meta.term, 3);
    assert_int_equal(meta.voted_for, 1);
    steps_free(c);
}

/* One vote per term, across a restart: once a server voted in a term it refuses every other
 * candidate of that term, also after a crash (the vote came back from disk), while the same
 * candidate asking again is granted again. */
static void test_raft_one_vote_per_term_survives_restart(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_deliver(c, mk_vote(1, 0, 5, 0, 0));
    steps_disk_all(c, 0);
    const Msg *r = steps_sent_first(c, 0, 0, MSG_R_VOTE_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rvr.granted);

    guint m1 = steps_mark(c);
    steps_deliver(c, mk_vote(2, 0, 5, 7, 4)); /* a better log, but the vote is spent */
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m1, 0, MSG_R_VOTE_RESP, 2);
    assert_non_null(r);
    assert_false(raft_body(r)->rvr.granted);

    steps_crash(c, 0);
    steps_boot(c, 0, FALSE);
    steps_disk_all(c, 0);
    guint m2 = steps_mark(c);
    steps_deliver(c, mk_vote(2, 0, 5, 7, 4));
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m2, 0, MSG_R_VOTE_RESP, 2);
    assert_non_null(r);
    assert_false(raft_body(r)->rvr.granted);
    assert_int_equal(raft_body(r)->rvr.term, 5);

    guint m3 = steps_mark(c);
    steps_deliver(c, mk_vote(1, 0, 5, 0, 0));
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m3, 0, MSG_R_VOTE_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rvr.granted);
    steps_free(c);
}

/* A candidate that wins a majority becomes leader and appends a no-op of its own term (Raft §8)
 * before anything else, sends it to every follower, and commits it with no client write. */
static void test_raft_leader_appends_election_noop(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    for (guint i = 0; i < 3; i++)
        steps_boot(c, i, TRUE);
    steps_pump(c);
    guint m0 = steps_mark(c);
    assert_true(cl_elect(c, 0, 0x6));
    const ProtoAction *role = role_noted_since(c, m0, 0, ROLE_LEADER);
    assert_non_null(role);
    assert_int_equal(role->b, 1);
    const ProtoAction *w = acted_since(c, m0, 0, ACT_WRITE, LOG_FD);
    assert_non_null(w);
    assert_int_equal(w->index, 0);
    RaftEntry e;
    assert_int_equal(raft_decode_entry(&w->block, &e), BLOCK_OK);
    assert_int_equal(e.kind, OP_NOOP);
    assert_int_equal(e.term, 1);
    assert_int_equal(e.index, 1);
    for (EndpointId to = 1; to <= 2; to++) {
        const Msg *a = steps_peek(c, MSG_R_APPEND, 0, to);
        assert_non_null(a);
        assert_int_equal(raft_body(a)->ra.term, 1);
        assert_int_equal(raft_body(a)->ra.prev_index, 0);
        assert_int_equal(a->extra_count, 1);
        assert_int_equal(raft_msg_entries(a)[0].kind, OP_NOOP);
    }
    guint m1 = steps_mark(c);
    steps_pump(c);
    assert_int_equal(commit_noted_since(c, m1, 0), 1);
    steps_free(c);
}

/* ---- log replication ---- */

/* AppendEntries with a previous entry the follower lacks, or holds with another term, is
 * refused with a hint (the follower's next index; the first index of the conflicting term) and
 * changes nothing on disk; one that matches is accepted. */
static void test_raft_append_rejected_when_previous_entry_does_not_match(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 1};
    cl_preset(c, 0, 1, NONE, terms, 2);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    const uint64_t one[] = {2};

    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 2, 3, 2, 0, one, 1)); /* lacks index 3 */
    steps_disk_all(c, 0);
    const Msg *r = steps_sent_first(c, m0, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_false(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.conflict_index, 3);
    assert_null(acted_since(c, m0, 0, ACT_WRITE, LOG_FD));
    assert_null(acted_since(c, m0, 0, ACT_TRUNCATE, LOG_FD));

    guint m1 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 2, 2, 2, 0, one, 1)); /* index 2 has term 1, not 2 */
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m1, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_false(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.conflict_index, 1); /* the whole of term 1 is suspect */
    assert_null(acted_since(c, m1, 0, ACT_WRITE, LOG_FD));
    assert_null(acted_since(c, m1, 0, ACT_TRUNCATE, LOG_FD));
    assert_int_equal(durable_len(c, 0), 2);

    guint m2 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 2, 2, 1, 0, one, 1));
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m2, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.match, 3);
    assert_int_equal(durable_term(c, 0, 3), 2);
    steps_free(c);
}

/* A stale AppendEntries whose entries the follower already holds truncates nothing (the entries
 * after it stay); an entry that really conflicts is cut off with everything after it and
 * replaced. */
static void test_raft_append_truncates_only_conflicting_entries(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 1, 1};
    cl_preset(c, 0, 1, NONE, terms, 3);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);

    const uint64_t stale[] = {1};
    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 1, 1, 1, 0, stale, 1));
    steps_disk_all(c, 0);
    assert_null(acted_since(c, m0, 0, ACT_TRUNCATE, LOG_FD));
    assert_null(acted_since(c, m0, 0, ACT_WRITE, LOG_FD));
    const Msg *r = steps_sent_first(c, m0, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.match, 2);
    assert_int_equal(durable_len(c, 0), 3);
    guint m1 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 1, 3, 1, 0, NULL, 0)); /* entry 3 is still there */
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m1, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.match, 3);

    const uint64_t conflicting[] = {2};
    guint m2 = steps_mark(c);
    steps_deliver(c, mk_append(2, 0, 2, 1, 1, 0, conflicting, 1));
    const ProtoAction *t = acted_since(c, m2, 0, ACT_TRUNCATE, LOG_FD);
    assert_non_null(t);
    assert_int_equal(t->index, 1);
    const ProtoAction *w = acted_since(c, m2, 0, ACT_WRITE, LOG_FD);
    assert_non_null(w);
    assert_int_equal(w->index, 1);
    steps_disk_all(c, 0);
    r = steps_sent_first(c, m2, 0, MSG_R_APPEND_RESP, 2);
    assert_non_null(r);
    assert_true(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.match, 2);
    assert_int_equal(durable_len(c, 0), 2);
    assert_int_equal(durable_term(c, 0, 1), 1);
    assert_int_equal(durable_term(c, 0, 2), 2);
    steps_free(c);
}

/* A follower acks new entries only in the step that sees the fsync covering them complete, and
 * at that moment they are on its durable image. */
static void test_raft_follower_acks_only_after_fsync(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_deliver(c, mk_append(1, 0, 1, 0, 0, 0, NULL, 0)); /* learn term 1 and the leader */
    steps_disk_all(c, 0);

    const uint64_t two[] = {1, 1};
    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 1, 0, 0, 0, two, 2));
    assert_non_null(acted_since(c, m0, 0, ACT_WRITE, LOG_FD));
    assert_non_null(acted_since(c, m0, 0, ACT_FSYNC, LOG_FD));
    assert_null(steps_sent_first(c, m0, 0, MSG_R_APPEND_RESP, ANY));
    while (steps_disk_queued(c, 0) > 0) {
        uint8_t kind = steps_disk_one(c, 0);
        const Msg *r = steps_sent_first(c, c->mark, 0, MSG_R_APPEND_RESP, 1);
        if (r == NULL)
            continue;
        assert_int_equal(kind, ACT_FSYNC);
        assert_true(raft_body(r)->rar.success);
        assert_int_equal(raft_body(r)->rar.match, 2);
        assert_true(log_prefix_durable(cl_disk(c, 0), 2));
    }
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_APPEND_RESP, 1), 1);
    steps_free(c);
}

/* A failed fsync proves nothing (ext4 marks the pages clean): the follower does not ack, writes
 * the entries again from memory and acks only after a later fsync made them durable. */
static void test_raft_follower_does_not_ack_after_failed_fsync(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_deliver(c, mk_append(1, 0, 1, 0, 0, 0, NULL, 0));
    steps_disk_all(c, 0);

    disk_fail_fsyncs(cl_disk(c, 0), EIO, 1);
    const uint64_t one[] = {1};
    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 1, 0, 0, 0, one, 1));
    assert_int_equal(steps_disk_next(c, 0), ACT_WRITE);
    assert_int_equal(steps_disk_next(c, 0), ACT_FSYNC); /* the segment's: EIO */
    assert_int_equal(steps_disk_next(c, 0), ACT_FSYNC); /* log/'s */
    assert_null(steps_sent_first(c, m0, 0, MSG_R_APPEND_RESP, ANY));
    assert_false(log_prefix_durable(cl_disk(c, 0), 1));
    assert_non_null(acted_since(c, c->mark, 0, ACT_WRITE, LOG_FD)); /* rewritten */
    steps_disk_all(c, 0);
    const Msg *r = steps_sent_first(c, m0, 0, MSG_R_APPEND_RESP, 1);
    assert_non_null(r);
    assert_true(raft_body(r)->rar.success);
    assert_int_equal(raft_body(r)->rar.match, 1);
    assert_true(log_prefix_durable(cl_disk(c, 0), 1));
    steps_free(c);
}

/* Raft §5.3: a follower advances its commit index to the leader's only within what the append
 * verified: entries after the matched prefix may be stale leftovers of another term and are not
 * applied. */
static void test_raft_follower_commits_only_entries_the_append_verified(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 1, 1};
    cl_preset(c, 0, 1, NONE, terms, 3);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 2, 1, 1, 3, NULL, 0)); /* the leader has committed 3 */
    steps_disk_all(c, 0);
    assert_true(applied_since(c, m0, 0, 1, 1, 1));
    assert_false(applied_since(c, m0, 0, 2, 3, 1));
    const uint64_t two[] = {2, 2};
    guint m1 = steps_mark(c);
    steps_deliver(c, mk_append(1, 0, 2, 1, 1, 3, two, 2));
    steps_disk_all(c, 0);
    assert_true(applied_since(c, m1, 0, 2, 3, 2));
    assert_false(applied_since(c, m1, 0, 2, 3, 1));
    steps_free(c);
}

/* ---- the commit rule ---- */

/* Raft §5.4.2: a leader of term 3 whose log ends with an entry of term 1 does not commit it when
 * a majority holds it; once its own no-op of term 3 is on a majority, both commit and apply in
 * index order. */
static void test_raft_leader_never_commits_old_term_by_counting(void **st)
{
    Cluster *c = cl_new(3, 1, 0);
    const uint64_t terms[] = {1, 1};
    cl_preset(c, 0, 2, NONE, terms, 2);
    steps_boot(c, 0, TRUE);
    steps_disk_all(c, 0);
    steps_fire(c, 0, T_ELECTION);
    steps_deliver(c, mk_prevote_resp(1, 0, 3, TRUE));
    steps_disk_all(c, 0);
    steps_deliver(c, mk_vote_resp(1, 0, 3, TRUE));
    assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    steps_disk_all(c, 0);

    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append_resp(1, 0, 3, TRUE, 2, 0)); /* entries 1..2 (term 1) on 2 of 3 */
    assert_int_equal(commit_noted_since(c, m0, 0), 0);
    assert_null(steps_noted(c, m0, 0, NOTE_APPLY));

    guint m1 = steps_mark(c);
    steps_deliver(c, mk_append_resp(1, 0, 3, TRUE, 3, 0)); /* the term-3 no-op on 2 of 3 */
    const ProtoAction *cm = steps_noted(c, m1, 0, NOTE_COMMIT);
    assert_non_null(cm);
    assert_int_equal(cm->a, 3);
    assert_int_equal(cm->b, 3);
    uint64_t next = 1;
    for (guint k = m1; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->act.kind == ACT_NOTE && s->act.sub == NOTE_APPLY)
            assert_int_equal(s->act.a, next++);
    }
    assert_int_equal(next, 4);
    steps_free(c);
}

/* The leader counts its own copy only once its fsync covered it: a follower's durable ack alone
 * is not a majority of three, and the client is answered after the leader's fsync. */
static void test_raft_leader_counts_its_own_copy_only_after_its_fsync(void **st)
{
    Cluster *c = three_with_leader(0);
    guint m0 = steps_mark(c);
    cl_request(c, 0, 0, 1, 1, OP_PUT, 1, 42, idem_of(0, 1));
    assert_non_null(acted_since(c, m0, 0, ACT_FSYNC, LOG_FD));
    Msg *a = steps_take(c, MSG_R_APPEND, 0, 1);
    assert_non_null(a);
    steps_drop(c, 0, 2);
    steps_deliver(c, a);
    steps_disk_all(c, 1);
    Msg *ack = steps_take(c, MSG_R_APPEND_RESP, 1, 0);
    assert_non_null(ack);
    assert_int_equal(raft_body(ack)->rar.match, 2);
    steps_deliver(c, ack);
    assert_int_equal(commit_noted_since(c, m0, 0), 0);
    assert_null(cl_reply(c, 0, 1, 1));
    steps_disk_all(c, 0);
    assert_int_equal(commit_noted_since(c, m0, 0), 2);
    const ClientResp *r = cl_reply(c, 0, 1, 1);
    assert_non_null(r);
    assert_true(r->ok);
    steps_free(c);
}

/* ---- leadership ---- */

/* A leader that sees a higher term (in an AppendEntries answer) steps down at once: it adopts and
 * persists the term with no vote, stops its heartbeat, tells the client of a proposal in flight
 * that the outcome is unknown, and then sends clients elsewhere. */
static void test_raft_leader_steps_down_on_higher_term(void **st)
{
    Cluster *c = three_with_leader(0);
    steps_cut(c, 0, 1);
    steps_cut(c, 0, 2);
    cl_request(c, 0, 0, 1, 1, OP_PUT, 1, 7, idem_of(0, 1));
    steps_pump(c);
    assert_null(cl_reply(c, 0, 1, 1));

    guint m0 = steps_mark(c);
    steps_deliver(c, mk_append_resp(2, 0, 7, FALSE, 0, 0));
    assert_int_equal(steps_role(c, 0), ROLE_FOLLOWER);
    const ProtoAction *role = steps_noted(c, m0, 0, NOTE_ROLE);
    assert_non_null(role);
    assert_int_equal(role->a, ROLE_FOLLOWER);
    assert_int_equal(role->b, 7);
    assert_true(steps_timer_due(c, 0, T_HEARTBEAT) < 0);
    const ClientResp *r = cl_reply(c, 0, 1, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_false(r->definite);
    assert_int_equal(r->reason, FAIL_LOST_LEADERSHIP);
    steps_disk_all(c, 0);
    RaftMeta meta;
    assert_true(raft_durable_meta(cl_disk(c, 0), &meta));
    assert_int_equal(meta.term, 7);
    assert_int_equal(meta.voted_for, NONE);

    cl_request(c, 0, 0, 2, 1, OP_PUT, 1, 8, idem_of(0, 2));
    r = cl_reply(c, 0, 2, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_true(r->definite);
    steps_free(c);
}

/* Check quorum: a leader that hears from a majority keeps leading through its heartbeats, and one
 * that has heard from no follower for longer than the election timeout steps down on its next
 * heartbeat (without a new term). */
static void test_raft_check_quorum_steps_down_leader_cut_off_from_majority(void **st)
{
    Cluster *c = three_with_leader(0);
    steps_cut(c, 0, 2);
    for (int k = 0; k < 10; k++) { /* 500 ms of heartbeats, node 1 answering */
        steps_fire(c, 0, T_HEARTBEAT);
        steps_pump(c);
        assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    }
    steps_cut(c, 0, 1);
    SimTime cut_at = c->now;
    guint m0 = steps_mark(c);
    while (steps_role(c, 0) == ROLE_LEADER) {
        steps_fire(c, 0, T_HEARTBEAT);
        steps_pump(c);
        assert_true(c->now - cut_at <=
                    raft_config(&c->cfg)->election_timeout.hi + raft_config(&c->cfg)->heartbeat);
    }
    assert_true(c->now - cut_at > raft_config(&c->cfg)->election_timeout.hi);
    const ProtoAction *role = steps_noted(c, m0, 0, NOTE_ROLE);
    assert_non_null(role);
    assert_int_equal(role->a, ROLE_FOLLOWER);
    assert_int_equal(role->b, 1);
    assert_true(steps_timer_due(c, 0, T_HEARTBEAT) < 0);
    assert_true(steps_timer_due(c, 0, T_ELECTION) >= 0);
    steps_free(c);
}

/* Heartbeats: a heartbeat round skips a follower sent an append within the last heartbeat
 * interval (appends carrying client commands keep its election timer quiet) and reaches one that
 * was not; a quiet leader reaches every follower at every heartbeat. */
static void test_raft_heartbeat_skips_followers_sent_an_append_recently(void **st)
{
    Cluster *c = three_with_leader(0);
    steps_fire(c, 0, T_HEARTBEAT);
    steps_pump(c);
    guint m0 = steps_mark(c);
    steps_fire(c, 0, T_HEARTBEAT); /* nothing sent since the last round */
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_APPEND, 1), 1);
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_APPEND, 2), 1);
    steps_pump(c);
    c->now += 10 * SIM_MS;
    cl_request(c, 0, 0, 1, 1, OP_PUT, 0, 7, idem_of(0, 1)); /* appends to both followers */
    steps_pump(c);
    guint m1 = steps_mark(c);
    steps_fire(c, 0, T_HEARTBEAT); /* 40 ms after those appends */
    assert_int_equal(steps_sent_count(c, m1, 0, MSG_R_APPEND, ANY), 0);
    assert_true(steps_timer_due(c, 0, T_HEARTBEAT) >= 0);
    steps_pump(c);
    guint m2 = steps_mark(c);
    steps_fire(c, 0, T_HEARTBEAT); /* 90 ms after them */
    assert_int_equal(steps_sent_count(c, m2, 0, MSG_R_APPEND, 1), 1);
    assert_int_equal(steps_sent_count(c, m2, 0, MSG_R_APPEND, 2), 1);
    steps_free(c);
}

/* Heartbeats: a leader whose clock stepped back (clock skew) cannot tell how long ago it sent an
 * append, and sends to every follower. */
static void test_raft_heartbeat_after_clock_step_back_reaches_every_follower(void **st)
{
    Cluster *c = three_with_leader(0);
    steps_fire(c, 0, T_HEARTBEAT);
    steps_pump(c);
    c->now += 10 * SIM_MS;
    cl_request(c, 0, 0, 1, 1, OP_PUT, 0, 7, idem_of(0, 1)); /* appends to both followers */
    steps_pump(c);
    SimTime real = c->now;
    c->now -= SIM_SEC; /* the leader's clock steps back */
    guint m0 = steps_mark(c);
    ProtoEvent ev = {
        .kind = PEV_TIMER, .timer = T_HEARTBEAT, .token = steps_timer_token(c, 0, T_HEARTBEAT)};
    steps_timer_disarm(c, 0, T_HEARTBEAT);
    steps_step(c, 0, &ev);
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_APPEND, 1), 1);
    assert_int_equal(steps_sent_count(c, m0, 0, MSG_R_APPEND, 2), 1);
    c->now = real;
    steps_free(c);
}

/* ---- clients ---- */

/* Read index: a leader answers a read only after a heartbeat round started for it was acked by
 * a majority; a leader cut off from the majority, which elected another leader and committed a
 * newer value, never answers with the old value. */
static void test_raft_read_waits_for_leadership_confirmation(void **st)
{
    Cluster *c = three_with_leader(0);
    cl_request(c, 0, 0, 1, 1, OP_PUT, 1, 10, idem_of(0, 1));
    steps_pump(c);
    assert_true(cl_reply(c, 0, 1, 1)->ok);

    /* the read waits for the round, and is answered when a follower acks it */
    steps_cut(c, 0, 1);
    steps_cut(c, 0, 2);
    cl_request(c, 1, 0, 1, 1, OP_GET, 1, 0, idem_of(1, 1));
    assert_null(cl_reply(c, 1, 1, 1));
    steps_pump(c);
    assert_null(cl_reply(c, 1, 1, 1));
    steps_heal(c);
    steps_fire(c, 0, T_HEARTBEAT);
    steps_pump(c);
    const ClientResp *r = cl_reply(c, 1, 1, 1);
    assert_non_null(r);
    assert_true(r->ok);
    assert_true(r->present);
    assert_int_equal(r->value, 10);

    /* deposed without knowing it: the others elect node 1, which commits 20 */
    steps_partition(c, 0x1);
    assert_true(cl_elect(c, 1, 0x4));
    steps_pump(c);
    cl_request(c, 0, 1, 2, 1, OP_PUT, 1, 20, idem_of(0, 2));
    steps_pump(c);
    assert_true(cl_reply(c, 0, 2, 1)->ok);
    assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    cl_request(c, 1, 0, 2, 1, OP_GET, 1, 0, idem_of(1, 2));
    steps_pump(c);
    for (int k = 0; steps_role(c, 0) == ROLE_LEADER; k++) {
        assert_true(k < 20); /* check quorum ends it within an election timeout */
        assert_null(cl_reply(c, 1, 2, 1));
        steps_fire(c, 0, T_HEARTBEAT);
        steps_pump(c);
    }
    r = cl_reply(c, 1, 2, 1);
    assert_non_null(r); /* check quorum ended it: not an answer with the value */
    assert_false(r->ok);
    assert_false(r->definite);
    steps_free(c);
}

/* Client sessions: a retry of a command already applied is answered "ok" from the session table
 * without a new log entry; a retry that reached the log while the first attempt was still in
 * flight is committed but applied as a no-op, so the deposit counts once. */
static void test_raft_session_deduplicates_retried_command(void **st)
{
    Cluster *c = three_with_leader(0);
    cl_request(c, 0, 0, 1, 1, OP_ADD, 1, 100, idem_of(0, 1));
    steps_pump(c);
    assert_true(cl_reply(c, 0, 1, 1)->ok);

    guint m0 = steps_mark(c);
    cl_request(c, 0, 0, 1, 2, OP_ADD, 1, 100, idem_of(0, 1));
    const ClientResp *r = cl_reply(c, 0, 1, 2);
    assert_non_null(r);
    assert_true(r->ok);
    assert_null(acted_since(c, m0, 0, ACT_WRITE, LOG_FD));

    /* two attempts of one deposit both reach the log */
    steps_cut(c, 0, 1);
    steps_cut(c, 0, 2);
    guint m1 = steps_mark(c);
    cl_request(c, 0, 0, 2, 1, OP_ADD, 1, 50, idem_of(0, 2));
    cl_request(c, 0, 0, 2, 2, OP_ADD, 1, 50, idem_of(0, 2));
    steps_pump(c);
    steps_heal(c);
    steps_fire(c, 0, T_HEARTBEAT);
    steps_pump(c);
    guint applied = 0, effective = 0;
    for (guint k = m1; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->node == 0 && s->act.kind == ACT_NOTE && s->act.sub == NOTE_APPLY &&
            s->act.c == idem_of(0, 2)) {
            applied++;
            effective += s->act.d != 0;
        }
    }
    assert_int_equal(applied, 2);
    assert_int_equal(effective, 1);
    cl_request(c, 1, 0, 1, 1, OP_GET, 1, 0, idem_of(1, 1));
    steps_pump(c);
    r = cl_reply(c, 1, 1, 1);
    assert_non_null(r);
    assert_true(r->ok);
    assert_int_equal(r->value, 150);
    steps_free(c);
}

/* A follower answers a client NotLeader with the leader's name as a hint; a server that knows no
 * leader answers NoLeader; both are definite (nothing was appended). */
static void test_raft_not_leader_reply_carries_leader_hint(void **st)
{
    Cluster *c = three_with_leader(0);
    guint m0 = steps_mark(c);
    cl_request(c, 0, 2, 1, 1, OP_PUT, 1, 5, idem_of(0, 1));
    const ClientResp *r = cl_reply(c, 0, 1, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_true(r->definite);
    assert_int_equal(r->reason, FAIL_NOT_LEADER);
    assert_int_equal(r->hint, 0);
    assert_null(acted_since(c, m0, 2, ACT_WRITE, LOG_FD));

    Cluster *lone = cl_new(3, 1, 0);
    steps_boot(lone, 1, TRUE);
    steps_disk_all(lone, 1);
    cl_request(lone, 0, 1, 1, 1, OP_PUT, 1, 5, idem_of(0, 1));
    r = cl_reply(lone, 0, 1, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_true(r->definite);
    assert_int_equal(r->reason, FAIL_NO_LEADER);
    assert_int_equal(r->hint, NONE);
    steps_free(lone);
    steps_free(c);
}

/* A leader with RAFT_MAX_INFLIGHT proposals in flight refuses the next one with a definite Busy;
 * a graceful stop answers each appended proposal Shutdown, indeterminate (it may still commit). */
static void test_raft_busy_beyond_inflight_limit_and_shutdown_is_indeterminate(void **st)
{
    Cluster *c = three_with_leader(0);
    steps_cut(c, 0, 1);
    steps_cut(c, 0, 2);
    for (uint32_t op = 1; op <= RAFT_MAX_INFLIGHT; op++)
        cl_request(c, 0, 0, op, 1, OP_PUT, 1, op, idem_of(0, op));
    steps_pump(c);
    assert_int_equal(cl_count_replies(c, 0, 1, 1), 0);
    cl_request(c, 0, 0, RAFT_MAX_INFLIGHT + 1, 1, OP_PUT, 1, 0, idem_of(0, RAFT_MAX_INFLIGHT + 1));
    const ClientResp *r = cl_reply(c, 0, RAFT_MAX_INFLIGHT + 1, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_true(r->definite);
    assert_int_equal(r->reason, FAIL_BUSY);

    ProtoEvent stop = {.kind = PEV_STOP};
    steps_step(c, 0, &stop);
    for (uint32_t op = 1; op <= RAFT_MAX_INFLIGHT; op++) {
        r = cl_reply(c, 0, op, 1);
        assert_non_null(r);
        assert_false(r->ok);
        assert_false(r->definite);
        assert_int_equal(r->reason, FAIL_SHUTDOWN);
    }
    steps_free(c);
}

/* ---- leadership transfer and membership changes ---- */

/* The voters of a configuration entry the node wrote since `from` (0: none). */
static uint32_t config_written_since(const Cluster *c, guint from, EndpointId node)
{
    for (guint k = from; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        RaftEntry e;
        if (s->node == node && s->act.kind == ACT_WRITE && s->act.file >= RAFT_FD_SEG_FIRST &&
            raft_decode_entry(&s->act.block, &e) == BLOCK_OK && raft_entry_is_config(&e))
            return raft_members_unpack(e.value).voters;
    }
    return 0;
}

/* Thesis §3.10: the leader refuses new commands while it hands over (Busy, definite), sends
 * TimeoutNow to the caught-up target, which stands at once (no pre-vote) with vote requests the
 * others' leases do not hold back; the old leader answers the transfer once the target leads. */
static void test_raft_transfer_hands_over_to_a_caught_up_follower(void **st)
{
    Cluster *c = three_with_leader(0);
    guint m0 = steps_mark(c);
    cl_request(c, 0, 0, 1, 1, OP_TRANSFER, KEY_NONE, 1, idem_of(0, 1));
    const Msg *tn = steps_sent_first(c, m0, 0, MSG_R_TIMEOUT_NOW, 1);
    assert_non_null(tn);
    assert_int_equal(raft_body(tn)->rt.term, 1);
    cl_request(c, 1, 0, 1, 1, OP_PUT, 0, 7, idem_of(1, 1));
    const ClientResp *busy = cl_reply(c, 1, 1, 1);
    assert_non_null(busy);
    assert_false(busy->ok);
    assert_true(busy->definite);
    assert_int_equal(busy->reason, FAIL_BUSY);
    guint m1 = steps_mark(c);
    steps_pump(c);
    const Msg *v = steps_sent_first(c, m1, 1, MSG_R_VOTE, 2);
    assert_non_null(v);
    assert_int_equal(raft_body(v)->rv.transfer, 1);
    assert_int_equal(raft_body(v)->rv.prevote, 0);
    assert_int_equal(steps_role(c, 1), ROLE_LEADER);
    assert_int_equal(steps_role(c, 0), ROLE_FOLLOWER);
    const ClientResp *done = cl_reply(c, 0, 1, 1);
    assert_non_null(done);
    assert_true(done->ok);
    steps_free(c);
}

/* A transfer to a server that is not a voter is refused at once; one that does not complete
 * within an election timeout ends in a failure, and the leader takes commands again. */
static void test_raft_transfer_refused_or_timed_out(void **st)
{
    Cluster *c = three_with_leader(0);
    cl_request(c, 0, 0, 1, 1, OP_TRANSFER, KEY_NONE, 4, idem_of(0, 1));
    const ClientResp *r = cl_reply(c, 0, 1, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_true(r->definite);
    steps_cut(c, 0, 2);
    cl_request(c, 0, 0, 2, 1, OP_PUT, 0, 1, idem_of(0, 2));
    steps_drop(c, 0, 2);
    steps_pump(c); /* n3 now lags */
    cl_request(c, 0, 0, 3, 1, OP_TRANSFER, KEY_NONE, 2, idem_of(0, 3));
    steps_pump(c);
    assert_null(cl_reply(c, 0, 3, 1));
    steps_fire(c, 0, 5); /* the transfer's deadline */
    r = cl_reply(c, 0, 3, 1);
    assert_non_null(r);
    assert_false(r->ok);
    assert_int_equal(r->reason, FAIL_BUSY);
    assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    cl_request(c, 1, 0, 1, 1, OP_PUT, 0, 9, idem_of(1, 1));
    assert_null(cl_reply(c, 1, 1, 1)); /* appended, not refused */
    steps_free(c);
}

/* Four servers, the fourth a spare: the leader catches it up as a non-voting member (thesis
 * §4.2.1) before it appends the configuration that makes it a voter, and answers once that
 * configuration commits; the configuration counts from the moment it is appended. */
static void test_raft_add_server_catches_up_then_joins(void **st)
{
    Cluster *c = cl_new(4, 1, 0);
    raft_config_mut(&c->cfg)->spares = 1;
    for (guint i = 0; i < 4; i++)
        steps_boot(c, i, TRUE);
    steps_pump(c);
    assert_true(cl_elect(c, 0, 0x6));
    steps_pump(c);
    for (uint32_t op = 1; op <= 3; op++)
        cl_request(c, 0, 0, op, 1, OP_PUT, 0, op, idem_of(0, op));
    steps_pump(c);
    guint m0 = steps_mark(c);
    cl_request(c, 0, 0, 4, 1, OP_ADD_SERVER, KEY_NONE, 3, idem_of(0, 4));
    assert_non_null(steps_sent_first(c, m0, 0, MSG_R_APPEND, 3));
    assert_int_equal(config_written_since(c, m0, 0), 0); /* not before it caught up */
    steps_pump(c);
    assert_int_equal(config_written_since(c, m0, 0), 0xf);
    assert_int_equal(config_written_since(c, m0, 3), 0xf);
    const ClientResp *r = cl_reply(c, 0, 4, 1);
    assert_non_null(r);
    assert_true(r->ok);
    /* a second add of the same server is done already */
    cl_request(c, 0, 0, 5, 1, OP_ADD_SERVER, KEY_NONE, 3, idem_of(0, 5));
    assert_true(cl_reply(c, 0, 5, 1)->ok);
    steps_free(c);
}

/* The 2015 rule: a new leader changes the configuration only once an entry of its own term has
 * committed (Busy before); the config-change-before-term-commit variant appends at once. */
static void test_raft_config_change_waits_for_an_entry_of_its_term(void **st)
{
    for (int bug = 0; bug <= 1; bug++) {
        Cluster *c = cl_new(3, 1, bug ? (BugSet)1 << RAFT_BUG_CONFIG_BEFORE_TERM_COMMIT : 0);
        for (guint i = 0; i < 3; i++)
            steps_boot(c, i, TRUE);
        steps_pump(c);
        assert_true(cl_elect(c, 0, 0x6)); /* its no-op is in flight, not committed */
        guint m0 = steps_mark(c);
        cl_request(c, 0, 0, 1, 1, OP_REMOVE_SERVER, KEY_NONE, 2, idem_of(0, 1));
        if (bug) {
            assert_int_equal(config_written_since(c, m0, 0), 0x3);
        } else {
            assert_int_equal(config_written_since(c, m0, 0), 0);
            const ClientResp *r = cl_reply(c, 0, 1, 1);
            assert_non_null(r);
            assert_int_equal(r->reason, FAIL_BUSY);
            steps_pump(c); /* the no-op commits */
            cl_request(c, 0, 0, 1, 2, OP_REMOVE_SERVER, KEY_NONE, 2, idem_of(0, 1));
            assert_int_equal(config_written_since(c, m0, 0), 0x3);
        }
        steps_free(c);
    }
}

/* Thesis §4.2.2: a leader that removes itself keeps leading (not counting itself) until the new
 * configuration commits, then steps down; it no longer stands for election. */
static void test_raft_leader_removing_itself_steps_down_once_committed(void **st)
{
    Cluster *c = three_with_leader(0);
    guint m0 = steps_mark(c);
    cl_request(c, 0, 0, 1, 1, OP_REMOVE_SERVER, KEY_NONE, 0, idem_of(0, 1));
    assert_int_equal(config_written_since(c, m0, 0), 0x6);
    assert_int_equal(steps_role(c, 0), ROLE_LEADER);
    steps_pump(c);
    assert_true(cl_reply(c, 0, 1, 1)->ok);
    const ProtoAction *role = role_noted_since(c, m0, 0, ROLE_FOLLOWER);
    assert_non_null(role);
    assert_int_equal(steps_role(c, 0), ROLE_FOLLOWER);
    guint m1 = steps_mark(c);
    steps_fire(c, 0, T_ELECTION);
    assert_int_equal(steps_sent_count(c, m1, 0, MSG_R_VOTE, ANY), 0);
    assert_true(cl_elect(c, 1, 0x4));
    steps_free(c);
}

/* ---- Figure 8 of the Raft paper, five servers, by hand ---- */

enum { S1, S2, S3, S4, S5 };
#define BIT(i) (1u << (i))

typedef struct {
    Cluster *c;
    uint64_t base;  /* entries every server holds before (a) */
    uint64_t y_at;  /* where S5's term-3 put sits */
    guint mark_c;   /* the seen record where (c) starts */
    guint mark_all; /* the seen record where (a) starts */
} Fig8;

/* Steps (a)-(c) of Figure 8. (a) S1 leads term 2 and a batch of APPEND_CAP deposits (the X
 * entries, term 2) reaches S1 and S2 only; (b) S1 crashes, S5 wins term 3 with S3 and S4 and
 * takes a put of its own that nobody else receives, and crashes; (c) S1 restarts, loses term 3
 * (S3 voted for S5; S4 is unreachable from S1 from now on), wins term 4 with S2 and S3, and
 * replicates X to S3: X is now on a majority and S1 knows it from S2's and S3's acks of term 4. S3
 * lacks all of X, so the append that repairs it carries exactly the APPEND_CAP X entries; the
 * correct leader's term-4 no-op would come in a later append. */
static Fig8 figure8_to_c(BugSet bugs)
{
    Fig8 f = {0};
    Cluster *c = f.c = cl_new(5, 2, bugs);
    for (guint i = 0; i < 5; i++)
        steps_boot(c, i, TRUE);
    steps_pump(c);
    /* term 1: the pre-vote succeeds, then nobody hears the election */
    assert_false(cl_elect_with(c, S1, BIT(S2) | BIT(S3) | BIT(S4) | BIT(S5), 0));
    assert_true(cl_elect(c, S1, BIT(S2) | BIT(S3) | BIT(S4) | BIT(S5)));
    steps_pump(c);
    cl_request(c, 0, S1, 1, 1, OP_PUT, 0, 1, idem_of(0, 1));
    steps_pump(c);
    assert_true(cl_reply(c, 0, 1, 1)->ok);
    f.base = durable_len(c, S1);
    for (guint i = 0; i < 5; i++)
        assert_int_equal(durable_len(c, i), f.base);

    /* (a) */
    f.mark_all = steps_mark(c);
    steps_partition(c, BIT(S1) | BIT(S2));
    for (uint32_t k = 0; k < APPEND_CAP; k++)
        cl_request(c, 0, S1, 2 + k, 1, OP_ADD, 1, 1, idem_of(0, 2 + k));
    steps_pump(c);
    assert_int_equal(commit_noted_since(c, f.mark_all, ANY), 0);
    for (guint i = S1; i <= S2; i++)
        assert_int_equal(durable_len(c, i), f.base + APPEND_CAP);

    /* (b) */
    steps_crash(c, S1);
    assert_true(cl_elect(c, S5, BIT(S3) | BIT(S4)));
    steps_drop(c, S5, ANY);
    cl_request(c, 1, S5, 1, 1, OP_PUT, 2, 5, idem_of(1, 1));
    steps_drop(c, S5, ANY);
    steps_disk_all(c, S5);
    f.y_at = durable_len(c, S5);
    assert_int_equal(durable_term(c, S5, f.base + 1), 3);
    assert_int_equal(durable_term(c, S5, f.y_at), 3);
    steps_crash(c, S5);

    /* (c) */
    f.mark_c = steps_mark(c);
    steps_boot(c, S1, FALSE);
    steps_disk_all(c, S1);
    steps_heal(c);
    steps_cut(c, S1, S4);
    assert_false(cl_elect(c, S1, BIT(S2) | BIT(S3) | BIT(S4)));
    assert_true(cl_elect(c, S1, BIT(S2) | BIT(S3) | BIT(S4)));
    steps_pump(c);
    for (guint i = S1; i <= S3; i++)
        for (uint64_t x = f.base + 1; x <= f.base + APPEND_CAP; x++)
            assert_int_equal(durable_term(c, i, x), 2);
    assert_int_equal(durable_len(c, S4), f.base);
    /* S2 and S3 acked all of X in term 4 (and S3 nothing beyond it) */
    uint64_t acked[MAXN] = {0};
    for (guint k = f.mark_c; k < c->seen->len; k++) {
        const StepsSeen *s = steps_seen(c, k);
        if (s->act.kind == ACT_SEND && s->act.msg->type == MSG_R_APPEND_RESP &&
            s->act.msg->to == S1 && raft_body(s->act.msg)->rar.term == 4 &&
            raft_body(s->act.msg)->rar.success)
            acked[s->node] = MAX(acked[s->node], raft_body(s->act.msg)->rar.match);
    }
    assert_true(acked[S2] >= f.base + APPEND_CAP);
    assert_int_equal(acked[S3], f.base + APPEND_CAP);
    return f;
}

/* (d): S1 crashes; S5 restarts and, after a lost term-4 attempt, wins term 5 with servers whose
 * logs end in term 2, and overwrites what follows the shared prefix with its own entries. */
static void figure8_d(Fig8 *f)
{
    Cluster *c = f->c;
    steps_crash(c, S1);
    steps_boot(c, S5, FALSE);
    steps_disk_all(c, S5);
    steps_heal(c);
    assert_false(cl_elect(c, S5, BIT(S2) | BIT(S3) | BIT(S4))); /* term 4: S2, S3 voted */
    assert_true(cl_elect(c, S5, BIT(S2) | BIT(S3) | BIT(S4)));
    steps_pump(c);
    for (guint i = S2; i <= S5; i++) {
        assert_int_equal(durable_term(c, i, f->base + 1), 3);
        assert_int_equal(durable_term(c, i, f->y_at), 3);
    }
    assert_true(commit_noted_since(c, f->mark_c, S5) >= f->y_at);
    /* S1 comes back and its X goes too */
    steps_boot(c, S1, FALSE);
    steps_fire(c, S5, T_HEARTBEAT);
    steps_pump(c);
    assert_int_equal(durable_term(c, S1, f->base + 1), 3);
}

/* Figure 8 done right: in term 4 the X entries of term 2 sit on a majority (S1, S2, S3) and S1
 * knows it, yet it does not commit them by counting (§5.4.2); so when S1 crashes, S5 can still
 * win term 5 and overwrite X, and that is safe because no server ever committed or applied X. */
static void test_raft_figure8_old_term_entry_on_majority_is_not_committed(void **st)
{
    Fig8 f = figure8_to_c(0);
    Cluster *c = f.c;
    assert_int_equal(commit_noted_since(c, f.mark_c, S1), 0);
    assert_int_equal(cl_count_replies(c, 0, 2, 1), 0);
    figure8_d(&f);
    assert_false(applied_since(c, f.mark_all, ANY, f.base + 1, f.base + APPEND_CAP, 2));
    assert_int_equal(cl_count_replies(c, 0, 2, 1), 0); /* no client heard "ok" for X */
    steps_free(c);
}

/* Figure 8 with the commit-old-term bug: the same schedule makes S1 commit and apply the X
 * entries of term 2 in term 4 by counting S1, S2 and S3, and S5 then wins term 5 and overwrites
 * them: two different entries are applied at one index. */
static void test_raft_figure8_commit_old_term_bug_commits_then_loses_entry(void **st)
{
    Fig8 f = figure8_to_c((BugSet)1 << RAFT_BUG_COMMIT_OLD_TERM);
    Cluster *c = f.c;
    uint64_t x_last = f.base + APPEND_CAP;
    assert_int_equal(commit_noted_since(c, f.mark_c, S1), x_last);
    assert_true(applied_since(c, f.mark_c, S1, f.base + 1, x_last, 2));
    figure8_d(&f);
    assert_true(applied_since(c, f.mark_c, S5, f.base + 1, f.base + 1, 3));
    for (guint i = S1; i <= S5; i++)
        assert_int_equal(durable_term(c, i, f.base + 1), 3); /* the committed X is gone */
    steps_free(c);
}

/* Figure 8 (e): once S1's term-4 no-op reaches a majority, X commits with it, and S5 can no
 * longer win an election (S2 and S3 hold a term-4 entry), so X stays. */
static void
test_raft_figure8_current_term_entry_on_majority_commits_and_blocks_stale_leader(void **st)
{
    Fig8 f = figure8_to_c(0);
    Cluster *c = f.c;
    uint64_t noop = f.base + APPEND_CAP + 1;
    guint m0 = steps_mark(c);
    steps_fire(c, S1, T_HEARTBEAT);
    steps_pump(c);
    assert_int_equal(commit_noted_since(c, m0, S1), noop);
    assert_true(applied_since(c, m0, S1, f.base + 1, f.base + APPEND_CAP, 2));

    steps_crash(c, S1);
    steps_boot(c, S5, FALSE);
    steps_disk_all(c, S5);
    steps_heal(c);
    for (int k = 0; k < 3; k++)
        assert_false(cl_elect(c, S5, BIT(S2) | BIT(S3) | BIT(S4)));
    for (guint i = S2; i <= S3; i++) {
        assert_int_equal(durable_term(c, i, f.base + 1), 2);
        assert_int_equal(durable_term(c, i, noop), 4);
    }
    steps_free(c);
}

/* ---- the world: leader crashes and catch-up ---- */

typedef struct {
    RunResult r;
    World *w;
    const History *h;
} WorldRun;

static void world_run(WorldRun *out, const char *text)
{
    GError *error = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "test_raft", &error);
    if (s == NULL)
        fail_msg("scenario: %s", error->message);
    RunOptions opt = {.keep_trace = TRUE};
    memset(out, 0, sizeof *out);
    assert_true(runner_run(s, &opt, &out->r, &error));
    scenario_free(s);
    out->w = out->r.world;
    assert_non_null(out->w);
    out->h = world_history(out->w);
}

static void world_run_clear(WorldRun *run)
{
    run_result_clear(&run->r);
}

static const HistOp *op_named(const WorldRun *run, const char *name)
{
    const HistOp *op = history_find(run->h, name);
    assert_non_null(op);
    return op;
}

/* The final read of a key after settle. */
static const HistOp *final_read(const WorldRun *run, const char *key)
{
    KeyId id;
    assert_true(world_key_lookup(run->w, key, &id));
    for (guint k = 0; k < history_len(run->h); k++) {
        const HistOp *op = history_op(run->h, k);
        if ((op->flags & HOP_FINAL) && op->key == id) {
            assert_int_equal(op->outcome, OUTCOME_OK);
            return op;
        }
    }
    fail_msg("no final read of %s", key);
    return NULL;
}

/* How many durable entries of server `node` carry `idem`; the first one's index and term. */
static guint durable_with_idem(World *w, EndpointId node, IdemKey idem, RaftEntry *first)
{
    Disk *d = world_disk(w, node);
    guint n = 0;
    for (uint64_t i = 1; i <= disk_log_len(d); i++) {
        RaftEntry e;
        if (durable_entry(d, i, &e) && e.idem == idem) {
            if (n++ == 0 && first)
                *first = e;
        }
    }
    return n;
}

/* The first trace record of `kind`/`sub` (sub < 0: any), or NULL. */
static const SimTraceRecord *first_record(World *w, SimTraceKind kind, int sub)
{
    const GArray *recs = world_trace_records(w);
    assert_non_null(recs);
    for (guint k = 0; k < recs->len; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        if (x->kind == kind && (sub < 0 || x->sub == sub))
            return x;
    }
    return NULL;
}

/* Whether `node` (ANY: some node) noted an apply or commit reaching `index`, in [t0, t1). */
static gboolean noted_in_world(World *w, EndpointId node, NoteKind kind, uint64_t index, SimTime t0,
                               SimTime t1)
{
    const GArray *recs = world_trace_records(w);
    for (guint k = 0; k < recs->len; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        if (x->kind == SIM_TR_NOTE && x->sub == kind && ep_is(node, x->node) && x->time >= t0 &&
            x->time < t1 && (kind == NOTE_APPLY ? x->a == index : x->a >= index))
            return TRUE;
    }
    return FALSE;
}

#define CRASH_CASE(SEED, FP, MODE, RETRIES)                                                        \
    "[scenario]\nname = crash\nsummary = a leader crash\nprotocol = raft\nseed = " SEED "\n"       \
    "[cluster]\nnodes = 3\n"                                                                       \
    "[workload]\nclient.retries = " RETRIES "\n"                                                   \
    "[op deposit]\nat = 600ms\nkind = add\nkey = acct:7\nvalue = 100\nidempotency = dep-1\n"       \
    "[fault leader-crash]\non = " FP "\nnode = leader\nkind = crash\nmode = " MODE "\n"            \
    "restart_after = 1s\n"

/* Leader crash before replicating (Raft paper, case 1): the leader's only copy of the deposit
 * dies with it; the client, which does not retry, never hears "ok"; no server holds the deposit
 * at the end and the final read finds nothing. With retries (the library scenario), the retry
 * lands on the new leader and counts once. */
static void test_raft_leader_crash_before_replicating_loses_unacked_write(void **st)
{
    WorldRun run;
    world_run(&run, CRASH_CASE("21", "raft.appended", "process", "0"));
    assert_true(run.r.passed);
    const HistOp *dep = op_named(&run, "deposit");
    assert_int_equal(dep->outcome, OUTCOME_INDETERMINATE);
    assert_int_equal(dep->attempts, 1);
    for (EndpointId n = 0; n < 3; n++)
        assert_int_equal(durable_with_idem(run.w, n, dep->idem, NULL), 0);
    assert_false(final_read(&run, "acct:7")->present);
    assert_int_equal(run.r.verdict.orphans, 0);
    world_run_clear(&run);

    world_run(&run, CRASH_CASE("21", "raft.appended", "process", "2"));
    assert_true(run.r.passed);
    dep = op_named(&run, "deposit");
    assert_int_equal(dep->outcome, OUTCOME_OK);
    assert_true(dep->attempts >= 2);
    const HistOp *fin = final_read(&run, "acct:7");
    assert_true(fin->present);
    assert_int_equal(fin->result, 100);
    assert_int_equal(run.r.verdict.duplicates, 0);
    world_run_clear(&run);
}

/* Leader crash after replicating, before commit (case 2): the followers hold the deposit, the
 * old leader never committed it, and the new leader commits it in its own later term (through
 * its no-op). The client that does not retry gets "indeterminate" although the deposit
 * happened (an orphan, allowed); the client that retries gets "ok", and the deposit counts once. */
static void test_raft_leader_crash_after_replicating_commits_in_new_term(void **st)
{
    WorldRun run;
    world_run(&run, CRASH_CASE("22", "raft.broadcast", "power", "0"));
    assert_true(run.r.passed);
    const HistOp *dep = op_named(&run, "deposit");
    assert_int_equal(dep->outcome, OUTCOME_INDETERMINATE);
    const SimTraceRecord *crash = first_record(run.w, SIM_TR_FAULT, FAULT_CRASH);
    assert_non_null(crash);
    EndpointId old = crash->node;
    RaftEntry e = {0};
    for (EndpointId n = 0; n < 3; n++)
        assert_int_equal(durable_with_idem(run.w, n, dep->idem, &e), 1);
    /* appended in the old leader's term, never committed by it, committed in a later term */
    assert_false(noted_in_world(run.w, old, NOTE_COMMIT, e.index, 0, crash->time + 1));
    const GArray *recs = world_trace_records(run.w);
    gboolean later = FALSE;
    for (guint k = 0; k < recs->len; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        later |= x->kind == SIM_TR_NOTE && x->sub == NOTE_COMMIT && x->node != old &&
                 x->a >= e.index && x->b > e.term;
    }
    assert_true(later);
    const HistOp *fin = final_read(&run, "acct:7");
    assert_true(fin->present);
    assert_int_equal(fin->result, 100);
    assert_int_equal(run.r.verdict.orphans_surfaced, 1);
    world_run_clear(&run);

    world_run(&run, CRASH_CASE("22", "raft.broadcast", "power", "2"));
    assert_true(run.r.passed);
    dep = op_named(&run, "deposit");
    assert_int_equal(dep->outcome, OUTCOME_OK);
    assert_true(dep->attempts >= 2);
    fin = final_read(&run, "acct:7");
    assert_int_equal(fin->result, 100);
    assert_int_equal(run.r.verdict.duplicates, 0);
    world_run_clear(&run);
}

/* Leader crash after commit, before the followers learn it (case 3): the client heard "ok" at
 * the first attempt; no follower had applied the deposit when the leader died; the new leader,
 * elected by a majority holding the entry, keeps it at the same index and term, and the final
 * read sees it once. */
static void test_raft_leader_crash_after_commit_keeps_acked_write(void **st)
{
    WorldRun run;
    world_run(&run, CRASH_CASE("23", "raft.replied", "power", "0"));
    assert_true(run.r.passed);
    const HistOp *dep = op_named(&run, "deposit");
    assert_int_equal(dep->outcome, OUTCOME_OK);
    assert_int_equal(dep->attempts, 1);
    const SimTraceRecord *crash = first_record(run.w, SIM_TR_FAULT, FAULT_CRASH);
    assert_non_null(crash);
    assert_true(dep->complete >= crash->time);
    EndpointId old = crash->node;
    RaftEntry e;
    assert_int_equal(durable_with_idem(run.w, old, dep->idem, &e), 1);
    for (EndpointId n = 0; n < 3; n++) {
        if (n == old)
            continue;
        assert_false(noted_in_world(run.w, n, NOTE_APPLY, e.index, 0, crash->time + 1));
        RaftEntry f;
        assert_int_equal(durable_with_idem(run.w, n, dep->idem, &f), 1);
        assert_int_equal(f.index, e.index);
        assert_int_equal(f.term, e.term);
    }
    /* the first leader after the crash is another server, and it holds the entry */
    EndpointId next = ENDPOINT_NONE;
    const GArray *recs = world_trace_records(run.w);
    for (guint k = 0; k < recs->len && next == ENDPOINT_NONE; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        if (x->time > crash->time && x->kind == SIM_TR_NOTE && x->sub == NOTE_ROLE &&
            x->a == ROLE_LEADER)
            next = x->node;
    }
    assert_true(next != ENDPOINT_NONE && next != old);
    assert_true(noted_in_world(run.w, next, NOTE_APPLY, e.index, crash->time, G_MAXINT64));
    const HistOp *fin = final_read(&run, "acct:7");
    assert_int_equal(fin->result, 100);
    assert_int_equal(run.r.verdict.duplicates, 0);
    world_run_clear(&run);
}

static const char catch_up[] =
    "[scenario]\nname = catch-up\nsummary = catch-up\nprotocol = raft\nseed = 24\n"
    "[cluster]\nnodes = 3\n"
    "[fault follower-down]\nat = 500ms\nkind = crash\nnode = follower\n"
    "mode = power\nrestart_after = 1500ms\n"
    "[op w1]\nat = 600ms\nkind = put\nkey = k0\nvalue = 1\n"
    "[op w2]\nat = 700ms\nkind = add\nkey = k1\nvalue = 2\n"
    "[op w3]\nat = 800ms\nkind = put\nkey = k0\nvalue = 3\n"
    "[op w4]\nat = 900ms\nkind = add\nkey = k1\nvalue = 4\n"
    "[op w5]\nat = 1000ms\nkind = put\nkey = k0\nvalue = 5\n"
    "[op w6]\nat = 1100ms\nkind = add\nkey = k1\nvalue = 6\n";

/* A follower that was down while the leader committed six writes with the other follower
 * catches up after it returns: at the end its durable log is the leader's, entry for entry,
 * through the last commit, and holds every write once. */
static void test_raft_follower_catches_up_after_missing_writes(void **st)
{
    WorldRun run;
    world_run(&run, catch_up);
    assert_true(run.r.passed);
    const SimTraceRecord *crash = first_record(run.w, SIM_TR_FAULT, FAULT_CRASH);
    const SimTraceRecord *back = first_record(run.w, SIM_TR_FAULT, FAULT_RESTART);
    assert_non_null(crash);
    assert_non_null(back);
    EndpointId lagger = crash->node;
    char name[4] = "w1";
    for (int k = 1; k <= 6; k++) {
        name[1] = (char)('0' + k);
        const HistOp *op = op_named(&run, name);
        assert_int_equal(op->outcome, OUTCOME_OK);
        assert_true(op->complete < back->time); /* committed without the lagger */
        assert_int_equal(durable_with_idem(run.w, lagger, op->idem, NULL), 1);
    }
    uint64_t commit = 0;
    const GArray *recs = world_trace_records(run.w);
    for (guint k = 0; k < recs->len; k++) {
        const SimTraceRecord *x = &g_array_index(recs, SimTraceRecord, k);
        if (x->kind == SIM_TR_NOTE && x->sub == NOTE_COMMIT)
            commit = MAX(commit, x->a);
    }
    assert_true(commit >= 7); /* the no-op and six writes, at least */
    Disk *fd = world_disk(run.w, lagger);
    for (EndpointId n = 0; n < 3; n++) {
        Disk *od = world_disk(run.w, n);
        for (uint64_t i = 1; i <= commit; i++) {
            RaftEntry a, b;
            assert_true(durable_entry(od, i, &a));
            assert_true(durable_entry(fd, i, &b));
            assert_int_equal(a.term, b.term);
            assert_int_equal(a.idem, b.idem);
            assert_int_equal(a.value, b.value);
        }
    }
    assert_int_equal(final_read(&run, "k0")->result, 5);
    assert_int_equal(final_read(&run, "k1")->result, 12);
    world_run_clear(&run);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raft_election_timeout_asks_for_prevotes_first_and_changes_nothing),
        cmocka_unit_test(test_raft_prevote_refused_while_hearing_from_leader),
        cmocka_unit_test(test_raft_no_prevote_bug_raises_term_at_once),
        cmocka_unit_test(test_raft_election_timeout_persists_term_and_vote_before_requesting_votes),
        cmocka_unit_test(test_raft_vote_is_sent_only_after_term_and_vote_are_durable),
        cmocka_unit_test(test_raft_vote_refused_for_stale_term),
        cmocka_unit_test(test_raft_vote_refused_to_candidate_with_less_up_to_date_log),
        cmocka_unit_test(test_raft_one_vote_per_term_survives_restart),
        cmocka_unit_test(test_raft_leader_appends_election_noop),
        cmocka_unit_test(test_raft_append_rejected_when_previous_entry_does_not_match),
        cmocka_unit_test(test_raft_append_truncates_only_conflicting_entries),
        cmocka_unit_test(test_raft_follower_acks_only_after_fsync),
        cmocka_unit_test(test_raft_follower_does_not_ack_after_failed_fsync),
        cmocka_unit_test(test_raft_follower_commits_only_entries_the_append_verified),
        cmocka_unit_test(test_raft_leader_never_commits_old_term_by_counting),
        cmocka_unit_test(test_raft_leader_counts_its_own_copy_only_after_its_fsync),
        cmocka_unit_test(test_raft_leader_steps_down_on_higher_term),
        cmocka_unit_test(test_raft_check_quorum_steps_down_leader_cut_off_from_majority),
        cmocka_unit_test(test_raft_heartbeat_skips_followers_sent_an_append_recently),
        cmocka_unit_test(test_raft_heartbeat_after_clock_step_back_reaches_every_follower),
        cmocka_unit_test(test_raft_read_waits_for_leadership_confirmation),
        cmocka_unit_test(test_raft_session_deduplicates_retried_command),
        cmocka_unit_test(test_raft_not_leader_reply_carries_leader_hint),
        cmocka_unit_test(test_raft_busy_beyond_inflight_limit_and_shutdown_is_indeterminate),
        cmocka_unit_test(test_raft_transfer_hands_over_to_a_caught_up_follower),
        cmocka_unit_test(test_raft_transfer_refused_or_timed_out),
        cmocka_unit_test(test_raft_add_server_catches_up_then_joins),
        cmocka_unit_test(test_raft_config_change_waits_for_an_entry_of_its_term),
        cmocka_unit_test(test_raft_leader_removing_itself_steps_down_once_committed),
        cmocka_unit_test(test_raft_figure8_old_term_entry_on_majority_is_not_committed),
        cmocka_unit_test(test_raft_figure8_commit_old_term_bug_commits_then_loses_entry),
        cmocka_unit_test(
            test_raft_figure8_current_term_entry_on_majority_commits_and_blocks_stale_leader),
        cmocka_unit_test(test_raft_leader_crash_before_replicating_loses_unacked_write),
        cmocka_unit_test(test_raft_leader_crash_after_replicating_commits_in_new_term),
        cmocka_unit_test(test_raft_leader_crash_after_commit_keeps_acked_write),
        cmocka_unit_test(test_raft_follower_catches_up_after_missing_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
