/* reports/raft/raft_oracle.c — Raft's oracle module: the durable-state follower. It follows
 * every change of every server's durable image, decodes log entries and the durable metadata
 * itself, tells the ledger where each write's durable copies are, and computes commitment (see
 * raft_state.h); it also keeps each server's log as the server holds it (the mirror), for
 * leader completeness. It never asks a server what it believes. An acked write needs a majority
 * of copies and commitment; one is lost when fewer than a majority hold it at the end.
 */
#include "reports/raft/raft_oracle.h"

#include "reports/raft/raft_durable.h"
#include "reports/raft/raft_state.h"

#include <string.h>

static guint popcount(uint64_t x)
{
    return (guint)__builtin_popcountll(x);
}

static void support_free(gpointer p)
{
    for (RaftSupport *x = p, *next; x; x = next) {
        next = x->next;
        g_free(x);
    }
}

static RaftSlot *slot_at(Chunks *a, uint64_t index)
{
    if (index > a->len)
        chunks_set_size(a, (guint)index);
    return chunks_at(a, (guint)(index - 1));
}

/* ---- the log's layout ---- */

/* Whether an unlink of segment `seg` of node's log is compaction (a prefix its snapshot holds,
 * or any segment with entries beyond it: a truncation unlinks from the last segment down, each
 * then the last, model/seglog.h) rather than a truncation of its end. */
gboolean raft_compacting(const RaftOracle *o, EndpointId node, uint32_t seg)
{
    uint64_t end = (uint64_t)(seg + 1) * o->seg_entries;
    return end <= raft_covered(o, node) || o->mirror[node].len > end;
}

/* Segment `seg` of node's log was unlinked to compact (TRUE), or is named again (FALSE). */
static void mark_compacted(RaftOracle *o, EndpointId node, uint32_t seg, gboolean on)
{
    GArray *a = o->compacted[node];
    for (guint i = 0; i < a->len; i++)
        if (g_array_index(a, uint32_t, i) == seg) {
            if (!on)
                g_array_remove_index_fast(a, i);
            return;
        }
    if (on)
        g_array_append_val(a, seg);
}

static gboolean was_compacted(const RaftOracle *o, EndpointId node, uint32_t seg)
{
    const GArray *a = o->compacted[node];
    for (guint i = 0; i < a->len; i++)
        if (g_array_index(a, uint32_t, i) == seg)
            return TRUE;
    return FALSE;
}

static uint32_t seg_of(const RaftOracle *o, uint64_t index)
{
    return (uint32_t)((index - 1) / o->seg_entries);
}

gboolean raft_oracle_segment_of(RaftOracle *o, EndpointId node, guint file, uint32_t *seg)
{
    GArray *fs = o->fileseg[node];
    if (file >= fs->len)
        g_array_set_size(fs, file + 1);
    uint32_t *known = &g_array_index(fs, uint32_t, file);
    if (*known == 0) {
        const char *path = disk_file_path(oview_disk(o->view, node), file);
        if (!path || !*path)
            return FALSE; /* never seen while named: it held nothing durable */
        *known = raft_segment_parse(path, seg) ? *seg + 2 : 1;
    }
    *seg = *known - 2;
    return *known >= 2;
}

static guint seg_file(const RaftOracle *o, EndpointId n, uint32_t seg)
{
    const GArray *sf = o->segfile[n];
    return seg < sf->len ? g_array_index(sf, uint32_t, seg) : 0;
}

uint32_t raft_oracle_log_id(const RaftOracle *o, EndpointId n, uint64_t index)
{
    const Disk *d = oview_disk(o->view, n);
    if (index < 1)
        return 0;
    if (o->fixed)
        return disk_durable_id(d, RAFT_FILE_LOG, (uint32_t)(index - 1));
    guint f = seg_file(o, n, seg_of(o, index));
    return f ? disk_durable_id(d, f - 1, (uint32_t)((index - 1) % o->seg_entries)) : 0;
}

