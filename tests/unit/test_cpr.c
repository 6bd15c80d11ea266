// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Tests for user/lib/cpr.c: dates and centuries, modulus 11, separators,
 * boundaries, streaming across chunk boundaries (against a naive reference
 * scanner), distinct counting, keyword context, masking.  Numbers are
 * generated (cpr_gen.c); table rows give a date and the 7th digit and the
 * generator completes the serial.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cpr.h"
#include "cpr_gen.h"
#include "unit.h"

/* Scans text in one go with default options. */
static struct cpr_stats scan_str(const char *s, size_t len)
{
	struct cpr_detector d;
	struct cpr_stats st;

	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	cpr_feed(&d, s, len);
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	return st;
}

static uint64_t count(const char *s)
{
	return scan_str(s, strlen(s)).matches;
}

static void test_century_table(void)
{
	static const struct {
		int yy, d7, year;
	} rows[] = {
		{ 0, 0, 1900 },	 { 36, 1, 1936 }, { 57, 2, 1957 }, { 99, 3, 1999 }, { 0, 4, 2000 },
		{ 36, 4, 2036 }, { 37, 4, 1937 }, { 99, 4, 1999 }, { 0, 9, 2000 },  { 36, 9, 2036 },
		{ 37, 9, 1937 }, { 58, 9, 1958 }, { 0, 5, 2000 },  { 36, 6, 2036 }, { 37, 7, 2037 },
		{ 57, 8, 2057 }, { 58, 5, 1858 }, { 99, 8, 1899 }, { 45, 6, 2045 }, { 70, 7, 1870 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int y = cpr_century_year(rows[i].yy, rows[i].d7);

		if (y != rows[i].year)
			printf("\n  yy %02d d7 %d: got %d want %d", rows[i].yy, rows[i].d7, y,
			       rows[i].year);
		CU_ASSERT_EQUAL(y, rows[i].year);
	}
	CU_ASSERT_EQUAL(cpr_century_year(100, 0), -1);
	CU_ASSERT_EQUAL(cpr_century_year(0, 10), -1);
}

static void test_dates(void)
{
	static const struct {
		const char *ddmmyy;
		int d7;
		bool valid;
	} rows[] = {
		{ "290200", 4, true },			       /* 2000 is a leap year */
		{ "290200", 0, false },			       /* 1900 is not */
		{ "290296", 2, true },			       /* 1996 */
		{ "290297", 2, false }, { "290204", 9, true }, /* 2004 */
		{ "290280", 6, true },			       /* 1880 */
		{ "290258", 5, false },			       /* 1858 */
		{ "290256", 7, true },			       /* 2056 */
		{ "290237", 4, false },			       /* 1937, not 2037 */
		{ "290240", 5, true },			       /* 2040 */
		{ "280201", 3, true },	{ "010101", 0, true },
		{ "311299", 3, true },	{ "000101", 0, false }, /* day 00 */
		{ "320101", 0, false },				/* day 32 */
		{ "310401", 0, false },				/* April has 30 days */
		{ "300401", 0, true },	{ "311101", 0, false },
		{ "011301", 0, false },			       /* month 13 */
		{ "010001", 0, false },			       /* month 00 */
		{ "311201", 1, true },	{ "150558", 8, true }, /* 1858 */
		{ "150557", 8, true },			       /* 2057 */
	};
	struct gen_rng r;
	size_t i;

	gen_seed(&r, 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char s[12];
		uint64_t v = gen_cpr_d7(&r, rows[i].ddmmyy, rows[i].d7, GEN_MOD11_ANY);
		unsigned int cls;

		gen_format(v, GEN_PLAIN, s);
		cls = cpr_classify(s);
		if (!!(cls & CPR_VALID) != rows[i].valid)
			printf("\n  row %zu (%s d7 %d): classify %#x", i, rows[i].ddmmyy,
			       rows[i].d7, cls);
		CU_ASSERT_EQUAL(!!(cls & CPR_VALID), rows[i].valid);
		/* The detector agrees in running text. */
		CU_ASSERT_EQUAL(count(s), rows[i].valid ? 1 : 0);
	}
	CU_ASSERT_EQUAL(cpr_days_in_month(1900, 2), 28);
	CU_ASSERT_EQUAL(cpr_days_in_month(2000, 2), 29);
	CU_ASSERT_EQUAL(cpr_days_in_month(2024, 2), 29);
	CU_ASSERT_EQUAL(cpr_days_in_month(2023, 13), 0);
	CU_ASSERT_EQUAL(cpr_classify("01010a1234"), 0);
}

static void test_mod11(void)
{
	struct gen_rng r;
	char text[256], a[12], b[12];
	struct cpr_stats st;
	int i;

	gen_seed(&r, 2);
	for (i = 0; i < 200; i++) {
		uint64_t pass = gen_cpr(&r, GEN_MOD11_PASS), fail = gen_cpr(&r, GEN_MOD11_FAIL);

		gen_format(pass, GEN_PLAIN, a);
		gen_format(fail, GEN_PLAIN, b);
		CU_ASSERT_EQUAL(cpr_classify(a), CPR_VALID | CPR_MOD11);
		CU_ASSERT_EQUAL(cpr_classify(b), CPR_VALID);
	}
	/* A valid date failing modulus 11 still counts; only distinct_mod11 differs. */
	gen_format(gen_cpr(&r, GEN_MOD11_PASS), GEN_HYPHEN, a);
	gen_format(gen_cpr(&r, GEN_MOD11_FAIL), GEN_HYPHEN, b);
	snprintf(text, sizeof(text), "first %s second %s", a, b);
	st = scan_str(text, strlen(text));
	CU_ASSERT_EQUAL(st.matches, 2);
	CU_ASSERT_EQUAL(st.distinct, 2);
	CU_ASSERT_EQUAL(st.distinct_mod11, 1);
}

static void test_separators(void)
{
	static const struct {
		const char *sep;
		bool match;
	} rows[] = {
		{ "", true },	{ "-", true },	 { " ", true },	  { "  ", false },
		{ "/", false }, { ".", false },	 { "--", false }, { "\t", false },
		{ "_", false }, { "\n", false }, { "- ", false }, { ":", false },
	};
	struct gen_rng r;
	char d[12], text[64];
	size_t i;

	gen_seed(&r, 3);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, d);
		snprintf(text, sizeof(text), "nr %.6s%s%.4s end", d, rows[i].sep, d + 6);
		if (count(text) != (rows[i].match ? 1U : 0U))
			printf("\n  separator row %zu failed", i);
		CU_ASSERT_EQUAL(count(text), rows[i].match ? 1 : 0);
	}
}

