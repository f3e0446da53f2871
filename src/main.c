// SPDX-License-Identifier: GPL-2.0
/*
 * psteer: steer received packets over CPUs by hash bucket.
 *
 * This file holds the module (struct psteer, the one global) and wires its
 * parts together: module init is a ladder that unwinds in reverse, exit is
 * its mirror; the tunables' writes are applied here; the callbacks that
 * the kernel calls with no context of ours (pernet, CPU hotplug) pass the
 * module on from here.
 */

#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "params.h"
#include "psteer.h"

static struct psteer psteer;

/* The live table's ops: deliver resumes netfilter, kick raises NAPI. */
static const struct psteer_table_ops psteer_live_ops = {
	.deliver	= psteer_deliver,
	.kick		= psteer_napi_kick,
};

static void psteer_apply_timeouts(struct psteer_conntab *ct)
{
	enum psteer_conn_class k;

	for (k = 0; k < PSTEER_CONN_NCLASS; k++)
		psteer_conntab_set_timeout(ct, k, psteer_param_conn_timeout(k));
}

/*
 * A tunable was written (src/params.c), or a part it applies to was just
 * published: bring that part up to date. Called with
 * kernel_param_lock(THIS_MODULE) held, which also guards publication.
 */
static void psteer_apply(enum psteer_knob knob)
{
	struct psteer_table *tbl = psteer.tbl;

	switch (knob) {
	case PSTEER_KNOB_QUEUE_LEN:
		if (tbl)
			WRITE_ONCE(tbl->queue_len, psteer_param_queue_len());
		break;
	case PSTEER_KNOB_BACKLOG_LEN:
		if (tbl)
			WRITE_ONCE(tbl->backlog_len, psteer_param_backlog_len());
		break;
	case PSTEER_KNOB_QUEUE_BYTES:
		if (tbl)
			WRITE_ONCE(tbl->queue_bytes, psteer_param_queue_bytes());
		break;
	case PSTEER_KNOB_BACKLOG_BYTES:
		if (tbl)
			WRITE_ONCE(tbl->backlog_bytes,
				   psteer_param_backlog_bytes());
		break;
	case PSTEER_KNOB_QUANTUM:
		if (tbl)
			WRITE_ONCE(tbl->quantum, psteer_param_quantum());
		break;
	case PSTEER_KNOB_CONTROL:
		if (psteer.ctl)
			psteer_ctl_reschedule(psteer.ctl);
		break;
	case PSTEER_KNOB_CONN_TIMEOUT:
		/* A thread may sleep as long as the shortest timeout was. */
		if (psteer.conns) {
			psteer_apply_timeouts(psteer.conns);
			psteer_timers_wake(psteer.timers);
		}
		break;
	case PSTEER_KNOB_TIMER_MS:
		/* Each timer thread reads it before it sleeps: from now on. */
		if (psteer.conns)
			psteer_timers_wake(psteer.timers);
		break;
	case PSTEER_KNOB_HW_CONNS:
		/* Read per packet by the hook, which stamps its choice on it. */
		WRITE_ONCE(psteer.hw_conns, psteer_param_hw_conns());
		break;
	case PSTEER_KNOB_NONE:
		break;
	}
}

/* Publishes (or withdraws) the live table with the current tunables. */
static void psteer_set_table(struct psteer_table *tbl)
{
	kernel_param_lock(THIS_MODULE);
	psteer.tbl = tbl;
	psteer_apply(PSTEER_KNOB_QUEUE_LEN);
	psteer_apply(PSTEER_KNOB_BACKLOG_LEN);
	psteer_apply(PSTEER_KNOB_QUEUE_BYTES);
	psteer_apply(PSTEER_KNOB_BACKLOG_BYTES);
	psteer_apply(PSTEER_KNOB_QUANTUM);
	kernel_param_unlock(THIS_MODULE);
}

/* Publishes (or withdraws) the connection table, as psteer_set_table(). */
static void psteer_set_conns(struct psteer_conntab *ct)
{
	kernel_param_lock(THIS_MODULE);
	psteer.conns = ct;
	psteer_apply(PSTEER_KNOB_CONN_TIMEOUT);
	psteer_apply(PSTEER_KNOB_HW_CONNS);
	kernel_param_unlock(THIS_MODULE);
}

