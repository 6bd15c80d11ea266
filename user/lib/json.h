/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small JSON writer into a growable buffer.  Strings are escaped per
 * RFC 8259; bytes that are not valid UTF-8 (paths may hold any bytes) are
 * written as \u00XX so the output always parses.  Every string value passes
 * through cpr_redact(): whatever a path, argv or summary holds, the agent's
 * JSON never carries a CPR number.
 */
#ifndef CPRW_JSON_H
#define CPRW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct buf out; /* the text; out.oom: an allocation failed, output is incomplete */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool keep_numbers; /* off (default): CPR-shaped numbers in strings are masked */
};

void json_init(struct json *j);
void json_reset(struct json *j);
void json_free(struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value in one call, for the common case */
void json_kv_str(struct json *j, const char *key, const char *s);
/*
 * Hex text the agent made itself (alert UUIDs, hashes, build ids): written
 * as is, because the masker, which ignores what surrounds a number, would
 * otherwise take a digit run in a UUID for a CPR number and break the id.
 * Never for text from outside the agent.
 */
void json_id(struct json *j, const char *s);
void json_kv_id(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Append raw bytes (already valid JSON). */
void json_raw(struct json *j, const char *s, size_t n);

#endif
