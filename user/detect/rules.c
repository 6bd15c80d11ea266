// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "agent/clipboard.h"
#include "lib/log.h"
#include "cumulative.h"
#include "rules.h"

#define NS 1000000000ULL
#define MIB (1024ULL * 1024ULL)
#define VOL_MAX 4096		/* exports remembered per user for export_volume */
#define EINPROGRESS_NEG (-115)
#define APP_CLASSES (CLASS_MESSAGING | CLASS_BROWSER | CLASS_SYNC)
#define LINEAGE_CLASSES (CLASS_CPR_CLIENT | CLASS_TAINTED)
/* programs whose opens of CPR data are themselves the finding */
#define READER_CLASSES (APP_CLASSES | CLASS_ARCHIVER | CLASS_PRINTER)
#define CUM_SETTLE_NS (5 * NS)	/* a user's total is reported once it stops growing this long */
#define CUM_ALERT_FILES 64

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
};

struct vol_entry {
	uint64_t ts;
	uint64_t bytes;
};

struct user_state {
	__u32 user;
	uint64_t last_cpr_ns;		/* latest CPR-client activity */
	uint64_t msg_bytes;		/* app upload bytes in the current run */
	uint64_t msg_since;		/* time of the last counted upload */
	struct vol_entry vol[VOL_MAX];	/* ring of exports in the volume window */
	unsigned int vol_head, vol_len;
	uint64_t vol_bytes;		/* sum of the ring, kept as it changes */
	uint64_t minute_count[60];	/* look-ups per minute of the last hour */
	uint64_t minute_of[60];		/* which absolute minute each slot holds */
	uint64_t first_minute;
	uint64_t hist_lookups;		/* look-ups that left the hour window */
	uint64_t hist_first;		/* first minute of that history */
	struct cumulative *cum;		/* what left, added up (bulk_export); NULL until some did */
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

static struct clip_state *clip_state_new(void);

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

static uint64_t file_key(const struct file_id *id)
{
	return hash_pair(id->dev, id->ino);
}

int rules_init(struct rules *r, const struct rules_cfg *cfg, struct procs *procs,
	       struct filetab *files, const struct rules_ops *ops, int64_t clock_offset)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->procs = procs;
	r->files = files;
	r->ops = *ops;
	r->clock_offset = clock_offset;
	if (hashmap_init(&r->users, 64) || hashmap_init(&r->suppress, 64) ||
	    hashmap_init(&r->uploads, 64))
		return -ENOMEM;
	rules_reconfigure(r);
	r->clip = clip_state_new();
	if (!r->clip)
		return -ENOMEM;
	return 0;
}

static void free_values(struct hashmap *m)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(m, &it, NULL, &v))
		free(v);
	hashmap_free(m);
}

static void free_all(struct hashmap *m, bool supp)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(m, &it, NULL, &v)) {
		if (supp) {
			free(((struct suppression *)v)->path);
		} else if (((struct user_state *)v)->cum) {
			cumulative_free(((struct user_state *)v)->cum);
			free(((struct user_state *)v)->cum);
		}
		free(v);
	}
	hashmap_free(m);
}

void rules_free(struct rules *r)
{
	free(r->endpoints);
	r->endpoints = NULL;
	free(r->allowed);
	r->allowed = NULL;
	free_all(&r->users, false);
	free_values(&r->uploads);
	free_all(&r->suppress, true);
	free(r->clip);
	r->clip = NULL;
}

static __u32 user_of(__u32 uid, __u32 loginuid)
{
	return loginuid != (__u32)-1 ? loginuid : uid;
}

static struct user_state *user_get(struct rules *r, __u32 user)
{
	struct user_state *u = hashmap_get(&r->users, user);

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->user = user;
	if (hashmap_put(&r->users, user, u, NULL)) {
		free(u);
		return NULL;
	}
	return u;
}

static const struct rule_cfg *rule_cfg(const struct rules *r, enum rule_id id)
{
	static const struct rule_cfg always = { .enabled = true, .severity = SEV_MEDIUM,
						.suppress = 300 };
	/* scans switched off, for a user or all: as serious as what they would find */
	static const struct rule_cfg backlog = { .enabled = true, .severity = SEV_HIGH,
						 .suppress = 300 };
	static const struct rule_cfg encrypted = { .enabled = true, .severity = SEV_HIGH,
						   .suppress = 300 };

	switch (id) {
	case RULE_BULK_EXPORT:
		return &r->cfg->bulk_export;
	case RULE_EXPORT_VOLUME:
		return &r->cfg->export_volume;
	case RULE_MESSAGING_EXFIL:
		return &r->cfg->messaging_exfil;
	case RULE_REMOVABLE_MEDIA:
		return &r->cfg->removable_media;
	case RULE_ARCHIVE_BEFORE_EXFIL:
		return &r->cfg->archive_before_exfil;
	case RULE_LOOKUP_BURST:
		return &r->cfg->lookup_burst;
	case RULE_CLIPBOARD_TO_MESSAGING:
		return &r->cfg->clipboard_to_messaging;
	case RULE_BULK_CLIPBOARD:
		return &r->cfg->bulk_clipboard;
	case RULE_NETWORK_EXFIL:
		return &r->cfg->network_exfil;
	case RULE_PRINT_EXPORT:
		return &r->cfg->print_export;
	case RULE_SCAN_BACKLOG:
		return &backlog;
	case RULE_ENCRYPTED_EXPORT:
		return &encrypted;
	default:
		return &always;
	}
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
		free(s->path);
		free(s);
		return;
	}
	if (old) {
		free(old->path);
		free(old);
	}
}

/*
 * Send @a unless the same rule fired for the same user and object within
 * its suppression window; then only count it, for the follow-up.
 */
