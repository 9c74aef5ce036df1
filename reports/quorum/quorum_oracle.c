/* reports/quorum/quorum_oracle.c — the quorum store's oracle module: it follows every replica's
 * durable data file, decodes data and hint records, VOID markers and handed-off hints itself, and
 * so tells the ledger which records a replica could really recover. It judges durable acks
 * (persist-before-send), a replica holding one write twice (duplicate), and after settle that
 * the replicas of every key agree (convergence). An acked write is lost when no replica holds it
 * and no newer put or delete of its key supersedes it; an ack needs write_quorum copies.
 *
 * A replica keeps its log in segment files (quorum.h): the oracle follows each segment's durable
 * blocks as blocks of the one log, block b of segment s being log block s * 64 + b; a segment is
 * durable only while its directory entry is (the disk says so: it announces a segment's blocks
 * when its entry becomes durable, and their going when it stops being).
 *
 * Invariants: qblocks[n] mirrors what replica n's log holds durably, block by block; the
 * cached per-key state (qcache), when present, equals a fresh build except for the original data
 * blocks that became durable since (qcache_catch_up adds those); anything else drops it.
 */
#include "reports/quorum/quorum_oracle.h"

#include "model/quorum/quorum.h"
#include "model/quorum/ring.h"
#include "reports/ledger.h"
#include "reports/persist.h"

typedef struct {
    IdemKey idem;
    uint32_t target; /* VOID: the block it voids; HINT: the replica it is held for */
    uint8_t type;
    uint8_t durable : 1;
    uint8_t voided : 1;
    uint8_t done : 1;
    uint8_t copy : 1; /* a rewritten copy: another durable copy, not another application */
} QBlockInfo;

/* A durable purge block: its key's floor on its node. */
typedef struct {
    uint32_t idx;
    SimTime at; /* when it became durable */
    QRecord floor;
} Purge;

/* The live durable records of every replica, per key (decoded from the durable images). */
/* A replica's live durable records of one key. */
typedef struct {
    GArray *set;  /* of QRecord; what a newer put or delete of the same set supersedes is left out
                     as it arrives (the checks that read a set normalize it, so dropping those
                     early changes nothing) */
    QRecord base; /* the set's newest put or delete */
    gboolean has_base;
} QSet;

typedef struct {
    GHashTable *sets; /* node << 32 | key -> QSet*: only the keys a node holds records of (a ring
                         of hundreds of nodes holds each key on a few) */
    guint keys;
    Version *base; /* per key: the newest live durable put or delete */
    gboolean *has_base;
} QState;

typedef struct {
    const OracleView *view;
    LedgerBook *ledger;
    Verdict *found;
    guint nodes;
    Chunks *qblocks;  /* per node, of QBlockInfo */
    GArray **segfile; /* per node, by segment: its file number + 1 (0: none seen yet) */
    GArray **fileseg; /* per node, by file number: its segment + 1 (0: not a segment) */
    /* the per-key state the convergence check built, kept for the end of the run as long as
     * nothing but new original data blocks became durable since (those are added) */
    QState *qcache;
    uint32_t *qcache_len;    /* per node: blocks the cached state has seen */
    gboolean *qcache_copies; /* per node: it had rewritten copies (then any change rebuilds) */
    QState fresh;            /* the end state when nothing was cached */
    const QState *end;       /* the end state, between end_begin and end_done */
    IdemTable live;          /* the writes a read could still return at the end (end_begin) */
    /* after settle, for lost redundancy: each key's replicas, and each write's live hints */
    Ring *ring;
    EndpointId *walks; /* [key * nodes + i], filled for keys whose walked[] is set */
    gboolean *walked;  /* per key */
    GHashTable *hints; /* IdemKey -> HintCopies*; lookups only, never iterated */
    NodeSet hints_up;  /* the up nodes `hints` was built for */
    GArray *newest;    /* of Newest, per key: for lost redundancy before settle */
    gboolean vclock;   /* resolution = vclock: records carry clocks */
    IdemTable dots;    /* vclock: the dots each write was seen durable under (WriteDots) */
    IdemTable twice;   /* vclock: writes seen durable under two dots (issued twice) */
    IdemTable cut;     /* vclock: writes whose clock was truncated (Dynamo §4.4) */
    GArray **purges;   /* per node, of Purge: the durable purge blocks (tombstone.purge) */
} QuorumOracle;

/* A block of data the replica owns (not a hint), with a clock or not. */
static gboolean qdata(guint type)
{
    return type == QBLK_DATA || type == QBLK_VDATA;
}

/* The newest put or delete of a key that any replica ever made durable. */
typedef struct {
    Version version;
    gboolean set;
} Newest;

/* Where one write's live hints are, after settle. */
typedef struct {
    NodeSet nodes;   /* nodes holding a live hint of it */
    NodeSet pending; /* ... whose hint still waits, rightly: its holder or its target is down */
} HintCopies;

/* ---- following the durable images ---- */

static QBlockInfo *qblock(QuorumOracle *o, EndpointId node, uint32_t idx)
{
    Chunks *a = &o->qblocks[node];
    if (idx >= a->len)
        chunks_set_size(a, idx + 1);
    return chunks_at(a, idx);
}

static gboolean qalive(const QBlockInfo *b)
{
    return b->durable && !b->voided && !b->done && qblk_is_record(b->type);
}

