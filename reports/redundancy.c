/* reports/redundancy.c — the lost-redundancy oracle (see redundancy.h). */
#include "reports/redundancy.h"

#include "reports/ledger.h"

#define LOSSES_KEPT 6 /* copy losses remembered per write, for the violation's text */

static guint popcount(uint64_t x)
{
    return (guint)__builtin_popcountll(x);
}

/* What happened to one acknowledged write's copies after its ack (only writes that lost one). */
typedef struct {
    uint64_t fault_taken; /* nodes whose copy a fault took, and that have none since */
    guint nlosses;
    struct {
        SimTime t;
        EndpointId node;
        uint8_t cause;
    } losses[LOSSES_KEPT]; /* the first LOSSES_KEPT-1, then the latest */
    gboolean reported;
} WriteLosses;

/* A copy the protocol took away during the durable change in progress. */
typedef struct {
    uint32_t entry;
    EndpointId node;
    uint8_t cause;
} Drop;

struct Redundancy {
    LedgerBook *book;
    const OracleModule *mod;
    void *st;
    uint64_t hurt;      /* nodes a fault took durable content from */
    GHashTable *losses; /* entry+1 -> WriteLosses*; lookups only, never iterated */
    GArray *drops;      /* of Drop, during one durable change */
    gboolean keep;
    GArray *history; /* of RedundancyPoint */
};

Redundancy *redundancy_new(LedgerBook *b, const OracleModule *mod, void *st)
{
    Redundancy *r = g_new0(Redundancy, 1);
    r->book = b;
    r->mod = mod;
    r->st = st;
    r->losses = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    r->drops = g_array_new(FALSE, FALSE, sizeof(Drop));
    r->history = g_array_new(FALSE, FALSE, sizeof(RedundancyPoint));
    return r;
}

void redundancy_free(Redundancy *r)
{
    if (!r)
        return;
    g_hash_table_unref(r->losses);
    g_array_free(r->drops, TRUE);
    g_array_free(r->history, TRUE);
    g_free(r);
}

void redundancy_keep_history(Redundancy *r, gboolean keep)
{
    r->keep = keep;
}

guint redundancy_need(const Redundancy *r)
{
    return r->mod->ack_copies(r->st);
}

static WriteLosses *losses_of(Redundancy *r, uint32_t entry, gboolean create)
{
    gpointer key = GUINT_TO_POINTER(entry + 1);
    WriteLosses *w = g_hash_table_lookup(r->losses, key);
    if (!w && create) {
        w = g_new0(WriteLosses, 1);
        g_hash_table_insert(r->losses, key, w);
    }
    return w;
}

gboolean redundancy_reported(const Redundancy *r, uint32_t entry)
{
    const WriteLosses *w = g_hash_table_lookup(r->losses, GUINT_TO_POINTER(entry + 1));
    return w && w->reported;
}

static void record(Redundancy *r, const Ledger *l, uint32_t entry)
{
    if (!r->keep)
        return;
    RedundancyPoint p = {oview_now(r->book->view), entry,
                         (uint8_t)popcount(ledger_holders(r->book, l))};
    g_array_append_val(r->history, p);
}

void redundancy_acked(Redundancy *r, Ledger *l)
{
    record(r, l, ledger_index(r->book, l));
}

static gboolean is_fault(DiskChange cause)
{
    return cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE || cause == DISK_CHANGE_POWER;
}

void redundancy_copy_changed(Redundancy *r, Ledger *l, EndpointId node, int delta, DiskChange cause)
{
    uint32_t entry = ledger_index(r->book, l);
    record(r, l, entry);
    WriteLosses *w = losses_of(r, entry, delta < 0);
    if (!w)
        return;
    uint64_t bit = (uint64_t)1 << node;
    if (delta > 0) {
        w->fault_taken &= ~bit; /* it holds a copy again */
        return;
    }
    if (is_fault(cause) && l->counts[node] == 0)
        w->fault_taken |= bit;
    guint i = w->nlosses < LOSSES_KEPT ? w->nlosses : LOSSES_KEPT - 1;
    w->losses[i].t = oview_now(r->book->view);
    w->losses[i].node = node;
    w->losses[i].cause = (uint8_t)cause;
    w->nlosses++;
    if (!is_fault(cause) && !(r->hurt & bit)) {
        Drop d = {entry, node, (uint8_t)cause};
        g_array_append_val(r->drops, d);
    }
}

void redundancy_durable(Redundancy *r, EndpointId node, const DiskBlock *old, DiskChange cause)
{
    if (cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE ||
        (cause == DISK_CHANGE_POWER && old != NULL))
        r->hurt |= (uint64_t)1 << node;
}

/* "write w17 (put k0) acked at 1.2s with 2 durable copies (r1, r2), of W = 2 owed: " */
static void describe(Redundancy *r, const Ledger *l, GString *s)
{
    const OracleView *v = r->book->view;
    char when[32];
    ledger_describe_write(r->book, l, s);
    g_string_append_printf(s, " acked at %s with %u durable cop%s (",
                           sim_time_format_human(l->acked_at, when, sizeof when),
                           popcount(l->at_ack), popcount(l->at_ack) == 1 ? "y" : "ies");
    oview_format_nodes(v, l->at_ack, s);
    g_string_append_printf(s, "), %u owed", redundancy_need(r));
}