static void fire(struct rules *r, enum rule_id id, struct alert *a, uint64_t object)
{
	const struct rule_cfg *rc = rule_cfg(r, id);
	uint64_t key = hash_pair(hash_pair(id, user_of(a->uid, a->loginuid)), object);
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
		rules_tick(r, a->ts_ns, false);	/* its window is over: flush before reuse */
	r->fired[id]++;
	r->ops.alert(r->ops.arg, a);
	if (rc->suppress)
		remember(r, key, id, a, a->ts_ns + rc->suppress * NS);
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
	snprintf(a.summary, sizeof(a.summary), "%llu more: %.200s",
		 (unsigned long long)s->count, s->summary);
	r->ops.alert(r->ops.arg, &a);
}

static void cumulative_check(struct rules *r, struct user_state *u, uint64_t now_ns, bool settled);

void rules_tick(struct rules *r, uint64_t now_ns, bool all)
{
	uint64_t *keys, key;
	size_t it = 0, n = 0, i;
	void *v;

	if (now_ns > r->now_ns)
		r->now_ns = now_ns;
	while (hashmap_next(&r->users, &it, NULL, &v))
		if (((struct user_state *)v)->cum)
			cumulative_check(r, v, now_ns, all);
	it = 0;
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
		free(s->path);
		free(s);
	}
	free(keys);
}

static void alert_from_hdr(struct alert *a, const struct event_hdr *h, const struct proc *p)
{
	memset(a, 0, sizeof(*a));
	a->ts_ns = h->ts_ns;
	a->tgid = h->tgid;
	a->uid = h->uid;
	a->loginuid = p ? p->loginuid : (__u32)-1;
}

static const char *who(const struct proc *p, const struct event_hdr *h)
{
	if (p && p->exe) {
		const char *slash = strrchr(p->exe, '/');

		return slash ? slash + 1 : p->exe;
	}
	return h->comm;
}

/* ---- scans -------------------------------------------------------------------- */

/*
 * A user document: something a person put there, not an app's own data,
 * cache or runtime file.  Hidden directories (.config, .cache, .mozilla)
 * hold app data; system trees hold no documents.
 */
static bool is_user_document(const char *path)
{
	static const char *const roots[] = { "/home/", "/root/", "/media/", "/run/media/", "/mnt/",
					     "/tmp/", "/srv/", NULL };
	int i;

	for (i = 0; roots[i]; i++)
		if (!strncmp(path, roots[i], strlen(roots[i])))
			break;
	return roots[i] && !strstr(path, "/.");
}

static void request_scan(struct rules *r, const struct event_hdr *h, const struct proc *p,
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

/* Origins a scan found CPR numbers in (first export of a lineage). */
static bool origin_has_cpr(const struct rules *r, const struct file_id *origin)
{
	const struct file_info *fi = filetab_info(r->files, origin);

	return fi && fi->cpr_distinct > 0;
}

static void set_origin(struct rules *r, struct alert *a, const struct file_id *origin)
{
	const struct file_info *fi = filetab_info(r->files, origin);

	a->has_origin = true;
	a->origin = *origin;
	a->origin_path = filetab_export_path(r->files, origin);
	a->origin_cpr = fi ? fi->cpr_distinct : 0;
}

static void scan_problem(struct rules *r, const struct scan_request *rq,
			 const struct scan_result *res)
{
	struct alert a = {
		.ts_ns = rq->ts_ns, .tgid = rq->tgid, .uid = rq->uid, .loginuid = rq->loginuid,
		.path = rq->path, .file = rq->id, .cpr = &res->cpr,
		.scan_problem = res->msg,
	};

	snprintf(a.summary, sizeof(a.summary), "could not fully scan %.150s: %s (%s)", rq->path,
		 scan_status_str(res->status), scan_reason_str(res->reason));
	fire(r, RULE_SCAN_REFUSED, &a, file_key(&rq->id));
}

void rules_on_scan_dropped(struct rules *r, const struct scan_request *rq, unsigned int queued)
{
	struct alert a = {
		.ts_ns = rq->ts_ns, .tgid = rq->tgid, .uid = rq->uid, .loginuid = rq->loginuid,
		.path = rq->path, .file = rq->id,
		.scan_problem = "scan queue full: not scanned",
	};

	snprintf(a.summary, sizeof(a.summary),
		 "scan of %.150s dropped: %u scans queued, this user's share or the queue is full",
		 rq->path, queued);
	/* one per user and window; the follow-up counts the rest */
	fire(r, RULE_SCAN_BACKLOG, &a, 0);
}

/* Which rule a reader's open of CPR data raises: messaging first, then print, then archive. */
static enum rule_id reader_rule(__u32 classes)
{
	if (classes & APP_CLASSES)
		return RULE_MESSAGING_EXFIL;
	if (classes & CLASS_PRINTER)
		return RULE_PRINT_EXPORT;
	return RULE_ARCHIVE_BEFORE_EXFIL;
}

static const char *reader_verb(enum rule_id id)
{
	return id == RULE_PRINT_EXPORT ? "printed" : id == RULE_ARCHIVE_BEFORE_EXFIL ? "archived" :
									  "opened";
}

static uint64_t reader_min_cpr(const struct rules *r, enum rule_id id)
{
	return id == RULE_MESSAGING_EXFIL ? r->cfg->msg_min_cpr :
	       id == RULE_PRINT_EXPORT ? r->cfg->print_min_cpr : 1;
}

/* Printing is an export: a file the print system spooled (CUPS writes each job's documents there). */
static bool in_print_spool(const struct rules *r, const char *path)
{
	static const char *const def = "/var/spool/cups/";
	size_t i, n;

	if (!r->cfg->nr_print_spool)
		return !strncmp(path, def, strlen(def));
	for (i = 0; i < r->cfg->nr_print_spool; i++) {
		n = strlen(r->cfg->print_spool[i]);
		if (!strncmp(path, r->cfg->print_spool[i], n) && (path[n] == '/' || !path[n] ||
								 r->cfg->print_spool[i][n - 1] == '/'))
			return true;
	}
	return false;
}

/*
 * An encrypted archive (or document) written by a process holding CPR data,
 * or descending from a file that holds some: the data was made unreadable on
 * its way out, which is what hiding an export looks like.
 */
static void encrypted_written(struct rules *r, const struct scan_request *rq)
{
	struct alert a = {
		.ts_ns = rq->ts_ns, .tgid = rq->tgid, .uid = rq->uid, .loginuid = rq->loginuid,
		.path = rq->path, .file = rq->id, .scan_problem = "encrypted",
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);

	if (rq->why != SCAN_WHY_WRITTEN || !(rq->tainted || (rq->classes & LINEAGE_CLASSES)))
		return;
	if (rq->tainted)
		set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary), "encrypted file %.150s written by %.80s from CPR data",
		 rq->path, p && p->exe ? p->exe : "a process");
	fire(r, RULE_ENCRYPTED_EXPORT, &a, file_key(&rq->id));
}

