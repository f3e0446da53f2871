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
 * Cost: O(nbuckets + the buckets of the donors and hosts + ncpus * hosts
 * tried + moves * log nbuckets): donors, receivers and a donor's buckets
 * are taken from heaps (the buckets as compact keys, after a few scans).
 * No allocation: the caller passes a scratch array of nbuckets u32. Plain
 * C: the host simulator compiles this file.
 */

#ifdef __KERNEL__
#include <linux/export.h>
#include "compat.h"
#endif
#include "rebalance.h"

/* How many hosts a heavy bucket may try before it stays this round. */
#define PSTEER_RB_HOST_TRIES	8
/*
 * A donor's buckets are taken in order by scans of them, each setting the
 * PSTEER_RB_TOP heaviest aside, at most PSTEER_RB_SCANS times, then from
 * a heap: a donor usually sheds a few of its buckets, and a scan costs
 * less than building a heap; one that sheds many gets the heap.
 */
#define PSTEER_RB_TOP		8
#define PSTEER_RB_SCANS		4

/* Everything one round works on. */
struct psteer_rb_round {
	const struct psteer_rb_config *cfg;
	struct psteer_rb_cpu *cpus;
	u32 ncpus;
	struct psteer_rb_bucket *b;
	u32 nbuckets;
	u32 *heap;	/* the scratch array: a heap of buckets */
	u32 heaplen;
	bool packed;	/* heap entries are keys (two u32), not indexes */
	bool heaped;	/* the entries are in heap order */
	u32 scans;	/* scans of the entries for the heaviest */
	u64 top[PSTEER_RB_TOP];	/* the heaviest, set aside by a scan */
	u32 tophead, ntop;	/* top[tophead..ntop) are left */
	u32 lightest;	/* lightest bucket in the heap */
	struct psteer_rb_move *moves;
	u32 nmoves;
	u32 nrecv;	/* receivers in the heap: cpus[0..nrecv).rank */
	u32 ndonors;	/* donors in the heap: cpus[0..ndonors).order */
	int by_room;	/* the receiver heap's key: 1 room, 0 target, -1 none */
	u32 mean;
	s64 heavy;	/* a bucket heavier than this fits no receiver */
};

/* min() without <linux/minmax.h>, which the host simulator lacks. */
static s64 psteer_rb_min(s64 a, s64 b)
{
	return a < b ? a : b;
}

static bool psteer_rb_full(const struct psteer_rb_round *r)
{
	return r->nmoves >= r->cfg->max_moves;
}

/*
 * The heap of buckets, heaviest on top; of equal loads, fewer connections
 * first (so that less state changes CPU), then the higher index. Each
 * bucket's place in that order is one u64 key: load, connections (up to
 * 65535) inverted, index. A CPU's buckets lie far apart in the bucket
 * array (ncpus apart, as owners are dealt round-robin), so comparing them
 * there would miss the cache at every step: where the scratch array has
 * room for two u32 per entry, the heap holds the keys themselves, else
 * bucket indexes whose keys are read from the buckets.
 */
static u64 psteer_rb_key(const struct psteer_rb_round *r, u32 i)
{
	u32 conns = r->b[i].conns < 0xffff ? r->b[i].conns : 0xffff;

	return (u64)r->b[i].load << 32 | (u64)(0xffff - conns) << 16 | i;
}

static u32 psteer_rb_key_bucket(u64 key)
{
	return key & 0xffff;
}

static u32 psteer_rb_key_load(u64 key)
{
	return key >> 32;
}

static inline u64 psteer_rb_get(const struct psteer_rb_round *r, u32 pos)
{
	if (r->packed)
		return (u64)r->heap[2 * pos] << 32 | r->heap[2 * pos + 1];
	return psteer_rb_key(r, r->heap[pos]);
}

static inline void psteer_rb_set(struct psteer_rb_round *r, u32 pos, u64 key)
{
	if (r->packed) {
		r->heap[2 * pos] = key >> 32;
		r->heap[2 * pos + 1] = (u32)key;
	} else {
		r->heap[pos] = psteer_rb_key_bucket(key);
	}
}

static void psteer_rb_sift_down(struct psteer_rb_round *r, u32 i)
{
	u64 key = psteer_rb_get(r, i);

	for (;;) {
		u32 l = 2 * i + 1;
		u64 top;

		if (l >= r->heaplen)
			break;
		top = psteer_rb_get(r, l);
		if (l + 1 < r->heaplen && psteer_rb_get(r, l + 1) > top)
			top = psteer_rb_get(r, ++l);
		if (top <= key)
			break;
		psteer_rb_set(r, i, top);
		i = l;
	}
	psteer_rb_set(r, i, key);
}

