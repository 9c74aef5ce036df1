/* model/libraft/libraft_io.c — the library's raft_io, over durasim's simulated world.
 *
 * Every method turns into actions of the current step (n->out):
 *   time/random   the node's own clock (skew applies) and PRNG stream; nothing else is random;
 *   start         the tick: timer slot 0 every `msecs`;
 *   send          one MSG_LIBRAFT through the simulated network; the callback ("written to the
 *                 socket") runs once the library returned, never inside the call;
 *   append        each entry written as raft's record to its segment (libraft_store.c), then
 *                 one sync (the segments written, and the directory when a segment is new); the
 *                 callback runs at the last fsync's completion with 0, or RAFT_IOERR
 *                 (RAFT_NOSPACE for ENOSPC) if any of its fsyncs or writes failed. After a failure
 * the log file is not trusted: every append already queued behind it fails too (a failed fsync
 * proves nothing about what it covered, and the library assumes in-order appends), and so does the
 * next one if a truncation failed; truncate      the segment holding the new end cut, those after
 * it unlinked, ordered before later appends by the FIFO device (durable with the next sync);
 *   set_term, set_vote, bootstrap
 *                 metadata (and the bootstrap entry) written and fsynced before the call
 *                 returns: the call suspends the fiber until the fsync completed (lr_io_wait);
 *   snapshot_put  the snapshot written to the other slot and fsynced, then (an installed
 *                 snapshot, which replaces the whole log) every segment unlinked and log/
 *                 fsynced, then the callback;
 *   snapshot_get  the last snapshot written, after the library returned;
 *   close         completes every outstanding request with RAFT_CANCELED, then calls back.
 * Bug variants: libraft-ack-before-fsync completes an append at its last write's completion;
 * libraft-trust-failed-fsync answers a failed fsync with a second fsync and reports its result.
 */
#include "model/libraft/libraft_internal.h"
#include "model/libraft/libraft_marks.h"

#include <errno.h>
#include <string.h>

struct LRAppend {
    uint64_t id;
    struct raft_io_append *req;
    raft_io_append_cb cb;
    uint64_t first, count;
    guint writes_left;
    gboolean failed;
    int error;
    int sync_error;     /* a failed fsync of its sync before the last */
    gboolean retried;   /* libraft-trust-failed-fsync: the second fsync was issued */
    gboolean done;      /* completed early (libraft-ack-before-fsync) */
    gboolean truncated; /* the library truncated some of its entries while it was in flight */
};

typedef enum { PEND_SEND, PEND_SNAP_GET, PEND_SNAP_PUT } PendKind;

struct LRPending {
    PendKind kind;
    uint64_t id;
    void *req;
    void *cb;
    gboolean replaces; /* snapshot_put: the snapshot replaces the whole log (see io_snapshot_put) */
    gboolean truncating; /* snapshot_put: that log truncation is in flight */
    int error;
    LRSnapHeader head;
    uint8_t *data;
};

#define IO_NODE(io) ((LRNode *)(io)->impl)

static int raft_error(int err)
{
    return err == ENOSPC ? RAFT_NOSPACE : RAFT_IOERR;
}

static void io_failed(LRNode *n)
{
    if (!n->io_failed)
        lr_heap_quarantine(n->heap);
    n->io_failed = TRUE;
}

/* ---- synchronous durable calls ---- */

int lr_io_wait(LRNode *n, uint64_t token)
{
    g_assert(n->fiber.running); /* a durable call outside the fiber: an adapter bug */
    n->wait_token = token;
    n->wait_result = 0;
    n->wait_arrived = FALSE;
    n->stats.suspends++;
    while (!n->wait_arrived)
        lr_fiber_suspend(&n->fiber);
    n->wait_token = 0;
    int r = n->wait_write_error ? n->wait_write_error : n->wait_result;
    n->wait_write_error = 0;
    return r;
}

/* Writes RaftMeta {term, vote} to the other slot, fsyncs, waits. */
static int persist_meta(LRNode *n, uint64_t term, raft_id vote)
{
    RaftMeta m = {.seq = n->meta_seq + 1,
                  .term = term,
                  .voted_for = vote == 0 ? ENDPOINT_NONE : (EndpointId)(vote - 1)};
    DiskBlock b;
    raft_encode_meta(&b, &m);
    guint slot = n->meta_slot ^ 1;
    uint64_t tok = LR_TOKEN(LR_TOK_META, m.seq);
    act_write(n->out, LR_FILE_META, slot, &b, LR_TOKEN(LR_TOK_META_WRITE, m.seq));
    act_fsync(n->out, LR_FILE_META, tok);
    n->stats.durable_calls++;
    int err = lr_io_wait(n, tok);
    if (err != 0) {
        n->stats.durable_errors++;
        LMARK(n, DURABLE_FAILED);
        io_failed(n);
        return raft_error(err);
    }
    LMARK(n, DURABLE_OK);
    n->meta_seq = m.seq;
    n->meta_slot = slot;
    n->term = term;
    n->vote = vote;
    return 0;
}

