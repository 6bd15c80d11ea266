// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/lib/json.c: exact output for escaping and container commas, and every
 * output parses (checked with jq when it is installed).  Paths may hold any
 * bytes; the writer must still produce valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "lib/json.h"

#define JSON_JQ "/usr/bin/jq"

/* Pipe @text through `jq @filter` and return what it printed (malloc'd), or NULL. */
static char *json_jq_run(const char *filter, const char *text, int *status)
{
	char tin[] = "/tmp/cprw-json-XXXXXX", cmd[256], *out = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int fd;

	fd = mkstemp(tin);
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(tin);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), JSON_JQ " %s < %s 2>/dev/null", filter, tin);
	f = popen(cmd, "r");
	if (f) {
		char chunk[512];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			char *nb = realloc(out, cap = len + n + 1);

			if (!nb)
				break;
			out = nb;
			memcpy(out + len, chunk, n);
			len += n;
			out[len] = '\0';
		}
		*status = pclose(f);
		if (!out)
			out = strdup("");
	}
	unlink(tin);
	(void)cap;
	return out;
}

/* True when @text is one valid JSON document (always true without jq). */
static int json_jq_valid(const char *text)
{
	char *out;
	int status = -1;

	if (access(JSON_JQ, X_OK))
		return 1;
	out = json_jq_run("-e 'true'", text, &status);
	free(out);
	return status == 0;
}

/* The exact serialisation of one string value. */
static char *json_of_strn(const char *s, size_t n)
{
	struct json j;
	char *out;

	json_init(&j);
	json_strn(&j, s, n);
	out = strdup(j.out.data ? j.out.data : "");
	json_free(&j);
	return out;
}

