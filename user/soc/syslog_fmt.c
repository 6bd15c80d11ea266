// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * An alert or heartbeat is first reduced to "parts" (header values, an SD
 * parameter list, a CEF extension list, all unescaped text), then rendered.
 * Rendering is where escaping and size limits live, so the alert and the
 * heartbeat share them.
 *
 * Size: a line that does not fit max_len is rendered again, shorter (see
 * render()): MSG cut at a character boundary, values capped at 1024 down to
 * 32 bytes.  An escape sequence or a UTF-8 sequence is never split.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "syslog_fmt.h"
#include "lib/time.h"
#include "lib/utf8.h"
#include "lib/buf.h"

#ifndef CPRW_VERSION
#define CPRW_VERSION "0.0.0" /* the fuzz build does not pass -D flags */
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FIELDS 48
#define MAX_COUNTS 16
#define HOST_MAX 255
#define MSGID_MAX 32
#define SD_NAME_MAX 32
#define NUM_LEN 24

static const char bom[] = "\xef\xbb\xbf";

static void sb_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void sb_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

static void sb_truncate(struct buf *b, size_t len)
{
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

/* ---- characters ------------------------------------------------------------ */

/* C0, DEL, C1 and the Unicode line/paragraph separators: all may break a line. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029;
}

enum text_mode {
	TXT_ASCII,   /* header fields: PRINTUSASCII only, anything else -> '_' */
	TXT_SD,	     /* PARAM-VALUE: \" \\ \] and \n \r \t \uXXXX for controls */
	TXT_MSG,     /* free text: controls -> space */
	TXT_CEF_HDR, /* \\ \| ; controls -> space */
	TXT_CEF_EXT, /* \\ \= \n \r ; other controls -> space */
};

static size_t esc2(char *out, char c)
{
	out[0] = '\\';
	out[1] = c;
	return 2;
}

static size_t render_control(enum text_mode mode, uint32_t cp, char *out)
{
	if (mode == TXT_SD || mode == TXT_CEF_EXT) {
		if (cp == '\n')
			return esc2(out, 'n');
		if (cp == '\r')
			return esc2(out, 'r');
	}
	if (mode == TXT_SD) {
		if (cp == '\t')
			return esc2(out, 't');
		return snprintf(out, 8, "\\u%04x", (unsigned int)cp);
	}
	out[0] = ' ';
	return 1;
}

static bool needs_backslash(enum text_mode mode, uint32_t cp)
{
	switch (mode) {
	case TXT_SD:
		return cp == '"' || cp == '\\' || cp == ']';
	case TXT_CEF_HDR:
		return cp == '\\' || cp == '|';
	case TXT_CEF_EXT:
		return cp == '\\' || cp == '=';
	default:
		return false;
	}
}

/*
 * What the character at s[0..n) becomes in @mode, into out (at most 8 bytes).
 * *used is how many input bytes it consumed.  Invalid bytes become U+FFFD.
 */
static size_t render_char(enum text_mode mode, const unsigned char *s, size_t n, size_t *used,
			  char *out)
{
	uint32_t cp = 0xfffd;
	size_t len = utf8_next(s, n, &cp);

	*used = len ? len : 1;
	if (mode == TXT_ASCII) {
		out[0] = cp > 0x20 && cp < 0x7f ? (char)cp : '_';
		return 1;
	}
	if (is_control(cp))
		return render_control(mode, cp, out);
	if (needs_backslash(mode, cp))
		return esc2(out, (char)cp);
	if (!len) {
		memcpy(out, "\xef\xbf\xbd", 3);
		return 3;
	}
	memcpy(out, s, len);
	return len;
}

/* Append s[0..n) rendered in @mode, at most @cap output bytes.  True when cut short. */
static bool put_text(struct buf *b, const char *s, size_t n, enum text_mode mode, size_t cap)
{
	size_t i = 0, out = 0, used, k;
	char tmp[8];

	while (i < n) {
		k = render_char(mode, (const unsigned char *)s + i, n - i, &used, tmp);
		if (out + k > cap)
			return true;
		buf_put(b, tmp, k);
		out += k;
		i += used;
	}
	return false;
}

static bool has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* ---- time --------------------------------------------------------------------- */

struct stamp {
	char text[40];	  /* RFC 5424 TIMESTAMP */
	char rt[NUM_LEN]; /* CEF rt: ms since the epoch */
};

