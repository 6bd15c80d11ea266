// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * File-level CPR scanner: entry points, limits and problems, inputs.  Format
 * sniffing and the simple decoders are in scan_stream.c; zip, PDF, office
 * XML, OLE2 (doc, xls, ppt, msg) and mail in scan_zip.c, scan_poppler.cc and
 * scan_pdf.c, scan_xml.c, scan_ole.c and scan_office.c, scan_mime.c.
 *
 * Everything a scan needs is in one struct scan_ctx on the caller's stack, so
 * scans run in parallel threads without locks.  Memory is bounded: read and
 * inflate buffers of fixed size per nesting level, the detector's distinct set,
 * and a compressed nested zip held in memory up to max_buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "scan_int.h"
#include "lib/time.h"

#define MIB (1024 * 1024)

/* strerror() may share a buffer between threads; this does not. */
static const char *errstr(int err, char *buf, size_t size)
{
	return strerror_r(err, buf, size);
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
		scan_compact_digits(res->msg, sizeof(res->msg));
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

void scan_encrypted(struct scan_ctx *c, const char *what)
{
	scan_problem(c, SCAN_REFUSED, SCAN_R_ENCRYPTED, "%s: encrypted", what);
}

void scan_partial(struct scan_ctx *c, const char *what, const char *why)
{
	scan_problem(c, SCAN_PARTIAL, SCAN_R_UNREAD, "%s: %s", what, why);
}

int scan_tick(struct scan_ctx *c, size_t bytes)
{
	c->work += bytes;
	if (c->work >= SCAN_TICK) {
		c->work = 0;
		if (c->deadline_ns && time_mono_ns() > c->deadline_ns && !c->stop)
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
				     r < 0 ? errstr(errno, eb, sizeof(eb)) :
					     "file shrank while scanned");
			return -EIO;
		}
		got += r;
	}
	if (s->top)
		return scan_input(c, len);
	return c->stop ? -ECANCELED : 0;
}

/* ---- entry points -------------------------------------------------------- */

/* The caller's limits with every zero field replaced by its default. */
static void limits_fill(struct scan_limits *out, const struct scan_limits *lim)
{
	struct scan_limits def;

	scan_limits_default(&def);
	if (!lim) {
		*out = def;
		return;
	}
	*out = *lim;
#define FILL(f)                         \
	do {                            \
		if (!out->f)            \
			out->f = def.f; \
	} while (0)
	FILL(max_file_size);
	FILL(max_inflated);
	FILL(max_buffer);
	FILL(max_entries);
	FILL(max_depth);
	FILL(max_ratio);
	FILL(max_time_ms);
	FILL(max_samples);
	FILL(max_distinct);
	FILL(read_size);
	FILL(max_persons);
#undef FILL
}

