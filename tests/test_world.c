/* tests/test_world.c — the simulated world through its API (model/world/world.h): network rules,
 * crashes, pauses and restarts, the page cache across process and power crashes, clock skew,
 * failpoint hooks, determinism of a run with every fault kind, and the rejection of bad fault
 * parameters by the scenario loader and fault_plan_validate.
 *
 * Network and node tests run small hand-made worlds and read what happened from the kept trace:
 * SEND (node -> peer, a = message id, b = original id of a duplicate), DELIVER (node <- peer),
 * DROP (node -x peer, b = reason), DISK_OP, TIMER, FAULT and FAILPOINT records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/quorum/quorum.h"
#include "model/raft/raft.h"
#include "sim/protocols.h"
#include "faults/fault.h"
#include "model/msg.h"
#include "model/world/world.h"
#include "scenarios/scenario.h"
#include "sim/runner.h"

#include <errno.h>
#include <string.h>

#define ANY_EP ((EndpointId)0xfffe)

typedef struct {
    WorldConfig cfg;
    World *w;
} Sim;

static void make_raft_world(WorldConfig *c, uint64_t seed)
{
    world_config_init(c, &raft_protocol);
    c->seed = seed;
}

static void make_quorum_world(WorldConfig *c, uint64_t seed)
{
    world_config_init(c, &quorum_protocol);
    c->seed = seed;
    quorum_config_mut(c)->write_quorum = 2;
    quorum_config_mut(c)->read_quorum = 2;
}

/* Adds a scripted operation to the config (before the world is built). */
static void script_op(WorldConfig *c, const char *name, SimTime at, guint client, OpKind kind,
                      const char *key, Value value)
{
    ScriptedOp *op = scripted_op_new();
    op->name = g_strdup(name);
    op->at = at;
    op->client = client;
    op->kind = kind;
    op->key = g_strdup(key);
    op->value = value;
    g_ptr_array_add(c->scripted, op);
}

/* Builds the world of s->cfg with its trace kept; starts it unless told not to. */
static void sim_open(Sim *s, gboolean start)
{
    GError *error = NULL;
    assert_true(world_config_validate(&s->cfg, &error));
    s->w = world_new(&s->cfg);
    world_set_invariants(s->w, TRUE);
    world_keep_trace(s->w, TRUE);
    if (start)
        world_start(s->w);
}

static void sim_close(Sim *s)
{
    world_free(s->w);
    world_config_clear(&s->cfg);
}

static EndpointId endpoint(const Sim *s, const char *name)
{
    EndpointId id;
    assert_true(world_config_endpoint_parse(&s->cfg, name, &id));
    return id;
}

static void run_to(World *w, SimTime t)
{
    world_run_until(w, t);
    assert_true(world_now(w) == t);
}

/* ---- reading the trace ---- */

static const GArray *records(World *w)
{
    const GArray *r = world_trace_records(w);
    assert_non_null(r);
    return r;
}

static const SimTraceRecord *rec_at(const GArray *r, guint i)
{
    return &g_array_index(r, SimTraceRecord, i);
}

static gboolean ep_matches(EndpointId want, uint16_t got)
{
    return want == ANY_EP || want == got;
}

/* Records of `kind` in [t0, t1) whose node and peer match (ANY_EP matches all). */
static guint count_kind(World *w, SimTraceKind kind, EndpointId node, EndpointId peer, SimTime t0,
                        SimTime t1)
{
    const GArray *r = records(w);
    guint n = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind == kind && x->time >= t0 && x->time < t1 && ep_matches(node, x->node) &&
            ep_matches(peer, x->peer))
            n++;
    }
    return n;
}

static guint count_sends(World *w, EndpointId from, EndpointId to, SimTime t0, SimTime t1)
{
    return count_kind(w, SIM_TR_SEND, from, to, t0, t1);
}

static guint count_delivers(World *w, EndpointId from, EndpointId to, SimTime t0, SimTime t1)
{
    return count_kind(w, SIM_TR_DELIVER, to, from, t0, t1);
}

static guint count_drops(World *w, EndpointId from, EndpointId to, DropReason reason, SimTime t0,
                         SimTime t1)
{
    const GArray *r = records(w);
    guint n = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind == SIM_TR_DROP && x->b == reason && x->time >= t0 && x->time < t1 &&
            ep_matches(from, x->node) && ep_matches(to, x->peer))
            n++;
    }
    return n;
}

/* The record that ends message `id` (its DELIVER or DROP), or NULL while it is in flight. */
static const SimTraceRecord *fate_of(World *w, uint64_t id)
{
    const GArray *r = records(w);
    const SimTraceRecord *found = NULL;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if ((x->kind == SIM_TR_DELIVER || x->kind == SIM_TR_DROP) && x->a == id) {
            assert_null(found); /* a message ends once */
            found = x;
        }
    }
    return found;
}

static EndpointId leader_of(World *w)
{
    EndpointId leader = ENDPOINT_NONE;
    for (EndpointId id = 0; id < world_endpoint_count(w); id++) {
        if (world_is_server(w, id) && world_role(w, id) == ROLE_LEADER) {
            assert_int_equal(leader, ENDPOINT_NONE);
            leader = id;
        }
    }
    assert_int_not_equal(leader, ENDPOINT_NONE);
    return leader;
}

/* Runs in small steps until a message from -> to (ANY_EP: anyone) is in flight; returns its id. */
static uint64_t step_until_in_flight(World *w, EndpointId from, EndpointId to)
{
    for (int step = 0; step < 10000; step++) {
        const GArray *r = records(w);
        for (guint i = r->len; i-- > 0;) {
            const SimTraceRecord *x = rec_at(r, i);
            if (x->kind == SIM_TR_SEND && ep_matches(from, x->node) && ep_matches(to, x->peer) &&
                fate_of(w, x->a) == NULL)
                return x->a;
        }
        run_to(w, world_now(w) + 100 * SIM_US);
    }
    fail_msg("no message %u -> %u in flight", from, to);
    return 0;
}

static EndpointMask all_endpoints(World *w)
{
    return endpoint_mask_first(world_endpoint_count(w));
}

/* ---- network ---- */

/* A partition drops messages both ways between its groups (when sent and when in flight),
 * lets traffic inside a group flow, and once removed lets everything through again. */
static void test_world_partition_drops_both_ways(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 5);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId a = endpoint(&s, "n1"), b = endpoint(&s, "n2"), c = endpoint(&s, "n3");
    uint64_t in_flight = step_until_in_flight(s.w, a, ANY_EP);
    NetRule rule = {.kind = NET_PARTITION};
    endpoint_groups_set(&rule.groups, a, 1);
    SimTime t0 = world_now(s.w), t1 = t0 + 1 * SIM_SEC, t2 = t1 + 1 * SIM_SEC;
    guint id = world_net_add(s.w, &rule, FAULT_PARTITION, ENDPOINT_NONE);
    net_rule_clear(&rule);
    assert_false(world_net_connected(s.w, a, b));
    assert_false(world_net_connected(s.w, c, a));
    assert_true(world_net_connected(s.w, b, c));
    uint64_t dropped = world_stats(s.w)->msgs_dropped;
    run_to(s.w, t1);
    world_net_remove(s.w, id);
    assert_true(world_net_is_healed(s.w));
    run_to(s.w, t2);

    guint out = count_drops(s.w, a, b, DROP_PARTITION, t0, t1) +
                count_drops(s.w, a, c, DROP_PARTITION, t0, t1);
    guint in = count_drops(s.w, b, a, DROP_PARTITION, t0, t1) +
               count_drops(s.w, c, a, DROP_PARTITION, t0, t1);
    assert_true(out > 0);
    assert_true(in > 0);
    assert_true(world_stats(s.w)->msgs_dropped >= dropped + out + in);
    assert_int_equal(count_delivers(s.w, a, ANY_EP, t0, t1), 0);
    assert_int_equal(count_delivers(s.w, ANY_EP, a, t0, t1), 0);
    assert_true(count_delivers(s.w, b, c, t0, t1) + count_delivers(s.w, c, b, t0, t1) > 0);
    assert_true(count_delivers(s.w, a, ANY_EP, t1, t2) > 0);
    assert_true(count_delivers(s.w, ANY_EP, a, t1, t2) > 0);
    assert_int_equal(count_drops(s.w, ANY_EP, ANY_EP, DROP_PARTITION, t1, t2), 0);
    const SimTraceRecord *cut = fate_of(s.w, in_flight); /* sent before, arriving after the cut */
    assert_non_null(cut);
    assert_int_equal(cut->kind, SIM_TR_DROP);
    assert_int_equal(cut->b, DROP_PARTITION);
    assert_true(cut->time > t0);
    sim_close(&s);
}

