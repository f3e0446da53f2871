// SPDX-License-Identifier: GPL-2.0
/*
 * The rebalancer (claims 5 and 11): which buckets move where, so that the
 * CPUs' workloads are balanced.
 *
 * Claim 5, step by step, as psteer_rebalance() computes it:
 *
 *   1. u_i: each CPU's percentage of capacity used, measured statistically
 *      by the sampler (src/sampler.c): all non-idle time, EWMA-smoothed.
 *   2. d_i = m - u_i: the imbalance distribution index of CPU i, with m
 *      the mean usage. Positive: spare capacity; negative: overloaded.
 *   3. D = the sum of the d_i over the CPUs with d_i > 0: the total
 *      imbalance index. The d_i sum to zero, so the positive ones add up
 *      to as much as the negative ones: D is both the total spare capacity
 *      and the total excess, and the receivers' shares d_j / D add up to
 *      exactly 1. (The sum of all |d_i| would be 2D and halve every share;
 *      the plain sum of the d_i is always 0.)
 *   4. The load E shed by the overloaded CPUs (those more than threshold
 *      above m) is distributed to each receiving CPU j in proportion to
 *      its index and in inverse proportion to the total: j may receive
 *      E * d_j / D. As E <= D, no receiver is pushed past the mean.
 *
 * Which buckets carry that load is chosen from their measured load:
 * largest first, a bucket moving only if it fits both what its CPU must
 * still shed and what the receiver may still take (never overshooting
 * either), to the receiver with the most room left. A dead band keeps a
 * balanced table still; receivers cool down for a few rounds, since their
 * measured usage lags a move; at most max_moves buckets move per round.
 *
 * Elephants: a bucket heavier than a CPU's fair share (the mean usage)
 * cannot be balanced by moving others around it. It goes alone to the
 * least used CPU (unless its own CPU carries about as little besides),
 * which is then dedicated to it: that CPU receives nothing, and its other
 * buckets leave it for CPUs with room below mean + threshold. The rest
 * balance among themselves.
 *
 * Cost: O(nbuckets * (1 + elephants) + ncpus * (ncpus + max_moves) +
 * max_moves * log nbuckets). No allocation: the caller passes a scratch
 * array of nbuckets u32. Plain C: the host simulator compiles this file.
 */

#ifdef __KERNEL__
#include <linux/export.h>
#include "compat.h"
#endif
#include "rebalance.h"

/* Everything one round works on. */
struct psteer_rb_round {
	const struct psteer_rb_config *cfg;
	struct psteer_rb_cpu *cpus;
	u32 ncpus;
	struct psteer_rb_bucket *b;
	u32 nbuckets;
	u32 *heap;
	u32 heaplen;
	struct psteer_rb_move *moves;
	u32 nmoves;
	u32 best;	/* receiver with the largest target, or NONE */
};

static bool psteer_rb_full(const struct psteer_rb_round *r)
{
	return r->nmoves >= r->cfg->max_moves;
}

/* Links every bucket on its owner's list. False on an owner out of range. */
static bool psteer_rb_lists(struct psteer_rb_round *r)
{
	u32 i;

	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		c->index = 0;
		c->dedicated = false;
		c->received = false;
		c->shed = false;
		c->head = PSTEER_RB_NONE;
		c->elephant = PSTEER_RB_NONE;
		c->excess = 0;
		c->target = -1;
		c->room = -1;
	}
	for (i = r->nbuckets; i-- > 0; ) {
		struct psteer_rb_cpu *c;

		if (r->b[i].owner >= r->ncpus)
			return false;
		c = &r->cpus[r->b[i].owner];
		r->b[i].next = c->head;
		c->head = i;
		c->excess += r->b[i].load;
	}
	/*
	 * Usage is at most a full CPU; the loads of its buckets are not. A
	 * CPU whose buckets add up to more is saturated and carries at least
	 * their sum: without this, its excess would look smaller than the
	 * buckets it has to shed.
	 */
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->excess > c->usage)
			c->usage = c->excess > U32_MAX ? U32_MAX : c->excess;
		c->excess = 0;
	}
	return true;
}

/* A bucket the round may move: not pinned, not an elephant in place. */
static bool psteer_rb_movable(const struct psteer_rb_round *r, u32 i)
{
	return !r->b[i].pinned && r->cpus[r->b[i].owner].elephant != i;
}

