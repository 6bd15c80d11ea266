// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cprwatch.skel.h"
#include "loader.h"
#include "uprobes_proc.h"
#include "lib/log.h"

#define TRACEFS_MAGIC_VAL 0x74726163
#define TRACEFS_DIR "/sys/kernel/tracing"

static bool tracefs_mounted(void)
{
	struct statfs sf;

	if (!statfs(TRACEFS_DIR, &sf) && sf.f_type == TRACEFS_MAGIC_VAL)
		return true;
	return !statfs("/sys/kernel/debug/tracing", &sf) && sf.f_type == TRACEFS_MAGIC_VAL;
}

/*
 * The per-syscall and sock tracepoints are found through tracefs.  A minimal
 * boot (containers, fresh VMs, early boot units) may not have it mounted:
 * mount it, as other BPF agents do, rather than refuse to start.  It stays
 * mounted after the agent exits; nothing else depends on it being gone.
 */
static int tracefs_mount(char *err, size_t errlen)
{
	if (tracefs_mounted())
		return 0;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		int ret = -errno;

		snprintf(err, errlen,
			 "tracefs is not mounted and mounting it on %s failed: %s; "
			 "fix: mount -t tracefs tracefs %s",
			 TRACEFS_DIR, strerror(errno), TRACEFS_DIR);
		return ret;
	}
	log_info("tracefs was not mounted: mounted it on %s", TRACEFS_DIR);
	return 0;
}

int loader_preflight(char *err, size_t errlen)
{
	if (geteuid() != 0) {
		snprintf(err, errlen,
			 "must run as root: loading BPF probes needs CAP_BPF, "
			 "CAP_PERFMON and CAP_SYS_RESOURCE; fix: run it as root (sudo cprwatchd)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "this kernel exposes no BTF (/sys/kernel/btf/vmlinux); "
			 "fix: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	return tracefs_mount(err, errlen);
}

static const char *load_hint(int ret)
{
	struct rlimit rl;

	if (ret != -EPERM)
		return "run with -v for the verifier log";
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY)
		return "locked-memory limit too low; fix: ulimit -l unlimited "
		       "(or LimitMEMLOCK=infinity in the unit)";
	return "permission denied: run as root outside a restricted container "
	       "(kernel.unprivileged_bpf_disabled and lockdown can refuse BPF)";
}

static bool is_uprobe(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "uprobe", 6) ||
	       !strncmp(bpf_program__section_name(prog), "uretprobe", 9);
}

static void attach_all(struct loader *ld)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, ld->skel->obj)
	{
		struct probe_state *ps;
		struct bpf_link *link;

		if (ld->nr_probes == LOADER_MAX_PROBES)
			break;
		if (!bpf_program__autoload(prog))
			continue; /* the syscall variant not chosen */
		/* uprobes go on tracked processes: user/agent/uprobes_proc.c attaches them */
		if (is_uprobe(prog))
			continue;
		ps = &ld->probes[ld->nr_probes];
		ps->name = bpf_program__name(prog);
		ps->hook = bpf_program__section_name(prog);
		link = bpf_program__attach(prog);
		if (!link) {
			ps->err = -errno;
			log_warn("probe %s (%s) did not attach: %s", ps->name, ps->hook,
				 strerror(errno));
		} else {
			ps->attached = true;
		}
		ld->links[ld->nr_probes++] = link;
	}
}

static bool is_tp_syscall(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "tp/syscalls/", 12);
}

/* A typed raw tracepoint (tp_btf) the kernel has. */
static bool has_raw_tp(const struct btf *vmlinux, const char *name)
{
	char type[128];

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) > 0;
}

/*
 * The raw dispatcher needs its two programs in the object (an architecture
 * with a syscall table in bpf/syscall_nr.h) and the typed raw tracepoints in
 * the kernel's BTF.  Returns NULL when it can be used, or why not.
 */
