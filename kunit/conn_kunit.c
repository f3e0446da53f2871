// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the connection table (src/conn.c).
 *
 * Time is a fake clock: every call takes "now" in jiffies from the case,
 * never from the system. Tracking runs with BHs off, as in the data path.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bottom_half.h>
#include <linux/in.h>
#include <net/tcp.h>

#include "conn.h"
#include "table.h"

#define NB	4
/* A hash that falls in bucket @b of NB, with chain bits @low. */
#define HASH(b, low)	((u32)(b) << 30 | (low))
#define NS	4026531840U	/* any namespace number */
/* Its entry caches; not the module's names, which are in use. */
#define CT_NAME	"psteer_kunit_conn"

KUNIT_DEFINE_ACTION_WRAPPER(psteer_conntab_destroy_action,
			    psteer_conntab_destroy, struct psteer_conntab *);
KUNIT_DEFINE_ACTION_WRAPPER(psteer_ctab_destroy_action, psteer_table_destroy,
			    struct psteer_table *);

static struct psteer_conntab *psteer_test_conntab(struct kunit *test, u32 max)
{
	struct psteer_conntab *ct = psteer_conntab_create(NB, max, CT_NAME);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ct);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_conntab_destroy_action,
						  ct));
	return ct;
}

static void psteer_v4(struct psteer_tuple *t, u8 proto, u32 src, u16 sport,
		      u32 dst, u16 dport)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->proto = proto;
	t->src[0] = htonl(src);
	t->dst[0] = htonl(dst);
	t->sport = htons(sport);
	t->dport = htons(dport);
	t->ports = 1;
}

static int psteer_track(struct psteer_conntab *ct, u32 hash,
			const struct psteer_tuple *t, u8 flags, u32 now)
{
	int ret;

	local_bh_disable();
	ret = psteer_conn_track(ct, hash, t, NS, 100, flags, now);
	local_bh_enable();
	return ret;
}

static void psteer_conn_create_lookup(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple a, b, back;
	struct psteer_conn *c;

	psteer_v4(&a, IPPROTO_TCP, 0x0a000001, 40000, 0x0a000002, 80);
	psteer_v4(&b, IPPROTO_TCP, 0x0a000001, 40001, 0x0a000002, 80);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(1, 5), &a, 0, 1000),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(1, 5), &a, 0, 1001),
			PSTEER_CONN_FOUND);
	/* Same chain, other key: a second entry. */
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(1, 5), &b, 0, 1001),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 2);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 1), 2U);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 0), 0U);

	c = list_first_entry(&ct->b[1].lru[PSTEER_CONN_TCP], struct psteer_conn,
			     lru);
	KUNIT_EXPECT_EQ(test, c->packets, 2U);
	KUNIT_EXPECT_EQ(test, c->bytes, 200ULL);
	KUNIT_EXPECT_EQ(test, c->first, 1000U);
	KUNIT_EXPECT_EQ(test, c->last, 1001U);
	psteer_conn_tuple(c, &back);
	KUNIT_EXPECT_EQ(test, memcmp(&back, &a, sizeof(a)), 0);
}

static void psteer_conn_ipv6_key(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple a, b, back;
	struct psteer_conn *c;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.proto = IPPROTO_UDP;
	a.src[0] = htonl(0x20010db8);
	a.src[3] = htonl(1);
	a.dst[0] = htonl(0x20010db8);
	a.dst[3] = htonl(2);
	a.sport = htons(5000);
	a.dport = htons(53);
	a.ports = 1;
	b = a;
	b.dst[3] = htonl(3);	/* differs only in the last word */
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(2, 0), &a, 0, 10),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(2, 0), &b, 0, 10),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(2, 0), &a, 0, 11),
			PSTEER_CONN_FOUND);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count6), 2);
	c = list_last_entry(&ct->b[2].lru[PSTEER_CONN_UDP], struct psteer_conn,
			    lru);
	psteer_conn_tuple(c, &back);
	KUNIT_EXPECT_EQ(test, memcmp(&back, &a, sizeof(a)), 0);
}

/* Both directions, put in canonical order as the hook does: one entry. */
static void psteer_conn_both_directions(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple fwd, rev;

	psteer_v4(&fwd, IPPROTO_TCP, 0x0a000002, 80, 0x0a000001, 40000);
	psteer_v4(&rev, IPPROTO_TCP, 0x0a000001, 40000, 0x0a000002, 80);
	psteer_tuple_canon(&fwd);
	psteer_tuple_canon(&rev);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 9), &fwd, 0, 1),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 9), &rev, 0, 2),
			PSTEER_CONN_FOUND);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 1);
}

