// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * json_parse: valid and invalid documents (tables), numbers, escapes, UTF-8,
 * depth limit, every truncation of valid documents, trailing garbage,
 * duplicate keys, lookups, big inputs, and round trips of json.c output.
 *
 * Inputs are copied into exact-size heap buffers before parsing, so under
 * `make asan` a read one byte past len is a crash, not a silent pass.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "lib/json.h"
#include "lib/json_parse.h"

#define ERRLEN 256

/* Parse buf[0..len) from an exact-size heap copy (not NUL-terminated). */
static int parse_n(const char *buf, size_t len, struct jval *v, char *err)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, buf, len);
	rc = json_parse(copy, len, v, err, ERRLEN);
	free(copy);
	return rc;
}

static int parse_s(const char *s, struct jval *v, char *err)
{
	return parse_n(s, strlen(s), v, err);
}

/* ---- canonical dump, to compare whole trees against a string ---------- */

struct dump {
	char buf[4096];
	size_t len;
};

static void put(struct dump *d, const char *s, size_t n)
{
	if (d->len + n >= sizeof(d->buf))
		n = sizeof(d->buf) - 1 - d->len;
	memcpy(d->buf + d->len, s, n);
	d->len += n;
	d->buf[d->len] = '\0';
}

static void put_str(struct dump *d, const char *s, size_t n)
{
	char tmp[8];
	size_t i;

	put(d, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = c;
			put(d, tmp, 2);
		} else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(d, tmp, 6);
		} else {
			put(d, s + i, 1);
		}
	}
	put(d, "\"", 1);
}

static void dump_val(struct dump *d, const struct jval *v)
{
	size_t i;

	switch (v->type) {
	case JNULL:
		put(d, "null", 4);
		break;
	case JBOOL:
		put(d, v->b ? "true" : "false", v->b ? 4 : 5);
		break;
	case JNUM:
		put(d, v->str, v->len);
		break;
	case JSTR:
		put_str(d, v->str, v->len);
		break;
	case JARR:
	case JOBJ:
		put(d, v->type == JARR ? "[" : "{", 1);
		for (i = 0; i < v->len; i++) {
			if (i)
				put(d, ",", 1);
			if (v->type == JOBJ) {
				put_str(d, v->keys[i], strlen(v->keys[i]));
				put(d, ":", 1);
			}
			dump_val(d, &v->items[i]);
		}
		put(d, v->type == JARR ? "]" : "}", 1);
		break;
	}
}

static const char *dump(const struct jval *v)
{
	static struct dump d;

	d.len = 0;
	d.buf[0] = '\0';
	dump_val(&d, v);
	return d.buf;
}

static bool is_zeroed(const struct jval *v)
{
	static const struct jval zero;

	return !memcmp(v, &zero, sizeof(zero));
}

/* Offset N from "offset N: ...", or -1. */
static long err_offset(const char *err)
{
	long off;

	if (sscanf(err, "offset %ld:", &off) != 1)
		return -1;
	return off;
}

/* ---- tables ----------------------------------------------------------- */

static const struct {
	const char *in;
	const char *canon;
} valid[] = {
	{ "null", "null" },
	{ "true", "true" },
	{ "false", "false" },
	{ "0", "0" },
	{ "-0", "-0" },
	{ "-0.0", "-0.0" },
	{ "1E3", "1E3" },
	{ "1e-3", "1e-3" },
	{ "1.5e+10", "1.5e+10" },
	{ "123456789", "123456789" },
	{ "\"\"", "\"\"" },
	{ "\"abc\"", "\"abc\"" },
	{ " [ ] ", "[]" },
	{ "{}", "{}" },
	{ "\t\n\r {\"a\" : 1 } \n", "{\"a\":1}" },
	{ "[1,\"a\",null,true,false,[],{}]", "[1,\"a\",null,true,false,[],{}]" },
	{ "{\"a\":{\"b\":[1,{\"c\":null}]}}", "{\"a\":{\"b\":[1,{\"c\":null}]}}" },
	{ "[[[]]]", "[[[]]]" },
	{ "{\"\":1}", "{\"\":1}" },
	{ "{\"a\\nb\":\"x\\ty\"}", "{\"a\\u000ab\":\"x\\u0009y\"}" },
	{ "\"\\/\"", "\"/\"" },
	{ "\"\x7f\"", "\"\x7f\"" },
	{ "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "[ 1 , 2 ,3 ]", "[1,2,3]" },
	{ "{\"a\":1,\"b\":2,\"a\":3}", "{\"b\":2,\"a\":3}" },
};

static void test_valid_table(void)
{
	char err[ERRLEN];
	struct jval v;
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		int rc = parse_s(valid[i].in, &v, err);

		if (rc) {
			fprintf(stderr, "\nvalid[%zu] %s: %s\n", i, valid[i].in, err);
			CU_FAIL("valid document rejected");
			continue;
		}
		if (strcmp(dump(&v), valid[i].canon)) {
			fprintf(stderr, "\nvalid[%zu] %s: got %s\n", i, valid[i].in, dump(&v));
			CU_FAIL("wrong tree");
		}
		jval_free(&v);
		CU_ASSERT(is_zeroed(&v));
	}
}

