// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>
#include "agent.h"
#include "event/clip.h"
#include "event/decode.h"
#include "event/event_json.h"
#include "lib/log.h"
#include "scan/scan_json.h"

#define FILETAB_MAX 65536
#define DECODE_ERR_LOG_MAX 10	/* bad records logged before going quiet */

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void write_line(struct agent *a)
{
	if (a->json.oom)
		return;
	json_raw(&a->json, "\n", 1);
	if (a->events_out)
		fwrite(a->json.buf, 1, a->json.len, a->events_out);
	if (a->record_out)
		fwrite(a->json.buf, 1, a->json.len, a->record_out);
}

/* The event as a JSON line to --events and --record, then through the rules. */
static void emit_json(struct agent *a, const struct event *ev, const struct proc *p)
{
	if (a->events_out || a->record_out) {
		json_reset(&a->json);
		event_json(&a->json, ev, p, a->clock_offset);
		write_line(a);
	}
	rules_on_event(&a->rules, ev, p);
}

void agent_scan_done(struct agent *a, const struct scan_request *rq, const struct scan_result *res)
{
	if (a->record_out) {
		json_reset(&a->json);
		scan_json(&a->json, rq, res, a->clock_offset);
		write_line(a);
	}
	rules_on_scan(&a->rules, rq, res);
}

/*
 * A file written by a CPR client or a tainted process is tainted at open in
 * the kernel; a file opened before the process became one (the shell's
 * `cprclient > export.csv` opens it, then execs; a program opens its output
 * below an export directory, then reads the export) is tainted here, at
 * close: a CPR client's with itself as origin, a tainted process's with the
 * origin it read.  Bytes read from tainted files add up per process (the
 * share an upload is measured against).
 */
static void lineage_at_close(struct agent *a, const struct close_event *e, struct proc *p)
{
	struct file_id id = { .dev = e->dev, .ino = e->ino };
	const struct file_id *origin = &id;
	const struct file_info *fi = filetab_info(&a->files, &id);

	if (p && fi && fi->tainted)
		p->tainted_read += e->bytes_read;
	if ((!e->bytes_written && !(e->hdr.flags & EVF_MMAP_WRITE)) || !fi || fi->tainted)
		return;
	if (!(e->hdr.classes & CLASS_CPR_CLIENT)) {
		if (!(e->hdr.classes & CLASS_TAINTED) || !p || !p->has_origin)
			return;
		origin = &p->origin;
	}
	filetab_put(&a->files, &id, fi->path, fi->export_kind, origin);
	if (a->ld.skel)
		loader_taint(&a->ld, &id, origin, e->hdr.tgid);
}

