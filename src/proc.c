// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/psteer/: what psteer did, for administrators.
 *
 * stats    every namespace: that namespace's per-CPU packet counters
 * cpus     initial namespace only: per-CPU totals over all namespaces,
 *          and the buckets each CPU owns
 * buckets  initial namespace only: owner, packets, bytes, queue length,
 *          drops, pinning, moves, load and connections of every bucket
 *          (the table is global); writing "BUCKET CPU" pins a bucket,
 *          "BUCKET auto" unpins it (CAP_NET_ADMIN)
 * conns    every namespace: that namespace's tracked connections, bucket
 *          by bucket
 * conntab  initial namespace only: size and counters of the connection
 *          table
 *
 * Counters are per-CPU u64s read without synchronisation: a snapshot.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "psteer.h"

/* Every file is created with the module as its data. */
static struct psteer *psteer_of(struct seq_file *seq)
{
	return pde_data(file_inode(seq->file));
}

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
	sum->untracked += READ_ONCE(st->untracked);
}

static int psteer_stats_show(struct seq_file *seq, void *v)
{
	struct psteer_net *pn = psteer_pernet(psteer_of(seq),
					      seq_file_single_net(seq));
	int cpu;

	seq_puts(seq, "cpu inline inline_bytes steered steered_bytes drained drained_bytes dropped unparsed untracked\n");
	for_each_online_cpu(cpu) {
		struct psteer_stats s = {};

		psteer_stats_add(&s, per_cpu_ptr(pn->stats, cpu));
		seq_printf(seq, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, s.inline_pkts, s.inline_bytes, s.steered,
			   s.steered_bytes, s.drained, s.drained_bytes,
			   s.dropped, s.unparsed, s.untracked);
	}
	return 0;
}

/* Sums @cpu's counters over every namespace. */
static void psteer_stats_all_nets(struct psteer *ps, int cpu,
				  struct psteer_stats *sum)
{
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net) {
		/*
		 * A namespace's counters are freed once it is off this list
		 * and a grace period has passed (psteer_hook_net_exit_batch()).
		 */
		struct psteer_stats __percpu *stats =
			READ_ONCE(psteer_pernet(ps, net)->stats);

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

/* Connections in the buckets @cpu owns, and its timer and lookup figures. */
static void psteer_put_conns(struct seq_file *seq, struct psteer *ps, int cpu)
{
	const unsigned long *owned = per_cpu_ptr(ps->tbl->pcpu, cpu)->owned;
	struct psteer_conntab *ct = ps->conns;
	const struct psteer_conn_pcpu *pc;
	u64 n = 0, lookups;
	unsigned long i;

	if (!ct) {
		seq_puts(seq, " 0 0 0 0 0 0\n");
		return;
	}
	if (owned)
		for_each_set_bit(i, owned, ps->tbl->nbuckets)
			n += psteer_conn_count(ct, i);
	pc = per_cpu_ptr(ct->pcpu, cpu);
	lookups = READ_ONCE(pc->lookups);
	seq_printf(seq, " %llu %llu %llu %llu %llu %llu\n", n,
		   READ_ONCE(pc->expired), READ_ONCE(pc->passes),
		   READ_ONCE(pc->pass_ns) / NSEC_PER_USEC,
		   READ_ONCE(pc->pass_ns_max) / NSEC_PER_USEC,
		   lookups ? div64_u64(READ_ONCE(pc->lookup_ns), lookups) : 0);
}

static int psteer_cpus_show(struct seq_file *seq, void *v)
{
	struct psteer *ps = psteer_of(seq);
	struct psteer_ctl *ctl = ps->ctl;
	int cpu;

	seq_puts(seq, "cpu buckets inline steered drained dropped unparsed usage_pct index_pct psteer_ns conns expired timer_passes pass_us pass_max_us lookup_ns\n");
	mutex_lock(&ctl->lock);
	for_each_online_cpu(cpu) {
		struct psteer_stats s = {};
		int i = ctl->cpu_idx[cpu];

		psteer_stats_all_nets(ps, cpu, &s);
		seq_printf(seq, "%d %u %llu %llu %llu %llu %llu", cpu,
			   psteer_table_owned(ps->tbl, cpu), s.inline_pkts,
			   s.steered, s.drained, s.dropped, s.unparsed);
		psteer_put_pct(seq, i < 0 ? 0 : ctl->cpus[i].usage);
		psteer_put_pct(seq, i < 0 ? 0 : ctl->cpus[i].index);
		seq_printf(seq, " %llu",
			   READ_ONCE(per_cpu_ptr(ps->tbl->pcpu, cpu)->ns));
		psteer_put_conns(seq, ps, cpu);
	}
	mutex_unlock(&ctl->lock);
	return 0;
}

/* buckets: position 0 is the header, position i + 1 bucket i. */
static void *psteer_buckets_start(struct seq_file *seq, loff_t *pos)
{
	struct psteer_table *tbl = psteer_of(seq)->tbl;

	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos > tbl->nbuckets)
		return NULL;
	return &tbl->buckets[*pos - 1];
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
	struct psteer *ps = psteer_of(seq);
	ptrdiff_t i = b - ps->tbl->buckets;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "bucket cpu packets bytes qlen drops pinned moves load_ppm conns\n");
		return 0;
	}
	seq_printf(seq, "%td %d %llu %llu %u %llu %d %llu %u %u\n", i,
		   psteer_bucket_owner(b), READ_ONCE(b->packets),
		   READ_ONCE(b->bytes), skb_queue_len_lockless(&b->queue),
		   READ_ONCE(b->drops), READ_ONCE(b->pinned),
		   READ_ONCE(b->moves), READ_ONCE(ps->ctl->buckets[i].load),
		   ps->conns ? psteer_conn_count(ps->conns, i) : 0);
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
 * The start of every write to psteer's files: CAP_NET_ADMIN over the
 * initial namespace, and a line shorter than @size copied to @buf with
 * its NUL. Returns 0, -EPERM, -EINVAL or -EFAULT.
 */
