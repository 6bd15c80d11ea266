// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stream nodes: one per logical stream (the file, an archive member, a gzip
 * payload).  A node holds back the first bytes, picks a decoder from them -
 * never from a name - and from then on passes bytes through it: text and
 * UTF-16 to the detector, gzip inflated into a child node one level deeper, a
 * zip, OLE file, PDF, mail or libarchive archive (7z, rar, tar, cpio, xz,
 * bzip2, zstd, lz4) collected in memory and scanned at close,
 * PDF and office XML to their extractors.  Also the shared inflate loop with
 * the bomb caps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "scan_int.h"

#define MIB (1024 * 1024)
#define SNIFF 64 /* bytes a node looks at before choosing a decoder */

enum stream_kind { K_SNIFF, K_TEXT, K_XML, K_U16, K_GZIP, K_BUF, K_PDF, K_SKIP };

/* Formats read with random access, collected in memory (K_BUF) and scanned at close. */
enum buf_kind { B_ZIP, B_OLE, B_PDF, B_MIME, B_ARCHIVE };

struct scan_stream {
	struct scan_ctx *c;
	unsigned int depth;
	int office;
	int kind;
	bool failed; /* a problem in this stream: ignore the rest */
	size_t head_len;
	size_t sniff; /* head bytes wanted: SNIFF, or a tar header */
	unsigned char head[LA_TAR_HEAD];

	struct utf16_dec u16; /* UTF-16: the decoder's state */
	struct tbuf *tb;

	struct inflater z; /* gzip */
	struct scan_stream *child;
	bool gz_end; /* gzip: the current member ended */

	unsigned char *buf; /* K_BUF: the stream held in memory */
	size_t len, cap;
	int bkind;	     /* enum buf_kind */
	const char *la_name; /* B_ARCHIVE: the format it looked like */

	struct pdf *pdf;
	struct xml *xml;
};

/* ---- inflate ------------------------------------------------------------- */

int infl_init(struct scan_ctx *c, struct inflater *z, int window_bits, const char *what)
{
	memset(z, 0, sizeof(*z));
	z->what = what;
	z->buf = malloc(INFL_OUT);
	if (!z->buf || inflateInit2(&z->zs, window_bits) != Z_OK) {
		free(z->buf);
		z->buf = NULL;
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory", what);
		return -ENOMEM;
	}
	z->live = true;
	return 0;
}

void infl_end(struct inflater *z)
{
	if (z->live)
		inflateEnd(&z->zs);
	z->live = false;
	free(z->buf);
	z->buf = NULL;
}

/*
 * The caps every decompressor applies to output it just produced (zlib here,
 * libarchive's filters in scan_archive.c): the total inflated so far across
 * the whole scan, then the stream's output/input ratio.  0 or -E2BIG (recorded).
 */
int scan_inflate_caps(struct scan_ctx *c, size_t got, uint64_t out, uint64_t in, const char *what)
{
	const struct scan_limits *lim = c->lim;
	struct scan_result *res = c->res;
	uint64_t ratio;

	res->bytes_inflated += got;
	if (res->bytes_inflated > lim->max_inflated) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_INFLATED, "inflated data: over %llu MiB",
			     (unsigned long long)(lim->max_inflated / MIB));
		return -E2BIG;
	}
	ratio = out / (in ? in : 1);
	if (out > SCAN_RATIO_MIN && ratio > lim->max_ratio) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_RATIO, "%s bomb: ratio %llu > %u", what,
			     (unsigned long long)ratio, lim->max_ratio);
		return -E2BIG;
	}
	return 0;
}

/*
 * Inflates n bytes, handing output to emit.  Returns 1 at the end of the
 * deflate stream (*used: input consumed), 0 when all input was consumed and
 * more is needed, negative on error (recorded as a problem) or stop.
 */
