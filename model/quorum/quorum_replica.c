/* model/quorum/quorum_replica.c — a quorum storage node (r1..): stores writes durably and says so
 * only once they are, answers reads from durable state, repairs itself, converges with its peers.
 *
 * Write path: append each new record to the data log, wait for the writes, mark
 * `replica.written`, fsync, and only when that fsync succeeded mark `replica.synced`, ack, mark
 * `replica.acked`. The disk serves operations in order, so an fsync covers every write submitted
 * before it. A failed fsync fails every such record not yet durable: on Linux their pages may
 * already be marked clean, so fsyncing again would return 0 and prove nothing. The replica
 * reports the failure, forgets the records and appends a VOID marker for each (made durable by
 * the next successful fsync), so that a retry rewrites them and a restart that reads them back
 * from the page cache ignores them.
 *
 * Boot: rebuild from the log; torn blocks (incomplete, so never acked) are skipped; a corrupt or
 * unreadable block, or a lost disk (no identity block), means acknowledged data may be gone: the
 * replica then repairs itself from every peer (anti-entropy) before it answers reads. In every
 * case it fsyncs before trusting what it read, since after a process crash the page cache can
 * hold writes that never reached the disk; if that fsync fails it writes everything again.
 *
 * Scrub: every few hundred milliseconds the replica reads back a slice of its log and checks
 * each block against what it wrote there; a live record whose block went bad (a latent sector
 * error, silent corruption) is written again from memory, so that latent damage is repaired
 * before a crash could make it matter, and replicas converge on disk, not only in memory.
 *
 * Invariants (check): every record in a key state or in the hints has an entry in the record
 * table; in-flight records are exactly the table's non-durable entries.
 */
#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/idem_table.h"
#include "model/quorum/ring.h"
#include "sim/engine/chunks.h"

#include <string.h>

enum {
    TIMER_SYNC = 0,    /* anti-entropy round */
    TIMER_HANDOFF = 1, /* hinted handoff attempt */
    TIMER_SCRUB = 2,   /* read back a slice of the log */
};

#define SCRUB_EVERY       sim_range(300 * SIM_MS, 600 * SIM_MS)
#define SCRUB_BATCH       16
#define READ_TOKEN(block) ((uint64_t)1 << 62 | (block))

/* What the replica wrote at a block, for the scrub. */
typedef struct {
    uint8_t type;    /* QBLK_*, 0 for nothing known */
    uint32_t target; /* VOID: the voided block */
    IdemKey idem;    /* DATA, HINT, HINT_DONE */
} BlockUse;

#define SYNC_EVERY sim_range(200 * SIM_MS, 400 * SIM_MS)
/* Anti-entropy compares only keys that have been quiet here for this long (every record
 * durable, none made durable since): a write still on its way to the other replicas is the
 * write path's business, not a divergence. */
#define SYNC_GRACE    (50 * SIM_MS)
#define HANDOFF_EVERY sim_range(100 * SIM_MS, 200 * SIM_MS)

typedef struct {
    QRecord rec; /* first: record sets operate on it */
    uint32_t block;
    uint8_t durable;
    SimTime durable_at; /* the replica's clock when it became durable (or was read back) */
} Stored;

/* What the replica knows of one record, by idempotency key. */
typedef struct {
    KeyId key;
    uint32_t block;
    uint8_t durable;
    uint8_t hinted;
    uint8_t copies; /* > 1 only with the no-dedup bug */
} Meta;

typedef struct {
    uint64_t wseq;
    IdemKey idem;
    uint32_t block;
    uint8_t copy; /* a record read back at boot (or its rewritten copy): never forgotten, only
                     written again until an fsync covers it */
} Inflight;

typedef enum { PEND_ACK, PEND_SYNC, PEND_BOOT } PendKind;

/* One write message (or sync batch, or boot check) being made durable. */
typedef struct {
    uint32_t id;
    uint8_t kind;  /* PendKind */
    uint8_t wkind; /* QWriteKind, echoed in acks */
    uint8_t acked_early;
    uint8_t write_failed;
    uint8_t verify; /* the first fsync after boot, which vouches for what was read back */
    uint8_t repair; /* a batch of records learned while repairing (counted in repair_writes) */
    EndpointId from;
    uint64_t req;
    uint16_t attempt;
    EndpointId hint_for;
    uint32_t writes_left;
    uint64_t cover; /* the fsync covers writes up to this sequence number */
    GArray *idems;  /* of IdemKey: the records this message asked for */
} Pending;

typedef struct {
    uint64_t req;
    EndpointId target;
    GArray *idems; /* of IdemKey */
} Handoff;

typedef struct {
    ProtoInit init;
    Ring *ring;
    uint64_t *key_peers; /* per key: the other replicas of it, if this node is one (else 0) */
    GArray **keys;       /* per KeyId: GArray of Stored, normalized; NULL until used */
    IdemTable table;     /* IdemKey -> Meta; lookups only, never iterated */
    GArray *hints;       /* of Stored: records held for other replicas */
    GArray *inflight;    /* of Inflight, by wseq */
    GArray *unverified;  /* of Inflight: records read back at boot, durable only once an fsync
                            after the boot succeeded */
    GPtrArray *pending;  /* of Pending*, in arrival order */
    GPtrArray *spare;    /* of Pending*: finished ones, kept for reuse (bounded) */
    GPtrArray *handoffs;
    uint32_t log_len;
    Chunks uses;            /* of BlockUse, by block */
    SimTime now;            /* the node's clock at the step being taken */
    gboolean handoff_armed; /* the handoff timer is set: only while there are hints */
    EndpointId sync_last;   /* the peer the last anti-entropy round compared with */
    uint32_t scrub_cursor;
    guint scrub_reading; /* reads of the current scrub batch not back yet */
    uint64_t next_wseq;
    uint32_t next_pending;
    uint32_t next_handoff;
    gboolean ready;       /* answers reads */
    gboolean boot_synced; /* a boot fsync has succeeded since this incarnation started */
    gboolean repairing;   /* data may be lost: waiting for every peer's records */
    uint64_t repair_wait; /* peers whose records have not arrived yet */
    guint repair_writes;  /* sync batches of the repair still being made durable */
    uint64_t peers;
} Replica;

/* ---- records ---- */

static GArray *key_state(Replica *r, KeyId key)
{
    g_assert(key < r->init.keys);
    if (!r->keys[key])
        r->keys[key] = g_array_new(FALSE, FALSE, sizeof(Stored));
    return r->keys[key];
}

