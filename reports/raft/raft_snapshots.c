/* reports/raft/raft_snapshots.c — raft's own snapshots and log compaction, as the oracles see
 * them (RaftOracleProfile.snapshots; the files of model/raft/raft.h).
 *
 * A server's snapshot is the file its durable root names RAFT_SNAP_PATH: its header says which
 * index (and term, and configuration) it holds, and it holds every entry up to there
 * (RaftMembership.covered): an entry compacted out of the log below it is not missing, and a
 * write whose effect it holds is not lost with the log blocks (snapshot_holders). Its
 * configuration is in force from its configuration's index until a later entry of the log.
 *
 * Snapshot safety (V_SNAPSHOT_SAFETY):
 *   - a snapshot is written holding only committed entries: when its header is submitted, the
 *     oracle's committed prefix reaches its index, with its term;
 *   - a durable snapshot never goes back to an earlier index (short of losing the disk): an
 *     install never rolls committed state back;
 *   - compaction never loses a committed entry: a log segment's unlink becomes durable only
 *     when the server's durable snapshot holds its entries (in a run that snapshots).
 *
 * Releasing: once every voter of the committed configuration holds a durable snapshot through
 * index F, the oracles' per-entry state below F (the committed prefix, the applied commands) is
 * released, and each server's mirror below its own snapshot; checks that would read it treat
 * those entries as held (a server whose snapshot later goes back below F is judged from F on).
 */
#include "reports/raft/raft_state.h"

#include <string.h>

void raft_snapshots_init(RaftOracle *o)
{
    o->snaps = g_new0(RaftSnapSeen, o->nodes);
}

void raft_snapshots_clear(RaftOracle *o)
{
    g_free(o->snaps);
}

static uint64_t snap_covered(void *ctx, EndpointId node)
{
    const RaftOracle *o = ctx;
    return node < o->nodes ? o->snaps[node].index : 0;
}

RaftMembership raft_snapshots_membership(RaftOracle *o, RaftMembership m)
{
    m.covered = snap_covered;
    return m;
}

uint64_t raft_released(const RaftOracle *o)
{
    return (uint64_t)o->committed.released_below << CHUNKS_SHIFT;
}

/* Releases the mirror of node below its snapshot, and the committed prefix and the applied
 * commands below every voter's. */
static void release(RaftOracle *o, EndpointId node)
{
    Chunks *log = &o->mirror[node];
    uint64_t upto = MIN(o->snaps[node].index, (uint64_t)log->len);
    uint64_t from = (uint64_t)log->released_below << CHUNKS_SHIFT;
    uint64_t whole = upto >> CHUNKS_SHIFT << CHUNKS_SHIFT;
    if (whole > from && log->first_cap >= CHUNKS_PER) {
        for (uint64_t i = from; i < whole; i++)
            block_store_unref(o->view->store, chunks_index(log, uint32_t, i));
        chunks_release_below(log, (guint)whole);
    }
    uint64_t voters = o->members.voters ? o->members.voters(o->members.ctx) : 0;
    uint64_t floor = UINT64_MAX;
    for (EndpointId n = 0; n < o->nodes; n++)
        if ((voters >> n) & 1)
            floor = MIN(floor, o->snaps[n].index);
    if (floor == UINT64_MAX)
        return;
    floor = MIN(floor, (uint64_t)o->committed.len);
    chunks_release_below(&o->committed, (guint)floor);
    chunks_release_below(&o->applied, (guint)MIN(floor, (uint64_t)o->applied.len));
}

/* The mirror of node was rebuilt from its disk (a boot): what its snapshot holds goes again. */
void raft_snapshots_booted(RaftOracle *o, EndpointId node)
{
    raft_members_compacted(o, node, o->snaps[node].index);
    release(o, node);
}

static void report(RaftOracle *o, EndpointId node, char *text)
{
    EndpointId nodes[1] = {node};
    verdict_add(o->found, V_SNAPSHOT_SAFETY, oview_now(o->view), NULL, 0, nodes, 1, text);
}

/* The snapshot node's disk durably names, taken if it is another than the one seen: FALSE when
 * none is named. */
static gboolean take_named(RaftOracle *o, EndpointId node)
{
    const Disk *d = oview_disk(o->view, node);
    RaftSnapSeen *s = &o->snaps[node];
    gint file = disk_lookup(d, RAFT_SNAP_PATH, TRUE);
    DiskBlock b;
    RaftSnapHead h;
    if (file < 0)
        return FALSE;
    if (!disk_durable_block(d, (guint)file, 0, &b) || raft_decode_snap_head(&b, &h) != BLOCK_OK)
        return TRUE;
    if (h.index == s->index && h.term == s->term)
        return TRUE;
    if (h.index < s->index) {
        char when[32];
        report(o, node,
               g_strdup_printf("%s's durable snapshot went back from index %" G_GUINT64_FORMAT
                               " to %" G_GUINT64_FORMAT " at %s: committed state rolled back",
                               oview_name(o->view, node), s->index, h.index,
                               sim_time_format_human(oview_now(o->view), when, sizeof when)));
    }
    o->snap_high = MAX(o->snap_high, h.index);
    *s = (RaftSnapSeen){.reported = s->reported,
                        .index = h.index,
                        .term = h.term,
                        .members = raft_members_unpack(h.members),
                        .members_index = h.members_index};
    raft_members_compacted(o, node, h.index);
    release(o, node);
    return TRUE;
}

