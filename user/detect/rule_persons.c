// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * persons_viewed: the distinct persons a login user's CPR client showed him
 * in a day (CPR numbers in its TLS responses and in the files it writes, as
 * keyed hashes; detect/persons.c keeps them and the daily totals on disk)
 * over `per_day`, or over `baseline_factor` times the user's trailing daily
 * mean once `min_baseline_days` of history exist.  Checked when a CPR client
 * exits and every PERSONS_CHECK_NS for long-running ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "lib/cpr.h"
#include "lib/json.h"
#include "lib/time.h"
#include "persons.h"
#include "rules_int.h"

#define PERSONS_CHECK_NS (300 * NS) /* a long-running client is checked this often */
#define TLS_PERSONS_MAX 256	    /* distinct numbers taken from one read (at most 4 KiB of it) */

struct persons_state {
	struct persons *persons;      /* distinct persons per user and day */
	const struct person_key *key; /* the agent's: hashes persons in TLS reads */
	struct hashmap dirty;	      /* user -> tgid of the client that added persons */
	uint64_t checked_ns;
};

static int persons_init(struct rules *r, void *st)
{
	struct persons_state *s = st;

	if (hashmap_init(&s->dirty, 16))
		return -ENOMEM;
	/* in memory until rules_open_state(): a replay counts persons from its scans */
	s->persons = persons_new(NULL, r->cfg->persons_days);
	return s->persons ? 0 : -ENOMEM;
}

static void persons_state_free(struct rules *r, void *st)
{
	struct persons_state *s = st;

	if (!s)
		return;
	hashmap_free(&s->dirty);
	persons_free(s->persons);
	s->persons = NULL;
}

int rules_open_state(struct rules *r, const char *state_dir, const struct person_key *key)
{
	struct persons_state *s = rules_family_state(r, &rule_family_persons);

	if (!s)
		return -ENOMEM;
	s->key = key;
	persons_free(s->persons);
	s->persons = persons_new(state_dir, r->cfg->persons_days);
	return s->persons ? 0 : -ENOMEM;
}

/* Days since 1970 in local time: the persons_viewed day. */
static int64_t local_day(const struct rules *r, uint64_t ts_ns)
{
	time_t t = (ts_ns + time_mono_offset()) / NS;
	struct tm tm;

	localtime_r(&t, &tm);
	return ((int64_t)t + tm.tm_gmtoff) / 86400;
}

/* Keyed hashes of persons count for @user of today (the day of @ts_ns). */
static void add_hashes(struct rules *r, struct persons_state *s, __u32 user, __u32 tgid,
		       uint64_t ts_ns, const uint64_t *hashes, size_t n)
{
	int64_t day = local_day(r, ts_ns);
	size_t i;

	if (!n || !s->persons || !r->cfg->persons_viewed.enabled)
		return;
	for (i = 0; i < n; i++)
		persons_add(s->persons, user, day, hashes[i]);
	hashmap_put(&s->dirty, user, (void *)(uintptr_t)(tgid ? tgid : 1), NULL);
}

/* A TLS read of a CPR client: the persons in it count for its user. */
static void persons_tls(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct tls_event *e = ev->raw;
	struct cpr_opts o = { .max_distinct = TLS_PERSONS_MAX };
	struct persons_state *s = st;
	uint64_t hashes[TLS_PERSONS_MAX];
	struct cpr_detector d;
	struct cpr_stats st_cpr;
	size_t n = 0;

	/* no plaintext: the agent's JSON copy of the record, or a replay */
	if (!ev->args_len || e->dir == TLS_WRITE || cpr_init(&d, &o))
		return;
	cpr_feed(&d, ev->args, ev->args_len);
	cpr_finish(&d, &st_cpr);
	if (st_cpr.distinct && s->key)
		n = cpr_person_hashes(&d, s->key, hashes, TLS_PERSONS_MAX);
	cpr_destroy(&d);
	add_hashes(r, s, rules_user(ev->hdr->uid, p), ev->hdr->tgid, ev->hdr->ts_ns, hashes, n);
	r->tls_cpr = st_cpr.distinct > UINT32_MAX ? UINT32_MAX : (unsigned int)st_cpr.distinct;
}

/* What a CPR client writes, it has viewed. */
static void persons_scanned(struct rules *r, void *st, const struct scan_request *rq,
			    const struct scan_result *res)
{
	if (rq->why == SCAN_WHY_WRITTEN && (rq->classes & CLASS_CPR_CLIENT))
		add_hashes(r, st, rules_user_of(rq->uid, rq->loginuid), rq->tgid, rq->ts_ns,
			   res->persons, res->nr_persons);
}

