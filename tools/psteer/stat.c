// SPDX-License-Identifier: GPL-2.0
/*
 * psteer stat: per-CPU rates over an interval, like mpstat -P ALL, from
 * two snapshots of /proc/net/psteer/cpus and buckets, and the devices
 * whose RSS table psteer drives (devices); or, with --prometheus, one
 * snapshot in node_exporter's textfile format.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "psteer.h"

struct snap {
	struct ptable cpus, buckets;
	struct ptable devices;	/* nrows 0 when unreadable */
	double t;	/* CLOCK_MONOTONIC seconds */
};

/* The columns stat reads, looked up once per snapshot. */
enum { C_CPU, C_BUCKETS, C_INLINE, C_STEERED, C_DRAINED, C_DROPPED, C_USAGE, C_NCOL };

static const char *const cpu_cols[C_NCOL] = {
	"cpu", "buckets", "inline", "steered", "drained", "dropped", "usage_pct",
};

enum { B_BUCKET, B_CPU, B_PACKETS, B_MOVES, B_LOAD, B_NCOL };

static const char *const bucket_cols[B_NCOL] = {
	"bucket", "cpu", "packets", "moves", "load_ppm",
};

static int snap_take(struct snap *s, int *cc, int *bc)
{
	struct timespec ts;
	int i;

	if (ptable_read("cpus", &s->cpus))
		return -1;
	if (ptable_read("buckets", &s->buckets)) {
		ptable_free(&s->cpus);
		return -1;
	}
	/* The caller's namespace; a module without the file drives none. */
	if (ptable_read("devices", &s->devices))
		memset(&s->devices, 0, sizeof(s->devices));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	for (i = 0; i < C_NCOL; i++) {
		cc[i] = ptable_col(&s->cpus, cpu_cols[i]);
		if (cc[i] < 0)
			goto proto;
	}
	for (i = 0; i < B_NCOL; i++) {
		bc[i] = ptable_col(&s->buckets, bucket_cols[i]);
		if (bc[i] < 0)
			goto proto;
	}
	return 0;
proto:
	ptable_free(&s->cpus);
	ptable_free(&s->buckets);
	ptable_free(&s->devices);
	errno = EPROTO;
	return -1;
}

static void snap_free(struct snap *s)
{
	ptable_free(&s->cpus);
	ptable_free(&s->buckets);
	ptable_free(&s->devices);
}

/*
 * The devices whose table psteer drives (or did, "overridden"), with
 * their table rewrites and entries moved per second over the interval
 * and their fence timeouts and refused writes: a line each, or JSON
 * objects.
 */
static void print_devices(const struct ptable *d0, const struct ptable *d1,
			  double dt, const char *when, bool json)
{
	int name = ptable_col(d1, "dev"), st = ptable_col(d1, "steering");
	int rw = ptable_col(d1, "rewrites"), mv = ptable_col(d1, "moved");
	int ft = ptable_col(d1, "fence_timeouts");
	/* A module older than the column: none shown. */
	int we = ptable_col(d1, "write_errors");
	int name0 = ptable_col(d0, "dev");
	size_t r, r0;
	int k = 0;

	if (json)
		fputs(",\"devices\":[", stdout);
	for (r = 0; name >= 0 && st >= 0 && rw >= 0 && mv >= 0 && ft >= 0 &&
	     r < d1->nrows; r++) {
		const char *dev = ptable_get(d1, r, name);
		const char *how = ptable_get(d1, r, st);
		unsigned long long w0 = 0, m0 = 0;
		double w, m;

		if (!dev || !how || !strcmp(how, "software"))
			continue;
		for (r0 = 0; name0 >= 0 && r0 < d0->nrows; r0++)
			if (!strcmp(ptable_get(d0, r0, name0) ?: "", dev)) {
				w0 = ptable_num(d0, r0, rw);
				m0 = ptable_num(d0, r0, mv);
			}
		w = ptable_num(d1, r, rw) >= w0 ? (ptable_num(d1, r, rw) - w0) / dt : 0;
		m = ptable_num(d1, r, mv) >= m0 ? (ptable_num(d1, r, mv) - m0) / dt : 0;
		if (json)
			printf("%s{\"dev\":\"%s\",\"steering\":\"%s\",\"rewrites_per_s\":%.2f,"
			       "\"entries_moved_per_s\":%.2f,\"fence_timeouts\":%llu,"
			       "\"write_errors\":%llu}",
			       k ? "," : "", dev, how, w, m, ptable_num(d1, r, ft),
			       ptable_num(d1, r, we));
		else
			printf("%-8s %s %s: table rewrites/s %.1f, entries moved/s %.1f, fence timeouts %llu, refused writes %llu\n",
			       when, how, dev, w, m, ptable_num(d1, r, ft),
			       ptable_num(d1, r, we));
		k++;
	}
	if (json)
		putchar(']');
}

