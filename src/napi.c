// SPDX-License-Identifier: GPL-2.0
/*
 * The softirq engine of the live table: one NAPI instance per CPU, on a
 * dummy netdev, as RPS's backlog is one per CPU. A CPU whose ready list
 * gains a bucket is kicked once: from itself by napi_schedule(), from
 * another CPU by an IPI whose handler does that (as RPS does with
 * rps_trigger_softirq). Its poll runs psteer_drain() in NET_RX softirq,
 * with the NAPI budget, and gives the CPU back when the budget is spent.
 *
 * PREEMPT_RT raises no NET_RX from hard interrupt context: a call function
 * run by a polling idle CPU must leave no softirq pending (the kernel warns
 * in do_softirq_post_smp_call_flush()), and from an IPI every drain would
 * go to ksoftirqd. There, as RPS does with its backlog threads
 * (net/core/dev.c, use_backlog_threads()), a remote kick wakes a per-CPU
 * thread, "psteer/N", that schedules the NAPI instance of its CPU with BHs
 * disabled: the poll runs in that thread at local_bh_enable().
 */

#include <linux/lockdep.h>
#include <linux/smp.h>
#include <linux/smpboot.h>

#include "compat.h"
#include "table.h"

#ifdef CONFIG_PREEMPT_RT
/* The live table whose CPUs the threads kick (one table is live). */
static struct psteer_table *psteer_napi_tbl;
static DEFINE_PER_CPU(struct task_struct *, psteer_napi_task);

static int psteer_napi_thread_should_run(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(psteer_napi_tbl->pcpu, cpu)->wake);
}

/* Per-CPU thread, bound to @cpu, preemptible. */
static void psteer_napi_thread(unsigned int cpu)
{
	struct psteer_cpu *pc = per_cpu_ptr(psteer_napi_tbl->pcpu, cpu);

	WRITE_ONCE(pc->wake, false);
	local_bh_disable();
	napi_schedule(&pc->napi);
	local_bh_enable();
}

static struct smp_hotplug_thread psteer_napi_threads = {
	.store			= &psteer_napi_task,
	.thread_should_run	= psteer_napi_thread_should_run,
	.thread_fn		= psteer_napi_thread,
	.thread_comm		= "psteer/%u",
};

static void psteer_napi_kick_remote(struct psteer_cpu *pc)
{
	/* Set before the wake-up, which orders it before the state test. */
	WRITE_ONCE(pc->wake, true);
	wake_up_process(per_cpu(psteer_napi_task, pc->cpu));
}

static int psteer_napi_threads_start(struct psteer_table *tbl)
{
	psteer_napi_tbl = tbl;
	return smpboot_register_percpu_thread(&psteer_napi_threads);
}

static void psteer_napi_threads_stop(void)
{
	smpboot_unregister_percpu_thread(&psteer_napi_threads);
}
#else
/* IPI handler, hard interrupt context on the target CPU. */
static void psteer_napi_ipi(void *info)
{
	struct psteer_cpu *pc = info;

	napi_schedule(&pc->napi);
}

static void psteer_napi_kick_remote(struct psteer_cpu *pc)
{
	/*
	 * -EBUSY means this csd's IPI has not run yet: it will schedule the
	 * NAPI, which then sees the bucket, so nothing is lost.
	 */
	smp_call_function_single_async(pc->cpu, &pc->csd);
}

static int psteer_napi_threads_start(struct psteer_table *tbl)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

		INIT_CSD(&pc->csd, psteer_napi_ipi, pc);
	}
	return 0;
}

static void psteer_napi_threads_stop(void)
{
}
#endif

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
	if (cpu == smp_processor_id())
		napi_schedule(&pc->napi);
	else
		psteer_napi_kick_remote(pc);
}

/**
 * psteer_napi_start() - create and enable a NAPI instance per CPU
 * @tbl: the live table
 *
 * Context: process.
 * Return: 0, -ENOMEM, or the error of creating the PREEMPT_RT threads.
 */
int psteer_napi_start(struct psteer_table *tbl)
{
	int cpu, err;

	tbl->napi_dev = psteer_alloc_dummy_netdev();
	if (!tbl->napi_dev)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

		netif_napi_add(tbl->napi_dev, &pc->napi, psteer_napi_poll);
		napi_enable(&pc->napi);
	}
	err = psteer_napi_threads_start(tbl);
	if (err) {
		for_each_possible_cpu(cpu) {
			struct psteer_cpu *pc = per_cpu_ptr(tbl->pcpu, cpu);

			napi_disable(&pc->napi);
			__netif_napi_del(&pc->napi);
		}
		synchronize_net();
		psteer_free_dummy_netdev(tbl->napi_dev);
		tbl->napi_dev = NULL;
	}
	return err;
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

	psteer_napi_threads_stop();
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
