/* model/libraft/libraft_repair.c — what the adapter does about damaged storage.
 *
 * The library trusts its raft_io to hand back, at load, what it durably stored; libraft 0.15 has
 * no way to repair a server whose log or metadata went bad (its own backend refuses to start).
 * The adapter owns the storage, so it keeps the promise itself, in two ways:
 *
 * Scrub (while running): every SCRUB_EVERY the adapter reads back the current metadata slot,
 * and the next slice of the durable log or of the current snapshot, and writes again, from what
 * it wrote (n->log, n->snap), any block that cannot be read or fails its checksum (a latent
 * sector error, silent corruption), then fsyncs. A failed scrub fsync proves nothing about what
 * it covered (the pages may look clean and never have been written): every block the scrub
 * wrote is written again and fsynced again, and every append still waiting for its fsync fails.
 *
 * Repair (at boot): damage the disk shows at boot (an unreadable or corrupt block in the log,
 * the metadata or a snapshot that may be the newest, the metadata missing after a first boot, a
 * repair cut short) means entries this server acknowledged may be gone, and handing the library
 * a shorter log would let it vote for a candidate missing a committed entry. So the library is
 * not started; the adapter asks its peers (LR_WIRE_REPAIR_ASK) for what they hold: running peers
 * answer with their term, snapshot and log (the adapter's copy of its file 1). Once enough peers
 * answered that one of them must hold every committed entry (N - floor(V/2) of them: any
 * majority of voters that committed an entry keeps at least one member among them), the most
 * up-to-date of their logs (last term, then last index) contains every committed entry (Raft's
 * election restriction), and becomes this server's log. Its term is the highest reported (or its
 * own, if higher); unless its own metadata is intact in that term, it votes for itself in it (it
 * may have voted in that term before: it must not vote for anyone else in it). The rebuilt state
 * is written in three fsynced phases: metadata marked "repairing", then log and snapshot, then
 * the metadata unmarked, so that a crash in between leads to a new repair, never to a mixed log.
 * A server that found nothing at all on its disk after its first boot (a crash before its
 * bootstrap became durable, or a lost disk) repairs the same way and answers others as "blank";
 * if every answer is blank, nothing was ever stored and it bootstraps as on a first boot.
 * Invariants: a damaged server's library is never started before the repair's last phase is
 * durable; a server answers only with what it wrote (never while it repairs, unless blank).
 */
#include "model/libraft/libraft_internal.h"
#include "model/libraft/libraft_marks.h"

#include <errno.h>
#include <string.h>

#define SCRUB_EVERY  (400 * SIM_MS)
#define SCRUB_BATCH  16
#define REPAIR_RETRY (100 * SIM_MS)

/* ---- the mirror of file 1 ---- */

void lr_log_reset(LRNode *n, uint64_t first)
{
    if (n->log == NULL)
        n->log = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    g_array_set_size(n->log, 0);
    n->log_first = first;
    n->synced = MIN(n->synced, first - 1);
}

void lr_log_put(LRNode *n, const RaftEntry *e)
{
    if (e->index < n->log_first || e->index > n->log_first + n->log->len)
        lr_log_reset(n, e->index); /* not contiguous: file 1 has a hole below it */
    else
        g_array_set_size(n->log, (guint)(e->index - n->log_first));
    g_array_append_val(n->log, *e);
}

void lr_log_cut(LRNode *n, uint64_t index)
{
    if (index < n->log_first)
        lr_log_reset(n, index);
    else if (index < n->log_first + n->log->len)
        g_array_set_size(n->log, (guint)(index - n->log_first));
    n->synced = MIN(n->synced, index - 1);
}

const RaftEntry *lr_log_at(const LRNode *n, uint64_t index)
{
    if (index < n->log_first || index >= n->log_first + n->log->len)
        return NULL;
    return &g_array_index(n->log, RaftEntry, (guint)(index - n->log_first));
}

/* ---- scrub ---- */

