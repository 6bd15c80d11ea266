/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The live agent: one thread, one epoll loop over the ring buffer, the scan
 * queue, signals, a 1 s tick, the control socket and the SOC receivers.
 * What happens to each event is the pipeline's business (pipeline.h); the
 * loop feeds it and gives it the kernel-side operations.
 */
#ifndef CPRW_AGENT_H
#define CPRW_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "control/control.h"
#include "soc/syslog_conn.h"
#include "soc/spool.h"
#include "lib/json.h"
#include "loader.h"
#include "pipeline.h"
#include "scan/scanq.h"
#include "clipboard.h"
#include "uprobes_proc.h"
#include "tls.h"
#include "watchlist.h"

struct agent_opts {
	const char *config_path; /* NULL: default */
	bool print_events;	 /* JSON lines of every event */
	const char *events_path; /* where they go, NULL: stdout */
	bool trace_all;		 /* overrides the config when set */
	const char *ready_path;	 /* created once probes are attached */
	unsigned int duration;	 /* seconds to run, 0: until signalled */
	const char *record_path; /* events and scan results as JSON lines, for --replay */
	const char *alert_log;	 /* overrides [output] alert_log when set */
};

#define RATE_WINDOW 10		  /* seconds over which events/s is measured */
#define SCAN_DROP_UNHEALTHY_S 600 /* status unhealthy this long after a dropped scan */

struct agent_stats {
	uint64_t start_ns;		/* monotonic */
	uint64_t per_tick[RATE_WINDOW]; /* events per second, ring by tick */
	uint64_t events_at_tick;
	uint64_t kernel_drops;	  /* as of the last tick */
	uint64_t x11_lost;	  /* X11 framing losses, as of the last tick */
	uint64_t drops_at_minute; /* kernel drops a minute ago, for health */
	uint64_t scan_drop_tick;  /* tick of the latest dropped scan, 0: none */
};

struct agent {
	struct agent_opts opts;
	struct config cfg;
	struct watchlist wl;
	struct loader ld;
	struct clip_probes *clip;	/* clipboard uprobes and their status */
	struct uprobes_proc uprobes;	/* uprobes attached to tracked processes */
	struct tls_probes tls;		/* TLS plaintext uprobes, per CPR-client process */
	unsigned int endpoints_version; /* of the CPR endpoints last written to the kernel */
	struct ring_buffer *rb;
	struct pipeline pl; /* events, state, rules, alerts */
	struct scanq scanq;
	struct person_key person_key; /* per start, from getrandom; never written out */
	struct sandbox_cfg sandbox;   /* the scanner helper the scan workers start */
	bool scanq_up;
	struct control control;
	struct spool spool;
	bool spool_up;
	struct syslog_conn *sinks;
	size_t nr_sinks;
	uint64_t spool_failures;
	int epfd;
	int sigfd;
	int timerfd;
	uint64_t ticks;
	unsigned int watchdog_ticks; /* systemd watchdog ping period, 0: none */
	bool stop;
	struct agent_stats stats;
};

/* Returns a process exit code: 0, 1 on runtime failure, 2 on an unusable machine/config. */
int agent_run(const struct agent_opts *opts);

/* Processes already running: their classes from the watchlist, as fork would have given. */
int agent_seed_tracking(struct agent *a, const char *proc_root);
int agent_control_open(struct agent *a, char *err, size_t errlen);
int agent_resolve_watchlist(struct agent *a);
/* The look-up endpoints the rules resolved, into the kernel's turn filter. */
void agent_sync_endpoints(struct agent *a);

/* The status the control socket serves (schema in control.h). */
void agent_status_json(struct agent *a, struct json *j);
#define TAG_SINK_BASE 1000 /* epoll tag of SOC receiver i: TAG_SINK_BASE + i */

int agent_sinks_open(struct agent *a, char *err, size_t errlen);
void agent_sinks_on_alert(struct agent *a, const char *json, size_t len);
void agent_sinks_on_io(struct agent *a, size_t idx, uint32_t revents);
void agent_sinks_tick(struct agent *a);
void agent_sinks_close(struct agent *a);
/* "sinks": each remote output with its state and spool depth. */
void agent_sinks_status_json(struct agent *a, struct json *j);
/* Called every second: rates and health counters. */
void agent_stats_tick(struct agent *a);

#endif
