/* reports/check.c — the checker (see check.h): it hands every event to the oracles concerned, in
 * a fixed order (the write ledger, then the protocol's module), and runs the end-of-run checks in
 * a fixed order (ledger, history, the protocol's own, linearizability, liveness), so that the
 * violations of a verdict come out in the same order for the same run.
 *
 * Beyond model, only what still holds is judged: unpersisted-send and false-failure, and the file
 * system's broken promises (fs-broken-promise), which only happen beyond it.
 *
 * Invariant: `found` holds what the oracles raised during the run; checker_finish copies it and
 * never changes it (bar the convergence note it hands over).
 */
#include "reports/check.h"

#include "reports/causal_check.h"
#include "reports/history_check.h"
#include "reports/ledger.h"
#include "reports/lin_check.h"
#include "reports/redundancy.h"
#include "reports/stream.h"

struct Checker {
    World *w; /* NULL for a checker over a caller's view */
    OracleView view;
    Verdict found;
    LedgerBook ledger;
    const OracleModule *mod;
    void *st; /* the module's state */
    Redundancy *redundancy;
    Stream *stream; /* NULL: the whole history is kept to the end */
    gboolean convergence_checked;
};

/* ---- the events ---- */

void checker_sent(Checker *c, const Msg *m)
{
    ledger_sent(&c->ledger, c->mod, c->st, m, &c->found);
    if (c->mod->sent)
        c->mod->sent(c->st, m);
}

void checker_durable(Checker *c, EndpointId node, guint file, uint32_t idx, const DiskBlock *old,
                     const DiskBlock *neu, DiskChange cause)
{
    redundancy_durable(c->redundancy, node, old, cause);
    if (c->mod->durable)
        c->mod->durable(c->st, node, file, idx, old, neu, cause);
    redundancy_change_done(c->redundancy, &c->found);
}

void checker_note(Checker *c, EndpointId node, const ProtoAction *note)
{
    if (c->mod->note)
        c->mod->note(c->st, node, note);
}

void checker_booted(Checker *c, EndpointId node, const ProtoDiskImage *image)
{
    if (c->mod->booted)
        c->mod->booted(c->st, node, image);
}

void checker_submitted(Checker *c, EndpointId node, guint file, uint32_t index,
                       const DiskBlock *block)
{
    if (c->mod->submitted)
        c->mod->submitted(c->st, node, file, index, block);
}

void checker_submitted_path(Checker *c, EndpointId node, const char *path, uint32_t index,
                            const DiskBlock *block)
{
    if (c->mod->submitted_path)
        c->mod->submitted_path(c->st, node, path, index, block);
}

/* ---- the world as the oracles see it ---- */

static const Disk *w_disk(void *ctx, EndpointId n)
{
    return world_disk(ctx, n);
}
static SimTime w_now(void *ctx)
{
    return world_now(ctx);
}
static gboolean w_is_up(void *ctx, EndpointId n)
{
    return world_is_up(ctx, n);
}
static const char *w_endpoint_name(void *ctx, EndpointId n)
{
    return world_endpoint_name(ctx, n);
}
static guint w_key_count(void *ctx)
{
    return world_key_count(ctx);
}
static const char *w_key_name(void *ctx, KeyId k)
{
    return world_key_name(ctx, k);
}
static gboolean w_key_lookup(void *ctx, const char *name, KeyId *out)
{
    return world_key_lookup(ctx, name, out);
}
static uint64_t w_key_hash(void *ctx, KeyId k)
{
    return world_key_hash(ctx, k);
}
static const char *w_idem_name(void *ctx, IdemKey idem, char *buf, gsize size)
{
    return world_idem_name(ctx, idem, buf, size);
}

static void on_sent(void *ctx, World *w, const Msg *m)
{
    checker_sent(ctx, m);
}
static void on_durable(void *ctx, World *w, EndpointId node, guint file, uint32_t idx,
                       const DiskBlock *old, const DiskBlock *neu, DiskChange cause)
{
    checker_durable(ctx, node, file, idx, old, neu, cause);
}
static void on_note(void *ctx, World *w, EndpointId node, const ProtoAction *note)
{
    checker_note(ctx, node, note);
}
static void on_booted(void *ctx, World *w, EndpointId node, const ProtoDiskImage *img)
{
    checker_booted(ctx, node, img);
}
static void on_submitted(void *ctx, World *w, EndpointId node, guint file, uint32_t index,
                         const DiskBlock *block)
{
    checker_submitted(ctx, node, file, index, block);
}
static void on_submitted_path(void *ctx, World *w, EndpointId node, const char *path,
                              uint32_t index, const DiskBlock *block)
{
    checker_submitted_path(ctx, node, path, index, block);
}

