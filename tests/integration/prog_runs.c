// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * How often one process's BPF programs ran while a command ran:
 *
 *   prog_runs PID PREFIX CMD [ARG]...
 *
 * Holds BPF run-time statistics on for its lifetime (BPF_ENABLE_STATS: a
 * reference of its own, so another tool turning kernel.bpf_stats_enabled off
 * meanwhile changes nothing), sums run_cnt over the programs PID holds
 * (/proc/PID/fdinfo: prog_id) whose name starts with PREFIX, runs CMD, sums
 * again and prints "runs=N" (the difference) and CMD's exit status as
 * "status=N".  Only PID's programs count: another agent's are never seen.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* Sum of run_cnt over @pid's programs named @prefix*. */
static unsigned long long runs_of(const char *pid, const char *prefix)
{
	unsigned long long sum = 0;
	char dir[64], path[128], line[128];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", pid);
	d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(2);
	}
	while ((de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			unsigned int id;
			int fd;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			fd = bpf_prog_get_fd_by_id(id);
			if (fd < 0)
				continue;
			if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
			    !strncmp(info.name, prefix, strlen(prefix)))
				sum += info.run_cnt;
			close(fd);
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

int main(int argc, char **argv)
{
	unsigned long long before, after;
	int stats, status;
	pid_t child;

	if (argc < 4) {
		fprintf(stderr, "usage: prog_runs PID PREFIX CMD [ARG]...\n");
		return 2;
	}
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		fprintf(stderr, "prog_runs: BPF_ENABLE_STATS: %s\n", strerror(-stats));
		return 2;
	}
	before = runs_of(argv[1], argv[2]);
	child = fork();
	if (child < 0)
		return 2;
	if (!child) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0)
		return 2;
	after = runs_of(argv[1], argv[2]);
	printf("runs=%llu status=%d\n", after - before,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	close(stats);
	return 0;
}