/*
 * An RFC 3339 date-time as the alert carries it, normalised for RFC 5424:
 * upper-case T and Z, at most 6 fractional digits (the rest are dropped).
 */
static bool parse_stamp(const char *s, struct stamp *st)
{
	struct time_stamp ts;
	int nfrac;

	/* RFC 5424 6.2.3: a 'T' between date and time, no leap second 60 */
	if (time_parse_rfc3339(s, &ts) || ts.sep != 'T' || ts.leap_second)
		return false;
	nfrac = ts.frac_digits < 6 ? ts.frac_digits : 6;
	snprintf(st->text, sizeof(st->text), "%.10sT%.8s%s%.*s%s", s, s + 11, nfrac ? "." : "",
		 nfrac, nfrac ? ts.frac : "", ts.zulu ? "Z" : s + strlen(s) - 6);
	snprintf(st->rt, sizeof(st->rt), "%llu", (unsigned long long)(ts.ns / 1000000ULL));
	return true;
}

static void stamp_from_ns(uint64_t ns, struct stamp *st)
{
	if (!ns)
		ns = time_real_ns();
	time_format(ns, st->text, sizeof(st->text));
	snprintf(st->rt, sizeof(st->rt), "%llu", (unsigned long long)(ns / 1000000ULL));
}

/* ---- severities and names ------------------------------------------------- */

static const struct {
	const char *name;
	unsigned int syslog;
	unsigned int cef;
} severities[] = {
	{ "critical", 2, 10 }, /* crit */
	{ "high", 3, 8 },      /* err */
	{ "medium", 4, 5 },    /* warning */
	{ "low", 5, 3 },       /* notice */
	{ "none", 6, 0 },      /* info */
};

/* An unknown severity is a bug upstream; report it as a warning rather than bury it. */
unsigned int syslog_severity(const char *sev)
{
	size_t i;

	for (i = 0; sev && i < ARRAY_SIZE(severities); i++)
		if (!strcasecmp(sev, severities[i].name))
			return severities[i].syslog;
	return 4;
}

unsigned int syslog_cef_severity(const char *sev)
{
	size_t i;

	for (i = 0; sev && i < ARRAY_SIZE(severities); i++)
		if (!strcasecmp(sev, severities[i].name))
			return severities[i].cef;
	return 5;
}

static const char *const facilities[24] = {
	"kern",	  "user",   "mail",	"daemon", "auth",   "syslog", "lpr",	"news",
	"uucp",	  "cron",   "authpriv", "ftp",	  "ntp",    "audit",  "alert",	"clock",
	"local0", "local1", "local2",	"local3", "local4", "local5", "local6", "local7",
};

int syslog_parse_facility(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(facilities); i++) {
		if (!strcasecmp(s, facilities[i])) {
			*out = i;
			return 0;
		}
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 23)
		return -EINVAL;
	*out = v;
	return 0;
}

int syslog_parse_format(const char *s, enum syslog_format *out)
{
	if (s && !strcasecmp(s, "rfc5424")) {
		*out = SYSLOG_FMT_RFC5424;
		return 0;
	}
	if (s && !strcasecmp(s, "cef")) {
		*out = SYSLOG_FMT_CEF;
		return 0;
	}
	return -EINVAL;
}

/* ---- parts: what a line says, before escaping -------------------------------- */

struct field {
	const char *name;  /* SD PARAM-NAME or CEF key */
	const char *label; /* CEF csN/cnN: the label (key "<name>Label"), else NULL */
	const char *value;
};

struct parts {
	unsigned int sev;
	unsigned int cef_sev;
	const char *host;
	const char *msgid;
	const char *cef_sig;
	const char *cef_name;
	const char *cef_version;
	const char *msg;
	struct stamp ts;
	struct field sd[MAX_FIELDS];
	size_t nr_sd;
	struct field cef[MAX_FIELDS];
	size_t nr_cef;
	/* storage the fields point into */
	char nums[16][NUM_LEN];
	size_t nr_nums;
	char count_names[MAX_COUNTS][SD_NAME_MAX + 1];
	struct buf chain;
	struct buf samples;
	struct buf scratch;
	char *peer_addr;
	const char *peer_port;
};

static void parts_free(struct parts *p)
{
	buf_free(&p->chain);
	buf_free(&p->samples);
	buf_free(&p->scratch);
	free(p->peer_addr);
}

