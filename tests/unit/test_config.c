// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/agent/config.c: the embedded default parses and says what the README says
 * it does; every error names file, line and key; config_load refuses files
 * that someone other than root could have changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "agent/config.h"
#include "detect/alerts.h"

static bool config_has_bin(const struct config *cfg, const char *pattern, __u32 classes)
{
	size_t i;

	for (i = 0; i < cfg->nr_bins; i++)
		if (!strcmp(cfg->bins[i].pattern, pattern) && cfg->bins[i].classes == classes)
			return true;
	return false;
}

static bool config_has_export(const struct config *cfg, const char *pattern, enum export_kind kind)
{
	size_t i;

	for (i = 0; i < cfg->nr_exports; i++)
		if (!strcmp(cfg->exports[i].pattern, pattern) && cfg->exports[i].kind == kind)
			return true;
	return false;
}

static bool config_has_str(char **list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static size_t config_count_class(const struct config *cfg, __u32 classes)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nr_bins; i++)
		n += cfg->bins[i].classes == classes;
	return n;
}

/* ---- the embedded default ------------------------------------------------- */

static void test_default_parses(void)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *text = config_default_text();

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(strlen(text) > 100);
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "default", text, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_STRING_EQUAL(cfg.source, "default");

	CU_ASSERT_FALSE(cfg.trace_all);
	CU_ASSERT(cfg.rescan_interval > 0);
	CU_ASSERT_EQUAL(cfg.ring_mib,
			CONFIG_RING_MIB); /* the shipped file and the built-in agree */
	/* the README's promises: messaging apps, browsers, archivers, ~/Downloads, cifs */
	CU_ASSERT(config_count_class(&cfg, CLASS_MESSAGING) >= 1);
	CU_ASSERT(config_count_class(&cfg, CLASS_BROWSER) >= 1);
	CU_ASSERT(config_count_class(&cfg, CLASS_ARCHIVER) >= 1);
	CU_ASSERT(config_count_class(&cfg, CLASS_CLIPBOARD) >= 1);
	/* no CPR client is guessed: each site names its own */
	CU_ASSERT_EQUAL(config_count_class(&cfg, CLASS_CPR_CLIENT), 0);
	CU_ASSERT(config_has_export(&cfg, "~/Downloads", EXPORT_LOCAL));
	CU_ASSERT(config_has_export(&cfg, "/media", EXPORT_REMOVABLE));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "cifs"));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "nfs4"));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "fuse.sshfs"));
	/* every pattern carries the line it came from, for later messages */
	CU_ASSERT(cfg.nr_bins > 0 && cfg.bins[0].line > 0);
	CU_ASSERT(cfg.nr_exports > 0 && cfg.exports[0].line > 0);
	config_free(&cfg);
	CU_ASSERT_EQUAL(cfg.nr_bins, 0);
	CU_ASSERT_PTR_NULL(cfg.bins);
	CU_ASSERT_PTR_NULL(cfg.source);
}

