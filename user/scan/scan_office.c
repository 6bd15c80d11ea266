// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Text of the legacy Office formats inside a compound file (scan_ole.c):
 *
 * - Word 97-2003 (.doc, MS-DOC): the text is in the WordDocument stream in
 *   pieces listed by the piece table (the Clx in the 0Table/1Table stream);
 *   each piece is either 8-bit ("compressed", cp1252) or UTF-16LE.  Read in
 *   piece order, so a number typed across an edit boundary joins again.
 *   Encrypted (fEncrypted/fObfuscated in the FIB): refused as encrypted.
 * - Excel 97-2003 (.xls, BIFF8 Workbook stream): every shared string of the
 *   SST, including strings split across CONTINUE records (each split starts
 *   with a fresh flags byte that may switch between 8-bit and UTF-16), inline
 *   LABEL strings, and numeric cells (NUMBER, RK, MULRK, FORMULA results): an
 *   integer of nine digits is a CPR number whose leading zero Excel dropped,
 *   padded back to ten.  FILEPASS (a password): refused as encrypted.
 * - PowerPoint 97-2003 (.ppt): text atoms (TextCharsAtom UTF-16,
 *   TextBytesAtom 8-bit) found by walking every record container.
 * - Outlook (.msg): every property stream - *001F (UTF-16) and *001E (8-bit)
 *   strings such as the body and subject, *0102 binary such as attachment
 *   data (scanned one level deeper as a file of its own: a PDF, a zip, a
 *   .doc).  Embedded messages are storages of the same file, so their
 *   streams are met by the same walk.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

/* cp1252 0x80-0x9f differ from Latin-1; only the ones that matter here are spaces/dashes. */
static unsigned char ctl_byte(uint32_t cp)
{
	/* Word's paragraph, cell, tab, field and page marks separate text. */
	if (cp < 0x20)
		return ' ';
	return utf_detector_byte(cp);
}

static void put_u16(struct tbuf *t, const unsigned char *p, size_t nchars)
{
	size_t i;

	for (i = 0; i < nchars; i++)
		tb_put(t, ctl_byte(le16(p + 2 * i)));
}

static void put_8(struct tbuf *t, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tb_put(t, ctl_byte(p[i]));
}

static void text_end(struct tbuf *t)
{
	tb_flush(t);
	scan_text_break(t->c);
}

/* ---- Word ---------------------------------------------------------------- */

#define FIB_ENCRYPTED 0x0100
#define FIB_WHICH_TBL 0x0200
#define FIB_OBFUSCATED 0x8000
#define FC_CLX_INDEX 33 /* fcClx/lcbClx pair in FibRgFcLcb97 */
#define PCD_COMPRESSED 0x40000000U

/* Finds the Pcdt in the Clx; returns the PlcPcd and its length, NULL when absent. */
static const unsigned char *clx_plcpcd(const unsigned char *clx, size_t n, size_t *len)
{
	size_t i = 0;

	while (i < n) {
		if (clx[i] == 1) { /* Prc: a property modifier, skipped */
			if (i + 3 > n)
				return NULL;
			i += 3 + le16(clx + i + 1);
		} else if (clx[i] == 2) { /* Pcdt */
			if (i + 5 > n || le32(clx + i + 1) > n - i - 5)
				return NULL;
			*len = le32(clx + i + 1);
			return clx + i + 5;
		} else {
			return NULL;
		}
	}
	return NULL;
}

static void doc_pieces(struct scan_ctx *c, const unsigned char *wd, size_t wn,
		       const unsigned char *plc, size_t plen)
{
	struct tbuf tb = { .c = c };
	size_t npcd, i, bad = 0;

	if (plen < 4 || (plen - 4) % 12) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "doc: bad piece table");
		return;
	}
	npcd = (plen - 4) / 12;
	for (i = 0; i < npcd && !c->stop; i++) {
		uint32_t cp0 = le32(plc + 4 * i), cp1 = le32(plc + 4 * (i + 1));
		uint32_t fc = le32(plc + 4 * (npcd + 1) + 8 * i + 2);
		size_t nch = cp1 > cp0 ? cp1 - cp0 : 0, off;

		if (fc & PCD_COMPRESSED) {
			off = (fc & ~PCD_COMPRESSED) / 2;
			if (off > wn || nch > wn - off) {
				bad++;
				continue;
			}
			put_8(&tb, wd + off, nch);
		} else {
			off = fc;
			if (off > wn || nch > (wn - off) / 2) {
				bad++;
				continue;
			}
			put_u16(&tb, wd + off, nch);
		}
		scan_tick(c, nch);
	}
	text_end(&tb);
	if (bad)
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "doc: %zu pieces outside the document",
			     bad);
}

