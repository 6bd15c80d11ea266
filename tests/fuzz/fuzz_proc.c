// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for /proc parsing (procs_seed_one): the input is cut into
 * a fake /proc/<pid>'s status, loginuid, sessionid and cmdline (the first
 * three bytes give the first three files' shares), written into a private
 * temp tree, and read as the agent reads the real one at start.  cmdline and
 * a process's name are whatever the process made them, so they are a user's.
 *
 * Aborts on: a name not NUL-terminated in its buffer, argv past its bound,
 * a process not found (and, through ASan, any out-of-bounds read).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "event/procs.h"

#define PID 4242

static char root[64], dir[96];

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "status", "loginuid", "sessionid", "cmdline" };
	size_t share[4], off = 3, i;
	const struct proc *p;
	struct procs pt;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/dev/shm/cprw-fuzz-proc.XXXXXX");
		if (!mkdtemp(root))
			abort();
		snprintf(dir, sizeof(dir), "%s/%d", root, PID);
		if (mkdir(dir, 0700))
			abort();
	}
	if (size < 3)
		return 0;
	for (i = 0; i < 3; i++) {
		share[i] = size - off ? data[i] % (size - off + 1) : 0;
		put(files[i], data + off, share[i]);
		off += share[i];
	}
	share[3] = size - off;
	put(files[3], data + off, share[3]);

	if (procs_init(&pt))
		abort();
	p = procs_seed_one(&pt, root, PID);
	if (!p || p->tgid != PID)
		abort();
	if (!memchr(p->comm, '\0', sizeof(p->comm)))
		abort();
	if (p->argv && strlen(p->argv) >= PROC_ARGV_MAX)
		abort();
	procs_free(&pt);
	return 0;
}
