// SPDX-License-Identifier: GPL-2.0
/*
 * The data path: netfilter PRE_ROUTING hooks (IPv4 and IPv6, every
 * network namespace, earliest priority) that steer each packet to the
 * CPU owning its bucket, and the delivery that resumes the hook chain
 * there.
 *
 * Principles:
 * - A packet already on its owner, with nothing of its bucket queued,
 *   passes inline: NF_ACCEPT, no extra cost but the hash.
 * - Otherwise it is stolen (NF_STOLEN) onto its bucket's FIFO. The owner
 *   later resumes the chain with nf_hook_slow() from the hook after ours,
 *   then calls the stack's okfn (ip_rcv_finish, ip6_rcv_finish), exactly
 *   as nf_reinject() does for NFQUEUE: conntrack, nftables and sockets
 *   see the packet as they would without psteer.
 * - The okfn is the one thing of the hook state that is not implied by
 *   the packet (in = skb->dev, net = dev_net(in), sk = NULL at
 *   PRE_ROUTING); it rides in skb->cb behind IPCB/IP6CB, which ip_rcv and
 *   ipv6_rcv have filled and which must survive.
 * - Bridged packets (br_netfilter) own skb->cb differently: they pass
 *   inline, never stolen.
 * - A VRF runs PRE_ROUTING a second time on its own device, from the
 *   okfn of the first pass (vrf_rcv_nfhook(), whose own okfn frees the
 *   packet unless the hook returns 1): that pass is never stolen, nor
 *   counted again; the packet was steered on its slave's pass.
 * - A queued packet outlives the receive path's RCU section: it takes the
 *   references __nf_queue() takes (psteer_hold_refs()).
 */

#include <linux/bsearch.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sort.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "compat.h"
#include "psteer.h"
#include "psteer_trace.h"

typedef int (*psteer_okfn_t)(struct net *net, struct sock *sk,
			     struct sk_buff *skb);

/**
 * struct psteer_skb_cb - what a stolen packet carries
 * @l3: IPCB or IP6CB, owned by the IP layer; left untouched
 * @okfn: the okfn of the interrupted NF_HOOK()
 * @hash: its flow hash: psteer's, or a driven NIC's
 * @bucket: its bucket: the one @hash falls in, or, a driven NIC's packet,
 *	the one its table's entry gives
 * @hint: where the hook found its tuple, and in which order it hashed it:
 *	the drainer tracks its connection without parsing it again
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 * @track: the drainer tracks its connection (the hook's choice: a driven
 *	NIC's packets only with hw_conns=1)
 */
struct psteer_skb_cb {
	union {
		struct inet_skb_parm h4;
		struct inet6_skb_parm h6;
	} l3;
	psteer_okfn_t okfn;
	u32 hash;
	u32 bucket;
	struct psteer_hint hint;
	u8 pf;
	bool track;
};

static struct psteer_skb_cb *psteer_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct psteer_skb_cb) > sizeof(skb->cb));
	return (struct psteer_skb_cb *)skb->cb;
}

static unsigned int psteer_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state);

/* Seen by br_netfilter, which runs the IP hooks with its own skb->cb. */
static bool psteer_skb_bridged(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	return nf_bridge_info_exists(skb);
#else
	return false;
#endif
}

/*
 * Accounts a packet to its connection, in its bucket @bucket, on the CPU
 * handling that bucket (the owner inline, or the drainer): @t is its
 * tuple in the order it was hashed (canonical when symmetric). A driven
 * NIC's packet's @hash is the NIC's, and its bucket is the one the NIC's
 * table entry gives.
 */
static void psteer_track(struct psteer_conntab *ct, struct net *net,
			 struct psteer_stats *st, u32 bucket, u32 hash,
			 const struct psteer_tuple *t, unsigned int len,
			 u8 flags)
{
	if (psteer_conn_track_in(ct, bucket, hash, t, net->ns.inum, len, flags,
				 jiffies) == PSTEER_CONN_UNTRACKED)
		st->untracked++;
}

