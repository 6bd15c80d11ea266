// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event/decode.h"
#include "event/event_json.h"
#include "event/event_parse.h"
#include "scan_json.h"
#include "lib/time.h"

static void put_id(struct json *j, const char *key, const struct file_id *id)
{
	char dev[32];

	snprintf(dev, sizeof(dev), "%u:%u", event_kdev_major(id->dev), event_kdev_minor(id->dev));
	if (key) {
		json_key(j, key);
		json_obj_begin(j);
	}
	json_kv_str(j, "dev", dev);
	json_kv_u64(j, "ino", id->ino);
	if (key)
		json_obj_end(j);
}

/*
 * The keyed hashes (hex), so a replay adds people up as the live run did.
 * They are useless without the key, which is drawn per agent start and never
 * written; at most SCAN_JSON_PERSONS are kept (cumulative counts use small
 * files only).
 */
static void put_persons(struct json *j, const struct scan_result *res)
{
	char hex[17];
	uint32_t i;

	if (!res->nr_persons)
		return;
	json_key(j, "persons");
	json_arr_begin(j);
	for (i = 0; i < res->nr_persons && i < SCAN_JSON_PERSONS; i++) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)res->persons[i]);
		json_id(j, hex);
	}
	json_arr_end(j);
}

static int persons_from(const struct jval *arr, struct scan_result *res)
{
	size_t i, n;
	char *end;

	if (!arr || arr->type != JARR || !arr->len)
		return 0;
	n = arr->len < SCAN_JSON_PERSONS ? arr->len : SCAN_JSON_PERSONS;
	res->persons = calloc(n, sizeof(*res->persons));
	if (!res->persons)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = arr->items[i].str;

		if (arr->items[i].type != JSTR || strlen(s) != 16)
			continue;
		res->persons[res->nr_persons] = strtoull(s, &end, 16);
		if (!*end)
			res->nr_persons++;
	}
	return 0;
}

void scan_json(struct json *j, const struct scan_request *rq, const struct scan_result *res,
	       int64_t clock_offset)
{
	char tbuf[40];
	unsigned int i;
	int k;

	json_obj_begin(j);
	json_kv_str(j, "event", "scan");
	json_kv_str(j, "time", time_format(rq->ts_ns + clock_offset, tbuf, sizeof(tbuf)));
	json_kv_u64(j, "ts_ns", rq->ts_ns);
	json_kv_u64(j, "pid", rq->tgid);
	json_kv_u64(j, "uid", rq->uid);
	json_key(j, "loginuid");
	if (rq->loginuid == (__u32)-1)
		json_null(j);
	else
		json_u64(j, rq->loginuid);
	json_key(j, "classes");
	json_arr_begin(j);
	for (k = 0; event_class_name_table[k]; k++)
		if (rq->classes & (1u << k))
			json_str(j, event_class_name_table[k]);
	json_arr_end(j);
	json_kv_str(j, "why", rq->why == SCAN_WHY_WRITTEN ? "written" : "app_read");
	json_kv_str(j, "path", rq->path);
	put_id(j, NULL, &rq->id);
	json_kv_str(j, "export", event_export_kind_name(rq->export_kind));
	json_kv_bool(j, "tainted", rq->tainted);
	if (rq->tainted)
		put_id(j, "taint_origin", &rq->origin);
	json_kv_u64(j, "bytes_written", rq->bytes_written);
	json_kv_str(j, "status", scan_status_str(res->status));
	json_kv_str(j, "reason", scan_reason_str(res->reason));
	json_kv_str(j, "problem", res->msg);
	if (res->err)
		json_kv_i64(j, "errno", res->err);
	json_key(j, "cpr");
	json_obj_begin(j);
	json_kv_u64(j, "distinct", res->cpr.distinct);
	json_kv_u64(j, "mod11", res->cpr.distinct_mod11);
	json_kv_u64(j, "keyword", res->cpr.keyword_matches);
	json_kv_u64(j, "matches", res->cpr.matches);
	json_kv_bool(j, "lower_bound", res->cpr.distinct_lower_bound);
	json_obj_end(j);
	json_key(j, "masked_samples");
	json_arr_begin(j);
	for (i = 0; i < res->cpr.nr_samples; i++)
		json_str(j, res->cpr.samples[i]);
	json_arr_end(j);
	put_persons(j, res);
	json_kv_u64(j, "pages_without_text", res->pages_without_text);
	json_kv_u64(j, "bytes_scanned", res->bytes_scanned);
	json_kv_u64(j, "elapsed_us", res->elapsed_us);
	json_obj_end(j);
}