uint64_t raft_oracle_log_end(const RaftOracle *o, EndpointId n)
{
    const Disk *d = oview_disk(o->view, n);
    if (o->fixed)
        return disk_durable_length(d, RAFT_FILE_LOG);
    for (guint seg = o->segfile[n]->len; seg-- > 0;) {
        guint f = seg_file(o, n, seg);
        uint32_t len = f ? disk_durable_length(d, f - 1) : 0;
        if (len > 0)
            return (uint64_t)seg * o->seg_entries + MIN(len, o->seg_entries);
    }
    return 0;
}

gboolean raft_oracle_prefix_synced(RaftOracle *o, EndpointId n, uint64_t len)
{
    const Disk *d = oview_disk(o->view, n);
    if (o->fixed)
        return disk_prefix_was_synced(d, RAFT_FILE_LOG, (uint32_t)len);
    raft_snapshots_refresh(o, n);
    uint64_t covered = raft_covered(o, n);
    if (len <= covered)
        return TRUE; /* its durable snapshot holds them */
    /* The files the server wrote (as it names them now) must be durably named, each segment
     * synced below the prefix's end; the leading segments known synced whole are skipped
     * (a write, a truncation or an unlink there, a lost name, a reboot forget them), and so
     * are those its durable snapshot holds (compaction unlinks them). */
    uint32_t last = seg_of(o, len), from = covered ? seg_of(o, covered + 1) : 0;
    for (uint32_t seg = MAX(MIN(o->verified[n], last), from); seg <= last; seg++) {
        char path[FS_PATH_MAX];
        raft_segment_path(seg, path, sizeof path);
        gint f = disk_lookup(d, path, FALSE);
        uint64_t base = (uint64_t)seg * o->seg_entries;
        uint32_t want = seg < last ? o->seg_entries : (uint32_t)(len - base);
        if (f < 0)
            return FALSE;
        if (covered > base) {
            for (uint64_t i = covered - base; i < want; i++)
                if (!disk_block_was_synced(d, (guint)f, (uint32_t)i))
                    return FALSE;
            continue;
        }
        if (!disk_prefix_was_synced(d, (guint)f, want))
            return FALSE;
        if (want == o->seg_entries && seg == o->verified[n])
            o->verified[n] = seg + 1;
    }
    return TRUE;
}

static void unverify(RaftOracle *o, EndpointId n, uint32_t seg)
{
    o->verified[n] = MIN(o->verified[n], seg);
}

/* The servers of a run mostly hold the same blocks, so the last block decoded is remembered. */
gboolean raft_oracle_durable_entry(RaftOracle *o, EndpointId n, uint64_t index, RaftEntry *out,
                                   uint32_t *id)
{
    uint32_t bid = raft_oracle_log_id(o, n, index);
    if (id)
        *id = bid;
    if (bid == 0)
        return FALSE; /* none, or a hole: nothing decodes */
    const DiskBlock *b = block_store_get(o->view->store, bid);
    if (memcmp(b, &o->dec_block, sizeof *b) != 0) {
        o->dec_block = *b;
        o->dec_ok = raft_decode_entry(b, &o->dec_entry) == BLOCK_OK;
    }
    *out = o->dec_entry;
    return o->dec_ok;
}

/* Entry (index, term) is committed: so is every entry below it, as the supporters' logs hold
 * them (log matching). Reads each from a supporter that holds it durably. */