static const char *dispatch_unusable(struct cprwatch_bpf *skel)
{
	struct btf *vmlinux;
	const char *why = NULL;
	const char *force = getenv(LOADER_HOOKS_ENV);

	if (force && !strcmp(force, "tracepoint"))
		return "forced by " LOADER_HOOKS_ENV "=tracepoint";
	if (!bpf_object__find_program_by_name(skel->obj, "sys_enter") ||
	    !bpf_object__find_program_by_name(skel->obj, "sys_exit"))
		return "no syscall table for this architecture";
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return "no kernel BTF";
	if (!has_raw_tp(vmlinux, "sys_enter") || !has_raw_tp(vmlinux, "sys_exit"))
		why = "the kernel has no typed raw syscall tracepoints";
	else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0)
		why = "the kernel has no bpf_loop (Linux 5.17+), which the X11 wire parser needs";
	btf__free(vmlinux);
	return why;
}

/*
 * The per-socket send/receive tracepoints (Linux 6.3+) count request turns;
 * where the kernel lacks them, look-ups stay one per connection.
 */
static void choose_turn_probes(struct loader *ld)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();

	ld->turns = vmlinux && has_raw_tp(vmlinux, "sock_send_length") &&
		    has_raw_tp(vmlinux, "sock_recv_length");
	btf__free(vmlinux);
	if (ld->turns)
		return;
	bpf_program__set_autoload(ld->skel->progs.handle_send_len, false);
	bpf_program__set_autoload(ld->skel->progs.handle_recv_len, false);
	log_info("this kernel has no sock_send_length/sock_recv_length tracepoints: "
		 "look-ups are counted per connection, not per request");
}

static bool is_iouring(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "tp_btf/io_uring_", 16);
}

/*
 * The io_uring probes (bpf/io_uring.bpf.c) need the kernel's typed
 * io_uring tracepoints; without them io_uring requests are not seen, the
 * rest of the agent runs.  Returns NULL when they can be loaded, or why not.
 */
/*
 * Arguments (with the leading context pointer) of typed raw tracepoint
 * @name in the kernel's BTF, or -1 when it has none.  tp_btf arguments are
 * not relocated: a program written for another shape would misread them.
 */
static int raw_tp_args(const struct btf *vmlinux, const char *name)
{
	const struct btf_type *t;
	char type[128];
	int id;

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	id = btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type); /* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(vmlinux, t->type) : NULL;
	return t && btf_is_func_proto(t) ? btf_vlen(t) : -1;
}

/*
 * The shapes bpf/io_uring.bpf.c is written for (Linux 6.3 and later):
 * io_uring_complete(ctx, req, cqe), io_uring_submit_req(req),
 * io_uring_create(fd, ctx, sq_entries, cq_entries, flags).
 */
static const char *iouring_unusable(void)
{
	static const struct {
		const char *name;
		int args;
	} tps[] = { { "io_uring_complete", 4 },
		    { "io_uring_submit_req", 2 },
		    { "io_uring_create", 6 } };
	const char *force = getenv(LOADER_IOURING_ENV);
	struct btf *vmlinux;
	const char *why = NULL;
	size_t i;
	int n;

	if (force && !strcmp(force, "off"))
		return "disabled by " LOADER_IOURING_ENV "=off";
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return "no kernel BTF";
	for (i = 0; i < sizeof(tps) / sizeof(tps[0]) && !why; i++) {
		n = raw_tp_args(vmlinux, tps[i].name);
		if (n < 0)
			why = "the kernel has no typed io_uring tracepoints (io_uring_submit_req, "
			      "io_uring_complete, io_uring_create)";
		else if (n != tps[i].args)
			why = "the kernel's io_uring tracepoints have another shape than "
			      "bpf/io_uring.bpf.c reads (written for Linux 6.3+)";
	}
	btf__free(vmlinux);
	return why;
}

static void choose_iouring_probes(struct loader *ld, bool on)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, ld->skel->obj) if (is_iouring(prog))
		bpf_program__set_autoload(prog, on);
	ld->iouring = on;
	/* without them, the io_uring_setup syscall reports setups */
	ld->skel->rodata->iouring_probes = on;
}

