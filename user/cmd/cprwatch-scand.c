// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cprwatch-scand: the sandboxed content scanner.  Started by cprwatchd and by
 * cprwatchctl scan (never by hand) with its end of a socketpair on fd 3; see
 * user/scan/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "scan/scand.h"

static int number(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "max-mem-mib", required_argument, NULL, 'm' },
		{ "cpu-budget", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct scand_opts o = { .sock = SCAND_SOCK_FD,
				.uid = 65534,
				.gid = 65534,
				.max_mem = 1ULL << 30,
				.cpu_budget_s = 300 };
	unsigned long long v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?' || number(optarg, UINT32_MAX, &v))
			goto usage;
		if (c == 'u')
			o.uid = v;
		else if (c == 'g')
			o.gid = v;
		else if (c == 'm')
			o.max_mem = v << 20;
		else
			o.cpu_budget_s = v;
	}
	if (optind != argc || isatty(SCAND_SOCK_FD))
		goto usage;
	ret = scand_lockdown(&o);
	if (ret) {
		fprintf(stderr, "cprwatch-scand: cannot lock itself down: %s\n", strerror(-ret));
		return 126;
	}
	return scand_serve(o.sock, o.cpu_budget_s);
usage:
	fprintf(stderr,
		"cprwatch-scand is started by cprwatchd and cprwatchctl, not by hand\n"
		"usage: cprwatch-scand [--uid N] [--gid N] [--max-mem-mib N] [--cpu-budget S]\n");
	return 2;
}