static void qcopy(QuorumOracle *o, EndpointId node, const QBlockInfo *b, int delta,
                  DiskChange cause)
{
    Ledger *l = ledger_get(o->ledger, b->idem);
    if (!l)
        return; /* folded as final */
    if (qdata(b->type) && !b->copy) {
        ledger_own_add(o->ledger, l, node, delta);
    }
    ledger_copy_changed(o->ledger, l, node, delta, cause);
}

static void qset_free(gpointer p)
{
    QSet *s = p;
    g_array_free(s->set, TRUE);
    g_free(s);
}

/* The table's key of node n's set of key k (64-bit pointers hold both). */
static gconstpointer qset_key(EndpointId n, KeyId k)
{
    G_STATIC_ASSERT(sizeof(gsize) >= 8);
    return GSIZE_TO_POINTER(((gsize)n << 32) | k);
}

/* Node n's live records of key k, or NULL. */
static const GArray *qset_of(const QState *q, EndpointId n, KeyId k)
{
    const QSet *s = g_hash_table_lookup(q->sets, qset_key(n, k));
    return s ? s->set : NULL;
}

static QSet *qset_take(QState *q, EndpointId n, KeyId k)
{
    QSet *s = g_hash_table_lookup(q->sets, qset_key(n, k));
    if (!s) {
        s = g_new0(QSet, 1);
        s->set = g_array_new(FALSE, FALSE, sizeof(QRecord));
        g_hash_table_insert(q->sets, (gpointer)qset_key(n, k), s);
    }
    return s;
}

static void qstate_clear(QuorumOracle *o, QState *q)
{
    g_hash_table_unref(q->sets);
    g_free(q->base);
    g_free(q->has_base);
}

static void qcache_drop(QuorumOracle *o)
{
    if (!o->qcache)
        return;
    qstate_clear(o, o->qcache);
    g_free(o->qcache);
    o->qcache = NULL;
}

/* Remembers the newest put or delete of the record's key that ever became durable. */
static void note_newest(QuorumOracle *o, const QRecord *r)
{
    if (r->key >= o->newest->len)
        g_array_set_size(o->newest, r->key + 1);
    Newest *n = &g_array_index(o->newest, Newest, r->key);
    if (!n->set || version_cmp(r->version, n->version) > 0)
        *n = (Newest){r->version, TRUE};
}

/* Version vectors: the dots one write was seen durable under (more than one: issued twice). */
typedef struct {
    QClock dots; /* ndots of them, no past */
} WriteDots;

static void note_dots(QuorumOracle *o, const QRecord *r)
{
    WriteDots *w = idem_table_lookup(&o->dots, r->idem);
    if (!w)
        w = idem_table_insert(&o->dots, r->idem);
    QClock mine = r->clock;
    mine.npast = 0;
    if (qclock_absorb(&w->dots, &mine) && w->dots.ndots > 1)
        idem_table_insert(&o->twice, r->idem);
    if (r->clock.truncated && !idem_table_lookup(&o->cut, r->idem))
        idem_table_insert(&o->cut, r->idem);
}

/* When a durable purge block of node n first covered rec, or SIM_TIME_NEVER. */
static SimTime node_purged_at(const QuorumOracle *o, EndpointId n, const QRecord *rec)
{
    const GArray *a = o->purges[n];
    SimTime at = SIM_TIME_NEVER;
    for (guint i = 0; i < a->len; i++) {
        const Purge *p = &g_array_index(a, Purge, i);
        if (p->floor.key == rec->key && qfloor_covers(&p->floor, rec))
            at = MIN(at, p->at);
    }
    return at;
}

/* Whether node n's durable purges cover the write of rec: any of its dots, every dot it was
 * ever seen durable under (a write issued twice is one write: the replica that holds both units
 * them, and a tombstone covering either covers it). */
static gboolean node_purged(const QuorumOracle *o, EndpointId n, const QRecord *rec)
{
    if (o->vclock && rec->clock.ndots > 0) {
        const WriteDots *w = idem_table_lookup((IdemTable *)&o->dots, rec->idem);
        if (w && w->dots.ndots > rec->clock.ndots) {
            QRecord all = *rec;
            all.clock = w->dots;
            return node_purged_at(o, n, &all) != SIM_TIME_NEVER;
        }
    }
    return node_purged_at(o, n, rec) != SIM_TIME_NEVER;
}

/* Node n's purge block at idx became durable (floor) or went (NULL): the records its floor covers
 * stay on disk, as copies, but are no longer part of the key's state there. */
static void purge_changed(QuorumOracle *o, EndpointId n, uint32_t idx, const QRecord *floor)
{
    GArray *a = o->purges[n];
    for (guint i = a->len; i-- > 0;)
        if (g_array_index(a, Purge, i).idx == idx)
            g_array_remove_index(a, i);
    if (floor) {
        Purge p = {idx, oview_now(o->view), *floor};
        g_array_append_val(a, p);
    }
    if (o->qcache)
        qcache_drop(o);
}

