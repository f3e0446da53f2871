// SPDX-License-Identifier: GPL-2.0
/*
 * NICs with RSS: /proc/net/psteer/devices, and psteer driving a NIC's
 * indirection table (issue 14).
 *
 * A NIC with RSS hashes each packet itself and picks its receive queue,
 * hence its CPU, from an indirection table (`ethtool -x`): the job
 * psteer's buckets do in software, at no cost per packet. The devices
 * file reads each device's RSS configuration through its driver's ethtool
 * ops, as `ethtool -x` does.
 *
 * Writing "hardware DEV" to it makes psteer drive DEV's table: entry e
 * carries bucket e mod nbuckets, and psteer points it at the queue of
 * the bucket's owner, so the NIC delivers each packet to its owner and the
 * hook passes it inline. The hook finds a driven device's bucket from
 * the NIC's own hash (the one the driver reports in skb->hash, or Toeplitz
 * with the device's key computed again from the packet), and learns which
 * CPU handles each queue from the packets (psteer_hw_learn_queues()).
 * Every rebalance_ms psteer_hw_work() rewrites the entries whose bucket
 * changed owner, all in one write, under RTNL, and waits for the fence
 * below without RTNL.
 *
 * The fence, what keeps a rewrite from reordering: packets of a moved
 * entry that the NIC put in the old queue before the rewrite are handled
 * by the old CPU, after the rewrite new ones reach the new CPU, which could
 * deliver them first. So before the rewrite the moved buckets are held
 * for the new CPU (psteer_hold(): its packets of them wait aside, the
 * old CPU's go on as before, inline or to the bucket's FIFO), and after
 * it psteer waits until each old queue's NAPI is seen idle from a thread
 * on the queue's CPU (psteer_hw_idle()), after the NIC's interrupt
 * coalescing delay: that CPU took any interrupt already raised, so its
 * poll has run and found the ring empty since the rewrite, and no timer
 * of a deferred interrupt is armed; every older packet went through the
 * hook. Then the held packets join the FIFO behind all of them, and only
 * then does the hold end (psteer_release_held()).
 * A queue still busy PSTEER_HW_FENCE_MS after the fence's first looks
 * releases them anyway and counts a fence timeout (psteer_hw_fence()):
 * the one case a move may reorder, with the last CPU of the set going
 * offline, which releases every hold (src/hotplug.c; no hold is made
 * while bypassed, and the entries stay).
 *
 * Coexistence: a table found changed at the next rewrite (ethtool -X, a
 * channel change) is someone else's: psteer stops driving it, says so
 * (kernel log, "overridden" in the file) and leaves it as it is; other
 * devices, and devices without RSS, keep software steering. Writing
 * "software DEV", unloading, or psteer stopping otherwise writes back the
 * table psteer found.
 */

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/proc_fs.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#ifdef PSTEER_HAVE_RXQ_NAPI
#include <net/netdev_rx_queue.h>
#endif

#include "compat.h"
#include "params.h"
#include "psteer.h"
#include "psteer_trace.h"

/**
 * struct psteer_rss - a device's RSS configuration
 * @entries: indirection table entries (0: no RSS psteer could drive)
 * @key_bytes: hash key size
 * @hfunc: hash function, ETH_RSS_HASH_* bits (0: the driver does not say)
 * @queues: distinct receive queues the table points at
 */
struct psteer_rss {
	u32 entries;
	u32 key_bytes;
	u8 hfunc;
	u32 queues;
};

/*
 * Reads @dev's RSS configuration into @rss: all zero for a device with
 * fewer than two receive queues or whose driver cannot report a table.
 * Context: process, RTNL held.
 */
static int psteer_nic_rss(struct net_device *dev, struct psteer_rss *rss)
{
	const struct ethtool_ops *ops = dev->ethtool_ops;
	unsigned long *used;
	u32 *indir, i;
	u8 xfrm;
	int err;

	ASSERT_RTNL();
	memset(rss, 0, sizeof(*rss));
	if (!ops || !ops->get_rxfh_indir_size || !ops->get_rxfh ||
	    dev->real_num_rx_queues < 2)
		return 0;
	psteer_netdev_lock_ops(dev);
	rss->entries = ops->get_rxfh_indir_size(dev);
	rss->key_bytes = ops->get_rxfh_key_size ?
			 ops->get_rxfh_key_size(dev) : 0;
	if (!rss->entries) {
		err = 0;
		goto unlock;
	}
	err = -ENOMEM;
	indir = kcalloc(rss->entries, sizeof(*indir), GFP_KERNEL);
	used = bitmap_zalloc(dev->real_num_rx_queues, GFP_KERNEL);
	if (indir && used)
		err = psteer_get_rxfh(dev, indir, rss->entries, NULL,
				      &rss->hfunc, &xfrm);
	for (i = 0; !err && i < rss->entries; i++)
		if (indir[i] < dev->real_num_rx_queues)
			__set_bit(indir[i], used);
	if (!err)
		rss->queues = bitmap_weight(used, dev->real_num_rx_queues);
	bitmap_free(used);
	kfree(indir);
unlock:
	psteer_netdev_unlock_ops(dev);
	if (err)
		memset(rss, 0, sizeof(*rss));
	return err;
}