int infl_run(struct scan_ctx *c, struct inflater *z, const unsigned char *in, size_t n,
	     size_t *used, int (*emit)(void *arg, const unsigned char *p, size_t n), void *arg)
{
	size_t left = n, got;
	uInt before;
	int ret;

	*used = 0;
	while (left) {
		z->zs.next_in = (Bytef *)in + (n - left);
		z->zs.avail_in = before = left > (1U << 30) ? (1U << 30) : left;
		do {
			uInt in_before = z->zs.avail_in;

			z->zs.next_out = z->buf;
			z->zs.avail_out = INFL_OUT;
			ret = inflate(&z->zs, Z_NO_FLUSH);
			got = INFL_OUT - z->zs.avail_out;
			z->in += in_before - z->zs.avail_in;
			z->out += got;
			if (got) {
				if (scan_inflate_caps(c, got, z->out, z->in, z->what))
					return -E2BIG;
				if (emit(arg, z->buf, got) < 0 || scan_tick(c, got) < 0)
					return -ECANCELED;
			}
			if (ret == Z_STREAM_END) {
				*used = n - left + (before - z->zs.avail_in);
				return 1;
			}
			if (ret == Z_BUF_ERROR && !z->zs.avail_in)
				break;
			if (ret == Z_MEM_ERROR) {
				scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory",
					     z->what);
				return -ENOMEM;
			}
			if (ret != Z_OK && ret != Z_BUF_ERROR) {
				if (z->quiet)
					return -EBADMSG;
				scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
					     "%s: corrupt deflate data", z->what);
				return -EBADMSG;
			}
		} while (z->zs.avail_in || !z->zs.avail_out);
		left -= before;
	}
	*used = n;
	return 0;
}

/* ---- nodes --------------------------------------------------------------- */

static bool looks_xml(const unsigned char *h, size_t n)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(h, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	return i < n && h[i] == '<';
}

/* Picks the decoder; returns how many head bytes (a BOM) to drop. */
static size_t stream_pick(struct scan_stream *s)
{
	const unsigned char *h = s->head;
	size_t n = s->head_len;
	struct scan_ctx *c = s->c;
	enum utf16_order order;
	size_t bom;

	if (zip_magic(h, n)) {
		s->kind = scan_depth_ok(c, s->depth + 1) ? K_BUF : K_SKIP;
		s->bkind = B_ZIP;
		return 0;
	}
	if (ole_magic(h, n)) {
		s->kind = K_BUF;
		s->bkind = B_OLE;
		return 0;
	}
	if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8) {
		c->res->formats |= SCAN_FMT_GZIP;
		s->kind = K_SKIP;
		if (!scan_depth_ok(c, s->depth + 1) || infl_init(c, &s->z, 16 + MAX_WBITS, "gzip"))
			return 0;
		s->child = scan_stream_new(c, s->depth + 1, 0);
		if (s->child)
			s->kind = K_GZIP;
		return 0;
	}
	if (memmem(h, n, "%PDF-", 5)) {
		c->res->formats |= SCAN_FMT_PDF;
		s->kind = K_BUF;
		s->bkind = B_PDF;
		return 0;
	}
	order = utf16_detect(h, n, &bom);
	if (order != UTF16_NONE) {
		c->res->formats |= SCAN_FMT_UTF16;
		s->tb = malloc(sizeof(*s->tb));
		if (!s->tb) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "utf-16: out of memory");
			s->kind = K_SKIP;
			return 0;
		}
		s->tb->c = c;
		s->tb->n = 0;
		utf16_dec_init(&s->u16, order);
		s->kind = K_U16;
		return bom;
	}
	s->la_name = la_magic(h, n);
	if (!s->la_name && la_tar_magic(h, n))
		s->la_name = "tar";
	if (s->la_name) {
		s->kind = scan_depth_ok(c, s->depth + 1) ? K_BUF : K_SKIP;
		s->bkind = B_ARCHIVE;
		return 0;
	}
	if (s->office && looks_xml(h, n)) {
		c->res->formats |= SCAN_FMT_XML;
		s->xml = xml_new(c, s->office == 2);
		s->kind = s->xml ? K_XML : K_SKIP;
		return 0;
	}
	if (html_magic(h, n)) {
		c->res->formats |= SCAN_FMT_HTML;
		s->xml = xml_new(c, false);
		s->kind = s->xml ? K_XML : K_SKIP;
		return 0;
	}
	if (mime_magic(h, n)) {
		s->kind = scan_depth_ok(c, s->depth + 1) ? K_BUF : K_SKIP;
		s->bkind = B_MIME;
		return 0;
	}
	c->res->formats |= SCAN_FMT_TEXT;
	s->kind = K_TEXT;
	return n >= 3 && !memcmp(h, "\xef\xbb\xbf", 3) ? 3 : 0;
}

