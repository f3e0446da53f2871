// SPDX-License-Identifier: GPL-2.0
/*
 * One run: a balancer on a scenario (table size, workload) for some
 * rounds. Owners start round-robin, as the module deals them. Each round:
 *
 *   1. the buckets' true loads from the flows (bucket =
 *      reciprocal_scale(hash, B)), each CPU's demand = its buckets plus
 *      its external load; metrics of the table as the balancer finds it;
 *   2. what the balancer sees (struct sim_measure): usage capped at a
 *      full CPU, bucket loads, optionally smoothed and noisy;
 *   3. the balancer, timed alone; its moves are checked against the
 *      simulator's own copy of the table and mirrored into it;
 *   4. metrics of the table after the moves;
 *   5. the workload churns (SIM_CHURN only).
 *
 * Metrics are on the true demand (uncapped, hog included): max / lower
 * bound, with lower bound = max(mean demand, heaviest bucket, heaviest
 * hog); (max - min) / min; Jain's index (sum x)^2 / (N sum x^2).
 */
#define _GNU_SOURCE	/* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

const char *const sim_algo_names[SIM_NALGOS] = { "psteer", "static", "rss++" };

/* Everything one run holds. */
struct sim_run {
	u32 ncpus, nbuckets, rounds;
	const struct sim_workload *w;
	struct sim_knobs knobs;
	struct sim_measure ms;
	unsigned int trace;
	struct sim_flows flows;
	u16 *owner;		/* the simulator's own copy of the table */
	u32 *moved;		/* per bucket: 1 + last round it moved in */
	u32 *nmoved;		/* per bucket: moves over the run */
	u32 removes;
	double *bload;		/* per bucket, true load */
	double *demand;		/* per CPU, true demand */
	double *seen_b, *seen_u;	/* what the balancer is shown */
	double *served;		/* per CPU, share of its packet demand served */
	bool *rising;		/* per bucket, psteer_rb_smooth_load()'s */
	u32 *load32, *usage32;
	struct sim_rng noise;
	/* psteer's arrays; b[].owner is psteer's copy of the owners */
	struct psteer_rb_config cfg;
	struct psteer_rb_cpu *cpus;
	struct psteer_rb_bucket *b;
	u32 *scratch;
	struct psteer_rb_move *moves;
	struct psteer_rb_summary sum;
	/* rss++'s state and its copy of the owners */
	struct rsspp *rs;
	u16 *rs_owner;
	/* per round */
	double *found;		/* max/LB as the balancer found it */
	double *maxlb, *spread, *jain;	/* after its moves */
	u32 *nmoves;
	u64 *ns;
};

void *sim_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		sim_die("out of memory");
	return p;
}

void sim_die(const char *what)
{
	fprintf(stderr, "sim: %s\n", what);
	exit(2);
}

u32 sim_max_moves(const struct sim_knobs *k, u32 nbuckets)
{
	u32 m;

	if (k->max_moves)
		return k->max_moves;
	m = nbuckets / k->mm_div;
	if (m > k->mm_hi)
		m = k->mm_hi;
	return m < k->mm_lo ? k->mm_lo : m;
}

/* "32", "max(8, B/50)" or "clamp(B/8, 32, 2048)". */
void sim_max_moves_str(const struct sim_knobs *k, char *buf, size_t len)
{
	if (k->max_moves)
		snprintf(buf, len, "%u", k->max_moves);
	else if (k->mm_hi == ~0u)
		snprintf(buf, len, "max(%u, B/%u)", k->mm_lo, k->mm_div);
	else
		snprintf(buf, len, "clamp(B/%u, %u, %u)", k->mm_div, k->mm_lo,
			 k->mm_hi);
}

/* The same seed for a scenario whatever the balancer, mode or options. */
static u64 sim_seed(u32 ncpus, u32 nbuckets, const struct sim_workload *w)
{
	struct sim_rng r = {
		.s = (u64)ncpus * 1000003u + (u64)nbuckets * 7919u +
		     (u64)(w - sim_workloads) * 104729u,
	};

	return sim_rng_next(&r);
}

