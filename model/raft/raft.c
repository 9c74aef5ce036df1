/* model/raft/raft.c — a Raft server (n1..) as a sans-IO state machine.
 *
 * Persistence (files: raft.h): the current term, the vote and the vote floor are written and
 * fsynced, and the rename that installs them made durable, before
 * anything that depends on them leaves the node: every message to a peer passes a gate that
 * stays closed while a metadata write is in flight, so a vote is never granted, and a higher term
 * never acted on, before it is durable. Log entries are acked to the leader (and counted by the
 * leader for itself) only once an fsync covering them succeeded. A failed fsync proves nothing
 * about what it covered (Linux may have marked the pages clean), so the server rewrites those
 * entries from memory and fsyncs again.
 *
 * Commit (Raft §5.4.2): the leader advances its commit index only by counting replicas of an
 * entry of its current term; on election it appends a no-op so earlier entries commit through it
 * (Figure 8). Entries are applied in index order to a key-value state machine whose client
 * sessions deduplicate retried commands (each client's highest applied operation number, plus
 * explicit idempotency keys); the sessions are rebuilt by replaying the log after a restart.
 *
 * Clients: a write is answered after its entry committed and was applied on the leader. A
 * follower answers NotLeader{hint} or NoLeader; too many proposals in flight, Busy; a stopping
 * server, Shutdown. A leader that loses its term cannot know the fate of its proposals:
 * indeterminate. Reads use the read index: the leader confirms it is still leader with a
 * heartbeat round acked by a majority, waits to apply up to the commit index it saw, and answers.
 * A leader that has not heard from a majority for an election timeout steps down (check quorum).
 *
 * Recovery: the log is read back through the disk; a torn entry (incomplete: a crash cut its
 * write, so it was never acked) ends the log there. A corrupt or unreadable entry, lost metadata
 * or a lost disk means acked state may be gone: the server marks itself damaged, does not vote
 * or campaign, asks a majority of its peers for their terms and logs, raises its vote floor to
 * the highest term heard, and resumes voting only once its log is as up to date as the best one
 * reported (so that it can neither vote twice in a term nor help elect a leader missing a
 * committed entry).
 *
 * Scrub: a server reads its log back a slice at a time and writes again, from memory, any entry
 * whose block went bad (a latent sector error, silent corruption), and rewrites its metadata if
 * the current copy went bad, before a crash could make the damage matter.
 *
 * Invariants (check): log[i].index == i + 1; terms never decrease along the log;
 * applied <= commit <= last index; durable <= last index; a leader has voted for itself.
 */
#include "model/raft/raft.h"
#include "model/raft/raft_marks.h"
#include "model/seglog.h"
#include "sim/engine/chunks.h"

#include <string.h>

enum {
    TIMER_ELECTION = 0,
    TIMER_HEARTBEAT = 1,
    TIMER_BATCH = 2,
    TIMER_PROBE = 3,
    TIMER_SCRUB = 4,
    TIMER_TRANSFER = 5,
};

#define CATCH_UP_ROUNDS 10 /* a new server that needs more is too slow to join (§4.2.1) */

#define SCRUB_EVERY sim_range(300 * SIM_MS, 600 * SIM_MS)
#define SCRUB_BATCH 16

enum {
    TOKEN_META_WRITE = 1,
    TOKEN_META_FSYNC,
    TOKEN_LOG_WRITE,
    TOKEN_LOG_TRUNCATE,
    TOKEN_LOG_FSYNC,
    TOKEN_SCRUB_LOG,  /* | index << 8 */
    TOKEN_SCRUB_META, /* | slot << 8 */
    TOKEN_LOG_PART,   /* an fsync of a log sync group before its last one */
    TOKEN_STORE,      /* the log store's own opens and closes */
    TOKEN_META_TMP_FSYNC,
    TOKEN_SNAP_OPEN, /* the snapshot job's steps */
    TOKEN_SNAP_WRITE,
    TOKEN_SNAP_FSYNC,
    TOKEN_SNAP_CLOSE,
    TOKEN_SNAP_RENAME,
    TOKEN_SNAP_DIRSYNC,
};

/* What the snapshot file is busy with. */
typedef enum {
    SNAP_IDLE,
    SNAP_OWN,     /* writing a snapshot of its own state machine */
    SNAP_INSTALL, /* receiving (then writing) a leader's snapshot */
} SnapJob;

#define MAX_ENTRIES_PER_APPEND 64

/* A log entry as the in-memory log keeps it: its index is its place in the log. */
typedef struct {
    uint64_t term;
    Value value;
    IdemKey idem;
    KeyId key;
    EndpointId client;
    uint8_t kind; /* OpKind; OP_NOOP for the leader's election entry */
} LogEntry;

typedef struct {
    uint64_t index;
    uint64_t term;
    EndpointId client;
    uint32_t op;
    uint16_t attempt;
} Proposal;

typedef struct {
    EndpointId client;
    uint32_t op;
    uint16_t attempt;
    KeyId key;
    uint64_t read_index;
    uint64_t round;
} Read;

typedef struct {
    EndpointId to;
    uint64_t term;
    uint64_t match;
    uint64_t round;
} WaitingAck;

/* A configuration entry of the log. */
typedef struct {
    uint64_t index;
    RaftMembers m;
} ConfigAt;

/* The network may deliver a request twice, the copy late. A server handles each attempt of a
 * command once: a definite "no" must stay true (a late copy reaching it as leader must not make
 * the command happen), and a proposal's answer must not be contradicted by a late copy's "no". */
typedef struct {
    uint32_t op;
    uint64_t attempts; /* bit a: attempt a was handled */
} Handled;

typedef struct {
    ProtoInit init;
    guint n; /* servers, members or not: endpoints 0..n-1 */
    /* persistent state, as in memory */
    uint64_t term;
    EndpointId voted_for;
    uint64_t vote_floor;
    Chunks log; /* of LogEntry; log[i] is index i + 1 */
    /* metadata persistence */
    uint64_t meta_seq;
    gboolean meta_writing;
    gboolean meta_dirty;
    gboolean meta_write_failed;
    ActionList gated; /* peer messages (and failpoints) waiting for durable metadata */
    /* log persistence */
    uint64_t durable;
    gboolean fsync_inflight;
    gboolean fsync_wanted;
    gboolean log_broken; /* a log write failed: the next fsync proves nothing */
    SegLog store;        /* the log's segment files */
    gboolean read_only;  /* the file system turned read-only: stopped until the next boot */
    uint64_t fsync_cover;
    uint64_t trunc_low; /* lowest truncation since the in-flight fsync was issued */
    uint64_t fsyncs;    /* log fsyncs issued (the in-flight one is number fsyncs) */
    uint64_t fsync_ok;  /* the number of the last log fsync that succeeded */
    GArray *waiting;    /* of WaitingAck */
    /* volatile */
    NodeRole role;
    EndpointId leader;
    uint64_t commit;
    uint64_t applied;
    uint64_t votes;
    SimTime now;
    /* configurations (thesis ch. 4): the latest one in the log is in force */
    RaftMembers base;    /* in force before the log's first configuration entry */
    uint64_t base_index; /* the entry it came from (0: the bootstrap configuration) */
    GArray *configs;     /* of ConfigAt: the log's configuration entries, by index */
    uint32_t peers;      /* whom a leader replicates to: members and a server catching up, not it */
    gboolean won_alone;  /* it won its term as the only voter */
    /* a server catching up before it joins (thesis §4.2.1) */
    EndpointId staging; /* ENDPOINT_NONE: none */
    Proposal staging_op;
    uint64_t staging_round_end;
    SimTime staging_round_start;
    guint staging_rounds;
    /* leadership transfer (thesis §3.10) */
    EndpointId transfer_to; /* ENDPOINT_NONE: none in flight */
    uint64_t transfer_term; /* the term it was asked in */
    gboolean transfer_sent; /* TimeoutNow has left */
    Proposal transfer_op;
    gboolean transfer_election; /* its candidacy was asked for by TimeoutNow */
    /* pre-vote (thesis §9.6) and the leader lease of §4.2.3 */
    gboolean prevoting;   /* asking for pre-votes before a real election */
    uint64_t prevotes;    /* servers that granted this pre-vote round */
    SimTime heard_leader; /* when it last heard from the leader of its term */
    /* leader */
    uint64_t next[RAFT_MAX_NODES];
    uint64_t match[RAFT_MAX_NODES];
    uint64_t acked_round[RAFT_MAX_NODES];
    SimTime last_heard[RAFT_MAX_NODES];
    SimTime last_sent[RAFT_MAX_NODES]; /* leader: when it last sent each follower an append */
    uint64_t round;
    GArray *proposals;   /* of Proposal, by index */
    GArray *reads;       /* of Read */
    GArray *batch;       /* of RaftEntry, not yet appended */
    GArray *batch_props; /* of Proposal, parallel to batch */
    gboolean batch_timer;
    /* state machine */
    Value *kv;
    uint8_t *present;
    uint32_t *sessions; /* per client: highest applied operation number */
    Handled *handled;   /* per client: the attempts of its latest command this server handled */
    GHashTable *named;  /* explicit idempotency keys applied; lookups only */
    /* repair after data loss */
    gboolean damaged;
    uint64_t probe_from;
    uint64_t probe_term;
    RaftMembers probe_members; /* the newest configuration it has heard of, and its entry */
    uint64_t probe_members_index;
    uint64_t need_term;
    uint64_t need_index;
    gboolean probe_done;
    /* scrub */
    uint64_t scrub_cursor;
    uint64_t scrub_limit; /* entries durable when the current batch was issued */
    guint scrub_reading;
    /* snapshots and compaction (Raft §7) */
    uint64_t log_start;  /* the first index the log holds; those below are compacted */
    uint64_t start_term; /* the term of entry log_start - 1 */
    RaftSnapHead snap;   /* the durable snapshot (index 0: none) */
    GArray *snap_blocks; /* of DiskBlock: its blocks, header first, to send */
    SnapJob job;         /* a snapshot being written */
    RaftSnapHead pend;   /* ... its header */
    GArray *pend_blocks; /* ... its blocks so far */
    guint pend_ops;      /* ... its disk operations in flight */
    gboolean pend_failed;
    gboolean pend_reach;             /* ... (install) every block received, its fsync asked for */
    gboolean pend_fd;                /* ... RAFT_FD_SNAP is open (or being opened) */
    gboolean pend_renaming;          /* ... (install) its rename waits for the log fsync below */
    uint64_t pend_fsync;             /* ... the log fsync (by number) that must succeed first */
    uint32_t stale_low, stale_below; /* segments boot found below its snapshot, to unlink */
    EndpointId inst_from;            /* ... (install) the leader that sends it */
    uint32_t inst_total;             /* ... and its blocks in all */
    uint32_t snap_off[WORLD_MAX_NODES]; /* leader: the next block to send each follower */
    uint64_t snap_for[WORLD_MAX_NODES]; /* ... of which snapshot (its index) */
} Raft;

/* ---- log helpers ---- */

static inline uint64_t last_index(const Raft *r)
{
    return r->log.len;
}

static inline const LogEntry *log_at(const Raft *r, uint64_t index)
{
    g_assert(index >= r->log_start && index >= 1 && index <= r->log.len);
    return chunks_at(&r->log, (guint)(index - 1));
}

static inline RaftEntry entry_at(const Raft *r, uint64_t index)
{
    const LogEntry *l = log_at(r, index);
    return (RaftEntry){.term = l->term,
                       .index = index,
                       .kind = l->kind,
                       .client = l->client,
                       .key = l->key,
                       .value = l->value,
                       .idem = l->idem};
}

/* ---- configurations ---- */

static inline RaftMembers members(const Raft *r)
{
    return r->configs->len ? g_array_index(r->configs, ConfigAt, r->configs->len - 1).m : r->base;
}

/* The index of the latest configuration entry (0: the base configuration is in force). */
static inline uint64_t members_index(const Raft *r)
{
    return r->configs->len ? g_array_index(r->configs, ConfigAt, r->configs->len - 1).index : 0;
}

static inline gboolean is_voter(RaftMembers m, EndpointId n)
{
    return n < 32 && ((m.voters >> n) & 1);
}

static inline gboolean self_votes(const Raft *r)
{
    return is_voter(members(r), r->init.self);
}

static inline guint majority(const Raft *r)
{
    return raft_members_majority(members(r));
}

/* Whether it may stand for election: a voter of its latest configuration; or a server that
 * configuration removed while it is not known to be committed (the leader that removed itself
 * may be the only one holding it, and must be able to finish committing it: thesis §4.2.2, a
 * leader managing a cluster it is not part of, counting only that cluster's votes). */
static inline gboolean may_stand(const Raft *r)
{
    return self_votes(r) || members_index(r) > r->commit;
}

/* Voters of the latest configuration among `mask`. */
static inline guint count_voters(const Raft *r, uint64_t mask)
{
    return (guint)__builtin_popcountll(mask & members(r).voters);
}

static void members_changed(Raft *r)
{
    RaftMembers m = members(r);
    uint32_t staging = r->staging == ENDPOINT_NONE ? 0 : 1u << r->staging;
    r->peers = (m.voters | m.standbys | staging) & ~(1u << r->init.self);
}

/* Appends `e` to the in-memory log; a configuration entry takes effect now (thesis §4.1). */
static void log_push(Raft *r, const RaftEntry *e)
{
    g_assert(e->index == last_index(r) + 1);
    *(LogEntry *)chunks_push(&r->log) = (LogEntry){.term = e->term,
                                                   .value = e->value,
                                                   .idem = e->idem,
                                                   .key = e->key,
                                                   .client = e->client,
                                                   .kind = e->kind};
    if (G_UNLIKELY(raft_entry_is_config(e))) {
        ConfigAt c = {e->index, raft_members_unpack(e->value)};
        g_array_append_val(r->configs, c);
        members_changed(r);
    }
}

/* Cuts the in-memory log to `len` entries; configuration entries cut with it no longer count. */
static void log_cut(Raft *r, uint64_t len)
{
    g_assert(len + 1 >= r->log_start);
    chunks_set_size(&r->log, (guint)len);
    guint keep = r->configs->len;
    while (keep > 0 && g_array_index(r->configs, ConfigAt, keep - 1).index > len)
        keep--;
    if (keep != r->configs->len) {
        g_array_set_size(r->configs, keep);
        members_changed(r);
    }
}

/* The term of entry `index`: 0 for none; below the log's start, known only for the entry right
 * before it (which a snapshot, or the compaction, recorded). */
