// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "scanq.h"
#include "scan_open.h"
#include "event/decode.h"

#define CACHE_MAX 16384

/*
 * Identity, size, mtime and ctime: a user can rewrite a file at the same size
 * and set its mtime back (utimensat), but ctime moves with every change and
 * only the clock can set it.
 */
static uint64_t cache_key(const struct file_id *id, const struct scan_stamp *s)
{
	return hashmap_hash_pair(hashmap_hash_pair(hashmap_hash_pair(id->dev, id->ino),
						   hashmap_hash_pair(s->size, s->mtime_ns)),
				 s->ctime_ns);
}

static void stamp_of(const struct stat *st, struct scan_stamp *s)
{
	s->size = st->st_size;
	s->mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	s->ctime_ns = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

int scan_request_copy(struct scan_request *dst, const struct scan_request *src)
{
	*dst = *src;
	dst->path = strdup(src->path ? src->path : "");
	return dst->path ? 0 : -ENOMEM;
}

void scan_job_free(struct scan_job *j)
{
	if (!j)
		return;
	free(j->rq.path);
	scan_result_release(&j->res);
	free(j);
}

static void push(struct scan_job **head, struct scan_job **tail, struct scan_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct scan_job *pop(struct scan_job **head, struct scan_job **tail)
{
	struct scan_job *j = *head;

	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void signal_done(struct scanq *q)
{
	uint64_t one = 1;

	if (write(q->efd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the loop is already due to wake */
	}
}

/*
 * The file was renamed in its directory since the event (CUPS writes a job
 * document under a temporary name, then renames it; an untracked process's
 * rename is not reported): the entry with the same inode, if any, replaces
 * *path.  0 when found.
 */
static int renamed_in_dir(char **path, const struct file_id *id)
{
	char *slash = strrchr(*path, '/'), *name = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = -ENOENT;

	if (!slash || slash == *path)
		return -ENOENT;
	*slash = '\0';
	d = opendir(*path);
	while (d && (de = readdir(d))) {
		if (de->d_ino != id->ino)
			continue;
		if (asprintf(&name, "%s/%s", *path, de->d_name) < 0) {
			name = NULL;
			break;
		}
		if (!lstat(name, &st) && event_kernel_dev(st.st_dev) == id->dev &&
		    st.st_ino == id->ino) {
			ret = 0;
			break;
		}
		free(name);
		name = NULL;
	}
	if (d)
		closedir(d);
	*slash = '/';
	if (!ret) {
		free(*path);
		*path = name;
	}
	return ret;
}

/*
 * Scan the file the request names, but only if it is still the same inode:
 * a path reused by another file since the event must not be blamed on it.
 * scan_open() refuses a path through a symlink and anything not a regular
 * file before opening it for reading: a refusal is reported, not scanned.
 */
static void run_job(struct scanq *q, struct sandbox *sb, struct scan_job *j)
{
	struct stat st;
	int fd = scan_open(j->rq.path, &st, j->res.msg, sizeof(j->res.msg));

	if (fd == -ENOENT && !renamed_in_dir(&j->rq.path, &j->rq.id))
		fd = scan_open(j->rq.path, &st, j->res.msg, sizeof(j->res.msg));
	j->res.status = SCAN_OK;
	if (fd == -ELOOP || fd == -EINVAL) {
		j->res.status = SCAN_REFUSED;
		j->res.reason = SCAN_R_PATH;
		j->res.err = -fd;
		return;
	}
	if (fd < 0 || event_kernel_dev(st.st_dev) != j->rq.id.dev || st.st_ino != j->rq.id.ino) {
		j->res.status = SCAN_ERROR;
		j->res.reason = SCAN_R_IO;
		j->res.err = fd < 0 ? -fd : ESTALE;
		snprintf(j->res.msg, sizeof(j->res.msg), "file gone or replaced before the scan");
		if (fd >= 0)
			close(fd);
		return;
	}
	stamp_of(&st, &j->stamp);
	if (sb)
		sandbox_scan(sb, fd, &q->lim, &j->res);
	else
		q->in_process(fd, &q->lim, NULL, &j->res);
	close(fd);
}

/*
 * Users take turns: each has its own list, and the workers serve the users
 * with queued scans round robin, one job each.  q->ring points at the user
 * served last; the next one is q->ring->next.  A user who queues thousands of
 * slow files (sparse giants, deep archives) then delays only their own scans.
 */
static struct scan_job *next_fair(struct scanq *q)
{
	struct scanq_user *prev = q->ring, *u = prev->next;
	struct scan_job *j = pop(&u->head, &u->tail);

	u->queued--;
	q->todo_len--;
	if (u->head) {
		q->ring = u;
	} else if (u == prev) {
		q->ring = NULL;
	} else {
		prev->next = u->next;
	}
	if (!u->head)
		u->next = NULL;
	return j;
}

/* Queue @j for its user, joining the round robin at its end. */
static void enqueue(struct scanq *q, struct scanq_user *u, struct scan_job *j)
{
	if (!u->head) {
		if (q->ring) {
			u->next = q->ring->next;
			q->ring->next = u;
		} else {
			u->next = u;
		}
		q->ring = u;
	}
	push(&u->head, &u->tail, j);
	u->queued++;
	q->todo_len++;
}

/* The queue of the user a request is charged to (login uid when there is one). */
static struct scanq_user *user_of_request(struct scanq *q, const struct scan_request *rq)
{
	__u32 uid = rq->loginuid != (__u32)-1 ? rq->loginuid : rq->uid;
	struct scanq_user *u = hashmap_get(&q->users, uid);

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	if (hashmap_put(&q->users, uid, u, NULL)) {
		free(u);
		return NULL;
	}
	return u;
}

static void *worker(void *arg)
{
	struct scanq *q = arg;
	struct sandbox sb, *sbp = q->sbx ? &sb : NULL;
	struct scan_job *j;

	if (sbp && sandbox_init(sbp, q->sbx, &q->sbx_stats))
		return NULL;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->stop && !q->ring)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stop)
			break;
		j = next_fair(q);
		pthread_mutex_unlock(&q->lock);
		run_job(q, sbp, j);
		pthread_mutex_lock(&q->lock);
		q->stats.scanned++;
		push(&q->done, &q->done_tail, j);
		signal_done(q);
		pthread_cond_broadcast(&q->cond); /* scanq_drain waits on it too */
	}
	pthread_mutex_unlock(&q->lock);
	if (sbp)
		sandbox_destroy(sbp);
	return NULL;
}

int scanq_init(struct scanq *q, const struct scan_config *cfg, const struct scan_limits *lim,
	       const struct sandbox_cfg *sbx, scanq_in_process_fn *in_process)
{
	unsigned int workers = cfg->workers, max_queue = cfg->queue, max_per_user = cfg->per_user;
	unsigned int i;

	if (!sbx && !in_process)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->sbx = sbx;
	q->in_process = in_process;
	q->max_queue = max_queue ? max_queue : 1;
	q->max_per_user = max_per_user && max_per_user < q->max_queue ? max_per_user : q->max_queue;
	if (lim)
		q->lim = *lim;
	else
		scan_limits_default(&q->lim);
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0 || hashmap_init(&q->cache, 256) || hashmap_init(&q->users, 16))
		return -errno ?: -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->threads = calloc(workers ? workers : 1, sizeof(*q->threads));
	if (!q->threads)
		return -ENOMEM;
	for (i = 0; i < (workers ? workers : 1); i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q))
			break;
		q->nr_threads++;
	}
	return q->nr_threads ? 0 : -EAGAIN;
}

