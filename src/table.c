// SPDX-License-Identifier: GPL-2.0
/*
 * The bucket table (claims 1, 7): a fixed number of hash buckets, each
 * owned by one CPU. Many connections share a bucket; buckets, not flows,
 * are what moves between CPUs.
 */

#include <linux/bitmap.h>
#include <linux/bottom_half.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "table.h"

static void psteer_bucket_init(struct psteer_table *tbl, u32 i, int cpu)
{
	struct psteer_bucket *b = &tbl->buckets[i];

	spin_lock_init(&b->lock);
	__skb_queue_head_init(&b->queue);
	__skb_queue_head_init(&b->held);
	INIT_LIST_HEAD(&b->ready);
	INIT_LIST_HEAD(&b->move);
	b->cpu = cpu;
	b->target = cpu;
	b->sched = PSTEER_NO_CPU;
	b->hold = PSTEER_NO_CPU;
	set_bit(i, per_cpu_ptr(tbl->pcpu, cpu)->owned);
}

static void psteer_table_free(struct psteer_table *tbl)
{
	int cpu;

	if (tbl->pcpu)
		for_each_possible_cpu(cpu)
			bitmap_free(per_cpu_ptr(tbl->pcpu, cpu)->owned);
	free_percpu(tbl->pcpu);
	kvfree(tbl->buckets);
	free_cpumask_var(tbl->cpus);
	kfree(tbl);
}

/**
 * psteer_table_create() - allocate a table with owners round-robin
 * @nbuckets: 1..PSTEER_MAX_BUCKETS
 * @cpus: non-empty set of owner CPUs; bucket i goes to the (i mod n)-th
 * @queue_len: per-bucket FIFO limit, 1..PSTEER_MAX_QUEUE_LEN
 * @ops: delivery and kick
 *
 * Context: process, may sleep.
 * Return: the table or an ERR_PTR.
 */
struct psteer_table *psteer_table_create(u32 nbuckets,
					 const struct cpumask *cpus,
					 u32 queue_len,
					 const struct psteer_table_ops *ops)
{
	struct psteer_table *tbl;
	u32 i;
	int cpu;

	if (!nbuckets || nbuckets > PSTEER_MAX_BUCKETS || cpumask_empty(cpus) ||
	    !queue_len || queue_len > PSTEER_MAX_QUEUE_LEN)
		return ERR_PTR(-EINVAL);

	tbl = kzalloc_obj(*tbl, GFP_KERNEL);
	if (!tbl)
		return ERR_PTR(-ENOMEM);
	tbl->nbuckets = nbuckets;
	tbl->queue_len = queue_len;
	tbl->quantum = PSTEER_DEFAULT_QUANTUM;
	tbl->backlog_len = PSTEER_DEFAULT_BACKLOG;
	tbl->queue_bytes = PSTEER_DEFAULT_QUEUE_BYTES;
	tbl->backlog_bytes = PSTEER_DEFAULT_BACKLOG_BYTES;
	tbl->ops = ops;
	if (!zalloc_cpumask_var(&tbl->cpus, GFP_KERNEL))
		goto err;
	cpumask_copy(tbl->cpus, cpus);
	tbl->buckets = kvcalloc(nbuckets, sizeof(*tbl->buckets), GFP_KERNEL);
	if (!tbl->buckets)
		goto err;
	tbl->pcpu = alloc_percpu(struct psteer_cpu);
	if (!tbl->pcpu)
		goto err;
	for_each_possible_cpu(cpu) {
		struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

		spin_lock_init(&pc->lock);
		INIT_LIST_HEAD(&pc->ready);
		INIT_LIST_HEAD(&pc->moves);
		pc->cpu = cpu;
		pc->tbl = tbl;
		if (!cpumask_test_cpu(cpu, cpus))
			continue;
		pc->owned = bitmap_zalloc(nbuckets, GFP_KERNEL);
		if (!pc->owned)
			goto err;
	}

	cpu = nr_cpu_ids;
	for (i = 0; i < nbuckets; i++) {
		cpu = cpumask_next(cpu, cpus);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpus);
		psteer_bucket_init(tbl, i, cpu);
	}
	return tbl;