static inline uint64_t term_at(const Raft *r, uint64_t index)
{
    if (index == 0 || index > r->log.len)
        return 0;
    if (index < r->log_start)
        return index + 1 == r->log_start ? r->start_term : 0;
    return log_at(r, index)->term;
}

static inline uint64_t last_term(const Raft *r)
{
    return term_at(r, last_index(r));
}

/* Raft §5.4.1: a log is at least as up to date if its last term is higher, or equal with an
 * index at least as large. */
static gboolean up_to_date(uint64_t term_a, uint64_t index_a, uint64_t term_b, uint64_t index_b)
{
    return term_a > term_b || (term_a == term_b && index_a >= index_b);
}

/* ---- sending ---- */

/* Peer messages pass the gate: held while metadata is being made durable. */
static void send_peer(Raft *r, Msg *m, ActionList *out)
{
    if (r->meta_writing) {
        RMARK(r->init, GATE_HELD);
        action_list_push(&r->gated, ACT_SEND)->msg = m;
        return;
    }
    act_send(out, m);
}

static void gated_failpoint(Raft *r, FailpointId fp, ActionList *out)
{
    if (r->meta_writing)
        action_list_push(&r->gated, ACT_FAILPOINT)->sub = (uint16_t)fp;
    else
        act_failpoint(out, fp);
}

/* The metadata they depend on is durable: release the held messages, except those of an
 * earlier term (a vote whose term was overtaken may never have reached the disk). */
static uint64_t msg_term(const Msg *m)
{
    switch (m->type) {
    case MSG_R_VOTE:
        return raft_body(m)->rv.term;
    case MSG_R_VOTE_RESP:
        return raft_body(m)->rvr.term;
    case MSG_R_APPEND:
        return raft_body(m)->ra.term;
    case MSG_R_APPEND_RESP:
        return raft_body(m)->rar.term;
    case MSG_R_PROBE:
        return raft_body(m)->rp.term;
    case MSG_R_PROBE_RESP:
        return raft_body(m)->rpr.term;
    case MSG_R_SNAPSHOT:
        return raft_body(m)->rs.term;
    case MSG_R_SNAPSHOT_RESP:
        return raft_body(m)->rsr.term;
    case MSG_R_TIMEOUT_NOW:
        return raft_body(m)->rt.term;
    default:
        return 0;
    }
}

static void flush_gate(Raft *r, ActionList *out)
{
    gboolean dropped = FALSE;
    for (guint i = 0; i < r->gated.len; i++) {
        ProtoAction *a = &r->gated.items[i];
        if (a->kind == ACT_SEND) {
            dropped = msg_term(a->msg) < r->term ||
                      (a->msg->type == MSG_R_VOTE_RESP && raft_body(a->msg)->rvr.granted &&
                       !raft_body(a->msg)->rvr.prevote && r->voted_for != a->msg->to);
            if (dropped) {
                RMARK(r->init, GATE_DROPPED);
                msg_free(a->msg);
            } else
                act_send(out, a->msg);
            a->msg = NULL;
        } else if (!dropped) {
            act_failpoint(out, (FailpointId)a->sub); /* the failpoint of the message before */
        }
    }
    r->gated.len = 0;
}

/* The client's index, or G_MAXUINT for an endpoint that is not a client. */
static guint client_index(const Raft *r, EndpointId client)
{
    return client >= r->n && client - r->n < r->init.clients ? client - r->n : G_MAXUINT;
}

/* Whether this attempt was handled before, or the client has since sent a later command (a
 * late copy either way: its client runs one command at a time); notes it as handled. */
static gboolean handled_before(Raft *r, EndpointId client, uint32_t op, uint16_t attempt)
{
    guint c = client_index(r, client);
    if (c == G_MAXUINT || attempt >= 64)
        return FALSE;
    if (op < r->handled[c].op)
        return TRUE;
    if (r->handled[c].op != op)
        r->handled[c] = (Handled){op, 0};
    uint64_t bit = (uint64_t)1 << attempt;
    gboolean before = (r->handled[c].attempts & bit) != 0;
    r->handled[c].attempts |= bit;
    return before;
}

static void reply_client(Raft *r, EndpointId client, uint32_t op, uint16_t attempt, gboolean ok,
                         FailReason reason, gboolean definite, ActionList *out)
{
    Msg *m = msg_new(MSG_CLIENT_RESP, r->init.self, client);
    m->u.cresp = (ClientResp){.op = op,
                              .attempt = attempt,
                              .ok = (uint8_t)ok,
                              .definite = (uint8_t)definite,
                              .reason = (uint8_t)reason,
                              .hint = ENDPOINT_NONE};
    if (reason == FAIL_NOT_LEADER)
        m->u.cresp.hint = r->leader;
    act_send(out, m);
}

/* ---- metadata persistence ---- */

static void persist_meta(Raft *r, ActionList *out)
{
    if (r->meta_writing) {
        RMARK(r->init, META_DIRTY);
        r->meta_dirty = TRUE;
        return;
    }
    r->meta_writing = TRUE;
    r->meta_dirty = FALSE;
    r->meta_write_failed = FALSE;
    RaftMeta meta = {++r->meta_seq, r->term, r->vote_floor, r->voted_for, (uint8_t)r->damaged};
    DiskBlock b;
    raft_encode_meta(&b, &meta);
    /* Replaced whole, never in place: a crash leaves the old copy or the new one. The new one
     * is durable before its name is (the rename-before-fsync bug renames first), and the name
     * once the root is fsynced. */
    act_open(out, RAFT_FD_META_TMP, RAFT_META_TMP, FS_O_CREATE | FS_O_TRUNC, TOKEN_META_WRITE);
    act_write(out, RAFT_FD_META_TMP, 0, &b, TOKEN_META_WRITE);
    if (!BUG_ON(r->init.bugs, RAFT_BUG_RENAME_BEFORE_FSYNC)) {
        act_fsync(out, RAFT_FD_META_TMP, TOKEN_META_TMP_FSYNC);
        return; /* the rename waits for it (meta_tmp_synced) */
    }
    act_close(out, RAFT_FD_META_TMP, TOKEN_META_WRITE);
    act_rename(out, RAFT_META_TMP, RAFT_META_PATH, TOKEN_META_WRITE);
    act_fsync(out, RAFT_FD_ROOT, TOKEN_META_FSYNC);
}

/* meta.tmp's fsync came back. Only a copy that is durable may take the name: renaming one whose
 * fsync failed would install, after a power cut, what never reached the disk (an empty or torn
 * meta, and a server that must then count itself damaged). */
static void meta_tmp_synced(Raft *r, int result, ActionList *out)
{
    act_close(out, RAFT_FD_META_TMP, TOKEN_META_WRITE);
    if (result != 0 || r->meta_write_failed) {
        RMARK(r->init, META_REWRITE);
        r->meta_writing = FALSE;
        persist_meta(r, out); /* from memory again; the old meta keeps the name meanwhile */
        return;
    }
    act_rename(out, RAFT_META_TMP, RAFT_META_PATH, TOKEN_META_WRITE);
    act_fsync(out, RAFT_FD_ROOT, TOKEN_META_FSYNC);
}

static void meta_fsync_done(Raft *r, int result, ActionList *out)
{
    r->meta_writing = FALSE;
    if (result != 0 || r->meta_write_failed) {
        RMARK(r->init, META_REWRITE);
        persist_meta(r, out); /* rewrite from memory; fsyncing again would prove nothing */
        return;
    }
    if (r->meta_dirty) {
        persist_meta(r, out);
        return;
    }
    flush_gate(r, out);
}

/* ---- log persistence ---- */

static void request_fsync(Raft *r, ActionList *out)
{
    if (r->fsync_inflight) {
        r->fsync_wanted = TRUE;
        return;
    }
    r->fsync_inflight = TRUE;
    r->fsyncs++;
    r->fsync_wanted = FALSE;
    r->fsync_cover = last_index(r);
    r->trunc_low = UINT64_MAX;
    seglog_sync(&r->store, out, TOKEN_LOG_FSYNC, TOKEN_LOG_PART);
}

static void write_entry(Raft *r, uint64_t index, ActionList *out)
{
    DiskBlock b;
    RaftEntry e = entry_at(r, index);
    raft_encode_entry(&b, &e);
    if ((index - 1) % r->store.cfg.seg_blocks == 0 && index - 1 >= r->store.len)
        RMARK(r->init, SEGMENT_NEW);
    seglog_write(&r->store, out, (uint32_t)(index - 1), &b, TOKEN_LOG_WRITE);
}

static void log_append(Raft *r, const RaftEntry *e, ActionList *out)
{
    g_assert(e->index == last_index(r) + 1);
    log_push(r, e);
    write_entry(r, e->index, out);
}

/* Drops entries after `len` (in memory and on disk); never below the log's start (a snapshot
 * holds those: they are committed). */
static void log_truncate(Raft *r, uint64_t len, ActionList *out)
{
    len = MAX(len, r->log_start - 1);
    if (len >= last_index(r))
        return;
    log_cut(r, len);
    seglog_truncate(&r->store, out, (uint32_t)len, TOKEN_LOG_TRUNCATE);
    r->durable = MIN(r->durable, len);
    r->trunc_low = MIN(r->trunc_low, len);
    if (r->commit > len)
        r->commit = len; /* only a bug can get here; the oracles will say so */
}

static void advance_commit(Raft *r, ActionList *out);
static void flush_waiting(Raft *r, ActionList *out);
static void snap_rename(Raft *r, ActionList *out);
static void check_repaired(Raft *r, ActionList *out);

static void log_fsync_done(Raft *r, int result, ActionList *out)
{
    r->fsync_inflight = FALSE;
    if ((result != 0 || r->log_broken) && BUG_ON(r->init.bugs, RAFT_BUG_REOPEN_MISSES_ERROR)) {
        /* The bug (PostgreSQL's checkpointer before 2018): close the segments, open them again
         * and fsync through the new descriptors, which never hear of the error, so the 0 they
         * return is trusted for pages that may be gone. */
        RMARK(r->init, LOG_REOPEN);
        r->log_broken = FALSE;
        seglog_reopen(&r->store, out);
        request_fsync(r, out);
        return;
    }
    if (result != 0 || r->log_broken) {
        RMARK(r->init, LOG_FSYNC_FAILED);
        /* Whatever this fsync covered may be lost: write it all again, then fsync again (every
         * segment and directory: what this one covered is not known to be durable). */
        r->log_broken = FALSE;
        seglog_sync_failed(&r->store);
        for (uint64_t i = MAX(r->durable + 1, r->log_start); i <= last_index(r); i++)
            write_entry(r, i, out);
        request_fsync(r, out);
        return;
    }
    seglog_synced(&r->store, out);
    r->fsync_ok = r->fsyncs;
    if (G_UNLIKELY(r->stale_low < r->stale_below)) {
        r->store.first = r->stale_low; /* what boot left below the durable snapshot */
        seglog_unlink_below(&r->store, out, r->stale_below, TOKEN_STORE);
        r->stale_low = r->stale_below = 0;
    }
    if (r->pend_renaming && r->fsync_ok >= r->pend_fsync)
        snap_rename(r, out);
    uint64_t covered = MIN(r->fsync_cover, r->trunc_low);
    covered = MIN(covered, last_index(r));
    if (covered > r->durable)
        r->durable = covered;
    if (r->fsync_wanted || r->durable < last_index(r)) {
        RMARK(r->init, LOG_FSYNC_AGAIN);
        request_fsync(r, out);
    }
    if (r->role == ROLE_LEADER)
        advance_commit(r, out);
    flush_waiting(r, out);
}

/* ---- the state machine ---- */

/* Applies one entry; returns FALSE when a session shows it was applied before. */
static gboolean sm_apply(Raft *r, const RaftEntry *e)
{
    if (e->kind == OP_NOOP)
        return TRUE;
    /* Client sessions: a retried command (same idempotency key) is applied once. */
    if (!BUG_ON(r->init.bugs, RAFT_BUG_NO_SESSION)) {
        if (e->idem >> 63) {
            if (g_hash_table_contains(r->named, &e->idem))
                return FALSE;
            IdemKey *k = g_new(IdemKey, 1);
            *k = e->idem;
            g_hash_table_add(r->named, k);
        } else {
            guint client = (guint)(e->idem >> 32) - 1;
            uint32_t seq = (uint32_t)e->idem;
            g_assert(client < r->init.clients);
            if (seq <= r->sessions[client])
                return FALSE;
            r->sessions[client] = seq;
        }
    }
    if (e->key >= r->init.keys)
        return TRUE;
    switch (e->kind) {
    case OP_PUT:
        r->kv[e->key] = e->value;
        r->present[e->key] = 1;
        break;
    case OP_ADD:
        r->kv[e->key] = (r->present[e->key] ? r->kv[e->key] : 0) + e->value;
        r->present[e->key] = 1;
        break;
    case OP_DELETE:
        r->kv[e->key] = 0;
        r->present[e->key] = 0;
        break;
    default:
        break;
    }
    return TRUE;
}

static void serve_reads(Raft *r, ActionList *out);
static void apply_committed(Raft *r, ActionList *out);

/* ---- snapshots and compaction (Raft §7) ----
 *
 * A snapshot holds the state machine (its sessions included) as of an applied index. It is
 * written as RAFT_SNAP_TMP, fsynced, renamed over RAFT_SNAP_PATH and made durable by an fsync of
 * the root directory; only then is the log below it (but for `snapshot.trailing` entries)
 * compacted: dropped from memory, and the log segments wholly below it unlinked. A follower whose
 * next entry a leader compacted receives the leader's snapshot in chunks, writes it the same way,
 * and answers only once it is durable; it then replaces its state machine and its log (keeping the
 * entries after the snapshot when its log holds the snapshot's last entry). One snapshot job at a
 * time. */

static gint cmp_idem(gconstpointer a, gconstpointer b)
{
    IdemKey x = *(const IdemKey *)a, y = *(const IdemKey *)b;
    return x < y ? -1 : x > y;
}

/* The configuration in force at `index` (which the log still holds, or the one before). */
static RaftMembers members_at(const Raft *r, uint64_t index, uint64_t *at)
{
    for (guint k = r->configs->len; k > 0; k--) {
        const ConfigAt *c = &g_array_index(r->configs, ConfigAt, k - 1);
        if (c->index <= index) {
            *at = c->index;
            return c->m;
        }
    }
    *at = r->base_index;
    return r->base;
}