/* persons_viewed for @user, whose CPR client @tgid added persons lately. */
static void check(struct rules *r, struct persons_state *s, __u32 user, __u32 tgid, uint64_t now_ns)
{
	const struct rules_cfg *c = r->cfg;
	int64_t day = local_day(r, now_ns);
	uint64_t n = persons_today(s->persons, user, day), mean = 0, limit = c->persons_per_day;
	const struct proc *p = procs_get(r->procs, tgid);
	struct event_hdr h = { .ts_ns = now_ns, .tgid = tgid, .uid = p ? p->uid : user };
	unsigned int days = 0;
	bool base = persons_baseline(s->persons, user, day, c->persons_min_days, &mean, &days);
	struct alert a;

	if (base && c->persons_factor && mean && mean * c->persons_factor < limit)
		limit = mean * c->persons_factor;
	if (n <= limit)
		return;
	if (p)
		snprintf(h.comm, sizeof(h.comm), "%s", p->comm);
	rules_alert_from_hdr(&a, &h, p);
	a.loginuid = user;
	a.persons = n;
	a.has_baseline = base;
	a.baseline = mean;
	a.baseline_days = days;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu distinct persons viewed today by %.60s (limit %llu; daily mean %llu over %u "
		 "days; client %.60s)",
		 (unsigned long long)n, rules_who(p, &h), (unsigned long long)limit,
		 (unsigned long long)mean, days, p && p->exe ? p->exe : h.comm);
	rules_fire(r, RULE_PERSONS_VIEWED, &a, (uint64_t)day);
}

/* Users whose persons grew (only those of client @exiting when not 0). */
static void check_dirty(struct rules *r, struct persons_state *s, uint64_t now_ns, __u32 exiting)
{
	uint64_t key;
	size_t it = 0;
	void *v;

	while (hashmap_next(&s->dirty, &it, &key, &v)) {
		if (exiting && (__u32)(uintptr_t)v != exiting)
			continue;
		check(r, s, (__u32)key, (__u32)(uintptr_t)v, now_ns);
		hashmap_del(&s->dirty, key);
		it = 0; /* deletion moves entries: start over */
	}
}

static void persons_exit(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	struct persons_state *s = st;

	if ((ev->hdr->classes & CLASS_CPR_CLIENT) && s->persons)
		check_dirty(r, s, ev->hdr->ts_ns, ev->hdr->tgid);
}

static void persons_tick(struct rules *r, void *st, uint64_t now_ns, bool all)
{
	struct persons_state *s = st;

	if (!s->persons || (!all && r->now_ns < s->checked_ns + PERSONS_CHECK_NS))
		return;
	check_dirty(r, s, r->now_ns, 0);
	s->checked_ns = r->now_ns;
	persons_save(s->persons);
}

static void user_json(struct rules *r, struct persons_state *s, struct json *j, __u32 user,
		      uint64_t lookups)
{
	int64_t day = local_day(r, r->now_ns);
	unsigned int days = 0;
	uint64_t mean = 0;
	bool base = false;

	json_obj_begin(j);
	json_kv_u64(j, "loginuid", user);
	json_kv_u64(j, "lookups_last_hour", lookups);
	if (s && s->persons) {
		json_kv_u64(j, "persons_today", persons_today(s->persons, user, day));
		base = persons_baseline(s->persons, user, day, 1, &mean, &days);
	}
	json_kv_u64(j, "persons_baseline_days", days);
	json_key(j, "persons_daily_mean");
	if (base)
		json_u64(j, mean);
	else
		json_null(j);
	json_obj_end(j);
}

void rules_users_json(struct rules *r, struct json *j, uint64_t now_ns)
{
	struct persons_state *s = rules_family_state(r, &rule_family_persons);
	uint64_t lookups;
	size_t it = 0;
	__u32 user;

	/*
	 * A live query: "today" and "the last hour" are the caller's now, not the
	 * time of the latest event or tick, which is still boot time (day 0 of
	 * the monotonic clock) right after a start.
	 */
	if (now_ns > r->now_ns)
		r->now_ns = now_ns;
	json_key(j, "users");
	json_arr_begin(j);
	while (rules_lookup_next(r, &it, &user, &lookups))
		user_json(r, s, j, user, lookups);
	for (it = 0; s && s->persons && persons_next(s->persons, &it, &user);)
		if (!rules_lookup_known(r, user))
			user_json(r, s, j, user, 0);
	json_arr_end(j);
}

const struct rule_family rule_family_persons = {
	.name = "persons",
	.state_size = sizeof(struct persons_state),
	.init = persons_init,
	.free = persons_state_free,
	.on_event = { [EV_TLS] = persons_tls, [EV_EXIT] = persons_exit },
	.on_scan = persons_scanned,
	.on_tick = persons_tick,
};
