// SPDX-License-Identifier: GPL-2.0
/*
 * psteer_bench.ko: what each piece of psteer's hot path costs, timed on
 * one CPU on pre-built packets: parse, hash (siphash, Toeplitz, and jhash
 * for reference), bucket lookup, enqueue, drain and delivery, connection
 * lookup (hit and miss). Loaded by tools/testing/guest/cost.sh (make
 * bench) under QEMU's -icount shift=0,sleep=off, where one guest
 * nanosecond is one guest instruction: local_clock() around a loop counts
 * the instructions of its calls. Each piece runs @rounds times and the
 * fastest round counts (an interrupt can only add to a round); the empty
 * loop's own cost is subtracted. Prints one line per piece,
 *
 *   PSTEER-BENCH piece=NAME calls=N insn_per_call=X
 *
 * and "PSTEER-BENCH done", then stays loaded doing nothing until
 * removed. Built with its own copy of the sources (Kbuild beside it): it
 * never touches psteer.ko, which may be loaded or not.
 */

#include <linux/bottom_half.h>
#include <linux/cpumask.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/sched/clock.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/tcp.h>

#include "conn.h"
#include "table.h"
#include "tuple.h"

static unsigned int calls = 20000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "Calls per round, 100..65536 (default 20000)");

static unsigned int rounds = 5;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Rounds per piece, the fastest counts, 1..100 (default 5)");

/* What the loops compute goes here, so the compiler keeps it. */
static u32 psteer_bench_sink;
static atomic_t psteer_bench_atomic;

/*
 * Runs @body @calls times with BHs off (@i counts the calls), @rounds
 * times, each after @setup (untimed; (void)0 for none); leaves the
 * fastest round's nanoseconds in @best.
 */
#define PSTEER_BENCH_LOOP(best, setup, body)				\
	do {								\
		u64 min_ = U64_MAX, t0_;				\
		unsigned int r_, i;					\
									\
		for (r_ = 0; r_ < rounds; r_++) {			\
			setup;						\
			local_bh_disable();				\
			t0_ = local_clock();				\
			for (i = 0; i < calls; i++) {			\
				body;					\
			}						\
			min_ = min(min_, local_clock() - t0_);		\
			local_bh_enable();				\
		}							\
		best = min_;						\
	} while (0)

static u64 psteer_bench_empty;

static void psteer_bench_report(const char *piece, u64 ns)
{
	u64 net = ns > psteer_bench_empty ? ns - psteer_bench_empty : 0;
	u64 x10 = div_u64(net * 10, calls);

	pr_info("PSTEER-BENCH piece=%s calls=%u insn_per_call=%llu.%llu\n",
		piece, calls, x10 / 10, x10 % 10);
}

/* An skb holding a copy of @len bytes at @pkt, network header first. */
static struct sk_buff *psteer_bench_skb(const void *pkt, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);

	if (!skb)
		return NULL;
	skb_reserve(skb, 32);
	skb_reset_network_header(skb);
	skb_put_data(skb, pkt, len);
	return skb;
}

static struct sk_buff *psteer_bench_v4(u8 proto)
{
	u8 buf[sizeof(struct iphdr) + sizeof(struct tcphdr)] = {};
	struct iphdr *iph = (struct iphdr *)buf;
	struct udphdr *uh = (struct udphdr *)(iph + 1);

	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = htonl(0x0a000001);
	iph->daddr = htonl(0x0a000002);
	uh->source = htons(40000);
	uh->dest = htons(7000);
	return psteer_bench_skb(buf, sizeof(buf));
}

static struct sk_buff *psteer_bench_v6(u8 proto)
{
	u8 buf[sizeof(struct ipv6hdr) + sizeof(struct tcphdr)] = {};
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	struct tcphdr *th = (struct tcphdr *)(ip6h + 1);