static void doc_scan(struct ole *o, int wdi)
{
	struct scan_ctx *c = o->c;
	unsigned char *wd = NULL, *tbl = NULL;
	const unsigned char *rg, *plc;
	size_t wn, tn, plen, off;
	uint32_t fc, lcb;
	uint16_t flags, csw, cslw, cbrg;
	int ti;

	c->res->formats |= SCAN_FMT_DOC;
	wd = ole_stream(o, wdi, &wn);
	if (!wd)
		return;
	if (wn < 34 || le16(wd) != 0xa5ec) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "doc: bad FIB");
		goto out;
	}
	flags = le16(wd + 0x0a);
	if (flags & (FIB_ENCRYPTED | FIB_OBFUSCATED)) {
		scan_encrypted(c, "doc");
		goto out;
	}
	/* FibBase (32), csw + fibRgW, cslw + fibRgLw, cbRgFcLcb + fibRgFcLcb. */
	off = 32;
	csw = le16(wd + off);
	off += 2 + 2 * (size_t)csw;
	if (off + 2 > wn)
		goto bad;
	cslw = le16(wd + off);
	off += 2 + 4 * (size_t)cslw;
	if (off + 2 > wn)
		goto bad;
	cbrg = le16(wd + off);
	off += 2;
	if (cbrg <= FC_CLX_INDEX || off + 8 * (FC_CLX_INDEX + 1) > wn)
		goto bad;
	rg = wd + off + 8 * FC_CLX_INDEX;
	fc = le32(rg);
	lcb = le32(rg + 4);
	ti = ole_find(o, flags & FIB_WHICH_TBL ? "1Table" : "0Table");
	if (ti < 0)
		goto bad;
	tbl = ole_stream(o, ti, &tn);
	if (!tbl)
		goto out;
	if (fc > tn || lcb > tn - fc)
		goto bad;
	plc = clx_plcpcd(tbl + fc, lcb, &plen);
	if (!plc)
		goto bad;
	doc_pieces(c, wd, wn, plc, plen);
	goto out;
bad:
	scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "doc: no piece table");
out:
	free(wd);
	free(tbl);
}

/* ---- Excel --------------------------------------------------------------- */

#define BIFF_FORMULA 0x0006
#define BIFF_FILEPASS 0x002f
#define BIFF_CONTINUE 0x003c
#define BIFF_MULRK 0x00bd
#define BIFF_SST 0x00fc
#define BIFF_LABELSST 0x00fd
#define BIFF_NUMBER 0x0203
#define BIFF_LABEL 0x0204
#define BIFF_STRING 0x0207
#define BIFF_RK 0x027e

/* The SST and its CONTINUE records as one byte run with the record boundaries kept. */
struct sst {
	unsigned char *p;
	size_t n, cap;
	size_t *brk; /* offsets where a CONTINUE record begins */
	size_t nbrk, cbrk;
	size_t pos, bi; /* read position, next boundary index */
};

static int sst_add(struct scan_ctx *c, struct sst *s, const unsigned char *p, size_t n, bool cont)
{
	if (cont) {
		if (s->nbrk == s->cbrk) {
			size_t nc = s->cbrk ? 2 * s->cbrk : 64;
			size_t *nb = realloc(s->brk, nc * sizeof(*nb));

			if (!nb)
				goto nomem;
			s->brk = nb;
			s->cbrk = nc;
		}
		s->brk[s->nbrk++] = s->n;
	}
	if (s->n + n > s->cap) {
		size_t nc = s->cap ? s->cap : 16384;
		unsigned char *np;

		while (nc < s->n + n)
			nc *= 2;
		np = realloc(s->p, nc);
		if (!np)
			goto nomem;
		s->p = np;
		s->cap = nc;
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	return 0;
nomem:
	scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "xls: out of memory");
	return -ENOMEM;
}

/* Bytes left before the next record boundary. */
static size_t sst_avail(const struct sst *s)
{
	size_t end = s->bi < s->nbrk ? s->brk[s->bi] : s->n;

	return end > s->pos ? end - s->pos : 0;
}

