/* reports/report_build.c — the detail of one run for the reports: its verdict, violations,
 * operations and faults, and a causal slice of its trace with each node's disk state.
 *
 * The slice starts from the violating operations: their invocations and completions, and every
 * message whose detail names the operation (op=N) or its idempotency key, are "hot". The nodes
 * those touch, and the servers they replicated with while the operation was in flight, are the
 * involved nodes; the window runs from the first hot record to the last moment any violation
 * names (its time, and every time its explanation mentions). Within the window, records are
 * ranked: hot first, then faults and role changes, then disk writes and fsyncs of involved nodes,
 * then replication messages between them, then the rest of their traffic. Ranks are taken whole
 * while they fit REPORT_SLICE_CAP; the rank that does not fit keeps the records nearest to an
 * anchor time. A run without violations shows its first records instead.
 *
 * The disk state is derived from the trace alone (see block_state below) and is shown as what the
 * trace and the file-system profile imply; the oracles' verdict remains the ground truth.
 */
#include "reports/report.h"

#include "model/protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RANK_NONE          255
#define RANKS              5
#define STATE_SHOWN_BLOCKS 160 /* blocks of one file shown in a node's state (the last ones) */
#define DETAIL_OPS_CAP     200

/* ---- disk state per node, as the trace implies it ---- */

enum {
    BLK_DURABLE = 1 << 0,  /* some content reached the platter */
    BLK_DIRTY = 1 << 1,    /* the cache holds content newer than the platter */
    BLK_LOST = 1 << 2,     /* an fsync failed and the page was marked clean: never durable */
    BLK_UNKNOWN = 1 << 3,  /* a power crash kept, lost or tore the unsynced write */
    BLK_LASTSYNC = 1 << 4, /* made durable by the latest fsync (ext4-journal reports late) */
};

#define MAX_FILES 8

typedef struct {
    gboolean up, paused, changed;
    NodeRole role;
    GByteArray *files[MAX_FILES];
    /* The descriptor each file is written through: a protocol's fixed files f, or (a protocol
     * naming its own files) the first descriptors it writes through, in that order. */
    uint8_t fd_of[MAX_FILES];
    guint nfd;
} NodeState;

/* The file shown for descriptor fd (a new one when a write first uses it); MAX_FILES: none. */
static guint file_of_fd(NodeState *n, guint fd, gboolean write)
{
    for (guint k = 0; k < n->nfd; k++)
        if (n->fd_of[k] == fd)
            return k;
    if (!write || n->nfd == MAX_FILES)
        return MAX_FILES;
    n->fd_of[n->nfd] = (uint8_t)fd;
    n->files[n->nfd] = g_byte_array_new();
    return n->nfd++;
}

static char block_char(uint8_t f)
{
    if (f & BLK_UNKNOWN)
        return '?';
    if (f & BLK_LOST)
        return 'L';
    if (f & BLK_DIRTY)
        return 'C';
    return (f & BLK_DURABLE) ? 'D' : '.';
}

static void state_write(NodeState *n, guint file, uint32_t blk)
{
    GByteArray *b = n->files[file];
    if (blk >= b->len) {
        guint old = b->len;
        g_byte_array_set_size(b, blk + 1);
        memset(b->data + old, 0, b->len - old);
    }
    b->data[blk] = (uint8_t)((b->data[blk] & BLK_DURABLE) | BLK_DIRTY);
}

static void state_fsync(NodeState *n, guint file, int result, FsProfile fs)
{
    GByteArray *b = n->files[file];
    for (guint i = 0; i < b->len; i++) {
        uint8_t f = b->data[i];
        if (result == 0) {
            f &= (uint8_t)~BLK_LASTSYNC;
            if (f & BLK_DIRTY)
                f = (uint8_t)((f & ~(BLK_DIRTY | BLK_UNKNOWN)) | BLK_DURABLE | BLK_LASTSYNC);
        } else if (fs == FS_BTRFS) {
            f &= (uint8_t)~BLK_DIRTY; /* the file reverts to its durable state */
        } else if (fs != FS_EXT4_JOURNAL) {
            /* ext4, xfs: the dirty pages are marked clean although they never arrived (on
             * ext4-journal the error is an earlier write-back's: this fsync wrote nothing). */
            if (f & BLK_DIRTY)
                f = (uint8_t)((f & ~(BLK_DIRTY | BLK_LASTSYNC)) | BLK_LOST);
        }
        b->data[i] = f;
    }
}

static void state_power_loss(NodeState *n)
{
    for (guint k = 0; k < MAX_FILES; k++) {
        GByteArray *b = n->files[k];
        for (guint i = 0; b && i < b->len; i++) {
            uint8_t f = b->data[i];
            if (f & BLK_DIRTY)
                f = (uint8_t)((f & BLK_DURABLE) | BLK_UNKNOWN);
            f &= (uint8_t) ~(BLK_LOST | BLK_LASTSYNC);
            b->data[i] = f;
        }
    }
}

