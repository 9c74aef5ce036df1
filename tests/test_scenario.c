/* tests/test_scenario.c — the scenario loader: every malformed file is refused with a one-line
 * error that names the file, the line, the group and the key, and well-formed files get the
 * defaults and meanings that scenarios/README.md documents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "sim/protocols.h"
#include "scenarios/scenario.h"

#include <errno.h>
#include <string.h>

/* Headers and an operation that the cases build on; QUORUM and RAFT take lines 1-4, PUT takes
 * the five lines after wherever it is placed. */
#define QUORUM "[scenario]\nname = t\nsummary = s\nprotocol = quorum\n"
#define RAFT   "[scenario]\nname = t\nsummary = s\nprotocol = raft\n"
#define PUT    "[op a]\nat = 0ms\nkind = put\nkey = k\nvalue = 1\n"
/* A quorum file whose fault group starts at line 10 and whose first fault key is on line 11. */
#define QFAULT QUORUM PUT "[fault f]\n"

typedef struct {
    const char *name;
    const char *text;
    gsize len;
    guint line;         /* the line the error must name; 0: the error names no line */
    const char *needle; /* a distinctive part of the message: group, key, bad value */
    const char *needle2;
} BadCase;

#define BAD(name, text, line, needle, needle2)                                                     \
    {                                                                                              \
        name, text, sizeof(text) - 1, line, needle, needle2                                        \
    }

