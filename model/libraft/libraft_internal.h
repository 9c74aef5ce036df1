/* model/libraft/libraft_internal.h — what the files of the hosted canonical-raft adapter share.
 *
 * One LRNode is one raft server hosting one instance of the unmodified library (libraft 0.15)
 * behind the raft_io of libraft_io.c. The node is a sans-IO protocol like the others: a step
 * points `out` at the step's ActionList and enters the library; every raft_io method the library
 * calls appends actions there (send, write, truncate, fsync, timer, note, failpoint); nothing
 * calls the engine or the world.
 *
 * Files of the adapter: libraft.c (ProtoOps: events into library calls), libraft_io.c (raft_io),
 * libraft_store.c (term, vote, log and snapshot on the simulated disk), libraft_msg.c (the wire
 * codec of raft_message), libraft_fsm.c (the key-value state machine and the clients),
 * libraft_fiber.c (synchronous durable calls), libraft_heap.c (a heap per instance).
 *
 * Invariants: the library is entered only with lr_enter()/lr_leave() around the call (the heap
 * and the output are the node's); set_term, set_vote and bootstrap run only on the node's fiber
 * (they suspend it until their fsync completed); while the fiber is suspended no other event
 * reaches the library (libraft.c queues them).
 */
#pragma once

#include "model/libraft/libraft.h"

#include "model/seglog.h"

#include <raft.h>
#include <ucontext.h>

/* ---- heap: every allocation of the library, per instance ---- */

typedef struct LRHeap LRHeap;
/* Caller owns the result. */
LRHeap *lr_heap_new(void);
/* Frees what is still allocated; returns how many blocks were left (leaks of the library or of
 * the adapter) and how many frees of already freed blocks were seen. */
void lr_heap_free(LRHeap *h, guint *leaked, guint *double_frees);
/* Routes raft_malloc & co. of this thread to `h` (NULL: none). Returns the previous heap. */
LRHeap *lr_heap_use(LRHeap *h);
/* From now on frees are deferred to lr_heap_free (after an I/O error, see libraft.c). */
void lr_heap_quarantine(LRHeap *h);
guint lr_heap_live(const LRHeap *h);
guint lr_heap_double_frees(const LRHeap *h);

/* ---- fiber: the stack synchronous durable calls suspend ---- */

typedef struct {
    ucontext_t main, self;
    void *stack;
    gsize stack_size;
    gboolean running;   /* inside the fiber (possibly suspended) */
    gboolean suspended; /* waiting for a disk completion */
    void (*fn)(void *arg);
    void *arg;
    void *fake_main, *fake_fiber; /* sanitizer bookkeeping */
    const void *main_bottom;
    size_t main_size;
} LRFiber;

void lr_fiber_init(LRFiber *f);
void lr_fiber_clear(LRFiber *f);
/* Runs fn(arg) on the fiber; returns when it finished or suspended. */
void lr_fiber_run(LRFiber *f, void (*fn)(void *), void *arg);
/* From the fiber: back to the caller of run/resume. */
void lr_fiber_suspend(LRFiber *f);
/* Continues a suspended fiber; returns when it finished or suspended again. */
void lr_fiber_resume(LRFiber *f);

/* ---- storage: files, formats and what this instance wrote ---- */

typedef struct LRNode LRNode;

/* The adapter's files (named, on the file-system model; see libraft_store.c). The metadata and
 * the snapshot are double-buffered files overwritten in place, as the library's own backend keeps
 * its metadata (canonical raft's uv_metadata.c alternates two copies, the newest valid wins):
 * each is created once, open on a descriptor of its own for the process's life, and its name is
 * durable (the root fsynced) before anything written there counts. The log is raft's segments. */
