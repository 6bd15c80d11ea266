// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * CPR number detector.  See cpr.h for the rules.
 *
 * Speed comes from looking only where a number can be: a CPR needs six digits
 * in a row, so the hot loop finds runs of six digits 32 bytes at a time with
 * SSE2 (a scalar loop elsewhere) and everything else - boundaries, date,
 * century, modulus 11, keywords - runs at those few positions only.  Keyword
 * windows are scanned lazily around matches, each byte at most once, so
 * keyword support costs nothing on text without numbers.
 *
 * Streaming: candidate starts are decided in stream order; the last few bytes
 * of a chunk wait in a small window until the next chunk brings the look-ahead
 * they need (CPR_LOOK bytes).  The window also keeps CPR_KEEP bytes of history
 * for look-behind and for keywords before a match.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cpr.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define KW_MAX 32 /* longer than the longest keyword */
#define SET_MIN_CAP 64
#define BIG_FEED 64 /* chunks at least this long are scanned in place */

/* Bytes of a chunk that are scanned through the window first (look-ahead). */
#define JUNCTION (CPR_LOOK + CPR_BEHIND)

/*
 * Keywords from the reference list, lowercase.  Prefixes stand for their
 * longer forms: "cpr" covers cpr#, cpr-nr, cpr.nr, cprnr, cprnummer;
 * "personnummer" covers personnummer#; "sundhedskort" sundhedskortnummer;
 * "sygesikring" sygesikringsbevis and sygesikringskort; "personregister"
 * centrale personregister.
 */
static const char *const keywords[] = {
	"cpr",
	"personnummer",
	"personnr",
	"personregister",
	"person register",
	"p-nummer",
	"civilt registreringssystem",
	"identifikationsnummer",
	"sundhedskort",
	"sygesikring",
	"skattenummer",
	"skat id",
	"ssn",
	"social security number",
	"national number",
	"personal id number",
	"tax id",
};

/* View of the stream: the carried window and the chunk being fed. */
struct view {
	const unsigned char *w;
	uint64_t wb;
	size_t wl;
	const unsigned char *p;
	uint64_t pb;
	size_t pl;
};

static inline bool is_digit(int c)
{
	return (unsigned int)(c - '0') < 10;
}

static inline bool is_ascii_alpha(int c)
{
	return (unsigned int)((c | 0x20) - 'a') < 26;
}

static inline int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}

/* A digit group glued to ours with one of these makes ours part of a longer number. */
static inline bool is_joiner(int c)
{
	return c == '-' || c == '/' || c == '.';
}

/*
 * Letter before position i?  ASCII letters and Latin-1 letters; in UTF-8 a
 * byte 0x80-0xBF ends a sequence, whose lead byte says whether it is a letter
 * (C3: Latin-1 letters but x and /, C4-D4: Latin Extended, Greek, Cyrillic).
 */
static bool alpha_before(const unsigned char *b, size_t i)
{
	int c = b[i - 1], p;

	if (is_ascii_alpha(c))
		return true;
	if (c >= 0xc0)
		return c != 0xd7 && c != 0xf7;
	if (c < 0x80 || i < 2)
		return false;
	p = b[i - 2];
	if (p == 0xc3)
		return c != 0x97 && c != 0xb7;
	return p >= 0xc4 && p <= 0xd4;
}

/* Letter at position j (j < len)?  Same rules, reading a UTF-8 sequence forward. */
static bool alpha_at(const unsigned char *b, size_t j, size_t len)
{
	int c = b[j], n;

	if (is_ascii_alpha(c))
		return true;
	if (c < 0xc0)
		return false;
	if (j + 1 < len && b[j + 1] >= 0x80 && b[j + 1] < 0xc0) {
		n = b[j + 1];
		if (c == 0xc3)
			return n != 0x97 && n != 0xb7;
		return c >= 0xc4 && c <= 0xd4;
	}
	return c != 0xd7 && c != 0xf7;
}

int cpr_days_in_month(int year, int month)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap;

	if (month < 1 || month > 12 || year < 0)
		return 0;
	if (month != 2)
		return days[month - 1];
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return leap ? 29 : 28;
}

int cpr_century_year(int yy, int digit7)
{
	if (yy < 0 || yy > 99 || digit7 < 0 || digit7 > 9)
		return -1;
	if (digit7 <= 3)
		return 1900 + yy;
	if (digit7 == 4 || digit7 == 9)
		return (yy <= 36 ? 2000 : 1900) + yy;
	if (yy <= 57)
		return 2000 + yy;
	return 1800 + yy;
}

