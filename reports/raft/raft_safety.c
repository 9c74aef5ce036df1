/* reports/raft/raft_safety.c — Raft's safety properties, judged against the durable state and the
 * commitment raft_oracle.c follows (see raft_state.h):
 *
 *   election safety        at most one leader per term (from the servers' role notes)
 *   log matching           no two durable logs hold different commands at one (index, term), as
 *                          each entry becomes durable and over the whole logs at the end
 *   leader completeness    a new leader's log (as the server holds it) has every entry committed
 *                          in an earlier term
 *   state-machine safety   no two servers apply different commands at one index
 *   persist-before-send    a granted vote is on the voter's disk, an append success's prefix was
 *                          synced, when the message leaves
 *   duplicate              one write applied with effect at two indexes
 *   caught up              after settle, every server that is up holds every committed entry
 */
#include "reports/persist.h"
#include "reports/raft/raft_state.h"

static const char *now_text(const RaftOracle *o, char *buf, gsize size)
{
    return sim_time_format_human(oview_now(o->view), buf, size);
}

/* Entry e, just made durable at block `idx` of node's log, against the other servers' entries
 * at e's index. */
void raft_safety_new_entry(RaftOracle *o, EndpointId node, uint32_t idx, const RaftEntry *e)
{
    const OracleView *v = o->view;
    uint32_t mine = raft_oracle_log_id(o, node, (uint64_t)idx + 1);
    for (EndpointId other = 0; other < o->nodes; other++) {
        if (other == node)
            continue;
        uint32_t theirs = raft_oracle_log_id(o, other, e->index);
        RaftEntry x;
        if (theirs == 0 || theirs == mine ||
            !raft_oracle_durable_entry(o, other, e->index, &x, NULL))
            continue; /* nothing there, the very same bytes, or nothing readable */
        if (x.term == e->term && (x.idem != e->idem || x.kind != e->kind)) {
            char when[32];
            EndpointId nodes[2] = {node, other};
            verdict_add(
                o->found, V_LOG_MATCHING, oview_now(v), NULL, 0, nodes, 2,
                g_strdup_printf("%s and %s hold different entries at index %" G_GUINT64_FORMAT
                                " with the same term %" G_GUINT64_FORMAT " (at %s)",
                                oview_name(v, node), oview_name(v, other), e->index, e->term,
                                now_text(o, when, sizeof when)));
            return;
        }
    }
}

/* Whether a lost block holds the vote of *ctx (a Msg: a granted vote). */
static gboolean holds_vote(const DiskBlock *b, const void *ctx)
{
    const Msg *m = ctx;
    RaftMeta meta;
    return raft_decode_meta(b, &meta) == BLOCK_OK && meta.term == raft_body(m)->rvr.term &&
           meta.voted_for == m->to;
}

/* Whether a lost block holds an entry the append success *ctx (a Msg) vouches for. */
static gboolean holds_entry(const DiskBlock *b, const void *ctx)
{
    const Msg *m = ctx;
    RaftEntry e;
    return raft_decode_entry(b, &e) == BLOCK_OK && e.index <= raft_body(m)->rar.match;
}

void raft_safety_sent(void *st, const Msg *m)
{
    RaftOracle *o = st;
    if (o->profile.raft_messages) {
        raft_liveness_sent(o, m);
        if (m->type == MSG_R_VOTE_RESP)
            raft_members_vote_sent(o, m);
    }
    if (m->type == MSG_R_VOTE_RESP && raft_body(m)->rvr.granted && !raft_body(m)->rvr.prevote) {
        uint64_t key = raft_body(m)->rvr.term << 8 | m->from;
        gpointer vote = g_hash_table_lookup(o->votes, &key);
        if (!vote || GPOINTER_TO_UINT(vote) - 1 != m->to) {
            g_autofree char *what =
                g_strdup_printf("its vote in term %" G_GUINT64_FORMAT, raft_body(m)->rvr.term);
            persist_unbacked(o->view, m, what, persist_fs_broke(o->view, m->from, holds_vote, m),
                             o->found);
        }
    } else if (m->type == MSG_R_APPEND_RESP && raft_body(m)->rar.success &&
               !raft_oracle_prefix_synced(o, m->from, raft_body(m)->rar.match)) {
        g_autofree char *what = g_strdup_printf(
            "an append success with match index %" G_GUINT64_FORMAT, raft_body(m)->rar.match);
        persist_unbacked(o->view, m, what, persist_fs_broke(o->view, m->from, holds_entry, m),
                         o->found);
    }
}

