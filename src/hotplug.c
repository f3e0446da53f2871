// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: a CPU of the set that goes offline first gives its buckets
 * away, with their queues and connections, then its timer thread parks;
 * when it comes back its thread runs again and the rebalancer gives it
 * work.
 *
 * The callbacks are at CPUHP_AP_ONLINE_DYN, so they run on the CPU
 * itself while it is still online and active:
 *
 *   going down: psteer_ctl_cpu_down() makes every bucket's owner another
 *   CPU (the rebalancer leaves this one out from then on), then this CPU
 *   runs its drain once, which hands each bucket still on its ready list
 *   to the new owner (the one-drainer rule of src/queue.c: nothing is
 *   reordered, nothing stays queued here); then the timer thread parks.
 *   Nothing can be queued for this CPU afterwards, as it owns nothing.
 *
 * The last CPU of the set that is online may go down too (suspend and
 * kexec take every CPU but the boot CPU down): its buckets stay with it
 * and psteer is bypassed, every packet processed where it arrives, until
 * a CPU of the set is back and takes all the buckets. The buckets it was
 * still draining take new packets behind the queued ones until they are
 * empty (psteer_enqueue_behind()), so the bypass reorders nothing. The
 * packets a NIC's rewrite held for a CPU are released and delivered too
 * (psteer_enqueue_steered()). Nor does its end, which lets no CPU drain
 * before what the bypass passed on is delivered (psteer_table_resume()).
 */

#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/netdevice.h>

#include "compat.h"
#include "psteer.h"

/**
 * psteer_hotplug_online() - a CPU came online (or is, at start)
 * @ps: the module
 * @cpu: the CPU, which runs this
 *
 * Context: process, CPU hotplug callback.
 * Return: 0.
 */
int psteer_hotplug_online(struct psteer *ps, unsigned int cpu)
{
	if (!cpumask_test_cpu(cpu, ps->tbl->cpus))
		return 0;
	psteer_ctl_cpu_up(ps->ctl, cpu);
	if (ps->timers)
		psteer_timer_unpark(ps->timers, cpu);
	return 0;
}

/**
 * psteer_hotplug_offline() - a CPU is going offline
 * @ps: the module
 * @cpu: the CPU, which runs this, still online and active
 *
 * Context: process, CPU hotplug callback.
 * Return: 0: a CPU going down is never refused.
 */
int psteer_hotplug_offline(struct psteer *ps, unsigned int cpu)
{
	struct psteer_table *tbl = ps->tbl;

	if (!cpumask_test_cpu(cpu, tbl->cpus))
		return 0;
	psteer_ctl_cpu_down(ps->ctl, cpu);
	if (READ_ONCE(tbl->bypass)) {
		u32 b, n = 0;

		/* Wait for hooks that may still queue to this CPU. */
		synchronize_net();
		/*
		 * A NIC's rewrite may hold buckets (src/nic.c) for a CPU of
		 * the set, and every one is going: their held packets join
		 * the FIFOs now and are delivered below, not left to a fence
		 * that ends when no CPU of the set is left to drain them.
		 * Every bucket, under its lock: a hold racing with this sees
		 * the bypass and is not made (psteer_hold()). Their fences
		 * end early, as a timeout would: a packet still in an old
		 * queue's ring may follow them.
		 */
		for (b = 0; b < tbl->nbuckets; b++)
			n += psteer_release_held(tbl, &tbl->buckets[b]);
		if (n)
			pr_warn("CPU %u is the last CPU of the set going offline: %u packets held for a NIC's table rewrite released before its fence ended\n",
				cpu, n);
	}
	/*
	 * Owns nothing now, so this only hands its ready buckets over; or,
	 * bypassed, it delivers what its buckets still hold: in NAPI-sized
	 * batches, with a reschedule point between them.
	 */
	/* Hotplug callbacks are serialised: the bypass is not ending. */
	WARN_ON_ONCE(READ_ONCE(tbl->resuming));
	for (;;) {
		int done;

		local_bh_disable();
		done = psteer_drain(tbl, cpu, NAPI_POLL_WEIGHT);
		local_bh_enable();
		if (done < NAPI_POLL_WEIGHT)
			break;
		cond_resched();
	}
	if (ps->timers)
		psteer_timer_park(ps->timers, cpu);
	return 0;
}

/**
 * psteer_hotplug_start() - follow CPUs of the set going and coming
 * @ps: the module; its table, control state and timer threads exist
 * @online: calls psteer_hotplug_online() for @ps
 * @offline: calls psteer_hotplug_offline() for @ps
 *
 * A CPU of the set that went offline since the parameters were checked
 * gives its buckets away first. Then @online runs on every online CPU,
 * which unparks its timer thread.
 *
 * The callbacks take only a CPU number: main.c, which holds the module
 * state, gives the two that pass it on. (A multi-instance state would
 * hand them @ps, but its instance cannot be added with the CPUs locked
 * from a module: __cpuhp_state_add_instance_cpuslocked() is not
 * exported, and a CPU must not go down between the check above and the
 * callbacks' start.)
 *
 * Context: process (module init).
 * Return: 0 or a negative errno.
 */
int psteer_hotplug_start(struct psteer *ps, int (*online)(unsigned int cpu),
			 int (*offline)(unsigned int cpu))
{
	int cpu, ret;

	cpus_read_lock();
	for_each_cpu(cpu, ps->tbl->cpus)
		if (!cpu_online(cpu))
			psteer_ctl_cpu_down(ps->ctl, cpu);
	ret = cpuhp_setup_state_cpuslocked(CPUHP_AP_ONLINE_DYN,
					   "net/psteer:online", online,
					   offline);
	if (ret > 0) {
		ps->cpuhp_state = ret;
		ret = 0;
	}
	cpus_read_unlock();
	return ret;
}

/**
 * psteer_hotplug_stop() - stop following CPUs; buckets stay where they are
 * @ps: the module
 *
 * Context: process (module exit).
 */
void psteer_hotplug_stop(struct psteer *ps)
{
	cpuhp_remove_state_nocalls(ps->cpuhp_state);
}