static int io_set_term(struct raft_io *io, raft_term term)
{
    return persist_meta(IO_NODE(io), term, 0);
}

static int io_set_vote(struct raft_io *io, raft_id id)
{
    LRNode *n = IO_NODE(io);
    return persist_meta(n, n->term, id);
}

static int io_bootstrap(struct raft_io *io, const struct raft_configuration *conf)
{
    LRNode *n = IO_NODE(io);
    if (n->term != 0 || n->next_index != 1)
        return RAFT_CANTBOOTSTRAP;
    RaftEntry rec = {.term = 1, .index = 1, .kind = OP_NOOP, .key = LR_KEY_CHANGE};
    rec.client = ENDPOINT_NONE;
    rec.value = (Value)lr_conf_pack(conf);
    uint64_t tok = LR_TOKEN(LR_TOK_META, n->meta_seq + 1);
    uint64_t part = LR_TOKEN(LR_TOK_META_WRITE, n->meta_seq + 1);
    lr_store_write(n, &rec, part);
    lr_store_sync(n, tok, part);
    int err = lr_io_wait(n, tok);
    lr_store_synced(n, err == 0);
    if (err != 0) {
        io_failed(n);
        return raft_error(err);
    }
    n->next_index = 2;
    g_array_append_val(n->image.records, rec); /* what load() will find */
    lr_log_put(n, &rec);
    n->synced = 1;
    return persist_meta(n, 1, 0);
}

static int io_recover(struct raft_io *io, const struct raft_configuration *conf)
{
    return RAFT_NOTFOUND; /* forced recovery is an operator's tool, not part of the model */
}

/* ---- lifecycle ---- */

static int io_init(struct raft_io *io, raft_id id, const char *address)
{
    return 0;
}

static void io_close(struct raft_io *io, raft_io_close_cb cb)
{
    lr_io_cancel_all(IO_NODE(io));
    if (cb != NULL)
        cb(io);
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv)
{
    LRNode *n = IO_NODE(io);
    n->tick = tick;
    n->recv = recv;
    n->tick_ms = msecs;
    act_timer(n->out, 0, (SimTime)msecs * SIM_MS, 0);
    return 0;
}

static raft_time io_time(struct raft_io *io)
{
    SimTime now = IO_NODE(io)->now;
    return now <= 0 ? 0 : (raft_time)(now / SIM_MS);
}

static int io_random(struct raft_io *io, int min, int max)
{
    g_assert(min <= max);
    return min + (int)sim_rng_uniform(IO_NODE(io)->init.rng, 0, (uint64_t)(max - min));
}

/* ---- load ---- */

static struct raft_snapshot *snapshot_new(const LRSnapHeader *h, const uint8_t *data)
{
    struct raft_snapshot *s = raft_calloc(1, sizeof *s);
    s->index = h->index;
    s->term = h->term;
    s->configuration_index = h->conf_index;
    raft_configuration_init(&s->configuration);
    lr_conf_unpack(h->conf, &s->configuration);
    s->bufs = raft_calloc(1, sizeof *s->bufs);
    s->n_bufs = 1;
    s->bufs[0].base = raft_malloc(h->data_len ? h->data_len : 1);
    s->bufs[0].len = h->data_len;
    memcpy(s->bufs[0].base, data, h->data_len);
    return s;
}

