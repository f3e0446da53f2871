// SPDX-License-Identifier: GPL-2.0
/*
 * The control path: what moves buckets on the live table.
 *
 * Rebalancing: every rebalance_ms a round, in process context (a delayed
 * work), feeds the sampler's measurements (src/sampler.c) to
 * psteer_rebalance() (src/rebalance/) and applies the moves it returns.
 * Pinning (/proc/net/psteer/buckets) and CPU hotplug (src/hotplug.c) move
 * buckets here too, under the same lock.
 *
 * - A move is psteer_table_set_owner(): the old owner applies it from its
 *   own NAPI poll, after the packets it passed inline; the bucket's
 *   queued packets stay in its FIFO and its current drainer hands it over
 *   (the one-drainer rule and "Moves" of src/queue.c), so a move never
 *   reorders a connection.
 * - After a move the sampler's smoothed usages are corrected by the
 *   moved load (the part the donor served taken off it, the offered load
 *   added to the receiver): otherwise the next round would still see the
 *   donor's old usage and move again.
 * - Pinned buckets (written to /proc/net/psteer/buckets) never move.
 */

#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "conn.h"
#include "control.h"
#include "params.h"
#include "psteer_trace.h"
#include "timer.h"

static void psteer_ctl_queue(struct delayed_work *dw, unsigned int ms)
{
	mod_delayed_work(system_dfl_wq, dw, msecs_to_jiffies(ms));
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

/*
 * Fills the rebalancer's arrays from the table and the sampler, with the
 * CPUs that are not down. Returns how many that is.
 */
static u32 psteer_ctl_snapshot(struct psteer_ctl *ctl)
{
	struct psteer_conntab *ct = ctl->conns;
	struct psteer_table *tbl = ctl->tbl;
	u32 i, n = 0;

	for (i = 0; i < ctl->ncpus; i++) {
		ctl->usage_seen[i] = ctl->cpus[i].usage;
		ctl->rb_rmap[i] = PSTEER_RB_NONE;
		if (ctl->cpus[i].down)
			continue;
		ctl->rb_map[n] = i;
		ctl->rb_rmap[i] = n;
		ctl->rb_cpus[n].usage = ctl->cpus[i].usage;
		ctl->rb_cpus[n].cooldown = ctl->cpus[i].cooldown;
		ctl->rb_cpus[n].rest = ctl->cpus[i].rest;
		n++;
	}
	if (!n)
		return 0;
	for (i = 0; i < tbl->nbuckets; i++) {
		struct psteer_rb_bucket *rb = &ctl->rb_buckets[i];
		int cpu = psteer_bucket_owner(&tbl->buckets[i]);
		u32 owner = ctl->rb_rmap[ctl->cpu_idx[cpu]];

		rb->load = ctl->buckets[i].load;
		/* The two are smoothed apart: served may lead for a sample. */
		rb->refused = rb->load - min(rb->load, ctl->buckets[i].served);
		rb->pinned = READ_ONCE(tbl->buckets[i].pinned);
		rb->conns = ct ? psteer_conn_count(ct, i) : 0;
		rb->owner = owner;
		/* Buckets leave a CPU before it is down; never move one here. */
		if (WARN_ON_ONCE(owner == PSTEER_RB_NONE)) {
			rb->owner = 0;
			rb->pinned = 1;
			rb->load = 0;
		}
	}
	return n;
}

/*
 * Gives @bucket to @cpu. A timer thread sleeps until the first connection
 * of its own buckets expires (src/timer.c): @cpu's is woken to see the
 * bucket's connections.
 */
static void psteer_ctl_set_owner(struct psteer_ctl *ctl, u32 bucket, int cpu)
{
	psteer_table_set_owner(ctl->tbl, bucket, cpu);
	if (ctl->conns && psteer_conn_count(ctl->conns, bucket))
		psteer_timer_wake(ctl->timers, cpu);
}

/* Applies a move; its CPUs are entries of ctl->rb_cpus. */
static void psteer_ctl_apply(struct psteer_ctl *ctl,
			     const struct psteer_rb_move *m)
{
	u32 fi = ctl->rb_map[m->from], ti = ctl->rb_map[m->to];
	struct psteer_cpu_load *from = &ctl->cpus[fi];
	/* Its donor loses what it served of it, no more (src/sampler.c). */
	u32 served = min(m->load, ctl->buckets[m->bucket].served);
	int to = ctl->cpu_ids[ti];

	psteer_ctl_set_owner(ctl, m->bucket, to);
	ctl->tbl->buckets[m->bucket].moves++;
	from->usage -= min(from->usage, served);
	ctl->cpus[ti].usage = min_t(u64, PSTEER_RB_FULL,
				    (u64)ctl->cpus[ti].usage + m->load);
	trace_bucket_move(m->bucket, ctl->cpu_ids[fi], to, m->load);
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
		.threshold = psteer_param_imbalance_threshold() *
			     (PSTEER_RB_FULL / 1000),
		.max_moves = psteer_param_max_moves() ?:
			     psteer_rb_default_max_moves(ctl->tbl->nbuckets),
		.cooldown = PSTEER_RB_COOLDOWN_ROUNDS,
	};
	struct psteer_rb_summary sum;
	u32 i, n, up;
	u64 start, ns;

	lockdep_assert_held(&ctl->lock);
	cfg.max_moves = min(cfg.max_moves, ctl->tbl->nbuckets);
	up = psteer_ctl_snapshot(ctl);
	if (!up)
		return;
	start = ktime_get_ns();
	n = psteer_rebalance(&cfg, ctl->rb_cpus, up, ctl->rb_buckets,
			     ctl->tbl->nbuckets, ctl->rb_scratch,
			     ctl->rb_moves, &sum);
	ns = ktime_get_ns() - start;
	for (i = 0; i < ctl->ncpus; i++)
		ctl->cpus[i].index = 0;
	for (i = 0; i < up; i++) {
		ctl->cpus[ctl->rb_map[i]].index = ctl->rb_cpus[i].index;
		ctl->cpus[ctl->rb_map[i]].cooldown = ctl->rb_cpus[i].cooldown;
		ctl->cpus[ctl->rb_map[i]].rest = ctl->rb_cpus[i].rest;
	}
	for (i = 0; i < n; i++)
		psteer_ctl_apply(ctl, &ctl->rb_moves[i]);
	trace_rebalance(ctl->ncpus, ctl->usage_seen, sum.mean, sum.total_index,
			n, ns);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_ctl_round);

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
 * @ctl: control state, not stopping
 *
 * Context: process.
 */