/* A durable block that decoded: a record, a VOID marker or a handed-off hint. */
static void quorum_block_arrived(QuorumOracle *o, EndpointId node, QBlockInfo *b, const QBlock *qb,
                                 DiskChange cause)
{
    if (o->qcache && (!qdata(qb->type) || qb->rec.copy))
        qcache_drop(o);
    b->type = (uint8_t)qb->type;
    if (qblk_is_record(qb->type)) {
        b->idem = qb->rec.idem;
        b->copy = qb->rec.copy;
        b->target = qblk_is_hint(qb->type) ? qb->rec.hint_for : 0;
        Ledger *l = ledger_get(o->ledger, qb->rec.idem);
        if (l) {
            l->key = qb->rec.key;
            l->kind = qb->rec.op;
        }
        if (qb->rec.clock.ndots > 0) {
            note_dots(o, &qb->rec);
        } else {
            if (l)
                l->version = qb->rec.version;
            if (qb->rec.op == OP_PUT || qb->rec.op == OP_DELETE)
                note_newest(o, &qb->rec);
        }
        qcopy(o, node, b, +1, cause);
    } else if (qb->type == QBLK_VOID) {
        b->target = qb->block;
        QBlockInfo *t = qblock(o, node, qb->block); /* may move the array: b is stale now */
        if (qalive(t))
            qcopy(o, node, t, -1, cause);
        t->voided = 1;
    } else if (qb->type == QBLK_HINT_DONE) {
        Chunks *a = &o->qblocks[node];
        for (guint i = 0; i < a->len; i++) {
            QBlockInfo *h = chunks_at(a, i);
            if (qblk_is_hint(h->type) && h->idem == qb->idem && qalive(h)) {
                qcopy(o, node, h, -1, cause);
                h->done = 1;
            }
        }
    }
}

/* The segment a node's file is (learned from its name the first time), or FALSE. */
static gboolean segment_of(QuorumOracle *o, EndpointId node, guint file, uint32_t *seg)
{
    GArray *fs = o->fileseg[node];
    if (file >= fs->len)
        g_array_set_size(fs, file + 1);
    uint32_t *known = &g_array_index(fs, uint32_t, file);
    if (*known == 0) {
        const char *path = disk_file_path(oview_disk(o->view, node), file);
        if (!path || !quorum_segment_parse(path, seg))
            return FALSE;
        *known = *seg + 1;
        GArray *sf = o->segfile[node];
        if (*seg >= sf->len)
            g_array_set_size(sf, *seg + 1);
        g_array_index(sf, uint32_t, *seg) = file + 1;
    }
    *seg = *known - 1;
    return TRUE;
}

/* The durable content id of log block i of node n (0: none). */
static uint32_t durable_id(const QuorumOracle *o, EndpointId n, const Disk *d, uint32_t i)
{
    uint32_t seg = i / QUORUM_SEGMENT_BLOCKS;
    const GArray *sf = o->segfile[n];
    if (seg >= sf->len || g_array_index(sf, uint32_t, seg) == 0)
        return 0;
    return disk_durable_id(d, g_array_index(sf, uint32_t, seg) - 1, i % QUORUM_SEGMENT_BLOCKS);
}

static void quorum_on_durable(void *st, EndpointId node, guint file, uint32_t at,
                              const DiskBlock *old, const DiskBlock *neu, DiskChange cause)
{
    QuorumOracle *o = st;
    uint32_t seg;
    if (!segment_of(o, node, file, &seg))
        return;
    uint32_t idx = seg * QUORUM_SEGMENT_BLOCKS + at;
    if (o->qcache && (old || !neu || idx < o->qcache_len[node] || o->qcache_copies[node]))
        qcache_drop(o);
    QBlockInfo *b = qblock(o, node, idx);
    gboolean was_purge = old && b->durable && b->type == QBLK_PURGE;
    if (old && b->durable) {
        if (qalive(b))
            qcopy(o, node, b, -1, cause);
        b->durable = 0;
    }
    QBlock qb;
    gboolean ok = neu && quorum_decode(neu, &qb) == BLOCK_OK;
    if (was_purge || (ok && qb.type == QBLK_PURGE))
        purge_changed(o, node, idx, ok && qb.type == QBLK_PURGE ? &qb.rec : NULL);
    b = qblock(o, node, idx);
    if (!neu)
        return;
    b->durable = 1;
    b->voided = 0;
    b->done = 0;
    if (!ok) {
        b->type = 0;
        return;
    }
    quorum_block_arrived(o, node, b, &qb, cause);
}

/* Whether a lost block holds write *ctx (an IdemKey): a record of it. */
static gboolean holds_write(const DiskBlock *b, const void *ctx)
{
    QBlock qb;
    return quorum_decode(b, &qb) == BLOCK_OK && qblk_is_record(qb.type) &&
           qb.rec.idem == *(const IdemKey *)ctx;
}

/* A replica's read answer and its anti-entropy records carry only records its disk holds
 * durably (a read must never see, nor a peer adopt, what a crash could still take away): the
 * first record of message m that the sender's durable disk does not back is a violation. */
static void check_records_backed(QuorumOracle *o, const Msg *m, const char *what)
{
    LedgerBook *b = o->ledger;
    const QRecord *recs = quorum_msg_records(m);
    if (m->from >= b->nodes)
        return;
    for (uint32_t i = 0; i < m->extra_count; i++) {
        if (recs[i].op == OP_NOOP || recs[i].idem == IDEM_NONE)
            continue;
        const Ledger *l = ledger_get(b, recs[i].idem);
        if (!l || ledger_backed(b, l, m->from))
            continue; /* not a client's write, or one folded as final */
        char label[64];
        g_autofree char *text =
            g_strdup_printf("%s holding write %s", what,
                            b->view->idem_name(b->view->ctx, recs[i].idem, label, sizeof label));
        IdemKey idem = recs[i].idem;
        persist_unbacked(b->view, m, text, persist_fs_broke(b->view, m->from, holds_write, &idem),
                         o->found);
        return;
    }
}

