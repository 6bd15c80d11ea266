// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Real actions for the integration tests.  Copied to a watched path it plays
 * the CPR client; copied elsewhere it plays an untracked process.
 *
 *   cprw_actions spawn PROG [ARG]...      fork + exec PROG, wait for it
 *   cprw_actions write FILE BYTES         write BYTES in uneven chunks with
 *                                         write, writev and pwrite64
 *   cprw_actions rename OLD NEW
 *   cprw_actions send PORT BYTES          connect to 127.0.0.1:PORT, send BYTES,
 *                                         wait for the peer to close
 *   cprw_actions connect-loop PORT N      N connections to 127.0.0.1:PORT, each
 *                                         closed at once (CPR look-ups)
 *   cprw_actions redirect FILE BYTES      dup2 FILE onto stdout, close the
 *                                         original fd, write to stdout
 *   cprw_actions hold FILE BYTES          write, then exit without close
 *   cprw_actions read FILE                read FILE to the end
 *   cprw_actions copy SRC DST             read SRC, write it to DST
 *   cprw_actions mmap-copy SRC DST       read SRC, map DST shared and writable,
 *                                         close its fd, copy through the mapping,
 *                                         munmap (no write(2) to DST at all)
 *   cprw_actions unlink FILE
 *   cprw_actions all DIR PORT             spawn /bin/true, write DIR/out.bin
 *                                         1 MiB, rename it to DIR/renamed.bin,
 *                                         send 100 KiB to PORT
 * Prints "pid=N" first so the test can match events to this process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "cprw_actions: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int do_spawn(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		die("exec");
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	printf("child=%d\n", pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Chunk sizes that are neither powers of two nor aligned. */
static const size_t chunks[] = { 1, 4093, 65537, 777, 131071, 3, 12345 };

static void write_uneven(int fd, size_t total)
{
	static char buf[131072];
	size_t done = 0, i = 0;
	int how = 0;

	memset(buf, 'x', sizeof(buf));
	while (done < total) {
		size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
		ssize_t w;

		if (n > total - done)
			n = total - done;
		switch (how++ % 3) {
		case 0:
			w = write(fd, buf, n);
			break;
		case 1: {
			struct iovec iov[2] = { { buf, n / 2 }, { buf, n - n / 2 } };

			w = writev(fd, iov, 2);
			break;
		}
		default:
			w = pwrite(fd, buf, n, done);
			if (w > 0)
				lseek(fd, w, SEEK_CUR);
			break;
		}
		if (w < 0)
			die("write");
		done += w;
	}
}

static int do_write(const char *path, size_t total, int close_it)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("open");
	write_uneven(fd, total);
	if (close_it)
		close(fd);
	return 0;
}

static int do_redirect(const char *path, size_t total)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("open");
	fflush(stdout);
	if (dup2(fd, 1) < 0)
		die("dup2");
	close(fd);
	write_uneven(1, total);
	close(1);
	return 0;
}

static int do_read(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int do_copy(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		die("open source");
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die("open destination");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			die("write");
	close(in);
	close(out);
	return 0;
}

static int do_send(int port, size_t total)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[16384];
	size_t done = 0;
	int fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	while (done < total) {
		size_t n = total - done < sizeof(buf) ? total - done : sizeof(buf);
		ssize_t w = send(fd, buf, n, 0);

		if (w < 0)
			die("send");
		done += w;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		; /* the sink closes after reading everything */
	close(fd);
	return 0;
}

static int do_mmap_copy(const char *src, const char *dst)
{
	static char buf[16 << 20];
	ssize_t n = 0, r;
	int in = open(src, O_RDONLY), out;
	char *map;

	if (in < 0)
		die("open");
	while ((r = read(in, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	close(in);
	out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (out < 0 || !n || ftruncate(out, n))
		die("open/ftruncate");
	map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, out, 0);
	if (map == MAP_FAILED)
		die("mmap");
	close(out);	/* the last close comes before any byte is written */
	usleep(300000); /* ...and its scan has run by the time they are */
	memcpy(map, buf, n);
	if (munmap(map, n))
		die("munmap");
	return 0;
}

int main(int argc, char **argv)
{
	char a[4096], b[4096];
	char *child[] = { "/bin/true", NULL };

	if (argc < 2)
		return 2;
	printf("pid=%d\n", getpid());
	fflush(stdout);
	if (!strcmp(argv[1], "spawn") && argc >= 3)
		return do_spawn(argv + 2);
	if (!strcmp(argv[1], "write") && argc == 4)
		return do_write(argv[2], strtoull(argv[3], NULL, 10), 1);
	if (!strcmp(argv[1], "hold") && argc == 4)
		return do_write(argv[2], strtoull(argv[3], NULL, 10), 0);
	if (!strcmp(argv[1], "redirect") && argc == 4)
		return do_redirect(argv[2], strtoull(argv[3], NULL, 10));
	if (!strcmp(argv[1], "read") && argc == 3)
		return do_read(argv[2]);
	if (!strcmp(argv[1], "connect-loop") && argc == 4) {
		int i, n = atoi(argv[3]);

		for (i = 0; i < n; i++)
			if (do_send(atoi(argv[2]), 0))
				return 1;
		return 0;
	}
	if (!strcmp(argv[1], "copy") && argc == 4)
		return do_copy(argv[2], argv[3]);
	if (!strcmp(argv[1], "mmap-copy") && argc == 4)
		return do_mmap_copy(argv[2], argv[3]);
	if (!strcmp(argv[1], "unlink") && argc == 3)
		return unlink(argv[2]) ? 1 : 0;
	if (!strcmp(argv[1], "rename") && argc == 4)
		return rename(argv[2], argv[3]) ? 1 : 0;
	if (!strcmp(argv[1], "send") && argc == 4)
		return do_send(atoi(argv[2]), strtoull(argv[3], NULL, 10));
	if (!strcmp(argv[1], "all") && argc == 4) {
		snprintf(a, sizeof(a), "%s/out.bin", argv[2]);
		snprintf(b, sizeof(b), "%s/renamed.bin", argv[2]);
		if (do_spawn(child) || do_write(a, 1 << 20, 1) || rename(a, b))
			return 1;
		return do_send(atoi(argv[3]), 100 * 1024);
	}
	fprintf(stderr, "cprw_actions: bad arguments\n");
	return 2;
}