static void written_scanned(struct rules *r, const struct scan_request *rq,
			    const struct scan_result *res)
{
	const struct rules_cfg *c = r->cfg;
	uint64_t n = res->cpr.distinct;
	struct alert a = {
		.ts_ns = rq->ts_ns, .tgid = rq->tgid, .uid = rq->uid, .loginuid = rq->loginuid,
		.path = rq->path, .file = rq->id, .cpr = &res->cpr, .bytes = rq->bytes_written,
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);
	const char *by = p && p->exe ? p->exe : "unknown process";

	if (rq->tainted)
		set_origin(r, &a, &rq->origin);
	if (n >= c->bulk_high) {
		if (n >= c->bulk_critical)
			a.severity = SEV_CRITICAL;
		snprintf(a.summary, sizeof(a.summary), "%llu distinct CPR numbers written to %.120s by %.80s",
			 (unsigned long long)n, rq->path, by);
		fire(r, RULE_BULK_EXPORT, &a, file_key(&rq->id));
		a.severity = 0;
	}
	if (n && n >= c->print_min_cpr && in_print_spool(r, rq->path)) {
		snprintf(a.summary, sizeof(a.summary), "%llu CPR numbers in a print job: %.150s",
			 (unsigned long long)n, rq->path);
		fire(r, RULE_PRINT_EXPORT, &a, file_key(&rq->id));
	}
	/* a tainted copy of a known CPR export was reported at close already */
	if ((rq->export_kind == EXPORT_REMOVABLE || rq->export_kind == EXPORT_NETWORK) &&
	    n >= c->removable_min_cpr && n &&
	    !(rq->tainted && !same_file(&rq->origin, &rq->id) && origin_has_cpr(r, &rq->origin))) {
		snprintf(a.summary, sizeof(a.summary), "%llu CPR numbers written to %s media: %.150s",
			 (unsigned long long)n,
			 rq->export_kind == EXPORT_REMOVABLE ? "removable" : "network", rq->path);
		fire(r, RULE_REMOVABLE_MEDIA, &a, file_key(&rq->id));
	}
}

static void app_read_scanned(struct rules *r, const struct scan_request *rq,
			     const struct scan_result *res)
{
	struct alert a = {
		.ts_ns = rq->ts_ns, .tgid = rq->tgid, .uid = rq->uid, .loginuid = rq->loginuid,
		.path = rq->path, .file = rq->id, .cpr = &res->cpr,
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);
	enum rule_id id = reader_rule(rq->classes);

	if (!res->cpr.distinct || res->cpr.distinct < reader_min_cpr(r, id))
		return;
	if (rq->tainted)
		set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary), "%.60s %s %.150s holding %llu CPR numbers",
		 p && p->exe ? p->exe : "an app", reader_verb(id), rq->path,
		 (unsigned long long)res->cpr.distinct);
	/* the scan was asked for by a messaging app, an archiver or a print client */
	fire(r, id, &a, file_key(&rq->id));
}

/*
 * Cumulative exports.  The people in files that leave (written to an export
 * path, removable media or a share, archived, opened by a messaging or upload
 * app) add up per login user over `window`; files at or above `high` raise
 * their own bulk_export and are not added, so the total is what a per-file
 * count cannot see: the same export split into pieces, or many small ones.
 * The alert waits until the total stops growing for CUM_SETTLE_NS (a split
 * writes its pieces within moments) and names the files; it fires once per
 * level (high, critical) while the total stays at that level.
 */
static bool scan_left(const struct scan_request *rq)
{
	if (rq->why == SCAN_WHY_WRITTEN)
		return rq->export_kind || (rq->classes & CLASS_ARCHIVER);
	return rq->classes & (APP_CLASSES | CLASS_PRINTER);
}

static void cumulative_alert(struct rules *r, struct user_state *u, uint32_t total,
			     unsigned int level, uint64_t now_ns)
{
	struct cumulative *c = u->cum;
	const char *files[CUM_ALERT_FILES];
	struct cpr_stats st = { .distinct = total,
				.distinct_lower_bound = person_set_saturated(&c->persons, now_ns) };
	struct alert a = { .ts_ns = now_ns, .tgid = c->tgid, .uid = c->uid,
			   .loginuid = c->loginuid, .cpr = &st, .files = files };

	a.nr_files = cumulative_files(c, now_ns, files, CUM_ALERT_FILES);
	a.count = a.nr_files;
	a.severity = level == 2 ? SEV_CRITICAL : 0;
	snprintf(a.summary, sizeof(a.summary),
		 "%u distinct CPR numbers left in %u files within %u s (each under %u; latest %.100s)",
		 total, a.nr_files, r->cfg->bulk_window, r->cfg->bulk_high,
		 a.nr_files ? files[a.nr_files - 1] : "?");
	fire(r, RULE_BULK_EXPORT, &a, hash_pair(0x63756d, level));
}

static void cumulative_check(struct rules *r, struct user_state *u, uint64_t now_ns, bool settled)
{
	uint32_t total = cumulative_total(u->cum, now_ns);
	unsigned int level = total >= r->cfg->bulk_critical ? 2 : total >= r->cfg->bulk_high;

	if (level < u->cum->reported)
		u->cum->reported = level;	/* the window slid: a new rise is news again */
	if (level <= u->cum->reported)
		return;
	if (!settled && now_ns < u->cum->last_add_ns + CUM_SETTLE_NS)
		return;
	u->cum->reported = level;
	cumulative_alert(r, u, total, level, now_ns);
}

