// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Spool segments and acks; see spool.h for the format and the guarantees.
 *
 * The segment list lives in memory (first seq, last seq, record count, size,
 * an open fd); records are read back with pread, so nothing but the list and
 * one record buffer per sink is held in memory however deep the backlog.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/fs_trust.h"
#include "lib/log.h"
#include "spool.h"
#include "lib/time.h"
#include "lib/buf.h"

#define SPOOL_MAGIC 0x53525043u /* "CPRS" on disk */
#define SEG_SUFFIX ".seg"
#define SEG_NAME_LEN (16 + sizeof(SEG_SUFFIX) - 1)
#define DEF_MAX_BYTES (64ull << 20)
#define DEF_SEGMENT_BYTES (1ull << 20)
#define DEF_INTERVAL_MS 1000
#define RESYNC_CHUNK 65536

struct spool_seg {
	uint64_t first_seq; /* from the file name */
	uint64_t last_seq;  /* 0: no valid record */
	uint64_t nr;	    /* valid records */
	uint64_t size;
	int fd;
	unsigned int max_rank; /* the most important record in it (opts.rank) */
};

struct rec {
	uint32_t len;
	uint64_t seq;
};

/* ---- little helpers ------------------------------------------------------------ */

static void put_le32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint32_t rec_crc(const unsigned char *seq_le, const void *data, size_t len)
{
	uLong crc = crc32(0, seq_le, 8);

	return crc32(crc, data, len);
}

static void seg_name(char buf[SEG_NAME_LEN + 1], uint64_t first_seq)
{
	snprintf(buf, SEG_NAME_LEN + 1, "%016" PRIx64 SEG_SUFFIX, first_seq);
}

static bool parse_seg_name(const char *name, uint64_t *first_seq)
{
	int i;

	if (strlen(name) != SEG_NAME_LEN || strcmp(name + 16, SEG_SUFFIX))
		return false;
	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
			return false;
	*first_seq = strtoull(name, NULL, 16);
	return true;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file is shorter than we think */
		done += n;
	}
	return 0;
}

/* ---- records ------------------------------------------------------------------- */

/*
 * The record at @off of a file of @size bytes, payload into *buf (NUL added).
 * 0; -EINVAL when there is no valid record with a seq above @min_seq there;
 * -ENOMEM or an I/O error otherwise.
 */
static int read_record(int fd, uint64_t size, uint64_t off, uint64_t min_seq, struct rec *r,
		       void **buf, size_t *cap)
{
	unsigned char h[SPOOL_HDR_LEN];
	uint32_t len, crc;
	uint64_t seq;
	int rc;

	if (off > size || size - off < SPOOL_HDR_LEN)
		return -EINVAL;
	rc = pread_full(fd, h, sizeof(h), off);
	if (rc)
		return rc;
	len = get_le32(h + 4);
	seq = get_le64(h + 8);
	crc = get_le32(h + 16);
	if (get_le32(h) != SPOOL_MAGIC || !len || len > SPOOL_MAX_RECORD ||
	    len > size - off - SPOOL_HDR_LEN || seq <= min_seq)
		return -EINVAL;
	if (buf_grow(buf, cap, (size_t)len + 1, (size_t)len + 1, 0))
		return -ENOMEM;
	rc = pread_full(fd, *buf, len, off + SPOOL_HDR_LEN);
	if (rc)
		return rc;
	if (rec_crc(h + 8, *buf, len) != crc)
		return -EINVAL;
	((char *)*buf)[len] = '\0';
	r->len = len;
	r->seq = seq;
	return 0;
}

/* Offset of the next valid record after @from, or -ENOENT; magic found by scanning bytes. */
static int64_t find_next(int fd, uint64_t size, uint64_t from, uint64_t min_seq, void **buf,
			 size_t *cap)
{
	unsigned char magic[4], *chunk = malloc(RESYNC_CHUNK);
	uint64_t pos = from;
	int64_t found = -ENOENT;
	struct rec r;
	size_t n, i;

	if (!chunk)
		return -ENOMEM;
	put_le32(magic, SPOOL_MAGIC);
	while (found == -ENOENT && pos + SPOOL_HDR_LEN <= size) {
		n = size - pos < RESYNC_CHUNK ? size - pos : RESYNC_CHUNK;
		if (pread_full(fd, chunk, n, pos)) {
			found = -EIO;
			break;
		}
		for (i = 0; i + 4 <= n; i++) {
			if (memcmp(chunk + i, magic, 4))
				continue;
			if (!read_record(fd, size, pos + i, min_seq, &r, buf, cap)) {
				found = pos + i;
				break;
			}
		}
		/* a magic split across chunks is seen again in the next one */
		pos += n > 3 ? n - 3 : n;
	}
	free(chunk);
	return found;
}

