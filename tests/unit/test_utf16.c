// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * lib/utf8.c's UTF-16 side, shared by the scanner's text streams and the
 * agent's clipboard count: which bytes are taken for UTF-16, what the
 * detector gets from them (also when a unit or a surrogate pair is cut
 * between two chunks), and that synthetic CPR numbers in UTF-16 text are
 * counted whichever byte order and whether or not there is a byte-order
 * mark, through the decoder and through the file scanner alike.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "cpr_gen.h"
#include "lib/cpr.h"
#include "lib/utf8.h"
#include "scan/scan.h"

/* @s (ASCII) as UTF-16 of @order into @out, with a BOM if @bom; returns bytes. */
static size_t to_utf16(const char *s, enum utf16_order order, int bom, unsigned char *out)
{
	size_t o = 0;

	if (bom) {
		out[o++] = order == UTF16_LE ? 0xff : 0xfe;
		out[o++] = order == UTF16_LE ? 0xfe : 0xff;
	}
	for (; *s; s++) {
		out[o++] = order == UTF16_LE ? *s : 0;
		out[o++] = order == UTF16_LE ? 0 : *s;
	}
	return o;
}

static void test_detect(void)
{
	static const unsigned char binary[32] = { 1, 2, 3, 4, 0, 0, 0, 9, 200, 17, 0, 0, 5, 5 };
	unsigned char buf[128];
	size_t n, bom;

	n = to_utf16("Navn;CPR-nummer", UTF16_LE, 1, buf);
	CU_ASSERT_EQUAL(utf16_detect(buf, n, &bom), UTF16_LE);
	CU_ASSERT_EQUAL(bom, 2);
	n = to_utf16("Navn;CPR-nummer", UTF16_BE, 1, buf);
	CU_ASSERT_EQUAL(utf16_detect(buf, n, &bom), UTF16_BE);
	CU_ASSERT_EQUAL(bom, 2);
	n = to_utf16("Navn;CPR-nummer", UTF16_LE, 0, buf);
	CU_ASSERT_EQUAL(utf16_detect(buf, n, &bom), UTF16_LE);
	CU_ASSERT_EQUAL(bom, 0);
	n = to_utf16("Navn;CPR-nummer", UTF16_BE, 0, buf);
	CU_ASSERT_EQUAL(utf16_detect(buf, n, &bom), UTF16_BE);
	/* too short to tell without a BOM; plain text; binary with zeros */
	n = to_utf16("abc", UTF16_LE, 0, buf);
	CU_ASSERT_EQUAL(utf16_detect(buf, n, &bom), UTF16_NONE);
	CU_ASSERT_EQUAL(utf16_detect((const unsigned char *)"plain text, no zero bytes", 25, &bom),
			UTF16_NONE);
	CU_ASSERT_EQUAL(utf16_detect(binary, sizeof(binary), &bom), UTF16_NONE);
}

/* Fed one byte at a time, a surrogate pair and a lone surrogate decode as whole. */
static void test_decode_chunks(void)
{
	/* "A", U+00E6, U+2014 (punctuation), a pair (U+1F600), a lone high surrogate, "7" */
	static const unsigned char le[] = { 'A',  0,	0xe6, 0,    0x14, 0x20, 0x3d,
					    0xd8, 0x00, 0xde, 0x3d, 0xd8, '7',	0 };
	static const unsigned char want[] = { 'A', 0xe6, 0x80, 0x80, 0x80, '7' };
	unsigned char out[sizeof(le) / 2 + 2], all[32];
	struct utf16_dec d;
	size_t i, n = 0;

	utf16_dec_init(&d, UTF16_LE);
	for (i = 0; i < sizeof(le); i++)
		n += utf16_dec_feed(&d, le + i, 1, all + n);
	CU_ASSERT_EQUAL(n, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(all, want, sizeof(want)), 0);

	utf16_dec_init(&d, UTF16_LE);
	n = utf16_dec_feed(&d, le, sizeof(le), out);
	CU_ASSERT(n <= sizeof(le) / 2 + 2);
	CU_ASSERT_EQUAL(n, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
}

/* 40 synthetic numbers in UTF-16: the decoder and the scanner count all 40. */
static void test_numbers_counted(void)
{
	static unsigned char text[4096], u16[2 * 4096 + 2], narrow[4096 + 2];
	static const enum utf16_order orders[] = { UTF16_LE, UTF16_BE };
	struct scan_result res;
	struct utf16_dec d;
	struct gen_rng r;
	size_t len = 0, n, bom, k;
	int i, with_bom;

	gen_seed(&r, 4242);
	for (i = 0; i < 40; i++) {
		len += gen_format(gen_cpr_future(&r, GEN_MOD11_ANY), GEN_HYPHEN,
				  (char *)text + len);
		text[len++] = '\n';
	}
	text[len] = 0;
	CU_ASSERT_EQUAL(cpr_count_distinct(text, len), 40);
	for (k = 0; k < 2; k++) {
		for (with_bom = 0; with_bom < 2; with_bom++) {
			n = to_utf16((const char *)text, orders[k], with_bom, u16);
			/* as raw bytes the detector finds none: the zeros split the digits */
			CU_ASSERT_EQUAL(cpr_count_distinct(u16, n), 0);
			CU_ASSERT_EQUAL_FATAL(utf16_detect(u16, n < 64 ? n : 64, &bom), orders[k]);
			utf16_dec_init(&d, orders[k]);
			CU_ASSERT_EQUAL(cpr_count_distinct(narrow, utf16_dec_feed(&d, u16 + bom,
										  n - bom, narrow)),
					40);
			memset(&res, 0, sizeof(res));
			scan_buffer(u16, n, NULL, NULL, &res);
			CU_ASSERT_EQUAL(res.cpr.distinct, 40);
			scan_result_release(&res);
		}
	}
}

static CU_TestInfo utf16_tests[] = {
	{ "detect: BOM, byte order without one, not text", test_detect },
	{ "decode: chunks, surrogates, punctuation", test_decode_chunks },
	{ "numbers in UTF-16 counted, every order, BOM or not", test_numbers_counted },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(utf16, utf16_tests)
