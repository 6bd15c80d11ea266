// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/event/procs.c: seeding from a fake /proc tree, the exec/fork/exit life
 * cycle, ancestry walks and garbage collection of exited processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "event/procs.h"
#include "event/decode.h"

/* ---- a fake /proc ------------------------------------------------------- */

static char procs_root[64];

static void procs_write(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

struct procs_fake {
	unsigned int pid, ppid, uid, gid;
	const char *name;
	const char *cmdline; /* NUL separated */
	size_t cmdline_len;
	const char *loginuid; /* NULL: no file */
	const char *sessionid;
	const char *exe; /* target under the root, NULL: no link */
};

static void procs_mk(const struct procs_fake *f)
{
	char dir[PATH_MAX], status[512], target[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/proc/%u", procs_root, f->pid);
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	snprintf(status, sizeof(status),
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%u\nNgid:\t0\n"
		 "Pid:\t%u\nPPid:\t%u\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
		 "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t64\n",
		 f->name, f->pid, f->pid, f->ppid, f->uid, f->uid + 1, f->uid + 2, f->uid + 3,
		 f->gid, f->gid + 1, f->gid + 2, f->gid + 3);
	procs_write(dir, "status", status, strlen(status));
	procs_write(dir, "cmdline", f->cmdline, f->cmdline_len);
	if (f->loginuid)
		procs_write(dir, "loginuid", f->loginuid, strlen(f->loginuid));
	if (f->sessionid)
		procs_write(dir, "sessionid", f->sessionid, strlen(f->sessionid));
	if (f->exe) {
		char link[PATH_MAX];

		snprintf(target, sizeof(target), "%s%s", procs_root, f->exe);
		snprintf(link, sizeof(link), "%s/exe", dir);
		CU_ASSERT_FATAL(symlink(target, link) == 0);
	}
}

static void procs_rm_tree(const char *path)
{
	char cmd[PATH_MAX + 16];

	/* only ever our own mkdtemp directory */
	if (strncmp(path, "/tmp/cprw-procs-", 16))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) == 0)
		procs_root[0] = '\0';
}

/* A test stopped by a fatal assertion still leaves no tree behind. */
static void procs_atexit(void)
{
	if (procs_root[0])
		procs_rm_tree(procs_root);
}

static char procs_long_cmdline[2000];

static const struct procs_fake procs_fakes[] = {
	{ 1, 0, 0, 0, "systemd", "/sbin/init\0splash\0", 18, "4294967295", "4294967295",
	  "/bin/init-real" },
	{ 100, 1, 1000, 1001, "bash", "bash\0-c\0echo hi\0", 16, "1000", "3", "/bin/bash-real" },
	{ 200, 100, 1000, 1001, "kworker/0:1", "", 0, NULL, NULL, NULL },
	{ 300, 100, 1000, 1001, "a-very-long-process-name", procs_long_cmdline,
	  sizeof(procs_long_cmdline), "1000", "3", "/bin/bash-real" },
};

static void procs_mk_tree(void)
{
	static bool registered;
	char path[PATH_MAX];
	size_t i;

	strcpy(procs_root, "/tmp/cprw-procs-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(procs_root));
	if (!registered)
		registered = !atexit(procs_atexit);
	snprintf(path, sizeof(path), "%s/proc", procs_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bin", procs_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	procs_write(path, "init-real",
		    "\x7f"
		    "ELF",
		    4);
	procs_write(path, "bash-real",
		    "\x7f"
		    "ELF",
		    4);
	memset(procs_long_cmdline, 'x', sizeof(procs_long_cmdline));
	for (i = 0; i < sizeof(procs_fakes) / sizeof(procs_fakes[0]); i++)
		procs_mk(&procs_fakes[i]);
	/* not processes: must be skipped */
	snprintf(path, sizeof(path), "%s/proc/self", procs_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/proc/12abc", procs_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/proc/0", procs_root);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
	procs_write(procs_root, "proc/meminfo", "MemTotal: 1 kB\n", 15);
}

static void procs_expect_exe_id(const struct proc *p, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", procs_root, rel);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(p->exe_id.dev, event_kernel_dev(st.st_dev));
	CU_ASSERT_EQUAL(p->exe_id.ino, st.st_ino);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->exe);
	CU_ASSERT_STRING_EQUAL(p->exe, path);
}

