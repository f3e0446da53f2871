// SPDX-License-Identifier: GPL-2.0
/*
 * Host simulator and benchmark of the rebalancer (src/rebalance/, linked
 * unchanged): the main table (every table size, workload and balancer),
 * the timing lines, a sweep of psteer's knobs and a trace of one scenario.
 * The balancers see the same workload, hashes and churn: psteer, static
 * hashing (RSS or RPS: nothing ever moves) and an RSS++-style greedy
 * (rsspp.c). What a run does and measures: run.c. Usage: sim --help.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const struct sim_size sim_sizes[] = {
	{ 4, 256 }, { 16, 1024 }, { 64, 4096 }, { 64, 128 }, { 256, 65536 },
};

#define SIM_NSIZES	ARRAY_SIZE(sim_sizes)

static void sim_table_header(void)
{
	printf("%-9s %-9s %-6s %6s %6s %10s %6s %8s %6s %4s %6s %9s\n",
	       "size", "workload", "algo", "max/LB", "found", "(mx-mn)/mn",
	       "Jain", "moves/rd", "%B/rd", "conv", "top mv", "ns/round");
}

static void sim_table_row(const struct sim_size *sz,
			  const struct sim_workload *w,
			  const struct sim_knobs *k,
			  const struct sim_result *res)
{
	char size[24], conv[12];

	snprintf(size, sizeof(size), "%ux%u", sz->ncpus, sz->nbuckets);
	if (res->conv < 0)
		snprintf(conv, sizeof(conv), "-");
	else
		snprintf(conv, sizeof(conv), "%d", res->conv);
	printf("%-9s %-9s %-6s %6.3f %6.3f %10.3f %6.4f %8.2f %6.2f %4s %6u "
	       "%9llu\n", size, w->name, sim_algo_names[k->algo], res->maxlb,
	       res->found, res->spread, res->jain, res->moves,
	       100 * res->moves / sz->nbuckets, conv, res->top_moves,
	       (unsigned long long)res->ns_median);
	fflush(stdout);
}

/* Options shared by every mode. */
struct sim_opts {
	struct sim_knobs psteer;
	struct sim_measure ms;
	u32 rounds;
	const struct sim_size *size;	/* NULL: all */
	struct sim_size one_size;
	const struct sim_workload *w;	/* NULL: all in the table */
	enum sim_algo algo;
	bool algo_set;
};

/* Rounds of @w: as asked, or more for the steady workloads. */
static u32 sim_rounds(const struct sim_opts *o, const struct sim_workload *w)
{
	return w->rounds > o->rounds ? w->rounds : o->rounds;
}

static bool sim_want(const struct sim_opts *o, const struct sim_size *sz,
		     const struct sim_workload *w)
{
	if (o->size && (o->size->ncpus != sz->ncpus ||
			o->size->nbuckets != sz->nbuckets))
		return false;
	return o->w ? o->w == w : w->in_table;
}

static void sim_knobs_for(const struct sim_opts *o, enum sim_algo algo,
			  struct sim_knobs *k)
{
	*k = o->psteer;
	k->algo = algo;
}

/* The main table: every size, workload and balancer. */
static void sim_table(const struct sim_opts *o)
{
	const struct sim_size *sizes = o->size ? o->size : sim_sizes;
	size_t nsizes = o->size ? 1 : SIM_NSIZES, i, j;
	char mm[48];
	int a;

	sim_max_moves_str(&o->psteer, mm, sizeof(mm));
	printf("psteer: threshold %u ppm, max_moves %s, cooldown %u; "
	       "sampler %s", o->psteer.threshold, mm, o->psteer.cooldown,
	       o->ms.module ? "module" : "exact");
	if (o->ms.module)
		printf(" (%u per round)", o->ms.samples);
	if (o->ms.hz)
		printf(", usage in ticks of HZ=%u", o->ms.hz);
	if (o->ms.noise_bucket || o->ms.noise_usage)
		printf(", noise %.3f x bucket, %.0f ppm usage",
		       o->ms.noise_bucket, o->ms.noise_usage);
	if (o->ms.spike_p)
		printf(", spikes of %.0f ppm in %.3f of bucket samples",
		       o->ms.spike, o->ms.spike_p);
	printf("; %u rounds (steady*: 100), steady state = the last half\n",
	       o->rounds);
	sim_table_header();
	for (i = 0; i < nsizes; i++) {
		for (j = 0; j < sim_nworkloads; j++) {
			if (!sim_want(o, &sizes[i], &sim_workloads[j]))
				continue;
			for (a = SIM_PSTEER; a <= SIM_RSSPP; a++) {
				struct sim_knobs k;
				struct sim_result res;

				if (o->algo_set && (int)o->algo != a)
					continue;
				sim_knobs_for(o, a, &k);
				sim_run(&sizes[i], &sim_workloads[j], &k,
					&o->ms, sim_rounds(o, &sim_workloads[j]),
					0, &res);
				sim_table_row(&sizes[i], &sim_workloads[j], &k,
					      &res);
			}
		}
	}
}

