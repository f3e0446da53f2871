/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control path: the load sampler (src/sampler.c), and the rebalancing
 * rounds that apply the rebalancer (src/rebalance/) to the live table,
 * pinning and CPU hotplug moves (src/control.c).
 */
#ifndef _PSTEER_CONTROL_H
#define _PSTEER_CONTROL_H

#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "conn.h"
#include "rebalance.h"
#include "table.h"

struct psteer_timers;

/* Cost assumed for an inline packet before any drain was measured. */
#define PSTEER_DEFAULT_PACKET_NS	2000

/**
 * struct psteer_cpu_load - what the sampler knows of one CPU of the set
 * @busy_prev: non-idle time (kcpustat) at the last sample, ns
 * @idle_prev: idle and iowait time at the last sample, ns
 * @ns_prev: psteer's drain time at the last sample
 * @drained_prev: packets drained at the last sample
 * @usage: share of capacity in use, ppm, EWMA over samples
 * @packet_ns: psteer's drain cost per packet on this CPU, EWMA from its
 *	first measure (PSTEER_DEFAULT_PACKET_NS before)
 * @measured: it drained packets once, so @packet_ns is its own
 * @index: imbalance distribution index from the last round, ppm
 * @cooldown: rounds left before it may receive buckets again
 * @rest: work its buckets do not explain, as the rounds count it
 *	(struct psteer_rb_cpu)
 * @down: going or gone offline: owns nothing, and the rebalancer leaves
 *	it out until it is back
 * @cap: scratch of a sample: the most its buckets may have been served in
 *	it, ppm of the sample (psteer_sample_buckets())
 * @sum: scratch of a sample: what its buckets' served parts add up to, ppm
 */
struct psteer_cpu_load {
	u64 busy_prev;
	u64 idle_prev;
	u64 ns_prev;
	u64 drained_prev;
	u32 usage;
	u32 packet_ns;
	bool measured;
	s32 index;
	u32 cooldown;
	u32 rest;
	bool down;
	u64 cap;
	u64 sum;
};

/**
 * struct psteer_bucket_load - what the sampler knows of one bucket
 * @ns_prev: the bucket's drain time at the last sample
 * @inline_prev: its inline packets at the last sample
 * @refused_prev: its refused packets at the last sample
 * @load: its offered load on its owner (served, and refused priced at
 *	the owner's cost per packet), ppm of a CPU, EWMA over samples
 * @served: the part of it its owner served, smoothed the same way
 * @rising: the last sample was a step up (psteer_rb_smooth_load())
 * @served_rising: the same, for @served
 * @sample_served: scratch of a sample: its served part in it, ppm
 * @sample_unserved: scratch of a sample: its refused part in it, ppm
 */
struct psteer_bucket_load {
	u64 ns_prev;
	u64 inline_prev;
	u64 refused_prev;
	u32 load;
	u32 served;
	bool rising;
	bool served_rising;
	u32 sample_served;
	u32 sample_unserved;
};

/**
 * struct psteer_ctl - the control path's state
 * @lock: serialises samples, rounds, pinning and the /proc readers of
 *	the fields below
 * @tbl: the live table
 * @conns: its connection table, or NULL (max_conns=0)
 * @timers: the connection table's timer threads, or NULL; woken when a
 *	bucket with connections moves to their CPU
 * @sample_work: runs psteer_sample() every sample_ms
 * @rebalance_work: runs a round every rebalance_ms (0: never)
 * @stopping: set before the works are cancelled
 * @ncpus: CPUs in the set
 * @cpu_ids: CPU number of each index
 * @cpu_idx: index of each CPU number (nr_cpu_ids entries; -1 outside)
 * @cpus: per CPU index
 * @buckets: per bucket
 * @usage_seen: usages the last round started from, ppm
 * @stamp: time of the last sample, ns
 * @rb_map: CPU index of each entry of @rb_cpus (the CPUs not down)
 * @rb_rmap: entry of @rb_cpus of each CPU index, PSTEER_RB_NONE if down
 * @rb_cpus: the rebalancer's CPU array
 * @rb_buckets: the rebalancer's bucket array
 * @rb_scratch: its scratch space
 * @rb_moves: its output, nbuckets entries
 */
struct psteer_ctl {
	struct mutex lock; /* see above */
	struct psteer_table *tbl;
	struct psteer_conntab *conns;
	struct psteer_timers *timers;
	struct delayed_work sample_work;
	struct delayed_work rebalance_work;
	bool stopping;
	u32 ncpus;
	int *cpu_ids;
	int *cpu_idx;
	struct psteer_cpu_load *cpus;
	struct psteer_bucket_load *buckets;
	u32 *usage_seen;
	u64 stamp;
	u32 *rb_map;
	u32 *rb_rmap;
	struct psteer_rb_cpu *rb_cpus;
	struct psteer_rb_bucket *rb_buckets;
	u32 *rb_scratch;
	struct psteer_rb_move *rb_moves;
};

/* src/sampler.c */
void psteer_sample_init(struct psteer_ctl *ctl);
void psteer_sample(struct psteer_ctl *ctl);
void psteer_sample_restart(struct psteer_ctl *ctl, u32 i);

/* src/control.c */
struct psteer_ctl *psteer_ctl_create(struct psteer_table *tbl,
				     struct psteer_conntab *conns);
void psteer_ctl_destroy(struct psteer_ctl *ctl);
void psteer_ctl_reschedule(struct psteer_ctl *ctl);
int psteer_ctl_pin(struct psteer_ctl *ctl, u32 bucket, int cpu);
void psteer_ctl_cpu_down(struct psteer_ctl *ctl, int cpu);
void psteer_ctl_cpu_up(struct psteer_ctl *ctl, int cpu);
void psteer_ctl_round(struct psteer_ctl *ctl);

#endif /* _PSTEER_CONTROL_H */