static void commit_through(RaftOracle *o, uint64_t supporters, uint64_t index, uint64_t term)
{
    uint64_t from = o->committed.len + 1;
    for (uint64_t i = from; i <= index; i++) {
        RaftEntry e;
        gboolean found = FALSE;
        for (EndpointId n = 0; n < o->nodes && !found; n++)
            found = ((supporters >> n) & 1) && raft_oracle_durable_entry(o, n, i, &e, NULL);
        /* Compacted into a supporter's durable snapshot (which holds only applied entries): the
         * prefix is there, its entry no longer readable (term 0 in the slot). */
        for (EndpointId n = 0; n < o->nodes && !found; n++)
            if (((supporters >> n) & 1) && i <= raft_covered(o, n)) {
                found = TRUE;
                e = (RaftEntry){.index = i, .idem = IDEM_NONE};
            }
        if (!found) {
            if (index > o->pending_index) {
                o->pending_index = index;
                o->pending_term = term;
                o->pending_mask = supporters;
            }
            break;
        }
        RaftSlot *s = slot_at(&o->committed, i);
        *s = (RaftSlot){
            .term = e.term, .commit_term = term, .idem = e.idem, .kind = e.kind, .set = 1};
        if (o->profile.configurations)
            raft_members_committed(o, &e);
        Ledger *l = e.idem != IDEM_NONE ? ledger_find(o->ledger, e.idem) : NULL;
        if (l)
            l->committed = 1;
    }
    /* Support below the committed prefix is never counted again. */
    guint gone = (guint)MIN(o->committed.len + 1 - from, (uint64_t)o->support->len);
    if (gone > 0)
        g_ptr_array_remove_range(o->support, 0, gone);
}

/* Entry e is durable on node, which durably records e's term: what the leader of that term may
 * count toward committing it (Raft §5.4.2). */
static void add_support(RaftOracle *o, EndpointId node, const RaftEntry *e)
{
    if (o->meta_term[node] != e->term || e->index <= o->committed.len)
        return;
    guint pos = (guint)(e->index - o->committed.len - 1);
    if (pos >= o->support->len)
        g_ptr_array_set_size(o->support, pos + 1);
    RaftSupport **head = (RaftSupport **)&g_ptr_array_index(o->support, pos), *x = *head;
    while (x && x->term != e->term)
        x = x->next;
    if (!x) {
        x = g_new0(RaftSupport, 1);
        x->term = e->term;
        x->next = *head;
        *head = x;
    }
    x->mask |= (uint64_t)1 << node;
    uint64_t mask = x->mask;
    gboolean quorum = o->members.is_quorum
                          ? o->members.is_quorum(o->members.ctx, mask, e->index, e->term)
                          : popcount(mask) >= o->majority;
    if (quorum)
        commit_through(o, mask, e->index, e->term); /* may free x */
}

void raft_oracle_recount(RaftOracle *o)
{
    if (!o->members.is_quorum)
        return;
    for (guint pos = o->support->len; pos-- > 0;) {
        uint64_t index = o->committed.len + 1 + pos;
        for (const RaftSupport *x = g_ptr_array_index(o->support, pos); x; x = x->next)
            if (o->members.is_quorum(o->members.ctx, x->mask, index, x->term)) {
                commit_through(o, x->mask, index, x->term);
                return;
            }
    }
}

/* The node's durable term rose to `term`: entries of that term it already held durably (its log
 * fsync finished before its metadata's) support their commitment from now on. */
static void support_held_entries(RaftOracle *o, EndpointId node, uint64_t term)
{
    uint64_t len = raft_oracle_log_end(o, node);
    for (uint64_t i = o->committed.len + 1; i <= len; i++) {
        RaftEntry e;
        if (raft_oracle_durable_entry(o, node, i, &e, NULL) && e.index == i && e.term == term)
            add_support(o, node, &e);
    }
}

/* Whether a disk's durable metadata file (named layout) is there but damaged: unreadable, or a
 * complete block that fails its checksum. */
static gboolean meta_damaged(const Disk *d)
{
    gint f = raft_disk_fixed(d) ? -1 : disk_lookup(d, RAFT_META_PATH, TRUE);
    if (f < 0 || disk_durable_length(d, (guint)f) == 0)
        return FALSE;
    DiskBlock b;
    RaftMeta m;
    return !disk_durable_block(d, (guint)f, 0, &b) || raft_decode_meta(&b, &m) == BLOCK_CORRUPT;
}

