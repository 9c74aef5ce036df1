/* model/world/disk_image.h — what a node reads of its disk at boot, as the protocol is given it. */
#ifndef DURASIM_DISK_IMAGE_H
#define DURASIM_DISK_IMAGE_H

#include "model/proto.h"
#include "model/world/disk.h"

/* Every directory and file of `d` (NULL: no disk, an empty image), with each block's read error;
 * files 0..nfiles-1 are also the image's fixed files, sharing their blocks with the entries.
 * Free with disk_image_free. */
void disk_image_read(const Disk *d, guint nfiles, ProtoDiskImage *img);
void disk_image_free(ProtoDiskImage *img);

#endif