static const char *psteer_hfunc_name(u8 hfunc)
{
	if (hfunc & ETH_RSS_HASH_TOP)
		return "toeplitz";
	if (hfunc & ETH_RSS_HASH_XOR)
		return "xor";
	if (hfunc & ETH_RSS_HASH_CRC32)
		return "crc32";
	return "-";
}

/* The slot of @dev in @ps->hw, or -1. Context: RTNL held. */
static int psteer_hw_slot(struct psteer *ps, const struct net_device *dev)
{
	int i;

	for (i = 0; i < PSTEER_HW_MAX; i++) {
		struct psteer_hw *hw = rtnl_dereference(ps->hw[i]);

		if (hw && hw->dev == dev)
			return i;
	}
	return -1;
}

static void psteer_hw_free(struct psteer_hw *hw)
{
	kvfree(hw->tz);
	kfree(hw->qcpu);
	free_percpu(hw->qseen);
	kvfree(hw->qlast);
	kvfree(hw->qscore);
	kfree(hw->cpuq);
	kfree(hw->saved);
	kfree(hw->cur);
	kfree(hw->next);
	bitmap_free(hw->held);
	bitmap_free(hw->oldq);
	bitmap_free(hw->qfull);
	free_percpu(hw->nic_hashes);
	kfree(hw);
}

/*
 * Writes @indir to @hw's device. Context: process, RTNL held.
 */
static int psteer_hw_write(struct psteer_hw *hw, u32 *indir, bool configured)
{
	int err;

	psteer_netdev_lock_ops(hw->dev);
	err = psteer_set_rxfh(hw->dev, indir, hw->entries, configured);
	psteer_netdev_unlock_ops(hw->dev);
	return err;
}

/*
 * The flow types @dev hashes by their addresses alone, no L4 bytes in
 * their rx-flow-hash fields (psteer_hw_hash() leaves their ports out): a
 * driver that cannot say counts as hashing ports. Context: process, RTNL
 * and the device's ops lock held.
 */
static u8 psteer_hw_read_fields(struct net_device *dev)
{
	static const struct {
		u32 flow;
		u8 type;
	} types[] = {
		{ TCP_V4_FLOW, PSTEER_HW_TCP4 },
		{ UDP_V4_FLOW, PSTEER_HW_UDP4 },
		{ TCP_V6_FLOW, PSTEER_HW_TCP6 },
		{ UDP_V6_FLOW, PSTEER_HW_UDP6 },
	};
	u8 addr_only = 0;
	unsigned int i;
	u64 data;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (!psteer_get_rxfh_fields(dev, types[i].flow, &data) &&
		    !(data & (RXH_L4_B_0_1 | RXH_L4_B_2_3)))
			addr_only |= types[i].type;
	return addr_only;
}

/**
 * psteer_hw_changed() - did someone else change @hw's device?
 * @hw: a driven device; @hw->cur is what psteer last wrote
 *
 * Reads the device's table into @hw->next, and its key, hash function,
 * input transform and fields hashed: any of them not as psteer drives
 * them (@hw->cur, the key and fields it hashes with, Toeplitz, no
 * transform), or another number of receive queues or entries, is someone
 * else's doing (ethtool -X, -N, -L).
 *
 * Context: process, RTNL held.
 * Return: true if changed, or if it could not be read.
 */
VISIBLE_IF_KUNIT bool psteer_hw_changed(struct psteer_hw *hw)
{
	const struct ethtool_ops *ops = hw->dev->ethtool_ops;
	struct net_device *dev = hw->dev;
	u8 key[PSTEER_RSS_KEY_LEN];
	u8 hfunc = 0, xfrm = 0;
	int err = -ENODEV;

	psteer_netdev_lock_ops(dev);
	if (dev->real_num_rx_queues == hw->nqueues &&
	    ops->get_rxfh_indir_size(dev) == hw->entries &&
	    ops->get_rxfh_key_size(dev) == PSTEER_RSS_KEY_LEN)
		err = psteer_get_rxfh(dev, hw->next, hw->entries, key, &hfunc,
				      &xfrm);
	if (!err && psteer_hw_read_fields(dev) != hw->addr_only)
		err = -EBUSY;
	psteer_netdev_unlock_ops(dev);
	return err || hfunc != ETH_RSS_HASH_TOP || xfrm ||
	       memcmp(key, hw->hash.rss_key, sizeof(key)) ||
	       memcmp(hw->next, hw->cur, hw->entries * sizeof(u32));
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_changed);

/**
 * psteer_hw_restore() - write back the table psteer found
 * @hw: a driven device
 *
 * Only if the device is as psteer left it (psteer_hw_changed()): a table
 * someone else set since, even after psteer's last rewrite, is theirs.
 *
 * Context: process, RTNL held.
 * Return: 0, -EBUSY if someone else changed it, or the driver's error.
 */
VISIBLE_IF_KUNIT int psteer_hw_restore(struct psteer_hw *hw)
{
	if (psteer_hw_changed(hw))
		return -EBUSY;
	return psteer_hw_write(hw, hw->saved, hw->configured);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_restore);

/*
 * Stops driving the device of slot @i, writing back the table psteer
 * found when @restore (not for a device going away, nor one whose table
 * someone else took). Context: process, RTNL held.
 */