static void sim_run_init(struct sim_run *s, const struct sim_size *sz,
			 const struct sim_workload *w,
			 const struct sim_knobs *k, const struct sim_measure *ms,
			 u32 rounds, unsigned int trace)
{
	u32 i, n = sz->ncpus, nb = sz->nbuckets;

	memset(s, 0, sizeof(*s));
	s->ncpus = n;
	s->nbuckets = nb;
	s->rounds = rounds;
	s->w = w;
	s->knobs = *k;
	s->ms = *ms;
	s->trace = trace;
	sim_flows_init(&s->flows, w, n, sim_seed(n, nb, w));
	s->noise.s = sim_seed(n, nb, w) ^ 0x6e6f697365ull;
	s->cfg.threshold = k->threshold;
	s->cfg.max_moves = sim_max_moves(k, nb);
	s->cfg.cooldown = k->cooldown;
	s->owner = sim_calloc(nb, sizeof(*s->owner));
	s->moved = sim_calloc(nb, sizeof(*s->moved));
	s->nmoved = sim_calloc(nb, sizeof(*s->nmoved));
	s->bload = sim_calloc(nb, sizeof(*s->bload));
	s->demand = sim_calloc(n, sizeof(*s->demand));
	s->seen_b = sim_calloc(nb, sizeof(*s->seen_b));
	s->seen_u = sim_calloc(n, sizeof(*s->seen_u));
	s->served = sim_calloc(n, sizeof(*s->served));
	s->rising = sim_calloc(nb, sizeof(*s->rising));
	s->load32 = sim_calloc(nb, sizeof(*s->load32));
	s->usage32 = sim_calloc(n, sizeof(*s->usage32));
	s->cpus = sim_calloc(n, sizeof(*s->cpus));
	s->b = sim_calloc(nb, sizeof(*s->b));
	s->scratch = sim_calloc(nb, sizeof(*s->scratch));
	s->moves = sim_calloc(s->cfg.max_moves, sizeof(*s->moves));
	/*
	 * Fault the balancer's arrays in now, as the module's are (kvcalloc
	 * at load): calloc() maps fresh pages on first write, which would be
	 * timed in the first round.
	 */
	memset(s->scratch, 0xff, nb * sizeof(*s->scratch));
	memset(s->moves, 0xff, s->cfg.max_moves * sizeof(*s->moves));
	s->found = sim_calloc(rounds, sizeof(*s->found));
	s->maxlb = sim_calloc(rounds, sizeof(*s->maxlb));
	s->spread = sim_calloc(rounds, sizeof(*s->spread));
	s->jain = sim_calloc(rounds, sizeof(*s->jain));
	s->nmoves = sim_calloc(rounds, sizeof(*s->nmoves));
	s->ns = sim_calloc(rounds, sizeof(*s->ns));
	for (i = 0; i < nb; i++) {
		s->owner[i] = i % n;
		s->b[i].owner = i % n;
	}
	if (k->algo == SIM_RSSPP) {
		s->rs = rsspp_new(n, nb);
		if (!s->rs)
			sim_die("out of memory");
		s->rs_owner = sim_calloc(nb, sizeof(*s->rs_owner));
		for (i = 0; i < nb; i++)
			s->rs_owner[i] = i % n;
	}
}

static void sim_run_free(struct sim_run *s)
{
	sim_flows_free(&s->flows);
	rsspp_free(s->rs);
	free(s->rs_owner);
	free(s->owner);
	free(s->moved);
	free(s->nmoved);
	free(s->bload);
	free(s->demand);
	free(s->seen_b);
	free(s->seen_u);
	free(s->served);
	free(s->rising);
	free(s->load32);
	free(s->usage32);
	free(s->cpus);
	free(s->b);
	free(s->scratch);
	free(s->moves);
	free(s->found);
	free(s->maxlb);
	free(s->spread);
	free(s->jain);
	free(s->nmoves);
	free(s->ns);
}