struct scan_stream *scan_stream_new(struct scan_ctx *c, unsigned int depth, int office)
{
	struct scan_stream *s = calloc(1, sizeof(*s));

	if (!s) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "out of memory");
		return NULL;
	}
	s->c = c;
	s->depth = depth;
	s->office = office;
	s->kind = K_SNIFF;
	s->sniff = SNIFF;
	return s;
}

static void u16_push(struct scan_stream *s, const unsigned char *p, size_t n)
{
	unsigned char out[4096 / 2 + 2];
	size_t k, i, m;

	for (; n; p += k, n -= k) {
		k = n < 4096 ? n : 4096;
		m = utf16_dec_feed(&s->u16, p, k, out);
		for (i = 0; i < m; i++)
			tb_put(s->tb, out[i]);
	}
}

static int gz_emit(void *arg, const unsigned char *p, size_t n)
{
	struct scan_stream *s = arg;

	return scan_stream_write(s->child, p, n);
}

static void gz_push(struct scan_stream *s, const unsigned char *p, size_t n)
{
	size_t used, i;
	int r;

	while (n && !s->failed) {
		if (s->gz_end) {
			if (p[0] != 0x1f) {
				/* Padding after the last member is fine; anything else is not. */
				for (i = 0; i < n && !p[i]; i++)
					;
				if (i < n) {
					scan_problem(s->c, SCAN_ERROR, SCAN_R_CORRUPT,
						     "gzip: trailing data after the stream");
					s->failed = true;
				}
				return;
			}
			inflateReset(&s->z.zs);
			s->gz_end = false;
		}
		r = infl_run(s->c, &s->z, p, n, &used, gz_emit, s);
		if (r < 0) {
			s->failed = true;
			return;
		}
		if (r == 1)
			s->gz_end = true;
		p += used;
		n -= used;
	}
}

static const char *const buf_names[] = {
	[B_ZIP] = "nested zip", [B_OLE] = "office file",	[B_PDF] = "pdf",
	[B_MIME] = "mail",	[B_ARCHIVE] = "nested archive",
};

/*
 * A PDF too large to hold goes on through the streaming extractor
 * (scan_pdf.c), which reads FlateDecode content in fonts with ASCII codes
 * only: the result is marked as not fully read.
 */
static void pdf_fallback(struct scan_stream *s)
{
	struct scan_ctx *c = s->c;

	scan_partial(c, "pdf", "too large to hold, read by the simple extractor");
	s->pdf = pdf_new(c);
	s->kind = s->pdf ? K_PDF : K_SKIP;
	if (s->pdf && pdf_write(s->pdf, s->buf, s->len) < 0)
		s->failed = true;
	c->buffered -= s->cap;
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

static void buf_push(struct scan_stream *s, const unsigned char *p, size_t n)
{
	struct scan_ctx *c = s->c;
	size_t cap;
	void *nb;

	/*
	 * The cap is for all buffers held at once: an archive nested in an
	 * archive holds its parent's buffer too, and per level a 1 MB file
	 * reached 195 MB.
	 */
	if (c->buffered - s->cap + s->len + n > c->lim->max_buffer) {
		if (s->bkind == B_PDF) {
			pdf_fallback(s);
			if (s->kind == K_PDF && !s->failed && pdf_write(s->pdf, p, n) < 0)
				s->failed = true;
			return;
		}
		scan_problem(c, SCAN_REFUSED, SCAN_R_BUFFER, "%s: over %llu MiB",
			     buf_names[s->bkind], (unsigned long long)(c->lim->max_buffer / MIB));
		s->failed = true;
		return;
	}
	if (s->len + n > s->cap) {
		cap = s->cap ? s->cap : 64 * 1024;
		while (cap < s->len + n)
			cap *= 2;
		if (cap > c->lim->max_buffer - (c->buffered - s->cap))
			cap = c->lim->max_buffer - (c->buffered - s->cap);
		nb = realloc(s->buf, cap);
		if (!nb) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory",
				     buf_names[s->bkind]);
			s->failed = true;
			return;
		}
		s->buf = nb;
		c->buffered += cap - s->cap;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void stream_push(struct scan_stream *s, const unsigned char *p, size_t n)
{
	if (s->failed || !n)
		return;
	switch (s->kind) {
	case K_TEXT:
		scan_text(s->c, p, n);
		break;
	case K_XML:
		xml_write(s->xml, p, n);
		break;
	case K_U16:
		u16_push(s, p, n);
		break;
	case K_GZIP:
		gz_push(s, p, n);
		break;
	case K_BUF:
		buf_push(s, p, n);
		break;
	case K_PDF:
		if (pdf_write(s->pdf, p, n) < 0)
			s->failed = true;
		break;
	default:
		break;
	}
}

static void stream_start(struct scan_stream *s)
{
	size_t skip = stream_pick(s);

	stream_push(s, s->head + skip, s->head_len - skip);
}

int scan_stream_write(struct scan_stream *s, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t take;

	if (s->c->stop)
		return -ECANCELED;
	while (s->kind == K_SNIFF && n) {
		take = n < s->sniff - s->head_len ? n : s->sniff - s->head_len;
		memcpy(s->head + s->head_len, p, take);
		s->head_len += take;
		p += take;
		n -= take;
		if (s->head_len < s->sniff)
			return 0;
		/* a tar header has its magic at 257: hold a whole header first */
		if (s->sniff == SNIFF && la_tar_maybe(s->head, s->head_len)) {
			s->sniff = LA_TAR_HEAD;
			continue;
		}
		stream_start(s);
	}
	stream_push(s, p, n);
	return s->c->stop ? -ECANCELED : 0;
}

/* A PDF poppler cannot open (damaged beyond its repair) gets the simple extractor. */
static void pdf_buf_scan(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth)
{
	struct pdf *pdf;

	if (poppler_scan(c, p, n, depth) != -EBADMSG)
		return;
	pdf = pdf_new(c);
	if (!pdf)
		return;
	pdf_write(pdf, p, n);
	pdf_close(pdf);
	scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "pdf: damaged, read by the simple extractor");
}

