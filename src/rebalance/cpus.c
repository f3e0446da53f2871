// SPDX-License-Identifier: GPL-2.0
/*
 * Heaps of CPUs, for round.c and heavy.c: the receivers, with the most
 * room (or claim 5 share) left on top, and the donors, the most
 * overloaded on top.
 */

#include "round.h"

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
void psteer_rb_receivers(struct psteer_rb_round *r, bool by_room)
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
u32 psteer_rb_best(const struct psteer_rb_round *r)
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
void psteer_rb_give(struct psteer_rb_round *r, u32 bucket, u32 to)
{
	s64 load = r->b[bucket].load;

	r->cpus[to].target -= load;
	r->cpus[to].room -= load;
	psteer_rb_move(r, bucket, to);
	psteer_rb_cpu_sift(r, false, 0);
}

/*
 * The heap of the donors, in cpus[].order: for the claim 5 moves, the
 * dedicated CPUs and those with an excess; for placing heavy buckets
 * (@heavy), the undedicated ones more than the dead band above the mean
 * that are not cooling down. A donor's excess changes only while it is
 * served, once it has left the heap.
 */
void psteer_rb_donors(struct psteer_rb_round *r, bool heavy)
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
u32 psteer_rb_next_donor(struct psteer_rb_round *r)
{
	u32 top;

	if (!r->ndonors)
		return PSTEER_RB_NONE;
	top = r->cpus[0].order;
	r->cpus[0].order = r->cpus[--r->ndonors].order;
	psteer_rb_cpu_sift(r, true, 0);
	return top;
}
