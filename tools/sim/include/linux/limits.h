/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for <linux/limits.h>, for src/rebalance/ on the host. */
#ifndef _PSTEER_SIM_LINUX_LIMITS_H
#define _PSTEER_SIM_LINUX_LIMITS_H

#include <stdint.h>

#define U32_MAX	UINT32_MAX

#endif