static Meta *meta_of(Replica *r, IdemKey idem)
{
    return idem_table_lookup(&r->table, idem);
}

static Stored *find_stored(GArray *set, IdemKey idem)
{
    for (guint i = 0; i < set->len; i++) {
        Stored *s = &g_array_index(set, Stored, i);
        if (s->rec.idem == idem)
            return s;
    }
    return NULL;
}

static void remove_stored(GArray *set, IdemKey idem)
{
    for (guint i = set->len; i-- > 0;)
        if (g_array_index(set, Stored, i).rec.idem == idem)
            g_array_remove_index(set, i);
}

/* Remembers what block `block` holds: `b`, sealed here just now, or (read_back) read back from
 * the disk, when it may be damaged. */
static void note_use(Replica *r, uint32_t block, const DiskBlock *b, gboolean read_back)
{
    if (block >= r->uses.len)
        chunks_set_size(&r->uses, block + 1);
    BlockUse *u = chunks_at(&r->uses, block);
    QBlock qb;
    *u = (BlockUse){0};
    if (!read_back)
        quorum_parse_sealed(b, &qb);
    else if (quorum_decode(b, &qb) != BLOCK_OK)
        return;
    u->type = (uint8_t)qb.type;
    u->idem = qb.type == QBLK_HINT_DONE ? qb.idem : qb.rec.idem;
    u->target = qb.block;
}

/* Appends a block; its completion comes back as a write token naming pending `pid` (0: none). */
static uint32_t append(Replica *r, ActionList *out, const DiskBlock *b, uint32_t pid)
{
    uint32_t block = r->log_len++;
    act_write(out, QUORUM_FILE_DATA, block, b, (uint64_t)block << 32 | pid);
    note_use(r, block, b, FALSE);
    return block;
}

#define FSYNC_TOKEN(pid) ((uint64_t)1 << 63 | (pid))

/* A key's records, sorted by version, minus what its newest durable put or delete supersedes.
 * Only a durable base may prune: a put still in flight can fail, and reads answer from durable
 * records only. */