static void test_seed_fake_proc(void)
{
	struct procs pt;
	const struct proc *p;
	char proc[PATH_MAX];

	procs_mk_tree();
	snprintf(proc, sizeof(proc), "%s/proc", procs_root);
	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	CU_ASSERT_EQUAL(procs_seed(&pt, proc), 4);
	CU_ASSERT_EQUAL(pt.by_tgid.len, 4);
	CU_ASSERT_PTR_NULL(procs_get(&pt, 0));

	p = procs_get(&pt, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->tgid, 100);
	CU_ASSERT_EQUAL(p->ppid, 1);
	CU_ASSERT_EQUAL(p->uid, 1000); /* real uid: the first of the four */
	CU_ASSERT_EQUAL(p->gid, 1001);
	CU_ASSERT_STRING_EQUAL(p->comm, "bash");
	CU_ASSERT_EQUAL(p->loginuid, 1000);
	CU_ASSERT_EQUAL(p->sessionid, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->argv);
	CU_ASSERT_STRING_EQUAL(p->argv, "bash -c echo hi");
	CU_ASSERT_EQUAL(p->exit_ns, 0);
	procs_expect_exe_id(p, "/bin/bash-real");

	p = procs_get(&pt, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->ppid, 0);
	CU_ASSERT_EQUAL(p->uid, 0);
	CU_ASSERT_STRING_EQUAL(p->comm, "systemd");
	CU_ASSERT_EQUAL(p->loginuid, (__u32)-1); /* "4294967295": unset */
	CU_ASSERT_STRING_EQUAL(p->argv, "/sbin/init splash");
	procs_expect_exe_id(p, "/bin/init-real");

	/* a kernel thread: no exe, empty cmdline, no audit ids */
	p = procs_get(&pt, 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->comm, "kworker/0:1");
	CU_ASSERT_PTR_NULL(p->exe);
	CU_ASSERT_PTR_NULL(p->argv);
	CU_ASSERT_EQUAL(p->exe_id.ino, 0);
	CU_ASSERT_EQUAL(p->loginuid, (__u32)-1);
	CU_ASSERT_EQUAL(p->sessionid, (__u32)-1);

	/* comm is cut to the kernel's 15 characters, argv to PROC_ARGV_MAX */
	p = procs_get(&pt, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->comm, "a-very-long-pro");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->argv);
	CU_ASSERT_EQUAL(strlen(p->argv), PROC_ARGV_MAX - 1);

	CU_ASSERT_PTR_NULL(procs_seed_one(&pt, proc, 4242));
	CU_ASSERT_PTR_NULL(procs_get(&pt, 4242));
	procs_free(&pt);
	procs_rm_tree(procs_root);
}

static void test_seed_missing_root(void)
{
	struct procs pt;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	CU_ASSERT_EQUAL(procs_seed(&pt, "/nonexistent-cprwatch-proc"), -ENOENT);
	CU_ASSERT_EQUAL(pt.by_tgid.len, 0);
	procs_free(&pt);
}

/* The real /proc: at least this process is found, with its own pid and uid. */
static void test_seed_real_proc(void)
{
	struct procs pt;
	const struct proc *p;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	CU_ASSERT(procs_seed(&pt, "/proc") > 0);
	p = procs_get(&pt, getpid());
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->ppid, (__u32)getppid());
	CU_ASSERT_EQUAL(p->uid, getuid());
	CU_ASSERT_PTR_NOT_NULL(p->argv);
	procs_free(&pt);
}

/* ---- events --------------------------------------------------------------- */

static void procs_hdr(struct event_hdr *h, __u16 type, __u32 tgid, __u64 ts)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->ts_ns = ts;
	h->pid = tgid;
	h->tgid = tgid;
	h->uid = 1000;
	h->gid = 1000;
	h->classes = CLASS_CPR_CLIENT;
	memcpy(h->comm, "cprklient", 10);
}

static void procs_exec(struct procs *pt, __u32 tgid, __u32 ppid, __u64 ts, const char *path,
		       const char *args, size_t args_len, __u64 ino)
{
	struct exec_event e;

	memset(&e, 0, sizeof(e));
	procs_hdr(&e.hdr, EV_EXEC, tgid, ts);
	e.ppid = ppid;
	e.loginuid = 1000;
	e.sessionid = 7;
	e.dev = 8 << 20 | 1;
	e.ino = ino;
	procs_on_exec(pt, &e, path, args, args_len);
}

