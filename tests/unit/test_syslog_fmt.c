// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * syslog_fmt: exact RFC 5424 and CEF lines for a sample alert and a
 * heartbeat, escaping of every special character in both formats, UTF-8 and
 * invalid bytes, PRI values, MSGID sanitising, timestamps, and cutting to a
 * datagram size at a character boundary with the header and SD intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "lib/json_parse.h"
#include "soc/syslog_fmt.h"
#include "utf8_check.h"

#define SAMPLE_ALERT                                                                       \
	"{\"alert_id\":\"6f1c2a3b-1111-4222-8333-444455556666\","                          \
	"\"time\":\"2025-03-04T05:06:07.123456Z\",\"host\":\"ws01\","                      \
	"\"rule\":\"bulk_export\",\"severity\":\"high\","                                  \
	"\"summary\":\"cat exported 120 CPR numbers\",\"user\":\"alice\","                 \
	"\"uid\":1000,\"loginuid\":1000,\"pid\":4242,"                                     \
	"\"process_chain\":[{\"pid\":4242,\"exe\":\"/usr/bin/cat\","                       \
	"\"argv\":\"cat /srv/export.csv\",\"comm\":\"cat\"},"                              \
	"{\"pid\":4000,\"exe\":\"/usr/bin/bash\",\"argv\":\"bash\",\"comm\":\"bash\"}],"   \
	"\"file\":{\"path\":\"/media/usb/export.csv\",\"dev\":\"8:17\",\"ino\":12},"       \
	"\"origin_export\":{\"path\":\"/srv/cpr/export.csv\",\"dev\":\"8:1\",\"ino\":99}," \
	"\"counts\":{\"cpr_distinct\":120,\"cpr_mod11\":118,\"cpr_keyword_context\":3,"    \
	"\"cpr_matches\":130,\"cpr_lower_bound\":false,\"bytes\":5000},"                   \
	"\"masked_samples\":[\"010203-XXXX\",\"040506-XXXX\"]}"

#define SAMPLE_HEADER "<163>1 2025-03-04T05:06:07.123456Z ws01 cprwatch 777 bulk_export "

static const char expect_5424[] = SAMPLE_HEADER
	"[cprwatch@32473 id=\"6f1c2a3b-1111-4222-8333-444455556666\" rule=\"bulk_export\" "
	"severity=\"high\" user=\"alice\" uid=\"1000\" loginuid=\"1000\" pid=\"4242\" "
	"comm=\"cat\" exe=\"/usr/bin/cat\" argv=\"cat /srv/export.csv\" "
	"chain=\"cat(4242) < bash(4000)\" file=\"/media/usb/export.csv\" file_dev=\"8:17\" "
	"file_ino=\"12\" origin=\"/srv/cpr/export.csv\" origin_dev=\"8:1\" origin_ino=\"99\" "
	"cpr_distinct=\"120\" cpr_mod11=\"118\" cpr_keyword_context=\"3\" cpr_matches=\"130\" "
	"cpr_lower_bound=\"false\" bytes=\"5000\" samples=\"010203-XXXX,040506-XXXX\"] "
	"cat exported 120 CPR numbers";

static const char expect_cef[] = SAMPLE_HEADER
	"- CEF:0|cprwatch|cprwatch|" CPRW_VERSION "|bulk_export|cat exported 120 CPR numbers|8|"
	"rt=1741064767123 dvchost=ws01 externalId=6f1c2a3b-1111-4222-8333-444455556666 "
	"suser=alice suid=1000 spid=4242 cs1Label=rule cs1=bulk_export "
	"cn1Label=cprDistinct cn1=120 cn2Label=loginuid cn2=1000 cn3Label=bytes cn3=5000 "
	"fname=export.csv filePath=/media/usb/export.csv "
	"cs2Label=originExport cs2=/srv/cpr/export.csv "
	"cs4Label=maskedSamples cs4=010203-XXXX,040506-XXXX sproc=/usr/bin/cat "
	"cs6Label=argv cs6=cat /srv/export.csv cs5Label=processChain cs5=cat(4242) < bash(4000) "
	"msg=cat exported 120 CPR numbers";

static void parse(const char *json, struct jval *v)
{
	char err[128];

	CU_ASSERT_FATAL(json_parse(json, strlen(json), v, err, sizeof(err)) == 0);
}