static void state_apply(NodeState *n, const SimTraceRecord *r, FsProfile fs)
{
    guint file;
    switch (r->kind) {
    case SIM_TR_DISK_DONE:
        file = file_of_fd(n, (guint)(r->a >> 32), r->sub == DISKOP_WRITE && r->b == 0);
        if (file >= MAX_FILES)
            return;
        if (r->sub == DISKOP_FSYNC || r->sub == DISKOP_FDATASYNC)
            state_fsync(n, file, (int)r->b, fs);
        else if (r->b != 0)
            return; /* a failed write or truncate changes nothing */
        else if (r->sub == DISKOP_WRITE)
            state_write(n, file, (uint32_t)(r->a & 0xffffffffu));
        else if (r->sub == DISKOP_TRUNCATE && (r->a & 0xffffffffu) < n->files[file]->len)
            g_byte_array_set_size(n->files[file], (guint)(r->a & 0xffffffffu));
        else
            return;
        break;
    case SIM_TR_FAULT:
        if (r->sub == FAULT_CRASH) {
            n->up = FALSE;
            if (n->role == ROLE_LEADER || n->role == ROLE_FOLLOWER || n->role == ROLE_CANDIDATE)
                n->role = ROLE_NONE; /* a raft server's role lives in memory */
            if (r->a)
                state_power_loss(n);
        } else if (r->sub == FAULT_RESTART) {
            n->up = TRUE;
        } else if (r->sub == FAULT_PAUSE) {
            n->paused = TRUE;
        } else if (r->sub == FAULT_RESUME) {
            n->paused = FALSE;
        } else if (r->sub == FAULT_DISK_LOSS) {
            for (guint k = 0; k < MAX_FILES; k++)
                if (n->files[k])
                    g_byte_array_set_size(n->files[k], 0);
        } else {
            return;
        }
        break;
    case SIM_TR_NOTE:
        if (r->sub != NOTE_ROLE)
            return;
        n->role = (NodeRole)r->a;
        break;
    default:
        return;
    }
    n->changed = TRUE;
}

static JsonObject *state_json(const NodeState *n)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "up", n->up);
    if (n->paused)
        json_object_set_boolean_member(o, "paused", TRUE);
    json_object_set_string_member(o, "role", node_role_name(n->role));
    JsonArray *files = json_array_new();
    for (guint k = 0; k < MAX_FILES && n->files[k]; k++) {
        const GByteArray *b = n->files[k];
        guint from = b->len > STATE_SHOWN_BLOCKS ? b->len - STATE_SHOWN_BLOCKS : 0;
        char *s = g_malloc(b->len - from + 1);
        for (guint i = from; i < b->len; i++)
            s[i - from] = block_char(b->data[i]);
        s[b->len - from] = '\0';
        JsonObject *f = json_object_new();
        json_object_set_int_member(f, "len", b->len);
        json_object_set_int_member(f, "from", from);
        json_object_set_string_member(f, "blocks", s);
        g_free(s);
        json_array_add_object_element(files, f);
    }
    json_object_set_array_member(o, "files", files);
    return o;
}

/* ---- the slice ---- */

typedef struct {
    World *w;
    const GArray *recs;
    guint n;
    uint8_t *rank;        /* per record */
    gboolean *hot;        /* per record */
    gboolean *focus_op;   /* per history op */
    GPtrArray *idems;     /* of char*: "idem=NAME" of the focus writes */
    GHashTable *msg_rank; /* message id -> rank + 1, looked up only */
    EndpointMask involved;
    GArray *anchors; /* of SimTime, sorted */
    SimTime from, to;
    gboolean any_hot;
} Slice;

static const SimTraceRecord *rec_at(const Slice *s, guint i)
{
    return &g_array_index(s->recs, SimTraceRecord, i);
}

/* Whether the detail names a focus operation ("op=N"). */
static gboolean mentions_focus_op(const Slice *s, const char *detail, guint nops)
{
    for (const char *p = detail; (p = strstr(p, "op=")) != NULL; p += 3) {
        if (p > detail && p[-1] != ' ')
            continue;
        char *end;
        guint64 v = g_ascii_strtoull(p + 3, &end, 10);
        if (end != p + 3 && !g_ascii_isdigit(*end) && v < nops && s->focus_op[v])
            return TRUE;
    }
    return FALSE;
}

static gboolean mentions_idem(const char *detail, const char *needle)
{
    gsize len = strlen(needle);
    for (const char *p = detail; (p = strstr(p, needle)) != NULL; p += len)
        if (p[len] == '\0' || p[len] == ' ')
            return TRUE;
    return FALSE;
}

static gboolean is_hot_send(const Slice *s, const char *detail)
{
    if (!detail)
        return FALSE;
    if (mentions_focus_op(s, detail, history_len(world_history(s->w))))
        return TRUE;
    for (guint i = 0; i < s->idems->len; i++)
        if (mentions_idem(detail, g_ptr_array_index(s->idems, i)))
            return TRUE;
    return FALSE;
}

static void add_anchor(Slice *s, SimTime t)
{
    g_array_append_val(s->anchors, t);
}

