/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What every scanner fuzz target checks on a result: a status inside the
 * enum, no run of five digits in the message (content must never reach a
 * message), samples that are DDMMYY-XXXX, distinct never above matches.
 */
#ifndef CPRW_SCAN_CHECK_H
#define CPRW_SCAN_CHECK_H

#include <stdlib.h>
#include <string.h>
#include "scan/scan.h"

static inline void check_result(const struct scan_result *res)
{
	unsigned int i, j, run = 0;
	const char *p;

	if (res->status < SCAN_OK || res->status > SCAN_CANCELLED)
		abort();
	for (p = res->msg; *p; p++) {
		run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
		if (run >= 5)
			abort();
	}
	if (res->cpr.distinct > res->cpr.matches || res->cpr.nr_samples > CPR_MAX_SAMPLES)
		abort();
	for (i = 0; i < res->cpr.nr_samples; i++) {
		const char *s = res->cpr.samples[i];

		for (j = 0; j < 6; j++)
			if (s[j] < '0' || s[j] > '9')
				abort();
		if (strcmp(s + 6, "-XXXX"))
			abort();
	}
}

/* Scans a whole buffer with fuzzing caps and checks the result. */
static inline void scan_whole(const void *p, size_t n, uint64_t max_buffer)
{
	struct scan_limits lim;
	struct scan_result res;

	scan_limits_default(&lim);
	lim.max_buffer = max_buffer;
	lim.max_inflated = 64 << 20;
	lim.max_time_ms = 10000;
	if (scan_buffer(p, n, &lim, NULL, &res) != res.status)
		abort();
	check_result(&res);
}

#endif
