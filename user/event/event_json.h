/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The JSON-lines event schema (README "Event stream"): one object per
 * decoded event, enriched from the process table.
 */
#ifndef CPRW_EVENT_JSON_H
#define CPRW_EVENT_JSON_H

#include <stdint.h>
#include "decode.h"
#include "lib/json.h"
#include "procs.h"

/*
 * Append one event object (no newline) to @j.  @p may be NULL; @offset_ns
 * turns the event's monotonic time into wall-clock time (time_mono_offset()).
 */
void event_json(struct json *j, const struct event *ev, const struct proc *p, int64_t offset_ns);

#endif
