/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cprwatchd --replay FILE: the rules over a recording (cprwatchd --record),
 * without root or probes, through the same pipeline as live events.
 */
#ifndef CPRW_REPLAY_H
#define CPRW_REPLAY_H

#include <stdio.h>
#include "pipeline.h"

struct replay_opts {
	const char *path;	 /* the recording, "-": stdin */
	const char *config_path; /* NULL: the default config */
	const char *alert_log;	 /* NULL: none (never the live agent's) */
	const char *events_path; /* JSON lines of every event, NULL: none */
	const char *record_path; /* a new recording, NULL: none */
};

/* Returns a process exit code: 0, 1 on failure, 2 on a bad config or recording path. */
int replay_run(const struct replay_opts *opts);
/*
 * The lines of @f (named @name in messages) through @pl (set up with
 * cfg.live false); suppression windows still open at the end are flushed.
 * Returns 0 (bad lines are skipped and counted in the log).
 */
int replay_stream(struct pipeline *pl, FILE *f, const char *name);

#endif
