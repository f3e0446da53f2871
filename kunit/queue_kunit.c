// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the bucket queues, the one-drainer rule and deficit round robin
 * (src/queue.c).
 *
 * Tests use private tables (test_table.c) whose ops record deliveries and
 * kicks instead of resuming netfilter and sending IPIs, and call
 * psteer_drain() for a CPU themselves, with BHs off as in the NAPI poll.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#ifdef PSTEER_HAVE_RXQ_NAPI
#include <net/netdev_rx_queue.h>
#endif

#include "nic.h"
#include "psteer.h"
#include "table.h"
#include "test_table.h"

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

/*
 * Issue 10, defect 4 (GRO lists): ip_sublist_rcv() runs the hook over a
 * whole list before delivering any of it. The owner a passes P1 inline,
 * the rebalancer moves the bucket to b, then the hook sees P2 of the same
 * list on a: had the move taken effect at once, P2 would be queued for b,
 * which could deliver it before a delivers P1. The move waits for a's own
 * drain (its NAPI poll, after the list is done): until then P2 goes
 * inline behind P1, on a.
 */
static void psteer_queue_move_gro_list(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int a = psteer_cpu_a, nb = psteer_cpu_b;

	KUNIT_ASSERT_TRUE(test, cpu_online(a));
	KUNIT_ASSERT_TRUE(test, psteer_may_inline(b, a));	/* P1 */
	psteer_table_set_owner(tbl, 0, nb);
	KUNIT_EXPECT_EQ(test, psteer_bucket_owner(b), nb);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, a));	/* P2 */
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, nb));
	/* a is asked to apply it; b's drain has nothing to do. */
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[a], 1);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 64), 0);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, a));
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 64), 0);
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, a));
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, nb));
	/* Moved away and back before the owner drains: it stays. */
	psteer_table_set_owner(tbl, 0, a);
	psteer_table_set_owner(tbl, 0, nb);
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[nb], 1);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 64), 0);
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
	/* Four turns without a packet (each charged), the fifth delivers. */
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, psteer_cpu_a, 64), 5);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 1);
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

/*
 * A turn that delivers nothing (the head outweighs the deficit) is
 * charged to the budget like a packet: a 64 KB GRO packet behind a
 * 1500-byte quantum needs 44 turns, which must not all run in one poll.
 */
static void psteer_drr_turns_charged(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int polls = 0;

	tbl->quantum = 1500;
	psteer_put_len(test, tbl, b, 0, 1, 65536);
	/* 43 empty turns, then the 44th delivers: 6 polls of 8. */
	while (psteer_drain_bh(tbl, psteer_cpu_a, 8) == 8) {
		KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 0);
		KUNIT_ASSERT_LT(test, ++polls, 100);
	}
	KUNIT_EXPECT_EQ(test, polls, 5);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 1);
	KUNIT_EXPECT_EQ(test, b->sched, PSTEER_NO_CPU);
}

/*
 * The bypass: an idle bucket refuses a packet (the hook passes it on) and
 * stays idle; a busy one takes it behind its packets, in order.
 */
static void psteer_queue_behind(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 2, 1024);
	struct psteer_bucket *idle = &tbl->buckets[0], *busy = &tbl->buckets[1];
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	local_bh_disable();
	KUNIT_EXPECT_EQ(test, psteer_enqueue_behind(tbl, idle, skb), 1);
	local_bh_enable();
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, idle->sched, PSTEER_NO_CPU);

	psteer_put(test, tbl, busy, 0, 3);
	for (i = 3; i < 6; i++) {
		skb = alloc_skb(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb->mark = i;
		local_bh_disable();
		KUNIT_EXPECT_EQ(test, psteer_enqueue_behind(tbl, busy, skb), 0);
		local_bh_enable();
	}
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, busy->cpu, 64), 6);
	psteer_expect_in_order(test, 6);
	KUNIT_EXPECT_EQ(test, busy->sched, PSTEER_NO_CPU);
}

/* Memory queued for @cpu's drain. */
static long psteer_cpu_bytes(struct psteer_table *tbl, int cpu)
{
	return atomic_long_read(&per_cpu_ptr(tbl->pcpu, cpu)->backlog_bytes);
}

/*
 * Memory, not only packets, is bounded: 64 KB GRO packets fill a bucket's
 * byte cap long before its queue_len of 1024, and what is refused is
 * counted as the bucket's drops. Draining gives the bytes back.
 */
static void psteer_queue_truesize_cap(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int refused;

	refused = psteer_put_len(test, tbl, b, 0, 100, 65536);
	KUNIT_EXPECT_GT(test, refused, 0);
	KUNIT_EXPECT_EQ(test, b->drops, refused);
	/* The cap is met, and passed by less than the last packet. */
	KUNIT_EXPECT_GE(test, b->qbytes, tbl->queue_bytes);
	KUNIT_EXPECT_LT(test, b->qbytes, tbl->queue_bytes + 4 * 65536);
	while (psteer_drain_bh(tbl, psteer_cpu_a, 64) == 64)
		;
	KUNIT_EXPECT_EQ(test, b->qbytes, 0);
	KUNIT_EXPECT_EQ(test, psteer_cpu_bytes(tbl, psteer_cpu_a), 0);
}

/* The per-CPU byte cap: two buckets of one drainer share it. */
static void psteer_queue_backlog_bytes(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 1024);
	struct psteer_bucket *b0 = &tbl->buckets[0], *b2 = &tbl->buckets[2];
	struct sk_buff *skb = alloc_skb(60000, GFP_KERNEL);
	unsigned int one;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	one = skb->truesize;
	kfree_skb(skb);
	/* Buckets 0 and 2 both belong to CPU a: room for three packets. */
	tbl->backlog_bytes = 3 * one;
	KUNIT_EXPECT_EQ(test, psteer_put_len(test, tbl, b0, 0, 2, 60000), 0);
	KUNIT_EXPECT_EQ(test, psteer_put_len(test, tbl, b2, 2, 2, 60000), 1);
	KUNIT_EXPECT_EQ(test, b2->drops, 1);
	psteer_drain_bh(tbl, psteer_cpu_a, 64);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&psteer_rec.delivered), 3);
	KUNIT_EXPECT_EQ(test, psteer_cpu_bytes(tbl, psteer_cpu_a), 0);
}

/*
 * One DRR turn on its own: a bucket takes packets while its deficit
 * covers them, keeps what is left for its next turn, loses it once
 * emptied; @max caps a turn; quantum 0 takes all it may.
 */