/* A one-way rule drops messages from -> to and lets to -> from through. */
static void test_world_oneway_drops_one_way_only(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 6);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId from = leader_of(s.w);
    EndpointId to = (EndpointId)((from + 1) % 3);
    NetRule rule = {.kind = NET_ONEWAY};
    rule.from_mask = endpoint_mask_one(from);
    rule.to_mask = endpoint_mask_one(to);
    SimTime t0 = world_now(s.w), t1 = t0 + 1 * SIM_SEC;
    guint id = world_net_add(s.w, &rule, FAULT_ONEWAY, ENDPOINT_NONE);
    net_rule_clear(&rule);
    assert_false(world_net_connected(s.w, from, to));
    assert_true(world_net_connected(s.w, to, from));
    run_to(s.w, t1);
    world_net_remove(s.w, id);

    assert_true(count_drops(s.w, from, to, DROP_PARTITION, t0, t1) > 0);
    assert_int_equal(count_delivers(s.w, from, to, t0, t1), 0);
    assert_int_equal(count_drops(s.w, to, from, DROP_PARTITION, t0, t1), 0);
    assert_true(count_delivers(s.w, to, from, t0, t1) > 0);
    sim_close(&s);
}

/* A duplicate rule with probability 1 sends a copy of every message it covers, and both the
 * original and the copy are delivered; after it ends, no more copies. */
static void test_world_duplicate_rule_delivers_twice(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 7);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    NetRule rule = {.kind = NET_DUPLICATE, .num = 1, .den = 1};
    rule.from_mask = all_endpoints(s.w);
    rule.to_mask = all_endpoints(s.w);
    SimTime t0 = world_now(s.w), t1 = t0 + 300 * SIM_MS, t2 = t1 + 300 * SIM_MS;
    uint64_t dup0 = world_stats(s.w)->msgs_duplicated;
    guint id = world_net_add(s.w, &rule, FAULT_DUPLICATE, ENDPOINT_NONE);
    net_rule_clear(&rule);
    run_to(s.w, t1);
    world_net_remove(s.w, id);
    run_to(s.w, t2);

    const GArray *r = records(s.w);
    guint originals = 0, copies = 0, copies_after = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind != SIM_TR_SEND || x->time < t0)
            continue;
        if (x->time >= t1) {
            copies_after += x->b != 0;
            continue;
        }
        if (x->b == 0) {
            originals++;
            continue;
        }
        copies++;
        const SimTraceRecord *orig = fate_of(s.w, x->b), *copy = fate_of(s.w, x->a);
        assert_non_null(orig);
        assert_non_null(copy);
        assert_int_equal(orig->kind, SIM_TR_DELIVER);
        assert_int_equal(copy->kind, SIM_TR_DELIVER);
        assert_int_equal(copy->node, orig->node);
        assert_int_equal(copy->peer, orig->peer);
    }
    assert_true(originals > 0);
    assert_int_equal(copies, originals);
    assert_int_equal(copies_after, 0);
    assert_int_equal(world_stats(s.w)->msgs_duplicated - dup0, copies);
    sim_close(&s);
}

/* A delay rule sets the latency of the messages on its link, and only on its link. */
static void test_world_delay_rule_changes_latency_of_its_link(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 8);
    s.cfg.net_latency = sim_range(1 * SIM_MS, 5 * SIM_MS);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId from = leader_of(s.w), to = (EndpointId)((from + 1) % 3);
    NetRule rule = {.kind = NET_DELAY, .latency = sim_range(40 * SIM_MS, 40 * SIM_MS)};
    rule.from_mask = endpoint_mask_one(from);
    rule.to_mask = endpoint_mask_one(to);
    SimTime t0 = world_now(s.w), t1 = t0 + 500 * SIM_MS, t2 = t1 + 500 * SIM_MS;
    guint id = world_net_add(s.w, &rule, FAULT_DELAY, ENDPOINT_NONE);
    net_rule_clear(&rule);
    run_to(s.w, t1);
    world_net_remove(s.w, id);
    run_to(s.w, t2);

    const GArray *r = records(s.w);
    guint delayed = 0, normal = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind != SIM_TR_SEND || x->time < t0 || x->time >= t2 - 100 * SIM_MS)
            continue;
        const SimTraceRecord *end = fate_of(s.w, x->a);
        assert_non_null(end);
        assert_int_equal(end->kind, SIM_TR_DELIVER);
        SimTime latency = end->time - x->time;
        if (x->node == from && x->peer == to && x->time < t1) {
            assert_true(latency == 40 * SIM_MS);
            delayed++;
        } else {
            assert_true(latency >= 1 * SIM_MS && latency <= 5 * SIM_MS);
            normal++;
        }
    }
    assert_true(delayed > 0);
    assert_true(normal > 0);
    sim_close(&s);
}

/* Counts, over the sends in [t0, t1), those a drop rule dropped; every dropped one is dropped at
 * its send. */
static void rule_drops(World *w, SimTime t0, SimTime t1, guint *sent, guint *dropped)
{
    const GArray *r = records(w);
    *sent = *dropped = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind != SIM_TR_SEND || x->time < t0 || x->time >= t1)
            continue;
        (*sent)++;
        const SimTraceRecord *end = fate_of(w, x->a);
        if (end && end->kind == SIM_TR_DROP && end->b == DROP_RULE) {
            assert_true(end->time == x->time);
            (*dropped)++;
        }
    }
}

/* A drop rule drops each message it covers with its probability: none at 0, all at 1, about
 * half at 1/2. */
static void test_world_drop_rule_drops_by_probability(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 9);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    const uint64_t nums[] = {0, 1, 1};
    const uint64_t dens[] = {1, 1, 2};
    for (gsize k = 0; k < G_N_ELEMENTS(nums); k++) {
        NetRule rule = {.kind = NET_DROP, .num = nums[k], .den = dens[k]};
        rule.from_mask = all_endpoints(s.w);
        rule.to_mask = all_endpoints(s.w);
        SimTime t0 = world_now(s.w), t1 = t0 + 1 * SIM_SEC;
        guint id = world_net_add(s.w, &rule, FAULT_DROP, ENDPOINT_NONE);
        net_rule_clear(&rule);
        run_to(s.w, t1);
        world_net_remove(s.w, id);
        run_to(s.w, t1 + 500 * SIM_MS);
        guint sent, dropped;
        rule_drops(s.w, t0, t1, &sent, &dropped);
        assert_true(sent >= 20);
        if (k == 0)
            assert_int_equal(dropped, 0);
        else if (k == 1)
            assert_int_equal(dropped, sent);
        else
            assert_true(dropped * 10 >= sent * 3 && dropped * 10 <= sent * 7);
    }
    sim_close(&s);
}

/* Heal ends every network rule at once: afterwards nothing is dropped and latencies are back to
 * the configured range. */
