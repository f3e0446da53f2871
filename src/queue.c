// SPDX-License-Identifier: GPL-2.0
/*
 * Bucket queues and per-CPU ready lists: how a packet reaches the CPU
 * that owns its bucket (claims 1, 7: "queuing the hash bucket to a
 * processor").
 *
 * The one-drainer invariant, which is why moving a bucket can never
 * reorder a connection:
 *
 *   1. Each bucket has one FIFO. A packet is either handled inline on
 *      the owner (only when the FIFO is empty and nothing taken from it
 *      is still being delivered: psteer_may_inline()), or appended.
 *   2. Only the CPU named in b->sched dequeues from b->queue, and a
 *      bucket is on at most one ready list, that of b->sched.
 *   3. b->sched changes only under b->lock, and only
 *      a. from PSTEER_NO_CPU to b->cpu, by the enqueuer whose packet made
 *         the FIFO non-empty (psteer_enqueue());
 *      b. by the CPU b->sched itself, after delivering everything it
 *         took: back to PSTEER_NO_CPU when the FIFO is empty, or to the
 *         new owner when the bucket moved (the hand-over).
 *   4. A move changes only b->cpu (see "Moves" below). The packets queued
 *      stay in the FIFO; the old drainer finishes the packets it holds,
 *      then hands the bucket to the new owner, which starts at the head.
 *
 * So at any time at most one CPU delivers a bucket's packets, and it
 * delivers them in arrival order.
 *
 * Moves: a packet passed inline (NF_ACCEPT) is not delivered yet when the
 * hook returns. ip_sublist_rcv() and ipv6_sublist_rcv() run the hook over
 * a whole GRO list before delivering any of it; were b->cpu changed from
 * X to Z in between, the next packet of the list would be queued to Z,
 * and Z could deliver it before X delivers the first. So a move is only
 * requested by psteer_table_set_owner() (b->target, X's move list, a kick
 * to X), and X applies it itself, in psteer_drain(): its NAPI poll runs
 * in its NET_RX softirq, which no receive path of X (a NIC's NAPI poll
 * and its lists, the backlog, netif_receive_skb() with BHs off) can be
 * in the middle of. Every packet X passed inline is delivered by then;
 * the packets X steers afterwards go to Z's queue or Z's inline path, in
 * order.
 */

#include <linux/lockdep.h>
#include <linux/sched/clock.h>

#include "compat.h"
#include "table.h"

/*
 * Puts @b on @cpu's ready list, at the back or at the @front. Caller holds
 * b->lock and has set b->sched = @cpu. Returns true when the caller must
 * kick @cpu.
 */
static bool psteer_ready_add(struct psteer_table *tbl,
			     struct psteer_bucket *b, int cpu, bool front)
{
	struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);
	bool kick;

	lockdep_assert_held(&b->lock);
	spin_lock(&pc->lock);
	if (front)
		list_add(&b->ready, &pc->ready);
	else
		list_add_tail(&b->ready, &pc->ready);
	kick = !pc->kicked;
	pc->kicked = true;
	spin_unlock(&pc->lock);
	return kick;
}

/* The CPU whose backlog @b's queued packets count in. Under b->lock. */
static struct psteer_cpu *psteer_drainer(struct psteer_table *tbl,
					 struct psteer_bucket *b)
{
	return per_cpu_ptr(tbl->pcpu, b->sched == PSTEER_NO_CPU ? b->cpu :
								 b->sched);
}

/*
 * Accounts @n packets of @bytes memory just appended to @b's FIFO: in @b
 * and in the backlog of @drainer (psteer_drainer(), read under the same
 * hold of b->lock); an idle bucket becomes ready on its owner (invariant
 * 3a). Caller holds b->lock. Returns the CPU to kick, or PSTEER_NO_CPU.
 */
