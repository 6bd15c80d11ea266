// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Distinct persons per user and day, and the daily totals kept across restarts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "detect/persons.h"

#define DAY 20000

static void add_n(struct persons *ps, __u32 user, int64_t day, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		persons_add(ps, user, day, first + i);
}

static void test_distinct_per_day(void)
{
	struct persons *ps = persons_new(NULL, 14);
	uint64_t mean;
	unsigned int days;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	add_n(ps, 1000, DAY, 1, 50);
	add_n(ps, 1000, DAY, 1, 50); /* the same persons again */
	add_n(ps, 1001, DAY, 1, 7);  /* another user */
	CU_ASSERT_EQUAL(persons_today(ps, 1000, DAY), 50);
	CU_ASSERT_EQUAL(persons_today(ps, 1001, DAY), 7);
	CU_ASSERT_FALSE(persons_baseline(ps, 1000, DAY, 1, &mean, &days));
	add_n(ps, 1000, DAY + 1, 1, 10); /* a new day starts from zero */
	CU_ASSERT_EQUAL(persons_today(ps, 1000, DAY + 1), 10);
	CU_ASSERT_TRUE(persons_baseline(ps, 1000, DAY + 1, 1, &mean, &days));
	CU_ASSERT_EQUAL(mean, 50);
	CU_ASSERT_EQUAL(days, 1);
	CU_ASSERT_FALSE(persons_baseline(ps, 1000, DAY + 1, 2, &mean, &days));
	persons_free(ps);
}

static void test_kept_across_restart(void)
{
	char dir[] = "/tmp/cprw-persons-XXXXXX", path[64];
	struct persons *ps;
	uint64_t mean;
	unsigned int days;
	int d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	ps = persons_new(dir, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	for (d = 0; d < 5; d++)
		add_n(ps, 4242, DAY + d, 1000 * d, 100 + d);
	persons_free(ps); /* saves */

	ps = persons_new(dir, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	/* today (DAY + 4) comes back as a floor; three earlier days are kept */
	CU_ASSERT_EQUAL(persons_today(ps, 4242, DAY + 4), 104);
	CU_ASSERT_TRUE(persons_baseline(ps, 4242, DAY + 4, 3, &mean, &days));
	CU_ASSERT_EQUAL(days, 3);
	CU_ASSERT_EQUAL(mean, (101 + 102 + 103) / 3);
	add_n(ps, 4242, DAY + 4, 1, 200); /* more after the restart: the larger count */
	CU_ASSERT_EQUAL(persons_today(ps, 4242, DAY + 4), 200);
	persons_free(ps);
	snprintf(path, sizeof(path), "%s/persons_viewed", dir);
	unlink(path);
	rmdir(dir);
}

/* A damaged state file is survived: bad lines are skipped, good ones kept. */
static void test_bad_state_lines(void)
{
	char dir[] = "/tmp/cprw-persons-XXXXXX", path[64];
	struct persons *ps;
	uint64_t mean;
	unsigned int days;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/persons_viewed", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "# comment\n7 %d 40\ngarbage\n7 -5 9\n7 %d 60\n\n", DAY - 2, DAY - 1);
	fclose(f);
	ps = persons_new(dir, 14);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_TRUE(persons_baseline(ps, 7, DAY, 2, &mean, &days));
	CU_ASSERT_EQUAL(mean, 50);
	CU_ASSERT_EQUAL(days, 2);
	persons_free(ps);
	unlink(path);
	rmdir(dir);
}

static CU_TestInfo persons_tests[] = {
	{ "distinct per user and day", test_distinct_per_day },
	{ "daily totals kept across a restart", test_kept_across_restart },
	{ "bad state lines skipped", test_bad_state_lines },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(persons, persons_tests)