static void test_world_heal_ends_every_network_fault(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 10);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointMask all = all_endpoints(s.w);
    NetRule part = {.kind = NET_PARTITION};
    endpoint_groups_set(&part.groups, 0, 1);
    NetRule oneway = {
        .kind = NET_ONEWAY, .from_mask = endpoint_mask_one(1), .to_mask = endpoint_mask_one(2)};
    NetRule drop = {.kind = NET_DROP, .from_mask = all, .to_mask = all, .num = 1, .den = 1};
    NetRule delay = {.kind = NET_DELAY, .from_mask = all, .to_mask = all};
    delay.latency = sim_range(100 * SIM_MS, 100 * SIM_MS);
    world_net_add(s.w, &part, FAULT_PARTITION, ENDPOINT_NONE);
    world_net_add(s.w, &oneway, FAULT_ONEWAY, ENDPOINT_NONE);
    world_net_add(s.w, &drop, FAULT_DROP, ENDPOINT_NONE);
    world_net_add(s.w, &delay, FAULT_DELAY, ENDPOINT_NONE);
    net_rule_clear(&part);
    net_rule_clear(&oneway);
    endpoint_mask_clear(&all);
    assert_false(world_net_is_healed(s.w));
    run_to(s.w, 1200 * SIM_MS);
    SimTime t0 = world_now(s.w), t1 = t0 + 1 * SIM_SEC;
    world_net_heal(s.w);
    assert_true(world_net_is_healed(s.w));
    for (EndpointId a = 0; a < 3; a++)
        for (EndpointId b = 0; b < 3; b++)
            assert_true(world_net_connected(s.w, a, b));
    run_to(s.w, t1);

    assert_int_equal(world_stats(s.w)->faults[FAULT_HEAL], 1);
    assert_int_equal(count_kind(s.w, SIM_TR_DROP, ANY_EP, ANY_EP, t0, t1), 0);
    const GArray *r = records(s.w);
    guint checked = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind == SIM_TR_FAULT && x->sub == FAULT_HEAL)
            assert_int_equal(x->a, 4); /* it ended the four rules */
        if (x->kind != SIM_TR_SEND || x->time < t0 || x->time >= t1 - 100 * SIM_MS)
            continue;
        const SimTraceRecord *end = fate_of(s.w, x->a);
        assert_non_null(end);
        assert_int_equal(end->kind, SIM_TR_DELIVER);
        assert_true(end->time - x->time <= s.cfg.net_latency.hi);
        checked++;
    }
    assert_true(checked > 0);
    sim_close(&s);
}

/* ---- nodes: crash, pause, restart ---- */

/* A crashed node drops every inbound message and does nothing at all until it restarts; then it
 * sends and receives again. */
static void test_world_crashed_node_drops_inbound_until_restart(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 11);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId n = (EndpointId)((leader_of(s.w) + 1) % 3);
    SimTime t0 = world_now(s.w), t1 = t0 + 1 * SIM_SEC, t2 = t1 + 1 * SIM_SEC;
    world_crash(s.w, n, FALSE);
    assert_false(world_is_up(s.w, n));
    run_to(s.w, t1);
    assert_false(world_is_up(s.w, n));
    world_restart(s.w, n);
    assert_true(world_is_up(s.w, n));
    run_to(s.w, t2);

    assert_true(count_drops(s.w, ANY_EP, n, DROP_CRASHED, t0, t1) > 0);
    assert_int_equal(count_delivers(s.w, ANY_EP, n, t0, t1), 0);
    assert_int_equal(count_sends(s.w, n, ANY_EP, t0, t1), 0);
    assert_int_equal(count_kind(s.w, SIM_TR_TIMER, n, ANY_EP, t0, t1), 0);
    assert_int_equal(count_kind(s.w, SIM_TR_DISK_OP, n, ANY_EP, t0, t1), 0);
    assert_true(count_sends(s.w, n, ANY_EP, t1, t2) > 0);
    assert_true(count_delivers(s.w, ANY_EP, n, t1, t2) > 0);
    assert_int_equal(count_drops(s.w, ANY_EP, n, DROP_CRASHED, t1, t2), 0);
    assert_int_equal(world_stats(s.w)->crashes, 1);
    assert_int_equal(world_stats(s.w)->restarts, 1);
    sim_close(&s);
}

/* A paused node runs nothing: messages to it and its timers wait, and are handled late, at the
 * resume, in arrival order; nothing sent to it is dropped. */
static void test_world_paused_node_queues_and_delivers_late(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 12);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId n = leader_of(s.w);
    SimTime t0 = world_now(s.w), resume = t0 + 400 * SIM_MS, t2 = resume + 500 * SIM_MS;
    world_pause(s.w, n, 400 * SIM_MS);
    assert_true(world_is_paused(s.w, n));
    run_to(s.w, resume - 1);
    assert_true(world_is_paused(s.w, n));
    run_to(s.w, t2);
    assert_false(world_is_paused(s.w, n));

    assert_int_equal(count_delivers(s.w, ANY_EP, n, t0, resume), 0);
    assert_int_equal(count_sends(s.w, n, ANY_EP, t0, resume), 0);
    assert_int_equal(count_kind(s.w, SIM_TR_TIMER, n, ANY_EP, t0, resume), 0);
    assert_int_equal(count_drops(s.w, ANY_EP, n, DROP_CRASHED, t0, t2), 0);
    assert_true(count_kind(s.w, SIM_TR_TIMER, n, ANY_EP, resume, resume + 1) > 0);
    /* Messages that arrived during the pause are delivered at the resume, in arrival order. */
    const GArray *r = records(s.w);
    guint late = 0;
    SimTime last_arrival = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind != SIM_TR_DELIVER || x->node != n || x->time != resume)
            continue;
        SimTime sent = -1;
        for (guint j = 0; j < i; j++)
            if (rec_at(r, j)->kind == SIM_TR_SEND && rec_at(r, j)->a == x->a)
                sent = rec_at(r, j)->time;
        assert_true(sent >= 0);
        if (sent + s.cfg.net_latency.hi < resume) {
            assert_true(sent >= last_arrival - s.cfg.net_latency.hi);
            last_arrival = sent;
            late++;
        }
    }
    assert_true(late > 0);
    sim_close(&s);
}

/* Every message sent ends exactly once, delivered or dropped, even when its destination is
 * crashed while paused with messages waiting (they are dropped, not silently forgotten). */
static void test_world_every_message_is_delivered_or_dropped_once(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 13);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId n = leader_of(s.w);
    world_pause(s.w, n, 300 * SIM_MS);
    run_to(s.w, 1200 * SIM_MS);
    world_crash(s.w, n, FALSE);
    run_to(s.w, 1500 * SIM_MS);
    world_restart(s.w, n);
    SimTime end = 2500 * SIM_MS;
    run_to(s.w, end);

    const GArray *r = records(s.w);
    guint checked = 0;
    for (guint i = 0; i < r->len; i++) {
        const SimTraceRecord *x = rec_at(r, i);
        if (x->kind != SIM_TR_SEND || x->time >= end - 2 * s.cfg.net_latency.hi)
            continue;
        const SimTraceRecord *fate = fate_of(s.w, x->a);
        assert_non_null(fate);
        checked++;
    }
    assert_true(checked > 0);
    const WorldStats *st = world_stats(s.w);
    assert_true(st->msgs_delivered + st->msgs_dropped <= st->msgs_sent + st->msgs_duplicated);
    sim_close(&s);
}

/* Restarting a running node is a graceful stop and a boot: messages still in flight to the old
 * incarnation are dropped as sent to it. */
static void test_world_restart_drops_messages_to_the_old_incarnation(void **state)
{
    Sim s = {0};
    make_raft_world(&s.cfg, 14);
    sim_open(&s, TRUE);
    run_to(s.w, 1 * SIM_SEC);
    EndpointId n = leader_of(s.w);
    uint64_t in_flight = step_until_in_flight(s.w, ANY_EP, n);
    world_restart(s.w, n);
    assert_true(world_is_up(s.w, n));
    /* long enough for the others' election timers to fire and reach the new incarnation */
    run_to(s.w, world_now(s.w) + 400 * SIM_MS);
    const SimTraceRecord *fate = fate_of(s.w, in_flight);
    assert_non_null(fate);
    assert_int_equal(fate->kind, SIM_TR_DROP);
    assert_int_equal(fate->b, DROP_RESTARTED);
    assert_true(count_delivers(s.w, ANY_EP, n, fate->time, world_now(s.w)) > 0);
    sim_close(&s);
}

/* ---- disks across crashes ---- */

/* What a node's file system shows: its files in path order (their names, lengths and blocks),
 * read through the page cache. */