static void normalize_durable(GArray *set)
{
    /* Insertion sort (stable, as qset_sort): the set is sorted but for the record just added. */
    for (guint i = 1; i < set->len; i++) {
        Stored *a = &g_array_index(set, Stored, 0);
        if (qrecord_cmp(&a[i - 1].rec, &a[i].rec) <= 0)
            continue;
        Stored moving = a[i];
        guint j = i;
        while (j > 0 && qrecord_cmp(&a[j - 1].rec, &moving.rec) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = moving;
    }
    for (guint i = set->len; i-- > 0;) {
        const Stored *s = &g_array_index(set, Stored, i);
        if (s->durable && (s->rec.op == OP_PUT || s->rec.op == OP_DELETE)) {
            if (i > 0)
                g_array_remove_range(set, 0, i);
            return;
        }
    }
}

static gboolean superseded_durable(const GArray *set, const QRecord *rec)
{
    for (guint i = 0; i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        if (s->durable && (s->rec.op == OP_PUT || s->rec.op == OP_DELETE) &&
            version_cmp(s->rec.version, rec->version) > 0)
            return TRUE;
    }
    return FALSE;
}

/* Sets the handoff timer unless it is set already. */
static void arm_handoff(Replica *r, ActionList *out)
{
    if (r->handoff_armed)
        return;
    act_timer(out, TIMER_HANDOFF, sim_rng_duration(r->init.rng, HANDOFF_EVERY), 0);
    r->handoff_armed = TRUE;
}

/* Puts a record in memory (key state or hints) and in the table. */
static void remember(Replica *r, const QRecord *rec, uint32_t block, gboolean durable)
{
    Stored s = {*rec, block, (uint8_t)durable, r->now};
    s.rec.copy = 0; /* in memory a record is just the write */
    if (rec->hinted) {
        g_array_append_val(r->hints, s);
    } else {
        GArray *set = key_state(r, rec->key);
        if (!superseded_durable(set, rec)) {
            g_array_append_val(set, s);
            normalize_durable(set);
        }
    }
    Meta *m = meta_of(r, rec->idem);
    if (m) {
        m->copies++;
        m->block = block;
        m->durable = (uint8_t)durable;
        return;
    }
    m = idem_table_insert(&r->table, rec->idem);
    *m = (Meta){rec->key, block, (uint8_t)durable, rec->hinted, 1};
}

/* Forgets a record that did not become durable, so a retry rewrites it. */
static void forget(Replica *r, IdemKey idem, uint32_t block, gboolean in_cache, ActionList *out)
{
    Meta *m = meta_of(r, idem);
    if (m == NULL || m->block != block)
        return;
    remove_stored(m->hinted ? r->hints : key_state(r, m->key), idem);
    idem_table_remove(&r->table, idem);
    if (in_cache) {
        /* The page cache may still show it, marked clean: make a restart ignore it. */
        DiskBlock b;
        quorum_encode_void(&b, block);
        append(r, out, &b, 0);
    }
}

static void mark_durable(Replica *r, IdemKey idem, uint32_t block)
{
    Meta *m = meta_of(r, idem);
    if (m == NULL || m->block != block)
        return;
    m->durable = 1;
    GArray *set = m->hinted ? r->hints : key_state(r, m->key);
    Stored *s = find_stored(set, idem);
    if (s) {
        s->durable = 1;
        s->durable_at = r->now;
        if (!m->hinted)
            normalize_durable(set);
    }
}

/* ---- the write path ---- */

static Pending *pending_new(Replica *r, PendKind kind)
{
    GArray *idems = NULL;
    Pending *p;
    if (r->spare->len > 0) {
        p = g_ptr_array_steal_index_fast(r->spare, r->spare->len - 1);
        idems = p->idems;
        g_array_set_size(idems, 0);
        memset(p, 0, sizeof *p);
    } else {
        p = g_new0(Pending, 1);
        idems = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    }
    p->id = ++r->next_pending;
    p->kind = (uint8_t)kind;
    p->hint_for = ENDPOINT_NONE;
    p->idems = idems;
    g_ptr_array_add(r->pending, p);
    return p;
}

static void pending_free(Pending *p)
{
    g_array_free(p->idems, TRUE);
    g_free(p);
}

static Pending *pending_find(Replica *r, uint32_t id)
{
    for (guint i = 0; i < r->pending->len; i++) {
        Pending *p = g_ptr_array_index(r->pending, i);
        if (p->id == id)
            return p;
    }
    return NULL;
}

static void pending_remove(Replica *r, Pending *p)
{
    g_ptr_array_remove(r->pending, p); /* keeps arrival order */
    if (r->spare->len < 64)
        g_ptr_array_add(r->spare, p);
    else
        pending_free(p);
}

/* Stores one record for pending p: appends it unless its idempotency key is already applied. */
static void store_record(Replica *r, Pending *p, const QRecord *rec, ActionList *out)
{
    g_array_append_val(p->idems, rec->idem);
    /* Deduplicate by idempotency key: a retried write lands once. */
    const Meta *m = BUG_ON(r->init.bugs, QUORUM_BUG_NO_DEDUP) ? NULL : meta_of(r, rec->idem);
    if (m != NULL) {
        const Stored *held = m->hinted ? find_stored(r->hints, rec->idem) : NULL;
        if (rec->hinted && held && held->rec.hint_for != rec->hint_for) {
            /* Held only as a hint for another node, and dropped once that node has it: one
             * record cannot stand for two. Refuse, so that the coordinator asks the next
             * standby instead of counting this copy twice. */
            QMARK(r->init, REPLICA_STORE_HINT_CONFLICT);
            p->write_failed = 1;
        } else if (m->durable) {
            QMARK(r->init, REPLICA_STORE_DEDUP);
        } else {
            QMARK(r->init, REPLICA_STORE_DEDUP_PENDING);
        }
        return; /* already applied; p's fsync covers it if it is still in flight */
    }
    DiskBlock b;
    quorum_encode_record(&b, rec);
    uint32_t block = append(r, out, &b, p->id);
    remember(r, rec, block, FALSE);
    if (rec->hinted) {
        QMARK(r->init, REPLICA_STORE_HINT);
        arm_handoff(r, out);
    } else {
        QMARK(r->init, REPLICA_STORE_NEW);
    }
    Inflight f = {++r->next_wseq, rec->idem, block, 0};
    g_array_append_val(r->inflight, f);
    p->writes_left++;
}

static void send_ack(Replica *r, Pending *p, QAckStatus status, ActionList *out)
{
    Msg *m = msg_new(MSG_Q_WRITE_ACK, r->init.self, p->from);
    quorum_body(m)->qack = (QWriteAck){
        .req = p->req,
        .attempt = p->attempt,
        .status = (uint8_t)status,
        .kind = p->wkind,
        .idem = p->idems->len ? g_array_index(p->idems, IdemKey, 0) : IDEM_NONE,
        .hint_for = p->hint_for,
    };
    act_send(out, m);
}

static void issue_fsync(Replica *r, Pending *p, ActionList *out)
{
    p->cover = r->next_wseq;
    act_fsync(out, QUORUM_FILE_DATA, FSYNC_TOKEN(p->id));
}

/* All of p's writes completed: fsync (after the `written` failpoint for client writes). */
static void writes_done(Replica *r, Pending *p, ActionList *out)
{
    gboolean client = p->kind == PEND_ACK && p->wkind == QW_CLIENT;
    if (client)
        act_failpoint(out, QUORUM_FP_REPLICA_WRITTEN);
    if (BUG_ON(r->init.bugs, QUORUM_BUG_ACK_BEFORE_FSYNC) && p->kind == PEND_ACK &&
        !p->write_failed) {
        send_ack(r, p, QACK_DURABLE, out); /* the bug: the ack goes out before the fsync */
        p->acked_early = 1;
    }
    issue_fsync(r, p, out);
}

static void handle_write(Replica *r, const Msg *m, ActionList *out)
{
    Pending *p = pending_new(r, PEND_ACK);
    p->from = m->from;
    p->req = quorum_body(m)->qw.req;
    p->attempt = quorum_body(m)->qw.attempt;
    p->wkind = quorum_body(m)->qw.kind;
    p->hint_for = quorum_body(m)->qw.hinted ? quorum_body(m)->qw.hint_for : ENDPOINT_NONE;
    if (p->wkind == QW_CLIENT)
        QMARK(r->init, REPLICA_WRITE_CLIENT);
    else if (p->wkind == QW_REPAIR)
        QMARK(r->init, REPLICA_WRITE_REPAIR);
    else
        QMARK(r->init, REPLICA_WRITE_HANDOFF);
    const QRecord *recs = quorum_msg_records(m);
    for (uint32_t i = 0; i < m->extra_count; i++) {
        QRecord rec = recs[i];
        rec.hinted = quorum_body(m)->qw.hinted;
        rec.hint_for = quorum_body(m)->qw.hinted ? quorum_body(m)->qw.hint_for : ENDPOINT_NONE;
        store_record(r, p, &rec, out);
    }
    if (p->writes_left == 0)
        writes_done(r, p, out);
}

/* Records learned from a peer (anti-entropy, repair); made durable, never acked. */
static void apply_sync_records(Replica *r, const QRecord *recs, uint32_t n, ActionList *out)
{
    Pending *p = pending_new(r, PEND_SYNC);
    for (uint32_t i = 0; i < n; i++) {
        if (recs[i].op == OP_NOOP)
            continue; /* a key marker */
        QRecord rec = recs[i];
        rec.hinted = 0;
        rec.hint_for = ENDPOINT_NONE;
        store_record(r, p, &rec, out);
    }
    if (p->writes_left == 0) {
        /* Nothing new: what we already hold is covered by its own fsync. */
        QMARK(r->init, REPLICA_SYNC_NOTHING_NEW);
        pending_remove(r, p);
        return;
    }
    QMARK(r->init, REPLICA_SYNC_LEARNED);
    if (r->repairing) {
        QMARK(r->init, REPLICA_REPAIR_BATCH);
        p->repair = 1;
        r->repair_writes++;
    }
}

static void write_completed(Replica *r, uint32_t pending_id, uint32_t block, int result,
                            ActionList *out)
{
    Pending *p = pending_find(r, pending_id);
    if (result != 0) {
        /* write() failed: nothing reached even the page cache. */
        for (guint i = 0; i < r->inflight->len; i++) {
            Inflight *f = &g_array_index(r->inflight, Inflight, i);
            if (f->block == block) {
                if (f->copy) {
                    QMARK(r->init, REPLICA_WRITE_EIO_COPY);
                    g_array_append_val(r->unverified, *f); /* written again, later */
                } else {
                    QMARK(r->init, REPLICA_WRITE_EIO);
                    forget(r, f->idem, block, FALSE, out);
                }
                g_array_remove_index(r->inflight, i);
                break;
            }
        }
        if (p)
            p->write_failed = 1;
    }
    if (p == NULL || p->writes_left == 0)
        return;
    if (--p->writes_left == 0)
        writes_done(r, p, out);
}

static void start_repair(Replica *r, ActionList *out);
static void repair_check(Replica *r, ActionList *out);
static void scrub_checked(Replica *r, uint32_t block, int result, const DiskBlock *b,
                          ActionList *out);

/* The fsync after boot failed: nothing read back can be trusted as durable. Write a copy of
 * every record again (marked as a copy: the same write, not a new one) and fsync again. */
static void rewrite_unverified(Replica *r, ActionList *out)
{
    Pending *p = pending_new(r, PEND_BOOT);
    QMARK(r->init, REPLICA_BOOT_REWRITE);
    for (guint i = 0; i < r->unverified->len; i++) {
        Inflight u = g_array_index(r->unverified, Inflight, i);
        Meta *m = meta_of(r, u.idem);
        if (m == NULL || m->block != u.block)
            continue;
        Stored *s = find_stored(m->hinted ? r->hints : key_state(r, m->key), u.idem);
        if (s == NULL)
            continue;
        QRecord rec = s->rec;
        rec.copy = 1;
        DiskBlock b;
        quorum_encode_record(&b, &rec);
        uint32_t block = append(r, out, &b, p->id);
        m->block = block;
        s->block = block;
        Inflight f = {++r->next_wseq, u.idem, block, 1};
        g_array_append_val(r->inflight, f);
        p->writes_left++;
    }
    g_array_set_size(r->unverified, 0);
    if (p->writes_left == 0)
        writes_done(r, p, out);
}

/* An fsync issued for p finished. */
static void fsync_completed(Replica *r, Pending *p, int result, ActionList *out)
{
    if (result != 0 && BUG_ON(r->init.bugs, QUORUM_BUG_RETRY_FSYNC) && p->kind == PEND_ACK) {
        issue_fsync(r, p, out); /* the bug: fsync again and trust the 0 */
        return;
    }
    gboolean failed = result != 0 || (p->kind == PEND_BOOT && p->write_failed);
    if (p->kind == PEND_BOOT && !failed && p->verify) {
        for (guint i = 0; i < r->unverified->len; i++) {
            Inflight u = g_array_index(r->unverified, Inflight, i);
            mark_durable(r, u.idem, u.block);
        }
        g_array_set_size(r->unverified, 0);
    }
    /* Every write submitted before this fsync is now durable, or (on error) lost: a lost record
     * is forgotten (so that a retry writes it again), a lost copy of what boot read back is
     * written again (nothing else holds it). */
    guint keep = 0, recopy = 0;
    for (guint i = 0; i < r->inflight->len; i++) {
        Inflight f = g_array_index(r->inflight, Inflight, i);
        if (f.wseq > p->cover) {
            g_array_index(r->inflight, Inflight, keep++) = f;
        } else if (!failed) {
            mark_durable(r, f.idem, f.block);
        } else if (f.copy) {
            QMARK(r->init, REPLICA_FSYNC_FAILED_RECOPY);
            g_array_append_val(r->unverified, f);
            recopy++;
        } else {
            QMARK(r->init, REPLICA_FSYNC_FAILED_FORGET);
            forget(r, f.idem, f.block, TRUE, out);
        }
    }
    g_array_set_size(r->inflight, keep);
    PendKind kind = p->kind;
    gboolean repair_batch = p->repair;
    if (kind == PEND_ACK) {
        gboolean durable = !p->write_failed;
        for (guint i = 0; durable && i < p->idems->len; i++) {
            const Meta *m = meta_of(r, g_array_index(p->idems, IdemKey, i));
            durable = m != NULL && m->durable;
        }
        if (p->write_failed) {
            QMARK(r->init, REPLICA_ACK_WRITE_FAILED);
            send_ack(r, p, QACK_WRITE_FAILED, out);
        } else if (!durable) {
            QMARK(r->init, REPLICA_ACK_SYNC_FAILED);
            send_ack(r, p, QACK_SYNC_FAILED, out);
        } else if (!p->acked_early) {
            QMARK(r->init, REPLICA_ACK_DURABLE);
            gboolean client = p->wkind == QW_CLIENT;
            if (client)
                act_failpoint(out, QUORUM_FP_REPLICA_SYNCED);
            send_ack(r, p, QACK_DURABLE, out);
            if (client)
                act_failpoint(out, QUORUM_FP_REPLICA_ACKED);
        }
    }
    pending_remove(r, p);
    if (recopy > 0 || (kind == PEND_BOOT && failed))
        rewrite_unverified(r, out); /* what boot read back, written again */
    if (kind == PEND_BOOT) {
        if (failed)
            QMARK(r->init, REPLICA_BOOT_FSYNC_FAILED);
        if (failed || r->boot_synced)
            return; /* ready only once, when a boot fsync first succeeds */
        QMARK(r->init, REPLICA_BOOT_READY);
        r->boot_synced = TRUE;
        if (r->repairing)
            start_repair(r, out);
        else
            r->ready = TRUE;
    } else if (repair_batch && r->repairing) {
        g_assert(r->repair_writes > 0);
        r->repair_writes--;
        if (result != 0) {
            QMARK(r->init, REPLICA_REPAIR_BATCH_LOST);
            start_repair(r, out); /* what arrived was lost again: ask again */
        } else
            repair_check(r, out);
    }
}

static void handle_disk(Replica *r, const ProtoEvent *ev, ActionList *out)
{
    /* Write tokens: block << 32 | pending id; fsync tokens: FSYNC_TOKEN(pending id); reads:
     * READ_TOKEN(block). */
    if ((ev->token >> 62) == 1) {
        g_assert(r->scrub_reading > 0);
        r->scrub_reading--;
        for (uint32_t i = 0; i < ev->count; i++)
            scrub_checked(r, (uint32_t)ev->token + i, ev->results[i], &ev->blocks[i], out);
        return;
    }
    uint32_t pending_id = (uint32_t)ev->token;
    if (ev->token >> 63) {
        Pending *p = pending_find(r, pending_id);
        if (p)
            fsync_completed(r, p, ev->result, out);
        return;
    }
    write_completed(r, pending_id, (uint32_t)(ev->token >> 32), ev->result, out);
}

/* ---- reads ---- */

static void handle_read(Replica *r, const Msg *m, ActionList *out)
{
    Msg *resp = msg_new(MSG_Q_READ_RESP, r->init.self, m->from);
    quorum_body(resp)->qrr = (QReadResp){.req = quorum_body(m)->qr.req,
                                         .attempt = quorum_body(m)->qr.attempt,
                                         .key = quorum_body(m)->qr.key,
                                         .ready = r->ready};
    if (!r->ready)
        QMARK(r->init, REPLICA_READ_NOT_READY);
    else
        QMARK(r->init, REPLICA_READ_ANSWERED);
    if (r->ready && quorum_body(m)->qr.key < r->init.keys && r->keys[quorum_body(m)->qr.key]) {
        /* Only durable records: a read must never see what a crash could still take away. */
        GArray *set = r->keys[quorum_body(m)->qr.key];
        QRecord *recs = g_new(QRecord, set->len ? set->len : 1);
        uint32_t n = 0;
        for (guint i = 0; i < set->len; i++) {
            const Stored *st = &g_array_index(set, Stored, i);
            if (st->durable)
                recs[n++] = st->rec;
        }
        msg_take_extra(resp, recs, n, sizeof(QRecord));
    }
    act_send(out, resp);
}

/* ---- anti-entropy ---- */

/* The durable records of one key as a plain record array; caller frees. */
/* Anti-entropy compares the keys quiet since `cut`: every key when a repairing replica is
 * involved (it must get everything), else those quiet for SYNC_GRACE. */
static SimTime sync_cut(const Replica *r, gboolean repair)
{
    return repair ? SIM_TIME_NEVER : r->now - SYNC_GRACE;
}

/* Whether the key has been quiet here since `cut`: every record durable, none since then. */
static gboolean key_quiet(const Replica *r, KeyId key, SimTime cut)
{
    const GArray *set = r->keys[key];
    if (cut == SIM_TIME_NEVER || set == NULL)
        return TRUE;
    for (guint i = 0; i < set->len; i++) {
        const Stored *st = &g_array_index(set, Stored, i);
        if (!st->durable || st->durable_at > cut)
            return FALSE;
    }
    return TRUE;
}

static GArray *durable_set(Replica *r, KeyId key)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(QRecord));
    if (r->keys[key]) {
        GArray *set = r->keys[key];
        for (guint i = 0; i < set->len; i++) {
            const Stored *st = &g_array_index(set, Stored, i);
            if (st->durable)
                g_array_append_val(out, st->rec);
        }
    }
    return out;
}