static void test_escaping(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
#define S(x) x, sizeof(x) - 1
		{ S(""), "\"\"" },
		{ S("plain /path/file.csv"), "\"plain /path/file.csv\"" },
		{ S("a\"b"), "\"a\\\"b\"" },
		{ S("a\\b"), "\"a\\\\b\"" },
		{ S("\\\""), "\"\\\\\\\"\"" },
		{ S("line1\nline2"), "\"line1\\nline2\"" },
		{ S("a\tb\rc"), "\"a\\tb\\rc\"" },
		{ S("\x01\x1f"), "\"\\u0001\\u001f\"" },
		{ S("\x08\x0c"), "\"\\u0008\\u000c\"" },
		{ S("del\x7f"), "\"del\\u007f\"" },
		{ S("nul\0in"), "\"nul\\u0000in\"" },
		{ S("/"), "\"/\"" },
		/* valid UTF-8 passes through unchanged */
		{ S("\xc3\xa6\xc3\xb8\xc3\xa5"), "\"\xc3\xa6\xc3\xb8\xc3\xa5\"" }, /* æøå */
		{ S("\xe2\x82\xac"), "\"\xe2\x82\xac\"" },			   /* € */
		{ S("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"" },		   /* U+1F600 */
		{ S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"" },		   /* U+10FFFF */
		{ S("Hentede filer/\xc3\x86"
		    "ble.txt"),
		  "\"Hentede filer/\xc3\x86"
		  "ble.txt\"" },
		/* invalid UTF-8 bytes become \u00XX, one per byte */
		{ S("\xff"), "\"\\u00ff\"" },
		{ S("a\xfe"
		    "b"),
		  "\"a\\u00feb\"" },
		{ S("\x80"), "\"\\u0080\"" },			    /* lone continuation */
		{ S("\xc3"), "\"\\u00c3\"" },			    /* cut at the end */
		{ S("\xc3("), "\"\\u00c3(\"" },			    /* bad continuation */
		{ S("\xe2\x82"), "\"\\u00e2\\u0082\"" },	    /* cut 3-byte */
		{ S("\xc0\xaf"), "\"\\u00c0\\u00af\"" },	    /* overlong '/' */
		{ S("\xe0\x80\xaf"), "\"\\u00e0\\u0080\\u00af\"" }, /* overlong 3-byte */
		{ S("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"" }, /* surrogate */
		{ S("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ S("\xf8\x88\x80\x80\x80"), "\"\\u00f8\\u0088\\u0080\\u0080\\u0080\"" },
		{ S("ok\xc3\xa6\xff\xc3\xa6"), "\"ok\xc3\xa6\\u00ff\xc3\xa6\"" },
#undef S
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of_strn(cases[i].in, cases[i].len);

		if (strcmp(got, cases[i].want))
			fprintf(stderr, "\n  case %zu: got %s want %s", i, got, cases[i].want);
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
		CU_ASSERT(json_jq_valid(got));
		free(got);
	}
}

/* Every byte value alone, and every byte after a lead byte: always valid JSON. */
static void test_all_bytes_parse(void)
{
	struct json j;
	char s[2];
	int c;

	json_init(&j);
	json_arr_begin(&j);
	for (c = 0; c < 256; c++) {
		s[0] = (char)c;
		json_strn(&j, s, 1);
		s[0] = (char)0xe2;
		s[1] = (char)c;
		json_strn(&j, s, 2);
	}
	json_arr_end(&j);
	CU_ASSERT_FALSE(j.out.oom);
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

/* What jq reads back is the input for valid UTF-8, and U+00XX for a bad byte. */
static void test_round_trip_with_jq(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\"b\\c\nd\te\x01", "a\"b\\c\nd\te\x01" },
		{ "\xc3\xa6\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa6\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "x\xffy", "x\xc3\xbfy" },
	};
	size_t i;

	if (access(JSON_JQ, X_OK)) {
		fprintf(stderr, "\n  jq not installed: round trip not checked");
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json j;
		char *out;
		int status = -1;

		json_init(&j);
		json_obj_begin(&j);
		json_kv_str(&j, "s", cases[i].in);
		json_obj_end(&j);
		out = json_jq_run("-j .s", j.out.data, &status);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_EQUAL(status, 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
		free(out);
		json_free(&j);
	}
}

static void test_scalars(void)
{
	struct json j;

	json_init(&j);
	json_arr_begin(&j);
	json_u64(&j, 0);
	json_u64(&j, UINT64_MAX);
	json_i64(&j, -1);
	json_i64(&j, INT64_MIN);
	json_i64(&j, INT64_MAX);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_str(&j, NULL);
	json_str(&j, "s");
	json_arr_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "[0,18446744073709551615,-1,-9223372036854775808,"
					   "9223372036854775807,true,false,null,null,\"s\"]");
	CU_ASSERT_EQUAL(j.out.len, strlen(j.out.data));
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

static void test_object_commas(void)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{}");
	json_reset(&j);

	json_obj_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_kv_str(&j, "b", "x");
	json_kv_bool(&j, "c", true);
	json_kv_i64(&j, "d", -5);
	json_key(&j, "e");
	json_null(&j);
	json_kv_str(&j, "f", NULL);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"a\":1,\"b\":\"x\",\"c\":true,\"d\":-5,\"e\":null,"
					   "\"f\":null}");
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

static void test_nested_commas(void)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_obj_begin(&j);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_u64(&j, 2);
	json_obj_begin(&j);
	json_key(&j, "c");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key(&j, "d");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_key(&j, "e");
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_str(&j, "x");
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_kv_u64(&j, "f", 7);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"a\":{\"b\":[1,2,{\"c\":[]}],\"d\":[]},"
					   "\"e\":[[],[\"x\"],{}],\"f\":7}");
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

/* Keys are escaped like values. */
static void test_key_escaping(void)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_kv_u64(&j, "k\"e\\y\n", 1);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"k\\\"e\\\\y\\n\":1}");
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

/* One writer serves many lines: after reset there is no stray comma. */
static void test_reset_reuses(void)
{
	struct json j;
	int i;

	json_init(&j);
	for (i = 0; i < 3; i++) {
		json_reset(&j);
		json_obj_begin(&j);
		json_kv_u64(&j, "n", i);
		json_obj_end(&j);
	}
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"n\":2}");
	CU_ASSERT_EQUAL(j.out.len, 7);
	/* reset in the middle of an object, e.g. after a failed event */
	json_reset(&j);
	json_obj_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_reset(&j);
	json_obj_begin(&j);
	json_kv_u64(&j, "b", 2);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"b\":2}");
	json_free(&j);
	CU_ASSERT_PTR_NULL(j.out.data);
	CU_ASSERT_EQUAL(j.out.len, 0);
}

