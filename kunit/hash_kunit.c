// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the hash (src/hash.c) and the bucket index.
 *
 * The Toeplitz vectors are those of Microsoft's "Verifying the RSS Hash
 * Calculation", with its key (psteer_default_rss_key).
 */

#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/socket.h>

#include "nic.h"
#include "table.h"
#include "tuple.h"

struct psteer_rss_vector {
	const char *desc;
	int family;
	const char *src;
	const char *dst;
	u16 sport;
	u16 dport;
	u32 hash_ip;
	u32 hash_ports;
};

static const struct psteer_rss_vector psteer_rss_vectors[] = {
	{ "v4 66.9.149.187", AF_INET, "66.9.149.187", "161.142.100.80",
	  2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ "v4 199.92.111.2", AF_INET, "199.92.111.2", "65.69.140.83",
	  14230, 4739, 0xd718262a, 0xc626b0ea },
	{ "v4 24.19.198.95", AF_INET, "24.19.198.95", "12.22.207.184",
	  12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ "v4 38.27.205.30", AF_INET, "38.27.205.30", "209.142.163.6",
	  48228, 2217, 0x82989176, 0xafc7327f },
	{ "v4 153.39.163.191", AF_INET, "153.39.163.191", "202.188.127.2",
	  44251, 1303, 0x5d1809c5, 0x10e828a2 },
	{ "v6 3ffe:2501:200:1fff::7", AF_INET6, "3ffe:2501:200:1fff::7",
	  "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d },
	{ "v6 3ffe:501:8::260:97ff:fe40:efab", AF_INET6,
	  "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739,
	  0x0f0c461c, 0xdde51bbf },
	{ "v6 3ffe:1900:4545:3:200:f8ff:fe21:67cf", AF_INET6,
	  "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf",
	  44251, 38024, 0x4b61e985, 0x02d1feef },
};

KUNIT_ARRAY_PARAM_DESC(psteer_rss, psteer_rss_vectors, desc);

static void psteer_vector_tuple(struct kunit *test,
				const struct psteer_rss_vector *v,
				struct psteer_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->family = v->family;
	if (v->family == AF_INET) {
		KUNIT_ASSERT_TRUE(test, in4_pton(v->src, -1, (u8 *)t->src, -1,
						 NULL));
		KUNIT_ASSERT_TRUE(test, in4_pton(v->dst, -1, (u8 *)t->dst, -1,
						 NULL));
	} else {
		KUNIT_ASSERT_TRUE(test, in6_pton(v->src, -1, (u8 *)t->src, -1,
						 NULL));
		KUNIT_ASSERT_TRUE(test, in6_pton(v->dst, -1, (u8 *)t->dst, -1,
						 NULL));
	}
	t->sport = htons(v->sport);
	t->dport = htons(v->dport);
}

/* @key's Toeplitz table, freed with the test. */
static const struct psteer_toeplitz_table *
psteer_test_toeplitz_table(struct kunit *test, const u8 *key)
{
	struct psteer_toeplitz_table *tt = kunit_kzalloc(test, sizeof(*tt),
							 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tt);
	psteer_toeplitz_table_init(tt, key);
	return tt;
}

static struct psteer_hash_cfg psteer_rss_cfg(bool symmetric)
{
	struct psteer_hash_cfg cfg = {
		.alg = PSTEER_HASH_TOEPLITZ,
		.symmetric = symmetric,
	};

	memcpy(cfg.rss_key, psteer_default_rss_key, PSTEER_RSS_KEY_LEN);
	return cfg;
}

/* The published hash over addresses only (fragments, other protocols). */
static void psteer_toeplitz_addresses_only(struct kunit *test)
{
	const struct psteer_rss_vector *v = test->param_value;
	struct psteer_hash_cfg cfg = psteer_rss_cfg(false);
	struct psteer_tuple t;

	psteer_vector_tuple(test, v, &t);
	t.ports = 0;
	t.sport = 0;
	t.dport = 0;
	KUNIT_EXPECT_EQ(test, psteer_hash_tuple(&cfg, &t), v->hash_ip);
	cfg.table = psteer_test_toeplitz_table(test, cfg.rss_key);
	KUNIT_EXPECT_EQ(test, psteer_hash_tuple(&cfg, &t), v->hash_ip);
}

/* The published hash over addresses and ports (TCP/UDP). */
static void psteer_toeplitz_with_ports(struct kunit *test)
{
	const struct psteer_rss_vector *v = test->param_value;
	struct psteer_hash_cfg cfg = psteer_rss_cfg(false);
	struct psteer_tuple t;

	psteer_vector_tuple(test, v, &t);
	t.ports = 1;
	KUNIT_EXPECT_EQ(test, psteer_hash_tuple(&cfg, &t), v->hash_ports);
	cfg.table = psteer_test_toeplitz_table(test, cfg.rss_key);
	KUNIT_EXPECT_EQ(test, psteer_hash_tuple(&cfg, &t), v->hash_ports);
}

/*
 * The table gives psteer_toeplitz()'s value for random keys and inputs of
 * every length up to PSTEER_RSS_INPUT_MAX.
 */
static void psteer_toeplitz_table_matches(struct kunit *test)
{
	u8 key[PSTEER_RSS_KEY_LEN], in[PSTEER_RSS_INPUT_MAX];
	const struct psteer_toeplitz_table *tt;
	unsigned int k, len;

	for (k = 0; k < 4; k++) {
		get_random_bytes(key, sizeof(key));
		tt = psteer_test_toeplitz_table(test, key);
		for (len = 0; len <= PSTEER_RSS_INPUT_MAX; len++) {
			get_random_bytes(in, sizeof(in));
			KUNIT_EXPECT_EQ(test, psteer_toeplitz_fast(tt, in, len),
					psteer_toeplitz(key, sizeof(key), in,
							len));
		}
	}
}

/* Swaps source and destination, as the reply direction would carry. */
static void psteer_reverse(struct psteer_tuple *t)
{
	struct psteer_tuple r = *t;

	memcpy(r.src, t->dst, sizeof(r.src));
	memcpy(r.dst, t->src, sizeof(r.dst));
	r.sport = t->dport;
	r.dport = t->sport;
	*t = r;
}

/* Symmetric Toeplitz: both directions of every vector hash alike. */
static void psteer_toeplitz_symmetric(struct kunit *test)
{
	const struct psteer_rss_vector *v = test->param_value;
	struct psteer_hash_cfg sym = psteer_rss_cfg(true);
	struct psteer_hash_cfg plain = psteer_rss_cfg(false);
	struct psteer_tuple t, r;

	psteer_vector_tuple(test, v, &t);
	t.ports = 1;
	r = t;
	psteer_reverse(&r);
	KUNIT_EXPECT_EQ(test, psteer_hash_tuple(&sym, &t),
			psteer_hash_tuple(&sym, &r));
	/* The MS key is not symmetric: without ordering they differ. */
	KUNIT_EXPECT_NE(test, psteer_hash_tuple(&plain, &t),
			psteer_hash_tuple(&plain, &r));
}

static void psteer_random_tuple(struct psteer_tuple *t, int family)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	get_random_bytes(t->src, family == AF_INET ? 4 : sizeof(t->src));
	get_random_bytes(t->dst, family == AF_INET ? 4 : sizeof(t->dst));
	t->sport = (__force __be16)get_random_u16();
	t->dport = (__force __be16)get_random_u16();
	t->proto = IPPROTO_TCP;
	t->ports = 1;
}

