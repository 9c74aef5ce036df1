/* reports/history/view.c — the HTML view of checked histories (see view.h). */
#include "reports/history/view.h"

#include <string.h>

#define VIEW_MAX_OPS 300 /* operations drawn per key */
#define VIEW_WIDTH   1000
#define LANE_HEIGHT  22

static const char *const style =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.3em}h2{font-size:1.1em;margin-top:2em}h3{font-size:1em}"
    ".line{font-family:monospace;background:#f4f4f4;padding:.4em;white-space:pre-wrap}"
    "svg{border:1px solid #ddd;background:#fff}"
    "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:2px 6px}"
    ".bad{background:#fdd}.key{color:#555}";

/* The window of `ops` (a key's history op indices, in invocation order) to draw: at most
 * VIEW_MAX_OPS, ending at the failing operation when there is one. */
static void window(const HcHistory *h, const GArray *ops, const HcPart *p, guint *from, guint *to)
{
    guint end = ops->len;
    if (p->verdict == HC_NOT_LINEARIZABLE) {
        uint32_t fail_call = hc_history_op(h, p->fail_op)->call;
        end = 0;
        while (end < ops->len &&
               hc_history_op(h, g_array_index(ops, guint, end))->call <= fail_call)
            end++;
    }
    *to = end;
    *from = end > VIEW_MAX_OPS ? end - VIEW_MAX_OPS : 0;
}

/* One bar: its lane, its span in lines, its colour and label. */
static void draw_op(GString *out, const HcHistory *h, const HcOp *op, guint lane, double x0,
                    double scale, uint32_t lo, uint32_t last, int pos, gboolean failing)
{
    uint32_t end = op->ret != HC_NEVER ? op->ret : (op->ret_line ? op->ret_line : last);
    double x = x0 + (op->call - lo) * scale, w = MAX(3.0, (end - op->call) * scale);
    if (op->ret == HC_NEVER)
        w = MAX(w, x0 + (last - lo) * scale - x);
    const char *fill = failing ? "#e33" : pos >= 0 ? "#5b5" : "#bbb";
    g_autofree char *what = hc_op_describe(h, op);
    g_autofree char *title = g_markup_escape_text(what, -1);
    g_string_append_printf(out,
                           "<g><title>%s%s</title><rect x='%.1f' y='%u' width='%.1f' "
                           "height='%u' fill='%s'%s/>",
                           title, failing ? " (cannot be placed)" : "", x, lane * LANE_HEIGHT + 4,
                           w, LANE_HEIGHT - 8, fill,
                           op->ret == HC_NEVER ? " stroke='#555' stroke-dasharray='3,2'" : "");
    if (pos >= 0)
        g_string_append_printf(out, "<text x='%.1f' y='%u' font-size='9' fill='#000'>%d</text>",
                               x + 1, lane * LANE_HEIGHT + 14, pos + 1);
    g_string_append(out, "</g>\n");
}

/* The picture of one key's window: one lane per process, in order of first appearance. */
static void draw_key(GString *out, const HcHistory *h, const GArray *ops, guint from, guint to,
                     const int *pos, const HcPart *p)
{
    GHashTable *lanes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_autoptr(GArray) procs = g_array_new(FALSE, FALSE, sizeof(int64_t)); /* by lane */
    uint32_t lo = G_MAXUINT32, hi = 0;
    for (guint i = from; i < to; i++) {
        const HcOp *op = hc_history_op(h, g_array_index(ops, guint, i));
        if (!g_hash_table_contains(lanes, &op->process)) {
            int64_t *k = g_memdup2(&op->process, sizeof *k);
            g_hash_table_insert(lanes, k, GUINT_TO_POINTER(g_hash_table_size(lanes)));
            g_array_append_val(procs, op->process);
        }
        lo = MIN(lo, op->call);
        hi = MAX(hi, op->ret != HC_NEVER ? op->ret : MAX(op->ret_line, op->call));
    }
    guint n = g_hash_table_size(lanes);
    double x0 = 60, scale = (VIEW_WIDTH - x0 - 10) / (double)MAX(hi - lo, 1);
    g_string_append_printf(out, "<svg width='%d' height='%u' role='img'>\n", VIEW_WIDTH,
                           n * LANE_HEIGHT + 4);
    for (guint i = from; i < to; i++) {
        guint id = g_array_index(ops, guint, i);
        const HcOp *op = hc_history_op(h, id);
        guint lane = GPOINTER_TO_UINT(g_hash_table_lookup(lanes, &op->process));
        gboolean failing = p->verdict == HC_NOT_LINEARIZABLE && id == p->fail_op;
        draw_op(out, h, op, lane, x0, scale, lo, hi, pos[id], failing);
    }
    for (guint lane = 0; lane < procs->len; lane++)
        g_string_append_printf(out,
                               "<text x='2' y='%u' font-size='10'>p%" G_GINT64_FORMAT "</text>\n",
                               lane * LANE_HEIGHT + 15, g_array_index(procs, int64_t, lane));
    g_string_append(out, "</svg>\n");
    g_hash_table_destroy(lanes);
}

