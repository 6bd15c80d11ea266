// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/lib/time.c: the clocks and RFC 3339 time stamps. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "lib/time.h"

static void test_format_time(void)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ 999, "1970-01-01T00:00:00.000000Z" },
		{ 1000, "1970-01-01T00:00:00.000001Z" },
		{ 1704164645123456789ULL, "2024-01-02T03:04:05.123456Z" },
		{ 951782400999999999ULL, "2000-02-29T00:00:00.999999Z" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[40];

		CU_ASSERT_STRING_EQUAL(time_format(cases[i].ns, buf, sizeof(buf)), cases[i].want);
	}
}

/* Monotonic + offset = now, within a second. */
static void test_clock_offset(void)
{
	struct timespec mono, real;
	int64_t off = time_offset_compute(), est;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	est = mono.tv_sec * 1000000000LL + mono.tv_nsec + off;
	est -= real.tv_sec * 1000000000LL + real.tv_nsec;
	CU_ASSERT(est < 1000000000LL && est > -1000000000LL);
}

/* The process clock: set once (agent start, replay anchor), read everywhere. */
static void test_mono_offset_set(void)
{
	int64_t saved = time_mono_offset();

	time_set_mono_offset(123456789);
	CU_ASSERT_EQUAL(time_mono_offset(), 123456789);
	time_set_mono_offset(saved);
	CU_ASSERT_EQUAL(time_mono_offset(), saved);
}

static void test_parse_rfc3339(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t ns;
		int offset_min;
		unsigned int frac_digits;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0, 0, 0, 0 },
		{ "2024-01-02T03:04:05.123456Z", 0, 1704164645123456000ULL, 0, 6 },
		{ "2024-01-02t03:04:05.123456789123z", 0, 1704164645123456789ULL, 0, 12 },
		{ "2024-01-02 05:04:05+02:00", 0, 1704164645000000000ULL, 120, 0 },
		{ "2024-01-02T01:34:05.5-01:30", 0, 1704164645500000000ULL, -90, 1 },
		{ "2000-02-29T00:00:00Z", 0, 951782400000000000ULL, 0, 0 },
		{ "2001-02-29T00:00:00Z", -EINVAL, 0, 0, 0 }, /* no such day */
		{ "1969-12-31T23:59:59Z", -EINVAL, 0, 0, 0 }, /* before the epoch */
		{ "1970-01-01T00:30:00+01:00", -EINVAL, 0, 0, 0 },
		{ "2024-01-02T03:04:05", -EINVAL, 0, 0, 0 },   /* no offset */
		{ "2024-01-02T03:04:05.Z", -EINVAL, 0, 0, 0 }, /* empty fraction */
		{ "2024-01-02T24:00:00Z", -EINVAL, 0, 0, 0 },
		{ "2024-01-02T03:04:05+24:00", -EINVAL, 0, 0, 0 },
		{ "2024-01-02T03:04:05Zjunk", -EINVAL, 0, 0, 0 },
		{ "2024-1-02T03:04:05Z", -EINVAL, 0, 0, 0 },
		{ "", -EINVAL, 0, 0, 0 },
	};
	struct time_stamp ts;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = time_parse_rfc3339(cases[i].s, &ts);

		CU_ASSERT_EQUAL(ret, cases[i].ret);
		if (ret || cases[i].ret)
			continue;
		CU_ASSERT_EQUAL(ts.ns, cases[i].ns);
		CU_ASSERT_EQUAL(ts.offset_min, cases[i].offset_min);
		CU_ASSERT_EQUAL(ts.frac_digits, cases[i].frac_digits);
	}
	CU_ASSERT_EQUAL(time_parse_rfc3339(NULL, &ts), -EINVAL);
	CU_ASSERT_EQUAL(time_parse_rfc3339("2016-12-31T23:59:60Z", &ts), 0);
	CU_ASSERT(ts.leap_second);
}

/* What time_format writes, time_parse_rfc3339 reads back to the microsecond. */
static void test_round_trip(void)
{
	uint64_t ns = 1736935200123456000ULL;
	struct time_stamp ts;
	char buf[TIME_RFC3339_LEN];

	CU_ASSERT_EQUAL_FATAL(time_parse_rfc3339(time_format(ns, buf, sizeof(buf)), &ts), 0);
	CU_ASSERT_EQUAL(ts.ns, ns);
	CU_ASSERT_EQUAL(strlen(buf), TIME_RFC3339_LEN - 1);
}

static CU_TestInfo time_tests[] = {
	{ "format", test_format_time },
	{ "clock offset", test_clock_offset },
	{ "the process clock", test_mono_offset_set },
	{ "parse RFC 3339", test_parse_rfc3339 },
	{ "round trip", test_round_trip },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(time, time_tests)
