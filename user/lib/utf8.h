/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * UTF-8 decoding, in one place for the JSON writer, the JSON parser and the
 * syslog formatter: what every output and input of the agent agrees is text.
 * And UTF-16 as the CPR detector reads it, in one place for the scanner's
 * text streams and the agent's clipboard count.
 */
#ifndef CPRW_UTF8_H
#define CPRW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at s[0..n) (n >= 1), 0 when it is not
 * one: overlong forms, surrogates and values past U+10FFFF are invalid.
 * Stores the code point in *cp when cp is not NULL.
 */
size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * One byte per code point for the CPR detector: Latin-1 stays itself (so
 * UTF-16 and Latin-1 text classify alike), general punctuation and odd
 * spaces become a neutral boundary byte (never a separator: the CPR form
 * allows a plain space or hyphen only), other scripts a letter.
 */
unsigned char utf_detector_byte(uint32_t cp);

enum utf16_order { UTF16_NONE, UTF16_LE, UTF16_BE };

/*
 * Is @h (a text's first bytes) UTF-16?  By its byte-order mark (*bom_len 2)
 * or, without one, by the shape of ASCII-range text: one byte of each unit
 * zero, always on the same side, the other printable (*bom_len 0).  Binary
 * data with small 16-bit numbers rarely has both.
 */
enum utf16_order utf16_detect(const unsigned char *h, size_t n, size_t *bom_len);

/* UTF-16 decoding state across chunks. */
struct utf16_dec {
	enum utf16_order order;
	int pend;      /* first byte of a unit, or -1 */
	uint32_t high; /* a pending high surrogate, or 0 */
};

void utf16_dec_init(struct utf16_dec *d, enum utf16_order order);
/*
 * Decode @n bytes of UTF-16 into detector bytes (utf_detector_byte) at
 * @out, which has room for n / 2 + 2; returns how many were written.
 */
size_t utf16_dec_feed(struct utf16_dec *d, const unsigned char *p, size_t n, unsigned char *out);

#endif