/* Every "12.345ms" or "2.000s" an explanation mentions is a moment that matters. */
static void anchors_from_text(Slice *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(*p) || (p > text && (g_ascii_isdigit(p[-1]) || p[-1] == '.')))
            continue;
        char *end;
        double v = g_ascii_strtod(p, &end);
        if (end == p || !strchr(p, '.') || strchr(p, '.') > end)
            continue;
        if (strncmp(end, "ms", 2) == 0)
            add_anchor(s, (SimTime)(v * SIM_MS));
        else if (strncmp(end, "us", 2) == 0)
            add_anchor(s, (SimTime)(v * SIM_US));
        else if (*end == 's' && !g_ascii_isalpha(end[1]))
            add_anchor(s, (SimTime)(v * SIM_SEC));
        p = end - 1;
    }
}

static void focus_from_verdict(Slice *s, const Verdict *v)
{
    History *h = world_history(s->w);
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        for (guint k = 0; k < x->nops; k++) {
            if (x->ops[k] >= history_len(h) || s->focus_op[x->ops[k]])
                continue;
            const HistOp *op = history_op(h, x->ops[k]);
            s->focus_op[x->ops[k]] = TRUE;
            if (op->idem != IDEM_NONE) {
                char idem[64];
                world_idem_name(s->w, op->idem, idem, sizeof idem);
                g_ptr_array_add(s->idems, g_strdup_printf("idem=%s", idem));
            }
        }
        for (guint k = 0; k < x->nnodes; k++)
            if (x->nodes[k] != ENDPOINT_NONE)
                endpoint_mask_add(&s->involved, x->nodes[k]);
        add_anchor(s, x->time);
        anchors_from_text(s, x->text);
    }
}

static void mark_hot(Slice *s, guint i)
{
    const SimTraceRecord *r = rec_at(s, i);
    s->hot[i] = TRUE;
    s->rank[i] = 0;
    s->any_hot = TRUE;
    add_anchor(s, r->time);
    if (r->node != ENDPOINT_NONE)
        endpoint_mask_add(&s->involved, r->node);
    if (r->peer != ENDPOINT_NONE)
        endpoint_mask_add(&s->involved, r->peer);
}

/* Pass 1: the hot records; the window they span. */
static void find_hot(Slice *s)
{
    History *h = world_history(s->w);
    SimTime first = SIM_TIME_NEVER, last = 0;
    for (guint i = 0; i < s->n; i++) {
        const SimTraceRecord *r = rec_at(s, i);
        gboolean hot = FALSE;
        if (r->kind == SIM_TR_INVOKE || r->kind == SIM_TR_COMPLETE)
            hot = r->a < history_len(h) && s->focus_op[r->a];
        else if (r->kind == SIM_TR_SEND)
            hot = is_hot_send(s, world_trace_detail(s->w, i)) ||
                  (r->b && g_hash_table_contains(s->msg_rank, GSIZE_TO_POINTER(r->b)));
        else if (r->kind == SIM_TR_DELIVER || r->kind == SIM_TR_DROP)
            hot = g_hash_table_lookup(s->msg_rank, GSIZE_TO_POINTER(r->a)) == GUINT_TO_POINTER(1);
        if (!hot)
            continue;
        if (r->kind == SIM_TR_SEND)
            g_hash_table_insert(s->msg_rank, GSIZE_TO_POINTER(r->a), GUINT_TO_POINTER(1));
        mark_hot(s, i);
        first = MIN(first, r->time);
        last = MAX(last, r->time);
    }
    s->from = s->any_hot ? first : 0;
    s->to = last;
}

/* Servers that replicated with an involved server while a focus operation was in flight. */
static void widen_involved(Slice *s)
{
    EndpointMask more = {0};
    for (guint i = 0; i < s->n && s->any_hot; i++) {
        const SimTraceRecord *r = rec_at(s, i);
        if (r->time > s->to)
            break;
        if (r->kind != SIM_TR_SEND || r->time < s->from || r->node == ENDPOINT_NONE ||
            r->peer == ENDPOINT_NONE)
            continue;
        if (!world_msg_ops(s->w)->links(r->sub, world_trace_detail(s->w, i)))
            continue;
        if (endpoint_mask_has(&s->involved, r->node))
            endpoint_mask_add(&more, r->peer);
    }
    endpoint_mask_union(&s->involved, &more);
    endpoint_mask_clear(&more);
}

static gboolean involved(const Slice *s, EndpointId id)
{
    return endpoint_mask_has(&s->involved, id);
}

static uint8_t rank_message(Slice *s, guint i, const SimTraceRecord *r)
{
    if (r->kind != SIM_TR_SEND) {
        gpointer v = g_hash_table_lookup(s->msg_rank, GSIZE_TO_POINTER(r->a));
        return v ? (uint8_t)(GPOINTER_TO_UINT(v) - 1) : RANK_NONE;
    }
    if (!involved(s, r->node) || !involved(s, r->peer))
        return RANK_NONE;
    const char *detail = world_trace_detail(s->w, i);
    uint8_t rank = world_msg_ops(s->w)->replicates(r->sub, detail) ? 3 : 4;
    g_hash_table_insert(s->msg_rank, GSIZE_TO_POINTER(r->a), GUINT_TO_POINTER(rank + 1u));
    return rank;
}