static void sim_timing_line(const struct sim_opts *o,
			    const struct sim_size *sz,
			    const struct sim_workload *w)
{
	struct sim_knobs k;
	struct sim_result res;

	sim_knobs_for(o, SIM_PSTEER, &k);
	sim_run(sz, w, &k, &o->ms, 20, 0, &res);
	printf("timing: psteer %ux%u %s: median %llu ns, first %llu ns, "
	       "max %llu ns over 20 rounds\n", sz->ncpus, sz->nbuckets,
	       w->name, (unsigned long long)res.ns_median,
	       (unsigned long long)res.ns_first,
	       (unsigned long long)res.ns_max);
	fflush(stdout);
}

/*
 * The cost target: psteer's rounds on Zipf 1.0 at every size, then every
 * other workload of the table at the largest size.
 */
static void sim_timing(const struct sim_opts *o)
{
	const struct sim_workload *zipf = sim_workload_find("zipf1.0");
	const struct sim_size *big = &sim_sizes[SIM_NSIZES - 1];
	size_t i;

	for (i = 0; i < SIM_NSIZES; i++) {
		if (o->size && (o->size->ncpus != sim_sizes[i].ncpus ||
				o->size->nbuckets != sim_sizes[i].nbuckets))
			continue;
		sim_timing_line(o, &sim_sizes[i], zipf);
	}
	if (o->size && (o->size->ncpus != big->ncpus ||
			o->size->nbuckets != big->nbuckets))
		return;
	for (i = 0; i < sim_nworkloads; i++)
		if (sim_workloads[i].in_table && &sim_workloads[i] != zipf)
			sim_timing_line(o, big, &sim_workloads[i]);
}

/* What a psteer setting achieves over all the scenarios of the table. */
struct sim_score {
	u32 conv_ok, conv_n;		/* Zipf and elephants, fine tables */
	u32 coarse_ok, coarse_n;	/* the same on the coarse table */
	double conv_sum;		/* rounds, never = all rounds */
	double worst_maxlb;		/* steady, fine tables */
	double stable_moves;		/* last 5 rounds' moves/round, no churn */
	u32 removes;			/* re-moved buckets, no churn */
	double churn_pct;		/* worst steady %B/round, churn, fine */
	double churn_maxlb;		/* worst steady max/LB, churn */
	u64 big_med;			/* worst median round, largest table */
	u64 big_max;			/* worst round, largest table */
};

static void sim_score_add(struct sim_score *sc, const struct sim_size *sz,
			  const struct sim_workload *w,
			  const struct sim_result *res, u32 rounds)
{
	bool coarse = sz->nbuckets / sz->ncpus < 16;
	bool target = w->kind == SIM_ZIPF || w->kind == SIM_ELEPHANTS;
	bool ok = res->conv >= 0 && res->conv <= 5;

	if (target && coarse) {
		sc->coarse_n++;
		sc->coarse_ok += ok;
	} else if (target) {
		sc->conv_n++;
		sc->conv_ok += ok;
		sc->conv_sum += res->conv >= 0 ? (double)res->conv : rounds;
	}
	if (!coarse && w->kind != SIM_CHURN && res->maxlb > sc->worst_maxlb)
		sc->worst_maxlb = res->maxlb;
	if (w->kind == SIM_CHURN) {
		double pct = 100 * res->moves / sz->nbuckets;

		if (!coarse && pct > sc->churn_pct)
			sc->churn_pct = pct;
		if (!coarse && res->maxlb > sc->churn_maxlb)
			sc->churn_maxlb = res->maxlb;
	} else {
		sc->stable_moves += res->tail_moves;
		sc->removes += res->removes;
	}
	if (sz->nbuckets == 65536 && res->ns_median > sc->big_med)
		sc->big_med = res->ns_median;
	if (sz->nbuckets == 65536 && res->ns_max > sc->big_max)
		sc->big_max = res->ns_max;
}

