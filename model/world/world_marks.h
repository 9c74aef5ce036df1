/* model/world/world_marks.h — the world's own reachability marks (model/marks.h): the branches of
 * the network, the disks, the node runtime and the clients that a campaign should drive (drops
 * by each cause, duplicates, deliveries held by a pause, each file system's answer to a failed
 * fsync, what a power cut does to unsynced writes, crashes and pauses at failpoints, client
 * timeouts, retries and redirects). They are counted in WorldStats.world_marks and reported
 * beside the protocol's own, as "world:NAME".
 */
#pragma once

#include "model/marks.h"

typedef enum {
    WMARK_NET_DROP_PARTITION,
    WMARK_NET_DROP_IN_FLIGHT,
    WMARK_NET_DROP_RULE,
    WMARK_NET_DROP_CRASHED,
    WMARK_NET_DROP_RESTARTED,
    WMARK_NET_DUPLICATE,
    WMARK_NET_DELAY,
    WMARK_NET_HELD_BY_PAUSE,
    WMARK_DISK_FSYNC_EIO_CLEAN,
    WMARK_DISK_FSYNC_EIO_JOURNAL,
    WMARK_DISK_FSYNC_EIO_REVERT,
    WMARK_DISK_WRITE_ERROR,
    WMARK_DISK_READ_EIO,
    WMARK_DISK_POWER_LOST,
    WMARK_DISK_POWER_KEPT,
    WMARK_DISK_POWER_TORN,
    WMARK_DISK_LOST_AFTER_EIO,
    WMARK_DISK_WIPED,
    WMARK_DISK_NS_KEPT,
    WMARK_DISK_NS_LOST,
    WMARK_DISK_WRITEBACK_ERROR,
    WMARK_NODE_CRASH_PROCESS,
    WMARK_NODE_CRASH_POWER,
    WMARK_NODE_CRASH_DOWN,
    WMARK_NODE_STOP,
    WMARK_NODE_BOOT_RESTART,
    WMARK_NODE_PAUSE,
    WMARK_NODE_TIMER_HELD,
    WMARK_NODE_DISK_HELD,
    WMARK_NODE_FAILPOINT_CRASH,
    WMARK_NODE_FAILPOINT_PAUSE,
    WMARK_NODE_CLOCK_SKEW,
    WMARK_CLIENT_TIMEOUT,
    WMARK_CLIENT_RETRY,
    WMARK_CLIENT_REDIRECT,
    WMARK_CLIENT_GAVE_UP,
    WMARK_CLIENT_STALE_ANSWER,
    WMARK_CLIENT_EARLIER_ATTEMPT_OK,
    WORLD_MARK_COUNT,
} WorldMark;

extern const Mark world_marks[WORLD_MARK_COUNT];