static uint8_t rank_record(Slice *s, guint i)
{
    const SimTraceRecord *r = rec_at(s, i);
    switch (r->kind) {
    case SIM_TR_FAULT:
        return 1;
    case SIM_TR_NOTE:
        return involved(s, r->node) ? (r->sub == NOTE_APPLY ? 3 : 1) : RANK_NONE;
    case SIM_TR_FAILPOINT:
        return involved(s, r->node) ? 2 : RANK_NONE;
    case SIM_TR_DISK_OP:
    case SIM_TR_DISK_DONE:
        if (!involved(s, r->node))
            return RANK_NONE;
        return r->sub == DISKOP_READ ? 4 : 2;
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
        return rank_message(s, i, r);
    case SIM_TR_INVOKE:
    case SIM_TR_COMPLETE:
        return involved(s, r->node) ? 4 : RANK_NONE;
    default:
        return RANK_NONE;
    }
}

/* Pass 2: ranks of the other records inside the window. */
static void rank_window(Slice *s, gboolean whole_run)
{
    for (guint i = 0; i < s->n; i++) {
        const SimTraceRecord *r = rec_at(s, i);
        if (s->hot[i])
            continue;
        if (whole_run) {
            s->rank[i] = r->kind == SIM_TR_TIMER ||
                                 (r->kind == SIM_TR_DISK_OP && r->sub == DISKOP_READ) ||
                                 (r->kind == SIM_TR_DISK_DONE && r->sub == DISKOP_READ)
                             ? RANK_NONE
                             : 3;
            continue;
        }
        if (r->time < s->from || r->time > s->to)
            continue;
        s->rank[i] = rank_record(s, i);
    }
}

