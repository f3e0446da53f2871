/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host simulator of the rebalancer: workloads (workload.c), the RSS++
 * baseline (rsspp.c), one run of a balancer on a scenario (run.c) and the
 * tables (sim.c). It links the files of src/rebalance/ unchanged; see
 * Documentation/rebalance-sim.rst.
 */
#ifndef _PSTEER_SIM_H
#define _PSTEER_SIM_H

#include <stddef.h>

#include "rebalance.h"

/* The mean CPU demand every workload is scaled to, as a share of a CPU. */
#define SIM_MEAN_DEMAND		0.6
/* No flow costs more than this, ppm: see workload.c. */
#define SIM_FLOW_CAP		(PSTEER_RB_FULL / 2)
#define SIM_NFLOWS		100000u
/* max/LB at which a table counts as balanced. */
#define SIM_CONVERGED		1.05
/*
 * The default measurement (Documentation/rebalance-sim.rst, "Noise"): the
 * module's sampler, CPU usage counted in ticks of a HZ=250 kernel (12.5 a
 * sample at sample_ms=50), and each bucket's load of a sample off by 20%
 * (one standard deviation): a bucket of about a hundred packets a sample,
 * delivered in bursts of four or so (GRO, TSO), or timed across an
 * interrupt.
 */
#define SIM_DEFAULT_HZ		250
#define SIM_DEFAULT_NOISE_BUCKET	0.2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

void *sim_calloc(size_t n, size_t size);
void sim_die(const char *what);

/* splitmix64: small, fast, and the same sequence on every host. */
struct sim_rng {
	u64 s;
};

u64 sim_rng_next(struct sim_rng *rng);
double sim_rng_unit(struct sim_rng *rng);	/* [0, 1) */
double sim_rng_gauss(struct sim_rng *rng);	/* N(0, 1) */

/* workload.c */

enum sim_kind {
	SIM_UNIFORM,
	SIM_ZIPF,
	SIM_ELEPHANTS,
	SIM_HOG,
	SIM_CHURN,
	SIM_BIG_ELEPHANTS,
	SIM_STEADY,
	SIM_STEADY_ELEPHANT,
	SIM_STEADY_PROC,
};

/**
 * struct sim_workload - what one scenario's traffic is
 * @name: column text
 * @kind: shape of the flow loads
 * @zipf_s: Zipf exponent, for SIM_ZIPF and SIM_CHURN
 * @in_table: part of the main table (the others are for --workload)
 * @rounds: rounds it runs, if more than asked for (0: as asked)
 * @mean: mean CPU demand, share of a CPU (0: SIM_MEAN_DEMAND)
 */
struct sim_workload {
	const char *name;
	enum sim_kind kind;
	double zipf_s;
	bool in_table;
	u32 rounds;
	double mean;
};

/**
 * struct sim_flows - the flows of a scenario and the demand they make
 * @nflows: number of flows
 * @load: per flow, ppm of a CPU
 * @hash: per flow, fixed 32-bit hash (bucket = reciprocal_scale(hash, B))
 * @hog: per CPU, external (non-packet) demand, ppm
 * @ncapped: flows held at SIM_FLOW_CAP
 * @rng: the workload's own stream, so every balancer sees the same churn
 * @ncpus: number of CPUs
 * @round: rounds run so far (sim_flows_churn() counts them)
 * @proc: SIM_STEADY_PROC: the CPU its process is on
 */
struct sim_flows {
	u32 nflows;
	double *load;
	u32 *hash;
	double *hog;
	u32 ncapped;
	struct sim_rng rng;
	u32 ncpus;
	u32 round;
	u32 proc;
};

extern const struct sim_workload sim_workloads[];
extern const size_t sim_nworkloads;

const struct sim_workload *sim_workload_find(const char *name);
void sim_flows_init(struct sim_flows *f, const struct sim_workload *w,
		    u32 ncpus, u64 seed);
void sim_flows_churn(struct sim_flows *f, const struct sim_workload *w);
void sim_flows_free(struct sim_flows *f);

/* rsspp.c */

struct rsspp;

/**
 * struct rsspp_config - the RSS++-style greedy balancer's knobs
 * @threshold: a CPU sheds only above the mean by more than this, ppm
 * @max_moves: most buckets moved in one round
 */
struct rsspp_config {
	u32 threshold;
	u32 max_moves;
};