/* The same tuple in two namespaces: two entries; a flush takes one. */
static void psteer_conn_namespaces(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple t;

	psteer_v4(&t, IPPROTO_UDP, 1, 1, 2, 2);
	local_bh_disable();
	KUNIT_EXPECT_EQ(test, psteer_conn_track(ct, HASH(0, 0), &t, 1, 10, 0, 5),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_conn_track(ct, HASH(0, 0), &t, 2, 10, 0, 5),
			PSTEER_CONN_CREATED);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, psteer_conn_flush(ct, 1), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 1);
	KUNIT_EXPECT_EQ(test, psteer_conn_flush(ct, 0), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 0);
}

/* Expiry at exactly the timeout, oldest first, per class. */
static void psteer_conn_expire_fake_clock(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple a, b, u;

	ct->timeout[PSTEER_CONN_TCP] = 100;
	ct->timeout[PSTEER_CONN_UDP] = 20;
	psteer_v4(&a, IPPROTO_TCP, 1, 1, 2, 2);
	psteer_v4(&b, IPPROTO_TCP, 1, 3, 2, 2);
	psteer_v4(&u, IPPROTO_UDP, 1, 5, 2, 2);
	psteer_track(ct, HASH(0, 1), &a, 0, 1000);
	psteer_track(ct, HASH(0, 2), &b, 0, 1005);
	psteer_track(ct, HASH(0, 3), &u, 0, 1010);
	/* a seen again: now b is the oldest TCP entry. */
	psteer_track(ct, HASH(0, 1), &a, 0, 1010);

	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 1029), 0U);
	/* The UDP flow goes at 20 idle, while the older TCP ones stay. */
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 1030), 1U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 1104), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 1105), 1U);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(0, 1), &a, 0, 1105),
			PSTEER_CONN_FOUND);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(0, 2), &b, 0, 1105),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 1205), 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 0);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 0), 0U);
}

/*
 * Issue 10, defect 13: expiry and flushes hold a bucket lock, which the
 * owner's packets take, for PSTEER_CONN_BATCH entries at most, however
 * many expire at once: 150 expired entries take three holds.
 */
static void psteer_conn_expire_batches(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 1024);
	struct psteer_tuple t;
	u32 i;

	ct->timeout[PSTEER_CONN_UDP] = 10;
	for (i = 0; i < 150; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, i + 1, 2, 2);
		psteer_track(ct, HASH(0, i), &t, 0, 100);
	}
	KUNIT_ASSERT_EQ(test, psteer_conn_count(ct, 0), 150U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_some(ct, 0, 110,
						      PSTEER_CONN_BATCH, NULL),
			PSTEER_CONN_BATCH);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 110),
			150U - PSTEER_CONN_BATCH);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 0), 0U);
	for (i = 0; i < 150; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, i + 1, 2, 2);
		psteer_track(ct, HASH(0, i), &t, 0, 200);
	}
	KUNIT_EXPECT_EQ(test, psteer_conn_flush(ct, 0), 150U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 0);
}

/*
 * Issue 10, defect 9: reading conns walked every namespace's entries of a
 * bucket under its lock, from the head again for each batch of 32 of the
 * reader's: quadratic, and one hold as long as the bucket. A walk reads
 * each chain once (a chain cut by a full batch is read again), and a hold
 * reads PSTEER_CONN_WALK_SLOTS chains at most.
 */
