/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Agent configuration: an INI file (default /etc/cprwatch/cprwatch.conf).
 * Every error names the file, the line and the key.  The built-in default
 * is packaging/cprwatch.conf, embedded at build time, so defaults live in
 * one place.
 */
#ifndef CPRW_CONFIG_H
#define CPRW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "cprwatch/events.h"

#ifndef CPRW_SYSCONFDIR
#define CPRW_SYSCONFDIR "/etc"
#endif
#define CPRW_DEFAULT_CONFIG CPRW_SYSCONFDIR "/cprwatch/cprwatch.conf"
#define CONFIG_ERR_MAX 512

/* A program pattern and the classes a process running it gets. */
struct watch_pattern {
	char *pattern;
	__u32 classes;
	int line;
};

/* An export directory pattern and its kind. */
struct export_pattern {
	char *pattern;
	enum export_kind kind;
	int line;
};

enum severity {
	SEV_LOW = 1,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL,
};

/* What every rule has: on/off, how loud, and how long a storm is folded into one alert. */
struct rule_cfg {
	bool enabled;
	unsigned int severity;		/* enum severity */
	unsigned int suppress;		/* seconds; repeats within it are counted, not sent */
};

struct rules_cfg {
	struct rule_cfg bulk_export;
	unsigned int bulk_high;		/* distinct CPR numbers for a high alert */
	unsigned int bulk_critical;	/* ... for a critical one */
	unsigned int bulk_window;	/* seconds a login user's exports add up over */
	struct rule_cfg export_volume;
	unsigned int volume_files;	/* files written to export paths within the window */
	unsigned int volume_mib;	/* or MiB within the window */
	unsigned int volume_window;	/* seconds */
	struct rule_cfg messaging_exfil;
	unsigned int msg_min_cpr;	/* CPR numbers in a document a messaging app opens */
	unsigned int msg_tcp_mib;	/* outbound MiB after CPR-client activity */
	unsigned int msg_window;	/* seconds after CPR-client activity */
	struct rule_cfg removable_media;
	unsigned int removable_min_cpr;
	struct rule_cfg archive_before_exfil;
	struct rule_cfg lookup_burst;
	unsigned int burst_per_hour;	/* look-ups per user per hour in office hours */
	unsigned int burst_off_hours;	/* ... outside office hours */
	unsigned int burst_factor;	/* or this many times the user's trailing hourly mean */
	unsigned int burst_min_baseline; /* hours of history before the factor applies */
	unsigned int office_start;	/* hour, local time */
	unsigned int office_end;
	char **burst_endpoints;		/* "host:port" of CPR services; a look-up is a connect */
	size_t nr_burst_endpoints;
	char **burst_paths;		/* or an open of one of these path prefixes */
	size_t nr_burst_paths;
	struct rule_cfg clipboard_to_messaging;
	unsigned int clip_window;	/* seconds from a CPR-lineage copy to the paste */
	bool clip_require_cpr;		/* only content the scanner found CPR numbers in */
	struct rule_cfg bulk_clipboard;
	unsigned int clip_bulk_min_cpr;	/* distinct CPR numbers in one transfer */
	struct rule_cfg network_exfil;
	unsigned int net_share;		/* percent of the tainted bytes read that, sent, is an upload */
	unsigned int net_min_kib;	/* and at least this much */
	char **net_allow;		/* "host[:port]" destinations that are no upload */
	size_t nr_net_allow;
	struct rule_cfg print_export;
	unsigned int print_min_cpr;	/* distinct CPR numbers in a printed document */
	char **print_spool;		/* print spool directories (default /var/spool/cups) */
	size_t nr_print_spool;
};

/* One [syslog.NAME] section: a SOC receiver. */
struct sink_conf {
	char *name;
	char *transport;		/* unix | udp | tcp | tls */
	char *host;
	char *path;			/* unix socket, default /dev/log */
	char *format;			/* rfc5424 | cef */
	char *facility;			/* name (local4) or number */
	char *ca_file;
	char *cert_file;
	char *key_file;
	unsigned int port;
	unsigned int max_msg;
	int line;
};

struct config {
	char *source;
	char sha256[65];		/* of the text parsed, hex: shows which config runs where */			/* file it came from, or "(built-in defaults)" */
	bool trace_all;
	unsigned int rescan_interval;	/* seconds, 0 = never */
	struct watch_pattern *bins;
	size_t nr_bins;
	struct export_pattern *exports;
	size_t nr_exports;
	char **network_fs;
	size_t nr_network_fs;
	struct rules_cfg rules;
	char *alert_log;		/* JSON lines alert log, "" = none */
	bool alerts_stdout;		/* also print alerts on stdout (foreground) */
	unsigned int heartbeat_interval;	/* seconds between heartbeats to the SOC, 0: none */
	char *spool_dir;		/* durable queue in front of the SOC receivers */
	unsigned int spool_max_mib;
	char *spool_fsync;		/* always | interval | never */
	char *spool_overflow;		/* drop_oldest | drop_new */
	struct sink_conf *sinks;
	size_t nr_sinks;
	char *control_socket;		/* cprwatchctl's unix socket */
	char *admin_group;		/* besides root, who may use it ("" = root only) */
	unsigned int scan_workers;
	unsigned int scan_queue;	/* pending scans before new ones are dropped (and counted) */
	unsigned int scan_per_user;	/* pending scans of one user before theirs are dropped */
	unsigned int scan_max_mib;	/* largest file scanned */
	unsigned int scan_max_seconds;
};

const char *severity_name(unsigned int sev);

/*
 * Load @path (NULL: the default path, falling back to the built-in defaults
 * when it does not exist).  Returns 0, or a negative errno with a message
 * naming file, line and key in @err.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/*
 * The same without the owner check: for --replay, which loads no probes and
 * which an analyst runs with a config of their own.
 */
int config_load_unchecked(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parse INI text; @name is used in messages. */
int config_parse(struct config *cfg, const char *name, const char *text, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The embedded default configuration text. */
const char *config_default_text(void);

#endif
