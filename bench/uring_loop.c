// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * io_uring read/write loop for bench/iouring.sh: N requests on FILE, in
 * batches of DEPTH (default 8) 4 KiB writes then DEPTH 4 KiB reads of the
 * same blocks, each batch submitted with one io_uring_enter and waited for.
 * Every request passes the agent's io_uring_submit_req and io_uring_complete
 * programs, and nothing else of the agent (no syscall per request).
 *
 *   uring_loop FILE N [DEPTH]
 * Prints "elapsed_ns=W cpu_ns=C ops=N" (CPU: user + sys of the process,
 * its io-wq workers included).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "uring.h"

#define BLOCK 4096

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_loop: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* DEPTH requests of @opcode on blocks 0..DEPTH-1, submitted at once, all waited for. */
static void batch(struct uring *r, int opcode, int fd, char *buf, unsigned int depth)
{
	struct io_uring_cqe cqe;
	unsigned int i, done = 0;
	int ret;

	for (i = 0; i < depth; i++) {
		struct io_uring_sqe *sqe = uring_sqe(r);

		sqe->opcode = opcode;
		sqe->fd = fd;
		sqe->addr = (unsigned long)(buf + (size_t)i * BLOCK);
		sqe->len = BLOCK;
		sqe->off = (unsigned long long)i * BLOCK;
	}
	ret = uring_submit(r, depth);
	if (ret)
		die("io_uring_enter", ret);
	while (done < depth) {
		if (!uring_peek(r, &cqe)) {
			ret = uring_submit(r, 1);
			if (ret)
				die("io_uring_enter", ret);
			continue;
		}
		if (cqe.res != BLOCK)
			die("short request", cqe.res < 0 ? cqe.res : EIO);
		done++;
	}
}

int main(int argc, char **argv)
{
	unsigned long long t0, c0, n, i;
	unsigned int depth = 8;
	struct uring r;
	char *buf;
	int fd, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: uring_loop FILE N [DEPTH]\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	if (argc > 3)
		depth = strtoul(argv[3], NULL, 10);
	if (!depth || depth > 64 || !n)
		die("N and DEPTH (1-64) must be positive", EINVAL);
	buf = aligned_alloc(BLOCK, (size_t)depth * BLOCK);
	if (!buf)
		die("malloc", ENOMEM);
	memset(buf, 'x', (size_t)depth * BLOCK);
	fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		die(argv[1], errno);
	ret = uring_init(&r, 2 * depth, 0);
	if (ret)
		die("io_uring_setup", ret);
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < n; i += 2 * depth) {
		batch(&r, IORING_OP_WRITE, fd, buf, depth);
		batch(&r, IORING_OP_READ, fd, buf, depth);
	}
	printf("elapsed_ns=%llu cpu_ns=%llu ops=%llu\n", now_ns(CLOCK_MONOTONIC) - t0,
	       now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0, i);
	uring_exit(&r);
	close(fd);
	free(buf);
	return 0;
}