static void psteer_drr_take_deficit(struct kunit *test)
{
	struct psteer_bucket b = {};
	struct sk_buff_head batch;
	int i;

	spin_lock_init(&b.lock);
	__skb_queue_head_init(&b.queue);
	__skb_queue_head_init(&batch);
	for (i = 0; i < 4; i++) {
		struct sk_buff *skb = alloc_skb(1000, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb_put(skb, 1000);
		__skb_queue_tail(&b.queue, skb);
		b.qbytes += skb->truesize;
	}
	spin_lock_bh(&b.lock);
	KUNIT_EXPECT_EQ(test, psteer_drr_take(&b, 1500, 64, &batch), 1);
	KUNIT_EXPECT_EQ(test, b.deficit, 500);
	KUNIT_EXPECT_EQ(test, psteer_drr_take(&b, 1500, 64, &batch), 2);
	KUNIT_EXPECT_EQ(test, b.deficit, 0);
	KUNIT_EXPECT_EQ(test, psteer_drr_take(&b, 0, 0, &batch), 0);
	KUNIT_EXPECT_EQ(test, psteer_drr_take(&b, 5000, 64, &batch), 1);
	KUNIT_EXPECT_EQ(test, b.deficit, 0);
	spin_unlock_bh(&b.lock);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&batch), 4);
	KUNIT_EXPECT_EQ(test, b.qbytes, 0);
	__skb_queue_purge(&batch);
}

static bool psteer_test_match_all(const struct sk_buff *skb, const void *arg)
{
	return true;
}

/* Puts @n packets numbered from @first through psteer_enqueue_held(). */
static int psteer_put_held(struct kunit *test, struct psteer_table *tbl,
			   struct psteer_bucket *b, u32 first, u32 n, int cpu)
{
	int ret = 0;
	u32 i;

	for (i = 0; i < n && !ret; i++) {
		struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb_put(skb, 64);
		skb->mark = first + i;
		local_bh_disable();
		ret = psteer_enqueue_held(tbl, b, skb, cpu);
		local_bh_enable();
		if (ret)
			kfree_skb(skb);
	}
	return ret;
}

/*
 * Issue 14's fence (src/nic.c): the NIC's entry of a bucket moves from a's
 * queue to nb's. Packets 0-9 were in a's ring before the rewrite, 10-19
 * reach nb after it; a's arrive at the hook before and after nb's. nb's
 * wait aside until the release, then follow every one of a's: 0-19 in
 * order, whoever drains.
 */
static void psteer_queue_hold_fence(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int a = psteer_cpu_a, nb = psteer_cpu_b;

	psteer_table_set_owner(tbl, 0, nb);
	psteer_hold(tbl, b, nb);
	KUNIT_EXPECT_EQ(test, b->hold, nb);
	psteer_put(test, tbl, b, 0, 4);
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 10, 10, nb), 0);
	/* Only the CPU held for is held: a's packets take the FIFO. */
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 99, 1, a), 1);
	psteer_put(test, tbl, b, 4, 3);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 1000), 0);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 1000), 7);
	psteer_put(test, tbl, b, 7, 3);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&b->held), 10);
	KUNIT_EXPECT_EQ(test, b->hbytes, 10 * b->held.next->truesize);
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, a));
	psteer_release_held(tbl, b);
	KUNIT_EXPECT_EQ(test, b->hold, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&b->held), 0);
	KUNIT_EXPECT_EQ(test, b->hbytes, 0);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 1000), 13);
	psteer_expect_in_order(test, 20);
	KUNIT_EXPECT_EQ(test, atomic_read(&per_cpu_ptr(tbl->pcpu, nb)->backlog),
			0);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&per_cpu_ptr(tbl->pcpu, nb)->backlog_bytes),
			0);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, nb));
	/* Released: nb's packets are no longer held. */
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 20, 1, nb), 1);
}

/*
 * A release into an idle bucket makes its owner drain; held packets obey
 * queue_len; a flush (a device going away) frees them and their bytes.
 */
static void psteer_queue_hold_limits(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 2, 8);
	struct psteer_bucket *b = &tbl->buckets[0], *c = &tbl->buckets[1];
	int a = b->cpu;

	psteer_hold(tbl, b, a);
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 0, 8, a), 0);
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 8, 1, a), -ENOBUFS);
	KUNIT_EXPECT_EQ(test, b->drops, 1);
	KUNIT_EXPECT_EQ(test, b->sched, PSTEER_NO_CPU);
	psteer_release_held(tbl, b);
	KUNIT_EXPECT_EQ(test, b->sched, a);
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[a], 1);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 1000), 8);
	psteer_expect_in_order(test, 8);

	psteer_hold(tbl, c, c->cpu);
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, c, 0, 3, c->cpu), 0);
	KUNIT_EXPECT_EQ(test, psteer_table_flush(tbl, psteer_test_match_all,
						 NULL), 3);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&c->held), 0);
	KUNIT_EXPECT_EQ(test, c->hbytes, 0);
	KUNIT_EXPECT_EQ(test, c->drops, 3);
	psteer_release_held(tbl, c);
	KUNIT_EXPECT_EQ(test, c->sched, PSTEER_NO_CPU);
}

/*
 * The bypass (the last CPU of the set going offline, src/hotplug.c) while
 * a NIC's rewrite holds a bucket for nb: packets 0-2 reached nb after the
 * rewrite and wait aside. Packet 3 reaches nb too, before it is offline:
 * it must wait behind them (the bypass passed it on, ahead of them, as
 * the FIFO was empty). Packet 99 comes from a, the old queue's CPU: older
 * than the held ones, it passes. No new hold while bypassed: no CPU of
 * the set would be left to drain it. The release (psteer_hotplug_offline()
 * releases every bucket) puts 0-3 on the owner, which drains them in order.
 */
static void psteer_queue_bypass_held(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 2, 1024);
	struct psteer_bucket *b = &tbl->buckets[0], *c = &tbl->buckets[1];
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	struct sk_buff *skb;
	int ret;

	psteer_table_set_owner(tbl, 0, nb);
	psteer_hold(tbl, b, nb);
	KUNIT_EXPECT_EQ(test, psteer_put_held(test, tbl, b, 0, 3, nb), 0);
	WRITE_ONCE(tbl->bypass, true);

	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put(skb, 64);
	skb->mark = 3;
	local_bh_disable();
	ret = psteer_enqueue_steered(tbl, b, skb, nb, psteer_held_for(b, nb),
				     true);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&b->held), 4);

	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb->mark = 99;
	local_bh_disable();
	KUNIT_EXPECT_EQ(test, psteer_enqueue_steered(tbl, b, skb, a,
						     psteer_held_for(b, a), true), 1);
	local_bh_enable();
	kfree_skb(skb);

	KUNIT_EXPECT_FALSE(test, psteer_hold(tbl, c, nb));
	KUNIT_EXPECT_EQ(test, c->hold, PSTEER_NO_CPU);

	psteer_release_held(tbl, b);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 1000), 0);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 1000), 4);
	psteer_expect_in_order(test, 4);
	KUNIT_EXPECT_EQ(test, b->sched, PSTEER_NO_CPU);
	WRITE_ONCE(tbl->bypass, false);
}

