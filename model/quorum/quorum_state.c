/* model/quorum/quorum_state.c — quorum records on disk and key-state sets. */
#include "model/quorum/quorum.h"

#include "model/seglog.h"
#include "sim/engine/rng.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoding (fixed little-endian layout, memcpy'd field by field) ---- */

#define REC_LEN  39
#define DONE_LEN 10
#define VOID_LEN 4
/* A record with a clock: key 4, flags 1 (op, copy, truncated), hint_for 1, value 8, idem 8,
 * counts 1 (dots, past), then QDOT_BYTES per entry. */
#define VREC_HEAD  23
#define EPOCH_LEN  2
#define VF_COPY    0x10
#define VF_TRUNC   0x20
#define VF_OP_MASK 0x0f
G_STATIC_ASSERT(VREC_HEAD + QDOT_BYTES * QCLOCK_MAX <= DISK_BODY_BYTES);

static void put_bytes(uint8_t *p, gsize *off, const void *v, gsize n)
{
    memcpy(p + *off, v, n);
    *off += n;
}

static void get_bytes(const uint8_t *p, gsize *off, void *v, gsize n)
{
    memcpy(v, p + *off, n);
    *off += n;
}

uint32_t quorum_record_bytes(const QRecord *r)
{
    if (r->op == OP_NOOP)
        return 4 + 1 + QDOT_BYTES * ((guint)r->clock.ndots + r->clock.npast);
    if (r->clock.ndots > 0)
        return VREC_HEAD + QDOT_BYTES * ((guint)r->clock.ndots + r->clock.npast);
    return REC_LEN;
}

static void encode_vrecord(DiskBlock *b, const QRecord *r)
{
    uint8_t body[DISK_BODY_BYTES];
    gsize off = 0;
    uint8_t flags =
        (uint8_t)(r->op | (r->copy ? VF_COPY : 0) | (r->clock.truncated ? VF_TRUNC : 0));
    uint8_t hint_for = r->hinted ? (uint8_t)r->hint_for : 0xff;
    uint8_t counts = (uint8_t)(r->clock.ndots << 4 | r->clock.npast);
    g_assert(r->clock.ndots > 0 && r->clock.ndots < 16 && r->clock.npast < 16);
    put_bytes(body, &off, &r->key, 4);
    put_bytes(body, &off, &flags, 1);
    put_bytes(body, &off, &hint_for, 1);
    put_bytes(body, &off, &r->value, 8);
    put_bytes(body, &off, &r->idem, 8);
    put_bytes(body, &off, &counts, 1);
    g_assert(off == VREC_HEAD);
    for (guint i = 0; i < (guint)r->clock.ndots + r->clock.npast; i++, off += QDOT_BYTES)
        qdot_put(body + off, r->clock.e[i]);
    disk_block_seal(b, r->hinted ? QBLK_VHINT : QBLK_VDATA, body, (uint16_t)off);
}

static void decode_vrecord(const DiskBlock *b, QRecord *r)
{
    gsize off = 0;
    uint8_t flags, hint_for, counts;
    get_bytes(b->body, &off, &r->key, 4);
    get_bytes(b->body, &off, &flags, 1);
    get_bytes(b->body, &off, &hint_for, 1);
    get_bytes(b->body, &off, &r->value, 8);
    get_bytes(b->body, &off, &r->idem, 8);
    get_bytes(b->body, &off, &counts, 1);
    r->op = flags & VF_OP_MASK;
    r->copy = (flags & VF_COPY) != 0;
    r->clock.truncated = (flags & VF_TRUNC) != 0;
    r->hinted = b->type == QBLK_VHINT;
    r->hint_for = r->hinted ? hint_for : ENDPOINT_NONE;
    r->clock.ndots = counts >> 4;
    r->clock.npast = counts & 0x0f;
    for (guint i = 0; i < (guint)r->clock.ndots + r->clock.npast; i++, off += QDOT_BYTES)
        r->clock.e[i] = qdot_get(b->body + off);
}

