// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * PDF for the scanner, streamed in one pass with bounded memory.
 *
 * The file body is text to us, passed through a small extractor that decodes
 * string literals "(...)" (escapes, octal, UTF-16BE with a BOM) and hex
 * strings "<...>".  A stream whose dictionary names only /FlateDecode is
 * inflated and its content goes through the same extractor; images, fonts,
 * xref streams and other filters are skipped.
 *
 * Text shown by a TJ array is split by kerning numbers:
 * [(010101)-250(1234)] TJ.  Inside arrays the strings join, and a number of
 * -200 or less (a visible gap, in thousandths of an em) becomes a space, so
 * the example reads "010101 1234".  Outside arrays each string stands alone,
 * between spaces.
 *
 * Not handled: strings shown by separate Tj operators that together form one
 * number, fonts whose codes are not ASCII (Type0/Identity-H, custom
 * encodings: the glyph codes do not map to digits without the ToUnicode CMap),
 * encrypted PDFs (reported as unsupported), LZW and other filters, streams
 * whose "stream" keyword hides inside a string.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

enum { P_RAW, P_EOL, P_FLATE, P_SKIP };
enum { T_NORMAL, T_LT, T_HEX, T_LIT, T_ESC, T_OCT };

#define TAIL_LEN 1024 /* raw bytes kept to read a stream's dictionary */
#define KERN_GAP (-200)

struct pdf_tx {
	int st;
	int depth; /* literal parenthesis nesting */
	int arr;   /* array nesting */
	int oct, octn;
	int hex;   /* pending high nibble, or -1 */
	int spos;  /* bytes in the current string */
	int first; /* the first byte, held back to spot a UTF-16 BOM */
	bool u16;
	int u16hi;
	int numlen;
	char num[16];
};

struct pdf {
	struct scan_ctx *c;
	int st;
	bool eol_cr;
	bool encrypted;
	uint64_t hist; /* last eight raw bytes */
	unsigned int streams, bad;
	size_t tail_len;
	struct pdf_tx raw, sub;
	struct inflater z;
	struct tbuf tb;
	unsigned char tail[TAIL_LEN];
};