	ip6h->version = 6;
	ip6h->nexthdr = proto;
	ip6h->hop_limit = 64;
	ip6h->saddr.s6_addr[0] = 0xfd;
	ip6h->saddr.s6_addr[15] = 1;
	ip6h->daddr.s6_addr[0] = 0xfd;
	ip6h->daddr.s6_addr[15] = 2;
	th->source = htons(40000);
	th->dest = htons(7000);
	th->doff = 5;
	th->ack = 1;
	return psteer_bench_skb(buf, sizeof(buf));
}

static int psteer_bench_parse(void)
{
	struct sk_buff *v4 = psteer_bench_v4(IPPROTO_UDP);
	struct sk_buff *v6 = psteer_bench_v6(IPPROTO_TCP);
	struct psteer_hint hint;
	struct psteer_tuple t;
	u64 ns;

	if (!v4 || !v6) {
		kfree_skb(v4);
		kfree_skb(v6);
		return -ENOMEM;
	}
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink +=
			  psteer_parse_packet(v4, NFPROTO_IPV4, &t, &hint) +
			  (__force u16)t.sport);
	psteer_bench_report("parse_ipv4_udp", ns);
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink +=
			  psteer_parse_packet(v6, NFPROTO_IPV6, &t, &hint) +
			  (__force u16)t.sport);
	psteer_bench_report("parse_ipv6_tcp", ns);
	psteer_parse_packet(v4, NFPROTO_IPV4, &t, &hint);
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink +=
			  psteer_parse_hinted(v4, NFPROTO_IPV4, &hint, &t) +
			  (__force u16)t.sport);
	psteer_bench_report("parse_hinted_ipv4", ns);
	psteer_parse_packet(v6, NFPROTO_IPV6, &t, &hint);
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink +=
			  psteer_parse_hinted(v6, NFPROTO_IPV6, &hint, &t) +
			  (__force u16)t.sport);
	psteer_bench_report("parse_hinted_ipv6", ns);
	kfree_skb(v4);
	kfree_skb(v6);
	return 0;
}

static void psteer_bench_tuple(struct psteer_tuple *t, bool v6)
{
	memset(t, 0, sizeof(*t));
	t->family = v6 ? AF_INET6 : AF_INET;
	t->proto = IPPROTO_UDP;
	t->ports = 1;
	t->src[0] = htonl(0x0a000001);
	t->dst[0] = htonl(0x0a000002);
	if (v6) {
		t->src[3] = htonl(1);
		t->dst[3] = htonl(2);
	}
	t->sport = htons(40000);
	t->dport = htons(7000);
}

static int psteer_bench_hash(void)
{
	struct psteer_hash_cfg cfg = { .alg = PSTEER_HASH_SIPHASH };
	struct psteer_toeplitz_table *tt;
	struct psteer_tuple t;
	u64 ns;

	tt = kvmalloc_obj(*tt, GFP_KERNEL);
	if (!tt)
		return -ENOMEM;
	get_random_bytes(&cfg.sipkey, sizeof(cfg.sipkey));
	memcpy(cfg.rss_key, psteer_default_rss_key, sizeof(cfg.rss_key));
	psteer_toeplitz_table_init(tt, cfg.rss_key);

	psteer_bench_tuple(&t, false);
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += psteer_tuple_canon(&t));
	psteer_bench_report("canon_ipv4", ns);
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += psteer_hash_ordered(&cfg, &t));
	psteer_bench_report("hash_siphash_ipv4", ns);
	cfg.alg = PSTEER_HASH_TOEPLITZ;
	cfg.table = tt;
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += psteer_hash_ordered(&cfg, &t));
	psteer_bench_report("hash_toeplitz_ipv4", ns);
	/* The flow dissector's hash: jhash2 over the same words. */
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += jhash2((const u32 *)&t,
						      sizeof(t) / 4, 1));
	psteer_bench_report("hash_jhash_ipv4", ns);

	psteer_bench_tuple(&t, true);
	cfg.alg = PSTEER_HASH_SIPHASH;
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += psteer_hash_ordered(&cfg, &t));
	psteer_bench_report("hash_siphash_ipv6", ns);
	cfg.alg = PSTEER_HASH_TOEPLITZ;
	PSTEER_BENCH_LOOP(ns, (void)0, t.sport = (__force __be16)i;
			  psteer_bench_sink += psteer_hash_ordered(&cfg, &t));
	psteer_bench_report("hash_toeplitz_ipv6", ns);
	kvfree(tt);
	return 0;
}

