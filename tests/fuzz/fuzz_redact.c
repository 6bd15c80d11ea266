// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for the masker against the detector: whatever bytes come
 * in, cpr_redact() must leave nothing that cpr_feed() counts (valid or
 * substitute), must keep the length, and may change only digits into 'X'.
 *
 *   make fuzz && build/fuzz/fuzz_redact -max_total_time=60 tests/fuzz/corpus/fuzz_redact
 *
 * Aborts on: a count after masking, a byte changed other than digit -> 'X'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpr_opts o = { .substitutes = true };
	struct cpr_detector d;
	struct cpr_stats st;
	char *s = malloc(size ? size : 1);
	size_t i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	cpr_redact(s, size);
	for (i = 0; i < size; i++)
		if (s[i] != (char)data[i] && !(s[i] == 'X' && data[i] >= '0' && data[i] <= '9'))
			abort();
	if (cpr_init(&d, &o))
		abort();
	cpr_feed(&d, s, size);
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	if (st.matches || st.substitutes)
		abort();
	free(s);
	return 0;
}
