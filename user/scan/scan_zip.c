// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Zip reader for the scanner: stored and deflate members, zip64, data
 * prepended to the archive.  The central directory is authoritative; without
 * one (a truncated download, a damaged file) the local headers are walked from
 * the start so that whatever is there still gets scanned, and the result says
 * the archive is corrupt.
 *
 * Bombs: a member whose declared or actual ratio passes max_ratio is refused,
 * and so is an archive whose members claim more compressed bytes than the
 * archive holds (overlapping members, the "better zip bomb").  Every read is
 * checked against the source size: offsets in the archive are untrusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

#define SIG_LFH 0x04034b50
#define SIG_CDH 0x02014b50
#define SIG_EOCD 0x06054b50
#define SIG_LOC64 0x07064b50
#define SIG_EOCD64 0x06064b50
#define SIG_DD 0x08074b50
#define EOCD_LEN 22
#define EOCD_SCAN (EOCD_LEN + 65535 + 20)
#define CD_MAX (64U << 20) /* central directory held in memory, at most */
#define NAME_MAX_LEN 255

struct zip_entry {
	uint64_t csize, usize, lho;
	uint32_t index;
	uint16_t method, flags;
	bool sizes_known; /* usize is trustworthy (central directory) */
	char name[NAME_MAX_LEN + 1];
};

struct zip {
	struct scan_ctx *c;
	const struct source *src;
	unsigned int depth;
	uint64_t shift;	   /* bytes prepended before the archive proper */
	uint64_t claimed;  /* compressed bytes claimed by members */
	unsigned char *io; /* read buffer for descriptor sources */
};

bool zip_magic(const unsigned char *p, size_t n)
{
	return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	       ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

/* Points at n bytes of the archive at off: mapped, or read into z->io (n <= z->c->io). */
static const unsigned char *zip_data(struct zip *z, uint64_t off, size_t n)
{
	const unsigned char *p = src_map(z->src, off, n);

	if (p) {
		if (z->src->top && scan_input(z->c, n))
			return NULL;
		return p;
	}
	if (z->src->mem)
		return NULL; /* out of bounds */
	if (!z->io) {
		z->io = malloc(z->c->io);
		if (!z->io) {
			scan_problem(z->c, SCAN_ERROR, SCAN_R_NOMEM, "zip: out of memory");
			return NULL;
		}
	}
	if (src_read(z->c, z->src, off, z->io, n))
		return NULL;
	return z->io;
}

/* Reads n bytes into buf without counting them as file input (headers). */
static int zip_peek(struct zip *z, uint64_t off, void *buf, size_t n)
{
	struct source s = *z->src;

	s.top = false;
	if (off > s.size || n > s.size - off)
		return -EINVAL;
	return src_read(z->c, &s, off, buf, n);
}

static int office_mode(struct zip *z, const char *name)
{
	struct scan_result *res = z->c->res;
	size_t n = strlen(name);

	if (!strcmp(name, "xl/workbook.xml"))
		res->formats |= SCAN_FMT_XLSX;
	else if (!strcmp(name, "word/document.xml"))
		res->formats |= SCAN_FMT_DOCX;
	else if (!strcmp(name, "ppt/presentation.xml"))
		res->formats |= SCAN_FMT_PPTX;
	else if (!strcmp(name, "mimetype") || !strcmp(name, "content.xml"))
		res->formats |= SCAN_FMT_ODF;
	if (n < 5 || strcmp(name + n - 4, ".xml"))
		return 0;
	if (!strncmp(name, "xl/", 3))
		return 2;
	if (!strncmp(name, "word/", 5) || !strncmp(name, "ppt/", 4) ||
	    !strcmp(name, "content.xml") || !strcmp(name, "styles.xml"))
		return 1;
	return 0;
}

static int emit_stream(void *arg, const unsigned char *p, size_t n)
{
	return scan_stream_write(arg, p, n);
}

/*
 * Streams a member's data (csize bytes at data_off, or up to the end of its
 * deflate stream) into a stream node.  Returns the compressed bytes consumed, or
 * negative when the archive should not be walked further.
 */
static int64_t entry_stream(struct zip *z, const struct zip_entry *e, uint64_t data_off,
			    uint64_t csize)
{
	struct scan_ctx *c = z->c;
	struct inflater inf = { 0 };
	bool ended = false, failed = false;
	const unsigned char *p;
	uint64_t off;
	struct scan_stream *s;
	size_t n, used;
	int r;

	if (e->method == 8 && infl_init(c, &inf, -MAX_WBITS, "zip"))
		return -ENOMEM;
	s = scan_stream_new(c, z->depth, office_mode(z, e->name));
	if (!s) {
		infl_end(&inf);
		return -ENOMEM;
	}
	for (off = 0; off < csize && !ended; off += n) {
		n = csize - off < c->io ? csize - off : c->io;
		p = zip_data(z, data_off + off, n);
		if (!p) {
			failed = true;
			break;
		}
		if (e->method == 0) {
			if (scan_stream_write(s, p, n))
				break;
			continue;
		}
		r = infl_run(c, &inf, p, n, &used, emit_stream, s);
		if (r < 0) {
			failed = true;
			break;
		}
		if (r == 1) {
			ended = true;
			off += used;
			n = 0;
		}
	}
	if (e->method == 8 && !ended && !failed && !c->stop)
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "zip: entry %u: deflate data truncated",
			     e->index);
	else if (e->method == 8 && ended && e->sizes_known && inf.out != e->usize)
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
			     "zip: entry %u: size differs from its header", e->index);
	infl_end(&inf);
	scan_stream_close(s);
	if (c->stop)
		return -ECANCELED;
	return e->method == 8 ? (int64_t)inf.in : (int64_t)off;
}