/*
 * Is @dev up and registered? A packet of a device going down or away is
 * never queued, and one queued before is dropped, not delivered: the
 * device's GOING_DOWN and UNREGISTER events flush the queues, as RPS's
 * backlog refuses packets of a device that is not running.
 */
static bool psteer_dev_live(const struct net_device *dev)
{
	return netif_running(dev) &&
	       READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}

/*
 * What a queued packet owes the stack, as __nf_queue() pays it. A noref
 * dst gets a reference; if it was dying the packet is dropped, since
 * okfns such as seg6local's End.DX4/DX6 read it. A socket that
 * bpf_sk_assign() attached without a reference (SOCK_RCU_FREE, freed
 * after a grace period) gets one, dropped by sock_edemux when the packet
 * is consumed. Returns false if the packet must be dropped.
 */
VISIBLE_IF_KUNIT bool psteer_hold_refs(struct sk_buff *skb)
{
	if (skb_sk_is_prefetched(skb)) {
		struct sock *sk = skb->sk;

		if (!sk_is_refcounted(sk)) {
			if (!refcount_inc_not_zero(&sk->sk_refcnt))
				return false;
			skb->destructor = sock_edemux;
		}
	}
	return !skb_dst(skb) || skb_dst_force(skb);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hold_refs);

/*
 * Hook, softirq context (ip_rcv/ipv6_rcv under rcu_read_lock via
 * nf_hook()). Returns NF_ACCEPT (inline or unparsed), NF_STOLEN (queued)
 * or NF_DROP (bucket queue full; the core frees the packet).
 */
static unsigned int psteer_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct psteer *ps = priv;
	struct psteer_stats *st = this_cpu_ptr(psteer_pernet(ps, state->net)->stats);
	struct psteer_table *tbl = ps->tbl;
	struct psteer_conntab *ct = ps->conns;
	struct psteer_bucket *b;
	struct psteer_hint hint;
	struct psteer_tuple t;
	struct psteer_hw *hw;
	int cpu = smp_processor_id();
	unsigned int len;
	bool bypass, held;
	u32 hash, index;
	int ret;

	/* The VRF's own pass: see the principles above. */
	if (unlikely(netif_is_l3_master(state->in)))
		return NF_ACCEPT;
	if (unlikely(psteer_skb_bridged(skb)))
		goto unparsed;
	/*
	 * A NIC psteer drives picked the queue from its own hash: so does
	 * the bucket (src/nic.c). Its packets' connections are tracked only
	 * with hw_conns=1: otherwise, when the NIC reported that hash,
	 * nothing else needs the packet's tuple: no parse, no hash computed,
	 * the NIC's own path at the cost of a count.
	 */
	hw = psteer_hw_of(ps, state->in);
	if (unlikely(hw)) {
		if (!READ_ONCE(ps->hw_conns))
			ct = NULL;
		if (!ct && psteer_hw_reported(skb)) {
			psteer_hw_learn(hw, skb, cpu);
			hash = psteer_hw_take_hash(hw, skb);
			index = psteer_hw_bucket(hw, hash, tbl->nbuckets);
			memset(&hint, 0, sizeof(hint));
			goto steer;
		}
	}
	if (unlikely(psteer_parse_packet(skb, state->pf, &t, &hint)))
		goto unparsed;
	/*
	 * The parsed order is the NIC's. Its hash picks the bucket and the
	 * connection's chain too (src/conn.c bounds chains, as that hash may
	 * be unkeyed): no hash of psteer's own.
	 */
	if (unlikely(hw)) {
		psteer_hw_learn(hw, skb, cpu);
		hash = psteer_hw_hash(hw, skb, &t);
		index = psteer_hw_bucket(hw, hash, tbl->nbuckets);
	}
	/* Once: the hash and the connection table read it in this order. */
	if (ps->hash.symmetric)
		hint.swapped = psteer_tuple_canon(&t);
	if (likely(!hw)) {
		hash = psteer_hash_ordered(&ps->hash, &t);
		index = psteer_bucket_index(hash, tbl->nbuckets);
	}