static void cumulative_note(struct rules *r, const struct scan_request *rq,
			    const struct scan_result *res)
{
	struct user_state *u = user_get(r, user_of(rq->uid, rq->loginuid));
	struct cumulative *c;

	if (!u)
		return;
	if (!u->cum) {
		u->cum = malloc(sizeof(*u->cum));
		if (!u->cum)
			return;
		if (cumulative_init(u->cum, (uint64_t)r->cfg->bulk_window * NS)) {
			free(u->cum);
			u->cum = NULL;
			return;
		}
	}
	c = u->cum;
	if (!cumulative_add(c, rq->path, &rq->id, res->persons, res->nr_persons, rq->ts_ns))
		return;
	c->tgid = rq->tgid;
	c->uid = rq->uid;
	c->loginuid = rq->loginuid;
	cumulative_check(r, u, rq->ts_ns, false);
}

void rules_on_scan(struct rules *r, const struct scan_request *rq, const struct scan_result *res)
{
	struct file_info *fi;
	bool self_origin;

	if (rq->ts_ns > r->now_ns)
		r->now_ns = rq->ts_ns;
	/* a file gone or replaced before the scan is no finding; one we may not read is */
	bool gone = res->reason == SCAN_R_IO && res->err != EACCES && res->err != EPERM;

	if (res->status != SCAN_OK && !gone)
		scan_problem(r, rq, res);
	if (res->reason == SCAN_R_ENCRYPTED)
		encrypted_written(r, rq);
	if ((res->status == SCAN_ERROR && res->reason == SCAN_R_IO) || res->reason == SCAN_R_PATH)
		return;		/* nothing was read: nothing known */
	/* a written file holding CPR numbers is an export in its own right: follow its copies */
	self_origin = rq->why == SCAN_WHY_WRITTEN && res->cpr.distinct && !rq->tainted;
	fi = filetab_put(r->files, &rq->id, rq->path, rq->export_kind,
			 rq->tainted ? &rq->origin : self_origin ? &rq->id : NULL);
	if (fi)
		fi->cpr_distinct = res->cpr.distinct;
	if (res->nr_persons && res->cpr.distinct < r->cfg->bulk_high && scan_left(rq))
		cumulative_note(r, rq, res);
	if (rq->why == SCAN_WHY_WRITTEN) {
		if (self_origin && r->ops.taint)
			r->ops.taint(r->ops.arg, &rq->id, &rq->id, rq->tgid);
		written_scanned(r, rq, res);
	} else {
		app_read_scanned(r, rq, res);
	}
}

/* ---- lookup burst -------------------------------------------------------------- */

static bool in_office_hours(const struct rules *r, uint64_t ts_ns)
{
	time_t t = (ts_ns + r->clock_offset) / NS;
	struct tm tm;

	localtime_r(&t, &tm);
	if (tm.tm_wday == 0 || tm.tm_wday == 6)
		return false;
	return (unsigned int)tm.tm_hour >= r->cfg->office_start &&
	       (unsigned int)tm.tm_hour < r->cfg->office_end;
}

/* Count one look-up; returns look-ups in the last hour. */
static uint64_t count_lookup(struct user_state *u, uint64_t ts_ns)
{
	uint64_t minute = ts_ns / (60 * NS) + 1, sum = 0;	/* +1: 0 marks an empty slot */
	unsigned int i;

	if (!u->first_minute)
		u->first_minute = u->hist_first = minute;
	for (i = 0; i < 60; i++) {
		if (u->minute_of[i] && u->minute_of[i] + 60 <= minute) {
			u->hist_lookups += u->minute_count[i];	/* left the hour: history */
			u->minute_of[i] = 0;
			u->minute_count[i] = 0;
		}
	}
	i = minute % 60;
	if (u->minute_of[i] != minute) {
		u->minute_of[i] = minute;
		u->minute_count[i] = 0;
	}
	u->minute_count[i]++;
	for (i = 0; i < 60; i++)
		sum += u->minute_count[i];
	return sum;
}

static void lookup(struct rules *r, const struct event_hdr *h, const struct proc *p,
		   const char *what)
{
	const struct rules_cfg *c = r->cfg;
	struct user_state *u = user_get(r, user_of(h->uid, p ? p->loginuid : (__u32)-1));
	uint64_t n, limit, hours, mean = 0;
	bool office;
	struct alert a;

	if (!u)
		return;
	n = count_lookup(u, h->ts_ns);
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
	alert_from_hdr(&a, h, p);
	a.count = n;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu CPR look-ups in the last hour by %.60s (limit %llu%s%s; latest: %.80s)",
		 (unsigned long long)n, who(p, h), (unsigned long long)limit,
		 office ? ", office hours" : ", outside office hours",
		 mean ? ", baseline" : "", what);
	fire(r, RULE_LOOKUP_BURST, &a, 0);
}

static bool endpoint_in(const struct rule_endpoint *list, size_t nr, __u16 family,
			const __u8 *addr, __u16 port)
{
	size_t i, alen = family == AF_INET ? 4 : 16;

	for (i = 0; i < nr; i++)
		if (list[i].family == family && (!list[i].port || list[i].port == port) &&
		    !memcmp(list[i].addr, addr, alen))
			return true;
	return false;
}

static bool endpoint_match(const struct rules *r, const struct connect_event *e, char *peer,
			   size_t len)
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
		return true;	/* nothing configured: every connection is a look-up */
	return endpoint_in(r->endpoints, r->nr_endpoints, e->addr.family, e->addr.addr,
			   e->addr.port);
}

/*
 * "host:port" or "[v6]:port" -> every address the host resolves to, appended
 * to @list; "host" or "[v6]" alone (port 0: any) when @any_port.
 */
