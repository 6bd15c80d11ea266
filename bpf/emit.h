/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assembling and sending events: the per-CPU scratch record, the common
 * header, the ring buffer submit with drop accounting, and tracking state.
 */
#ifndef CPRW_BPF_EMIT_H
#define CPRW_BPF_EMIT_H

#include "maps.h"
#include <bpf/bpf_core_read.h>

static __always_inline void counter_add(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += n; /* per-CPU slot: no atomics needed */
}

/* A zeroed record buffer; events are assembled here, then copied by size. */
static __always_inline void *event_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&event_scratch, &zero);
}

static __always_inline struct proc_track *track_of(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid);
}

/* hot_tgids (maps.h): may @tgid have accounted fds or a tracked entry? */
static __always_inline bool maybe_hot(__u32 tgid)
{
	__u32 w = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&hot_tgids, &w);

	return !bits || (*bits & (1ULL << (tgid & 63)));
}

/* Call before adding @tgid to fd_files or tracked. */
static __always_inline void mark_hot(__u32 tgid)
{
	__u32 w = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&hot_tgids, &w);

	if (bits && !(*bits & (1ULL << (tgid & 63))))
		__sync_fetch_and_or(bits, 1ULL << (tgid & 63));
}

/* The last thread of @tgid is gone: no syscall of it can follow. */
static __always_inline void clear_hot(__u32 tgid)
{
	__u32 w = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&hot_tgids, &w);

	if (bits && (*bits & (1ULL << (tgid & 63))))
		__sync_fetch_and_and(bits, ~(1ULL << (tgid & 63)));
}

/* Start (or replace) the tracking state of @tgid. */
static __always_inline void track_set(__u32 tgid, struct proc_track *t)
{
	mark_hot(tgid);
	bpf_map_update_elem(&tracked, &tgid, t, BPF_ANY);
}

/* True when this process's file and network activity should go up. */
static __always_inline bool is_self(__u32 tgid)
{
	return self_tgid && tgid == self_tgid;
}

static __always_inline void fill_hdr(struct event_hdr *h, __u16 type, __u32 classes)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	h->type = type;
	h->flags = 0;
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = (__u32)id;
	h->tgid = id >> 32;
	h->uid = (__u32)ug;
	h->gid = ug >> 32;
	h->classes = classes;
	h->pad = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * Wake the reader only once this much is waiting: a wakeup per event costs
 * more than the probe itself (measured: fork/exit 16 us -> 3 us).  The
 * agent also polls every 100 ms, so an event waits at most that long.
 */
#define WAKEUP_BYTES (256 * 1024)

/*
 * Send the first @size bytes of @ev; @now wakes the reader at once.  The
 * mask keeps the verifier sure the copy stays inside the scratch buffer;
 * sizes are always below it.
 */
static __always_inline void submit_wake(void *ev, __u32 size, bool now)
{
	struct event_hdr *h = ev;
	__u64 flags;

	size &= EVENT_BUF_SIZE - 1;
	if (size < sizeof(*h))
		return;
	h->size = size;
	flags = now || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, ev, size, flags))
		counter_add(CNT_DROPS, 1);
	else
		counter_add(CNT_EVENTS, 1);
}

static __always_inline void submit(void *ev, __u32 size)
{
	submit_wake(ev, size, false);
}

#endif