#define BAD(s, o)                   \
	{                           \
		s, sizeof(s) - 1, o \
	}

/* off: expected error offset, -1 when not worth pinning down */
static const struct {
	const char *in;
	size_t len;
	long off;
} invalid[] = {
	BAD("", 0),
	BAD("   ", 3),
	BAD("[1,]", 3),
	BAD("{\"a\":1,}", 7),
	BAD("[,1]", 1),
	BAD("{,}", 1),
	BAD("[1 2]", 3),
	BAD("[1,,2]", 3),
	BAD("]", 0),
	BAD("}", 0),
	BAD("[", 1),
	BAD("[1", 2),
	BAD("{\"a\":1", 6),
	BAD("{\"a\" 1}", 5),
	BAD("{\"a\":}", 5),
	BAD("{\"a\"}", 4),
	BAD("{1:2}", 1),
	BAD("{a:1}", 1),
	BAD("[\"a\":1]", 4),
	BAD("{\"a\":1 \"b\":2}", 7),
	BAD("// c\n1", 0),
	BAD("/* c */ 1", 0),
	BAD("[1 /* c */]", 3),
	BAD("{'a':1}", 1),
	BAD("'a'", 0),
	BAD("01", 0),
	BAD("-01", 1),
	BAD("00", 0),
	BAD("NaN", 0),
	BAD("nan", 0),
	BAD("Infinity", 0),
	BAD("-Infinity", 1),
	BAD("+1", 0),
	BAD(".5", 0),
	BAD("1.", 2),
	BAD("1.e5", 2),
	BAD("1e", 2),
	BAD("1e+", 3),
	BAD("1E-", 3),
	BAD("-", 1),
	BAD("--1", 1),
	BAD("- 1", 1),
	BAD("0x10", 1),
	BAD("1e400", 0),
	BAD("-1e400", 0),
	BAD("[1e999999999999]", 1),
	BAD("tru", 0),
	BAD("True", 0),
	BAD("nul", 0),
	BAD("nulll", 4),
	BAD("truefalse", 4),
	BAD("\"abc", 4),
	BAD("\"abc\\", 5),
	BAD("\"abc\\\"", 6),
	BAD("\"\\x\"", 1),
	BAD("\"\\U0041\"", 1),
	BAD("\"\\u12\"", 1),
	BAD("\"\\u00zz\"", 1),
	BAD("\"\\u0000\"", 1),
	BAD("\"\\ud800\"", 1),
	BAD("\"\\udc00\"", 1),
	BAD("\"\\ud800\\u0041\"", 1),
	BAD("\"\\ud800\\ud800\"", 1),
	BAD("\"\\ud800x\"", 1),
	BAD("\"\\ud800\\n\"", 1),
	BAD("\"\\udc00\\ud800\"", 1),
	BAD("\"a\tb\"", 2),
	BAD("\"a\nb\"", 2),
	BAD("\"\x01\"", 1),
	BAD("\"\x1f\"", 1),
	BAD("\"a\0b\"", 2),
	BAD("\"\xc0\x80\"", 1),		/* overlong NUL */
	BAD("\"\xc1\xbf\"", 1),		/* overlong */
	BAD("\"\xe0\x80\xaf\"", 1),	/* overlong '/' */
	BAD("\"\xed\xa0\x80\"", 1),	/* surrogate D800 as UTF-8 */
	BAD("\"\xf4\x90\x80\x80\"", 1), /* U+110000 */
	BAD("\"\xf5\x80\x80\x80\"", 1),
	BAD("\"\xe2\x82\"", 1), /* truncated sequence */
	BAD("\"\xe2\x82x\"", 1),
	BAD("\"\x80\"", 1), /* stray continuation */
	BAD("\"\xff\"", 1),
	BAD("\xef\xbb\xbf{}", 0), /* byte order mark */
	BAD("\xff", 0),
	BAD("\f1", 0), /* form feed is not JSON whitespace */
	BAD("\v1", 0),
	BAD("{}x", 2),
	BAD("[] []", 3),
	BAD("[1]]", 3),
	BAD("{}{}", 2),
	BAD("null,", 4),
	BAD("1 2", 2),
	BAD("\"a\"\"b\"", 3),
	BAD("true false", 5),
	BAD("[1]\0", 3), /* NUL after the document, inside len */
	BAD("{\"a\":1}\0garbage", 7),
	BAD("[1]\xc2\xa0", 3), /* non-breaking space */
};

