/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rebalancer (src/rebalance/): a pure function from measured loads to
 * a list of bucket moves. It has no kernel state and no allocation, so the
 * module, KUnit and the host simulator (tools/sim/) run the same code.
 * The defaults below are the module's, and the simulator's.
 */
#ifndef _PSTEER_REBALANCE_H
#define _PSTEER_REBALANCE_H

/*
 * The host simulator builds this with scripts/sim/include/ first on the
 * include path, which supplies these headers for user space.
 */
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/types.h>

/* Loads and usages are in parts per million of one CPU's capacity. */
#define PSTEER_RB_FULL		1000000u
#define PSTEER_RB_NONE		0xffffffffu
/* Most buckets a round takes: a bucket index fits in 16 bits. */
#define PSTEER_RB_MAX_BUCKETS	65536u

/* Defaults, shared by the module's parameters and the host simulator. */
#define PSTEER_RB_DEFAULT_REBALANCE_MS	100	/* rebalance_ms */
#define PSTEER_RB_DEFAULT_SAMPLE_MS	50	/* sample_ms */
#define PSTEER_RB_DEFAULT_THRESHOLD	20	/* imbalance_threshold, per mille */
/* Rounds a CPU that received buckets sits out as a receiver. */
#define PSTEER_RB_COOLDOWN_ROUNDS	1
/*
 * The sampler's EWMA keeps 1 - 2^-PSTEER_RB_EWMA_SHIFT of the old value
 * per sample (weight 1/8 for the new one): see src/sampler.c.
 */
#define PSTEER_RB_EWMA_SHIFT		3

/*
 * A bucket's load is smoothed too, but a flow that arrives in a bucket is
 * a step, not noise: two samples in a row past twice the smoothed load
 * and PSTEER_RB_STEP (5% of a CPU) replace it, the second sample
 * (psteer_rb_smooth_load()). The EWMA alone showed a new flow at 23% of
 * its load after a round (two samples of weight 1/8), and the rebalancer
 * placed the other buckets around a load it could not see (the
 * simulator's churn rows, Documentation/rebalance-sim.rst). One sample is
 * not enough: a TCP stream's bursts doubled a bucket's sample in the VM,
 * and a smaller step moved buckets after every burst
 * (tools/testing/bench/stability.sh). A fall is not a step: a sample
 * that reads half was as often noise.
 *
 * A sample past the step is an outlier until the next one confirms it:
 * the EWMA takes it at the step, no higher. In the VM a drain that a vCPU
 * switch interrupted timed the bucket of a 1 Mbit/s flow (0.2% of a CPU)
 * at up to 39% for a sample, which at full weight made it read 2% to 5%
 * for the next second, and the rebalancer moved it
 * (Documentation/rebalance-sim.rst, "Outliers"). A load that bursts
 * above its mean every other sample still comes to that mean: its
 * samples count in full once the mean reaches half of them less the step.
 */
#define PSTEER_RB_STEP			50000

/**
 * psteer_rb_smooth_load() - a bucket's smoothed load after one sample
 * @avg: its smoothed load, ppm
 * @sample: the sample, ppm (at most U32_MAX counts)
 * @rising: in/out: the previous sample was a step (false at first)
 *
 * Return: the new smoothed load, ppm.
 */
static inline u32 psteer_rb_smooth_load(u32 avg, u64 sample, bool *rising)
{
	u64 step = 2 * (u64)avg + PSTEER_RB_STEP;

	if (sample > U32_MAX)
		sample = U32_MAX;
	if (sample > step && *rising) {
		*rising = false;
		return sample;
	}
	*rising = sample > step;
	if (*rising)
		sample = step;
	return avg + (((s64)sample - avg) >> PSTEER_RB_EWMA_SHIFT);
}

