// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for event_decode + event_json: a ring-buffer record is
 * kernel data we validate, never trust.  Beyond "no crash, no leak, no read
 * past the record" (the record is copied to an exact-size heap block), it
 * checks:
 *   - a rejected record has a reason (-EINVAL and a message);
 *   - an accepted record's views lie inside it, each path is NUL-terminated
 *     at path_len, and hdr.size == size;
 *   - the JSON line for it is one valid JSON object (checked by a small
 *     validator below: RFC 8259 grammar, UTF-8 in strings) naming the type.
 * Each input is also decoded with hdr.size patched to the input's size, so
 * the fuzzer reaches the per-type checks without first guessing the size,
 * and written as one JSON string value, so every byte sequence the fuzzer
 * makes goes through the escaper.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event/decode.h"
#include "event/event_json.h"

/* ---- a strict JSON validator ----------------------------------------------- */

struct fz_json {
	const unsigned char *p, *end;
	int depth;
};

static bool fz_value(struct fz_json *s);

static void fz_ws(struct fz_json *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool fz_lit(struct fz_json *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return false;
	s->p += n;
	return true;
}

static bool fz_hex4(struct fz_json *s)
{
	int i;

	for (i = 0; i < 4; i++, s->p++)
		if (s->p >= s->end || !strchr("0123456789abcdefABCDEF", *s->p) || !*s->p)
			return false;
	return true;
}

/* One UTF-8 sequence at s->p; rejects overlongs, surrogates, > U+10FFFF. */
static bool fz_utf8(struct fz_json *s)
{
	const unsigned char *c = s->p;
	size_t len, i;
	uint32_t cp;

	if (c[0] < 0x80) {
		s->p++;
		return true;
	}
	if ((c[0] & 0xe0) == 0xc0)
		len = 2, cp = c[0] & 0x1f;
	else if ((c[0] & 0xf0) == 0xe0)
		len = 3, cp = c[0] & 0x0f;
	else if ((c[0] & 0xf8) == 0xf0)
		len = 4, cp = c[0] & 0x07;
	else
		return false;
	if ((size_t)(s->end - c) < len)
		return false;
	for (i = 1; i < len; i++) {
		if ((c[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (c[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return false;
	s->p += len;
	return true;
}

static bool fz_string(struct fz_json *s)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p < 0x20)
			return false;
		if (*s->p == '\\') {
			s->p++;
			if (s->p >= s->end)
				return false;
			if (*s->p == 'u') {
				s->p++;
				if (!fz_hex4(s))
					return false;
			} else if (*s->p && strchr("\"\\/bfnrt", *s->p)) {
				s->p++;
			} else {
				return false;
			}
		} else if (!fz_utf8(s)) {
			return false;
		}
	}
	if (s->p >= s->end)
		return false;
	s->p++;
	return true;
}

static bool fz_number(struct fz_json *s)
{
	const unsigned char *start;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return false;
	if (*s->p == '0') {
		s->p++;
	} else if (*s->p >= '1' && *s->p <= '9') {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	} else {
		return false;
	}
	if (s->p < s->end && *s->p == '.') {
		start = ++s->p;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
		if (s->p == start)
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		start = s->p;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
		if (s->p == start)
			return false;
	}
	return true;
}

static bool fz_container(struct fz_json *s, char close, bool object)
{
	if (++s->depth > 64)
		return false;
	s->p++;
	fz_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		fz_ws(s);
		if (object) {
			if (!fz_string(s))
				return false;
			fz_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!fz_value(s))
			return false;
		fz_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p++ != close)
			return false;
		s->depth--;
		return true;
	}
}

static bool fz_value(struct fz_json *s)
{
	fz_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		return fz_container(s, '}', true);
	case '[':
		return fz_container(s, ']', false);
	case '"':
		return fz_string(s);
	case 't':
		return fz_lit(s, "true");
	case 'f':
		return fz_lit(s, "false");
	case 'n':
		return fz_lit(s, "null");
	default:
		return fz_number(s);
	}
}

/* Exactly one JSON object and nothing after it. */
static bool fz_valid_object(const char *text, size_t len)
{
	struct fz_json s = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };

	fz_ws(&s);
	if (s.p >= s.end || *s.p != '{' || !fz_value(&s))
		return false;
	fz_ws(&s);
	return s.p == s.end;
}

/* ---- the target --------------------------------------------------------------- */

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_decode: check failed: %s (line %d)\n", #cond, \
				__LINE__);                                                  \
			abort();                                                            \
		}                                                                           \
	} while (0)

static bool inside(const void *rec, size_t size, const void *p, size_t len)
{
	const char *r = rec, *q = p;

	return q >= r && q <= r + size && len <= (size_t)(r + size - q);
}

