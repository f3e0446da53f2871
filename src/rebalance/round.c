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
 * buckets with load leave it for CPUs with room below mean + threshold
 * (its idle ones stay: moving one sheds nothing). The rest balance among
 * themselves.
 *
 * Heavy buckets: the elephant rule, generalised. A bucket lighter than
 * the mean but heavier than any receiver's room (mean + threshold -
 * usage) cannot move by claim 5, and a CPU holding two or three of them
 * stays overloaded while every other CPU sits near the mean. If the CPU's
 * lighter buckets cannot bring it within the dead band, such a bucket
 * (the lightest that would bring it there, else the heaviest; none if it
 * is alone on its CPU) goes to the least used CPU that can make room for
 * it, its host. The host gives away only as much of its own load as it
 * must (not all, as a dedicated CPU does), in buckets that fit other
 * CPUs' room below mean + threshold, heaviest first, to end between
 * mean - threshold / 2 and the mean: it never gives away more than it
 * took. The larger of the two CPUs' loads drops by more than the dead
 * band (the counterpart of "unless its own CPU carries about as little
 * besides"), and the host, within the dead band and cooling down, does
 * not send the bucket on. This runs before the claim 5 moves and again
 * after them, for the CPUs they left above the dead band; then a bucket
 * that fits a receiver's room goes there directly. A CPU still cooling
 * down gives none away.
 *
 * The relief, last (heavy.c): on a coarse table no rule above may find a
 * move while a CPU stays far above the mean; such a CPU gives a bucket
 * heavier than every room to the least loaded CPU when that lowers the
 * larger of the two loads by more than the dead band.
 *
 * Cost: O(nbuckets + the buckets of the donors and hosts + ncpus * hosts
 * tried + moves * log nbuckets + ncpus^2 for the relief): donors,
 * receivers and a donor's buckets are taken from heaps (the buckets as
 * compact keys, after a few scans).
 * No allocation: the caller passes a scratch array of nbuckets u32. Plain
 * C: the host simulator compiles this file.
 */

#ifdef __KERNEL__
#include <linux/export.h>
#include "compat.h"
#endif
#include "round.h"

/*
 * The part @x of a CPU's usage that its buckets do not explain, against
 * the CPUs' mean @mean of it: nothing within PSTEER_RB_USAGE_BAND of the
 * mean (tick noise, see include/rebalance.h), all of it past twice that,
 * and in between a ramp, so that the count never jumps.
 */
static s64 psteer_rb_unexplained(s64 x, s64 mean)
{
	s64 d = x - mean, a = d < 0 ? -d : d;

	if (a <= PSTEER_RB_USAGE_BAND)
		return mean;
	if (a < 2 * PSTEER_RB_USAGE_BAND)
		a = 2 * (a - PSTEER_RB_USAGE_BAND);
	return d < 0 ? mean - a : mean + a;
}

/*
 * The part of @c's usage its buckets do not explain (c->served: their
 * loads less what they refused, as a CPU that served them was busy only
 * for what it served: with the offered loads, a saturated CPU's hog would
 * read as nothing), as it persists (PSTEER_RB_REST_DIV): kept in c->rest.
 * It falls at once
 * when it drops by more than the noise band (work that ended or left);
 * otherwise it moves by an eighth of the difference either way. Falling
 * at once to every low reading made it follow the tick noise's troughs:
 * a busy loop counted about a standard deviation short.
 */
static void psteer_rb_rest(struct psteer_rb_cpu *c)
{
	u32 now = c->served < c->usage ? c->usage - c->served : 0;

	if (now + PSTEER_RB_USAGE_BAND < c->rest)
		c->rest = now;
	else if (now >= c->rest)
		c->rest += (now - c->rest) / PSTEER_RB_REST_DIV;
	else
		c->rest -= (c->rest - now) / PSTEER_RB_REST_DIV;
}