/*
 * The end of the bypass and GRO lists: ip_list_rcv() runs the hook over a
 * whole list before delivering any of it. On a (any CPU, the set's CPUs
 * offline), the hook passed P1 on, bypassed; nb comes back online and the
 * bypass ends before the hook sees P2 of the same list, which goes to the
 * FIFO of nb, the new owner. Had nb drained it at once, P2 could reach
 * its socket before a delivers P1. No CPU drains until the bypass's
 * packets are delivered (psteer_table_resumed(), after a grace period):
 * then nb does, kicked again, as its first kick found nothing to do.
 */
static void psteer_queue_bypass_end_gro_list(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	struct sk_buff *skb;
	int ret;

	/* psteer_table_resumed() kicks online CPUs only. */
	KUNIT_ASSERT_TRUE(test, cpu_online(nb));
	/* nb owns the bucket, as when the CPU back takes every bucket. */
	psteer_table_set_owner(tbl, 0, nb);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, a, 64), 0);
	WRITE_ONCE(tbl->bypass, true);
	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	local_bh_disable();
	ret = psteer_enqueue_steered(tbl, b, skb, a, false, true);	/* P1 */
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, 1);
	kfree_skb(skb);

	psteer_table_resume(tbl);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(tbl->bypass));
	KUNIT_EXPECT_EQ(test, psteer_put(test, tbl, b, 0, 1), 0);	/* P2 */
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[nb], 1);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 64), 0);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&b->queue), 1);
	KUNIT_EXPECT_FALSE(test, psteer_may_inline(b, nb));

	psteer_table_resumed(tbl);
	KUNIT_EXPECT_EQ(test, psteer_rec.kicks[nb], 2);
	KUNIT_EXPECT_EQ(test, psteer_drain_bh(tbl, nb, 64), 1);
	psteer_expect_in_order(test, 1);
	KUNIT_EXPECT_TRUE(test, psteer_may_inline(b, nb));
}

/*
 * What the hook of the CPU held for may see while psteer_release_held()
 * runs: it reads b->hold, then psteer_may_inline(), without b->lock
 * (src/hook.c). A timer interrupt on the releasing CPU looks in between
 * any two of its steps. Once the hold reads ended, the held packets must
 * be seen queued (b->sched set): else the hook passes its next packet
 * inline, ahead of them, which a release into an idle bucket owned by the
 * CPU held for did (5 datagrams reordered in a nic-latest run). For 3 s
 * (the timer looks a few hundred times under TCG), one packet at a time.
 * An interrupt on the same CPU sees the order of the program as compiled,
 * not what another CPU's memory model allows: the barriers themselves
 * (the release and the acquire) are not what this tests.
 */
struct psteer_release_probe {
	struct hrtimer timer;
	struct psteer_bucket *b;
	int cpu;
	unsigned long seen;
	unsigned long pending;
	unsigned long bad;
};

#define PSTEER_PROBE_NS	7000

static enum hrtimer_restart psteer_release_probe_fn(struct hrtimer *timer)
{
	struct psteer_release_probe *p =
		container_of(timer, struct psteer_release_probe, timer);
	struct psteer_bucket *b = p->b;

	p->seen++;
	if (skb_queue_len_lockless(&b->held) ||
	    skb_queue_len_lockless(&b->queue)) {
		p->pending++;
		if (!psteer_held_for(b, p->cpu) &&
		    psteer_may_inline(b, p->cpu))
			p->bad++;
	}
	hrtimer_forward_now(timer, ns_to_ktime(PSTEER_PROBE_NS));
	return HRTIMER_RESTART;
}

static void psteer_queue_hold_release_seen(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 1, 1024);
	struct psteer_bucket *b = &tbl->buckets[0];
	struct psteer_release_probe *p;
	unsigned long end = jiffies + 3 * HZ;
	struct sk_buff *skb;
	u32 rounds = 0;
	int ret = 0;

	/* A timer is not on the stack (debugobjects). */
	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	p->b = b;
	p->cpu = b->cpu;
	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put(skb, 64);
	psteer_hrtimer_setup(&p->timer, psteer_release_probe_fn,
			     CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	migrate_disable();
	hrtimer_start(&p->timer, ns_to_ktime(PSTEER_PROBE_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	while (time_before(jiffies, end) && skb) {
		psteer_hold(tbl, b, p->cpu);
		local_bh_disable();
		ret = psteer_enqueue_held(tbl, b, skb, p->cpu);
		local_bh_enable();
		if (ret)
			break;
		psteer_release_held(tbl, b);
		psteer_drain_bh(tbl, p->cpu, 1);
		skb = __skb_dequeue(&psteer_rec.delivered);
		rounds++;
	}
	hrtimer_cancel(&p->timer);
	migrate_enable();
	kfree_skb(skb);
	kunit_info(test, "%u releases, %lu looks (%lu with the packet held or queued), %lu saw the hold ended before the FIFO\n",
		   rounds, p->seen, p->pending, p->bad);
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* Some looks fell inside the steps (hundreds do in 3 s). */
	KUNIT_EXPECT_GT(test, p->pending, 0);
	KUNIT_EXPECT_EQ(test, p->bad, 0);
}

static void psteer_hw_free_seen(void *p)
{
	struct psteer_hw *hw = p;

	free_percpu(hw->qseen);
}

/*
 * A driven device's state for the psteer_hw_* cases: @entries (at most
 * BITS_PER_LONG) table entries, all on queue 0, @nqueues queues, no CPU
 * known for any (qcpu zero: the case sets them), no packet counted.
 */
static struct psteer_hw *psteer_test_hw(struct kunit *test, u32 entries,
					u32 nqueues)
{
	struct psteer_hw *hw = kunit_kzalloc(test, sizeof(*hw), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, hw);
	hw->entries = entries;
	hw->nqueues = nqueues;
	hw->qcpu = kunit_kcalloc(test, nqueues, sizeof(int), GFP_KERNEL);
	hw->qlast = kunit_kcalloc(test, nr_cpu_ids * nqueues, sizeof(u32),
				  GFP_KERNEL);
	hw->qscore = kunit_kcalloc(test, nr_cpu_ids * nqueues, sizeof(u32),
				   GFP_KERNEL);
	hw->cpuq = kunit_kcalloc(test, nr_cpu_ids, sizeof(int), GFP_KERNEL);
	hw->cur = kunit_kcalloc(test, entries, sizeof(u32), GFP_KERNEL);
	hw->next = kunit_kcalloc(test, entries, sizeof(u32), GFP_KERNEL);
	hw->held = kunit_kcalloc(test, 1, sizeof(long), GFP_KERNEL);
	hw->oldq = kunit_kcalloc(test, 1, sizeof(long), GFP_KERNEL);
	hw->qfull = kunit_kcalloc(test, 1, sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, hw->qcpu && hw->qlast && hw->qscore &&
			  hw->cpuq && hw->cur && hw->next && hw->held &&
			  hw->oldq && hw->qfull);
	hw->qseen = __alloc_percpu(nqueues * sizeof(u32), sizeof(u32));
	KUNIT_ASSERT_TRUE(test, !!hw->qseen);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, psteer_hw_free_seen,
						  hw));
	return hw;
}

