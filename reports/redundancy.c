/* reports/redundancy.c — the lost-redundancy oracle (see redundancy.h). */
#include "reports/redundancy.h"

#include "reports/ledger.h"

#define LOSSES_KEPT 6 /* copy losses remembered per write, for the violation's text */

/* What happened to one acknowledged write's copies after its ack (only writes that lost one). */
typedef struct {
    EndpointMask fault_taken; /* nodes whose copy a fault took, and that have none since */
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
    EndpointMask hurt;  /* nodes a fault took durable content from */
    GHashTable *losses; /* entry+1 -> WriteLosses*; lookups only, never iterated */
    GArray *drops;      /* of Drop, during one durable change */
    gboolean keep;
    GArray *history; /* of RedundancyPoint */
};

static void losses_free(gpointer p)
{
    WriteLosses *w = p;
    endpoint_mask_clear(&w->fault_taken);
    g_free(w);
}

Redundancy *redundancy_new(LedgerBook *b, const OracleModule *mod, void *st)
{
    Redundancy *r = g_new0(Redundancy, 1);
    r->book = b;
    r->mod = mod;
    r->st = st;
    r->losses = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, losses_free);
    r->drops = g_array_new(FALSE, FALSE, sizeof(Drop));
    r->history = g_array_new(FALSE, FALSE, sizeof(RedundancyPoint));
    return r;
}

void redundancy_free(Redundancy *r)
{
    if (!r)
        return;
    g_hash_table_unref(r->losses);
    endpoint_mask_clear(&r->hurt);
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
    RedundancyPoint p = {oview_now(r->book->view), entry, l->nholders};
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
    if (delta < 0 && r->mod->snapshot_holders) {
        NodeSet snap;
        nodeset_init(&snap, r->book->view->cfg->nodes);
        r->mod->snapshot_holders(r->st, l, &snap);
        if (nodeset_has(&snap, node))
            return; /* compacted: the node's snapshot holds it, nothing is lost */
    }
    WriteLosses *w = losses_of(r, entry, delta < 0);
    if (!w)
        return;
    if (delta > 0) {
        endpoint_mask_remove(&w->fault_taken, node); /* it holds a copy again */
        return;
    }
    if (is_fault(cause) && ledger_count(r->book, l, node) == 0)
        endpoint_mask_add(&w->fault_taken, node);
    guint i = w->nlosses < LOSSES_KEPT ? w->nlosses : LOSSES_KEPT - 1;
    w->losses[i].t = oview_now(r->book->view);
    w->losses[i].node = node;
    w->losses[i].cause = (uint8_t)cause;
    w->nlosses++;
    if (!is_fault(cause) && !endpoint_mask_has(&r->hurt, node)) {
        Drop d = {entry, node, (uint8_t)cause};
        g_array_append_val(r->drops, d);
    }
}

void redundancy_durable(Redundancy *r, EndpointId node, const DiskBlock *old, DiskChange cause)
{
    if (cause == DISK_CHANGE_MEDIA || cause == DISK_CHANGE_WIPE ||
        (cause == DISK_CHANGE_POWER && old != NULL))
        endpoint_mask_add(&r->hurt, node);
}

/* "write w17 (put k0) acked at 1.2s with 2 durable copies (r1, r2), of W = 2 owed: " */
static void describe(Redundancy *r, const Ledger *l, GString *s)
{
    const OracleView *v = r->book->view;
    char when[32];
    ledger_describe_write(r->book, l, s);
    NodeSet at_ack;
    ledger_flagged(r->book, l, LCOPY_AT_ACK, &at_ack);
    guint n = nodeset_count(&at_ack);
    g_string_append_printf(s, " acked at %s with %u durable cop%s (",
                           sim_time_format_human(l->acked_at, when, sizeof when), n,
                           n == 1 ? "y" : "ies");
    oview_format_nodeset(v, &at_ack, s);
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
        if (w->reported || ledger_count(r->book, l, d->node) > 0)
            continue; /* rewritten in the same change, or already reported */
        if (r->mod->owes_copies && !r->mod->owes_copies(r->st, l))
            continue;
        NodeSet kept, damaged;
        ledger_holders(r->book, l, &kept);
        ledger_flagged(r->book, l, LCOPY_DAMAGED, &damaged);
        nodeset_union(&kept, &damaged);
        for (EndpointId n = endpoint_mask_next(&w->fault_taken, 0); n != ENDPOINT_NONE;
             n = endpoint_mask_next(&w->fault_taken, n + 1u))
            nodeset_add(&kept, n);
        if (r->mod->snapshot_holders)
            r->mod->snapshot_holders(r->st, l, &kept); /* compacted into a snapshot, not lost */
        guint need = redundancy_need(r);
        if (nodeset_count(&kept) >= need)
            continue;
        GString *s = g_string_new(NULL);
        describe(r, l, s);
        char when[32];
        g_string_append_printf(s,
                               ": %s took its copy away (%s) at %s although no fault had hurt "
                               "it, leaving %u (",
                               oview_name(r->book->view, d->node),
                               ledger_change_text((DiskChange)d->cause),
                               sim_time_format_human(oview_now(r->book->view), when, sizeof when),
                               nodeset_count(&kept));
        oview_format_nodeset(r->book->view, &kept, s);
        g_string_append(s, ")");
        report(r, l, w, d->node, g_string_free(s, FALSE), found);
    }
    g_array_set_size(r->drops, 0);
}

static void default_view(Redundancy *r, const Ledger *l, const NodeSet *up, RedundancyView *out)
{
    ledger_holders(r->book, l, &out->holders);
    out->sources = out->holders;
    nodeset_intersect(&out->sources, up);
    out->room = *up;
    nodeset_union(&out->room, &out->holders);
}

void redundancy_check_settled(Redundancy *r, const NodeSet *up, Verdict *found)
{
    guint need = redundancy_need(r);
    guint n;
    g_autofree uint32_t *order = ledger_order(r->book, &n);
    for (guint k = 0; k < n; k++) {
        uint32_t i = order[k];
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
        guint owed = MIN(need, nodeset_count(&c.room));
        if (nodeset_count(&c.holders) >= owed || nodeset_is_empty(&c.sources))
            continue; /* enough, or nothing up to repair from (the loss oracles judge that) */
        GString *s = g_string_new(NULL);
        describe(r, l, s);
        char when[32];
        guint held = nodeset_count(&c.holders);
        g_string_append_printf(s, ": after settle (%s) %u cop%s count (",
                               sim_time_format_human(oview_now(r->book->view), when, sizeof when),
                               held, held == 1 ? "y" : "ies");
        oview_format_nodeset(r->book->view, &c.holders, s);
        g_string_append(s, ") although ");
        oview_format_nodeset(r->book->view, &c.sources, s);
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

void redundancy_forget(Redundancy *r, uint32_t entry)
{
    g_hash_table_remove(r->losses, GUINT_TO_POINTER(entry + 1));
}