/* The linearization as a table: step, operation, state after it. */
static void draw_order(GString *out, HcFile *f, const HcPart *p)
{
    const HcModel *m = f->model;
    HcState s = m->init(f->ctx);
    g_string_append(out, "<table><tr><th>#</th><th>operation</th><th>state after</th></tr>\n");
    guint n = p->order ? p->order->len : 0;
    for (guint i = 0; i < n; i++) {
        const HcOp *op = hc_history_op(&f->history, g_array_index(p->order, guint, i));
        HcState next = s;
        gboolean ok = m->step(f->ctx, s, op, &next);
        s = ok ? next : s;
        if (n > VIEW_MAX_OPS && i + VIEW_MAX_OPS < n)
            continue;
        g_autofree char *what = hc_op_describe(&f->history, op);
        g_autofree char *text = g_markup_escape_text(what, -1);
        GString *state = g_string_new(NULL);
        m->describe(f->ctx, s, 80, state);
        g_autofree char *st = g_markup_escape_text(state->str, -1);
        g_string_append_printf(out, "<tr><td>%u</td><td>%s</td><td>%s</td></tr>\n", i + 1, text,
                               st);
        g_string_free(state, TRUE);
    }
    if (p->verdict == HC_NOT_LINEARIZABLE) {
        g_autofree char *what = hc_op_describe(&f->history, hc_history_op(&f->history, p->fail_op));
        g_autofree char *text = g_markup_escape_text(what, -1);
        g_string_append_printf(out,
                               "<tr class='bad'><td>-</td><td>%s</td><td>cannot be placed "
                               "after step %u</td></tr>\n",
                               text, n);
    }
    g_string_append(out, "</table>\n");
    if (m->reset)
        m->reset(f->ctx);
}

static void draw_file(GString *out, HcFile *f, const char *name, const char *line)
{
    g_autofree char *title = g_markup_escape_text(name, -1);
    g_autofree char *text = g_markup_escape_text(line, -1);
    g_string_append_printf(out, "<h2>%s</h2><div class='line'>%s</div>\n", title, text);
    const HcHistory *h = &f->history;
    int *pos = g_new(int, MAX(h->ops->len, 1));
    for (guint i = 0; i < f->check.parts->len; i++) {
        const HcPart *p = &g_array_index(f->check.parts, HcPart, i);
        if (f->check.parts->len > 1 && p->verdict == HC_LINEARIZABLE && p->nops > 50)
            continue; /* many keys: the ones that matter */
        GArray *ops = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint k = 0; k < h->ops->len; k++) {
            pos[k] = -1;
            if (hc_history_op(h, k)->key == p->key)
                g_array_append_val(ops, k);
        }
        for (guint k = 0; p->order && k < p->order->len; k++)
            pos[g_array_index(p->order, guint, k)] = (int)k;
        guint from, to;
        window(h, ops, p, &from, &to);
        g_autofree char *key = g_markup_escape_text(g_ptr_array_index(h->keys, p->key), -1);
        g_string_append_printf(out,
                               "<h3>key <span class='key'>%s</span>: %s, %u operations%s</h3>\n",
                               *key ? key : "-", hc_verdict_name(p->verdict), p->nops,
                               to - from < ops->len ? " (a window of them)" : "");
        draw_key(out, h, ops, from, to, pos, p);
        draw_order(out, f, p);
        g_array_free(ops, TRUE);
    }
    g_free(pos);
}

gboolean hc_view_write(const char *dir, HcFile *const *files, const char *const *names,
                       const char *const *lines, guint n, GError **error)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out,
                           "<!DOCTYPE html><html><head><meta charset='utf-8'><title>durasim "
                           "check-history</title><style>%s</style></head><body>\n<h1>durasim "
                           "check-history: %u file%s</h1>\n<p>Bars run from an operation's "
                           "invocation line to its completion line (dashed: :info or never "
                           "completed). Green, numbered: the (partial) linearization in its "
                           "order; red: the operation that cannot be placed; grey: not placed. "
                           "Hover a bar for the operation.</p>\n",
                           style, n, n == 1 ? "" : "s");
    for (guint i = 0; i < n; i++)
        draw_file(out, files[i], names[i], lines[i]);
    g_string_append(out, "</body></html>\n");
    g_autofree char *path = g_build_filename(dir, "index.html", NULL);
    gboolean ok = g_file_set_contents(path, out->str, (gssize)out->len, error);
    g_string_free(out, TRUE);
    return ok;
}