/* Publishes (or withdraws) the control state; publishing starts its works. */
static void psteer_set_ctl(struct psteer_ctl *ctl)
{
	kernel_param_lock(THIS_MODULE);
	psteer.ctl = ctl;
	psteer_apply(PSTEER_KNOB_CONTROL);
	kernel_param_unlock(THIS_MODULE);
}

/* The connection table and its timer threads, unless max_conns is 0. */
static int psteer_conntab_start(struct psteer_table *tbl, u32 max_conns)
{
	struct psteer_timers *timers;
	struct psteer_conntab *ct;

	if (!max_conns)
		return 0;
	ct = psteer_conntab_create(tbl->nbuckets, max_conns, "psteer_conn");
	if (IS_ERR(ct))
		return PTR_ERR(ct);
	timers = psteer_timers_start(tbl, ct);
	if (IS_ERR(timers)) {
		psteer_conntab_destroy(ct);
		return PTR_ERR(timers);
	}
	psteer.timers = timers;
	psteer_set_conns(ct);
	return 0;
}

/* After the hooks and CPU hotplug callbacks are gone. */
static void psteer_conntab_stop(void)
{
	struct psteer_conntab *ct = psteer.conns;

	if (!ct)
		return;
	/* Withdrawn first: a timeout written now wakes no thread. */
	psteer_set_conns(NULL);
	psteer_timers_stop(psteer.timers);
	psteer.timers = NULL;
	psteer_conntab_destroy(ct);
}

static int psteer_ctl_start(struct psteer_table *tbl)
{
	struct psteer_ctl *ctl = psteer_ctl_create(tbl, psteer.conns);

	if (!ctl)
		return -ENOMEM;
	ctl->timers = psteer.timers;
	psteer_set_ctl(ctl);
	return 0;
}

static void psteer_ctl_stop(void)
{
	struct psteer_ctl *ctl = psteer.ctl;

	psteer_set_ctl(NULL);
	psteer_ctl_destroy(ctl);
}

static int psteer_cpu_online(unsigned int cpu)
{
	return psteer_hotplug_online(&psteer, cpu);
}

static int psteer_cpu_offline(unsigned int cpu)
{
	return psteer_hotplug_offline(&psteer, cpu);
}

static int __net_init psteer_net_init(struct net *net)
{
	int err;

	err = psteer_hook_net_init(&psteer, net);
	if (err)
		return err;
	err = psteer_proc_net_init(&psteer, net);
	if (err)
		psteer_hook_net_undo(&psteer, net);
	return err;
}

/*
 * A namespace's exit in three steps, so that a batch of exiting
 * namespaces costs psteer no grace period and one walk of its tables
 * (src/hook.c): hooks off; after the core's grace period, /proc gone;
 * packets, connections and counters freed for the whole batch.
 */
static void __net_exit psteer_net_pre_exit(struct net *net)
{
	psteer_hook_net_pre_exit(&psteer, net);
}

static void __net_exit psteer_net_exit(struct net *net)
{
	psteer_proc_net_exit(net);
}

static void __net_exit psteer_net_exit_batch(struct list_head *list)
{
	psteer_hook_net_exit_batch(&psteer, list);
}

static struct pernet_operations psteer_net_ops = {
	.init		= psteer_net_init,
	.pre_exit	= psteer_net_pre_exit,
	.exit		= psteer_net_exit,
	.exit_batch	= psteer_net_exit_batch,
	.id		= &psteer.net_id,
	.size		= sizeof(struct psteer_net),
};

/* The bucket table over @p's CPUs, with its NAPI instances, published. */
static struct psteer_table *psteer_table_start(const struct psteer_load_params *p,
					       const struct cpumask *cpus)
{
	struct psteer_table *tbl;
	int err;

	tbl = psteer_table_create(p->nbuckets, cpus, psteer_param_queue_len(),
				  &psteer_live_ops);
	if (IS_ERR(tbl))
		return tbl;
	tbl->priv = &psteer;
	err = psteer_napi_start(tbl);
	if (err) {
		psteer_table_destroy(tbl);
		return ERR_PTR(err);
	}
	psteer_set_table(tbl);
	return tbl;
}

