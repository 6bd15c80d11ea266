// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * File-level CPR scanner: entry points, caps, inputs, format sniffing and the
 * simple decoders (text, UTF-16, gzip).  Zip, PDF and office XML live in
 * scan_zip.c, scan_pdf.c and scan_xml.c.
 *
 * Everything a scan needs is in one struct scan_ctx on the caller's stack, so
 * scans run in parallel threads without locks.  Memory is bounded: read and
 * inflate buffers of fixed size per nesting level, the detector's distinct set,
 * and a compressed nested zip held in memory up to max_buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "scan_int.h"

#define SNIFF		64	/* bytes a sink looks at before choosing a decoder */
#define MIB		(1024 * 1024)

enum sink_kind { K_SNIFF, K_TEXT, K_XML, K_U16LE, K_U16BE, K_GZIP, K_ZIPBUF, K_PDF, K_SKIP };

struct sink {
	struct scan_ctx *c;
	unsigned int depth;
	int office;
	int kind;
	bool failed;			/* a problem in this stream: ignore the rest */
	size_t head_len;
	unsigned char head[SNIFF];

	int u16_pend;			/* UTF-16: first byte of a unit, or -1 */
	uint32_t u16_high;		/* UTF-16: pending high surrogate, or 0 */
	struct tbuf *tb;

	struct inflater z;		/* gzip */
	struct sink *child;
	bool gz_end;			/* gzip: the current member ended */

	unsigned char *buf;		/* zip held in memory */
	size_t len, cap;

	struct pdf *pdf;
	struct xml *xml;
};

void scan_limits_default(struct scan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_file_size = 1ULL << 30;
	lim->max_inflated = 2ULL << 30;
	lim->max_buffer = 64ULL << 20;
	lim->max_entries = 10000;
	lim->max_depth = 4;
	lim->max_ratio = 100;
	lim->max_time_ms = 30000;
	lim->max_samples = CPR_DEF_SAMPLES;
	lim->max_distinct = CPR_DEF_DISTINCT;
	lim->read_size = 256 << 10;
}

const char *scan_status_str(int status)
{
	static const char *const names[] = {
		[SCAN_OK] = "ok", [SCAN_UNSUPPORTED] = "unsupported", [SCAN_ERROR] = "error",
		[SCAN_REFUSED] = "refused", [SCAN_CANCELLED] = "cancelled",
	};

	if (status < 0 || status > SCAN_CANCELLED)
		return "unknown";
	return names[status];
}

const char *scan_reason_str(int reason)
{
	static const char *const names[] = {
		[SCAN_R_NONE] = "none", [SCAN_R_FILE_SIZE] = "file too large",
		[SCAN_R_ENTRIES] = "too many entries", [SCAN_R_DEPTH] = "nesting too deep",
		[SCAN_R_INFLATED] = "too much inflated data", [SCAN_R_RATIO] = "zip bomb",
		[SCAN_R_TIME] = "time limit", [SCAN_R_BUFFER] = "nested archive too large",
		[SCAN_R_IO] = "i/o error", [SCAN_R_CORRUPT] = "corrupt data",
		[SCAN_R_NOMEM] = "out of memory", [SCAN_R_ENCRYPTED] = "encrypted",
		[SCAN_R_FORMAT] = "unsupported format", [SCAN_R_CANCELLED] = "cancelled",
	};

	if (reason < 0 || reason > SCAN_R_CANCELLED)
		return "unknown";
	return names[reason];
}

