// SPDX-License-Identifier: GPL-2.0
/*
 * Rebalancing the live table: every rebalance_ms a round, in process
 * context (a delayed work), feeds the sampler's measurements to
 * psteer_rebalance() and applies the moves it returns.
 *
 * - A move is psteer_table_set_owner(): the bucket's queued packets stay
 *   in its FIFO and its current drainer hands it over (the one-drainer
 *   rule of src/queue.c), so a move never reorders a connection.
 * - After a move the sampler's smoothed usages are corrected by the
 *   moved load (taken off the donor, added to the receiver): otherwise
 *   the next round would still see the donor's old usage and move again.
 * - Pinned buckets (written to /proc/net/psteer/buckets) never move.
 */

#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "control.h"
#include "psteer.h"

#define CREATE_TRACE_POINTS
#include "psteer_trace.h"

/* Set and cleared under kernel_param_lock(THIS_MODULE). */
struct psteer_ctl *psteer_ctl;

static void psteer_ctl_queue(struct delayed_work *dw, unsigned int ms)
{
	mod_delayed_work(system_unbound_wq, dw, msecs_to_jiffies(ms));
}

static void psteer_sample_fn(struct work_struct *work)
{
	struct psteer_ctl *ctl = container_of(to_delayed_work(work),
					      struct psteer_ctl, sample_work);

	mutex_lock(&ctl->lock);
	psteer_sample(ctl);
	mutex_unlock(&ctl->lock);
	if (!READ_ONCE(ctl->stopping))
		psteer_ctl_queue(&ctl->sample_work, psteer_param_sample_ms());
}

/* Fills the rebalancer's arrays from the table and the sampler. */
static void psteer_ctl_snapshot(struct psteer_ctl *ctl)
{
	struct psteer_table *tbl = ctl->tbl;
	u32 i;

	for (i = 0; i < ctl->ncpus; i++) {
		ctl->usage_seen[i] = ctl->cpus[i].usage;
		ctl->rb_cpus[i].usage = ctl->cpus[i].usage;
		/* An offline CPU looks idle: keep it from receiving. */
		if (!cpu_online(ctl->cpu_ids[i]))
			ctl->rb_cpus[i].cooldown = max(ctl->rb_cpus[i].cooldown, 1U);
	}
	for (i = 0; i < tbl->nbuckets; i++) {
		struct psteer_rb_bucket *rb = &ctl->rb_buckets[i];

		rb->load = ctl->buckets[i].load;
		rb->owner = ctl->cpu_idx[READ_ONCE(tbl->buckets[i].cpu)];
		rb->pinned = READ_ONCE(tbl->buckets[i].pinned);
	}
}

static void psteer_ctl_apply(struct psteer_ctl *ctl,
			     const struct psteer_rb_move *m)
{
	struct psteer_cpu_load *from = &ctl->cpus[m->from];
	int to = ctl->cpu_ids[m->to];

	psteer_table_set_owner(ctl->tbl, m->bucket, to);
	ctl->tbl->buckets[m->bucket].moves++;
	from->usage -= min(from->usage, m->load);
	ctl->cpus[m->to].usage = min(PSTEER_RB_FULL,
				     ctl->cpus[m->to].usage + m->load);
	trace_bucket_move(m->bucket, ctl->cpu_ids[m->from], to, m->load);
}

/**
 * psteer_ctl_round() - one rebalancing round on the live table
 * @ctl: control state
 *
 * Context: process, ctl->lock held.
 */
void psteer_ctl_round(struct psteer_ctl *ctl)
{
	struct psteer_rb_config cfg = {
		.threshold = psteer_param_threshold_ppm(),
		.max_moves = psteer_param_max_moves(ctl->tbl->nbuckets),
		.cooldown = PSTEER_COOLDOWN_ROUNDS,
	};
	struct psteer_rb_summary sum;
	u64 start, ns;
	u32 i, n;

	lockdep_assert_held(&ctl->lock);
	cfg.max_moves = min(cfg.max_moves, ctl->tbl->nbuckets);
	psteer_ctl_snapshot(ctl);
	start = ktime_get_ns();
	n = psteer_rebalance(&cfg, ctl->rb_cpus, ctl->ncpus, ctl->rb_buckets,
			     ctl->tbl->nbuckets, ctl->rb_scratch,
			     ctl->rb_moves, &sum);
	ns = ktime_get_ns() - start;
	for (i = 0; i < ctl->ncpus; i++)
		ctl->cpus[i].index = ctl->rb_cpus[i].index;
	for (i = 0; i < n; i++)
		psteer_ctl_apply(ctl, &ctl->rb_moves[i]);
	trace_rebalance(ctl->ncpus, ctl->usage_seen, sum.mean, sum.total_index,
			n, ns);
}

static void psteer_rebalance_fn(struct work_struct *work)
{
	struct psteer_ctl *ctl = container_of(to_delayed_work(work),
					      struct psteer_ctl,
					      rebalance_work);
	unsigned int ms = psteer_param_rebalance_ms();

	if (!ms)
		return;
	mutex_lock(&ctl->lock);
	psteer_ctl_round(ctl);
	mutex_unlock(&ctl->lock);
	if (!READ_ONCE(ctl->stopping))
		psteer_ctl_queue(&ctl->rebalance_work, ms);
}

/**
 * psteer_ctl_reschedule() - apply new sample_ms / rebalance_ms at once
 *
 * Context: process, kernel_param_lock(THIS_MODULE) held (a parameter
 * write), which keeps psteer_ctl alive.
 */