#define LR_FILE_META 0 /* the descriptor of "meta": two alternating RaftMeta blocks */
#define LR_FILE_LOG  1 /* the log ("log/<n>", model/seglog.h): not a descriptor, see LR_FD_SEG_* */
#define LR_FILE_SNAP 2 /* the descriptor of "snapshot": two slots, see below */
#define LR_NFILES    3 /* the three stores, for the scrub's bookkeeping */
#define LR_SNAP_SLOT 4096u /* slot s of "snapshot" starts at block s * LR_SNAP_SLOT */
/* The other descriptors: the root, log/, the log store's scratch one and its segments. */
enum {
    LR_FD_ROOT = 3,
    LR_FD_LOG = 4,
    LR_FD_SCRATCH = 5,
    LR_FD_SEG_FIRST = 6,
    LR_FD_SEGS = 32,
};

/* How configuration and barrier entries look in raft's entry record: kind OP_NOOP, key says
 * which, and value packs the configuration (2 bits per server id 1..32: 0 absent, else role+1). */
#define LR_KEY_BARRIER ((KeyId)0xfffffff0u)
#define LR_KEY_CHANGE  ((KeyId)0xfffffff1u)

/* A command as the FSM receives it (the entry's buffer). */
typedef struct {
    uint64_t term; /* the leader's term when it proposed it: the entry's term */
    uint8_t kind;  /* OP_PUT, OP_ADD, OP_DELETE */
    EndpointId client;
    KeyId key;
    Value value;
    IdemKey idem;
} LRCommand;

#define LR_COMMAND_LEN 31
void lr_command_encode(const LRCommand *c, uint8_t out[LR_COMMAND_LEN]);
gboolean lr_command_decode(const void *buf, gsize len, LRCommand *out);

/* Entry <-> raft's record. Returns FALSE for an entry the format cannot hold. */
gboolean lr_entry_to_record(const struct raft_entry *e, uint64_t index, RaftEntry *out);
/* Fills e (buffer from raft_malloc, owned by the caller). FALSE: not a valid entry. */
gboolean lr_record_to_entry(const RaftEntry *r, struct raft_entry *e);

typedef struct {
    uint32_t seq; /* the newest valid slot wins */
    uint32_t trailing;
    uint64_t index, term, conf_index;
    uint64_t conf; /* packed as in LR_KEY_CHANGE */
    uint32_t data_len;
    uint32_t data_sum;
} LRSnapHeader;

/* What load() hands the library, decoded from the boot image. */
typedef struct {
    RaftMeta meta;
    gboolean meta_found;
    guint meta_slot;
    GArray *records; /* of RaftEntry: the log from block 0 while entries are valid */
    gboolean log_damaged;
    gboolean snap_damaged; /* a snapshot slot that may be the newest is unreadable or corrupt */
    gboolean meta_damaged; /* a metadata slot is unreadable or corrupt */
    LRSnapHeader snap;
    gboolean snap_found;
    guint snap_slot;
    uint8_t *snap_data; /* g_malloc, snap.data_len bytes */
} LRImage;

/* Decodes the boot image (NULL: nothing) and emits what opens the adapter's files (creating
 * those that are not there). */
void lr_image_decode(LRNode *n, const ProtoDiskImage *img, LRImage *out);
void lr_image_clear(LRImage *im);
/* The blocks of a snapshot slot (header + data). Caller frees the array. */
DiskBlock *lr_snap_encode(const LRSnapHeader *h, const uint8_t *data, guint *nblocks);
uint64_t lr_conf_pack(const struct raft_configuration *c);
/* The log on its files (model/seglog.h): entry i is the log's block i - 1. */
void lr_store_init(LRNode *n);
void lr_store_clear(LRNode *n);
void lr_store_write(LRNode *n, const RaftEntry *e, uint64_t token);
/* Drops the entries from `index` on (durably with the next sync). */
void lr_store_truncate(LRNode *n, uint64_t index, uint64_t token);
/* The whole log goes (a snapshot replaced it): the next entry written is `next`. */
void lr_store_restart(LRNode *n, uint64_t next, uint64_t token);
/* Makes what was written, truncated, created or removed durable: fsyncs carrying `part`, the
 * last carrying `token`. */
