// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "scan_open.h"

static int openat2_path(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC, /* no O_NOFOLLOW: a symlink at the end is ELOOP too */
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

/*
 * Reopens the inode an O_PATH descriptor pins: the path is not walked again,
 * so nothing swapped in since the check can be opened instead.
 */
static int reopen(int pfd)
{
	char proc[32];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	/* O_NOATIME keeps the scan invisible to atime-based tools */
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd;
}

int scan_open(const char *path, struct stat *st, char *why, size_t whylen)
{
	int pfd, fd, err;

	pfd = openat2_path(path);
	if (pfd < 0) {
		err = errno;
		if (err == ELOOP)
			snprintf(why, whylen, "refused: a symbolic link in the path");
		else
			snprintf(why, whylen, "open failed: %s", strerror(err));
		return -err;
	}
	if (fstat(pfd, st)) {
		err = errno;
		snprintf(why, whylen, "stat failed: %s", strerror(err));
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		err = EINVAL;
		snprintf(why, whylen, "refused: not a regular file");
		goto fail;
	}
	fd = reopen(pfd);
	if (fd < 0) {
		err = errno;
		snprintf(why, whylen, "open failed: %s", strerror(err));
		goto fail;
	}
	close(pfd);
	return fd;
fail:
	close(pfd);
	return -err;
}
