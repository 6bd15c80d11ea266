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

/* Monotonic event time -> wall clock: add this offset (see clock_offset_ns). */
int64_t clock_offset_ns(void);
/* RFC 3339 UTC with microseconds into @buf (>= 32 bytes). */
const char *format_time(uint64_t real_ns, char *buf, size_t len);

/* Append one event object (no newline) to @j.  @p may be NULL. */
void event_json(struct json *j, const struct event *ev, const struct proc *p, int64_t offset_ns);

#endif
