// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>
#include "agent.h"
#include "detect/endpoints.h"
#include "lib/log.h"
#include "lib/time.h"

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
	if (a->ld.skel)
		tls_follow(&a->tls, p, event_ns); /* CPR clients only */
	if (!p || !p->classes || !a->ld.skel || uprobes_proc_has(&a->uprobes, p->tgid) ||
	    !wants_uprobes(a, p))
		return;
	if (uprobes_proc_attach(&a->uprobes, p->tgid, event_ns) == -E2BIG &&
	    a->uprobes.stats.refused == 1)
		log_warn("%zu tracked processes have uprobes already: no more get them "
			 "(counted as refused in status)",
			 uprobes_proc_count(&a->uprobes));
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;

	pipeline_event(&a->pl, data, size);
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

	n = procs_seed(&a->pl.procs, proc_root);
	if (n < 0)
		return n;
	while (hashmap_next(&a->pl.procs.by_tgid, &it, NULL, &v)) {
		struct proc *p = v;
		const struct proc *chain[PROC_CHAIN_MAX];
		__u32 classes = 0;
		int i, len = procs_chain(&a->pl.procs, p->tgid, chain, PROC_CHAIN_MAX);

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

void agent_sync_endpoints(struct agent *a)
{
	const struct rules_cfg *c = &a->cfg.rules;
	struct endpoints *e = rules_services(&a->pl.rules);
	struct endpoint_key *keys;
	int n;

	if (!a->ld.skel || !e)
		return;
	/* read first: an answer coming in meanwhile brings another sync */
	a->endpoints_version = endpoints_version(e);
	n = endpoints_addrs(e, &keys);
	if (n < 0)
		return;
	/* nothing configured: every connection of a CPR client is to its service */
	if (!c->nr_burst_endpoints && !c->nr_burst_paths)
		n = 1; /* the all-zero key */
	if (loader_set_endpoints(&a->ld, keys, n))
		log_warn("could not write the CPR endpoints to the kernel");
	free(keys);
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
		pipeline_scan_done(&a->pl, &j->rq, &j->res);
		scan_job_free(j);
	}
}