/* Without /etc/cprwatch/cprwatch.conf the agent runs on the embedded default. */
static void test_load_null_falls_back(void)
{
	struct config cfg, def;
	char err[CONFIG_ERR_MAX] = "";

	if (!access(CPRW_DEFAULT_CONFIG, F_OK)) {
		fprintf(stderr, "\n  %s exists: fallback not checked", CPRW_DEFAULT_CONFIG);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(config_parse(&def, "d", config_default_text(), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.source, "(built-in defaults)");
	CU_ASSERT_EQUAL(cfg.nr_bins, def.nr_bins);
	CU_ASSERT_EQUAL(cfg.nr_exports, def.nr_exports);
	config_free(&cfg);
	config_free(&def);
}

/* ---- parsing ----------------------------------------------------------------- */

static void test_values_and_whitespace(void)
{
	static const char text[] = "# comment\n"
				   "; another comment\n"
				   "\n"
				   "  [ agent ]  \n"
				   "\ttrace_all   =   YES  \n"
				   "rescan_interval=86400\r\n"
				   "[cpr_clients]\n"
				   "path = /opt/cpr-klient/bin/cprklient\n"
				   "path = cprklient\n"
				   "[archivers]\n"
				   "path = /usr/bin/zip\n"
				   "[clipboard_tools]\n"
				   "path = xclip\n"
				   "[messaging]\n"
				   "app = /opt/Signal/signal-desktop\n"
				   "browser = firefox\n"
				   "sync = ~/.dropbox-dist/dropbox-lnx.*/dropbox\n"
				   "[export_paths]\n"
				   "local = ~/Hentede filer\n"
				   "removable = /run/media\n"
				   "network = /srv/share\n"
				   "network_fs = cifs, nfs\tfuse.sshfs\n"
				   "network_fs = 9p\n"
				   "[output]\n"
				   "alert_log = /tmp/a.json\n"
				   "alert_log = /tmp/b.json\n"
				   "stdout = off\n"
				   "[rules.bulk_export]\n"
				   "severity = Critical\n"
				   "high = 0\n";
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "t.conf", text, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cfg.trace_all);
	CU_ASSERT_EQUAL(cfg.rescan_interval, 86400);
	CU_ASSERT_EQUAL(cfg.nr_bins, 7);
	CU_ASSERT(config_has_bin(&cfg, "/opt/cpr-klient/bin/cprklient", CLASS_CPR_CLIENT));
	CU_ASSERT(config_has_bin(&cfg, "cprklient", CLASS_CPR_CLIENT));
	CU_ASSERT(config_has_bin(&cfg, "/usr/bin/zip", CLASS_ARCHIVER));
	CU_ASSERT(config_has_bin(&cfg, "xclip", CLASS_CLIPBOARD));
	CU_ASSERT(config_has_bin(&cfg, "/opt/Signal/signal-desktop", CLASS_MESSAGING));
	CU_ASSERT(config_has_bin(&cfg, "firefox", CLASS_BROWSER));
	CU_ASSERT(config_has_bin(&cfg, "~/.dropbox-dist/dropbox-lnx.*/dropbox", CLASS_SYNC));
	CU_ASSERT_EQUAL(cfg.bins[0].line, 8);
	CU_ASSERT_EQUAL(cfg.nr_exports, 3);
	CU_ASSERT(config_has_export(&cfg, "~/Hentede filer", EXPORT_LOCAL));
	CU_ASSERT(config_has_export(&cfg, "/run/media", EXPORT_REMOVABLE));
	CU_ASSERT(config_has_export(&cfg, "/srv/share", EXPORT_NETWORK));
	CU_ASSERT_EQUAL(cfg.nr_network_fs, 4);
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "cifs"));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "nfs"));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "fuse.sshfs"));
	CU_ASSERT(config_has_str(cfg.network_fs, cfg.nr_network_fs, "9p"));
	CU_ASSERT_STRING_EQUAL(cfg.output.log, "/tmp/b.json"); /* last one wins */
	CU_ASSERT_FALSE(cfg.output.to_stdout);
	CU_ASSERT_EQUAL(cfg.rules.bulk_export.severity, SEV_CRITICAL);
	CU_ASSERT_EQUAL(cfg.rules.bulk_high, 0);
	config_free(&cfg);
}

/* A short file still gives working values for what it leaves out. */
static void test_short_config_gets_defaults(void)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	CU_ASSERT_EQUAL_FATAL(
		config_parse(&cfg, "short", "[agent]\ntrace_all = on\n", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cfg.trace_all);
	CU_ASSERT(cfg.rescan_interval > 0);
	CU_ASSERT_EQUAL(cfg.ring_mib, CONFIG_RING_MIB);
	CU_ASSERT_EQUAL(cfg.nr_bins, 0);
	CU_ASSERT_TRUE(cfg.rules.bulk_export.enabled);
	CU_ASSERT(cfg.rules.bulk_high > 0);
	CU_ASSERT(cfg.scan.workers > 0);
	config_free(&cfg);

	CU_ASSERT_EQUAL(config_parse(&cfg, "empty", "", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.nr_exports, 0);
	config_free(&cfg);
}

static void test_bool_spellings(void)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
		{ "yes", true }, { "true", true }, { "on", true },     { "1", true },
		{ "Yes", true }, { "no", false },  { "false", false }, { "off", false },
		{ "0", false },	 { "NO", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[64], err[CONFIG_ERR_MAX] = "";
		struct config cfg;

		snprintf(text, sizeof(text), "[agent]\ntrace_all = %s\n", cases[i].v);
		CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "b", text, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(cfg.trace_all, cases[i].want);
		config_free(&cfg);
	}
}