static int psteer_queued(struct psteer_table *tbl, struct psteer_bucket *b,
			 struct psteer_cpu *drainer, u32 n, u32 bytes)
{
	lockdep_assert_held(&b->lock);
	b->qbytes += bytes;
	atomic_add(n, &drainer->backlog);
	atomic_long_add(bytes, &drainer->backlog_bytes);
	if (b->sched != PSTEER_NO_CPU)
		return PSTEER_NO_CPU;
	/* Pairs with READ_ONCE in psteer_may_inline(). */
	WRITE_ONCE(b->sched, b->cpu);
	return psteer_ready_add(tbl, b, b->sched, false) ? b->sched :
							  PSTEER_NO_CPU;
}

/* psteer_enqueue() and, with @behind, psteer_enqueue_behind(). */
static int psteer_enqueue_to(struct psteer_table *tbl, struct psteer_bucket *b,
			     struct sk_buff *skb, bool behind)
{
	struct psteer_cpu *drainer;
	int kick = PSTEER_NO_CPU;

	lockdep_assert_in_softirq();
	spin_lock(&b->lock);
	if (behind && b->sched == PSTEER_NO_CPU) {
		spin_unlock(&b->lock);
		return 1;
	}
	drainer = psteer_drainer(tbl, b);
	/*
	 * Packets and memory: a cap is reached once what is queued meets it,
	 * so the last packet in may pass it by its own size (a GRO packet
	 * larger than a cap still gets through an empty queue).
	 */
	if (unlikely(skb_queue_len(&b->queue) >= READ_ONCE(tbl->queue_len) ||
		     b->qbytes >= READ_ONCE(tbl->queue_bytes) ||
		     atomic_read(&drainer->backlog) >=
		     READ_ONCE(tbl->backlog_len) ||
		     atomic_long_read(&drainer->backlog_bytes) >=
		     READ_ONCE(tbl->backlog_bytes))) {
		b->drops++;
		b->refused++;
		spin_unlock(&b->lock);
		return -ENOBUFS;
	}
	__skb_queue_tail(&b->queue, skb);
	kick = psteer_queued(tbl, b, drainer, 1, skb->truesize);
	spin_unlock(&b->lock);

	if (kick != PSTEER_NO_CPU)
		tbl->ops->kick(tbl, kick);
	return 0;
}

/**
 * psteer_enqueue() - append @skb to its bucket's FIFO
 * @tbl: table
 * @b: @skb's bucket
 * @skb: the packet; on success the table owns it
 *
 * Makes the owner drain the bucket if it was idle; the owner is kicked
 * at most once until its drain finds its ready list empty. A packet counts
 * in the backlog of the CPU that will drain it (b->sched, or the owner
 * when the bucket is idle) until it is taken off the queue.
 *
 * Context: softirq (the netfilter hook), or BHs disabled.
 * Return: 0, or -ENOBUFS when the FIFO or its drainer's backlog is full
 * (the caller drops @skb).
 */
int psteer_enqueue(struct psteer_table *tbl, struct psteer_bucket *b,
		   struct sk_buff *skb)
{
	return psteer_enqueue_to(tbl, b, skb, false);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_enqueue);

/**
 * psteer_enqueue_behind() - append @skb only behind packets of its bucket
 * @tbl: table
 * @b: @skb's bucket
 * @skb: the packet; if queued, the table owns it
 *
 * For the bypass (no CPU of the set online, src/hotplug.c): packets are
 * processed where they arrive, but a bucket that still holds packets, or
 * is delivering some, takes the new ones behind them, and its drainer
 * delivers them in order. An idle bucket stays idle: nothing here makes
 * one busy, so once emptied a bucket lets every packet pass.
 *
 * Context: softirq (the netfilter hook), or BHs disabled.
 * Return: 0 when queued, 1 when the bucket is idle (the caller passes
 * @skb on), or -ENOBUFS (the caller drops @skb).
 */
