// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* HTTP/1.x request lines seen inside TLS and the look-up patterns they match. */
#include <errno.h>
#include <string.h>
#include "unit.h"
#include "lib/http.h"

static void test_parse(void)
{
	static const struct {
		const char *in;
		int ret;
		const char *method, *target;
		bool cut;
	} cases[] = {
		{ "GET /api/person/17 HTTP/1.1\r\nHost: x\r\n\r\n", 0, "GET", "/api/person/17",
		  false },
		{ "POST /search?q=a HTTP/1.0\r\n", 0, "POST", "/search?q=a", false },
		{ "GET /api/person/1", 0, "GET", "/api/person/1", true }, /* data ended */
		{ "GET /x HTTP/2\r\n", -EINVAL, "", "", false },
		{ "GET /x SPDY/3\r\n", -EINVAL, "", "", false },
		{ "GET  /x HTTP/1.1\r\n", -EINVAL, "", "", false }, /* empty target */
		{ " GET /x HTTP/1.1\r\n", -EINVAL, "", "", false },
		{ "GE\x01T /x HTTP/1.1\r\n", -EINVAL, "", "", false },
		{ "GET /a\x01 HTTP/1.1\r\n", -EINVAL, "", "", false },
		{ "\x16\x03\x01\x02\x00", -EINVAL, "", "", false }, /* a TLS record */
		{ "HTTP/1.1 200 OK\r\n", -EINVAL, "", "", false },  /* a response */
		{ "VERYLONGMETHODNAME /x HTTP/1.1\r\n", -EINVAL, "", "", false },
		{ "", -EINVAL, "", "", false },
	};
	struct http_request rq;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = http_request_parse(cases[i].in, strlen(cases[i].in), &rq);

		CU_ASSERT_EQUAL(ret, cases[i].ret);
		if (ret)
			continue;
		CU_ASSERT_STRING_EQUAL(rq.method, cases[i].method);
		CU_ASSERT_STRING_EQUAL(rq.target, cases[i].target);
		CU_ASSERT_EQUAL(rq.target_cut, cases[i].cut);
	}
}

/* A target longer than the buffer is kept cut and NUL-terminated. */
static void test_long_target(void)
{
	static char buf[HTTP_TARGET_MAX * 2 + 32];
	struct http_request rq;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + sizeof(buf) - 12, " HTTP/1.1\r\n", 11);
	CU_ASSERT_EQUAL_FATAL(http_request_parse(buf, sizeof(buf) - 1, &rq), 0);
	CU_ASSERT_EQUAL(strlen(rq.target), HTTP_TARGET_MAX - 1);
	CU_ASSERT_TRUE(rq.target_cut);
}

static void test_patterns(void)
{
	static const struct {
		const char *pattern, *line;
		bool match;
	} cases[] = {
		{ "GET /api/person/*", "GET /api/person/17 HTTP/1.1\r\n", true },
		{ "GET /api/person/*", "GET /api/person/17/address?x=1 HTTP/1.1\r\n", true },
		{ "GET /api/person/*", "POST /api/person/17 HTTP/1.1\r\n", false },
		{ "GET /api/person/*", "GET /api/people HTTP/1.1\r\n", false },
		{ "GET /api/person/*", "GET /api/personal/1 HTTP/1.1\r\n", false },
		{ "* /api/person/*", "DELETE /api/person/2 HTTP/1.1\r\n", true },
		{ "GE /api/person/*", "GET /api/person/2 HTTP/1.1\r\n", false },
	};
	struct http_request rq;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(http_request_parse(cases[i].line, strlen(cases[i].line), &rq),
				      0);
		CU_ASSERT_EQUAL(http_pattern_match(cases[i].pattern, &rq), cases[i].match);
	}
	CU_ASSERT_EQUAL(http_pattern_check("GET /api/person/*"), 0);
	CU_ASSERT_EQUAL(http_pattern_check("* /x"), 0);
	CU_ASSERT_EQUAL(http_pattern_check("GET"), -EINVAL);
	CU_ASSERT_EQUAL(http_pattern_check("GET api/person"), -EINVAL);
	CU_ASSERT_EQUAL(http_pattern_check(" /x"), -EINVAL);
	CU_ASSERT_EQUAL(http_pattern_check("GET /a b"), -EINVAL);
}

static CU_TestInfo http_tests[] = {
	{ "request lines", test_parse },
	{ "long target cut", test_long_target },
	{ "look-up patterns", test_patterns },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(http, http_tests)
