/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Clocks and RFC 3339 time stamps, written once for every module.
 *
 * Event times are CLOCK_MONOTONIC ns (the kernel's bpf_ktime_get_ns); what
 * is shown to people and sent to the SOC is wall-clock time.  The offset
 * between the two is the process's one clock: computed by
 * time_offset_compute(), set with time_set_mono_offset() when the agent
 * starts or a replay anchors its recording, and read with time_mono_offset().
 */
#ifndef CPRW_TIME_H
#define CPRW_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_NS_PER_SEC 1000000000ULL
/* "2024-01-02T03:04:05.123456Z" and its NUL */
#define TIME_RFC3339_LEN 28

uint64_t time_mono_ns(void);
uint64_t time_mono_ms(void);
uint64_t time_real_ns(void);

/* CLOCK_REALTIME - CLOCK_MONOTONIC, now. */
int64_t time_offset_compute(void);
/* Monotonic -> wall clock for this process (computed on first use if never set). */
int64_t time_mono_offset(void);
void time_set_mono_offset(int64_t offset_ns);

/* @real_ns as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" into @buf (TIME_RFC3339_LEN bytes); returns @buf. */
const char *time_format(uint64_t real_ns, char *buf, size_t len);

/* An RFC 3339 date-time, as written. */
struct time_stamp {
	uint64_t ns;		  /* since the epoch, UTC */
	int offset_min;		  /* minutes east of UTC; 0 with Z */
	bool zulu;		  /* "Z" rather than a numeric offset */
	char sep;		  /* 'T' (either case folded) or ' ' */
	bool leap_second;	  /* ":60", counted as :59 */
	unsigned int frac_digits; /* digits after the '.', 0: none */
	const char *frac;	  /* those digits, in the string parsed */
};

/*
 * "YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|+hh:mm|-hh:mm)", nothing after it:
 * 0, or -EINVAL for anything else, a day that does not exist (Feb 30) or a
 * time before 1970.  Fraction digits past nine are dropped.
 */
int time_parse_rfc3339(const char *s, struct time_stamp *out);

#endif
