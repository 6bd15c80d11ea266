// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring requests: file and network operations that never pass a syscall
 * hook.  Accounted as their syscalls are, by the same handlers
 * (bpf/file_handlers.h, bpf/net_handlers.h):
 *
 *   - io_uring_complete (every CQE of the machine): opens (the fd from
 *     cqe->res, the path built from the opened struct file; a direct open
 *     into a fixed-file slot takes the file from the ring's table), bytes
 *     of reads, writes and splices (added to the struct file's totals: no fd
 *     lookup, req->file is the file), closes, connects and accepts;
 *   - io_uring_submit_req: a write by a CPR client or a tainted process to
 *     an fd it opened before it became one (adopt_fd), which needs the fd
 *     the SQE named (completion has overwritten it);
 *   - io_uring_create: the setup event of a tracked or tainted process
 *     (bpf/iouring_handlers.h; the io_uring_setup syscall reports it where
 *     these programs are not loaded).
 *
 * SEND/SENDMSG need nothing here: TCP bytes are read from the socket at its
 * close (bpf/net.bpf.c), whoever sent them.
 *
 * Which process: requests run in the submitter's task (inline and through
 * task_work), in its io-wq workers or in its SQPOLL thread; all of them are
 * threads of the submitting process (create_io_thread), sharing its files,
 * so `current` gives the tgid and the fd table.  A completion posted by a
 * task of another process (a request sent to this ring with MSG_RING) is
 * skipped: it is the other process's to account.
 *
 * Untracked processes: a CQE whose opcode is not one of these costs a
 * switch; a read or write one hot_tgids array lookup (a process with no
 * accounted fd and no tracked entry has nothing to add to, as at the
 * syscalls' exit); an open what the syscall's exit costs (open_account:
 * tainted + tracked, f_mode); an SQE a switch, a write SQE one array lookup.
 *
 * The tracepoints' arguments changed shape over kernels (io_uring_complete
 * passes the CQE since 6.3, io_uring_submit_req only the request since
 * 6.1); user/agent/loader.c checks the shapes in the kernel's BTF and
 * leaves these programs out where they differ.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "iouring_handlers.h"
#include "x11_handlers.h"

char LICENSE[] SEC("license") = "GPL";

#define IORING_FILE_INDEX_ALLOC_VAL (~0U)
#define SPLICE_F_FD_IN_FIXED_VAL (1U << 31)
#define FFS_MASK_VAL (~3UL) /* io_rsrc_node file_ptr: FFS_NOWAIT | FFS_ISREG in the low bits */

/* Kernels before 6.13 named the submitter's task in the request itself. */
struct io_kiocb___task {
	struct task_struct *task;
};

/* The process that submitted @req, or 0 when not known. */
static __always_inline __u32 submitter_tgid(struct io_kiocb *req)
{
	struct task_struct *task;

	if (bpf_core_field_exists(req->tctx))
		task = BPF_CORE_READ(req, tctx, task);
	else if (bpf_core_field_exists(((struct io_kiocb___task *)req)->task))
		task = BPF_CORE_READ((struct io_kiocb___task *)req, task);
	else
		return bpf_get_current_pid_tgid() >> 32;
	return task ? BPF_CORE_READ(task, tgid) : 0;
}

/* The file in fixed-file slot @slot of @ctx (6.13+ resource nodes), or NULL. */
static __always_inline struct file *fixed_file(struct io_ring_ctx *ctx, __u32 slot)
{
	struct io_rsrc_node **nodes, *node = NULL;

	if (!bpf_core_field_exists(ctx->file_table.data.nodes) ||
	    !bpf_core_field_exists(node->file_ptr))
		return NULL;
	if (slot >= BPF_CORE_READ(ctx, file_table.data.nr))
		return NULL;
	nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
	bpf_probe_read_kernel(&node, sizeof(node), &nodes[slot]);
	if (!node)
		return NULL;
	return (struct file *)(BPF_CORE_READ(node, file_ptr) & FFS_MASK_VAL);
}

/* IORING_OP_OPENAT/OPENAT2 completed with @res: an fd, or a fixed-file slot. */
static __always_inline void iou_open(__u32 tgid, struct io_ring_ctx *ctx, struct io_kiocb *req,
				     int res)
{
	struct io_open *op = (struct io_open *)req;
	struct pending p = { .kind = PEND_OPEN };
	__u32 slot = BPF_CORE_READ(op, file_slot);
	struct file *f;

	/* failed opens are not reported: the name was freed at completion */
	if (res < 0 || is_self(tgid))
		return;
	p.flags = BPF_CORE_READ(op, how.flags);
	p.mode = BPF_CORE_READ(op, how.mode);
	if (!slot) {
		f = fd_file(res);
		if (f)
			open_account(tgid, res, res, f, &p, wants_events(tgid), EVF_IOURING);
		return;
	}
	slot = slot == IORING_FILE_INDEX_ALLOC_VAL ? res : slot - 1;
	f = fixed_file(ctx, slot);
	if (f)
		open_account(tgid, fixed_fd(slot), slot, f, &p, wants_events(tgid),
			     EVF_IOURING | EVF_FIXED_FILE);
}

static __always_inline void iou_close(__u32 tgid, struct io_kiocb *req)
{
	struct io_close *op = (struct io_close *)req;
	__u32 slot = BPF_CORE_READ(op, file_slot);

	fd_release(tgid, slot ? fixed_fd(slot - 1) : BPF_CORE_READ(op, fd), EVF_IOURING);
}