/* The length a clock record's block must have, from its counts byte (0: not even that much). */
static uint16_t vrecord_len(const DiskBlock *b)
{
    if (b->len < VREC_HEAD)
        return VREC_HEAD;
    guint n = (b->body[VREC_HEAD - 1] >> 4) + (b->body[VREC_HEAD - 1] & 0x0f);
    return (uint16_t)(n > QCLOCK_MAX ? DISK_BODY_BYTES + 1 : VREC_HEAD + QDOT_BYTES * n);
}

/* A purge: key 4, then (no dots) version 14, or (dots) counts 1 and entries. */
void quorum_encode_purge(DiskBlock *b, const QRecord *floor)
{
    uint8_t body[DISK_BODY_BYTES];
    gsize off = 0;
    put_bytes(body, &off, &floor->key, 4);
    if (floor->clock.ndots + floor->clock.npast == 0) {
        put_bytes(body, &off, &floor->version.ts, 8);
        put_bytes(body, &off, &floor->version.client, 2);
        put_bytes(body, &off, &floor->version.seq, 4);
    } else {
        /* Its dots join its past (purge_key did already): the floor covers the tombstone. */
        QClock c = {0};
        qclock_join(&c, &floor->clock);
        uint8_t counts = c.npast;
        put_bytes(body, &off, &counts, 1);
        for (guint i = 0; i < c.npast; i++, off += QDOT_BYTES)
            qdot_put(body + off, c.e[i]);
    }
    disk_block_seal(b, QBLK_PURGE, body, (uint16_t)off);
}

static void decode_purge(const DiskBlock *b, QRecord *r)
{
    gsize off = 0;
    get_bytes(b->body, &off, &r->key, 4);
    r->op = OP_DELETE;
    r->hint_for = ENDPOINT_NONE;
    if (b->len == 18) {
        get_bytes(b->body, &off, &r->version.ts, 8);
        get_bytes(b->body, &off, &r->version.client, 2);
        get_bytes(b->body, &off, &r->version.seq, 4);
        return;
    }
    uint8_t counts;
    get_bytes(b->body, &off, &counts, 1);
    QDot past[QCLOCK_MAX];
    for (guint i = 0; i < counts && i < QCLOCK_MAX; i++, off += QDOT_BYTES)
        past[i] = qdot_get(b->body + off);
    qclock_set_past(&r->clock, past, MIN(counts, QCLOCK_MAX));
}

/* The length a purge block must have: 18 (a version), or from its counts byte. */
static uint16_t purge_len(const DiskBlock *b)
{
    if (b->len == 18 || b->len < 5)
        return 18;
    guint n = b->body[4];
    return (uint16_t)(n > QCLOCK_MAX ? DISK_BODY_BYTES + 1 : 5 + QDOT_BYTES * n);
}

gboolean qfloor_covers(const QRecord *floor, const QRecord *rec)
{
    if (rec->clock.ndots > 0)
        return qclock_covers(&floor->clock, &rec->clock);
    return version_cmp(rec->version, floor->version) <= 0;
}

void quorum_encode_epoch(DiskBlock *b, guint epoch)
{
    uint16_t e = (uint16_t)epoch;
    disk_block_seal(b, QBLK_EPOCH, &e, EPOCH_LEN);
}

void quorum_encode_record(DiskBlock *b, const QRecord *r)
{
    if (r->clock.ndots > 0) {
        encode_vrecord(b, r);
        return;
    }
    uint8_t body[REC_LEN];
    gsize off = 0;
    put_bytes(body, &off, &r->key, 4);
    put_bytes(body, &off, &r->op, 1);
    put_bytes(body, &off, &r->hinted, 1);
    put_bytes(body, &off, &r->copy, 1);
    put_bytes(body, &off, &r->hint_for, 2);
    put_bytes(body, &off, &r->version.ts, 8);
    put_bytes(body, &off, &r->version.client, 2);
    put_bytes(body, &off, &r->version.seq, 4);
    put_bytes(body, &off, &r->value, 8);
    put_bytes(body, &off, &r->idem, 8);
    g_assert(off == REC_LEN);
    disk_block_seal(b, r->hinted ? QBLK_HINT : QBLK_DATA, body, REC_LEN);
}