err:
	psteer_table_free(tbl);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_create);

static bool psteer_match_all(const struct sk_buff *skb, const void *arg)
{
	return true;
}

/**
 * psteer_table_destroy() - free a table and every packet still queued
 * @tbl: table; nothing may enqueue or drain any more (hooks unregistered,
 *	NAPI stopped)
 *
 * Context: process.
 */
void psteer_table_destroy(struct psteer_table *tbl)
{
	int cpu;

	psteer_table_flush(tbl, psteer_match_all, NULL);
	/* Every queued packet counted in a backlog was just freed. */
	for_each_possible_cpu(cpu) {
		const struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

		WARN_ON_ONCE(atomic_read(&pc->backlog) ||
			     atomic_long_read(&pc->backlog_bytes));
	}
	psteer_table_free(tbl);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_destroy);

/*
 * Asks @b's owner to apply its move (see "Moves" in src/queue.c). Caller
 * holds b->lock. Returns true when the caller must kick the owner.
 */
static bool psteer_move_add(struct psteer_table *tbl, struct psteer_bucket *b)
{
	struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, b->cpu);
	bool kick;

	lockdep_assert_held(&b->lock);
	spin_lock(&pc->lock);
	if (list_empty(&b->move))
		list_add_tail(&b->move, &pc->moves);
	kick = !pc->kicked;
	pc->kicked = true;
	spin_unlock(&pc->lock);
	return kick;
}

/**
 * psteer_table_set_owner() - give bucket @index to @cpu
 * @tbl: table
 * @index: bucket index, < nbuckets
 * @cpu: new owner, a CPU of the table's set
 *
 * The control path's view (b->target, the owned bitmaps) changes at once;
 * the data path's (b->cpu) when the old owner applies the move from its
 * drain, where no packet it passed inline can still be pending (see
 * "Moves" in src/queue.c). An old owner that is offline passes nothing
 * inline: the move takes effect here.
 *
 * Never reorders: queued packets stay in the bucket's one FIFO, and the
 * CPU draining it (b->sched) keeps that role until it hands the bucket
 * over in psteer_drain(). See the invariant in src/queue.c.
 *
 * Context: process or softirq; takes the bucket lock with BHs off.
 */
void psteer_table_set_owner(struct psteer_table *tbl, u32 index, int cpu)
{
	struct psteer_bucket *b = &tbl->buckets[index];
	int kick = PSTEER_NO_CPU;

	local_bh_disable();
	spin_lock(&b->lock);
	if (cpu != b->target) {
		clear_bit(index, per_cpu_ptr(tbl->pcpu, b->target)->owned);
		set_bit(index, per_cpu_ptr(tbl->pcpu, cpu)->owned);
		WRITE_ONCE(b->target, cpu);
		/*
		 * Back to b->cpu before it applied the move: its pending
		 * request finds nothing to do.
		 */
		if (cpu != b->cpu && !cpu_online(b->cpu))
			WRITE_ONCE(b->cpu, cpu);
		else if (cpu != b->cpu && psteer_move_add(tbl, b))
			kick = b->cpu;
	}
	spin_unlock(&b->lock);
	if (kick != PSTEER_NO_CPU)
		tbl->ops->kick(tbl, kick);
	local_bh_enable();
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_set_owner);

/**
 * psteer_table_resume() - end the bypass: steer again, deliver later
 * @tbl: table whose owners are CPUs of the set online again
 *
 * The bypass passed packets on where they arrived, and some may not be
 * delivered yet: ip_list_rcv() runs the hook over a whole GRO list before
 * delivering any of it, so P2 of a list whose P1 passed on is queued for
 * the owner from now on, and must not reach its socket first. So no CPU
 * drains (psteer_drain()) until psteer_table_resumed(), which the caller
 * calls after an RCU grace period: the receive path holds the RCU read
 * lock over a whole list (netif_receive_skb_list_internal()). The hook
 * queues meanwhile; a FIFO that fills refuses, as it would for a slow
 * drainer.
 *
 * Context: process.
 */