/* Symmetric siphash: both directions of random connections hash alike. */
static void psteer_siphash_symmetric(struct kunit *test)
{
	struct psteer_hash_cfg cfg = { .alg = PSTEER_HASH_SIPHASH,
				       .symmetric = true };
	struct psteer_tuple t, r;
	int i;

	get_random_bytes(&cfg.sipkey, sizeof(cfg.sipkey));
	for (i = 0; i < 1000; i++) {
		psteer_random_tuple(&t, i & 1 ? AF_INET6 : AF_INET);
		r = t;
		psteer_reverse(&r);
		KUNIT_ASSERT_EQ(test, psteer_hash_tuple(&cfg, &t),
				psteer_hash_tuple(&cfg, &r));
	}
}

/* Equal addresses: the ports alone decide the order. */
static void psteer_canon_equal_addresses(struct kunit *test)
{
	struct psteer_tuple t, r;

	psteer_random_tuple(&t, AF_INET);
	memcpy(t.dst, t.src, sizeof(t.dst));
	t.sport = htons(5201);
	t.dport = htons(40000);
	r = t;
	psteer_reverse(&r);
	psteer_tuple_canon(&t);
	psteer_tuple_canon(&r);
	KUNIT_EXPECT_MEMEQ(test, &t, &r, sizeof(t));
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), 5201);
}

/*
 * The IPv4 short cuts give what the general forms give: canonical order as
 * memcmp() of the addresses then the ports decide it, and a siphash that
 * changes with every field (addresses, ports, protocol, ports flag).
 */