static SimTime anchor_distance(const Slice *s, SimTime t)
{
    /* anchors are sorted: binary search for the nearest */
    guint lo = 0, hi = s->anchors->len;
    if (hi == 0)
        return t;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(s->anchors, SimTime, mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    SimTime best = SIM_TIME_NEVER;
    if (lo < s->anchors->len)
        best = g_array_index(s->anchors, SimTime, lo) - t;
    if (lo > 0)
        best = MIN(best, t - g_array_index(s->anchors, SimTime, lo - 1));
    return best;
}

typedef struct {
    SimTime dist;
    guint index;
} Candidate;

static int candidate_cmp(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int time_cmp(const void *a, const void *b)
{
    SimTime x = *(const SimTime *)a, y = *(const SimTime *)b;
    return x < y ? -1 : x > y;
}

/* Chooses up to REPORT_SLICE_CAP records, rank by rank; returns a mask over records. */
static gboolean *choose(Slice *s, guint *chosen)
{
    gboolean *take = g_new0(gboolean, s->n);
    guint room = REPORT_SLICE_CAP;
    g_array_sort(s->anchors, time_cmp);
    GArray *cands = g_array_new(FALSE, FALSE, sizeof(Candidate));
    for (uint8_t rank = 0; rank < RANKS && room > 0; rank++) {
        g_array_set_size(cands, 0);
        for (guint i = 0; i < s->n; i++)
            if (s->rank[i] == rank) {
                Candidate c = {anchor_distance(s, rec_at(s, i)->time), i};
                g_array_append_val(cands, c);
            }
        if (cands->len > room)
            g_array_sort(cands, candidate_cmp);
        for (guint k = 0; k < cands->len && room > 0; k++, room--)
            take[g_array_index(cands, Candidate, k).index] = TRUE;
    }
    g_array_free(cands, TRUE);
    *chosen = REPORT_SLICE_CAP - room;
    return take;
}

/* ---- events ---- */

static const char *kind_name(uint16_t kind)
{
    static const char *names[] = {"?",     "send",  "deliver", "drop",     "disk",      "disk-done",
                                  "timer", "fault", "invoke",  "complete", "failpoint", "note"};
    return kind < G_N_ELEMENTS(names) ? names[kind] : "?";
}

static const char *diskop_label(uint16_t op)
{
    static const char *names[] = {"?",     "write", "truncate", "fsync",  "read",     "open",
                                  "close", "mkdir", "unlink",   "rename", "fdatasync"};
    return op < G_N_ELEMENTS(names) ? names[op] : "?";
}

static const char *drop_label(uint64_t reason)
{
    static const char *names[] = {
        "?", "partition", "drop fault", "destination down", "destination restarted", "sender down"};
    return reason < G_N_ELEMENTS(names) ? names[reason] : "?";
}

static const char *errno_label(uint64_t result)
{
    return result == 0 ? "ok" : result == EIO ? "EIO" : result == ENOSPC ? "ENOSPC" : "error";
}

static void label_op(World *w, uint64_t id, GString *s)
{
    char label[64];
    checker_op_label(w, (uint32_t)id, label, sizeof label);
    g_string_append(s, label);
}

static void label_invoke(World *w, const SimTraceRecord *r, GString *s)
{
    g_string_append(s, "invoke ");
    label_op(w, r->a, s);
    const char *about = !op_kind_is_admin((OpKind)r->sub) ? world_key_name(w, (KeyId)r->b)
                        : r->b < world_endpoint_count(w)  ? world_endpoint_name(w, (EndpointId)r->b)
                                                          : "any";
    g_string_append_printf(s, " %s %s", op_kind_name((OpKind)r->sub), about);
    History *h = world_history(w);
    if (r->a < history_len(h)) {
        const HistOp *op = history_op(h, (uint32_t)r->a);
        if (op->kind == OP_PUT || op->kind == OP_ADD)
            g_string_append_printf(s, " %" G_GINT64_FORMAT, op->value);
    }
}

static void label_note(const SimTraceRecord *r, GString *s)
{
    switch (r->sub) {
    case NOTE_ROLE:
        g_string_append_printf(s, "%s term=%" G_GUINT64_FORMAT, node_role_name((NodeRole)r->a),
                               r->b);
        break;
    case NOTE_APPLY:
    case NOTE_COMMIT:
        g_string_append_printf(s, "%s index=%" G_GUINT64_FORMAT " term=%" G_GUINT64_FORMAT,
                               note_kind_name((NoteKind)r->sub), r->a, r->b);
        break;
    default:
        g_string_append_printf(s, "%s %" G_GUINT64_FORMAT, note_kind_name((NoteKind)r->sub), r->a);
    }
}

static void label_disk(const SimTraceRecord *r, GString *s)
{
    guint file = (guint)(r->kind == SIM_TR_DISK_DONE ? r->a >> 32 : r->a);
    uint64_t blk = r->kind == SIM_TR_DISK_DONE ? (r->a & 0xffffffffu) : (r->b & 0xffffffffu);
    uint64_t more = r->kind == SIM_TR_DISK_OP && r->sub == DISKOP_READ ? r->b >> 32 : 0;
    g_string_append_printf(s, "%s f%u", diskop_label(r->sub), file);
    if (more > 0)
        g_string_append_printf(s, " b%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, blk, blk + more);
    else if (r->sub == DISKOP_TRUNCATE)
        g_string_append_printf(s, " to %" G_GUINT64_FORMAT, blk);
    else if (r->sub == DISKOP_WRITE || r->sub == DISKOP_READ)
        g_string_append_printf(s, " b%" G_GUINT64_FORMAT, blk);
    if (r->kind == SIM_TR_DISK_DONE)
        g_string_append_printf(s, " %s", errno_label(r->b));
}

/* A short, readable label of a record for the diagrams. Caller owns the result. */
static char *event_label(World *w, const SimTraceRecord *r, const char *detail)
{
    GString *s = g_string_new(NULL);
    switch (r->kind) {
    case SIM_TR_SEND:
        g_string_append(s, detail ? detail : msg_type_name(world_msg_ops(w), r->sub));
        break;
    case SIM_TR_DELIVER:
        g_string_append_printf(s, "deliver #%" G_GUINT64_FORMAT " %s", r->a,
                               msg_type_name(world_msg_ops(w), r->sub));
        break;
    case SIM_TR_DROP:
        g_string_append_printf(s, "%s dropped (%s)", msg_type_name(world_msg_ops(w), r->sub),
                               drop_label(r->b));
        break;
    case SIM_TR_DISK_OP:
    case SIM_TR_DISK_DONE:
        label_disk(r, s);
        break;
    case SIM_TR_FAULT:
        g_string_append_printf(s, "FAULT %s", fault_kind_name((FaultKind)r->sub));
        if (r->sub == FAULT_CRASH)
            g_string_append(s, r->a ? " (power)" : " (process)");
        break;
    case SIM_TR_INVOKE:
        label_invoke(w, r, s);
        break;
    case SIM_TR_COMPLETE:
        label_op(w, r->a, s);
        g_string_append_printf(s, " %s", outcome_name((Outcome)r->sub));
        if (r->a < history_len(world_history(w))) {
            const HistOp *op = history_op(world_history(w), (uint32_t)r->a);
            if (op->outcome != OUTCOME_OK && op->reason != FAIL_NONE)
                g_string_append_printf(s, " (%s)", fail_reason_name((FailReason)op->reason));
        }
        break;
    case SIM_TR_FAILPOINT:
        g_string_append_printf(
            s, "failpoint %s",
            protocol_failpoint_name(world_config(w)->protocol, (FailpointId)r->sub));
        break;
    case SIM_TR_NOTE:
        label_note(r, s);
        break;
    default:
        g_string_append(s, kind_name(r->kind));
    }
    return g_string_free(s, FALSE);
}

static JsonObject *event_json(World *w, const SimTraceRecord *r, guint index, gboolean hot)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "i", index);
    json_object_set_int_member(o, "t", r->time);
    json_object_set_string_member(o, "k", kind_name(r->kind));
    if (r->node != ENDPOINT_NONE && r->node < world_endpoint_count(w))
        json_object_set_string_member(o, "lane", world_endpoint_name(w, r->node));
    if (r->peer != ENDPOINT_NONE && r->peer < world_endpoint_count(w))
        json_object_set_string_member(o, "peer", world_endpoint_name(w, r->peer));
    if (r->kind == SIM_TR_SEND || r->kind == SIM_TR_DELIVER || r->kind == SIM_TR_DROP)
        json_object_set_int_member(o, "msg", (gint64)r->a);
    if (r->kind == SIM_TR_DISK_DONE)
        json_object_set_string_member(o, "result", errno_label(r->b));
    g_autofree char *label = event_label(w, r, world_trace_detail(w, index));
    json_object_set_string_member(o, "label", label);
    if (hot)
        json_object_set_boolean_member(o, "hot", TRUE);
    return o;
}

/* ---- lanes ---- */

/* The lane's role: "client", or the node kind's ("replica", "coordinator", "server"). */
static const char *lane_role(World *w, EndpointId id)
{
    const WorldConfig *c = world_config(w);
    guint kind = protocol_kind_of(c->protocol, c, id);
    return kind < c->protocol->n_kinds ? c->protocol->kinds[kind].what : "client";
}

/* Clients first, then the node kinds from the one nearest the clients (coordinators) down. */
static JsonArray *lanes_json(World *w, const gboolean *used, const gboolean *disk_used)
{
    JsonArray *lanes = json_array_new();
    const Protocol *p = world_config(w)->protocol;
    const char *order[PROTO_MAX_KINDS + 1] = {"client"};
    for (guint k = 0; k < p->n_kinds; k++)
        order[1 + k] = p->kinds[p->n_kinds - 1 - k].what;
    for (guint k = 0; k < 1 + p->n_kinds; k++) {
        for (EndpointId id = 0; id < world_endpoint_count(w); id++) {
            if (!used[id] || strcmp(lane_role(w, id), order[k]) != 0)
                continue;
            JsonObject *l = json_object_new();
            json_object_set_string_member(l, "name", world_endpoint_name(w, id));
            json_object_set_string_member(l, "role", order[k]);
            json_array_add_object_element(lanes, l);
            if (!disk_used[id])
                continue;
            JsonObject *d = json_object_new();
            g_autofree char *name = g_strdup_printf("%s disk", world_endpoint_name(w, id));
            json_object_set_string_member(d, "name", name);
            json_object_set_string_member(d, "role", "disk");
            json_object_set_string_member(d, "of", world_endpoint_name(w, id));
            json_array_add_object_element(lanes, d);
        }
    }
    return lanes;
}

/* ---- the slice as JSON, with disk states ---- */

static void states_init(World *w, NodeState *st)
{
    for (EndpointId id = 0; id < world_endpoint_count(w); id++) {
        NodeState *n = &st[id];
        n->up = TRUE;
        n->changed = TRUE;
        const WorldConfig *c = world_config(w);
        guint kind = protocol_kind_of(c->protocol, c, id);
        n->role = kind < c->protocol->n_kinds ? c->protocol->kinds[kind].role : ROLE_CLIENT;
        Disk *d = world_disk(w, id);
        guint nfiles = d ? MIN(disk_nfixed(d), MAX_FILES) : 0;
        for (guint k = 0; k < nfiles; k++) {
            n->files[k] = g_byte_array_new();
            n->fd_of[k] = (uint8_t)k;
        }
        n->nfd = nfiles;
    }
}

static void states_clear(World *w, NodeState *st)
{
    for (EndpointId id = 0; id < world_endpoint_count(w); id++)
        for (guint k = 0; k < MAX_FILES; k++)
            if (st[id].files[k])
                g_byte_array_unref(st[id].files[k]);
}

/* The states of servers that changed since the last chosen event. */
static JsonObject *states_changed(World *w, NodeState *st)
{
    JsonObject *o = NULL;
    for (EndpointId id = 0; id < world_endpoint_count(w); id++) {
        if (!world_is_server(w, id) || !st[id].changed)
            continue;
        if (!o)
            o = json_object_new();
        json_object_set_object_member(o, world_endpoint_name(w, id), state_json(&st[id]));
        st[id].changed = FALSE;
    }
    return o;
}

static JsonObject *slice_json(Slice *s, const gboolean *take, guint chosen)
{
    World *w = s->w;
    guint ne = world_endpoint_count(w);
    gboolean *used = g_new0(gboolean, ne), *disk_used = g_new0(gboolean, ne);
    NodeState *st = g_new0(NodeState, ne);
    states_init(w, st);
    FsProfile fs = world_config(w)->fs;
    JsonArray *events = json_array_new();
    for (guint i = 0; i < s->n; i++) {
        const SimTraceRecord *r = rec_at(s, i);
        if (r->node < ne)
            state_apply(&st[r->node], r, fs);
        if (!take[i])
            continue;
        JsonObject *e = event_json(w, r, i, s->hot[i]);
        JsonObject *changed = states_changed(w, st);
        if (changed)
            json_object_set_object_member(e, "state", changed);
        json_array_add_object_element(events, e);
        if (r->node < ne)
            used[r->node] = TRUE;
        if (r->peer < ne)
            used[r->peer] = TRUE;
        if ((r->kind == SIM_TR_DISK_OP || r->kind == SIM_TR_DISK_DONE) && r->node < ne)
            disk_used[r->node] = TRUE;
    }
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "records", s->n);
    json_object_set_int_member(o, "shown", chosen);
    json_object_set_string_member(o, "selection", s->anchors->len ? "causal" : "first");
    json_object_set_int_member(o, "from_ns", s->from);
    json_object_set_int_member(o, "to_ns", s->to);
    json_object_set_array_member(o, "lanes", lanes_json(w, used, disk_used));
    json_object_set_array_member(o, "events", events);
    states_clear(w, st);
    g_free(st);
    g_free(used);
    g_free(disk_used);
    return o;
}