static void test_invalid_table(void)
{
	char err[ERRLEN];
	struct jval v;
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int rc = parse_n(invalid[i].in, invalid[i].len, &v, err);

		if (rc != -EINVAL) {
			fprintf(stderr, "\ninvalid[%zu] accepted (rc %d)\n", i, rc);
			CU_FAIL("invalid document not rejected with -EINVAL");
			jval_free(&v);
			continue;
		}
		CU_ASSERT(strstr(err, "offset") != NULL);
		CU_ASSERT(is_zeroed(&v));
		if (invalid[i].off >= 0 && err_offset(err) != invalid[i].off) {
			fprintf(stderr, "\ninvalid[%zu]: want offset %ld, got \"%s\"\n", i,
				invalid[i].off, err);
			CU_FAIL("wrong error offset");
		}
	}
}

/* ---- numbers ---------------------------------------------------------- */

/* Parse {"n":<num>} and return the object (caller frees). */
static void parse_num(const char *num, struct jval *obj)
{
	char doc[128], err[ERRLEN];
	int rc;

	snprintf(doc, sizeof(doc), "{\"n\":%s}", num);
	rc = parse_s(doc, obj, err);
	if (rc)
		fprintf(stderr, "\n%s: %s\n", doc, err);
	CU_ASSERT_FATAL(rc == 0);
}

static void test_numbers_int(void)
{
	static const struct {
		const char *text;
		bool is_int;
		int64_t i;
	} cases[] = {
		{ "0", true, 0 },
		{ "-0", true, 0 },
		{ "7", true, 7 },
		{ "-7", true, -7 },
		{ "4294967295", true, 4294967295LL },
		{ "4294967296", true, 4294967296LL },
		{ "9223372036854775807", true, INT64_MAX },
		{ "-9223372036854775808", true, INT64_MIN },
		{ "9223372036854775808", false, 0 },
		{ "-9223372036854775809", false, 0 },
		{ "18446744073709551615", false, 0 },
		{ "100000000000000000000000", false, 0 },
		{ "1e3", false, 0 },
		{ "1.0", false, 0 },
		{ "1.5", false, 0 },
	};
	struct jval obj;
	int64_t i64;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct jval *n;

		parse_num(cases[k].text, &obj);
		n = jobj_get(&obj, "n");
		CU_ASSERT_FATAL(n && n->type == JNUM);
		CU_ASSERT_EQUAL(n->is_int, cases[k].is_int);
		CU_ASSERT_EQUAL(jobj_i64(&obj, "n", &i64), cases[k].is_int);
		if (cases[k].is_int) {
			CU_ASSERT_EQUAL(n->i, cases[k].i);
			CU_ASSERT_EQUAL(i64, cases[k].i);
			CU_ASSERT_DOUBLE_EQUAL(n->num, (double)cases[k].i, 0.0);
		}
		jval_free(&obj);
	}
}

