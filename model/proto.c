/* model/proto.c — note names, action lists, the mark sink. */
#include "model/proto.h"

#include <string.h>

const char *note_kind_name(NoteKind kind)
{
    static const char *names[] = {"role",    "apply",  "commit", "damaged", "repaired",
                                  "handoff", "halted", "config", "refused"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == NOTE_KIND_COUNT);
    g_assert((unsigned)kind < NOTE_KIND_COUNT);
    return names[kind];
}

void action_list_init(ActionList *l)
{
    *l = (ActionList){0};
}

void action_list_reset(ActionList *l)
{
    for (guint i = 0; i < l->len; i++) {
        if (l->items[i].kind == ACT_SEND && l->items[i].msg) {
            msg_free(l->items[i].msg);
            l->items[i].msg = NULL;
        }
    }
    l->len = 0;
}

void action_list_clear(ActionList *l)
{
    action_list_reset(l);
    g_free(l->items);
    *l = (ActionList){0};
}

ProtoAction *action_list_push(ActionList *l, ActionKind kind)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        g_assert(l->cap <= 1u << 20);
        l->items = g_renew(ProtoAction, l->items, l->cap);
    }
    ProtoAction *a = &l->items[l->len++];
    memset(a, 0, offsetof(ProtoAction, block));
    a->kind = (uint8_t)kind;
    return a;
}

void act_write(ActionList *l, guint file, uint32_t index, const DiskBlock *b, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_WRITE);
    a->file = (uint8_t)file;
    a->index = index;
    a->block = *b;
    a->token = token;
}

void act_truncate(ActionList *l, guint file, uint32_t len, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_TRUNCATE);
    a->file = (uint8_t)file;
    a->index = len;
    a->token = token;
}

void act_fsync(ActionList *l, guint file, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_FSYNC);
    a->file = (uint8_t)file;
    a->token = token;
}

static void set_path(char *dst, const char *path)
{
    gsize n = strlen(path);
    g_assert(n > 0 && n < FS_PATH_MAX);
    memcpy(dst, path, n + 1);
}

void act_open(ActionList *l, guint fd, const char *path, guint flags, uint64_t token)
{
    g_assert(fd <= UINT8_MAX);
    ProtoAction *a = action_list_push(l, ACT_OPEN);
    a->file = (uint8_t)fd;
    a->count = flags;
    a->token = token;
    set_path(a->path, path);
}

void act_close(ActionList *l, guint fd, uint64_t token)
{
    g_assert(fd <= UINT8_MAX);
    ProtoAction *a = action_list_push(l, ACT_CLOSE);
    a->file = (uint8_t)fd;
    a->token = token;
}

void act_mkdir(ActionList *l, const char *path, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_MKDIR);
    a->token = token;
    set_path(a->path, path);
}

void act_unlink(ActionList *l, const char *path, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_UNLINK);
    a->token = token;
    set_path(a->path, path);
}

void act_rename(ActionList *l, const char *from, const char *to, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_RENAME);
    a->token = token;
    set_path(a->path, from);
    set_path(a->path2, to);
}

void act_fdatasync(ActionList *l, guint fd, uint64_t token)
{
    g_assert(fd <= UINT8_MAX);
    ProtoAction *a = action_list_push(l, ACT_FDATASYNC);
    a->file = (uint8_t)fd;
    a->token = token;
}

void act_read(ActionList *l, guint file, uint32_t index, uint32_t count, uint64_t token)
{
    g_assert(count > 0);
    ProtoAction *a = action_list_push(l, ACT_READ);
    a->file = (uint8_t)file;
    a->index = index;
    a->count = count;
    a->token = token;
}

void act_timer(ActionList *l, uint32_t timer, SimTime delay, uint64_t token)
{
    ProtoAction *a = action_list_push(l, ACT_TIMER);
    a->timer = timer;
    a->delay = delay;
    a->token = token;
}

void act_cancel(ActionList *l, uint32_t timer)
{
    action_list_push(l, ACT_CANCEL)->timer = timer;
}

void act_failpoint(ActionList *l, FailpointId fp)
{
    action_list_push(l, ACT_FAILPOINT)->sub = (uint16_t)fp;
}

void act_note(ActionList *l, NoteKind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    ProtoAction *act = action_list_push(l, ACT_NOTE);
    act->sub = (uint16_t)kind;
    act->a = a;
    act->b = b;
    act->c = c;
    act->d = d;
}

MarkCount *mark_sink(void)
{
    static _Thread_local MarkCount sink[MARK_MAX];
    return sink;
}
