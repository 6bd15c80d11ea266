// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Exports: a file written below an export path, by the CPR lineage or as a
 * copy of a tainted file is scanned when it is closed (removable_media uses
 * the same scan).  bulk_export fires on a written file holding many distinct
 * CPR numbers; export_volume on many files or many MiB a CPR client writes
 * to export paths within a window.
 */
#include <stdio.h>
#include "rules_int.h"

#define VOL_MAX 4096 /* exports remembered per user for export_volume */

struct vol_entry {
	uint64_t ts;
	uint64_t bytes;
};

struct vol_user {
	struct vol_entry vol[VOL_MAX]; /* ring of exports in the volume window */
	unsigned int vol_head, vol_len;
	uint64_t vol_bytes; /* sum of the ring, kept as it changes */
};

struct export_state {
	struct hashmap users; /* user -> struct vol_user (per_user) */
};

static void export_volume(struct rules *r, struct export_state *s, const struct event_hdr *h,
			  const struct proc *p, uint64_t bytes, const char *path)
{
	const struct rules_cfg *c = r->cfg;
	struct vol_user *u = rules_user_state(&s->users, rules_user(h->uid, p), sizeof(*u));
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
	rules_alert_from_hdr(&a, h, p);
	a.count = u->vol_len;
	a.bytes = total;
	a.path = path;
	snprintf(a.summary, sizeof(a.summary),
		 "%u files, %llu MiB exported by %.60s within %u s (latest %.100s)", u->vol_len,
		 (unsigned long long)(total / MIB), rules_who(p, h), c->volume_window,
		 path ? path : "?");
	rules_fire(r, RULE_EXPORT_VOLUME, &a, 0);
}

static void export_close(struct rules *r, void *st, const struct event *ev, const struct proc *p)
{
	const struct close_event *e = ev->raw;
	const struct file_id id = { .dev = e->dev, .ino = e->ino };
	const struct file_info *fi = filetab_info(r->files, &id);
	__u32 kind = fi ? fi->export_kind : 0, cls = ev->hdr->classes;
	bool lineage = (fi && fi->tainted) || (cls & LINEAGE_CLASSES);

	/* written through a shared mapping: scanned whatever the byte counters say */
	if ((!e->bytes_written && !(ev->hdr->flags & EVF_MMAP_WRITE)) || !fi)
		return;
	if (kind || lineage)
		rules_request_scan(r, ev->hdr, p, fi->path, &id, SCAN_WHY_WRITTEN, kind, fi,
				   e->bytes_written);
	if ((cls & CLASS_CPR_CLIENT) && kind)
		export_volume(r, st, ev->hdr, p, e->bytes_written, fi->path);
}

static void bulk_export(struct rules *r, void *st, const struct scan_request *rq,
			const struct scan_result *res)
{
	const struct rules_cfg *c = r->cfg;
	uint64_t n = res->cpr.distinct;
	struct alert a = {
		.cpr = &res->cpr,
		.bytes = rq->bytes_written,
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);

	rules_alert_from_scan(&a, rq);
	if (rq->why != SCAN_WHY_WRITTEN || n < c->bulk_high)
		return;
	if (rq->tainted)
		rules_set_origin(r, &a, &rq->origin);
	if (n >= c->bulk_critical)
		a.severity = SEV_CRITICAL;
	snprintf(a.summary, sizeof(a.summary),
		 "%llu distinct CPR numbers written to %.120s by %.80s", (unsigned long long)n,
		 rq->path, p && p->exe ? p->exe : "unknown process");
	rules_fire(r, RULE_BULK_EXPORT, &a, rules_file_key(&rq->id));
}

const struct rule_family rule_family_export = {
	.name = "export",
	.state_size = sizeof(struct export_state),
	.per_user = true,
	.on_event = { [EV_CLOSE] = export_close },
	.on_scan = bulk_export,
};
