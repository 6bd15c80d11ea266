// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's answers to cprwatchctl (control.c carries them): status, the
 * recent alerts, reload and test-alert.  All run on the event-loop thread
 * and return at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "event/event_json.h"
#include "lib/log.h"

/* Keep the JSON of the last alerts for `cprwatchctl alerts`. */
void agent_remember_alert(struct agent *a, const char *json, size_t len, uint64_t real_ns,
			  const char *rule)
{
	struct recent_alert *r = &a->recent[a->recent_next % RECENT_ALERTS];

	free(r->json);
	r->json = strndup(json, len);
	r->real_ns = real_ns;
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	a->recent_next++;
}

void agent_forget_alerts(struct agent *a)
{
	unsigned int i;

	for (i = 0; i < RECENT_ALERTS; i++)
		free(a->recent[i].json);
	memset(a->recent, 0, sizeof(a->recent));
}

static int ctl_status(void *arg, struct json *out, char *err, size_t errlen)
{
	agent_status_json(arg, out);
	return 0;
}

static int ctl_alerts(void *arg, const struct control_alerts_query *q, struct json *out,
		      char *err, size_t errlen)
{
	struct agent *a = arg;
	uint64_t first = a->recent_next > RECENT_ALERTS ? a->recent_next - RECENT_ALERTS : 0;
	uint64_t i, start, n = 0;

	/* newest `limit` matches, printed oldest first */
	for (start = a->recent_next; start > first && n < q->limit; start--) {
		struct recent_alert *r = &a->recent[(start - 1) % RECENT_ALERTS];

		if (r->json && r->real_ns >= q->since_ns && (!q->rule || !strcmp(q->rule, r->rule)))
			n++;
	}
	json_key(out, "alerts");
	json_arr_begin(out);
	for (i = start; i < a->recent_next; i++) {
		struct recent_alert *r = &a->recent[i % RECENT_ALERTS];

		if (!r->json || r->real_ns < q->since_ns || (q->rule && strcmp(q->rule, r->rule)))
			continue;
		if (out->need_comma[out->depth])
			json_raw(out, ",", 1);
		json_raw(out, r->json, strlen(r->json));
		out->need_comma[out->depth] = true;
	}
	json_arr_end(out);
	json_kv_bool(out, "truncated", start > first);
	return 0;
}

#define SWAP(x, y) do { __typeof__(x) t_ = (x); (x) = (y); (y) = t_; } while (0)

/*
 * The spool, the SOC receivers and the control socket stay as they run
 * until a restart: hand the running settings to the new config, so status
 * shows what is in effect.
 */
static void keep_running_outputs(struct config *cur, struct config *next)
{
	if (strcmp(cur->spool_dir, next->spool_dir) || cur->nr_sinks != next->nr_sinks ||
	    strcmp(cur->control_socket, next->control_socket))
		log_warn("reload: [spool], [syslog.*] and [control] change only at restart");
	SWAP(cur->spool_dir, next->spool_dir);
	SWAP(cur->spool_fsync, next->spool_fsync);
	SWAP(cur->spool_overflow, next->spool_overflow);
	SWAP(cur->spool_max_mib, next->spool_max_mib);
	SWAP(cur->sinks, next->sinks);
	SWAP(cur->nr_sinks, next->nr_sinks);
	SWAP(cur->control_socket, next->control_socket);
	SWAP(cur->admin_group, next->admin_group);
}

/*
 * Validate first: a config with an error leaves the running one in place.
 * The probes' load-time switches (trace_all) need a restart to change.
 */
static int ctl_reload(void *arg, struct json *out, char *err, size_t errlen)
{
	struct agent *a = arg;
	struct config next;
	const char *path = a->opts.config_path;
	bool trace_all = a->cfg.trace_all;

	if (config_load(&next, path, err, errlen))
		return -EINVAL;
	if (next.trace_all != trace_all)
		log_warn("reload: trace_all changes only at restart");
	next.trace_all = trace_all;
	keep_running_outputs(&a->cfg, &next);
	config_free(&a->cfg);
	a->cfg = next;		/* rules keep pointing at a->cfg.rules */
	rules_reconfigure(&a->rules);
	agent_resolve_watchlist(a);
	log_info("configuration reloaded from %s (sha256 %.12s)", a->cfg.source, a->cfg.sha256);
	json_key(out, "config");
	json_obj_begin(out);
	json_kv_str(out, "path", a->cfg.source);
	json_kv_str(out, "sha256", a->cfg.sha256);
	json_obj_end(out);
	return 0;
}

static int ctl_test_alert(void *arg, struct json *out, char *err, size_t errlen)
{
	struct agent *a = arg;
	struct alert al = {
		.rule = "test_alert",
		.severity = SEV_LOW,
		.tgid = getpid(),
		.uid = 0,
		.loginuid = (__u32)-1,
	};
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	al.ts_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	snprintf(al.summary, sizeof(al.summary),
		 "cprwatch test alert: the route from this agent to the SOC works");
	agent_raise_alert(a, &al);
	json_kv_str(out, "alert_id", a->alerts.last_id);
	return 0;
}

int agent_control_open(struct agent *a, char *err, size_t errlen)
{
	struct control_ops ops = {
		.status = ctl_status,
		.alerts = ctl_alerts,
		.reload = ctl_reload,
		.test_alert = ctl_test_alert,
		.arg = a,
	};

	return control_open(&a->control, a->cfg.control_socket, a->cfg.admin_group, &ops, err,
			    errlen);
}
