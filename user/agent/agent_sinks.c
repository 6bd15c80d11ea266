// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's SOC receivers: every alert is appended to the durable spool
 * before it counts as raised, and each [syslog.NAME] receiver drains the
 * spool at its own pace (at-least-once, in order).  All of it runs on the
 * event loop without blocking: a slow or absent receiver only grows the
 * spool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include "agent.h"
#include "lib/log.h"
#include "lib/time.h"

static int open_spool(struct agent *a, char *err, size_t errlen)
{
	const char **names = calloc(a->cfg.nr_sinks, sizeof(*names));
	struct spool_opts opts = a->cfg.spool;
	size_t i;
	int ret;

	if (!names)
		return -ENOMEM;
	for (i = 0; i < a->cfg.nr_sinks; i++)
		names[i] = a->cfg.sinks[i].cfg.name;
	/* drop_oldest spares segments holding alerts more severe than the new one */
	opts.rank = alert_json_severity;
	ret = spool_open(&a->spool, a->cfg.spool_dir, &opts, names, a->cfg.nr_sinks, err, errlen);
	free(names);
	if (!ret)
		a->spool_up = true;
	return ret;
}

int agent_sinks_open(struct agent *a, char *err, size_t errlen)
{
	size_t i;
	int ret;

	if (!a->cfg.nr_sinks)
		return 0;
	ret = open_spool(a, err, errlen);
	if (ret)
		return ret;
	a->sinks = calloc(a->cfg.nr_sinks, sizeof(*a->sinks));
	if (!a->sinks)
		return -ENOMEM;
	for (i = 0; i < a->cfg.nr_sinks; i++) {
		ret = syslog_conn_open(&a->sinks[i], &a->cfg.sinks[i].cfg, &a->spool, i, err,
				       errlen);
		if (ret)
			return ret;
		a->nr_sinks++;
		syslog_conn_epoll_update(&a->sinks[i], a->epfd, TAG_SINK_BASE + i);
	}
	log_info("%zu SOC receivers, spool %s", a->nr_sinks, a->cfg.spool_dir);
	return 0;
}

static void kick(struct agent *a)
{
	uint64_t now = time_mono_ms();
	size_t i;

	for (i = 0; i < a->nr_sinks; i++) {
		syslog_conn_tick(&a->sinks[i], now);
		syslog_conn_epoll_update(&a->sinks[i], a->epfd, TAG_SINK_BASE + i);
	}
}

void agent_sinks_on_alert(struct agent *a, const char *json, size_t len)
{
	uint64_t seq;
	int ret;

	if (!a->spool_up)
		return;
	ret = spool_append(&a->spool, json, len, &seq);
	if (ret) {
		a->spool_failures++;
		log_err("alert not spooled for the SOC: %s", strerror(-ret));
		return;
	}
	kick(a);
}

void agent_sinks_on_io(struct agent *a, size_t idx, uint32_t revents)
{
	if (idx >= a->nr_sinks)
		return;
	syslog_conn_on_io(&a->sinks[idx], revents);
	syslog_conn_epoll_update(&a->sinks[idx], a->epfd, TAG_SINK_BASE + idx);
}

static void heartbeat(struct agent *a)
{
	struct heartbeat hb = {
		.host = a->pl.alerts.host,
		.build_id = CPRW_BUILD_ID,
		.config_sha256 = a->cfg.sha256,
		.uptime_s = a->ticks,
		.events = a->pl.stats.events,
		.kernel_drops = a->stats.kernel_drops,
		.alerts = a->pl.alerts.emitted,
		.sinks = a->nr_sinks,
		/* refused by drop_new or a failed write: never spooled, so never sent */
		.spool_dropped = a->spool_failures,
		.scans_dropped = a->scanq_up ? a->scanq.stats.dropped : 0,
	};
	size_t i;

	for (i = 0; i < a->nr_sinks; i++) {
		hb.spool_depth += spool_depth(&a->spool, i);
		hb.spool_dropped += spool_dropped(&a->spool, i);
		hb.sinks_up += a->sinks[i].state == SYSLOG_CONN_UP;
	}
	for (i = 0; i < a->nr_sinks; i++)
		syslog_conn_heartbeat(&a->sinks[i], &hb);
}

void agent_sinks_tick(struct agent *a)
{
	if (!a->spool_up)
		return;
	spool_tick(&a->spool, time_mono_ms());
	if (a->cfg.heartbeat_interval && a->ticks % a->cfg.heartbeat_interval == 0)
		heartbeat(a);
	kick(a);
}

void agent_sinks_close(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nr_sinks; i++)
		syslog_conn_close(&a->sinks[i]); /* before the spool: it saves their acks */
	free(a->sinks);
	a->sinks = NULL;
	a->nr_sinks = 0;
	if (a->spool_up)
		spool_close(&a->spool);
	a->spool_up = false;
}

void agent_sinks_status_json(struct agent *a, struct json *j)
{
	size_t i;

	json_key(j, "sinks");
	json_arr_begin(j);
	for (i = 0; i < a->nr_sinks; i++) {
		struct syslog_conn *s = &a->sinks[i];

		json_obj_begin(j);
		json_kv_str(j, "name", s->name);
		json_kv_str(j, "transport", syslog_conn_transport_name(s->transport));
		json_kv_str(j, "state", syslog_conn_state_name(s->state));
		json_key(j, "last_error");
		if (s->last_error[0])
			json_str(j, s->last_error);
		else
			json_null(j);
		json_kv_u64(j, "spool_depth", spool_depth(&a->spool, i));
		json_kv_u64(j, "sent", s->stats.sent);
		json_kv_u64(j, "acked", s->stats.acked);
		json_kv_u64(j, "dropped", spool_dropped(&a->spool, i));
		json_kv_u64(j, "reconnects", s->stats.reconnects);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (a->spool_up) {
		struct spool_stats st;

		spool_get_stats(&a->spool, &st);
		json_key(j, "spool");
		json_obj_begin(j);
		json_kv_str(j, "dir", a->cfg.spool_dir);
		json_kv_u64(j, "records", st.records);
		json_kv_u64(j, "bytes", st.bytes);
		json_kv_u64(j, "torn_recovered", st.torn);
		json_kv_u64(j, "corrupt", st.corrupt);
		json_kv_u64(j, "dropped_oldest", st.dropped_oldest);
		json_kv_u64(j, "dropped_new", st.dropped_new);
		json_kv_u64(j, "append_failures", a->spool_failures);
		json_obj_end(j);
	}
}
