// SPDX-License-Identifier: GPL-2.0
/*
 * psteer_kunit.ko: the module around psteer's KUnit suites.
 */

#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for psteer");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