/* The state machine as it stands, as a snapshot of entry (index, term): blocks, header first. */
static void snap_capture(Raft *r, uint64_t index, uint64_t term, GArray *blocks, RaftSnapHead *h)
{
    GArray *named = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, r->named);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_array_append_val(named, *(IdemKey *)key);
    g_array_sort(named, cmp_idem); /* the hash table's order must not reach the disk */
    RaftSnapState st = {r->init.keys,
                        r->kv,
                        r->present,
                        r->init.clients,
                        r->sessions,
                        named->len,
                        (const IdemKey *)(const void *)named->data};
    uint64_t at;
    RaftMembers m = members_at(r, index, &at);
    *h = (RaftSnapHead){
        .index = index, .term = term, .members = raft_members_pack(m), .members_index = at};
    g_array_set_size(blocks, 1); /* the header, sealed once the data's sum is known */
    raft_encode_snap_state(&st, blocks, h);
    raft_encode_snap_head(&g_array_index(blocks, DiskBlock, 0), h);
    g_array_free(named, TRUE);
}

/* Drops the log below `upto` but its trailing entries: from memory at once, from the disk by
 * unlinking the segments wholly below (durable with the log's next sync). Configurations below
 * fold into the base. */
static void compact(Raft *r, uint64_t upto, ActionList *out)
{
    guint trailing = raft_config(r->init.config)->snapshot_trailing;
    uint64_t start = upto > trailing ? upto - trailing + 1 : 1;
    start = MIN(start, last_index(r) + 1);
    if (start <= r->log_start)
        return;
    RMARK(r->init, SNAPSHOT_COMPACT);
    r->start_term = term_at(r, start - 1);
    guint fold = 0;
    for (; fold < r->configs->len && g_array_index(r->configs, ConfigAt, fold).index < start;
         fold++) {
        r->base = g_array_index(r->configs, ConfigAt, fold).m;
        r->base_index = g_array_index(r->configs, ConfigAt, fold).index;
    }
    g_array_remove_range(r->configs, 0, fold);
    r->log_start = start;
    r->durable = MAX(r->durable, start - 1); /* the durable snapshot holds what went */
    chunks_release_below(&r->log, (guint)(start - 1));
    seglog_unlink_below(&r->store, out, (uint32_t)(start - 1) / r->store.cfg.seg_blocks,
                        TOKEN_STORE);
}

/* Writes the pending snapshot to the temporary file and fsyncs it (the job goes on in
 * snap_step as each operation completes). */
static void snap_write(Raft *r, guint from, ActionList *out)
{
    for (guint i = from; i < r->pend_blocks->len; i++) {
        act_write(out, RAFT_FD_SNAP, i, &g_array_index(r->pend_blocks, DiskBlock, i),
                  TOKEN_SNAP_WRITE);
        r->pend_ops++;
    }
}

static void snap_fsync(Raft *r, ActionList *out)
{
    act_fsync(out, RAFT_FD_SNAP, TOKEN_SNAP_FSYNC);
    r->pend_ops++;
}

static void snap_open(Raft *r, ActionList *out)
{
    g_assert(!r->pend_fd && r->pend_ops == 0);
    act_open(out, RAFT_FD_SNAP, RAFT_SNAP_TMP, FS_O_CREATE | FS_O_TRUNC, TOKEN_SNAP_OPEN);
    r->pend_fd = TRUE;
    r->pend_ops++;
    r->pend_failed = FALSE;
    r->pend_reach = FALSE;
    r->pend_renaming = FALSE;
    r->pend_fsync = 0;
    g_array_set_size(r->pend_blocks, 0);
}

static inline void apply_through(Raft *r, uint64_t upto, ActionList *out);

/* A snapshot of its own state machine, at the applied index. The snapshot-includes-uncommitted
 * variant first applies the whole log, entries not yet committed included. */
static void snap_take(Raft *r, ActionList *out)
{
    if (BUG_ON(r->init.bugs, RAFT_BUG_SNAPSHOT_INCLUDES_UNCOMMITTED))
        apply_through(r, last_index(r), out); /* the bug */
    uint64_t index = r->applied, term = term_at(r, index);
    RMARK(r->init, SNAPSHOT_TAKE);
    r->job = SNAP_OWN;
    snap_open(r, out);
    snap_capture(r, index, term, r->pend_blocks, &r->pend);
    snap_write(r, 0, out);
    snap_fsync(r, out);
    /* The compact-before-snapshot-durable variant drops the log (unlinked, and synced) before
     * the snapshot that holds it has reached the disk. */
    if (BUG_ON(r->init.bugs, RAFT_BUG_COMPACT_BEFORE_SNAPSHOT_DURABLE)) {
        compact(r, index, out);
        request_fsync(r, out);
    }
}

static void maybe_snapshot(Raft *r, ActionList *out)
{
    guint every = raft_config(r->init.config)->snapshot_every;
    if (every > 0 && r->job == SNAP_IDLE && !r->damaged && r->applied >= r->snap.index + every)
        snap_take(r, out);
}

static void snap_answer(Raft *r, EndpointId to, uint64_t index, uint32_t next, gboolean done,
                        ActionList *out)
{
    Msg *m = msg_new(MSG_R_SNAPSHOT_RESP, r->init.self, to);
    raft_body(m)->rsr =
        (RSnapshotResp){.term = r->term, .index = index, .next = next, .done = (uint8_t)done};
    send_peer(r, m, out);
}

static void install(Raft *r, ActionList *out);

/* The snapshot is durable under its name: it is the node's snapshot now. */
static void snap_durable(Raft *r, ActionList *out)
{
    GArray *old = r->snap_blocks;
    r->snap_blocks = r->pend_blocks;
    r->pend_blocks = old;
    r->snap = r->pend;
    SnapJob job = r->job;
    r->job = SNAP_IDLE;
    if (job == SNAP_INSTALL) {
        install(r, out);
        return;
    }
    act_failpoint(out, RAFT_FP_SNAPSHOT_WRITTEN);
    if (!BUG_ON(r->init.bugs, RAFT_BUG_COMPACT_BEFORE_SNAPSHOT_DURABLE))
        compact(r, r->snap.index, out);
}

static void snap_close(Raft *r, ActionList *out)
{
    act_close(out, RAFT_FD_SNAP, TOKEN_SNAP_CLOSE);
    r->pend_fd = FALSE;
    r->pend_ops++;
}

/* The snapshot written and fsynced under its temporary name takes the real one. A follower's
 * log that disagrees with the snapshot's last entry holds nothing committed from there on (it
 * conflicts with a committed entry): that suffix is cut, and the cut made durable, before the
 * rename, so that no restart can find the snapshot followed by entries that do not follow it. */
static void snap_rename(Raft *r, ActionList *out)
{
    r->pend_renaming = FALSE;
    if (r->job == SNAP_INSTALL && r->pend.index <= last_index(r) && r->pend.index >= r->log_start &&
        term_at(r, r->pend.index) != r->pend.term && r->pend.index > r->commit) {
        RMARK(r->init, SNAPSHOT_INSTALL_CUT);
        log_truncate(r, r->pend.index - 1, out);
        r->pend_fsync = r->fsyncs + 1; /* the next fsync issued follows the truncation */
        request_fsync(r, out);
    }
    if (r->job == SNAP_INSTALL && r->fsync_ok < r->pend_fsync) {
        r->pend_renaming = TRUE; /* log_fsync_done comes back here */
        return;
    }
    act_rename(out, RAFT_SNAP_TMP, RAFT_SNAP_PATH, TOKEN_SNAP_RENAME);
    act_fsync(out, RAFT_FD_ROOT, TOKEN_SNAP_DIRSYNC);
    r->pend_ops += 2;
}

/* Operations of the snapshot job are all done: it failed (the file is closed, the job dropped:
 * the log is not compacted; a later snapshot tries again), waits for chunks or the log, or is
 * durable. */
static void snap_settle(Raft *r, ActionList *out)
{
    if (r->pend_failed) {
        if (r->pend_fd) {
            snap_close(r, out);
            return;
        }
        RMARK(r->init, SNAPSHOT_FAILED);
        r->job = SNAP_IDLE;
        r->pend_renaming = FALSE;
        return;
    }
    if (r->pend_renaming || (r->job == SNAP_INSTALL && !r->pend_reach))
        return; /* waiting for the log's fsync, or the leader's next chunk */
    snap_durable(r, out);
}

/* One operation of the snapshot job completed. */
static void snap_step(Raft *r, uint64_t token, int result, ActionList *out)
{
    g_assert(r->pend_ops > 0);
    r->pend_ops--;
    if (result != 0 && token != TOKEN_SNAP_CLOSE)
        r->pend_failed = TRUE;
    if (token == TOKEN_SNAP_OPEN && result != 0)
        r->pend_fd = FALSE;
    if (token == TOKEN_SNAP_FSYNC && r->pend_fd) {
        snap_close(r, out);
        if (!r->pend_failed)
            snap_rename(r, out);
    }
    if (r->pend_ops == 0)
        snap_settle(r, out);
}

/* An install that has not received every chunk is given up (its leader lost office, another
 * leader sends something else, or this server stands for election). */
static void snap_abandon(Raft *r, ActionList *out)
{
    if (r->job != SNAP_INSTALL || r->pend_reach || r->pend_failed)
        return;
    r->pend_failed = TRUE;
    if (r->pend_ops == 0)
        snap_settle(r, out);
}

/* Replaces the state machine and the log with the durable snapshot just received (§7): a log
 * that holds the snapshot's last entry keeps what follows it; any other is dropped whole (its
 * entries from the snapshot's index on were cut before the rename: snap_rename). */
static void install(Raft *r, ActionList *out)
{
    const RaftSnapHead *h = &r->snap;
    EndpointId leader = r->inst_from;
    if (h->index > r->applied) {
        gboolean decoded =
            raft_decode_snap_state(&g_array_index(r->snap_blocks, DiskBlock, 1), h, r->init.keys,
                                   r->kv, r->present, r->init.clients, r->sessions, r->named);
        g_assert(decoded); /* checked as the chunks came */
        gboolean keep = h->index <= last_index(r) && h->index >= r->log_start &&
                        term_at(r, h->index) == h->term;
        if (keep) {
            RMARK(r->init, SNAPSHOT_INSTALL_KEEP);
            compact(r, h->index, out);
        } else {
            RMARK(r->init, SNAPSHOT_INSTALL_DISCARD);
            if (last_index(r) > h->index)
                log_cut(r, MAX(h->index, r->log_start - 1)); /* only after a bug */
            /* The log becomes empty after the snapshot; its segments below are unlinked. */
            chunks_set_size(&r->log, (guint)h->index);
            chunks_release_below(&r->log, (guint)h->index);
            r->log_start = h->index + 1;
            r->start_term = h->term;
            g_array_set_size(r->configs, 0);
            r->base = raft_members_unpack(h->members);
            r->base_index = h->members_index;
            members_changed(r);
            r->durable = MAX(r->durable, h->index);
            r->fsync_cover = MAX(r->fsync_cover, h->index);
            seglog_unlink_below(&r->store, out, (uint32_t)h->index / r->store.cfg.seg_blocks,
                                TOKEN_STORE);
        }
        r->applied = h->index;
        r->commit = MAX(r->commit, h->index);
    }
    act_failpoint(out, RAFT_FP_SNAPSHOT_INSTALLED);
    if (leader != ENDPOINT_NONE)
        snap_answer(r, leader, h->index, 0, TRUE, out);
    apply_committed(r, out);
    check_repaired(r, out);
}

static inline void heard_leader_of(Raft *r, const Msg *m, uint64_t term, ActionList *out);

/* A chunk of a leader's snapshot. */
static void handle_snapshot(Raft *r, const Msg *m, ActionList *out)
{
    const RSnapshot *s = &raft_body(m)->rs;
    if (s->term < r->term) {
        snap_answer(r, m->from, s->index, 0, FALSE, out);
        return;
    }
    heard_leader_of(r, m, s->term, out);
    if (s->index <= r->commit) {
        snap_answer(r, m->from, s->index, 0, TRUE, out); /* it holds all of it already */
        return;
    }
    gboolean same = r->job == SNAP_INSTALL && !r->pend_failed && r->pend.index == s->index &&
                    r->pend.term == s->snap_term;
    if (!same)
        snap_abandon(r, out); /* another snapshot: the one it was receiving is not coming */
    if (!same && s->offset == 0 && r->job == SNAP_IDLE && s->total >= 1) {
        RMARK(r->init, SNAPSHOT_INSTALL_START);
        r->job = SNAP_INSTALL;
        snap_open(r, out);
        r->pend = (RaftSnapHead){.index = s->index, .term = s->snap_term};
        r->inst_total = s->total;
        same = TRUE;
    }
    r->inst_from = m->from;
    uint32_t have = r->pend_blocks->len;
    if (same && s->offset == have && !r->pend_reach) {
        const DiskBlock *blocks = m->extra;
        uint32_t n = MIN(m->extra_count, r->inst_total - have);
        for (uint32_t i = 0; i < n; i++)
            g_array_append_val(r->pend_blocks, blocks[i]);
        snap_write(r, have, out);
        have = r->pend_blocks->len;
        if (have >= r->inst_total) {
            RaftSnapHead h;
            gboolean whole = raft_decode_snap_head(&g_array_index(r->pend_blocks, DiskBlock, 0),
                                                   &h) == BLOCK_OK &&
                             h.index == s->index && h.blocks + 1 == have;
            if (!whole) {
                r->pend_failed = TRUE; /* not what it said it was: drop it */
                if (r->pend_ops == 0)
                    snap_settle(r, out);
            } else {
                r->pend = h;
                r->pend_reach = TRUE;
                snap_fsync(r, out);
            }
        }
    }
    if (!r->pend_reach)
        snap_answer(r, m->from, s->index, same ? have : 0, FALSE, out);
}

/* Applies the entries up to `upto`; a leader answers the proposals up to each. */
static inline void apply_through(Raft *r, uint64_t upto, ActionList *out)
{
    while (r->applied < upto) {
        r->applied++;
        RaftEntry entry = entry_at(r, r->applied);
        const RaftEntry *e = &entry;
        gboolean effect = sm_apply(r, e);
        if (!effect)
            RMARK(r->init, APPLY_DEDUP);
        act_note(out, NOTE_APPLY, e->index, e->term, e->idem, effect);
        if (r->role != ROLE_LEADER)
            continue;
        while (r->proposals->len > 0) {
            Proposal *p = &g_array_index(r->proposals, Proposal, 0);
            if (p->index > r->applied)
                break;
            gboolean mine = p->index == r->applied && p->term == e->term;
            reply_client(r, p->client, p->op, p->attempt, mine, FAIL_LOST_LEADERSHIP, FALSE, out);
            if (mine) {
                RMARK(r->init, REPLY_OK);
                act_failpoint(out, RAFT_FP_REPLIED);
            } else {
                RMARK(r->init, REPLY_SUPERSEDED);
            }
            g_array_remove_index(r->proposals, 0);
        }
    }
}