static void add_sd(struct parts *p, const char *name, const char *value)
{
	if (value && *value && p->nr_sd < MAX_FIELDS)
		p->sd[p->nr_sd++] = (struct field){ .name = name, .value = value };
}

static void add_cef(struct parts *p, const char *key, const char *label, const char *value)
{
	if (value && *value && p->nr_cef < MAX_FIELDS)
		p->cef[p->nr_cef++] = (struct field){ .name = key, .label = label, .value = value };
}

static const char *num_text(struct parts *p, uint64_t v)
{
	char *s;

	if (p->nr_nums == ARRAY_SIZE(p->nums))
		return NULL;
	s = p->nums[p->nr_nums++];
	snprintf(s, NUM_LEN, "%llu", (unsigned long long)v);
	return s;
}

/* Text of a scalar JSON value (numbers keep their source digits), else NULL. */
static const char *scalar(const struct jval *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case JSTR:
	case JNUM:
		return v->str;
	case JBOOL:
		return v->b ? "true" : "false";
	default:
		return NULL;
	}
}

/* CEF cnN fields are numbers: only a JSON integer qualifies. */
static const char *integer(const struct jval *v)
{
	return v && v->type == JNUM && v->is_int ? v->str : NULL;
}

/* "cat(1234) < bash(1200) < systemd(1)": the process and its ancestors. */
static void build_chain(struct buf *b, const struct jval *chain)
{
	const char *name, *pid;
	size_t i;

	for (i = 0; chain && chain->type == JARR && i < chain->len; i++) {
		const struct jval *e = &chain->items[i];

		name = jobj_str(e, "comm");
		if (!name || !*name)
			name = jobj_str(e, "exe");
		pid = scalar(jobj_get(e, "pid"));
		if (i)
			sb_puts(b, " < ");
		sb_puts(b, name ? name : "?");
		sb_putc(b, '(');
		sb_puts(b, pid ? pid : "?");
		sb_putc(b, ')');
	}
}

static void build_samples(struct buf *b, const struct jval *arr)
{
	size_t i;

	for (i = 0; arr && arr->type == JARR && i < arr->len; i++) {
		if (arr->items[i].type != JSTR)
			continue;
		if (b->len)
			sb_putc(b, ',');
		sb_puts(b, arr->items[i].str);
	}
}

/* "addr:port", "[v6]:port": split into address and port (port may be absent). */
static void split_peer(struct parts *p, const char *peer)
{
	const char *colon = strrchr(peer, ':');
	size_t n = strlen(peer);

	if (colon && strspn(colon + 1, "0123456789") == strlen(colon + 1) && colon[1] &&
	    (peer[0] == '[' || !memchr(peer, ':', colon - peer))) {
		p->peer_port = colon + 1;
		n = colon - peer;
	}
	if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
		peer++;
		n -= 2;
	}
	p->peer_addr = strndup(peer, n);
}

static bool is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A JSON key as a valid PARAM-NAME: 1-32 of PRINTUSASCII without = ] " (space). */
static const char *sd_name(char out[SD_NAME_MAX + 1], const char *key)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	put_text(&b, key, strlen(key), TXT_ASCII, SD_NAME_MAX);
	if (b.oom || !b.len) {
		buf_free(&b);
		return NULL;
	}
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '=' || b.data[i] == ']' || b.data[i] == '"')
			b.data[i] = '_';
	memcpy(out, b.data, b.len + 1);
	buf_free(&b);
	return out;
}

static void add_counts_sd(struct parts *p, const struct jval *counts)
{
	size_t i, n = 0;

	for (i = 0; counts && counts->type == JOBJ && i < counts->len && n < MAX_COUNTS; i++) {
		const char *name = sd_name(p->count_names[n], counts->keys[i]);

		if (name && scalar(&counts->items[i])) {
			add_sd(p, name, scalar(&counts->items[i]));
			n++;
		}
	}
}

struct alert_view {
	const char *id, *rule, *severity, *summary, *user, *peer, *scan_problem;
	const char *uid, *loginuid, *loginuid_int, *pid, *comm, *exe, *argv;
	const char *file, *file_dev, *file_ino, *origin, *origin_dev, *origin_ino;
	const struct jval *counts;
};

