// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/openat2.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "lib/log.h"
#include "watchlist.h"

const char *const watchlist_bin_dirs[] = {
	"/usr/local/bin", "/usr/bin",  "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin",
	"/usr/games",	  "/snap/bin", NULL,
};

static int add_bin(struct watchlist *wl, const struct stat *st, __u32 classes, const char *path)
{
	struct watch_bin *b;
	size_t i;

	for (i = 0; i < wl->nr_bins; i++) {
		b = &wl->bins[i];
		if (b->id.dev == event_kernel_dev(st->st_dev) && b->id.ino == st->st_ino) {
			b->classes |= classes; /* one program, several roles */
			return 0;
		}
	}
	b = realloc(wl->bins, (wl->nr_bins + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	wl->bins = b;
	b += wl->nr_bins;
	b->id.dev = event_kernel_dev(st->st_dev);
	b->id.ino = st->st_ino;
	b->classes = classes;
	b->path = strdup(path);
	if (!b->path)
		return -ENOMEM;
	wl->nr_bins++;
	return 0;
}

static int add_dir(struct watchlist *wl, const struct stat *st, enum export_kind kind,
		   const char *path)
{
	struct watch_dir *d;
	size_t i;

	for (i = 0; i < wl->nr_dirs; i++)
		if (wl->dirs[i].id.dev == event_kernel_dev(st->st_dev) &&
		    wl->dirs[i].id.ino == st->st_ino)
			return 0;
	d = realloc(wl->dirs, (wl->nr_dirs + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	wl->dirs = d;
	d += wl->nr_dirs;
	d->id.dev = event_kernel_dev(st->st_dev);
	d->id.ino = st->st_ino;
	d->kind = kind;
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	wl->nr_dirs++;
	return 0;
}

/* Called with the stat of a match (its target, when a symlink may be followed). */
typedef int (*match_fn)(struct watchlist *wl, const struct stat *st, const char *shown, void *arg);

/* Expand one glob under @root and call @fn for every match; stat follows symlinks. */
static int for_each_glob(struct watchlist *wl, const char *root, const char *pattern, match_fn fn,
			 void *arg)
{
	char full[PATH_MAX];
	size_t rlen = strlen(root);
	struct stat st;
	glob_t g;
	size_t i;
	int ret = 0;

	if (snprintf(full, sizeof(full), "%s%s", root, pattern) >= (int)sizeof(full))
		return 0;
	if (glob(full, GLOB_NOSORT, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && !ret; i++)
		if (!stat(g.gl_pathv[i], &st))
			ret = fn(wl, &st, g.gl_pathv[i] + rlen, arg);
	globfree(&g);
	return ret;
}

/*
 * A match under a user's home is the user's to shape: `ln -s / ~/Downloads`
 * would make every write on the machine an export, a symlink named like a
 * sync client pointing at /bin/bash would flag bash for everyone.  So the
 * match is resolved beneath the home (symlinks that stay inside are fine,
 * none may lead out; openat2 refuses them as the walk happens, so no swap
 * can slip in after a check), and its target must belong to that user or to
 * root (a root-owned file with other links may be a hard link to a system
 * program: refused too).
 */
static int home_stat(int home_fd, const char *rel, uid_t uid, const char *shown, struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = syscall(SYS_openat2, home_fd, rel, &how, sizeof(how));

	if (fd < 0) {
		if (errno == EXDEV || errno == ELOOP)
			log_warn("watch list: %s leads out of its home: ignored", shown);
		return -1;
	}
	if (fstat(fd, st)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (st->st_uid == uid || ((st->st_uid == 0 || st->st_uid == geteuid()) &&
				  (S_ISDIR(st->st_mode) || st->st_nlink == 1)))
		return 0;
	log_warn("watch list: %s belongs to uid %u, not to its home's user or root: ignored", shown,
		 (unsigned int)st->st_uid);
	return -1;
}

/* The glob @rest under one home (@home already prefixed with the root). */
static int for_each_in_home(struct watchlist *wl, const char *root, const char *home, uid_t uid,
			    const char *rest, match_fn fn, void *arg)
{
	size_t rlen = strlen(root), hlen = strlen(home);
	char full[PATH_MAX];
	struct stat st;
	int home_fd, ret = 0;
	glob_t g;
	size_t i;

	if (snprintf(full, sizeof(full), "%s/%s", home, rest) >= (int)sizeof(full))
		return 0;
	home_fd = open(home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		return 0;
	if (!glob(full, GLOB_NOSORT, NULL, &g)) {
		for (i = 0; i < g.gl_pathc && !ret; i++)
			if (!home_stat(home_fd, g.gl_pathv[i] + hlen + 1, uid, g.gl_pathv[i] + rlen,
				       &st))
				ret = fn(wl, &st, g.gl_pathv[i] + rlen, arg);
		globfree(&g);
	}
	close(home_fd);
	return ret;
}

/* Every home directory: root's and those of login users (uid >= 1000). */
static int for_each_home(struct watchlist *wl, const char *root, const char *rest, match_fn fn,
			 void *arg)
{
	char home[PATH_MAX];
	struct passwd *pw;
	int ret = 0;

	setpwent();
	while (!ret && (pw = getpwent())) {
		if (pw->pw_uid != 0 && (pw->pw_uid < 1000 || pw->pw_uid == 65534))
			continue;
		if (!pw->pw_dir || pw->pw_dir[0] != '/')
			continue;
		if (snprintf(home, sizeof(home), "%s%s", root, pw->pw_dir) >= (int)sizeof(home))
			continue;
		ret = for_each_in_home(wl, root, home, pw->pw_uid, rest, fn, arg);
	}
	endpwent();
	return ret;
}

static int expand(struct watchlist *wl, const char *root, const char *pattern, bool is_bin,
		  match_fn fn, void *arg)
{
	char pat[PATH_MAX];
	int i, ret;

	if (!strncmp(pattern, "~/", 2))
		return for_each_home(wl, root, pattern + 2, fn, arg);
	if (pattern[0] == '/' || !is_bin)
		return for_each_glob(wl, root, pattern, fn, arg);
	/* a bare program name: every standard bin directory that has it */
	for (i = 0; watchlist_bin_dirs[i]; i++) {
		snprintf(pat, sizeof(pat), "%s/%s", watchlist_bin_dirs[i], pattern);
		ret = for_each_glob(wl, root, pat, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* The stat followed symlinks: exec runs the link's target, and that is what the kernel sees. */
static int bin_match(struct watchlist *wl, const struct stat *st, const char *shown, void *arg)
{
	if (!S_ISREG(st->st_mode))
		return 0;
	return add_bin(wl, st, *(__u32 *)arg, shown);
}

static int dir_match(struct watchlist *wl, const struct stat *st, const char *shown, void *arg)
{
	if (!S_ISDIR(st->st_mode))
		return 0;
	return add_dir(wl, st, *(enum export_kind *)arg, shown);
}

/* Decode the octal escapes mountinfo uses for spaces and the like. */
static void unescape_mount(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static bool is_network_fs(const struct config *cfg, const char *type)
{
	size_t i;

	for (i = 0; i < cfg->nr_network_fs; i++)
		if (!strcmp(cfg->network_fs[i], type))
			return true;
	return false;
}

/* mountinfo: id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
static int add_network_mounts(struct watchlist *wl, const struct config *cfg, const char *root,
			      const char *mountinfo)
{
	enum export_kind kind = EXPORT_NETWORK;
	char line[4096], mnt[PATH_MAX], type[64], full[PATH_MAX];
	struct stat st;
	FILE *f;
	int ret = 0;

	if (!cfg->nr_network_fs)
		return 0;
	f = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		if (!is_network_fs(cfg, type))
			continue;
		unescape_mount(mnt);
		snprintf(full, sizeof(full), "%s%s", root, mnt);
		if (!stat(full, &st))
			ret = dir_match(wl, &st, full + strlen(root), &kind);
	}
	fclose(f);
	return ret;
}

int watchlist_resolve(struct watchlist *wl, const struct config *cfg, const char *root,
		      const char *mountinfo)
{
	size_t i;
	int ret = 0;

	memset(wl, 0, sizeof(*wl));
	if (!root)
		root = "";
	for (i = 0; i < cfg->nr_bins && !ret; i++) {
		__u32 classes = cfg->bins[i].classes;

		ret = expand(wl, root, cfg->bins[i].pattern, true, bin_match, &classes);
	}
	for (i = 0; i < cfg->nr_exports && !ret; i++) {
		enum export_kind kind = cfg->exports[i].kind;

		ret = expand(wl, root, cfg->exports[i].pattern, false, dir_match, &kind);
	}
	if (!ret)
		ret = add_network_mounts(wl, cfg, root, mountinfo);
	if (ret)
		watchlist_free(wl);
	return ret;
}

void watchlist_free(struct watchlist *wl)
{
	size_t i;

	for (i = 0; i < wl->nr_bins; i++)
		free(wl->bins[i].path);
	for (i = 0; i < wl->nr_dirs; i++)
		free(wl->dirs[i].path);
	free(wl->bins);
	free(wl->dirs);
	memset(wl, 0, sizeof(*wl));
}

__u32 watchlist_classes(const struct watchlist *wl, const struct file_id *id)
{
	size_t i;

	for (i = 0; i < wl->nr_bins; i++)
		if (wl->bins[i].id.dev == id->dev && wl->bins[i].id.ino == id->ino)
			return wl->bins[i].classes;
	return 0;
}
