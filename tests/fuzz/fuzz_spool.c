// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for spool recovery: the input becomes a spool segment
 * (0000000000000001.seg), or, when it starts with 'A', the segment after its
 * first byte plus an ack file for the sink, in a fresh directory under
 * /dev/shm; spool_open recovers what it can, every record is read and acked,
 * one more is appended, and the spool is closed and opened again.
 *
 * Aborts on: spool_open failing on damaged content (it must recover, not
 * refuse), a record read back empty or longer than SPOOL_MAX_RECORD,
 * sequence numbers that do not increase, an append that fails on a spool
 * with room, the appended record missing after reopening.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "soc/spool.h"

static const char *const sinks[] = { "soc" };

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static void remove_dir(const char *dir)
{
	char path[256];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.')) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	if (rmdir(dir))
		abort();
}

/* Reads every record for the sink; returns the last seq (0: none). */
static uint64_t drain(struct spool *sp)
{
	uint64_t seq, last = 0;
	const void *rec;
	size_t len;

	while (!spool_next(sp, 0, &rec, &len, &seq)) {
		if (!len || len > SPOOL_MAX_RECORD || seq <= last)
			abort();
		last = seq;
	}
	if (last)
		spool_ack(sp, 0, last);
	return last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_opts o = { .max_bytes = 1 << 20,
				.segment_bytes = 64 << 10,
				.fsync = SPOOL_FSYNC_NEVER };
	char dir[] = "/dev/shm/cprw-fuzz-spool.XXXXXX", err[256];
	uint64_t seq, last;
	struct spool sp;

	if (!mkdtemp(dir))
		abort();
	if (size && data[0] == 'A') {
		size_t ack = size > 1 ? data[1] % 24 : 0;

		if (ack > size - 1)
			ack = size - 1;
		put(dir, "soc.ack", data + 1, ack);
		data += 1 + ack;
		size -= 1 + ack;
	}
	put(dir, "0000000000000001.seg", data, size);
	if (spool_open(&sp, dir, &o, sinks, 1, err, sizeof(err))) {
		fprintf(stderr, "spool_open: %s\n", err);
		abort();
	}
	drain(&sp);
	if (spool_append(&sp, "{\"fuzz\":1}", 10, &seq))
		abort();
	last = drain(&sp);
	if (last != seq)
		abort();
	spool_close(&sp);
	if (spool_open(&sp, dir, &o, sinks, 1, err, sizeof(err)))
		abort();
	if (spool_append(&sp, "{\"fuzz\":2}", 10, &last) || last <= seq)
		abort();
	spool_close(&sp);
	remove_dir(dir);
	return 0;
}