static struct syslog_ctx ctx(enum syslog_format f, size_t max_len)
{
	return (struct syslog_ctx){
		.format = f,
		.facility = SYSLOG_FAC_DEFAULT,
		.procid = 777,
		.hostname = "fallback",
		.max_len = max_len,
	};
}

/* Render @json; returns the rc, the line in @b. */
static int render(const char *json, enum syslog_format f, size_t max_len, struct buf *b)
{
	struct syslog_ctx c = ctx(f, max_len);
	struct jval v;
	int rc;

	parse(json, &v);
	rc = syslog_fmt_alert(b, &c, &v);
	jval_free(&v);
	return rc;
}

/* One line, printable, valid UTF-8: what every rendering must be. */
static void assert_clean(const struct buf *b)
{
	size_t i;

	CU_ASSERT_EQUAL(strlen(b->data), b->len);
	for (i = 0; i < b->len; i++) {
		unsigned char c = b->data[i];

		CU_ASSERT(c >= 0x20 && c != 0x7f);
		if (c < 0x20 || c == 0x7f)
			break;
	}
	CU_ASSERT(valid_utf8((const unsigned char *)b->data, b->len));
}

/* A trailing backslash would escape whatever the receiver puts next. */
static bool ends_mid_escape(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k % 2;
}

static void test_sample_5424(void)
{
	struct buf b;

	buf_init(&b);
	CU_ASSERT_EQUAL(render(SAMPLE_ALERT, SYSLOG_FMT_RFC5424, 0, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, expect_5424);
	/* the same line fits a datagram untouched */
	CU_ASSERT_EQUAL(render(SAMPLE_ALERT, SYSLOG_FMT_RFC5424, 2048, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, expect_5424);
	buf_free(&b);
}

static void test_sample_cef(void)
{
	struct buf b;

	buf_init(&b);
	CU_ASSERT_EQUAL(render(SAMPLE_ALERT, SYSLOG_FMT_CEF, 0, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.data, expect_cef);
	buf_free(&b);
}

static void test_minimal_alert(void)
{
	struct buf b;
	int rc;

	buf_init(&b);
	/* no time, host, rule or summary: NILVALUEs and the fallback host */
	rc = render("{\"severity\":\"critical\",\"loginuid\":null,\"user\":null}",
		    SYSLOG_FMT_RFC5424, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(!strncmp(b.data, "<162>1 ", 7));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "Z fallback cprwatch 777 - [cprwatch@32473 "
					      "severity=\"critical\"]"));
	CU_ASSERT(b.data[b.len - 1] == ']');
	rc = render("{\"severity\":\"critical\"}", SYSLOG_FMT_CEF, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " - - CEF:0|cprwatch|cprwatch|" CPRW_VERSION
					      "|unknown|unknown|10|rt="));
	/* not an object */
	rc = render("[1,2]", SYSLOG_FMT_RFC5424, 0, &b);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	buf_free(&b);
}

static void test_escape_sd(void)
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = render("{\"rule\":\"r\",\"file\":{\"path\":\"/tmp/a\\\"b\\\\c]d=e|f\\ng\\rh\\ti\"},"
		    "\"user\":\"x\\u0001y\\u0085z\\u2028w\"}",
		    SYSLOG_FMT_RFC5424, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " file=\"/tmp/a\\\"b\\\\c\\]d=e|f\\ng\\rh\\ti\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " user=\"x\\u0001y\\u0085z\\u2028w\""));
	assert_clean(&b);
	buf_free(&b);
}

static void test_escape_cef(void)
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = render("{\"rule\":\"a|b\\\\c\",\"summary\":\"x|y\\\\z\\nw=v\","
		    "\"file\":{\"path\":\"/tmp/a\\\"b\\\\c]d=e|f\\ng\\rh\\ti\"}}",
		    SYSLOG_FMT_CEF, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	/* header: \ and | escaped, newline gone, = as is */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "|a\\|b\\\\c|x\\|y\\\\z w=v|5|"));
	/* extension: \ and = escaped, newline and CR as \n \r, | and ] as is */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " filePath=/tmp/a\"b\\\\c]d\\=e|f\\ng\\rh i "));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " msg=x|y\\\\z\\nw\\=v"));
	/* the MSGID takes the rule as printable ASCII */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " 777 a|b\\c - CEF:0|"));
	assert_clean(&b);
	buf_free(&b);
}

