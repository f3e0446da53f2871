/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit helpers shared by the table and queue suites (test_table.c): a
 * private table whose ops record what the live table would deliver and
 * whom it would kick.
 */
#ifndef _PSTEER_TEST_TABLE_H
#define _PSTEER_TEST_TABLE_H

#include <kunit/test.h>
#include <linux/skbuff.h>

#include "table.h"

/**
 * struct psteer_rec - what the test table's ops saw in the current case
 * @delivered: packets delivered, in order; purged after each case
 * @kicks: kicks per CPU
 */
struct psteer_rec {
	struct sk_buff_head delivered;
	unsigned int kicks[NR_CPUS];
};

/* KUnit runs one case at a time. */
extern struct psteer_rec psteer_rec;
extern const struct psteer_table_ops psteer_rec_ops;
/* Owner CPUs used by the cases: two distinct possible CPUs. */
extern int psteer_cpu_a, psteer_cpu_b;

int psteer_test_table_init(struct kunit *test);
struct psteer_table *psteer_test_table(struct kunit *test, u32 nbuckets,
				       u32 queue_len);
int psteer_put_len(struct kunit *test, struct psteer_table *tbl,
		   struct psteer_bucket *b, u32 first, u32 n, u32 len);
int psteer_put(struct kunit *test, struct psteer_table *tbl,
	       struct psteer_bucket *b, u32 first, u32 n);
int psteer_drain_bh(struct psteer_table *tbl, int cpu, int budget);
void psteer_expect_in_order(struct kunit *test, u32 n);

#endif /* _PSTEER_TEST_TABLE_H */
