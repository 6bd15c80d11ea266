// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark workloads for bench/overhead.sh.  Each is a tight loop of a fixed
 * count of the operations the agent watches; the loop is timed with
 * CLOCK_MONOTONIC and one line is printed:
 *
 *   <workload> n=<N> elapsed_ns=<ns> ns_per_op=<ns> cpu_ns=<ns>
 *
 * cpu_ns is the user + system CPU time of the process (every thread) and of
 * its waited-for children (the exec loop's /bin/true) over the loop: unlike
 * the wall time it does not grow while the workload waits for a CPU that
 * other load holds.  BPF programs run in the workload's context and count.
 *
 *   workload exec N         fork + execve /bin/true + waitpid, N times
 *   workload file DIR N     open(DIR/workload.<pid>, O_WRONLY|O_CREAT) +
 *                           write 4 KiB at offset 0 + close, N times; the
 *                           file is removed afterwards (outside the loop).
 *                           No O_TRUNC: ext4 (auto_da_alloc) starts writeback
 *                           at the close of a truncated-and-rewritten file,
 *                           which would make this a disk benchmark.
 *   workload net N [BYTES]  connect to a loopback TCP listener this process
 *                           runs in a thread, write BYTES (16 KiB), close,
 *                           N times; the listener reads each connection to
 *                           EOF.  The time covers every connection served.
 *   workload mixed DIR NFILE NEXEC NNET
 *                           issue #13's mixed load: NFILE times open + 4 x
 *                           write 4 KiB + close + open + read + close of
 *                           DIR/workload.<pid> (use a tmpfs), then NEXEC
 *                           execs, then NNET loopback connections of 4 KiB
 *   workload rate DIR EVENTS_PER_S SECONDS [THREADS]
 *                           open of DIR/absent.<pid>/op (fails, ENOENT)
 *                           paced to EVENTS_PER_S a second in all by
 *                           THREADS (1) threads for SECONDS: a tracked
 *                           process sends one open event for each; prints
 *                           the opens done and the rate reached
 *
 * Whether the agent tracks the workload is decided by where the binary runs
 * from (overhead.sh copies it to a watched path for the tracked case) and by
 * the directory it writes to (an export directory, or a plain one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_BYTES 4096
#define NET_BYTES 16384
#define NET_MAX_AHEAD 64 /* connections the client may run ahead of the listener */

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000ULL + tv->tv_usec * 1000ULL;
}

/* CPU time of this process and its reaped children so far. */
static unsigned long long cpu_used_ns(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return tv_ns(&self.ru_utime) + tv_ns(&self.ru_stime) + tv_ns(&kids.ru_utime) +
	       tv_ns(&kids.ru_stime);
}

static unsigned long long cpu0, cpu1; /* CPU time at the loop's start and end */

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*end || n <= 0) {
		fprintf(stderr, "workload: '%s' is not a positive count\n", s);
		exit(2);
	}
	return n;
}

static void report(const char *name, long n, unsigned long long ns)
{
	printf("%s n=%ld elapsed_ns=%llu ns_per_op=%llu cpu_ns=%llu\n", name, n, ns, ns / n,
	       cpu1 - cpu0);
	fflush(stdout);
}

/* ---- exec ------------------------------------------------------------------ */

static unsigned long long run_exec(long n)
{
	char *const argv[] = { "true", NULL };
	unsigned long long t0;
	long i;

	cpu0 = cpu_used_ns();
	t0 = now_ns();

	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve("/bin/true", argv, environ);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "workload: /bin/true failed (status %d)\n", status);
			exit(1);
		}
	}
	t0 = now_ns() - t0;
	cpu1 = cpu_used_ns();
	return t0;
}

/* ---- file ------------------------------------------------------------------ */

static unsigned long long run_file(const char *dir, long n)
{
	static char buf[FILE_BYTES];
	char path[4096];
	unsigned long long t0, t;
	long i;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/workload.%d", dir, (int)getpid());
	cpu0 = cpu_used_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			die(path);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
		if (close(fd))
			die("close");
	}
	t = now_ns() - t0;
	cpu1 = cpu_used_ns();
	unlink(path);
	return t;
}

/* The file part of the mixed load: write 16 KiB in 4 calls, read it back. */
static void mixed_files(const char *dir, long n)
{
	static char buf[4 * FILE_BYTES];
	char path[4096];
	long i;
	int k;

	memset(buf, 'm', sizeof(buf));
	snprintf(path, sizeof(path), "%s/workload.%d", dir, (int)getpid());
	for (i = 0; i < n; i++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			die(path);
		for (k = 0; k < 4; k++)
			if (write(fd, buf + k * FILE_BYTES, FILE_BYTES) != FILE_BYTES)
				die("write");
		if (close(fd))
			die("close");
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(path);
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("read");
		if (close(fd))
			die("close");
	}
	unlink(path);
}

/* ---- rate ------------------------------------------------------------------ */

struct rate_arg {
	char path[4096];
	double per_ns; /* opens due per nanosecond */
	unsigned long long t0, end;
	long done;
};

/*
 * One thread's share: failed opens (ENOENT) of a path below a missing
 * directory, as many as the clock says are due.  A tracked process gets one
 * open event for each and the kernel does little else (no file, no close,
 * no path walk), so the generator leaves the CPU to what is measured.
 */
