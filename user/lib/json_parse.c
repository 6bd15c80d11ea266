// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Strict JSON parser (see json_parse.h).  Recursive descent, one frame pair
 * per nesting level, so the depth limit also bounds the stack.
 *
 * Ownership on errors: every container is kept freeable while it is built
 * (a member slot is zeroed and counted before it is parsed), so the only
 * cleanup is one jval_free of the whole tree in json_parse.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_parse.h"
#include "utf8.h"

struct jparser {
	const char *buf;
	size_t len;
	size_t pos;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail_at(struct jparser *p, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err && p->errlen) {
		n = snprintf(p->err, p->errlen, "offset %zu: ", off);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int fail_nomem(struct jparser *p)
{
	fail_at(p, p->pos, "out of memory");
	return -ENOMEM;
}

static bool at_end(const struct jparser *p)
{
	return p->pos >= p->len;
}

static unsigned char peek(const struct jparser *p)
{
	return (unsigned char)p->buf[p->pos];
}

static void skip_ws(struct jparser *p)
{
	while (!at_end(p)) {
		unsigned char c = peek(p);

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Error for the byte at pos (or the end), naming it so a hand-editor can find it. */
static int fail_here(struct jparser *p, const char *what)
{
	unsigned char c;

	if (at_end(p))
		return fail_at(p, p->pos, "unexpected end of input, %s", what);
	c = peek(p);
	if (c > 0x20 && c < 0x7f)
		return fail_at(p, p->pos, "unexpected '%c', %s", c, what);
	return fail_at(p, p->pos, "unexpected byte 0x%02x, %s", c, what);
}

/* Make room for one more element; doubling keeps appends O(1) amortised. */
static int grow(void **arr, size_t elem, size_t *cap, size_t need)
{
	size_t ncap;
	void *na;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 4;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	na = realloc(*arr, ncap * elem);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = ncap;
	return 0;
}

void jval_free(struct jval *v)
{
	size_t i;

	if (!v)
		return;
	if (v->type == JARR || v->type == JOBJ) {
		for (i = 0; i < v->len; i++) {
			jval_free(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
		free(v->items);
		free(v->keys);
	}
	free(v->str);
	memset(v, 0, sizeof(*v));
}

/* ---- strings ---------------------------------------------------------- */

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Four hex digits at pos, all before end; -1 when not. */
static int32_t hex4(const struct jparser *p, size_t pos, size_t end)
{
	int32_t v = 0;
	size_t i;

	if (end - pos < 4)
		return -1;
	for (i = pos; i < pos + 4; i++) {
		unsigned char c = p->buf[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * \uXXXX at pos (the backslash), with its low surrogate when it is a high
 * one.  Returns the bytes of input used, or a negative errno.
 */
static int unicode_escape(struct jparser *p, size_t pos, size_t end, uint32_t *cp)
{
	int32_t hi, lo;

	hi = hex4(p, pos + 2, end);
	if (hi < 0)
		return fail_at(p, pos, "\\u needs four hex digits");
	if (hi == 0)
		return fail_at(p, pos, "\\u0000 is not allowed");
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail_at(p, pos, "lone low surrogate \\u%04x", hi);
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 6;
	}
	if (end - pos < 12 || p->buf[pos + 6] != '\\' || p->buf[pos + 7] != 'u')
		return fail_at(p, pos, "high surrogate \\u%04x without a low one", hi);
	lo = hex4(p, pos + 8, end);
	if (lo < 0xdc00 || lo > 0xdfff)
		return fail_at(p, pos, "high surrogate \\u%04x without a low one", hi);
	*cp = 0x10000 + ((uint32_t)(hi - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

static char simple_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '/':
		return '/';
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	}
	return 0;
}

/* Decode buf[start..end) into out; out has room for end - start bytes. */
static int decode_string(struct jparser *p, size_t start, size_t end, char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)p->buf;
	size_t i = start, n = 0, k;
	uint32_t cp = 0; /* set by unicode_escape; gcc cannot see it */
	int rc;

	while (i < end) {
		if (s[i] == '\\') {
			if (s[i + 1] == 'u') {
				rc = unicode_escape(p, i, end, &cp);
				if (rc < 0)
					return rc;
				n += utf8_put(out + n, cp);
				i += rc;
				continue;
			}
			out[n] = simple_escape(s[i + 1]);
			if (!out[n])
				return fail_at(p, i, "invalid escape");
			n++;
			i += 2;
		} else if (s[i] < 0x20) {
			return fail_at(p, i, "control byte 0x%02x must be escaped", s[i]);
		} else {
			k = utf8_next(s + i, end - i, NULL);
			if (!k)
				return fail_at(p, i, "invalid UTF-8");
			memcpy(out + n, s + i, k);
			n += k;
			i += k;
		}
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

/*
 * String at pos (the opening quote).  The closing quote is found first so
 * the output can be sized once: decoding never makes a string longer.
 */
static int parse_string(struct jparser *p, char **out, size_t *outlen)
{
	size_t start = p->pos + 1, end = start;
	int rc;

	while (end < p->len && p->buf[end] != '"')
		end += p->buf[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return fail_at(p, p->len, "unterminated string starting at offset %zu", p->pos);
	*out = malloc(end - start + 1);
	if (!*out)
		return fail_nomem(p);
	rc = decode_string(p, start, end, *out, outlen);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return rc;
	}
	p->pos = end + 1;
	return 0;
}

/* ---- numbers ---------------------------------------------------------- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void skip_digits(struct jparser *p)
{
	while (!at_end(p) && is_digit(peek(p)))
		p->pos++;
}

/* Decimal digits to u64; false on overflow.  Exact, unlike strtod. */
static bool digits_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned d = s[i] - '0';

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod in the C locale: the process locale could make ',' the decimal point. */
static int text_to_double(const char *text, double *out)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (!c_locale)
		return -ENOMEM;
	*out = strtod_l(text, NULL, c_locale);
	return 0;
}

/* Scan the RFC 8259 number grammar; *integral when it has no fraction or exponent. */
static int scan_number(struct jparser *p, bool *integral)
{
	*integral = true;
	if (peek(p) == '-')
		p->pos++;
	if (at_end(p) || !is_digit(peek(p)))
		return fail_here(p, "expected a digit");
	if (peek(p) == '0') {
		p->pos++;
		if (!at_end(p) && is_digit(peek(p)))
			return fail_at(p, p->pos - 1, "leading zero in number");
	} else {
		skip_digits(p);
	}
	if (!at_end(p) && peek(p) == '.') {
		*integral = false;
		p->pos++;
		if (at_end(p) || !is_digit(peek(p)))
			return fail_here(p, "expected a digit after '.'");
		skip_digits(p);
	}
	if (!at_end(p) && (peek(p) == 'e' || peek(p) == 'E')) {
		*integral = false;
		p->pos++;
		if (!at_end(p) && (peek(p) == '+' || peek(p) == '-'))
			p->pos++;
		if (at_end(p) || !is_digit(peek(p)))
			return fail_here(p, "expected a digit in the exponent");
		skip_digits(p);
	}
	return 0;
}

/* Integer value of an integral token (optional '-', then digits), when int64 holds it. */
static bool text_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = s[0] == '-';
	uint64_t mag;

	if (!digits_u64(s + neg, n - neg, &mag))
		return false;
	if (!neg && mag <= INT64_MAX)
		*out = mag;
	else if (neg && mag <= (uint64_t)INT64_MAX + 1)
		*out = mag ? -(int64_t)(mag - 1) - 1 : 0;
	else
		return false;
	return true;
}

static int parse_number(struct jparser *p, struct jval *v)
{
	size_t start = p->pos;
	bool integral;
	int rc;

	rc = scan_number(p, &integral);
	if (rc < 0)
		return rc;
	v->type = JNUM;
	v->len = p->pos - start;
	v->str = strndup(p->buf + start, v->len);
	if (!v->str || text_to_double(v->str, &v->num) < 0)
		return fail_nomem(p);
	if (isinf(v->num))
		return fail_at(p, start, "number out of range");
	v->is_int = integral && text_i64(v->str, v->len, &v->i);
	return 0;
}

/* ---- values ----------------------------------------------------------- */

static int parse_value(struct jparser *p, struct jval *v, int depth);

static int parse_literal(struct jparser *p, struct jval *v, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n))
		return fail_at(p, p->pos, "invalid literal (expected %s)", word);
	p->pos += n;
	if (word[0] != 'n') {
		v->type = JBOOL;
		v->b = word[0] == 't';
	}
	return 0;
}

/* After a member: ',' means another one follows, close ends the container. */
static int member_sep(struct jparser *p, char close, bool *more)
{
	skip_ws(p);
	if (!at_end(p) && peek(p) == ',') {
		p->pos++;
		*more = true;
		return 0;
	}
	if (!at_end(p) && peek(p) == close) {
		p->pos++;
		*more = false;
		return 0;
	}
	return fail_here(p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
}

/* Open a container at pos; *empty when it closes at once. */
static int open_container(struct jparser *p, struct jval *v, enum jtype type, int depth,
			  bool *empty)
{
	char close = type == JARR ? ']' : '}';

	if (depth >= JSON_PARSE_MAX_DEPTH)
		return fail_at(p, p->pos, "nested deeper than %d", JSON_PARSE_MAX_DEPTH);
	v->type = type;
	p->pos++;
	skip_ws(p);
	*empty = !at_end(p) && peek(p) == close;
	if (*empty)
		p->pos++;
	return 0;
}

static int parse_array(struct jparser *p, struct jval *v, int depth)
{
	size_t cap = 0;
	bool empty, more;
	int rc;

	rc = open_container(p, v, JARR, depth, &empty);
	if (rc < 0 || empty)
		return rc;
	do {
		if (grow((void **)&v->items, sizeof(*v->items), &cap, v->len + 1) < 0)
			return fail_nomem(p);
		memset(&v->items[v->len], 0, sizeof(*v->items));
		rc = parse_value(p, &v->items[v->len++], depth + 1);
		if (rc < 0)
			return rc;
		rc = member_sep(p, ']', &more);
		if (rc < 0)
			return rc;
	} while (more);
	return 0;
}

struct key_ref {
	const char *key;
	size_t idx;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Drop all but the last of each duplicate key.  Sorting (key, position)
 * rather than checking each new key against the others keeps an object
 * with many keys O(n log n) instead of quadratic.
 */
static int dedup_keys(struct jparser *p, struct jval *v)
{
	struct key_ref *refs;
	size_t i, n = 0;

	if (v->len < 2)
		return 0;
	refs = calloc(v->len, sizeof(*refs));
	if (!refs)
		return fail_nomem(p);
	for (i = 0; i < v->len; i++)
		refs[i] = (struct key_ref){ v->keys[i], i };
	qsort(refs, v->len, sizeof(*refs), key_ref_cmp);
	for (i = 0; i + 1 < v->len; i++) {
		if (strcmp(refs[i].key, refs[i + 1].key))
			continue;
		/* an earlier position of the same key: superseded */
		jval_free(&v->items[refs[i].idx]);
		free(v->keys[refs[i].idx]);
		v->keys[refs[i].idx] = NULL;
	}
	free(refs);
	for (i = 0; i < v->len; i++) {
		if (!v->keys[i])
			continue;
		v->keys[n] = v->keys[i];
		v->items[n++] = v->items[i];
	}
	v->len = n;
	return 0;
}

/* Add a zeroed member slot (counted at once, so an error frees it). */
static int add_member(struct jparser *p, struct jval *v, size_t *icap, size_t *kcap)
{
	if (grow((void **)&v->items, sizeof(*v->items), icap, v->len + 1) < 0 ||
	    grow((void **)&v->keys, sizeof(*v->keys), kcap, v->len + 1) < 0)
		return fail_nomem(p);
	memset(&v->items[v->len], 0, sizeof(*v->items));
	v->keys[v->len] = NULL;
	v->len++;
	return 0;
}

static int parse_member(struct jparser *p, struct jval *v, size_t *icap, size_t *kcap, int depth)
{
	size_t keylen, n;
	int rc;

	skip_ws(p);
	if (at_end(p) || peek(p) != '"')
		return fail_here(p, "expected a string key");
	rc = add_member(p, v, icap, kcap);
	if (rc < 0)
		return rc;
	n = v->len - 1;
	rc = parse_string(p, &v->keys[n], &keylen);
	if (rc < 0)
		return rc;
	skip_ws(p);
	if (at_end(p) || peek(p) != ':')
		return fail_here(p, "expected ':'");
	p->pos++;
	return parse_value(p, &v->items[n], depth + 1);
}

static int parse_object(struct jparser *p, struct jval *v, int depth)
{
	size_t icap = 0, kcap = 0;
	bool empty, more;
	int rc;

	rc = open_container(p, v, JOBJ, depth, &empty);
	if (rc < 0 || empty)
		return rc;
	do {
		rc = parse_member(p, v, &icap, &kcap, depth);
		if (rc < 0)
			return rc;
		rc = member_sep(p, '}', &more);
		if (rc < 0)
			return rc;
	} while (more);
	return dedup_keys(p, v);
}

/* depth: containers already open around this value. */
static int parse_value(struct jparser *p, struct jval *v, int depth)
{
	skip_ws(p);
	if (at_end(p))
		return fail_here(p, "expected a value");
	switch (peek(p)) {
	case '{':
		return parse_object(p, v, depth);
	case '[':
		return parse_array(p, v, depth);
	case '"':
		v->type = JSTR;
		return parse_string(p, &v->str, &v->len);
	case 't':
		return parse_literal(p, v, "true");
	case 'f':
		return parse_literal(p, v, "false");
	case 'n':
		return parse_literal(p, v, "null");
	case '-':
	case '0' ... '9':
		return parse_number(p, v);
	}
	return fail_here(p, "expected a value");
}

int json_parse(const char *buf, size_t len, struct jval *out, char *err, size_t errlen)
{
	struct jparser p = { .buf = buf, .len = len, .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return fail_at(&p, 0, "no buffer");
	rc = parse_value(&p, out, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (!at_end(&p))
			rc = fail_here(&p, "expected end of input after the value");
	}
	if (rc < 0)
		jval_free(out);
	return rc;
}

/* ---- lookups ---------------------------------------------------------- */

const struct jval *jobj_get(const struct jval *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != JOBJ || !key)
		return NULL;
	for (i = 0; i < obj->len; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const char *jobj_str(const struct jval *obj, const char *key)
{
	const struct jval *v = jobj_get(obj, key);

	return v && v->type == JSTR ? v->str : NULL;
}

bool jobj_i64(const struct jval *obj, const char *key, int64_t *out)
{
	const struct jval *v = jobj_get(obj, key);

	if (!v || v->type != JNUM || !v->is_int)
		return false;
	*out = v->i;
	return true;
}

bool jobj_u64(const struct jval *obj, const char *key, uint64_t *out)
{
	const struct jval *v = jobj_get(obj, key);

	if (!v || v->type != JNUM || !v->str)
		return false;
	/* "-0" is zero; any other '-' is negative */
	if (v->len == 2 && !memcmp(v->str, "-0", 2)) {
		*out = 0;
		return true;
	}
	if (strspn(v->str, "0123456789") != v->len)
		return false;
	return digits_u64(v->str, v->len, out);
}

bool jobj_bool(const struct jval *obj, const char *key, bool *out)
{
	const struct jval *v = jobj_get(obj, key);

	if (!v || v->type != JBOOL)
		return false;
	*out = v->b;
	return true;
}
