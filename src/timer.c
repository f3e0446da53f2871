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
#include <linux/overflow.h>
#include <linux/slab.h>

#include "compat.h"
#include "params.h"
#include "timer.h"

static int psteer_timer_fn(void *arg)
{
	struct psteer_timer *t = arg;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			continue;
		}
		psteer_conn_pass(t->all->ct, t->all->tbl, t->cpu, jiffies);
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
 * Return: the threads, or an ERR_PTR; nothing is left on failure.
 */
struct psteer_timers *psteer_timers_start(struct psteer_table *tbl,
					  struct psteer_conntab *ct)
{
	struct psteer_timers *timers;
	int cpu;

	timers = kzalloc(struct_size(timers, cpu, nr_cpu_ids), GFP_KERNEL);
	if (!timers)
		return ERR_PTR(-ENOMEM);
	timers->tbl = tbl;
	timers->ct = ct;
	for_each_cpu(cpu, tbl->cpus) {
		struct psteer_timer *t = &timers->cpu[cpu];
		struct task_struct *task;

		t->all = timers;
		t->cpu = cpu;
		task = kthread_create_on_cpu(psteer_timer_fn, t, cpu,
					     "psteer_timer/%u");
		if (IS_ERR(task)) {
			psteer_timers_stop(timers);
			return ERR_CAST(task);
		}
		kthread_park(task);
		t->task = task;
	}
	return timers;
}

/**
 * psteer_timers_stop() - stop every timer thread and free them
 * @timers: from psteer_timers_start()
 *
 * Context: process, after the CPU hotplug callbacks are gone.
 */
void psteer_timers_stop(struct psteer_timers *timers)
{
	int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (timers->cpu[cpu].task)
			kthread_stop(timers->cpu[cpu].task);
	kfree(timers);
}

/**
 * psteer_timer_park() - stop @cpu's timer thread until psteer_timer_unpark()
 * @timers: the timer threads
 * @cpu: a CPU of the set
 *
 * Context: process (CPU hotplug, before @cpu goes down).
 */
void psteer_timer_park(struct psteer_timers *timers, int cpu)
{
	if (timers->cpu[cpu].task)
		kthread_park(timers->cpu[cpu].task);
}

/**
 * psteer_timer_unpark() - let @cpu's timer thread run on @cpu
 * @timers: the timer threads
 * @cpu: an online CPU of the set
 *
 * Context: process (CPU hotplug).
 */
void psteer_timer_unpark(struct psteer_timers *timers, int cpu)
{
	struct task_struct *t = timers->cpu[cpu].task;

	if (!t)
		return;
	/*
	 * kthread_unpark() rebinds only the kernel's own per-CPU threads
	 * (KTHREAD_IS_PER_CPU, not available to modules); ours may have
	 * been pushed off its CPU while it went down. Bind it again while
	 * it is parked, before it runs.
	 */
	set_cpus_allowed_ptr(t, cpumask_of(cpu));
	kthread_unpark(t);
}
