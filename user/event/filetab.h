/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the last open event said about each (dev, ino): path, export kind,
 * taint.  The kernel's close event carries only the identity and the byte
 * totals; the rest is joined here.  Bounded: when full, the oldest half is
 * forgotten.
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
	__u32 export_kind;	/* enum export_kind or 0 */
	bool tainted;
	struct file_id origin;	/* when tainted */
	__u64 cpr_distinct;	/* CPR numbers the last scan found (an origin that carries them) */
	__u64 seq;		/* insertion order, for eviction */
	char path[];
};

void filetab_set(struct filetab *ft, const struct file_id *id, const char *path);
/* Set path and what the open said; returns the entry or NULL. */
struct file_info *filetab_put(struct filetab *ft, const struct file_id *id, const char *path,
			      __u32 export_kind, const struct file_id *origin);
const struct file_info *filetab_info(const struct filetab *ft, const struct file_id *id);
const char *filetab_get(const struct filetab *ft, const struct file_id *id);

#endif
