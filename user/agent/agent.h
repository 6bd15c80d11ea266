/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The collector: one thread, one epoll loop over the ring buffer, signals and
 * a 1 s tick.  Events are decoded, applied to the process table and the
 * inode->path cache, and written out as JSON lines.
 */
#ifndef CPRW_AGENT_H
#define CPRW_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "control/control.h"
#include "soc/sink.h"
#include "soc/spool.h"
#include "event/filetab.h"
#include "lib/json.h"
#include "loader.h"
#include "event/procs.h"
#include "detect/rules.h"
#include "scan/scanq.h"
#include "detect/alerts.h"
#include "clipboard.h"
#include "uprobes_proc.h"
#include "watchlist.h"

struct agent_opts {
	const char *config_path;	/* NULL: default */
	bool print_events;		/* JSON lines of every event */
	const char *events_path;	/* where they go, NULL: stdout */
	bool trace_all;			/* overrides the config when set */
	const char *ready_path;		/* created once probes are attached */
	unsigned int duration;		/* seconds to run, 0: until signalled */
	const char *record_path;	/* events and scan results as JSON lines, for --replay */
	const char *replay_path;	/* run the rules over a recording instead of probes */
	const char *alert_log;		/* overrides [output] alert_log when set */
};

#define RATE_WINDOW 10	/* seconds over which events/s is measured */
#define SCAN_DROP_UNHEALTHY_S 600	/* status unhealthy this long after a dropped scan */

struct agent_stats {
	uint64_t start_ns;		/* monotonic */
	uint64_t per_tick[RATE_WINDOW];	/* events per second, ring by tick */
	uint64_t events_at_tick;
	uint64_t kernel_drops;		/* as of the last tick */
	uint64_t drops_at_minute;	/* kernel drops a minute ago, for health */
	uint64_t scan_drop_tick;	/* tick of the latest dropped scan, 0: none */
	uint64_t events;
	uint64_t decode_errors;
	uint64_t by_type[EV_TYPE_MAX];
};

#define RECENT_ALERTS 1000	/* kept in memory for `cprwatchctl alerts` */

struct recent_alert {
	char *json;
	uint64_t real_ns;
	char rule[32];
};

struct agent {
	struct agent_opts opts;
	struct config cfg;
	struct watchlist wl;
	struct loader ld;
	struct clip_probes *clip;	/* clipboard uprobes and their status */
	struct uprobes_proc uprobes;	/* uprobes attached to tracked processes */
	struct ring_buffer *rb;
	struct procs procs;
	struct filetab files;
	struct json json;
	FILE *events_out;
	FILE *record_out;
	struct rules rules;
	struct scanq scanq;
	struct person_key person_key;	/* per start, from getrandom; never written out */
	struct sandbox_cfg sandbox;	/* the scanner helper the scan workers start */
	bool scanq_up;
	struct alert_out alerts;
	struct control control;
	struct spool spool;
	bool spool_up;
	struct sink *sinks;
	size_t nr_sinks;
	uint64_t spool_failures;
	struct recent_alert recent[RECENT_ALERTS];
	uint64_t recent_next;
	int epfd;
	int sigfd;
	int timerfd;
	int64_t clock_offset;
	uint64_t ticks;
	unsigned int watchdog_ticks;	/* systemd watchdog ping period, 0: none */
	bool stop;
	struct agent_stats stats;
};

/* Returns a process exit code: 0, 1 on runtime failure, 2 on an unusable machine/config. */
int agent_run(const struct agent_opts *opts);

/* Pieces the unit tests and replay drive without a kernel. */
void agent_handle(struct agent *a, const void *data, size_t size);
void agent_scan_done(struct agent *a, const struct scan_request *rq, const struct scan_result *res);
int agent_seed_tracking(struct agent *a, const char *proc_root);
/* Set up everything but the probes (config already loaded into a->cfg). */
int agent_init_pipeline(struct agent *a, bool live, char *err, size_t errlen);
void agent_cleanup(struct agent *a);
/* Every alert goes through here: outputs, the recent list, the spool. */
void agent_raise_alert(struct agent *a, const struct alert *al);
void agent_remember_alert(struct agent *a, const char *json, size_t len, uint64_t real_ns,
			  const char *rule);
void agent_forget_alerts(struct agent *a);
int agent_control_open(struct agent *a, char *err, size_t errlen);
int agent_resolve_watchlist(struct agent *a);

/* The status the control socket serves (schema in control.h). */
void agent_status_json(struct agent *a, struct json *j);
#define TAG_SINK_BASE 1000	/* epoll tag of SOC receiver i: TAG_SINK_BASE + i */

int agent_sinks_open(struct agent *a, char *err, size_t errlen);
void agent_sinks_on_alert(struct agent *a, const char *json, size_t len);
void agent_sinks_on_io(struct agent *a, size_t idx, uint32_t revents);
void agent_sinks_tick(struct agent *a);
void agent_sinks_close(struct agent *a);
/* "sinks": each remote output with its state and spool depth. */
void agent_sinks_status_json(struct agent *a, struct json *j);
/* Called every second: rates and health counters. */
void agent_stats_tick(struct agent *a);

/* Rules over a recording; alerts to stdout (and the alert log if set). */
int agent_replay(const struct agent_opts *opts);
/*
 * The lines of @f (named @name in messages) through a pipeline set up with
 * agent_init_pipeline(a, false, ...), as --replay does; suppression windows
 * still open at the end are flushed.  Returns 0 (bad lines are skipped).
 */
int agent_replay_stream(struct agent *a, FILE *f, const char *name);

#endif
