// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for syslog_fmt.  The first bytes pick the format, the
 * facility and a size limit; the rest is either an alert as JSON (through the
 * real parser) or, to reach invalid UTF-8 that the parser never yields, an
 * alert tree built by hand from NUL-separated raw byte fields.  Both are
 * rendered, and so is a heartbeat made from the same fields.  Every line must:
 *   - be one line: no CR, LF, NUL, other C0 control or DEL, and valid UTF-8;
 *   - fit the limit when there is one;
 *   - parse as RFC 5424: <PRI>1 SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID
 *     SP MSGID SP SD [SP MSG], header fields PRINTUSASCII within their
 *     lengths, SD-ELEMENTs with valid PARAM-NAMEs and PARAM-VALUEs whose ", \
 *     and ] are escaped;
 *   - for CEF: MSG = "CEF:0|" + 6 more unescaped '|' in the header, and no
 *     dangling backslash at the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json_parse.h"
#include "soc/syslog_fmt.h"
#include "utf8_check.h"

static bool printusascii(char c)
{
	return c >= 33 && c <= 126;
}

/* A header field: 1..max PRINTUSASCII up to the next space. */
static const char *field(const char *p, size_t max)
{
	size_t n = 0;

	while (printusascii(p[n]))
		n++;
	if (!n || n > max || p[n] != ' ')
		abort();
	return p + n + 1;
}

static const char *sd_param(const char *p)
{
	size_t n = 0;

	while (printusascii(p[n]) && p[n] != '=' && p[n] != ']' && p[n] != '"')
		n++;
	if (!n || n > 32 || p[n] != '=' || p[n + 1] != '"')
		abort();
	for (p += n + 2; *p != '"'; p++) {
		if (!*p || *p == ']')
			abort(); /* unterminated, or an unescaped ] */
		if (*p == '\\' && !*++p)
			abort();
	}
	return p + 1;
}

/* SD: "-" or SD-ELEMENTs; returns what follows. */
static const char *sd(const char *p)
{
	if (*p == '-')
		return p + 1;
	if (*p != '[')
		abort();
	while (*p == '[') {
		p = field(p + 1, 32) - 1; /* SD-ID, then params separated by spaces */
		while (*p == ' ')
			p = sd_param(p + 1);
		if (*p++ != ']')
			abort();
	}
	return p;
}

static void check_cef(const char *msg, size_t len)
{
	int bars = 0;
	size_t i;

	if (strncmp(msg, "CEF:0|", 6))
		abort();
	for (i = 0; i < len && bars < 7; i++) {
		if (msg[i] == '\\')
			i++;
		else if (msg[i] == '|')
			bars++;
	}
	if (bars != 7)
		abort();
	for (i = 0; len && msg[len - 1 - i] == '\\' && i < len; i++)
		;
	if (i % 2)
		abort();
}

static void check_line(const struct buf *b, const struct syslog_ctx *ctx)
{
	const char *p = b->data;
	unsigned long pri;
	size_t i;
	char *end;

	if (!b->data || strlen(b->data) != b->len || (ctx->max_len && b->len > ctx->max_len))
		abort();
	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			abort();
	if (!valid_utf8((const unsigned char *)b->data, b->len))
		abort();
	if (*p != '<')
		abort();
	pri = strtoul(p + 1, &end, 10);
	if (end == p + 1 || end - p > 4 || pri > 191 || strncmp(end, ">1 ", 3))
		abort();
	p = field(end + 3, 32); /* TIMESTAMP */
	p = field(p, 255);	/* HOSTNAME */
	if (strncmp(p, "cprwatch ", 9))
		abort();
	p = field(p + 9, 128); /* PROCID */
	p = field(p, 32);      /* MSGID */
	p = sd(p);
	if (*p && *p != ' ')
		abort();
	if (ctx->format == SYSLOG_FMT_CEF)
		check_cef(p + 1, b->len - (p + 1 - b->data));
}