static void resolve_endpoint(struct rule_endpoint **list, size_t *nr, const char *spec,
			     bool any_port, const char *what)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char host[256];
	const char *port, *end;
	size_t hlen;

	if (spec[0] == '[' && (end = strchr(spec, ']'))) {
		hlen = end - spec - 1;
		spec++;
		port = end[1] == ':' ? end + 2 : NULL;
	} else if ((port = strrchr(spec, ':')) && port == strchr(spec, ':')) {
		hlen = port++ - spec;
	} else {
		hlen = strlen(spec);
		port = NULL;
	}
	if (!port && !any_port) {
		log_warn("%s '%s' has no :port; ignored", what, spec);
		return;
	}
	if (hlen >= sizeof(host))
		return;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, port, &hints, &res)) {
		log_warn("%s '%s' does not resolve; it matches nothing", what, host);
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct rule_endpoint ep = { .family = ai->ai_family };
		struct rule_endpoint *n;

		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;

			ep.port = ntohs(sin->sin_port);
			memcpy(ep.addr, &sin->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;

			ep.port = ntohs(sin6->sin6_port);
			memcpy(ep.addr, &sin6->sin6_addr, 16);
		} else {
			continue;
		}
		n = realloc(*list, (*nr + 1) * sizeof(*n));
		if (!n)
			break;
		*list = n;
		(*list)[(*nr)++] = ep;
	}
	freeaddrinfo(res);
}

void rules_reconfigure(struct rules *r)
{
	size_t i;

	free(r->endpoints);
	r->endpoints = NULL;
	r->nr_endpoints = 0;
	for (i = 0; i < r->cfg->nr_burst_endpoints; i++)
		resolve_endpoint(&r->endpoints, &r->nr_endpoints, r->cfg->burst_endpoints[i], false,
				 "lookup_burst endpoint");
	free(r->allowed);
	r->allowed = NULL;
	r->nr_allowed = 0;
	for (i = 0; i < r->cfg->nr_net_allow; i++)
		resolve_endpoint(&r->allowed, &r->nr_allowed, r->cfg->net_allow[i], true,
				 "network_exfil allow");
}

static bool path_is_lookup(const struct rules *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->cfg->nr_burst_paths; i++)
		if (!strncmp(path, r->cfg->burst_paths[i], strlen(r->cfg->burst_paths[i])))
			return true;
	return false;
}

/* ---- events --------------------------------------------------------------------- */

static void cpr_activity(struct rules *r, const struct event_hdr *h, const struct proc *p)
{
	struct user_state *u = user_get(r, user_of(h->uid, p ? p->loginuid : (__u32)-1));

	if (u)
		u->last_cpr_ns = h->ts_ns;
}

static void app_opened_tainted(struct rules *r, const struct event *ev, const struct proc *p,
			       const struct file_info *fi, enum rule_id id)
{
	const struct open_event *o = ev->raw;
	struct alert a;

	alert_from_hdr(&a, ev->hdr, p);
	a.path = ev->path;
	a.file.dev = o->dev;
	a.file.ino = o->ino;
	set_origin(r, &a, &fi->origin);
	snprintf(a.summary, sizeof(a.summary), "%.60s %s %.120s, exported from %.120s", who(p, ev->hdr),
		 reader_verb(id), ev->path, a.origin_path ? a.origin_path : "a CPR client");
	fire(r, id, &a, file_key(&a.file));
}

static void on_open(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct open_event *o = ev->raw;
	const struct file_id id = { .dev = o->dev, .ino = o->ino };
	const struct file_info *fi;
	__u32 cls = ev->hdr->classes;
	bool reads = (o->flags & O_ACCMODE) != O_WRONLY;

	if (o->ret < 0)
		return;
	if (cls & CLASS_CPR_CLIENT) {
		cpr_activity(r, ev->hdr, p);
		if (path_is_lookup(r, ev->path))
			lookup(r, ev->hdr, p, ev->path);
	}
	if (!reads || !(cls & READER_CLASSES))
		return;
	fi = filetab_info(r->files, &id);
	if (fi && fi->tainted && origin_has_cpr(r, &fi->origin)) {
		app_opened_tainted(r, ev, p, fi, reader_rule(cls));
		return;
	}
	/* not known to carry CPR numbers (yet): let the scanner decide */
	if ((cls & (APP_CLASSES | CLASS_PRINTER)) &&
	    (fi && fi->tainted ? true : is_user_document(ev->path)))
		request_scan(r, ev->hdr, p, ev->path, &id, SCAN_WHY_APP_READ, o->export_kind, fi, 0);
	else if ((cls & CLASS_ARCHIVER) && fi && fi->tainted)
		request_scan(r, ev->hdr, p, ev->path, &id, SCAN_WHY_APP_READ, o->export_kind, fi, 0);
}

static void export_volume(struct rules *r, const struct event_hdr *h, const struct proc *p,
			  uint64_t bytes, const char *path)
{
	const struct rules_cfg *c = r->cfg;
	struct user_state *u = user_get(r, user_of(h->uid, p ? p->loginuid : (__u32)-1));
	uint64_t total, horizon;
	struct alert a;

	if (!u)
		return;
	horizon = h->ts_ns > c->volume_window * NS ? h->ts_ns - c->volume_window * NS : 0;
	while (u->vol_len && (u->vol[u->vol_head].ts < horizon || u->vol_len == VOL_MAX)) {
		u->vol_bytes -= u->vol[u->vol_head].bytes;
		u->vol_head = (u->vol_head + 1) % VOL_MAX;
		u->vol_len--;
	}
	u->vol[(u->vol_head + u->vol_len++) % VOL_MAX] = (struct vol_entry){ h->ts_ns, bytes };
	u->vol_bytes += bytes;
	total = u->vol_bytes;
	if (u->vol_len < c->volume_files && total < c->volume_mib * MIB)
		return;
	alert_from_hdr(&a, h, p);
	a.count = u->vol_len;
	a.bytes = total;
	a.path = path;
	snprintf(a.summary, sizeof(a.summary),
		 "%u files, %llu MiB exported by %.60s within %u s (latest %.100s)", u->vol_len,
		 (unsigned long long)(total / MIB), who(p, h), c->volume_window,
		 path ? path : "?");
	fire(r, RULE_EXPORT_VOLUME, &a, 0);
}

