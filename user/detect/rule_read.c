// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Reads of CPR files by apps, print clients and archivers: messaging_exfil
 * when a messaging app, browser or sync tool opens a file holding CPR
 * numbers (a copy of a CPR export, or a user document the scanner finds them
 * in); print_export when a print client does; archive_before_exfil when an
 * archiver opens such a file.  An open of a
 * copy of a known CPR export fires at once; any other candidate is scanned
 * and the rule decides on the result.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "rules_int.h"

/*
 * A user document: something a person put there, not an app's own data,
 * cache or runtime file.  Hidden directories (.config, .cache, .mozilla)
 * hold app data; system trees hold no documents.
 */
static bool is_user_document(const char *path)
{
	static const char *const roots[] = { "/home/", "/root/", "/media/", "/run/media/",
					     "/mnt/",  "/tmp/",	 "/srv/",   NULL };
	int i;

	for (i = 0; roots[i]; i++)
		if (!strncmp(path, roots[i], strlen(roots[i])))
			break;
	return roots[i] && !strstr(path, "/.");
}

/* An app (messaging, browser, sync) counts as that even when it also archives. */
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
	return id == RULE_PRINT_EXPORT	       ? "printed" :
	       id == RULE_ARCHIVE_BEFORE_EXFIL ? "archived" :
						 "opened";
}

static uint64_t reader_min_cpr(const struct rules *r, enum rule_id id)
{
	return id == RULE_MESSAGING_EXFIL ? r->cfg->msg_min_cpr :
	       id == RULE_PRINT_EXPORT	  ? r->cfg->print_min_cpr :
					    1;
}

static void opened_export(struct rules *r, const struct event *ev, const struct proc *p,
			  const struct file_info *fi)
{
	const struct open_event *o = ev->raw;
	enum rule_id id = reader_rule(ev->hdr->classes);
	struct alert a;

	rules_alert_from_hdr(&a, ev->hdr, p);
	a.path = ev->path;
	a.file.dev = o->dev;
	a.file.ino = o->ino;
	rules_set_origin(r, &a, &fi->origin);
	snprintf(a.summary, sizeof(a.summary), "%.60s %s %.120s, exported from %.120s",
		 rules_who(p, ev->hdr), reader_verb(id), ev->path,
		 a.origin_path ? a.origin_path : "a CPR client");
	rules_fire(r, id, &a, rules_file_key(&a.file));
}

static void read_open(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct open_event *o = ev->raw;
	const struct file_id id = { .dev = o->dev, .ino = o->ino };
	const struct file_info *fi;
	__u32 cls = ev->hdr->classes;
	bool tainted;

	if (o->ret < 0 || (o->flags & O_ACCMODE) == O_WRONLY || !(cls & READER_CLASSES))
		return;
	fi = filetab_info(r->files, &id);
	tainted = fi && fi->tainted;
	if (tainted && rules_origin_has_cpr(r, &fi->origin)) {
		opened_export(r, ev, p, fi);
		return;
	}
	/* not known to carry CPR numbers (yet): let the scanner decide */
	if (cls & (APP_CLASSES | CLASS_PRINTER) ? tainted || is_user_document(ev->path) : tainted)
		rules_request_scan(r, ev->hdr, p, ev->path, &id, SCAN_WHY_APP_READ, o->export_kind,
				   fi, 0);
}

static void read_scanned(struct rules *r, void *st, const struct scan_request *rq,
			 const struct scan_result *res)
{
	struct alert a = {
		.cpr = &res->cpr,
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);
	enum rule_id id = reader_rule(rq->classes);

	rules_alert_from_scan(&a, rq);
	if (rq->why != SCAN_WHY_APP_READ || !res->cpr.distinct ||
	    res->cpr.distinct < reader_min_cpr(r, id))
		return;
	if (rq->tainted)
		rules_set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary), "%.60s %s %.150s holding %llu CPR numbers",
		 p && p->exe ? p->exe : "an app", reader_verb(id), rq->path,
		 (unsigned long long)res->cpr.distinct);
	/* the scan was asked for by a messaging app, an archiver or a print client */
	rules_fire(r, id, &a, rules_file_key(&rq->id));
}

const struct rule_family rule_family_read = {
	.name = "read",
	.on_event = { [EV_OPEN] = read_open },
	.on_scan = read_scanned,
};