static void test_boundaries(void)
{
	static const struct {
		const char *before, *after;
		bool match;
	} rows[] = {
		{ "", "", true },
		{ " ", " ", true },
		{ "A", "", false },
		{ "x", " ", false },
		{ "1", "", false },
		{ "", "1", false },
		{ "", "z", false },
		{ "", "Q ", false },
		{ "<t>", "</t>", true },
		{ "<v>", "</v>", true },
		{ "\"", "\"", true },
		{ "(", ")", true },
		{ "CPR:", ".", true },
		{ "CPR-", "", true },
		{ ",", ",", true },
		{ ";", ";", true },
		{ "\t", "\n", true },
		{ "[", "]", true },
		{ "1234-", "", false }, /* account number 1234-xxxxxxxxxx */
		{ "12/", "", false },
		{ "3.", "", false },
		{ "", "-12", false },
		{ "", ".5", false },
		{ "", "/7", false },
		{ "", "-", true },
		{ "", ". Next", true },
		{ "\xc3\xa6", "", false },		  /* UTF-8 ae before */
		{ "\xe6", "", false },			  /* Latin-1 ae before */
		{ "", "\xc3\xb8", false },		  /* UTF-8 o-slash after */
		{ "", "\xf8", false },			  /* Latin-1 o-slash after */
		{ "\xc2\xa0", "\xc2\xa0", true },	  /* UTF-8 no-break spaces */
		{ "\xa0", "\xa0", true },		  /* Latin-1 no-break spaces */
		{ "\xc3\x97", "", true },		  /* multiplication sign is no letter */
		{ "\xe2\x80\x9c", "\xe2\x80\x9d", true }, /* curly quotes */
	};
	static const int styles[] = { GEN_PLAIN, GEN_HYPHEN, GEN_SPACE };
	struct gen_rng r;
	char d[12], text[64];
	size_t i, k;

	gen_seed(&r, 4);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (k = 0; k < 3; k++) {
			gen_format(gen_cpr(&r, GEN_MOD11_ANY), styles[k], d);
			snprintf(text, sizeof(text), "%s%s%s", rows[i].before, d, rows[i].after);
			if (count(text) != (rows[i].match ? 1U : 0U))
				printf("\n  boundary row %zu style %zu failed", i, k);
			CU_ASSERT_EQUAL(count(text), rows[i].match ? 1 : 0);
		}
	}
	/* Longer digit runs never match, whatever their date. */
	gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, d);
	snprintf(text, sizeof(text), "%s5", d);
	CU_ASSERT_EQUAL(count(text), 0);
	snprintf(text, sizeof(text), "A%s", d);
	CU_ASSERT_EQUAL(count(text), 0);
	snprintf(text, sizeof(text), "%s %.6s %.4s5 2%.6s-%.4s", d, d, d + 6, d, d + 6);
	CU_ASSERT_EQUAL(count(text), 1);
}

