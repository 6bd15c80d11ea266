// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * OLE2 / Compound File Binary (MS-CFB) for the scanner: the container of
 * Word 97-2003 .doc, Excel .xls, PowerPoint .ppt, Outlook .msg and of
 * password-protected OOXML files (an "EncryptedPackage" stream).
 *
 * Our own reader rather than libgsf: the format is a FAT file system in a
 * file (a header, sector chains, 128-byte directory entries), a few hundred
 * lines to read with every offset checked, and libgsf would bring GLib and
 * GObject into the parser process for the same job.  Chains are followed
 * with a step bound (a loop in the FAT ends the stream, not the scan), every
 * stream is read into memory up to max_buffer.
 *
 * What is read from which stream is in scan_office.c; a compound file that
 * is none of the known kinds has each stream scanned as a plain stream
 * (sniffed like any file), so text and embedded files in it are not missed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

#define OLE_FREE 0xffffffffU
#define OLE_END 0xfffffffeU
#define OLE_MAXREG 0xfffffffaU
#define OLE_HDR 512
#define DIR_LEN 128
#define DIFAT_HDR 109
#define MAX_DIR (1U << 16) /* directory entries read, at most */

bool ole_magic(const unsigned char *p, size_t n)
{
	return n >= 8 && !memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
}

static void corrupt(struct ole *o, const char *what)
{
	if (!o->bad++)
		scan_problem(o->c, SCAN_ERROR, SCAN_R_CORRUPT, "ole: %s", what);
}

/* Reads sector `sec` (a regular sector) into buf; 0 or negative errno. */
static int read_sector(struct ole *o, uint32_t sec, unsigned char *buf)
{
	uint64_t off = ((uint64_t)sec + 1) << o->shift;

	if (sec > OLE_MAXREG || off + o->ssize > o->src->size) {
		corrupt(o, "sector outside the file");
		return -EBADMSG;
	}
	return src_read(o->c, o->src, off, buf, o->ssize);
}

static int fat_load(struct ole *o, const unsigned char *hdr)
{
	uint32_t nfat = le32(hdr + 0x2c), dsec = le32(hdr + 0x44), per = o->ssize / 4;
	uint32_t i, k, *ids, nids = 0, maxfat;
	unsigned char *buf = NULL;
	int r = -EBADMSG;

	/* A FAT larger than the file can address is a lie; cap it by the file size. */
	maxfat = (uint32_t)((o->src->size >> o->shift) / per + 1);
	if (nfat > maxfat) {
		corrupt(o, "FAT larger than the file");
		return -EBADMSG;
	}
	ids = calloc(nfat ? nfat : 1, sizeof(*ids));
	buf = malloc(o->ssize);
	o->fat = calloc((size_t)nfat * per + 1, sizeof(*o->fat));
	if (!ids || !buf || !o->fat) {
		scan_problem(o->c, SCAN_ERROR, SCAN_R_NOMEM, "ole: out of memory");
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < DIFAT_HDR && nids < nfat; i++)
		ids[nids++] = le32(hdr + 0x4c + 4 * i);
	/* DIFAT sectors: per-1 FAT sector ids, then the next DIFAT sector. */
	for (k = 0; nids < nfat && dsec <= OLE_MAXREG && k <= maxfat; k++) {
		if (read_sector(o, dsec, buf))
			goto out;
		for (i = 0; i < per - 1 && nids < nfat; i++)
			ids[nids++] = le32(buf + 4 * i);
		dsec = le32(buf + 4 * (per - 1));
	}
	if (nids < nfat) {
		corrupt(o, "DIFAT shorter than the FAT");
		goto out;
	}
	for (i = 0; i < nfat; i++) {
		if (read_sector(o, ids[i], buf))
			goto out;
		for (k = 0; k < per; k++)
			o->fat[(size_t)i * per + k] = le32(buf + 4 * k);
	}
	o->nfat = (size_t)nfat * per;
	r = 0;
out:
	free(ids);
	free(buf);
	return r;
}

