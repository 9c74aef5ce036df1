/* reports/raft/raft_liveness.c — Raft's liveness after heal: disruptive elections.
 *
 * Once every fault has healed, a leader that a majority follows must stay leader: a server that
 * was partitioned away, or removed without knowing it, may not force a higher term on the
 * cluster (pre-vote, thesis §9.6; the leader lease, §4.2.3). An election is disruptive when its
 * candidate stood without a majority's consent while a majority had been following a leader of
 * a lower term for a whole lease (the shortest election timeout):
 *   - following: each of them answered that leader's appends with successes less than a lease
 *     apart, from a lease before the candidacy on (the leader counts itself);
 *   - consent: the servers granted the candidate a pre-vote for that very term (it counts
 *     itself); a server grants one only when it has not heard from a leader for a lease, so
 *     with pre-vote no election stands against a leader that is followed.
 * It is judged when its term deposes that leader after the last fault's effect ended, no leader
 * having been elected in a term between the two (the election was futile), and the leader not
 * having handed its office over itself (TimeoutNow, thesis §3.10). Each one is a `disruption`
 * violation.
 *
 * The judgement reads only the messages the servers sent and their role notes.
 */
#include "reports/raft/raft_state.h"

void raft_liveness_init(RaftOracle *o)
{
    o->seen = g_new0(RaftServerSeen, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->seen[n] = (RaftServerSeen){.role = ROLE_NONE, .acked_to = ENDPOINT_NONE};
    o->disruptions = g_array_new(FALSE, FALSE, sizeof(RaftDisruption));
}

void raft_liveness_clear(RaftOracle *o)
{
    g_free(o->seen);
    g_array_free(o->disruptions, TRUE);
}

void raft_liveness_sent(RaftOracle *o, const Msg *m)
{
    if (m->from >= o->nodes)
        return;
    RaftServerSeen *s = &o->seen[m->from];
    SimTime now = oview_now(o->view);
    if (m->type == MSG_R_APPEND_RESP && raft_body(m)->rar.success) {
        uint64_t term = raft_body(m)->rar.term;
        if (s->acked_to != m->to || s->acked_term != term || now - s->acked_at >= o->lease)
            s->streak_from = now;
        s->acked_at = now;
        s->acked_to = m->to;
        s->acked_term = term;
    } else if (m->type == MSG_R_TIMEOUT_NOW) {
        s->handed_off = raft_body(m)->rt.term;
    } else if (m->type == MSG_R_VOTE_RESP && raft_body(m)->rvr.prevote &&
               raft_body(m)->rvr.granted && m->to < o->nodes) {
        RaftServerSeen *c = &o->seen[m->to];
        uint64_t term = raft_body(m)->rvr.term;
        if (c->prevote_term != term)
            c->prevote_mask = 0;
        c->prevote_term = term;
        c->prevote_mask |= (uint64_t)1 << m->from;
    }
}

void raft_liveness_booted(RaftOracle *o, EndpointId node)
{
    o->seen[node].role = ROLE_NONE;
}

/* The servers (a mask, the leader included) that have followed `leader` in `term` for the
 * whole lease before now. */
static uint64_t followers_of(const RaftOracle *o, EndpointId leader, uint64_t term)
{
    SimTime now = oview_now(o->view);
    uint64_t mask = (uint64_t)1 << leader;
    for (EndpointId n = 0; n < o->nodes; n++) {
        const RaftServerSeen *s = &o->seen[n];
        if (s->acked_to == leader && s->acked_term == term && now - s->acked_at < o->lease &&
            s->streak_from <= now - o->lease)
            mask |= (uint64_t)1 << n;
    }
    return mask;
}

/* A candidacy: without a majority's consent, against every leader of a lower term that a
 * majority follows. */
static void on_candidate(RaftOracle *o, EndpointId node, uint64_t term)
{
    const RaftServerSeen *c = &o->seen[node];
    uint64_t consent = ((uint64_t)1 << node) | (c->prevote_term == term ? c->prevote_mask : 0);
    if (raft_members_is_majority(raft_members_latest(o, node), consent))
        return;
    for (EndpointId l = 0; l < o->nodes; l++) {
        const RaftServerSeen *s = &o->seen[l];
        if (l == node || s->role != ROLE_LEADER || s->term >= term)
            continue;
        uint64_t followers = followers_of(o, l, s->term);
        if (!raft_members_is_majority(raft_members_latest(o, l), followers))
            continue;
        RaftDisruption d = {.term = term,
                            .started = oview_now(o->view),
                            .candidate = node,
                            .leader = l,
                            .leader_term = s->term,
                            .followers = followers};
        g_array_append_val(o->disruptions, d);
    }
}

/* Whether some server was elected leader of a term in (from, to]. */
static gboolean any_leader_between(const RaftOracle *o, uint64_t from, uint64_t to)
{
    for (uint64_t t = from + 1; t <= to; t++)
        if (g_hash_table_contains(o->leaders, &t))
            return TRUE;
    return FALSE;
}

/* The leader learned of term `term`: the disruption that raised it, if any, has deposed it. */
static void on_deposed(RaftOracle *o, EndpointId node, uint64_t term)
{
    const RaftServerSeen *s = &o->seen[node];
    if (s->handed_off == s->term || any_leader_between(o, s->term, term))
        return;
    for (guint i = 0; i < o->disruptions->len; i++) {
        RaftDisruption *d = &g_array_index(o->disruptions, RaftDisruption, i);
        if (d->term == term && d->leader == node && d->leader_term == s->term &&
            d->deposed_at == 0) {
            d->deposed_at = oview_now(o->view);
            return;
        }
    }
}

void raft_liveness_role(RaftOracle *o, EndpointId node, NodeRole role, uint64_t term)
{
    RaftServerSeen *s = &o->seen[node];
    if (s->role == ROLE_LEADER && term > s->term)
        on_deposed(o, node, term);
    if (role == ROLE_CANDIDATE)
        on_candidate(o, node, term);
    s->role = role;
    s->term = term;
}

void raft_liveness_judge(void *st, const CheckEnd *end, Verdict *v)
{
    RaftOracle *o = st;
    if (!end->healed || !o->profile.raft_messages)
        return;
    for (guint i = 0; i < o->disruptions->len; i++) {
        const RaftDisruption *d = &g_array_index(o->disruptions, RaftDisruption, i);
        if (d->deposed_at == 0 || d->deposed_at < end->quiet_since)
            continue;
        char started[32], when[32], healed[32];
        GString *who = g_string_new(NULL);
        oview_format_nodes(o->view, d->followers, who);
        EndpointId nodes[2] = {d->leader, d->candidate};
        verdict_add(
            v, V_DISRUPTION, d->deposed_at, NULL, 0, nodes, 2,
            g_strdup_printf("%s stood for term %" G_GUINT64_FORMAT " at %s while %s followed %s, "
                            "leader of term %" G_GUINT64_FORMAT "; the term deposed %s at %s, "
                            "after every fault had healed (at %s), and no server ever won it",
                            oview_name(o->view, d->candidate), d->term,
                            sim_time_format_human(d->started, started, sizeof started), who->str,
                            oview_name(o->view, d->leader), d->leader_term,
                            oview_name(o->view, d->leader),
                            sim_time_format_human(d->deposed_at, when, sizeof when),
                            sim_time_format_human(end->quiet_since, healed, sizeof healed)));
        g_string_free(who, TRUE);
    }
}