/* The records to hand over: those after the snapshot's trailing window, all in one batch. */
static void load_entries(LRNode *n, const LRImage *im, raft_index *start,
                         struct raft_entry **entries, size_t *count)
{
    GArray *recs = im->records;
    guint from = 0;
    if (im->snap_found && im->snap.index > im->snap.trailing)
        while (from < recs->len &&
               g_array_index(recs, RaftEntry, from).index <= im->snap.index - im->snap.trailing)
            from++;
    *start = from < recs->len ? g_array_index(recs, RaftEntry, from).index
                              : (im->snap_found ? im->snap.index + 1 : 1);
    *count = recs->len - from;
    *entries = NULL;
    if (*count == 0)
        return;
    struct raft_entry *e = raft_calloc(*count, sizeof *e);
    gsize total = 0;
    for (guint i = from; i < recs->len; i++) {
        gboolean ok = lr_record_to_entry(&g_array_index(recs, RaftEntry, i), &e[i - from]);
        g_assert(ok); /* decode_log only keeps records the format defines */
        total += e[i - from].buf.len;
    }
    /* One batch, as the library's own backend loads them. */
    uint8_t *batch = raft_malloc(total ? total : 1);
    gsize off = 0;
    for (size_t i = 0; i < *count; i++) {
        memcpy(batch + off, e[i].buf.base, e[i].buf.len);
        raft_free(e[i].buf.base);
        e[i].buf.base = batch + off;
        e[i].batch = batch;
        off += e[i].buf.len;
    }
    *entries = e;
}

static int io_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                   struct raft_snapshot **snapshot, raft_index *start_index,
                   struct raft_entry *entries[], size_t *n_entries)
{
    LRNode *n = IO_NODE(io);
    const LRImage *im = &n->image;
    if (im->log_damaged)
        return RAFT_CORRUPT; /* 0.15 has no repair: the server stays down (see README) */
    *term = n->term;
    *voted_for = n->vote;
    *snapshot = im->snap_found ? snapshot_new(&im->snap, im->snap_data) : NULL;
    if (im->snap_found)
        LMARK(n, BOOT_SNAPSHOT);
    load_entries(n, im, start_index, entries, n_entries);
    return 0;
}

/* ---- send ---- */

static int io_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb)
{
    LRNode *n = IO_NODE(io);
    if (m->server_id == 0 || m->server_id > n->init.nodes)
        return RAFT_NOCONNECTION;
    uint32_t len;
    uint8_t *bytes = lr_msg_encode(m, n->raft.id, &len);
    Msg *msg = msg_new(MSG_LIBRAFT, n->init.self, (EndpointId)(m->server_id - 1));
    msg_take_extra(msg, bytes, len, 1);
    act_send(n->out, msg);
    n->stats.sends++;
    if (m->type == RAFT_IO_REQUEST_VOTE_RESULT && m->request_vote_result.vote_granted &&
        m->request_vote_result.pre_vote != raft_tribool_true)
        act_failpoint(n->out, LIBRAFT_FP_VOTED);
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.n_entries > 0 &&
        raft_state(&n->raft) == RAFT_LEADER)
        n->broadcast = TRUE;
    LRPending *p = g_new0(LRPending, 1);
    p->kind = PEND_SEND;
    p->req = req;
    p->cb = (void *)cb;
    g_queue_push_tail(&n->done, p);
    return 0;
}

/* ---- append and truncate ---- */

static int io_append(struct raft_io *io, struct raft_io_append *req,
                     const struct raft_entry entries[], unsigned count, raft_io_append_cb cb)
{
    LRNode *n = IO_NODE(io);
    LRAppend *a = g_new0(LRAppend, 1);
    a->id = ++n->next_token;
    a->req = req;
    a->cb = cb;
    a->count = count;
    /* The library appends what it just added to its in-memory log: the last `count` entries. */
    a->first = raft_last_index(&n->raft) - count + 1;
    for (unsigned i = 0; i < count; i++) {
        RaftEntry rec;
        gboolean ok = lr_entry_to_record(&entries[i], a->first + i, &rec);
        g_assert(ok); /* an entry the FSM or the library made that the format cannot hold */
        lr_store_write(n, &rec, LR_TOKEN(LR_TOK_APPEND_WRITE, a->id));
        lr_log_put(n, &rec);
    }
    a->writes_left = count;
    lr_store_sync(n, LR_TOKEN(LR_TOK_APPEND, a->id), LR_TOKEN(LR_TOK_APPEND_PART, a->id));
    if (n->log_broken) {
        a->failed = TRUE;
        a->error = EIO;
        n->log_broken = FALSE;
    }
    n->next_index = a->first + count;
    g_queue_push_tail(&n->appends, a);
    n->stats.appends++;
    gboolean leader = raft_state(&n->raft) == RAFT_LEADER;
    if (leader)
        LMARK(n, APPEND_LEADER);
    else
        LMARK(n, APPEND_FOLLOWER);
    act_failpoint(n->out, leader ? LIBRAFT_FP_APPENDED : LIBRAFT_FP_FOLLOWER_APPENDED);
    for (unsigned i = 0; leader && i < count; i++)
        if (entries[i].type == RAFT_CHANGE) {
            act_failpoint(n->out, LIBRAFT_FP_CONFIG_APPENDED);
            break;
        }
    return 0;
}