/*
 * Noise, and what the rebalancer does not act on (src/rebalance/round.c,
 * "Noise"). A CPU's busy time is charged a tick at a time: over a sample
 * of sample_ms = 50 at HZ = 250, 12.5 ticks, a busy share p reads with a
 * standard deviation of sqrt(p (1 - p) / 12.5), up to 0.141 at p = 1/2;
 * the EWMA keeps sqrt(w / (2 - w)) = sqrt(1/15) of that (w = 1/8), 3.65%
 * of a CPU. A bucket's load is timed in nanoseconds and a CPU's sum of
 * them is far steadier. So the part of a CPU's usage its buckets do not
 * explain (other work, and that noise) counts only where it departs from
 * the CPUs' mean of it by more than PSTEER_RB_USAGE_BAND, three times the
 * noise: from 0 there to all of it at twice that.
 */
#define PSTEER_RB_USAGE_NOISE		36500
#define PSTEER_RB_USAGE_BAND		(3 * PSTEER_RB_USAGE_NOISE)
/*
 * That part (the work no move of a bucket can take off a CPU: a busy
 * loop, the processes that send and read the packets, the stack's own)
 * counts as it persists: it falls at once when it drops by more than
 * PSTEER_RB_USAGE_BAND, and otherwise moves by 1/PSTEER_RB_REST_DIV of
 * the difference per round, 90% in 1.7 s at rebalance_ms = 100. A busy
 * loop pinned to a CPU stays there; processes the scheduler moves between
 * CPUs every second or so do not, and chasing them moved the heaviest
 * bucket round the CPUs (tools/testing/bench/stability.sh, "elephant").
 */
#define PSTEER_RB_REST_DIV		8
/*
 * Rounds a bucket stays on the CPU it was just moved to: its load as
 * measured lags the move (the EWMA's new samples are taken on the new
 * CPU), and a bucket sent back at once would be a move for nothing.
 */
#define PSTEER_RB_HOLD_ROUNDS		2

/**
 * psteer_rb_default_max_moves() - max_moves=0: most moves per round
 * @nbuckets: buckets in the table
 *
 * Converging from the round-robin table moves 10-20% of the buckets
 * (tools/sim/): an eighth per round converges in a few rounds, and 2048
 * keeps a round of a 65536-bucket table under a millisecond.
 */
#define PSTEER_RB_MAX_MOVES_DIV		8
#define PSTEER_RB_MAX_MOVES_LO		32
#define PSTEER_RB_MAX_MOVES_HI		2048

static inline u32 psteer_rb_default_max_moves(u32 nbuckets)
{
	u32 m = nbuckets / PSTEER_RB_MAX_MOVES_DIV;

	if (m < PSTEER_RB_MAX_MOVES_LO)
		return PSTEER_RB_MAX_MOVES_LO;
	return m > PSTEER_RB_MAX_MOVES_HI ? PSTEER_RB_MAX_MOVES_HI : m;
}

/**
 * struct psteer_rb_config - the rebalancer's knobs
 * @threshold: dead band, ppm of a CPU: a CPU above the mean by less than
 *	this sheds nothing, so a balanced table stays still
 * @max_moves: most buckets moved in one round
 * @cooldown: rounds during which a CPU that just received buckets
 *	receives no more (its measured usage lags the move)
 */
struct psteer_rb_config {
	u32 threshold;
	u32 max_moves;
	u32 cooldown;
};

/**
 * struct psteer_rb_cpu - one CPU of the set, as the rebalancer sees it
 * @usage: in: share of capacity in use (all non-idle time), ppm; out:
 *	as the round counted it (see PSTEER_RB_USAGE_BAND), less the
 *	elephants that left it
 * @cooldown: in/out: rounds left before it may receive again
 * @rest: in/out: the part of @usage its buckets do not explain, as the
 *	rounds count it (PSTEER_RB_REST_DIV); zero for a CPU new to the
 *	set, kept from round to round by the caller, like @cooldown
 * @index: out: its imbalance distribution index d_i = mean - usage, ppm
 *	(positive: spare capacity; negative: overloaded)
 * @dedicated: out: it hosts an elephant bucket that gets it alone
 * @received: out: it received buckets this round
 * @host: out: it took a bucket too heavy for any receiver's room this
 *	round, and gave away some of its own (no more than that bucket's
 *	load) to make room for it
 * @head: scratch: first bucket of its list
 * @elephant: scratch: the elephant bucket it is dedicated to
 * @excess: scratch: load it still has to shed, ppm
 * @target: scratch: load it may still receive from overloaded CPUs, its
 *	claim 5 share, ppm (< 0: not a receiver)
 * @room: scratch: load it may still receive from a dedicated CPU or a
 *	host, up to mean + threshold, ppm (< 0: none)
 * @heaviest: scratch: load of its heaviest bucket, ppm
 * @tried: scratch: the heavy bucket it last failed to make room for
 * @served: scratch: what its buckets' loads add up to, less what they
 *	refused (the part of @usage they explain), ppm
 * @other: scratch: the part of @usage as counted that is not its buckets'
 * @load: scratch: its usage with the round's moves so far (the relief)
 * @relieved: out: it took a bucket in the relief (src/rebalance/heavy.c),
 *	which may leave it above mean + threshold
 * @spent: scratch: the relief is done with it (it gave a bucket this
 *	round, or took one in the relief)
 * @rank: scratch: the CPU at this slot of the receiver heap
 * @order: scratch: the CPU at this slot of the donor heap
 */
