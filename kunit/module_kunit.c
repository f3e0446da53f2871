// SPDX-License-Identifier: GPL-2.0
/*
 * psteer_kunit.ko: the module around psteer's KUnit suites.
 */

#include <linux/module.h>

#include "compat.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for psteer");
MODULE_IMPORT_NS(PSTEER_KUNIT_NS);