/* ---- life cycle ---- */

Checker *checker_new_view(const OracleView *view, const OracleModule *oracle)
{
    Checker *c = g_new0(Checker, 1);
    c->view = *view;
    c->mod = oracle;
    verdict_init(&c->found);
    ledger_init(&c->ledger, &c->view, view->cfg->nodes);
    OracleEnv env = {.view = &c->view, .ledger = &c->ledger, .found = &c->found};
    c->st = oracle->create(&env);
    c->redundancy = redundancy_new(&c->ledger, oracle, c->st);
    c->ledger.redundancy = c->redundancy;
    return c;
}

Checker *checker_new(World *w, const OracleModule *oracle)
{
    OracleView view = {.cfg = world_config(w),
                       .history = world_history(w),
                       .store = world_block_store(w),
                       .ctx = w,
                       .disk = w_disk,
                       .now = w_now,
                       .is_up = w_is_up,
                       .endpoint_name = w_endpoint_name,
                       .key_count = w_key_count,
                       .key_name = w_key_name,
                       .key_lookup = w_key_lookup,
                       .key_hash = w_key_hash,
                       .idem_name = w_idem_name};
    Checker *c = checker_new_view(&view, oracle);
    c->w = w;
    WorldObserver obs = {.sent = on_sent,
                         .durable = on_durable,
                         .note = on_note,
                         .booted = on_booted,
                         .submitted = on_submitted,
                         .submitted_path = on_submitted_path};
    world_set_observer(w, &obs, c);
    return c;
}

void checker_free(Checker *c)
{
    if (c == NULL)
        return;
    stream_free(c->stream);
    c->mod->destroy(c->st);
    redundancy_free(c->redundancy);
    verdict_clear(&c->found);
    ledger_clear(&c->ledger);
    g_free(c);
}

const char *checker_op_label(const World *w, uint32_t op, char *buf, gsize size)
{
    OracleView view = {.history = world_history((World *)w)};
    return oview_op_label(&view, op, buf, size);
}

/* ---- after settle, and at the end ---- */

void checker_check_convergence(Checker *c, gboolean healed)
{
    c->convergence_checked = TRUE;
    if (c->mod->convergence)
        c->mod->convergence(c->st, healed);
    if (!healed)
        return; /* a fault still in force may hold copies away: repair is not owed yet */
    NodeSet up;
    nodeset_init(&up, c->view.cfg->nodes);
    for (EndpointId n = 0; n < c->view.cfg->nodes; n++)
        if (c->view.is_up(c->view.ctx, n))
            nodeset_add(&up, n);
    redundancy_check_settled(c->redundancy, &up, &c->found);
}

void checker_keep_history(Checker *c)
{
    redundancy_keep_history(c->redundancy, TRUE);
}

void checker_stream(Checker *c, uint64_t lin_budget, gboolean eager)
{
    g_assert(c->stream == NULL);
    c->stream = stream_new(&c->view, &c->ledger, c->redundancy, c->mod, c->st, lin_budget, eager);
}

void checker_sweep(Checker *c, gboolean quiet)
{
    if (c->stream)
        stream_sweep(c->stream, quiet);
}

void checker_add_latency(const Checker *c, ReportLatency *out)
{
    if (c->stream)
        report_latency_add(out, stream_latency(c->stream));
}

void checker_stream_stats(const Checker *c, StreamStats *out)
{
    if (c->stream)
        stream_stats(c->stream, out);
    else
        *out = (StreamStats){.ledger_live = c->ledger.live};
}

gboolean checker_key_touched(const Checker *c, KeyId key)
{
    return c->stream && stream_touched(c->stream, key);
}

const Redundancy *checker_redundancy(const Checker *c)
{
    return c->redundancy;
}

const LedgerBook *checker_ledger(const Checker *c)
{
    return &c->ledger;
}