/* The other replicas of a key, when this node is one of its replicas (placement is fixed). */
static uint64_t key_peers_of(const Replica *r, KeyId key)
{
    EndpointId walk[WORLD_MAX_NODES];
    ring_walk(r->ring, r->init.key_hashes[key], walk);
    uint64_t mask = 0;
    gboolean me = FALSE;
    for (guint i = 0; i < quorum_config(r->init.config)->replicas; i++) {
        me |= walk[i] == r->init.self;
        if (walk[i] != r->init.self)
            mask |= (uint64_t)1 << walk[i];
    }
    return me ? mask : 0;
}

static gboolean shares(const Replica *r, KeyId key, EndpointId peer)
{
    return (r->key_peers[key] >> peer) & 1;
}

/* The anti-entropy digest of a key's durable records, without copying them. */
static void durable_digest(const Replica *r, KeyId key, uint32_t *count, uint64_t *hash)
{
    *count = 0;
    *hash = 0;
    const GArray *set = r->keys[key];
    for (guint i = 0; set && i < set->len; i++) {
        const Stored *st = &g_array_index(set, Stored, i);
        if (st->durable) {
            (*count)++;
            *hash += qrecord_digest(&st->rec);
        }
    }
}

static void send_digests(Replica *r, EndpointId peer, ActionList *out)
{
    QDigest *digests = g_new(QDigest, MAX(r->init.keys, 1));
    guint n = 0;
    SimTime cut = sync_cut(r, r->repairing);
    for (KeyId k = 0; k < r->init.keys; k++) {
        if (!shares(r, k, peer) || !key_quiet(r, k, cut))
            continue;
        QDigest *d = &digests[n++];
        *d = (QDigest){k, 0, 0};
        durable_digest(r, k, &d->count, &d->hash);
    }
    if (n == 0 && !r->repairing) {
        QMARK(r->init, REPLICA_SYNC_ALL_BUSY);
        g_free(digests); /* every key busy: nothing to compare this round */
        return;
    }
    QMARK(r->init, REPLICA_SYNC_ROUND);
    Msg *m = msg_new(MSG_Q_SYNC, r->init.self, peer);
    quorum_body(m)->qs.reply = 1;
    quorum_body(m)->qs.answer = (uint8_t)r->repairing;
    msg_take_extra(m, digests, n, sizeof(QDigest));
    act_send(out, m);
}

