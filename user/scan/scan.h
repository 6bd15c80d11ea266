/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * File-level CPR scanner: detects the format from content (never the name),
 * unpacks containers and feeds text to the CPR detector (cpr.h).
 *
 * Formats: UTF-8 / Latin-1 text and CSV; UTF-16LE/BE with a BOM (also without
 * one when the zero bytes make it obvious); gzip (multi-member); zip (stored and
 * deflate, zip64; central directory, or local headers when it is missing);
 * xlsx, docx, pptx, odt, ods, odp (office XML is reduced to its text, so runs
 * split by formatting join again; a 9-digit numeric xlsx cell is a CPR whose
 * leading zero Excel dropped); PDF through poppler (every font encoding,
 * filter, object/xref streams, incremental updates, RC4/AES with an empty
 * user password; image-only pages counted; attachments scanned), with the
 * simple streaming extractor of scan_pdf.c for PDFs poppler cannot open or
 * too large to hold; OLE2 compound files: Word 97-2003 .doc (piece table),
 * Excel .xls (BIFF8 shared strings across CONTINUE, numeric cells padded like
 * xlsx), PowerPoint .ppt, Outlook .msg (body, attachments), password-protected
 * OOXML (refused); mail (.eml, mbox: quoted-printable, base64 parts scanned as
 * files); HTML (tags dropped, entities decoded).  Containers nest up to
 * max_depth.
 *
 * Never "ok" for what was not read: encrypted content is SCAN_REFUSED with
 * SCAN_R_ENCRYPTED; unknown formats and methods SCAN_UNSUPPORTED; a known
 * format whose text could not all be extracted SCAN_PARTIAL (with
 * pages_without_text for image-only pages).  Counts are then lower bounds.
 *
 * Untrusted files are scanned by the sandboxed helper (sandbox.h), which runs
 * these same functions in an unprivileged, seccomp-confined process.
 *
 * Not read: compressed RTF in .msg (its plain body is read), ods cells whose leading zero was
 * dropped (only xlsx <v> and xls numeric cells are padded), text in images.
 *
 * Every function is thread-safe: all state lives in the caller's structs.
 * Results hold counts and masked samples ("DDMMYY-XXXX") only; status
 * messages never contain digits from the content.
 */
#ifndef CPRW_SCAN_H
#define CPRW_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/cpr.h"

/* Ordered by severity: a result keeps the most severe problem met. */
enum scan_status {
	SCAN_OK = 0,	  /* everything was read and scanned */
	SCAN_PARTIAL,	  /* the format was read but some of it yielded no text: a
				 * font without encoding, an unknown filter, image-only
				 * pages.  Counts are a lower bound, never "ok" */
	SCAN_UNSUPPORTED, /* some content could not be read: unknown method or format */
	SCAN_ERROR,	  /* I/O error, corrupt or truncated data, out of memory */
	SCAN_REFUSED,	  /* a cap in struct scan_limits stopped the scan */
	SCAN_CANCELLED,	  /* the progress callback asked to stop */
};

enum scan_reason {
	SCAN_R_NONE = 0,
	SCAN_R_FILE_SIZE, /* refused: input larger than max_file_size */
	SCAN_R_ENTRIES,	  /* refused: more archive members than max_entries */
	SCAN_R_DEPTH,	  /* refused: containers nested deeper than max_depth */
	SCAN_R_INFLATED,  /* refused: decompressed bytes over max_inflated */
	SCAN_R_RATIO,	  /* refused: compression ratio over max_ratio (bomb) */
	SCAN_R_TIME,	  /* refused: over max_time_ms */
	SCAN_R_BUFFER,	  /* refused: nested archive larger than max_buffer */
	SCAN_R_IO,	  /* error: read failed (res->err holds errno) */
	SCAN_R_CORRUPT,	  /* error: malformed or truncated data */
	SCAN_R_NOMEM,	  /* error: allocation failed */
	SCAN_R_ENCRYPTED, /* refused: encrypted content (scan_encrypted()) */
	SCAN_R_FORMAT,	  /* unsupported: compression method or format */
	SCAN_R_CANCELLED, /* cancelled by the progress callback */
	SCAN_R_UNREAD,	  /* partial: part of a known format gave no text */
	SCAN_R_CRASHED,	  /* refused: the sandboxed scanner died on this file */
	SCAN_R_TIMEOUT,	  /* refused: the sandboxed scanner did not answer in time */
	SCAN_R_SECCOMP,	  /* refused: the sandboxed scanner made a forbidden system call */
	SCAN_R_SANDBOX,	  /* refused: the sandboxed scanner could not be started */
	SCAN_R_PATH,	  /* refused: a symlink in the path, or not a regular file */
	SCAN_R_MAX = SCAN_R_PATH,
};

/* Formats met while scanning, res->formats bits. */
#define SCAN_FMT_TEXT 0x001
#define SCAN_FMT_UTF16 0x002
#define SCAN_FMT_GZIP 0x004
#define SCAN_FMT_ZIP 0x008
#define SCAN_FMT_XLSX 0x010
#define SCAN_FMT_DOCX 0x020
#define SCAN_FMT_PPTX 0x040
#define SCAN_FMT_ODF 0x080
#define SCAN_FMT_PDF 0x100
#define SCAN_FMT_XML 0x200   /* office XML reduced to text */
#define SCAN_FMT_OLE 0x400   /* OLE2 compound file */
#define SCAN_FMT_DOC 0x800   /* Word 97-2003 */
#define SCAN_FMT_XLS 0x1000  /* Excel 97-2003 */
#define SCAN_FMT_PPT 0x2000  /* PowerPoint 97-2003 */
#define SCAN_FMT_MSG 0x4000  /* Outlook message */
#define SCAN_FMT_MIME 0x8000 /* e-mail (eml, mbox) */
#define SCAN_FMT_HTML 0x10000
#define SCAN_FMT_ARCHIVE 0x20000 /* libarchive: 7z, rar, tar, cpio, iso, xz, bzip2, zstd, lz4 */