/* ---- naive reference, for ASCII text -------------------------------------- */

static const char *const ref_keywords[] = {
	"cpr",
	"personnummer",
	"personnr",
	"personregister",
	"person register",
	"p-nummer",
	"civilt registreringssystem",
	"identifikationsnummer",
	"sundhedskort",
	"sygesikring",
	"skattenummer",
	"skat id",
	"ssn",
	"social security number",
	"national number",
	"personal id number",
	"tax id",
};

struct ref_kw {
	size_t start, end;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool ref_joiner(int c)
{
	return c == '-' || c == '/' || c == '.';
}

/* The rules of cpr.h written the slow, obvious way. */
static void ref_scan(const char *b, size_t n, struct cpr_stats *st)
{
	struct ref_kw *kw = calloc(n + 1, sizeof(*kw));
	uint64_t *vals = calloc(n / 10 + 1, sizeof(*vals));
	size_t nkw = 0, nv = 0, i, j, k, q;

	for (i = 0; i < n; i++) {
		if (i && isalpha((unsigned char)b[i - 1]))
			continue;
		for (k = 0; k < sizeof(ref_keywords) / sizeof(ref_keywords[0]); k++) {
			size_t l = strlen(ref_keywords[k]);

			if (i + l <= n && !strncasecmp(b + i, ref_keywords[k], l)) {
				kw[nkw].start = i;
				kw[nkw++].end = i + l;
				i += l - 1;
				break;
			}
		}
	}
	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++) {
		char d[10];
		size_t run = 0;

		if (!isdigit((unsigned char)b[i]))
			continue;
		if (i && (isalnum((unsigned char)b[i - 1]) ||
			  (i > 1 && ref_joiner(b[i - 1]) && isdigit((unsigned char)b[i - 2]))))
			continue;
		while (i + run < n && isdigit((unsigned char)b[i + run]))
			run++;
		if (run == 10) {
			memcpy(d, b + i, 10);
			j = i + 10;
		} else if (run == 6 && i + 10 < n && (b[i + 6] == '-' || b[i + 6] == ' ') &&
			   isdigit((unsigned char)b[i + 7]) && isdigit((unsigned char)b[i + 8]) &&
			   isdigit((unsigned char)b[i + 9]) && isdigit((unsigned char)b[i + 10])) {
			memcpy(d, b + i, 6);
			memcpy(d + 6, b + i + 7, 4);
			j = i + 11;
		} else {
			continue;
		}
		if (j < n && (isalnum((unsigned char)b[j]) ||
			      (j + 1 < n && ref_joiner(b[j]) && isdigit((unsigned char)b[j + 1]))))
			continue;
		if (!(cpr_classify(d) & CPR_VALID))
			continue;
		st->matches++;
		for (q = 0; q < nkw; q++) {
			if ((kw[q].end <= i && i - kw[q].end <= CPR_KW_WINDOW) ||
			    (kw[q].start >= j && kw[q].start - j <= CPR_KW_WINDOW)) {
				st->keyword_matches++;
				break;
			}
		}
		for (vals[nv] = 0, q = 0; q < 10; q++)
			vals[nv] = vals[nv] * 10 + d[q] - '0';
		if (cpr_classify(d) & CPR_MOD11)
			vals[nv] |= 1ULL << 63;
		nv++;
		i = j - 1;
	}
	qsort(vals, nv, sizeof(*vals), cmp_u64);
	for (q = 0; q < nv; q++) {
		if (q && (vals[q] & ~(1ULL << 63)) == (vals[q - 1] & ~(1ULL << 63)))
			continue;
		st->distinct++;
		st->distinct_mod11 += vals[q] >> 63;
	}
	free(kw);
	free(vals);
}

