// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "alerts.h"
#include "lib/fs_trust.h"
#include "event/event_json.h"
#include "event/decode.h"
#include "lib/time.h"

const char *alert_severity_name(unsigned int sev)
{
	static const char *const names[] = { "none", "low", "medium", "high", "critical" };

	return sev <= SEV_CRITICAL ? names[sev] : "unknown";
}

unsigned int alert_json_severity(const void *json, size_t len)
{
	static const char key[] = "\"severity\":\"";
	const char *v = memmem(json, len, key, sizeof(key) - 1);
	const char *end = (const char *)json + len;
	unsigned int sev;
	size_t n;

	if (!v)
		return 0;
	v += sizeof(key) - 1;
	for (sev = SEV_LOW; sev <= SEV_CRITICAL; sev++) {
		n = strlen(alert_severity_name(sev));
		if ((size_t)(end - v) > n && !memcmp(v, alert_severity_name(sev), n) && v[n] == '"')
			return sev;
	}
	return 0;
}

static void random_uuid(char buf[37])
{
	unsigned char r[16];
	size_t i, o = 0;

	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		/* no entropy yet: time and pid still make ids unique on this host */
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		for (i = 0; i < 16; i++)
			r[i] = (unsigned char)(t >> (i % 8 * 8)) ^ (unsigned char)rand();
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		o += snprintf(buf + o, 3, "%02x", r[i]);
	}
	buf[o] = '\0';
}

/*
 * A random UUID can hold a CPR-shaped run (DDMMYY-SSSS inside it), which every
 * output masks: the id would then differ between the alert log, syslog and
 * cprwatchctl.  Draw again until the masker leaves it alone (about 1 id in
 * 1,700 needs a second draw).
 */
void alert_new_id(char buf[37])
{
	char probe[37];
	int tries = 0;

	do {
		random_uuid(buf);
		memcpy(probe, buf, sizeof(probe));
		cpr_redact(probe, strlen(probe));
	} while (strcmp(probe, buf) && ++tries < 1000);
}