/* ---- segments ------------------------------------------------------------------ */

static void seg_close(struct spool_seg *seg)
{
	if (seg->fd >= 0)
		close(seg->fd);
	seg->fd = -1;
}

static struct spool_seg *seg_append_slot(struct spool *sp)
{
	struct spool_seg *p;
	size_t cap;

	if (sp->nr_segs == sp->cap_segs) {
		cap = sp->cap_segs ? sp->cap_segs * 2 : 16;
		p = realloc(sp->segs, cap * sizeof(*p));
		if (!p)
			return NULL;
		sp->segs = p;
		sp->cap_segs = cap;
	}
	p = &sp->segs[sp->nr_segs++];
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	return p;
}

static void seg_delete(struct spool *sp, size_t i)
{
	struct spool_seg *seg = &sp->segs[i];
	char name[SEG_NAME_LEN + 1];

	seg_name(name, seg->first_seq);
	seg_close(seg);
	if (unlinkat(sp->dir_fd, name, 0) && errno != ENOENT) {
		log_warn("spool %s: delete %s: %s", sp->dir, name, strerror(errno));
		sp->stats.io_errors++;
	}
	sp->bytes -= seg->size;
	memmove(seg, seg + 1, (sp->nr_segs - i - 1) * sizeof(*seg));
	sp->nr_segs--;
	sp->dir_dirty = true;
}

/* Records of @seg with a seq above @acked (exact unless corruption left gaps). */
static uint64_t seg_unacked(const struct spool_seg *seg, uint64_t acked)
{
	if (!seg->nr || seg->last_seq <= acked)
		return 0;
	if (acked < seg->first_seq)
		return seg->nr;
	return seg->last_seq - acked < seg->nr ? seg->last_seq - acked : seg->nr;
}

static uint64_t min_acked(const struct spool *sp)
{
	uint64_t min = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < sp->nr_sinks; i++)
		if (sp->sinks[i].acked < min)
			min = sp->sinks[i].acked;
	return min;
}

/*
 * Delete segments every sink is done with.  The one taking appends stays until
 * it is full (unless @all: space is needed), so a quiet spool does not create
 * and delete a file per alert.
 */
static void spool_gc(struct spool *sp, bool all)
{
	uint64_t min = min_acked(sp);

	if (!sp->nr_sinks)
		return;
	while (sp->nr_segs && sp->segs[0].last_seq <= min) {
		if (!all && sp->nr_segs == 1 && sp->segs[0].size < sp->opts.segment_bytes)
			break;
		seg_delete(sp, 0);
	}
}

/* drop_oldest: the oldest segment goes, whoever has not read it. */
static void drop_oldest(struct spool *sp)
{
	struct spool_seg *seg = &sp->segs[0];
	uint64_t lost = seg_unacked(seg, min_acked(sp));
	unsigned int i;

	for (i = 0; i < sp->nr_sinks; i++)
		sp->sinks[i].dropped += seg_unacked(seg, sp->sinks[i].acked);
	sp->stats.dropped_oldest += lost;
	if (lost)
		log_warn("spool %s: full, dropped %" PRIu64 " undelivered records", sp->dir, lost);
	seg_delete(sp, 0);
}

static unsigned int rank_of(const struct spool *sp, const void *data, size_t len)
{
	return sp->opts.rank ? sp->opts.rank(data, len) : 0;
}

/*
 * Make room for @need more bytes of a record of importance @rank: 0, or
 * -ENOSPC (drop_new, or the oldest segment holds a more important record).
 */
