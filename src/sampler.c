// SPDX-License-Identifier: GPL-2.0
/*
 * The load sampler (claims 4, 10, 14, 17): each CPU's workload, and each
 * bucket's share of it, measured statistically every sample_ms.
 *
 * - CPU usage is all non-idle time from kcpustat (user, nice, system,
 *   irq, softirq, steal): any load on a CPU slows the packets it owns, a
 *   busy loop as much as softirq work. It is sampled as a share of busy
 *   plus idle time since the last sample, as top computes it from
 *   /proc/stat (a share of wall time would read low on a CPU that misses
 *   ticks, as a busy vCPU does), and smoothed by an EWMA of weight 1/8:
 *   a lasting change shows 93% within 20 samples (a second at the default
 *   sample_ms), while a thread that visits a CPU for a sample or two, which
 *   no bucket move could help, barely shows (measured in the VM: weight
 *   1/2 let migrating iperf3 threads swing usages by 20% and keep moving
 *   buckets after the load had gone).
 * - A bucket's load is the time its owner spent delivering its drained
 *   packets (local_clock() around each batch, in src/queue.c), plus its
 *   inline packets priced at the owner's measured cost per drained
 *   packet: an inline packet's work happens after psteer's hook returns,
 *   where psteer cannot time it. An owner that never drained (a CPU
 *   whose buckets all pass inline, as when psteer drives a NIC) prices
 *   them at the mean cost of the CPUs that did: at the default cost
 *   instead, a bucket's load changed by their ratio when it changed CPU,
 *   which could read as a flow arriving and end its hold. The packets its
 *   queues refused (not those flushed) are priced so too: that is its
 *   offered load. Timed alone, a saturated owner's buckets add up to no
 *   more than the CPU and hide how much it must shed (in the simulator, a
 *   table dealt round-robin took 9 to 22 rounds to come within 1.05 of
 *   the bound at 64x4096, against 1 to 9). A refusal is priced whatever
 *   filled the queue (a burst past queue_len too, smoothed like the rest),
 *   and a refused TCP segment that comes back is counted again: the
 *   offered load reads high by the loss rate. The served part is kept
 *   too: a move takes no more than that off its donor's usage
 *   (src/control.c), and the rebalancer counts a CPU's other work (its
 *   rest) from it.
 *   Smoothed the same way, except that a step up (a flow arriving) shows
 *   after two samples (psteer_rb_smooth_load()).
 * - The hot path only counts, in per-bucket and per-CPU fields written by
 *   a single CPU; all arithmetic happens here, in process context.
 */

#include <linux/kernel_stat.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/tick.h>

#include "compat.h"
#include "control.h"

static u64 psteer_busy_ns(int cpu)
{
	const u64 *t = kcpustat_cpu(cpu).cpustat;

	return t[CPUTIME_USER] + t[CPUTIME_NICE] + t[CPUTIME_SYSTEM] +
	       t[CPUTIME_IRQ] + t[CPUTIME_SOFTIRQ] + t[CPUTIME_STEAL];
}

/*
 * Idle and iowait time as /proc/stat counts it: from NO_HZ's precise idle
 * accounting when it runs (*@precise), else from the tick-based counters.
 */
static u64 psteer_idle_ns(int cpu, bool *precise)
{
	const u64 *t = kcpustat_cpu(cpu).cpustat;
	u64 idle = get_cpu_idle_time_us(cpu, NULL);
	u64 iowait = get_cpu_iowait_time_us(cpu, NULL);

	*precise = idle != -1ULL && iowait != -1ULL;
	idle = idle == -1ULL ? t[CPUTIME_IDLE] : idle * NSEC_PER_USEC;
	iowait = iowait == -1ULL ? t[CPUTIME_IOWAIT] : iowait * NSEC_PER_USEC;
	return idle + iowait;
}