/* The table's ops: delivery puts the packet back on a list for reuse. */
static struct sk_buff_head psteer_bench_out;
static unsigned int psteer_bench_kicks;

static void psteer_bench_deliver(struct psteer_table *tbl,
				 struct sk_buff *skb)
{
	__skb_queue_tail(&psteer_bench_out, skb);
}

static void psteer_bench_kick(struct psteer_table *tbl, int cpu)
{
	psteer_bench_kicks++;
}

static const struct psteer_table_ops psteer_bench_ops = {
	.deliver	= psteer_bench_deliver,
	.kick		= psteer_bench_kick,
};

/* Untimed: delivers what is queued, and puts every packet back in @in. */
static void psteer_bench_refill(struct psteer_table *tbl, int cpu,
				struct sk_buff_head *in)
{
	local_bh_disable();
	psteer_drain(tbl, cpu, PSTEER_MAX_QUEUE_LEN);
	local_bh_enable();
	skb_queue_splice_init(&psteer_bench_out, in);
}

static int psteer_bench_queue(void)
{
	struct sk_buff_head in;
	struct psteer_table *tbl;
	struct psteer_bucket *b;
	struct sk_buff *skb;
	cpumask_var_t mask;
	unsigned int i;
	int cpu, ret = -ENOMEM;
	u64 ns;

	__skb_queue_head_init(&in);
	__skb_queue_head_init(&psteer_bench_out);
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	/* The module is loaded from one CPU and stays there (see init). */
	cpu = raw_smp_processor_id();
	cpumask_set_cpu(cpu, mask);
	tbl = psteer_table_create(256, mask, PSTEER_MAX_QUEUE_LEN,
				  &psteer_bench_ops);
	free_cpumask_var(mask);
	if (IS_ERR_OR_NULL(tbl))
		return tbl ? PTR_ERR(tbl) : -ENOMEM;
	tbl->backlog_len = PSTEER_MAX_BACKLOG;
	tbl->queue_bytes = PSTEER_MAX_BYTES;
	tbl->backlog_bytes = PSTEER_MAX_BYTES;
	tbl->quantum = 0;
	for (i = 0; i < calls; i++) {
		skb = psteer_bench_v4(IPPROTO_UDP);
		if (!skb)
			goto out;
		__skb_queue_tail(&in, skb);
	}
	b = &tbl->buckets[0];

	/* What the queue's bookkeeping is made of, for reference. */
	PSTEER_BENCH_LOOP(ns, (void)0,
			  psteer_bench_sink += (u32)local_clock());
	psteer_bench_report("ref_local_clock", ns);
	PSTEER_BENCH_LOOP(ns, (void)0, spin_lock(&b->lock);
			  psteer_bench_sink++; spin_unlock(&b->lock));
	psteer_bench_report("ref_spin_lock_unlock", ns);
	PSTEER_BENCH_LOOP(ns, (void)0, atomic_inc(&psteer_bench_atomic));
	psteer_bench_report("ref_atomic_inc", ns);

	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink += (u32)(unsigned long)
			  psteer_bucket_of(tbl, i * 2654435761u) +
			  psteer_may_inline(psteer_bucket_of(tbl, i), cpu));
	psteer_bench_report("bucket_lookup", ns);

	/* @calls packets into one bucket, then one drain delivers them. */
	PSTEER_BENCH_LOOP(ns, psteer_bench_refill(tbl, cpu, &in),
			  psteer_bench_sink +=
			  psteer_enqueue(tbl, b, __skb_dequeue(&in)));
	psteer_bench_report("enqueue", ns);
	/* The rounds' setup refills the queue: time only the drain. */
	for (i = 0; i < rounds; i++) {
		u64 t0;

		if (i) {
			skb_queue_splice_init(&psteer_bench_out, &in);
			local_bh_disable();
			while ((skb = __skb_dequeue(&in)))
				psteer_enqueue(tbl, b, skb);
			local_bh_enable();
		}
		local_bh_disable();
		t0 = local_clock();
		psteer_drain(tbl, cpu, calls);
		t0 = local_clock() - t0;
		local_bh_enable();
		ns = i ? min(ns, t0) : t0;
	}
	psteer_bench_report("drain_deliver_batched", ns + psteer_bench_empty);

	/* One packet at a time, as request/response traffic comes. */
	PSTEER_BENCH_LOOP(ns, psteer_bench_refill(tbl, cpu, &in),
			  psteer_enqueue(tbl, b, __skb_dequeue(&in));
			  psteer_bench_sink += psteer_drain(tbl, cpu, 64));
	psteer_bench_report("enqueue_drain_one", ns);
	ret = 0;