unsigned int cpr_classify(const char s[10])
{
	static const unsigned char weight[10] = { 4, 3, 2, 7, 6, 5, 4, 3, 2, 1 };
	unsigned int v[10], sum = 0, mod11, i;
	int day, month, year, mdays;

	for (i = 0; i < 10; i++) {
		if (!is_digit(s[i]))
			return 0;
		v[i] = s[i] - '0';
		sum += weight[i] * v[i];
	}
	day = v[0] * 10 + v[1];
	month = v[2] * 10 + v[3];
	year = cpr_century_year(v[4] * 10 + v[5], v[6]);
	mdays = cpr_days_in_month(year, month);
	mod11 = sum % 11 == 0 ? CPR_MOD11 : 0;
	if (day >= 1 && day <= mdays)
		return CPR_VALID | mod11;
	if (day >= 61 && day - 60 <= mdays)
		return CPR_SUBST | mod11;
	return 0;
}

void cpr_mask(uint64_t number, char out[CPR_MASK_LEN])
{
	uint64_t date = number / 10000 % 1000000;
	int i;

	for (i = 5; i >= 0; i--) {
		out[i] = '0' + date % 10;
		date /= 10;
	}
	memcpy(out + 6, "-XXXX", 6);
}

bool cpr_is_masked(const char *s)
{
	int i;

	if (!s || strnlen(s, CPR_MASK_LEN) != CPR_MASK_LEN - 1 || s[6] != '-' ||
	    strcmp(s + 7, "XXXX"))
		return false;
	for (i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* ---- distinct set -------------------------------------------------------- */

static inline uint32_t set_slot(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static void set_free(uint64_t *set, uint32_t cap)
{
	if (!set)
		return;
	explicit_bzero(set, (size_t)cap * sizeof(*set));
	free(set);
}

static int set_grow(struct cpr_detector *d)
{
	uint32_t cap = d->set_cap * 2, i, j;
	uint64_t *n;

	if (d->set_cap >= d->set_max_cap)
		return -ENOSPC;
	n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = 0; i < d->set_cap; i++) {
		if (!d->set[i])
			continue;
		for (j = set_slot(d->set[i], cap); n[j]; j = (j + 1) & (cap - 1))
			;
		n[j] = d->set[i];
	}
	set_free(d->set, d->set_cap);
	d->set = n;
	d->set_cap = cap;
	return 0;
}

/* 1: new, 0: seen before, -1: unknown (the set is full and does not hold it). */
static int set_insert(struct cpr_detector *d, uint64_t value)
{
	uint64_t key = value + 1;
	uint32_t i;

again:
	for (i = set_slot(key, d->set_cap); d->set[i]; i = (i + 1) & (d->set_cap - 1))
		if (d->set[i] == key)
			return 0;
	if (d->set_used >= d->set_limit)
		return -1;
	if ((uint64_t)(d->set_used + 1) * 4 > (uint64_t)d->set_cap * 3) {
		if (!set_grow(d))
			goto again;
		/* Could not grow: allow up to 7/8 load, then give up. */
		if ((uint64_t)(d->set_used + 1) * 8 > (uint64_t)d->set_cap * 7)
			return -1;
	}
	d->set[i] = key;
	d->set_used++;
	return 1;
}

/* ---- keywords ------------------------------------------------------------ */

static int view_byte(const struct view *v, uint64_t off)
{
	if (off >= v->pb && off - v->pb < v->pl)
		return v->p[off - v->pb];
	if (off >= v->wb && off - v->wb < v->wl)
		return v->w[off - v->wb];
	return -1;
}

/* Length of the keyword starting at b[0] (avail bytes readable), 0 if none. */
static size_t keyword_at(const unsigned char *b, size_t avail)
{
	size_t k, j, n;

	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		const char *kw = keywords[k];

		if (kw[0] != lower(b[0]))
			continue;
		n = strlen(kw);
		if (n > avail)
			continue;
		for (j = 1; j < n && lower(b[j]) == kw[j]; j++)
			;
		if (j == n)
			return n;
	}
	return 0;
}

static void pend_pop(struct cpr_detector *d)
{
	d->pend_head = (d->pend_head + 1) % CPR_PENDING;
	d->pend_count--;
}

static void pend_push(struct cpr_detector *d, uint64_t end)
{
	if (d->pend_count == CPR_PENDING)
		pend_pop(d); /* cannot happen with >= 11 bytes per match; stay bounded anyway */
	d->pend_end[(d->pend_head + d->pend_count) % CPR_PENDING] = end;
	d->pend_count++;
}

/* Drops pending matches whose look-ahead window ends before offset off. */
static void pend_expire(struct cpr_detector *d, uint64_t off)
{
	while (d->pend_count && d->pend_end[d->pend_head] + CPR_KW_WINDOW < off)
		pend_pop(d);
}

static void on_keyword(struct cpr_detector *d, uint64_t start, uint64_t end)
{
	pend_expire(d, start);
	/* Every match still pending ended at most CPR_KW_WINDOW before this keyword. */
	d->st.keyword_matches += d->pend_count;
	d->pend_count = 0;
	d->kw_seen = true;
	d->kw_last_end = end;
}

static const unsigned char kw_first[256] = {
	['c'] = 1, ['p'] = 1, ['s'] = 1, ['i'] = 1, ['n'] = 1, ['t'] = 1,
	['C'] = 1, ['P'] = 1, ['S'] = 1, ['I'] = 1, ['N'] = 1, ['T'] = 1,
};

/*
 * Examines keyword starts in [from, to) of the stream; keyword bytes are read
 * below limit only.  Works in pieces through a small copy when the range is
 * not inside the current chunk.
 */
static void kw_scan(struct cpr_detector *d, const struct view *v, uint64_t from, uint64_t to,
		    uint64_t limit)
{
	unsigned char tmp[256 + KW_MAX + 1];

	while (from < to) {
		uint64_t piece = to - from < 256 ? to - from : 256;
		uint64_t lo = from > d->seg ? from - 1 : from; /* one byte of look-behind */
		uint64_t hi = from + piece + KW_MAX < limit ? from + piece + KW_MAX : limit;
		const unsigned char *b;
		size_t n = hi - lo, i, k, skip = from - lo;

		if (lo >= v->pb && hi <= v->pb + v->pl) {
			b = v->p + (lo - v->pb);
		} else {
			for (i = 0; i < n; i++) {
				int c = view_byte(v, lo + i);

				if (c < 0 && i == 0 && lo < from) {
					c = ' '; /* look-behind gone: a word start */
				} else if (c < 0) {
					n = i;
					break;
				}
				tmp[i] = c;
			}
			b = tmp;
		}
		for (i = skip; i < skip + piece && i < n; i++) {
			if (!kw_first[b[i]] || (i > 0 && is_ascii_alpha(b[i - 1])))
				continue;
			k = keyword_at(b + i, n - i);
			if (k) {
				on_keyword(d, lo + i, lo + i + k);
				i += k - 1;
			}
		}
		/* A keyword may have run past the piece: resume after it. */
		from = lo + i > from + piece ? lo + i : from + piece;
	}
}

/* Keyword bookkeeping for a match at [m, e). */
static void keyword_context(struct cpr_detector *d, const struct view *v, uint64_t m, uint64_t e)
{
	uint64_t from;

	if (d->pend_count) {
		/* Finish the look-ahead of earlier matches first (bounded by kw_want). */
		uint64_t to = d->kw_want < m ? d->kw_want : m;

		if (to > d->kw_done) {
			kw_scan(d, v, d->kw_done, to, m);
			d->kw_done = to;
		}
		pend_expire(d, d->kw_done);
	}
	from = d->kw_done;
	if (!d->pend_count && m > CPR_KW_WINDOW + KW_MAX && from < m - CPR_KW_WINDOW - KW_MAX)
		from = m - CPR_KW_WINDOW - KW_MAX;
	if (from < d->seg)
		from = d->seg;
	if (from < m)
		kw_scan(d, v, from, m, m); /* keywords hold no digits: none runs into m */
	d->kw_done = e;
	pend_expire(d, m);

	if (d->kw_seen && m - d->kw_last_end <= CPR_KW_WINDOW) {
		d->st.keyword_matches++;
		return;
	}
	pend_push(d, e);
	d->kw_want = e + CPR_KW_WINDOW + 1;
}

/* Look-ahead scanning at the end of a feed, for matches still waiting. */
static void kw_advance(struct cpr_detector *d, const struct view *v, bool eof)
{
	uint64_t to;

	if (!d->pend_count)
		return;
	to = d->kw_want < d->end ? d->kw_want : d->end;
	if (!eof) {
		/* Leave starts whose keyword could run past the end for the next feed. */
		uint64_t lim = d->end >= d->seg + KW_MAX ? d->end - KW_MAX : d->seg;

		if (to > lim)
			to = lim;
	}
	if (to > d->kw_done) {
		kw_scan(d, v, d->kw_done, to, d->end);
		d->kw_done = to;
	}
	pend_expire(d, d->kw_done);
	if (eof)
		d->pend_count = 0;
}

/* ---- matching ------------------------------------------------------------ */

static void record(struct cpr_detector *d, const struct view *v, const char digits[10], uint64_t m,
		   uint64_t e)
{
	unsigned int cls = cpr_classify(digits);
	uint64_t value = 0;
	int i, r;

	if (cls & CPR_SUBST) {
		if (d->substitutes)
			d->st.substitutes++;
		return;
	}
	if (!(cls & CPR_VALID))
		return;
	d->st.matches++;
	keyword_context(d, v, m, e);

	for (i = 0; i < 10; i++)
		value = value * 10 + (digits[i] - '0');
	r = set_insert(d, value);
	if (r < 0) {
		d->st.distinct_lower_bound = true;
		return;
	}
	if (!r)
		return;
	d->st.distinct++;
	if (cls & CPR_MOD11)
		d->st.distinct_mod11++;
	if (d->st.nr_samples < d->max_samples)
		cpr_mask(value, d->st.samples[d->st.nr_samples++]);
}

static size_t skip_digits(const unsigned char *b, size_t i, size_t len)
{
	while (i < len && is_digit(b[i]))
		i++;
	return i;
}

/*
 * Decides the candidate at b[i] (six digits start there); b[0] sits at stream
 * offset base and bytes below len are readable.  Bytes at and past len are the
 * end of the stream when eof, else the caller guaranteed CPR_LOOK of them.
 * Returns the index to resume at.
 */
static size_t check_at(struct cpr_detector *d, const struct view *v, const unsigned char *b,
		       uint64_t base, size_t len, size_t i, bool eof)
{
	char digits[10];
	size_t n, j;

	if (i > 0) {
		int c = b[i - 1];

		if (is_digit(c) || alpha_before(b, i))
			goto reject;
		if (is_joiner(c) && i > 1 && is_digit(b[i - 2]))
			goto reject;
	}
	n = 0;
	while (n < 11 && i + n < len && is_digit(b[i + n]))
		n++;
	if (n == 10) {
		memcpy(digits, b + i, 10);
		j = i + 10;
	} else if (n == 6 && i + 10 < len && (b[i + 6] == '-' || b[i + 6] == ' ') &&
		   is_digit(b[i + 7]) && is_digit(b[i + 8]) && is_digit(b[i + 9]) &&
		   is_digit(b[i + 10])) {
		memcpy(digits, b + i, 6);
		memcpy(digits + 6, b + i + 7, 4);
		j = i + 11;
	} else {
		goto reject;
	}
	if (j < len) {
		if (is_digit(b[j]) || alpha_at(b, j, len))
			goto reject;
		if (is_joiner(b[j]) && j + 1 < len && is_digit(b[j + 1]))
			goto reject;
	}
	record(d, v, digits, base + i, base + j);
	return j;
reject:
	return skip_digits(b, i, len);
}

/* First p in [i, end) with b[p..p+6) all digits, reading below len; end if none. */
static size_t find_run6(const unsigned char *b, size_t i, size_t end, size_t len)
{
	size_t run = 0, j;

	for (j = i; j < len && j < end + 5; j++) {
		if (!is_digit(b[j])) {
			run = 0;
			continue;
		}
		if (++run == 6)
			return j - 5 < end ? j - 5 : end;
	}
	return end;
}

#ifdef __SSE2__
static inline uint64_t digits16(const unsigned char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);
	/* '0'..'9' land on -128..-119 as signed bytes; nothing else does. */
	__m128i t = _mm_add_epi8(x, _mm_set1_epi8((char)(128 - '0')));

	return (uint32_t)_mm_movemask_epi8(_mm_cmplt_epi8(t, _mm_set1_epi8(-118)));
}

