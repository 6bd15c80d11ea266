/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A strict RFC 8259 JSON parser into a tree, for input we do not trust
 * (`cprwatchd --replay` reads recordings that may be hand-edited or hostile).
 *
 * Strict: no comments, trailing commas, single quotes, leading zeros, NaN or
 * Infinity, raw control characters or invalid UTF-8 in strings, lone
 * surrogates or \u0000.  Numbers that do not fit a double (1e400) are
 * rejected rather than turned into infinity.  Nesting deeper than
 * JSON_PARSE_MAX_DEPTH is an error; the parser recurses at most that deep.
 * Duplicate keys: the last one wins (and takes the last one's position).
 * The input need not be NUL-terminated and is never read past len.
 */
#ifndef CPRW_JSON_PARSE_H
#define CPRW_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_PARSE_MAX_DEPTH 64

enum jtype { JNULL, JBOOL, JNUM, JSTR, JARR, JOBJ };

struct jval {
	enum jtype type;
	bool b;
	double num; /* JNUM */
	int64_t i;  /* JNUM: exact integer value when is_int */
	/*
	 * JNUM written without fraction or exponent whose value fits int64
	 * ("1e3" and "1.0" are numbers, not integers, as in most strict parsers).
	 */
	bool is_int;
	/*
	 * JSTR: NUL-terminated UTF-8, escapes decoded, no embedded NUL.
	 * JNUM: the number's source text, so callers (jobj_u64) get exact
	 * digits past what a double or int64 holds.
	 */
	char *str;
	size_t len;	    /* JSTR/JNUM: bytes of str; JARR/JOBJ: members */
	struct jval *items; /* JARR elements; JOBJ values */
	char **keys;	    /* JOBJ keys, parallel to items */
};

/*
 * Parse exactly one JSON value from buf[0..len) (trailing whitespace allowed,
 * anything else is an error).  Returns 0 and a tree in *out (free with
 * jval_free), -EINVAL for bad input or -ENOMEM, with "offset N: message" in
 * err (err may be NULL).  On error *out is zeroed: jval_free on it is a no-op.
 */
int json_parse(const char *buf, size_t len, struct jval *out, char *err, size_t errlen);
void jval_free(struct jval *v);

/*
 * Lookups on an object; all are NULL/false when obj is NULL or not an
 * object, and *out is written only on success.
 */
const struct jval *jobj_get(const struct jval *obj, const char *key);
/* NULL unless a string */
const char *jobj_str(const struct jval *obj, const char *key);
/* false unless is_int */
bool jobj_i64(const struct jval *obj, const char *key, int64_t *out);
/* false unless an integer in [0, UINT64_MAX] ("-0" is 0); exact, never via double */
bool jobj_u64(const struct jval *obj, const char *key, uint64_t *out);
bool jobj_bool(const struct jval *obj, const char *key, bool *out);

#endif
