// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/scan/sandbox_proto.c: a reply and the person hashes after it survive
 * the round trip, and the agent refuses every reply a subverted helper could
 * forge to smuggle a number out (an unmasked sample, a digit run in the
 * message, counts out of range, a short or long datagram).  The helper
 * process itself is exercised by tests/integration/test_sandbox.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "lib/cpr.h"
#include "scan/sandbox_proto.h"

static uint8_t buf[SBX_MSG_MAX];

static struct sbx_reply *sample_reply(void)
{
	struct sbx_reply *rp = calloc(1, sizeof(*rp));

	rp->seq = 7;
	rp->res.status = SCAN_PARTIAL;
	rp->res.reason = SCAN_R_UNREAD;
	snprintf(rp->res.msg, sizeof(rp->res.msg), "pdf: font without encoding");
	rp->res.cpr.distinct = 3;
	rp->res.cpr.distinct_mod11 = 1;
	rp->res.cpr.matches = 4;
	rp->res.cpr.nr_samples = 2;
	strcpy(rp->res.cpr.samples[0], "010157-XXXX");
	strcpy(rp->res.cpr.samples[1], "311256-XXXX");
	rp->res.pages_without_text = 2;
	rp->res.bytes_scanned = 1234;
	rp->res.nr_persons = 3;
	rp->res.persons_truncated = true;
	return rp;
}

static void test_reply_round_trip(void)
{
	struct sbx_reply *rp = sample_reply(), *back = calloc(1, sizeof(*back));
	uint64_t persons[3] = { 1, ~0ULL, 0x1234567890abcdefULL }, got[3];
	size_t n = sbx_reply_encode(buf, rp);

	CU_ASSERT_EQUAL(n, SBX_REPLY_LEN);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), 0);
	CU_ASSERT_EQUAL(back->seq, 7);
	CU_ASSERT_EQUAL(back->res.status, SCAN_PARTIAL);
	CU_ASSERT_EQUAL(back->res.reason, SCAN_R_UNREAD);
	CU_ASSERT_STRING_EQUAL(back->res.msg, "pdf: font without encoding");
	CU_ASSERT_EQUAL(back->res.cpr.distinct, 3);
	CU_ASSERT_EQUAL(back->res.cpr.matches, 4);
	CU_ASSERT_EQUAL(back->res.pages_without_text, 2);
	CU_ASSERT_EQUAL(back->res.bytes_scanned, 1234);
	CU_ASSERT_STRING_EQUAL(back->res.cpr.samples[1], "311256-XXXX");
	CU_ASSERT_EQUAL(back->res.nr_persons, 3);
	CU_ASSERT(back->res.persons_truncated);
	CU_ASSERT_PTR_NULL(back->res.persons);
	n = sbx_persons_encode(buf, persons, 3);
	CU_ASSERT_EQUAL(sbx_persons_decode(buf, n, got, 3), 0);
	CU_ASSERT_EQUAL(memcmp(persons, got, sizeof(got)), 0);
	CU_ASSERT_EQUAL(sbx_persons_decode(buf, n, got, 2), -EPROTO);
	CU_ASSERT_EQUAL(sbx_persons_decode(buf, n - 1, got, 3), -EPROTO);
	free(rp);
	free(back);
}

/* Each forged reply must be refused as a whole. */
static void test_reply_forged(void)
{
	struct sbx_reply *rp = sample_reply(), *back = calloc(1, sizeof(*back));
	size_t n;

	strcpy(rp->res.cpr.samples[0], "0101571234"); /* a raw number as a "sample" */
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	strcpy(rp->res.cpr.samples[0], "010157-1234");
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	strcpy(rp->res.cpr.samples[0], "010157-XXXX");

	rp->res.status = 99;
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	rp->res.status = SCAN_OK;
	rp->res.reason = SCAN_R_MAX + 1;
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	rp->res.reason = SCAN_R_NONE;
	rp->res.cpr.nr_samples = 5; /* more samples than distinct numbers */
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	rp->res.cpr.nr_samples = 2;
	rp->res.nr_persons = 4; /* more persons than distinct numbers */
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);
	rp->res.nr_persons = 3;

	/* truncated, padded, wrong magic */
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n - 1, back), -EPROTO);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n + 8, back), -EPROTO);
	buf[0] ^= 1;
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), -EPROTO);

	/* a message carrying a number comes out compacted, never verbatim */
	snprintf(rp->res.msg, sizeof(rp->res.msg), "oops 0101571234");
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), 0);
	CU_ASSERT_PTR_NULL(strstr(back->res.msg, "0101571234"));
	/* an unterminated message is cut, not read past */
	memset(rp->res.msg, 'a', sizeof(rp->res.msg));
	n = sbx_reply_encode(buf, rp);
	CU_ASSERT_EQUAL(sbx_reply_decode(buf, n, back), 0);
	CU_ASSERT(strlen(back->res.msg) > 100 && strlen(back->res.msg) < sizeof(back->res.msg));
	free(rp);
	free(back);
}

static void test_request_and_hello(void)
{
	struct sbx_request rq = { .seq = 42 }, back;
	struct person_key key = { 0x0123456789abcdefULL, 42 }, got;
	size_t n;

	scan_limits_default(&rq.lim);
	rq.lim.max_time_ms = 1500;
	rq.lim.substitutes = true;
	rq.lim.max_persons = 777;
	n = sbx_request_encode(buf, &rq);
	CU_ASSERT_EQUAL(n, SBX_REQUEST_LEN);
	CU_ASSERT_EQUAL(sbx_request_decode(buf, n, &back), 0);
	CU_ASSERT_EQUAL(back.seq, 42);
	CU_ASSERT_EQUAL(back.lim.max_time_ms, 1500);
	CU_ASSERT_EQUAL(back.lim.max_file_size, rq.lim.max_file_size);
	CU_ASSERT(back.lim.substitutes);
	CU_ASSERT_EQUAL(back.lim.max_persons, 777);
	CU_ASSERT_PTR_NULL(back.lim.person_key);
	CU_ASSERT_EQUAL(sbx_request_decode(buf, n - 1, &back), -EPROTO);
	n = sbx_hello_encode(buf, &key);
	CU_ASSERT_EQUAL(sbx_hello_decode(buf, n, &got), 0);
	CU_ASSERT_EQUAL(got.k0, key.k0);
	CU_ASSERT_EQUAL(got.k1, key.k1);
	buf[4] = 99; /* another protocol version */
	CU_ASSERT_EQUAL(sbx_hello_decode(buf, n, &got), -EPROTO);
}

static CU_TestInfo sandbox_tests[] = {
	{ "reply round trip", test_reply_round_trip },
	{ "forged replies refused", test_reply_forged },
	{ "request and hello", test_request_and_hello },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(sandbox, sandbox_tests)