static void procs_fork(struct procs *pt, __u32 parent, __u32 child, __u64 ts)
{
	struct fork_event f;

	memset(&f, 0, sizeof(f));
	procs_hdr(&f.hdr, EV_FORK, parent, ts);
	f.child_pid = child;
	f.child_tgid = child;
	procs_on_fork(pt, &f);
}

static void procs_exit(struct procs *pt, __u32 tgid, __u64 ts, __u32 code)
{
	struct exit_event x;

	memset(&x, 0, sizeof(x));
	procs_hdr(&x.hdr, EV_EXIT, tgid, ts);
	x.exit_code = code;
	procs_on_exit(pt, &x);
}

static void test_exec_sets_fields(void)
{
	struct procs pt;
	const struct proc *p;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_exec(&pt, 500, 1, 1000, "/opt/cpr/bin/cprklient", "cprklient\0--batch\0x y\0", 23,
		   99);
	p = procs_get(&pt, 500);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->ppid, 1);
	CU_ASSERT_EQUAL(p->uid, 1000);
	CU_ASSERT_EQUAL(p->loginuid, 1000);
	CU_ASSERT_EQUAL(p->sessionid, 7);
	CU_ASSERT_EQUAL(p->classes, CLASS_CPR_CLIENT);
	CU_ASSERT_EQUAL(p->exe_id.dev, 8 << 20 | 1);
	CU_ASSERT_EQUAL(p->exe_id.ino, 99);
	CU_ASSERT_EQUAL(p->start_ns, 1000);
	CU_ASSERT_STRING_EQUAL(p->comm, "cprklient");
	CU_ASSERT_STRING_EQUAL(p->exe, "/opt/cpr/bin/cprklient");
	CU_ASSERT_STRING_EQUAL(p->argv, "cprklient --batch x y");

	/* a second exec replaces image and argv in place */
	procs_exec(&pt, 500, 1, 2000, "/usr/bin/zip", "zip\0-r\0", 7, 100);
	CU_ASSERT_PTR_EQUAL(procs_get(&pt, 500), p);
	CU_ASSERT_STRING_EQUAL(p->exe, "/usr/bin/zip");
	CU_ASSERT_STRING_EQUAL(p->argv, "zip -r");
	CU_ASSERT_EQUAL(p->exe_id.ino, 100);
	CU_ASSERT_EQUAL(pt.by_tgid.len, 1);
	procs_free(&pt);
}

static void test_fork_inherits_until_exec(void)
{
	struct procs pt;
	const struct proc *parent, *child;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_exec(&pt, 500, 1, 1000, "/bin/bash", "bash\0", 5, 11);
	procs_fork(&pt, 500, 501, 1500);
	parent = procs_get(&pt, 500);
	child = procs_get(&pt, 501);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parent);
	CU_ASSERT_PTR_NOT_NULL_FATAL(child);
	CU_ASSERT_EQUAL(child->ppid, 500);
	CU_ASSERT_EQUAL(child->start_ns, 1500);
	CU_ASSERT_EQUAL(child->loginuid, 1000);
	CU_ASSERT_EQUAL(child->sessionid, 7);
	CU_ASSERT_EQUAL(child->exe_id.ino, 11);
	CU_ASSERT_EQUAL(child->exe_id.dev, parent->exe_id.dev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(child->exe);
	CU_ASSERT_STRING_EQUAL(child->exe, "/bin/bash");
	CU_ASSERT_PTR_NOT_EQUAL(child->exe, parent->exe); /* its own copy */
	CU_ASSERT_STRING_EQUAL(child->argv, "bash");
	CU_ASSERT_EQUAL(child->exit_ns, 0);

	/* the child execs: it changes, the parent does not */
	procs_exec(&pt, 501, 500, 1600, "/usr/bin/zip", "zip\0-r\0out.zip\0", 15, 12);
	CU_ASSERT_STRING_EQUAL(child->exe, "/usr/bin/zip");
	CU_ASSERT_STRING_EQUAL(child->argv, "zip -r out.zip");
	CU_ASSERT_EQUAL(child->exe_id.ino, 12);
	CU_ASSERT_STRING_EQUAL(parent->exe, "/bin/bash");
	CU_ASSERT_STRING_EQUAL(parent->argv, "bash");
	CU_ASSERT_EQUAL(parent->exe_id.ino, 11);

	/* a fork from a parent we never saw: a placeholder without an image */
	procs_fork(&pt, 9000, 9001, 1700);
	child = procs_get(&pt, 9001);
	CU_ASSERT_PTR_NOT_NULL_FATAL(child);
	CU_ASSERT_EQUAL(child->ppid, 9000);
	CU_ASSERT_PTR_NULL(child->exe);
	CU_ASSERT_PTR_NULL(child->argv);
	CU_ASSERT_EQUAL(child->loginuid, (__u32)-1);
	CU_ASSERT_PTR_NULL(procs_get(&pt, 9000));
	procs_free(&pt);
}