/* Node's durable image changed outside its fixed files: its snapshot may have. */
void raft_snapshots_durable(RaftOracle *o, EndpointId node, DiskChange cause)
{
    if (cause == DISK_CHANGE_MEDIA)
        return; /* damage since: the scrub's or the repair's business, and the fault budget's */
    RaftSnapSeen *s = &o->snaps[node];
    if (cause == DISK_CHANGE_WIPE) {
        *s = (RaftSnapSeen){.reported = s->reported}; /* the disk is lost: it starts over */
        return;
    }
    if (!take_named(o, node) && cause != DISK_CHANGE_UNLINK)
        *s = (RaftSnapSeen){0}; /* (an unlink: the old snapshot leaves before the new one comes) */
}

/* The snapshot's name may have become durable without any file's reach changing (renamed over
 * from a temporary name that an earlier fsync of the root had made durable, or kept by a power
 * cut): read again before it is relied on. */
void raft_snapshots_refresh(RaftOracle *o, EndpointId node)
{
    if (o->profile.snapshots && raft_config(o->view->cfg)->snapshot_every > 0)
        take_named(o, node);
}

/* A snapshot header written: everything it holds must be committed. */
void raft_snapshots_written(RaftOracle *o, EndpointId node, const DiskBlock *b)
{
    RaftSnapHead h;
    if (b->type != RBLK_SNAP_HEAD || raft_decode_snap_head(b, &h) != BLOCK_OK || h.index == 0)
        return;
    const RaftSlot *c = h.index <= raft_released(o) || h.index > o->committed.len
                            ? NULL
                            : chunks_at(&o->committed, (guint)(h.index - 1));
    gboolean committed = h.index <= raft_released(o) || (c && c->set && c->term == h.term);
    if (committed)
        return;
    char when[32];
    report(o, node,
           g_strdup_printf("%s wrote a snapshot through index %" G_GUINT64_FORMAT
                           " (term %" G_GUINT64_FORMAT ") at %s, but entries were committed "
                           "only up to %u%s",
                           oview_name(o->view, node), h.index, h.term,
                           sim_time_format_human(oview_now(o->view), when, sizeof when),
                           o->committed.len,
                           c && c->set ? " (another term's entry at that index)" : ""));
}

/* Node's durable log lost entry `old` because the unlink of a segment that compaction dropped
 * became durable: fine for what its durable snapshot holds; for a committed entry beyond it, the
 * snapshot was not durable yet. */
void raft_snapshots_unlinked(RaftOracle *o, EndpointId node, const RaftEntry *old)
{
    raft_snapshots_refresh(o, node);
    RaftSnapSeen *s = &o->snaps[node];
    if (old->index <= s->index || old->index <= raft_released(o) || old->index > o->committed.len ||
        s->reported == s->index + 1)
        return;
    const RaftSlot *c = chunks_at(&o->committed, (guint)(old->index - 1));
    if (!c->set || c->term != old->term)
        return;                 /* another entry than the committed one at that index */
    s->reported = s->index + 1; /* once per snapshot */
    char when[32];
    report(o, node,
           g_strdup_printf("%s's log lost committed entry %" G_GUINT64_FORMAT
                           " (term %" G_GUINT64_FORMAT ") when its segment was unlinked at %s, "
                           "its durable snapshot holding only up to index %" G_GUINT64_FORMAT,
                           oview_name(o->view, node), old->index, old->term,
                           sim_time_format_human(oview_now(o->view), when, sizeof when), s->index));
}

/* The nodes whose durable snapshot holds the write's effect. */
static uint64_t snapshot_mask(const RaftOracle *o, const Ledger *l)
{
    if (l->effect_index == 0 || !o->members.covered ||
        (o->profile.snapshots && o->snap_high < l->effect_index))
        return 0; /* no snapshot ever reached it */
    uint64_t mask = 0;
    for (EndpointId n = 0; n < o->nodes; n++)
        if (raft_covered(o, n) >= l->effect_index)
            mask |= (uint64_t)1 << n;
    return mask;
}

void raft_oracle_snapshot_holders(void *st, const Ledger *l, NodeSet *out)
{
    for (EndpointId n = 0; n < ((RaftOracle *)st)->nodes; n++)
        raft_snapshots_refresh(st, n);
    out->w[0] |= snapshot_mask(st, l); /* raft clusters have at most 64 servers */
}

/* After settle: log copies and snapshots count alike. */
void raft_oracle_settled_copies(void *st, const Ledger *l, const NodeSet *up, RedundancyView *out)
{
    RaftOracle *o = st;
    ledger_holders(o->ledger, l, &out->holders);
    out->holders.w[0] |= snapshot_mask(o, l);
    out->sources = out->holders;
    nodeset_intersect(&out->sources, up);
    out->room = *up;
    nodeset_union(&out->room, &out->holders);
}