void lr_store_sync(LRNode *n, uint64_t token, uint64_t part);
/* A sync's outcome: after a failure the next sync fsyncs every segment and directory again. */
void lr_store_synced(LRNode *n, gboolean ok);
/* Reads up to `count` entries from `index` within one segment; returns how many. */
uint32_t lr_store_read(LRNode *n, uint64_t index, uint32_t count, uint64_t token);
/* Every open segment made to be fsynced again (the libraft-trust-failed-fsync bug). */
void lr_store_dirty_all(LRNode *n);
/* Fills c (initialised by the caller). */
void lr_conf_unpack(uint64_t packed, struct raft_configuration *c);

/* ---- wire codec ---- */

/* Little-endian byte writing and bounds-checked reading (a short read sets `bad`, reads 0). */
typedef struct {
    const uint8_t *p;
    uint32_t left;
    gboolean bad;
} LRReader;
void lr_put(GByteArray *b, const void *v, guint n);
void lr_put64(GByteArray *b, uint64_t v);
void lr_put32(GByteArray *b, uint32_t v);
void lr_put8(GByteArray *b, uint8_t v);
void lr_get(LRReader *r, void *out, uint32_t n);
uint64_t lr_get64(LRReader *r);
uint32_t lr_get32(LRReader *r);
uint8_t lr_get8(LRReader *r);

/* The message's bytes; caller frees with g_free. */
uint8_t *lr_msg_encode(const struct raft_message *m, raft_id sender, uint32_t *len);
/* Decodes into *m with raft_malloc'd parts (the library takes them over in recv, see
 * lr_msg_release). FALSE: malformed. */
gboolean lr_msg_decode(const uint8_t *buf, uint32_t len, struct raft_message *m, char *addr,
                       gsize addr_size);
/* Frees what the library does not take over once recv returned. */
void lr_msg_release(struct raft_message *m);
/* A term carried by the message (0: none). */
uint64_t lr_msg_term(const struct raft_message *m);

/* ---- the node ---- */

typedef struct LRAppend LRAppend;
typedef struct LRPending LRPending;