static void free_list(struct scan_job *j)
{
	while (j) {
		struct scan_job *n = j->next;

		scan_job_free(j);
		j = n;
	}
}

void scanq_destroy(struct scanq *q)
{
	size_t it = 0;
	unsigned int i;
	void *v;

	if (!q->threads && q->efd <= 0)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nr_threads; i++)
		pthread_join(q->threads[i], NULL);
	free(q->threads);
	free_list(q->done);
	while (hashmap_next(&q->cache, &it, NULL, &v))
		free(v);
	hashmap_free(&q->cache);
	it = 0;
	while (hashmap_next(&q->users, &it, NULL, &v)) {
		free_list(((struct scanq_user *)v)->head);
		free(v);
	}
	hashmap_free(&q->users);
	if (q->efd >= 0)
		close(q->efd);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	memset(q, 0, sizeof(*q));
	q->efd = -1;
}

/* A cache entry is a finished job's result, keyed by identity, size and mtime. */
static void cache_store(struct scanq *q, const struct scan_job *j)
{
	struct scan_job *c, *old;

	if (j->cached || j->res.reason == SCAN_R_IO || j->res.reason == SCAN_R_PATH ||
	    !j->stamp.mtime_ns)
		return;
	if (q->cache.len >= CACHE_MAX) {
		size_t it = 0;
		void *v;

		while (hashmap_next(&q->cache, &it, NULL, &v))
			free(v);
		hashmap_free(&q->cache);
		hashmap_init(&q->cache, 256);
	}
	c = malloc(sizeof(*c));
	if (!c)
		return;
	*c = *j;
	c->rq.path = NULL;
	/*
	 * A hit is the same file unchanged: whoever it was written for was
	 * counted at its first scan, so the cache keeps no persons.
	 */
	c->res.persons = NULL;
	c->res.nr_persons = 0;
	c->next = NULL;
	if (hashmap_put(&q->cache, cache_key(&j->rq.id, &j->stamp), c, (void **)&old))
		free(c);
	else
		free(old);
}