static void quorum_on_sent(void *st, const Msg *m)
{
    QuorumOracle *o = st;
    if (m->type == MSG_Q_WRITE_ACK && quorum_body(m)->qack.status == QACK_DURABLE)
        persist_check_durable_ack(o->ledger, m, quorum_body(m)->qack.idem, holds_write, o->found);
    else if (m->type == MSG_Q_READ_RESP)
        check_records_backed(o, m, "a read answer");
    else if (m->type == MSG_Q_SYNC_RECORDS)
        check_records_backed(o, m, "anti-entropy records");
}

/* ---- the per-key state ---- */

/* Adds node n's durable block i (a live data record) to the per-node sets. A live block decoded
 * when it last became durable (quorum_on_durable sees every change), so it is parsed unchecked. */
static void qstate_add_block(QuorumOracle *o, QState *q, EndpointId n, const Disk *d, uint32_t i)
{
    QBlock qb;
    uint32_t id = durable_id(o, n, d, i);
    if (id == 0)
        return;
    quorum_parse_sealed(block_store_get(o->view->store, id), &qb);
    if (!qdata(qb.type) || qb.rec.key >= q->keys || node_purged(o, n, &qb.rec))
        return; /* not a record of the key's state here (gone with a purged tombstone) */
    QSet *qs = qset_take(q, n, qb.rec.key);
    GArray **set = &qs->set;
    qb.rec.copy = 0;
    if (qb.type == QBLK_VDATA) {
        /* Version vectors: one record per write (its blocks united), none another covers. */
        qvset_merge(*set, &qb.rec, 1);
        return;
    }
    /* Superseded by the set's newest put or delete (or that record again): normalizing would
     * drop it. */
    if (qs->has_base && qrecord_cmp(&qb.rec, &qs->base) <= 0)
        return;
    if (qb.rec.op == OP_PUT || qb.rec.op == OP_DELETE) {
        qs->base = qb.rec;
        qs->has_base = TRUE;
        guint keep = 0;
        for (guint j = 0; j < (*set)->len; j++) {
            const QRecord *e = &g_array_index(*set, QRecord, j);
            if (qrecord_cmp(e, &qb.rec) > 0)
                g_array_index(*set, QRecord, keep++) = *e;
        }
        g_array_set_size(*set, keep);
    }
    g_array_append_val(*set, qb.rec);
    if ((qb.rec.op == OP_PUT || qb.rec.op == OP_DELETE) &&
        (!q->has_base[qb.rec.key] || version_cmp(qb.rec.version, q->base[qb.rec.key]) > 0)) {
        q->base[qb.rec.key] = qb.rec.version;
        q->has_base[qb.rec.key] = TRUE;
    }
}

/* Adds node n's live records. A rewritten copy is the same write again: one record per write,
 * unless the node really applied a write twice (two originals), which stays visible. Only the
 * writes that have copies need remembering (few), not every write. Returns whether n holds
 * rewritten copies. */
static gboolean qstate_add_node(QuorumOracle *o, QState *q, EndpointId n)
{
    const Chunks *blocks = &o->qblocks[n];
    const Disk *d = oview_disk(o->view, n);
    g_autoptr(GHashTable) copied = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < blocks->len; i++) {
        const QBlockInfo *b = chunks_at(blocks, i);
        if (qalive(b) && qdata(b->type) && b->copy)
            g_hash_table_add(copied, (gpointer)&b->idem);
        if (qalive(b) && b->type == QBLK_VDATA)
            qstate_add_block(o, q, n, d, i); /* copies unite with their write */
    }
    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < blocks->len; i++) {
            const QBlockInfo *b = chunks_at(blocks, i);
            if (!qalive(b) || b->type != QBLK_DATA || b->copy != pass)
                continue;
            if (pass == 1 && g_hash_table_contains(seen, &b->idem))
                continue;
            if (g_hash_table_contains(copied, &b->idem))
                g_hash_table_add(seen, (gpointer)&b->idem);
            qstate_add_block(o, q, n, d, i);
        }
    }
    return g_hash_table_size(copied) > 0;
}

/* `copies` (may be NULL) gets, per node, whether it holds rewritten copies. */
static void qstate_build(QuorumOracle *o, QState *q, gboolean *copies)
{
    q->keys = o->view->key_count(o->view->ctx);
    q->sets = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, qset_free);
    q->base = g_new0(Version, q->keys);
    q->has_base = g_new0(gboolean, q->keys);
    for (EndpointId n = 0; n < o->nodes; n++) {
        gboolean has_copies = qstate_add_node(o, q, n);
        if (copies)
            copies[n] = has_copies;
    }
}

/* Adds to the cached state the blocks that became durable since it was built: only new original
 * data blocks did (quorum_on_durable drops the cache on anything else). */
