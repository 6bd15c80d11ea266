/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Growable byte buffers: the one place their capacity grows.  The JSON
 * writer, the syslog formatter, the SOC connections' output queues, the
 * control socket's input, the spool's record buffer, the scanner's nested
 * archive buffer and cprwatchctl's reply all grow through buf_grow().
 */
#ifndef CPRW_BUF_H
#define CPRW_BUF_H

#include <stddef.h>

/*
 * Room for @need bytes in the block whose address is at @pp (a char ** or
 * any other pointer-to-pointer) with capacity *@cap: the capacity doubles
 * from @initial (or from *@cap) until it fits, but never past @max (0: no
 * limit).  Returns 0; -E2BIG when @need is over @max; -ENOMEM (the block
 * and *@cap are left as they were).
 */
int buf_grow(void *pp, size_t *cap, size_t need, size_t initial, size_t max);

#endif