static const BadCase bad_cases[] = {
    /* durations and ranges */
    BAD("duration-with-space", QUORUM "duration = 5 ms\n" PUT, 5, "[scenario] duration: '5 ms'",
        "not a duration"),
    BAD("duration-without-unit", QUORUM "duration = 5\n" PUT, 5, "[scenario] duration: '5'",
        "not a duration"),
    BAD("duration-negative", QUORUM "duration = -1s\n" PUT, 5, "[scenario] duration: '-1s'",
        "not a duration"),
    BAD("duration-fraction", QUORUM "duration = 1.5s\n" PUT, 5, "[scenario] duration: '1.5s'",
        "not a duration"),
    BAD("duration-unknown-unit", QUORUM "duration = 10xs\n" PUT, 5, "[scenario] duration: '10xs'",
        "not a duration"),
    BAD("duration-zero", QUORUM "duration = 0ms\n" PUT, 5, "[scenario] duration",
        "must be positive"),
    BAD("duration-overflow", QUORUM "settle = 99999999999999999999s\n" PUT, 5,
        "[scenario] settle: '99999999999999999999s'", "not a duration"),
    BAD("range-reversed", QUORUM "[cluster]\nnet.latency = 5ms..1ms\n" PUT, 6,
        "[cluster] net.latency: '5ms..1ms'", "lo <= hi"),
    BAD("range-open-ended", QUORUM "[cluster]\ndisk.fsync_latency = 5ms..\n" PUT, 6,
        "[cluster] disk.fsync_latency: '5ms..'", "range"),
    BAD("latency-range-reversed", QUORUM PUT "[expect]\nop.a.latency = 2s..1s\n", 11,
        "[expect] op.a.latency: '2s..1s'", "lo <= hi"),
    BAD("election-timeout-not-above-heartbeat", RAFT "[cluster]\nheartbeat = 200ms\n" PUT, 5,
        "[cluster] election_timeout", "longer than the heartbeat"),
    /* the text itself */
    BAD("empty-file", "", 0, "no [scenario] group", NULL),
    BAD("only-comments", "# a scenario\n# to be written\n\n", 0, "no [scenario] group", NULL),
    BAD("binary-with-nul",
        "\x7f"
        "ELF\x02\x01\x01\x00\x00\x00[scenario]\n",
        0, "not a text file", NULL),
    BAD("invalid-utf8", QUORUM "seed = 1\xff\xfe\n", 0, "invalid UTF-8", NULL),
    BAD("line-not-key-value", QUORUM "protocol_version\n" PUT, 5, "'protocol_version'",
        "not KEY = VALUE"),
    BAD("key-before-first-group", "seed = 1\n" QUORUM PUT, 1, "'seed = 1'",
        "before the first [group]"),
    BAD("no-key-before-equals", QUORUM "= 5\n" PUT, 5, "'= 5'", "no key"),
    BAD("malformed-group-header", QUORUM "[op a\nat = 0ms\n", 5, "'[op a'",
        "malformed group header"),
    BAD("text-after-group-header", QUORUM "[op a] x\nat = 0ms\n", 5, "'[op a] x'",
        "malformed group header"),
    BAD("group-name-with-tab", QUORUM "[op\ta]\nat = 0ms\n", 5, "'[op?a]'",
        "malformed group header"),
    BAD("localized-key", QUORUM "summary[de] = s\n" PUT, 5, "[scenario] summary[de]",
        "may not contain '['"),
    BAD("summary-with-escaped-newline",
        "[scenario]\nname = t\nsummary = a\\nb\nprotocol = quorum\n" PUT, 3, "[scenario] summary",
        "one line"),
    /* groups */
    BAD("no-scenario-group", "[cluster]\nnodes = 3\n" PUT, 0, "no [scenario] group", NULL),
    BAD("unknown-group", QUORUM PUT "[clusterr]\nnodes = 3\n", 10, "[clusterr]", "unknown group"),
    BAD("unknown-group-prefix", QUORUM "[operation a]\nat = 0ms\n", 5, "[operation a]",
        "unknown group"),
    BAD("duplicate-op-group", QUORUM PUT "[op a]\nat = 1ms\nkind = get\nkey = k\n", 10,
        "group [op a] appears twice", "first at line 5"),
    BAD("duplicate-cluster-group", QUORUM "[cluster]\nnodes = 3\n[cluster]\nnodes = 4\n" PUT, 7,
        "group [cluster] appears twice", "first at line 5"),
    BAD("key-set-twice", QUORUM "seed = 1\nseed = 2\n" PUT, 6, "[scenario] seed is set twice",
        "first at line 5"),
    BAD("op-name-with-dot", QUORUM "[op a.b]\nat = 0ms\nkind = get\nkey = k\n", 5, "[op a.b]",
        "'a.b' is not a name"),
    BAD("fault-name-empty", QUORUM "[fault ]\nat = 0ms\nkind = heal\n", 5, "[fault ]",
        "'' is not a name"),
    /* [scenario] */
    BAD("missing-name", "[scenario]\nsummary = s\nprotocol = quorum\n" PUT, 1,
        "[scenario] name: required", NULL),
    BAD("missing-summary", "[scenario]\nname = t\nprotocol = quorum\n" PUT, 1,
        "[scenario] summary: required", NULL),
    BAD("missing-protocol", "[scenario]\nname = t\nsummary = s\n" PUT, 1,
        "[scenario] protocol: required", NULL),
    BAD("name-with-bad-characters",
        "[scenario]\nname = Fsync_EIO\nsummary = s\nprotocol = quorum\n" PUT, 2,
        "[scenario] name: 'Fsync_EIO'", "[a-z0-9-]+"),
    BAD("unknown-protocol", "[scenario]\nname = t\nsummary = s\nprotocol = paxos\n" PUT, 4,
        "[scenario] protocol: 'paxos'", "is not quorum"),
    BAD("unknown-key-in-scenario", QUORUM "seeds = 3\n" PUT, 5, "[scenario] seeds: unknown key",
        NULL),
    BAD("seed-negative", QUORUM "seed = -1\n" PUT, 5, "[scenario] seed: '-1'",
        "not a whole number"),
    BAD("seed-above-64-bits", QUORUM "seed = 18446744073709551616\n" PUT, 5,
        "[scenario] seed: '18446744073709551616'", "not a whole number"),
    BAD("unknown-bug-variant", QUORUM "bugs = ack-before-sync\n" PUT, 5,
        "[scenario] bugs: unknown bug variant 'ack-before-sync'", NULL),
    BAD("bug-of-the-other-protocol", QUORUM "bugs = stale-read\n" PUT, 5,
        "[scenario] bugs: 'stale-read' is a raft bug", NULL),
    /* no vacuous pass: however the file says it, a scenario that exercises nothing is refused */
    BAD("scenario-does-nothing", QUORUM, 1, "[scenario] the scenario exercises nothing", NULL),
    BAD("empty-expect-does-nothing", QUORUM "[expect]\n", 1, "[scenario] the scenario exercises",
        "no fault that acts"),
    BAD("empty-expect-violations-none-does-nothing", RAFT "[expect]\nviolations = none\n", 1,
        "exercises nothing", NULL),
    BAD("workload-ops-zero-does-nothing", QUORUM "[workload]\nclients = 2\nops = 0\n[expect]\n", 7,
        "[workload] ops: the scenario exercises nothing", NULL),
    BAD("workload-without-ops-does-nothing", QUORUM "[workload]\nclients = 2\n", 5,
        "[workload] the scenario exercises nothing", NULL),
    BAD("only-heal-does-nothing", QUORUM "[fault h]\nat = 1s\nkind = heal\n[expect]\n", 1,
        "exercises nothing", NULL),
    BAD("only-restart-does-nothing", RAFT "[fault r]\nat = 1s\nkind = restart\nnode = n1\n", 1,
        "exercises nothing", NULL),
    BAD("drop-probability-zero-does-nothing",
        QUORUM "[fault d]\nat = 1s\nkind = drop\nlink = *->*\nprobability = 0.000\n", 1,
        "exercises nothing", NULL),
    BAD("clock-skew-zero-does-nothing",
        RAFT "[fault s]\nat = 1s\nkind = clock-skew\nnode = n1\noffset = 0ms\n", 1,
        "exercises nothing", NULL),
    /* [cluster] */
    BAD("unknown-key-in-cluster", QUORUM "[cluster]\nnode = 3\n" PUT, 6,
        "[cluster] node: unknown key", NULL),
    BAD("write-quorum-above-n", QUORUM "[cluster]\nreplicas = 3\nwrite_quorum = 4\n" PUT, 7,
        "[cluster] write_quorum", "W = 4 must be 1..N (3)"),
    BAD("read-quorum-above-n", QUORUM "[cluster]\nreplicas = 3\nread_quorum = 5\n" PUT, 7,
        "[cluster] read_quorum", "R = 5 must be 1..N (3)"),
    BAD("replicas-above-nodes", QUORUM "[cluster]\nnodes = 2\nreplicas = 3\n" PUT, 7,
        "[cluster] replicas", "N = 3 must be 1..nodes (2)"),
    BAD("nodes-zero", QUORUM "[cluster]\nnodes = 0\n" PUT, 6, "[cluster] nodes: 0", "out of range"),
    /* limits are settings: the world's, and each protocol's own */
    BAD("nodes-above-any-protocol", QUORUM "[cluster]\nnodes = 1025\n" PUT, 6,
        "[cluster] nodes: 1025", "out of range"),
    BAD("nodes-above-raft", RAFT "[cluster]\nnodes = 33\n" PUT, 6, "[cluster] nodes",
        "must be 1..32 for raft, not 33"),
    BAD("sloppy-not-a-boolean", QUORUM "[cluster]\nsloppy = maybe\n" PUT, 6,
        "[cluster] sloppy: 'maybe'", "not on or off"),
    BAD("unknown-fs", QUORUM "[cluster]\nfs = zfs\n" PUT, 6, "[cluster] fs: 'zfs'", "ext4-ordered"),
    BAD("raft-key-in-quorum-file", QUORUM "[cluster]\nelection_timeout = 100ms..200ms\n" PUT, 6,
        "[cluster] election_timeout", "only applies to protocol = raft"),
    BAD("raft-batch-key-in-quorum-file", QUORUM "[cluster]\nbatch.entries = 8\n" PUT, 6,
        "[cluster] batch.entries", "only applies to protocol = raft"),
    BAD("quorum-key-in-raft-file", RAFT "[cluster]\nreplicas = 3\n" PUT, 6, "[cluster] replicas",
        "only applies to protocol = quorum"),
    BAD("quorum-retry-key-in-raft-file", RAFT "[cluster]\nretry.backoff = 1ms..2ms\n" PUT, 6,
        "[cluster] retry.backoff", "only applies to protocol = quorum"),
    /* [workload] */
    BAD("unknown-key-in-workload", QUORUM "[workload]\nclient = 2\n" PUT, 6,
        "[workload] client: unknown key", NULL),
    BAD("clients-zero", QUORUM "[workload]\nclients = 0\n" PUT, 6, "[workload] clients: 0",
        "out of range"),
    BAD("clients-above-limit", QUORUM "[workload]\nclients = 16385\n" PUT, 6,
        "[workload] clients: 16385", "out of range"),
    BAD("ops-above-limit", QUORUM "[workload]\nops = 1000000001\n" PUT, 6,
        "[workload] ops: 1000000001", "out of range"),
    BAD("ops-negative", QUORUM "[workload]\nops = -5\n" PUT, 6, "[workload] ops: '-5'",
        "not a whole number"),
    BAD("mix-entry-without-weight", QUORUM "[workload]\nops = 5\nmix = put:60 get\n", 7,
        "[workload] mix: 'get'", "kind:weight"),
    BAD("mix-unknown-operation", QUORUM "[workload]\nops = 5\nmix = put:50 scan:50\n", 7,
        "[workload] mix: unknown operation 'scan'", NULL),
    BAD("mix-weight-not-a-number", QUORUM "[workload]\nops = 5\nmix = put:lots\n", 7,
        "[workload] mix: weight 'lots' of put", NULL),
    BAD("mix-all-weights-zero", QUORUM "[workload]\nops = 5\nmix = put:0 get:0\n", 7,
        "[workload] mix", "weight above 0"),
    BAD("mix-operation-twice", QUORUM "[workload]\nops = 5\nmix = put:1 put:2\n", 7,
        "[workload] mix: put appears twice", NULL),
    /* [op NAME] */
    BAD("unknown-key-in-op", QUORUM "[op a]\nat = 0ms\nkind = put\nkey = k\nval = 1\n", 9,
        "[op a] val: unknown key", NULL),
    BAD("op-without-at", QUORUM "[op a]\nkind = get\nkey = k\n", 5, "[op a] at: required", NULL),
    BAD("op-without-kind", QUORUM "[op a]\nat = 0ms\nkey = k\n", 5, "[op a] kind: required", NULL),
    BAD("op-unknown-kind", QUORUM "[op a]\nat = 0ms\nkind = cas\nkey = k\n", 7,
        "[op a] kind: 'cas'", "not put, get, add or delete"),
    BAD("op-without-key", QUORUM "[op a]\nat = 0ms\nkind = get\n", 5, "[op a] key: required", NULL),
    BAD("value-on-a-get", QUORUM "[op a]\nat = 0ms\nkind = get\nkey = k\nvalue = 1\n", 9,
        "[op a] value", "a get takes no value"),
    BAD("value-on-a-delete", QUORUM "[op a]\nat = 0ms\nkind = delete\nkey = k\nvalue = 1\n", 9,
        "[op a] value", "a delete takes no value"),
    BAD("put-without-value", QUORUM "[op a]\nat = 0ms\nkind = put\nkey = k\n", 5,
        "[op a] value: required for put", NULL),
    BAD("add-without-value", QUORUM "[op a]\nat = 0ms\nkind = add\nkey = k\n", 5,
        "[op a] value: required for add", NULL),
    BAD("value-above-64-bits",
        QUORUM "[op a]\nat = 0ms\nkind = put\nkey = k\nvalue = 9223372036854775808\n", 9,
        "[op a] value: '9223372036854775808'", "not an integer"),
    BAD("op-reserved-key", QUORUM "[op a]\nat = 0ms\nkind = get\nkey = _probe\n", 8,
        "[op a] key: '_probe'", "reserved"),
    BAD("op-key-with-escaped-newline", QUORUM "[op a]\nat = 0ms\nkind = get\nkey = a\\nb\n", 8,
        "[op a] key", "control characters"),
    BAD("op-unknown-client", QUORUM "[op a]\nat = 0ms\nclient = c3\nkind = get\nkey = k\n", 7,
        "[op a] client: 'c3'", "not a client (c1..c1)"),
    BAD("op-client-is-a-server", QUORUM "[op a]\nat = 0ms\nclient = r1\nkind = get\nkey = k\n", 7,
        "[op a] client: 'r1'", "not a client"),
    BAD("op-after-the-end", QUORUM "duration = 10s\n[op a]\nat = 20s\nkind = get\nkey = k\n", 7,
        "[op a] at: 20s", "not before the end of the run"),
    BAD("bad-idempotency-key",
        QUORUM "[op a]\nat = 0ms\nkind = put\nkey = k\nvalue = 1\nidempotency = a b\n", 10,
        "[op a] idempotency: 'a b'", NULL),
    /* [fault NAME]: when */
    BAD("unknown-fault-kind", QUORUM "[fault f]\nat = 0ms\nkind = explode\nnode = r1\n", 7,
        "[fault f] kind: unknown fault kind 'explode'", NULL),
    BAD("fault-without-kind", QUORUM "[fault f]\nat = 0ms\nnode = r1\n", 5,
        "[fault f] kind: required", NULL),
    BAD("unknown-failpoint", QUORUM "[fault f]\non = coord.exploded\nkind = crash\n", 6,
        "[fault f] on: unknown failpoint 'coord.exploded'", NULL),
    BAD("raft-failpoint-in-quorum-file", QUORUM "[fault f]\non = raft.elected\nkind = crash\n", 6,
        "[fault f] on: failpoint 'raft.elected'", "not in the quorum protocol"),
    BAD("quorum-failpoint-in-raft-file", RAFT "[fault f]\non = replica.synced\nkind = crash\n", 6,
        "[fault f] on: failpoint 'replica.synced'", "not in the raft protocol"),
    BAD("unknown-mark", QUORUM "[fault f]\non = mark:replica.exploded\nkind = crash\n", 6,
        "[fault f] on: 'replica.exploded' is not a mark of the quorum protocol", NULL),
    BAD("raft-mark-in-quorum-file", QUORUM "[fault f]\non = mark:append.truncate\nkind = crash\n",
        6, "[fault f] on: 'append.truncate' is not a mark of the quorum protocol", NULL),
    BAD("nth-zero-on-mark",
        QUORUM "[fault f]\non = mark:replica.repair.start\nnth = 0\nkind = crash\n", 7,
        "[fault f] nth: 0", "out of range"),
    BAD("nth-zero", QUORUM "[fault f]\non = coord.sent\nnth = 0\nkind = crash\n", 7,
        "[fault f] nth: 0", "out of range"),
    BAD("nth-with-at", QFAULT "at = 0ms\nnth = 2\nkind = crash\nnode = r1\n", 12, "[fault f] nth",
        "only with on = <failpoint>"),
    BAD("both-at-and-on", QUORUM "[fault f]\nat = 0ms\non = coord.sent\nkind = crash\n", 7,
        "[fault f] on", "exactly one of at"),
    BAD("neither-at-nor-on", QUORUM "[fault f]\nkind = crash\nnode = r1\n", 5, "[fault f] at",
        "exactly one of at"),
    BAD("fault-after-the-end", QUORUM "duration = 2s\n" PUT "[fault f]\nat = 2s\nkind = heal\n", 12,
        "[fault f] at: 2s", "not before the end of the run"),
    /* [fault NAME]: whom */
    BAD("unknown-node", QFAULT "at = 0ms\nkind = crash\nnode = r9\n", 13, "[fault f] node: 'r9'",
        "not a node of this cluster"),
    BAD("crash-at-time-without-node", QFAULT "at = 0ms\nkind = crash\n", 10, "[fault f] node",
        "required for kind = crash"),
    BAD("client-as-disk-fault-target", QFAULT "at = 0ms\nkind = fsync-error\nnode = c1\n", 13,
        "[fault f] node: 'c1' is a client", NULL),
    BAD("coordinator-as-disk-fault-target", QFAULT "at = 0ms\nkind = corrupt\nnode = co1\n", 13,
        "[fault f] node: 'co1' has no disk", NULL),
    BAD("raft-role-in-quorum-file", QFAULT "at = 0ms\nkind = crash\nnode = leader\n", 13,
        "[fault f] node: role 'leader'", "does not exist in a quorum cluster"),
    BAD("restart-of-a-role", RAFT PUT "[fault f]\nat = 0ms\nkind = restart\nnode = leader\n", 13,
        "[fault f] node", "restart needs a node name"),
    BAD("node-on-a-timed-partition",
        QFAULT "at = 0ms\nkind = partition\ngroups = r1 | r2\nnode = r1\n", 14, "[fault f] node",
        "kind = partition takes no node"),
    /* [fault NAME]: parameters */
    BAD("unknown-key-in-fault", QFAULT "at = 0ms\nkind = crash\nnode = r1\nnodes = r2\n", 14,
        "[fault f] nodes: unknown key for kind = crash", NULL),
    BAD("for-on-a-crash", QFAULT "at = 0ms\nkind = crash\nnode = r1\nfor = 1s\n", 14,
        "[fault f] for: unknown key for kind = crash", NULL),
    BAD("pause-without-for", QFAULT "at = 0ms\nkind = pause\nnode = r1\n", 10, "[fault f] for",
        "required and positive for kind = pause"),
    BAD("crash-unknown-mode", QFAULT "at = 0ms\nkind = crash\nnode = r1\nmode = reboot\n", 14,
        "[fault f] mode: 'reboot'", "not power or process"),
    BAD("probability-above-one", QFAULT "at = 0ms\nkind = drop\nlink = *->r1\nprobability = 1.5\n",
        14, "[fault f] probability: '1.5'", "probability from 0 to 1"),
    BAD("probability-negative",
        QFAULT "at = 0ms\nkind = duplicate\nlink = *->r1\nprobability = -0.1\n", 14,
        "[fault f] probability: '-0.1'", "probability from 0 to 1"),
    BAD("probability-ten-decimals",
        QFAULT "at = 0ms\nkind = drop\nlink = *->r1\nprobability = 0.1234567891\n", 14,
        "[fault f] probability: '0.1234567891'", "at most 9 decimals"),
    BAD("drop-without-probability", QFAULT "at = 0ms\nkind = drop\nlink = *->r1\n", 10,
        "[fault f] probability: required", NULL),
    BAD("link-without-arrow", QFAULT "at = 0ms\nkind = drop\nlink = r1 r2\nprobability = 0.5\n", 13,
        "[fault f] link: 'r1 r2'", "not a link a->b"),
    BAD("link-unknown-endpoint", QFAULT "at = 0ms\nkind = delay\nlink = r1->r7\nlatency = 5ms\n",
        13, "[fault f] link: 'r7'", "not a node or client"),
    BAD("count-zero", QFAULT "at = 0ms\nkind = fsync-error\nnode = r1\ncount = 0\n", 14,
        "[fault f] count: 0", "out of range"),
    BAD("count-negative", QFAULT "at = 0ms\nkind = sector-error\nnode = r1\ncount = -2\n", 14,
        "[fault f] count: '-2'", "not a whole number"),
    BAD("unknown-errno", QFAULT "at = 0ms\nkind = write-error\nnode = r1\nerrno = EPERM\n", 14,
        "[fault f] errno: 'EPERM'", "not EIO or ENOSPC"),
    BAD("partition-with-one-group", QFAULT "at = 0ms\nkind = partition\ngroups = r1 r2\n", 13,
        "[fault f] groups", "at least two groups"),
    BAD("partition-node-in-two-groups", QFAULT "at = 0ms\nkind = partition\ngroups = r1 | r1 r2\n",
        13, "[fault f] groups", "a node is in two groups"),
    BAD("oneway-without-to", QFAULT "at = 0ms\nkind = oneway\nfrom = r1\n", 10,
        "[fault f] to: required", NULL),
    BAD("clock-skew-without-offset", QFAULT "at = 0ms\nkind = clock-skew\nnode = r1\n", 10,
        "[fault f] offset: required", NULL),
    BAD("slow-disk-without-latency", QFAULT "at = 0ms\nkind = slow-disk\nnode = r1\nfor = 1s\n", 10,
        "[fault f] latency: required", NULL),
    /* [expect] */
    BAD("unknown-key-in-expect", QUORUM PUT "[expect]\nacks = 1\n", 11,
        "[expect] acks: unknown expectation", NULL),
    BAD("expect-op-that-does-not-exist", QUORUM PUT "[expect]\nop.b = ok\n", 11,
        "[expect] op.b: there is no [op b]", NULL),
    BAD("expect-latency-of-op-that-does-not-exist", QUORUM PUT "[expect]\nop.b.latency = 1ms\n", 11,
        "[expect] op.b.latency: there is no [op b]", NULL),
    BAD("expect-unknown-outcome", QUORUM PUT "[expect]\nop.a = success\n", 11,
        "[expect] op.a: 'success'", "not ok, fail or indeterminate"),
    BAD("unknown-violation-kind", QUORUM PUT "[expect]\nviolations = lost-acks\n", 11,
        "[expect] violations: unknown violation kind 'lost-acks'", NULL),
    BAD("violations-none-and-a-kind", QUORUM PUT "[expect]\nviolations = none, lost-ack\n", 11,
        "[expect] violations", "none (together with other kinds)"),
    BAD("violations-include-none", QUORUM PUT "[expect]\nviolations.include = none\n", 11,
        "[expect] violations.include", "lists no kind"),
    BAD("count-expectation-negative", QUORUM PUT "[expect]\nacked = -1\n", 11,
        "[expect] acked: '-1'", "not a whole number"),
    BAD("final-value-not-an-integer", QUORUM PUT "[expect]\nfinal.k = lots\n", 11,
        "[expect] final.k: 'lots'", "not an integer"),
    BAD("final-of-reserved-key", QUORUM PUT "[expect]\nfinal._probe = 1\n", 11,
        "[expect] final._probe", "reserved"),
};