struct psteer_rb_cpu {
	u32 usage;
	u32 cooldown;
	u32 rest;
	s32 index;
	bool dedicated;
	bool received;
	bool host;
	u32 head;
	u32 elephant;
	s64 excess;
	s64 target;
	s64 room;
	u32 heaviest;
	u32 tried;
	s64 served;
	s64 other;
	s64 load;
	bool relieved;
	bool spent;
	u32 rank;
	u32 order;
};

/**
 * struct psteer_rb_bucket - one bucket, as the rebalancer sees it
 * @load: in: load it put on its owner, ppm of a CPU: its offered load,
 *	what the owner served and what its queues refused (src/sampler.c)
 * @refused: in: the part of @load its owner did not serve, ppm; the rest
 *	of a CPU's usage is what its buckets' served loads do not explain
 * @owner: in/out: index of its owner in the CPU array; moves update it
 * @pinned: in: never moved
 * @hold: in/out: a move sets it to PSTEER_RB_HOLD_ROUNDS + 1; each round
 *	takes one off as it starts and leaves the bucket where it is while
 *	it is not zero, so it stays PSTEER_RB_HOLD_ROUNDS rounds. Zero on a
 *	fresh table; the caller keeps it from round to round (the module's
 *	array lives as long as the table)
 * @moved: in/out: its load when it last moved. A bucket on hold whose
 *	load has since grown past twice that and the threshold has new
 *	traffic in it (a flow arrived), not a lagging measure, and may move
 *	again at once; kept by the caller with @hold
 * @conns: in: connections tracked in it; of two buckets with the same
 *	load, the one with fewer is moved first (less state changes CPU)
 * @next: scratch: next bucket of the same owner
 */
struct psteer_rb_bucket {
	u32 load;
	u32 refused;
	u16 owner;
	u8 pinned;
	u8 hold;
	u32 moved;
	u32 conns;
	u32 next;
};

/**
 * struct psteer_rb_move - one move decided by a round
 * @bucket: bucket index
 * @from: old owner (index in the CPU array)
 * @to: new owner
 * @load: the bucket's load, ppm
 */
struct psteer_rb_move {
	u32 bucket;
	u16 from;
	u16 to;
	u32 load;
};

/**
 * struct psteer_rb_summary - what a round saw and did
 * @mean: mean usage of the CPUs not dedicated to an elephant, ppm
 * @total_index: D, the sum of the positive imbalance indexes, ppm
 * @nmoves: moves written
 * @elephants: buckets heavier than a CPU's fair share
 * @heavy: buckets too heavy for any receiver's room placed on a host,
 *	and buckets the relief moved (src/rebalance/heavy.c)
 */
struct psteer_rb_summary {
	u32 mean;
	s64 total_index;
	u32 nmoves;
	u32 elephants;
	u32 heavy;
};

u32 psteer_rebalance(const struct psteer_rb_config *cfg,
		     struct psteer_rb_cpu *cpus, u32 ncpus,
		     struct psteer_rb_bucket *buckets, u32 nbuckets,
		     u32 *scratch, struct psteer_rb_move *moves,
		     struct psteer_rb_summary *sum);

#endif /* _PSTEER_REBALANCE_H */
