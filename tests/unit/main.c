// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Runs every registered CUnit suite.  `test_unit SUITE` runs one suite.
 * Exit status is non-zero when any assertion failed.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "unit.h"

#define MAX_SUITES 64

static struct {
	const char *name;
	CU_TestInfo *tests;
} suites[MAX_SUITES];
static int nr_suites;

void unit_register(const char *name, CU_TestInfo *tests)
{
	if (nr_suites == MAX_SUITES) {
		fprintf(stderr, "test_unit: more than %d suites, raise MAX_SUITES\n", MAX_SUITES);
		return;
	}
	suites[nr_suites].name = name;
	suites[nr_suites].tests = tests;
	nr_suites++;
}

int main(int argc, char **argv)
{
	unsigned int failed;
	int i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (i = 0; i < nr_suites; i++) {
		CU_pSuite s;
		CU_TestInfo *t;

		if (argc > 1 && strcmp(argv[1], suites[i].name))
			continue;
		s = CU_add_suite(suites[i].name, NULL, NULL);
		if (!s)
			return 2;
		for (t = suites[i].tests; t->pName; t++)
			if (!CU_add_test(s, t->pName, t->pTestFunc))
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