struct LRNode {
    ProtoInit init;
    LibraftParams params;
    struct raft raft;
    struct raft_io io;
    struct raft_fsm fsm;
    LRHeap *heap;
    LRFiber fiber;
    ActionList *out; /* the current step's output */
    SimTime now;
    /* lifecycle */
    gboolean booting; /* rewriting what the disk showed, before the library starts */
    guint boot_waits; /* boot fsyncs outstanding */
    gboolean boot_failed;
    gboolean started; /* raft_start returned 0 */
    gboolean closing;
    gboolean io_failed; /* an I/O error reached the library (see lr_heap_quarantine) */
    gboolean halted;    /* the library shut itself down (NOTE_HALTED said so) */
    raft_io_tick_cb tick;
    raft_io_recv_cb recv;
    unsigned tick_ms;
    /* the durable-call wait */
    uint64_t wait_token;
    int wait_result;
    int wait_write_error;
    gboolean wait_arrived;
    gboolean log_broken; /* a truncation failed: the next append is not trusted */
    gboolean installing; /* inside the recv of an InstallSnapshot */
    GQueue deferred;     /* of ProtoEvent* copies, while the fiber is suspended */
    gboolean tick_deferred;
    /* storage mirror */
    uint64_t meta_seq;
    guint meta_slot;
    uint64_t term;
    raft_id vote;
    uint64_t next_index; /* where the next appended entry goes */
    SegLog store;        /* the log's segment files */
    uint32_t snap_seq;
    guint snap_slot;
    LRSnapHeader snap;  /* the last snapshot written (index 0: none) */
    uint8_t *snap_data; /* g_malloc'd, snap.data_len bytes */
    LRImage image;      /* the boot image, until load() took it */
    /* the log as this instance wrote it: file 1 holds entries log_first.. (block i - 1 for
     * entry i), for the scrub and for a damaged peer's repair */
    GArray *log; /* of RaftEntry */
    uint64_t log_first;
    uint64_t synced; /* entries up to here were covered by a successful fsync */
    /* scrub (libraft_repair.c) */
    uint64_t scrub_cursor;
    uint64_t scrub_limit;
    guint scrub_reading;
    GArray *scrub_dirty[LR_NFILES]; /* of uint32_t: blocks the scrub wrote, not yet vouched for by
                                       a scrub fsync that succeeded */
    guint scrub_syncing[LR_NFILES]; /* how many of them the fsync in flight covers (0: none) */
    gboolean scrub_part_failed;     /* a log fsync of the scrub's sync in flight failed */
    /* repair from peers at boot (libraft_repair.c) */
    gboolean repairing;
    gboolean blank;         /* this boot found nothing at all on the disk (see libraft_repair.c) */
    gboolean may_bootstrap; /* a first boot, or a repair that found nothing anywhere */
    guint repair_phase;
    LRImage **answers; /* per peer endpoint, the state it reported (NULL: none yet) */
    /* asynchronous requests */
    GQueue appends;   /* of LRAppend*, in order */
    GQueue done;      /* of LRPending*: callbacks to run once the library returned */
    GQueue snap_puts; /* of LRPending* waiting for their fsync */
    uint64_t next_token;
    uint64_t stale_below; /* request ids below it belong to an abandoned instance */
    /* state machine */
    Value *kv;
    uint8_t *present;
    uint32_t *sessions; /* per client: the highest sequence number applied */
    GHashTable *named;  /* named idempotency keys applied (IdemKey*) */
    /* clients */
    GPtrArray *requests;     /* outstanding in the library (LRRequest*) */
    GPtrArray *admins;       /* operations on the cluster outstanding (LRAdmin*, libraft_admin.c) */
    GQueue admin_next;       /* adds whose raft_add is done, waiting for their raft_assign */
    uint64_t noted_conf;     /* the library's committed configuration index, as last seen */
    SimTime heard_leader_at; /* the last AppendEntries or InstallSnapshot of a current term */
    uint64_t noted_voters;   /* the configuration in use NOTE_CONFIG said last */
    uint64_t noted_conf_at;
    uint64_t refused[8]; /* write attempts refused definitely (client, op, attempt), a ring */
    guint refused_next;
    guint inflight; /* writes among them */
    /* what the notes said last */
    NodeRole role;
    uint64_t noted_term;
    uint64_t noted_commit;
    gboolean broadcast; /* a leader sent entries in this step (the failpoint broadcast) */
    /* counters (tests and the trace) */
    LibraftStats stats;
};

/* Around every call into the library from the adapter. */
void lr_enter(LRNode *n);
void lr_leave(LRNode *n);
/* NOTE_COMMIT (and the failpoint committed on a leader) if the commit index rose. */
void lr_note_commit(LRNode *n);
/* Runs the completions queued by raft_io methods (send done, snapshot read) in order. */
void lr_drain(LRNode *n);

/* The mirror of file 1 (n->log). */
void lr_log_reset(LRNode *n, uint64_t first);
void lr_log_put(LRNode *n, const RaftEntry *e);
void lr_log_cut(LRNode *n, uint64_t index);                  /* drops entries >= index */
const RaftEntry *lr_log_at(const LRNode *n, uint64_t index); /* NULL: not held */

void lr_io_setup(LRNode *n);
/* Every append still waiting for its fsync will fail with `err` (a failed fsync of file 1). */
void lr_io_fail_pending_appends(LRNode *n, int err);
/* Completes every outstanding request with RAFT_CANCELED (io->close). */
void lr_io_cancel_all(LRNode *n);
/* A PEV_DISK for one of the adapter's asynchronous requests. FALSE: not one of them. */
gboolean lr_io_disk_done(LRNode *n, uint64_t token, int result);
/* The blocking wait of a durable call: emits nothing itself, suspends until `token`'s
 * completion arrived, returns its result. */
int lr_io_wait(LRNode *n, uint64_t token);

void lr_fsm_setup(LRNode *n);
void lr_fsm_clear(LRNode *n);
void lr_client_request(LRNode *n, const Msg *m);
/* Answers every waiting client (graceful stop). */
void lr_client_shutdown(LRNode *n);
void lr_reply(LRNode *n, EndpointId client, uint32_t op, uint16_t attempt, gboolean ok,
              FailReason reason, gboolean definite, const ClientResp *read);

