// SPDX-License-Identifier: GPL-2.0
/*
 * Bench-only floor of the io_uring hooks (bench/cost.sh, part iouring): an
 * empty program on each of the io_uring_submit_req and io_uring_complete
 * raw tracepoints bpf/io_uring.bpf.c uses.  What any program there costs
 * every io_uring request before doing anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(floor_iou_submit, struct io_kiocb *req)
{
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(floor_iou_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	return 0;
}
