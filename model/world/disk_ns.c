/* model/world/disk_ns.c — the disk's namespace and descriptors: directories and their entries,
 * what the page cache shows of them and what the durable image holds, which files a durable
 * path reaches, and what a power crash keeps of the changes not yet synced.
 *
 * Durability of names follows the documented contract, the conservative reading: fsync(2) of a
 * file does not make its directory entry durable, "an explicit fsync() on a file descriptor for
 * the directory is also needed" (Linux fsync(2)); ext4 often persists a new entry with the
 * file's fsync (its journal commits the whole running transaction), but no file system promises
 * it, and durasim assumes nothing it does not promise. At a power crash the unsynced changes
 * survive as the profile allows (Pillai et al., OSDI '14, the persistence properties their BOB
 * tool measured): ext4 (both modes) and xfs journal directory operations in order, so a prefix
 * of them survives; btrfs may reorder them, so any subset does. Each change is atomic: a rename
 * leaves the old name or the new one, never neither.
 *
 * Counts kept for every file and directory (disk_ns_check recomputes them): `links` entries name
 * it in the page cache, `dnames` (here `dlinks` for reachable directories only) in the durable
 * image, `opens` descriptors hold it, `pending` unsynced changes mention it. Nothing is freed while
 * any of them is not 0: an unlinked file whose unlink is not yet durable comes back after a power
 * crash that loses the unlink, with its durable data.
 */
#include "model/world/disk_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Per file and directory: durable entries naming it anywhere, and unsynced changes naming it.
 * Kept beside File and Dir (their structs hold the counts the data code reads). */
typedef struct {
    uint32_t dnames;
    uint32_t pending;
} Names;

struct NsCounts {
    GArray *file; /* of Names, by file number */
    GArray *dir;  /* of Names, by directory number */
};

/* ---- small helpers ---- */

static int finish(Disk *d, int r)
{
    d->touched = NULL;
    if (d->checking)
        disk_check_invariants(d);
    return r;
}

static NodeRef file_ref(uint32_t file)
{
    return (NodeRef)file;
}

static NodeRef dir_ref(uint32_t dir)
{
    return (NodeRef)dir | REF_DIR_BIT;
}

static Names *names_of(Disk *d, NodeRef r)
{
    GArray *a = ref_is_dir(r) ? d->counts->dir : d->counts->file;
    guint n = ref_num(r);
    if (n >= a->len)
        g_array_set_size(a, n + 1);
    return &g_array_index(a, Names, n);
}

const char *disk_fixed_name(guint file, char *buf, gsize size)
{
    g_snprintf(buf, size, "file%u", file);
    return buf;
}

static Dir *dir_new(Disk *d)
{
    Dir *dir = g_new0(Dir, 1);
    dir->num = d->dirs->len;
    dir->entries = g_array_new(FALSE, FALSE, sizeof(Entry));
    dir->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_ptr_array_add(d->dirs, dir);
    return dir;
}

static void dir_destroy(Dir *dir)
{
    g_array_free(dir->entries, TRUE);
    g_hash_table_unref(dir->index);
    g_free(dir);
}

static Entry *entry_find(const Dir *dir, const char *name)
{
    guint at = GPOINTER_TO_UINT(g_hash_table_lookup(dir->index, name));
    return at ? &g_array_index(dir->entries, Entry, at - 1) : NULL;
}

static Entry *entry_get(Dir *dir, const char *name)
{
    Entry *e = entry_find(dir, name);
    if (e)
        return e;
    Entry fresh = {.cached = REF_NONE, .durable = REF_NONE};
    g_strlcpy(fresh.name, name, sizeof fresh.name);
    g_array_append_val(dir->entries, fresh);
    g_hash_table_insert(dir->index, g_strdup(name), GUINT_TO_POINTER(dir->entries->len));
    return &g_array_index(dir->entries, Entry, dir->entries->len - 1);
}

/* Drops entry `name` if neither view holds it any more (the last entry takes its place). */
static void entry_drop_if_gone(Dir *dir, const char *name)
{
    guint at = GPOINTER_TO_UINT(g_hash_table_lookup(dir->index, name));
    if (at == 0)
        return;
    Entry *e = &g_array_index(dir->entries, Entry, at - 1);
    if (e->cached != REF_NONE || e->durable != REF_NONE)
        return;
    g_hash_table_remove(dir->index, name);
    guint last = dir->entries->len - 1;
    if (at - 1 != last) {
        *e = g_array_index(dir->entries, Entry, last);
        g_hash_table_insert(dir->index, g_strdup(e->name), GUINT_TO_POINTER(at));
    }
    g_array_set_size(dir->entries, last);
}

