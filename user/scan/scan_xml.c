// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Office XML to text for the scanner (docx, xlsx, pptx, odt, ods, odp), and
 * HTML (scan_stream.c sniffs it), which reads the same way.
 *
 * Word and its kin split text into runs wherever formatting, spell-checking or
 * revision ids change, so a number typed in one go may be stored as
 * <w:t>0101</w:t></w:r><w:r><w:t>011234</w:t>.  Scanning the XML bytes would
 * miss it; here tags vanish and the runs join, while the tags that end a
 * paragraph, a cell, a row or stand for a tab, break or space become a space,
 * so text from different cells never joins.  Attributes are dropped, entities
 * decoded, comments and processing instructions skipped, CDATA kept.
 *
 * In xlsx sheets a number lives in <v>: a 9-digit value there is a CPR whose
 * leading zero Excel dropped (the column was numeric), so it is padded to ten
 * digits before the detector sees it.
 */
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

enum { X_TEXT, X_LT, X_NAME, X_ATTR, X_QUOTE, X_BANG, X_COMMENT, X_CDATA, X_PI, X_DECL, X_ENT };

#define NAME_LEN 24
#define ENT_LEN 12
#define V_LEN 16

struct xml {
	struct scan_ctx *c;
	bool pad9;
	int st;
	bool closing; /* </name> */
	bool slash;   /* last attribute-area byte was '/' */
	int quote;
	unsigned int nlen, colon, elen, blen, vlen, match;
	bool in_v, v_over;
	char name[NAME_LEN];
	char ent[ENT_LEN];
	char bang[8];
	unsigned char v[V_LEN];
	struct tbuf tb;
};

/*
 * Local names (namespace prefix dropped) whose tags separate text.  Anything
 * else - runs, run properties, spans, bookmarks, proofing marks - joins.
 */
#define B(s)                     \
	{                        \
		s, sizeof(s) - 1 \
	}
static const struct {
	const char *name;
	unsigned int len;
} breaks[] = {
	B("p"),
	B("h"),
	B("c"),
	B("v"),
	B("f"),
	B("s"),
	B("tab"),
	B("br"),
	B("cr"),
	B("tc"),
	B("tr"),
	B("row"),
	B("si"),
	B("is"),
	B("line-break"),
	B("table-cell"),
	B("table-row"),
	B("list-item"),
	B("note"),
	B("annotation"),
	B("footnote"),
	B("endnote"),
	B("txbx"),
	B("txbxContent"),
	B("ptab"),
	/* HTML blocks and cells (HTML goes through this extractor too) */
	B("td"),
	B("th"),
	B("div"),
	B("li"),
	B("table"),
	B("h1"),
	B("h2"),
	B("h3"),
	B("h4"),
	B("h5"),
	B("h6"),
	B("title"),
	B("dd"),
	B("dt"),
	B("pre"),
	B("blockquote"),
	B("option"),
	B("hr"),
};
#undef B

static bool is_break(const char *local, unsigned int len)
{
	size_t i, j;

	for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		if (breaks[i].len != len)
			continue;
		for (j = 0; j < len && breaks[i].name[j] == local[j]; j++)
			;
		if (j == len)
			return true;
	}
	return false;
}

/* Text goes to the <v> buffer while inside one (xlsx), else to the detector. */
static void emit(struct xml *x, unsigned char ch)
{
	if (x->in_v && !x->v_over) {
		if (x->vlen < V_LEN) {
			x->v[x->vlen++] = ch;
			return;
		}
		tb_write(&x->tb, x->v, x->vlen);
		x->v_over = true;
	}
	tb_put(&x->tb, ch);
}

static void v_flush(struct xml *x)
{
	unsigned int i;

	if (!x->in_v)
		return;
	x->in_v = false;
	if (x->v_over)
		return;
	for (i = 0; i < x->vlen && x->v[i] >= '0' && x->v[i] <= '9'; i++)
		;
	if (x->vlen == 9 && i == 9)
		tb_put(&x->tb, '0');
	tb_write(&x->tb, x->v, x->vlen);
}