/* ---- operations on the cluster (libraft_admin.c) ---- */

typedef struct LRAdmin LRAdmin;
void lr_admin_setup(LRNode *n);
void lr_admin_clear(LRNode *n); /* the instance is closed */
/* add-server, remove-server, transfer-leader, on a leader. */
void lr_admin_request(LRNode *n, const Msg *m);
/* After the library returned: the raft_assign of adds whose raft_add completed. */
void lr_admin_continue(LRNode *n);
/* Answers every waiting operation (graceful stop). */
void lr_admin_shutdown(LRNode *n);

/* ---- damage: scrub while running, repair from peers at boot (libraft_repair.c) ---- */

#define LR_WIRE_REPAIR_ASK    0xe0 /* first byte of a MSG_LIBRAFT that is the adapter's own */
#define LR_WIRE_REPAIR_ANSWER 0xe1

void lr_scrub_start(LRNode *n);
void lr_scrub_round(LRNode *n);
/* A PEV_DISK of the scrub. FALSE: not one of its tokens. */
gboolean lr_scrub_disk_done(LRNode *n, const ProtoEvent *ev);
/* Boot found damaged durable state: ask the peers, rebuild, then start. */
void lr_repair_begin(LRNode *n);
void lr_repair_retry(LRNode *n);
/* A MSG_LIBRAFT of the adapter's own (its first byte is LR_WIRE_REPAIR_*). */
void lr_repair_message(LRNode *n, const Msg *m);
/* A boot fsync of the repair's phases finished (all of a phase's fsyncs, result 0 or not). */
void lr_repair_synced(LRNode *n, gboolean failed);
/* Frees the scrub's bookkeeping, the repair's answers and the log mirror (destroy). */
void lr_repair_clear(LRNode *n);
/* Takes n->image as this instance's state: term, vote, snapshot, log mirror (libraft.c). */
void lr_adopt_image(LRNode *n);
/* Writes back the image and fsyncs it (libraft.c): what a boot hands the library. */
void lr_boot_rewrite(LRNode *n, gboolean meta, gboolean data);
void lr_boot_start(LRNode *n);

/* Token spaces of the adapter's disk operations. */
enum {
    LR_TOK_META = 1,       /* the fsync of a durable call | seq << 8 */
    LR_TOK_META_WRITE = 2, /* its write */
    LR_TOK_APPEND = 3,     /* an append's fsync | id << 8 */
    LR_TOK_APPEND_WRITE = 4,
    LR_TOK_TRUNCATE = 5,
    LR_TOK_SNAP = 6, /* a snapshot's fsyncs | id << 8 */
    LR_TOK_SNAP_WRITE = 7,
    LR_TOK_BOOT = 8,        /* the boot rewrite's fsyncs */
    LR_TOK_BOOT_WRITE = 9,  /* its writes and truncations */
    LR_TOK_SCRUB_META = 10, /* scrub reads | slot << 8 */
    LR_TOK_SCRUB_LOG = 11,  /* | first index << 8 */
    LR_TOK_SCRUB_SNAP = 12, /* | first block << 8 */
    LR_TOK_SCRUB_WRITE = 13,
    LR_TOK_SCRUB_SYNC = 14,
    LR_TOK_STORE = 15,       /* the log store's own opens, closes and mkdir (errors ignored: the
                                writes and fsyncs through those descriptors fail then) */
    LR_TOK_APPEND_PART = 16, /* an append's fsyncs but the last | id << 8 */
    LR_TOK_SCRUB_PART = 17,  /* the scrub's log fsyncs but the last */
};

enum { LR_TIMER_TICK = 0, LR_TIMER_BOOT = 1, LR_TIMER_SCRUB = 2, LR_TIMER_REPAIR = 3 };
#define LR_TOKEN(kind, id) ((uint64_t)(kind) | ((uint64_t)(id) << 8))
