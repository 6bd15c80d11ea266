// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * spool: order and acks, reopen, recovery from a torn tail (cut mid-record,
 * garbage after the last record) and from corruption in the middle, the size
 * bound under both overflow policies, segment deletion, independent sinks,
 * ack persistence per fsync policy, the directory lock and mode.
 *
 * Every test works in its own mkdtemp directory.  Damage is done to the files
 * directly, as a crash or a bad disk would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "lib/log.h"
#include "soc/spool.h"

#define ERRLEN 256

static const char *const one_sink[] = { "soc" };
static const char *const two_sinks[] = { "soc", "backup" };

static char *make_dir(void)
{
	char *d = strdup("/tmp/cprw-spool-XXXXXX");

	CU_ASSERT_FATAL(d && mkdtemp(d));
	return d;
}

static void remove_dir(char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
	free(dir);
}

static int open_sp(struct spool *sp, const char *dir, const struct spool_opts *o,
		   const char *const *sinks, unsigned int n)
{
	char err[ERRLEN] = "";
	int rc = spool_open(sp, dir, o, sinks, n, err, sizeof(err));

	if (rc)
		fprintf(stderr, "spool_open: %s\n", err);
	return rc;
}

/* Exactly @len bytes of JSON for record @n, NUL-terminated (buf holds len + 1). */
static void payload(char *buf, size_t len, uint64_t n)
{
	size_t k = snprintf(buf, len, "{\"alert\":%llu,\"pad\":\"", (unsigned long long)n);

	while (k < len - 2)
		buf[k++] = 'a' + n % 26;
	strcpy(buf + k, "\"}");
}

/* Append records n = first..last, each @len bytes; their seqs are checked to be n. */
static void append_n(struct spool *sp, uint64_t first, uint64_t last, size_t len)
{
	char buf[4096];
	uint64_t seq, n;

	for (n = first; n <= last; n++) {
		payload(buf, len, n);
		CU_ASSERT_EQUAL_FATAL(spool_append(sp, buf, strlen(buf), &seq), 0);
		CU_ASSERT_EQUAL(seq, n);
	}
}

/* The next record of sink @idx must be record @n, whole and exact. */
static void expect_next(struct spool *sp, unsigned int idx, uint64_t n, size_t len)
{
	const void *data;
	char want[4096];
	size_t got;
	uint64_t seq;

	CU_ASSERT_EQUAL_FATAL(spool_next(sp, idx, &data, &got, &seq), 0);
	payload(want, len, n);
	CU_ASSERT_EQUAL(seq, n);
	CU_ASSERT_EQUAL(got, strlen(want));
	CU_ASSERT(got == strlen(want) && !memcmp(data, want, got));
}

static void expect_empty(struct spool *sp, unsigned int idx)
{
	const void *data;
	size_t len;
	uint64_t seq;

	CU_ASSERT_EQUAL(spool_next(sp, idx, &data, &len, &seq), -EAGAIN);
}

static int count_segments(const char *dir, char *name, size_t namelen)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	CU_ASSERT_FATAL(d != NULL);
	while ((de = readdir(d))) {
		if (strlen(de->d_name) == 20 && !strcmp(de->d_name + 16, ".seg")) {
			if (name)
				snprintf(name, namelen, "%s/%s", dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static off_t file_size(const char *path)
{
	struct stat st;

	CU_ASSERT_FATAL(stat(path, &st) == 0);
	return st.st_size;
}

/* Overwrite bytes of @path at @off. */
static void poke(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(pwrite(fd, data, len, off) == (ssize_t)len);
	close(fd);
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	CU_ASSERT_FATAL(f != NULL);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static enum log_level quiet(void)
{
	enum log_level old = log_get_level();

	log_set_level(LOG_LVL_ERROR); /* recovery warns on purpose here */
	return old;
}

#define REC 100 /* payload bytes */
#define REC_DISK (SPOOL_HDR_LEN + REC)

static void test_order_and_ack(void)
{
	char *dir = make_dir();
	struct spool sp;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	expect_empty(&sp, 0);
	append_n(&sp, 1, 10, REC);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 10);
	for (n = 1; n <= 10; n++)
		expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	/* reading is not acknowledging */
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 10);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 5), 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 5);
	/* acks only move forward */
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 3), 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 5);
	/* a reconnect: what was read but not acked comes again, in order */
	spool_rewind(&sp, 0);
	for (n = 6; n <= 10; n++)
		expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	append_n(&sp, 11, 12, REC);
	expect_next(&sp, 0, 11, REC);
	/* an ack past the end is clamped to what exists */
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 1000), 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 0);
	expect_empty(&sp, 0);
	append_n(&sp, 13, 13, REC);
	expect_next(&sp, 0, 13, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 7, 1), -EINVAL);
	spool_close(&sp);
	remove_dir(dir);
}

