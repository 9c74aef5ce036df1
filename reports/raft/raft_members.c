/* reports/raft/raft_members.c — configurations as the raft oracles see them (thesis ch. 4).
 *
 * Each server's log, as the server holds it (the mirror of raft_oracle.c), carries its
 * configuration entries: the configuration in force at an index is the latest entry at or below
 * it (a configuration takes effect when appended), and before any, the protocol's bootstrap
 * configuration. Log matching makes it the same on every server that holds that index's entry,
 * so commitment can be judged against it: entry (i, T) is committed once a majority of the
 * voters of the configuration in force at i hold it durably in term T; a server outside that
 * configuration (removed, or a spare never added) never counts. The committed prefix carries
 * the committed configuration, which the end-of-run checks hold the cluster to.
 *
 * Election safety against configurations: a leader of term T was sent votes in T by a majority
 * of the voters of the configuration it held when it won (itself included, when it votes).
 */
#include "reports/raft/raft_state.h"

#include <string.h>

void raft_members_init(RaftOracle *o)
{
    o->base = o->profile.bootstrap
                  ? o->profile.bootstrap(o->view->cfg)
                  : (RaftMembers){o->nodes >= 32 ? UINT32_MAX : (1u << o->nodes) - 1, 0};
    o->committed_members = o->base;
    o->configs = g_new0(GArray *, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->configs[n] = g_array_new(FALSE, FALSE, sizeof(RaftConfigAt));
    o->granted = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
}

void raft_members_clear(RaftOracle *o)
{
    for (guint n = 0; n < o->nodes; n++)
        g_array_free(o->configs[n], TRUE);
    g_free(o->configs);
    g_hash_table_unref(o->granted);
}

/* Whether block b holds a configuration entry, and which (without decoding other entries). */
static gboolean config_of(const DiskBlock *b, RaftEntry *e)
{
    if (b->type != RBLK_ENTRY || b->body[16] != OP_NOOP)
        return FALSE;
    return raft_decode_entry(b, e) == BLOCK_OK && raft_entry_is_config(e);
}

void raft_members_cut(RaftOracle *o, EndpointId node, uint32_t len)
{
    GArray *a = o->configs[node];
    guint keep = a->len;
    while (keep > 0 && g_array_index(a, RaftConfigAt, keep - 1).index > len)
        keep--;
    g_array_set_size(a, keep);
}

/* A write of block `index`: an append, or a rewrite of that one entry (a scrub's repair, a
 * rewrite after a failed fsync); a server that cuts its log submits a truncation first. */
void raft_members_logged(RaftOracle *o, EndpointId node, uint32_t index, const DiskBlock *b)
{
    GArray *a = o->configs[node];
    uint64_t at = (uint64_t)index + 1;
    guint pos = a->len;
    while (pos > 0 && g_array_index(a, RaftConfigAt, pos - 1).index >= at)
        pos--;
    if (pos < a->len && g_array_index(a, RaftConfigAt, pos).index == at)
        g_array_remove_index(a, pos);
    RaftEntry e;
    if (b && config_of(b, &e) && e.index == at) {
        RaftConfigAt c = {at, raft_members_unpack(e.value)};
        g_array_insert_val(a, pos, c);
    }
}

void raft_members_compacted(RaftOracle *o, EndpointId node, uint64_t upto)
{
    GArray *a = o->configs[node];
    guint drop = 0;
    while (drop < a->len && g_array_index(a, RaftConfigAt, drop).index <= upto)
        drop++;
    g_array_remove_range(a, 0, drop);
}

/* Before any configuration entry of node's log: its snapshot's configuration, or the base. */
static RaftMembers below_log(const RaftOracle *o, EndpointId node)
{
    return o->snaps[node].index ? o->snaps[node].members : o->base;
}

RaftMembers raft_members_at(const RaftOracle *o, EndpointId node, uint64_t index)
{
    const GArray *a = o->configs[node];
    for (guint k = a->len; k > 0; k--) {
        const RaftConfigAt *c = &g_array_index(a, RaftConfigAt, k - 1);
        if (c->index <= index)
            return c->m;
    }
    return below_log(o, node);
}

RaftMembers raft_members_latest(const RaftOracle *o, EndpointId node)
{
    const GArray *a = o->configs[node];
    return a->len ? g_array_index(a, RaftConfigAt, a->len - 1).m : below_log(o, node);
}

gboolean raft_members_is_majority(RaftMembers m, uint64_t mask)
{
    return (guint)__builtin_popcountll(mask & m.voters) >= raft_members_majority(m);
}

/* Whether a majority of a and a majority of b can miss each other. */
static gboolean may_miss(RaftMembers a, RaftMembers b)
{
    return raft_members_majority(a) + raft_members_majority(b) <=
           (guint)__builtin_popcount(a.voters | b.voters);
}

/* The last entry of node's log as it holds it. */
static void last_of(const RaftOracle *o, EndpointId node, uint64_t *index, uint64_t *term)
{
    *index = o->mirror[node].len;
    *term = raft_oracle_held_term(o, node, *index);
}

/* Whether node, whose latest configuration is m, could still be elected: a majority of m's
 * voters hold logs no more up to date than its own (Raft §5.4.1), so would vote for it. */
static gboolean could_win(const RaftOracle *o, EndpointId node, RaftMembers m)
{
    uint64_t index, term, mask = 0;
    last_of(o, node, &index, &term);
    for (uint32_t v = m.voters; v; v &= v - 1) {
        EndpointId n = (EndpointId)__builtin_ctz(v);
        uint64_t vi, vt;
        if (n >= o->nodes)
            continue;
        last_of(o, n, &vi, &vt);
        if (term > vt || (term == vt && index >= vi))
            mask |= (uint64_t)1 << n;
    }
    return raft_members_is_majority(m, mask);
}

static void report_unsafe(RaftOracle *o, EndpointId node, const RaftConfigAt *held,
                          const RaftEntry *e, RaftMembers committed)
{
    g_autofree char *a = raft_members_format(committed), *b = raft_members_format(held->m);
    char when[32];
    EndpointId nodes[1] = {node};
    verdict_add(o->found, V_UNSAFE_CONFIG, oview_now(o->view), NULL, 0, nodes, 1,
                g_strdup_printf("configuration %s (index %" G_GUINT64_FORMAT
                                ", term %" G_GUINT64_FORMAT ") committed at %s while %s, on "
                                "another branch of the log, holds configuration %s (index "
                                "%" G_GUINT64_FORMAT ") and could still be elected: a majority "
                                "of each need not meet the other",
                                a, e->index, e->term,
                                sim_time_format_human(oview_now(o->view), when, sizeof when),
                                oview_name(o->view, node), b, held->index));
}

/* Thesis §4.1: the configurations in force at once must have intersecting majorities, which
 * changes of one server at a time along one log ensure. When a configuration commits, every
 * server whose latest configuration lies on another branch of the log (neither holds the
 * other's entry) and could still be elected must hold one whose majorities meet it. */
static void check_branches(RaftOracle *o, const RaftEntry *e, RaftMembers m)
{
    for (EndpointId n = 0; n < o->nodes; n++) {
        const GArray *a = o->configs[n];
        if (a->len == 0 || raft_oracle_held_term(o, n, e->index) == e->term ||
            e->index <= raft_covered(o, n))
            continue; /* the bootstrap configuration or its snapshot's (committed), or it holds
                         the committed one */
        const RaftConfigAt *held = &g_array_index(a, RaftConfigAt, a->len - 1);
        if (held->index <= raft_released(o))
            continue; /* every voter's snapshot holds it: committed */
        uint64_t held_term = raft_oracle_held_term(o, n, held->index);
        const RaftSlot *c = held->index <= o->committed.len
                                ? chunks_at(&o->committed, (guint)(held->index - 1))
                                : NULL;
        if (c && c->set && (c->term == held_term || c->term == 0))
            continue; /* an earlier configuration of the committed branch (term 0: the entry
                         committed there is known only from a snapshot; no branch to tell) */
        if (may_miss(held->m, m) && could_win(o, n, held->m))
            report_unsafe(o, n, held, e, m);
    }
}

void raft_members_committed(RaftOracle *o, const RaftEntry *e)
{
    if (!raft_entry_is_config(e))
        return;
    o->committed_members = raft_members_unpack(e->value);
    check_branches(o, e, o->committed_members);
}

/* Entry (index, term) durably held in its term by `mask`: committed once they are a majority
 * of the voters of the configuration in force at index (in the log of any of them: log
 * matching makes it the same in all). */
static gboolean members_is_quorum(void *ctx, uint64_t mask, uint64_t index, uint64_t term)
{
    const RaftOracle *o = ctx;
    if (mask == 0)
        return FALSE;
    return raft_members_is_majority(raft_members_at(o, (EndpointId)__builtin_ctzll(mask), index),
                                    mask);
}

static uint64_t members_voters(void *ctx)
{
    const RaftOracle *o = ctx;
    return o->committed_members.voters;
}

RaftMembership raft_members_membership(RaftOracle *o)
{
    return (RaftMembership){.ctx = o, .is_quorum = members_is_quorum, .voters = members_voters};
}

void raft_members_vote_sent(RaftOracle *o, const Msg *m)
{
    const RVoteResp *v = &raft_body(m)->rvr;
    if (!v->granted || v->prevote || m->to >= o->nodes)
        return;
    uint64_t key = v->term << 8 | m->to;
    uint64_t *slot = g_hash_table_lookup(o->granted, &key);
    if (!slot) {
        uint64_t *k = g_new(uint64_t, 2);
        k[0] = key;
        k[1] = 0;
        g_hash_table_insert(o->granted, k, k);
        slot = k;
    }
    slot[1] |= (uint64_t)1 << m->from;
}

void raft_members_check_election(RaftOracle *o, EndpointId node, uint64_t term)
{
    RaftMembers m = raft_members_latest(o, node);
    uint64_t key = term << 8 | node;
    const uint64_t *slot = g_hash_table_lookup(o->granted, &key);
    uint64_t votes = (slot ? slot[1] : 0) | ((uint64_t)1 << node);
    if (raft_members_is_majority(m, votes))
        return;
    char when[32];
    GString *who = g_string_new(NULL), *conf = g_string_new(NULL);
    oview_format_nodes(o->view, votes & m.voters, who);
    oview_format_nodes(o->view, m.voters, conf);
    EndpointId nodes[1] = {node};
    verdict_add(o->found, V_ELECTION_SAFETY, oview_now(o->view), NULL, 0, nodes, 1,
                g_strdup_printf("%s became leader of term %" G_GUINT64_FORMAT " at %s with the "
                                "votes of %s only: not a majority of the voters of its "
                                "configuration (%s)",
                                oview_name(o->view, node), term,
                                sim_time_format_human(oview_now(o->view), when, sizeof when),
                                who->len ? who->str : "none", conf->str));
    g_string_free(who, TRUE);
    g_string_free(conf, TRUE);
}