static int status_of(const char *s)
{
	int i;

	for (i = SCAN_OK; s && i <= SCAN_CANCELLED; i++)
		if (!strcmp(s, scan_status_str(i)))
			return i;
	return -1;
}

static int reason_of(const char *s)
{
	int i;

	for (i = SCAN_R_NONE; s && i <= SCAN_R_MAX; i++)
		if (!strcmp(s, scan_reason_str(i)))
			return i;
	return SCAN_R_NONE;
}

static void cpr_from(const struct jval *c, const struct jval *samples, struct cpr_stats *st)
{
	uint64_t v;
	size_t i;

	if (jobj_u64(c, "distinct", &v))
		st->distinct = v;
	if (jobj_u64(c, "mod11", &v))
		st->distinct_mod11 = v;
	if (jobj_u64(c, "keyword", &v))
		st->keyword_matches = v;
	if (jobj_u64(c, "matches", &v))
		st->matches = v;
	jobj_bool(c, "lower_bound", &st->distinct_lower_bound);
	for (i = 0; samples && samples->type == JARR && i < samples->len; i++) {
		if (st->nr_samples == CPR_MAX_SAMPLES || !cpr_is_masked(samples->items[i].str))
			continue;
		memcpy(st->samples[st->nr_samples++], samples->items[i].str, CPR_MASK_LEN);
	}
}

int scan_from_json(const struct jval *obj, struct scan_request *rq, struct scan_result *res,
		   char *err, size_t errlen)
{
	const char *why = jobj_str(obj, "why"), *path = jobj_str(obj, "path");
	const char *kind = jobj_str(obj, "export"), *problem = jobj_str(obj, "problem");
	const struct jval *origin = jobj_get(obj, "taint_origin");
	int64_t v;
	uint64_t u;

	memset(rq, 0, sizeof(*rq));
	memset(res, 0, sizeof(*res));
	res->status = status_of(jobj_str(obj, "status"));
	if (!path || !why || res->status < 0 || !jobj_u64(obj, "ts_ns", &u)) {
		snprintf(err, errlen, "scan line without path, why, status or ts_ns");
		return -EINVAL;
	}
	rq->ts_ns = u;
	rq->why = !strcmp(why, "written") ? SCAN_WHY_WRITTEN : SCAN_WHY_APP_READ;
	rq->tgid = jobj_i64(obj, "pid", &v) ? v : 0;
	rq->uid = jobj_i64(obj, "uid", &v) ? v : 0;
	rq->loginuid = jobj_i64(obj, "loginuid", &v) ? v : (__u32)-1;
	rq->classes = event_parse_classes(jobj_get(obj, "classes"));
	event_parse_kdev(jobj_str(obj, "dev"), &rq->id.dev);
	rq->id.ino = jobj_u64(obj, "ino", &u) ? u : 0;
	rq->export_kind = !kind			     ? 0 :
			  !strcmp(kind, "local")     ? EXPORT_LOCAL :
			  !strcmp(kind, "removable") ? EXPORT_REMOVABLE :
			  !strcmp(kind, "network")   ? EXPORT_NETWORK :
						       0; /* unknown: none */
	jobj_bool(obj, "tainted", &rq->tainted);
	if (rq->tainted && origin) {
		event_parse_kdev(jobj_str(origin, "dev"), &rq->origin.dev);
		rq->origin.ino = jobj_u64(origin, "ino", &u) ? u : 0;
	}
	rq->bytes_written = jobj_u64(obj, "bytes_written", &u) ? u : 0;
	res->reason = reason_of(jobj_str(obj, "reason"));
	res->err = jobj_i64(obj, "errno", &v) && v > 0 && v < 4096 ? v : 0;
	res->pages_without_text = jobj_u64(obj, "pages_without_text", &u) && u < UINT32_MAX ? u : 0;
	if (problem)
		snprintf(res->msg, sizeof(res->msg), "%s", problem);
	cpr_from(jobj_get(obj, "cpr"), jobj_get(obj, "masked_samples"), &res->cpr);
	rq->path = strdup(path);
	if (!rq->path || persons_from(jobj_get(obj, "persons"), res)) {
		free(rq->path);
		rq->path = NULL;
		scan_result_release(res);
		return -ENOMEM;
	}
	return 0;
}
