// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: seeded random and mutated frames for psteer's packet parser,
 * written on an AF_PACKET socket so that the receiving namespace's stack,
 * psteer's PRE_ROUTING hook included, sees them (tools/testing/guest/
 * fuzz.sh). Built static into the test initramfs (initramfs.sh).
 *
 * Usage: fuzz IFNAME DSTMAC SRC4 DST4 SRC6 DST6 SEED COUNT
 *
 *   IFNAME     the interface to send on (one end of a veth pair)
 *   DSTMAC     the peer's MAC address (frames to another host would be
 *              dropped before PRE_ROUTING)
 *   SRC4 DST4  IPv4 addresses most frames carry
 *   SRC6 DST6  IPv6 addresses, as SRC4 DST4
 *   SEED       the generator's seed: the same seed sends the same frames
 *   COUNT      how many frames
 *
 * Frames (one kind drawn per frame): Ethernet with garbage; IPv4 with a
 * right checksum (so that ip_rcv() lets it reach the hook) and a random
 * or truncated transport header, options, fragments, tunnels (IPIP, GRE,
 * 6in4); IPv6 with chains of extension headers of random and wrong
 * lengths; valid UDP and TCP packets with bytes flipped and cut short.
 *
 * Prints "fuzz: seed=S sent=N failed=F" and, per kind, how many were
 * sent. Exit status 0, 1 on a setup error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXLEN	1500

static uint64_t rng;

/* xorshift64*: small, and the same on every host. */
static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

static uint8_t dstmac[6];
static struct in_addr src4, dst4;
static struct in6_addr src6, dst6;

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (; n > 1; p += 2, n -= 2)
		s += p[0] << 8 | p[1];
	if (n)
		s += p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

static size_t eth(uint8_t *f, uint16_t type)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(f, dstmac, 6);
	memcpy(f + 6, src, 6);
	f[12] = type >> 8;
	f[13] = type & 0xff;
	return 14;
}

/*
 * An IPv4 header of @ihl words at @h, for @len bytes of packet in all,
 * with a right checksum. Returns @ihl * 4.
 */
static size_t ip4(uint8_t *h, unsigned int ihl, uint8_t proto, size_t len,
		  uint16_t frag)
{
	memset(h, 0, 20);
	h[0] = 0x40 | ihl;
	h[2] = len >> 8;
	h[3] = len & 0xff;
	h[4] = rnd();
	h[5] = rnd();
	h[6] = frag >> 8;
	h[7] = frag & 0xff;
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, below(8) ? &src4 : &(struct in_addr){ rnd() }, 4);
	memcpy(h + 16, below(8) ? &dst4 : &(struct in_addr){ rnd() }, 4);
	if (ihl > 5)
		fill(h + 20, ihl * 4 - 20);
	memcpy(h + 10, &(uint16_t){ 0 }, 2);
	memcpy(h + 10, &(uint16_t){ csum(h, ihl * 4) }, 2);
	return ihl * 4;
}

/* A fixed IPv6 header at @h for @plen bytes of payload. Returns 40. */
static size_t ip6(uint8_t *h, uint8_t next, size_t plen)
{
	memset(h, 0, 40);
	h[0] = 0x60;
	h[1] = rnd() & 0x0f;
	h[4] = plen >> 8;
	h[5] = plen & 0xff;
	h[6] = next;
	h[7] = 64;
	memcpy(h + 8, &src6, 16);
	memcpy(h + 24, &dst6, 16);
	return 40;
}

/* A transport header and payload of @n bytes: random ports, random rest. */
static void l4(uint8_t *p, size_t n)
{
	fill(p, n);
}

static const uint8_t protos[] = { 6, 17, 1, 47, 4, 41, 132, 50, 51, 58, 0 };

enum {
	K_GARBAGE, K_V4, K_V4_OPTS, K_V4_FRAG, K_V4_TUNNEL, K_V6_EXT,
	K_V6_LEN, K_V4_LEN, K_MUTATE, K_NKINDS
};

static const char *const kind_names[K_NKINDS] = {
	"garbage", "v4", "v4-options", "v4-fragments", "v4-tunnels",
	"v6-extensions", "v6-lengths", "v4-lengths", "mutated",
};

