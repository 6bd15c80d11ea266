// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/scan/scanq.c and scan_open.c: the result cache cannot be
 * fooled by a same-size rewrite with the mtime set back, and the workers
 * open nothing but regular files reached without a symlink.  Files live in a
 * private mkdtemp directory; numbers are synthetic (cpr_gen.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "event/decode.h"
#include "cpr_gen.h"
#include "scan/scan_open.h"
#include "scan/scanq.h"
#include "unit.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cprw-scanq.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT(system(cmd) == 0);
}

/* Writes n synthetic numbers (n = 0: as many impossible dates) as lines of 11 bytes. */
static void write_numbers(const char *path, int n, int total, uint64_t seed)
{
	struct gen_rng r;
	char num[16];
	int fd, i;

	gen_seed(&r, seed);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < total; i++) {
		if (i < n)
			gen_format(gen_cpr_d7(&r, "150640", 5 + i % 4, GEN_MOD11_ANY), GEN_PLAIN,
				   num);
		else
			snprintf(num, sizeof(num), "15%02d405%03d", 13 + i % 80, i); /* month 13+ */
		strcat(num, "\n");
		CU_ASSERT_FATAL(write(fd, num, 11) == 11);
	}
	close(fd);
}

static struct scan_job *scan_one(struct scanq *q, const char *path)
{
	struct scan_request rq = { .path = (char *)path, .why = SCAN_WHY_WRITTEN };
	struct scan_job *j;
	struct stat st;

	CU_ASSERT_FATAL(stat(path, &st) == 0);
	rq.id.dev = event_kernel_dev(st.st_dev);
	rq.id.ino = st.st_ino;
	CU_ASSERT_FATAL(scanq_submit(q, &rq) == 0);
	scanq_drain(q, 10000);
	j = scanq_take(q);
	CU_ASSERT_FATAL(j != NULL);
	return j;
}

/* Issue 14 item 2: same size, mtime set back, the rewrite is scanned again. */
static void test_cache_rewrite_same_size(void)
{
	struct timespec old[2];
	struct scanq q;
	struct scan_job *j;
	struct stat st;
	char path[128];

	make_dir();
	snprintf(path, sizeof(path), "%s/export.csv", dir);
	CU_ASSERT_FATAL(
		scanq_init(&q, &(struct scan_config){ .workers = 1, .queue = 16, .per_user = 0 },
			   NULL, NULL, scan_fd) == 0);
	write_numbers(path, 0, 28, 1);
	j = scan_one(&q, path);
	CU_ASSERT_EQUAL(j->res.cpr.distinct, 0);
	CU_ASSERT_FALSE(j->cached);
	scan_job_free(j);
	j = scan_one(&q, path);
	CU_ASSERT_TRUE(j->cached); /* unchanged: answered from the cache */
	scan_job_free(j);

	CU_ASSERT_FATAL(stat(path, &st) == 0);
	old[0] = st.st_atim;
	old[1] = st.st_mtim;
	usleep(20000); /* let the clock (and so ctime) move on */
	write_numbers(path, 28, 28, 2);
	CU_ASSERT_FATAL(utimensat(AT_FDCWD, path, old, 0) == 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mtim.tv_nsec, old[1].tv_nsec); /* the attack's setup held */

	j = scan_one(&q, path);
	CU_ASSERT_FALSE(j->cached);
	CU_ASSERT_EQUAL(j->res.cpr.distinct, 28);
	scan_job_free(j);
	scanq_destroy(&q);
	remove_dir();
}

