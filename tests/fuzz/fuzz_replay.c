// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for --replay input through the rules to alerts: the
 * input is a recording (JSON lines, hand-edited or hostile), replayed with
 * the default config through replay_stream() into a fresh pipeline,
 * alerts written to standard output, which is a memfd here.
 *
 * Aborts on: an alert line that is not one JSON object with a "rule", a
 * summary, path, exe or argv in an alert that still holds a CPR number
 * cpr_redact would mask (raw numbers must never leave the agent).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent/config.h"
#include "agent/pipeline.h"
#include "agent/replay.h"
#include "lib/cpr.h"
#include "lib/json_parse.h"
#include "lib/log.h"

/*
 * The fuzz archive leaves the BPF loader out (it needs the skeleton): the
 * pipeline and replay do not use it (agent/pipeline.h), so nothing is stubbed.
 */

static const char *const checked[] = { "summary", "path", "exe", "argv", "scan_problem", NULL };

static bool is_checked(const char *key)
{
	int i;

	for (i = 0; key && checked[i]; i++)
		if (!strcmp(key, checked[i]))
			return true;
	return false;
}

/* Every checked string in @v must come out of cpr_redact unchanged. */
static void check_strings(const struct jval *v, const char *key)
{
	size_t i;
	char *copy;

	if (v->type == JSTR && is_checked(key)) {
		copy = strdup(v->str);
		if (!copy)
			return;
		if (cpr_redact(copy, v->len))
			abort();
		free(copy);
	} else if (v->type == JARR || v->type == JOBJ) {
		for (i = 0; i < v->len; i++)
			check_strings(&v->items[i], v->type == JOBJ ? v->keys[i] : key);
	}
}

static void check_alerts(int fd)
{
	char *buf, *line, *nl;
	struct jval v;
	off_t n = lseek(fd, 0, SEEK_END);

	if (n <= 0)
		return;
	buf = malloc(n + 1);
	if (!buf || pread(fd, buf, n, 0) != n)
		abort();
	buf[n] = '\0';
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			abort(); /* a cut line */
		if (json_parse(line, nl - line, &v, NULL, 0) || v.type != JOBJ ||
		    !jobj_str(&v, "rule"))
			abort();
		check_strings(&v, NULL);
		jval_free(&v);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg = { 0 };
	struct pipeline pl;
	struct pipeline_cfg pc = { .alerts = { .to_stdout = true } };
	char err[CONFIG_ERR_MAX];
	int out = memfd_create("alerts", MFD_CLOEXEC), saved;
	FILE *f;

	log_set_level(LOG_LVL_ERROR);
	if (out < 0 || config_load(&cfg, NULL, err, sizeof(err)))
		abort();
	pc.rules = &cfg.rules;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(out, STDOUT_FILENO);
	if (pipeline_init(&pl, &pc, NULL, err, sizeof(err)))
		abort();
	f = fmemopen((void *)data, size, "r");
	if (size && f) {
		replay_stream(&pl, f, "fuzz");
		fclose(f);
	}
	pipeline_free(&pl);
	config_free(&cfg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	check_alerts(out);
	close(out);
	return 0;
}
