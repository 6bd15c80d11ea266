// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Scanner throughput.  bench/scan.sh drives it and times grep on the same
 * files as the baseline.
 *
 *   scan_bench gen DIR [MB]     write DIR/text.txt (MB of number-dense text with
 *                               sparse synthetic CPR numbers), DIR/prose.txt (MB/2,
 *                               mostly sentences) and DIR/sheet.xlsx (a client list)
 *   scan_bench scan FILE [N]    scan_file() N times, print the best wall and CPU time
 *   scan_bench sandbox FILE [N] the same open file scanned N times in this process
 *                               and N times through the sandboxed helper
 *                               ($CPRWATCH_SCAND): per-file wall (median) and CPU
 *                               time (this process, plus the helper's), and the
 *                               round trip's overhead
 *
 * The bench build links one source file against the library, so the test
 * data generators are compiled in from tests/unit directly.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "scan/sandbox.h"
#include "scan/scan.h"
#include "cpr_gen.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

/*
 * Text: generate 8 MiB blocks with fresh numbers, write them out.  prose_pct
 * of the lines are sentences; the rest are number-dense business lines
 * (phones, invoices, IBANs, dates, amounts), the detector's slow case.
 */
static int gen_text(const char *path, size_t mb, int prose_pct, struct gen_rng *r)
{
	const size_t block = 8 << 20;
	char *buf = malloc(block);
	uint64_t planted, total = 0;
	size_t done = 0, n;
	FILE *f = fopen(path, "wb");

	if (!f || !buf) {
		perror(path);
		return -1;
	}
	while (done < mb << 20) {
		n = (mb << 20) - done < block ? (mb << 20) - done : block;
		gen_cpr_prose(r, buf, n, 64 << 10, &planted, prose_pct);
		total += planted;
		if (fwrite(buf, 1, n, f) != n)
			break;
		done += n;
	}
	fclose(f);
	free(buf);
	printf("%s: %zu MiB, %d%% prose lines, %llu numbers planted\n", strrchr(path, '/') + 1, mb,
	       prose_pct, (unsigned long long)total);
	return done == mb << 20 ? 0 : -1;
}

/* A client list: name, CPR (numeric, so often 9 digits), amount, date serial. */
static int gen_sheet(const char *path, struct gen_rng *r)
{
	static const char *const names[] = {
		"Navn",	  "CPR",      "Saldo",	  "Dato",	 "Jensen", "Nielsen",
		"Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "S\xc3\xb8rensen",
	};
	const int rows = 120000;
	struct gen_buf sheet = { 0 }, out = { 0 };
	int i;

	gb_puts(&sheet,
		"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v>"
		"</c><c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c></row>");
	for (i = 2; i <= rows; i++)
		gb_printf(&sheet,
			  "<row r=\"%d\"><c r=\"A%d\" t=\"s\"><v>%u</v></c><c r=\"B%d\" "
			  "s=\"1\"><v>%llu</v></c><c r=\"C%d\"><v>%u.%02u</v></c><c r=\"D%d\" "
			  "s=\"2\"><v>%u</v></c></row>",
			  i, i, 4 + gen_below(r, 8), i,
			  (unsigned long long)gen_cpr(r, GEN_MOD11_ANY), i, gen_below(r, 100000),
			  gen_below(r, 100), i, 40000 + gen_below(r, 6000));
	gen_xlsx(&out, gb_str(&sheet), names, 12);
	printf("sheet.xlsx: %.1f MiB (sheet XML %.1f MiB), %d numbers\n", out.len / 1048576.0,
	       sheet.len / 1048576.0, rows - 1);
	i = write_file(path, out.p, out.len);
	gb_free(&sheet);
	gb_free(&out);
	return i;
}

static int cmd_gen(const char *dir, size_t mb)
{
	struct gen_rng r;
	char path[4096];

	gen_seed(&r, 2024);
	snprintf(path, sizeof(path), "%s/text.txt", dir);
	if (gen_text(path, mb, 0, &r))
		return 1;
	snprintf(path, sizeof(path), "%s/prose.txt", dir);
	if (gen_text(path, mb / 2, 90, &r))
		return 1;
	snprintf(path, sizeof(path), "%s/sheet.xlsx", dir);
	return gen_sheet(path, &r) ? 1 : 0;
}

/*
 * Wall time and CPU time (user + system, so the read copies count): on a busy
 * machine the wall figure mostly measures the neighbours.
 */
static int cmd_scan(const char *path, int reps)
{
	double best = 1e9, best_cpu = 1e9, t, cpu, mb;
	struct scan_result res;
	struct stat st;
	int i;

	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	for (i = 0; i < reps; i++) {
		t = clock_s(CLOCK_MONOTONIC);
		cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		scan_file(path, NULL, NULL, &res);
		t = clock_s(CLOCK_MONOTONIC) - t;
		cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
		if (t < best)
			best = t;
		if (cpu < best_cpu)
			best_cpu = cpu;
	}
	mb = st.st_size / 1e6;
	printf("scan %s: %s, %.1f MiB: %.0f MB/s (cpu %.3f s = %.0f MB/s)", strrchr(path, '/') + 1,
	       scan_status_str(res.status), st.st_size / 1048576.0, mb / best, best_cpu,
	       mb / best_cpu);
	if (res.bytes_inflated)
		printf(", inflated XML %.0f MB/s cpu", res.bytes_inflated / best_cpu / 1e6);
	printf("; %llu matches, %llu distinct, %llu mod11, %llu with keyword\n",
	       (unsigned long long)res.cpr.matches, (unsigned long long)res.cpr.distinct,
	       (unsigned long long)res.cpr.distinct_mod11,
	       (unsigned long long)res.cpr.keyword_matches);
	printf("seconds %.6f %.6f\n", best, best_cpu);
	return res.status == SCAN_OK ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* N scans of fd: in process when sb is NULL; median wall and total CPU (with children). */
static int time_scans(int fd, struct sandbox *sb, int reps, double *median, double *cpu,
		      struct scan_result *res)
{
	double *w = calloc(reps, sizeof(*w)), c0, k0, t;
	int i;

	if (!w)
		return -1;
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	k0 = children_cpu();
	for (i = 0; i < reps; i++) {
		lseek(fd, 0, SEEK_SET);
		t = clock_s(CLOCK_MONOTONIC);
		if (sb)
			sandbox_scan(sb, fd, NULL, res);
		else
			scan_fd(fd, NULL, NULL, res);
		w[i] = clock_s(CLOCK_MONOTONIC) - t;
	}
	if (sb)
		sandbox_destroy(sb); /* reaps the helper: its CPU joins RUSAGE_CHILDREN */
	*cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0 + children_cpu() - k0;
	qsort(w, reps, sizeof(*w), cmp_double);
	*median = w[reps / 2];
	free(w);
	return 0;
}

static int cmd_sandbox(const char *path, int reps)
{
	double in_w, in_c, sb_w, sb_c, start_w;
	struct sandbox_stats st = { 0 };
	struct scan_result in, out;
	struct sandbox_cfg cfg;
	struct sandbox sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || reps < 1) {
		perror(path);
		return 1;
	}
	if (sandbox_cfg_init(&cfg, NULL) || sandbox_init(&sb, &cfg, &st)) {
		fprintf(stderr, "scan_bench: no scanner helper (set CPRWATCH_SCAND)\n");
		return 1;
	}
	/* the first scan starts the helper: timed apart */
	start_w = clock_s(CLOCK_MONOTONIC);
	sandbox_scan(&sb, fd, NULL, &out);
	start_w = clock_s(CLOCK_MONOTONIC) - start_w;
	time_scans(fd, NULL, reps, &in_w, &in_c, &in);
	time_scans(fd, &sb, reps, &sb_w, &sb_c, &out);
	close(fd);
	printf("sandbox %s: %s/%s, %llu/%llu distinct; helper start + first scan %.0f us\n",
	       strrchr(path, '/') ? strrchr(path, '/') + 1 : path, scan_status_str(in.status),
	       scan_status_str(out.status), (unsigned long long)in.cpr.distinct,
	       (unsigned long long)out.cpr.distinct, start_w * 1e6);
	printf("  in process: %.0f us wall (median), %.0f us cpu per file\n", in_w * 1e6,
	       in_c / reps * 1e6);
	printf("  sandboxed:  %.0f us wall (median), %.0f us cpu per file (agent + helper)\n",
	       sb_w * 1e6, sb_c / reps * 1e6);
	printf("  round trip overhead: %.0f us wall, %.0f us cpu per file; sandboxed/in process "
	       "%.2fx wall, %.2fx cpu\n",
	       (sb_w - in_w) * 1e6, (sb_c - in_c) / reps * 1e6, sb_w / (in_w > 0 ? in_w : 1e-9),
	       sb_c / (in_c > 0 ? in_c : 1e-9));
	return in.cpr.distinct == out.cpr.distinct && in.status == out.status ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "sandbox"))
		return cmd_sandbox(argv[2], argc > 3 ? atoi(argv[3]) : 1000);
	if (argc >= 3 && !strcmp(argv[1], "gen"))
		return cmd_gen(argv[2], argc > 3 ? strtoul(argv[3], NULL, 10) : 200);
	if (argc >= 3 && !strcmp(argv[1], "scan"))
		return cmd_scan(argv[2], argc > 3 ? atoi(argv[3]) : 3);
	fprintf(stderr, "usage: scan_bench gen DIR [MB] | scan_bench scan FILE [N] | "
			"scan_bench sandbox FILE [N]\n");
	return 2;
}