/* One line of the sweep: setting @k over every scenario. */
static void sim_sweep_one(const struct sim_opts *o, const struct sim_knobs *k)
{
	struct sim_score sc = { 0 };
	char mm[48];
	size_t i, j;

	for (i = 0; i < SIM_NSIZES; i++) {
		for (j = 0; j < sim_nworkloads; j++) {
			struct sim_result res;

			if (!sim_want(o, &sim_sizes[i], &sim_workloads[j]))
				continue;
			sim_run(&sim_sizes[i], &sim_workloads[j], k, &o->ms,
				sim_rounds(o, &sim_workloads[j]), 0, &res);
			sim_score_add(&sc, &sim_sizes[i], &sim_workloads[j],
				      &res, o->rounds);
		}
	}
	sim_max_moves_str(k, mm, sizeof(mm));
	printf("%7u %20s %4u %4u/%-2u %8.2f %4u/%-1u %8.3f %7.1f %7u %7.2f "
	       "%8.3f %8llu %8llu\n", k->threshold, mm, k->cooldown,
	       sc.conv_ok, sc.conv_n, sc.conv_n ? sc.conv_sum / sc.conv_n : 0,
	       sc.coarse_ok, sc.coarse_n, sc.worst_maxlb, sc.stable_moves,
	       sc.removes, sc.churn_pct, sc.churn_maxlb,
	       (unsigned long long)sc.big_med,
	       (unsigned long long)sc.big_max);
	fflush(stdout);
}

/* psteer over a grid of threshold x max_moves x cooldown. */
static void sim_sweep(const struct sim_opts *o)
{
	static const u32 thr[] = { 5000, 10000, 20000, 30000, 50000 };
	/* max_moves: clamp(B / div, lo, hi) (the module's is B/8, 32, 2048), or 32 */
	static const struct { u32 fixed, div, lo, hi; } mm[] = {
		{ 0, 50, 8, ~0u }, { 0, 10, 8, ~0u }, { 0, 4, 8, ~0u },
		{ 0, 1, 8, ~0u }, { 32, 0, 0, 0 }, { 0, 8, 32, 1024 },
		{ 0, 8, 32, 2048 }, { 0, 4, 32, 2048 },
	};
	size_t t, d;
	u32 c;

	printf("sweep: %u rounds; sampler %s (%u per round), HZ %u, noise "
	       "bucket %.3f, usage %.0f ppm\n", o->rounds,
	       o->ms.module ? "module" : "exact", o->ms.samples, o->ms.hz,
	       o->ms.noise_bucket, o->ms.noise_usage);
	printf("%7s %20s %4s %7s %8s %6s %8s %7s %7s %7s %8s %8s %8s\n",
	       "thresh", "max_moves", "cool", "conv<=5", "meanconv", "coarse",
	       "worstmLB", "tail/rd", "removes", "churn%B", "churnmLB",
	       "med ns", "max ns");
	for (t = 0; t < ARRAY_SIZE(thr); t++) {
		for (d = 0; d < ARRAY_SIZE(mm); d++) {
			for (c = 0; c < 3; c++) {
				struct sim_knobs k = {
					.algo = SIM_PSTEER,
					.threshold = thr[t],
					.max_moves = mm[d].fixed,
					.mm_div = mm[d].div,
					.mm_lo = mm[d].lo,
					.mm_hi = mm[d].hi,
					.cooldown = c,
				};

				sim_sweep_one(o, &k);
			}
		}
	}
}