/* @n packets of @hw's queue @q, as the hook on @cpu counts them. */
static void psteer_test_learn(struct psteer_hw *hw, struct sk_buff *skb,
			      u16 q, int cpu, int n)
{
	skb_record_rx_queue(skb, q);
	while (n--)
		psteer_hw_learn(hw, skb, cpu);
}

/*
 * psteer_hw_learn_queues() (src/nic.c): which CPU handles each queue,
 * from the packets the hook counted (psteer_hw_learn()), queue 0 handled
 * on CPU a and queue 1 on b. A poll of queue 0 run on b (the device
 * opened there, a poll that goes on where it started) hands b a few of
 * queue 0's packets first: too few to tell. Once a handled most, queue 0
 * is a's, and a later burst on b, the last packets counted, does not take
 * it from a (it did when the last packet decided: the entries of b's
 * buckets went to queue 0, and queue 1 was left without packets to learn
 * from); nor do syncs without packets. A queue whose interrupt truly
 * moved goes to its new CPU once that handles twice as many of its recent
 * packets, and a's count fades as b's come (the window).
 */
static void psteer_hw_learn_queues_strays(struct kunit *test)
{
	struct psteer_hw *hw = psteer_test_hw(test, 4, 2);
	int a = psteer_cpu_a, nb = psteer_cpu_b, i;
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	hw->qcpu[0] = -1;
	hw->qcpu[1] = -1;

	psteer_test_learn(hw, skb, 0, nb, PSTEER_HW_LEARN_MIN - 2);
	psteer_hw_learn_queues(hw);
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], -1);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], -1);

	psteer_test_learn(hw, skb, 0, a, 3 * PSTEER_HW_LEARN_MIN);
	psteer_test_learn(hw, skb, 1, nb, 3 * PSTEER_HW_LEARN_MIN);
	psteer_hw_learn_queues(hw);
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], a);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], nb);

	psteer_test_learn(hw, skb, 0, a, 4);
	psteer_test_learn(hw, skb, 0, nb, PSTEER_HW_LEARN_MIN);
	psteer_hw_learn_queues(hw);
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], a);
	for (i = 0; i < 3; i++)
		psteer_hw_learn_queues(hw);
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], a);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], nb);

	for (i = 0; i < 4; i++) {
		psteer_test_learn(hw, skb, 0, nb, PSTEER_HW_LEARN_WINDOW / 2);
		psteer_hw_learn_queues(hw);
	}
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], nb);
	KUNIT_EXPECT_LE(test, hw->qscore[a * hw->nqueues],
			PSTEER_HW_LEARN_WINDOW / 16);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], nb);
	kfree_skb(skb);
}

/*
 * psteer_hw_learn_queues(): a queue that carries few packets, a few
 * between two syncs (a lightly loaded server, a debug kernel), is learned
 * once it has carried PSTEER_HW_LEARN_MIN, however slowly they came. When
 * the counts halved at every sync, 3 packets per sync never added up to
 * PSTEER_HW_LEARN_MIN: the queue stayed unknown, the entries of its CPU's
 * buckets stayed where they were, steered in software. Queue 1, with 4
 * packets in all, is not learned.
 */
static void psteer_hw_learn_queues_slow(struct kunit *test)
{
	struct psteer_hw *hw = psteer_test_hw(test, 4, 2);
	int a = psteer_cpu_a, i;
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	hw->qcpu[0] = -1;
	hw->qcpu[1] = -1;
	for (i = 0; i < 2 * PSTEER_HW_LEARN_MIN; i++) {
		psteer_test_learn(hw, skb, 0, a, 3);
		if (i % 4 == 0)
			psteer_test_learn(hw, skb, 1, a, 1);
		psteer_hw_learn_queues(hw);
	}
	KUNIT_EXPECT_EQ(test, hw->qcpu[0], a);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], -1);
	kfree_skb(skb);
}

/*
 * The NIC of the unknown-queue cases: queue 0 on CPU a, queue 1 not
 * learned, queue 2 on b; its table @cur (4 entries), buckets 0-3 owned
 * by a, b, a, b.
 */
static struct psteer_hw *psteer_test_hw_unknown(struct kunit *test,
						struct psteer_table *tbl,
						const u32 *cur)
{
	struct psteer_hw *hw = psteer_test_hw(test, 4, 3);
	u32 e;

	hw->qcpu[0] = psteer_cpu_a;
	hw->qcpu[1] = -1;
	hw->qcpu[2] = psteer_cpu_b;
	memcpy(hw->cur, cur, 4 * sizeof(*cur));
	memcpy(hw->next, cur, 4 * sizeof(*cur));
	for (e = 0; e < 4; e++)
		psteer_table_set_owner(tbl, e,
				       e % 2 ? psteer_cpu_b : psteer_cpu_a);
	return hw;
}

/*
 * psteer_hw_plan(): the entries of a queue whose CPU psteer has not
 * learned yet stay on it, whoever owns their buckets: their packets are
 * what teaches psteer that CPU. Queue 0 on CPU a, queue 2 on b, queue 1
 * unknown; entries 0 and 1 on queue 1 stay (owners a and b), entry 2
 * (owner a) leaves queue 2 for queue 0, entry 3 (owner b) queue 0 for
 * queue 2. When the moves sent entries 0 and 1 to the known queues, queue
 * 1 was left with no packets to learn from (3 of 4 queues known, in a
 * debug kernel's nic test), and the buckets of its CPU steered in
 * software for good. Once queue 1 is known (b's), entry 0 goes to queue 0.
 * A queue that has carried a window of packets and is still undecided
 * (polled on a and b alike) keeps its entries no longer: they go to their
 * owners' queues.
 */
