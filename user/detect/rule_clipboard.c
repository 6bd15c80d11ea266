// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The clipboard rules: clipboard_to_messaging (what the CPR lineage put on
 * the clipboard pasted into a messaging app, browser or sync tool) and
 * bulk_clipboard (many CPR numbers in one transfer, by anyone).
 *
 * An X11 copy only takes ownership; the content moves at each paste: the
 * requester's REQUEST, the owner's SEND of the content, the requester's
 * READ, within milliseconds.  So clipboard_to_messaging fires on the owner's
 * SEND that answers an app's pending REQUEST, or on an app's READ right after
 * a lineage SEND that found no pending request.  Toolkit copies (set_text)
 * carry the content at copy time; on Wayland the content never shows (it
 * goes through a pipe), so there the rule can fire only with require_cpr=no.
 * Offers are remembered per (owner, selection) for `window` seconds; a take
 * by another tracked process for the same selection ends them.
 * clipboard_unseen: a lineage process wrote to its X server in a way the
 * kernel's wire parser could not read (bpf/x11_handlers.h).
 */
#include <stdio.h>
#include <string.h>
#include "event/clip.h"
#include "rules_int.h"

#define CLIP_OFFERS 64
#define CLIP_REQUESTS 64
#define CLIP_PAIR_NS (10 * NS)	   /* request, the owner's answer, the read: one paste */
#define CLIP_TEXT_TAKE_NS (2 * NS) /* a toolkit's set_text, then its own take */

struct clip_offer {
	uint64_t ts_take;    /* 0: free slot */
	uint64_t ts_content; /* latest content (set_text, send), 0: none seen */
	uint64_t cpr;	     /* distinct CPR numbers in it */
	uint64_t bytes;
	__u64 selection;
	__u32 tgid, user, api;
	bool text; /* content from set_text: no send will follow */
	char exe[256];
};

struct clip_request {
	uint64_t ts; /* 0: free slot */
	__u64 selection;
	__u32 tgid, uid, loginuid, user;
	__u32 op, api;
	__u32 fired_owner; /* the owner it alerted about, 0: none yet */
};

struct clip_state {
	struct clip_offer offers[CLIP_OFFERS];
	struct clip_request reqs[CLIP_REQUESTS];
	unsigned int next_req;
};

/*
 * Same selection: equal atoms, or one side unknown (0: a toolkit's or
 * Wayland's clipboard) and the other not PRIMARY, which is a separate
 * selection everywhere.
 */
static bool sel_same(__u64 a, __u64 b)
{
	return a == b || (!a && b != X_ATOM_PRIMARY) || (!b && a != X_ATOM_PRIMARY);
}

static bool clip_qualifies(const struct rules *r, uint64_t cpr, uint64_t bytes)
{
	return cpr > 0 || (!r->cfg->clip_require_cpr && bytes > 0);
}

static bool offer_live(const struct rules *r, const struct clip_offer *o, uint64_t now)
{
	uint64_t last = o->ts_content > o->ts_take ? o->ts_content : o->ts_take;

	return o->ts_take && now <= last + (uint64_t)r->cfg->clip_window * NS;
}

/* The slot of (@tgid, @sel): its own, a free one, or the oldest. */
static struct clip_offer *offer_slot(struct clip_state *cs, __u32 tgid, __u64 sel)
{
	struct clip_offer *o, *pick = NULL;
	int i;

	for (i = 0; i < CLIP_OFFERS; i++) {
		o = &cs->offers[i];
		if (o->ts_take && o->tgid == tgid && o->selection == sel)
			return o;
		if (!pick || !o->ts_take || (pick->ts_take && o->ts_take < pick->ts_take))
			pick = o;
	}
	memset(pick, 0, sizeof(*pick));
	return pick;
}

static struct clip_offer *offer_new(struct rules *r, struct clip_state *cs,
				    const struct event_hdr *h, const struct proc *p, __u32 user,
				    __u64 sel, __u32 api)
{
	struct clip_offer *o = offer_slot(cs, h->tgid, sel);

	if (!o->ts_take) {
		o->tgid = h->tgid;
		o->selection = sel;
		snprintf(o->exe, sizeof(o->exe), "%s", p && p->exe ? p->exe : h->comm);
	}
	o->ts_take = h->ts_ns;
	o->user = user;
	o->api = api;
	return o;
}

/* The latest live offer of @tgid or of an ancestor (xclip serves from a forked child). */
static struct clip_offer *offer_of_chain(struct rules *r, struct clip_state *cs, __u32 tgid,
					 uint64_t now)
{
	const struct proc *chain[PROC_CHAIN_MAX];
	struct clip_offer *best = NULL;
	int n = procs_chain(r->procs, tgid, chain, PROC_CHAIN_MAX), i, k;

	for (k = 0; k < (n ? n : 1); k++) {
		__u32 t = n ? chain[k]->tgid : tgid;

		for (i = 0; i < CLIP_OFFERS; i++) {
			struct clip_offer *o = &cs->offers[i];

			if (o->tgid == t && offer_live(r, o, now) &&
			    (!best || o->ts_take > best->ts_take))
				best = o;
		}
		if (best)
			return best;
	}
	return NULL;
}

