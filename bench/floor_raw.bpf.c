// SPDX-License-Identifier: GPL-2.0
/*
 * Bench-only floor of the raw syscall dispatch (bench/cost.sh): an empty
 * program on each of the raw sys_enter and sys_exit tracepoints, the hook
 * type bpf/syscalls.bpf.c uses.  What any program there costs before doing
 * anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
