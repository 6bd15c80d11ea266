/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * CPR number detection on a byte stream.
 *
 * A CPR number is DDMMYY-SSSS, DDMMYYSSSS or DDMMYY SSSS (one hyphen or one
 * space, nothing else) that is not part of a longer letter/digit run: a letter
 * or digit right before or after disqualifies it, and so does a digit group
 * glued on with '-', '/' or '.' (account numbers "1234-1234567890", dates,
 * version strings).  The date must exist, with the century taken from the 7th
 * digit.  Modulus 11 is counted, never required: numbers issued since 2007
 * may fail it.  A context keyword (cpr, personnummer, ...) within
 * CPR_KW_WINDOW bytes before or after a match raises confidence.
 *
 * The detector is fed arbitrary chunks (a match may span chunk boundaries) and
 * uses bounded memory whatever the input size: a small look-behind window and
 * a distinct set capped at opts->max_distinct entries.  One detector belongs to
 * one thread; there is no global state.
 *
 * Privacy: a raw number never leaves this module.  Results carry counts and
 * masked samples made by cpr_mask(), the only masking function there is.
 *
 * Typical use:
 *	struct cpr_detector d;
 *	struct cpr_stats st;
 *
 *	if (cpr_init(&d, NULL))
 *		return -ENOMEM;
 *	while ((n = read(fd, buf, sizeof(buf))) > 0)
 *		cpr_feed(&d, buf, n);
 *	cpr_finish(&d, &st);
 *	cpr_destroy(&d);
 */
#ifndef CPRW_CPR_H
#define CPRW_CPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "person_set.h"

#define CPR_MASK_LEN 12	   /* "DDMMYY-XXXX" and its NUL */
#define CPR_MAX_SAMPLES 16 /* hard ceiling for opts->max_samples */
#define CPR_DEF_SAMPLES 5
#define CPR_DEF_DISTINCT 262144 /* 4 MiB of set at most */
#define CPR_KW_WINDOW 300	/* keyword proximity, bytes, as Purview */

/* Private sizes, exposed only so that struct cpr_detector can be embedded. */
#define CPR_LOOK 14    /* bytes a candidate needs from its first digit */
#define CPR_BEHIND 16  /* look-behind a candidate needs */
#define CPR_WIN 1024   /* carried window between feeds */
#define CPR_KEEP 512   /* window kept after compaction: > KW_WINDOW + slack */
#define CPR_PENDING 64 /* matches awaiting a keyword after them */

/* cpr_classify() result bits. */
#define CPR_VALID 0x1 /* a real date, century from the 7th digit */
#define CPR_MOD11 0x2 /* weighted sum (4,3,2,7,6,5,4,3,2,1) mod 11 == 0 */
#define CPR_SUBST 0x4 /* substitute number: day + 60 is a real date */

struct cpr_opts {
	unsigned int max_samples;  /* masked samples kept, <= CPR_MAX_SAMPLES */
	unsigned int max_distinct; /* distinct-set capacity (0: default) */
	bool substitutes;	   /* count day+60 numbers (never as valid) */
};

struct cpr_stats {
	uint64_t matches;	   /* valid numbers seen, repeats included */
	uint64_t distinct;	   /* distinct valid numbers */
	uint64_t distinct_mod11;   /* distinct numbers passing modulus 11 */
	uint64_t keyword_matches;  /* matches with a keyword within the window */
	uint64_t substitutes;	   /* substitute numbers (opts->substitutes) */
	uint64_t bytes;		   /* bytes fed */
	bool distinct_lower_bound; /* the set filled up: distinct counts are minimums */
	unsigned int nr_samples;
	char samples[CPR_MAX_SAMPLES][CPR_MASK_LEN]; /* masked, first distinct seen */
};

/* All fields private; embed it, touch it only through the functions below. */
struct cpr_detector {
	struct cpr_stats st;
	unsigned int max_samples;
	bool substitutes;

