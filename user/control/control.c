// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The control socket server (see control.h for the protocol).  Everything
 * runs on the agent's thread off one epoll fd, so every call here returns
 * without waiting: a client that stalls only uses up its own slot until its
 * deadline.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "control.h"
#include "lib/fs_trust.h"
#include "lib/log.h"
#include "lib/time.h"
#include "lib/buf.h"

#define TAG_LISTEN CONTROL_MAX_CLIENTS /* epoll tag of the listening socket */
#define ACCEPT_BATCH 32		       /* per dispatch: a flood cannot starve the agent */
#define DRAIN_MAX (64 * 1024)	       /* unread bytes swallowed before a close */
#define IN_INITIAL 1024
#define PEER_GROUPS_MAX 65536 /* NGROUPS_MAX */

/* ---- "since": RFC 3339 or an age ------------------------------------- */

static uint64_t unit_seconds(char u)
{
	switch (u) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	}
	return 0;
}

/* "90s", "15m", "1h30m": seconds. */
static int parse_age(const char *s, uint64_t *out_s)
{
	uint64_t total = 0, n, unit;
	const char *p = s;

	if (!*p)
		return -EINVAL;
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > 100ULL * 365 * 86400) /* a century is plenty */
				return -EINVAL;
		}
		unit = unit_seconds(*p);
		if (!unit)
			return -EINVAL;
		p++;
		total += n * unit;
		if (total > 100ULL * 365 * 86400)
			return -EINVAL;
	}
	*out_s = total;
	return 0;
}

int control_parse_since(const char *s, uint64_t now_ns, uint64_t *out_ns)
{
	struct time_stamp ts;
	uint64_t age;

	if (!s)
		return -EINVAL;
	if (!parse_age(s, &age)) {
		age *= 1000000000ULL;
		/* 0 means "no bound" to the agent: an age before the epoch is 1 ns */
		*out_ns = age < now_ns ? now_ns - age : 1;
		return 0;
	}
	if (time_parse_rfc3339(s, &ts))
		return -EINVAL;
	*out_ns = ts.ns;
	return 0;
}

/* ---- small socket helpers -------------------------------------------- */

/* Best effort, never waits: for short answers to a client we are about to drop. */
static void send_now(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/*
 * Closing a unix socket with unread input makes the peer's reads fail with
 * ECONNRESET once our answer is read; swallowing what the client already
 * sent lets it see a clean EOF instead.
 */
static void close_quietly(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (total < DRAIN_MAX) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
}

/* {"ok":false,"error":...,"code":...} into @j, newline-terminated. */
static void error_json(struct json *j, const char *code, const char *msg)
{
	json_reset(j);
	json_obj_begin(j);
	json_kv_bool(j, "ok", false);
	json_kv_str(j, "error", msg);
	json_kv_str(j, "code", code);
	json_obj_end(j);
	json_raw(j, "\n", 1);
}

/* Answer a connection that gets no slot, and drop it. */
static void reject(int fd, const char *code, const char *msg)
{
	struct json j;

	json_init(&j);
	error_json(&j, code, msg);
	if (!j.out.oom)
		send_now(fd, j.out.data, j.out.len);
	json_free(&j);
	close_quietly(fd);
}

/* ---- admission ------------------------------------------------------- */

static bool in_groups(int fd, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
		if (errno != ERANGE || len > PEER_GROUPS_MAX * sizeof(gid_t))
			return false; /* ENOPROTOOPT before Linux 4.13: primary gid only */
		groups = malloc(len);
		if (!groups || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;
}

static bool admitted(const struct control *c, int fd, const struct ucred *cr)
{
	if (cr->uid == 0)
		return true;
	if (!c->has_group)
		return false;
	return cr->gid == c->admin_gid || in_groups(fd, c->admin_gid);
}

/* Once per uid per CONTROL_REFUSED_LOG_MS: a script looping on us must not flood the log. */
static void log_refusal(struct control *c, const struct ucred *cr)
{
	struct control_refusal *r, *slot = &c->refusals[0];
	uint64_t now = time_mono_ms();
	int i;

	for (i = 0; i < CONTROL_REFUSED_SLOTS; i++) {
		r = &c->refusals[i];
		if (r->logged_ms && r->uid == cr->uid) {
			if (now - r->logged_ms < CONTROL_REFUSED_LOG_MS)
				return;
			slot = r;
			break;
		}
		if (r->logged_ms < slot->logged_ms)
			slot = r; /* unused (0) or the oldest */
	}
	slot->uid = cr->uid;
	slot->logged_ms = now ? now : 1;
	c->stats.refusals_logged++;
	log_warn("control socket %s: refused uid %u (pid %d): not root or in the admin group %s",
		 c->path, (unsigned int)cr->uid, (int)cr->pid,
		 c->has_group ? c->group_name : "(none configured)");
}

static void refuse(struct control *c, int fd, const struct ucred *cr)
{
	char msg[256];

	if (c->has_group)
		snprintf(msg, sizeof(msg),
			 "permission denied: the control socket is for "
			 "administrators (uid %u is not root or in group %s)",
			 (unsigned int)cr->uid, c->group_name);
	else
		snprintf(msg, sizeof(msg),
			 "permission denied: the control socket is for "
			 "administrators (uid %u is not root, and no admin group is configured)",
			 (unsigned int)cr->uid);
	c->stats.refused++;
	log_refusal(c, cr);
	reject(fd, "permission_denied", msg);
}

/* ---- clients --------------------------------------------------------- */

static void client_close(struct control *c, struct control_client *cl)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close_quietly(cl->fd);
	free(cl->in);
	json_free(&cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	cl->state = CC_FREE;
}

static struct control_client *free_slot(struct control *c)
{
	int i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state == CC_FREE)
			return &c->clients[i];
	return NULL;
}

static int client_start(struct control *c, struct control_client *cl, int fd,
			const struct ucred *cr)
{
	struct epoll_event ee = { .events = EPOLLIN | EPOLLRDHUP,
				  .data.u32 = (uint32_t)(cl - c->clients) };

	memset(cl, 0, sizeof(*cl));
	cl->fd = fd;
	cl->uid = cr->uid;
	cl->pid = cr->pid;
	cl->deadline_ms = time_mono_ms() + CONTROL_TIMEOUT_MS;
	json_init(&cl->out);
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ee))
		return -errno;
	cl->state = CC_READING;
	c->stats.accepted++;
	return 0;
}

