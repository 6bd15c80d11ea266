/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Distinct persons viewed, per login user and day: the CPR numbers seen in
 * a CPR client's responses (and files it writes) are added as keyed hashes
 * (person_set_hash, lib/person_set.h; never the number) in a person_set, and each user's daily
 * totals of the last days are kept on disk (STATE_DIR/persons_viewed, one
 * "user day total" line each: counts only) so the baseline survives
 * restarts.  Used by the persons_viewed rule.
 */
#ifndef CPRW_PERSONS_H
#define CPRW_PERSONS_H

#include <stdbool.h>
#include <stdint.h>
#include "cprwatch/events.h"

#define PERSONS_DAYS_MAX 366
#define PERSONS_PER_USER_MAX 1000000 /* distinct hashes kept per user and day */

struct persons;
struct json;

/* @state_dir NULL or "": nothing is kept across restarts. */
struct persons *persons_new(const char *state_dir, unsigned int keep_days);
/* Saves (when something changed) and frees. */
void persons_free(struct persons *ps);
/* Add a person's keyed hash for @user on @day (days since 1970 in local time); 1 when new. */
int persons_add(struct persons *ps, __u32 user, int64_t day, uint64_t hash);
/* Distinct persons of @user on @day (what was saved for the day before a restart, at least). */
uint64_t persons_today(struct persons *ps, __u32 user, int64_t day);
/*
 * Mean of @user's daily totals over the kept days before @day; false when
 * fewer than @min_days days are known.
 */
bool persons_baseline(struct persons *ps, __u32 user, int64_t day, unsigned int min_days,
		      uint64_t *mean, unsigned int *days);
/* Write the daily totals when they changed; 0 or -errno. */
int persons_save(struct persons *ps);
/* Iterate users: for (i = 0; persons_next(ps, &i, &user);) */
bool persons_next(struct persons *ps, size_t *iter, __u32 *user);

#endif