/* Random ASCII text dense with boundary cases. */
static size_t rand_text(struct gen_rng *r, char *b, size_t len, uint64_t *pool, int npool)
{
	static const char *const seps[] = {
		" ", "-", "/", ".", ",", "\n", "  ", ":", "<t>", "</t>", "(", ")", "- ", "x", "A",
	};
	static const char *const words[] = { "navn", "Jensen", "konto", "dato", "tlf" };
	size_t pos = 0;
	char t[512];
	int n, k, i;

	while (pos + sizeof(t) < len) {
		switch (gen_below(r, 9)) {
		case 0:
		case 1:
			n = gen_format(pool[gen_below(r, npool)], gen_below(r, 3), t);
			break;
		case 2:
			for (n = 0, k = 1 + gen_below(r, 12); n < k; n++)
				t[n] = '0' + gen_below(r, 10);
			break;
		case 3: {
			const char *kw = ref_keywords[gen_below(
				r, sizeof(ref_keywords) / sizeof(ref_keywords[0]))];

			for (n = 0; kw[n]; n++)
				t[n] = gen_below(r, 2) ? toupper(kw[n]) : kw[n];
			break;
		}
		case 4:
			n = snprintf(t, sizeof(t), "%s", words[gen_below(r, 5)]);
			break;
		case 5:
			/* Long filler, so that keyword windows open and close. */
			n = 100 + gen_below(r, 300);
			memset(t, gen_below(r, 2) ? ' ' : 'z', n);
			break;
		default:
			n = snprintf(t, sizeof(t), "%s", seps[gen_below(r, 15)]);
			break;
		}
		for (i = 0; i < n; i++)
			b[pos++] = t[i];
	}
	return pos;
}

static struct cpr_stats feed_chunks(const char *b, size_t n, struct gen_rng *r, size_t maxchunk)
{
	struct cpr_detector d;
	struct cpr_stats st;
	size_t pos = 0, c;

	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	while (pos < n) {
		if (maxchunk == 1)
			c = 1;
		else if (maxchunk == 2) /* alternate small and large: the window resets */
			c = gen_below(r, 2) ? 1 + gen_below(r, 40) : 500 + gen_below(r, 3000);
		else
			c = 1 + gen_below(r, maxchunk);
		if (c > n - pos)
			c = n - pos;
		cpr_feed(&d, b + pos, c);
		pos += c;
	}
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	return st;
}

static bool same(const struct cpr_stats *a, const struct cpr_stats *b)
{
	return a->matches == b->matches && a->distinct == b->distinct &&
	       a->distinct_mod11 == b->distinct_mod11 && a->keyword_matches == b->keyword_matches;
}

static void test_stream_vs_reference(void)
{
	static const size_t chunks[] = { 0, 1, 2, 7, 64, 200, 5000 };
	size_t len = 60000, n, k;
	char *b = malloc(len);
	uint64_t pool[50];
	struct gen_rng r;
	int seed, i;

	for (seed = 0; seed < 40; seed++) {
		struct cpr_stats ref, st;

		gen_seed(&r, 100 + seed);
		for (i = 0; i < 50; i++)
			pool[i] = gen_cpr(&r, GEN_MOD11_ANY);
		n = rand_text(&r, b, len, pool, 50);
		ref_scan(b, n, &ref);
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			if (chunks[k])
				st = feed_chunks(b, n, &r, chunks[k]);
			else
				st = scan_str(b, n);
			if (!same(&st, &ref))
				printf("\n  seed %d chunk %zu: got %llu/%llu/%llu/%llu want "
				       "%llu/%llu/%llu/%llu",
				       seed, chunks[k], (unsigned long long)st.matches,
				       (unsigned long long)st.distinct,
				       (unsigned long long)st.distinct_mod11,
				       (unsigned long long)st.keyword_matches,
				       (unsigned long long)ref.matches,
				       (unsigned long long)ref.distinct,
				       (unsigned long long)ref.distinct_mod11,
				       (unsigned long long)ref.keyword_matches);
			CU_ASSERT(same(&st, &ref));
		}
		if (seed == 0)
			printf("(%llu matches, %llu with keyword) ",
			       (unsigned long long)ref.matches,
			       (unsigned long long)ref.keyword_matches);
		CU_ASSERT(ref.matches > 30);
		CU_ASSERT(ref.keyword_matches > 0 && ref.keyword_matches < ref.matches);
	}
	free(b);
}

