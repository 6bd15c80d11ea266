/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The rules' settings, owned by detect/ and filled by agent/config.c from
 * the [rules.*] sections.
 */
#ifndef CPRW_RULES_CFG_H
#define CPRW_RULES_CFG_H

#include <stdbool.h>
#include <stddef.h>

/* What every rule has: on/off, how loud, and how long a storm is folded into one alert. */
struct rule_cfg {
	bool enabled;
	unsigned int severity; /* enum severity */
	unsigned int suppress; /* seconds; repeats within it are counted, not sent */
};

struct rules_cfg {
	struct rule_cfg bulk_export;
	unsigned int bulk_high;	    /* distinct CPR numbers for a high alert */
	unsigned int bulk_critical; /* ... for a critical one */
	unsigned int bulk_window;   /* seconds a login user's exports add up over */
	struct rule_cfg export_volume;
	unsigned int volume_files;  /* files written to export paths within the window */
	unsigned int volume_mib;    /* or MiB within the window */
	unsigned int volume_window; /* seconds */
	struct rule_cfg messaging_exfil;
	unsigned int msg_min_cpr; /* CPR numbers in a document a messaging app opens */
	unsigned int msg_tcp_mib; /* outbound MiB after CPR-client activity */
	unsigned int msg_window;  /* seconds after CPR-client activity */
	struct rule_cfg removable_media;
	unsigned int removable_min_cpr;
	struct rule_cfg archive_before_exfil;
	struct rule_cfg lookup_burst;
	unsigned int burst_per_hour;	 /* look-ups per user per hour in office hours */
	unsigned int burst_off_hours;	 /* ... outside office hours */
	unsigned int burst_factor;	 /* or this many times the user's trailing hourly mean */
	unsigned int burst_min_baseline; /* hours of history before the factor applies */
	unsigned int office_start;	 /* hour, local time */
	unsigned int office_end;
	char **burst_endpoints; /* "host:port" of CPR services; a look-up is a connect */
	size_t nr_burst_endpoints;
	char **burst_paths; /* or an open of one of these path prefixes */
	size_t nr_burst_paths;
	char **burst_requests; /* "METHOD /path/glob": HTTP requests seen inside TLS */
	size_t nr_burst_requests;
	unsigned int burst_response_bytes; /* response bytes scanned per look-up (TLS) */
	struct rule_cfg persons_viewed;
	unsigned int persons_per_day;  /* distinct persons per user per day */
	unsigned int persons_factor;   /* or this many times the user's trailing daily mean */
	unsigned int persons_days;     /* days of daily totals kept for the baseline */
	unsigned int persons_min_days; /* days of history before the factor applies */
	struct rule_cfg clipboard_to_messaging;
	unsigned int clip_window; /* seconds from a CPR-lineage copy to the paste */
	bool clip_require_cpr;	  /* only content the scanner found CPR numbers in */
	struct rule_cfg bulk_clipboard;
	unsigned int clip_bulk_min_cpr; /* distinct CPR numbers in one transfer */
	struct rule_cfg clipboard_unseen;
	struct rule_cfg network_exfil;
	unsigned int net_share;	  /* percent of the tainted bytes read that, sent, is an upload */
	unsigned int net_min_kib; /* and at least this much */
	char **net_allow;	  /* "host[:port]" destinations that are no upload */
	size_t nr_net_allow;
	struct rule_cfg print_export;
	unsigned int print_min_cpr; /* distinct CPR numbers in a printed document */
	char **print_spool;	    /* print spool directories (default /var/spool/cups) */
	size_t nr_print_spool;
};

#endif
