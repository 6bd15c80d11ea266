// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "uring.h"

static int sys_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned int submit, unsigned int wait, unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, submit, wait, flags, NULL, 0);
}

int uring_register(struct uring *r, unsigned int op, const void *arg, unsigned int nr)
{
	return syscall(__NR_io_uring_register, r->fd, op, arg, nr) < 0 ? -errno : 0;
}

static void *ring_map(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

int uring_init(struct uring *r, unsigned int entries, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 1000 };
	char *sq, *cq;

	memset(r, 0, sizeof(*r));
	r->fd = sys_setup(entries, &p);
	if (r->fd < 0)
		return -errno;
	r->flags = flags;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_ring = ring_map(r->fd, r->sq_len, IORING_OFF_SQ_RING);
	r->cq_ring = ring_map(r->fd, r->cq_len, IORING_OFF_CQ_RING);
	r->sqes = ring_map(r->fd, r->sqes_len, IORING_OFF_SQES);
	if (!r->sq_ring || !r->cq_ring || !r->sqes) {
		uring_exit(r);
		return -ENOMEM;
	}
	sq = r->sq_ring;
	cq = r->cq_ring;
	r->sq_head = (unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned int *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

void uring_exit(struct uring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_ring)
		munmap(r->cq_ring, r->cq_len);
	if (r->sq_ring)
		munmap(r->sq_ring, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

struct io_uring_sqe *uring_sqe(struct uring *r)
{
	unsigned int tail = *r->sq_tail + r->queued;
	unsigned int head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	struct io_uring_sqe *sqe;

	if (tail - head > *r->sq_mask)
		return NULL;
	sqe = &r->sqes[tail & *r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[tail & *r->sq_mask] = tail & *r->sq_mask;
	r->queued++;
	return sqe;
}

int uring_submit(struct uring *r, unsigned int wait)
{
	unsigned int n = r->queued, flags = wait ? IORING_ENTER_GETEVENTS : 0;

	__atomic_store_n(r->sq_tail, *r->sq_tail + n, __ATOMIC_RELEASE);
	r->queued = 0;
	if (r->flags & IORING_SETUP_SQPOLL) {
		/* the kernel thread submits; wake it if it went idle */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
			flags |= IORING_ENTER_SQ_WAKEUP;
		n = 0;
		if (!flags)
			return 0;
	}
	return sys_enter(r->fd, n, wait, flags) < 0 ? -errno : 0;
}

int uring_peek(struct uring *r, struct io_uring_cqe *out)
{
	unsigned int head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return 0;
	*out = r->cqes[head & *r->cq_mask];
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

int uring_run1(struct uring *r)
{
	struct io_uring_cqe cqe;
	int ret = uring_submit(r, 1);

	if (ret)
		return ret;
	while (!uring_peek(r, &cqe)) {
		ret = sys_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS);
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
	return cqe.res;
}
