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
 * Storage: the log is kept in segment files (model/seglog.h, data/<n>): a record in a new segment
 * is acked only after the directory that names the segment was fsynced too, and the first sync
 * after boot fsyncs every segment and both directories. A file system that went read-only (EROFS)
 * stores nothing until the next boot: the replica then answers no read as ready, since it may miss
 * writes it could not store.
 *
 * Boot: rebuild from the log (the segments as the disk shows them); torn blocks (incomplete, so
 * never acked) are skipped; a corrupt or unreadable block, or a lost disk (no identity block),
 * means acknowledged data may be gone: the replica then repairs itself from every peer
 * (anti-entropy) before it answers reads. In every case it fsyncs before trusting what it read,
 * since after a process crash the page cache can hold writes that never reached the disk; if that
 * fsync fails it writes everything again.
 *
 * Scrub: every few hundred milliseconds the replica reads back a slice of its log and checks
 * each block against what it wrote there; a live record whose block went bad (a latent sector
 * error, silent corruption) is written again from memory, so that latent damage is repaired
 * before a crash could make it matter, and replicas converge on disk, not only in memory.
 *
 * Version vectors (resolution = vclock): a key's state is every record that no durable record's
 * causal past covers. A client write first reaches one replica of the key, its issuer
 * (QW_ISSUE), which gives it a dot from its own counter for the key and writes it durably before
 * the coordinator sends it to the others; the dot's actor is the node with an epoch that changes
 * whenever the node booted with data lost (QBLK_EPOCH), so that a counter it can no longer
 * recover is never issued twice. A record arriving again under another dot (a retried write
 * issued twice) is the same write: its dots are united. When such a dot arrives for a write that
 * a record here already covers, that record's past learns it too and is written again, so that
 * the replicas that kept the write under its other dot drop it as well.
 *
 * Tombstones (tombstone.purge): a delete that is its key's whole state here, durably, is purged
 * (QBLK_PURGE, and forgotten in memory) once every other replica of the key said it holds it
 * too (MSG_Q_PURGE_ASK), or, under `grace`, once it has been durable here for tombstone.grace,
 * whatever the others hold (Cassandra's gc_grace_seconds: a replica that missed the delete for
 * longer brings the value back). A purged key keeps its floor, the tombstone's version or clock:
 * a late copy of anything it covers (a hint handed back late, a retry) is stored but stays gone.
 *
 * Invariants (check): every record in a key state or in the hints has an entry in the record
 * table; in-flight records are exactly the table's non-durable entries.
 */
#include "model/quorum/quorum.h"
#include "model/quorum/quorum_marks.h"
#include "model/quorum/quorum_merkle.h"
#include "model/seglog.h"
#include "model/idem_table.h"
#include "model/quorum/ring.h"
#include "sim/engine/chunks.h"

#include <stdlib.h>
#include <string.h>

#define PURGE_ASKS 16 /* keys whose tombstone holders one round asks about */

enum {
    TIMER_SYNC = 0,    /* anti-entropy round (and tombstone purges) */
    TIMER_HANDOFF = 1, /* hinted handoff attempt */
    TIMER_SCRUB = 2,   /* read back a slice of the log */
};

#define SCRUB_EVERY       sim_range(300 * SIM_MS, 600 * SIM_MS)
#define SCRUB_BATCH       16
#define READ_TOKEN(block) ((uint64_t)1 << 62 | (block))
#define STORE_TOKEN       ((uint64_t)3 << 62)         /* the log store's own operations */
#define PART_TOKEN(pid)   ((uint64_t)1 << 61 | (pid)) /* an fsync of a sync group but its last */

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
    uint8_t reclocked;  /* version vectors: its clock grew (a write issued twice) and the copy
                           that carries the larger clock is not durable yet */
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

/* Under version vectors the table also keeps the record's first dot (to know a write again under
 * another dot once no record of it is left here). */
typedef struct {
    Meta m;
    QDot dot;
} VMeta;

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
    uint8_t verify;      /* the first fsync after boot, which vouches for what was read back */
    uint8_t repair;      /* a batch of records learned while repairing (counted in repair_writes) */
    uint8_t part_failed; /* an fsync of its sync group failed before the last one */
    EndpointId from;
    uint64_t req;
    uint16_t attempt;
    EndpointId hint_for;
    uint32_t writes_left;
    uint64_t cover; /* the fsync covers writes up to this sequence number */
    GArray *idems;  /* of IdemKey: the records this message asked for */
    QRecord issued; /* QW_ISSUE: the record as issued, returned with the ack */
} Pending;

typedef struct {
    uint64_t req;
    EndpointId target;
    GArray *idems; /* of IdemKey */
} Handoff;

typedef struct {
    ProtoInit init;
    const QuorumPlacement *place; /* the world's (ProtoInit.shared), or `own_place` */
    QuorumPlacement *own_place;
    guint npeer_slots;     /* replicas - 1: a key's other replicas */
    EndpointId *key_peers; /* [key * npeer_slots + i]: the other replicas of the key, if this node
                              is one of them (else ENDPOINT_NONE) */
    KeyId *my_keys;        /* the keys this node is a replica of, in key order */
    guint nmy_keys;
    EndpointId *peers; /* every other replica of a key this node holds, ascending */
    guint npeers;
    uint8_t *repair_wait; /* per peer (as in `peers`): its records have not arrived yet */
    guint repair_left;    /* how many are still awaited */
    GArray **keys;        /* per KeyId: GArray of Stored, normalized; NULL until used */
    IdemTable table;      /* IdemKey -> Meta; lookups only, never iterated */
    GArray *hints;        /* of Stored: records held for other replicas */
    GArray *inflight;     /* of Inflight, by wseq */
    GArray *unverified;   /* of Inflight: records read back at boot, durable only once an fsync
                             after the boot succeeded */
    GArray *voids;        /* of Inflight (the voided block, no idem): VOID markers no sync has
                             covered yet */
    GPtrArray *pending;   /* of Pending*, in arrival order */
    GPtrArray *spare;     /* of Pending*: finished ones, kept for reuse (bounded) */
    GPtrArray *handoffs;
    uint32_t log_len;
    SegLog store;           /* the log's segment files */
    Chunks uses;            /* of BlockUse, by block */
    SimTime now;            /* the node's clock at the step being taken */
    gboolean handoff_armed; /* the handoff timer is set: only while there are hints */
    EndpointId sync_last;   /* the peer the last anti-entropy round compared with */
    uint32_t scrub_cursor;
    guint scrub_reading; /* reads of the current scrub batch not back yet */
    uint64_t next_wseq;
    uint64_t
        boot_wseq; /* the boot's write-back (rewrite_read_back), until its sync settles; 0: none */
    uint32_t next_pending;
    uint32_t next_handoff;
    gboolean ready;       /* answers reads */
    gboolean boot_synced; /* a boot fsync has succeeded since this incarnation started */
    gboolean repairing;   /* data may be lost: waiting for every peer's records */
    gboolean read_only;   /* the file system refused a change (EROFS): until the next boot the
                             replica can store nothing, so it answers no read as ready */
    guint repair_writes;  /* sync batches of the repair still being made durable */
    /* resolution = vclock */
    gboolean rewrite_due; /* a copy's write failed: write the unverified records again */
    gboolean vclock;
    guint epoch;      /* this node's actor epoch (QBLK_EPOCH) */
    uint32_t *issued; /* per key: the largest counter of this actor known (vclock only) */
    /* tombstone.purge */
    guint purge;
    QRecord **floor;       /* per key: the purged tombstone, which everything older went with */
    IdemKey *confirm_idem; /* per key: the tombstone whose holders are being asked */
    uint64_t *confirmed;   /* ... and the peers that said they hold it (bit i: key_peers i) */
    GArray *purging;       /* PurgeWrite: purge blocks not yet durable */
    /* anti_entropy = merkle */
    QMerkle *tree;           /* a tree per key range, of the keys' durable records */
    KeyId *range_key;        /* per range: one of its keys (they share their replicas), or
                                KEY_NONE */
    uint8_t *tree_dirty;     /* per key: its records may have changed since the tree took them */
    GArray *tree_dirty_keys; /* of KeyId: those keys */
    uint32_t tree_xid;       /* the exchange this replica started last */
    EndpointId tree_peer;    /* ... with that peer */
    GArray *tree_asked;      /* QTreeNode: the nodes it asked for, each a left child with the
                                peer's hash of its parent (the right child is their XOR) */
} Replica;