steer:
	b = &tbl->buckets[index];
	/*
	 * Every CPU of the set is offline (src/hotplug.c): packets pass on
	 * where they arrive, but those of a bucket that still holds packets
	 * wait behind them (psteer_enqueue_steered()). In bypass an idle
	 * bucket never becomes busy, so the lockless peek is enough to pass
	 * when the bucket is not held for this CPU: the hold is read first,
	 * as its acquire shows the FIFO that ending it filled.
	 *
	 * Its NIC's rewrite is fenced: see psteer_enqueue_held().
	 */
	held = unlikely(psteer_held_for(b, cpu));
	bypass = READ_ONCE(tbl->bypass);
	if (unlikely(bypass) && !held && READ_ONCE(b->sched) == PSTEER_NO_CPU)
		goto pass;
	if (!bypass && !held && psteer_may_inline(b, cpu)) {
		b->packets++;
		b->inline_packets++;
		b->bytes += skb->len;
		st->inline_pkts++;
		st->inline_bytes += skb->len;
		if (ct)
			psteer_track(ct, state->net, st, index, hash, &t,
				     skb->len, hint.tcp_flags);
		return NF_ACCEPT;
	}
	/* A device going down: its packets are not queued (see above). */
	if (unlikely(!psteer_dev_live(skb->dev)))
		goto pass;
	psteer_cb(skb)->okfn = state->okfn;
	psteer_cb(skb)->hash = hash;
	psteer_cb(skb)->bucket = index;
	psteer_cb(skb)->hint = hint;
	psteer_cb(skb)->pf = state->pf;
	psteer_cb(skb)->track = !!ct;
	/* Once queued, the packet is the drainer's: read it first. */
	len = skb->len;
	if (unlikely(!psteer_hold_refs(skb)))
		ret = -ENOENT;
	else
		ret = psteer_enqueue_steered(tbl, b, skb, cpu, held, bypass);
	if (unlikely(ret > 0))
		goto pass;	/* the bucket emptied since the peek */
	st->steered++;
	st->steered_bytes += len;
	if (unlikely(ret)) {
		st->dropped++;
		return NF_DROP;
	}
	return NF_STOLEN;

pass:
	st->inline_pkts++;
	st->inline_bytes += skb->len;
	return NF_ACCEPT;

unparsed:
	st->unparsed++;
	return NF_ACCEPT;
}

/* Position of psteer's hook in @e, or -1 when it is gone. */
static int psteer_hook_index(const struct nf_hook_entries *e)
{
	unsigned int i;

	for (i = 0; e && i < e->num_hook_entries; i++)
		if (e->hooks[i].hook == psteer_hook)
			return i;
	return -1;
}

/**
 * psteer_deliver() - deliver a drained packet: the live table's deliver op
 * @tbl: the live table; @tbl->priv is the module
 * @skb: a packet psteer_hook() stole
 *
 * The rest of the PRE_ROUTING chain, then the stack, all under
 * rcu_read_lock() as in the receive path psteer interrupted.
 *
 * Context: NET_RX softirq on the bucket's drainer.
 */