/* Another process took @sel: what the lineage offered there is gone. */
static void offers_drop(struct rules *r, struct clip_state *cs, __u32 user, __u64 sel, __u32 except)
{
	int i;

	for (i = 0; i < CLIP_OFFERS; i++) {
		struct clip_offer *o = &cs->offers[i];

		if (o->ts_take && o->user == user && o->tgid != except &&
		    sel_same(o->selection, sel))
			memset(o, 0, sizeof(*o));
	}
}

static void clip_alert_paste(struct rules *r, const struct clip_request *q, __u32 owner,
			     const char *owner_exe, __u64 sel, uint64_t cpr, uint64_t bytes,
			     uint64_t now)
{
	const struct proc *p = procs_get(r->procs, q->tgid);
	struct cpr_stats st = { .distinct = cpr };
	struct alert_clipboard c = {
		.owner_pid = owner,
		.owner_exe = owner_exe,
		.selection = sel,
		.op = clip_op_name(q->op),
		.api = clip_api_name(q->api),
	};
	struct alert a = {
		.ts_ns = now,
		.tgid = q->tgid,
		.uid = q->uid,
		.loginuid = q->loginuid,
		.cpr = &st,
		.bytes = bytes,
		.clipboard = &c,
	};
	const char *os = owner_exe ? strrchr(owner_exe, '/') : NULL;
	const char *rs = p && p->exe ? strrchr(p->exe, '/') : NULL;

	snprintf(a.summary, sizeof(a.summary),
		 "%.60s (pid %u) pasted what %.60s (pid %u) put on the clipboard: "
		 "%llu CPR numbers, %llu bytes",
		 rs	     ? rs + 1 :
		 p && p->exe ? p->exe :
			       "an app",
		 q->tgid,
		 os	   ? os + 1 :
		 owner_exe ? owner_exe :
			     "?",
		 owner, (unsigned long long)cpr, (unsigned long long)bytes);
	rules_fire(r, RULE_CLIPBOARD_TO_MESSAGING, &a, hashmap_hash_pair(owner, q->tgid));
}

/* Every recent request of @tgid (TARGETS, then the text: one paste) now reported. */
static void requests_fired(struct rules *r, struct clip_state *cs, __u32 tgid, __u32 owner,
			   uint64_t now)
{
	int i;

	for (i = 0; i < CLIP_REQUESTS; i++) {
		struct clip_request *q = &cs->reqs[i];

		if (q->ts && q->tgid == tgid && now <= q->ts + CLIP_PAIR_NS)
			q->fired_owner = owner;
	}
}

static bool recently_fired(struct rules *r, struct clip_state *cs, __u32 tgid, uint64_t now)
{
	int i;

	for (i = 0; i < CLIP_REQUESTS; i++) {
		const struct clip_request *q = &cs->reqs[i];

		if (q->ts && q->tgid == tgid && q->fired_owner && now <= q->ts + CLIP_PAIR_NS)
			return true;
	}
	return false;
}

/* A lineage process sent content: the answer to the pending pastes of apps. */
static void clip_sent(struct rules *r, struct clip_state *cs, const struct event *ev,
		      const struct proc *p, __u32 user)
{
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	uint64_t cpr = clip_cpr_distinct(e), now = h->ts_ns;
	struct clip_offer *o = offer_of_chain(r, cs, h->tgid, now);
	int i;

	if (!o) /* took the selection before we started */
		o = offer_new(r, cs, h, p, user, 0, e->api);
	o->ts_content = now;
	o->cpr = cpr;
	o->bytes = e->total_len;
	o->text = false;
	if (!clip_qualifies(r, cpr, e->total_len))
		return;
	for (i = 0; i < CLIP_REQUESTS; i++) {
		struct clip_request *q = &cs->reqs[i];

		if (!q->ts || q->fired_owner || q->user != user || q->tgid == h->tgid ||
		    now > q->ts + CLIP_PAIR_NS || !sel_same(q->selection, o->selection) ||
		    q->ts > o->ts_take + (uint64_t)r->cfg->clip_window * NS)
			continue;
		clip_alert_paste(r, q, h->tgid, p && p->exe ? p->exe : o->exe, o->selection, cpr,
				 e->total_len, now);
		requests_fired(r, cs, q->tgid, h->tgid, now);
	}
}