void lr_scrub_start(LRNode *n)
{
    for (guint f = 0; f < LR_NFILES; f++)
        if (n->scrub_dirty[f] == NULL)
            n->scrub_dirty[f] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    /* A fixed period, offset per server: the scrub draws nothing from the node's stream, which
     * is the library's io->random. */
    act_timer(n->out, LR_TIMER_SCRUB, SCRUB_EVERY + (SimTime)n->init.self * 37 * SIM_MS, 0);
}

static guint snap_blocks(const LRNode *n)
{
    return n->snap.index == 0 ? 0 : 1 + (n->snap.data_len + 39) / 40;
}

void lr_scrub_round(LRNode *n)
{
    act_timer(n->out, LR_TIMER_SCRUB, SCRUB_EVERY, 0);
    if (!n->started || n->scrub_reading > 0)
        return; /* one batch at a time */
    if (n->meta_seq > 0) {
        act_read(n->out, LR_FILE_META, 0, 2, LR_TOKEN(LR_TOK_SCRUB_META, 0));
        n->scrub_reading++;
    }
    /* The cursor walks the durable log, then the current snapshot's blocks. */
    uint64_t log_end = MIN(n->synced, n->log_first + n->log->len - 1); /* last durable entry */
    uint64_t log_count = log_end >= n->log_first ? log_end - n->log_first + 1 : 0;
    uint64_t total = log_count + snap_blocks(n);
    if (total == 0)
        return;
    if (n->scrub_cursor >= total)
        n->scrub_cursor = 0;
    uint64_t pos = n->scrub_cursor;
    if (pos < log_count) {
        uint32_t count = (uint32_t)MIN(SCRUB_BATCH, log_count - pos);
        uint64_t first = n->log_first + pos;
        count = lr_store_read(n, first, count, LR_TOKEN(LR_TOK_SCRUB_LOG, first));
        n->scrub_limit = log_end;
        n->scrub_cursor += count;
    } else {
        uint32_t block = (uint32_t)(pos - log_count);
        uint32_t count = (uint32_t)MIN(SCRUB_BATCH, snap_blocks(n) - block);
        act_read(n->out, LR_FILE_SNAP, n->snap_slot * LR_SNAP_SLOT + block, count,
                 LR_TOKEN(LR_TOK_SCRUB_SNAP, ((uint64_t)n->snap.seq << 24) | block));
        n->scrub_cursor += count;
    }
    n->scrub_reading++;
}

/* The current content of block idx of file f, as the scrub writes it; FALSE when there is none
 * (the block changed meaning since: a truncated entry, an older snapshot's slot). */
static gboolean scrub_content(LRNode *n, guint file, uint32_t idx, DiskBlock *out)
{
    if (file == LR_FILE_META) {
        RaftMeta cur = {.seq = n->meta_seq,
                        .term = n->term,
                        .voted_for = n->vote == 0 ? ENDPOINT_NONE : (EndpointId)(n->vote - 1)};
        raft_encode_meta(out, &cur);
        return idx < 2;
    }
    if (file == LR_FILE_LOG) {
        const RaftEntry *want = lr_log_at(n, (uint64_t)idx + 1);
        if (want != NULL)
            raft_encode_entry(out, want);
        return want != NULL;
    }
    uint32_t first = n->snap_slot * LR_SNAP_SLOT;
    if (n->snap.index == 0 || idx < first)
        return FALSE;
    guint nblocks;
    DiskBlock *blocks = lr_snap_encode(&n->snap, n->snap_data, &nblocks);
    gboolean have = idx - first < nblocks;
    if (have)
        *out = blocks[idx - first];
    g_free(blocks);
    return have;
}

/* Writes block idx of file f again from memory; it stays dirty until a scrub fsync succeeds. */
static void scrub_write(LRNode *n, guint file, uint32_t idx)
{
    DiskBlock w;
    if (file == LR_FILE_META && idx != n->meta_slot && n->fiber.suspended)
        return; /* a durable call is writing that slot now */
    if (!scrub_content(n, file, idx, &w))
        return;
    if (file == LR_FILE_LOG) {
        RaftEntry e;
        gboolean ok = raft_decode_entry(&w, &e) == BLOCK_OK;
        g_assert(ok);
        lr_store_write(n, &e, LR_TOKEN(LR_TOK_SCRUB_WRITE, 0));
    } else {
        act_write(n->out, file, idx, &w, LR_TOKEN(LR_TOK_SCRUB_WRITE, 0));
    }
    n->stats.scrub_repairs++;
    g_array_append_val(n->scrub_dirty[file], idx);
}