/* Issue 14 item 5: a directory swapped for a symlink, a device node, a FIFO. */
static void test_open_refusals(void)
{
	char path[128], link[128], why[128];
	struct stat st;
	int fd;

	make_dir();
	snprintf(path, sizeof(path), "%s/real", dir);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/real/f.txt", dir);
	write_numbers(path, 1, 1, 3);
	fd = scan_open(path, &st, why, sizeof(why));
	CU_ASSERT(fd >= 0);
	CU_ASSERT(S_ISREG(st.st_mode));
	if (fd >= 0)
		close(fd);

	/* the parent directory is a symlink: refused, whatever it points at */
	snprintf(link, sizeof(link), "%s/via", dir);
	CU_ASSERT_FATAL(symlink("real", link) == 0);
	snprintf(path, sizeof(path), "%s/via/f.txt", dir);
	CU_ASSERT_EQUAL(scan_open(path, &st, why, sizeof(why)), -ELOOP);
	CU_ASSERT_STRING_EQUAL(why, "refused: a symbolic link in the path");
	snprintf(link, sizeof(link), "%s/dev", dir);
	CU_ASSERT_FATAL(symlink("/dev", link) == 0);
	snprintf(path, sizeof(path), "%s/dev/null", dir);
	CU_ASSERT_EQUAL(scan_open(path, &st, why, sizeof(why)), -ELOOP);
	/* the last component too */
	snprintf(link, sizeof(link), "%s/last", dir);
	CU_ASSERT_FATAL(symlink("real/f.txt", link) == 0);
	CU_ASSERT_EQUAL(scan_open(link, &st, why, sizeof(why)), -ELOOP);

	/* not regular files: never opened for reading (a FIFO would block) */
	CU_ASSERT_EQUAL(scan_open("/dev/null", &st, why, sizeof(why)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "refused: not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	CU_ASSERT_EQUAL(scan_open(path, &st, why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(scan_open(dir, &st, why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(scan_open("/proc/self/root/etc/hostname", &st, why, sizeof(why)), -ELOOP);
	remove_dir();
}

/* The queue reports a symlinked path as refused (a scan_refused alert), not as gone. */
static void test_queue_refuses_symlinked_dir(void)
{
	struct scan_request rq = { .why = SCAN_WHY_WRITTEN };
	char real[128], path[128], link[128];
	struct scan_job *j;
	struct scanq q;
	struct stat st;

	make_dir();
	snprintf(real, sizeof(real), "%s/real", dir);
	CU_ASSERT_FATAL(mkdir(real, 0755) == 0);
	snprintf(path, sizeof(path), "%s/real/f.txt", dir);
	write_numbers(path, 3, 3, 4);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	rq.id.dev = event_kernel_dev(st.st_dev);
	rq.id.ino = st.st_ino;
	snprintf(link, sizeof(link), "%s/via", dir);
	CU_ASSERT_FATAL(symlink("real", link) == 0);
	snprintf(path, sizeof(path), "%s/via/f.txt", dir);
	rq.path = path;
	CU_ASSERT_FATAL(
		scanq_init(&q, &(struct scan_config){ .workers = 1, .queue = 16, .per_user = 0 },
			   NULL, NULL, scan_fd) == 0);
	CU_ASSERT_EQUAL(scanq_submit(&q, &rq), 0);
	scanq_drain(&q, 10000);
	j = scanq_take(&q);
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_EQUAL(j->res.status, SCAN_REFUSED);
	CU_ASSERT_EQUAL(j->res.reason, SCAN_R_PATH);
	CU_ASSERT_EQUAL(j->res.cpr.matches, 0);
	scan_job_free(j);
	scanq_destroy(&q);
	remove_dir();
}

static int submit_as(struct scanq *q, const char *path, __u32 uid)
{
	struct scan_request rq = {
		.path = (char *)path, .why = SCAN_WHY_WRITTEN, .uid = uid, .loginuid = uid
	};
	struct stat st;

	CU_ASSERT_FATAL(stat(path, &st) == 0);
	rq.id.dev = event_kernel_dev(st.st_dev);
	rq.id.ino = st.st_ino;
	return scanq_submit(q, &rq);
}

/*
 * The single worker's first scan waits at a gate the test opens, so the
 * flood queues behind a busy worker however the machine schedules threads
 * (a big file to chew on was not enough on a loaded 2-core machine).
 */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_reached;

static int gated_scan_fd(int fd, const struct scan_limits *lim, const struct scan_hooks *hooks,
			 struct scan_result *res)
{
	pthread_mutex_lock(&gate_lock);
	gate_reached = true;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return scan_fd(fd, lim, hooks, res);
}

static void gate_wait_reached(void)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_reached)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_set_open(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	gate_reached = false;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

/*
 * Issue 14 item 4: one user floods the queue; another user's scan is served
 * next (not after the flood), the flood beyond the user's share is dropped
 * and counted, and the other user still gets in.
 */
static void test_fair_queue(void)
{
	char path[128];
	struct scan_job *j;
	struct scanq q;
	int i, dropped = 0, pos = 0, b_pos = -1, n = 0;

	make_dir();
	gate_set_open(false);
	CU_ASSERT_FATAL(
		scanq_init(&q, &(struct scan_config){ .workers = 1, .queue = 64, .per_user = 8 },
			   NULL, NULL, gated_scan_fd) == 0);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "%s/a%d", dir, i);
		write_numbers(path, 1, 1, 10 + i);
	}
	snprintf(path, sizeof(path), "%s/b", dir);
	write_numbers(path, 1, 1, 99);
	snprintf(path, sizeof(path), "%s/first", dir);
	write_numbers(path, 1, 1, 98);
	CU_ASSERT_EQUAL(submit_as(&q, path, 1001), 0);
	gate_wait_reached(); /* the worker holds it: the rest queues */
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "%s/a%d", dir, i);
		if (submit_as(&q, path, 1001) == -EAGAIN)
			dropped++;
	}
	snprintf(path, sizeof(path), "%s/b", dir);
	CU_ASSERT_EQUAL(submit_as(&q, path, 1002), 0); /* the other user still gets in */
	CU_ASSERT_EQUAL(dropped, 20 - 8);	       /* the user's share: 8 queued */
	CU_ASSERT_EQUAL(q.stats.dropped, (uint64_t)dropped);
	gate_set_open(true);
	scanq_drain(&q, 20000);
	while ((j = scanq_take(&q))) {
		if (j->rq.uid == 1002)
			b_pos = pos;
		pos++;
		n++;
		scan_job_free(j);
	}
	CU_ASSERT_EQUAL(n, 21 + 1 - dropped);
	CU_ASSERT(b_pos >= 0 && b_pos <= 2); /* served next, not after the flood */
	scanq_destroy(&q);
	remove_dir();
}

