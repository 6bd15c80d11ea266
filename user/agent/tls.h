/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * TLS plaintext probes (bpf/tls.bpf.c) on OpenSSL, GnuTLS and NSS, attached
 * per process (user/agent/uprobes_proc.c) to CPR clients only: at their exec,
 * at a fork of one, and to those already running at start; never
 * system-wide, so no other program's TLS calls trap.  A uprobes_proc of its
 * own, apart from the clipboard's, because these go on CPR clients alone
 * while the clipboard probes go on every tracked process.
 */
#ifndef CPRW_TLS_H
#define CPRW_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include "uprobes_proc.h"

struct bpf_object;
struct json;
struct proc;

#define TLS_LIBS_MAX 8

struct tls_probes {
	struct uprobes_proc up;
	bool up_ready;
	char libs[TLS_LIBS_MAX][256]; /* library files probed */
	unsigned int nr_libs;
};

/* Find the libraries and register their calls; 0 or -errno. */
int tls_probes_init(struct tls_probes *tp, struct bpf_object *obj, bool multi);
void tls_probes_free(struct tls_probes *tp);
/* Give @p its TLS probes when it is a CPR client (@event_ns: the kernel event's time). */
void tls_follow(struct tls_probes *tp, const struct proc *p, uint64_t event_ns);
void tls_detach(struct tls_probes *tp, int tgid);
/* "tls_probes": libraries and the per-process attach counters. */
void tls_status_json(struct json *j, const struct tls_probes *tp);

#endif