/*
 * A CPU's usage as the round counts it: the load of its buckets, which
 * the sampler times to the nanosecond, plus the rest of its measured
 * usage (work that is not psteer's: a hog, the stack's own), as it
 * persists, where that departs from the CPUs' mean of it by more than the
 * tick noise. The mean
 * leaves out the CPUs more than PSTEER_RB_USAGE_BAND above the plain
 * mean: a hog on one CPU of four would otherwise raise it past the band
 * and make the other three look loaded. Usage is at most a full CPU; the
 * loads of its buckets are not: a CPU whose buckets add up to more is
 * saturated and carries at least their sum. On entry c->excess holds the
 * sum of its buckets' loads.
 */
static void psteer_rb_count_usage(struct psteer_rb_round *r)
{
	s64 all = 0, mean = 0, u;
	u32 i, n = 0;

	for (i = 0; i < r->ncpus; i++) {
		psteer_rb_rest(&r->cpus[i]);
		all += r->cpus[i].rest;
	}
	all = div64_s64(all, r->ncpus);
	for (i = 0; i < r->ncpus; i++) {
		u = r->cpus[i].rest;
		if (u <= all + PSTEER_RB_USAGE_BAND) {
			mean += u;
			n++;
		}
	}
	mean = div64_s64(mean, n);
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		c->other = psteer_rb_unexplained(c->rest, mean);
		u = c->excess + c->other;
		c->usage = u > U32_MAX ? U32_MAX : u;
		c->excess = 0;
	}
}

/*
 * Links every bucket on its owner's list, and takes a round off the hold
 * of those moved lately (all of it from one a flow arrived in: its load
 * grew past twice @moved and the threshold). On the way, the buckets that
 * may be elephants go to the heap: heavier than the fair share can be, at
 * least the mean of the usages as given less PSTEER_RB_USAGE_BAND (the
 * most that counting them can take off a CPU's usage). False on an owner
 * out of range.
 */
static bool psteer_rb_lists(struct psteer_rb_round *r)
{
	u64 floor = 0;
	u32 i;

	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		c->index = 0;
		c->dedicated = false;
		c->received = false;
		c->host = false;
		c->head = PSTEER_RB_NONE;
		c->elephant = PSTEER_RB_NONE;
		c->excess = 0;
		c->served = 0;
		c->target = -1;
		c->room = -1;
		c->heaviest = 0;
		c->tried = PSTEER_RB_NONE;
		c->relieved = false;
		c->spent = false;
		floor += c->usage;
	}
	floor /= r->ncpus;
	floor = floor > PSTEER_RB_USAGE_BAND ? floor - PSTEER_RB_USAGE_BAND : 0;
	psteer_rb_heap_init(r);
	for (i = r->nbuckets; i-- > 0; ) {
		struct psteer_rb_bucket *b = &r->b[i];
		struct psteer_rb_cpu *c;

		if (b->owner >= r->ncpus)
			return false;
		if (b->hold) {
			b->hold--;
			/* A flow arrived in it: not a lagging measure. */
			if (b->load > 2 * (u64)b->moved + r->cfg->threshold)
				b->hold = 0;
		}
		c = &r->cpus[b->owner];
		b->next = c->head;
		c->head = i;
		c->excess += b->load;
		c->served += b->load - psteer_rb_min(b->refused, b->load);
		if (b->load > c->heaviest)
			c->heaviest = b->load;
		if (!b->pinned && b->load > floor &&
		    b->load > r->cfg->threshold)
			psteer_rb_heap_add(r, i);
	}
	psteer_rb_count_usage(r);
	return true;
}

/*
 * Claim 5: the mean m over the undedicated CPUs (counting the load that
 * dedicated CPUs must hand them), every d_i, D, each donor's excess and
 * each receiver's target E * d_j / D. Also the largest room of any
 * receiver: a bucket heavier than that is heavy. Returns D.
 */