static void sim_usage(FILE *f)
{
	static const char *const text[] = {
		"usage: sim [options]           main table, then the timing lines",
		"       sim --sweep [options]   psteer: threshold x max_moves x cooldown",
		"       sim --trace -s NxB -w WORKLOAD [-a ALGO] [options]",
		"options:",
		"  -r, --rounds N         rounds per scenario (30)",
		"  -t, --threshold PPM    psteer and rss++ dead band (20000)",
		"  -m, --max-moves N|/D[:LO[:HI]]  moves per round: N, or B/D clamped",
		"                         to [LO (8), HI (none)] (/8:32:2048)",
		"  -c, --cooldown N       psteer receiver cool-down, rounds (1)",
		"  -s, --size NxB         only this size (any N, B)",
		"  -w, --workload NAME    only this workload (below)",
		"  -a, --algo NAME        only psteer, static or rss++",
		"      --sampler module|exact  what the balancer sees (module: as",
		"                         src/sampler.c measures, see sim.h); exact:",
		"                         this round's true loads, no noise unless asked",
		"      --samples K        module sampler: samples per round (2, as rebalance_ms / sample_ms)",
		"      --hz HZ            module sampler: usage counted in ticks of HZ (250),",
		"                         sample_ms * HZ / 1000 a sample; 0: exact",
		"      --noise-bucket SD  relative noise on each bucket load, per sample (0.2)",
		"      --noise-usage PPM  absolute noise on each CPU usage, per sample (0)",
		"      --spike-bucket P   module sampler: each sample of a bucket with load",
		"                         times it --spike-size ppm too long with probability P (0)",
		"      --spike-size PPM   the spike's size (100000: 5 ms of a 50 ms sample)",
		"      --table, --timing  only the table, only the timing lines",
		"  -d, --dump             --trace, and every CPU after the last round",
		"  -v, --verbose          --trace, and every move",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(text); i++)
		fprintf(f, "%s\n", text[i]);
	fprintf(f, "workloads:");
	for (i = 0; i < sim_nworkloads; i++)
		fprintf(f, " %s", sim_workloads[i].name);
	fprintf(f, "\n");
}

static u32 sim_u32(const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 0);

	if (!*arg || *end || v > 0xffffffffu)
		sim_die("bad number");
	return v;
}

