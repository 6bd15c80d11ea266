/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A minimal io_uring for tests and benches, on the raw syscalls (no
 * liburing): set up a ring, queue SQEs, submit and wait, reap CQEs.  Enough
 * for the integration test's copies (tests/integration/uring_copy.c) and the
 * bench loop (bench/uring_loop.c); not a general library.
 */
#ifndef CPRW_TEST_URING_H
#define CPRW_TEST_URING_H

#include <linux/io_uring.h>
#include <stddef.h>

struct uring {
	int fd;
	unsigned int flags; /* IORING_SETUP_* */
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int queued; /* SQEs filled in since the last submit */
	void *sq_ring, *cq_ring;
	size_t sq_len, cq_len, sqes_len;
};

/* Returns 0 or -errno. */
int uring_init(struct uring *r, unsigned int entries, unsigned int flags);
void uring_exit(struct uring *r);
/* The next free SQE, zeroed, or NULL when the queue is full. */
struct io_uring_sqe *uring_sqe(struct uring *r);
/* Submit what is queued and wait for @wait completions; returns 0 or -errno. */
int uring_submit(struct uring *r, unsigned int wait);
/* Take one completion if there is one: 1 (in @out), or 0. */
int uring_peek(struct uring *r, struct io_uring_cqe *out);
/* Submit one queued SQE and return its result (cqe->res). */
int uring_run1(struct uring *r);
/* io_uring_register(2) */
int uring_register(struct uring *r, unsigned int op, const void *arg, unsigned int nr);

#endif
