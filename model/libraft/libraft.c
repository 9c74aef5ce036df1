/* model/libraft/libraft.c — the hosted library as a ProtoOps: events in, library calls out.
 *
 * Boot: the disk image is decoded (libraft_store.c) and, before the library sees it, written
 * back and fsynced (what the page cache showed may not be durable: after a failed fsync of an
 * earlier life the pages can be clean and never written, and a new fsync would not write them).
 * Once those fsyncs succeeded the instance is initialised and started (on the fiber), bootstrapping
 * the configuration on a first boot; they are retried after a failure.
 * Events: the tick (timer 0) -> the library's tick; MSG_LIBRAFT -> decode, recv; client requests
 * -> libraft_fsm.c; PEV_DISK -> the raft_io request it completes; PEV_STOP -> clients answered.
 * Calls that can reach set_term/set_vote (a tick of a non-leader; a message with a higher term, a
 * vote request or result, TimeoutNow; start) run on the fiber; while it is suspended every other
 * event is queued and replayed, in order, once the library returned.
 * After every step the library's role, term and commit index are compared with what the notes
 * said last: NOTE_ROLE, NOTE_COMMIT and the failpoints elected and committed follow.
 * Crash: destroy abandons the instance: a suspended call is failed, raft_close completes every
 * request, and the instance's heap is freed (what was left is counted, see libraft_heap.c).
 */
#include "model/libraft/libraft_internal.h"
#include "model/libraft/libraft_marks.h"

#include <stdio.h>
#include <string.h>

#define BOOT_RETRY (50 * SIM_MS)

void libraft_params_default(LibraftParams *p, const WorldConfig *c)
{
    memset(p, 0, sizeof *p);
    const LibraftConfig *l = libraft_config(c);
    p->election_ms = (unsigned)MAX(l->election_timeout / SIM_MS, 10);
    p->heartbeat_ms = (unsigned)MAX(l->heartbeat / SIM_MS, 1);
    p->snapshot_threshold = l->snapshot_threshold;
    p->snapshot_trailing = l->snapshot_trailing;
    p->install_timeout_ms = (unsigned)MAX(l->install_timeout / SIM_MS, 1);
    p->pre_vote = l->pre_vote;
    p->voters = libraft_voters(c);
    p->min_voters = libraft_min_voters(c);
    p->max_inflight = RAFT_MAX_INFLIGHT;
}

void lr_enter(LRNode *n)
{
    lr_heap_use(n->heap);
}

void lr_leave(LRNode *n)
{
    lr_heap_use(NULL);
}

static NodeRole role_of(int state)
{
    switch (state) {
    case RAFT_LEADER:
        return ROLE_LEADER;
    case RAFT_CANDIDATE:
        return ROLE_CANDIDATE;
    case RAFT_FOLLOWER:
        return ROLE_FOLLOWER;
    default:
        return ROLE_NONE;
    }
}

/* The commit index rose: NOTE_COMMIT, and on a leader the failpoint committed. The FSM's first
 * apply of the step calls it, so that a fault there acts before anything was applied or
 * answered; the end of the step catches what applied nothing (a barrier). */
void lr_note_commit(LRNode *n)
{
    if (!n->started || n->raft.commit_index <= n->noted_commit)
        return;
    n->noted_commit = n->raft.commit_index;
    act_note(n->out, NOTE_COMMIT, n->noted_commit, n->raft.current_term, 0, 0);
    if (raft_state(&n->raft) == RAFT_LEADER)
        act_failpoint(n->out, LIBRAFT_FP_COMMITTED);
}

/* NOTE_CONFIG when the library's configuration in use changed (its voters, or the index it
 * names for it: the uncommitted one if any, else the committed one). */
static void note_config(LRNode *n)
{
    const struct raft_configuration *c = &n->raft.configuration;
    uint64_t voters = 0;
    for (unsigned i = 0; i < c->n; i++)
        if (c->servers[i].role == RAFT_VOTER && c->servers[i].id >= 1 && c->servers[i].id <= 64)
            voters |= (uint64_t)1 << (c->servers[i].id - 1);
    uint64_t at = n->raft.configuration_uncommitted_index != 0
                      ? n->raft.configuration_uncommitted_index
                      : n->raft.configuration_index;
    if (voters == n->noted_voters && at == n->noted_conf_at)
        return;
    n->noted_voters = voters;
    n->noted_conf_at = at;
    act_note(n->out, NOTE_CONFIG, voters, at, 0, 0);
}