static void qcache_catch_up(QuorumOracle *o)
{
    for (EndpointId n = 0; n < o->nodes; n++) {
        const Chunks *blocks = &o->qblocks[n];
        const Disk *d = oview_disk(o->view, n);
        for (uint32_t i = o->qcache_len[n]; i < blocks->len; i++) {
            const QBlockInfo *b = chunks_at(blocks, i);
            if (qalive(b) && qdata(b->type) && !b->copy)
                qstate_add_block(o, o->qcache, n, d, i);
        }
        o->qcache_len[n] = blocks->len;
    }
}

/* When a purged tombstone first covered the write, on some node, or SIM_TIME_NEVER. */
static SimTime purged_at(const QuorumOracle *o, const Ledger *l)
{
    QRecord rec = {.key = l->key, .version = l->version};
    if (o->vclock) {
        const WriteDots *w = idem_table_lookup(&o->dots, l->idem);
        if (!w)
            return SIM_TIME_NEVER;
        rec.clock = w->dots;
    }
    SimTime at = SIM_TIME_NEVER;
    for (EndpointId n = 0; n < o->nodes; n++)
        at = MIN(at, node_purged_at(o, n, &rec));
    return at;
}

static gboolean purged(const QuorumOracle *o, const Ledger *l)
{
    return purged_at(o, l) != SIM_TIME_NEVER;
}

static SimTime quorum_purged_at(void *st, const Ledger *l)
{
    return purged_at(st, l);
}

/* Whether some live record covers the write: under version vectors one whose causal past holds
 * its dot, else a newer put or delete; or a purged tombstone does. */
static gboolean superseded(const QuorumOracle *o, const QState *q, const Ledger *l)
{
    if (l->key >= q->keys)
        return FALSE;
    if (purged(o, l))
        return TRUE;
    if (!o->vclock)
        return q->has_base[l->key] && version_cmp(q->base[l->key], l->version) > 0;
    const WriteDots *w = idem_table_lookup(&o->dots, l->idem);
    for (EndpointId n = 0; w && n < o->nodes; n++) {
        const GArray *set = qset_of(q, n, l->key);
        for (guint i = 0; set && i < set->len; i++)
            if (qclock_covers(&g_array_index(set, QRecord, i).clock, &w->dots))
                return TRUE;
    }
    return FALSE;
}

/* Merges records into a set, as the resolution does. */
static void merge_into(const QuorumOracle *o, GArray *set, const GArray *src)
{
    if (o->vclock)
        qvset_merge(set, (const QRecord *)(const void *)src->data, src->len);
    else
        qset_merge(set, (const QRecord *)(const void *)src->data, src->len);
}

static gboolean fold(const QuorumOracle *o, const GArray *set, Value *v)
{
    if (o->vclock)
        return qvset_fold((const QRecord *)(const void *)set->data, set->len, v);
    return qset_fold(set, v);
}

/* ---- convergence ---- */

/* "; r1 holds c1#3 (r2.4 past=r1:2)": a replica's records with their clocks (version vectors). */
static void describe_set(const QuorumOracle *o, EndpointId node, const GArray *set, GString *s)
{
    char idem[64];
    g_string_append_printf(s, "; %s holds", oview_name(o->view, node));
    for (guint i = 0; i < set->len; i++) {
        const QRecord *r = &g_array_index(set, QRecord, i);
        g_string_append_printf(s, "%s %s (", i ? "," : "",
                               o->view->idem_name(o->view->ctx, r->idem, idem, sizeof idem));
        for (guint e = 0; e < (guint)r->clock.ndots + r->clock.npast; e++) {
            const QDot *d = &r->clock.e[e];
            g_string_append_printf(s, "%s%s%s", e == r->clock.ndots ? " past=" : "",
                                   e > 0 && e != r->clock.ndots ? "," : "",
                                   oview_name(o->view, qactor_node(d->actor)));
            if (qactor_epoch(d->actor) > 0)
                g_string_append_printf(s, "@%u", qactor_epoch(d->actor));
            if (e >= r->clock.ndots && d->span == QSPAN_ALL)
                g_string_append_printf(s, ":%u", d->counter);
            else if (e >= r->clock.ndots && d->span > 0)
                g_string_append_printf(s, ".%u-%u", d->counter - d->span, d->counter);
            else
                g_string_append_printf(s, ".%u", d->counter);
        }
        g_string_append(s, ")");
    }
    if (set->len == 0)
        g_string_append(s, " nothing");
}

