/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's side of the scanner sandbox: a helper process per caller (each
 * scan queue worker, cprwatchctl scan), started on first use, handed each
 * file as an open descriptor, restarted after it crashes, overruns or is
 * killed by its seccomp filter.  See user/scan/README.md.
 *
 * One struct sandbox belongs to one thread; the config and the stats may be
 * shared (stats are updated atomically).
 */
#ifndef CPRW_SANDBOX_H
#define CPRW_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "sandbox_proto.h"
#include "scan.h"

#define SANDBOX_USER "cprwatch-scan" /* the package's system user; else nobody */
#define SANDBOX_HELPER "cprwatch-scand"
#define SANDBOX_GRACE_MS 3000 /* past max_time_ms before the helper is killed */

struct sandbox_cfg {
	char helper[PATH_MAX]; /* "" when not found */
	uid_t uid;	       /* the helper drops to these when started as root */
	gid_t gid;
	struct person_key key;	  /* handed to each helper at start: person hashes */
	unsigned int max_mem_mib; /* RLIMIT_AS of the helper; 0: 1024 */
};

struct sandbox_stats {
	uint64_t started;      /* helpers started */
	uint64_t crashed;      /* died on a file (signal or exit) or sent garbage */
	uint64_t timeouts;     /* killed for not answering in time, or CPU limit */
	uint64_t seccomp;      /* killed by the seccomp filter */
	uint64_t start_failed; /* could not be started or could not lock down */
};

struct sandbox {
	const struct sandbox_cfg *cfg;
	struct sandbox_stats *st;
	pid_t pid; /* 0: not running */
	int sock;
	uint32_t seq;
	uint8_t *buf; /* SBX_MSG_MAX */
};

/*
 * Finds the helper ($CPRWATCH_SCAND, beside the running executable, then the
 * install directory) and the user it runs as; key may be NULL (no person
 * hashes will be asked for).  -ENOENT when no helper was found (scans will
 * then be refused, saying so).
 */
int sandbox_cfg_init(struct sandbox_cfg *cfg, const struct person_key *key);

int sandbox_init(struct sandbox *sb, const struct sandbox_cfg *cfg, struct sandbox_stats *st);
void sandbox_destroy(struct sandbox *sb);

/*
 * Scans the open file fd in the helper, as scan_fd() would.  Always fills
 * res: the helper's result, or SCAN_REFUSED with reason crashed, timeout,
 * seccomp or sandbox unavailable.  With lim->person_key set (it must be the
 * cfg's key: the helper holds that one) res->persons carries the person
 * hashes (scan_result_release()).  Returns res->status.
 */
int sandbox_scan(struct sandbox *sb, int fd, const struct scan_limits *lim,
		 struct scan_result *res);

#endif