/* One fsync at a time per file, covering what the scrub wrote before it. */
static void scrub_sync(LRNode *n, guint file)
{
    if (n->scrub_syncing[file] > 0 || n->scrub_dirty[file]->len == 0)
        return;
    n->scrub_syncing[file] = n->scrub_dirty[file]->len;
    if (file == LR_FILE_LOG) {
        n->scrub_part_failed = FALSE;
        lr_store_sync(n, LR_TOKEN(LR_TOK_SCRUB_SYNC, file), LR_TOKEN(LR_TOK_SCRUB_PART, 0));
    } else {
        act_fsync(n->out, file, LR_TOKEN(LR_TOK_SCRUB_SYNC, file));
    }
}

/* A scrub fsync finished. After a failure nothing it covered is durable although the pages may
 * look clean (ext4, xfs): every block the scrub wrote is written again, and fsynced again. */
static void scrub_synced(LRNode *n, guint file, int result)
{
    GArray *dirty = n->scrub_dirty[file];
    guint covered = MIN(n->scrub_syncing[file], dirty->len);
    n->scrub_syncing[file] = 0;
    if (file == LR_FILE_LOG) {
        if (result == 0 && n->scrub_part_failed)
            result = EIO; /* an fsync of the group before the last failed */
        lr_store_synced(n, result == 0);
    }
    if (result == 0) {
        g_array_remove_range(dirty, 0, covered);
    } else {
        LMARK(n, SCRUB_SYNC_FAILED);
        if (file == LR_FILE_LOG) /* what it covered may be lost although its pages look clean */
            lr_io_fail_pending_appends(n, result);
        g_autoptr(GArray) again = g_array_copy(dirty);
        g_array_set_size(dirty, 0);
        for (guint i = 0; i < again->len; i++)
            scrub_write(n, file, g_array_index(again, uint32_t, i));
    }
    scrub_sync(n, file);
}

/* Either slot: a bad copy of the current metadata is written again; a bad older copy is
 * replaced by the current one (at boot an unreadable slot could be the newest), unless a durable
 * call is writing that slot now. */
static void scrub_meta(LRNode *n, guint slot, int result, const DiskBlock *b)
{
    RaftMeta m;
    if (result == 0 && raft_decode_meta(b, &m) == BLOCK_OK)
        return; /* intact (or replaced since: a valid block is never damage) */
    if (slot != n->meta_slot && n->fiber.suspended)
        return;
    LMARK(n, SCRUB_META);
    scrub_write(n, LR_FILE_META, slot);
    scrub_sync(n, LR_FILE_META);
}

static void scrub_log(LRNode *n, uint64_t index, int result, const DiskBlock *b)
{
    const RaftEntry *want = lr_log_at(n, index);
    if (want == NULL || index > n->scrub_limit || index > n->synced)
        return; /* changed since the read was issued */
    RaftEntry e;
    if (result == 0 && raft_decode_entry(b, &e) == BLOCK_OK && e.index == index)
        return;
    LMARK(n, SCRUB_LOG);
    scrub_write(n, LR_FILE_LOG, (uint32_t)(index - 1));
}

/* Snapshot blocks of the slot read, if it is still the current snapshot. */
static void scrub_snap(LRNode *n, uint64_t id, const ProtoEvent *ev)
{
    if ((uint32_t)(id >> 24) != n->snap.seq || n->snap.index == 0)
        return;
    guint nblocks;
    DiskBlock *want = lr_snap_encode(&n->snap, n->snap_data, &nblocks);
    uint32_t first = (uint32_t)(id & 0xffffff);
    for (uint32_t i = 0; i < ev->count && first + i < nblocks; i++) {
        const DiskBlock *b = &ev->blocks[i];
        if (ev->results[i] == 0 && disk_block_check(b, want[first + i].len) == BLOCK_OK)
            continue;
        LMARK(n, SCRUB_SNAP);
        scrub_write(n, LR_FILE_SNAP, n->snap_slot * LR_SNAP_SLOT + first + i);
    }
    g_free(want);
    scrub_sync(n, LR_FILE_SNAP);
}