static void note_changes(LRNode *n)
{
    if (!n->started)
        return;

    if (n->broadcast) {
        n->broadcast = FALSE;
        act_failpoint(n->out, LIBRAFT_FP_BROADCAST);
    }
    NodeRole role = role_of(raft_state(&n->raft));
    uint64_t term = n->raft.current_term;
    if (raft_state(&n->raft) == RAFT_UNAVAILABLE && !n->io_failed && !n->halted) {
        /* Not an I/O error (the host restarts it after those): 0.15 shuts itself down when an
         * AppendEntries contradicts an entry it has committed. It stays so: that is its answer. */
        n->halted = TRUE;
        LMARK(n, LIBRARY_HALTED);
        act_note(n->out, NOTE_HALTED, n->raft.commit_index, term, 0, 0);
    }
    if (role != n->role || term != n->noted_term) {
        gboolean elected = role == ROLE_LEADER && n->role != ROLE_LEADER;
        n->role = role;
        n->noted_term = term;
        act_note(n->out, NOTE_ROLE, role, term, 0, 0);
        if (elected)
            act_failpoint(n->out, LIBRAFT_FP_ELECTED);
    }
    lr_note_commit(n);
    note_config(n);
    uint64_t conf = n->raft.configuration_uncommitted_index == 0 ? n->raft.configuration_index : 0;
    if (conf > n->noted_conf) {
        if (n->noted_conf != 0 && raft_state(&n->raft) == RAFT_LEADER)
            act_failpoint(n->out, LIBRAFT_FP_CONFIG_COMMITTED);
        n->noted_conf = conf;
    }
}

/* ---- the fiber's work ---- */

typedef enum { WORK_START, WORK_TICK, WORK_RECV } WorkKind;

typedef struct {
    LRNode *n;
    WorkKind kind;
    struct raft_message msg;
    char addr[24];
    /* a vote request: its term (0: none), whether a pre-vote, and the leader the server kept
     * when it arrived (ENDPOINT_NONE: none) if 0.15 refuses it for that leader */
    uint64_t asked;
    gboolean pre, for_leader;
    EndpointId kept;
} Work;

/* After the library handled a vote request (the call may have suspended to store the new term
 * first: the note follows whenever it returns). 0.15 refuses a vote or pre-vote request
 * (without "disrupt leader") first of all when it has a leader, however long ago it heard from
 * it (thesis §4.2.3 and §9.6 allow that only within an election timeout); otherwise it grants
 * no vote when it is no voter of its own latest configuration, though the thesis (§4.1) has
 * servers answer requests without consulting it. Both noted for the oracles, which judge. */
static gboolean own_voter(const LRNode *n);
static void note_refusal(LRNode *n, const Work *w)
{
    if (!n->started || w->asked == 0)
        return;
    if (w->for_leader)
        act_note(n->out, NOTE_REFUSED,
                 w->pre ? NOTE_REFUSED_PREVOTE_FOR_LEADER : NOTE_REFUSED_VOTE_FOR_LEADER, w->kept,
                 (uint64_t)n->heard_leader_at, 0);
    else if (w->asked >= n->raft.current_term && !own_voter(n))
        act_note(n->out, NOTE_REFUSED, NOTE_REFUSED_VOTE_NOT_MEMBER, w->kept,
                 (uint64_t)n->heard_leader_at, 0);
}

static void start_library(LRNode *n)
{
    gboolean fresh = n->may_bootstrap && n->term == 0 && n->next_index == 1 && n->snap.index == 0;
    if (fresh && n->raft.id <= n->init.nodes) {
        struct raft_configuration conf;
        raft_configuration_init(&conf);
        for (guint i = 1; i <= n->init.nodes; i++) {
            char addr[8];
            snprintf(addr, sizeof addr, "%u", i);
            raft_configuration_add(&conf, i, addr, i <= n->params.voters ? RAFT_VOTER : RAFT_SPARE);
        }
        int rv = raft_bootstrap(&n->raft, &conf);
        raft_configuration_close(&conf);
        if (rv != 0) {
            LMARK(n, BOOTSTRAP_FAILED);
            /* Its write or fsync failed: nothing of it is trusted; the boot starts over. */
            n->next_index = 1;
            n->term = 0;
            lr_log_reset(n, 1);
            g_array_set_size(n->image.records, 0);
            n->booting = TRUE;
            act_timer(n->out, LR_TIMER_BOOT, BOOT_RETRY, 0);
            return;
        }
    }
    int rv = raft_start(&n->raft);
    n->started = rv == 0;
    if (rv != 0) {
        LMARK(n, START_FAILED);
        act_note(n->out, NOTE_DAMAGED, 0, (uint64_t)rv, 0, 0);
    } else
        lr_scrub_start(n);
    lr_image_clear(&n->image);
}