/* Is @bucket the only movable bucket on @cpu? */
static bool psteer_rb_alone(const struct psteer_rb_round *r, u32 cpu,
			    u32 bucket)
{
	u32 i;

	for (i = r->cpus[cpu].head; i != PSTEER_RB_NONE; i = r->b[i].next)
		if (i != bucket && !r->b[i].pinned)
			return false;
	return true;
}

/* Least used CPU not dedicated yet, or NONE. */
static u32 psteer_rb_least_used(const struct psteer_rb_round *r)
{
	u32 i, best = PSTEER_RB_NONE;

	for (i = 0; i < r->ncpus; i++)
		if (!r->cpus[i].dedicated &&
		    (best == PSTEER_RB_NONE ||
		     r->cpus[i].usage < r->cpus[best].usage))
			best = i;
	return best;
}

/* @cpu's usage less bucket @b's load, not below zero. */
static u32 psteer_rb_usage_without(const struct psteer_rb_round *r, u32 cpu,
				   u32 b)
{
	u32 usage = r->cpus[cpu].usage, load = r->b[b].load;

	return usage > load ? usage - load : 0;
}

/*
 * Where elephant @e on @cpu should live alone. It stays unless another
 * CPU carries clearly less besides (by more than the dead band): moving
 * it there then frees more capacity than clearing its current CPU would,
 * and the rule cannot send it back next round.
 */
static u32 psteer_rb_elephant_home(const struct psteer_rb_round *r, u32 cpu,
				   u32 e)
{
	u32 to, rest;

	if (psteer_rb_alone(r, cpu, e))
		return cpu;
	to = psteer_rb_least_used(r);
	rest = psteer_rb_usage_without(r, cpu, e);
	if (to == PSTEER_RB_NONE ||
	    (u64)rest <= (u64)r->cpus[to].usage + r->cfg->threshold)
		return cpu;
	return to;
}

static void psteer_rb_unlink(struct psteer_rb_round *r, u32 cpu, u32 bucket)
{
	u32 *p = &r->cpus[cpu].head;

	while (*p != bucket)
		p = &r->b[*p].next;
	*p = r->b[bucket].next;
}

/* Records a move and applies it to the bucket array. */
static void psteer_rb_move(struct psteer_rb_round *r, u32 bucket, u32 to)
{
	struct psteer_rb_move *m = &r->moves[r->nmoves++];

	m->bucket = bucket;
	m->from = r->b[bucket].owner;
	m->to = to;
	m->load = r->b[bucket].load;
	r->b[bucket].owner = to;
	r->cpus[to].received = true;
}

static void psteer_rb_sift_down(struct psteer_rb_round *r, u32 i);
static u32 psteer_rb_pop(struct psteer_rb_round *r);

/*
 * Elephants, heaviest first: each gets a CPU of its own. Where it is
 * already alone it stays; otherwise it goes to the least used CPU, unless
 * its own CPU carries about as little besides; one that shares a CPU
 * with a heavier elephant always leaves. At least one CPU is left
 * undedicated. The candidates (fewer than ncpus, each being heavier than
 * the mean) are found in one pass and taken from a heap in the scratch
 * array. Returns the number of elephants.
 */
static u32 psteer_rb_elephants(struct psteer_rb_round *r, u64 fair)
{
	u32 i, n = 0, undedicated = r->ncpus;

	r->heaplen = 0;
	for (i = 0; i < r->nbuckets; i++)
		if (!r->b[i].pinned && r->b[i].load > fair &&
		    r->b[i].load > r->cfg->threshold)
			r->heap[r->heaplen++] = i;
	for (i = r->heaplen / 2; i-- > 0; )
		psteer_rb_sift_down(r, i);

	while (r->heaplen && undedicated > 1) {
		u32 e = psteer_rb_pop(r), cpu = r->b[e].owner, to;

		if (r->cpus[cpu].dedicated)
			to = psteer_rb_least_used(r);
		else
			to = psteer_rb_elephant_home(r, cpu, e);
		if (to != cpu) {
			if (psteer_rb_full(r))
				break;
			r->cpus[cpu].usage = psteer_rb_usage_without(r, cpu, e);
			psteer_rb_unlink(r, cpu, e);
			psteer_rb_move(r, e, to);
			r->b[e].next = r->cpus[to].head;
			r->cpus[to].head = e;
		}
		r->cpus[to].dedicated = true;
		r->cpus[to].elephant = e;
		n++;
		undedicated--;
	}
	return n;
}