static int make_room(struct spool *sp, uint64_t need, unsigned int rank)
{
	if (sp->bytes + need > sp->opts.max_bytes)
		spool_gc(sp, true);
	while (sp->bytes + need > sp->opts.max_bytes && sp->nr_segs) {
		if (sp->opts.overflow == SPOOL_DROP_NEW || sp->segs[0].max_rank > rank) {
			sp->stats.dropped_new++;
			return -ENOSPC;
		}
		drop_oldest(sp);
	}
	return 0;
}

static int seg_create(struct spool *sp, uint64_t first_seq, struct spool_seg **out)
{
	char name[SEG_NAME_LEN + 1];
	struct spool_seg *seg;
	int fd;

	seg_name(name, first_seq);
	fd = openat(sp->dir_fd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_warn("spool %s: create %s: %s", sp->dir, name, strerror(errno));
		return -errno;
	}
	seg = seg_append_slot(sp);
	if (!seg) {
		close(fd);
		unlinkat(sp->dir_fd, name, 0);
		return -ENOMEM;
	}
	seg->first_seq = first_seq;
	seg->fd = fd;
	sp->dir_dirty = true;
	*out = seg;
	return 0;
}

/* The segment the next record of @need bytes goes to: rotate when the last one is full. */
static int active_seg(struct spool *sp, uint64_t need, struct spool_seg **out)
{
	struct spool_seg *last = sp->nr_segs ? &sp->segs[sp->nr_segs - 1] : NULL;

	if (last && (!last->size || last->size + need <= sp->opts.segment_bytes)) {
		*out = last;
		return 0;
	}
	/* the finished segment is synced once here, not at every tick after */
	if (last && sp->opts.fsync != SPOOL_FSYNC_NEVER && sp->dirty && fdatasync(last->fd))
		sp->stats.io_errors++;
	return seg_create(sp, sp->next_seq, out);
}

static int sync_dir(struct spool *sp)
{
	if (!sp->dir_dirty)
		return 0;
	if (fsync(sp->dir_fd)) {
		sp->stats.io_errors++;
		return -errno;
	}
	sp->dir_dirty = false;
	return 0;
}

static int write_record(struct spool_seg *seg, const void *data, size_t len, uint64_t seq)
{
	unsigned char h[SPOOL_HDR_LEN];
	struct iovec iov[2];
	size_t total = SPOOL_HDR_LEN + len, done = 0;
	ssize_t n;

	put_le32(h, SPOOL_MAGIC);
	put_le32(h + 4, len);
	put_le64(h + 8, seq);
	put_le32(h + 16, rec_crc(h + 8, data, len));
	while (done < total) {
		iov[0].iov_base = h + (done < SPOOL_HDR_LEN ? done : SPOOL_HDR_LEN);
		iov[0].iov_len = done < SPOOL_HDR_LEN ? SPOOL_HDR_LEN - done : 0;
		iov[1].iov_base = (char *)data + (done > SPOOL_HDR_LEN ? done - SPOOL_HDR_LEN : 0);
		iov[1].iov_len = len - (done > SPOOL_HDR_LEN ? done - SPOOL_HDR_LEN : 0);
		n = pwritev(seg->fd, iov, 2, seg->size + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += n;
	}
	return 0;
}

int spool_append(struct spool *sp, const void *data, size_t len, uint64_t *seq)
{
	uint64_t need = SPOOL_HDR_LEN + (uint64_t)len;
	struct spool_seg *seg = NULL;
	unsigned int rank;
	int rc;

	if (!len || len > SPOOL_MAX_RECORD || need > sp->opts.max_bytes)
		return -EMSGSIZE;
	rank = rank_of(sp, data, len);
	rc = make_room(sp, need, rank);
	if (!rc)
		rc = active_seg(sp, need, &seg);
	if (rc)
		return rc;
	rc = write_record(seg, data, len, sp->next_seq);
	if (!rc && sp->opts.fsync == SPOOL_FSYNC_ALWAYS && fdatasync(seg->fd))
		rc = -errno;
	if (!rc && sp->opts.fsync == SPOOL_FSYNC_ALWAYS)
		rc = sync_dir(sp);
	if (rc) {
		/* roll back, so a failed append never leaves half a record behind */
		if (ftruncate(seg->fd, seg->size))
			log_warn("spool %s: roll back: %s", sp->dir, strerror(errno));
		sp->stats.io_errors++;
		log_warn("spool %s: append: %s", sp->dir, strerror(-rc));
		return rc;
	}
	seg->size += need;
	seg->nr++;
	seg->last_seq = sp->next_seq;
	if (rank > seg->max_rank)
		seg->max_rank = rank;
	sp->bytes += need;
	sp->dirty = sp->opts.fsync != SPOOL_FSYNC_ALWAYS;
	sp->stats.appended++;
	*seq = sp->next_seq++;
	return 0;
}

/* ---- acks ---------------------------------------------------------------------- */

static int save_ack(struct spool *sp, struct spool_sink *s, bool sync)
{
	char tmp[SPOOL_SINK_NAME_MAX + 16], name[SPOOL_SINK_NAME_MAX + 16], text[32];
	int fd, n, rc = 0;

	snprintf(name, sizeof(name), "%s.ack", s->name);
	snprintf(tmp, sizeof(tmp), "%s.ack.tmp", s->name);
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", s->acked);
	fd = openat(sp->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, text, n) != n)
		rc = errno ? -errno : -EIO;
	if (!rc && sync && fdatasync(fd))
		rc = -errno;
	close(fd);
	/* rename is atomic: a crash leaves the old ack or the new one, never half */
	if (!rc && renameat(sp->dir_fd, tmp, sp->dir_fd, name))
		rc = -errno;
	if (!rc && sync && fsync(sp->dir_fd))
		rc = -errno;
out:
	if (rc) {
		sp->stats.io_errors++;
		log_warn("spool %s: save %s: %s", sp->dir, name, strerror(-rc));
		return rc;
	}
	s->acked_saved = s->acked;
	return 0;
}