/* Drops every entry that neither view holds any more. */
static void entries_compact(Dir *dir)
{
    guint keep = 0;
    g_hash_table_remove_all(dir->index);
    for (guint i = 0; i < dir->entries->len; i++) {
        Entry e = g_array_index(dir->entries, Entry, i);
        if (e.cached == REF_NONE && e.durable == REF_NONE)
            continue;
        g_array_index(dir->entries, Entry, keep++) = e;
        g_hash_table_insert(dir->index, g_strdup(e.name), GUINT_TO_POINTER(keep));
    }
    g_array_set_size(dir->entries, keep);
}

/* ---- reachability ---- */

static void reach_change(Disk *d, NodeRef r, int delta, DiskChange cause);

/* A directory became (or stopped being) reachable: so do what its durable entries name. */
static void dir_reach_flip(Disk *d, Dir *dir, gboolean reach, DiskChange cause)
{
    dir->reach = reach;
    for (guint i = 0; i < dir->entries->len; i++) {
        NodeRef r = g_array_index(dir->entries, Entry, i).durable;
        if (r != REF_NONE)
            reach_change(d, r, reach ? +1 : -1, cause);
    }
}

/* One more (or one less) durable entry of a reachable directory names r. */
static void reach_change(Disk *d, NodeRef r, int delta, DiskChange cause)
{
    if (ref_is_dir(r)) {
        Dir *dir = dir_at(d, ref_num(r));
        g_assert(dir && (delta > 0 || dir->dlinks > 0));
        dir->dlinks = (uint32_t)((int)dir->dlinks + delta);
        if ((dir->dlinks > 0) != dir->reach)
            dir_reach_flip(d, dir, dir->dlinks > 0, cause);
        return;
    }
    File *f = file_at(d, ref_num(r));
    g_assert(f && (delta > 0 || f->dlinks > 0));
    f->dlinks = (uint32_t)((int)f->dlinks + delta);
    if ((f->dlinks > 0) == f->reach)
        return;
    if (f->dlinks > 0) {
        f->reach = TRUE;
        disk_file_announce(d, f, TRUE, cause == DISK_CHANGE_POWER ? cause : DISK_CHANGE_LINK);
    } else {
        disk_file_announce(d, f, FALSE, cause == DISK_CHANGE_POWER ? cause : DISK_CHANGE_UNLINK);
        f->reach = FALSE;
    }
}

/* Sets what an entry of `dir` names in the durable image. */
static void set_durable(Disk *d, Dir *dir, Entry *e, NodeRef r, DiskChange cause)
{
    NodeRef old = e->durable;
    if (old == r)
        return;
    e->durable = r;
    if (old != REF_NONE) {
        names_of(d, old)->dnames--;
        if (dir->reach)
            reach_change(d, old, -1, cause);
    }
    if (r != REF_NONE) {
        names_of(d, r)->dnames++;
        if (dir->reach)
            reach_change(d, r, +1, cause);
    }
}

/* ---- freeing what nothing holds ---- */

static void maybe_free(Disk *d, NodeRef r);

static void links_change(Disk *d, NodeRef r, int delta)
{
    if (r == REF_NONE)
        return;
    if (ref_is_dir(r)) {
        Dir *dir = dir_at(d, ref_num(r));
        dir->links = (uint32_t)((int)dir->links + delta);
    } else {
        File *f = file_at(d, ref_num(r));
        f->links = (uint32_t)((int)f->links + delta);
    }
    if (delta < 0)
        maybe_free(d, r);
}

static void dir_free(Disk *d, Dir *dir)
{
    g_assert(dir->num != 0 && !dir->reach);
    g_ptr_array_index(d->dirs, dir->num) = NULL;
    for (guint i = 0; i < dir->entries->len; i++) {
        Entry e = g_array_index(dir->entries, Entry, i);
        if (e.durable != REF_NONE)
            names_of(d, e.durable)->dnames--;
        links_change(d, e.cached, -1);
        if (e.durable != REF_NONE)
            maybe_free(d, e.durable);
    }
    dir_destroy(dir);
}

