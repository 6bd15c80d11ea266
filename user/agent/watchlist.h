/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Resolves the config's program and directory patterns to the (dev, ino)
 * identities the kernel filters on: globs, bare names looked up in the
 * standard bin directories, ~/dir for every user's home (never leading
 * out of it, only files of that user or root), and mounts of
 * network filesystem types.  Re-run on a timer so programs installed and
 * media mounted after start are picked up.
 */
#ifndef CPRW_WATCHLIST_H
#define CPRW_WATCHLIST_H

#include <stddef.h>
#include <sys/types.h>
#include "cprwatch/events.h"
#include "config.h"
#include "event/decode.h"

struct watch_bin {
	struct file_id id; /* kernel dev_t encoding */
	__u32 classes;
	char *path;
};

struct watch_dir {
	struct file_id id;
	enum export_kind kind;
	char *path;
};

struct watchlist {
	struct watch_bin *bins;
	size_t nr_bins;
	struct watch_dir *dirs;
	size_t nr_dirs;
};

/* Directories searched for bare program names. */
extern const char *const watchlist_bin_dirs[];

/*
 * Resolve @cfg.  @root prefixes every path looked at (for tests; "" or NULL
 * in the agent) and @mountinfo names the mount table to read (NULL:
 * /proc/self/mountinfo).  Patterns that match nothing are skipped.
 */
int watchlist_resolve(struct watchlist *wl, const struct config *cfg, const char *root,
		      const char *mountinfo);
void watchlist_free(struct watchlist *wl);

/* Classes of an executable identity, 0 when not watched. */
__u32 watchlist_classes(const struct watchlist *wl, const struct file_id *id);

#endif