/* The slice of a run's kept trace, or NULL when the world kept none. */
static JsonObject *trace_json(World *w, const Verdict *v, gboolean *ops_seen)
{
    const GArray *recs = world_trace_records(w);
    if (!recs)
        return NULL;
    History *h = world_history(w);
    Slice s = {.w = w, .recs = recs, .n = recs->len};
    s.rank = g_malloc(s.n ? s.n : 1);
    memset(s.rank, RANK_NONE, s.n);
    s.hot = g_new0(gboolean, s.n + 1);
    s.focus_op = g_new0(gboolean, history_len(h) + 1);
    s.idems = g_ptr_array_new_with_free_func(g_free);
    s.msg_rank = g_hash_table_new(g_direct_hash, g_direct_equal);
    s.anchors = g_array_new(FALSE, FALSE, sizeof(SimTime));
    focus_from_verdict(&s, v);
    find_hot(&s);
    gboolean whole_run = v->violations->len == 0;
    for (guint i = 0; i < s.anchors->len; i++)
        s.to = MAX(s.to, g_array_index(s.anchors, SimTime, i) + SIM_US);
    widen_involved(&s);
    rank_window(&s, whole_run);
    guint chosen;
    gboolean *take = choose(&s, &chosen);
    for (guint i = 0; i < s.n; i++) {
        const SimTraceRecord *r = rec_at(&s, i);
        if (take[i] && (r->kind == SIM_TR_INVOKE || r->kind == SIM_TR_COMPLETE) &&
            r->a < history_len(h))
            ops_seen[r->a] = TRUE;
    }
    JsonObject *o = slice_json(&s, take, chosen);
    for (uint32_t op = 0; op < history_len(h); op++)
        ops_seen[op] |= s.focus_op[op];
    g_free(take);
    g_free(s.rank);
    g_free(s.hot);
    endpoint_mask_clear(&s.involved);
    g_free(s.focus_op);
    g_ptr_array_unref(s.idems);
    g_hash_table_unref(s.msg_rank);
    g_array_free(s.anchors, TRUE);
    return o;
}

