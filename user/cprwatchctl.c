// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cprwatchctl: the admin CLI. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "json.h"
#include "scan.h"

static const char usage_text[] =
"Usage: cprwatchctl COMMAND [ARG]...\n"
"Administer the cprwatch agent.\n"
"\n"
"Commands:\n"
"  scan [--json] FILE...\n"
"                Scan files for CPR numbers with the agent's scanner (text,\n"
"                CSV, UTF-16, gzip, zip, xlsx, docx, odt, ods, PDF), locally;\n"
"                no agent needed.  Prints counts and masked samples\n"
"                (DDMMYY-XXXX) only.  Progress goes to stderr on a terminal.\n"
"                Exit status as grep: 0 when any file holds CPR numbers,\n"
"                1 when none does, 2 when a file could not be fully scanned.\n"
"  version       print the version and exit\n"
"  help          print this help\n";

static int progress(void *arg, uint64_t done, uint64_t total)
{
	const char *name = arg;

	if (total)
		fprintf(stderr, "\r%s: %llu%% (%llu of %llu MiB)", name,
			(unsigned long long)(done * 100 / total), (unsigned long long)(done >> 20),
			(unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MiB", name, (unsigned long long)(done >> 20));
	return 0;
}

static void print_text(const char *name, const struct scan_result *res)
{
	unsigned int i;

	printf("%s: %s", name, scan_status_str(res->status));
	if (res->status != SCAN_OK)
		printf(" (%s)", res->msg);
	printf(", %llu distinct CPR numbers (%llu pass modulus 11, %llu matches with keyword "
	       "context)", (unsigned long long)res->cpr.distinct,
	       (unsigned long long)res->cpr.distinct_mod11,
	       (unsigned long long)res->cpr.keyword_matches);
	for (i = 0; i < res->cpr.nr_samples; i++)
		printf("%s%s", i ? " " : ", samples: ", res->cpr.samples[i]);
	printf("\n");
}

static void print_json(const char *name, const struct scan_result *res)
{
	struct json j;
	unsigned int i;

	json_init(&j);
	json_obj_begin(&j);
	json_kv_str(&j, "file", name);
	json_kv_str(&j, "status", scan_status_str(res->status));
	json_kv_str(&j, "problem", res->msg);
	json_kv_u64(&j, "cpr_distinct", res->cpr.distinct);
	json_kv_u64(&j, "cpr_mod11", res->cpr.distinct_mod11);
	json_kv_u64(&j, "cpr_keyword_context", res->cpr.keyword_matches);
	json_kv_u64(&j, "bytes_scanned", res->bytes_scanned);
	json_key(&j, "masked_samples");
	json_arr_begin(&j);
	for (i = 0; i < res->cpr.nr_samples; i++)
		json_str(&j, res->cpr.samples[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	printf("%s\n", j.buf);
	json_free(&j);
}

static int cmd_scan(int argc, char **argv)
{
	bool as_json = false, found = false, failed = false, tty = isatty(2);
	int i = 0;

	if (argc > 0 && !strcmp(argv[0], "--json")) {
		as_json = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "cprwatchctl scan: no FILE given\n");
		return 2;
	}
	for (; i < argc; i++) {
		struct scan_hooks hooks = { .progress = progress, .arg = argv[i] };
		struct scan_result res;

		scan_file(argv[i], NULL, tty ? &hooks : NULL, &res);
		if (tty)
			fprintf(stderr, "\r\033[K");
		if (as_json)
			print_json(argv[i], &res);
		else
			print_text(argv[i], &res);
		found |= res.cpr.distinct > 0;
		failed |= res.status != SCAN_OK;
	}
	return failed ? 2 : found ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("cprwatchctl %s (build %s)\n", CPRW_VERSION, CPRW_BUILD_ID);
		return 0;
	}
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 2, argv + 2);
	fprintf(stderr, "cprwatchctl: unknown command '%s'\nTry 'cprwatchctl help'.\n", argv[1]);
	return 2;
}