static void test_numbers_u64(void)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t u;
	} cases[] = {
		{ "0", true, 0 },
		{ "-0", true, 0 },
		{ "42", true, 42 },
		{ "9223372036854775807", true, 9223372036854775807ULL },
		{ "9223372036854775808", true, 9223372036854775808ULL },
		{ "18446744073709551614", true, 18446744073709551614ULL },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "99999999999999999999", false, 0 },
		{ "-1", false, 0 },
		{ "-9223372036854775808", false, 0 },
		{ "1e3", false, 0 },
		{ "1.0", false, 0 },
		{ "0.5", false, 0 },
	};
	struct jval obj;
	uint64_t u;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		parse_num(cases[k].text, &obj);
		u = 12345;
		CU_ASSERT_EQUAL(jobj_u64(&obj, "n", &u), cases[k].ok);
		CU_ASSERT_EQUAL(u, cases[k].ok ? cases[k].u : 12345);
		jval_free(&obj);
	}
}

static void test_numbers_double(void)
{
	static const struct {
		const char *text;
		double num;
	} cases[] = {
		{ "0", 0.0 },
		{ "1e3", 1000.0 },
		{ "1E+3", 1000.0 },
		{ "1.5", 1.5 },
		{ "-1.5e-2", -0.015 },
		{ "0.1", 0.1 },
		{ "1e-400", 0.0 }, /* underflow is zero, not an error */
		{ "1.7976931348623157e308", 1.7976931348623157e308 },
		{ "18446744073709551615", 18446744073709551615.0 },
	};
	const struct jval *n;
	struct jval obj;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		parse_num(cases[k].text, &obj);
		n = jobj_get(&obj, "n");
		CU_ASSERT_FATAL(n && n->type == JNUM);
		CU_ASSERT_DOUBLE_EQUAL(n->num, cases[k].num, 0.0);
		CU_ASSERT_STRING_EQUAL(n->str, cases[k].text);
		CU_ASSERT_EQUAL(n->len, strlen(cases[k].text));
		jval_free(&obj);
	}
	/* -0 keeps its sign as a double but is the integer 0 */
	parse_num("-0", &obj);
	n = jobj_get(&obj, "n");
	CU_ASSERT(n->num == 0.0 && signbit(n->num));
	CU_ASSERT(n->is_int && n->i == 0);
	jval_free(&obj);
}

/* ---- strings ---------------------------------------------------------- */

/* Parse a JSON string literal and compare its decoded bytes. */
static void expect_str(const char *lit, const char *want, size_t want_len)
{
	char err[ERRLEN];
	struct jval v;
	int rc;

	rc = parse_s(lit, &v, err);
	if (rc)
		fprintf(stderr, "\n%s: %s\n", lit, err);
	CU_ASSERT_FATAL(rc == 0);
	CU_ASSERT_FATAL(v.type == JSTR);
	CU_ASSERT_EQUAL(v.len, want_len);
	CU_ASSERT(!memcmp(v.str, want, want_len));
	CU_ASSERT_EQUAL(v.str[v.len], '\0');
	CU_ASSERT_EQUAL(strlen(v.str), v.len);
	jval_free(&v);
}

#define EXPECT_STR(lit, want) expect_str(lit, want, sizeof(want) - 1)