/*
 * The hot loop: 32 candidate positions per step from a 48-byte digit mask.
 * A candidate is the start of a run of six or more digits; the run's length
 * comes from the mask, and only runs of exactly 6 (DDMMYY + separator) or
 * 10 reach check_at().  Returns where it stopped: at or past end, or where
 * fewer than 48 bytes remain.
 */
static size_t scan_simd(struct cpr_detector *d, const struct view *v, const unsigned char *b,
			uint64_t base, size_t len, size_t i, size_t end, bool eof)
{
	uint64_t lo, m, r;
	unsigned int k, run;

	if (i >= end || i + 48 > len)
		return i;
	lo = digits16(b + i);
	while (i < end && i + 48 <= len) {
		m = lo | digits16(b + i + 16) << 16 | digits16(b + i + 32) << 32;
		lo = m >> 32;
		r = m & (m >> 1) & (m >> 2);
		/* Six digits from here, and no digit just before (bit 0: see check_at). */
		r &= (r >> 3) & ~(m << 1) & 0xffffffffULL;
		while (r) {
			k = __builtin_ctzll(r);
			if (i + k >= end)
				return end;
			run = __builtin_ctzll(~(m >> k));
			if (run == 6 || run == 10) {
				i = check_at(d, v, b, base, len, i + k, eof);
				goto reload;
			}
			/* Any other length cannot be a number; drop the candidates it covers. */
			r &= k + run < 64 ? ~0ULL << (k + run) : 0;
		}
		i += 32;
		continue;
reload:
		if (i >= end || i + 48 > len)
			return i;
		lo = digits16(b + i);
	}
	return i;
}
#endif