static void psteer_hw_stop(struct psteer *ps, int i, bool restore)
{
	struct psteer_hw *hw = rtnl_dereference(ps->hw[i]);
	struct net_device *dev = hw->dev;
	int err;

	/*
	 * A fence waits without RTNL and still uses @hw: told to end, it
	 * does after its current look (it only trylocks RTNL).
	 */
	WRITE_ONCE(hw->abort, true);
	/* Pairs with the fence's release: it no longer touches @hw. */
	wait_event(ps->hw_fenced, !smp_load_acquire(&hw->fencing));
	RCU_INIT_POINTER(ps->hw[i], NULL);
	WRITE_ONCE(ps->nhw, ps->nhw - 1);
	if (restore && !hw->overridden) {
		err = psteer_hw_restore(hw);
		if (err == -EBUSY)
			netdev_warn(dev, "psteer: its RSS table or key changed outside psteer: left as it is\n");
		else if (err)
			netdev_warn(dev, "psteer: could not restore its RSS table: %d\n",
				    err);
	}
	netdev_info(dev, "psteer: no longer driving its RSS table (%llu rewrites, %llu entries moved, %llu fence timeouts)\n",
		    hw->rewrites, hw->moved, hw->fence_timeouts);
	/* The hook may still look at it. */
	synchronize_net();
	netdev_put(dev, &hw->tracker);
	psteer_hw_free(hw);
}

/*
 * Starts driving @dev's table: checks that psteer can, saves the table.
 * Context: process, RTNL held.
 */
static int psteer_hw_start(struct psteer *ps, struct net_device *dev)
{
	const struct ethtool_ops *ops = dev->ethtool_ops;
	struct psteer_hw *hw;
	u8 key[PSTEER_RSS_KEY_LEN];
	u8 hfunc = 0, xfrm = 0;
	int i, slot, err;

	slot = psteer_hw_slot(ps, dev);
	if (slot >= 0) {
		hw = rtnl_dereference(ps->hw[slot]);
		if (!hw->overridden)
			return 0;
		/* Taken back: the table as it is now is the one to restore. */
		psteer_hw_stop(ps, slot, false);
	}
	if (!ops || !ops->get_rxfh_indir_size || !ops->get_rxfh ||
	    !ops->set_rxfh || !ops->get_rxfh_key_size ||
	    dev->real_num_rx_queues < 2) {
		netdev_warn(dev, "psteer: no RSS table to drive (needs a driver with get_rxfh/set_rxfh and 2 or more receive queues)\n");
		return -EOPNOTSUPP;
	}
	for (slot = 0; slot < PSTEER_HW_MAX; slot++)
		if (!rtnl_dereference(ps->hw[slot]))
			break;
	if (slot == PSTEER_HW_MAX) {
		netdev_warn(dev, "psteer: already driving %d devices\n",
			    PSTEER_HW_MAX);
		return -ENOSPC;
	}
	hw = kzalloc_obj(*hw, GFP_KERNEL);
	if (!hw)
		return -ENOMEM;
	hw->dev = dev;
	hw->nqueues = dev->real_num_rx_queues;
	psteer_netdev_lock_ops(dev);
	hw->entries = ops->get_rxfh_indir_size(dev);
	err = -EOPNOTSUPP;
	if (!hw->entries || !is_power_of_2(hw->entries) ||
	    ops->get_rxfh_key_size(dev) != PSTEER_RSS_KEY_LEN) {
		netdev_warn(dev, "psteer: RSS table of %u entries, key of %u bytes: psteer drives power-of-two tables with %d-byte Toeplitz keys\n",
			    hw->entries, ops->get_rxfh_key_size(dev),
			    PSTEER_RSS_KEY_LEN);
		goto unlock;
	}
	err = -ENOMEM;
	hw->saved = kcalloc(hw->entries, sizeof(u32), GFP_KERNEL);
	hw->cur = kcalloc(hw->entries, sizeof(u32), GFP_KERNEL);
	hw->next = kcalloc(hw->entries, sizeof(u32), GFP_KERNEL);
	hw->qcpu = kcalloc(hw->nqueues, sizeof(int), GFP_KERNEL);
	hw->qseen = __alloc_percpu(hw->nqueues * sizeof(u32), sizeof(u32));
	hw->qlast = kvcalloc(nr_cpu_ids * hw->nqueues, sizeof(u32), GFP_KERNEL);
	hw->qscore = kvcalloc(nr_cpu_ids * hw->nqueues, sizeof(u32), GFP_KERNEL);
	hw->cpuq = kcalloc(nr_cpu_ids, sizeof(int), GFP_KERNEL);
	hw->held = bitmap_zalloc(ps->tbl->nbuckets, GFP_KERNEL);
	hw->oldq = bitmap_zalloc(hw->nqueues, GFP_KERNEL);
	hw->qfull = bitmap_zalloc(hw->nqueues, GFP_KERNEL);
	hw->tz = kvmalloc_obj(*hw->tz, GFP_KERNEL);
	hw->nic_hashes = alloc_percpu(u64);
	if (!hw->saved || !hw->cur || !hw->next || !hw->qcpu || !hw->qseen ||
	    !hw->qlast || !hw->qscore || !hw->cpuq ||
	    !hw->held || !hw->oldq || !hw->qfull || !hw->tz ||
	    !hw->nic_hashes)
		goto unlock;
	err = psteer_get_rxfh(dev, hw->saved, hw->entries, key, &hfunc, &xfrm);
	if (!err && hfunc != ETH_RSS_HASH_TOP) {
		netdev_warn(dev, "psteer: its RSS hash is not Toeplitz\n");
		err = -EOPNOTSUPP;
	}
	if (!err && xfrm) {
		netdev_warn(dev, "psteer: its RSS hash transforms its input (ethtool -x: symmetric), psteer drives plain Toeplitz\n");
		err = -EOPNOTSUPP;
	}
	if (!err)
		hw->addr_only = psteer_hw_read_fields(dev);
unlock:
	psteer_netdev_unlock_ops(dev);
	if (err) {
		psteer_hw_free(hw);
		return err;
	}
	memcpy(hw->cur, hw->saved, hw->entries * sizeof(u32));
	for (i = 0; i < hw->nqueues; i++)
		hw->qcpu[i] = -1;
	psteer_toeplitz_table_init(hw->tz, key);
	hw->hash.alg = PSTEER_HASH_TOEPLITZ;
	memcpy(hw->hash.rss_key, key, sizeof(key));
	hw->hash.table = hw->tz;
	hw->configured = psteer_rxfh_configured(dev);
	netdev_hold(dev, &hw->tracker, GFP_KERNEL);
	rcu_assign_pointer(ps->hw[slot], hw);
	WRITE_ONCE(ps->nhw, ps->nhw + 1);
	netdev_info(dev, "psteer: driving its RSS table (%u entries, %u queues)\n",
		    hw->entries, hw->nqueues);
	mod_delayed_work(system_dfl_wq, &ps->hw_work, 0);
	return 0;
}