static void psteer_ipv4_short_cuts(struct kunit *test)
{
	siphash_key_t key;
	struct psteer_tuple t, c;
	u32 h;
	int i, cmp;

	get_random_bytes(&key, sizeof(key));
	for (i = 0; i < 1000; i++) {
		psteer_random_tuple(&t, AF_INET);
		if (i & 1)	/* Equal high bytes: the low ones decide. */
			memcpy(t.dst, t.src, 3);
		c = t;
		cmp = memcmp(t.src, t.dst, sizeof(t.src));
		KUNIT_ASSERT_EQ(test, psteer_tuple_canon(&c),
				cmp > 0 || (cmp == 0 &&
					    ntohs(t.sport) > ntohs(t.dport)));

		h = psteer_siphash_tuple(&t, &key);
		c = t;
		c.src[0] ^= htonl(1);
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
		c = t;
		c.dst[0] ^= htonl(1);
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
		c = t;
		c.sport ^= htons(1);
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
		c = t;
		c.dport ^= htons(1);
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
		c = t;
		c.proto = IPPROTO_UDP;
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
		c = t;
		c.ports = 0;
		KUNIT_EXPECT_NE(test, h, psteer_siphash_tuple(&c, &key));
	}
}

/* Without symmetry siphash tells the directions apart. */
static void psteer_siphash_asymmetric(struct kunit *test)
{
	struct psteer_hash_cfg cfg = { .alg = PSTEER_HASH_SIPHASH };
	struct psteer_tuple t, r;
	int same = 0, i;

	get_random_bytes(&cfg.sipkey, sizeof(cfg.sipkey));
	for (i = 0; i < 1000; i++) {
		psteer_random_tuple(&t, AF_INET);
		r = t;
		psteer_reverse(&r);
		same += psteer_hash_tuple(&cfg, &t) ==
			psteer_hash_tuple(&cfg, &r);
	}
	KUNIT_EXPECT_LT(test, same, 3);
}

/* Every nbuckets from 1 to 65536 maps the extreme hashes in range. */
static void psteer_bucket_index_range(struct kunit *test)
{
	static const u32 hashes[] = { 0, 1, 0x7fffffff, 0x80000000,
				      0xfffffffe, 0xffffffff };
	u32 n, i;

	for (n = 1; n <= PSTEER_MAX_BUCKETS; n++) {
		for (i = 0; i < ARRAY_SIZE(hashes); i++)
			KUNIT_ASSERT_LT(test, psteer_bucket_index(hashes[i], n),
					n);
		KUNIT_ASSERT_LT(test, psteer_bucket_index(get_random_u32(), n),
				n);
	}
	/* The top bucket is reachable, the spread is by the high bits. */
	KUNIT_EXPECT_EQ(test, psteer_bucket_index(0xffffffff, 256), 255);
	KUNIT_EXPECT_EQ(test, psteer_bucket_index(0x01000000, 256), 1);
}

/*
 * psteer_toeplitz() on raw input bytes, as RSS feeds it (source address,
 * destination address, source port, destination port, network order):
 * the first published vector, and the zero input.
 */
static void psteer_toeplitz_raw_bytes(struct kunit *test)
{
	static const u8 in[12] = {
		66, 9, 149, 187, 161, 142, 100, 80,	/* addresses */
		0x0a, 0xea, 0x06, 0xe6,			/* 2794, 1766 */
	};
	const u8 *key = psteer_default_rss_key;

	KUNIT_EXPECT_EQ(test, psteer_toeplitz(key, PSTEER_RSS_KEY_LEN, in, 8),
			0x323e8fc2);
	KUNIT_EXPECT_EQ(test, psteer_toeplitz(key, PSTEER_RSS_KEY_LEN, in, 12),
			0x51ccc178);
	KUNIT_EXPECT_EQ(test, psteer_toeplitz(key, PSTEER_RSS_KEY_LEN, in, 0),
			0);
}

static void psteer_hw_free_counter(void *p)
{
	struct psteer_hw *hw = p;

	free_percpu(hw->nic_hashes);
}

/*
 * A driven NIC's bucket (include/nic.h): the hash its driver reported in
 * skb->hash as it is, counted; with none, or one the stack computed
 * (sw_hash), Toeplitz with the device's key over the tuple, as the NIC
 * computes it (the published vector); entry hash mod entries, bucket
 * entry mod nbuckets.
 */
