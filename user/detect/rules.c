// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The rules' core: the family table, dispatch of events and scan results to
 * the families' hooks, suppression of repeats, and the state families share
 * (the CPR-client activity of each user).  The rules themselves are in
 * detect/rule_*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "endpoints.h"
#include "rules_int.h"

#define NO_CFG ((size_t)-1)

/*
 * Every family, in the order its hooks run for one input.  Adding a family:
 * a detect/rule_NAME.c defining rule_family_NAME, its extern in rules_int.h
 * and one line here (detect/README.md).
 */
static const struct rule_family *const families[] = {
	&rule_family_scan_refused, &rule_family_encrypted,  &rule_family_lookup,
	&rule_family_persons,	   &rule_family_cumulative, &rule_family_export,
	&rule_family_print,	   &rule_family_media,	    &rule_family_read,
	&rule_family_upload,	   &rule_family_network,    &rule_family_clipboard,
};

#define NR_FAMILIES (sizeof(families) / sizeof(families[0]))

const char *const rule_names[RULE_MAX] = {
	[RULE_BULK_EXPORT] = "bulk_export",
	[RULE_EXPORT_VOLUME] = "export_volume",
	[RULE_MESSAGING_EXFIL] = "messaging_exfil",
	[RULE_REMOVABLE_MEDIA] = "removable_media",
	[RULE_ARCHIVE_BEFORE_EXFIL] = "archive_before_exfil",
	[RULE_LOOKUP_BURST] = "lookup_burst",
	[RULE_SCAN_REFUSED] = "scan_refused",
	[RULE_CLIPBOARD_TO_MESSAGING] = "clipboard_to_messaging",
	[RULE_BULK_CLIPBOARD] = "bulk_clipboard",
	[RULE_ENCRYPTED_EXPORT] = "encrypted_export",
	[RULE_SCAN_BACKLOG] = "scan_backlog",
	[RULE_NETWORK_EXFIL] = "network_exfil",
	[RULE_PRINT_EXPORT] = "print_export",
	[RULE_PERSONS_VIEWED] = "persons_viewed",
	[RULE_CLIPBOARD_UNSEEN] = "clipboard_unseen",
};

/* Where each rule's [rules.NAME] settings live in struct rules_cfg. */
static const size_t rule_cfg_off[RULE_MAX] = {
	[RULE_BULK_EXPORT] = offsetof(struct rules_cfg, bulk_export),
	[RULE_EXPORT_VOLUME] = offsetof(struct rules_cfg, export_volume),
	[RULE_MESSAGING_EXFIL] = offsetof(struct rules_cfg, messaging_exfil),
	[RULE_REMOVABLE_MEDIA] = offsetof(struct rules_cfg, removable_media),
	[RULE_ARCHIVE_BEFORE_EXFIL] = offsetof(struct rules_cfg, archive_before_exfil),
	[RULE_LOOKUP_BURST] = offsetof(struct rules_cfg, lookup_burst),
	[RULE_SCAN_REFUSED] = NO_CFG,
	[RULE_CLIPBOARD_TO_MESSAGING] = offsetof(struct rules_cfg, clipboard_to_messaging),
	[RULE_BULK_CLIPBOARD] = offsetof(struct rules_cfg, bulk_clipboard),
	[RULE_SCAN_BACKLOG] = NO_CFG,
	[RULE_NETWORK_EXFIL] = offsetof(struct rules_cfg, network_exfil),
	[RULE_PRINT_EXPORT] = offsetof(struct rules_cfg, print_export),
	[RULE_ENCRYPTED_EXPORT] = NO_CFG,
	[RULE_PERSONS_VIEWED] = offsetof(struct rules_cfg, persons_viewed),
	[RULE_CLIPBOARD_UNSEEN] = offsetof(struct rules_cfg, clipboard_unseen),
};

struct activity {
	uint64_t last_cpr_ns; /* latest CPR-client activity */
};

struct suppression {
	uint64_t until_ns;
	uint64_t count;
	enum rule_id rule;
	unsigned int severity;
	__u32 tgid, uid, loginuid;
	char summary[256];
	char *path;
	struct file_id file;
	bool has_origin;
	struct file_id origin;
};

/* ---- shared helpers (rules_int.h) ------------------------------------------------ */

uint64_t rules_file_key(const struct file_id *id)
{
	return hashmap_hash_pair(id->dev, id->ino);
}

__u32 rules_user_of(__u32 uid, __u32 loginuid)
{
	return loginuid != (__u32)-1 ? loginuid : uid;
}

__u32 rules_user(__u32 uid, const struct proc *p)
{
	return rules_user_of(uid, p ? p->loginuid : (__u32)-1);
}

