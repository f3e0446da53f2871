// SPDX-License-Identifier: GPL-2.0
/*
 * The heap of buckets a CPU gives away (the round's scratch array), for
 * round.c's shedding and heavy.c's making room, heaviest first.
 *
 * The heap of buckets, heaviest on top; of equal loads, fewer connections
 * first (so that less state changes CPU), then the higher index. Each
 * bucket's place in that order is one u64 key: load, connections (up to
 * 65535) inverted, index. A CPU's buckets lie far apart in the bucket
 * array (ncpus apart, as owners are dealt round-robin), so comparing them
 * there would miss the cache at every step: where the scratch array has
 * room for two u32 per entry, the heap holds the keys themselves, else
 * bucket indexes whose keys are read from the buckets.
 */

#include "round.h"

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

void psteer_rb_heap_init(struct psteer_rb_round *r)
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
void psteer_rb_heap_add(struct psteer_rb_round *r, u32 i)
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
void psteer_rb_heap_build(struct psteer_rb_round *r)
{
	u32 k;

	for (k = r->heaplen / 2; k-- > 0; )
		psteer_rb_sift_down(r, k);
	r->heaped = true;
}

/* Takes the top of the heap; returns its key. */
u64 psteer_rb_pop(struct psteer_rb_round *r)
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
u32 psteer_rb_left(const struct psteer_rb_round *r)
{
	return r->heaplen + r->ntop - r->tophead;
}

/*
 * Drops the buckets heavier than @fit, then takes the heaviest of the rest
 * into @key. False if there is none. From what the last scan set aside
 * (all heavier than the entries left), a new scan once that is used up,
 * and a heap after PSTEER_RB_SCANS scans.
 */
bool psteer_rb_take(struct psteer_rb_round *r, s64 fit, u64 *key)
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
 * The movable buckets @cpu still owns that weigh no more than @max (none
 * heavier can move: the limits only shrink), for psteer_rb_take(). Not
 * the idle ones (load 0), not even a dedicated CPU's: moving one sheds
 * nothing, and a flow that arrives in it later is seen and moved then.
 * Notes the lightest, so that shedding can stop once nothing fits.
 */
void psteer_rb_collect(struct psteer_rb_round *r, u32 cpu, s64 max)
{
	const struct psteer_rb_cpu *c = &r->cpus[cpu];
	u32 i, min = 1;

	psteer_rb_heap_init(r);
	for (i = psteer_rb_first(r, cpu); i != PSTEER_RB_NONE;
	     i = psteer_rb_next(r, cpu, i)) {
		const struct psteer_rb_bucket *b = &r->b[i];

		if (b->load > max || b->load < min || psteer_rb_stays(b) ||
		    c->elephant == i)
			continue;
		psteer_rb_heap_add(r, i);
		if (b->load < r->lightest)
			r->lightest = b->load;
	}
}
