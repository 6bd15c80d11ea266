// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "decode.h"
#include "event_json.h"
#include "log.h"

#define FILETAB_MAX 65536
#define DECODE_ERR_LOG_MAX 10	/* bad records logged before going quiet */

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void emit_json(struct agent *a, const struct event *ev, const struct proc *p)
{
	if (!a->opts.print_events || !a->events_out)
		return;
	json_reset(&a->json);
	event_json(&a->json, ev, p, a->clock_offset);
	if (a->json.oom)
		return;
	json_raw(&a->json, "\n", 1);
	fwrite(a->json.buf, 1, a->json.len, a->events_out);
}

/*
 * A file written by a CPR client is tainted at open in the kernel; a file
 * opened before the process became a CPR client (the shell's
 * `cprclient > export.csv` opens it, then execs) is tainted here, at close.
 */
static void lineage_at_close(struct agent *a, const struct close_event *e)
{
	struct file_id id = { .dev = e->dev, .ino = e->ino };

	if (!e->bytes_written || !(e->hdr.classes & CLASS_CPR_CLIENT))
		return;
	if (!loader_is_tainted(&a->ld, &id, NULL) && a->ld.skel)
		loader_taint(&a->ld, &id, &id, e->hdr.tgid);
}

static void handle_close(struct agent *a, struct event *ev, const struct proc *p)
{
	const struct close_event *e = ev->raw;
	struct file_id id = { .dev = e->dev, .ino = e->ino };

	ev->file_path = filetab_get(&a->files, &id);
	if (a->ld.skel)
		lineage_at_close(a, e);
	emit_json(a, ev, p);
}

static void flushed_close(const struct close_event *e, void *arg)
{
	struct agent *a = arg;
	struct event ev;
	char err[128];

	if (event_decode(e, sizeof(*e), &ev, err, sizeof(err)))
		return;
	a->stats.by_type[EV_CLOSE]++;
	handle_close(a, &ev, procs_get(&a->procs, e->hdr.tgid));
}

static void handle_exit(struct agent *a, struct event *ev, struct proc *p)
{
	procs_on_exit(&a->procs, ev->raw);
	emit_json(a, ev, p);
	/* fds still open at exit were closed by the kernel, not by close(2) */
	if (p && p->open_files && a->ld.skel)
		loader_flush_fds(&a->ld, ev->hdr, flushed_close, a);
}

void agent_handle(struct agent *a, const void *data, size_t size)
{
	struct event ev;
	struct proc *p;
	char err[160];

	a->stats.events++;
	if (event_decode(data, size, &ev, err, sizeof(err))) {
		if (a->stats.decode_errors++ < DECODE_ERR_LOG_MAX)
			log_warn("skipping a malformed event: %s", err);
		return;
	}
	a->stats.by_type[ev.hdr->type]++;
	switch (ev.hdr->type) {
	case EV_EXEC:
		procs_on_exec(&a->procs, ev.raw, ev.path, ev.args, ev.args_len);
		emit_json(a, &ev, procs_get(&a->procs, ev.hdr->tgid));
		return;
	case EV_FORK:
		procs_on_fork(&a->procs, ev.raw);
		emit_json(a, &ev, procs_get(&a->procs, ev.hdr->tgid));
		return;
	default:
		break;
	}
	p = procs_touch(&a->procs, ev.hdr);
	if (p)
		p->classes |= ev.hdr->classes;
	switch (ev.hdr->type) {
	case EV_EXIT:
		handle_exit(a, &ev, p);
		break;
	case EV_OPEN: {
		const struct open_event *o = ev.raw;

		if (o->ret >= 0) {
			struct file_id id = { .dev = o->dev, .ino = o->ino };

			filetab_set(&a->files, &id, ev.path);
			if (p)
				p->open_files++;
		}
		emit_json(a, &ev, p);
		break;
	}
	case EV_CLOSE:
		handle_close(a, &ev, p);
		break;
	default:
		emit_json(a, &ev, p);
	}
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	agent_handle(ctx, data, size);
	return 0;
}

/*
 * Processes already running when the agent starts: a watched program's
 * classes go to it and to every descendant, as fork inheritance would have.
 */
int agent_seed_tracking(struct agent *a, const char *proc_root)
{
	size_t it = 0;
	int n, tracked = 0;
	void *v;

	n = procs_seed(&a->procs, proc_root);
	if (n < 0)
		return n;
	while (hashmap_next(&a->procs.by_tgid, &it, NULL, &v)) {
		struct proc *p = v;
		const struct proc *chain[PROC_CHAIN_MAX];
		__u32 classes = 0;
		int i, len = procs_chain(&a->procs, p->tgid, chain, PROC_CHAIN_MAX);

		for (i = 0; i < len; i++)
			classes |= watchlist_classes(&a->wl, &chain[i]->exe_id);
		if (!classes)
			continue;
		p->classes |= classes;
		tracked++;
		if (a->ld.skel)
			loader_track(&a->ld, p->tgid, classes);
	}
	log_info("process table seeded: %d processes, %d already tracked", n, tracked);
	return tracked;
}

