// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/psteer/: what psteer did, for administrators.
 *
 * stats    every namespace: that namespace's per-CPU packet counters
 * cpus     initial namespace only: per-CPU totals over all namespaces,
 *          and the buckets each CPU owns
 * buckets  initial namespace only: owner, packets, bytes, queue length
 *          and drops of every bucket (the table is global)
 *
 * Counters are per-CPU u64s read without synchronisation: a snapshot.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>

#include "compat.h"
#include "psteer.h"

static void psteer_stats_add(struct psteer_stats *sum,
			     const struct psteer_stats *st)
{
	sum->inline_pkts += READ_ONCE(st->inline_pkts);
	sum->inline_bytes += READ_ONCE(st->inline_bytes);
	sum->steered += READ_ONCE(st->steered);
	sum->steered_bytes += READ_ONCE(st->steered_bytes);
	sum->drained += READ_ONCE(st->drained);
	sum->drained_bytes += READ_ONCE(st->drained_bytes);
	sum->dropped += READ_ONCE(st->dropped);
	sum->unparsed += READ_ONCE(st->unparsed);
}

static int psteer_stats_show(struct seq_file *seq, void *v)
{
	struct psteer_net *pn = psteer_pernet(seq_file_single_net(seq));
	int cpu;

	seq_puts(seq, "cpu inline inline_bytes steered steered_bytes drained drained_bytes dropped unparsed\n");
	for_each_online_cpu(cpu) {
		struct psteer_stats s = {};

		psteer_stats_add(&s, per_cpu_ptr(pn->stats, cpu));
		seq_printf(seq, "%d %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, s.inline_pkts, s.inline_bytes, s.steered,
			   s.steered_bytes, s.drained, s.drained_bytes,
			   s.dropped, s.unparsed);
	}
	return 0;
}

/* Sums @cpu's counters over every namespace. */
static void psteer_stats_all_nets(int cpu, struct psteer_stats *sum)
{
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net) {
		/* Pairs with WRITE_ONCE() in psteer_hook_net_exit(). */
		struct psteer_stats __percpu *stats =
			READ_ONCE(psteer_pernet(net)->stats);

		if (stats)
			psteer_stats_add(sum, per_cpu_ptr(stats, cpu));
	}
	rcu_read_unlock();
}

static int psteer_cpus_show(struct seq_file *seq, void *v)
{
	int cpu;

	seq_puts(seq, "cpu buckets inline steered drained dropped unparsed\n");
	for_each_online_cpu(cpu) {
		struct psteer_stats s = {};

		psteer_stats_all_nets(cpu, &s);
		seq_printf(seq, "%d %u %llu %llu %llu %llu %llu\n", cpu,
			   psteer_table_owned(psteer_tbl, cpu), s.inline_pkts,
			   s.steered, s.drained, s.dropped, s.unparsed);
	}
	return 0;
}

/* buckets: position 0 is the header, position i + 1 bucket i. */
static void *psteer_buckets_start(struct seq_file *seq, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos > psteer_tbl->nbuckets)
		return NULL;
	return &psteer_tbl->buckets[*pos - 1];
}

static void *psteer_buckets_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return psteer_buckets_start(seq, pos);
}

static void psteer_buckets_stop(struct seq_file *seq, void *v)
{
}

static int psteer_buckets_show(struct seq_file *seq, void *v)
{
	const struct psteer_bucket *b = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "bucket cpu packets bytes qlen drops\n");
		return 0;
	}
	seq_printf(seq, "%td %d %llu %llu %u %llu\n", b - psteer_tbl->buckets,
		   READ_ONCE(b->cpu), READ_ONCE(b->packets),
		   READ_ONCE(b->bytes), skb_queue_len_lockless(&b->queue),
		   READ_ONCE(b->drops));
	return 0;
}

static const struct seq_operations psteer_buckets_ops = {
	.start	= psteer_buckets_start,
	.next	= psteer_buckets_next,
	.stop	= psteer_buckets_stop,
	.show	= psteer_buckets_show,
};

/**
 * psteer_proc_net_init() - create /proc/net/psteer/ in @net
 * @net: the namespace
 *
 * Context: process (pernet init).
 */
int psteer_proc_net_init(struct net *net)
{
	struct proc_dir_entry *dir;

	dir = proc_net_mkdir(net, "psteer", net->proc_net);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_net_single("stats", 0444, dir, psteer_stats_show,
				    NULL))
		goto err;
	if (!net_eq(net, &init_net))
		return 0;
	if (!proc_create_single("cpus", 0444, dir, psteer_cpus_show) ||
	    !proc_create_seq("buckets", 0444, dir, &psteer_buckets_ops))
		goto err;
	return 0;
err:
	remove_proc_subtree("psteer", net->proc_net);
	return -ENOMEM;
}

/**
 * psteer_proc_net_exit() - remove /proc/net/psteer/ from @net
 * @net: the namespace
 *
 * Context: process (pernet exit); waits for readers to leave.
 */
void psteer_proc_net_exit(struct net *net)
{
	remove_proc_subtree("psteer", net->proc_net);
}
