// SPDX-License-Identifier: GPL-2.0
/*
 * The predetermined hash function of claims 1 and 3: tuple -> 32 bits.
 *
 * Principles:
 * - siphash with a key drawn at load is the default: it is fast, and an
 *   attacker who does not know the key cannot aim flows at one bucket.
 * - Toeplitz with a settable key computes exactly what a NIC's RSS
 *   computes, so psteer's table can mirror the NIC's indirection table;
 *   it is checked against the published RSS verification vectors.
 * - Symmetric (default): the tuple is put in canonical order before
 *   hashing, so both directions of a connection land in one bucket with
 *   any key. With symmetric=0, Toeplitz is the plain RSS hash, which is
 *   symmetric only if the key is (e.g. 6d:5a repeated).
 */

#include <linux/kernel.h>
#include <linux/siphash.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "compat.h"
#include "tuple.h"

/* The key of Microsoft's RSS specification, used by most NICs' docs. */
const u8 psteer_default_rss_key[PSTEER_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
EXPORT_SYMBOL_IF_KUNIT(psteer_default_rss_key);

/**
 * psteer_toeplitz() - the Toeplitz hash of RSS
 * @key: the secret key
 * @keylen: its length; must be at least @len + 4
 * @data: input bytes, in network order
 * @len: input length
 *
 * For each set bit of the input, XOR in the 32-bit window of the key that
 * starts at that bit. Bit by bit: 8 steps per input byte, 288 for an IPv6
 * 4-tuple. Context: any.
 */
VISIBLE_IF_KUNIT u32 psteer_toeplitz(const u8 *key, unsigned int keylen,
				     const u8 *data, unsigned int len)
{
	u32 hash = 0, window;
	unsigned int i, bit;

	window = get_unaligned_be32(key);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			if (data[i] & (0x80 >> bit))
				hash ^= window;
			window <<= 1;
			if (i + 4 < keylen && (key[i + 4] & (0x80 >> bit)))
				window |= 1;
		}
	}
	return hash;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_toeplitz);

/**
 * psteer_toeplitz_table_init() - tabulate Toeplitz for a key
 * @tt: the table to fill
 * @key: the key
 *
 * The hash is linear in its input: the hash of an input is the XOR of the
 * hashes of its bytes alone, each at its position. Tabulating those turns
 * psteer_toeplitz()'s 8 steps per byte into one lookup (36 for an IPv6
 * 4-tuple instead of 288 steps), as NIC drivers' software RSS does.
 *
 * Context: any; 36 x 256 entries, computed once at load.
 */
