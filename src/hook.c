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
 */

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"
#include "conn.h"
#include "psteer.h"

typedef int (*psteer_okfn_t)(struct net *net, struct sock *sk,
			     struct sk_buff *skb);

/**
 * struct psteer_skb_cb - what a stolen packet carries
 * @l3: IPCB or IP6CB, owned by the IP layer; left untouched
 * @okfn: the okfn of the interrupted NF_HOOK()
 * @hash: its flow hash, which chose its bucket
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 */
struct psteer_skb_cb {
	union {
		struct inet_skb_parm h4;
		struct inet6_skb_parm h6;
	} l3;
	psteer_okfn_t okfn;
	u32 hash;
	u8 pf;
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
 * Accounts a packet to its connection, on the CPU handling its bucket
 * (the owner inline, or the drainer): @t is its tuple as parsed.
 */
static void psteer_track(struct net *net, struct psteer_stats *st, u32 hash,
			 struct psteer_tuple *t, unsigned int len, u8 flags)
{
	struct psteer_conntab *ct = psteer_conns;

	if (!ct)
		return;
	if (psteer_hash.symmetric)
		psteer_tuple_canon(t);
	if (psteer_conn_track(ct, hash, t, net->ns.inum, len, flags,
			      jiffies) == PSTEER_CONN_UNTRACKED)
		st->untracked++;
}

static const struct nf_hook_ops psteer_nf_ops[] = {
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

/*
 * Hook, softirq context (ip_rcv/ipv6_rcv under rcu_read_lock via
 * nf_hook()). Returns NF_ACCEPT (inline or unparsed), NF_STOLEN (queued)
 * or NF_DROP (bucket queue full; the core frees the packet).
 */
static unsigned int psteer_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct psteer_stats *st = this_cpu_ptr(psteer_pernet(state->net)->stats);
	struct psteer_table *tbl = psteer_tbl;
	struct psteer_bucket *b;
	struct psteer_tuple t;
	int cpu = smp_processor_id();
	u8 flags;
	u32 hash;

	if (unlikely(psteer_parse_packet(skb, state->pf, &t, &flags) ||
		     psteer_skb_bridged(skb))) {
		st->unparsed++;
		return NF_ACCEPT;
	}
	/* Every CPU of the set is offline (src/hotplug.c). */
	if (unlikely(READ_ONCE(tbl->bypass))) {
		st->inline_pkts++;
		st->inline_bytes += skb->len;
		return NF_ACCEPT;
	}
	hash = psteer_hash_tuple(&psteer_hash, &t);
	b = psteer_bucket_of(tbl, hash);
	if (psteer_may_inline(b, cpu)) {
		b->packets++;
		b->inline_packets++;
		b->bytes += skb->len;
		st->inline_pkts++;
		st->inline_bytes += skb->len;
		psteer_track(state->net, st, hash, &t, skb->len, flags);
		return NF_ACCEPT;
	}
	psteer_cb(skb)->okfn = state->okfn;
	psteer_cb(skb)->hash = hash;
	psteer_cb(skb)->pf = state->pf;
	st->steered++;
	st->steered_bytes += skb->len;
	/*
	 * A queued packet outlives this RCU section: take a reference on a
	 * noref dst, as __nf_queue() does. At PRE_ROUTING a packet rarely has
	 * one; if it was dying, it is gone and ip_rcv_finish() routes anew.
	 */
	skb_dst_force(skb);
	if (unlikely(psteer_enqueue(tbl, b, skb))) {
		st->dropped++;
		return NF_DROP;
	}
	return NF_STOLEN;
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

/*
 * Delivery of a drained packet, NET_RX softirq on the bucket's drainer:
 * the rest of the PRE_ROUTING chain, then the stack, all under
 * rcu_read_lock() as in the receive path psteer interrupted.
 */
static void psteer_deliver(struct psteer_table *tbl, struct sk_buff *skb)
{
	psteer_okfn_t okfn = psteer_cb(skb)->okfn;
	u8 pf = psteer_cb(skb)->pf;
	struct net_device *dev = skb->dev;
	struct net *net = dev_net(dev);
	const struct nf_hook_entries *e;
	struct nf_hook_state state;
	struct psteer_stats *st;
	struct psteer_tuple t;
	int i, ret;
	u8 flags;

	rcu_read_lock();
	if (pf == NFPROTO_IPV4)
		e = rcu_dereference(net->nf.hooks_ipv4[NF_INET_PRE_ROUTING]);
	else
		e = rcu_dereference(net->nf.hooks_ipv6[NF_INET_PRE_ROUTING]);
	i = psteer_hook_index(e);
	if (unlikely(i < 0)) {
		/*
		 * The namespace is leaving and its packets are being flushed;
		 * its counters may be gone (psteer_hook_net_exit()).
		 */
		rcu_read_unlock();
		kfree_skb(skb);
		return;
	}
	st = this_cpu_ptr(psteer_pernet(net)->stats);
	st->drained++;
	st->drained_bytes += skb->len;
	/* It parsed in the hook, and nothing has changed it since. */
	if (!psteer_parse_packet(skb, pf, &t, &flags))
		psteer_track(net, st, psteer_cb(skb)->hash, &t, skb->len,
			     flags);
	nf_hook_state_init(&state, NF_INET_PRE_ROUTING, pf, dev, NULL, NULL,
			   net, okfn);
	ret = nf_hook_slow(skb, &state, e, i + 1);
	/* The stack runs under rcu_read_lock(), as from netif_receive_skb(). */
	if (ret == 1)
		okfn(net, NULL, skb);
	rcu_read_unlock();
}

const struct psteer_table_ops psteer_live_ops = {
	.deliver	= psteer_deliver,
	.kick		= psteer_napi_kick,
};

static bool psteer_skb_of_dev(const struct sk_buff *skb, const void *dev)
{
	return skb->dev == dev;
}

static bool psteer_skb_of_net(const struct sk_buff *skb, const void *net)
{
	return net_eq(dev_net(skb->dev), net);
}

/**
 * psteer_hook_net_init() - start steering in @net
 * @net: a new network namespace
 *
 * Context: process (pernet init).
 */
int psteer_hook_net_init(struct net *net)
{
	struct psteer_net *pn = psteer_pernet(net);
	int err;

	pn->stats = alloc_percpu(struct psteer_stats);
	if (!pn->stats)
		return -ENOMEM;
	err = nf_register_net_hooks(net, psteer_nf_ops,
				    ARRAY_SIZE(psteer_nf_ops));
	if (err) {
		free_percpu(pn->stats);
		return err;
	}
	return 0;
}

/**
 * psteer_hook_net_exit() - stop steering in @net, leave nothing queued
 * @net: an exiting namespace, or any namespace at module unload
 *
 * Once the hooks are gone and a grace period has passed, no hook call and
 * no delivery that found psteer's hook is still running (both run in
 * softirq, an RCU read-side section), so nothing of @net can be queued any
 * more and later deliveries do not count: the queued packets are freed,
 * and after a second grace period for /proc readers the counters go.
 *
 * Context: process (pernet exit).
 */
void psteer_hook_net_exit(struct net *net)
{
	struct psteer_net *pn = psteer_pernet(net);
	struct psteer_stats __percpu *stats = pn->stats;

	nf_unregister_net_hooks(net, psteer_nf_ops, ARRAY_SIZE(psteer_nf_ops));
	synchronize_net();
	psteer_table_flush(psteer_tbl, psteer_skb_of_net, net);
	if (psteer_conns)
		psteer_conn_flush(psteer_conns, net->ns.inum);
	/* Pairs with READ_ONCE() in the /proc/net/psteer/cpus reader. */
	WRITE_ONCE(pn->stats, NULL);
	synchronize_net();
	free_percpu(stats);
}

/*
 * A device going away: queued packets hold no reference on skb->dev (as
 * in RPS's backlog, which flush_backlog() empties at this point), so free
 * them now; the unregister path's synchronize_net() waits for drains in
 * flight.
 */
static int psteer_netdev_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_UNREGISTER)
		psteer_table_flush(psteer_tbl, psteer_skb_of_dev, dev);
	return NOTIFY_DONE;
}

static struct notifier_block psteer_netdev_nb = {
	.notifier_call = psteer_netdev_event,
};

/**
 * psteer_hook_init() - watch devices going away
 *
 * Context: process, before any namespace registers hooks.
 */
int psteer_hook_init(void)
{
	return register_netdevice_notifier(&psteer_netdev_nb);
}

/**
 * psteer_hook_exit() - stop watching devices
 *
 * Context: process, after every namespace's hooks are gone.
 */
void psteer_hook_exit(void)
{
	unregister_netdevice_notifier(&psteer_netdev_nb);
}
