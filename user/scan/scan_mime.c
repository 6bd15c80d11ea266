// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * E-mail for the scanner: a single message (.eml, RFC 5322 + MIME) or an
 * mbox of them.  Headers are scanned as text, encoded-words (RFC 2047, how a
 * Subject with non-ASCII letters travels) decoded; each body part is decoded from
 * its transfer encoding (base64, quoted-printable, or as is) and scanned as a
 * file of its own, sniffed like any other: a base64 PDF, xlsx or .doc
 * attachment is read as such, an HTML part as HTML, a forwarded message
 * (message/rfc822) as a message.  Multipart nesting is bounded (MAX_NEST),
 * and attachments count against the scanner's container depth.
 *
 * The whole message is in memory (the stream node collects it up to max_buffer);
 * decoding never produces more than it reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "scan_int.h"

#define MAX_NEST 16
#define HDR_VAL 256 /* bytes of a header value kept for parsing */

static const char *const mail_headers[] = {
	"return-path:",
	"received:",
	"from:",
	"to:",
	"subject:",
	"date:",
	"message-id:",
	"mime-version:",
	"delivered-to:",
	"content-type:",
	"reply-to:",
	"dkim-signature:",
	"authentication-results:",
	"x-",
	"arc-",
	"cc:",
	"sender:",
	"user-agent:",
};

bool mime_magic(const unsigned char *p, size_t n)
{
	size_t k, len;

	if (n >= 5 && !memcmp(p, "From ", 5))
		return true; /* mbox */
	for (k = 0; k < sizeof(mail_headers) / sizeof(mail_headers[0]); k++) {
		len = strlen(mail_headers[k]);
		if (n > len && !strncasecmp((const char *)p, mail_headers[k], len))
			return true;
	}
	return false;
}

/* End of the header block: the offset of the body (n when there is none). */
static size_t header_end(const unsigned char *p, size_t n, size_t *hlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n') {
			*hlen = i + 1;
			return i + 2;
		}
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
			*hlen = i + 1;
			return i + 3;
		}
	}
	*hlen = n;
	return n;
}

/* Copies the (unfolded) value of header `name` into val; false when absent. */
static bool header_get(const unsigned char *h, size_t n, const char *name, char *val)
{
	size_t len = strlen(name), i = 0, j, o;

	while (i < n) {
		bool hit = n - i > len && !strncasecmp((const char *)h + i, name, len) &&
			   h[i + len] == ':';

		if (hit) {
			for (j = i + len + 1; j < n && (h[j] == ' ' || h[j] == '\t'); j++)
				;
			for (o = 0; j < n && o < HDR_VAL - 1; j++) {
				/* A line starting with a space or tab continues the header. */
				if (h[j] == '\n' &&
				    !(j + 1 < n && (h[j + 1] == ' ' || h[j + 1] == '\t')))
					break;
				if (h[j] != '\r' && h[j] != '\n')
					val[o++] = h[j] == '\t' ? ' ' : h[j];
			}
			val[o] = 0;
			return true;
		}
		while (i < n && h[i] != '\n')
			i++;
		i++;
	}
	return false;
}

/* A parameter of a header value (boundary="..."), into out; false when absent. */
static bool param_get(const char *val, const char *name, char *out, size_t size)
{
	size_t len = strlen(name), o = 0;
	const char *q = val;

	while ((q = strcasestr(q, name))) {
		const char *v = q + len;

		if ((q == val || q[-1] == ';' || q[-1] == ' ') && *v == '=') {
			v++;
			if (*v == '"') {
				for (v++; *v && *v != '"' && o + 1 < size; v++)
					out[o++] = *v;
			} else {
				for (; *v && *v != ';' && *v != ' ' && o + 1 < size; v++)
					out[o++] = *v;
			}
			out[o] = 0;
			return o > 0;
		}
		q = v;
	}
	return false;
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Base64, skipping line breaks and anything outside the alphabet; returns bytes out. */
static size_t b64_decode(const unsigned char *p, size_t n, unsigned char *out)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if (p[i] == '=')
			break;
		v = b64val(p[i]);
		if (v < 0)
			continue;
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = acc >> bits;
		}
	}
	return o;
}

static int hexv(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Quoted-printable: =XX and soft line breaks ("=" at the end of a line). */
static size_t qp_decode(const unsigned char *p, size_t n, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '=') {
			out[o++] = p[i];
			continue;
		}
		if (i + 1 < n && p[i + 1] == '\n') {
			i++;
		} else if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
			i += 2;
		} else if (i + 2 < n && hexv(p[i + 1]) >= 0 && hexv(p[i + 2]) >= 0) {
			out[o++] = hexv(p[i + 1]) << 4 | hexv(p[i + 2]);
			i += 2;
		} else {
			out[o++] = '=';
		}
	}
	return o;
}

/*
 * An RFC 2047 encoded-word at p ("=?charset?B|Q?text?="): decoded into out
 * (at most n bytes); returns the bytes of p it spans, 0 when p is not one.
 */
