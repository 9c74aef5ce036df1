/* reports/ledger.h — the ledger of client writes: per logical write (idempotency key), how many
 * live durable copies each storage node holds over time, what it held at its ack, and the end
 * judgement (lost-ack, early-ack). Protocol modules tell it where copies appear and go; it never
 * decodes a block itself.
 *
 * Invariants: an entry never moves once made (callers may hold several at once); counts[n] is
 * the number of live durable copies node n holds; a bit of `ever` is never cleared.
 */
#pragma once

#include "model/idem_table.h"
#include "reports/oracle.h"
#include "sim/engine/chunks.h"

/* One client write. Ordered by size, so that a million of them stay small. */
struct Ledger {
    IdemKey idem;
    Version version;
    SimTime acked_at;
    SimTime lost_at;       /* when its last live durable copy went, after the ack */
    SimTime vanished_at;   /* the last time every durable copy was gone (acked or not), or 0 */
    uint64_t effect_index; /* the first log position applied with effect (logs only) */
    uint32_t ever;         /* nodes that ever held it durably (storage nodes are fewer than 33) */
    uint32_t damaged;      /* nodes whose durable copy a media fault or disk loss took */
    uint32_t at_ack;       /* nodes that held it durably when it was first acked */
    KeyId key;
    uint32_t acked_op;
    uint32_t first_op;
    EndpointId lost_node;
    uint8_t lost_cause; /* DiskChange of that loss */
    uint8_t kind;
    uint8_t acked;
    uint8_t early_reported;
    uint8_t lost_reported;
    uint8_t dup_reported;
    uint8_t committed; /* committed by the protocol module's rule */
    uint8_t counts[];  /* [nodes] live durable copies, then [nodes] for the module's own use */
};

struct LedgerBook {
    Chunks entries;  /* of Ledger plus counts, in creation order */
    IdemTable index; /* IdemKey -> uint32_t entry */
    guint nodes;
    const OracleView *view; /* borrowed */
    Redundancy *redundancy; /* borrowed, may be NULL: told of acknowledged writes' copies */
};

void ledger_init(LedgerBook *b, const OracleView *view, guint nodes);
void ledger_clear(LedgerBook *b);
guint ledger_len(const LedgerBook *b);
Ledger *ledger_at(const LedgerBook *b, uint32_t i);
Ledger *ledger_find(const LedgerBook *b, IdemKey idem);
/* The write's entry, created on first use. */
Ledger *ledger_get(LedgerBook *b, IdemKey idem);
/* The place of an entry in creation order (ledger_at's index). */
uint32_t ledger_index(const LedgerBook *b, const Ledger *l);
/* The nodes holding a live durable copy. */
uint64_t ledger_holders(const LedgerBook *b, const Ledger *l);
/* Whether node holds a live durable copy, or held one until a media fault took it. */
gboolean ledger_backed(const Ledger *l, EndpointId node);
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
