/* reports/report_redundancy.c — the redundancy of each acknowledged write over time, for a run
 * reported in full (detail member "redundancy", drawn by report_plot.c): from the history the
 * lost-redundancy oracle kept (reports/redundancy.h), at most REPORT_REDUNDANCY_CAP writes, the
 * under-replicated ones first, then those that ever fell below what they are owed, then the
 * rest in the order they were acknowledged.
 */
#include "reports/ledger.h"
#include "reports/redundancy.h"
#include "reports/report.h"

typedef struct {
    uint32_t entry;
    guint rank;  /* 0: reported, 1: fell below its due, 2: the rest */
    guint first; /* its first point in the history */
} Chosen;

static int chosen_cmp(const void *a, const void *b)
{
    const Chosen *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Every write of the history once, ranked; caller frees. */
static GArray *rank_writes(const Redundancy *red, const RedundancyPoint *pts, guint n)
{
    guint need = redundancy_need(red);
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal); /* entry+1 -> index+1 */
    GArray *all = g_array_new(FALSE, FALSE, sizeof(Chosen));
    for (guint i = 0; i < n; i++) {
        gpointer key = GUINT_TO_POINTER(pts[i].entry + 1);
        guint at = GPOINTER_TO_UINT(g_hash_table_lookup(seen, key));
        if (!at) {
            Chosen c = {pts[i].entry, redundancy_reported(red, pts[i].entry) ? 0 : 2, i};
            g_array_append_val(all, c);
            at = all->len;
            g_hash_table_insert(seen, key, GUINT_TO_POINTER(at));
        }
        Chosen *c = &g_array_index(all, Chosen, at - 1);
        if (pts[i].copies < need && c->rank == 2)
            c->rank = 1;
    }
    g_hash_table_unref(seen);
    g_array_sort(all, chosen_cmp);
    return all;
}

/* One write: its label, when it was acked, and its steps [t_ns, copies] (one per change). */
static JsonObject *write_json(World *w, const LedgerBook *book, const Redundancy *red,
                              const Chosen *c, const RedundancyPoint *pts, guint n)
{
    const Ledger *l = ledger_at(book, c->entry);
    JsonObject *o = json_object_new();
    char label[64];
    json_object_set_int_member(o, "op", l->acked_op);
    json_object_set_string_member(o, "label",
                                  checker_op_label(w, l->acked_op, label, sizeof label));
    json_object_set_string_member(o, "key", world_key_name(w, l->key));
    json_object_set_int_member(o, "acked_ns", l->acked_at);
    json_object_set_boolean_member(o, "under_replicated", c->rank == 0);
    JsonArray *steps = json_array_new();
    int last = -1;
    for (guint i = c->first; i < n; i++) {
        if (pts[i].entry != c->entry || pts[i].copies == last)
            continue;
        JsonArray *step = json_array_new();
        json_array_add_int_element(step, pts[i].t);
        json_array_add_int_element(step, pts[i].copies);
        json_array_add_array_element(steps, step);
        last = pts[i].copies;
    }
    json_object_set_array_member(o, "steps", steps);
    return o;
}

JsonObject *report_redundancy_new(World *w, const Checker *checker)
{
    const Redundancy *red = checker_redundancy(checker);
    guint n;
    const RedundancyPoint *pts = redundancy_history(red, &n);
    if (n == 0)
        return NULL;
    GArray *ranked = rank_writes(red, pts, n);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "need", redundancy_need(red));
    json_object_set_int_member(o, "of", ranked->len);
    JsonArray *writes = json_array_new();
    for (guint i = 0; i < ranked->len && i < REPORT_REDUNDANCY_CAP; i++)
        json_array_add_object_element(
            writes,
            write_json(w, checker_ledger(checker), red, &g_array_index(ranked, Chosen, i), pts, n));
    json_object_set_array_member(o, "writes", writes);
    g_array_free(ranked, TRUE);
    return o;
}
