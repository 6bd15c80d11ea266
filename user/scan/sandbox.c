// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's side of the scanner sandbox.  The helper is a separate small
 * binary rather than the agent re-executing itself: it links only the
 * scanner, zlib, libarchive and libseccomp (no libbpf, OpenSSL or systemd in
 * the address space a hostile file gets to poke at), and its own name shows
 * in ps and in the journal when it dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/time.h"
#include "sandbox.h"
#include "scand.h"

#ifndef CPRW_HELPERDIR
#define CPRW_HELPERDIR "/usr/lib/cprwatch"
#endif

static bool executable(const char *path)
{
	return path && *path && !access(path, X_OK);
}

static void find_helper(char *out, size_t size)
{
	const char *env = getenv("CPRWATCH_SCAND");
	char self[PATH_MAX], *slash;
	ssize_t n;

	*out = 0;
	if (env && *env) {
		snprintf(out, size, "%s", env); /* named explicitly: used even if broken */
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(out, size, "%s/" SANDBOX_HELPER, self);
			if (executable(out))
				return;
		}
	}
	snprintf(out, size, CPRW_HELPERDIR "/" SANDBOX_HELPER);
	if (!executable(out))
		*out = 0;
}

int sandbox_cfg_init(struct sandbox_cfg *cfg, const struct person_key *key)
{
	struct passwd *pw = getpwnam(SANDBOX_USER);

	memset(cfg, 0, sizeof(*cfg));
	find_helper(cfg->helper, sizeof(cfg->helper));
	cfg->uid = pw ? pw->pw_uid : 65534;
	cfg->gid = pw ? pw->pw_gid : 65534;
	cfg->max_mem_mib = 1024;
	if (key)
		cfg->key = *key;
	return cfg->helper[0] ? 0 : -ENOENT;
}

int sandbox_init(struct sandbox *sb, const struct sandbox_cfg *cfg, struct sandbox_stats *st)
{
	memset(sb, 0, sizeof(*sb));
	sb->cfg = cfg;
	sb->st = st;
	sb->sock = -1;
	sb->buf = malloc(SBX_MSG_MAX);
	return sb->buf ? 0 : -ENOMEM;
}

static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Waits for the helper (after EOF or SIGKILL); returns its wait status. */
static int reap(struct sandbox *sb)
{
	int status = 0;

	if (sb->sock >= 0)
		close(sb->sock);
	sb->sock = -1;
	if (sb->pid > 0)
		while (waitpid(sb->pid, &status, 0) < 0 && errno == EINTR)
			;
	sb->pid = 0;
	return status;
}

static void stop(struct sandbox *sb)
{
	if (sb->pid > 0)
		kill(sb->pid, SIGKILL);
	reap(sb);
}

void sandbox_destroy(struct sandbox *sb)
{
	/* closing the socket is the helper's signal to leave */
	if (sb->sock >= 0)
		close(sb->sock);
	sb->sock = -1;
	reap(sb);
	free(sb->buf);
	sb->buf = NULL;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void child(int sock, const char *helper, char *const argv[])
{
	sigset_t none;
	int nul;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock == SCAND_SOCK_FD)
		fcntl(sock, F_SETFD, 0);
	else if (dup2(sock, SCAND_SOCK_FD) < 0)
		_exit(127);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1); /* the agent may write events to its stdout */
	}
	close_range(SCAND_SOCK_FD + 1, ~0U, 0);
	execv(helper, argv);
	_exit(127);
}

static int spawn(struct sandbox *sb)
{
	const struct sandbox_cfg *cfg = sb->cfg;
	char uid[16], gid[16], mem[16];
	char *argv[] = { (char *)SANDBOX_HELPER, "--uid", uid, "--gid", gid,
			 "--max-mem-mib",	 mem,	  NULL };
	uint8_t hello[SBX_HELLO_LEN];
	int sv[2];
	pid_t pid;

	if (!cfg->helper[0])
		return -ENOENT;
	snprintf(uid, sizeof(uid), "%u", (unsigned int)cfg->uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned int)cfg->gid);
	snprintf(mem, sizeof(mem), "%u", cfg->max_mem_mib ? cfg->max_mem_mib : 1024);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (!pid)
		child(sv[1], cfg->helper, argv);
	close(sv[1]);
	sb->pid = pid;
	sb->sock = sv[0];
	count(&sb->st->started);
	/* the helper reads this only after it has locked itself down */
	if (send(sb->sock, hello, sbx_hello_encode(hello, &cfg->key), MSG_NOSIGNAL) < 0) {
		stop(sb);
		return -EPIPE;
	}
	return 0;
}

static int refuse(struct scan_result *res, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct scan_result *res, int reason, const char *fmt, ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->status = SCAN_REFUSED;
	res->reason = reason;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	return res->status;
}

