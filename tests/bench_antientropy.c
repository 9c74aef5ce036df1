/* tests/bench_antientropy.c — what one anti-entropy exchange costs on the wire, digests against
 * Merkle trees (quorum `anti_entropy`).
 *
 *   anti-entropy-10k-*   two replicas (N = 2) of a 10,000-key store whose records differ in 1% of
 *                        the keys (every 100th: one replica holds a newer put). One replica's
 *                        anti-entropy timer fires once; the messages of the exchange that follows
 *                        (digests or tree levels, then the records of the keys that differ, both
 *                        ways) are delivered until none is left, and counted with the protocol's
 *                        wire sizes (MsgOps.wire_bytes). A second exchange, once they agree, is the
 *                        cost of a round that finds nothing.
 *
 * Figures: bytes of the repairing exchange, all of it and without the records (the comparison
 * alone: the records are the same whichever way the difference was found), bytes of a clean
 * round, messages, bytes per divergent key, and merkle / digests (goal: at most 0.10 of the
 * bytes of the digest exchange).
 *
 * The replicas run as the node runtime runs them, by hand (as tests/test_quorum.c does): every
 * disk operation completes at once and in order, every message is delivered in the order sent.
 * The records reach them as anti-entropy records from a third party, so the bench does not
 * depend on how a replica lays out its files.
 *
 * Usage: bench_antientropy [KEYS [DIVERGE_EVERY]] */
#include "model/msg.h"
#include "model/quorum/quorum.h"
#include "model/world/world.h"
#include "sim/protocols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMER_SYNC 0 /* quorum_replica.c: the anti-entropy round */

typedef struct {
    ProtoInit init;
    SimRng rng;
    void *p;
    ActionList out;
    GHashTable *blocks; /* (file << 32 | index) -> DiskBlock*: what writes left, for reads */
} Node;

typedef struct {
    WorldConfig cfg;
    guint keys;
    uint64_t *hashes;
    Node node[2];
    SimTime now;
    GQueue msgs; /* Msg*, in flight */
    /* counters of the exchange under way */
    uint64_t msgs_sent, bytes, record_bytes;
} Bench;

static void run_actions(Bench *b, guint n);

static void step(Bench *b, guint n, ProtoEvent *ev)
{
    Node *x = &b->node[n];
    action_list_reset(&x->out);
    ev->now = b->now;
    quorum_replica_ops.step(x->p, ev, &x->out);
    run_actions(b, n);
}

/* Plays the runtime: messages queue, disk operations complete at once, timers are ignored (the
 * bench fires the one it wants). */
static void run_actions(Bench *b, guint n)
{
    Node *x = &b->node[n];
    GArray *disk = g_array_new(FALSE, FALSE, sizeof(ProtoAction));
    for (guint i = 0; i < x->out.len; i++) {
        ProtoAction *a = &x->out.items[i];
        if (a->kind == ACT_SEND) {
            g_queue_push_tail(&b->msgs, a->msg);
            a->msg = NULL;
        } else if (a->kind != ACT_TIMER && a->kind != ACT_CANCEL && a->kind != ACT_FAILPOINT &&
                   a->kind != ACT_NOTE) {
            g_array_append_val(disk, *a);
        }
    }
    for (guint i = 0; i < disk->len; i++) {
        const ProtoAction *a = &g_array_index(disk, ProtoAction, i);
        uint64_t where = (uint64_t)a->file << 32 | a->index;
        if (a->kind == ACT_WRITE)
            g_hash_table_insert(x->blocks, g_memdup2(&where, sizeof where),
                                g_memdup2(&a->block, sizeof(DiskBlock)));
        guint count = a->kind == ACT_READ ? MAX(a->count, 1) : 1;
        DiskBlock *got = g_new0(DiskBlock, count);
        int *results = g_new0(int, count);
        for (guint k = 0; a->kind == ACT_READ && k < count; k++) {
            uint64_t at = where + k;
            const DiskBlock *d = g_hash_table_lookup(x->blocks, &at);
            if (d)
                got[k] = *d;
        }
        ProtoEvent ev = {.kind = PEV_DISK,
                         .token = a->token,
                         .block = got,
                         .count = a->kind == ACT_READ ? a->count : 0,
                         .blocks = got,
                         .results = results};
        step(b, n, &ev);
        g_free(got);
        g_free(results);
    }
    g_array_free(disk, TRUE);
}