/* A purge block on its way to the disk: the tombstone goes from memory once it is durable, so no
 * read answers without a tombstone that a crash could bring back, and the oracle's time of the
 * purge is never later than the first read that misses it. */
typedef struct {
    QRecord floor;
    uint32_t block;
    uint8_t part_failed; /* an fsync of its sync group failed before the last one */
    uint64_t cover;      /* its sync covers the records written before this write sequence */
} PurgeWrite;

/* The pending id of purge writes and their fsyncs (pending ids count up from 1). */
#define PURGE_PID UINT32_MAX
/* The fsyncs of a purge block's sync group before its last one. */
#define PURGE_PART_TOKEN(block) ((uint64_t)1 << 61 | (uint64_t)(block) << 32 | PURGE_PID)

static inline uint16_t self_actor(const Replica *r)
{
    return qactor(r->init.self, r->epoch);
}

/* ---- records ---- */

/* The key's state, to change or to read: with a Merkle tree the key is rehashed at the end of
 * the step (tree_refresh), so no change of its records escapes the tree. */
static GArray *key_state(Replica *r, KeyId key)
{
    g_assert(key < r->init.keys);
    if (r->tree && !r->tree_dirty[key]) {
        r->tree_dirty[key] = 1;
        g_array_append_val(r->tree_dirty_keys, key);
    }
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
    u->target = qb.type == QBLK_PURGE ? qb.rec.key : qb.block;
}