/* A peer's digests: answer with our records of every key that differs, and a marker per key so
 * the peer sends its own back. A repairing peer is always answered, so that it knows it was
 * heard. */
static void handle_sync(Replica *r, const Msg *m, ActionList *out)
{
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(QRecord));
    SimTime cut = sync_cut(r, quorum_body(m)->qs.answer); /* its own clock: a peer's may differ */
    for (uint32_t i = 0; i < m->extra_count; i++) {
        const QDigest *d = &quorum_msg_digests(m)[i];
        if (d->key >= r->init.keys)
            continue;
        uint32_t count;
        uint64_t hash;
        if (!key_quiet(r, d->key, cut)) {
            QMARK(r->init, REPLICA_SYNC_KEY_BUSY);
            continue; /* written here since: the write path is still at work */
        }
        durable_digest(r, d->key, &count, &hash);
        if (count == d->count && hash == d->hash)
            continue;
        QMARK(r->init, REPLICA_SYNC_DIFFER);
        g_autoptr(GArray) set = durable_set(r, d->key);
        QRecord marker = {.key = d->key, .op = OP_NOOP};
        g_array_append_val(recs, marker);
        g_array_append_vals(recs, set->data, set->len);
    }
    if (recs->len == 0 && !quorum_body(m)->qs.answer) {
        g_array_free(recs, TRUE); /* nothing differs, and no repairing peer waits to hear */
        return;
    }
    if (recs->len == 0)
        QMARK(r->init, REPLICA_SYNC_ANSWER_REPAIRING);
    Msg *resp = msg_new(MSG_Q_SYNC_RECORDS, r->init.self, m->from);
    quorum_body(resp)->qs.reply = 1;
    guint n = recs->len;
    msg_take_extra(resp, g_array_free(recs, FALSE), n, sizeof(QRecord));
    act_send(out, resp);
}