/* Strings far past the initial capacity are written whole. */
static void test_growth(void)
{
	size_t n = 300000, i;
	char *s = malloc(n + 1);
	struct json j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < n; i++)
		s[i] = "ab\"\xff"[i % 4];
	s[n] = '\0';
	json_init(&j);
	json_str(&j, s);
	CU_ASSERT_FALSE(j.out.oom);
	/* a, b, \" (2), \u00ff (6) per 4 input bytes, plus the quotes */
	CU_ASSERT_EQUAL(j.out.len, n / 4 * 10 + 2);
	CU_ASSERT_EQUAL(strlen(j.out.data), j.out.len);
	CU_ASSERT(j.out.cap > j.out.len);
	CU_ASSERT_EQUAL(memcmp(j.out.data, "\"ab\\\"\\u00ffab", 13), 0);
	json_free(&j);
	free(s);
}

static void test_raw(void)
{
	struct json j;

	json_init(&j);
	json_raw(&j, "{\"x\":", 5);
	json_raw(&j, "1}", 2);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"x\":1}");
	CU_ASSERT_EQUAL(j.out.len, 7);
	json_free(&j);
}

/* Nesting at the writer's depth limit still gives the right commas. */
static void test_depth_limit(void)
{
	char want[256];
	struct json j;
	int i, n = JSON_MAX_DEPTH - 1, o = 0;

	json_init(&j);
	for (i = 0; i < n; i++) {
		json_arr_begin(&j);
		json_u64(&j, i);
	}
	for (i = 0; i < n; i++)
		json_arr_end(&j);
	for (i = 0; i < n; i++)
		o += snprintf(want + o, sizeof(want) - o, "%s[%d", i ? "," : "", i);
	for (i = 0; i < n; i++)
		want[o++] = ']';
	want[o] = '\0';
	/* the first value after the opening bracket has no comma */
	CU_ASSERT_STRING_EQUAL(j.out.data, want);
	CU_ASSERT(json_jq_valid(j.out.data));
	json_free(&j);
}

/* Ids the agent makes (UUIDs, hashes) are not masked; the same text from outside is. */
static void test_ids_verbatim(void)
{
	static const char uuid[] = "ab010140-5123-4abc-8def-0123456789ab";
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_kv_id(&j, "alert_id", uuid);
	json_kv_str(&j, "path", uuid);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(j.out.data, "{\"alert_id\":\"ab010140-5123-4abc-8def-0123456789ab\","
					   "\"path\":\"ab010140-XXXX-4abc-8def-0123456789ab\"}");
	json_free(&j);
}

static CU_TestInfo json_tests[] = {
	{ "string escaping table", test_escaping },
	{ "every byte value parses", test_all_bytes_parse },
	{ "jq reads strings back", test_round_trip_with_jq },
	{ "scalars", test_scalars },
	{ "object commas", test_object_commas },
	{ "nested object/array commas", test_nested_commas },
	{ "keys are escaped", test_key_escaping },
	{ "reset reuses the buffer", test_reset_reuses },
	{ "growth past initial capacity", test_growth },
	{ "raw append", test_raw },
	{ "nesting at the depth limit", test_depth_limit },
	{ "agent-made ids verbatim", test_ids_verbatim },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(json, json_tests)
