/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the agent knows about each (dev, ino): its latest path and export
 * kind, its taint and origin, the CPR numbers its last scan found.  The
 * kernel's close event carries only the identity and the byte totals; the
 * rest is joined here.  A file is its inode, not its name: an open through
 * another name (after a rename, through a hard link) moves the path and
 * keeps everything else, and an export keeps the path it was exported under
 * (export_path), so an alert names the original export and not a link to
 * it.  Bounded: when full, the oldest half is forgotten.
 */
#ifndef CPRW_FILETAB_H
#define CPRW_FILETAB_H

#include <stdbool.h>
#include <stddef.h>
#include "cprwatch/events.h"
#include "lib/hashmap.h"

struct filetab {
	struct hashmap map;
	size_t max;
	__u64 seq;
};

int filetab_init(struct filetab *ft, size_t max);
void filetab_free(struct filetab *ft);
struct file_info {
	struct file_id id;
	__u32 export_kind; /* enum export_kind or 0 */
	bool tainted;
	struct file_id origin; /* when tainted */
	__u64 cpr_distinct;    /* CPR numbers the last scan found (an origin that carries them) */
	__u64 seq;	       /* last use, for eviction */
	char *export_path;     /* the path when it became an origin (its own), or NULL */
	char *path;	       /* the latest name it was seen under */
};

void filetab_set(struct filetab *ft, const struct file_id *id, const char *path);
/*
 * Set path and what the open said (a NULL @origin leaves the taint as it
 * was: taint is never taken back); returns the entry or NULL.
 */
struct file_info *filetab_put(struct filetab *ft, const struct file_id *id, const char *path,
			      __u32 export_kind, const struct file_id *origin);
const struct file_info *filetab_info(const struct filetab *ft, const struct file_id *id);
const char *filetab_get(const struct filetab *ft, const struct file_id *id);
/* The name an origin export is known by: the path it was exported under. */
const char *filetab_export_path(const struct filetab *ft, const struct file_id *id);

#endif
