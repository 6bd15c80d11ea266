// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "config.h"
#include "detect/alerts.h"
#include "lib/http.h"
#include "soc/syslog_conn.h"
#include "soc/spool.h"
#include "soc/syslog_fmt.h"

#define CONFIG_MAX_SIZE (1 << 20)
#define BUILTIN_NAME "(built-in defaults)"

static const char default_text[] =
#include "default_conf.inc"
	;

const char *config_default_text(void)
{
	return default_text;
}

struct parse_state {
	struct config *cfg;
	const char *name;
	char section[64];
	int line;
	char *err;
	size_t errlen;
};

static int fail(struct parse_state *ps, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(ps->err, ps->errlen, "%s:%d: [%s] %s: %s", ps->name, ps->line, ps->section,
			 key, msg);
	else
		snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->name, ps->line, msg);
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_uint(const char *v, unsigned long max, unsigned int *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

enum key_type { K_BOOL, K_UINT, K_SEVERITY, K_STR, K_LIST, K_MIB, K_FSYNC, K_OVERFLOW };

/* Scalar and list keys, by section; the value lives at @off in struct config. */
struct key_def {
	const char *section;
	const char *key;
	enum key_type type;
	size_t off;
	unsigned int max;
	size_t count_off; /* K_LIST: where the count lives */
};

#define CF(f) offsetof(struct config, f)
#define RULE_KEYS(name)                                                                    \
	{ "rules." #name, "enabled", K_BOOL, CF(rules.name.enabled), 0, 0 },               \
		{ "rules." #name, "severity", K_SEVERITY, CF(rules.name.severity), 0, 0 }, \
	{                                                                                  \
		"rules." #name, "suppress", K_UINT, CF(rules.name.suppress), 86400, 0      \
	}

static const struct key_def key_defs[] = {
	{ "agent", "trace_all", K_BOOL, CF(trace_all), 0, 0 },
	{ "agent", "ring_mib", K_UINT, CF(ring_mib), 1024, 0 },
	{ "agent", "rescan_interval", K_UINT, CF(rescan_interval), 86400, 0 },
	{ "agent", "state_dir", K_STR, CF(state_dir), 0, 0 },
	RULE_KEYS(bulk_export),
	{ "rules.bulk_export", "high", K_UINT, CF(rules.bulk_high), 10000000, 0 },
	{ "rules.bulk_export", "critical", K_UINT, CF(rules.bulk_critical), 10000000, 0 },
	{ "rules.bulk_export", "window", K_UINT, CF(rules.bulk_window), 31 * 86400, 0 },
	RULE_KEYS(export_volume),
	{ "rules.export_volume", "files", K_UINT, CF(rules.volume_files), 1000000, 0 },
	{ "rules.export_volume", "mib", K_UINT, CF(rules.volume_mib), 1000000, 0 },
	{ "rules.export_volume", "window", K_UINT, CF(rules.volume_window), 86400, 0 },
	RULE_KEYS(messaging_exfil),
	{ "rules.messaging_exfil", "min_cpr", K_UINT, CF(rules.msg_min_cpr), 1000000, 0 },
	{ "rules.messaging_exfil", "tcp_mib", K_UINT, CF(rules.msg_tcp_mib), 1000000, 0 },
	{ "rules.messaging_exfil", "window", K_UINT, CF(rules.msg_window), 86400, 0 },
	RULE_KEYS(removable_media),
	{ "rules.removable_media", "min_cpr", K_UINT, CF(rules.removable_min_cpr), 1000000, 0 },
	RULE_KEYS(archive_before_exfil),
	RULE_KEYS(lookup_burst),
	{ "rules.lookup_burst", "per_hour", K_UINT, CF(rules.burst_per_hour), 100000000, 0 },
	{ "rules.lookup_burst", "off_hours_per_hour", K_UINT, CF(rules.burst_off_hours), 100000000,
	  0 },
	{ "rules.lookup_burst", "baseline_factor", K_UINT, CF(rules.burst_factor), 1000, 0 },
	{ "rules.lookup_burst", "baseline_hours", K_UINT, CF(rules.burst_min_baseline), 100000, 0 },
	{ "rules.lookup_burst", "office_start", K_UINT, CF(rules.office_start), 24, 0 },
	{ "rules.lookup_burst", "office_end", K_UINT, CF(rules.office_end), 24, 0 },
	{ "rules.lookup_burst", "endpoint", K_LIST, CF(rules.burst_endpoints), 0,
	  CF(rules.nr_burst_endpoints) },
	{ "rules.lookup_burst", "path", K_LIST, CF(rules.burst_paths), 0,
	  CF(rules.nr_burst_paths) },
	{ "rules.lookup_burst", "request", K_LIST, CF(rules.burst_requests), 0,
	  CF(rules.nr_burst_requests) },
	{ "rules.lookup_burst", "response_bytes", K_UINT, CF(rules.burst_response_bytes), 1 << 20,
	  0 },
	RULE_KEYS(persons_viewed),
	{ "rules.persons_viewed", "per_day", K_UINT, CF(rules.persons_per_day), 100000000, 0 },
	{ "rules.persons_viewed", "baseline_factor", K_UINT, CF(rules.persons_factor), 1000, 0 },
	{ "rules.persons_viewed", "baseline_days", K_UINT, CF(rules.persons_days), 366, 0 },
	{ "rules.persons_viewed", "min_baseline_days", K_UINT, CF(rules.persons_min_days), 366, 0 },
	RULE_KEYS(clipboard_to_messaging),
	{ "rules.clipboard_to_messaging", "window", K_UINT, CF(rules.clip_window), 86400, 0 },
	{ "rules.clipboard_to_messaging", "require_cpr", K_BOOL, CF(rules.clip_require_cpr), 0, 0 },
	RULE_KEYS(bulk_clipboard),
	{ "rules.bulk_clipboard", "min_cpr", K_UINT, CF(rules.clip_bulk_min_cpr), 10000000, 0 },
	RULE_KEYS(clipboard_unseen),
	RULE_KEYS(print_export),
	{ "rules.print_export", "min_cpr", K_UINT, CF(rules.print_min_cpr), 10000000, 0 },
	{ "rules.print_export", "spool", K_LIST, CF(rules.print_spool), 0,
	  CF(rules.nr_print_spool) },
	RULE_KEYS(network_exfil),
	{ "rules.network_exfil", "share", K_UINT, CF(rules.net_share), 100, 0 },
	{ "rules.network_exfil", "min_kib", K_UINT, CF(rules.net_min_kib), 1048576, 0 },
	{ "rules.network_exfil", "allow", K_LIST, CF(rules.net_allow), 0, CF(rules.nr_net_allow) },
	{ "output", "alert_log", K_STR, CF(output.log), 0, 0 },
	{ "output", "stdout", K_BOOL, CF(output.to_stdout), 0, 0 },
	{ "agent", "heartbeat_interval", K_UINT, CF(heartbeat_interval), 86400, 0 },
	{ "spool", "dir", K_STR, CF(spool_dir), 0, 0 },
	{ "spool", "max_mib", K_MIB, CF(spool.max_bytes), 1048576, 0 },
	{ "spool", "fsync", K_FSYNC, CF(spool.fsync), 0, 0 },
	{ "spool", "overflow", K_OVERFLOW, CF(spool.overflow), 0, 0 },
	{ "control", "socket", K_STR, CF(control.socket), 0, 0 },
	{ "control", "admin_group", K_STR, CF(control.admin_group), 0, 0 },
	{ "scan", "workers", K_UINT, CF(scan.workers), 64, 0 },
	{ "scan", "queue", K_UINT, CF(scan.queue), 1000000, 0 },
	{ "scan", "per_user", K_UINT, CF(scan.per_user), 1000000, 0 },
	{ "scan", "max_file_mib", K_UINT, CF(scan.max_file_mib), 1048576, 0 },
	{ "scan", "max_seconds", K_UINT, CF(scan.max_seconds), 3600, 0 },
};

static const char *const list_sections[] = {
	"cpr_clients", "messaging",    "archivers", "clipboard_tools",
	"printers",    "export_paths", NULL,
};

static bool known_section(const char *s)
{
	size_t i;

	if (!strcmp(s, "syslog") || !strncmp(s, "syslog.", 7))
		return true;
	for (i = 0; list_sections[i]; i++)
		if (!strcmp(s, list_sections[i]))
			return true;
	for (i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++)
		if (!strcmp(s, key_defs[i].section))
			return true;
	return false;
}

static int add_str(char ***list, size_t *n, const char *v)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	*list = nl;
	nl[*n] = strdup(v);
	if (!nl[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int parse_bool(const char *v, bool *out);
static int parse_uint(const char *v, unsigned long max, unsigned int *out);

static int parse_severity(const char *v, unsigned int *out)
{
	unsigned int s;

	for (s = SEV_LOW; s <= SEV_CRITICAL; s++) {
		if (!strcasecmp(v, alert_severity_name(s))) {
			*out = s;
			return 0;
		}
	}
	return -EINVAL;
}

/* 1: not a table key; 0: set; <0: error already formatted. */
static int set_table_key(struct parse_state *ps, const char *key, const char *v);

static int add_bin(struct parse_state *ps, const char *key, const char *v, __u32 classes)
{
	struct config *cfg = ps->cfg;
	struct watch_pattern *n;

	if (!*v)
		return fail(ps, key, "empty program");
	n = realloc(cfg->bins, (cfg->nr_bins + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->bins = n;
	n[cfg->nr_bins].pattern = strdup(v);
	n[cfg->nr_bins].classes = classes;
	n[cfg->nr_bins].line = ps->line;
	if (!n[cfg->nr_bins].pattern)
		return -ENOMEM;
	cfg->nr_bins++;
	return 0;
}

static int add_export(struct parse_state *ps, const char *key, const char *v, enum export_kind kind)
{
	struct config *cfg = ps->cfg;
	struct export_pattern *n;

	if (*v != '/' && strncmp(v, "~/", 2))
		return fail(ps, key, "'%s' is not an absolute path or ~/dir", v);
	n = realloc(cfg->exports, (cfg->nr_exports + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->exports = n;
	n[cfg->nr_exports].pattern = strdup(v);
	n[cfg->nr_exports].kind = kind;
	n[cfg->nr_exports].line = ps->line;
	if (!n[cfg->nr_exports].pattern)
		return -ENOMEM;
	cfg->nr_exports++;
	return 0;
}

static int set_network_fs(struct parse_state *ps, const char *v)
{
	struct config *cfg = ps->cfg;
	char *copy = strdup(v), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t,", &save); tok && !ret; tok = strtok_r(NULL, " \t,", &save))
		ret = add_str(&cfg->network_fs, &cfg->nr_network_fs, tok);
	free(copy);
	return ret;
}

/* Upload tools and mail clients are messaging channels: what they open is checked the same way. */
static int set_messaging(struct parse_state *ps, const char *key, const char *v)
{
	if (!strcmp(key, "app") || !strcmp(key, "upload") || !strcmp(key, "email"))
		return add_bin(ps, key, v, CLASS_MESSAGING);
	if (!strcmp(key, "browser"))
		return add_bin(ps, key, v, CLASS_BROWSER);
	if (!strcmp(key, "sync"))
		return add_bin(ps, key, v, CLASS_SYNC);
	return fail(ps, key, "unknown key (known: app, browser, sync, upload, email)");
}

static int set_exports(struct parse_state *ps, const char *key, const char *v)
{
	if (!strcmp(key, "local"))
		return add_export(ps, key, v, EXPORT_LOCAL);
	if (!strcmp(key, "removable"))
		return add_export(ps, key, v, EXPORT_REMOVABLE);
	if (!strcmp(key, "network"))
		return add_export(ps, key, v, EXPORT_NETWORK);
	if (!strcmp(key, "network_fs"))
		return set_network_fs(ps, v);
	return fail(ps, key, "unknown key (known: local, removable, network, network_fs)");
}

/* String values with a fixed set of words, checked where the line is known. */
static int check_str(struct parse_state *ps, const char *key, const char *v)
{
	enum spool_fsync fs;
	enum spool_overflow ov;

	if (strcmp(ps->section, "spool"))
		return 0;
	if (!strcmp(key, "fsync") && spool_parse_fsync(v, &fs))
		return fail(ps, key, "'%s' is not always, interval or never", v);
	if (!strcmp(key, "overflow") && spool_parse_overflow(v, &ov))
		return fail(ps, key, "'%s' is not drop_oldest or drop_new", v);
	return 0;
}

static int set_table_key(struct parse_state *ps, const char *key, const char *v)
{
	const struct key_def *d = NULL;
	char *base = (char *)ps->cfg;
	size_t i;

	for (i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++) {
		if (!strcmp(ps->section, key_defs[i].section) && !strcmp(key, key_defs[i].key)) {
			d = &key_defs[i];
			break;
		}
	}
	if (!d)
		return 1;
	switch (d->type) {
	case K_BOOL:
		if (parse_bool(v, (bool *)(base + d->off)))
			return fail(ps, key, "'%s' is not yes or no", v);
		return 0;
	case K_UINT: {
		unsigned int *n = (unsigned int *)(base + d->off);

		if (parse_uint(v, d->max, n))
			return fail(ps, key, "'%s' is not a whole number from 0 to %u", v, d->max);
		/* the kernel takes a ring buffer of a power-of-two size only */
		if (d->off == CF(ring_mib) && (!*n || (*n & (*n - 1))))
			return fail(ps, key, "'%s' is not a power of two from 1 to %u", v, d->max);
		return 0;
	}
	case K_SEVERITY:
		if (parse_severity(v, (unsigned int *)(base + d->off)))
			return fail(ps, key, "'%s' is not low, medium, high or critical", v);
		return 0;
	case K_STR: {
		char *n, **dst = (char **)(base + d->off);
		int ret = check_str(ps, key, v);

		if (ret)
			return ret;
		n = strdup(v);
		if (!n)
			return -ENOMEM;
		free(*dst);
		*dst = n;
		return 0;
	}
	case K_LIST:
		if (d->off == CF(rules.burst_requests) && http_pattern_check(v))
			return fail(ps, key,
				    "'%s' is not \"METHOD /path\" (e.g. GET /api/person/*)", v);
		return add_str((char ***)(base + d->off), (size_t *)(base + d->count_off), v);
	case K_MIB: {
		unsigned int mib;

		if (parse_uint(v, d->max, &mib))
			return fail(ps, key, "'%s' is not a whole number from 0 to %u", v, d->max);
		*(uint64_t *)(base + d->off) = (uint64_t)mib << 20;
		return 0;
	}
	case K_FSYNC:
		if (spool_parse_fsync(v, (enum spool_fsync *)(base + d->off)))
			return fail(ps, key, "'%s' is not always, interval or never", v);
		return 0;
	case K_OVERFLOW:
		if (spool_parse_overflow(v, (enum spool_overflow *)(base + d->off)))
			return fail(ps, key, "'%s' is not drop_oldest or drop_new", v);
		return 0;
	}
	return 1;
}

static struct sink_conf *sink_for(struct parse_state *ps, const char *name)
{
	struct config *cfg = ps->cfg;
	struct sink_conf *n;
	size_t i;

	for (i = 0; i < cfg->nr_sinks; i++)
		if (!strcmp(cfg->sinks[i].cfg.name, name))
			return &cfg->sinks[i];
	n = realloc(cfg->sinks, (cfg->nr_sinks + 1) * sizeof(*n));
	if (!n)
		return NULL;
	cfg->sinks = n;
	n += cfg->nr_sinks;
	memset(n, 0, sizeof(*n));
	n->cfg.name = strdup(name);
	n->line = ps->line;
	if (!n->cfg.name)
		return NULL;
	cfg->nr_sinks++;
	return n;
}

static int set_sink_str(const char **dst, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free((char *)*dst);
	*dst = n;
	return 0;
}

/* [syslog] or [syslog.NAME]: the name is also the receiver's name in the spool. */
static int set_sink_key(struct parse_state *ps, const char *key, const char *v)
{
	const char *name = ps->section[6] == '.' ? ps->section + 7 : "syslog";
	struct sink_conf *sc;
	struct syslog_conn_cfg *c;
	unsigned int u;

	/* the spool's own rule, so --check-config refuses what the agent would */
	if (!spool_valid_sink_name(name))
		return fail(ps, NULL,
			    "[%s]: a receiver name takes letters, digits, - _ . (not first), "
			    "at most %d",
			    ps->section, SPOOL_SINK_NAME_MAX);
	sc = sink_for(ps, name);
	if (!sc)
		return -ENOMEM;
	c = &sc->cfg;
	if (!strcmp(key, "transport")) {
		if (syslog_conn_parse_transport(v, &c->transport))
			return fail(ps, key, "'%s' is not unix, udp, tcp or tls", v);
		sc->has_transport = true;
		return 0;
	}
	if (!strcmp(key, "format"))
		return syslog_parse_format(v, &c->format) ?
			       fail(ps, key, "'%s' is not rfc5424 or cef", v) :
			       0;
	if (!strcmp(key, "facility"))
		return syslog_parse_facility(v, &c->facility) ?
			       fail(ps, key,
				    "'%s' is not a syslog facility (local0..local7, "
				    "authpriv, or 0-23)",
				    v) :
			       0;
	if (!strcmp(key, "port"))
		return parse_uint(v, 65535, &c->port) ?
			       fail(ps, key, "'%s' is not a port number", v) :
			       0;
	if (!strcmp(key, "max_msg")) {
		if (parse_uint(v, 1 << 20, &u) || (u && u < 480))
			return fail(ps, key, "'%s' is not a size from 480 to 1048576", v);
		c->max_msg = u;
		return 0;
	}
	if (!strcmp(key, "host"))
		return set_sink_str(&c->host, v);
	if (!strcmp(key, "path"))
		return set_sink_str(&c->path, v);
	if (!strcmp(key, "ca_file"))
		return set_sink_str(&c->ca_file, v);
	if (!strcmp(key, "cert_file"))
		return set_sink_str(&c->cert_file, v);
	if (!strcmp(key, "key_file"))
		return set_sink_str(&c->key_file, v);
	return fail(ps, key,
		    "unknown key (known: transport, host, port, path, format, facility, "
		    "ca_file, cert_file, key_file, max_msg)");
}

static int set_value(struct parse_state *ps, const char *key, const char *v)
{
	const char *s = ps->section;
	int ret;

	if (!strcmp(s, "syslog") || !strncmp(s, "syslog.", 7))
		return set_sink_key(ps, key, v);
	ret = set_table_key(ps, key, v);

	if (ret <= 0)
		return ret;
	if (!strcmp(s, "agent") || !strncmp(s, "rules.", 6) || !strcmp(s, "output") ||
	    !strcmp(s, "scan") || !strcmp(s, "control") || !strcmp(s, "spool"))
		return fail(ps, key, "unknown key");
	if (!strcmp(s, "cpr_clients") || !strcmp(s, "archivers") || !strcmp(s, "clipboard_tools") ||
	    !strcmp(s, "printers")) {
		if (strcmp(key, "path"))
			return fail(ps, key, "unknown key (known: path)");
		return add_bin(ps, key, v,
			       !strcmp(s, "cpr_clients") ? CLASS_CPR_CLIENT :
			       !strcmp(s, "archivers")	 ? CLASS_ARCHIVER :
			       !strcmp(s, "printers")	 ? CLASS_PRINTER :
							   CLASS_CLIPBOARD);
	}
	if (!strcmp(s, "messaging"))
		return set_messaging(ps, key, v);
	if (!strcmp(s, "export_paths"))
		return set_exports(ps, key, v);
	if (!*s)
		return fail(ps, key, "key outside any [section]");
	return fail(ps, NULL, "unknown section [%s]", s);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int parse_line(struct parse_state *ps, char *line)
{
	char *eq, *key, *val, *s = trim(line);

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');

		if (!end || end[1] || end == s + 1 || (size_t)(end - s - 1) >= sizeof(ps->section))
			return fail(ps, NULL, "malformed section header '%s'", s);
		*end = '\0';
		snprintf(ps->section, sizeof(ps->section), "%s", trim(s + 1));
		/* unknown sections are reported at once, even when empty */
		if (!known_section(ps->section))
			return fail(ps, NULL, "unknown section [%s]", ps->section);
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq)
		return fail(ps, NULL, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return fail(ps, NULL, "missing key before '='");
	return set_value(ps, key, val);
}

static void rule_default(struct rule_cfg *r, unsigned int severity, unsigned int suppress)
{
	r->enabled = true;
	r->severity = severity;
	r->suppress = suppress;
}

/*
 * systemd connects a service's standard output to the journal and says so in
 * JOURNAL_STREAM ("dev:ino" of that stream): alerts there would be a second,
 * unprotected copy of personal data, so stdout is off by default then.
 */
static bool stdout_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDOUT_FILENO, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

/* Defaults for what the default file leaves out, so a short config still works. */
static void config_defaults(struct config *cfg)
{
	struct rules_cfg *r = &cfg->rules;

	memset(cfg, 0, sizeof(*cfg));
	cfg->rescan_interval = 30;
	cfg->ring_mib = CONFIG_RING_MIB;
	rule_default(&r->bulk_export, SEV_HIGH, 300);
	r->bulk_high = 25;
	r->bulk_critical = 1000;
	r->bulk_window = 86400;
	rule_default(&r->export_volume, SEV_MEDIUM, 3600);
	r->volume_files = 50;
	r->volume_mib = 200;
	r->volume_window = 600;
	rule_default(&r->messaging_exfil, SEV_HIGH, 300);
	r->msg_min_cpr = 1;
	r->msg_tcp_mib = 20;
	r->msg_window = 900;
	rule_default(&r->removable_media, SEV_HIGH, 300);
	r->removable_min_cpr = 1;
	rule_default(&r->archive_before_exfil, SEV_MEDIUM, 300);
	rule_default(&r->lookup_burst, SEV_HIGH, 3600);
	r->burst_per_hour = 500;
	r->burst_off_hours = 100;
	r->burst_factor = 5;
	r->burst_min_baseline = 24;
	r->office_start = 7;
	r->office_end = 18;
	r->burst_response_bytes = 16384;
	rule_default(&r->persons_viewed, SEV_HIGH, 86400);
	r->persons_per_day = 300;
	r->persons_factor = 5;
	r->persons_days = 14;
	r->persons_min_days = 3;
	rule_default(&r->clipboard_to_messaging, SEV_HIGH, 300);
	r->clip_window = 600;
	r->clip_require_cpr = true;
	rule_default(&r->bulk_clipboard, SEV_HIGH, 300);
	rule_default(&r->clipboard_unseen, SEV_HIGH, 300);
	rule_default(&r->network_exfil, SEV_HIGH, 300);
	rule_default(&r->print_export, SEV_HIGH, 300);
	r->print_min_cpr = 1;
	r->net_share = 50;
	r->net_min_kib = 4;
	r->clip_bulk_min_cpr = 25;
	cfg->state_dir = strdup("/var/lib/cprwatch");
	cfg->output.log = strdup("/var/log/cprwatch/alerts.json");
	cfg->output.to_stdout = !stdout_is_journal();
	cfg->control.socket = strdup("/run/cprwatch/control.sock");
	cfg->heartbeat_interval = 60;
	cfg->spool_dir = strdup("/var/lib/cprwatch/spool");
	cfg->spool.max_bytes = 64ULL << 20;
	cfg->spool.fsync = SPOOL_FSYNC_ALWAYS;
	cfg->spool.overflow = SPOOL_DROP_OLDEST;
	cfg->control.admin_group = strdup("");
	cfg->scan.workers = 2;
	cfg->scan.queue = 4096;
	cfg->scan.per_user = 512;
	cfg->scan.max_file_mib = 1024;
	cfg->scan.max_seconds = 30;
}

static void hash_text(const char *text, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	out[0] = '\0';
	if (!EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL))
		return;
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* What only the whole file can tell: a receiver needs a transport and a host. */
static int validate(const struct config *cfg, const char *name, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->nr_sinks; i++) {
		const struct sink_conf *sc = &cfg->sinks[i];
		const struct syslog_conn_cfg *c = &sc->cfg;

		if (!sc->has_transport) {
			snprintf(err, errlen,
				 "%s:%d: [syslog.%s] transport: missing (unix, udp, tcp "
				 "or tls)",
				 name, sc->line, c->name);
			return -EINVAL;
		}
		if (c->transport != SYSLOG_CONN_UNIX && (!c->host || !*c->host)) {
			snprintf(err, errlen, "%s:%d: [syslog.%s] host: missing for transport %s",
				 name, sc->line, c->name, syslog_conn_transport_name(c->transport));
			return -EINVAL;
		}
	}
	return 0;
}

int config_parse(struct config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	struct parse_state ps = { .cfg = cfg, .name = name, .err = err, .errlen = errlen };
	char *copy, *line, *next;
	int ret = 0;

	config_defaults(cfg);
	hash_text(text, cfg->sha256);
	cfg->source = strdup(name);
	copy = strdup(text);
	if (!copy || !cfg->source) {
		free(copy);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	for (line = copy; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.line++;
		if (memchr(line, '\0', 0) || strlen(line) > 4096)
			ret = fail(&ps, NULL, "line too long");
		else
			ret = parse_line(&ps, line);
	}
	free(copy);
	if (!ret)
		ret = validate(cfg, name, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (ret)
		config_free(cfg);
	return ret;
}

/* A config that someone other than root can change would let them blind the agent. */
static int check_owner(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "%s: refusing a config writable by non-root (owner uid %u, mode %04o); "
			 "fix: chown root:root %s && chmod 0600 %s",
			 path, st->st_uid, st->st_mode & 07777, path, path);
		return -EPERM;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	return 0;
}

static int read_file(const char *path, bool strict, char **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret;

	fd = open(path,
		  O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not hang us */
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ret = strict ? check_owner(path, &st, err, errlen) : 0;
	if (ret)
		goto out;
	if (st.st_size > CONFIG_MAX_SIZE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_SIZE);
		ret = -EFBIG;
		goto out;
	}
	buf = calloc(1, st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, st.st_size);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	if (memchr(buf, '\0', n)) {
		snprintf(err, errlen, "%s: binary data (NUL byte) in a config file", path);
		ret = -EINVAL;
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

static int load(struct config *cfg, const char *path, bool strict, char *err, size_t errlen)
{
	char *text = NULL;
	int ret;

	if (!path) {
		if (access(CPRW_DEFAULT_CONFIG, F_OK) && errno == ENOENT)
			return config_parse(cfg, BUILTIN_NAME, default_text, err, errlen);
		path = CPRW_DEFAULT_CONFIG;
	}
	ret = read_file(path, strict, &text, err, errlen);
	if (ret)
		return ret;
	ret = config_parse(cfg, path, text, err, errlen);
	free(text);
	return ret;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return load(cfg, path, true, err, errlen);
}

int config_load_unchecked(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return load(cfg, path, false, err, errlen);
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nr_bins; i++)
		free(cfg->bins[i].pattern);
	for (i = 0; i < cfg->nr_exports; i++)
		free(cfg->exports[i].pattern);
	for (i = 0; i < cfg->nr_network_fs; i++)
		free(cfg->network_fs[i]);
	free(cfg->bins);
	free(cfg->exports);
	free(cfg->network_fs);
	free_list(cfg->rules.burst_endpoints, cfg->rules.nr_burst_endpoints);
	free_list(cfg->rules.burst_paths, cfg->rules.nr_burst_paths);
	free_list(cfg->rules.net_allow, cfg->rules.nr_net_allow);
	free_list(cfg->rules.print_spool, cfg->rules.nr_print_spool);
	free_list(cfg->rules.burst_requests, cfg->rules.nr_burst_requests);
	free(cfg->state_dir);
	free((char *)cfg->output.log);
	free((char *)cfg->control.socket);
	free(cfg->spool_dir);
	for (i = 0; i < cfg->nr_sinks; i++) {
		struct syslog_conn_cfg *c = &cfg->sinks[i].cfg;

		free((char *)c->name);
		free((char *)c->host);
		free((char *)c->path);
		free((char *)c->ca_file);
		free((char *)c->cert_file);
		free((char *)c->key_file);
	}
	free(cfg->sinks);
	free((char *)cfg->control.admin_group);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}