typedef struct {
    guint nfiles;
    char path[8][FS_PATH_MAX];
    gint file[8];
    uint32_t len[8];
    DiskBlock blocks[8][64];
    int errors[8][64];
} Image;

static void snapshot(Disk *d, Image *out)
{
    memset(out, 0, sizeof *out);
    g_autoptr(GArray) list = disk_list(d);
    for (guint i = 0; i < list->len; i++) {
        const DiskEntryInfo *e = &g_array_index(list, DiskEntryInfo, i);
        if (e->is_dir)
            continue;
        guint f = out->nfiles++;
        assert_true(f < 8);
        memcpy(out->path[f], e->path, FS_PATH_MAX);
        out->file[f] = e->file;
        out->len[f] = disk_length(d, (guint)e->file);
        assert_true(out->len[f] <= 64);
        for (uint32_t k = 0; k < out->len[f]; k++)
            out->errors[f][k] = disk_read(d, (guint)e->file, k, &out->blocks[f][k]);
    }
}

typedef struct {
    EndpointId node;
    guint boots;
    Image image; /* what the last boot of `node` read */
    guint power_changes;
} Watch;

static void on_booted(void *ctx, World *w, EndpointId node, const ProtoDiskImage *img)
{
    Watch *watch = ctx;
    if (node != watch->node)
        return;
    watch->boots++;
    Image *im = &watch->image;
    memset(im, 0, sizeof *im);
    for (guint i = 0; i < img->nentries; i++) {
        const ProtoFileImage *e = &img->entries[i];
        if (e->is_dir)
            continue;
        guint f = im->nfiles++;
        assert_true(f < 8 && e->len <= 64);
        memcpy(im->path[f], e->path, FS_PATH_MAX);
        im->len[f] = e->len;
        for (uint32_t k = 0; k < e->len; k++) {
            im->errors[f][k] = e->errors[k];
            if (e->errors[k] == 0)
                im->blocks[f][k] = e->blocks[k];
        }
    }
}

static void on_durable(void *ctx, World *w, EndpointId node, guint file, uint32_t idx,
                       const DiskBlock *old, const DiskBlock *neu, DiskChange cause)
{
    Watch *watch = ctx;
    if (node == watch->node && cause == DISK_CHANGE_POWER)
        watch->power_changes++;
}

static void assert_same_image(const Image *a, const Image *b)
{
    assert_int_equal(a->nfiles, b->nfiles);
    for (guint f = 0; f < a->nfiles; f++) {
        assert_string_equal(a->path[f], b->path[f]);
        assert_int_equal(a->len[f], b->len[f]);
        for (uint32_t i = 0; i < a->len[f]; i++) {
            assert_int_equal(a->errors[f][i], b->errors[f][i]);
            if (a->errors[f][i] == 0)
                assert_memory_equal(&a->blocks[f][i], &b->blocks[f][i], sizeof(DiskBlock));
        }
    }
}

/* A quorum world whose fsyncs take 10s: at 100ms r1's first writes sit in its page cache. */
static void open_slow_fsync_world(Sim *s, uint64_t seed, Watch *watch)
{
    make_quorum_world(&s->cfg, seed);
    s->cfg.disk_fsync_latency = sim_range(10 * SIM_SEC, 10 * SIM_SEC);
    sim_open(s, FALSE);
    WorldObserver obs = {.booted = on_booted, .durable = on_durable};
    watch->node = endpoint(s, "r1");
    world_set_observer(s->w, &obs, watch);
    world_start(s->w);
    run_to(s->w, 100 * SIM_MS);
}

/* A process crash keeps the page cache (the restarted node reads back its unsynced writes, and
 * its unsynced names); a power crash loses it: each unsynced write and name is lost or kept (a
 * file whose name goes is gone, its blocks with it), the page cache then equals the durable
 * image, and the restarted node reads exactly that. Over seeds, data is lost. */
static void test_world_process_crash_keeps_page_cache_power_crash_loses_it(void **state)
{
    guint lost = 0;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        Sim p = {0}, q = {0};
        Watch wp = {0}, wq = {0};
        open_slow_fsync_world(&p, seed, &wp);
        open_slow_fsync_world(&q, seed, &wq);
        Disk *dp = world_disk(p.w, wp.node), *dq = world_disk(q.w, wq.node);
        Image before, after, other;
        snapshot(dp, &before);
        snapshot(dq, &other);
        assert_same_image(&before, &other); /* same seed, same world */
        gboolean unsynced = FALSE;
        for (guint f = 0; f < before.nfiles; f++)
            for (uint32_t i = 0; i < before.len[f]; i++)
                unsynced = unsynced || !disk_is_durable(dp, (guint)before.file[f], i);
        assert_true(unsynced);

        world_crash(p.w, wp.node, FALSE);
        snapshot(dp, &after);
        assert_same_image(&before, &after);
        world_restart(p.w, wp.node);
        assert_int_equal(wp.boots, 2);
        assert_same_image(&before, &wp.image);

        world_crash(q.w, wq.node, TRUE);
        const DiskStats *st = disk_stats(dq);
        assert_true(st->power_lost + st->power_kept + st->power_torn > 0);
        /* The observer hears of what reached a file that is (still) named durably. */
        assert_true(wq.power_changes <= st->power_kept + st->power_torn);
        snapshot(dq, &after);
        uint32_t blocks_before = 0, blocks_after = 0;
        for (guint f = 0; f < before.nfiles; f++)
            blocks_before += before.len[f];
        for (guint f = 0; f < after.nfiles; f++) {
            guint file = (guint)after.file[f];
            assert_true(disk_file_is_reachable(dq, file));
            assert_int_equal(after.len[f], disk_durable_length(dq, file));
            assert_true(disk_prefix_is_durable(dq, file, after.len[f]));
            blocks_after += after.len[f];
        }
        if (blocks_after < blocks_before)
            lost++;
        world_restart(q.w, wq.node);
        assert_same_image(&after, &wq.image);
        sim_close(&p);
        sim_close(&q);
    }
    assert_true(lost > 0);
}

/* ---- clock skew ---- */

typedef struct {
    EndpointId client;
    gboolean seen;
    int64_t ts;
} Stamp;

static void on_sent(void *ctx, World *w, const Msg *m)
{
    Stamp *stamps = ctx;
    if (m->type != MSG_CLIENT_REQ)
        return;
    for (int i = 0; i < 2; i++) {
        if (stamps[i].client == m->from && !stamps[i].seen) {
            stamps[i].seen = TRUE;
            stamps[i].ts = m->u.creq.version.ts;
        }
    }
}

/* Clock skew shifts only the skewed endpoint's own clock readings: a skewed client stamps its
 * writes with its own time, another client and a server's skew change nothing else, and the
 * simulated times of the trace do not move. */
static void test_world_clock_skew_shifts_only_that_nodes_clock(void **state)
{
    Sim s = {0};
    make_quorum_world(&s.cfg, 15);
    s.cfg.clients = 2;
    script_op(&s.cfg, "a", 10 * SIM_MS, 0, OP_PUT, "a", 1);
    script_op(&s.cfg, "b", 10 * SIM_MS, 1, OP_PUT, "b", 2);
    sim_open(&s, FALSE);
    Stamp stamps[2] = {{endpoint(&s, "c1"), FALSE, 0}, {endpoint(&s, "c2"), FALSE, 0}};
    WorldObserver obs = {.sent = on_sent};
    world_set_observer(s.w, &obs, stamps);
    world_set_clock_skew(s.w, stamps[0].client, 7 * SIM_SEC);
    world_set_clock_skew(s.w, endpoint(&s, "co1"), -3 * SIM_SEC);
    world_start(s.w);
    run_to(s.w, 1 * SIM_SEC);

    assert_true(stamps[0].seen && stamps[1].seen);
    assert_true(stamps[0].ts == 10 * SIM_MS + 7 * SIM_SEC);
    assert_true(stamps[1].ts == 10 * SIM_MS);
    assert_int_equal(count_sends(s.w, stamps[0].client, ANY_EP, 10 * SIM_MS, 10 * SIM_MS + 1), 1);
    assert_true(world_workload_done(s.w));
    const HistOp *a = history_find(world_history(s.w), "a");
    assert_non_null(a);
    assert_int_equal(a->outcome, OUTCOME_OK);
    assert_true(a->invoke == 10 * SIM_MS);
    assert_int_equal(world_stats(s.w)->faults[FAULT_CLOCK_SKEW], 2);
    sim_close(&s);
}

