// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procs.h"
#include "decode.h"

#define DEFAULT_GRACE_NS (30ULL * 1000000000ULL)

int procs_init(struct procs *pt)
{
	pt->grace_ns = DEFAULT_GRACE_NS;
	return hashmap_init(&pt->by_tgid, 1024);
}

static void proc_free(struct proc *p)
{
	free(p->exe);
	free(p->argv);
	free(p);
}

void procs_free(struct procs *pt)
{
	size_t it = 0;
	void *v;

	while (hashmap_next(&pt->by_tgid, &it, NULL, &v))
		proc_free(v);
	hashmap_free(&pt->by_tgid);
}

struct proc *procs_get(const struct procs *pt, __u32 tgid)
{
	return hashmap_get(&pt->by_tgid, tgid);
}

static struct proc *proc_new(struct procs *pt, __u32 tgid)
{
	struct proc *p = calloc(1, sizeof(*p)), *old;

	if (!p)
		return NULL;
	p->tgid = tgid;
	p->loginuid = p->sessionid = (__u32)-1;
	if (hashmap_put(&pt->by_tgid, tgid, p, (void **)&old)) {
		free(p);
		return NULL;
	}
	if (old)
		proc_free(old); /* pid reuse: the old process is gone */
	return p;
}

struct proc *procs_touch(struct procs *pt, const struct event_hdr *h)
{
	struct proc *p = procs_get(pt, h->tgid);

	if (p)
		return p;
	p = proc_new(pt, h->tgid);
	if (!p)
		return NULL;
	p->uid = h->uid;
	p->gid = h->gid;
	p->classes = h->classes;
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	return p;
}

char *procs_argv_join(const char *args, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (!outlen)
		return out;
	/* trailing NULs end the list, inner ones separate arguments */
	while (len && args[len - 1] == '\0')
		len--;
	for (i = 0; i < len && o + 1 < outlen; i++)
		out[o++] = args[i] ? args[i] : ' ';
	out[o] = '\0';
	return out;
}

static void set_str(char **dst, const char *s)
{
	char *n = strdup(s);

	if (!n)
		return; /* keep the old value rather than lose it */
	free(*dst);
	*dst = n;
}

void procs_on_exec(struct procs *pt, const struct exec_event *e, const char *path, const char *args,
		   size_t args_len)
{
	struct proc *p = procs_get(pt, e->hdr.tgid);
	char argv[PROC_ARGV_MAX];

	if (!p)
		p = proc_new(pt, e->hdr.tgid);
	if (!p)
		return;
	p->ppid = e->ppid;
	p->uid = e->hdr.uid;
	p->gid = e->hdr.gid;
	p->loginuid = e->loginuid;
	p->sessionid = e->sessionid;
	p->classes = e->hdr.classes;
	p->exe_id.dev = e->dev;
	p->exe_id.ino = e->ino;
	p->start_ns = e->hdr.ts_ns;
	p->exit_ns = 0;
	memcpy(p->comm, e->hdr.comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	set_str(&p->exe, path);
	set_str(&p->argv, procs_argv_join(args, args_len, argv, sizeof(argv)));
}

void procs_on_fork(struct procs *pt, const struct fork_event *e)
{
	struct proc *parent, *c;

	if (e->child_tgid == e->hdr.tgid)
		return; /* a thread, or a malformed record: no new process */
	parent = procs_get(pt, e->hdr.tgid);
	c = proc_new(pt, e->child_tgid);
	if (!c)
		return;
	/* a child runs its parent's image until it execs */
	c->ppid = e->hdr.tgid;
	c->uid = e->hdr.uid;
	c->gid = e->hdr.gid;
	c->classes = e->hdr.classes;
	c->start_ns = e->hdr.ts_ns;
	memcpy(c->comm, e->hdr.comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	if (parent) {
		c->loginuid = parent->loginuid;
		c->sessionid = parent->sessionid;
		c->exe_id = parent->exe_id;
		/* the child holds what its parent read: taint is inherited at fork */
		c->has_origin = parent->has_origin;
		c->origin = parent->origin;
		if (parent->exe)
			c->exe = strdup(parent->exe);
		if (parent->argv)
			c->argv = strdup(parent->argv);
	}
}

void procs_on_exit(struct procs *pt, const struct exit_event *e)
{
	struct proc *p = procs_get(pt, e->hdr.tgid);

	if (!p)
		return;
	p->exit_ns = e->hdr.ts_ns ? e->hdr.ts_ns : 1;
	p->exit_code = e->exit_code;
}

unsigned int procs_gc(struct procs *pt, uint64_t now_ns)
{
	uint64_t *keys, key;
	size_t it = 0, n = 0, i;
	void *v;

	/* collect first: deleting shifts slots under the iterator */
	keys = malloc((pt->by_tgid.len + 1) * sizeof(*keys));
	if (!keys)
		return 0;
	while (hashmap_next(&pt->by_tgid, &it, &key, &v)) {
		struct proc *p = v;

		if (p->exit_ns && p->exit_ns + pt->grace_ns <= now_ns)
			keys[n++] = key;
	}
	for (i = 0; i < n; i++)
		proc_free(hashmap_del(&pt->by_tgid, keys[i]));
	free(keys);
	return n;
}

int procs_chain(const struct procs *pt, __u32 tgid, const struct proc **out, int max)
{
	int n = 0, i;

	while (n < max) {
		const struct proc *p = procs_get(pt, tgid);

		if (!p)
			break;
		for (i = 0; i < n; i++)
			if (out[i] == p)
				return n; /* a cycle from pid reuse: stop */
		out[n++] = p;
		if (p->ppid == 0 || p->ppid == tgid)
			break;
		tgid = p->ppid;
	}
	return n;
}

/* ---- seeding from /proc ---------------------------------------------------- */

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* "Name:", "PPid:", "Uid:", "Gid:" from /proc/<pid>/status */
static void seed_status(struct proc *p, const char *dir)
{
	char path[PATH_MAX], buf[4096], *line;

	snprintf(path, sizeof(path), "%s/status", dir);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "Name:\t", 6))
			snprintf(p->comm, sizeof(p->comm), "%s", line + 6);
		else if (!strncmp(line, "PPid:", 5))
			p->ppid = strtoul(line + 5, NULL, 10);
		else if (!strncmp(line, "Uid:", 4))
			p->uid = strtoul(line + 4, NULL, 10);
		else if (!strncmp(line, "Gid:", 4))
			p->gid = strtoul(line + 4, NULL, 10);
	}
}