static void test_reopen(void)
{
	char *dir = make_dir(), path[300], text[64];
	struct spool sp;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	append_n(&sp, 1, 10, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 4), 0);
	spool_close(&sp);
	snprintf(path, sizeof(path), "%s/soc.ack", dir);
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "4\n");

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(sp.stats.recovered, 10);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 6);
	for (n = 5; n <= 10; n++)
		expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	/* seqs continue, never reused */
	append_n(&sp, 11, 11, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 11), 0);
	spool_close(&sp);

	/* everything acked: the next seq still continues after a restart */
	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 0);
	expect_empty(&sp, 0);
	append_n(&sp, 12, 12, REC);
	spool_close(&sp);
	remove_dir(dir);
}

static void test_torn_cut(void)
{
	enum log_level old = quiet();
	char *dir = make_dir(), seg[300];
	struct spool sp;
	struct spool_stats st;
	uint64_t n;
	off_t cut;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	append_n(&sp, 1, 5, REC);
	spool_close(&sp);
	CU_ASSERT_EQUAL_FATAL(count_segments(dir, seg, sizeof(seg)), 1);
	CU_ASSERT_EQUAL(file_size(seg), 5 * REC_DISK);

	/* every cut inside the last record: header or payload */
	for (cut = 1; cut < REC_DISK; cut += 7) {
		CU_ASSERT_FATAL(truncate(seg, 5 * REC_DISK - cut) == 0);
		CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
		spool_get_stats(&sp, &st);
		CU_ASSERT_EQUAL(st.torn, 1);
		CU_ASSERT_EQUAL(st.corrupt, 0);
		CU_ASSERT_EQUAL(st.recovered, 4);
		CU_ASSERT_EQUAL(file_size(seg), 4 * REC_DISK);
		for (n = 1; n <= 4; n++)
			expect_next(&sp, 0, n, REC);
		expect_empty(&sp, 0);
		/* the lost record's seq is free again: nobody can have acked it */
		append_n(&sp, 5, 5, REC);
		spool_close(&sp);
	}
	remove_dir(dir);
	log_set_level(old);
}

static void test_torn_garbage(void)
{
	static const char junk1[] = "\x00\x00\x00\x00\xff\xff garbage";
	unsigned char junk2[200];
	enum log_level old = quiet();
	char *dir = make_dir(), seg[300];
	struct spool sp;
	struct spool_stats st;
	uint64_t n;
	int fd;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	append_n(&sp, 1, 3, REC);
	spool_close(&sp);
	CU_ASSERT_EQUAL_FATAL(count_segments(dir, seg, sizeof(seg)), 1);
	/* garbage with a fake magic and a plausible header in it */
	memset(junk2, 0x5a, sizeof(junk2));
	memcpy(junk2 + 10, "CPRS\x10\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00", 16);
	fd = open(seg, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, junk1, sizeof(junk1)) == sizeof(junk1));
	CU_ASSERT(write(fd, junk2, sizeof(junk2)) == sizeof(junk2));
	close(fd);

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(st.torn, 1);
	CU_ASSERT_EQUAL(st.recovered, 3);
	CU_ASSERT_EQUAL(file_size(seg), 3 * REC_DISK);
	for (n = 1; n <= 3; n++)
		expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	append_n(&sp, 4, 4, REC);
	expect_next(&sp, 0, 4, REC);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

