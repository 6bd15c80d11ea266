// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/person_set.h"
#include "persons.h"

#define STATE_FILE "persons_viewed"

struct day_total {
	int64_t day;
	uint64_t total;
};

struct person_user {
	__u32 user;
	int64_t day;		/* the day @seen counts */
	struct person_set seen; /* keyed hashes of the day's persons */
	uint64_t saved_today;	/* today's total loaded from disk (before a restart) */
	struct day_total hist[PERSONS_DAYS_MAX + 1]; /* earlier days, oldest first */
	unsigned int nr_hist;
};

struct persons {
	char *path; /* state file, NULL: none */
	unsigned int keep_days;
	struct hashmap users; /* user -> struct person_user */
	bool dirty;
};

static struct person_user *user_get(struct persons *ps, __u32 user)
{
	struct person_user *u = hashmap_get(&ps->users, user);

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->user = user;
	u->day = -1;
	if (person_set_init(&u->seen, PERSONS_PER_USER_MAX, 0)) {
		free(u);
		return NULL;
	}
	if (hashmap_put(&ps->users, user, u, NULL)) {
		person_set_free(&u->seen);
		free(u);
		return NULL;
	}
	return u;
}

/* Keep a finished day's total in the history, dropping days past keep_days. */
static void hist_put(struct persons *ps, struct person_user *u, int64_t day, uint64_t total)
{
	unsigned int i;

	for (i = 0; i < u->nr_hist; i++)
		if (u->hist[i].day == day) {
			if (total > u->hist[i].total)
				u->hist[i].total = total;
			return;
		}
	/* keep_days before today, and today's own line while it is being loaded */
	if (u->nr_hist == PERSONS_DAYS_MAX + 1 || u->nr_hist > ps->keep_days) {
		memmove(u->hist, u->hist + 1, (u->nr_hist - 1) * sizeof(u->hist[0]));
		u->nr_hist--;
	}
	u->hist[u->nr_hist].day = day;
	u->hist[u->nr_hist].total = total;
	u->nr_hist++;
}

static uint64_t day_total(const struct person_user *u)
{
	return u->seen.len > u->saved_today ? u->seen.len : u->saved_today;
}

/* Move @u to @day: the previous day's count becomes history, the set starts empty. */
static void roll(struct persons *ps, struct person_user *u, int64_t day)
{
	struct person_set fresh;

	if (u->day == day)
		return;
	if (u->day >= 0 && day_total(u))
		hist_put(ps, u, u->day, day_total(u));
	if (!person_set_init(&fresh, PERSONS_PER_USER_MAX, 0)) {
		person_set_free(&u->seen);
		u->seen = fresh;
	}
	u->saved_today = 0;
	/* the day came back from disk (a restart): its total so far is a floor */
	if (u->nr_hist && u->hist[u->nr_hist - 1].day == day) {
		u->saved_today = u->hist[u->nr_hist - 1].total;
		u->nr_hist--;
	}
	u->day = day;
	ps->dirty = true;
}

static void load(struct persons *ps)
{
	FILE *f = fopen(ps->path, "re");
	unsigned long long total;
	long long day;
	unsigned int user;
	int line = 0;
	char buf[128];

	if (!f) {
		if (errno != ENOENT)
			log_warn("persons_viewed: cannot read %s: %s", ps->path, strerror(errno));
		return;
	}
	while (fgets(buf, sizeof(buf), f)) {
		struct person_user *u;

		line++;
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		if (sscanf(buf, "%u %lld %llu", &user, &day, &total) != 3 || day < 0) {
			log_warn("persons_viewed: %s:%d: not \"user day total\"; skipped", ps->path,
				 line);
			continue;
		}
		u = user_get(ps, user);
		if (u)
			hist_put(ps, u, day, total);
	}
	fclose(f);
}

struct persons *persons_new(const char *state_dir, unsigned int keep_days)
{
	struct persons *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->keep_days = keep_days ? keep_days : 1;
	if (hashmap_init(&ps->users, 16)) {
		free(ps);
		return NULL;
	}
	if (state_dir && *state_dir) {
		if (asprintf(&ps->path, "%s/%s", state_dir, STATE_FILE) < 0)
			ps->path = NULL;
		if (mkdir(state_dir, 0700) && errno != EEXIST)
			log_warn("persons_viewed: cannot create %s: %s", state_dir,
				 strerror(errno));
		if (ps->path)
			load(ps);
	}
	return ps;
}

void persons_free(struct persons *ps)
{
	size_t it = 0;
	void *v;

	if (!ps)
		return;
	persons_save(ps);
	while (hashmap_next(&ps->users, &it, NULL, &v)) {
		struct person_user *u = v;

		person_set_free(&u->seen);
		free(u);
	}
	hashmap_free(&ps->users);
	free(ps->path);
	free(ps);
}

int persons_add(struct persons *ps, __u32 user, int64_t day, uint64_t hash)
{
	struct person_user *u = user_get(ps, user);

	if (!u)
		return -ENOMEM;
	int ret;

	roll(ps, u, day);
	ret = person_set_add(&u->seen, hash, 1); /* no window: the day is the window */
	if (ret > 0)
		ps->dirty = true;
	return ret;
}

uint64_t persons_today(struct persons *ps, __u32 user, int64_t day)
{
	struct person_user *u = hashmap_get(&ps->users, user);

	if (!u)
		return 0;
	roll(ps, u, day);
	return day_total(u);
}

bool persons_baseline(struct persons *ps, __u32 user, int64_t day, unsigned int min_days,
		      uint64_t *mean, unsigned int *days)
{
	struct person_user *u = hashmap_get(&ps->users, user);
	uint64_t sum = 0;
	unsigned int i, n = 0;

	*mean = 0;
	*days = 0;
	if (!u)
		return false;
	roll(ps, u, day);
	for (i = 0; i < u->nr_hist; i++)
		if (u->hist[i].day < day && u->hist[i].day >= day - (int64_t)ps->keep_days) {
			sum += u->hist[i].total;
			n++;
		}
	*days = n;
	if (!n || n < min_days)
		return false;
	*mean = sum / n;
	return true;
}

static void write_user(FILE *f, const struct person_user *u)
{
	uint64_t today = day_total(u);
	unsigned int i;

	for (i = 0; i < u->nr_hist; i++)
		fprintf(f, "%u %lld %llu\n", u->user, (long long)u->hist[i].day,
			(unsigned long long)u->hist[i].total);
	if (u->day >= 0 && today)
		fprintf(f, "%u %lld %llu\n", u->user, (long long)u->day, (unsigned long long)today);
}

int persons_save(struct persons *ps)
{
	char tmp[4096];
	size_t it = 0;
	void *v;
	FILE *f;
	int fd, ret = 0;

	if (!ps->path || !ps->dirty)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", ps->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		log_warn("persons_viewed: cannot write %s: %s", tmp, strerror(-ret));
		return ret;
	}
	fputs("# cprwatch persons_viewed: login uid, day (since 1970, local), distinct persons\n",
	      f);
	while (hashmap_next(&ps->users, &it, NULL, &v))
		write_user(f, v);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, ps->path))
		ret = -errno;
	if (ret)
		log_warn("persons_viewed: cannot save %s: %s", ps->path, strerror(-ret));
	else
		ps->dirty = false;
	return ret;
}

bool persons_next(struct persons *ps, size_t *iter, __u32 *user)
{
	void *v;

	if (!hashmap_next(&ps->users, iter, NULL, &v))
		return false;
	*user = ((struct person_user *)v)->user;
	return true;
}