static void maybe_free(Disk *d, NodeRef r)
{
    const Names *nm = names_of(d, r);
    if (nm->dnames > 0 || nm->pending > 0)
        return;
    if (ref_is_dir(r)) {
        Dir *dir = dir_at(d, ref_num(r));
        if (dir && dir->num != 0 && dir->links == 0 && dir->opens == 0)
            dir_free(d, dir);
        return;
    }
    File *f = file_at(d, ref_num(r));
    if (f && f->links == 0 && f->opens == 0) {
        g_assert(!f->reach);
        disk_file_free(d, f);
    }
}

/* ---- unsynced changes ---- */

static void nsop_add(Disk *d, Dir *dir, const char *name, NodeRef r, const char *name2)
{
    NsOp op = {.seq = ++d->seq, .dir = dir->num, .n = name2 ? 2 : 1};
    g_strlcpy(op.name[0], name, sizeof op.name[0]);
    op.ref[0] = r;
    if (name2) {
        g_strlcpy(op.name[1], name2, sizeof op.name[1]);
        op.ref[1] = REF_NONE;
    }
    g_array_append_val(d->nsops, op);
    names_of(d, dir_ref(dir->num))->pending++;
    if (r != REF_NONE)
        names_of(d, r)->pending++;
}

/* Forgets an unsynced change (made durable, or lost). */
static void nsop_release(Disk *d, const NsOp *op)
{
    NodeRef dir = dir_ref(op->dir), r = op->ref[0];
    names_of(d, dir)->pending--;
    if (r != REF_NONE) {
        names_of(d, r)->pending--;
        maybe_free(d, r);
    }
    maybe_free(d, dir);
}

/* ---- paths ---- */

/* Sets the path a file or directory shows as (for patterns of faults, and the oracles): its
 * directory's path and its name ("" once unlinked); a directory's files follow it. */
static void set_path(Disk *d, NodeRef r, const Dir *parent, const char *name)
{
    if (r == REF_NONE)
        return;
    char *path = ref_is_dir(r) ? dir_at(d, ref_num(r))->path : file_at(d, ref_num(r))->path;
    if (name == NULL)
        path[0] = '\0';
    else if (parent->num == 0)
        g_strlcpy(path, name, DISK_NAME_MAX);
    else
        g_snprintf(path, DISK_NAME_MAX, "%s/%s", parent->path, name);
    if (!ref_is_dir(r))
        return;
    Dir *dir = dir_at(d, ref_num(r));
    for (guint i = 0; i < dir->entries->len; i++) {
        const Entry *e = &g_array_index(dir->entries, Entry, i);
        if (e->cached != REF_NONE)
            set_path(d, e->cached, dir, name ? e->name : NULL);
    }
}

/* Checks a path and splits off its last name; *parent is the directory that holds it, found
 * through the page cache (or the durable image reachable from the root). */
/* Whether a path is well formed: not empty, short enough, no empty, "." or ".." name. */
static gboolean path_ok(const char *path)
{
    gsize len = strnlen(path, DISK_NAME_MAX);
    if (len == 0 || len >= DISK_NAME_MAX)
        return FALSE;
    for (const char *p = path;;) {
        const char *slash = strchr(p, '/');
        gsize n = slash ? (gsize)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return FALSE;
        if (!slash)
            return TRUE;
        p = slash + 1;
    }
}

static int resolve(Disk *d, const char *path, gboolean durable, Dir **parent, const char **last)
{
    if (!path_ok(path))
        return EINVAL;
    Dir *dir = dir_at(d, 0);
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        gsize n = slash ? (gsize)(slash - p) : strlen(p);
        if (!slash) {
            *parent = dir;
            *last = p;
            return 0;
        }
        char name[DISK_NAME_MAX];
        memcpy(name, p, n);
        name[n] = '\0';
        const Entry *e = entry_find(dir, name);
        NodeRef r = e == NULL ? REF_NONE : durable ? e->durable : e->cached;
        if (r == REF_NONE)
            return ENOENT;
        if (!ref_is_dir(r))
            return ENOTDIR;
        dir = dir_at(d, ref_num(r));
        p = slash + 1;
    }
}

