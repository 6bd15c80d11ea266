// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What the agent needs of a scan without the format readers: limits, the
 * names of statuses and reasons, message hygiene and result release.  The
 * agent scans only through the sandboxed helper, so with these in a file of
 * their own it links none of the parsers (nor poppler, libarchive, their
 * libraries): less code in the root daemon, and 8.5 MiB less of its RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scan_int.h"

void scan_limits_default(struct scan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_file_size = 1ULL << 30;
	lim->max_inflated = 2ULL << 30;
	lim->max_buffer = 64ULL << 20;
	lim->max_entries = 10000;
	lim->max_depth = 4;
	lim->max_ratio = 100;
	lim->max_time_ms = 30000;
	lim->max_samples = CPR_DEF_SAMPLES;
	lim->max_distinct = CPR_DEF_DISTINCT;
	lim->read_size = 256 << 10;
	lim->max_persons = 65536;
}

void scan_limits_from_config(struct scan_limits *lim, const struct scan_config *cfg)
{
	scan_limits_default(lim);
	lim->max_file_size = (uint64_t)cfg->max_file_mib << 20;
	lim->max_time_ms = cfg->max_seconds * 1000;
}

const char *scan_status_str(int status)
{
	static const char *const names[] = {
		[SCAN_OK] = "ok",
		[SCAN_PARTIAL] = "partial",
		[SCAN_UNSUPPORTED] = "unsupported",
		[SCAN_ERROR] = "error",
		[SCAN_REFUSED] = "refused",
		[SCAN_CANCELLED] = "cancelled",
	};

	if (status < 0 || status > SCAN_CANCELLED)
		return "unknown";
	return names[status];
}

const char *scan_reason_str(int reason)
{
	static const char *const names[] = {
		[SCAN_R_NONE] = "none",
		[SCAN_R_FILE_SIZE] = "file too large",
		[SCAN_R_ENTRIES] = "too many entries",
		[SCAN_R_DEPTH] = "nesting too deep",
		[SCAN_R_INFLATED] = "too much inflated data",
		[SCAN_R_RATIO] = "zip bomb",
		[SCAN_R_TIME] = "time limit",
		[SCAN_R_BUFFER] = "nested archive too large",
		[SCAN_R_IO] = "i/o error",
		[SCAN_R_CORRUPT] = "corrupt data",
		[SCAN_R_NOMEM] = "out of memory",
		[SCAN_R_ENCRYPTED] = "encrypted",
		[SCAN_R_FORMAT] = "unsupported format",
		[SCAN_R_CANCELLED] = "cancelled",
		[SCAN_R_UNREAD] = "text not extracted",
		[SCAN_R_CRASHED] = "crashed",
		[SCAN_R_TIMEOUT] = "timeout",
		[SCAN_R_SECCOMP] = "seccomp",
		[SCAN_R_SANDBOX] = "sandbox unavailable",
		[SCAN_R_PATH] = "unsafe path",
	};

	if (reason < 0 || reason > SCAN_R_MAX)
		return "unknown";
	return names[reason];
}

/*
 * Rewrites digit runs longer than four as "90M", "434k": sizes and ratios in
 * messages come from archive headers, which the file's author controls, so a
 * message could otherwise carry a number of their choosing.  This way no
 * message can hold a CPR, whatever a caller formats into it.
 */
void scan_compact_digits(char *msg, size_t size)
{
	static const char units[] = "kMGTPE";
	char out[sizeof(((struct scan_result *)0)->msg)];
	size_t i = 0, o = 0, j;

	while (msg[i] && o + 8 < sizeof(out)) {
		unsigned long long v = 0;
		int u = -1;

		if (msg[i] < '0' || msg[i] > '9') {
			out[o++] = msg[i++];
			continue;
		}
		for (j = i; msg[j] >= '0' && msg[j] <= '9'; j++)
			v = j - i < 19 ? v * 10 + (msg[j] - '0') : ~0ULL;
		if (j - i <= 4) {
			while (i < j)
				out[o++] = msg[i++];
			continue;
		}
		while (v >= 10000 && u < 5) {
			v /= 1000;
			u++;
		}
		/* leading zeros ("05555"): a long run, a small value, no unit */
		if (u < 0)
			o += snprintf(out + o, sizeof(out) - o, "%llu", v);
		else
			o += snprintf(out + o, sizeof(out) - o, "%llu%c", v, units[u]);
		i = j;
	}
	out[o] = 0;
	snprintf(msg, size, "%s", out);
}

void scan_result_release(struct scan_result *res)
{
	free(res->persons);
	res->persons = NULL;
	res->nr_persons = 0;
}
