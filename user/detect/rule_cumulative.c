// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bulk_export on a login user's total.  The people in files that leave
 * (written to an export path, removable media or a share, archived, opened
 * by a messaging or upload app) add up per login user over `window`; files
 * at or above `high` raise their own bulk_export (rule_export.c) and are not
 * added, so the total is what a per-file count cannot see: the same export
 * split into pieces, or many small ones.  The alert waits until the total
 * stops growing for CUM_SETTLE_NS (a split writes its pieces within moments)
 * and names the files; it fires once per level (high, critical) while the
 * total stays at that level.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cumulative.h"
#include "rules_int.h"

#define CUM_SETTLE_NS (5 * NS) /* a user's total is reported once it stops growing this long */
#define CUM_ALERT_FILES 64

struct cumulative_state {
	struct hashmap users; /* user -> struct cumulative, made when something left */
};

/* What the blocks hold besides themselves (the core frees the blocks and the map). */
static void cum_free(struct rules *r, void *st)
{
	struct cumulative_state *s = st;
	size_t it = 0;
	void *v;

	if (!s)
		return;
	while (hashmap_next(&s->users, &it, NULL, &v))
		cumulative_free(v);
}

static bool scan_left(const struct scan_request *rq)
{
	if (rq->why == SCAN_WHY_WRITTEN)
		return rq->export_kind || (rq->classes & CLASS_ARCHIVER);
	return rq->classes & (APP_CLASSES | CLASS_PRINTER);
}

static void cumulative_alert(struct rules *r, struct cumulative *c, uint32_t total,
			     unsigned int level, uint64_t now_ns)
{
	const char *files[CUM_ALERT_FILES];
	struct cpr_stats st = { .distinct = total,
				.distinct_lower_bound = person_set_saturated(&c->persons, now_ns) };
	struct alert a = { .ts_ns = now_ns,
			   .tgid = c->tgid,
			   .uid = c->uid,
			   .loginuid = c->loginuid,
			   .cpr = &st,
			   .files = files };

	a.nr_files = cumulative_files(c, now_ns, files, CUM_ALERT_FILES);
	a.count = a.nr_files;
	a.severity = level == 2 ? SEV_CRITICAL : 0;
	snprintf(
		a.summary, sizeof(a.summary),
		"%u distinct CPR numbers left in %u files within %u s (each under %u; latest %.100s)",
		total, a.nr_files, r->cfg->bulk_window, r->cfg->bulk_high,
		a.nr_files ? files[a.nr_files - 1] : "?");
	rules_fire(r, RULE_BULK_EXPORT, &a, hashmap_hash_pair(0x63756d, level));
}

static void cumulative_check(struct rules *r, struct cumulative *c, uint64_t now_ns, bool settled)
{
	uint32_t total = cumulative_total(c, now_ns);
	unsigned int level = total >= r->cfg->bulk_critical ? 2 : total >= r->cfg->bulk_high;

	if (level < c->reported)
		c->reported = level; /* the window slid: a new rise is news again */
	if (level <= c->reported)
		return;
	if (!settled && now_ns < c->last_add_ns + CUM_SETTLE_NS)
		return;
	c->reported = level;
	cumulative_alert(r, c, total, level, now_ns);
}

static struct cumulative *cumulative_of(struct rules *r, struct cumulative_state *s, __u32 user)
{
	struct cumulative *c = hashmap_get(&s->users, user);

	if (c)
		return c;
	c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	if (cumulative_init(c, (uint64_t)r->cfg->bulk_window * NS)) {
		free(c);
		return NULL;
	}
	if (hashmap_put(&s->users, user, c, NULL)) {
		cumulative_free(c);
		free(c);
		return NULL;
	}
	return c;
}

static void cum_scanned(struct rules *r, void *st, const struct scan_request *rq,
			const struct scan_result *res)
{
	struct cumulative *c;

	if (!res->nr_persons || res->cpr.distinct >= r->cfg->bulk_high || !scan_left(rq))
		return;
	c = cumulative_of(r, st, rules_user_of(rq->uid, rq->loginuid));
	if (!c || !cumulative_add(c, rq->path, &rq->id, res->persons, res->nr_persons, rq->ts_ns))
		return;
	c->tgid = rq->tgid;
	c->uid = rq->uid;
	c->loginuid = rq->loginuid;
	cumulative_check(r, c, rq->ts_ns, false);
}

static void cum_tick(struct rules *r, void *st, uint64_t now_ns, bool all)
{
	struct cumulative_state *s = st;
	size_t it = 0;
	void *v;

	while (hashmap_next(&s->users, &it, NULL, &v))
		cumulative_check(r, v, now_ns, all);
}

const struct rule_family rule_family_cumulative = {
	.name = "cumulative",
	.state_size = sizeof(struct cumulative_state),
	.per_user = true,
	.free = cum_free,
	.on_scan = cum_scanned,
	.on_tick = cum_tick,
};