static void psteer_rb_heap_init(struct psteer_rb_round *r)
{
	r->heaplen = 0;
	r->packed = true;
	r->heaped = false;
	r->scans = 0;
	r->tophead = 0;
	r->ntop = 0;
	r->lightest = U32_MAX;
}

/*
 * Adds bucket @i to the end of the heap's array; its key is taken now,
 * while the bucket is in the cache. Past half the scratch array, the keys
 * so far become indexes (entry k is words 2k and 2k + 1, and k <= 2k).
 */
static void psteer_rb_heap_add(struct psteer_rb_round *r, u32 i)
{
	u32 k;

	if (r->packed && 2 * ((u64)r->heaplen + 1) > r->nbuckets) {
		for (k = 0; k < r->heaplen; k++)
			r->heap[k] = psteer_rb_key_bucket(r->heap[2 * k + 1]);
		r->packed = false;
	}
	psteer_rb_set(r, r->heaplen++, psteer_rb_key(r, i));
}

/* Orders the entries added into a heap: Floyd's construction. */
static void psteer_rb_heap_build(struct psteer_rb_round *r)
{
	u32 k;

	for (k = r->heaplen / 2; k-- > 0; )
		psteer_rb_sift_down(r, k);
	r->heaped = true;
}

/* Takes the top of the heap; returns its key. */
static u64 psteer_rb_pop(struct psteer_rb_round *r)
{
	u64 top = psteer_rb_get(r, 0), last, key;
	u32 i = 0, l;

	last = psteer_rb_get(r, --r->heaplen);
	/*
	 * Bottom-up: the hole at the top goes down along the heavier child
	 * to a leaf, one comparison a level, and the last entry rises from
	 * there to its place, rarely more than a level or two.
	 */
	while ((l = 2 * i + 1) < r->heaplen) {
		key = psteer_rb_get(r, l);
		if (l + 1 < r->heaplen && psteer_rb_get(r, l + 1) > key)
			key = psteer_rb_get(r, ++l);
		psteer_rb_set(r, i, key);
		i = l;
	}
	while (i > 0 && last > (key = psteer_rb_get(r, (i - 1) / 2))) {
		psteer_rb_set(r, i, key);
		i = (i - 1) / 2;
	}
	psteer_rb_set(r, i, last);
	return top;
}

/*
 * One scan of the entries: drops those above @lim and sets the
 * PSTEER_RB_TOP heaviest of the others aside in top[], heaviest first,
 * taking them off the array (from the last place back, so that moving the
 * last entry into a freed place never moves one of them).
 */