static void psteer_conn_walk_cost(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 1024);
	struct psteer_conn_cursor cur = {};
	struct psteer_conn_row *rows;
	unsigned long *seen;
	struct psteer_tuple t;
	unsigned int n, k, total = 0, batches = 0;
	u32 i, bucket;

	rows = kunit_kcalloc(test, 32, sizeof(*rows), GFP_KERNEL);
	seen = kunit_kzalloc(test, BITS_TO_LONGS(501) * sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rows);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	local_bh_disable();
	for (i = 0; i < 500; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, i + 1, 2, 2);
		psteer_conn_track(ct, HASH(i % NB, i), &t, 1, 10, 0, 5);
	}
	for (i = 0; i < 3; i++) {
		psteer_v4(&t, IPPROTO_UDP, 3, i + 1, 2, 2);
		psteer_conn_track(ct, HASH(i % NB, i), &t, 2, 10, 0, 5);
	}
	local_bh_enable();
	KUNIT_ASSERT_EQ(test, atomic_read(&ct->count), 503);

	while ((n = psteer_conn_walk(ct, &cur, 1, rows, 32, &bucket))) {
		batches++;
		for (k = 0; k < n; k++) {
			u16 sport = ntohs(rows[k].t.sport);

			KUNIT_EXPECT_EQ(test, rows[k].t.src[0], htonl(1));
			KUNIT_EXPECT_FALSE(test, test_and_set_bit(sport, seen));
		}
		total += n;
	}
	KUNIT_EXPECT_EQ(test, total, 500U);
	KUNIT_EXPECT_EQ(test, bitmap_weight(seen, 501), 500U);
	KUNIT_EXPECT_LE(test, cur.visited, 503ULL + 8 * batches);
	KUNIT_EXPECT_LE(test, cur.max_visited, 8U * PSTEER_CONN_WALK_SLOTS);

	/* The small namespace reads its 3 entries in one walk of the table. */
	memset(&cur, 0, sizeof(cur));
	total = 0;
	while ((n = psteer_conn_walk(ct, &cur, 2, rows, 32, &bucket)))
		total += n;
	KUNIT_EXPECT_EQ(test, total, 3U);
	KUNIT_EXPECT_LE(test, cur.visited, 503ULL);
}

/* The clock wrapping its 32 bits changes nothing. */
static void psteer_conn_expire_wrap(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple t;

	ct->timeout[PSTEER_CONN_UDP] = 50;
	psteer_v4(&t, IPPROTO_UDP, 1, 1, 2, 2);
	psteer_track(ct, HASH(1, 0), &t, 0, 0xffffffe0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 1, 0x10), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 1, 0x12), 1U);
}

/*
 * A packet handled after the timer thread read the clock leaves the
 * entry's last packet ahead of the pass's "now": live, not 2^32 idle.
 */
static void psteer_conn_touched_during_pass(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple t;

	psteer_v4(&t, IPPROTO_TCP, 1, 1, 2, 2);
	psteer_track(ct, HASH(1, 0), &t, 0, 5000);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 1, 4999), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 1), 1U);
}

static void psteer_conn_max_conns(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 3);
	struct psteer_conn_pcpu *pc;
	struct psteer_tuple t;
	u64 untracked = 0;
	int cpu, i;

	for (i = 0; i < 3; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, 100 + i, 2, 2);
		KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(i, i), &t, 0, 1),
				PSTEER_CONN_CREATED);
	}
	psteer_v4(&t, IPPROTO_UDP, 1, 200, 2, 2);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 0), &t, 0, 1),
			PSTEER_CONN_UNTRACKED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 0), &t, 0, 2),
			PSTEER_CONN_UNTRACKED);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 3);
	for_each_possible_cpu(cpu) {
		pc = per_cpu_ptr(ct->pcpu, cpu);
		untracked += pc->untracked;
	}
	KUNIT_EXPECT_EQ(test, untracked, 2ULL);
	/* Known connections still count while the table is full. */
	psteer_v4(&t, IPPROTO_UDP, 1, 100, 2, 2);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(0, 0), &t, 0, 3),
			PSTEER_CONN_FOUND);
	/* Room again after an expiry. */
	ct->timeout[PSTEER_CONN_UDP] = 10;
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 1, 11), 1U);
	psteer_v4(&t, IPPROTO_UDP, 1, 200, 2, 2);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 0), &t, 0, 12),
			PSTEER_CONN_CREATED);
}

/* A FIN or RST: 10 s to live, whatever the TCP timeout; a SYN reopens. */
static void psteer_conn_fin_rst(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	u32 closing = PSTEER_CONN_CLOSING_TIMEOUT * HZ;
	struct psteer_tuple f, r, s;

	psteer_v4(&f, IPPROTO_TCP, 1, 1, 2, 2);
	psteer_v4(&r, IPPROTO_TCP, 1, 3, 2, 2);
	psteer_v4(&s, IPPROTO_TCP, 1, 5, 2, 2);
	psteer_track(ct, HASH(2, 1), &f, TCPHDR_SYN, 0);
	psteer_track(ct, HASH(2, 1), &f, TCPHDR_ACK | TCPHDR_FIN, 1);
	psteer_track(ct, HASH(2, 2), &r, TCPHDR_RST, 1);
	psteer_track(ct, HASH(2, 3), &s, TCPHDR_ACK | TCPHDR_FIN, 1);
	psteer_track(ct, HASH(2, 3), &s, TCPHDR_SYN, 2);
	KUNIT_EXPECT_EQ(test, ct->timeout[PSTEER_CONN_TCP], 300U * HZ);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 2, closing), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 2, 1 + closing),
			2U);
	/* The reopened one is an open TCP connection again. */
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 2), 1U);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 2, 2 + 300 * HZ),
			1U);
}

