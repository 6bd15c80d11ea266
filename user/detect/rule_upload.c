// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * messaging_exfil by volume: a messaging app, browser or sync tool sending
 * more than tcp_mib within `window` of the user's CPR-client activity (the
 * core keeps that time, rules_last_cpr_ns()).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include "rules_int.h"

struct upload_user {
	uint64_t msg_bytes; /* app upload bytes in the current run */
	uint64_t msg_since; /* time of the last counted upload */
};

struct upload_state {
	struct hashmap users; /* user -> struct upload_user (per_user) */
};

static void upload_tcp_close(struct rules *r, void *st, const struct event *ev,
			     const struct proc *p)
{
	const struct tcp_close_event *e = ev->raw;
	const struct rules_cfg *c = r->cfg;
	struct upload_state *s = st;
	__u32 user = rules_user(ev->hdr->uid, p);
	uint64_t last_cpr = rules_last_cpr_ns(r, user), now = ev->hdr->ts_ns;
	char addr[INET6_ADDRSTRLEN] = "", peer[80];
	struct upload_user *u;
	struct alert a;

	if (!(ev->hdr->classes & APP_CLASSES) || !last_cpr || now > last_cpr + c->msg_window * NS)
		return;
	u = rules_user_state(&s->users, user, sizeof(*u));
	if (!u)
		return;
	/*
	 * Uploads made within `window` of CPR-client activity add up while
	 * they keep coming; a pause longer than the window starts a new count.
	 * More client use in between extends eligibility, it never resets.
	 */
	if (!u->msg_since || now > u->msg_since + c->msg_window * NS)
		u->msg_bytes = 0;
	u->msg_since = now; /* the last counted upload */
	u->msg_bytes += e->bytes_sent;
	if (u->msg_bytes <= (uint64_t)c->msg_tcp_mib * MIB) /* "more than" tcp_mib */
		return;
	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	snprintf(peer, sizeof(peer), "%s:%u", addr, e->dport);
	rules_alert_from_hdr(&a, ev->hdr, p);
	a.bytes = u->msg_bytes;
	a.peer = peer;
	snprintf(a.summary, sizeof(a.summary),
		 "%.60s sent %llu MiB within %u s after CPR-client activity (latest to %s)",
		 rules_who(p, ev->hdr), (unsigned long long)(u->msg_bytes / MIB), c->msg_window,
		 peer);
	rules_fire(r, RULE_MESSAGING_EXFIL, &a, 1);
}

const struct rule_family rule_family_upload = {
	.name = "upload",
	.state_size = sizeof(struct upload_state),
	.per_user = true,
	.on_event = { [EV_TCP_CLOSE] = upload_tcp_close },
};
