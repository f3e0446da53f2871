// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, and their validation.
 *
 * Load-time parameters are checked once, in psteer_params_load(): a bad
 * value fails insmod with -EINVAL and one dmesg line that names the
 * parameter and what it accepts. Run-time tunables validate every sysfs
 * write in their kernel_param_ops: a bad write returns -EINVAL and
 * changes nothing.
 */

#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/string.h>

#include "compat.h"
#include "control.h"
#include "psteer.h"

static unsigned int nbuckets = 256;
module_param(nbuckets, uint, 0444);
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

static bool symmetric = true;
module_param(symmetric, bool, 0444);
MODULE_PARM_DESC(symmetric, "Hash both directions of a connection alike by ordering the tuple first (default 1; 0 with toeplitz gives the NIC's own RSS hash)");

static unsigned int max_conns = PSTEER_DEFAULT_MAX_CONNS;
module_param(max_conns, uint, 0444);
MODULE_PARM_DESC(max_conns, "Most connections tracked, 0..16777216; past it new connections pass untracked and are counted; 0 = no connection table (default 262144)");

/*
 * Run-time tunables. Each write is checked against [min, max] and
 * refused whole if it is out of range or not a number; a good one is
 * handed to @apply at once. Writers serialise on kernel_param_lock(),
 * which main.c also takes to publish the table and the control state.
 */
struct psteer_tunable {
	unsigned int val;
	unsigned int min;
	unsigned int max;
	void (*apply)(unsigned int val);
};

static int psteer_tunable_set(const char *val, const struct kernel_param *kp)
{
	struct psteer_tunable *t = kp->arg;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < t->min || v > t->max) {
		pr_err("%s: must be %u..%u\n", kp->name, t->min, t->max);
		return -EINVAL;
	}
	WRITE_ONCE(t->val, v);
	t->apply(v);
	return 0;
}

static int psteer_tunable_get(char *buf, const struct kernel_param *kp)
{
	const struct psteer_tunable *t = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(t->val));
}

static const struct kernel_param_ops psteer_tunable_ops = {
	.set	= psteer_tunable_set,
	.get	= psteer_tunable_get,
};

static void psteer_apply_queue_len(unsigned int v)
{
	if (psteer_tbl)
		WRITE_ONCE(psteer_tbl->queue_len, v);
}

static void psteer_apply_quantum(unsigned int v)
{
	if (psteer_tbl)
		WRITE_ONCE(psteer_tbl->quantum, v);
}

static void psteer_apply_backlog_len(unsigned int v)
{
	if (psteer_tbl)
		WRITE_ONCE(psteer_tbl->backlog_len, v);
}

static void psteer_apply_control(unsigned int v)
{
	psteer_ctl_reschedule();
}

static struct psteer_tunable queue_len = {
	1024, 1, PSTEER_MAX_QUEUE_LEN, psteer_apply_queue_len
};
module_param_cb(queue_len, &psteer_tunable_ops, &queue_len, 0644);
MODULE_PARM_DESC(queue_len, "Packets a bucket may queue before drops, 1..65536 (default 1024; writable at run time)");

static struct psteer_tunable backlog_len = {
	PSTEER_DEFAULT_BACKLOG, 1, PSTEER_MAX_BACKLOG, psteer_apply_backlog_len
};
module_param_cb(backlog_len, &psteer_tunable_ops, &backlog_len, 0644);
MODULE_PARM_DESC(backlog_len, "Packets queued for one CPU, all its buckets together, before drops, 1..16777216 (default 16384; writable at run time)");

static struct psteer_tunable quantum = {
	PSTEER_DEFAULT_QUANTUM, 0, PSTEER_MAX_QUANTUM, psteer_apply_quantum
};
module_param_cb(quantum, &psteer_tunable_ops, &quantum, 0644);
MODULE_PARM_DESC(quantum, "Bytes a bucket may deliver per deficit round robin turn, 0..1048576; 0 = FIFO, a bucket delivers all it has (default 6056; writable at run time)");

