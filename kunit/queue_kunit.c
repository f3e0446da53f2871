// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the bucket table and its queues (src/table.c, src/queue.c).
 *
 * Tests use private tables whose ops record deliveries and kicks instead
 * of resuming netfilter and sending IPIs, and call psteer_drain() for a
 * CPU themselves, with BHs off as in the NAPI poll.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/skbuff.h>

#include "table.h"

/* Shared by the ops below; KUnit runs one case at a time. */
static struct {
	struct sk_buff_head delivered;
	unsigned int kicks[NR_CPUS];
} psteer_rec;

static void psteer_rec_deliver(struct psteer_table *tbl, struct sk_buff *skb)
{
	__skb_queue_tail(&psteer_rec.delivered, skb);
}

static void psteer_rec_kick(struct psteer_table *tbl, int cpu)
{
	psteer_rec.kicks[cpu]++;
}

static const struct psteer_table_ops psteer_rec_ops = {
	.deliver	= psteer_rec_deliver,
	.kick		= psteer_rec_kick,
};

KUNIT_DEFINE_ACTION_WRAPPER(psteer_table_destroy_action, psteer_table_destroy,
			    struct psteer_table *);

static void psteer_rec_purge(void *unused)
{
	__skb_queue_purge(&psteer_rec.delivered);
}

/* Owner CPUs used by the cases: two distinct possible CPUs. */
static int psteer_cpu_a, psteer_cpu_b;

static struct psteer_table *psteer_test_table(struct kunit *test,
					      u32 nbuckets, u32 queue_len)
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

static int psteer_queue_init(struct kunit *test)
{
	KUNIT_ASSERT_GE(test, num_possible_cpus(), 2);
	psteer_cpu_a = cpumask_first(cpu_possible_mask);
	psteer_cpu_b = cpumask_next(psteer_cpu_a, cpu_possible_mask);
	__skb_queue_head_init(&psteer_rec.delivered);
	memset(psteer_rec.kicks, 0, sizeof(psteer_rec.kicks));
	return kunit_add_action_or_reset(test, psteer_rec_purge, NULL);
}

/* Enqueues @n packets of @len bytes numbered from @first (skb->mark). */
static int psteer_put_len(struct kunit *test, struct psteer_table *tbl,
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

static int psteer_put(struct kunit *test, struct psteer_table *tbl,
		      struct psteer_bucket *b, u32 first, u32 n)
{
	return psteer_put_len(test, tbl, b, first, n, 64);
}

static int psteer_drain_bh(struct psteer_table *tbl, int cpu, int budget)
{
	int done;

	local_bh_disable();
	done = psteer_drain(tbl, cpu, budget);
	local_bh_enable();
	return done;
}

/* Checks that deliveries so far are exactly 0..@n-1, in order. */
static void psteer_expect_in_order(struct kunit *test, u32 n)
{
	struct sk_buff *skb;
	u32 next = 0;

	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), n);
	skb_queue_walk(&psteer_rec.delivered, skb)
		KUNIT_EXPECT_EQ(test, skb->mark, next++);
}

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

/* A bucket's packets come out in arrival order; one kick per batch. */
static void psteer_queue_fifo_order(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];

	KUNIT_ASSERT_EQ(test, 0, psteer_put(test, tbl, b, 0, 100));
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[psteer_cpu_a], 1);
	KUNIT_EXPECT_EQ(test, b->sched, psteer_cpu_a);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 1000), 100);
	psteer_expect_in_order(test, 100);
	KUNIT_EXPECT_EQ(test, b->sched, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, b->packets, 100);
}

/* Only the owner with an idle bucket may pass packets inline. */
static void psteer_queue_inline_rule(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];

	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, psteer_cpu_a));
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, psteer_cpu_b));
	psteer_put(test, tbl, b, 0, 1);
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, psteer_cpu_a));
	psteer_drain_bh(tbl, psteer_cpu_a, 64);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, psteer_cpu_a));
}