/* Enable one syscall variant: the raw dispatcher or the per-syscall tracepoints. */
static void choose_syscall_hooks(struct loader *ld, bool raw)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, ld->skel->obj)
	{
		if (is_tp_syscall(prog))
			bpf_program__set_autoload(prog, !raw);
		else if (!strncmp(bpf_program__section_name(prog), "tp_btf/sys_", 11))
			bpf_program__set_autoload(prog, raw);
	}
	ld->raw_syscalls = raw;
}

/* Load the uprobe programs for uprobe_multi links where the kernel has them. */
static void choose_uprobe_links(struct loader *ld)
{
	const char *force = getenv(LOADER_UPROBES_ENV);
	struct bpf_program *prog;

	ld->uprobe_multi = !(force && !strcmp(force, "perf")) && uprobes_multi_supported();
	bpf_object__for_each_program(prog, ld->skel->obj) if (is_uprobe(prog))
		uprobes_proc_prepare(prog, ld->uprobe_multi);
}

static int open_and_load(struct loader *ld, const struct loader_opts *o, bool raw, bool iouring)
{
	ld->skel = cprwatch_bpf__open();
	if (!ld->skel)
		return -errno;
	ld->skel->rodata->trace_all = o->trace_all;
	ld->skel->rodata->self_tgid = getpid();
	ld->skel->rodata->tls_response_bytes = o->tls_response_bytes;
	if (o->ring_bytes && bpf_map__set_max_entries(ld->skel->maps.events, o->ring_bytes))
		return -EINVAL;
	choose_turn_probes(ld);
	if (raw && (ld->fallback_why = dispatch_unusable(ld->skel)))
		raw = false;
	choose_syscall_hooks(ld, raw);
	if (iouring && (ld->iouring_why = iouring_unusable()))
		iouring = false;
	choose_iouring_probes(ld, iouring);
	choose_uprobe_links(ld);
	return cprwatch_bpf__load(ld->skel);
}

/* Open and load again with the io_uring probes or the raw dispatcher left out. */
static int reload(struct loader *ld, const struct loader_opts *o, bool raw, bool iouring)
{
	cprwatch_bpf__destroy(ld->skel);
	memset(ld, 0, sizeof(*ld));
	return open_and_load(ld, o, raw, iouring);
}

int loader_open(struct loader *ld, const struct loader_opts *o, char *err, size_t errlen)
{
	const char *iou_why = NULL;
	int ret, i;

	memset(ld, 0, sizeof(*ld));
	ret = open_and_load(ld, o, true, true);
	if (ret && ld->iouring) {
		/* a kernel whose io_uring structures CO-RE cannot match: run without them */
		log_warn("the io_uring probes did not load (%s); io_uring requests are not seen",
			 strerror(-ret));
		iou_why = "the io_uring probes did not load on this kernel";
		ret = reload(ld, o, ld->raw_syscalls, false);
	}
	if (ret && ld->raw_syscalls) {
		/* a kernel whose verifier refuses the dispatcher: the fallback */
		log_warn("the raw syscall dispatcher did not load (%s); using the per-syscall "
			 "tracepoints",
			 strerror(-ret));
		ret = reload(ld, o, false, !iou_why);
		ld->fallback_why = "the verifier refused the raw dispatcher";
	}
	if (iou_why)
		ld->iouring_why = iou_why;
	if (!ld->skel) {
		snprintf(err, errlen, "cannot open the embedded BPF object: %s", strerror(-ret));
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "loading the BPF probes failed: %s; %s", strerror(-ret),
			 load_hint(ret));
		goto fail;
	}
	attach_all(ld);
	for (i = 0; i < ld->nr_probes; i++)
		if (ld->probes[i].attached)
			return 0;
	ret = -ENOENT;
	snprintf(err, errlen, "no probe attached; run with -v for details");
fail:
	loader_close(ld);
	return ret;
}

const char *loader_syscall_hooks(const struct loader *ld)
{
	return ld->raw_syscalls ? "tp_btf" : "tracepoint";
}

bool loader_x11_wire(const struct loader *ld)
{
	return ld->raw_syscalls; /* the parser is part of the dispatcher's sys_exit */
}