static void test_corrupt_middle(void)
{
	enum log_level old = quiet();
	char *dir = make_dir(), seg[300];
	struct spool sp;
	struct spool_stats st;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	append_n(&sp, 1, 8, REC);
	spool_close(&sp);
	CU_ASSERT_EQUAL_FATAL(count_segments(dir, seg, sizeof(seg)), 1);
	poke(seg, 2 * REC_DISK + SPOOL_HDR_LEN + 30, "X", 1); /* record 3: bad CRC */
	poke(seg, 5 * REC_DISK, "XXXX", 4);		      /* record 6: magic */

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(st.corrupt, 2);
	CU_ASSERT_EQUAL(st.torn, 0);
	CU_ASSERT_EQUAL(st.recovered, 6);
	CU_ASSERT_EQUAL(file_size(seg), 8 * REC_DISK); /* nothing valid is cut off */
	expect_next(&sp, 0, 1, REC);
	expect_next(&sp, 0, 2, REC);
	expect_next(&sp, 0, 4, REC);
	expect_next(&sp, 0, 5, REC);
	expect_next(&sp, 0, 7, REC);
	expect_next(&sp, 0, 8, REC);
	expect_empty(&sp, 0);
	/* a rewind walks over the damage again */
	spool_rewind(&sp, 0);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 2), 0);
	expect_next(&sp, 0, 4, REC);
	append_n(&sp, 9, 9, REC);
	spool_close(&sp);

	/* and the damage stays counted, not cut, on the next open */
	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(st.corrupt, 2);
	CU_ASSERT_EQUAL(st.recovered, 7);
	expect_next(&sp, 0, 4, REC);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

/* Damage in an older segment, and a torn tail in the newest one. */
static void test_corrupt_segments(void)
{
	struct spool_opts o = { .max_bytes = 64 * 1024, .segment_bytes = 5 * REC_DISK };
	enum log_level old = quiet();
	char *dir = make_dir(), path[300];
	struct spool sp;
	struct spool_stats st;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	append_n(&sp, 1, 12, REC);
	spool_close(&sp);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 3);
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	poke(path, 4 * REC_DISK + 8, "\x77", 1); /* record 5's seq: CRC fails */
	snprintf(path, sizeof(path), "%s/000000000000000b.seg", dir);
	CU_ASSERT_FATAL(truncate(path, 2 * REC_DISK - 1) == 0);

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	spool_get_stats(&sp, &st);
	/* record 5 is the last of its segment: no later record there, so a torn tail */
	CU_ASSERT_EQUAL(st.torn, 2);
	CU_ASSERT_EQUAL(st.recovered, 10);
	for (n = 1; n <= 11; n++)
		if (n != 5)
			expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	append_n(&sp, 12, 12, REC);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

static void test_drop_oldest(void)
{
	struct spool_opts o = { .max_bytes = 20 * REC_DISK,
				.segment_bytes = 5 * REC_DISK,
				.overflow = SPOOL_DROP_OLDEST };
	enum log_level old = quiet();
	char *dir = make_dir();
	struct spool sp;
	struct spool_stats st;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, two_sinks, 2) == 0);
	/* "soc" keeps up, "backup" is down */
	for (n = 1; n <= 100; n++) {
		append_n(&sp, n, n, REC);
		expect_next(&sp, 0, n, REC);
		CU_ASSERT_EQUAL(spool_ack(&sp, 0, n), 0);
		spool_get_stats(&sp, &st);
		CU_ASSERT(st.bytes <= o.max_bytes);
	}
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(spool_dropped(&sp, 0), 0);
	CU_ASSERT_EQUAL(spool_dropped(&sp, 1) + spool_depth(&sp, 1), 100);
	CU_ASSERT(spool_dropped(&sp, 1) >= 80);
	CU_ASSERT_EQUAL(st.dropped_oldest, spool_dropped(&sp, 1));
	CU_ASSERT_EQUAL(st.dropped_new, 0);
	/* the backup sink gets the newest records, without gaps, up to the last */
	for (n = spool_dropped(&sp, 1) + 1; n <= 100; n++)
		expect_next(&sp, 1, n, REC);
	expect_empty(&sp, 1);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

/* Records 1-5 and from 1000 on are "high" (3), the rest "low" (1). */
static unsigned int test_rank(const void *data, size_t len)
{
	const char *p = memmem(data, len, "\"alert\":", 8);
	unsigned long long n = p ? strtoull(p + 8, NULL, 10) : 0;

	return n <= 5 || n >= 1000 ? 3 : 1;
}

static int append_one(struct spool *sp, uint64_t n)
{
	char buf[4096];
	uint64_t seq;

	payload(buf, REC, n);
	return spool_append(sp, buf, strlen(buf), &seq);
}

/*
 * drop_oldest with ranks: a flood of low-severity records while the SOC is
 * down cannot evict the undelivered high-severity ones in the oldest
 * segment; the low ones are refused instead, across a restart too.  A
 * record as important as the oldest segment's still evicts it.
 */
