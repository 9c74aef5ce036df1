/* reports/libraft/libraft_oracle.c — the oracle module of the hosted canonical raft.
 *
 * The adapter keeps raft's on-disk records (model/libraft/libraft.h), so raft's durable-state
 * follower and safety oracles (reports/raft/) judge a hosted server's disk unchanged; this module
 * runs them and adds what only the hosted library has:
 *
 *   configurations   the library's membership changes (raft_add, raft_assign, raft_remove) and
 *                    its spares. Every configuration entry that becomes durable in a server's log,
 *                    and the configuration of its durable snapshot, is followed per server.
 *                    Entry (i, T) is committed when the servers durably holding it in term T are
 *                    a majority of the voters of the configuration in force at i (the last
 *                    configuration entry at or below i in their log), or of a configuration the
 *                    leader of T appended after i (a leader counts with its latest one; changes
 *                    are one server at a time, so any two such majorities overlap). The servers
 *                    that must catch up, and the majority an acked write must keep, are the
 *                    voters of the configuration committed last.
 *   snapshots        a server's durable snapshot holds every entry up to its index: an installed
 *                    snapshot leaves its log empty below, which is not a missing entry, and a
 *                    write whose effect it holds is not lost with the log blocks.
 *   persist-before-send
 *                    the library's own messages: a granted vote (not a pre-vote) must be on the
 *                    voter's disk, an append success's last index synced (or in its snapshot),
 *                    when it leaves.
 *
 *   unsafe configurations
 *                    raft's own check (reports/raft/raft_members.c): a configuration that
 *                    commits while a server on another branch of the log holds one whose
 *                    majorities need not meet it, and could still be elected
 *                    (unsafe-configuration).
 *   the library's own breaches of Raft's rules, and the violations they explain: see
 *                    libraft_behaviour.c.
 */
#include "reports/libraft/libraft_oracle.h"

#include "reports/libraft/libraft_state.h"
#include "reports/persist.h"
#include "reports/raft/raft_oracle.h"
#include "reports/raft/raft_durable.h"

#include <string.h>

static guint popcount(uint64_t x)
{
    return (guint)__builtin_popcountll(x);
}

static gboolean is_majority(uint64_t mask, uint64_t voters)
{
    return voters != 0 && popcount(mask & voters) >= popcount(voters) / 2 + 1;
}

/* ---- following configurations ---- */

static void conf_put(LROracle *o, EndpointId n, const LRConf *c)
{
    GArray *a = o->confs[n];
    guint i = a->len;
    while (i > 0 && g_array_index(a, LRConf, i - 1).index > c->index)
        i--;
    if (i > 0 && g_array_index(a, LRConf, i - 1).index == c->index)
        g_array_index(a, LRConf, i - 1) = *c;
    else
        g_array_insert_val(a, i, *c);
}

static void conf_drop(LROracle *o, EndpointId n, uint64_t index)
{
    GArray *a = o->confs[n];
    for (guint i = a->len; i-- > 0;)
        if (g_array_index(a, LRConf, i).index == index) {
            g_array_remove_index(a, i);
            return;
        }
}

/* Whether server n's durable snapshot's configuration is one its log could hold: unless the
 * committed log is known at its index, a configuration entry written there in the committed
 * entry's term with the same voters. 0.15 can put a configuration it never rolled back into a
 * snapshot (an uncommitted configuration entry truncated away, configuration-differs-from-log):
 * such a snapshot says nothing about the configuration in force. */
static gboolean snap_conf_trusted(const LROracle *o, EndpointId n)
{
    const LRSnap *s = &o->snap[n];
    const Chunks *committed = &o->raft->committed;
    if (s->conf_index <= 1 || s->conf_index > committed->len)
        return TRUE;
    const RaftSlot *slot = chunks_at(committed, (guint)(s->conf_index - 1));
    if (!slot->set)
        return TRUE;
    for (guint i = 0; i < o->appended->len; i++) {
        const LRConf *c = &g_array_index(o->appended, LRConf, i);
        if (c->index == s->conf_index && c->term == slot->term && c->voters == s->voters)
            return TRUE;
    }
    return FALSE;
}