/* What `path` names in the page cache (REF_NONE: nothing; "." is the root). */
static int lookup(Disk *d, const char *path, NodeRef *out)
{
    if (strcmp(path, ".") == 0) {
        *out = dir_ref(0);
        return 0;
    }
    Dir *parent;
    const char *name;
    int r = resolve(d, path, FALSE, &parent, &name);
    if (r)
        return r;
    const Entry *e = entry_find(parent, name);
    *out = e ? e->cached : REF_NONE;
    return 0;
}

/* ---- construction ---- */

void disk_ns_init(Disk *d)
{
    d->dirs = g_ptr_array_new();
    d->nsops = g_array_new(FALSE, FALSE, sizeof(NsOp));
    d->counts = g_new0(struct NsCounts, 1);
    d->counts->file = g_array_new(FALSE, TRUE, sizeof(Names));
    d->counts->dir = g_array_new(FALSE, TRUE, sizeof(Names));
    Dir *root = dir_new(d);
    root->links = root->dlinks = 1;
    root->reach = TRUE;
    for (guint i = 0; i < d->nfixed; i++) {
        File *f = disk_file_new(d);
        char name[DISK_NAME_MAX];
        Entry *e = entry_get(root, disk_fixed_name(i, name, sizeof name));
        e->cached = file_ref(f->num);
        f->links = 1;
        set_durable(d, root, e, e->cached, DISK_CHANGE_LINK);
        g_strlcpy(f->path, name, sizeof f->path);
    }
}

void disk_ns_clear(Disk *d)
{
    for (guint i = 0; i < d->dirs->len; i++) {
        Dir *dir = dir_at(d, i);
        if (dir)
            dir_destroy(dir);
    }
    g_ptr_array_unref(d->dirs);
    g_array_free(d->nsops, TRUE);
    g_array_free(d->counts->file, TRUE);
    g_array_free(d->counts->dir, TRUE);
    g_free(d->counts);
}

/* ---- descriptors ---- */

static int open_dir(Disk *d, Fd *fd, NodeRef r)
{
    if (r == REF_NONE)
        return ENOENT;
    if (!ref_is_dir(r))
        return ENOTDIR;
    Dir *dir = dir_at(d, ref_num(r));
    *fd = (Fd){.used = 1, .is_dir = 1, .num = dir->num};
    dir->opens++;
    return 0;
}

/* Creates file `name` in `parent` (the page cache only, until the directory is fsynced). */
static File *create_file(Disk *d, Dir *parent, const char *name)
{
    File *f = disk_file_new(d);
    Entry *e = entry_get(parent, name);
    g_assert(e->cached == REF_NONE);
    e->cached = file_ref(f->num);
    f->links = 1;
    nsop_add(d, parent, name, e->cached, NULL);
    set_path(d, file_ref(f->num), parent, name);
    return f;
}

int disk_open(Disk *d, guint fd, const char *path, guint flags)
{
    if (fd >= DISK_MAX_FDS || d->fds[fd].used)
        return finish(d, EBADF);
    NodeRef r;
    int err = lookup(d, path, &r);
    if (err)
        return finish(d, err);
    Fd *slot = &d->fds[fd];
    if (flags & FS_O_DIR)
        return finish(d, open_dir(d, slot, r));
    if (ref_is_dir(r))
        return finish(d, EISDIR);
    File *f;
    if (r != REF_NONE) {
        if ((flags & FS_O_CREATE) && (flags & FS_O_EXCL))
            return finish(d, EEXIST);
        f = file_at(d, ref_num(r));
    } else {
        if (!(flags & FS_O_CREATE))
            return finish(d, ENOENT);
        Dir *parent;
        const char *name;
        resolve(d, path, FALSE, &parent, &name);
        if (parent->removed)
            return finish(d, ENOENT);
        if (d->read_only)
            return finish(d, EROFS);
        f = create_file(d, parent, name);
    }
    *slot = (Fd){.used = 1, .num = f->num};
    disk_file_sample(d, f, &slot->since, &slot->contract);
    f->opens++;
    if ((flags & FS_O_TRUNC) && f->len > 0) {
        int t = disk_truncate(d, f->num, 0);
        if (t)
            return finish(d, t);
    }
    return finish(d, 0);
}