/* ---- failpoint hooks ---- */

typedef struct {
    EndpointId node;
    FailpointId fp;
    int action; /* 0: nothing, 1: crash, 2: pause */
    SimTime pause;
    guint hits;
    SimTime at;
    guint index; /* of the FAILPOINT record */
} Hook;

static void on_failpoint(void *ctx, World *w, EndpointId node, FailpointId fp)
{
    Hook *h = ctx;
    if (node != h->node || fp != h->fp || h->hits++ > 0)
        return;
    h->at = world_now(w);
    h->index = records(w)->len - 1;
    const SimTraceRecord *r = rec_at(records(w), h->index);
    assert_int_equal(r->kind, SIM_TR_FAILPOINT);
    assert_int_equal(r->sub, fp);
    if (h->action == 1)
        world_crash(w, node, FALSE);
    else if (h->action == 2)
        world_pause(w, node, h->pause);
}

/* A quorum world where c1 puts k0 at 10ms, with `hook` on r1's replica.written. */
static void open_failpoint_world(Sim *s, Hook *hook)
{
    make_quorum_world(&s->cfg, 16);
    script_op(&s->cfg, "put", 10 * SIM_MS, 0, OP_PUT, "k0", 5);
    sim_open(s, FALSE);
    hook->node = endpoint(s, "r1");
    hook->fp = QUORUM_FP_REPLICA_WRITTEN;
    world_set_failpoint_hook(s->w, on_failpoint, hook);
    world_start(s->w);
}

/* Whether a record is something the node itself did (not the disk device or the network). */
static gboolean is_action_of(const SimTraceRecord *x, EndpointId node)
{
    if (x->node != node)
        return FALSE;
    return x->kind == SIM_TR_SEND || x->kind == SIM_TR_DELIVER || x->kind == SIM_TR_DISK_OP ||
           x->kind == SIM_TR_TIMER || x->kind == SIM_TR_NOTE || x->kind == SIM_TR_FAILPOINT;
}

/* The first action of `node` after record `from`, or NULL. */
static const SimTraceRecord *next_action(World *w, guint from, EndpointId node)
{
    const GArray *r = records(w);
    for (guint i = from + 1; i < r->len; i++)
        if (is_action_of(rec_at(r, i), node))
            return rec_at(r, i);
    return NULL;
}

/* A failpoint hook that crashes the node stops it right there: without the crash its next action
 * is the fsync; with it, nothing of the node follows until it is restarted. */
static void test_world_failpoint_crash_stops_node_before_next_action(void **state)
{
    Sim plain = {0};
    Hook watch = {.action = 0};
    open_failpoint_world(&plain, &watch);
    run_to(plain.w, 500 * SIM_MS);
    assert_int_equal(watch.hits, 1);
    const SimTraceRecord *next = next_action(plain.w, watch.index, watch.node);
    assert_non_null(next);
    assert_int_equal(next->kind, SIM_TR_DISK_OP);
    assert_int_equal(next->sub, DISKOP_FSYNC);
    assert_true(next->time == watch.at);
    sim_close(&plain);

    Sim s = {0};
    Hook crash = {.action = 1};
    open_failpoint_world(&s, &crash);
    run_to(s.w, 500 * SIM_MS);
    assert_int_equal(crash.hits, 1);
    assert_false(world_is_up(s.w, crash.node));
    const GArray *r = records(s.w);
    const SimTraceRecord *after = rec_at(r, crash.index + 1);
    assert_int_equal(after->kind, SIM_TR_FAULT);
    assert_int_equal(after->sub, FAULT_CRASH);
    assert_int_equal(after->node, crash.node);
    assert_null(next_action(s.w, crash.index, crash.node));
    guint restart_at = r->len;
    world_restart(s.w, crash.node);
    run_to(s.w, 1 * SIM_SEC);
    r = records(s.w);
    assert_int_equal(rec_at(r, restart_at)->sub, FAULT_RESTART);
    next = next_action(s.w, restart_at, crash.node);
    assert_non_null(next);
    assert_true(next->time == 500 * SIM_MS);
    sim_close(&s);
}

/* A failpoint hook that pauses the node keeps the rest of its step for the resume: its next
 * action, the fsync, happens exactly when the pause ends. */
static void test_world_failpoint_pause_defers_rest_of_step_until_resume(void **state)
{
    Sim s = {0};
    Hook pause = {.action = 2, .pause = 100 * SIM_MS};
    open_failpoint_world(&s, &pause);
    run_to(s.w, 500 * SIM_MS);
    assert_int_equal(pause.hits, 1);
    const SimTraceRecord *next = next_action(s.w, pause.index, pause.node);
    assert_non_null(next);
    assert_int_equal(next->kind, SIM_TR_DISK_OP);
    assert_int_equal(next->sub, DISKOP_FSYNC);
    assert_true(next->time == pause.at + 100 * SIM_MS);
    sim_close(&s);
}

/* ---- determinism ---- */

static const char every_fault_scenario[] =
    "[scenario]\nname = every-fault\nsummary = every fault kind fires\nprotocol = quorum\n"
    "seed = 11\nduration = 30s\nsettle = 1s\n"
    "[cluster]\nnodes = 5\nreplicas = 3\nwrite_quorum = 2\n"
    "[workload]\nclients = 2\nops = 60\nkeys = 4\nmix = put:50 get:30 add:20\n"
    "[fault skew]\nat = 0ms\nkind = clock-skew\nnode = r2\noffset = -30ms\n"
    "[fault crash]\nat = 100ms\nkind = crash\nnode = r1\nmode = power\nrestart_after = 300ms\n"
    "[fault fp-crash]\non = replica.synced\nnth = 3\nkind = crash\nmode = process\n"
    "restart_after = 50ms\n"
    "[fault restart]\nat = 600ms\nkind = restart\nnode = r2\n"
    "[fault pause]\nat = 700ms\nkind = pause\nnode = r3\nfor = 200ms\n"
    "[fault partition]\nat = 1s\nkind = partition\ngroups = r1 r2 | r3 r4 r5\nfor = 300ms\n"
    "[fault isolate]\nat = 1400ms\nkind = isolate\nnode = r4\nfor = 200ms\n"
    "[fault oneway]\nat = 1700ms\nkind = oneway\nfrom = co1\nto = r5\nfor = 200ms\n"
    "[fault drop]\nat = 2s\nkind = drop\nlink = *->r2\nprobability = 0.3\nfor = 300ms\n"
    "[fault dup]\nat = 2s\nkind = duplicate\nlink = co1->*\nprobability = 0.5\nfor = 300ms\n"
    "[fault delay]\nat = 2400ms\nkind = delay\nlink = r3->co1\nlatency = 20ms..40ms\n"
    "[fault heal]\nat = 2800ms\nkind = heal\n"
    "[fault fsync]\nat = 3s\nkind = fsync-error\nnode = r1\ncount = 2\n"
    "[fault write]\nat = 3s\nkind = write-error\nnode = r2\nerrno = ENOSPC\ncount = 1\n"
    "[fault sector]\nat = 3200ms\nkind = sector-error\nnode = r3\ncount = 1\n"
    "[fault corrupt]\nat = 3200ms\nkind = corrupt\nnode = r4\ncount = 1\n"
    "[fault slow]\nat = 3400ms\nkind = slow-disk\nnode = r5\nlatency = 5ms..10ms\nfor = 300ms\n"
    "[fault loss]\nat = 3800ms\nkind = disk-loss\nnode = r5\n"
    "[fault wb]\non = replica.written\nnth = 5\nkind = writeback-error\nnode = r2\n"
    "[fault full]\nat = 4s\nkind = disk-full\nnode = r3\nfor = 200ms\n"
    "[fault ro]\nat = 4300ms\nkind = metadata-error\nnode = r4\n"
    "[fault remount]\nat = 4500ms\nkind = crash\nnode = r4\nkeep = all\nrestart_after = 50ms\n";

