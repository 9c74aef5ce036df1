/* sim/ordered_pool.c — the ordered thread pool (see ordered_pool.h).
 *
 * Invariants: item i lives in slot i % window; the caller never pushes an item more than a
 * window ahead of the next one it takes, so two items in flight never share a slot; a slot's
 * `ready` is set by the worker (under the lock) and cleared by the caller once taken.
 */
#include "sim/ordered_pool.h"

#include <string.h>

typedef struct {
    const OrderedPoolSpec *spec;
    GMutex lock;
    GCond cond;
    guint window;
    guchar *results;    /* window slots of result_size bytes */
    uint64_t *items;    /* the item each slot holds */
    gboolean *ready;    /* its result is there */
    volatile gint stop; /* skip items not started yet */
} Pool;

static void *slot_result(Pool *p, guint slot)
{
    return p->results + (gsize)slot * p->spec->result_size;
}

static void worker(gpointer data, gpointer user)
{
    Pool *p = user;
    guint slot = GPOINTER_TO_UINT(data) - 1;
    g_mutex_lock(&p->lock);
    uint64_t item = p->items[slot];
    g_mutex_unlock(&p->lock);
    /* The slot's bytes are this worker's alone until it sets `ready`. */
    void *result = slot_result(p, slot);
    memset(result, 0, p->spec->result_size);
    if (!g_atomic_int_get(&p->stop))
        p->spec->work(item, result, p->spec->ctx);
    g_mutex_lock(&p->lock);
    p->ready[slot] = TRUE;
    g_cond_broadcast(&p->cond);
    g_mutex_unlock(&p->lock);
}

uint64_t ordered_pool_run(const OrderedPoolSpec *spec, uint64_t count)
{
    g_assert(spec->jobs >= 1 && spec->work != NULL);
    Pool p = {.spec = spec, .window = spec->jobs * 16};
    g_mutex_init(&p.lock);
    g_cond_init(&p.cond);
    p.results = g_malloc0((gsize)p.window * MAX(spec->result_size, 1));
    p.items = g_new0(uint64_t, p.window);
    p.ready = g_new0(gboolean, p.window);
    GThreadPool *tp = g_thread_pool_new(worker, &p, (gint)spec->jobs, TRUE, NULL);
    uint64_t pushed = 0, taken = 0, done = 0;
    gboolean stopped = FALSE;
    while (done < pushed || (!stopped && pushed < count)) {
        while (!stopped && pushed < count && pushed - done < p.window) {
            guint slot = (guint)(pushed % p.window);
            g_mutex_lock(&p.lock);
            p.items[slot] = pushed;
            p.ready[slot] = FALSE;
            g_mutex_unlock(&p.lock);
            g_thread_pool_push(tp, GUINT_TO_POINTER(slot + 1), NULL);
            pushed++;
        }
        guint slot = (guint)(done % p.window);
        g_mutex_lock(&p.lock);
        while (!p.ready[slot])
            g_cond_wait(&p.cond, &p.lock);
        g_mutex_unlock(&p.lock);
        void *result = slot_result(&p, slot);
        if (!stopped) {
            taken++;
            if (spec->take && !spec->take(done, result, spec->ctx)) {
                stopped = TRUE;
                g_atomic_int_set(&p.stop, 1);
            }
        }
        if (spec->clear)
            spec->clear(result);
        done++;
    }
    g_thread_pool_free(tp, FALSE, TRUE);
    g_free(p.results);
    g_free(p.items);
    g_free(p.ready);
    g_mutex_clear(&p.lock);
    g_cond_clear(&p.cond);
    return taken;
}
