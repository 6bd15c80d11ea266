// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * lookup_burst: a user's CPR-client look-ups (connects to a configured CPR
 * service endpoint, or opens below a configured path) over the hourly limit
 * of office hours or of the rest of the day, or over a multiple of the
 * user's own trailing mean once there is enough history.
 *
 * The endpoints ("host:port" or "[v6]:port") are the core's CPR services
 * (rules_is_service(); detect/endpoints.c resolves names off the event loop).
 *
 * A connection is one look-up; the kernel counts its request/response turns
 * (EV_TURNS) and each further turn is another.  A process whose HTTP requests
 * are seen inside TLS (EV_TLS writes) is counted by the requests that match
 * the `request` patterns instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "lib/time.h"
#include "lib/cpr.h"
#include "lib/http.h"
#include "rules_int.h"

#define TLS_HTTP_LINGER_NS (60 * NS) /* its sockets' last turns come after the exit */

struct lookup_user {
	uint64_t minute_count[60]; /* look-ups per minute of the last hour */
	uint64_t minute_of[60];	   /* which absolute minute each slot holds */
	uint64_t first_minute;
	uint64_t hist_lookups; /* look-ups that left the hour window */
	uint64_t hist_first;   /* first minute of that history */
};

struct lookup_state {
	struct hashmap users; /* user -> struct lookup_user (per_user) */
	/* tgid -> 1 while it lives, its exit time + 1 after: its HTTP requests are seen in TLS */
	struct hashmap tls_http;
};

static int lookup_init(struct rules *r, void *st)
{
	struct lookup_state *s = st;

	return hashmap_init(&s->tls_http, 16);
}

static void lookup_free(struct rules *r, void *st)
{
	struct lookup_state *s = st;

	if (s)
		hashmap_free(&s->tls_http);
}

/* A connect to a CPR service; its "addr:port" into @peer. */
static bool endpoint_match(struct rules *r, const struct connect_event *e, char *peer, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "";

	if (e->addr.family == AF_INET)
		inet_ntop(AF_INET, e->addr.addr, addr, sizeof(addr));
	else if (e->addr.family == AF_INET6)
		inet_ntop(AF_INET6, e->addr.addr, addr, sizeof(addr));
	else
		return false;
	snprintf(peer, len, e->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, e->addr.port);
	if (!r->cfg->nr_burst_endpoints && !r->cfg->nr_burst_paths)
		return true; /* nothing configured: every connection is a look-up */
	return rules_is_service(r, e->addr.family, e->addr.addr, e->addr.port);
}

static bool path_is_lookup(const struct rules *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->cfg->nr_burst_paths; i++)
		if (!strncmp(path, r->cfg->burst_paths[i], strlen(r->cfg->burst_paths[i])))
			return true;
	return false;
}

/* ---- the burst ---------------------------------------------------------------------- */

static bool in_office_hours(const struct rules *r, uint64_t ts_ns)
{
	time_t t = (ts_ns + time_mono_offset()) / NS;
	struct tm tm;

	localtime_r(&t, &tm);
	if (tm.tm_wday == 0 || tm.tm_wday == 6)
		return false;
	return (unsigned int)tm.tm_hour >= r->cfg->office_start &&
	       (unsigned int)tm.tm_hour < r->cfg->office_end;
}

/* Count @n look-ups; returns look-ups in the last hour. */
static uint64_t count_lookup(struct lookup_user *u, uint64_t ts_ns, uint64_t n)
{
	uint64_t minute = ts_ns / (60 * NS) + 1, sum = 0; /* +1: 0 marks an empty slot */
	unsigned int i;

	if (!u->first_minute)
		u->first_minute = u->hist_first = minute;
	for (i = 0; i < 60; i++) {
		if (u->minute_of[i] && u->minute_of[i] + 60 <= minute) {
			u->hist_lookups += u->minute_count[i]; /* left the hour: history */
			u->minute_of[i] = 0;
			u->minute_count[i] = 0;
		}
	}
	i = minute % 60;
	if (u->minute_of[i] != minute) {
		u->minute_of[i] = minute;
		u->minute_count[i] = 0;
	}
	u->minute_count[i] += n;
	for (i = 0; i < 60; i++)
		sum += u->minute_count[i];
	return sum;
}

static void lookup(struct rules *r, struct lookup_state *s, const struct event_hdr *h,
		   const struct proc *p, const char *what, uint64_t count)
{
	const struct rules_cfg *c = r->cfg;
	struct lookup_user *u = rules_user_state(&s->users, rules_user(h->uid, p), sizeof(*u));
	uint64_t n, limit, hours, mean = 0;
	bool office;
	struct alert a;

	if (!u)
		return;
	n = count_lookup(u, h->ts_ns, count);
	office = in_office_hours(r, h->ts_ns);
	limit = office ? c->burst_per_hour : c->burst_off_hours;
	hours = u->first_minute ? (h->ts_ns / (60 * NS) + 1 - u->hist_first) / 60 : 0;
	if (hours >= c->burst_min_baseline && hours > 1 && c->burst_factor) {
		mean = u->hist_lookups / (hours - 1);
		if (mean && mean * c->burst_factor < limit)
			limit = mean * c->burst_factor;
	}
	if (n <= limit)
		return;
	rules_alert_from_hdr(&a, h, p);
	a.count = n;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu CPR look-ups in the last hour by %.60s (limit %llu%s%s; latest: %.80s)",
		 (unsigned long long)n, rules_who(p, h), (unsigned long long)limit,
		 office ? ", office hours" : ", outside office hours", mean ? ", baseline" : "",
		 what);
	rules_fire(r, RULE_LOOKUP_BURST, &a, 0);
}