static void psteer_hw_plan_unknown_queue_kept(struct kunit *test)
{
	static const u32 cur[] = { 1, 1, 2, 0 };
	static const u32 want[] = { 1, 1, 0, 2 };
	static const u32 then[] = { 0, 1, 0, 2 };
	struct psteer_table *tbl = psteer_test_table(test, 4, 64);
	struct psteer_hw *hw = psteer_test_hw_unknown(test, tbl, cur);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	u32 e;

	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 2);
	for (e = 0; e < 4; e++)
		KUNIT_EXPECT_EQ(test, hw->next[e], want[e]);
	KUNIT_EXPECT_EQ(test, *hw->oldq, BIT(0) | BIT(2));
	KUNIT_EXPECT_EQ(test, *hw->held, BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].hold, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, tbl->buckets[1].hold, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, tbl->buckets[2].hold, a);
	for (e = 0; e < 4; e++)
		psteer_release_held(tbl, &tbl->buckets[e]);

	memcpy(hw->cur, hw->next, sizeof(cur));
	hw->qcpu[1] = nb;
	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 1);
	for (e = 0; e < 4; e++)
		KUNIT_EXPECT_EQ(test, hw->next[e], then[e]);
	KUNIT_EXPECT_EQ(test, *hw->oldq, BIT(1));
	KUNIT_EXPECT_EQ(test, *hw->held, BIT(0));
	for (e = 0; e < 4; e++)
		psteer_release_held(tbl, &tbl->buckets[e]);
}

/*
 * The end of psteer_hw_plan_unknown_queue_kept(): queue 1 polled on a
 * and b alike for a window of packets stays unknown, and its entries
 * (0 and 1) go to their owners' queues; before the window fills, they
 * stay.
 */
static void psteer_hw_plan_undecided_queue_left(struct kunit *test)
{
	static const u32 cur[] = { 1, 1, 0, 2 };
	static const u32 want[] = { 0, 2, 0, 2 };
	struct psteer_table *tbl = psteer_test_table(test, 4, 64);
	struct psteer_hw *hw = psteer_test_hw_unknown(test, tbl, cur);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);
	u32 e;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	psteer_test_learn(hw, skb, 1, a, PSTEER_HW_LEARN_WINDOW / 2);
	psteer_test_learn(hw, skb, 1, nb, PSTEER_HW_LEARN_WINDOW / 2);
	psteer_hw_learn_queues(hw);
	memcpy(hw->next, cur, sizeof(cur));
	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 0);

	psteer_test_learn(hw, skb, 1, a, 1);
	psteer_hw_learn_queues(hw);
	KUNIT_EXPECT_EQ(test, hw->qcpu[1], -1);
	KUNIT_EXPECT_LE(test, hw->qscore[a * hw->nqueues + 1] +
			hw->qscore[nb * hw->nqueues + 1],
			PSTEER_HW_LEARN_WINDOW);
	memcpy(hw->next, cur, sizeof(cur));
	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 2);
	for (e = 0; e < 4; e++)
		KUNIT_EXPECT_EQ(test, hw->next[e], want[e]);
	KUNIT_EXPECT_EQ(test, *hw->oldq, BIT(1));
	for (e = 0; e < 4; e++)
		psteer_release_held(tbl, &tbl->buckets[e]);
	kfree_skb(skb);
}

/*
 * psteer_hw_plan() (src/nic.c), a NIC with more queues than CPUs: queues 0
 * and 1 on CPU a, queue 2 on b; entries 0-3 carry buckets 0-3. Entry 1
 * is on queue 1 and its bucket's owner is a: it stays, though a's first
 * queue is 0 (moving it would hold queue 1's packets on a with queue 0's,
 * in the order a polls them). Entries 2 and 3 (owner a) leave queue 2
 * for queue 0; entry 0 (owner b) leaves queue 0 for queue 2. Bypassed,
 * nothing moves.
 */
static void psteer_hw_plan_queues_of_one_cpu(struct kunit *test)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 64);
	struct psteer_hw *hw = psteer_test_hw(test, 4, 3);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	static const u32 cur[] = { 0, 1, 2, 2 };
	static const u32 want[] = { 2, 1, 0, 0 };
	u32 e;

	hw->qcpu[0] = a;
	hw->qcpu[1] = a;
	hw->qcpu[2] = nb;
	memcpy(hw->cur, cur, sizeof(cur));
	memcpy(hw->next, cur, sizeof(cur));
	psteer_table_set_owner(tbl, 0, nb);
	for (e = 1; e < 4; e++)
		psteer_table_set_owner(tbl, e, a);

	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 3);
	for (e = 0; e < 4; e++)
		KUNIT_EXPECT_EQ(test, hw->next[e], want[e]);
	KUNIT_EXPECT_EQ(test, *hw->oldq, BIT(0) | BIT(2));
	KUNIT_EXPECT_EQ(test, *hw->held, BIT(0) | BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].hold, nb);
	KUNIT_EXPECT_EQ(test, tbl->buckets[1].hold, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, tbl->buckets[2].hold, a);
	for (e = 0; e < 4; e++)
		psteer_release_held(tbl, &tbl->buckets[e]);

	/* Bypassed (src/hotplug.c): no hold, so no entry moves. */
	memcpy(hw->next, cur, sizeof(cur));
	WRITE_ONCE(tbl->bypass, true);
	KUNIT_EXPECT_EQ(test, psteer_hw_plan(hw, tbl), 0);
	for (e = 0; e < 4; e++) {
		KUNIT_EXPECT_EQ(test, hw->next[e], cur[e]);
		KUNIT_EXPECT_EQ(test, tbl->buckets[e].hold, PSTEER_NO_CPU);
	}
	WRITE_ONCE(tbl->bypass, false);
}

/* What the fake driver of psteer_hw_coalesce_wait reports (ethtool -c). */
static struct ethtool_coalesce psteer_test_coal;

static int psteer_test_get_coalesce(struct net_device *dev,
				    struct ethtool_coalesce *ec,
				    struct kernel_ethtool_coalesce *kec,
				    struct netlink_ext_ack *extack)
{
	*ec = psteer_test_coal;
	return 0;
}

static const struct ethtool_ops psteer_test_coal_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_USECS |
				     ETHTOOL_COALESCE_USE_ADAPTIVE_RX |
				     ETHTOOL_COALESCE_RX_USECS_HIGH,
	.get_coalesce = psteer_test_get_coalesce,
};

static const struct ethtool_ops psteer_test_no_coal_ops = {};

KUNIT_DEFINE_ACTION_WRAPPER(psteer_free_netdev_action, psteer_free_dummy_netdev,
			    struct net_device *);

/*
 * The fence waits out a NIC's interrupt coalescing before it looks at the
 * old queues (src/nic.c): rx-usecs or rx-usecs-irq, rx-usecs-high when
 * adaptive, at most half the fence's bound; nothing without the op.
 */
static void psteer_hw_coalesce_wait(struct kunit *test)
{
	struct net_device *dev = psteer_alloc_dummy_netdev();

	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_free_netdev_action,
						  dev));
	dev->ethtool_ops = &psteer_test_no_coal_ops;
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev), 0);
	dev->ethtool_ops = &psteer_test_coal_ops;
	psteer_test_coal = (struct ethtool_coalesce){ .rx_coalesce_usecs = 40 };
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev), 40);
	psteer_test_coal.rx_coalesce_usecs_irq = 64;
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev), 64);
	psteer_test_coal.rx_coalesce_usecs_high = 300;
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev), 64);
	psteer_test_coal.use_adaptive_rx_coalesce = 1;
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev), 300);
	psteer_test_coal.rx_coalesce_usecs = 10000000;
	KUNIT_EXPECT_EQ(test, psteer_hw_coalesce_us(dev),
			PSTEER_HW_FENCE_MS * USEC_PER_MSEC / 2);
}