int psteer_enqueue_behind(struct psteer_table *tbl, struct psteer_bucket *b,
			  struct sk_buff *skb)
{
	return psteer_enqueue_to(tbl, b, skb, true);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_enqueue_behind);

/**
 * psteer_enqueue_held() - keep @skb aside while its bucket is fenced
 * @tbl: table
 * @b: @skb's bucket
 * @skb: the packet; if held, the table owns it
 * @cpu: the current CPU
 *
 * A NIC whose table psteer drives (src/nic.c) sends a moved bucket's new
 * packets to its new CPU while the old CPU may still hold older ones in
 * its receive ring. Until the old queue has been seen drained, the new
 * CPU's packets of the bucket wait in @b->held, outside the FIFO and its
 * drainer's backlog, bounded like the FIFO; psteer_release_held() then
 * puts them behind everything the old CPU queued.
 *
 * Context: softirq (the netfilter hook).
 * Return: 0 when held, 1 when @b is not held for @cpu (any more: the
 * caller queues @skb as usual), or -ENOBUFS (the caller drops @skb).
 */
int psteer_enqueue_held(struct psteer_table *tbl, struct psteer_bucket *b,
			struct sk_buff *skb, int cpu)
{
	lockdep_assert_in_softirq();
	spin_lock(&b->lock);
	if (b->hold != cpu) {
		spin_unlock(&b->lock);
		return 1;
	}
	if (unlikely(skb_queue_len(&b->held) >= READ_ONCE(tbl->queue_len) ||
		     b->hbytes >= READ_ONCE(tbl->queue_bytes))) {
		b->drops++;
		b->refused++;
		spin_unlock(&b->lock);
		return -ENOBUFS;
	}
	__skb_queue_tail(&b->held, skb);
	b->hbytes += skb->truesize;
	spin_unlock(&b->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_enqueue_held);

/**
 * psteer_hold() - from now on, hold @cpu's packets of @b
 * @tbl: table
 * @b: a bucket whose NIC entries are about to move to @cpu's queue
 * @cpu: the CPU the NIC will send them to
 *
 * Not while bypassed: every CPU of the set is offline or going, and none
 * would be left to drain the held packets at the release. The last one
 * released every hold under each bucket's lock (src/hotplug.c), so a hold
 * after that sees the bypass; the rewrite leaves the bucket's entries
 * where they are.
 *
 * Context: process.
 * Return: true if held, false when bypassed.
 */
bool psteer_hold(struct psteer_table *tbl, struct psteer_bucket *b, int cpu)
{
	bool held;

	spin_lock_bh(&b->lock);
	held = !READ_ONCE(tbl->bypass);
	if (held)
		WRITE_ONCE(b->hold, cpu);
	spin_unlock_bh(&b->lock);
	return held;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hold);

/**
 * psteer_release_held() - end @b's hold: its held packets join the FIFO
 * @tbl: table
 * @b: a bucket psteer_hold() held
 *
 * The held packets go behind whatever the FIFO holds, in their order, and
 * count in the backlog of the FIFO's drainer from now on (which may pass
 * backlog_len for a moment: they were already accepted).
 *
 * Context: process.
 * Return: the number of packets released.
 */
u32 psteer_release_held(struct psteer_table *tbl, struct psteer_bucket *b)
{
	int kick = PSTEER_NO_CPU;
	u32 n;

	local_bh_disable();
	spin_lock(&b->lock);
	n = skb_queue_len(&b->held);
	if (n) {
		skb_queue_splice_tail_init(&b->held, &b->queue);
		kick = psteer_queued(tbl, b, psteer_drainer(tbl, b), n,
				     b->hbytes);
		b->hbytes = 0;
	}
	/*
	 * Last, once the FIFO shows them (b->sched set): the hook of the
	 * CPU held for reads b->hold, then psteer_may_inline(), without
	 * the lock, and must not see the hold ended while they are not yet
	 * queued, or it would pass a newer packet inline ahead of them.
	 * Pairs with smp_load_acquire() in psteer_held_for().
	 */
	smp_store_release(&b->hold, PSTEER_NO_CPU);
	spin_unlock(&b->lock);
	if (kick != PSTEER_NO_CPU)
		tbl->ops->kick(tbl, kick);
	local_bh_enable();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_release_held);

/* Applies the move of @b, taken off the move list of @cpu. */
static void psteer_move_apply(struct psteer_bucket *b, int cpu)
{
	spin_lock(&b->lock);
	/*
	 * Pairs with READ_ONCE() in psteer_may_inline(). A bucket moved away
	 * and back before this is left as it is.
	 */
	if (b->cpu == cpu)
		WRITE_ONCE(b->cpu, b->target);
	spin_unlock(&b->lock);
}

/*
 * Applies @pc's pending moves, then takes its first ready bucket; when
 * there is none, clears @pc->kicked.
 */
static struct psteer_bucket *psteer_ready_pop(struct psteer_cpu *pc)
{
	struct psteer_bucket *b;