/* Skips n bytes of non-character data, which crosses boundaries without a flags byte. */
static void sst_skip(struct sst *s, size_t n)
{
	s->pos = n > s->n - s->pos ? s->n : s->pos + n;
	/* A boundary exactly at pos stays pending: characters read there need its flags byte. */
	while (s->bi < s->nbrk && s->brk[s->bi] < s->pos)
		s->bi++;
}

/* One XLUnicodeRichExtendedString; false at the end of the data. */
static bool sst_string(struct sst *s, struct tbuf *tb)
{
	size_t cch, runs = 0, ext = 0, take, unit;
	unsigned char fl;

	if (s->n - s->pos < 3)
		return false;
	cch = le16(s->p + s->pos);
	fl = s->p[s->pos + 2];
	sst_skip(s, 3);
	if (fl & 0x08) {
		if (s->n - s->pos < 2)
			return false;
		runs = le16(s->p + s->pos);
		sst_skip(s, 2);
	}
	if (fl & 0x04) {
		if (s->n - s->pos < 4)
			return false;
		ext = le32(s->p + s->pos);
		sst_skip(s, 4);
	}
	while (cch) {
		unit = fl & 1 ? 2 : 1;
		take = sst_avail(s) / unit;
		if (!take) {
			/* A string continued in a CONTINUE record: a new flags byte first. */
			if (s->bi >= s->nbrk || s->pos != s->brk[s->bi] || s->pos >= s->n)
				return false;
			s->bi++;
			fl = s->p[s->pos++];
			continue;
		}
		if (take > cch)
			take = cch;
		if (unit == 2)
			put_u16(tb, s->p + s->pos, take);
		else
			put_8(tb, s->p + s->pos, take);
		s->pos += take * unit;
		cch -= take;
	}
	tb_put(tb, ' ');
	sst_skip(s, 4 * runs + ext);
	return true;
}

static void sst_scan(struct scan_ctx *c, struct sst *s)
{
	struct tbuf tb = { .c = c };

	s->pos = 8; /* cstTotal, cstUnique */
	s->bi = 0;
	while (s->pos < s->n && !c->stop && sst_string(s, &tb))
		;
	text_end(&tb);
}

/* A numeric cell: integers of 9 or 10 digits are emitted as ten-digit text. */
static void xls_number(struct tbuf *tb, double v)
{
	char num[16];

	if (!(v >= 1e8 && v < 1e10) || v != floor(v))
		return;
	snprintf(num, sizeof(num), " %010.0f ", v);
	tb_write(tb, (const unsigned char *)num, strlen(num));
}

static double rk_value(uint32_t rk)
{
	double v;

	if (rk & 2) {
		v = (double)((int32_t)rk >> 2);
	} else {
		uint64_t bits = (uint64_t)(rk & 0xfffffffcU) << 32;

		memcpy(&v, &bits, sizeof(v));
	}
	return rk & 1 ? v / 100 : v;
}

static double le_double(const unsigned char *p)
{
	uint64_t bits = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* A short XLUnicodeString (LABEL, STRING): cch u16, flags, characters. */
static void xls_ustring(struct tbuf *tb, const unsigned char *p, size_t n)
{
	size_t cch;

	if (n < 3)
		return;
	cch = le16(p);
	if (p[2] & 1)
		put_u16(tb, p + 3, cch < (n - 3) / 2 ? cch : (n - 3) / 2);
	else
		put_8(tb, p + 3, cch < n - 3 ? cch : n - 3);
	tb_put(tb, ' ');
}

static void xls_record(struct tbuf *tb, uint16_t type, const unsigned char *d, size_t len)
{
	size_t i;

	switch (type) {
	case BIFF_NUMBER:
		if (len >= 14)
			xls_number(tb, le_double(d + 6));
		break;
	case BIFF_RK:
		if (len >= 10)
			xls_number(tb, rk_value(le32(d + 6)));
		break;
	case BIFF_MULRK:
		for (i = 4; len >= 6 && i + 6 <= len - 2; i += 6)
			xls_number(tb, rk_value(le32(d + i + 2)));
		break;
	case BIFF_FORMULA:
		/* A string, boolean or error result has 0xffff in its top bytes. */
		if (len >= 14 && le16(d + 12) != 0xffff)
			xls_number(tb, le_double(d + 6));
		break;
	case BIFF_LABEL:
		if (len >= 6)
			xls_ustring(tb, d + 6, len - 6);
		break;
	case BIFF_STRING:
		xls_ustring(tb, d, len);
		break;
	}
}

static void xls_scan(struct ole *o, int wbi)
{
	struct scan_ctx *c = o->c;
	struct tbuf tb = { .c = c };
	struct sst sst = { 0 };
	unsigned char *wb;
	size_t n, off = 0;
	bool in_sst = false;

	c->res->formats |= SCAN_FMT_XLS;
	wb = ole_stream(o, wbi, &n);
	if (!wb)
		return;
	while (off + 4 <= n && !c->stop) {
		uint16_t type = le16(wb + off), len = le16(wb + off + 2);
		const unsigned char *d = wb + off + 4;

		if (len > n - off - 4) {
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "xls: truncated record");
			break;
		}
		if (type == BIFF_FILEPASS) {
			scan_encrypted(c, "xls");
			break;
		}
		if (type == BIFF_SST) {
			in_sst = !sst_add(c, &sst, d, len, false);
		} else if (type == BIFF_CONTINUE && in_sst) {
			sst_add(c, &sst, d, len, true);
		} else {
			in_sst = false;
			xls_record(&tb, type, d, len);
		}
		off += 4 + len;
		scan_tick(c, len);
	}
	text_end(&tb);
	if (sst.n && !c->stop)
		sst_scan(c, &sst);
	free(sst.p);
	free(sst.brk);
	free(wb);
}

