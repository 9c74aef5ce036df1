/* model/libraft/libraft_marks.h — the hosted library's reachability marks (model/marks.h), by id:
 * libraft_protocol.marks names them (libraft_marks.c). They mark the adapter's branches (boot,
 * durable calls, appends, snapshots, scrub and repair, clients, membership) and what the library
 * did through it. Counted with LMARK(n, NAME). */
#pragma once

#include "model/marks.h"

typedef enum {
    /* boot */
    LMARK_BOOT_FIRST,
    LMARK_BOOT_REWRITE,
    LMARK_BOOT_RETRY,
    LMARK_BOOT_DAMAGED,
    LMARK_BOOT_BLANK,
    LMARK_BOOT_SNAPSHOT,
    LMARK_BOOTSTRAP_FAILED,
    LMARK_START_FAILED,
    /* durable calls */
    LMARK_DURABLE_OK,
    LMARK_DURABLE_FAILED,
    LMARK_FIBER_DEFERRED,
    /* the log */
    LMARK_APPEND_LEADER,
    LMARK_APPEND_FOLLOWER,
    LMARK_APPEND_FAILED,
    LMARK_APPEND_FAILED_BEHIND,
    LMARK_APPEND_FAILED_TRUNCATED,
    LMARK_TRUNCATE,
    LMARK_TRUNCATE_FAILED,
    LMARK_HOST_RESTART,
    LMARK_ROLLBACK_WOULD_CRASH,
    LMARK_SECOND_LEADER_WOULD_CRASH,
    LMARK_LIBRARY_HALTED,
    /* snapshots */
    LMARK_SNAP_PUT,
    LMARK_SNAP_INSTALL,
    LMARK_SNAP_PUT_FAILED,
    LMARK_SNAP_GET,
    LMARK_SNAP_RESTORE,
    /* messages */
    LMARK_RECV_NOT_STARTED,
    LMARK_RECV_MALFORMED,
    /* scrub and repair */
    LMARK_SCRUB_META,
    LMARK_SCRUB_LOG,
    LMARK_SCRUB_SNAP,
    LMARK_SCRUB_SYNC_FAILED,
    LMARK_REPAIR_ANSWER,
    LMARK_REPAIR_REBUILT,
    LMARK_REPAIR_BLANK,
    LMARK_REPAIR_PHASE_RETRY,
    /* clients and the state machine */
    LMARK_CLIENT_NOT_LEADER,
    LMARK_CLIENT_NO_LEADER,
    LMARK_CLIENT_REFUSAL_INDEFINITE,
    LMARK_CLIENT_BUSY,
    LMARK_CLIENT_SESSION_HIT,
    LMARK_CLIENT_REFUSED_AGAIN,
    LMARK_CLIENT_PROPOSED,
    LMARK_CLIENT_READ,
    LMARK_CLIENT_OK,
    LMARK_CLIENT_LOST_LEADERSHIP,
    LMARK_CLIENT_SHUTDOWN,
    LMARK_FSM_APPLY,
    LMARK_FSM_DEDUP,
    /* operations on the cluster */
    LMARK_ADMIN_ADD,
    LMARK_ADMIN_ASSIGN,
    LMARK_ADMIN_REMOVE,
    LMARK_ADMIN_TRANSFER,
    LMARK_ADMIN_COMMITTED,
    LMARK_ADMIN_TRANSFERRED,
    LMARK_ADMIN_ALREADY,
    LMARK_ADMIN_CANT_CHANGE,
    LMARK_ADMIN_REFUSED,
    LMARK_ADMIN_OK,
    LMARK_ADMIN_INDEFINITE,
    /* instances */
    LMARK_INSTANCE_LEAKED,
    LMARK_INSTANCE_DOUBLE_FREE,
    /* boot (later additions) */
    LMARK_BOOT_BOOTSTRAP_AGAIN,
    LIBRAFT_MARK_COUNT,
} LibraftMark;

extern const Mark libraft_marks[LIBRAFT_MARK_COUNT];

#define LMARK(n, name) MARK((n)->init.marks, LMARK_##name)