	for (;;) {
		spin_lock(&pc->lock);
		b = list_first_entry_or_null(&pc->moves, struct psteer_bucket,
					     move);
		if (!b)
			break;
		list_del_init(&b->move);
		spin_unlock(&pc->lock);
		psteer_move_apply(b, pc->cpu);
	}
	b = list_first_entry_or_null(&pc->ready, struct psteer_bucket, ready);
	if (b)
		list_del_init(&b->ready);
	else
		pc->kicked = false;
	spin_unlock(&pc->lock);
	return b;
}

/*
 * Called by the drainer @cpu with b->lock held, after delivering what it
 * took: decides who drains @b next (invariant 3b). Returns the CPU to
 * kick, or PSTEER_NO_CPU.
 */
static int psteer_next_drainer(struct psteer_table *tbl,
			       struct psteer_bucket *b, int cpu)
{
	int owner = READ_ONCE(b->cpu);
	/*
	 * Quantum 0 is FIFO: a bucket whose turn the budget cut short keeps
	 * its place at the head and goes on at the next poll.
	 */
	bool front = owner == cpu && !READ_ONCE(tbl->quantum);

	lockdep_assert_held(&b->lock);
	if (skb_queue_empty(&b->queue)) {
		WRITE_ONCE(b->sched, PSTEER_NO_CPU);
		return PSTEER_NO_CPU;
	}
	if (owner != cpu) {
		/* The hand-over: the queued packets go to the new backlog. */
		struct psteer_cpu *from = per_cpu_ptr(tbl->pcpu, cpu);
		struct psteer_cpu *to = per_cpu_ptr(tbl->pcpu, owner);
		u32 n = skb_queue_len(&b->queue);

		atomic_sub(n, &from->backlog);
		atomic_add(n, &to->backlog);
		atomic_long_sub(b->qbytes, &from->backlog_bytes);
		atomic_long_add(b->qbytes, &to->backlog_bytes);
	}
	WRITE_ONCE(b->sched, owner);
	if (psteer_ready_add(tbl, b, owner, front) && owner != cpu)
		return owner;
	return PSTEER_NO_CPU;
}

/*
 * Delivers a batch taken from @b, and accounts for it: packets, bytes and
 * the time it took, to @b and to @pc. Only the drainer writes these.
 */
static void psteer_deliver_batch(struct psteer_table *tbl,
				 struct psteer_cpu *pc,
				 struct psteer_bucket *b,
				 struct sk_buff_head *batch)
{
	u64 start = local_clock(), ns;
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(batch))) {
		b->packets++;
		b->bytes += skb->len;
		pc->drained++;
		tbl->ops->deliver(tbl, skb);
	}
	ns = local_clock() - start;
	b->ns += ns;
	pc->ns += ns;
}