static void handle_sync_records(Replica *r, const Msg *m, ActionList *out)
{
    const QRecord *recs = quorum_msg_records(m);
    apply_sync_records(r, recs, m->extra_count, out);
    if (quorum_body(m)->qs.reply) {
        /* Send ours for the keys the peer marked. */
        GArray *mine = g_array_new(FALSE, FALSE, sizeof(QRecord));
        for (uint32_t i = 0; i < m->extra_count; i++) {
            if (recs[i].op != OP_NOOP || recs[i].key >= r->init.keys)
                continue;
            g_autoptr(GArray) set = durable_set(r, recs[i].key);
            g_array_append_vals(mine, set->data, set->len);
        }
        if (mine->len > 0) {
            QMARK(r->init, REPLICA_SYNC_SEND_BACK);
            Msg *back = msg_new(MSG_Q_SYNC_RECORDS, r->init.self, m->from);
            guint n = mine->len;
            msg_take_extra(back, g_array_free(mine, FALSE), n, sizeof(QRecord));
            act_send(out, back);
        } else {
            g_array_free(mine, TRUE);
        }
        if (r->repairing && ((r->repair_wait >> m->from) & 1)) {
            QMARK(r->init, REPLICA_REPAIR_PEER_HEARD);
            r->repair_wait &= ~((uint64_t)1 << m->from);
            repair_check(r, out);
        }
    }
}

static void sync_round(Replica *r, ActionList *out)
{
    act_timer(out, TIMER_SYNC, sim_rng_duration(r->init.rng, SYNC_EVERY), 0);
    /* One peer per round, in turn (each pair is compared from both ends): a few digests, and
     * records only where they differ. Repairing after data loss, every peer not heard from yet,
     * every round. */
    if (r->repairing) {
        for (EndpointId p = 0; p < r->init.nodes; p++)
            if ((r->repair_wait >> p) & 1)
                send_digests(r, p, out);
        return;
    }
    for (guint k = 1; k <= r->init.nodes; k++) {
        EndpointId p = (EndpointId)((r->sync_last + k) % r->init.nodes);
        if ((r->peers >> p) & 1) {
            r->sync_last = p;
            send_digests(r, p, out);
            return;
        }
    }
}

/* ---- repair after data loss ---- */

static void start_repair(Replica *r, ActionList *out)
{
    QMARK(r->init, REPLICA_REPAIR_START);
    r->repairing = TRUE;
    r->ready = FALSE;
    r->repair_wait = r->peers;
    for (EndpointId p = 0; p < r->init.nodes; p++)
        if ((r->peers >> p) & 1)
            send_digests(r, p, out);
    repair_check(r, out);
}

static void repair_check(Replica *r, ActionList *out)
{
    if (!r->repairing || r->repair_wait != 0 || r->repair_writes != 0)
        return;
    QMARK(r->init, REPLICA_REPAIR_DONE);
    r->repairing = FALSE;
    r->ready = TRUE;
    act_note(out, NOTE_REPAIRED, r->log_len, 0, 0, 0);
}

/* ---- hinted handoff ---- */

static void handoff_round(Replica *r, ActionList *out)
{
    r->handoff_armed = FALSE;
    if (r->hints->len > 0)
        arm_handoff(r, out); /* the next round, as long as there are hints to hand back */
    /* Hints already on their way are not sent again until answered or the next round. */
    if (r->handoffs->len > 0)
        QMARK(r->init, REPLICA_HANDOFF_RESENT);
    for (guint i = 0; i < r->handoffs->len; i++) {
        Handoff *h = g_ptr_array_index(r->handoffs, i);
        g_array_free(h->idems, TRUE);
        g_free(h);
    }
    g_ptr_array_set_size(r->handoffs, 0);
    if (r->hints->len == 0)
        return;
    for (EndpointId target = 0; target < r->init.nodes; target++) {
        GArray *recs = g_array_new(FALSE, FALSE, sizeof(QRecord));
        Handoff *h = g_new0(Handoff, 1);
        h->idems = g_array_new(FALSE, FALSE, sizeof(IdemKey));
        for (guint i = 0; i < r->hints->len; i++) {
            const Stored *st = &g_array_index(r->hints, Stored, i);
            if (!st->durable && st->rec.hint_for == target)
                QMARK(r->init, REPLICA_HANDOFF_NOT_DURABLE);
            if (st->durable && st->rec.hint_for == target) {
                QRecord rec = st->rec;
                rec.hinted = 0;
                rec.hint_for = ENDPOINT_NONE;
                g_array_append_val(recs, rec);
                g_array_append_val(h->idems, rec.idem);
            }
        }
        if (recs->len == 0) {
            g_array_free(recs, TRUE);
            g_array_free(h->idems, TRUE);
            g_free(h);
            continue;
        }
        QMARK(r->init, REPLICA_HANDOFF_SENT);
        h->req = (uint64_t)r->init.incarnation << 32 | ++r->next_handoff;
        h->target = target;
        g_ptr_array_add(r->handoffs, h);
        Msg *m = msg_new(MSG_Q_WRITE, r->init.self, target);
        quorum_body(m)->qw = (QWrite){.req = h->req, .kind = QW_HANDOFF, .hint_for = ENDPOINT_NONE};
        guint n = recs->len;
        msg_take_extra(m, g_array_free(recs, FALSE), n, sizeof(QRecord));
        act_send(out, m);
    }
}

static void handle_ack(Replica *r, const Msg *m, ActionList *out)
{
    if (quorum_body(m)->qack.kind != QW_HANDOFF)
        return;
    if (quorum_body(m)->qack.status != QACK_DURABLE) {
        QMARK(r->init, REPLICA_HANDOFF_FAILED);
        return;
    }
    for (guint i = 0; i < r->handoffs->len; i++) {
        Handoff *h = g_ptr_array_index(r->handoffs, i);
        if (h->req != quorum_body(m)->qack.req || h->target != m->from)
            continue;
        /* The target holds them durably now: the hints are done. */
        QMARK(r->init, REPLICA_HANDOFF_DONE);
        for (guint k = 0; k < h->idems->len; k++) {
            IdemKey idem = g_array_index(h->idems, IdemKey, k);
            remove_stored(r->hints, idem);
            idem_table_remove(&r->table, idem);
            DiskBlock b;
            quorum_encode_hint_done(&b, idem, h->target);
            append(r, out, &b, 0);
            act_note(out, NOTE_HANDOFF, idem, h->target, 0, 0);
        }
        g_array_free(h->idems, TRUE);
        g_free(h);
        g_ptr_array_remove_index(r->handoffs, i);
        return;
    }
    QMARK(r->init, REPLICA_HANDOFF_UNKNOWN_ACK);
}

/* ---- scrub ---- */

/* Each round reads the next slice of the log (SCRUB_BATCH blocks, fewer at the end of the log)
 * as one device read, and checks every block of it. */

