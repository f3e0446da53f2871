// SPDX-License-Identifier: GPL-2.0
/*
 * The softirq engine of the live table: one NAPI instance per CPU, on a
 * dummy netdev, as RPS's backlog is one per CPU. A CPU whose ready list
 * gains a bucket is kicked once: from itself by napi_schedule(), from
 * another CPU by an IPI whose handler does that (as RPS does with
 * rps_trigger_softirq). Its poll runs psteer_drain() in NET_RX softirq,
 * with the NAPI budget, and gives the CPU back when the budget is spent.
 */

#include <linux/lockdep.h>
#include <linux/smp.h>

#include "compat.h"
#include "table.h"

/* IPI handler, hard interrupt context on the target CPU. */
static void psteer_napi_ipi(void *info)
{
	struct psteer_cpu *pc = info;

	napi_schedule(&pc->napi);
}

/*
 * NAPI poll, NET_RX softirq. If a producer kicks between psteer_drain()
 * clearing pc->kicked and napi_complete_done(), napi_schedule() finds the
 * instance still scheduled and marks it missed; napi_complete_done() then
 * reschedules it, so no wake-up is lost.
 */
static int psteer_napi_poll(struct napi_struct *napi, int budget)
{
	struct psteer_cpu *pc = container_of(napi, struct psteer_cpu, napi);
	int done;

	done = psteer_drain(pc->tbl, pc->cpu, budget);
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

/**
 * psteer_napi_kick() - make @cpu drain its ready buckets
 * @tbl: the live table
 * @cpu: the CPU to kick
 *
 * Context: softirq or BHs disabled.
 */
void psteer_napi_kick(struct psteer_table *tbl, int cpu)
{
	struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

	lockdep_assert_in_softirq();
	if (cpu == smp_processor_id()) {
		napi_schedule(&pc->napi);
		return;
	}
	/*
	 * -EBUSY means this csd's IPI has not run yet: it will schedule the
	 * NAPI, which then sees the bucket, so nothing is lost.
	 */
	smp_call_function_single_async(cpu, &pc->csd);
}

/**
 * psteer_napi_start() - create and enable a NAPI instance per CPU
 * @tbl: the live table
 *
 * Context: process.
 * Return: 0 or -ENOMEM.
 */
int psteer_napi_start(struct psteer_table *tbl)
{
	int cpu;

	tbl->napi_dev = psteer_alloc_dummy_netdev();
	if (!tbl->napi_dev)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

		INIT_CSD(&pc->csd, psteer_napi_ipi, pc);
		netif_napi_add(tbl->napi_dev, &pc->napi, psteer_napi_poll);
		napi_enable(&pc->napi);
	}
	return 0;
}

static void psteer_napi_nop(void *info)
{
}

/**
 * psteer_napi_stop() - disable and delete the NAPI instances
 * @tbl: the live table; nothing may enqueue any more
 *
 * Context: process, may sleep.
 */
void psteer_napi_stop(struct psteer_table *tbl)
{
	int cpu;

	for_each_possible_cpu(cpu)
		napi_disable(&per_cpu_ptr(tbl->pcpu, cpu)->napi);
	/*
	 * A kick IPI may still be queued; its handler is in this module.
	 * A CPU runs its queued calls in batches, synchronous ones first, so
	 * one round can return while an older asynchronous call of the same
	 * batch waits; a second round is queued only after that batch was
	 * taken, and completes only after it ran.
	 */
	on_each_cpu(psteer_napi_nop, NULL, 1);
	on_each_cpu(psteer_napi_nop, NULL, 1);
	for_each_possible_cpu(cpu)
		__netif_napi_del(&per_cpu_ptr(tbl->pcpu, cpu)->napi);
	synchronize_net();
	psteer_free_dummy_netdev(tbl->napi_dev);
	tbl->napi_dev = NULL;
}