void psteer_ctl_reschedule(struct psteer_ctl *ctl)
{
	unsigned int ms = psteer_param_rebalance_ms();

	psteer_ctl_queue(&ctl->sample_work, psteer_param_sample_ms());
	if (ms)
		psteer_ctl_queue(&ctl->rebalance_work, ms);
}

/**
 * psteer_ctl_pin() - pin a bucket to a CPU, or unpin it
 * @ctl: control state
 * @bucket: bucket index
 * @cpu: a CPU of the set to pin to, or -1 to unpin (the bucket stays
 *	where it is and the rebalancer may move it again)
 *
 * Context: process.
 * Return: 0, or -EINVAL for an unknown bucket or a CPU outside the set or
 * offline.
 */
int psteer_ctl_pin(struct psteer_ctl *ctl, u32 bucket, int cpu)
{
	int err = 0;

	if (bucket >= ctl->tbl->nbuckets ||
	    (cpu >= 0 && (cpu >= nr_cpu_ids || ctl->cpu_idx[cpu] < 0)))
		return -EINVAL;
	mutex_lock(&ctl->lock);
	if (cpu >= 0 && ctl->cpus[ctl->cpu_idx[cpu]].down)
		err = -EINVAL;
	else if (cpu >= 0)
		psteer_ctl_set_owner(ctl, bucket, cpu);
	if (!err)
		WRITE_ONCE(ctl->tbl->buckets[bucket].pinned, cpu >= 0);
	mutex_unlock(&ctl->lock);
	return err;
}