gboolean lr_scrub_disk_done(LRNode *n, const ProtoEvent *ev)
{
    uint64_t kind = ev->token & 0xff, id = ev->token >> 8;
    switch (kind) {
    case LR_TOK_SCRUB_META:
    case LR_TOK_SCRUB_LOG:
    case LR_TOK_SCRUB_SNAP:
        g_assert(n->scrub_reading > 0);
        n->scrub_reading--;
        break;
    case LR_TOK_SCRUB_WRITE:
        return TRUE; /* a failed rewrite is found again by a later round */
    case LR_TOK_SCRUB_PART:
        if (ev->result != 0)
            n->scrub_part_failed = TRUE;
        return TRUE;
    case LR_TOK_SCRUB_SYNC:
        scrub_synced(n, (guint)id, ev->result);
        return TRUE;
    default:
        return FALSE;
    }
    if (!n->started)
        return TRUE; /* the instance is gone or stopped: nothing to compare with */
    if (kind == LR_TOK_SCRUB_META) {
        for (uint32_t i = 0; i < ev->count && i < 2; i++)
            scrub_meta(n, i, ev->results[i], &ev->blocks[i]);
    } else if (kind == LR_TOK_SCRUB_LOG) {
        for (uint32_t i = 0; i < ev->count; i++)
            scrub_log(n, id + i, ev->results[i], &ev->blocks[i]);
        scrub_sync(n, LR_FILE_LOG);
    } else {
        scrub_snap(n, id, ev);
    }
    return TRUE;
}

/* ---- repair: the wire ---- */

static void put_entry(GByteArray *b, const RaftEntry *e)
{
    lr_put64(b, e->term);
    lr_put64(b, e->index);
    lr_put8(b, e->kind);
    lr_put(b, &e->client, 2);
    lr_put32(b, e->key);
    lr_put64(b, (uint64_t)e->value);
    lr_put64(b, e->idem);
}

static void get_entry(LRReader *r, RaftEntry *e)
{
    memset(e, 0, sizeof *e);
    e->term = lr_get64(r);
    e->index = lr_get64(r);
    e->kind = lr_get8(r);
    lr_get(r, &e->client, 2);
    e->key = lr_get32(r);
    e->value = (Value)lr_get64(r);
    e->idem = lr_get64(r);
}

static void send_wire(LRNode *n, EndpointId to, GByteArray *b)
{
    Msg *m = msg_new(MSG_LIBRAFT, n->init.self, to);
    uint32_t len = b->len;
    msg_take_extra(m, g_byte_array_free(b, FALSE), len, 1);
    act_send(n->out, m);
}

/* What this server holds: term, snapshot, log. Blank: nothing, ever. */
static void answer(LRNode *n, EndpointId to)
{
    LMARK(n, REPAIR_ANSWER);
    GByteArray *b = g_byte_array_new();
    lr_put8(b, LR_WIRE_REPAIR_ANSWER);
    lr_put8(b, n->started ? 0 : 1);
    lr_put64(b, n->started ? n->term : 0);
    gboolean snap = n->started && n->snap.index != 0;
    lr_put8(b, snap);
    if (snap) {
        lr_put(b, &n->snap, sizeof n->snap);
        lr_put(b, n->snap_data, n->snap.data_len);
    }
    guint count = n->started ? n->log->len : 0;
    lr_put32(b, count);
    for (guint i = 0; i < count; i++)
        put_entry(b, &g_array_index(n->log, RaftEntry, i));
    send_wire(n, to, b);
}

