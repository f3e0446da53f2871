// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tuple extraction (src/tuple.c) from crafted packets.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "tuple.h"

KUNIT_DEFINE_ACTION_WRAPPER(psteer_kfree_skb, kfree_skb, struct sk_buff *);

/* An skb holding @len bytes of @pkt, network header at the start. */
static struct sk_buff *psteer_skb(struct kunit *test, const void *pkt,
				  unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   psteer_kfree_skb,
							   skb));
	skb_reserve(skb, 32);
	skb_reset_network_header(skb);
	skb_put_data(skb, pkt, len);
	return skb;
}

#define PSTEER_V4_SRC	htonl(0x0a000001)
#define PSTEER_V4_DST	htonl(0x0a000002)

/* IPv4 header of @ihl words, protocol @proto, then ports 1234 -> 80. */
static unsigned int psteer_v4(u8 *buf, u8 ihl, u8 proto, __be16 frag_off)
{
	struct iphdr *iph = (struct iphdr *)buf;
	__be16 *ports = (__be16 *)(buf + ihl * 4);

	memset(buf, 0, ihl * 4 + 8);
	iph->version = 4;
	iph->ihl = ihl;
	iph->protocol = proto;
	iph->frag_off = frag_off;
	iph->saddr = PSTEER_V4_SRC;
	iph->daddr = PSTEER_V4_DST;
	ports[0] = htons(1234);
	ports[1] = htons(80);
	return ihl * 4 + 8;
}

struct psteer_l4_case {
	const char *desc;
	u8 proto;
	bool ports;
};

static const struct psteer_l4_case psteer_l4_cases[] = {
	{ "tcp", IPPROTO_TCP, true },
	{ "udp", IPPROTO_UDP, true },
	{ "udplite", IPPROTO_UDPLITE, true },
	{ "sctp", IPPROTO_SCTP, true },
	{ "dccp", IPPROTO_DCCP, true },
	{ "icmp", IPPROTO_ICMP, false },
	{ "gre", IPPROTO_GRE, false },
	{ "esp", IPPROTO_ESP, false },
};

KUNIT_ARRAY_PARAM_DESC(psteer_l4, psteer_l4_cases, desc);

/* Ports for the five port-carrying protocols, addresses for the rest. */
static void psteer_parse_v4_protocols(struct kunit *test)
{
	const struct psteer_l4_case *c = test->param_value;
	struct psteer_tuple t;
	u8 buf[64];
	unsigned int len = psteer_v4(buf, 5, c->proto, 0);

	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &t));
	KUNIT_EXPECT_EQ(test, t.family, AF_INET);
	KUNIT_EXPECT_EQ(test, t.proto, c->proto);
	KUNIT_EXPECT_EQ(test, ntohl(t.src[0]), ntohl(PSTEER_V4_SRC));
	KUNIT_EXPECT_EQ(test, ntohl(t.dst[0]), ntohl(PSTEER_V4_DST));
	KUNIT_EXPECT_EQ(test, t.ports, c->ports);
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), c->ports ? 1234 : 0);
	KUNIT_EXPECT_EQ(test, ntohs(t.dport), c->ports ? 80 : 0);
}

/* IP options: the ports are found after IHL words, not after 20 bytes. */
static void psteer_parse_v4_options(struct kunit *test)
{
	struct psteer_tuple t;
	u8 buf[96];
	unsigned int len = psteer_v4(buf, 15, IPPROTO_TCP, 0);

	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &t));
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), 1234);
	KUNIT_EXPECT_EQ(test, ntohs(t.dport), 80);
}

/* IHL below 5 and a wrong version are malformed. */
static void psteer_parse_v4_bad_header(struct kunit *test)
{
	struct psteer_tuple t;
	u8 buf[64];
	unsigned int len = psteer_v4(buf, 5, IPPROTO_TCP, 0);

	((struct iphdr *)buf)->ihl = 4;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, len),
					   NFPROTO_IPV4, &t));
	((struct iphdr *)buf)->ihl = 5;
	((struct iphdr *)buf)->version = 6;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, len),
					   NFPROTO_IPV4, &t));
}

/* Truncated: the IP header itself, or the ports after it. */
static void psteer_parse_v4_truncated(struct kunit *test)
{
	struct psteer_tuple t;
	u8 buf[96];	/* psteer_v4() with IHL 15 writes 68 bytes */

	psteer_v4(buf, 5, IPPROTO_TCP, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 19),
					   NFPROTO_IPV4, &t));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 23),
					   NFPROTO_IPV4, &t));
	/* Options announced by IHL but missing: no ports to read. */
	psteer_v4(buf, 15, IPPROTO_UDP, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 40),
					   NFPROTO_IPV4, &t));
	/* Only the ports are needed, not a whole TCP header. */
	psteer_v4(buf, 5, IPPROTO_TCP, 0);
	KUNIT_EXPECT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, 24),
						    NFPROTO_IPV4, &t));
}

