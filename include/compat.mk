# SPDX-License-Identifier: GPL-2.0
# Kbuild feature probes for include/compat.h, shared by ../Kbuild and
# ../kunit/Kbuild.
# By header content, never by version.
psteer-probe = $(if $(shell grep -s -l '$(1)' $(srctree)/include/$(2)),-D$(3))
ccflags-y += $(call psteer-probe,alloc_netdev_dummy,linux/netdevice.h,PSTEER_HAVE_ALLOC_NETDEV_DUMMY)
ccflags-y += $(call psteer-probe,rcuref_t,net/dst.h,PSTEER_HAVE_DST_RCUREF)
ccflags-y += $(if $(wildcard $(srctree)/include/linux/unaligned.h),-DPSTEER_HAVE_LINUX_UNALIGNED_H)
ccflags-y += $(if $(wildcard $(srctree)/include/linux/hex.h),-DPSTEER_HAVE_LINUX_HEX_H)
ccflags-y += $(call psteer-probe,system_dfl_wq,linux/workqueue.h,PSTEER_HAVE_SYSTEM_DFL_WQ)
ccflags-y += $(call psteer-probe,define kzalloc_obj,linux/slab.h,PSTEER_HAVE_KZALLOC_OBJ)
ccflags-y += $(call psteer-probe,struct sockaddr_unsized,linux/socket.h,PSTEER_HAVE_SOCKADDR_UNSIZED)
# ethtool's get_rxfh() takes struct ethtool_rxfh_param since 6.8; its RSS
# state has a lock since 6.11; ops-locked devices since 6.15.
ccflags-y += $(call psteer-probe,struct ethtool_rxfh_param {,linux/ethtool.h,PSTEER_HAVE_ETHTOOL_RXFH_PARAM)
ccflags-y += $(call psteer-probe,struct mutex[[:space:]]*rss_lock;,linux/ethtool.h,PSTEER_HAVE_ETHTOOL_RSS_LOCK)
ccflags-y += $(call psteer-probe,void netdev_lock_ops,net/netdev_lock.h,PSTEER_HAVE_NETDEV_LOCK_OPS)
# The fields hashed per flow type (rx-flow-hash): get_rxfh_fields() since
# 6.16, the get_rxnfc() command ETHTOOL_GRXFH before.
ccflags-y += $(call psteer-probe,(\*get_rxfh_fields),linux/ethtool.h,PSTEER_HAVE_GET_RXFH_FIELDS)
# "The table was set by hand" moved from IFF_RXFH_CONFIGURED to a count.
ccflags-y += $(call psteer-probe,rss_indir_user_size;,linux/ethtool.h,PSTEER_HAVE_RSS_INDIR_USER_SIZE)
# A receive queue knows its NAPI since 6.8 (net/netdev_rx_queue.h).
ccflags-y += $(call psteer-probe,struct napi_struct[[:space:]]*\*napi;,net/netdev_rx_queue.h,PSTEER_HAVE_RXQ_NAPI)
# hrtimer_setup() (6.13) replaced hrtimer_init() and setting ->function.
ccflags-y += $(call psteer-probe,void hrtimer_setup\b,linux/hrtimer.h,PSTEER_HAVE_HRTIMER_SETUP)
# MODULE_IMPORT_NS() takes a string literal since 6.13 ("import_ns, ns").
ccflags-y += $(call psteer-probe,import_ns. ns\b,linux/module.h,PSTEER_HAVE_MODULE_NS_STRING)
ccflags-y += $(if $(wildcard $(srctree)/include/kunit/visibility.h),-DPSTEER_HAVE_KUNIT_VISIBILITY_H,-D'EXPORT_SYMBOL_IF_KUNIT(s)=')
