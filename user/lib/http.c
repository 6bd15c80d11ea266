// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include "http.h"

/* RFC 9110 token characters: what a method is made of. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

int http_request_parse(const char *buf, size_t len, struct http_request *out)
{
	size_t i = 0, m, t = 0;

	memset(out, 0, sizeof(*out));
	while (i < len && i < HTTP_METHOD_MAX - 1 && is_tchar(buf[i]))
		i++;
	if (!i || i >= len || buf[i] != ' ')
		return -EINVAL;
	memcpy(out->method, buf, i);
	m = ++i;
	while (i < len && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n') {
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] == 0x7f)
			return -EINVAL;
		if (t < HTTP_TARGET_MAX - 1)
			out->target[t++] = buf[i];
		i++;
	}
	if (i == m)
		return -EINVAL;
	out->target_cut = t < i - m || i == len;
	if (i == len)
		return 0; /* the data ended inside the target: keep what came */
	if (buf[i] != ' ' || len - i - 1 < 7 || memcmp(buf + i + 1, "HTTP/1.", 7))
		return -EINVAL;
	return 0;
}

int http_pattern_check(const char *pattern)
{
	const char *sp = strchr(pattern, ' ');

	if (!sp || sp == pattern || sp[1] != '/' || strchr(sp + 1, ' '))
		return -EINVAL;
	return 0;
}

bool http_pattern_match(const char *pattern, const struct http_request *rq)
{
	const char *sp = strchr(pattern, ' ');
	size_t mlen;

	if (!sp)
		return false;
	mlen = sp - pattern;
	if (!(mlen == 1 && pattern[0] == '*') &&
	    (strlen(rq->method) != mlen || strncmp(pattern, rq->method, mlen)))
		return false;
	return !fnmatch(sp + 1, rq->target, 0);
}