static void on_close(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct close_event *e = ev->raw;
	const struct file_id id = { .dev = e->dev, .ino = e->ino };
	const struct file_info *fi = filetab_info(r->files, &id);
	__u32 kind = fi ? fi->export_kind : 0, cls = ev->hdr->classes;
	bool lineage = (fi && fi->tainted) || (cls & LINEAGE_CLASSES);

	if (!e->bytes_written || !fi)
		return;
	if (kind || lineage)
		request_scan(r, ev->hdr, p, fi->path, &id, SCAN_WHY_WRITTEN, kind, fi,
			     e->bytes_written);
	if ((cls & CLASS_CPR_CLIENT) && kind)
		export_volume(r, ev->hdr, p, e->bytes_written, fi->path);
	if ((kind == EXPORT_REMOVABLE || kind == EXPORT_NETWORK) && fi->tainted &&
	    origin_has_cpr(r, &fi->origin)) {
		struct alert a;

		alert_from_hdr(&a, ev->hdr, p);
		a.path = fi->path;
		a.file = id;
		a.bytes = e->bytes_written;
		set_origin(r, &a, &fi->origin);
		snprintf(a.summary, sizeof(a.summary), "CPR export copied to %s media: %.150s",
			 kind == EXPORT_REMOVABLE ? "removable" : "network", fi->path);
		fire(r, RULE_REMOVABLE_MEDIA, &a, file_key(&id));
	}
}

static void on_connect(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct connect_event *e = ev->raw;
	char peer[80];

	if (!(ev->hdr->classes & CLASS_CPR_CLIENT) || (e->ret && e->ret != EINPROGRESS_NEG))
		return;
	cpr_activity(r, ev->hdr, p);
	if (endpoint_match(r, e, peer, sizeof(peer)))
		lookup(r, ev->hdr, p, peer);
}

/*
 * Any process can upload.  A tainted process (not a CPR client: sending its
 * look-ups is its job) whose origin export holds CPR numbers, sending to a
 * destination outside `allow` and the look-up endpoints (the CPR service),
 * at least `share` percent of the bytes it read from tainted files and at
 * least `min_kib`, added up over its connections, is uploading the export.
 */
static uint64_t upload_add(struct rules *r, __u32 tgid, uint64_t bytes)
{
	uint64_t *sent = hashmap_get(&r->uploads, tgid);

	if (!sent) {
		sent = calloc(1, sizeof(*sent));
		if (!sent || hashmap_put(&r->uploads, tgid, sent, NULL)) {
			free(sent);
			return bytes;
		}
	}
	*sent += bytes;
	return *sent;
}

static void network_exfil(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct tcp_close_event *e = ev->raw;
	const struct rules_cfg *c = r->cfg;
	__u32 cls = ev->hdr->classes | (p ? p->classes : 0);
	char addr[INET6_ADDRSTRLEN] = "", peer[80];
	uint64_t sent, need;
	struct alert a;

	if (!(cls & CLASS_TAINTED) || (cls & CLASS_CPR_CLIENT) || !p || !p->has_origin ||
	    !e->bytes_sent || !origin_has_cpr(r, &p->origin))
		return;
	if (endpoint_in(r->allowed, r->nr_allowed, e->family, e->daddr, e->dport) ||
	    endpoint_in(r->endpoints, r->nr_endpoints, e->family, e->daddr, e->dport))
		return;
	sent = upload_add(r, ev->hdr->tgid, e->bytes_sent);
	need = p->tainted_read * c->net_share / 100;
	if (need < (uint64_t)c->net_min_kib * 1024)
		need = (uint64_t)c->net_min_kib * 1024;
	if (sent < need)
		return;
	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	snprintf(peer, sizeof(peer), e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, e->dport);
	alert_from_hdr(&a, ev->hdr, p);
	a.bytes = sent;
	a.peer = peer;
	set_origin(r, &a, &p->origin);
	snprintf(a.summary, sizeof(a.summary),
		 "%.60s sent %llu bytes to %s after reading %llu bytes of a CPR export (%.100s)",
		 who(p, ev->hdr), (unsigned long long)sent, peer,
		 (unsigned long long)p->tainted_read, a.origin_path ? a.origin_path : "?");
	fire(r, RULE_NETWORK_EXFIL, &a, ev->hdr->tgid);
}

static void on_tcp_close(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct tcp_close_event *e = ev->raw;
	const struct rules_cfg *c = r->cfg;
	struct user_state *u;
	char addr[INET6_ADDRSTRLEN] = "", peer[80];
	struct alert a;

	if (!(ev->hdr->classes & APP_CLASSES))
		return;
	u = user_get(r, user_of(ev->hdr->uid, p ? p->loginuid : (__u32)-1));
	if (!u || !u->last_cpr_ns || ev->hdr->ts_ns > u->last_cpr_ns + c->msg_window * NS)
		return;
	/*
	 * Uploads made within `window` of CPR-client activity add up while
	 * they keep coming; a pause longer than the window starts a new count.
	 * More client use in between extends eligibility, it never resets.
	 */
	if (!u->msg_since || ev->hdr->ts_ns > u->msg_since + c->msg_window * NS)
		u->msg_bytes = 0;
	u->msg_since = ev->hdr->ts_ns;	/* the last counted upload */
	u->msg_bytes += e->bytes_sent;
	if (u->msg_bytes <= (uint64_t)c->msg_tcp_mib * MIB)	/* "more than" tcp_mib */
		return;
	inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->daddr, addr, sizeof(addr));
	snprintf(peer, sizeof(peer), "%s:%u", addr, e->dport);
	alert_from_hdr(&a, ev->hdr, p);
	a.bytes = u->msg_bytes;
	a.peer = peer;
	snprintf(a.summary, sizeof(a.summary),
		 "%.60s sent %llu MiB within %u s after CPR-client activity (latest to %s)",
		 who(p, ev->hdr), (unsigned long long)(u->msg_bytes / MIB), c->msg_window, peer);
	fire(r, RULE_MESSAGING_EXFIL, &a, 1);
}

