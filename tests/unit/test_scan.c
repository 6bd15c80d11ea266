// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/scan*.c: every format built in memory by cpr_gen.c, the caps
 * (bombs, entries, depth, size, inflated bytes, time), damaged input, the file
 * and progress API, and the false-positive rate on realistic numbers.
 *
 * SCAN_SEED_DIR=dir writes the generated files there (a fuzzing corpus).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cpr_gen.h"
#include "scan/scan.h"
#include "unit.h"

/* Documents built by the tests, kept for the read-size test at the end. */
#define MAX_DOCS 32
static struct {
	char name[32];
	unsigned char *p;
	size_t n;
} docs[MAX_DOCS];
static int nr_docs;

static void keep(const char *name, const void *p, size_t n)
{
	const char *dir = getenv("SCAN_SEED_DIR");
	char path[512];
	FILE *f;

	if (nr_docs < MAX_DOCS) {
		snprintf(docs[nr_docs].name, sizeof(docs[0].name), "%s", name);
		docs[nr_docs].p = malloc(n ? n : 1);
		memcpy(docs[nr_docs].p, p, n);
		docs[nr_docs++].n = n;
	}
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
}

/* A status message never carries content digits: no run of five digits at all. */
static void check_msg(const struct scan_result *res)
{
	int run = 0;
	const char *p;

	if (res->status != SCAN_OK)
		CU_ASSERT(res->msg[0] != 0);
	for (p = res->msg; *p; p++) {
		run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
		if (run == 5)
			printf("\n    msg: %s", res->msg);
		CU_ASSERT(run < 5);
	}
}

static int scan_mem(const void *p, size_t n, const struct scan_limits *lim, struct scan_result *res)
{
	int r = scan_buffer(p, n, lim, NULL, res);

	CU_ASSERT_EQUAL(r, res->status);
	check_msg(res);
	return r;
}

static void num(struct gen_rng *r, int style, char out[12])
{
	gen_format(gen_cpr(r, GEN_MOD11_ANY), style, out);
}

static void test_text(void)
{
	struct scan_result res;
	struct gen_buf b = { 0 };
	struct gen_rng r;
	char a[12], c[12], d[12];

	gen_seed(&r, 20);
	num(&r, GEN_HYPHEN, a);
	num(&r, GEN_PLAIN, c);
	num(&r, GEN_SPACE, d);
	/* UTF-8 with a BOM, Latin-1 letters, CSV. */
	gb_printf(&b,
		  "\xef\xbb\xbf"
		  "Navn;Fødselsdato;CPR\nJens Ærø;1990-01-01;%s\n",
		  a);
	gb_printf(&b,
		  "S\xf8ren \xc6"
		  "bel%s;x\n",
		  c); /* Latin-1 letter glued on: no */
	gb_printf(&b,
		  "S\xf8ren \xc6"
		  "bel;%s;x\n",
		  c);
	gb_printf(&b, "\"%s\",\"%s\"\n", d, a);
	keep("text.csv", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 4);
	CU_ASSERT_EQUAL(res.cpr.distinct, 3);
	CU_ASSERT(res.cpr.keyword_matches >= 1);
	CU_ASSERT(res.formats & SCAN_FMT_TEXT);
	CU_ASSERT_EQUAL(res.bytes_in, b.len);
	gb_free(&b);

	/* A 9-digit number outside an xlsx cell stays nine digits. */
	gb_printf(&b, "ordre %.9s\n", c + 1);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 0);
	gb_free(&b);
}

/* With a key the result names the people in it, as keyed hashes, and only then. */
static void test_persons(void)
{
	struct person_key k = { 0x1234, 0x5678 };
	struct scan_limits lim;
	struct scan_result res;
	struct gen_buf b = { 0 };
	struct gen_rng r;
	uint64_t v[40], want = 0, got = 0;
	char s[12];
	int i;

	gen_seed(&r, 21);
	for (i = 0; i < 40; i++) {
		v[i] = gen_cpr(&r, GEN_MOD11_ANY);
		gen_format(v[i], GEN_HYPHEN, s);
		gb_printf(&b, "%s;%s\n", s, s); /* each twice: one person */
	}
	CU_ASSERT_EQUAL_FATAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.distinct, 40);
	CU_ASSERT_PTR_NULL(res.persons);
	CU_ASSERT_EQUAL(res.nr_persons, 0);

	scan_limits_default(&lim);
	lim.person_key = &k;
	CU_ASSERT_EQUAL_FATAL(scan_mem(b.p, b.len, &lim, &res), SCAN_OK);
	CU_ASSERT_EQUAL_FATAL(res.nr_persons, 40);
	CU_ASSERT_FALSE(res.persons_truncated);
	/* the same set as hashing the numbers directly, and none of them raw */
	for (i = 0; i < 40; i++) {
		want ^= person_set_hash(&k, v[i]);
		got ^= res.persons[i];
		CU_ASSERT_NOT_EQUAL(res.persons[i], v[i]);
	}
	CU_ASSERT_EQUAL(got, want);
	scan_result_release(&res);
	CU_ASSERT_PTR_NULL(res.persons);

	lim.max_persons = 10;
	CU_ASSERT_EQUAL_FATAL(scan_mem(b.p, b.len, &lim, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.nr_persons, 10);
	CU_ASSERT_TRUE(res.persons_truncated);
	CU_ASSERT_EQUAL(res.cpr.distinct, 40);
	scan_result_release(&res);
	gb_free(&b);
}