static void scrub_round(Replica *r, ActionList *out)
{
    act_timer(out, TIMER_SCRUB, sim_rng_duration(r->init.rng, SCRUB_EVERY), 0);
    /* One batch at a time: a slow disk must not drown in scrub reads. Only once the boot fsync
     * vouched for what memory holds; a repair still waiting for a peer does not stop it (a peer
     * down for good would stop it for ever, and damage found meanwhile would never be mended). */
    if (!r->boot_synced || r->scrub_reading > 0) {
        QMARK(r->init, REPLICA_SCRUB_BUSY);
        return;
    }
    if (r->log_len == 0)
        return;
    if (r->scrub_cursor >= r->log_len) {
        QMARK(r->init, REPLICA_SCRUB_WRAP);
        r->scrub_cursor = 0;
    }
    QMARK(r->init, REPLICA_SCRUB_READ);
    uint32_t count = MIN(SCRUB_BATCH, r->log_len - r->scrub_cursor);
    act_read(out, QUORUM_FILE_DATA, r->scrub_cursor, count, READ_TOKEN(r->scrub_cursor));
    r->scrub_cursor += count;
    r->scrub_reading++;
}

/* A block read back for the scrub: if it no longer holds what was written there and that still
 * matters, write it again. */
static void scrub_checked(Replica *r, uint32_t block, int result, const DiskBlock *b,
                          ActionList *out)
{
    if (block >= r->uses.len)
        return;
    BlockUse u = chunks_index(&r->uses, BlockUse, block);
    QBlock qb;
    gboolean intact = result == 0 && quorum_decode(b, &qb) == BLOCK_OK && qb.type == u.type;
    if (intact || u.type == 0)
        return;
    DiskBlock again;
    switch (u.type) {
    case QBLK_DATA:
    case QBLK_HINT: {
        Meta *m = meta_of(r, u.idem);
        if (m == NULL || m->block != block || !m->durable) {
            QMARK(r->init, REPLICA_SCRUB_STALE);
            return;
        }
        Stored *st = find_stored(m->hinted ? r->hints : key_state(r, m->key), u.idem);
        if (st == NULL) {
            QMARK(r->init, REPLICA_SCRUB_SUPERSEDED);
            return; /* superseded: nothing depends on it any more */
        }
        QMARK(r->init, REPLICA_SCRUB_REWRITE_RECORD);
        Pending *p = pending_new(r, PEND_SYNC);
        QRecord rec = st->rec;
        rec.copy = 1;
        quorum_encode_record(&again, &rec);
        uint32_t nb = append(r, out, &again, p->id);
        m->block = nb;
        m->durable = 0;
        st->block = nb;
        st->durable = 0;
        Inflight f = {++r->next_wseq, u.idem, nb, 0};
        g_array_append_val(r->inflight, f);
        p->writes_left = 1;
        break;
    }
    case QBLK_VOID:
        QMARK(r->init, REPLICA_SCRUB_REWRITE_VOID);
        quorum_encode_void(&again, u.target);
        append(r, out, &again, 0);
        break;
    case QBLK_HINT_DONE:
        QMARK(r->init, REPLICA_SCRUB_REWRITE_HINT_DONE);
        quorum_encode_hint_done(&again, u.idem, ENDPOINT_NONE);
        append(r, out, &again, 0);
        break;
    case QBLK_IDENT:
        QMARK(r->init, REPLICA_SCRUB_REWRITE_IDENT);
        quorum_encode_ident(&again, r->init.self);
        act_write(out, QUORUM_FILE_DATA, block, &again, 0);
        break;
    default:
        break;
    }
}

/* ---- boot ---- */

static void boot(Replica *r, const ProtoEvent *ev, ActionList *out)
{
    const ProtoDiskImage *img = ev->image;
    uint32_t len = img->len[QUORUM_FILE_DATA];
    const DiskBlock *blocks = img->blocks[QUORUM_FILE_DATA];
    const int *errors = img->errors[QUORUM_FILE_DATA];
    r->log_len = len;
    for (uint32_t i = 0; i < len; i++)
        if (errors[i] == 0)
            note_use(r, i, &blocks[i], TRUE);
    gboolean damaged = FALSE;
    uint32_t first_bad = UINT32_MAX;
    QBlock qb;
    if (len == 0 || errors[0] != 0 || quorum_decode(&blocks[0], &qb) != BLOCK_OK ||
        qb.type != QBLK_IDENT) {
        /* No identity block: a new node, or a lost disk (or a lost first block). */
        damaged = !ev->first_boot;
        first_bad = 0;
        if (damaged)
            QMARK(r->init, REPLICA_BOOT_LOST_DISK);
    }
    if (ev->first_boot)
        QMARK(r->init, REPLICA_BOOT_FIRST);
    else
        QMARK(r->init, REPLICA_BOOT_RESTART);
    /* Pass 1: voided blocks and finished hints. */
    GHashTable *voided = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTable *done = g_hash_table_new(g_int64_hash, g_int64_equal);
    GArray *done_keys = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    for (uint32_t i = 0; i < len; i++) {
        if (errors[i] != 0)
            continue;
        if (quorum_decode(&blocks[i], &qb) != BLOCK_OK)
            continue;
        if (qb.type == QBLK_VOID)
            g_hash_table_add(voided, GUINT_TO_POINTER(qb.block + 1));
        else if (qb.type == QBLK_HINT_DONE)
            g_array_append_val(done_keys, qb.idem);
    }
    for (guint i = 0; i < done_keys->len; i++)
        g_hash_table_add(done, &g_array_index(done_keys, IdemKey, i));
    /* Pass 2: records. */
    Pending *p = pending_new(r, PEND_BOOT);
    p->verify = 1;
    for (uint32_t i = 0; i < len; i++) {
        BlockCheck c = errors[i] != 0 ? BLOCK_CORRUPT : quorum_decode(&blocks[i], &qb);
        if (c == BLOCK_TORN)
            QMARK(r->init, REPLICA_BOOT_TORN);
        if (c == BLOCK_TORN || c == BLOCK_EMPTY)
            continue; /* cut short by a crash before its fsync: never acked */
        if (c == BLOCK_CORRUPT) {
            QMARK(r->init, REPLICA_BOOT_CORRUPT);
            damaged = TRUE;
            first_bad = MIN(first_bad, i);
            continue;
        }
        if (qb.type != QBLK_DATA && qb.type != QBLK_HINT)
            continue;
        if (g_hash_table_contains(voided, GUINT_TO_POINTER(i + 1))) {
            QMARK(r->init, REPLICA_BOOT_VOIDED);
            continue;
        }
        if (qb.type == QBLK_HINT && g_hash_table_contains(done, &qb.rec.idem)) {
            QMARK(r->init, REPLICA_BOOT_HINT_DONE);
            continue;
        }
        if (!BUG_ON(r->init.bugs, QUORUM_BUG_NO_DEDUP) && meta_of(r, qb.rec.idem))
            continue;
        remember(r, &qb.rec, i, FALSE);
        Inflight f = {0, qb.rec.idem, i, 1};
        g_array_append_val(r->unverified, f);
    }
    g_hash_table_unref(voided);
    g_hash_table_unref(done);
    g_array_free(done_keys, TRUE);
    if (damaged)
        act_note(out, NOTE_DAMAGED, first_bad, len, 0, 0);
    r->repairing = damaged;
    if (len == 0 || first_bad == 0) {
        /* A fresh identity block, so that a later empty disk is recognised as lost. */
        DiskBlock b;
        quorum_encode_ident(&b, r->init.self);
        if (len == 0) {
            append(r, out, &b, p->id);
            p->writes_left++;
        }
    }
    act_timer(out, TIMER_SYNC, sim_rng_duration(r->init.rng, SYNC_EVERY), 0);
    if (r->hints->len > 0) {
        QMARK(r->init, REPLICA_BOOT_HINTS_KEPT);
        arm_handoff(r, out);
    }
    act_timer(out, TIMER_SCRUB, sim_rng_duration(r->init.rng, SCRUB_EVERY), 0);
    if (p->writes_left == 0)
        writes_done(r, p, out);
}