static size_t encoded_word(const unsigned char *p, size_t n, unsigned char *out, size_t *olen)
{
	const unsigned char *q1, *q2, *end;
	size_t i, len;
	int enc;

	if (n < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	q1 = memchr(p + 2, '?', n - 2);
	if (!q1 || q1 + 3 >= p + n || q1[2] != '?')
		return 0;
	enc = q1[1] | 0x20;
	q2 = q1 + 3;
	end = memmem(q2, p + n - q2, "?=", 2);
	if ((enc != 'b' && enc != 'q') || !end)
		return 0;
	len = end - q2;
	if (enc == 'b') {
		*olen = b64_decode(q2, len, out);
	} else {
		*olen = qp_decode(q2, len, out);
		for (i = 0; i < *olen; i++)
			if (out[i] == '_')
				out[i] = ' '; /* Q encoding writes a space as '_' */
	}
	return end + 2 - p;
}

/* Header text to the detector, encoded-words (a Subject with non-ASCII) decoded. */
static void header_text(struct scan_ctx *c, const unsigned char *p, size_t n)
{
	struct tbuf tb = { .c = c };
	unsigned char *w = malloc(n ? n : 1);
	size_t i = 0, span, wlen;

	if (!w) {
		scan_text(c, p, n);
		return;
	}
	while (i < n) {
		span = p[i] == '=' ? encoded_word(p + i, n - i, w, &wlen) : 0;
		if (!span) {
			tb_put(&tb, p[i++]);
			continue;
		}
		tb_write(&tb, w, wlen);
		i += span;
	}
	tb_flush(&tb);
	free(w);
}

static void entity(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth,
		   unsigned int nest);

/* The body of a leaf part, decoded and scanned as a file of its own. */
static void leaf(struct scan_ctx *c, const char *cte, const unsigned char *b, size_t n,
		 unsigned int depth)
{
	bool b64 = !strncasecmp(cte, "base64", 6), qp = !strncasecmp(cte, "quoted-printable", 16);
	unsigned char *out;
	size_t len;

	if (!b64 && !qp) {
		scan_buf_nested(c, depth, b, n);
		return;
	}
	out = malloc(n ? n : 1);
	if (!out) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "mail: out of memory");
		return;
	}
	len = b64 ? b64_decode(b, n, out) : qp_decode(b, n, out);
	c->res->bytes_inflated += len;
	scan_buf_nested(c, depth, out, len);
	free(out);
}

/* Is there a delimiter line "--boundary" at p? */
static bool is_delim(const unsigned char *p, size_t n, const char *bd, size_t blen)
{
	return n >= blen + 2 && p[0] == '-' && p[1] == '-' && !memcmp(p + 2, bd, blen);
}

static void multipart(struct scan_ctx *c, const unsigned char *b, size_t n, const char *bd,
		      unsigned int depth, unsigned int nest)
{
	size_t blen = strlen(bd), i = 0, start = 0, end;
	bool in = false;

	/* Delimiters start a line; the line break before one belongs to it. */
	while (i < n && !c->stop) {
		if ((i == 0 || b[i - 1] == '\n') && is_delim(b + i, n - i, bd, blen)) {
			if (in) {
				end = i;
				if (end > start && b[end - 1] == '\n')
					end--;
				if (end > start && b[end - 1] == '\r')
					end--;
				entity(c, b + start, end - start, depth, nest + 1);
			}
			if (n - i >= blen + 4 && b[i + blen + 2] == '-' && b[i + blen + 3] == '-')
				return; /* closing delimiter */
			while (i < n && b[i] != '\n')
				i++;
			start = i + 1;
			in = true;
		}
		i++;
	}
	if (in && start < n)
		entity(c, b + start, n - start, depth, nest + 1); /* unterminated: keep it */
}

static void entity(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth,
		   unsigned int nest)
{
	char ct[HDR_VAL] = "text/plain", cte[HDR_VAL] = "", bd[HDR_VAL];
	size_t hlen, body;

	if (nest > MAX_NEST) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_DEPTH, "mail: multipart nesting over %u",
			     MAX_NEST);
		return;
	}
	body = header_end(p, n, &hlen);
	header_text(c, p, hlen);
	scan_text_break(c);
	header_get(p, hlen, "content-type", ct);
	header_get(p, hlen, "content-transfer-encoding", cte);
	if (!strncasecmp(ct, "multipart/", 10) && param_get(ct, "boundary", bd, sizeof(bd))) {
		multipart(c, p + body, n - body, bd, depth, nest);
		return;
	}
	if (!strncasecmp(ct, "message/rfc822", 14)) {
		entity(c, p + body, n - body, depth, nest + 1);
		return;
	}
	leaf(c, cte, p + body, n - body, depth);
}

void mime_scan(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth)
{
	const unsigned char *q, *end = p + n, *next;

	c->res->formats |= SCAN_FMT_MIME;
	/* mbox: messages start at lines beginning "From ". */
	if (n >= 5 && !memcmp(p, "From ", 5)) {
		for (q = p; q < end && !c->stop; q = next) {
			const unsigned char *eol = memchr(q, '\n', end - q);

			if (!eol)
				break;
			next = memmem(eol, end - eol, "\nFrom ", 6);
			next = next ? next + 1 : end;
			entity(c, eol + 1, next - eol - 1, depth, 0);
		}
		return;
	}
	entity(c, p, n, depth, 0);
}
