/* reports/ledger.h — the ledger of client writes: per logical write (idempotency key), how many
 * live durable copies each storage node holds over time, what it held at its ack, and the end
 * judgement (lost-ack, early-ack). Protocol modules tell it where copies appear and go; it never
 * decodes a block itself.
 *
 * A write's copies are kept node by node, only for the nodes that ever held it (or whose copy a
 * fault took, or held it at its ack): a few for a write of a thousand-node ring, all of them for
 * a raft entry. A book keeps room in each entry for as many as the run's nodes or
 * LEDGER_INLINE_MAX, whichever is fewer; more go to a small array of the entry's own.
 *
 * Streaming (reports/README.md): an entry whose facts are final is folded (ledger_forget) and its
 * slot reused; ledger_order gives the live entries in creation order, as the end checks take them.
 *
 * Invariants: an entry never moves once made (callers may hold several at once), until it is
 * forgotten; a copy's `count` is the node's live durable copies; the EVER, DAMAGED and AT_ACK
 * flags are never cleared; nholders is the number of copies with count > 0.
 */
#pragma once

#include "model/idem_table.h"
#include "reports/oracle.h"
#include "sim/engine/chunks.h"

#define LEDGER_INLINE_MAX 8

enum {
    LCOPY_EVER = 1 << 0,    /* the node held it durably at some point */
    LCOPY_DAMAGED = 1 << 1, /* a media fault or disk loss took the node's durable copy */
    LCOPY_AT_ACK = 1 << 2,  /* the node held it (or its snapshot did) at the first ack */
};

/* One node's copies of a write. */
typedef struct {
    EndpointId node;
    uint8_t count; /* live durable copies */
    uint8_t own;   /* the protocol module's own count (quorum: original copies) */
    uint8_t flags; /* LCOPY_* */
    uint8_t unused;
} LedgerCopy;

/* One client write. Ordered by size, so that a million of them stay small. */
struct Ledger {
    IdemKey idem;
    Version version;
    SimTime acked_at;
    SimTime lost_at;       /* when its last live durable copy went, after the ack */
    SimTime vanished_at;   /* the last time every durable copy was gone (acked or not), or 0 */
    uint64_t effect_index; /* the first log position applied with effect (logs only) */
    SimTime touched;       /* the last event about it (a copy, a message): for streaming */
    LedgerCopy *more;      /* copies past the entry's own room (g_malloc'd), or NULL */
    KeyId key;
    uint32_t acked_op;
    uint32_t first_op;
    uint32_t seq; /* creation order */
    EndpointId lost_node;
    uint8_t lost_cause; /* DiskChange of that loss */
    uint8_t kind;
    uint8_t acked;
    uint8_t early_reported;
    uint8_t lost_reported;
    uint8_t dup_reported;
    uint8_t committed; /* committed by the protocol module's rule */
    uint8_t used;      /* a live entry (not a folded one's free slot) */
    uint8_t ncopies;   /* copies[0 .. ncopies) in the entry, then in `more` */
    uint8_t nholders;  /* copies with count > 0 */
    LedgerCopy copies[];
};

struct LedgerBook {
    Chunks entries;  /* of Ledger plus its copies */
    IdemTable index; /* IdemKey -> uint32_t entry */
    guint nodes;
    guint inline_copies; /* copies an entry has room for */
    uint32_t free;       /* a forgotten entry's slot + 1 to reuse, its `first_op` links on */
    uint32_t next_seq;
    guint live;
    gboolean reused; /* some slot was reused: creation order is no longer slot order */
    /* the writes folded (streaming): a bit per sequence number of each client's generated keys,
     * and any other key in a set; and how often an event came for one after */
    GPtrArray *folded_bits; /* of Chunks* (of uint64_t), by client */
    GHashTable *folded_named;
    uint64_t late;
    const OracleView *view; /* borrowed */
    Redundancy *redundancy; /* borrowed, may be NULL: told of acknowledged writes' copies */
};

void ledger_init(LedgerBook *b, const OracleView *view, guint nodes);
void ledger_clear(LedgerBook *b);
/* Slots (live or free): ledger_at's range. */
guint ledger_len(const LedgerBook *b);
Ledger *ledger_at(const LedgerBook *b, uint32_t i);
Ledger *ledger_find(const LedgerBook *b, IdemKey idem);
/* The write's entry, created on first use; NULL for a write folded as final (streaming): what
 * happens to it after no longer counts, and `late` counts such events. */
Ledger *ledger_get(LedgerBook *b, IdemKey idem);
/* Whether write `idem` was folded. */
gboolean ledger_was_folded(const LedgerBook *b, IdemKey idem);
/* The place of an entry (ledger_at's index). */
uint32_t ledger_index(const LedgerBook *b, const Ledger *l);
/* The live entries' places in creation order (caller frees); *n gets their number. */
uint32_t *ledger_order(const LedgerBook *b, guint *n);
/* Folds an entry away: its slot is reused by a later write (callers drop what they keep of it
 * first: the redundancy oracle its losses). */
void ledger_forget(LedgerBook *b, Ledger *l);

/* ---- a write's copies ---- */

/* Copy i (< l->ncopies). */
static inline LedgerCopy *ledger_copy_at(const Ledger *l, guint inline_copies, guint i)
{
    return i < inline_copies ? (LedgerCopy *)&l->copies[i] : &l->more[i - inline_copies];
}
/* Node's copies of l, or NULL if it never had any. */
const LedgerCopy *ledger_copy(const LedgerBook *b, const Ledger *l, EndpointId node);
/* Node's live durable copies of l. */
guint ledger_count(const LedgerBook *b, const Ledger *l, EndpointId node);
/* The protocol module's own count at node (quorum: original copies), and a change of it. */
guint ledger_own(const LedgerBook *b, const Ledger *l, EndpointId node);
void ledger_own_add(LedgerBook *b, Ledger *l, EndpointId node, int delta);
/* The nodes holding a live durable copy. */
void ledger_holders(const LedgerBook *b, const Ledger *l, NodeSet *out);
/* The nodes whose copies have every flag in `flags` (LCOPY_*). */
void ledger_flagged(const LedgerBook *b, const Ledger *l, guint flags, NodeSet *out);
/* Whether some node ever held it durably. */
static inline gboolean ledger_ever_held(const LedgerBook *b, const Ledger *l)
{
    for (guint i = 0; i < l->ncopies; i++)
        if (ledger_copy_at(l, b->inline_copies, i)->flags & LCOPY_EVER)
            return TRUE;
    return FALSE;
}
/* Whether node holds a live durable copy, or held one until a media fault took it. */
gboolean ledger_backed(const LedgerBook *b, const Ledger *l, EndpointId node);
/* Node's live durable copies of l changed by delta (+1 or -1), for `cause`. */
void ledger_copy_changed(LedgerBook *b, Ledger *l, EndpointId node, int delta, DiskChange cause);
/* How a durable copy went: "overwritten", "truncated away", "destroyed by a media fault". */
const char *ledger_change_text(DiskChange cause);
/* "write w17 (put k0)". */
void ledger_describe_write(const LedgerBook *b, const Ledger *l, GString *s);

/* The client messages: a write request names its write, a success is an ack (early-ack). */
void ledger_sent(LedgerBook *b, const OracleModule *mod, void *st, const Msg *m, Verdict *found);
/* The end of the run: the module's per-write checks, then lost acks. */
void ledger_check_end(LedgerBook *b, const OracleModule *mod, void *st, Verdict *v);
/* The end checks of one write, when it is folded before the end. */
void ledger_check_one(LedgerBook *b, const OracleModule *mod, void *st, Ledger *l, Verdict *v);