static int io_truncate(struct raft_io *io, raft_index index)
{
    LRNode *n = IO_NODE(io);
    g_assert(index >= 1);
    LMARK(n, TRUNCATE);
    lr_store_truncate(n, index, LR_TOKEN(LR_TOK_TRUNCATE, ++n->next_token));
    n->next_index = index;
    lr_log_cut(n, index);
    for (GList *l = n->appends.head; l != NULL; l = l->next) {
        LRAppend *a = l->data;
        if (a->first + a->count > index)
            a->truncated = TRUE;
    }
    return 0;
}

/* libraft 0.15 answers a failed append by releasing its entries and truncating its log there;
 * when it has already truncated them (it stepped down and a new leader's entries replaced them)
 * it dereferences a NULL entry reference and crashes. The host treats that error as the crash it
 * is: the callback is not run, and the instance is restarted from what is durable (host_restart)
 * before anything else reaches it, as a supervisor restarts a crashed process. */
static gboolean append_would_crash(const LRAppend *a, int status)
{
    return status != 0 && a->truncated;
}

static void append_complete(LRNode *n, LRAppend *a)
{
    int status = a->failed ? raft_error(a->error) : 0;
    if (append_would_crash(a, status)) {
        LMARK(n, APPEND_FAILED_TRUNCATED);
        io_failed(n);
        return;
    }
    if (status != 0) {
        n->stats.append_errors++;
        LMARK(n, APPEND_FAILED);
        io_failed(n);
    } else {
        n->synced = MAX(n->synced, a->first + a->count - 1);
    }
    a->cb(a->req, status);
}

/* The append whose id is `id` (appends complete in order: it is at the head). */
static LRAppend *append_find(LRNode *n, uint64_t id)
{
    for (GList *l = n->appends.head; l != NULL; l = l->next)
        if (((LRAppend *)l->data)->id == id)
            return l->data;
    return NULL;
}

static void append_written(LRNode *n, uint64_t id, int result)
{
    if (id < n->stale_below)
        return; /* a write of the instance the host restarted */
    LRAppend *a = append_find(n, id);
    g_assert(a != NULL && a->writes_left > 0);
    a->writes_left--;
    if (result != 0 && !a->failed) {
        a->failed = TRUE;
        a->error = result;
    }
    if (a->writes_left == 0 && !a->failed && BUG_ON(n->init.bugs, LIBRAFT_BUG_ACK_BEFORE_FSYNC) &&
        g_queue_peek_head(&n->appends) == a) {
        a->done = TRUE; /* the bug: the entries count as stored before their fsync */
        append_complete(n, a);
    }
}

static void append_synced(LRNode *n, uint64_t id, int result)
{
    if (id < n->stale_below)
        return;
    gboolean bug = BUG_ON(n->init.bugs, LIBRAFT_BUG_TRUST_FAILED_FSYNC);
    LRAppend *a = append_find(n, id);
    if (a == NULL && bug)
        return; /* the second fsync of an append a later fsync already completed */
    g_assert(a != NULL && (bug || g_queue_peek_head(&n->appends) == a));
    if (result == 0)
        result = a->sync_error; /* an fsync of the group before the last failed */
    if (result != 0 && bug && !a->retried) {
        a->retried = TRUE; /* the bug: fsync again and trust its 0 */
        a->sync_error = 0;
        lr_store_dirty_all(n);
        lr_store_sync(n, LR_TOKEN(LR_TOK_APPEND, a->id), LR_TOKEN(LR_TOK_APPEND_PART, a->id));
        return;
    }
    lr_store_synced(n, result == 0);
    /* The bug again: appends still waiting for their second fsync are trusted once a later
     * fsync returned 0 (it "covers" them). */
    LRAppend *h;
    while ((h = g_queue_peek_head(&n->appends)) != a) {
        g_assert(h->retried);
        g_queue_pop_head(&n->appends);
        if (!h->done)
            append_complete(n, h);
        g_free(h);
    }
    g_queue_pop_head(&n->appends);
    if (result != 0 && !a->failed) {
        a->failed = TRUE;
        a->error = result;
    }
    if (a->failed) /* nothing queued behind a failed fsync is trusted */
        lr_io_fail_pending_appends(n, a->error);
    if (!a->done)
        append_complete(n, a);
    g_free(a);
}