/* A frame of kind @k into @f; returns its length. */
static size_t frame(uint8_t *f, int k)
{
	size_t off, n, plen;
	uint8_t *h;

	switch (k) {
	case K_GARBAGE:
		off = eth(f, below(2) ? 0x0800 : 0x86dd);
		n = below(MAXLEN - off + 1);
		fill(f + off, n);
		return off + n;
	case K_V4:
	case K_V4_OPTS:
	case K_V4_FRAG: {
		unsigned int ihl = k == K_V4_OPTS ? 6 + below(10) : 5;
		uint16_t frag = 0;
		uint8_t proto = protos[below(sizeof(protos))];

		if (!proto)
			proto = rnd();
		if (k == K_V4_FRAG)
			frag = (below(2) ? 0x2000 : 0) | below(0x2000);
		off = eth(f, 0x0800);
		n = below(k == K_V4 ? 64 : 600);
		off += ip4(f + off, ihl, proto, ihl * 4 + n, frag);
		l4(f + off, n);
		return off + n;
	}
	case K_V4_TUNNEL: {
		static const uint8_t outers[] = { 4, 47, 41 };
		uint8_t outer = outers[below(3)];

		off = eth(f, 0x0800);
		h = f + off + 20;
		n = 0;
		if (outer == 47) {
			/* GRE: flags and version mutated, then IPv4 or IPv6. */
			h[0] = below(4) ? 0 : rnd();
			h[1] = below(4) ? 0 : rnd();
			h[2] = below(2) ? 0x08 : 0x86;
			h[3] = h[2] == 0x08 ? 0x00 : 0xdd;
			n = 4;
		}
		if (outer == 41 || (outer == 47 && h[2] == 0x86)) {
			plen = below(80);
			n += ip6(h + n, protos[below(sizeof(protos))], plen);
		} else {
			plen = below(80);
			n += ip4(h + n, 5 + below(2), protos[below(sizeof(protos))],
				 20 + plen + below(3) * below(40), 0);
		}
		fill(h + n, plen);
		n += plen;
		/* Cut short, sometimes inside the inner header. */
		if (!below(4))
			n = below(n + 1);
		off += ip4(f + off, 5, outer, 20 + n, 0);
		return off + n;
	}
	case K_V6_EXT: {
		static const uint8_t exts[] = { 0, 43, 44, 60, 51, 59 };
		uint8_t *next;
		unsigned int i, nh = 1 + below(6);

		off = eth(f, 0x86dd);
		h = f + off;
		off += ip6(h, 0, 0);
		next = h + 6;
		for (i = 0; i < nh && off < MAXLEN - 64; i++) {
			uint8_t e = exts[below(sizeof(exts))];
			size_t len;

			*next = e;
			if (e == 59)
				break;
			f[off] = 0;
			next = f + off;
			if (e == 44) {
				len = 8;
				fill(f + off + 1, 7);
			} else if (e == 51) {
				f[off + 1] = below(8);	/* AH: (len + 2) * 4 */
				len = (f[off + 1] + 2) * 4;
			} else {
				f[off + 1] = below(4);	/* (len + 1) * 8 */
				len = (f[off + 1] + 1) * 8;
			}
			if (off + len > MAXLEN - 64)
				break;
			if (e != 44)
				fill(f + off + 2, len - 2);
			off += len;
		}
		if (*next != 59)
			*next = protos[below(sizeof(protos))];
		n = below(64);
		l4(f + off, n);
		off += n;
		/* Sometimes cut inside the chain. */
		if (!below(4))
			off = 14 + 40 + below(off - 54 + 1);
		plen = off - 14 - 40;
		h[4] = plen >> 8;
		h[5] = plen & 0xff;
		return off;
	}
	case K_V6_LEN:
		off = eth(f, 0x86dd);
		n = below(100);
		ip6(f + off, below(2) ? 6 : 17, below(4) ? below(n + 1) : rnd() & 0xffff);
		off += 40;
		l4(f + off, n);
		return off + n;
	case K_V4_LEN:
		off = eth(f, 0x0800);
		n = below(100);
		ip4(f + off, 5, below(2) ? 6 : 17, below(2) ? below(20) : rnd() & 0xffff, 0);
		off += 20;
		l4(f + off, n);
		return off + n;
	case K_MUTATE:
	default: {
		bool v6 = below(2);
		uint8_t proto = below(2) ? 6 : 17;
		size_t hl = proto == 6 ? 20 : 8, i;

		off = eth(f, v6 ? 0x86dd : 0x0800);
		h = f + off;
		n = hl + below(200);
		if (v6)
			off += ip6(h, proto, n);
		else
			off += ip4(h, 5, proto, 20 + n, 0);
		l4(f + off, n);
		if (proto == 6)
			f[off + 12] = 0x50;	/* data offset 5 */
		for (i = below(4); i; i--)
			f[off + below(n)] ^= 1 << below(8);
		/* Cut short, the IP length telling the truth or not. */
		if (below(2)) {
			size_t cut = below(n + 1);

			if (below(2)) {
				if (v6) {
					h[4] = cut >> 8;
					h[5] = cut & 0xff;
				} else {
					ip4(h, 5, proto, 20 + cut, 0);
				}
			}
			n = cut;
		}
		return off + n;
	}
	}
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long sent[K_NKINDS] = { 0 };
	unsigned long count, i, failed = 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	static uint8_t f[MAXLEN + 64];
	unsigned long long seed;
	char *end;
	int fd, k;

	if (argc != 9 || parse_mac(argv[2], dstmac) ||
	    inet_pton(AF_INET, argv[3], &src4) != 1 ||
	    inet_pton(AF_INET, argv[4], &dst4) != 1 ||
	    inet_pton(AF_INET6, argv[5], &src6) != 1 ||
	    inet_pton(AF_INET6, argv[6], &dst6) != 1) {
		fprintf(stderr, "usage: fuzz IFNAME DSTMAC SRC4 DST4 SRC6 DST6 SEED COUNT\n");
		return 2;
	}
	seed = strtoull(argv[7], &end, 0);
	if (*end || !*argv[7]) {
		fprintf(stderr, "fuzz: bad seed %s\n", argv[7]);
		return 2;
	}
	count = strtoul(argv[8], &end, 0);
	if (*end || !*argv[8]) {
		fprintf(stderr, "fuzz: bad count %s\n", argv[8]);
		return 2;
	}
	rng = seed * 2 + 1;	/* never 0 */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("fuzz: socket");
		return 1;
	}
	sll.sll_ifindex = if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "fuzz: no interface %s\n", argv[1]);
		return 1;
	}
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dstmac, 6);
	for (i = 0; i < count; i++) {
		size_t len;

		k = below(K_NKINDS);
		len = frame(f, k);
		if (len < 14)
			len = 14;
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) < 0) {
			failed++;
			if (errno == ENOBUFS)
				usleep(1000);
			continue;
		}
		sent[k]++;
	}
	printf("fuzz: seed=%llu sent=%lu failed=%lu", seed, count - failed,
	       failed);
	for (k = 0; k < K_NKINDS; k++)
		printf(" %s=%lu", kind_names[k], sent[k]);
	printf("\n");
	return 0;
}
