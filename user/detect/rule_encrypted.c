// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * encrypted_export: an encrypted archive (or document) written by a process
 * holding CPR data, or descending from a file that holds some: the data was
 * made unreadable on its way out, which is what hiding an export looks like.
 * The scanner refuses encrypted content, so this runs on the scan problem.
 * Always on.
 */
#include <stdio.h>
#include "rules_int.h"

static void encrypted_written(struct rules *r, void *st, const struct scan_request *rq,
			      const struct scan_result *res)
{
	struct alert a = {
		.scan_problem = "encrypted",
	};
	const struct proc *p = procs_get(r->procs, rq->tgid);

	rules_alert_from_scan(&a, rq);
	if (res->reason != SCAN_R_ENCRYPTED || rq->why != SCAN_WHY_WRITTEN ||
	    !(rq->tainted || (rq->classes & LINEAGE_CLASSES)))
		return;
	if (rq->tainted)
		rules_set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary),
		 "encrypted file %.150s written by %.80s from CPR data", rq->path,
		 p && p->exe ? p->exe : "a process");
	rules_fire(r, RULE_ENCRYPTED_EXPORT, &a, rules_file_key(&rq->id));
}

const struct rule_family rule_family_encrypted = {
	.name = "encrypted",
	.on_scan_problem = encrypted_written,
};
