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
 * a CPU of the set is back and takes all the buckets.
 */

#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/limits.h>
#include <linux/netdevice.h>

#include "compat.h"
#include "control.h"
#include "psteer.h"

static enum cpuhp_state psteer_cpuhp_state;

static int psteer_cpu_online(unsigned int cpu)
{
	if (!cpumask_test_cpu(cpu, psteer_tbl->cpus))
		return 0;
	psteer_ctl_cpu_up(cpu);
	psteer_timer_unpark(cpu);
	return 0;
}

static int psteer_cpu_offline(unsigned int cpu)
{
	struct psteer_table *tbl = psteer_tbl;

	if (!cpumask_test_cpu(cpu, tbl->cpus))
		return 0;
	psteer_ctl_cpu_down(cpu);
	/* Bypassed: wait for hooks that may still queue to this CPU. */
	if (READ_ONCE(tbl->bypass))
		synchronize_net();
	local_bh_disable();
	/*
	 * Owns nothing now, so this only hands its ready buckets over; or,
	 * bypassed, it delivers what its buckets still hold.
	 */
	psteer_drain(tbl, cpu, INT_MAX);
	local_bh_enable();
	psteer_timer_park(cpu);
	return 0;
}

/**
 * psteer_hotplug_start() - follow CPUs of the set going and coming
 *
 * A CPU of the set that went offline since the parameters were checked
 * gives its buckets away first. Then the online callback runs on every
 * online CPU, which unparks its timer thread.
 *
 * Context: process (module init), after the table, the control state and
 * the timer threads exist.
 * Return: 0 or a negative errno.
 */
int psteer_hotplug_start(void)
{
	int cpu, ret;

	cpus_read_lock();
	for_each_cpu(cpu, psteer_tbl->cpus)
		if (!cpu_online(cpu))
			psteer_ctl_cpu_down(cpu);
	ret = cpuhp_setup_state_cpuslocked(CPUHP_AP_ONLINE_DYN,
					   "net/psteer:online",
					   psteer_cpu_online,
					   psteer_cpu_offline);
	if (ret > 0) {
		psteer_cpuhp_state = ret;
		ret = 0;
	}
	cpus_read_unlock();
	return ret;
}

/**
 * psteer_hotplug_stop() - stop following CPUs; buckets stay where they are
 *
 * Context: process (module exit).
 */
void psteer_hotplug_stop(void)
{
	cpuhp_remove_state_nocalls(psteer_cpuhp_state);
}