static void *rate_thread(void *p)
{
	struct rate_arg *a = p;
	struct timespec nap = { 0, 50000 };
	unsigned long long t;

	while ((t = now_ns()) < a->end) {
		long due = (long)((t - a->t0) * a->per_ns);

		if (a->done >= due) {
			nanosleep(&nap, NULL);
			continue;
		}
		if (due > a->done + 256)
			due = a->done + 256; /* look at the clock again soon */
		for (; a->done < due; a->done++)
			if (open(a->path, O_RDONLY | O_CLOEXEC) >= 0 || errno != ENOENT)
				die(a->path);
	}
	return NULL;
}

static void run_rate(const char *dir, long per_s, long seconds, long threads)
{
	struct rate_arg *args = calloc(threads, sizeof(*args));
	pthread_t *tids = calloc(threads, sizeof(*tids));
	unsigned long long t0 = now_ns(), t;
	long i, ops = 0;

	if (!args || !tids)
		die("calloc");
	cpu0 = cpu_used_ns();
	for (i = 0; i < threads; i++) {
		snprintf(args[i].path, sizeof(args[i].path), "%s/absent.%d/op", dir, (int)getpid());
		args[i].per_ns = per_s / (double)threads / 1e9;
		args[i].t0 = t0;
		args[i].end = t0 + seconds * 1000000000ULL;
		if (pthread_create(&tids[i], NULL, rate_thread, &args[i]))
			die("pthread_create");
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tids[i], NULL);
		ops += args[i].done;
	}
	t = now_ns() - t0;
	cpu1 = cpu_used_ns();
	printf("rate ops=%ld elapsed_ns=%llu events_per_s=%.0f cpu_ns=%llu\n", ops, t,
	       ops / (t / 1e9), cpu1 - cpu0);
	free(args);
	free(tids);
}

/* ---- net ------------------------------------------------------------------- */

struct listener {
	int fd;
	long n;
	sem_t credits; /* bounds how far the client runs ahead */
	long served;
	long long bytes;
};

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	static char buf[65536];
	long i;

	for (i = 0; i < l->n; i++) {
		int c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		ssize_t r;

		if (c < 0)
			die("accept");
		while ((r = read(c, buf, sizeof(buf))) > 0)
			l->bytes += r;
		if (r < 0)
			die("listener read");
		close(c);
		l->served++;
		sem_post(&l->credits);
	}
	return NULL;
}

static unsigned long long run_net(long n, long bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct listener l = { .n = n };
	unsigned long long t0, t;
	pthread_t th;
	char *buf;
	int one = 1;
	long i;

	buf = malloc(bytes);
	if (!buf)
		die("malloc");
	memset(buf, 'n', bytes);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l.fd < 0)
		die("socket");
	setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(l.fd, 4096) ||
	    getsockname(l.fd, (struct sockaddr *)&sa, &len))
		die("listen");
	if (sem_init(&l.credits, 0, NET_MAX_AHEAD))
		die("sem_init");
	if ((errno = pthread_create(&th, NULL, listener_main, &l)))
		die("pthread_create");

	cpu0 = cpu_used_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		long done = 0;
		int fd;

		while (sem_wait(&l.credits) && errno == EINTR)
			;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("connect");
		while (done < bytes) {
			ssize_t w = write(fd, buf + done, bytes - done);

			if (w < 0)
				die("write");
			done += w;
		}
		if (close(fd))
			die("close");
	}
	pthread_join(th, NULL);
	t = now_ns() - t0;
	cpu1 = cpu_used_ns();
	close(l.fd);
	if (l.served != n || l.bytes != (long long)n * bytes) {
		fprintf(stderr,
			"workload: listener got %ld connections, %lld bytes; want %ld, %lld\n",
			l.served, l.bytes, n, (long long)n * bytes);
		exit(1);
	}
	free(buf);
	return t;
}

/* Issue #13's mixed load, timed as one loop. */
static unsigned long long run_mixed(const char *dir, long nfile, long nexec, long nnet)
{
	unsigned long long t0, c0;

	c0 = cpu_used_ns();
	t0 = now_ns();
	mixed_files(dir, nfile);
	run_exec(nexec);
	run_net(nnet, FILE_BYTES);
	t0 = now_ns() - t0;
	cpu0 = c0;
	cpu1 = cpu_used_ns();
	return t0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: workload exec N\n"
		"       workload file DIR N\n"
		"       workload net N [BYTES]\n"
		"       workload mixed DIR NFILE NEXEC NNET\n"
		"       workload rate DIR EVENTS_PER_S SECONDS [THREADS]\n"
		"Runs N iterations and prints '<workload> n=N elapsed_ns=NS ns_per_op=NS'.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long n;

	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "exec") && argc == 3) {
		n = parse_count(argv[2]);
		report("exec", n, run_exec(n));
	} else if (!strcmp(argv[1], "file") && argc == 4) {
		n = parse_count(argv[3]);
		report("file", n, run_file(argv[2], n));
	} else if (!strcmp(argv[1], "net") && (argc == 3 || argc == 4)) {
		n = parse_count(argv[2]);
		report("net", n, run_net(n, argc == 4 ? parse_count(argv[3]) : NET_BYTES));
	} else if (!strcmp(argv[1], "mixed") && argc == 6) {
		n = parse_count(argv[3]);
		report("mixed", n,
		       run_mixed(argv[2], n, parse_count(argv[4]), parse_count(argv[5])));
	} else if (!strcmp(argv[1], "rate") && (argc == 5 || argc == 6)) {
		run_rate(argv[2], parse_count(argv[3]), parse_count(argv[4]),
			 argc == 6 ? parse_count(argv[5]) : 1);
	} else {
		usage();
	}
	return 0;
}