static void test_utf8_and_bom(void)
{
	struct buf b;
	int rc;

	buf_init(&b);
	/* non-ASCII summary: BOM; values kept as UTF-8 */
	rc = render("{\"rule\":\"r\",\"summary\":\"\xc3\x86"
		    "blegr\xc3\xb8"
		    "d\","
		    "\"file\":{\"path\":\"/home/s\xc3\xb8ren/\xe2\x82\xac.csv\"}}",
		    SYSLOG_FMT_RFC5424, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "] \xef\xbb\xbf\xc3\x86"
					      "blegr\xc3\xb8"
					      "d"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " file=\"/home/s\xc3\xb8ren/\xe2\x82\xac.csv\""));
	/* ASCII summary: no BOM (MSG-ANY) */
	rc = render("{\"rule\":\"r\",\"summary\":\"plain\"}", SYSLOG_FMT_RFC5424, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "] plain"));
	/* CEF never gets a BOM: parsers match CEF:0| at the start of MSG */
	rc = render("{\"rule\":\"r\",\"summary\":\"\xc3\x86"
		    "ble\"}",
		    SYSLOG_FMT_CEF, 0, &b);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NULL(strstr(b.data, "\xef\xbb\xbf"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "|r|\xc3\x86"
					      "ble|"));
	buf_free(&b);
}

/* Bytes that are not UTF-8 (paths may hold any) become U+FFFD, in both formats. */
static void test_invalid_bytes(void)
{
	struct syslog_ctx c = ctx(SYSLOG_FMT_RFC5424, 0);
	struct buf b;
	struct jval v;
	char *path, *argv;

	buf_init(&b);
	parse("{\"rule\":\"r\",\"file\":{\"path\":\"/tmp/XY.csv\"},"
	      "\"process_chain\":[{\"pid\":1,\"argv\":\"cp QRS\",\"comm\":\"cp\"}]}",
	      &v);
	path = (char *)jobj_str(jobj_get(&v, "file"), "path");
	argv = (char *)jobj_str(&jobj_get(&v, "process_chain")->items[0], "argv");
	path[5] = (char)0xff; /* never valid */
	path[6] = (char)0xc3; /* a lead byte without its continuation */
	argv[3] = (char)0xe2; /* a truncated 3-byte sequence at the end */
	argv[4] = (char)0x82;
	argv[5] = (char)0xed; /* the start of a surrogate */
	CU_ASSERT_EQUAL(syslog_fmt_alert(&b, &c, &v), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " file=\"/tmp/\xef\xbf\xbd\xef\xbf\xbd.csv\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " argv=\"cp \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	assert_clean(&b);
	c.format = SYSLOG_FMT_CEF;
	CU_ASSERT_EQUAL(syslog_fmt_alert(&b, &c, &v), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " fname=\xef\xbf\xbd\xef\xbf\xbd.csv "));
	assert_clean(&b);
	jval_free(&v);
	buf_free(&b);
}

static void test_pri(void)
{
	static const struct {
		const char *sev;
		unsigned int facility;
		const char *prefix;
		unsigned int cef;
	} cases[] = {
		{ "critical", 20, "<162>1 ", 10 },
		{ "high", 20, "<163>1 ", 8 },
		{ "medium", 20, "<164>1 ", 5 },
		{ "low", 20, "<165>1 ", 3 },
		{ "none", 20, "<166>1 ", 0 },
		{ "bogus", 20, "<164>1 ", 5 },	  /* unknown: loud rather than lost */
		{ "critical", 10, "<82>1 ", 10 }, /* authpriv */
		{ "low", 0, "<5>1 ", 3 },
		{ "high", 23, "<187>1 ", 8 },
		{ "high", 99, "<163>1 ", 8 }, /* out of range: the default */
	};
	struct buf b;
	struct syslog_ctx c;
	char json[128];
	struct jval v;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"severity\":\"%s\"}", cases[i].sev);
		parse(json, &v);
		c = ctx(SYSLOG_FMT_RFC5424, 0);
		c.facility = cases[i].facility;
		CU_ASSERT_EQUAL(syslog_fmt_alert(&b, &c, &v), 0);
		CU_ASSERT(!strncmp(b.data, cases[i].prefix, strlen(cases[i].prefix)));
		CU_ASSERT_EQUAL(syslog_cef_severity(cases[i].sev), cases[i].cef);
		jval_free(&v);
	}
	buf_free(&b);
}