static void meta_durable(RaftOracle *o, EndpointId node, const DiskBlock *neu, DiskChange cause)
{
    RaftMeta m;
    /* The term the node's disk records. Damage to its metadata does not unmake what the node did
     * in a term it had recorded, however often it is read again (another file of the disk
     * changed); a lost disk does (the node starts over). */
    const Disk *d = oview_disk(o->view, node);
    uint64_t t = raft_durable_meta(d, &m) ? m.term : 0;
    if (cause == DISK_CHANGE_MEDIA || (t == 0 && meta_damaged(d)))
        t = MAX(t, o->meta_term[node]);
    gboolean rose = t > o->meta_term[node];
    o->meta_term[node] = t;
    if (rose)
        support_held_entries(o, node, t);
    if (neu && raft_decode_meta(neu, &m) == BLOCK_OK && m.voted_for != ENDPOINT_NONE) {
        /* A vote that reached the disk: later damage does not unmake the node's care. */
        uint64_t *k = g_new(uint64_t, 1);
        *k = m.term << 8 | node;
        g_hash_table_insert(o->votes, k, GUINT_TO_POINTER(m.voted_for + 1u));
    }
}

/* Named files: a segment's block is the log's block seg * o->seg_entries + idx; any other
 * file may be (or have been, or become) the metadata: the durable term is read again, and a
 * vote counts only from the file durably named meta. */
static gboolean named_durable(RaftOracle *o, EndpointId node, guint file, uint32_t *idx,
                              const DiskBlock *neu, DiskChange cause)
{
    uint32_t seg;
    if (!raft_oracle_segment_of(o, node, file, &seg)) {
        const Disk *d = oview_disk(o->view, node);
        gboolean meta = disk_lookup(d, RAFT_META_PATH, TRUE) == (gint)file;
        meta_durable(o, node, meta ? neu : NULL, cause);
        if (o->profile.snapshots && !meta)
            raft_snapshots_durable(o, node, cause);
        return FALSE;
    }
    GArray *sf = o->segfile[node];
    if (seg >= sf->len)
        g_array_set_size(sf, seg + 1);
    uint32_t *at = &g_array_index(sf, uint32_t, seg);
    if (neu)
        *at = file + 1;
    else if (*at == file + 1 && cause != DISK_CHANGE_SIZE && cause != DISK_CHANGE_MEDIA)
        *at = 0; /* its name went (or the disk); a damaged block leaves the rest named */
    if (cause == DISK_CHANGE_UNLINK || cause == DISK_CHANGE_WIPE || cause == DISK_CHANGE_POWER)
        unverify(o, node, seg);
    *idx += seg * o->seg_entries;
    return TRUE;
}

void raft_oracle_durable(void *st, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                         const DiskBlock *neu, DiskChange cause)
{
    RaftOracle *o = st;
    if (o->fixed && file == RAFT_FILE_META) {
        meta_durable(o, node, neu, cause);
        return;
    }
    if (o->fixed && file != RAFT_FILE_LOG) {
        if (o->profile.snapshots)
            raft_snapshots_durable(o, node, cause); /* the snapshot, if any file is */
        return;
    }
    if (!o->fixed && !named_durable(o, node, file, &idx, neu, cause))
        return;
    RaftEntry e;
    if (old && raft_decode_entry(old, &e) == BLOCK_OK) {
        if (!neu && cause == DISK_CHANGE_UNLINK && o->profile.snapshots &&
            was_compacted(o, node, idx / o->seg_entries))
            raft_snapshots_unlinked(o, node, &e); /* (a truncation's unlink is not judged here) */
        if (e.idem != IDEM_NONE) {
            Ledger *l = ledger_get(o->ledger, e.idem);
            if (l && ledger_count(o->ledger, l, node) > 0)
                ledger_copy_changed(o->ledger, l, node, -1, cause);
        }
    }
    if (o->pending_index > o->committed.len && ((o->pending_mask >> node) & 1))
        commit_through(o, o->pending_mask, o->pending_index, o->pending_term);
    if (!neu || raft_decode_entry(neu, &e) != BLOCK_OK)
        return;
    if (e.idem != IDEM_NONE) {
        Ledger *l = ledger_get(o->ledger, e.idem);
        if (l) {
            l->key = e.key;
            l->kind = e.kind;
            ledger_copy_changed(o->ledger, l, node, +1, cause);
        }
    }
    raft_safety_new_entry(o, node, idx, &e);
    add_support(o, node, &e);
}

