// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target for config_parse.  The input (cut at its first NUL, as a
 * C string is) is parsed as an INI file.  Beyond "no crash, no leak", it
 * checks:
 *   - an error is -EINVAL (or -ENOMEM), its message starts "fuzz:LINE:"
 *     with LINE within the text, and the config is left zeroed;
 *   - a parsed config only holds what the grammar allows: non-empty
 *     program patterns with exactly one class, export paths that are
 *     absolute or ~/, known export kinds and severities, in-range hours,
 *     source lines within the text, and network_fs names without separators;
 *   - parsing the same text twice gives the same result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/config.h"
#include "detect/alerts.h"

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_config: check failed: %s (line %d)\n", #cond, \
				__LINE__);                                                  \
			abort();                                                            \
		}                                                                           \
	} while (0)

static bool one_class(__u32 c)
{
	static const __u32 ok[] = { CLASS_CPR_CLIENT, CLASS_MESSAGING, CLASS_BROWSER,
				    CLASS_SYNC,	      CLASS_ARCHIVER,  CLASS_CLIPBOARD };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (c == ok[i])
			return true;
	return false;
}

static void check_rule(const struct rule_cfg *r)
{
	CHECK(r->severity >= SEV_LOW && r->severity <= SEV_CRITICAL);
	CHECK(r->suppress <= 86400);
}

static void check_config(const struct config *cfg, int lines)
{
	size_t i;

	CHECK(cfg->source && !strcmp(cfg->source, "fuzz"));
	for (i = 0; i < cfg->nr_bins; i++) {
		CHECK(cfg->bins[i].pattern && cfg->bins[i].pattern[0]);
		CHECK(one_class(cfg->bins[i].classes));
		CHECK(cfg->bins[i].line >= 1 && cfg->bins[i].line <= lines);
		CHECK(!strchr(cfg->bins[i].pattern, '\n'));
	}
	for (i = 0; i < cfg->nr_exports; i++) {
		const char *p = cfg->exports[i].pattern;

		CHECK(p && (p[0] == '/' || (p[0] == '~' && p[1] == '/')));
		CHECK(cfg->exports[i].kind >= EXPORT_LOCAL &&
		      cfg->exports[i].kind <= EXPORT_NETWORK);
		CHECK(cfg->exports[i].line >= 1 && cfg->exports[i].line <= lines);
	}
	for (i = 0; i < cfg->nr_network_fs; i++) {
		const char *t = cfg->network_fs[i];

		CHECK(t && t[0] && !strpbrk(t, " \t,"));
	}
	CHECK(cfg->rescan_interval <= 86400);
	check_rule(&cfg->rules.bulk_export);
	check_rule(&cfg->rules.export_volume);
	check_rule(&cfg->rules.messaging_exfil);
	check_rule(&cfg->rules.removable_media);
	check_rule(&cfg->rules.archive_before_exfil);
	check_rule(&cfg->rules.lookup_burst);
	CHECK(cfg->rules.office_start <= 24 && cfg->rules.office_end <= 24);
	CHECK(cfg->scan.workers <= 64);
	CHECK(cfg->output.log);
}

static bool zeroed(const struct config *cfg)
{
	static const struct config zero;

	return !memcmp(cfg, &zero, sizeof(zero));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, again;
	char err[CONFIG_ERR_MAX], err2[CONFIG_ERR_MAX];
	char *text = malloc(size + 1);
	int ret, ret2, lines = 1;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; text[i]; i++)
		lines += text[i] == '\n';

	err[0] = '\0';
	ret = config_parse(&cfg, "fuzz", text, err, sizeof(err));
	if (ret) {
		int line = -1;

		CHECK(ret == -EINVAL || ret == -ENOMEM);
		CHECK(strlen(err) < sizeof(err));
		if (ret == -EINVAL) {
			CHECK(sscanf(err, "fuzz:%d:", &line) == 1);
			CHECK(line >= 1 && line <= lines);
		}
		CHECK(zeroed(&cfg));
	} else {
		CHECK(err[0] == '\0');
		check_config(&cfg, lines);
	}

	/* deterministic: the same text, the same answer */
	err2[0] = '\0';
	ret2 = config_parse(&again, "fuzz", text, err2, sizeof(err2));
	CHECK(ret2 == ret);
	CHECK(!strcmp(err, err2));
	if (!ret) {
		CHECK(again.nr_bins == cfg.nr_bins && again.nr_exports == cfg.nr_exports);
		CHECK(again.nr_network_fs == cfg.nr_network_fs);
		config_free(&cfg);
		config_free(&again);
	}
	free(text);
	return 0;
}