#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
/*
 * The fake driver of the psteer_hw_* cases that write a table: 4 entries,
 * 2 queues, a 40-byte Toeplitz key (zeros, as psteer_test_hw()'s), and an
 * input transform it sets as ice does: symmetric if the write's
 * input_xfrm has RXH_XFRM_SYM_XOR (RXH_XFRM_NO_CHANGE does), else not.
 */
static u32 psteer_test_indir[4];
static u8 psteer_test_key[PSTEER_RSS_KEY_LEN];
static u8 psteer_test_xfrm;

static void psteer_test_rss_reset(void)
{
	memset(psteer_test_indir, 0, sizeof(psteer_test_indir));
	memset(psteer_test_key, 0, sizeof(psteer_test_key));
	psteer_test_xfrm = 0;
}

static u32 psteer_test_indir_size(struct net_device *dev)
{
	return ARRAY_SIZE(psteer_test_indir);
}

static u32 psteer_test_key_size(struct net_device *dev)
{
	return sizeof(psteer_test_key);
}

static int psteer_test_get_rxfh(struct net_device *dev,
				struct ethtool_rxfh_param *rxfh)
{
	if (rxfh->indir)
		memcpy(rxfh->indir, psteer_test_indir,
		       sizeof(psteer_test_indir));
	if (rxfh->key)
		memcpy(rxfh->key, psteer_test_key, sizeof(psteer_test_key));
	rxfh->hfunc = ETH_RSS_HASH_TOP;
	rxfh->input_xfrm = psteer_test_xfrm;
	return 0;
}

static int psteer_test_set_rxfh(struct net_device *dev,
				struct ethtool_rxfh_param *rxfh,
				struct netlink_ext_ack *extack)
{
	if (rxfh->indir)
		memcpy(psteer_test_indir, rxfh->indir,
		       sizeof(psteer_test_indir));
	psteer_test_xfrm = rxfh->input_xfrm & RXH_XFRM_SYM_XOR;
	return 0;
}

static const struct ethtool_ops psteer_test_rss_ops = {
	.get_rxfh_indir_size = psteer_test_indir_size,
	.get_rxfh_key_size = psteer_test_key_size,
	.get_rxfh = psteer_test_get_rxfh,
	.set_rxfh = psteer_test_set_rxfh,
};

/* netdev_need_ops_lock() looks at the device's ops (net shapers). */
static const struct net_device_ops psteer_test_netdev_ops;

/* The fake NAPI's timer: never started. */
static enum hrtimer_restart psteer_test_napi_timer(struct hrtimer *timer)
{
	return HRTIMER_NORESTART;
}

/* The device is down and its fake NAPI off its list before it goes. */
static void psteer_fence_dev_free(struct net_device *dev)
{
#ifdef PSTEER_HAVE_RXQ_NAPI
	unsigned int q;

	for (q = 0; q < dev->num_rx_queues; q++)
		__netif_get_rx_queue(dev, q)->napi = NULL;
#endif
	clear_bit(__LINK_STATE_START, &dev->state);
	INIT_LIST_HEAD(&dev->napi_list);
	free_netdev(dev);
}

KUNIT_DEFINE_ACTION_WRAPPER(psteer_fence_dev_free_action, psteer_fence_dev_free,
			    struct net_device *);

struct psteer_fence_run {
	struct psteer *ps;
	struct completion done;
	u64 start;
};

static int psteer_fence_run_fn(void *arg)
{
	struct psteer_fence_run *run = arg;

	WRITE_ONCE(run->start, ktime_get_ns());
	psteer_hw_sync_all(run->ps);
	kthread_complete_and_exit(&run->done, 0);
}

/*
 * A fake two-queue device with psteer_test_rss_ops, up (no NAPI on its
 * list yet), freed at the test's end; the fake table reset.
 */
static struct net_device *psteer_test_fake_dev(struct kunit *test)
{
	struct net_device *dev;

	dev = alloc_netdev_mqs(0, "psteer_kt%d", NET_NAME_UNKNOWN, ether_setup,
			       1, 2);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_fence_dev_free_action,
						  dev));
#ifdef PSTEER_HAVE_ETHTOOL_RSS_LOCK
	/* register_netdevice() would. */
	mutex_init(&dev->ethtool->rss_lock);
#endif
	dev->netdev_ops = &psteer_test_netdev_ops;
	dev->ethtool_ops = &psteer_test_rss_ops;
	set_bit(__LINK_STATE_START, &dev->state);
	psteer_test_rss_reset();
	return dev;
}
#endif

/*
 * A rewrite's fence, up to PSTEER_HW_FENCE_MS in every rebalancing round,
 * is waited for without RTNL (src/nic.c): the stack's configuration
 * (ip, ethtool, device registration) does not stall behind it. A fake
 * two-queue driver: entry 0 moves from queue 0 (CPU a) to queue 1 (CPU b),
 * and the device's only NAPI stays scheduled, so the fence waits its whole
 * bound and times out. While it waits, RTNL must be taken at least once;
 * at its end the held bucket is released.
 */