/**
 * psteer_ctl_cpu_down() - move every bucket off @cpu, which is going down
 * @ctl: control state
 * @cpu: a CPU of the set
 *
 * Its buckets go round-robin to the other CPUs of the set that are up
 * (pinned ones too, and stay pinned there), and the rebalancer leaves
 * @cpu out until psteer_ctl_cpu_up(). The buckets' queued packets and
 * connections go with them: the drainer hands them over as on any move.
 *
 * When @cpu is the last CPU of the set that is up, the buckets stay and
 * the table is bypassed (tbl->bypass) until psteer_ctl_cpu_up().
 *
 * Context: process (CPU hotplug teardown, or start-up).
 */
void psteer_ctl_cpu_down(struct psteer_ctl *ctl, int cpu)
{
	struct psteer_table *tbl = ctl->tbl;
	u32 i = ctl->cpu_idx[cpu], k = i, moved = 0, b;

	mutex_lock(&ctl->lock);
	ctl->cpus[i].down = true;
	do {
		k = (k + 1) % ctl->ncpus;
	} while (k != i && ctl->cpus[k].down);
	if (k == i) {
		/*
		 * The last CPU of the set: refusing would break suspend and
		 * kexec. Packets are processed where they arrive until a CPU
		 * of the set is back; its buckets stay with it meanwhile.
		 */
		WRITE_ONCE(tbl->bypass, true);
		mutex_unlock(&ctl->lock);
		pr_warn("CPU %d is the last CPU of the set going offline: packets are processed where they arrive until one is back\n",
			cpu);
		return;
	}
	for (b = 0; b < tbl->nbuckets; b++) {
		if (psteer_bucket_owner(&tbl->buckets[b]) != cpu)
			continue;
		while (k == i || ctl->cpus[k].down)
			k = (k + 1) % ctl->ncpus;
		psteer_ctl_set_owner(ctl, b, ctl->cpu_ids[k]);
		tbl->buckets[b].moves++;
		trace_bucket_move(b, cpu, ctl->cpu_ids[k],
				  ctl->buckets[b].load);
		moved++;
		k = (k + 1) % ctl->ncpus;
	}
	mutex_unlock(&ctl->lock);
	pr_info("CPU %d going offline: its %u buckets moved to the other CPUs\n",
		cpu, moved);
}

/**
 * psteer_ctl_cpu_up() - let @cpu, back online, receive buckets again
 * @ctl: control state
 * @cpu: a CPU of the set
 *
 * The first CPU of the set back from a bypass takes every bucket and
 * ends it: waits for an RCU grace period before any CPU drains.
 *
 * Context: process (CPU hotplug); may sleep.
 */
void psteer_ctl_cpu_up(struct psteer_ctl *ctl, int cpu)
{
	u32 i = ctl->cpu_idx[cpu];
	struct psteer_cpu_load *cl = &ctl->cpus[i];
	struct psteer_table *tbl = ctl->tbl;
	bool resumed = false;

	mutex_lock(&ctl->lock);
	if (READ_ONCE(tbl->bypass)) {
		u32 b;

		/*
		 * Nothing is queued while bypassed (the last CPU drained it
		 * all going down): the buckets move freely, at once, as their
		 * owners are offline.
		 */
		for (b = 0; b < tbl->nbuckets; b++) {
			int owner = psteer_bucket_owner(&tbl->buckets[b]);

			if (ctl->cpus[ctl->cpu_idx[owner]].down)
				psteer_ctl_set_owner(ctl, b, cpu);
		}
		psteer_table_resume(tbl);
		resumed = true;
	}
	if (cl->down) {
		pr_info("CPU %d back online: the rebalancer may give it buckets\n",
			cpu);
		psteer_sample_restart(ctl, i);
	}
	cl->down = false;
	cl->cooldown = 0;
	cl->rest = 0;
	mutex_unlock(&ctl->lock);
	if (resumed) {
		/*
		 * Every list whose packets the bypass passed on is delivered
		 * (psteer_table_resume()); expedited, as the FIFOs fill
		 * meanwhile.
		 */
		synchronize_rcu_expedited();
		psteer_table_resumed(tbl);
		pr_info("CPU %d back online: psteer steers again\n", cpu);
	}
}

