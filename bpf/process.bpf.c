// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle: exec, fork, exit.  These always go up (they are rare and
 * build the process table).  Tracking starts at exec of a watched binary and
 * is inherited by children at fork, in the kernel, so a child is tracked
 * before it can run a single instruction.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.h"
#include "emit.h"
#include "path.h"

char LICENSE[] SEC("license") = "GPL";

#define ARGS_MASK (CPRW_ARGS_MAX - 1)

static __always_inline __u32 exec_classes(__u32 tgid, struct file_id *exe)
{
	struct proc_track *t = track_of(tgid);
	__u32 *cls = bpf_map_lookup_elem(&watched_bins, exe);
	struct proc_track nt = {};

	if (!cls)
		return t ? t->classes : 0;
	if (t) {
		t->classes |= *cls;
		return t->classes;
	}
	nt.classes = *cls;
	track_set(tgid, &nt);
	return nt.classes;
}

static __always_inline __u32 read_args(struct task_struct *task, char *dst, __u32 *full)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 len;

	if (end <= start)
		return 0;
	*full = end - start;
	len = *full < CPRW_ARGS_MAX ? *full : CPRW_ARGS_MAX;
	if (bpf_probe_read_user(dst, len & ARGS_MASK ?: CPRW_ARGS_MAX, (void *)start))
		return 0;
	return len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct file *exe = BPF_CORE_READ(bprm, file);
	char *pbuf = path_buf(0);
	struct exec_event *ev = event_buf();
	struct file_id id;
	__u32 off, plen, alen, full = 0;
	bool trunc;

	if (!ev || !pbuf)
		return 0;
	file_id_of(exe, &id);
	fill_hdr(&ev->hdr, EV_EXEC, exec_classes(p->tgid, &id));
	ev->ppid = BPF_CORE_READ(p, real_parent, tgid);
	ev->loginuid = bpf_core_field_exists(p->loginuid) ? BPF_CORE_READ(p, loginuid.val) : -1;
	ev->sessionid = bpf_core_field_exists(p->sessionid) ? BPF_CORE_READ(p, sessionid) : -1;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->dev = id.dev;
	ev->ino = id.ino;

	off = path_build(&exe->f_path, 0, &trunc);
	plen = path_copy(ev->data, pbuf, off);
	alen = read_args(p, ev->data + (plen & PATH_MASK), &full);
	ev->path_len = plen;
	ev->args_len = alen;
	ev->args_full_len = full;
	if (trunc || full > alen)
		ev->hdr.flags |= EVF_TRUNCATED;
	/*
	 * A tracked process gets its uprobes from the agent when the agent
	 * sees this exec: wake it now rather than within 100 ms, so the
	 * window before the probes are on stays short.
	 */
	submit_wake(ev, sizeof(*ev) + plen + alen, ev->hdr.classes != 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct proc_track *t;
	struct fork_event *ev;

	if (child->pid != ctgid)
		return 0; /* a new thread: same process, nothing changes */
	t = track_of(ptgid);
	if (t)
		track_set(ctgid, t);
	ev = event_buf();
	if (!ev)
		return 0;
	fill_hdr(&ev->hdr, EV_FORK, t ? t->classes : 0);
	ev->child_pid = child->pid;
	ev->child_tgid = ctgid;
	submit(ev, sizeof(*ev));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid;
	struct proc_track *t;
	struct exit_event *ev;

	if (!group_dead)
		return 0; /* another thread of the process is still alive */
	clear_hot(tgid);
	ev = event_buf();
	if (!ev)
		return 0;
	t = track_of(tgid);
	fill_hdr(&ev->hdr, EV_EXIT, t ? t->classes : 0);
	ev->exit_code = BPF_CORE_READ(p, exit_code);
	ev->pad = 0;
	submit(ev, sizeof(*ev));
	if (t)
		bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}