int main(int argc, char **argv)
{
	enum { O_NOISE_B = 256, O_NOISE_U, O_SAMPLER, O_SAMPLES, O_SWEEP,
	       O_TRACE, O_TABLE, O_TIMING, O_HZ, O_SPIKE_P, O_SPIKE };
	static const struct option lopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "threshold", required_argument, NULL, 't' },
		{ "max-moves", required_argument, NULL, 'm' },
		{ "cooldown", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "workload", required_argument, NULL, 'w' },
		{ "algo", required_argument, NULL, 'a' },
		{ "noise-bucket", required_argument, NULL, O_NOISE_B },
		{ "noise-usage", required_argument, NULL, O_NOISE_U },
		{ "spike-bucket", required_argument, NULL, O_SPIKE_P },
		{ "spike-size", required_argument, NULL, O_SPIKE },
		{ "sampler", required_argument, NULL, O_SAMPLER },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "hz", required_argument, NULL, O_HZ },
		{ "sweep", no_argument, NULL, O_SWEEP },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "table", no_argument, NULL, O_TABLE },
		{ "timing", no_argument, NULL, O_TIMING },
		{ "dump", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct sim_opts o = {
		.psteer = {
			.algo = SIM_PSTEER,
			/* The module's defaults (include/rebalance.h). */
			.threshold = PSTEER_RB_DEFAULT_THRESHOLD *
				     (PSTEER_RB_FULL / 1000),
			.mm_div = PSTEER_RB_MAX_MOVES_DIV,
			.mm_lo = PSTEER_RB_MAX_MOVES_LO,
			.mm_hi = PSTEER_RB_MAX_MOVES_HI,
			.cooldown = PSTEER_RB_COOLDOWN_ROUNDS,
		},
		/* The module's sampler, with the noise it sees. */
		.ms = {
			.module = true,
			.samples = PSTEER_RB_DEFAULT_REBALANCE_MS /
				   PSTEER_RB_DEFAULT_SAMPLE_MS,
			.hz = SIM_DEFAULT_HZ,
			.noise_bucket = SIM_DEFAULT_NOISE_BUCKET,
			.spike = 100000,
		},
		.rounds = 30,
	};
	bool sweep = false, table = true, timing = true, exact = false;
	bool set_hz = false, set_nb = false;
	unsigned int trace = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "r:t:m:c:s:w:a:dvh", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'r':
			o.rounds = sim_u32(optarg);
			if (o.rounds < 2)
				sim_die("at least 2 rounds");
			break;
		case 't':
			o.psteer.threshold = sim_u32(optarg);
			break;
		case 'm':
			if (optarg[0] == '/') {
				struct sim_knobs *k = &o.psteer;
				int n;

				k->max_moves = 0;
				k->mm_lo = 8;
				k->mm_hi = ~0u;
				n = sscanf(optarg + 1, "%u:%u:%u", &k->mm_div,
					   &k->mm_lo, &k->mm_hi);
				if (n < 1 || !k->mm_div || k->mm_lo > k->mm_hi ||
				    !k->mm_lo)
					sim_die("bad max-moves");
			} else {
				o.psteer.max_moves = sim_u32(optarg);
				if (!o.psteer.max_moves)
					sim_die("bad max-moves");
			}
			break;
		case 'c':
			o.psteer.cooldown = sim_u32(optarg);
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &o.one_size.ncpus,
				   &o.one_size.nbuckets) != 2 ||
			    !o.one_size.ncpus || o.one_size.ncpus > 65536 ||
			    !o.one_size.nbuckets)
				sim_die("bad size, want NxB");
			o.size = &o.one_size;
			break;
		case 'w':
			o.w = sim_workload_find(optarg);
			if (!o.w)
				sim_die("unknown workload");
			break;
		case 'a':
			for (o.algo = SIM_PSTEER; o.algo <= SIM_RSSPP; o.algo++)
				if (!strcmp(optarg, sim_algo_names[o.algo]))
					break;
			if (o.algo > SIM_RSSPP)
				sim_die("unknown algo");
			o.algo_set = true;
			break;
		case O_NOISE_B:
			o.ms.noise_bucket = atof(optarg);
			set_nb = true;
			break;
		case O_HZ:
			o.ms.hz = sim_u32(optarg);
			set_hz = true;
			break;
		case O_NOISE_U:
			o.ms.noise_usage = atof(optarg);
			break;
		case O_SPIKE_P:
			o.ms.spike_p = atof(optarg);
			if (!(o.ms.spike_p >= 0 && o.ms.spike_p <= 1))
				sim_die("spike-bucket is a probability, 0..1");
			break;
		case O_SPIKE:
			o.ms.spike = atof(optarg);
			if (!(o.ms.spike >= 0 && o.ms.spike <= 1e7))
				sim_die("bad spike-size");
			break;
		case O_SAMPLES:
			o.ms.samples = sim_u32(optarg);
			if (!o.ms.samples)
				sim_die("at least one sample per round");
			break;
		case O_SAMPLER:
			exact = !strcmp(optarg, "exact");
			if (!exact && strcmp(optarg, "module"))
				sim_die("unknown sampler");
			o.ms.module = !exact;
			break;
		case O_SWEEP:
			sweep = true;
			break;
		case O_TRACE:
			trace |= SIM_TRACE_ROUNDS;
			break;
		case O_TABLE:
			timing = false;
			break;
		case O_TIMING:
			table = false;
			break;
		case 'd':
			trace |= SIM_TRACE_ROUNDS | SIM_TRACE_DUMP;
			break;
		case 'v':
			trace |= SIM_TRACE_ROUNDS | SIM_TRACE_MOVES;
			break;
		case 'h':
			sim_usage(stdout);
			return 0;
		default:
			sim_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		sim_usage(stderr);
		return 2;
	}
	/* The exact sampler sees no noise but what is asked for. */
	if (exact && !set_hz)
		o.ms.hz = 0;
	if (exact && !set_nb)
		o.ms.noise_bucket = 0;
	if (trace) {
		struct sim_knobs k;
		struct sim_result res;

		if (!o.size || !o.w)
			sim_die("--trace needs --size and --workload");
		sim_knobs_for(&o, o.algo_set ? o.algo : SIM_PSTEER, &k);
		printf("trace: %s %ux%u %s, threshold %u, max_moves %u, "
		       "cooldown %u, sampler %s\n", sim_algo_names[k.algo],
		       o.size->ncpus, o.size->nbuckets, o.w->name, k.threshold,
		       sim_max_moves(&k, o.size->nbuckets), k.cooldown,
		       o.ms.module ? "module" : "exact");
		sim_run(o.size, o.w, &k, &o.ms, sim_rounds(&o, o.w), trace,
			&res);
		sim_table_header();
		sim_table_row(o.size, o.w, &k, &res);
		return 0;
	}
	if (sweep) {
		sim_sweep(&o);
		return 0;
	}
	if (table)
		sim_table(&o);
	if (timing)
		sim_timing(&o);
	return 0;
}
