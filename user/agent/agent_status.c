// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What `cprwatchctl status` shows: versions, config, probes, event rates,
 * drops, scans, rules, and a health verdict with the reasons, so monitoring
 * can call it and act on the exit code.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "lib/log.h"
#include "lib/time.h"

void agent_stats_tick(struct agent *a)
{
	struct agent_stats *st = &a->stats;
	__u64 c[CNT_MAX] = {};

	st->per_tick[a->ticks % RATE_WINDOW] = a->pl.stats.events - st->events_at_tick;
	st->events_at_tick = a->pl.stats.events;
	if (a->ld.skel && !loader_counters(&a->ld, c)) {
		st->kernel_drops = c[CNT_DROPS];
		if (c[CNT_X11_LOST] > st->x11_lost)
			log_warn("X11: the framing of a tracked client's connection was lost %llu "
				 "time(s) (a malformed stream, or bytes moved past the parser: "
				 "see clipboard_unseen alerts); resynced at its next write",
				 (unsigned long long)(c[CNT_X11_LOST] - st->x11_lost));
		st->x11_lost = c[CNT_X11_LOST];
	}
	if (a->ticks % 60 == 0)
		st->drops_at_minute = st->kernel_drops;
}

static double events_per_second(const struct agent *a)
{
	uint64_t sum = 0;
	unsigned int i, n = a->ticks < RATE_WINDOW ? a->ticks : RATE_WINDOW;

	for (i = 0; i < n; i++)
		sum += a->stats.per_tick[i];
	return n ? (double)sum / n : 0;
}

/* Probes every install must have; the clipboard ones depend on the desktop. */
static bool probe_required(const struct probe_state *ps)
{
	return strncmp(ps->hook, "uprobe", 6) && strncmp(ps->hook, "uretprobe", 9);
}

/*
 * A missing helper means no file is scanned: unhealthy.  A helper killed on a
 * file is a hostile file or a parser bug: listed, the agent itself is fine.
 */
static void put_sandbox_problems(struct agent *a, struct json *j, bool *healthy)
{
	const struct sandbox_stats *st = &a->scanq.sbx_stats;
	uint64_t n;
	char buf[160];

	if (!a->scanq_up)
		return;
	if (!a->sandbox.helper[0] || __atomic_load_n(&st->start_failed, __ATOMIC_RELAXED)) {
		json_str(
			j,
			a->sandbox.helper[0] ?
				"the scanner helper failed to start: files are not scanned" :
				"the scanner helper cprwatch-scand is not installed: files are not scanned");
		*healthy = false;
	}
	n = __atomic_load_n(&st->crashed, __ATOMIC_RELAXED) +
	    __atomic_load_n(&st->seccomp, __ATOMIC_RELAXED) +
	    __atomic_load_n(&st->timeouts, __ATOMIC_RELAXED);
	if (n) {
		snprintf(buf, sizeof(buf),
			 "%llu files refused: the scanner helper crashed, timed out "
			 "or was killed by seccomp on them",
			 (unsigned long long)n);
		json_str(j, buf);
	}
}

static void put_problems(struct agent *a, struct json *j, bool *healthy)
{
	char buf[256];
	int i;

	json_key(j, "problems");
	json_arr_begin(j);
	for (i = 0; i < a->ld.nr_probes; i++) {
		const struct probe_state *ps = &a->ld.probes[i];

		if (ps->attached || !probe_required(ps))
			continue;
		snprintf(buf, sizeof(buf), "probe %s (%s) is not attached", ps->name, ps->hook);
		json_str(j, buf);
		*healthy = false;
	}
	if (a->stats.kernel_drops > a->stats.drops_at_minute) {
		snprintf(buf, sizeof(buf), "%llu events lost in the kernel in the last minute",
			 (unsigned long long)(a->stats.kernel_drops - a->stats.drops_at_minute));
		json_str(j, buf);
		*healthy = false;
	}
	/* a dropped scan is a file nobody looked at: unhealthy for a while */
	if (a->scanq_up && a->scanq.stats.dropped &&
	    a->ticks - a->stats.scan_drop_tick < SCAN_DROP_UNHEALTHY_S) {
		snprintf(buf, sizeof(buf),
			 "%llu scans dropped: the scan queue was full (latest %llu s ago)",
			 (unsigned long long)a->scanq.stats.dropped,
			 (unsigned long long)(a->ticks - a->stats.scan_drop_tick));
		json_str(j, buf);
		*healthy = false;
	}
	put_sandbox_problems(a, j, healthy);
	json_arr_end(j);
}

