// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the content scanner: scan_buffer() over every format
 * it sniffs (text, UTF-16, gzip, zip and office files, PDF), plus the detector
 * fed the same bytes in chunks, which must count exactly as one feed does.
 *
 *   make OUTPUT=build fuzz
 *   mkdir -p corpus && (cd tests && SCAN_SEED_DIR=$PWD/../corpus ../build/test_unit scan)
 *   build/fuzz/fuzz_scan -max_total_time=60 corpus
 *
 * Aborts on: a status outside the enum, a message with a run of five digits
 * (content must never reach a message), a sample that is not DDMMYY-XXXX,
 * distinct above matches, chunked counts that differ, a clean scan whose
 * counts change when the input is read a few bytes at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cpr.h"
#include "scan/scan.h"
#include "scan_check.h"

static void check_chunking(const uint8_t *data, size_t size)
{
	struct cpr_opts o = { .max_samples = 5, .substitutes = true };
	struct cpr_detector a, b;
	struct cpr_stats sa, sb;
	uint32_t x = 2166136261u;
	size_t pos = 0, n;

	if (cpr_init(&a, &o) || cpr_init(&b, &o))
		abort();
	cpr_feed(&a, data, size);
	cpr_finish(&a, &sa);
	for (n = 0; n < size && n < 64; n++)
		x = (x ^ data[n]) * 16777619u;
	while (pos < size) {
		x = x * 1103515245u + 12345u;
		n = 1 + (x >> 16) % (x & 0x100 ? 7 : 300);
		if (n > size - pos)
			n = size - pos;
		cpr_feed(&b, data + pos, n);
		pos += n;
	}
	cpr_finish(&b, &sb);
	if (sa.matches != sb.matches || sa.distinct != sb.distinct ||
	    sa.distinct_mod11 != sb.distinct_mod11 || sa.keyword_matches != sb.keyword_matches ||
	    sa.substitutes != sb.substitutes || sa.nr_samples != sb.nr_samples ||
	    memcmp(sa.samples, sb.samples, sizeof(sa.samples)))
		abort();
	cpr_destroy(&a);
	cpr_destroy(&b);
}

/*
 * The same input read a few bytes at a time: every decoder then sees tiny
 * pieces.  Caps may trip at a slightly different point, so only a clean
 * result is compared, and a clean result must stay clean unless a cap
 * (ratio checks run more often on small reads) refused it.
 */
static void check_small_reads(const uint8_t *data, size_t size, const struct scan_limits *deflim,
			      const struct scan_result *ref)
{
	struct scan_limits lim = *deflim;
	struct scan_result res;

	lim.read_size = 1 + (size ? data[size - 1] % 61 : 0);
	scan_buffer(data, size, &lim, NULL, &res);
	check_result(&res);
	if (ref->status != SCAN_OK || res.status == SCAN_REFUSED)
		return;
	if (res.status != SCAN_OK || res.cpr.matches != ref->cpr.matches ||
	    res.cpr.distinct != ref->cpr.distinct ||
	    res.cpr.keyword_matches != ref->cpr.keyword_matches ||
	    res.bytes_scanned != ref->bytes_scanned)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_limits lim;
	struct scan_result res;

	scan_limits_default(&lim);
	lim.max_inflated = 64 << 20;
	lim.max_buffer = 16 << 20;
	lim.max_time_ms = 10000;
	lim.substitutes = true;
	if (scan_buffer(data, size, &lim, NULL, &res) != res.status)
		abort();
	check_result(&res);
	check_chunking(data, size);
	if (size < 4096)
		check_small_reads(data, size, &lim, &res);
	return 0;
}