static void apply_committed(Raft *r, ActionList *out)
{
    apply_through(r, r->commit, out);
    maybe_snapshot(r, out);
    serve_reads(r, out);
}

/* ---- roles ---- */

static void reset_election_timer(Raft *r, ActionList *out)
{
    act_timer(out, TIMER_ELECTION,
              sim_rng_duration(r->init.rng, raft_config(r->init.config)->election_timeout), 0);
}

/* Everything a leader was doing for clients ends without an answer it could stand by. */
static void drop_leadership(Raft *r, ActionList *out)
{
    if (r->proposals->len > 0)
        RMARK(r->init, DROP_PROPOSALS);
    if (r->batch_props->len > 0)
        RMARK(r->init, DROP_BATCH);
    if (r->reads->len > 0)
        RMARK(r->init, DROP_READS);
    for (guint i = 0; i < r->proposals->len; i++) {
        Proposal *p = &g_array_index(r->proposals, Proposal, i);
        reply_client(r, p->client, p->op, p->attempt, FALSE, FAIL_LOST_LEADERSHIP, FALSE, out);
    }
    g_array_set_size(r->proposals, 0);
    for (guint i = 0; i < r->batch_props->len; i++) {
        Proposal *p = &g_array_index(r->batch_props, Proposal, i);
        /* Never appended: definitely not applied. */
        reply_client(r, p->client, p->op, p->attempt, FALSE, FAIL_NOT_LEADER, TRUE, out);
    }
    g_array_set_size(r->batch, 0);
    g_array_set_size(r->batch_props, 0);
    for (guint i = 0; i < r->reads->len; i++) {
        Read *q = &g_array_index(r->reads, Read, i);
        reply_client(r, q->client, q->op, q->attempt, FALSE, FAIL_LOST_LEADERSHIP, FALSE, out);
    }
    g_array_set_size(r->reads, 0);
    if (r->staging != ENDPOINT_NONE) {
        /* Its configuration entry was never appended. */
        Proposal *p = &r->staging_op;
        reply_client(r, p->client, p->op, p->attempt, FALSE, FAIL_NOT_LEADER, TRUE, out);
        r->staging = ENDPOINT_NONE;
        members_changed(r);
    }
    act_cancel(out, TIMER_HEARTBEAT);
    act_cancel(out, TIMER_BATCH);
    r->batch_timer = FALSE;
}

/* Steps down (to a higher term, or as a candidate that heard of a leader). The election timer
 * keeps running: Raft §5.2 restarts it only on hearing from the current leader or granting a
 * vote, so that a server that keeps calling elections it cannot win (its log is behind) does not
 * hold everyone else back from calling one. A leader has none running, and starts one. */
static void become_follower(Raft *r, uint64_t term, ActionList *out)
{
    gboolean was_leader = r->role == ROLE_LEADER;
    if (was_leader) {
        RMARK(r->init, STEP_DOWN_LEADER);
        drop_leadership(r, out);
    } else if (r->role == ROLE_CANDIDATE) {
        RMARK(r->init, STEP_DOWN_CANDIDATE);
    }
    gboolean changed = r->role != ROLE_FOLLOWER;
    if (term > r->term) {
        r->term = term;
        r->voted_for = ENDPOINT_NONE;
        r->leader = ENDPOINT_NONE;
        persist_meta(r, out);
        changed = TRUE;
    }
    r->role = ROLE_FOLLOWER;
    r->prevoting = FALSE;
    if (changed)
        act_note(out, NOTE_ROLE, ROLE_FOLLOWER, r->term, 0, 0);
    if (was_leader)
        reset_election_timer(r, out);
}

static void broadcast(Raft *r, ActionList *out);

static void become_leader(Raft *r, ActionList *out)
{
    r->role = ROLE_LEADER;
    r->prevoting = FALSE;
    r->leader = r->init.self;
    act_cancel(out, TIMER_ELECTION);
    act_note(out, NOTE_ROLE, ROLE_LEADER, r->term, 0, 0);
    RMARK(r->init, ELECTION_WON);
    act_failpoint(out, RAFT_FP_ELECTED);
    members_changed(r);
    for (EndpointId i = 0; i < r->n; i++) {
        r->next[i] = last_index(r) + 1;
        r->match[i] = 0;
        r->acked_round[i] = 0;
        r->last_heard[i] = r->now;
        r->last_sent[i] = SIM_TIME_NEVER;
    }
    /* Raft §8: a no-op of the new term, so earlier entries commit through it (Figure 8). The
     * commit-old-term variant is the leader of Figure 8, which commits earlier entries by counting
     * replicas and so has no use for the no-op. */
    if (!BUG_ON(r->init.bugs, RAFT_BUG_COMMIT_OLD_TERM)) {
        RaftEntry noop = {.term = r->term,
                          .index = last_index(r) + 1,
                          .kind = OP_NOOP,
                          .client = ENDPOINT_NONE,
                          .key = KEY_NONE};
        log_append(r, &noop, out);
        request_fsync(r, out);
    }
    broadcast(r, out);
    act_timer(out, TIMER_HEARTBEAT, raft_config(r->init.config)->heartbeat, 0);
}

/* Stands for the next term, if it may (may_stand: thesis §4.1, §4.2.2); it asks the voters
 * of its latest configuration, and only their votes count. */
static void become_candidate(Raft *r, ActionList *out)
{
    reset_election_timer(r, out);
    gboolean transfer = r->transfer_election;
    r->transfer_election = FALSE;
    if (r->damaged) {
        RMARK(r->init, ELECTION_DAMAGED);
        return; /* its log may lack committed entries: it must not lead */
    }
    if (!may_stand(r)) {
        RMARK(r->init, ELECTION_NOT_MEMBER);
        return; /* no voter of its configuration */
    }
    RMARK(r->init, ELECTION_START);
    if (r->role == ROLE_LEADER)
        drop_leadership(r, out);
    r->prevoting = FALSE;
    r->role = ROLE_CANDIDATE;
    r->term++;
    r->voted_for = r->init.self;
    r->leader = ENDPOINT_NONE;
    r->votes = (uint64_t)1 << r->init.self;
    persist_meta(r, out);
    act_note(out, NOTE_ROLE, ROLE_CANDIDATE, r->term, 0, 0);
    if (majority(r) == 1 && self_votes(r)) {
        r->won_alone = TRUE;
        become_leader(r, out);
        return;
    }
    r->won_alone = FALSE;
    for (uint32_t v = members(r).voters & ~(1u << r->init.self); v; v &= v - 1) {
        Msg *m = msg_new(MSG_R_VOTE, r->init.self, (EndpointId)__builtin_ctz(v));
        raft_body(m)->rv = (RVote){.term = r->term,
                                   .last_index = last_index(r),
                                   .last_term = last_term(r),
                                   .transfer = (uint8_t)transfer};
        send_peer(r, m, out);
    }
}

/* Whether the server heard from the leader of its term within the shortest election timeout
 * (thesis §4.2.3); a leader hears itself. While it does, it ignores vote requests and refuses
 * pre-votes, so that a server that was partitioned away, or removed without knowing it, cannot
 * depose a leader that a majority still follows. */
static gboolean in_lease(const Raft *r)
{
    if (BUG_ON(r->init.bugs, RAFT_BUG_NO_PREVOTE))
        return FALSE;
    if (r->role == ROLE_LEADER)
        return TRUE;
    return r->leader != ENDPOINT_NONE &&
           r->now - r->heard_leader < raft_config(r->init.config)->election_timeout.lo;
}

/* The election timer fired: a pre-vote round first (thesis §9.6). The server asks whether it
 * could win an election in the next term, without raising its own term or anyone's; only when
 * a majority says yes does it start a real election. A server cut off from the majority so
 * never raises its term, and cannot force a higher term on the cluster when it comes back. */
static void start_election(Raft *r, ActionList *out)
{
    reset_election_timer(r, out);
    if (r->damaged) {
        RMARK(r->init, ELECTION_DAMAGED);
        return;
    }
    if (!may_stand(r)) {
        RMARK(r->init, ELECTION_NOT_MEMBER);
        return;
    }
    if (BUG_ON(r->init.bugs, RAFT_BUG_NO_PREVOTE) || (majority(r) == 1 && self_votes(r))) {
        become_candidate(r, out);
        return;
    }
    RMARK(r->init, PREVOTE_START);
    r->prevoting = TRUE;
    r->prevotes = (uint64_t)1 << r->init.self;
    for (uint32_t v = members(r).voters & ~(1u << r->init.self); v; v &= v - 1) {
        Msg *m = msg_new(MSG_R_VOTE, r->init.self, (EndpointId)__builtin_ctz(v));
        raft_body(m)->rv = (RVote){.term = r->term + 1,
                                   .last_index = last_index(r),
                                   .last_term = last_term(r),
                                   .prevote = 1};
        send_peer(r, m, out);
    }
}

/* ---- replication (leader) ---- */

/* The next chunk of the durable snapshot to a follower whose next entry was compacted. */
static void send_snapshot(Raft *r, EndpointId to, ActionList *out)
{
    if (r->snap.index == 0)
        return; /* nothing durable to send yet */
    if (r->snap_for[to] != r->snap.index || r->snap_off[to] >= r->snap_blocks->len) {
        r->snap_for[to] = r->snap.index;
        r->snap_off[to] = 0;
    }
    RMARK(r->init, SNAPSHOT_SEND);
    uint32_t off = r->snap_off[to], total = r->snap_blocks->len;
    uint32_t n = MIN(total - off, MAX(1u, raft_config(r->init.config)->snapshot_chunk));
    Msg *m = msg_new(MSG_R_SNAPSHOT, r->init.self, to);
    raft_body(m)->rs = (RSnapshot){.term = r->term,
                                   .index = r->snap.index,
                                   .snap_term = r->snap.term,
                                   .offset = off,
                                   .total = total};
    msg_take_extra(m,
                   g_memdup2(&g_array_index(r->snap_blocks, DiskBlock, off), n * sizeof(DiskBlock)),
                   n, sizeof(DiskBlock));
    r->last_sent[to] = r->now;
    send_peer(r, m, out);
}

static void send_append(Raft *r, EndpointId to, ActionList *out)
{
    uint64_t next = r->next[to];
    if (next < 1)
        next = 1;
    if (next > last_index(r) + 1)
        next = last_index(r) + 1;
    if (next < r->log_start) {
        send_snapshot(r, to, out); /* the entries it needs are compacted */
        return;
    }
    uint64_t prev = next - 1;
    uint64_t n = MIN(last_index(r) - prev, (uint64_t)MAX_ENTRIES_PER_APPEND);
    Msg *m = msg_new(MSG_R_APPEND, r->init.self, to);
    raft_body(m)->ra = (RAppend){.term = r->term,
                                 .prev_index = prev,
                                 .prev_term = term_at(r, prev),
                                 .commit = r->commit,
                                 .round = r->round};
    if (n > 0) {
        RaftEntry *entries = g_new(RaftEntry, n);
        for (uint64_t k = 0; k < n; k++)
            entries[k] = entry_at(r, next + k);
        msg_take_extra(m, entries, (uint32_t)n, sizeof(RaftEntry));
    }
    r->next[to] = next + n; /* optimistic: a rejection moves it back */
    r->last_sent[to] = r->now;
    send_peer(r, m, out);
}

static void broadcast(Raft *r, ActionList *out)
{
    for (uint32_t p = r->peers; p; p &= p - 1)
        send_append(r, (EndpointId)__builtin_ctz(p), out);
}

/* The heartbeat round: an append to every follower not sent one within `recent` (appends
 * flowing with client commands already keep its election timer quiet). A follower then waits at
 * most heartbeat + recent between appends, and their arrivals spread by at most the delay_spread
 * setting (by default the spread of network latency): `recent` keeps that sum clear of the
 * shortest election timeout, by as much again (and is 0, no skipping, when there is no room). A
 * leader whose clock stepped back sends to everyone. */
static void heartbeat_round(Raft *r, ActionList *out)
{
    const RaftConfig *cfg = raft_config(r->init.config);
    SimTime spread = cfg->delay_spread;
    SimTime recent =
        MAX(0, MIN(cfg->heartbeat, (cfg->election_timeout.lo - cfg->heartbeat - spread) / 2));
    for (uint32_t p = r->peers; p; p &= p - 1) {
        EndpointId i = (EndpointId)__builtin_ctz(p);
        SimTime sent = r->last_sent[i];
        if (sent == SIM_TIME_NEVER || r->now < sent || r->now - sent >= recent)
            send_append(r, i, out);
        else
            RMARK(r->init, HEARTBEAT_SKIP);
    }
}

/* The highest index durable on a majority of the voters of `m`; the leader's own copy counts
 * only when it votes in m, and once it is fsynced. */
static uint64_t majority_match(const Raft *r, RaftMembers m)
{
    uint64_t matches[32];
    guint k = 0;
    for (uint32_t v = m.voters; v; v &= v - 1) {
        EndpointId i = (EndpointId)__builtin_ctz(v);
        matches[k++] = i == r->init.self ? r->durable : r->match[i];
    }
    guint need = k / 2 + 1;
    if (k == 0)
        return 0;
    /* The need-th highest match is durable on a majority. */
    for (guint i = 0; i < need; i++) {
        guint best = i;
        for (guint j = i + 1; j < k; j++)
            if (matches[j] > matches[best])
                best = j;
        uint64_t t = matches[i];
        matches[i] = matches[best];
        matches[best] = t;
    }
    return matches[need - 1];
}

/* The highest index a majority of the configuration in force at it holds: each configuration
 * entry rules the indexes from itself to the next one (a configuration takes effect when
 * appended, thesis §4.1), the base configuration those before the first. */
static uint64_t commit_candidate(const Raft *r)
{
    uint64_t end = last_index(r);
    for (guint k = r->configs->len;; k--) {
        const ConfigAt *c = k > 0 ? &g_array_index(r->configs, ConfigAt, k - 1) : NULL;
        uint64_t from = c ? c->index : 1;
        uint64_t n = MIN(majority_match(r, c ? c->m : r->base), end);
        if (n >= from || !c)
            return n >= from ? n : 0;
        end = from - 1;
    }
}

static void step_down_removed(Raft *r, ActionList *out);

