/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Agent configuration: an INI file (default /etc/cprwatch/cprwatch.conf).
 * Every error names the file, the line and the key.  The built-in default
 * is packaging/cprwatch.conf, embedded at build time, so defaults live in
 * one place.
 */
#ifndef CPRW_CONFIG_H
#define CPRW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "cprwatch/events.h"

#ifndef CPRW_SYSCONFDIR
#define CPRW_SYSCONFDIR "/etc"
#endif
#define CPRW_DEFAULT_CONFIG CPRW_SYSCONFDIR "/cprwatch/cprwatch.conf"
#define CONFIG_ERR_MAX 512

/* A program pattern and the classes a process running it gets. */
struct watch_pattern {
	char *pattern;
	__u32 classes;
	int line;
};

/* An export directory pattern and its kind. */
struct export_pattern {
	char *pattern;
	enum export_kind kind;
	int line;
};

struct config {
	char *source;			/* file it came from, or "(built-in defaults)" */
	bool trace_all;
	unsigned int rescan_interval;	/* seconds, 0 = never */
	struct watch_pattern *bins;
	size_t nr_bins;
	struct export_pattern *exports;
	size_t nr_exports;
	char **network_fs;
	size_t nr_network_fs;
};

/*
 * Load @path (NULL: the default path, falling back to the built-in defaults
 * when it does not exist).  Returns 0, or a negative errno with a message
 * naming file, line and key in @err.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parse INI text; @name is used in messages. */
int config_parse(struct config *cfg, const char *name, const char *text, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The embedded default configuration text. */
const char *config_default_text(void);

#endif