void quorum_encode_hint_done(DiskBlock *b, IdemKey idem, EndpointId target)
{
    uint8_t body[DONE_LEN];
    gsize off = 0;
    put_bytes(body, &off, &idem, 8);
    put_bytes(body, &off, &target, 2);
    disk_block_seal(b, QBLK_HINT_DONE, body, DONE_LEN);
}

void quorum_encode_void(DiskBlock *b, uint32_t block)
{
    disk_block_seal(b, QBLK_VOID, &block, VOID_LEN);
}

void quorum_encode_ident(DiskBlock *b, EndpointId node)
{
    uint8_t body[6] = {'q', 'r', 'm', '1', (uint8_t)node, (uint8_t)(node >> 8)};
    disk_block_seal(b, QBLK_IDENT, body, sizeof body);
}

BlockCheck quorum_decode(const DiskBlock *b, QBlock *out)
{
    uint16_t expect;
    switch (b->type) {
    case QBLK_IDENT:
        expect = 6;
        break;
    case QBLK_DATA:
    case QBLK_HINT:
        expect = REC_LEN;
        break;
    case QBLK_HINT_DONE:
        expect = DONE_LEN;
        break;
    case QBLK_VOID:
        expect = VOID_LEN;
        break;
    case QBLK_VDATA:
    case QBLK_VHINT:
        expect = vrecord_len(b);
        break;
    case QBLK_EPOCH:
        expect = EPOCH_LEN;
        break;
    case QBLK_PURGE:
        expect = purge_len(b);
        break;
    default:
        /* An unknown type is either never written or damaged. */
        return disk_block_check(b, DISK_BODY_BYTES + 1) == BLOCK_EMPTY ? BLOCK_EMPTY
                                                                       : BLOCK_CORRUPT;
    }
    BlockCheck c = disk_block_check(b, expect);
    if (c != BLOCK_OK)
        return c;
    quorum_parse_sealed(b, out);
    return BLOCK_OK;
}

void quorum_parse_sealed(const DiskBlock *b, QBlock *out)
{
    memset(out, 0, sizeof *out);
    out->type = b->type;
    gsize off = 0;
    if (b->type == QBLK_DATA || b->type == QBLK_HINT) {
        QRecord *r = &out->rec;
        get_bytes(b->body, &off, &r->key, 4);
        get_bytes(b->body, &off, &r->op, 1);
        get_bytes(b->body, &off, &r->hinted, 1);
        get_bytes(b->body, &off, &r->copy, 1);
        get_bytes(b->body, &off, &r->hint_for, 2);
        get_bytes(b->body, &off, &r->version.ts, 8);
        get_bytes(b->body, &off, &r->version.client, 2);
        get_bytes(b->body, &off, &r->version.seq, 4);
        get_bytes(b->body, &off, &r->value, 8);
        get_bytes(b->body, &off, &r->idem, 8);
    } else if (b->type == QBLK_HINT_DONE) {
        get_bytes(b->body, &off, &out->idem, 8);
        get_bytes(b->body, &off, &out->target, 2);
    } else if (b->type == QBLK_VOID) {
        get_bytes(b->body, &off, &out->block, 4);
    } else if (b->type == QBLK_VDATA || b->type == QBLK_VHINT) {
        decode_vrecord(b, &out->rec);
    } else if (b->type == QBLK_EPOCH) {
        uint16_t e;
        get_bytes(b->body, &off, &e, 2);
        out->block = e;
    } else if (b->type == QBLK_PURGE) {
        decode_purge(b, &out->rec);
    }
}

/* ---- sets ---- */

static inline const QRecord *rec_at(const GArray *set, guint i)
{
    return (const QRecord *)(const void *)(set->data +
                                           (gsize)i * g_array_get_element_size((GArray *)set));
}

