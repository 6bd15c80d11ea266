/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The alert schema and its local outputs (stdout, the JSON-lines alert log).
 * An alert carries counts and masked samples ("DDMMYY-XXXX") only: a raw CPR
 * number never reaches this module.
 */
#ifndef CPRW_ALERTS_H
#define CPRW_ALERTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/cpr.h"
#include "cprwatch/events.h"
#include "lib/json.h"
#include "event/procs.h"

enum severity {
	SEV_LOW = 1,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL,
};

/* "low" ... "critical"; "none" for 0, "unknown" past the end. */
const char *alert_severity_name(unsigned int sev);
/* The severity an alert's JSON line carries (SEV_*), 0 when it has none: the spool's rank. */
unsigned int alert_json_severity(const void *json, size_t len);

/* What the clipboard rules know of the selection's owner. */
struct alert_clipboard {
	__u32 owner_pid; /* the process that held the content */
	const char *owner_exe;
	__u64 selection; /* X atom, 1 PRIMARY, 0 unknown or a toolkit's clipboard */
	const char *op;	 /* what the alert's process did: request, ... */
	const char *api; /* through which library: xlib, xcb, gtk3, qt, ... */
};

struct alert {
	const char *rule;
	unsigned int severity; /* enum severity */
	char summary[256];
	uint64_t ts_ns; /* monotonic, of the event that fired it */
	__u32 tgid;
	__u32 uid;
	__u32 loginuid;
	const char *path; /* the file, or NULL */
	struct file_id file;
	bool has_origin; /* a tainted file: the export it came from */
	struct file_id origin;
	const char *origin_path;
	uint64_t origin_cpr;	     /* distinct CPR numbers the origin's scan found */
	const struct cpr_stats *cpr; /* scan counts, or NULL */
	const char *scan_problem;    /* scan refused or failed: why */
	uint64_t count;		     /* files, look-ups, ... (rule-specific) */
	uint64_t bytes;
	const char *peer;			 /* "addr:port" for network rules */
	uint64_t suppressed;			 /* a follow-up: repeats folded into this one */
	uint64_t persons;			 /* persons_viewed: distinct persons today */
	bool has_baseline;			 /* persons_viewed: a trailing daily mean exists */
	uint64_t baseline;			 /* ... and it is this */
	unsigned int baseline_days;		 /* ... over this many days */
	const struct alert_clipboard *clipboard; /* clipboard rules, or NULL */
	const char *const *files;		 /* the files a cumulative count is made of */
	unsigned int nr_files;
};

#define ALERTS_RECENT 1000 /* kept in memory for `cprwatchctl alerts` */

/* The latest alerts as sent, newest last. */
struct alert_recent {
	char *json; /* the line without its newline */
	uint64_t real_ns;
	char rule[32];
};

struct alert_out {
	FILE *log; /* alert log, or NULL */
	bool to_stdout;
	char host[256];
	struct json j;	  /* the last alert's JSON line, newline included */
	char last_id[37]; /* and its id */
	uint64_t emitted;
	struct alert_recent recent[ALERTS_RECENT]; /* a ring */
	uint64_t recent_next;			   /* alerts ever put in it */
};

/* The [output] settings of the agent's config (agent/config.c fills them). */
struct alert_out_config {
	const char *log; /* JSON-lines alert log, NULL or "": none */
	bool to_stdout;	 /* also print alerts on stdout (foreground) */
};

int alert_out_open(struct alert_out *o, const struct alert_out_config *cfg, char *err,
		   size_t errlen);
void alert_out_close(struct alert_out *o);
/*
 * Render @a (with its process chain from @pt), write it to every output and
 * keep it in the recent ring.  o->j then holds the line (newline included),
 * empty when it could not be rendered.
 */
void alert_emit(struct alert_out *o, const struct alert *a, const struct procs *pt);
/*
 * "alerts": the newest @limit alerts of the recent ring at or after
 * @since_ns (wall clock) and of rule @rule (NULL: any), oldest first; then
 * "truncated": whether older ones matched too.
 */
void alert_recent_json(const struct alert_out *o, uint64_t since_ns, const char *rule,
		       uint64_t limit, struct json *out);
/* The JSON object only, into @j (for tests and other sinks). */
void alert_json(struct json *j, const struct alert *a, const struct procs *pt, const char *host,
		int64_t clock_offset, const char *id);
/* A random RFC 4122 version 4 id into @buf (37 bytes). */
void alert_new_id(char buf[37]);

#endif