/* A protocol without ports: keyed by addresses, "other" timeout. */
static void psteer_conn_other_proto(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple t;

	psteer_v4(&t, IPPROTO_ICMP, 1, 0, 2, 0);
	t.ports = 0;
	ct->timeout[PSTEER_CONN_OTHER] = 7;
	psteer_track(ct, HASH(0, 0), &t, 0, 0);
	KUNIT_EXPECT_EQ(test, list_empty(&ct->b[0].lru[PSTEER_CONN_OTHER]),
			false);
	KUNIT_EXPECT_EQ(test, psteer_conn_expire_bucket(ct, 0, 7), 1U);
}

static void psteer_conn_nop_deliver(struct psteer_table *tbl,
				    struct sk_buff *skb)
{
	kfree_skb(skb);
}

static void psteer_conn_nop_kick(struct psteer_table *tbl, int cpu)
{
}

static const struct psteer_table_ops psteer_conn_nop_ops = {
	.deliver	= psteer_conn_nop_deliver,
	.kick		= psteer_conn_nop_kick,
};

/*
 * A table of NB buckets over CPUs @a and @b, dealt round-robin: @a owns
 * buckets 0 and 2, @b 1 and 3.
 */
static struct psteer_table *psteer_test_pair_table(struct kunit *test, int a,
						   int b)
{
	struct psteer_table *tbl;
	cpumask_var_t mask;

	KUNIT_ASSERT_LT(test, b, nr_cpu_ids);
	KUNIT_ASSERT_TRUE(test, zalloc_cpumask_var(&mask, GFP_KERNEL));
	cpumask_set_cpu(a, mask);
	cpumask_set_cpu(b, mask);
	tbl = psteer_table_create(NB, mask, 16, &psteer_conn_nop_ops);
	free_cpumask_var(mask);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tbl);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test,
						  psteer_ctab_destroy_action,
						  tbl));
	return tbl;
}

/*
 * A pass tells its timer thread when to wake (src/timer.c): in how many
 * jiffies the first entry it left expires, over every class list of
 * every bucket its CPU owns, and PSTEER_CONN_NONE_LEFT when it left none.
 * Entries of buckets another CPU owns do not count.
 */
static void psteer_conn_pass_next(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	int a = cpumask_first(cpu_possible_mask);
	int b = cpumask_next(a, cpu_possible_mask);
	struct psteer_table *tbl = psteer_test_pair_table(test, a, b);
	struct psteer_tuple t;
	u32 next = 0;

	ct->timeout[PSTEER_CONN_TCP] = 300;
	ct->timeout[PSTEER_CONN_UDP] = 30;
	/* Nothing anywhere. */
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 1000, &next), 0U);
	KUNIT_EXPECT_EQ(test, next, PSTEER_CONN_NONE_LEFT);
	/* a owns buckets 0 and 2: TCP seen at 1000 in 0, UDP at 990 in 2. */
	psteer_v4(&t, IPPROTO_TCP, 1, 10, 2, 2);
	psteer_track(ct, HASH(0, 1), &t, 0, 1000);
	psteer_v4(&t, IPPROTO_UDP, 1, 11, 2, 2);
	psteer_track(ct, HASH(2, 1), &t, 0, 990);
	/* b's bucket 1: UDP seen at 985, expiring first, not a's to see. */
	psteer_v4(&t, IPPROTO_UDP, 1, 12, 2, 2);
	psteer_track(ct, HASH(1, 1), &t, 0, 985);
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 1000, &next), 0U);
	KUNIT_EXPECT_EQ(test, next, 20U);	/* 990 + 30 - 1000 */
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, b, 1000, &next), 0U);
	KUNIT_EXPECT_EQ(test, next, 15U);
	/* The UDP entry expires at 1020; the TCP one is next, at 1300. */
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 1020, &next), 1U);
	KUNIT_EXPECT_EQ(test, next, 280U);
	/* A packet seen after the pass read the clock is later, not sooner. */
	psteer_v4(&t, IPPROTO_TCP, 1, 10, 2, 2);
	psteer_track(ct, HASH(0, 1), &t, 0, 1100);
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 1050, &next), 0U);
	KUNIT_EXPECT_EQ(test, next, 350U);
}

