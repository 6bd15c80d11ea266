/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Network destinations from the config ("host:port", "[v6]:port", and with
 * any_port "host" or "[v6]" alone), matched against connect and tcp_close
 * addresses: the CPR services of lookup_burst, network_exfil's allow list.
 *
 * A numeric address is parsed at once.  A name is resolved by a thread of its
 * own, at every endpoints_set() and again every ENDPOINTS_RESOLVE_NS from
 * endpoints_tick(), and the answer replaces the last one when it comes:
 * getaddrinfo() may block for seconds on a slow or dead DNS server, and the
 * event loop must not (the ring buffer would fill and the kernel drop
 * events).  A plain thread rather than getaddrinfo_a(): that is a thread too,
 * plus a signal or callback to learn it is done.  Until the first answer, and
 * when a name does not resolve, that name matches nothing.  With @sync (a
 * replay: nothing waits, and the same input must give the same alerts) names
 * are resolved at once.
 */
#ifndef CPRW_ENDPOINTS_H
#define CPRW_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cprwatch/events.h"

struct endpoints;

struct endpoints *endpoints_new(void);
/* Drop what was set and take @specs (copied); @what names them in warnings. */
void endpoints_set(struct endpoints *e, char *const *specs, size_t n, bool any_port,
		   const char *what, bool sync);
/* A port of 0 in a spec (any_port) matches every port. */
bool endpoints_match(struct endpoints *e, __u16 family, const __u8 *addr, __u16 port);
/*
 * Every address matched now (numeric and resolved) into a new array *@out
 * (a port of 0: any); the count, or -ENOMEM.  The caller frees *@out.
 */
int endpoints_addrs(struct endpoints *e, struct endpoint_key **out);
/* Changes whenever the addresses matched change (a set, a resolver's answer). */
unsigned int endpoints_version(struct endpoints *e);
/* Resolve the names again once ENDPOINTS_RESOLVE_NS have passed since the last time. */
void endpoints_tick(struct endpoints *e, uint64_t now_ns);
/* A resolver still running frees what it shares when it is done. */
void endpoints_free(struct endpoints *e);

#endif
