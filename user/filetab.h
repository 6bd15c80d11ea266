/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Last known path of each (dev, ino) seen in an open event.  The kernel's
 * close event carries only the identity and the byte totals; the path is
 * joined here.  Bounded: when full, the oldest half is forgotten.
 */
#ifndef CPRW_FILETAB_H
#define CPRW_FILETAB_H

#include <stddef.h>
#include "cprwatch/events.h"
#include "hashmap.h"

struct filetab {
	struct hashmap map;
	size_t max;
	__u64 seq;
};

int filetab_init(struct filetab *ft, size_t max);
void filetab_free(struct filetab *ft);
void filetab_set(struct filetab *ft, const struct file_id *id, const char *path);
const char *filetab_get(const struct filetab *ft, const struct file_id *id);

#endif