static void advance_commit(Raft *r, ActionList *out)
{
    uint64_t candidate = commit_candidate(r);
    if (candidate <= r->commit)
        return;
    /* Raft §5.4.2: never commit an entry of an earlier term by counting replicas. */
    if (term_at(r, candidate) != r->term && !BUG_ON(r->init.bugs, RAFT_BUG_COMMIT_OLD_TERM)) {
        RMARK(r->init, COMMIT_OLD_TERM_WAITS);
        return;
    }
    RMARK(r->init, COMMIT_ADVANCE);
    uint64_t was = r->commit;
    r->commit = candidate;
    act_note(out, NOTE_COMMIT, r->commit, r->term, 0, 0);
    act_failpoint(out, RAFT_FP_COMMITTED);
    gboolean config = members_index(r) > was && members_index(r) <= r->commit;
    if (config) {
        RMARK(r->init, CONFIG_COMMITTED);
        act_failpoint(out, RAFT_FP_CONFIG_COMMITTED);
    }
    apply_committed(r, out);
    /* Thesis §4.2.2: a leader that removed itself steps down once that configuration commits. */
    if (config && r->role == ROLE_LEADER && !self_votes(r))
        step_down_removed(r, out);
}

/* Appends the batched proposals to the log, then replicates them. */
static void flush_batch(Raft *r, ActionList *out)
{
    if (r->batch->len == 0)
        return;
    act_cancel(out, TIMER_BATCH);
    r->batch_timer = FALSE;
    for (guint i = 0; i < r->batch->len; i++) {
        RaftEntry *e = &g_array_index(r->batch, RaftEntry, i);
        e->index = last_index(r) + 1;
        log_append(r, e, out);
        Proposal p = g_array_index(r->batch_props, Proposal, i);
        p.index = e->index;
        p.term = e->term;
        g_array_append_val(r->proposals, p);
    }
    g_array_set_size(r->batch, 0);
    g_array_set_size(r->batch_props, 0);
    request_fsync(r, out);
    act_failpoint(out, RAFT_FP_APPENDED);
    broadcast(r, out);
    act_failpoint(out, RAFT_FP_BROADCAST);
}

/* ---- reads ---- */

static gboolean round_confirmed(const Raft *r, uint64_t round)
{
    guint acks = self_votes(r) ? 1 : 0;
    for (uint32_t v = members(r).voters & ~(1u << r->init.self); v; v &= v - 1)
        if (r->acked_round[__builtin_ctz(v)] >= round)
            acks++;
    return acks >= majority(r);
}

static void reply_read(Raft *r, const Read *q, ActionList *out)
{
    Msg *m = msg_new(MSG_CLIENT_RESP, r->init.self, q->client);
    m->u.cresp = (ClientResp){.op = q->op, .attempt = q->attempt, .ok = 1, .hint = ENDPOINT_NONE};
    if (q->key < r->init.keys) {
        m->u.cresp.present = r->present[q->key];
        m->u.cresp.value = r->kv[q->key];
    }
    act_send(out, m);
}

static void serve_reads(Raft *r, ActionList *out)
{
    if (r->role != ROLE_LEADER)
        return;
    guint keep = 0;
    for (guint i = 0; i < r->reads->len; i++) {
        Read q = g_array_index(r->reads, Read, i);
        /* The read index needs an entry of this term committed first (the no-op). */
        if (q.read_index == 0 && term_at(r, r->commit) == r->term)
            q.read_index = r->commit;
        if (q.read_index == 0)
            RMARK(r->init, READ_WAITS_NOOP);
        if (q.read_index != 0 && round_confirmed(r, q.round) && r->applied >= q.read_index) {
            RMARK(r->init, READ_SERVED);
            reply_read(r, &q, out);
            continue;
        }
        g_array_index(r->reads, Read, keep++) = q;
    }
    g_array_set_size(r->reads, keep);
}

/* ---- membership changes (thesis §4.1-4.2) ---- */

/* Whether the leader may append a configuration entry now: the last one has committed (one
 * change at a time), no server is catching up, and an entry of its own term has committed. The
 * last rule closes the single-server change bug Ongaro reported in 2015: a leader elected
 * without an uncommitted configuration of an earlier leader could otherwise commit a
 * conflicting one on a majority that the earlier configuration's majority does not meet. */
static gboolean config_change_allowed(const Raft *r)
{
    if (members_index(r) > r->commit || r->staging != ENDPOINT_NONE)
        return FALSE;
    return term_at(r, r->commit) == r->term ||
           BUG_ON(r->init.bugs, RAFT_BUG_CONFIG_BEFORE_TERM_COMMIT);
}

/* Appends configuration `m` (it takes effect now, committed or not) and replicates it; the
 * client hears once it is committed and applied, like a command. */
static void append_config(Raft *r, RaftMembers m, Proposal p, ActionList *out)
{
    flush_batch(r, out);
    RaftEntry e = {.term = r->term,
                   .index = last_index(r) + 1,
                   .kind = OP_NOOP,
                   .client = p.client,
                   .key = RAFT_KEY_CONFIG,
                   .value = raft_members_pack(m)};
    log_append(r, &e, out);
    RMARK(r->init, CONFIG_APPENDED);
    p.index = e.index;
    p.term = r->term;
    g_array_append_val(r->proposals, p);
    request_fsync(r, out);
    act_failpoint(out, RAFT_FP_CONFIG_APPENDED);
    broadcast(r, out);
}

static void reply_proposal(Raft *r, const Proposal *p, gboolean ok, FailReason reason,
                           gboolean definite, ActionList *out)
{
    reply_client(r, p->client, p->op, p->attempt, ok, reason, definite, out);
}

/* Thesis §4.2.1: a new server first catches up as a non-voting member, in rounds that each
 * replicate what the leader held when the round began; once a round takes less than an election
 * timeout, the server joins. A server that needs more rounds, or stalls, is refused. */
static void staging_start(Raft *r, EndpointId s, const Proposal *p, ActionList *out)
{
    RMARK(r->init, STAGING_START);
    r->staging = s;
    r->staging_op = *p;
    r->staging_rounds = 1;
    r->staging_round_end = last_index(r);
    r->staging_round_start = r->now;
    r->next[s] = last_index(r) + 1;
    r->match[s] = 0;
    r->acked_round[s] = 0;
    r->last_heard[s] = r->now;
    r->last_sent[s] = SIM_TIME_NEVER;
    members_changed(r);
    send_append(r, s, out);
}

static void staging_end(Raft *r, ActionList *out)
{
    RMARK(r->init, STAGING_REFUSED);
    reply_proposal(r, &r->staging_op, FALSE, FAIL_BUSY, TRUE, out);
    r->staging = ENDPOINT_NONE;
    members_changed(r);
}

static void staging_progress(Raft *r, ActionList *out)
{
    EndpointId s = r->staging;
    if (r->match[s] < r->staging_round_end)
        return;
    if (r->now - r->staging_round_start < raft_config(r->init.config)->election_timeout.lo) {
        RMARK(r->init, STAGING_JOINED);
        Proposal p = r->staging_op;
        r->staging = ENDPOINT_NONE;
        RaftMembers m = members(r);
        m.voters |= 1u << s;
        m.standbys &= ~(1u << s);
        append_config(r, m, p, out);
        return;
    }
    if (++r->staging_rounds > CATCH_UP_ROUNDS) {
        staging_end(r, out);
        return;
    }
    RMARK(r->init, STAGING_ROUND);
    r->staging_round_end = last_index(r);
    r->staging_round_start = r->now;
}

/* A server that was the leader and is no longer (removed, or cut off from a majority). */
static void step_down(Raft *r, ActionList *out)
{
    drop_leadership(r, out);
    r->role = ROLE_FOLLOWER;
    r->leader = ENDPOINT_NONE;
    act_note(out, NOTE_ROLE, ROLE_FOLLOWER, r->term, 0, 0);
    reset_election_timer(r, out);
}

static void step_down_removed(Raft *r, ActionList *out)
{
    RMARK(r->init, STEP_DOWN_REMOVED);
    step_down(r, out);
}

/* ---- leadership transfer (thesis §3.10) ---- */

/* The voter (not itself) with the longest known log, to hand over to when none is named. */
static EndpointId best_transferee(const Raft *r)
{
    EndpointId best = ENDPOINT_NONE;
    for (uint32_t v = members(r).voters & ~(1u << r->init.self); v; v &= v - 1) {
        EndpointId i = (EndpointId)__builtin_ctz(v);
        if (best == ENDPOINT_NONE || r->match[i] > r->match[best])
            best = i;
    }
    return best;
}

/* TimeoutNow once the target holds the whole log (it can then win at once). */
static void transfer_progress(Raft *r, ActionList *out)
{
    EndpointId to = r->transfer_to;
    if (to == ENDPOINT_NONE || r->transfer_sent || r->role != ROLE_LEADER ||
        r->term != r->transfer_term || r->match[to] < last_index(r))
        return;
    RMARK(r->init, TRANSFER_TIMEOUT_NOW);
    Msg *m = msg_new(MSG_R_TIMEOUT_NOW, r->init.self, to);
    raft_body(m)->rt.term = r->term;
    send_peer(r, m, out);
    r->transfer_sent = TRUE;
}

/* The transfer is over: the target leads (ok), or it did not happen in time. */
static void transfer_end(Raft *r, gboolean ok, FailReason reason, ActionList *out)
{
    if (ok)
        RMARK(r->init, TRANSFER_DONE);
    else
        RMARK(r->init, TRANSFER_FAILED);
    reply_proposal(r, &r->transfer_op, ok, reason, !r->transfer_sent, out);
    r->transfer_to = ENDPOINT_NONE;
    act_cancel(out, TIMER_TRANSFER);
}

static void transfer_start(Raft *r, EndpointId to, const Proposal *p, ActionList *out)
{
    if (to == ENDPOINT_NONE)
        to = best_transferee(r);
    if (to == r->init.self) {
        reply_proposal(r, p, TRUE, FAIL_NONE, FALSE, out);
        return;
    }
    if (to == ENDPOINT_NONE || !is_voter(members(r), to)) {
        RMARK(r->init, TRANSFER_REFUSED);
        reply_proposal(r, p, FALSE, FAIL_BUSY, TRUE, out);
        return;
    }
    RMARK(r->init, TRANSFER_START);
    flush_batch(r, out);
    r->transfer_to = to;
    r->transfer_term = r->term;
    r->transfer_sent = FALSE;
    r->transfer_op = *p;
    act_timer(out, TIMER_TRANSFER, raft_config(r->init.config)->election_timeout.hi, 0);
    transfer_progress(r, out);
    if (!r->transfer_sent)
        send_append(r, to, out);
}

/* The leader asked this server to stand now: it skips the pre-vote, and its vote requests say
 * so, for the voters to disregard their leader lease (thesis §3.10, §4.2.3). */
static void handle_timeout_now(Raft *r, const Msg *m, ActionList *out)
{
    if (raft_body(m)->rt.term != r->term || m->from != r->leader || r->role != ROLE_FOLLOWER)
        return;
    RMARK(r->init, TRANSFER_STAND);
    r->transfer_election = TRUE;
    become_candidate(r, out);
}

/* add-server, remove-server, transfer-leader: the operation's value names the server. */
static void handle_admin(Raft *r, const Msg *m, ActionList *out)
{
    const ClientReq *q = &m->u.creq;
    Proposal p = {0, r->term, m->from, q->op, q->attempt};
    EndpointId s = q->value < 0 || q->value >= (Value)r->n ? ENDPOINT_NONE : (EndpointId)q->value;
    if (q->value >= (Value)r->n) {
        reply_proposal(r, &p, FALSE, FAIL_BUSY, TRUE, out); /* no such server */
        return;
    }
    if (q->kind == OP_TRANSFER) {
        transfer_start(r, s, &p, out); /* ENDPOINT_NONE: to whom it picks */
        return;
    }
    RaftMembers cur = members(r);
    uint32_t bit = s == ENDPOINT_NONE ? 0 : 1u << s;
    gboolean add = q->kind == OP_ADD_SERVER;
    gboolean done = add ? (cur.voters & bit) != 0 : ((cur.voters | cur.standbys) & bit) == 0;
    /* A server must be named; the last voter stays. */
    if (s == ENDPOINT_NONE || (!add && (cur.voters & ~bit) == 0)) {
        reply_proposal(r, &p, FALSE, FAIL_BUSY, TRUE, out);
        return;
    }
    if (done && members_index(r) <= r->commit) {
        RMARK(r->init, CONFIG_ALREADY);
        reply_proposal(r, &p, TRUE, FAIL_NONE, FALSE, out);
        return;
    }
    if (done || !config_change_allowed(r)) {
        RMARK(r->init, CONFIG_BUSY);
        reply_proposal(r, &p, FALSE, FAIL_BUSY, TRUE, out);
        return;
    }
    if (add) {
        staging_start(r, s, &p, out);
        return;
    }
    cur.voters &= ~bit;
    cur.standbys &= ~bit;
    append_config(r, cur, p, out);
}

/* ---- client requests ---- */

typedef enum {
    SESSION_NEW,     /* not applied yet */
    SESSION_APPLIED, /* applied: this very command is the session's latest (or a named key) */
    SESSION_STALE,   /* older than the session's latest: a request delivered late */
} SessionState;

/* A client runs one command at a time, so a session remembers only its latest. A request older
 * than that comes from the network, late (a duplicate, a delayed retry): whether it was applied
 * is not known, and its client decided it long ago. */
static SessionState session_state(const Raft *r, IdemKey idem)
{
    if (BUG_ON(r->init.bugs, RAFT_BUG_NO_SESSION))
        return SESSION_NEW;
    if (idem >> 63)
        return g_hash_table_contains(r->named, &idem) ? SESSION_APPLIED : SESSION_NEW;
    guint client = (guint)(idem >> 32) - 1;
    if (client >= r->init.clients || (uint32_t)idem > r->sessions[client])
        return SESSION_NEW;
    return (uint32_t)idem == r->sessions[client] ? SESSION_APPLIED : SESSION_STALE;
}

/* Whether a command under this idempotency key waits in the leader's log or batch: a request
 * it refuses may then still take effect (a duplicate or a retry of it), so the refusal cannot
 * be definite. */
static gboolean pending_here(const Raft *r, IdemKey idem)
{
    if (idem == IDEM_NONE)
        return FALSE;
    for (guint i = 0; i < r->proposals->len; i++) {
        uint64_t index = g_array_index(r->proposals, Proposal, i).index;
        if (index <= last_index(r) && log_at(r, index)->idem == idem)
            return TRUE;
    }
    for (guint i = 0; i < r->batch->len; i++)
        if (g_array_index(r->batch, RaftEntry, i).idem == idem)
            return TRUE;
    return FALSE;
}