/* ---- the mirror: each server's log as it holds it ---- */

void raft_oracle_held(const RaftOracle *o, EndpointId node, uint64_t index, uint64_t *term,
                      IdemKey *idem)
{
    const Chunks *log = &o->mirror[node];
    *term = 0;
    *idem = IDEM_NONE;
    uint64_t released = (uint64_t)log->released_below << CHUNKS_SHIFT; /* below its snapshot */
    uint32_t id =
        index > released && index <= log->len ? chunks_index(log, uint32_t, index - 1) : 0;
    RaftEntry e;
    if (id != 0 && raft_decode_entry(block_store_get(o->view->store, id), &e) == BLOCK_OK) {
        *term = e.term;
        *idem = e.idem;
    }
}

uint64_t raft_oracle_held_term(const RaftOracle *o, EndpointId node, uint64_t index)
{
    uint64_t term;
    IdemKey idem;
    raft_oracle_held(o, node, index, &term, &idem);
    return term;
}

/* Drops the node's log entries from `len` on (what its snapshot holds is released already:
 * from there on, unless all goes). */
static void mirror_truncate(RaftOracle *o, EndpointId node, uint32_t len)
{
    Chunks *log = &o->mirror[node];
    if (o->profile.configurations)
        raft_members_cut(o, node, len);
    uint32_t released = log->released_below << CHUNKS_SHIFT;
    if (len == 0 && released > 0) {
        for (uint32_t i = released; i < log->len; i++)
            block_store_unref(o->view->store, chunks_index(log, uint32_t, i));
        chunks_clear(log);
        return;
    }
    len = MAX(len, released);
    for (uint32_t i = len; i < log->len; i++)
        block_store_unref(o->view->store, chunks_index(log, uint32_t, i));
    chunks_set_size(log, MIN(len, log->len));
}

static void mirror_set(RaftOracle *o, EndpointId node, uint32_t index, const DiskBlock *b)
{
    Chunks *log = &o->mirror[node];
    if (index < log->released_below << CHUNKS_SHIFT)
        return; /* a rewrite of an entry its snapshot holds */
    if (o->profile.configurations)
        raft_members_logged(o, node, index, b);
    uint32_t id = block_store_put(o->view->store, b);
    if (index >= log->len)
        chunks_set_size(log, index + 1);
    uint32_t *slot = chunks_at(log, index);
    block_store_unref(o->view->store, *slot);
    *slot = id;
}

/* The log a server with named files reads at boot: its segments in order (from the first, or
 * from the lowest one left above a snapshot), up to the first missing or short one, or an
 * unreadable block. */
static void booted_named(RaftOracle *o, EndpointId node, const ProtoDiskImage *img)
{
    uint32_t next = 0;
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        uint32_t seg;
        if (e->is_dir || !raft_segment_parse(e->path, &seg))
            continue;
        if (seg != next && (next != 0 || (uint64_t)seg * o->seg_entries > raft_covered(o, node)))
            return; /* a gap (segments below a snapshot the server holds are none, not one) */
        next = seg;
        for (uint32_t b = 0; b < e->len && b < o->seg_entries; b++) {
            if (e->errors[b] != 0)
                return;
            mirror_set(o, node, seg * o->seg_entries + b, &e->blocks[b]);
        }
        if (e->len < o->seg_entries)
            return;
        next++;
    }
}