/* Every split point of a match, fed as two chunks and byte by byte. */
static void test_split_everywhere(void)
{
	struct gen_rng r;
	char d[12], text[1024];
	size_t len, cut, i;
	int style;

	gen_seed(&r, 5);
	for (style = 0; style < 6; style++) {
		gen_format(gen_cpr(&r, GEN_MOD11_ANY), style % 3, d);
		/* keyword before; keyword after with a long tail (the window moves on) */
		if (style < 3)
			len = snprintf(text, sizeof(text), "%70s cpr %s, %60s", "", d, "");
		else
			len = snprintf(text, sizeof(text), "%40s %s, %30s ssn %600s", "", d, "",
				       "");
		for (cut = 0; cut <= len; cut++) {
			struct cpr_detector det;
			struct cpr_stats st;

			CU_ASSERT_FATAL(cpr_init(&det, NULL) == 0);
			cpr_feed(&det, text, cut);
			cpr_feed(&det, text + cut, len - cut);
			cpr_finish(&det, &st);
			cpr_destroy(&det);
			CU_ASSERT_EQUAL(st.matches, 1);
			CU_ASSERT_EQUAL(st.keyword_matches, 1);
		}
		{
			struct cpr_detector det;
			struct cpr_stats st;

			CU_ASSERT_FATAL(cpr_init(&det, NULL) == 0);
			for (i = 0; i < len; i++)
				cpr_feed(&det, text + i, 1);
			cpr_finish(&det, &st);
			cpr_destroy(&det);
			CU_ASSERT_EQUAL(st.matches, 1);
			CU_ASSERT_EQUAL(st.bytes, len);
		}
	}
}

static void test_break(void)
{
	struct cpr_detector d;
	struct cpr_stats st;
	struct gen_rng r;
	char n[12];

	gen_seed(&r, 6);
	gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, n);
	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	/* Two streams: the halves must not join across the break. */
	cpr_feed(&d, n, 5);
	cpr_break(&d);
	cpr_feed(&d, n + 5, 5);
	cpr_break(&d);
	/* A keyword in one stream does not reach a number in the next. */
	cpr_feed(&d, "cpr ", 4);
	cpr_break(&d);
	cpr_feed(&d, n, 10);
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.matches, 1);
	CU_ASSERT_EQUAL(st.keyword_matches, 0);
}

static void test_distinct(void)
{
	struct cpr_opts o = { .max_samples = 3, .max_distinct = 4 };
	struct cpr_detector d;
	struct cpr_stats st;
	struct gen_rng r;
	char n[12], text[64];
	uint64_t v;
	int i;

	gen_seed(&r, 7);
	v = gen_cpr(&r, GEN_MOD11_PASS);
	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	for (i = 0; i < 5; i++) {
		gen_format(v, i % 3, n);
		snprintf(text, sizeof(text), " %s ", n);
		cpr_feed(&d, text, strlen(text));
	}
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.matches, 5);
	CU_ASSERT_EQUAL(st.distinct, 1);
	CU_ASSERT_EQUAL(st.distinct_mod11, 1);
	CU_ASSERT_EQUAL(st.nr_samples, 1);
	CU_ASSERT_FALSE(st.distinct_lower_bound);

	/* A full set keeps counting matches and says distinct is a lower bound. */
	CU_ASSERT_FATAL(cpr_init(&d, &o) == 0);
	for (i = 0; i < 10; i++) {
		gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_HYPHEN, n);
		snprintf(text, sizeof(text), "%s\n", n);
		cpr_feed(&d, text, strlen(text));
	}
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.matches, 10);
	CU_ASSERT_EQUAL(st.distinct, 4);
	CU_ASSERT_TRUE(st.distinct_lower_bound);
	CU_ASSERT_EQUAL(st.nr_samples, 3);

	/* Many distinct numbers: the set grows without losing any. */
	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	for (i = 0; i < 20000; i++) {
		gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, n);
		snprintf(text, sizeof(text), "%s;", n);
		cpr_feed(&d, text, strlen(text));
	}
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.matches, 20000);
	CU_ASSERT(st.distinct > 19900 && st.distinct <= 20000); /* random repeats are rare */
	CU_ASSERT_FALSE(st.distinct_lower_bound);
}

