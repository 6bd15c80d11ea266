// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for mail (user/scan/scan_mime.c) and HTML: the input is
 * a whole file (seeds: the corpus's .eml, .mbox and .html).  Base64 and
 * quoted-printable parts are decoded into nested scans, so this also drives
 * every format a mail can carry.  Each input is also scanned behind a
 * "From " line (as one message of an mbox).
 *
 *   make fuzz && build/fuzz/fuzz_mime -max_total_time=300 tests/fuzz/corpus/mime
 */
#include <stdint.h>
#include "scan_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char from[] = "From a@b.example Sun Dec  6 02:00:00 2026\n";
	unsigned char *mbox = malloc(sizeof(from) - 1 + size + 1);

	scan_whole(data, size, 16 << 20);
	if (!mbox)
		return 0;
	memcpy(mbox, from, sizeof(from) - 1);
	memcpy(mbox + sizeof(from) - 1, data, size);
	scan_whole(mbox, sizeof(from) - 1 + size, 16 << 20);
	free(mbox);
	return 0;
}