/* The voters in force at `index` in server n's durable log (its snapshot's configuration when
 * that is later than any entry at or below index). */
static uint64_t voters_at(const LROracle *o, EndpointId n, uint64_t index)
{
    uint64_t best = 0, voters = o->boot_voters;
    const GArray *a = o->confs[n];
    for (guint i = a->len; i-- > 0;) {
        const LRConf *c = &g_array_index(a, LRConf, i);
        if (c->index <= index) {
            best = c->index;
            voters = c->voters;
            break;
        }
    }
    const LRSnap *s = &o->snap[n];
    if (s->index != 0 && s->conf_index <= index && s->conf_index >= best && snap_conf_trusted(o, n))
        voters = s->voters;
    return voters;
}

/* Whether every majority of voters a meets every majority of voters b (thesis §4.1: a change
 * of one server at a time ensures it). */
static gboolean majorities_meet(uint64_t a, uint64_t b)
{
    return popcount(a) / 2 + 1 + popcount(b) / 2 + 1 > popcount(a | b);
}

/* Whether c, a configuration the leader of `term` appended after `index`, commits the entry
 * held by `mask`: the leader counts with the latest configuration in its log, durable or not
 * (thesis §4.1), for earlier entries too; that is safe when any majority of c meets any
 * majority of the configuration in force at the entry, which one-server changes ensure. */
static gboolean later_counts(const LRConf *c, uint64_t mask, uint64_t index, uint64_t term,
                             uint64_t at)
{
    return c->index > index && c->term == term && majorities_meet(c->voters, at) &&
           is_majority(mask, c->voters);
}

static gboolean lr_is_quorum(void *ctx, uint64_t mask, uint64_t index, uint64_t term)
{
    const LROracle *o = ctx;
    if (mask == 0)
        return FALSE;
    uint64_t at = voters_at(o, (EndpointId)__builtin_ctzll(mask), index);
    if (is_majority(mask, at))
        return TRUE;
    for (guint n = 0; n < o->nodes; n++)
        for (guint i = 0; i < o->confs[n]->len; i++)
            if (later_counts(&g_array_index(o->confs[n], LRConf, i), mask, index, term, at))
                return TRUE;
    for (guint i = 0; i < o->appended->len; i++)
        if (later_counts(&g_array_index(o->appended, LRConf, i), mask, index, term, at))
            return TRUE;
    return FALSE;
}

/* The voters of the configuration committed last (in the committed prefix, or in a snapshot,
 * which holds only committed state), and its index (0: the bootstrap one). */
static uint64_t committed_voters(const LROracle *o, uint64_t *at)
{
    const Chunks *committed = &o->raft->committed;
    uint64_t best = 0, voters = o->boot_voters;
    for (guint n = 0; n < o->nodes; n++) {
        for (guint i = 0; i < o->confs[n]->len; i++) {
            const LRConf *c = &g_array_index(o->confs[n], LRConf, i);
            if (c->index <= best || c->index > committed->len)
                continue;
            const RaftSlot *s = chunks_at(committed, (guint)(c->index - 1));
            if (s->set && s->term == c->term)
                best = c->index, voters = c->voters;
        }
        const LRSnap *s = &o->snap[n];
        if (s->index != 0 && s->conf_index > best && s->conf_index <= committed->len &&
            snap_conf_trusted(o, n))
            best = s->conf_index, voters = s->voters;
    }
    *at = best;
    return voters;
}

static uint64_t lr_voters(void *ctx)
{
    uint64_t at;
    return committed_voters(ctx, &at);
}

/* The leader of the latest term a leader was seen in (ENDPOINT_NONE: none yet). */
static EndpointId last_leader(const LROracle *o, uint64_t *term)
{
    GHashTableIter it;
    gpointer k, v;
    EndpointId leader = ENDPOINT_NONE;
    *term = 0;
    g_hash_table_iter_init(&it, o->raft->leaders);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (*(const uint64_t *)k >= *term) {
            *term = *(const uint64_t *)k;
            leader = (EndpointId)(GPOINTER_TO_UINT(v) - 1);
        }
    return leader;
}