/* Whether the key's replicas that are up agree; raises divergent for the first that does not. */
static void check_key_converged(QuorumOracle *o, const QState *q, KeyId k, const EndpointId *walk,
                                Verdict *v)
{
    const OracleView *view = o->view;
    guint n = quorum_config(view->cfg)->replicas;
    GArray *ref = NULL;
    EndpointId ref_node = ENDPOINT_NONE;
    for (guint i = 0; i < n; i++) {
        EndpointId node = walk[i];
        if (!view->is_up(view->ctx, node))
            continue;
        GArray *set = g_array_new(FALSE, FALSE, sizeof(QRecord));
        const GArray *src = qset_of(q, node, k);
        if (src)
            merge_into(o, set, src);
        /* A tombstone some replica purged goes everywhere in time (every replica held it). */
        for (guint d = set->len; d-- > 0;) {
            const QRecord *r = &g_array_index(set, QRecord, d);
            gboolean gone = FALSE;
            for (EndpointId p = 0; p < o->nodes && !gone && r->op == OP_DELETE; p++)
                gone = node_purged(o, p, r);
            if (gone)
                g_array_remove_index(set, d);
        }
        /* Deletes only, or nothing (purged): the key is absent either way. */
        gboolean deletes = TRUE;
        for (guint d = 0; d < set->len && deletes; d++)
            deletes = g_array_index(set, QRecord, d).op == OP_DELETE;
        if (deletes)
            g_array_set_size(set, 0);
        if (!ref) {
            ref = set;
            ref_node = node;
            continue;
        }
        uint32_t c1, c2;
        uint64_t h1, h2;
        qset_digest(ref, &c1, &h1);
        qset_digest(set, &c2, &h2);
        gboolean differ = c1 != c2 || h1 != h2;
        if (differ) {
            Value v1 = 0, v2 = 0;
            gboolean p1 = fold(o, ref, &v1), p2 = fold(o, set, &v2);
            EndpointId nodes[2] = {ref_node, node};
            char when[32];
            GString *s = g_string_new(NULL);
            g_string_printf(s,
                            "after settle (%s), %s and %s disagree on key %s (%s%" G_GINT64_FORMAT
                            " vs %s%" G_GINT64_FORMAT ")",
                            sim_time_format_human(oview_now(view), when, sizeof when),
                            oview_name(view, ref_node), oview_name(view, node), oview_key(view, k),
                            p1 ? "" : "absent ", v1, p2 ? "" : "absent ", v2);
            if (o->vclock) {
                describe_set(o, ref_node, ref, s);
                describe_set(o, node, set, s);
            }
            verdict_add(v, V_DIVERGENT, oview_now(view), NULL, 0, nodes, 2,
                        g_string_free(s, FALSE));
        }
        g_array_free(set, TRUE);
        if (differ)
            break;
    }
    if (ref)
        g_array_free(ref, TRUE);
}

static void check_convergence(QuorumOracle *o, gboolean healed, const QState *q, Verdict *v)
{
    if (!healed) {
        v->convergence_note = g_strdup("not checked: a fault was still in force when settle ended");
        return;
    }
    g_autoptr(Ring) ring = ring_new(o->nodes, QUORUM_VNODES);
    KeyId probe = oview_probe_key(o->view);
    for (KeyId k = 0; k < q->keys; k++) {
        if (k == probe)
            continue; /* written after settle, by design not yet everywhere */
        EndpointId walk[QUORUM_MAX_REPLICAS];
        /* The key's replicas, placed as the protocol places them. */
        ring_walk_first(ring, o->view->key_hash(o->view->ctx, k), walk,
                        quorum_config(o->view->cfg)->replicas);
        check_key_converged(o, q, k, walk, v);
    }
}

static void quorum_convergence(void *st, gboolean healed)
{
    QuorumOracle *o = st;
    qcache_drop(o);
    QState *q = g_new0(QState, 1);
    qstate_build(o, q, o->qcache_copies);
    check_convergence(o, healed, q, o->found);
    o->qcache = q;
    for (EndpointId n = 0; n < o->nodes; n++)
        o->qcache_len[n] = o->qblocks[n].len;
}

/* ---- what the generic oracles take ---- */

static guint quorum_ack_copies(void *st)
{
    const QuorumOracle *o = st;
    return quorum_config(o->view->cfg)->write_quorum;
}

static gboolean quorum_lost(void *st, const Ledger *l, const NodeSet *holders)
{
    const QuorumOracle *o = st;
    return nodeset_is_empty(holders) && !superseded(o, o->end, l);
}

static gboolean quorum_visible(void *st, const Ledger *l)
{
    const QuorumOracle *o = st;
    return l->nholders != 0 || superseded(o, o->end, l);
}

/* Duplicates on disk: one replica holding two live original copies of one write (not a put,
 * which the second application leaves unchanged). */
static void quorum_ledger_end(void *st, Ledger *l, Verdict *v)
{
    QuorumOracle *o = st;
    if (l->dup_reported || l->kind == OP_PUT)
        return;
    /* The first node, in node order, holding two originals. */
    const LedgerCopy *dup = NULL;
    for (guint i = 0; i < l->ncopies; i++) {
        const LedgerCopy *c = ledger_copy_at(l, o->ledger->inline_copies, i);
        if (c->own >= 2 && (!dup || c->node < dup->node))
            dup = c;
    }
    if (!dup)
        return;
    l->dup_reported = 1;
    char label[64];
    uint32_t ops[1] = {l->first_op};
    EndpointId nodes[1] = {dup->node};
    const OracleView *view = o->view;
    verdict_add(v, V_DUPLICATE, oview_now(view), ops, 1, nodes, 1,
                g_strdup_printf("%s holds write %s (%s %s) %u times: applied more than once",
                                oview_name(view, dup->node),
                                view->idem_name(view->ctx, l->idem, label, sizeof label),
                                op_kind_name(l->kind), oview_key(view, l->key), dup->own));
}

/* The writes some read could still return: what survives merging every replica's state of
 * the key, as a read that reached them all would. */