static void alert_view(struct alert_view *v, const struct jval *a)
{
	const struct jval *chain = jobj_get(a, "process_chain");
	const struct jval *self = chain && chain->type == JARR && chain->len ? chain->items : NULL;
	const struct jval *file = jobj_get(a, "file"), *origin = jobj_get(a, "origin_export");

	v->id = jobj_str(a, "alert_id");
	v->rule = jobj_str(a, "rule");
	v->severity = jobj_str(a, "severity");
	v->summary = jobj_str(a, "summary");
	v->user = jobj_str(a, "user");
	v->peer = jobj_str(a, "peer");
	v->scan_problem = jobj_str(a, "scan_problem");
	v->uid = scalar(jobj_get(a, "uid"));
	v->loginuid = scalar(jobj_get(a, "loginuid"));
	v->loginuid_int = integer(jobj_get(a, "loginuid"));
	v->pid = scalar(jobj_get(a, "pid"));
	v->comm = jobj_str(self, "comm");
	v->exe = jobj_str(self, "exe");
	v->argv = jobj_str(self, "argv");
	v->file = jobj_str(file, "path");
	v->file_dev = jobj_str(file, "dev");
	v->file_ino = scalar(jobj_get(file, "ino"));
	v->origin = jobj_str(origin, "path");
	v->origin_dev = jobj_str(origin, "dev");
	v->origin_ino = scalar(jobj_get(origin, "ino"));
	v->counts = jobj_get(a, "counts");
}

static void alert_sd(struct parts *p, const struct alert_view *v)
{
	add_sd(p, "id", v->id);
	add_sd(p, "rule", v->rule);
	add_sd(p, "severity", v->severity);
	add_sd(p, "user", v->user);
	add_sd(p, "uid", v->uid);
	add_sd(p, "loginuid", v->loginuid);
	add_sd(p, "pid", v->pid);
	add_sd(p, "comm", v->comm);
	add_sd(p, "exe", v->exe);
	add_sd(p, "argv", v->argv);
	add_sd(p, "chain", p->chain.data);
	add_sd(p, "file", v->file);
	add_sd(p, "file_dev", v->file_dev);
	add_sd(p, "file_ino", v->file_ino);
	add_sd(p, "origin", v->origin);
	add_sd(p, "origin_dev", v->origin_dev);
	add_sd(p, "origin_ino", v->origin_ino);
	add_sd(p, "peer", v->peer);
	add_sd(p, "scan_problem", v->scan_problem);
	add_counts_sd(p, v->counts);
	add_sd(p, "samples", p->samples.data);
}

/* Short, essential keys first: when a line must be cut, the tail goes. */
static void alert_cef(struct parts *p, const struct alert_view *v)
{
	const char *fname = v->file ? strrchr(v->file, '/') : NULL;

	add_cef(p, "rt", NULL, p->ts.rt);
	add_cef(p, "dvchost", NULL, p->host);
	add_cef(p, "externalId", NULL, v->id);
	add_cef(p, "suser", NULL, v->user);
	add_cef(p, "suid", NULL, v->uid);
	add_cef(p, "spid", NULL, v->pid);
	add_cef(p, "cs1", "rule", v->rule);
	add_cef(p, "cn1", "cprDistinct", integer(jobj_get(v->counts, "cpr_distinct")));
	add_cef(p, "cn2", "loginuid", v->loginuid_int);
	add_cef(p, "cn3", "bytes", integer(jobj_get(v->counts, "bytes")));
	add_cef(p, "cnt", NULL, integer(jobj_get(v->counts, "events")));
	if (p->peer_addr) {
		add_cef(p, is_ip(p->peer_addr) ? "dst" : "dhost", NULL, p->peer_addr);
		add_cef(p, "dpt", NULL, p->peer_port);
	}
	add_cef(p, "fname", NULL, fname ? fname + 1 : v->file);
	add_cef(p, "filePath", NULL, v->file);
	add_cef(p, "cs2", "originExport", v->origin);
	add_cef(p, "cs3", "scanProblem", v->scan_problem);
	add_cef(p, "cs4", "maskedSamples", p->samples.data);
	add_cef(p, "sproc", NULL, v->exe);
	add_cef(p, "cs6", "argv", v->argv);
	add_cef(p, "cs5", "processChain", p->chain.data);
	add_cef(p, "msg", NULL, v->summary);
}

