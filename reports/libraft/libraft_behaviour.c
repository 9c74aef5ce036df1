/* reports/libraft/libraft_behaviour.c — breaches of Raft's rules by the hosted library itself,
 * and which violations they explain.
 *
 * libraft 0.15 does three things Raft forbids, seen here as they happen (its commit notes and its
 * messages, against the servers' logs as the raft module mirrors them):
 *
 *   commit-earlier-term   a leader's commit index lands on an entry of an earlier term that was
 *                         not committed yet: it counted replicas of that entry (Raft 5.4.2,
 *                         Figure 8; canonical/raft#220, fixed after 0.15);
 *   ack-beyond-match      a follower's AppendEntries success claims, as its last index, entries
 *                         that differ from the leader's log at those indexes (it answers with
 *                         everything it has stored, past what the request matched; Raft 5.3);
 *   install-ack-unstored  a follower answers an InstallSnapshot as done, at the snapshot's index,
 *                         for entries it has appended but not stored (raft_io: an entry counts
 *                         once its append completed).
 *
 * And one consequence: a server whose library shuts itself down (RAFT_UNAVAILABLE, NOTE_HALTED)
 * because an AppendEntries contradicts an entry it had committed - after one of the breaches, it
 * explains every violation that follows (a cluster left without a majority to serve).
 *
 * Each breach taints the log positions it made count wrongly. The oracles judge what follows
 * (an early or lost ack, a divergent apply); at the end each violation about a write whose entry
 * sits at a tainted position is marked with the breach, and so is any other violation of a run in
 * which some were (what a wrong commit does next: an overwritten index, a stale read). A
 * violation no breach explains stays unmarked: until shown otherwise, the adapter's bug. The
 * marking changes the text of a violation, never whether it is one.
 */
#include "reports/libraft/libraft_state.h"

#include <string.h>

#define TAINTS_MAX 256
#define CLAIM_SCAN 64 /* how far down a claimed tail is compared */

static const char *const behaviour_name[LR_BEHAVIOUR_COUNT] = {
    [LR_BEHAVIOUR_COMMIT_EARLIER_TERM] = "commit-earlier-term",
    [LR_BEHAVIOUR_ACK_BEYOND_MATCH] = "ack-beyond-match",
    [LR_BEHAVIOUR_INSTALL_ACK_UNSTORED] = "install-ack-unstored",
    [LR_BEHAVIOUR_SELF_ELECT] = "self-elect-same-term",
    [LR_BEHAVIOUR_STALE_LEADER] = "stale-leader-kept",
    [LR_BEHAVIOUR_VOTE_NOT_MEMBER] = "vote-refused-by-non-member",
    [LR_BEHAVIOUR_VOTE_TWICE] = "vote-twice-for-transferee",
    [LR_BEHAVIOUR_CONF_NOT_TAKEN] = "configuration-not-taken",
    [LR_BEHAVIOUR_CONF_DIFFERS] = "configuration-differs-from-log",
    [LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT] = "config-change-before-term-commit",
    [LR_BEHAVIOUR_HALTED] = "halted",
};