/*
 * Reads a chain of regular sectors starting at `sec` into a new buffer of
 * `size` bytes (the chain may be longer; shorter is corrupt and what was
 * there is returned, *got says how much).
 */
static unsigned char *chain_read(struct ole *o, uint32_t sec, uint64_t size, size_t *got)
{
	unsigned char *out;
	size_t n = 0, steps = 0;

	*got = 0;
	if (size > o->c->lim->max_buffer) {
		scan_problem(o->c, SCAN_REFUSED, SCAN_R_BUFFER, "ole stream: over %llu MiB",
			     (unsigned long long)(o->c->lim->max_buffer >> 20));
		return NULL;
	}
	out = malloc(size + o->ssize);
	if (!out) {
		scan_problem(o->c, SCAN_ERROR, SCAN_R_NOMEM, "ole: out of memory");
		return NULL;
	}
	while (n < size) {
		if (sec >= o->nfat || steps++ > o->nfat) {
			corrupt(o, "broken sector chain");
			break;
		}
		if (read_sector(o, sec, out + n))
			break;
		n += o->ssize;
		sec = o->fat[sec];
	}
	*got = n < size ? n : size;
	return out;
}

/* A stream of the mini stream (64-byte sectors inside the root entry's data). */
static unsigned char *mini_read(struct ole *o, uint32_t sec, uint64_t size, size_t *got)
{
	unsigned char *out;
	size_t n = 0, steps = 0, off;

	*got = 0;
	out = malloc(size + 64);
	if (!out) {
		scan_problem(o->c, SCAN_ERROR, SCAN_R_NOMEM, "ole: out of memory");
		return NULL;
	}
	while (n < size) {
		off = (size_t)sec << 6;
		if (sec >= o->nminifat || steps++ > o->nminifat || off + 64 > o->mini_len) {
			corrupt(o, "broken mini sector chain");
			break;
		}
		memcpy(out + n, o->mini + off, 64);
		n += 64;
		sec = o->minifat[sec];
	}
	*got = n < size ? n : size;
	return out;
}

static int minifat_load(struct ole *o, const unsigned char *hdr)
{
	uint32_t first = le32(hdr + 0x3c), n = le32(hdr + 0x40);
	unsigned char *raw;
	size_t got, i;

	if (!n || first > OLE_MAXREG)
		return 0;
	if ((uint64_t)n << o->shift > o->src->size) {
		corrupt(o, "mini FAT larger than the file");
		return -EBADMSG;
	}
	raw = chain_read(o, first, (uint64_t)n << o->shift, &got);
	if (!raw)
		return -ENOMEM;
	o->minifat = (uint32_t *)raw;
	o->nminifat = got / 4;
	for (i = 0; i < o->nminifat; i++)
		o->minifat[i] = le32(raw + 4 * i);
	return 0;
}

static int dir_load(struct ole *o, const unsigned char *hdr)
{
	uint32_t first = le32(hdr + 0x30);
	unsigned char *raw;
	size_t got = 0, steps = 0, n = 0, cap = 0;
	uint32_t sec = first;

	/* The directory's length is its chain's: count the sectors first. */
	while (sec < o->nfat && steps++ <= o->nfat && n < MAX_DIR * DIR_LEN) {
		n += o->ssize;
		sec = o->fat[sec];
	}
	if (!n) {
		corrupt(o, "no directory");
		return -EBADMSG;
	}
	raw = chain_read(o, first, n, &got);
	if (!raw)
		return -ENOMEM;
	cap = got / DIR_LEN;
	o->dir = raw;
	o->ndir = cap;
	return 0;
}

/* The entry's name as ASCII (non-ASCII becomes '?'). */
void ole_name(const struct ole *o, size_t i, char *name, size_t size)
{
	const unsigned char *e = o->dir + i * DIR_LEN;
	size_t len = le16(e + 0x40) / 2, k, j = 0;

	if (len > 32)
		len = 32;
	for (k = 0; k < len && j + 1 < size; k++) {
		uint16_t u = le16(e + 2 * k);

		if (!u)
			break;
		name[j++] = u < 0x80 && u >= 0x20 ? u : '?';
	}
	name[j] = 0;
}

