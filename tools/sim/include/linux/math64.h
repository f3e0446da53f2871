/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for <linux/math64.h>, for src/rebalance/ on the host. */
#ifndef _PSTEER_SIM_LINUX_MATH64_H
#define _PSTEER_SIM_LINUX_MATH64_H

#include <linux/types.h>

static inline s64 div64_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}

#endif