static int ctx_init(struct scan_ctx *c, const struct scan_limits *lim,
		    const struct scan_hooks *hooks, struct scan_result *res)
{
	struct cpr_opts o;

	memset(res, 0, sizeof(*res));
	memset(c, 0, sizeof(*c));
	limits_fill(&c->limv, lim);
	c->lim = &c->limv;
	c->hooks = hooks;
	c->res = res;
	c->io = c->lim->read_size;
	if (c->lim->max_time_ms != SCAN_NO_LIMIT)
		c->deadline_ns = time_mono_ns() + (uint64_t)c->lim->max_time_ms * 1000000ULL;
	o.max_samples = c->lim->max_samples;
	o.max_distinct = c->lim->max_distinct;
	o.substitutes = c->lim->substitutes;
	if (cpr_init(&c->det, &o)) {
		res->status = SCAN_ERROR;
		res->reason = SCAN_R_NOMEM;
		snprintf(res->msg, sizeof(res->msg), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void collect_persons(struct scan_ctx *c)
{
	struct scan_result *res = c->res;
	uint64_t want = res->cpr.distinct;

	if (want > c->lim->max_persons)
		want = c->lim->max_persons;
	res->persons_truncated = want < res->cpr.distinct || res->cpr.distinct_lower_bound;
	if (!want)
		return;
	res->persons = malloc(want * sizeof(*res->persons));
	if (!res->persons) {
		res->persons_truncated = true;
		return;
	}
	res->nr_persons = cpr_person_hashes(&c->det, c->lim->person_key, res->persons, want);
}

static int ctx_finish(struct scan_ctx *c, uint64_t t0)
{
	struct scan_result *res = c->res;

	cpr_finish(&c->det, &res->cpr);
	if (c->lim->person_key)
		collect_persons(c);
	cpr_destroy(&c->det);
	if (c->hooks && c->hooks->progress && res->status != SCAN_CANCELLED)
		c->hooks->progress(c->hooks->arg,
				   c->total && res->bytes_in > c->total ? c->total : res->bytes_in,
				   c->total);
	res->elapsed_us = (time_mono_ns() - t0) / 1000;
	return res->status;
}

/*
 * Bytes of hole at @off of a sparse file, 0 when data is there (or the file
 * system cannot tell).  A hole reads as zeros and zeros hold no number, so
 * a terabyte-sized sparse file costs what its data costs, not hours of a
 * worker reading zeros.
 */
static uint64_t hole_at(const struct source *src, uint64_t off)
{
	off_t data = lseek(src->fd, src->base + off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO ? src->size - off : 0; /* ENXIO: only hole to the end */
	if ((uint64_t)data <= src->base + off)
		return 0;
	data -= src->base;
	return (uint64_t)data < src->size ? data - off : src->size - off;
}

/*
 * Stand-in for a skipped hole: enough zeros to end any number or keyword
 * window running into it, as the whole hole would.
 */
static int feed_hole(struct scan_ctx *c, struct scan_stream *s, uint64_t len)
{
	static const unsigned char zeros[CPR_KW_WINDOW + CPR_LOOK];

	if (scan_input(c, len))
		return -ECANCELED;
	return scan_stream_write(s, zeros, len < sizeof(zeros) ? len : sizeof(zeros));
}

/* The libarchive format of a random-access input, from its head (or ISO 9660's at 32 KiB). */
static const char *archive_kind(struct scan_ctx *c, const struct source *src,
				const unsigned char *head, size_t n)
{
	struct source peek = {
		.mem = src->mem, .fd = src->fd, .base = src->base, .size = src->size
	};
	const char *name = la_magic(head, n);
	unsigned char cd[5];

	if (name)
		return name;
	if (la_tar_magic(head, n))
		return "tar";
	if (src->size >= ISO_MAGIC_OFF + sizeof(cd) &&
	    !src_read(c, &peek, ISO_MAGIC_OFF, cd, sizeof(cd)) && !memcmp(cd, "CD001", 5))
		return "iso9660";
	return NULL;
}

/* A whole random-access input: zip and archives directly, anything else streamed through a stream node. */
static void scan_source(struct scan_ctx *c, const struct source *src)
{
	unsigned char head[LA_TAR_HEAD], *buf = NULL;
	const unsigned char *p;
	struct scan_stream *s;
	const char *kind;
	uint64_t off;
	size_t n;

	n = src->size < sizeof(head) ? src->size : sizeof(head);
	if (src_read(c,
		     &(struct source){
			     .mem = src->mem, .fd = src->fd, .base = src->base, .size = src->size },
		     0, head, n))
		return;
	if (zip_magic(head, n)) {
		if (scan_depth_ok(c, 1))
			zip_scan(c, src, 1);
		return;
	}
	if (ole_magic(head, n)) {
		ole_scan(c, src, 0);
		return;
	}
	kind = archive_kind(c, src, head, n);
	if (kind) {
		if (scan_depth_ok(c, 1))
			la_scan(c, src, 1, kind);
		return;
	}
	s = scan_stream_new(c, 0, 0);
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
		n = src->sparse ? hole_at(src, off) : 0;
		if (n) {
			if (feed_hole(c, s, n))
				break;
			continue;
		}
		n = src->size - off < c->io ? src->size - off : c->io;
		p = src_map(src, off, n);
		if (!p) {
			if (src_read(c, src, off, buf, n))
				break;
			p = buf;
		} else if (scan_input(c, n)) {
			break;
		}
		if (scan_stream_write(s, p, n))
			break;
	}
out:
	scan_stream_close(s);
	free(buf);
}

/*
 * Wait until @fd is readable, but not past the scan's deadline: a pipe whose
 * writer never writes (nor closes) must not hang the scan forever.  0 ready,
 * -ETIME when the time cap is reached (recorded as SCAN_R_TIME).
 */
static int wait_readable(struct scan_ctx *c, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	int ms, r;

	for (;;) {
		ms = -1;
		if (c->deadline_ns) {
			now = time_mono_ns();
			ms = now >= c->deadline_ns ? 0 : (c->deadline_ns - now + 999999) / 1000000;
		}
		r = poll(&pfd, 1, ms);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 0; /* readable, hung up, or poll failed: read() says which */
		if (r == 0) {
			scan_problem(c, SCAN_REFUSED, SCAN_R_TIME, "time limit: over %u ms",
				     c->lim->max_time_ms);
			return -ETIME;
		}
	}
}

/* Pipes and devices: read() until EOF. */
static void scan_pipe(struct scan_ctx *c, int fd)
{
	unsigned char *buf = malloc(c->io);
	struct scan_stream *s;
	char eb[64];
	ssize_t r;

	if (!buf) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "out of memory");
		return;
	}
	s = scan_stream_new(c, 0, 0);
	while (s && !c->stop) {
		if (wait_readable(c, fd))
			break;
		r = read(fd, buf, c->io);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			c->res->err = errno;
			scan_problem(c, SCAN_ERROR, SCAN_R_IO, "read failed: %s",
				     errstr(errno, eb, sizeof(eb)));
			break;
		}
		if (!r || scan_input(c, r) || scan_stream_write(s, buf, r))
			break;
	}
	scan_stream_close(s);
	free(buf);
}