static void tag_name_done(struct xml *x)
{
	unsigned int n = x->nlen < NAME_LEN ? x->nlen : NAME_LEN - 1;
	const char *local;
	unsigned int len;

	x->name[n] = 0;
	local = x->name + x->colon;
	len = n - x->colon;
	if (!len)
		return;
	if (x->pad9 && len == 1 && local[0] == 'v') {
		if (x->closing) {
			v_flush(x);
		} else {
			x->in_v = true;
			x->v_over = false;
			x->vlen = 0;
		}
	}
	if (is_break(local, len))
		tb_put(&x->tb, ' ');
	else if (len == 13 && !memcmp(local, "noBreakHyphen", 13))
		tb_put(&x->tb, '-');
}

static void tag_end(struct xml *x)
{
	/* <v/> opens and closes at once. */
	if (x->slash && x->in_v)
		v_flush(x);
	x->st = X_TEXT;
}

static void entity_done(struct xml *x)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
	};
	unsigned long cp;
	char *end;
	size_t i;

	x->ent[x->elen] = 0;
	if (x->ent[0] == '#') {
		if (x->ent[1] == 'x' || x->ent[1] == 'X')
			cp = strtoul(x->ent + 2, &end, 16);
		else
			cp = strtoul(x->ent + 1, &end, 10);
		if (end != x->ent + 1 && !*end) {
			emit(x, utf_detector_byte(cp > 0x10ffff ? 0xfffd : cp));
			return;
		}
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strcmp(x->ent, named[i].name)) {
			emit(x, named[i].ch);
			return;
		}
	}
	emit(x, ' '); /* unknown entity: a boundary, not text */
}

/* Text up to the next '<' or '&', emitted as a span. */
static size_t text_run(struct xml *x, const unsigned char *b, size_t n)
{
	const unsigned char *lt = memchr(b, '<', n), *amp;
	size_t len = lt ? (size_t)(lt - b) : n;

	amp = memchr(b, '&', len);
	if (amp)
		len = amp - b;
	if (x->in_v && !x->v_over) {
		size_t i;

		for (i = 0; i < len; i++)
			emit(x, b[i]);
	} else {
		tb_write(&x->tb, b, len);
	}
	if (len < n) {
		x->st = b[len] == '<' ? X_LT : X_ENT;
		x->elen = 0;
		return len + 1;
	}
	return len;
}