/* Appends a block; its completion comes back as a write token naming pending `pid` (0: none). */
static uint32_t append(Replica *r, ActionList *out, const DiskBlock *b, uint32_t pid)
{
    uint32_t block = r->log_len++;
    if (block % QUORUM_SEGMENT_BLOCKS == 0)
        QMARK(r->init, REPLICA_SEGMENT_NEW);
    seglog_write(&r->store, out, block, b, (uint64_t)block << 32 | pid);
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

/* Whether record `by` covers `rec` (version vectors): one of rec's dots is in by's causal past.
 * The vclock-concurrent-as-descendant bug compares them as plain version vectors instead: by
 * counts as newer as soon as its vector (its dots and past together) reaches rec's dot, which a
 * write issued later by the same replica does without having seen rec. */
static gboolean covers(const Replica *r, const QClock *by, const QClock *rec)
{
    if (!BUG_ON(r->init.bugs, QUORUM_BUG_VCLOCK_CONCURRENT))
        return qclock_covers(by, rec);
    for (guint i = 0; i < rec->ndots; i++)
        if (qclock_max_counter(by, rec->e[i].actor) >= rec->e[i].counter)
            return TRUE; /* the bug: a concurrent dot taken for a covered one */
    return FALSE;
}

/* Version vectors: a key's records minus those a durable record covers (a record still in
 * flight can fail: only a durable one may prune), by idempotency key. */
static void normalize_covered(const Replica *r, GArray *set)
{
    guint keep = 0;
    for (guint i = 0; i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        gboolean covered = FALSE;
        for (guint j = 0; j < set->len && !covered; j++) {
            const Stored *o = &g_array_index(set, Stored, j);
            covered = j != i && o->durable && covers(r, &o->rec.clock, &s->rec.clock);
        }
        /* A record rewritten with a larger clock (a write issued twice, whose other dot may be
         * what a record here covers) stays until that clock is durable: until then the disk
         * holds it without, and a restart would bring it back beside its cover. */
        if (!covered || s->reclocked)
            g_array_index(set, Stored, keep++) = *s;
    }
    g_array_set_size(set, keep);
    for (guint i = 1; i < set->len; i++) {
        Stored *a = &g_array_index(set, Stored, 0);
        Stored moving = a[i];
        guint j = i;
        while (j > 0 && a[j - 1].rec.idem > moving.rec.idem) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = moving;
    }
}

static void normalize(const Replica *r, GArray *set)
{
    if (r->vclock)
        normalize_covered(r, set);
    else
        normalize_durable(set);
}

/* Whether a durable record of the set covers rec (version vectors). */
static gboolean covered_durable(const Replica *r, const GArray *set, const QRecord *rec)
{
    for (guint i = 0; i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        if (s->durable && covers(r, &s->rec.clock, &rec->clock))
            return TRUE;
    }
    return FALSE;
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
    Stored s = {*rec, block, (uint8_t)durable, 0, r->now};
    s.rec.copy = 0; /* in memory a record is just the write */
    if (rec->hinted) {
        g_array_append_val(r->hints, s);
    } else {
        GArray *set = key_state(r, rec->key);
        const QRecord *floor = r->floor ? r->floor[rec->key] : NULL;
        if (floor && qfloor_covers(floor, rec)) {
            QMARK(r->init, REPLICA_TOMB_BELOW_FLOOR); /* gone with a purged tombstone */
        } else if (r->vclock ? !covered_durable(r, set, rec) : !superseded_durable(set, rec)) {
            g_array_append_val(set, s);
            normalize(r, set);
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
    if (r->vclock)
        ((VMeta *)(void *)m)->dot = rec->clock.e[0];
}

/* Forgets a record that did not become durable, so a retry rewrites it. */
/* The page cache may still show block `block`, marked clean, or the disk may even hold it (an
 * fsync's error may be one an earlier writeback left): a VOID marker makes a restart, and the
 * oracles, ignore it. The marker counts only once a sync covers it (settle_voids). */
static void write_void(Replica *r, uint32_t block, ActionList *out)
{
    DiskBlock b;
    quorum_encode_void(&b, block);
    append(r, out, &b, 0);
    Inflight v = {++r->next_wseq, 0, block, 0};
    g_array_append_val(r->voids, v);
}

static void forget(Replica *r, IdemKey idem, uint32_t block, gboolean in_cache, ActionList *out)
{
    Meta *m = meta_of(r, idem);
    if (m == NULL || m->block != block)
        return;
    /* The merkle-stale-leaf bug: the tree took the record when it was written and is not told
     * that it went. */
    gboolean stale = BUG_ON(r->init.bugs, QUORUM_BUG_MERKLE_STALE_LEAF) && r->tree && !m->hinted &&
                     r->keys[m->key];
    remove_stored(m->hinted ? r->hints : stale ? r->keys[m->key] : key_state(r, m->key), idem);
    idem_table_remove(&r->table, idem);
    if (in_cache)
        write_void(r, block, out);
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
        s->reclocked = 0;
        s->durable_at = r->now;
        if (!m->hinted)
            normalize(r, set);
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

/* Writes s's record again, as a copy (the same write), under pending p: never forgotten, only
 * written again until an fsync covers it; the block it had vouches for it until then. */
static void write_copy(Replica *r, Pending *p, Meta *m, Stored *s, ActionList *out)
{
    QRecord rec = s->rec;
    rec.copy = 1;
    DiskBlock b;
    quorum_encode_record(&b, &rec);
    uint32_t block = append(r, out, &b, p->id);
    m->block = block;
    s->block = block;
    Inflight f = {++r->next_wseq, rec.idem, block, 1};
    g_array_append_val(r->inflight, f);
    p->writes_left++;
}

/* Version vectors: writes s's record again with clock c (the same write, a larger clock). */
static void rewrite_clock(Replica *r, Pending *p, Stored *s, const QClock *c, ActionList *out)
{
    Meta *m = meta_of(r, s->rec.idem);
    g_assert(m != NULL);
    s->rec.clock = *c;
    s->reclocked = 1;
    write_copy(r, p, m, s, out);
}

/* Version vectors: a record of a write this replica knows already. Under the same dots nothing
 * changes; under another dot (the write was issued twice) the record held here takes it too, or,
 * when the write is already covered here, the records covering it learn the new dot, so that the
 * replicas that kept the write under that dot drop it as well. */
static void known_record(Replica *r, Pending *p, const QRecord *rec, ActionList *out)
{
    const VMeta *vm = (const VMeta *)(const void *)meta_of(r, rec->idem);
    GArray *set = key_state(r, rec->key);
    Stored *held = find_stored(set, rec->idem);
    if (held) {
        QClock c = held->rec.clock;
        if (qclock_absorb(&c, &rec->clock)) {
            QMARK(r->init, REPLICA_VV_ALIAS_MERGED);
            rewrite_clock(r, p, held, &c, out);
            normalize(r, set);
        }
        return;
    }
    for (guint d = 0; d < rec->clock.ndots; d++) {
        QDot dot = rec->clock.e[d];
        if (dot.actor == vm->dot.actor && dot.counter == vm->dot.counter)
            continue;
        for (guint i = 0; i < set->len; i++) {
            Stored *s = &g_array_index(set, Stored, i);
            if (!qclock_covers_dot(&s->rec.clock, vm->dot) || qclock_covers_dot(&s->rec.clock, dot))
                continue;
            QMARK(r->init, REPLICA_VV_ALIAS_COVERED);
            QClock c = s->rec.clock;
            qclock_add_exact(&c, dot);
            rewrite_clock(r, p, s, &c, out);
        }
    }
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
        if (r->vclock && !rec->hinted && !m->hinted)
            known_record(r, p, rec, out);
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
    /* A record this replica issued a dot for is never forgotten, only written again until it is
     * durable: a dot it might have to count later must not be issued twice. */
    Inflight f = {++r->next_wseq, rec->idem, block, p->wkind == QW_ISSUE};
    g_array_append_val(r->inflight, f);
    p->writes_left++;
}

/* Version vectors: what an issuer answers once the write is durable here: the record as issued,
 * then the key's other durable records that nothing here covers, then a marker (OP_NOOP) whose
 * past says how far this actor's counter for the key went. The client gets them all, as Riak's
 * coordinating vnode returns the object it stored (return_body): the siblings it held, and a
 * context that covers them, so that the client's next write covers what it was shown. The marker
 * covers this actor's dots up to the first one still being written here: each of those is
 * durable here (a sibling, or covered by one), or never left this node (its write failed first).
 * A dot issued after it may be a write the client was not shown. */
static QRecord own_marker(Replica *r, KeyId key);

static void attach_issued(Replica *r, const Pending *p, Msg *m)
{
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(QRecord));
    g_array_append_val(recs, p->issued);
    const GArray *set = key_state(r, p->issued.key);
    for (guint i = 0; i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        if (s->durable && s->rec.idem != p->issued.idem)
            g_array_append_val(recs, s->rec);
    }
    QRecord marker = own_marker(r, p->issued.key);
    g_array_append_val(recs, marker);
    guint n = recs->len;
    msg_take_extra(m, g_array_free(recs, FALSE), n, sizeof(QRecord));
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
    if (p->wkind == QW_ISSUE && status == QACK_DURABLE)
        attach_issued(r, p, m);
    act_send(out, m);
}

static void issue_fsync(Replica *r, Pending *p, ActionList *out)
{
    p->cover = r->next_wseq;
    p->part_failed = 0;
    seglog_sync(&r->store, out, FSYNC_TOKEN(p->id), PART_TOKEN(p->id));
}

/* All of p's writes completed: fsync (after the `written` failpoint for client writes). */
static void writes_done(Replica *r, Pending *p, ActionList *out)
{
    gboolean client = p->kind == PEND_ACK && (p->wkind == QW_CLIENT || p->wkind == QW_ISSUE);
    if (client)
        act_failpoint(out, QUORUM_FP_REPLICA_WRITTEN);
    if (BUG_ON(r->init.bugs, QUORUM_BUG_ACK_BEFORE_FSYNC) && p->kind == PEND_ACK &&
        !p->write_failed) {
        send_ack(r, p, QACK_DURABLE, out); /* the bug: the ack goes out before the fsync */
        p->acked_early = 1;
    }
    issue_fsync(r, p, out);
}

/* Version vectors: the dot for a client write this replica issues (Riak's coordinating vnode):
 * one past the largest counter of its actor it knows for the key. A write it already holds (a
 * retry) keeps the dot it has. Returns the record to store. */
static QRecord issue_dot(Replica *r, const QRecord *draft)
{
    QRecord rec = *draft;
    const VMeta *vm = (const VMeta *)(const void *)meta_of(r, draft->idem);
    if (vm) {
        const Stored *held = find_stored(key_state(r, draft->key), draft->idem);
        QMARK(r->init, REPLICA_VV_ISSUE_AGAIN);
        if (held)
            return held->rec;
        rec.clock = (QClock){.ndots = 1};
        rec.clock.e[0] = vm->dot;
        return rec; /* covered here since: the others will find it covered too */
    }
    uint16_t actor = self_actor(r);
    uint32_t top = MAX(r->issued[draft->key], qclock_max_counter(&draft->clock, actor));
    const GArray *set = key_state(r, draft->key);
    for (guint i = 0; i < set->len; i++)
        top = MAX(top, qclock_max_counter(&g_array_index(set, Stored, i).rec.clock, actor));
    r->issued[draft->key] = top + 1;
    QMARK(r->init, REPLICA_VV_ISSUE);
    rec.clock = (QClock){.ndots = 1, .truncated = draft->clock.truncated};
    rec.clock.e[0] = (QDot){.actor = actor, .counter = top + 1};
    qclock_set_past(&rec.clock, draft->clock.e + draft->clock.ndots, draft->clock.npast);
    return rec;
}

static void handle_write(Replica *r, const Msg *m, ActionList *out)
{
    if (quorum_body(m)->qw.kind == QW_ISSUE && (!r->ready || !r->vclock || m->extra_count != 1)) {
        /* Repairing after data loss: its counters may be behind what it issued before. */
        QMARK(r->init, REPLICA_VV_ISSUE_NOT_READY);
        Msg *ack = msg_new(MSG_Q_WRITE_ACK, r->init.self, m->from);
        quorum_body(ack)->qack = (QWriteAck){.req = quorum_body(m)->qw.req,
                                             .attempt = quorum_body(m)->qw.attempt,
                                             .status = QACK_NOT_READY,
                                             .kind = QW_ISSUE,
                                             .hint_for = ENDPOINT_NONE};
        act_send(out, ack);
        return;
    }
    Pending *p = pending_new(r, PEND_ACK);
    p->from = m->from;
    p->req = quorum_body(m)->qw.req;
    p->attempt = quorum_body(m)->qw.attempt;
    p->wkind = quorum_body(m)->qw.kind;
    p->hint_for = quorum_body(m)->qw.hinted ? quorum_body(m)->qw.hint_for : ENDPOINT_NONE;
    if (p->wkind == QW_ISSUE) {
        p->issued = issue_dot(r, quorum_msg_records(m));
        store_record(r, p, &p->issued, out);
        if (p->writes_left == 0)
            writes_done(r, p, out);
        return;
    }
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
                    /* Version vectors: soon, for a record this replica issued a dot for: its
                     * counter stops at the first of its dots not yet durable here. */
                    r->rewrite_due = r->vclock;
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
    if (r->read_only)
        return; /* nothing can be stored until a power cycle: the next boot reads them again */
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
        write_copy(r, p, m, s, out);
    }
    g_array_set_size(r->unverified, 0);
    if (p->writes_left == 0)
        writes_done(r, p, out);
}

/* The VOID markers a sync covering `cover` made durable are done with; those it failed to are
 * written again: the block each voids may be on the disk all the same. */
static void settle_voids(Replica *r, uint64_t cover, gboolean failed, ActionList *out)
{
    guint n = r->voids->len, keep = 0;
    for (guint i = 0; i < n; i++) {
        Inflight v = g_array_index(r->voids, Inflight, i);
        if (v.wseq > cover) {
            g_array_index(r->voids, Inflight, keep++) = v;
        } else if (failed) {
            QMARK(r->init, REPLICA_FSYNC_FAILED_REVOID);
            write_void(r, v.block, out); /* appended after the n looked at */
        }
    }
    g_array_remove_range(r->voids, keep, n - keep);
}

/* Every write submitted before a sync covering `cover` is now durable, or (on error) lost: a lost
 * record is forgotten (so that a retry writes it again), a lost copy of what boot read back is
 * written again (nothing else holds it). Returns how many copies are to be written again. */
static guint settle_inflight(Replica *r, uint64_t cover, gboolean failed, ActionList *out)
{
    guint keep = 0, recopy = 0;
    for (guint i = 0; i < r->inflight->len; i++) {
        Inflight f = g_array_index(r->inflight, Inflight, i);
        if (f.wseq > cover) {
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
    settle_voids(r, cover, failed, out);
    if (failed && r->boot_wseq != 0 && r->boot_wseq <= cover) {
        /* The boot's write-back went before this failed fsync: its pages may be lost with it,
         * and the boot's own fsync, later, would answer 0 for them (the error is this one's). */
        for (guint i = 0; i < r->pending->len; i++) {
            Pending *b = g_ptr_array_index(r->pending, i);
            if (b->kind == PEND_BOOT && b->verify)
                b->write_failed = 1;
        }
        r->boot_wseq = 0;
    }
    return recopy;
}

/* An fsync issued for p finished. */
static void fsync_completed(Replica *r, Pending *p, int result, ActionList *out)
{
    if (result != 0 && BUG_ON(r->init.bugs, QUORUM_BUG_RETRY_FSYNC) && p->kind == PEND_ACK) {
        issue_fsync(r, p, out); /* the bug: fsync again and trust the 0 */
        return;
    }
    if (result != 0 && BUG_ON(r->init.bugs, QUORUM_BUG_REOPEN_MISSES_ERROR) &&
        p->kind == PEND_ACK && !r->read_only) {
        /* The bug: close the segments, open them again and trust the new descriptors' fsync.
         * Linux reported the error to the old descriptors; the new ones hear nothing. */
        seglog_reopen(&r->store, out);
        issue_fsync(r, p, out);
        return;
    }
    gboolean failed = result != 0 || (p->kind == PEND_BOOT && p->write_failed);
    if (p->kind == PEND_BOOT && p->verify)
        r->boot_wseq = 0; /* its own sync settles the write-back, one way or the other */
    if (p->kind == PEND_BOOT && !failed && p->verify) {
        for (guint i = 0; i < r->unverified->len; i++) {
            Inflight u = g_array_index(r->unverified, Inflight, i);
            mark_durable(r, u.idem, u.block);
        }
        g_array_set_size(r->unverified, 0);
    }
    guint recopy = settle_inflight(r, p->cover, failed, out);
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
            gboolean client = p->wkind == QW_CLIENT || p->wkind == QW_ISSUE;
            if (client)
                act_failpoint(out, QUORUM_FP_REPLICA_SYNCED);
            send_ack(r, p, QACK_DURABLE, out);
            if (client)
                act_failpoint(out, QUORUM_FP_REPLICA_ACKED);
        }
    }
    pending_remove(r, p);
    gboolean due = r->rewrite_due && r->boot_synced;
    r->rewrite_due = FALSE;
    if (recopy > 0 || due || (kind == PEND_BOOT && failed))
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
            r->ready = !r->read_only;
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

static void purge_written(Replica *r, uint32_t block, int result, ActionList *out);
static void purge_durable(Replica *r, uint32_t block, int result, ActionList *out);
static PurgeWrite *purge_write_at(Replica *r, uint32_t block, guint *index);

static void handle_disk(Replica *r, const ProtoEvent *ev, ActionList *out)
{
    /* Write tokens: block << 32 | pending id; fsync tokens: FSYNC_TOKEN(pending id), or
     * PART_TOKEN for the fsyncs of a sync group before its last; reads: READ_TOKEN(block); the
     * log store's own operations (opens, closes): STORE_TOKEN. */
    if (ev->result == EROFS && !r->read_only) {
        QMARK(r->init, REPLICA_READ_ONLY);
        r->read_only = TRUE; /* until the next boot: a power cycle mounts it again */
        r->ready = FALSE;
    }
    if (ev->token == STORE_TOKEN)
        return;
    if ((ev->token >> 61) == 1) {
        guint i;
        PurgeWrite *w = (uint32_t)ev->token == PURGE_PID
                            ? purge_write_at(r, (uint32_t)(ev->token >> 32) & 0x1fffffffu, &i)
                            : NULL;
        if (w && ev->result != 0)
            w->part_failed = 1;
        Pending *p = (uint32_t)ev->token == PURGE_PID ? NULL : pending_find(r, (uint32_t)ev->token);
        if (p && ev->result != 0) {
            QMARK(r->init, REPLICA_SYNC_PART_FAILED);
            p->part_failed = 1;
        }
        return;
    }
    if ((ev->token >> 62) == 1) {
        g_assert(r->scrub_reading > 0);
        r->scrub_reading--;
        for (uint32_t i = 0; i < ev->count; i++)
            scrub_checked(r, (uint32_t)ev->token + i, ev->results[i], &ev->blocks[i], out);
        return;
    }
    uint32_t pending_id = (uint32_t)ev->token;
    if (pending_id == PURGE_PID) {
        uint32_t block = (uint32_t)(ev->token >> 32) & 0x7fffffffu;
        if (ev->token >> 63)
            purge_durable(r, block, ev->result, out);
        else
            purge_written(r, block, ev->result, out);
        return;
    }
    if (ev->token >> 63) {
        Pending *p = pending_find(r, pending_id);
        int result = ev->result ? ev->result : p && p->part_failed ? EIO : 0;
        if (result == 0)
            seglog_synced(&r->store, out);
        if (p)
            fsync_completed(r, p, result, out);
        return;
    }
    write_completed(r, pending_id, (uint32_t)(ev->token >> 32), ev->result, out);
}

/* ---- reads ---- */

/* Version vectors: a marker (OP_NOOP) whose past covers this actor's dots for the key up to the
 * first one still being written here (see attach_issued): each of those is durable here, as a
 * record or covered by one, or never left this node. */
static QRecord own_marker(Replica *r, KeyId key)
{
    const GArray *set = key_state(r, key);
    uint16_t actor = self_actor(r);
    uint32_t settled = r->issued[key];
    for (guint i = 0; i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        for (guint d = 0; !s->durable && d < s->rec.clock.ndots; d++)
            if (s->rec.clock.e[d].actor == actor)
                settled = MIN(settled, s->rec.clock.e[d].counter - 1);
    }
    QRecord marker = {.key = key, .op = OP_NOOP, .hint_for = ENDPOINT_NONE};
    QDot range = {.actor = actor, .span = QSPAN_ALL, .counter = settled};
    qclock_set_past(&marker.clock, &range, 1);
    return marker;
}

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
        QRecord *recs = g_new(QRecord, set->len + 1);
        uint32_t n = 0;
        for (guint i = 0; i < set->len; i++) {
            const Stored *st = &g_array_index(set, Stored, i);
            if (st->durable)
                recs[n++] = st->rec;
        }
        if (r->vclock && r->issued[quorum_body(m)->qr.key] > 0)
            recs[n++] = own_marker(r, quorum_body(m)->qr.key);
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

static int cmp_endpoint(const void *a, const void *b)
{
    EndpointId x = *(const EndpointId *)a, y = *(const EndpointId *)b;
    return x < y ? -1 : x > y;
}

static const EndpointId *peers_of(const Replica *r, KeyId key)
{
    return &r->key_peers[(gsize)key * r->npeer_slots];
}

/* The place of `peer` among the key's other replicas, or -1. */
static int peer_rank(const Replica *r, KeyId key, EndpointId peer)
{
    const EndpointId *p = peers_of(r, key);
    for (guint i = 0; i < r->npeer_slots && p[i] != ENDPOINT_NONE; i++)
        if (p[i] == peer)
            return (int)i;
    return -1;
}

static gboolean shares(const Replica *r, KeyId key, EndpointId peer)
{
    return peer_rank(r, key, peer) >= 0;
}

/* The key's other replicas as bits by rank (0 when this node is not one of its replicas). */
static uint64_t peer_bits(const Replica *r, KeyId key)
{
    const EndpointId *p = peers_of(r, key);
    uint64_t bits = 0;
    for (guint i = 0; i < r->npeer_slots && p[i] != ENDPOINT_NONE; i++)
        bits |= (uint64_t)1 << i;
    return bits;
}

/* The place of `peer` in `peers`, or -1. */
static int peer_index(const Replica *r, EndpointId peer)
{
    guint lo = 0, hi = r->npeers;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (r->peers[mid] < peer)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->npeers && r->peers[lo] == peer ? (int)lo : -1;
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

/* ---- Merkle trees (anti_entropy = merkle) ---- */

/* Rehashes the keys whose records may have changed. A key's digest covers its durable records,
 * as the digest rounds compare them (the merkle-stale-leaf bug: every record written). */
static void tree_refresh(Replica *r)
{
    if (!r->tree)
        return;
    gboolean bug = BUG_ON(r->init.bugs, QUORUM_BUG_MERKLE_STALE_LEAF);
    for (guint i = 0; i < r->tree_dirty_keys->len; i++) {
        KeyId k = g_array_index(r->tree_dirty_keys, KeyId, i);
        r->tree_dirty[k] = 0;
        uint32_t count = 0;
        uint64_t hash = 0;
        const GArray *set = r->keys[k];
        for (guint j = 0; set && j < set->len; j++) {
            const Stored *st = &g_array_index(set, Stored, j);
            if (st->durable || bug) {
                count++;
                hash += qrecord_digest(&st->rec);
            }
        }
        qmerkle_set(r->tree, k, qmerkle_key_digest(k, count, hash));
    }
    g_array_set_size(r->tree_dirty_keys, 0);
}

static gboolean shares_range(const Replica *r, uint32_t range, EndpointId peer)
{
    return range < qmerkle_ranges(r->tree) && r->range_key[range] != KEY_NONE &&
           shares(r, r->range_key[range], peer);
}

static void send_tree_ask(Replica *r, ActionList *out)
{
    Msg *m = msg_new(MSG_Q_TREE_ASK, r->init.self, r->tree_peer);
    quorum_body(m)->qt.xid = r->tree_xid;
    msg_take_extra(m, g_memdup2(r->tree_asked->data, r->tree_asked->len * sizeof(QTreeNode)),
                   r->tree_asked->len, sizeof(QTreeNode));
    act_send(out, m);
}

/* A round: ask the peer for the roots of every range's tree the two share. The exchange goes on
 * from this replica, level by level (tree_answered), as Riak's exchanges do. */
static void send_roots(Replica *r, EndpointId peer, ActionList *out)
{
    tree_refresh(r);
    r->tree_xid++;
    r->tree_peer = peer;
    g_array_set_size(r->tree_asked, 0);
    for (uint32_t g = 0; g < qmerkle_ranges(r->tree); g++) {
        if (qmerkle_leaves(r->tree, g) == 0 || !shares_range(r, g, peer))
            continue;
        QTreeNode n = {g, 1, 0};
        g_array_append_val(r->tree_asked, n);
    }
    QMARK(r->init, REPLICA_TREE_ROUND);
    send_tree_ask(r, out);
}

/* A peer asks for nodes of our trees: our hash of each, in its order (0 for a range we do not
 * share with it, or a node our tree has not). */
static void handle_tree_ask(Replica *r, const Msg *m, ActionList *out)
{
    if (!r->tree)
        return;
    tree_refresh(r);
    QTreeNode *ans = g_new(QTreeNode, MAX(m->extra_count, 1));
    for (uint32_t i = 0; i < m->extra_count; i++) {
        ans[i] = quorum_msg_tree(m)[i];
        ans[i].hash = 0;
        if (!shares_range(r, ans[i].range, m->from)) {
            QMARK(r->init, REPLICA_TREE_UNSHARED);
            continue;
        }
        if (ans[i].node >= 1 && ans[i].node < 2 * qmerkle_leaves(r->tree, ans[i].range))
            ans[i].hash = qmerkle_node(r->tree, ans[i].range, ans[i].node);
    }
    Msg *t = msg_new(MSG_Q_TREE, r->init.self, m->from);
    quorum_body(t)->qt.xid = quorum_body(m)->qt.xid;
    msg_take_extra(t, ans, m->extra_count, sizeof(QTreeNode));
    act_send(out, t);
}

/* One node compared with the peer's hash `h`: equal, nothing; an inner node, its left child is
 * asked for next; a leaf, its key's records go to the peer with a marker, so that it sends its
 * own back (as a digest round does for a key whose digests differ). */
static void tree_compare(Replica *r, uint32_t range, uint32_t node, uint64_t h, GArray *next,
                         GArray *recs, SimTime cut)
{
    uint32_t leaves = qmerkle_leaves(r->tree, range);
    if (node >= 2 * leaves || qmerkle_node(r->tree, range, node) == h)
        return;
    if (node < leaves) {
        QMARK(r->init, REPLICA_TREE_DIFFER);
        QTreeNode n = {range, 2 * node, h};
        g_array_append_val(next, n);
        return;
    }
    QMARK(r->init, REPLICA_TREE_LEAF_DIFFER);
    guint n;
    const KeyId *keys = qmerkle_leaf_keys(r->tree, range, node, &n);
    for (guint k = 0; k < n; k++) {
        if (!key_quiet(r, keys[k], cut)) {
            QMARK(r->init, REPLICA_SYNC_KEY_BUSY);
            continue; /* written here since: the write path is still at work */
        }
        QMARK(r->init, REPLICA_SYNC_DIFFER);
        g_autoptr(GArray) set = durable_set(r, keys[k]);
        QRecord marker = {.key = keys[k], .op = OP_NOOP};
        g_array_append_val(recs, marker);
        g_array_append_vals(recs, set->data, set->len);
    }
}

/* The peer's hashes of the nodes this replica asked for: compare each, and its right sibling
 * (the parent's hash XOR the left child's), then ask for the next level where they differ. */
static void handle_tree(Replica *r, const Msg *m, ActionList *out)
{
    if (!r->tree || quorum_body(m)->qt.xid != r->tree_xid || m->from != r->tree_peer ||
        m->extra_count != r->tree_asked->len)
        return; /* an answer to an exchange given up */
    tree_refresh(r);
    GArray *next = g_array_new(FALSE, FALSE, sizeof(QTreeNode));
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(QRecord));
    SimTime cut = sync_cut(r, FALSE);
    for (uint32_t i = 0; i < m->extra_count; i++) {
        const QTreeNode *a = &g_array_index(r->tree_asked, QTreeNode, i);
        uint64_t h = quorum_msg_tree(m)[i].hash;
        tree_compare(r, a->range, a->node, h, next, recs, cut);
        if (a->node > 1)
            tree_compare(r, a->range, a->node + 1, a->hash ^ h, next, recs, cut);
    }
    g_array_free(r->tree_asked, TRUE);
    r->tree_asked = next;
    if (next->len > 0)
        send_tree_ask(r, out);
    if (recs->len > 0) {
        Msg *s = msg_new(MSG_Q_SYNC_RECORDS, r->init.self, m->from);
        quorum_body(s)->qs.reply = 1;
        guint n = recs->len;
        msg_take_extra(s, g_array_free(recs, FALSE), n, sizeof(QRecord));
        act_send(out, s);
    } else {
        g_array_free(recs, TRUE);
    }
}

static void send_digests(Replica *r, EndpointId peer, ActionList *out)
{
    QDigest *digests = g_new(QDigest, MAX(r->init.keys, 1));
    guint n = 0;
    SimTime cut = sync_cut(r, r->repairing);
    for (guint i = 0; i < r->nmy_keys; i++) {
        KeyId k = r->my_keys[i];
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
        int pi = peer_index(r, m->from);
        if (r->repairing && pi >= 0 && r->repair_wait[pi]) {
            QMARK(r->init, REPLICA_REPAIR_PEER_HEARD);
            r->repair_wait[pi] = 0;
            r->repair_left--;
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
        for (guint i = 0; i < r->npeers; i++)
            if (r->repair_wait[i])
                send_digests(r, r->peers[i], out);
        return;
    }
    if (r->npeers == 0)
        return;
    /* The first peer after the last one, round the ring of node ids. */
    guint next = 0;
    while (next < r->npeers && r->peers[next] <= r->sync_last)
        next++;
    EndpointId p = r->peers[next < r->npeers ? next : 0];
    r->sync_last = p;
    if (r->tree)
        send_roots(r, p, out);
    else
        send_digests(r, p, out);
}

/* ---- tombstones ---- */

/* The key's first durable tombstone, or NULL: under version vectors a delete may stand beside
 * concurrent siblings (a blind add), and goes on its own; what it covered went with it already. */
static const Stored *tombstone_of(const Replica *r, KeyId key)
{
    const GArray *set = r->keys[key];
    for (guint i = 0; set && i < set->len; i++) {
        const Stored *s = &g_array_index(set, Stored, i);
        if (s->durable && s->rec.op == OP_DELETE)
            return s;
    }
    return NULL;
}

static gboolean purge_in_flight(const Replica *r, KeyId key)
{
    for (guint i = 0; i < r->purging->len; i++)
        if (g_array_index(r->purging, PurgeWrite, i).floor.key == key)
            return TRUE;
    return FALSE;
}

/* Starts to drop the key's tombstone and everything it covers: a purge block on disk (written,
 * then fsynced on its own; purge_durable does the rest). */
static void purge_key(Replica *r, KeyId key, const Stored *tomb, ActionList *out)
{
    QRecord floor = tomb->rec;
    floor.copy = floor.hinted = 0;
    floor.hint_for = ENDPOINT_NONE;
    if (floor.clock.ndots > 0) {
        QClock c = {0};
        qclock_join(&c, &tomb->rec.clock); /* the floor covers the tombstone and its past */
        floor.clock = c;
    }
    DiskBlock b;
    quorum_encode_purge(&b, &floor);
    PurgeWrite w = {.floor = floor, .block = append(r, out, &b, PURGE_PID)};
    g_array_append_val(r->purging, w);
    r->confirm_idem[key] = IDEM_NONE;
    QMARK(r->init, REPLICA_TOMB_PURGED);
}

static PurgeWrite *purge_write_at(Replica *r, uint32_t block, guint *index)
{
    for (guint i = 0; i < r->purging->len; i++) {
        PurgeWrite *w = &g_array_index(r->purging, PurgeWrite, i);
        if (w->block == block) {
            *index = i;
            return w;
        }
    }
    return NULL;
}

/* The purge block's write() completed: fsync it, or (failed) keep the tombstone. */
static void purge_written(Replica *r, uint32_t block, int result, ActionList *out)
{
    guint i;
    if (!purge_write_at(r, block, &i))
        return;
    if (result != 0) {
        g_array_remove_index(r->purging, i);
        return;
    }
    PurgeWrite *w = &g_array_index(r->purging, PurgeWrite, i);
    w->cover = r->next_wseq;
    w->part_failed = 0;
    seglog_sync(&r->store, out, FSYNC_TOKEN((uint64_t)block << 32 | PURGE_PID),
                PURGE_PART_TOKEN(block));
}

/* The purge block is durable (or its fsync failed: the tombstone stays, asked about again): the
 * key's floor moves up and the records it covers go. */
static void purge_durable(Replica *r, uint32_t block, int result, ActionList *out)
{
    guint i;
    PurgeWrite *w = purge_write_at(r, block, &i);
    if (!w)
        return;
    QRecord floor = w->floor;
    uint64_t cover = w->cover;
    if (result == 0 && w->part_failed)
        result = EIO;
    g_array_remove_index(r->purging, i);
    if (result != 0) {
        /* The sync covered every record written before it: they are lost as well (a later
         * fsync on the same descriptor would answer 0 for them). */
        if (settle_inflight(r, cover, TRUE, out) > 0)
            rewrite_unverified(r, out);
        return;
    }
    seglog_synced(&r->store, out);
    KeyId key = floor.key;
    if (!r->floor[key]) {
        r->floor[key] = g_new(QRecord, 1);
        *r->floor[key] = floor;
    } else if (floor.clock.npast > 0) {
        qclock_join(&r->floor[key]->clock, &floor.clock);
    } else if (version_cmp(floor.version, r->floor[key]->version) > 0) {
        *r->floor[key] = floor;
    }
    GArray *set = key_state(r, key);
    for (guint j = set->len; j-- > 0;)
        if (qfloor_covers(r->floor[key], &g_array_index(set, Stored, j).rec))
            g_array_remove_index(set, j);
}

static void ask_holders(Replica *r, KeyId key, const Stored *tomb, uint64_t ranks, ActionList *out)
{
    const EndpointId *peers = peers_of(r, key);
    EndpointId asked[64];
    guint n = 0;
    for (guint i = 0; i < r->npeer_slots; i++)
        if ((ranks >> i) & 1)
            asked[n++] = peers[i];
    qsort(asked, n, sizeof(EndpointId), cmp_endpoint); /* in node order */
    for (guint i = 0; i < n; i++) {
        EndpointId p = asked[i];
        Msg *m = msg_new(MSG_Q_PURGE_ASK, r->init.self, p);
        quorum_body(m)->qp = (QPurge){.key = key, .idem = tomb->rec.idem};
        msg_take_extra(m, g_memdup2(&tomb->rec, sizeof(QRecord)), 1, sizeof(QRecord));
        act_send(out, m);
    }
}

/* Each anti-entropy round: the tombstones that may go. Under `replicated`, one goes once every
 * other replica of its key said it holds it (the tombstone-purged-early bug: once any one did);
 * the others are asked again, a few keys a round. */
static void purge_round(Replica *r, ActionList *out)
{
    if (r->purge == QPURGE_NEVER || !r->ready)
        return;
    SimTime grace = quorum_config(r->init.config)->tombstone_grace;
    guint asked = 0;
    for (KeyId k = 0; k < r->init.keys; k++) {
        const Stored *t = tombstone_of(r, k);
        if (!t || t->durable_at > r->now - SYNC_GRACE || purge_in_flight(r, k))
            continue;
        if (r->purge == QPURGE_GRACE) {
            if (r->now - t->durable_at >= grace) {
                QMARK(r->init, REPLICA_TOMB_PURGED_GRACE);
                purge_key(r, k, t, out);
            }
            continue;
        }
        if (r->confirm_idem[k] != t->rec.idem) {
            r->confirm_idem[k] = t->rec.idem;
            r->confirmed[k] = 0;
        }
        uint64_t need = peer_bits(r, k), have = r->confirmed[k] & need;
        gboolean enough = BUG_ON(r->init.bugs, QUORUM_BUG_TOMBSTONE_PURGED_EARLY)
                              ? have != 0 || need == 0 /* the bug: one holder is enough */
                              : have == need;
        if (enough)
            purge_key(r, k, t, out);
        else if (asked++ < PURGE_ASKS)
            ask_holders(r, k, t, need & ~have, out);
    }
}

/* A peer asks whether this replica holds its tombstone: as the key's whole state, durably, or
 * purged already (its floor covers it). */
static void handle_purge_ask(Replica *r, const Msg *m, ActionList *out)
{
    if (m->extra_count != 1 || quorum_body(m)->qp.key >= r->init.keys)
        return;
    const QRecord *tomb = quorum_msg_records(m);
    KeyId key = quorum_body(m)->qp.key;
    const Stored *t = r->ready && r->keys[key] ? find_stored(r->keys[key], tomb->idem) : NULL;
    gboolean holds = (t && t->durable) ||
                     (r->ready && r->floor && r->floor[key] && qfloor_covers(r->floor[key], tomb));
    if (holds)
        QMARK(r->init, REPLICA_TOMB_HOLDS);
    else
        QMARK(r->init, REPLICA_TOMB_LACKS);
    Msg *ack = msg_new(MSG_Q_PURGE_ACK, r->init.self, m->from);
    quorum_body(ack)->qp = (QPurge){.key = key, .idem = tomb->idem, .holds = (uint8_t)holds};
    act_send(out, ack);
}

static void handle_purge_ack(Replica *r, const Msg *m)
{
    KeyId key = quorum_body(m)->qp.key;
    if (key >= r->init.keys || !r->confirm_idem || !quorum_body(m)->qp.holds ||
        r->confirm_idem[key] != quorum_body(m)->qp.idem)
        return;
    int rank = peer_rank(r, key, m->from);
    if (rank >= 0)
        r->confirmed[key] |= (uint64_t)1 << rank;
}

/* ---- repair after data loss ---- */

static void start_repair(Replica *r, ActionList *out)
{
    QMARK(r->init, REPLICA_REPAIR_START);
    r->repairing = TRUE;
    r->ready = FALSE;
    for (guint i = 0; i < r->npeers; i++)
        r->repair_wait[i] = 1;
    r->repair_left = r->npeers;
    for (guint i = 0; i < r->npeers; i++)
        send_digests(r, r->peers[i], out);
    repair_check(r, out);
}

static void repair_check(Replica *r, ActionList *out)
{
    if (!r->repairing || r->repair_left != 0 || r->repair_writes != 0)
        return;
    QMARK(r->init, REPLICA_REPAIR_DONE);
    r->repairing = FALSE;
    r->ready = !r->read_only;
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
    count = seglog_read(&r->store, out, r->scrub_cursor, count, READ_TOKEN(r->scrub_cursor));
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
    case QBLK_HINT:
    case QBLK_VDATA:
    case QBLK_VHINT: {
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
    case QBLK_PURGE:
        if (!r->floor || u.target >= r->init.keys || !r->floor[u.target])
            return;
        QMARK(r->init, REPLICA_SCRUB_REWRITE_PURGE);
        quorum_encode_purge(&again, r->floor[u.target]);
        append(r, out, &again, 0);
        break;
    case QBLK_EPOCH:
        QMARK(r->init, REPLICA_SCRUB_REWRITE_EPOCH);
        quorum_encode_epoch(&again, u.target);
        append(r, out, &again, 0);
        break;
    case QBLK_IDENT:
        QMARK(r->init, REPLICA_SCRUB_REWRITE_IDENT);
        quorum_encode_ident(&again, r->init.self);
        seglog_write(&r->store, out, block, &again, STORE_TOKEN);
        break;
    default:
        break;
    }
}

/* ---- boot ---- */

/* Version vectors: a record read back at boot. Its dots and past say how far this actor's
 * counter for the key went; a later block of a write already read (its clock written again,
 * larger) is united with it. Returns whether the record was new. */
static gboolean boot_vrecord(Replica *r, const QRecord *rec, uint32_t block)
{
    uint32_t top = qclock_max_counter(&rec->clock, self_actor(r));
    if (rec->key < r->init.keys)
        r->issued[rec->key] = MAX(r->issued[rec->key], top);
    Meta *m = meta_of(r, rec->idem);
    if (m == NULL || m->hinted != rec->hinted)
        return m == NULL;
    Stored *held = find_stored(m->hinted ? r->hints : key_state(r, m->key), rec->idem);
    if (held == NULL)
        return FALSE;
    qclock_absorb(&held->rec.clock, &rec->clock);
    for (guint i = 0; i < r->unverified->len; i++) {
        Inflight *u = &g_array_index(r->unverified, Inflight, i);
        if (u->idem == rec->idem && u->block == m->block)
            u->block = block;
    }
    m->block = block;
    held->block = block;
    return FALSE;
}

/* A purge block read back: the key's floor is the newest purged tombstone (their clocks joined,
 * with version vectors). */
static void boot_floor(Replica *r, const QRecord *floor)
{
    if (floor->key >= r->init.keys)
        return;
    QMARK(r->init, REPLICA_BOOT_PURGE);
    if (!r->floor) {
        r->floor = g_new0(QRecord *, MAX(r->init.keys, 1));
        r->confirm_idem = g_new0(IdemKey, MAX(r->init.keys, 1));
        r->confirmed = g_new0(uint64_t, MAX(r->init.keys, 1));
    }
    QRecord **f = &r->floor[floor->key];
    if (!*f) {
        *f = g_memdup2(floor, sizeof *floor);
    } else if (floor->clock.npast > 0) {
        qclock_join(&(*f)->clock, &floor->clock);
    } else if (version_cmp(floor->version, (*f)->version) > 0) {
        **f = *floor;
    }
}

/* Version vectors: a node that boots with data lost may have issued dots it can no longer
 * count: it takes a new epoch (its boot count, larger than any before it) and writes it down
 * under the boot's pending p. */
static void boot_epoch(Replica *r, gboolean damaged, guint found, Pending *p, ActionList *out)
{
    r->epoch = found;
    if (!damaged)
        return;
    QMARK(r->init, REPLICA_VV_NEW_EPOCH);
    r->epoch = MIN(MAX(found + 1, r->init.incarnation), QCLOCK_EPOCH_MAX);
    memset(r->issued, 0, sizeof(uint32_t) * r->init.keys);
    DiskBlock b;
    quorum_encode_epoch(&b, r->epoch);
    append(r, out, &b, p->id);
    p->writes_left++;
}

/* The blocks a boot must not replay: the ones VOID markers void (block + 1 in `voided`) and the
 * hints marked done (their keys in `done`, which points into `done_keys`); the purge floors it
 * records go to memory. Returns the highest epoch the log records. */
static guint boot_markers(Replica *r, const DiskBlock *blocks, const int *errors, uint32_t len,
                          GHashTable *voided, GHashTable *done, GArray *done_keys)
{
    guint epoch = 0;
    QBlock qb;
    for (uint32_t i = 0; i < len; i++) {
        if (errors[i] != 0)
            continue;
        if (quorum_decode(&blocks[i], &qb) != BLOCK_OK)
            continue;
        if (qb.type == QBLK_VOID)
            g_hash_table_add(voided, GUINT_TO_POINTER(qb.block + 1));
        else if (qb.type == QBLK_HINT_DONE)
            g_array_append_val(done_keys, qb.idem);
        else if (qb.type == QBLK_EPOCH)
            epoch = MAX(epoch, qb.block);
        else if (qb.type == QBLK_PURGE)
            boot_floor(r, &qb.rec);
    }
    for (guint i = 0; i < done_keys->len; i++)
        g_hash_table_add(done, &g_array_index(done_keys, IdemKey, i));
    return epoch;
}

/* Replays the records a boot read (each once, none voided or handed off), to be verified; a
 * corrupt block makes the replica damaged from its first bad block on. */
static void boot_records(Replica *r, const DiskBlock *blocks, const int *errors, uint32_t len,
                         GHashTable *voided, GHashTable *done, gboolean *damaged,
                         uint32_t *first_bad)
{
    QBlock qb;
    for (uint32_t i = 0; i < len; i++) {
        BlockCheck c = errors[i] != 0 ? BLOCK_CORRUPT : quorum_decode(&blocks[i], &qb);
        if (c == BLOCK_TORN)
            QMARK(r->init, REPLICA_BOOT_TORN);
        if (c == BLOCK_TORN || c == BLOCK_EMPTY)
            continue; /* cut short by a crash before its fsync: never acked */
        if (c == BLOCK_CORRUPT) {
            QMARK(r->init, REPLICA_BOOT_CORRUPT);
            *damaged = TRUE;
            *first_bad = MIN(*first_bad, i);
            continue;
        }
        if (!qblk_is_record(qb.type))
            continue;
        if (g_hash_table_contains(voided, GUINT_TO_POINTER(i + 1))) {
            QMARK(r->init, REPLICA_BOOT_VOIDED);
            continue;
        }
        if (qblk_is_hint(qb.type) && g_hash_table_contains(done, &qb.rec.idem)) {
            QMARK(r->init, REPLICA_BOOT_HINT_DONE);
            continue;
        }
        if (r->vclock && !boot_vrecord(r, &qb.rec, i))
            continue;
        if (!BUG_ON(r->init.bugs, QUORUM_BUG_NO_DEDUP) && meta_of(r, qb.rec.idem))
            continue;
        remember(r, &qb.rec, i, FALSE);
        Inflight f = {0, qb.rec.idem, i, 1};
        g_array_append_val(r->unverified, f);
    }
}

/* What the page cache showed at boot may be pages a failed fsync of an earlier life marked
 * clean without writing them (fsyncgate): an fsync alone would return 0 and prove nothing. Every
 * block boot relies on — the records it kept (r->unverified), the markers (VOID, handed off,
 * epoch, purge) and the identity block — is written again, in place, so that the boot fsync
 * (pending p) covers it, as raft writes its log back. A voided or superseded record is left as
 * it is. */
static void rewrite_read_back(Replica *r, const DiskBlock *blocks, const int *errors, uint32_t len,
                              Pending *p, ActionList *out)
{
    if (BUG_ON(r->init.bugs, QUORUM_BUG_BOOT_TRUSTS_FSYNC))
        return; /* the bug: the boot fsync alone vouches for what the page cache showed */
    uint8_t *kept = g_new0(uint8_t, MAX(len, 1u));
    for (guint i = 0; i < r->unverified->len; i++) {
        uint32_t b = g_array_index(r->unverified, Inflight, i).block;
        if (b < len)
            kept[b] = 1;
    }
    guint written = 0;
    for (uint32_t i = 0; i < len; i++) {
        QBlock qb;
        if (errors[i] != 0 || quorum_decode(&blocks[i], &qb) != BLOCK_OK)
            continue;
        if (qblk_is_record(qb.type) && !kept[i])
            continue;
        seglog_write(&r->store, out, i, &blocks[i], (uint64_t)i << 32 | p->id);
        p->writes_left++;
        written++;
    }
    g_free(kept);
    if (written > 0) {
        QMARK(r->init, REPLICA_BOOT_WRITE_BACK);
        r->boot_wseq = ++r->next_wseq;
    }
}

static void boot(Replica *r, const ProtoEvent *ev, ActionList *out)
{
    DiskBlock *blocks;
    int *errors;
    uint32_t len = seglog_boot(&r->store, ev->image, &blocks, &errors, out);
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
    GHashTable *voided = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTable *done = g_hash_table_new(g_int64_hash, g_int64_equal);
    GArray *done_keys = g_array_new(FALSE, FALSE, sizeof(IdemKey));
    guint epoch = boot_markers(r, blocks, errors, len, voided, done, done_keys);
    r->epoch = epoch;
    Pending *p = pending_new(r, PEND_BOOT);
    p->verify = 1;
    boot_records(r, blocks, errors, len, voided, done, &damaged, &first_bad);
    g_hash_table_unref(voided);
    g_hash_table_unref(done);
    g_array_free(done_keys, TRUE);
    rewrite_read_back(r, blocks, errors, len, p, out);
    g_free(blocks);
    g_free(errors);
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
    if (r->vclock)
        boot_epoch(r, damaged, epoch, p, out);
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
        if (ev->timer == TIMER_SYNC) {
            sync_round(r, out);
            purge_round(r, out);
        } else if (ev->timer == TIMER_HANDOFF)
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
        case MSG_Q_PURGE_ASK:
            handle_purge_ask(r, ev->msg, out);
            break;
        case MSG_Q_PURGE_ACK:
            handle_purge_ack(r, ev->msg);
            break;
        case MSG_Q_TREE_ASK:
            handle_tree_ask(r, ev->msg, out);
            break;
        case MSG_Q_TREE:
            handle_tree(r, ev->msg, out);
            break;
        default:
            break;
        }
        break;
    case PEV_STOP:
        break;
    }
    tree_refresh(r);
}

/* The keys this node is a replica of, their other replicas, and its peers (placement is fixed:
 * the world's, or one of its own). */
static void place_keys(Replica *r)
{
    const ProtoInit *init = &r->init;
    const QuorumPlacement *place = r->place = init->shared;
    if (!place)
        place = r->place = r->own_place =
            quorum_placement_new(init->config, init->keys, init->key_hashes);
    guint n = MIN(quorum_config(init->config)->replicas, init->nodes);
    r->npeer_slots = MAX(n, 2u) - 1;
    r->key_peers = g_new(EndpointId, MAX((gsize)init->keys * r->npeer_slots, 1));
    r->my_keys = g_new(KeyId, MAX(init->keys, 1));
    GArray *peers = g_array_new(FALSE, FALSE, sizeof(EndpointId));
    for (KeyId k = 0; k < init->keys; k++) {
        const EndpointId *walk = quorum_placement_walk(place, k);
        EndpointId *mine = &r->key_peers[(gsize)k * r->npeer_slots];
        gboolean me = FALSE;
        guint np = 0;
        for (guint i = 0; i < r->npeer_slots; i++)
            mine[i] = ENDPOINT_NONE;
        for (guint i = 0; i < n; i++) {
            me |= walk[i] == init->self;
            if (walk[i] != init->self && np < r->npeer_slots)
                mine[np++] = walk[i];
        }
        if (!me) {
            mine[0] = ENDPOINT_NONE;
            continue;
        }
        r->my_keys[r->nmy_keys++] = k;
        g_array_append_vals(peers, mine, np);
    }
    g_array_sort(peers, cmp_endpoint);
    guint distinct = 0;
    for (guint i = 0; i < peers->len; i++)
        if (distinct == 0 ||
            g_array_index(peers, EndpointId, i) != g_array_index(peers, EndpointId, distinct - 1))
            g_array_index(peers, EndpointId, distinct++) = g_array_index(peers, EndpointId, i);
    r->npeers = distinct;
    r->peers = g_memdup2(peers->data, sizeof(EndpointId) * MAX(distinct, 1));
    r->repair_wait = g_new0(uint8_t, MAX(distinct, 1));
    g_array_free(peers, TRUE);
}

static void *replica_create(const ProtoInit *init)
{
    Replica *r = g_new0(Replica, 1);
    r->init = *init;
    if (!r->init.marks)
        r->init.marks = mark_sink();
    r->keys = g_new0(GArray *, init->keys);
    r->vclock = quorum_config(init->config)->resolution == QRES_VCLOCK;
    idem_table_init(&r->table, r->vclock ? sizeof(VMeta) : sizeof(Meta));
    r->issued = r->vclock ? g_new0(uint32_t, MAX(init->keys, 1)) : NULL;
    r->purge = quorum_config(init->config)->purge;
    if (r->purge != QPURGE_NEVER) {
        r->floor = g_new0(QRecord *, MAX(init->keys, 1));
        r->confirm_idem = g_new0(IdemKey, MAX(init->keys, 1));
        r->confirmed = g_new0(uint64_t, MAX(init->keys, 1));
    }
    r->purging = g_array_new(FALSE, FALSE, sizeof(PurgeWrite));
    r->hints = g_array_new(FALSE, FALSE, sizeof(Stored));
    r->inflight = g_array_new(FALSE, FALSE, sizeof(Inflight));
    r->unverified = g_array_new(FALSE, FALSE, sizeof(Inflight));
    r->voids = g_array_new(FALSE, FALSE, sizeof(Inflight));
    chunks_init(&r->uses, sizeof(BlockUse));
    SegLogConfig store = {.dir = "data",
                          .seg_blocks = QUORUM_SEGMENT_BLOCKS,
                          .fd_root = 0,
                          .fd_dir = 1,
                          .fd_scratch = 2,
                          .fd_first = 8,
                          .nfds = 64,
                          .internal = STORE_TOKEN,
                          .skip_dir_fsync = BUG_ON(init->bugs, QUORUM_BUG_MISSING_DIR_FSYNC)};
    seglog_init(&r->store, &store);
    r->pending = g_ptr_array_new();
    r->spare = g_ptr_array_new();
    r->handoffs = g_ptr_array_new();
    place_keys(r);
    if (quorum_config(init->config)->anti_entropy == QAE_MERKLE) {
        /* A key's range is its ring point's arc: its keys share the preference list. */
        const Ring *ring = r->place->ring;
        guint nranges = ring_points(ring);
        uint32_t *range = g_new(uint32_t, MAX(init->keys, 1));
        r->range_key = g_new(KeyId, nranges);
        for (guint i = 0; i < nranges; i++)
            r->range_key[i] = KEY_NONE;
        for (KeyId k = 0; k < init->keys; k++) {
            range[k] = ring_point(ring, init->key_hashes[k]);
            r->range_key[range[k]] = k;
        }
        r->tree = qmerkle_new(init->keys, range, nranges);
        g_free(range);
        r->tree_dirty = g_new0(uint8_t, MAX(init->keys, 1));
        r->tree_dirty_keys = g_array_new(FALSE, FALSE, sizeof(KeyId));
        r->tree_asked = g_array_new(FALSE, FALSE, sizeof(QTreeNode));
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
    g_array_free(r->voids, TRUE);
    chunks_clear(&r->uses);
    seglog_clear(&r->store);
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
    quorum_placement_free(r->own_place);
    g_free(r->key_peers);
    g_free(r->my_keys);
    g_free(r->peers);
    g_free(r->repair_wait);
    g_free(r->issued);
    for (KeyId k = 0; r->floor && k < r->init.keys; k++)
        g_free(r->floor[k]);
    g_free(r->floor);
    g_free(r->confirm_idem);
    g_free(r->confirmed);
    g_array_free(r->purging, TRUE);
    qmerkle_free(r->tree);
    g_free(r->range_key);
    g_free(r->tree_dirty);
    if (r->tree_dirty_keys)
        g_array_free(r->tree_dirty_keys, TRUE);
    if (r->tree_asked)
        g_array_free(r->tree_asked, TRUE);
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
    if (r->tree && !BUG_ON(r->init.bugs, QUORUM_BUG_MERKLE_STALE_LEAF)) {
        /* After a step every key's digest in the tree is that of its durable records. */
        g_assert(r->tree_dirty_keys->len == 0);
        g_assert(qmerkle_valid(r->tree));
        for (KeyId k = 0; k < r->init.keys; k++) {
            uint32_t count;
            uint64_t hash;
            durable_digest(r, k, &count, &hash);
            g_assert(qmerkle_get(r->tree, k) == qmerkle_key_digest(k, count, hash));
        }
    }
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

/* The storage node itself; quorum_node.c wraps it as quorum_replica_ops, with a coordinator
 * beside it under coordinator = node. */
const ProtoOps quorum_replica_core_ops = {
    .name = "quorum-replica",
    .nfiles = 0, /* its log is in segment files it names itself (model/seglog.h) */
    .create = replica_create,
    .destroy = replica_destroy,
    .step = replica_step,
    .role = replica_role,
    .check = replica_check,
};
