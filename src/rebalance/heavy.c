// SPDX-License-Identifier: GPL-2.0
/*
 * Heavy buckets: the elephant rule, generalised (see round.c's comment).
 * A bucket lighter than the mean but heavier than any receiver's room
 * cannot move by claim 5; such a bucket goes to a host, the least used
 * CPU that can make room for it by giving away no more than it takes.
 */

#include "round.h"

/* How many hosts a heavy bucket may try before it stays this round. */
#define PSTEER_RB_HOST_TRIES	8

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
	/*
	 * Undone, the buckets never moved: no hold either (each was movable,
	 * so its hold was 0; @moved counts only while it holds).
	 */
	while (r->nmoves > n0) {
		const struct psteer_rb_move *m = &r->moves[--r->nmoves];

		r->b[m->bucket].owner = m->from;
		r->b[m->bucket].hold = 0;
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

	for (i = psteer_rb_first(r, cpu); i != PSTEER_RB_NONE;
	     i = psteer_rb_next(r, cpu, i))
		if (r->b[i].load <= fit && psteer_rb_movable(r, i))
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

	for (i = psteer_rb_first(r, donor); i != PSTEER_RB_NONE;
	     i = psteer_rb_next(r, donor, i)) {
		s64 load = r->b[i].load;

		if (!psteer_rb_movable(r, i) || load <= min)
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
u32 psteer_rb_heavy(struct psteer_rb_round *r, bool pre)
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
			/*
			 * Its own movable load in buckets no heavier than the
			 * largest room: what it could shed to come within the
			 * dead band without a heavy bucket leaving it.
			 */
			light = psteer_rb_givable(r, donor, r->heavy);
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

/*
 * The relief: what the rules above leave. On a coarse table (a few
 * buckets per CPU) every bucket may be heavier than every receiver's room
 * and no host can make room with buckets that fit elsewhere; claim 5, the
 * elephants and the heavy buckets then move nothing while a CPU stays far
 * above the mean (64x128 Zipf 0.8 in the simulator: 1.34 x the lower
 * bound and no move, even with exact loads). So a CPU still more than
 * the dead band above the mean gives one bucket to the least loaded CPU
 * if that lowers the larger of their two loads by more than the dead
 * band: the receiver may end above the mean, but below where the donor
 * was. Such a move lowers the sum of the squared loads, so no chain of
 * them comes back to where it started, and the receiver cools down as
 * any other. Donors go most loaded first, one bucket each a round: the
 * one that leaves the two CPUs closest; a donor that gave a bucket to
 * the rules above gives none here. A dedicated CPU may give (not its
 * elephant): on a coarse table the elephant's CPU is often the one left
 * with a second heavy bucket (64x128 Zipf 0.8); it takes none. CPUs
 * cooling down neither give (their usage may lag) nor take. Only a
 * bucket heavier than every receiver's room moves so: lighter ones are
 * claim 5's, and on fine tables moving them past the mean only chased the
 * noise (the simulator's 64x4096 Zipf 1.0 came within 1.05 at round 21,
 * not 11).
 */

/* Each CPU's load with the round's moves so far: its rest, its buckets. */
static void psteer_rb_loads(struct psteer_rb_round *r)
{
	u32 i;

	for (i = 0; i < r->ncpus; i++)
		r->cpus[i].load = r->cpus[i].other > 0 ? r->cpus[i].other : 0;
	for (i = 0; i < r->nbuckets; i++)
		r->cpus[r->b[i].owner].load += r->b[i].load;
}

/* The most (@most) or least loaded CPU the relief may use, or NONE. */
static u32 psteer_rb_relief_cpu(const struct psteer_rb_round *r, bool most)
{
	u32 i, best = PSTEER_RB_NONE;

	for (i = 0; i < r->ncpus; i++) {
		const struct psteer_rb_cpu *c = &r->cpus[i];

		if (c->spent || c->cooldown || (!most && c->dedicated))
			continue;
		if (best == PSTEER_RB_NONE ||
		    (most ? c->load > r->cpus[best].load :
			    c->load < r->cpus[best].load))
			best = i;
	}
	return best;
}

/*
 * The bucket of @donor whose move to @to leaves the larger of their loads
 * lowest, if it lowers it by more than the dead band (strictly: with a
 * dead band of 0, a swap of equal loads would lower nothing and come
 * back); of two that leave it as low, the one with fewer connections.
 * NONE if there is none.
 */
static u32 psteer_rb_relief_bucket(const struct psteer_rb_round *r,
				   u32 donor, u32 to)
{
	s64 from = r->cpus[donor].load, into = r->cpus[to].load;
	s64 best_max = from - r->cfg->threshold - 1;
	u32 i, best = PSTEER_RB_NONE;

	for (i = psteer_rb_first(r, donor); i != PSTEER_RB_NONE;
	     i = psteer_rb_next(r, donor, i)) {
		s64 load = r->b[i].load;
		s64 worst = from - load > into + load ? from - load :
							into + load;

		if (load <= r->heavy || !psteer_rb_movable(r, i) ||
		    worst > best_max)
			continue;
		if (worst < best_max || best == PSTEER_RB_NONE ||
		    r->b[i].conns < r->b[best].conns) {
			best_max = worst;
			best = i;
		}
	}
	return best;
}

/* Returns the number of buckets the relief moved. */
u32 psteer_rb_relieve(struct psteer_rb_round *r)
{
	s64 over = (s64)r->mean + r->cfg->threshold;
	u32 n = 0, i, donor, to, bucket;

	psteer_rb_loads(r);
	/* A donor of the rules above gives none here. */
	for (i = 0; i < r->nmoves; i++)
		r->cpus[r->moves[i].from].spent = true;
	while (!psteer_rb_full(r)) {
		donor = psteer_rb_relief_cpu(r, true);
		if (donor == PSTEER_RB_NONE || r->cpus[donor].load <= over)
			break;
		r->cpus[donor].spent = true;
		to = psteer_rb_relief_cpu(r, false);
		if (to == PSTEER_RB_NONE)
			break;
		bucket = psteer_rb_relief_bucket(r, donor, to);
		if (bucket == PSTEER_RB_NONE)
			continue;
		r->cpus[donor].load -= r->b[bucket].load;
		r->cpus[to].load += r->b[bucket].load;
		r->cpus[to].spent = true;
		r->cpus[to].relieved = true;
		psteer_rb_move(r, bucket, to);
		n++;
	}
	return n;
}