/* An fsync of an append's sync before the last: a failure fails the append (the last fsync's 0
 * proves nothing about what the failed one covered). */
static void append_part(LRNode *n, uint64_t id, int result)
{
    if (id < n->stale_below || result == 0)
        return;
    LRAppend *a = append_find(n, id);
    if (a != NULL && a->sync_error == 0)
        a->sync_error = result;
}

/* ---- snapshots ---- */

static int io_snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                           const struct raft_snapshot *s, raft_io_snapshot_put_cb cb)
{
    LRNode *n = IO_NODE(io);
    LRPending *p = g_new0(LRPending, 1);
    p->kind = PEND_SNAP_PUT;
    p->id = ++n->next_token;
    p->req = req;
    p->cb = (void *)cb;
    gsize total = 0;
    for (unsigned i = 0; i < s->n_bufs; i++)
        total += s->bufs[i].len;
    p->data = g_malloc(total ? total : 1);
    gsize off = 0;
    for (unsigned i = 0; i < s->n_bufs; i++) {
        memcpy(p->data + off, s->bufs[i].base, s->bufs[i].len);
        off += s->bufs[i].len;
    }
    p->head = (LRSnapHeader){.seq = ++n->snap_seq,
                             .index = s->index,
                             .term = s->term,
                             .conf_index = s->configuration_index,
                             .trailing = trailing,
                             .conf = lr_conf_pack(&s->configuration),
                             .data_len = (uint32_t)total};
    guint nblocks;
    DiskBlock *blocks = lr_snap_encode(&p->head, p->data, &nblocks);
    uint32_t at = (n->snap_slot ^ 1) * LR_SNAP_SLOT;
    for (guint i = 0; i < nblocks; i++)
        act_write(n->out, LR_FILE_SNAP, at + i, &blocks[i], LR_TOKEN(LR_TOK_SNAP_WRITE, p->id));
    g_free(blocks);
    act_fsync(n->out, LR_FILE_SNAP, LR_TOKEN(LR_TOK_SNAP, p->id));
    /* An installed snapshot (put from inside an InstallSnapshot's recv, trailing 0) replaces the
     * whole log. A snapshot taken with raft_set_snapshot_trailing(0) comes with trailing 0 too,
     * while the library goes on appending after it: its log stays on disk. */
    p->replaces = n->installing;
    g_queue_push_tail(&n->snap_puts, p);
    n->stats.snapshots_put++;
    if (p->replaces)
        n->stats.installs++;
    return 0;
}

static void snap_put_complete(LRNode *n, LRPending *p)
{
    g_queue_remove(&n->snap_puts, p);
    int status = p->error ? raft_error(p->error) : 0;
    if (status == 0) {
        if (p->replaces)
            LMARK(n, SNAP_INSTALL);
        else
            LMARK(n, SNAP_PUT);
        n->snap = p->head;
        n->snap_slot ^= 1;
        g_free(n->snap_data);
        n->snap_data = p->data;
        p->data = NULL;
    } else {
        LMARK(n, SNAP_PUT_FAILED);
        io_failed(n);
    }
    ((raft_io_snapshot_put_cb)p->cb)(p->req, status);
    g_free(p->data);
    g_free(p);
}

static void snap_put_synced(LRNode *n, LRPending *p, int result)
{
    if (result != 0 && p->error == 0)
        p->error = result;
    if (p->replaces && p->error == 0 && !p->truncating) {
        /* A snapshot that replaces the whole log: drop the log once the snapshot is durable. */
        p->truncating = TRUE;
        lr_store_restart(n, p->head.index + 1, LR_TOKEN(LR_TOK_SNAP_WRITE, p->id));
        lr_log_reset(n, p->head.index + 1);
        lr_store_sync(n, LR_TOKEN(LR_TOK_SNAP, p->id), LR_TOKEN(LR_TOK_SNAP_WRITE, p->id));
        return;
    }
    if (p->truncating)
        lr_store_synced(n, result == 0 && p->error == 0);
    snap_put_complete(n, p);
}

static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb)
{
    LRNode *n = IO_NODE(io);
    LRPending *p = g_new0(LRPending, 1);
    p->kind = PEND_SNAP_GET;
    p->req = req;
    p->cb = (void *)cb;
    g_queue_push_tail(&n->done, p);
    n->stats.snapshots_got++;
    LMARK(n, SNAP_GET);
    return 0;
}

static LRPending *snap_put_find(LRNode *n, uint64_t id)
{
    for (GList *l = n->snap_puts.head; l != NULL; l = l->next)
        if (((LRPending *)l->data)->id == id)
            return l->data;
    return NULL;
}

