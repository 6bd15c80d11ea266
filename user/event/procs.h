/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The process table: who runs what, under whom, started by whom.  Seeded
 * from /proc at start, then kept by exec/fork/exit events.  An exited
 * process stays for a grace period so late events (a TCP close after the
 * owner exited, a rule looking up the chain) still resolve.
 */
#ifndef CPRW_PROCS_H
#define CPRW_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cprwatch/events.h"
#include "lib/hashmap.h"

#define PROC_ARGV_MAX 512 /* argv kept per process, joined by spaces */
#define PROC_CHAIN_MAX 16

struct proc {
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 sessionid;
	__u32 classes;
	char comm[CPRW_COMM_LEN];
	char *exe;
	char *argv; /* joined, bounded, may be cut */
	struct file_id exe_id;
	uint64_t start_ns; /* monotonic */
	uint64_t exit_ns;  /* 0 while alive */
	int exit_code;
	unsigned int open_files; /* open events seen: exit needs an fd flush */
	__u32 stdin_from;	 /* clipboard tools: the process writing into our stdin pipe */
	__u32 stdout_to;	 /* ... and the one reading our stdout pipe; 0 = none */
	bool has_origin;	 /* read a tainted file: the export it came from */
	struct file_id origin;
	uint64_t tainted_read; /* bytes read from tainted files (closed so far) */
};

struct procs {
	struct hashmap by_tgid;
	uint64_t grace_ns; /* how long an exited process is kept */
};

int procs_init(struct procs *pt);
void procs_free(struct procs *pt);

/* Read every /proc/<pid> under @proc_root ("/proc"). Returns processes read or -errno. */
int procs_seed(struct procs *pt, const char *proc_root);
/* Read one process from @proc_root/<tgid>. */
struct proc *procs_seed_one(struct procs *pt, const char *proc_root, __u32 tgid);

struct proc *procs_get(const struct procs *pt, __u32 tgid);
/* Get or create (a placeholder filled from the event header). */
struct proc *procs_touch(struct procs *pt, const struct event_hdr *h);

void procs_on_exec(struct procs *pt, const struct exec_event *e, const char *path, const char *args,
		   size_t args_len);
void procs_on_fork(struct procs *pt, const struct fork_event *e);
void procs_on_exit(struct procs *pt, const struct exit_event *e);
/* Drop processes that exited more than grace_ns before @now_ns. */
unsigned int procs_gc(struct procs *pt, uint64_t now_ns);

/* Ancestors from @tgid up to init or PROC_CHAIN_MAX; returns the count. */
int procs_chain(const struct procs *pt, __u32 tgid, const struct proc **out, int max);

/*
 * The other process holding the pipe that @pid has on @fd, or 0 (not a pipe,
 * nobody else, or gone).  Looked for among @pid's parent, its children and
 * grandchildren (a shell pipeline, the program that spawned the tool): the
 * fds of those few, never of every process, and at most 4096 fds in all, so
 * a user holding thousands of fds open cannot stall the event loop on each
 * clipboard-tool exec (past the bound the peer is reported as unknown, 0).
 */
__u32 procs_pipe_peer(const struct procs *pt, const char *proc_root, __u32 pid, int fd);

/* NUL-separated argv -> one line with spaces, bounded; returns @out. */
char *procs_argv_join(const char *args, size_t len, char *out, size_t outlen);

#endif