/* strerror() may share a buffer between threads; this does not. */
static const char *errstr(int err, char *buf, size_t size)
{
	return strerror_r(err, buf, size);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Rewrites digit runs longer than four as "90M", "434k": sizes and ratios in
 * messages come from archive headers, which the file's author controls, so a
 * message could otherwise carry a number of their choosing.  This way no
 * message can hold a CPR, whatever a caller formats into it.
 */
static void compact_digits(char *msg, size_t size)
{
	static const char units[] = "kMGTPE";
	char out[sizeof(((struct scan_result *)0)->msg)];
	size_t i = 0, o = 0, j;

	while (msg[i] && o + 8 < sizeof(out)) {
		unsigned long long v = 0;
		int u = -1;

		if (msg[i] < '0' || msg[i] > '9') {
			out[o++] = msg[i++];
			continue;
		}
		for (j = i; msg[j] >= '0' && msg[j] <= '9'; j++)
			v = j - i < 19 ? v * 10 + (msg[j] - '0') : ~0ULL;
		if (j - i <= 4) {
			while (i < j)
				out[o++] = msg[i++];
			continue;
		}
		while (v >= 10000 && u < 5) {
			v /= 1000;
			u++;
		}
		o += snprintf(out + o, sizeof(out) - o, "%llu%c", v, units[u]);
		i = j;
	}
	out[o] = 0;
	snprintf(msg, size, "%s", out);
}

/*
 * Records a problem.  The most severe one names the result; these end the
 * whole scan because going on cannot help or is what the cap forbids.
 * Callers format only sizes, counts and indexes into fmt, never content.
 */
void scan_problem(struct scan_ctx *c, int status, int reason, const char *fmt, ...)
{
	struct scan_result *res = c->res;
	va_list ap;

	res->problems++;
	if (status > res->status) {
		res->status = status;
		res->reason = reason;
		va_start(ap, fmt);
		vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
		va_end(ap);
		compact_digits(res->msg, sizeof(res->msg));
	}
	switch (reason) {
	case SCAN_R_FILE_SIZE:
	case SCAN_R_INFLATED:
	case SCAN_R_TIME:
	case SCAN_R_CANCELLED:
	case SCAN_R_NOMEM:
	case SCAN_R_IO:
		c->stop = true;
		break;
	}
}

int scan_tick(struct scan_ctx *c, size_t bytes)
{
	c->work += bytes;
	if (c->work >= SCAN_TICK) {
		c->work = 0;
		if (c->deadline_ns && now_ns() > c->deadline_ns && !c->stop)
			scan_problem(c, SCAN_REFUSED, SCAN_R_TIME, "time limit: over %u ms",
				     c->lim->max_time_ms);
	}
	return c->stop ? -ECANCELED : 0;
}

int scan_input(struct scan_ctx *c, uint64_t bytes)
{
	struct scan_result *res = c->res;
	uint64_t done;

	res->bytes_in += bytes;
	if (res->bytes_in > c->lim->max_file_size && !c->stop)
		scan_problem(c, SCAN_REFUSED, SCAN_R_FILE_SIZE, "file size: over %llu MiB",
			     (unsigned long long)(c->lim->max_file_size / MIB));
	if (c->hooks && c->hooks->progress && res->bytes_in >= c->next_progress && !c->stop) {
		c->next_progress = res->bytes_in + SCAN_PROGRESS;
		done = c->total && res->bytes_in > c->total ? c->total : res->bytes_in;
		if (c->hooks->progress(c->hooks->arg, done, c->total))
			scan_problem(c, SCAN_CANCELLED, SCAN_R_CANCELLED, "cancelled");
	}
	return scan_tick(c, bytes);
}

bool scan_depth_ok(struct scan_ctx *c, unsigned int depth)
{
	if (depth <= c->lim->max_depth)
		return true;
	scan_problem(c, SCAN_REFUSED, SCAN_R_DEPTH, "nesting depth %u > %u", depth,
		     c->lim->max_depth);
	return false;
}

void scan_text(struct scan_ctx *c, const void *p, size_t n)
{
	cpr_feed(&c->det, p, n);
	c->res->bytes_scanned += n;
	scan_tick(c, n);
}

void scan_text_break(struct scan_ctx *c)
{
	cpr_break(&c->det);
}

/*
 * One byte per code point for the detector: Latin-1 stays itself (so UTF-16
 * and Latin-1 text classify alike), general punctuation and odd spaces become
 * a neutral boundary byte (never a separator: the CPR form allows a plain
 * space or hyphen only), other scripts a letter.
 */
unsigned char scan_cp_byte(uint32_t cp)
{
	if (cp < 0x100)
		return cp;
	if (cp < 0x2000)
		return 'x';
	return 0x80;
}

/* ---- sources ------------------------------------------------------------- */

const unsigned char *src_map(const struct source *s, uint64_t off, size_t len)
{
	if (!s->mem || off > s->size || len > s->size - off)
		return NULL;
	return s->mem + off;
}

int src_read(struct scan_ctx *c, const struct source *s, uint64_t off, void *buf, size_t len)
{
	size_t got = 0;
	char eb[64];
	ssize_t r;

	if (off > s->size || len > s->size - off)
		return -EINVAL;
	if (s->mem) {
		memcpy(buf, s->mem + off, len);
		got = len;
	}
	while (got < len) {
		r = pread(s->fd, (char *)buf + got, len - got, s->base + off + got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			c->res->err = r < 0 ? errno : EIO;
			scan_problem(c, SCAN_ERROR, SCAN_R_IO, "read failed: %s",
				     r < 0 ? errstr(errno, eb, sizeof(eb)) : "file shrank while scanned");
			return -EIO;
		}
		got += r;
	}
	if (s->top)
		return scan_input(c, len);
	return c->stop ? -ECANCELED : 0;
}

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

/* Applies the inflate caps to output just produced; 0 or -E2BIG. */
static int infl_caps(struct scan_ctx *c, struct inflater *z, size_t got)
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
	ratio = z->out / (z->in ? z->in : 1);
	if (z->out > SCAN_RATIO_MIN && ratio > lim->max_ratio) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_RATIO, "%s bomb: ratio %llu > %u", z->what,
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
				if (infl_caps(c, z, got))
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
				scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory", z->what);
				return -ENOMEM;
			}
			if (ret != Z_OK && ret != Z_BUF_ERROR) {
				if (z->quiet)
					return -EBADMSG;
				scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "%s: corrupt deflate data",
					     z->what);
				return -EBADMSG;
			}
		} while (z->zs.avail_in || !z->zs.avail_out);
		left -= before;
	}
	*used = n;
	return 0;
}

