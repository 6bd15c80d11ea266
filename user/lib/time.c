// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "time.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * TIME_NS_PER_SEC + ts.tv_nsec;
}

uint64_t time_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t time_mono_ms(void)
{
	return time_mono_ns() / 1000000ULL;
}

uint64_t time_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t time_offset_compute(void)
{
	uint64_t mono = time_mono_ns(), real = time_real_ns();

	return (int64_t)(real - mono);
}

static int64_t mono_offset;
static bool mono_offset_set;

int64_t time_mono_offset(void)
{
	if (!mono_offset_set)
		time_set_mono_offset(time_offset_compute());
	return mono_offset;
}

void time_set_mono_offset(int64_t offset_ns)
{
	mono_offset = offset_ns;
	mono_offset_set = true;
}

const char *time_format(uint64_t real_ns, char *buf, size_t len)
{
	time_t secs = real_ns / TIME_NS_PER_SEC;
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ", (unsigned int)(real_ns % TIME_NS_PER_SEC / 1000));
	return buf;
}

/* Exactly @n digits at *p into *out. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + (*p)[i] - '0';
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, const char *set)
{
	if (!**p || !strchr(set, **p))
		return false;
	(*p)++;
	return true;
}

/* "Z" or "+hh:mm" / "-hh:mm". */
static bool take_offset(const char **p, struct time_stamp *ts)
{
	int sign, hh, mm;

	if (take_char(p, "Zz")) {
		ts->zulu = true;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!take_digits(p, 2, &hh) || !take_char(p, ":") || !take_digits(p, 2, &mm) || hh > 23 ||
	    mm > 59)
		return false;
	ts->offset_min = sign * (hh * 60 + mm);
	return true;
}

/* Fraction of a second after the '.', into ns (digits past 9 are dropped). */
static bool take_fraction(const char **p, struct time_stamp *ts, long *ns)
{
	long scale = 100000000;

	*ns = 0;
	if (!take_char(p, "."))
		return true;
	ts->frac = *p;
	while (isdigit((unsigned char)**p)) {
		*ns += (**p - '0') * scale;
		scale /= 10;
		(*p)++;
		ts->frac_digits++;
	}
	return ts->frac_digits > 0;
}

int time_parse_rfc3339(const char *s, struct time_stamp *out)
{
	struct time_stamp ts = { 0 };
	const char *p = s;
	struct tm tm = {}, chk;
	int y, mo, d, h, mi, se;
	long ns;
	time_t t;

	if (!s || !take_digits(&p, 4, &y) || !take_char(&p, "-") || !take_digits(&p, 2, &mo) ||
	    !take_char(&p, "-") || !take_digits(&p, 2, &d))
		return -EINVAL;
	ts.sep = *p == ' ' ? ' ' : 'T';
	if (!take_char(&p, "Tt ") || !take_digits(&p, 2, &h) || !take_char(&p, ":") ||
	    !take_digits(&p, 2, &mi) || !take_char(&p, ":") || !take_digits(&p, 2, &se) ||
	    !take_fraction(&p, &ts, &ns) || !take_offset(&p, &ts) || *p)
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	ts.leap_second = se == 60;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se == 60 ? 59 : se; /* a leap second: close enough */
	t = timegm(&tm);
	/* timegm normalises Feb 30 to Mar 2: a day that does not exist is an error */
	if (t == (time_t)-1 || !gmtime_r(&t, &chk) || chk.tm_mday != d)
		return -EINVAL;
	t -= ts.offset_min * 60L;
	if (t < 0)
		return -EINVAL;
	ts.ns = (uint64_t)t * TIME_NS_PER_SEC + ns;
	*out = ts;
	return 0;
}