/* Scans one member.  Returns compressed bytes consumed, or negative to stop the walk. */
static int64_t entry_scan(struct zip *z, const struct zip_entry *e, uint64_t data_off,
			  uint64_t csize)
{
	struct scan_ctx *c = z->c;
	const struct scan_limits *lim = c->lim;
	size_t nlen = strlen(e->name);
	unsigned char magic[4];
	uint64_t avail;

	if (nlen && e->name[nlen - 1] == '/' && !e->usize)
		return 0; /* a directory */
	if (e->flags & 1) {
		scan_encrypted(c, "zip");
		return csize;
	}
	if (e->method != 0 && e->method != 8) {
		scan_problem(c, SCAN_UNSUPPORTED, SCAN_R_FORMAT,
			     "zip: entry %u: compression method %u not supported", e->index,
			     e->method);
		return csize;
	}
	if (data_off > z->src->size) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "zip: entry %u: data past the end",
			     e->index);
		return -EBADMSG;
	}
	avail = z->src->size - data_off;
	if (csize > avail) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "zip: entry %u: data past the end",
			     e->index);
		csize = avail; /* scan what is there */
	}
	if (e->sizes_known && e->usize > SCAN_RATIO_MIN &&
	    e->usize / (csize ? csize : 1) > lim->max_ratio) {
		scan_problem(c, SCAN_REFUSED, SCAN_R_RATIO, "zip bomb: entry %u ratio %llu > %u",
			     e->index, (unsigned long long)(e->usize / (csize ? csize : 1)),
			     lim->max_ratio);
		return csize;
	}
	c->res->entries++;
	if (e->method == 0 && csize >= 4 && !zip_peek(z, data_off, magic, 4) &&
	    zip_magic(magic, 4)) {
		/* A stored archive inside: read it in place. */
		struct source sub = *z->src;

		if (sub.mem)
			sub.mem += data_off;
		else
			sub.base += data_off;
		sub.size = csize;
		if (scan_depth_ok(c, z->depth + 1))
			zip_scan(c, &sub, z->depth + 1);
		return c->stop ? -ECANCELED : (int64_t)csize;
	}
	return entry_stream(z, e, data_off, csize);
}

/* Zip64 extended information: replaces the fields that hold 0xffffffff. */
static void zip64_extra(struct zip_entry *e, const unsigned char *x, size_t len, bool has_lho)
{
	size_t pos = 0, fl, q;

	while (pos + 4 <= len) {
		fl = le16(x + pos + 2);
		if (pos + 4 + fl > len)
			return;
		if (le16(x + pos) == 1) {
			q = pos + 4;
			if (e->usize == 0xffffffff && q + 8 <= pos + 4 + fl) {
				e->usize = le64(x + q);
				q += 8;
			}
			if (e->csize == 0xffffffff && q + 8 <= pos + 4 + fl) {
				e->csize = le64(x + q);
				q += 8;
			}
			if (has_lho && e->lho == 0xffffffff && q + 8 <= pos + 4 + fl)
				e->lho = le64(x + q);
			return;
		}
		pos += 4 + fl;
	}
}