static void check_path(const void *rec, size_t size, const char *path, size_t len)
{
	CHECK(path);
	/* the NUL that ends the path is inside the record too */
	CHECK(inside(rec, size, path, len + 1));
	CHECK(path[len] == '\0');
	CHECK(strlen(path) == len);
}

static void render(const struct event *ev, const struct proc *p)
{
	char want[48];
	struct json j;

	json_init(&j);
	event_json(&j, ev, p, 1700000000000000000LL);
	CHECK(!j.out.oom);
	CHECK(j.out.data && strlen(j.out.data) == j.out.len);
	if (!fz_valid_object(j.out.data, j.out.len)) {
		fprintf(stderr, "fuzz_decode: invalid JSON: %s\n", j.out.data);
		abort();
	}
	snprintf(want, sizeof(want), "{\"event\":\"%s\",", event_type_name(ev->hdr->type));
	CHECK(!strncmp(j.out.data, want, strlen(want)));
	json_free(&j);
}

static void one(const uint8_t *data, size_t size)
{
	unsigned char *rec = malloc(size ? size : 1);
	char err[160], names[128];
	struct event ev;
	struct proc p;
	int ret;

	if (!rec)
		return;
	memcpy(rec, data, size);
	err[0] = '\0';
	ret = event_decode(rec, size, &ev, err, sizeof(err));
	if (ret) {
		CHECK(ret == -EINVAL);
		CHECK(err[0] != '\0');
		CHECK(strlen(err) < sizeof(err));
		free(rec);
		return;
	}
	CHECK(ev.hdr == (const void *)rec && ev.raw == (const void *)rec);
	CHECK(size >= sizeof(struct event_hdr) && ev.hdr->size == size);
	CHECK(ev.hdr->type > 0 && ev.hdr->type < EV_TYPE_MAX);
	switch (ev.hdr->type) {
	case EV_EXEC:
		check_path(rec, size, ev.path, ev.path_len);
		CHECK(ev.args_len <= CPRW_ARGS_MAX);
		CHECK(inside(rec, size, ev.args, ev.args_len));
		CHECK(ev.args + ev.args_len == (const char *)rec + size);
		break;
	case EV_OPEN:
	case EV_UNLINK:
		check_path(rec, size, ev.path, ev.path_len);
		CHECK(ev.path_len < CPRW_PATH_MAX);
		break;
	case EV_RENAME:
		check_path(rec, size, ev.path, ev.path_len);
		check_path(rec, size, ev.path2, ev.path2_len);
		CHECK(ev.path2 > ev.path);
		break;
	case EV_CLIPBOARD:
	case EV_TLS:
		/* content or plaintext bytes, not a string: bounded, inside, ending the record */
		CHECK(!ev.path && !ev.path2);
		CHECK(ev.args_len <=
		      (ev.hdr->type == EV_TLS ? CPRW_TLS_DATA_MAX : CPRW_CLIP_DATA_MAX));
		CHECK(inside(rec, size, ev.args, ev.args_len));
		CHECK(ev.args + ev.args_len == (const char *)rec + size);
		break;
	default:
		CHECK(!ev.path && !ev.path2 && !ev.args);
	}
	event_class_names(ev.hdr->classes, names, sizeof(names));
	CHECK(strlen(names) < sizeof(names));

	render(&ev, NULL);
	/* with a process and a joined close path, including bytes that are not UTF-8 */
	memset(&p, 0, sizeof(p));
	p.ppid = 1;
	p.loginuid = ev.hdr->uid;
	p.exe = (char *)"/usr/bin/\xff\"x";
	ev.file_path = "/tmp/\x01\xc3(\\";
	render(&ev, &p);
	free(rec);
}

/* The raw input as a string value: any byte sequence must still give valid JSON. */
static void raw_string(const uint8_t *data, size_t size)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "s");
	json_strn(&j, (const char *)data, size);
	json_kv_u64(&j, "n", size);
	json_obj_end(&j);
	CHECK(!j.out.oom);
	if (!fz_valid_object(j.out.data, j.out.len)) {
		fprintf(stderr, "fuzz_decode: invalid JSON for a raw string: %s\n", j.out.data);
		abort();
	}
	json_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	raw_string(data, size);
	one(data, size);
	/* the same record with a consistent size, to get past the first gate */
	if (size >= sizeof(struct event_hdr) && size <= CPRW_EVENT_MAX + 64) {
		uint8_t *copy = malloc(size);
		struct event_hdr h;

		if (!copy)
			return 0;
		memcpy(copy, data, size);
		memcpy(&h, copy, sizeof(h));
		if (h.size != size) {
			h.size = size;
			memcpy(copy, &h, sizeof(h));
			one(copy, size);
		}
		free(copy);
	}
	return 0;
}