out:
	psteer_bench_refill(tbl, cpu, &in);
	__skb_queue_purge(&in);
	psteer_table_destroy(tbl);
	return ret;
}

static int psteer_bench_conns(void)
{
	struct psteer_conntab *ct;
	struct psteer_tuple t;
	u64 ns;

	ct = psteer_conntab_create(256, 1 << 20, "psteer_bench_conn");
	if (IS_ERR_OR_NULL(ct))
		return ct ? PTR_ERR(ct) : -ENOMEM;
	psteer_bench_tuple(&t, false);
	psteer_conn_track(ct, 12345, &t, 1, 100, 0, jiffies);
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink +=
			  psteer_conn_track(ct, 12345, &t, 1, 100, 0,
					    jiffies));
	psteer_bench_report("conn_hit", ns);
	/* A new connection each call: the lookup misses and inserts. */
	PSTEER_BENCH_LOOP(ns, be16_add_cpu(&t.dport, 1),
			  t.sport = (__force __be16)i;
			  psteer_bench_sink +=
			  psteer_conn_track(ct, i * 2654435761u, &t, 1, 100,
					    0, jiffies));
	psteer_bench_report("conn_miss_insert", ns);
	psteer_conntab_destroy(ct);
	return 0;
}

static int __init psteer_bench_init(void)
{
	int ret;
	u64 ns;

	if (calls < 100 || calls > 65536 || !rounds || rounds > 100) {
		pr_err("calls must be 100..65536 and rounds 1..100\n");
		return -EINVAL;
	}
	/* One CPU for the whole run: the table is this CPU's alone. */
	migrate_disable();
	PSTEER_BENCH_LOOP(ns, (void)0, psteer_bench_sink += i);
	psteer_bench_empty = ns;
	pr_info("PSTEER-BENCH piece=empty_loop calls=%u insn_per_call=%llu\n",
		calls, div_u64(ns, calls));
	ret = psteer_bench_parse();
	if (!ret)
		ret = psteer_bench_hash();
	if (!ret)
		ret = psteer_bench_queue();
	if (!ret)
		ret = psteer_bench_conns();
	migrate_enable();
	if (ret) {
		pr_err("a piece could not run: %d\n", ret);
		return ret;
	}
	pr_info("PSTEER-BENCH done\n");
	return 0;
}

static void __exit psteer_bench_exit(void)
{
}

module_init(psteer_bench_init);
module_exit(psteer_bench_exit);
MODULE_DESCRIPTION("psteer: instructions per call of the hot path's pieces (make bench)");
MODULE_LICENSE("GPL");
