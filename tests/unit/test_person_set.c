// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/lib/person_set.c: SipHash-2-4 against the reference vectors, keyed
 * hashes that differ per key, and the distinct-person set: distinct counts,
 * the sliding window, the bound.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "lib/person_set.h"

#define NS 1000000000ULL

/* The paper's key 00..0f and messages 00..(n-1). */
static void test_siphash_vectors(void)
{
	struct person_key k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char msg[64];
	int i;

	for (i = 0; i < 64; i++)
		msg[i] = i;
	CU_ASSERT_EQUAL(person_set_siphash24(&k, msg, 0), 0x726fdb47dd0e0e31ULL);
	CU_ASSERT_EQUAL(person_set_siphash24(&k, msg, 1), 0x74f839c593dc67fdULL);
	CU_ASSERT_EQUAL(person_set_siphash24(&k, msg, 8), 0x93f5f5799a932462ULL);
	CU_ASSERT_EQUAL(person_set_siphash24(&k, msg, 15), 0xa129ca6149be45e5ULL);
	CU_ASSERT_EQUAL(person_set_siphash24(&k, msg, 63), 0x958a324ceb064572ULL);
}

static void test_person_hash_keyed(void)
{
	struct person_key a, b;
	uint64_t n = 1234567890ULL;

	CU_ASSERT_EQUAL_FATAL(person_set_key_random(&a), 0);
	CU_ASSERT_EQUAL_FATAL(person_set_key_random(&b), 0);
	CU_ASSERT(a.k0 != b.k0 || a.k1 != b.k1);
	CU_ASSERT_EQUAL(person_set_hash(&a, n), person_set_hash(&a, n));
	CU_ASSERT_NOT_EQUAL(person_set_hash(&a, n), person_set_hash(&b, n));
	CU_ASSERT_NOT_EQUAL(person_set_hash(&a, n), person_set_hash(&a, n + 1));
	/* the ten digits with their leading zero, as the scanner reads them */
	CU_ASSERT_EQUAL(person_set_hash(&a, 123456789ULL),
			person_set_siphash24(&a, "0123456789", 10));
	CU_ASSERT_NOT_EQUAL(person_set_hash(&a, n), n);
}

static void test_distinct(void)
{
	struct person_set s;
	uint64_t i;

	CU_ASSERT_EQUAL_FATAL(person_set_init(&s, 100000, 3600 * NS), 0);
	for (i = 0; i < 600; i++)
		CU_ASSERT_EQUAL(person_set_add(&s, i * 0x9e3779b97f4a7c15ULL, NS + i), 1);
	for (i = 0; i < 600; i++)
		CU_ASSERT_EQUAL(person_set_add(&s, i * 0x9e3779b97f4a7c15ULL, 2 * NS), 0);
	CU_ASSERT_EQUAL(person_set_count(&s, 2 * NS), 600);
	CU_ASSERT_FALSE(person_set_saturated(&s, 2 * NS));
	person_set_free(&s);
}

static void test_window_slides(void)
{
	struct person_set s;
	uint64_t i;

	CU_ASSERT_EQUAL_FATAL(person_set_init(&s, 1000, 100 * NS), 0);
	for (i = 0; i < 10; i++)
		person_set_add(&s, 1000 + i, 10 * NS); /* ten at t=10 */
	for (i = 0; i < 5; i++)
		person_set_add(&s, 2000 + i, 60 * NS); /* five at t=60 */
	person_set_add(&s, 1000, 70 * NS);	       /* one of the first ten again */
	CU_ASSERT_EQUAL(person_set_count(&s, 100 * NS), 15);
	/* t=110: the t=10 ones left the window, except the one seen again */
	CU_ASSERT_EQUAL(person_set_count(&s, 110 * NS), 6);
	/* a person that left the window counts as new when seen again */
	CU_ASSERT_EQUAL(person_set_add(&s, 1001, 120 * NS), 1);
	CU_ASSERT_EQUAL(person_set_count(&s, 120 * NS), 7);
	CU_ASSERT_EQUAL(person_set_count(&s, 500 * NS), 0);
	person_set_free(&s);
}

static void test_bounded(void)
{
	struct person_set s;
	uint64_t i;
	int full = 0;

	CU_ASSERT_EQUAL_FATAL(person_set_init(&s, 1000, 100 * NS), 0);
	for (i = 0; i < 5000; i++)
		if (person_set_add(&s, i * 7919 + 1, NS) == -ENOSPC)
			full++;
	CU_ASSERT_EQUAL(full, 4000);
	CU_ASSERT_EQUAL(person_set_count(&s, NS), 1000);
	CU_ASSERT(s.cap <= 2048);
	CU_ASSERT_TRUE(person_set_saturated(&s, 50 * NS));
	/* the window frees room: the set counts again */
	CU_ASSERT_EQUAL(person_set_add(&s, 99, 200 * NS), 1);
	CU_ASSERT_EQUAL(person_set_count(&s, 200 * NS), 1);
	CU_ASSERT_FALSE(person_set_saturated(&s, 200 * NS));
	person_set_free(&s);
}

static CU_TestInfo person_set_tests[] = {
	{ "siphash-2-4 reference vectors", test_siphash_vectors },
	{ "person hash is keyed", test_person_hash_keyed },
	{ "distinct persons", test_distinct },
	{ "sliding window", test_window_slides },
	{ "bounded memory", test_bounded },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(person_set, person_set_tests)
