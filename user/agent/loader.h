/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Loading the embedded BPF object, attaching each probe, and the maps user
 * space writes (watched programs, export directories, tracked processes,
 * taint).  Nothing is pinned: when the agent exits, every probe goes.
 */
#ifndef CPRW_LOADER_H
#define CPRW_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "cprwatch/events.h"
#include "watchlist.h"

#define LOADER_MAX_PROBES 96

struct ring_buffer;
struct cprwatch_bpf;
struct bpf_link;
struct bpf_object;

struct probe_state {
	const char *name; /* program name */
	const char *hook; /* section: hook type and point */
	bool attached;
	int err; /* -errno when not attached */
};

struct loader {
	struct cprwatch_bpf *skel;
	bool turns; /* sock_send_length/sock_recv_length probes loaded */
	struct bpf_link *links[LOADER_MAX_PROBES];
	struct probe_state probes[LOADER_MAX_PROBES];
	int nr_probes;
	bool raw_syscalls; /* the tp_btf sys_enter/sys_exit dispatcher, not per-syscall tracepoints */
	const char *fallback_why; /* why not, when the per-syscall tracepoints run */
	bool uprobe_multi;	  /* uprobe programs loaded for uprobe_multi links */
	bool iouring;		  /* the io_uring probes (bpf/io_uring.bpf.c) are loaded */
	const char *iouring_why;  /* why not, when they are not */
};

/* Set to "perf" to attach uprobes as perf events even where uprobe_multi exists. */
#define LOADER_UPROBES_ENV "CPRWATCH_UPROBE_LINK"

/* Set to "off" to leave the io_uring programs out (troubleshooting; the tests use it). */
#define LOADER_IOURING_ENV "CPRWATCH_IOURING"

/* Set to "tracepoint" to run the per-syscall tracepoints instead of the dispatcher. */
#define LOADER_HOOKS_ENV "CPRWATCH_SYSCALL_HOOKS"

enum loader_err {
	LOADER_ERR_ENV = 2, /* exit code for a machine that cannot run the agent */
};

/*
 * Check what loading needs (root, BTF) and mount tracefs when it is absent;
 * on failure returns -errno
 * and a one-line message with the fix in @err.
 */
int loader_preflight(char *err, size_t errlen);
struct loader_opts {
	bool trace_all;
	__u32 tls_response_bytes; /* response bytes sent up per TLS request */
	__u32 ring_bytes;	  /* the event ring: a power of two, 0 = as compiled */
};

int loader_open(struct loader *ld, const struct loader_opts *o, char *err, size_t errlen);
void loader_close(struct loader *ld);
/* "tp_btf" (one raw sys_enter/sys_exit pair) or "tracepoint" (one program per syscall). */
const char *loader_syscall_hooks(const struct loader *ld);
/* X11 requests are parsed off the wire (bpf/x11_handlers.h), not by the library probes. */
bool loader_x11_wire(const struct loader *ld);
int loader_events_fd(const struct loader *ld);
/* The loaded object, for probes attached elsewhere (user/agent/clipboard.c). */
struct bpf_object *loader_object(const struct loader *ld);

/* Make the kernel's watched-program and export-dir maps equal to @wl. */
int loader_sync_watchlist(struct loader *ld, const struct watchlist *wl);
/* Make the kernel's CPR endpoint map equal to @keys (an all-zero key: every peer). */
int loader_set_endpoints(struct loader *ld, const struct endpoint_key *keys, size_t n);
int loader_track(struct loader *ld, __u32 tgid, __u32 classes);
int loader_taint(struct loader *ld, const struct file_id *id, const struct file_id *origin,
		 __u32 by_tgid);
bool loader_is_tainted(struct loader *ld, const struct file_id *id, struct file_id *origin);

/* Sum of the per-CPU counters (enum counter_idx). */
int loader_counters(struct loader *ld, __u64 out[CNT_MAX]);

/*
 * fds of @tgid still accounted when it exited: fill a close event for each
 * file whose last accounted fd it was, and call @fn with it.
 */
typedef void (*close_fn)(const struct close_event *e, void *arg);
int loader_flush_fds(struct loader *ld, const struct event_hdr *exit_hdr, close_fn fn, void *arg);

#endif