static void copy_name(char *dst, const unsigned char *p, size_t n)
{
	size_t i;

	if (n > NAME_MAX_LEN)
		n = NAME_MAX_LEN;
	for (i = 0; i < n; i++)
		dst[i] = p[i] ? p[i] : '_';
	dst[n] = 0;
}

/* Finds the end of central directory.  0 and the directory's place, or -ENOENT. */
static int find_eocd(struct zip *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
	uint64_t size = z->src->size, tail = size < EOCD_SCAN ? size : EOCD_SCAN;
	uint64_t base = size - tail, pos, end;
	unsigned char *buf, rec[56];
	int64_t i;
	int ret = -ENOENT;

	if (tail < EOCD_LEN)
		return -ENOENT;
	buf = malloc(tail);
	if (!buf) {
		scan_problem(z->c, SCAN_ERROR, SCAN_R_NOMEM, "zip: out of memory");
		return -ENOMEM;
	}
	if (zip_peek(z, base, buf, tail))
		goto out;
	for (i = tail - EOCD_LEN; i >= 0; i--) {
		if (le32(buf + i) != SIG_EOCD)
			continue;
		pos = base + i;
		*count = le16(buf + i + 10);
		*cd_size = le32(buf + i + 12);
		*cd_off = le32(buf + i + 16);
		end = pos;
		if ((*count == 0xffff || *cd_size == 0xffffffff || *cd_off == 0xffffffff) &&
		    i >= 20 && le32(buf + i - 20) == SIG_LOC64) {
			uint64_t off64 = le64(buf + i - 20 + 8);

			if (zip_peek(z, off64, rec, sizeof(rec)) || le32(rec) != SIG_EOCD64)
				continue;
			*count = le64(rec + 32);
			*cd_size = le64(rec + 40);
			*cd_off = le64(rec + 48);
			end = off64;
		}
		if (*cd_off > end || *cd_size > end - *cd_off)
			continue; /* a signature inside the comment, or garbage */
		z->shift = end - *cd_off - *cd_size;
		ret = 0;
		break;
	}
out:
	free(buf);
	return ret;
}

static void walk_central(struct zip *z, uint64_t cd_off, uint64_t cd_size, uint64_t count)
{
	struct scan_ctx *c = z->c;
	const unsigned char *cd, *h;
	unsigned char *owned = NULL, lfh[30];
	struct zip_entry e;
	uint64_t pos = 0, data_off;
	size_t nlen, xlen, klen;
	uint32_t idx;
	int64_t r;

	if (count > c->lim->max_entries)
		scan_problem(c, SCAN_REFUSED, SCAN_R_ENTRIES, "zip: %llu entries > %u",
			     (unsigned long long)count, c->lim->max_entries);
	if (cd_size > CD_MAX) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT, "zip: central directory over %u MiB",
			     CD_MAX >> 20);
		return;
	}
	cd = src_map(z->src, cd_off + z->shift, cd_size);
	if (!cd) {
		owned = malloc(cd_size ? cd_size : 1);
		if (!owned) {
			scan_problem(c, SCAN_ERROR, SCAN_R_NOMEM, "zip: out of memory");
			return;
		}
		if (zip_peek(z, cd_off + z->shift, owned, cd_size))
			goto out;
		cd = owned;
	}
	for (idx = 0; pos < cd_size && !c->stop; idx++) {
		if (idx >= c->lim->max_entries) {
			if (count <= c->lim->max_entries)
				scan_problem(c, SCAN_REFUSED, SCAN_R_ENTRIES,
					     "zip: more than %u entries", c->lim->max_entries);
			break;
		}
		h = cd + pos;
		if (cd_size - pos < 46 || le32(h) != SIG_CDH) {
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
				     "zip: bad central directory record %u", idx);
			break;
		}
		nlen = le16(h + 28);
		xlen = le16(h + 30);
		klen = le16(h + 32);
		if (cd_size - pos - 46 < nlen + xlen + klen) {
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
				     "zip: bad central directory record %u", idx);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.index = idx;
		e.flags = le16(h + 8);
		e.method = le16(h + 10);
		e.csize = le32(h + 20);
		e.usize = le32(h + 24);
		e.lho = le32(h + 42);
		e.sizes_known = true;
		copy_name(e.name, h + 46, nlen);
		zip64_extra(&e, h + 46 + nlen, xlen, true);
		pos += 46 + nlen + xlen + klen;

		if (zip_peek(z, e.lho + z->shift, lfh, sizeof(lfh)) || le32(lfh) != SIG_LFH) {
			if (c->stop)
				break;
			scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
				     "zip: entry %u: bad local header", idx);
			continue;
		}
		data_off = e.lho + z->shift + 30 + le16(lfh + 26) + le16(lfh + 28);
		if (e.csize > z->src->size - z->claimed) {
			scan_problem(c, SCAN_REFUSED, SCAN_R_RATIO,
				     "zip bomb: members overlap (%u entries)", idx + 1);
			break;
		}
		z->claimed += e.csize;
		r = entry_scan(z, &e, data_off, e.csize);
		if (r < 0 && c->stop)
			break;
	}