/* Decides candidate starts in stream range [from, to) of buffer b (stream offset base). */
static uint64_t scan_range(struct cpr_detector *d, const struct view *v, const unsigned char *b,
			   uint64_t base, size_t len, uint64_t from, uint64_t to, bool eof)
{
	size_t i = from - base, end = to - base;

#ifdef __SSE2__
	i = scan_simd(d, v, b, base, len, i, end, eof);
#endif
	while (i < end) {
		i = find_run6(b, i, end, len);
		if (i >= end)
			break;
		i = check_at(d, v, b, base, len, i, eof);
	}
	return base + (i > end ? i : end);
}

/* ---- streaming ----------------------------------------------------------- */

static void win_append(struct cpr_detector *d, const unsigned char *p, size_t n)
{
	size_t drop;

	if (n >= CPR_KEEP) {
		memcpy(d->win, p + n - CPR_KEEP, CPR_KEEP);
		d->win_base += d->win_len + n - CPR_KEEP;
		d->win_len = CPR_KEEP;
		return;
	}
	if (d->win_len + n > sizeof(d->win)) {
		drop = d->win_len + n - CPR_KEEP;
		memmove(d->win, d->win + drop, d->win_len - drop);
		d->win_base += drop;
		d->win_len -= drop;
	}
	memcpy(d->win + d->win_len, p, n);
	d->win_len += n;
}

