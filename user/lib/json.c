// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpr.h"
#include "json.h"
#include "utf8.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_reset(struct json *j)
{
	buf_clear(&j->out);
	j->depth = 0;
	j->need_comma[0] = false;
}

void json_free(struct json *j)
{
	buf_free(&j->out);
	json_init(j);
}

void json_raw(struct json *j, const char *s, size_t n)
{
	buf_put(&j->out, s, n);
}

static void putc_raw(struct json *j, char c)
{
	json_raw(j, &c, 1);
}

/* Comma before a value or key when the container already holds one. */
static void value_prefix(struct json *j)
{
	if (j->need_comma[j->depth])
		putc_raw(j, ',');
	j->need_comma[j->depth] = true;
}

static void open_container(struct json *j, char c)
{
	value_prefix(j);
	putc_raw(j, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	putc_raw(j, c);
}

void json_obj_begin(struct json *j)
{
	open_container(j, '{');
}
void json_obj_end(struct json *j)
{
	close_container(j, '}');
}
void json_arr_begin(struct json *j)
{
	open_container(j, '[');
}
void json_arr_end(struct json *j)
{
	close_container(j, ']');
}

static void write_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t i = 0, run;

	putc_raw(j, '"');
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = c;
			json_raw(j, tmp, 2);
			i++;
		} else if (c == '\n') {
			json_raw(j, "\\n", 2);
			i++;
		} else if (c == '\t') {
			json_raw(j, "\\t", 2);
			i++;
		} else if (c == '\r') {
			json_raw(j, "\\r", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			json_raw(j, tmp, 6);
			i++;
		} else if (c < 0x80) {
			/* copy the run of plain ASCII in one go */
			run = i;
			while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
			       p[run] != '\\')
				run++;
			json_raw(j, s + i, run - i);
			i = run;
		} else if ((run = utf8_next(p + i, n - i, NULL))) {
			json_raw(j, s + i, run);
			i += run;
		} else {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			json_raw(j, tmp, 6);
			i++;
		}
	}
	putc_raw(j, '"');
}

void json_key(struct json *j, const char *key)
{
	value_prefix(j);
	write_escaped(j, key, strlen(key));
	putc_raw(j, ':');
	/* the value that follows must not add another comma */
	j->need_comma[j->depth] = false;
}

static void value_done(struct json *j)
{
	j->need_comma[j->depth] = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	char stack[1024], *copy = stack;

	value_prefix(j);
	if (j->keep_numbers) {
		write_escaped(j, s, n);
	} else {
		if (n > sizeof(stack))
			copy = malloc(n);
		if (!copy) {
			j->out.oom = true;
			return;
		}
		memcpy(copy, s, n);
		cpr_redact(copy, n);
		write_escaped(j, copy, n);
		if (copy != stack)
			free(copy);
	}
	value_done(j);
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_u64(struct json *j, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	value_prefix(j);
	json_raw(j, tmp, n);
	value_done(j);
}

void json_i64(struct json *j, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	value_prefix(j);
	json_raw(j, tmp, n);
	value_done(j);
}

void json_bool(struct json *j, bool v)
{
	value_prefix(j);
	json_raw(j, v ? "true" : "false", v ? 4 : 5);
	value_done(j);
}

void json_null(struct json *j)
{
	value_prefix(j);
	json_raw(j, "null", 4);
	value_done(j);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_id(struct json *j, const char *s)
{
	bool keep = j->keep_numbers;

	j->keep_numbers = true;
	json_str(j, s);
	j->keep_numbers = keep;
}

void json_kv_id(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_id(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