/* The helper is gone: say why, from its wait status. */
static int helper_died(struct sandbox *sb, struct scan_result *res, bool killed_by_us)
{
	int status = reap(sb), sig;
	const char *name;

	if (killed_by_us) {
		count(&sb->st->timeouts);
		return refuse(res, SCAN_R_TIMEOUT, "scanner helper did not answer in time, killed");
	}
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		name = sigabbrev_np(sig);
		if (sig == SIGSYS) {
			count(&sb->st->seccomp);
			return refuse(res, SCAN_R_SECCOMP,
				      "scanner helper made a forbidden system call, killed");
		}
		if (sig == SIGXCPU || sig == SIGKILL) {
			count(&sb->st->timeouts);
			return refuse(res, SCAN_R_TIMEOUT,
				      "scanner helper hit its CPU limit (SIG%s)",
				      name ? name : "?");
		}
		count(&sb->st->crashed);
		return refuse(res, SCAN_R_CRASHED, "scanner helper crashed (SIG%s)",
			      name ? name : "?");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 126) {
		count(&sb->st->start_failed);
		return refuse(res, SCAN_R_SANDBOX, "scanner helper %s (exit %d)",
			      WEXITSTATUS(status) == 127 ? "could not be started" :
							   "could not lock itself down",
			      WEXITSTATUS(status));
	}
	count(&sb->st->crashed);
	return refuse(res, SCAN_R_CRASHED, "scanner helper quit (exit %d)",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int send_request(struct sandbox *sb, int fd, const struct scan_limits *lim)
{
	struct sbx_request rq = { .seq = ++sb->seq,
				  .flags = lim && lim->person_key ? SBX_REQ_PERSONS : 0 };
	uint8_t buf[SBX_REQUEST_LEN];
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { buf, 0 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	if (lim)
		rq.lim = *lim;
	else
		scan_limits_default(&rq.lim);
	iov.iov_len = sbx_request_encode(buf, &rq);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sb->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)iov.iov_len ? 0 : -EPIPE;
}

/* The deadline for a reply: the scan's time cap plus grace; 0 for none. */
static uint64_t deadline(const struct scan_limits *lim)
{
	uint32_t cap = lim && lim->max_time_ms ? lim->max_time_ms : 30000;

	return cap == SCAN_NO_LIMIT ? 0 : time_mono_ms() + cap + SANDBOX_GRACE_MS;
}

/* One datagram by the deadline: its length, 0 on timeout, -EPIPE at EOF. */
static ssize_t wait_msg(struct sandbox *sb, uint64_t until)
{
	struct pollfd pfd = { .fd = sb->sock, .events = POLLIN };
	ssize_t n;
	int r;

	for (;;) {
		uint64_t now = time_mono_ms();

		if (until && now >= until)
			return 0;
		r = poll(&pfd, 1, until ? (int)(until - now) : -1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			break;
	}
	do
		n = recv(sb->sock, sb->buf, SBX_MSG_MAX, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	return n > SBX_MSG_MAX ? -EPROTO : n ? n : -EPIPE;
}

/* The persons announced by the reply, chunk by chunk: 0, or as wait_msg(). */
static ssize_t recv_persons(struct sandbox *sb, struct scan_result *res, uint64_t until)
{
	uint32_t off, n;
	ssize_t len;

	res->persons = malloc(res->nr_persons * sizeof(*res->persons));
	if (!res->persons)
		return -ENOMEM;
	for (off = 0; off < res->nr_persons; off += n) {
		n = res->nr_persons - off < SBX_CHUNK ? res->nr_persons - off : SBX_CHUNK;
		len = wait_msg(sb, until);
		if (len <= 0)
			return len;
		if (sbx_persons_decode(sb->buf, len, res->persons + off, n))
			return -EPROTO;
	}
	return 1;
}

/* Persons only when asked for, and no more than asked for. */
static bool persons_ok(const struct scan_limits *lim, uint32_t n)
{
	if (!lim || !lim->person_key)
		return !n;
	return !lim->max_persons || n <= lim->max_persons;
}

/* The helper's answer: its result, or why there is none. */
static int recv_reply(struct sandbox *sb, const struct scan_limits *lim, struct scan_result *res)
{
	uint64_t until = deadline(lim);
	struct sbx_reply rp;
	ssize_t n = wait_msg(sb, until);

	if (n > 0 && (sbx_reply_decode(sb->buf, n, &rp) || rp.seq != sb->seq ||
		      !persons_ok(lim, rp.res.nr_persons)))
		n = -EPROTO;
	if (n > 0 && rp.res.nr_persons) {
		n = recv_persons(sb, &rp.res, until);
		if (n <= 0)
			scan_result_release(&rp.res);
	}
	if (!n) {
		kill(sb->pid, SIGKILL);
		return helper_died(sb, res, true);
	}
	if (n == -EPIPE)
		return helper_died(sb, res, false);
	if (n < 0) {
		stop(sb);
		count(&sb->st->crashed);
		return refuse(res, SCAN_R_CRASHED, "scanner helper sent a malformed reply");
	}
	*res = rp.res;
	if (rp.flags & SBX_REPLY_RECYCLE)
		reap(sb); /* it exits after this reply */
	return res->status;
}

int sandbox_scan(struct sandbox *sb, int fd, const struct scan_limits *lim, struct scan_result *res)
{
	int tries, ret = -EPIPE;

	/* a helper that recycled itself or died idle shows as EPIPE: start a new one, once */
	for (tries = 0; tries < 2 && ret; tries++) {
		if (!sb->pid && (ret = spawn(sb)))
			return refuse(res, SCAN_R_SANDBOX, "scanner helper %s: %s",
				      sb->cfg->helper[0] ? "could not be started" : "not installed",
				      strerrordesc_np(-ret));
		ret = send_request(sb, fd, lim);
		if (ret)
			reap(sb);
	}
	if (ret)
		return refuse(res, SCAN_R_SANDBOX, "scanner helper does not take requests");
	return recv_reply(sb, lim, res);
}