/* ---- clipboard ------------------------------------------------------------------ */

/*
 * An X11 copy only takes ownership; the content moves at each paste: the
 * requester's REQUEST, the owner's SEND of the content, the requester's
 * READ, within milliseconds.  So clipboard_to_messaging fires on the owner's
 * SEND that answers an app's pending REQUEST, or on an app's READ right after
 * a lineage SEND that found no pending request.  Toolkit copies (set_text)
 * carry the content at copy time; on Wayland the content never shows (it
 * goes through a pipe), so there the rule can fire only with require_cpr=no.
 * Offers are remembered per (owner, selection) for `window` seconds; a take
 * by another tracked process for the same selection ends them.
 */

#define CLIP_OFFERS 64
#define CLIP_REQUESTS 64
#define CLIP_PAIR_NS (10 * NS)		/* request, the owner's answer, the read: one paste */
#define CLIP_TEXT_TAKE_NS (2 * NS)	/* a toolkit's set_text, then its own take */
#define X_ATOM_PRIMARY 1

struct clip_offer {
	uint64_t ts_take;		/* 0: free slot */
	uint64_t ts_content;		/* latest content (set_text, send), 0: none seen */
	uint64_t cpr;			/* distinct CPR numbers in it */
	uint64_t bytes;
	__u64 selection;
	__u32 tgid, user, api;
	bool text;			/* content from set_text: no send will follow */
	char exe[256];
};

struct clip_request {
	uint64_t ts;			/* 0: free slot */
	__u64 selection;
	__u32 tgid, uid, loginuid, user;
	__u32 op, api;
	__u32 fired_owner;		/* the owner it alerted about, 0: none yet */
};

struct clip_state {
	struct clip_offer offers[CLIP_OFFERS];
	struct clip_request reqs[CLIP_REQUESTS];
	unsigned int next_req;
};

static struct clip_state *clip_state_new(void)
{
	return calloc(1, sizeof(struct clip_state));
}

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