static int alert_parts(struct parts *p, const struct syslog_ctx *ctx, const struct jval *a)
{
	struct alert_view v;

	alert_view(&v, a);
	if (!parse_stamp(jobj_str(a, "time"), &p->ts))
		stamp_from_ns(0, &p->ts); /* a receiver would use arrival time anyway */
	p->host = jobj_str(a, "host");
	if (!p->host || !*p->host)
		p->host = ctx->hostname;
	p->sev = syslog_severity(v.severity);
	p->cef_sev = syslog_cef_severity(v.severity);
	p->msgid = v.rule;
	p->cef_sig = v.rule ? v.rule : "unknown";
	p->cef_name = v.summary ? v.summary : p->cef_sig;
	p->msg = v.summary;
	build_chain(&p->chain, jobj_get(a, "process_chain"));
	build_samples(&p->samples, jobj_get(a, "masked_samples"));
	if (v.peer && *v.peer)
		split_peer(p, v.peer);
	if (p->chain.oom || p->samples.oom || (v.peer && *v.peer && !p->peer_addr))
		return -ENOMEM;
	alert_sd(p, &v);
	alert_cef(p, &v);
	return 0;
}

static void heartbeat_fields(struct parts *p, const char *version, const struct heartbeat *hb)
{
	const char *uptime = num_text(p, hb->uptime_s), *events = num_text(p, hb->events);
	const char *kdrops = num_text(p, hb->kernel_drops), *alerts = num_text(p, hb->alerts);
	const char *depth = num_text(p, hb->spool_depth), *dropped = num_text(p, hb->spool_dropped);
	const char *up = num_text(p, hb->sinks_up), *sinks = num_text(p, hb->sinks);
	const char *scans = num_text(p, hb->scans_dropped);

	add_sd(p, "version", version);
	if (hb->build_id)
		add_sd(p, "build", hb->build_id);
	if (hb->config_sha256)
		add_sd(p, "config_sha256", hb->config_sha256);
	add_sd(p, "uptime", uptime);
	add_sd(p, "events", events);
	add_sd(p, "kernel_drops", kdrops);
	add_sd(p, "alerts", alerts);
	add_sd(p, "spool_depth", depth);
	add_sd(p, "spool_dropped", dropped);
	add_sd(p, "scans_dropped", scans);
	add_sd(p, "sinks_up", up);
	add_sd(p, "sinks", sinks);
	add_cef(p, "rt", NULL, p->ts.rt);
	add_cef(p, "dvchost", NULL, p->host);
	add_cef(p, "cs1", "agentVersion", version);
	add_cef(p, "cn1", "uptimeSeconds", uptime);
	add_cef(p, "cn2", "events", events);
	add_cef(p, "cn3", "kernelDrops", kdrops);
	add_cef(p, "cs2", "alerts", alerts);
	add_cef(p, "cs3", "spoolDepth", depth);
	add_cef(p, "cs4", "spoolDropped", dropped);
	add_cef(p, "cs5", "sinksUp", up);
	add_cef(p, "cs6", "sinks", sinks);
	add_cef(p, "flexNumber1", "scansDropped", scans);
	if (hb->build_id)
		add_cef(p, "flexString1", "buildId", hb->build_id);
	if (hb->config_sha256)
		add_cef(p, "flexString2", "configSha256", hb->config_sha256);
}

static int heartbeat_parts(struct parts *p, const struct syslog_ctx *ctx,
			   const struct heartbeat *hb)
{
	const char *version = hb->version ? hb->version : CPRW_VERSION;

	stamp_from_ns(hb->real_ns, &p->ts);
	p->host = hb->host && *hb->host ? hb->host : ctx->hostname;
	p->sev = 6; /* info */
	p->cef_sev = 0;
	p->msgid = "heartbeat";
	p->cef_sig = "heartbeat";
	p->cef_name = "cprwatch heartbeat";
	p->msg = "cprwatch heartbeat";
	p->cef_version = version;
	heartbeat_fields(p, version, hb);
	return 0;
}

/* ---- rendering -------------------------------------------------------------------- */

static void put_ascii_field(struct buf *b, const char *s, size_t max)
{
	size_t mark = b->len;

	if (s)
		put_text(b, s, strlen(s), TXT_ASCII, max);
	if (b->len == mark)
		sb_putc(b, '-'); /* NILVALUE */
}