G_STATIC_ASSERT(G_N_ELEMENTS(bad_cases) >= 40);

/* Whether a message is a single line, as the command line prints it. */
static gboolean is_one_line(const char *msg)
{
    return strchr(msg, '\n') == NULL && strchr(msg, '\r') == NULL;
}

/* Checks one malformed text; returns a description of what went wrong, or NULL. */
static char *check_bad_case(const BadCase *c)
{
    g_autofree char *origin = g_strdup_printf("%s.ini", c->name);
    GError *error = NULL;
    Scenario *s = scenario_load_data(c->text, c->len, origin, &error);
    if (s != NULL) {
        scenario_free(s);
        return g_strdup_printf("%s: accepted", c->name);
    }
    if (error == NULL)
        return g_strdup_printf("%s: refused without an error", c->name);
    g_autofree char *where =
        c->line ? g_strdup_printf("%s:%u: ", origin, c->line) : g_strdup_printf("%s: ", origin);
    char *problem = NULL;
    if (!g_str_has_prefix(error->message, where))
        problem = g_strdup_printf("%s: message does not start with '%s'", c->name, where);
    else if (!strstr(error->message, c->needle) ||
             (c->needle2 && !strstr(error->message, c->needle2)))
        problem = g_strdup_printf("%s: message does not name '%s'%s%s", c->name, c->needle,
                                  c->needle2 ? " and " : "", c->needle2 ? c->needle2 : "");
    else if (!is_one_line(error->message))
        problem = g_strdup_printf("%s: message is more than one line", c->name);
    if (problem) {
        char *full = g_strdup_printf("%s\n    got: %s", problem, error->message);
        g_free(problem);
        problem = full;
    }
    g_error_free(error);
    return problem;
}