int scanq_submit(struct scanq *q, const struct scan_request *rq)
{
	struct scanq_user *u = NULL;
	struct scan_job *j, *hit;
	struct scan_stamp now;
	struct stat st;

	q->stats.submitted++;
	j = calloc(1, sizeof(*j));
	if (!j || scan_request_copy(&j->rq, rq)) {
		free(j);
		return -ENOMEM;
	}
	if ((stat(j->rq.path, &st) || event_kernel_dev(st.st_dev) != rq->id.dev ||
	     st.st_ino != rq->id.ino) &&
	    (renamed_in_dir(&j->rq.path, &rq->id) || stat(j->rq.path, &st))) {
		q->stats.gone++;
		scan_job_free(j);
		return -ENOENT;
	}
	stamp_of(&st, &now);
	hit = hashmap_get(&q->cache, cache_key(&rq->id, &now));
	pthread_mutex_lock(&q->lock);
	if (hit && hit->rq.id.dev == rq->id.dev && hit->rq.id.ino == rq->id.ino &&
	    !memcmp(&hit->stamp, &now, sizeof(now))) {
		j->res = hit->res;
		j->stamp = hit->stamp;
		j->cached = true;
		q->stats.cache_hits++;
		push(&q->done, &q->done_tail, j);
		signal_done(q);
	} else if (!(u = user_of_request(q, rq)) || u->queued >= q->max_per_user ||
		   q->todo_len >= q->max_queue) {
		q->stats.dropped++;
		if (u)
			u->dropped++;
		pthread_mutex_unlock(&q->lock);
		scan_job_free(j);
		return -EAGAIN;
	} else {
		enqueue(q, u, j);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return 0;
}

struct scan_job *scanq_take(struct scanq *q)
{
	struct scan_job *j;
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	j = pop(&q->done, &q->done_tail);
	if (!q->done && read(q->efd, &n, sizeof(n)) < 0) {
		/* nothing pending on the eventfd: fine */
	}
	pthread_mutex_unlock(&q->lock);
	if (j)
		cache_store(q, j);
	return j;
}

void scanq_drain(struct scanq *q, unsigned int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while ((q->todo_len || q->stats.scanned + q->stats.cache_hits + q->stats.dropped <
				       q->stats.submitted - q->stats.gone) &&
	       pthread_cond_timedwait(&q->cond, &q->lock, &until) == 0)
		;
	pthread_mutex_unlock(&q->lock);
}