/*
 * A timer pass walks only the buckets its CPU owns; when a bucket moves,
 * its connections are the new owner's to expire.
 */
static void psteer_conn_pass_follows_owner(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	int a = cpumask_first(cpu_possible_mask);
	int b = cpumask_next(a, cpu_possible_mask);
	struct psteer_table *tbl = psteer_test_pair_table(test, a, b);
	struct psteer_tuple t;
	u32 i, next;

	/* Round-robin: a owns buckets 0 and 2, b owns 1 and 3. */
	for (i = 0; i < NB; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, 100 + i, 2, 2);
		psteer_track(ct, HASH(i, 0), &t, 0, 0);
		KUNIT_EXPECT_EQ(test, tbl->buckets[i].cpu, i % 2 ? b : a);
	}
	ct->timeout[PSTEER_CONN_UDP] = 10;
	psteer_table_set_owner(tbl, 2, b);
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 5, &next), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, a, 10, &next), 1U);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 0), 0U);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 2), 1U);
	KUNIT_EXPECT_EQ(test, psteer_conn_pass(ct, tbl, b, 10, &next), 3U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 0);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(ct->pcpu, a)->expired, 1ULL);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(ct->pcpu, b)->expired, 3ULL);
	/* The owner bitmaps follow set_owner(). */
	KUNIT_EXPECT_TRUE(test, test_bit(2, per_cpu_ptr(tbl->pcpu, b)->owned));
	KUNIT_EXPECT_FALSE(test, test_bit(2, per_cpu_ptr(tbl->pcpu, a)->owned));
}

static void psteer_conntab_create_rejects(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(psteer_conntab_create(0, 16, CT_NAME)),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(psteer_conntab_create(NB, PSTEER_MAX_CONNS + 1, CT_NAME)),
			(long)-EINVAL);
}

/*
 * A chain holds at most PSTEER_CONN_CHAIN_MIN entries (or four times the
 * mean chain at max_conns, if that is more): flows that share one whole
 * hash, which anyone can make with an unkeyed one (a NIC's Toeplitz
 * hash, of a key often public), cost a bounded walk per packet. Past it
 * they pass untracked, as past max_conns.
 */
static void psteer_conn_chain_capped(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 1024);
	struct psteer_tuple t;
	u32 i, found = 0;

	for (i = 0; i < 64; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, 1000 + i, 2, 2);
		psteer_track(ct, HASH(0, 7), &t, 0, 1);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 16);
	/* The first ones are still found, the later ones still untracked. */
	for (i = 0; i < 64; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, 1000 + i, 2, 2);
		found += psteer_track(ct, HASH(0, 7), &t, 0, 2) ==
			 PSTEER_CONN_FOUND;
	}
	KUNIT_EXPECT_EQ(test, found, 16U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 16);
	KUNIT_EXPECT_EQ(test, psteer_conn_flush(ct, 0), 16U);
}

/*
 * A NIC's hash picks the bucket by its low bits (src/nic.c): within a
 * bucket those are all alike, and the chain comes from all of its bits.
 */
static void psteer_conn_chain_all_bits(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 1024);
	struct psteer_tuple t;
	u32 i, used = 0;

	for (i = 0; i < 64; i++) {
		psteer_v4(&t, IPPROTO_UDP, 1, 1000 + i, 2, 2);
		local_bh_disable();
		psteer_conn_track_in(ct, 0, i << 25 | 0x55, &t, NS, 100, 0, 1);
		local_bh_enable();
	}
	for (i = 0; i < (1U << ct->slot_bits); i++)
		used += !!ct->slots[i];
	KUNIT_EXPECT_EQ(test, ct->slot_bits, 8U);
	KUNIT_EXPECT_GT(test, used, 32U);
	KUNIT_EXPECT_EQ(test, atomic_read(&ct->count), 64);
	KUNIT_EXPECT_EQ(test, psteer_conn_flush(ct, 0), 64U);
}