/*
 * The owner changes while packets are queued and while the old owner is
 * part-way through them: the old owner hands the bucket over, the new
 * owner continues at the head, nothing is delivered twice or out of
 * order, and the new owner may not go inline until the queue is empty.
 */
static void psteer_queue_order_across_move(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int a = psteer_cpu_a, nb = psteer_cpu_b;

	psteer_put(test, tbl, b, 0, 50);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 20), 20);
	psteer_table_set_owner(tbl, 0, nb);
	psteer_put(test, tbl, b, 50, 50);
	/* The new owner is not the drainer yet: nothing for it, no inline. */
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 1000), 0);
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, nb));
	/* The old drainer hands over without delivering. */
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 1000), 0);
	KUNIT_EXPECT_EQ(test, b->sched, nb);
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[nb], 1);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 1000), 80);
	psteer_expect_in_order(test, 100);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, nb));
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, a));
}

/* Moving back and forth on every packet still keeps the order. */
static void psteer_queue_order_ping_pong(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int cpus[2] = { psteer_cpu_a, psteer_cpu_b };
	u32 i;

	for (i = 0; i < 200; i++) {
		psteer_put(test, tbl, b, i, 1);
		psteer_table_set_owner(tbl, 0, cpus[(i + 1) % 2]);
		psteer_drain_bh(tbl, cpus[i % 2], 1);
		psteer_drain_bh(tbl, cpus[(i + 1) % 2], 1);
	}
	psteer_drain_bh(tbl, cpus[0], 1000);
	psteer_drain_bh(tbl, cpus[1], 1000);
	psteer_expect_in_order(test, 200);
}

/* Past queue_len a bucket refuses packets and counts them. */
static void psteer_queue_drop_at_queue_len(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 2, 8);
	struct psteer_bucket *b = &tbl->buckets[0];

	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, b, 0, 11), 3);
	KUNIT_EXPECT_EQ(test, b->drops, 3);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&b->queue), 8);
	/* The other bucket is unaffected. */
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, &tbl->buckets[1], 0, 8), 0);
	/* Draining makes room again. */
	psteer_drain_bh(tbl, psteer_cpu_a, 1000);
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, b, 0, 8), 0);
}

/*
 * Deficit round robin (claim 6): buckets 0 and 2 of CPU a, one with
 * 1500-byte packets, one with 500-byte ones, quantum 1500. Turns
 * alternate and each sends one quantum: 1 big packet, then 3 small ones,
 * so a bucket is never served twice in a row while the other waits.
 */
static void psteer_drr_alternates(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 3, 1024);
	static const u32 want[] = { 0, 1000, 1001, 1002, 1, 1003, 1004, 1005 };
	struct sk_buff *skb;
	u32 i = 0;

	tbl->quantum = 1500;
	psteer_put_len(test, tbl, &tbl->buckets[0], 0, 20, 1500);
	psteer_put_len(test, tbl, &tbl->buckets[2], 1000, 60, 500);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 8), 8);
	skb_queue_walk(&psteer_rec.delivered, skb) {
		KUNIT_EXPECT_EQ(test, skb->mark, want[i]);
		i++;
	}
}

/* Equal quanta give equal bytes, within one quantum, whatever the sizes. */
static void psteer_drr_equal_bytes(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 3, 1024);
	u64 big = 0, small = 0;
	struct sk_buff *skb;

	tbl->quantum = 3000;
	psteer_put_len(test, tbl, &tbl->buckets[0], 0, 200, 1400);
	psteer_put_len(test, tbl, &tbl->buckets[2], 1000, 900, 90);
	psteer_drain_bh(tbl, psteer_cpu_a, 300);
	skb_queue_walk(&psteer_rec.delivered, skb) {
		if (skb->mark >= 1000)
			small += skb->len;
		else
			big += skb->len;
	}
	KUNIT_EXPECT_GT(test, big, 0);
	KUNIT_EXPECT_LE(test, abs((s64)big - (s64)small), 3000 + 1400);
}

