/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The durable spool in front of the remote sinks: at-least-once delivery
 * across SOC outages and agent restarts.  An alert counts as raised once
 * spool_append() has returned.
 *
 * On disk, in one directory (mode 0700, locked with flock so two agents never
 * share it):
 *   <16 hex digits of the first seq>.seg   append-only segments of records
 *   <sink>.ack                             the sink's acknowledged seq (decimal),
 *                                          replaced atomically (tmp + rename)
 *
 * A record is a 20-byte header, little-endian, then the payload:
 *   u32 magic "CPRS" | u32 len | u64 seq | u32 crc32 (zlib, over seq bytes + payload)
 *
 * Opening recovers: every record is checked; a torn or corrupt tail (power
 * loss, kill -9 in a write) is logged and truncated away, and corruption in
 * the middle is skipped up to the next valid record and counted.  Seqs grow
 * by one per append and never repeat, also across restarts.
 *
 * Each sink has a read cursor and an acknowledged seq.  spool_next() hands
 * out records after the cursor, in order; spool_ack() says everything up to
 * a seq is delivered; spool_rewind() puts the cursor back to the first
 * unacknowledged record (after a disconnect, what was in flight is sent
 * again).  A segment is deleted once every sink has acknowledged past it.
 *
 * Not thread-safe: one event loop owns it.
 */
#ifndef CPRW_SPOOL_H
#define CPRW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_SINKS 8
#define SPOOL_SINK_NAME_MAX 64
#define SPOOL_MAX_RECORD (1u << 20) /* payload bytes */
#define SPOOL_HDR_LEN 20

/* Appends follow the policy; acks are saved from spool_tick (see there) under every policy. */
enum spool_fsync {
	SPOOL_FSYNC_ALWAYS,   /* every append is on disk before spool_append returns */
	SPOOL_FSYNC_INTERVAL, /* fdatasync from spool_tick, every fsync_interval_ms */
	SPOOL_FSYNC_NEVER,    /* leave it to the kernel (survives a crash, not power loss) */
};

enum spool_overflow {
	SPOOL_DROP_OLDEST, /* delete the oldest segment, acked or not; counted per sink */
	SPOOL_DROP_NEW,	   /* refuse the append; counted */
};

struct spool_opts {
	uint64_t max_bytes;	/* all segments together; 0 = 64 MiB */
	uint64_t segment_bytes; /* rotate at; 0 = 1 MiB; at most max_bytes / 4 */
	enum spool_fsync fsync;
	unsigned int fsync_interval_ms; /* 0 = 1000 */
	enum spool_overflow overflow;
	/*
	 * A record's importance (the alert's severity); NULL: all alike.
	 * drop_oldest never deletes a segment that holds a more important
	 * record than the one being appended: that one is refused instead
	 * (counted in dropped_new), so a flood of low-severity alerts cannot
	 * evict undelivered high-severity ones.
	 */
	unsigned int (*rank)(const void *data, size_t len);
};

struct spool_stats {
	uint64_t appended; /* records appended since open */
	uint64_t records;  /* on disk now */
	uint64_t bytes;	   /* on disk now */
	uint64_t segments;
	uint64_t recovered;	 /* valid records found at open */
	uint64_t corrupt;	 /* damaged regions skipped at open */
	uint64_t torn;		 /* torn tails truncated at open */
	uint64_t dropped_new;	 /* appends refused: spool full (drop_new) */
	uint64_t dropped_oldest; /* records deleted unacked by some sink (drop_oldest) */
	uint64_t io_errors;
};

struct spool_seg;

struct spool_sink {
	char name[SPOOL_SINK_NAME_MAX + 1];
	uint64_t acked;	      /* every seq <= acked is delivered */
	uint64_t acked_saved; /* what <name>.ack says */
	uint64_t dropped;     /* records deleted before this sink had them */
	/* read cursor: the next record is at or after (rd_seg, rd_off) */
	uint64_t rd_seg; /* first_seq of the segment */
	uint64_t rd_off;
	uint64_t rd_seq; /* last seq handed out, 0 = none since the rewind */
	void *buf;	 /* the record spool_next returned */
	size_t buf_cap;
};

struct spool {
	char *dir;
	int dir_fd;
	int lock_fd;
	struct spool_opts opts;
	struct spool_seg *segs; /* sorted by first_seq; the last one takes appends */
	size_t nr_segs;
	size_t cap_segs;
	uint64_t next_seq;
	uint64_t bytes; /* sum of segment sizes */
	struct spool_sink sinks[SPOOL_MAX_SINKS];
	unsigned int nr_sinks;
	bool dirty;	/* appended since the last fdatasync */
	bool dir_dirty; /* segments created or deleted, not yet synced */
	uint64_t last_sync_ms;
	struct spool_stats stats;
};

/*
 * Open (creating @dir, mode 0700, if missing) and recover.  @sinks names the
 * consumers (letters, digits, '-', '_', '.'; not starting with '.'); their
 * indexes are the sink_idx of the calls below.  A sink without an .ack file
 * starts at the oldest record kept.  Returns 0 or a negative errno with the
 * reason in @err (-EBUSY: another process has the spool open).
 */
int spool_open(struct spool *sp, const char *dir, const struct spool_opts *opts,
	       const char *const *sinks, unsigned int nr_sinks, char *err, size_t errlen);
/* Persists the acks and syncs (whatever the fsync policy), then frees. */
void spool_close(struct spool *sp);

/*
 * Append one record (1..SPOOL_MAX_RECORD bytes).  0 and *seq, or -ENOSPC
 * (full, drop_new: counted), -EMSGSIZE (bigger than the spool can ever hold),
 * -EIO and friends (the file is rolled back to before the record).
 */
int spool_append(struct spool *sp, const void *data, size_t len, uint64_t *seq);

/*
 * The next record after sink @idx's cursor, and advance the cursor.  *data
 * points into a buffer of the sink's, valid until its next spool_next (NUL-
 * terminated after len bytes, for convenience).  0, -EAGAIN when there is
 * nothing new, or a negative errno for a read error.
 */
int spool_next(struct spool *sp, unsigned int idx, const void **data, size_t *len, uint64_t *seq);
/* Everything up to @seq is delivered to sink @idx (acks only move forward). */
int spool_ack(struct spool *sp, unsigned int idx, uint64_t seq);
/* Back to the first record sink @idx has not acknowledged. */
void spool_rewind(struct spool *sp, unsigned int idx);
/* Records kept that sink @idx has not acknowledged. */
uint64_t spool_depth(const struct spool *sp, unsigned int idx);
/* Records deleted by drop_oldest before sink @idx acknowledged them. */
uint64_t spool_dropped(const struct spool *sp, unsigned int idx);
/* A receiver name the spool takes (its ack file's name): letters, digits, - _ ., no leading '.'. */
bool spool_valid_sink_name(const char *s);
void spool_get_stats(const struct spool *sp, struct spool_stats *st);
/*
 * Interval fsync, and ack persistence under every policy (at most once per
 * fsync_interval_ms; fsync'd unless "never").  Call every second or so
 * (CLOCK_MONOTONIC ms).
 */
void spool_tick(struct spool *sp, uint64_t now_ms);

int spool_parse_fsync(const char *s, enum spool_fsync *out);
int spool_parse_overflow(const char *s, enum spool_overflow *out);

#endif
