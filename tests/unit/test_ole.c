// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * OLE2 compound files (user/scan/scan_ole.c, scan_office.c): Word 97 piece
 * tables with 8-bit and UTF-16 pieces, Excel BIFF8 shared strings split
 * across CONTINUE records and numeric cells, PowerPoint text atoms, Outlook
 * .msg bodies and attachments, encrypted files refused, damaged ones
 * survived.  The compound files are built by gen_cfb (tests/lib).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpr_gen.h"
#include "scan/scan.h"
#include "unit.h"

static void num(struct gen_rng *r, int style, char out[12])
{
	gen_format(gen_cpr(r, GEN_MOD11_ANY), style, out);
}

static void le16(struct gen_buf *b, unsigned int v)
{
	unsigned char x[2] = { v, v >> 8 };

	gb_put(b, x, 2);
}

static void le32(struct gen_buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

static void u16s(struct gen_buf *b, const char *s)
{
	while (*s)
		le16(b, (unsigned char)*s++);
}

static int scan_cfb(const struct cfb_stream *st, int n, struct scan_result *res)
{
	struct gen_buf b = { 0 };
	int ret;

	gen_cfb(&b, st, n);
	ret = scan_buffer(b.p, b.len, NULL, NULL, res);
	gb_free(&b);
	return ret;
}

/*
 * A Word document whose text is two pieces - 8-bit, then UTF-16 - with a
 * number split across them, and a second number inside the UTF-16 piece.
 */
static void make_doc(struct gen_buf *wd, struct gen_buf *tbl, const char *a, const char *c,
		     uint16_t flags)
{
	char p1[64], p2[64];
	size_t fc2, i;

	snprintf(p1, sizeof(p1), "Sag om cpr %.5s", a);
	snprintf(p2, sizeof(p2), "%s\r\x07og %s\r", a + 5, c);
	/* FIB: base (32 bytes), csw=0, cslw=0, cbRgFcLcb=34 pairs, then the pairs. */
	le16(wd, 0xa5ec);
	le16(wd, 0xc1);
	while (wd->len < 0x0a)
		le16(wd, 0);
	le16(wd, flags | 0x0200); /* 1Table */
	while (wd->len < 32)
		le16(wd, 0);
	le16(wd, 0);
	le16(wd, 0);
	le16(wd, 34);
	for (i = 0; i < 34; i++) {
		le32(wd, 0);
		le32(wd, 0);
	}
	/* fcClx = 0 in the table stream, lcbClx patched below. */
	while (wd->len < 1024)
		le16(wd, 0);
	gb_puts(wd, p1); /* compressed piece at byte 1024 */
	fc2 = wd->len;
	u16s(wd, p2); /* UTF-16 piece */
	/* Clx: a Prc to skip, then the Pcdt. */
	gb_put(tbl, "\x01\x02\x00\xaa\xbb", 5);
	gb_put(tbl, "\x02", 1);
	le32(tbl, 3 * 4 + 2 * 8);
	le32(tbl, 0);
	le32(tbl, strlen(p1));
	le32(tbl, strlen(p1) + strlen(p2));
	le16(tbl, 0);
	le32(tbl, 0x40000000U | (1024 * 2));
	le16(tbl, 0);
	le16(tbl, 0);
	le32(tbl, fc2);
	le16(tbl, 0);
	/* lcbClx of the fcClx pair (index 33) */
	{
		size_t at = 32 + 6 + 33 * 8 + 4;

		wd->p[at] = tbl->len;
		wd->p[at + 1] = tbl->len >> 8;
	}
}

static void test_doc(void)
{
	struct gen_buf wd = { 0 }, tbl = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12], c[12];

	gen_seed(&r, 101);
	num(&r, GEN_PLAIN, a);
	num(&r, GEN_HYPHEN, c);
	make_doc(&wd, &tbl, a, c, 0);
	{
		struct cfb_stream st[] = {
			{ "WordDocument", wd.p, wd.len },
			{ "1Table", tbl.p, tbl.len },
		};

		CU_ASSERT_EQUAL(scan_cfb(st, 2, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.distinct, 2);
		CU_ASSERT(res.formats & SCAN_FMT_DOC);
	}
	gb_free(&wd);
	gb_free(&tbl);
	make_doc(&wd, &tbl, a, c, 0x0100); /* fEncrypted */
	{
		struct cfb_stream st[] = {
			{ "WordDocument", wd.p, wd.len },
			{ "1Table", tbl.p, tbl.len },
		};

		CU_ASSERT_EQUAL(scan_cfb(st, 2, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_ENCRYPTED);
		CU_ASSERT_EQUAL(res.cpr.distinct, 0);
	}
	gb_free(&wd);
	gb_free(&tbl);
}

static void biff(struct gen_buf *b, unsigned int type, const void *p, size_t n)
{
	le16(b, type);
	le16(b, n);
	gb_put(b, p, n);
}

static void cell_hdr(struct gen_buf *b, int row)
{
	le16(b, row);
	le16(b, 1);
	le16(b, 15);
}

/*
 * Workbook: an SST whose second string is split across a CONTINUE record
 * (8-bit before, UTF-16 after the new flags byte), a rich string, a
 * 9-digit NUMBER (leading zero dropped), an RK integer and a MULRK.
 */
static void test_xls(void)
{
	struct gen_buf wb = { 0 }, sst = { 0 }, cont = { 0 }, rec = { 0 };
	uint64_t v[3];
	struct scan_result res;
	struct gen_rng r;
	char s1[12], s2[12], s3[12];
	double d;
	int i;

	gen_seed(&r, 202);
	num(&r, GEN_HYPHEN, s1);
	num(&r, GEN_PLAIN, s2);
	num(&r, GEN_HYPHEN, s3);
	do
		v[0] = gen_cpr(&r, GEN_MOD11_ANY);
	while (v[0] >= 1000000000ULL); /* a day 01-09: nine digits as a number */
	for (i = 1; i < 3; i++)
		do
			v[i] = gen_cpr(&r, GEN_MOD11_ANY);
		while (v[i] >= (1U << 29) || v[i] < 1000000000ULL / 4);
	biff(&wb, 0x0809, "\x00\x06\x05\x00", 4); /* BOF */
	le32(&sst, 3);
	le32(&sst, 3);
	le16(&sst, 10);
	gb_put(&sst, "\x00", 1);
	gb_puts(&sst, s2);
	le16(&sst, 11);
	gb_put(&sst, "\x00", 1);
	gb_put(&sst, s1, 4);	  /* split: 4 chars here... */
	gb_put(&cont, "\x01", 1); /* ...7 more as UTF-16 */
	u16s(&cont, s1 + 4);
	le16(&cont, 11);
	gb_put(&cont, "\x08", 1); /* rich: 1 formatting run */
	le16(&cont, 1);
	gb_puts(&cont, s3);
	le32(&cont, 0);
	biff(&wb, 0x00fc, sst.p, sst.len);
	biff(&wb, 0x003c, cont.p, cont.len);
	cell_hdr(&rec, 0);
	d = (double)v[0];
	gb_put(&rec, &d, 8);
	biff(&wb, 0x0203, rec.p, rec.len);
	rec.len = 0;
	cell_hdr(&rec, 1);
	le32(&rec, (uint32_t)v[1] << 2 | 2); /* RK integer */
	biff(&wb, 0x027e, rec.p, rec.len);
	rec.len = 0;
	le16(&rec, 2);
	le16(&rec, 0);
	le16(&rec, 15);
	le32(&rec, (uint32_t)v[2] << 2 | 2);
	le16(&rec, 0);
	biff(&wb, 0x00bd, rec.p, rec.len);
	biff(&wb, 0x000a, "", 0); /* EOF */
	{
		struct cfb_stream st[] = { { "Workbook", wb.p, wb.len } };

		CU_ASSERT_EQUAL(scan_cfb(st, 1, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.distinct, 6);
		CU_ASSERT(res.formats & SCAN_FMT_XLS);
	}
	/* A password (FILEPASS) right after BOF: refused. */
	wb.len = 0;
	biff(&wb, 0x0809, "\x00\x06\x05\x00", 4);
	biff(&wb, 0x002f, "\x01\x00", 2);
	biff(&wb, 0x00fc, sst.p, sst.len);
	{
		struct cfb_stream st[] = { { "Workbook", wb.p, wb.len } };

		CU_ASSERT_EQUAL(scan_cfb(st, 1, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_ENCRYPTED);
	}
	gb_free(&wb);
	gb_free(&sst);
	gb_free(&cont);
	gb_free(&rec);
}

static void ppt_rec(struct gen_buf *b, unsigned int ver, unsigned int type, const void *p, size_t n)
{
	le16(b, ver);
	le16(b, type);
	le32(b, n);
	gb_put(b, p, n);
}

static void test_ppt(void)
{
	struct gen_buf doc = { 0 }, inner = { 0 }, u = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12], c[12];

	gen_seed(&r, 303);
	num(&r, GEN_HYPHEN, a);
	num(&r, GEN_SPACE, c);
	u16s(&u, a);
	ppt_rec(&inner, 0, 0x0fa0, u.p, u.len);		 /* TextCharsAtom */
	ppt_rec(&inner, 0, 0x0fa8, c, strlen(c));	 /* TextBytesAtom */
	ppt_rec(&doc, 0x0f, 0x03e8, inner.p, inner.len); /* Document container */
	{
		struct cfb_stream st[] = { { "PowerPoint Document", doc.p, doc.len } };

		CU_ASSERT_EQUAL(scan_cfb(st, 1, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.distinct, 2);
		CU_ASSERT(res.formats & SCAN_FMT_PPT);
	}
	gb_free(&doc);
	gb_free(&inner);
	gb_free(&u);
}

/* A .msg: UTF-16 body, 8-bit subject, a zip attachment holding a CSV. */
static void test_msg(void)
{
	struct gen_buf body = { 0 }, att = { 0 };
	struct scan_result res;
	struct zipw z;
	struct gen_rng r;
	char a[12], c[12], d[12], csv[64];

	gen_seed(&r, 404);
	num(&r, GEN_HYPHEN, a);
	num(&r, GEN_PLAIN, c);
	num(&r, GEN_HYPHEN, d);
	u16s(&body, "Hej, borgeren har cpr ");
	u16s(&body, a);
	snprintf(csv, sizeof(csv), "navn;cpr\nB;%s\n", d);
	zipw_init(&z);
	zipw_add(&z, "liste.csv", csv, strlen(csv), 8);
	zipw_finish(&z, &att);
	{
		struct cfb_stream st[] = {
			{ "__properties_version1.0", "\0\0\0\0\0\0\0\0", 8 },
			{ "__substg1.0_1000001F", body.p, body.len },
			{ "__substg1.0_0037001E", c, strlen(c) },
			{ "__substg1.0_37010102", att.p, att.len },
		};

		CU_ASSERT_EQUAL(scan_cfb(st, 4, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.distinct, 3);
		CU_ASSERT(res.formats & SCAN_FMT_MSG);
		CU_ASSERT(res.formats & SCAN_FMT_ZIP);
	}
	gb_free(&body);
	gb_free(&att);
}

/* Password-protected OOXML: an EncryptedPackage stream in a compound file. */
static void test_encrypted_package(void)
{
	static unsigned char pkg[5000];
	struct cfb_stream st[] = {
		{ "EncryptionInfo", "\x04\x00\x04\x00", 4 },
		{ "EncryptedPackage", pkg, sizeof(pkg) },
	};
	struct scan_result res;

	CU_ASSERT_EQUAL(scan_cfb(st, 2, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_ENCRYPTED);
}

/* An unknown compound file: its streams are scanned as files; damage is survived. */
static void test_generic_and_damaged(void)
{
	struct gen_buf b = { 0 }, big = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12];
	size_t i, cut;

	gen_seed(&r, 505);
	num(&r, GEN_HYPHEN, a);
	while (big.len < 6000)
		gb_printf(&big, "linje %zu cpr %s\n", big.len, a);
	{
		struct cfb_stream st[] = { { "Contents", big.p, big.len }, { "Small", a, 11 } };

		gen_cfb(&b, st, 2);
	}
	CU_ASSERT_EQUAL(scan_buffer(b.p, b.len, NULL, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.distinct, 1);
	CU_ASSERT(res.formats & SCAN_FMT_OLE);
	/* Truncated anywhere, and with the FAT pointing at itself: no crash, no hang. */
	for (cut = 0; cut < b.len; cut += 97)
		scan_buffer(b.p, cut, NULL, NULL, &res);
	CU_ASSERT_EQUAL(scan_buffer(b.p, 600, NULL, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_CORRUPT);
	for (i = 512; i + 4 <= b.len; i += 512) {
		unsigned char *copy = malloc(b.len);

		memcpy(copy, b.p, b.len);
		memset(copy + i, 0, 4); /* a sector chain now loops to sector 0 */
		scan_buffer(copy, b.len, NULL, NULL, &res);
		free(copy);
	}
	gb_free(&b);
	gb_free(&big);
}

static CU_TestInfo ole_tests[] = {
	{ "doc: 8-bit and UTF-16 pieces, encrypted", test_doc },
	{ "xls: SST with CONTINUE, numbers, FILEPASS", test_xls },
	{ "ppt: text atoms in containers", test_ppt },
	{ "msg: body, subject, attachment", test_msg },
	{ "encrypted OOXML package", test_encrypted_package },
	{ "unknown compound file, damage", test_generic_and_damaged },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(ole, ole_tests)
