// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cprwatchd --replay FILE: the rules over a recording (cprwatchd --record),
 * without root or probes.  Events go through pipeline_event() exactly as
 * live ones do; recorded scan results stand in for the scanner.  A bad line
 * is reported with its number and skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "replay.h"
#include "event/event_parse.h"
#include "lib/json_parse.h"
#include "lib/log.h"
#include "scan/scan_json.h"
#include "lib/time.h"

#define LINE_MAX_BYTES (1 << 20)
#define BAD_LINES_LOGGED 20

/* The first event's wall-clock time anchors the recording's monotonic clock. */
static void anchor_clock(const struct jval *obj, bool *anchored)
{
	struct time_stamp real;
	uint64_t mono;

	if (*anchored || time_parse_rfc3339(jobj_str(obj, "time"), &real) ||
	    !jobj_u64(obj, "ts_ns", &mono))
		return;
	time_set_mono_offset((int64_t)(real.ns - mono));
	*anchored = true;
}

static int replay_line(struct pipeline *pl, const char *line, size_t len, void *buf, bool *anchored,
		       char *err, size_t errlen)
{
	struct scan_request rq;
	struct scan_result res;
	struct jval obj;
	const char *kind;
	int ret;

	ret = json_parse(line, len, &obj, err, errlen);
	if (ret)
		return ret;
	anchor_clock(&obj, anchored);
	ret = event_from_json(&obj, buf, EVENT_PARSE_BUF, err, errlen);
	if (ret > 0) {
		pipeline_event(pl, buf, ret);
		ret = 0;
	} else if (ret == 0) {
		kind = jobj_str(&obj, "event");
		if (kind && !strcmp(kind, "scan")) {
			ret = scan_from_json(&obj, &rq, &res, err, errlen);
			if (!ret) {
				pipeline_scan_done(pl, &rq, &res);
				free(rq.path);
				scan_result_release(&res);
			}
		} else if (!jobj_get(&obj, "alert_id")) {
			snprintf(err, errlen, "neither an event nor a scan result");
			ret = -EINVAL;
		}
	}
	jval_free(&obj);
	return ret;
}

int replay_stream(struct pipeline *pl, FILE *f, const char *name)
{
	unsigned long lineno = 0, bad = 0, good = 0;
	char *line = NULL, err[256];
	size_t cap = 0;
	bool anchored = false;
	void *buf = malloc(EVENT_PARSE_BUF);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (!n)
			continue;
		if (n > LINE_MAX_BYTES) {
			snprintf(err, sizeof(err), "line longer than %d bytes", LINE_MAX_BYTES);
		} else if (!replay_line(pl, line, n, buf, &anchored, err, sizeof(err))) {
			good++;
			continue;
		}
		if (bad++ < BAD_LINES_LOGGED)
			log_warn("%s:%lu: skipped: %s", name, lineno, err);
	}
	pipeline_finish(pl, pl->rules.now_ns);
	log_info("%s: %lu lines replayed, %lu skipped, %llu alerts", name, good, bad,
		 (unsigned long long)pl->alerts.emitted);
	if (bad)
		log_warn("%s: %lu malformed lines were skipped", name, bad);
	free(line);
	free(buf);
	return 0;
}

int replay_run(const struct replay_opts *opts)
{
	struct pipeline_cfg cfg = {
		/* replay never writes the live agent's alert log unless asked to */
		.alerts = { .log = opts->alert_log, .to_stdout = true },
		.events_path = opts->events_path,
		.record_path = opts->record_path,
		.live = false,
	};
	struct pipeline pl = { 0 };
	char err[CONFIG_ERR_MAX];
	struct config conf = { 0 };
	int code = 1;
	FILE *f;

	if ((opts->config_path ? config_load_unchecked(&conf, opts->config_path, err, sizeof(err)) :
				 config_load(&conf, NULL, err, sizeof(err)))) {
		log_err("%s", err);
		return 2;
	}
	f = strcmp(opts->path, "-") ? fopen(opts->path, "re") : stdin;
	if (!f) {
		log_err("cannot read %s: %s", opts->path, strerror(errno));
		config_free(&conf);
		return 2;
	}
	cfg.rules = &conf.rules;
	if (pipeline_init(&pl, &cfg, NULL, err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	if (!replay_stream(&pl, f, opts->path))
		code = 0;
out:
	if (f != stdin)
		fclose(f);
	pipeline_free(&pl);
	config_free(&conf);
	return code;
}
