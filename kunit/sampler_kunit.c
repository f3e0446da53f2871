// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the load sampler (src/sampler.c) on a test table: what a bucket's
 * load counts.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/math64.h>

#include "control.h"
#include "table.h"
#include "test_table.h"

static void psteer_ctl_destroy_action(void *ctl)
{
	psteer_ctl_destroy(ctl);
}

static struct psteer_ctl *psteer_test_ctl(struct kunit *test,
					  struct psteer_table *tbl)
{
	struct psteer_ctl *ctl = psteer_ctl_create(tbl, NULL);

	KUNIT_ASSERT_NOT_NULL(test, ctl);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_ctl_destroy_action,
						  ctl));
	return ctl;
}

/*
 * One sample of 50 ms in which bucket 0's owner delivered nothing and its
 * queue (2 packets) refused 8 of 10: the 8 are priced at the owner's cost
 * per packet, 100 us, 800 us in all, 1.6% of a CPU, of which the EWMA's
 * first sample keeps 1/8. Timed alone, a saturated owner's buckets add up
 * to no more than the CPU, and the rebalancer cannot see how much it must
 * shed; before, this bucket read 0.
 */
static void psteer_sample_prices_drops(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);
	struct psteer_bucket *b = &tbl->buckets[0];
	u64 start, dt;
	u32 load;

	KUNIT_ASSERT_EQ(test, psteer_put(test, tbl, b, 0, 10), 8);
	KUNIT_ASSERT_EQ(test, b->drops, 8);
	mutex_lock(&ctl->lock);
	ctl->cpus[ctl->cpu_idx[b->cpu]].packet_ns = 100 * NSEC_PER_USEC;
	start = ktime_get_ns() - 50 * NSEC_PER_MSEC;
	ctl->stamp = start;
	psteer_sample(ctl);
	dt = ctl->stamp - start;
	load = ctl->buckets[0].load;
	mutex_unlock(&ctl->lock);
	/*
	 * 16000 ppm / 8 over exactly 50 ms; the sample's interval is a
	 * little longer, by the time the test itself took.
	 */
	KUNIT_EXPECT_GE(test, dt, 50 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, load,
			div64_u64(800 * NSEC_PER_USEC * PSTEER_RB_FULL, dt) >>
			PSTEER_RB_EWMA_SHIFT);
	KUNIT_EXPECT_GE(test, load, 1000);
	/* The other buckets saw nothing. */
	KUNIT_EXPECT_EQ(test, ctl->buckets[1].load, 0);
}

static struct kunit_case psteer_sampler_cases[] = {
	KUNIT_CASE(psteer_sample_prices_drops),
	{}
};

static struct kunit_suite psteer_sampler_suite = {
	.name = "psteer_sampler",
	.init = psteer_test_table_init,
	.test_cases = psteer_sampler_cases,
};

kunit_test_suite(psteer_sampler_suite);