static void psteer_hw_hash_reported(struct kunit *test)
{
	const struct psteer_rss_vector *v = &psteer_rss_vectors[0];
	struct psteer_hw *hw = kunit_kzalloc(test, sizeof(*hw), GFP_KERNEL);
	struct psteer_tuple t;
	struct sk_buff *skb;

	KUNIT_ASSERT_NOT_NULL(test, hw);
	hw->entries = 128;
	hw->hash = psteer_rss_cfg(false);
	hw->nic_hashes = alloc_percpu(u64);
	KUNIT_ASSERT_TRUE(test, !!hw->nic_hashes);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, psteer_hw_free_counter,
						  hw));
	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	psteer_vector_tuple(test, v, &t);
	t.ports = 1;
	t.proto = IPPROTO_TCP;

	local_bh_disable();
	KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), v->hash_ports);
	skb_set_hash(skb, 0x89abcdef, PKT_HASH_TYPE_L4);
	KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), 0x89abcdef);
	skb_set_hash(skb, 0x01234567, PKT_HASH_TYPE_L3);
	KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), 0x01234567);
	__skb_set_sw_hash(skb, 0x89abcdef, true);
	KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), v->hash_ports);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, psteer_hw_nic_hashes(hw), 2);
	kfree_skb(skb);

	/* 0x89abcdef: entry 0x6f = 111 of 128, bucket 111 mod 64 = 47. */
	KUNIT_EXPECT_EQ(test, psteer_hw_bucket(hw, 0x89abcdef, 64), 47);
	KUNIT_EXPECT_EQ(test, psteer_hw_bucket(hw, 0x89abcdef, 256), 111);
	KUNIT_EXPECT_EQ(test, psteer_hw_bucket(hw, 0x89abcdef, 100), 11);
}

/*
 * A driven NIC that does not report its hash hashes some flow types by
 * their addresses alone (ethtool -N eth0 rx-flow-hash udp4 sd, ixgbe's
 * default for UDP): psteer computes its hash over the same fields, or a
 * flow's bucket is not the entry the NIC picked for it, and a rewrite's
 * fence does not hold it. TCP keeps its ports; SCTP, whose ports no NIC
 * hashes by default, goes by its addresses. Both Microsoft vectors of a
 * family, IPv4 and IPv6.
 */
static void psteer_hw_hash_fields(struct kunit *test)
{
	struct psteer_hw *hw = kunit_kzalloc(test, sizeof(*hw), GFP_KERNEL);
	static const unsigned int vec[] = { 0, 5 };
	struct psteer_tuple t;
	struct sk_buff *skb;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, hw);
	hw->entries = 128;
	hw->hash = psteer_rss_cfg(false);
	skb = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	for (i = 0; i < ARRAY_SIZE(vec); i++) {
		const struct psteer_rss_vector *v = &psteer_rss_vectors[vec[i]];
		bool v4 = v->family == AF_INET;

		psteer_vector_tuple(test, v, &t);
		t.ports = 1;
		t.proto = IPPROTO_UDP;
		hw->addr_only = 0;
		KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t),
				v->hash_ports);
		hw->addr_only = v4 ? PSTEER_HW_UDP4 : PSTEER_HW_UDP6;
		KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), v->hash_ip);
		/* The other family's bit is not this flow's. */
		hw->addr_only = v4 ? PSTEER_HW_UDP6 : PSTEER_HW_UDP4;
		KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t),
				v->hash_ports);
		t.proto = IPPROTO_TCP;
		hw->addr_only = v4 ? PSTEER_HW_UDP4 : PSTEER_HW_UDP6;
		KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t),
				v->hash_ports);
		t.proto = IPPROTO_SCTP;
		hw->addr_only = 0;
		KUNIT_EXPECT_EQ(test, psteer_hw_hash(hw, skb, &t), v->hash_ip);
	}
	kfree_skb(skb);
}

static struct kunit_case psteer_hash_cases[] = {
	KUNIT_CASE(psteer_hw_hash_reported),
	KUNIT_CASE(psteer_hw_hash_fields),
	KUNIT_CASE_PARAM(psteer_toeplitz_addresses_only, psteer_rss_gen_params),
	KUNIT_CASE_PARAM(psteer_toeplitz_with_ports, psteer_rss_gen_params),
	KUNIT_CASE(psteer_toeplitz_table_matches),
	KUNIT_CASE_PARAM(psteer_toeplitz_symmetric, psteer_rss_gen_params),
	KUNIT_CASE(psteer_siphash_symmetric),
	KUNIT_CASE(psteer_canon_equal_addresses),
	KUNIT_CASE(psteer_siphash_asymmetric),
	KUNIT_CASE(psteer_ipv4_short_cuts),
	KUNIT_CASE(psteer_bucket_index_range),
	KUNIT_CASE(psteer_toeplitz_raw_bytes),
	{}
};

static struct kunit_suite psteer_hash_suite = {
	.name = "psteer_hash",
	.test_cases = psteer_hash_cases,
};

kunit_test_suite(psteer_hash_suite);
