// SPDX-License-Identifier: GPL-2.0
/*
 * psteer's tracepoints (include/psteer_trace.h), created here and fired
 * by the control path (rebalance, bucket_move), the connection table
 * (conn_expire), the hooks (netns_exit) and a driven NIC's fences
 * (hw_fence).
 */

#define CREATE_TRACE_POINTS
#include "psteer_trace.h"