static void psteer_ctl_free(struct psteer_ctl *ctl)
{
	kvfree(ctl->rb_moves);
	kvfree(ctl->rb_scratch);
	kvfree(ctl->rb_buckets);
	kvfree(ctl->buckets);
	kfree(ctl->rb_cpus);
	kfree(ctl->rb_rmap);
	kfree(ctl->rb_map);
	kfree(ctl->usage_seen);
	kfree(ctl->cpus);
	kfree(ctl->cpu_idx);
	kfree(ctl->cpu_ids);
	kfree(ctl);
}

static struct psteer_ctl *psteer_ctl_alloc(struct psteer_table *tbl)
{
	u32 n = cpumask_weight(tbl->cpus), nb = tbl->nbuckets;
	struct psteer_ctl *ctl = kzalloc_obj(*ctl, GFP_KERNEL);

	if (!ctl)
		return NULL;
	ctl->ncpus = n;
	ctl->cpu_ids = kcalloc(n, sizeof(*ctl->cpu_ids), GFP_KERNEL);
	ctl->cpu_idx = kcalloc(nr_cpu_ids, sizeof(*ctl->cpu_idx), GFP_KERNEL);
	ctl->cpus = kcalloc(n, sizeof(*ctl->cpus), GFP_KERNEL);
	ctl->usage_seen = kcalloc(n, sizeof(*ctl->usage_seen), GFP_KERNEL);
	ctl->rb_map = kcalloc(n, sizeof(*ctl->rb_map), GFP_KERNEL);
	ctl->rb_rmap = kcalloc(n, sizeof(*ctl->rb_rmap), GFP_KERNEL);
	ctl->rb_cpus = kcalloc(n, sizeof(*ctl->rb_cpus), GFP_KERNEL);
	ctl->buckets = kvcalloc(nb, sizeof(*ctl->buckets), GFP_KERNEL);
	ctl->rb_buckets = kvcalloc(nb, sizeof(*ctl->rb_buckets), GFP_KERNEL);
	ctl->rb_scratch = kvcalloc(nb, sizeof(*ctl->rb_scratch), GFP_KERNEL);
	ctl->rb_moves = kvcalloc(nb, sizeof(*ctl->rb_moves), GFP_KERNEL);
	if (!ctl->cpu_ids || !ctl->cpu_idx || !ctl->cpus || !ctl->usage_seen ||
	    !ctl->rb_map || !ctl->rb_rmap ||
	    !ctl->rb_cpus || !ctl->buckets || !ctl->rb_buckets ||
	    !ctl->rb_scratch || !ctl->rb_moves) {
		psteer_ctl_free(ctl);
		return NULL;
	}
	return ctl;
}

/**
 * psteer_ctl_create() - the control state of @tbl; nothing runs yet
 * @tbl: the live table
 * @conns: its connection table, or NULL; outlives the control state
 *
 * The works start at the first psteer_ctl_reschedule().
 *
 * Context: process (module init).
 * Return: the control state, or NULL (no memory).
 */
struct psteer_ctl *psteer_ctl_create(struct psteer_table *tbl,
				     struct psteer_conntab *conns)
{
	struct psteer_ctl *ctl = psteer_ctl_alloc(tbl);
	int cpu, i = 0;

	if (!ctl)
		return NULL;
	mutex_init(&ctl->lock);
	ctl->tbl = tbl;
	ctl->conns = conns;
	INIT_DELAYED_WORK(&ctl->sample_work, psteer_sample_fn);
	INIT_DELAYED_WORK(&ctl->rebalance_work, psteer_rebalance_fn);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		ctl->cpu_idx[cpu] = -1;
	for_each_cpu(cpu, tbl->cpus) {
		ctl->cpu_ids[i] = cpu;
		ctl->cpu_idx[cpu] = i++;
	}
	psteer_sample_init(ctl);
	return ctl;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_ctl_create);

/**
 * psteer_ctl_destroy() - stop the works and free the control state
 * @ctl: control state; no psteer_ctl_reschedule() may follow
 *
 * Context: process (module exit or init unwinding).
 */
void psteer_ctl_destroy(struct psteer_ctl *ctl)
{
	WRITE_ONCE(ctl->stopping, true);
	cancel_delayed_work_sync(&ctl->rebalance_work);
	cancel_delayed_work_sync(&ctl->sample_work);
	mutex_destroy(&ctl->lock);
	psteer_ctl_free(ctl);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_ctl_destroy);