void psteer_toeplitz_table_init(struct psteer_toeplitz_table *tt,
				const u8 key[PSTEER_RSS_KEY_LEN])
{
	u32 window = get_unaligned_be32(key), w[8];
	unsigned int i, bit, b;

	for (i = 0; i < PSTEER_RSS_INPUT_MAX; i++) {
		/* The windows of the 8 bits of byte i, as psteer_toeplitz(). */
		for (bit = 0; bit < 8; bit++) {
			w[bit] = window;
			window <<= 1;
			if (i + 4 < PSTEER_RSS_KEY_LEN &&
			    (key[i + 4] & (0x80 >> bit)))
				window |= 1;
		}
		for (b = 0; b < 256; b++) {
			u32 h = 0;

			for (bit = 0; bit < 8; bit++)
				if (b & (0x80 >> bit))
					h ^= w[bit];
			tt->v[i][b] = h;
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(psteer_toeplitz_table_init);

/**
 * psteer_toeplitz_fast() - the Toeplitz hash by table
 * @tt: the key's table
 * @data: input bytes, in network order
 * @len: input length, at most PSTEER_RSS_INPUT_MAX
 *
 * Equal to psteer_toeplitz() with the table's key. Context: any.
 */
u32 psteer_toeplitz_fast(const struct psteer_toeplitz_table *tt,
			 const u8 *data, unsigned int len)
{
	u32 hash = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		hash ^= tt->v[i][data[i]];
	return hash;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_toeplitz_fast);

/**
 * psteer_tuple_swap() - exchange source and destination
 * @t: tuple to change in place
 */
void psteer_tuple_swap(struct psteer_tuple *t)
{
	__be32 tmp[ARRAY_SIZE(t->src)];

	if (t->family == AF_INET) {
		/* Only the first word of an IPv4 address is set. */
		swap(t->src[0], t->dst[0]);
	} else {
		memcpy(tmp, t->src, sizeof(tmp));
		memcpy(t->src, t->dst, sizeof(tmp));
		memcpy(t->dst, tmp, sizeof(tmp));
	}
	swap(t->sport, t->dport);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_tuple_swap);

/**
 * psteer_tuple_canon() - order a tuple so both directions look the same
 * @t: tuple to reorder in place
 *
 * The (address, port) pair that compares lower becomes the source:
 * addresses as byte strings (memcmp()), then ports as numbers.
 *
 * Return: true when @t was swapped.
 */
bool psteer_tuple_canon(struct psteer_tuple *t)
{
	int cmp;

	if (t->family == AF_INET) {
		/* The rest is zero: memcmp() of the first words, in short. */
		u32 s = ntohl(t->src[0]), d = ntohl(t->dst[0]);

		cmp = s > d ? 1 : s < d ? -1 : 0;
	} else {
		cmp = memcmp(t->src, t->dst, sizeof(t->src));
	}
	if (cmp > 0 || (cmp == 0 && ntohs(t->sport) > ntohs(t->dport))) {
		psteer_tuple_swap(t);
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(psteer_tuple_canon);

/* Lays out the RSS input: src addr, dst addr, then src and dst port. */
static u32 psteer_toeplitz_tuple(const struct psteer_hash_cfg *cfg,
				 const struct psteer_tuple *t)
{
	u8 in[2 * sizeof(t->src) + 4];
	unsigned int alen = t->family == AF_INET ? 4 : sizeof(t->src);
	unsigned int len = 2 * alen;

	memcpy(in, t->src, alen);
	memcpy(in + alen, t->dst, alen);
	if (t->ports) {
		memcpy(in + len, &t->sport, 2);
		memcpy(in + len + 2, &t->dport, 2);
		len += 4;
	}
	BUILD_BUG_ON(sizeof(in) != PSTEER_RSS_INPUT_MAX);
	if (cfg->table)
		return psteer_toeplitz_fast(cfg->table, in, len);
	return psteer_toeplitz(cfg->rss_key, PSTEER_RSS_KEY_LEN, in, len);
}

/**
 * psteer_siphash_tuple() - siphash of a tuple under @key
 * @t: the tuple
 * @key: the key
 *
 * An IPv4 tuple is four words (addresses, ports, protocol and family):
 * its address words past the first are always zero, and hashing 16 bytes
 * costs half of hashing the whole struct. An IPv6 tuple is hashed whole.
 *
 * Context: any.
 */
u32 psteer_siphash_tuple(const struct psteer_tuple *t,
			 const siphash_key_t *key)
{
	if (t->family == AF_INET)
		return siphash_4u32((__force u32)t->src[0],
				    (__force u32)t->dst[0],
				    (__force u32)t->sport |
				    (__force u32)t->dport << 16,
				    t->proto | t->family << 8 | t->ports << 16,
				    key);
	return siphash(t, sizeof(*t), key);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_siphash_tuple);

/**
 * psteer_hash_ordered() - hash a tuple already in hashing order
 * @cfg: algorithm and key
 * @t: the tuple, canonical (psteer_tuple_canon()) when @cfg->symmetric
 *
 * The data path's form: the hook orders the tuple once, in place, for the
 * hash and for connection tracking.
 *
 * Context: any.
 */
u32 psteer_hash_ordered(const struct psteer_hash_cfg *cfg,
			const struct psteer_tuple *t)
{
	if (cfg->alg == PSTEER_HASH_TOEPLITZ)
		return psteer_toeplitz_tuple(cfg, t);
	return psteer_siphash_tuple(t, &cfg->sipkey);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hash_ordered);

/**
 * psteer_hash_tuple() - hash a parsed tuple as configured
 * @cfg: algorithm, key and symmetry
 * @t: the tuple, as parsed; not changed
 *
 * Context: any.
 */
u32 psteer_hash_tuple(const struct psteer_hash_cfg *cfg,
		      const struct psteer_tuple *t)
{
	struct psteer_tuple c = *t;

	if (cfg->symmetric)
		psteer_tuple_canon(&c);
	return psteer_hash_ordered(cfg, &c);
}
EXPORT_SYMBOL_IF_KUNIT(psteer_hash_tuple);