/* Every fragment of a datagram gives the same tuple, without ports. */
static void psteer_parse_v4_fragments(struct kunit *test)
{
	struct psteer_tuple first, later;
	u8 buf[64];
	unsigned int len;

	len = psteer_v4(buf, 5, IPPROTO_UDP, htons(IP_MF));
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &first));
	len = psteer_v4(buf, 5, IPPROTO_UDP, htons(185));
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &later));
	KUNIT_EXPECT_EQ(test, first.ports, 0);
	KUNIT_EXPECT_EQ(test, first.proto, IPPROTO_UDP);
	KUNIT_EXPECT_MEMEQ(test, &first, &later, sizeof(first));
}

/*
 * IPv6 header, then the extension headers in @ext (already chained by
 * the caller), then ports 1234 -> 80.
 */
static unsigned int psteer_v6(u8 *buf, u8 nexthdr, const u8 *ext,
			      unsigned int extlen)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	__be16 *ports = (__be16 *)(buf + sizeof(*ip6h) + extlen);

	memset(buf, 0, sizeof(*ip6h) + extlen + 8);
	ip6h->version = 6;
	ip6h->nexthdr = nexthdr;
	ip6h->saddr.s6_addr[0] = 0xfd;
	ip6h->saddr.s6_addr[15] = 1;
	ip6h->daddr.s6_addr[0] = 0xfd;
	ip6h->daddr.s6_addr[15] = 2;
	memcpy(buf + sizeof(*ip6h), ext, extlen);
	ports[0] = htons(1234);
	ports[1] = htons(80);
	return sizeof(*ip6h) + extlen + 8;
}

static void psteer_parse_v6_tcp(struct kunit *test)
{
	struct psteer_tuple t;
	u8 buf[128];
	unsigned int len = psteer_v6(buf, IPPROTO_TCP, NULL, 0);

	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV6, &t));
	KUNIT_EXPECT_EQ(test, t.family, AF_INET6);
	KUNIT_EXPECT_EQ(test, t.proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, ((u8 *)t.src)[15], 1);
	KUNIT_EXPECT_EQ(test, ((u8 *)t.dst)[15], 2);
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), 1234);
	KUNIT_EXPECT_EQ(test, ntohs(t.dport), 80);
}

/* Hop-by-hop (8 bytes) then destination options (16 bytes), then UDP. */
static void psteer_parse_v6_extension_headers(struct kunit *test)
{
	u8 ext[24] = { NEXTHDR_DEST, 0, 1, 4, };
	struct psteer_tuple t;
	u8 buf[128];
	unsigned int len;

	ext[8] = IPPROTO_UDP;
	ext[9] = 1;		/* (1 + 1) * 8 = 16 bytes */
	ext[10] = 1;		/* PadN covering the rest */
	ext[11] = 12;
	len = psteer_v6(buf, NEXTHDR_HOP, ext, sizeof(ext));
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV6, &t));
	KUNIT_EXPECT_EQ(test, t.proto, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, ntohs(t.sport), 1234);
	KUNIT_EXPECT_EQ(test, ntohs(t.dport), 80);
}

/* An extension header cut short is malformed. */
static void psteer_parse_v6_truncated(struct kunit *test)
{
	u8 ext[24] = { NEXTHDR_DEST, 0, 1, 4, };
	struct psteer_tuple t;
	u8 buf[128];

	ext[8] = IPPROTO_UDP;
	ext[9] = 1;
	psteer_v6(buf, NEXTHDR_HOP, ext, sizeof(ext));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 40 + 12),
					   NFPROTO_IPV6, &t));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 39),
					   NFPROTO_IPV6, &t));
	/* The ports themselves cut short. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 40 + 24 + 3),
					   NFPROTO_IPV6, &t));
}

/* First and later fragments: same tuple, protocol from the frag header. */
static void psteer_parse_v6_fragments(struct kunit *test)
{
	u8 frag[8] = { IPPROTO_TCP, 0, 0x00, 0x01 };	/* offset 0, M */
	struct psteer_tuple first, later;
	u8 buf[128];
	unsigned int len;

	len = psteer_v6(buf, NEXTHDR_FRAGMENT, frag, sizeof(frag));
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV6, &first));
	frag[2] = 0x05;					/* offset 160 */
	frag[3] = 0x00;
	len = psteer_v6(buf, NEXTHDR_FRAGMENT, frag, sizeof(frag));
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV6, &later));
	KUNIT_EXPECT_EQ(test, first.proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, first.ports, 0);
	KUNIT_EXPECT_MEMEQ(test, &first, &later, sizeof(first));
}