/* pid reuse: a fork onto a pid still held by an exited process replaces it. */
static void test_fork_replaces_reused_pid(void)
{
	struct procs pt;
	const struct proc *c;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_exec(&pt, 500, 1, 1000, "/bin/bash", "bash\0", 5, 11);
	procs_exec(&pt, 600, 1, 1000, "/usr/bin/old", "old\0", 4, 13);
	procs_exit(&pt, 600, 2000, 0);
	procs_fork(&pt, 500, 600, 3000);
	c = procs_get(&pt, 600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->exit_ns, 0);
	CU_ASSERT_EQUAL(c->ppid, 500);
	CU_ASSERT_STRING_EQUAL(c->exe, "/bin/bash");
	CU_ASSERT_EQUAL(pt.by_tgid.len, 2);
	procs_free(&pt);
}

static void test_exit_and_gc(void)
{
	struct procs pt;
	const struct proc *p;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	pt.grace_ns = 1000;
	procs_exec(&pt, 10, 1, 100, "/bin/a", "a\0", 2, 1);
	procs_exec(&pt, 11, 1, 100, "/bin/b", "b\0", 2, 2);
	procs_exec(&pt, 12, 1, 100, "/bin/c", "c\0", 2, 3);
	procs_exit(&pt, 10, 5000, 1 << 8);
	procs_exit(&pt, 12, 0, 9);    /* a zero timestamp still marks the exit */
	procs_exit(&pt, 77, 5000, 0); /* unknown: nothing is created */
	CU_ASSERT_PTR_NULL(procs_get(&pt, 77));

	p = procs_get(&pt, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->exit_ns, 5000);
	CU_ASSERT_EQUAL(p->exit_code, 1 << 8);
	CU_ASSERT(procs_get(&pt, 12)->exit_ns != 0);

	/* still inside the grace period: late events resolve */
	CU_ASSERT_EQUAL(procs_gc(&pt, 5999), 1); /* only 12 (exit at ~0) */
	CU_ASSERT_PTR_NOT_NULL(procs_get(&pt, 10));
	CU_ASSERT_PTR_NULL(procs_get(&pt, 12));
	CU_ASSERT_EQUAL(procs_gc(&pt, 6000), 1);
	CU_ASSERT_PTR_NULL(procs_get(&pt, 10));
	/* a live process is never collected */
	CU_ASSERT_EQUAL(procs_gc(&pt, UINT64_MAX / 2), 0);
	CU_ASSERT_PTR_NOT_NULL(procs_get(&pt, 11));
	CU_ASSERT_EQUAL(pt.by_tgid.len, 1);
	procs_free(&pt);
}

/* An exec after an exit record (pid reused) makes the process live again. */
static void test_exec_revives(void)
{
	struct procs pt;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	pt.grace_ns = 10;
	procs_exec(&pt, 10, 1, 100, "/bin/a", "a\0", 2, 1);
	procs_exit(&pt, 10, 200, 0);
	procs_exec(&pt, 10, 1, 300, "/bin/b", "b\0", 2, 2);
	CU_ASSERT_EQUAL(procs_get(&pt, 10)->exit_ns, 0);
	CU_ASSERT_EQUAL(procs_gc(&pt, 100000), 0);
	CU_ASSERT_PTR_NOT_NULL(procs_get(&pt, 10));
	procs_free(&pt);
}

