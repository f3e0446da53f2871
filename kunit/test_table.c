// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit helpers shared by the table and queue suites: see test_table.h.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/skbuff.h>

#include "test_table.h"

struct psteer_rec psteer_rec;
int psteer_cpu_a, psteer_cpu_b;

static void psteer_rec_deliver(struct psteer_table *tbl, struct sk_buff *skb)
{
	__skb_queue_tail(&psteer_rec.delivered, skb);
}

static void psteer_rec_kick(struct psteer_table *tbl, int cpu)
{
	psteer_rec.kicks[cpu]++;
}

const struct psteer_table_ops psteer_rec_ops = {
	.deliver	= psteer_rec_deliver,
	.kick		= psteer_rec_kick,
};

KUNIT_DEFINE_ACTION_WRAPPER(psteer_table_destroy_action, psteer_table_destroy,
			    struct psteer_table *);

static void psteer_rec_purge(void *unused)
{
	__skb_queue_purge(&psteer_rec.delivered);
}

/* A test table of @nbuckets over CPUs a and b, destroyed after the case. */
struct psteer_table *psteer_test_table(struct kunit *test, u32 nbuckets,
				       u32 queue_len)
{
	struct psteer_table *tbl;
	cpumask_var_t mask;

	KUNIT_ASSERT_TRUE(test, zalloc_cpumask_var(&mask, GFP_KERNEL));
	cpumask_set_cpu(psteer_cpu_a, mask);
	cpumask_set_cpu(psteer_cpu_b, mask);
	tbl = psteer_table_create(nbuckets, mask, queue_len, &psteer_rec_ops);
	free_cpumask_var(mask);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tbl);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_table_destroy_action,
						  tbl));
	return tbl;
}

/* Suite init: picks CPUs a and b, empties the record. */
int psteer_test_table_init(struct kunit *test)
{
	KUNIT_ASSERT_GE(test, num_possible_cpus(), 2);
	psteer_cpu_a = cpumask_first(cpu_possible_mask);
	psteer_cpu_b = cpumask_next(psteer_cpu_a, cpu_possible_mask);
	__skb_queue_head_init(&psteer_rec.delivered);
	memset(psteer_rec.kicks, 0, sizeof(psteer_rec.kicks));
	return kunit_add_action_or_reset(test, psteer_rec_purge, NULL);
}

/*
 * Enqueues @n packets of @len bytes numbered from @first (skb->mark), with
 * BHs off as in the hook. Returns how many were refused (and freed).
 */
int psteer_put_len(struct kunit *test, struct psteer_table *tbl,
		   struct psteer_bucket *b, u32 first, u32 n, u32 len)
{
	int refused = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb_put(skb, len);
		skb->mark = first + i;
		local_bh_disable();
		if (psteer_enqueue(tbl, b, skb)) {
			kfree_skb(skb);
			refused++;
		}
		local_bh_enable();
	}
	return refused;
}

int psteer_put(struct kunit *test, struct psteer_table *tbl,
	       struct psteer_bucket *b, u32 first, u32 n)
{
	return psteer_put_len(test, tbl, b, first, n, 64);
}

/* Drains for @cpu with BHs off, as the NAPI poll does. */
int psteer_drain_bh(struct psteer_table *tbl, int cpu, int budget)
{
	int done;

	local_bh_disable();
	done = psteer_drain(tbl, cpu, budget);
	local_bh_enable();
	return done;
}

/* Checks that deliveries so far are exactly 0..@n-1, in order. */
void psteer_expect_in_order(struct kunit *test, u32 n)
{
	struct sk_buff *skb;
	u32 next = 0;

	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), n);
	skb_queue_walk(&psteer_rec.delivered, skb)
		KUNIT_EXPECT_EQ(test, skb->mark, next++);
}
