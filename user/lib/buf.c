// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

#define BUF_INITIAL 256

int buf_grow(void *pp, size_t *cap, size_t need, size_t initial, size_t max)
{
	size_t c = *cap ? *cap : initial;
	void *old, *nb;

	if (need <= *cap)
		return 0;
	if (max && need > max)
		return -E2BIG;
	if (!c)
		c = need;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	if (max && c > max)
		c = max;
	/* through memcpy: @pp may point to any pointer type */
	memcpy(&old, pp, sizeof(old));
	nb = realloc(old, c);
	if (!nb)
		return -ENOMEM;
	memcpy(pp, &nb, sizeof(nb));
	*cap = c;
	return 0;
}

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

bool buf_reserve(struct buf *b, size_t n)
{
	if (!b->oom && buf_grow(&b->data, &b->cap, b->len + n + 1, BUF_INITIAL, 0))
		b->oom = true;
	return !b->oom;
}

void buf_put_grow(struct buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}