/* The row of CPU @cpu in @t, or -1. */
static long cpu_row(const struct ptable *t, int col, long cpu)
{
	size_t r;

	for (r = 0; r < t->nrows; r++)
		if ((long)ptable_num(t, r, col) == cpu)
			return (long)r;
	return -1;
}

struct cpu_rate {
	long cpu;
	double rate[4];	/* inline, steered, drained, dropped per second */
	double usage;
	unsigned long long buckets, in, out;
};

struct bucket_rate {
	long bucket, cpu;
	unsigned long long load;
	double pps;
};

static int by_load(const void *a, const void *b)
{
	const struct bucket_rate *x = a, *y = b;

	if (x->load != y->load)
		return x->load < y->load ? 1 : -1;
	return x->bucket < y->bucket ? -1 : 1;
}

static void print_interval(const struct snap *a, const struct snap *b,
			   const int *cc, const int *bc, const struct opts *o)
{
	const struct ptable *c0 = &a->cpus, *c1 = &b->cpus;
	const struct ptable *b0 = &a->buckets, *b1 = &b->buckets;
	double dt = b->t - a->t, umax = 0, umin = INFINITY, usum = 0, moves = 0;
	size_t n = c1->nrows, r, i, nused = 0, nb = b1->nrows;
	struct cpu_rate *cr = calloc(n ? n : 1, sizeof(*cr));
	struct bucket_rate *br = calloc(nb ? nb : 1, sizeof(*br));
	bool same = b0->nrows == nb;
	char when[16];
	time_t now = time(NULL);

	if (!cr || !br) {
		warnx_("out of memory");
		exit(PSTEER_EXIT_ERROR);
	}
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	for (r = 0; r < n; r++) {
		long cpu = (long)ptable_num(c1, r, cc[C_CPU]);
		long r0 = cpu_row(c0, cc[C_CPU], cpu);

		cr[r].cpu = cpu;
		for (i = 0; i < 4; i++) {
			unsigned long long v1 = ptable_num(c1, r, cc[C_INLINE + i]);
			unsigned long long v0 = r0 < 0 ? v1 :
				ptable_num(c0, (size_t)r0, cc[C_INLINE + i]);

			cr[r].rate[i] = v1 >= v0 ? (v1 - v0) / dt : 0;
		}
		cr[r].usage = strtod(ptable_get(c1, r, cc[C_USAGE]) ?: "0", NULL);
		cr[r].buckets = ptable_num(c1, r, cc[C_BUCKETS]);
		if (cr[r].buckets) {
			nused++;
			usum += cr[r].usage;
			umax = fmax(umax, cr[r].usage);
			umin = fmin(umin, cr[r].usage);
		}
	}
	for (r = 0; r < nb; r++) {
		long to = (long)ptable_num(b1, r, bc[B_CPU]);
		unsigned long long p1 = ptable_num(b1, r, bc[B_PACKETS]);

		br[r].bucket = (long)ptable_num(b1, r, bc[B_BUCKET]);
		br[r].cpu = to;
		br[r].load = ptable_num(b1, r, bc[B_LOAD]);
		if (!same)
			continue;
		br[r].pps = p1 >= ptable_num(b0, r, bc[B_PACKETS]) ?
			(p1 - ptable_num(b0, r, bc[B_PACKETS])) / dt : 0;
		moves += ptable_num(b1, r, bc[B_MOVES]) - ptable_num(b0, r, bc[B_MOVES]);
		if (to != (long)ptable_num(b0, r, bc[B_CPU])) {
			long from = (long)ptable_num(b0, r, bc[B_CPU]);

			for (i = 0; i < n; i++) {
				if (cr[i].cpu == to)
					cr[i].in++;
				if (cr[i].cpu == from)
					cr[i].out++;
			}
		}
	}
	double mean = nused ? usum / nused : 0;
	double maxmean = mean > 0 ? umax / mean : 0;
	double spread = nused && umin > 0 ? (umax - umin) / umin : -1;

	if (o->top)
		qsort(br, nb, sizeof(*br), by_load);
	if (o->json) {
		printf("{\"time\":%ld,\"interval_s\":%.3f,\"cpus\":[", (long)now, dt);
		for (r = 0; r < n; r++)
			printf("%s{\"cpu\":%ld,\"inline_pps\":%.1f,\"steered_pps\":%.1f,"
			       "\"drained_pps\":%.1f,\"dropped_pps\":%.1f,\"usage_pct\":%.1f,"
			       "\"buckets\":%llu,\"moved_in\":%llu,\"moved_out\":%llu}",
			       r ? "," : "", cr[r].cpu, cr[r].rate[0], cr[r].rate[1],
			       cr[r].rate[2], cr[r].rate[3], cr[r].usage, cr[r].buckets,
			       cr[r].in, cr[r].out);
		printf("],\"imbalance\":{\"max_over_mean\":%.3f,\"max_minus_min_over_min\":",
		       maxmean);
		if (spread < 0)
			fputs("null", stdout);
		else
			printf("%.3f", spread);
		printf("},\"moves_per_s\":%.2f", moves / dt);
		print_devices(&a->devices, &b->devices, dt, when, true);
		if (o->top) {
			fputs(",\"top\":[", stdout);
			for (r = 0; r < nb && r < (size_t)o->top; r++)
				printf("%s{\"bucket\":%ld,\"cpu\":%ld,\"load_ppm\":%llu,\"pps\":%.1f}",
				       r ? "," : "", br[r].bucket, br[r].cpu, br[r].load,
				       br[r].pps);
			putchar(']');
		}
		puts("}");
	} else {
		double tot[4] = { 0 };
		unsigned long long tb = 0, tin = 0;

		printf("%-8s %4s %11s %11s %11s %11s %7s %8s %5s %5s\n", when, "CPU",
		       "inline/s", "steered/s", "drained/s", "dropped/s", "usage%",
		       "buckets", "in", "out");
		for (r = 0; r < n; r++) {
			printf("%-8s %4ld %11.1f %11.1f %11.1f %11.1f %7.1f %8llu %5llu %5llu\n",
			       when, cr[r].cpu, cr[r].rate[0], cr[r].rate[1],
			       cr[r].rate[2], cr[r].rate[3], cr[r].usage,
			       cr[r].buckets, cr[r].in, cr[r].out);
			for (i = 0; i < 4; i++)
				tot[i] += cr[r].rate[i];
			tb += cr[r].buckets;
			tin += cr[r].in;
		}
		printf("%-8s %4s %11.1f %11.1f %11.1f %11.1f %7.1f %8llu %5llu %5llu\n",
		       when, "all", tot[0], tot[1], tot[2], tot[3], mean, tb, tin, tin);
		printf("%-8s imbalance: max/mean %.2f, (max-min)/min ", when, maxmean);
		if (spread < 0)
			fputs("-", stdout);
		else
			printf("%.2f", spread);
		printf(", moves/s %.1f\n", moves / dt);
		print_devices(&a->devices, &b->devices, dt, when, false);
		if (o->top) {
			printf("%-8s %6s %4s %9s %11s\n", when, "bucket", "cpu",
			       "load_ppm", "packets/s");
			for (r = 0; r < nb && r < (size_t)o->top; r++)
				printf("%-8s %6ld %4ld %9llu %11.1f\n", when, br[r].bucket,
				       br[r].cpu, br[r].load, br[r].pps);
		}
		putchar('\n');
	}
	fflush(stdout);
	free(cr);
	free(br);
}