int disk_close(Disk *d, guint fd)
{
    if (fd >= DISK_MAX_FDS || !d->fds[fd].used)
        return finish(d, EBADF);
    Fd x = d->fds[fd];
    d->fds[fd] = (Fd){0};
    if (x.is_dir) {
        dir_at(d, x.num)->opens--;
        maybe_free(d, dir_ref(x.num));
    } else {
        file_at(d, x.num)->opens--;
        maybe_free(d, file_ref(x.num));
    }
    return finish(d, 0);
}

void disk_close_all(Disk *d)
{
    for (guint fd = 0; fd < DISK_MAX_FDS; fd++)
        if (d->fds[fd].used)
            disk_close(d, fd);
}

gboolean disk_fd_is_open(const Disk *d, guint fd)
{
    return fd < DISK_MAX_FDS && d->fds[fd].used;
}

gint disk_fd_file(const Disk *d, guint fd)
{
    if (!disk_fd_is_open(d, fd) || d->fds[fd].is_dir)
        return -1;
    return (gint)d->fds[fd].num;
}

/* The file of a descriptor open on one: EBADF, or EISDIR for a directory. */
static int fd_file(const Disk *d, guint fd, guint *file)
{
    if (!disk_fd_is_open(d, fd))
        return EBADF;
    if (d->fds[fd].is_dir)
        return EISDIR;
    *file = d->fds[fd].num;
    return 0;
}

int disk_pwrite(Disk *d, guint fd, uint32_t idx, const DiskBlock *b)
{
    guint file;
    int err = fd_file(d, fd, &file);
    return err ? err : disk_write(d, file, idx, b);
}

int disk_ftruncate(Disk *d, guint fd, uint32_t len)
{
    guint file;
    int err = fd_file(d, fd, &file);
    return err ? err : disk_truncate(d, file, len);
}

int disk_pread(const Disk *d, guint fd, uint32_t idx, DiskBlock *out)
{
    guint file;
    int err = fd_file(d, fd, &file);
    return err ? err : disk_read(d, file, idx, out);
}

uint32_t disk_fd_length(const Disk *d, guint fd)
{
    guint file;
    return fd_file(d, fd, &file) ? 0 : disk_length(d, file);
}

/* Makes every entry of `dir` durable as the page cache shows it: the names going first, so that
 * the observer hears of a replaced file's blocks leaving before the new file's arrive. */
static void commit_dir(Disk *d, Dir *dir)
{
    /* Only the entries its unsynced changes name can differ from the durable image. */
    g_autoptr(GArray) ops = g_array_new(FALSE, FALSE, sizeof(NsOp));
    guint keep = 0;
    for (guint i = 0; i < d->nsops->len; i++) {
        NsOp op = g_array_index(d->nsops, NsOp, i);
        if (op.dir == dir->num)
            g_array_append_val(ops, op);
        else
            g_array_index(d->nsops, NsOp, keep++) = op;
    }
    g_array_set_size(d->nsops, keep);
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < ops->len; i++) {
            const NsOp *op = &g_array_index(ops, NsOp, i);
            for (guint k = 0; k < op->n; k++) {
                Entry *e = entry_find(dir, op->name[k]);
                if (!e || e->durable == e->cached)
                    continue;
                if (pass == 0 && e->durable != REF_NONE)
                    set_durable(d, dir, e, REF_NONE, DISK_CHANGE_UNLINK);
                else if (pass == 1)
                    set_durable(d, dir, e, e->cached, DISK_CHANGE_LINK);
            }
        }
    }
    /* Durable now: forget them (what they kept alive may go). */
    for (guint i = 0; i < ops->len; i++) {
        const NsOp *op = &g_array_index(ops, NsOp, i);
        for (guint k = 0; k < op->n; k++)
            entry_drop_if_gone(dir, op->name[k]);
    }
    for (guint i = 0; i < ops->len; i++)
        nsop_release(d, &g_array_index(ops, NsOp, i));
}

int disk_fdsync(Disk *d, guint fd, gboolean datasync)
{
    (void)datasync; /* no timestamps: fdatasync makes the same data and size durable */
    if (!disk_fd_is_open(d, fd))
        return finish(d, EBADF);
    Fd *x = &d->fds[fd];
    if (!x->is_dir)
        return finish(d, disk_file_fsync(d, file_at(d, x->num), &x->since, &x->contract));
    d->stats.fsyncs++;
    if (d->read_only)
        return finish(d, EROFS);
    commit_dir(d, dir_at(d, x->num));
    return finish(d, 0);
}