/* Decodes an answer; NULL if malformed. */
static LRImage *answer_decode(const uint8_t *p, uint32_t len)
{
    LRReader r = {p + 1, len - 1, FALSE};
    LRImage *im = g_new0(LRImage, 1);
    im->records = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    gboolean blank = lr_get8(&r) != 0;
    im->meta.term = lr_get64(&r);
    im->meta_found = !blank;
    im->snap_found = lr_get8(&r) != 0;
    if (im->snap_found) {
        lr_get(&r, &im->snap, sizeof im->snap);
        if (im->snap.data_len > r.left)
            r.bad = TRUE;
        else {
            im->snap_data = g_malloc(MAX(im->snap.data_len, 1));
            lr_get(&r, im->snap_data, im->snap.data_len);
        }
    }
    uint32_t count = lr_get32(&r);
    if (count > r.left / 39)
        r.bad = TRUE;
    for (uint32_t i = 0; i < count && !r.bad; i++) {
        RaftEntry e;
        get_entry(&r, &e);
        g_array_append_val(im->records, e);
    }
    if (r.bad || r.left != 0) {
        lr_image_clear(im);
        g_free(im);
        return NULL;
    }
    return im;
}

static void ask(LRNode *n)
{
    for (EndpointId p = 0; p < n->init.nodes; p++) {
        if (p == n->init.self || n->answers[p] != NULL)
            continue;
        GByteArray *b = g_byte_array_new();
        lr_put8(b, LR_WIRE_REPAIR_ASK);
        send_wire(n, p, b);
    }
}

/* ---- repair: deciding ---- */

static void last_of(const LRImage *im, uint64_t *term, uint64_t *index)
{
    *term = *index = 0;
    if (im->snap_found)
        *term = im->snap.term, *index = im->snap.index;
    if (im->records->len > 0) {
        const RaftEntry *e = &g_array_index(im->records, RaftEntry, im->records->len - 1);
        *term = e->term;
        *index = e->index;
    }
}

/* Enough for the answers to include a member of any majority that committed an entry: of the
 * configuration with the fewest voters the run can have (membership changes included). */
static guint answers_needed(const LRNode *n)
{
    guint voters = MAX(n->params.min_voters ? n->params.min_voters : n->params.voters, 1);
    return MIN(n->init.nodes - voters / 2, n->init.nodes - 1);
}

/* The most up-to-date answer; NULL while too few peers answered. */
static const LRImage *best_answer(const LRNode *n, uint64_t *max_term)
{
    const LRImage *best = NULL;
    uint64_t bt = 0, bi = 0;
    guint got = 0;
    *max_term = 0;
    for (EndpointId p = 0; p < n->init.nodes; p++) {
        const LRImage *im = n->answers[p];
        if (im == NULL)
            continue;
        got++;
        uint64_t t, i;
        last_of(im, &t, &i);
        *max_term = MAX(*max_term, im->meta.term);
        if (best == NULL || t > bt || (t == bt && i > bi))
            best = im, bt = t, bi = i;
    }
    return got >= answers_needed(n) ? best : NULL;
}

/* Replaces the boot image by the rebuilt state and adopts it. */
static void rebuild(LRNode *n, const LRImage *best, uint64_t max_term)
{
    LRImage *im = &n->image;
    gboolean own_meta = im->meta_found && !im->meta_damaged && !im->meta.damaged;
    uint64_t own_term = im->meta_found ? im->meta.term : 0;
    uint64_t term = MAX(max_term, own_term);
    raft_id vote = own_meta && im->meta.term == term ? n->vote : (raft_id)n->init.self + 1;
    uint64_t seq = MAX(n->meta_seq, im->meta.seq);
    guint slot = n->meta_slot;
    lr_image_clear(im);
    im->records = g_array_new(FALSE, FALSE, sizeof(RaftEntry));
    g_array_append_vals(im->records, best->records->data, best->records->len);
    if (best->snap_found) {
        im->snap_found = TRUE;
        im->snap = best->snap;
        im->snap.seq = n->snap_seq + 1;
        im->snap_data = g_memdup2(best->snap_data, MAX(best->snap.data_len, 1));
    }
    gboolean blank = !best->meta_found && best->records->len == 0 && !best->snap_found && term == 0;
    if (!blank) {
        im->meta_found = TRUE;
        im->meta = (RaftMeta){.seq = seq,
                              .term = term,
                              .voted_for = vote == 0 ? ENDPOINT_NONE : (EndpointId)(vote - 1)};
        im->meta_slot = slot;
    }
    n->may_bootstrap = blank;
    if (blank)
        LMARK(n, REPAIR_BLANK);
    lr_adopt_image(n);
}