/* The devices psteer drives (or did): their table rewrites, as metrics. */
static void print_prometheus_devices(const struct ptable *d)
{
	static const char *const col[4] = {
		"rewrites", "moved", "fence_timeouts", "write_errors",
	};
	static const char *const help[4] = {
		"RSS table rewrites psteer made on a device it drives.",
		"RSS table entries those rewrites moved.",
		"Old queues a rewrite's fence gave up on: not seen idle in time, or the fence ended early.",
		"Table rewrites the device's driver refused.",
	};
	static const char *const metric[4] = {
		"psteer_device_table_rewrites_total",
		"psteer_device_table_entries_moved_total",
		"psteer_device_fence_timeouts_total",
		"psteer_device_table_write_errors_total",
	};
	int name = ptable_col(d, "dev"), st = ptable_col(d, "steering");
	size_t r, i;

	for (i = 0; i < 4 && name >= 0 && st >= 0; i++) {
		int c = ptable_col(d, col[i]);

		if (c < 0)
			continue;
		printf("# HELP %s %s\n# TYPE %s counter\n", metric[i], help[i],
		       metric[i]);
		for (r = 0; r < d->nrows; r++)
			if (strcmp(ptable_get(d, r, st) ?: "software", "software"))
				printf("%s{dev=\"%s\",steering=\"%s\"} %llu\n",
				       metric[i], ptable_get(d, r, name) ?: "",
				       ptable_get(d, r, st), ptable_num(d, r, c));
	}
}