static const char *const behaviour_text[LR_BEHAVIOUR_COUNT] = {
    [LR_BEHAVIOUR_COMMIT_EARLIER_TERM] = "a leader committed an entry of an earlier term by "
                                         "counting replicas (Raft 5.4.2; canonical/raft#220, "
                                         "fixed after 0.15)",
    [LR_BEHAVIOUR_ACK_BEYOND_MATCH] = "a follower's AppendEntries success claimed its stored log "
                                      "past what the leader's request matched, a tail that "
                                      "differs from the leader's log (Raft 5.3)",
    [LR_BEHAVIOUR_INSTALL_ACK_UNSTORED] = "a follower answered InstallSnapshot as done for "
                                          "entries it had appended but not stored (raft_io: an "
                                          "entry counts once its append completed)",
    [LR_BEHAVIOUR_SELF_ELECT] = "a server alone among the voters of its configuration made "
                                "itself leader in its current term, without an election "
                                "(canonical/raft#227): another server may have led that term "
                                "already (Election Safety, Raft 5.2)",
    [LR_BEHAVIOUR_STALE_LEADER] =
        "a server went on acting on a leader it had not heard from for over two election "
        "timeouts (a spare, which runs no election timer, never forgets its leader): it refused "
        "vote or pre-vote requests for it (thesis 4.2.3 and 9.6 allow that only within an "
        "election timeout) or sent clients to it, so elections the voters could win, or "
        "clients looking for the leader, fail",
    [LR_BEHAVIOUR_VOTE_NOT_MEMBER] =
        "a server refused its vote because it is no voter of its own latest configuration, "
        "though the candidate's configuration counts it (thesis 4.1: servers answer requests "
        "without consulting their configurations), so elections the candidate's configuration "
        "allows fail",
    [LR_BEHAVIOUR_VOTE_TWICE] =
        "a server granted its vote twice in one term: having stepped down with a leadership "
        "transfer of its own still pending, it voted for the transfer's target after voting "
        "for another candidate (the transferee shortcut, canonical/raft#139; Raft 5.2: at most "
        "one vote per term)",
    [LR_BEHAVIOUR_CONF_NOT_TAKEN] =
        "the last leader never replicated to a voter of the latest configuration in its own "
        "log: 0.15's configuration in memory had not followed its log (a configuration entry "
        "appended while it stood for election, or one truncated or compacted away without its "
        "configuration rolled back, canonical/raft#250; Raft 4.1: a server uses the latest "
        "configuration in its log)",
    [LR_BEHAVIOUR_CONF_DIFFERS] =
        "the server's configuration in use had other voters than the latest configuration in "
        "its own log (an entry truncated or compacted away without its configuration rolled "
        "back, canonical/raft#250, or one appended while it stood for election): as leader it "
        "counted servers its log does not (Raft 4.1: a server uses the latest configuration in "
        "its log)",
    [LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT] =
        "a new leader appended a configuration entry before any entry of its own term had "
        "committed, so successive leaders' one-server changes on different branches need not "
        "meet (the single-server change bug, Ongaro on raft-dev, 2015; 0.15 lacks the rule that "
        "fixes it)",
    [LR_BEHAVIOUR_HALTED] = "the library shut itself down (RAFT_UNAVAILABLE): an AppendEntries "
                            "contradicted an entry it had committed",
};