static void test_drop_oldest_spares_severe(void)
{
	struct spool_opts o = { .max_bytes = 20 * REC_DISK,
				.segment_bytes = 5 * REC_DISK,
				.overflow = SPOOL_DROP_OLDEST,
				.rank = test_rank };
	enum log_level old = quiet();
	char *dir = make_dir();
	struct spool sp;
	struct spool_stats st;
	unsigned int refused = 0;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	append_n(&sp, 1, 5, REC); /* high, undelivered */
	for (n = 6; n <= 100; n++)
		refused += append_one(&sp, n) == -ENOSPC;
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(refused, 80); /* 6..20 fit, 21..100 do not */
	CU_ASSERT_EQUAL(st.dropped_new, 80);
	CU_ASSERT_EQUAL(st.dropped_oldest, 0);
	spool_close(&sp);

	/* the ranks are read back from the records at open */
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(append_one(&sp, 200), -ENOSPC);
	for (n = 1; n <= 20; n++)
		expect_next(&sp, 0, n, REC);
	expect_empty(&sp, 0);
	/* as severe as the oldest segment's records: it goes, as before */
	CU_ASSERT_EQUAL(append_one(&sp, 1000), 0);
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(st.dropped_oldest, 5);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

static void test_drop_new(void)
{
	struct spool_opts o = { .max_bytes = 20 * REC_DISK,
				.segment_bytes = 5 * REC_DISK,
				.overflow = SPOOL_DROP_NEW };
	char *dir = make_dir(), buf[REC + 1];
	struct spool sp;
	struct spool_stats st;
	uint64_t seq, n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	append_n(&sp, 1, 20, REC);
	payload(buf, REC, 21);
	for (n = 0; n < 5; n++)
		CU_ASSERT_EQUAL(spool_append(&sp, buf, REC, &seq), -ENOSPC);
	spool_get_stats(&sp, &st);
	CU_ASSERT_EQUAL(st.dropped_new, 5);
	CU_ASSERT_EQUAL(st.dropped_oldest, 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 20);
	/* what is kept is intact and in order */
	for (n = 1; n <= 20; n++)
		expect_next(&sp, 0, n, REC);
	/* delivery makes room again; a refused append used no seq */
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 20), 0);
	append_n(&sp, 21, 30, REC);
	expect_next(&sp, 0, 21, REC);
	spool_close(&sp);
	remove_dir(dir);
}

static void test_record_limits(void)
{
	struct spool_opts o = { .max_bytes = 4096 };
	char *dir = make_dir(), *big = calloc(1, SPOOL_MAX_RECORD + 1);
	struct spool sp;
	uint64_t seq;

	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_append(&sp, "", 0, &seq), -EMSGSIZE);
	CU_ASSERT_EQUAL(spool_append(&sp, big, 4096, &seq), -EMSGSIZE);
	/* bigger than a segment but within the spool: a segment of its own */
	memset(big, 'x', 3000);
	CU_ASSERT_EQUAL(spool_append(&sp, big, 3000, &seq), 0);
	CU_ASSERT_EQUAL(seq, 1);
	spool_close(&sp);
	o.max_bytes = 0;
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_append(&sp, big, SPOOL_MAX_RECORD + 1, &seq), -EMSGSIZE);
	CU_ASSERT_EQUAL(spool_append(&sp, big, SPOOL_MAX_RECORD, &seq), 0);
	CU_ASSERT_EQUAL(seq, 2);
	spool_close(&sp);
	free(big);
	remove_dir(dir);
}

static void test_segments_deleted(void)
{
	struct spool_opts o = { .max_bytes = 1024 * 1024, .segment_bytes = 5 * REC_DISK };
	char *dir = make_dir();
	struct spool sp;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, two_sinks, 2) == 0);
	append_n(&sp, 1, 23, REC);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 5);
	/* one sink done: nothing may go yet */
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 23), 0);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 5);
	/* the other part way: the segments both are past go */
	CU_ASSERT_EQUAL(spool_ack(&sp, 1, 12), 0);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 3);
	for (n = 13; n <= 23; n++)
		expect_next(&sp, 1, n, REC);
	/* all done: only the (unfull) segment taking appends stays */
	CU_ASSERT_EQUAL(spool_ack(&sp, 1, 23), 0);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 1);
	CU_ASSERT_EQUAL(sp.bytes, 3 * REC_DISK);
	/* a full one goes as well */
	append_n(&sp, 24, 25, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 25), 0);
	CU_ASSERT_EQUAL(spool_ack(&sp, 1, 25), 0);
	CU_ASSERT_EQUAL(count_segments(dir, NULL, 0), 0);
	CU_ASSERT_EQUAL(sp.bytes, 0);
	append_n(&sp, 26, 26, REC);
	expect_next(&sp, 0, 26, REC);
	spool_close(&sp);
	remove_dir(dir);
}

