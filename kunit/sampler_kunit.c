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
 * One sample of 50 ms in which bucket 0's owner, a CPU that never drained
 * a packet (its buckets pass inline, as when psteer drives a NIC), let 8
 * packets through inline, and the other CPU measured 10 us per packet:
 * they are priced at those 10 us, 80 us in all, 0.16% of a CPU, of which
 * the EWMA's first sample keeps 1/8. At the default 2 us instead (as
 * before), the bucket's load changed by 5 when it moved to a CPU that
 * drains, and could read as a flow arriving.
 */
static void psteer_sample_unmeasured_cpu(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);
	struct psteer_bucket *b = &tbl->buckets[0];
	int owner, other;
	u64 start, dt;
	u32 load;

	mutex_lock(&ctl->lock);
	owner = ctl->cpu_idx[b->cpu];
	other = ctl->cpu_idx[b->cpu == psteer_cpu_a ? psteer_cpu_b :
			     psteer_cpu_a];
	KUNIT_ASSERT_FALSE(test, ctl->cpus[owner].measured);
	ctl->cpus[other].packet_ns = 10 * NSEC_PER_USEC;
	ctl->cpus[other].measured = true;
	WRITE_ONCE(b->inline_packets, 8);
	start = ktime_get_ns() - 50 * NSEC_PER_MSEC;
	ctl->stamp = start;
	psteer_sample(ctl);
	dt = ctl->stamp - start;
	load = ctl->buckets[0].load;
	mutex_unlock(&ctl->lock);
	/*
	 * 1600 ppm / 8 over exactly 50 ms; the sample's interval is a little
	 * longer, by the time the test itself took.
	 */
	KUNIT_EXPECT_GE(test, dt, 50 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, load,
			div64_u64(80ULL * NSEC_PER_USEC * PSTEER_RB_FULL, dt) >>
			PSTEER_RB_EWMA_SHIFT);
	KUNIT_EXPECT_GE(test, load, 100);
	KUNIT_EXPECT_FALSE(test, ctl->buckets[0].rising);
	/* The other buckets saw nothing. */
	KUNIT_EXPECT_EQ(test, ctl->buckets[1].load, 0);
}

static struct kunit_case psteer_sampler_cases[] = {
	KUNIT_CASE(psteer_sample_unmeasured_cpu),
	{}
};

static struct kunit_suite psteer_sampler_suite = {
	.name = "psteer_sampler",
	.init = psteer_test_table_init,
	.test_cases = psteer_sampler_cases,
};

kunit_test_suite(psteer_sampler_suite);