static int psteer_proc_admin_line(struct file *file, const char __user *ubuf,
				  size_t len, char *buf, size_t size)
{
	if (!file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!len || len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return 0;
}

/*
 * "BUCKET CPU" pins BUCKET to CPU (like a line of ethtool -X), "BUCKET
 * auto" hands it back to the rebalancer. Process context.
 */
static ssize_t psteer_buckets_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	struct psteer *ps = pde_data(file_inode(file));
	char buf[32], *p, *word;
	u32 bucket;
	int cpu, err;

	err = psteer_proc_admin_line(file, ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	p = strim(buf);
	word = strsep(&p, " \t");
	if (!p || kstrtou32(word, 10, &bucket))
		return -EINVAL;
	p = skip_spaces(p);
	if (!strcmp(p, "auto"))
		cpu = -1;
	else if (kstrtoint(p, 10, &cpu) || cpu < 0)
		return -EINVAL;
	err = psteer_ctl_pin(ps->ctl, bucket, cpu);
	return err ? err : len;
}

static const struct proc_ops psteer_buckets_proc_ops = {
	.proc_open	= psteer_buckets_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release,
	.proc_write	= psteer_buckets_write,
};

/*
 * where: write "PROTO SRC SPORT DST DPORT" (CAP_NET_ADMIN, as the hash is
 * shown), then read "hash bucket cpu" from the same open file: the bucket
 * the flow hashes to with the module's own key and the CPU that owns it
 * now (psteer where). Each open file keeps its last answer.
 */
#define PSTEER_WHERE_LEN	64

static int psteer_where_open(struct inode *inode, struct file *file)
{
	file->private_data = kzalloc(PSTEER_WHERE_LEN, GFP_KERNEL);
	return file->private_data ? 0 : -ENOMEM;
}

static int psteer_where_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t psteer_where_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	struct psteer *ps = pde_data(file_inode(file));
	struct psteer_tuple t;
	char buf[128];
	u32 hash, i;
	int err;

	err = psteer_proc_admin_line(file, ubuf, len, buf, sizeof(buf));
	if (err)
		return err;
	if (psteer_tuple_from_text(buf, &t))
		return -EINVAL;
	hash = psteer_hash_tuple(&ps->hash, &t);
	i = psteer_bucket_index(hash, ps->tbl->nbuckets);
	snprintf(file->private_data, PSTEER_WHERE_LEN, "%08x %u %d\n", hash, i,
		 psteer_bucket_owner(&ps->tbl->buckets[i]));
	return len;
}

static ssize_t psteer_where_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	const char *answer = file->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, answer, strlen(answer));
}

static const struct proc_ops psteer_where_proc_ops = {
	.proc_open	= psteer_where_open,
	.proc_read	= psteer_where_read,
	.proc_write	= psteer_where_write,
	.proc_lseek	= default_llseek,
	.proc_release	= psteer_where_release,
};

/*
 * conns: position 0 is the header, then this namespace's entries, bucket
 * by bucket. They are copied out in batches of up to PSTEER_CONNS_BATCH
 * entries of one bucket by psteer_conn_walk(), which bounds each hold of a
 * bucket lock and reads each chain once per walk; no lock is held across
 * seq_file calls. As with /proc/net/tcp, an entry that comes or goes
 * while the file is read may be skipped or shown twice.
 */