int qrecord_cmp(const QRecord *x, const QRecord *y)
{
    int c = version_cmp(x->version, y->version);
    if (c != 0)
        return c;
    return x->idem < y->idem ? -1 : x->idem > y->idem;
}

static gint cmp_version(gconstpointer a, gconstpointer b)
{
    return qrecord_cmp(a, b);
}

void qset_sort(GArray *set)
{
    g_array_sort(set, cmp_version);
}

void qset_normalize(GArray *set)
{
    if (set->len == 0)
        return;
    g_array_sort(set, cmp_version);
    /* The newest put or delete is the base; everything before it is superseded. */
    guint base = 0;
    for (guint i = set->len; i-- > 0;) {
        uint8_t op = rec_at(set, i)->op;
        if (op == OP_PUT || op == OP_DELETE) {
            base = i;
            break;
        }
    }
    if (base > 0)
        g_array_remove_range(set, 0, base);
}

gboolean qset_supersedes(const GArray *set, const QRecord *r)
{
    if (set->len == 0)
        return FALSE;
    const QRecord *base = rec_at(set, 0);
    if (base->op != OP_PUT && base->op != OP_DELETE)
        return FALSE;
    return version_cmp(r->version, base->version) < 0;
}

/* A record's idempotency key and where it was: sorting these groups equal keys, first
 * occurrence first, in O(n log n) where counting key by key would be O(n^2). */
typedef struct {
    IdemKey idem;
    guint index;
} IdemAt;