out:
	free(owned);
}

/* No central directory: walk the local headers from the start. */
static void walk_local(struct zip *z)
{
	struct scan_ctx *c = z->c;
	uint64_t off = 0, data_off, dd;
	unsigned char h[30], name[NAME_MAX_LEN], x[64], sig[4];
	struct zip_entry e;
	size_t nlen, xlen;
	uint32_t idx;
	int64_t r;

	for (idx = 0; !c->stop; idx++) {
		if (zip_peek(z, off, h, sizeof(h)) || le32(h) != SIG_LFH)
			break;
		if (idx >= c->lim->max_entries) {
			scan_problem(c, SCAN_REFUSED, SCAN_R_ENTRIES, "zip: more than %u entries",
				     c->lim->max_entries);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.index = idx;
		e.flags = le16(h + 6);
		e.method = le16(h + 8);
		e.csize = le32(h + 18);
		e.usize = le32(h + 22);
		e.sizes_known = !(e.flags & 8);
		nlen = le16(h + 26);
		xlen = le16(h + 28);
		if (zip_peek(z, off + 30, name, nlen < sizeof(name) ? nlen : sizeof(name)))
			break;
		copy_name(e.name, name, nlen < sizeof(name) ? nlen : sizeof(name));
		if (!zip_peek(z, off + 30 + nlen, x, xlen < sizeof(x) ? xlen : sizeof(x)))
			zip64_extra(&e, x, xlen < sizeof(x) ? xlen : sizeof(x), false);
		data_off = off + 30 + nlen + xlen;
		if (data_off > z->src->size)
			break;
		dd = 0;
		if (e.flags & 8) {
			/* Sizes follow the data: only a deflate stream tells where it ends. */
			if (e.method != 8 || (e.flags & 1)) {
				scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
					     "zip: entry %u: end of data unknown", idx);
				break;
			}
			e.csize = z->src->size - data_off;
			e.usize = 0;
		}
		r = entry_scan(z, &e, data_off, e.csize);
		if (r < 0)
			break;
		if (!(e.flags & 8)) {
			if (e.csize >= z->src->size - data_off)
				break; /* the last member, or a size past the end */
			off = data_off + e.csize;
			continue;
		}
		dd = 12;
		if (!zip_peek(z, data_off + r, sig, 4) && le32(sig) == SIG_DD)
			dd = 16;
		off = data_off + r + dd;
	}
}

void zip_scan(struct scan_ctx *c, const struct source *src, unsigned int depth)
{
	struct zip z = { .c = c, .src = src, .depth = depth };
	uint64_t cd_off, cd_size, count;
	int r;

	c->res->formats |= SCAN_FMT_ZIP;
	r = find_eocd(&z, &cd_off, &cd_size, &count);
	if (!r) {
		walk_central(&z, cd_off, cd_size, count);
	} else if (r == -ENOENT && !c->stop) {
		scan_problem(c, SCAN_ERROR, SCAN_R_CORRUPT,
			     "zip: no central directory (truncated or corrupt)");
		walk_local(&z);
	}
	free(z.io);
}