/* Every error: "name:LINE:" first, then the key (or section) it is about. */
static void test_errors_name_file_line_key(void)
{
	static const struct {
		const char *text;
		int line;
		const char *key;  /* must appear after "name:LINE:" */
		const char *also; /* and this too, or NULL */
	} cases[] = {
		{ "[bogus]\n", 1, "[bogus]", "unknown section" },
		{ "[agent]\n[rules.nope]\n", 2, "[rules.nope]", "unknown section" },
		{ "[agent]\nbogus = 1\n", 2, "bogus", "unknown key" },
		{ "[agent]\ntrace_all = maybe\n", 2, "trace_all", "maybe" },
		{ "[agent]\ntrace_all =\n", 2, "trace_all", NULL },
		{ "[agent]\nrescan_interval = 12x\n", 2, "rescan_interval", "12x" },
		{ "[agent]\nrescan_interval = -1\n", 2, "rescan_interval", NULL },
		{ "[agent]\nrescan_interval = 86401\n", 2, "rescan_interval", NULL },
		{ "[agent]\nrescan_interval = 99999999999999999999\n", 2, "rescan_interval", NULL },
		{ "[agent]\nrescan_interval = \n", 2, "rescan_interval", NULL },
		{ "[agent]\nrescan_interval = 0x10\n", 2, "rescan_interval", NULL },
		{ "[agent]\nrescan_interval = 1 0\n", 2, "rescan_interval", NULL },
		{ "trace_all = yes\n", 1, "trace_all", "outside" },
		{ "\n# c\n[agent\n", 3, "agent", "malformed" },
		{ "[agent] x\n", 1, "[agent] x", "malformed" },
		{ "[]\n", 1, "[]", "malformed" },
		{ "[agent]\njust words\n", 2, "just words", NULL },
		{ "[agent]\n = yes\n", 2, "missing key", NULL },
		{ "[export_paths]\nlocal = Downloads\n", 2, "local", "Downloads" },
		{ "[export_paths]\nremovable = media/usb\n", 2, "removable", "media/usb" },
		{ "[export_paths]\nnetwork = ~user/x\n", 2, "network", NULL },
		{ "[export_paths]\nshare = /srv\n", 2, "share", "unknown key" },
		{ "[messaging]\nchat = x\n", 2, "chat", "unknown key" },
		{ "[messaging]\napp =\n", 2, "app", "empty" },
		{ "[cpr_clients]\nprogram = /x\n", 2, "program", "unknown key" },
		{ "[archivers]\npath =\n", 2, "path", "empty" },
		{ "[rules.bulk_export]\nseverity = extreme\n", 2, "severity", "extreme" },
		{ "[output]\nstdout = sometimes\n", 2, "stdout", "sometimes" },
		{ "[scan]\nworkers = 65\n", 2, "workers", NULL },
		/* the kernel's ring buffer size rule, said before the load would fail on it */
		{ "[agent]\nring_mib = 3\n", 2, "ring_mib", "power of two" },
		{ "[agent]\nring_mib = 0\n", 2, "ring_mib", "power of two" },
		{ "[agent]\nring_mib = 2048\n", 2, "ring_mib", NULL },
		/* issue 14: what the agent refuses at start, --check-config refuses too, by line */
		{ "[syslog..x]\ntransport = unix\n", 2, "[syslog..x]", "receiver name" },
		{ "[syslog.a/b]\ntransport = unix\n", 2, "[syslog.a/b]", "receiver name" },
		{ "[agent]\n\n[spool]\nfsync = sometimes\n", 4, "fsync", "sometimes" },
		{ "[spool]\nmax_mib = 1\noverflow = drop_all\n", 3, "overflow", "drop_all" },
		/* an error deep in a valid file names its own line */
		{ "[agent]\ntrace_all = no\n\n# x\n[messaging]\napp = a\nbrowser = b\nsink = c\n",
		  8, "sink", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[CONFIG_ERR_MAX] = "", prefix[64], *rest;
		struct config cfg;
		int ret = config_parse(&cfg, "site.conf", cases[i].text, err, sizeof(err));

		snprintf(prefix, sizeof(prefix), "site.conf:%d:", cases[i].line);
		rest = strncmp(err, prefix, strlen(prefix)) ? NULL : err + strlen(prefix);
		if (ret != -EINVAL || !rest || !strstr(rest, cases[i].key) ||
		    (cases[i].also && !strstr(rest, cases[i].also)))
			fprintf(stderr, "\n  case %zu: ret %d err '%s'", i, ret, err);
		CU_ASSERT_EQUAL(ret, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(rest);
		CU_ASSERT(rest && strstr(rest, cases[i].key));
		if (cases[i].also)
			CU_ASSERT(rest && strstr(rest, cases[i].also));
		/* a failed parse leaves nothing to free or to use by mistake */
		CU_ASSERT_EQUAL(cfg.nr_bins, 0);
		CU_ASSERT_PTR_NULL(cfg.bins);
		CU_ASSERT_PTR_NULL(cfg.exports);
		CU_ASSERT_PTR_NULL(cfg.source);
	}
}

static void test_long_line_refused(void)
{
	size_t n = 5000;
	char *text = malloc(n + 32), err[CONFIG_ERR_MAX] = "";
	struct config cfg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	strcpy(text, "[messaging]\napp = /");
	memset(text + strlen(text), 'a', n);
	text[19 + n] = '\0';
	CU_ASSERT_EQUAL(config_parse(&cfg, "long", text, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "long:2:", 7), 0);
	free(text);
}

/* The message is cut to the caller's buffer. */
static void test_error_bounded(void)
{
	char err[24];
	struct config cfg;

	memset(err, 'Z', sizeof(err));
	CU_ASSERT_EQUAL(config_parse(&cfg, "a-rather-long-file-name.conf", "[nope]\n", err, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(strlen(err), 15);
	CU_ASSERT_EQUAL(err[16], 'Z');
}

/* ---- config_load ---------------------------------------------------------- */

static char config_dir[64];

/* A test stopped by a fatal assertion still leaves no directory behind. */
static void config_atexit(void)
{
	char cmd[96];

	if (!config_dir[0] || strncmp(config_dir, "/tmp/cprw-config-", 17))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", config_dir);
	if (system(cmd) == 0)
		config_dir[0] = '\0';
}

static const char *config_tmp_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[128];
	static bool registered;
	int fd;

	if (!config_dir[0]) {
		strcpy(config_dir, "/tmp/cprw-config-XXXXXX");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(config_dir));
		if (!registered)
			registered = !atexit(config_atexit);
	}
	snprintf(path, sizeof(path), "%s/%s", config_dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	close(fd);
	CU_ASSERT_FATAL(chmod(path, mode) == 0);
	return path;
}

static void config_tmp_cleanup(const char *path)
{
	unlink(path);
	if (config_dir[0] && !rmdir(config_dir))
		config_dir[0] = '\0';
}

static const char config_good[] = "[agent]\ntrace_all = yes\n[messaging]\napp = x\n";

static void test_load_good_file(void)
{
	const char *path = config_tmp_file("good.conf", config_good, strlen(config_good), 0600);
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	if (geteuid() != 0) {
		/* owned by us, not root: refused, which is the next test's point */
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -EPERM);
		fprintf(stderr, "\n  not root: loading a good file not checked");
	} else {
		CU_ASSERT_EQUAL_FATAL(config_load(&cfg, path, err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(cfg.source, path);
		CU_ASSERT_TRUE(cfg.trace_all);
		CU_ASSERT_EQUAL(cfg.nr_bins, 1);
		config_free(&cfg);
		/* 0644 is fine: readable by others is not a risk, writable is */
		CU_ASSERT_EQUAL(chmod(path, 0644), 0);
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), 0);
		config_free(&cfg);
	}
	config_tmp_cleanup(path);
}

static void test_load_refuses_writable(void)
{
	static const mode_t modes[] = { 0666, 0602, 0620, 0660, 0622 };
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *path =
			config_tmp_file("w.conf", config_good, strlen(config_good), modes[i]);
		struct config cfg;
		char err[CONFIG_ERR_MAX] = "";

		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
		config_tmp_cleanup(path);
	}
}

static void test_load_refuses_non_root_owner(void)
{
	const char *path = config_tmp_file("o.conf", config_good, strlen(config_good), 0600);
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	if (geteuid() == 0) {
		CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "65534"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "chown root"));
	} else {
		fprintf(stderr, "\n  not root: chown to another owner not checked");
	}
	config_tmp_cleanup(path);
}