static void save_acks(struct spool *sp, bool sync)
{
	unsigned int i;

	for (i = 0; i < sp->nr_sinks; i++)
		if (sp->sinks[i].acked != sp->sinks[i].acked_saved)
			save_ack(sp, &sp->sinks[i], sync);
}

/* No real spool hands out this many records (2^62: a million a second for 146,000 years). */
#define SPOOL_SEQ_MAX (1ULL << 62)

static uint64_t load_ack(struct spool *sp, const char *sink)
{
	char name[SPOOL_SINK_NAME_MAX + 16], text[32], *end;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "%s.ack", sink);
	fd = openat(sp->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	errno = 0;
	v = strtoull(text, &end, 10);
	/* digits only ("-2" parses as 2^64-2), and far below where sequence numbers wrap */
	if (n <= 0 || errno || !isdigit((unsigned char)text[0]) || v >= SPOOL_SEQ_MAX ||
	    (*end && strcmp(end, "\n"))) {
		/* resend rather than lose: at-least-once */
		log_warn("spool %s: %s is damaged; the sink gets every record kept", sp->dir, name);
		return 0;
	}
	return v;
}

int spool_ack(struct spool *sp, unsigned int idx, uint64_t seq)
{
	struct spool_sink *s;

	if (idx >= sp->nr_sinks)
		return -EINVAL;
	s = &sp->sinks[idx];
	if (seq >= sp->next_seq)
		seq = sp->next_seq - 1;
	if (seq <= s->acked)
		return 0;
	s->acked = seq;
	spool_gc(sp, false);
	return 0;
}

/* ---- reading ------------------------------------------------------------------- */

/* Index of the first segment with first_seq >= @first (nr_segs if none). */
static size_t seg_find(const struct spool *sp, uint64_t first)
{
	size_t i;

	for (i = 0; i < sp->nr_segs; i++)
		if (sp->segs[i].first_seq >= first)
			return i;
	return sp->nr_segs;
}

/* First record of @seg from *off with seq above @floor; advances *off past skipped ones. */
static int next_in_seg(struct spool_sink *s, const struct spool_seg *seg, uint64_t *off,
		       uint64_t floor, struct rec *r)
{
	int64_t next;
	int rc;

	while (*off < seg->size) {
		rc = read_record(seg->fd, seg->size, *off, 0, r, &s->buf, &s->buf_cap);
		if (rc == -EINVAL) {
			/* a damaged region (counted at open): on to the next good record */
			next = find_next(seg->fd, seg->size, *off + 1, 0, &s->buf, &s->buf_cap);
			if (next < 0 && next != -ENOENT)
				return next;
			*off = next < 0 ? seg->size : (uint64_t)next;
			continue;
		}
		if (rc)
			return rc;
		if (r->seq > floor)
			return 0;
		*off += SPOOL_HDR_LEN + r->len;
	}
	return -EAGAIN;
}