/* Not IP at all, or an IPv4 packet handed in as IPv6. */
static void psteer_parse_not_ip(struct kunit *test)
{
	struct psteer_tuple t;
	u8 buf[64];
	unsigned int len = psteer_v4(buf, 5, IPPROTO_TCP, 0);

	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, len),
					   NFPROTO_ARP, &t));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, len),
					   NFPROTO_IPV6, &t));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_tuple(psteer_skb(test, buf, 0),
					   NFPROTO_IPV4, &t));
}

/*
 * The text form of a flow (psteer where) gives the tuple a packet of that
 * flow gives: IPv4 TCP, IPv6 UDP, and ICMP without ports.
 */
static void psteer_tuple_text_matches_packet(struct kunit *test)
{
	struct psteer_tuple pkt, txt;
	char line[96];
	u8 buf[128];
	unsigned int len;

	len = psteer_v4(buf, 5, IPPROTO_TCP, 0);
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &pkt));
	strscpy(line, "tcp 10.0.0.1 1234 10.0.0.2 80", sizeof(line));
	KUNIT_ASSERT_EQ(test, 0, psteer_tuple_from_text(line, &txt));
	KUNIT_EXPECT_MEMEQ(test, &pkt, &txt, sizeof(pkt));

	len = psteer_v6(buf, IPPROTO_UDP, NULL, 0);
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV6, &pkt));
	strscpy(line, " 17  fd00::1 1234 fd00::2 80\n", sizeof(line));
	KUNIT_ASSERT_EQ(test, 0, psteer_tuple_from_text(line, &txt));
	KUNIT_EXPECT_MEMEQ(test, &pkt, &txt, sizeof(pkt));

	len = psteer_v4(buf, 5, IPPROTO_ICMP, 0);
	KUNIT_ASSERT_EQ(test, 0, psteer_parse_tuple(psteer_skb(test, buf, len),
						    NFPROTO_IPV4, &pkt));
	strscpy(line, "icmp 10.0.0.1 0 10.0.0.2 0", sizeof(line));
	KUNIT_ASSERT_EQ(test, 0, psteer_tuple_from_text(line, &txt));
	KUNIT_EXPECT_MEMEQ(test, &pkt, &txt, sizeof(pkt));
}

/* Every malformed flow is refused. */
static void psteer_tuple_text_bad(struct kunit *test)
{
	static const char *const bad[] = {
		"", "tcp", "tcp 10.0.0.1 1 10.0.0.2", "tcp 10.0.0.1 1 10.0.0.2 2 x",
		"foo 10.0.0.1 1 10.0.0.2 2", "256 10.0.0.1 1 10.0.0.2 2",
		"tcp 10.0.0.256 1 10.0.0.2 2", "tcp 10.0.0.1 65536 10.0.0.2 2",
		"tcp 10.0.0.1 -1 10.0.0.2 2", "tcp 10.0.0.1 1 fd00::2 2",
		"tcp fd00::1 1 10.0.0.2 2", "icmp 10.0.0.1 1 10.0.0.2 0",
		"tcp fd00:::1 1 fd00::2 2",
	};
	struct psteer_tuple t;
	char line[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		strscpy(line, bad[i], sizeof(line));
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, psteer_tuple_from_text(line, &t),
				    "'%s'", bad[i]);
	}
}

/*
 * TCP's flags byte is read when asked: at offset 13 of a whole header,
 * 0 when the header is cut short after the ports or the protocol is not
 * TCP; the tuple is the same either way.
 */
static void psteer_parse_tcp_flags(struct kunit *test)
{
	struct psteer_hint hint;
	struct psteer_tuple t;
	struct sk_buff *skb;
	unsigned int len;
	u8 buf[64];

	len = psteer_v4(buf, 5, IPPROTO_TCP, 0);

	memset(buf + len, 0, 12);
	buf[20 + 13] = TCPHDR_FIN | TCPHDR_ACK;
	skb = psteer_skb(test, buf, len + 12);
	KUNIT_ASSERT_EQ(test, 0,
			psteer_parse_packet(skb, NFPROTO_IPV4, &t, &hint));
	KUNIT_EXPECT_EQ(test, hint.tcp_flags, TCPHDR_FIN | TCPHDR_ACK);
	KUNIT_EXPECT_EQ(test, t.sport, htons(1234));

	skb = psteer_skb(test, buf, len);
	KUNIT_ASSERT_EQ(test, 0,
			psteer_parse_packet(skb, NFPROTO_IPV4, &t, &hint));
	KUNIT_EXPECT_EQ(test, hint.tcp_flags, 0);
	KUNIT_EXPECT_EQ(test, t.dport, htons(80));

	buf[9] = IPPROTO_UDP;
	skb = psteer_skb(test, buf, len + 12);
	KUNIT_ASSERT_EQ(test, 0,
			psteer_parse_packet(skb, NFPROTO_IPV4, &t, &hint));
	KUNIT_EXPECT_EQ(test, hint.tcp_flags, 0);
	KUNIT_EXPECT_EQ(test, t.proto, IPPROTO_UDP);
}