static int resolve_watchlist(struct agent *a)
{
	struct watchlist wl;
	int ret;

	ret = watchlist_resolve(&wl, &a->cfg, NULL, NULL);
	if (ret) {
		log_err("resolving watched programs and directories: %s", strerror(-ret));
		return ret;
	}
	if (a->ld.skel)
		loader_sync_watchlist(&a->ld, &wl);
	if (wl.nr_bins != a->wl.nr_bins || wl.nr_dirs != a->wl.nr_dirs)
		log_info("watching %zu programs and %zu export directories", wl.nr_bins,
			 wl.nr_dirs);
	watchlist_free(&a->wl);
	a->wl = wl;
	return 0;
}

static void on_tick(struct agent *a)
{
	a->ticks++;
	procs_gc(&a->procs, now_mono_ns());
	if (a->cfg.rescan_interval && a->ticks % a->cfg.rescan_interval == 0)
		resolve_watchlist(a);
	if (a->opts.duration && a->ticks >= a->opts.duration)
		a->stop = true;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ee) ? -errno : 0;
}

enum { TAG_RING = 1, TAG_SIGNAL, TAG_TIMER };

static int setup_fds(struct agent *a)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0)
		return -errno;
	if (timerfd_settime(a->timerfd, 0, &its, NULL))
		return -errno;
	a->rb = ring_buffer__new(loader_events_fd(&a->ld), ringbuf_cb, a, NULL);
	if (!a->rb)
		return -errno;
	if (epoll_add(a->epfd, ring_buffer__epoll_fd(a->rb), TAG_RING) ||
	    epoll_add(a->epfd, a->sigfd, TAG_SIGNAL) || epoll_add(a->epfd, a->timerfd, TAG_TIMER))
		return -errno;
	return 0;
}

static void on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: re-resolving watched programs and directories");
			resolve_watchlist(a);
		} else {
			a->stop = true;
		}
	}
}

static int event_loop(struct agent *a)
{
	struct epoll_event ev[4];
	uint64_t exp;
	int n, i;

	while (!a->stop) {
		n = epoll_wait(a->epfd, ev, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case TAG_RING:
				ring_buffer__consume(a->rb);
				break;
			case TAG_SIGNAL:
				on_signal(a);
				break;
			case TAG_TIMER:
				if (read(a->timerfd, &exp, sizeof(exp)) == sizeof(exp))
					on_tick(a);
				break;
			}
		}
		if (a->events_out)
			fflush(a->events_out);
	}
	/* what the kernel sent before the stop still counts */
	ring_buffer__consume(a->rb);
	if (a->events_out)
		fflush(a->events_out);
	return 0;
}

static int open_outputs(struct agent *a)
{
	if (!a->opts.print_events)
		return 0;
	if (!a->opts.events_path || !strcmp(a->opts.events_path, "-")) {
		a->events_out = stdout;
		return 0;
	}
	a->events_out = fopen(a->opts.events_path, "we");
	if (!a->events_out) {
		log_err("cannot write events to %s: %s", a->opts.events_path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void mark_ready(struct agent *a)
{
	int fd;

	log_info("probes attached; watching");
	if (!a->opts.ready_path)
		return;
	fd = open(a->opts.ready_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

static void report_drops(struct agent *a)
{
	__u64 c[CNT_MAX];

	if (loader_counters(&a->ld, c))
		return;
	log_info("events: %llu received, %llu lost in the kernel (ring buffer full), "
		 "%llu malformed", (unsigned long long)a->stats.events,
		 (unsigned long long)c[CNT_DROPS], (unsigned long long)a->stats.decode_errors);
	if (c[CNT_DROPS])
		log_warn("%llu events were lost because the ring buffer was full",
			 (unsigned long long)c[CNT_DROPS]);
}

static void agent_cleanup(struct agent *a)
{
	ring_buffer__free(a->rb);
	loader_close(&a->ld);
	if (a->events_out && a->events_out != stdout)
		fclose(a->events_out);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	json_free(&a->json);
	filetab_free(&a->files);
	procs_free(&a->procs);
	watchlist_free(&a->wl);
	config_free(&a->cfg);
}

int agent_run(const struct agent_opts *opts)
{
	struct agent a = { .opts = *opts, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	char err[CONFIG_ERR_MAX];
	int ret, code = 1;

	if (config_load(&a.cfg, opts->config_path, err, sizeof(err))) {
		log_err("%s", err);
		return 2;
	}
	if (opts->trace_all)
		a.cfg.trace_all = true;
	if (loader_preflight(err, sizeof(err))) {
		log_err("%s", err);
		code = 2;
		goto out;
	}
	if (procs_init(&a.procs) || filetab_init(&a.files, FILETAB_MAX) || open_outputs(&a))
		goto out;
	json_init(&a.json);
	a.clock_offset = clock_offset_ns();
	log_install_libbpf();
	ret = loader_open(&a.ld, a.cfg.trace_all, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		code = 2;
		goto out;
	}
	if (resolve_watchlist(&a) || setup_fds(&a)) {
		log_err("setting up the event loop failed: %s", strerror(errno));
		goto out;
	}
	agent_seed_tracking(&a, "/proc");
	mark_ready(&a);
	ret = event_loop(&a);
	if (ret) {
		log_err("event loop: %s", strerror(-ret));
		goto out;
	}
	report_drops(&a);
	code = 0;
out:
	agent_cleanup(&a);
	return code;
}