/* One snapshot as node_exporter textfile metrics. */
static void print_prometheus(const struct snap *s, const int *cc, const int *bc)
{
	static const char *const path[4] = { "inline", "steered", "drained", "dropped" };
	const struct ptable *c = &s->cpus, *b = &s->buckets;
	unsigned long long moves = 0;
	size_t r, i;

	puts("# HELP psteer_packets_total Packets by CPU and path (inline, steered, drained, dropped).");
	puts("# TYPE psteer_packets_total counter");
	for (r = 0; r < c->nrows; r++)
		for (i = 0; i < 4; i++)
			printf("psteer_packets_total{cpu=\"%llu\",path=\"%s\"} %llu\n",
			       ptable_num(c, r, cc[C_CPU]), path[i],
			       ptable_num(c, r, cc[C_INLINE + i]));
	puts("# HELP psteer_cpu_usage_ratio Smoothed share of the CPU in use, as psteer's sampler sees it.");
	puts("# TYPE psteer_cpu_usage_ratio gauge");
	for (r = 0; r < c->nrows; r++)
		printf("psteer_cpu_usage_ratio{cpu=\"%llu\"} %.4f\n",
		       ptable_num(c, r, cc[C_CPU]),
		       strtod(ptable_get(c, r, cc[C_USAGE]) ?: "0", NULL) / 100);
	puts("# HELP psteer_cpu_buckets Buckets the CPU owns.");
	puts("# TYPE psteer_cpu_buckets gauge");
	for (r = 0; r < c->nrows; r++)
		printf("psteer_cpu_buckets{cpu=\"%llu\"} %llu\n",
		       ptable_num(c, r, cc[C_CPU]), ptable_num(c, r, cc[C_BUCKETS]));
	for (r = 0; r < b->nrows; r++)
		moves += ptable_num(b, r, bc[B_MOVES]);
	puts("# HELP psteer_bucket_moves_total Buckets moved by the rebalancer since load.");
	puts("# TYPE psteer_bucket_moves_total counter");
	printf("psteer_bucket_moves_total %llu\n", moves);
	print_prometheus_devices(&s->devices);
}

int cmd_stat(int argc, char **argv, const struct opts *o)
{
	unsigned long interval = 1, count = 1, i;
	bool forever = false;
	struct snap a, b;
	int cc[C_NCOL], bc[B_NCOL], ret;

	if (argc > 2) {
		warnx_("stat takes at most INTERVAL and COUNT");
		return PSTEER_EXIT_USAGE;
	}
	if (argc >= 1 && parse_uint(argv[0], 86400, &interval) == -1) {
		warnx_("INTERVAL must be seconds 1..86400, not '%s'", argv[0]);
		return PSTEER_EXIT_USAGE;
	}
	if (argc >= 1 && !interval) {
		warnx_("INTERVAL must be seconds 1..86400, not '%s'", argv[0]);
		return PSTEER_EXIT_USAGE;
	}
	if (argc == 1)
		forever = true;
	if (argc == 2 && (parse_uint(argv[1], 1000000000, &count) || !count)) {
		warnx_("COUNT must be 1..1000000000, not '%s'", argv[1]);
		return PSTEER_EXIT_USAGE;
	}
	if (o->prometheus && argc) {
		warnx_("--prometheus prints one snapshot: no INTERVAL or COUNT");
		return PSTEER_EXIT_USAGE;
	}
	ret = module_check();
	if (ret)
		return ret;
	if (snap_take(&a, cc, bc)) {
		warnx_("cannot read %s: %s", proc_dir, strerror(errno));
		return PSTEER_EXIT_ERROR;
	}
	if (o->prometheus) {
		print_prometheus(&a, cc, bc);
		snap_free(&a);
		return PSTEER_EXIT_OK;
	}
	for (i = 0; forever || i < count; i++) {
		struct timespec ts = { .tv_sec = (time_t)interval };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		if (snap_take(&b, cc, bc)) {
			warnx_("cannot read %s: %s", proc_dir, strerror(errno));
			snap_free(&a);
			return errno == ENOENT ? PSTEER_EXIT_NOMODULE : PSTEER_EXIT_ERROR;
		}
		print_interval(&a, &b, cc, bc, o);
		snap_free(&a);
		a = b;
	}
	snap_free(&a);
	return PSTEER_EXIT_OK;
}