static void test_msgid(void)
{
	static const struct {
		const char *rule;
		const char *msgid;
	} cases[] = {
		{ "bulk_export", " bulk_export " },
		{ "bulk export", " bulk_export " },
		{ "r\\u00e6kke", " r_kke " }, /* one '_' per character, not byte */
		{ "a\\tb", " a_b " },
		{ "0123456789abcdef0123456789ABCDEFxyz", " 0123456789abcdef0123456789ABCDEF " },
		{ "", " - " },
		{ "\\u00e6", " _ " },
	};
	struct buf b;
	char json[128], want[64];
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"rule\":\"%s\"}", cases[i].rule);
		CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_RFC5424, 0, &b), 0);
		snprintf(want, sizeof(want), " 777%s", cases[i].msgid);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.data, want));
	}
	buf_free(&b);
}

static void test_hostname(void)
{
	struct buf b;
	char json[600], host[300];

	buf_init(&b);
	memset(host, 'h', 299);
	host[299] = '\0';
	snprintf(json, sizeof(json), "{\"host\":\"%s\"}", host);
	CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_RFC5424, 0, &b), 0);
	/* cut to 255 */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "Z hhhh"));
	CU_ASSERT_EQUAL(strchr(strchr(b.data, 'Z') + 2, ' ') - (strchr(b.data, 'Z') + 2), 255);
	CU_ASSERT_EQUAL(render("{\"host\":\"my host\\u00e6\"}", SYSLOG_FMT_RFC5424, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "Z my_host_ cprwatch "));
	buf_free(&b);
}

static void test_timestamps(void)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: invalid, the current time is used */
		const char *rt;
	} cases[] = {
		{ "2025-03-04T05:06:07.123456Z", "2025-03-04T05:06:07.123456Z", "1741064767123" },
		{ "2025-03-04t05:06:07.123456789z", "2025-03-04T05:06:07.123456Z",
		  "1741064767123" },
		{ "2025-03-04T05:06:07.123+02:00", "2025-03-04T05:06:07.123+02:00",
		  "1741057567123" },
		{ "2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z", "1735787045000" },
		{ "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z", NULL },
		{ "2025-02-29T00:00:00Z", NULL, NULL },
		{ "2025-01-02T03:04:60Z", NULL, NULL },
		{ "2025-01-02T03:04:05.Z", NULL, NULL },
		{ "2025-01-02T03:04:05", NULL, NULL },
		{ "2025-01-02T03:04:05Zjunk", NULL, NULL },
		{ "yesterday", NULL, NULL },
	};
	struct buf b;
	char json[160], want[80];
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"time\":\"%s\",\"host\":\"h\"}", cases[i].in);
		CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_RFC5424, 0, &b), 0);
		if (cases[i].out) {
			snprintf(want, sizeof(want), "<164>1 %s h ", cases[i].out);
			CU_ASSERT_PTR_NOT_NULL(strstr(b.data, want));
		} else {
			/* now, with microseconds */
			CU_ASSERT_EQUAL(b.data[7 + 26], 'Z');
			CU_ASSERT_EQUAL(b.data[7 + 19], '.');
		}
		if (cases[i].rt) {
			CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_CEF, 0, &b), 0);
			snprintf(want, sizeof(want), "|rt=%s ", cases[i].rt);
			CU_ASSERT_PTR_NOT_NULL(strstr(b.data, want));
		}
	}
	buf_free(&b);
}