int scan_fd(int fd, const struct scan_limits *lim, const struct scan_hooks *hooks,
	    struct scan_result *res)
{
	uint64_t t0 = time_mono_ns();
	struct scan_ctx c;
	struct stat st;
	char eb[64];
	off_t pos;

	if (ctx_init(&c, lim, hooks, res))
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
		scan_pipe(&c, fd);
		goto out;
	}
	c.total = st.st_size - pos;
	if (c.total > c.lim->max_file_size) {
		scan_problem(&c, SCAN_REFUSED, SCAN_R_FILE_SIZE, "file size: %llu MiB > %llu MiB",
			     (unsigned long long)((c.total + MIB - 1) / MIB),
			     (unsigned long long)(c.lim->max_file_size / MIB));
		goto out;
	}
	posix_fadvise(fd, pos, c.total, POSIX_FADV_SEQUENTIAL);
	scan_source(&c, &(struct source){ .fd = fd,
					  .base = pos,
					  .size = c.total,
					  .top = true,
					  .sparse = (uint64_t)st.st_blocks * 512 <
						    (uint64_t)st.st_size });
out:
	return ctx_finish(&c, t0);
}

int scan_file_open(const char *path)
{
	/* O_NOATIME keeps the scan invisible to atime-based tools; only the owner may use it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOATIME | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* Non-blocking only so that opening a FIFO cannot hang; reads may block. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int scan_open_failed(int err, struct scan_result *res)
{
	char eb[64];

	memset(res, 0, sizeof(*res));
	res->status = SCAN_ERROR;
	res->reason = SCAN_R_IO;
	res->err = err;
	res->problems = 1;
	snprintf(res->msg, sizeof(res->msg), "open failed: %s", errstr(err, eb, sizeof(eb)));
	return res->status;
}

int scan_file(const char *path, const struct scan_limits *lim, const struct scan_hooks *hooks,
	      struct scan_result *res)
{
	int fd = scan_file_open(path), ret;

	if (fd < 0)
		return scan_open_failed(-fd, res);
	ret = scan_fd(fd, lim, hooks, res);
	close(fd);
	return ret;
}

int scan_buffer(const void *buf, size_t len, const struct scan_limits *lim,
		const struct scan_hooks *hooks, struct scan_result *res)
{
	uint64_t t0 = time_mono_ns();
	struct scan_ctx c;

	if (ctx_init(&c, lim, hooks, res))
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