int spool_next(struct spool *sp, unsigned int idx, const void **data, size_t *len, uint64_t *seq)
{
	struct spool_sink *s;
	uint64_t floor, off;
	struct rec r;
	size_t i;
	int rc;

	if (idx >= sp->nr_sinks)
		return -EINVAL;
	s = &sp->sinks[idx];
	floor = s->acked > s->rd_seq ? s->acked : s->rd_seq;
	i = seg_find(sp, s->rd_seg);
	off = i < sp->nr_segs && sp->segs[i].first_seq == s->rd_seg ? s->rd_off : 0;
	for (; i < sp->nr_segs; i++, off = 0) {
		if (sp->segs[i].last_seq <= floor)
			continue;
		rc = next_in_seg(s, &sp->segs[i], &off, floor, &r);
		if (rc == -EAGAIN)
			continue;
		if (rc) {
			sp->stats.io_errors++;
			return rc;
		}
		s->rd_seg = sp->segs[i].first_seq;
		s->rd_off = off + SPOOL_HDR_LEN + r.len;
		s->rd_seq = r.seq;
		*data = s->buf;
		*len = r.len;
		*seq = r.seq;
		return 0;
	}
	return -EAGAIN;
}

void spool_rewind(struct spool *sp, unsigned int idx)
{
	if (idx >= sp->nr_sinks)
		return;
	sp->sinks[idx].rd_seq = 0;
	sp->sinks[idx].rd_seg = 0;
	sp->sinks[idx].rd_off = 0;
}

uint64_t spool_depth(const struct spool *sp, unsigned int idx)
{
	uint64_t n = 0;
	size_t i;

	if (idx >= sp->nr_sinks)
		return 0;
	for (i = 0; i < sp->nr_segs; i++)
		n += seg_unacked(&sp->segs[i], sp->sinks[idx].acked);
	return n;
}

uint64_t spool_dropped(const struct spool *sp, unsigned int idx)
{
	return idx < sp->nr_sinks ? sp->sinks[idx].dropped : 0;
}

void spool_get_stats(const struct spool *sp, struct spool_stats *st)
{
	size_t i;

	*st = sp->stats;
	st->records = 0;
	for (i = 0; i < sp->nr_segs; i++)
		st->records += sp->segs[i].nr;
	st->bytes = sp->bytes;
	st->segments = sp->nr_segs;
}

/* ---- sync --------------------------------------------------------------------- */

static void sync_data(struct spool *sp)
{
	if (sp->dirty && sp->nr_segs && fdatasync(sp->segs[sp->nr_segs - 1].fd))
		sp->stats.io_errors++;
	sp->dirty = false;
	sync_dir(sp);
}

/*
 * Acks are saved from here under every policy, at most once per interval: a
 * lost ack costs a duplicate after a crash, never a loss, so it is not worth
 * an fsync per delivered message in the event loop.
 */
void spool_tick(struct spool *sp, uint64_t now_ms)
{
	if (sp->opts.fsync == SPOOL_FSYNC_ALWAYS)
		sync_dir(sp); /* segment deletions */
	if (now_ms - sp->last_sync_ms < sp->opts.fsync_interval_ms)
		return;
	sp->last_sync_ms = now_ms;
	if (sp->opts.fsync == SPOOL_FSYNC_INTERVAL)
		sync_data(sp);
	save_acks(sp, sp->opts.fsync != SPOOL_FSYNC_NEVER);
}

/* ---- open, recovery, close ----------------------------------------------------------- */

bool spool_valid_sink_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > SPOOL_SINK_NAME_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

