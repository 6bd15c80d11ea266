// SPDX-License-Identifier: GPL-2.0
/*
 * Bench-only floor of the per-syscall tracepoints (bench/cost.sh): one empty
 * program, which bench/floor.c attaches to every tp/syscalls tracepoint the
 * agent's own object hooks (read from build/cprwatch.bpf.o, so the list is
 * always the agent's).  What the fallback hook design costs before any
 * filter runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_enter_getpid")
int floor_tp(void *ctx)
{
	return 0;
}