static void view_init(struct view *v, const struct cpr_detector *d, const unsigned char *p,
		      uint64_t pb, size_t pl)
{
	v->w = d->win;
	v->wb = d->win_base;
	v->wl = d->win_len;
	v->p = p;
	v->pb = pb;
	v->pl = pl;
}

static void feed_small(struct cpr_detector *d, const unsigned char *p, size_t len)
{
	struct view v;
	uint64_t to;

	win_append(d, p, len);
	d->end += len;
	view_init(&v, d, NULL, 0, 0);
	if (d->end - d->done >= CPR_LOOK) {
		to = d->end - CPR_LOOK + 1;
		d->done = scan_range(d, &v, d->win, d->win_base, d->win_len, d->done, to, false);
	}
	kw_advance(d, &v, false);
}

static void feed_big(struct cpr_detector *d, const unsigned char *p, size_t len)
{
	uint64_t base = d->end, r, to;
	struct view v;

	/* Candidates left from the last feed get their look-ahead from this chunk. */
	win_append(d, p, JUNCTION);
	view_init(&v, d, p, base, len);
	r = scan_range(d, &v, d->win, d->win_base, d->win_len, d->done, base + CPR_BEHIND, false);

	/* The rest in place; the chunk itself provides look-behind from here on. */
	to = base + len - CPR_LOOK + 1;
	if (r < to)
		r = scan_range(d, &v, p, base, len, r, to, false);
	d->done = r > to ? r : to;
	d->end = base + len;

	/* Before the window moves on: look-ahead may still need its older bytes. */
	kw_advance(d, &v, false);
	win_append(d, p + JUNCTION, len - JUNCTION);
}

