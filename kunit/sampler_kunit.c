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

/*
 * One sample of 50 ms (or a little more) of @tbl's buckets, with the
 * owner of bucket 0 measured at @packet_ns per packet. Returns the
 * sample's interval.
 */
static u64 psteer_test_sample(struct kunit *test, struct psteer_ctl *ctl,
			      u64 packet_ns)
{
	struct psteer_cpu_load *cl;
	u64 start;

	mutex_lock(&ctl->lock);
	cl = &ctl->cpus[ctl->cpu_idx[ctl->tbl->buckets[0].cpu]];
	cl->packet_ns = packet_ns;
	cl->measured = true;
	start = ktime_get_ns() - 50 * NSEC_PER_MSEC;
	ctl->stamp = start;
	psteer_sample(ctl);
	mutex_unlock(&ctl->lock);
	KUNIT_EXPECT_GE(test, ctl->stamp - start, 50 * NSEC_PER_MSEC);
	return ctl->stamp - start;
}

/*
 * Bucket 0's owner delivered nothing in the sample and its queue (2
 * packets) refused 8 of 10: the 8 are priced at the owner's 100 us per
 * packet, 800 us in all, 1.6% of a CPU of which the EWMA's first sample
 * keeps 1/8; none of it was served. Timed alone, a saturated owner's
 * buckets add up to no more than the CPU, and the rebalancer cannot see
 * how much it must shed: before, this bucket read 0.
 */
static void psteer_sample_prices_refusals(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);
	u64 dt;

	KUNIT_ASSERT_EQ(test, psteer_put(test, tbl, &tbl->buckets[0], 0, 10),
			8);
	KUNIT_ASSERT_EQ(test, tbl->buckets[0].refused, 8);
	dt = psteer_test_sample(test, ctl, 100 * NSEC_PER_USEC);
	KUNIT_EXPECT_EQ(test, ctl->buckets[0].load,
			div64_u64(800 * NSEC_PER_USEC * PSTEER_RB_FULL, dt) >>
			PSTEER_RB_EWMA_SHIFT);
	KUNIT_EXPECT_GE(test, ctl->buckets[0].load, 1000);
	KUNIT_EXPECT_EQ(test, ctl->buckets[0].served, 0);
	/* The other buckets saw nothing. */
	KUNIT_EXPECT_EQ(test, ctl->buckets[1].load, 0);
}

static bool psteer_test_any(const struct sk_buff *skb, const void *arg)
{
	return true;
}

/*
 * Packets flushed (a device going away, a namespace leaving) are drops
 * but were never refused: they are no load. A review of the first
 * pricing of drops found them priced.
 */
static void psteer_sample_flush_unpriced(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);

	KUNIT_ASSERT_EQ(test, psteer_put(test, tbl, &tbl->buckets[0], 0, 2),
			0);
	KUNIT_ASSERT_EQ(test, psteer_table_flush(tbl, psteer_test_any, NULL),
			2);
	KUNIT_ASSERT_EQ(test, tbl->buckets[0].drops, 2);
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].refused, 0);
	psteer_test_sample(test, ctl, 100 * NSEC_PER_USEC);
	KUNIT_EXPECT_EQ(test, ctl->buckets[0].load, 0);
}

/*
 * A move takes off its donor's usage what the donor served of the
 * bucket, not its offered load: CPU a, saturated (100%), owns two buckets
 * of 800k and 700k offered, 500k served each, and CPU b idles. Taking the
 * offered load off a hog's CPU so would show it idle for rounds (the
 * review of the first pricing of drops).
 */
static void psteer_ctl_move_takes_served(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);
	int a = ctl->cpu_idx[psteer_cpu_a], b = ctl->cpu_idx[psteer_cpu_b];
	u32 i, moved = 0, offered = 0, served, load = 800 * 1000;

	mutex_lock(&ctl->lock);
	ctl->cpus[a].usage = PSTEER_RB_FULL;
	ctl->cpus[b].usage = 0;
	for (i = 0; i < tbl->nbuckets; i++) {
		if (tbl->buckets[i].cpu != psteer_cpu_a)
			continue;
		ctl->buckets[i].load = load;
		ctl->buckets[i].served = 500 * 1000;
		load -= 100 * 1000;
	}
	psteer_ctl_round(ctl);
	for (i = 0; i < tbl->nbuckets; i++) {
		if (tbl->buckets[i].cpu == psteer_cpu_a &&
		    tbl->buckets[i].target == psteer_cpu_b) {
			moved++;
			offered += ctl->buckets[i].load;
		}
	}
	served = min(PSTEER_RB_FULL, moved * 500 * 1000);
	offered = min(PSTEER_RB_FULL, offered);
	KUNIT_EXPECT_GE(test, moved, 1);
	KUNIT_EXPECT_EQ(test, ctl->cpus[a].usage, PSTEER_RB_FULL - served);
	KUNIT_EXPECT_EQ(test, ctl->cpus[b].usage, offered);
	mutex_unlock(&ctl->lock);
}