/* Each malformed text of the table is refused with a one-line error that starts with the file
 * and the line at fault and names the problem (the group, the key, the bad value). */
static void test_scenario_malformed_texts_are_refused_with_a_precise_error(void **state)
{
    guint failures = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *problem = check_bad_case(&bad_cases[i]);
        if (problem) {
            print_error("%s\n", problem);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The shapes the table's cases are built from load when they carry no defect, so each case is
 * refused for its own defect and not for a mistake the whole table shares. */
static void test_scenario_table_bases_are_valid(void **state)
{
    static const char *const good[] = {
        QUORUM PUT,
        RAFT PUT,
        QUORUM "duration = 5ms\nsettle = 0ms\n" PUT,
        QUORUM "[cluster]\nreplicas = 3\nwrite_quorum = 3\nread_quorum = 1\n" PUT,
        QUORUM "bugs = ack-before-fsync\n" PUT,
        RAFT "[cluster]\nheartbeat = 20ms\nbatch.entries = 8\n" PUT,
        QUORUM "[workload]\nops = 5\nmix = put:60 get:30 add:10\n",
        QFAULT "at = 0ms\nkind = crash\nnode = r1\nmode = process\nrestart_after = 1s\n",
        QFAULT "at = 0ms\nkind = drop\nlink = *->r1\nprobability = 0.123456789\n",
        QFAULT "at = 0ms\nkind = partition\ngroups = r1 | r2 r3\nfor = 1s\n",
        QFAULT "on = coord.sent\nnth = 2\nkind = crash\n",
        QUORUM PUT "[expect]\nviolations = none\nop.a = ok\nop.a.latency = 0ms..2s\nacked = 1\n"
                   "final.k = 1\nfinal.other = absent\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(Scenario) s = scenario_load_data(good[i], strlen(good[i]), "good.ini", &error);
        if (!s)
            print_error("good text %zu refused: %s\n", i, error->message);
        assert_non_null(s);
    }
}

/* A 10 MB text is refused at once, by its size, with a message naming the 1 MiB limit. */
static void test_scenario_ten_megabytes_are_refused_quickly_by_size(void **state)
{
    gsize len = 10 * 1024 * 1024;
    GString *big = g_string_sized_new(len + 64);
    g_string_append(big, QUORUM PUT);
    while (big->len < len)
        g_string_append(big, "# padding padding padding padding padding padding padding\n");
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    Scenario *s = scenario_load_data(big->str, big->len, "big.ini", &error);
    gint64 elapsed_us = g_get_monotonic_time() - start;
    g_string_free(big, TRUE);
    assert_null(s);
    assert_non_null(error);
    assert_true(g_str_has_prefix(error->message, "big.ini: "));
    assert_non_null(strstr(error->message, "at most 1048576 bytes (1 MiB)"));
    assert_true(elapsed_us < 500 * 1000);
}

/* A text of exactly the limit is not refused for its size; one byte more is. */
static void test_scenario_size_limit_is_exactly_one_mebibyte(void **state)
{
    GString *text = g_string_new(QUORUM PUT);
    while (text->len < SCENARIO_MAX_BYTES)
        g_string_append_c(text, '\n');
    g_autoptr(GError) error = NULL;
    g_autoptr(Scenario) s = scenario_load_data(text->str, text->len, "limit.ini", &error);
    assert_non_null(s);
    g_string_append_c(text, '\n');
    g_autoptr(GError) error2 = NULL;
    assert_null(scenario_load_data(text->str, text->len, "limit.ini", &error2));
    assert_non_null(strstr(error2->message, "1 MiB"));
    g_string_free(text, TRUE);
}

/* A UTF-8 byte order mark at the start of the text is not content: the file loads. */
static void test_scenario_byte_order_mark_is_skipped(void **state)
{
    static const char text[] = "\xEF\xBB\xBF" QUORUM PUT;
    g_autoptr(GError) error = NULL;
    g_autoptr(Scenario) s = scenario_load_data(text, sizeof text - 1, "bom.ini", &error);
    assert_non_null(s);
    assert_string_equal(s->name, "t");
}

/* Loading a path that is not a regular file (a device that never ends) is refused, not read. */
static void test_scenario_load_file_refuses_devices(void **state)
{
    g_autoptr(GError) error = NULL;
    assert_null(scenario_load_file("/dev/zero", &error));
    assert_non_null(error);
    assert_string_equal(error->message, "/dev/zero: not a regular file");
}

/* A missing file is an error naming the path. */
static void test_scenario_load_file_names_a_missing_path(void **state)
{
    g_autoptr(GError) error = NULL;
    assert_null(scenario_load_file("/nonexistent/durasim/x.ini", &error));
    assert_non_null(error);
    assert_non_null(strstr(error->message, "/nonexistent/durasim/x.ini"));
}

static Scenario *load_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    Scenario *s = scenario_load_data(text, strlen(text), "ok.ini", &error);
    if (!s)
        print_error("refused: %s\n", error->message);
    assert_non_null(s);
    return s;
}

/* A file that sets nothing but [scenario] and one op gets every default of the format. */
static void test_scenario_defaults_follow_the_format(void **state)
{
    g_autoptr(Scenario) s = load_ok(QUORUM PUT);
    const WorldConfig *c = &s->config;
    assert_int_equal(c->seed, 1);
    assert_int_equal(c->duration, 60 * SIM_SEC);
    assert_int_equal(c->settle, 5 * SIM_SEC);
    assert_int_equal(c->bugs, 0);
    assert_int_equal(c->nodes, 3);
    assert_int_equal(quorum_config(c)->coordinators, 1);
    assert_int_equal(quorum_config(c)->replicas, 3);
    assert_int_equal(quorum_config(c)->write_quorum, 2);
    assert_int_equal(quorum_config(c)->read_quorum, 2);
    assert_false(quorum_config(c)->sloppy);
    assert_int_equal(c->fs, FS_EXT4_ORDERED);
    assert_int_equal(c->net_latency.lo, 1 * SIM_MS);
    assert_int_equal(c->net_latency.hi, 5 * SIM_MS);
    assert_int_equal(c->disk_write_latency.lo, 10 * SIM_US);
    assert_int_equal(c->disk_write_latency.hi, 50 * SIM_US);
    assert_int_equal(c->disk_fsync_latency.lo, 1 * SIM_MS);
    assert_int_equal(c->disk_fsync_latency.hi, 5 * SIM_MS);
    assert_int_equal(c->request_timeout, 1 * SIM_SEC);
    assert_int_equal(quorum_config(c)->retry_attempts, 3);
    assert_int_equal(quorum_config(c)->retry_backoff.lo, 10 * SIM_MS);
    assert_int_equal(quorum_config(c)->retry_backoff.hi, 200 * SIM_MS);
    assert_int_equal(c->clients, 1);
    assert_int_equal(c->ops, 0);
    assert_int_equal(c->keys, 8);
    assert_int_equal(c->mix[OP_PUT], 100);
    assert_int_equal(c->mix[OP_GET] + c->mix[OP_ADD] + c->mix[OP_DELETE], 0);
    assert_int_equal(c->client_timeout, 2 * SIM_SEC);
    assert_int_equal(c->client_retries, 2);
    const ScriptedOp *op = g_ptr_array_index(c->scripted, 0);
    assert_int_equal(op->client, 0);
    assert_null(op->idempotency);
    assert_false(s->expect.present);
}

/* Raft files get raft's defaults: timeouts, heartbeat and no batching. */
static void test_scenario_raft_defaults_follow_the_format(void **state)
{
    g_autoptr(Scenario) s = load_ok(RAFT PUT);
    const WorldConfig *c = &s->config;
    assert_int_equal(c->protocol, &raft_protocol);
    assert_int_equal(raft_config(c)->election_timeout.lo, 150 * SIM_MS);
    assert_int_equal(raft_config(c)->election_timeout.hi, 300 * SIM_MS);
    assert_int_equal(raft_config(c)->heartbeat, 50 * SIM_MS);
    assert_int_equal(raft_config(c)->batch_entries, 1);
    assert_int_equal(raft_config(c)->batch_delay, 0);
}

/* Without `replicas`, N follows a smaller `nodes`, and W and R default to a majority of N. */
static void test_scenario_replicas_default_to_at_most_nodes(void **state)
{
    g_autoptr(Scenario) two = load_ok(QUORUM "[cluster]\nnodes = 2\n" PUT);
    assert_int_equal(quorum_config(&two->config)->replicas, 2);
    assert_int_equal(quorum_config(&two->config)->write_quorum, 2);
    assert_int_equal(quorum_config(&two->config)->read_quorum, 2);
    g_autoptr(Scenario) five = load_ok(QUORUM "[cluster]\nnodes = 6\nreplicas = 5\n" PUT);
    assert_int_equal(quorum_config(&five->config)->write_quorum, 3);
    assert_int_equal(quorum_config(&five->config)->read_quorum, 3);
}

/* `sloppy` takes on/off, true/false and yes/no, in any case. */
static void test_scenario_sloppy_accepts_every_boolean_spelling(void **state)
{
    static const struct {
        const char *text;
        gboolean value;
    } spellings[] = {{"on", TRUE},     {"off", FALSE}, {"true", TRUE},
                     {"false", FALSE}, {"yes", TRUE},  {"No", FALSE}};
    for (gsize i = 0; i < G_N_ELEMENTS(spellings); i++) {
        g_autofree char *text =
            g_strdup_printf(QUORUM "[cluster]\nsloppy = %s\n" PUT, spellings[i].text);
        g_autoptr(Scenario) s = load_ok(text);
        assert_int_equal(quorum_config(&s->config)->sloppy, spellings[i].value);
    }
}

/* A failpoint fault without `node` acts on whichever node hits the failpoint; with a role, the
 * role is both filter and target. */
static void test_scenario_failpoint_fault_node_defaults_to_any(void **state)
{
    g_autoptr(Scenario) s =
        load_ok(RAFT "[fault a]\non = raft.replied\nkind = crash\n"
                     "[fault b]\non = raft.elected\nnode = leader\nkind = isolate\nfor = 1s\n");
    const FaultSpec *a = g_ptr_array_index(s->faults.faults, 0);
    const FaultSpec *b = g_ptr_array_index(s->faults.faults, 1);
    assert_int_equal(a->trigger, TRIG_FAILPOINT);
    assert_int_equal(a->target, TARGET_ANY);
    assert_int_equal(a->nth, 1);
    assert_int_equal(b->target, TARGET_ROLE);
    assert_int_equal(b->role, ROLE_LEADER);
    assert_int_equal(b->duration, 1 * SIM_SEC);
}

/* Probability is kept as an exact decimal fraction, and '*' in a link means every endpoint. */
static void test_scenario_probability_and_link_wildcard(void **state)
{
    g_autoptr(Scenario) s = load_ok(QFAULT "at = 0ms\nkind = drop\nlink = *->r2\n"
                                           "probability = 0.25\n");
    const FaultSpec *f = g_ptr_array_index(s->faults.faults, 0);
    assert_int_equal(f->num, 25);
    assert_int_equal(f->den, 100);
    /* r1 r2 r3 co1 c1: five endpoints */
    assert_int_equal(f->from_mask.bits[0], 0x1f);
    assert_int_equal(f->to_mask.bits[0], 0x2);
}

/* Endpoints a partition does not list join its first group. */
static void test_scenario_partition_unlisted_endpoints_join_first_group(void **state)
{
    g_autoptr(Scenario) s = load_ok(QFAULT "at = 0ms\nkind = partition\ngroups = r3 | r1\n");
    const FaultSpec *f = g_ptr_array_index(s->faults.faults, 0);
    /* r1=0 r2=1 r3=2 co1=3 c1=4 */
    assert_int_equal(endpoint_groups_of(&f->groups, 0), 1);
    assert_int_equal(endpoint_groups_of(&f->groups, 1), 0);
    assert_int_equal(endpoint_groups_of(&f->groups, 2), 0);
    assert_int_equal(endpoint_groups_of(&f->groups, 3), 0);
    assert_int_equal(endpoint_groups_of(&f->groups, 4), 0);
    assert_int_equal(f->duration, 0);
}

/* Fault parameters take their documented defaults: power crash that never restarts, EIO once. */
static void test_scenario_fault_parameter_defaults(void **state)
{
    g_autoptr(Scenario) s = load_ok(QFAULT "at = 0ms\nkind = crash\nnode = r1\n"
                                           "[fault g]\nat = 0ms\nkind = fsync-error\nnode = r2\n");
    const FaultSpec *crash = g_ptr_array_index(s->faults.faults, 0);
    const FaultSpec *fsync = g_ptr_array_index(s->faults.faults, 1);
    assert_true(crash->power);
    assert_int_equal(crash->restart_after, SIM_TIME_NEVER);
    assert_int_equal(fsync->err, EIO);
    assert_int_equal(fsync->count, 1);
}

/* [expect]: `absent` and `none` both assert a missing key; `violations` unset is not asserted. */
static void test_scenario_expect_final_absent(void **state)
{
    g_autoptr(Scenario) s =
        load_ok(QUORUM PUT "[expect]\nfinal.k = -7\nfinal.x = absent\nfinal.y = none\n");
    assert_true(s->expect.present);
    assert_false(s->expect.has_violations);
    assert_int_equal(s->expect.finals->len, 3);
    const ExpectFinal *k = g_ptr_array_index(s->expect.finals, 0);
    const ExpectFinal *x = g_ptr_array_index(s->expect.finals, 1);
    const ExpectFinal *y = g_ptr_array_index(s->expect.finals, 2);
    assert_true(k->present);
    assert_int_equal(k->value, -7);
    assert_false(x->present);
    assert_false(y->present);
}

int main(void)
{
    protocols_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_malformed_texts_are_refused_with_a_precise_error),
        cmocka_unit_test(test_scenario_table_bases_are_valid),
        cmocka_unit_test(test_scenario_ten_megabytes_are_refused_quickly_by_size),
        cmocka_unit_test(test_scenario_size_limit_is_exactly_one_mebibyte),
        cmocka_unit_test(test_scenario_byte_order_mark_is_skipped),
        cmocka_unit_test(test_scenario_load_file_refuses_devices),
        cmocka_unit_test(test_scenario_load_file_names_a_missing_path),
        cmocka_unit_test(test_scenario_defaults_follow_the_format),
        cmocka_unit_test(test_scenario_raft_defaults_follow_the_format),
        cmocka_unit_test(test_scenario_replicas_default_to_at_most_nodes),
        cmocka_unit_test(test_scenario_sloppy_accepts_every_boolean_spelling),
        cmocka_unit_test(test_scenario_failpoint_fault_node_defaults_to_any),
        cmocka_unit_test(test_scenario_probability_and_link_wildcard),
        cmocka_unit_test(test_scenario_partition_unlisted_endpoints_join_first_group),
        cmocka_unit_test(test_scenario_fault_parameter_defaults),
        cmocka_unit_test(test_scenario_expect_final_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