/* Delivers every message in flight (and what they lead to), counting them. */
static void pump(Bench *b)
{
    Msg *m;
    while ((m = g_queue_pop_head(&b->msgs))) {
        uint32_t bytes = quorum_msg_ops.wire_bytes(m);
        if (m->type == MSG_Q_SYNC || m->type == MSG_Q_SYNC_RECORDS || m->type == MSG_Q_TREE_ASK ||
            m->type == MSG_Q_TREE) {
            b->msgs_sent++;
            b->bytes += bytes;
            if (m->type == MSG_Q_SYNC_RECORDS)
                b->record_bytes += bytes;
        }
        g_assert(m->to < 2);
        ProtoEvent ev = {.kind = PEV_MSG, .msg = m};
        b->now += SIM_US;
        step(b, m->to, &ev);
        msg_free(m);
    }
}

static QRecord put(KeyId k, int64_t ts, Value v)
{
    return (QRecord){.key = k,
                     .op = OP_PUT,
                     .hint_for = ENDPOINT_NONE,
                     .version = {.ts = ts, .client = 1, .seq = (uint32_t)ts},
                     .value = v,
                     .idem = (IdemKey)1 << 32 | (uint64_t)ts};
}

/* Hands node n its records, as anti-entropy records from endpoint 2 would come. */
static void load(Bench *b, guint n, const QRecord *recs, guint count)
{
    for (guint at = 0; at < count; at += 1000) {
        Msg *m = msg_new(MSG_Q_SYNC_RECORDS, 2, (EndpointId)n);
        guint k = MIN(1000, count - at);
        msg_take_extra(m, g_memdup2(recs + at, k * sizeof(QRecord)), k, sizeof(QRecord));
        ProtoEvent ev = {.kind = PEV_MSG, .msg = m};
        step(b, n, &ev);
        msg_free(m);
    }
    /* what the records lead to is not counted */
    g_queue_clear_full(&b->msgs, (GDestroyNotify)msg_free);
}

static void bench_open(Bench *b, guint keys, guint every, guint mode)
{
    memset(b, 0, sizeof *b);
    world_config_init(&b->cfg, &quorum_protocol);
    b->cfg.nodes = 2; /* endpoint 2 (the client) only sends the records */
    quorum_config_mut(&b->cfg)->replicas = 2;
    quorum_config_mut(&b->cfg)->write_quorum = 1;
    quorum_config_mut(&b->cfg)->read_quorum = 1;
    quorum_config_mut(&b->cfg)->anti_entropy = mode;
    b->keys = keys;
    b->hashes = g_new(uint64_t, keys);
    for (guint k = 0; k < keys; k++) {
        char name[32];
        g_snprintf(name, sizeof name, "k%u", k);
        b->hashes[k] = sim_hash_string(name);
    }
    g_queue_init(&b->msgs);
    for (guint n = 0; n < 2; n++) {
        Node *x = &b->node[n];
        sim_rng_seed(&x->rng, 42 + n);
        x->init = (ProtoInit){.config = &b->cfg,
                              .self = (EndpointId)n,
                              .nodes = 2,
                              .clients = 1,
                              .keys = keys,
                              .key_hashes = b->hashes,
                              .rng = &x->rng,
                              .incarnation = 1};
        x->p = quorum_replica_ops.create(&x->init);
        action_list_init(&x->out);
        x->blocks = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        ProtoDiskImage empty = {.nfiles = 1};
        ProtoEvent ev = {.kind = PEV_BOOT, .image = &empty, .first_boot = TRUE};
        step(b, n, &ev);
    }
    /* Both hold every key; node 1 holds a newer put of every `every`-th. */
    QRecord *recs = g_new(QRecord, keys);
    for (guint n = 0; n < 2; n++) {
        for (guint k = 0; k < keys; k++) {
            gboolean newer = n == 1 && every > 0 && k % every == 0;
            recs[k] = put(k, 1000 + k + (newer ? keys : 0), newer ? 2 : 1);
        }
        load(b, n, recs, keys);
    }
    g_free(recs);
    b->now += SIM_SEC; /* every key quiet */
}

