/* reports/marks.c — a run's or a campaign's marks as one list (see marks.h). */
#include "reports/marks.h"

const char *world_mark_unowed(WorldMark m, const Protocol *p)
{
    if (world_marks[m].unowed)
        return world_marks[m].unowed;
    if (m == WMARK_CLIENT_REDIRECT && !p->clients.retry_to_leader)
        return "the protocol's nodes never redirect a client to a leader";
    if ((m == WMARK_DISK_NS_KEPT || m == WMARK_DISK_NS_LOST) && !p->names_files)
        return "the protocol's nodes keep fixed files: they create, rename or unlink none";
    return NULL;
}

static void add(GArray *tally, char *name, const Mark *mark, uint64_t count, const char *unowed)
{
    MarkTally t = {name, mark->summary, count, unowed};
    g_array_append_val(tally, t);
}

GArray *mark_tally_new(const WorldStats *s, const Protocol *p)
{
    GArray *tally = g_array_new(FALSE, FALSE, sizeof(MarkTally));
    for (guint i = 0; i < p->n_marks; i++)
        add(tally, g_strdup_printf("%s:%s", p->name, p->marks[i].name), &p->marks[i], s->marks[i],
            p->marks[i].unowed);
    for (int i = 0; i < WORLD_MARK_COUNT; i++)
        add(tally, g_strdup_printf("world:%s", world_marks[i].name), &world_marks[i],
            s->world_marks[i], world_mark_unowed((WorldMark)i, p));
    return tally;
}

void mark_tally_free(GArray *tally)
{
    for (guint i = 0; i < tally->len; i++)
        g_free(g_array_index(tally, MarkTally, i).name);
    g_array_free(tally, TRUE);
}
