// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * network_exfil: any process can upload.  A tainted process (not a CPR
 * client: sending its look-ups is its job) whose origin export holds CPR
 * numbers, sending to a destination outside `allow` and the look-up
 * endpoints (the CPR services), at least `share` percent of the bytes it
 * read from tainted files and at least `min_kib`, added up over its
 * connections, is uploading the export.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "endpoints.h"
#include "rules_int.h"

struct network_state {
	struct hashmap uploads;	   /* tgid -> bytes a tainted process sent out (uint64_t *) */
	struct endpoints *allowed; /* destinations that are no upload ("host[:port]") */
};

static void network_reconfigure(struct rules *r, void *st)
{
	struct network_state *s = st;

	endpoints_set(s->allowed, r->cfg->net_allow, r->cfg->nr_net_allow, true,
		      "network_exfil allow", r->flags & RULES_REPLAY);
}

static int network_init(struct rules *r, void *st)
{
	struct network_state *s = st;

	s->allowed = endpoints_new();
	if (!s->allowed || hashmap_init(&s->uploads, 64))
		return -ENOMEM;
	network_reconfigure(r, st);
	return 0;
}

static void network_free(struct rules *r, void *st)
{
	struct network_state *s = st;

	if (!s)
		return;
	endpoints_free(s->allowed);
	rules_users_free(&s->uploads);
}

static void network_tick(struct rules *r, void *st, uint64_t now_ns, bool all)
{
	struct network_state *s = st;

	endpoints_tick(s->allowed, now_ns);
}

static uint64_t upload_add(struct network_state *s, __u32 tgid, uint64_t bytes)
{
	uint64_t *sent = hashmap_get(&s->uploads, tgid);

	if (!sent) {
		sent = calloc(1, sizeof(*sent));
		if (!sent || hashmap_put(&s->uploads, tgid, sent, NULL)) {
			free(sent);
			return bytes;
		}
	}
	*sent += bytes;
	return *sent;
}

static void network_tcp_close(struct rules *r, void *st, const struct event *ev,
			      const struct proc *p)
{
	const struct tcp_close_event *e = ev->raw;
	const struct rules_cfg *c = r->cfg;
	struct network_state *s = st;
	__u32 cls = ev->hdr->classes | (p ? p->classes : 0);
	char addr[INET6_ADDRSTRLEN] = "", peer[80];
	uint64_t sent, need;
	struct alert a;

	if (!(cls & CLASS_TAINTED) || (cls & CLASS_CPR_CLIENT) || !p || !p->has_origin ||
	    !e->bytes_sent || !rules_origin_has_cpr(r, &p->origin))
		return;
	if (endpoints_match(s->allowed, e->family, e->daddr, e->dport) ||
	    rules_is_service(r, e->family, e->daddr, e->dport))
		return;
	sent = upload_add(s, ev->hdr->tgid, e->bytes_sent);
	need = p->tainted_read * c->net_share / 100;
	if (need < (uint64_t)c->net_min_kib * 1024)
		need = (uint64_t)c->net_min_kib * 1024;
	if (sent < need)
		return;
	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	snprintf(peer, sizeof(peer), e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, e->dport);
	rules_alert_from_hdr(&a, ev->hdr, p);
	a.bytes = sent;
	a.peer = peer;
	rules_set_origin(r, &a, &p->origin);
	snprintf(a.summary, sizeof(a.summary),
		 "%.60s sent %llu bytes to %s after reading %llu bytes of a CPR export (%.100s)",
		 rules_who(p, ev->hdr), (unsigned long long)sent, peer,
		 (unsigned long long)p->tainted_read, a.origin_path ? a.origin_path : "?");
	rules_fire(r, RULE_NETWORK_EXFIL, &a, ev->hdr->tgid);
}

static void network_exit(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	struct network_state *s = st;

	free(hashmap_del(&s->uploads, ev->hdr->tgid));
}

const struct rule_family rule_family_network = {
	.name = "network",
	.state_size = sizeof(struct network_state),
	.init = network_init,
	.reconfigure = network_reconfigure,
	.free = network_free,
	.on_event = { [EV_TCP_CLOSE] = network_tcp_close, [EV_EXIT] = network_exit },
	.on_tick = network_tick,
};