static void on_tick(struct agent *a)
{
	uint64_t now = time_mono_ns();

	a->ticks++;
	if (a->watchdog_ticks && a->ticks % a->watchdog_ticks == 0)
		sd_notify(0, "WATCHDOG=1");
	agent_stats_tick(a);
	pipeline_tick(&a->pl, now);
	/* a name of a CPR endpoint resolved (off the loop): the kernel's turn filter follows */
	if (a->ld.skel && endpoints_version(rules_services(&a->pl.rules)) != a->endpoints_version)
		agent_sync_endpoints(a);
	control_tick(&a->control, time_mono_ms());
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

static int event_loop(struct agent *a)
{
	struct epoll_event ev[8];
	int n, i, got = 1, timeout;
	uint64_t exp;

	while (!a->stop) {
		/*
		 * The probes wake us only past 256 KiB (or for a tracked exec):
		 * poll the ring every 100 ms while events come, and once a poll
		 * finds it empty, only at the 1 s tick.  An idle agent wakes once
		 * a second, not eleven times; the first event after a quiet
		 * spell waits at most a second.
		 */
		timeout = got > 0 ? 100 : -1;
		n = epoll_wait(a->epfd, ev, 8, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			got = ring_buffer__consume(a->rb);
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case TAG_RING:
				got = ring_buffer__consume(a->rb);
				break;
			case TAG_SIGNAL:
				on_signal(a);
				break;
			case TAG_TIMER:
				if (read(a->timerfd, &exp, sizeof(exp)) == sizeof(exp))
					on_tick(a);
				got = ring_buffer__consume(a->rb);
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
		pipeline_flush(&a->pl);
	}
	/* what the kernel sent before the stop still counts, and so do its scans */
	ring_buffer__consume(a->rb);
	scanq_drain(&a->scanq, 10000);
	drain_scans(a);
	pipeline_finish(&a->pl, time_mono_ns());
	return 0;
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
		 "%llu malformed",
		 (unsigned long long)a->pl.stats.events, (unsigned long long)c[CNT_DROPS],
		 (unsigned long long)a->pl.stats.decode_errors);
	log_info("scans: %llu requested, %llu scanned, %llu from cache, %llu dropped (queue full)",
		 (unsigned long long)a->scanq.stats.submitted,
		 (unsigned long long)a->scanq.stats.scanned,
		 (unsigned long long)a->scanq.stats.cache_hits,
		 (unsigned long long)a->scanq.stats.dropped);
	for (i = 0; i < RULE_MAX; i++)
		if (a->pl.rules.fired[i] || a->pl.rules.folded[i])
			log_info("rule %s: %llu alerts, %llu folded by suppression", rule_names[i],
				 (unsigned long long)a->pl.rules.fired[i],
				 (unsigned long long)a->pl.rules.folded[i]);
	if (c[CNT_DROPS])
		log_warn("%llu events were lost because the ring buffer was full",
			 (unsigned long long)c[CNT_DROPS]);
	if (a->scanq.stats.dropped)
		log_warn("%llu scans were dropped because the scan queue was full",
			 (unsigned long long)a->scanq.stats.dropped);
}

static void agent_cleanup(struct agent *a)
{
	if (a->scanq_up)
		scanq_destroy(&a->scanq);
	ring_buffer__free(a->rb);
	if (a->ld.skel)
		uprobes_proc_free(&a->uprobes);
	clipboard_free(a->clip);
	a->clip = NULL;
	tls_probes_free(&a->tls);
	loader_close(&a->ld);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	control_close(&a->control);
	agent_sinks_close(a);
	pipeline_free(&a->pl);
	watchlist_free(&a->wl);
	config_free(&a->cfg);
}

/* ---- what the pipeline asks of the live agent -------------------------------------- */

static void ops_scan(void *arg, const struct scan_request *rq)
{
	struct agent *a = arg;

	if (a->scanq_up && scanq_submit(&a->scanq, rq) == -EAGAIN) {
		a->stats.scan_drop_tick = a->ticks ? a->ticks : 1;
		pipeline_scan_dropped(&a->pl, rq, a->scanq.todo_len);
	}
}

static void ops_taint(void *arg, const struct file_id *id, const struct file_id *origin, __u32 tgid)
{
	struct agent *a = arg;

	if (a->ld.skel)
		loader_taint(&a->ld, id, origin, tgid);
}

static void flushed_close(const struct close_event *e, void *arg)
{
	struct agent *a = arg;

	pipeline_flushed_close(&a->pl, e);
}

static void ops_flush_fds(void *arg, const struct event_hdr *h)
{
	struct agent *a = arg;

	if (a->ld.skel)
		loader_flush_fds(&a->ld, h, flushed_close, a);
}

/* a child forked with probes that execs a program without the libraries loses them */
static void ops_proc_exec(void *arg, const struct proc *p, __u64 ts_ns)
{
	struct agent *a = arg;

	if (p && a->ld.skel && uprobes_proc_has(&a->uprobes, p->tgid) && !wants_uprobes(a, p))
		uprobes_proc_detach(&a->uprobes, p->tgid);
	follow_uprobes(a, p, ts_ns);
}

/*
 * A forked child has a new mm, which its parent's probes do not cover; it
 * runs its parent's image, so it wants what the parent wants (even when the
 * parent exited before its own attach, as a daemonising xclip does).
 */
static void ops_proc_fork(void *arg, const struct proc *child, __u64 ts_ns)
{
	follow_uprobes(arg, child, ts_ns);
}

/* tracked by lineage after its exec */
static void ops_proc_tracked(void *arg, const struct proc *p, __u64 ts_ns)
{
	follow_uprobes(arg, p, ts_ns);
}

static void ops_proc_exit(void *arg, __u32 tgid)
{
	struct agent *a = arg;

	if (a->ld.skel) {
		uprobes_proc_detach(&a->uprobes, tgid);
		tls_detach(&a->tls, tgid);
	}
}

static void ops_alerted(void *arg, const struct alert *al, const char *json, size_t len)
{
	agent_sinks_on_alert(arg, json, len);
}

static int start_pipeline(struct agent *a, char *err, size_t errlen)
{
	const struct pipeline_ops ops = {
		.scan = ops_scan,
		.taint = ops_taint,
		.flush_fds = ops_flush_fds,
		.alerted = ops_alerted,
		.proc_exec = ops_proc_exec,
		.proc_fork = ops_proc_fork,
		.proc_tracked = ops_proc_tracked,
		.proc_exit = ops_proc_exit,
		.arg = a,
	};
	const struct pipeline_cfg pc = {
		.rules = &a->cfg.rules,
		.alerts = { .log = a->opts.alert_log ? a->opts.alert_log : a->cfg.output.log,
			    .to_stdout = a->cfg.output.to_stdout },
		.events_path = a->opts.print_events ? (a->opts.events_path ?: "-") : NULL,
		.record_path = a->opts.record_path,
		.live = true,
	};
	struct scan_limits lim;
	int ret;

	ret = pipeline_init(&a->pl, &pc, &ops, err, errlen);
	if (ret)
		return ret;
	a->stats.start_ns = time_mono_ns();
	ret = person_set_key_random(&a->person_key);
	if (ret) {
		snprintf(err, errlen, "cannot draw the person-hash key: %s", strerror(-ret));
		return ret;
	}
	scan_limits_from_config(&lim, &a->cfg.scan);
	lim.person_key = &a->person_key;
	ret = sandbox_cfg_init(&a->sandbox, &a->person_key);
	if (ret == -ENOENT)
		log_warn("the scanner helper " SANDBOX_HELPER
			 " is not installed: every file scan will be "
			 "refused (reason \"sandbox unavailable\")");
	else if (ret)
		log_warn("scanner sandbox: %s", strerror(-ret));
	else
		log_info("scanner sandbox: %s, uid %u", a->sandbox.helper,
			 (unsigned int)a->sandbox.uid);
	ret = scanq_init(&a->scanq, &a->cfg.scan, &lim, &a->sandbox, NULL);
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
	struct loader_opts lo = {};
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
	if (block_signals() || start_pipeline(&a, err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	log_install_libbpf();
	lo.trace_all = a.cfg.trace_all;
	lo.tls_response_bytes = a.cfg.rules.burst_response_bytes;
	lo.ring_bytes = a.cfg.ring_mib << 20;
	ret = loader_open(&a.ld, &lo, err, sizeof(err));
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
	if (tls_probes_init(&a.tls, loader_object(&a.ld), a.ld.uprobe_multi) ||
	    rules_open_state(&a.pl.rules, a.cfg.state_dir, &a.person_key)) {
		log_err("TLS probes or the persons state: out of memory");
		goto out;
	}
	agent_sync_endpoints(&a);
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