static void test_two_sinks(void)
{
	char *dir = make_dir();
	struct spool sp;
	uint64_t n;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, two_sinks, 2) == 0);
	append_n(&sp, 1, 10, REC);
	for (n = 1; n <= 5; n++)
		expect_next(&sp, 0, n, REC);
	for (n = 1; n <= 3; n++)
		expect_next(&sp, 1, n, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 5), 0);
	CU_ASSERT_EQUAL(spool_ack(&sp, 1, 2), 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 5);
	CU_ASSERT_EQUAL(spool_depth(&sp, 1), 8);
	/* cursors are independent */
	expect_next(&sp, 0, 6, REC);
	expect_next(&sp, 1, 4, REC);
	spool_close(&sp);

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, two_sinks, 2) == 0);
	expect_next(&sp, 0, 6, REC);
	expect_next(&sp, 1, 3, REC);
	spool_close(&sp);

	/* the sinks in another order: acks follow the names, not the indexes */
	{
		static const char *const swapped[] = { "backup", "soc" };

		CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, swapped, 2) == 0);
		expect_next(&sp, 0, 3, REC);
		expect_next(&sp, 1, 6, REC);
		spool_close(&sp);
	}
	/* a new sink starts with everything kept */
	{
		static const char *const three[] = { "soc", "backup", "new" };

		CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, three, 3) == 0);
		CU_ASSERT_EQUAL(spool_depth(&sp, 2), 10);
		expect_next(&sp, 2, 1, REC);
		spool_close(&sp);
	}
	remove_dir(dir);
}

static void test_ack_persistence(void)
{
	struct spool_opts o = { .fsync = SPOOL_FSYNC_INTERVAL, .fsync_interval_ms = 500 };
	char *dir = make_dir(), path[300], text[64];
	struct spool sp;

	snprintf(path, sizeof(path), "%s/soc.ack", dir);
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	append_n(&sp, 1, 5, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 3), 0);
	CU_ASSERT(access(path, F_OK) != 0); /* not yet: at most once per interval */
	spool_tick(&sp, sp.last_sync_ms + 100);
	CU_ASSERT(access(path, F_OK) != 0);
	spool_tick(&sp, sp.last_sync_ms + 500);
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "3\n");
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 4), 0);
	spool_close(&sp); /* close saves whatever the policy */
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "4\n");

	/* always: appends are synced at once, acks still from the tick */
	o.fsync = SPOOL_FSYNC_ALWAYS;
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 5), 0);
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "4\n");
	spool_tick(&sp, sp.last_sync_ms + 500);
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "5\n");
	spool_close(&sp);

	/* never: written from the tick, without fsync */
	o.fsync = SPOOL_FSYNC_NEVER;
	CU_ASSERT_FATAL(open_sp(&sp, dir, &o, one_sink, 1) == 0);
	append_n(&sp, 6, 6, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 6), 0);
	spool_tick(&sp, sp.last_sync_ms + 1000);
	read_file(path, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "6\n");
	spool_close(&sp);
	remove_dir(dir);
}

static void test_damaged_ack(void)
{
	enum log_level old = quiet();
	char *dir = make_dir(), path[300];
	struct spool sp;
	FILE *f;

	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	append_n(&sp, 1, 4, REC);
	CU_ASSERT_EQUAL(spool_ack(&sp, 0, 3), 0);
	spool_close(&sp);
	snprintf(path, sizeof(path), "%s/soc.ack", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("3x\n", f);
	fclose(f);
	/* resend rather than lose */
	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_depth(&sp, 0), 4);
	expect_next(&sp, 0, 1, REC);
	spool_close(&sp);
	remove_dir(dir);
	log_set_level(old);
}

