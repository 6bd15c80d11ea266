/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The reverse of event_json: a recorded JSON event back into the kernel's
 * record layout, so --replay runs the very code the live agent runs.
 */
#ifndef CPRW_EVENT_PARSE_H
#define CPRW_EVENT_PARSE_H

#include <stddef.h>
#include "lib/json_parse.h"

#define EVENT_PARSE_BUF 16384 /* >= the largest record: a rename with two full paths */

/*
 * Fill @buf (EVENT_PARSE_BUF bytes) from @obj.  Returns the record size, or
 * -EINVAL with the reason in @err.  Returns 0 for a line that is not an
 * event (an alert, a scan result): the caller looks at it.
 */
int event_from_json(const struct jval *obj, void *buf, size_t cap, char *err, size_t errlen);
/* "maj:min" -> kernel dev_t; false when malformed. */
bool event_parse_kdev(const char *s, __u64 *out);
/* Class names array -> bits. */
__u32 event_parse_classes(const struct jval *arr);

#endif