/* ---- names ---- */

int disk_mkdir(Disk *d, const char *path)
{
    Dir *parent;
    const char *name;
    int err = d->read_only ? EROFS : resolve(d, path, FALSE, &parent, &name);
    if (err)
        return finish(d, err);
    if (parent->removed)
        return finish(d, ENOENT);
    Entry *e = entry_get(parent, name);
    if (e->cached != REF_NONE)
        return finish(d, EEXIST);
    Dir *dir = dir_new(d);
    dir->links = 1;
    e = entry_get(parent, name);
    e->cached = dir_ref(dir->num);
    nsop_add(d, parent, name, e->cached, NULL);
    set_path(d, e->cached, parent, name);
    return finish(d, 0);
}

int disk_unlink(Disk *d, const char *path)
{
    Dir *parent;
    const char *name;
    int err = d->read_only ? EROFS : resolve(d, path, FALSE, &parent, &name);
    if (err)
        return finish(d, err);
    Entry *e = entry_find(parent, name);
    if (e == NULL || e->cached == REF_NONE)
        return finish(d, ENOENT);
    NodeRef r = e->cached;
    if (ref_is_dir(r)) {
        Dir *dir = dir_at(d, ref_num(r));
        for (guint i = 0; i < dir->entries->len; i++)
            if (g_array_index(dir->entries, Entry, i).cached != REF_NONE)
                return finish(d, ENOTEMPTY);
        dir->removed = TRUE;
    }
    e->cached = REF_NONE;
    nsop_add(d, parent, name, REF_NONE, NULL);
    entry_drop_if_gone(parent, name);
    set_path(d, r, NULL, NULL);
    links_change(d, r, -1);
    return finish(d, 0);
}

int disk_rename(Disk *d, const char *from, const char *to)
{
    Dir *pf, *pt;
    const char *nf, *nt;
    if (d->read_only)
        return finish(d, EROFS);
    int err = resolve(d, from, FALSE, &pf, &nf);
    if (!err)
        err = resolve(d, to, FALSE, &pt, &nt);
    if (err)
        return finish(d, err);
    Entry *ef = entry_find(pf, nf);
    if (ef == NULL || ef->cached == REF_NONE)
        return finish(d, ENOENT);
    if (pf != pt)
        return finish(d, EXDEV);
    if (strcmp(nf, nt) == 0)
        return finish(d, 0);
    NodeRef r = ef->cached;
    const Entry *old = entry_find(pt, nt);
    NodeRef replaced = old ? old->cached : REF_NONE;
    if (replaced != REF_NONE && (ref_is_dir(replaced) || ref_is_dir(r)))
        return finish(d, ref_is_dir(replaced) ? EISDIR : ENOTDIR);
    Entry *et = entry_get(pt, nt);
    ef = entry_find(pf, nf); /* entry_get may have moved the array */
    et->cached = r;
    ef->cached = REF_NONE;
    nsop_add(d, pf, nt, r, nf);
    entry_drop_if_gone(pf, nf);
    set_path(d, replaced, NULL, NULL);
    set_path(d, r, pt, nt);
    links_change(d, replaced, -1);
    return finish(d, 0);
}

/* ---- crashes ---- */

/* Which unsynced changes a power crash keeps: a prefix of them where the file system journals
 * directory operations in order, any subset where it may reorder them (btrfs); or as planned. */
static void choose_kept(const Disk *d, const PowerPlan *plan, SimRng *rng, gboolean *kept)
{
    guint n = d->nsops->len;
    if (plan->ordered || plan->keep != DISK_KEEP_RANDOM) {
        for (guint i = 0; i < n; i++) {
            uint64_t seq = g_array_index(d->nsops, NsOp, i).seq;
            kept[i] = plan->ordered ? seq <= plan->cut
                                    : plan->keep == DISK_KEEP_ALL || plan->keep == DISK_KEEP_NAMES;
        }
        return;
    }
    if (d->fs == FS_BTRFS) {
        for (guint i = 0; i < n; i++)
            kept[i] = sim_rng_chance(rng, 1, 2);
        return;
    }
    guint prefix = (guint)sim_rng_uniform(rng, 0, n);
    for (guint i = 0; i < n; i++)
        kept[i] = i < prefix;
}