static void accept_one(struct control *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct control_client *cl;
	char msg[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		close(fd);
		return;
	}
	if (!admitted(c, fd, &cr)) {
		refuse(c, fd, &cr);
		return;
	}
	cl = free_slot(c);
	if (!cl) {
		c->stats.busy++;
		snprintf(msg, sizeof(msg), "busy: %d control clients are being served; try again",
			 CONTROL_MAX_CLIENTS);
		reject(fd, "busy", msg);
		return;
	}
	if (client_start(c, cl, fd, &cr)) {
		log_warn("control socket: cannot watch a client: %s", strerror(errno));
		close(fd);
		cl->fd = -1;
		cl->state = CC_FREE;
	}
}

/*
 * Out of fds (EMFILE): the pending connection stays readable, and a
 * level-triggered loop would spin on it.  Stop listening until the next tick.
 */
static void pause_listening(struct control *c)
{
	if (c->lfd >= 0 && !epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->lfd, NULL)) {
		c->paused = true;
		log_warn("control socket: out of file descriptors; not accepting for a second");
	}
}

static void resume_listening(struct control *c)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };

	if (c->paused && !epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &ee))
		c->paused = false;
}

static void accept_some(struct control *c)
{
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(c, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_listening(c);
		return;
	}
}

static void client_write(struct control *c, struct control_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out.out.len) {
		n = send(cl->fd, cl->out.out.data + cl->out_off, cl->out.out.len - cl->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings us back */
		if (n <= 0)
			break; /* the client went away: nothing to tell it */
		cl->out_off += n;
	}
	client_close(c, cl);
}

/* The answer in cl->out is complete: send it, now or when the socket drains. */
static void client_answer(struct control *c, struct control_client *cl)
{
	struct epoll_event ee = { .events = EPOLLOUT, .data.u32 = (uint32_t)(cl - c->clients) };

	if (cl->out.out.oom)
		error_json(&cl->out, "failed", "out of memory");
	cl->state = CC_WRITING;
	free(cl->in);
	cl->in = NULL;
	cl->in_len = cl->in_cap = 0;
	if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ee)) {
		client_close(c, cl);
		return;
	}
	client_write(c, cl);
}

