// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Archives and compressed streams through libarchive (Debian's libarchive,
 * the reader every Linux archiver shares): 7z, rar (4 and 5), tar, cpio and
 * ISO 9660 archives, and bare xz, lzma, bzip2, zstd, lz4 and compress
 * streams (libarchive's "raw" format: one member, the decompressed data).
 * A tar inside one of these is unpacked by libarchive in one go.
 *
 * zip and gzip stay with scan_zip.c and the stream node's own inflater: they stream
 * with the same caps, read a zip's central directory by random access and
 * recover from a missing one, and the office formats depend on their member
 * names; libarchive adds nothing there.
 *
 * Only the filters linked into libarchive are enabled: the others (lrzip,
 * lzop, grzip...) would run an external program, which the sandbox forbids.
 * Member names are never asked for.  Every member goes to a child stream node one
 * level deeper, with the caps of the whole scan: entries, depth, inflated
 * bytes, ratio (output over the archive bytes libarchive consumed) and time.
 * An encrypted member or archive is refused with reason "encrypted".
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scan_int.h"

#define MIB (1024 * 1024)

struct la_src {
	struct scan_ctx *c;
	const struct source *src;
	uint64_t off;
	unsigned char *buf;
};

/* Magic at the start of the data; tar and ISO 9660 are found by la_deep_magic(). */
const char *la_magic(const unsigned char *h, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} m[] = {
		{ "7z\xbc\xaf\x27\x1c", 6, "7z" },
		{ "Rar!\x1a\x07", 6, "rar" },
		{ "\xfd"
		  "7zXZ\0",
		  6, "xz" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd" },
		{ "\x04\x22\x4d\x18", 4, "lz4" },
		{ "070701", 6, "cpio" },
		{ "070702", 6, "cpio" },
		{ "070707", 6, "cpio" },
		{ "\xc7\x71", 2, "cpio" },
		{ "\x5d\0\0", 3, "lzma" },
		{ "\x1f\x9d", 2, "compress" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (n >= m[i].len && !memcmp(h, m[i].magic, m[i].len))
			return m[i].name;
	/* "BZh" starts words too: require a block size and a block magic. */
	if (n >= 10 && !memcmp(h, "BZh", 3) && h[3] >= '1' && h[3] <= '9' &&
	    (!memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) ||
	     !memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6)))
		return "bzip2";
	return NULL;
}

/* A POSIX or GNU tar header ("ustar" at 257) in the first 512 bytes. */
bool la_tar_magic(const unsigned char *h, size_t n)
{
	return n >= 512 && !memcmp(h + 257, "ustar", 5);
}

/*
 * Could this be the start of a tar header, so the stream node should hold 512 bytes
 * before choosing?  A tar header starts with a NUL-padded member name: some
 * printable bytes, then only NULs to the end of what we have.
 */
bool la_tar_maybe(const unsigned char *h, size_t n)
{
	size_t i = 0;

	while (i < n && h[i] >= 0x20 && h[i] < 0x7f)
		i++;
	if (!i || i == n)
		return false;
	for (; i < n; i++)
		if (h[i])
			return false;
	return true;
}

static la_ssize_t src_cb(struct archive *a, void *arg, const void **out)
{
	struct la_src *l = arg;
	size_t n = l->src->size - l->off < l->c->io ? l->src->size - l->off : l->c->io;

	if (!n)
		return 0;
	if (src_read(l->c, l->src, l->off, l->buf, n)) {
		archive_set_error(a, EIO, "read failed");
		return -1;
	}
	l->off += n;
	*out = l->buf;
	return n;
}

static la_int64_t skip_cb(struct archive *a, void *arg, la_int64_t request)
{
	struct la_src *l = arg;
	uint64_t left = l->src->size - l->off;

	if (request < 0)
		return 0;
	if ((uint64_t)request > left)
		request = left;
	l->off += request;
	return request;
}

/* 7z and ISO 9660 read their directories at the end: random access, as zip does. */
static la_int64_t seek_cb(struct archive *a, void *arg, la_int64_t offset, int whence)
{
	struct la_src *l = arg;
	int64_t base = whence == SEEK_SET ? 0 :
		       whence == SEEK_CUR ? (int64_t)l->off :
					    (int64_t)l->src->size;

	if (base + offset < 0 || (uint64_t)(base + offset) > l->src->size)
		return ARCHIVE_FATAL;
	l->off = base + offset;
	return l->off;
}

static struct archive *la_open(struct scan_ctx *c, bool raw_only)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	/* built-in decoders only: the program-based ones would exec */
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_compress(a);
	archive_read_support_filter_gzip(a); /* a .tar.gz inside a 7z, say */
	archive_read_support_format_raw(a);
	if (raw_only)
		return a;
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_iso9660(a);
	return a;
}