static void psteer_table_stop(void)
{
	struct psteer_table *tbl = psteer.tbl;

	psteer_set_table(NULL);
	psteer_napi_stop(tbl);
	psteer_table_destroy(tbl);
}

/* Validates the parameters into @p and @cpus, and sets the hash up. */
static int psteer_load(struct psteer_load_params *p, struct cpumask *cpus)
{
	int err;

	memcpy(p->hash.rss_key, psteer_default_rss_key, PSTEER_RSS_KEY_LEN);
	err = psteer_params_load(p, cpus);
	if (err)
		return err;
	get_random_bytes(&p->hash.sipkey, sizeof(p->hash.sipkey));
	if (p->hash.alg == PSTEER_HASH_TOEPLITZ) {
		psteer.toeplitz = kvmalloc_obj(*psteer.toeplitz, GFP_KERNEL);
		if (!psteer.toeplitz)
			return -ENOMEM;
		psteer_toeplitz_table_init(psteer.toeplitz, p->hash.rss_key);
		p->hash.table = psteer.toeplitz;
	}
	psteer.hash = p->hash;
	return 0;
}

static int __init psteer_init(void)
{
	struct psteer_load_params p = {};
	struct psteer_table *tbl;
	cpumask_var_t cpus;
	int err;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	err = psteer_load(&p, cpus);
	if (err)
		goto err_cpus;
	psteer_params_watch(psteer_apply);
	tbl = psteer_table_start(&p, cpus);
	if (IS_ERR(tbl)) {
		err = PTR_ERR(tbl);
		goto err_watch;
	}
	/* Before the control path, which reads its connection counts. */
	err = psteer_conntab_start(tbl, p.max_conns);
	if (err)
		goto err_table;
	err = psteer_ctl_start(tbl);
	if (err)
		goto err_conns;
	err = psteer_hotplug_start(&psteer, psteer_cpu_online,
				   psteer_cpu_offline);
	if (err)
		goto err_ctl;
	psteer_nic_init(&psteer);
	err = psteer_hook_init(&psteer);
	if (err)
		goto err_hotplug;
	err = register_pernet_subsys(&psteer_net_ops);
	if (err)
		goto err_hook;
	/* Once every namespace is set up: cpus walks them all. */
	err = psteer_proc_init(&psteer);
	if (err)
		goto err_pernet;
	pr_info("steering over %u buckets owned by CPUs %*pbl, hash %s%s\n",
		tbl->nbuckets, cpumask_pr_args(tbl->cpus),
		psteer.hash.alg == PSTEER_HASH_TOEPLITZ ? "toeplitz" : "siphash",
		psteer.hash.symmetric ? " (symmetric)" : "");
	free_cpumask_var(cpus);
	return 0;

err_pernet:
	unregister_pernet_subsys(&psteer_net_ops);
	psteer_nic_exit(&psteer);
err_hook:
	psteer_hook_exit(&psteer);
err_hotplug:
	psteer_hotplug_stop(&psteer);
err_ctl:
	psteer_ctl_stop();
err_conns:
	psteer_conntab_stop();
err_table:
	psteer_table_stop();
err_watch:
	psteer_params_watch(NULL);
	kvfree(psteer.toeplitz);
err_cpus:
	free_cpumask_var(cpus);
	return err;
}

static void __exit psteer_exit(void)
{
	psteer_proc_exit(&psteer);
	unregister_pernet_subsys(&psteer_net_ops);
	/*
	 * Every driven table written back: the namespaces' hooks are gone
	 * already; the device notifier and the bucket table go after.
	 */
	psteer_nic_exit(&psteer);
	psteer_hook_exit(&psteer);
	psteer_hotplug_stop(&psteer);
	psteer_ctl_stop();
	psteer_conntab_stop();
	psteer_table_stop();
	psteer_params_watch(NULL);
	kvfree(psteer.toeplitz);
}

module_init(psteer_init);
module_exit(psteer_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("psteer developers");
MODULE_DESCRIPTION("Steer received packets over CPUs by hash bucket");