/*
 * A CPU's buckets cannot have been served longer than it was busy. Bucket
 * 0's owner was idle for at least 40 ms of the 50 ms sample, yet its
 * buckets' drain times add up to 400 ms (300 and 100: each batch timed
 * with local_clock(), which counts the time a hypervisor, or QEMU's
 * single-threaded TCG, kept the CPU away). Their served loads are scaled
 * down to its cap (10 ms busy, PSTEER_RB_USAGE_BAND, two ticks where idle
 * is counted by the tick: under half of the sample) and keep their
 * ratio, 3 to 1. Before, they read 6 and 2 CPUs, and the rebalance test
 * with a busy loop on the NIC topology saw the loop's CPU as the least
 * loaded. Both buckets start at 40% of a CPU, so that neither sample is
 * a step (past twice that and 5%) and the EWMA takes each as it is: the
 * sample is 8 times the change less 7 times the start.
 */
static void psteer_sample_caps_served(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 2);
	struct psteer_ctl *ctl = psteer_test_ctl(test, tbl);
	struct psteer_bucket *b0 = &tbl->buckets[0], *b1 = NULL;
	const s64 start = 400 * 1000;
	u32 i, k;
	s64 s0, s1;

	for (i = 1; i < tbl->nbuckets; i++)
		if (tbl->buckets[i].cpu == b0->cpu)
			b1 = &tbl->buckets[i];
	KUNIT_ASSERT_NOT_NULL(test, b1);
	k = b1 - tbl->buckets;
	mutex_lock(&ctl->lock);
	ctl->cpus[ctl->cpu_idx[b0->cpu]].idle_prev -= 40 * NSEC_PER_MSEC;
	ctl->buckets[0].load = start;
	ctl->buckets[0].served = start;
	ctl->buckets[k].load = start;
	ctl->buckets[k].served = start;
	mutex_unlock(&ctl->lock);
	WRITE_ONCE(b0->ns, 300 * NSEC_PER_MSEC);
	WRITE_ONCE(b1->ns, 100 * NSEC_PER_MSEC);
	psteer_test_sample(test, ctl, 10 * NSEC_PER_USEC);
	/* Each sample back from the EWMA, to 8 ppm (its shift's rounding). */
	s0 = ((s64)ctl->buckets[0].served - start) * 8 + start;
	s1 = ((s64)ctl->buckets[k].served - start) * 8 + start;
	kunit_info(test, "served samples: %lld and %lld ppm\n", s0, s1);
	KUNIT_EXPECT_GT(test, s1, 0);
	KUNIT_EXPECT_LE(test, s0 + s1, PSTEER_RB_FULL / 2 + 16);
	KUNIT_EXPECT_GE(test, s0, 3 * s1 - 32);
	KUNIT_EXPECT_LE(test, s0, 3 * s1 + 32);
	KUNIT_EXPECT_EQ(test, ctl->buckets[0].load, ctl->buckets[0].served);
}

static struct kunit_case psteer_sampler_cases[] = {
	KUNIT_CASE(psteer_sample_unmeasured_cpu),
	KUNIT_CASE(psteer_sample_prices_refusals),
	KUNIT_CASE(psteer_sample_flush_unpriced),
	KUNIT_CASE(psteer_ctl_move_takes_served),
	KUNIT_CASE(psteer_sample_caps_served),
	{}
};

static struct kunit_suite psteer_sampler_suite = {
	.name = "psteer_sampler",
	.init = psteer_test_table_init,
	.test_cases = psteer_sampler_cases,
};

kunit_test_suite(psteer_sampler_suite);