/* A UDP datagram: MSG cut at a character boundary, header and SD untouched. */
static void test_truncate_msg(void)
{
	struct buf b, full;
	char *json, *sd_end_full, *sd_end;
	size_t i, o, hdr;
	int rc;

	json = malloc(16384);
	CU_ASSERT_FATAL(json != NULL);
	o = sprintf(json, "{\"rule\":\"r\",\"time\":\"2025-01-02T03:04:05Z\","
			  "\"file\":{\"path\":\"/x\"},"
			  "\"summary\":\"");
	/* 2- and 3-byte characters */
	for (i = 0; i < 3000; i++)
		o += sprintf(json + o, i % 3 ? "\xc3\xb8" : "\xe2\x82\xac");
	strcpy(json + o, "\"}");
	buf_init(&b);
	buf_init(&full);
	CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_RFC5424, 0, &full), 0);
	CU_ASSERT(full.len > 2048);
	for (size_t max = 2048; max > 2000; max--) {
		rc = render(json, SYSLOG_FMT_RFC5424, max, &b);
		CU_ASSERT_EQUAL(rc, 1);
		CU_ASSERT(b.len <= max);
		CU_ASSERT(b.len > max - 3); /* as much as fits, less at most one character */
		assert_clean(&b);
		/* the header and SD are the untruncated ones plus the flag */
		sd_end_full = strstr(full.data, "\"] ");
		sd_end = strstr(b.data, " truncated=\"1\"] \xef\xbb\xbf");
		CU_ASSERT_FATAL(sd_end_full && sd_end);
		hdr = sd_end_full + 1 - full.data;
		CU_ASSERT_EQUAL((size_t)(sd_end - b.data), hdr);
		CU_ASSERT(!memcmp(b.data, full.data, hdr));
		/* and MSG is a prefix of the full MSG */
		CU_ASSERT(!memcmp(sd_end + strlen(" truncated=\"1\"] "), full.data + hdr + 2,
				  b.len - (sd_end - b.data) - strlen(" truncated=\"1\"] ")));
	}
	buf_free(&b);
	buf_free(&full);
	free(json);
}

/* Header and SD alone too big: values are capped, the SD stays well-formed. */
static void test_truncate_sd(void)
{
	struct buf b;
	char *json;
	size_t o, i;
	int rc;

	json = malloc(16384);
	CU_ASSERT_FATAL(json != NULL);
	o = sprintf(json, "{\"rule\":\"r\",\"summary\":\"s\",\"file\":{\"path\":\"/");
	for (i = 0; i < 3000; i++)
		json[o++] = i % 7 ? 'a' : ']';
	o += sprintf(json + o, "\"},\"origin_export\":{\"path\":\"/o");
	for (i = 0; i < 3000; i++)
		o += sprintf(json + o, "\xc3\xa6");
	strcpy(json + o, "\"}}");
	buf_init(&b);
	rc = render(json, SYSLOG_FMT_RFC5424, 1024, &b);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT(b.len <= 1024);
	assert_clean(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " truncated=\"1\"]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " file=\"/\\]aaaaaa\\]"));
	/* a capped value never ends inside an escape */
	CU_ASSERT_PTR_NULL(strstr(b.data, "\\\" origin="));
	/* CEF: the same, values capped and cut on pair/character boundaries */
	rc = render(json, SYSLOG_FMT_CEF, 1024, &b);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT(b.len <= 1024);
	assert_clean(&b);
	CU_ASSERT(!ends_mid_escape(b.data, b.len));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "|r|s|5|rt="));
	/* nothing fits: refused, not mangled */
	CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_RFC5424, 60, &b), -EMSGSIZE);
	CU_ASSERT_EQUAL(render(json, SYSLOG_FMT_CEF, 60, &b), -EMSGSIZE);
	buf_free(&b);
	free(json);
}

/* CEF cut inside the last pair leaves no half escape and no half character. */
static void test_truncate_cef(void)
{
	struct buf b;
	char *json;
	size_t o, i, max;
	int rc;

	json = malloc(16384);
	CU_ASSERT_FATAL(json != NULL);
	o = sprintf(json, "{\"rule\":\"r\",\"summary\":\"");
	for (i = 0; i < 1500; i++)
		o += sprintf(json + o, i % 2 ? "=\\\\" : "\xc3\xa6");
	strcpy(json + o, "\"}");
	buf_init(&b);
	for (max = 700; max < 760; max++) {
		rc = render(json, SYSLOG_FMT_CEF, max, &b);
		CU_ASSERT(rc == 1);
		CU_ASSERT(b.len <= max);
		assert_clean(&b);
		CU_ASSERT(!ends_mid_escape(b.data, b.len));
	}
	buf_free(&b);
	free(json);
}

