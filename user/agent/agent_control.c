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
#include "lib/time.h"

static int ctl_status(void *arg, struct json *out, char *err, size_t errlen)
{
	agent_status_json(arg, out);
	return 0;
}

static int ctl_alerts(void *arg, const struct control_alerts_query *q, struct json *out, char *err,
		      size_t errlen)
{
	struct agent *a = arg;

	alert_recent_json(&a->pl.alerts, q->since_ns, q->rule, q->limit, out);
	return 0;
}

#define SWAP(x, y)                      \
	do {                            \
		__typeof__(x) t_ = (x); \
		(x) = (y);              \
		(y) = t_;               \
	} while (0)

/*
 * The spool, the SOC receivers and the control socket stay as they run
 * until a restart: hand the running settings to the new config, so status
 * shows what is in effect.
 */
static void keep_running_outputs(struct config *cur, struct config *next)
{
	if (strcmp(cur->spool_dir, next->spool_dir) || cur->nr_sinks != next->nr_sinks ||
	    strcmp(cur->control.socket, next->control.socket))
		log_warn("reload: [spool], [syslog.*] and [control] change only at restart");
	SWAP(cur->spool_dir, next->spool_dir);
	SWAP(cur->spool, next->spool);
	SWAP(cur->sinks, next->sinks);
	SWAP(cur->nr_sinks, next->nr_sinks);
	SWAP(cur->control, next->control);
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
	if (next.ring_mib != a->cfg.ring_mib)
		log_warn("reload: ring_mib changes only at restart");
	next.trace_all = trace_all;
	next.ring_mib = a->cfg.ring_mib;
	keep_running_outputs(&a->cfg, &next);
	config_free(&a->cfg);
	a->cfg = next; /* rules keep pointing at a->cfg.rules */
	rules_reconfigure(&a->pl.rules);
	agent_sync_endpoints(a);
	agent_resolve_watchlist(a);
	log_info("configuration reloaded from %s (sha256 %.12s)", a->cfg.source, a->cfg.sha256);
	json_key(out, "config");
	json_obj_begin(out);
	json_kv_str(out, "path", a->cfg.source);
	json_kv_id(out, "sha256", a->cfg.sha256);
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
		.ts_ns = time_mono_ns(),
	};

	snprintf(al.summary, sizeof(al.summary),
		 "cprwatch test alert: the route from this agent to the SOC works");
	pipeline_alert(&a->pl, &al);
	json_kv_id(out, "alert_id", a->pl.alerts.last_id);
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

	return control_open(&a->control, &a->cfg.control, &ops, err, errlen);
}