/* ---- PowerPoint ---------------------------------------------------------- */

#define PPT_TEXTCHARS 0x0fa0
#define PPT_TEXTBYTES 0x0fa8
#define PPT_CSTRING 0x0fba

static void ppt_scan(struct ole *o, int di)
{
	struct scan_ctx *c = o->c;
	struct tbuf tb = { .c = c };
	unsigned char *p;
	size_t n, off = 0;

	c->res->formats |= SCAN_FMT_PPT;
	p = ole_stream(o, di, &n);
	if (!p)
		return;
	/* Containers (version 0xf) are entered by reading on inside them. */
	while (off + 8 <= n && !c->stop) {
		uint16_t ver = le16(p + off) & 0xf, type = le16(p + off + 2);
		uint32_t len = le32(p + off + 4);

		off += 8;
		if (ver == 0xf)
			continue;
		if (len > n - off)
			len = n - off;
		if (type == PPT_TEXTCHARS || type == PPT_CSTRING)
			put_u16(&tb, p + off, len / 2);
		else if (type == PPT_TEXTBYTES)
			put_8(&tb, p + off, len);
		if (type == PPT_TEXTCHARS || type == PPT_CSTRING || type == PPT_TEXTBYTES)
			text_end(&tb);
		off += len;
		scan_tick(c, len);
	}
	text_end(&tb);
	free(p);
}

/* ---- Outlook ------------------------------------------------------------- */

/* Compressed RTF (PR_RTF_COMPRESSED) repeats the body, which is read in its plain form. */
#define MSG_RTF_COMPRESSED "__substg1.0_10090102"

static void msg_scan(struct ole *o)
{
	struct scan_ctx *c = o->c;
	struct tbuf tb = { .c = c };
	char name[40];
	unsigned char *p;
	size_t i, n, len;

	c->res->formats |= SCAN_FMT_MSG;
	for (i = 0; i < o->ndir && !c->stop; i++) {
		if (ole_type(o, i) != 2)
			continue;
		ole_name(o, i, name, sizeof(name));
		len = strlen(name);
		if (strncmp(name, "__substg1.0_", 12) || len != 20 ||
		    !strcmp(name, MSG_RTF_COMPRESSED))
			continue;
		p = ole_stream(o, i, &n);
		if (!p)
			continue;
		if (!strcmp(name + 16, "001F")) {
			put_u16(&tb, p, n / 2);
			text_end(&tb);
		} else if (!strcmp(name + 16, "001E")) {
			put_8(&tb, p, n);
			text_end(&tb);
		} else if (!strcmp(name + 16, "0102")) {
			scan_buf_nested(c, o->depth + 1, p, n);
		}
		free(p);
	}
}

/* Picks the reader by the streams present; false for an unknown compound file. */
bool office_ole_scan(struct ole *o)
{
	int i;

	if ((i = ole_find(o, "WordDocument")) >= 0)
		doc_scan(o, i);
	else if ((i = ole_find(o, "Workbook")) >= 0)
		xls_scan(o, i);
	else if ((i = ole_find(o, "PowerPoint Document")) >= 0)
		ppt_scan(o, i);
	else if (ole_find(o, "__properties_version1.0") >= 0)
		msg_scan(o);
	else
		return false;
	return true;
}