static void buf_close(struct scan_stream *s)
{
	struct source src = { .mem = s->buf, .size = s->len };
	struct scan_ctx *c = s->c;

	if (!s->failed && !c->stop) {
		switch (s->bkind) {
		case B_ZIP:
			zip_scan(c, &src, s->depth + 1);
			break;
		case B_OLE:
			ole_scan(c, &src, s->depth);
			break;
		case B_PDF:
			pdf_buf_scan(c, s->buf, s->len, s->depth);
			break;
		case B_MIME:
			mime_scan(c, s->buf, s->len, s->depth + 1);
			break;
		case B_ARCHIVE:
			la_scan(c, &src, s->depth + 1, s->la_name);
			break;
		}
	}
	c->buffered -= s->cap;
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
}

void scan_buf_nested(struct scan_ctx *c, unsigned int depth, const unsigned char *p, size_t n)
{
	struct scan_stream *s;

	if (!n || !scan_depth_ok(c, depth))
		return;
	s = scan_stream_new(c, depth, 0);
	if (!s)
		return;
	scan_stream_write(s, p, n);
	scan_stream_close(s);
}

/*
 * HTML as LibreOffice, mail clients and browsers write it: a doctype or an
 * <html>/<head>/<body>/<meta> tag first.  Read by the office XML extractor
 * (tags dropped, entities decoded, block tags separate text).
 */
bool html_magic(const unsigned char *p, size_t n)
{
	static const char *const starts[] = { "<!doctype html", "<html", "<head", "<body",
					      "<meta" };
	size_t i = 0, k;

	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	for (k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		size_t len = strlen(starts[k]);

		if (n - i >= len && !strncasecmp((const char *)p + i, starts[k], len))
			return true;
	}
	return false;
}

int scan_stream_close(struct scan_stream *s)
{
	struct scan_ctx *c;

	if (!s)
		return 0;
	c = s->c;
	if (s->kind == K_SNIFF)
		stream_start(s);
	switch (s->kind) {
	case K_XML:
		xml_close(s->xml);
		break;
	case K_U16:
		tb_flush(s->tb);
		free(s->tb);
		break;
	case K_GZIP:
		if (!s->gz_end && !s->failed && !c->stop)
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "gzip: truncated stream");
		scan_stream_close(s->child);
		break;
	case K_BUF:
		buf_close(s);
		break;
	case K_PDF:
		pdf_close(s->pdf);
		break;
	default:
		break;
	}
	infl_end(&s->z);
	scan_text_break(c);
	free(s);
	return c->stop ? -ECANCELED : 0;
}