static void note_live(QuorumOracle *o, const QState *q)
{
    idem_table_init(&o->live, 1);
    GArray *all = g_array_new(FALSE, FALSE, sizeof(QRecord));
    for (KeyId k = 0; k < q->keys; k++) {
        g_array_set_size(all, 0);
        for (EndpointId n = 0; n < o->nodes; n++) {
            const GArray *set = qset_of(q, n, k);
            if (set)
                merge_into(o, all, set);
        }
        for (guint i = 0; i < all->len; i++)
            idem_table_insert(&o->live, g_array_index(all, QRecord, i).idem);
    }
    g_array_free(all, TRUE);
}

/* ---- lost redundancy ---- */

/* A superseded write owes nothing: replicas repair the key's state, not what it no longer holds.
 * Judged against the state built after settle; before that every acked write owes its copies. */
static gboolean quorum_owes_copies(void *st, const Ledger *l)
{
    const QuorumOracle *o = st;
    if (purged(o, l))
        return FALSE; /* gone with a purged tombstone, as it should */
    if (o->qcache)
        return !superseded(o, o->qcache, l);
    if (o->vclock)
        return TRUE; /* covered records stay on disk: nothing takes their copies away */
    /* Before settle: not once a newer put or delete of its key was durable somewhere. */
    const Newest *n = l->key < o->newest->len ? &g_array_index(o->newest, Newest, l->key) : NULL;
    return !n || !n->set || version_cmp(n->version, l->version) <= 0;
}

static void key_replicas(QuorumOracle *o, KeyId key, NodeSet *out);

/* Settled (streaming), under last-writer-wins without purges: durable on every replica of its
 * key, or a newer put or delete of its key is durable (it owes nothing then, and is never lost
 * while that stays). Version vectors keep every write to the end (siblings are judged on all). */
static gboolean quorum_settled(void *st, const Ledger *l)
{
    QuorumOracle *o = st;
    if (o->vclock || quorum_config(o->view->cfg)->purge != QPURGE_NEVER || l->key == KEY_NONE ||
        l->key >= o->view->key_count(o->view->ctx))
        return FALSE;
    const Newest *n = l->key < o->newest->len ? &g_array_index(o->newest, Newest, l->key) : NULL;
    if (n && n->set && version_cmp(n->version, l->version) > 0)
        return TRUE;
    NodeSet replicas;
    nodeset_init(&replicas, o->nodes);
    key_replicas(o, l->key, &replicas);
    for (EndpointId r = 0; r < o->nodes; r++)
        if (nodeset_has(&replicas, r) && ledger_count(o->ledger, l, r) == 0)
            return FALSE;
    return TRUE;
}

static void hints_drop(QuorumOracle *o)
{
    if (o->hints)
        g_hash_table_unref(o->hints);
    o->hints = NULL;
}

/* Every live hint of every node, by write: a hint both ends of which are up should have been
 * handed back by now, so it does not count (but its holder can still hand it back). */
static void hints_build(QuorumOracle *o, const NodeSet *up)
{
    hints_drop(o);
    o->hints = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    o->hints_up = *up;
    for (EndpointId n = 0; n < o->nodes; n++) {
        const Chunks *blocks = &o->qblocks[n];
        for (guint i = 0; i < blocks->len; i++) {
            QBlockInfo *b = chunks_at(blocks, i);
            if (!qalive(b) || !qblk_is_hint(b->type))
                continue;
            HintCopies *h = g_hash_table_lookup(o->hints, &b->idem);
            if (!h) {
                h = g_new0(HintCopies, 1);
                nodeset_init(&h->nodes, o->nodes);
                nodeset_init(&h->pending, o->nodes);
                g_hash_table_insert(o->hints, &b->idem, h);
            }
            nodeset_add(&h->nodes, n);
            gboolean both_up = nodeset_has(up, n) && b->target < o->nodes &&
                               nodeset_has(up, (EndpointId)b->target);
            if (!both_up)
                nodeset_add(&h->pending, n);
        }
    }
}

/* The key's N replicas, as the protocol places them, added to `out`. */
static void key_replicas(QuorumOracle *o, KeyId key, NodeSet *out)
{
    guint keys = o->view->key_count(o->view->ctx);
    guint n = MIN(quorum_config(o->view->cfg)->replicas, o->nodes);
    if (!o->ring) {
        o->ring = ring_new(o->nodes, QUORUM_VNODES);
        o->walks = g_new0(EndpointId, MAX((gsize)keys * n, 1));
        o->walked = g_new0(gboolean, MAX(keys, 1));
    }
    g_assert(key < keys);
    EndpointId *walk = &o->walks[(gsize)key * n];
    if (!o->walked[key]) {
        ring_walk_first(o->ring, o->view->key_hash(o->view->ctx, key), walk, n);
        o->walked[key] = TRUE;
    }
    for (guint i = 0; i < n; i++)
        nodeset_add(out, walk[i]);
}

static gboolean same_nodes(const NodeSet *a, const NodeSet *b)
{
    return a->words == b->words && memcmp(a->w, b->w, sizeof(uint64_t) * a->words) == 0;
}

/* Copies that count: records on any node, and hints that rightly wait; repair copies from up
 * records (anti-entropy, read repair) and up hints (handoff); room is the key's up replicas. */
