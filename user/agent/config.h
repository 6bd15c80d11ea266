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
#include "control/control.h"
#include "detect/alerts.h"
#include "detect/rules_cfg.h"
#include "scan/scan.h"
#include "soc/spool.h"
#include "soc/syslog_conn.h"

#ifndef CPRW_SYSCONFDIR
#define CPRW_SYSCONFDIR "/etc"
#endif
#define CPRW_DEFAULT_CONFIG CPRW_SYSCONFDIR "/cprwatch/cprwatch.conf"
#define CONFIG_ERR_MAX 512
/*
 * The event ring's default size.  Its pages are mapped twice into the agent
 * (so a record that wraps reads as one), so it counts twice in the agent's
 * RSS; bench/cost.sh's rate steps show what a size holds without drops.
 */
#define CONFIG_RING_MIB 8

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

/*
 * One [syslog.NAME] section: a SOC receiver's settings, parsed once, here,
 * into the connection's own struct (soc/syslog_conn.h).  Its strings belong
 * to the config.
 */
struct sink_conf {
	struct syslog_conn_cfg cfg;
	bool has_transport; /* transport is required: no default */
	int line;	    /* of the section, for messages */
};

struct config {
	char *source;	 /* file it came from, or "(built-in defaults)" */
	char sha256[65]; /* of the text parsed, hex: shows which config runs where */
	bool trace_all;
	unsigned int ring_mib;	      /* [agent] ring_mib: the kernel-to-agent event ring */
	unsigned int rescan_interval; /* seconds, 0 = never */
	char *state_dir;	      /* what survives restarts: daily person totals */
	struct watch_pattern *bins;
	size_t nr_bins;
	struct export_pattern *exports;
	size_t nr_exports;
	char **network_fs;
	size_t nr_network_fs;
	struct rules_cfg rules;
	struct alert_out_config output;	 /* [output] (detect/alerts.h); strings owned here */
	unsigned int heartbeat_interval; /* seconds between heartbeats to the SOC, 0: none */
	char *spool_dir;		 /* durable queue in front of the SOC receivers */
	struct spool_opts spool;	 /* [spool] max_mib, fsync, overflow (soc/spool.h) */
	struct sink_conf *sinks;
	size_t nr_sinks;
	struct control_config control; /* [control] (control/control.h); strings owned here */
	struct scan_config scan;       /* [scan] (scan/scan.h) */
};

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
