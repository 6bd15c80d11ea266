// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * print_export, written side: printing is an export, and CUPS writes each
 * job's documents to its spool, so a spooled file holding CPR numbers is
 * one.  (A print client's open of CPR data is in rule_read.c.)
 */
#include <stdio.h>
#include <string.h>
#include "rules_int.h"

/* A file the print system spooled (default /var/spool/cups). */
static bool in_print_spool(const struct rules *r, const char *path)
{
	static const char *const def = "/var/spool/cups/";
	size_t i, n;

	if (!r->cfg->nr_print_spool)
		return !strncmp(path, def, strlen(def));
	for (i = 0; i < r->cfg->nr_print_spool; i++) {
		n = strlen(r->cfg->print_spool[i]);
		if (!strncmp(path, r->cfg->print_spool[i], n) &&
		    (path[n] == '/' || !path[n] || r->cfg->print_spool[i][n - 1] == '/'))
			return true;
	}
	return false;
}

static void print_scanned(struct rules *r, void *st, const struct scan_request *rq,
			  const struct scan_result *res)
{
	uint64_t n = res->cpr.distinct;
	struct alert a = {
		.cpr = &res->cpr,
		.bytes = rq->bytes_written,
	};

	rules_alert_from_scan(&a, rq);
	if (rq->why != SCAN_WHY_WRITTEN || !n || n < r->cfg->print_min_cpr ||
	    !in_print_spool(r, rq->path))
		return;
	if (rq->tainted)
		rules_set_origin(r, &a, &rq->origin);
	snprintf(a.summary, sizeof(a.summary), "%llu CPR numbers in a print job: %.150s",
		 (unsigned long long)n, rq->path);
	rules_fire(r, RULE_PRINT_EXPORT, &a, rules_file_key(&rq->id));
}

const struct rule_family rule_family_print = {
	.name = "print",
	.on_scan = print_scanned,
};
