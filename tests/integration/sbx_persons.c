// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sbx_persons FILE: scans FILE in this process and through the sandboxed
 * helper (cprwatch-scand beside this program's build tree, or
 * $CPRWATCH_SCAND) under the same person key, and prints
 * "distinct=N persons=M same=yes|no": the person hashes that cross the
 * sandbox boundary must be exactly those an in-process scan computes.
 * Used by test_sandbox.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/person_set.h"
#include "scan/sandbox.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sandbox_stats st = { 0 };
	struct scan_result in, out;
	struct scan_limits lim;
	struct sandbox_cfg cfg;
	struct person_key key;
	struct sandbox sb;
	bool same;
	int fd;

	if (argc != 2 || person_set_key_random(&key)) {
		fprintf(stderr, "usage: sbx_persons FILE\n");
		return 2;
	}
	scan_limits_default(&lim);
	lim.person_key = &key;
	if (sandbox_cfg_init(&cfg, &key) || sandbox_init(&sb, &cfg, &st)) {
		fprintf(stderr, "sbx_persons: no scanner helper\n");
		return 2;
	}
	fd = scan_file_open(argv[1]);
	if (fd < 0)
		return 2;
	scan_fd(fd, &lim, NULL, &in);
	sandbox_scan(&sb, fd, &lim, &out);
	sandbox_destroy(&sb);
	qsort(in.persons, in.nr_persons, sizeof(uint64_t), cmp_u64);
	qsort(out.persons, out.nr_persons, sizeof(uint64_t), cmp_u64);
	same = in.nr_persons == out.nr_persons &&
	       (!in.nr_persons || !memcmp(in.persons, out.persons, in.nr_persons * 8));
	printf("status=%s distinct=%llu persons=%u same=%s\n", scan_status_str(out.status),
	       (unsigned long long)out.cpr.distinct, out.nr_persons, same ? "yes" : "no");
	scan_result_release(&in);
	scan_result_release(&out);
	close(fd);
	return 0;
}
