/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring_setup event, from two places: the io_uring_create tracepoint
 * (bpf/io_uring.bpf.c) where the io_uring programs are loaded, and the
 * io_uring_setup syscall (the raw dispatcher in bpf/syscalls.bpf.c, the
 * per-syscall tracepoints in bpf/io_uring.bpf.c) where they are not, so a
 * tracked process that turns to io_uring is reported even on a kernel whose
 * io_uring requests the agent cannot see.
 */
#ifndef CPRW_BPF_IOURING_HANDLERS_H
#define CPRW_BPF_IOURING_HANDLERS_H

#include "file_handlers.h"
#include "net_handlers.h"

/* Set by the loader: the io_uring programs are loaded (io_uring_create reports setups). */
const volatile bool iouring_probes __weak = false;

static __always_inline void emit_iouring_setup(__u32 tgid, int fd, __u32 flags, __u32 sq, __u32 cq)
{
	struct iouring_setup_event *ev = event_buf();

	if (!ev)
		return;
	fill_hdr(&ev->hdr, EV_IOURING_SETUP, classes_of(tgid));
	ev->fd = fd;
	ev->flags = flags;
	ev->sq_entries = sq;
	ev->cq_entries = cq;
	submit(ev, sizeof(*ev));
}

/*
 * io_uring_setup(entries, params) returned @ret (the ring's fd): the kernel
 * has written the ring's sizes back into the caller's params.  Untracked
 * processes: one lookup per io_uring_setup.
 */
static __always_inline int iou_setup_exit_args(const struct io_uring_params *up, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct io_uring_params p = {};

	if (iouring_probes || !wants_events(tgid))
		return 0;
	if (ret >= 0)
		bpf_probe_read_user(&p, sizeof(p), up);
	emit_iouring_setup(tgid, ret, p.flags, p.sq_entries, p.cq_entries);
	return 0;
}

/* The per-syscall tracepoints' pair: the params pointer travels in `pending`. */
static __always_inline int iou_setup_enter(const void *params)
{
	struct pending p = { .kind = PEND_IOU_SETUP, .name = params };

	if (iouring_probes || !wants_events(bpf_get_current_pid_tgid() >> 32))
		return 0;
	pend(&p);
	return 0;
}

static __always_inline int iou_setup_exit(long ret)
{
	struct pending p;

	if (!unpend(&p, PEND_IOU_SETUP))
		return 0;
	return iou_setup_exit_args((const struct io_uring_params *)p.name, ret);
}

#endif