/* A 1 GiB sparse file is read by extent: only its data, and the number in it. */
static void test_sparse(void)
{
	struct scan_result res;
	char path[128], num[16];
	struct gen_rng r;
	int fd;

	make_dir();
	snprintf(path, sizeof(path), "%s/sparse", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 1ULL << 30) == 0);
	gen_seed(&r, 5);
	gen_format(gen_cpr_future(&r, GEN_MOD11_ANY), GEN_HYPHEN, num);
	CU_ASSERT_FATAL(pwrite(fd, num, strlen(num), 512 << 20) == (ssize_t)strlen(num));
	CU_ASSERT_EQUAL(scan_fd(fd, NULL, NULL, &res), SCAN_OK);
	close(fd);
	CU_ASSERT_EQUAL(res.cpr.distinct, 1);
	CU_ASSERT_EQUAL(res.bytes_in, 1ULL << 30); /* counted as read */
	CU_ASSERT(res.bytes_scanned < (4 << 20));  /* but not read */
	remove_dir();
}

static CU_TestInfo scanq_tests[] = {
	{ "cache: same-size rewrite with mtime set back", test_cache_rewrite_same_size },
	{ "open: symlinks anywhere, non-regular files", test_open_refusals },
	{ "queue: symlinked directory refused", test_queue_refuses_symlinked_dir },
	{ "queue: users served in turn, shares capped", test_fair_queue },
	{ "sparse file read by extent", test_sparse },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(scanq, scanq_tests)
