/* model/world/net.c — the simulated network: latency, partitions, drops, duplicates, delays.
 *
 * Every message gets a one-way latency drawn from the cluster range (or a delay rule's), so
 * messages reorder naturally. A partition blocks a message when it is sent and again when it
 * would be delivered (a message in flight when a cable is cut is lost). A crashed destination
 * drops inbound messages; a paused one queues them; a message sent to an earlier incarnation of a
 * restarted node is dropped, as its connection died with it. Every send, delivery and drop goes
 * through the trace.
 *
 * The network knows nothing of what an endpoint is: it hands each message it delivers to the
 * endpoint's `receive`, which the world's assembly installs.
 */
#include "model/world/net.h"

#include <string.h>

static gboolean rule_blocks(const NetRule *r, EndpointId from, EndpointId to)
{
    switch (r->kind) {
    case NET_PARTITION:
        return endpoint_groups_of(&r->groups, from) != endpoint_groups_of(&r->groups, to);
    case NET_ONEWAY:
        return endpoint_mask_has(&r->from_mask, from) && endpoint_mask_has(&r->to_mask, to);
    default:
        return FALSE;
    }
}

void endpoint_groups_set(EndpointGroups *g, EndpointId id, guint group)
{
    g_assert(group <= UINT8_MAX);
    if (id >= g->n) {
        g->group = g_renew(uint8_t, g->group, (gsize)id + 1);
        memset(g->group + g->n, 0, (gsize)id + 1 - g->n);
        g->n = (guint)id + 1;
    }
    g->group[id] = (uint8_t)group;
}

void endpoint_groups_copy(EndpointGroups *out, const EndpointGroups *in)
{
    out->n = in->n;
    out->group = in->n ? g_memdup2(in->group, in->n) : NULL;
}

void endpoint_groups_clear(EndpointGroups *g)
{
    g_free(g->group);
    g->group = NULL;
    g->n = 0;
}

void net_rule_clear(NetRule *r)
{
    endpoint_groups_clear(&r->groups);
    endpoint_mask_clear(&r->from_mask);
    endpoint_mask_clear(&r->to_mask);
}

void net_rule_entry_free(gpointer p)
{
    NetRuleEntry *e = p;
    net_rule_clear(&e->rule);
    g_free(e);
}

gboolean world_net_connected(const World *w, EndpointId a, EndpointId b)
{
    for (guint i = 0; i < w->rules->len; i++) {
        const NetRuleEntry *e = g_ptr_array_index(w->rules, i);
        if (rule_blocks(&e->rule, a, b))
            return FALSE;
    }
    return TRUE;
}

gboolean world_net_is_healed(const World *w)
{
    return w->rules->len == 0;
}

guint world_net_add(World *w, const NetRule *rule, FaultKind kind, EndpointId subject)
{
    NetRuleEntry *e = g_new0(NetRuleEntry, 1);
    e->id = ++w->next_rule_id;
    e->kind = kind;
    e->subject = subject;
    e->rule = *rule;
    endpoint_groups_copy(&e->rule.groups, &rule->groups);
    endpoint_mask_copy(&e->rule.from_mask, &rule->from_mask);
    endpoint_mask_copy(&e->rule.to_mask, &rule->to_mask);
    g_ptr_array_add(w->rules, e);
    w->stats.faults[kind]++;
    world_emit(w, SIM_TR_FAULT, (uint16_t)kind, subject, ENDPOINT_NONE, e->id, 0);
    return e->id;
}

void world_net_remove(World *w, guint id)
{
    for (guint i = 0; i < w->rules->len; i++) {
        NetRuleEntry *e = g_ptr_array_index(w->rules, i);
        if (e->id == id) {
            world_emit(w, SIM_TR_FAULT, FAULT_END, e->subject, ENDPOINT_NONE, id, e->kind);
            g_ptr_array_remove_index(w->rules, i); /* keeps insertion order */
            return;
        }
    }
}

void world_net_heal(World *w)
{
    w->stats.faults[FAULT_HEAL]++;
    world_emit(w, SIM_TR_FAULT, FAULT_HEAL, ENDPOINT_NONE, ENDPOINT_NONE, w->rules->len, 0);
    g_ptr_array_set_size(w->rules, 0);
}