struct rsspp *rsspp_new(u32 ncpus, u32 nbuckets);
void rsspp_free(struct rsspp *rs);
u32 rsspp_rebalance(struct rsspp *rs, const struct rsspp_config *cfg,
		    const u32 *usage, const u32 *load, u16 *owner,
		    struct psteer_rb_move *moves);

/* run.c */

enum sim_algo { SIM_PSTEER, SIM_STATIC, SIM_RSSPP, SIM_NALGOS };
extern const char *const sim_algo_names[SIM_NALGOS];

struct sim_size {
	u32 ncpus;
	u32 nbuckets;
};

/**
 * struct sim_knobs - a balancer and its settings
 * @algo: which balancer
 * @threshold: dead band, ppm (psteer and rss++)
 * @max_moves: most moves per round; 0: B / @mm_div clamped to
 *	[@mm_lo, @mm_hi], so that one setting scales over table sizes
 * @mm_div: see @max_moves
 * @mm_lo: see @max_moves
 * @mm_hi: see @max_moves
 * @cooldown: psteer's receiver cool-down, rounds
 */
struct sim_knobs {
	enum sim_algo algo;
	u32 threshold;
	u32 max_moves;
	u32 mm_div, mm_lo, mm_hi;
	u32 cooldown;
};

/**
 * struct sim_measure - how the balancer sees the load
 * @noise_bucket: relative standard deviation added to each bucket's load
 *	(per sample with @module)
 * @noise_usage: standard deviation added to each CPU's usage, ppm (per
 *	sample with @module)
 * @hz: usage counted in ticks of this rate, sample_ms * @hz / 1000 ticks
 *	a sample (binomial noise, see sim_usage_sample()); 0: exact
 * @module: as src/sampler.c and src/control.c measure (EWMA of weight
 *	2^-PSTEER_RB_EWMA_SHIFT per sample, 1/8, and psteer's step rule for
 *	buckets, psteer_rb_smooth_load(); buckets priced by the time
 *	spent on them so a saturated CPU's buckets add up to no more than it,
 *	smoothed usages corrected by each move); otherwise exact: usage =
 *	demand capped at a full CPU, bucket load = offered load, both of this
 *	very round
 * @samples: with @module, samples per round (rebalance_ms / sample_ms)
 * @spike_p: probability that a sample of a bucket with load times it
 *	@spike ppm too long (per sample with @module): a drain that a
 *	preemption, a hypervisor or, in the test VM, QEMU running another
 *	vCPU stretched; it hits a bucket whatever its load
 * @spike: the spike's size, ppm of a CPU
 */
struct sim_measure {
	double noise_bucket;
	double noise_usage;
	double spike_p;
	double spike;
	u32 hz;
	bool module;
	u32 samples;
};

/**
 * struct sim_result - what one run gave; "steady" = the last half of rounds
 * @maxlb: steady mean of max/LB after the balancer's moves
 * @found: steady mean of max/LB as the balancer found it (after churn)
 * @spread: steady mean of (max - min) / min
 * @jain: steady mean of Jain's fairness index
 * @moves: steady mean of moves per round
 * @tail_moves: mean moves per round over the last 5 rounds
 * @removes: moves of a bucket that had moved in an earlier round
 * @top_moves: moves of the heaviest bucket (at the end) over the run
 * @conv: rounds until max/LB <= SIM_CONVERGED (0: at once), -1: never
 * @ns_median: median time of a round of the balancer
 * @ns_first: the first round (from round-robin owners: the most moves)
 * @ns_max: slowest round
 */
struct sim_result {
	double maxlb;
	double found;
	double spread;
	double jain;
	double moves;
	double tail_moves;
	u32 removes;
	u32 top_moves;
	int conv;
	u64 ns_median;
	u64 ns_first;
	u64 ns_max;
};

/* What sim_run() prints as it goes. */
#define SIM_TRACE_ROUNDS	1u	/* a line per round */
#define SIM_TRACE_MOVES		2u	/* every move */
#define SIM_TRACE_DUMP		4u	/* every CPU after the last round */

u32 sim_max_moves(const struct sim_knobs *k, u32 nbuckets);
void sim_max_moves_str(const struct sim_knobs *k, char *buf, size_t len);
void sim_run(const struct sim_size *sz, const struct sim_workload *w,
	     const struct sim_knobs *k, const struct sim_measure *ms,
	     u32 rounds, unsigned int trace, struct sim_result *res);

#endif /* _PSTEER_SIM_H */