void raft_oracle_booted(void *st, EndpointId node, const ProtoDiskImage *img)
{
    RaftOracle *o = st;
    raft_liveness_booted(o, node);
    mirror_truncate(o, node, 0);
    if (o->profile.snapshots)
        raft_snapshots_refresh(o, node); /* (the segments it left start above it) */
    if (!o->fixed) {
        o->verified[node] = 0;
        booted_named(o, node, img);
    } else {
        for (uint32_t i = 0; i < img->len[RAFT_FILE_LOG]; i++) {
            if (img->errors[RAFT_FILE_LOG][i] != 0)
                break; /* the server's log ends where its disk stops answering */
            mirror_set(o, node, i, &img->blocks[RAFT_FILE_LOG][i]);
        }
    }
    if (o->profile.snapshots)
        raft_snapshots_booted(o, node);
}

void raft_oracle_submitted(void *st, EndpointId node, guint file, uint32_t index,
                           const DiskBlock *block)
{
    RaftOracle *o = st;
    if (!o->fixed || file != RAFT_FILE_LOG)
        return;
    if (block)
        mirror_set(o, node, index, block);
    else
        mirror_truncate(o, node, index);
}

void raft_oracle_submitted_path(void *st, EndpointId node, const char *path, uint32_t index,
                                const DiskBlock *block)
{
    RaftOracle *o = st;
    uint32_t seg;
    if (block && o->profile.snapshots && strcmp(path, RAFT_SNAP_TMP) == 0) {
        raft_snapshots_written(o, node, block);
        return;
    }
    if (o->fixed || !raft_segment_parse(path, &seg))
        return;
    unverify(o, node, seg);
    uint32_t at = seg * o->seg_entries + index;
    gboolean compaction =
        !block && o->profile.snapshots && index == 0 && raft_compacting(o, node, seg);
    mark_compacted(o, node, seg, compaction);
    if (block)
        mirror_set(o, node, at, block);
    else if (!compaction)
        mirror_truncate(o, node, at);
}

/* ---- what the generic oracles take ---- */

/* The voters the end of the run holds the cluster to: the configuration committed last (all
 * servers, when the protocol has no configurations). */
static uint64_t settled_voters(const RaftOracle *o)
{
    return o->members.voters ? o->members.voters(o->members.ctx)
                             : (o->nodes >= 64 ? UINT64_MAX : ((uint64_t)1 << o->nodes) - 1);
}

/* Copies an acked write needs: a majority of the committed configuration (a write acked once
 * committed is held by a majority of every configuration committed after it too). */
guint raft_oracle_ack_copies(void *st)
{
    const RaftOracle *o = st;
    return (guint)__builtin_popcountll(settled_voters(o)) / 2 + 1;
}

/* Lost: fewer than a majority of the voters of the committed configuration hold it at the end;
 * a server removed, or never added, does not count. */
gboolean raft_oracle_lost(void *st, const Ledger *l, const NodeSet *held)
{
    const RaftOracle *o = st;
    uint64_t holders = nodeset_low64(held);
    uint64_t voters = settled_voters(o);
    return popcount(holders & voters) < popcount(voters) / 2 + 1;
}

/* Settled (streaming): committed, applied, and durable on every voter of the configuration
 * committed last (or in its snapshot): nothing the protocol does without a fault takes that
 * away. */
gboolean raft_oracle_settled(void *st, const Ledger *l)
{
    RaftOracle *o = st;
    if (!l->committed || l->effect_index == 0)
        return FALSE;
    uint64_t voters = settled_voters(o);
    /* Where servers compact, a log copy goes with its segment: only a durable snapshot is for
     * good (a compaction before the snapshot is durable must still be seen taking it). */
    gboolean compacts = o->profile.snapshots && raft_config(o->view->cfg)->snapshot_every > 0;
    for (EndpointId n = 0; n < o->nodes; n++)
        if (((voters >> n) & 1) && (compacts || ledger_count(o->ledger, l, n) == 0) &&
            raft_covered(o, n) < l->effect_index)
            return FALSE;
    return TRUE;
}

