// SPDX-License-Identifier: GPL-2.0
/*
 * Timer threads (claims 13, 16): one kernel thread per CPU of the set,
 * psteer_timer/N, bound to CPU N. Every timer_ms it expires the idle
 * connections of the buckets its CPU owns, and only those: each bucket
 * is assigned to one CPU's timer thread by the rebalancer's workload
 * decisions, and all the threads run at once on their own CPUs.
 *
 * A thread is created parked; CPU hotplug (src/hotplug.c) unparks it
 * while its CPU is online and parks it before its CPU goes down, as the
 * kernel's own per-CPU threads (smpboot) do.
 */

#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "conn.h"

static struct task_struct **psteer_timer_tasks;
static struct psteer_table *psteer_timer_tbl;
static struct psteer_conntab *psteer_timer_ct;

static int psteer_timer_fn(void *arg)
{
	int cpu = (long)arg;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			continue;
		}
		psteer_conn_pass(psteer_timer_ct, psteer_timer_tbl, cpu,
				 jiffies);
		/* Checked after the state change, so no wake-up is lost. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop() || kthread_should_park()) {
			__set_current_state(TASK_RUNNING);
			continue;
		}
		schedule_timeout(msecs_to_jiffies(psteer_param_timer_ms()));
	}
	return 0;
}

/**
 * psteer_timers_start() - create a parked timer thread per CPU of the set
 * @tbl: the live table (who owns which bucket)
 * @ct: the connection table
 *
 * Context: process (module init), before CPU hotplug callbacks exist.
 * Return: 0 or a negative errno; nothing is left on failure.
 */
int psteer_timers_start(struct psteer_table *tbl, struct psteer_conntab *ct)
{
	int cpu;

	psteer_timer_tasks = kcalloc(nr_cpu_ids, sizeof(*psteer_timer_tasks),
				     GFP_KERNEL);
	if (!psteer_timer_tasks)
		return -ENOMEM;
	psteer_timer_tbl = tbl;
	psteer_timer_ct = ct;
	for_each_cpu(cpu, tbl->cpus) {
		struct task_struct *t;

		t = kthread_create_on_cpu(psteer_timer_fn, (void *)(long)cpu,
					  cpu, "psteer_timer/%u");
		if (IS_ERR(t)) {
			psteer_timers_stop();
			return PTR_ERR(t);
		}
		kthread_park(t);
		psteer_timer_tasks[cpu] = t;
	}
	return 0;
}

/**
 * psteer_timers_stop() - stop every timer thread
 *
 * Context: process, after the CPU hotplug callbacks are gone.
 */
void psteer_timers_stop(void)
{
	int cpu;

	if (!psteer_timer_tasks)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (psteer_timer_tasks[cpu])
			kthread_stop(psteer_timer_tasks[cpu]);
	kfree(psteer_timer_tasks);
	psteer_timer_tasks = NULL;
}

/**
 * psteer_timer_park() - stop @cpu's timer thread until psteer_timer_unpark()
 * @cpu: a CPU of the set
 *
 * Context: process (CPU hotplug, before @cpu goes down).
 */
void psteer_timer_park(int cpu)
{
	if (psteer_timer_tasks && psteer_timer_tasks[cpu])
		kthread_park(psteer_timer_tasks[cpu]);
}

/**
 * psteer_timer_unpark() - let @cpu's timer thread run on @cpu
 * @cpu: an online CPU of the set
 *
 * Context: process (CPU hotplug).
 */
void psteer_timer_unpark(int cpu)
{
	struct task_struct *t;

	if (!psteer_timer_tasks || !psteer_timer_tasks[cpu])
		return;
	t = psteer_timer_tasks[cpu];
	/*
	 * kthread_unpark() rebinds only the kernel's own per-CPU threads
	 * (KTHREAD_IS_PER_CPU, not available to modules); ours may have
	 * been pushed off its CPU while it went down. Bind it again while
	 * it is parked, before it runs.
	 */
	set_cpus_allowed_ptr(t, cpumask_of(cpu));
	kthread_unpark(t);
}
