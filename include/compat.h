/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility between the kernels psteer supports, 6.1 up to the newest
 * that Debian carries (README.md, "Supported kernels").
 *
 * Needs no probe: lockdep_assert_in_softirq() (6.1 has it), pde_data()
 * (5.17).
 *
 * Every difference is probed by feature, here and only here; src/ never
 * tests LINUX_VERSION_CODE.
 */
#ifndef _PSTEER_COMPAT_H
#define _PSTEER_COMPAT_H

#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/netdevice.h>
#include <linux/slab.h>

/*
 * Header probes are done by Kbuild (a wildcard on the kernel's include/),
 * since __has_include trips checkpatch:
 * - asm/unaligned.h moved to linux/unaligned.h in 6.12;
 * - kunit/visibility.h appeared in 6.2; without it Kbuild defines
 *   EXPORT_SYMBOL_IF_KUNIT() to nothing, as it is without CONFIG_KUNIT.
 */
#ifdef PSTEER_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* hex_to_bin() moved from linux/kernel.h to linux/hex.h (7.3 drops the former). */
#ifdef PSTEER_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif

/*
 * The unbound system workqueue was renamed system_dfl_wq; 7.x warns when
 * work is queued on its old name, system_unbound_wq.
 */
#ifndef PSTEER_HAVE_SYSTEM_DFL_WQ
#define system_dfl_wq system_unbound_wq
#endif

/*
 * 7.x allocates one object by type, kzalloc_obj(*p, gfp), and checkpatch
 * prefers it to kzalloc(sizeof(*p), gfp). The same for older kernels:
 */
/*
 * kernel_bind() and kernel_connect() take a struct sockaddr_unsized in 7.x
 * (the KUnit suites bind sockets); before, a struct sockaddr.
 */
#ifndef PSTEER_HAVE_SOCKADDR_UNSIZED
#define sockaddr_unsized sockaddr
#endif

/*
 * hrtimer_setup() (6.13) sets up a timer and its function at once, and
 * 7.x has no hrtimer_init() (the KUnit suites use a timer).
 */
#ifndef PSTEER_HAVE_HRTIMER_SETUP
static inline void
psteer_hrtimer_setup(struct hrtimer *timer,
		     enum hrtimer_restart (*fn)(struct hrtimer *),
		     clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
}
#else
#define psteer_hrtimer_setup hrtimer_setup
#endif

/* The namespace of EXPORT_SYMBOL_IF_KUNIT(), for MODULE_IMPORT_NS(). */
#ifdef PSTEER_HAVE_MODULE_NS_STRING
#define PSTEER_KUNIT_NS	"EXPORTED_FOR_KUNIT_TESTING"
#else
#define PSTEER_KUNIT_NS	EXPORTED_FOR_KUNIT_TESTING
#endif

#ifndef PSTEER_HAVE_KZALLOC_OBJ
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#define kvmalloc_obj(P, GFP)	kvmalloc(sizeof(P), GFP)
#endif

#ifdef PSTEER_HAVE_KUNIT_VISIBILITY_H
#include <kunit/visibility.h>
#else
#define VISIBLE_IF_KUNIT static
#endif

/*
 * Whether VISIBLE_IF_KUNIT functions are visible, for their prototypes in
 * the headers: a prototype must not precede a static definition.
 */
#if defined(PSTEER_HAVE_KUNIT_VISIBILITY_H) && IS_ENABLED(CONFIG_KUNIT)
#define PSTEER_KUNIT_VISIBLE 1
#else
#define PSTEER_KUNIT_VISIBLE 0
#endif

/*
 * alloc_netdev_dummy() (6.10) replaced init_dummy_netdev() on a
 * caller-allocated net_device. C cannot test whether a function is
 * declared, so Kbuild greps the headers and defines
 * PSTEER_HAVE_ALLOC_NETDEV_DUMMY.
 */
