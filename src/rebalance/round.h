/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the rebalancer: the state of one round, shared by the files of
 * src/rebalance/, and what each of them gives the others. Its interface is
 * include/rebalance.h.
 *
 *   round.c     claim 5: owners' lists, imbalance indexes, shedding, and
 *               psteer_rebalance(), which runs a round in order
 *   elephant.c  a bucket heavier than a CPU's fair share gets a CPU alone
 *   heavy.c     a bucket heavier than any receiver's room goes to a host
 *               that makes room for it; the relief, for coarse tables
 *   cpus.c      heaps of CPUs: receivers by room or share, donors by excess
 *   heap.c      the heap of buckets a CPU gives away, heaviest first
 *
 * Plain C, no allocation: the host simulator (tools/sim/) compiles these
 * files as they are.
 */
#ifndef _PSTEER_REBALANCE_ROUND_H
#define _PSTEER_REBALANCE_ROUND_H

#include "rebalance.h"

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
static inline s64 psteer_rb_min(s64 a, s64 b)
{
	return a < b ? a : b;
}

static inline bool psteer_rb_full(const struct psteer_rb_round *r)
{
	return r->nmoves >= r->cfg->max_moves;
}

/*
 * A bucket's place in the heaps of heap.c, heaviest first: load, then
 * connections (up to 65535) inverted, then index, as one u64.
 */
static inline u64 psteer_rb_key(const struct psteer_rb_round *r, u32 i)
{
	u32 conns = r->b[i].conns < 0xffff ? r->b[i].conns : 0xffff;

	return (u64)r->b[i].load << 32 | (u64)(0xffff - conns) << 16 | i;
}

static inline u32 psteer_rb_key_bucket(u64 key)
{
	return key & 0xffff;
}

static inline u32 psteer_rb_key_load(u64 key)
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

/* Pinned, or moved too recently to move again (PSTEER_RB_HOLD_ROUNDS). */
static inline bool psteer_rb_stays(const struct psteer_rb_bucket *b)
{
	return b->pinned || b->hold;
}

/* A bucket the round may move: not staying, not an elephant in place. */
static inline bool psteer_rb_movable(const struct psteer_rb_round *r, u32 i)
{
	return !psteer_rb_stays(&r->b[i]) &&
	       r->cpus[r->b[i].owner].elephant != i;
}

/* How much more @c may take: its claim 5 share, or its room. */
static inline s64 psteer_rb_limit(const struct psteer_rb_cpu *c, bool by_room)
{
	return by_room ? c->room : c->target;
}

/*
 * @i, or the first bucket after it on its list that @cpu still owns;
 * PSTEER_RB_NONE at the end. A CPU's list keeps the buckets moved away
 * this round, with their new owner.
 */
static inline u32 psteer_rb_owned(const struct psteer_rb_round *r, u32 cpu,
				  u32 i)
{
	while (i != PSTEER_RB_NONE && r->b[i].owner != cpu)
		i = r->b[i].next;
	return i;
}

/*
 * The buckets @cpu owns, in list order:
 *	for (i = psteer_rb_first(r, cpu); i != PSTEER_RB_NONE;
 *	     i = psteer_rb_next(r, cpu, i))
 */
static inline u32 psteer_rb_first(const struct psteer_rb_round *r, u32 cpu)
{
	return psteer_rb_owned(r, cpu, r->cpus[cpu].head);
}

static inline u32 psteer_rb_next(const struct psteer_rb_round *r, u32 cpu,
				 u32 i)
{
	return psteer_rb_owned(r, cpu, r->b[i].next);
}

/* Records a move and applies it to the bucket array. */
static inline void psteer_rb_move(struct psteer_rb_round *r, u32 bucket, u32 to)
{
	struct psteer_rb_move *m = &r->moves[r->nmoves++];

	m->bucket = bucket;
	m->from = r->b[bucket].owner;
	m->to = to;
	m->load = r->b[bucket].load;
	r->b[bucket].owner = to;
	r->b[bucket].hold = PSTEER_RB_HOLD_ROUNDS + 1;
	r->b[bucket].moved = m->load;
}

/* heap.c */
void psteer_rb_heap_init(struct psteer_rb_round *r);
void psteer_rb_heap_add(struct psteer_rb_round *r, u32 i);
void psteer_rb_heap_build(struct psteer_rb_round *r);
u64 psteer_rb_pop(struct psteer_rb_round *r);
u32 psteer_rb_left(const struct psteer_rb_round *r);
bool psteer_rb_take(struct psteer_rb_round *r, s64 fit, u64 *key);
void psteer_rb_collect(struct psteer_rb_round *r, u32 cpu, s64 max);

/* cpus.c */
void psteer_rb_receivers(struct psteer_rb_round *r, bool by_room);
u32 psteer_rb_best(const struct psteer_rb_round *r);
void psteer_rb_give(struct psteer_rb_round *r, u32 bucket, u32 to);
void psteer_rb_donors(struct psteer_rb_round *r, bool heavy);
u32 psteer_rb_next_donor(struct psteer_rb_round *r);

/* elephant.c */
bool psteer_rb_alone(const struct psteer_rb_round *r, u32 cpu, u32 bucket);
u32 psteer_rb_elephants(struct psteer_rb_round *r, u64 fair);

/* heavy.c */
u32 psteer_rb_heavy(struct psteer_rb_round *r, bool pre);
u32 psteer_rb_relieve(struct psteer_rb_round *r);

#endif /* _PSTEER_REBALANCE_ROUND_H */