static struct psteer_tunable rebalance_ms = {
	100, 0, 60000, psteer_apply_control
};
module_param_cb(rebalance_ms, &psteer_tunable_ops, &rebalance_ms, 0644);
MODULE_PARM_DESC(rebalance_ms, "Milliseconds between rebalancing rounds, 0..60000, 0 = off (default 100)");

static struct psteer_tunable sample_ms = {
	50, 10, 60000, psteer_apply_control
};
module_param_cb(sample_ms, &psteer_tunable_ops, &sample_ms, 0644);
MODULE_PARM_DESC(sample_ms, "Milliseconds between load samples, 10..60000 (default 50)");

static struct psteer_tunable imbalance_threshold = {
	20, 0, 1000, psteer_apply_control
};
module_param_cb(imbalance_threshold, &psteer_tunable_ops,
		&imbalance_threshold, 0644);
MODULE_PARM_DESC(imbalance_threshold, "Dead band in per mille of a CPU: a CPU less than this above the mean sheds nothing, 0..1000 (default 20)");

static struct psteer_tunable max_moves = {
	0, 0, PSTEER_MAX_BUCKETS, psteer_apply_control
};
module_param_cb(max_moves, &psteer_tunable_ops, &max_moves, 0644);
MODULE_PARM_DESC(max_moves, "Most buckets moved per rebalancing round, 0..65536; 0 (default) = nbuckets/8 within 32..2048");

static void psteer_apply_timeouts(unsigned int v)
{
	/* Under kernel_param_lock, as the table's publication. */
	if (psteer_conns)
		psteer_param_conn_timeouts(psteer_conns);
}

static void psteer_apply_nothing(unsigned int v)
{
}

static struct psteer_tunable timer_ms = {
	100, 10, 60000, psteer_apply_nothing
};
module_param_cb(timer_ms, &psteer_tunable_ops, &timer_ms, 0644);
MODULE_PARM_DESC(timer_ms, "Milliseconds between passes of each CPU's timer thread over its buckets' connections, 10..60000 (default 100)");

static struct psteer_tunable conn_timeout_tcp = {
	300, 1, PSTEER_CONN_MAX_TIMEOUT, psteer_apply_timeouts
};
module_param_cb(conn_timeout_tcp, &psteer_tunable_ops, &conn_timeout_tcp,
		0644);
MODULE_PARM_DESC(conn_timeout_tcp, "Seconds a TCP connection may idle before it expires, 1..86400 (default 300)");

static struct psteer_tunable conn_timeout_udp = {
	30, 1, PSTEER_CONN_MAX_TIMEOUT, psteer_apply_timeouts
};
module_param_cb(conn_timeout_udp, &psteer_tunable_ops, &conn_timeout_udp,
		0644);
MODULE_PARM_DESC(conn_timeout_udp, "Seconds a UDP flow may idle before it expires, 1..86400 (default 30)");

static struct psteer_tunable conn_timeout_other = {
	30, 1, PSTEER_CONN_MAX_TIMEOUT, psteer_apply_timeouts
};
module_param_cb(conn_timeout_other, &psteer_tunable_ops, &conn_timeout_other,
		0644);
MODULE_PARM_DESC(conn_timeout_other, "Seconds a flow of another protocol may idle before it expires, 1..86400 (default 30)");

static struct psteer_tunable conn_timeout_closing = {
	PSTEER_CONN_CLOSING_TIMEOUT, 1, PSTEER_CONN_MAX_TIMEOUT,
	psteer_apply_timeouts
};
module_param_cb(conn_timeout_closing, &psteer_tunable_ops,
		&conn_timeout_closing, 0644);
MODULE_PARM_DESC(conn_timeout_closing, "Seconds a TCP connection may idle after a FIN or RST before it expires, 1..86400 (default 10)");

/**
 * psteer_param_conn_timeouts() - give @ct the configured timeouts
 * @ct: connection table
 *
 * Context: kernel_param_lock(THIS_MODULE) held, or @ct not yet published.
 */