/* ---- sinks --------------------------------------------------------------- */

static const struct {
	const char *magic;
	size_t len;
	const char *name;
} unsupported[] = {
	{ "7z\xbc\xaf\x27\x1c", 6, "7z" },
	{ "Rar!\x1a\x07", 6, "rar" },
	{ "\xfd" "7zXZ\0", 6, "xz" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd" },
	{ "BZh", 3, "bzip2" },
};

static bool unsupported_magic(struct sink *s)
{
	const unsigned char *h = s->head;
	size_t i, n = s->head_len;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (n < unsupported[i].len || memcmp(h, unsupported[i].magic, unsupported[i].len))
			continue;
		/* "BZh" starts words too: require a block size and a block magic. */
		if (i == 4 && (n < 10 || h[3] < '1' || h[3] > '9' ||
			       (memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) &&
				memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6))))
			continue;
		scan_problem(s->c, SCAN_UNSUPPORTED, SCAN_R_FORMAT, "%s data not supported",
			     unsupported[i].name);
		return true;
	}
	return false;
}

/* UTF-16 without a BOM: most units of ASCII text have one zero byte, on one side. */
static int utf16_guess(const unsigned char *h, size_t n)
{
	size_t i, pairs = n / 2, ze = 0, zo = 0;

	if (pairs < 8)
		return 0;
	for (i = 0; i < pairs; i++) {
		ze += !h[2 * i];
		zo += !h[2 * i + 1];
	}
	if (zo * 10 >= pairs * 8 && ze * 10 <= pairs)
		return K_U16LE;
	if (ze * 10 >= pairs * 8 && zo * 10 <= pairs)
		return K_U16BE;
	return 0;
}

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
static size_t sink_pick(struct sink *s)
{
	const unsigned char *h = s->head;
	size_t n = s->head_len;
	struct scan_ctx *c = s->c;
	int u16;

	if (zip_magic(h, n)) {
		s->kind = scan_depth_ok(c, s->depth + 1) ? K_ZIPBUF : K_SKIP;
		return 0;
	}
	if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8) {
		c->res->formats |= SCAN_FMT_GZIP;
		s->kind = K_SKIP;
		if (!scan_depth_ok(c, s->depth + 1) || infl_init(c, &s->z, 16 + MAX_WBITS, "gzip"))
			return 0;
		s->child = sink_new(c, s->depth + 1, 0);
		if (s->child)
			s->kind = K_GZIP;
		return 0;
	}
	if (memmem(h, n, "%PDF-", 5)) {
		c->res->formats |= SCAN_FMT_PDF;
		s->pdf = pdf_new(c);
		s->kind = s->pdf ? K_PDF : K_SKIP;
		return 0;
	}
	u16 = 0;
	if (n >= 2 && h[0] == 0xff && h[1] == 0xfe)
		u16 = K_U16LE;
	else if (n >= 2 && h[0] == 0xfe && h[1] == 0xff)
		u16 = K_U16BE;
	if (u16 || (u16 = utf16_guess(h, n))) {
		c->res->formats |= SCAN_FMT_UTF16;
		s->tb = malloc(sizeof(*s->tb));
		if (!s->tb) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "utf-16: out of memory");
			s->kind = K_SKIP;
			return 0;
		}
		s->tb->c = c;
		s->tb->n = 0;
		s->u16_pend = -1;
		s->kind = u16;
		return n >= 2 && (h[0] == 0xff || h[0] == 0xfe) ? 2 : 0;
	}
	if (unsupported_magic(s)) {
		s->kind = K_SKIP;
		return 0;
	}
	if (s->office && looks_xml(h, n)) {
		c->res->formats |= SCAN_FMT_XML;
		s->xml = xml_new(c, s->office == 2);
		s->kind = s->xml ? K_XML : K_SKIP;
		return 0;
	}
	c->res->formats |= SCAN_FMT_TEXT;
	s->kind = K_TEXT;
	return n >= 3 && !memcmp(h, "\xef\xbb\xbf", 3) ? 3 : 0;
}