/* The servers that must catch up: the voters of the configuration committed last, but those
 * the last leader's latest configuration (appended after it, not yet committed) removes: a
 * leader replicates to the servers of its latest configuration only (thesis §4.1). */
static uint64_t lr_catch_up_voters(void *ctx)
{
    const LROracle *o = ctx;
    uint64_t at, term, voters = committed_voters(o, &at);
    EndpointId l = last_leader(o, &term);
    if (l == ENDPOINT_NONE || l >= o->nodes)
        return voters;
    const LRConf *latest = NULL;
    const GArray *a = o->confs[l];
    if (a->len > 0)
        latest = &g_array_index(a, LRConf, a->len - 1);
    for (guint i = 0; i < o->appended->len; i++) {
        const LRConf *c = &g_array_index(o->appended, LRConf, i);
        if (c->term == term && (!latest || c->index > latest->index))
            latest = c;
    }
    return latest && latest->index > at ? voters & latest->voters : voters;
}

static uint64_t lr_covered(void *ctx, EndpointId node)
{
    const LROracle *o = ctx;
    return o->snap[node].index;
}

/* ---- the events ---- */

static void follow_log(LROracle *o, EndpointId node, const DiskBlock *old, const DiskBlock *neu)
{
    RaftEntry e;
    uint64_t voters;
    if (old && raft_decode_entry(old, &e) == BLOCK_OK && libraft_record_conf(&e, &voters))
        conf_drop(o, node, e.index);
    if (neu && raft_decode_entry(neu, &e) == BLOCK_OK && libraft_record_conf(&e, &voters))
        conf_put(o, node, &(LRConf){e.index, e.term, voters});
}

static void follow_damage(GArray *d, uint32_t idx, gboolean hit)
{
    for (guint i = 0; i < d->len; i++)
        if (g_array_index(d, uint32_t, i) == idx) {
            if (!hit)
                g_array_remove_index_fast(d, i);
            return;
        }
    if (hit)
        g_array_append_val(d, idx);
}

static gboolean is_damaged(const GArray *d, uint32_t idx)
{
    for (guint i = 0; i < d->len; i++)
        if (g_array_index(d, uint32_t, i) == idx)
            return TRUE;
    return FALSE;
}

/* Whether node's log backs a claim to hold entries up to `last`: synced since last written, or
 * hit by a media fault since. Below an installed snapshot the log is a hole, and the scrub may
 * be writing a damaged block again: then the last entry alone is asked (the adapter's appends
 * are in order and one fsync covers the file). */
static gboolean log_backs(LROracle *o, EndpointId node, uint64_t last)
{
    const Disk *d = oview_disk(o->view, node);
    const GArray *damaged = o->damaged[node];
    if (o->snap[node].index == 0 && damaged->len == 0)
        return raft_oracle_prefix_synced(o->raft, node, last);
    guint file;
    uint32_t block;
    if (raft_log_locate(d, last, FALSE, &file, &block) && disk_block_was_synced(d, file, block))
        return TRUE;
    return is_damaged(damaged, (uint32_t)last - 1);
}

static void follow_snapshot(LROracle *o, EndpointId node)
{
    LRSnap *s = &o->snap[node];
    uint64_t term;
    if (!libraft_durable_snapshot(oview_disk(o->view, node), &s->index, &term, &s->conf_index,
                                  &s->voters))
        memset(s, 0, sizeof *s);
}