static void seed_ids(struct proc *p, const char *dir)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/loginuid", dir);
	if (read_small(path, buf, sizeof(buf)) > 0)
		p->loginuid = strtoul(buf, NULL, 10);
	snprintf(path, sizeof(path), "%s/sessionid", dir);
	if (read_small(path, buf, sizeof(buf)) > 0)
		p->sessionid = strtoul(buf, NULL, 10);
}

static void seed_exe(struct proc *p, const char *dir)
{
	char path[PATH_MAX], target[PATH_MAX], args[CPRW_ARGS_MAX], argv[PROC_ARGV_MAX];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/exe", dir);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		set_str(&p->exe, target);
	}
	if (!stat(path, &st)) {
		p->exe_id.dev = event_kernel_dev(st.st_dev);
		p->exe_id.ino = st.st_ino;
	}
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	n = read_small(path, args, sizeof(args));
	if (n > 0)
		set_str(&p->argv, procs_argv_join(args, n, argv, sizeof(argv)));
}

struct proc *procs_seed_one(struct procs *pt, const char *proc_root, __u32 tgid)
{
	char dir[PATH_MAX];
	struct proc *p;

	snprintf(dir, sizeof(dir), "%s/%u", proc_root, tgid);
	if (access(dir, F_OK))
		return NULL;
	p = proc_new(pt, tgid);
	if (!p)
		return NULL;
	seed_status(p, dir);
	seed_ids(p, dir);
	seed_exe(p, dir);
	return p;
}

int procs_seed(struct procs *pt, const char *proc_root)
{
	struct dirent *de;
	DIR *d = opendir(proc_root);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !isdigit((unsigned char)de->d_name[0]) || pid == 0)
			continue;
		if (procs_seed_one(pt, proc_root, pid))
			n++;
	}
	closedir(d);
	return n;
}

/*
 * fds read per pipe-peer look-up at most: the look-up runs on the event
 * loop, and a user's own processes could hold a million fds.
 */
#define PIPE_PEER_FDS 4096

/* Whether any fd of @pid points at @target ("pipe:[N]"); @budget: fds left to read. */
static bool holds(const char *proc_root, unsigned long pid, const char *target,
		  unsigned int *budget)
{
	char dir[PATH_MAX], path[PATH_MAX], link[64];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%lu/fd", proc_root, pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && *budget && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		--*budget;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, target);
		}
	}
	closedir(d);
	return found;
}

/* @p is @parent or one of its children or grandchildren (other than @self). */
static bool kin_of(const struct procs *pt, const struct proc *p, __u32 parent, __u32 self)
{
	const struct proc *pp;

	if (p->tgid == self || p->exit_ns)
		return false;
	if (p->tgid == parent || p->ppid == parent)
		return true;
	pp = procs_get(pt, p->ppid);
	return pp && pp->ppid == parent;
}

__u32 procs_pipe_peer(const struct procs *pt, const char *proc_root, __u32 pid, int fd)
{
	char path[PATH_MAX], target[64];
	const struct proc *self = procs_get(pt, pid), *best = NULL;
	unsigned int budget = PIPE_PEER_FDS;
	size_t iter = 0;
	uint64_t key;
	void *val;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/fd/%d", proc_root, pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0 || !self)
		return 0;
	target[n] = '\0';
	if (strncmp(target, "pipe:[", 6))
		return 0;
	/*
	 * A feeder's own children inherit its end of the pipe: of all holders
	 * the one started first is the process that set the pipe up (ties: the
	 * lower pid), whatever order the table is walked in.
	 */
	while (hashmap_next(&pt->by_tgid, &iter, &key, &val)) {
		const struct proc *p = val;

		if (best && (p->start_ns > best->start_ns ||
			     (p->start_ns == best->start_ns && p->tgid > best->tgid)))
			continue;
		if (kin_of(pt, p, self->ppid, pid) && holds(proc_root, p->tgid, target, &budget))
			best = p;
	}
	return best ? best->tgid : 0;
}