struct sink *sink_new(struct scan_ctx *c, unsigned int depth, int office)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "out of memory");
		return NULL;
	}
	s->c = c;
	s->depth = depth;
	s->office = office;
	s->kind = K_SNIFF;
	return s;
}

static void u16_push(struct sink *s, const unsigned char *p, size_t n)
{
	bool le = s->kind == K_U16LE;
	uint32_t u;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s->u16_pend < 0) {
			s->u16_pend = p[i];
			continue;
		}
		u = le ? (uint32_t)s->u16_pend | (uint32_t)p[i] << 8 :
			 (uint32_t)s->u16_pend << 8 | p[i];
		s->u16_pend = -1;
		if (u >= 0xd800 && u < 0xdc00) {
			s->u16_high = u;
			continue;
		}
		if (u >= 0xdc00 && u < 0xe000)
			u = s->u16_high ? 0x10000 : 0xfffd;
		else if (s->u16_high)
			tb_put(s->tb, scan_cp_byte(0xfffd));
		s->u16_high = 0;
		tb_put(s->tb, scan_cp_byte(u));
	}
}

static int gz_emit(void *arg, const unsigned char *p, size_t n)
{
	struct sink *s = arg;

	return sink_write(s->child, p, n);
}

static void gz_push(struct sink *s, const unsigned char *p, size_t n)
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

static void zipbuf_push(struct sink *s, const unsigned char *p, size_t n)
{
	struct scan_ctx *c = s->c;
	size_t cap;
	void *nb;

	if (s->len + n > c->lim->max_buffer) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_BUFFER, "nested zip: over %llu MiB",
			     (unsigned long long)(c->lim->max_buffer / MIB));
		s->failed = true;
		return;
	}
	if (s->len + n > s->cap) {
		cap = s->cap ? s->cap : 64 * 1024;
		while (cap < s->len + n)
			cap *= 2;
		if (cap > c->lim->max_buffer)
			cap = c->lim->max_buffer;
		nb = realloc(s->buf, cap);
		if (!nb) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "nested zip: out of memory");
			s->failed = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void sink_push(struct sink *s, const unsigned char *p, size_t n)
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
	case K_U16LE:
	case K_U16BE:
		u16_push(s, p, n);
		break;
	case K_GZIP:
		gz_push(s, p, n);
		break;
	case K_ZIPBUF:
		zipbuf_push(s, p, n);
		break;
	case K_PDF:
		if (pdf_write(s->pdf, p, n) < 0)
			s->failed = true;
		break;
	default:
		break;
	}
}

