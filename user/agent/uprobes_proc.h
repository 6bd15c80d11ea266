/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Per-process uprobes.  A system-wide uprobe traps every process that calls
 * the function (20-30 us a hit on the development VM, on every X request of
 * every xcb program), so the agent attaches its uprobes only to the
 * processes it tracks: when a tracked process execs or forks, or a process
 * becomes tracked, and detaches them at exit.  With trace_all they go on
 * system-wide once instead.
 *
 * Users (the clipboard probes, the TLS probes) register their probes once
 * at start with uprobes_proc_add(): a program, a file, the file offset of
 * the function (uprobe_syms_*() find it) and entry or return.  Every
 * registered probe is attached to every tracked process.
 *
 * How the kernel filters: a uprobe perf event opened for a pid fires for
 * every thread of that process (the filter compares the mm), keeps working
 * across exec (the event follows the task, the filter its current mm), and
 * never fires in a forked child (a new mm: its breakpoints are removed at
 * the first hit), so a child needs its own attach: agent.c attaches at the
 * fork event of a tracked parent.
 *
 * Detaching is slow (closing a perf uprobe waits for an RCU grace period
 * under the kernel's event_mutex: ~70 ms a probe on the development VM), so
 * links of exited processes are destroyed by a thread of their own, never
 * in the event loop, and that thread waits for a second without attaches.
 *
 * The number of processes with probes is bounded (UPROBES_MAX_PROCS); an
 * attach past it is refused and counted, and status shows the counters.
 */
#ifndef CPRW_UPROBES_PROC_H
#define CPRW_UPROBES_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "lib/hashmap.h"

#define UPROBES_MAX_PROCS 256
#define UPROBES_SYSTEM_WIDE (-1)

struct bpf_program;
struct bpf_link;
struct json;
struct up_link;

struct uprobe_spec {
	struct bpf_program *prog;
	const char *owner; /* "clipboard", "tls": named in status */
	char path[256];	   /* the library or executable */
	size_t offset;	   /* file offset of the function */
	bool retprobe;
	__u64 cookie; /* bpf_get_attach_cookie() in the program */
};

struct uprobes_proc_stats {
	uint64_t attached;	 /* processes given their probes, in total */
	uint64_t detached;	 /* ... and relieved of them at exit */
	uint64_t refused;	 /* attaches refused: UPROBES_MAX_PROCS processes had probes */
	uint64_t gone;		 /* processes that exited before their attach */
	uint64_t link_errors;	 /* single probes that failed for another reason */
	uint64_t attach_last_us; /* the last attach's own time, all its probes */
	uint64_t delay_last_us;	 /* from the kernel event (exec, fork) to the last probe on */
	uint64_t delay_max_us;
};

struct uprobes_proc {
	struct uprobe_spec *specs;
	size_t nr_specs, cap_specs;
	struct hashmap procs;	  /* tgid -> struct uprobes_of (its links) */
	struct hashmap exe_cache; /* executable (dev, ino) -> links a probed library? */
	struct hashmap so_cache;  /* soname -> needs a probed library? */
	size_t max_procs;
	bool multi;		/* uprobe_multi links (Linux 6.6+), else perf-event uprobes */
	struct up_link *global; /* system-wide links (trace_all), one per spec */
	size_t nr_global;
	struct uprobes_proc_stats stats;
	/* the detach thread and the links it has still to destroy */
	pthread_t reaper;
	bool reaper_up, stopping;
	bool attaching;		 /* the event loop is attaching: the reaper waits */
	bool stopping_now;	 /* shutting down: the reaper destroys without waiting */
	uint64_t last_attach_us; /* the reaper waits for a quiet second after it */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct uprobes_of *doomed;
};

/*
 * uprobe_multi links (one bpf() call each, and no global kernel mutex on
 * attach or detach) when the kernel has them; the programs must then be
 * loaded for them: uprobes_proc_prepare() on each uprobe program before
 * load, with the same answer as @multi later.
 */
bool uprobes_multi_supported(void);
void uprobes_proc_prepare(struct bpf_program *prog, bool multi);
int uprobes_proc_init(struct uprobes_proc *up, size_t max_procs, bool multi);
/* Detach everything and free. */
void uprobes_proc_free(struct uprobes_proc *up);

/*
 * Register a probe for every process attached from now on; @cookie is what
 * the program reads with bpf_get_attach_cookie().  Returns 0 or -errno.
 */
int uprobes_proc_add(struct uprobes_proc *up, struct bpf_program *prog, const char *owner,
		     const char *path, size_t offset, bool retprobe, __u64 cookie);

/*
 * Attach every registered probe to @tgid (UPROBES_SYSTEM_WIDE: to every
 * process, once).  @event_ns: CLOCK_MONOTONIC time of the kernel event that
 * asked for it (0: none), for the delay counters.  Returns the number of
 * probes attached, 0 when @tgid already has them, -E2BIG past the bound,
 * -ESRCH when the process is gone.
 */
int uprobes_proc_attach(struct uprobes_proc *up, int tgid, uint64_t event_ns);
void uprobes_proc_detach(struct uprobes_proc *up, int tgid);
/*
 * Whether the executable @exe ((@dev, @ino) for the cache) links, directly
 * or through the libraries it needs (DT_NEEDED, followed in the system
 * library directories), one of the libraries a registered probe is on.  A
 * tracked `sed` or `/bin/true` needs no clipboard probes: every attach and
 * detach costs the kernel's event_mutex for milliseconds.  Libraries a
 * program dlopen()s are not seen: callers attach to watched programs
 * regardless.
 */
bool uprobes_proc_wanted(struct uprobes_proc *up, const char *exe, uint64_t dev, uint64_t ino);
bool uprobes_proc_has(const struct uprobes_proc *up, int tgid);
size_t uprobes_proc_count(const struct uprobes_proc *up);

/* Status: {probes, processes, max_processes, system_wide, attached, ...}. */
void uprobes_proc_status_json(struct json *j, const struct uprobes_proc *up);

/* A file's defined functions (.dynsym) with their file offsets, to register probes by name. */
struct uprobe_syms {
	char **names;
	size_t *offsets;
	size_t n;
};

int uprobe_syms_read(const char *path, struct uprobe_syms *s);
void uprobe_syms_free(struct uprobe_syms *s);
/* Index of @name in @s, or -1. */
long uprobe_syms_find(const struct uprobe_syms *s, const char *name);
/* Index of the first function whose name starts with @prefix, or -1. */
long uprobe_syms_find_prefix(const struct uprobe_syms *s, const char *prefix);

#endif
