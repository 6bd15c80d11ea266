/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Growable byte buffers: the one place their capacity grows.  The JSON
 * writer and the syslog formatter share struct buf below; the SOC
 * connections' output queues, the control socket's input, the spool's record
 * buffer and cprwatchctl's reply are byte queues with caps of their own
 * (consumed from the front, a maximum size) and grow through buf_grow().
 */
#ifndef CPRW_BUF_H
#define CPRW_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Room for @need bytes in the block whose address is at @pp (a char ** or
 * any other pointer-to-pointer) with capacity *@cap: the capacity doubles
 * from @initial (or from *@cap) until it fits, but never past @max (0: no
 * limit).  Returns 0; -E2BIG when @need is over @max; -ENOMEM (the block
 * and *@cap are left as they were).
 */
int buf_grow(void *pp, size_t *cap, size_t need, size_t initial, size_t max);

/*
 * A growable text buffer: the JSON writer's and the syslog formatter's
 * output.  A zeroed struct is empty.  data is NUL-terminated once anything
 * was put.  After a failed allocation oom stays set and further puts are
 * dropped: the content is incomplete and the caller says so.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empty again (the memory is kept; oom cleared). */
void buf_clear(struct buf *b);
/* Room for @n more bytes and the NUL; false (and oom set) when there is none. */
bool buf_reserve(struct buf *b, size_t n);
void buf_put_grow(struct buf *b, const void *p, size_t n);

/* Append @n bytes.  Inline while they fit: the JSON writer appends byte by byte. */
static inline void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n && !b->oom) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	buf_put_grow(b, p, n);
}

#endif