/**
 * psteer_drr_take() - one deficit round robin turn of a bucket
 * @b: the bucket, locked by the caller, who is its drainer
 * @quantum: bytes added to its deficit for this turn; 0 means FIFO: the
 *	bucket sends everything it has, up to @max
 * @max: most packets to take (what is left of the budget)
 * @batch: where the packets taken go, in order; @b->qbytes loses their
 *	memory
 *
 * Claim 6: a bucket sends at most its deficit in bytes per turn, then
 * waits behind every other ready bucket of its CPU, so a heavy connection
 * cannot hold the CPU while a light one waits. An emptied bucket loses its
 * deficit (it must not bank credit while idle).
 *
 * Return: the number of packets taken.
 */
VISIBLE_IF_KUNIT int psteer_drr_take(struct psteer_bucket *b, u32 quantum,
				     int max, struct sk_buff_head *batch)
{
	struct sk_buff *skb;
	int n = 0;

	lockdep_assert_held(&b->lock);
	b->deficit += quantum;
	while (n < max && (skb = skb_peek(&b->queue))) {
		if (quantum) {
			if (skb->len > b->deficit)
				break;
			b->deficit -= skb->len;
		}
		__skb_unlink(skb, &b->queue);
		b->qbytes -= skb->truesize;
		__skb_queue_tail(batch, skb);
		n++;
	}
	if (skb_queue_empty(&b->queue))
		b->deficit = 0;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_drr_take);

/**
 * psteer_drain() - deliver queued packets of the buckets ready on @cpu
 * @tbl: table
 * @cpu: the CPU whose ready list to serve; must be the current CPU for
 *	the live table (KUnit drains on behalf of other CPUs)
 * @budget: the most packets to deliver
 *
 * Buckets take turns by deficit round robin (psteer_drr_take()): a
 * bucket sends up to its deficit in bytes, then goes to the back of the
 * list; a turn that sends nothing counts as one packet of the budget. A
 * bucket that moved is handed to its new owner without delivering
 * anything. Moves away from @cpu are applied first (see "Moves" above).
 * Nothing while the bypass ends (psteer_table_resume()).
 *
 * Context: softirq (NAPI poll), or BHs disabled.
 * Return: the work done, packets delivered plus turns that delivered
 * none; less than @budget means the ready list is empty and the CPU is no
 * longer kicked.
 */
int psteer_drain(struct psteer_table *tbl, int cpu, int budget)
{
	struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);
	struct sk_buff_head batch;
	struct psteer_bucket *b;
	int done = 0, kick;

	lockdep_assert_in_softirq();
	/*
	 * Not until the bypass's packets are delivered (src/table.c). Read
	 * once: a drain running at the end of the bypass has nothing that
	 * was queued after it, as nothing was queued for a CPU of the set.
	 */
	if (unlikely(READ_ONCE(tbl->resuming)))
		return 0;
	__skb_queue_head_init(&batch);
	while (done < budget && (b = psteer_ready_pop(pc))) {
		spin_lock(&b->lock);
		/* Invariant 2: only b->sched dequeues, from its ready list. */
		WARN_ON_ONCE(b->sched != cpu);
		if (READ_ONCE(b->cpu) == cpu) {
			u32 qbytes = b->qbytes;
			int n = psteer_drr_take(b, READ_ONCE(tbl->quantum),
						budget - done, &batch);

			atomic_sub(n, &pc->backlog);
			atomic_long_sub(qbytes - b->qbytes, &pc->backlog_bytes);
			spin_unlock(&b->lock);
			psteer_deliver_batch(tbl, pc, b, &batch);
			/*
			 * A turn that delivers nothing (the head outweighs the
			 * deficit) costs the budget one packet: a bucket cannot
			 * make a poll spin through its turns.
			 */
			done += n ?: 1;
			spin_lock(&b->lock);
		}
		kick = psteer_next_drainer(tbl, b, cpu);
		spin_unlock(&b->lock);
		if (kick != PSTEER_NO_CPU)
			tbl->ops->kick(tbl, kick);
	}
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_drain);