/* Every check of the end of the run, into `all` (which starts as a copy of what was found). */
static void check_end(Checker *c, const CheckEnd *end, Verdict *all)
{
    if (c->mod->end_begin)
        c->mod->end_begin(c->st);
    ledger_check_end(&c->ledger, c->mod, c->st, all);
    history_check(&c->ledger, c->mod, c->st, all);
    if (c->stream)
        stream_check_history(c->stream, all);
    if (c->mod->end_checks)
        c->mod->end_checks(c->st, all);
    if (c->mod->causal && c->stream)
        stream_check_causal(c->stream, end, all);
    else if (c->mod->causal)
        causal_check_history(&c->ledger, c->mod, c->st, end, NULL, all);
    if (c->mod->multi_value && c->mod->multi_value(c->st)) {
        all->lin_skipped = TRUE;
        all->lin_note = g_strdup("not applicable: gets return concurrent siblings; the sibling "
                                 "check judges them");
    } else if (c->stream) {
        stream_check_order(c->stream, end, all);
    } else {
        lin_check_history(&c->view, end, c->mod->merging_adds, all);
    }
    if (!c->convergence_checked)
        all->convergence_note = g_strdup("not checked: the run ended before settle did");
    history_check_liveness(&c->view, end, all);
    if (c->mod->liveness)
        c->mod->liveness(c->st, end, all);
    if (c->mod->annotate)
        c->mod->annotate(c->st, all);
    if (c->mod->end_done)
        c->mod->end_done(c->st);
}

/* The figures of the judged history, and the notes (taken from `all`). */
static void take_figures(Verdict *out, Verdict *all, Verdict *found)
{
    out->ops = all->ops;
    out->writes = all->writes;
    out->acked = all->acked;
    out->failed = all->failed;
    out->indeterminate = all->indeterminate;
    out->reads = all->reads;
    out->orphans = all->orphans;
    out->orphans_surfaced = all->orphans_surfaced;
    out->orphans_latent = all->orphans_latent;
    out->duplicates = all->counts[V_DUPLICATE];
    out->lin_promised = all->lin_promised;
    out->lin = all->lin;
    out->lin_keys = all->lin_keys;
    out->lin_unknown_keys = all->lin_unknown_keys;
    out->lin_keys_unpromised = all->lin_keys_unpromised;
    out->stale_reads = all->stale_reads;
    out->lin_note = g_steal_pointer(&all->lin_note);
    out->lin_skipped = all->lin_skipped;
    out->lost_updates = all->lost_updates;
    out->lost_update_note = g_steal_pointer(&all->lost_update_note);
    out->siblings_max = all->siblings_max;
    out->siblings_reissued = all->siblings_reissued;
    out->siblings_truncated = all->siblings_truncated;
    out->siblings_note = g_steal_pointer(&all->siblings_note);
    out->liveness_note = g_steal_pointer(&all->liveness_note);
    out->convergence_note = all->convergence_note ? g_steal_pointer(&all->convergence_note)
                                                  : g_steal_pointer(&found->convergence_note);
}

void checker_finish(Checker *c, const CheckEnd *end, Verdict *out)
{
    Verdict all;
    verdict_init(&all);
    /* What the run raised as it went. */
    for (guint i = 0; i < c->found.violations->len; i++)
        verdict_add_copy(&all, g_ptr_array_index(c->found.violations, i));
    for (int k = 0; k < V_KIND_COUNT; k++)
        all.counts[k] = c->found.counts[k];
    check_end(c, end, &all);

    ViolationSet judged = ~0u;
    if (!end->within_model) {
        judged = (1u << V_UNPERSISTED_SEND) | (1u << V_FALSE_FAILURE) | (1u << V_FS_BROKEN_PROMISE);
        out->beyond_model = TRUE;
        out->model_note = g_strdup_printf("beyond model: %s; judged only unpersisted-send, "
                                          "false-failure and fs-broken-promise",
                                          end->model_reason ? end->model_reason : "?");
    }
    for (guint i = 0; i < all.violations->len; i++) {
        const Violation *x = g_ptr_array_index(all.violations, i);
        if ((judged >> x->kind) & 1)
            verdict_add_copy(out, x);
    }
    for (int k = 0; k < V_KIND_COUNT; k++)
        if ((judged >> k) & 1)
            out->counts[k] = all.counts[k];
    take_figures(out, &all, &c->found);
    verdict_clear(&all);
}
