/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Scan results as recorded JSON lines ("event":"scan") and back, so a
 * replay gets the scanner's verdicts without the files.  Only counts,
 * masked samples and keyed person hashes are written: a recording holds no
 * CPR number.
 */
#ifndef CPRW_SCAN_JSON_H
#define CPRW_SCAN_JSON_H

#include "lib/json.h"
#include "lib/json_parse.h"
#include "scanq.h"

#define SCAN_JSON_PERSONS 4096 /* person hashes kept per scan line */

void scan_json(struct json *j, const struct scan_request *rq, const struct scan_result *res,
	       int64_t clock_offset);
/*
 * Fills @rq (path strdup'd: free it) and @res (scan_result_release() it);
 * -EINVAL with @err when malformed.
 */
int scan_from_json(const struct jval *obj, struct scan_request *rq, struct scan_result *res,
		   char *err, size_t errlen);

#endif