void lr_behaviour_init(LROracle *o)
{
    o->taints = g_array_new(FALSE, FALSE, sizeof(LRTaint));
    o->commit_seen = g_new0(uint64_t, o->nodes);
    o->role_seen = g_new0(NodeRole, o->nodes);
    o->role_term = g_new0(uint64_t, o->nodes);
    o->granted = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    o->reached = g_new0(uint64_t, o->nodes);
    o->reached_term = g_new0(uint64_t, o->nodes);
    o->reached_since = g_new0(SimTime, o->nodes);
    o->transferee = g_new(EndpointId, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->transferee[n] = ENDPOINT_NONE;
    idem_table_init(&o->placements, sizeof(LRPlacement));
}

void lr_behaviour_clear(LROracle *o)
{
    g_array_free(o->taints, TRUE);
    g_free(o->commit_seen);
    g_free(o->role_seen);
    g_free(o->role_term);
    g_hash_table_unref(o->granted);
    g_free(o->transferee);
    g_free(o->reached);
    g_free(o->reached_term);
    g_free(o->reached_since);
    idem_table_clear(&o->placements);
}

/* Records a breach; FALSE if it was known already or the list is full. */
static gboolean taint(LROracle *o, LRBehaviour what, EndpointId node, uint64_t lo, uint64_t hi,
                      uint64_t term)
{
    for (guint i = 0; i < o->taints->len; i++) {
        const LRTaint *t = &g_array_index(o->taints, LRTaint, i);
        if (t->what == what && t->lo == lo && t->hi == hi && t->term == term)
            return FALSE;
    }
    if (o->taints->len >= TAINTS_MAX)
        return FALSE;
    LRTaint t = {what, oview_now(o->view), node, lo, hi, term, 0, 0};
    g_array_append_val(o->taints, t);
    return TRUE;
}

void lr_behaviour_placed(LROracle *o, const RaftEntry *e)
{
    if (e->idem == IDEM_NONE)
        return;
    LRPlacement *p = idem_table_insert(&o->placements, e->idem);
    for (guint k = 0; k < LR_PLACEMENTS; k++)
        if (p->index[k] == e->index && p->term[k] == e->term)
            return;
    guint k = p->next++ % LR_PLACEMENTS;
    p->index[k] = e->index;
    p->term[k] = e->term;
}

/* The leader of `term`, or ENDPOINT_NONE. */
static EndpointId leader_of(const LROracle *o, uint64_t term)
{
    gpointer v = g_hash_table_lookup(o->raft->leaders, &term);
    return v ? (EndpointId)(GPOINTER_TO_UINT(v) - 1) : ENDPOINT_NONE;
}

static uint64_t term_held(const LROracle *o, EndpointId node, uint64_t index)
{
    uint64_t term;
    IdemKey idem;
    raft_oracle_held(o->raft, node, index, &term, &idem);
    return term;
}

void lr_behaviour_commit(LROracle *o, EndpointId node, uint64_t index, uint64_t term)
{
    uint64_t before = o->commit_seen[node];
    o->commit_seen[node] = MAX(before, index);
    if (index <= before || leader_of(o, term) != node)
        return;
    /* A commit index at an earlier term's entry: nothing of the current term is at or below it
     * (terms never decrease along a log), so the leader counted replicas of that entry. It
     * matters for what was not committed already (by a majority in its own term). */
    uint64_t at = term_held(o, node, index);
    uint64_t from = MAX(MAX(before, o->raft->committed.len), o->snap[node].index) + 1;
    if (at != 0 && at < term && index >= from)
        taint(o, LR_BEHAVIOUR_COMMIT_EARLIER_TERM, node, from, index, term);
}

void lr_behaviour_claim(LROracle *o, EndpointId follower, EndpointId leader, uint64_t term,
                        uint64_t last)
{
    uint64_t floor = MAX(o->snap[follower].index, o->snap[leader].index);
    if (last <= floor)
        return;
    uint64_t mine = term_held(o, follower, last);
    if (mine == 0 || mine == term_held(o, leader, last))
        return;
    /* The claimed tail: down to where the two logs agree again. */
    uint64_t lo = last;
    while (lo > floor + 1 && last - lo < CLAIM_SCAN &&
           term_held(o, follower, lo - 1) != term_held(o, leader, lo - 1))
        lo--;
    taint(o, LR_BEHAVIOUR_ACK_BEYOND_MATCH, follower, lo, last, term);
}

/* Leader straight from follower in the same term: 0.15 makes a server that is the only voter of
 * its configuration leader without starting an election (it neither raises its term nor asks
 * for votes). A real election raises the term, so the role notes show a candidate or a later
 * term in between. */
void lr_behaviour_role(LROracle *o, EndpointId node, NodeRole role, uint64_t term)
{
    if (role == ROLE_LEADER && o->role_seen[node] == ROLE_FOLLOWER && o->role_term[node] == term)
        taint(o, LR_BEHAVIOUR_SELF_ELECT, node, 0, 0, term);
    o->role_seen[node] = role;
    o->role_term[node] = term;
}

/* The latest refusal of its kind per server: what a stuck cluster waits on. */
static void refusal(LROracle *o, LRBehaviour what, EndpointId node, guint why)
{
    for (guint i = 0; i < o->taints->len; i++) {
        LRTaint *t = &g_array_index(o->taints, LRTaint, i);
        if (t->what == what && t->node == node) {
            t->at = oview_now(o->view);
            t->term = why;
            return;
        }
    }
    taint(o, what, node, 0, 0, why);
}

void lr_behaviour_refused(LROracle *o, EndpointId node, guint why, SimTime heard)
{
    if (why == NOTE_REFUSED_VOTE_NOT_MEMBER) {
        refusal(o, LR_BEHAVIOUR_VOTE_NOT_MEMBER, node, why);
        return;
    }
    /* A voter keeps its leader up to its own (randomized, T..2T) election timeout. */
    if (oview_now(o->view) - heard > 2 * libraft_config(o->view->cfg)->election_timeout)
        refusal(o, LR_BEHAVIOUR_STALE_LEADER, node, why);
}

void lr_behaviour_reached(LROracle *o, EndpointId leader, EndpointId to, uint64_t term)
{
    if (term != o->reached_term[leader]) {
        o->reached_term[leader] = term;
        o->reached[leader] = 0;
        o->reached_since[leader] = oview_now(o->view);
    }
    o->reached[leader] |= (uint64_t)1 << to;
}

/* The taint names the voter left out in lo (= hi). */
void lr_behaviour_unreached(LROracle *o, EndpointId leader, uint64_t term, uint64_t voters)
{
    uint64_t reached = o->reached_term[leader] == term ? o->reached[leader] : 0;
    if (reached == 0)
        return; /* it replicated to no one: nothing tells its configuration */
    uint64_t left = voters & ~reached & ~((uint64_t)1 << leader);
    for (EndpointId n = 0; n < o->nodes; n++)
        if (((left >> n) & 1) && taint(o, LR_BEHAVIOUR_CONF_NOT_TAKEN, leader, n, n, term))
            g_array_index(o->taints, LRTaint, o->taints->len - 1).at = o->reached_since[leader];
}

/* The voters of the latest configuration in node's log (the bootstrap one, or its durable
 * snapshot's, when its log holds none above). */
static uint64_t log_voters(const LROracle *o, EndpointId node)
{
    uint64_t best = 0, voters = o->boot_voters;
    if (o->snap[node].index != 0) {
        best = o->snap[node].conf_index;
        voters = o->snap[node].voters;
    }
    for (guint i = 0; i < o->appended->len; i++) {
        const LRConf *c = &g_array_index(o->appended, LRConf, i);
        if (c->index > best && raft_oracle_held_term(o->raft, node, c->index) == c->term) {
            best = c->index;
            voters = c->voters;
        }
    }
    return voters;
}

/* An interval during which node used other voters than its log says: opened, or closed. */
void lr_behaviour_config(LROracle *o, EndpointId node, uint64_t voters, uint64_t at)
{
    LRTaint *open = NULL;
    for (guint i = 0; i < o->taints->len; i++) {
        LRTaint *t = &g_array_index(o->taints, LRTaint, i);
        if (t->what == LR_BEHAVIOUR_CONF_DIFFERS && t->node == node && t->until == 0)
            open = t;
    }
    gboolean differs = voters != log_voters(o, node);
    if (!differs && open)
        open->until = oview_now(o->view);
    else if (differs && !open)
        taint(o, LR_BEHAVIOUR_CONF_DIFFERS, node, at, at, voters);
}

/* A configuration entry of term T written by the leader of T while no entry of T is in the
 * committed prefix. */
void lr_behaviour_conf_appended(LROracle *o, EndpointId node, const RaftEntry *e)
{
    if (leader_of(o, e->term) != node)
        return;
    const Chunks *committed = &o->raft->committed;
    for (guint i = committed->len; i-- > 0;) {
        const RaftSlot *s = chunks_at(committed, i);
        if (s->set && s->term == e->term)
            return;
        if (s->set && s->term != 0 && s->term < e->term)
            break; /* terms never decrease along the log: none of T below */
    }
    taint(o, LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT, node, e->index, e->index, e->term);
}

/* The index an unsafe-configuration violation names for each of its two configurations. */
static gboolean unsafe_indexes(const Violation *x, uint64_t *a, uint64_t *b)
{
    const char *p = strstr(x->text, "(index ");
    const char *q = p ? strstr(p + 1, "(index ") : NULL;
    if (!p || !q)
        return FALSE;
    *a = g_ascii_strtoull(p + strlen("(index "), NULL, 10);
    *b = g_ascii_strtoull(q + strlen("(index "), NULL, 10);
    return TRUE;
}

void lr_behaviour_transfer(LROracle *o, EndpointId leader, EndpointId target)
{
    o->transferee[leader] = target;
}

/* A second vote in a term is the library's transferee shortcut when it went to the server the
 * voter last asked to take over; any other second vote stays unexplained. */
void lr_behaviour_vote(LROracle *o, EndpointId voter, EndpointId candidate, uint64_t term)
{
    uint64_t key = term << 8 | voter;
    gpointer first = g_hash_table_lookup(o->granted, &key);
    if (first == NULL) {
        uint64_t *k = g_new(uint64_t, 1);
        *k = key;
        g_hash_table_insert(o->granted, k, GUINT_TO_POINTER(candidate + 1u));
        return;
    }
    if (GPOINTER_TO_UINT(first) - 1 != candidate && o->transferee[voter] == candidate)
        taint(o, LR_BEHAVIOUR_VOTE_TWICE, voter, 0, 0, term);
}

/* The term an election-safety violation names ("leader of term 14"), or 0. */
static uint64_t named_term(const Violation *x)
{
    const char *at = strstr(x->text, "leader of term ");
    return at ? g_ascii_strtoull(at + strlen("leader of term "), NULL, 10) : 0;
}

/* A halt is the library's answer to committed logs that diverged: it explains what follows it
 * (a cluster that cannot serve: stuck) only when one of the breaches came first; a halt with no
 * breach before it is left unexplained. */
void lr_behaviour_halted(LROracle *o, EndpointId node, uint64_t commit)
{
    for (guint i = 0; i < o->taints->len; i++)
        if (g_array_index(o->taints, LRTaint, i).what != LR_BEHAVIOUR_HALTED) {
            if (taint(o, LR_BEHAVIOUR_HALTED, node, commit, commit, 0))
                g_array_index(o->taints, LRTaint, o->taints->len - 1).cause = i + 1;
            return;
        }
}

void lr_behaviour_install_ack(LROracle *o, EndpointId follower, uint64_t last)
{
    taint(o, LR_BEHAVIOUR_INSTALL_ACK_UNSTORED, follower, last, last, 0);
}

/* ---- explaining violations ---- */

static gboolean placement_tainted(const LRTaint *t, uint64_t index, uint64_t term)
{
    if (index < t->lo || index > t->hi)
        return FALSE;
    return t->what == LR_BEHAVIOUR_COMMIT_EARLIER_TERM ? term < t->term : term == t->term;
}

/* The log index a violation of the raft module names ("entry 4", "at index 2"), or 0. */
static uint64_t named_index(const Violation *x)
{
    static const char *const words[] = {"committed entry ", "at index "};
    for (gsize w = 0; w < G_N_ELEMENTS(words); w++) {
        const char *at = strstr(x->text, words[w]);
        if (at)
            return g_ascii_strtoull(at + strlen(words[w]), NULL, 10);
    }
    return 0;
}

/* The first taint that explains violation x by the writes it names, by the log index it names
 * (a divergent server, a leader without a committed entry, two applies at one index), or, for
 * an unpersisted send, by the answer itself; -1 if none. */
static int explained_by(const LROracle *o, const Violation *x)
{
    for (guint i = 0; i < o->taints->len; i++) {
        const LRTaint *t = &g_array_index(o->taints, LRTaint, i);
        if (t->what == LR_BEHAVIOUR_HALTED) {
            if (x->time >= t->at)
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_CONF_DIFFERS) {
            gboolean during = x->time >= t->at && (t->until == 0 || x->time <= t->until);
            if (during && x->nnodes > 0 && x->nodes[0] == t->node &&
                (x->kind == V_EARLY_ACK || x->kind == V_DIVERGENT))
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT) {
            uint64_t a, c;
            if (x->kind == V_UNSAFE_CONFIG && unsafe_indexes(x, &a, &c) &&
                (a == t->lo || c == t->lo))
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_CONF_NOT_TAKEN) {
            if (x->kind == V_DIVERGENT && x->nnodes > 0 && x->nodes[0] == t->lo)
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_STALE_LEADER || t->what == LR_BEHAVIOUR_VOTE_NOT_MEMBER) {
            if (x->kind == V_STUCK && t->at >= x->time)
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_SELF_ELECT || t->what == LR_BEHAVIOUR_VOTE_TWICE) {
            if (x->kind == V_ELECTION_SAFETY && named_term(x) == t->term)
                return (int)i;
            continue;
        }
        if (t->what == LR_BEHAVIOUR_INSTALL_ACK_UNSTORED) {
            if (x->kind == V_UNPERSISTED_SEND && x->nnodes > 0 && x->nodes[0] == t->node &&
                x->time == t->at)
                return (int)i;
            continue;
        }
        uint64_t index = x->nops == 0 ? named_index(x) : 0;
        if (index != 0 && index >= t->lo && index <= t->hi)
            return (int)i;
        for (guint k = 0; k < x->nops; k++) {
            if (x->ops[k] >= history_len(o->view->history) ||
                history_is_folded(o->view->history, x->ops[k]))
                continue; /* folded (a get: no placement) */
            IdemKey idem = history_op(o->view->history, x->ops[k])->idem;
            const LRPlacement *p =
                idem != IDEM_NONE ? idem_table_lookup(&o->placements, idem) : NULL;
            for (guint s = 0; p && s < LR_PLACEMENTS && p->index[s] != 0; s++)
                if (placement_tainted(t, p->index[s], p->term[s]))
                    return (int)i;
        }
    }
    return -1;
}

/* What a halt followed: the breach that made committed logs diverge first ("" for others). */
static char *halt_cause(const LROracle *o, const LRTaint *t)
{
    if (t->what != LR_BEHAVIOUR_HALTED || t->cause == 0 || t->cause > o->taints->len)
        return g_strdup("");
    const LRTaint *c = &g_array_index(o->taints, LRTaint, t->cause - 1);
    char when[32];
    sim_time_format_human(c->at, when, sizeof when);
    return g_strdup_printf(", which diverged after %s at %s (%s)", behaviour_name[c->what], when,
                           oview_name(o->view, c->node));
}

static void mark(const LROracle *o, Violation *x, const LRTaint *t, gboolean direct)
{
    char when[32];
    sim_time_format_human(t->at, when, sizeof when);
    g_autofree char *cause = halt_cause(o, t);
    char *text;
    g_autofree char *where =
        t->what == LR_BEHAVIOUR_STALE_LEADER
            ? g_strdup(t->term == NOTE_REFUSED_CLIENT_TO_LEADER     ? "a client sent to it"
                       : t->term == NOTE_REFUSED_PREVOTE_FOR_LEADER ? "a pre-vote refused"
                                                                    : "a vote refused")
        : t->what == LR_BEHAVIOUR_VOTE_NOT_MEMBER ? g_strdup("a vote refused")
        : t->what == LR_BEHAVIOUR_SELF_ELECT || t->what == LR_BEHAVIOUR_VOTE_TWICE ||
                t->what == LR_BEHAVIOUR_CONF_NOT_TAKEN
            ? g_strdup_printf("term %" G_GUINT64_FORMAT, t->term)
        : t->what == LR_BEHAVIOUR_CONF_DIFFERS
            ? g_strdup_printf("its configuration from index %" G_GUINT64_FORMAT, t->lo)
        : t->what == LR_BEHAVIOUR_CONF_BEFORE_TERM_COMMIT
            ? g_strdup_printf("index %" G_GUINT64_FORMAT ", term %" G_GUINT64_FORMAT, t->lo,
                              t->term)
            : g_strdup_printf("index %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, t->lo, t->hi);
    if (direct)
        text = g_strdup_printf("%s; libraft 0.15 %s at %s (%s, %s): %s%s", x->text,
                               behaviour_name[t->what], when, oview_name(o->view, t->node), where,
                               behaviour_text[t->what], cause);
    else
        text = g_strdup_printf("%s; libraft 0.15 %s earlier in this run (%s, %s): %s%s", x->text,
                               behaviour_name[t->what], oview_name(o->view, t->node), when,
                               behaviour_text[t->what], cause);
    g_free(x->text);
    x->text = text;
}

void lr_behaviour_explain(const LROracle *o, Verdict *v)
{
    guint n = v->violations->len;
    g_autofree int *by = g_new(int, n);
    gboolean any = FALSE;
    for (guint i = 0; i < n; i++) {
        by[i] = explained_by(o, g_ptr_array_index(v->violations, i));
        any |= by[i] >= 0;
    }
    for (guint i = 0; i < n; i++) {
        Violation *x = g_ptr_array_index(v->violations, i);
        if (by[i] >= 0) {
            mark(o, x, &g_array_index(o->taints, LRTaint, by[i]), TRUE);
            continue;
        }
        if (!any)
            continue;
        /* What the wrongly counted writes led to: the first breach before it. */
        for (guint t = 0; t < o->taints->len; t++) {
            const LRTaint *b = &g_array_index(o->taints, LRTaint, t);
            if (b->at <= x->time) {
                mark(o, x, b, FALSE);
                break;
            }
        }
    }
}