static void quorum_settled_copies(void *st, const Ledger *l, const NodeSet *up, RedundancyView *out)
{
    QuorumOracle *o = st;
    if (!o->hints || !same_nodes(&o->hints_up, up))
        hints_build(o, up);
    const HintCopies *h = g_hash_table_lookup(o->hints, &l->idem);
    NodeSet records;
    ledger_holders(o->ledger, l, &records); /* every holder, then less its hints */
    if (h)
        nodeset_minus(&records, &h->nodes);
    out->holders = records;
    if (h)
        nodeset_union(&out->holders, &h->pending);
    out->sources = records;
    if (h)
        nodeset_union(&out->sources, &h->nodes);
    nodeset_intersect(&out->sources, up);
    nodeset_init(&out->room, o->nodes);
    key_replicas(o, l->key, &out->room);
    nodeset_intersect(&out->room, up);
    nodeset_union(&out->room, &out->holders);
}

static void quorum_end_begin(void *st)
{
    QuorumOracle *o = st;
    if (o->qcache) {
        qcache_catch_up(o);
        o->end = o->qcache;
    } else {
        memset(&o->fresh, 0, sizeof o->fresh);
        qstate_build(o, &o->fresh, NULL);
        o->end = &o->fresh;
    }
    note_live(o, o->end);
}

static gboolean quorum_reissued(void *st, IdemKey idem)
{
    return idem_table_lookup(&((QuorumOracle *)st)->twice, idem) != NULL;
}

static gboolean quorum_truncated(void *st, IdemKey idem)
{
    return idem_table_lookup(&((QuorumOracle *)st)->cut, idem) != NULL;
}

static gboolean quorum_multi_value(void *st)
{
    return ((const QuorumOracle *)st)->vclock;
}

static gboolean quorum_accounted(void *st, const Ledger *l)
{
    const QuorumOracle *o = st;
    return idem_table_lookup(&o->live, l->idem) != NULL || purged(o, l);
}

static void quorum_end_done(void *st)
{
    QuorumOracle *o = st;
    if (o->end == &o->fresh)
        qstate_clear(o, &o->fresh);
    o->end = NULL;
    idem_table_clear(&o->live);
}

/* ---- life cycle ---- */

static void *quorum_create(const OracleEnv *env)
{
    QuorumOracle *o = g_new0(QuorumOracle, 1);
    o->view = env->view;
    o->ledger = env->ledger;
    o->found = env->found;
    o->nodes = o->view->cfg->nodes;
    o->qcache_len = g_new0(uint32_t, o->nodes);
    o->qcache_copies = g_new0(gboolean, o->nodes);
    o->qblocks = g_new0(Chunks, o->nodes);
    o->newest = g_array_new(FALSE, TRUE, sizeof(Newest));
    o->segfile = g_new0(GArray *, o->nodes);
    o->fileseg = g_new0(GArray *, o->nodes);
    for (guint n = 0; n < o->nodes; n++) {
        chunks_init(&o->qblocks[n], sizeof(QBlockInfo));
        o->segfile[n] = g_array_new(FALSE, TRUE, sizeof(uint32_t));
        o->fileseg[n] = g_array_new(FALSE, TRUE, sizeof(uint32_t));
    }
    o->vclock = quorum_vclock(o->view->cfg);
    o->purges = g_new(GArray *, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->purges[n] = g_array_new(FALSE, FALSE, sizeof(Purge));
    idem_table_init(&o->dots, sizeof(WriteDots));
    idem_table_init(&o->twice, 1);
    idem_table_init(&o->cut, 1);
    return o;
}

static void quorum_destroy(void *st)
{
    QuorumOracle *o = st;
    qcache_drop(o);
    hints_drop(o);
    g_array_free(o->newest, TRUE);
    if (o->ring)
        ring_free(o->ring);
    g_free(o->walks);
    g_free(o->walked);
    g_free(o->qcache_len);
    g_free(o->qcache_copies);
    for (guint n = 0; n < o->nodes; n++) {
        chunks_clear(&o->qblocks[n]);
        g_array_free(o->segfile[n], TRUE);
        g_array_free(o->fileseg[n], TRUE);
    }
    g_free(o->qblocks);
    idem_table_clear(&o->dots);
    idem_table_clear(&o->twice);
    idem_table_clear(&o->cut);
    for (guint n = 0; n < o->nodes; n++)
        g_array_free(o->purges[n], TRUE);
    g_free(o->purges);
    g_free(o->segfile);
    g_free(o->fileseg);
    g_free(o);
}

const OracleModule quorum_oracle = {
    .name = "quorum",
    .create = quorum_create,
    .destroy = quorum_destroy,
    .durable = quorum_on_durable,
    .sent = quorum_on_sent,
    .ack_copies = quorum_ack_copies,
    .acks_need_commitment = FALSE,
    .lost = quorum_lost,
    .loss_names_survivors = FALSE,
    .visible = quorum_visible,
    .ledger_end = quorum_ledger_end,
    .merging_adds = TRUE,
    .convergence = quorum_convergence,
    .owes_copies = quorum_owes_copies,
    .settled_copies = quorum_settled_copies,
    .end_begin = quorum_end_begin,
    .end_done = quorum_end_done,
    .causal = TRUE,
    .multi_value = quorum_multi_value,
    .accounted = quorum_accounted,
    .reissued = quorum_reissued,
    .settled = quorum_settled,
    .truncated = quorum_truncated,
    .purged_at = quorum_purged_at,
};
