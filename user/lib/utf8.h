/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * UTF-8 decoding, in one place for the JSON writer, the JSON parser and the
 * syslog formatter: what every output and input of the agent agrees is text.
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

#endif