static void psteer_rb_scan(struct psteer_rb_round *r, u64 lim)
{
	u32 i, j, n = 0, pos[PSTEER_RB_TOP];
	u64 k;

	r->scans++;
	for (i = 0; i < r->heaplen; ) {
		k = psteer_rb_get(r, i);
		if (k > lim) {
			psteer_rb_set(r, i, psteer_rb_get(r, --r->heaplen));
			continue;
		}
		if (n < PSTEER_RB_TOP || k > r->top[n - 1]) {
			j = n < PSTEER_RB_TOP ? n++ : n - 1;
			for (; j > 0 && r->top[j - 1] < k; j--) {
				r->top[j] = r->top[j - 1];
				pos[j] = pos[j - 1];
			}
			r->top[j] = k;
			pos[j] = i;
		}
		i++;
	}
	r->tophead = 0;
	r->ntop = n;
	/* Largest place first: a few entries, sorted by insertion. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && pos[j - 1] < pos[j]; j--) {
			k = pos[j];
			pos[j] = pos[j - 1];
			pos[j - 1] = k;
		}
	for (i = 0; i < n; i++)
		psteer_rb_set(r, pos[i], psteer_rb_get(r, --r->heaplen));
}

/* Buckets left to take. */
static u32 psteer_rb_left(const struct psteer_rb_round *r)
{
	return r->heaplen + r->ntop - r->tophead;
}

/*
 * Drops the buckets heavier than @fit, then takes the heaviest of the rest
 * into @key. False if there is none. From what the last scan set aside
 * (all heavier than the entries left), a new scan once that is used up,
 * and a heap after PSTEER_RB_SCANS scans.
 */
static bool psteer_rb_take(struct psteer_rb_round *r, s64 fit, u64 *key)
{
	u64 lim = (u64)fit << 32 | U32_MAX;

	if (fit < r->lightest)
		return false;
	for (;;) {
		while (r->tophead < r->ntop && r->top[r->tophead] > lim)
			r->tophead++;
		if (r->tophead < r->ntop) {
			*key = r->top[r->tophead++];
			return true;
		}
		if (!r->heaplen)
			return false;
		if (r->heaped || r->scans >= PSTEER_RB_SCANS)
			break;
		psteer_rb_scan(r, lim);
	}
	if (!r->heaped)
		psteer_rb_heap_build(r);
	while (r->heaplen) {
		*key = psteer_rb_pop(r);
		if (psteer_rb_key_load(*key) <= fit)
			return true;
	}
	return false;
}

/*
 * Links every bucket on its owner's list. On the way, the buckets that may
 * be elephants go to the heap: heavier than the fair share can be, at
 * least the mean of the usages as given. False on an owner out of range.
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
		c->target = -1;
		c->room = -1;
		c->heaviest = 0;
		c->tried = PSTEER_RB_NONE;
		floor += c->usage;
	}
	floor /= r->ncpus;
	psteer_rb_heap_init(r);
	for (i = r->nbuckets; i-- > 0; ) {
		struct psteer_rb_bucket *b = &r->b[i];
		struct psteer_rb_cpu *c;

		if (b->owner >= r->ncpus)
			return false;
		c = &r->cpus[b->owner];
		b->next = c->head;
		c->head = i;
		c->excess += b->load;
		if (b->load > c->heaviest)
			c->heaviest = b->load;
		if (!b->pinned && b->load > floor &&
		    b->load > r->cfg->threshold)
			psteer_rb_heap_add(r, i);
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
		if (i != bucket && !r->b[i].pinned && r->b[i].owner == cpu)
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
}

/*
 * Elephants, heaviest first: each gets a CPU of its own. Where it is
 * already alone it stays; otherwise it goes to the least used CPU, unless
 * its own CPU carries about as little besides; one that shares a CPU
 * with a heavier elephant always leaves. At least one CPU is left
 * undedicated. The candidates (fewer than ncpus, each being heavier than
 * the mean) come from the heap psteer_rb_lists() started. Returns the
 * number of elephants.
 */
static u32 psteer_rb_elephants(struct psteer_rb_round *r, u64 fair)
{
	u32 i, n = 0, undedicated = r->ncpus;

	for (i = 0; i < r->heaplen; )
		if (psteer_rb_key_load(psteer_rb_get(r, i)) > fair)
			i++;
		else
			psteer_rb_set(r, i, psteer_rb_get(r, --r->heaplen));
	psteer_rb_heap_build(r);

	while (r->heaplen && undedicated > 1) {
		u32 e = psteer_rb_key_bucket(psteer_rb_pop(r));
		u32 cpu = r->b[e].owner, to;

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
		for (j = c->head; j != PSTEER_RB_NONE; j = r->b[j].next)
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

/* How much more @c may take: its claim 5 share, or its room. */
static s64 psteer_rb_limit(const struct psteer_rb_cpu *c, bool by_room)
{
	return by_room ? c->room : c->target;
}

/*
 * Receiver heap order: more room (or share) first; of equal ones, the
 * lower CPU index, as a scan of the CPUs in order would pick.
 */
static bool psteer_rb_roomier(const struct psteer_rb_round *r, u32 a, u32 b)
{
	s64 x = psteer_rb_limit(&r->cpus[a], r->by_room);
	s64 y = psteer_rb_limit(&r->cpus[b], r->by_room);

	return x > y || (x == y && a < b);
}

/*
 * Donor order: dedicated CPUs first, then the larger excess; of equal
 * ones, the lower CPU index, as a scan of the CPUs in order would pick.
 */
static bool psteer_rb_before(const struct psteer_rb_round *r, u32 a, u32 b)
{
	const struct psteer_rb_cpu *x = &r->cpus[a], *y = &r->cpus[b];

	if (x->dedicated != y->dedicated)
		return x->dedicated;
	return x->excess > y->excess || (x->excess == y->excess && a < b);
}

/*
 * Two heaps of CPUs, of slots in the CPU array: the receivers (in
 * cpus[].rank, by psteer_rb_roomier()) and the donors (in cpus[].order,
 * by psteer_rb_before()).
 */
static u32 *psteer_rb_slot(struct psteer_rb_round *r, bool donors, u32 k)
{
	return donors ? &r->cpus[k].order : &r->cpus[k].rank;
}

static void psteer_rb_cpu_sift(struct psteer_rb_round *r, bool donors, u32 k)
{
	u32 len = donors ? r->ndonors : r->nrecv;

	for (;;) {
		u32 l = 2 * k + 1, top = k, a, b, tmp;

		for (; l < len && l <= 2 * k + 2; l++) {
			a = *psteer_rb_slot(r, donors, l);
			b = *psteer_rb_slot(r, donors, top);
			if (donors ? psteer_rb_before(r, a, b) :
				     psteer_rb_roomier(r, a, b))
				top = l;
		}
		if (top == k)
			return;
		tmp = *psteer_rb_slot(r, donors, k);
		*psteer_rb_slot(r, donors, k) = *psteer_rb_slot(r, donors, top);
		*psteer_rb_slot(r, donors, top) = tmp;
		k = top;
	}
}

/*
 * The heap of the CPUs that may receive, by share (claim 5 moves) or by
 * room (from a dedicated CPU or a host), in cpus[].rank. Built once per
 * kind: limits only shrink, and only the top's, which is then sifted down.
 */
static void psteer_rb_receivers(struct psteer_rb_round *r, bool by_room)
{
	u32 i;

	if (r->by_room == (int)by_room)
		return;
	r->by_room = by_room;
	r->nrecv = 0;
	for (i = 0; i < r->ncpus; i++)
		if (psteer_rb_limit(&r->cpus[i], by_room) >= 0)
			r->cpus[r->nrecv++].rank = i;
	for (i = r->nrecv / 2; i-- > 0; )
		psteer_rb_cpu_sift(r, false, i);
}

/* The receiver with the largest share or room left, or NONE. */
static u32 psteer_rb_best(const struct psteer_rb_round *r)
{
	u32 top;

	if (!r->nrecv)
		return PSTEER_RB_NONE;
	top = r->cpus[0].rank;
	if (psteer_rb_limit(&r->cpus[top], r->by_room) < 0)
		return PSTEER_RB_NONE;
	return top;
}

/* Moves @bucket to @to, the top receiver, which takes it off its limits. */
static void psteer_rb_give(struct psteer_rb_round *r, u32 bucket, u32 to)
{
	s64 load = r->b[bucket].load;

	r->cpus[to].target -= load;
	r->cpus[to].room -= load;
	psteer_rb_move(r, bucket, to);
	psteer_rb_cpu_sift(r, false, 0);
}

/*
 * The movable buckets @cpu still owns that weigh no more than @max (none
 * heavier can move: the limits only shrink), for psteer_rb_take(); only
 * a dedicated CPU's idle buckets (load 0) too, as it gives all away.
 * Notes the lightest, so that shedding can stop once nothing fits.
 */
static void psteer_rb_collect(struct psteer_rb_round *r, u32 cpu, s64 max)
{
	const struct psteer_rb_cpu *c = &r->cpus[cpu];
	u32 i, min = c->dedicated ? 0 : 1;

	psteer_rb_heap_init(r);
	for (i = c->head; i != PSTEER_RB_NONE; i = r->b[i].next) {
		const struct psteer_rb_bucket *b = &r->b[i];

		if (b->owner != cpu || b->load > max || b->load < min ||
		    b->pinned || c->elephant == i)
			continue;
		psteer_rb_heap_add(r, i);
		if (b->load < r->lightest)
			r->lightest = b->load;
	}
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
 * the largest one. A dedicated CPU moves every bucket but its elephant,
 * each to the receiver with the most room below mean + threshold, if it
 * fits there.
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

/*
 * The heap of the donors, in cpus[].order: for the claim 5 moves, the
 * dedicated CPUs and those with an excess; for placing heavy buckets
 * (@heavy), the undedicated ones more than the dead band above the mean
 * that are not cooling down. A donor's excess changes only while it is
 * served, once it has left the heap.
 */
static void psteer_rb_donors(struct psteer_rb_round *r, bool heavy)
{
	s64 thr = r->cfg->threshold;
	u32 i;

	r->ndonors = 0;
	for (i = 0; i < r->ncpus; i++) {
		const struct psteer_rb_cpu *c = &r->cpus[i];

		if (heavy ? !c->dedicated && !c->cooldown && c->excess > thr :
			    c->dedicated || c->excess > 0)
			r->cpus[r->ndonors++].order = i;
	}
	for (i = r->ndonors / 2; i-- > 0; )
		psteer_rb_cpu_sift(r, true, i);
}

/* Next donor, or NONE. */
static u32 psteer_rb_next_donor(struct psteer_rb_round *r)
{
	u32 top;

	if (!r->ndonors)
		return PSTEER_RB_NONE;
	top = r->cpus[0].order;
	r->cpus[0].order = r->cpus[--r->ndonors].order;
	psteer_rb_cpu_sift(r, true, 0);
	return top;
}

/*
 * @cpu's own movable load in buckets no heavier than the largest room:
 * what it could shed to come within the dead band without a heavy bucket
 * leaving it.
 */
static s64 psteer_rb_light(const struct psteer_rb_round *r, u32 cpu)
{
	s64 sum = 0;
	u32 i;

	for (i = r->cpus[cpu].head; i != PSTEER_RB_NONE; i = r->b[i].next)
		if (r->b[i].owner == cpu && r->b[i].load <= r->heavy &&
		    psteer_rb_movable(r, i))
			sum += r->b[i].load;
	return sum;
}

/*
 * Heavy @bucket of @donor goes to @host, which gives away buckets to make
 * room for it. The host's room is down to mean + threshold: it gives away
 * at least the bucket's load less (room - threshold), to end at or below
 * the mean, at most half the dead band more and never more than the
 * bucket's load, each bucket to the CPU with the most room if it fits
 * there, heaviest first. If that cannot be done (too little room
 * elsewhere, buckets that do not add up, max_moves), every move is undone.
 */
static bool psteer_rb_make_room(struct psteer_rb_round *r, u32 donor,
				u32 bucket, u32 host)
{
	struct psteer_rb_cpu *h = &r->cpus[host];
	s64 load = r->b[bucket].load, room = h->room, target = h->target;
	s64 need = load - (room - r->cfg->threshold);
	s64 cap = psteer_rb_min(need + r->cfg->threshold / 2, load), gave = 0;
	u32 n0 = r->nmoves, best;

	psteer_rb_move(r, bucket, host);
	h->room = -1;
	h->target = -1;
	r->by_room = -1;
	psteer_rb_receivers(r, true);
	best = psteer_rb_best(r);
	psteer_rb_heap_init(r);
	if (best != PSTEER_RB_NONE)
		psteer_rb_collect(r, host,
				  psteer_rb_min(cap, r->cpus[best].room));
	while (gave < need && psteer_rb_left(r) && !psteer_rb_full(r) &&
	       (best = psteer_rb_best(r)) != PSTEER_RB_NONE) {
		s64 fit = psteer_rb_min(cap - gave, r->cpus[best].room);
		u64 key;

		if (!psteer_rb_take(r, fit, &key))
			break;
		gave += psteer_rb_key_load(key);
		psteer_rb_give(r, psteer_rb_key_bucket(key), best);
	}
	r->by_room = -1;
	if (gave >= need) {
		h->host = true;
		r->cpus[donor].excess -= load;
		return true;
	}
	while (r->nmoves > n0) {
		const struct psteer_rb_move *m = &r->moves[--r->nmoves];

		r->b[m->bucket].owner = m->from;
		r->cpus[m->to].room += m->load;
		r->cpus[m->to].target += m->load;
	}
	h->room = room;
	h->target = target;
	return false;
}

/*
 * What @cpu could give away to make room: its own movable buckets that
 * fit @fit, the largest room any receiver has.
 */
static s64 psteer_rb_givable(const struct psteer_rb_round *r, u32 cpu,
			     s64 fit)
{
	s64 sum = 0;
	u32 i;

	for (i = r->cpus[cpu].head; i != PSTEER_RB_NONE; i = r->b[i].next)
		if (r->b[i].owner == cpu && r->b[i].load <= fit &&
		    psteer_rb_movable(r, i))
			sum += r->b[i].load;
	return sum;
}

/*
 * The host for heavy @bucket: the least used CPU that may receive (not
 * cooling, not dedicated, not a host yet), is at or below the mean, and
 * has not failed this bucket yet, if the others have enough room in all
 * (@spare, with its own) to make room for it. NONE if there is none.
 */
static u32 psteer_rb_host(const struct psteer_rb_round *r, u32 bucket,
			  s64 spare)
{
	s64 thr = r->cfg->threshold, load = r->b[bucket].load;
	u32 i, best = PSTEER_RB_NONE;

	for (i = 0; i < r->ncpus; i++) {
		const struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->room < thr || c->host || c->tried == bucket ||
		    spare - c->room < load - (c->room - thr))
			continue;
		if (best == PSTEER_RB_NONE || c->room > r->cpus[best].room)
			best = i;
	}
	return best;
}

/*
 * The bucket @donor should give away, or NONE: of its movable buckets
 * heavier than @min, the lightest that takes @want off it, else the
 * heaviest. None if that bucket is alone on its CPU: moving it would only
 * move the imbalance.
 */
static u32 psteer_rb_pick(const struct psteer_rb_round *r, u32 donor,
			  s64 want, s64 min)
{
	u32 i, fit = PSTEER_RB_NONE, top = PSTEER_RB_NONE;

	for (i = r->cpus[donor].head; i != PSTEER_RB_NONE; i = r->b[i].next) {
		s64 load = r->b[i].load;

		if (r->b[i].owner != donor || !psteer_rb_movable(r, i) ||
		    load <= min)
			continue;
		if (load >= want &&
		    (fit == PSTEER_RB_NONE || load < r->b[fit].load))
			fit = i;
		if (top == PSTEER_RB_NONE || load > r->b[top].load)
			top = i;
	}
	if (fit == PSTEER_RB_NONE)
		fit = top;
	if (fit == PSTEER_RB_NONE || psteer_rb_alone(r, donor, fit))
		return PSTEER_RB_NONE;
	return fit;
}

/*
 * Places @bucket of @donor: on the receiver with the most room if it fits
 * there, else on a host that makes room for it. False if neither can be
 * done this round.
 */
static bool psteer_rb_place(struct psteer_rb_round *r, u32 donor, u32 bucket)
{
	s64 load = r->b[bucket].load, spare = 0, fit;
	u32 to, tries;

	psteer_rb_receivers(r, true);
	to = psteer_rb_best(r);
	if (to != PSTEER_RB_NONE && load <= r->cpus[to].room) {
		r->cpus[donor].excess -= load;
		psteer_rb_give(r, bucket, to);
		return true;
	}
	fit = to == PSTEER_RB_NONE ? -1 : r->cpus[to].room;
	for (to = 0; to < r->ncpus; to++)
		if (r->cpus[to].room > 0)
			spare += r->cpus[to].room;
	for (tries = 0; tries < PSTEER_RB_HOST_TRIES; tries++) {
		to = psteer_rb_host(r, bucket, spare);
		if (to == PSTEER_RB_NONE)
			return false;
		/* Too little in buckets that fit a room: next one. */
		if (psteer_rb_givable(r, to, fit) >=
		    load - (r->cpus[to].room - r->cfg->threshold) &&
		    psteer_rb_make_room(r, donor, bucket, to))
			return true;
		r->cpus[to].tried = bucket;
	}
	return false;
}

/*
 * Overloaded CPUs, most overloaded first, give away buckets that claim 5
 * cannot move, to a receiver's room or to a host. Before the claim 5
 * moves (@pre), a CPU whose light buckets (those no heavier than the
 * largest room) cannot bring it within the dead band gives away heavy
 * ones; after them, one still above the dead band gives away what claim 5
 * left. A CPU still cooling down (it received last round, so its usage
 * may lag) gives away none. Returns the number of buckets placed.
 */
static u32 psteer_rb_heavy(struct psteer_rb_round *r, bool pre)
{
	s64 thr = r->cfg->threshold;
	u32 n = 0, donor;

	psteer_rb_donors(r, true);
	while ((donor = psteer_rb_next_donor(r)) != PSTEER_RB_NONE) {
		struct psteer_rb_cpu *d = &r->cpus[donor];
		s64 light = 0;

		if (pre) {
			/* No bucket heavier than every room: claim 5's. */
			if (d->heaviest <= r->heavy)
				continue;
			light = psteer_rb_light(r, donor);
		}
		while (r->nmoves + 2 <= r->cfg->max_moves) {
			s64 over = d->excess - light;
			u32 bucket;

			if (over <= thr)
				break;
			bucket = psteer_rb_pick(r, donor, over - thr / 2,
						pre ? r->heavy : 0);
			if (bucket == PSTEER_RB_NONE ||
			    !psteer_rb_place(r, donor, bucket))
				break;
			n++;
		}
	}
	return n;
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
