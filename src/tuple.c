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
#include <linux/inet.h>
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
 * Reads the two ports at @off from the network header @noff; a packet too
 * short to hold them is bad. For TCP, also the flags when a @hint is
 * asked for (0 if the header is cut short).
 */
static int psteer_parse_ports(const struct sk_buff *skb, int noff, int off,
			      struct psteer_tuple *t, struct psteer_hint *hint)
{
	__be16 buf[2];
	const __be16 *ports;
	u8 fbuf;
	const u8 *flags;

	ports = skb_header_pointer(skb, noff + off, sizeof(buf), buf);
	if (!ports)
		return -EINVAL;
	t->sport = ports[0];
	t->dport = ports[1];
	t->ports = 1;
	if (!hint)
		return 0;
	/* IPv6 extension headers cannot put the ports that far. */
	hint->l4off = off;
	if (t->proto == IPPROTO_TCP) {
		/* Byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN. */
		flags = skb_header_pointer(skb, noff + off + 13, 1, &fbuf);
		hint->tcp_flags = flags ? *flags : 0;
	}
	return 0;
}

static int psteer_parse_ipv4(const struct sk_buff *skb, int noff,
			     struct psteer_tuple *t, struct psteer_hint *hint)
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
	return psteer_parse_ports(skb, noff, iph->ihl * 4, t, hint);
}

static int psteer_parse_ipv6(const struct sk_buff *skb, int noff,
			     struct psteer_tuple *t, struct psteer_hint *hint)
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
	if (unlikely(off - noff > U16_MAX))
		return -EINVAL;
	return psteer_parse_ports(skb, noff, off - noff, t, hint);
}

/**
 * psteer_parse_packet() - fill @t, and a hint, from an IP packet
 * @skb: the packet, at its network header; not modified
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 * @t: result, fully initialised on success
 * @hint: if not NULL, where the ports are and the TCP flags: what
 *	psteer_parse_hinted() needs to rebuild @t from the same packet
 *
 * Context: any. Reads only through skb_header_pointer().
 * Return: 0, or -EINVAL for a packet psteer cannot hash.
 */
int psteer_parse_packet(const struct sk_buff *skb, u8 pf,
			struct psteer_tuple *t, struct psteer_hint *hint)
{
	int noff = skb_network_offset(skb);
	int ret = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (hint)
		memset(hint, 0, sizeof(*hint));
	switch (pf) {
	case NFPROTO_IPV4:
		ret = psteer_parse_ipv4(skb, noff, t, hint);
		break;
	case NFPROTO_IPV6:
		ret = psteer_parse_ipv6(skb, noff, t, hint);
		break;
	}
	if (hint)
		hint->proto = t->proto;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_packet);

/**
 * psteer_parse_hinted() - rebuild the tuple psteer_parse_packet() found
 * @skb: the same packet, unchanged since, at the same network header
 * @pf: NFPROTO_IPV4 or NFPROTO_IPV6
 * @hint: what psteer_parse_packet() left in its @hint
 * @t: result: the tuple psteer_parse_packet() filled, swapped
 *	(psteer_tuple_swap()) when @hint->swapped says its caller swapped it
 *
 * A queued packet is parsed once, in the hook; its drainer reads only the
 * addresses and the ports where the hint says they are: no header walk.
 *
 * Context: any. Reads only through skb_header_pointer().
 * Return: 0, or -EINVAL if the packet is shorter than the hint says.
 */
int psteer_parse_hinted(const struct sk_buff *skb, u8 pf,
			const struct psteer_hint *hint, struct psteer_tuple *t)
{
	int noff = skb_network_offset(skb);
	__be32 abuf[8];
	const __be32 *a;
	__be16 pbuf[2];
	const __be16 *ports;

	memset(t, 0, sizeof(*t));
	t->proto = hint->proto;
	if (pf == NFPROTO_IPV4) {
		a = skb_header_pointer(skb, noff + offsetof(struct iphdr, saddr),
				       8, abuf);
		if (!a)
			return -EINVAL;
		t->family = AF_INET;
		t->src[0] = a[0];
		t->dst[0] = a[1];
	} else {
		a = skb_header_pointer(skb,
				       noff + offsetof(struct ipv6hdr, saddr),
				       32, abuf);
		if (!a)
			return -EINVAL;
		t->family = AF_INET6;
		memcpy(t->src, a, sizeof(t->src));
		memcpy(t->dst, a + 4, sizeof(t->dst));
	}
	if (hint->l4off) {
		ports = skb_header_pointer(skb, noff + hint->l4off,
					   sizeof(pbuf), pbuf);
		if (!ports)
			return -EINVAL;
		t->sport = ports[0];
		t->dport = ports[1];
		t->ports = 1;
	}
	if (hint->swapped)
		psteer_tuple_swap(t);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_parse_hinted);

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

/* Protocol names psteer_tuple_from_text() knows besides numbers. */
static const struct {
	const char *name;
	u8 proto;
} psteer_proto_names[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "udplite", IPPROTO_UDPLITE },
	{ "sctp", IPPROTO_SCTP },
	{ "dccp", IPPROTO_DCCP },
	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

static int psteer_proto_from_text(const char *s, u8 *proto)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(psteer_proto_names); i++) {
		if (!strcmp(s, psteer_proto_names[i].name)) {
			*proto = psteer_proto_names[i].proto;
			return 0;
		}
	}
	return kstrtou8(s, 10, proto);
}

/* An address of @t->family (set by the first one) into @addr. */
static int psteer_addr_from_text(const char *s, struct psteer_tuple *t,
				 __be32 *addr)
{
	if (strchr(s, ':')) {
		if (t->family == AF_INET ||
		    !in6_pton(s, -1, (u8 *)addr, -1, NULL))
			return -EINVAL;
		t->family = AF_INET6;
		return 0;
	}
	if (t->family == AF_INET6 || !in4_pton(s, -1, (u8 *)addr, -1, NULL))
		return -EINVAL;
	t->family = AF_INET;
	return 0;
}

/**
 * psteer_tuple_from_text() - the tuple a packet of a flow would give
 * @s: "PROTO SRC SPORT DST DPORT": PROTO a name (tcp, udp, udplite,
 *	sctp, dccp, icmp, icmpv6) or a number, SRC and DST both IPv4 or both
 *	IPv6, ports 0..65535 (ignored, and must be 0, for a protocol
 *	without ports); modified (split in place)
 * @t: result, fully initialised on success, as psteer_parse_tuple()
 *	would give for an unfragmented packet of that flow
 *
 * For /proc/net/psteer/where (psteer where): the module hashes with its
 * own key, so a secret siphash key stays secret.
 *
 * Context: any.
 * Return: 0 or -EINVAL.
 */
int psteer_tuple_from_text(char *s, struct psteer_tuple *t)
{
	char *f[5];
	u16 sport, dport;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (!s)
			return -EINVAL;
		s = skip_spaces(s);
		f[i] = strsep(&s, " \t\n");
		if (!*f[i])
			return -EINVAL;
	}
	if (s && *skip_spaces(s))
		return -EINVAL;
	if (psteer_proto_from_text(f[0], &t->proto) ||
	    psteer_addr_from_text(f[1], t, t->src) ||
	    psteer_addr_from_text(f[3], t, t->dst) ||
	    kstrtou16(f[2], 10, &sport) || kstrtou16(f[4], 10, &dport))
		return -EINVAL;
	if (!psteer_proto_has_ports(t->proto))
		return sport || dport ? -EINVAL : 0;
	t->sport = htons(sport);
	t->dport = htons(dport);
	t->ports = 1;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_tuple_from_text);