static void utf16(struct gen_buf *out, const char *latin1, bool be, bool bom)
{
	const unsigned char *p = (const unsigned char *)latin1;
	unsigned char u[2];

	if (bom) {
		u[0] = be ? 0xfe : 0xff;
		u[1] = be ? 0xff : 0xfe;
		gb_put(out, u, 2);
	}
	for (; *p; p++) {
		u[be ? 1 : 0] = *p;
		u[be ? 0 : 1] = 0;
		gb_put(out, u, 2);
	}
}

static void test_utf16(void)
{
	static const struct {
		bool be, bom;
	} rows[] = { { false, true }, { true, true }, { false, false }, { true, false } };
	struct gen_rng r;
	char a[12], c[12], text[256];
	size_t i;

	gen_seed(&r, 21);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct gen_buf b = { 0 };
		struct scan_result res;

		num(&r, GEN_HYPHEN, a);
		num(&r, GEN_PLAIN, c);
		snprintf(
			text, sizeof(text),
			"Eksport fra fagsystem\r\nCPR-nr.: %s\r\nNavn: \xc6rl\xf8 S\xf8rensen\t%s\r\n",
			a, c);
		utf16(&b, text, rows[i].be, rows[i].bom);
		snprintf(text, sizeof(text), "utf16-%zu.txt", i);
		keep(text, b.p, b.len);
		CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, 2);
		CU_ASSERT_EQUAL(res.cpr.keyword_matches, 2);
		CU_ASSERT(res.formats & SCAN_FMT_UTF16);
		gb_free(&b);
	}
}