static void handle_client(Raft *r, const Msg *m, ActionList *out)
{
    const ClientReq *q = &m->u.creq;
    if (handled_before(r, m->from, q->op, q->attempt)) {
        RMARK(r->init, CLIENT_DUPLICATE); /* a late copy: its answer went out already */
        return;
    }
    if (r->role != ROLE_LEADER) {
        FailReason reason = r->leader != ENDPOINT_NONE && r->leader != r->init.self
                                ? FAIL_NOT_LEADER
                                : FAIL_NO_LEADER;
        if (reason == FAIL_NOT_LEADER)
            RMARK(r->init, CLIENT_NOT_LEADER);
        else
            RMARK(r->init, CLIENT_NO_LEADER);
        reply_client(r, m->from, q->op, q->attempt, FALSE, reason, TRUE, out);
        return;
    }
    /* Thesis §3.10: no new proposals while leadership is being handed over. */
    if (r->transfer_to != ENDPOINT_NONE && q->kind != OP_GET) {
        RMARK(r->init, CLIENT_BUSY_TRANSFER);
        gboolean definite = !pending_here(r, q->idem);
        reply_client(r, m->from, q->op, q->attempt, FALSE, FAIL_BUSY, definite, out);
        return;
    }
    if (op_kind_is_admin((OpKind)q->kind)) {
        handle_admin(r, m, out);
        return;
    }
    if (q->kind == OP_GET) {
        if (BUG_ON(r->init.bugs, RAFT_BUG_STALE_READ)) {
            Read now = {m->from, q->op, q->attempt, q->key, 0, 0};
            reply_read(r, &now, out); /* the bug: no leadership check, no read index */
            return;
        }
        RMARK(r->init, READ_QUEUED);
        Read read = {m->from, q->op, q->attempt, q->key, 0, ++r->round};
        g_array_append_val(r->reads, read);
        broadcast(r, out); /* the heartbeat round that confirms leadership */
        serve_reads(r, out);
        return;
    }
    SessionState session = session_state(r, q->idem);
    if (session == SESSION_APPLIED) {
        /* Already applied under this idempotency key: it happened, once. */
        RMARK(r->init, CLIENT_SESSION_HIT);
        reply_client(r, m->from, q->op, q->attempt, TRUE, FAIL_NONE, FALSE, out);
        return;
    }
    if (session == SESSION_STALE) {
        /* Saying "ok" would claim a command that may never have been applied; nobody waits. */
        RMARK(r->init, CLIENT_STALE_REQUEST);
        return;
    }
    if (r->proposals->len + r->batch->len >= RAFT_MAX_INFLIGHT) {
        RMARK(r->init, CLIENT_BUSY);
        gboolean definite = !pending_here(r, q->idem);
        reply_client(r, m->from, q->op, q->attempt, FALSE, FAIL_BUSY, definite, out);
        return;
    }
    RaftEntry e = {.term = r->term,
                   .kind = q->kind,
                   .client = m->from,
                   .key = q->key,
                   .value = q->value,
                   .idem = q->idem};
    Proposal p = {0, r->term, m->from, q->op, q->attempt};
    g_array_append_val(r->batch, e);
    g_array_append_val(r->batch_props, p);
    const RaftConfig *cfg = raft_config(r->init.config);
    if (r->batch->len >= cfg->batch_entries || cfg->batch_delay == 0) {
        RMARK(r->init, CLIENT_PROPOSED);
        flush_batch(r, out);
    } else if (!r->batch_timer) {
        RMARK(r->init, CLIENT_BATCHED);
        r->batch_timer = TRUE;
        act_timer(out, TIMER_BATCH, cfg->batch_delay, 0);
    }
}

/* ---- peer messages ---- */

static void respond_append(Raft *r, EndpointId to, gboolean success, uint64_t match,
                           uint64_t conflict, uint64_t round, ActionList *out)
{
    Msg *m = msg_new(MSG_R_APPEND_RESP, r->init.self, to);
    raft_body(m)->rar = (RAppendResp){.term = r->term,
                                      .success = (uint8_t)success,
                                      .match = match,
                                      .conflict_index = conflict,
                                      .round = round};
    send_peer(r, m, out);
}

static void flush_waiting(Raft *r, ActionList *out)
{
    guint keep = 0;
    for (guint i = 0; i < r->waiting->len; i++) {
        WaitingAck w = g_array_index(r->waiting, WaitingAck, i);
        if (w.term != r->term) {
            RMARK(r->init, WAITING_OLD_TERM);
            continue; /* a leader of an earlier term: it no longer matters */
        }
        if (w.match <= r->durable) {
            RMARK(r->init, WAITING_FLUSHED);
            respond_append(r, w.to, TRUE, w.match, 0, w.round, out);
            continue;
        }
        g_array_index(r->waiting, WaitingAck, keep++) = w;
    }
    g_array_set_size(r->waiting, keep);
}

/* A message of the leader of `term` (>= its own): it follows that leader, whose lease it now
 * honours (§4.2.3); a transfer it asked for is over. */
static inline void heard_leader_of(Raft *r, const Msg *m, uint64_t term, ActionList *out)
{
    if (term > r->term)
        RMARK(r->init, APPEND_NEW_TERM);
    if (term > r->term || r->role != ROLE_FOLLOWER)
        become_follower(r, term, out);
    reset_election_timer(r, out); /* heard from the current leader */
    r->leader = m->from;
    r->heard_leader = r->now;
    r->prevoting = FALSE;
    if (r->transfer_to != ENDPOINT_NONE && term > r->transfer_term)
        transfer_end(r, m->from == r->transfer_to, FAIL_LOST_LEADERSHIP, out);
}

static void handle_append(Raft *r, const Msg *m, ActionList *out)
{
    const RAppend *a = &raft_body(m)->ra;
    if (a->term < r->term) {
        RMARK(r->init, APPEND_STALE_TERM);
        respond_append(r, m->from, FALSE, 0, 0, a->round, out);
        return;
    }
    heard_leader_of(r, m, a->term, out);
    if (G_UNLIKELY(r->job == SNAP_INSTALL))
        snap_abandon(r, out); /* the leader sends entries instead: the snapshot is not coming */
    if (a->prev_index > last_index(r)) {
        RMARK(r->init, APPEND_GAP);
        respond_append(r, m->from, FALSE, 0, last_index(r) + 1, a->round, out);
        return;
    }
    /* Below its log's start it holds only committed entries (in its snapshot): they match. */
    if (a->prev_index + 1 >= r->log_start && a->prev_index > 0 &&
        term_at(r, a->prev_index) != a->prev_term) {
        /* Skip back over the whole conflicting term at once. */
        RMARK(r->init, APPEND_PREV_CONFLICT);
        uint64_t bad = term_at(r, a->prev_index), i = a->prev_index;
        while (i > MAX(r->log_start, 1) && term_at(r, i - 1) == bad)
            i--;
        respond_append(r, m->from, FALSE, 0, i, a->round, out);
        return;
    }
    const RaftEntry *entries = raft_msg_entries(m);
    uint32_t n = m->extra_count;
    if (BUG_ON(r->init.bugs, RAFT_BUG_TRUNCATE_ON_STALE_APPEND))
        log_truncate(r, a->prev_index, out); /* the bug: truncate even when nothing conflicts */
    gboolean wrote = FALSE;
    for (uint32_t k = 0; k < n; k++) {
        const RaftEntry *e = &entries[k];
        if (e->index < r->log_start)
            continue; /* compacted: its snapshot holds it */
        if (e->index <= last_index(r)) {
            if (term_at(r, e->index) == e->term) {
                RMARK(r->init, APPEND_HAVE);
                continue; /* already have it */
            }
            RMARK(r->init, APPEND_TRUNCATE);
            log_truncate(r, e->index - 1, out); /* only what actually conflicts */
        }
        log_append(r, e, out);
        wrote = TRUE;
    }
    uint64_t match = a->prev_index + n;
    if (wrote) {
        RMARK(r->init, APPEND_ENTRIES);
        request_fsync(r, out);
        act_failpoint(out, RAFT_FP_FOLLOWER_APPENDED);
    } else if (n == 0) {
        RMARK(r->init, APPEND_HEARTBEAT);
    }
    /* Raft §5.3: commit up to the leader's commit index, within what this append verified. */
    uint64_t commit = MIN(a->commit, match);
    if (commit > r->commit) {
        RMARK(r->init, APPEND_COMMIT);
        r->commit = commit;
        apply_committed(r, out);
    }
    if (BUG_ON(r->init.bugs, RAFT_BUG_FOLLOWER_ACK_BEFORE_FSYNC) || match <= r->durable) {
        RMARK(r->init, APPEND_ACK_NOW);
        respond_append(r, m->from, TRUE, match, 0, a->round, out);
    } else {
        RMARK(r->init, APPEND_ACK_WAITS);
        WaitingAck w = {m->from, r->term, match, a->round};
        g_array_append_val(r->waiting, w);
    }
    check_repaired(r, out);
}

/* A follower's answer to a chunk of the snapshot: the next chunk, or, once it installed the
 * snapshot, the entries after it. */
static void handle_snapshot_resp(Raft *r, const Msg *m, ActionList *out)
{
    const RSnapshotResp *a = &raft_body(m)->rsr;
    if (a->term > r->term) {
        become_follower(r, a->term, out);
        return;
    }
    if (r->role != ROLE_LEADER || a->term != r->term)
        return;
    EndpointId from = m->from;
    r->last_heard[from] = r->now;
    if (a->done) {
        RMARK(r->init, SNAPSHOT_SENT_DONE);
        r->match[from] = MAX(r->match[from], a->index);
        r->next[from] = MAX(r->next[from], r->match[from] + 1);
        advance_commit(r, out);
        if (r->role == ROLE_LEADER)
            send_append(r, from, out);
        return;
    }
    if (a->index != r->snap.index || r->snap_for[from] != a->index)
        return; /* about another snapshot */
    r->snap_off[from] = a->next;
    send_snapshot(r, from, out);
}

static void handle_append_resp(Raft *r, const Msg *m, ActionList *out)
{
    const RAppendResp *a = &raft_body(m)->rar;
    if (a->term > r->term) {
        RMARK(r->init, APPEND_RESP_HIGHER_TERM);
        become_follower(r, a->term, out);
        return;
    }
    if (r->role != ROLE_LEADER || a->term != r->term) {
        RMARK(r->init, APPEND_RESP_STALE);
        return;
    }
    EndpointId from = m->from;
    r->last_heard[from] = r->now;
    r->acked_round[from] = MAX(r->acked_round[from], a->round);
    if (a->success) {
        RMARK(r->init, APPEND_RESP_MATCH);
        r->match[from] = MAX(r->match[from], a->match);
        r->next[from] = MAX(r->next[from], r->match[from] + 1);
        advance_commit(r, out);
        if (r->role != ROLE_LEADER)
            return; /* it removed itself */
        if (from == r->staging)
            staging_progress(r, out);
        if (from == r->transfer_to)
            transfer_progress(r, out);
    } else if (a->conflict_index > 0 && a->conflict_index <= r->match[from]) {
        /* The follower no longer has entries it once acked: it lost data and is repairing.
         * Rewind to what it really holds (what it acked before is spent from the failure
         * budget, not recounted). */
        RMARK(r->init, APPEND_RESP_REWIND);
        r->match[from] = a->conflict_index - 1;
        r->next[from] = a->conflict_index;
        send_append(r, from, out);
    } else {
        uint64_t back = MAX(a->conflict_index, r->match[from] + 1);
        if (back < r->next[from]) {
            RMARK(r->init, APPEND_RESP_BACKTRACK);
            r->next[from] = back;
            send_append(r, from, out);
        } else {
            RMARK(r->init, APPEND_RESP_NOTHING);
        }
    }
    serve_reads(r, out);
}

/* Which rule refused a vote (the first that applies, in handle_vote's order). */
static void vote_refused_mark(Raft *r, const RVote *v, EndpointId from)
{
    if (v->term != r->term)
        RMARK(r->init, VOTE_REFUSED_TERM);
    else if (r->damaged)
        RMARK(r->init, VOTE_REFUSED_DAMAGED);
    else if (v->term <= r->vote_floor)
        RMARK(r->init, VOTE_REFUSED_FLOOR);
    else if (r->voted_for != ENDPOINT_NONE && r->voted_for != from)
        RMARK(r->init, VOTE_REFUSED_VOTED);
    else
        RMARK(r->init, VOTE_REFUSED_LOG);
}

/* A pre-vote request: would this server vote for the sender in the sender's next term? It
 * changes nothing here (no term, no vote, no timer), so nothing needs to be durable first. */
static void handle_prevote(Raft *r, const Msg *m, ActionList *out)
{
    const RVote *v = &raft_body(m)->rv;
    gboolean granted = v->term > r->term && !r->damaged && v->term > r->vote_floor &&
                       !in_lease(r) &&
                       up_to_date(v->last_term, v->last_index, last_term(r), last_index(r));
    if (granted)
        RMARK(r->init, PREVOTE_GRANTED);
    else if (v->term > r->term && in_lease(r))
        RMARK(r->init, PREVOTE_REFUSED_LEASE);
    else
        RMARK(r->init, PREVOTE_REFUSED);
    Msg *resp = msg_new(MSG_R_VOTE_RESP, r->init.self, m->from);
    raft_body(resp)->rvr =
        (RVoteResp){.term = granted ? v->term : r->term, .granted = (uint8_t)granted, .prevote = 1};
    send_peer(r, resp, out);
}

static void handle_prevote_resp(Raft *r, const Msg *m, ActionList *out)
{
    const RVoteResp *v = &raft_body(m)->rvr;
    if (!v->granted) {
        if (v->term > r->term) {
            RMARK(r->init, PREVOTE_BEHIND);
            become_follower(r, v->term, out); /* it is behind: no election of its own */
        }
        return;
    }
    if (!r->prevoting || v->term != r->term + 1)
        return;
    r->prevotes |= (uint64_t)1 << m->from;
    if (count_voters(r, r->prevotes) >= majority(r)) {
        RMARK(r->init, PREVOTE_WON);
        become_candidate(r, out);
    }
}