static void put_probes(struct agent *a, struct json *j)
{
	int i;

	json_key(j, "probes");
	json_arr_begin(j);
	for (i = 0; i < a->ld.nr_probes; i++) {
		json_obj_begin(j);
		json_kv_str(j, "name", a->ld.probes[i].name);
		json_kv_str(j, "hook", a->ld.probes[i].hook);
		json_kv_bool(j, "attached", a->ld.probes[i].attached);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void put_events(struct agent *a, struct json *j)
{
	char rate[32];
	int t;

	json_key(j, "events");
	json_obj_begin(j);
	json_kv_u64(j, "total", a->pl.stats.events);
	snprintf(rate, sizeof(rate), "%.1f", events_per_second(a));
	json_key(j, "per_second");
	json_raw(j, rate, strlen(rate));
	j->need_comma[j->depth] = true;
	json_kv_u64(j, "kernel_drops", a->stats.kernel_drops);
	json_kv_u64(j, "ring_mib", a->cfg.ring_mib);
	json_kv_u64(j, "decode_errors", a->pl.stats.decode_errors);
	json_kv_u64(j, "x11_framing_lost", a->stats.x11_lost);
	json_key(j, "by_type");
	json_obj_begin(j);
	for (t = 1; t < EV_TYPE_MAX; t++)
		json_kv_u64(j, event_type_name(t), a->pl.stats.by_type[t]);
	json_obj_end(j);
	json_obj_end(j);
}

static void put_sandbox(struct agent *a, struct json *j)
{
	const struct sandbox_stats *st = &a->scanq.sbx_stats;

	json_key(j, "sandbox");
	json_obj_begin(j);
	json_kv_str(j, "helper", a->sandbox.helper);
	json_kv_u64(j, "uid", a->sandbox.uid);
	json_kv_u64(j, "started", __atomic_load_n(&st->started, __ATOMIC_RELAXED));
	json_kv_u64(j, "crashed", __atomic_load_n(&st->crashed, __ATOMIC_RELAXED));
	json_kv_u64(j, "timeouts", __atomic_load_n(&st->timeouts, __ATOMIC_RELAXED));
	json_kv_u64(j, "seccomp", __atomic_load_n(&st->seccomp, __ATOMIC_RELAXED));
	json_kv_u64(j, "start_failed", __atomic_load_n(&st->start_failed, __ATOMIC_RELAXED));
	json_obj_end(j);
}

static void put_scan(struct agent *a, struct json *j)
{
	json_key(j, "scan");
	json_obj_begin(j);
	json_kv_u64(j, "queue", a->scanq_up ? a->scanq.todo_len : 0);
	json_kv_u64(j, "submitted", a->scanq.stats.submitted);
	json_kv_u64(j, "scanned", a->scanq.stats.scanned);
	json_kv_u64(j, "cache_hits", a->scanq.stats.cache_hits);
	json_kv_u64(j, "dropped", a->scanq.stats.dropped);
	put_sandbox(a, j);
	json_obj_end(j);
}

static void put_rules(struct agent *a, struct json *j)
{
	int i;

	json_key(j, "rules");
	json_arr_begin(j);
	for (i = 0; i < RULE_MAX; i++) {
		json_obj_begin(j);
		json_kv_str(j, "name", rule_names[i]);
		json_kv_u64(j, "alerts", a->pl.rules.fired[i]);
		json_kv_u64(j, "folded", a->pl.rules.folded[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void agent_status_json(struct agent *a, struct json *j)
{
	bool healthy = true;

	json_kv_str(j, "version", CPRW_VERSION);
	json_kv_id(j, "build_id", CPRW_BUILD_ID);
	json_kv_u64(j, "uptime_s", (time_mono_ns() - a->stats.start_ns) / 1000000000ULL);
	json_kv_u64(j, "pid", getpid());
	json_key(j, "config");
	json_obj_begin(j);
	json_kv_str(j, "path", a->cfg.source);
	json_kv_id(j, "sha256", a->cfg.sha256);
	json_obj_end(j);
	put_problems(a, j, &healthy);
	json_kv_bool(j, "healthy", healthy);
	json_key(j, "syscall_hooks");
	json_obj_begin(j);
	json_kv_str(j, "type", loader_syscall_hooks(&a->ld));
	if (a->ld.fallback_why)
		json_kv_str(j, "fallback_reason", a->ld.fallback_why);
	json_obj_end(j);
	json_key(j, "io_uring_probes");
	json_obj_begin(j);
	json_kv_bool(j, "loaded", a->ld.iouring);
	if (a->ld.iouring_why)
		json_kv_str(j, "reason", a->ld.iouring_why);
	json_obj_end(j);
	put_probes(a, j);
	put_events(a, j);
	put_scan(a, j);
	put_rules(a, j);
	agent_sinks_status_json(a, j);
	json_key(j, "uprobes");
	uprobes_proc_status_json(j, &a->uprobes);
	json_key(j, "clipboard_probes");
	clipboard_status_json(j, a->clip);
	tls_status_json(j, a->ld.skel ? &a->tls : NULL);
	json_kv_bool(j, "turn_probes", a->ld.turns);
	rules_users_json(&a->pl.rules, j, time_mono_ns());
	json_kv_u64(j, "alerts", a->pl.alerts.emitted);
}
