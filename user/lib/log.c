// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cpr.h"
#include "log.h"

static enum log_level cur_level = LOG_LVL_WARN;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

/* Messages name paths and argv: mask CPR-shaped numbers like every other output. */
static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[2048];
	int n;

	if (lvl > cur_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	cpr_redact(msg, n);
	while (n && msg[n - 1] == '\n')
		n--;
	fprintf(stderr, "cprwatch: %s: %.*s\n", level_names[lvl], n, msg);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

/* libbpf's warnings are mostly about probes we expect to be optional: debug level. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG;
	char msg[2048];
	int n;

	if (lvl > cur_level)
		return 0;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	cpr_redact(msg, n);
	return fprintf(stderr, "cprwatch: libbpf: %.*s", n, msg);
}

void log_install_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
