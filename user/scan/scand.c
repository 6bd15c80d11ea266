// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The sandboxed scanner's side: cprwatch-scand's whole life.  It starts with
 * the agent's socket on fd 3 and nothing else of value, gives up its user,
 * groups and capabilities, caps its memory, CPU, files and descriptors,
 * forbids itself new privileges and installs the seccomp filter before it
 * reads the first byte from the agent.  Then: a descriptor in, scan_fd() on
 * it, a reply out, the descriptor closed, until the agent hangs up.
 */
#include <errno.h>
#include <grp.h>
#include <iconv.h>
#include <langinfo.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/capability.h>
#include "sandbox_proto.h"
#include "scand.h"

#ifdef CPRW_SCAND_TEST
#include <fcntl.h>
#endif

static int set_limit(int res, rlim_t v)
{
	struct rlimit rl = { v, v };

	return setrlimit(res, &rl) ? -errno : 0;
}

static int drop_user(uid_t uid, gid_t gid)
{
	int cap;

	if (geteuid() != 0)
		return 0; /* cprwatchctl run by a user: already unprivileged */
	/* capabilities can never come back, even by a root-owned set-uid file */
	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	if (geteuid() == 0 || getegid() == 0)
		return -EPERM;
	return 0;
}

/*
 * Loads, while files can still be opened, what parsers load lazily: glibc's
 * gconv modules, which libarchive's name conversion (7z and ISO names are
 * UTF-16) pulls in through iconv_open() on first use (the descriptors are
 * kept open so the modules stay loaded); and the time zone, which the ISO
 * 9660 reader's mktime() would read, and with TZ unset stat again on every
 * call: with TZ set, glibc reads it once and then only compares the value.
 */
static void prewarm(void)
{
	static const char *const from[] = { "UTF-16LE", "UTF-16BE", "UTF-8" };
	const char *to[] = { nl_langinfo(CODESET), "UTF-8", "WCHAR_T" };
	size_t i, j;

	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		for (j = 0; j < sizeof(to) / sizeof(to[0]); j++)
			iconv_open(to[j], from[i]);
	if (!getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 1);
	tzset();
}

int scand_lockdown(const struct scand_opts *o)
{
	int ret;

	prewarm();
	ret = drop_user(o->uid, o->gid);
	if (ret)
		return ret;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* not dumpable: other processes of the same user cannot ptrace it */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -errno;
	/*
	 * Descriptors: stdio, the socket and the file being scanned.  CPU: the
	 * budget plus slack; the helper recycles itself at the budget, so the
	 * limit only fires on a scan that spins (SIGXCPU, then SIGKILL).
	 */
	if ((ret = set_limit(RLIMIT_AS, o->max_mem)) || (ret = set_limit(RLIMIT_NOFILE, 8)) ||
	    (ret = set_limit(RLIMIT_FSIZE, 0)) || (ret = set_limit(RLIMIT_CORE, 0)) ||
	    (ret = set_limit(RLIMIT_NPROC, 0)) || (ret = set_limit(RLIMIT_MEMLOCK, 0)))
		return ret;
	if (setrlimit(RLIMIT_CPU, &(struct rlimit){ o->cpu_budget_s + 30, o->cpu_budget_s + 35 }))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return scand_filter_install();
}

static uint64_t cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec;
}

#ifdef CPRW_SCAND_TEST
/*
 * Test builds only (build/tests/cprwatch-scand-test): a file starting with
 * "CPRW-SANDBOX-TEST:" makes the helper misbehave as a subverted parser
 * would, so tests can show the filter and the agent's recovery at work.
 */
static void test_trigger(int fd)
{
	static int *volatile bad;
	char head[40] = { 0 };
	const char *what;
	ssize_t n = pread(fd, head, sizeof(head) - 1, 0);

	if (n < 18 || strncmp(head, "CPRW-SANDBOX-TEST:", 18))
		return;
	what = head + 18;
	if (!strncmp(what, "open", 4))
		close(open("/etc/passwd", O_RDONLY));
	else if (!strncmp(what, "socket", 6))
		close(socket(AF_INET, SOCK_STREAM, 0));
	else if (!strncmp(what, "crash", 5))
		*bad = 1; /* a wild write, as a parser bug would make */
	else if (!strncmp(what, "abort", 5))
		abort();
	else if (!strncmp(what, "hang", 4))
		for (;;)
			;
}
#endif

/* One request: its descriptor arrives with it. */
static int recv_request(int sock, uint8_t *buf, size_t size, size_t *len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, size };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n ? -errno : -EPIPE;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	*len = n;
	return (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || *fd < 0 ? -EPROTO : 0;
}

static int send_all(int sock, const uint8_t *buf, size_t len)
{
	return send(sock, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EPIPE;
}

/* The reply, then the persons in chunks; frees them. */
static int send_reply(int sock, uint8_t *buf, struct sbx_reply *rp)
{
	struct scan_result *res = &rp->res;
	size_t off, n;
	int ret;

	ret = send_all(sock, buf, sbx_reply_encode(buf, rp));
	for (off = 0; !ret && off < res->nr_persons; off += n) {
		n = res->nr_persons - off < SBX_CHUNK ? res->nr_persons - off : SBX_CHUNK;
		ret = send_all(sock, buf, sbx_persons_encode(buf, res->persons + off, n));
	}
	scan_result_release(res);
	return ret;
}

int scand_serve(int sock, unsigned int cpu_budget_s)
{
	static uint8_t buf[SBX_MSG_MAX];
	struct person_key key;
	struct sbx_request rq;
	struct sbx_reply rp;
	size_t len = 0;
	ssize_t n;
	int fd;

	n = recv(sock, buf, sizeof(buf), 0);
	if (n <= 0 || sbx_hello_decode(buf, n, &key))
		return 2;
	for (;;) {
		int r = recv_request(sock, buf, sizeof(buf), &len, &fd);

		if (r == -EPIPE)
			return 0; /* the agent hung up: done */
		if (r || sbx_request_decode(buf, len, &rq))
			return 2;
		if (rq.flags & SBX_REQ_PERSONS)
			rq.lim.person_key = &key;
		memset(&rp, 0, sizeof(rp));
		rp.seq = rq.seq;
#ifdef CPRW_SCAND_TEST
		test_trigger(fd);
#endif
		scan_fd(fd, &rq.lim, NULL, &rp.res);
		close(fd);
		if (cpu_seconds() >= cpu_budget_s)
			rp.flags |= SBX_REPLY_RECYCLE;
		if (send_reply(sock, buf, &rp))
			return 2;
		if (rp.flags & SBX_REPLY_RECYCLE)
			return 0;
	}
}