static void test_gzip(void)
{
	struct gen_buf t = { 0 }, z = { 0 }, z2 = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12];
	int i;

	gen_seed(&r, 22);
	for (i = 0; i < 3; i++) {
		num(&r, GEN_HYPHEN, a);
		gb_printf(&t, "linje %d cpr %s\n", i, a);
	}
	gen_gzip(t.p, t.len, &z);
	keep("text.gz", z.p, z.len);
	CU_ASSERT_EQUAL(scan_mem(z.p, z.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 3);
	CU_ASSERT(res.formats & SCAN_FMT_GZIP);
	CU_ASSERT_EQUAL(res.bytes_inflated, t.len);

	/* Two members, as `cat a.gz b.gz` makes. */
	gen_gzip(t.p, t.len, &z2);
	gb_put(&z2, z.p, z.len);
	CU_ASSERT_EQUAL(scan_mem(z2.p, z2.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 6);
	CU_ASSERT_EQUAL(res.cpr.distinct, 3);

	/* Truncated: an error, and what came before the cut still counts. */
	gb_free(&t);
	for (i = 0; i < 2000; i++) {
		num(&r, GEN_HYPHEN, a);
		gb_printf(&t, "%d %s\n", i, a);
	}
	z.len = 0;
	gen_gzip(t.p, t.len, &z);
	keep("truncated.gz", z.p, z.len / 2);
	CU_ASSERT_EQUAL(scan_mem(z.p, z.len / 2, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_CORRUPT);
	CU_ASSERT(res.cpr.matches > 100);
	gb_free(&t);
	gb_free(&z);
	gb_free(&z2);
}

/* A zip of `entries` text members, each with one number; method alternates. */
static void make_zip(struct gen_buf *out, struct gen_rng *r, int entries)
{
	struct zipw z;
	char name[32], text[96], a[12];
	int i;

	zipw_init(&z);
	for (i = 0; i < entries; i++) {
		num(r, i % 3, a);
		snprintf(name, sizeof(name), "dir/fil%d.txt", i);
		snprintf(text, sizeof(text), "Personnummer: %s\n", a);
		zipw_add(&z, name, text, strlen(text), i % 2 ? 8 : 0);
	}
	zipw_finish(&z, out);
}

static void test_zip(void)
{
	struct gen_buf b = { 0 };
	struct scan_result res;
	struct gen_rng r;

	gen_seed(&r, 23);
	make_zip(&b, &r, 6);
	keep("plain.zip", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 6);
	CU_ASSERT_EQUAL(res.cpr.keyword_matches, 6);
	CU_ASSERT_EQUAL(res.entries, 6);
	CU_ASSERT(res.formats & SCAN_FMT_ZIP);
	{
		/* A zeroed limits struct means all defaults. */
		struct scan_limits zero = { 0 };

		CU_ASSERT_EQUAL(scan_mem(b.p, b.len, &zero, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, 6);
		CU_ASSERT_EQUAL(res.cpr.nr_samples, CPR_DEF_SAMPLES);
	}
	gb_free(&b);
}

static void test_nested(void)
{
	struct gen_buf inner = { 0 }, gz = { 0 }, outer = { 0 }, gzz = { 0 };
	struct scan_result res;
	struct gen_rng r;
	struct zipw z;

	gen_seed(&r, 24);
	make_zip(&inner, &r, 2);
	gen_gzip("cpr 010203-4", 12, &gz); /* no valid number: 4 digits short */
	zipw_init(&z);
	zipw_add(&z, "stored.zip", inner.p, inner.len, 0);
	zipw_add(&z, "deflated.zip", inner.p, inner.len, 8);
	{
		struct gen_buf t = { 0 }, g = { 0 };
		char a[12];

		num(&r, GEN_HYPHEN, a);
		gb_printf(&t, "log cpr %s\n", a);
		gen_gzip(t.p, t.len, &g);
		zipw_add(&z, "log.gz", g.p, g.len, 0);
		gb_free(&t);
		gb_free(&g);
	}
	zipw_add(&z, "empty.gz", gz.p, gz.len, 8);
	zipw_finish(&z, &outer);
	keep("nested.zip", outer.p, outer.len);
	CU_ASSERT_EQUAL(scan_mem(outer.p, outer.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 5);
	CU_ASSERT_EQUAL(res.cpr.distinct, 3);
	CU_ASSERT(res.formats & SCAN_FMT_GZIP);

	/* zip inside gzip (a .zip.gz) */
	gen_gzip(inner.p, inner.len, &gzz);
	keep("zip.gz", gzz.p, gzz.len);
	CU_ASSERT_EQUAL(scan_mem(gzz.p, gzz.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 2);
	gb_free(&inner);
	gb_free(&gz);
	gb_free(&outer);
	gb_free(&gzz);
}

static void test_xlsx(void)
{
	const char *shared[3];
	struct gen_buf b = { 0 }, rows = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char nine[12], ten[12], text[12], other[12];
	uint64_t v;

	gen_seed(&r, 25);
	/* A number whose day starts with 0: Excel shows it with nine digits. */
	v = gen_cpr_date(&r, 1 + gen_below(&r, 9), 1 + gen_below(&r, 12), 1950 + gen_below(&r, 50),
			 GEN_MOD11_ANY);
	snprintf(nine, sizeof(nine), "%llu", (unsigned long long)v);
	CU_ASSERT_EQUAL(strlen(nine), 9);
	v = gen_cpr_date(&r, 10 + gen_below(&r, 18), 1 + gen_below(&r, 12), 1960, GEN_MOD11_ANY);
	snprintf(ten, sizeof(ten), "%llu", (unsigned long long)v);
	num(&r, GEN_HYPHEN, text);
	snprintf(other, sizeof(other), "%09u", 991234567); /* pads to month 91: no date */
	shared[0] = "CPR-nummer";
	shared[1] = text;
	shared[2] = "Navn";
	gb_printf(&rows, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\">"
			 "<v>2</v></c></row>");
	gb_printf(&rows,
		  "<row r=\"2\"><c r=\"A2\" s=\"1\"><v>%s</v></c><c r=\"B2\"><v>%s</v></c>"
		  "</row>",
		  nine, other);
	gb_printf(&rows,
		  "<row r=\"3\"><c r=\"A3\"><v>%s</v></c><c r=\"B3\" t=\"s\"><v>1</v></c>"
		  "</row>",
		  ten);
	/* Adjacent numeric cells never join into one number. */
	gb_printf(&rows, "<row r=\"4\"><c r=\"A4\"><v>12345</v></c><c r=\"B4\"><v>67890</v></c>"
			 "</row>");
	gen_xlsx(&b, gb_str(&rows), shared, 3);
	keep("cells.xlsx", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 3);
	CU_ASSERT(res.formats & SCAN_FMT_XLSX);
	CU_ASSERT(res.formats & SCAN_FMT_XML);
	gb_free(&b);
	gb_free(&rows);
}

static void test_docx_odt(void)
{
	struct gen_buf b = { 0 }, body = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12], c[12];

	gen_seed(&r, 26);
	num(&r, GEN_HYPHEN, a);
	/* c's day is below 10, so "&#48;" + c[1..] spells c again */
	gen_format(gen_cpr_date(&r, 1 + gen_below(&r, 9), 1 + gen_below(&r, 12), 1975,
				GEN_MOD11_ANY),
		   GEN_PLAIN, c);
	/* Word split the number over three runs, with a proofing mark between. */
	gb_printf(&body,
		  "<w:p><w:r><w:t xml:space=\"preserve\">CPR: </w:t></w:r>"
		  "<w:r><w:t>%.4s</w:t></w:r><w:proofErr w:type=\"spellStart\"/>"
		  "<w:r><w:rPr><w:b/></w:rPr><w:t>%.3s</w:t></w:r><w:r><w:t>%s</w:t></w:r></w:p>",
		  a, a + 4, a + 7);
	/* Two paragraphs of digits do not join. */
	gb_printf(&body,
		  "<w:p><w:r><w:t>%.5s</w:t></w:r></w:p><w:p><w:r><w:t>%s</w:t></w:r>"
		  "</w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>&#48;%s</w:t></w:r></w:p></w:tc></w:tr>"
		  "</w:tbl>",
		  c, c + 5, c + 1);
	gen_docx(&b, gb_str(&body));
	keep("split.docx", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	/* the split number, and c rebuilt from an entity; c's halves stay apart */
	CU_ASSERT_EQUAL(res.cpr.matches, 2);
	CU_ASSERT(res.cpr.keyword_matches >= 1);
	CU_ASSERT(res.formats & SCAN_FMT_DOCX);
	gb_free(&b);
	gb_free(&body);

	num(&r, GEN_SPACE, a);
	gb_printf(&body,
		  "<text:p>Personnummer: <text:span text:style-name=\"T1\">%.6s</text:span>"
		  "<text:s/>%s</text:p><text:p>%.4s</text:p>",
		  a, a + 7, c);
	gen_odt(&b, gb_str(&body));
	keep("text.odt", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 1);
	CU_ASSERT_EQUAL(res.cpr.keyword_matches, 1);
	CU_ASSERT(res.formats & SCAN_FMT_ODF);
	gb_free(&b);
	gb_free(&body);
}

static void test_pdf(void)
{
	struct gen_buf content = { 0 }, b = { 0 };
	struct scan_result res;
	struct gen_rng r;
	char a[12], c[12], d[12], e[12], oct[64];
	int i, k;

	gen_seed(&r, 27);
	num(&r, GEN_PLAIN, a);
	num(&r, GEN_PLAIN, c);
	num(&r, GEN_PLAIN, d);
	num(&r, GEN_HYPHEN, e);
	for (i = 0, k = 0; i < 10; i++)
		k += snprintf(oct + k, sizeof(oct) - k, "\\%03o", a[i]);
	gb_printf(&content, "BT /F1 12 Tf 72 712 Td (CPR: %s) Tj\n", e);
	gb_printf(&content, "0 -14 Td [(%.6s)-250(%s)] TJ\n", c, c + 6);
	gb_printf(&content, "0 -14 Td [(%.2s)12(%.5s)-3.5(%s)] TJ\n", d, d + 2, d + 7);
	gb_printf(&content, "0 -14 Td (%s) Tj\n", oct);
	gb_printf(&content, "0 -14 Td <%02x%02x>Tj ET\n", 'o', 'k');
	for (k = 0; k < 2; k++) {
		b.len = 0;
		gen_pdf(&b, gb_str(&content), k == 0);
		keep(k ? "plain.pdf" : "flate.pdf", b.p, b.len);
		CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, 4);
		CU_ASSERT_EQUAL(res.cpr.distinct, 4);
		CU_ASSERT(res.formats & SCAN_FMT_PDF);
	}
	gb_free(&b);

	/*
	 * A PDF poppler cannot open (here: no catalog at all) is read by the
	 * simple extractor and reported damaged; its image streams are skipped;
	 * an encrypted one is refused.
	 */
	gb_puts(&b, "%PDF-1.5\n6 0 obj\n<< /Type /XObject /Subtype /Image /Filter /FlateDecode >>\n"
		    "stream\n");
	{
		struct gen_buf z = { 0 };
		char t[32];

		snprintf(t, sizeof(t), " %s ", a);
		gen_deflate(t, strlen(t), &z, false);
		gb_put(&b, z.p, z.len);
		gb_free(&z);
	}
	gb_puts(&b, "\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_CORRUPT);
	CU_ASSERT_EQUAL(res.cpr.matches, 0);
	keep("image.pdf", b.p, b.len);
	gb_puts(&b, "trailer << /Encrypt 9 0 R >>\n");
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_ENCRYPTED);
	gb_free(&b);
	gb_free(&content);
}

static void test_bombs(void)
{
	const size_t big = 20 << 20;
	unsigned char *zeros = calloc(1, big);
	struct gen_buf b = { 0 }, c = { 0 }, g = { 0 };
	struct scan_result res;
	struct zipw z;

	CU_ASSERT_FATAL(zeros != NULL);
	zipw_init(&z);
	zipw_add(&z, "a.txt", "hello", 5, 0);
	zipw_add(&z, "bomb.bin", zeros, big, 8);
	zipw_finish(&z, &b);
	keep("bomb.zip", b.p, b.len);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_RATIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.msg, "zip bomb"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.msg, "> 100"));
	gb_free(&b);

	/* A header that lies about the size: the ratio seen while inflating catches it. */
	gen_deflate(zeros, big, &c, true);
	zipw_init(&z);
	zipw_add_raw(&z, "liar.bin", 8, 0, 0, 1000, c.p, c.len);
	zipw_finish(&z, &b);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, NULL, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_RATIO);
	CU_ASSERT(res.bytes_inflated < (4 << 20));
	gb_free(&b);

	gen_gzip(zeros, big, &g);
	CU_ASSERT_EQUAL(scan_mem(g.p, g.len, NULL, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_RATIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.msg, "gzip bomb"));

	/* Overlapping members (one deflate stream claimed a hundred times). */
	zipw_init(&z);
	zipw_add(&z, "x", zeros, 1 << 16, 8);
	zipw_finish(&z, &b);
	{
		/* Rewrite the directory so that 100 records point at the same data. */
		struct gen_buf o = { 0 };
		size_t lfh_len = b.len - 22 - (46 + 1);
		const unsigned char *cd = b.p + lfh_len;
		unsigned char eocd[22];
		int i;

		gb_put(&o, b.p, lfh_len);
		for (i = 0; i < 100; i++)
			gb_put(&o, cd, 47);
		memcpy(eocd, b.p + b.len - 22, 22);
		eocd[8] = eocd[10] = 100;
		eocd[12] = (47 * 100) & 0xff;
		eocd[13] = (47 * 100) >> 8;
		gb_put(&o, eocd, 22);
		CU_ASSERT_EQUAL(scan_mem(o.p, o.len, NULL, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_RATIO);
		CU_ASSERT(res.entries < 100);
		gb_free(&o);
	}
	gb_free(&b);
	gb_free(&c);
	gb_free(&g);
	free(zeros);
}

static void test_caps(void)
{
	struct gen_buf b = { 0 }, inner = { 0 };
	struct scan_limits lim;
	struct scan_result res;
	struct gen_rng r;
	int level;

	gen_seed(&r, 28);
	/* entries */
	make_zip(&b, &r, 20);
	scan_limits_default(&lim);
	lim.max_entries = 10;
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, &lim, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_ENTRIES);
	CU_ASSERT_EQUAL(res.entries, 10);
	CU_ASSERT_EQUAL(res.cpr.matches, 10);

	/* file size */
	scan_limits_default(&lim);
	lim.max_file_size = 100;
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len, &lim, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_FILE_SIZE);
	gb_free(&b);

	/* nesting: six zips deep */
	make_zip(&inner, &r, 1);
	for (level = 1; level < 6; level++) {
		struct zipw z;

		zipw_init(&z);
		zipw_add(&z, "inner.zip", inner.p, inner.len, level % 2 ? 8 : 0);
		gb_free(&b);
		zipw_finish(&z, &b);
		gb_free(&inner);
		inner = b;
		memset(&b, 0, sizeof(b));
	}
	keep("deep.zip", inner.p, inner.len);
	scan_limits_default(&lim);
	lim.max_depth = 3;
	CU_ASSERT_EQUAL(scan_mem(inner.p, inner.len, &lim, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_DEPTH);
	CU_ASSERT_EQUAL(res.cpr.matches, 0);
	lim.max_depth = 6;
	CU_ASSERT_EQUAL(scan_mem(inner.p, inner.len, &lim, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 1);

	/* inflated total */
	lim.max_inflated = 100;
	CU_ASSERT_EQUAL(scan_mem(inner.p, inner.len, &lim, &res), SCAN_REFUSED);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_INFLATED);
	gb_free(&inner);

	/* nested zip held in memory */
	{
		struct gen_buf big = { 0 }, t = { 0 }, outer = { 0 };
		struct zipw z;
		char *text = malloc(1 << 20);
		uint64_t planted;

		gen_cpr_text(&r, text, 1 << 20, 4096, &planted);
		zipw_init(&z);
		zipw_add(&z, "big.txt", text, 1 << 20, 8);
		zipw_finish(&z, &big);
		gen_gzip(big.p, big.len, &t);
		zipw_init(&z);
		zipw_add(&z, "big.zip.gz", t.p, t.len, 0);
		zipw_finish(&z, &outer);
		scan_limits_default(&lim);
		lim.max_buffer = 1000;
		CU_ASSERT_EQUAL(scan_mem(outer.p, outer.len, &lim, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_BUFFER);
		scan_limits_default(&lim);
		CU_ASSERT_EQUAL(scan_mem(outer.p, outer.len, &lim, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, planted);
		gb_free(&big);
		gb_free(&t);
		gb_free(&outer);
		free(text);
	}

	/*
	 * Issue 14: the buffer cap holds for all levels at once.  Two nested
	 * deflated zips of 600 KB each (random bytes: they do not shrink) fit a
	 * 1 MiB cap one at a time, not together.
	 */
	{
		struct gen_buf inner = { 0 }, middle = { 0 }, outer = { 0 };
		struct zipw z;
		uint64_t *noise = malloc(600 << 10), planted = 0;
		size_t k;

		for (k = 0; k < (600 << 10) / sizeof(*noise); k++)
			noise[k] = gen_next(&r);
		zipw_init(&z);
		zipw_add(&z, "a.bin", noise, 600 << 10, 0);
		zipw_finish(&z, &inner);
		zipw_init(&z);
		zipw_add(&z, "inner.zip", inner.p, inner.len, 8);
		zipw_finish(&z, &middle);
		zipw_init(&z);
		zipw_add(&z, "middle.zip", middle.p, middle.len, 8);
		zipw_finish(&z, &outer);
		scan_limits_default(&lim);
		lim.max_buffer = 1 << 20;
		CU_ASSERT_EQUAL(scan_mem(outer.p, outer.len, &lim, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_BUFFER);
		lim.max_buffer = 2 << 20; /* both fit together */
		CU_ASSERT_EQUAL(scan_mem(outer.p, outer.len, &lim, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, planted);
		gb_free(&inner);
		gb_free(&middle);
		gb_free(&outer);
		free(noise);
	}

	/* time: 64 MiB of text cannot be scanned in one millisecond */
	{
		size_t n = 64 << 20;
		char *text = malloc(n);

		memset(text, 'a', n);
		scan_limits_default(&lim);
		lim.max_time_ms = 1;
		CU_ASSERT_EQUAL(scan_mem(text, n, &lim, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_TIME);
		CU_ASSERT(res.bytes_in < n);
		free(text);
	}
}

static void test_damaged(void)
{
	struct gen_buf b = { 0 }, x = { 0 };
	struct scan_result res;
	struct gen_rng r;
	unsigned char *copy;
	size_t cut;
	int i;

	gen_seed(&r, 29);
	make_zip(&b, &r, 4);
	/* Truncated: no central directory, local headers still give the first members. */
	keep("truncated.zip", b.p, b.len * 6 / 10);
	CU_ASSERT_EQUAL(scan_mem(b.p, b.len * 6 / 10, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_CORRUPT);
	CU_ASSERT(res.cpr.matches >= 1);
	/* Every truncation length and random damage: a status, never a crash. */
	for (cut = 0; cut <= b.len; cut++)
		scan_mem(b.p, cut, NULL, &res);
	copy = malloc(b.len);
	for (i = 0; i < 3000; i++) {
		memcpy(copy, b.p, b.len);
		copy[gen_below(&r, b.len)] = gen_next(&r);
		copy[gen_below(&r, b.len)] = gen_next(&r);
		scan_mem(copy, b.len, NULL, &res);
		CU_ASSERT(res.status >= SCAN_OK && res.status <= SCAN_REFUSED);
	}
	free(copy);

	/* Garbage after a zip signature. */
	gb_puts(&x, "PK\x03\x04");
	for (i = 0; i < 100; i++)
		gb_put(&x, "\xff\x13\x00\x7f", 4);
	CU_ASSERT_EQUAL(scan_mem(x.p, x.len, NULL, &res), SCAN_ERROR);
	gb_free(&x);

	/* Encrypted member, unknown method, unsupported container. */
	{
		struct zipw z;

		zipw_init(&z);
		zipw_add_raw(&z, "secret.txt", 0, 1, 0, 4, "abcd", 4);
		zipw_add_raw(&z, "lzma.bin", 14, 0, 0, 4, "abcd", 4);
		zipw_finish(&z, &x);
		keep("encrypted.zip", x.p, x.len);
		CU_ASSERT_EQUAL(scan_mem(x.p, x.len, NULL, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_ENCRYPTED);
		CU_ASSERT_EQUAL(res.problems, 2);
		gb_free(&x);
	}
	/* xz is read (libarchive); a stream cut after its header is corrupt, not "ok" */
	CU_ASSERT_EQUAL(scan_mem("\xfd"
				 "7zXZ\0\0\x04\xe6\xd6\xb4\x46",
				 12, NULL, &res),
			SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_CORRUPT);
	CU_ASSERT_EQUAL(scan_mem("BZh is a word here", 18, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(scan_mem("", 0, NULL, &res), SCAN_OK);
	gb_free(&b);
}

struct progress {
	uint64_t last, calls, total;
	bool mono;
	int cancel_after;
};

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;

	if (done < p->last)
		p->mono = false;
	p->last = done;
	p->total = total;
	p->calls++;
	return p->cancel_after && p->calls >= (uint64_t)p->cancel_after;
}

static int write_temp(char *path, const void *p, size_t n)
{
	int fd;

	strcpy(path, "/tmp/cprw-scan-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void test_files_and_progress(void)
{
	struct progress pr = { .mono = true };
	struct scan_hooks hooks = { .progress = on_progress, .arg = &pr };
	size_t n = 20 << 20;
	char *text = malloc(n), path[64];
	struct scan_result res;
	struct gen_buf b = { 0 };
	struct gen_rng r;
	uint64_t planted;

	gen_seed(&r, 30);
	gen_cpr_text(&r, text, n, 100000, &planted);
	CU_ASSERT_FATAL(write_temp(path, text, n) == 0);
	CU_ASSERT_EQUAL(scan_file(path, NULL, &hooks, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, planted);
	CU_ASSERT(pr.mono);
	CU_ASSERT(pr.calls >= 5);
	CU_ASSERT_EQUAL(pr.last, n);
	CU_ASSERT_EQUAL(pr.total, n);

	pr = (struct progress){ .mono = true, .cancel_after = 2 };
	CU_ASSERT_EQUAL(scan_file(path, NULL, &hooks, &res), SCAN_CANCELLED);
	CU_ASSERT(res.bytes_in < n);
	unlink(path);

	/* A zip file read with random access through the descriptor. */
	make_zip(&b, &r, 5);
	CU_ASSERT_FATAL(write_temp(path, b.p, b.len) == 0);
	CU_ASSERT_EQUAL(scan_file(path, NULL, NULL, &res), SCAN_OK);
	CU_ASSERT_EQUAL(res.cpr.matches, 5);
	CU_ASSERT(res.bytes_in > 0);
	unlink(path);
	gb_free(&b);

	/* A pipe cannot seek: the zip is collected in memory, then read. */
	make_zip(&b, &r, 3);
	{
		int fds[2];
		pid_t pid;

		CU_ASSERT_FATAL(pipe(fds) == 0);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			if (write(fds[1], b.p, b.len) != (ssize_t)b.len)
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		CU_ASSERT_EQUAL(scan_fd(fds[0], NULL, NULL, &res), SCAN_OK);
		CU_ASSERT_EQUAL(res.cpr.matches, 3);
		CU_ASSERT_EQUAL(res.bytes_in, b.len);
		close(fds[0]);
		waitpid(pid, NULL, 0);
	}
	gb_free(&b);

	/* Issue 14: a pipe whose writer never writes ends at the time cap, not never. */
	{
		struct scan_limits lim = { .max_time_ms = 200 };
		int fds[2];

		CU_ASSERT_FATAL(pipe(fds) == 0); /* we hold the write end open, silent */
		CU_ASSERT_EQUAL(scan_fd(fds[0], &lim, NULL, &res), SCAN_REFUSED);
		CU_ASSERT_EQUAL(res.reason, SCAN_R_TIME);
		close(fds[0]);
		close(fds[1]);
	}

	CU_ASSERT_EQUAL(scan_file("/nonexistent/cprw", NULL, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(res.reason, SCAN_R_IO);
	CU_ASSERT_EQUAL(res.err, ENOENT);
	check_msg(&res);
	CU_ASSERT_EQUAL(scan_file("/tmp", NULL, NULL, &res), SCAN_ERROR);
	CU_ASSERT_EQUAL(scan_file("/dev/null", NULL, NULL, &res), SCAN_OK);
	free(text);

	CU_ASSERT_STRING_EQUAL(scan_status_str(SCAN_REFUSED), "refused");
	CU_ASSERT_STRING_EQUAL(scan_reason_str(SCAN_R_RATIO), "zip bomb");
	CU_ASSERT_STRING_EQUAL(scan_status_str(99), "unknown");
}

/* Realistic non-CPR numbers: under one false match per 10 MB. */
static void test_false_positives(void)
{
	size_t n = 12 << 20;
	char *text = malloc(n);
	struct scan_result res;
	struct gen_rng r;
	double per10;

	gen_seed(&r, 31);
	gen_noise_text(&r, text, n);
	keep("noise.txt", text, 64 << 10);
	CU_ASSERT_EQUAL(scan_mem(text, n, NULL, &res), SCAN_OK);
	per10 = res.cpr.matches * 10.0 * (1 << 20) / n;
	printf("\n    false positives: %llu in %zu MiB = %.2f per 10 MiB ",
	       (unsigned long long)res.cpr.matches, n >> 20, per10);
	CU_ASSERT(per10 < 1.0);

	/* For the record: bare random 10-digit ids are indistinguishable from numbers. */
	gen_id10_text(&r, text, 1 << 20);
	scan_mem(text, 1 << 20, NULL, &res);
	printf("(bare 10-digit ids: %.1f%% match, %llu with keyword) ",
	       100.0 * res.cpr.matches / ((1 << 20) / 23),
	       (unsigned long long)res.cpr.keyword_matches);
	free(text);
}

/*
 * Every document again, read a few bytes at a time: each decoder (UTF-16,
 * gzip, zip, XML, PDF) then sees its input in tiny pieces, and the results
 * must not change.
 */
static void test_read_sizes(void)
{
	static const uint32_t sizes[] = { 1, 3, 64, 4097 };
	struct scan_result ref, res;
	struct scan_limits lim;
	size_t k;
	int i;

	CU_ASSERT(nr_docs >= 10);
	for (i = 0; i < nr_docs; i++) {
		scan_mem(docs[i].p, docs[i].n, NULL, &ref);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			bool ok;

			scan_limits_default(&lim);
			lim.read_size = sizes[k];
			scan_mem(docs[i].p, docs[i].n, &lim, &res);
			ok = res.status == ref.status && res.reason == ref.reason &&
			     res.cpr.matches == ref.cpr.matches &&
			     res.cpr.distinct == ref.cpr.distinct &&
			     res.cpr.keyword_matches == ref.cpr.keyword_matches &&
			     res.bytes_scanned == ref.bytes_scanned;
			if (!ok)
				printf("\n    %s read size %u: %s %llu/%llu, want %s %llu/%llu",
				       docs[i].name, sizes[k], scan_status_str(res.status),
				       (unsigned long long)res.cpr.matches,
				       (unsigned long long)res.cpr.keyword_matches,
				       scan_status_str(ref.status),
				       (unsigned long long)ref.cpr.matches,
				       (unsigned long long)ref.cpr.keyword_matches);
			CU_ASSERT(ok);
		}
	}
	for (i = 0; i < nr_docs; i++)
		free(docs[i].p);
	nr_docs = 0;
}

static CU_TestInfo scan_tests[] = {
	{ "text, latin-1, csv", test_text },
	{ "keyed person hashes", test_persons },
	{ "utf-16 le/be, bom and none", test_utf16 },
	{ "gzip, multi-member, truncated", test_gzip },
	{ "zip stored and deflate", test_zip },
	{ "nested containers", test_nested },
	{ "xlsx numeric 9-digit cells", test_xlsx },
	{ "docx split runs, odt", test_docx_odt },
	{ "pdf flate, Tj and TJ", test_pdf },
	{ "bombs refused", test_bombs },
	{ "caps", test_caps },
	{ "damaged input", test_damaged },
	{ "files and progress", test_files_and_progress },
	{ "false positives", test_false_positives },
	{ "tiny reads change nothing", test_read_sizes },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(scan, scan_tests)