static void bench_close(Bench *b)
{
    for (guint n = 0; n < 2; n++) {
        quorum_replica_ops.destroy(b->node[n].p);
        action_list_clear(&b->node[n].out);
        g_hash_table_unref(b->node[n].blocks);
    }
    g_queue_clear_full(&b->msgs, (GDestroyNotify)msg_free);
    g_free(b->hashes);
    world_config_clear(&b->cfg);
}

typedef struct {
    uint64_t msgs, bytes, records, clean_msgs, clean_bytes;
} Exchange;

/* Node 0's round, then (after they agree) another. */
static Exchange measure(guint keys, guint every, guint mode)
{
    Bench b;
    bench_open(&b, keys, every, mode);
    Exchange e = {0};
    for (int round = 0; round < 2; round++) {
        b.msgs_sent = b.bytes = b.record_bytes = 0;
        ProtoEvent ev = {.kind = PEV_TIMER, .timer = TIMER_SYNC};
        b.now += SIM_SEC;
        step(&b, 0, &ev);
        pump(&b);
        if (round == 0) {
            e.msgs = b.msgs_sent;
            e.bytes = b.bytes;
            e.records = b.record_bytes;
        } else {
            e.clean_msgs = b.msgs_sent;
            e.clean_bytes = b.bytes;
            if (b.record_bytes != 0) {
                fprintf(stderr, "bench_antientropy: the replicas still differ after a round\n");
                exit(1);
            }
        }
    }
    bench_close(&b);
    return e;
}

int main(int argc, char **argv)
{
    protocols_install();
    guint keys = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 10000;
    guint every = argc > 2 ? (guint)g_ascii_strtoull(argv[2], NULL, 10) : 100;
    guint divergent = every ? (keys + every - 1) / every : 0;
    g_autofree char *name = g_strdup_printf("anti-entropy-%uk", keys / 1000);
    static const char *const modes[] = {"digests", "merkle"};
    Exchange e[2];
    for (guint mode = 0; mode < 2; mode++) {
        e[mode] = measure(keys, every, mode);
        const Exchange *x = &e[mode];
        printf("%s-%s: %u keys, %u differ: the repairing exchange %" G_GUINT64_FORMAT
               " messages, %" G_GUINT64_FORMAT " bytes (%" G_GUINT64_FORMAT
               " of them records); a clean round %" G_GUINT64_FORMAT " messages, %" G_GUINT64_FORMAT
               " bytes\n",
               name, modes[mode], keys, divergent, x->msgs, x->bytes, x->records, x->clean_msgs,
               x->clean_bytes);
        printf("bench: %s-%s-bytes %" G_GUINT64_FORMAT " bytes\n", name, modes[mode], x->bytes);
        printf("bench: %s-%s-compare-bytes %" G_GUINT64_FORMAT " bytes\n", name, modes[mode],
               x->bytes - x->records);
        printf("bench: %s-%s-messages %" G_GUINT64_FORMAT " messages\n", name, modes[mode],
               x->msgs);
        printf("bench: %s-%s-bytes-per-divergent-key %.0f bytes\n", name, modes[mode],
               (double)x->bytes / MAX(divergent, 1));
        printf("bench: %s-%s-clean-round-bytes %" G_GUINT64_FORMAT " bytes\n", name, modes[mode],
               x->clean_bytes);
    }
    double ratio = (double)e[1].bytes / (double)MAX(e[0].bytes, 1);
    double compare =
        (double)(e[1].bytes - e[1].records) / (double)MAX(e[0].bytes - e[0].records, 1);
    printf("bench: %s-merkle-vs-digests %.4f ratio\n", name, ratio);
    printf("bench: %s-merkle-vs-digests-compare %.4f ratio\n", name, compare);
    printf("bench: %s-merkle-vs-digests-clean-round %.4f ratio\n", name,
           (double)e[1].clean_bytes / (double)MAX(e[0].clean_bytes, 1));
    return ratio <= 0.10 ? 0 : 1;
}