static void handle_close(struct agent *a, struct event *ev, struct proc *p)
{
	const struct close_event *e = ev->raw;
	struct file_id id = { .dev = e->dev, .ino = e->ino };

	ev->file_path = filetab_get(&a->files, &id);
	lineage_at_close(a, e, p);
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

/*
 * Clipboard content is scanned here, in the intake thread (at most
 * CPRW_CLIP_DATA_MAX bytes), and dropped: what goes on to the JSON, the
 * recording and the rules is a copy of the record without it, carrying the
 * count of distinct CPR numbers instead.  Qt's text is UTF-16: its low bytes
 * are what the scanner needs (CPR digits, keywords).
 */
static void handle_clipboard(struct agent *a, struct event *ev, const struct proc *p)
{
	const struct clipboard_event *e = ev->raw;
	struct clipboard_event head = *e;
	struct scan_result res;
	struct event copy = *ev;
	char narrow[CPRW_CLIP_DATA_MAX / 2];
	const void *text = ev->args;
	size_t len = ev->args_len, i;

	if (len) {
		if (e->api == CLIP_API_QT) {
			for (i = 0; i + 1 < len; i += 2)
				narrow[i / 2] = e->data[i + 1] ? '?' : e->data[i];
			text = narrow;
			len /= 2;
		}
		scan_buffer(text, len, NULL, NULL, &res);
		clip_set_cpr_distinct(&head, res.cpr.distinct > UINT32_MAX ? UINT32_MAX :
							     (__u32)res.cpr.distinct);
		explicit_bzero(narrow, sizeof(narrow));
		memset(&res, 0, sizeof(res));
	}
	head.hdr.size = sizeof(head);
	copy.hdr = &head.hdr;
	copy.raw = &head;
	copy.args = NULL;
	copy.args_len = 0;
	emit_json(a, &copy, p);
}

/*
 * A tracked process gets the per-process uprobes (clipboard, TLS) when it
 * may call a probed library: a watched program always (it may dlopen one),
 * anything else in a tracked lineage when its executable links one (a
 * tracked shell's `sed` does not: each attach and detach costs the kernel
 * milliseconds under a global mutex).  At exec, when a process becomes
 * tracked later (lineage) and, in follow_fork, at fork.
 */
static bool wants_uprobes(struct agent *a, const struct proc *p)
{
	return watchlist_classes(&a->wl, &p->exe_id) ||
	       (p->exe && uprobes_proc_wanted(&a->uprobes, p->exe, p->exe_id.dev, p->exe_id.ino));
}

static void follow_uprobes(struct agent *a, const struct proc *p, __u64 event_ns)
{
	if (!p || !p->classes || !a->ld.skel || uprobes_proc_has(&a->uprobes, p->tgid) ||
	    !wants_uprobes(a, p))
		return;
	if (uprobes_proc_attach(&a->uprobes, p->tgid, event_ns) == -E2BIG &&
	    a->uprobes.stats.refused == 1)
		log_warn("%zu tracked processes have uprobes already: no more get them "
			 "(counted as refused in status)", uprobes_proc_count(&a->uprobes));
}

/*
 * A forked child has a new mm, which its parent's probes do not cover; it
 * runs its parent's image, so it wants what the parent wants (even when the
 * parent exited before its own attach, as a daemonising xclip does).
 */
static void follow_fork(struct agent *a, const struct event *ev)
{
	const struct fork_event *f = ev->raw;

	follow_uprobes(a, procs_get(&a->procs, f->child_tgid), ev->hdr->ts_ns);
}

static void handle_exit(struct agent *a, struct event *ev, struct proc *p)
{
	if (a->ld.skel)
		uprobes_proc_detach(&a->uprobes, ev->hdr->tgid);
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
		p = procs_get(&a->procs, ev.hdr->tgid);
		/* xclip, wl-copy...: who pipes into them, who reads from them */
		if (p && (ev.hdr->classes & CLASS_CLIPBOARD) && a->ld.skel) {
			p->stdin_from = procs_pipe_peer("/proc", p->tgid, 0);
			p->stdout_to = procs_pipe_peer("/proc", p->tgid, 1);
		}
		emit_json(a, &ev, p);
		/* a child forked with probes that execs a program without the libraries */
		if (p && a->ld.skel && uprobes_proc_has(&a->uprobes, p->tgid) && !wants_uprobes(a, p))
			uprobes_proc_detach(&a->uprobes, p->tgid);
		follow_uprobes(a, p, ev.hdr->ts_ns);
		return;
	case EV_FORK:
		procs_on_fork(&a->procs, ev.raw);
		follow_fork(a, &ev);
		emit_json(a, &ev, procs_get(&a->procs, ev.hdr->tgid));
		return;
	default:
		break;
	}
	p = procs_touch(&a->procs, ev.hdr);
	if (p && ev.hdr->classes && !p->classes) {
		p->classes = ev.hdr->classes;
		follow_uprobes(a, p, ev.hdr->ts_ns);
	} else if (p) {
		p->classes |= ev.hdr->classes;
	}
	switch (ev.hdr->type) {
	case EV_EXIT:
		handle_exit(a, &ev, p);
		break;
	case EV_OPEN: {
		const struct open_event *o = ev.raw;

		if (o->ret >= 0) {
			struct file_id id = { .dev = o->dev, .ino = o->ino };
			struct file_id origin = { .dev = o->taint_dev, .ino = o->taint_ino };

			filetab_put(&a->files, &id, ev.path, o->export_kind,
				    (ev.hdr->flags & EVF_TAINTED_FILE) ? &origin : NULL);
			if (p)
				p->open_files++;
			/* reading a tainted file taints the process (the kernel did too) */
			if (p && !p->has_origin && (ev.hdr->flags & EVF_TAINTED_FILE) &&
			    (o->flags & O_ACCMODE) != O_WRONLY) {
				p->has_origin = true;
				p->origin = origin;
			}
		}
		emit_json(a, &ev, p);
		break;
	}
	case EV_CLOSE:
		handle_close(a, &ev, p);
		break;
	case EV_CLIPBOARD:
		handle_clipboard(a, &ev, p);
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
		follow_uprobes(a, p, 0);
	}
	log_info("process table seeded: %d processes, %d already tracked", n, tracked);
	return tracked;
}

