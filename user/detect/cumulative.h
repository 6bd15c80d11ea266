/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What one login user sent out, added up across files and channels: the
 * distinct people (keyed hashes, lib/person_set.h) in the files that left
 * within a sliding window, and the files that made up the total.  The
 * bulk_export rule alerts on the total (rules.c), so 30 pieces of 20 read
 * as one export of 600.
 */
#ifndef CPRW_CUMULATIVE_H
#define CPRW_CUMULATIVE_H

#include <stdint.h>
#include "cprwatch/events.h"
#include "lib/person_set.h"

#define CUM_FILES 64	      /* files remembered per user, newest kept */
#define CUM_MAX_PERSONS 65536 /* per user: at most 2 MiB of table */

struct cum_file {
	char *path; /* NULL: free slot */
	struct file_id id;
	uint32_t added; /* people it brought that were new to the window */
	uint64_t ts_ns;
};

struct cumulative {
	struct person_set persons;
	struct cum_file files[CUM_FILES]; /* ring, oldest at head */
	unsigned int head, len;
	uint64_t last_add_ns;	   /* the total last grew */
	unsigned int reported;	   /* level last alerted: 0 none, 1 high, 2 critical */
	__u32 tgid, uid, loginuid; /* who sent the latest file, for the alert */
};

int cumulative_init(struct cumulative *c, uint64_t window_ns);
void cumulative_free(struct cumulative *c);
/* Adds the people of a file that left at @now_ns; returns how many were new. */
uint32_t cumulative_add(struct cumulative *c, const char *path, const struct file_id *id,
			const uint64_t *persons, uint32_t n, uint64_t now_ns);
/* The total within the window ending at @now_ns (a lower bound when saturated). */
uint32_t cumulative_total(struct cumulative *c, uint64_t now_ns);
/* Paths of the files within the window that added people, oldest first; returns how many. */
unsigned int cumulative_files(const struct cumulative *c, uint64_t now_ns, const char **paths,
			      unsigned int max);

#endif
