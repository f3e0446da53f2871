// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the bucket table (src/table.c): owners dealt round-robin, the
 * owned-bucket bitmaps, bad sizes refused, selective flushes.
 */

#include <kunit/test.h>
#include <linux/skbuff.h>

#include "table.h"
#include "test_table.h"

/* Owners are dealt round-robin over the CPU set. */
static void psteer_table_round_robin(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 9, 16);
	u32 i;

	for (i = 0; i < tbl->nbuckets; i++)
		KUNIT_EXPECT_EQ(test, tbl->buckets[i].cpu,
				i % 2 ? psteer_cpu_b : psteer_cpu_a);
	KUNIT_EXPECT_EQ(test, psteer_table_owned(tbl, psteer_cpu_a), 5);
	KUNIT_EXPECT_EQ(test, psteer_table_owned(tbl, psteer_cpu_b), 4);
}

/* Out-of-range sizes and an empty CPU set are refused. */
static void psteer_table_create_rejects(struct kunit *test)
{
	const struct cpumask *one = cpumask_of(psteer_cpu_a);
	const struct psteer_table_ops *ops = &psteer_rec_ops;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(psteer_table_create(0, one, 8, ops)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(psteer_table_create(PSTEER_MAX_BUCKETS + 1,
						    one, 8, ops)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(psteer_table_create(8, one, 0, ops)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(psteer_table_create(8, cpu_none_mask, 8, ops)));
}

/*
 * A new owner takes the bucket in both bitmaps at once; the data path's
 * owner follows when the old owner drains.
 */
static void psteer_table_set_owner_bitmaps(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 16);

	psteer_table_set_owner(tbl, 0, psteer_cpu_b);
	KUNIT_EXPECT_EQ(test, psteer_bucket_owner(&tbl->buckets[0]),
			psteer_cpu_b);
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].cpu, psteer_cpu_a);
	psteer_drain_bh(tbl, psteer_cpu_a, 64);
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].cpu, psteer_cpu_b);
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].sched, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, psteer_table_owned(tbl, psteer_cpu_a), 1);
	KUNIT_EXPECT_EQ(test, psteer_table_owned(tbl, psteer_cpu_b), 3);
	/* A move to the owner itself changes nothing. */
	psteer_table_set_owner(tbl, 0, psteer_cpu_b);
	KUNIT_EXPECT_EQ(test, psteer_table_owned(tbl, psteer_cpu_b), 3);
}

static bool psteer_odd_mark(const struct sk_buff *skb, const void *arg)
{
	return skb->mark & 1;
}

/* A flush frees exactly what it selects and counts it as drops. */
static void psteer_table_flush_selects(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	struct sk_buff *skb;

	psteer_put(test, tbl, b, 0, 10);
	KUNIT_EXPECT_EQ(test, psteer_table_flush(tbl, psteer_odd_mark, NULL),
			5);
	KUNIT_EXPECT_EQ(test, b->drops, 5);
	psteer_drain_bh(tbl, psteer_cpu_a, 64);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 5);
	skb_queue_walk(&psteer_rec.delivered, skb)
		KUNIT_EXPECT_EQ(test, skb->mark & 1, 0);
}

static struct kunit_case psteer_table_cases[] = {
	KUNIT_CASE(psteer_table_round_robin),
	KUNIT_CASE(psteer_table_create_rejects),
	KUNIT_CASE(psteer_table_set_owner_bitmaps),
	KUNIT_CASE(psteer_table_flush_selects),
	{}
};

static struct kunit_suite psteer_table_suite = {
	.name = "psteer_table",
	.init = psteer_test_table_init,
	.test_cases = psteer_table_cases,
};

kunit_test_suite(psteer_table_suite);