/* What psteer_hw_idle() asks a queue's CPU. */
struct psteer_hw_probe {
	struct net_device *dev;
	u32 queue;
};

/* What a fence's look at an old queue found (psteer_hw_fence_look()). */
enum psteer_look {
	PSTEER_LOOK_END = -1,	/* the fence must end now */
	PSTEER_LOOK_BUSY,	/* the queue's NAPI is scheduled, or its timer */
	PSTEER_LOOK_IDLE,
	PSTEER_LOOK_LOCKED,	/* RTNL or the device's lock was taken */
};

static bool psteer_napi_busy(struct napi_struct *napi)
{
	/*
	 * A poll that completed with its interrupt deferred
	 * (napi_defer_hard_irqs, gro_flush_timeout) left the interrupt off
	 * and this timer armed: packets may wait in the ring until it fires.
	 */
	return test_bit(NAPI_STATE_SCHED, &napi->state) ||
	       hrtimer_active(&napi->timer);
}

/*
 * Is the queue's NAPI idle? On the queue's CPU, in a thread: an
 * interrupt that CPU had pending has been taken and its poll run first.
 * Without the queue's own NAPI (kernels before 6.8, drivers that do not
 * link it) every NAPI of the device must be idle. The caller holds RTNL;
 * the device's own lock too is taken here, where there is one
 * (psteer_netdev_trylock_napis()). Returns an enum psteer_look.
 */
static long psteer_hw_probe_fn(void *arg)
{
	const struct psteer_hw_probe *p = arg;
	struct napi_struct *napi;
	long look = PSTEER_LOOK_IDLE;

	/* Busy: the next look tries again. */
	if (!psteer_netdev_trylock_napis(p->dev))
		return PSTEER_LOOK_LOCKED;
#ifdef PSTEER_HAVE_RXQ_NAPI
	napi = __netif_get_rx_queue(p->dev, p->queue)->napi;
	if (napi) {
		if (psteer_napi_busy(napi))
			look = PSTEER_LOOK_BUSY;
		goto unlock;
	}
#endif
	list_for_each_entry(napi, &p->dev->napi_list, dev_list)
		if (psteer_napi_busy(napi)) {
			look = PSTEER_LOOK_BUSY;
			break;
		}
#ifdef PSTEER_HAVE_RXQ_NAPI
unlock:
#endif
	psteer_netdev_unlock_napis(p->dev);
	return look;
}

static enum psteer_look psteer_hw_idle(struct psteer_hw *hw, u32 queue)
{
	struct psteer_hw_probe probe = { .dev = hw->dev, .queue = queue };
	int cpu = READ_ONCE(hw->qcpu[queue]);

	if (cpu >= 0 && cpu_online(cpu))
		return work_on_cpu(cpu, psteer_hw_probe_fn, &probe);
	return psteer_hw_probe_fn(&probe);
}

/**
 * psteer_hw_learn_queues() - which CPU handles each queue of @hw
 * @hw: a driven device
 *
 * From the packets the hook counted per queue and CPU since the last call
 * (psteer_hw_learn()): a queue's CPU is the one that handled at least
 * PSTEER_HW_LEARN_MIN of its recent packets and twice as many as any
 * other. Recent in packets, not in time: when a queue's counts add up to
 * more than PSTEER_HW_LEARN_WINDOW, they are divided by the power of two
 * that brings them within it (and the queue is marked in @hw->qfull), so
 * a queue that carries a few packets a second is learned as surely as a
 * busy one (halved at every sync, 3 packets per sync never reached the
 * minimum). One packet that a poll run elsewhere handled must not count:
 * taken for the queue's CPU, it would send the entries of that CPU's
 * buckets to this queue, and leave the queue they came from without
 * packets to learn from again. A queue without packets keeps the CPU it
 * had.
 *
 * Context: process, RTNL held (the only writer of @hw->qcpu).
 */