void loader_close(struct loader *ld)
{
	int i;

	for (i = 0; i < ld->nr_probes; i++)
		bpf_link__destroy(ld->links[i]);
	cprwatch_bpf__destroy(ld->skel);
	memset(ld, 0, sizeof(*ld));
}

struct bpf_object *loader_object(const struct loader *ld)
{
	return ld->skel ? ld->skel->obj : NULL;
}

int loader_events_fd(const struct loader *ld)
{
	return bpf_map__fd(ld->skel->maps.events);
}

/* Delete keys of @fd not in @keep (n entries of @ksize bytes). */
static void prune_map(int fd, const void *keep, size_t n, size_t ksize, size_t stride)
{
	struct file_id key, next;
	void *prev = NULL;
	size_t i;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		bool found = false;

		for (i = 0; i < n && !found; i++)
			found = !memcmp((const char *)keep + i * stride, &next, ksize);
		if (!found && !bpf_map_delete_elem(fd, &next))
			continue; /* deleted: restart from the same place */
		key = next;
		prev = &key;
	}
}

int loader_sync_watchlist(struct loader *ld, const struct watchlist *wl)
{
	int bins = bpf_map__fd(ld->skel->maps.watched_bins);
	int dirs = bpf_map__fd(ld->skel->maps.export_dirs);
	size_t i;
	int ret = 0;

	for (i = 0; i < wl->nr_bins; i++)
		if (bpf_map_update_elem(bins, &wl->bins[i].id, &wl->bins[i].classes, BPF_ANY))
			ret = -errno;
	for (i = 0; i < wl->nr_dirs; i++) {
		__u32 kind = wl->dirs[i].kind;

		if (bpf_map_update_elem(dirs, &wl->dirs[i].id, &kind, BPF_ANY))
			ret = -errno;
	}
	prune_map(bins, wl->bins, wl->nr_bins, sizeof(struct file_id), sizeof(wl->bins[0]));
	prune_map(dirs, wl->dirs, wl->nr_dirs, sizeof(struct file_id), sizeof(wl->dirs[0]));
	if (ret)
		log_warn("could not write every watched entry to the kernel: %s", strerror(-ret));
	return ret;
}

int loader_set_endpoints(struct loader *ld, const struct endpoint_key *keys, size_t n)
{
	int fd = bpf_map__fd(ld->skel->maps.cpr_endpoints);
	struct endpoint_key k, next;
	size_t i;
	int ret = 0;

	/* empty it, then fill: a reload is rare and a look-up missed meanwhile is one turn */
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		if (bpf_map_delete_elem(fd, &k))
			break;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &(__u32){ 1 }, BPF_ANY))
			ret = -errno;
	return ret;
}

/*
 * Set @tgid's bit in hot_tgids (bpf/maps.h) before it gets a tracked entry,
 * or the dispatcher would skip its reads, writes and closes.  Through a
 * shared mapping of the word's page with an atomic or: a map update would
 * rewrite the whole word and could lose a bit the probes set meanwhile.
 */
static int mark_hot(struct loader *ld, __u32 tgid)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t off = (size_t)(tgid / 64) * sizeof(__u64);
	size_t base = off / page * page;
	int fd = bpf_map__fd(ld->skel->maps.hot_tgids);
	void *m;

	if (off >= bpf_map__max_entries(ld->skel->maps.hot_tgids) * sizeof(__u64))
		return 0; /* beyond the bitmap: the probes always look */
	m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	if (m == MAP_FAILED)
		return -errno;
	__atomic_fetch_or((__u64 *)((char *)m + (off - base)), 1ULL << (tgid & 63),
			  __ATOMIC_SEQ_CST);
	munmap(m, page);
	return 0;
}

int loader_track(struct loader *ld, __u32 tgid, __u32 classes)
{
	int fd = bpf_map__fd(ld->skel->maps.tracked);
	struct proc_track t = {};
	int err;

	if (!bpf_map_lookup_elem(fd, &tgid, &t) && (t.classes & classes) == classes)
		return 0;
	err = mark_hot(ld, tgid);
	if (err)
		return err;
	t.classes |= classes;
	return bpf_map_update_elem(fd, &tgid, &t, BPF_ANY) ? -errno : 0;
}

