// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/psteer/: what psteer did, for administrators.
 *
 * stats    every namespace: that namespace's per-CPU packet counters
 * cpus     initial namespace only: per-CPU totals over all namespaces,
 *          and the buckets each CPU owns
 * buckets  initial namespace only: owner, packets, bytes, queue length,
 *          drops, pinning, moves and load of every bucket (the table is
 *          global); writing "BUCKET CPU" pins a bucket, "BUCKET auto"
 *          unpins it (CAP_NET_ADMIN)
 *
 * Counters are per-CPU u64s read without synchronisation: a snapshot.
 */

#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "control.h"
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

/* Prints @ppm as a percentage with one decimal, e.g. -12.5. */
static void psteer_put_pct(struct seq_file *seq, s64 ppm)
{
	u64 abs = ppm < 0 ? -ppm : ppm;

	seq_printf(seq, " %s%llu.%llu", ppm < 0 ? "-" : "", abs / 10000,
		   abs / 1000 % 10);
}

static int psteer_cpus_show(struct seq_file *seq, void *v)
{
	struct psteer_ctl *ctl = psteer_ctl;
	int cpu;

	seq_puts(seq, "cpu buckets inline steered drained dropped unparsed usage_pct index_pct psteer_ns\n");
	mutex_lock(&ctl->lock);
	for_each_online_cpu(cpu) {
		struct psteer_stats s = {};
		int i = ctl->cpu_idx[cpu];

		psteer_stats_all_nets(cpu, &s);
		seq_printf(seq, "%d %u %llu %llu %llu %llu %llu", cpu,
			   psteer_table_owned(psteer_tbl, cpu), s.inline_pkts,
			   s.steered, s.drained, s.dropped, s.unparsed);
		psteer_put_pct(seq, i < 0 ? 0 : ctl->cpus[i].usage);
		psteer_put_pct(seq, i < 0 ? 0 : ctl->cpus[i].index);
		seq_printf(seq, " %llu\n",
			   READ_ONCE(per_cpu_ptr(psteer_tbl->pcpu, cpu)->ns));
	}
	mutex_unlock(&ctl->lock);
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

	ptrdiff_t i = b - psteer_tbl->buckets;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "bucket cpu packets bytes qlen drops pinned moves load_ppm\n");
		return 0;
	}
	seq_printf(seq, "%td %d %llu %llu %u %llu %d %llu %u\n", i,
		   READ_ONCE(b->cpu), READ_ONCE(b->packets),
		   READ_ONCE(b->bytes), skb_queue_len_lockless(&b->queue),
		   READ_ONCE(b->drops), READ_ONCE(b->pinned),
		   READ_ONCE(b->moves), READ_ONCE(psteer_ctl->buckets[i].load));
	return 0;
}

static const struct seq_operations psteer_buckets_ops = {
	.start	= psteer_buckets_start,
	.next	= psteer_buckets_next,
	.stop	= psteer_buckets_stop,
	.show	= psteer_buckets_show,
};

static int psteer_buckets_open(struct inode *inode, struct file *file)
{
	return seq_open(file, &psteer_buckets_ops);
}

/*
 * "BUCKET CPU" pins BUCKET to CPU (like a line of ethtool -X), "BUCKET
 * auto" hands it back to the rebalancer. Process context.
 */
static ssize_t psteer_buckets_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	char buf[32], *p, *word;
	u32 bucket;
	int cpu, err;

	if (!file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	p = strim(buf);
	word = strsep(&p, " \t");
	if (!p || kstrtou32(word, 10, &bucket))
		return -EINVAL;
	p = skip_spaces(p);
	if (!strcmp(p, "auto"))
		cpu = -1;
	else if (kstrtoint(p, 10, &cpu) || cpu < 0)
		return -EINVAL;
	err = psteer_ctl_pin(bucket, cpu);
	return err ? err : len;
}

static const struct proc_ops psteer_buckets_proc_ops = {
	.proc_open	= psteer_buckets_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release,
	.proc_write	= psteer_buckets_write,
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
	    !proc_create("buckets", 0644, dir, &psteer_buckets_proc_ops))
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