static void handle_vote(Raft *r, const Msg *m, ActionList *out)
{
    const RVote *v = &raft_body(m)->rv;
    if (v->prevote) {
        handle_prevote(r, m, out);
        return;
    }
    /* Thesis §4.2.3: while it hears from a current leader, a server neither raises its term
     * for a vote request nor grants one. */
    if (v->term > r->term && !v->transfer && in_lease(r)) {
        RMARK(r->init, VOTE_IGNORED_LEASE);
        return;
    }
    if (v->term > r->term)
        become_follower(r, v->term, out);
    gboolean granted = v->term == r->term && !r->damaged && v->term > r->vote_floor &&
                       (r->voted_for == ENDPOINT_NONE || r->voted_for == m->from) &&
                       up_to_date(v->last_term, v->last_index, last_term(r), last_index(r));
    if (granted && r->voted_for == m->from)
        RMARK(r->init, VOTE_REPEATED);
    else if (granted)
        RMARK(r->init, VOTE_GRANTED);
    else
        vote_refused_mark(r, v, m->from);
    if (granted && r->voted_for != m->from) {
        r->voted_for = m->from;
        persist_meta(r, out);
    }
    if (granted)
        reset_election_timer(r, out);
    Msg *resp = msg_new(MSG_R_VOTE_RESP, r->init.self, m->from);
    raft_body(resp)->rvr = (RVoteResp){.term = r->term, .granted = (uint8_t)granted};
    if (granted && BUG_ON(r->init.bugs, RAFT_BUG_VOTE_BEFORE_PERSIST)) {
        act_send(out, resp); /* the bug: the vote leaves before it is durable */
        act_failpoint(out, RAFT_FP_VOTED);
        return;
    }
    send_peer(r, resp, out);
    if (granted)
        gated_failpoint(r, RAFT_FP_VOTED, out);
}

static void handle_vote_resp(Raft *r, const Msg *m, ActionList *out)
{
    const RVoteResp *v = &raft_body(m)->rvr;
    if (v->prevote) {
        handle_prevote_resp(r, m, out);
        return;
    }
    if (v->term > r->term) {
        RMARK(r->init, VOTE_RESP_HIGHER_TERM);
        become_follower(r, v->term, out);
        return;
    }
    if (r->role != ROLE_CANDIDATE || v->term != r->term) {
        RMARK(r->init, VOTE_RESP_IGNORED);
        return;
    }
    if (!v->granted) {
        RMARK(r->init, VOTE_RESP_REFUSED);
        return;
    }
    r->votes |= (uint64_t)1 << m->from;
    if (count_voters(r, r->votes) >= majority(r)) /* a server outside it never counts */
        become_leader(r, out);
}

/* ---- repair after data loss ---- */

static void send_probes(Raft *r, ActionList *out)
{
    for (EndpointId i = 0; i < r->n; i++) {
        if (i == r->init.self || ((r->probe_from >> i) & 1))
            continue;
        RMARK(r->init, REPAIR_PROBE_SENT);
        Msg *m = msg_new(MSG_R_PROBE, r->init.self, i);
        raft_body(m)->rp.term = r->term;
        send_peer(r, m, out);
    }
    act_timer(out, TIMER_PROBE, raft_config(r->init.config)->election_timeout.hi, 0);
}

static void handle_probe(Raft *r, const Msg *m, ActionList *out)
{
    Msg *resp = msg_new(MSG_R_PROBE_RESP, r->init.self, m->from);
    raft_body(resp)->rpr = (RProbeResp){.term = r->term,
                                        .last_index = last_index(r),
                                        .last_term = last_term(r),
                                        .members = raft_members_pack(members(r)),
                                        .members_index = (uint32_t)members_index(r),
                                        .damaged = (uint8_t)r->damaged};
    send_peer(r, resp, out);
}

static void handle_probe_resp(Raft *r, const Msg *m, ActionList *out)
{
    const RProbeResp *p = &raft_body(m)->rpr;
    if (r->damaged && !r->probe_done && p->damaged)
        RMARK(r->init, REPAIR_PROBE_DAMAGED_PEER);
    if (!r->damaged || r->probe_done || p->damaged)
        return; /* a damaged peer cannot vouch for anything */
    RMARK(r->init, REPAIR_PROBE_ANSWERED);
    r->probe_from |= (uint64_t)1 << m->from;
    r->probe_term = MAX(r->probe_term, p->term);
    if (p->members_index > r->probe_members_index) {
        r->probe_members = raft_members_unpack(p->members);
        r->probe_members_index = p->members_index;
    }
    if (up_to_date(p->last_term, p->last_index, r->need_term, r->need_index)) {
        r->need_term = p->last_term;
        r->need_index = p->last_index;
    }
    /* A majority of the others meets every majority that could have counted on this node. */
    /* ... of the newest configuration it heard of: a server outside it (removed, or a spare)
     * cannot vouch for anything. */
    RaftMembers pm = r->probe_members;
    if ((guint)__builtin_popcountll(r->probe_from & pm.voters) < raft_members_majority(pm))
        return;
    r->probe_done = TRUE;
    RMARK(r->init, REPAIR_PROBE_DONE);
    act_cancel(out, TIMER_PROBE);
    if (r->probe_term > r->term) {
        RMARK(r->init, REPAIR_TERM_RAISED);
        r->term = r->probe_term;
        r->voted_for = ENDPOINT_NONE;
    }
    r->vote_floor = MAX(r->vote_floor, r->probe_term);
    persist_meta(r, out);
    check_repaired(r, out);
}

static void check_repaired(Raft *r, ActionList *out)
{
    if (!r->damaged || !r->probe_done)
        return;
    if (!up_to_date(last_term(r), last_index(r), r->need_term, r->need_index)) {
        RMARK(r->init, REPAIR_LOG_BEHIND);
        return;
    }
    RMARK(r->init, REPAIR_DONE);
    r->damaged = FALSE;
    persist_meta(r, out);
    act_note(out, NOTE_REPAIRED, last_index(r), r->term, 0, 0);
}

/* ---- scrub ---- */

static void scrub_round(Raft *r, ActionList *out)
{
    act_timer(out, TIMER_SCRUB, sim_rng_duration(r->init.rng, SCRUB_EVERY), 0);
    if (r->scrub_reading > 0 || r->durable < r->log_start) {
        RMARK(r->init, SCRUB_BUSY);
        return; /* one batch at a time, and only over what is known durable */
    }
    RMARK(r->init, SCRUB_READ);
    act_open(out, RAFT_FD_META_READ, RAFT_META_PATH, 0, TOKEN_STORE);
    act_read(out, RAFT_FD_META_READ, 0, 1, TOKEN_SCRUB_META);
    act_close(out, RAFT_FD_META_READ, TOKEN_STORE);
    r->scrub_reading++;
    r->scrub_limit = r->durable;
    /* The next slice of the durable log (fewer at its end), one device read per segment it
     * spans. */
    if (r->scrub_cursor < r->log_start || r->scrub_cursor > r->durable)
        r->scrub_cursor = r->log_start;
    uint64_t end = MIN(r->durable, r->scrub_cursor + SCRUB_BATCH - 1);
    while (r->scrub_cursor <= end) {
        uint64_t first = r->scrub_cursor;
        r->scrub_cursor += seglog_read(&r->store, out, (uint32_t)(first - 1),
                                       (uint32_t)(end - first + 1), TOKEN_SCRUB_LOG | first << 8);
        r->scrub_reading++;
    }
}

/* Checks one block a scrub read brought back: `token` names the metadata, or the log index of
 * the block. */
static void scrub_checked(Raft *r, uint64_t token, int result, const DiskBlock *b, ActionList *out)
{
    if ((token & 0xff) == TOKEN_SCRUB_META) {
        RaftMeta m;
        gboolean intact =
            result == 0 && raft_decode_meta(b, &m) == BLOCK_OK && m.seq == r->meta_seq;
        if (!intact && !r->meta_writing) {
            RMARK(r->init, SCRUB_META_REWRITE);
            persist_meta(r, out); /* a fresh copy replaces it */
        }
        return;
    }
    uint64_t index = token >> 8;
    if (index < r->log_start || index > last_index(r) || index > r->scrub_limit) {
        RMARK(r->init, SCRUB_CHANGED);
        return; /* changed since the read was issued */
    }
    /* Only a block that fails its checksum (or cannot be read) is damage; a valid entry that
     * differs from memory was overwritten after the read was queued. */
    RaftEntry e;
    gboolean intact = result == 0 && raft_decode_entry(b, &e) == BLOCK_OK && e.index == index;
    if (intact)
        return;
    /* Written again from memory; durable again once an fsync issued after it covers it (an
     * fsync already in flight covers less, as after a truncation). */
    RMARK(r->init, SCRUB_ENTRY_REWRITE);
    write_entry(r, index, out);
    r->durable = MIN(r->durable, index - 1);
    r->trunc_low = MIN(r->trunc_low, index - 1);
    request_fsync(r, out);
}

/* ---- boot ---- */

/* The metadata's first install cut short: no meta yet, but a meta.tmp whose record reads whole
 * (its fsync reached the disk, or a process crash left it in the page cache). Nothing was ever
 * promised on it (a vote waits for the rename to be durable), and no fault the model allows
 * removes an installed meta while keeping its directory, so the server takes it as its state
 * rather than count itself damaged. */
static gboolean recover_uninstalled_meta(const ProtoDiskImage *img, RaftMeta *out)
{
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *f = &img->entries[i];
        if (!f->is_dir && strcmp(f->path, RAFT_META_TMP) == 0 && f->len > 0 && f->errors[0] == 0)
            return raft_decode_meta(&f->blocks[0], out) == BLOCK_OK;
    }
    return FALSE;
}

static void recover_meta(Raft *r, const ProtoEvent *ev, gboolean *lost)
{
    const ProtoDiskImage *img = ev->image;
    gboolean found = FALSE, damaged = FALSE, present = FALSE;
    RaftMeta best = {0};
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *f = &img->entries[i];
        if (f->is_dir || strcmp(f->path, RAFT_META_PATH) != 0)
            continue;
        present = TRUE;
        if (f->len == 0 || f->errors[0] != 0) {
            /* There, but empty: its name reached the disk before its data (or the sector is
             * unreadable). What it held may have been a vote. */
            RMARK(r->init, BOOT_META_EMPTY);
            damaged = TRUE;
            break;
        }
        BlockCheck c = raft_decode_meta(&f->blocks[0], &best);
        found = c == BLOCK_OK;
        damaged = !found;
    }
    if (!present && !ev->first_boot && recover_uninstalled_meta(img, &best)) {
        RMARK(r->init, BOOT_META_UNINSTALLED);
        found = TRUE;
    }
    *lost = (!found && !ev->first_boot) || damaged;
    if (damaged)
        RMARK(r->init, BOOT_META_DAMAGED);
    else if (!found && !ev->first_boot)
        RMARK(r->init, BOOT_META_LOST);
    if (found) {
        r->term = best.term;
        r->voted_for = best.voted_for;
        r->vote_floor = best.vote_floor;
        r->meta_seq = best.seq;
        r->damaged = best.damaged;
    }
}

/* The durable snapshot (RAFT_SNAP_PATH), if any: the state machine, the configuration and the
 * log's start come from it. FALSE when it is there but cannot be read whole (media damage: acked
 * state may be gone). */
static gboolean recover_snapshot(Raft *r, const ProtoDiskImage *img)
{
    const ProtoFileImage *f = NULL;
    for (guint i = 0; i < img->nentries; i++)
        if (!img->entries[i].is_dir && strcmp(img->entries[i].path, RAFT_SNAP_PATH) == 0)
            f = &img->entries[i];
    if (!f)
        return TRUE;
    RaftSnapHead h;
    gboolean ok = f->len >= 1 && f->errors[0] == 0 &&
                  raft_decode_snap_head(&f->blocks[0], &h) == BLOCK_OK && f->len > h.blocks;
    for (uint32_t i = 1; ok && i <= h.blocks; i++)
        ok = f->errors[i] == 0;
    ok = ok && raft_decode_snap_state(&f->blocks[1], &h, r->init.keys, r->kv, r->present,
                                      r->init.clients, r->sessions, r->named);
    if (!ok) {
        RMARK(r->init, BOOT_SNAPSHOT_DAMAGED);
        memset(r->kv, 0, r->init.keys * sizeof *r->kv);
        memset(r->present, 0, r->init.keys);
        memset(r->sessions, 0, r->init.clients * sizeof *r->sessions);
        g_hash_table_remove_all(r->named);
        return FALSE;
    }
    RMARK(r->init, BOOT_SNAPSHOT);
    r->snap = h;
    g_array_set_size(r->snap_blocks, 0);
    g_array_append_vals(r->snap_blocks, f->blocks, h.blocks + 1);
    r->applied = r->commit = h.index;
    r->log_start = h.index + 1;
    r->start_term = h.term;
    r->base = raft_members_unpack(h.members);
    r->base_index = h.members_index;
    chunks_set_size(&r->log, (guint)h.index);
    chunks_release_below(&r->log, (guint)h.index);
    members_changed(r);
    return TRUE;
}

/* The log after the snapshot. Returns the first damaged index (0: none). */
static uint64_t recover_log(Raft *r, const DiskBlock *blocks, const int *errors, uint32_t len)
{
    for (uint32_t i = (uint32_t)(r->log_start - 1); i < len; i++) {
        RaftEntry e;
        BlockCheck c = errors[i] != 0 ? BLOCK_CORRUPT : raft_decode_entry(&blocks[i], &e);
        if (c == BLOCK_TORN || c == BLOCK_EMPTY) {
            RMARK(r->init, BOOT_TORN_TAIL);
            return 0; /* a write cut short: never fsynced, never acked; the log ends here */
        }
        if (c != BLOCK_OK || e.index != (uint64_t)i + 1 || e.term < last_term(r)) {
            RMARK(r->init, BOOT_LOG_DAMAGED);
            return (uint64_t)i + 1;
        }
        log_push(r, &e);
    }
    return 0;
}

