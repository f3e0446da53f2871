/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NICs whose RSS indirection table psteer drives (src/nic.c): what the
 * hook needs to find a driven device's bucket and the CPU of each of its
 * receive queues.
 */
#ifndef _PSTEER_NIC_H
#define _PSTEER_NIC_H

#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>

#include "compat.h"
#include "tuple.h"

/* Devices psteer can drive at once. */
#define PSTEER_HW_MAX		4
/* Longest wait for an old queue to drain before a move's held packets go. */
#define PSTEER_HW_FENCE_MS	100
/* How often the table follows the owners when rebalance_ms is 0. */
#define PSTEER_HW_SYNC_MS	100
/*
 * A queue's CPU is the one that handled at least PSTEER_HW_LEARN_MIN of
 * its recent packets, and twice as many as any other CPU; recent: when a
 * queue's counts add up to more than the window (a power of two), they
 * are divided by the power of two that brings them within it.
 */
#define PSTEER_HW_LEARN_MIN	8
#define PSTEER_HW_LEARN_WINDOW	128

/**
 * struct psteer_hw - a device whose RSS table psteer drives
 * @dev: the device, held (netdev_hold()) while psteer drives it
 * @tracker: its reference's tracker
 * @hash: Toeplitz with the device's key: what the NIC computes
 * @tz: @hash's table
 * @entries: indirection table entries, a power of two; entry e of the
 *	table carries psteer's bucket e mod nbuckets
 * @nqueues: receive queues when psteer took the table
 * @qcpu: the CPU that handles each queue's packets, or -1 while unknown:
 *	the one that handled most of them lately (psteer_hw_learn_queues(),
 *	from @qseen); READ_ONCE/WRITE_ONCE
 * @qseen: per CPU, packets of each queue (@nqueues counters) the hook saw
 *	there (psteer_hw_learn())
 * @qlast: scratch, per CPU and queue (cpu * @nqueues + queue): @qseen
 *	when psteer_hw_learn_queues() last read it
 * @qscore: per CPU and queue as @qlast: the packets of the queue the CPU
 *	handled, divided by a power of two when the queue's counts add up to
 *	more than PSTEER_HW_LEARN_WINDOW (psteer_hw_learn_queues())
 * @qfull: the queues whose counts have filled the window once: one still
 *	not learned then keeps its entries no longer (psteer_hw_plan())
 * @cpuq: scratch, per CPU: a queue the CPU handles
 * @saved: the table before psteer, written back when it stops
 * @cur: the table as psteer last wrote it
 * @next: scratch: the table the next rewrite writes
 * @held: scratch: the buckets a rewrite holds (psteer_hold())
 * @oldq: scratch: the queues a rewrite takes entries from; its fence,
 *	without RTNL, clears those it saw idle (one sync at a time:
 *	psteer_hw_work(), and psteer_hw_stop() waits for @fencing)
 * @configured: IFF_RXFH_CONFIGURED before psteer (restored with @saved)
 * @overridden: someone else rewrote the table (or the queues changed):
 *	psteer stopped driving it and left it as it found it
 * @rewrites: table writes
 * @moved: entries those writes changed
 * @fencing: a rewrite's fence is being waited for, without RTNL: set
 *	under RTNL, cleared with smp_store_release() when the fence ends;
 *	psteer_hw_stop() waits for it before @hw goes
 * @abort: set by psteer_hw_stop(): a fence in progress ends at once
 * @fences: old queues waited for; written by the fence, READ_ONCE
 * @fence_timeouts: of @fences, those given up: not seen idle within the
 *	fence's bound, or left when it ended early (their held packets
 *	went anyway); as @fences
 * @errors: table writes the driver refused
 * @nic_hashes: per CPU, packets whose bucket came from the hash the NIC
 *	reported (psteer_hw_hash())
 * @addr_only: the flow types (PSTEER_HW_TCP4 ...) the NIC hashes by their
 *	addresses alone (ethtool -N DEV rx-flow-hash udp4 sd), read when
 *	psteer took the table
 */
struct psteer_hw {
	struct net_device *dev;
	netdevice_tracker tracker;
	struct psteer_hash_cfg hash;
	struct psteer_toeplitz_table *tz;
	u32 entries;
	u32 nqueues;
	int *qcpu;
	u32 __percpu *qseen;
	u32 *qlast;
	u32 *qscore;
	int *cpuq;
	u32 *saved;
	u32 *cur;
	u32 *next;
	unsigned long *held;
	unsigned long *oldq;
	unsigned long *qfull;
	bool configured;
	bool overridden;
	bool fencing;
	bool abort;
	u64 rewrites;
	u64 moved;
	u64 fences;
	u64 fence_timeouts;
	u64 errors;
	u64 __percpu *nic_hashes;
	u8 addr_only;
};