static void drop(World *w, Msg *m, DropReason reason)
{
    w->stats.msgs_dropped++;
    world_emit(w, SIM_TR_DROP, m->type, m->from, m->to, m->id, reason);
    msg_free(m);
}

static void on_deliver(void *ctx, uint64_t a, uint64_t b)
{
    World *w = ctx;
    Msg *m = (Msg *)(uintptr_t)a;
    Endpoint *dst = &w->ep[m->to];
    if (!dst->up) {
        MARK(w->stats.world_marks, WMARK_NET_DROP_CRASHED);
        drop(w, m, DROP_CRASHED);
        return;
    }
    if ((uint32_t)b != dst->incarnation) {
        MARK(w->stats.world_marks, WMARK_NET_DROP_RESTARTED);
        drop(w, m, DROP_RESTARTED);
        return;
    }
    if (!world_net_connected(w, m->from, m->to)) {
        MARK(w->stats.world_marks, WMARK_NET_DROP_IN_FLIGHT);
        drop(w, m, DROP_PARTITION);
        return;
    }
    dst->receive(w, dst, m);
}

static void schedule_delivery(World *w, Msg *m, SimTime latency)
{
    Endpoint *dst = &w->ep[m->to];
    sim_queue_after(w->queue, latency, on_deliver, w, (uint64_t)(uintptr_t)m, dst->incarnation);
}

void net_send(World *w, Msg *m)
{
    g_assert(m->to < w->nendpoints && m->from < w->nendpoints);
    m->id = ++w->next_msg_id;
    w->stats.msgs_sent++;
    if (m->type < MSG_TYPE_SLOTS) {
        const MsgOps *ops = world_msg_ops(w);
        w->stats.msgs_by_type[m->type]++;
        if (ops->wire_bytes)
            w->stats.bytes_by_type[m->type] += ops->wire_bytes(m);
    }
    if (w->obs.sent)
        w->obs.sent(w->obs_ctx, w, m);
    if (G_UNLIKELY(world_wants_detail(w)))
        world_set_detail(w, world_describe_msg(w, m));
    world_emit(w, SIM_TR_SEND, m->type, m->from, m->to, m->id, 0);
    SimRange latency = w->config->net_latency;
    gboolean duplicate = FALSE;
    for (guint i = 0; i < w->rules->len; i++) {
        const NetRuleEntry *e = g_ptr_array_index(w->rules, i);
        const NetRule *r = &e->rule;
        if (rule_blocks(r, m->from, m->to)) {
            MARK(w->stats.world_marks, WMARK_NET_DROP_PARTITION);
            drop(w, m, DROP_PARTITION);
            return;
        }
        if (!endpoint_mask_has(&r->from_mask, m->from) || !endpoint_mask_has(&r->to_mask, m->to))
            continue;
        if (r->kind == NET_DROP && sim_rng_chance(&w->net_rng, r->num, r->den)) {
            MARK(w->stats.world_marks, WMARK_NET_DROP_RULE);
            drop(w, m, DROP_RULE);
            return;
        }
        if (r->kind == NET_DUPLICATE && sim_rng_chance(&w->net_rng, r->num, r->den))
            duplicate = TRUE;
        if (r->kind == NET_DELAY) {
            MARK(w->stats.world_marks, WMARK_NET_DELAY);
            latency = r->latency;
        }
    }
    if (duplicate) {
        Msg *copy = msg_copy(m);
        copy->id = ++w->next_msg_id;
        w->stats.msgs_duplicated++;
        MARK(w->stats.world_marks, WMARK_NET_DUPLICATE);
        world_emit(w, SIM_TR_SEND, copy->type, copy->from, copy->to, copy->id, m->id);
        schedule_delivery(w, copy, sim_rng_duration(&w->net_rng, latency));
    }
    schedule_delivery(w, m, sim_rng_duration(&w->net_rng, latency));
}

static void free_pending(void *visit_ctx, SimEventFn fn, void *ctx, uint64_t a, uint64_t b)
{
    if (fn == on_deliver)
        msg_free((Msg *)(uintptr_t)a);
}

void net_free_in_flight(World *w)
{
    sim_queue_visit_pending(w->queue, free_pending, NULL);
}
