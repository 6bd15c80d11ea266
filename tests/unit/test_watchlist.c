// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * user/agent/watchlist.c: config patterns resolved against a temporary root tree
 * and a fake mountinfo, checked against stat() of the files themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "unit.h"
#include "agent/config.h"
#include "agent/watchlist.h"

static char wl_root[64];

/* mkdir -p of @rel under the root */
static void wl_mkdir(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s", wl_root, rel);
	for (p = path + strlen(wl_root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void wl_file(const char *rel)
{
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		wl_mkdir(dir);
	}
	snprintf(path, sizeof(path), "%s%s", wl_root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CU_ASSERT_FATAL(fd >= 0);
	/* distinct content is not needed: each file is its own inode */
	CU_ASSERT(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
}

static struct file_id wl_id(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	struct file_id id = { 0, 0 };

	snprintf(path, sizeof(path), "%s%s", wl_root, rel);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	id.dev = event_kernel_dev(st.st_dev);
	id.ino = st.st_ino;
	return id;
}

static const struct watch_bin *wl_bin(const struct watchlist *wl, const struct file_id *id)
{
	size_t i;

	for (i = 0; i < wl->nr_bins; i++)
		if (wl->bins[i].id.dev == id->dev && wl->bins[i].id.ino == id->ino)
			return &wl->bins[i];
	return NULL;
}

static const struct watch_dir *wl_dir(const struct watchlist *wl, const char *rel)
{
	struct file_id id = wl_id(rel);
	size_t i;

	for (i = 0; i < wl->nr_dirs; i++)
		if (wl->dirs[i].id.dev == id.dev && wl->dirs[i].id.ino == id.ino)
			return &wl->dirs[i];
	return NULL;
}

static void wl_rm_tree(void)
{
	char cmd[PATH_MAX];

	if (strncmp(wl_root, "/tmp/cprw-wl-", 13))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", wl_root);
	if (system(cmd) == 0)
		wl_root[0] = '\0';
}

/* A test stopped by a fatal assertion still leaves no tree behind. */
static void wl_atexit(void)
{
	if (wl_root[0] && !access(wl_root, F_OK))
		wl_rm_tree();
}

static void wl_new_root(void)
{
	static bool registered;

	strcpy(wl_root, "/tmp/cprw-wl-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(wl_root));
	if (!registered)
		registered = !atexit(wl_atexit);
}

static const char wl_config[] = "[cpr_clients]\n"
				"path = /opt/cpr/bin/cprklient\n"
				"[messaging]\n"
				"app = /opt/*/bin/tool\n"
				"app = /usr/lib/chromium/chromium\n"
				"browser = chromium\n"
				"app = dirprog\n"
				"app = nonexistentprog\n"
				"app = /opt/nothing/here\n"
				"sync = ~/.local/bin/sync-tool\n"
				"[archivers]\n"
				"path = zip\n"
				"path = 7z\n"
				"path = /usr/bin/zip\n"
				"[export_paths]\n"
				"local = ~/Downloads\n"
				"local = ~/NoSuchDir\n"
				"local = /tmp/export*\n"
				"removable = /media\n"
				"removable = /media\n"
				"network_fs = cifs nfs4\n";

static const char wl_mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
	"25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"36 25 0:32 / /mnt/my\\040share rw,relatime shared:7 - cifs //srv/share rw,vers=3.0\n"
	"37 25 0:33 / /net/nfshome rw,relatime - nfs4 srv:/home rw,vers=4.2\n"
	"38 25 8:2 / /mnt/local rw,relatime - ext4 /dev/sda2 rw\n"
	"39 25 0:35 / /mnt/gone rw,relatime - cifs //x/y rw\n"
	"40 25 0:36 / /mnt/back\\134slash rw master:3 shared:9 - cifs //x/z rw\n"
	"garbage line without a separator\n";

/* The temp tree and the config both tests below resolve. */
static void wl_setup(struct config *cfg, char *mountinfo, size_t len)
{
	char err[CONFIG_ERR_MAX] = "";
	struct passwd *pw = getpwuid(0);
	FILE *f;

	wl_new_root();
	wl_file("/opt/cpr/bin/cprklient");
	wl_file("/opt/a1/bin/tool");
	wl_file("/opt/a2/bin/tool");
	wl_file("/usr/lib/chromium/chromium");
	wl_mkdir("/usr/bin");
	{
		char link[PATH_MAX];

		snprintf(link, sizeof(link), "%s/usr/bin/chromium", wl_root);
		CU_ASSERT_FATAL(symlink("../lib/chromium/chromium", link) == 0);
	}
	wl_mkdir("/usr/bin/dirprog"); /* a directory is not a program */
	wl_file("/usr/bin/zip");
	wl_file("/usr/local/bin/7z");
	wl_file("/sbin/7z");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	{
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/Downloads", pw->pw_dir);
		wl_mkdir(rel);
		snprintf(rel, sizeof(rel), "%s/.local/bin/sync-tool", pw->pw_dir);
		wl_file(rel);
	}
	/* nobody's home must never be watched, even when it exists */
	pw = getpwuid(65534);
	if (pw && pw->pw_dir[0] == '/') {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/Downloads", pw->pw_dir);
		wl_mkdir(rel);
	}
	wl_mkdir("/tmp/export1");
	wl_file("/tmp/exportfile"); /* a file is not an export directory */
	wl_mkdir("/media");
	wl_mkdir("/mnt/my share");
	wl_mkdir("/net/nfshome");
	wl_mkdir("/mnt/local");
	wl_mkdir("/mnt/back\\slash");

	snprintf(mountinfo, len, "%s/mountinfo", wl_root);
	f = fopen(mountinfo, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(wl_mountinfo, f);
	fclose(f);

	CU_ASSERT_EQUAL_FATAL(config_parse(cfg, "wl.conf", wl_config, err, sizeof(err)), 0);
}

static void test_resolve(void)
{
	struct config cfg;
	struct watchlist wl;
	char mountinfo[PATH_MAX], rel[PATH_MAX];
	const struct watch_bin *b;
	const struct watch_dir *d;
	struct file_id id;
	struct passwd *pw;

	wl_setup(&cfg, mountinfo, sizeof(mountinfo));
	CU_ASSERT_EQUAL_FATAL(watchlist_resolve(&wl, &cfg, wl_root, mountinfo), 0);

	/* absolute path */
	id = wl_id("/opt/cpr/bin/cprklient");
	b = wl_bin(&wl, &id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->classes, CLASS_CPR_CLIENT);
	CU_ASSERT_STRING_EQUAL(b->path, "/opt/cpr/bin/cprklient"); /* without the root */

	/* glob: both matches */
	id = wl_id("/opt/a1/bin/tool");
	CU_ASSERT_PTR_NOT_NULL(wl_bin(&wl, &id));
	id = wl_id("/opt/a2/bin/tool");
	b = wl_bin(&wl, &id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->classes, CLASS_MESSAGING);

	/* symlink -> the target's identity; two roles on one program merge */
	id = wl_id("/usr/lib/chromium/chromium");
	b = wl_bin(&wl, &id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->classes, CLASS_MESSAGING | CLASS_BROWSER);
	CU_ASSERT_EQUAL(watchlist_classes(&wl, &id), CLASS_MESSAGING | CLASS_BROWSER);

	/* bare names: every bin directory that has one, under the root */
	id = wl_id("/usr/bin/zip");
	b = wl_bin(&wl, &id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->classes, CLASS_ARCHIVER);
	CU_ASSERT_STRING_EQUAL(b->path, "/usr/bin/zip");
	id = wl_id("/usr/local/bin/7z");
	CU_ASSERT_PTR_NOT_NULL(wl_bin(&wl, &id));
	id = wl_id("/sbin/7z");
	CU_ASSERT_PTR_NOT_NULL(wl_bin(&wl, &id));

	/* ~/ for a program: root's home */
	pw = getpwuid(0);
	snprintf(rel, sizeof(rel), "%s/.local/bin/sync-tool", pw->pw_dir);
	id = wl_id(rel);
	b = wl_bin(&wl, &id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->classes, CLASS_SYNC);

	/* and nothing else: duplicates merged, misses and directories skipped */
	CU_ASSERT_EQUAL(wl.nr_bins, 8);
	id = wl_id("/usr/bin/dirprog");
	CU_ASSERT_PTR_NULL(wl_bin(&wl, &id));

	/* exports */
	snprintf(rel, sizeof(rel), "%s/Downloads", pw->pw_dir);
	d = wl_dir(&wl, rel);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_LOCAL);
	CU_ASSERT_STRING_EQUAL(d->path, rel);
	d = wl_dir(&wl, "/tmp/export1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_LOCAL);
	d = wl_dir(&wl, "/media");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_REMOVABLE);
	/* network mounts from mountinfo, octal escapes decoded */
	d = wl_dir(&wl, "/mnt/my share");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_NETWORK);
	CU_ASSERT_STRING_EQUAL(d->path, "/mnt/my share");
	d = wl_dir(&wl, "/net/nfshome");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_NETWORK);
	d = wl_dir(&wl, "/mnt/back\\slash");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->kind, EXPORT_NETWORK);
	CU_ASSERT_PTR_NULL(wl_dir(&wl, "/mnt/local")); /* ext4 */
	pw = getpwuid(65534);
	if (pw && pw->pw_dir[0] == '/') {
		snprintf(rel, sizeof(rel), "%s/Downloads", pw->pw_dir);
		CU_ASSERT_PTR_NULL(wl_dir(&wl, rel));
	}
	CU_ASSERT_EQUAL(wl.nr_dirs, 6);

	/* an identity that is not watched */
	id.dev = 12345;
	id.ino = 1;
	CU_ASSERT_EQUAL(watchlist_classes(&wl, &id), 0);

	watchlist_free(&wl);
	CU_ASSERT_EQUAL(wl.nr_bins, 0);
	CU_ASSERT_PTR_NULL(wl.bins);
	config_free(&cfg);
	wl_rm_tree();
}

/* Every login user's home, not only root's (when this machine has one). */
static void test_every_home(void)
{
	struct config cfg;
	struct watchlist wl;
	char err[CONFIG_ERR_MAX], rel[PATH_MAX];
	struct passwd *pw, *user = NULL;
	static char home[PATH_MAX];

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid >= 1000 && pw->pw_uid != 65534 && pw->pw_dir[0] == '/' &&
		    strlen(pw->pw_dir) > 1) {
			snprintf(home, sizeof(home), "%s", pw->pw_dir);
			user = pw;
			break;
		}
	endpwent();
	if (!user) {
		fprintf(stderr, "\n  no login user in passwd: not checked");
		return;
	}
	wl_new_root();
	snprintf(rel, sizeof(rel), "%s/Skrivebord", home);
	wl_mkdir(rel);
	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "h", "[export_paths]\nlocal = ~/Skrivebord\n", err,
					   sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(watchlist_resolve(&wl, &cfg, wl_root, "/nonexistent"), 0);
	CU_ASSERT_EQUAL(wl.nr_dirs, 1);
	CU_ASSERT_PTR_NOT_NULL(wl_dir(&wl, rel));
	watchlist_free(&wl);
	config_free(&cfg);
	wl_rm_tree();
}

/*
 * Issue 14 item 3: a home is its user's to shape, so ~/ patterns never lead
 * out of it (`ln -s / ~/Downloads`, a sync client's name pointing at a
 * system program) and only match files of that user or root.  Planted in
 * root's home under the temp root; the other-owner case needs root (chown).
 */
static void test_home_escapes(void)
{
	struct config cfg;
	struct watchlist wl;
	char err[CONFIG_ERR_MAX], rel[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	struct passwd *pw = getpwuid(0);
	struct file_id id;
	const char *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	wl_new_root();
	wl_file("/usr/bin/bash");
	snprintf(rel, sizeof(rel), "%s/.dropbox-dist/dropbox-lnx.x", pw->pw_dir);
	wl_mkdir(rel);
	/* the sync client's name, pointing at a system program by absolute and relative links */
	snprintf(path, sizeof(path), "%s%s/dropbox", wl_root, rel);
	CU_ASSERT_FATAL(symlink("/usr/bin/bash", path) == 0);
	snprintf(path, sizeof(path), "%s%s/dropbox-rel", wl_root, rel);
	target[0] = '\0';
	for (p = pw->pw_dir; *p; p++) /* up out of the home to the temp root */
		if (*p == '/')
			strcat(target, "../");
	strcat(target, "../../usr/bin/bash");
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	/* a symlink that stays in the home is fine */
	snprintf(rel, sizeof(rel), "%s/.dropbox-dist/dropbox-lnx.y", pw->pw_dir);
	wl_mkdir(rel);
	snprintf(rel, sizeof(rel), "%s/.dropbox-dist/real-dropbox", pw->pw_dir);
	wl_file(rel);
	snprintf(path, sizeof(path), "%s%s/.dropbox-dist/dropbox-lnx.y/dropbox", wl_root,
		 pw->pw_dir);
	CU_ASSERT_FATAL(symlink("../real-dropbox", path) == 0);
	/* / as an export directory */
	wl_mkdir("/var/tmp");
	snprintf(path, sizeof(path), "%s%s/Downloads", wl_root, pw->pw_dir);
	CU_ASSERT_FATAL(symlink("/", path) == 0);
	snprintf(path, sizeof(path), "%s%s/Desktop", wl_root, pw->pw_dir);
	CU_ASSERT_FATAL(symlink("../../var/tmp", path) == 0);

	CU_ASSERT_EQUAL_FATAL(
		config_parse(&cfg, "h",
			     "[messaging]\n"
			     "sync = ~/.dropbox-dist/*/dropbox*\n"
			     "[export_paths]\nlocal = ~/Downloads\nlocal = ~/Desktop\n",
			     err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL_FATAL(watchlist_resolve(&wl, &cfg, wl_root, "/nonexistent"), 0);
	id = wl_id("/usr/bin/bash");
	CU_ASSERT_PTR_NULL(wl_bin(&wl, &id)); /* bash is no sync client */
	snprintf(rel, sizeof(rel), "%s/.dropbox-dist/real-dropbox", pw->pw_dir);
	id = wl_id(rel);
	CU_ASSERT_PTR_NOT_NULL(wl_bin(&wl, &id)); /* the link inside the home is */
	CU_ASSERT_EQUAL(wl.nr_bins, 1);
	CU_ASSERT_EQUAL(wl.nr_dirs, 0); /* neither / nor /var/tmp */
	watchlist_free(&wl);

	/* a file of another user in this home is not this user's program */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s%s", wl_root, rel);
		CU_ASSERT_FATAL(chown(path, 12345, 12345) == 0);
		CU_ASSERT_EQUAL_FATAL(watchlist_resolve(&wl, &cfg, wl_root, "/nonexistent"), 0);
		CU_ASSERT_EQUAL(wl.nr_bins, 0);
		watchlist_free(&wl);
	}
	config_free(&cfg);
	wl_rm_tree();
}

/* No mount table, nothing configured: an empty list, not an error. */
static void test_empty(void)
{
	struct config cfg;
	struct watchlist wl;
	char err[CONFIG_ERR_MAX];

	CU_ASSERT_EQUAL_FATAL(config_parse(&cfg, "e", "[export_paths]\nnetwork_fs = cifs\n", err,
					   sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(watchlist_resolve(&wl, &cfg, "/nonexistent-root", "/nonexistent"), 0);
	CU_ASSERT_EQUAL(wl.nr_bins, 0);
	CU_ASSERT_EQUAL(wl.nr_dirs, 0);
	watchlist_free(&wl);
	config_free(&cfg);
}

static void test_bin_dirs(void)
{
	static const char *const want[] = { "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin",
					    "/sbin" };
	size_t i, j, n;

	for (n = 0; watchlist_bin_dirs[n]; n++)
		CU_ASSERT_EQUAL(watchlist_bin_dirs[n][0], '/');
	CU_ASSERT(n >= 5 && n < 32);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (j = 0; j < n; j++)
			found |= !strcmp(watchlist_bin_dirs[j], want[i]);
		CU_ASSERT(found);
	}
}

static void test_kernel_dev(void)
{
	static const struct {
		unsigned int major, minor;
	} cases[] = {
		{ 0, 0 },	 { 8, 1 },    { 8, 255 },
		{ 0, 256 },	 { 259, 0 },  { 259, 300 },
		{ 253, 70000 },	 { 4095, 0 }, { 4095, (1u << 20) - 1 },
		{ 1234, 65536 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dev_t d = makedev(cases[i].major, cases[i].minor);
		__u64 k = event_kernel_dev(d);

		CU_ASSERT_EQUAL(k, ((__u64)cases[i].major << 20) | cases[i].minor);
		CU_ASSERT_EQUAL(event_kdev_major(k), cases[i].major);
		CU_ASSERT_EQUAL(event_kdev_minor(k), cases[i].minor);
		CU_ASSERT_EQUAL(makedev(event_kdev_major(k), event_kdev_minor(k)), d);
	}
	/* a real file: the kernel encoding of the root fs is what stat says */
	{
		struct stat st;

		CU_ASSERT_EQUAL_FATAL(stat("/", &st), 0);
		CU_ASSERT_EQUAL(event_kdev_major(event_kernel_dev(st.st_dev)), major(st.st_dev));
		CU_ASSERT_EQUAL(event_kdev_minor(event_kernel_dev(st.st_dev)), minor(st.st_dev));
	}
}

static CU_TestInfo watchlist_tests[] = {
	{ "resolve a temp root", test_resolve },
	{ "~/ covers login users' homes", test_every_home },
	{ "nothing to resolve", test_empty },
	{ "bin dirs", test_bin_dirs },
	{ "event_kernel_dev encoding", test_kernel_dev },
	{ "~/ never leads out of the home", test_home_escapes },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(watchlist, watchlist_tests)