static void xml_byte(struct xml *x, int c)
{
	switch (x->st) {
	case X_LT:
		x->nlen = 0;
		x->colon = 0;
		x->closing = false;
		x->slash = false;
		if (c == '/') {
			x->closing = true;
			x->st = X_NAME;
		} else if (c == '!') {
			x->st = X_BANG;
			x->blen = 0;
		} else if (c == '?') {
			x->st = X_PI;
			x->match = 0;
		} else {
			x->st = X_NAME;
			x->name[x->nlen++] = c;
		}
		return;
	case X_NAME:
		if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			tag_name_done(x);
			x->st = X_ATTR;
			xml_byte(x, c);
			return;
		}
		if (x->nlen < NAME_LEN - 1)
			x->name[x->nlen++] = c;
		if (c == ':')
			x->colon = x->nlen < NAME_LEN - 1 ? x->nlen : NAME_LEN - 1;
		return;
	case X_ATTR:
		if (c == '>') {
			tag_end(x);
		} else if (c == '"' || c == '\'') {
			x->quote = c;
			x->st = X_QUOTE;
		}
		x->slash = c == '/';
		return;
	case X_QUOTE:
		if (c == x->quote)
			x->st = X_ATTR;
		return;
	case X_BANG:
		x->bang[x->blen++] = c;
		x->match = 0;
		if (x->blen == 2 && !memcmp(x->bang, "--", 2))
			x->st = X_COMMENT;
		else if (x->blen == 7 && !memcmp(x->bang, "[CDATA[", 7))
			x->st = X_CDATA;
		else if (c == '>')
			x->st = X_TEXT;
		else if (memcmp(x->bang, "--", x->blen < 2 ? x->blen : 2) &&
			 memcmp(x->bang, "[CDATA[", x->blen))
			x->st = X_DECL;
		return;
	case X_COMMENT:
		/* match counts dashes in a row: "-->" ends it, "--->" too */
		if (c == '>' && x->match >= 2)
			x->st = X_TEXT;
		x->match = c == '-' ? x->match + 1 : 0;
		return;
	case X_PI:
		if (c == '>' && x->match)
			x->st = X_TEXT;
		x->match = c == '?';
		return;
	case X_DECL:
		if (c == '>')
			x->st = X_TEXT;
		return;
	case X_CDATA:
		/* match counts ']' held back: "]]>" ends the section */
		if (c == ']') {
			x->match++;
			return;
		}
		if (c == '>' && x->match >= 2) {
			for (; x->match > 2; x->match--)
				emit(x, ']');
			x->match = 0;
			x->st = X_TEXT;
			return;
		}
		for (; x->match; x->match--)
			emit(x, ']');
		emit(x, c);
		return;
	case X_ENT:
		if (c == ';') {
			entity_done(x);
			x->st = X_TEXT;
		} else if (x->elen < ENT_LEN - 1 && c != '<' && c != '&' && c != ' ') {
			x->ent[x->elen++] = c;
		} else {
			/* Not an entity after all. */
			emit(x, '&');
			tb_write(&x->tb, (const unsigned char *)x->ent, x->elen);
			x->st = X_TEXT;
			if (c == '<' || c == '&') {
				x->st = c == '<' ? X_LT : X_ENT;
				x->elen = 0;
			} else {
				emit(x, c);
			}
		}
		return;
	}
}

/* Attribute bytes up to a quote or '>', which xml_byte() then takes. */
static size_t attr_run(struct xml *x, const unsigned char *b, size_t n)
{
	static const unsigned char stop[256] = { ['>'] = 1, ['"'] = 1, ['\''] = 1 };
	size_t i = 0;

	while (i < n && !stop[b[i]])
		i++;
	if (i)
		x->slash = b[i - 1] == '/';
	return i;
}

/* Tag name bytes up to the byte that ends the name, which xml_byte() then takes. */
static size_t name_run(struct xml *x, const unsigned char *b, size_t n)
{
	static const unsigned char stop[256] = {
		['>'] = 1, ['/'] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
	};
	size_t i;

	for (i = 0; i < n && !stop[b[i]]; i++) {
		if (x->nlen < NAME_LEN - 1)
			x->name[x->nlen++] = b[i];
		if (b[i] == ':')
			x->colon = x->nlen;
	}
	return i;
}

void xml_write(struct xml *x, const unsigned char *b, size_t n)
{
	const unsigned char *q;
	size_t i = 0;

	while (i < n) {
		switch (x->st) {
		case X_TEXT:
			i += text_run(x, b + i, n - i);
			continue;
		case X_NAME:
			i += name_run(x, b + i, n - i);
			if (i == n)
				return;
			break;
		case X_ATTR:
			i += attr_run(x, b + i, n - i);
			if (i == n)
				return;
			break;
		case X_QUOTE:
			q = memchr(b + i, x->quote, n - i);
			if (!q)
				return;
			i = q - b;
			break;
		}
		xml_byte(x, b[i++]);
	}
}

struct xml *xml_new(struct scan_ctx *c, bool pad9)
{
	struct xml *x = calloc(1, sizeof(*x));

	if (!x) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "xml: out of memory");
		return NULL;
	}
	x->c = c;
	x->pad9 = pad9;
	x->tb.c = c;
	return x;
}

void xml_close(struct xml *x)
{
	v_flush(x);
	tb_flush(&x->tb);
	free(x);
}