#ifdef PSTEER_HAVE_ALLOC_NETDEV_DUMMY
static inline struct net_device *psteer_alloc_dummy_netdev(void)
{
	return alloc_netdev_dummy(0);
}
#else
static inline struct net_device *psteer_alloc_dummy_netdev(void)
{
	struct net_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (dev)
		init_dummy_netdev(dev);
	return dev;
}
#endif

static inline void psteer_free_dummy_netdev(struct net_device *dev)
{
#ifdef PSTEER_HAVE_ALLOC_NETDEV_DUMMY
	free_netdev(dev);
#else
	kfree(dev);
#endif
}

/*
 * A device's ethtool ops, as ethtool calls them: under RTNL and, for the
 * devices that ask for it (6.15 on), the device's own lock.
 */
#ifdef PSTEER_HAVE_NETDEV_LOCK_OPS
#include <net/netdev_lock.h>
static inline void psteer_netdev_lock_ops(struct net_device *dev)
{
	netdev_lock_ops(dev);
}

static inline void psteer_netdev_unlock_ops(struct net_device *dev)
{
	netdev_unlock_ops(dev);
}

/*
 * A device's NAPIs are added and deleted under its own lock since 6.15
 * (__netif_napi_del_locked() asserts it), for every device and not only
 * under RTNL: a queue restarted for a memory provider (io_uring zcrx,
 * devmem) frees its NAPI holding that lock alone.
 */
static inline bool psteer_netdev_trylock_napis(struct net_device *dev)
{
	return netdev_trylock(dev);
}

static inline void psteer_netdev_unlock_napis(struct net_device *dev)
{
	netdev_unlock(dev);
}
#else
static inline void psteer_netdev_lock_ops(struct net_device *dev)
{
}

static inline void psteer_netdev_unlock_ops(struct net_device *dev)
{
}

/* Before 6.15 RTNL alone keeps a device's NAPIs. */
static inline bool psteer_netdev_trylock_napis(struct net_device *dev)
{
	return true;
}

static inline void psteer_netdev_unlock_napis(struct net_device *dev)
{
}
#endif

/*
 * Whether @dev's table was set by hand (ethtool -X) rather than left to
 * its driver's default, which tells the driver to keep it across channel
 * changes: a device flag until 6.x, the number of entries the user set
 * since (dev->ethtool->rss_indir_user_size, under the RSS lock). psteer's
 * table counts as set by hand; the one it writes back, as it was.
 */
#ifdef PSTEER_HAVE_RSS_INDIR_USER_SIZE
static inline bool psteer_rxfh_configured(const struct net_device *dev)
{
	return dev->ethtool->rss_indir_user_size;
}

static inline void psteer_rxfh_set_configured(struct net_device *dev,
					      bool configured, u32 size)
{
	dev->ethtool->rss_indir_user_size = configured ? size : 0;
}
#else
static inline bool psteer_rxfh_configured(const struct net_device *dev)
{
	return dev->priv_flags & IFF_RXFH_CONFIGURED;
}

static inline void psteer_rxfh_set_configured(struct net_device *dev,
					      bool configured, u32 size)
{
	if (configured)
		dev->priv_flags |= IFF_RXFH_CONFIGURED;
	else
		dev->priv_flags &= ~IFF_RXFH_CONFIGURED;
}
#endif

/*
 * The header fields @dev hashes for @flow_type (TCP_V4_FLOW, ...): RXH_*
 * bits, as "ethtool -n DEV rx-flow-hash tcp4" shows them, in @data.
 * get_rxfh_fields() since 6.16, under the RSS lock; the get_rxnfc()
 * command ETHTOOL_GRXFH before. Context: process, RTNL and the device's
 * ops lock held. Return: 0, -EOPNOTSUPP when the driver cannot say, or
 * its error.
 */