int agent_resolve_watchlist(struct agent *a)
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

static void drain_scans(struct agent *a)
{
	struct scan_job *j;

	while ((j = scanq_take(&a->scanq))) {
		agent_scan_done(a, &j->rq, &j->res);
		scan_job_free(j);
	}
}

static void on_tick(struct agent *a)
{
	uint64_t now = now_mono_ns();

	a->ticks++;
	if (a->watchdog_ticks && a->ticks % a->watchdog_ticks == 0)
		sd_notify(0, "WATCHDOG=1");
	agent_stats_tick(a);
	procs_gc(&a->procs, now);
	rules_tick(&a->rules, now, false);
	control_tick(&a->control, control_now_ms());
	agent_sinks_tick(a);
	if (a->cfg.rescan_interval && a->ticks % a->cfg.rescan_interval == 0)
		agent_resolve_watchlist(a);
	if (a->opts.duration && a->ticks >= a->opts.duration)
		a->stop = true;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ee = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ee) ? -errno : 0;
}

enum { TAG_RING = 1, TAG_SIGNAL, TAG_TIMER, TAG_SCAN, TAG_CONTROL };

/*
 * Signals are read from a signalfd, so they must be blocked in every thread:
 * call this before any thread starts (threads inherit the mask).  A shell
 * starts background jobs with SIGINT ignored, and an ignored signal never
 * becomes pending, so the defaults are taken back first.
 */
static int block_signals(void)
{
	sigset_t mask;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	return sigprocmask(SIG_BLOCK, &mask, NULL) ? -errno : 0;
}

static int setup_fds(struct agent *a)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
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
	    epoll_add(a->epfd, a->sigfd, TAG_SIGNAL) || epoll_add(a->epfd, a->timerfd, TAG_TIMER) ||
	    epoll_add(a->epfd, a->scanq.efd, TAG_SCAN))
		return -errno;
	return 0;
}

static void on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: re-resolving watched programs and directories");
			sd_notify(0, "RELOADING=1");
			agent_resolve_watchlist(a);
			sd_notify(0, "READY=1");
		} else {
			sd_notify(0, "STOPPING=1");
			a->stop = true;
		}
	}
}

static void flush_outputs(struct agent *a)
{
	if (a->events_out)
		fflush(a->events_out);
	if (a->record_out)
		fflush(a->record_out);
}

static int event_loop(struct agent *a)
{
	struct epoll_event ev[8];
	uint64_t exp;
	int n, i;

	while (!a->stop) {
		/* the probes wake us only past 256 KiB: poll the ring every 100 ms too */
		n = epoll_wait(a->epfd, ev, 8, 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			ring_buffer__consume(a->rb);
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
			case TAG_SCAN:
				drain_scans(a);
				break;
			case TAG_CONTROL:
				control_dispatch(&a->control);
				break;
			default:
				if (ev[i].data.u32 >= TAG_SINK_BASE)
					agent_sinks_on_io(a, ev[i].data.u32 - TAG_SINK_BASE,
							  ev[i].events);
				break;
			}
		}
		flush_outputs(a);
	}
	/* what the kernel sent before the stop still counts, and so do its scans */
	ring_buffer__consume(a->rb);
	scanq_drain(&a->scanq, 10000);
	drain_scans(a);
	rules_tick(&a->rules, now_mono_ns(), true);
	flush_outputs(a);
	return 0;
}