static void lr_durable(void *st, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                       const DiskBlock *neu, DiskChange cause)
{
    LROracle *o = st;
    uint32_t seg;
    if (raft_oracle_segment_of(o->raft, node, file, &seg)) {
        /* Before raft's module counts support with it. A configuration the server stored stays
         * its own under media damage (its scrub writes the block again; the damage is the fault
         * budget's): the configuration in force does not change with it. */
        if (cause != DISK_CHANGE_MEDIA)
            follow_log(o, node, old, neu);
        follow_damage(o->damaged[node], idx + seg * RAFT_SEGMENT_ENTRIES,
                      cause == DISK_CHANGE_MEDIA);
    } else if (cause != DISK_CHANGE_MEDIA) {
        /* Any other file may be (or have been) the snapshot: what the server stored, media
         * damage since notwithstanding (its scrub or its repair deals with that; the damage is
         * the fault budget's, as for log blocks). */
        follow_snapshot(o, node);
    }
    const char *path = disk_file_path(oview_disk(o->view, node), file);
    if (path && strcmp(path, LIBRAFT_SNAP_PATH) == 0)
        return;
    raft_oracle.durable(o->raft, node, file, idx, old, neu, cause);
}

/* Persist-before-send for the library's messages. */
static void lr_sent(void *st, const Msg *m)
{
    LROracle *o = st;
    LibraftPeek p;
    if (m->from >= o->nodes || !libraft_msg_peek(m, &p))
        return;
    if (p.type == LIBRAFT_MSG_VOTE_RESULT && p.granted && !p.pre_vote) {
        if (m->to < o->nodes)
            lr_behaviour_vote(o, m->from, m->to, p.term);
        uint64_t key = p.term << 8 | m->from;
        gpointer vote = g_hash_table_lookup(o->raft->votes, &key);
        if (!vote || GPOINTER_TO_UINT(vote) - 1 != m->to) {
            g_autofree char *what = g_strdup_printf("its vote in term %" G_GUINT64_FORMAT, p.term);
            persist_unpersisted(o->view, m, what, o->raft->found);
        }
        return;
    }
    if (p.type == LIBRAFT_MSG_TIMEOUT_NOW && m->to < o->nodes) {
        lr_behaviour_transfer(o, m->from, m->to);
        return;
    }
    gpointer lead = g_hash_table_lookup(o->raft->leaders, &p.term);
    if ((p.type == LIBRAFT_MSG_INSTALL || p.type == LIBRAFT_MSG_APPEND) && m->to < o->nodes &&
        lead && GPOINTER_TO_UINT(lead) - 1 == m->from)
        lr_behaviour_reached(o, m->from, m->to, p.term);
    if (p.type == LIBRAFT_MSG_INSTALL && m->to < o->nodes) {
        o->install_sent[m->to] = p.last_log_index;
        return;
    }
    if (p.type != LIBRAFT_MSG_APPEND_RESULT || p.rejected != 0 || p.last_log_index == 0)
        return;
    gpointer leader = g_hash_table_lookup(o->raft->leaders, &p.term);
    if (leader && GPOINTER_TO_UINT(leader) - 1 == m->to)
        lr_behaviour_claim(o, m->from, m->to, p.term, p.last_log_index);
    if (p.last_log_index > o->snap[m->from].index && !log_backs(o, m->from, p.last_log_index)) {
        if (p.last_log_index == o->install_sent[m->from])
            lr_behaviour_install_ack(o, m->from, p.last_log_index);
        g_autofree char *what = g_strdup_printf(
            "an append success with last index %" G_GUINT64_FORMAT, p.last_log_index);
        persist_unpersisted(o->view, m, what, o->raft->found);
    }
}

static void lr_note(void *st, EndpointId node, const ProtoAction *note)
{
    LROracle *o = st;
    raft_oracle.note(o->raft, node, note);
    if (note->sub == NOTE_ROLE)
        lr_behaviour_role(o, node, (NodeRole)note->a, note->b);
    else if (note->sub == NOTE_COMMIT)
        lr_behaviour_commit(o, node, note->a, note->b);
    else if (note->sub == NOTE_CONFIG) {
        o->conf_used[node] = note->a;
        o->conf_at[node] = note->b;
        lr_behaviour_config(o, node, note->a, note->b);
    } else if (note->sub == NOTE_REFUSED)
        lr_behaviour_refused(o, node, (guint)note->a, (SimTime)note->c);
    else if (note->sub == NOTE_HALTED)
        lr_behaviour_halted(o, node, note->a);
}

