/* model/proto.h — the sans-IO interface between a protocol and the node runtime.
 *
 * A protocol is a state machine: step() takes one event (the node booted from what its disk
 * returned, a message arrived, a timer fired, a disk operation finished) and appends the actions
 * it wants to an ActionList (send; open, write, truncate, fsync, close, rename, unlink a file;
 * set or cancel a timer, mark a failpoint, note a state change). The runtime executes the actions
 * in exactly the order given and never "fixes" them: a protocol that replies before its fsync
 * completed has that bug, and the oracles must catch it. Protocol code never calls the engine or
 * the world; the same step functions could be driven by a real event loop with sockets and files.
 */
#pragma once

#include "model/config.h"
#include "model/block.h"
#include "model/marks.h"
#include "model/msg.h"
#include "sim/engine/rng.h"

/* ---- failpoints ---- */

/* A failpoint's code. Each protocol names its failpoints in its descriptor (Protocol.failpoints,
 * model/protocol.h) and numbers them in a range of its own, as it does its messages: the codes
 * reach the trace and its hash, so a protocol never renumbers them. */
typedef uint16_t FailpointId;
#define FP_NONE              ((FailpointId)UINT16_MAX)
#define PROTO_MAX_FAILPOINTS 32 /* failpoints of one protocol */

/* ---- notes: protocol state changes the oracles and the trace want to see ---- */

typedef enum {
    NOTE_ROLE,     /* a = NodeRole, b = term */
    NOTE_APPLY,    /* raft: a = index, b = term, c = idem, d = 1 if applied, 0 if deduplicated */
    NOTE_COMMIT,   /* raft: a = commit index, b = term */
    NOTE_DAMAGED,  /* the node found its durable state damaged: a = first bad block */
    NOTE_REPAIRED, /* the node finished repairing itself */
    NOTE_HANDOFF,  /* quorum: a hint was handed back, a = idem, b = target */
    NOTE_HALTED,   /* the node stopped serving for good: it found its own state contradicted (a
                      hosted library that shuts itself down), a = its commit index, b = term */
    NOTE_CONFIG,   /* the node's configuration in use changed: a = its voters (bit n: endpoint n),
                      b = the log index the node takes it from */
    NOTE_REFUSED,  /* the node refused a request for a reason the oracles judge: a = why
                      (NOTE_REFUSED_*), b = the leader it believes in (ENDPOINT_NONE: none
                      known), c = when it last heard from a leader (0: never) */
    NOTE_KIND_COUNT,
} NoteKind;

/* Why a node refused (NOTE_REFUSED.a). */
enum {
    NOTE_REFUSED_VOTE_FOR_LEADER = 1,    /* a vote request of a higher term: it has a leader */
    NOTE_REFUSED_PREVOTE_FOR_LEADER = 2, /* a pre-vote request: it has a leader */
    NOTE_REFUSED_CLIENT_TO_LEADER = 3,   /* a client, sent to its leader (NotLeader) */
    NOTE_REFUSED_VOTE_NOT_MEMBER = 4,    /* a (pre-)vote request: it is no voter of its latest
                                            configuration */
};

const char *note_kind_name(NoteKind kind);

/* ---- events ---- */

typedef enum {
    PEV_BOOT, /* first start or restart: rebuild memory from the disk image */
    PEV_MSG,
    PEV_TIMER,
    PEV_DISK, /* a disk operation finished */
    PEV_STOP, /* a graceful stop: answer what is in flight, then the node goes down */
} ProtoEventKind;

/* One file or directory of the node's file system, as read at boot. */
typedef struct {
    char path[FS_PATH_MAX]; /* "log/00000001" */
    gboolean is_dir;
    uint32_t len;            /* a file's blocks */
    const DiskBlock *blocks; /* len blocks */
    const int *errors;       /* 0 or EIO per block */
} ProtoFileImage;

/* What the node's disk returned when read at boot: the whole namespace, and (for a protocol with
 * fixed files, ProtoOps.nfiles) those files by number. */
typedef struct {
    guint nfiles;
    uint32_t len[8];
    DiskBlock *blocks[8]; /* len[f] blocks each */
    int *errors[8];       /* 0 or EIO per block */
    guint nentries;
    const ProtoFileImage *entries; /* every directory and file, in path order (a directory before
                                      its entries, names in byte order) */
} ProtoDiskImage;

typedef struct {
    ProtoEventKind kind;
    SimTime now;                 /* the node's own clock reading */
    const Msg *msg;              /* PEV_MSG, borrowed */
    uint32_t timer;              /* PEV_TIMER: the slot */
    uint64_t token;              /* PEV_TIMER, PEV_DISK: the token given with the action */
    int result;                  /* PEV_DISK: 0 or an errno */
    const DiskBlock *block;      /* PEV_DISK of a read: what came back (when result is 0) */
    uint32_t count;              /* PEV_DISK of a read: blocks read (from the action's index) */
    const DiskBlock *blocks;     /* ... each block's content (blocks[0] is `block`) */
    const int *results;          /* ... and each block's result (0 or EIO; `result` is the
                                    first that is not 0) */
    const ProtoDiskImage *image; /* PEV_BOOT */
    gboolean first_boot;         /* PEV_BOOT: the node was just created (an empty disk is new,
                                    not lost) */
} ProtoEvent;

/* ---- actions ---- */

/* Disk actions name a descriptor (`file`, 0 .. 255): numbers the protocol chooses, as it does
 * its timer slots, opened with ACT_OPEN on a path and closed with ACT_CLOSE. A protocol with
 * fixed files (ProtoOps.nfiles) finds descriptor f open on its fixed file f at every boot. Every
 * disk action completes as one PEV_DISK with its token and result (0 or an errno), in the order
 * the actions were given: the node's disk serves one operation at a time. */
