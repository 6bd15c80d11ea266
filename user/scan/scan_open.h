/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Opening a file the agent scans on a user's behalf.  The agent runs as root
 * and the path comes from a user's write, so the user controls every
 * component of it until the open: a directory swapped for a symlink into
 * /dev would make a root scan worker open a device node (opening a watchdog
 * arms it).  scan_open() resolves the path with no symlink or magic link
 * anywhere in it, looks at the inode through an O_PATH descriptor, and opens
 * it for reading only when it is a regular file: nothing else is ever opened.
 * The descriptor it returns is what a scanner (in-process or sandboxed) reads.
 */
#ifndef CPRW_SCAN_OPEN_H
#define CPRW_SCAN_OPEN_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Returns a blocking O_RDONLY|O_CLOEXEC descriptor of the regular file at the
 * absolute @path, with its fstat in @st, or a negative errno with a short
 * reason in @why: -ELOOP a symlink in the path, -EINVAL not a regular file,
 * anything else from openat2/open (-ENOENT, -EACCES...).
 */
int scan_open(const char *path, struct stat *st, char *why, size_t whylen);

#endif