static inline bool is_ws(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void str_begin(struct pdf_tx *t)
{
	t->spos = 0;
	t->u16 = false;
	t->u16hi = -1;
}

static void str_byte(struct pdf *p, struct pdf_tx *t, int b)
{
	b &= 0xff;
	if (t->spos == 0) {
		t->first = b;
		t->spos = 1;
		return;
	}
	if (t->spos == 1) {
		t->spos = 2;
		if (t->first == 0xfe && b == 0xff) {
			t->u16 = true;
			return;
		}
		tb_put(&p->tb, t->first);
	}
	if (!t->u16) {
		tb_put(&p->tb, b);
		return;
	}
	if (t->u16hi < 0) {
		t->u16hi = b;
		return;
	}
	tb_put(&p->tb, utf_detector_byte((uint32_t)t->u16hi << 8 | b));
	t->u16hi = -1;
}

static void str_end(struct pdf *p, struct pdf_tx *t)
{
	if (t->spos == 1)
		tb_put(&p->tb, t->first);
	t->spos = 0;
	t->st = T_NORMAL;
	if (!t->arr)
		tb_put(&p->tb, ' ');
}

/* A number inside an array ended: a wide kerning gap reads as a space. */
static void num_end(struct pdf *p, struct pdf_tx *t)
{
	t->num[t->numlen < (int)sizeof(t->num) ? t->numlen : (int)sizeof(t->num) - 1] = 0;
	if (strtol(t->num, NULL, 10) <= KERN_GAP)
		tb_put(&p->tb, ' ');
	t->numlen = 0;
}

static void tx_byte(struct pdf *p, struct pdf_tx *t, int c)
{
	switch (t->st) {
	case T_NORMAL:
		if (t->numlen) {
			if ((c >= '0' && c <= '9') || c == '.') {
				if (t->numlen < (int)sizeof(t->num) - 1)
					t->num[t->numlen++] = c;
				return;
			}
			num_end(p, t);
		}
		switch (c) {
		case '(':
			t->st = T_LIT;
			t->depth = 1;
			str_begin(t);
			if (!t->arr)
				tb_put(&p->tb, ' ');
			return;
		case '<':
			t->st = T_LT;
			return;
		case '[':
			t->arr++;
			tb_put(&p->tb, ' ');
			return;
		case ']':
			if (t->arr)
				t->arr--;
			tb_put(&p->tb, ' ');
			return;
		}
		if (t->arr && ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')) {
			t->num[0] = c;
			t->numlen = 1;
			return;
		}
		tb_put(&p->tb, c);
		return;
	case T_LT:
		if (c == '<') {
			t->st = T_NORMAL;
			tb_write(&p->tb, (const unsigned char *)"<<", 2);
			return;
		}
		t->st = T_HEX;
		t->hex = -1;
		str_begin(t);
		if (!t->arr)
			tb_put(&p->tb, ' ');
		/* c is the string's first character */
		__attribute__((fallthrough));
	case T_HEX:
		if (c == '>' || (hexval(c) < 0 && !is_ws(c))) {
			if (t->hex >= 0)
				str_byte(p, t, t->hex << 4);
			str_end(p, t);
			if (c != '>')
				tx_byte(p, t, c);
			return;
		}
		if (hexval(c) < 0)
			return;
		if (t->hex < 0) {
			t->hex = hexval(c);
		} else {
			str_byte(p, t, t->hex << 4 | hexval(c));
			t->hex = -1;
		}
		return;
	case T_LIT:
		if (c == '\\') {
			t->st = T_ESC;
		} else if (c == '(') {
			t->depth++;
			str_byte(p, t, c);
		} else if (c == ')' && --t->depth == 0) {
			str_end(p, t);
		} else {
			str_byte(p, t, c);
		}
		return;
	case T_ESC:
		t->st = T_LIT;
		switch (c) {
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case '\r':
		case '\n':
			return; /* line continuation */
		default:
			if (c >= '0' && c <= '7') {
				t->st = T_OCT;
				t->oct = c - '0';
				t->octn = 1;
				return;
			}
		}
		str_byte(p, t, c);
		return;
	case T_OCT:
		if (c >= '0' && c <= '7' && t->octn < 3) {
			t->oct = t->oct * 8 + c - '0';
			if (++t->octn == 3) {
				str_byte(p, t, t->oct);
				t->st = T_LIT;
			}
			return;
		}
		str_byte(p, t, t->oct);
		t->st = T_LIT;
		tx_byte(p, t, c);
		return;
	}
}

static void tx_reset(struct pdf_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->hex = -1;
	t->u16hi = -1;
}

static bool has_name(const unsigned char *d, size_t n, const char *name)
{
	size_t k = strlen(name);
	const unsigned char *q = d, *end = d + n;

	while ((q = memmem(q, end - q, name, k))) {
		int next = q + k < end ? q[k] : ' ';

		/* A name ends at whitespace or a delimiter. */
		if (!((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
		      (next >= '0' && next <= '9')))
			return true;
		q++;
	}
	return false;
}

static bool is_image(const unsigned char *d, size_t n)
{
	const unsigned char *q = d, *end = d + n;

	while ((q = memmem(q, end - q, "/Subtype", 8))) {
		q += 8;
		while (q < end && is_ws(*q))
			q++;
		if (end - q >= 6 && !memcmp(q, "/Image", 6))
			return true;
	}
	return false;
}

/* Decides what to do with a stream from its dictionary (the tail since "obj"). */
static int stream_kind(struct pdf *p)
{
	static const char *const other[] = {
		"/DCTDecode",	   "/JPXDecode",       "/CCITTFaxDecode",
		"/JBIG2Decode",	   "/LZWDecode",       "/ASCII85Decode",
		"/ASCIIHexDecode", "/RunLengthDecode", "/Crypt",
	};
	static const char *const binary[] = {
		"/Length1", "/Type1C", "/CIDFontType0C", "/OpenType", "/XRef",
	};
	const unsigned char *d = p->tail, *o;
	size_t n = p->tail_len, i;

	for (o = d; (o = memmem(o, d + n - o, "obj", 3)); o += 3) {
		n -= o + 3 - d;
		d = o + 3;
	}
	if (!has_name(d, n, "/Filter"))
		return P_RAW; /* uncompressed: the raw extractor reads it as is */
	if (!has_name(d, n, "/FlateDecode") || is_image(d, n))
		return P_SKIP;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (has_name(d, n, other[i]))
			return P_SKIP;
	for (i = 0; i < sizeof(binary) / sizeof(binary[0]); i++)
		if (has_name(d, n, binary[i]))
			return P_SKIP;
	return P_FLATE;
}

static void stream_begin(struct pdf *p)
{
	p->st = stream_kind(p);
	p->tail_len = 0;
	p->hist = 0;
	if (p->st != P_FLATE)
		return;
	p->streams++;
	if (infl_init(p->c, &p->z, 32 + MAX_WBITS, "pdf stream")) {
		p->st = P_SKIP;
		return;
	}
	p->z.quiet = true;
	tb_flush(&p->tb);
	scan_text_break(p->c);
	tx_reset(&p->sub);
}

static void stream_end(struct pdf *p, bool ok)
{
	if (!ok)
		p->bad++;
	tb_flush(&p->tb);
	scan_text_break(p->c);
	infl_end(&p->z);
	p->st = P_SKIP;
	p->hist = 0;
}

static int emit_stream(void *arg, const unsigned char *b, size_t n)
{
	struct pdf *p = arg;
	size_t i;

	for (i = 0; i < n; i++)
		tx_byte(p, &p->sub, b[i]);
	return p->c->stop ? -ECANCELED : 0;
}

#define W8(a, b, c, d, e, f, g, h)                                                               \
	((uint64_t)(a) << 56 | (uint64_t)(b) << 48 | (uint64_t)(c) << 40 | (uint64_t)(d) << 32 | \
	 (uint64_t)(e) << 24 | (uint64_t)(f) << 16 | (uint64_t)(g) << 8 | (uint64_t)(h))

/* Raw bytes until a stream keyword; returns bytes consumed. */
static size_t raw_run(struct pdf *p, const unsigned char *b, size_t n)
{
	const uint64_t stream = W8(0, 0, 's', 't', 'r', 'e', 'a', 'm');
	const uint64_t encrypt = W8('/', 'E', 'n', 'c', 'r', 'y', 'p', 't');
	size_t i;

	for (i = 0; i < n; i++) {
		int c = b[i], before;

		if (p->tail_len == TAIL_LEN) {
			memmove(p->tail, p->tail + TAIL_LEN / 2, TAIL_LEN / 2);
			p->tail_len = TAIL_LEN / 2;
		}
		p->tail[p->tail_len++] = c;
		p->hist = p->hist << 8 | c;
		tx_byte(p, &p->raw, c);
		if (p->hist == encrypt)
			p->encrypted = true;
		if ((p->hist & 0xffffffffffffULL) != stream)
			continue;
		before = (p->hist >> 48) & 0xff;
		if (is_ws(before) || before == '>') {
			p->st = P_EOL;
			p->eol_cr = false;
			return i + 1;
		}
	}
	return n;
}

/* Skips stream data up to "endstream"; returns bytes consumed. */
static size_t skip_run(struct pdf *p, const unsigned char *b, size_t n)
{
	const uint64_t ndstream = W8('n', 'd', 's', 't', 'r', 'e', 'a', 'm');
	size_t i;

	for (i = 0; i < n; i++) {
		p->hist = p->hist << 8 | b[i];
		if (p->hist == ndstream) {
			p->st = P_RAW;
			return i + 1;
		}
	}
	return n;
}

int pdf_write(struct pdf *p, const unsigned char *b, size_t n)
{
	size_t i = 0, used;
	int r;

	while (i < n && !p->c->stop) {
		switch (p->st) {
		case P_RAW:
			i += raw_run(p, b + i, n - i);
			break;
		case P_EOL:
			if (b[i] == '\r' && !p->eol_cr) {
				p->eol_cr = true;
				i++;
				break;
			}
			if (b[i] == '\n')
				i++;
			stream_begin(p);
			break;
		case P_FLATE:
			r = infl_run(p->c, &p->z, b + i, n - i, &used, emit_stream, p);
			if (r == -EBADMSG) {
				stream_end(p, false);
				i++; /* resynchronise on "endstream" */
				break;
			}
			if (r < 0) {
				stream_end(p, true);
				return r;
			}
			i += used;
			if (r == 1)
				stream_end(p, true);
			break;
		case P_SKIP:
			i += skip_run(p, b + i, n - i);
			break;
		}
	}
	return p->c->stop ? -ECANCELED : 0;
}

struct pdf *pdf_new(struct scan_ctx *c)
{
	struct pdf *p = calloc(1, sizeof(*p));

	if (!p) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "pdf: out of memory");
		return NULL;
	}
	p->c = c;
	p->tb.c = c;
	tx_reset(&p->raw);
	tx_reset(&p->sub);
	return p;
}

void pdf_close(struct pdf *p)
{
	struct scan_ctx *c = p->c;

	if (p->st == P_FLATE) {
		stream_end(p, true);
		if (!c->stop)
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "pdf: truncated stream");
	}
	tb_flush(&p->tb);
	if (p->encrypted)
		scan_encrypted(c, "pdf");
	else if (p->bad)
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
			     "pdf: %u of %u streams failed to inflate", p->bad, p->streams);
	free(p);
}