/* The CPUs' demands from the buckets' loads and owners. */
static void sim_demand(struct sim_run *s)
{
	u32 i;

	for (i = 0; i < s->ncpus; i++)
		s->demand[i] = s->flows.hog[i];
	for (i = 0; i < s->nbuckets; i++)
		s->demand[s->owner[i]] += s->bload[i];
}

/* The buckets' true loads from the flows, then the CPUs' demands. */
static void sim_loads(struct sim_run *s)
{
	const struct sim_flows *f = &s->flows;
	u32 i;

	memset(s->bload, 0, s->nbuckets * sizeof(*s->bload));
	for (i = 0; i < f->nflows; i++)
		s->bload[((u64)f->hash[i] * s->nbuckets) >> 32] += f->load[i];
	sim_demand(s);
}

/* max/LB, (max - min) / min and Jain's index of the demands, at @r. */
static void sim_metrics(struct sim_run *s, u32 r)
{
	double sum = 0, sq = 0, max = 0, min = HUGE_VAL, lb = 0;
	u32 i;

	for (i = 0; i < s->ncpus; i++) {
		double d = s->demand[i];

		sum += d;
		sq += d * d;
		max = d > max ? d : max;
		min = d < min ? d : min;
		lb = s->flows.hog[i] > lb ? s->flows.hog[i] : lb;
	}
	for (i = 0; i < s->nbuckets; i++)
		lb = s->bload[i] > lb ? s->bload[i] : lb;
	if (sum / s->ncpus > lb)
		lb = sum / s->ncpus;
	s->maxlb[r] = max / lb;
	s->spread[r] = min > 0 ? (max - min) / min : HUGE_VAL;
	s->jain[r] = sq > 0 ? sum * sum / (s->ncpus * sq) : 1;
}

static double sim_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * One sample of a CPU's busy share @p (0..1), as the module reads it from
 * kcpustat: busy time is charged a tick at a time (Debian's kernels: no
 * IRQ_TIME_ACCOUNTING, VIRT_CPU_ACCOUNTING_GEN only on nohz_full CPUs), so
 * over n = sample_ms * HZ / 1000 ticks the share is a binomial count of
 * busy ticks over n, of standard deviation sqrt(p (1 - p) / n); its normal
 * approximation here. Idle time is exact (NO_HZ), so only this part is
 * noisy. Plus @noise_usage ppm of Gaussian noise, if asked for.
 */
static double sim_usage_sample(struct sim_run *s, double p)
{
	const struct sim_measure *ms = &s->ms;
	double v = p, ticks = (double)ms->hz * PSTEER_RB_DEFAULT_SAMPLE_MS /
			      1000;

	if (ms->hz)
		v += sqrt(p * (1 - p) / ticks) * sim_rng_gauss(&s->noise);
	v *= PSTEER_RB_FULL;
	if (ms->noise_usage)
		v += ms->noise_usage * sim_rng_gauss(&s->noise);
	return sim_clamp(v, 0, PSTEER_RB_FULL);
}

/*
 * What the balancer sees of round @r: see struct sim_measure. The module's
 * sampler takes @samples samples per round, each with its own noise, and
 * keeps 1 - 2^-PSTEER_RB_EWMA_SHIFT of the old value per sample
 * (psteer_rb_smooth_load(), psteer's step rule included); its first round
 * starts from the true values, as if the load had been running for a
 * while. The exact one sees this round's values, noise (if any) added
 * once.
 */
