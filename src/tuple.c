// SPDX-License-Identifier: GPL-2.0
/*
 * Tuple extraction: which fields of a received packet psteer hashes.
 *
 * Principles:
 * - Every read goes through skb_header_pointer(), so a truncated or
 *   non-linear packet is never read past its end.
 * - TCP, UDP, UDP-Lite, SCTP and DCCP all start with 16-bit source and
 *   destination ports: those are read for the 4-tuple (claims 2, 15).
 * - Fragments carry ports only in the first fragment, so every fragment
 *   (first or not) is hashed by addresses and protocol alone: all the
 *   fragments of one datagram then land in one bucket.
 * - A packet that is not what its header claims (bad version, IHL below
 *   5, truncated headers) is refused with -EINVAL; the hook passes it
 *   untouched and counts it.
 */

#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/socket.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"
#include "tuple.h"

static bool psteer_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	}
	return false;
}

/*
 * Reads the two ports at @off; a packet too short to hold them is bad.
 * For TCP, also the flags when asked (0 if the header is cut short).
 */
static int psteer_parse_ports(const struct sk_buff *skb, int off,
			      struct psteer_tuple *t, u8 *tcp_flags)
{
	__be16 buf[2];
	const __be16 *ports;
	u8 fbuf;
	const u8 *flags;

	ports = skb_header_pointer(skb, off, sizeof(buf), buf);
	if (!ports)
		return -EINVAL;
	t->sport = ports[0];
	t->dport = ports[1];
	t->ports = 1;
	if (tcp_flags && t->proto == IPPROTO_TCP) {
		/* Byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN. */
		flags = skb_header_pointer(skb, off + 13, 1, &fbuf);
		*tcp_flags = flags ? *flags : 0;
	}
	return 0;
}

static int psteer_parse_ipv4(const struct sk_buff *skb, int noff,
			     struct psteer_tuple *t, u8 *tcp_flags)
{
	struct iphdr buf;
	const struct iphdr *iph;

	iph = skb_header_pointer(skb, noff, sizeof(buf), &buf);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return -EINVAL;
	t->family = AF_INET;
	t->proto = iph->protocol;
	t->src[0] = iph->saddr;
	t->dst[0] = iph->daddr;
	if (ip_is_fragment(iph) || !psteer_proto_has_ports(t->proto))
		return 0;
	return psteer_parse_ports(skb, noff + iph->ihl * 4, t, tcp_flags);
}

static int psteer_parse_ipv6(const struct sk_buff *skb, int noff,
			     struct psteer_tuple *t, u8 *tcp_flags)
{
	struct ipv6hdr buf;
	const struct ipv6hdr *ip6h;
	__be16 frag_off = 0;
	u8 nexthdr;
	int off;

	ip6h = skb_header_pointer(skb, noff, sizeof(buf), &buf);
	if (!ip6h || ip6h->version != 6)
		return -EINVAL;
	t->family = AF_INET6;
	memcpy(t->src, &ip6h->saddr, sizeof(t->src));
	memcpy(t->dst, &ip6h->daddr, sizeof(t->dst));

	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, noff + sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0)
		return -EINVAL;
	if (frag_off) {
		/*
		 * ipv6_skip_exthdr() stops at the fragment header of a
		 * non-first fragment but walks past it in the first one, so
		 * the two would disagree on the protocol. Use the Fragment
		 * header's own Next Header, which every fragment carries.
		 */
		struct frag_hdr fbuf;
		const struct frag_hdr *fh;
		unsigned int foff = 0;

		/* ipv6_find_hdr() reads the fixed header in place. */
		if (skb_headlen(skb) < noff + sizeof(*ip6h) ||
		    ipv6_find_hdr(skb, &foff, NEXTHDR_FRAGMENT, NULL, NULL) < 0)
			return -EINVAL;
		fh = skb_header_pointer(skb, foff, sizeof(fbuf), &fbuf);
		if (!fh)
			return -EINVAL;
		t->proto = fh->nexthdr;
		return 0;
	}
	t->proto = nexthdr;
	if (!psteer_proto_has_ports(nexthdr))
		return 0;
	return psteer_parse_ports(skb, off, t, tcp_flags);
}

/**
 * psteer_parse_packet() - fill @t, and the TCP flags, from an IP packet
 * @skb: the packet, at its network header; not modified
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 * @t: result, fully initialised on success
 * @tcp_flags: if not NULL, the TCP flags byte (0 when not TCP, a fragment
 *	or cut short)
 *
 * Context: any. Reads only through skb_header_pointer().
 * Return: 0, or -EINVAL for a packet psteer cannot hash.
 */
int psteer_parse_packet(const struct sk_buff *skb, u8 pf,
			struct psteer_tuple *t, u8 *tcp_flags)
{
	int noff = skb_network_offset(skb);

	memset(t, 0, sizeof(*t));
	if (tcp_flags)
		*tcp_flags = 0;
	switch (pf) {
	case NFPROTO_IPV4:
		return psteer_parse_ipv4(skb, noff, t, tcp_flags);
	case NFPROTO_IPV6:
		return psteer_parse_ipv6(skb, noff, t, tcp_flags);
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_packet);

/**
 * psteer_parse_tuple() - fill @t from the IP packet at @skb's network header
 * @skb: the packet; not modified
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 * @t: result, fully initialised on success
 *
 * Context: any. Reads only through skb_header_pointer().
 * Return: 0, or -EINVAL for a packet psteer cannot hash.
 */
int psteer_parse_tuple(const struct sk_buff *skb, u8 pf, struct psteer_tuple *t)
{
	return psteer_parse_packet(skb, pf, t, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_tuple);
