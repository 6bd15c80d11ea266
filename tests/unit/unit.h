/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Unit test registration.  Each tests/unit/test_<module>.c declares its cases
 * in a CU_TestInfo table and registers it with UNIT_SUITE, so adding a suite
 * never touches the runner.
 */
#ifndef CPRW_UNIT_H
#define CPRW_UNIT_H

#include <CUnit/CUnit.h>

void unit_register(const char *name, CU_TestInfo *tests);

#define UNIT_SUITE(name, table)                                        \
	static void __attribute__((constructor)) unit_reg_##name(void) \
	{                                                              \
		unit_register(#name, table);                           \
	}

#endif