static void bad_request(struct control *c, struct control_client *cl, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void bad_request(struct control *c, struct control_client *cl, const char *code,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->stats.bad_requests++;
	error_json(&cl->out, code, msg);
	client_answer(c, cl);
}

/* ---- commands -------------------------------------------------------- */

static int parse_alerts_query(const struct jval *req, struct control_alerts_query *q, char *err,
			      size_t errlen)
{
	const struct jval *v;
	int64_t limit;

	memset(q, 0, sizeof(*q));
	q->req = req;
	q->limit = CONTROL_ALERTS_DEFAULT_LIMIT;
	v = jobj_get(req, "since");
	if (v && v->type != JNULL) {
		if (v->type != JSTR || control_parse_since(v->str, time_real_ns(), &q->since_ns)) {
			snprintf(err, errlen,
				 "bad \"since\": want RFC 3339 time "
				 "(2024-05-01T08:00:00Z) or an age (90s, 15m, 1h, 2d, 1w)");
			return -EINVAL;
		}
	}
	v = jobj_get(req, "rule");
	if (v && v->type != JNULL) {
		if (v->type != JSTR || !v->len) {
			snprintf(err, errlen, "bad \"rule\": want a rule name");
			return -EINVAL;
		}
		q->rule = v->str;
	}
	v = jobj_get(req, "limit");
	if (v && v->type != JNULL) {
		if (!jobj_i64(req, "limit", &limit) || limit < 1 ||
		    limit > CONTROL_ALERTS_MAX_LIMIT) {
			snprintf(err, errlen, "bad \"limit\": want an integer from 1 to %d",
				 CONTROL_ALERTS_MAX_LIMIT);
			return -EINVAL;
		}
		q->limit = (unsigned int)limit;
	}
	return 0;
}

/* Run one callback with "ok":true already written; a failure replaces the answer. */
static void run_command(struct control *c, struct control_client *cl, const char *cmd,
			const struct jval *req)
{
	struct control_alerts_query q;
	char err[1024] = "";
	int ret = -EOPNOTSUPP;

	if (!strcmp(cmd, "alerts") && parse_alerts_query(req, &q, err, sizeof(err))) {
		bad_request(c, cl, "bad_request", "%s", err);
		return;
	}
	json_reset(&cl->out);
	json_obj_begin(&cl->out);
	json_kv_bool(&cl->out, "ok", true);
	if (!strcmp(cmd, "status") && c->ops.status)
		ret = c->ops.status(c->ops.arg, &cl->out, err, sizeof(err));
	else if (!strcmp(cmd, "alerts") && c->ops.alerts)
		ret = c->ops.alerts(c->ops.arg, &q, &cl->out, err, sizeof(err));
	else if (!strcmp(cmd, "reload") && c->ops.reload)
		ret = c->ops.reload(c->ops.arg, &cl->out, err, sizeof(err));
	else if (!strcmp(cmd, "test-alert") && c->ops.test_alert)
		ret = c->ops.test_alert(c->ops.arg, &cl->out, err, sizeof(err));
	if (ret) {
		if (!*err)
			snprintf(err, sizeof(err), "%s: %s", cmd,
				 ret == -EOPNOTSUPP ? "not supported by this agent" :
						      strerror(-ret));
		error_json(&cl->out, "failed", err);
	} else {
		json_obj_end(&cl->out);
		json_raw(&cl->out, "\n", 1);
	}
	client_answer(c, cl);
}

static bool known_command(const char *cmd)
{
	return !strcmp(cmd, "status") || !strcmp(cmd, "alerts") || !strcmp(cmd, "reload") ||
	       !strcmp(cmd, "test-alert");
}

static void handle_request(struct control *c, struct control_client *cl, size_t len)
{
	struct jval req;
	const char *cmd;
	char err[256];

	if (json_parse(cl->in, len, &req, err, sizeof(err))) {
		bad_request(c, cl, "bad_request", "bad request: not JSON: %s", err);
		return;
	}
	cmd = jobj_str(&req, "cmd");
	if (req.type != JOBJ)
		bad_request(c, cl, "bad_request", "bad request: want a JSON object");
	else if (!cmd)
		bad_request(c, cl, "bad_request", "bad request: no \"cmd\" string");
	else if (!known_command(cmd))
		bad_request(c, cl, "bad_request",
			    "unknown command \"%.64s\" (the agent knows "
			    "status, alerts, reload and test-alert)",
			    cmd);
	else
		run_command(c, cl, cmd, &req);
	jval_free(&req);
}

/* Room for more input, up to CONTROL_MAX_REQUEST. */
static int grow_input(struct control_client *cl)
{
	return buf_grow(&cl->in, &cl->in_cap, cl->in_len + 1, IN_INITIAL, CONTROL_MAX_REQUEST);
}

static void client_read(struct control *c, struct control_client *cl)
{
	char *nl;
	ssize_t n;
	int ret;

	for (;;) {
		ret = grow_input(cl);
		if (ret == -E2BIG) {
			bad_request(c, cl, "too_large", "request too large (the limit is %d bytes)",
				    CONTROL_MAX_REQUEST);
			return;
		}
		if (ret) {
			client_close(c, cl);
			return;
		}
		n = recv(cl->fd, cl->in + cl->in_len, cl->in_cap - cl->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == 0 && cl->in_len) {
			handle_request(c, cl, cl->in_len); /* EOF ends a request too */
			return;
		}
		if (n <= 0) {
			client_close(c, cl);
			return;
		}
		nl = memchr(cl->in + cl->in_len, '\n', n);
		cl->in_len += n;
		if (nl) {
			handle_request(c, cl, nl - cl->in);
			return;
		}
	}
}

/* ---- the socket ------------------------------------------------------ */

static int resolve_group(struct control *c, const char *name, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long v;

	c->has_group = false;
	if (!name || !*name)
		return 0;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (!*end && isdigit((unsigned char)*name) && !errno && v < (gid_t)-1) {
		c->admin_gid = (gid_t)v;
		if (!getgrgid_r(c->admin_gid, &gr, buf, sizeof(buf), &res) && res)
			name = res->gr_name;
	} else if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) || !res) {
		snprintf(err, errlen, "control socket: admin group '%s' does not exist", name);
		return -ENOENT;
	} else {
		c->admin_gid = res->gr_gid;
	}
	snprintf(c->group_name, sizeof(c->group_name), "%s", name);
	c->has_group = true;
	return 0;
}

