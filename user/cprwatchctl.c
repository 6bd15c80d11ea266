// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cprwatchctl: the admin CLI. */
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
"Usage: cprwatchctl COMMAND [ARG]...\n"
"Administer the cprwatch agent.\n"
"\n"
"Commands:\n"
"  version       print the version and exit\n"
"  help          print this help\n";

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
	fprintf(stderr, "cprwatchctl: unknown command '%s'\nTry 'cprwatchctl help'.\n", argv[1]);
	return 2;
}