/*
 * Claim 5: the mean m over the undedicated CPUs (counting the load that
 * dedicated CPUs must hand them), every d_i, D, each donor's excess and
 * each receiver's target E * d_j / D. Returns D.
 */
static s64 psteer_rb_indexes(struct psteer_rb_round *r, u32 *mean)
{
	u64 sum = 0, pool = 0;
	s64 total = 0, excess = 0;
	u32 i, n = 0;

	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];
		u32 j;

		if (!c->dedicated) {
			sum += c->usage;
			n++;
			continue;
		}
		for (j = c->head; j != PSTEER_RB_NONE; j = r->b[j].next)
			if (psteer_rb_movable(r, j))
				c->excess += r->b[j].load;
		pool += c->excess;
		excess += c->excess;
	}
	*mean = div64_s64(sum + pool, n);
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->dedicated)
			continue;
		c->index = (s64)*mean - c->usage;
		if (c->index > 0) {
			total += c->index;
		} else if (-c->index > (s64)r->cfg->threshold) {
			c->excess = -c->index;
			excess += c->excess;
		}
	}
	if (excess > total)
		excess = total;
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->dedicated || c->cooldown)
			continue;
		c->room = (s64)c->index + r->cfg->threshold;
		if (c->index > 0)
			c->target = div64_s64(excess * c->index, total);
	}
	return total;
}

/* How much more @c may take: its claim 5 share, or its room. */
static s64 psteer_rb_limit(const struct psteer_rb_cpu *c, bool by_room)
{
	return by_room ? c->room : c->target;
}

static void psteer_rb_find_best(struct psteer_rb_round *r, bool by_room)
{
	u32 i;

	r->best = PSTEER_RB_NONE;
	for (i = 0; i < r->ncpus; i++) {
		s64 limit = psteer_rb_limit(&r->cpus[i], by_room);

		if (limit >= 0 &&
		    (r->best == PSTEER_RB_NONE ||
		     limit > psteer_rb_limit(&r->cpus[r->best], by_room)))
			r->best = i;
	}
}

/*
 * Heap order: heavier first; of equal loads, fewer connections first, so
 * that less state changes CPU.
 */
static bool psteer_rb_heavier(const struct psteer_rb_round *r, u32 a, u32 b)
{
	const struct psteer_rb_bucket *x = &r->b[r->heap[a]];
	const struct psteer_rb_bucket *y = &r->b[r->heap[b]];

	return x->load > y->load ||
	       (x->load == y->load && x->conns < y->conns);
}

static void psteer_rb_sift_down(struct psteer_rb_round *r, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, top = i, tmp;

		if (l < r->heaplen && psteer_rb_heavier(r, l, top))
			top = l;
		if (l + 1 < r->heaplen && psteer_rb_heavier(r, l + 1, top))
			top = l + 1;
		if (top == i)
			return;
		tmp = r->heap[i];
		r->heap[i] = r->heap[top];
		r->heap[top] = tmp;
		i = top;
	}
}

/* Heap of @cpu's movable buckets, heaviest on top. */
static void psteer_rb_heapify(struct psteer_rb_round *r, u32 cpu)
{
	u32 i;

	r->heaplen = 0;
	for (i = r->cpus[cpu].head; i != PSTEER_RB_NONE; i = r->b[i].next)
		if (psteer_rb_movable(r, i))
			r->heap[r->heaplen++] = i;
	for (i = r->heaplen / 2; i-- > 0; )
		psteer_rb_sift_down(r, i);
}

static u32 psteer_rb_pop(struct psteer_rb_round *r)
{
	u32 top = r->heap[0];

	r->heap[0] = r->heap[--r->heaplen];
	psteer_rb_sift_down(r, 0);
	return top;
}

/*
 * Sheds @cpu's excess, heaviest bucket first. An overloaded CPU moves a
 * bucket only if it fits both its remaining excess and the remaining
 * claim 5 share (target, plus half the dead band) of the receiver with
 * the largest one. A
 * dedicated CPU moves every bucket but its elephant, each to the
 * receiver with the most room below mean + threshold, if it fits there.
 */