/* The worst header (255-byte host) and many long values: 480 bytes still work. */
static void test_truncate_min(void)
{
	struct buf b;
	char *json, val[300];
	size_t o, i;
	int rc, f;

	json = malloc(65536);
	CU_ASSERT_FATAL(json != NULL);
	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	o = sprintf(json, "{\"time\":\"2025-01-02T03:04:05.123456+02:00\",\"host\":\"");
	for (i = 0; i < 255; i++)
		json[o++] = 'h';
	o += sprintf(json + o,
		     "\",\"rule\":\"0123456789abcdef0123456789abcdef\","
		     "\"summary\":\"%s\",\"counts\":{",
		     val);
	for (i = 0; i < 20; i++)
		o += sprintf(json + o, "%s\"count_with_a_long_name_%02zu\":\"%s\"", i ? "," : "", i,
			     val);
	strcpy(json + o, "}}");
	buf_init(&b);
	for (f = 0; f < 2; f++) {
		rc = render(json, f ? SYSLOG_FMT_CEF : SYSLOG_FMT_RFC5424, SYSLOG_MIN_MSG, &b);
		CU_ASSERT_EQUAL(rc, 1);
		CU_ASSERT(b.len <= SYSLOG_MIN_MSG);
		assert_clean(&b);
		CU_ASSERT_PTR_NOT_NULL(strstr(b.data, f ? "|5|rt=" : " truncated=\"1\"]"));
	}
	buf_free(&b);
	free(json);
}

static void test_heartbeat(void)
{
	struct heartbeat hb = {
		.real_ns = 1735787045123456789ull,
		.host = "ws01",
		.version = "1.2.3",
		.uptime_s = 3600,
		.events = 100000,
		.kernel_drops = 2,
		.alerts = 7,
		.spool_depth = 5,
		.spool_dropped = 1,
		.scans_dropped = 4,
		.sinks_up = 1,
		.sinks = 2,
	};
	struct syslog_ctx c = ctx(SYSLOG_FMT_RFC5424, 0);
	struct buf b;

	buf_init(&b);
	CU_ASSERT_EQUAL(syslog_fmt_heartbeat(&b, &c, &hb), 0);
	CU_ASSERT_STRING_EQUAL(
		b.data, "<166>1 2025-01-02T03:04:05.123456Z ws01 cprwatch 777 heartbeat "
			"[cprwatch@32473 version=\"1.2.3\" uptime=\"3600\" events=\"100000\" "
			"kernel_drops=\"2\" alerts=\"7\" spool_depth=\"5\" spool_dropped=\"1\" "
			"scans_dropped=\"4\" sinks_up=\"1\" sinks=\"2\"] cprwatch heartbeat");
	c.format = SYSLOG_FMT_CEF;
	CU_ASSERT_EQUAL(syslog_fmt_heartbeat(&b, &c, &hb), 0);
	CU_ASSERT_STRING_EQUAL(
		b.data,
		"<166>1 2025-01-02T03:04:05.123456Z ws01 cprwatch 777 heartbeat "
		"- CEF:0|cprwatch|cprwatch|1.2.3|heartbeat|cprwatch heartbeat|0|"
		"rt=1735787045123 dvchost=ws01 cs1Label=agentVersion cs1=1.2.3 "
		"cn1Label=uptimeSeconds cn1=3600 cn2Label=events cn2=100000 "
		"cn3Label=kernelDrops cn3=2 cs2Label=alerts cs2=7 cs3Label=spoolDepth cs3=5 "
		"cs4Label=spoolDropped cs4=1 cs5Label=sinksUp cs5=1 cs6Label=sinks cs6=2 "
		"flexNumber1Label=scansDropped flexNumber1=4");
	/* a C string from the caller may hold anything */
	hb.version = "1.0\xff|=\n";
	hb.host = NULL;
	CU_ASSERT_EQUAL(syslog_fmt_heartbeat(&b, &c, &hb), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " fallback cprwatch "));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "|1.0\xef\xbf\xbd\\|= |heartbeat|"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " cs1=1.0\xef\xbf\xbd|\\=\\n "));
	assert_clean(&b);
	c.format = SYSLOG_FMT_RFC5424;
	CU_ASSERT_EQUAL(syslog_fmt_heartbeat(&b, &c, &hb), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " version=\"1.0\xef\xbf\xbd|=\\n\" "));
	assert_clean(&b);
	buf_free(&b);
}