void psteer_param_conn_timeouts(struct psteer_conntab *ct)
{
	WRITE_ONCE(ct->timeout[PSTEER_CONN_TCP],
		   READ_ONCE(conn_timeout_tcp.val) * HZ);
	WRITE_ONCE(ct->timeout[PSTEER_CONN_UDP],
		   READ_ONCE(conn_timeout_udp.val) * HZ);
	WRITE_ONCE(ct->timeout[PSTEER_CONN_OTHER],
		   READ_ONCE(conn_timeout_other.val) * HZ);
	WRITE_ONCE(ct->timeout[PSTEER_CONN_CLOSING],
		   READ_ONCE(conn_timeout_closing.val) * HZ);
}

unsigned int psteer_param_timer_ms(void)
{
	return READ_ONCE(timer_ms.val);
}

unsigned int psteer_param_rebalance_ms(void)
{
	return READ_ONCE(rebalance_ms.val);
}

unsigned int psteer_param_sample_ms(void)
{
	return READ_ONCE(sample_ms.val);
}

u32 psteer_param_threshold_ppm(void)
{
	return READ_ONCE(imbalance_threshold.val) * (PSTEER_RB_FULL / 1000);
}

/*
 * Converging from the round-robin table moves 10-20% of the buckets
 * (scripts/sim/): an eighth per round converges in a few rounds, and
 * 2048 keeps a round of a 65536-bucket table under a millisecond.
 */
u32 psteer_param_max_moves(u32 nbuckets)
{
	u32 v = READ_ONCE(max_moves.val);

	return v ? v : clamp(nbuckets / 8, 32U, 2048U);
}

struct cpumask psteer_cpus;

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

static int psteer_params_cpus(void)
{
	if (!cpus || !*cpus) {
		cpumask_copy(&psteer_cpus, cpu_online_mask);
		return 0;
	}
	if (cpulist_parse(cpus, &psteer_cpus) || cpumask_empty(&psteer_cpus) ||
	    !cpumask_subset(&psteer_cpus, cpu_online_mask)) {
		pr_err("cpus=%s: must be a non-empty cpulist of online CPUs (online: %*pbl)\n",
		       cpus, cpumask_pr_args(cpu_online_mask));
		return -EINVAL;
	}
	return 0;
}

/**
 * psteer_params_load() - validate the load-time parameters
 *
 * Fills psteer_cpus and psteer_hash (drawing the siphash key).
 *
 * Context: module init.
 * Return: 0, or -EINVAL after one pr_err() naming the parameter.
 */
int psteer_params_load(void)
{
	if (!nbuckets || nbuckets > PSTEER_MAX_BUCKETS) {
		pr_err("nbuckets=%u: must be 1..%u\n", nbuckets,
		       PSTEER_MAX_BUCKETS);
		return -EINVAL;
	}
	if (psteer_params_cpus())
		return -EINVAL;
	if (max_conns > PSTEER_MAX_CONNS) {
		pr_err("max_conns=%u: must be 0..%u\n", max_conns,
		       PSTEER_MAX_CONNS);
		return -EINVAL;
	}
	if (psteer_parse_hash(hash, &psteer_hash.alg)) {
		pr_err("hash=%s: must be siphash or toeplitz\n", hash);
		return -EINVAL;
	}
	memcpy(psteer_hash.rss_key, psteer_default_rss_key,
	       PSTEER_RSS_KEY_LEN);
	if (rss_key && psteer_parse_rss_key(rss_key, psteer_hash.rss_key)) {
		pr_err("rss_key=%s: must be %u bytes as hex digits, optionally colon-separated\n",
		       rss_key, PSTEER_RSS_KEY_LEN);
		return -EINVAL;
	}
	psteer_hash.symmetric = symmetric;
	get_random_bytes(&psteer_hash.sipkey, sizeof(psteer_hash.sipkey));
	return 0;
}

/* The values psteer_params_load() accepted. */
u32 psteer_param_nbuckets(void)
{
	return nbuckets;
}

u32 psteer_param_queue_len(void)
{
	return READ_ONCE(queue_len.val);
}

u32 psteer_param_backlog_len(void)
{
	return READ_ONCE(backlog_len.val);
}

u32 psteer_param_max_conns(void)
{
	return max_conns;
}

u32 psteer_param_quantum(void)
{
	return READ_ONCE(quantum.val);
}