static void lr_booted(void *st, EndpointId node, const ProtoDiskImage *image)
{
    LROracle *o = st;
    raft_oracle.booted(o->raft, node, image);
}

/* A configuration entry written to a log (by its leader, or copied from it): FALSE if known. */
static gboolean note_appended(LROracle *o, const RaftEntry *e, uint64_t voters)
{
    for (guint i = 0; i < o->appended->len; i++) {
        const LRConf *c = &g_array_index(o->appended, LRConf, i);
        if (c->index == e->index && c->term == e->term)
            return FALSE;
    }
    LRConf c = {e->index, e->term, voters};
    g_array_append_val(o->appended, c);
    return TRUE;
}

/* A write or truncation of a log segment (through a named descriptor; an unlink is a truncation
 * to 0). */
static void lr_submitted_path(void *st, EndpointId node, const char *path, uint32_t index,
                              const DiskBlock *block)
{
    LROracle *o = st;
    raft_oracle.submitted_path(o->raft, node, path, index, block);
    uint32_t seg;
    if (!raft_segment_parse(path, &seg))
        return;
    index += seg * RAFT_SEGMENT_ENTRIES;
    RaftEntry e;
    uint64_t voters;
    gboolean conf = block && raft_decode_entry(block, &e) == BLOCK_OK;
    if (conf)
        lr_behaviour_placed(o, &e);
    conf = conf && libraft_record_conf(&e, &voters);
    if (conf && note_appended(o, &e, voters)) {
        lr_behaviour_conf_appended(o, node, &e);
        raft_oracle_recount(o->raft); /* the leader of its term counts with it from now on */
    }
    /* The log's configuration may have moved away from the one in use (or back). */
    if ((conf || !block || (uint64_t)index < o->conf_at[node]) && o->conf_at[node] != 0)
        lr_behaviour_config(o, node, o->conf_used[node], o->conf_at[node]);
}

/* ---- what the generic oracles take ---- */

/* Commitment decides an ack (acks_need_commitment); the copies it needs are at least a majority
 * of the smallest configuration. */
static guint lr_ack_copies(void *st)
{
    const LROracle *o = st;
    return o->min_voters / 2 + 1;
}

/* A snapshot holds every effect applied at or below its index. */
static uint64_t snapshot_mask(const LROracle *o, const Ledger *l)
{
    uint64_t mask = 0;
    for (guint n = 0; l->effect_index != 0 && n < o->nodes; n++)
        if (o->snap[n].index >= l->effect_index)
            mask |= (uint64_t)1 << n;
    return mask;
}

static void lr_snapshot_holders(void *st, const Ledger *l, NodeSet *out)
{
    out->w[0] |= snapshot_mask(st, l); /* raft clusters have at most 64 servers */
}

/* After settle: the copies of the voters of the configuration committed last count, in their
 * logs or their snapshots. */
static void lr_settled_copies(void *st, const Ledger *l, const NodeSet *up_set, RedundancyView *out)
{
    LROracle *o = st;
    uint64_t voters = lr_voters(o), up = nodeset_low64(up_set);
    NodeSet held;
    ledger_holders(o->raft->ledger, l, &held);
    uint64_t holders = (nodeset_low64(&held) | snapshot_mask(o, l)) & voters;
    nodeset_from64(&out->holders, o->nodes, holders);
    nodeset_from64(&out->sources, o->nodes, holders & up);
    nodeset_from64(&out->room, o->nodes, (up | holders) & voters);
}

static gboolean lr_lost(void *st, const Ledger *l, const NodeSet *held)
{
    LROracle *o = st;
    uint64_t holders = nodeset_low64(held);
    return !is_majority(holders, lr_voters(o));
}

static gboolean lr_visible(void *st, const Ledger *l)
{
    LROracle *o = st;
    return raft_oracle.visible(o->raft, l);
}