VISIBLE_IF_KUNIT void psteer_hw_learn_queues(struct psteer_hw *hw)
{
	u32 q, now, best_score, second, shift, i;
	int cpu, best;
	u64 sum;

	BUILD_BUG_ON(!is_power_of_2(PSTEER_HW_LEARN_WINDOW));
	for (q = 0; q < hw->nqueues; q++) {
		sum = 0;
		for_each_possible_cpu(cpu) {
			i = cpu * hw->nqueues + q;
			now = READ_ONCE(per_cpu_ptr(hw->qseen, cpu)[q]);
			/* At most the window plus U32_MAX / 2: it fits. */
			hw->qscore[i] += min(now - hw->qlast[i], U32_MAX / 2);
			hw->qlast[i] = now;
			sum += hw->qscore[i];
		}
		shift = 0;
		if (sum > PSTEER_HW_LEARN_WINDOW) {
			shift = fls64(sum - 1) - ilog2(PSTEER_HW_LEARN_WINDOW);
			__set_bit(q, hw->qfull);
		}
		best = -1;
		best_score = 0;
		second = 0;
		for_each_possible_cpu(cpu) {
			i = cpu * hw->nqueues + q;
			/* Up to 2^44 packets: a shift of 32 or more. */
			hw->qscore[i] = shift < 32 ? hw->qscore[i] >> shift : 0;
			if (hw->qscore[i] > best_score) {
				second = best_score;
				best_score = hw->qscore[i];
				best = cpu;
			} else if (hw->qscore[i] > second) {
				second = hw->qscore[i];
			}
		}
		if (best_score >= PSTEER_HW_LEARN_MIN &&
		    best_score >= 2 * second)
			WRITE_ONCE(hw->qcpu[q], best);
	}
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_learn_queues);

/**
 * psteer_hw_plan() - the rewrite that makes @hw's table follow the owners
 * @hw: the device; @hw->next holds its table as it is (@hw->cur)
 * @tbl: the live table
 *
 * Every entry whose bucket's owner is not the CPU of the entry's queue
 * goes to a queue of the owner's: in @hw->next, its old queue in
 * @hw->oldq, its bucket in @hw->held and held for the owner
 * (psteer_hold()). An entry already on a queue of the owner's stays,
 * though the owner has others: moving it between two queues of one CPU
 * would hold the old queue's packets with the new one's, in whatever
 * order the CPU polls them. So does an entry on a queue whose CPU is not
 * known yet: moved away, its packets would no longer teach psteer that
 * CPU, and the buckets of that CPU would stay steered in software. Not
 * for ever: once the queue has carried a window of packets (@hw->qfull)
 * and is still undecided (its polls run on several CPUs alike), its
 * entries go where their owners' queues are.
 *
 * Context: process, RTNL held.
 * Return: the number of entries that move.
 */
VISIBLE_IF_KUNIT u32 psteer_hw_plan(struct psteer_hw *hw,
				    struct psteer_table *tbl)
{
	u32 e, q, n = 0, bkt;
	int cpu, qcpu;