gboolean raft_oracle_visible(void *st, const Ledger *l)
{
    return l->effect_index != 0;
}

/* ---- life cycle ---- */

static SimTime raft_lease(const WorldConfig *c)
{
    return raft_config(c)->election_timeout.lo;
}

void *raft_oracle_create_for(const OracleEnv *env, const RaftOracleProfile *profile)
{
    RaftOracle *o = g_new0(RaftOracle, 1);
    o->view = env->view;
    o->ledger = env->ledger;
    o->found = env->found;
    o->profile = *profile;
    o->nodes = o->view->cfg->nodes;
    o->majority = o->nodes / 2 + 1;
    o->meta_term = g_new0(uint64_t, o->nodes);
    o->fixed = o->nodes > 0 && raft_disk_fixed(oview_disk(o->view, 0));
    o->segfile = g_new0(GArray *, o->nodes);
    o->fileseg = g_new0(GArray *, o->nodes);
    o->compacted = g_new0(GArray *, o->nodes);
    o->verified = g_new0(uint32_t, o->nodes);
    for (guint n = 0; n < o->nodes; n++) {
        o->segfile[n] = g_array_new(FALSE, TRUE, sizeof(uint32_t));
        o->fileseg[n] = g_array_new(FALSE, TRUE, sizeof(uint32_t));
        o->compacted[n] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    }
    o->support = g_ptr_array_new_with_free_func(support_free);
    chunks_init(&o->committed, sizeof(RaftSlot));
    chunks_init(&o->applied, sizeof(RaftApplied));
    o->leaders = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    o->votes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    o->mirror = g_new0(Chunks, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        chunks_init(&o->mirror[n], sizeof(uint32_t));
    o->lease = profile->lease ? profile->lease(o->view->cfg) : 0;
    o->seg_entries = o->view->cfg->protocol == &raft_protocol
                         ? raft_config(o->view->cfg)->segment_entries
                         : RAFT_SEGMENT_ENTRIES;
    raft_members_init(o);
    raft_snapshots_init(o);
    if (profile->configurations)
        o->members = raft_members_membership(o);
    if (profile->snapshots)
        o->members = raft_snapshots_membership(o, o->members);
    raft_liveness_init(o);
    return o;
}

/* A raft run: raft's configurations and messages. Another protocol on raft's records (the
 * hosted raft): neither; it installs its own membership. */
static void *raft_create(const OracleEnv *env)
{
    static const RaftOracleProfile own = {.configurations = TRUE,
                                          .bootstrap = raft_members_bootstrap,
                                          .raft_messages = TRUE,
                                          .lease = raft_lease,
                                          .snapshots = TRUE};
    static const RaftOracleProfile neutral = {0};
    gboolean raft = env->view->cfg->protocol == &raft_protocol;
    return raft_oracle_create_for(env, raft ? &own : &neutral);
}

void raft_oracle_destroy(void *st)
{
    RaftOracle *o = st;
    g_free(o->meta_term);
    for (guint n = 0; n < o->nodes; n++) {
        mirror_truncate(o, n, 0);
        chunks_clear(&o->mirror[n]);
        g_array_free(o->segfile[n], TRUE);
        g_array_free(o->fileseg[n], TRUE);
        g_array_free(o->compacted[n], TRUE);
    }
    g_free(o->segfile);
    g_free(o->fileseg);
    g_free(o->compacted);
    g_free(o->verified);
    g_free(o->mirror);
    g_ptr_array_unref(o->support);
    chunks_clear(&o->committed);
    chunks_clear(&o->applied);
    g_hash_table_unref(o->leaders);
    g_hash_table_unref(o->votes);
    raft_members_clear(o);
    raft_snapshots_clear(o);
    raft_liveness_clear(o);
    g_free(o);
}

const OracleModule raft_oracle = {.name = "raft", .create = raft_create, RAFT_ORACLE_HOOKS};
