/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The clipboard channel: uprobes (bpf/clipboard.bpf.c) on every copy of the
 * X11, xcb, GTK, Qt and Wayland client libraries found on the machine, one
 * per (library file, symbol), each with its status, registered with the
 * per-process uprobes (uprobes_proc.h) so they are attached to tracked
 * processes only; and the names and helpers the event, JSON and rule code
 * share.
 *
 * Content captured by the probes is scanned for CPR numbers in the agent and
 * dropped there: only the count travels on (clip_cpr_distinct()), never the
 * bytes.
 */
#ifndef CPRW_CLIPBOARD_H
#define CPRW_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "cprwatch/events.h"

struct loader;

/* One (library file, symbol) and what became of it. */
struct clip_probe {
	char lib[48];		/* the library's soname, "libX11.so.6" */
	char path[256];		/* the file attached to; "" when no copy was found */
	char symbol[80];
	const char *prog;	/* BPF program name */
	bool ready;		/* registered: attached to every tracked process */
	int err;		/* -errno of a failed attach, 0 otherwise */
	char note[96];		/* why it is not attached */
};

struct clip_probes {
	struct clip_probe *probes;
	size_t nr, cap;
};

struct uprobes_proc;

/*
 * Find the libraries and register every clipboard program on them with @up;
 * each probe and its status is logged at info level and kept in *@out (free
 * it with clipboard_free).  A library that is not installed is a note, not
 * an error.  Returns the number of probes ready, or -errno.
 */
int clipboard_register(struct loader *ld, struct uprobes_proc *up, struct clip_probes **out);
/* Free @cp (NULL is fine); the links belong to the uprobes_proc. */
void clipboard_free(struct clip_probes *cp);
/*
 * The probes as a JSON array for status: library, path, symbol, program,
 * ready, note (why not).  @cp may be NULL (replay: an empty array).
 */
struct json;
void clipboard_status_json(struct json *j, const struct clip_probes *cp);

static inline const char *clip_op_name(__u32 op)
{
	static const char *const names[] = {
		[CLIP_TAKE] = "take", [CLIP_REQUEST] = "request", [CLIP_SEND] = "send",
		[CLIP_READ] = "read", [CLIP_SET_TEXT] = "set_text",
	};

	return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "unknown";
}

static inline const char *clip_api_name(__u32 api)
{
	static const char *const names[] = {
		[CLIP_API_XLIB] = "xlib", [CLIP_API_XCB] = "xcb", [CLIP_API_GTK3] = "gtk3",
		[CLIP_API_GTK4] = "gtk4", [CLIP_API_QT] = "qt", [CLIP_API_WAYLAND] = "wayland",
		[CLIP_API_TOOL] = "tool",
	};

	return api < sizeof(names) / sizeof(names[0]) && names[api] ? names[api] : "unknown";
}

static inline __u32 clip_op_from_name(const char *s)
{
	__u32 op;

	for (op = CLIP_TAKE; s && op <= CLIP_SET_TEXT; op++)
		if (!strcmp(s, clip_op_name(op)))
			return op;
	return 0;
}

static inline __u32 clip_api_from_name(const char *s)
{
	__u32 api;

	for (api = CLIP_API_XLIB; s && api <= CLIP_API_TOOL; api++)
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