/* After a power crash the page cache shows what the durable image holds. */
static void cache_from_durable(Disk *d)
{
    for (guint i = 0; i < d->dirs->len; i++) {
        Dir *dir = dir_at(d, i);
        if (!dir)
            continue;
        for (guint k = 0; k < dir->entries->len; k++) {
            Entry *e = &g_array_index(dir->entries, Entry, k);
            if (e->cached == e->durable)
                continue;
            links_change(d, e->durable, +1);
            NodeRef gone = e->cached;
            e->cached = e->durable;
            links_change(d, gone, -1);
        }
    }
    for (guint i = 0; i < d->dirs->len; i++) {
        Dir *dir = dir_at(d, i);
        if (!dir)
            continue;
        entries_compact(dir);
        dir->removed = FALSE;
        for (guint k = 0; k < dir->entries->len; k++) {
            const Entry *e = &g_array_index(dir->entries, Entry, k);
            set_path(d, e->cached, dir, e->name);
        }
    }
}

void disk_ns_seqs(const Disk *d, GArray *seqs)
{
    for (guint i = 0; i < d->nsops->len; i++)
        g_array_append_val(seqs, g_array_index(d->nsops, NsOp, i).seq);
}

void disk_ns_power_loss(Disk *d, const PowerPlan *plan, SimRng *rng)
{
    guint n = d->nsops->len;
    if (n > 0) {
        gboolean *kept = g_new0(gboolean, n);
        choose_kept(d, plan, rng, kept);
        for (guint i = 0; i < n; i++) {
            NsOp *op = &g_array_index(d->nsops, NsOp, i);
            Dir *dir = dir_at(d, op->dir);
            if (!kept[i]) {
                d->stats.ns_lost++;
                continue;
            }
            d->stats.ns_kept++;
            for (guint k = 0; k < op->n; k++)
                set_durable(d, dir, entry_get(dir, op->name[k]), op->ref[k], DISK_CHANGE_POWER);
        }
        g_free(kept);
    }
    /* Forget them all (they are durable now or lost for good), then free what nothing names. */
    g_autoptr(GArray) ops = d->nsops;
    d->nsops = g_array_new(FALSE, FALSE, sizeof(NsOp));
    cache_from_durable(d);
    for (guint i = 0; i < ops->len; i++)
        nsop_release(d, &g_array_index(ops, NsOp, i));
}

void disk_ns_wipe(Disk *d)
{
    for (guint i = 0; i < d->files->len; i++) {
        File *f = file_at(d, i);
        if (f)
            f->reach = FALSE; /* its blocks were announced gone with the wipe */
    }
    g_array_set_size(d->nsops, 0);
    for (guint i = 1; i < d->dirs->len; i++) {
        Dir *dir = dir_at(d, i);
        if (dir) {
            dir_destroy(dir);
            g_ptr_array_index(d->dirs, i) = NULL;
        }
    }
    Dir *root = dir_at(d, 0);
    g_array_set_size(root->entries, 0);
    g_hash_table_remove_all(root->index);
    for (guint i = d->nfixed; i < d->files->len; i++)
        if (file_at(d, i))
            disk_file_free(d, file_at(d, i));
    g_array_set_size(d->counts->file, 0);
    g_array_set_size(d->counts->dir, 0);
    /* A new disk: the fixed files again, empty and durably named. */
    for (guint i = 0; i < d->nfixed; i++) {
        File *f = file_at(d, i);
        char name[DISK_NAME_MAX];
        Entry *e = entry_get(root, disk_fixed_name(i, name, sizeof name));
        e->cached = file_ref(f->num);
        f->links = 1;
        f->dlinks = 0;
        set_durable(d, root, e, e->cached, DISK_CHANGE_LINK);
    }
}

/* ---- what the namespace holds ---- */

typedef struct {
    char name[DISK_NAME_MAX];
    NodeRef ref;
} Named;

static int named_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const Named *)a)->name, ((const Named *)b)->name);
}