static void lr_convergence(void *st, gboolean healed)
{
    LROracle *o = st;
    raft_oracle.convergence(o->raft, healed);
}

static void lr_end_checks(void *st, Verdict *v)
{
    LROracle *o = st;
    raft_oracle.end_checks(o->raft, v);
}

static void lr_annotate(void *st, Verdict *v)
{
    LROracle *o = st;
    uint64_t term;
    EndpointId l = last_leader(o, &term);
    if (l != ENDPOINT_NONE && l < o->nodes) {
        const GArray *a = o->confs[l];
        uint64_t voters =
            a->len ? g_array_index(a, LRConf, a->len - 1).voters : voters_at(o, l, UINT64_MAX);
        lr_behaviour_unreached(o, l, term, voters);
    }
    lr_behaviour_explain(st, v);
}

/* ---- life cycle ---- */

/* The bootstrap configuration: n1..nV vote, the others are spares (no role raft's RaftMembers
 * counts). */
static RaftMembers lr_bootstrap(const WorldConfig *c)
{
    guint v = libraft_voters(c);
    return (RaftMembers){v >= 32 ? UINT32_MAX : (1u << v) - 1, 0};
}

static void *lr_create(const OracleEnv *env)
{
    /* Raft's configuration tracking judges configurations that commit against those of other
     * branches (unsafe-configuration); commitment and catch-up use this module's membership,
     * which also knows the configurations of snapshots. */
    static const RaftOracleProfile profile = {.configurations = TRUE, .bootstrap = lr_bootstrap};
    LROracle *o = g_new0(LROracle, 1);
    o->raft = raft_oracle_create_for(env, &profile);
    o->view = env->view;
    o->nodes = env->view->cfg->nodes;
    o->boot_voters = (uint64_t)1 << libraft_voters(env->view->cfg);
    o->boot_voters -= 1;
    o->min_voters = libraft_min_voters(env->view->cfg);
    o->confs = g_new0(GArray *, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->confs[n] = g_array_new(FALSE, FALSE, sizeof(LRConf));
    o->snap = g_new0(LRSnap, o->nodes);
    o->appended = g_array_new(FALSE, FALSE, sizeof(LRConf));
    o->conf_used = g_new0(uint64_t, o->nodes);
    o->conf_at = g_new0(uint64_t, o->nodes);
    o->install_sent = g_new0(uint64_t, o->nodes);
    o->damaged = g_new0(GArray *, o->nodes);
    for (guint n = 0; n < o->nodes; n++)
        o->damaged[n] = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    lr_behaviour_init(o);
    o->raft->members = (RaftMembership){
        .ctx = o, .is_quorum = lr_is_quorum, .voters = lr_catch_up_voters, .covered = lr_covered};
    return o;
}

static void lr_destroy(void *st)
{
    LROracle *o = st;
    raft_oracle.destroy(o->raft);
    lr_behaviour_clear(o);
    for (guint n = 0; n < o->nodes; n++) {
        g_array_free(o->confs[n], TRUE);
        g_array_free(o->damaged[n], TRUE);
    }
    g_free(o->confs);
    g_array_free(o->appended, TRUE);
    g_free(o->conf_used);
    g_free(o->conf_at);
    g_free(o->damaged);
    g_free(o->install_sent);
    g_free(o->snap);
    g_free(o);
}

const OracleModule libraft_oracle = {
    .name = "libraft",
    .create = lr_create,
    .destroy = lr_destroy,
    .durable = lr_durable,
    .sent = lr_sent,
    .note = lr_note,
    .booted = lr_booted,
    .submitted_path = lr_submitted_path,
    .ack_copies = lr_ack_copies,
    .acks_need_commitment = TRUE,
    .lost = lr_lost,
    .loss_names_survivors = TRUE,
    .visible = lr_visible,
    .snapshot_holders = lr_snapshot_holders,
    .merging_adds = FALSE,
    .convergence = lr_convergence,
    .settled_copies = lr_settled_copies,
    .end_checks = lr_end_checks,
    .annotate = lr_annotate,
};
