// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the clipboard ELF symbol reader (uprobe_syms_read): the
 * agent reads the dynamic symbols of clipboard libraries it discovers, some
 * in user-writable Flatpak directories, so the bytes may be a user's.  The
 * input becomes a memfd read through /proc/self/fd.
 *
 * Aborts on: success with a NULL or empty name, a name longer than the file,
 * a file offset outside the file, failure that leaves symbols behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent/uprobes_proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uprobe_syms d;
	char path[64];
	size_t i;
	int fd = memfd_create("fuzz_elfsym", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (uprobe_syms_read(path, &d)) {
		if (d.n || d.names)
			abort();
	} else {
		for (i = 0; i < d.n; i++)
			if (!d.names[i] || !d.names[i][0] || strnlen(d.names[i], size + 1) > size ||
			    d.offsets[i] >= size)
				abort();
		uprobe_syms_free(&d);
	}
	close(fd);
	return 0;
}
