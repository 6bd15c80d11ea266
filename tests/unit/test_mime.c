// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Mail and HTML (user/scan/scan_mime.c, html in scan_stream.c): quoted-
 * printable with soft line breaks inside a number, encoded-word Subjects, base64 attachments
 * scanned as the files they are (a zip, a nested message), mbox, HTML
 * entities and tags, and a nesting bomb refused.
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

static void b64(struct gen_buf *out, const unsigned char *p, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		char q[4] = { al[v >> 18 & 63], al[v >> 12 & 63], i + 1 < n ? al[v >> 6 & 63] : '=',
			      i + 2 < n ? al[v & 63] : '=' };

		gb_put(out, q, 4);
		if (i % 57 == 54)
			gb_puts(out, "\r\n");
	}
	gb_puts(out, "\r\n");
}

static void test_mail(void)
{
	struct gen_buf m = { 0 }, zip = { 0 }, mbox = { 0 };
	struct scan_result res;
	struct zipw z;
	struct gen_rng r;
	char a[12], c[12], d[12], e[12], csv[64];

	gen_seed(&r, 606);
	num(&r, GEN_HYPHEN, a);
	num(&r, GEN_PLAIN, c);
	num(&r, GEN_HYPHEN, d);
	num(&r, GEN_HYPHEN, e);
	snprintf(csv, sizeof(csv), "navn;cpr\nB;%s\n", d);
	zipw_init(&z);
	zipw_add(&z, "liste.csv", csv, strlen(csv), 8);
	zipw_finish(&z, &zip);
	gb_puts(&m,
		"From: a@kommune.example\r\nTo: b@example.org\r\nSubject: liste\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"=-x1\"\r\n\r\n"
		"preamble\r\n--=-x1\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	/* a soft line break in the middle of a number, and an encoded hyphen */
	gb_printf(&m, "Borger %.4s=\r\n%.2s=2D%s har f=C3=A5et svar.\r\n", a, a + 4, a + 7);
	gb_puts(&m, "--=-x1\r\nContent-Type: application/zip; name=l.zip\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
	b64(&m, zip.p, zip.len);
	gb_puts(&m, "--=-x1\r\nContent-Type: message/rfc822\r\n\r\n"
		    "From: c@example.org\r\nContent-Type: text/html\r\n\r\n");
	gb_printf(&m, "<html><body><p>cpr&nbsp;<b>%.6s</b>&#45;%s</p></body></html>\r\n", e, e + 7);
	gb_puts(&m, "--=-x1--\r\nepilogue\r\n");
	CU_ASSERT_EQUAL(scan_buffer(m.p, m.len, NULL, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.distinct, 3);
	CU_ASSERT(res.formats & SCAN_FMT_MIME);
	CU_ASSERT(res.formats & SCAN_FMT_ZIP);

	/* The same message twice in an mbox, and a second message with another number. */
	gb_puts(&mbox, "From a@kommune.example Sun Dec  6 02:00:00 2026\n");
	gb_put(&mbox, m.p, m.len);
	gb_puts(&mbox, "\nFrom b@kommune.example Sun Dec  6 02:01:00 2026\nSubject: x\n\n");
	gb_printf(&mbox, "cpr %s\n", c);
	CU_ASSERT_EQUAL(scan_buffer(mbox.p, mbox.len, NULL, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.distinct, 4);

	/* Numbers in the Subject, as encoded-words (base64 and Q) a mail client writes for "æ". */
	{
		struct gen_buf h = { 0 }, w = { 0 };
		char subj[64], f[12], g[12];

		num(&r, GEN_HYPHEN, f);
		num(&r, GEN_PLAIN, g);
		snprintf(subj, sizeof(subj), "s\xc3\xa6g %s", f);
		b64(&w, (const unsigned char *)subj, strlen(subj));
		w.len -= 2; /* the encoder's line break */
		gb_printf(&h, "Subject: =?utf-8?B?%.*s?= og =?utf-8?Q?s=C3=A6g_%s?=\r\n\r\nhej\r\n",
			  (int)w.len, (const char *)w.p, g);
		CU_ASSERT_EQUAL(scan_buffer(h.p, h.len, NULL, NULL, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.distinct, 2);
		gb_free(&h);
		gb_free(&w);
	}
	gb_free(&m);
	gb_free(&zip);
	gb_free(&mbox);
}

/* Multipart inside multipart, deeper than any mail client writes: refused, not a stack overflow. */
static void test_nesting(void)
{
	struct gen_buf m = { 0 };
	struct scan_result res;
	int i;

	gb_puts(&m, "Subject: deep\n");
	for (i = 0; i < 200; i++)
		gb_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	gb_puts(&m, "Content-Type: text/plain\n\nx\n");
	CU_ASSERT_EQUAL(scan_buffer(m.p, m.len, NULL, NULL, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_DEPTH);
	gb_free(&m);
}

static void test_html(void)
{
	struct gen_buf h = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12], c[12];

	gen_seed(&r, 707);
	num(&r, GEN_PLAIN, a);
	num(&r, GEN_HYPHEN, c);
	gb_puts(&h, "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\">\n<html><body>"
		    "<table><tr><td>");
	/* digits as entities and split by inline tags; cells stay apart */
	gb_printf(&h, "&#%d;%.5s<span>%s</span></td><td>%s</td></tr></table></body></html>\n", a[0],
		  a + 1, a + 6, c);
	CU_ASSERT_EQUAL(scan_buffer(h.p, h.len, NULL, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.distinct, 2);
	CU_ASSERT(res.formats & SCAN_FMT_HTML);
	gb_free(&h);
}

static CU_TestInfo mime_tests[] = {
	{ "mail: quoted-printable, base64 zip, message/rfc822, mbox, encoded-words", test_mail },
	{ "mail: multipart nesting bomb", test_nesting },
	{ "html: entities, inline tags, cells", test_html },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(mime, mime_tests)
