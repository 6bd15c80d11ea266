/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Internals shared by the scanner modules (scan.c, scan_stream.c, scan_zip.c,
 * scan_pdf.c, scan_poppler.cc, scan_xml.c, scan_ole.c, scan_office.c,
 * scan_mime.c).  Not an API: include scan.h instead.
 *
 * Data flows through stream nodes (struct scan_stream): a node receives the bytes of one logical stream
 * (the file, an archive member, a gzip payload), sniffs its first bytes and
 * hands them to the right decoder, which in turn feeds text to the detector
 * or bytes to a child node one level deeper.
 */
#ifndef CPRW_SCAN_INT_H
#define CPRW_SCAN_INT_H

#include <zlib.h>
#include "scan.h"
#include "lib/utf8.h"

#define SCAN_RATIO_MIN (1U << 20) /* ratio cap applies past this much output */
#define SCAN_PROGRESS (4U << 20)  /* progress callback period, input bytes */
#define SCAN_TICK (1U << 20)	  /* clock check period, bytes of work */
#define INFL_OUT (64U << 10)	  /* inflate output buffer */

struct scan_ctx {
	const struct scan_limits *lim; /* &limv */
	struct scan_limits limv;       /* the caller's, zeros filled with defaults */
	const struct scan_hooks *hooks;
	struct scan_result *res;
	struct cpr_detector det;
	uint64_t deadline_ns; /* 0: no time cap */
	uint64_t total;	      /* input size, 0 if unknown */
	size_t io;	      /* read size */
	uint64_t next_progress;
	uint64_t work;	 /* bytes of work since the last clock check */
	bool stop;	 /* a cap, cancel or fatal error ends the whole scan */
	size_t buffered; /* bytes held by every stream buffer at once (max_buffer caps it) */
};

/* Random-access input: memory, or a descriptor read with pread. */
struct source {
	const unsigned char *mem; /* NULL: use fd */
	int fd;
	uint64_t base; /* offset of byte 0 in mem or in the file */
	uint64_t size;
	bool top;    /* reads count as file input (progress, size cap) */
	bool sparse; /* fd with holes: skip them (SEEK_DATA) when streaming */
};