static void list_dir(const Disk *d, const Dir *dir, const char *prefix, GArray *out)
{
    g_autoptr(GArray) names = g_array_new(FALSE, FALSE, sizeof(Named));
    for (guint i = 0; i < dir->entries->len; i++) {
        const Entry *e = &g_array_index(dir->entries, Entry, i);
        if (e->cached == REF_NONE)
            continue;
        Named n = {.ref = e->cached};
        memcpy(n.name, e->name, sizeof n.name);
        g_array_append_val(names, n);
    }
    g_array_sort(names, named_cmp);
    for (guint i = 0; i < names->len; i++) {
        const Named *n = &g_array_index(names, Named, i);
        DiskEntryInfo info = {.is_dir = ref_is_dir(n->ref),
                              .file = ref_is_dir(n->ref) ? -1 : (gint)ref_num(n->ref)};
        g_snprintf(info.path, sizeof info.path, "%s%s", prefix, n->name);
        g_array_append_val(out, info);
        if (info.is_dir) {
            char sub[DISK_NAME_MAX + 1];
            g_snprintf(sub, sizeof sub, "%s/", info.path);
            list_dir(d, dir_at(d, ref_num(n->ref)), sub, out);
        }
    }
}

GArray *disk_list(const Disk *d)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(DiskEntryInfo));
    list_dir(d, dir_at(d, 0), "", out);
    return out;
}

gint disk_lookup(const Disk *d, const char *path, gboolean durable)
{
    Dir *parent;
    const char *name;
    if (resolve((Disk *)d, path, durable, &parent, &name))
        return -1;
    const Entry *e = entry_find(parent, name);
    NodeRef r = e == NULL ? REF_NONE : durable ? e->durable : e->cached;
    return r == REF_NONE || ref_is_dir(r) ? -1 : (gint)ref_num(r);
}

const char *disk_file_path(const Disk *d, guint file)
{
    const File *f = file_at(d, file);
    return f ? f->path : NULL;
}

gboolean disk_file_exists(const Disk *d, guint file)
{
    return file_at(d, file) != NULL;
}

gboolean disk_file_is_reachable(const Disk *d, guint file)
{
    const File *f = file_at(d, file);
    return f && f->reach;
}

guint disk_ns_pending(const Disk *d)
{
    return d->nsops->len;
}

/* ---- invariants ---- */

void disk_ns_check(const Disk *d)
{
    guint nf = d->files->len, nd = d->dirs->len;
    uint32_t *links = g_new0(uint32_t, nf + nd), *dlinks = g_new0(uint32_t, nf + nd);
    uint32_t *opens = g_new0(uint32_t, nf + nd);
    for (guint i = 0; i < nd; i++) {
        const Dir *dir = dir_at(d, i);
        if (!dir)
            continue;
        for (guint k = 0; k < dir->entries->len; k++) {
            const Entry *e = &g_array_index(dir->entries, Entry, k);
            g_assert(e->cached != REF_NONE || e->durable != REF_NONE);
            if (e->cached != REF_NONE)
                links[ref_is_dir(e->cached) ? nf + ref_num(e->cached) : e->cached]++;
            if (e->durable != REF_NONE && dir->reach)
                dlinks[ref_is_dir(e->durable) ? nf + ref_num(e->durable) : e->durable]++;
        }
    }
    for (guint fd = 0; fd < DISK_MAX_FDS; fd++)
        if (d->fds[fd].used)
            opens[d->fds[fd].is_dir ? nf + d->fds[fd].num : d->fds[fd].num]++;
    for (guint i = 0; i < nf; i++) {
        const File *f = file_at(d, i);
        if (!f)
            continue;
        g_assert(f->links == links[i] && f->dlinks == dlinks[i] && f->opens == opens[i]);
    }
    for (guint i = 1; i < nd; i++) {
        const Dir *dir = dir_at(d, i);
        if (!dir)
            continue;
        g_assert(dir->links == links[nf + i] && dir->dlinks == dlinks[nf + i]);
        g_assert(dir->opens == opens[nf + i] && dir->reach == (dir->dlinks > 0));
    }
    for (guint fd = 0; fd < DISK_MAX_FDS; fd++)
        if (d->fds[fd].used)
            g_assert(d->fds[fd].is_dir ? dir_at(d, d->fds[fd].num) != NULL
                                       : file_at(d, d->fds[fd].num) != NULL);
    g_free(links);
    g_free(dlinks);
    g_free(opens);
}
