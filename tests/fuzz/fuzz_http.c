// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the HTTP/1.x request-line parser fed with a CPR
 * client's TLS plaintext (user/lib/http.c): any bytes, no crash, and a
 * parsed request has a NUL-terminated token method and a target within its
 * bound that matches or not without fault.
 *
 *   make fuzz && build/fuzz/fuzz_http -max_total_time=60 tests/fuzz/corpus/fuzz_http
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request rq;

	if (http_request_parse((const char *)data, size, &rq))
		return 0;
	if (!rq.method[0] || strlen(rq.method) >= HTTP_METHOD_MAX ||
	    strlen(rq.target) >= HTTP_TARGET_MAX || !rq.target[0])
		abort();
	http_pattern_match("GET /api/person/*", &rq);
	http_pattern_match("* /*", &rq);
	return 0;
}