/* A packet larger than the quantum goes out once the deficit covers it. */
static void psteer_drr_large_packet(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];

	tbl->quantum = 1000;
	psteer_put_len(test, tbl, b, 0, 1, 4500);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 64), 1);
	KUNIT_EXPECT_EQ(test, b->deficit, 0);
	KUNIT_EXPECT_EQ(test, b->sched, PSTEER_NO_CPU);
}

/*
 * Quantum 0 is FIFO: a bucket delivers all it has before the next, even
 * across polls that the budget cuts short.
 */
static void psteer_drr_quantum0_fifo(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 3, 1024);
	struct sk_buff *skb;
	u32 i = 0;

	tbl->quantum = 0;
	psteer_put_len(test, tbl, &tbl->buckets[0], 0, 50, 1500);
	psteer_put_len(test, tbl, &tbl->buckets[2], 1000, 50, 100);
	/* Budgets of 30: the first bucket keeps the head across polls. */
	while (psteer_drain_bh(tbl, psteer_cpu_a, 30))
		;
	skb_queue_walk(&psteer_rec.delivered, skb) {
		KUNIT_EXPECT_EQ(test, skb->mark, i < 50 ? i : 1000 + i - 50);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, 100);
}

/* Budget honoured: a drain never delivers more than asked. */
static void psteer_queue_budget(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);

	psteer_put(test, tbl, &tbl->buckets[0], 0, 10);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 3), 3);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 3), 3);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 64), 4);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 64), 0);
	psteer_expect_in_order(test, 10);
}

/*
 * The per-CPU backlog: packets queued for one drainer, all its buckets
 * together, are capped; a hand-over moves them to the new drainer's count.
 */
static void psteer_queue_backlog_cap(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 1024);
	struct psteer_cpu *pa = per_cpu_ptr(tbl->pcpu, psteer_cpu_a);
	struct psteer_cpu *pb = per_cpu_ptr(tbl->pcpu, psteer_cpu_b);

	tbl->backlog_len = 10;
	/* Buckets 0 and 2 belong to CPU a: 10 of their 16 packets fit. */
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, &tbl->buckets[0], 0, 8), 0);
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, &tbl->buckets[2], 100, 8),
			6);
	KUNIT_EXPECT_EQ(test, tbl->buckets[2].drops, 6);
	KUNIT_EXPECT_EQ(test, atomic_read(&pa->backlog), 10);
	/* CPU b's own backlog is separate. */
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, &tbl->buckets[1], 200, 8),
			0);
	/* Bucket 2 moves to b: its 2 packets leave a's count for b's. */
	psteer_table_set_owner(tbl, 2, psteer_cpu_b);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 5), 5);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 64), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&pa->backlog), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pb->backlog), 10);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_b, 64), 10);
	KUNIT_EXPECT_EQ(test, atomic_read(&pb->backlog), 0);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 18);
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

static struct kunit_case psteer_queue_cases[] = {
	KUNIT_CASE(psteer_table_round_robin),
	KUNIT_CASE(psteer_table_create_rejects),
	KUNIT_CASE(psteer_queue_fifo_order),
	KUNIT_CASE(psteer_queue_inline_rule),
	KUNIT_CASE(psteer_queue_order_across_move),
	KUNIT_CASE(psteer_queue_order_ping_pong),
	KUNIT_CASE(psteer_queue_drop_at_queue_len),
	KUNIT_CASE(psteer_drr_alternates),
	KUNIT_CASE(psteer_drr_equal_bytes),
	KUNIT_CASE(psteer_drr_large_packet),
	KUNIT_CASE(psteer_drr_quantum0_fifo),
	KUNIT_CASE(psteer_queue_budget),
	KUNIT_CASE(psteer_queue_backlog_cap),
	KUNIT_CASE(psteer_table_flush_selects),
	{}
};

static struct kunit_suite psteer_queue_suite = {
	.name = "psteer_queue",
	.init = psteer_queue_init,
	.test_cases = psteer_queue_cases,
};

kunit_test_suite(psteer_queue_suite);
