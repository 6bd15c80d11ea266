// SPDX-License-Identifier: GPL-2.0
/*
 * File syscalls through the per-syscall tracepoints: the fallback for
 * kernels where the raw dispatcher (bpf/syscalls.bpf.c) does not load.  The
 * loader enables either these programs or the dispatcher, never both; the
 * logic lives in bpf/file_handlers.h and is shared by both.
 *
 * Each program here runs through the perf tracepoint path (a record built
 * and copied per call) for every process before any filter can run:
 * measured 1.13x CPU on a syscall-heavy workload with empty programs, which
 * is why it is only the fallback.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "file_handlers.h"

char LICENSE[] SEC("license") = "GPL";

#define ARG(n) ((int)ctx->args[n])
#define PTR(n) ((void *)ctx->args[n])

#define EXIT_PROBE(sc, handler)                             \
	SEC("tp/syscalls/sys_exit_" #sc)                    \
	int exit_##sc(struct trace_event_raw_sys_exit *ctx) \
	{                                                   \
		return handler(ctx->ret);                   \
	}

/* ---- open ---------------------------------------------------------------- */

SEC("tp/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(PTR(1), ctx->args[2], ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(PTR(0), ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_creat")
int enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return creat_enter(PTR(0), ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	return openat2_enter(PTR(1), PTR(2));
}

EXIT_PROBE(openat, open_exit)
EXIT_PROBE(open, open_exit)
EXIT_PROBE(creat, open_exit)
EXIT_PROBE(openat2, open_exit)

/* ---- read / write accounting --------------------------------------------- */

#define IO_PROBES(sc, in_expr, out_expr)                      \
	SEC("tp/syscalls/sys_enter_" #sc)                     \
	int enter_##sc(struct trace_event_raw_sys_enter *ctx) \
	{                                                     \
		return io_enter(in_expr, out_expr);           \
	}                                                     \
	EXIT_PROBE(sc, io_exit)

IO_PROBES(read, ARG(0), -1)
IO_PROBES(readv, ARG(0), -1)
IO_PROBES(pread64, ARG(0), -1)
IO_PROBES(preadv, ARG(0), -1)
IO_PROBES(preadv2, ARG(0), -1)
IO_PROBES(write, -1, ARG(0))
IO_PROBES(writev, -1, ARG(0))
IO_PROBES(pwrite64, -1, ARG(0))
IO_PROBES(pwritev, -1, ARG(0))
IO_PROBES(pwritev2, -1, ARG(0))
IO_PROBES(sendfile64, ARG(1), ARG(0))
IO_PROBES(copy_file_range, ARG(0), ARG(2))
IO_PROBES(splice, ARG(0), ARG(2))

/* ---- close and dup --------------------------------------------------------- */

SEC("tp/syscalls/sys_enter_mmap")
int enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	return mmap_enter(ARG(4), ARG(2), ARG(3));
}
EXIT_PROBE(mmap, mmap_exit)

SEC("tp/syscalls/sys_enter_munmap")
int enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	return munmap_enter(ctx->args[0]);
}
EXIT_PROBE(munmap, munmap_exit)

SEC("tp/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	return close_enter(ARG(0));
}

SEC("tp/syscalls/sys_enter_dup")
int enter_dup(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ARG(0), -1);
}

SEC("tp/syscalls/sys_enter_dup2")
int enter_dup2(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ARG(0), ARG(1));
}

SEC("tp/syscalls/sys_enter_dup3")
int enter_dup3(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ARG(0), ARG(1));
}

SEC("tp/syscalls/sys_enter_fcntl")
int enter_fcntl(struct trace_event_raw_sys_enter *ctx)
{
	return fcntl_enter(ARG(0), ARG(1));
}

EXIT_PROBE(dup, dup_exit)
EXIT_PROBE(dup2, dup_exit)
EXIT_PROBE(dup3, dup_exit)
EXIT_PROBE(fcntl, dup_exit)

/* ---- rename and unlink (tracked processes) ----------------------------------- */

SEC("tp/syscalls/sys_enter_rename")
int enter_rename(struct trace_event_raw_sys_enter *ctx)
{
	return rename_enter(AT_FDCWD_VAL, PTR(0), AT_FDCWD_VAL, PTR(1), 0);
}

SEC("tp/syscalls/sys_enter_renameat")
int enter_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return rename_enter(ARG(0), PTR(1), ARG(2), PTR(3), 0);
}

SEC("tp/syscalls/sys_enter_renameat2")
int enter_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return rename_enter(ARG(0), PTR(1), ARG(2), PTR(3), ctx->args[4]);
}

EXIT_PROBE(rename, rename_exit)
EXIT_PROBE(renameat, rename_exit)
EXIT_PROBE(renameat2, rename_exit)

SEC("tp/syscalls/sys_enter_unlink")
int enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return unlink_enter(AT_FDCWD_VAL, PTR(0), 0);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return unlink_enter(ARG(0), PTR(1), ctx->args[2]);
}

EXIT_PROBE(unlink, unlink_exit)
EXIT_PROBE(unlinkat, unlink_exit)
