// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for json_parse.  Beyond "no crash, no leak, no read past
 * len" (libFuzzer's data is an exact-size heap buffer), it checks:
 *   - an error leaves *out zeroed and says "offset N" with N <= len;
 *   - a parsed tree is well-formed (strings NUL-terminated UTF-8 of len
 *     bytes, keys unique, depth within the limit, is_int agrees with i);
 *   - serializing the tree and parsing that again gives the same tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json_parse.h"
#include "utf8_check.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			abort();
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s, size_t n)
{
	char tmp[8];
	size_t i;

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\' || c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(o, tmp, 6);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
}

static void serialize(struct out *o, const struct jval *v)
{
	size_t i;

	switch (v->type) {
	case JNULL:
		put(o, "null", 4);
		return;
	case JBOOL:
		put(o, v->b ? "true" : "false", v->b ? 4 : 5);
		return;
	case JNUM:
		put(o, v->str, v->len);
		return;
	case JSTR:
		put_str(o, v->str, v->len);
		return;
	case JARR:
	case JOBJ:
		put(o, v->type == JARR ? "[" : "{", 1);
		for (i = 0; i < v->len; i++) {
			if (i)
				put(o, ",", 1);
			if (v->type == JOBJ) {
				put_str(o, v->keys[i], strlen(v->keys[i]));
				put(o, ":", 1);
			}
			serialize(o, &v->items[i]);
		}
		put(o, v->type == JARR ? "]" : "}", 1);
		return;
	}
	abort();
}

static void check_tree(const struct jval *v, int depth)
{
	size_t i, k;

	switch (v->type) {
	case JNULL:
	case JBOOL:
		return;
	case JNUM:
		if (!v->str || strlen(v->str) != v->len || (v->is_int && v->num != (double)v->i))
			abort();
		return;
	case JSTR:
		if (!v->str || strlen(v->str) != v->len ||
		    !valid_utf8((const unsigned char *)v->str, v->len))
			abort();
		return;
	case JARR:
	case JOBJ:
		if (depth >= JSON_PARSE_MAX_DEPTH)
			abort();
		for (i = 0; i < v->len; i++)
			check_tree(&v->items[i], depth + 1);
		/* quadratic, so only on small objects */
		if (v->type == JOBJ && v->len <= 64)
			for (i = 0; i < v->len; i++)
				for (k = i + 1; k < v->len; k++)
					if (!strcmp(v->keys[i], v->keys[k]))
						abort();
		return;
	}
	abort();
}

static bool same(const struct jval *a, const struct jval *b)
{
	size_t i;

	if (a->type != b->type || a->len != b->len)
		return false;
	switch (a->type) {
	case JNULL:
		return true;
	case JBOOL:
		return a->b == b->b;
	case JNUM:
	case JSTR:
		return !memcmp(a->str, b->str, a->len);
	case JARR:
	case JOBJ:
		for (i = 0; i < a->len; i++)
			if ((a->keys && strcmp(a->keys[i], b->keys[i])) ||
			    !same(&a->items[i], &b->items[i]))
				return false;
		return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jval v, again;
	struct out o = { 0 };
	char err[128];
	unsigned long off;
	uint64_t u;
	int64_t i;
	bool b;
	int rc;

	rc = json_parse((const char *)data, size, &v, err, sizeof(err));
	if (rc) {
		static const struct jval zero;

		if ((rc != -EINVAL && rc != -ENOMEM) || memcmp(&v, &zero, sizeof(v)) ||
		    sscanf(err, "offset %lu:", &off) != 1 || off > size)
			abort();
		return 0;
	}
	check_tree(&v, 0);
	/* lookups must not crash whatever the tree */
	jobj_str(&v, "type");
	jobj_i64(&v, "pid", &i);
	jobj_u64(&v, "bytes", &u);
	jobj_bool(&v, "ok", &b);

	serialize(&o, &v);
	if (json_parse(o.buf, o.len, &again, err, sizeof(err)) || !same(&v, &again))
		abort();
	free(o.buf);
	jval_free(&again);
	jval_free(&v);
	return 0;
}
