// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "utf8.h"

unsigned char utf_detector_byte(uint32_t cp)
{
	if (cp < 0x100)
		return cp;
	if (cp < 0x2000)
		return 'x';
	return 0x80;
}

static int texty(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d) || c >= 0xa0;
}

enum utf16_order utf16_detect(const unsigned char *h, size_t n, size_t *bom_len)
{
	size_t i, pairs = n / 2, ze = 0, zo = 0, te = 0, to = 0;

	*bom_len = 0;
	if (n >= 2 && ((h[0] == 0xff && h[1] == 0xfe) || (h[0] == 0xfe && h[1] == 0xff))) {
		*bom_len = 2;
		return h[0] == 0xff ? UTF16_LE : UTF16_BE;
	}
	if (pairs < 8)
		return UTF16_NONE;
	for (i = 0; i < pairs; i++) {
		ze += !h[2 * i];
		zo += !h[2 * i + 1];
		te += texty(h[2 * i]);
		to += texty(h[2 * i + 1]);
	}
	if (zo * 10 >= pairs * 8 && ze * 10 <= pairs && te * 10 >= pairs * 9)
		return UTF16_LE;
	if (ze * 10 >= pairs * 8 && zo * 10 <= pairs && to * 10 >= pairs * 9)
		return UTF16_BE;
	return UTF16_NONE;
}

void utf16_dec_init(struct utf16_dec *d, enum utf16_order order)
{
	memset(d, 0, sizeof(*d));
	d->order = order;
	d->pend = -1;
}

size_t utf16_dec_feed(struct utf16_dec *d, const unsigned char *p, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	uint32_t u;

	for (i = 0; i < n; i++) {
		if (d->pend < 0) {
			d->pend = p[i];
			continue;
		}
		u = d->order == UTF16_LE ? (uint32_t)d->pend | (uint32_t)p[i] << 8 :
					   (uint32_t)d->pend << 8 | p[i];
		d->pend = -1;
		if (u >= 0xd800 && u < 0xdc00) {
			d->high = u;
			continue;
		}
		if (u >= 0xdc00 && u < 0xe000)
			u = d->high ? 0x10000 : 0xfffd;
		else if (d->high)
			out[o++] = utf_detector_byte(0xfffd);
		d->high = 0;
		out[o++] = utf_detector_byte(u);
	}
	return o;
}

size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, k;
	uint32_t c;

	if (s[0] < 0x80) {
		if (cp)
			*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0; /* a continuation byte, an overlong lead, or past U+10FFFF */
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n)
		return 0;
	c = s[0] & (0x7f >> len);
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < (len == 3 ? 0x800u :
		 len == 4 ? 0x10000u :
			    0x80u) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp)
		*cp = c;
	return len;
}
