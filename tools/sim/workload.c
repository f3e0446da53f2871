// SPDX-License-Identifier: GPL-2.0
/*
 * Workloads of the simulator: SIM_NFLOWS flows, each with a load (ppm of
 * one CPU) and a random 32-bit hash fixed for its life, scaled so that the
 * mean CPU demand is SIM_MEAN_DEMAND.
 *
 * Zipf loads are water-filled at SIM_FLOW_CAP (half a CPU): flow k gets
 * min(c / k^s, cap), with c chosen so the total stays. Without the cap, the
 * top flow of Zipf 1.0 over 100k flows would be 8% of the total, 12.7 CPUs
 * at 256 CPUs: no single flow can cost more than the one CPU that processes
 * it, and a bucket heavier than a CPU makes max/lower bound 1.0 whatever
 * the other CPUs do, which would hide every imbalance. The cap binds from
 * 16 CPUs up for Zipf 1.0 and 1.2 (1 and 3 flows), from 64 for Zipf 0.8;
 * at 256 CPUs it holds 11, 34 and 63 flows at half a CPU.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/*
 * The steady workloads run as long as the VM's steady-load test counts
 * moves (100 rounds), so that moves per round can be told from 0 to 0.02.
 */
#define SIM_STEADY_ROUNDS	100
/*
 * and at a lighter load, as paced streams are: each stream's bucket (3% of
 * a CPU) about the size of the dead band, the usages mostly noise.
 */
#define SIM_STEADY_MEAN		0.25

const struct sim_workload sim_workloads[] = {
	{ "uniform", SIM_UNIFORM, 0, true, 0, 0 },
	{ "zipf0.8", SIM_ZIPF, 0.8, true, 0, 0 },
	{ "zipf1.0", SIM_ZIPF, 1.0, true, 0, 0 },
	{ "zipf1.2", SIM_ZIPF, 1.2, true, 0, 0 },
	{ "elephants", SIM_ELEPHANTS, 0, true, 0, 0 },
	{ "hog", SIM_HOG, 0, true, 0, 0 },
	{ "churn", SIM_CHURN, 1.0, true, 0, 0 },
	{ "steady", SIM_STEADY, 0, true, SIM_STEADY_ROUNDS, SIM_STEADY_MEAN },
	{ "steadyel", SIM_STEADY_ELEPHANT, 0, true, SIM_STEADY_ROUNDS, SIM_STEADY_MEAN },
	{ "steadyproc", SIM_STEADY_PROC, 0, true, SIM_STEADY_ROUNDS, SIM_STEADY_MEAN },
	{ "bigeleph", SIM_BIG_ELEPHANTS, 0, false, 0, 0 },
};

const size_t sim_nworkloads = ARRAY_SIZE(sim_workloads);

/* Share of the flows replaced every round by SIM_CHURN. */
#define SIM_CHURN_PERMILLE	50

/*
 * SIM_STEADY_PROC: the steady load and a process of 35% of a CPU that the
 * scheduler moves to another CPU every second (10 rounds): the VM's UDP
 * sender and receiver, which psteer's buckets do not account for and no
 * move can take along.
 */
#define SIM_PROC_LOAD		0.35
#define SIM_PROC_ROUNDS		10