void *rules_user_state(struct hashmap *m, __u32 user, size_t size)
{
	void *u = hashmap_get(m, user);

	if (u)
		return u;
	u = calloc(1, size);
	if (!u)
		return NULL;
	if (hashmap_put(m, user, u, NULL)) {
		free(u);
		return NULL;
	}
	return u;
}

void rules_users_free(struct hashmap *m)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(m, &it, NULL, &v))
		free(v);
	hashmap_free(m);
}

bool rules_is_service(struct rules *r, __u16 family, const __u8 *addr, __u16 port)
{
	return r->services && endpoints_match(r->services, family, addr, port);
}

struct endpoints *rules_services(struct rules *r)
{
	return r->services;
}

void *rules_family_state(struct rules *r, const struct rule_family *f)
{
	size_t i;

	for (i = 0; r->state && i < NR_FAMILIES; i++)
		if (families[i] == f)
			return r->state[i];
	return NULL;
}

uint64_t rules_last_cpr_ns(struct rules *r, __u32 user)
{
	const struct activity *u = hashmap_get(&r->users, user);

	return u ? u->last_cpr_ns : 0;
}

void rules_alert_from_hdr(struct alert *a, const struct event_hdr *h, const struct proc *p)
{
	memset(a, 0, sizeof(*a));
	a->ts_ns = h->ts_ns;
	a->tgid = h->tgid;
	a->uid = h->uid;
	a->loginuid = p ? p->loginuid : (__u32)-1;
}

void rules_alert_from_scan(struct alert *a, const struct scan_request *rq)
{
	a->ts_ns = rq->ts_ns;
	a->tgid = rq->tgid;
	a->uid = rq->uid;
	a->loginuid = rq->loginuid;
	a->path = rq->path;
	a->file = rq->id;
}

const char *rules_who(const struct proc *p, const struct event_hdr *h)
{
	if (p && p->exe) {
		const char *slash = strrchr(p->exe, '/');

		return slash ? slash + 1 : p->exe;
	}
	return h->comm;
}

bool rules_origin_has_cpr(const struct rules *r, const struct file_id *origin)
{
	const struct file_info *fi = filetab_info(r->files, origin);

	return fi && fi->cpr_distinct > 0;
}

void rules_set_origin(struct rules *r, struct alert *a, const struct file_id *origin)
{
	const struct file_info *fi = filetab_info(r->files, origin);

	a->has_origin = true;
	a->origin = *origin;
	a->origin_path = filetab_export_path(r->files, origin);
	a->origin_cpr = fi ? fi->cpr_distinct : 0;
}

void rules_request_scan(struct rules *r, const struct event_hdr *h, const struct proc *p,
			const char *path, const struct file_id *id, enum scan_why why,
			__u32 export_kind, const struct file_info *fi, uint64_t written)
{
	struct scan_request rq = {
		.path = (char *)path,
		.id = *id,
		.why = why,
		.tgid = h->tgid,
		.uid = h->uid,
		.loginuid = p ? p->loginuid : (__u32)-1,
		.classes = h->classes,
		.export_kind = export_kind,
		.ts_ns = h->ts_ns,
		.bytes_written = written,
	};

	if (fi && fi->tainted) {
		rq.tainted = true;
		rq.origin = fi->origin;
	}
	if (r->ops.scan)
		r->ops.scan(r->ops.arg, &rq);
}

/* ---- suppression ------------------------------------------------------------------ */

static const struct rule_cfg *rule_cfg(const struct rules *r, enum rule_id id)
{
	static const struct rule_cfg always = { .enabled = true,
						.severity = SEV_MEDIUM,
						.suppress = 300 };
	/*
	 * Scans switched off (scan_backlog) and CPR data made unreadable on its
	 * way out (encrypted_export): as serious as what they would find.
	 */
	static const struct rule_cfg high = { .enabled = true,
					      .severity = SEV_HIGH,
					      .suppress = 300 };

	if (rule_cfg_off[id] == NO_CFG)
		return id == RULE_SCAN_BACKLOG || id == RULE_ENCRYPTED_EXPORT ? &high : &always;
	return (const struct rule_cfg *)((const char *)r->cfg + rule_cfg_off[id]);
}

static void suppression_free(struct suppression *s)
{
	if (s)
		free(s->path);
	free(s);
}