static int open_dir(struct spool *sp, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: %s", dir, strerror(-rc));
		return rc;
	}
	sp->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sp->dir_fd < 0 || fstat(sp->dir_fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!fs_ours(&st)) {
		snprintf(err, errlen,
			 "spool %s: belongs to uid %u, who could read or replace "
			 "the alerts; use a directory of root's",
			 dir, (unsigned int)st.st_uid);
		return -EPERM;
	}
	/* alerts are personal data: nobody else reads the spool */
	if ((st.st_mode & 077) && fchmod(sp->dir_fd, 0700)) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: mode %03o, chmod 0700: %s", dir, st.st_mode & 0777,
			 strerror(-rc));
		return rc;
	}
	sp->lock_fd = openat(sp->dir_fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->lock_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: lock: %s", dir, strerror(-rc));
		return rc;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "spool %s: in use by another process", dir);
		return -EBUSY;
	}
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct spool_seg *x = a, *y = b;

	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static int list_segments(struct spool *sp, char *err, size_t errlen)
{
	struct spool_seg *seg;
	struct dirent *de;
	uint64_t first;
	DIR *d;
	int fd = dup(sp->dir_fd), rc = 0;

	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "spool %s: %s", sp->dir, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		if (!parse_seg_name(de->d_name, &first))
			continue;
		seg = seg_append_slot(sp);
		if (!seg) {
			rc = -ENOMEM;
			break;
		}
		seg->first_seq = first;
	}
	closedir(d);
	if (!rc && sp->nr_segs)
		qsort(sp->segs, sp->nr_segs, sizeof(*sp->segs), cmp_seg);
	return rc;
}

/* A torn tail: what a crash in the middle of a write leaves.  Cut it off. */
static void truncate_torn(struct spool *sp, struct spool_seg *seg, uint64_t off)
{
	char name[SEG_NAME_LEN + 1];

	seg_name(name, seg->first_seq);
	log_warn("spool %s: %s: torn record at offset %" PRIu64 ", %" PRIu64 " bytes truncated",
		 sp->dir, name, off, seg->size - off);
	if (ftruncate(seg->fd, off))
		sp->stats.io_errors++;
	seg->size = off;
	sp->stats.torn++;
}

/* Validate every record of @seg; *prev is the last good seq before it. */
static int scan_segment(struct spool *sp, struct spool_seg *seg, uint64_t *prev, void **buf,
			size_t *cap)
{
	char name[SEG_NAME_LEN + 1];
	uint64_t off = 0;
	struct rec r;
	int64_t next;
	int rc;

	seg_name(name, seg->first_seq);
	while (off < seg->size) {
		rc = read_record(seg->fd, seg->size, off, *prev, &r, buf, cap);
		if (!rc) {
			unsigned int rank = rank_of(sp, *buf, r.len);

			seg->nr++;
			seg->last_seq = *prev = r.seq;
			if (rank > seg->max_rank)
				seg->max_rank = rank;
			off += SPOOL_HDR_LEN + r.len;
			continue;
		}
		if (rc != -EINVAL)
			return rc;
		next = find_next(seg->fd, seg->size, off + 1, *prev, buf, cap);
		if (next == -ENOENT) {
			truncate_torn(sp, seg, off);
			break;
		}
		if (next < 0)
			return next;
		log_warn("spool %s: %s: %" PRIu64 " corrupt bytes at offset %" PRIu64 " skipped",
			 sp->dir, name, (uint64_t)next - off, off);
		sp->stats.corrupt++;
		off = next;
	}
	return 0;
}

