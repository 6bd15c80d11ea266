/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Clipboard events, shared by the library uprobes (bpf/clipboard.bpf.c) and
 * the X11 wire parser of the syscall dispatcher (bpf/x11_handlers.h): who is
 * watched, the paste window that lets a READ go up, and the event itself.
 */
#ifndef CPRW_BPF_CLIP_EMIT_H
#define CPRW_BPF_CLIP_EMIT_H

#include "maps.h"
#include "emit.h"

#define CLIP_MASK (CPRW_CLIP_DATA_MAX - 1)
#define READ_WINDOW_NS (10ULL * 1000000000ULL)
#define MAX_CLIP_PROCS 4096

/* X11 core request opcodes that move a selection or its content */
#define X_CHANGE_PROPERTY 18
#define X_GET_PROPERTY 20
#define X_SET_SELECTION_OWNER 22
#define X_CONVERT_SELECTION 24

/* tgid -> time of its latest REQUEST: a READ shortly after it is a paste. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CLIP_PROCS);
	__type(key, __u32);
	__type(value, __u64);
} clip_requests SEC(".maps") __weak;

/* Tracked (or trace_all), and not the agent; the process's classes in @classes. */
static __always_inline bool clip_wanted(__u32 tgid, __u32 *classes)
{
	struct proc_track *t;

	if (is_self(tgid))
		return false;
	t = track_of(tgid);
	*classes = t ? t->classes : 0;
	return t || trace_all;
}

static __always_inline __u32 cur_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void note_request(__u32 tgid)
{
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&clip_requests, &tgid, &now, BPF_ANY);
}

/* True when @tgid asked for a selection lately (and keeps the window open). */
static __always_inline bool recent_request(__u32 tgid)
{
	__u64 *ts = bpf_map_lookup_elem(&clip_requests, &tgid);
	__u64 now = bpf_ktime_get_ns();

	if (!ts || now - *ts > READ_WINDOW_NS)
		return false;
	*ts = now; /* INCR transfers read chunk after chunk */
	return true;
}

static __always_inline struct clipboard_event *clip_start(__u32 op, __u32 api, __u64 selection,
							  __u64 total, __u32 classes)
{
	struct clipboard_event *ev = event_buf();

	if (!ev)
		return NULL;
	fill_hdr(&ev->hdr, EV_CLIPBOARD, classes);
	ev->op = op;
	ev->api = api;
	ev->selection = selection;
	ev->total_len = total;
	ev->data_len = 0;
	ev->cpr_distinct = 0;
	return ev;
}

static __always_inline void clip_send(struct clipboard_event *ev)
{
	submit(ev, sizeof(*ev) + (ev->data_len & (2 * CPRW_CLIP_DATA_MAX - 1)));
}

/* An event with no content. */
static __always_inline void clip_op(__u32 op, __u32 api, __u64 selection, __u32 classes)
{
	struct clipboard_event *ev = clip_start(op, api, selection, 0, classes);

	if (ev)
		clip_send(ev);
}

static __always_inline __u32 le32(const __u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

#endif
