/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Content scans off the event loop: a bounded queue feeding worker threads,
 * one list per user served round robin, so no user can starve the others'
 * scans.  Intake never waits: when the queue or the user's share of it is
 * full a request is dropped and counted (the caller raises scan_backlog).
 * Each worker parses in its own sandboxed helper process (sandbox.h): the
 * worker opens the file and hands the descriptor over.  Results come back
 * through a done list and an eventfd the event loop polls.  Results are cached by (dev, ino, size, mtime, ctime), so a file
 * is scanned once however often it is opened, and again after any change.
 */
#ifndef CPRW_SCANQ_H
#define CPRW_SCANQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "cprwatch/events.h"
#include "lib/hashmap.h"
#include "sandbox.h"
#include "scan.h"

enum scan_why {
	SCAN_WHY_WRITTEN = 1, /* written to an export path, tainted, or by a CPR client */
	SCAN_WHY_APP_READ,    /* opened by a messaging app, browser or sync tool */
};

/* What a scan is for: everything the rules need when the result comes back. */
struct scan_request {
	char *path;
	struct file_id id;
	__u32 why; /* enum scan_why */
	__u32 tgid;
	__u32 uid;
	__u32 loginuid;
	__u32 classes;
	__u32 export_kind;
	bool tainted;
	struct file_id origin;
	uint64_t ts_ns;
	uint64_t bytes_written;
};

/* What the cache keys a result on besides the file's identity. */
struct scan_stamp {
	uint64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
};

struct scan_job {
	struct scan_request rq;
	struct scan_result res;
	bool cached;		 /* answered from the cache, not scanned again */
	struct scan_stamp stamp; /* of the file as scanned */
	struct scan_job *next;
};

struct scanq_stats {
	uint64_t submitted;
	uint64_t scanned;
	uint64_t cache_hits;
	uint64_t dropped;    /* queue full */
	uint64_t duplicates; /* same file already queued */
	uint64_t gone;	     /* file vanished or was replaced before the scan */
};

/* One user's queued scans; users with scans queued form a ring. */
struct scanq_user {
	__u32 uid;
	unsigned int queued;
	uint64_t dropped;
	struct scan_job *head, *tail;
	struct scanq_user *next; /* in q->ring while head != NULL */
};

/* scan_fd()'s shape (scan/scan.h) */
typedef int scanq_in_process_fn(int fd, const struct scan_limits *lim,
				const struct scan_hooks *hooks, struct scan_result *res);

struct scanq {
	pthread_t *threads;
	unsigned int nr_threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hashmap users;	 /* uid -> struct scanq_user, under lock */
	struct scanq_user *ring; /* user served last; NULL when nothing is queued */
	struct scan_job *done, *done_tail;
	unsigned int todo_len; /* queued, all users */
	unsigned int max_queue;
	unsigned int max_per_user; /* queued per user before drops */
	bool stop;
	int efd; /* readable when done is not empty */
	struct scan_limits lim;
	struct hashmap cache; /* main thread only: key -> struct scan_job copy */
	struct scanq_stats stats;
	const struct sandbox_cfg *sbx;	 /* the helper every worker starts */
	scanq_in_process_fn *in_process; /* or this, with no sandbox (unit tests) */
	struct sandbox_stats sbx_stats;	 /* updated atomically by the workers */
};

/*
 * From @cfg: workers, queue and per_user (per_user 0 or above queue:
 * queue); the caps are @lim's.  @sbx: the sandbox config (must outlive the
 * queue), or NULL and @in_process scans in the worker thread (scan_fd(), for
 * unit tests only: the agent never parses a file itself, and since the queue
 * names no parser, the agent does not even link them).  -EINVAL without
 * either.
 */
int scanq_init(struct scanq *q, const struct scan_config *cfg, const struct scan_limits *lim,
	       const struct sandbox_cfg *sbx, scanq_in_process_fn *in_process);
/* Stops the workers (jobs in the queue are dropped) and frees everything. */
void scanq_destroy(struct scanq *q);
/*
 * Queue a scan (copies @rq), charged to rq->loginuid (rq->uid without one).
 * 0 queued or answered from cache, -EAGAIN dropped (queue or the user's share
 * full), -ENOENT gone.
 */
int scanq_submit(struct scanq *q, const struct scan_request *rq);
/* Next finished job (caller frees with scan_job_free), or NULL. */
struct scan_job *scanq_take(struct scanq *q);
void scan_job_free(struct scan_job *j);
/* Copy @src into @dst with its own path string. */
int scan_request_copy(struct scan_request *dst, const struct scan_request *src);
/* Block until the queue is empty and every worker is idle (tests, --duration end). */
void scanq_drain(struct scanq *q, unsigned int timeout_ms);

#endif