static void psteer_hw_fence_without_rtnl(struct kunit *test)
{
#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
	struct psteer_table *tbl = psteer_test_table(test, 4, 64);
	struct psteer *ps = kunit_kzalloc(test, sizeof(*ps), GFP_KERNEL);
	struct napi_struct *napi = kunit_kzalloc(test, sizeof(*napi),
						 GFP_KERNEL);
	struct psteer_fence_run *run = kunit_kzalloc(test, sizeof(*run),
						     GFP_KERNEL);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	unsigned int looks = 0, free = 0;
	struct task_struct *t;
	struct psteer_hw *hw;
	struct net_device *dev;
	u32 e;

	KUNIT_ASSERT_TRUE(test, ps && napi && run);
	dev = psteer_test_fake_dev(test);
	/* Scheduled for good: the fence waits its whole bound. */
	set_bit(NAPI_STATE_SCHED, &napi->state);
	psteer_hrtimer_setup(&napi->timer, psteer_test_napi_timer,
			     CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	list_add(&napi->dev_list, &dev->napi_list);

	hw = psteer_test_hw(test, 4, 2);
	hw->dev = dev;
	hw->qcpu[0] = a;
	hw->qcpu[1] = nb;
	psteer_table_set_owner(tbl, 0, nb);
	for (e = 1; e < 4; e++)
		psteer_table_set_owner(tbl, e, a);
	ps->tbl = tbl;
	init_waitqueue_head(&ps->hw_fenced);
	RCU_INIT_POINTER(ps->hw[0], hw);
	ps->nhw = 1;

	run->ps = ps;
	init_completion(&run->done);
	t = kthread_run(psteer_fence_run_fn, run, "psteer_kt_fence");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/*
	 * While the fence waits, from its first look to its timeout, RTNL
	 * is taken as ip or ethtool would, waiting for it: it must come
	 * while the fence still waits, not at its end. (A trylock here
	 * found RTNL taken at all of 27 tries in one run: each of the
	 * fence's looks holds it while a thread on the queue's CPU looks,
	 * which under TCG can take most of the time between looks.)
	 */
	while (!completion_done(&run->done)) {
		if (READ_ONCE(hw->fences) && !READ_ONCE(hw->fence_timeouts)) {
			looks++;
			rtnl_lock();
			if (!READ_ONCE(hw->fence_timeouts))
				free++;
			rtnl_unlock();
		}
		usleep_range(500, 1000);
	}
	wait_for_completion(&run->done);
	kunit_info(test, "%u tries during the fence, RTNL taken during it at %u\n",
		   looks, free);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[0], 1);
	KUNIT_EXPECT_EQ(test, hw->fences, 1);
	KUNIT_EXPECT_EQ(test, hw->fence_timeouts, 1);
	KUNIT_EXPECT_GT(test, looks, 0);
	KUNIT_EXPECT_GT(test, free, 0);
	KUNIT_EXPECT_EQ(test, tbl->buckets[0].hold, PSTEER_NO_CPU);
#else
	kunit_skip(test, "the fake driver needs struct ethtool_rxfh_param (6.8)");
#endif
}

#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
/*
 * A two-queue fake device driven by psteer for the cases below: entry 0
 * on queue 0 (CPU a), the others on queue 1 (CPU b) as psteer last wrote
 * them (@hw->cur), and bucket 0 owned by b, so that a round rewrites entry
 * 0. Its NAPI list is empty: a fence finds the old queue idle at once.
 */
static struct psteer *psteer_test_driven(struct kunit *test,
					 struct psteer_hw **hwp)
{
	struct psteer_table *tbl = psteer_test_table(test, 4, 64);
	struct psteer *ps = kunit_kzalloc(test, sizeof(*ps), GFP_KERNEL);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	struct psteer_hw *hw;
	struct net_device *dev;
	u32 e;

	KUNIT_ASSERT_NOT_NULL(test, ps);
	dev = psteer_test_fake_dev(test);
	hw = psteer_test_hw(test, 4, 2);
	hw->saved = kunit_kcalloc(test, 4, sizeof(u32), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hw->saved);
	hw->dev = dev;
	hw->qcpu[0] = a;
	hw->qcpu[1] = nb;
	for (e = 1; e < 4; e++) {
		hw->cur[e] = 1;
		psteer_test_indir[e] = 1;
		hw->saved[e] = e & 1;
		psteer_table_set_owner(tbl, e, nb);
	}
	psteer_table_set_owner(tbl, 0, nb);
	ps->tbl = tbl;
	init_waitqueue_head(&ps->hw_fenced);
	RCU_INIT_POINTER(ps->hw[0], hw);
	ps->nhw = 1;
	*hwp = hw;
	return ps;
}
#endif

#if defined(PSTEER_HAVE_ETHTOOL_RXFH_PARAM) && defined(PSTEER_HAVE_RXQ_NAPI)
/* A CPU that runs nothing else for a while: a look at its queue waits. */
struct psteer_spin {
	struct psteer_fence_run *run;
	struct task_struct *then;
	struct completion done;
	u64 end;
};

/*
 * Wakes @s->then, then keeps its CPU from running anything else until
 * 300 ms after @s->run began (5 s at most, should it never begin).
 */
static int psteer_spin_fn(void *arg)
{
	struct psteer_spin *s = arg;
	u64 from = ktime_get_ns(), began;

	preempt_disable();
	wake_up_process(s->then);
	for (;;) {
		began = READ_ONCE(s->run->start);
		s->end = ktime_get_ns();
		if ((began && s->end > began + 300 * NSEC_PER_MSEC) ||
		    s->end > from + 5 * NSEC_PER_SEC)
			break;
		cpu_relax();
	}
	preempt_enable();
	kthread_complete_and_exit(&s->done, 0);
}

#endif

/*
 * A fence gives every old queue PSTEER_HW_FENCE_MS from the end of its
 * first looks (src/nic.c, psteer_hw_fence()). A look runs on the queue's
 * CPU and waits for it: here queue 0's CPU runs nothing else until
 * 300 ms after the fence began, so the first look, at queue 0, takes
 * most of that. Queue 1's NAPI is scheduled for good. When the bound ran
 * from the fence's start, queue 1 was given up at once after that slow
 * look, after one look of its own; now it is looked at for 100 ms more.
 * Entry 0 moves from queue 0 to 1, entry 1 from queue 1 to 0.
 */
static void psteer_hw_fence_bound_after_looks(struct kunit *test)
{
#if defined(PSTEER_HAVE_ETHTOOL_RXFH_PARAM) && defined(PSTEER_HAVE_RXQ_NAPI)
	struct napi_struct *napi = kunit_kcalloc(test, 2, sizeof(*napi),
						 GFP_KERNEL);
	struct psteer_fence_run *run = kunit_kzalloc(test, sizeof(*run),
						     GFP_KERNEL);
	struct psteer_spin *spin = kunit_kzalloc(test, sizeof(*spin),
						 GFP_KERNEL);
	int a = psteer_cpu_a, nb = psteer_cpu_b;
	struct task_struct *t;
	struct psteer_hw *hw;
	struct psteer *ps;
	u64 done;
	int q;

	KUNIT_ASSERT_TRUE(test, napi && run && spin);
	ps = psteer_test_driven(test, &hw);
	psteer_table_set_owner(ps->tbl, 1, a);
	for (q = 0; q < 2; q++) {
		psteer_hrtimer_setup(&napi[q].timer, psteer_test_napi_timer,
				     CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		__netif_get_rx_queue(hw->dev, q)->napi = &napi[q];
	}
	set_bit(NAPI_STATE_SCHED, &napi[1].state);

	/* The fence starts once queue 0's CPU is taken. */
	run->ps = ps;
	init_completion(&run->done);
	spin->run = run;
	spin->then = kthread_create_on_cpu(psteer_fence_run_fn, run, nb,
					   "psteer_kt_fence/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(spin->then));
	init_completion(&spin->done);
	t = kthread_run_on_cpu(psteer_spin_fn, spin, a, "psteer_kt_spin/%u");
	if (IS_ERR(t))
		kthread_stop(spin->then);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&run->done);
	done = ktime_get_ns();
	wait_for_completion(&spin->done);
	kunit_info(test, "fence began %llu ms before queue 0's CPU was free, ended %llu ms after\n",
		   div_u64(spin->end - run->start, NSEC_PER_MSEC),
		   div_u64(done - spin->end, NSEC_PER_MSEC));
	/* Otherwise the first look was not slow enough to matter. */
	KUNIT_ASSERT_GT(test, spin->end, run->start +
			(u64)PSTEER_HW_FENCE_MS * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[0], 1);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[1], 0);
	KUNIT_EXPECT_EQ(test, hw->fences, 2);
	KUNIT_EXPECT_EQ(test, hw->fence_timeouts, 1);
	KUNIT_EXPECT_GE(test, done - spin->end,
			(u64)PSTEER_HW_FENCE_MS * NSEC_PER_MSEC - TICK_NSEC);
	KUNIT_EXPECT_EQ(test, ps->tbl->buckets[0].hold, PSTEER_NO_CPU);
	KUNIT_EXPECT_EQ(test, ps->tbl->buckets[1].hold, PSTEER_NO_CPU);
#else
	kunit_skip(test, "needs struct ethtool_rxfh_param and a queue's NAPI (6.8)");
#endif
}