/*
 * What a queued packet's drainer rebuilds from the hint is the tuple the
 * hook parsed, byte for byte, in either order: IPv4 with options, IPv6
 * with extension headers, fragments and protocols without ports.
 */
static void psteer_parse_hinted_same(struct kunit *test)
{
	u8 ext[24] = { NEXTHDR_DEST, 0, 1, 4, 0, 0, 0, 0, IPPROTO_UDP, 1, 1, 12 };
	u8 frag[8] = { IPPROTO_TCP, 0, 0x00, 0x01 };
	struct {
		u8 pf;
		u8 buf[128];
		unsigned int len;
	} p[6];
	struct psteer_tuple t, r, c;
	struct psteer_hint hint;
	unsigned int i;

	p[0].len = psteer_v4(p[0].buf, 5, IPPROTO_TCP, 0);
	p[1].len = psteer_v4(p[1].buf, 7, IPPROTO_UDP, 0);
	p[2].len = psteer_v4(p[2].buf, 5, IPPROTO_UDP, htons(185));
	p[3].len = psteer_v4(p[3].buf, 5, IPPROTO_ICMP, 0);
	p[4].len = psteer_v6(p[4].buf, NEXTHDR_HOP, ext, sizeof(ext));
	p[5].len = psteer_v6(p[5].buf, NEXTHDR_FRAGMENT, frag, sizeof(frag));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i].pf = i < 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		struct sk_buff *skb = psteer_skb(test, p[i].buf, p[i].len);

		KUNIT_ASSERT_EQ(test, 0, psteer_parse_packet(skb, p[i].pf, &t,
							     &hint));
		KUNIT_ASSERT_EQ(test, 0, psteer_parse_hinted(skb, p[i].pf,
							     &hint, &r));
		KUNIT_EXPECT_MEMEQ(test, &t, &r, sizeof(t));

		/* The hook's order: swapped to its canonical form. */
		c = t;
		psteer_tuple_swap(&c);
		hint.swapped = 1;
		KUNIT_ASSERT_EQ(test, 0, psteer_parse_hinted(skb, p[i].pf,
							     &hint, &r));
		KUNIT_EXPECT_MEMEQ(test, &c, &r, sizeof(c));
	}
	KUNIT_EXPECT_EQ(test, t.ports, 0);

	/* A packet shorter than its hint is refused, not read past. */
	KUNIT_ASSERT_EQ(test, 0,
			psteer_parse_packet(psteer_skb(test, p[1].buf,
						       p[1].len),
					    NFPROTO_IPV4, &t, &hint));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_hinted(psteer_skb(test, p[1].buf, 30),
					    NFPROTO_IPV4, &hint, &r));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			psteer_parse_hinted(psteer_skb(test, p[4].buf, 30),
					    NFPROTO_IPV6, &hint, &r));
}

static struct kunit_case psteer_tuple_cases[] = {
	KUNIT_CASE_PARAM(psteer_parse_v4_protocols, psteer_l4_gen_params),
	KUNIT_CASE(psteer_parse_v4_options),
	KUNIT_CASE(psteer_parse_v4_bad_header),
	KUNIT_CASE(psteer_parse_v4_truncated),
	KUNIT_CASE(psteer_parse_v4_fragments),
	KUNIT_CASE(psteer_parse_v6_tcp),
	KUNIT_CASE(psteer_parse_v6_extension_headers),
	KUNIT_CASE(psteer_parse_v6_truncated),
	KUNIT_CASE(psteer_parse_v6_fragments),
	KUNIT_CASE(psteer_parse_not_ip),
	KUNIT_CASE(psteer_parse_tcp_flags),
	KUNIT_CASE(psteer_parse_hinted_same),
	KUNIT_CASE(psteer_tuple_text_matches_packet),
	KUNIT_CASE(psteer_tuple_text_bad),
	{}
};

static struct kunit_suite psteer_tuple_suite = {
	.name = "psteer_tuple",
	.test_cases = psteer_tuple_cases,
};

kunit_test_suite(psteer_tuple_suite);
