// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * File and network I/O through io_uring only, for tests/integration/test_iouring.sh:
 * the files it copies or sends are opened, read, written and closed by
 * io_uring requests (IORING_OP_OPENAT/READ/WRITE/CLOSE), never by a syscall.
 *
 *   uring_copy [OPTIONS] copy SRC DST    copy SRC to DST in 4 KiB requests
 *   uring_copy [OPTIONS] send SRC PORT   read SRC, connect to 127.0.0.1:PORT
 *                                        (IORING_OP_CONNECT), send it (IORING_OP_SEND)
 *   uring_copy [OPTIONS] write SRC FD    read SRC, write it to the inherited FD
 *                                        (IORING_OP_WRITE; test_clipboard's X socket)
 * OPTIONS (the ways round a monitor an attacker would try):
 *   --async    every request with IOSQE_ASYNC: run by an io-wq worker thread
 *   --sqpoll   IORING_SETUP_SQPOLL: a kernel thread submits the requests
 *   --fixed    direct opens into fixed-file slots, I/O with IOSQE_FIXED_FILE
 * Prints "pid=N" first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "uring.h"

#define CHUNK 4096

static struct uring ring;
static unsigned int sqe_flags; /* IOSQE_ASYNC with --async */
static int fixed;	       /* --fixed: slots 0 and 1 instead of fds */

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_copy: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static struct io_uring_sqe *sqe_for(int opcode, int fd)
{
	struct io_uring_sqe *sqe = uring_sqe(&ring);

	if (!sqe)
		die("submission queue full", ENOSPC);
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->flags = sqe_flags;
	if (fixed && opcode != IORING_OP_OPENAT && opcode != IORING_OP_CLOSE)
		sqe->flags |= IOSQE_FIXED_FILE;
	return sqe;
}

/* An fd, or with --fixed the slot @slot. */
static int u_open(const char *path, int flags, int slot)
{
	struct io_uring_sqe *sqe = sqe_for(IORING_OP_OPENAT, AT_FDCWD);
	int ret;

	sqe->addr = (unsigned long)path;
	sqe->open_flags = flags;
	sqe->len = 0644;
	if (fixed)
		sqe->file_index = slot + 1;
	ret = uring_run1(&ring);
	if (ret < 0)
		die(path, ret);
	return fixed ? slot : ret;
}

static int u_rw(int opcode, int fd, void *buf, unsigned int len, __u64 off)
{
	struct io_uring_sqe *sqe = sqe_for(opcode, fd);

	sqe->addr = (unsigned long)buf;
	sqe->len = len;
	sqe->off = off;
	return uring_run1(&ring);
}

static void u_close(int fd)
{
	struct io_uring_sqe *sqe = sqe_for(IORING_OP_CLOSE, fixed ? 0 : fd);
	int ret;

	if (fixed)
		sqe->file_index = fd + 1;
	ret = uring_run1(&ring);
	if (ret < 0)
		die("close", ret);
}

/* The whole of @path, read with IORING_OP_READ. */
static char *read_all(const char *path, size_t *len)
{
	int fd = u_open(path, O_RDONLY, 0), n;
	size_t cap = 1 << 16, off = 0;
	char *buf = malloc(cap);

	while (buf) {
		if (cap - off < CHUNK && !(buf = realloc(buf, cap *= 2)))
			break;
		n = u_rw(IORING_OP_READ, fd, buf + off, CHUNK, off);
		if (n < 0)
			die("read", n);
		if (n == 0)
			break;
		off += n;
	}
	if (!buf)
		die("malloc", ENOMEM);
	u_close(fd);
	*len = off;
	return buf;
}

static void do_copy(const char *src, const char *dst)
{
	int in = u_open(src, O_RDONLY, 0);
	int out = u_open(dst, O_WRONLY | O_CREAT | O_TRUNC, 1);
	char buf[CHUNK];
	__u64 off = 0;
	int n, w;

	while ((n = u_rw(IORING_OP_READ, in, buf, sizeof(buf), off)) > 0) {
		w = u_rw(IORING_OP_WRITE, out, buf, n, off);
		if (w != n)
			die("write", w < 0 ? w : EIO);
		off += n;
	}
	if (n < 0)
		die("read", n);
	u_close(in);
	u_close(out);
}

static void do_send(const char *src, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct io_uring_sqe *sqe;
	size_t len, off = 0;
	char *data = read_all(src, &len), c;
	int s, ret;

	fixed = 0; /* the socket is an ordinary fd */
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket", errno);
	sqe = sqe_for(IORING_OP_CONNECT, s);
	sqe->addr = (unsigned long)&sa;
	sqe->off = sizeof(sa);
	ret = uring_run1(&ring);
	if (ret < 0)
		die("connect", ret);
	while (off < len) {
		ret = u_rw(IORING_OP_SEND, s, data + off, len - off, 0);
		if (ret <= 0)
			die("send", ret < 0 ? ret : EIO);
		off += ret;
	}
	shutdown(s, SHUT_WR);
	if (read(s, &c, 1) < 0) /* the peer's close */
		die("recv", errno);
	u_close(s);
	free(data);
}

static void do_write(const char *src, int fd)
{
	size_t len, off = 0;
	char *data = read_all(src, &len);
	int ret;

	fixed = 0; /* the inherited fd is an ordinary one */
	while (off < len) {
		ret = u_rw(IORING_OP_WRITE, fd, data + off, len - off, 0);
		if (ret <= 0)
			die("write", ret < 0 ? ret : EIO);
		off += ret;
	}
	free(data);
}

int main(int argc, char **argv)
{
	static const int sparse[2] = { -1, -1 };
	unsigned int setup = 0;
	int i = 1, ret;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--async"))
			sqe_flags |= IOSQE_ASYNC;
		else if (!strcmp(argv[i], "--sqpoll"))
			setup |= IORING_SETUP_SQPOLL;
		else if (!strcmp(argv[i], "--fixed"))
			fixed = 1;
	}
	if (argc - i != 3) {
		fprintf(stderr, "usage: uring_copy [--async] [--sqpoll] [--fixed] copy SRC DST | "
				"send SRC PORT | write SRC FD\n");
		return 2;
	}
	printf("pid=%d\n", getpid());
	fflush(stdout);
	ret = uring_init(&ring, 8, setup);
	if (ret)
		die("io_uring_setup", ret);
	if (fixed && (ret = uring_register(&ring, IORING_REGISTER_FILES, sparse, 2)))
		die("register sparse files", ret);
	if (!strcmp(argv[i], "copy"))
		do_copy(argv[i + 1], argv[i + 2]);
	else if (!strcmp(argv[i], "send"))
		do_send(argv[i + 1], atoi(argv[i + 2]));
	else if (!strcmp(argv[i], "write"))
		do_write(argv[i + 1], atoi(argv[i + 2]));
	else
		die(argv[i], EINVAL);
	uring_exit(&ring);
	return 0;
}
