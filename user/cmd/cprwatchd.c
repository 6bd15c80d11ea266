// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cprwatchd: the cprwatch agent.  Parses arguments and runs either the live
 * agent (agent/agent.c) or a replay of a recording (agent/replay.c); both
 * send events through the same pipeline (agent/pipeline.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/agent.h"
#include "agent/config.h"
#include "agent/replay.h"
#include "lib/log.h"

static const char usage_text[] =
	"Usage: cprwatchd [OPTION]...\n"
	"Watch this machine for CPR data leaving through exports, removable media,\n"
	"archives, the clipboard and messaging apps, using eBPF probes.\n"
	"\n"
	"Runs in the foreground until SIGINT or SIGTERM; every probe is detached on\n"
	"exit and nothing is left pinned.  SIGHUP re-resolves the watched programs\n"
	"and export directories.  Must run as root.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE    configuration file (default " CPRW_DEFAULT_CONFIG ";\n"
	"                       built-in defaults when that file does not exist).\n"
	"                       The file must be owned by root and not group/world\n"
	"                       writable.\n"
	"      --check-config   parse the configuration, print what it resolves to,\n"
	"                       and exit: 0 when valid, 2 when not.\n"
	"  -e, --events[=FILE]  write every event as a JSON line to FILE (default\n"
	"                       standard output).  The schema is in README.md.\n"
	"      --record FILE    also write every event and scan result to FILE as\n"
	"                       JSON lines, for --replay (counts and masked samples\n"
	"                       only: a recording holds no CPR number).\n"
	"      --replay FILE    run the rules over a recording instead of the probes\n"
	"                       and print the alerts; needs no root.  FILE may be -.\n"
	"                       With -c, the config's owner is not checked.\n"
	"      --alert-log FILE write alerts to FILE instead of [output] alert_log.\n"
	"      --trace-all      send file and network events of every process, not\n"
	"                       only tracked ones (debugging; costly on busy hosts).\n"
	"      --ready-file FILE  create FILE once the probes are attached.\n"
	"      --duration SECS  stop after SECS seconds.\n"
	"  -v, --verbose        more diagnostics; twice for debug and libbpf detail.\n"
	"  -V, --version        print the version and exit.\n"
	"  -h, --help           print this help and exit.\n"
	"\n"
	"Exit status:\n"
	"  0  stopped by a signal or --duration\n"
	"  1  a runtime failure\n"
	"  2  the configuration or the machine cannot run the agent (not root, no\n"
	"     BTF, tracefs not mounted, BPF refused); the message names the fix.\n"
	"\n"
	"Files:\n"
	"  " CPRW_DEFAULT_CONFIG "   configuration, see cprwatch.conf(5)\n"
	"  /var/log/cprwatch/alerts.json   alerts, one JSON object per line (mode 0600)\n"
	"\n"
	"Alerts name the rule, severity, user, process chain, file, counts and at\n"
	"most a few masked samples (DDMMYY-XXXX); no output ever holds a CPR number.\n";

enum {
	OPT_TRACE_ALL = 256,
	OPT_READY,
	OPT_DURATION,
	OPT_CHECK,
	OPT_RECORD,
	OPT_REPLAY,
	OPT_ALERT_LOG
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "events", optional_argument, NULL, 'e' },
	{ "trace-all", no_argument, NULL, OPT_TRACE_ALL },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "alert-log", required_argument, NULL, OPT_ALERT_LOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int check_config(const char *path)
{
	struct config cfg;
	struct watchlist wl;
	char err[CONFIG_ERR_MAX];
	size_t i;

	if (config_load(&cfg, path, err, sizeof(err))) {
		fprintf(stderr, "cprwatchd: %s\n", err);
		return 2;
	}
	if (watchlist_resolve(&wl, &cfg, NULL, NULL)) {
		fprintf(stderr, "cprwatchd: cannot resolve the watch list\n");
		config_free(&cfg);
		return 1;
	}
	printf("%s: valid\n", cfg.source);
	printf("programs watched now: %zu\n", wl.nr_bins);
	for (i = 0; i < wl.nr_bins; i++)
		printf("  %s\n", wl.bins[i].path);
	printf("export directories now: %zu\n", wl.nr_dirs);
	for (i = 0; i < wl.nr_dirs; i++)
		printf("  %s\n", wl.dirs[i].path);
	watchlist_free(&wl);
	config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_opts opts = {};
	const char *replay_path = NULL;
	int c, verbose = 0;
	bool check = false;
	char *end;

	while ((c = getopt_long(argc, argv, "c:e::vVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'e':
			opts.print_events = true;
			opts.events_path = optarg;
			break;
		case OPT_TRACE_ALL:
			opts.trace_all = true;
			break;
		case OPT_READY:
			opts.ready_path = optarg;
			break;
		case OPT_DURATION:
			opts.duration = strtoul(optarg, &end, 10);
			if (*end || !opts.duration) {
				fprintf(stderr,
					"cprwatchd: --duration takes a positive number "
					"of seconds, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_RECORD:
			opts.record_path = optarg;
			break;
		case OPT_REPLAY:
			replay_path = optarg;
			break;
		case OPT_ALERT_LOG:
			opts.alert_log = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("cprwatchd %s (build %s)\n", CPRW_VERSION, CPRW_BUILD_ID);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'cprwatchd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cprwatchd: unexpected argument '%s'\nTry 'cprwatchd --help'.\n",
			argv[optind]);
		return 2;
	}
	log_set_level(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
	if (check)
		return check_config(opts.config_path);
	if (replay_path) {
		struct replay_opts ro = {
			.path = replay_path,
			.config_path = opts.config_path,
			.alert_log = opts.alert_log,
			.events_path = opts.print_events ? (opts.events_path ?: "-") : NULL,
			.record_path = opts.record_path,
		};

		return replay_run(&ro);
	}
	return agent_run(&opts);
}