/* An app asked for (REQUEST) or read (READ) a selection. */
static void clip_pasted(struct rules *r, struct clip_state *cs, const struct event *ev,
			const struct proc *p, __u32 user)
{
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	uint64_t now = h->ts_ns, cpr = clip_cpr_distinct(e);
	struct clip_request q = {
		.ts = now,
		.selection = e->selection,
		.tgid = h->tgid,
		.uid = h->uid,
		.loginuid = p ? p->loginuid : (__u32)-1,
		.user = user,
		.op = e->op,
		.api = e->api,
	};
	struct clip_offer *best = NULL;
	int i;

	if (recently_fired(r, cs, h->tgid, now) || (e->op == CLIP_READ && !e->total_len))
		return; /* the read of a paste already reported, or nothing read */
	if (e->op == CLIP_REQUEST)
		cs->reqs[cs->next_req++ % CLIP_REQUESTS] = q;
	for (i = 0; i < CLIP_OFFERS; i++) {
		struct clip_offer *o = &cs->offers[i];
		bool ok;

		if (!offer_live(r, o, now) || o->user != user || o->tgid == h->tgid ||
		    !sel_same(o->selection, e->selection))
			continue;
		if (e->op == CLIP_REQUEST) /* X11 content comes with the owner's send */
			ok = (o->text && clip_qualifies(r, o->cpr, o->bytes)) ||
			     (o->api == CLIP_API_WAYLAND && !r->cfg->clip_require_cpr);
		else /* what a lineage send just answered */
			ok = o->ts_content && now <= o->ts_content + CLIP_PAIR_NS &&
			     clip_qualifies(r, cpr, e->total_len);
		if (ok && (!best || o->ts_take > best->ts_take))
			best = o;
	}
	if (!best)
		return;
	if (e->op == CLIP_READ) { /* what was read is what counts */
		best->cpr = cpr;
		best->bytes = e->total_len;
	}
	clip_alert_paste(r, &q, best->tgid, best->exe, best->selection, best->cpr, best->bytes,
			 now);
	if (e->op == CLIP_REQUEST)
		requests_fired(r, cs, h->tgid, best->tgid, now);
}

static void bulk_clipboard(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	struct cpr_stats st = { .distinct = clip_cpr_distinct(e) };
	struct alert_clipboard c = {
		.owner_pid = ev->hdr->tgid,
		.owner_exe = p && p->exe ? p->exe : ev->hdr->comm,
		.selection = e->selection,
		.op = clip_op_name(e->op),
		.api = clip_api_name(e->api),
	};
	struct alert a;

	rules_alert_from_hdr(&a, ev->hdr, p);
	a.cpr = &st;
	a.bytes = e->total_len;
	a.clipboard = &c;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu CPR numbers in one clipboard transfer by %.80s (%s through %s, %llu bytes)",
		 (unsigned long long)st.distinct, rules_who(p, ev->hdr), clip_op_name(e->op),
		 clip_api_name(e->api), (unsigned long long)e->total_len);
	rules_fire(r, RULE_BULK_CLIPBOARD, &a, ev->hdr->tgid);
}

static void clipboard_unseen(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	struct alert_clipboard c = {
		.owner_pid = ev->hdr->tgid,
		.owner_exe = p && p->exe ? p->exe : ev->hdr->comm,
		.op = clip_op_name(e->op),
		.api = clip_api_name(e->api),
	};
	struct alert a;

	rules_alert_from_hdr(&a, ev->hdr, p);
	a.bytes = e->total_len;
	a.clipboard = &c;
	snprintf(a.summary, sizeof(a.summary),
		 "%.80s wrote %llu bytes to its X server in a way cprwatch cannot read "
		 "(sendfile, splice, io_uring or a flood): its clipboard traffic is hidden",
		 rules_who(p, ev->hdr), (unsigned long long)e->total_len);
	rules_fire(r, RULE_CLIPBOARD_UNSEEN, &a, ev->hdr->tgid);
}

static void clipboard_event(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	struct clip_state *cs = st;
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	__u32 user = rules_user(h->uid, p);
	bool lineage = h->classes & LINEAGE_CLASSES;
	uint64_t cpr = clip_cpr_distinct(e);
	struct clip_offer *o;

	if ((e->op == CLIP_SEND || e->op == CLIP_SET_TEXT) && cpr &&
	    cpr >= r->cfg->clip_bulk_min_cpr)
		bulk_clipboard(r, ev, p);
	switch (e->op) {
	case CLIP_TAKE:
	case CLIP_SET_TEXT:
		offers_drop(r, cs, user, e->selection, h->tgid); /* the selection moved */
		if (!lineage)
			break;
		o = offer_new(r, cs, h, p, user, e->selection, e->api);
		if (e->op == CLIP_SET_TEXT) {
			o->ts_content = h->ts_ns;
			o->cpr = cpr;
			o->bytes = e->total_len;
			o->text = true;
		} else if (o->ts_content && h->ts_ns > o->ts_content + CLIP_TEXT_TAKE_NS) {
			o->ts_content = o->cpr = o->bytes = 0; /* a new copy */
			o->text = false;
		}
		break;
	case CLIP_SEND:
		if (lineage)
			clip_sent(r, cs, ev, p, user);
		break;
	case CLIP_REQUEST:
	case CLIP_READ:
		if (h->classes & APP_CLASSES)
			clip_pasted(r, cs, ev, p, user);
		break;
	case CLIP_UNSEEN:
		if (lineage)
			clipboard_unseen(r, ev, p);
		break;
	}
}

const struct rule_family rule_family_clipboard = {
	.name = "clipboard",
	.state_size = sizeof(struct clip_state),
	.on_event = { [EV_CLIPBOARD] = clipboard_event },
};
