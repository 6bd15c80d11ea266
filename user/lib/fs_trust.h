/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Whose files the agent may keep its data in.  The owner of a directory can
 * rename, replace and (after a chmod back) read what is in it, and the owner
 * of a file can read it: so the spool, the alert log, the control socket's
 * directory and the --events/--record files must belong to the agent's own
 * user or to root, never to a user the agent watches.
 */
#ifndef CPRW_FS_TRUST_H
#define CPRW_FS_TRUST_H

#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static inline bool fs_ours(const struct stat *st)
{
	return st->st_uid == geteuid() || st->st_uid == 0;
}

#endif
