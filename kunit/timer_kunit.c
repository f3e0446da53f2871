// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the timer threads (src/timer.c): how long a thread sleeps after
 * a pass.
 */

#include <kunit/test.h>
#include <linux/jiffies.h>

#include "conn.h"
#include "timer.h"

/*
 * Until the first entry the pass left expires, but never sooner than
 * timer_ms after it, nor later than the shortest timeout: an entry
 * created after the pass expires no sooner than that.
 */
static void psteer_timer_sleep_bounds(struct kunit *test)
{
	unsigned long lo = msecs_to_jiffies(100);
	u32 min_timeout = 10 * HZ;

	/* Its first entry expires in 5 s. */
	KUNIT_EXPECT_EQ(test, psteer_timer_sleep(5 * HZ, min_timeout, 100),
			5UL * HZ);
	/* In one jiffy: timer_ms is the shortest sleep. */
	KUNIT_EXPECT_EQ(test, psteer_timer_sleep(1, min_timeout, 100), lo);
	KUNIT_EXPECT_EQ(test, psteer_timer_sleep(0, min_timeout, 100), lo);
	/* In 250 s, or no entry left: until the shortest timeout. */
	KUNIT_EXPECT_EQ(test, psteer_timer_sleep(250 * HZ, min_timeout, 100),
			(unsigned long)min_timeout);
	KUNIT_EXPECT_EQ(test,
			psteer_timer_sleep(PSTEER_CONN_NONE_LEFT, min_timeout,
					   100),
			(unsigned long)min_timeout);
	/* A timer_ms above the shortest timeout wins. */
	KUNIT_EXPECT_EQ(test,
			psteer_timer_sleep(PSTEER_CONN_NONE_LEFT, HZ, 60000),
			msecs_to_jiffies(60000));
}

static struct kunit_case psteer_timer_cases[] = {
	KUNIT_CASE(psteer_timer_sleep_bounds),
	{}
};

static struct kunit_suite psteer_timer_suite = {
	.name = "psteer_timer",
	.test_cases = psteer_timer_cases,
};

kunit_test_suite(psteer_timer_suite);