static void test_load_missing_file(void)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *path = "/nonexistent-cprwatch-dir/cprwatch.conf";

	CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

static void test_load_refuses_nul(void)
{
	static const char text[] = "[agent]\ntrace_all = yes\0\n[bogus]\n";
	const char *path = config_tmp_file("nul.conf", text, sizeof(text) - 1, 0600);
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	} else {
		fprintf(stderr, "\n  not root: NUL check not reached");
	}
	config_tmp_cleanup(path);
}

/* Errors in a loaded file name the file's path and the line. */
static void test_load_error_names_path(void)
{
	static const char text[] = "[agent]\ntrace_all = perhaps\n";
	const char *path = config_tmp_file("bad.conf", text, sizeof(text) - 1, 0600);
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", want[192];

	if (geteuid() == 0) {
		snprintf(want, sizeof(want), "%s:2:", path);
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "trace_all"));
	} else {
		fprintf(stderr, "\n  not root: not checked");
	}
	config_tmp_cleanup(path);
}

/* A symlink could point anywhere: it is not followed. */
static void test_load_refuses_symlink(void)
{
	const char *path = config_tmp_file("real.conf", config_good, strlen(config_good), 0600);
	char real[128], link[160];
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	snprintf(real, sizeof(real), "%s", path);
	snprintf(link, sizeof(link), "%s/link.conf", config_dir);
	CU_ASSERT_EQUAL_FATAL(symlink(real, link), 0);
	CU_ASSERT(config_load(&cfg, link, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, link));
	unlink(link);
	config_tmp_cleanup(real);
}