static Scenario *load(const char *text, GError **error)
{
    return scenario_load_data(text, strlen(text), "test.ini", error);
}

static void run_scenario(const Scenario *sc, gboolean has_seed, uint64_t seed, RunResult *out)
{
    RunOptions opt = {.has_seed = has_seed, .seed = seed};
    GError *error = NULL;
    assert_true(runner_run(sc, &opt, out, &error));
}

/* The same seed gives the same trace hash for a run in which every fault kind fires (timed and
 * at a failpoint), and another seed gives another hash. */
static void test_world_same_seed_same_trace_hash_with_every_fault_kind(void **state)
{
    GError *error = NULL;
    g_autoptr(Scenario) sc = load(every_fault_scenario, &error);
    assert_null(error);
    assert_non_null(sc);
    RunResult a, b, c;
    run_scenario(sc, FALSE, 0, &a);
    run_scenario(sc, FALSE, 0, &b);
    run_scenario(sc, TRUE, 12, &c);
    for (int k = 0; k < FAULT_KIND_COUNT; k++) {
        if (a.stats.faults[k] == 0)
            print_error("fault kind %s never fired\n", fault_kind_name((FaultKind)k));
        assert_true(a.stats.faults[k] > 0);
    }
    assert_int_equal(a.fired->len, sc->faults.faults->len);
    assert_true(a.trace_records > 1000);
    assert_int_equal(a.trace_hash, b.trace_hash);
    assert_int_equal(a.trace_records, b.trace_records);
    assert_int_equal(a.events, b.events);
    assert_memory_equal(&a.stats, &b.stats, sizeof a.stats);
    assert_int_not_equal(a.trace_hash, c.trace_hash);
    run_result_clear(&a);
    run_result_clear(&b);
    run_result_clear(&c);
}

/* ---- fault kinds and parameters (SCENARIOS.md) ---- */

/* Every fault kind of SCENARIOS.md has its name in the world API, both ways, and no other kind
 * exists. */
static void test_world_every_scenario_fault_kind_exists(void **state)
{
    static const char *const names[] = {
        "crash",       "restart",     "pause",           "partition", "isolate",
        "oneway",      "drop",        "duplicate",       "delay",     "heal",
        "fsync-error", "write-error", "sector-error",    "corrupt",   "slow-disk",
        "disk-loss",   "clock-skew",  "writeback-error", "disk-full", "metadata-error",
    };
    assert_int_equal(G_N_ELEMENTS(names), FAULT_KIND_COUNT);
    gboolean seen[FAULT_KIND_COUNT] = {FALSE};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        FaultKind k;
        assert_true(fault_kind_parse(names[i], &k));
        assert_string_equal(fault_kind_name(k), names[i]);
        assert_false(seen[k]);
        seen[k] = TRUE;
    }
    FaultKind k;
    assert_false(fault_kind_parse("explode", &k));
    assert_false(fault_kind_parse("end", &k));
}

static const char header[] = "[scenario]\nname = t\nsummary = t\nprotocol = quorum\n"
                             "[cluster]\nnodes = 3\n[workload]\nclients = 2\n";

static Scenario *load_faults(const char *faults, GError **error)
{
    g_autofree char *text = g_strconcat(header, faults, NULL);
    return load(text, error);
}

static const FaultSpec *spec(const Scenario *sc, guint i)
{
    assert_true(i < sc->faults.faults->len);
    return g_ptr_array_index(sc->faults.faults, i);
}

typedef struct {
    EndpointId r1, r2, r3, co1, c1, c2;
} FaultIds;

/* Crashes, pauses, restarts and heals (faults a, b, n, q, r of the test below). */
static void assert_life_cycle_faults(const Scenario *sc, const FaultIds *id)
{
    const FaultSpec *f = spec(sc, 0);
    assert_int_equal(f->kind, FAULT_CRASH);
    assert_int_equal(f->target, TARGET_NODE);
    assert_int_equal(f->node, id->r2);
    assert_false(f->power);
    assert_true(f->restart_after == 2 * SIM_SEC && f->at == 1 * SIM_SEC);
    f = spec(sc, 1);
    assert_int_equal(f->trigger, TRIG_FAILPOINT);
    assert_int_equal(f->fp, QUORUM_FP_COORD_QUORUM);
    assert_int_equal(f->target, TARGET_ROLE);
    assert_int_equal(f->role, ROLE_COORDINATOR);
    assert_int_equal(f->nth, 3);
    assert_true(f->duration == 5 * SIM_MS);
    f = spec(sc, 13); /* defaults: a power crash, never restarted */
    assert_true(f->power);
    assert_true(f->restart_after == SIM_TIME_NEVER);
    assert_int_equal(spec(sc, 16)->kind, FAULT_RESTART);
    f = spec(sc, 17);
    assert_int_equal(f->kind, FAULT_HEAL);
    assert_int_equal(f->target, TARGET_NONE);
    assert_true(f->at == 9 * SIM_SEC);
}

/* Partitions, one-way cuts, drops, delays, isolation, duplicates (faults c, d, e, f, k, m). */
static void assert_network_faults(const Scenario *sc, const FaultIds *id)
{
    const WorldConfig *c = &sc->config;
    const FaultSpec *f = spec(sc, 2);
    assert_int_equal(endpoint_groups_of(&f->groups, id->r1), 0);
    assert_int_equal(endpoint_groups_of(&f->groups, id->r2), 1);
    assert_int_equal(endpoint_groups_of(&f->groups, id->c1), 1);
    assert_int_equal(endpoint_groups_of(&f->groups, id->r3), 0); /* unlisted: the first group */
    f = spec(sc, 3);
    assert_int_equal(f->from_mask.bits[0], (1u << id->r1) | (1u << id->r2));
    assert_int_equal(f->to_mask.bits[0], 1u << id->co1);
    f = spec(sc, 4);
    assert_int_equal(f->to_mask.bits[0], 1u << id->r3);
    assert_int_equal(f->from_mask.bits[0], (1u << world_config_endpoint_count(c)) - 1);
    assert_int_equal(f->num * 4, f->den);
    f = spec(sc, 5);
    assert_int_equal(f->to_mask.bits[0], 1u << id->c2);
    assert_true(f->latency.lo == 3 * SIM_MS && f->latency.hi == 9 * SIM_MS);
    f = spec(sc, 10);
    assert_int_equal(f->kind, FAULT_ISOLATE);
    assert_int_equal(f->node, id->r2);
    assert_true(f->duration == 2 * SIM_SEC);
    f = spec(sc, 12);
    assert_int_equal(f->from_mask.bits[0], 1u << id->co1);
    assert_int_equal(f->to_mask.bits[0], 1u << id->r1);
    assert_true(f->num == f->den && f->den > 0);
}

/* Disk and clock faults (faults g, h, i, j, l, o, p). */
static void assert_disk_and_clock_faults(const Scenario *sc, const FaultIds *id)
{
    const FaultSpec *f = spec(sc, 6);
    assert_int_equal(f->err, ENOSPC);
    assert_int_equal(f->count, 4);
    f = spec(sc, 7);
    assert_int_equal(f->count, 2);
    f = spec(sc, 8);
    assert_true(f->latency.lo == 7 * SIM_MS && f->duration == 1 * SIM_SEC);
    f = spec(sc, 9);
    assert_int_equal(f->node, id->c2);
    assert_true(f->offset == -50 * SIM_MS);
    f = spec(sc, 11); /* defaults: errno EIO, count 1 */
    assert_int_equal(f->err, EIO);
    assert_int_equal(f->count, 1);
    f = spec(sc, 14);
    assert_int_equal(f->kind, FAULT_DISK_LOSS);
    assert_int_equal(f->node, id->r3);
    assert_int_equal(spec(sc, 15)->count, 5);
}

/* What a power cut keeps, the file a disk error hits, a full disk and a read-only file system
 * (faults s, t, u, v, w, and the defaults of a and g). */
