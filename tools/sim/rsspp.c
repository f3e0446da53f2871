// SPDX-License-Identifier: GPL-2.0
/*
 * A baseline for the simulator: the greedy balancer of RSS++,
 *
 *   T. Barbette, G. P. Katsikas, G. Q. Maguire Jr., D. Kostic,
 *   "RSS++: load and state-aware receive side scaling", CoNEXT 2019,
 *
 * as the paper's design section describes the step that rebalances the
 * indirection table (where the exact minimum-imbalance problem is given
 * up for a greedy heuristic, the solver being too slow for a control
 * loop): from each core's load and the mean, the cores above the mean by
 * more than a threshold are overloaded, those below it underloaded; the
 * overloaded are taken by decreasing load, the underloaded by increasing
 * load, and the bucket moved is the one of the most overloaded core whose
 * load is closest to min(overload of that core, underload of the least
 * loaded core); the loads are updated and the step repeats. Written from
 * that description, not from the RSS++ sources.
 *
 * Simplified here: the number of cores is fixed (RSS++ also adds and
 * removes cores); bucket loads are given, not derived from per-bucket
 * packet counts and the core's load; no flow state migrates (the
 * "state-aware" part); the moves per round are capped by max_moves like
 * psteer's; a bucket moves at most once a round. A move is taken only if
 * it leaves the source closer to the mean than it was (0 < load <
 * 2 * want): each move lowers the sum of the distances to the mean, so a
 * round ends.
 */
#include <stdlib.h>

#include "sim.h"

#define RSSPP_NONE	0xffffffffu

struct rsspp {
	u32 ncpus;
	u32 nbuckets;
	s64 *load;	/* per CPU, updated by the round's own moves */
	u32 *head;	/* per CPU, its buckets */
	u32 *next;	/* per bucket */
	bool *done;	/* per CPU: nothing of it fits any more */
};

struct rsspp *rsspp_new(u32 ncpus, u32 nbuckets)
{
	struct rsspp *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->ncpus = ncpus;
	rs->nbuckets = nbuckets;
	rs->load = calloc(ncpus, sizeof(*rs->load));
	rs->head = calloc(ncpus, sizeof(*rs->head));
	rs->next = calloc(nbuckets, sizeof(*rs->next));
	rs->done = calloc(ncpus, sizeof(*rs->done));
	if (!rs->load || !rs->head || !rs->next || !rs->done) {
		rsspp_free(rs);
		return NULL;
	}
	return rs;
}

void rsspp_free(struct rsspp *rs)
{
	if (!rs)
		return;
	free(rs->load);
	free(rs->head);
	free(rs->next);
	free(rs->done);
	free(rs);
}

/* The bucket of @cpu whose load is closest to @want, or NONE. */
static u32 rsspp_closest(const struct rsspp *rs, const u32 *load, u32 cpu,
			 s64 want)
{
	u32 i, best = RSSPP_NONE;
	s64 bestd = 0;

	for (i = rs->head[cpu]; i != RSSPP_NONE; i = rs->next[i]) {
		s64 d = llabs((s64)load[i] - want);

		if (!load[i] || load[i] >= 2 * want)
			continue;
		if (best == RSSPP_NONE || d < bestd) {
			best = i;
			bestd = d;
		}
	}
	return best;
}

static void rsspp_unlink(struct rsspp *rs, u32 cpu, u32 bucket)
{
	u32 *p = &rs->head[cpu];

	while (*p != bucket)
		p = &rs->next[*p];
	*p = rs->next[bucket];
}

u32 rsspp_rebalance(struct rsspp *rs, const struct rsspp_config *cfg,
		    const u32 *usage, const u32 *load, u16 *owner,
		    struct psteer_rb_move *moves)
{
	u32 i, nmoves = 0;
	s64 sum = 0, mean;

	for (i = 0; i < rs->ncpus; i++) {
		rs->load[i] = usage[i];
		rs->head[i] = RSSPP_NONE;
		rs->done[i] = false;
		sum += usage[i];
	}
	mean = sum / rs->ncpus;
	for (i = rs->nbuckets; i-- > 0; ) {
		rs->next[i] = rs->head[owner[i]];
		rs->head[owner[i]] = i;
	}
	while (nmoves < cfg->max_moves) {
		u32 src = RSSPP_NONE, dst = RSSPP_NONE, b;
		s64 want;

		/* Head of each sorted list: most overloaded, least loaded. */
		for (i = 0; i < rs->ncpus; i++) {
			if (!rs->done[i] &&
			    rs->load[i] > mean + (s64)cfg->threshold &&
			    (src == RSSPP_NONE || rs->load[i] > rs->load[src]))
				src = i;
			if (rs->load[i] < mean &&
			    (dst == RSSPP_NONE || rs->load[i] < rs->load[dst]))
				dst = i;
		}
		if (src == RSSPP_NONE || dst == RSSPP_NONE)
			break;
		want = rs->load[src] - mean;
		if (mean - rs->load[dst] < want)
			want = mean - rs->load[dst];
		b = rsspp_closest(rs, load, src, want);
		if (b == RSSPP_NONE) {
			rs->done[src] = true;
			continue;
		}
		moves[nmoves].bucket = b;
		moves[nmoves].from = src;
		moves[nmoves].to = dst;
		moves[nmoves].load = load[b];
		nmoves++;
		rs->load[src] -= load[b];
		rs->load[dst] += load[b];
		/* Off every list: it moves at most once a round. */
		rsspp_unlink(rs, src, b);
		owner[b] = dst;
	}
	return nmoves;
}
