// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

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
		snprintf(ps->err, ps->errlen, "%s:%d: [%s] %s: %s", ps->name, ps->line,
			 ps->section, key, msg);
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
	char **n;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		n = realloc(cfg->network_fs, (cfg->nr_network_fs + 1) * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			break;
		}
		cfg->network_fs = n;
		n[cfg->nr_network_fs] = strdup(tok);
		if (!n[cfg->nr_network_fs]) {
			ret = -ENOMEM;
			break;
		}
		cfg->nr_network_fs++;
	}
	free(copy);
	return ret;
}

static int set_agent(struct parse_state *ps, const char *key, const char *v)
{
	if (!strcmp(key, "trace_all")) {
		if (parse_bool(v, &ps->cfg->trace_all))
			return fail(ps, key, "'%s' is not yes or no", v);
		return 0;
	}
	if (!strcmp(key, "rescan_interval")) {
		if (parse_uint(v, 86400, &ps->cfg->rescan_interval))
			return fail(ps, key, "'%s' is not a number of seconds (0-86400)", v);
		return 0;
	}
	return fail(ps, key, "unknown key (known: trace_all, rescan_interval)");
}

static int set_messaging(struct parse_state *ps, const char *key, const char *v)
{
	if (!strcmp(key, "app"))
		return add_bin(ps, key, v, CLASS_MESSAGING);
	if (!strcmp(key, "browser"))
		return add_bin(ps, key, v, CLASS_BROWSER);
	if (!strcmp(key, "sync"))
		return add_bin(ps, key, v, CLASS_SYNC);
	return fail(ps, key, "unknown key (known: app, browser, sync)");
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

static int set_value(struct parse_state *ps, const char *key, const char *v)
{
	const char *s = ps->section;

	if (!strcmp(s, "agent"))
		return set_agent(ps, key, v);
	if (!strcmp(s, "cpr_clients") || !strcmp(s, "archivers") || !strcmp(s, "clipboard_tools")) {
		if (strcmp(key, "path"))
			return fail(ps, key, "unknown key (known: path)");
		return add_bin(ps, key, v, !strcmp(s, "cpr_clients") ? CLASS_CPR_CLIENT :
					   !strcmp(s, "archivers") ? CLASS_ARCHIVER :
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
		if (strcmp(ps->section, "agent") && strcmp(ps->section, "cpr_clients") &&
		    strcmp(ps->section, "messaging") && strcmp(ps->section, "archivers") &&
		    strcmp(ps->section, "clipboard_tools") && strcmp(ps->section, "export_paths"))
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

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rescan_interval = 30;
}

int config_parse(struct config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	struct parse_state ps = { .cfg = cfg, .name = name, .err = err, .errlen = errlen };
	char *copy, *line, *next;
	int ret = 0;

	config_defaults(cfg);
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

static int read_file(const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
	ret = check_owner(path, &st, err, errlen);
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

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	int ret;

	if (!path) {
		if (access(CPRW_DEFAULT_CONFIG, F_OK) && errno == ENOENT)
			return config_parse(cfg, BUILTIN_NAME, default_text, err, errlen);
		path = CPRW_DEFAULT_CONFIG;
	}
	ret = read_file(path, &text, err, errlen);
	if (ret)
		return ret;
	ret = config_parse(cfg, path, text, err, errlen);
	free(text);
	return ret;
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
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}