static void assert_file_system_faults(const Scenario *sc)
{
    assert_int_equal(spec(sc, 0)->keep, DISK_KEEP_RANDOM); /* the default */
    assert_null(spec(sc, 6)->file_text);
    const FaultSpec *f = spec(sc, 18);
    assert_true(f->power);
    assert_int_equal(f->keep, DISK_KEEP_NAMES);
    f = spec(sc, 19);
    assert_int_equal(f->kind, FAULT_WRITEBACK_ERROR);
    assert_int_equal(f->err, ENOSPC);
    assert_string_equal(f->file_text, "log/*");
    f = spec(sc, 20);
    assert_int_equal(f->err, EIO);
    assert_string_equal(f->file_text, "meta");
    f = spec(sc, 21);
    assert_int_equal(f->kind, FAULT_DISK_FULL);
    assert_true(f->duration == 0); /* full until space is freed */
    assert_int_equal(spec(sc, 22)->kind, FAULT_METADATA_ERROR);
}

/* Every parameter of every fault kind in SCENARIOS.md reaches its FaultSpec field. */
static void test_world_every_fault_parameter_reaches_the_fault_spec(void **state)
{
    GError *error = NULL;
    g_autoptr(Scenario) sc = load_faults(
        "[fault a]\nat = 1s\nkind = crash\nnode = r2\nmode = process\nrestart_after = 2s\n"
        "[fault b]\non = coord.quorum\nnode = coordinator\nnth = 3\nkind = pause\nfor = 5ms\n"
        "[fault c]\nat = 0ms\nkind = partition\ngroups = r1 | r2 c1\nfor = 1s\n"
        "[fault d]\nat = 0ms\nkind = oneway\nfrom = r1 r2\nto = co1\n"
        "[fault e]\nat = 0ms\nkind = drop\nlink = *->r3\nprobability = 0.25\n"
        "[fault f]\nat = 0ms\nkind = delay\nlink = r1->c2\nlatency = 3ms..9ms\n"
        "[fault g]\nat = 0ms\nkind = fsync-error\nnode = r3\nerrno = ENOSPC\ncount = 4\n"
        "[fault h]\nat = 0ms\nkind = sector-error\nnode = r1\ncount = 2\n"
        "[fault i]\nat = 0ms\nkind = slow-disk\nnode = r1\nlatency = 7ms\nfor = 1s\n"
        "[fault j]\nat = 0ms\nkind = clock-skew\nnode = c2\noffset = -50ms\n"
        "[fault k]\nat = 0ms\nkind = isolate\nnode = r2\nfor = 2s\n"
        "[fault l]\nat = 0ms\nkind = write-error\nnode = r2\n"
        "[fault m]\nat = 0ms\nkind = duplicate\nlink = co1->r1\nprobability = 1\n"
        "[fault n]\nat = 0ms\nkind = crash\nnode = r3\n"
        "[fault o]\nat = 0ms\nkind = disk-loss\nnode = r3\n"
        "[fault p]\nat = 0ms\nkind = corrupt\nnode = r2\ncount = 5\n"
        "[fault q]\nat = 0ms\nkind = restart\nnode = r1\n"
        "[fault r]\nat = 9s\nkind = heal\n"
        "[fault s]\nat = 0ms\nkind = crash\nnode = r1\nkeep = names\n"
        "[fault t]\nat = 0ms\nkind = writeback-error\nnode = r1\nerrno = ENOSPC\nfile = log/*\n"
        "[fault u]\nat = 0ms\nkind = fsync-error\nnode = r2\nfile = meta\n"
        "[fault v]\nat = 0ms\nkind = disk-full\nnode = r2\n"
        "[fault w]\nat = 0ms\nkind = metadata-error\nnode = r3\n",
        &error);
    if (error)
        print_error("%s\n", error->message);
    assert_non_null(sc);
    const WorldConfig *c = &sc->config;
    FaultIds id;
    assert_true(world_config_endpoint_parse(c, "r1", &id.r1) &&
                world_config_endpoint_parse(c, "r2", &id.r2) &&
                world_config_endpoint_parse(c, "r3", &id.r3) &&
                world_config_endpoint_parse(c, "co1", &id.co1) &&
                world_config_endpoint_parse(c, "c1", &id.c1) &&
                world_config_endpoint_parse(c, "c2", &id.c2));
    assert_int_equal(sc->faults.faults->len, 23);
    assert_life_cycle_faults(sc, &id);
    assert_network_faults(sc, &id);
    assert_disk_and_clock_faults(sc, &id);
    assert_file_system_faults(sc);
}

/* Bad fault parameters are rejected with an error naming the file, the fault and the key:
 * negative and zero counts, probabilities outside 0..1, unknown nodes, disk faults on nodes
 * without a disk, bad errno, and the rest. */
