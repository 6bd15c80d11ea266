/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * HTTP/1.x request lines, as a client writes them (seen inside TLS), and
 * the look-up patterns they are matched against: "METHOD /path/glob", e.g.
 * `request = GET /api/person/<star>` in [rules.lookup_burst]; METHOD may be a star.
 */
#ifndef CPRW_HTTP_H
#define CPRW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_METHOD_MAX 16
#define HTTP_TARGET_MAX 512

struct http_request {
	char method[HTTP_METHOD_MAX];
	char target[HTTP_TARGET_MAX]; /* request target as sent; may hold personal data */
	bool target_cut;	      /* longer than HTTP_TARGET_MAX - 1 (or the data ended) */
};

/*
 * Parse "METHOD SP target SP HTTP/1.x" at the start of @buf.  Returns 0, or
 * -EINVAL when @buf does not start with a request line (a body, HTTP/2, TLS
 * records of another protocol).  A target cut by the end of @buf is kept
 * with target_cut set.
 */
int http_request_parse(const char *buf, size_t len, struct http_request *out);

/* Check a pattern's form; 0 or -EINVAL. */
int http_pattern_check(const char *pattern);

/* True when @rq matches "METHOD /glob" (fnmatch, '*' also crosses '/'). */
bool http_pattern_match(const char *pattern, const struct http_request *rq);

#endif