static void test_load_refuses_directory(void)
{
	char dir[] = "/tmp/cprw-config-dir-XXXXXX";
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT(config_load(&cfg, dir, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
	rmdir(dir);
}

static void test_severity_names(void)
{
	CU_ASSERT_STRING_EQUAL(alert_severity_name(SEV_LOW), "low");
	CU_ASSERT_STRING_EQUAL(alert_severity_name(SEV_MEDIUM), "medium");
	CU_ASSERT_STRING_EQUAL(alert_severity_name(SEV_HIGH), "high");
	CU_ASSERT_STRING_EQUAL(alert_severity_name(SEV_CRITICAL), "critical");
	CU_ASSERT_STRING_EQUAL(alert_severity_name(99), "unknown");
}

/* Under systemd (stdout is the stream JOURNAL_STREAM names) alerts stay out of the journal. */
static void test_stdout_default_journal(void)
{
	char err[CONFIG_ERR_MAX], js[64];
	struct config cfg;
	struct stat st;

	CU_ASSERT_FATAL(fstat(STDOUT_FILENO, &st) == 0);
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "j", "[agent]\n", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cfg.output.to_stdout);
	config_free(&cfg);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "j", "[agent]\n", err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cfg.output.to_stdout);
	config_free(&cfg);
	/* an explicit yes still wins */
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "j", "[output]\nstdout = yes\n", err, sizeof(err)),
			      0);
	CU_ASSERT_TRUE(cfg.output.to_stdout);
	config_free(&cfg);
	/* a stream that is not our stdout (a child's inherited variable) changes nothing */
	setenv("JOURNAL_STREAM", "1:1", 1);
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "j", "[agent]\n", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cfg.output.to_stdout);
	config_free(&cfg);
	unsetenv("JOURNAL_STREAM");
}

static CU_TestInfo config_tests[] = {
	{ "embedded default parses", test_default_parses },
	{ "no file: built-in defaults", test_load_null_falls_back },
	{ "values, comments, whitespace", test_values_and_whitespace },
	{ "short config gets defaults", test_short_config_gets_defaults },
	{ "bool spellings", test_bool_spellings },
	{ "errors name file, line, key", test_errors_name_file_line_key },
	{ "over-long line refused", test_long_line_refused },
	{ "error text bounded", test_error_bounded },
	{ "load a root-owned 0600 file", test_load_good_file },
	{ "load refuses group/world-writable", test_load_refuses_writable },
	{ "load refuses non-root owner", test_load_refuses_non_root_owner },
	{ "load: missing file", test_load_missing_file },
	{ "load refuses a NUL byte", test_load_refuses_nul },
	{ "load: error names the path", test_load_error_names_path },
	{ "load refuses a symlink", test_load_refuses_symlink },
	{ "load refuses a directory", test_load_refuses_directory },
	{ "severity names", test_severity_names },
	{ "stdout off by default under systemd", test_stdout_default_journal },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(config, config_tests)