#define PSTEER_CONNS_BATCH	32

struct psteer_conns_iter {
	struct seq_net_private p;
	struct psteer_conn_cursor cur;
	u32 rows_bucket;	/* the bucket of @rows */
	u32 n;			/* rows in @rows */
	u32 idx;		/* row at @pos */
	loff_t pos;
	u32 now;
	struct psteer_conn_row rows[PSTEER_CONNS_BATCH];
};

/* Copies the next batch of this namespace's entries; false at the end. */
static bool psteer_conns_fill(struct seq_file *seq)
{
	struct psteer_conns_iter *it = seq->private;
	struct psteer_conntab *ct = psteer_of(seq)->conns;

	it->idx = 0;
	it->n = ct ? psteer_conn_walk(ct, &it->cur, seq_file_net(seq)->ns.inum,
				      it->rows, PSTEER_CONNS_BATCH,
				      &it->rows_bucket) : 0;
	return it->n;
}

/* The row at the iterator, or NULL at the end. */
static struct psteer_conn_row *psteer_conns_get(struct seq_file *seq)
{
	struct psteer_conns_iter *it = seq->private;

	if (it->idx >= it->n && !psteer_conns_fill(seq))
		return NULL;
	return &it->rows[it->idx];
}

static void *psteer_conns_start(struct seq_file *seq, loff_t *pos)
{
	struct psteer_conns_iter *it = seq->private;

	it->now = jiffies;
	if (*pos == 0 || *pos != it->pos) {
		memset(&it->cur, 0, sizeof(it->cur));
		it->n = 0;
		it->idx = 0;
		it->pos = 1;
	}
	if (*pos == 0)
		return SEQ_START_TOKEN;
	while (it->pos < *pos) {
		if (!psteer_conns_get(seq))
			return NULL;
		it->idx++;
		it->pos++;
	}
	return psteer_conns_get(seq);
}

static void *psteer_conns_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct psteer_conns_iter *it = seq->private;

	++*pos;
	if (v != SEQ_START_TOKEN) {
		it->idx++;
		it->pos++;
	}
	return psteer_conns_get(seq);
}

static void psteer_conns_stop(struct seq_file *seq, void *v)
{
}

static const char *const psteer_conn_class_names[PSTEER_CONN_NCLASS] = {
	[PSTEER_CONN_TCP]	= "tcp",
	[PSTEER_CONN_UDP]	= "udp",
	[PSTEER_CONN_OTHER]	= "other",
	[PSTEER_CONN_CLOSING]	= "closing",
};

/*
 * One end of a connection: its address and port, or "-" for a flow
 * hashed without ports (fragments, protocols without ports), which is
 * not the same key as ports 0.
 */
static void psteer_put_end(struct seq_file *seq, const struct psteer_tuple *t,
			   const __be32 *addr, __be16 port)
{
	if (t->family == AF_INET6)
		seq_printf(seq, " %pI6c", addr);
	else
		seq_printf(seq, " %pI4", addr);
	if (t->ports)
		seq_printf(seq, " %u", ntohs(port));
	else
		seq_puts(seq, " -");
}

static int psteer_conns_show(struct seq_file *seq, void *v)
{
	struct psteer_conns_iter *it = seq->private;
	const struct psteer_conn_row *row = v;
	struct psteer *ps = psteer_of(seq);
	const struct psteer_tuple *t;
	s32 idle;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "proto src sport dst dport hash bucket cpu packets bytes idle_ms state\n");
		return 0;
	}
	t = &row->t;
	idle = it->now - row->last;
	seq_printf(seq, "%u", t->proto);
	psteer_put_end(seq, t, t->src, t->sport);
	psteer_put_end(seq, t, t->dst, t->dport);
	/*
	 * The hash is keyed: a tenant who saw it could pick tuples that share
	 * a bucket or a chain. Only for CAP_NET_ADMIN over the namespace.
	 */
	if (file_ns_capable(seq->file, seq_file_net(seq)->user_ns,
			    CAP_NET_ADMIN))
		seq_printf(seq, " %08x", psteer_hash_tuple(&ps->hash, t));
	else
		seq_puts(seq, " -");
	seq_printf(seq, " %u %d %u %llu %u %s\n", it->rows_bucket,
		   psteer_bucket_owner(&ps->tbl->buckets[it->rows_bucket]),
		   row->packets, row->bytes,
		   idle > 0 ? jiffies_to_msecs(idle) : 0,
		   psteer_conn_class_names[row->class]);
	return 0;
}