static void lookup_open(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct open_event *o = ev->raw;

	if (o->ret >= 0 && (ev->hdr->classes & CLASS_CPR_CLIENT) && path_is_lookup(r, ev->path))
		lookup(r, st, ev->hdr, p, ev->path, 1);
}

static void lookup_connect(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct connect_event *e = ev->raw;
	char peer[80];

	if (!(ev->hdr->classes & CLASS_CPR_CLIENT) || (e->ret && e->ret != -EINPROGRESS))
		return;
	/* a connection is a look-up; with the turn probes, each further turn is one more */
	if (endpoint_match(r, e, peer, sizeof(peer)))
		lookup(r, st, ev->hdr, p, peer, 1);
}

/*
 * Request/response turns on a CPR client's connection to a CPR endpoint:
 * the connect was the first look-up, every turn after the first is another.
 * A process whose HTTP requests are seen inside TLS (and matched against
 * the `request` patterns) is counted by those instead: its turns would
 * count the TLS handshake and every other request too.
 */
static void lookup_turns(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct turns_event *e = ev->raw;
	struct lookup_state *s = st;
	char addr[INET6_ADDRSTRLEN] = "", peer[80];
	uint64_t n = e->turns;

	if (e->total == e->turns && n)
		n--; /* the connection's first turn: its connect counted it */
	if (!(ev->hdr->classes & CLASS_CPR_CLIENT) || !n)
		return;
	if (r->cfg->nr_burst_requests && hashmap_get(&s->tls_http, ev->hdr->tgid))
		return;
	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	snprintf(peer, sizeof(peer), e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, e->dport);
	rules_note_cpr(r, ev->hdr, p);
	lookup(r, s, ev->hdr, p, peer, n);
}

/* A TLS write of a CPR client: its request line against the `request` patterns. */
static void lookup_tls(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct tls_event *e = ev->raw;
	struct lookup_state *s = st;
	struct http_request rq;
	char what[HTTP_METHOD_MAX + 96];
	size_t i;

	/* no plaintext: the agent's JSON copy of the record, or a replay */
	if (!ev->args_len || e->dir != TLS_WRITE || http_request_parse(ev->args, ev->args_len, &rq))
		return;
	/* its requests are seen: they, not the connection's turns, are its look-ups */
	if (!hashmap_get(&s->tls_http, ev->hdr->tgid))
		hashmap_put(&s->tls_http, ev->hdr->tgid, (void *)1, NULL);
	for (i = 0; i < r->cfg->nr_burst_requests; i++) {
		if (!http_pattern_match(r->cfg->burst_requests[i], &rq))
			continue;
		snprintf(what, sizeof(what), "%s %.80s", rq.method, rq.target);
		cpr_redact(what, strlen(what)); /* a person's number in the URL stays out */
		rules_note_cpr(r, ev->hdr, p);
		lookup(r, s, ev->hdr, p, what, 1);
		break;
	}
	explicit_bzero(&rq, sizeof(rq));
}

/* Its sockets' close reports come after the exit: its turns stay ignored a while. */
static void lookup_exit(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	struct lookup_state *s = st;

	if (hashmap_get(&s->tls_http, ev->hdr->tgid))
		hashmap_put(&s->tls_http, ev->hdr->tgid, (void *)(uintptr_t)(ev->hdr->ts_ns + 1),
			    NULL);
}

static void lookup_tick(struct rules *r, void *st, uint64_t now_ns, bool all)
{
	struct lookup_state *s = st;
	size_t it = 0;
	uint64_t key;
	void *v;

	while (hashmap_next(&s->tls_http, &it, &key, &v)) {
		uint64_t exit_ns = (uintptr_t)v - 1;

		if (exit_ns && exit_ns + TLS_HTTP_LINGER_NS < now_ns) {
			hashmap_del(&s->tls_http, key);
			it = 0; /* deletion moves entries: start over */
		}
	}
}

static uint64_t last_hour(const struct lookup_user *u, uint64_t now_ns)
{
	uint64_t minute = now_ns / (60 * NS) + 1, sum = 0;
	unsigned int i;

	for (i = 0; i < 60; i++)
		if (u->minute_of[i] && u->minute_of[i] + 60 > minute)
			sum += u->minute_count[i];
	return sum;
}

bool rules_lookup_next(struct rules *r, size_t *it, __u32 *user, uint64_t *n)
{
	struct lookup_state *s = rules_family_state(r, &rule_family_lookup);
	uint64_t key;
	void *v;

	if (!s || !hashmap_next(&s->users, it, &key, &v))
		return false;
	*user = (__u32)key;
	*n = last_hour(v, r->now_ns);
	return true;
}

bool rules_lookup_known(struct rules *r, __u32 user)
{
	struct lookup_state *s = rules_family_state(r, &rule_family_lookup);

	return s && hashmap_get(&s->users, user);
}

const struct rule_family rule_family_lookup = {
	.name = "lookup",
	.state_size = sizeof(struct lookup_state),
	.per_user = true,
	.init = lookup_init,
	.free = lookup_free,
	.on_event = { [EV_OPEN] = lookup_open,
		      [EV_CONNECT] = lookup_connect,
		      [EV_TURNS] = lookup_turns,
		      [EV_TLS] = lookup_tls,
		      [EV_EXIT] = lookup_exit },
	.on_tick = lookup_tick,
};
