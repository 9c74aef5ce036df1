/* sim/engine/trace.c — trace hashing, printing and recording. */
#include "sim/engine/trace.h"

#define TRACE_SEED 0x6475726173696d31ULL /* "durasim1" */

void sim_trace_init(SimTrace *t)
{
    *t = (SimTrace){0};
    t->hash = TRACE_SEED;
}

void sim_trace_clear(SimTrace *t)
{
    if (t->keep)
        g_array_free(t->keep, TRUE);
    if (t->line)
        g_string_free(t->line, TRUE);
    *t = (SimTrace){0};
}

static void update_slow(SimTrace *t)
{
    t->slow = t->print_to != NULL || t->keep != NULL;
}

void sim_trace_print_to(SimTrace *t, FILE *out)
{
    t->print_to = out;
    if (out && !t->line)
        t->line = g_string_sized_new(128);
    update_slow(t);
}

void sim_trace_keep(SimTrace *t, gboolean keep)
{
    if (keep && !t->keep)
        t->keep = g_array_sized_new(FALSE, FALSE, sizeof(SimTraceRecord), 1024);
    else if (!keep && t->keep) {
        g_array_free(t->keep, TRUE);
        t->keep = NULL;
    }
    update_slow(t);
}

void sim_trace_set_renderer(SimTrace *t, SimTraceRenderFn render, void *ctx)
{
    t->render = render;
    t->render_ctx = ctx;
}

const GArray *sim_trace_records(const SimTrace *t)
{
    return t->keep;
}

static void render_into(const SimTrace *t, const SimTraceRecord *rec, GString *out)
{
    g_string_truncate(out, 0);
    if (t->render) {
        t->render(t->render_ctx, rec, out);
        return;
    }
    char when[32];
    g_string_append_printf(
        out, "%12s kind=%u sub=%u node=%u peer=%u a=%" G_GUINT64_FORMAT " b=%" G_GUINT64_FORMAT,
        sim_time_format_human(rec->time, when, sizeof when), rec->kind, rec->sub, rec->node,
        rec->peer, rec->a, rec->b);
}

char *sim_trace_render(const SimTrace *t, const SimTraceRecord *rec)
{
    GString *s = g_string_sized_new(128);
    render_into(t, rec, s);
    return g_string_free(s, FALSE);
}

void sim_trace_slow_path(SimTrace *t, const SimTraceRecord *rec)
{
    if (t->keep)
        g_array_append_val(t->keep, *rec);
    if (t->print_to) {
        render_into(t, rec, t->line);
        fputs(t->line->str, t->print_to);
        fputc('\n', t->print_to);
    }
}

uint64_t sim_trace_fold_record(uint64_t h, const SimTraceRecord *rec)
{
    h = sim_trace_fold(h, (uint64_t)rec->time);
    h = sim_trace_fold(h, (uint64_t)rec->kind | (uint64_t)rec->sub << 16 |
                              (uint64_t)rec->node << 32 | (uint64_t)rec->peer << 48);
    h = sim_trace_fold(h, rec->a);
    return sim_trace_fold(h, rec->b);
}

uint64_t sim_trace_digest(const SimTrace *t)
{
    uint64_t state = t->hash ^ (t->count * 0x9e3779b97f4a7c15ULL);
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