static void test_world_bad_fault_parameters_are_rejected_naming_the_key(void **state)
{
    static const struct {
        const char *body;
        const char *key; /* "[fault f] KEY:" must appear */
        const char *also;
    } cases[] = {
        {"kind = fsync-error\nnode = r1\ncount = -1\n", "count", "-1"},
        {"kind = fsync-error\nnode = r1\ncount = 0\n", "count", "0"},
        {"kind = sector-error\nnode = r1\ncount = -3\n", "count", "-3"},
        {"kind = corrupt\nnode = r1\ncount = 1.5\n", "count", "1.5"},
        {"kind = drop\nlink = r1->r2\nprobability = 1.5\n", "probability", "1.5"},
        {"kind = drop\nlink = r1->r2\nprobability = -0.1\n", "probability", "-0.1"},
        {"kind = duplicate\nlink = r1->r2\nprobability = half\n", "probability", "half"},
        {"kind = duplicate\nlink = r1->r2\n", "probability", "required"},
        {"kind = crash\nnode = r9\n", "node", "r9"},
        {"kind = restart\nnode = n1\n", "node", "n1"},
        {"kind = oneway\nfrom = r1\nto = r7\n", "to", "r7"},
        {"kind = partition\ngroups = r1 | x1\n", "groups", "x1"},
        {"kind = drop\nlink = r1->q3\nprobability = 0.5\n", "link", "q3"},
        {"kind = fsync-error\nnode = co1\n", "node", "co1"},
        {"kind = corrupt\nnode = c1\n", "node", "c1"},
        {"kind = slow-disk\nnode = co1\nlatency = 1ms\nfor = 1s\n", "node", "co1"},
        {"kind = write-error\nnode = r1\nerrno = EPERM\n", "errno", "EPERM"},
        {"kind = pause\nnode = r1\n", "for", "required"},
        {"kind = slow-disk\nnode = r1\nlatency = 5ms\nfor = -1s\n", "for", "-1s"},
        {"kind = clock-skew\nnode = r1\noffset = 5\n", "offset", "5"},
        {"kind = crash\nnode = r1\nmode = halt\n", "mode", "halt"},
        {"kind = delay\nlink = r1->r2\nlatency = 5ms..1ms\n", "latency", "5ms..1ms"},
        {"kind = explode\nnode = r1\n", "kind", "explode"},
        {"kind = crash\nnode = r1\ncolour = red\n", "colour", "unknown key"},
        {"kind = crash\n", "node", "required"},
        {"kind = crash\nnode = r1\nkeep = most\n", "keep", "most"},
        {"kind = crash\nnode = r1\nmode = process\nkeep = all\n", "keep", "power"},
        {"kind = writeback-error\nnode = r1\nerrno = EPERM\n", "errno", "EPERM"},
        {"kind = writeback-error\nnode = co1\n", "node", "co1"},
        {"kind = fsync-error\nnode = r1\nfile = \n", "file", "glob"},
        {"kind = disk-full\nnode = r1\ncount = 3\n", "count", "unknown key"},
        {"kind = metadata-error\nnode = r1\nfor = 1s\n", "for", "unknown key"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *faults = g_strdup_printf("[fault f]\nat = 0ms\n%s", cases[i].body);
        GError *error = NULL;
        Scenario *sc = load_faults(faults, &error);
        g_autofree char *want = g_strdup_printf("[fault f] %s:", cases[i].key);
        if (sc != NULL || error == NULL || !strstr(error->message, want) ||
            !strstr(error->message, cases[i].also) || !g_str_has_prefix(error->message, "test.ini"))
            print_error("case %zu (%s): got %s\n", i, cases[i].body,
                        error ? error->message : "no error");
        assert_null(sc);
        assert_non_null(error);
        assert_true(g_error_matches(error, SCENARIO_ERROR, 0));
        assert_true(g_str_has_prefix(error->message, "test.ini"));
        assert_non_null(strstr(error->message, want));
        assert_non_null(strstr(error->message, cases[i].also));
        g_error_free(error);
    }
    /* A failpoint of the other protocol. */
    GError *error = NULL;
    Scenario *sc = load_faults("[fault f]\non = raft.elected\nkind = crash\n", &error);
    assert_null(sc);
    assert_non_null(strstr(error->message, "[fault f] on:"));
    assert_non_null(strstr(error->message, "raft.elected"));
    g_error_free(error);
}

/* fault_plan_validate rejects bad parameters in plans built in code, naming the fault and the
 * key: a probability above 1 or over 0, a zero count, an unknown errno, a negative duration, a
 * node or link endpoint the cluster does not have; and names the node a server fault hit. */
static void test_world_fault_plan_validate_rejects_bad_parameters(void **state)
{
    WorldConfig c;
    make_quorum_world(&c, 1);
    struct {
        FaultKind kind;
        const char *key;
    } cases[] = {
        {FAULT_DROP, "probability"},    {FAULT_DUPLICATE, "probability"},
        {FAULT_FSYNC_ERROR, "count"},   {FAULT_WRITE_ERROR, "errno"},
        {FAULT_SECTOR_ERROR, "count"},  {FAULT_PAUSE, "for"},
        {FAULT_CLOCK_SKEW, "node"},     {FAULT_DELAY, "link"},
        {FAULT_CRASH, "restart_after"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        FaultPlan plan;
        fault_plan_init(&plan);
        FaultSpec *f = fault_spec_new();
        f->name = g_strdup("bad");
        f->kind = cases[i].kind;
        f->target = TARGET_NODE;
        f->node = 0;
        f->from_mask = endpoint_mask_one(0);
        f->to_mask = endpoint_mask_one(0);
        g_ptr_array_add(plan.faults, f);
        GError *error = NULL;
        assert_true(fault_plan_validate(&plan, &c, &error)); /* the good form passes */
        switch (cases[i].kind) {
        case FAULT_DROP:
            f->num = 3, f->den = 2;
            break;
        case FAULT_DUPLICATE:
            f->num = 1, f->den = 0;
            break;
        case FAULT_FSYNC_ERROR:
        case FAULT_SECTOR_ERROR:
            f->count = 0;
            break;
        case FAULT_WRITE_ERROR:
            f->err = EPERM;
            break;
        case FAULT_PAUSE:
            f->duration = -1;
            break;
        case FAULT_CLOCK_SKEW:
            f->node = 99;
            break;
        case FAULT_DELAY:
            endpoint_mask_clear(&f->to_mask);
            f->to_mask = endpoint_mask_one(99);
            break;
        default:
            f->restart_after = -5;
            break;
        }
        assert_false(fault_plan_validate(&plan, &c, &error));
        assert_non_null(error);
        g_autofree char *want = g_strdup_printf("[fault bad] %s", cases[i].key);
        if (!strstr(error->message, want))
            fail_msg("%s: '%s' does not name '%s'", fault_kind_name(cases[i].kind), error->message,
                     want);
        g_clear_error(&error);
        fault_plan_clear(&plan);
    }
    /* A server fault aimed at a client names the client. */
    FaultPlan plan;
    fault_plan_init(&plan);
    FaultSpec *f = fault_spec_new();
    f->name = g_strdup("pause-client");
    f->kind = FAULT_PAUSE;
    f->target = TARGET_NODE;
    f->node = (EndpointId)(world_config_endpoint_count(&c) - 1);
    g_ptr_array_add(plan.faults, f);
    GError *error = NULL;
    assert_false(fault_plan_validate(&plan, &c, &error));
    assert_non_null(strstr(error->message, "c1 is a client"));
    g_clear_error(&error);
    fault_plan_clear(&plan);
    world_config_clear(&c);
}

/* fault_plan_validate, which also checks plans built in code (the fuzzer's), rejects a
 * failpoint of the other protocol and a disk fault on a node without a disk, and accepts the
 * same faults where they fit. */
static void test_world_fault_plan_validate_rejects_failpoint_of_other_protocol(void **state)
{
    WorldConfig quorum, raft;
    make_quorum_world(&quorum, 1);
    make_raft_world(&raft, 1);
    FaultPlan plan;
    fault_plan_init(&plan);
    FaultSpec *f = fault_spec_new();
    f->name = g_strdup("x");
    f->kind = FAULT_CRASH;
    f->trigger = TRIG_FAILPOINT;
    f->fp = RAFT_FP_ELECTED;
    f->target = TARGET_ANY;
    g_ptr_array_add(plan.faults, f);
    GError *error = NULL;
    assert_false(fault_plan_validate(&plan, &quorum, &error));
    assert_non_null(error);
    assert_non_null(strstr(error->message, "[fault x] on"));
    assert_non_null(strstr(error->message, "not one of the quorum protocol's"));
    g_clear_error(&error);
    assert_true(fault_plan_validate(&plan, &raft, &error));
    f->fp = QUORUM_FP_COORD_QUORUM;
    assert_false(fault_plan_validate(&plan, &raft, &error));
    assert_non_null(strstr(error->message, "not one of the raft protocol's"));
    g_clear_error(&error);
    assert_true(fault_plan_validate(&plan, &quorum, &error));

    f->trigger = TRIG_AT;
    f->kind = FAULT_FSYNC_ERROR;
    f->target = TARGET_NODE;
    assert_true(world_config_endpoint_parse(&quorum, "co1", &f->node));
    f->node_text = g_strdup("co1");
    assert_false(fault_plan_validate(&plan, &quorum, &error));
    assert_non_null(strstr(error->message, "[fault x] node: co1"));
    g_clear_error(&error);
    assert_true(world_config_endpoint_parse(&quorum, "r1", &f->node));
    assert_true(fault_plan_validate(&plan, &quorum, &error));
    fault_plan_clear(&plan);
    world_config_clear(&quorum);
    world_config_clear(&raft);
}

int main(void)
{
    protocols_install();
    runner_set_check_invariants(TRUE); /* every invariant in every run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_partition_drops_both_ways),
        cmocka_unit_test(test_world_oneway_drops_one_way_only),
        cmocka_unit_test(test_world_duplicate_rule_delivers_twice),
        cmocka_unit_test(test_world_delay_rule_changes_latency_of_its_link),
        cmocka_unit_test(test_world_drop_rule_drops_by_probability),
        cmocka_unit_test(test_world_heal_ends_every_network_fault),
        cmocka_unit_test(test_world_crashed_node_drops_inbound_until_restart),
        cmocka_unit_test(test_world_paused_node_queues_and_delivers_late),
        cmocka_unit_test(test_world_every_message_is_delivered_or_dropped_once),
        cmocka_unit_test(test_world_restart_drops_messages_to_the_old_incarnation),
        cmocka_unit_test(test_world_process_crash_keeps_page_cache_power_crash_loses_it),
        cmocka_unit_test(test_world_clock_skew_shifts_only_that_nodes_clock),
        cmocka_unit_test(test_world_failpoint_crash_stops_node_before_next_action),
        cmocka_unit_test(test_world_failpoint_pause_defers_rest_of_step_until_resume),
        cmocka_unit_test(test_world_same_seed_same_trace_hash_with_every_fault_kind),
        cmocka_unit_test(test_world_every_scenario_fault_kind_exists),
        cmocka_unit_test(test_world_every_fault_parameter_reaches_the_fault_spec),
        cmocka_unit_test(test_world_bad_fault_parameters_are_rejected_naming_the_key),
        cmocka_unit_test(test_world_fault_plan_validate_rejects_failpoint_of_other_protocol),
        cmocka_unit_test(test_world_fault_plan_validate_rejects_bad_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