void psteer_deliver(struct psteer_table *tbl, struct sk_buff *skb)
{
	struct psteer *ps = tbl->priv;
	psteer_okfn_t okfn = psteer_cb(skb)->okfn;
	u8 pf = psteer_cb(skb)->pf;
	struct net_device *dev = skb->dev;
	struct net *net = dev_net(dev);
	const struct nf_hook_entries *e;
	struct nf_hook_state state;
	struct psteer_stats *st;
	struct psteer_tuple t;
	int i, ret;

	rcu_read_lock();
	if (pf == NFPROTO_IPV4)
		e = rcu_dereference(net->nf.hooks_ipv4[NF_INET_PRE_ROUTING]);
	else
		e = rcu_dereference(net->nf.hooks_ipv6[NF_INET_PRE_ROUTING]);
	i = psteer_hook_index(e);
	if (unlikely(i < 0)) {
		/*
		 * The namespace is leaving and its packets are being flushed;
		 * its counters may be gone (psteer_hook_net_exit_batch()).
		 */
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	st = this_cpu_ptr(psteer_pernet(ps, net)->stats);
	/* Its device went down while it waited: see psteer_dev_live(). */
	if (unlikely(!psteer_dev_live(dev))) {
		st->dropped++;
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	st->drained++;
	st->drained_bytes += skb->len;
	/* It parsed in the hook, and nothing has changed it since. */
	if (psteer_cb(skb)->track &&
	    !psteer_parse_hinted(skb, pf, &psteer_cb(skb)->hint, &t))
		psteer_track(ps->conns, net, st, psteer_cb(skb)->bucket,
			     psteer_cb(skb)->hash, &t, skb->len,
			     psteer_cb(skb)->hint.tcp_flags);
	/*
	 * The hooks after psteer's, if any; nf_hook_slow() returns 1 at once
	 * when there is none.
	 */
	ret = 1;
	if (i + 1 < e->num_hook_entries) {
		nf_hook_state_init(&state, NF_INET_PRE_ROUTING, pf, dev, NULL,
				   NULL, net, okfn);
		ret = nf_hook_slow(skb, &state, e, i + 1);
	}
	/* The stack runs under rcu_read_lock(), as from netif_receive_skb(). */
	if (ret == 1)
		okfn(net, NULL, skb);
	rcu_read_unlock();
}

static bool psteer_skb_of_dev(const struct sk_buff *skb, const void *dev)
{
	return skb->dev == dev;
}

/**
 * psteer_hook_net_init() - start steering in @net
 * @ps: the module; psteer_hook_init() has filled its hook ops
 * @net: a new network namespace
 *
 * Context: process (pernet init).
 */
int psteer_hook_net_init(struct psteer *ps, struct net *net)
{
	struct psteer_net *pn = psteer_pernet(ps, net);
	int err;

	pn->stats = alloc_percpu(struct psteer_stats);
	if (!pn->stats)
		return -ENOMEM;
	err = nf_register_net_hooks(net, ps->nf_ops, ARRAY_SIZE(ps->nf_ops));
	if (err) {
		free_percpu(pn->stats);
		return err;
	}
	return 0;
}

/**
 * psteer_hook_net_pre_exit() - stop steering in @net
 * @ps: the module
 * @net: an exiting namespace, or any namespace at module unload
 *
 * The first of three steps of a namespace's exit, which cost no grace
 * period of their own: the core waits for one after every namespace's
 * pre_exit, and before any exit (cleanup_net(), and
 * unregister_pernet_subsys() at module unload).
 *
 * Context: process (pernet pre_exit).
 */
void psteer_hook_net_pre_exit(struct psteer *ps, struct net *net)
{
	WRITE_ONCE(psteer_pernet(ps, net)->exiting, true);
	nf_unregister_net_hooks(net, ps->nf_ops, ARRAY_SIZE(ps->nf_ops));
}

static bool psteer_skb_of_exiting(const struct sk_buff *skb, const void *ps)
{
	return READ_ONCE(psteer_pernet(ps, dev_net(skb->dev))->exiting);
}

static int psteer_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* @arg: struct psteer_inums, the exiting namespaces' inode numbers. */
struct psteer_inums {
	u32 *v;
	size_t n;
};

static bool psteer_conn_of_exiting(u32 netns, const void *arg)
{
	const struct psteer_inums *in = arg;

	return bsearch(&netns, in->v, in->n, sizeof(*in->v), psteer_cmp_u32);
}

/**
 * psteer_hook_net_exit_batch() - leave nothing of exiting namespaces
 * @ps: the module
 * @list: namespaces whose psteer_hook_net_pre_exit() ran, linked by
 *	exit_list
 *
 * A grace period has passed since their hooks went (see pre_exit): no
 * hook call that could queue a packet of theirs is still running, no
 * drain that found psteer's hook is still delivering one (later ones drop
 * it, psteer_deliver()), and no /proc/net/psteer/cpus reader can still
 * see them, as cleanup_net() unlinked them from the namespace list before
 * that grace period (at module unload that file is gone first). So one
 * walk of each table for the whole batch: their queued packets and their
 * connections are freed, then their counters.
 *
 * Context: process (pernet exit_batch).
 */
void psteer_hook_net_exit_batch(struct psteer *ps, struct list_head *list)
{
	struct psteer_inums in = {};
	unsigned int pkts, conns = 0;
	struct net *net;
	size_t n = 0;

	list_for_each_entry(net, list, exit_list)
		n++;
	pkts = psteer_table_flush(ps->tbl, psteer_skb_of_exiting, ps);
	if (ps->conns) {
		in.v = kvmalloc_array(n, sizeof(*in.v), GFP_KERNEL);
		if (in.v) {
			list_for_each_entry(net, list, exit_list)
				in.v[in.n++] = net->ns.inum;
			sort(in.v, in.n, sizeof(*in.v), psteer_cmp_u32, NULL);
			conns = psteer_conn_flush_match(ps->conns,
							psteer_conn_of_exiting,
							&in);
			kvfree(in.v);
		} else {
			/* No memory for the set: one walk per namespace. */
			list_for_each_entry(net, list, exit_list)
				conns += psteer_conn_flush(ps->conns,
							   net->ns.inum);
		}
	}
	list_for_each_entry(net, list, exit_list) {
		struct psteer_net *pn = psteer_pernet(ps, net);

		free_percpu(pn->stats);
		pn->stats = NULL;
	}
	trace_netns_exit(n, pkts, conns);
}

/**
 * psteer_hook_net_undo() - undo psteer_hook_net_init() on its own
 * @ps: the module
 * @net: a namespace whose pernet init fails after psteer_hook_net_init()
 *
 * Context: process (pernet init).
 */
void psteer_hook_net_undo(struct psteer *ps, struct net *net)
{
	LIST_HEAD(list);

	psteer_hook_net_pre_exit(ps, net);
	synchronize_net();
	/* Not on the core's lists: its init has not succeeded. */
	list_add(&net->exit_list, &list);
	psteer_hook_net_exit_batch(ps, &list);
	list_del(&net->exit_list);
}

/*
 * A device going down or away: queued packets hold no reference on
 * skb->dev (as in RPS's backlog, which flush_backlog() empties when a
 * device is unregistered), and a device that is down gets none of them:
 * free them now. Both paths wait a grace period afterwards (dev_close's
 * deactivation, unregister's synchronize_net()), which covers drains in
 * flight; a packet a drain took before the flush is dropped at delivery.
 */
static int psteer_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct psteer *ps = container_of(nb, struct psteer, netdev_nb);
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_UNREGISTER)
		psteer_nic_forget(ps, dev);
	if (event == NETDEV_GOING_DOWN || event == NETDEV_UNREGISTER)
		psteer_table_flush(ps->tbl, psteer_skb_of_dev, dev);
	return NOTIFY_DONE;
}