static inline int psteer_get_rxfh_fields(struct net_device *dev,
					 u32 flow_type, u64 *data)
{
	const struct ethtool_ops *ops = dev->ethtool_ops;
	int err;
#ifdef PSTEER_HAVE_GET_RXFH_FIELDS
	struct ethtool_rxfh_fields f = { .flow_type = flow_type };

	if (!ops->get_rxfh_fields)
		return -EOPNOTSUPP;
	mutex_lock(&dev->ethtool->rss_lock);
	err = ops->get_rxfh_fields(dev, &f);
	mutex_unlock(&dev->ethtool->rss_lock);
	*data = f.data;
#else
	struct ethtool_rxnfc info = {
		.cmd = ETHTOOL_GRXFH,
		.flow_type = flow_type,
	};

	if (!ops->get_rxnfc)
		return -EOPNOTSUPP;
	err = ops->get_rxnfc(dev, &info, NULL);
	*data = info.data;
#endif
	return err;
}

/*
 * Reads @dev's RSS indirection table (@size entries) into @indir, its key
 * into @key (NULL: not wanted), its hash function into @hfunc and its
 * input transform (RXH_XFRM_*, 0 before 6.8) into @xfrm; writes a table
 * with psteer_set_rxfh(), key and hash function unchanged and no input
 * transform, the only one psteer drives: drivers read
 * RXH_XFRM_NO_CHANGE as they like (ice and iavf test its bits and turn
 * symmetric hashing on), so the write says 0, what the device has. The
 * ops take struct ethtool_rxfh_param since 6.8, and are called under the
 * RSS lock where there is one. Context: process, RTNL and the device's
 * ops lock (psteer_netdev_lock_ops()) held.
 */
#ifdef PSTEER_HAVE_ETHTOOL_RXFH_PARAM
static inline int psteer_get_rxfh(struct net_device *dev, u32 *indir,
				  u32 size, u8 *key, u8 *hfunc, u8 *xfrm)
{
	struct ethtool_rxfh_param rxfh = {
		.indir_size = size,
		.indir = indir,
		.key = key,
	};
	int err;

	if (key)
		rxfh.key_size = dev->ethtool_ops->get_rxfh_key_size(dev);
#ifdef PSTEER_HAVE_ETHTOOL_RSS_LOCK
	mutex_lock(&dev->ethtool->rss_lock);
#endif
	err = dev->ethtool_ops->get_rxfh(dev, &rxfh);
#ifdef PSTEER_HAVE_ETHTOOL_RSS_LOCK
	mutex_unlock(&dev->ethtool->rss_lock);
#endif
	*hfunc = rxfh.hfunc;
	*xfrm = rxfh.input_xfrm;
	return err;
}

static inline int psteer_set_rxfh(struct net_device *dev, u32 *indir,
				  u32 size, bool configured)
{
	struct ethtool_rxfh_param rxfh = {
		.hfunc = ETH_RSS_HASH_NO_CHANGE,
		.indir_size = size,
		.indir = indir,
		.input_xfrm = 0,
	};
	int err;

#ifdef PSTEER_HAVE_ETHTOOL_RSS_LOCK
	mutex_lock(&dev->ethtool->rss_lock);
#endif
	err = dev->ethtool_ops->set_rxfh(dev, &rxfh, NULL);
	if (!err)
		psteer_rxfh_set_configured(dev, configured, size);
#ifdef PSTEER_HAVE_ETHTOOL_RSS_LOCK
	mutex_unlock(&dev->ethtool->rss_lock);
#endif
	return err;
}
#else
static inline int psteer_get_rxfh(struct net_device *dev, u32 *indir,
				  u32 size, u8 *key, u8 *hfunc, u8 *xfrm)
{
	*xfrm = 0;
	return dev->ethtool_ops->get_rxfh(dev, indir, key, hfunc);
}

static inline int psteer_set_rxfh(struct net_device *dev, u32 *indir,
				  u32 size, bool configured)
{
	int err = dev->ethtool_ops->set_rxfh(dev, indir, NULL,
					     ETH_RSS_HASH_NO_CHANGE);

	if (!err)
		psteer_rxfh_set_configured(dev, configured, size);
	return err;
}
#endif

#endif /* _PSTEER_COMPAT_H */