static FILE *open_output(const char *path, const char *what)
{
	FILE *f;
	int fd;

	if (!path || !strcmp(path, "-"))
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		log_err("cannot write %s to %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static void mark_ready(struct agent *a)
{
	int fd;

	uint64_t usec = 0;

	log_info("probes attached; watching");
	/* systemd (Type=notify): ready now, and pings from the loop so a stuck loop is restarted */
	if (sd_watchdog_enabled(0, &usec) > 0)
		a->watchdog_ticks = usec / 2000000 ? usec / 2000000 : 1;
	sd_notify(0, "READY=1");
	if (!a->opts.ready_path)
		return;
	fd = open(a->opts.ready_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

static void report_stats(struct agent *a)
{
	__u64 c[CNT_MAX] = {};
	int i;

	if (a->ld.skel)
		loader_counters(&a->ld, c);
	log_info("events: %llu received, %llu lost in the kernel (ring buffer full), "
		 "%llu malformed", (unsigned long long)a->stats.events,
		 (unsigned long long)c[CNT_DROPS], (unsigned long long)a->stats.decode_errors);
	log_info("scans: %llu requested, %llu scanned, %llu from cache, %llu dropped (queue full)",
		 (unsigned long long)a->scanq.stats.submitted,
		 (unsigned long long)a->scanq.stats.scanned,
		 (unsigned long long)a->scanq.stats.cache_hits,
		 (unsigned long long)a->scanq.stats.dropped);
	for (i = 0; i < RULE_MAX; i++)
		if (a->rules.fired[i] || a->rules.folded[i])
			log_info("rule %s: %llu alerts, %llu folded by suppression", rule_names[i],
				 (unsigned long long)a->rules.fired[i],
				 (unsigned long long)a->rules.folded[i]);
	if (c[CNT_DROPS])
		log_warn("%llu events were lost because the ring buffer was full",
			 (unsigned long long)c[CNT_DROPS]);
	if (a->scanq.stats.dropped)
		log_warn("%llu scans were dropped because the scan queue was full",
			 (unsigned long long)a->scanq.stats.dropped);
}

void agent_cleanup(struct agent *a)
{
	if (a->scanq_up)
		scanq_destroy(&a->scanq);
	ring_buffer__free(a->rb);
	if (a->ld.skel)
		uprobes_proc_free(&a->uprobes);
	clipboard_free(a->clip);
	a->clip = NULL;
	loader_close(&a->ld);
	if (a->events_out && a->events_out != stdout)
		fclose(a->events_out);
	if (a->record_out && a->record_out != stdout)
		fclose(a->record_out);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	control_close(&a->control);
	agent_sinks_close(a);
	rules_free(&a->rules);
	agent_forget_alerts(a);
	alert_out_close(&a->alerts);
	json_free(&a->json);
	filetab_free(&a->files);
	procs_free(&a->procs);
	watchlist_free(&a->wl);
	config_free(&a->cfg);
}

static void ops_scan(void *arg, const struct scan_request *rq)
{
	struct agent *a = arg;

	if (a->scanq_up && scanq_submit(&a->scanq, rq) == -EAGAIN) {
		a->stats.scan_drop_tick = a->ticks ? a->ticks : 1;
		rules_on_scan_dropped(&a->rules, rq, a->scanq.todo_len);
	}
}

void agent_raise_alert(struct agent *a, const struct alert *al)
{
	alert_emit(&a->alerts, al, &a->procs);
	if (a->alerts.j.len <= 1)
		return;
	agent_sinks_on_alert(a, a->alerts.j.buf, a->alerts.j.len);
	agent_remember_alert(a, a->alerts.j.buf, a->alerts.j.len - 1,
			     al->ts_ns + a->alerts.clock_offset, al->rule);
}

static void ops_alert(void *arg, const struct alert *al)
{
	agent_raise_alert(arg, al);
}

/* A file the scanner found CPR numbers in is tainted, so its copies are followed. */
static void ops_taint(void *arg, const struct file_id *id, const struct file_id *origin,
		      __u32 tgid)
{
	struct agent *a = arg;

	if (a->ld.skel)
		loader_taint(&a->ld, id, origin, tgid);
}

/* The alert log's directory is created (0700: alerts are personal data) when missing. */
static void make_log_dir(const char *path)
{
	char dir[4096], *slash;

	if (!path || !*path)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		log_debug("cannot create %s: %s", dir, strerror(errno));
}

int agent_init_pipeline(struct agent *a, bool live, char *err, size_t errlen)
{
	struct rules_ops ops = { .scan = ops_scan, .alert = ops_alert, .taint = ops_taint,
				 .arg = a };
	const char *log_path = a->opts.alert_log ? a->opts.alert_log : a->cfg.alert_log;
	struct scan_limits lim;
	int ret;

	if (procs_init(&a->procs) || filetab_init(&a->files, FILETAB_MAX))
		return -ENOMEM;
	json_init(&a->json);
	a->clock_offset = clock_offset_ns();
	a->stats.start_ns = now_mono_ns();
	if (a->opts.print_events) {
		a->events_out = open_output(a->opts.events_path, "events");
		if (!a->events_out)
			return -EIO;
	}
	if (a->opts.record_path) {
		a->record_out = open_output(a->opts.record_path, "the recording");
		if (!a->record_out)
			return -EIO;
	}
	if (live)
		make_log_dir(log_path);
	ret = alert_out_open(&a->alerts, log_path, a->cfg.alerts_stdout || !live, err, errlen);
	if (ret)
		return ret;
	if (rules_init(&a->rules, &a->cfg.rules, &a->procs, &a->files, &ops, a->clock_offset,
		       live ? 0 : RULES_REPLAY))
		return -ENOMEM;
	if (!live)
		return 0;
	ret = person_key_random(&a->person_key);
	if (ret) {
		snprintf(err, errlen, "cannot draw the person-hash key: %s", strerror(-ret));
		return ret;
	}
	scan_limits_default(&lim);
	lim.person_key = &a->person_key;
	lim.max_file_size = (uint64_t)a->cfg.scan_max_mib << 20;
	lim.max_time_ms = a->cfg.scan_max_seconds * 1000;
	ret = sandbox_cfg_init(&a->sandbox, &a->person_key);
	if (ret == -ENOENT)
		log_warn("the scanner helper " SANDBOX_HELPER " is not installed: every file scan will be "
			 "refused (reason \"sandbox unavailable\")");
	else if (ret)
		log_warn("scanner sandbox: %s", strerror(-ret));
	else
		log_info("scanner sandbox: %s, uid %u", a->sandbox.helper,
			 (unsigned int)a->sandbox.uid);
	ret = scanq_init(&a->scanq, a->cfg.scan_workers, a->cfg.scan_queue, a->cfg.scan_per_user,
			 &lim, &a->sandbox);
	if (ret) {
		snprintf(err, errlen, "cannot start the scan workers: %s", strerror(-ret));
		return ret;
	}
	a->scanq_up = true;
	return 0;
}

int agent_run(const struct agent_opts *opts)
{
	struct agent a = { .opts = *opts, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	char err[CONFIG_ERR_MAX];
	int ret, code = 1;

	if (opts->replay_path)
		return agent_replay(opts);
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
	if (block_signals() || agent_init_pipeline(&a, true, err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	log_install_libbpf();
	ret = loader_open(&a.ld, a.cfg.trace_all, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		code = 2;
		goto out;
	}
	ret = uprobes_proc_init(&a.uprobes, UPROBES_MAX_PROCS, a.ld.uprobe_multi);
	if (ret) {
		log_err("per-process uprobes: %s", strerror(-ret));
		goto out;
	}
	clipboard_register(&a.ld, &a.uprobes, &a.clip);
	/* trace_all follows every process: the probes go on system-wide once */
	if (a.cfg.trace_all)
		uprobes_proc_attach(&a.uprobes, UPROBES_SYSTEM_WIDE, 0);
	if (agent_resolve_watchlist(&a) || setup_fds(&a)) {
		log_err("setting up the event loop failed: %s", strerror(errno));
		goto out;
	}
	if (agent_sinks_open(&a, err, sizeof(err))) {
		log_err("SOC receivers: %s", err);
		code = 2;
		goto out;
	}
	agent_seed_tracking(&a, "/proc");
	if (agent_control_open(&a, err, sizeof(err)) ||
	    epoll_add(a.epfd, control_fd(&a.control), TAG_CONTROL)) {
		log_err("control socket: %s", err);
		goto out;
	}
	mark_ready(&a);
	ret = event_loop(&a);
	if (ret) {
		log_err("event loop: %s", strerror(-ret));
		goto out;
	}
	report_stats(&a);
	code = 0;
out:
	agent_cleanup(&a);
	return code;
}