static void check_leader_completeness(RaftOracle *o, EndpointId node, uint64_t term)
{
    for (uint64_t i = raft_released(o) + 1; i <= o->committed.len; i++) {
        const RaftSlot *s = chunks_at(&o->committed, (guint)(i - 1));
        /* Leader Completeness: committed in an earlier term, so in every later leader's log. */
        if (!s->set || s->commit_term >= term || s->term == 0)
            continue;
        uint64_t t;
        IdemKey idem;
        raft_oracle_held(o, node, i, &t, &idem);
        if ((t == s->term && idem == s->idem) || i <= raft_covered(o, node))
            continue;
        char when[32];
        EndpointId nodes[1] = {node};
        verdict_add(o->found, V_LEADER_COMPLETENESS, oview_now(o->view), NULL, 0, nodes, 1,
                    g_strdup_printf("%s became leader of term %" G_GUINT64_FORMAT
                                    " at %s without committed entry %" G_GUINT64_FORMAT
                                    " (term %" G_GUINT64_FORMAT ")",
                                    oview_name(o->view, node), term, now_text(o, when, sizeof when),
                                    i, s->term));
        return;
    }
}

static void on_leader(RaftOracle *o, EndpointId node, uint64_t term)
{
    gpointer prev = g_hash_table_lookup(o->leaders, &term);
    if (prev && GPOINTER_TO_UINT(prev) - 1 != node) {
        char when[32];
        EndpointId nodes[2] = {(EndpointId)(GPOINTER_TO_UINT(prev) - 1), node};
        verdict_add(o->found, V_ELECTION_SAFETY, oview_now(o->view), NULL, 0, nodes, 2,
                    g_strdup_printf("%s and %s were both leader of term %" G_GUINT64_FORMAT
                                    " (the second at %s)",
                                    oview_name(o->view, nodes[0]), oview_name(o->view, node), term,
                                    now_text(o, when, sizeof when)));
    } else if (!prev) {
        uint64_t *k = g_new(uint64_t, 1);
        *k = term;
        g_hash_table_insert(o->leaders, k, GUINT_TO_POINTER(node + 1u));
    }
    if (o->profile.raft_messages)
        raft_members_check_election(o, node, term);
    check_leader_completeness(o, node, term);
}

/* A write applied with effect at a second index. */
static void check_applied_once(RaftOracle *o, EndpointId node, uint64_t index, IdemKey idem)
{
    Ledger *l = ledger_get(o->ledger, idem);
    if (!l)
        return; /* folded as final: applied once, as it was then */
    if (l->effect_index == 0) {
        l->effect_index = index;
        return;
    }
    if (l->effect_index == index || l->dup_reported)
        return;
    l->dup_reported = 1;
    const OracleView *v = o->view;
    char label[64], when[32];
    EndpointId nodes[1] = {node};
    uint32_t ops[1] = {l->first_op};
    verdict_add(o->found, V_DUPLICATE, oview_now(v), ops, 1, nodes, 1,
                g_strdup_printf("%s applied write %s again at index %" G_GUINT64_FORMAT
                                " (first at index %" G_GUINT64_FORMAT "), at %s",
                                oview_name(v, node),
                                v->idem_name(v->ctx, idem, label, sizeof label), index,
                                l->effect_index, now_text(o, when, sizeof when)));
}

static void on_apply(RaftOracle *o, EndpointId node, const ProtoAction *note)
{
    uint64_t index = note->a, term = note->b;
    IdemKey idem = note->c;
    if (index <= (uint64_t)o->applied.released_below << CHUNKS_SHIFT)
        return; /* every voter's snapshot holds it: applied, and checked, long ago */
    if (index > o->applied.len)
        chunks_set_size(&o->applied, (guint)index);
    RaftApplied *s = chunks_at(&o->applied, (guint)(index - 1));
    if (!s->set) {
        *s = (RaftApplied){.term = term, .idem = idem, .set = 1, .node = node};
    } else if (s->term != term || s->idem != idem) {
        char when[32];
        EndpointId nodes[2] = {node, s->node};
        verdict_add(o->found, V_STATE_MACHINE_SAFETY, oview_now(o->view), NULL, 0, nodes, 2,
                    g_strdup_printf("%s applied a different command at index %" G_GUINT64_FORMAT
                                    " (term %" G_GUINT64_FORMAT ") than %s did "
                                    "(term %" G_GUINT64_FORMAT ") at %s",
                                    oview_name(o->view, node), index, term,
                                    oview_name(o->view, s->node), s->term,
                                    now_text(o, when, sizeof when)));
    }
    if (note->d && idem != IDEM_NONE)
        check_applied_once(o, node, index, idem);
}

