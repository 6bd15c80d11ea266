/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An independent UTF-8 check for tests and fuzz targets: written apart from
 * user/lib/json.c's, so a bug there is not mirrored here.
 */
#ifndef CPRW_UTF8_CHECK_H
#define CPRW_UTF8_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reject what is not a sequence of UTF-8 scalar values. */
static inline bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
		if (s[i] < 0xc0 || s[i] > 0xf7 || i + len > n)
			return false;
		cp = s[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < (len == 2 ? 0x80u :
			  len == 3 ? 0x800u :
				     0x10000u) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

#endif