/* Little-endian fields of binary formats (zip, OLE2, BIFF, ...). */
static inline uint16_t le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static inline uint32_t le32(const unsigned char *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static inline uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Small output buffer in front of the detector, for decoders that emit bytewise. */
struct tbuf {
	struct scan_ctx *c;
	size_t n;
	unsigned char b[4096];
};

struct inflater {
	z_stream zs;
	bool live;
	uint64_t in, out;
	const char *what; /* "zip", "gzip", "pdf": for messages */
	bool quiet;	  /* corrupt data: return -EBADMSG, record nothing */
	unsigned char *buf;
};

struct scan_stream;

/* ---- scan.c, scan_stream.c ---- */
__attribute__((format(printf, 4, 5))) void scan_problem(struct scan_ctx *c, int status, int reason,
							const char *fmt, ...);
/*
 * Encrypted content is refused, not skipped: "what" names the container
 * ("zip", "7z", "pdf").  A format read but with parts that gave no text is
 * partial; "why" says which part ("font without encoding").
 */
void scan_encrypted(struct scan_ctx *c, const char *what);
void scan_partial(struct scan_ctx *c, const char *what, const char *why);
int scan_tick(struct scan_ctx *c, size_t bytes);
/* Adds @got to the inflated total and checks it and the @out/@in ratio of @what. */
int scan_inflate_caps(struct scan_ctx *c, size_t got, uint64_t out, uint64_t in, const char *what);
/* Rewrites digit runs longer than four ("90M"): no message can carry a number. */
void scan_compact_digits(char *msg, size_t size);
int scan_input(struct scan_ctx *c, uint64_t bytes);
bool scan_depth_ok(struct scan_ctx *c, unsigned int depth);
void scan_text(struct scan_ctx *c, const void *p, size_t n);
void scan_text_break(struct scan_ctx *c);

int src_read(struct scan_ctx *c, const struct source *s, uint64_t off, void *buf, size_t len);
const unsigned char *src_map(const struct source *s, uint64_t off, size_t len);

/* office: 0 plain, 1 office XML, 2 office XML with xlsx 9-digit cells */
struct scan_stream *scan_stream_new(struct scan_ctx *c, unsigned int depth, int office);
int scan_stream_write(struct scan_stream *s, const void *p, size_t n);
int scan_stream_close(struct scan_stream *s);

int infl_init(struct scan_ctx *c, struct inflater *z, int window_bits, const char *what);
int infl_run(struct scan_ctx *c, struct inflater *z, const unsigned char *in, size_t n,
	     size_t *used, int (*emit)(void *arg, const unsigned char *p, size_t n), void *arg);
void infl_end(struct inflater *z);

static inline void tb_flush(struct tbuf *t)
{
	if (t->n)
		scan_text(t->c, t->b, t->n);
	t->n = 0;
}

static inline void tb_put(struct tbuf *t, unsigned char ch)
{
	if (t->n == sizeof(t->b))
		tb_flush(t);
	t->b[t->n++] = ch;
}

static inline void tb_write(struct tbuf *t, const unsigned char *p, size_t n)
{
	if (n > sizeof(t->b) - t->n) {
		tb_flush(t);
		if (n >= sizeof(t->b)) {
			scan_text(t->c, p, n);
			return;
		}
	}
	__builtin_memcpy(t->b + t->n, p, n);
	t->n += n;
}

/* ---- scan_zip.c ---- */
/* Scans a zip whose members sit at nesting depth `depth`. */
void zip_scan(struct scan_ctx *c, const struct source *src, unsigned int depth);
bool zip_magic(const unsigned char *p, size_t n);

/* ---- scan_archive.c (libarchive) ---- */
/* The format name when the data starts like an archive or stream it reads, else NULL. */
const char *la_magic(const unsigned char *p, size_t n);
bool la_tar_magic(const unsigned char *p, size_t n); /* needs 512 bytes */
bool la_tar_maybe(const unsigned char *p, size_t n); /* worth waiting for 512 */
#define LA_TAR_HEAD 512
#define ISO_MAGIC_OFF 32769 /* "CD001" of the first volume descriptor */
/* Scans an archive whose members sit at nesting depth `depth`; hint names it. */
void la_scan(struct scan_ctx *c, const struct source *src, unsigned int depth, const char *hint);

/* ---- scan_pdf.c ---- */
struct pdf;
struct pdf *pdf_new(struct scan_ctx *c);
int pdf_write(struct pdf *p, const unsigned char *buf, size_t n);
void pdf_close(struct pdf *p);

/* ---- scan_xml.c ---- */
struct xml;
struct xml *xml_new(struct scan_ctx *c, bool pad9);
void xml_write(struct xml *x, const unsigned char *buf, size_t n);
void xml_close(struct xml *x);

/* ---- scan_ole.c, scan_office.c ---- */
struct ole {
	struct scan_ctx *c;
	const struct source *src;
	unsigned int depth; /* of the compound file; embedded files go one deeper */
	unsigned int shift, ssize, cutoff, major, bad;
	uint32_t *fat, *minifat;
	size_t nfat, nminifat;
	unsigned char *dir; /* directory entries, 128 bytes each */
	size_t ndir;
	unsigned char *mini; /* the mini stream */
	size_t mini_len;
};

bool ole_magic(const unsigned char *p, size_t n);
void ole_scan(struct scan_ctx *c, const struct source *src, unsigned int depth);
int ole_find(const struct ole *o, const char *name);
int ole_type(const struct ole *o, size_t i);
void ole_name(const struct ole *o, size_t i, char *name, size_t size);
unsigned char *ole_stream(struct ole *o, size_t i, size_t *len);
/* Scans a whole buffer as a file of its own at nesting depth `depth`. */
void scan_buf_nested(struct scan_ctx *c, unsigned int depth, const unsigned char *p, size_t n);
bool office_ole_scan(struct ole *o);

/* ---- scan_poppler.cc: PDF through poppler (whole file in memory) ---- */
/* Returns 0, or -EBADMSG when poppler cannot open it (the caller falls back). */
int poppler_scan(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth);

/* ---- scan_mime.c ---- */
bool mime_magic(const unsigned char *p, size_t n);
void mime_scan(struct scan_ctx *c, const unsigned char *p, size_t n, unsigned int depth);

/* ---- scan_stream.c ---- */
bool html_magic(const unsigned char *p, size_t n);

#endif