static void test_open_errors(void)
{
	static const char *const bad1[] = { ".hidden" };
	static const char *const bad2[] = { "a/b" };
	static const char *const dup[] = { "soc", "soc" };
	char *dir = make_dir(), err[ERRLEN], sub[300];
	struct spool sp, sp2;
	struct stat st;

	CU_ASSERT_EQUAL(spool_open(&sp, dir, NULL, bad1, 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spool_open(&sp, dir, NULL, bad2, 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(spool_open(&sp, dir, NULL, dup, 2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	/* one agent per spool */
	CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
	CU_ASSERT_EQUAL(spool_open(&sp2, dir, NULL, one_sink, 1, err, sizeof(err)), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
	spool_close(&sp);
	/* created 0700; an existing one is made 0700 */
	snprintf(sub, sizeof(sub), "%s/new", dir);
	CU_ASSERT_FATAL(open_sp(&sp, sub, NULL, one_sink, 1) == 0);
	spool_close(&sp);
	CU_ASSERT(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
	CU_ASSERT(chmod(sub, 0755) == 0);
	CU_ASSERT_FATAL(open_sp(&sp, sub, NULL, one_sink, 1) == 0);
	spool_close(&sp);
	CU_ASSERT(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
	/* a parent that does not exist */
	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	CU_ASSERT_EQUAL(spool_open(&sp, sub, NULL, one_sink, 1, err, sizeof(err)), -ENOENT);
	remove_dir(dir);
}

static void test_parse_names(void)
{
	enum spool_fsync f;
	enum spool_overflow o;

	CU_ASSERT(spool_parse_fsync("always", &f) == 0 && f == SPOOL_FSYNC_ALWAYS);
	CU_ASSERT(spool_parse_fsync("interval", &f) == 0 && f == SPOOL_FSYNC_INTERVAL);
	CU_ASSERT(spool_parse_fsync("never", &f) == 0 && f == SPOOL_FSYNC_NEVER);
	CU_ASSERT_EQUAL(spool_parse_fsync("sometimes", &f), -EINVAL);
	CU_ASSERT(spool_parse_overflow("drop_oldest", &o) == 0 && o == SPOOL_DROP_OLDEST);
	CU_ASSERT(spool_parse_overflow("drop_new", &o) == 0 && o == SPOOL_DROP_NEW);
	CU_ASSERT_EQUAL(spool_parse_overflow("block", &o), -EINVAL);
}

/* An ack file saying "-2" or 2^63 (damage) is ignored, not a wrap of the sequence numbers. */
static void test_ack_no_wrap(void)
{
	static const char *const bad[] = { "-2\n", " 3\n", "+4\n", "9223372036854775808\n" };
	char *dir, path[300];
	struct spool sp;
	uint64_t seq;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dir = make_dir();
		snprintf(path, sizeof(path), "%s/soc.ack", dir);
		f = fopen(path, "w");
		CU_ASSERT_FATAL(f != NULL);
		fputs(bad[i], f);
		fclose(f);
		CU_ASSERT_FATAL(open_sp(&sp, dir, NULL, one_sink, 1) == 0);
		CU_ASSERT_EQUAL(spool_append(&sp, "{}", 2, &seq), 0);
		CU_ASSERT(seq < 8); /* from the start, nowhere near a wrap */
		spool_close(&sp);
		remove_dir(dir);
	}
}

static CU_TestInfo tests[] = {
	{ "append, read, ack in order", test_order_and_ack },
	{ "reopen keeps unacked records", test_reopen },
	{ "torn last record: cut mid-record", test_torn_cut },
	{ "torn last record: garbage after it", test_torn_garbage },
	{ "corruption in the middle skipped and counted", test_corrupt_middle },
	{ "damage across segments", test_corrupt_segments },
	{ "size bound: drop_oldest", test_drop_oldest },
	{ "drop_oldest spares more severe records", test_drop_oldest_spares_severe },
	{ "size bound: drop_new", test_drop_new },
	{ "record size limits", test_record_limits },
	{ "segments deleted once all sinks acked", test_segments_deleted },
	{ "two sinks, independent acks", test_two_sinks },
	{ "ack persistence per fsync policy", test_ack_persistence },
	{ "damaged ack file", test_damaged_ack },
	{ "open errors, lock, mode", test_open_errors },
	{ "fsync and overflow names", test_parse_names },
	{ "damaged ack file: no sequence wrap", test_ack_no_wrap },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(spool, tests)