static void render(const struct jval *alert, struct syslog_ctx *ctx)
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = syslog_fmt_alert(&b, ctx, alert);
	if (rc == 0 || rc == 1)
		check_line(&b, ctx);
	else if (rc != -EMSGSIZE && !(rc == -EINVAL && alert->type != JOBJ))
		abort();
	/* a limit of at least the RFC minimum must always be met */
	if (rc == -EMSGSIZE && (!ctx->max_len || ctx->max_len >= SYSLOG_MIN_MSG))
		abort();
	buf_free(&b);
}

/* ---- an alert built by hand from raw bytes ----------------------------------------- */

static const char *const keys[] = {
	"alert_id", "time", "host",	    "rule", "severity", "summary",
	"user",	    "peer", "scan_problem", "uid",  "pid",
};

static void set_str(struct jval *v, char *s)
{
	v->type = JSTR;
	v->str = s;
	v->len = strlen(s);
}

/* process_chain[0] and file from fields 11..15 */
static void raw_nested(struct jval *chain, struct jval *proc, struct jval *file, char **fields,
		       size_t nf, char **pk, char **fk)
{
	static const char *const pkeys[] = { "exe", "argv", "comm" };
	int i;

	for (i = 0; i < 3; i++) {
		pk[i] = (char *)pkeys[i];
		set_str(&proc->items[i], nf > 11 + (size_t)i ? fields[11 + i] : "");
	}
	*proc = (struct jval){ .type = JOBJ, .len = 3, .items = proc->items, .keys = pk };
	*chain = (struct jval){ .type = JARR, .len = 1, .items = proc };
	fk[0] = "path";
	set_str(&file->items[0], nf > 14 ? fields[14] : "");
	*file = (struct jval){ .type = JOBJ, .len = 1, .items = file->items, .keys = fk };
}

static void raw_alert(const uint8_t *data, size_t size, struct syslog_ctx *ctx)
{
	char *copy = malloc(size + 1), *fields[16], *pk[3], *fk[1], *ak[13];
	struct jval items[13], pitems[3], fitems[1], proc, file, alert;
	struct heartbeat hb = { 0 };
	struct buf b;
	size_t nf = 0, i, n = sizeof(keys) / sizeof(keys[0]);
	int rc;

	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	fields[nf++] = copy;
	for (i = 0; i < size && nf < 16; i++)
		if (!copy[i])
			fields[nf++] = copy + i + 1;
	memset(items, 0, sizeof(items));
	for (i = 0; i < n; i++) {
		ak[i] = (char *)keys[i];
		set_str(&items[i], i < nf ? fields[i] : "");
	}
	proc.items = pitems;
	file.items = fitems;
	raw_nested(&items[n], &proc, &file, fields, nf, pk, fk);
	ak[n] = "process_chain";
	items[n + 1] = file;
	ak[n + 1] = "file";
	alert = (struct jval){ .type = JOBJ, .len = n + 2, .items = items, .keys = ak };
	render(&alert, ctx);

	hb.host = fields[0];
	hb.version = nf > 1 ? fields[1] : NULL;
	hb.uptime_s = size;
	buf_init(&b);
	rc = syslog_fmt_heartbeat(&b, ctx, &hb);
	if (rc == 0 || rc == 1)
		check_line(&b, ctx);
	else if (rc != -EMSGSIZE || ctx->max_len >= SYSLOG_MIN_MSG)
		abort();
	buf_free(&b);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_ctx ctx = { .procid = 4242, .hostname = "fuzz host\xff" };
	struct jval v;

	if (size < 3)
		return 0;
	ctx.format = data[0] & 1 ? SYSLOG_FMT_CEF : SYSLOG_FMT_RFC5424;
	ctx.facility = (data[0] >> 1) % 30; /* 24..29: out of range, must be handled */
	/* 0 = unbounded, else 32..4127 bytes */
	ctx.max_len = data[1] ? 32 + (size_t)data[1] * 16 + (data[2] & 15) : 0;
	if (data[0] & 0x80) {
		raw_alert(data + 3, size - 3, &ctx);
		return 0;
	}
	if (json_parse((const char *)data + 3, size - 3, &v, NULL, 0))
		return 0;
	render(&v, &ctx);
	jval_free(&v);
	return 0;
}