static void sink_start(struct sink *s)
{
	size_t skip = sink_pick(s);

	sink_push(s, s->head + skip, s->head_len - skip);
}

int sink_write(struct sink *s, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t take;

	if (s->c->stop)
		return -ECANCELED;
	if (s->kind == K_SNIFF) {
		take = n < SNIFF - s->head_len ? n : SNIFF - s->head_len;
		memcpy(s->head + s->head_len, p, take);
		s->head_len += take;
		p += take;
		n -= take;
		if (s->head_len < SNIFF)
			return 0;
		sink_start(s);
	}
	sink_push(s, p, n);
	return s->c->stop ? -ECANCELED : 0;
}

static void zipbuf_close(struct sink *s)
{
	struct source src = { .mem = s->buf, .size = s->len };

	if (!s->failed && !s->c->stop)
		zip_scan(s->c, &src, s->depth + 1);
	free(s->buf);
	s->buf = NULL;
}

int sink_close(struct sink *s)
{
	struct scan_ctx *c;

	if (!s)
		return 0;
	c = s->c;
	if (s->kind == K_SNIFF)
		sink_start(s);
	switch (s->kind) {
	case K_XML:
		xml_close(s->xml);
		break;
	case K_U16LE:
	case K_U16BE:
		tb_flush(s->tb);
		free(s->tb);
		break;
	case K_GZIP:
		if (!s->gz_end && !s->failed && !c->stop)
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "gzip: truncated stream");
		sink_close(s->child);
		break;
	case K_ZIPBUF:
		zipbuf_close(s);
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

/* ---- entry points -------------------------------------------------------- */

static int ctx_init(struct scan_ctx *c, const struct scan_limits *lim,
		    const struct scan_hooks *hooks, struct scan_result *res,
		    struct scan_limits *deflim)
{
	struct cpr_opts o;

	memset(res, 0, sizeof(*res));
	memset(c, 0, sizeof(*c));
	if (!lim) {
		scan_limits_default(deflim);
		lim = deflim;
	}
	c->lim = lim;
	c->hooks = hooks;
	c->res = res;
	c->io = lim->read_size ? lim->read_size : 256 << 10;
	if (lim->max_time_ms)
		c->deadline_ns = now_ns() + (uint64_t)lim->max_time_ms * 1000000ULL;
	o.max_samples = lim->max_samples;
	o.max_distinct = lim->max_distinct;
	o.substitutes = lim->substitutes;
	if (cpr_init(&c->det, &o)) {
		res->status = SCAN_ERROR;
		res->reason = SCAN_R_NOMEM;
		snprintf(res->msg, sizeof(res->msg), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int ctx_finish(struct scan_ctx *c, uint64_t t0)
{
	struct scan_result *res = c->res;

	cpr_finish(&c->det, &res->cpr);
	cpr_destroy(&c->det);
	if (c->hooks && c->hooks->progress && res->status != SCAN_CANCELLED)
		c->hooks->progress(c->hooks->arg,
				   c->total && res->bytes_in > c->total ? c->total : res->bytes_in,
				   c->total);
	res->elapsed_us = (now_ns() - t0) / 1000;
	return res->status;
}

/* A whole random-access input: zip directly, anything else streamed through a sink. */
static void scan_source(struct scan_ctx *c, const struct source *src)
{
	unsigned char head[8], *buf = NULL;
	const unsigned char *p;
	struct sink *s;
	uint64_t off;
	size_t n;

	n = src->size < sizeof(head) ? src->size : sizeof(head);
	if (src_read(c, &(struct source){ .mem = src->mem, .fd = src->fd, .base = src->base,
					   .size = src->size }, 0, head, n))
		return;
	if (zip_magic(head, n)) {
		if (scan_depth_ok(c, 1))
			zip_scan(c, src, 1);
		return;
	}
	s = sink_new(c, 0, 0);
	if (!s)
		return;
	if (!src->mem) {
		buf = malloc(c->io);
		if (!buf) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "out of memory");
			goto out;
		}
	}
	for (off = 0; off < src->size && !c->stop; off += n) {
		n = src->size - off < c->io ? src->size - off : c->io;
		p = src_map(src, off, n);
		if (!p) {
			if (src_read(c, src, off, buf, n))
				break;
			p = buf;
		} else if (scan_input(c, n)) {
			break;
		}
		if (sink_write(s, p, n))
			break;
	}
out:
	sink_close(s);
	free(buf);
}

/* Pipes and devices: read() until EOF. */
static void scan_stream(struct scan_ctx *c, int fd)
{
	unsigned char *buf = malloc(c->io);
	struct sink *s;
	char eb[64];
	ssize_t r;

	if (!buf) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "out of memory");
		return;
	}
	s = sink_new(c, 0, 0);
	while (s && !c->stop) {
		r = read(fd, buf, c->io);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			c->res->err = errno;
			scan_problem(c, SCAN_ERROR, SCAN_R_IO, "read failed: %s",
				     errstr(errno, eb, sizeof(eb)));
			break;
		}
		if (!r || scan_input(c, r) || sink_write(s, buf, r))
			break;
	}
	sink_close(s);
	free(buf);
}

