/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The sandboxed scanner's side (cprwatch-scand): lock the process down, then
 * answer scan requests on the socket until the agent closes it.
 */
#ifndef CPRW_SCAND_H
#define CPRW_SCAND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SCAND_SOCK_FD 3 /* the agent's end of the socketpair is here at exec */

struct scand_opts {
	int sock;
	uid_t uid; /* dropped to when started as root */
	gid_t gid;
	uint64_t max_mem;	   /* RLIMIT_AS, bytes */
	unsigned int cpu_budget_s; /* recycle after this much CPU; RLIMIT_CPU a bit above */
};

/* Drops privileges and installs the seccomp filter; 0 or negative errno. */
int scand_lockdown(const struct scand_opts *o);
/* The seccomp allow-list (scand_filter.c); 0 or negative errno. */
int scand_filter_install(void);
/* Serves requests until EOF; returns the process exit status. */
int scand_serve(int sock, unsigned int cpu_budget_s);

#endif