static const struct seq_operations psteer_conns_ops = {
	.start	= psteer_conns_start,
	.next	= psteer_conns_next,
	.stop	= psteer_conns_stop,
	.show	= psteer_conns_show,
};

static int psteer_conntab_show(struct seq_file *seq, void *v)
{
	struct psteer_conntab *ct = psteer_of(seq)->conns;
	u64 created = 0, untracked = 0, expired = 0, lookups = 0, ns = 0;
	int cpu;

	if (!ct) {
		seq_puts(seq, "max_conns 0\n");
		return 0;
	}
	for_each_possible_cpu(cpu) {
		const struct psteer_conn_pcpu *pc = per_cpu_ptr(ct->pcpu, cpu);

		created += READ_ONCE(pc->created);
		untracked += READ_ONCE(pc->untracked);
		expired += READ_ONCE(pc->expired);
		lookups += READ_ONCE(pc->lookups);
		ns += READ_ONCE(pc->lookup_ns);
	}
	seq_printf(seq, "max_conns %u\nentries %d\nentries_ipv6 %d\n",
		   ct->max, atomic_read(&ct->count), atomic_read(&ct->count6));
	seq_printf(seq, "chains %zu\nentry_bytes_ipv4 %u\nentry_bytes_ipv6 %u\n",
		   (size_t)ct->nbuckets << ct->slot_bits,
		   kmem_cache_size(ct->v4), kmem_cache_size(ct->v6));
	seq_printf(seq, "memory_bytes %zu\ncreated %llu\nuntracked %llu\nexpired %llu\n",
		   psteer_conntab_memory(ct), created, untracked, expired);
	seq_printf(seq, "lookups_timed %llu\nlookup_ns_total %llu\n", lookups, ns);
	return 0;
}

/**
 * psteer_proc_net_init() - create /proc/net/psteer/ in @net
 * @ps: the module, which every file gets as its data
 * @net: the namespace
 *
 * The files of every namespace: stats, conns and devices (src/nic.c). The
 * initial namespace's own come with psteer_proc_init().
 *
 * Context: process (pernet init).
 */
int psteer_proc_net_init(struct psteer *ps, struct net *net)
{
	struct psteer_net *pn = psteer_pernet(ps, net);

	pn->proc = proc_net_mkdir(net, "psteer", net->proc_net);
	if (!pn->proc)
		return -ENOMEM;
	if (!proc_create_net_single("stats", 0444, pn->proc, psteer_stats_show,
				    ps) ||
	    !proc_create_net_data("conns", 0444, pn->proc, &psteer_conns_ops,
				  sizeof(struct psteer_conns_iter), ps) ||
	    !proc_create_net_single_write("devices", 0644, pn->proc,
					  psteer_nic_devices_show,
					  psteer_nic_devices_write, ps)) {
		remove_proc_subtree("psteer", net->proc_net);
		return -ENOMEM;
	}
	return 0;
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

static const char *const psteer_proc_global[] = {
	"cpus", "conntab", "buckets", "where",
};

/**
 * psteer_proc_init() - the initial namespace's files: cpus, conntab, buckets,
 *	where
 * @ps: the module; every namespace is set up (cpus walks them all, and a
 *	namespace psteer's pernet init has not reached has no slot yet)
 *
 * Context: process (module init), after register_pernet_subsys().
 * Return: 0 or -ENOMEM; what was created goes with the directory when the
 * caller unregisters the pernet operations.
 */
int psteer_proc_init(struct psteer *ps)
{
	struct proc_dir_entry *dir = psteer_pernet(ps, &init_net)->proc;

	if (!proc_create_single_data("cpus", 0444, dir, psteer_cpus_show, ps) ||
	    !proc_create_single_data("conntab", 0444, dir, psteer_conntab_show,
				     ps) ||
	    !proc_create_data("buckets", 0644, dir, &psteer_buckets_proc_ops,
			      ps) ||
	    !proc_create_data("where", 0600, dir, &psteer_where_proc_ops, ps))
		return -ENOMEM;
	return 0;
}

/**
 * psteer_proc_exit() - remove the initial namespace's own files
 * @ps: the module
 *
 * Context: process (module exit, before the namespaces go); waits for
 * readers to leave.
 */
void psteer_proc_exit(struct psteer *ps)
{
	struct proc_dir_entry *dir = psteer_pernet(ps, &init_net)->proc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(psteer_proc_global); i++)
		remove_proc_entry(psteer_proc_global[i], dir);
}