/* Chains are sized for max_conns: about one entry per chain. */
static void psteer_conntab_chains(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 1000);

	KUNIT_EXPECT_EQ(test, ct->slot_bits, 8U);	/* 250 -> 256 */
	KUNIT_EXPECT_EQ(test, sizeof(struct psteer_conn) + 8, 64UL);
}

/*
 * A flow whose ports are both 0 (a port-0 datagram) and a portless one
 * (a fragment) between the same addresses are two keys, and each entry
 * gives its own tuple back, "has ports" bit included: /proc shows the
 * hash it was steered by.
 */
static void psteer_conn_ports_zero(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple dgram, frag, back;
	struct psteer_conn *c;
	int seen = 0;

	psteer_v4(&dgram, IPPROTO_UDP, 0x0a000001, 0, 0x0a000002, 0);
	frag = dgram;
	frag.ports = 0;
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 7), &dgram, 0, 10),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 7), &frag, 0, 10),
			PSTEER_CONN_CREATED);
	KUNIT_EXPECT_EQ(test, psteer_track(ct, HASH(3, 7), &dgram, 0, 11),
			PSTEER_CONN_FOUND);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 3), 2U);
	list_for_each_entry(c, &ct->b[3].lru[PSTEER_CONN_UDP], lru) {
		psteer_conn_tuple(c, &back);
		if (!memcmp(&back, &dgram, sizeof(back)))
			seen |= 1;
		if (!memcmp(&back, &frag, sizeof(back)))
			seen |= 2;
	}
	KUNIT_EXPECT_EQ(test, seen, 3);
}

/*
 * A driven NIC's packet (src/nic.c) goes to the bucket the NIC's hash
 * picked: its connection is tracked there, found there again, and its
 * own hash's bucket stays empty.
 */
static void psteer_conn_track_in_bucket(struct kunit *test)
{
	struct psteer_conntab *ct = psteer_test_conntab(test, 16);
	struct psteer_tuple t;
	int ret;

	psteer_v4(&t, IPPROTO_UDP, 0x0a000001, 5000, 0x0a000002, 7000);
	local_bh_disable();
	ret = psteer_conn_track_in(ct, 2, HASH(0, 9), &t, NS, 100, 0, 10);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, PSTEER_CONN_CREATED);
	local_bh_disable();
	ret = psteer_conn_track_in(ct, 2, HASH(0, 9), &t, NS, 100, 0, 11);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, ret, PSTEER_CONN_FOUND);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 2), 1U);
	KUNIT_EXPECT_EQ(test, psteer_conn_count(ct, 0), 0U);
	KUNIT_EXPECT_EQ(test, list_first_entry(&ct->b[2].lru[PSTEER_CONN_UDP],
					       struct psteer_conn, lru)->packets,
			2U);
}

static struct kunit_case psteer_conn_cases[] = {
	KUNIT_CASE(psteer_conn_create_lookup),
	KUNIT_CASE(psteer_conn_ipv6_key),
	KUNIT_CASE(psteer_conn_both_directions),
	KUNIT_CASE(psteer_conn_namespaces),
	KUNIT_CASE(psteer_conn_expire_fake_clock),
	KUNIT_CASE(psteer_conn_expire_batches),
	KUNIT_CASE(psteer_conn_walk_cost),
	KUNIT_CASE(psteer_conn_expire_wrap),
	KUNIT_CASE(psteer_conn_touched_during_pass),
	KUNIT_CASE(psteer_conn_max_conns),
	KUNIT_CASE(psteer_conn_fin_rst),
	KUNIT_CASE(psteer_conn_other_proto),
	KUNIT_CASE(psteer_conn_pass_follows_owner),
	KUNIT_CASE(psteer_conn_pass_next),
	KUNIT_CASE(psteer_conntab_create_rejects),
	KUNIT_CASE(psteer_conntab_chains),
	KUNIT_CASE(psteer_conn_chain_capped),
	KUNIT_CASE(psteer_conn_chain_all_bits),
	KUNIT_CASE(psteer_conn_ports_zero),
	KUNIT_CASE(psteer_conn_track_in_bucket),
	{}
};

static struct kunit_suite psteer_conn_suite = {
	.name = "psteer_conn",
	.test_cases = psteer_conn_cases,
};

kunit_test_suite(psteer_conn_suite);