static void remember(struct rules *r, uint64_t key, enum rule_id id, const struct alert *a,
		     uint64_t until)
{
	struct suppression *s = calloc(1, sizeof(*s)), *old;

	if (!s)
		return;
	s->until_ns = until;
	s->rule = id;
	s->severity = a->severity;
	s->tgid = a->tgid;
	s->uid = a->uid;
	s->loginuid = a->loginuid;
	s->file = a->file;
	s->has_origin = a->has_origin;
	s->origin = a->origin;
	snprintf(s->summary, sizeof(s->summary), "%s", a->summary);
	s->path = a->path ? strdup(a->path) : NULL;
	if (hashmap_put(&r->suppress, key, s, (void **)&old)) {
		suppression_free(s);
		return;
	}
	suppression_free(old);
}

static void send_followup(struct rules *r, struct suppression *s)
{
	struct alert a = {
		.rule = rule_names[s->rule],
		.severity = s->severity,
		.ts_ns = r->now_ns,
		.tgid = s->tgid,
		.uid = s->uid,
		.loginuid = s->loginuid,
		.path = s->path,
		.file = s->file,
		.suppressed = s->count,
		.has_origin = s->has_origin,
		.origin = s->origin,
	};

	if (s->has_origin)
		a.origin_path = filetab_export_path(r->files, &s->origin);
	snprintf(a.summary, sizeof(a.summary), "%llu more: %.200s", (unsigned long long)s->count,
		 s->summary);
	r->ops.alert(r->ops.arg, &a);
}

/* Send the follow-ups of the windows that ended by @now_ns (all when @all). */
static void flush_suppressed(struct rules *r, uint64_t now_ns, bool all)
{
	uint64_t *keys, key;
	size_t it = 0, n = 0, i;
	void *v;

	if (now_ns > r->now_ns)
		r->now_ns = now_ns;
	keys = malloc((r->suppress.len + 1) * sizeof(*keys));
	if (!keys)
		return;
	while (hashmap_next(&r->suppress, &it, &key, &v))
		if (all || ((struct suppression *)v)->until_ns <= now_ns)
			keys[n++] = key;
	for (i = 0; i < n; i++) {
		struct suppression *s = hashmap_del(&r->suppress, keys[i]);

		if (s->count)
			send_followup(r, s);
		suppression_free(s);
	}
	free(keys);
}

void rules_fire(struct rules *r, enum rule_id id, struct alert *a, uint64_t object)
{
	const struct rule_cfg *rc = rule_cfg(r, id);
	uint64_t key = hashmap_hash_pair(hashmap_hash_pair(id, rules_user_of(a->uid, a->loginuid)),
					 object);
	struct suppression *s;

	if (!rc->enabled)
		return;
	a->rule = rule_names[id];
	if (!a->severity)
		a->severity = rc->severity;
	s = hashmap_get(&r->suppress, key);
	if (s && a->ts_ns < s->until_ns) {
		s->count++;
		r->folded[id]++;
		return;
	}
	if (s)
		flush_suppressed(r, a->ts_ns, false); /* its window is over: flush before reuse */
	r->fired[id]++;
	r->ops.alert(r->ops.arg, a);
	if (rc->suppress)
		remember(r, key, id, a, a->ts_ns + rc->suppress * NS);
}

/* ---- life cycle ---------------------------------------------------------------------- */

static void set_services(struct rules *r)
{
	endpoints_set(r->services, r->cfg->burst_endpoints, r->cfg->nr_burst_endpoints, false,
		      "lookup_burst endpoint", r->flags & RULES_REPLAY);
}

int rules_init(struct rules *r, const struct rules_cfg *cfg, struct procs *procs,
	       struct filetab *files, const struct rules_ops *ops, unsigned int flags)
{
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->procs = procs;
	r->files = files;
	r->ops = *ops;
	r->flags = flags;
	r->state = calloc(NR_FAMILIES, sizeof(*r->state));
	r->services = endpoints_new();
	if (!r->state || !r->services || hashmap_init(&r->users, 64) ||
	    hashmap_init(&r->suppress, 64))
		return -ENOMEM;
	set_services(r);
	for (i = 0; i < NR_FAMILIES; i++) {
		const struct rule_family *f = families[i];

		if (f->state_size && !(r->state[i] = calloc(1, f->state_size)))
			return -ENOMEM;
		if (f->per_user && hashmap_init(r->state[i], 64))
			return -ENOMEM;
		if (f->init && (err = f->init(r, r->state[i])))
			return err;
	}
	return 0;
}

void rules_free(struct rules *r)
{
	endpoints_free(r->services);
	r->services = NULL;
	size_t it = 0, i;
	void *v;

	for (i = 0; r->state && i < NR_FAMILIES; i++) {
		if (families[i]->free)
			families[i]->free(r, r->state[i]);
		if (families[i]->per_user && r->state[i])
			rules_users_free(r->state[i]);
		free(r->state[i]);
	}
	free(r->state);
	r->state = NULL;
	rules_users_free(&r->users);
	while (hashmap_next(&r->suppress, &it, NULL, &v))
		suppression_free(v);
	hashmap_free(&r->suppress);
}

