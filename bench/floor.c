// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loads a bench-only floor object and keeps it attached until SIGTERM or
 * SIGINT (bench/cost.sh):
 *
 *   floor build/bench/floor_raw.bpf.o
 *   floor build/bench/floor_tp.bpf.o build/cprwatch.bpf.o
 *
 * With a second object, the first one's single program goes on every
 * tp/syscalls/<name> tracepoint the second object's programs hook: the same
 * set the agent's fallback hooks.  Prints "ready programs=N links=N".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 256
#define TP_PREFIX "tp/syscalls/"

static struct bpf_link *links[MAX_LINKS];
static int nr_links;

static int keep(struct bpf_link *l, const char *what)
{
	if (!l) {
		fprintf(stderr, "floor: attaching %s: %s\n", what, strerror(errno));
		return -1;
	}
	if (nr_links == MAX_LINKS) {
		bpf_link__destroy(l);
		return -1;
	}
	links[nr_links++] = l;
	return 0;
}

/* Attach @prog to every tp/syscalls tracepoint of the programs in @list_path. */
static int attach_like(struct bpf_program *prog, const char *list_path)
{
	struct bpf_object *list = bpf_object__open_file(list_path, NULL);
	struct bpf_program *p;
	int ret = 0;

	if (!list) {
		fprintf(stderr, "floor: %s: %s\n", list_path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(p, list)
	{
		const char *sec = bpf_program__section_name(p);

		if (strncmp(sec, TP_PREFIX, strlen(TP_PREFIX)))
			continue;
		if (keep(bpf_program__attach_tracepoint(prog, "syscalls", sec + strlen(TP_PREFIX)),
			 sec))
			ret = -1;
	}
	bpf_object__close(list);
	return ret;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	sigset_t set;
	int sig, n = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: floor OBJ [AGENT_OBJ]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: loading %s failed\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		n++;
		if (argc == 3 ? attach_like(prog, argv[2]) :
				keep(bpf_program__attach(prog), bpf_program__name(prog)))
			return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready programs=%d links=%d\n", n, nr_links);
	fflush(stdout);
	sigwait(&set, &sig);
	while (nr_links)
		bpf_link__destroy(links[--nr_links]);
	bpf_object__close(obj);
	return 0;
}
