// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cprwatchd --replay FILE: the rules over a recording (cprwatchd --record),
 * without root or probes.  Events go through agent_handle() exactly as live
 * ones do; recorded scan results stand in for the scanner.  A bad line is
 * reported with its number and skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "event/event_parse.h"
#include "lib/json_parse.h"
#include "lib/log.h"
#include "scan/scan_json.h"

#define LINE_MAX_BYTES (1 << 20)
#define BAD_LINES_LOGGED 20

/* The first event's wall-clock time anchors the recording's monotonic clock. */
static void anchor_clock(struct agent *a, const struct jval *obj, bool *anchored)
{
	uint64_t real, mono;

	if (*anchored || !parse_time(jobj_str(obj, "time"), &real) ||
	    !jobj_u64(obj, "ts_ns", &mono))
		return;
	a->clock_offset = (int64_t)(real - mono);
	a->alerts.clock_offset = a->clock_offset;
	a->rules.clock_offset = a->clock_offset;
	*anchored = true;
}

static int replay_line(struct agent *a, const char *line, size_t len, void *buf, bool *anchored,
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
	anchor_clock(a, &obj, anchored);
	ret = event_from_json(&obj, buf, EVENT_PARSE_BUF, err, errlen);
	if (ret > 0) {
		agent_handle(a, buf, ret);
		ret = 0;
	} else if (ret == 0) {
		kind = jobj_str(&obj, "event");
		if (kind && !strcmp(kind, "scan")) {
			ret = scan_from_json(&obj, &rq, &res, err, errlen);
			if (!ret) {
				agent_scan_done(a, &rq, &res);
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

static int replay_file(struct agent *a, FILE *f, const char *name)
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
		} else if (!replay_line(a, line, n, buf, &anchored, err, sizeof(err))) {
			good++;
			continue;
		}
		if (bad++ < BAD_LINES_LOGGED)
			log_warn("%s:%lu: skipped: %s", name, lineno, err);
	}
	rules_tick(&a->rules, a->rules.now_ns, true);
	log_info("%s: %lu lines replayed, %lu skipped, %llu alerts", name, good, bad,
		 (unsigned long long)a->alerts.emitted);
	if (bad)
		log_warn("%s: %lu malformed lines were skipped", name, bad);
	free(line);
	free(buf);
	return 0;
}

int agent_replay_stream(struct agent *a, FILE *f, const char *name)
{
	return replay_file(a, f, name);
}

int agent_replay(const struct agent_opts *opts)
{
	struct agent a = { .opts = *opts, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	char err[CONFIG_ERR_MAX];
	int code = 1;
	FILE *f;

	/* replay never writes the live agent's alert log unless asked to */
	a.opts.alert_log = opts->alert_log ? opts->alert_log : "";
	if ((opts->config_path ? config_load_unchecked(&a.cfg, opts->config_path, err, sizeof(err)) :
				 config_load(&a.cfg, NULL, err, sizeof(err)))) {
		log_err("%s", err);
		return 2;
	}
	f = strcmp(opts->replay_path, "-") ? fopen(opts->replay_path, "re") : stdin;
	if (!f) {
		log_err("cannot read %s: %s", opts->replay_path, strerror(errno));
		config_free(&a.cfg);
		return 2;
	}
	if (agent_init_pipeline(&a, false, err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	if (!replay_file(&a, f, opts->replay_path))
		code = 0;
out:
	if (f != stdin)
		fclose(f);
	agent_cleanup(&a);
	return code;
}