/* Caps on what a member produced so far; 0 or -E2BIG (recorded). */
static int la_caps(struct scan_ctx *c, struct archive *a, size_t got, const char *what)
{
	int64_t in = archive_filter_bytes(a, -1);

	/* the ratio of the archive as a whole: all inflated so far over what was read */
	return scan_inflate_caps(c, got, c->res->bytes_inflated + got, in > 0 ? (uint64_t)in : 0,
				 what);
}

static bool la_encrypted(struct archive *a, struct archive_entry *e)
{
	const char *err = archive_error_string(a);

	return (e && (archive_entry_is_encrypted(e) || archive_entry_is_data_encrypted(e))) ||
	       archive_read_has_encrypted_entries(a) > 0 ||
	       (err && (strstr(err, "ncrypt") || strstr(err, "assword")));
}

/* One member into a child stream node; false when the whole archive must stop. */
static bool la_member(struct scan_ctx *c, struct archive *a, unsigned int depth, const char *what)
{
	struct scan_stream *s = scan_stream_new(c, depth, 0);
	unsigned char *buf = malloc(INFL_OUT);
	la_ssize_t n;
	bool ok = s && buf;

	while (ok && !c->stop) {
		n = archive_read_data(a, buf, INFL_OUT);
		if (n == 0)
			break;
		if (n < 0) {
			if (la_encrypted(a, NULL))
				scan_encrypted(c, what);
			else if (n == ARCHIVE_FATAL)
				scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "%s: corrupt member",
					     what);
			else
				continue; /* ARCHIVE_WARN/RETRY: libarchive goes on */
			ok = false;
			break;
		}
		if (la_caps(c, a, n, what) || scan_tick(c, n) || scan_stream_write(s, buf, n))
			ok = false;
	}
	if (!buf)
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory", what);
	scan_stream_close(s);
	free(buf);
	return ok && !c->stop;
}

/* Walks the members of an opened archive; their content sits at `depth`.  Returns how many. */
static unsigned int la_walk(struct scan_ctx *c, struct archive *a, unsigned int depth,
			    const char *hint)
{
	struct archive_entry *e;
	unsigned int n = 0;
	int r;

	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
			if (la_encrypted(a, NULL))
				scan_encrypted(c, hint);
			else
				scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "%s: corrupt archive",
					     hint);
			break;
		}
		n++;
		if (++c->res->entries > c->lim->max_entries) {
			scan_problem(c, SCAN_REFUSED, SCAN_R_ENTRIES, "%s: more than %u entries",
				     hint, c->lim->max_entries);
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (la_encrypted(a, e)) {
			scan_encrypted(c, hint);
			continue; /* other members may still be readable */
		}
		if (!la_member(c, a, depth, hint))
			break;
	}
	return n;
}

/* One pass over src: a 0 when done, 1 when it read as an empty tar. */
static int la_pass(struct scan_ctx *c, const struct source *src, unsigned int depth,
		   const char *hint, bool raw_only)
{
	struct la_src l = { .c = c, .src = src };
	struct archive *a = la_open(c, raw_only);
	int r, ret = 0;

	if (!a) {
		scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory", hint);
		return 0;
	}
	if (src->mem) {
		r = archive_read_open_memory(a, src->mem, src->size);
	} else {
		l.buf = malloc(c->io);
		if (!l.buf) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "%s: out of memory", hint);
			goto out;
		}
		archive_read_set_callback_data(a, &l);
		archive_read_set_read_callback(a, src_cb);
		archive_read_set_skip_callback(a, skip_cb);
		archive_read_set_seek_callback(a, seek_cb);
		r = archive_read_open1(a);
	}
	if (r != ARCHIVE_OK) {
		if (!c->stop)
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "%s: not readable", hint);
		goto out;
	}
	if (!la_walk(c, a, depth, hint) && !raw_only && !c->stop &&
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR)
		ret = 1;
out:
	archive_read_free(a);
	free(l.buf);
	return ret;
}

/*
 * Scans an archive (a whole source) whose members sit at nesting depth
 * `depth`.  A compressed stream whose data starts with zeros reads as an
 * empty tar (its end marker) and libarchive would stop there: read it again
 * as a plain stream, so nothing after those zeros goes unread.
 */
void la_scan(struct scan_ctx *c, const struct source *src, unsigned int depth, const char *hint)
{
	c->res->formats |= SCAN_FMT_ARCHIVE;
	if (la_pass(c, src, depth, hint, false))
		la_pass(c, src, depth, hint, true);
}
