// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seccomp filter of the sandboxed scanner.  libseccomp (Debian's, the one
 * systemd uses) rather than hand-written BPF: it gets the architecture checks,
 * the x32 ABI hole on x86_64 and argument comparisons right on every arch the
 * package builds for, which a raw filter would have to repeat per arch.
 *
 * Anything not listed kills the whole process (SIGSYS): the agent reports
 * the file as refused with reason "seccomp" and starts a new helper.  No
 * open/openat, no socket/connect, no execve, no fork/clone, no write to
 * anything but the socket inherited from the agent (sendmsg/sendto only:
 * there is no way to get another socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <unistd.h>
#include "scand.h"

#define ALLOW(name)                   \
	{                             \
		SCMP_SYS(name), #name \
	}

static const struct {
	int nr;
	const char *name;
} allowed[] = {
	/* the handed descriptors: read, seek, size them (fstat is below) */
	ALLOW(read),
	ALLOW(pread64),
	ALLOW(readv),
	ALLOW(preadv),
	ALLOW(lseek),
	ALLOW(fadvise64),
	ALLOW(close),
	/* the agent's socket: requests with descriptors in, replies out */
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	ALLOW(sendto),
	ALLOW(recvfrom),
	/* malloc; mprotect is left out: nothing here needs executable memory */
	ALLOW(brk),
	ALLOW(mmap),
	ALLOW(munmap),
	ALLOW(mremap),
	ALLOW(madvise),
	/* the scan clock and the CPU budget; sysinfo: glibc's qsort asks for the RAM size */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(getrusage),
	ALLOW(sysinfo),
	/* leaving, and signals a crash delivers to itself (abort) */
	ALLOW(exit),
	ALLOW(exit_group),
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask),
	ALLOW(getpid),
	ALLOW(gettid),
};

int scand_filter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret = -ENOMEM;
	unsigned int i;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i].nr, 0);
		if (ret)
			goto out;
	}
	/*
	 * glibc's fstat() is newfstatat(fd, "", st, AT_EMPTY_PATH) on most arches:
	 * allow it with exactly that flag, and fstat itself where it exists.
	 * A path given with AT_EMPTY_PATH still stats that path: metadata only.
	 */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
			       SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fstat), 0);
	/* abort() raises SIGABRT at itself: a crash then reads "crashed", not "seccomp" */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	if (!ret)
		ret = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return ret;
}