void psteer_table_resume(struct psteer_table *tbl)
{
	WRITE_ONCE(tbl->resuming, true);
	/* Seen by the drain of any packet the hook queues after this. */
	smp_mb();
	WRITE_ONCE(tbl->bypass, false);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_resume);

/**
 * psteer_table_resumed() - the bypass's packets are delivered: drain
 * @tbl: table, after psteer_table_resume() and an RCU grace period
 *
 * Kicks every CPU of the set that is online: a kick while resuming found
 * nothing it could do and left its CPU marked kicked (pc->kicked), so the
 * producers that queued since did not kick again.
 *
 * Context: process.
 */
void psteer_table_resumed(struct psteer_table *tbl)
{
	int cpu;

	WRITE_ONCE(tbl->resuming, false);
	/* Seen by the drains these kicks start. */
	smp_mb();
	local_bh_disable();
	for_each_cpu_and(cpu, tbl->cpus, cpu_online_mask)
		tbl->ops->kick(tbl, cpu);
	local_bh_enable();
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_resumed);

/**
 * psteer_table_owned() - number of buckets @cpu owns
 * @tbl: table
 * @cpu: CPU
 *
 * Counts @cpu's owned-bucket bitmap, which psteer_table_set_owner()
 * keeps with the owners. 0 for a CPU outside the set.
 *
 * Context: any; a racy snapshot.
 */
unsigned int psteer_table_owned(const struct psteer_table *tbl, int cpu)
{
	const unsigned long *owned = per_cpu_ptr(tbl->pcpu, cpu)->owned;

	return owned ? bitmap_weight(owned, tbl->nbuckets) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_owned);

/**
 * psteer_table_flush() - free queued packets that @match selects
 * @tbl: table
 * @match: selects packets to free (a device going away, a netns exiting)
 * @arg: passed to @match
 *
 * Freed packets count as drops of their bucket. Packets a drainer has
 * already taken off a queue are not seen here; callers wait for those
 * with synchronize_net(), as the drain runs in softirq.
 *
 * Context: process or softirq.
 * Return: the number of packets freed.
 */
unsigned int psteer_table_flush(struct psteer_table *tbl,
				bool (*match)(const struct sk_buff *skb,
					      const void *arg),
				const void *arg)
{
	struct sk_buff_head doomed;
	struct sk_buff *skb, *tmp;
	unsigned int n;
	u32 i;

	__skb_queue_head_init(&doomed);
	for (i = 0; i < tbl->nbuckets; i++) {
		struct psteer_bucket *b = &tbl->buckets[i];

		if (!READ_ONCE(b->queue.qlen) && !READ_ONCE(b->held.qlen))
			continue;
		spin_lock_bh(&b->lock);
		/* Held packets count in no backlog (psteer_enqueue_held()). */
		skb_queue_walk_safe(&b->held, skb, tmp) {
			if (!match(skb, arg))
				continue;
			__skb_unlink(skb, &b->held);
			b->hbytes -= skb->truesize;
			b->drops++;
			__skb_queue_tail(&doomed, skb);
		}
		skb_queue_walk_safe(&b->queue, skb, tmp) {
			struct psteer_cpu *drainer;

			if (!match(skb, arg))
				continue;
			__skb_unlink(skb, &b->queue);
			b->qbytes -= skb->truesize;
			b->drops++;
			/* A non-empty bucket is counted in its drainer's backlog. */
			drainer = per_cpu_ptr(tbl->pcpu, b->sched);
			atomic_dec(&drainer->backlog);
			atomic_long_sub(skb->truesize, &drainer->backlog_bytes);
			__skb_queue_tail(&doomed, skb);
		}
		spin_unlock_bh(&b->lock);
	}
	n = skb_queue_len(&doomed);
	__skb_queue_purge(&doomed);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_table_flush);