/*
 * An administrator's change to a driven device is theirs (src/nic.c,
 * psteer_hw_changed()): symmetric hashing turned on (ethtool -X eth0
 * xfrm symmetric-xor) or a new key (hkey) makes psteer stop driving it
 * before its next rewrite. A rewrite would write the table with no input
 * transform, which turns symmetric hashing off again in drivers such as
 * ice, and with a new key psteer's buckets would no longer be the
 * entries the NIC picks. With nothing changed, the round rewrites.
 */
static void psteer_hw_admin_change_kept(struct kunit *test)
{
#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
	struct psteer_hw *hw;
	struct psteer *ps;

	ps = psteer_test_driven(test, &hw);
	psteer_test_xfrm = RXH_XFRM_SYM_XOR;
	psteer_hw_sync_all(ps);
	KUNIT_EXPECT_EQ(test, psteer_test_xfrm, RXH_XFRM_SYM_XOR);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[0], 0);
	KUNIT_EXPECT_TRUE(test, hw->overridden);

	ps = psteer_test_driven(test, &hw);
	psteer_test_key[0] = 0x6d;
	psteer_hw_sync_all(ps);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[0], 0);
	KUNIT_EXPECT_TRUE(test, hw->overridden);

	ps = psteer_test_driven(test, &hw);
	psteer_hw_sync_all(ps);
	KUNIT_EXPECT_EQ(test, psteer_test_indir[0], 1);
	KUNIT_EXPECT_EQ(test, psteer_test_xfrm, 0);
	KUNIT_EXPECT_FALSE(test, hw->overridden);
	/* The old queue has no busy NAPI: the fence saw it idle. */
	KUNIT_EXPECT_EQ(test, hw->fences, 1);
	KUNIT_EXPECT_EQ(test, hw->fence_timeouts, 0);
	KUNIT_EXPECT_EQ(test, ps->tbl->buckets[0].hold, PSTEER_NO_CPU);
#else
	kunit_skip(test, "the fake driver needs struct ethtool_rxfh_param (6.8)");
#endif
}

/*
 * Unloading, or "software DEV", writes back the table psteer found
 * (psteer_hw_restore()), but not over one the administrator set after
 * psteer's last rewrite and before psteer noticed (ethtool -X eth0
 * weight 0 1, up to rebalance_ms earlier): that table stays.
 */
static void psteer_hw_restore_keeps_admin_table(struct kunit *test)
{
#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
	static const u32 mine[4] = { 1, 1, 1, 1 };
	struct psteer_hw *hw;
	int err;

	psteer_test_driven(test, &hw);
	memcpy(psteer_test_indir, mine, sizeof(mine));
	rtnl_lock();
	err = psteer_hw_restore(hw);
	rtnl_unlock();
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_EQ(test, memcmp(psteer_test_indir, mine, sizeof(mine)), 0);

	psteer_test_driven(test, &hw);
	rtnl_lock();
	err = psteer_hw_restore(hw);
	rtnl_unlock();
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, memcmp(psteer_test_indir, hw->saved,
				     sizeof(psteer_test_indir)), 0);
#else
	kunit_skip(test, "the fake driver needs struct ethtool_rxfh_param (6.8)");
#endif
}

static struct kunit_case psteer_queue_cases[] = {
	KUNIT_CASE(psteer_queue_fifo_order),
	KUNIT_CASE(psteer_queue_inline_rule),
	KUNIT_CASE(psteer_queue_order_across_move),
	KUNIT_CASE(psteer_queue_order_ping_pong),
	KUNIT_CASE(psteer_queue_move_gro_list),
	KUNIT_CASE(psteer_queue_drop_at_queue_len),
	KUNIT_CASE(psteer_drr_alternates),
	KUNIT_CASE(psteer_drr_equal_bytes),
	KUNIT_CASE(psteer_drr_large_packet),
	KUNIT_CASE(psteer_drr_quantum0_fifo),
	KUNIT_CASE(psteer_drr_take_deficit),
	KUNIT_CASE(psteer_drr_turns_charged),
	KUNIT_CASE(psteer_queue_behind),
	KUNIT_CASE(psteer_queue_truesize_cap),
	KUNIT_CASE(psteer_queue_backlog_bytes),
	KUNIT_CASE(psteer_queue_hold_fence),
	KUNIT_CASE(psteer_queue_hold_limits),
	KUNIT_CASE(psteer_queue_bypass_held),
	KUNIT_CASE(psteer_queue_bypass_end_gro_list),
	KUNIT_CASE_SLOW(psteer_queue_hold_release_seen),
	KUNIT_CASE(psteer_hw_plan_queues_of_one_cpu),
	KUNIT_CASE(psteer_hw_plan_unknown_queue_kept),
	KUNIT_CASE(psteer_hw_plan_undecided_queue_left),
	KUNIT_CASE(psteer_hw_learn_queues_strays),
	KUNIT_CASE(psteer_hw_learn_queues_slow),
	KUNIT_CASE(psteer_hw_coalesce_wait),
	KUNIT_CASE(psteer_hw_fence_without_rtnl),
	KUNIT_CASE_SLOW(psteer_hw_fence_bound_after_looks),
	KUNIT_CASE(psteer_hw_admin_change_kept),
	KUNIT_CASE(psteer_hw_restore_keeps_admin_table),
	KUNIT_CASE(psteer_queue_budget),
	KUNIT_CASE(psteer_queue_backlog_cap),
	{}
};

static struct kunit_suite psteer_queue_suite = {
	.name = "psteer_queue",
	.init = psteer_test_table_init,
	.test_cases = psteer_queue_cases,
};

kunit_test_suite(psteer_queue_suite);