void rules_reconfigure(struct rules *r)
{
	size_t i;

	set_services(r);
	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i]->reconfigure)
			families[i]->reconfigure(r, r->state[i]);
}

void rules_tick(struct rules *r, uint64_t now_ns, bool all)
{
	size_t i;

	if (now_ns > r->now_ns)
		r->now_ns = now_ns;
	endpoints_tick(r->services, now_ns);
	/* what the families raise now goes out before the follow-ups of older alerts */
	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i]->on_tick)
			families[i]->on_tick(r, r->state[i], now_ns, all);
	flush_suppressed(r, now_ns, all);
}

/* ---- dispatch ------------------------------------------------------------------------ */

void rules_note_cpr(struct rules *r, const struct event_hdr *h, const struct proc *p)
{
	struct activity *u = rules_user_state(&r->users, rules_user(h->uid, p), sizeof(*u));

	if (u)
		u->last_cpr_ns = h->ts_ns;
}

/* A CPR client ran, opened a file or connected: what messaging_exfil's window counts from. */
static void note_cpr_activity(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct event_hdr *h = ev->hdr;

	if (!(h->classes & CLASS_CPR_CLIENT))
		return;
	if (h->type == EV_OPEN && ((const struct open_event *)ev->raw)->ret < 0)
		return;
	if (h->type == EV_CONNECT) {
		const struct connect_event *e = ev->raw;

		if (e->ret && e->ret != -EINPROGRESS)
			return;
	} else if (h->type != EV_EXEC && h->type != EV_OPEN) {
		return;
	}
	rules_note_cpr(r, h, p);
}

void rules_on_event(struct rules *r, const struct event *ev, const struct proc *p)
{
	unsigned int type = ev->hdr->type;
	size_t i;

	if (ev->hdr->ts_ns > r->now_ns)
		r->now_ns = ev->hdr->ts_ns;
	if (type >= EV_TYPE_MAX)
		return;
	note_cpr_activity(r, ev, p);
	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i]->on_event[type])
			families[i]->on_event[type](r, r->state[i], ev, p);
}

/* The families' EV_TLS hooks: the lookup family takes writes, the persons family reads. */
unsigned int rules_on_tls(struct rules *r, const struct event *ev, const struct proc *p)
{
	r->tls_cpr = 0;
	if (ev->args_len && (ev->hdr->classes & CLASS_CPR_CLIENT))
		rules_on_event(r, ev, p);
	return r->tls_cpr;
}

void rules_on_scan(struct rules *r, const struct scan_request *rq, const struct scan_result *res)
{
	/* a file gone or replaced before the scan is no finding; one we may not read is */
	bool gone = res->reason == SCAN_R_IO && res->err != EACCES && res->err != EPERM;
	struct file_info *fi;
	bool self_origin;
	size_t i;

	if (rq->ts_ns > r->now_ns)
		r->now_ns = rq->ts_ns;
	for (i = 0; res->status != SCAN_OK && !gone && i < NR_FAMILIES; i++)
		if (families[i]->on_scan_problem)
			families[i]->on_scan_problem(r, r->state[i], rq, res);
	if ((res->status == SCAN_ERROR && res->reason == SCAN_R_IO) || res->reason == SCAN_R_PATH)
		return; /* nothing was read: nothing known */
	/* a written file holding CPR numbers is an export in its own right: follow its copies */
	self_origin = rq->why == SCAN_WHY_WRITTEN && res->cpr.distinct && !rq->tainted;
	fi = filetab_put(r->files, &rq->id, rq->path, rq->export_kind,
			 rq->tainted ? &rq->origin :
			 self_origin ? &rq->id :
				       NULL);
	if (fi)
		fi->cpr_distinct = res->cpr.distinct;
	if (self_origin && r->ops.taint)
		r->ops.taint(r->ops.arg, &rq->id, &rq->id, rq->tgid);
	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i]->on_scan)
			families[i]->on_scan(r, r->state[i], rq, res);
}

void rules_on_scan_dropped(struct rules *r, const struct scan_request *rq, unsigned int queued)
{
	size_t i;

	if (rq->ts_ns > r->now_ns)
		r->now_ns = rq->ts_ns;
	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i]->on_scan_dropped)
			families[i]->on_scan_dropped(r, r->state[i], rq, queued);
}