void cpr_feed(struct cpr_detector *d, const void *buf, size_t len)
{
	if (!len)
		return;
	d->st.bytes += len;
	if (len < BIG_FEED)
		feed_small(d, buf, len);
	else
		feed_big(d, buf, len);
}

void cpr_break(struct cpr_detector *d)
{
	struct view v;

	view_init(&v, d, NULL, 0, 0);
	if (d->done < d->end)
		scan_range(d, &v, d->win, d->win_base, d->win_len, d->done, d->end, true);
	kw_advance(d, &v, true);

	d->pend_count = 0;
	d->kw_seen = false;
	d->seg = d->end;
	d->done = d->end;
	d->kw_done = d->end;
	d->kw_want = d->end;
	explicit_bzero(d->win, d->win_len);
	d->win_len = 0;
	d->win_base = d->end;
}

void cpr_finish(struct cpr_detector *d, struct cpr_stats *out)
{
	cpr_break(d);
	if (out)
		*out = d->st;
}

int cpr_init(struct cpr_detector *d, const struct cpr_opts *opts)
{
	unsigned int limit = CPR_DEF_DISTINCT;
	uint64_t cap = SET_MIN_CAP;

	memset(d, 0, sizeof(*d));
	d->max_samples = CPR_DEF_SAMPLES;
	if (opts) {
		d->max_samples = opts->max_samples < CPR_MAX_SAMPLES ? opts->max_samples :
								       CPR_MAX_SAMPLES;
		d->substitutes = opts->substitutes;
		if (opts->max_distinct)
			limit = opts->max_distinct;
	}
	if (limit > (1U << 30))
		limit = 1U << 30;
	d->set_limit = limit;
	/* Enough slots for limit entries under a 3/4 load. */
	while (cap * 3 < (uint64_t)limit * 4)
		cap *= 2;
	d->set_max_cap = cap;
	d->set_cap = SET_MIN_CAP < cap ? SET_MIN_CAP : cap;
	d->set = calloc(d->set_cap, sizeof(*d->set));
	if (!d->set)
		return -ENOMEM;
	return 0;
}

size_t cpr_person_hashes(const struct cpr_detector *d, const struct person_key *k, uint64_t *out,
			 size_t max)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < d->set_cap && n < max; i++)
		if (d->set[i])
			out[n++] = person_set_hash(k, d->set[i] - 1); /* slots hold value + 1 */
	return n;
}

void cpr_destroy(struct cpr_detector *d)
{
	set_free(d->set, d->set_cap);
	d->set = NULL;
	explicit_bzero(d->win, sizeof(d->win));
}

uint64_t cpr_count_distinct(const void *buf, size_t len)
{
	struct cpr_detector d;
	struct cpr_stats st;

	if (cpr_init(&d, NULL))
		return 0;
	cpr_feed(&d, buf, len);
	cpr_finish(&d, &st);
	cpr_destroy(&d);
	return st.distinct;
}

/* Length of the digit run starting at s[i]. */
static size_t digit_run(const char *s, size_t i, size_t len)
{
	return skip_digits((const unsigned char *)s, i, len) - i;
}

/*
 * Unlike the detector, the masker ignores what surrounds a number: a letter,
 * a non-ASCII character, a joiner or a digit-ending path component before it
 * ("usb0/", "2024/") may make the detector doubt it is a CPR number, but text
 * the agent writes must not show it either way.  Any run of exactly ten
 * digits, or six and four joined by one '-' or ' ', with a valid (or
 * substitute) date is masked; longer digit runs are other numbers.
 */
size_t cpr_redact(char *s, size_t len)
{
	size_t i = 0, n = 0, run, k;
	char digits[10];

	while (i < len) {
		if (!is_digit(s[i])) {
			i++;
			continue;
		}
		run = digit_run(s, i, len);
		k = 0;
		if (run == 10)
			k = i + 6;
		else if (run == 6 && i + 7 < len && (s[i + 6] == '-' || s[i + 6] == ' ') &&
			 digit_run(s, i + 7, len) == 4)
			k = i + 7;
		if (k) {
			memcpy(digits, s + i, 6);
			memcpy(digits + 6, s + k, 4);
			if (cpr_classify(digits) & (CPR_VALID | CPR_SUBST)) {
				memset(s + k, 'X', 4);
				n++;
			}
			i = k + 4;
			continue;
		}
		i += run;
	}
	return n;
}