static void test_escapes(void)
{
	EXPECT_STR("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
	EXPECT_STR("\"a\\u0041b\"", "aAb");
	EXPECT_STR("\"\\u0001\\u001f\"", "\x01\x1f");
	EXPECT_STR("\"\\u007f\\u0080\"", "\x7f\xc2\x80");
	EXPECT_STR("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9");
	EXPECT_STR("\"\\u07ff\\u0800\"", "\xdf\xbf\xe0\xa0\x80");
	EXPECT_STR("\"\\u20ac\"", "\xe2\x82\xac");
	EXPECT_STR("\"\\uffff\"", "\xef\xbf\xbf");
	EXPECT_STR("\"\\ud7ff\\ue000\"", "\xed\x9f\xbf\xee\x80\x80");
	EXPECT_STR("\"x\\\\u0041\"", "x\\u0041");
}

static void test_surrogates(void)
{
	EXPECT_STR("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"); /* U+1F600 */
	EXPECT_STR("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80");
	EXPECT_STR("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80"); /* U+10000 */
	EXPECT_STR("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	EXPECT_STR("\"a\\ud834\\udd1eb\"", "a\xf0\x9d\x84\x9e"
					   "b"); /* U+1D11E */
}

static void test_raw_utf8(void)
{
	EXPECT_STR("\"\xc2\x80\xdf\xbf\"", "\xc2\x80\xdf\xbf");
	EXPECT_STR("\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"",
		   "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
	EXPECT_STR("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	EXPECT_STR("\" ~\x7f\"", " ~\x7f");
}

/* ---- depth ------------------------------------------------------------ */

/* n nested arrays, or objects {"k":...} when obj; innermost is 1. */
static char *nested(int n, bool obj, size_t *len)
{
	char *s = malloc((size_t)n * 6 + 2), *q = s;
	int i;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < n; i++)
		q += sprintf(q, "%s", obj ? "{\"k\":" : "[");
	*q++ = '1';
	for (i = 0; i < n; i++)
		*q++ = obj ? '}' : ']';
	*len = q - s;
	return s;
}

static void check_depth(int n, bool obj, bool ok)
{
	char err[ERRLEN];
	struct jval v;
	size_t len;
	char *s = nested(n, obj, &len);
	int rc = parse_n(s, len, &v, err);

	free(s);
	if (ok) {
		CU_ASSERT_EQUAL(rc, 0);
		jval_free(&v);
		return;
	}
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT(strstr(err, "offset") != NULL);
	CU_ASSERT(strstr(err, "nested") != NULL);
	CU_ASSERT(is_zeroed(&v));
}

static void test_depth(void)
{
	const struct jval *cur;
	char err[ERRLEN];
	struct jval v;
	size_t len;
	char *s;
	int d;

	check_depth(1, false, true);
	check_depth(JSON_PARSE_MAX_DEPTH, false, true);
	check_depth(JSON_PARSE_MAX_DEPTH + 1, false, false);
	check_depth(JSON_PARSE_MAX_DEPTH, true, true);
	check_depth(JSON_PARSE_MAX_DEPTH + 1, true, false);
	check_depth(100000, false, false); /* would blow a naive stack */
	check_depth(100000, true, false);

	/* the tree really is 64 deep, and the error points at the 65th '[' */
	s = nested(JSON_PARSE_MAX_DEPTH, false, &len);
	CU_ASSERT_FATAL(parse_n(s, len, &v, err) == 0);
	for (cur = &v, d = 0; cur->type == JARR; cur = &cur->items[0], d++)
		CU_ASSERT_FATAL(cur->len == 1);
	CU_ASSERT_EQUAL(d, JSON_PARSE_MAX_DEPTH);
	CU_ASSERT(cur->type == JNUM && cur->is_int && cur->i == 1);
	jval_free(&v);
	free(s);
	s = nested(JSON_PARSE_MAX_DEPTH + 1, false, &len);
	CU_ASSERT(parse_n(s, len, &v, err) == -EINVAL);
	CU_ASSERT_EQUAL(err_offset(err), JSON_PARSE_MAX_DEPTH);
	free(s);

	/* siblings do not add depth */
	CU_ASSERT(parse_s("[[],[],[[]],{}]", &v, err) == 0);
	jval_free(&v);
}

/* ---- truncation and trailing garbage ----------------------------------- */

static const char *const whole_docs[] = {
	"{\"type\":\"open\",\"pid\":1234,\"path\":\"/home/a/b\\u00e6.csv\",\"flags\":[\"r\",\"w\"],"
	"\"bytes\":18446744073709551615,\"neg\":-9223372036854775808,\"f\":-1.5e-3,"
	"\"ok\":true,\"no\":false,\"nil\":null,\"emoji\":\"\\ud83d\\ude00\xc3\xa6\","
	"\"nest\":{\"a\":[[],{}],\"b\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}}",
	"[1,-0,0.5,1e3,\"x\",[true,false,null],{\"k\":{\"k\":[]}}]",
	"\"\xf0\x9f\x98\x80 \\ud800\\udc00 tail\"",
	"{ \"a\" : [ 1 , 2 ] , \"b\" : { } }",
};

/* Every proper prefix of a complete container or string must fail cleanly. */
static void test_truncated(void)
{
	char err[ERRLEN];
	struct jval v;
	size_t d, n, len;

	for (d = 0; d < sizeof(whole_docs) / sizeof(whole_docs[0]); d++) {
		len = strlen(whole_docs[d]);
		CU_ASSERT_FATAL(parse_n(whole_docs[d], len, &v, err) == 0);
		jval_free(&v);
		for (n = 0; n < len; n++) {
			int rc = parse_n(whole_docs[d], n, &v, err);

			if (rc != -EINVAL) {
				fprintf(stderr, "\ndoc %zu prefix %zu accepted\n", d, n);
				CU_FAIL("truncated document accepted");
				jval_free(&v);
				continue;
			}
			CU_ASSERT(strstr(err, "offset") != NULL);
			CU_ASSERT(is_zeroed(&v));
		}
	}
}

static void test_trailing(void)
{
	static const char *const tails[] = {
		"x", "}", "]", ",", "{}", "0", "\"\"", "null", "\x01",
	};
	char buf[1024], err[ERRLEN];
	struct jval v;
	size_t d, t, len;

	for (d = 0; d < sizeof(whole_docs) / sizeof(whole_docs[0]); d++) {
		len = strlen(whole_docs[d]);
		for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			snprintf(buf, sizeof(buf), "%s %s", whole_docs[d], tails[t]);
			CU_ASSERT(parse_s(buf, &v, err) == -EINVAL);
			CU_ASSERT_EQUAL(err_offset(err), (long)len + 1);
			CU_ASSERT(is_zeroed(&v));
		}
		/* trailing whitespace (the JSON-lines newline) is fine */
		snprintf(buf, sizeof(buf), "%s \t\r\n\n", whole_docs[d]);
		CU_ASSERT(parse_s(buf, &v, err) == 0);
		jval_free(&v);
	}
}