static void test_keywords(void)
{
	static const struct {
		const char *fmt; /* %s: the number, %*s: padding of the given width */
		int pad;
		bool kw;
	} rows[] = {
		{ "CPR: %s%*s", 0, true },
		{ "cpr-nr. %s%*s", 0, true },
		{ "Cpr.nr %s%*s", 0, true },
		{ "CPRNR%*s %s", 0, true },
		{ "cpr#%*s%s", 0, true },
		{ "PERSONNUMMER %*s%s", 0, true },
		{ "personnr%*s %s", 0, true },
		{ "P-nummer%*s %s", 0, true },
		{ "sundhedskortnummer %*s%s", 0, true },
		{ "sygesikringsbevis %*s%s", 0, true },
		{ "social security number %*s%s", 0, true },
		{ "Tax ID %*s%s", 0, true },
		{ "centrale personregister %*s%s", 0, true },
		{ "%s%*s (cpr)", 0, true },
		{ "plain number %s%*s", 0, false },
		{ "xcpr %s%*s", 0, false }, /* not at a word start */
		{ "cpr%*s%s", 300, true },  /* keyword end 300 bytes before */
		{ "cpr%*s%s", 301, false },
		{ "%s%*scpr", 300, true }, /* keyword start 300 bytes after */
		{ "%s%*scpr", 301, false },
	};
	struct gen_rng r;
	char n[12], text[1024];
	size_t i;

	gen_seed(&r, 8);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cpr_stats st;
		const char *f = rows[i].fmt;

		gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_HYPHEN, n);
		/* The two conversions come in either order. */
		if (strstr(f, "%s") < strstr(f, "%*s"))
			snprintf(text, sizeof(text), f, n, rows[i].pad, "");
		else
			snprintf(text, sizeof(text), f, rows[i].pad, "", n);
		st = scan_str(text, strlen(text));
		CU_ASSERT_EQUAL(st.matches, 1);
		if (st.keyword_matches != (rows[i].kw ? 1U : 0U))
			printf("\n  keyword row %zu failed", i);
		CU_ASSERT_EQUAL(st.keyword_matches, rows[i].kw ? 1 : 0);
	}
}

static void test_mask(void)
{
	struct cpr_detector d;
	struct cpr_stats st;
	struct gen_rng r;
	char n[12], m[CPR_MASK_LEN], text[64];
	unsigned int i;

	gen_seed(&r, 9);
	gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, n);
	cpr_mask(strtoull(n, NULL, 10), m);
	CU_ASSERT_EQUAL(strlen(m), 11);
	CU_ASSERT_NSTRING_EQUAL(m, n, 6);
	CU_ASSERT_STRING_EQUAL(m + 6, "-XXXX");
	cpr_mask(101011234ULL, m); /* leading zero kept */
	CU_ASSERT_STRING_EQUAL(m, "010101-XXXX");

	/* Samples: masked, default five, first distinct numbers seen. */
	CU_ASSERT_FATAL(cpr_init(&d, NULL) == 0);
	for (i = 0; i < 8; i++) {
		gen_format(gen_cpr(&r, GEN_MOD11_ANY), GEN_PLAIN, n);
		snprintf(text, sizeof(text), "%s\n", n);
		cpr_feed(&d, text, strlen(text));
	}
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.nr_samples, CPR_DEF_SAMPLES);
	for (i = 0; i < st.nr_samples; i++) {
		CU_ASSERT_EQUAL(strlen(st.samples[i]), 11);
		CU_ASSERT_STRING_EQUAL(st.samples[i] + 6, "-XXXX");
	}
}

static void test_substitutes(void)
{
	struct cpr_opts on = { .max_samples = 5, .substitutes = true };
	struct cpr_detector d;
	struct cpr_stats st;
	struct gen_rng r;
	char n[12], text[64];
	uint64_t v;

	gen_seed(&r, 10);
	v = gen_cpr_date(&r, 15, 6, 1980, GEN_MOD11_ANY) + 60ULL * 100000000ULL; /* day 75 */
	gen_format(v, GEN_HYPHEN, n);
	snprintf(text, sizeof(text), "erstatning %s\n", n);
	CU_ASSERT_EQUAL(cpr_classify((char[10]){ n[0], n[1], n[2], n[3], n[4], n[5], n[7], n[8],
						 n[9], n[10] }) &
				(CPR_VALID | CPR_SUBST),
			CPR_SUBST);
	CU_ASSERT_FATAL(cpr_init(&d, &on) == 0);
	cpr_feed(&d, text, strlen(text));
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.substitutes, 1);
	CU_ASSERT_EQUAL(st.matches, 0);
	CU_ASSERT_EQUAL(st.distinct, 0);
	st = scan_str(text, strlen(text));
	CU_ASSERT_EQUAL(st.substitutes, 0);
	CU_ASSERT_EQUAL(st.matches, 0);
}