/* Bytes a splice moved: out of the file named by the SQE's splice_fd_in, into req->file. */
static __always_inline void iou_splice(__u32 tgid, struct io_kiocb *req, long res)
{
	struct io_splice *sp = (struct io_splice *)req;
	struct file_io *io;
	__u64 fp = (__u64)BPF_CORE_READ(sp, file_out);

	if (!(BPF_CORE_READ(sp, flags) & SPLICE_F_FD_IN_FIXED_VAL) &&
	    (io = io_of(tgid, BPF_CORE_READ(sp, splice_fd_in))))
		io_add_read(io, res);
	io = bpf_map_lookup_elem(&file_io, &fp);
	if (io)
		io_add_write(io, res);
	x11_unseen((struct file *)fp, res);
}

/* clang-format off */
#define IOU_READS IORING_OP_READ: case IORING_OP_READV: case IORING_OP_READ_FIXED
#define IOU_WRITES IORING_OP_WRITE: case IORING_OP_WRITEV: case IORING_OP_WRITE_FIXED
#define IOU_OPENS IORING_OP_OPENAT: case IORING_OP_OPENAT2
#define IOU_SENDS IORING_OP_SEND: case IORING_OP_SENDMSG: case IORING_OP_SEND_ZC: \
	case IORING_OP_SENDMSG_ZC
/* clang-format on */

SEC("tp_btf/io_uring_complete")
int BPF_PROG(iou_complete, struct io_ring_ctx *ring, void *reqp, struct io_uring_cqe *cqe)
{
	struct io_kiocb *req = reqp;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file_io *io;
	__u64 fp;
	int res;
	__u8 op;

	if (!req) /* a CQE of no request (MSG_RING data, overflow flush) */
		return 0;
	op = BPF_CORE_READ(req, opcode);
	switch (op) {
	case IOU_READS:
	case IOU_WRITES:
		/* no accounted fd, no tracked entry (hot_tgids): nothing of ours to add to */
		if (!maybe_hot(tgid))
			return 0;
		res = cqe->res;
		fp = (__u64)BPF_CORE_READ(req, file);
		if (res <= 0)
			return 0;
		if (op == IORING_OP_WRITE || op == IORING_OP_WRITEV || op == IORING_OP_WRITE_FIXED)
			x11_unseen((struct file *)fp, res); /* to an X server: not readable here */
		if (!(io = bpf_map_lookup_elem(&file_io, &fp)))
			return 0;
		if (op == IORING_OP_READ || op == IORING_OP_READV || op == IORING_OP_READ_FIXED)
			io_add_read(io, res);
		else
			io_add_write(io, res);
		return 0;
	case IOU_SENDS:
		if (maybe_hot(tgid))
			x11_unseen(BPF_CORE_READ(req, file), cqe->res);
		return 0;
	case IOU_OPENS:
	case IORING_OP_CLOSE:
	case IORING_OP_SPLICE:
	case IORING_OP_CONNECT:
	case IORING_OP_ACCEPT:
		break;
	default:
		return 0;
	}
	if (submitter_tgid(req) != tgid)
		return 0;
	res = cqe->res;
	switch (op) {
	case IOU_OPENS:
		iou_open(tgid, ring, req, res);
		break;
	case IORING_OP_CLOSE:
		if (!res)
			iou_close(tgid, req);
		break;
	case IORING_OP_SPLICE:
		if (res > 0)
			iou_splice(tgid, req, res);
		break;
	case IORING_OP_CONNECT:
		/* the fd was overwritten by the CQE's flags: -1, the peer from the socket */
		if (wants_net(tgid))
			emit_conn(tgid, false, res, -1, NULL,
				  sock_of_file(BPF_CORE_READ(req, file)), EVF_IOURING);
		break;
	case IORING_OP_ACCEPT:
		if (wants_net(tgid))
			emit_conn(tgid, true, res, res, NULL, res >= 0 ? sock_of_fd(res) : NULL,
				  EVF_IOURING);
		break;
	}
	return 0;
}

/*
 * A write's fd is known only at submission (the CQE's flags overwrite it):
 * adopt it here as the syscall's exit does.  Costs an untracked process
 * two lookups per write SQE to an fd nobody accounts, like write(2).
 */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(iou_submit, struct io_kiocb *req)
{
	__u32 tgid;
	int fd;

	/* a typed argument: direct loads, no helper call, for every SQE of the machine */
	switch (req->opcode) {
	case IOU_WRITES:
		break;
	default:
		return 0;
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!maybe_hot(tgid) || !(classes_of(tgid) & (CLASS_CPR_CLIENT | CLASS_TAINTED)))
		return 0; /* untracked: one array lookup */
	if (req->flags & REQ_F_FIXED_FILE)
		return 0; /* a fixed file is accounted from its direct open */
	fd = req->cqe.fd;
	if (!fd_accounted(tgid, fd))
		adopt_fd(tgid, fd);
	return 0;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(iou_create, int fd, void *ring, __u32 sq_entries, __u32 cq_entries, __u32 flags)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (wants_events(tgid))
		emit_iouring_setup(tgid, fd, flags, sq_entries, cq_entries);
	return 0;
}

/*
 * Where the programs above are not loaded, the setup is seen at the
 * syscall (the raw dispatcher calls iou_setup_exit_args; these are its
 * per-syscall tracepoint fallback).
 */
SEC("tp/syscalls/sys_enter_io_uring_setup")
int enter_io_uring_setup(struct trace_event_raw_sys_enter *ctx)
{
	return iou_setup_enter((const void *)ctx->args[1]);
}

SEC("tp/syscalls/sys_exit_io_uring_setup")
int exit_io_uring_setup(struct trace_event_raw_sys_exit *ctx)
{
	return iou_setup_exit(ctx->ret);
}