	for_each_possible_cpu(cpu)
		hw->cpuq[cpu] = -1;
	for (q = 0; q < hw->nqueues; q++) {
		cpu = READ_ONCE(hw->qcpu[q]);
		if (cpu >= 0 && hw->cpuq[cpu] < 0)
			hw->cpuq[cpu] = q;
	}
	bitmap_zero(hw->held, tbl->nbuckets);
	bitmap_zero(hw->oldq, hw->nqueues);
	for (e = 0; e < hw->entries; e++) {
		bkt = e % tbl->nbuckets;
		cpu = psteer_bucket_owner(&tbl->buckets[bkt]);
		if (cpu < 0 || cpu >= nr_cpu_ids || hw->cpuq[cpu] < 0)
			continue;
		q = hw->cur[e];
		if (q < hw->nqueues) {
			qcpu = READ_ONCE(hw->qcpu[q]);
			if (qcpu == cpu)
				continue;
			/*
			 * On a queue whose CPU is not learned yet, and that
			 * has not carried a window of packets: the entry's
			 * packets are what teaches psteer that CPU.
			 */
			if (qcpu < 0 && !test_bit(q, hw->qfull))
				continue;
		}
		/* No fence while bypassed (psteer_hold()): the entry stays. */
		if (!test_bit(bkt, hw->held)) {
			if (!psteer_hold(tbl, &tbl->buckets[bkt], cpu))
				continue;
			__set_bit(bkt, hw->held);
		}
		hw->next[e] = hw->cpuq[cpu];
		if (q < hw->nqueues)
			__set_bit(q, hw->oldq);
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_plan);

/*
 * How long @dev may sit on received packets before it interrupts (ethtool
 * -c: rx-usecs, rx-usecs-irq, and rx-usecs-high with adaptive
 * coalescing), at most half the fence's bound: until then a queue can
 * look idle with packets in its ring. Context: RTNL and @dev's ops lock
 * held.
 */
VISIBLE_IF_KUNIT unsigned int psteer_hw_coalesce_us(struct net_device *dev)
{
	const struct ethtool_ops *ops = dev->ethtool_ops;
	struct kernel_ethtool_coalesce kec = {};
	struct ethtool_coalesce ec = {};
	unsigned int us;

	if (!ops->get_coalesce || ops->get_coalesce(dev, &ec, &kec, NULL))
		return 0;
	us = max(ec.rx_coalesce_usecs, ec.rx_coalesce_usecs_irq);
	if (ec.use_adaptive_rx_coalesce)
		us = max(us, ec.rx_coalesce_usecs_high);
	return min(us, PSTEER_HW_FENCE_MS * USEC_PER_MSEC / 2);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_coalesce_us);

/* The packets a rewrite of @hw held go, behind their buckets' queues. */
static void psteer_hw_release(struct psteer_table *tbl, struct psteer_hw *hw)
{
	u32 bkt;

	for_each_set_bit(bkt, hw->held, tbl->nbuckets)
		psteer_release_held(tbl, &tbl->buckets[bkt]);
}

/*
 * The first half of a sync, under RTNL: makes @hw's table follow the
 * owners, one write for every entry whose bucket's owner has a queue
 * elsewhere, its buckets held (see the top of the file). The fence comes
 * after, without RTNL (psteer_hw_fence()).
 * Context: process, RTNL held.
 * Return: true if the write moved entries: @hw->fencing is set, and
 * psteer_hw_fence() must follow, @coalesce_us its wait for the NIC's
 * interrupt coalescing.
 */
static bool psteer_hw_rewrite(struct psteer *ps, struct psteer_hw *hw,
			      unsigned int *coalesce_us)
{
	struct psteer_table *tbl = ps->tbl;
	struct net_device *dev = hw->dev;
	u32 n;
	int err;

	if (hw->overridden || !netif_running(dev))
		return false;
	if (psteer_hw_changed(hw)) {
		WRITE_ONCE(hw->overridden, true);
		netdev_warn(dev, "psteer: its RSS table, key, hash or queues changed outside psteer: no longer driving it (write \"hardware %s\" to /proc/net/psteer/devices to drive it again)\n",
			    dev->name);
		return false;
	}
	psteer_hw_learn_queues(hw);
	n = psteer_hw_plan(hw, tbl);
	if (!n)
		return false;
	err = psteer_hw_write(hw, hw->next, true);
	if (err) {
		hw->errors++;
		netdev_warn_once(dev, "psteer: its driver refused a table rewrite: %d\n",
				 err);
		psteer_hw_release(tbl, hw);
		return false;
	}
	memcpy(hw->cur, hw->next, hw->entries * sizeof(u32));
	hw->rewrites++;
	hw->moved += n;
	/* An interrupt the NIC still holds back is not pending yet. */
	psteer_netdev_lock_ops(dev);
	*coalesce_us = psteer_hw_coalesce_us(dev);
	psteer_netdev_unlock_ops(dev);
	hw->fencing = true;
	return true;
}

/*
 * Is old queue @q of @hw idle, looked at under RTNL? The device's NAPIs
 * only stay while RTNL keeps it from closing or changing its channels
 * (drivers free them there), and, since 6.15, while the device's own lock
 * keeps a queue from being restarted (psteer_hw_probe_fn() takes it), so
 * each look takes both, with trylocks: psteer_hw_stop() waits for the
 * fence holding RTNL, and sets @hw->abort.
 * A device that went down stopped its NAPIs (napi_disable() leaves them
 * scheduled): nothing to wait for there. Context: process, no RTNL.
 */
static enum psteer_look psteer_hw_fence_look(struct psteer_hw *hw, u32 q)
{
	enum psteer_look look;

	if (READ_ONCE(hw->abort))
		return PSTEER_LOOK_END;
	if (!rtnl_trylock())
		return PSTEER_LOOK_LOCKED;
	if (!netif_running(hw->dev))
		look = PSTEER_LOOK_END;
	else
		look = psteer_hw_idle(hw, q);
	rtnl_unlock();
	return look;
}

/*
 * One look at each old queue of @hw not seen idle yet (@hw->oldq), which
 * loses those seen idle; @looks counts the others by what was found.
 * Return: PSTEER_LOOK_IDLE when every queue has been seen idle,
 * PSTEER_LOOK_BUSY when each of the others was seen busy,
 * PSTEER_LOOK_LOCKED when one could not be looked at, PSTEER_LOOK_END
 * when the fence must end now.
 */
static enum psteer_look psteer_hw_fence_pass(struct psteer_hw *hw, u32 *looks)
{
	enum psteer_look look, ret = PSTEER_LOOK_IDLE;
	u32 q;