/**
 * psteer_hook_init() - fill the hook ops, watch devices going away
 * @ps: the module; its table exists
 *
 * Context: process, before any namespace registers hooks.
 * Return: 0 or a negative errno.
 */
int psteer_hook_init(struct psteer *ps)
{
	static const struct nf_hook_ops ops[] = {
		{
			.hook		= psteer_hook,
			.pf		= NFPROTO_IPV4,
			.hooknum	= NF_INET_PRE_ROUTING,
			.priority	= NF_IP_PRI_FIRST,
		},
		{
			.hook		= psteer_hook,
			.pf		= NFPROTO_IPV6,
			.hooknum	= NF_INET_PRE_ROUTING,
			.priority	= NF_IP6_PRI_FIRST,
		},
	};
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(ops) != ARRAY_SIZE(ps->nf_ops));
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		ps->nf_ops[i] = ops[i];
		ps->nf_ops[i].priv = ps;
	}
	ps->netdev_nb.notifier_call = psteer_netdev_event;
	return register_netdevice_notifier(&ps->netdev_nb);
}

/**
 * psteer_hook_exit() - stop watching devices
 * @ps: the module
 *
 * Context: process, after every namespace's hooks are gone.
 */
void psteer_hook_exit(struct psteer *ps)
{
	unregister_netdevice_notifier(&ps->netdev_nb);
}