/* len bounds the parse even when the buffer goes on (buf need not end at len) */
static void test_len_bounds(void)
{
	static const char buf[] = "[1,2]xyz";
	char err[ERRLEN];
	struct jval v;

	CU_ASSERT(json_parse(buf, 5, &v, err, sizeof(err)) == 0);
	CU_ASSERT(v.type == JARR && v.len == 2);
	jval_free(&v);
	CU_ASSERT(json_parse(buf, 6, &v, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(json_parse("\"ab\"", 3, &v, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(json_parse("truex", 4, &v, err, sizeof(err)) == 0);
	CU_ASSERT(v.type == JBOOL && v.b);
	jval_free(&v);
	CU_ASSERT(json_parse("123", 2, &v, err, sizeof(err)) == 0);
	CU_ASSERT(v.is_int && v.i == 12 && v.len == 2);
	jval_free(&v);
	CU_ASSERT(json_parse(NULL, 0, &v, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(json_parse(NULL, 5, &v, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(strstr(err, "offset") != NULL);
}

/* ---- objects and lookups ----------------------------------------------- */

static void test_duplicate_keys(void)
{
	char err[ERRLEN];
	struct jval v;
	int64_t i;

	CU_ASSERT_FATAL(parse_s("{\"a\":1,\"b\":2,\"a\":3}", &v, err) == 0);
	CU_ASSERT_EQUAL(v.len, 2);
	CU_ASSERT(jobj_i64(&v, "a", &i) && i == 3);
	CU_ASSERT(jobj_i64(&v, "b", &i) && i == 2);
	jval_free(&v);

	/* superseded values own memory: ASan's leak check sees it freed */
	CU_ASSERT_FATAL(parse_s("{\"a\":[1,\"s\",{\"x\":\"y\"}],\"a\":{\"q\":[]},\"a\":\"last\"}",
				&v, err) == 0);
	CU_ASSERT_EQUAL(v.len, 1);
	CU_ASSERT_STRING_EQUAL(jobj_str(&v, "a"), "last");
	jval_free(&v);

	/* keys equal after unescaping are duplicates */
	CU_ASSERT_FATAL(parse_s("{\"\\u0061\":1,\"a\":2,\"\\/\":3,\"/\":4}", &v, err) == 0);
	CU_ASSERT_STRING_EQUAL(dump(&v), "{\"a\":2,\"/\":4}");
	jval_free(&v);

	/* an error after a duplicate still frees everything */
	CU_ASSERT(parse_s("{\"a\":[1],\"a\":[2],}", &v, err) == -EINVAL);
	CU_ASSERT(is_zeroed(&v));
}

/* Many keys, most repeated: fast, keeps the last of each, order of last. */
static void test_many_keys(void)
{
	const size_t nkeys = 200000, distinct = 1000;
	size_t cap = nkeys * 24 + 16, len = 0, k;
	char *doc = malloc(cap), key[16], err[ERRLEN];
	struct jval v;
	int64_t i;

	CU_ASSERT_FATAL(doc != NULL);
	doc[len++] = '{';
	for (k = 0; k < nkeys; k++)
		len += sprintf(doc + len, "%s\"k%zu\":%zu", k ? "," : "", k % distinct, k);
	doc[len++] = '}';
	CU_ASSERT_FATAL(parse_n(doc, len, &v, err) == 0);
	free(doc);
	CU_ASSERT_EQUAL(v.len, distinct);
	for (k = 0; k < distinct; k++) {
		snprintf(key, sizeof(key), "k%zu", k);
		CU_ASSERT(jobj_i64(&v, key, &i) && i == (int64_t)(nkeys - distinct + k));
		CU_ASSERT_STRING_EQUAL(v.keys[k], key);
	}
	jval_free(&v);
}

static void test_lookups(void)
{
	const char *doc = "{\"s\":\"str\",\"i\":-5,\"u\":5,\"f\":1.5,\"t\":true,\"n\":null,"
			  "\"a\":[1],\"o\":{\"s\":\"inner\"}}";
	char err[ERRLEN];
	struct jval v;
	int64_t i = 99;
	uint64_t u = 99;
	bool b = false;

	CU_ASSERT_FATAL(parse_s(doc, &v, err) == 0);
	CU_ASSERT_STRING_EQUAL(jobj_str(&v, "s"), "str");
	CU_ASSERT_PTR_NULL(jobj_str(&v, "i"));
	CU_ASSERT_PTR_NULL(jobj_str(&v, "missing"));
	CU_ASSERT_PTR_NULL(jobj_str(&v, "S"));
	CU_ASSERT_STRING_EQUAL(jobj_str(jobj_get(&v, "o"), "s"), "inner");
	CU_ASSERT(jobj_i64(&v, "i", &i) && i == -5);
	CU_ASSERT(!jobj_u64(&v, "i", &u) && u == 99);
	CU_ASSERT(jobj_u64(&v, "u", &u) && u == 5);
	CU_ASSERT(!jobj_i64(&v, "f", &i));
	CU_ASSERT(!jobj_i64(&v, "s", &i));
	CU_ASSERT(!jobj_u64(&v, "t", &u));
	CU_ASSERT(jobj_bool(&v, "t", &b) && b);
	CU_ASSERT(!jobj_bool(&v, "n", &b));
	CU_ASSERT(!jobj_bool(&v, "missing", &b));
	CU_ASSERT(jobj_get(&v, "n") && jobj_get(&v, "n")->type == JNULL);
	CU_ASSERT_PTR_NULL(jobj_get(&v, "missing"));
	/* lookups on non-objects and NULL are misses, not crashes */
	CU_ASSERT_PTR_NULL(jobj_get(jobj_get(&v, "a"), "0"));
	CU_ASSERT_PTR_NULL(jobj_get(NULL, "s"));
	CU_ASSERT_PTR_NULL(jobj_str(NULL, "s"));
	CU_ASSERT(!jobj_i64(NULL, "i", &i));
	CU_ASSERT(!jobj_u64(jobj_get(&v, "s"), "s", &u));
	CU_ASSERT(!jobj_bool(NULL, "t", &b));
	jval_free(&v);
	jval_free(&v); /* zeroed: a second free is harmless */
	jval_free(NULL);
}

/* ---- sizes, error buffer, writer round trip ----------------------------- */

static void test_large(void)
{
	const size_t n = 1 << 20;
	char *doc = malloc(n + 2), err[ERRLEN];
	struct jval v;
	size_t k;

	/* a 1 MiB string */
	CU_ASSERT_FATAL(doc != NULL);
	doc[0] = '"';
	memset(doc + 1, 'a', n - 2);
	doc[n - 1] = '"';
	CU_ASSERT_FATAL(parse_n(doc, n, &v, err) == 0);
	CU_ASSERT(v.type == JSTR && v.len == n - 2);
	jval_free(&v);

	/* a 1 MiB array of one-digit numbers: "[d,d,...,d]", n - 1 bytes */
	doc[0] = '[';
	for (k = 1; k < n - 2; k++)
		doc[k] = k % 2 ? '0' + k % 10 : ',';
	doc[n - 2] = ']';
	CU_ASSERT_FATAL(parse_n(doc, n - 1, &v, err) == 0);
	CU_ASSERT(v.type == JARR && v.len == (n - 2) / 2);
	CU_ASSERT(v.items[v.len - 1].is_int);
	jval_free(&v);
	free(doc);
}

static void test_err_buffer(void)
{
	char small[12];
	struct jval v;

	CU_ASSERT(json_parse("[1,]", 4, &v, NULL, 0) == -EINVAL);
	CU_ASSERT(json_parse("[1,]", 4, &v, small, 0) == -EINVAL);
	memset(small, 'x', sizeof(small));
	CU_ASSERT(json_parse("[1,]", 4, &v, small, sizeof(small)) == -EINVAL);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT(!strncmp(small, "offset 3: ", 10));
	memset(small, 'x', sizeof(small));
	CU_ASSERT(json_parse("[1]", 3, &v, small, sizeof(small)) == 0);
	CU_ASSERT_EQUAL(small[0], '\0');
	jval_free(&v);
}

/* What cprwatchd writes (json.c) is what --replay reads: it must round-trip. */
static void test_writer_roundtrip(void)
{
	static const char path[] = "/mnt/usb/\xff\xfe bad \"q\" \\ \t\x01 \xc3\xa6\xe2\x82\xac.csv";
	const struct jval *a;
	char err[ERRLEN];
	struct json j;
	struct jval v;
	uint64_t u;
	int64_t i;
	bool b;

	json_init(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "path", path);
	json_kv_u64(&j, "u", UINT64_MAX);
	json_kv_i64(&j, "i", INT64_MIN);
	json_kv_bool(&j, "b", true);
	json_key(&j, "arr");
	json_arr_begin(&j);
	json_u64(&j, 0);
	json_null(&j);
	json_str(&j, "");
	json_arr_end(&j);
	json_obj_end(&j);
	CU_ASSERT_FATAL(!j.out.oom);
	CU_ASSERT_FATAL(parse_n(j.out.data, j.out.len, &v, err) == 0);
	json_free(&j);

	CU_ASSERT(jobj_u64(&v, "u", &u) && u == UINT64_MAX);
	CU_ASSERT(jobj_i64(&v, "i", &i) && i == INT64_MIN);
	CU_ASSERT(jobj_bool(&v, "b", &b) && b);
	/* invalid bytes come back as U+00FF etc. (the writer's \u00XX), the rest exact */
	CU_ASSERT_STRING_EQUAL(jobj_str(&v, "path"), "/mnt/usb/\xc3\xbf\xc3\xbe bad \"q\" "
						     "\\ \t\x01 \xc3\xa6\xe2\x82\xac.csv");
	a = jobj_get(&v, "arr");
	CU_ASSERT_FATAL(a && a->type == JARR && a->len == 3);
	CU_ASSERT(a->items[0].is_int && a->items[0].i == 0);
	CU_ASSERT(a->items[1].type == JNULL);
	CU_ASSERT(a->items[2].type == JSTR && a->items[2].len == 0);
	jval_free(&v);
}

static CU_TestInfo json_parse_tests[] = {
	{ "valid documents", test_valid_table },
	{ "invalid documents", test_invalid_table },
	{ "integers and is_int", test_numbers_int },
	{ "jobj_u64 exact to UINT64_MAX", test_numbers_u64 },
	{ "doubles and number text", test_numbers_double },
	{ "escapes", test_escapes },
	{ "surrogate pairs", test_surrogates },
	{ "raw UTF-8", test_raw_utf8 },
	{ "depth limit", test_depth },
	{ "every truncation fails", test_truncated },
	{ "trailing garbage", test_trailing },
	{ "len bounds the parse", test_len_bounds },
	{ "duplicate keys", test_duplicate_keys },
	{ "many keys", test_many_keys },
	{ "lookups", test_lookups },
	{ "1 MiB documents", test_large },
	{ "error buffer", test_err_buffer },
	{ "json.c output round-trips", test_writer_roundtrip },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(json_parse, json_parse_tests)