static void sim_measure(struct sim_run *s, u32 r)
{
	const struct sim_measure *ms = &s->ms;
	double w = ms->module ? 1.0 / (1 << PSTEER_RB_EWMA_SHIFT) : 1;
	u32 i, k, samples = ms->module ? ms->samples : 1;
	/*
	 * psteer_rb_smooth_load(), in doubles: a step shows at the second
	 * sample past it (both samples of a round see the load of that
	 * round). The RSS++ baseline keeps the plain EWMA, its better one (a
	 * step rule made it worse: Documentation/rebalance-sim.rst).
	 */
	bool step = ms->module && s->knobs.algo == SIM_PSTEER, past;
	double lim;

	for (i = 0; i < s->ncpus; i++) {
		double pkt = s->demand[i] - s->flows.hog[i];

		/* Packets first (softirq); the hog gets what is left. */
		s->served[i] = ms->module && pkt > PSTEER_RB_FULL ?
			       PSTEER_RB_FULL / pkt : 1;
	}
	for (i = 0; i < s->nbuckets; i++) {
		/*
		 * Offered: a saturated owner's buckets are timed as served,
		 * and the packets its queues refuse priced at its cost per
		 * packet (src/sampler.c). Not modelled: the receiving CPU's
		 * own (inline) packets, which its NIC drops unseen.
		 */
		double t = s->bload[i];

		if (!r || !ms->module)
			s->seen_b[i] = t;
		for (k = 0; k < samples; k++) {
			double v = t;

			if (ms->noise_bucket)
				v *= 1 + ms->noise_bucket *
					 sim_rng_gauss(&s->noise);
			if (ms->spike_p && t > 0 &&
			    sim_rng_unit(&s->noise) < ms->spike_p)
				v += ms->spike;
			v = sim_clamp(v, 0, 4e9);
			lim = 2 * s->seen_b[i] + PSTEER_RB_STEP;
			past = step && v > lim;
			if (past && s->rising[i]) {
				s->seen_b[i] = v;
				s->rising[i] = false;
			} else {
				/* An outlier counts at the step, no higher. */
				s->rising[i] = past;
				if (past)
					v = lim;
				s->seen_b[i] += w * (v - s->seen_b[i]);
			}
		}
		s->load32[i] = (u32)(s->seen_b[i] + 0.5);
	}
	for (i = 0; i < s->ncpus; i++) {
		double p = sim_clamp(s->demand[i] / PSTEER_RB_FULL, 0, 1);

		if (!r || !ms->module)
			s->seen_u[i] = p * PSTEER_RB_FULL;
		for (k = 0; k < samples; k++)
			s->seen_u[i] += w * (sim_usage_sample(s, p) -
					     s->seen_u[i]);
		s->usage32[i] = (u32)(s->seen_u[i] + 0.5);
	}
}

static u64 sim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* One call of the balancer, timed alone. Returns the number of moves. */
static u32 sim_balance(struct sim_run *s, u32 r)
{
	struct rsspp_config rc = {
		.threshold = s->cfg.threshold,
		.max_moves = s->cfg.max_moves,
	};
	u32 i, n = 0;
	u64 t0;

	switch (s->knobs.algo) {
	case SIM_PSTEER:
		for (i = 0; i < s->ncpus; i++)
			s->cpus[i].usage = s->usage32[i];
		for (i = 0; i < s->nbuckets; i++) {
			s->b[i].load = s->load32[i];
			/* The part its saturated owner did not serve. */
			s->b[i].refused = (u32)(s->load32[i] *
						(1 - s->served[s->owner[i]]));
		}
		t0 = sim_now();
		n = psteer_rebalance(&s->cfg, s->cpus, s->ncpus, s->b,
				     s->nbuckets, s->scratch, s->moves,
				     &s->sum);
		s->ns[r] = sim_now() - t0;
		break;
	case SIM_RSSPP:
		t0 = sim_now();
		n = rsspp_rebalance(s->rs, &rc, s->usage32, s->load32,
				    s->rs_owner, s->moves);
		s->ns[r] = sim_now() - t0;
		break;
	default:
		break;
	}
	return n;
}

/*
 * Mirrors the moves into the simulator's table, checking each: a move
 * names the bucket's current owner, no bucket moves twice in a round, and
 * the balancer's own copy of the owners changed by exactly these moves.
 */