static struct clip_offer *offer_new(struct rules *r, const struct event_hdr *h,
				    const struct proc *p, __u32 user, __u64 sel, __u32 api)
{
	struct clip_offer *o = offer_slot(r->clip, h->tgid, sel);

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
static struct clip_offer *offer_of_chain(struct rules *r, __u32 tgid, uint64_t now)
{
	const struct proc *chain[PROC_CHAIN_MAX];
	struct clip_offer *best = NULL;
	int n = procs_chain(r->procs, tgid, chain, PROC_CHAIN_MAX), i, k;

	for (k = 0; k < (n ? n : 1); k++) {
		__u32 t = n ? chain[k]->tgid : tgid;

		for (i = 0; i < CLIP_OFFERS; i++) {
			struct clip_offer *o = &r->clip->offers[i];

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
static void offers_drop(struct rules *r, __u32 user, __u64 sel, __u32 except)
{
	int i;

	for (i = 0; i < CLIP_OFFERS; i++) {
		struct clip_offer *o = &r->clip->offers[i];

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
		.owner_pid = owner, .owner_exe = owner_exe, .selection = sel,
		.op = clip_op_name(q->op), .api = clip_api_name(q->api),
	};
	struct alert a = {
		.ts_ns = now, .tgid = q->tgid, .uid = q->uid, .loginuid = q->loginuid,
		.cpr = &st, .bytes = bytes, .clipboard = &c,
	};
	const char *os = owner_exe ? strrchr(owner_exe, '/') : NULL;
	const char *rs = p && p->exe ? strrchr(p->exe, '/') : NULL;

	snprintf(a.summary, sizeof(a.summary),
		 "%.60s (pid %u) pasted what %.60s (pid %u) put on the clipboard: "
		 "%llu CPR numbers, %llu bytes", rs ? rs + 1 : p && p->exe ? p->exe : "an app",
		 q->tgid, os ? os + 1 : owner_exe ? owner_exe : "?", owner,
		 (unsigned long long)cpr, (unsigned long long)bytes);
	fire(r, RULE_CLIPBOARD_TO_MESSAGING, &a, hash_pair(owner, q->tgid));
}

/* Every recent request of @tgid (TARGETS, then the text: one paste) now reported. */
static void requests_fired(struct rules *r, __u32 tgid, __u32 owner, uint64_t now)
{
	int i;

	for (i = 0; i < CLIP_REQUESTS; i++) {
		struct clip_request *q = &r->clip->reqs[i];

		if (q->ts && q->tgid == tgid && now <= q->ts + CLIP_PAIR_NS)
			q->fired_owner = owner;
	}
}

static bool recently_fired(struct rules *r, __u32 tgid, uint64_t now)
{
	int i;

	for (i = 0; i < CLIP_REQUESTS; i++) {
		const struct clip_request *q = &r->clip->reqs[i];

		if (q->ts && q->tgid == tgid && q->fired_owner && now <= q->ts + CLIP_PAIR_NS)
			return true;
	}
	return false;
}

/* A lineage process sent content: the answer to the pending pastes of apps. */
static void clip_sent(struct rules *r, const struct event *ev, const struct proc *p, __u32 user)
{
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	uint64_t cpr = clip_cpr_distinct(e), now = h->ts_ns;
	struct clip_offer *o = offer_of_chain(r, h->tgid, now);
	int i;

	if (!o)		/* took the selection before we started */
		o = offer_new(r, h, p, user, 0, e->api);
	o->ts_content = now;
	o->cpr = cpr;
	o->bytes = e->total_len;
	o->text = false;
	if (!clip_qualifies(r, cpr, e->total_len))
		return;
	for (i = 0; i < CLIP_REQUESTS; i++) {
		struct clip_request *q = &r->clip->reqs[i];

		if (!q->ts || q->fired_owner || q->user != user || q->tgid == h->tgid ||
		    now > q->ts + CLIP_PAIR_NS || !sel_same(q->selection, o->selection) ||
		    q->ts > o->ts_take + (uint64_t)r->cfg->clip_window * NS)
			continue;
		clip_alert_paste(r, q, h->tgid, p && p->exe ? p->exe : o->exe, o->selection, cpr,
				 e->total_len, now);
		requests_fired(r, q->tgid, h->tgid, now);
	}
}

/* An app asked for (REQUEST) or read (READ) a selection. */
static void clip_pasted(struct rules *r, const struct event *ev, const struct proc *p, __u32 user)
{
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	uint64_t now = h->ts_ns, cpr = clip_cpr_distinct(e);
	struct clip_request q = {
		.ts = now, .selection = e->selection, .tgid = h->tgid, .uid = h->uid,
		.loginuid = p ? p->loginuid : (__u32)-1, .user = user, .op = e->op, .api = e->api,
	};
	struct clip_offer *best = NULL;
	int i;

	if (recently_fired(r, h->tgid, now) || (e->op == CLIP_READ && !e->total_len))
		return;		/* the read of a paste already reported, or nothing read */
	if (e->op == CLIP_REQUEST)
		r->clip->reqs[r->clip->next_req++ % CLIP_REQUESTS] = q;
	for (i = 0; i < CLIP_OFFERS; i++) {
		struct clip_offer *o = &r->clip->offers[i];
		bool ok;

		if (!offer_live(r, o, now) || o->user != user || o->tgid == h->tgid ||
		    !sel_same(o->selection, e->selection))
			continue;
		if (e->op == CLIP_REQUEST)	/* X11 content comes with the owner's send */
			ok = (o->text && clip_qualifies(r, o->cpr, o->bytes)) ||
			     (o->api == CLIP_API_WAYLAND && !r->cfg->clip_require_cpr);
		else				/* what a lineage send just answered */
			ok = o->ts_content && now <= o->ts_content + CLIP_PAIR_NS &&
			     clip_qualifies(r, cpr, e->total_len);
		if (ok && (!best || o->ts_take > best->ts_take))
			best = o;
	}
	if (!best)
		return;
	if (e->op == CLIP_READ) {	/* what was read is what counts */
		best->cpr = cpr;
		best->bytes = e->total_len;
	}
	clip_alert_paste(r, &q, best->tgid, best->exe, best->selection, best->cpr, best->bytes,
			 now);
	if (e->op == CLIP_REQUEST)
		requests_fired(r, h->tgid, best->tgid, now);
}

static void bulk_clipboard(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	struct cpr_stats st = { .distinct = clip_cpr_distinct(e) };
	struct alert_clipboard c = {
		.owner_pid = ev->hdr->tgid, .owner_exe = p && p->exe ? p->exe : ev->hdr->comm,
		.selection = e->selection, .op = clip_op_name(e->op), .api = clip_api_name(e->api),
	};
	struct alert a;

	alert_from_hdr(&a, ev->hdr, p);
	a.cpr = &st;
	a.bytes = e->total_len;
	a.clipboard = &c;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu CPR numbers in one clipboard transfer by %.80s (%s through %s, %llu bytes)",
		 (unsigned long long)st.distinct, who(p, ev->hdr), clip_op_name(e->op),
		 clip_api_name(e->api), (unsigned long long)e->total_len);
	fire(r, RULE_BULK_CLIPBOARD, &a, ev->hdr->tgid);
}

static void on_clipboard(struct rules *r, const struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	const struct event_hdr *h = ev->hdr;
	__u32 user = user_of(h->uid, p ? p->loginuid : (__u32)-1);
	bool lineage = h->classes & LINEAGE_CLASSES;
	uint64_t cpr = clip_cpr_distinct(e);
	struct clip_offer *o;

	if ((e->op == CLIP_SEND || e->op == CLIP_SET_TEXT) && cpr &&
	    cpr >= r->cfg->clip_bulk_min_cpr)
		bulk_clipboard(r, ev, p);
	switch (e->op) {
	case CLIP_TAKE:
	case CLIP_SET_TEXT:
		offers_drop(r, user, e->selection, h->tgid);	/* the selection moved */
		if (!lineage)
			break;
		o = offer_new(r, h, p, user, e->selection, e->api);
		if (e->op == CLIP_SET_TEXT) {
			o->ts_content = h->ts_ns;
			o->cpr = cpr;
			o->bytes = e->total_len;
			o->text = true;
		} else if (o->ts_content && h->ts_ns > o->ts_content + CLIP_TEXT_TAKE_NS) {
			o->ts_content = o->cpr = o->bytes = 0;	/* a new copy */
			o->text = false;
		}
		break;
	case CLIP_SEND:
		if (lineage)
			clip_sent(r, ev, p, user);
		break;
	case CLIP_REQUEST:
	case CLIP_READ:
		if (h->classes & APP_CLASSES)
			clip_pasted(r, ev, p, user);
		break;
	}
}

void rules_on_event(struct rules *r, const struct event *ev, const struct proc *p)
{
	if (ev->hdr->ts_ns > r->now_ns)
		r->now_ns = ev->hdr->ts_ns;
	switch (ev->hdr->type) {
	case EV_EXEC:
		if (ev->hdr->classes & CLASS_CPR_CLIENT)
			cpr_activity(r, ev->hdr, p);
		break;
	case EV_OPEN:
		on_open(r, ev, p);
		break;
	case EV_CLOSE:
		on_close(r, ev, p);
		break;
	case EV_CONNECT:
		on_connect(r, ev, p);
		break;
	case EV_TCP_CLOSE:
		on_tcp_close(r, ev, p);
		network_exfil(r, ev, p);
		break;
	case EV_CLIPBOARD:
		on_clipboard(r, ev, p);
		break;
	case EV_EXIT:
		free(hashmap_del(&r->uploads, ev->hdr->tgid));
		break;
	default:
		break;
	}
}