/* Flow types of struct psteer_hw's @addr_only. */
#define PSTEER_HW_TCP4		BIT(0)
#define PSTEER_HW_UDP4		BIT(1)
#define PSTEER_HW_TCP6		BIT(2)
#define PSTEER_HW_UDP6		BIT(3)

/*
 * Does @hw's NIC hash @t's ports? TCP and UDP as it says it does (most
 * hash TCP's, and some UDP's by addresses alone by default); every other
 * protocol by its addresses, as the Microsoft RSS specification and
 * virtio's hash types have it.
 */
static inline bool psteer_hw_hashes_ports(const struct psteer_hw *hw,
					  const struct psteer_tuple *t)
{
	u8 type;

	if (t->proto == IPPROTO_TCP)
		type = t->family == AF_INET ? PSTEER_HW_TCP4 : PSTEER_HW_TCP6;
	else if (t->proto == IPPROTO_UDP)
		type = t->family == AF_INET ? PSTEER_HW_UDP4 : PSTEER_HW_UDP6;
	else
		return false;
	return !(hw->addr_only & type);
}

/**
 * psteer_hw_bucket() - the bucket of a packet of a driven device
 * @hw: the device
 * @nic_hash: the packet's hash as the NIC computes it
 * @nbuckets: buckets of the table
 *
 * The NIC picks entry @nic_hash mod @hw->entries; the entry carries
 * bucket entry mod @nbuckets.
 */
static inline u32 psteer_hw_bucket(const struct psteer_hw *hw, u32 nic_hash,
				   u32 nbuckets)
{
	return (nic_hash & (hw->entries - 1)) % nbuckets;
}

/* Did the driver report the NIC's hash of @skb (NETIF_F_RXHASH on)? */
static inline bool psteer_hw_reported(const struct sk_buff *skb)
{
	return skb->hash && !skb->sw_hash;
}

/* The hash the driver reported for @skb, counted in @hw's nic_hashes. */
static inline u32 psteer_hw_take_hash(struct psteer_hw *hw,
				      const struct sk_buff *skb)
{
	this_cpu_inc(*hw->nic_hashes);
	return skb->hash;
}

/**
 * psteer_hw_hash() - the hash the NIC picked @skb's queue by
 * @hw: the device @skb came from
 * @skb: a packet
 * @t: its tuple, in the order the NIC hashes it
 *
 * A driver that reports the NIC's RSS hash (NETIF_F_RXHASH on) set it in
 * skb->hash, not computed by the stack (sw_hash): the hash its table used,
 * at no cost. Otherwise Toeplitz with the device's key over the fields the
 * NIC hashes (psteer_hw_hashes_ports()), computed again.
 */
static inline u32 psteer_hw_hash(struct psteer_hw *hw,
				 const struct sk_buff *skb,
				 const struct psteer_tuple *t)
{
	struct psteer_tuple a;

	if (psteer_hw_reported(skb))
		return psteer_hw_take_hash(hw, skb);
	if (!t->ports || psteer_hw_hashes_ports(hw, t))
		return psteer_hash_ordered(&hw->hash, t);
	a = *t;
	a.ports = 0;
	return psteer_hash_ordered(&hw->hash, &a);
}

/* @hw's nic_hashes, all CPUs together. */
static inline u64 psteer_hw_nic_hashes(const struct psteer_hw *hw)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(*per_cpu_ptr(hw->nic_hashes, cpu));
	return n;
}

/**
 * psteer_hw_learn() - count @skb on its receive queue and the current CPU
 * @hw: the device @skb came from
 * @skb: a packet
 * @cpu: the current CPU
 *
 * A queue's interrupt, hence its NAPI poll, runs where its affinity says,
 * most of the time: a poll scheduled elsewhere (the device opened, a
 * poll that goes on where it started) runs on another CPU for a while.
 * So one packet does not decide the queue's CPU; the sync work does, from
 * these counts (psteer_hw_learn_queues()). A counter of the CPU's own.
 */
static inline void psteer_hw_learn(struct psteer_hw *hw,
				   const struct sk_buff *skb, int cpu)
{
	u16 q;

	if (!skb_rx_queue_recorded(skb))
		return;
	q = skb_get_rx_queue(skb);
	if (q < hw->nqueues)
		per_cpu_ptr(hw->qseen, cpu)[q]++;
}

#if PSTEER_KUNIT_VISIBLE
struct psteer;
struct psteer_table;

/* src/nic.c */
u32 psteer_hw_plan(struct psteer_hw *hw, struct psteer_table *tbl);
void psteer_hw_learn_queues(struct psteer_hw *hw);
bool psteer_hw_changed(struct psteer_hw *hw);
int psteer_hw_restore(struct psteer_hw *hw);
unsigned int psteer_hw_coalesce_us(struct net_device *dev);
void psteer_hw_sync_all(struct psteer *ps);
#endif

#endif /* _PSTEER_NIC_H */