void raft_safety_note(void *st, EndpointId node, const ProtoAction *note)
{
    RaftOracle *o = st;
    if (note->sub == NOTE_ROLE && note->a == ROLE_LEADER)
        on_leader(o, node, note->b);
    if (note->sub == NOTE_ROLE && o->profile.raft_messages)
        raft_liveness_role(o, node, (NodeRole)note->a, note->b);
    else if (note->sub == NOTE_APPLY)
        on_apply(o, node, note);
}

/* After settle every server that is up holds every committed entry, durably. */
void raft_safety_caught_up(void *st, gboolean healed)
{
    RaftOracle *o = st;
    if (!healed) {
        o->found->convergence_note =
            g_strdup("not checked: a fault was still in force when settle ended");
        return;
    }
    /* Index by index, so that the servers' identical blocks are decoded once (durable_entry
     * remembers the last); each server's first missing entry is reported, server by server. */
    uint64_t missing[RAFT_MAX_NODES], covered[RAFT_MAX_NODES];
    uint64_t voters = o->members.voters ? o->members.voters(o->members.ctx) : UINT64_MAX;
    for (EndpointId n = 0; n < o->nodes; n++) {
        gboolean due = o->view->is_up(o->view->ctx, n) && ((voters >> n) & 1);
        missing[n] = due ? 0 : UINT64_MAX;
        covered[n] = raft_covered(o, n);
    }
    for (uint64_t i = raft_released(o) + 1; i <= o->committed.len; i++) {
        const RaftSlot *s = chunks_at(&o->committed, (guint)(i - 1));
        for (EndpointId n = 0; n < o->nodes; n++) {
            RaftEntry e;
            if (missing[n] == 0 && i > covered[n] && s->term != 0 &&
                !(raft_oracle_durable_entry(o, n, i, &e, NULL) && e.term == s->term &&
                  e.idem == s->idem))
                missing[n] = i;
        }
    }
    for (EndpointId n = 0; n < o->nodes; n++) {
        if (missing[n] == 0 || missing[n] == UINT64_MAX)
            continue;
        char when[32];
        EndpointId nodes[1] = {n};
        verdict_add(o->found, V_DIVERGENT, oview_now(o->view), NULL, 0, nodes, 1,
                    g_strdup_printf("after settle (%s), %s does not hold committed entry "
                                    "%" G_GUINT64_FORMAT " of %u durably",
                                    now_text(o, when, sizeof when), oview_name(o->view, n),
                                    missing[n], o->committed.len));
    }
}

/* Whether servers a and b agree on their durable logs below their last common (index, term);
 * raises log matching for the first index where they do not. */
static void check_pair_matches(RaftOracle *o, EndpointId a, EndpointId b, Verdict *v)
{
    uint32_t len = (uint32_t)MIN(raft_oracle_log_end(o, a), raft_oracle_log_end(o, b));
    gboolean matched_above = FALSE;
    for (uint32_t i = len; i-- > 0;) {
        RaftEntry ex, ey;
        uint32_t ia, ib = raft_oracle_log_id(o, b, (uint64_t)i + 1);
        if (!raft_oracle_durable_entry(o, a, i + 1, &ex, &ia) ||
            (ib != ia && !raft_oracle_durable_entry(o, b, i + 1, &ey, NULL)) || ib == 0) {
            matched_above = FALSE;
            continue;
        }
        if (ib == ia)
            ey = ex; /* the very same bytes */
        if (ex.term == ey.term)
            matched_above = TRUE;
        if (matched_above && (ex.term != ey.term || ex.idem != ey.idem)) {
            EndpointId nodes[2] = {a, b};
            char when[32];
            verdict_add(v, V_LOG_MATCHING, oview_now(o->view), NULL, 0, nodes, 2,
                        g_strdup_printf("%s and %s agree on a later entry but differ at "
                                        "index %u (at the end, %s)",
                                        oview_name(o->view, a), oview_name(o->view, b), i + 1,
                                        now_text(o, when, sizeof when)));
            return;
        }
    }
}

/* At the end, every pair of durable logs agrees on the prefix up to their last common
 * (index, term). */
void raft_safety_end_checks(void *st, Verdict *v)
{
    RaftOracle *o = st;
    for (EndpointId a = 0; a < o->nodes; a++)
        for (EndpointId b = a + 1; b < o->nodes; b++)
            check_pair_matches(o, a, b, v);
}
