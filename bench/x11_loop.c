// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The X11 loop of bench/cost.sh: N small xcb requests (InternAtom, only if
 * the atom exists), pipelined in batches of 1000 with one round trip per
 * batch, against $DISPLAY (an Xvfb of the bench's own).  Tracked, every
 * request is read off the wire by the agent's X11 parser (raw dispatcher) or,
 * on the tracepoint fallback, traps into the uprobe on libxcb's request entry
 * point.  Prints, as bench/workload does:
 *
 *   x11 n=<N> elapsed_ns=<ns> ns_per_op=<ns> cpu_ns=<ns>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <xcb/xcb.h>

#define BATCH 1000

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

int main(int argc, char **argv)
{
	unsigned long long t0, c0, t, c;
	xcb_connection_t *conn;
	long n, i, k;

	n = argc == 2 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: x11_loop N\n");
		return 2;
	}
	conn = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(conn)) {
		fprintf(stderr, "x11_loop: cannot connect to the X server ($DISPLAY)\n");
		return 1;
	}
	c0 = cpu_ns();
	t0 = now_ns();
	for (i = 0; i < n; i += BATCH) {
		for (k = 0; k < BATCH && i + k < n; k++)
			xcb_discard_reply(conn, xcb_intern_atom(conn, 1, 7, "PRIMARY").sequence);
		free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
	}
	t = now_ns() - t0;
	c = cpu_ns() - c0;
	if (xcb_connection_has_error(conn)) {
		fprintf(stderr, "x11_loop: the X connection failed\n");
		return 1;
	}
	xcb_disconnect(conn);
	printf("x11 n=%ld elapsed_ns=%llu ns_per_op=%llu cpu_ns=%llu\n", n, t, t / n, c);
	return 0;
}