int ole_type(const struct ole *o, size_t i)
{
	return o->dir[i * DIR_LEN + 0x42];
}

/* Index of the first stream called `name`, or -1. */
int ole_find(const struct ole *o, const char *name)
{
	char nm[40];
	size_t i;

	for (i = 0; i < o->ndir; i++) {
		if (ole_type(o, i) != 2)
			continue;
		ole_name(o, i, nm, sizeof(nm));
		if (!strcmp(nm, name))
			return i;
	}
	return -1;
}

/* Reads stream entry i; returns a malloc'd buffer (free it) and its length. */
unsigned char *ole_stream(struct ole *o, size_t i, size_t *len)
{
	const unsigned char *e = o->dir + i * DIR_LEN;
	uint64_t size = le32(e + 0x78);
	uint32_t start = le32(e + 0x74);

	*len = 0;
	if (o->major == 4)
		size |= (uint64_t)le32(e + 0x7c) << 32;
	if (size > o->src->size) {
		corrupt(o, "stream larger than the file");
		size = o->src->size;
	}
	if (size < o->cutoff)
		return mini_read(o, start, size, len);
	return chain_read(o, start, size, len);
}

static int mini_stream_load(struct ole *o)
{
	size_t len;

	if (!o->ndir || ole_type(o, 0) != 5)
		return 0;
	o->mini = chain_read(o, le32(o->dir + 0x74), le32(o->dir + 0x78), &len);
	o->mini_len = len;
	return o->mini ? 0 : -ENOMEM;
}

static int ole_open(struct ole *o)
{
	unsigned char hdr[OLE_HDR];
	uint16_t shift;
	int r;

	if (o->src->size < OLE_HDR) {
		corrupt(o, "truncated header");
		return -EBADMSG;
	}
	r = src_read(o->c, o->src, 0, hdr, OLE_HDR);
	if (r)
		return r;
	o->major = le16(hdr + 0x1a);
	shift = le16(hdr + 0x1e);
	if (le16(hdr + 0x1c) != 0xfffe || (shift != 9 && shift != 12) || le16(hdr + 0x20) != 6) {
		corrupt(o, "bad header");
		return -EBADMSG;
	}
	o->shift = shift;
	o->ssize = 1U << shift;
	o->cutoff = le32(hdr + 0x38);
	if (o->cutoff > 1U << 16)
		o->cutoff = 4096;
	r = fat_load(o, hdr);
	if (!r)
		r = dir_load(o, hdr);
	if (!r)
		r = minifat_load(o, hdr);
	if (!r)
		r = mini_stream_load(o);
	return r;
}

static void ole_free(struct ole *o)
{
	free(o->fat);
	free(o->minifat);
	free(o->dir);
	free(o->mini);
}

/* An unknown compound file: every stream is scanned as if it were a file. */
static void ole_generic(struct ole *o)
{
	unsigned char *p;
	size_t i, n;

	for (i = 0; i < o->ndir && !o->c->stop; i++) {
		if (ole_type(o, i) != 2)
			continue;
		p = ole_stream(o, i, &n);
		if (!p)
			continue;
		scan_buf_nested(o->c, o->depth + 1, p, n);
		free(p);
	}
}

void ole_scan(struct scan_ctx *c, const struct source *src, unsigned int depth)
{
	struct ole o = { .c = c, .src = src, .depth = depth };

	if (ole_open(&o))
		goto out;
	c->res->formats |= SCAN_FMT_OLE;
	if (ole_find(&o, "EncryptedPackage") >= 0 || ole_find(&o, "EncryptedSummary") >= 0) {
		scan_encrypted(c, "office file");
		goto out;
	}
	if (!office_ole_scan(&o))
		ole_generic(&o);
out:
	ole_free(&o);
}