static void boot(Raft *r, const ProtoEvent *ev, ActionList *out)
{
    gboolean meta_lost;
    recover_meta(r, ev, &meta_lost);
    gboolean snap_ok = recover_snapshot(r, ev->image);
    /* The log as its segments show it (a missing segment reads as empty blocks: the log ends
     * before it; compaction unlinked those below the snapshot). */
    DiskBlock *blocks;
    int *errors;
    uint32_t stored = seglog_boot(&r->store, ev->image, &blocks, &errors, out);
    uint64_t bad = recover_log(r, blocks, errors, stored);
    g_free(blocks);
    g_free(errors);
    if (r->log_start > 1) {
        /* Segments below the snapshot are done with (never opened again), but after a process
         * crash the snapshot's name may be in the page cache only: they are unlinked once the
         * boot sync has fsynced the root (log_fsync_done). */
        uint32_t below = (uint32_t)(r->log_start - 1) / r->store.cfg.seg_blocks;
        r->stale_low = MIN(r->store.first, below);
        r->stale_below = below;
        r->store.first = MAX(r->store.first, below);
    }
    if (!snap_ok && !bad)
        bad = 1; /* the snapshot held committed state the disk no longer gives back */
    if (meta_lost || bad) {
        r->damaged = TRUE;
        act_note(out, NOTE_DAMAGED, bad, meta_lost, 0, 0);
    }
    /* What the page cache showed may not be durable: make it so before trusting it. An fsync
     * alone is not enough: after a failed fsync of an earlier life the pages can be clean and
     * never written, and a new fsync returns 0 without writing them (fsyncgate). So every entry
     * is written back first, and the boot fsync covers them all. */
    uint64_t need = (last_index(r) + r->store.cfg.seg_blocks - 1) / r->store.cfg.seg_blocks;
    if (stored > last_index(r) || r->store.nsegs > need) {
        /* Past the end: a torn tail, or segments after a gap (whose names a crash kept while
         * losing an earlier one's); cut and unlinked, durably with the boot sync. */
        if (stored > last_index(r))
            RMARK(r->init, BOOT_TRUNCATE_TAIL);
        r->store.len = MAX(r->store.len, (uint32_t)last_index(r) + 1);
        seglog_truncate(&r->store, out, (uint32_t)last_index(r), TOKEN_LOG_TRUNCATE);
    }
    if (ev->first_boot)
        RMARK(r->init, BOOT_FIRST);
    else
        RMARK(r->init, BOOT_RESTART);
    for (uint64_t i = r->log_start; i <= last_index(r); i++)
        write_entry(r, i, out);
    r->durable = r->log_start - 1; /* below, the snapshot holds it */
    persist_meta(r, out);
    request_fsync(r, out);
    r->role = ROLE_FOLLOWER;
    act_note(out, NOTE_ROLE, ROLE_FOLLOWER, r->term, 0, 0);
    reset_election_timer(r, out);
    act_timer(out, TIMER_SCRUB, sim_rng_duration(r->init.rng, SCRUB_EVERY), 0);
    if (r->damaged) {
        r->probe_members = members(r);
        r->probe_members_index = members_index(r);
        send_probes(r, out);
    }
}

/* ---- the protocol ---- */

static void handle_disk(Raft *r, const ProtoEvent *ev, ActionList *out)
{
    if (ev->result == EROFS) {
        /* The file system went read-only (a metadata write failed): nothing can be made
         * durable until a power cycle mounts it again. The server stops, as etcd and most
         * servers do on a storage error they cannot recover from. */
        RMARK(r->init, READ_ONLY);
        if (r->role == ROLE_LEADER)
            step_down(r, out);
        r->read_only = TRUE;
        return;
    }
    switch (ev->token) {
    case TOKEN_META_WRITE:
        if (ev->result != 0) {
            RMARK(r->init, META_WRITE_FAILED);
            r->meta_write_failed = TRUE;
        }
        break;
    case TOKEN_META_TMP_FSYNC:
        meta_tmp_synced(r, ev->result, out);
        break;
    case TOKEN_META_FSYNC:
        meta_fsync_done(r, ev->result, out);
        break;
    case TOKEN_LOG_WRITE:
    case TOKEN_LOG_TRUNCATE:
        if (ev->result != 0) {
            RMARK(r->init, LOG_WRITE_FAILED);
            r->log_broken = TRUE;
        }
        break;
    case TOKEN_LOG_FSYNC:
        log_fsync_done(r, ev->result, out);
        break;
    case TOKEN_LOG_PART:
        if (ev->result != 0) {
            RMARK(r->init, LOG_SYNC_PART_FAILED);
            r->log_broken = TRUE; /* the group's last fsync then proves nothing */
        }
        break;
    case TOKEN_STORE:
        break;
    case TOKEN_SNAP_OPEN:
    case TOKEN_SNAP_WRITE:
    case TOKEN_SNAP_FSYNC:
    case TOKEN_SNAP_CLOSE:
    case TOKEN_SNAP_RENAME:
    case TOKEN_SNAP_DIRSYNC:
        snap_step(r, ev->token, ev->result, out);
        break;
    default:
        if ((ev->token & 0xff) == TOKEN_SCRUB_LOG || (ev->token & 0xff) == TOKEN_SCRUB_META) {
            g_assert(r->scrub_reading > 0);
            r->scrub_reading--;
            for (uint32_t i = 0; i < ev->count; i++)
                scrub_checked(r, ev->token + ((uint64_t)i << 8), ev->results[i], &ev->blocks[i],
                              out);
        }
        break;
    }
}

static void handle_timer(Raft *r, const ProtoEvent *ev, ActionList *out)
{
    switch (ev->timer) {
    case TIMER_ELECTION:
        if (r->role == ROLE_LEADER)
            break;
        if (r->leader != ENDPOINT_NONE) {
            /* Not heard from for an election timeout: no longer a leader to send clients to
             * (a server the leader no longer replicates to, one removed or not yet added,
             * would otherwise send them to a server that lost its leadership, for good). */
            RMARK(r->init, LEADER_FORGOTTEN);
            r->leader = ENDPOINT_NONE;
        }
        start_election(r, out);
        break;
    case TIMER_HEARTBEAT: {
        if (r->role != ROLE_LEADER)
            break;
        /* Check quorum: a leader cut off from a majority steps down. */
        guint heard = self_votes(r) ? 1 : 0;
        SimTime window = raft_config(r->init.config)->election_timeout.hi;
        for (uint32_t v = members(r).voters & ~(1u << r->init.self); v; v &= v - 1)
            if (r->now - r->last_heard[__builtin_ctz(v)] <= window)
                heard++;
        if (heard < majority(r)) {
            RMARK(r->init, CHECK_QUORUM_STEP_DOWN);
            step_down(r, out);
            break;
        }
        /* A server that stalls while catching up is refused (thesis §4.2.1). */
        if (r->staging != ENDPOINT_NONE &&
            r->now - r->staging_round_start > r->init.config->request_timeout)
            staging_end(r, out);
        heartbeat_round(r, out);
        act_timer(out, TIMER_HEARTBEAT, raft_config(r->init.config)->heartbeat, 0);
        break;
    }
    case TIMER_BATCH:
        r->batch_timer = FALSE;
        if (r->role == ROLE_LEADER) {
            RMARK(r->init, BATCH_TIMER_FLUSH);
            flush_batch(r, out);
        }
        break;
    case TIMER_PROBE:
        if (r->damaged && !r->probe_done) {
            RMARK(r->init, REPAIR_PROBE_AGAIN);
            send_probes(r, out);
        }
        break;
    case TIMER_SCRUB:
        scrub_round(r, out);
        break;
    case TIMER_TRANSFER:
        if (r->transfer_to != ENDPOINT_NONE)
            transfer_end(r, FALSE, FAIL_BUSY, out);
        break;
    default:
        break;
    }
}

static void handle_stop(Raft *r, ActionList *out)
{
    /* A stopping server cannot know what becomes of what it appended. */
    if (r->proposals->len + r->batch_props->len + r->reads->len > 0)
        RMARK(r->init, STOP_IN_FLIGHT);
    for (guint i = 0; i < r->proposals->len; i++) {
        Proposal *p = &g_array_index(r->proposals, Proposal, i);
        reply_client(r, p->client, p->op, p->attempt, FALSE, FAIL_SHUTDOWN, FALSE, out);
    }
    g_array_set_size(r->proposals, 0);
    for (guint i = 0; i < r->batch_props->len; i++) {
        Proposal *p = &g_array_index(r->batch_props, Proposal, i);
        reply_client(r, p->client, p->op, p->attempt, FALSE, FAIL_SHUTDOWN, TRUE, out);
    }
    g_array_set_size(r->batch, 0);
    g_array_set_size(r->batch_props, 0);
    for (guint i = 0; i < r->reads->len; i++) {
        Read *q = &g_array_index(r->reads, Read, i);
        reply_client(r, q->client, q->op, q->attempt, FALSE, FAIL_SHUTDOWN, TRUE, out);
    }
    g_array_set_size(r->reads, 0);
    if (r->staging != ENDPOINT_NONE) {
        reply_proposal(r, &r->staging_op, FALSE, FAIL_SHUTDOWN, TRUE, out);
        r->staging = ENDPOINT_NONE;
    }
    if (r->transfer_to != ENDPOINT_NONE)
        transfer_end(r, FALSE, FAIL_SHUTDOWN, out);
}

static void raft_step(void *proto, const ProtoEvent *ev, ActionList *out)
{
    Raft *r = proto;
    r->now = ev->now;
    if (r->read_only && ev->kind != PEV_STOP)
        return; /* stopped until the next boot (a power cycle) */
    switch (ev->kind) {
    case PEV_BOOT:
        boot(r, ev, out);
        break;
    case PEV_DISK:
        handle_disk(r, ev, out);
        break;
    case PEV_TIMER:
        handle_timer(r, ev, out);
        break;
    case PEV_STOP:
        handle_stop(r, out);
        break;
    case PEV_MSG:
        switch (ev->msg->type) {
        case MSG_CLIENT_REQ:
            handle_client(r, ev->msg, out);
            break;
        case MSG_R_APPEND:
            handle_append(r, ev->msg, out);
            break;
        case MSG_R_APPEND_RESP:
            handle_append_resp(r, ev->msg, out);
            break;
        case MSG_R_VOTE:
            handle_vote(r, ev->msg, out);
            break;
        case MSG_R_VOTE_RESP:
            handle_vote_resp(r, ev->msg, out);
            break;
        case MSG_R_PROBE:
            handle_probe(r, ev->msg, out);
            break;
        case MSG_R_PROBE_RESP:
            handle_probe_resp(r, ev->msg, out);
            break;
        case MSG_R_TIMEOUT_NOW:
            handle_timeout_now(r, ev->msg, out);
            break;
        case MSG_R_SNAPSHOT:
            handle_snapshot(r, ev->msg, out);
            break;
        case MSG_R_SNAPSHOT_RESP:
            handle_snapshot_resp(r, ev->msg, out);
            break;
        default:
            break;
        }
        break;
    }
}

static void *raft_create(const ProtoInit *init)
{
    Raft *r = g_new0(Raft, 1);
    r->init = *init;
    if (!r->init.marks)
        r->init.marks = mark_sink();
    r->n = init->nodes;
    r->base = raft_members_bootstrap(init->config);
    r->configs = g_array_new(FALSE, FALSE, sizeof(ConfigAt));
    r->staging = ENDPOINT_NONE;
    r->transfer_to = ENDPOINT_NONE;
    members_changed(r);
    r->voted_for = ENDPOINT_NONE;
    r->leader = ENDPOINT_NONE;
    r->role = ROLE_FOLLOWER;
    chunks_init(&r->log, sizeof(LogEntry));
    action_list_init(&r->gated);
    r->waiting = g_array_new(FALSE, FALSE, sizeof(WaitingAck));
    r->proposals = g_array_new(FALSE, FALSE, sizeof(Proposal));
    r->reads = g_array_new(FALSE, FALSE, sizeof(Read));
    r->batch = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    r->batch_props = g_array_new(FALSE, FALSE, sizeof(Proposal));
    r->kv = g_new0(Value, init->keys);
    r->present = g_new0(uint8_t, init->keys);
    r->sessions = g_new0(uint32_t, init->clients);
    r->handled = g_new0(Handled, MAX(init->clients, 1));
    r->named = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    r->trunc_low = UINT64_MAX;
    SegLogConfig store = {.dir = RAFT_LOG_DIR,
                          .seg_blocks = raft_config(init->config)->segment_entries,
                          .fd_root = RAFT_FD_ROOT,
                          .fd_dir = RAFT_FD_LOG,
                          .fd_scratch = RAFT_FD_SCRATCH,
                          .fd_first = RAFT_FD_SEG_FIRST,
                          .nfds = RAFT_FD_SEGS,
                          .internal = TOKEN_STORE,
                          .skip_dir_fsync = BUG_ON(init->bugs, RAFT_BUG_MISSING_DIR_FSYNC),
                          .unlink_from_end = TRUE};
    seglog_init(&r->store, &store);
    r->log_start = 1;
    r->snap_blocks = g_array_new(FALSE, FALSE, sizeof(DiskBlock));
    r->pend_blocks = g_array_new(FALSE, FALSE, sizeof(DiskBlock));
    r->inst_from = ENDPOINT_NONE;
    return r;
}

static void raft_destroy(void *proto)
{
    Raft *r = proto;
    chunks_clear(&r->log);
    seglog_clear(&r->store);
    g_array_free(r->configs, TRUE);
    action_list_clear(&r->gated);
    g_array_free(r->waiting, TRUE);
    g_array_free(r->proposals, TRUE);
    g_array_free(r->reads, TRUE);
    g_array_free(r->batch, TRUE);
    g_array_free(r->batch_props, TRUE);
    g_free(r->kv);
    g_free(r->present);
    g_free(r->sessions);
    g_free(r->handled);
    g_hash_table_unref(r->named);
    g_array_free(r->snap_blocks, TRUE);
    g_array_free(r->pend_blocks, TRUE);
    g_free(r);
}

static NodeRole raft_role(const void *proto)
{
    return ((const Raft *)proto)->role;
}

/* log[i].index == i + 1 holds by construction (an entry's index is its position; log_push
 * asserts every entry enters at the next position). */
static void raft_check(const void *proto, gboolean thorough)
{
    const Raft *r = proto;
    if (thorough) {
        for (uint64_t i = MAX(2, r->log_start); i <= last_index(r); i++)
            g_assert(term_at(r, i) >= term_at(r, i - 1));
        g_assert(r->log_start >= 1 && r->log_start <= last_index(r) + 1);
        g_assert(r->snap.index <= r->applied || r->init.bugs != 0);
        g_assert(r->log_start <= r->snap.index + 1 || r->init.bugs != 0);
    }
    g_assert(r->commit <= last_index(r));
    if (r->init.bugs == 0)
        g_assert(r->applied <= r->commit); /* a bug can truncate what was applied */
    g_assert(r->durable <= last_index(r));
    if (r->role == ROLE_LEADER)
        g_assert(r->voted_for == r->init.self || r->won_alone);
}

const ProtoOps raft_ops = {
    .name = "raft",
    .nfiles = 0, /* it names its files itself (raft.h) */
    .create = raft_create,
    .destroy = raft_destroy,
    .step = raft_step,
    .role = raft_role,
    .check = raft_check,
};
