// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * removable_media: CPR numbers written to removable or network media, found
 * by the scan of the written file (rule_export.c asks for it), or a tainted
 * copy of a known CPR export closed there (reported at once, no scan needed).
 */
#include <stdio.h>
#include "rules_int.h"

static const char *media(__u32 kind)
{
	return kind == EXPORT_REMOVABLE ? "removable" : "network";
}

static bool is_media(__u32 kind)
{
	return kind == EXPORT_REMOVABLE || kind == EXPORT_NETWORK;
}

static void media_close(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct close_event *e = ev->raw;
	const struct file_id id = { .dev = e->dev, .ino = e->ino };
	const struct file_info *fi = filetab_info(r->files, &id);
	struct alert a;

	if (!e->bytes_written || !fi || !is_media(fi->export_kind) || !fi->tainted ||
	    !rules_origin_has_cpr(r, &fi->origin))
		return;
	rules_alert_from_hdr(&a, ev->hdr, p);
	a.path = fi->path;
	a.file = id;
	a.bytes = e->bytes_written;
	rules_set_origin(r, &a, &fi->origin);
	snprintf(a.summary, sizeof(a.summary), "CPR export copied to %s media: %.150s",
		 media(fi->export_kind), fi->path);
	rules_fire(r, RULE_REMOVABLE_MEDIA, &a, rules_file_key(&id));
}

static bool same_file(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

static void media_scanned(struct rules *r, void *st, const struct scan_request *rq,
			  const struct scan_result *res)
{
	uint64_t n = res->cpr.distinct;
	struct alert a = {
		.cpr = &res->cpr,
		.bytes = rq->bytes_written,
	};

	rules_alert_from_scan(&a, rq);
	if (rq->why != SCAN_WHY_WRITTEN || !is_media(rq->export_kind) || !n ||
	    n < r->cfg->removable_min_cpr)
		return;
	/* a tainted copy of a known CPR export was reported at close already */
	if (rq->tainted && !same_file(&rq->origin, &rq->id) && rules_origin_has_cpr(r, &rq->origin))
		return;
	if (rq->tainted)
		rules_set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary), "%llu CPR numbers written to %s media: %.150s",
		 (unsigned long long)n, media(rq->export_kind), rq->path);
	rules_fire(r, RULE_REMOVABLE_MEDIA, &a, rules_file_key(&rq->id));
}

const struct rule_family rule_family_media = {
	.name = "media",
	.on_event = { [EV_CLOSE] = media_close },
	.on_scan = media_scanned,
};
