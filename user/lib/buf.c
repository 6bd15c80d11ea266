// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

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