/* Many processes exit at once: gc removes exactly those, whatever the table's layout. */
static void test_gc_many(void)
{
	struct procs pt;
	__u32 i;
	int missing = 0, wrong = 0;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	pt.grace_ns = 1;
	for (i = 1; i <= 5000; i++)
		procs_exec(&pt, i, 1, 1, "/bin/x", "x\0", 2, i);
	for (i = 1; i <= 5000; i += 2)
		procs_exit(&pt, i, 10, 0);
	CU_ASSERT_EQUAL(procs_gc(&pt, 100), 2500);
	for (i = 1; i <= 5000; i++) {
		const struct proc *p = procs_get(&pt, i);

		if (i % 2)
			wrong += p != NULL;
		else
			missing += !p || p->tgid != i;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(missing, 0);
	procs_free(&pt);
}

static void test_touch(void)
{
	struct procs pt;
	struct event_hdr h;
	struct proc *p, *again;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_hdr(&h, EV_OPEN, 700, 10);
	h.uid = 1234;
	h.gid = 4321;
	h.classes = CLASS_MESSAGING;
	memset(h.comm, 'c', sizeof(h.comm)); /* the kernel's comm may fill all 16 bytes */
	p = procs_touch(&pt, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->tgid, 700);
	CU_ASSERT_EQUAL(p->uid, 1234);
	CU_ASSERT_EQUAL(p->gid, 4321);
	CU_ASSERT_EQUAL(p->classes, CLASS_MESSAGING);
	CU_ASSERT_EQUAL(strlen(p->comm), CPRW_COMM_LEN - 1);
	CU_ASSERT_EQUAL(p->loginuid, (__u32)-1);
	CU_ASSERT_PTR_NULL(p->exe);

	/* an existing process is returned as is */
	h.uid = 1;
	again = procs_touch(&pt, &h);
	CU_ASSERT_PTR_EQUAL(again, p);
	CU_ASSERT_EQUAL(again->uid, 1234);
	procs_free(&pt);
}

/* ---- ancestry ----------------------------------------------------------------- */

static void test_chain(void)
{
	const struct proc *out[PROC_CHAIN_MAX];
	struct procs pt;
	int n;

	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_exec(&pt, 1, 0, 1, "/sbin/init", "init\0", 5, 1);
	procs_exec(&pt, 100, 1, 1, "/bin/bash", "bash\0", 5, 2);
	procs_exec(&pt, 200, 100, 1, "/opt/cpr", "cpr\0", 4, 3);
	procs_exec(&pt, 300, 200, 1, "/usr/bin/zip", "zip\0", 4, 4);

	n = procs_chain(&pt, 300, out, PROC_CHAIN_MAX);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(out[0]->tgid, 300);
	CU_ASSERT_EQUAL(out[1]->tgid, 200);
	CU_ASSERT_EQUAL(out[2]->tgid, 100);
	CU_ASSERT_EQUAL(out[3]->tgid, 1);
	/* bounded by the caller's array */
	CU_ASSERT_EQUAL(procs_chain(&pt, 300, out, 2), 2);
	CU_ASSERT_EQUAL(procs_chain(&pt, 300, out, 0), 0);
	CU_ASSERT_EQUAL(procs_chain(&pt, 4242, out, PROC_CHAIN_MAX), 0);

	/* a gap: the walk stops at the first unknown parent */
	procs_exec(&pt, 600, 555, 1, "/bin/x", "x\0", 2, 5);
	CU_ASSERT_EQUAL(procs_chain(&pt, 600, out, PROC_CHAIN_MAX), 1);

	/* a process that is its own parent */
	procs_exec(&pt, 700, 700, 1, "/bin/x", "x\0", 2, 6);
	CU_ASSERT_EQUAL(procs_chain(&pt, 700, out, PROC_CHAIN_MAX), 1);

	/* a cycle (pid reuse): each process once, then stop */
	procs_exec(&pt, 800, 801, 1, "/bin/x", "x\0", 2, 7);
	procs_exec(&pt, 801, 802, 1, "/bin/y", "y\0", 2, 8);
	procs_exec(&pt, 802, 800, 1, "/bin/z", "z\0", 2, 9);
	n = procs_chain(&pt, 800, out, PROC_CHAIN_MAX);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(out[0]->tgid, 800);
	CU_ASSERT_EQUAL(out[2]->tgid, 802);
	procs_free(&pt);
}

/* ---- procs_argv_join ----------------------------------------------------------------- */

/* fd @fd of fake process @pid under @root points at @target */
static void procs_fake_fd(const char *root, __u32 pid, int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd/%d", root, pid, fd);
	CU_ASSERT_EQUAL(symlink(target, path), 0);
}

/*
 * The pipe peer of a clipboard tool is looked for among its kin only: a
 * sibling in a shell pipeline or a nephew behind a subshell is found; an
 * unrelated process holding the same pipe and 2,000 other fds is never
 * searched (every clipboard-tool exec used to walk every fd on the machine).
 */
static void test_pipe_peer_kin_only(void)
{
	char root[] = "/tmp/cprw-pipe-peer.XXXXXX";
	struct procs pt;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	CU_ASSERT_EQUAL_FATAL(procs_init(&pt), 0);
	procs_exec(&pt, 100, 1, 1, "/usr/bin/bash", "bash", 5, 1);   /* the shell */
	procs_fork(&pt, 100, 101, 2);				     /* the tool */
	procs_fork(&pt, 100, 102, 2);				     /* subshell */
	procs_fork(&pt, 102, 103, 3);				     /* its feeder */
	procs_exec(&pt, 500, 1, 1, "/usr/bin/other", "other", 6, 2); /* unrelated */
	procs_fake_fd(root, 101, 0, "pipe:[42]");
	procs_fake_fd(root, 101, 1, "pipe:[43]");
	procs_fake_fd(root, 103, 1, "pipe:[42]");
	/* stderr piped to the subshell, whose children inherited that end: the subshell */
	procs_fake_fd(root, 101, 2, "pipe:[44]");
	procs_fork(&pt, 102, 104, 4);
	procs_fake_fd(root, 104, 2, "pipe:[44]");
	procs_fake_fd(root, 103, 2, "pipe:[44]");
	procs_fake_fd(root, 102, 1, "pipe:[44]");
	for (i = 0; i < 2000; i++)
		procs_fake_fd(root, 500, i + 3, "socket:[7]");
	procs_fake_fd(root, 500, 2003, "pipe:[43]");

	CU_ASSERT_EQUAL(procs_pipe_peer(&pt, root, 101, 0), 103);
	CU_ASSERT_EQUAL(procs_pipe_peer(&pt, root, 101, 1), 0);
	CU_ASSERT_EQUAL(procs_pipe_peer(&pt, root, 101, 2), 102);
	CU_ASSERT_EQUAL(procs_pipe_peer(&pt, root, 101, 3), 0); /* no fd 3 */
	CU_ASSERT_EQUAL(procs_pipe_peer(&pt, root, 999, 0), 0); /* unknown pid */
	procs_free(&pt);
	procs_rm_tree(root);
}

static void test_argv_join(void)
{
	static const struct {
		const char *args;
		size_t len, outlen;
		const char *want;
	} cases[] = {
		{ "a\0b\0c\0", 6, 64, "a b c" },
		{ "a\0b\0c", 5, 64, "a b c" }, /* cut: no final NUL */
		{ "a\0\0\0\0", 5, 64, "a" },   /* trailing NULs end the list */
		{ "a\0\0b\0", 5, 64, "a  b" }, /* an empty argument inside */
		{ "\0\0\0", 3, 64, "" },
		{ "", 0, 64, "" },
		{ "abcdef\0", 7, 4, "abc" }, /* bounded by outlen */
		{ "ab\0cd\0", 6, 4, "ab " },
		{ "abc\0", 4, 1, "" },
		{ "abc\0", 4, 5, "abc" },
		{ "abc\0", 4, 4, "abc" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[80];

		memset(out, 'Z', sizeof(out));
		CU_ASSERT_PTR_EQUAL(
			procs_argv_join(cases[i].args, cases[i].len, out, cases[i].outlen), out);
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
		CU_ASSERT_EQUAL(out[cases[i].outlen], 'Z'); /* nothing past the bound */
	}
}

static void test_argv_join_zero_outlen(void)
{
	char out[4] = "ZZZ";

	CU_ASSERT_PTR_EQUAL(procs_argv_join("abc\0", 4, out, 0), out);
	CU_ASSERT_STRING_EQUAL(out, "ZZZ");
}

static CU_TestInfo procs_tests[] = {
	{ "seed from a fake /proc", test_seed_fake_proc },
	{ "seed: missing root", test_seed_missing_root },
	{ "seed from the real /proc", test_seed_real_proc },
	{ "exec sets fields", test_exec_sets_fields },
	{ "fork inherits until exec", test_fork_inherits_until_exec },
	{ "fork replaces a reused pid", test_fork_replaces_reused_pid },
	{ "exit and gc after grace", test_exit_and_gc },
	{ "exec revives an exited pid", test_exec_revives },
	{ "gc of many processes", test_gc_many },
	{ "touch creates a placeholder", test_touch },
	{ "chain walks up, stops at cycles", test_chain },
	{ "pipe peer: kin only", test_pipe_peer_kin_only },
	{ "procs_argv_join table", test_argv_join },
	{ "procs_argv_join outlen 0", test_argv_join_zero_outlen },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(procs, procs_tests)
