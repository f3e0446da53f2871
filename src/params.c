// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, and their validation.
 *
 * Every parameter is checked by psteer_params_load() at load: a bad value
 * fails insmod with -EINVAL and one dmesg line that names the parameter
 * and what it accepts. Run-time tunables validate every sysfs write in
 * their kernel_param_ops: a bad write returns -EINVAL and changes nothing;
 * a good one is announced to the callback that main.c gives
 * psteer_params_watch(), which applies it.
 *
 * This file calls no other file of psteer: it parses, validates and
 * answers the getters.
 */

#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "compat.h"
#include "params.h"
#include "rebalance.h"
#include "table.h"

/*
 * Every number (and the bools symmetric and hw_conns) is a struct
 * psteer_param: each value is checked against [min, max] (0 or 1 for a
 * bool), and a value that is not a number in range is refused with one
 * line naming the parameter and what it accepts, and -EINVAL, whoever
 * writes it:
 * - at load (the module not live yet), the kernel's parser would add a
 *   line of its own to any error, and turn some (a number past 32 bits)
 *   into another errno: so the value is only noted here, and
 *   psteer_params_load() refuses it;
 * - at run time (tunables, mode 0644), the write is refused and changes
 *   nothing; a good one is announced at once as @knob. Writers serialise
 *   on kernel_param_lock(), which main.c also takes to publish the parts
 *   the tunables apply to.
 */
struct psteer_param {
	unsigned int val;
	unsigned int min;
	unsigned int max;
	enum psteer_knob knob;
	bool is_bool;
	bool zero_ok;
	bool refused;
	const char *name;
	char text[24];
};

/* main.c's, set once at load and cleared at unload; kernel_param_lock. */
static void (*psteer_params_changed)(enum psteer_knob knob);

/**
 * psteer_params_watch() - call @changed after each good tunable write
 * @changed: called with kernel_param_lock(THIS_MODULE) held; NULL to stop
 *
 * Context: process.
 */
void psteer_params_watch(void (*changed)(enum psteer_knob knob))
{
	kernel_param_lock(THIS_MODULE);
	psteer_params_changed = changed;
	kernel_param_unlock(THIS_MODULE);
}

static int psteer_param_parse(const struct psteer_param *p, const char *val,
			      unsigned int *v)
{
	bool b;

	if (p->is_bool) {
		if (kstrtobool(val, &b))
			return -EINVAL;
		*v = b;
		return 0;
	}
	if (kstrtouint(val, 0, v))
		return -EINVAL;
	if (*v == 0 && p->zero_ok)
		return 0;
	if (*v < p->min || *v > p->max)
		return -EINVAL;
	return 0;
}

static void psteer_param_refuse(const struct psteer_param *p)
{
	if (p->is_bool)
		pr_err("%s=%s: must be 0 or 1\n", p->name, p->text);
	else if (p->zero_ok)
		pr_err("%s=%s: must be 0 or %u..%u\n", p->name, p->text,
		       p->min, p->max);
	else
		pr_err("%s=%s: must be %u..%u\n", p->name, p->text, p->min,
		       p->max);
}

static int psteer_param_set(const char *val, const struct kernel_param *kp)
{
	struct psteer_param *p = kp->arg;
	unsigned int v;

	/* "symmetric" alone means 1, as for any bool; "nbuckets" alone is bad. */
	if (!val)
		val = p->is_bool ? "1" : "";
	if (psteer_param_parse(p, val, &v)) {
		p->name = kp->name;
		strscpy(p->text, val, sizeof(p->text));
		/* A sysfs write ends in a newline. */
		strreplace(p->text, '\n', '\0');
		/* At load: psteer_params_load() refuses it. */
		if (kp->mod && kp->mod->state != MODULE_STATE_LIVE) {
			p->refused = true;
			return 0;
		}
		psteer_param_refuse(p);
		return -EINVAL;
	}
	p->refused = false;
	WRITE_ONCE(p->val, v);
	if (p->knob != PSTEER_KNOB_NONE && psteer_params_changed)
		psteer_params_changed(p->knob);
	return 0;
}