static void repair_decide(LRNode *n)
{
    uint64_t max_term;
    const LRImage *best = best_answer(n, &max_term);
    if (best == NULL)
        return;
    rebuild(n, best, max_term);
    act_cancel(n->out, LR_TIMER_REPAIR);
    n->repair_phase = 1;
    lr_repair_retry(n);
}

/* ---- repair: the phases ---- */

void lr_repair_begin(LRNode *n)
{
    n->repairing = TRUE;
    n->repair_phase = 0;
    if (n->answers == NULL)
        n->answers = g_new0(LRImage *, n->init.nodes);
    if (n->init.nodes == 1) {
        /* Nobody to ask: what the disk lost is lost; the server stays down. */
        return;
    }
    ask(n);
    act_timer(n->out, LR_TIMER_REPAIR, REPAIR_RETRY, 0);
}

/* (Re)issues the current phase: 0 asks again; 1..3 write and fsync (libraft.c counts the
 * fsyncs and calls lr_repair_synced). */
void lr_repair_retry(LRNode *n)
{
    switch (n->repair_phase) {
    case 0:
        ask(n);
        act_timer(n->out, LR_TIMER_REPAIR, REPAIR_RETRY, 0);
        break;
    case 1: /* metadata marked: a crash from here on repairs again */
        n->image.meta.damaged = 1;
        lr_boot_rewrite(n, TRUE, FALSE);
        break;
    case 2:
        lr_boot_rewrite(n, FALSE, TRUE);
        break;
    case 3:
        n->image.meta.damaged = 0;
        lr_boot_rewrite(n, TRUE, FALSE);
        break;
    }
    if (n->repair_phase > 0 && n->boot_waits == 0)
        lr_repair_synced(n, FALSE); /* nothing to write in this phase (a blank rebuild) */
}

void lr_repair_synced(LRNode *n, gboolean failed)
{
    if (failed) {
        LMARK(n, REPAIR_PHASE_RETRY);
        act_timer(n->out, LR_TIMER_BOOT, 50 * SIM_MS, 0); /* the same phase again */
        return;
    }
    if (n->repair_phase < 3) {
        n->repair_phase++;
        lr_repair_retry(n);
        return;
    }
    n->repairing = FALSE;
    for (EndpointId p = 0; p < n->init.nodes; p++) {
        if (n->answers[p] != NULL) {
            lr_image_clear(n->answers[p]);
            g_free(n->answers[p]);
            n->answers[p] = NULL;
        }
    }
    n->stats.repairs++;
    LMARK(n, REPAIR_REBUILT);
    act_note(n->out, NOTE_REPAIRED, n->next_index - 1, n->term, 0, 0);
    lr_boot_start(n);
}

void lr_repair_message(LRNode *n, const Msg *m)
{
    const uint8_t *p = m->extra;
    g_assert(m->extra_count >= 1); /* libraft.c routes only messages with a first byte */
    EndpointId from = m->from;
    if (from >= n->init.nodes || from == n->init.self)
        return;
    if (p[0] == LR_WIRE_REPAIR_ASK) {
        if (n->started || (n->repairing && n->blank))
            answer(n, from);
        return;
    }
    if (!n->repairing || n->repair_phase != 0)
        return;
    LRImage *im = answer_decode(p, m->extra_count);
    if (im == NULL) {
        n->stats.malformed++;
        return;
    }
    if (n->answers[from] != NULL) {
        lr_image_clear(n->answers[from]);
        g_free(n->answers[from]);
    }
    n->answers[from] = im;
    repair_decide(n);
}

void lr_repair_clear(LRNode *n)
{
    for (guint f = 0; f < LR_NFILES; f++)
        if (n->scrub_dirty[f] != NULL)
            g_array_free(n->scrub_dirty[f], TRUE);
    if (n->answers != NULL)
        for (EndpointId p = 0; p < n->init.nodes; p++)
            if (n->answers[p] != NULL) {
                lr_image_clear(n->answers[p]);
                g_free(n->answers[p]);
            }
    g_free(n->answers);
    n->answers = NULL;
    if (n->log != NULL)
        g_array_free(n->log, TRUE);
    n->log = NULL;
}