/* "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID " */
static void put_header(struct buf *b, const struct syslog_ctx *ctx, const struct parts *p)
{
	char tmp[48];
	unsigned int fac = ctx->facility <= 23 ? ctx->facility : SYSLOG_FAC_DEFAULT;

	snprintf(tmp, sizeof(tmp), "<%u>1 ", fac * 8 + p->sev);
	sb_puts(b, tmp);
	sb_puts(b, p->ts.text);
	sb_putc(b, ' ');
	put_ascii_field(b, p->host, HOST_MAX);
	sb_puts(b, " " SYSLOG_APP_NAME " ");
	if (ctx->procid > 0) {
		snprintf(tmp, sizeof(tmp), "%d", (int)ctx->procid);
		sb_puts(b, tmp);
	} else {
		sb_putc(b, '-');
	}
	sb_putc(b, ' ');
	put_ascii_field(b, p->msgid, MSGID_MAX);
	sb_putc(b, ' ');
}

/*
 * The SD-ELEMENT, values capped at @cap.  With @fit (the last resort), a
 * param that would not leave room for the rest of the line is left out.
 */
static void put_sd(struct buf *b, const struct syslog_ctx *ctx, const struct parts *p, size_t cap,
		   bool flag, bool fit)
{
	static const char flag_text[] = " truncated=\"1\"";
	size_t reserve = (flag ? sizeof(flag_text) - 1 : 0) + 1, i, mark;

	if (!p->nr_sd) {
		sb_putc(b, '-');
		return;
	}
	sb_puts(b, "[" SYSLOG_SD_ID);
	for (i = 0; i < p->nr_sd; i++) {
		mark = b->len;
		sb_putc(b, ' ');
		sb_puts(b, p->sd[i].name);
		sb_puts(b, "=\"");
		put_text(b, p->sd[i].value, strlen(p->sd[i].value), TXT_SD, cap);
		sb_putc(b, '"');
		if (fit && ctx->max_len && b->len + reserve > ctx->max_len)
			sb_truncate(b, mark);
	}
	if (flag)
		sb_puts(b, flag_text);
	sb_putc(b, ']');
}

/* " [BOM]MSG", cut to what is left of max_len when @cut; 0 or -EMSGSIZE. */
static int put_msg(struct buf *b, const struct syslog_ctx *ctx, const char *msg, bool cut)
{
	size_t room = ctx->max_len ? ctx->max_len - b->len : SIZE_MAX;
	bool with_bom = has_non_ascii(msg);
	size_t need = 1 + (with_bom ? 3 : 0);

	if (!*msg)
		return 0;
	if (room < need + 1)
		return cut ? 0 : -EMSGSIZE; /* MSG is optional: leave it out */
	sb_putc(b, ' ');
	if (with_bom)
		sb_puts(b, bom);
	put_text(b, msg, strlen(msg), TXT_MSG, cut ? room - need : SIZE_MAX);
	if (ctx->max_len && b->len > ctx->max_len)
		return -EMSGSIZE;
	return 0;
}

static int try_5424(struct buf *b, const struct syslog_ctx *ctx, const struct parts *p, size_t cap,
		    bool cut, bool fit)
{
	sb_truncate(b, 0);
	put_header(b, ctx, p);
	put_sd(b, ctx, p, cap, cut, fit);
	if (b->oom)
		return -ENOMEM;
	if (ctx->max_len && b->len > ctx->max_len)
		return -EMSGSIZE;
	return put_msg(b, ctx, p->msg ? p->msg : "", cut);
}

/* One extension pair (and its label pair) into @b; the value capped at @cap bytes. */
static void put_cef_pair(struct buf *b, const struct field *f, bool first, size_t cap)
{
	if (!first)
		sb_putc(b, ' ');
	if (f->label) {
		sb_puts(b, f->name);
		sb_puts(b, "Label=");
		put_text(b, f->label, strlen(f->label), TXT_CEF_EXT, SIZE_MAX);
		sb_putc(b, ' ');
	}
	sb_puts(b, f->name);
	sb_putc(b, '=');
	put_text(b, f->value, strlen(f->value), TXT_CEF_EXT, cap);
}

static void put_cef_header(struct buf *b, const struct parts *p, size_t cap)
{
	const char *ver = p->cef_version ? p->cef_version : CPRW_VERSION;
	char sev[16];

	sb_puts(b, "- CEF:0|cprwatch|cprwatch|");
	put_text(b, ver, strlen(ver), TXT_CEF_HDR, cap);
	sb_putc(b, '|');
	put_text(b, p->cef_sig, strlen(p->cef_sig), TXT_CEF_HDR, cap);
	sb_putc(b, '|');
	put_text(b, p->cef_name, strlen(p->cef_name), TXT_CEF_HDR, cap);
	snprintf(sev, sizeof(sev), "|%u|", p->cef_sev);
	sb_puts(b, sev);
}