/* "; it lost its copy on r1 at 3.4s (destroyed by a media fault), ..." */
static void describe_losses(Redundancy *r, const WriteLosses *w, GString *s)
{
    if (!w || w->nlosses == 0)
        return;
    const OracleView *v = r->book->view;
    g_string_append(s, "; copies lost:");
    guint n = MIN(w->nlosses, (guint)LOSSES_KEPT);
    for (guint i = 0; i < n; i++) {
        char when[32];
        if (i == LOSSES_KEPT - 1 && w->nlosses > LOSSES_KEPT)
            g_string_append_printf(s, " ... (%u in all), last", w->nlosses);
        g_string_append_printf(s, "%s %s at %s (%s)", i ? "," : "",
                               oview_name(v, w->losses[i].node),
                               sim_time_format_human(w->losses[i].t, when, sizeof when),
                               ledger_change_text((DiskChange)w->losses[i].cause));
    }
}

static void report(Redundancy *r, const Ledger *l, WriteLosses *w, EndpointId node, char *text,
                   Verdict *found)
{
    w->reported = TRUE;
    uint32_t ops[1] = {l->acked_op};
    EndpointId nodes[1] = {node};
    verdict_add(found, V_UNDER_REPLICATED, oview_now(r->book->view), ops, 1, nodes,
                node == ENDPOINT_NONE ? 0 : 1, text);
}

void redundancy_change_done(Redundancy *r, Verdict *found)
{
    for (guint i = 0; i < r->drops->len; i++) {
        const Drop *d = &g_array_index(r->drops, Drop, i);
        Ledger *l = ledger_at(r->book, d->entry);
        WriteLosses *w = losses_of(r, d->entry, TRUE);
        if (w->reported || l->counts[d->node] > 0)
            continue; /* rewritten in the same change, or already reported */
        if (r->mod->owes_copies && !r->mod->owes_copies(r->st, l))
            continue;
        uint64_t kept = ledger_holders(r->book, l) | l->damaged | w->fault_taken;
        if (r->mod->snapshot_holders)
            kept |= r->mod->snapshot_holders(r->st, l); /* compacted into a snapshot, not lost */
        guint need = redundancy_need(r);
        if (popcount(kept) >= need)
            continue;
        GString *s = g_string_new(NULL);
        describe(r, l, s);
        char when[32];
        g_string_append_printf(
            s,
            ": %s took its copy away (%s) at %s although no fault had hurt "
            "it, leaving %u (",
            oview_name(r->book->view, d->node), ledger_change_text((DiskChange)d->cause),
            sim_time_format_human(oview_now(r->book->view), when, sizeof when), popcount(kept));
        oview_format_nodes(r->book->view, kept, s);
        g_string_append(s, ")");
        report(r, l, w, d->node, g_string_free(s, FALSE), found);
    }
    g_array_set_size(r->drops, 0);
}

static void default_view(Redundancy *r, const Ledger *l, uint64_t up, RedundancyView *out)
{
    uint64_t holders = ledger_holders(r->book, l);
    *out = (RedundancyView){.holders = holders, .sources = holders & up, .room = up | holders};
}

void redundancy_check_settled(Redundancy *r, uint64_t up, Verdict *found)
{
    guint need = redundancy_need(r);
    for (guint i = 0; i < ledger_len(r->book); i++) {
        Ledger *l = ledger_at(r->book, i);
        if (!l->acked || l->key == KEY_NONE || redundancy_reported(r, i))
            continue;
        if (r->mod->owes_copies && !r->mod->owes_copies(r->st, l))
            continue;
        RedundancyView c;
        if (r->mod->settled_copies)
            r->mod->settled_copies(r->st, l, up, &c);
        else
            default_view(r, l, up, &c);
        guint owed = MIN(need, popcount(c.room));
        if (popcount(c.holders) >= owed || c.sources == 0)
            continue; /* enough, or nothing up to repair from (the loss oracles judge that) */
        GString *s = g_string_new(NULL);
        describe(r, l, s);
        char when[32];
        g_string_append_printf(s, ": after settle (%s) %u cop%s count (",
                               sim_time_format_human(oview_now(r->book->view), when, sizeof when),
                               popcount(c.holders), popcount(c.holders) == 1 ? "y" : "ies");
        oview_format_nodes(r->book->view, c.holders, s);
        g_string_append(s, ") although ");
        oview_format_nodes(r->book->view, c.sources, s);
        g_string_append(s, " could repair it");
        WriteLosses *w = losses_of(r, i, TRUE);
        describe_losses(r, w, s);
        report(r, l, w, ENDPOINT_NONE, g_string_free(s, FALSE), found);
    }
}

const RedundancyPoint *redundancy_history(const Redundancy *r, guint *n)
{
    *n = r->history->len;
    return (const RedundancyPoint *)(const void *)r->history->data;
}