static int psteer_param_get(char *buf, const struct kernel_param *kp)
{
	const struct psteer_param *p = kp->arg;

	if (p->is_bool)
		return sysfs_emit(buf, "%c\n", READ_ONCE(p->val) ? 'Y' : 'N');
	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops psteer_param_ops = {
	/* A missing value reaches psteer_param_set(), not the kernel's line. */
	.flags	= KERNEL_PARAM_OPS_FL_NOARG,
	.set	= psteer_param_set,
	.get	= psteer_param_get,
};

static struct psteer_param nbuckets = {
	256, 1, PSTEER_MAX_BUCKETS, PSTEER_KNOB_NONE
};
module_param_cb(nbuckets, &psteer_param_ops, &nbuckets, 0444);
__MODULE_PARM_TYPE(nbuckets, "uint");
MODULE_PARM_DESC(nbuckets, "Number of hash buckets, 1..65536 (default 256)");

static char *cpus;
module_param(cpus, charp, 0444);
MODULE_PARM_DESC(cpus, "CPUs that own buckets, as a cpulist such as 0-3,6 (default: all online CPUs)");

static char *hash = "siphash";
module_param(hash, charp, 0444);
MODULE_PARM_DESC(hash, "Hash function: siphash (keyed at load, default) or toeplitz (NIC RSS, key from rss_key)");

static char *rss_key;
module_param(rss_key, charp, 0444);
MODULE_PARM_DESC(rss_key, "Toeplitz key: 40 bytes as 80 hex digits, optionally colon-separated (default: the Microsoft RSS key 6d:5a:56:da:...)");

static struct psteer_param symmetric = {
	1, 0, 1, PSTEER_KNOB_NONE, true
};
module_param_cb(symmetric, &psteer_param_ops, &symmetric, 0444);
__MODULE_PARM_TYPE(symmetric, "bool");
MODULE_PARM_DESC(symmetric, "Hash both directions of a connection alike by ordering the tuple first (default 1; 0 with toeplitz gives the NIC's own RSS hash)");

static struct psteer_param max_conns = {
	PSTEER_DEFAULT_MAX_CONNS, 0, PSTEER_MAX_CONNS, PSTEER_KNOB_NONE
};
module_param_cb(max_conns, &psteer_param_ops, &max_conns, 0444);
__MODULE_PARM_TYPE(max_conns, "uint");
MODULE_PARM_DESC(max_conns, "Most connections tracked, 0..16777216; past it new connections pass untracked and are counted; 0 = no connection table (default 262144)");

static struct psteer_param hw_conns = {
	0, 0, 1, PSTEER_KNOB_HW_CONNS, true
};
module_param_cb(hw_conns, &psteer_param_ops, &hw_conns, 0644);
__MODULE_PARM_TYPE(hw_conns, "bool");
MODULE_PARM_DESC(hw_conns, "Track the connections of packets from NICs psteer drives too, at a parse and a lookup per packet (default 0: their packets are counted in their buckets only; writable at run time)");

static struct psteer_param queue_len = {
	1024, 1, PSTEER_MAX_QUEUE_LEN, PSTEER_KNOB_QUEUE_LEN
};
module_param_cb(queue_len, &psteer_param_ops, &queue_len, 0644);
MODULE_PARM_DESC(queue_len, "Packets a bucket may queue before drops, 1..65536 (default 1024; writable at run time)");

static struct psteer_param backlog_len = {
	PSTEER_DEFAULT_BACKLOG, 1, PSTEER_MAX_BACKLOG, PSTEER_KNOB_BACKLOG_LEN
};
module_param_cb(backlog_len, &psteer_param_ops, &backlog_len, 0644);
MODULE_PARM_DESC(backlog_len, "Packets queued for one CPU, all its buckets together, before drops, 1..16777216 (default 16384; writable at run time)");

static struct psteer_param queue_bytes = {
	PSTEER_DEFAULT_QUEUE_BYTES, PSTEER_MIN_BYTES, PSTEER_MAX_BYTES,
	PSTEER_KNOB_QUEUE_BYTES
};
module_param_cb(queue_bytes, &psteer_param_ops, &queue_bytes, 0644);
MODULE_PARM_DESC(queue_bytes, "Memory (skb truesize) a bucket may hold queued before drops, 65536..2147483648 (default 4000000; writable at run time)");

static struct psteer_param backlog_bytes = {
	PSTEER_DEFAULT_BACKLOG_BYTES, PSTEER_MIN_BYTES, PSTEER_MAX_BYTES,
	PSTEER_KNOB_BACKLOG_BYTES
};
module_param_cb(backlog_bytes, &psteer_param_ops, &backlog_bytes, 0644);
MODULE_PARM_DESC(backlog_bytes, "Memory (skb truesize) queued for one CPU, all its buckets together, before drops, 65536..2147483648 (default 65536000; writable at run time)");

static struct psteer_param quantum = {
	PSTEER_DEFAULT_QUANTUM, PSTEER_MIN_QUANTUM, PSTEER_MAX_QUANTUM,
	PSTEER_KNOB_QUANTUM, .zero_ok = true
};
module_param_cb(quantum, &psteer_param_ops, &quantum, 0644);
MODULE_PARM_DESC(quantum, "Bytes a bucket may deliver per deficit round robin turn, 0 or 1500..1048576; 0 = FIFO, a bucket delivers all it has (default 6056; writable at run time)");

static struct psteer_param rebalance_ms = {
	PSTEER_RB_DEFAULT_REBALANCE_MS, 0, 60000, PSTEER_KNOB_CONTROL
};
module_param_cb(rebalance_ms, &psteer_param_ops, &rebalance_ms, 0644);
MODULE_PARM_DESC(rebalance_ms, "Milliseconds between rebalancing rounds, 0..60000, 0 = off (default 100)");

static struct psteer_param sample_ms = {
	PSTEER_RB_DEFAULT_SAMPLE_MS, 10, 60000, PSTEER_KNOB_CONTROL
};
module_param_cb(sample_ms, &psteer_param_ops, &sample_ms, 0644);
MODULE_PARM_DESC(sample_ms, "Milliseconds between load samples, 10..60000 (default 50)");

static struct psteer_param imbalance_threshold = {
	PSTEER_RB_DEFAULT_THRESHOLD, 0, 1000, PSTEER_KNOB_CONTROL
};
module_param_cb(imbalance_threshold, &psteer_param_ops,
		&imbalance_threshold, 0644);
MODULE_PARM_DESC(imbalance_threshold, "Dead band in per mille of a CPU: a CPU less than this above the mean sheds nothing, 0..1000 (default 20)");

static struct psteer_param max_moves = {
	0, 0, PSTEER_MAX_BUCKETS, PSTEER_KNOB_CONTROL
};
module_param_cb(max_moves, &psteer_param_ops, &max_moves, 0644);
MODULE_PARM_DESC(max_moves, "Most buckets moved per rebalancing round, 0..65536; 0 (default) = nbuckets/8 within 32..2048");

static struct psteer_param timer_ms = {
	100, 10, 60000, PSTEER_KNOB_TIMER_MS
};
module_param_cb(timer_ms, &psteer_param_ops, &timer_ms, 0644);
MODULE_PARM_DESC(timer_ms, "Shortest milliseconds between two passes of a CPU's timer thread, which sleeps until its buckets' next connection expires, 10..60000 (default 100)");

static struct psteer_param conn_timeout_tcp = {
	300, 1, PSTEER_CONN_MAX_TIMEOUT, PSTEER_KNOB_CONN_TIMEOUT
};
module_param_cb(conn_timeout_tcp, &psteer_param_ops, &conn_timeout_tcp,
		0644);
MODULE_PARM_DESC(conn_timeout_tcp, "Seconds a TCP connection may idle before it expires, 1..86400 (default 300)");

static struct psteer_param conn_timeout_udp = {
	30, 1, PSTEER_CONN_MAX_TIMEOUT, PSTEER_KNOB_CONN_TIMEOUT
};
module_param_cb(conn_timeout_udp, &psteer_param_ops, &conn_timeout_udp,
		0644);
MODULE_PARM_DESC(conn_timeout_udp, "Seconds a UDP flow may idle before it expires, 1..86400 (default 30)");

static struct psteer_param conn_timeout_other = {
	30, 1, PSTEER_CONN_MAX_TIMEOUT, PSTEER_KNOB_CONN_TIMEOUT
};
module_param_cb(conn_timeout_other, &psteer_param_ops, &conn_timeout_other,
		0644);
MODULE_PARM_DESC(conn_timeout_other, "Seconds a flow of another protocol may idle before it expires, 1..86400 (default 30)");

static struct psteer_param conn_timeout_closing = {
	PSTEER_CONN_CLOSING_TIMEOUT, 1, PSTEER_CONN_MAX_TIMEOUT,
	PSTEER_KNOB_CONN_TIMEOUT
};
module_param_cb(conn_timeout_closing, &psteer_param_ops,
		&conn_timeout_closing, 0644);
MODULE_PARM_DESC(conn_timeout_closing, "Seconds a TCP connection may idle after a FIN or RST before it expires, 1..86400 (default 10)");

/**
 * psteer_parse_rss_key() - parse a Toeplitz key
 * @s: 80 hex digits, optionally with a colon between bytes
 * @key: result
 *
 * Return: 0, or -EINVAL when @s is not exactly PSTEER_RSS_KEY_LEN bytes
 * of hex.
 */
int psteer_parse_rss_key(const char *s, u8 key[PSTEER_RSS_KEY_LEN])
{
	unsigned int n = 0;

	while (*s) {
		int hi, lo;

		if (n && *s == ':')
			s++;
		hi = hex_to_bin(s[0]);
		lo = hi < 0 ? -1 : hex_to_bin(s[1]);
		if (lo < 0 || n == PSTEER_RSS_KEY_LEN)
			return -EINVAL;
		key[n++] = hi << 4 | lo;
		s += 2;
	}
	return n == PSTEER_RSS_KEY_LEN ? 0 : -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_rss_key);

/**
 * psteer_parse_hash() - parse a hash function name
 * @s: "siphash" or "toeplitz"
 * @alg: result
 *
 * Return: 0 or -EINVAL.
 */
int psteer_parse_hash(const char *s, enum psteer_hash_alg *alg)
{
	if (sysfs_streq(s, "siphash"))
		*alg = PSTEER_HASH_SIPHASH;
	else if (sysfs_streq(s, "toeplitz"))
		*alg = PSTEER_HASH_TOEPLITZ;
	else
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_hash);

static int psteer_params_cpus(struct cpumask *mask)
{
	if (!cpus || !*cpus) {
		cpumask_copy(mask, cpu_online_mask);
		return 0;
	}
	if (cpulist_parse(cpus, mask) || cpumask_empty(mask) ||
	    !cpumask_subset(mask, cpu_online_mask)) {
		pr_err("cpus=%s: must be a non-empty cpulist of online CPUs (online: %*pbl)\n",
		       cpus, cpumask_pr_args(cpu_online_mask));
		return -EINVAL;
	}
	return 0;
}

/**
 * psteer_params_load() - validate the load-time parameters
 * @p: result; @p->hash.rss_key holds the default key, which rss_key
 *	replaces when it is given
 * @mask: result: the CPUs that own buckets
 *
 * Context: module init.
 * Return: 0, or -EINVAL after one pr_err() naming the parameter.
 */
int psteer_params_load(struct psteer_load_params *p, struct cpumask *mask)
{
	static struct psteer_param *const numbers[] = {
		&nbuckets, &symmetric, &max_conns, &queue_len, &backlog_len,
		&queue_bytes, &backlog_bytes,
		&quantum, &rebalance_ms, &sample_ms, &imbalance_threshold,
		&max_moves, &timer_ms, &conn_timeout_tcp, &conn_timeout_udp,
		&conn_timeout_other, &conn_timeout_closing, &hw_conns,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(numbers); i++) {
		if (numbers[i]->refused) {
			psteer_param_refuse(numbers[i]);
			return -EINVAL;
		}
	}
	if (psteer_params_cpus(mask))
		return -EINVAL;
	if (psteer_parse_hash(hash, &p->hash.alg)) {
		pr_err("hash=%s: must be siphash or toeplitz\n", hash);
		return -EINVAL;
	}
	if (rss_key && psteer_parse_rss_key(rss_key, p->hash.rss_key)) {
		pr_err("rss_key=%s: must be %u bytes as hex digits, optionally colon-separated\n",
		       rss_key, PSTEER_RSS_KEY_LEN);
		return -EINVAL;
	}
	p->hash.symmetric = symmetric.val;
	p->nbuckets = nbuckets.val;
	p->max_conns = max_conns.val;
	return 0;
}

/* The tunables' current values; each may change at any time (READ_ONCE). */
u32 psteer_param_queue_len(void)
{
	return READ_ONCE(queue_len.val);
}

u32 psteer_param_backlog_len(void)
{
	return READ_ONCE(backlog_len.val);
}

u32 psteer_param_queue_bytes(void)
{
	return READ_ONCE(queue_bytes.val);
}

u32 psteer_param_backlog_bytes(void)
{
	return READ_ONCE(backlog_bytes.val);
}

u32 psteer_param_quantum(void)
{
	return READ_ONCE(quantum.val);
}

unsigned int psteer_param_rebalance_ms(void)
{
	return READ_ONCE(rebalance_ms.val);
}

unsigned int psteer_param_sample_ms(void)
{
	return READ_ONCE(sample_ms.val);
}

/* Per mille of a CPU. */
u32 psteer_param_imbalance_threshold(void)
{
	return READ_ONCE(imbalance_threshold.val);
}

/* 0 means the rebalancer's default for the table's size. */
u32 psteer_param_max_moves(void)
{
	return READ_ONCE(max_moves.val);
}

unsigned int psteer_param_timer_ms(void)
{
	return READ_ONCE(timer_ms.val);
}

bool psteer_param_hw_conns(void)
{
	return READ_ONCE(hw_conns.val);
}

/* Seconds. */
unsigned int psteer_param_conn_timeout(enum psteer_conn_class class)
{
	static const struct psteer_param *const t[PSTEER_CONN_NCLASS] = {
		[PSTEER_CONN_TCP]	= &conn_timeout_tcp,
		[PSTEER_CONN_UDP]	= &conn_timeout_udp,
		[PSTEER_CONN_OTHER]	= &conn_timeout_other,
		[PSTEER_CONN_CLOSING]	= &conn_timeout_closing,
	};

	return READ_ONCE(t[class]->val);
}