static void sim_apply(struct sim_run *s, u32 r, u32 n)
{
	u32 i;

	if (n > s->cfg.max_moves)
		sim_die("more moves than max_moves");
	for (i = 0; i < n; i++) {
		const struct psteer_rb_move *m = &s->moves[i];

		if (m->bucket >= s->nbuckets || m->to >= s->ncpus ||
		    m->from != s->owner[m->bucket] || m->from == m->to)
			sim_die("a move inconsistent with the table");
		if (s->moved[m->bucket] == r + 1)
			sim_die("a bucket moved twice in one round");
		s->removes += s->moved[m->bucket] != 0;
		s->moved[m->bucket] = r + 1;
		s->nmoved[m->bucket]++;
		s->owner[m->bucket] = m->to;
		if (s->ms.module) {
			/*
			 * As psteer_ctl_apply() corrects the smoothed usage:
			 * the donor loses the part of the load it served.
			 */
			double served = m->load * s->served[m->from];

			s->seen_u[m->from] -= s->seen_u[m->from] < served ?
					      s->seen_u[m->from] : served;
			s->seen_u[m->to] += m->load;
			if (s->seen_u[m->to] > PSTEER_RB_FULL)
				s->seen_u[m->to] = PSTEER_RB_FULL;
		}
	}
	for (i = 0; i < s->nbuckets; i++) {
		u16 o = s->knobs.algo == SIM_PSTEER ? s->b[i].owner :
			s->knobs.algo == SIM_RSSPP ? s->rs_owner[i] :
			s->owner[i];

		if (o != s->owner[i])
			sim_die("a bucket moved without being reported");
	}
}

static int sim_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int sim_cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * A tighter lower bound than max(mean, heaviest) for coarse tables: of
 * the k * N + 1 heaviest items (buckets and hogs), some CPU holds k + 1,
 * so the max is at least the sum of the k + 1 lightest of them.
 */
static double sim_pigeonhole(const struct sim_run *s)
{
	u32 n = s->nbuckets + s->ncpus, i, k;
	double *p = sim_calloc(n, sizeof(*p)), lb, mean = 0;

	for (i = 0; i < s->nbuckets; i++)
		p[i] = s->bload[i];
	for (i = 0; i < s->ncpus; i++) {
		p[s->nbuckets + i] = s->flows.hog[i];
		mean += s->demand[i] / s->ncpus;
	}
	qsort(p, n, sizeof(*p), sim_cmp_desc);
	lb = p[0] > mean ? p[0] : mean;
	for (k = 1; (u64)k * s->ncpus + 1 <= n && k < 64; k++) {
		double sum = 0;

		for (i = k * s->ncpus - k; i <= k * s->ncpus; i++)
			sum += p[i];
		lb = sum > lb ? sum : lb;
	}
	free(p);
	return lb;
}

static void sim_trace_round(const struct sim_run *s, u32 r, u32 n)
{
	bool psteer = s->knobs.algo == SIM_PSTEER;
	u32 i, to_ded = 0;

	for (i = 0; psteer && i < n; i++)
		to_ded += s->cpus[s->moves[i].to].dedicated;
	printf("round %2u  max/LB %.4f -> %.4f  spread %.4f  jain %.5f  "
	       "moves %5u", r, s->found[r], s->maxlb[r], s->spread[r],
	       s->jain[r], n);
	if (psteer)
		printf("  elephants %u (moves to them %u)  heavy %u  mean %u  "
		       "D %lld", s->sum.elephants, to_ded, s->sum.heavy,
		       s->sum.mean, (long long)s->sum.total_index);
	printf("  %llu ns\n", (unsigned long long)s->ns[r]);
	for (i = 0; (s->trace & SIM_TRACE_MOVES) && i < n; i++) {
		const struct psteer_rb_move *m = &s->moves[i];

		printf("  move bucket %u cpu %u -> %u load %u%s\n", m->bucket,
		       m->from, m->to, m->load, !psteer ? "" :
		       s->cpus[m->to].dedicated ? " (to a dedicated CPU)" :
		       s->cpus[m->to].host ? " (to a host)" : "");
	}
}