static u32 psteer_ewma(u32 avg, u64 sample)
{
	s64 delta = (s64)min_t(u64, sample, U32_MAX) - avg;

	return avg + (delta >> PSTEER_RB_EWMA_SHIFT);
}

/* Share of @dt that @ns is, in ppm. */
static u64 psteer_ppm(u64 ns, u64 dt)
{
	return div64_u64(ns * PSTEER_RB_FULL, dt);
}

/**
 * psteer_sample_init() - take the baselines of the first sample
 * @ctl: control state
 *
 * Context: process; ctl->lock held or @ctl not yet shared.
 */
void psteer_sample_init(struct psteer_ctl *ctl)
{
	u32 i;

	ctl->stamp = ktime_get_ns();
	for (i = 0; i < ctl->ncpus; i++) {
		psteer_sample_restart(ctl, i);
		ctl->cpus[i].packet_ns = PSTEER_DEFAULT_PACKET_NS;
	}
}

/**
 * psteer_sample_restart() - start CPU index @i's samples afresh
 * @ctl: control state
 * @i: index of a CPU of the set
 *
 * For a CPU back from offline: its smoothed usage is that of before it
 * went, and its counters stood still meanwhile. It comes back idle.
 *
 * Context: process; ctl->lock held or @ctl not yet shared.
 */
void psteer_sample_restart(struct psteer_ctl *ctl, u32 i)
{
	const struct psteer_cpu *pc = per_cpu_ptr(ctl->tbl->pcpu,
						  ctl->cpu_ids[i]);
	bool precise;

	ctl->cpus[i].busy_prev = psteer_busy_ns(ctl->cpu_ids[i]);
	ctl->cpus[i].idle_prev = psteer_idle_ns(ctl->cpu_ids[i], &precise);
	ctl->cpus[i].ns_prev = READ_ONCE(pc->ns);
	ctl->cpus[i].drained_prev = READ_ONCE(pc->drained);
	ctl->cpus[i].usage = 0;
}

/*
 * Each CPU's usage over the sample of @dt ns, its cost per packet, and
 * the cap of its buckets' served loads in the sample (cl->cap): the time
 * it was not idle, plus PSTEER_RB_USAGE_BAND, and two ticks more where
 * idle time is counted by the tick.
 */
static void psteer_sample_cpus(struct psteer_ctl *ctl, u64 dt)
{
	u64 margin = div64_u64(dt * PSTEER_RB_USAGE_BAND, PSTEER_RB_FULL);
	u32 i;

	for (i = 0; i < ctl->ncpus; i++) {
		struct psteer_cpu_load *cl = &ctl->cpus[i];
		const struct psteer_cpu *pc = per_cpu_ptr(ctl->tbl->pcpu,
							  ctl->cpu_ids[i]);
		u64 busy = psteer_busy_ns(ctl->cpu_ids[i]);
		bool precise;
		u64 idle = psteer_idle_ns(ctl->cpu_ids[i], &precise);
		u64 ns = READ_ONCE(pc->ns), drained = READ_ONCE(pc->drained);
		u64 dbusy = busy - cl->busy_prev, didle = idle - cl->idle_prev;
		u64 cap = (didle < dt ? dt - didle : 0) + margin;

		if (!precise)
			cap += 2 * TICK_NSEC;
		cl->cap = psteer_ppm(cap, dt);
		if (dbusy + didle)
			cl->usage = psteer_ewma(cl->usage,
						psteer_ppm(dbusy, dbusy + didle));
		cl->idle_prev = idle;
		if (drained > cl->drained_prev) {
			u64 cost = div64_u64(ns - cl->ns_prev,
					     drained - cl->drained_prev);

			/* The first measure replaces the default. */
			cl->packet_ns = cl->measured ?
					psteer_ewma(cl->packet_ns, cost) :
					min_t(u64, cost, U32_MAX);
			cl->measured = true;
		}
		cl->busy_prev = busy;
		cl->ns_prev = ns;
		cl->drained_prev = drained;
	}
}