static void run_work(void *arg)
{
    Work *w = arg;
    LRNode *n = w->n;
    switch (w->kind) {
    case WORK_START:
        start_library(n);
        break;
    case WORK_TICK:
        n->tick(&n->io);
        break;
    case WORK_RECV:
        /* A snapshot put from inside an InstallSnapshot's recv is the install (libraft_io.c). */
        n->installing = w->msg.type == RAFT_IO_INSTALL_SNAPSHOT;
        n->recv(&n->io, &w->msg);
        n->installing = FALSE;
        note_refusal(n, w);
        break;
    }
    g_free(w);
}

/* Runs the work on the fiber if it may block, directly otherwise. */
static void call_library(LRNode *n, Work *w, gboolean may_block)
{
    if (may_block) {
        lr_fiber_run(&n->fiber, run_work, w);
        if (n->fiber.suspended)
            return;
    } else {
        run_work(w);
    }
    lr_drain(n);
}

static gboolean recv_may_block(const LRNode *n, const struct raft_message *m)
{
    return m->type == RAFT_IO_REQUEST_VOTE || m->type == RAFT_IO_REQUEST_VOTE_RESULT ||
           m->type == RAFT_IO_TIMEOUT_NOW || lr_msg_term(m) > n->raft.current_term;
}

static gboolean adapter_wire(const Msg *m)
{
    const uint8_t *p = m->extra;
    return m->extra_count >= 1 && (p[0] == LR_WIRE_REPAIR_ASK || p[0] == LR_WIRE_REPAIR_ANSWER);
}

/* The term of entry `index` as the library holds it (0: unknown here). */
static uint64_t held_term(const LRNode *n, uint64_t index)
{
    const RaftEntry *e = lr_log_at(n, index);
    if (e != NULL)
        return e->term;
    return index != 0 && index == n->raft.log.snapshot.last_index ? n->raft.log.snapshot.last_term
                                                                  : 0;
}

/* Whether the AppendEntries would make 0.15 roll back an uncommitted configuration entry while
 * the entry of the committed configuration before it was compacted into a snapshot: 0.15 then
 * looks the committed one up in its log, finds nothing and dereferences NULL, crashing the
 * process (canonical/raft#250, fixed after 0.15). It rolls back when the entries it receives
 * conflict with its own at or below the uncommitted configuration's index. */
static gboolean rollback_would_crash(const LRNode *n, const struct raft_message *m)
{
    const struct raft *r = &n->raft;
    const struct raft_append_entries *a = &m->append_entries;
    if (m->type != RAFT_IO_APPEND_ENTRIES || r->configuration_uncommitted_index == 0 ||
        r->configuration_index > r->log.offset || a->term < r->current_term)
        return FALSE;
    if (a->prev_log_index != 0 && held_term(n, a->prev_log_index) != a->prev_log_term)
        return FALSE; /* rejected: no truncation */
    for (unsigned k = 0; k < a->n_entries; k++) {
        uint64_t i = a->prev_log_index + 1 + k, t = held_term(n, i);
        if (t == 0) /* beyond its log: nothing of its own to conflict with */
            return FALSE;
        if (t != a->entries[k].term)
            return i <= r->configuration_uncommitted_index;
    }
    return FALSE;
}

/* Whether the server is a voter of its own latest configuration. */
static gboolean own_voter(const LRNode *n)
{
    const struct raft_configuration *c = &n->raft.configuration;
    for (unsigned i = 0; i < c->n; i++)
        if (c->servers[i].id == n->raft.id)
            return c->servers[i].role == RAFT_VOTER;
    return FALSE;
}

/* The leader a follower believes in (ENDPOINT_NONE: none). */
static EndpointId current_leader(const LRNode *n)
{
    if (!n->started || n->raft.state != RAFT_FOLLOWER ||
        n->raft.follower_state.current_leader.id == 0)
        return ENDPOINT_NONE;
    return (EndpointId)(n->raft.follower_state.current_leader.id - 1);
}

/* Whether a leader gets AppendEntries or InstallSnapshot of its own term: another leader of the
 * same term, which Raft never has, but 0.15 can (it may vote twice in a term, see the oracle's
 * vote-twice-for-transferee). 0.15 then handles the message as a follower would while still a
 * leader: it writes the follower's leader into its leader state (progress and pending change
 * share a union with it) and crashes later on the garbage. */
static gboolean second_leader_would_crash(const LRNode *n, const struct raft_message *m)
{
    uint64_t term = m->type == RAFT_IO_APPEND_ENTRIES     ? m->append_entries.term
                    : m->type == RAFT_IO_INSTALL_SNAPSHOT ? m->install_snapshot.term
                                                          : 0;
    return term != 0 && term == n->raft.current_term && n->raft.state == RAFT_LEADER;
}