/* A directory holding nothing (but maybe our stale socket) is ours to set up. */
static bool dedicated_dir(const char *dir, const char *sock_name)
{
	struct dirent *de;
	bool only_ours = true;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (only_ours && (de = readdir(d)))
		only_ours = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, sock_name);
	closedir(d);
	return only_ours;
}

/*
 * The socket's directory: made 0750 root:group when missing, and set so when
 * it exists but holds nothing else (a directory left by an earlier run, maybe
 * with another admin group).  A shared directory is left alone, but must not
 * let others swap the socket (writable by group or others only when sticky).
 */
static int setup_dir(struct control *c, const char *dir, const char *sock_name, char *err,
		     size_t errlen)
{
	gid_t gid = c->has_group ? c->admin_gid : 0;
	struct stat st;
	int e;

	if (mkdir(dir, 0750) && errno != EEXIST) {
		e = errno;
		snprintf(err, errlen, "control socket: cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "control socket: %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (!fs_ours(&st)) {
		snprintf(err, errlen,
			 "control socket: %s belongs to uid %u, who could replace "
			 "the socket; use a directory of root's",
			 dir, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_uid == geteuid() && dedicated_dir(dir, sock_name)) {
		if ((geteuid() == 0 || c->has_group) && chown(dir, (uid_t)-1, gid))
			log_warn("control socket: cannot give %s to group %u: %s", dir,
				 (unsigned int)gid, strerror(errno));
		return chmod(dir, 0750) ? -errno : 0;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
			 "control socket: %s is writable by others; give the "
			 "socket a directory of its own",
			 dir);
		return -EPERM;
	}
	return 0;
}

/* A socket file already there: a dead agent's is removed, a live agent's is an error. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket: %s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	if (ret == -ECONNREFUSED) {
		unlink(path);
		return 0;
	}
	if (ret == 0 || ret == -EAGAIN) {
		snprintf(err, errlen, "control socket: another agent is listening on %s", path);
		return -EADDRINUSE;
	}
	snprintf(err, errlen, "control socket: %s: %s", path, strerror(-ret));
	return ret;
}

static int bind_socket(struct control *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = c->has_group ? c->admin_gid : 0;
	struct stat st;
	mode_t old;
	int ret = 0;

	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	/* born 0600, so nobody connects before the group and mode are right */
	old = umask(0177);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)))
		ret = -errno;
	umask(old);
	if (ret) {
		snprintf(err, errlen, "control socket: cannot bind %s: %s", c->path,
			 strerror(-ret));
		return ret;
	}
	if (!stat(c->path, &st)) {
		c->sock_dev = st.st_dev;
		c->sock_ino = st.st_ino;
	}
	/*
	 * Not fatal: the socket then keeps the agent's own group, which lets
	 * fewer in, never more (only a non-root agent, in tests, gets here).
	 */
	if ((geteuid() == 0 || c->has_group) && chown(c->path, (uid_t)-1, gid))
		log_warn("control socket: cannot give %s to group %u: %s", c->path,
			 (unsigned int)gid, strerror(errno));
	if (chmod(c->path, 0660) || listen(c->lfd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "control socket: %s: %s", c->path, strerror(errno));
	}
	return ret;
}