	for_each_set_bit(q, hw->oldq, hw->nqueues) {
		look = psteer_hw_fence_look(hw, q);
		if (look == PSTEER_LOOK_END)
			return look;
		if (look == PSTEER_LOOK_IDLE) {
			__clear_bit(q, hw->oldq);
			continue;
		}
		looks[look]++;
		if (ret != PSTEER_LOOK_LOCKED)
			ret = look;
	}
	return ret;
}

/*
 * The second half of a sync, the fence, without RTNL, and the rest of the
 * stack's configuration must not stall behind it (each look at a queue
 * takes RTNL for that look only). Waits out the NIC's interrupt
 * coalescing, then looks at every old queue in turn, again and again,
 * until each has been seen idle, then lets the held packets go.
 *
 * The bound: PSTEER_HW_FENCE_MS from the end of the first round of looks
 * in which every queue left was looked at (none found RTNL or the
 * device's lock taken): a queue given up was seen busy for that long, at
 * two looks at least. It does not run from the fence's start, as a look
 * waits for a thread on the queue's CPU, and one slow look at the first
 * queue could use it all up and leave the next one a single look. Until
 * such a round, the locks taken by others, the fence gives up
 * 2 * PSTEER_HW_FENCE_MS after its start. So a fence lasts the coalescing
 * wait (at most half the bound), the first rounds of looks, then at most
 * the bound and one more round. A queue given up, or left when the fence
 * ends early (the device down, psteer stopping to drive it), counts as a
 * timeout: its move may reorder. @hw stays: psteer_hw_stop() waits for
 * @hw->fencing to clear. Traced (psteer:hw_fence).
 * Context: process.
 */
static void psteer_hw_fence(struct psteer *ps, struct psteer_hw *hw,
			    unsigned int coalesce_us)
{
	u32 nq = bitmap_weight(hw->oldq, hw->nqueues);
	u32 looks[PSTEER_LOOK_LOCKED + 1] = {};
	unsigned long deadline;
	u64 start, end, bound = 0;
	enum psteer_look look;
	u32 left = 0;

	WRITE_ONCE(hw->fences, hw->fences + nq);
	start = ktime_get_ns();
	if (coalesce_us)
		usleep_range(coalesce_us, coalesce_us + 100);
	deadline = jiffies + msecs_to_jiffies(2 * PSTEER_HW_FENCE_MS);
	while ((look = psteer_hw_fence_pass(hw, looks)) != PSTEER_LOOK_IDLE &&
	       look != PSTEER_LOOK_END) {
		if (!bound && look == PSTEER_LOOK_BUSY) {
			bound = ktime_get_ns();
			deadline = jiffies +
				   msecs_to_jiffies(PSTEER_HW_FENCE_MS);
		} else if (time_after(jiffies, deadline)) {
			break;
		}
		usleep_range(100, 200);
	}
	if (look != PSTEER_LOOK_IDLE) {
		left = bitmap_weight(hw->oldq, hw->nqueues);
		WRITE_ONCE(hw->fence_timeouts, hw->fence_timeouts + left);
	}
	end = ktime_get_ns();
	trace_hw_fence(hw->dev->ifindex, nq, looks[PSTEER_LOOK_BUSY],
		       looks[PSTEER_LOOK_LOCKED], end - start,
		       bound ? end - bound : 0, left);
	psteer_hw_release(ps->tbl, hw);
	/*
	 * The last touch of @hw: psteer_hw_stop() may free it once it reads
	 * false (pairs with the acquire there).
	 */
	smp_store_release(&hw->fencing, false);
	wake_up_all(&ps->hw_fenced);
}

/**
 * psteer_hw_sync_all() - one round of psteer_hw_work(): every driven
 * table follows the owners
 * @ps: the module
 *
 * Each device's rewrite under RTNL, then its fence without RTNL.
 * Context: process; takes RTNL.
 */
VISIBLE_IF_KUNIT void psteer_hw_sync_all(struct psteer *ps)
{
	unsigned int coalesce_us;
	struct psteer_hw *hw;
	bool fence;
	int i;

	for (i = 0; i < PSTEER_HW_MAX; i++) {
		if (!rcu_access_pointer(ps->hw[i]))
			continue;
		rtnl_lock();
		hw = rtnl_dereference(ps->hw[i]);
		fence = hw && psteer_hw_rewrite(ps, hw, &coalesce_us);
		rtnl_unlock();
		if (fence)
			psteer_hw_fence(ps, hw, coalesce_us);
	}
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hw_sync_all);

static void psteer_hw_work(struct work_struct *work)
{
	struct psteer *ps = container_of(to_delayed_work(work), struct psteer,
					 hw_work);
	unsigned int ms = psteer_param_rebalance_ms() ?: PSTEER_HW_SYNC_MS;

	psteer_hw_sync_all(ps);
	rtnl_lock();
	if (ps->nhw && !ps->hw_stopping)
		queue_delayed_work(system_dfl_wq, &ps->hw_work,
				   msecs_to_jiffies(ms));
	rtnl_unlock();
}

/**
 * psteer_nic_forget() - a device goes away: stop driving it
 * @ps: the module
 * @dev: the device (NETDEV_UNREGISTER, also when it changes namespace)
 *
 * A device unregistered takes its table with it: nothing to restore. One
 * that moves to another namespace stays registered (reg_state stays
 * NETREG_REGISTERED, net/core/dev.c) with its table, and gets back the
 * one psteer found. Context: RTNL held.
 */
void psteer_nic_forget(struct psteer *ps, struct net_device *dev)
{
	int i = psteer_hw_slot(ps, dev);

	if (i >= 0)
		psteer_hw_stop(ps, i, dev->reg_state == NETREG_REGISTERED);
}

/**
 * psteer_nic_init() - before the hooks: nothing driven yet
 * @ps: the module
 */
void psteer_nic_init(struct psteer *ps)
{
	INIT_DELAYED_WORK(&ps->hw_work, psteer_hw_work);
	init_waitqueue_head(&ps->hw_fenced);
}

/**
 * psteer_nic_exit() - stop driving every table, each written back
 * @ps: the module
 *
 * Context: process; before the hooks and the table go.
 */
void psteer_nic_exit(struct psteer *ps)
{
	int i;

	rtnl_lock();
	ps->hw_stopping = true;
	rtnl_unlock();
	cancel_delayed_work_sync(&ps->hw_work);
	rtnl_lock();
	for (i = 0; i < PSTEER_HW_MAX; i++)
		if (rtnl_dereference(ps->hw[i]))
			psteer_hw_stop(ps, i, true);
	rtnl_unlock();
}

/**
 * psteer_nic_devices_write() - "hardware DEV" or "software DEV"
 * @file: /proc/net/psteer/devices of a namespace
 * @buf: the line written, NUL-terminated
 * @len: its length
 *
 * "hardware DEV" makes psteer drive DEV's RSS table (again, after someone
 * else took it); "software DEV" stops, writing back the table psteer
 * found. Needs CAP_NET_ADMIN, as ethtool -X does.
 *
 * Context: process; takes RTNL.
 * Return: 0, or -EPERM, -EINVAL (not a command), -ENODEV (no such device
 * in the namespace), -EOPNOTSUPP (no table psteer can drive), -ENOSPC,
 * -ENOMEM.
 */
int psteer_nic_devices_write(struct file *file, char *buf, size_t len)
{
	struct psteer *ps = pde_data(file_inode(file));
	struct net *net = seq_file_single_net(file->private_data);
	struct net_device *dev;
	char *p = strim(buf), *word;
	bool hardware;
	int err = 0, i;

	if (!file_ns_capable(file, net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	word = strsep(&p, " \t");
	if (!strcmp(word, "hardware"))
		hardware = true;
	else if (!strcmp(word, "software"))
		hardware = false;
	else
		return -EINVAL;
	p = p ? skip_spaces(p) : NULL;
	if (!p || !*p || strpbrk(p, " \t"))
		return -EINVAL;
	rtnl_lock();
	dev = __dev_get_by_name(net, p);
	if (!dev || ps->hw_stopping) {
		err = -ENODEV;
	} else if (hardware) {
		err = psteer_hw_start(ps, dev);
	} else {
		i = psteer_hw_slot(ps, dev);
		if (i >= 0)
			psteer_hw_stop(ps, i, true);
	}
	rtnl_unlock();
	return err;
}

static const char *psteer_hw_state(struct psteer *ps, struct net_device *dev,
				   struct psteer_hw **hwp)
{
	int i = psteer_hw_slot(ps, dev);

	*hwp = i >= 0 ? rtnl_dereference(ps->hw[i]) : NULL;
	if (!*hwp)
		return "software";
	return (*hwp)->overridden ? "overridden" : "hardware";
}

/*
 * The CPU psteer takes each of @hw's queues for (psteer_hw_learn_queues()),
 * comma-separated, "-" for one not known yet; "-" for a device psteer
 * does not drive. Ends the line. Context: RTNL held.
 */
static void psteer_hw_show_queues(struct seq_file *seq,
				  const struct psteer_hw *hw)
{
	u32 q;
	int cpu;

	if (!hw) {
		seq_puts(seq, "-\n");
		return;
	}
	for (q = 0; q < hw->nqueues; q++) {
		cpu = READ_ONCE(hw->qcpu[q]);
		if (q)
			seq_putc(seq, ',');
		if (cpu < 0)
			seq_putc(seq, '-');
		else
			seq_printf(seq, "%d", cpu);
	}
	seq_putc(seq, '\n');
}

/**
 * psteer_nic_devices_show() - /proc/net/psteer/devices
 * @seq: the file, of a network namespace
 * @v: unused
 *
 * One line per device of the namespace: its name and index, its receive
 * queues, its RSS table (entries, key bytes, hash function, the queues
 * it points at; zeros and "-" without one, or when the driver failed to
 * report it), how psteer steers its packets ("software": its own
 * buckets, after the NIC's queue; "hardware": psteer drives the table;
 * "overridden": it did until someone else rewrote it), and for a table
 * psteer drives, its rewrites, the entries they moved, the fences that
 * timed out, the packets whose bucket came from the hash the NIC
 * reported, the rewrites its driver refused, and the CPU psteer takes
 * each queue for.
 *
 * Context: process; takes RTNL, as `ethtool -x` does.
 */
int psteer_nic_devices_show(struct seq_file *seq, void *v)
{
	struct psteer *ps = pde_data(file_inode(seq->file));
	struct net *net = seq_file_single_net(seq);
	struct net_device *dev;

	seq_puts(seq, "dev ifindex rx_queues rss_entries rss_key_bytes rss_hash rss_queues steering rewrites moved fence_timeouts nic_hashes write_errors queue_cpus\n");
	rtnl_lock();
	for_each_netdev(net, dev) {
		struct psteer_rss rss;
		struct psteer_hw *hw;
		const char *state = psteer_hw_state(ps, dev, &hw);

		psteer_nic_rss(dev, &rss);
		seq_printf(seq, "%s %d %u %u %u %s %u %s %llu %llu %llu %llu %llu ",
			   dev->name, dev->ifindex, dev->real_num_rx_queues,
			   rss.entries, rss.key_bytes,
			   psteer_hfunc_name(rss.hfunc), rss.queues, state,
			   hw ? hw->rewrites : 0, hw ? hw->moved : 0,
			   hw ? READ_ONCE(hw->fence_timeouts) : 0,
			   hw ? psteer_hw_nic_hashes(hw) : 0,
			   hw ? hw->errors : 0);
		psteer_hw_show_queues(seq, hw);
	}
	rtnl_unlock();
	return 0;
}