static int open_segment(struct spool *sp, struct spool_seg *seg)
{
	char name[SEG_NAME_LEN + 1];
	struct stat st;

	seg_name(name, seg->first_seq);
	seg->fd = openat(sp->dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (seg->fd < 0 || fstat(seg->fd, &st))
		return -errno;
	seg->size = st.st_size;
	return 0;
}

static int recover(struct spool *sp, char *err, size_t errlen)
{
	void *buf = NULL;
	size_t cap = 0, i = 0;
	uint64_t prev = 0;
	int rc = 0;

	while (i < sp->nr_segs) {
		struct spool_seg *seg = &sp->segs[i];

		rc = open_segment(sp, seg);
		if (!rc)
			rc = scan_segment(sp, seg, &prev, &buf, &cap);
		if (rc) {
			snprintf(err, errlen, "spool %s: segment %016" PRIx64 ": %s", sp->dir,
				 seg->first_seq, strerror(-rc));
			break;
		}
		sp->stats.recovered += seg->nr;
		sp->bytes += seg->size;
		if (!seg->nr) {
			seg_delete(sp, i); /* nothing left worth keeping */
			continue;
		}
		i++;
	}
	free(buf);
	if (prev >= sp->next_seq)
		sp->next_seq = prev + 1;
	return rc;
}

static int add_sinks(struct spool *sp, const char *const *sinks, unsigned int n, char *err,
		     size_t errlen)
{
	unsigned int i, k;

	if (n > SPOOL_MAX_SINKS) {
		snprintf(err, errlen, "spool: at most %d sinks", SPOOL_MAX_SINKS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct spool_sink *s = &sp->sinks[i];

		if (!spool_valid_sink_name(sinks[i])) {
			snprintf(err, errlen, "spool: bad sink name '%s' (letters, digits, - _ .)",
				 sinks[i]);
			return -EINVAL;
		}
		for (k = 0; k < i; k++) {
			if (!strcmp(sinks[k], sinks[i])) {
				snprintf(err, errlen, "spool: sink '%s' twice", sinks[i]);
				return -EINVAL;
			}
		}
		snprintf(s->name, sizeof(s->name), "%s", sinks[i]);
		s->acked = s->acked_saved = load_ack(sp, s->name);
		/* a seq handed out must never be at or below an ack already on disk */
		if (s->acked >= sp->next_seq)
			sp->next_seq = s->acked + 1;
	}
	sp->nr_sinks = n;
	return 0;
}

static void set_opts(struct spool *sp, const struct spool_opts *opts)
{
	if (opts)
		sp->opts = *opts;
	if (!sp->opts.max_bytes)
		sp->opts.max_bytes = DEF_MAX_BYTES;
	if (!sp->opts.segment_bytes)
		sp->opts.segment_bytes = DEF_SEGMENT_BYTES;
	/* dropping one segment must not empty most of the spool */
	if (sp->opts.segment_bytes > sp->opts.max_bytes / 4)
		sp->opts.segment_bytes = sp->opts.max_bytes / 4;
	if (!sp->opts.fsync_interval_ms)
		sp->opts.fsync_interval_ms = DEF_INTERVAL_MS;
}

int spool_open(struct spool *sp, const char *dir, const struct spool_opts *opts,
	       const char *const *sinks, unsigned int nr_sinks, char *err, size_t errlen)
{
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->dir_fd = sp->lock_fd = -1;
	sp->next_seq = 1;
	set_opts(sp, opts);
	sp->dir = strdup(dir);
	if (!sp->dir)
		return -ENOMEM;
	rc = open_dir(sp, dir, err, errlen);
	if (!rc)
		rc = add_sinks(sp, sinks, nr_sinks, err, errlen);
	if (!rc)
		rc = list_segments(sp, err, errlen);
	if (!rc)
		rc = recover(sp, err, errlen);
	if (rc) {
		spool_close(sp);
		return rc;
	}
	spool_gc(sp, false);
	sp->last_sync_ms = time_mono_ms();
	if (sp->stats.torn || sp->stats.corrupt)
		sync_data(sp);
	return 0;
}

void spool_close(struct spool *sp)
{
	unsigned int i;
	size_t k;

	if (sp->dir_fd >= 0) {
		sync_data(sp);
		save_acks(sp, true);
	}
	for (k = 0; k < sp->nr_segs; k++)
		seg_close(&sp->segs[k]);
	for (i = 0; i < SPOOL_MAX_SINKS; i++)
		free(sp->sinks[i].buf);
	free(sp->segs);
	free(sp->dir);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	memset(sp, 0, sizeof(*sp));
	sp->dir_fd = sp->lock_fd = -1;
}

int spool_parse_fsync(const char *s, enum spool_fsync *out)
{
	static const char *const names[] = { "always", "interval", "never" };
	unsigned int i;

	for (i = 0; s && i < 3; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int spool_parse_overflow(const char *s, enum spool_overflow *out)
{
	if (s && !strcmp(s, "drop_oldest")) {
		*out = SPOOL_DROP_OLDEST;
		return 0;
	}
	if (s && !strcmp(s, "drop_new")) {
		*out = SPOOL_DROP_NEW;
		return 0;
	}
	return -EINVAL;
}