/* ---- completions ---- */

gboolean lr_io_disk_done(LRNode *n, uint64_t token, int result)
{
    uint64_t id = token >> 8;
    switch (token & 0xff) {
    case LR_TOK_APPEND_WRITE:
        append_written(n, id, result);
        return TRUE;
    case LR_TOK_APPEND:
        append_synced(n, id, result);
        return TRUE;
    case LR_TOK_APPEND_PART:
        append_part(n, id, result);
        return TRUE;
    case LR_TOK_STORE:
        return TRUE; /* an open, close or mkdir of the log store: what goes through it fails */
    case LR_TOK_TRUNCATE:
        if (result != 0 && id >= n->stale_below) {
            LMARK(n, TRUNCATE_FAILED);
            n->log_broken = TRUE;
        }
        return TRUE;
    case LR_TOK_SNAP_WRITE: {
        if (id < n->stale_below)
            return TRUE;
        LRPending *p = snap_put_find(n, id);
        g_assert(p != NULL);
        if (result != 0 && p->error == 0)
            p->error = result;
        return TRUE;
    }
    case LR_TOK_SNAP: {
        if (id < n->stale_below)
            return TRUE;
        LRPending *p = snap_put_find(n, id);
        g_assert(p != NULL);
        snap_put_synced(n, p, result);
        return TRUE;
    }
    default:
        return FALSE;
    }
}

static void pending_run(LRPending *p, int status, struct raft_snapshot *snap)
{
    switch (p->kind) {
    case PEND_SEND:
        if (p->cb != NULL) /* 0.15 sends TimeoutNow (raft_transfer) without a callback */
            ((raft_io_send_cb)p->cb)(p->req, status);
        break;
    case PEND_SNAP_GET:
        ((raft_io_snapshot_get_cb)p->cb)(p->req, snap, status);
        break;
    case PEND_SNAP_PUT:
        ((raft_io_snapshot_put_cb)p->cb)(p->req, status);
        break;
    }
    g_free(p->data);
    g_free(p);
}

void lr_drain(LRNode *n)
{
    LRPending *p;
    while ((p = g_queue_pop_head(&n->done)) != NULL) {
        struct raft_snapshot *snap = NULL;
        int status = 0;
        if (p->kind == PEND_SNAP_GET) {
            if (n->snap.index == 0)
                status = RAFT_NOTFOUND; /* the library asked for a snapshot it never took */
            else
                snap = snapshot_new(&n->snap, n->snap_data);
        }
        pending_run(p, status, snap);
    }
}

void lr_io_fail_pending_appends(LRNode *n, int err)
{
    for (GList *l = n->appends.head; l != NULL; l = l->next) {
        LRAppend *a = l->data;
        if (!a->failed) {
            LMARK(n, APPEND_FAILED_BEHIND);
            a->failed = TRUE, a->error = err;
        }
    }
}

void lr_io_cancel_all(LRNode *n)
{
    LRAppend *a;
    LRPending *p;
    /* Appends complete with 0, not RAFT_CANCELED: libraft 0.15 handles a failed leader append by
     * truncating its log and then releasing the entries' references it just dropped (a NULL
     * dereference in its reference table, seen at close). The instance is closing: nothing it
     * does from here leaves the node (libraft.c sends its output nowhere), so the status cannot
     * make anything count as durable; it only lets the library free the request. */
    while ((a = g_queue_pop_head(&n->appends)) != NULL) {
        if (!a->done && !a->truncated)
            a->cb(a->req, 0);
        g_free(a);
    }
    while ((p = g_queue_pop_head(&n->snap_puts)) != NULL)
        pending_run(p, RAFT_CANCELED, NULL);
    while ((p = g_queue_pop_head(&n->done)) != NULL)
        pending_run(p, RAFT_CANCELED, NULL);
}

void lr_io_setup(LRNode *n)
{
    n->io = (struct raft_io){.version = 1,
                             .impl = n,
                             .init = io_init,
                             .close = io_close,
                             .load = io_load,
                             .start = io_start,
                             .bootstrap = io_bootstrap,
                             .recover = io_recover,
                             .set_term = io_set_term,
                             .set_vote = io_set_vote,
                             .send = io_send,
                             .append = io_append,
                             .truncate = io_truncate,
                             .snapshot_put = io_snapshot_put,
                             .snapshot_get = io_snapshot_get,
                             .time = io_time,
                             .random = io_random};
}