/*
 * Append the pair if it fits; when @cut, fill what is left with as much of its
 * value as fits (at least one character) and report that nothing more fits.
 */
static int fit_cef_pair(struct buf *b, struct buf *tmp, const struct syslog_ctx *ctx,
			const struct field *f, bool first, size_t cap, bool cut)
{
	size_t room = ctx->max_len ? ctx->max_len - b->len : SIZE_MAX, prefix, mark;

	sb_truncate(tmp, 0);
	put_cef_pair(tmp, f, first, cap);
	if (tmp->oom)
		return -ENOMEM;
	if (tmp->len <= room) {
		buf_put(b, tmp->data, tmp->len);
		return 0;
	}
	if (!cut)
		return -EMSGSIZE;
	sb_truncate(tmp, 0);
	put_cef_pair(tmp, &(struct field){ .name = f->name, .label = f->label, .value = "" }, first,
		     0);
	prefix = tmp->len;
	if (prefix < room) {
		mark = b->len;
		put_cef_pair(b, f, first, room - prefix);
		if (b->len == mark + prefix)
			sb_truncate(b, mark); /* not even one character fits: leave it out */
	}
	return 1;
}

static int try_cef(struct buf *b, struct buf *tmp, const struct syslog_ctx *ctx,
		   const struct parts *p, size_t cap, bool cut)
{
	size_t i;
	int rc;

	sb_truncate(b, 0);
	put_header(b, ctx, p);
	put_cef_header(b, p, cap);
	if (b->oom)
		return -ENOMEM;
	if (ctx->max_len && b->len > ctx->max_len)
		return -EMSGSIZE;
	for (i = 0; i < p->nr_cef; i++) {
		rc = fit_cef_pair(b, tmp, ctx, &p->cef[i], i == 0, cap, cut);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
	}
	return b->oom ? -ENOMEM : 0;
}

static int try_render(struct buf *b, const struct syslog_ctx *ctx, struct parts *p, size_t cap,
		      bool cut, bool fit)
{
	if (ctx->format == SYSLOG_FMT_CEF)
		return try_cef(b, &p->scratch, ctx, p, cap, cut);
	return try_5424(b, ctx, p, cap, cut, fit);
}

/*
 * Whole line if it fits.  RFC 5424: then MSG cut, then SD values capped harder
 * and harder, then params left out.  CEF: values capped with every pair kept,
 * and only then the extension's tail cut: a line with all fields shortened
 * tells the SOC more than one with a long path and the rest gone.  The header
 * is never cut, so any limit from SYSLOG_MIN_MSG up is met.
 */
static int render(struct buf *b, const struct syslog_ctx *ctx, struct parts *p)
{
	static const size_t caps[] = { SIZE_MAX, 1024, 512, 256, 128, 64, 32 };
	const size_t last = ARRAY_SIZE(caps) - 1;
	bool cef = ctx->format == SYSLOG_FMT_CEF;
	size_t i;
	int rc;

	b->oom = false;
	rc = try_render(b, ctx, p, SIZE_MAX, false, false);
	if (rc != -EMSGSIZE)
		return rc;
	for (i = cef ? 1 : 0; i <= last; i++) {
		rc = try_render(b, ctx, p, caps[i], !cef, false);
		if (rc != -EMSGSIZE)
			return rc < 0 ? rc : 1;
	}
	rc = try_render(b, ctx, p, caps[last], true, true);
	if (rc != -EMSGSIZE)
		return rc < 0 ? rc : 1;
	sb_truncate(b, 0);
	return -EMSGSIZE;
}

/* Render @p when filling it succeeded (@rc 0), then free it. */
static int render_parts(struct buf *out, const struct syslog_ctx *ctx, struct parts *p, int rc)
{
	if (!rc)
		rc = render(out, ctx, p);
	parts_free(p);
	free(p);
	return rc;
}

int syslog_fmt_alert(struct buf *out, const struct syslog_ctx *ctx, const struct jval *alert)
{
	struct parts *p;

	if (!alert || alert->type != JOBJ)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	return render_parts(out, ctx, p, alert_parts(p, ctx, alert));
}

int syslog_fmt_heartbeat(struct buf *out, const struct syslog_ctx *ctx, const struct heartbeat *hb)
{
	struct parts *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	return render_parts(out, ctx, p, heartbeat_parts(p, ctx, hb));
}