/* ---- the protocol ---- */

static void replica_step(void *proto, const ProtoEvent *ev, ActionList *out)
{
    Replica *r = proto;
    r->now = ev->now;
    switch (ev->kind) {
    case PEV_BOOT:
        boot(r, ev, out);
        break;
    case PEV_DISK:
        handle_disk(r, ev, out);
        break;
    case PEV_TIMER:
        if (ev->timer == TIMER_SYNC)
            sync_round(r, out);
        else if (ev->timer == TIMER_HANDOFF)
            handoff_round(r, out);
        else if (ev->timer == TIMER_SCRUB)
            scrub_round(r, out);
        break;
    case PEV_MSG:
        switch (ev->msg->type) {
        case MSG_Q_WRITE:
            handle_write(r, ev->msg, out);
            break;
        case MSG_Q_READ:
            handle_read(r, ev->msg, out);
            break;
        case MSG_Q_SYNC:
            handle_sync(r, ev->msg, out);
            break;
        case MSG_Q_SYNC_RECORDS:
            handle_sync_records(r, ev->msg, out);
            break;
        case MSG_Q_WRITE_ACK:
            handle_ack(r, ev->msg, out);
            break;
        default:
            break;
        }
        break;
    case PEV_STOP:
        break;
    }
}

static void *replica_create(const ProtoInit *init)
{
    Replica *r = g_new0(Replica, 1);
    r->init = *init;
    if (!r->init.marks)
        r->init.marks = mark_sink();
    r->ring = ring_new(init->nodes, QUORUM_VNODES);
    r->keys = g_new0(GArray *, init->keys);
    idem_table_init(&r->table, sizeof(Meta));
    r->hints = g_array_new(FALSE, FALSE, sizeof(Stored));
    r->inflight = g_array_new(FALSE, FALSE, sizeof(Inflight));
    r->unverified = g_array_new(FALSE, FALSE, sizeof(Inflight));
    chunks_init(&r->uses, sizeof(BlockUse));
    r->pending = g_ptr_array_new();
    r->spare = g_ptr_array_new();
    r->handoffs = g_ptr_array_new();
    r->key_peers = g_new(uint64_t, init->keys ? init->keys : 1);
    for (KeyId k = 0; k < init->keys; k++) {
        r->key_peers[k] = key_peers_of(r, k);
        r->peers |= r->key_peers[k];
    }
    return r;
}

static void replica_destroy(void *proto)
{
    Replica *r = proto;
    for (KeyId k = 0; k < r->init.keys; k++)
        if (r->keys[k])
            g_array_free(r->keys[k], TRUE);
    g_free(r->keys);
    idem_table_clear(&r->table);
    g_array_free(r->hints, TRUE);
    g_array_free(r->inflight, TRUE);
    g_array_free(r->unverified, TRUE);
    chunks_clear(&r->uses);
    for (guint i = 0; i < r->pending->len; i++)
        pending_free(g_ptr_array_index(r->pending, i));
    g_ptr_array_unref(r->pending);
    for (guint i = 0; i < r->spare->len; i++)
        pending_free(g_ptr_array_index(r->spare, i));
    g_ptr_array_unref(r->spare);
    for (guint i = 0; i < r->handoffs->len; i++) {
        Handoff *h = g_ptr_array_index(r->handoffs, i);
        g_array_free(h->idems, TRUE);
        g_free(h);
    }
    g_ptr_array_unref(r->handoffs);
    ring_free(r->ring);
    g_free(r->key_peers);
    g_free(r);
}

static NodeRole replica_role(const void *proto)
{
    return ROLE_REPLICA;
}

static void replica_check(const void *proto, gboolean thorough)
{
    Replica *r = (Replica *)proto;
    guint n = r->inflight->len;
    if (n > 1)
        g_assert(g_array_index(r->inflight, Inflight, n - 2).wseq <
                 g_array_index(r->inflight, Inflight, n - 1).wseq);
    if (!thorough)
        return;
    guint nondurable = 0;
    for (KeyId k = 0; k < r->init.keys; k++) {
        if (!r->keys[k])
            continue;
        for (guint i = 0; i < r->keys[k]->len; i++) {
            const Stored *st = &g_array_index(r->keys[k], Stored, i);
            const Meta *m = meta_of(r, st->rec.idem);
            g_assert(m != NULL && m->key == k);
            g_assert(st->block < r->log_len);
            nondurable += !st->durable;
        }
    }
    for (guint i = 0; i < r->inflight->len; i++) {
        const Inflight *f = &g_array_index(r->inflight, Inflight, i);
        if (i > 0)
            g_assert(g_array_index(r->inflight, Inflight, i - 1).wseq < f->wseq);
    }
    (void)nondurable;
}

const ProtoOps quorum_replica_ops = {
    .name = "quorum-replica",
    .nfiles = 1,
    .create = replica_create,
    .destroy = replica_destroy,
    .step = replica_step,
    .role = replica_role,
    .check = replica_check,
};