static void psteer_rb_shed(struct psteer_rb_round *r, u32 cpu)
{
	struct psteer_rb_cpu *c = &r->cpus[cpu];
	bool by_room = c->dedicated;
	/*
	 * A bucket may overshoot a receiver's share by half the dead band:
	 * when a CPU's spare capacity is split over many receivers, each
	 * share can be smaller than every bucket. The receiver still ends
	 * inside the dead band (room), so it will not send the bucket back.
	 */
	s64 slack = by_room ? 0 : r->cfg->threshold / 2;

	psteer_rb_heapify(r, cpu);
	psteer_rb_find_best(r, by_room);
	while (r->heaplen && !psteer_rb_full(r) && r->best != PSTEER_RB_NONE) {
		u32 i = psteer_rb_pop(r);
		s64 load = r->b[i].load;
		struct psteer_rb_cpu *to = &r->cpus[r->best];

		if (!by_room && (!load || c->excess <= 0))
			break;
		if ((!by_room && load > c->excess) ||
		    load > psteer_rb_limit(to, by_room) + slack ||
		    load > to->room)
			continue;
		c->excess -= load;
		to->target -= load;
		to->room -= load;
		psteer_rb_move(r, i, r->best);
		psteer_rb_find_best(r, by_room);
	}
}

/* Next donor: dedicated CPUs first, then the largest excess. */
static u32 psteer_rb_next_donor(struct psteer_rb_round *r)
{
	u32 i, best = PSTEER_RB_NONE;

	for (i = 0; i < r->ncpus; i++) {
		const struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->shed || (c->excess <= 0 && !c->dedicated))
			continue;
		if (best == PSTEER_RB_NONE ||
		    c->dedicated > r->cpus[best].dedicated ||
		    (c->dedicated == r->cpus[best].dedicated &&
		     c->excess > r->cpus[best].excess))
			best = i;
	}
	if (best != PSTEER_RB_NONE)
		r->cpus[best].shed = true;
	return best;
}

/**
 * psteer_rebalance() - one rebalancing round
 * @cfg: dead band, move cap, cool-down
 * @cpus: the CPUs, @usage and @cooldown filled in; @index and @dedicated
 *	are written, @cooldown updated
 * @ncpus: number of CPUs, at least 1
 * @buckets: the buckets, @load, @owner and @pinned filled in; @owner is
 *	updated with the moves
 * @nbuckets: number of buckets
 * @scratch: nbuckets u32s of scratch space
 * @moves: room for cfg->max_moves moves
 * @sum: round summary
 *
 * Context: any; pure computation on the arrays given.
 * Return: the number of moves written to @moves.
 */
u32 psteer_rebalance(const struct psteer_rb_config *cfg,
		     struct psteer_rb_cpu *cpus, u32 ncpus,
		     struct psteer_rb_bucket *buckets, u32 nbuckets,
		     u32 *scratch, struct psteer_rb_move *moves,
		     struct psteer_rb_summary *sum)
{
	struct psteer_rb_round r = {
		.cfg = cfg, .cpus = cpus, .ncpus = ncpus, .b = buckets,
		.nbuckets = nbuckets, .heap = scratch, .moves = moves,
	};
	u64 total = 0;
	u32 i, donor;

	sum->nmoves = 0;
	sum->elephants = 0;
	sum->total_index = 0;
	sum->mean = 0;
	if (!ncpus || !psteer_rb_lists(&r))
		return 0;
	for (i = 0; i < ncpus; i++)
		total += cpus[i].usage;
	sum->elephants = psteer_rb_elephants(&r, total / ncpus);
	sum->total_index = psteer_rb_indexes(&r, &sum->mean);
	while (!psteer_rb_full(&r) &&
	       (donor = psteer_rb_next_donor(&r)) != PSTEER_RB_NONE)
		psteer_rb_shed(&r, donor);

	for (i = 0; i < ncpus; i++) {
		if (cpus[i].received)
			cpus[i].cooldown = cfg->cooldown;
		else if (cpus[i].cooldown)
			cpus[i].cooldown--;
	}
	sum->nmoves = r.nmoves;
	return r.nmoves;
}

#ifdef __KERNEL__
EXPORT_SYMBOL_IF_KUNIT(psteer_rebalance);
#endif
