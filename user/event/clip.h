/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Clipboard event names and helpers shared by the decoder, the JSON writer
 * and parser and the rules (the uprobe attacher is agent/clipboard.c).
 *
 * Content captured by the probes is scanned for CPR numbers in the agent and
 * dropped there: only the count travels on (clip_cpr_distinct()), never the
 * bytes.
 */
#ifndef CPRW_CLIP_H
#define CPRW_CLIP_H

#include <stdbool.h>
#include <string.h>
#include "cprwatch/events.h"

static inline const char *clip_op_name(__u32 op)
{
	static const char *const names[] = {
		[CLIP_TAKE] = "take", [CLIP_REQUEST] = "request",   [CLIP_SEND] = "send",
		[CLIP_READ] = "read", [CLIP_SET_TEXT] = "set_text", [CLIP_UNSEEN] = "unseen",
	};

	return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "unknown";
}

static inline const char *clip_api_name(__u32 api)
{
	static const char *const names[] = {
		[CLIP_API_XLIB] = "xlib", [CLIP_API_XCB] = "xcb", [CLIP_API_GTK3] = "gtk3",
		[CLIP_API_GTK4] = "gtk4", [CLIP_API_QT] = "qt",	  [CLIP_API_WAYLAND] = "wayland",
		[CLIP_API_TOOL] = "tool", [CLIP_API_X11] = "x11",
	};

	return api < sizeof(names) / sizeof(names[0]) && names[api] ? names[api] : "unknown";
}

static inline __u32 clip_op_from_name(const char *s)
{
	__u32 op;

	for (op = CLIP_TAKE; s && op <= CLIP_OP_LAST; op++)
		if (!strcmp(s, clip_op_name(op)))
			return op;
	return 0;
}

static inline __u32 clip_api_from_name(const char *s)
{
	__u32 api;

	for (api = CLIP_API_XLIB; s && api <= CLIP_API_LAST; api++)
		if (!strcmp(s, clip_api_name(api)))
			return api;
	return 0;
}

/*
 * Distinct CPR numbers the agent's scan found in the event's content.  The
 * kernel leaves cpr_distinct 0; the agent writes the count there
 * (into its own copy, after the content is dropped), and --replay reads it
 * back from the recording, so the rules see the same number either way.
 */
static inline __u32 clip_cpr_distinct(const struct clipboard_event *e)
{
	return e->cpr_distinct;
}

static inline void clip_set_cpr_distinct(struct clipboard_event *e, __u32 n)
{
	e->cpr_distinct = n;
}

/* Ops that carry the content itself (as opposed to ownership or a request). */
static inline bool clip_op_has_content(__u32 op)
{
	return op == CLIP_SEND || op == CLIP_SET_TEXT || op == CLIP_READ;
}

#endif