/*
 * The mean cost per packet of the CPUs that drained some, for those that
 * never did; the default if none did.
 */
static u64 psteer_mean_packet_ns(const struct psteer_ctl *ctl)
{
	u64 sum = 0;
	u32 i, n = 0;

	for (i = 0; i < ctl->ncpus; i++) {
		if (ctl->cpus[i].measured) {
			sum += ctl->cpus[i].packet_ns;
			n++;
		}
	}
	return n ? div_u64(sum, n) : PSTEER_DEFAULT_PACKET_NS;
}

/*
 * Each bucket's load over the sample of @dt ns. The served parts of a
 * CPU's buckets add up to no more than the time it was not idle (its
 * cap, psteer_sample_cpus()); past it, they are scaled down to it. Timed
 * with local_clock(), a batch during which the CPU was taken away (a
 * hypervisor's steal, QEMU's single-threaded TCG running other vCPUs, up
 * to 1.7 s seen in the rebalance test with a busy loop) counts the time
 * away, and the cost per packet that prices its inline packets grows
 * with it; a CPU whose buckets read several times what it did then
 * looked busier than the busy loop's CPU, which took buckets from it.
 */
static void psteer_sample_buckets(struct psteer_ctl *ctl, u64 dt)
{
	struct psteer_table *tbl = ctl->tbl;
	u64 mean_ns = psteer_mean_packet_ns(ctl);
	u32 i;

	for (i = 0; i < ctl->ncpus; i++)
		ctl->cpus[i].sum = 0;
	for (i = 0; i < tbl->nbuckets; i++) {
		const struct psteer_bucket *b = &tbl->buckets[i];
		struct psteer_bucket_load *bl = &ctl->buckets[i];
		u64 ns = READ_ONCE(b->ns), inl = READ_ONCE(b->inline_packets);
		u64 refused = READ_ONCE(b->refused);
		int owner = ctl->cpu_idx[psteer_bucket_owner(b)];
		u64 served = ns - bl->ns_prev, unserved = 0;

		if (owner >= 0) {
			u64 cost = ctl->cpus[owner].measured ?
				   ctl->cpus[owner].packet_ns : mean_ns;

			served += (inl - bl->inline_prev) * cost;
			unserved = (refused - bl->refused_prev) * cost;
		}
		bl->sample_served = min_t(u64, psteer_ppm(served, dt), U32_MAX);
		bl->sample_unserved = min_t(u64, psteer_ppm(unserved, dt),
					    U32_MAX);
		if (owner >= 0)
			ctl->cpus[owner].sum += bl->sample_served;
		bl->ns_prev = ns;
		bl->inline_prev = inl;
		bl->refused_prev = refused;
	}
	for (i = 0; i < tbl->nbuckets; i++) {
		struct psteer_bucket_load *bl = &ctl->buckets[i];
		int owner = ctl->cpu_idx[psteer_bucket_owner(&tbl->buckets[i])];
		u64 served = bl->sample_served;

		if (owner >= 0 && ctl->cpus[owner].sum > ctl->cpus[owner].cap)
			served = div64_u64(served * ctl->cpus[owner].cap,
					   ctl->cpus[owner].sum);
		bl->load = psteer_rb_smooth_load(bl->load,
						 served + bl->sample_unserved,
						 &bl->rising);
		bl->served = psteer_rb_smooth_load(bl->served, served,
						   &bl->served_rising);
	}
}

/**
 * psteer_sample() - one sample of every CPU's usage and bucket's load
 * @ctl: control state
 *
 * Context: process, ctl->lock held.
 */
void psteer_sample(struct psteer_ctl *ctl)
{
	u64 now = ktime_get_ns(), dt = now - ctl->stamp;

	lockdep_assert_held(&ctl->lock);
	if (!dt)
		return;
	psteer_sample_cpus(ctl, dt);
	psteer_sample_buckets(ctl, dt);
	ctl->stamp = now;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_sample);
