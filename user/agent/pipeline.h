/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one path an event takes, live and in --replay alike:
 *
 *   ring buffer record / recording line
 *     -> event_decode()            checked view, nothing trusted before it
 *     -> procs, filetab            process table, inode -> path cache, lineage
 *     -> event_json()              --events and --record JSON lines
 *     -> rules_on_event()          detection (scan results: rules_on_scan())
 *     -> alert_emit()              alert log, stdout, the recent-alerts ring
 *     -> ops.alerted()             whatever else the runner sends alerts to (SOC)
 *
 * The live agent (agent.c) feeds it from the ring buffer and the scan queue
 * and gives it the kernel-side operations (taint, fds left open at exit);
 * replay (replay.c) feeds it recorded lines and gives it none.
 */
#ifndef CPRW_PIPELINE_H
#define CPRW_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "detect/alerts.h"
#include "detect/rules.h"
#include "event/decode.h"
#include "event/filetab.h"
#include "event/procs.h"
#include "lib/json.h"
#include "scan/scanq.h"

/* What the pipeline asks of its runner; any of them may be NULL. */
struct pipeline_ops {
	/* scan this file; the result comes back through pipeline_scan_done() */
	void (*scan)(void *arg, const struct scan_request *rq);
	/* follow the copies of @id (the kernel's taint map) */
	void (*taint)(void *arg, const struct file_id *id, const struct file_id *origin,
		      __u32 tgid);
	/* @h's process exited: report the files it still held, pipeline_flushed_close() */
	void (*flush_fds)(void *arg, const struct event_hdr *h);
	/* an alert was written to the local outputs; @json is its line, newline included */
	void (*alerted)(void *arg, const struct alert *a, const char *json, size_t len);
	/*
	 * Processes as the table sees them, for what the runner attaches per
	 * process (the live agent's uprobes): after an exec; after a fork (the
	 * child); when a process first gets classes (tracked by lineage); before
	 * an exit is applied.
	 */
	void (*proc_exec)(void *arg, const struct proc *p, __u64 ts_ns);
	void (*proc_fork)(void *arg, const struct proc *child, __u64 ts_ns);
	void (*proc_tracked)(void *arg, const struct proc *p, __u64 ts_ns);
	void (*proc_exit)(void *arg, __u32 tgid);
	void *arg;
};

struct pipeline_cfg {
	const struct rules_cfg *rules;	/* kept: a reload changes it in place */
	struct alert_out_config alerts; /* where alerts go (detect/alerts.h) */
	const char *events_path;	/* JSON lines of every event ("-": stdout), NULL: none */
	const char *record_path;	/* events and scan results for --replay, NULL: none */
	bool live;			/* the probes feed it: look at /proc, make the log dir */
};

struct pipeline_stats {
	uint64_t events;
	uint64_t decode_errors;
	uint64_t by_type[EV_TYPE_MAX];
};

struct pipeline {
	struct procs procs;
	struct filetab files;
	struct rules rules;
	struct alert_out alerts;
	struct json json; /* the current event's line */
	FILE *events_out;
	FILE *record_out;
	struct pipeline_ops ops;
	struct pipeline_stats stats;
	bool live;
};

/* Returns 0 or a negative errno with the reason in @err. */
int pipeline_init(struct pipeline *pl, const struct pipeline_cfg *cfg,
		  const struct pipeline_ops *ops, char *err, size_t errlen);
void pipeline_free(struct pipeline *pl);
/* One ring-buffer record (or a recorded event rebuilt as one). */
void pipeline_event(struct pipeline *pl, const void *data, size_t size);
void pipeline_scan_done(struct pipeline *pl, const struct scan_request *rq,
			const struct scan_result *res);
/* A scan ops.scan could not queue (@queued: scans waiting): scan_backlog. */
void pipeline_scan_dropped(struct pipeline *pl, const struct scan_request *rq, unsigned int queued);
/* A close the kernel did for an exiting process (ops.flush_fds reports them here). */
void pipeline_flushed_close(struct pipeline *pl, const struct close_event *e);
/* Every second: expire exited processes, send the follow-ups of ended suppressions. */
void pipeline_tick(struct pipeline *pl, uint64_t now_ns);
/* The end: every suppression still open sends its follow-up; outputs are flushed. */
void pipeline_finish(struct pipeline *pl, uint64_t now_ns);
/* An alert made outside the rules (cprwatchctl test-alert) on the same way out. */
void pipeline_alert(struct pipeline *pl, const struct alert *a);
void pipeline_flush(struct pipeline *pl);

#endif
