/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscall numbers and argument registers for the raw dispatcher
 * (bpf/syscalls.bpf.c).  Only architectures with a table here get the
 * dispatcher; the others run the per-syscall tracepoints, which need no
 * numbers (the loader falls back when the dispatcher is absent).
 */
#ifndef CPRW_BPF_SYSCALL_NR_H
#define CPRW_BPF_SYSCALL_NR_H

#if defined(__TARGET_ARCH_x86)
#define CPRW_SYSCALL_DISPATCH 1

/* arch/x86/entry/syscalls/syscall_64.tbl */
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_mmap 9
#define NR_munmap 11
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_dup 32
#define NR_dup2 33
#define NR_sendfile 40
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_fcntl 72
#define NR_rename 82
#define NR_creat 85
#define NR_unlink 87
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_splice 275
#define NR_accept4 288
#define NR_sendmmsg 307
#define NR_dup3 292
#define NR_preadv 295
#define NR_pwritev 296
#define NR_renameat2 316
#define NR_copy_file_range 326
#define NR_preadv2 327
#define NR_pwritev2 328
#define NR_io_uring_setup 425
#define NR_openat2 437

/* arch/x86/include/asm/thread_info.h: set in thread_info.status for an ia32 syscall */
#define TS_COMPAT_VAL 0x0002

/* The syscall ABI's argument registers, saved at entry and intact at exit. */
static __always_inline unsigned long sc_arg(struct pt_regs *regs, int n)
{
	switch (n) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}

static __always_inline long sc_nr(struct pt_regs *regs)
{
	return regs->orig_ax;
}

#endif /* __TARGET_ARCH_x86 */

#endif