int loader_taint(struct loader *ld, const struct file_id *id, const struct file_id *origin,
		 __u32 by_tgid)
{
	struct taint_info ti = { .origin = *origin, .by_tgid = by_tgid };
	int fd = bpf_map__fd(ld->skel->maps.tainted);

	return bpf_map_update_elem(fd, id, &ti, BPF_NOEXIST) && errno != EEXIST ? -errno : 0;
}

bool loader_is_tainted(struct loader *ld, const struct file_id *id, struct file_id *origin)
{
	struct taint_info ti;

	if (bpf_map_lookup_elem(bpf_map__fd(ld->skel->maps.tainted), id, &ti))
		return false;
	if (origin)
		*origin = ti.origin;
	return true;
}

int loader_counters(struct loader *ld, __u64 out[CNT_MAX])
{
	int fd = bpf_map__fd(ld->skel->maps.counters);
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k;
	int c;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (k = 0; k < CNT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

/* Shared writable mappings left at exit went away with the process: each is a last close. */
static int flush_mappings(struct loader *ld, const struct event_hdr *exit_hdr, close_fn fn,
			  void *arg)
{
	int mfd = bpf_map__fd(ld->skel->maps.mappings);
	struct mapping_key key, next, *prev = NULL;
	struct mapping m;
	int n = 0;

	while (!bpf_map_get_next_key(mfd, prev, &next)) {
		if (next.tgid != exit_hdr->tgid || bpf_map_lookup_elem(mfd, &next, &m)) {
			key = next;
			prev = &key;
			continue;
		}
		bpf_map_delete_elem(mfd, &next);
		if (fn) {
			struct close_event ce = { .hdr = *exit_hdr };

			ce.hdr.type = EV_CLOSE;
			ce.hdr.size = sizeof(ce);
			ce.hdr.flags = EVF_AT_EXIT | EVF_MMAP_WRITE;
			ce.fd = -1;
			ce.open_flags = m.open_flags;
			ce.dev = m.id.dev;
			ce.ino = m.id.ino;
			fn(&ce, arg);
		}
		n++;
	}
	return n;
}

int loader_flush_fds(struct loader *ld, const struct event_hdr *exit_hdr, close_fn fn, void *arg)
{
	int fdf = bpf_map__fd(ld->skel->maps.fd_files);
	int fio = bpf_map__fd(ld->skel->maps.file_io);
	__u64 key, next, *prev = NULL, file;
	struct file_io io;
	int n = 0;

	while (!bpf_map_get_next_key(fdf, prev, &next)) {
		if (next >> 32 != exit_hdr->tgid || bpf_map_lookup_elem(fdf, &next, &file)) {
			key = next;
			prev = &key;
			continue;
		}
		bpf_map_delete_elem(fdf, &next);
		if (bpf_map_lookup_elem(fio, &file, &io))
			continue;
		if (io.refs > 1) {
			io.refs--;
			bpf_map_update_elem(fio, &file, &io, BPF_EXIST);
			continue;
		}
		bpf_map_delete_elem(fio, &file);
		if (fn) {
			struct close_event ce = { .hdr = *exit_hdr };

			ce.hdr.type = EV_CLOSE;
			ce.hdr.size = sizeof(ce);
			ce.hdr.flags = EVF_AT_EXIT | (io.mmap_writes ? EVF_MMAP_WRITE : 0);
			ce.fd = (__s32)(next & 0xffffffff);
			if (ce.fd <= CPRW_FIXED_FD_BASE) {
				ce.fd = CPRW_FIXED_FD_BASE -
					ce.fd; /* an io_uring fixed-file slot */
				ce.hdr.flags |= EVF_FIXED_FILE;
			}
			ce.open_flags = io.open_flags;
			ce.dev = io.id.dev;
			ce.ino = io.id.ino;
			ce.bytes_read = io.bytes_read;
			ce.bytes_written = io.bytes_written;
			ce.reads = io.reads;
			ce.writes = io.writes;
			fn(&ce, arg);
		}
		n++;
	}
	return n + flush_mappings(ld, exit_hdr, fn, arg);
}
