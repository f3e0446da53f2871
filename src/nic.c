// SPDX-License-Identifier: GPL-2.0
/*
 * NICs with RSS, as psteer sees them: /proc/net/psteer/devices.
 *
 * A NIC with RSS hashes each packet itself and picks its receive queue,
 * hence its CPU, from an indirection table (`ethtool -x`): the same job
 * psteer's buckets do in software, at no cost per packet. This file reads
 * each device's RSS configuration through its driver's ethtool ops, as
 * `ethtool -x` does: the table's size, the key's, the hash function and
 * the queues the table uses. psteer does not drive any table yet: every
 * device is steered in software (the "steering" column), the first step
 * of issue 14.
 */

#include <linux/bitmap.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "psteer.h"

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
		err = psteer_get_rxfh(dev, indir, rss->entries, &rss->hfunc);
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

/**
 * psteer_nic_devices_show() - /proc/net/psteer/devices
 * @seq: the file, of a network namespace
 * @v: unused
 *
 * One line per device of the namespace: its name and index, its receive
 * queues, its RSS table (entries, key bytes, hash function, the queues
 * it points at; zeros and "-" without one, or when the driver failed to
 * report it), and how psteer steers its packets ("software": its own
 * buckets, after the NIC's queue).
 *
 * Context: process; takes RTNL, as `ethtool -x` does.
 */
int psteer_nic_devices_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	struct net_device *dev;

	seq_puts(seq, "dev ifindex rx_queues rss_entries rss_key_bytes rss_hash rss_queues steering\n");
	rtnl_lock();
	for_each_netdev(net, dev) {
		struct psteer_rss rss;

		psteer_nic_rss(dev, &rss);
		seq_printf(seq, "%s %d %u %u %u %s %u software\n", dev->name,
			   dev->ifindex, dev->real_num_rx_queues, rss.entries,
			   rss.key_bytes, psteer_hfunc_name(rss.hfunc),
			   rss.queues);
	}
	rtnl_unlock();
	return 0;
}