static s64 psteer_rb_indexes(struct psteer_rb_round *r)
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
		for (j = psteer_rb_first(r, i); j != PSTEER_RB_NONE;
		     j = psteer_rb_next(r, i, j))
			if (psteer_rb_movable(r, j))
				c->excess += r->b[j].load;
		pool += c->excess;
		excess += c->excess;
	}
	r->mean = div64_s64(sum + pool, n);
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->dedicated)
			continue;
		c->index = (s64)r->mean - c->usage;
		if (c->index > 0) {
			total += c->index;
		} else if (-c->index > (s64)r->cfg->threshold) {
			c->excess = -c->index;
			excess += c->excess;
		}
	}
	if (excess > total)
		excess = total;
	r->heavy = -1;
	for (i = 0; i < r->ncpus; i++) {
		struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->dedicated || c->cooldown)
			continue;
		c->room = (s64)c->index + r->cfg->threshold;
		if (c->index > 0)
			c->target = div64_s64(excess * c->index, total);
		if (c->room > r->heavy)
			r->heavy = c->room;
	}
	return total;
}

/*
 * The heaviest bucket @c may give @to: no more than its remaining excess
 * (a dedicated CPU gives all), nor @to's share plus @slack, nor its room.
 */
static s64 psteer_rb_fit(const struct psteer_rb_round *r,
			 const struct psteer_rb_cpu *c, u32 to, s64 slack)
{
	const struct psteer_rb_cpu *t = &r->cpus[to];
	s64 fit = psteer_rb_min(psteer_rb_limit(t, r->by_room) + slack,
				t->room);

	return c->dedicated ? fit : psteer_rb_min(fit, c->excess);
}

/*
 * Sheds @cpu's excess, heaviest bucket first. An overloaded CPU moves a
 * bucket only if it fits both its remaining excess and the remaining
 * claim 5 share (target, plus half the dead band) of the receiver with
 * the largest one. A dedicated CPU moves every bucket with load but its
 * elephant, each to the receiver with the most room below mean +
 * threshold, if it fits there.
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
	u32 best;

	psteer_rb_receivers(r, by_room);
	best = psteer_rb_best(r);
	if (best == PSTEER_RB_NONE)
		return;
	psteer_rb_collect(r, cpu, psteer_rb_fit(r, c, best, slack));
	while (psteer_rb_left(r) && !psteer_rb_full(r) &&
	       (best = psteer_rb_best(r)) != PSTEER_RB_NONE) {
		u64 key;

		if (!psteer_rb_take(r, psteer_rb_fit(r, c, best, slack), &key))
			break;
		c->excess -= psteer_rb_key_load(key);
		psteer_rb_give(r, psteer_rb_key_bucket(key), best);
	}
}

/**
 * psteer_rebalance() - one rebalancing round
 * @cfg: dead band, move cap, cool-down
 * @cpus: the CPUs, @usage and @cooldown filled in; @index, @dedicated,
 *	@received and @host are written, @cooldown updated
 * @ncpus: number of CPUs, at least 1
 * @buckets: the buckets, @load, @owner and @pinned filled in; @owner is
 *	updated with the moves
 * @nbuckets: number of buckets, at most PSTEER_RB_MAX_BUCKETS
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
		.by_room = -1,
	};
	u64 total = 0;
	u32 i, donor;

	sum->nmoves = 0;
	sum->elephants = 0;
	sum->heavy = 0;
	sum->total_index = 0;
	sum->mean = 0;
	if (!ncpus || nbuckets > PSTEER_RB_MAX_BUCKETS ||
	    !psteer_rb_lists(&r))
		return 0;
	for (i = 0; i < ncpus; i++)
		total += cpus[i].usage;
	sum->elephants = psteer_rb_elephants(&r, total / ncpus);
	sum->total_index = psteer_rb_indexes(&r);
	sum->mean = r.mean;
	sum->heavy = psteer_rb_heavy(&r, true);
	psteer_rb_donors(&r, false);
	while (!psteer_rb_full(&r) &&
	       (donor = psteer_rb_next_donor(&r)) != PSTEER_RB_NONE)
		psteer_rb_shed(&r, donor);
	sum->heavy += psteer_rb_heavy(&r, false);
	sum->heavy += psteer_rb_relieve(&r);

	for (i = 0; i < r.nmoves; i++)
		cpus[moves[i].to].received = true;
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