typedef enum {
    ACT_SEND,
    ACT_WRITE,
    ACT_TRUNCATE,
    ACT_FSYNC,  /* fsync(2) of the descriptor's file, or of its directory: the entries the
                   directory shows become durable */
    ACT_READ,   /* read `count` blocks of `file` from `index`, as one device operation; what
                   came back arrives as one PEV_DISK */
    ACT_TIMER,  /* set (or reset) timer slot `timer` to fire after `delay` */
    ACT_CANCEL, /* cancel timer slot `timer` */
    ACT_FAILPOINT,
    ACT_NOTE,
    ACT_OPEN,      /* open descriptor `file` on `path` with FS_O_* flags (`count`) */
    ACT_CLOSE,     /* close descriptor `file` */
    ACT_MKDIR,     /* create directory `path` */
    ACT_UNLINK,    /* remove file (or empty directory) `path` */
    ACT_RENAME,    /* rename `path` to `path2` (one directory), replacing what `path2` named */
    ACT_FDATASYNC, /* fdatasync(2) of the descriptor's file */
} ActionKind;

typedef struct {
    uint8_t kind;
    uint8_t file; /* a descriptor */
    uint16_t sub; /* FailpointId, NoteKind */
    uint32_t timer;
    uint32_t index; /* block index, or truncate length */
    uint32_t count; /* ACT_READ: blocks; ACT_OPEN: FS_O_* flags */
    uint64_t token;
    SimTime delay;
    Msg *msg;            /* ACT_SEND: ownership passes to the runtime */
    uint64_t a, b, c, d; /* notes */
    union {
        DiskBlock block; /* ACT_WRITE */
        struct {
            char path[FS_PATH_MAX];  /* ACT_OPEN, ACT_MKDIR, ACT_UNLINK, ACT_RENAME */
            char path2[FS_PATH_MAX]; /* ACT_RENAME: the new name */
        };
    };
} ProtoAction;

typedef struct {
    ProtoAction *items;
    guint len;
    guint cap;
} ActionList;

void action_list_init(ActionList *l);
void action_list_clear(ActionList *l);
/* Frees messages still owned by unexecuted actions and empties the list. */
void action_list_reset(ActionList *l);
ProtoAction *action_list_push(ActionList *l, ActionKind kind);

/* Helpers that build actions. */
static inline void act_send(ActionList *l, Msg *m)
{
    action_list_push(l, ACT_SEND)->msg = m;
}
void act_write(ActionList *l, guint file, uint32_t index, const DiskBlock *b, uint64_t token);
void act_truncate(ActionList *l, guint file, uint32_t len, uint64_t token);
void act_fsync(ActionList *l, guint file, uint64_t token);
void act_read(ActionList *l, guint file, uint32_t index, uint32_t count, uint64_t token);
/* The file-system actions; a path is shorter than FS_PATH_MAX (asserted). */
void act_open(ActionList *l, guint fd, const char *path, guint flags, uint64_t token);
void act_close(ActionList *l, guint fd, uint64_t token);
void act_mkdir(ActionList *l, const char *path, uint64_t token);
void act_unlink(ActionList *l, const char *path, uint64_t token);
void act_rename(ActionList *l, const char *from, const char *to, uint64_t token);
void act_fdatasync(ActionList *l, guint fd, uint64_t token);
void act_timer(ActionList *l, uint32_t timer, SimTime delay, uint64_t token);
void act_cancel(ActionList *l, uint32_t timer);
void act_failpoint(ActionList *l, FailpointId fp);
void act_note(ActionList *l, NoteKind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* ---- the protocol's side ---- */

/* What a protocol instance knows when it is created. Borrowed for the instance's lifetime. */
typedef struct {
    const WorldConfig *config;
    EndpointId self;
    guint nodes;                /* storage nodes / raft servers: endpoints 0..nodes-1 */
    guint clients;              /* client endpoints (their ids are 0..clients-1 in requests) */
    guint keys;                 /* the run's key table */
    const uint64_t *key_hashes; /* stable hashes of the key names, for placement */
    SimRng *rng;                /* the node's own stream */
    BugSet bugs;
    uint32_t incarnation; /* how many times this node has booted, from 1: request ids carry it,
                             so that a reply to an earlier incarnation is never taken for one to
                             this one */
    MarkCount *marks;     /* the protocol's reachability marks (model/marks.h), counted with
                             MARK(init.marks, ID); NULL: count into mark_sink() */
    const void *shared;   /* Protocol.shared_new's, for the whole world; NULL: none */
} ProtoInit;

typedef struct {
    const char *name;
    /* Fixed files: a protocol that names no files of its own gets nfiles (at most 8) files made
     * with the disk, named "file0" .., durably, and finds descriptor f open on file f at every
     * boot. 0: the protocol opens, creates and names its files itself. */
    guint nfiles;
    /* Caller owns the result. */
    void *(*create)(const ProtoInit *init);
    void (*destroy)(void *p);
    void (*step)(void *p, const ProtoEvent *ev, ActionList *out);
    NodeRole (*role)(const void *p);
    /* Asserts the instance's invariants: the cheap ones (constant time) always, and with
     * `thorough` also those that walk its state (a log, a key table). The node runtime calls it
     * after every step (thorough under --check-invariants, in make check and make asan). */
    void (*check)(const void *p, gboolean thorough);
} ProtoOps;