u64 sim_rng_next(struct sim_rng *rng)
{
	u64 z = (rng->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double sim_rng_unit(struct sim_rng *rng)
{
	return (sim_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double sim_rng_gauss(struct sim_rng *rng)
{
	double u = sim_rng_unit(rng), v = sim_rng_unit(rng);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* Flow k (0-based) gets min(c / (k + 1)^s, cap), summing to @total. */
static u32 sim_zipf(double *load, u32 n, double s, double total, double cap)
{
	double wsum = 0, head = 0, c = 0;
	u32 k, capped;

	for (k = 0; k < n; k++) {
		load[k] = pow(k + 1, -s);
		wsum += load[k];
	}
	/* Heaviest first: cap flows until the rest fit under the cap. */
	for (capped = 0; capped < n; capped++) {
		c = (total - capped * cap) / (wsum - head);
		if (c * load[capped] <= cap)
			break;
		head += load[capped];
	}
	for (k = 0; k < n; k++)
		load[k] = k < capped ? cap : c * load[k];
	return capped;
}

/* @n flows with loads uniform in [lo, hi] CPU, the others share the rest. */
static void sim_elephants(struct sim_flows *f, u32 n, double lo, double hi,
			  double total)
{
	double big = 0;
	u32 k;

	for (k = 0; k < n; k++) {
		f->load[k] = (lo + (hi - lo) * sim_rng_unit(&f->rng)) *
			     PSTEER_RB_FULL;
		big += f->load[k];
	}
	for (; k < f->nflows; k++)
		f->load[k] = (total - big) / (f->nflows - n);
}

void sim_flows_init(struct sim_flows *f, const struct sim_workload *w,
		    u32 ncpus, u64 seed)
{
	double total = (w->mean ? w->mean : SIM_MEAN_DEMAND) *
		       PSTEER_RB_FULL * ncpus;
	u32 k;

	memset(f, 0, sizeof(*f));
	f->rng.s = seed;
	f->ncpus = ncpus;
	f->nflows = SIM_NFLOWS;
	f->load = sim_calloc(f->nflows, sizeof(*f->load));
	f->hash = sim_calloc(f->nflows, sizeof(*f->hash));
	f->hog = sim_calloc(ncpus, sizeof(*f->hog));
	for (k = 0; k < f->nflows; k++)
		f->hash[k] = (u32)sim_rng_next(&f->rng);

	switch (w->kind) {
	case SIM_UNIFORM:
	case SIM_HOG:
		for (k = 0; k < f->nflows; k++)
			f->load[k] = total / f->nflows;
		if (w->kind == SIM_HOG && ncpus > 1)
			f->hog[1] = PSTEER_RB_FULL / 2;
		break;
	case SIM_ZIPF:
	case SIM_CHURN:
		f->ncapped = sim_zipf(f->load, f->nflows, w->zipf_s, total,
				      SIM_FLOW_CAP);
		break;
	case SIM_ELEPHANTS:
		/* 1 + N/4 flows of 20-60% of a CPU, 100k small ones. */
		sim_elephants(f, 1 + ncpus / 4, 0.2, 0.6, total);
		break;
	case SIM_BIG_ELEPHANTS:
		/* N/8 flows heavier than the mean (70-95%): dedicated CPUs. */
		sim_elephants(f, ncpus >= 8 ? ncpus / 8 : 1, 0.7, 0.95, total);
		break;
	case SIM_STEADY:
	case SIM_STEADY_ELEPHANT:
	case SIM_STEADY_PROC:
		/*
		 * The VM's steady load: 8 paced streams per CPU (32 on 4
		 * CPUs), equal and still; with SIM_STEADY_ELEPHANT, one UDP
		 * elephant of 80% of a CPU besides; with SIM_STEADY_PROC, a
		 * process that moves (SIM_PROC_LOAD).
		 */
		f->nflows = 8 * ncpus;
		if (w->kind == SIM_STEADY_ELEPHANT)
			sim_elephants(f, 1, 0.8, 0.8, total);
		else
			for (k = 0; k < f->nflows; k++)
				f->load[k] = total / f->nflows;
		if (w->kind == SIM_STEADY_PROC)
			f->hog[0] = SIM_PROC_LOAD * PSTEER_RB_FULL;
		break;
	}
}

/*
 * After each round. SIM_CHURN: SIM_CHURN_PERMILLE of the flows leave and
 * as many arrive, with fresh hashes; the leaving flows' loads are dealt
 * out among the arriving ones at random, so the Zipf shape and the total
 * stay. SIM_STEADY_PROC: every SIM_PROC_ROUNDS rounds the process moves to
 * another CPU, at random.
 */
void sim_flows_churn(struct sim_flows *f, const struct sim_workload *w)
{
	u32 n = (u64)f->nflows * SIM_CHURN_PERMILLE / 1000, k;

	f->round++;
	if (w->kind == SIM_STEADY_PROC && f->ncpus > 1 &&
	    !(f->round % SIM_PROC_ROUNDS)) {
		f->hog[f->proc] = 0;
		f->proc = (f->proc + 1 + sim_rng_next(&f->rng) % (f->ncpus - 1)) %
			  f->ncpus;
		f->hog[f->proc] = SIM_PROC_LOAD * PSTEER_RB_FULL;
	}
	if (w->kind != SIM_CHURN)
		return;
	/* Partial Fisher-Yates: the first n of a random permutation. */
	for (k = 0; k < n; k++) {
		u32 j = k + sim_rng_next(&f->rng) % (f->nflows - k);
		double l = f->load[j];
		u32 h = f->hash[j];

		f->load[j] = f->load[k];
		f->hash[j] = f->hash[k];
		f->load[k] = l;
		f->hash[k] = h;
	}
	for (k = 0; k < n; k++) {
		u32 j = k + sim_rng_next(&f->rng) % (n - k);
		double l = f->load[j];

		f->load[j] = f->load[k];
		f->load[k] = l;
		f->hash[k] = (u32)sim_rng_next(&f->rng);
	}
}

void sim_flows_free(struct sim_flows *f)
{
	free(f->load);
	free(f->hash);
	free(f->hog);
}

const struct sim_workload *sim_workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < sim_nworkloads; i++)
		if (!strcmp(sim_workloads[i].name, name))
			return &sim_workloads[i];
	return NULL;
}