void psteer_ctl_reschedule(void)
{
	struct psteer_ctl *ctl = psteer_ctl;
	unsigned int ms = psteer_param_rebalance_ms();

	if (!ctl)
		return;
	psteer_ctl_queue(&ctl->sample_work, psteer_param_sample_ms());
	if (ms)
		psteer_ctl_queue(&ctl->rebalance_work, ms);
}

/**
 * psteer_ctl_pin() - pin a bucket to a CPU, or unpin it
 * @bucket: bucket index
 * @cpu: a CPU of the set to pin to, or -1 to unpin (the bucket stays
 *	where it is and the rebalancer may move it again)
 *
 * Context: process.
 * Return: 0, -EINVAL for an unknown bucket or a CPU outside the set or
 * offline, -ENODEV while the module is going away.
 */
int psteer_ctl_pin(u32 bucket, int cpu)
{
	struct psteer_ctl *ctl;
	int err = 0;

	kernel_param_lock(THIS_MODULE);
	ctl = psteer_ctl;
	if (!ctl) {
		err = -ENODEV;
		goto out;
	}
	if (bucket >= ctl->tbl->nbuckets ||
	    (cpu >= 0 && (cpu >= nr_cpu_ids || ctl->cpu_idx[cpu] < 0 ||
			  !cpu_online(cpu)))) {
		err = -EINVAL;
		goto out;
	}
	mutex_lock(&ctl->lock);
	if (cpu >= 0)
		psteer_table_set_owner(ctl->tbl, bucket, cpu);
	WRITE_ONCE(ctl->tbl->buckets[bucket].pinned, cpu >= 0);
	mutex_unlock(&ctl->lock);
out:
	kernel_param_unlock(THIS_MODULE);
	return err;
}

static void psteer_ctl_free(struct psteer_ctl *ctl)
{
	kvfree(ctl->rb_moves);
	kvfree(ctl->rb_scratch);
	kvfree(ctl->rb_buckets);
	kvfree(ctl->buckets);
	kfree(ctl->rb_cpus);
	kfree(ctl->usage_seen);
	kfree(ctl->cpus);
	kfree(ctl->cpu_idx);
	kfree(ctl->cpu_ids);
	kfree(ctl);
}

static struct psteer_ctl *psteer_ctl_alloc(struct psteer_table *tbl)
{
	u32 n = cpumask_weight(tbl->cpus), nb = tbl->nbuckets;
	struct psteer_ctl *ctl = kzalloc(sizeof(*ctl), GFP_KERNEL);

	if (!ctl)
		return NULL;
	ctl->ncpus = n;
	ctl->cpu_ids = kcalloc(n, sizeof(*ctl->cpu_ids), GFP_KERNEL);
	ctl->cpu_idx = kcalloc(nr_cpu_ids, sizeof(*ctl->cpu_idx), GFP_KERNEL);
	ctl->cpus = kcalloc(n, sizeof(*ctl->cpus), GFP_KERNEL);
	ctl->usage_seen = kcalloc(n, sizeof(*ctl->usage_seen), GFP_KERNEL);
	ctl->rb_cpus = kcalloc(n, sizeof(*ctl->rb_cpus), GFP_KERNEL);
	ctl->buckets = kvcalloc(nb, sizeof(*ctl->buckets), GFP_KERNEL);
	ctl->rb_buckets = kvcalloc(nb, sizeof(*ctl->rb_buckets), GFP_KERNEL);
	ctl->rb_scratch = kvcalloc(nb, sizeof(*ctl->rb_scratch), GFP_KERNEL);
	ctl->rb_moves = kvcalloc(nb, sizeof(*ctl->rb_moves), GFP_KERNEL);
	if (!ctl->cpu_ids || !ctl->cpu_idx || !ctl->cpus || !ctl->usage_seen ||
	    !ctl->rb_cpus || !ctl->buckets || !ctl->rb_buckets ||
	    !ctl->rb_scratch || !ctl->rb_moves) {
		psteer_ctl_free(ctl);
		return NULL;
	}
	return ctl;
}

/**
 * psteer_ctl_start() - start sampling and rebalancing @tbl
 * @tbl: the live table
 *
 * Context: process (module init).
 * Return: 0 or -ENOMEM.
 */
int psteer_ctl_start(struct psteer_table *tbl)
{
	struct psteer_ctl *ctl = psteer_ctl_alloc(tbl);
	int cpu, i = 0;

	if (!ctl)
		return -ENOMEM;
	mutex_init(&ctl->lock);
	ctl->tbl = tbl;
	INIT_DELAYED_WORK(&ctl->sample_work, psteer_sample_fn);
	INIT_DELAYED_WORK(&ctl->rebalance_work, psteer_rebalance_fn);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		ctl->cpu_idx[cpu] = -1;
	for_each_cpu(cpu, tbl->cpus) {
		ctl->cpu_ids[i] = cpu;
		ctl->cpu_idx[cpu] = i++;
	}
	psteer_sample_init(ctl);

	kernel_param_lock(THIS_MODULE);
	psteer_ctl = ctl;
	psteer_ctl_reschedule();
	kernel_param_unlock(THIS_MODULE);
	return 0;
}

/**
 * psteer_ctl_stop() - stop the works and free the control state
 *
 * Context: process (module exit or init unwinding).
 */
void psteer_ctl_stop(void)
{
	struct psteer_ctl *ctl;

	kernel_param_lock(THIS_MODULE);
	ctl = psteer_ctl;
	psteer_ctl = NULL;
	WRITE_ONCE(ctl->stopping, true);
	kernel_param_unlock(THIS_MODULE);

	cancel_delayed_work_sync(&ctl->rebalance_work);
	cancel_delayed_work_sync(&ctl->sample_work);
	mutex_destroy(&ctl->lock);
	psteer_ctl_free(ctl);
}
