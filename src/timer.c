// SPDX-License-Identifier: GPL-2.0
/*
 * Timer threads (claims 13, 16): one kernel thread per CPU of the set,
 * psteer_timer/N, bound to CPU N. It expires the idle connections of
 * the buckets its CPU owns, and only those: each bucket is assigned to
 * one CPU's timer thread by the rebalancer's workload decisions, and all
 * the threads run at once on their own CPUs.
 *
 * A thread wakes when the first connection its pass left expires, no
 * sooner than timer_ms after the pass and no later than the shortest
 * class timeout: a connection created or refreshed after the pass, in
 * any of its buckets, expires no sooner than that. So an idle CPU, or
 * one whose connections are all busy, wakes once per shortest timeout
 * (10 s by default), not every timer_ms. What that bound does not cover
 * wakes the thread: a bucket with connections moving to its CPU
 * (src/control.c) and a shorter timeout (src/main.c),
 * psteer_timer_wake().
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

/**
 * psteer_timer_sleep() - how long a timer thread sleeps after a pass
 * @next: the pass's @next (psteer_conn_pass())
 * @min_timeout: psteer_conntab_min_timeout(), jiffies
 * @timer_ms: the timer_ms parameter
 *
 * Return: jiffies: @next, within timer_ms and @min_timeout.
 */
VISIBLE_IF_KUNIT unsigned long psteer_timer_sleep(u32 next, u32 min_timeout,
						  unsigned int timer_ms)
{
	unsigned long lo = msecs_to_jiffies(timer_ms);
	unsigned long hi = max_t(unsigned long, min_timeout, lo);

	return clamp_t(unsigned long, next, lo, hi);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_timer_sleep);

static int psteer_timer_fn(void *arg)
{
	struct psteer_timer *t = arg;
	struct psteer_conntab *ct = t->all->ct;
	unsigned long sleep;
	u32 next;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			continue;
		}
		psteer_conn_pass(ct, t->all->tbl, t->cpu, jiffies, &next);
		/*
		 * Read after the state change, so no wake-up is lost:
		 * kthread_stop(), kthread_park() and psteer_timer_wake()
		 * (after a timeout or timer_ms is written) all wake the
		 * thread after they set what it reads here.
		 */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop() || kthread_should_park()) {
			__set_current_state(TASK_RUNNING);
			continue;
		}
		sleep = psteer_timer_sleep(next, psteer_conntab_min_timeout(ct),
					   psteer_param_timer_ms());
		schedule_timeout(sleep);
	}
	return 0;
}

/**
 * psteer_timer_wake() - make @cpu's timer thread pass now
 * @timers: the timer threads, or NULL (no connection table)
 * @cpu: a CPU of the set
 *
 * For what the thread's sleep does not bound: a bucket with connections
 * given to @cpu, a timeout shortened. A parked thread stays parked.
 *
 * Context: any.
 */
void psteer_timer_wake(struct psteer_timers *timers, int cpu)
{
	struct task_struct *task;

	if (!timers)
		return;
	task = timers->cpu[cpu].task;
	if (task)
		wake_up_process(task);
}

/**
 * psteer_timers_wake() - psteer_timer_wake() every CPU's thread
 * @timers: the timer threads, or NULL
 *
 * Context: any.
 */
void psteer_timers_wake(struct psteer_timers *timers)
{
	int cpu;

	if (!timers)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		psteer_timer_wake(timers, cpu);
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
