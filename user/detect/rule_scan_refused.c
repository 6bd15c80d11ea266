// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Files that were not (fully) scanned are reported, so a file too big or
 * too odd to scan, or one the queue had no room for, is never silently
 * passed.  Both rules are always on.
 *
 * scan_refused: the scanner could not fully read the file (a cap, a
 * timeout, a format it refused, a file it may not read); rate-limited per
 * user (REFUSED_PER_USER).
 * scan_backlog: the scan queue dropped the request (full, or the user's
 * share of it full).
 */
#include <stdio.h>
#include "rules_int.h"

/*
 * A user can make any number of files the scanner refuses (a thousand small
 * encrypted zips).  Each file is its own alert up to REFUSED_PER_USER in a
 * window; past that the user's refusals fold into one alert and its
 * follow-up count, so a flood cannot push other alerts out of the spool.
 */
#define REFUSED_PER_USER 10
#define REFUSED_WINDOW_NS (300 * NS)

struct refused_user {
	uint64_t window_start_ns;
	unsigned int alerts; /* per-file alerts in the window */
};

struct refused_state {
	struct hashmap users; /* user -> struct refused_user (per_user) */
};

/* The suppression object of a refusal: the file, or the user past the limit (0). */
static uint64_t refused_object(struct refused_state *s, const struct scan_request *rq)
{
	struct refused_user *u =
		rules_user_state(&s->users, rules_user_of(rq->uid, rq->loginuid), sizeof(*u));

	if (!u)
		return rules_file_key(&rq->id);
	if (!u->window_start_ns || rq->ts_ns - u->window_start_ns >= REFUSED_WINDOW_NS) {
		u->window_start_ns = rq->ts_ns;
		u->alerts = 0;
	}
	if (u->alerts >= REFUSED_PER_USER)
		return 0;
	u->alerts++;
	return rules_file_key(&rq->id);
}

static void scan_refused(struct rules *r, void *st, const struct scan_request *rq,
			 const struct scan_result *res)
{
	struct alert a = {
		.cpr = &res->cpr,
		.scan_problem = res->msg,
	};

	rules_alert_from_scan(&a, rq);
	snprintf(a.summary, sizeof(a.summary), "could not fully scan %.150s: %s (%s)", rq->path,
		 scan_status_str(res->status), scan_reason_str(res->reason));
	rules_fire(r, RULE_SCAN_REFUSED, &a, refused_object(st, rq));
}

static void scan_backlog(struct rules *r, void *st, const struct scan_request *rq,
			 unsigned int queued)
{
	struct alert a = {
		.scan_problem = "scan queue full: not scanned",
	};

	rules_alert_from_scan(&a, rq);
	snprintf(a.summary, sizeof(a.summary),
		 "scan of %.150s dropped: %u scans queued, this user's share or the queue is full",
		 rq->path, queued);
	/* one per user and window; the follow-up counts the rest */
	rules_fire(r, RULE_SCAN_BACKLOG, &a, 0);
}

const struct rule_family rule_family_scan_refused = {
	.name = "scan_refused",
	.state_size = sizeof(struct refused_state),
	.per_user = true,
	.on_scan_problem = scan_refused,
	.on_scan_dropped = scan_backlog,
};