static int sim_cmp_demand(const void *a, const void *b, void *arg)
{
	const double *d = arg;
	double x = d[*(const u32 *)a], y = d[*(const u32 *)b];

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The CPUs by decreasing demand, with what they hold. */
static void sim_dump(const struct sim_run *s)
{
	u32 *order = sim_calloc(s->ncpus, sizeof(*order)), i, j;
	double max = 0;

	for (i = 0; i < s->ncpus; i++) {
		order[i] = i;
		max = s->demand[i] > max ? s->demand[i] : max;
	}
	printf("flows held at the cap: %u; max demand %.0f ppm = %.4f x the "
	       "pigeonhole bound\n", s->flows.ncapped, max,
	       max / sim_pigeonhole(s));
	qsort_r(order, s->ncpus, sizeof(*order), sim_cmp_demand, s->demand);
	printf(" cpu    demand    usage  counted     rest    hog buckets cool ded"
	       "  heaviest buckets (as seen)\n");
	for (i = 0; i < s->ncpus; i++) {
		u32 c = order[i], nb = 0, top[4] = { 0 }, k;

		for (j = 0; j < s->nbuckets; j++) {
			if (s->owner[j] != c)
				continue;
			nb++;
			for (k = 0; k < 4; k++) {
				if (s->load32[j] > top[k]) {
					memmove(&top[k + 1], &top[k],
						(3 - k) * sizeof(top[0]));
					top[k] = s->load32[j];
					break;
				}
			}
		}
		printf("%4u %9.0f %8u %8u %8u %6.0f %7u %4u %3d  %u %u %u %u\n",
		       c, s->demand[c], s->usage32[c], s->cpus[c].usage,
		       s->cpus[c].rest, s->flows.hog[c], nb,
		       s->cpus[c].cooldown, s->cpus[c].dedicated, top[0],
		       top[1], top[2], top[3]);
	}
	free(order);
}

static void sim_summarize(const struct sim_run *s, struct sim_result *res)
{
	u32 r, half = s->rounds / 2, nsteady = s->rounds - half;
	u32 tail = s->rounds < 5 ? s->rounds : 5, top;
	u64 *ns = sim_calloc(s->rounds, sizeof(*ns));

	for (r = half; r < s->rounds; r++) {
		res->found += s->found[r] / nsteady;
		res->maxlb += s->maxlb[r] / nsteady;
		res->spread += s->spread[r] / nsteady;
		res->jain += s->jain[r] / nsteady;
		res->moves += (double)s->nmoves[r] / nsteady;
	}
	for (r = s->rounds - tail; r < s->rounds; r++)
		res->tail_moves += (double)s->nmoves[r] / tail;
	res->removes = s->removes;
	for (r = 0, top = 0; r < s->nbuckets; r++)
		if (s->bload[r] > s->bload[top])
			top = r;
	res->top_moves = s->nmoved[top];
	memcpy(ns, s->ns, s->rounds * sizeof(*ns));
	qsort(ns, s->rounds, sizeof(*ns), sim_cmp_u64);
	res->ns_median = ns[s->rounds / 2];
	res->ns_first = s->ns[0];
	res->ns_max = ns[s->rounds - 1];
	free(ns);
}

void sim_run(const struct sim_size *sz, const struct sim_workload *w,
	     const struct sim_knobs *k, const struct sim_measure *ms,
	     u32 rounds, unsigned int trace, struct sim_result *res)
{
	struct sim_run s;
	u32 r;

	sim_run_init(&s, sz, w, k, ms, rounds, trace);
	memset(res, 0, sizeof(*res));
	res->conv = -1;
	for (r = 0; r < rounds; r++) {
		sim_loads(&s);
		sim_metrics(&s, r);
		s.found[r] = s.maxlb[r];
		if (!r && s.found[r] <= SIM_CONVERGED)
			res->conv = 0;
		sim_measure(&s, r);
		s.nmoves[r] = sim_balance(&s, r);
		sim_apply(&s, r, s.nmoves[r]);
		sim_demand(&s);
		sim_metrics(&s, r);
		if (res->conv < 0 && s.maxlb[r] <= SIM_CONVERGED)
			res->conv = r + 1;
		if (trace & SIM_TRACE_ROUNDS)
			sim_trace_round(&s, r, s.nmoves[r]);
		if ((trace & SIM_TRACE_DUMP) && r == rounds - 1)
			sim_dump(&s);
		sim_flows_churn(&s.flows, w);
	}
	sim_summarize(&s, res);
	sim_run_free(&s);
}