/* The log and its directory must be the agent's (or root's): their owner could read every alert. */
static int check_log_owner(const char *log_path, int fd, char *err, size_t errlen)
{
	char *dir = strdup(log_path), *slash;
	struct stat st, dst;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (fstat(fd, &st) || stat(slash ? dir : ".", &dst)) {
		ret = -errno;
		snprintf(err, errlen, "alert log %s: %s", log_path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || !fs_ours(&st)) {
		ret = -EPERM;
		snprintf(err, errlen, "alert log %s: %s uid %u; refused", log_path,
			 S_ISREG(st.st_mode) ? "a file of" : "not a regular file, of",
			 (unsigned int)st.st_uid);
	} else if (!fs_ours(&dst)) {
		ret = -EPERM;
		snprintf(err, errlen, "alert log %s: its directory belongs to uid %u; refused",
			 log_path, (unsigned int)dst.st_uid);
	}
	free(dir);
	return ret;
}

int alert_out_open(struct alert_out *o, const struct alert_out_config *cfg, char *err,
		   size_t errlen)
{
	const char *log_path = cfg->log;
	int fd, ret;

	memset(o, 0, sizeof(*o));
	o->to_stdout = cfg->to_stdout;
	if (gethostname(o->host, sizeof(o->host) - 1))
		snprintf(o->host, sizeof(o->host), "unknown");
	json_init(&o->j);
	if (!log_path || !*log_path)
		return 0;
	/* the alert log is personal data (Datatilsynet): root only */
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "alert log %s: %s%s", log_path, strerror(errno),
			 errno == ENOENT ? "; fix: create its directory (mode 0700)" : "");
		return -errno;
	}
	ret = check_log_owner(log_path, fd, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	fchmod(fd, 0600);
	o->log = fdopen(fd, "a");
	if (!o->log) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

void alert_out_close(struct alert_out *o)
{
	unsigned int i;

	for (i = 0; i < ALERTS_RECENT; i++)
		free(o->recent[i].json);
	memset(o->recent, 0, sizeof(o->recent));
	if (o->log)
		fclose(o->log);
	json_free(&o->j);
	o->log = NULL;
}

static void put_user(struct json *j, const char *key, __u32 uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	json_key(j, key);
	if (uid == (__u32)-1) {
		json_null(j);
		return;
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		json_null(j);
	else
		json_str(j, res->pw_name);
}

static void put_file_id(struct json *j, const struct file_id *id)
{
	char dev[32];

	snprintf(dev, sizeof(dev), "%u:%u", event_kdev_major(id->dev), event_kdev_minor(id->dev));
	json_kv_str(j, "dev", dev);
	json_kv_u64(j, "ino", id->ino);
}

static void put_chain(struct json *j, const struct alert *a, const struct procs *pt)
{
	const struct proc *chain[PROC_CHAIN_MAX];
	int i, n = pt ? procs_chain(pt, a->tgid, chain, PROC_CHAIN_MAX) : 0;

	json_key(j, "process_chain");
	json_arr_begin(j);
	for (i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kv_u64(j, "pid", chain[i]->tgid);
		json_kv_str(j, "exe", chain[i]->exe);
		json_kv_str(j, "argv", chain[i]->argv);
		json_kv_str(j, "comm", chain[i]->comm);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The owner of the content a clipboard alert is about, with its own chain. */
static void put_clipboard(struct json *j, const struct alert_clipboard *c, const struct procs *pt)
{
	const struct proc *chain[PROC_CHAIN_MAX];
	int i, n = pt ? procs_chain(pt, c->owner_pid, chain, PROC_CHAIN_MAX) : 0;

	json_key(j, "clipboard");
	json_obj_begin(j);
	json_kv_u64(j, "owner_pid", c->owner_pid);
	json_kv_str(j, "owner_exe", c->owner_exe);
	json_key(j, "owner_chain");
	json_arr_begin(j);
	for (i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kv_u64(j, "pid", chain[i]->tgid);
		json_kv_str(j, "exe", chain[i]->exe);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_u64(j, "selection", c->selection);
	json_kv_str(j, "op", c->op);
	json_kv_str(j, "api", c->api);
	json_obj_end(j);
}

static void put_counts(struct json *j, const struct alert *a)
{
	unsigned int i;

	json_key(j, "counts");
	json_obj_begin(j);
	if (a->cpr) {
		json_kv_u64(j, "cpr_distinct", a->cpr->distinct);
		json_kv_u64(j, "cpr_mod11", a->cpr->distinct_mod11);
		json_kv_u64(j, "cpr_keyword_context", a->cpr->keyword_matches);
		json_kv_u64(j, "cpr_matches", a->cpr->matches);
		json_kv_bool(j, "cpr_lower_bound", a->cpr->distinct_lower_bound);
	}
	if (a->origin_cpr)
		json_kv_u64(j, "origin_cpr_distinct", a->origin_cpr);
	if (a->count)
		json_kv_u64(j, "events", a->count);
	if (a->bytes)
		json_kv_u64(j, "bytes", a->bytes);
	if (a->suppressed)
		json_kv_u64(j, "suppressed", a->suppressed);
	if (a->persons)
		json_kv_u64(j, "persons", a->persons);
	if (a->has_baseline) {
		json_kv_u64(j, "baseline_daily_mean", a->baseline);
		json_kv_u64(j, "baseline_days", a->baseline_days);
	}
	json_obj_end(j);
	json_key(j, "masked_samples");
	json_arr_begin(j);
	for (i = 0; a->cpr && i < a->cpr->nr_samples; i++)
		json_str(j, a->cpr->samples[i]);
	json_arr_end(j);
}

void alert_json(struct json *j, const struct alert *a, const struct procs *pt, const char *host,
		int64_t clock_offset, const char *id)
{
	char tbuf[40];
	unsigned int i;

	json_obj_begin(j);
	json_kv_id(j, "alert_id", id);
	json_kv_str(j, "time", time_format(a->ts_ns + clock_offset, tbuf, sizeof(tbuf)));
	json_kv_str(j, "host", host);
	json_kv_str(j, "rule", a->rule);
	json_kv_str(j, "severity", alert_severity_name(a->severity));
	json_kv_str(j, "summary", a->summary);
	put_user(j, "user", a->loginuid != (__u32)-1 ? a->loginuid : a->uid);
	json_kv_u64(j, "uid", a->uid);
	json_key(j, "loginuid");
	if (a->loginuid == (__u32)-1)
		json_null(j);
	else
		json_u64(j, a->loginuid);
	json_kv_u64(j, "pid", a->tgid);
	put_chain(j, a, pt);
	if (a->path) {
		json_key(j, "file");
		json_obj_begin(j);
		json_kv_str(j, "path", a->path);
		put_file_id(j, &a->file);
		json_obj_end(j);
	}
	if (a->has_origin) {
		json_key(j, "origin_export");
		json_obj_begin(j);
		json_kv_str(j, "path", a->origin_path);
		put_file_id(j, &a->origin);
		json_obj_end(j);
	}
	if (a->peer)
		json_kv_str(j, "peer", a->peer);
	if (a->nr_files) {
		json_key(j, "files");
		json_arr_begin(j);
		for (i = 0; i < a->nr_files; i++)
			json_str(j, a->files[i]);
		json_arr_end(j);
	}
	if (a->scan_problem)
		json_kv_str(j, "scan_problem", a->scan_problem);
	if (a->clipboard)
		put_clipboard(j, a->clipboard, pt);
	put_counts(j, a);
	json_obj_end(j);
}

/* Keep the line just sent for `cprwatchctl alerts`. */
static void remember(struct alert_out *o, const struct alert *a)
{
	struct alert_recent *r = &o->recent[o->recent_next % ALERTS_RECENT];

	free(r->json);
	r->json = strndup(o->j.out.data, o->j.out.len - 1);
	r->real_ns = a->ts_ns + time_mono_offset();
	snprintf(r->rule, sizeof(r->rule), "%s", a->rule);
	o->recent_next++;
}

void alert_emit(struct alert_out *o, const struct alert *a, const struct procs *pt)
{
	alert_new_id(o->last_id);
	json_reset(&o->j);
	alert_json(&o->j, a, pt, o->host, time_mono_offset(), o->last_id);
	if (o->j.out.oom)
		return;
	json_raw(&o->j, "\n", 1);
	o->emitted++;
	if (o->to_stdout) {
		fwrite(o->j.out.data, 1, o->j.out.len, stdout);
		fflush(stdout);
	}
	if (o->log) {
		fwrite(o->j.out.data, 1, o->j.out.len, o->log);
		fflush(o->log);
	}
	remember(o, a);
}

static bool recent_match(const struct alert_recent *r, uint64_t since_ns, const char *rule)
{
	return r->json && r->real_ns >= since_ns && (!rule || !strcmp(rule, r->rule));
}

void alert_recent_json(const struct alert_out *o, uint64_t since_ns, const char *rule,
		       uint64_t limit, struct json *out)
{
	uint64_t first = o->recent_next > ALERTS_RECENT ? o->recent_next - ALERTS_RECENT : 0;
	uint64_t i, start, n = 0;

	/* newest `limit` matches, printed oldest first */
	for (start = o->recent_next; start > first && n < limit; start--)
		if (recent_match(&o->recent[(start - 1) % ALERTS_RECENT], since_ns, rule))
			n++;
	json_key(out, "alerts");
	json_arr_begin(out);
	for (i = start; i < o->recent_next; i++) {
		const struct alert_recent *r = &o->recent[i % ALERTS_RECENT];

		if (!recent_match(r, since_ns, rule))
			continue;
		if (out->need_comma[out->depth])
			json_raw(out, ",", 1);
		json_raw(out, r->json, strlen(r->json));
		out->need_comma[out->depth] = true;
	}
	json_arr_end(out);
	json_kv_bool(out, "truncated", start > first);
}
