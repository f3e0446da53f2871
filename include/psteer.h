/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module holds (struct psteer, owned by src/main.c) and the
 * entry points of the files that run it: the hooks (src/hook.c), CPU
 * hotplug (src/hotplug.c) and /proc (src/proc.c).
 *
 * src/main.c keeps the one instance and is the only file that reaches it
 * through a global. Everything else is handed a pointer, or finds it from
 * what the kernel hands back: the hook's priv, the table's priv, a proc
 * entry's data, a notifier block.
 */
#ifndef _PSTEER_H
#define _PSTEER_H

#include <linux/cpuhotplug.h>
#include <linux/netfilter.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "conn.h"
#include "control.h"
#include "nic.h"
#include "table.h"
#include "timer.h"
#include "tuple.h"

/**
 * struct psteer_stats - per-CPU, per-netns packet counters
 * @inline_pkts: handled inline on the owner CPU
 * @inline_bytes: bytes of @inline_pkts
 * @steered: queued to a bucket by this CPU
 * @steered_bytes: bytes of @steered
 * @drained: delivered from a bucket queue by this CPU
 * @drained_bytes: bytes of @drained
 * @dropped: dropped: bucket queue full, or psteer's hook gone
 * @unparsed: not IP or malformed, passed untouched
 * @untracked: packets of new connections the connection table could not
 *	hold (max_conns reached or no memory); they pass as usual
 *
 * Written only by the CPU they belong to, in softirq: no shared cache
 * line is written per packet.
 */
struct psteer_stats {
	u64 inline_pkts;
	u64 inline_bytes;
	u64 steered;
	u64 steered_bytes;
	u64 drained;
	u64 drained_bytes;
	u64 dropped;
	u64 unparsed;
	u64 untracked;
};

struct proc_dir_entry;

/**
 * struct psteer_net - per network namespace state
 * @stats: this namespace's counters
 * @proc: its /proc/net/psteer/
 * @exiting: its pernet pre_exit ran: its hooks are gone
 */
struct psteer_net {
	struct psteer_stats __percpu *stats;
	struct proc_dir_entry *proc;
	bool exiting;
};

/**
 * struct psteer - everything the module holds
 * @tbl: the bucket table: owners, queues, NAPI (src/table.c, queue.c,
 *	napi.c). Published and withdrawn under kernel_param_lock, so that a
 *	tunable's write reaches it or precedes it.
 * @conns: the connection table (src/conn.c); NULL with max_conns=0.
 *	Published as @tbl, before the hooks exist.
 * @timers: the per-CPU timer threads (src/timer.c); NULL with @conns
 * @ctl: the control path: sampler, rebalancer, pinning (src/control.c).
 *	Published as @tbl.
 * @hw_conns: the hw_conns tunable: @conns tracks the packets of the
 *	devices in @hw too; READ_ONCE
 * @hash: how tuples become hashes; fixed after load
 * @toeplitz: the Toeplitz table @hash uses with hash=toeplitz, or NULL
 * @net_id: pernet id of struct psteer_net
 * @nf_ops: the PRE_ROUTING hooks; their priv is this struct
 * @netdev_nb: device notifier (devices going away)
 * @cpuhp_state: the dynamic CPU hotplug state of src/hotplug.c
 * @hw: the devices whose RSS table psteer drives (src/nic.c); changed
 *	under RTNL, read by the hook under RCU
 * @nhw: how many of @hw are set; READ_ONCE, so that the hook of a machine
 *	that drives none looks no further
 * @hw_work: makes the driven tables follow the owners
 * @hw_stopping: set under RTNL when the module goes: @hw_work stops
 * @hw_fenced: woken when a fence ends (struct psteer_hw's @fencing)
 */
struct psteer {
	struct psteer_table *tbl;
	struct psteer_conntab *conns;
	struct psteer_timers *timers;
	struct psteer_ctl *ctl;
	bool hw_conns;
	struct psteer_hash_cfg hash;
	struct psteer_toeplitz_table *toeplitz;
	unsigned int net_id;
	struct nf_hook_ops nf_ops[2];
	struct notifier_block netdev_nb;
	enum cpuhp_state cpuhp_state;
	struct psteer_hw __rcu *hw[PSTEER_HW_MAX];
	unsigned int nhw;
	struct delayed_work hw_work;
	bool hw_stopping;
	wait_queue_head_t hw_fenced;
};

static inline struct psteer_net *psteer_pernet(const struct psteer *ps,
					       const struct net *net)
{
	return net_generic(net, ps->net_id);
}

/*
 * The driven device @dev is, or NULL. Context: the hook (RCU read side).
 */
static inline struct psteer_hw *psteer_hw_of(struct psteer *ps,
					     const struct net_device *dev)
{
	unsigned int i;

	if (likely(!READ_ONCE(ps->nhw)))
		return NULL;
	for (i = 0; i < PSTEER_HW_MAX; i++) {
		struct psteer_hw *hw = rcu_dereference(ps->hw[i]);

		if (hw && hw->dev == dev && !READ_ONCE(hw->overridden))
			return hw;
	}
	return NULL;
}

/* src/hook.c */
#if PSTEER_KUNIT_VISIBLE
bool psteer_hold_refs(struct sk_buff *skb);
#endif
void psteer_deliver(struct psteer_table *tbl, struct sk_buff *skb);
int psteer_hook_net_init(struct psteer *ps, struct net *net);
void psteer_hook_net_pre_exit(struct psteer *ps, struct net *net);
void psteer_hook_net_exit_batch(struct psteer *ps, struct list_head *list);
void psteer_hook_net_undo(struct psteer *ps, struct net *net);
int psteer_hook_init(struct psteer *ps);
void psteer_hook_exit(struct psteer *ps);

/* src/hotplug.c */
int psteer_hotplug_start(struct psteer *ps, int (*online)(unsigned int cpu),
			 int (*offline)(unsigned int cpu));
void psteer_hotplug_stop(struct psteer *ps);
int psteer_hotplug_online(struct psteer *ps, unsigned int cpu);
int psteer_hotplug_offline(struct psteer *ps, unsigned int cpu);

/* src/nic.c */
struct seq_file;
int psteer_nic_devices_show(struct seq_file *seq, void *v);
int psteer_nic_devices_write(struct file *file, char *buf, size_t len);
void psteer_nic_init(struct psteer *ps);
void psteer_nic_exit(struct psteer *ps);
void psteer_nic_forget(struct psteer *ps, struct net_device *dev);

/* src/proc.c */
int psteer_proc_net_init(struct psteer *ps, struct net *net);
void psteer_proc_net_exit(struct net *net);
int psteer_proc_init(struct psteer *ps);
void psteer_proc_exit(struct psteer *ps);

#endif /* _PSTEER_H */