int scan_fd(int fd, const struct scan_limits *lim, const struct scan_hooks *hooks,
	    struct scan_result *res)
{
	uint64_t t0 = now_ns();
	struct scan_limits deflim;
	struct scan_ctx c;
	struct stat st;
	char eb[64];
	off_t pos;

	if (ctx_init(&c, lim, hooks, res, &deflim))
		return res->status;
	if (fstat(fd, &st)) {
		res->err = errno;
		scan_problem(&c, SCAN_ERROR, SCAN_R_IO, "stat failed: %s",
			     errstr(errno, eb, sizeof(eb)));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		res->err = EISDIR;
		scan_problem(&c, SCAN_ERROR, SCAN_R_IO, "is a directory");
		goto out;
	}
	pos = S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
	if (pos < 0 || pos > st.st_size) {
		scan_stream(&c, fd);
		goto out;
	}
	c.total = st.st_size - pos;
	if (c.total > c.lim->max_file_size) {
		scan_problem(&c, SCAN_REFUSED, SCAN_R_FILE_SIZE,
			     "file size: %llu MiB > %llu MiB",
			     (unsigned long long)((c.total + MIB - 1) / MIB),
			     (unsigned long long)(c.lim->max_file_size / MIB));
		goto out;
	}
	posix_fadvise(fd, pos, c.total, POSIX_FADV_SEQUENTIAL);
	scan_source(&c, &(struct source){ .fd = fd, .base = pos, .size = c.total, .top = true });
out:
	return ctx_finish(&c, t0);
}

int scan_file(const char *path, const struct scan_limits *lim, const struct scan_hooks *hooks,
	      struct scan_result *res)
{
	uint64_t t0 = now_ns();
	struct scan_limits deflim;
	struct scan_ctx c;
	int fd, ret, err;
	char eb[64];

	/* O_NOATIME keeps the scan invisible to atime-based tools; only the owner may use it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOATIME | O_NONBLOCK);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		if (ctx_init(&c, lim, hooks, res, &deflim))
			return res->status;
		res->err = err;
		scan_problem(&c, SCAN_ERROR, SCAN_R_IO, "open failed: %s",
			     errstr(err, eb, sizeof(eb)));
		return ctx_finish(&c, t0);
	}
	/* Non-blocking only so that opening a FIFO cannot hang; reads may block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ret = scan_fd(fd, lim, hooks, res);
	close(fd);
	return ret;
}

int scan_buffer(const void *buf, size_t len, const struct scan_limits *lim,
		const struct scan_hooks *hooks, struct scan_result *res)
{
	uint64_t t0 = now_ns();
	struct scan_limits deflim;
	struct scan_ctx c;

	if (ctx_init(&c, lim, hooks, res, &deflim))
		return res->status;
	c.total = len;
	if (len > c.lim->max_file_size)
		scan_problem(&c, SCAN_REFUSED, SCAN_R_FILE_SIZE, "file size: %llu MiB > %llu MiB",
			     (unsigned long long)((len + MIB - 1) / MIB),
			     (unsigned long long)(c.lim->max_file_size / MIB));
	else
		scan_source(&c, &(struct source){ .mem = buf, .size = len, .top = true });
	return ctx_finish(&c, t0);
}