static void host_restart(LRNode *n);

static void handle_peer(LRNode *n, const Msg *m)
{
    if (adapter_wire(m)) {
        lr_repair_message(n, m);
        return;
    }
    if (!n->started) {
        LMARK(n, RECV_NOT_STARTED);
        return; /* not listening yet: as if the network lost it */
    }
    Work *w = g_new0(Work, 1);
    w->n = n;
    w->kind = WORK_RECV;
    n->stats.received++;
    if (!lr_msg_decode(m->extra, m->extra_count, &w->msg, w->addr, sizeof w->addr)) {
        n->stats.malformed++;
        LMARK(n, RECV_MALFORMED);
        g_free(w);
        return;
    }
    const struct raft_message *rm = &w->msg;
    if ((rm->type == RAFT_IO_APPEND_ENTRIES && rm->append_entries.term >= n->raft.current_term) ||
        (rm->type == RAFT_IO_INSTALL_SNAPSHOT && rm->install_snapshot.term >= n->raft.current_term))
        n->heard_leader_at = n->now;
    w->asked = rm->type == RAFT_IO_REQUEST_VOTE ? rm->request_vote.term : 0;
    w->pre = w->asked != 0 && rm->request_vote.pre_vote;
    gboolean rollback = rollback_would_crash(n, &w->msg);
    if (rollback || second_leader_would_crash(n, &w->msg)) {
        /* The crash it would be: the message is lost with the process, which the host
         * restarts from what it wrote, as a supervisor restarts a crashed process. */
        if (rollback)
            LMARK(n, ROLLBACK_WOULD_CRASH);
        else
            LMARK(n, SECOND_LEADER_WOULD_CRASH);
        lr_msg_release(&w->msg);
        g_free(w);
        host_restart(n);
        return;
    }
    /* What the refusal notes need, as the request finds the server (see note_refusal). */
    w->kept = current_leader(n);
    w->for_leader = w->asked > n->raft.current_term && w->kept != ENDPOINT_NONE &&
                    !rm->request_vote.disrupt_leader;
    call_library(n, w, recv_may_block(n, &w->msg));
}

static void handle_tick(LRNode *n)
{
    if (!n->started)
        return;
    act_timer(n->out, LR_TIMER_TICK, (SimTime)n->tick_ms * SIM_MS, 0);
    Work *w = g_new0(Work, 1);
    w->n = n;
    w->kind = WORK_TICK;
    call_library(n, w, raft_state(&n->raft) != RAFT_LEADER);
}

/* ---- boot ---- */

static void boot_fsync(LRNode *n, guint file)
{
    act_fsync(n->out, file, LR_TOKEN(LR_TOK_BOOT, 0));
    n->boot_waits++;
}

/* Writes back what load() will hand the library (its metadata, its log and snapshot), and
 * fsyncs it (the log's segments and directories too). A repair rewrites the whole log: every
 * segment goes, and the rebuilt log is written from its first entry. */
