// SPDX-License-Identifier: GPL-2.0
/*
 * psteer: steer received packets over CPUs by hash bucket.
 *
 * Module init is a ladder that unwinds in reverse; exit is its mirror.
 */

#include <linux/module.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "control.h"
#include "psteer.h"

struct psteer_table *psteer_tbl;
struct psteer_conntab *psteer_conns;
struct psteer_hash_cfg psteer_hash;
unsigned int psteer_net_id;

static int __net_init psteer_net_init(struct net *net)
{
	int err;

	err = psteer_hook_net_init(net);
	if (err)
		return err;
	err = psteer_proc_net_init(net);
	if (err)
		psteer_hook_net_exit(net);
	return err;
}

static void __net_exit psteer_net_exit(struct net *net)
{
	psteer_proc_net_exit(net);
	psteer_hook_net_exit(net);
}

static struct pernet_operations psteer_net_ops = {
	.init	= psteer_net_init,
	.exit	= psteer_net_exit,
	.id	= &psteer_net_id,
	.size	= sizeof(struct psteer_net),
};

/*
 * Publishes (or withdraws) the live table. Under kernel_param_lock, so a
 * write of queue_len, quantum or backlog_len lands either in the table or
 * before it exists, where the table takes it from here.
 */
static void psteer_set_table(struct psteer_table *tbl)
{
	kernel_param_lock(THIS_MODULE);
	if (tbl) {
		tbl->queue_len = psteer_param_queue_len();
		tbl->quantum = psteer_param_quantum();
		tbl->backlog_len = psteer_param_backlog_len();
	}
	psteer_tbl = tbl;
	kernel_param_unlock(THIS_MODULE);
}

/* Publishes (or withdraws) the connection table, as psteer_set_table(). */
static void psteer_set_conns(struct psteer_conntab *ct)
{
	kernel_param_lock(THIS_MODULE);
	if (ct)
		psteer_param_conn_timeouts(ct);
	psteer_conns = ct;
	kernel_param_unlock(THIS_MODULE);
}

/* The connection table and its timer threads, unless max_conns is 0. */
static int psteer_conntab_start(struct psteer_table *tbl)
{
	struct psteer_conntab *ct;
	int err;

	if (!psteer_param_max_conns())
		return 0;
	ct = psteer_conntab_create(tbl->nbuckets, psteer_param_max_conns());
	if (IS_ERR(ct))
		return PTR_ERR(ct);
	ct->rehash = psteer_hash.alg != PSTEER_HASH_SIPHASH;
	err = psteer_timers_start(tbl, ct);
	if (err) {
		psteer_conntab_destroy(ct);
		return err;
	}
	psteer_set_conns(ct);
	return 0;
}

/* After the hooks and CPU hotplug callbacks are gone. */
static void psteer_conntab_stop(void)
{
	struct psteer_conntab *ct = psteer_conns;

	psteer_timers_stop();
	psteer_set_conns(NULL);
	if (ct)
		psteer_conntab_destroy(ct);
}

static int __init psteer_init(void)
{
	struct psteer_table *tbl;
	int err;

	err = psteer_params_load();
	if (err)
		return err;
	err = psteer_conn_cache_init();
	if (err)
		return err;
	tbl = psteer_table_create(psteer_param_nbuckets(), &psteer_cpus,
				  psteer_param_queue_len(), &psteer_live_ops);
	if (IS_ERR(tbl)) {
		err = PTR_ERR(tbl);
		goto err_cache;
	}
	err = psteer_napi_start(tbl);
	if (err)
		goto err_table;
	psteer_set_table(tbl);
	/* Before the control path, which reads its connection counts. */
	err = psteer_conntab_start(tbl);
	if (err)
		goto err_napi;
	err = psteer_ctl_start(tbl);
	if (err)
		goto err_conns;
	err = psteer_hotplug_start();
	if (err)
		goto err_ctl;
	err = psteer_hook_init();
	if (err)
		goto err_hotplug;
	err = register_pernet_subsys(&psteer_net_ops);
	if (err)
		goto err_hook;
	pr_info("steering over %u buckets owned by CPUs %*pbl, hash %s%s\n",
		tbl->nbuckets, cpumask_pr_args(tbl->cpus),
		psteer_hash.alg == PSTEER_HASH_TOEPLITZ ? "toeplitz" : "siphash",
		psteer_hash.symmetric ? " (symmetric)" : "");
	return 0;

err_hook:
	psteer_hook_exit();
err_hotplug:
	psteer_hotplug_stop();
err_ctl:
	psteer_ctl_stop();
err_conns:
	psteer_conntab_stop();
err_napi:
	psteer_set_table(NULL);
	psteer_napi_stop(tbl);
err_table:
	psteer_table_destroy(tbl);
err_cache:
	psteer_conn_cache_exit();
	return err;
}

static void __exit psteer_exit(void)
{
	struct psteer_table *tbl = psteer_tbl;

	unregister_pernet_subsys(&psteer_net_ops);
	psteer_hook_exit();
	psteer_hotplug_stop();
	psteer_ctl_stop();
	psteer_conntab_stop();
	psteer_set_table(NULL);
	psteer_napi_stop(tbl);
	psteer_table_destroy(tbl);
	psteer_conn_cache_exit();
}

module_init(psteer_init);
module_exit(psteer_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("psteer developers");
MODULE_DESCRIPTION("Steer received packets over CPUs by hash bucket");
