/* model/world/disk_image.c — what a node reads of its disk at boot (see disk_image.h). */
#include "model/world/disk_image.h"

#include <string.h>

static uint32_t read_file(const Disk *d, guint file, DiskBlock **blocks, int **errors)
{
    uint32_t len = disk_length(d, file);
    *blocks = g_new0(DiskBlock, len ? len : 1);
    *errors = g_new0(int, len ? len : 1);
    for (uint32_t i = 0; i < len; i++)
        (*errors)[i] = disk_read(d, file, i, &(*blocks)[i]);
    return len;
}

void disk_image_read(const Disk *d, guint nfiles, ProtoDiskImage *img)
{
    *img = (ProtoDiskImage){0};
    if (!d)
        return;
    img->nfiles = nfiles;
    g_autoptr(GArray) list = disk_list(d);
    ProtoFileImage *entries = g_new0(ProtoFileImage, list->len ? list->len : 1);
    for (guint i = 0; i < list->len; i++) {
        const DiskEntryInfo *info = &g_array_index(list, DiskEntryInfo, i);
        ProtoFileImage *e = &entries[i];
        memcpy(e->path, info->path, sizeof e->path);
        e->is_dir = info->is_dir;
        if (info->is_dir)
            continue;
        DiskBlock *blocks;
        int *errors;
        e->len = read_file(d, (guint)info->file, &blocks, &errors);
        e->blocks = blocks;
        e->errors = errors;
        if ((guint)info->file < nfiles) {
            img->len[info->file] = e->len;
            img->blocks[info->file] = blocks;
            img->errors[info->file] = errors;
        }
    }
    img->nentries = list->len;
    img->entries = entries;
    for (guint f = 0; f < img->nfiles; f++)
        g_assert(img->blocks[f] != NULL); /* the fixed files are always there */
}

void disk_image_free(ProtoDiskImage *img)
{
    for (guint i = 0; i < img->nentries; i++) {
        g_free((DiskBlock *)img->entries[i].blocks);
        g_free((int *)img->entries[i].errors);
    }
    g_free((ProtoFileImage *)img->entries);
}