/*
 * The masker against what surrounds a number (issue 14 item 1): non-ASCII
 * quotes and spaces, a euro sign, an en dash, letters, digit-ending path
 * components.  Each row is text with %s for a synthetic number (birth year in
 * the future); the number's serial must not survive cpr_redact.
 */
static void test_redact_neighbours(void)
{
	static const char *const rows[] = {
		"\xe2\x80\x9c%s\xe2\x80\x9d", /* curly quotes */
		"\xc2\xab%s\xc2\xbb",	      /* guillemets */
		"cpr\xc2\xa0%s",	      /* no-break space */
		"\xe2\x82\xac%s",	      /* euro sign */
		"%s\xe2\x80\x93next",	      /* en dash */
		"/media/usb0/%s.pdf",
		"/home/u/2024/%s.pdf",
		"/home/u/2024-%s",
		"v1.%s",
		"abc%sdef",
		"\xc3\xa6%s\xc3\xb8", /* ae, o-slash */
		"%s",
	};
	static const int styles[] = { GEN_PLAIN, GEN_HYPHEN, GEN_SPACE };
	struct gen_rng r;
	char n[12], text[128];
	size_t i, k, len;

	gen_seed(&r, 14);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (k = 0; k < 3; k++) {
			gen_format(gen_cpr_d7(&r, "150640", 5, GEN_MOD11_ANY), styles[k], n);
			len = snprintf(text, sizeof(text), rows[i], n);
			CU_ASSERT_EQUAL(cpr_redact(text, len), 1);
			CU_ASSERT_PTR_NULL(strstr(text, n + strlen(n) - 4));
			CU_ASSERT_PTR_NOT_NULL(strstr(text, "XXXX"));
		}
	}
}

/* What the masker leaves alone: longer digit runs, impossible dates. */
static void test_redact_keeps(void)
{
	static const char *const rows[] = {
		"12345678901234", /* a 14-digit run is another number */
		"9913401234",	  /* day 99 */
		"010128-12345",	  /* the serial runs on */
		"0101281-1234",	  /* seven digits before the hyphen */
		"",
	};
	char text[64];
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = snprintf(text, sizeof(text), "%s", rows[i]);
		CU_ASSERT_EQUAL(cpr_redact(text, len), 0);
		CU_ASSERT_STRING_EQUAL(text, rows[i]);
	}
}

/* Anything the detector counts, in random text around random numbers, comes out masked. */
static void test_redact_vs_detector(void)
{
	struct cpr_opts o = { .substitutes = true };
	struct cpr_detector d;
	struct cpr_stats st;
	struct gen_rng r;
	static char buf[1 << 16];
	size_t len;
	uint64_t planted;

	gen_seed(&r, 1414);
	len = gen_cpr_text(&r, buf, sizeof(buf), 200, &planted);
	CU_ASSERT_FATAL(planted > 0);
	CU_ASSERT(cpr_redact(buf, len) >= planted);
	CU_ASSERT_FATAL(cpr_init(&d, &o) == 0);
	cpr_feed(&d, buf, len);
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	CU_ASSERT_EQUAL(st.matches, 0);
	CU_ASSERT_EQUAL(st.substitutes, 0);
}

static CU_TestInfo cpr_tests[] = {
	{ "century table", test_century_table },
	{ "dates and leap years", test_dates },
	{ "modulus 11", test_mod11 },
	{ "separators", test_separators },
	{ "boundaries", test_boundaries },
	{ "stream vs reference, random chunks", test_stream_vs_reference },
	{ "split at every offset", test_split_everywhere },
	{ "break between streams", test_break },
	{ "distinct counting", test_distinct },
	{ "keyword context", test_keywords },
	{ "masking and samples", test_mask },
	{ "substitute numbers", test_substitutes },
	{ "redact whatever the neighbours", test_redact_neighbours },
	{ "redact keeps other numbers", test_redact_keeps },
	{ "redact masks what the detector counts", test_redact_vs_detector },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(cpr, cpr_tests)