static void test_peer(void)
{
	struct buf b;

	buf_init(&b);
	CU_ASSERT_EQUAL(render("{\"peer\":\"10.1.2.3:443\"}", SYSLOG_FMT_CEF, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " dst=10.1.2.3 dpt=443"));
	CU_ASSERT_EQUAL(render("{\"peer\":\"[2001:db8::1]:8443\"}", SYSLOG_FMT_CEF, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " dst=2001:db8::1 dpt=8443"));
	CU_ASSERT_EQUAL(render("{\"peer\":\"upload.example:80\"}", SYSLOG_FMT_CEF, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " dhost=upload.example dpt=80"));
	CU_ASSERT_EQUAL(render("{\"peer\":\"2001:db8::2\"}", SYSLOG_FMT_CEF, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " dst=2001:db8::2"));
	CU_ASSERT_PTR_NULL(strstr(b.data, " dpt="));
	CU_ASSERT_EQUAL(render("{\"peer\":\"10.1.2.3:443\"}", SYSLOG_FMT_RFC5424, 0, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " peer=\"10.1.2.3:443\""));
	buf_free(&b);
}

/* counts keys become PARAM-NAMEs: made valid, never dropped silently when sane */
static void test_param_names(void)
{
	struct buf b;

	buf_init(&b);
	CU_ASSERT_EQUAL(render("{\"counts\":{\"a=b\":1,\"c]d\":2,\"e f\":3,\"g\\\"h\":4,"
			       "\"0123456789012345678901234567890123456789\":5,\"\":6,"
			       "\"obj\":{},\"s\":\"x\"}}",
			       SYSLOG_FMT_RFC5424, 0, &b),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.data, " a_b=\"1\" c_d=\"2\" e_f=\"3\" g_h=\"4\" "
					      "01234567890123456789012345678901=\"5\" s=\"x\"]"));
	buf_free(&b);
}

static void test_parse_names(void)
{
	unsigned int f = 99;
	enum syslog_format fmt;

	CU_ASSERT_EQUAL(syslog_parse_facility("local4", &f), 0);
	CU_ASSERT_EQUAL(f, 20);
	CU_ASSERT_EQUAL(syslog_parse_facility("AUTHPRIV", &f), 0);
	CU_ASSERT_EQUAL(f, 10);
	CU_ASSERT_EQUAL(syslog_parse_facility("23", &f), 0);
	CU_ASSERT_EQUAL(f, 23);
	CU_ASSERT_EQUAL(syslog_parse_facility("24", &f), -EINVAL);
	CU_ASSERT_EQUAL(syslog_parse_facility("local8", &f), -EINVAL);
	CU_ASSERT_EQUAL(syslog_parse_facility("", &f), -EINVAL);
	CU_ASSERT_EQUAL(syslog_parse_facility("-1", &f), -EINVAL);
	CU_ASSERT_EQUAL(syslog_parse_format("cef", &fmt), 0);
	CU_ASSERT_EQUAL(fmt, SYSLOG_FMT_CEF);
	CU_ASSERT_EQUAL(syslog_parse_format("RFC5424", &fmt), 0);
	CU_ASSERT_EQUAL(fmt, SYSLOG_FMT_RFC5424);
	CU_ASSERT_EQUAL(syslog_parse_format("leef", &fmt), -EINVAL);
}

static CU_TestInfo tests[] = {
	{ "sample alert, RFC 5424", test_sample_5424 },
	{ "sample alert, CEF", test_sample_cef },
	{ "minimal alert, NILVALUEs", test_minimal_alert },
	{ "SD escaping", test_escape_sd },
	{ "CEF escaping", test_escape_cef },
	{ "UTF-8 and BOM", test_utf8_and_bom },
	{ "invalid bytes", test_invalid_bytes },
	{ "PRI and severities", test_pri },
	{ "MSGID sanitising", test_msgid },
	{ "HOSTNAME", test_hostname },
	{ "timestamps", test_timestamps },
	{ "datagram: MSG cut at a character", test_truncate_msg },
	{ "datagram: SD values capped", test_truncate_sd },
	{ "datagram: CEF cut", test_truncate_cef },
	{ "datagram: 480 bytes always met", test_truncate_min },
	{ "heartbeat", test_heartbeat },
	{ "peer in CEF", test_peer },
	{ "PARAM-NAME from counts keys", test_param_names },
	{ "facility and format names", test_parse_names },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(syslog_fmt, tests)