/* ---- verdict, violations, operations ---- */

static JsonObject *verdict_json(const Verdict *v)
{
    JsonObject *o = json_object_new();
    const struct {
        const char *name;
        guint value;
    } counts[] = {
        {"ops", v->ops},
        {"writes", v->writes},
        {"acked", v->acked},
        {"failed", v->failed},
        {"indeterminate", v->indeterminate},
        {"reads", v->reads},
        {"orphans", v->orphans},
        {"orphans_surfaced", v->orphans_surfaced},
        {"orphans_latent", v->orphans_latent},
        {"duplicates", v->duplicates},
        {"stale_reads", v->stale_reads},
        {"lost_updates", v->lost_updates},
        {"siblings_max", v->siblings_max},
        {"siblings_reissued", v->siblings_reissued},
        {"siblings_truncated", v->siblings_truncated},
    };
    for (guint i = 0; i < G_N_ELEMENTS(counts); i++)
        json_object_set_int_member(o, counts[i].name, counts[i].value);
    json_object_set_string_member(o, "linearizability",
                                  v->lin_skipped ? "not-applicable" : lin_result_name(v->lin));
    json_object_set_boolean_member(o, "linearizability_promised", v->lin_promised);
    json_object_set_boolean_member(o, "beyond_model", v->beyond_model);
    JsonObject *kinds = json_object_new();
    for (int k = 0; k < V_KIND_COUNT; k++)
        if (v->counts[k])
            json_object_set_int_member(kinds, violation_kind_name((ViolationKind)k), v->counts[k]);
    json_object_set_object_member(o, "violation_counts", kinds);
    JsonArray *notes = json_array_new();
    const char *texts[] = {v->model_note, v->liveness_note, v->convergence_note,
                           v->lin_note,   v->siblings_note, v->lost_update_note};
    const char *prefix[] = {"",
                            "liveness ",
                            "convergence ",
                            "linearizability ",
                            "siblings ",
                            "lost updates (not promised under last-writer-wins): the first: "};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
        if (texts[i]) {
            g_autofree char *note = g_strdup_printf("%s%s", prefix[i], texts[i]);
            json_array_add_string_element(notes, note);
        }
    json_object_set_array_member(o, "notes", notes);
    return o;
}

static JsonArray *violations_json(World *w, const Verdict *v)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        JsonObject *o = json_object_new();
        char when[32], label[64];
        json_object_set_string_member(o, "kind", violation_kind_name(x->kind));
        json_object_set_int_member(o, "time_ns", x->time);
        json_object_set_string_member(o, "time", report_time(x->time, when, sizeof when));
        JsonArray *ops = json_array_new();
        for (guint k = 0; k < x->nops; k++) {
            JsonObject *op = json_object_new();
            json_object_set_int_member(op, "id", x->ops[k]);
            json_object_set_string_member(op, "label",
                                          checker_op_label(w, x->ops[k], label, sizeof label));
            json_array_add_object_element(ops, op);
        }
        json_object_set_array_member(o, "ops", ops);
        JsonArray *nodes = json_array_new();
        for (guint k = 0; k < x->nnodes; k++)
            json_array_add_string_element(nodes, world_endpoint_name(w, x->nodes[k]));
        json_object_set_array_member(o, "nodes", nodes);
        json_object_set_string_member(o, "text", x->text);
        json_array_add_object_element(a, o);
    }
    return a;
}