static int split_path(const char *path, char *dir, size_t dirlen, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path || !slash[1] || (size_t)(slash - path) >= dirlen)
		return -EINVAL;
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	*name = slash + 1;
	return 0;
}

static void init_struct(struct control *c, const struct control_ops *ops)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->opened = true;
	c->lfd = -1;
	c->epfd = -1;
	if (ops)
		c->ops = *ops;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
}

int control_open(struct control *c, const struct control_config *cfg, const struct control_ops *ops,
		 char *err, size_t errlen)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };
	const char *path = cfg->socket ? cfg->socket : CONTROL_DEFAULT_PATH;
	char dir[sizeof(c->path)];
	const char *name;
	int ret;

	init_struct(c, ops);
	if (path[0] != '/' || strlen(path) >= sizeof(c->path) ||
	    split_path(path, dir, sizeof(dir), &name)) {
		snprintf(err, errlen,
			 "control socket: '%s' is not an absolute path of at most "
			 "%zu bytes",
			 path, sizeof(c->path) - 1);
		return -EINVAL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	ret = resolve_group(c, cfg->admin_group, err, errlen);
	if (!ret)
		ret = setup_dir(c, dir, name, err, errlen);
	if (!ret)
		ret = clear_stale(c->path, err, errlen);
	if (!ret)
		ret = bind_socket(c, err, errlen);
	if (ret)
		goto out;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &ee)) {
		ret = -errno;
		snprintf(err, errlen, "control socket: epoll: %s", strerror(errno));
	}
out:
	if (ret) {
		if (!*err)
			snprintf(err, errlen, "control socket %s: %s", path, strerror(-ret));
		control_close(c);
	}
	return ret;
}

int control_fd(const struct control *c)
{
	return c->epfd;
}

void control_dispatch(struct control *c)
{
	struct epoll_event ev[CONTROL_MAX_CLIENTS + 1];
	struct control_client *cl;
	int n, i;

	if (!c->opened || c->epfd < 0)
		return;
	n = epoll_wait(c->epfd, ev, CONTROL_MAX_CLIENTS + 1, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == TAG_LISTEN) {
			accept_some(c);
			continue;
		}
		/*
		 * By state, not by event bits: a slot closed and reused earlier in
		 * this batch only costs a read or write that says EAGAIN.
		 */
		cl = &c->clients[ev[i].data.u32];
		if (cl->state == CC_READING)
			client_read(c, cl);
		else if (cl->state == CC_WRITING)
			client_write(c, cl);
	}
}

void control_tick(struct control *c, uint64_t now_ms)
{
	struct control_client *cl;
	char msg[64];
	int i;

	if (!c->opened)
		return;
	resume_listening(c);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (cl->state == CC_FREE || now_ms < cl->deadline_ms)
			continue;
		c->stats.timeouts++;
		if (cl->state == CC_READING) {
			snprintf(msg, sizeof(msg), "timed out: no complete request within %d s",
				 CONTROL_TIMEOUT_MS / 1000);
			error_json(&cl->out, "timeout", msg);
			if (!cl->out.out.oom)
				send_now(cl->fd, cl->out.out.data, cl->out.out.len);
		}
		client_close(c, cl);
	}
}

void control_close(struct control *c)
{
	struct stat st;
	int i;

	if (!c->opened)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].state != CC_FREE)
			client_close(c, &c->clients[i]);
	if (c->lfd >= 0) {
		/* a newer agent may have replaced the file: unlink only our own */
		if (!lstat(c->path, &st) && st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
			unlink(c->path);
		close(c->lfd);
	}
	if (c->epfd >= 0)
		close(c->epfd);
	c->lfd = -1;
	c->epfd = -1;
	c->opened = false;
}
