// SPDX-License-Identifier: GPL-2.0
/*
 * Elephants: a bucket heavier than a CPU's fair share (the mean usage)
 * cannot be balanced by moving others around it. It goes alone to the
 * least used CPU (unless its own CPU carries about as little besides),
 * which is then dedicated to it: that CPU receives nothing, and round.c
 * sends its other buckets with load to CPUs with room below mean +
 * threshold.
 */

#include "round.h"

/* Is @bucket the only movable bucket on @cpu? */
bool psteer_rb_alone(const struct psteer_rb_round *r, u32 cpu, u32 bucket)
{
	u32 i;

	for (i = psteer_rb_first(r, cpu); i != PSTEER_RB_NONE;
	     i = psteer_rb_next(r, cpu, i))
		if (i != bucket && !psteer_rb_stays(&r->b[i]))
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

/*
 * Elephants, heaviest first: each gets a CPU of its own. Where it is
 * already alone it stays; otherwise it goes to the least used CPU, unless
 * its own CPU carries about as little besides; one that shares a CPU
 * with a heavier elephant always leaves. At least one CPU is left
 * undedicated. The candidates (fewer than ncpus, each being heavier than
 * the mean) come from the heap psteer_rb_lists() started. Returns the
 * number of elephants.
 */
u32 psteer_rb_elephants(struct psteer_rb_round *r, u64 fair)
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
		/*
		 * One that just moved stays (PSTEER_RB_HOLD_ROUNDS): its CPU
		 * is dedicated to it, unless a heavier one has it already.
		 */
		if (to != cpu && r->b[e].hold) {
			if (r->cpus[cpu].dedicated)
				continue;
			to = cpu;
		}
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