void lr_boot_rewrite(LRNode *n, gboolean meta, gboolean data)
{
    const LRImage *im = &n->image;
    n->boot_failed = FALSE;
    if (meta && im->meta_found) {
        RaftMeta m = im->meta;
        m.seq = ++n->meta_seq;
        DiskBlock b;
        raft_encode_meta(&b, &m);
        n->meta_slot ^= 1;
        act_write(n->out, LR_FILE_META, n->meta_slot, &b, LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
        boot_fsync(n, LR_FILE_META);
    }
    if (!data)
        return;
    if (n->repairing) {
        uint64_t first =
            im->records->len > 0 ? g_array_index(im->records, RaftEntry, 0).index : n->next_index;
        lr_store_restart(n, first, LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
    } else {
        lr_store_truncate(n, n->next_index, LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
    }
    for (guint i = 0; i < im->records->len; i++)
        lr_store_write(n, &g_array_index(im->records, RaftEntry, i),
                       LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
    lr_store_sync(n, LR_TOKEN(LR_TOK_BOOT, 0), LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
    n->boot_waits++;
    if (n->snap.index != 0) {
        n->snap.seq = ++n->snap_seq;
        guint nblocks;
        DiskBlock *blocks = lr_snap_encode(&n->snap, n->snap_data, &nblocks);
        n->snap_slot ^= 1;
        for (guint i = 0; i < nblocks; i++)
            act_write(n->out, LR_FILE_SNAP, n->snap_slot * LR_SNAP_SLOT + i, &blocks[i],
                      LR_TOKEN(LR_TOK_BOOT_WRITE, 0));
        g_free(blocks);
        boot_fsync(n, LR_FILE_SNAP);
    }
}

void lr_boot_start(LRNode *n)
{
    n->booting = FALSE;
    n->synced = n->next_index - 1; /* the boot rewrite's fsyncs succeeded */
    Work *w = g_new0(Work, 1);
    w->n = n;
    w->kind = WORK_START;
    call_library(n, w, TRUE);
}

void lr_adopt_image(LRNode *n)
{
    const LRImage *im = &n->image;
    n->term = im->meta_found ? im->meta.term : 0;
    n->vote = !im->meta_found || im->meta.voted_for == ENDPOINT_NONE
                  ? 0
                  : (raft_id)im->meta.voted_for + 1;
    if (im->meta_found && im->meta.seq > n->meta_seq) {
        n->meta_seq = im->meta.seq;
        n->meta_slot = im->meta_slot;
    }
    g_free(n->snap_data);
    n->snap_data = NULL;
    memset(&n->snap, 0, sizeof n->snap);
    if (im->snap_found) {
        n->snap = im->snap;
        n->snap_seq = MAX(n->snap_seq, im->snap.seq);
        n->snap.seq = n->snap_seq;
        n->snap_data = g_memdup2(im->snap_data, MAX(im->snap.data_len, 1));
    }
    n->next_index = im->records->len > 0
                        ? g_array_index(im->records, RaftEntry, im->records->len - 1).index + 1
                        : (im->snap_found ? im->snap.index + 1 : 1);
    lr_log_reset(n, im->records->len > 0 ? g_array_index(im->records, RaftEntry, 0).index
                                         : n->next_index);
    for (guint i = 0; i < im->records->len; i++)
        lr_log_put(n, &g_array_index(im->records, RaftEntry, i));
    n->synced = 0;
}

/* Whether the log holds nothing, or only the bootstrap configuration: without metadata, a
 * server whose bootstrap was cut short never had a term, a vote or an entry of anyone's. */
static gboolean only_bootstrap(const LRImage *im)
{
    if (im->records->len == 0)
        return TRUE;
    const RaftEntry *e = &g_array_index(im->records, RaftEntry, 0);
    return im->records->len == 1 && e->index == 1 && e->term == 1 && e->kind == OP_NOOP &&
           e->key == LR_KEY_CHANGE;
}

/* A bootstrap cut short: the log holds the bootstrap entry alone and no metadata was ever
 * stored (bootstrap writes the entry, then term 1; nothing of a term is written before). The
 * server never had a term: it never voted, never acknowledged an entry, never counted for
 * anything, so it may bootstrap again, as an operator reruns an interrupted bootstrap, instead
 * of waiting for its peers like a server that lost its disk (which has no entry left). */
static gboolean bootstrap_cut_short(const LRImage *im, gboolean first_boot)
{
    return !first_boot && !im->meta_found && !im->meta_damaged && !im->log_damaged &&
           !im->snap_found && !im->snap_damaged && im->records->len == 1 && only_bootstrap(im);
}

static void boot(LRNode *n, const ProtoEvent *ev)
{
    LRImage *im = &n->image;
    lr_image_decode(n, ev->image, im);
    gboolean again = bootstrap_cut_short(im, ev->first_boot);
    if (again) {
        LMARK(n, BOOT_BOOTSTRAP_AGAIN);
        g_array_set_size(im->records, 0);
    }
    if (im->meta_found) {
        n->meta_seq = im->meta.seq;
        n->meta_slot = im->meta_slot;
    }
    if (im->snap_found) {
        n->snap_seq = im->snap.seq;
        n->snap_slot = im->snap_slot;
    }
    lr_adopt_image(n);
    n->booting = TRUE;
    n->may_bootstrap = ev->first_boot || again;
    gboolean damaged = im->log_damaged || im->snap_damaged || im->meta_damaged ||
                       (im->meta_found && im->meta.damaged) ||
                       (!im->meta_found && !ev->first_boot && !again);
    n->blank = !ev->first_boot && !again && !im->meta_found && only_bootstrap(im) &&
               !im->snap_found && !im->log_damaged && !im->snap_damaged && !im->meta_damaged;
    if (ev->first_boot)
        LMARK(n, BOOT_FIRST);
    else if (n->blank)
        LMARK(n, BOOT_BLANK);
    if (damaged) {
        LMARK(n, BOOT_DAMAGED);
        act_note(n->out, NOTE_DAMAGED, 0, im->log_damaged, im->meta_damaged, im->snap_damaged);
        lr_repair_begin(n);
        return;
    }
    if (!ev->first_boot)
        LMARK(n, BOOT_REWRITE);
    lr_boot_rewrite(n, TRUE, TRUE);
    if (n->boot_waits == 0)
        lr_boot_start(n);
}

static void boot_disk(LRNode *n, uint64_t token, int result)
{
    if (result != 0)
        n->boot_failed = TRUE;
    if ((token & 0xff) != LR_TOK_BOOT)
        return;
    g_assert(n->boot_waits > 0);
    if (--n->boot_waits > 0)
        return;
    lr_store_synced(n, !n->boot_failed);
    if (n->repairing)
        lr_repair_synced(n, n->boot_failed);
    else if (n->boot_failed) {
        LMARK(n, BOOT_RETRY);
        act_timer(n->out, LR_TIMER_BOOT, BOOT_RETRY, 0);
    } else
        lr_boot_start(n);
}

/* ---- events ---- */

static void dispatch(LRNode *n, const ProtoEvent *ev)
{
    switch (ev->kind) {
    case PEV_BOOT:
        boot(n, ev);
        break;
    case PEV_TIMER:
        if (ev->timer == LR_TIMER_TICK)
            handle_tick(n);
        else if (ev->timer == LR_TIMER_BOOT && n->booting && n->repairing)
            lr_repair_retry(n);
        else if (ev->timer == LR_TIMER_BOOT && n->booting)
            lr_boot_rewrite(n, TRUE, TRUE);
        else if (ev->timer == LR_TIMER_SCRUB)
            lr_scrub_round(n);
        else if (ev->timer == LR_TIMER_REPAIR && n->repairing && n->repair_phase == 0)
            lr_repair_retry(n);
        break;
    case PEV_DISK:
        if (lr_scrub_disk_done(n, ev))
            break;
        if ((ev->token & 0xff) == LR_TOK_BOOT || (ev->token & 0xff) == LR_TOK_BOOT_WRITE)
            boot_disk(n, ev->token, ev->result);
        else if (lr_io_disk_done(n, ev->token, ev->result))
            lr_drain(n);
        break;
    case PEV_STOP:
        lr_client_shutdown(n);
        lr_admin_shutdown(n);
        break;
    case PEV_MSG:
        if (ev->msg->type == MSG_CLIENT_REQ) {
            lr_client_request(n, ev->msg);
            lr_drain(n);
        } else if (ev->msg->type == MSG_LIBRAFT) {
            handle_peer(n, ev->msg);
        }
        break;
    }
}

/* A copy of an event that must wait for the suspended call (messages deep-copied). */
static ProtoEvent *event_copy(const ProtoEvent *ev)
{
    g_assert(ev->kind != PEV_BOOT);
    ProtoEvent *c = g_memdup2(ev, sizeof *ev);
    /* Only the scrub reads, and its completions never wait: what waits needs no blocks. */
    c->block = c->blocks = NULL;
    c->results = NULL;
    if (ev->msg != NULL)
        c->msg = msg_copy(ev->msg);
    return c;
}

static void event_free(ProtoEvent *ev)
{
    msg_free((Msg *)ev->msg);
    g_free(ev);
}

/* While a durable call waits: its own completions go to it, the rest waits its turn. */
static void while_suspended(LRNode *n, const ProtoEvent *ev)
{
    uint64_t kind = ev->token & 0xff, seq = ev->token >> 8;
    /* The scrub and the repair's answers do not enter the library: they need not wait. */
    if (ev->kind == PEV_DISK && lr_scrub_disk_done(n, ev))
        return;
    if (ev->kind == PEV_DISK && kind == LR_TOK_STORE)
        return;
    if (ev->kind == PEV_MSG && ev->msg->type == MSG_LIBRAFT && adapter_wire(ev->msg)) {
        lr_repair_message(n, ev->msg);
        return;
    }
    if (ev->kind == PEV_DISK && kind == LR_TOK_META_WRITE && seq == (n->wait_token >> 8)) {
        if (ev->result != 0)
            n->wait_write_error = ev->result;
        return;
    }
    if (ev->kind == PEV_DISK && ev->token == n->wait_token) {
        n->wait_result = ev->result;
        n->wait_arrived = TRUE;
        lr_fiber_resume(&n->fiber);
        if (!n->fiber.suspended)
            lr_drain(n);
        return;
    }
    if (ev->kind == PEV_TIMER && ev->timer == LR_TIMER_TICK) {
        /* The tick keeps its period; the library sees one tick when it returns. */
        act_timer(n->out, LR_TIMER_TICK, (SimTime)n->tick_ms * SIM_MS, 0);
        if (n->tick_deferred)
            return;
        n->tick_deferred = TRUE;
    }
    LMARK(n, FIBER_DEFERRED);
    g_queue_push_tail(&n->deferred, event_copy(ev));
}

static void replay_deferred(LRNode *n)
{
    ProtoEvent *d;
    while (!n->fiber.suspended && (d = g_queue_pop_head(&n->deferred)) != NULL) {
        /* An I/O error reached the library: the instance is restarted before anything else
         * reaches it (0.15 does not survive a second failed append in flight, see host_restart). */
        if (n->started && n->io_failed)
            host_restart(n);
        if (d->kind == PEV_TIMER && d->timer == LR_TIMER_TICK) {
            n->tick_deferred = FALSE;
            Work *w = g_new0(Work, 1);
            w->n = n;
            w->kind = WORK_TICK;
            if (n->started)
                call_library(n, w, raft_state(&n->raft) != RAFT_LEADER);
            else
                g_free(w);
        } else {
            dispatch(n, d);
        }
        event_free(d);
    }
}

static void libraft_step(void *p, const ProtoEvent *ev, ActionList *out)
{
    LRNode *n = p;
    n->out = out;
    n->now = ev->now;
    lr_enter(n);
    if (n->fiber.suspended)
        while_suspended(n, ev);
    else
        dispatch(n, ev);
    replay_deferred(n);
    if (!n->fiber.suspended) {
        lr_admin_continue(n);
        lr_drain(n);
    }
    note_changes(n);
    if (n->started && n->io_failed && !n->fiber.suspended)
        host_restart(n);
    lr_leave(n);
    n->out = NULL;
}

/* ---- the instance ---- */

static struct raft_tracer silent_tracer = {.enabled = false};

static void closed(struct raft *r)
{
    ((LRNode *)r->io->impl)->closing = FALSE;
}

/* A new library instance on the node (its own heap): raft_init and the parameters. */
static void instance_open(LRNode *n)
{
    n->heap = lr_heap_new();
    n->io_failed = FALSE;
    n->halted = FALSE;
    n->heard_leader_at = 0;
    n->noted_voters = 0;
    n->noted_conf_at = 0;
    n->started = FALSE;
    n->role = ROLE_NONE;
    lr_io_setup(n);
    lr_fsm_setup(n);
    lr_admin_setup(n);
    n->noted_conf = 0;
    char addr[8];
    snprintf(addr, sizeof addr, "%u", (unsigned)n->init.self + 1);
    lr_enter(n);
    memset(&n->raft, 0, sizeof n->raft);
    int rv = raft_init(&n->raft, &n->io, &n->fsm, (raft_id)n->init.self + 1, addr);
    g_assert(rv == 0);
    n->raft.tracer = &silent_tracer; /* raft_init enables the stderr tracer from the env */
    raft_set_election_timeout(&n->raft, n->params.election_ms);
    raft_set_heartbeat_timeout(&n->raft, n->params.heartbeat_ms);
    raft_set_snapshot_threshold(&n->raft, n->params.snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, n->params.snapshot_trailing);
    raft_set_install_snapshot_timeout(&n->raft, n->params.install_timeout_ms);
    raft_set_pre_vote(&n->raft, n->params.pre_vote);
    lr_leave(n);
}

void *libraft_create(const ProtoInit *init, const LibraftParams *params)
{
    LRNode *n = g_new0(LRNode, 1);
    n->init = *init;
    if (n->init.marks == NULL)
        n->init.marks = mark_sink();
    n->params = *params;
    n->next_index = 1;
    lr_log_reset(n, 1);
    lr_store_init(n);
    lr_fiber_init(&n->fiber);
    g_queue_init(&n->deferred);
    g_queue_init(&n->appends);
    g_queue_init(&n->done);
    g_queue_init(&n->snap_puts);
    instance_open(n);
    return n;
}

static void *libraft_create_default(const ProtoInit *init)
{
    LibraftParams p;
    libraft_params_default(&p, init->config);
    return libraft_create(init, &p);
}

/* Abandons the library instance: a suspended call fails, raft_close completes every request, and
 * the instance's heap is freed (what was left is counted, see libraft_heap.c). */
static void instance_close(LRNode *n)
{
    ActionList scratch; /* what the abandoned instance still does goes nowhere */
    action_list_init(&scratch);
    ActionList *out = n->out;
    n->out = &scratch;
    while (n->fiber.suspended) {
        n->wait_result = EIO; /* the process is gone: the blocked call never returns success */
        n->wait_arrived = TRUE;
        lr_fiber_resume(&n->fiber);
    }
    n->closing = TRUE;
    raft_close(&n->raft, closed);
    g_assert(!n->closing); /* the adapter's close completes at once */
    lr_drain(n);
    lr_fsm_clear(n);
    lr_admin_clear(n);
    lr_leave(n);
    guint leaked, double_frees;
    lr_heap_free(n->heap, &leaked, &double_frees);
    if (leaked > 0)
        LMARK(n, INSTANCE_LEAKED);
    if (double_frees > 0)
        LMARK(n, INSTANCE_DOUBLE_FREE);
    n->heap = NULL;
    n->started = FALSE;
    action_list_clear(&scratch);
    n->out = out;
}

static void libraft_destroy(void *p)
{
    LRNode *n = p;
    lr_enter(n);
    instance_close(n);
    lr_image_clear(&n->image);
    lr_repair_clear(n);
    ProtoEvent *d;
    while ((d = g_queue_pop_head(&n->deferred)) != NULL)
        event_free(d);
    lr_fiber_clear(&n->fiber);
    lr_store_clear(n);
    g_free(n->snap_data);
    g_free(n);
}

/* After an I/O error reached the library, the host restarts it, as a supervised process that
 * exits on a storage error is restarted (and as PostgreSQL panics after a failed fsync): a
 * failed fsync says nothing about what it covered, and libraft 0.15 does not recover from a
 * failed leader append or a failed set_term (it stops committing, or stays unavailable). The new
 * instance loads the metadata last persisted, the snapshot last put, and the log as this
 * instance wrote it (every entry the library appended and did not truncate, whether or not its
 * fsync succeeded: some may be durable here and count toward a majority elsewhere, so none is
 * dropped), all written back and fsynced before it starts. */
static void host_restart(LRNode *n)
{
    n->stats.restarts++;
    LMARK(n, HOST_RESTART);
    instance_close(n);
    LRImage *im = &n->image;
    lr_image_clear(im);
    im->records = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    g_array_append_vals(im->records, n->log->data, n->log->len);
    im->meta_found = n->term != 0;
    im->meta = (RaftMeta){.seq = n->meta_seq,
                          .term = n->term,
                          .voted_for = n->vote == 0 ? ENDPOINT_NONE : (EndpointId)(n->vote - 1)};
    im->meta_slot = n->meta_slot;
    if (n->snap.index != 0) {
        im->snap_found = TRUE;
        im->snap = n->snap;
        im->snap_data = g_memdup2(n->snap_data, MAX(n->snap.data_len, 1));
    }
    n->stale_below = n->next_token + 1; /* completions of the old instance's requests */
    lr_adopt_image(n);
    instance_open(n);
    lr_enter(n);
    n->booting = TRUE;
    n->may_bootstrap = FALSE;
    lr_store_synced(n, FALSE); /* what the failed fsync covered: every segment fsynced again */
    lr_boot_rewrite(n, TRUE, TRUE);
    if (n->boot_waits == 0)
        lr_boot_start(n);
}

static NodeRole libraft_role(const void *p)
{
    const LRNode *n = p;
    return n->started ? role_of(raft_state((struct raft *)&n->raft)) : ROLE_NONE;
}

static void libraft_check(const void *p, gboolean thorough)
{
    const LRNode *n = p;
    if (!n->started)
        return;
    struct raft *r = (struct raft *)&n->raft;
    g_assert(r->last_applied <= r->commit_index || r->commit_index == 0);
    g_assert(n->inflight <= n->requests->len);
    g_assert(n->fiber.suspended || n->deferred.length == 0);
}

const LibraftStats *libraft_stats(const void *p)
{
    return &((const LRNode *)p)->stats;
}

int libraft_state(const void *p)
{
    const LRNode *n = p;
    return n->started ? raft_state((struct raft *)&n->raft) : RAFT_UNAVAILABLE;
}

uint64_t libraft_term(const void *p)
{
    return ((const LRNode *)p)->raft.current_term;
}

uint64_t libraft_commit(const void *p)
{
    return ((const LRNode *)p)->raft.commit_index;
}

uint64_t libraft_last_applied(const void *p)
{
    return ((const LRNode *)p)->raft.last_applied;
}

gboolean libraft_value(const void *p, KeyId key, Value *out)
{
    const LRNode *n = p;
    if (key >= n->init.keys || !n->present[key])
        return FALSE;
    *out = n->kv[key];
    return TRUE;
}

const ProtoOps libraft_ops = {
    .name = "libraft",
    .nfiles = 0, /* it names its files itself (libraft_store.c) */
    .create = libraft_create_default,
    .destroy = libraft_destroy,
    .step = libraft_step,
    .role = libraft_role,
    .check = libraft_check,
};