/*
 * Caps for one scan.  Start from scan_limits_default() or zero the struct: a
 * zero field means its default.  max_time_ms = SCAN_NO_LIMIT turns the clock
 * off.
 */
#define SCAN_NO_LIMIT UINT32_MAX

struct scan_limits {
	uint64_t max_file_size; /* bytes of input; default 1 GiB */
	uint64_t max_inflated;	/* decompressed bytes over the whole file; 2 GiB */
	uint64_t max_buffer;	/* a compressed nested zip is unpacked into memory; 64 MiB */
	uint32_t max_entries;	/* members per archive; 10000 */
	uint32_t max_depth;	/* container nesting; the file's own content is 0; 4 */
	uint32_t max_ratio;	/* decompressed/compressed per stream, checked past 1 MiB; 100 */
	uint32_t max_time_ms;	/* wall clock per file; 30000 */
	uint32_t max_samples;	/* masked samples, <= CPR_MAX_SAMPLES; 5 */
	uint32_t max_distinct;	/* distinct-set capacity; 262144 (4 MiB when full) */
	uint32_t read_size;	/* bytes per read; 256 KiB (0: default) */
	bool substitutes;	/* count day+60 substitute numbers apart; false */
	/*
	 * With a key, the result carries the keyed hashes of the distinct
	 * numbers (res->persons), at most max_persons (default 65536: 512 KiB).
	 */
	const struct person_key *person_key;
	uint32_t max_persons;
};

/* Optional hooks; pass NULL for none. */
struct scan_hooks {
	/*
	 * Called every 4 MiB of input and once at the end, with the bytes of the
	 * file read so far and its size (0 when unknown, e.g. a pipe).  A non-zero
	 * return cancels the scan (SCAN_CANCELLED).
	 */
	int (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

struct scan_result {
	int status;	       /* enum scan_status, also the return value */
	int reason;	       /* enum scan_reason of that status */
	int err;	       /* errno for SCAN_R_IO */
	char msg[128];	       /* e.g. "zip bomb: ratio 1032 > 100"; no content digits */
	unsigned int problems; /* problems met; msg describes the most severe */

	/*
	 * CPR counts.  When status is not SCAN_OK they cover what was scanned
	 * before the problem: a lower bound, still worth an alert.
	 */
	struct cpr_stats cpr;

	uint64_t bytes_in;	     /* bytes read from the file or buffer */
	uint64_t bytes_inflated;     /* bytes produced by decompression */
	uint64_t bytes_scanned;	     /* bytes given to the detector (decoded text) */
	uint32_t entries;	     /* archive members scanned */
	uint32_t pages_without_text; /* document pages that gave no text (scanned images) */
	uint32_t formats;	     /* SCAN_FMT_* met */
	uint64_t elapsed_us;

	/*
	 * Who is in the file, for counting people across files: person_set_hash()
	 * of each distinct number (never the numbers), only when the limits
	 * gave a key.  Heap-allocated, freed by scan_result_release(); the
	 * sandboxed scanner carries the same list back.  persons_truncated:
	 * fewer than cpr.distinct (max_persons, or the distinct set filled).
	 */
	uint64_t *persons;
	uint32_t nr_persons;
	bool persons_truncated;
};

/* Fills in the defaults listed in struct scan_limits. */
void scan_limits_default(struct scan_limits *lim);

/*
 * The [scan] settings of the agent's config (agent/config.c fills them):
 * the worker queue's size (scanq_init) and the caps users may change.
 */
struct scan_config {
	unsigned int workers;	   /* scanning threads */
	unsigned int queue;	   /* pending scans before new ones are dropped (and counted) */
	unsigned int per_user;	   /* pending scans of one user before theirs are dropped */
	unsigned int max_file_mib; /* largest file scanned */
	unsigned int max_seconds;  /* wall clock per file */
};

/* The default limits with @cfg's file size and time caps. */
void scan_limits_from_config(struct scan_limits *lim, const struct scan_config *cfg);

/*
 * Scans a file, a buffer or an open descriptor (read from its current
 * position; random access is used for zip when it can seek).  lim and hooks
 * may be NULL.  Returns res->status (enum scan_status, never negative).
 */
int scan_file(const char *path, const struct scan_limits *lim, const struct scan_hooks *hooks,
	      struct scan_result *res);
int scan_fd(int fd, const struct scan_limits *lim, const struct scan_hooks *hooks,
	    struct scan_result *res);
int scan_buffer(const void *buf, size_t len, const struct scan_limits *lim,
		const struct scan_hooks *hooks, struct scan_result *res);

/* Frees what a result owns (persons); the counts stay. */
void scan_result_release(struct scan_result *res);

/*
 * Opens a file named by the user (cprwatchctl scan, scan_file()) for scanning (read-only, no atime, a FIFO cannot hang the
 * open): a descriptor or negative errno.  scan_open_failed() fills res for
 * a failed open and returns SCAN_ERROR.
 */
int scan_file_open(const char *path);
int scan_open_failed(int err, struct scan_result *res);

const char *scan_status_str(int status); /* "ok", "refused", ... */
const char *scan_reason_str(int reason); /* "zip bomb", "nesting depth", ... */

#endif
