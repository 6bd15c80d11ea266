// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall dispatch: one program on the raw sys_enter tracepoint and one on
 * sys_exit (tp_btf: typed arguments, the task's saved registers read
 * directly), switching on the syscall number to the handlers the
 * per-syscall tracepoint programs also use (bpf/file_handlers.h,
 * bpf/net_handlers.h).  Raw tracepoints reach the program without building
 * a perf record per call, so a syscall we do not hook costs one switch, and
 * read/write/close of a process without accounted fds or tracking one array
 * load (hot_tgids).
 *
 * The loader enables these two programs or the per-syscall tracepoints (the fallback),
 * never both (user/agent/loader.c).  bpf/README.md shows how to add a
 * syscall to both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "file_handlers.h"
#include "net_handlers.h"
#include "iouring_handlers.h"
#include "x11_handlers.h"
#include "syscall_nr.h"

char LICENSE[] SEC("license") = "GPL";

#ifdef CPRW_SYSCALL_DISPATCH

/*
 * 32-bit tasks number their syscalls from another table and pass arguments
 * in other registers; the per-syscall tracepoints skip them too
 * (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS), so both variants see the same calls.
 */
static __always_inline bool compat_task(void)
{
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT_VAL;
}

/* Syscalls by handler; each list is one `case` label chain. */
/* clang-format off */
#define OPEN_CALLS NR_open: case NR_openat: case NR_creat: case NR_openat2
#define DUP_CALLS NR_dup: case NR_dup2: case NR_dup3: case NR_fcntl
#define RENAME_CALLS NR_rename: case NR_renameat: case NR_renameat2
#define UNLINK_CALLS NR_unlink: case NR_unlinkat
#define CONN_CALLS NR_connect: case NR_accept: case NR_accept4
#define READ_CALLS NR_read: case NR_readv: case NR_pread64: case NR_preadv: case NR_preadv2
#define WRITE_CALLS NR_write: case NR_writev: case NR_pwrite64: case NR_pwritev: case NR_pwritev2
#define MOVE_CALLS NR_sendfile: case NR_copy_file_range: case NR_splice
/* clang-format on */

/*
 * Every entry handler acts only for a tracked process, with trace_all, or on
 * an fd in fd_files; so do the exit handlers but open's (tainted inodes and
 * export dirs concern every process).  A process with neither has its bit
 * clear in hot_tgids (maps.h): one array load instead of the hash lookups.
 */
static __always_inline bool may_matter(void)
{
	return trace_all || maybe_hot(bpf_get_current_pid_tgid() >> 32);
}

#define ARG(n) ((int)sc_arg(regs, n))
#define PTR(n) ((void *)sc_arg(regs, n))

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	/* the common case first: nothing to do before the syscall runs */
	switch (id) {
	case OPEN_CALLS:
	case NR_close:
	case DUP_CALLS:
	case RENAME_CALLS:
	case UNLINK_CALLS:
	case CONN_CALLS:
	case NR_mmap:
	case NR_munmap:
		break;
	default:
		return 0;
	}
	if (!may_matter() || compat_task())
		return 0;
	switch (id) {
	case NR_mmap:
		return mmap_enter(ARG(4), ARG(2), ARG(3));
	case NR_munmap:
		return munmap_enter(sc_arg(regs, 0));
	case NR_openat:
		return open_enter(PTR(1), ARG(2), ARG(3));
	case NR_open:
		return open_enter(PTR(0), ARG(1), ARG(2));
	case NR_creat:
		return creat_enter(PTR(0), ARG(1));
	case NR_openat2:
		return openat2_enter(PTR(1), PTR(2));
	case NR_close:
		return close_enter(ARG(0));
	case NR_dup:
		return dup_enter(ARG(0), -1);
	case NR_dup2:
	case NR_dup3:
		return dup_enter(ARG(0), ARG(1));
	case NR_fcntl:
		return fcntl_enter(ARG(0), ARG(1));
	case NR_rename:
		return rename_enter(AT_FDCWD_VAL, PTR(0), AT_FDCWD_VAL, PTR(1), 0);
	case NR_renameat:
		return rename_enter(ARG(0), PTR(1), ARG(2), PTR(3), 0);
	case NR_renameat2:
		return rename_enter(ARG(0), PTR(1), ARG(2), PTR(3), ARG(4));
	case NR_unlink:
		return unlink_enter(AT_FDCWD_VAL, PTR(0), 0);
	case NR_unlinkat:
		return unlink_enter(ARG(0), PTR(1), ARG(2));
	case NR_connect:
		return conn_enter(ARG(0), PTR(1), 0);
	case NR_accept:
	case NR_accept4:
		return conn_enter(ARG(0), 0, 1);
	}
	return 0;
}

/*
 * Byte counts need no entry work: the fds are still in the saved registers
 * at exit, and the count is the return value.
 */
static __always_inline int io_exit_regs(struct pt_regs *regs, long id, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	switch (id) {
	case NR_sendfile:
		io_account(tgid, ARG(1), ARG(0), ret);
		break;
	case NR_copy_file_range:
	case NR_splice:
		io_account(tgid, ARG(0), ARG(2), ret);
		break;
	case READ_CALLS:
		io_account(tgid, ARG(0), -1, ret);
		break;
	default:
		io_account(tgid, -1, ARG(0), ret);
		break;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = sc_nr(regs);

	switch (id) {
	case READ_CALLS:
	case WRITE_CALLS:
	case MOVE_CALLS:
	case NR_sendto:
	case NR_sendmsg:
	case NR_sendmmsg:
		if (ret <= 0)
			return 0;
		break;
	case DUP_CALLS:
	case RENAME_CALLS:
	case UNLINK_CALLS:
	case CONN_CALLS:
	case NR_mmap:
	case NR_munmap:
	case NR_io_uring_setup:
		break;
	case OPEN_CALLS:
		return compat_task() ? 0 : open_exit(ret);
	default:
		return 0;
	}
	if (!may_matter() || compat_task())
		return 0;
	switch (id) {
	case NR_io_uring_setup:
		return iou_setup_exit_args(PTR(1), ret);
	case NR_mmap:
		return mmap_exit(ret);
	case NR_munmap:
		return munmap_exit(ret);
	case DUP_CALLS:
		return dup_exit(ret);
	case RENAME_CALLS:
		return rename_exit(ret);
	case UNLINK_CALLS:
		return unlink_exit(ret);
	case CONN_CALLS:
		return conn_exit(ret);
	case NR_sendto:
		x11_wrote(ARG(0), PTR(1), NULL, 0, NULL, ret);
		return 0;
	/* an accounted file is no X connection: the parser's socket test only for the rest */
	case NR_write:
		if (!io_wrote(bpf_get_current_pid_tgid() >> 32, ARG(0), ret))
			x11_wrote(ARG(0), PTR(1), NULL, 0, NULL, ret);
		return 0;
	case NR_writev:
		if (!io_wrote(bpf_get_current_pid_tgid() >> 32, ARG(0), ret))
			x11_wrote(ARG(0), NULL, PTR(1), sc_arg(regs, 2), NULL, ret);
		return 0;
	case NR_sendmmsg:
		x11_sent_mmsg(ARG(0), PTR(1), ret);
		return 0;
	case NR_sendfile:
		x11_unseen(fd_file(ARG(0)), ret);
		break;
	case NR_splice:
		x11_unseen(fd_file(ARG(2)), ret);
		break;
	case NR_sendmsg:
		x11_sent_msg(ARG(0), PTR(1), ret);
		return 0;
	}
	return io_exit_regs(regs, id, ret);
}

#endif /* CPRW_SYSCALL_DISPATCH */