static JsonObject *op_json(World *w, const HistOp *op, gboolean violating)
{
    JsonObject *o = json_object_new();
    char label[64], idem[64];
    json_object_set_int_member(o, "id", op->id);
    json_object_set_string_member(o, "label", checker_op_label(w, op->id, label, sizeof label));
    json_object_set_string_member(o, "client", world_endpoint_name(w, op->client));
    json_object_set_string_member(o, "kind", op_kind_name((OpKind)op->kind));
    json_object_set_string_member(o, "key", world_op_about(w, op));
    if (op->kind == OP_PUT || op->kind == OP_ADD)
        json_object_set_int_member(o, "value", op->value);
    if (op->kind == OP_GET && op->outcome == OUTCOME_OK && op->present)
        json_object_set_int_member(o, "result", op->result);
    json_object_set_string_member(o, "outcome", outcome_name((Outcome)op->outcome));
    if (op->outcome != OUTCOME_OK && op->reason != FAIL_NONE)
        json_object_set_string_member(o, "reason", fail_reason_name((FailReason)op->reason));
    json_object_set_int_member(o, "invoke_ns", op->invoke);
    json_object_set_int_member(o, "complete_ns",
                               op->complete == SIM_TIME_NEVER ? -1 : op->complete);
    json_object_set_int_member(o, "attempts", op->attempts);
    json_object_set_string_member(o, "idem", world_idem_name(w, op->idem, idem, sizeof idem));
    History *h = world_history(w);
    if (op->nsib > 0) {
        JsonArray *sibs = json_array_new();
        for (guint i = 0; i < op->nsib; i++)
            json_array_add_string_element(
                sibs, world_idem_name(w, history_sibling(h, op, i)->idem, idem, sizeof idem));
        json_object_set_array_member(o, "siblings", sibs);
    }
    if (op->kind != OP_GET && op->ctx_op != UINT32_MAX) {
        json_object_set_string_member(o, "after",
                                      checker_op_label(w, op->ctx_op, label, sizeof label));
    }
    if (violating)
        json_object_set_boolean_member(o, "violating", TRUE);
    return o;
}

static JsonArray *ops_json(World *w, const Verdict *v, const gboolean *seen)
{
    History *h = world_history(w);
    gboolean *violating = g_new0(gboolean, history_len(h) + 1);
    for (guint i = 0; i < v->violations->len; i++) {
        const Violation *x = g_ptr_array_index(v->violations, i);
        for (guint k = 0; k < x->nops; k++)
            if (x->ops[k] < history_len(h))
                violating[x->ops[k]] = TRUE;
    }
    JsonArray *a = json_array_new();
    guint n = 0;
    for (uint32_t id = 0; id < history_len(h); id++) {
        if (!violating[id] && (!seen[id] || n >= DETAIL_OPS_CAP))
            continue;
        json_array_add_object_element(a, op_json(w, history_op(h, id), violating[id]));
        n++;
    }
    g_free(violating);
    return a;
}

static JsonArray *faults_json(World *w, const ReportDetailInput *in)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; i < in->nfaults; i++) {
        const ReportFault *f = &in->faults[i];
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", f->name);
        if (f->node != ENDPOINT_NONE)
            json_object_set_string_member(o, "node", world_endpoint_name(w, f->node));
        json_object_set_int_member(o, "time_ns", f->time);
        json_object_set_int_member(o, "ends_ns", f->ends == SIM_TIME_NEVER ? -1 : f->ends);
        json_array_add_object_element(a, o);
    }
    return a;
}

JsonObject *report_detail_new(World *w, const Verdict *v, const ReportDetailInput *in)
{
    JsonObject *o = json_object_new();
    const WorldConfig *c = world_config(w);
    json_object_set_string_member(o, "fs", fs_profile_name(c->fs));
    JsonArray *failures = json_array_new();
    for (guint i = 0; in->failures && i < in->failures->len; i++)
        json_array_add_string_element(failures, g_ptr_array_index(in->failures, i));
    json_object_set_array_member(o, "expectations_failed", failures);
    json_object_set_object_member(o, "verdict", verdict_json(v));
    json_object_set_array_member(o, "violations", violations_json(w, v));
    json_object_set_array_member(o, "faults", faults_json(w, in));
    if (in->stats)
        json_object_set_object_member(o, "coverage",
                                      report_coverage_new(in->stats, world_config(w)->protocol));
    History *h = world_history(w);
    gboolean *seen = g_new0(gboolean, history_len(h) + 1);
    JsonObject *trace = trace_json(w, v, seen);
    json_object_set_array_member(o, "ops", ops_json(w, v, seen));
    json_object_set_object_member(o, "points", report_points_new(w, trace));
    JsonObject *red = in->checker ? report_redundancy_new(w, in->checker) : NULL;
    if (red)
        json_object_set_object_member(o, "redundancy", red);
    if (trace)
        json_object_set_object_member(o, "trace", trace);
    g_free(seen);
    return o;
}