static gint cmp_idem_at(gconstpointer a, gconstpointer b)
{
    const IdemAt *x = a, *y = b;
    if (x->idem != y->idem)
        return x->idem < y->idem ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static IdemAt *sorted_idems(const QRecord *recs, guint n, gsize stride)
{
    IdemAt *out = g_new(IdemAt, n ? n : 1);
    for (guint i = 0; i < n; i++) {
        const QRecord *r = (const QRecord *)(const void *)((const uint8_t *)recs + i * stride);
        out[i] = (IdemAt){r->idem, i};
    }
    qsort(out, n, sizeof *out, cmp_idem_at);
    return out;
}

/* The length of the run of `idem` starting at *pos in a sorted list, advancing *pos past every
 * smaller key first. */
static guint run_of(const IdemAt *list, guint n, guint *pos, IdemKey idem)
{
    while (*pos < n && list[*pos].idem < idem)
        (*pos)++;
    guint start = *pos;
    while (*pos < n && list[*pos].idem == idem)
        (*pos)++;
    return *pos - start;
}

void qset_merge(GArray *set, const QRecord *add, guint n)
{
    g_assert(g_array_get_element_size(set) == sizeof(QRecord));
    g_autofree IdemAt *have =
        sorted_idems((const QRecord *)(const void *)set->data, set->len, sizeof(QRecord));
    g_autofree IdemAt *want = sorted_idems(add, n, sizeof(QRecord));
    guint nhave = set->len, hpos = 0;
    for (guint i = 0; i < n;) {
        /* One idempotency key: its first record in `add`, as often as `add` has it more. */
        guint first = want[i].index, count = 0;
        IdemKey idem = want[i].idem;
        while (i < n && want[i].idem == idem)
            i++, count++;
        guint held = run_of(have, nhave, &hpos, idem);
        for (guint k = held; k < count; k++)
            g_array_append_val(set, add[first]);
    }
    qset_normalize(set);
}

gboolean qset_contains(const QRecord *have, guint nhave, const QRecord *need, guint nneed)
{
    g_autofree IdemAt *h = sorted_idems(have, nhave, sizeof(QRecord));
    g_autofree IdemAt *w = sorted_idems(need, nneed, sizeof(QRecord));
    guint hpos = 0;
    for (guint i = 0; i < nneed;) {
        IdemKey idem = w[i].idem;
        guint count = 0;
        while (i < nneed && w[i].idem == idem)
            i++, count++;
        if (run_of(h, nhave, &hpos, idem) < count)
            return FALSE;
    }
    return TRUE;
}

gboolean qset_fold(const GArray *set, Value *value)
{
    gboolean present = FALSE;
    Value v = 0;
    for (guint i = 0; i < set->len; i++) {
        const QRecord *r = rec_at(set, i);
        switch (r->op) {
        case OP_PUT:
            v = r->value;
            present = TRUE;
            break;
        case OP_DELETE:
            v = 0;
            present = FALSE;
            break;
        case OP_ADD:
            v += r->value;
            present = TRUE;
            break;
        default:
            g_assert_not_reached();
        }
    }
    *value = v;
    return present;
}

uint64_t qrecord_digest(const QRecord *r)
{
    uint64_t state = r->idem ^ ((uint64_t)r->version.ts * 0x9e3779b97f4a7c15ULL);
    if (r->clock.ndots > 0)
        state ^= qclock_digest(&r->clock);
    return sim_splitmix64(&state);
}

/* ---- sets under version vectors ---- */

static gint cmp_idem(gconstpointer a, gconstpointer b)
{
    const QRecord *x = a, *y = b;
    return x->idem < y->idem ? -1 : x->idem > y->idem;
}

void qvset_merge(GArray *set, const QRecord *add, guint n)
{
    g_assert(g_array_get_element_size(set) == sizeof(QRecord));
    for (guint i = 0; i < n; i++) {
        if (add[i].op == OP_NOOP)
            continue; /* a marker: a context, not a record */
        gboolean held = FALSE;
        for (guint j = 0; j < set->len && !held; j++) {
            QRecord *r = &g_array_index(set, QRecord, j);
            if (r->idem == add[i].idem) {
                qclock_absorb(&r->clock, &add[i].clock);
                held = TRUE;
            }
        }
        if (!held)
            g_array_append_val(set, add[i]);
    }
    /* Keep what no other record covers. */
    guint keep = 0;
    for (guint i = 0; i < set->len; i++) {
        const QRecord *r = &g_array_index(set, QRecord, i);
        gboolean covered = FALSE;
        for (guint j = 0; j < set->len && !covered; j++)
            covered = j != i && qclock_covers(&g_array_index(set, QRecord, j).clock, &r->clock);
        if (!covered)
            g_array_index(set, QRecord, keep++) = *r;
    }
    g_array_set_size(set, keep);
    g_array_sort(set, cmp_idem);
}

gboolean qvset_contains(const QRecord *have, guint nhave, const QRecord *need, guint nneed)
{
    for (guint i = 0; i < nneed; i++) {
        gboolean found = FALSE;
        for (guint j = 0; j < nhave && !found; j++)
            found = have[j].idem == need[i].idem && qclock_equal(&have[j].clock, &need[i].clock);
        if (!found)
            return FALSE;
    }
    return TRUE;
}

gboolean qvset_fold(const QRecord *recs, guint n, Value *value)
{
    gboolean present = FALSE, put = FALSE;
    Value best = 0, adds = 0;
    for (guint i = 0; i < n; i++) {
        if (recs[i].op == OP_PUT) {
            best = put ? MAX(best, recs[i].value) : recs[i].value;
            put = present = TRUE;
        } else if (recs[i].op == OP_ADD) {
            adds += recs[i].value;
            present = TRUE;
        }
    }
    *value = best + adds;
    return present;
}

void qvset_context(const QRecord *recs, guint n, QClock *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    const QClock **clocks = g_new(const QClock *, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        clocks[i] = &recs[i].clock;
    qclock_join_all(ctx, clocks, n);
    g_free(clocks);
}

void qset_digest(const GArray *set, uint32_t *count, uint64_t *hash)
{
    uint64_t h = 0;
    for (guint i = 0; i < set->len; i++)
        h += qrecord_digest(rec_at(set, i)); /* a sum: independent of order, sensitive to
                                                multiplicity */
    *count = set->len;
    *hash = h;
}

/* ---- the log's segment files ---- */

void quorum_segment_path(uint32_t seg, char *buf, gsize size)
{
    seglog_path("data", seg, buf, size);
}

gboolean quorum_segment_parse(const char *path, uint32_t *seg)
{
    return seglog_parse("data", path, seg);
}