	uint64_t *set;	  /* open addressing, value + 1, 0 = empty */
	uint32_t set_cap; /* slots, power of two */
	uint32_t set_max_cap;
	uint32_t set_used;
	uint32_t set_limit; /* entries allowed (opts->max_distinct) */

	uint64_t end;	   /* stream offset after the last byte fed */
	uint64_t seg;	   /* stream offset where the current segment began */
	uint64_t done;	   /* candidate starts below this are decided */
	uint64_t win_base; /* stream offset of win[0] */
	uint32_t win_len;
	unsigned char win[CPR_WIN + CPR_LOOK + CPR_BEHIND];

	uint64_t kw_done;     /* keyword starts below this are examined */
	uint64_t kw_want;     /* look-ahead keyword scanning wanted up to here */
	uint64_t kw_last_end; /* end of the latest keyword; valid if kw_seen */
	bool kw_seen;
	uint32_t pend_head, pend_count;
	uint64_t pend_end[CPR_PENDING]; /* ends of matches still waiting for a keyword */
};

/* Allocates the distinct set; opts may be NULL for defaults.  0 or -ENOMEM. */
int cpr_init(struct cpr_detector *d, const struct cpr_opts *opts);

/* Scans len bytes; chunks may be any size, matches may span them. */
void cpr_feed(struct cpr_detector *d, const void *buf, size_t len);

/*
 * Ends the current logical stream (an archive member, a PDF stream): bytes
 * fed after it never join bytes fed before it, and keyword windows close.
 * Counts and the distinct set carry on.
 */
void cpr_break(struct cpr_detector *d);

/* cpr_break() and copy the counts out.  May be called more than once. */
void cpr_finish(struct cpr_detector *d, struct cpr_stats *out);

/*
 * Keyed hashes (person_set_hash) of the distinct numbers in the set, at most
 * @max, into @out; returns how many.  Fewer than st.distinct when the set
 * filled up or @max is smaller.  Call before cpr_destroy().
 */
size_t cpr_person_hashes(const struct cpr_detector *d, const struct person_key *k, uint64_t *out,
			 size_t max);

/* Wipes the distinct set (it holds raw numbers) and frees it. */
void cpr_destroy(struct cpr_detector *d);

/* Distinct valid numbers in one buffer of text (0 also when out of memory). */
uint64_t cpr_count_distinct(const void *buf, size_t len);

/* Masks a 10-digit number into "DDMMYY-XXXX".  The only way a number is shown. */
void cpr_mask(uint64_t number, char out[CPR_MASK_LEN]);

/* True when s is a masked sample as cpr_mask() writes it, and nothing more. */
bool cpr_is_masked(const char *s);

/*
 * Classifies ten ASCII digits: CPR_VALID, CPR_MOD11, CPR_SUBST bits, 0 when
 * not a number at all.  CPR_SUBST is set only when the day is 61-91 and
 * day - 60 makes a real date; CPR_VALID is then clear.
 */
unsigned int cpr_classify(const char digits[10]);

/* Full year for YY and the 7th digit per the CPR century table, -1 if bad. */
int cpr_century_year(int yy, int digit7);

/* Days in a month of a full year (leap years by the Gregorian rule), 0 if bad. */
int cpr_days_in_month(int year, int month);

/*
 * Mask every CPR-shaped number in @s in place, whatever surrounds it (letters,
 * non-ASCII text, "2024/" before it): a run of exactly ten digits, or six and
 * four joined by one '-' or ' ', with a valid or substitute date.  The serial
 * becomes XXXX, the length stays.  Stricter than the detector on purpose:
 * anything cpr_feed() counts is masked, and so is what it only doubts.  For
 * text the agent itself writes (argv, paths, summaries): its outputs must
 * never carry a CPR number.  Returns how many were masked.
 */
size_t cpr_redact(char *s, size_t len);

#endif
